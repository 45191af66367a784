//! The gsmq device API: topics, the send-SMS request, and parsers for the reply, status and
//! inbound-SMS events.
//!
//! Topics (user `<user>`):
//! - publish `gsmq/<user>/sms/send`: `{"id":"…","to":"+…" | ["+…",…],"text":"…","report":true}`
//! - `gsmq/<user>/reply`: `{"id":…,"ok":true,"message_id":N,"parts":n,"encoding":"gsm7"}` or
//!   `{"id":…,"ok":false,"error":{"code":"…","message":"…","field":…}}`
//! - `gsmq/<user>/sms/status`: `{"message_id":N,"id":…,"to":"…","state":"…","parts_sent":n,
//!   "parts_total":n,"modem":"…","reason":…,"at":"RFC3339"}`
//! - `gsmq/inbox/sms`: `{"message_id":N,"from":"…","modem":"…","text":"…","encoding":"…",
//!   "received_at":"…","sent_at":"…","parts":n}`
//!
//! Guarantees: no allocation; requests are valid JSON for any UTF-8 text; parsed strings are
//! unescaped into fixed-capacity `heapless::String`s and a value that does not fit is an
//! [`Error::Overflow`] naming the field and its capacity, never a silent truncation. Unknown
//! fields are skipped so newer daemons stay compatible.

use core::fmt;

use heapless::String;

use crate::json::{self, Scanner, Writer};
use crate::{ID_MAX, INBOX_TEXT_MAX, MESSAGE_MAX, NAME_MAX, NUMBER_MAX, RECIPIENTS_MAX};
use crate::{SEND_TEXT_MAX, TIMESTAMP_MAX, TOPIC_MAX, USER_MAX};

/// First topic level of every gsmq topic.
pub const TOPIC_PREFIX: &str = "gsmq/";
/// Send requests: `gsmq/<user>/sms/send`.
pub const SEND_SUFFIX: &str = "/sms/send";
/// Replies: `gsmq/<user>/reply`.
pub const REPLY_SUFFIX: &str = "/reply";
/// Status events: `gsmq/<user>/sms/status`.
pub const STATUS_SUFFIX: &str = "/sms/status";
/// The longest of the per-user suffixes (sizes [`TOPIC_MAX`]).
pub const LONGEST_SUFFIX: &str = STATUS_SUFFIX;
/// Inbound SMS events.
pub const INBOX_TOPIC: &str = "gsmq/inbox/sms";
/// Longest prefix of generated request ids.
pub const ID_PREFIX_MAX: usize = 24;

const _: () = assert!(SEND_SUFFIX.len() <= LONGEST_SUFFIX.len());
const _: () = assert!(REPLY_SUFFIX.len() <= LONGEST_SUFFIX.len());

/// A topic name built here.
pub type Topic = String<TOPIC_MAX>;

/// Fields of the gsmq payloads, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Field {
    Id,
    Ok,
    MessageId,
    Parts,
    Encoding,
    Error,
    Code,
    Message,
    Field,
    To,
    State,
    PartsSent,
    PartsTotal,
    Modem,
    Reason,
    At,
    From,
    Text,
    ReceivedAt,
    SentAt,
}

impl Field {
    /// The JSON key.
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Ok => "ok",
            Field::MessageId => "message_id",
            Field::Parts => "parts",
            Field::Encoding => "encoding",
            Field::Error => "error",
            Field::Code => "code",
            Field::Message => "message",
            Field::Field => "field",
            Field::To => "to",
            Field::State => "state",
            Field::PartsSent => "parts_sent",
            Field::PartsTotal => "parts_total",
            Field::Modem => "modem",
            Field::Reason => "reason",
            Field::At => "at",
            Field::From => "from",
            Field::Text => "text",
            Field::ReceivedAt => "received_at",
            Field::SentAt => "sent_at",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// gsmq API errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    #[error("user name must be 1..={USER_MAX} bytes without '/', '+' or '#'")]
    InvalidUser,
    #[error("request id must be 1..={ID_MAX} bytes of A-Z a-z 0-9 . _ : -")]
    InvalidId,
    #[error(
        "recipient {index} is not a phone number ('+' and digits, at most {NUMBER_MAX} bytes)"
    )]
    InvalidRecipient { index: usize },
    #[error("a send request needs 1..={RECIPIENTS_MAX} recipients")]
    RecipientCount,
    #[error("text must be 1..={SEND_TEXT_MAX} bytes")]
    InvalidText,
    #[error("output buffer too small for the request")]
    BufferTooSmall,
    #[error("field `{field}` does not fit its {capacity}-byte capacity")]
    Overflow { field: Field, capacity: usize },
    #[error("field `{field}` is missing")]
    Missing { field: Field },
    #[error("field `{field}` has the wrong type or value")]
    Invalid { field: Field },
    #[error("malformed JSON: {0}")]
    Json(json::Error),
}

/// gsmq API result.
pub type Result<T> = core::result::Result<T, Error>;

fn user_topic(user: &str, suffix: &str) -> Result<Topic> {
    if user.is_empty()
        || user.len() > USER_MAX
        || user.bytes().any(|b| matches!(b, b'/' | b'+' | b'#'))
    {
        return Err(Error::InvalidUser);
    }
    let mut t = Topic::new();
    // Cannot fail: sizes are related by compile-time assertions in lib.rs.
    for part in [TOPIC_PREFIX, user, suffix] {
        t.push_str(part).map_err(|()| Error::InvalidUser)?;
    }
    Ok(t)
}

/// `gsmq/<user>/sms/send`.
pub fn send_topic(user: &str) -> Result<Topic> {
    user_topic(user, SEND_SUFFIX)
}

/// `gsmq/<user>/reply`.
pub fn reply_topic(user: &str) -> Result<Topic> {
    user_topic(user, REPLY_SUFFIX)
}

/// `gsmq/<user>/sms/status`.
pub fn status_topic(user: &str) -> Result<Topic> {
    user_topic(user, STATUS_SUFFIX)
}

// ---------------------------------------------------------------------------------------------
// Requests

/// A request id (idempotency key).
pub type RequestId = String<ID_MAX>;

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= ID_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Generates request ids `<prefix>-<counter>` from a device counter. Persist
/// [`RequestIds::counter`] (e.g. in flash) so a request resent after a reboot keeps its id
/// and gsmq deduplicates it.
#[derive(Debug, Clone)]
pub struct RequestIds {
    prefix: String<ID_PREFIX_MAX>,
    counter: u32,
}

impl RequestIds {
    /// `prefix` is typically the device serial number.
    pub fn new(prefix: &str, counter: u32) -> Result<Self> {
        if !valid_id(prefix) {
            return Err(Error::InvalidId);
        }
        let mut p = String::new();
        p.push_str(prefix).map_err(|()| Error::InvalidId)?;
        Ok(RequestIds { prefix: p, counter })
    }

    /// The counter the next id will use.
    pub fn counter(&self) -> u32 {
        self.counter
    }

    /// The id for the current counter value; advances the counter (wrapping).
    pub fn next_id(&mut self) -> RequestId {
        let mut id = RequestId::new();
        let mut digits = [0u8; 10];
        let mut i = digits.len();
        let mut v = self.counter;
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.counter = self.counter.wrapping_add(1);
        // Fits by the `ID_MAX >= ID_PREFIX_MAX + 11` assertion in lib.rs.
        let _ = id.push_str(&self.prefix);
        let _ = id.push('-');
        for &d in &digits[i..] {
            let _ = id.push(char::from(d));
        }
        id
    }
}

/// Recipients of a send request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipients<'a> {
    One(&'a str),
    Many(&'a [&'a str]),
}

fn valid_number(n: &str) -> bool {
    let digits = n.strip_prefix('+').unwrap_or(n);
    n.len() <= NUMBER_MAX && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A send-SMS request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendSms<'a> {
    /// Idempotency id (see [`RequestIds`]); replies and status events echo it.
    pub id: Option<&'a str>,
    pub to: Recipients<'a>,
    pub text: &'a str,
    /// Ask for delivery reports (`delivered` status events).
    pub report: bool,
}

impl SendSms<'_> {
    fn check(&self) -> Result<()> {
        if let Some(id) = self.id {
            if !valid_id(id) {
                return Err(Error::InvalidId);
            }
        }
        let list: &[&str] = match &self.to {
            Recipients::One(n) => core::slice::from_ref(n),
            Recipients::Many(l) => l,
        };
        if list.is_empty() || list.len() > RECIPIENTS_MAX {
            return Err(Error::RecipientCount);
        }
        if let Some(index) = list.iter().position(|n| !valid_number(n)) {
            return Err(Error::InvalidRecipient { index });
        }
        if self.text.is_empty() || self.text.len() > SEND_TEXT_MAX {
            return Err(Error::InvalidText);
        }
        Ok(())
    }

    /// Writes the JSON payload into `out`; returns its length.
    pub fn write_json(&self, out: &mut [u8]) -> Result<usize> {
        self.check()?;
        let mut w = Writer::new(out);
        self.emit(&mut w).map_err(|_| Error::BufferTooSmall)?;
        Ok(w.len())
    }

    fn emit(&self, w: &mut Writer<'_>) -> json::Result<()> {
        w.raw("{")?;
        if let Some(id) = self.id {
            w.raw("\"id\":")?;
            w.string(id)?;
            w.raw(",")?;
        }
        w.raw("\"to\":")?;
        match self.to {
            Recipients::One(n) => w.string(n)?,
            Recipients::Many(list) => {
                w.raw("[")?;
                for (i, n) in list.iter().enumerate() {
                    if i > 0 {
                        w.raw(",")?;
                    }
                    w.string(n)?;
                }
                w.raw("]")?;
            }
        }
        w.raw(",\"text\":")?;
        w.string(self.text)?;
        w.raw(",\"report\":")?;
        w.bool(self.report)?;
        w.raw("}")
    }
}

// ---------------------------------------------------------------------------------------------
// Events

/// Reply to a request on `gsmq/<user>/reply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The request id, if the request had one.
    pub id: Option<RequestId>,
    pub outcome: Outcome,
}

/// Whether gsmq accepted the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted {
        message_id: u64,
        parts: u16,
        encoding: String<NAME_MAX>,
    },
    Rejected {
        code: String<NAME_MAX>,
        message: String<MESSAGE_MAX>,
        field: Option<String<NAME_MAX>>,
    },
}

/// Delivery state in a status event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SmsState {
    Queued,
    Sent,
    Delivered,
    Failed,
    Expired,
    Cancelled,
}

impl SmsState {
    pub const fn as_str(self) -> &'static str {
        match self {
            SmsState::Queued => "queued",
            SmsState::Sent => "sent",
            SmsState::Delivered => "delivered",
            SmsState::Failed => "failed",
            SmsState::Expired => "expired",
            SmsState::Cancelled => "cancelled",
        }
    }

    /// No further status events follow a final state.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            SmsState::Delivered | SmsState::Failed | SmsState::Expired | SmsState::Cancelled
        )
    }
}

/// Status event on `gsmq/<user>/sms/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub message_id: u64,
    pub id: Option<RequestId>,
    pub to: String<NUMBER_MAX>,
    pub state: SmsState,
    pub parts_sent: u16,
    pub parts_total: u16,
    pub modem: Option<String<NAME_MAX>>,
    pub reason: Option<String<MESSAGE_MAX>>,
    pub at: String<TIMESTAMP_MAX>,
}

/// Inbound SMS on `gsmq/inbox/sms`; `TEXT` is the text capacity in UTF-8 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxSms<const TEXT: usize = INBOX_TEXT_MAX> {
    pub message_id: u64,
    pub from: String<NUMBER_MAX>,
    pub modem: String<NAME_MAX>,
    pub text: String<TEXT>,
    pub encoding: String<NAME_MAX>,
    pub received_at: String<TIMESTAMP_MAX>,
    pub sent_at: Option<String<TIMESTAMP_MAX>>,
    pub parts: u16,
}

fn field_err(field: Field) -> impl Fn(json::Error) -> Error {
    move |e| match e {
        json::Error::Type { .. } | json::Error::Number { .. } => Error::Invalid { field },
        other => Error::Json(other),
    }
}

fn read_str<const N: usize>(s: &mut Scanner<'_>, field: Field) -> Result<String<N>> {
    s.string()
        .map_err(field_err(field))?
        .to_string::<N>()
        .map_err(|_| Error::Overflow { field, capacity: N })
}

fn read_opt_str<const N: usize>(s: &mut Scanner<'_>, field: Field) -> Result<Option<String<N>>> {
    match s.opt_string().map_err(field_err(field))? {
        None => Ok(None),
        Some(raw) => raw
            .to_string::<N>()
            .map(Some)
            .map_err(|_| Error::Overflow { field, capacity: N }),
    }
}

fn read_u16(s: &mut Scanner<'_>, field: Field) -> Result<u16> {
    let v = s.u64().map_err(field_err(field))?;
    u16::try_from(v).map_err(|_| Error::Invalid { field })
}

fn require<T>(v: Option<T>, field: Field) -> Result<T> {
    v.ok_or(Error::Missing { field })
}

/// Walks the members of the top-level object, calling `member` with each key; `member`
/// returns `false` for keys it does not know, which are skipped.
fn for_each_member<'a>(
    payload: &'a [u8],
    mut member: impl FnMut(json::RawStr<'a>, &mut Scanner<'a>) -> Result<bool>,
) -> Result<()> {
    let mut s = Scanner::new(payload).map_err(Error::Json)?;
    s.begin_object().map_err(Error::Json)?;
    let mut first = true;
    while let Some(key) = s.next_key(first).map_err(Error::Json)? {
        first = false;
        if !member(key, &mut s)? {
            s.skip().map_err(Error::Json)?;
        }
    }
    s.end().map_err(Error::Json)
}

/// Parses a reply.
pub fn parse_reply(payload: &[u8]) -> Result<Reply> {
    let mut id = None;
    let mut ok = None;
    let mut message_id = None;
    let mut parts = None;
    let mut encoding = None;
    let mut error = None;
    for_each_member(payload, |key, s| {
        if key.eq_str("id") {
            id = read_opt_str(s, Field::Id)?;
        } else if key.eq_str("ok") {
            ok = Some(s.bool().map_err(field_err(Field::Ok))?);
        } else if key.eq_str("message_id") {
            message_id = Some(s.u64().map_err(field_err(Field::MessageId))?);
        } else if key.eq_str("parts") {
            parts = Some(read_u16(s, Field::Parts)?);
        } else if key.eq_str("encoding") {
            encoding = Some(read_str(s, Field::Encoding)?);
        } else if key.eq_str("error") {
            error = Some(parse_error_object(s)?);
        } else {
            return Ok(false);
        }
        Ok(true)
    })?;
    let outcome = if require(ok, Field::Ok)? {
        Outcome::Accepted {
            message_id: require(message_id, Field::MessageId)?,
            parts: require(parts, Field::Parts)?,
            encoding: require(encoding, Field::Encoding)?,
        }
    } else {
        let (code, message, field) = require(error, Field::Error)?;
        Outcome::Rejected {
            code,
            message,
            field,
        }
    };
    Ok(Reply { id, outcome })
}

type ErrorObject = (
    String<NAME_MAX>,
    String<MESSAGE_MAX>,
    Option<String<NAME_MAX>>,
);

fn parse_error_object(s: &mut Scanner<'_>) -> Result<ErrorObject> {
    s.begin_object().map_err(field_err(Field::Error))?;
    let mut code = None;
    let mut message = None;
    let mut field = None;
    let mut first = true;
    while let Some(key) = s.next_key(first).map_err(Error::Json)? {
        first = false;
        if key.eq_str("code") {
            code = Some(read_str(s, Field::Code)?);
        } else if key.eq_str("message") {
            message = Some(read_str(s, Field::Message)?);
        } else if key.eq_str("field") {
            field = read_opt_str(s, Field::Field)?;
        } else {
            s.skip().map_err(Error::Json)?;
        }
    }
    Ok((
        require(code, Field::Code)?,
        message.unwrap_or_default(),
        field,
    ))
}

/// Parses a status event.
pub fn parse_status(payload: &[u8]) -> Result<Status> {
    let mut message_id = None;
    let mut id = None;
    let mut to = None;
    let mut state = None;
    let mut parts_sent = None;
    let mut parts_total = None;
    let mut modem = None;
    let mut reason = None;
    let mut at = None;
    for_each_member(payload, |key, s| {
        if key.eq_str("message_id") {
            message_id = Some(s.u64().map_err(field_err(Field::MessageId))?);
        } else if key.eq_str("id") {
            id = read_opt_str(s, Field::Id)?;
        } else if key.eq_str("to") {
            to = Some(read_str(s, Field::To)?);
        } else if key.eq_str("state") {
            let raw = s.string().map_err(field_err(Field::State))?;
            let parsed = [
                SmsState::Queued,
                SmsState::Sent,
                SmsState::Delivered,
                SmsState::Failed,
                SmsState::Expired,
                SmsState::Cancelled,
            ]
            .into_iter()
            .find(|st| raw.eq_str(st.as_str()));
            state = Some(parsed.ok_or(Error::Invalid {
                field: Field::State,
            })?);
        } else if key.eq_str("parts_sent") {
            parts_sent = Some(read_u16(s, Field::PartsSent)?);
        } else if key.eq_str("parts_total") {
            parts_total = Some(read_u16(s, Field::PartsTotal)?);
        } else if key.eq_str("modem") {
            modem = read_opt_str(s, Field::Modem)?;
        } else if key.eq_str("reason") {
            reason = read_opt_str(s, Field::Reason)?;
        } else if key.eq_str("at") {
            at = Some(read_str(s, Field::At)?);
        } else {
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(Status {
        message_id: require(message_id, Field::MessageId)?,
        id,
        to: require(to, Field::To)?,
        state: require(state, Field::State)?,
        parts_sent: parts_sent.unwrap_or(0),
        parts_total: parts_total.unwrap_or(0),
        modem,
        reason,
        at: require(at, Field::At)?,
    })
}

/// Parses an inbound SMS with a text capacity of `TEXT` bytes.
pub fn parse_inbox<const TEXT: usize>(payload: &[u8]) -> Result<InboxSms<TEXT>> {
    let mut message_id = None;
    let mut from = None;
    let mut modem = None;
    let mut text = None;
    let mut encoding = None;
    let mut received_at = None;
    let mut sent_at = None;
    let mut parts = None;
    for_each_member(payload, |key, s| {
        if key.eq_str("message_id") {
            message_id = Some(s.u64().map_err(field_err(Field::MessageId))?);
        } else if key.eq_str("from") {
            from = Some(read_str(s, Field::From)?);
        } else if key.eq_str("modem") {
            modem = Some(read_str(s, Field::Modem)?);
        } else if key.eq_str("text") {
            text = Some(read_str(s, Field::Text)?);
        } else if key.eq_str("encoding") {
            encoding = Some(read_str(s, Field::Encoding)?);
        } else if key.eq_str("received_at") {
            received_at = Some(read_str(s, Field::ReceivedAt)?);
        } else if key.eq_str("sent_at") {
            sent_at = read_opt_str(s, Field::SentAt)?;
        } else if key.eq_str("parts") {
            parts = Some(read_u16(s, Field::Parts)?);
        } else {
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(InboxSms {
        message_id: require(message_id, Field::MessageId)?,
        from: require(from, Field::From)?,
        modem: require(modem, Field::Modem)?,
        text: require(text, Field::Text)?,
        encoding: require(encoding, Field::Encoding)?,
        received_at: require(received_at, Field::ReceivedAt)?,
        sent_at,
        parts: parts.unwrap_or(1),
    })
}

/// A parsed message on one of the device's topics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<const TEXT: usize = INBOX_TEXT_MAX> {
    Reply(Reply),
    Status(Status),
    Inbox(InboxSms<TEXT>),
}

/// Parses `payload` according to `topic` (for user `user`); `Ok(None)` for other topics.
pub fn parse_message<const TEXT: usize>(
    user: &str,
    topic: &str,
    payload: &[u8],
) -> Result<Option<Message<TEXT>>> {
    if topic == INBOX_TOPIC {
        return parse_inbox(payload).map(|m| Some(Message::Inbox(m)));
    }
    let Some(rest) = topic
        .strip_prefix(TOPIC_PREFIX)
        .and_then(|r| r.strip_prefix(user))
    else {
        return Ok(None);
    };
    match rest {
        REPLY_SUFFIX => parse_reply(payload).map(|r| Some(Message::Reply(r))),
        STATUS_SUFFIX => parse_status(payload).map(|s| Some(Message::Status(s))),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn json(req: &SendSms<'_>) -> std::string::String {
        let mut buf = [0u8; crate::SEND_REQUEST_MAX];
        let n = req.write_json(&mut buf).unwrap();
        std::string::String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn topics_follow_the_gsmq_schema() {
        assert_eq!(send_topic("dev1").unwrap(), "gsmq/dev1/sms/send");
        assert_eq!(reply_topic("dev1").unwrap(), "gsmq/dev1/reply");
        assert_eq!(status_topic("dev1").unwrap(), "gsmq/dev1/sms/status");
        let longest = "u".repeat(USER_MAX);
        assert!(status_topic(&longest).is_ok());
        for bad in ["", "a/b", "a+", "#", &"u".repeat(USER_MAX + 1)] {
            assert_eq!(send_topic(bad), Err(Error::InvalidUser), "{bad:?}");
        }
    }

    #[test]
    fn request_ids_come_from_the_device_counter() {
        let mut ids = RequestIds::new("pump-7", u32::MAX - 1).unwrap();
        assert_eq!(ids.next_id(), "pump-7-4294967294");
        assert_eq!(ids.next_id(), "pump-7-4294967295");
        assert_eq!(ids.next_id(), "pump-7-0");
        assert_eq!(ids.counter(), 1);
        assert_eq!(
            RequestIds::new("has space", 0).err(),
            Some(Error::InvalidId)
        );
        let longest = "p".repeat(ID_PREFIX_MAX);
        let mut ids = RequestIds::new(&longest, u32::MAX).unwrap();
        assert_eq!(ids.next_id().len(), ID_PREFIX_MAX + 11);
    }

    #[test]
    fn a_send_request_for_one_recipient_is_exact_json() {
        let req = SendSms {
            id: Some("dev1-42"),
            to: Recipients::One("+491701234567"),
            text: "Hi \"Bob\" 👋\n",
            report: true,
        };
        assert_eq!(
            json(&req),
            r#"{"id":"dev1-42","to":"+491701234567","text":"Hi \"Bob\" 👋\n","report":true}"#
        );
    }

    #[test]
    fn a_send_request_for_several_recipients_uses_an_array() {
        let req = SendSms {
            id: None,
            to: Recipients::Many(&["+4917", "+4918"]),
            text: "x",
            report: false,
        };
        assert_eq!(
            json(&req),
            r#"{"to":["+4917","+4918"],"text":"x","report":false}"#
        );
    }

    #[test]
    fn invalid_requests_are_refused_before_writing() {
        let ok = SendSms {
            id: None,
            to: Recipients::One("+4917"),
            text: "x",
            report: false,
        };
        let mut buf = [0u8; 256];
        let check = |r: SendSms<'_>, buf: &mut [u8]| r.write_json(buf);
        assert_eq!(
            check(
                SendSms {
                    to: Recipients::Many(&["+4917", "+49 17"]),
                    ..ok
                },
                &mut buf
            ),
            Err(Error::InvalidRecipient { index: 1 })
        );
        assert_eq!(
            check(
                SendSms {
                    to: Recipients::Many(&[]),
                    ..ok
                },
                &mut buf
            ),
            Err(Error::RecipientCount)
        );
        assert_eq!(
            check(
                SendSms {
                    to: Recipients::One("+"),
                    ..ok
                },
                &mut buf
            ),
            Err(Error::InvalidRecipient { index: 0 })
        );
        assert_eq!(
            check(SendSms { text: "", ..ok }, &mut buf),
            Err(Error::InvalidText)
        );
        assert_eq!(
            check(
                SendSms {
                    id: Some("a\"b"),
                    ..ok
                },
                &mut buf
            ),
            Err(Error::InvalidId)
        );
        assert_eq!(check(ok, &mut buf[..20]), Err(Error::BufferTooSmall));
    }

    #[test]
    fn the_longest_plain_request_fits_the_send_buffer() {
        let numbers: Vec<std::string::String> = (0..RECIPIENTS_MAX)
            .map(|i| format!("+{}", "9".repeat(NUMBER_MAX - 2)) + &i.to_string()[..1])
            .collect();
        let refs: Vec<&str> = numbers.iter().map(|s| s.as_str()).collect();
        let id = "i".repeat(ID_MAX);
        let text = "t".repeat(SEND_TEXT_MAX);
        let req = SendSms {
            id: Some(&id),
            to: Recipients::Many(&refs),
            text: &text,
            report: true,
        };
        assert!(json(&req).len() <= crate::SEND_REQUEST_MAX);
    }

    #[test]
    fn an_accepting_reply_parses() {
        let r = parse_reply(
            br#"{"id":"dev1-42","ok":true,"message_id":9001,"parts":2,"encoding":"gsm7","extra":{"a":[1]}}"#,
        )
        .unwrap();
        assert_eq!(r.id.as_deref(), Some("dev1-42"));
        assert_eq!(
            r.outcome,
            Outcome::Accepted {
                message_id: 9001,
                parts: 2,
                encoding: "gsm7".try_into().unwrap()
            }
        );
    }

    #[test]
    fn a_rejecting_reply_parses_with_its_error_object() {
        let r = parse_reply(
            br#"{"id":null,"ok":false,"error":{"code":"invalid_recipient","message":"to[1] is not E.164","field":"to"}}"#,
        )
        .unwrap();
        assert_eq!(r.id, None);
        let Outcome::Rejected {
            code,
            message,
            field,
        } = r.outcome
        else {
            panic!("accepted")
        };
        assert_eq!(code, "invalid_recipient");
        assert_eq!(message, "to[1] is not E.164");
        assert_eq!(field.as_deref(), Some("to"));
        let r = parse_reply(
            br#"{"ok":false,"error":{"code":"rate_limited","message":"","field":null}}"#,
        )
        .unwrap();
        assert!(matches!(r.outcome, Outcome::Rejected { field: None, .. }));
    }

    #[test]
    fn replies_with_missing_or_mistyped_fields_name_the_field() {
        assert_eq!(
            parse_reply(br#"{"ok":true,"parts":1,"encoding":"gsm7"}"#),
            Err(Error::Missing {
                field: Field::MessageId
            })
        );
        assert_eq!(
            parse_reply(br#"{"ok":"yes"}"#),
            Err(Error::Invalid { field: Field::Ok })
        );
        assert_eq!(
            parse_reply(br#"{"ok":false}"#),
            Err(Error::Missing {
                field: Field::Error
            })
        );
        assert!(matches!(
            parse_reply(br#"{"ok":true,"#),
            Err(Error::Json(json::Error::Syntax { .. }))
        ));
        let long_id = format!(
            r#"{{"id":"{}","ok":false,"error":{{"code":"x"}}}}"#,
            "i".repeat(ID_MAX + 1)
        );
        assert_eq!(
            parse_reply(long_id.as_bytes()),
            Err(Error::Overflow {
                field: Field::Id,
                capacity: ID_MAX
            })
        );
    }

    #[test]
    fn status_events_parse_for_every_state() {
        for st in [
            "queued",
            "sent",
            "delivered",
            "failed",
            "expired",
            "cancelled",
        ] {
            let payload = format!(
                r#"{{"message_id":7,"id":"dev1-1","to":"+4917","state":"{st}","parts_sent":1,"parts_total":2,"modem":"m0","reason":null,"at":"2026-11-22T06:00:00Z"}}"#
            );
            let s = parse_status(payload.as_bytes()).unwrap();
            assert_eq!(s.state.as_str(), st);
            assert_eq!((s.message_id, s.parts_sent, s.parts_total), (7, 1, 2));
            assert_eq!(s.modem.as_deref(), Some("m0"));
            assert_eq!(s.reason, None);
            assert_eq!(s.at, "2026-11-22T06:00:00Z");
        }
        assert!(SmsState::Delivered.is_final() && !SmsState::Sent.is_final());
    }

    #[test]
    fn status_events_report_overflow_and_unknown_states() {
        let to_long = format!(
            r#"{{"message_id":7,"to":"+{}","state":"sent","at":"x"}}"#,
            "1".repeat(NUMBER_MAX)
        );
        assert_eq!(
            parse_status(to_long.as_bytes()),
            Err(Error::Overflow {
                field: Field::To,
                capacity: NUMBER_MAX
            })
        );
        assert_eq!(
            parse_status(br#"{"message_id":7,"to":"+1","state":"lost","at":"x"}"#),
            Err(Error::Invalid {
                field: Field::State
            })
        );
        assert_eq!(
            parse_status(
                br#"{"message_id":7,"to":"+1","state":"failed","parts_sent":70000,"at":"x"}"#
            ),
            Err(Error::Invalid {
                field: Field::PartsSent
            })
        );
        let reason = format!(
            r#"{{"message_id":7,"to":"+1","state":"failed","reason":"{}","at":"x"}}"#,
            "r".repeat(MESSAGE_MAX + 1)
        );
        assert_eq!(
            parse_status(reason.as_bytes()),
            Err(Error::Overflow {
                field: Field::Reason,
                capacity: MESSAGE_MAX
            })
        );
    }

    #[test]
    fn inbound_sms_parse_with_escaped_text_and_a_chosen_capacity() {
        let payload = br#"{"message_id":12,"from":"+4917","modem":"m0","text":"Caf\u00e9 \ud83d\ude00 \"ok\"\n","encoding":"ucs2","received_at":"2026-11-22T06:00:01Z","sent_at":"2026-11-22T05:59:58+01:00","parts":1}"#;
        let m: InboxSms = parse_inbox(payload).unwrap();
        assert_eq!(m.text, "Café 😀 \"ok\"\n");
        assert_eq!(m.sent_at.as_deref(), Some("2026-11-22T05:59:58+01:00"));
        assert_eq!((m.message_id, m.parts), (12, 1));
        assert_eq!(
            parse_inbox::<8>(payload),
            Err(Error::Overflow {
                field: Field::Text,
                capacity: 8
            })
        );
        assert_eq!(
            parse_inbox::<64>(br#"{"message_id":12,"from":"+4917","modem":"m0","encoding":"gsm7","received_at":"t"}"#),
            Err(Error::Missing { field: Field::Text })
        );
    }

    #[test]
    fn parse_message_routes_by_topic() {
        let reply = br#"{"ok":true,"message_id":1,"parts":1,"encoding":"gsm7"}"#;
        assert!(matches!(
            parse_message::<64>("dev1", "gsmq/dev1/reply", reply),
            Ok(Some(Message::Reply(_)))
        ));
        assert_eq!(
            parse_message::<64>("dev1", "gsmq/dev2/reply", reply),
            Ok(None)
        );
        assert_eq!(
            parse_message::<64>("dev1", "gsmq/dev1/other", reply),
            Ok(None)
        );
        assert!(matches!(
            parse_message::<64>("dev1", INBOX_TOPIC, reply),
            Err(Error::Missing { .. })
        ));
    }

    proptest! {
        #[test]
        fn any_text_makes_a_request_serde_json_reads_back(
            text in "\\PC{1,200}|[\\x00-\\x1f\"\\\\a]{1,50}",
            counter in any::<u32>(),
        ) {
            let mut ids = RequestIds::new("dev1", counter).unwrap();
            let id = ids.next_id();
            let req = SendSms { id: Some(&id), to: Recipients::One("+4917"), text: &text, report: true };
            let v: serde_json::Value = serde_json::from_str(&json(&req)).unwrap();
            prop_assert_eq!(v["text"].as_str(), Some(text.as_str()));
            prop_assert_eq!(v["id"].as_str(), Some(id.as_str()));
            prop_assert_eq!(v["report"].as_bool(), Some(true));
        }

        #[test]
        fn events_serialised_by_serde_json_parse_here(
            text in "\\PC{0,100}",
            from in "\\+[0-9]{1,15}",
            message_id in any::<u64>(),
        ) {
            let payload = serde_json::json!({
                "message_id": message_id, "from": from, "modem": "m0", "text": text,
                "encoding": "ucs2", "received_at": "2026-11-22T06:00:01Z", "sent_at": null, "parts": 1,
            }).to_string();
            let m: InboxSms<400> = parse_inbox(payload.as_bytes()).unwrap();
            prop_assert_eq!(m.text.as_str(), text.as_str());
            prop_assert_eq!(m.from.as_str(), from.as_str());
            prop_assert_eq!(m.message_id, message_id);
        }

        #[test]
        fn arbitrary_payloads_never_panic_the_parsers(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_reply(&bytes);
            let _ = parse_status(&bytes);
            let _ = parse_inbox::<32>(&bytes);
        }
    }
}
