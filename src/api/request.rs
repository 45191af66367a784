//! Request payloads (client → gsmq): parsing and validation.
//!
//! Guarantees: any byte string parses to either a validated request or an
//! [`Error`] that maps to one API error code and names the offending field;
//! nothing here panics, allocates without bound or reads a clock. Unknown
//! fields are refused, so a typo never silently changes what is sent.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::topics::RequestKind;
use super::ErrorCode;

/// Longest accepted idempotency key (`id`), in characters.
pub const MAX_ID_CHARS: usize = 64;
/// Most recipients one bulk request may name.
pub const MAX_BULK_RECIPIENTS: usize = 1_000;
/// Longest accepted `valid_for_s`: 63 weeks, the TP-VP relative maximum.
pub const MAX_VALID_FOR_S: u64 = 63 * 7 * 24 * 3600;
/// Most events one replay request may ask for.
pub const MAX_REPLAY_LIMIT: usize = 1_000;
/// Events a replay request returns when it names no `limit`.
pub const DEFAULT_REPLAY_LIMIT: usize = 100;
/// Priority of a send request that names none (0 lowest … 9 highest).
pub const DEFAULT_PRIORITY: u8 = 5;
/// Highest priority.
pub const MAX_PRIORITY: u8 = 9;
/// Longest accepted USSD code, in characters (3GPP TS 22.090: 182).
pub const MAX_USSD_CHARS: usize = 182;

/// The fields of each request payload; anything else is refused.
pub const SEND_FIELDS: &[&str] = &[
    "id",
    "to",
    "text",
    "modem",
    "priority",
    "send_at",
    "valid_for_s",
    "report",
    "flash",
    "encoding",
];
/// Fields of `{prefix}/{user}/sms/cancel`.
pub const CANCEL_FIELDS: &[&str] = &["id", "message_id"];
/// Fields of `{prefix}/{user}/ussd`.
pub const USSD_FIELDS: &[&str] = &["id", "modem", "code"];
/// Fields of `{prefix}/{user}/events/replay`.
pub const REPLAY_FIELDS: &[&str] = &["id", "after", "limit"];

/// The fields accepted on a request topic.
pub fn fields(kind: RequestKind) -> &'static [&'static str] {
    match kind {
        RequestKind::Send => SEND_FIELDS,
        RequestKind::MmsSend => super::mms::MMS_SEND_FIELDS,
        RequestKind::Cancel => CANCEL_FIELDS,
        RequestKind::Ussd => USSD_FIELDS,
        RequestKind::Replay => REPLAY_FIELDS,
    }
}

/// Where a JSON syntax error is (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonPosition {
    pub line: usize,
    pub column: usize,
}

/// Why a request payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("payload of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("payload is not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("payload is not valid JSON (line {}, column {})", .0.line, .0.column)]
    Json(JsonPosition),
    #[error("payload must be a JSON object")]
    NotObject,
    #[error("unknown field `{0}`")]
    UnknownField(String),
    #[error("`{0}` is required")]
    Missing(&'static str),
    #[error("`{field}`: expected {expected}")]
    Field {
        field: &'static str,
        expected: &'static str,
    },
    #[error("recipient {index} is not a phone number (expected `+` and 6 to 15 digits, or 3 to 20 digits)")]
    Recipient { index: usize },
    #[error("`text` is empty")]
    EmptyText,
}

impl Error {
    /// The API error code this error is answered with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::TooLarge { .. } => ErrorCode::PayloadTooLarge,
            Error::NotUtf8 { .. } | Error::Json(_) | Error::NotObject => ErrorCode::InvalidJson,
            Error::UnknownField(_) | Error::Missing(_) | Error::Field { .. } => {
                ErrorCode::InvalidField
            }
            Error::Recipient { .. } => ErrorCode::InvalidRecipient,
            Error::EmptyText => ErrorCode::EmptyText,
        }
    }

    /// The field this error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::UnknownField(f) => Some(f),
            Error::Missing(f) | Error::Field { field: f, .. } => Some(f),
            Error::Recipient { .. } => Some("to"),
            Error::EmptyText => Some("text"),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// The `encoding` a client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingChoice {
    /// GSM 7-bit when the text fits the alphabet, else UCS-2.
    #[default]
    Auto,
    Gsm7,
    Ucs2,
}

impl EncodingChoice {
    pub const ALL: [EncodingChoice; 3] = [
        EncodingChoice::Auto,
        EncodingChoice::Gsm7,
        EncodingChoice::Ucs2,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EncodingChoice::Auto => "auto",
            EncodingChoice::Gsm7 => "gsm7",
            EncodingChoice::Ucs2 => "ucs2",
        }
    }
}

/// A validated `sms/send` request.
#[derive(Debug, Clone, PartialEq)]
pub struct SendRequest {
    /// Idempotency key.
    pub id: Option<String>,
    /// Normalised recipients (separators removed); one unless `bulk`.
    pub to: Vec<String>,
    /// Whether `to` was an array (the reply then lists every message).
    pub bulk: bool,
    pub text: String,
    /// Modem name or tag.
    pub modem: Option<String>,
    pub priority: u8,
    pub send_at: Option<DateTime<Utc>>,
    pub valid_for: Option<Duration>,
    pub report: bool,
    pub flash: bool,
    pub encoding: EncodingChoice,
}

/// What a cancel request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelTarget {
    MessageId(i64),
    Key(String),
}

/// A validated `sms/cancel` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelRequest {
    pub target: CancelTarget,
}

/// A validated `ussd` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdRequest {
    pub id: Option<String>,
    pub modem: String,
    pub code: String,
}

/// A validated `events/replay` request: events with `seq > after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayRequest {
    pub id: Option<String>,
    pub after: i64,
    pub limit: usize,
}

/// Any validated request.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Send(SendRequest),
    Cancel(CancelRequest),
    Ussd(UssdRequest),
    Replay(ReplayRequest),
    MmsSend(super::mms::MmsSendRequest),
}

impl Request {
    /// The `id` the reply echoes (for cancel, the key it names).
    pub fn id(&self) -> Option<&str> {
        match self {
            Request::Send(r) => r.id.as_deref(),
            Request::Cancel(r) => match &r.target {
                CancelTarget::Key(k) => Some(k),
                CancelTarget::MessageId(_) => None,
            },
            Request::Ussd(r) => r.id.as_deref(),
            Request::Replay(r) => r.id.as_deref(),
            Request::MmsSend(r) => r.id.as_deref(),
        }
    }
}

/// A refused request: the error plus the `id` to echo, when it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub id: Option<String>,
    pub error: Error,
}

/// Parses and validates one request payload of `kind`. This is the
/// function the `api_payload` fuzz target calls.
pub fn parse(
    kind: RequestKind,
    payload: &[u8],
    max_payload_bytes: usize,
) -> std::result::Result<Request, Refused> {
    let refused = |id: Option<String>, error| Refused { id, error };
    if payload.len() > max_payload_bytes {
        return Err(refused(
            None,
            Error::TooLarge {
                len: payload.len(),
                max: max_payload_bytes,
            },
        ));
    }
    let text = std::str::from_utf8(payload).map_err(|e| {
        refused(
            None,
            Error::NotUtf8 {
                offset: e.valid_up_to(),
            },
        )
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        refused(
            None,
            Error::Json(JsonPosition {
                line: e.line(),
                column: e.column(),
            }),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(refused(None, Error::NotObject));
    };
    // The id is read first so that every later error can echo it.
    let id = match kind {
        RequestKind::Cancel => None,
        _ => id_field(&map, "id").map_err(|e| refused(None, e))?,
    };
    let body = Body { map: &map };
    let result = body.check_fields(fields(kind)).and_then(|()| match kind {
        RequestKind::Send => body.send(id.clone()).map(Request::Send),
        RequestKind::Cancel => body.cancel().map(Request::Cancel),
        RequestKind::Ussd => body.ussd(id.clone()).map(Request::Ussd),
        RequestKind::Replay => body.replay(id.clone()).map(Request::Replay),
        RequestKind::MmsSend => super::mms::parse_send(&map, id.clone()).map(Request::MmsSend),
    });
    result.map_err(|error| {
        let id = match kind {
            RequestKind::Cancel => id_field(&map, "id").ok().flatten(),
            _ => id,
        };
        refused(id, error)
    })
}

fn id_field(map: &Map<String, Value>, field: &'static str) -> Result<Option<String>> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if valid_id(s) => Ok(Some(s.clone())),
        Some(_) => Err(Error::Field {
            field,
            expected: "a string of 1 to 64 printable characters",
        }),
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.chars().count() <= MAX_ID_CHARS && !s.chars().any(char::is_control)
}

struct Body<'a> {
    map: &'a Map<String, Value>,
}

impl Body<'_> {
    fn check_fields(&self, allowed: &[&str]) -> Result<()> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(Error::UnknownField(truncate(k, MAX_ID_CHARS))),
            None => Ok(()),
        }
    }

    fn get(&self, field: &str) -> Option<&Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    fn string(&self, field: &'static str, expected: &'static str) -> Result<Option<&str>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::Field { field, expected }),
        }
    }

    fn bool(&self, field: &'static str, default: bool) -> Result<bool> {
        match self.get(field) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(Error::Field {
                field,
                expected: "true or false",
            }),
        }
    }

    fn uint(&self, field: &'static str, max: u64, expected: &'static str) -> Result<Option<u64>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) if v <= max => Ok(Some(v)),
                _ => Err(Error::Field { field, expected }),
            },
            Some(_) => Err(Error::Field { field, expected }),
        }
    }

    fn name(&self, field: &'static str) -> Result<Option<String>> {
        const EXPECTED: &str = "a modem name or tag";
        match self.string(field, EXPECTED)? {
            None => Ok(None),
            Some(s) if !s.is_empty() && s.len() <= 128 && !s.contains(['/', '+', '#']) => {
                Ok(Some(s.to_string()))
            }
            Some(_) => Err(Error::Field {
                field,
                expected: EXPECTED,
            }),
        }
    }

    fn send(&self, id: Option<String>) -> Result<SendRequest> {
        let (to, bulk) = match self.get("to") {
            None => return Err(Error::Missing("to")),
            Some(Value::String(s)) => (vec![recipient(s, 0)?], false),
            Some(Value::Array(items)) => {
                if items.is_empty() || items.len() > MAX_BULK_RECIPIENTS {
                    return Err(Error::Field {
                        field: "to",
                        expected: "1 to 1000 recipients",
                    });
                }
                let mut to = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => to.push(recipient(s, index)?),
                        _ => return Err(Error::Recipient { index }),
                    }
                }
                (to, true)
            }
            Some(_) => {
                return Err(Error::Field {
                    field: "to",
                    expected: "a phone number or an array of phone numbers",
                })
            }
        };
        let text = match self.string("text", "a string")? {
            None => return Err(Error::Missing("text")),
            Some(t) if t.trim().is_empty() => return Err(Error::EmptyText),
            Some(t) => t.to_string(),
        };
        let priority = self
            .uint("priority", MAX_PRIORITY.into(), "an integer from 0 to 9")?
            .map_or(DEFAULT_PRIORITY, |p| p as u8);
        let send_at = match self.string("send_at", "an RFC 3339 date-time")? {
            None => None,
            Some(s) => Some(
                DateTime::parse_from_rfc3339(s)
                    .map_err(|_| Error::Field {
                        field: "send_at",
                        expected: "an RFC 3339 date-time such as 2026-01-31T12:00:00Z",
                    })?
                    .with_timezone(&Utc),
            ),
        };
        let valid_for = match self.uint(
            "valid_for_s",
            MAX_VALID_FOR_S,
            "an integer number of seconds from 1 to 38102400",
        )? {
            None => None,
            Some(0) => {
                return Err(Error::Field {
                    field: "valid_for_s",
                    expected: "an integer number of seconds from 1 to 38102400",
                })
            }
            Some(s) => Some(Duration::from_secs(s)),
        };
        const ENCODING: &str = "\"auto\", \"gsm7\" or \"ucs2\"";
        let encoding = match self.string("encoding", ENCODING)? {
            None => EncodingChoice::Auto,
            Some(s) => EncodingChoice::ALL
                .into_iter()
                .find(|e| e.as_str() == s)
                .ok_or(Error::Field {
                    field: "encoding",
                    expected: ENCODING,
                })?,
        };
        Ok(SendRequest {
            id,
            to,
            bulk,
            text,
            modem: self.name("modem")?,
            priority,
            send_at,
            valid_for,
            report: self.bool("report", true)?,
            flash: self.bool("flash", false)?,
            encoding,
        })
    }

    fn cancel(&self) -> Result<CancelRequest> {
        let message_id = self.uint("message_id", i64::MAX as u64, "a message id (integer)")?;
        let key = id_field(self.map, "id")?;
        let target = match (message_id, key) {
            (Some(m), None) => CancelTarget::MessageId(m as i64),
            (None, Some(k)) => CancelTarget::Key(k),
            (None, None) => return Err(Error::Missing("message_id")),
            (Some(_), Some(_)) => {
                return Err(Error::Field {
                    field: "id",
                    expected: "either `message_id` or `id`, not both",
                })
            }
        };
        Ok(CancelRequest { target })
    }

    fn ussd(&self, id: Option<String>) -> Result<UssdRequest> {
        let modem = self.name("modem")?.ok_or(Error::Missing("modem"))?;
        const EXPECTED: &str = "a USSD code of digits, `*` and `#`, such as *100#";
        let code = match self.string("code", EXPECTED)? {
            None => return Err(Error::Missing("code")),
            Some(c)
                if !c.is_empty()
                    && c.len() <= MAX_USSD_CHARS
                    && c.chars()
                        .all(|ch| ch.is_ascii_digit() || ch == '*' || ch == '#') =>
            {
                c.to_string()
            }
            Some(_) => {
                return Err(Error::Field {
                    field: "code",
                    expected: EXPECTED,
                })
            }
        };
        Ok(UssdRequest { id, modem, code })
    }

    fn replay(&self, id: Option<String>) -> Result<ReplayRequest> {
        let after = self
            .uint(
                "after",
                i64::MAX as u64,
                "the last event seq seen (integer ≥ 0)",
            )?
            .ok_or(Error::Missing("after"))? as i64;
        let limit = match self.uint(
            "limit",
            MAX_REPLAY_LIMIT as u64,
            "an integer from 1 to 1000",
        )? {
            None => DEFAULT_REPLAY_LIMIT,
            Some(0) => {
                return Err(Error::Field {
                    field: "limit",
                    expected: "an integer from 1 to 1000",
                })
            }
            Some(l) => l as usize,
        };
        Ok(ReplayRequest { id, after, limit })
    }
}

/// Normalises a recipient: removes spaces, `-`, `.`, `(` and `)`, then
/// requires `+` and 6 to 15 digits (E.164) or 3 to 20 digits (national
/// numbers and short codes).
pub fn normalise_recipient(raw: &str) -> Option<String> {
    if raw.len() > 64 {
        return None;
    }
    let cleaned: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let (plus, digits) = match cleaned.strip_prefix('+') {
        Some(d) => (true, d),
        None => (false, cleaned.as_str()),
    };
    let ok_digits = digits.bytes().all(|b| b.is_ascii_digit());
    let len_ok = if plus {
        (6..=15).contains(&digits.len())
    } else {
        (3..=20).contains(&digits.len())
    };
    (ok_digits && len_ok).then_some(cleaned)
}

fn recipient(raw: &str, index: usize) -> Result<String> {
    normalise_recipient(raw).ok_or(Error::Recipient { index })
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 64 * 1024;

    fn send(json: &str) -> std::result::Result<SendRequest, Refused> {
        match parse(RequestKind::Send, json.as_bytes(), MAX)? {
            Request::Send(r) => Ok(r),
            other => panic!("parsed as {other:?}"),
        }
    }

    fn send_err(json: &str) -> (Option<String>, ErrorCode, Option<String>) {
        let r = send(json).unwrap_err();
        (r.id, r.error.code(), r.error.field().map(str::to_string))
    }

    #[test]
    fn a_minimal_send_request_gets_the_documented_defaults() {
        let r = send(r#"{"to":"+491711234567","text":"hi"}"#).unwrap();
        assert_eq!(
            r,
            SendRequest {
                id: None,
                to: vec!["+491711234567".into()],
                bulk: false,
                text: "hi".into(),
                modem: None,
                priority: DEFAULT_PRIORITY,
                send_at: None,
                valid_for: None,
                report: true,
                flash: false,
                encoding: EncodingChoice::Auto,
            }
        );
    }

    #[test]
    fn every_send_field_is_read() {
        let r = send(
            r#"{"id":"k1","to":["+49 171 1234567","12345"],"text":"hé","modem":"lte",
                "priority":9,"send_at":"2026-01-31T12:00:00+01:00","valid_for_s":3600,
                "report":false,"flash":true,"encoding":"ucs2"}"#,
        )
        .unwrap();
        assert_eq!(r.id.as_deref(), Some("k1"));
        assert_eq!(r.to, vec!["+491711234567", "12345"]);
        assert!(r.bulk);
        assert_eq!(r.modem.as_deref(), Some("lte"));
        assert_eq!(r.priority, 9);
        assert_eq!(r.send_at.unwrap().to_rfc3339(), "2026-01-31T11:00:00+00:00");
        assert_eq!(r.valid_for, Some(Duration::from_secs(3600)));
        assert!(!r.report);
        assert!(r.flash);
        assert_eq!(r.encoding, EncodingChoice::Ucs2);
    }

    #[test]
    fn malformed_payloads_are_invalid_json() {
        for payload in [
            &b"{"[..],
            b"",
            b"[1,2]",
            b"\"x\"",
            b"{\"to\":}",
            b"\xff\xfe{}",
        ] {
            let e = parse(RequestKind::Send, payload, MAX).unwrap_err();
            assert_eq!(e.error.code(), ErrorCode::InvalidJson, "{payload:?}");
            assert_eq!(e.id, None);
        }
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_offset() {
        let e = parse(RequestKind::Send, b"{\"text\":\"a\xc3\x28\"}", MAX).unwrap_err();
        assert_eq!(e.error, Error::NotUtf8 { offset: 10 });
        assert_eq!(e.error.code(), ErrorCode::InvalidJson);
    }

    #[test]
    fn an_oversized_payload_is_refused_before_parsing() {
        let e = parse(RequestKind::Send, &[b'{'; 100], 99).unwrap_err();
        assert_eq!(e.error, Error::TooLarge { len: 100, max: 99 });
        assert_eq!(e.error.code(), ErrorCode::PayloadTooLarge);
    }

    #[test]
    fn an_unknown_field_is_named() {
        let (id, code, field) = send_err(r#"{"id":"a","to":"12345","text":"x","txet":"y"}"#);
        assert_eq!(id.as_deref(), Some("a"));
        assert_eq!(code, ErrorCode::InvalidField);
        assert_eq!(field.as_deref(), Some("txet"));
    }

    #[test]
    fn wrong_types_and_ranges_name_their_field() {
        for (json, field) in [
            (r#"{"to":"12345","text":"x","priority":10}"#, "priority"),
            (r#"{"to":"12345","text":"x","priority":-1}"#, "priority"),
            (r#"{"to":"12345","text":"x","priority":"1"}"#, "priority"),
            (
                r#"{"to":"12345","text":"x","send_at":"tomorrow"}"#,
                "send_at",
            ),
            (
                r#"{"to":"12345","text":"x","valid_for_s":0}"#,
                "valid_for_s",
            ),
            (
                r#"{"to":"12345","text":"x","valid_for_s":1.5}"#,
                "valid_for_s",
            ),
            (r#"{"to":"12345","text":"x","report":"yes"}"#, "report"),
            (r#"{"to":"12345","text":"x","flash":1}"#, "flash"),
            (r#"{"to":"12345","text":"x","encoding":"utf8"}"#, "encoding"),
            (r#"{"to":"12345","text":"x","modem":"a/b"}"#, "modem"),
            (r#"{"to":"12345","text":3}"#, "text"),
            (r#"{"to":"12345"}"#, "text"),
            (r#"{"text":"x"}"#, "to"),
            (r#"{"to":5,"text":"x"}"#, "to"),
            (r#"{"to":[],"text":"x"}"#, "to"),
            (r#"{"to":"12345","text":"x","id":7}"#, "id"),
            (r#"{"to":"12345","text":"x","id":""}"#, "id"),
        ] {
            let (_, code, got) = send_err(json);
            assert_eq!(code, ErrorCode::InvalidField, "{json}");
            assert_eq!(got.as_deref(), Some(field), "{json}");
        }
    }

    #[test]
    fn an_id_longer_than_64_characters_is_refused() {
        let ok = "é".repeat(64);
        assert!(send(&format!(r#"{{"id":"{ok}","to":"12345","text":"x"}}"#)).is_ok());
        let long = "a".repeat(65);
        let (id, code, field) = send_err(&format!(r#"{{"id":"{long}","to":"12345","text":"x"}}"#));
        assert_eq!(
            (id, code, field.as_deref()),
            (None, ErrorCode::InvalidField, Some("id"))
        );
    }

    #[test]
    fn bad_recipients_are_invalid_recipient() {
        for to in [
            r#""abc""#,
            r#""+12345""#,
            r#""12""#,
            r#""+1234567890123456""#,
            r#"["12345", "+49x"]"#,
            r#"["12345", 7]"#,
        ] {
            let (_, code, field) = send_err(&format!(r#"{{"to":{to},"text":"x"}}"#));
            assert_eq!(code, ErrorCode::InvalidRecipient, "{to}");
            assert_eq!(field.as_deref(), Some("to"));
        }
        let e = send(r#"{"to":["12345","bad"],"text":"x"}"#).unwrap_err();
        assert_eq!(e.error, Error::Recipient { index: 1 });
    }

    #[test]
    fn more_than_the_bulk_limit_of_recipients_is_refused() {
        let many = vec!["\"12345\""; MAX_BULK_RECIPIENTS + 1].join(",");
        let (_, code, field) = send_err(&format!(r#"{{"to":[{many}],"text":"x"}}"#));
        assert_eq!(
            (code, field.as_deref()),
            (ErrorCode::InvalidField, Some("to"))
        );
    }

    #[test]
    fn blank_text_is_empty_text() {
        for text in ["", "  ", "\n"] {
            let json = serde_json::json!({"id": "e", "to": "12345", "text": text}).to_string();
            let (id, code, _) = send_err(&json);
            assert_eq!((id.as_deref(), code), (Some("e"), ErrorCode::EmptyText));
        }
    }

    #[test]
    fn null_means_absent() {
        let r =
            send(r#"{"to":"12345","text":"x","modem":null,"priority":null,"id":null}"#).unwrap();
        assert_eq!((r.modem, r.priority, r.id), (None, DEFAULT_PRIORITY, None));
    }

    #[test]
    fn cancel_takes_a_message_id_or_a_key_but_not_both() {
        let p = |s: &str| parse(RequestKind::Cancel, s.as_bytes(), MAX);
        assert_eq!(
            p(r#"{"message_id":42}"#).unwrap(),
            Request::Cancel(CancelRequest {
                target: CancelTarget::MessageId(42)
            })
        );
        let by_key = p(r#"{"id":"k"}"#).unwrap();
        assert_eq!(by_key.id(), Some("k"));
        assert_eq!(p("{}").unwrap_err().error, Error::Missing("message_id"));
        let both = p(r#"{"id":"k","message_id":1}"#).unwrap_err();
        assert_eq!(
            (both.id.as_deref(), both.error.field()),
            (Some("k"), Some("id"))
        );
        assert_eq!(
            p(r#"{"message_id":-3}"#).unwrap_err().error.field(),
            Some("message_id")
        );
    }

    #[test]
    fn ussd_requires_a_modem_and_a_code_of_digits_star_and_hash() {
        let p = |s: &str| parse(RequestKind::Ussd, s.as_bytes(), MAX);
        assert_eq!(
            p(r#"{"modem":"m1","code":"*100#","id":"u"}"#).unwrap(),
            Request::Ussd(UssdRequest {
                id: Some("u".into()),
                modem: "m1".into(),
                code: "*100#".into()
            })
        );
        assert_eq!(
            p(r#"{"code":"*100#"}"#).unwrap_err().error.field(),
            Some("modem")
        );
        assert_eq!(
            p(r#"{"modem":"m1"}"#).unwrap_err().error.field(),
            Some("code")
        );
        assert_eq!(
            p(r#"{"modem":"m1","code":"AT+CFUN=0"}"#)
                .unwrap_err()
                .error
                .field(),
            Some("code")
        );
    }

    #[test]
    fn replay_requires_after_and_bounds_limit() {
        let p = |s: &str| parse(RequestKind::Replay, s.as_bytes(), MAX);
        assert_eq!(
            p(r#"{"after":7}"#).unwrap(),
            Request::Replay(ReplayRequest {
                id: None,
                after: 7,
                limit: DEFAULT_REPLAY_LIMIT
            })
        );
        assert_eq!(p("{}").unwrap_err().error, Error::Missing("after"));
        assert_eq!(
            p(r#"{"after":1,"limit":0}"#).unwrap_err().error.field(),
            Some("limit")
        );
        assert_eq!(
            p(r#"{"after":1,"limit":1001}"#).unwrap_err().error.field(),
            Some("limit")
        );
    }

    #[test]
    fn recipients_are_normalised() {
        assert_eq!(
            normalise_recipient("+49 (171) 123-45.67").as_deref(),
            Some("+491711234567")
        );
        assert_eq!(
            normalise_recipient("0171 1234567").as_deref(),
            Some("01711234567")
        );
        assert_eq!(normalise_recipient("++4917112345"), None);
        assert_eq!(normalise_recipient(""), None);
    }

    #[test]
    fn a_deeply_nested_payload_is_refused_without_overflowing() {
        let deep = format!("{{\"to\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse(RequestKind::Send, deep.as_bytes(), usize::MAX).unwrap_err();
        assert_eq!(e.error.code(), ErrorCode::InvalidJson);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            for kind in RequestKind::ALL {
                let _ = parse(kind, &bytes, 256);
            }
        }

        #[test]
        fn arbitrary_json_objects_never_panic(
            keys in proptest::collection::vec(proptest::sample::select(SEND_FIELDS), 0..6),
            values in proptest::collection::vec(proptest::sample::select(vec![
                "1", "-1", "0", "\"\"", "\"+4917112345\"", "null", "true", "[]", "[\"123\"]", "{}", "1e400", "\"2026-01-01T00:00:00Z\"",
            ]), 6),
        ) {
            let body: Vec<String> = keys.iter().zip(&values).map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let json = format!("{{{}}}", body.join(","));
            for kind in RequestKind::ALL {
                let _ = parse(kind, json.as_bytes(), 4096);
            }
        }
    }
}
