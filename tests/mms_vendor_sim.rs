//! The vendor MMS send flows (`modem::mms_at`) end to end: the sans-IO flow
//! drives a simulated SIM7600 (`AT+CMMS*`), SIM800 (blocking `AT+CMMSSEND`)
//! or EC25 (`AT+QMMS*`, `AT+QFUPL`)
//! over a real PTY through the real digester; the simulated modem posts the
//! draft to the fake MMSC, which must receive exactly the bytes of every
//! part, and the flow must end only on the completion URC.

use std::time::{Duration, Instant};

use gsmq::at::Digester;
use gsmq::mmsc::fake::{Behaviour, FakeMmsc, FakeOptions};
use gsmq::modem::mms_at::{MmsAtConfig, MmsAtOutcome, MmsFile, MmsFlow, MmsJob, Output, Vendor};
use gsmq::modem::runner::{PortOpener, SerialOpener};
use gsmq::sim::{self, Personality, SimOptions, Timing};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(30);

fn picture(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn job() -> MmsJob {
    MmsJob {
        to: vec!["+4917012345678".into()],
        subject: Some("Holiday".into()),
        text: Some("Greetings".into()),
        files: vec![MmsFile {
            name: "beach.jpg".into(),
            content_type: "image/jpeg".into(),
            data: picture(3000),
        }],
    }
}

/// Spawns a simulated modem, waits until it answers, and runs `flow` on it.
async fn run(personality: Personality, flow: MmsFlow) -> MmsAtOutcome {
    run_on(
        SimOptions {
            personality,
            timing: Timing::fast(),
            ..SimOptions::default()
        },
        flow,
    )
    .await
}

async fn run_on(opts: SimOptions, mut flow: MmsFlow) -> MmsAtOutcome {
    let sim = sim::spawn(opts).expect("sim");
    let opener = SerialOpener {
        path: sim.path().to_path_buf(),
        baud: 115_200,
    };
    let mut port = opener.open().await.expect("open PTY");
    // Wait for the boot, then switch echo off.
    let end = Instant::now() + LIMIT;
    let mut seen = Vec::new();
    let mut buf = vec![0u8; 4096];
    loop {
        assert!(Instant::now() < end, "modem never answered: {seen:?}");
        port.write_all(b"ATE0\r").await.unwrap();
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(300), port.read(&mut buf)).await
        {
            seen.extend_from_slice(&buf[..n]);
            if seen.windows(4).any(|w| w == b"OK\r\n") {
                break;
            }
        }
    }
    // Let stragglers of the sync arrive and drop them.
    while let Ok(Ok(_)) =
        tokio::time::timeout(Duration::from_millis(200), port.read(&mut buf)).await
    {}

    let mut d = Digester::new();
    loop {
        assert!(Instant::now() < end, "the flow did not end in time");
        while let Some(out) = flow.poll_output(Instant::now()) {
            match out {
                Output::Command(c) => {
                    d.expect(&c);
                    port.write_all(&c.to_bytes()).await.unwrap();
                }
                Output::Data(b) => port.write_all(&b).await.unwrap(),
                Output::Done(o) => return o,
            }
        }
        let wait = flow.poll_timeout().map_or(Duration::from_secs(1), |t| {
            t.saturating_duration_since(Instant::now())
        });
        match tokio::time::timeout(wait, port.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => panic!("PTY closed"),
            Ok(Ok(n)) => {
                d.feed(&buf[..n]);
                while let Some(ev) = d.poll_event() {
                    flow.handle_event(&ev, Instant::now());
                }
            }
            Err(_) => flow.handle_timeout(Instant::now()),
        }
    }
}

fn check_submission(fake: &FakeMmsc) {
    let subs = fake.submissions();
    assert_eq!(subs.len(), 1, "posted exactly once");
    let pdu = &subs[0].pdu;
    assert_eq!(pdu.to(), vec!["+4917012345678"]);
    assert_eq!(pdu.subject(), Some("Holiday"));
    let parts = pdu.parts();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].data, b"Greetings");
    assert_eq!(parts[0].content_type.media, "text/plain");
    assert_eq!(parts[1].data, picture(3000), "picture bytes");
    assert_eq!(parts[1].content_type.media, "image/jpeg");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quectel_ec25_sends_a_picture_mms_through_the_mms_proxy() {
    let fake = FakeMmsc::start(FakeOptions {
        public_host: Some("mmsc.operator.invalid".into()),
    })
    .await
    .expect("fake");
    let proxy = fake.addr();
    let cfg = MmsAtConfig {
        mmsc_url: fake.url(),
        proxy: Some((proxy.ip().to_string(), proxy.port())),
        apn: "mms".into(),
        context_id: 1,
    };
    let flow = MmsFlow::new(Vendor::for_model("EC25").unwrap(), &cfg, &job());
    assert_eq!(run(Personality::Ec25, flow).await, MmsAtOutcome::Accepted);
    check_submission(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simcom_sim7600_sends_a_picture_mms_and_reports_an_mmsc_refusal() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.expect("fake");
    let cfg = MmsAtConfig {
        mmsc_url: fake.url(),
        proxy: None,
        apn: "mms".into(),
        context_id: 1,
    };
    let vendor = Vendor::for_model("SIMCOM_SIM7600E-H").unwrap();
    let flow = MmsFlow::new(vendor, &cfg, &job());
    assert_eq!(
        run(Personality::Sim7600, flow).await,
        MmsAtOutcome::Accepted
    );
    check_submission(&fake);

    fake.set_behaviour(Behaviour::Reject(gsmq::mms::response::ERROR_SERVICE_DENIED));
    let flow = MmsFlow::new(vendor, &cfg, &job());
    let outcome = run(Personality::Sim7600, flow).await;
    assert!(
        matches!(outcome, MmsAtOutcome::Rejected { .. }),
        "{outcome:?}"
    );
    assert_eq!(fake.submissions().len(), 1, "a refused MMS is not stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sim800_sends_a_picture_mms_with_its_blocking_flow_and_refuses_a_large_attachment() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.expect("fake");
    let cfg = MmsAtConfig {
        mmsc_url: fake.url(),
        proxy: None,
        apn: "mms".into(),
        context_id: 1,
    };
    let vendor = Vendor::for_model("SIMCOM_SIM800L").unwrap();
    assert_eq!(vendor, Vendor::Simcom2g);
    let flow = MmsFlow::new(vendor, &cfg, &job());
    assert_eq!(run(Personality::Sim800, flow).await, MmsAtOutcome::Accepted);
    check_submission(&fake);

    // The SIM800C limit: CMMSDOWN of the 3000-byte picture fails (`+CME
    // ERROR: 173`, a bare `ERROR` here without `AT+CMEE=1`) before anything
    // was sent.
    let opts = SimOptions {
        personality: Personality::Sim800,
        timing: Timing::fast(),
        mms_max_attachment_bytes: Some(2048),
        ..SimOptions::default()
    };
    let outcome = run_on(opts, MmsFlow::new(vendor, &cfg, &job())).await;
    match &outcome {
        MmsAtOutcome::NotSent { reason } => {
            assert!(reason.contains("AT+CMMSDOWN=\"PIC\",3000"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.submissions().len(), 1, "nothing more posted");
}
