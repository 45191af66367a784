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
