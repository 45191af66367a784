//! Fault injection: the same seed gives the same faults (sans-IO and over a
//! real PTY), different seeds differ, and URCs land at every injection
//! point of MODEM-SPEC §5.1.

mod sim_support;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use gsmq::sim::{self, Faults, Modem, ModemEvent, SimOptions, Timing};
use sim_support::{show, Port};

const PDU: &str = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37";

fn wall() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T06:00:00Z")
        .expect("timestamp")
        .with_timezone(&Utc)
}

/// Drives a modem through a fixed script with explicit time and returns
/// every output chunk with its offset from the start, plus the events.
fn transcript(seed: u64, faults: Faults) -> (Vec<(Duration, Vec<u8>)>, Vec<String>) {
    let t0 = Instant::now();
    let opts = SimOptions {
        seed,
        faults,
        timing: Timing::default(),
        ..SimOptions::default()
    };
    let mut m = Modem::new(opts, t0, wall());
    let mut out = Vec::new();
    let mut events = Vec::new();
    let mut script: Vec<Vec<u8>> = vec![b"ATE0\r".to_vec(), b"AT+CMEE=1\r".to_vec()];
    for _ in 0..40 {
        script.push(b"AT+CMGS=23\r".to_vec());
        script.push(format!("{PDU}\x1a").into_bytes());
        script.push(b"AT+CSQ\r".to_vec());
    }
    script.push(b"AT+CMGL=4\r".to_vec());
    let step = Duration::from_secs(90);
    for (i, input) in script.iter().enumerate() {
        let start = t0 + step * i as u32;
        m.handle_input(input, start);
        if i % 7 == 0 {
            let _ = m.inject_text(
                "+4917000000001",
                "inbound during the run",
                Default::default(),
                start,
            );
        }
        let end = start + step;
        loop {
            let now = match m.poll_timeout() {
                Some(t) if t < end => t.max(start),
                _ => break,
            };
            m.handle_timeout(now);
            while let Some(b) = m.poll_transmit(now) {
                out.push((now - t0, b));
            }
            while let Some(e) = m.poll_event() {
                match e {
                    ModemEvent::Submitted(p) => events.push(format!("sent mr={}", p.mr)),
                    ModemEvent::Unplug { down_for, .. } => {
                        events.push(format!("unplug {down_for:?}"));
                        m.replug(now + down_for);
                    }
                    ModemEvent::MmsSubmit(s) => events.push(format!("mms {}", s.id)),
                    ModemEvent::MmsHttp(r) => events.push(format!("mms http {}", r.url)),
                }
            }
        }
    }
    (out, events)
}

fn bytes(t: &[(Duration, Vec<u8>)]) -> Vec<u8> {
    t.iter().flat_map(|(_, b)| b.clone()).collect()
}

#[test]
fn the_same_seed_gives_the_same_faults_byte_for_byte_and_chunk_for_chunk() {
    let (a, ea) = transcript(7, Faults::heavy());
    let (b, eb) = transcript(7, Faults::heavy());
    assert_eq!(a, b, "seed 7 is not reproducible");
    assert_eq!(ea, eb);
    let text = String::from_utf8_lossy(&bytes(&a)).into_owned();
    // Heavy faults really inject something in this run.
    assert!(text.contains("+CMS ERROR:"), "no submit error injected");
    assert!(a.iter().any(|(_, c)| c.len() < 4), "writes were not split");
}

#[test]
fn different_seeds_give_different_fault_sequences() {
    let (a, _) = transcript(7, Faults::heavy());
    let (b, _) = transcript(8, Faults::heavy());
    assert_ne!(bytes(&a), bytes(&b));
}

#[test]
fn without_faults_every_submit_succeeds_and_references_count_up() {
    let (t, events) = transcript(7, Faults::none());
    let text = String::from_utf8_lossy(&bytes(&t)).into_owned();
    assert!(!text.contains("ERROR"), "{text}");
    let expected: Vec<String> = (0..40).map(|i| format!("sent mr={i}")).collect();
    assert_eq!(events, expected);
}

#[tokio::test]
async fn a_seeded_faulty_session_over_a_pty_replays_identically() {
    let faults = Faults {
        cms_transient: 0.3,
        cms_permanent: 0.1,
        garbage: 0.3,
        split_writes: true,
        split_gap_max: Duration::from_millis(1),
        urc: 0.3,
        ..Faults::none()
    };
    let mut runs = Vec::new();
    for seed in [11u64, 11, 12] {
        let h = sim::spawn(SimOptions {
            seed,
            faults: faults.clone(),
            timing: Timing::fast(),
            ..SimOptions::default()
        })
        .expect("spawn");
        let mut p = Port::open(h.path());
        let mut all = Vec::new();
        for _ in 0..8 {
            p.write(b"AT+CMGS=23\r").await;
            all.extend(p.until(b"> ").await);
            p.write(format!("{PDU}\x1a").as_bytes()).await;
            all.extend(p.quiet(Duration::from_millis(60)).await);
            p.write(b"AT+CSQ\r").await;
            all.extend(p.quiet(Duration::from_millis(60)).await);
        }
        runs.push(all);
    }
    assert_eq!(
        show(&runs[0]),
        show(&runs[1]),
        "the same seed replays the same bytes"
    );
    assert_ne!(runs[0], runs[2], "another seed gives other faults");
}

#[tokio::test]
async fn urcs_land_at_every_section_5_1_injection_point() {
    let h = sim::spawn(SimOptions {
        faults: Faults {
            urc: 1.0,
            ..Faults::none()
        },
        timing: Timing::fast(),
        ..SimOptions::default()
    })
    .expect("spawn");
    let mut p = Port::open(h.path());
    let u = "\r\n+CREG: 1\r\n";
    // (1) after the echo, (2) inside the response and before the final result.
    let expect = format!("AT+CSQ\r{u}\r\n+CSQ: 21,99\r\n{u}\r\nOK\r\n");
    p.exchange(b"AT+CSQ\r", expect.as_bytes()).await;
    p.exchange(b"ATE0\r", format!("ATE0\r{u}\r\nOK\r\n").as_bytes())
        .await;
    // (3) between AT+CMGS and the prompt.
    p.exchange(b"AT+CMGS=23\r", format!("{u}\r\n> ").as_bytes())
        .await;
    // (4) after ^Z, before +CMGS.
    p.write(PDU.as_bytes()).await;
    p.exchange(
        b"\x1a",
        format!("{u}\r\n+CMGS: 0\r\n{u}\r\nOK\r\n").as_bytes(),
    )
    .await;
    // (2) between list entries, never between a header and its PDU.
    p.exchange(b"AT+CNMI=2,0,0,0,0\r", format!("{u}\r\nOK\r\n").as_bytes())
        .await;
    h.inject_sms("+4917000000001", "a").await.expect("inject");
    h.inject_sms("+4917000000002", "b").await.expect("inject");
    p.write(b"AT+CMGL=4\r").await;
    let list = String::from_utf8(p.until(b"\r\nOK\r\n").await).expect("ascii");
    let lines: Vec<&str> = list.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 8, "{list:?}");
    assert_eq!(lines[0], "+CREG: 1");
    assert!(lines[1].starts_with("+CMGL: 1,"));
    assert_eq!(
        lines[3], "+CREG: 1",
        "a URC between two list lines: {list:?}"
    );
    assert!(lines[4].starts_with("+CMGL: 2,"));
    assert_eq!(lines[6], "+CREG: 1");
    assert_eq!(lines[7], "OK");
}
