//! docs/asyncapi.yaml, docs/schemas/*.json and docs/api.md against the code:
//! every topic and field the code serves is documented, and nothing is
//! documented that the code does not serve.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use gsmq::api::{
    self, payload::BulkItem, request, topics, ErrorCode, GatewayStatus, InboxMessage, MessageState,
    ModemState, ModemStatus, Registration, Reply, RequestKind, StatusEvent,
};
use serde_json::Value;

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")
}

fn asyncapi() -> serde_yaml::Value {
    let text = std::fs::read_to_string(docs().join("asyncapi.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn schema(file: &str) -> Value {
    let text = std::fs::read_to_string(docs().join("schemas").join(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn set<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> BTreeSet<String> {
    items.into_iter().map(Into::into).collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn properties(schema: &Value) -> BTreeSet<String> {
    keys(&schema["properties"])
}

fn required(schema: &Value) -> BTreeSet<String> {
    schema["required"]
        .as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn enum_of(v: &Value) -> BTreeSet<String> {
    v["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("no enum in {v}"))
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// The schema file of the payload published on the channel with `address`.
fn payload_file_of(doc: &serde_yaml::Value, address: &str) -> String {
    let channels = doc["channels"].as_mapping().unwrap();
    let channel = channels
        .values()
        .find(|c| c["address"].as_str() == Some(address))
        .unwrap_or_else(|| panic!("no channel has address {address}"));
    let messages = channel["messages"].as_mapping().unwrap();
    assert_eq!(messages.len(), 1, "{address}: one message per channel");
    let reference = messages.values().next().unwrap()["$ref"].as_str().unwrap();
    let name = reference.strip_prefix("#/components/messages/").unwrap();
    let payload = doc["components"]["messages"][name]["payload"]["$ref"]
        .as_str()
        .unwrap_or_else(|| panic!("message {name} has no payload $ref"));
    payload.strip_prefix("./schemas/").unwrap().to_string()
}

#[test]
fn every_topic_the_code_uses_is_a_channel_and_vice_versa() {
    let doc = asyncapi();
    let documented = set(doc["channels"]
        .as_mapping()
        .unwrap()
        .values()
        .map(|c| c["address"].as_str().unwrap().to_string()));
    assert_eq!(documented, set(topics::TEMPLATES.iter().copied()));
}

#[test]
fn every_request_schema_lists_exactly_the_fields_the_parser_accepts() {
    let doc = asyncapi();
    for kind in RequestKind::ALL {
        let file = payload_file_of(&doc, kind.template());
        let s = schema(&file);
        assert_eq!(
            properties(&s),
            set(request::fields(kind).iter().copied()),
            "{file}"
        );
        assert_eq!(s["additionalProperties"], Value::Bool(false), "{file}");
    }
}

fn full_reply() -> Reply {
    Reply {
        id: Some("k".into()),
        ok: false,
        message_id: Some(1),
        parts: Some(1),
        encoding: Some("gsm7".into()),
        duplicate: true,
        messages: Some(vec![full_bulk()]),
        state: Some(MessageState::Queued),
        modem: Some("m".into()),
        response: Some("r".into()),
        session_open: Some(false),
        replayed: Some(1),
        last_seq: Some(1),
        more: Some(false),
        error: Some(full_error()),
    }
}

fn full_bulk() -> BulkItem {
    BulkItem {
        to: "12345".into(),
        message_id: 1,
        parts: 1,
        duplicate: true,
    }
}

fn full_error() -> api::Error {
    api::Error::new(ErrorCode::RateLimited, "m")
        .with_field("to")
        .with_retry_after(std::time::Duration::from_millis(5))
}

fn status_event() -> StatusEvent {
    StatusEvent {
        seq: 1,
        message_id: 1,
        id: None,
        to: "12345".into(),
        state: MessageState::Sent,
        parts_sent: 1,
        parts_total: 1,
        modem: None,
        reason: None,
        at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

fn inbox_message() -> InboxMessage {
    InboxMessage {
        seq: 1,
        message_id: 1,
        from: "+4917112345".into(),
        modem: "m".into(),
        text: "t".into(),
        encoding: "gsm7".into(),
        received_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        sent_at: None,
        parts: 1,
        complete: true,
    }
}

fn modem_state() -> ModemState {
    ModemState {
        state: ModemStatus::Ready,
        signal_dbm: None,
        registration: Some(Registration::Home),
        operator: None,
        imei: None,
        iccid: None,
        queue: 0,
    }
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

#[test]
fn the_reply_schema_matches_the_reply_struct() {
    let doc = asyncapi();
    let file = payload_file_of(&doc, topics::REPLY);
    let s = schema(&file);
    assert_eq!(properties(&s), keys(&json(&full_reply())));
    assert_eq!(required(&s), keys(&json(&Reply::ok(None))));
    let bulk = &s["$defs"]["bulk_item"];
    assert_eq!(properties(bulk), keys(&json(&full_bulk())));
    let minimal_bulk = BulkItem {
        duplicate: false,
        ..full_bulk()
    };
    assert_eq!(required(bulk), keys(&json(&minimal_bulk)));
    assert_eq!(
        enum_of(&s["properties"]["state"]),
        set(MessageState::ALL.map(MessageState::as_str))
    );
    let error = schema(s["properties"]["error"]["$ref"].as_str().unwrap());
    assert_eq!(properties(&error), keys(&json(&full_error())));
    assert_eq!(
        required(&error),
        keys(&json(&api::Error::new(ErrorCode::EmptyText, "m")))
    );
    assert_eq!(
        enum_of(&error["properties"]["code"]),
        set(ErrorCode::ALL.map(ErrorCode::as_str))
    );
}

#[test]
fn the_event_schemas_match_the_event_structs() {
    let doc = asyncapi();
    let cases: [(&str, Value); 4] = [
        (topics::STATUS, json(&status_event())),
        (topics::INBOX, json(&inbox_message())),
        (topics::USER_INBOX, json(&inbox_message())),
        (topics::MODEM_STATE, json(&modem_state())),
    ];
    for (address, example) in cases {
        let file = payload_file_of(&doc, address);
        let s = schema(&file);
        assert_eq!(properties(&s), keys(&example), "{file}");
        assert_eq!(required(&s), keys(&example), "{file}");
        assert_eq!(s["additionalProperties"], Value::Bool(false), "{file}");
    }
    let status = schema(&payload_file_of(&doc, topics::STATUS));
    assert_eq!(
        enum_of(&status["properties"]["state"]),
        set(MessageState::ALL.map(MessageState::as_str))
    );
}

#[test]
fn the_gateway_status_schema_lists_both_payloads() {
    let doc = asyncapi();
    let s = schema(&payload_file_of(&doc, topics::GATEWAY_STATUS));
    let code = set([GatewayStatus::Online, GatewayStatus::Offline]
        .map(|g| String::from_utf8(g.as_bytes().to_vec()).unwrap()));
    assert_eq!(enum_of(&s), code);
}

#[test]
fn every_schema_file_is_used_by_the_asyncapi_document() {
    let doc = asyncapi();
    let mut used: BTreeSet<String> = topics::TEMPLATES
        .iter()
        .map(|t| payload_file_of(&doc, t))
        .collect();
    used.insert("error.json".into());
    let files = set(std::fs::read_dir(docs().join("schemas"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap()));
    assert_eq!(files, used);
}

#[test]
fn the_people_doc_names_every_topic_field_and_error_code() {
    let text = std::fs::read_to_string(docs().join("api.md")).unwrap();
    for t in topics::TEMPLATES {
        assert!(text.contains(&format!("`{t}`")), "api.md lacks topic {t}");
    }
    for code in ErrorCode::ALL {
        assert!(
            text.contains(&format!("`{}`", code.as_str())),
            "api.md lacks error code {code}"
        );
    }
    for kind in RequestKind::ALL {
        for field in request::fields(kind) {
            assert!(
                text.contains(&format!("`{field}`")),
                "api.md lacks field {field}"
            );
        }
    }
    for v in [
        json(&full_reply()),
        json(&status_event()),
        json(&inbox_message()),
        json(&modem_state()),
    ] {
        for field in keys(&v) {
            assert!(
                text.contains(&format!("`{field}`")),
                "api.md lacks field {field}"
            );
        }
    }
}
