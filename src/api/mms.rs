//! The MMS part of the API: the `mms/send` request (parsing, validation,
//! encoding into an m-send-req), the `mms/status` event and the inbound
//! MMS published on `{prefix}/inbox/mms`. Sans-IO.
//!
//! Guarantees: any payload ends in a validated [`MmsSendRequest`] or an
//! error naming the field; an MMS larger than `[mms] max_message_bytes`
//! (encoded) is refused as `too_long` before anything is stored; nothing
//! here panics or reads a clock.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::request::{normalise_recipient, Error as RequestError, Result as RequestResult};
use super::{Error, ErrorCode};
use crate::mms::{ContentType, Param, Part, Pdu};

/// Fields of `{prefix}/{user}/mms/send`.
pub const MMS_SEND_FIELDS: &[&str] = &["id", "to", "modem", "subject", "text", "attachments"];
/// Fields of one entry of `attachments`.
pub const ATTACHMENT_FIELDS: &[&str] = &["content_type", "name", "data_base64"];
/// Most recipients of one MMS.
pub const MAX_MMS_RECIPIENTS: usize = 20;
/// Most attachments of one MMS.
pub const MAX_ATTACHMENTS: usize = 32;
/// Longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Transaction id written when the request is stored; the sender replaces it.
pub const PENDING_TRANSACTION_ID: &str = "gsmq-pending";

/// One attachment of an MMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Media type, e.g. `image/jpeg`.
    pub content_type: String,
    /// File name (Content-Location), e.g. `photo.jpg`.
    pub name: String,
    pub data: Vec<u8>,
}

/// A validated `mms/send` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MmsSendRequest {
    /// Idempotency key.
    pub id: Option<String>,
    /// Normalised recipients, all of one MMS.
    pub to: Vec<String>,
    pub subject: Option<String>,
    pub text: Option<String>,
    pub attachments: Vec<Attachment>,
    /// The modem (name or tag) that must send it when modems send MMS
    /// (`[mms] transport = "modem"`); resolved like SMS `modem`.
    pub modem: Option<String>,
}

fn field(field: &'static str, expected: &'static str) -> RequestError {
    RequestError::Field { field, expected }
}

/// Parses the body of an `mms/send` request (fields already checked
/// against [`MMS_SEND_FIELDS`]).
pub(crate) fn parse_send(
    map: &Map<String, Value>,
    id: Option<String>,
) -> RequestResult<MmsSendRequest> {
    let get = |f: &str| map.get(f).filter(|v| !v.is_null());
    let to = match get("to") {
        None => return Err(RequestError::Missing("to")),
        Some(Value::String(s)) => {
            vec![normalise_recipient(s).ok_or(RequestError::Recipient { index: 0 })?]
        }
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_MMS_RECIPIENTS => {
            let mut to = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let n = item
                    .as_str()
                    .and_then(normalise_recipient)
                    .ok_or(RequestError::Recipient { index })?;
                to.push(n);
            }
            to
        }
        Some(_) => {
            return Err(field(
                "to",
                "a phone number or an array of 1 to 20 phone numbers",
            ))
        }
    };
    let subject = match get("subject") {
        None => None,
        Some(Value::String(s)) if s.chars().count() <= MAX_SUBJECT_CHARS => Some(s.clone()),
        Some(_) => return Err(field("subject", "a string of at most 200 characters")),
    };
    let text = match get("text") {
        None => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(field("text", "a string")),
    };
    const ATTACHMENTS: &str =
        "an array of at most 32 objects {content_type, name, data_base64} with a type/subtype content_type and base64 data";
    let attachments = match get("attachments") {
        None => Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_ATTACHMENTS => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(attachment(item).ok_or(field("attachments", ATTACHMENTS))?);
            }
            out
        }
        Some(_) => return Err(field("attachments", ATTACHMENTS)),
    };
    if text.is_none() && attachments.is_empty() {
        return Err(RequestError::EmptyText);
    }
    const MODEM: &str = "a modem name or tag";
    let modem = match get("modem") {
        None => None,
        Some(Value::String(s))
            if !s.is_empty() && s.len() <= 128 && !s.contains(['/', '+', '#']) =>
        {
            Some(s.clone())
        }
        Some(_) => return Err(field("modem", MODEM)),
    };
    Ok(MmsSendRequest {
        id,
        to,
        subject,
        text,
        attachments,
        modem,
    })
}

fn attachment(v: &Value) -> Option<Attachment> {
    let o = v.as_object()?;
    if o.keys().any(|k| !ATTACHMENT_FIELDS.contains(&k.as_str())) {
        return None;
    }
    let content_type = o.get("content_type")?.as_str()?;
    let media_ok = content_type.split_once('/').is_some_and(|(a, b)| {
        let token = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&c))
        };
        token(a) && token(b)
    });
    if !media_ok {
        return None;
    }
    let name = match o.get("name") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s))
            if s.len() <= 128 && s.bytes().all(|c| c.is_ascii_graphic() || c == b' ') =>
        {
            s.clone()
        }
        Some(_) => return None,
    };
    let data = base64::engine::general_purpose::STANDARD
        .decode(o.get("data_base64")?.as_str()?)
        .ok()?;
    Some(Attachment {
        content_type: content_type.to_ascii_lowercase(),
        name,
        data,
    })
}

/// The MMS parts of a request: the text first (UTF-8 text/plain), then the
/// attachments in order.
pub fn parts(r: &MmsSendRequest) -> Vec<Part> {
    let mut parts = Vec::with_capacity(r.attachments.len() + 1);
    if let Some(t) = &r.text {
        parts.push(Part::text("text", "text.txt", t));
    }
    for (i, a) in r.attachments.iter().enumerate() {
        let mut ct = ContentType::new(&a.content_type);
        let name = if a.name.is_empty() {
            format!("part{i}")
        } else {
            a.name.clone()
        };
        if !a.name.is_empty() {
            ct = ct.with(Param::Name(a.name.clone()));
        }
        parts.push(Part::new(ct, &format!("part{i}"), &name, a.data.clone()));
    }
    parts
}

/// Encodes the request as an m-send-req (transaction id
/// [`PENDING_TRANSACTION_ID`]); refuses it as `too_long` when the encoded
/// PDU exceeds `max_message_bytes`.
pub fn encode_send_req(r: &MmsSendRequest, max_message_bytes: usize) -> super::Result<Vec<u8>> {
    let to: Vec<&str> = r.to.iter().map(String::as_str).collect();
    let pdu = Pdu::send_req(PENDING_TRANSACTION_ID, &to, r.subject.as_deref(), parts(r));
    let bytes = pdu.encode().map_err(|e| {
        Error::new(
            ErrorCode::InvalidField,
            format!("the MMS cannot be encoded: {e}"),
        )
        .with_field("attachments")
    })?;
    if bytes.len() > max_message_bytes {
        return Err(Error::new(
            ErrorCode::TooLong,
            format!(
                "the MMS is {} bytes, more than the limit of {max_message_bytes} bytes",
                bytes.len()
            ),
        )
        .with_field("attachments"));
    }
    Ok(bytes)
}

/// The life-cycle state of an outgoing MMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MmsState {
    Queued,
    Sent,
    Delivered,
    Failed,
    /// The MMSC may or may not have it (not re-sent automatically).
    Unknown,
}

impl MmsState {
    pub const ALL: [MmsState; 5] = [
        MmsState::Queued,
        MmsState::Sent,
        MmsState::Delivered,
        MmsState::Failed,
        MmsState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MmsState::Queued => "queued",
            MmsState::Sent => "sent",
            MmsState::Delivered => "delivered",
            MmsState::Failed => "failed",
            MmsState::Unknown => "unknown",
        }
    }
}

/// A state change on `{prefix}/{user}/mms/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MmsStatusEvent {
    /// Event sequence number (for `events/replay`).
    pub seq: i64,
    /// The `message_id` of the send reply.
    pub message_id: i64,
    /// The idempotency key of the send request, if it had one.
    pub id: Option<String>,
    pub to: Vec<String>,
    pub state: MmsState,
    /// The MMSC's Message-ID (after `sent`).
    pub mmsc_message_id: Option<String>,
    /// Why it failed or is unknown.
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// One part of an inbound MMS: `data_base64` inline, or `path` of the
/// spooled file; `sha256` either way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MmsInboxPart {
    pub content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    pub size: u64,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_base64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// An inbound MMS on `{prefix}/inbox/mms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MmsInboxMessage {
    /// Event sequence number (for `events/replay`).
    pub seq: i64,
    pub message_id: i64,
    pub from: String,
    pub to: Vec<String>,
    /// The modem that received the WAP push.
    pub modem: String,
    pub subject: Option<String>,
    /// The MMSC's Date header.
    pub sent_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub parts: Vec<MmsInboxPart>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::request::{parse, Request};
    use crate::api::RequestKind;

    fn send(json: &str) -> Result<MmsSendRequest, RequestError> {
        match parse(RequestKind::MmsSend, json.as_bytes(), 1 << 20) {
            Ok(Request::MmsSend(r)) => Ok(r),
            Ok(other) => panic!("{other:?}"),
            Err(refused) => Err(refused.error),
        }
    }

    #[test]
    fn a_picture_mms_request_is_read_with_its_decoded_attachment() {
        let r = send(
            r#"{"id":"p1","to":["+49 171 1234567","+4917200000"],"subject":"Hi","text":"look",
               "attachments":[{"content_type":"image/JPEG","name":"a.jpg","data_base64":"/9j/4AA="}]}"#,
        )
        .unwrap();
        assert_eq!(r.id.as_deref(), Some("p1"));
        assert_eq!(r.to, vec!["+491711234567", "+4917200000"]);
        assert_eq!(r.subject.as_deref(), Some("Hi"));
        assert_eq!(r.modem, None);
        assert_eq!(r.attachments[0].content_type, "image/jpeg");
        assert_eq!(r.attachments[0].data, vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00]);
        let pdu = Pdu::decode(&encode_send_req(&r, 300 * 1024).unwrap()).unwrap();
        let parts = pdu.parts();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].data, b"look");
        assert_eq!(parts[1].data, vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00]);
        assert_eq!(parts[1].content_location(), Some("a.jpg"));
        assert_eq!(pdu.to(), vec!["+491711234567", "+4917200000"]);
    }

    #[test]
    fn an_mms_request_may_name_the_modem_or_tag_that_sends_it() {
        let r = send(r#"{"to":"+4917112345","text":"a","modem":"lte"}"#).unwrap();
        assert_eq!(r.modem.as_deref(), Some("lte"));
    }

    #[test]
    fn bad_attachments_recipients_and_empty_messages_name_their_field() {
        let cases = [
            (
                r#"{"to":"+4917112345"}"#,
                ErrorCode::EmptyText,
                Some("text"),
            ),
            (
                r#"{"to":"x","text":"a"}"#,
                ErrorCode::InvalidRecipient,
                Some("to"),
            ),
            (
                r#"{"to":"+4917112345","attachments":[{"content_type":"image","data_base64":""}]}"#,
                ErrorCode::InvalidField,
                Some("attachments"),
            ),
            (
                r#"{"to":"+4917112345","attachments":[{"content_type":"image/png","data_base64":"%%"}]}"#,
                ErrorCode::InvalidField,
                Some("attachments"),
            ),
            (
                r#"{"to":"+4917112345","attachments":[{"content_type":"image/png","data_base64":"","x":1}]}"#,
                ErrorCode::InvalidField,
                Some("attachments"),
            ),
            (
                r#"{"to":"+4917112345","text":"a","modem":"a/b"}"#,
                ErrorCode::InvalidField,
                Some("modem"),
            ),
            (
                r#"{"to":"+4917112345","text":"a","modem":7}"#,
                ErrorCode::InvalidField,
                Some("modem"),
            ),
        ];
        for (json, code, field) in cases {
            let e = send(json).unwrap_err();
            assert_eq!((e.code(), e.field()), (code, field), "{json}");
        }
    }

    fn config(mms: &str) -> crate::config::Config {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9Q0r3m7mGdXqV3x9q1gW0J3Q9ZpW6o9pGQW2yOq0eIY";
        let text = format!(
            "[broker]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = \"x\"\n\
             [[user]]\nname = \"alice\"\npassword_hash = \"{hash}\"\npermissions = [\"send\"]\n\
             [[user]]\nname = \"bob\"\npassword_hash = \"{hash}\"\npermissions = [\"inbox\"]\n{mms}"
        );
        crate::config::Config::parse(&text, std::path::Path::new("t.toml")).unwrap()
    }

    fn admit(cfg: &crate::config::Config, user: &str, payload: &[u8]) -> crate::api::Admitted {
        crate::api::Api::new(cfg).admit(
            user,
            &format!("gsmq/{user}/mms/send"),
            payload,
            std::time::Instant::now(),
        )
    }

    #[test]
    fn mms_send_needs_an_mms_section_and_the_send_permission() {
        use crate::api::Admitted;
        let body = br#"{"id":"k","to":"+4917112345","text":"hi"}"#;
        let off = config("");
        match admit(&off, "alice", body) {
            Admitted::Refused { id, error } => {
                assert_eq!(
                    (id.as_deref(), error.code),
                    (Some("k"), ErrorCode::NotPermitted)
                )
            }
            other => panic!("{other:?}"),
        }
        let on = config("[mms]\nmmsc_url = \"http://m/mms\"\n");
        assert!(matches!(
            admit(&on, "alice", body),
            Admitted::Accepted(Request::MmsSend(_))
        ));
        assert!(matches!(
            admit(&on, "bob", body),
            Admitted::Refused {
                error: Error {
                    code: ErrorCode::NotPermitted,
                    ..
                },
                ..
            }
        ));
    }

    #[test]
    fn an_mms_request_may_exceed_the_sms_payload_limit_by_its_base64_size() {
        use crate::api::Admitted;
        let on = config("[mms]\nmmsc_url = \"http://m/mms\"\nmax_message_bytes = 200000\n");
        let data = base64::engine::general_purpose::STANDARD.encode(vec![1u8; 150_000]);
        let body = format!(
            r#"{{"to":"+4917112345","attachments":[{{"content_type":"image/png","data_base64":"{data}"}}]}}"#
        );
        assert!(body.len() > 64 * 1024);
        assert!(matches!(
            admit(&on, "alice", body.as_bytes()),
            Admitted::Accepted(_)
        ));
        let huge = format!("{body}{}", " ".repeat(300_000));
        assert!(matches!(
            admit(&on, "alice", huge.as_bytes()),
            Admitted::Refused {
                error: Error {
                    code: ErrorCode::PayloadTooLarge,
                    ..
                },
                ..
            }
        ));
    }

    #[test]
    fn only_inbox_users_may_subscribe_to_the_mms_inbox() {
        use crate::broker::Policy;
        let p = crate::api::acl::ConfigPolicy::from_config(&config(""));
        assert!(p.may_subscribe("bob", "gsmq/inbox/mms"));
        assert!(!p.may_subscribe("alice", "gsmq/inbox/mms"));
        assert!(p.may_subscribe("alice", "gsmq/alice/mms/status"));
        assert!(!p.may_publish("bob", "gsmq/inbox/mms"));
    }

    #[test]
    fn an_mms_above_the_size_limit_is_too_long() {
        let r = MmsSendRequest {
            id: None,
            to: vec!["+4917112345".into()],
            subject: None,
            text: None,
            attachments: vec![Attachment {
                content_type: "image/png".into(),
                name: "big.png".into(),
                data: vec![7; 5000],
            }],
            modem: None,
        };
        let e = encode_send_req(&r, 4000).unwrap_err();
        assert_eq!(e.code, ErrorCode::TooLong);
        assert!(encode_send_req(&r, 6000).is_ok());
    }
}
