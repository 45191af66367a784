//! MMS header fields (OMA-MMS-ENC-V1_3 §7.3, field codes in Table 12) and
//! their value encodings. Unknown well-known fields are kept verbatim so a
//! decoded PDU re-encodes without loss.

use super::wsp::{check_raw_value, EncodedString, Reader, Writer};
use super::{Error, Result};

/// X-Mms-Message-Type values (OMA-MMS-ENC §7.3.30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    SendReq,
    SendConf,
    NotificationInd,
    NotifyRespInd,
    RetrieveConf,
    AcknowledgeInd,
    DeliveryInd,
    ReadRecInd,
    ReadOrigInd,
    /// Another assigned or unassigned value (forward, mbox, cancel, ...).
    Other(u8),
}

impl MessageType {
    pub fn code(self) -> u8 {
        match self {
            MessageType::SendReq => 0x80,
            MessageType::SendConf => 0x81,
            MessageType::NotificationInd => 0x82,
            MessageType::NotifyRespInd => 0x83,
            MessageType::RetrieveConf => 0x84,
            MessageType::AcknowledgeInd => 0x85,
            MessageType::DeliveryInd => 0x86,
            MessageType::ReadRecInd => 0x87,
            MessageType::ReadOrigInd => 0x88,
            MessageType::Other(c) => c,
        }
    }

    pub fn from_code(c: u8) -> MessageType {
        match c {
            0x80 => MessageType::SendReq,
            0x81 => MessageType::SendConf,
            0x82 => MessageType::NotificationInd,
            0x83 => MessageType::NotifyRespInd,
            0x84 => MessageType::RetrieveConf,
            0x85 => MessageType::AcknowledgeInd,
            0x86 => MessageType::DeliveryInd,
            0x87 => MessageType::ReadRecInd,
            0x88 => MessageType::ReadOrigInd,
            c => MessageType::Other(c),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::SendReq => "m-send-req",
            MessageType::SendConf => "m-send-conf",
            MessageType::NotificationInd => "m-notification-ind",
            MessageType::NotifyRespInd => "m-notifyresp-ind",
            MessageType::RetrieveConf => "m-retrieve-conf",
            MessageType::AcknowledgeInd => "m-acknowledge-ind",
            MessageType::DeliveryInd => "m-delivery-ind",
            MessageType::ReadRecInd => "m-read-rec-ind",
            MessageType::ReadOrigInd => "m-read-orig-ind",
            MessageType::Other(_) => "other",
        }
    }
}

/// X-Mms-Status values (OMA-MMS-ENC §7.3.54).
pub mod status {
    pub const EXPIRED: u8 = 0x80;
    pub const RETRIEVED: u8 = 0x81;
    pub const REJECTED: u8 = 0x82;
    pub const DEFERRED: u8 = 0x83;
    pub const UNRECOGNISED: u8 = 0x84;
    pub const INDETERMINATE: u8 = 0x85;
    pub const FORWARDED: u8 = 0x86;
    pub const UNREACHABLE: u8 = 0x87;
}

/// X-Mms-Response-Status values (OMA-MMS-ENC §7.3.48), the common ones.
pub mod response {
    pub const OK: u8 = 0x80;
    pub const ERROR_UNSPECIFIED: u8 = 0x81;
    pub const ERROR_SERVICE_DENIED: u8 = 0x82;
    pub const ERROR_MESSAGE_FORMAT_CORRUPT: u8 = 0x83;
    pub const ERROR_SENDING_ADDRESS_UNRESOLVED: u8 = 0x84;
    pub const ERROR_MESSAGE_NOT_FOUND: u8 = 0x85;
    pub const ERROR_NETWORK_PROBLEM: u8 = 0x86;
    pub const ERROR_CONTENT_NOT_ACCEPTED: u8 = 0x87;
    pub const ERROR_UNSUPPORTED_MESSAGE: u8 = 0x88;
    /// 0xC0..=0xDF transient failures.
    pub const ERROR_TRANSIENT_FAILURE: u8 = 0xC0;
    /// 0xE0..=0xFF permanent failures.
    pub const ERROR_PERMANENT_FAILURE: u8 = 0xE0;
}

/// X-Mms-Message-Class (§7.3.27).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageClass {
    Personal,
    Advertisement,
    Informational,
    Auto,
    Token(String),
}

/// An absolute or relative time (X-Mms-Expiry, X-Mms-Delivery-Time, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    /// Seconds since 1970-01-01T00:00:00Z.
    Absolute(u64),
    /// Seconds from now.
    Relative(u64),
}

/// One MMS header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    Bcc(EncodedString),
    Cc(EncodedString),
    ContentLocation(String),
    /// Seconds since the epoch.
    Date(u64),
    DeliveryReport(bool),
    DeliveryTime(TimeSpec),
    Expiry(TimeSpec),
    /// `None`: insert-address-token (the MMSC fills in the sender).
    From(Option<EncodedString>),
    MessageClass(MessageClass),
    MessageId(String),
    MessageType(MessageType),
    /// (major, minor).
    Version(u8, u8),
    MessageSize(u64),
    /// 0x80 low, 0x81 normal, 0x82 high.
    Priority(u8),
    ReadReport(bool),
    ReportAllowed(bool),
    ResponseStatus(u8),
    ResponseText(EncodedString),
    /// `true` hides the sender.
    SenderVisibilityHide(bool),
    Status(u8),
    Subject(EncodedString),
    To(EncodedString),
    TransactionId(String),
    RetrieveStatus(u8),
    RetrieveText(EncodedString),
    /// 0x80 read, 0x81 deleted without being read.
    ReadStatus(u8),
    /// A well-known field this codec does not type, value kept verbatim.
    Raw {
        code: u8,
        value: Vec<u8>,
    },
    /// An application header (token text name, text value).
    Text {
        name: String,
        value: String,
    },
}

pub(crate) const CONTENT_TYPE: u8 = 0x04;

impl Header {
    /// The field code (without the top bit), `None` for textual headers.
    pub fn code(&self) -> Option<u8> {
        Some(match self {
            Header::Bcc(_) => 0x01,
            Header::Cc(_) => 0x02,
            Header::ContentLocation(_) => 0x03,
            Header::Date(_) => 0x05,
            Header::DeliveryReport(_) => 0x06,
            Header::DeliveryTime(_) => 0x07,
            Header::Expiry(_) => 0x08,
            Header::From(_) => 0x09,
            Header::MessageClass(_) => 0x0A,
            Header::MessageId(_) => 0x0B,
            Header::MessageType(_) => 0x0C,
            Header::Version(..) => 0x0D,
            Header::MessageSize(_) => 0x0E,
            Header::Priority(_) => 0x0F,
            Header::ReadReport(_) => 0x10,
            Header::ReportAllowed(_) => 0x11,
            Header::ResponseStatus(_) => 0x12,
            Header::ResponseText(_) => 0x13,
            Header::SenderVisibilityHide(_) => 0x14,
            Header::Status(_) => 0x15,
            Header::Subject(_) => 0x16,
            Header::To(_) => 0x17,
            Header::TransactionId(_) => 0x18,
            Header::RetrieveStatus(_) => 0x19,
            Header::RetrieveText(_) => 0x1A,
            Header::ReadStatus(_) => 0x1B,
            Header::Raw { code, .. } => *code,
            Header::Text { .. } => return None,
        })
    }

    /// The header's name as in the OMA specification.
    pub fn name(&self) -> String {
        match self {
            Header::Text { name, .. } => name.clone(),
            h => field_name(h.code().unwrap_or(0)).to_owned(),
        }
    }

    /// The value rendered as text (for display and JSON).
    pub fn value_string(&self) -> String {
        fn yes(b: bool) -> String {
            if b { "yes" } else { "no" }.into()
        }
        fn time(t: &TimeSpec) -> String {
            match t {
                TimeSpec::Absolute(s) => format!("absolute {s}"),
                TimeSpec::Relative(s) => format!("relative {s}s"),
            }
        }
        match self {
            Header::Bcc(s)
            | Header::Cc(s)
            | Header::ResponseText(s)
            | Header::Subject(s)
            | Header::To(s)
            | Header::RetrieveText(s) => s.text.clone(),
            Header::ContentLocation(s) | Header::MessageId(s) | Header::TransactionId(s) => {
                s.clone()
            }
            Header::Date(d) => d.to_string(),
            Header::DeliveryReport(b) | Header::ReadReport(b) | Header::ReportAllowed(b) => yes(*b),
            Header::SenderVisibilityHide(b) => if *b { "hide" } else { "show" }.into(),
            Header::DeliveryTime(t) | Header::Expiry(t) => time(t),
            Header::From(Some(s)) => s.text.clone(),
            Header::From(None) => "insert-address".into(),
            Header::MessageClass(c) => match c {
                MessageClass::Personal => "personal".into(),
                MessageClass::Advertisement => "advertisement".into(),
                MessageClass::Informational => "informational".into(),
                MessageClass::Auto => "auto".into(),
                MessageClass::Token(t) => t.clone(),
            },
            Header::MessageType(t) => match t {
                MessageType::Other(c) => format!("{c:#04x}"),
                t => t.as_str().into(),
            },
            Header::Version(a, b) => format!("{a}.{b}"),
            Header::MessageSize(n) => n.to_string(),
            Header::Priority(p) => match p {
                0x80 => "low".into(),
                0x81 => "normal".into(),
                0x82 => "high".into(),
                p => format!("{p:#04x}"),
            },
            Header::Status(s) => match *s {
                status::EXPIRED => "expired".into(),
                status::RETRIEVED => "retrieved".into(),
                status::REJECTED => "rejected".into(),
                status::DEFERRED => "deferred".into(),
                status::UNRECOGNISED => "unrecognised".into(),
                status::INDETERMINATE => "indeterminate".into(),
                status::FORWARDED => "forwarded".into(),
                status::UNREACHABLE => "unreachable".into(),
                s => format!("{s:#04x}"),
            },
            Header::ResponseStatus(s) => match *s {
                response::OK => "ok".into(),
                s => format!("{s:#04x}"),
            },
            Header::RetrieveStatus(s) | Header::ReadStatus(s) => format!("{s:#04x}"),
            Header::Raw { value, .. } => hex::encode(value),
            Header::Text { value, .. } => value.clone(),
        }
    }

    /// Decodes one header (name and value) from `r`; `None` when the field
    /// is Content-Type (left unread for the caller).
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Option<Header>> {
        let start = r.offset();
        let b = r.peek()?;
        if b < 0x80 {
            if b < 0x20 || b == 0x7F {
                r.field = "header name";
                return Err(Error::Invalid {
                    field: "header name",
                    offset: start,
                    reason: "shift sequences and control octets are not header names",
                });
            }
            r.field = "application header";
            let name = r.text_string()?;
            let value = r.text_string()?;
            return Ok(Some(Header::Text { name, value }));
        }
        let code = b & 0x7F;
        if code == CONTENT_TYPE {
            r.field = "Content-Type";
            return Ok(None);
        }
        r.field = field_name(code);
        r.u8()?;
        let yes_no = |r: &mut Reader<'_>| -> Result<bool> {
            match r.u8()? {
                0x80 => Ok(true),
                0x81 => Ok(false),
                _ => Err(Error::Invalid {
                    field: r.field,
                    offset: r.offset() - 1,
                    reason: "expected yes (0x80) or no (0x81)",
                }),
            }
        };
        let octet = |r: &mut Reader<'_>| -> Result<u8> {
            let v = r.u8()?;
            if v < 0x80 {
                return Err(Error::Invalid {
                    field: r.field,
                    offset: r.offset() - 1,
                    reason: "expected an octet with the top bit set",
                });
            }
            Ok(v)
        };
        let h = match code {
            0x01 => Header::Bcc(r.encoded_string()?),
            0x02 => Header::Cc(r.encoded_string()?),
            0x03 => Header::ContentLocation(r.text_string()?),
            0x05 => Header::Date(r.long_integer()?),
            0x06 => Header::DeliveryReport(yes_no(r)?),
            0x07 => Header::DeliveryTime(time_spec(r)?),
            0x08 => Header::Expiry(time_spec(r)?),
            0x09 => {
                let len = r.value_length()?;
                let mut sub = r.sub(len)?;
                match sub.u8()? {
                    0x80 => {
                        let s = sub.encoded_string()?;
                        Header::From(Some(s))
                    }
                    0x81 => Header::From(None),
                    _ => {
                        return Err(Error::Invalid {
                            field: r.field,
                            offset: sub.offset() - 1,
                            reason: "expected address-present or insert-address token",
                        })
                    }
                }
            }
            0x0A => {
                let v = r.peek()?;
                if v >= 0x80 {
                    r.u8()?;
                    Header::MessageClass(match v {
                        0x80 => MessageClass::Personal,
                        0x81 => MessageClass::Advertisement,
                        0x82 => MessageClass::Informational,
                        0x83 => MessageClass::Auto,
                        _ => {
                            return Err(Error::Invalid {
                                field: r.field,
                                offset: r.offset() - 1,
                                reason: "unknown message class",
                            })
                        }
                    })
                } else {
                    Header::MessageClass(MessageClass::Token(r.text_string()?))
                }
            }
            0x0B => Header::MessageId(r.text_string()?),
            0x0C => Header::MessageType(MessageType::from_code(octet(r)?)),
            0x0D => {
                let v = r.short_integer()?;
                Header::Version((v >> 4) & 0x07, v & 0x0F)
            }
            0x0E => Header::MessageSize(r.long_integer()?),
            0x0F => Header::Priority(octet(r)?),
            0x10 => Header::ReadReport(yes_no(r)?),
            0x11 => Header::ReportAllowed(yes_no(r)?),
            0x12 => Header::ResponseStatus(octet(r)?),
            0x13 => Header::ResponseText(r.encoded_string()?),
            0x14 => match r.u8()? {
                0x80 => Header::SenderVisibilityHide(true),
                0x81 => Header::SenderVisibilityHide(false),
                _ => {
                    return Err(Error::Invalid {
                        field: r.field,
                        offset: r.offset() - 1,
                        reason: "expected hide (0x80) or show (0x81)",
                    })
                }
            },
            0x15 => Header::Status(octet(r)?),
            0x16 => Header::Subject(r.encoded_string()?),
            0x17 => Header::To(r.encoded_string()?),
            0x18 => Header::TransactionId(r.text_string()?),
            0x19 => Header::RetrieveStatus(octet(r)?),
            0x1A => Header::RetrieveText(r.encoded_string()?),
            0x1B => Header::ReadStatus(octet(r)?),
            _ => Header::Raw {
                code,
                value: r.raw_value()?.to_vec(),
            },
        };
        Ok(Some(h))
    }

    /// Encodes this header.
    pub(crate) fn write(&self, w: &mut Writer) -> Result<()> {
        let field = field_name(self.code().unwrap_or(0));
        if let Some(code) = self.code() {
            if code == CONTENT_TYPE || code >= 0x80 {
                return Err(Error::Unencodable {
                    field,
                    reason: "Content-Type is not a header entry; set Pdu::content_type",
                });
            }
            w.short_integer(code);
        }
        let bool_octet = |b: bool| if b { 0x80 } else { 0x81 };
        let top = |v: u8| -> Result<u8> {
            if v < 0x80 {
                return Err(Error::Unencodable {
                    field,
                    reason: "value must have the top bit set",
                });
            }
            Ok(v)
        };
        match self {
            Header::Bcc(s)
            | Header::Cc(s)
            | Header::ResponseText(s)
            | Header::Subject(s)
            | Header::To(s)
            | Header::RetrieveText(s) => w.encoded_string(s, field)?,
            Header::ContentLocation(s) | Header::MessageId(s) | Header::TransactionId(s) => {
                w.text_string(s, field)?
            }
            Header::Date(d) | Header::MessageSize(d) => w.long_integer(*d),
            Header::DeliveryReport(b)
            | Header::ReadReport(b)
            | Header::ReportAllowed(b)
            | Header::SenderVisibilityHide(b) => w.u8(bool_octet(*b)),
            Header::DeliveryTime(t) | Header::Expiry(t) => {
                let mut inner = Writer::new();
                let (tok, v) = match t {
                    TimeSpec::Absolute(v) => (0x80, v),
                    TimeSpec::Relative(v) => (0x81, v),
                };
                inner.u8(tok);
                inner.long_integer(*v);
                w.with_length(&inner.buf, field)?;
            }
            Header::From(addr) => {
                let mut inner = Writer::new();
                match addr {
                    Some(s) => {
                        inner.u8(0x80);
                        inner.encoded_string(s, field)?;
                    }
                    None => inner.u8(0x81),
                }
                w.with_length(&inner.buf, field)?;
            }
            Header::MessageClass(c) => match c {
                MessageClass::Personal => w.u8(0x80),
                MessageClass::Advertisement => w.u8(0x81),
                MessageClass::Informational => w.u8(0x82),
                MessageClass::Auto => w.u8(0x83),
                MessageClass::Token(t) => w.text_string(t, field)?,
            },
            Header::MessageType(t) => w.u8(top(t.code())?),
            Header::Version(a, b) => {
                if *a > 7 || *b > 15 {
                    return Err(Error::Unencodable {
                        field,
                        reason: "version out of range",
                    });
                }
                w.short_integer((a << 4) | b);
            }
            Header::Priority(v)
            | Header::ResponseStatus(v)
            | Header::Status(v)
            | Header::RetrieveStatus(v)
            | Header::ReadStatus(v) => w.u8(top(*v)?),
            Header::Raw { value, .. } => {
                check_raw_value(value, field)?;
                w.bytes(value);
            }
            Header::Text { name, value } => {
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(Error::Unencodable {
                        field: "application header",
                        reason: "name is not a token",
                    });
                }
                w.text_string(name, "application header")?;
                w.text_string(value, "application header")?;
            }
        }
        Ok(())
    }
}

fn time_spec(r: &mut Reader<'_>) -> Result<TimeSpec> {
    let len = r.value_length()?;
    let mut sub = r.sub(len)?;
    let tok = sub.u8()?;
    let v = sub.long_integer()?;
    match tok {
        0x80 => Ok(TimeSpec::Absolute(v)),
        0x81 => Ok(TimeSpec::Relative(v)),
        _ => Err(Error::Invalid {
            field: r.field,
            offset: sub.offset(),
            reason: "expected absolute or relative token",
        }),
    }
}

/// The OMA name of MMS field `code` (Table 12).
pub fn field_name(code: u8) -> &'static str {
    const NAMES: [&str; 0x40] = [
        "header 0x00",
        "Bcc",
        "Cc",
        "X-Mms-Content-Location",
        "Content-Type",
        "Date",
        "X-Mms-Delivery-Report",
        "X-Mms-Delivery-Time",
        "X-Mms-Expiry",
        "From",
        "X-Mms-Message-Class",
        "Message-ID",
        "X-Mms-Message-Type",
        "X-Mms-MMS-Version",
        "X-Mms-Message-Size",
        "X-Mms-Priority",
        "X-Mms-Read-Report",
        "X-Mms-Report-Allowed",
        "X-Mms-Response-Status",
        "X-Mms-Response-Text",
        "X-Mms-Sender-Visibility",
        "X-Mms-Status",
        "Subject",
        "To",
        "X-Mms-Transaction-Id",
        "X-Mms-Retrieve-Status",
        "X-Mms-Retrieve-Text",
        "X-Mms-Read-Status",
        "X-Mms-Reply-Charging",
        "X-Mms-Reply-Charging-Deadline",
        "X-Mms-Reply-Charging-ID",
        "X-Mms-Reply-Charging-Size",
        "X-Mms-Previously-Sent-By",
        "X-Mms-Previously-Sent-Date",
        "X-Mms-Store",
        "X-Mms-MM-State",
        "X-Mms-MM-Flags",
        "X-Mms-Store-Status",
        "X-Mms-Store-Status-Text",
        "X-Mms-Stored",
        "X-Mms-Attributes",
        "X-Mms-Totals",
        "X-Mms-Mbox-Totals",
        "X-Mms-Quotas",
        "X-Mms-Mbox-Quotas",
        "X-Mms-Message-Count",
        "Content",
        "X-Mms-Start",
        "Additional-headers",
        "X-Mms-Distribution-Indicator",
        "X-Mms-Element-Descriptor",
        "X-Mms-Limit",
        "X-Mms-Recommended-Retrieval-Mode",
        "X-Mms-Recommended-Retrieval-Mode-Text",
        "X-Mms-Status-Text",
        "X-Mms-Applic-ID",
        "X-Mms-Reply-Applic-ID",
        "X-Mms-Aux-Applic-Info",
        "X-Mms-Content-Class",
        "X-Mms-DRM-Content",
        "X-Mms-Adaptation-Allowed",
        "X-Mms-Replace-ID",
        "X-Mms-Cancel-ID",
        "X-Mms-Cancel-Status",
    ];
    NAMES
        .get(usize::from(code))
        .copied()
        .unwrap_or("unknown header")
}
