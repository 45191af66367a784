//! MMS end to end over MM1: the whole gateway in-process (broker, store,
//! API service, a simulated modem, the MMS task) against the fake MMSC.
//! A picture MMS sent over MQTT must reach the MMSC byte for byte and end
//! `delivered` through a delivery-report WAP push; an inbound MMS announced
//! by a (concatenated) WAP-push SMS on the simulated modem must reach
//! `gsmq/inbox/mms` with every part's bytes intact, inline or spooled.

mod api_support;
mod mms_support;

use std::path::Path;
use std::time::Duration;

use api_support::hash;
use base64::Engine as _;
use gsmq::config::Config;
use gsmq::gateway::Gateway;
use gsmq::mms::{self, ContentType, Part};
use gsmq::mmsc::fake::{Behaviour, FakeMmsc, FakeOptions};
use gsmq::pdu;
use mms_support::{picture, start_gateway, Client};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const MODEM_NUMBER: &str = "+15550000001";
/// Received parts above this many bytes are spooled.
const INLINE_MAX: usize = 4096;

fn config(dir: &Path, mms: &str) -> Config {
    let h = hash(api_support::PASSWORD);
    let text = format!(
        r#"
[broker]
listen = "127.0.0.1:0"
max_packet_size = 1048576
[storage]
path = "{dir}"
[[user]]
name = "alice"
password_hash = "{h}"
permissions = ["send"]
[[user]]
name = "bob"
password_hash = "{h}"
permissions = ["inbox"]
[[modem]]
name = "m1"
port = "sim:generic"
sim_number = "{MODEM_NUMBER}"
sim_timing = "fast"
[mms]
inline_max_bytes = {INLINE_MAX}
{mms}
"#,
        dir = dir.display()
    );
    Config::parse(&text, Path::new("test.toml")).expect("config")
}

async fn start(dir: &Path, mms: &str) -> Gateway {
    start_gateway(config(dir, mms), &["m1"]).await
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

async fn inject(gw: &Gateway, tpdus: &[Vec<u8>]) {
    let sim = gw.pool().sim("m1").expect("sim");
    for t in tpdus {
        sim.inject_pdu(t).await.expect("inject");
    }
}

fn mmsc_sms(from: &str) -> pdu::DeliverOptions {
    pdu::DeliverOptions {
        from: from.into(),
        reference: 0x42,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_mms_sent_over_mqtt_reaches_the_mmsc_byte_for_byte_and_ends_delivered() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.expect("fake");
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), &format!("mmsc_url = {:?}", fake.url())).await;
    let prefix = "gsmq";
    let mut alice = Client::connect(
        gw.mqtt_addr(),
        "alice",
        &[
            format!("{prefix}/alice/reply"),
            format!("{prefix}/alice/mms/status"),
        ],
    )
    .await;

    let jpeg = picture(20_000, 1);
    let request = json!({
        "id": "pic-1",
        "to": "+49 170 1234 5678",
        "subject": "Holiday",
        "text": "Greetings from the beach",
        "attachments": [{"content_type": "image/jpeg", "name": "beach.jpg", "data_base64": b64(&jpeg)}],
    });
    alice
        .publish(&format!("{prefix}/alice/mms/send"), request.to_string())
        .await;
    let reply = alice.json_on(&format!("{prefix}/alice/reply")).await;
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["id"], "pic-1");
    let message_id = reply["message_id"].as_i64().expect("message_id");
    // The reply came after commit.
    assert!(gw.store().mms(message_id).await.unwrap().is_some());

    let status = format!("{prefix}/alice/mms/status");
    let queued = alice.json_on(&status).await;
    assert_eq!(
        (queued["message_id"].as_i64(), &queued["state"]),
        (Some(message_id), &json!("queued"))
    );
    assert_eq!(queued["to"], json!(["+4917012345678"]));
    let sent = alice.json_on(&status).await;
    assert_eq!(sent["state"], "sent", "{sent}");
    assert_eq!(sent["id"], "pic-1");
    let mmsc_id = sent["mmsc_message_id"]
        .as_str()
        .expect("mmsc id")
        .to_owned();

    let subs = fake.submissions();
    assert_eq!(subs.len(), 1, "submitted exactly once");
    let pdu = &subs[0].pdu;
    assert_eq!(subs[0].message_id, mmsc_id);
    assert_eq!(pdu.to(), vec!["+4917012345678"]);
    assert_eq!(pdu.subject(), Some("Holiday"));
    assert!(pdu.transaction_id().is_some_and(|t| t.starts_with("gsmq-")));
    let parts = pdu.parts();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].content_type.media, "text/plain");
    assert_eq!(parts[0].data, b"Greetings from the beach");
    assert_eq!(parts[1].content_type.media, "image/jpeg");
    assert_eq!(parts[1].content_location(), Some("beach.jpg"));
    assert_eq!(parts[1].data, jpeg, "picture bytes");

    // The MMSC reports delivery with a WAP push to the sender's modem.
    let tpdus = fake
        .delivery_ind_sms(
            &mmsc_id,
            "+4917012345678",
            mms::status::RETRIEVED,
            1_780_000_000,
            &mmsc_sms("+491760000000"),
        )
        .expect("delivery push");
    inject(&gw, &tpdus).await;
    let delivered = alice.json_on(&status).await;
    assert_eq!(delivered["state"], "delivered", "{delivered}");
    assert_eq!(delivered["message_id"].as_i64(), Some(message_id));

    // A repeated request is answered as a duplicate and sends nothing.
    alice
        .publish(&format!("{prefix}/alice/mms/send"), request.to_string())
        .await;
    let again = alice.json_on(&format!("{prefix}/alice/reply")).await;
    assert_eq!(
        (again["ok"].as_bool(), again["duplicate"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(again["message_id"].as_i64(), Some(message_id));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.submissions().len(), 1);
    // The push was an MMS report, not a text message.
    let sms_inbox = gw
        .store()
        .events_after(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.kind, gsmq::store::EventKind::InboundComplete(_)))
        .count();
    assert_eq!(sms_inbox, 0);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbound_mms_from_a_concatenated_wap_push_reaches_the_inbox_with_every_part_checked() {
    // Through the fake as MMS proxy: its public host does not resolve, and
    // the long host name makes the notification need two SMS.
    let fake = FakeMmsc::start(FakeOptions {
        public_host: Some("mms-retrieval.a-rather-long-operator-host-name.example.invalid".into()),
    })
    .await
    .expect("fake");
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let gw = start(
        dir.path(),
        &format!(
            "mmsc_url = {:?}\nproxy = {:?}\nspool = {:?}",
            fake.url(),
            fake.proxy_url(),
            spool.display().to_string()
        ),
    )
    .await;
    let mut bob = Client::connect(gw.mqtt_addr(), "bob", &["gsmq/inbox/mms".to_string()]).await;

    let big = picture(30_000, 2);
    let small = picture(700, 3);
    let smil = "<smil><body><par><img src=\"big.jpg\"/><text src=\"t.txt\"/></par></body></smil>";
    let sent_parts = vec![
        Part::smil("smil", smil),
        Part::text("t", "t.txt", "Schöne Grüße"),
        Part::new(
            ContentType::new("image/jpeg"),
            "big",
            "big.jpg",
            big.clone(),
        ),
        Part::new(
            ContentType::new("image/png"),
            "small",
            "small.png",
            small.clone(),
        ),
    ];
    let tpdus = fake
        .create_inbound_sms(
            "T-in-1",
            "+4917099999",
            MODEM_NUMBER,
            Some("Photos"),
            1_780_000_000,
            sent_parts.clone(),
            &mmsc_sms("+491760000000"),
        )
        .expect("push");
    assert!(tpdus.len() >= 2, "the push is concatenated");
    let mut reversed = tpdus.clone();
    reversed.reverse();
    inject(&gw, &reversed).await;

    let m = bob.json_on("gsmq/inbox/mms").await;
    assert_eq!(m["from"], "+4917099999", "{m}");
    assert_eq!(m["to"], json!([MODEM_NUMBER]));
    assert_eq!(m["modem"], "m1");
    assert_eq!(m["subject"], "Photos");
    assert_eq!(m["sent_at"], "2026-05-28T20:26:40Z");
    let parts = m["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), sent_parts.len());
    for (got, want) in parts.iter().zip(&sent_parts) {
        let bytes = part_bytes(got);
        assert_eq!(bytes, want.data, "bytes of {}", got["name"]);
        assert_eq!(got["size"].as_u64(), Some(want.data.len() as u64));
        assert_eq!(got["sha256"], hex::encode(Sha256::digest(&want.data)));
        assert_eq!(got["name"].as_str(), want.content_location());
        let spooled = want.data.len() > INLINE_MAX;
        assert_eq!(got.get("path").is_some(), spooled, "{got}");
        assert_eq!(got.get("data_base64").is_some(), !spooled, "{got}");
        if spooled {
            assert!(Path::new(got["path"].as_str().unwrap()).starts_with(&spool));
        }
    }
    // The MMSC was told the message was retrieved, once.
    let acks = fake.notify_responses();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].transaction_id(), Some("T-in-1"));
    assert_eq!(acks[0].status(), Some(mms::status::RETRIEVED));
    assert_eq!(fake.fetched().len(), 1);
    // Re-delivered push SMS (a modem re-reading its storage) change nothing.
    inject(&gw, &tpdus).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fake.fetched().len(), 1);
    gw.shutdown().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_with_an_unknown_outcome_is_reported_and_not_sent_again() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.expect("fake");
    // The proxy gave up waiting for the MMSC, which stored the message.
    fake.set_behaviour(Behaviour::HttpStatus(504));
    let dir = tempfile::tempdir().unwrap();
    let gw = start(
        dir.path(),
        &format!("mmsc_url = {:?}\nmax_message_bytes = 1500", fake.url()),
    )
    .await;
    let mut alice = Client::connect(
        gw.mqtt_addr(),
        "alice",
        &["gsmq/alice/reply", "gsmq/alice/mms/status"],
    )
    .await;
    alice
        .publish(
            "gsmq/alice/mms/send",
            json!({"to": "+4917012345678", "text": "once only"}).to_string(),
        )
        .await;
    assert_eq!(alice.json_on("gsmq/alice/reply").await["ok"], true);
    assert_eq!(
        alice.json_on("gsmq/alice/mms/status").await["state"],
        "queued"
    );
    let unknown = alice.json_on("gsmq/alice/mms/status").await;
    assert_eq!(unknown["state"], "unknown", "{unknown}");
    assert!(
        unknown["reason"].as_str().unwrap().contains("504"),
        "{unknown}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fake.submissions().len(), 1, "not re-sent");

    // After a reconnect the MMS status events can be replayed.
    alice
        .publish(
            "gsmq/alice/events/replay",
            json!({"id": "r1", "after": 0}).to_string(),
        )
        .await;
    let replayed: Vec<Value> = vec![
        alice.json_on("gsmq/alice/mms/status").await,
        alice.json_on("gsmq/alice/mms/status").await,
    ];
    assert_eq!(
        replayed
            .iter()
            .map(|e| e["state"].clone())
            .collect::<Vec<_>>(),
        vec![json!("queued"), json!("unknown")]
    );
    let reply = alice.json_on("gsmq/alice/reply").await;
    assert_eq!(
        (reply["id"].as_str(), reply["replayed"].as_u64()),
        (Some("r1"), Some(2))
    );

    // Too large for [mms] max_message_bytes: refused before anything is stored.
    alice
        .publish(
            "gsmq/alice/mms/send",
            json!({"to": "+4917012345678", "attachments": [
                {"content_type": "video/mp4", "data_base64": b64(&picture(2_000, 4))}
            ]})
            .to_string(),
        )
        .await;
    let refused = alice.json_on("gsmq/alice/reply").await;
    assert_eq!(refused["error"]["code"], "too_long", "{refused}");
    gw.shutdown().await;
}
