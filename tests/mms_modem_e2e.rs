//! MMS end to end through the modems' own MMS clients (`[mms] transport =
//! "modem"`): the whole gateway in-process with a simulated SIMCom SIM7600
//! (`AT+CMMS*`) or Quectel EC25 (`AT+QMMS*`) next to a generic modem that
//! has no MMS flow. A picture MMS sent over MQTT must be sent by the vendor
//! modem, reach the fake MMSC byte for byte and end `sent`; an SMS sent at
//! the same time through the same modem must still arrive. An MMS the MMSC
//! refuses ends `failed` with the modem's report and is not sent again. An
//! MMS routed to one modem (`modem`) is sent by that modem only.

mod api_support;
mod mms_support;

use std::path::Path;
use std::time::Duration;

use api_support::hash;
use base64::Engine as _;
use gsmq::config::Config;
use gsmq::gateway::Gateway;
use gsmq::mmsc::fake::{Behaviour, FakeMmsc, FakeOptions};
use mms_support::{picture, start_gateway, Client};
use serde_json::{json, Value};

const VENDOR_NUMBER: &str = "+15550000001";
const OTHER_NUMBER: &str = "+15550000002";

fn config(dir: &Path, personality: &str, mmsc_url: &str) -> Config {
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
name = "vendor"
port = "sim:{personality}"
sim_number = "{VENDOR_NUMBER}"
sim_timing = "fast"
[[modem]]
name = "plain"
port = "sim:generic"
sim_number = "{OTHER_NUMBER}"
sim_timing = "fast"
[mms]
mmsc_url = {mmsc_url:?}
transport = "modem"
apn = "mms"
"#,
        dir = dir.display()
    );
    Config::parse(&text, Path::new("test.toml")).expect("config")
}

async fn start(dir: &Path, personality: &str, mmsc_url: &str) -> Gateway {
    start_gateway(config(dir, personality, mmsc_url), &["vendor", "plain"]).await
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Sends a picture MMS and an SMS (pinned to the vendor modem) at once and
/// checks both arrive, the MMS at the MMSC byte for byte.
async fn picture_and_sms_through(personality: &str) {
    let fake = FakeMmsc::start(FakeOptions::default()).await.expect("fake");
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), personality, &fake.url()).await;
    let mut alice = Client::connect(
        gw.mqtt_addr(),
        "alice",
        &["gsmq/alice/reply", "gsmq/alice/mms/status"],
    )
    .await;
    let mut bob = Client::connect(gw.mqtt_addr(), "bob", &["gsmq/inbox/sms"]).await;

    let jpeg = picture(6_000, 3);
    let mms = json!({
        "id": "pic-1",
        "to": "+49 170 1234 5678",
        "subject": "Holiday",
        "text": "Greetings from the beach",
        "attachments": [{"content_type": "image/jpeg", "name": "beach.jpg", "data_base64": b64(&jpeg)}],
    });
    let sms =
        json!({"id": "sms-1", "to": OTHER_NUMBER, "modem": "vendor", "text": "meanwhile, an SMS"});
    alice.publish("gsmq/alice/mms/send", mms.to_string()).await;
    alice.publish("gsmq/alice/sms/send", sms.to_string()).await;
    for _ in 0..2 {
        let reply = alice.json_on("gsmq/alice/reply").await;
        assert_eq!(reply["ok"], true, "{reply}");
    }

    let queued = alice.json_on("gsmq/alice/mms/status").await;
    assert_eq!(queued["state"], "queued", "{queued}");
    let sent = alice.json_on("gsmq/alice/mms/status").await;
    assert_eq!(sent["state"], "sent", "{sent}");
    assert_eq!(sent["id"], "pic-1");
    assert_eq!(sent["to"], json!(["+4917012345678"]));
    // Sent by the modem, not over MM1: the completion URC names no Message-ID.
    assert_eq!(sent["mmsc_message_id"], Value::Null, "{sent}");

    let subs = fake.submissions();
    assert_eq!(subs.len(), 1, "submitted exactly once");
    let pdu = &subs[0].pdu;
    assert_eq!(pdu.to(), vec!["+4917012345678"]);
    assert_eq!(pdu.subject(), Some("Holiday"));
    let parts = pdu.parts();
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[0].content_type.media, "text/plain");
    assert_eq!(parts[0].data, b"Greetings from the beach");
    assert_eq!(parts[1].content_type.media, "image/jpeg");
    assert_eq!(parts[1].data, jpeg, "picture bytes");

    let inbox = bob.json_on("gsmq/inbox/sms").await;
    assert_eq!(inbox["text"], "meanwhile, an SMS", "{inbox}");
    assert_eq!(inbox["from"], VENDOR_NUMBER);
    assert_eq!(inbox["modem"], "plain");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sim7600_sends_a_picture_mms_from_mqtt_to_the_mmsc_while_an_sms_still_arrives() {
    picture_and_sms_through("sim7600").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sim800_sends_a_picture_mms_with_its_blocking_flow_and_the_sms_still_arrives() {
    picture_and_sms_through("sim800").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ec25_sends_a_picture_mms_from_mqtt_to_the_mmsc_while_an_sms_still_arrives() {
    picture_and_sms_through("ec25").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mms_the_mmsc_refuses_through_an_ec25_ends_failed_with_the_modem_report() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.expect("fake");
    fake.set_behaviour(Behaviour::Reject(gsmq::mms::response::ERROR_SERVICE_DENIED));
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "ec25", &fake.url()).await;
    let mut alice = Client::connect(
        gw.mqtt_addr(),
        "alice",
        &["gsmq/alice/reply", "gsmq/alice/mms/status"],
    )
    .await;
    let mms = json!({"id": "no-1", "to": "+4917012345678", "text": "refused"});
    alice.publish("gsmq/alice/mms/send", mms.to_string()).await;
    let reply = alice.json_on("gsmq/alice/reply").await;
    assert_eq!(reply["ok"], true, "{reply}");
    let message_id = reply["message_id"].as_i64().expect("message_id");
    assert_eq!(
        alice.json_on("gsmq/alice/mms/status").await["state"],
        "queued"
    );
    let failed = alice.json_on("gsmq/alice/mms/status").await;
    assert_eq!(failed["state"], "failed", "{failed}");
    let reason = failed["reason"].as_str().expect("reason");
    assert!(reason.contains("+QMMSEND"), "{reason}");
    // Not leased again: still failed a while later, nothing stored.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let m = gw.store().mms(message_id).await.unwrap().expect("stored");
    assert_eq!(m.state.as_str(), "failed");
    assert!(fake.submissions().is_empty());
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mms_routed_to_a_modem_is_sent_only_by_that_modem() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.expect("fake");
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "ec25", &fake.url()).await;
    let mut alice = Client::connect(
        gw.mqtt_addr(),
        "alice",
        &["gsmq/alice/reply", "gsmq/alice/mms/status"],
    )
    .await;
    // Pinned to the generic modem, which has no MMS client: the EC25 must
    // leave it alone, so it stays queued.
    let pinned =
        json!({"id": "r-plain", "to": "+4917012345678", "text": "via plain", "modem": "plain"});
    alice
        .publish("gsmq/alice/mms/send", pinned.to_string())
        .await;
    let reply = alice.json_on("gsmq/alice/reply").await;
    assert_eq!(reply["ok"], true, "{reply}");
    let plain_id = reply["message_id"].as_i64().expect("message_id");
    // Pinned to the EC25: sent.
    let vendor =
        json!({"id": "r-vendor", "to": "+4917012345678", "text": "via vendor", "modem": "vendor"});
    alice
        .publish("gsmq/alice/mms/send", vendor.to_string())
        .await;
    assert_eq!(alice.json_on("gsmq/alice/reply").await["ok"], true);
    let mut states = Vec::new();
    while states.len() < 3 {
        let ev = alice.json_on("gsmq/alice/mms/status").await;
        states.push((
            ev["id"].as_str().unwrap().to_owned(),
            ev["state"].as_str().unwrap().to_owned(),
        ));
    }
    assert!(
        states.contains(&("r-vendor".into(), "sent".into())),
        "{states:?}"
    );
    assert!(
        !states.contains(&("r-plain".into(), "sent".into())),
        "{states:?}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let m = gw.store().mms(plain_id).await.unwrap().expect("stored");
    assert_eq!(m.state.as_str(), "queued");
    let subs = fake.submissions();
    assert_eq!(subs.len(), 1, "only the MMS routed to the EC25 was sent");
    assert_eq!(subs[0].pdu.parts()[0].data, b"via vendor");
    // A name that is no modem and no tag leaves no eligible modem, as for SMS.
    let bad = json!({"id": "r-bad", "to": "+4917012345678", "text": "x", "modem": "nope"});
    alice.publish("gsmq/alice/mms/send", bad.to_string()).await;
    let reply = alice.json_on("gsmq/alice/reply").await;
    assert_eq!(reply["ok"], false, "{reply}");
    assert_eq!(reply["error"]["code"], "invalid_recipient", "{reply}");
    gw.shutdown().await;
}
