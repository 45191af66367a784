//! docs/schemas for the MMS payloads against the code: the status and inbox
//! events list exactly the fields gsmq publishes, the attachment entry
//! exactly the fields the parser accepts, and docs/api.md names them all.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use gsmq::api::mms::{MmsInboxMessage, MmsInboxPart, MmsState, MmsStatusEvent, ATTACHMENT_FIELDS};
use serde_json::Value;

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")
}

fn schema(file: &str) -> Value {
    let text = std::fs::read_to_string(docs().join("schemas").join(file)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn strings(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    k.sort();
    k
}

fn status_event() -> MmsStatusEvent {
    MmsStatusEvent {
        seq: 1,
        message_id: 2,
        id: None,
        to: vec!["+4917012345".into()],
        state: MmsState::Sent,
        mmsc_message_id: None,
        reason: None,
        at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

fn part(full: bool) -> MmsInboxPart {
    MmsInboxPart {
        content_type: "image/png".into(),
        name: full.then(|| "a.png".into()),
        content_id: full.then(|| "<a>".into()),
        size: 1,
        sha256: "00".repeat(32),
        data_base64: full.then(|| "AA==".into()),
        path: full.then(|| "/spool/a.png".into()),
    }
}

fn inbox_message() -> MmsInboxMessage {
    MmsInboxMessage {
        seq: 1,
        message_id: 1,
        from: "+4917099999".into(),
        to: vec![],
        modem: "m1".into(),
        subject: None,
        sent_at: None,
        received_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        parts: vec![part(true)],
    }
}

#[test]
fn the_mms_status_schema_matches_the_status_event() {
    let s = schema("mms-status-event.json");
    let example = serde_json::to_value(status_event()).unwrap();
    assert_eq!(keys(&s["properties"]), keys(&example));
    assert_eq!(strings(&s["required"]), keys(&example));
    assert_eq!(s["additionalProperties"], Value::Bool(false));
    let mut states: Vec<String> = MmsState::ALL
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    states.sort();
    assert_eq!(strings(&s["properties"]["state"]["enum"]), states);
}

#[test]
fn the_mms_inbox_schema_matches_the_inbox_message_and_its_parts() {
    let s = schema("mms-inbox-message.json");
    let example = serde_json::to_value(inbox_message()).unwrap();
    assert_eq!(keys(&s["properties"]), keys(&example));
    assert_eq!(strings(&s["required"]), keys(&example));
    let p = &s["$defs"]["part"];
    assert_eq!(
        keys(&p["properties"]),
        keys(&serde_json::to_value(part(true)).unwrap())
    );
    assert_eq!(
        strings(&p["required"]),
        keys(&serde_json::to_value(part(false)).unwrap())
    );
}

#[test]
fn the_attachment_schema_lists_exactly_the_fields_the_parser_accepts() {
    let s = schema("mms-send-request.json");
    let a = &s["properties"]["attachments"]["items"];
    let mut fields: Vec<String> = ATTACHMENT_FIELDS.iter().map(|f| f.to_string()).collect();
    fields.sort();
    assert_eq!(keys(&a["properties"]), fields);
    assert_eq!(a["additionalProperties"], Value::Bool(false));
}

#[test]
fn the_people_doc_names_every_mms_field() {
    let text = std::fs::read_to_string(docs().join("api.md")).unwrap();
    let mut fields = keys(&serde_json::to_value(status_event()).unwrap());
    fields.extend(keys(&serde_json::to_value(inbox_message()).unwrap()));
    fields.extend(keys(&serde_json::to_value(part(true)).unwrap()));
    fields.extend(ATTACHMENT_FIELDS.iter().map(|f| f.to_string()));
    for f in fields {
        assert!(text.contains(&format!("`{f}`")), "api.md lacks field {f}");
    }
}
