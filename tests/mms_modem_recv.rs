//! MMS received through the modems' own clients (`[mms] transport =
//! "modem"`): the whole gateway in-process with a simulated SIMCom SIM7600
//! or Quectel EC25. The fake MMSC holds an inbound picture MMS and sends its
//! WAP push as SMS; the SIM7600's client announces it with `+WAP_PUSH_MMS:`
//! and gsmq fetches it with `AT+CMMSRECV`,
//! `AT+CMMSVIEW` and `AT+CMMSREAD`; the EC25 gets the WAP-push SMS and
//! fetches it with `AT+QHTTPGET`, `AT+QHTTPREADFILE` and `AT+QFDWL`, then
//! acknowledges with `AT+QHTTPPOST`. Either way the MMS must reach
//! `gsmq/inbox/mms` with every part's bytes, size and SHA-256 (large parts
//! spooled), and the MMSC must be told it was retrieved. A retrieval the
//! MMSC cannot serve keeps the notification for a later attempt.

mod api_support;
mod mms_support;

use std::path::Path;
use std::time::Duration;

use api_support::hash;
use base64::Engine as _;
use gsmq::config::Config;
use gsmq::gateway::Gateway;
use gsmq::mms::{self, ContentType, Part};
use gsmq::mmsc::fake::{FakeMmsc, FakeOptions};
use gsmq::pdu;
use mms_support::{picture, start_gateway, Client};
use serde_json::Value;
use sha2::{Digest, Sha256};

const VENDOR_NUMBER: &str = "+15550000001";
const WAIT: Duration = Duration::from_secs(30);
const INLINE_MAX: usize = 4096;

fn config(dir: &Path, personality: &str, mmsc_url: &str) -> Config {
    config_with(dir, personality, mmsc_url, "")
}

fn config_with(dir: &Path, personality: &str, mmsc_url: &str, extra: &str) -> Config {
    let h = hash(api_support::PASSWORD);
    let text = format!(
        r#"
[broker]
listen = "127.0.0.1:0"
max_packet_size = 1048576
[storage]
path = "{dir}"
[[user]]
name = "bob"
password_hash = "{h}"
permissions = ["inbox"]
[[modem]]
name = "vendor"
port = "sim:{personality}"
sim_number = "{VENDOR_NUMBER}"
sim_timing = "fast"
[mms]
mmsc_url = {mmsc_url:?}
transport = "modem"
apn = "mms"
inline_max_bytes = {INLINE_MAX}
spool = {spool:?}
{extra}
"#,
        dir = dir.display(),
        spool = dir.join("spool").display().to_string(),
    );
    Config::parse(&text, Path::new("test.toml")).expect("config")
}

async fn start(dir: &Path, personality: &str, mmsc_url: &str) -> Gateway {
    start_with(config(dir, personality, mmsc_url)).await
}

async fn start_with(cfg: Config) -> Gateway {
    start_gateway(cfg, &["vendor"]).await
}

fn parts() -> Vec<Part> {
    let smil = "<smil><body><par><img src=\"big.jpg\"/><text src=\"t.txt\"/></par></body></smil>";
    vec![
        Part::smil("smil", smil),
        Part::text("t", "t.txt", "Schöne Grüße"),
        Part::new(
            ContentType::new("image/jpeg"),
            "big",
            "big.jpg",
            picture(30_000, 2),
        ),
        Part::new(
            ContentType::new("image/png"),
            "small",
            "small.png",
            picture(700, 3),
        ),
    ]
}

fn part_bytes(p: &Value) -> Vec<u8> {
    match (p.get("data_base64"), p.get("path")) {
        (Some(d), None) => base64::engine::general_purpose::STANDARD
            .decode(d.as_str().unwrap())
            .unwrap(),
        (None, Some(path)) => std::fs::read(path.as_str().unwrap()).unwrap(),
        _ => panic!("part without bytes: {p}"),
    }
}

/// Checks the inbox event against what the MMSC held.
fn check_inbox(m: &Value, dir: &Path, want: &[Part]) {
    assert_eq!(m["from"], "+4917099999", "{m}");
    assert_eq!(m["modem"], "vendor");
    assert_eq!(m["subject"], "Photos");
    assert_eq!(m["sent_at"], "2026-05-28T20:26:40Z");
    let got = m["parts"].as_array().expect("parts");
    assert_eq!(got.len(), want.len(), "{m}");
    for (g, w) in got.iter().zip(want) {
        let bytes = part_bytes(g);
        assert_eq!(bytes, w.data, "bytes of {}", g["name"]);
        assert_eq!(g["size"].as_u64(), Some(w.data.len() as u64));
        assert_eq!(g["sha256"], hex::encode(Sha256::digest(&w.data)));
        assert_eq!(g["name"].as_str(), w.content_location());
        assert!(
            g["content_type"]
                .as_str()
                .unwrap()
                .starts_with(&w.content_type.media),
            "{g}"
        );
        let spooled = w.data.len() > INLINE_MAX;
        assert_eq!(g.get("path").is_some(), spooled, "{g}");
        if spooled {
            assert!(Path::new(g["path"].as_str().unwrap()).starts_with(dir.join("spool")));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sim7600_retrieves_an_inbound_picture_mms_announced_by_wap_push_mms() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.expect("fake");
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "sim7600", &fake.url()).await;
    let mut bob = Client::connect(gw.mqtt_addr(), "bob", &["gsmq/inbox/mms"]).await;

    let want = parts();
    // The MMSC's WAP push as SMS; the simulated SIM7600's MMS client turns
    // it into `+WAP_PUSH_MMS:` (nothing is stored as an SMS).
    let tpdus = fake
        .create_inbound_sms(
            "T-in-7600",
            "+4917099999/TYPE=PLMN",
            VENDOR_NUMBER,
            Some("Photos"),
            1_780_000_000,
            want.clone(),
            &mmsc_sms(),
        )
        .expect("push");
    let sim = gw.pool().sim("vendor").expect("sim");
    for t in &tpdus {
        sim.inject_pdu(t).await.expect("inject");
    }

    let m = bob.json_on("gsmq/inbox/mms").await;
    check_inbox(&m, dir.path(), &want);
    // The modem's client told the MMSC, once; the message was fetched once.
    let acks = fake.notify_responses();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].transaction_id(), Some("T-in-7600"));
    assert_eq!(acks[0].status(), Some(mms::status::RETRIEVED));
    assert_eq!(fake.fetched().len(), 1);
    // The same push again (the network repeating itself) fetches nothing new.
    for t in &tpdus {
        sim.inject_pdu(t).await.expect("inject");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fake.fetched().len(), 1);
    gw.shutdown().await;
}

fn mmsc_sms() -> pdu::DeliverOptions {
    pdu::DeliverOptions {
        from: "+491760000000".into(),
        reference: 0x42,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ec25_retrieves_an_inbound_picture_mms_from_its_wap_push_sms_and_acknowledges_it() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.expect("fake");
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "ec25", &fake.url()).await;
    let mut bob = Client::connect(gw.mqtt_addr(), "bob", &["gsmq/inbox/mms"]).await;

    let want = parts();
    let tpdus = fake
        .create_inbound_sms(
            "T-in-ec25",
            "+4917099999/TYPE=PLMN",
            VENDOR_NUMBER,
            Some("Photos"),
            1_780_000_000,
            want.clone(),
            &mmsc_sms(),
        )
        .expect("push");
    let sim = gw.pool().sim("vendor").expect("sim");
    for t in &tpdus {
        sim.inject_pdu(t).await.expect("inject");
    }

    let m = bob.json_on("gsmq/inbox/mms").await;
    check_inbox(&m, dir.path(), &want);
    // Acknowledged through AT+QHTTPPOST with a full request header.
    let acks = fake.notify_responses();
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].transaction_id(), Some("T-in-ec25"));
    assert_eq!(acks[0].status(), Some(mms::status::RETRIEVED));
    assert_eq!(fake.fetched().len(), 1);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retrieval_the_mmsc_cannot_serve_keeps_the_notification_for_a_later_attempt() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.expect("fake");
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "ec25", &fake.url()).await;
    // A notification for a message the MMSC does not hold (404).
    let ni = mms::Pdu::notification_ind(
        "T-gone",
        Some("+4917099999/TYPE=PLMN"),
        None,
        1000,
        3600,
        &format!("{}/retrieve/none", fake.url()),
    );
    let push = mms::Push::mms(1, &ni).unwrap();
    let tpdus = mms::push_to_sms(&push, &mmsc_sms()).unwrap();
    let sim = gw.pool().sim("vendor").expect("sim");
    for t in &tpdus {
        sim.inject_pdu(t).await.expect("inject");
    }
    // Tried once, failed, and kept pending with a later due time.
    let store = gw.store();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let later = chrono::Utc::now() + chrono::Duration::hours(1);
        let pending = store.pending_pushes(later, 10).await.unwrap();
        if pending.first().is_some_and(|p| p.attempts == 1) {
            assert!(
                store
                    .pending_pushes(chrono::Utc::now(), 10)
                    .await
                    .unwrap()
                    .is_empty(),
                "not due again at once"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed attempt recorded: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(fake.notify_responses().is_empty());
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sim800_mms_push_is_read_with_cmmsrdpush_stored_and_fetched() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.expect("fake");
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "sim800", &fake.url()).await;
    let mut bob = Client::connect(gw.mqtt_addr(), "bob", &["gsmq/inbox/mms"]).await;

    let want = parts();
    let tpdus = fake
        .create_inbound_sms(
            "T-in-800",
            "+4917099999/TYPE=PLMN",
            VENDOR_NUMBER,
            Some("Photos"),
            1_780_000_000,
            want.clone(),
            &mmsc_sms(),
        )
        .expect("push");
    // The SIM800 takes the push itself: `+CMTI: "SM",1,"MMS PUSH",2,1`.
    let sim = gw.pool().sim("vendor").expect("sim");
    for t in &tpdus {
        sim.inject_pdu(t).await.expect("inject");
    }
    // Read with AT+CMMSRDPUSH and stored; the SIM800 has no receive flow
    // in gsmq yet, so the MM1 task fetches it.
    let m = bob.json_on("gsmq/inbox/mms").await;
    check_inbox(&m, dir.path(), &want);
    assert_eq!(fake.fetched().len(), 1);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ec25_retrieves_and_acknowledges_through_the_mms_proxy() {
    // The MMSC's host does not resolve: only the proxy reaches it.
    let fake = FakeMmsc::start(FakeOptions {
        public_host: Some("mmsc.operator.example.invalid".into()),
    })
    .await
    .expect("fake");
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_with(
        dir.path(),
        "ec25",
        &fake.url(),
        &format!("proxy = {:?}", fake.proxy_url()),
    );
    let gw = start_with(cfg).await;
    let mut bob = Client::connect(gw.mqtt_addr(), "bob", &["gsmq/inbox/mms"]).await;
    let want = parts();
    let tpdus = fake
        .create_inbound_sms(
            "T-in-proxy",
            "+4917099999/TYPE=PLMN",
            VENDOR_NUMBER,
            Some("Photos"),
            1_780_000_000,
            want.clone(),
            &mmsc_sms(),
        )
        .expect("push");
    let sim = gw.pool().sim("vendor").expect("sim");
    for t in &tpdus {
        sim.inject_pdu(t).await.expect("inject");
    }
    let m = bob.json_on("gsmq/inbox/mms").await;
    check_inbox(&m, dir.path(), &want);
    let acks = fake.notify_responses();
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].transaction_id(), Some("T-in-proxy"));
    // Both requests went to the proxy in absolute form.
    let logged = fake.requests();
    assert!(
        logged.iter().all(|r| r
            .target
            .starts_with("http://mmsc.operator.example.invalid/")),
        "{logged:?}"
    );
    assert_eq!(logged.len(), 2, "{logged:?}");
    gw.shutdown().await;
}
