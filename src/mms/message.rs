//! The MMS PDU (OMA-MMS-ENC §6): an ordered header list, then, for PDUs
//! with a body, Content-Type last and the body — a WSP multipart (WSP §8.5)
//! for `application/vnd.wap.multipart.*`, else opaque octets.
//!
//! Guarantees: [`Pdu::decode`] never panics on any input and reports the
//! header and absolute offset of the first problem; for every PDU that
//! [`Pdu::encode`] accepts, `decode(encode(p)) == p`.

use super::header::{Header, MessageType, TimeSpec};
use super::wsp::{ContentType, EncodedString, Param, Reader, Writer};
use super::{Error, Result};

/// Limit on multipart entries (bounded work on hostile input).
pub const PARTS_MAX: usize = 1024;

/// A part header other than Content-Type (kept in wire order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartHeader {
    /// Content-ID, e.g. `<image>` (WSP header 0x40, quoted string).
    ContentId(String),
    /// Content-Location, e.g. `image.png` (WSP header 0x0E).
    ContentLocation(String),
    /// A well-known WSP header (code without the top bit), value verbatim.
    Raw { code: u8, value: Vec<u8> },
    /// An application header.
    Text { name: String, value: String },
}

/// One entry of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub content_type: ContentType,
    /// Headers after the content type, in wire order.
    pub headers: Vec<PartHeader>,
    pub data: Vec<u8>,
}

impl Part {
    /// A part with a content type, an ID `<id>` and a location `location`.
    pub fn new(content_type: ContentType, id: &str, location: &str, data: Vec<u8>) -> Part {
        Part {
            content_type,
            headers: vec![
                PartHeader::ContentId(format!("<{id}>")),
                PartHeader::ContentLocation(location.to_owned()),
            ],
            data,
        }
    }

    /// The first Content-ID.
    pub fn content_id(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            PartHeader::ContentId(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// The first Content-Location.
    pub fn content_location(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            PartHeader::ContentLocation(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// A UTF-8 text/plain part.
    pub fn text(id: &str, location: &str, text: &str) -> Part {
        Part::new(
            ContentType::new("text/plain").with(Param::Charset(super::wsp::charset::UTF_8)),
            id,
            location,
            text.as_bytes().to_vec(),
        )
    }

    /// A SMIL presentation part.
    pub fn smil(id: &str, smil: &str) -> Part {
        Part::new(
            ContentType::new("application/smil"),
            id,
            &format!("{id}.smil"),
            smil.as_bytes().to_vec(),
        )
    }
}

/// A PDU body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Multipart(Vec<Part>),
    Single(Vec<u8>),
}

/// An MMS PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// Headers in wire order (without Content-Type).
    pub headers: Vec<Header>,
    /// Content-Type (written last) and body, for PDUs that carry one.
    pub content: Option<(ContentType, Body)>,
}

/// Default MMS version written by the builders.
pub const VERSION: (u8, u8) = (1, 3);

impl Pdu {
    fn base(t: MessageType, tid: Option<&str>) -> Pdu {
        let mut headers = vec![Header::MessageType(t)];
        if let Some(tid) = tid {
            headers.push(Header::TransactionId(tid.to_owned()));
        }
        headers.push(Header::Version(VERSION.0, VERSION.1));
        Pdu {
            headers,
            content: None,
        }
    }

    /// m-send-req with a multipart/related body whose root is the first
    /// SMIL part (or multipart/mixed when there is no SMIL part).
    pub fn send_req(tid: &str, to: &[&str], subject: Option<&str>, parts: Vec<Part>) -> Pdu {
        let mut p = Pdu::base(MessageType::SendReq, Some(tid));
        p.headers.push(Header::From(None));
        for t in to {
            p.headers.push(Header::To(EncodedString::new(&address(t))));
        }
        if let Some(s) = subject {
            p.headers.push(Header::Subject(EncodedString::new(s)));
        }
        p.content = Some(multipart_content(parts));
        p
    }

    /// m-send-conf.
    pub fn send_conf(tid: &str, response_status: u8, message_id: Option<&str>) -> Pdu {
        let mut p = Pdu::base(MessageType::SendConf, Some(tid));
        p.headers.push(Header::ResponseStatus(response_status));
        if let Some(id) = message_id {
            p.headers.push(Header::MessageId(id.to_owned()));
        }
        p
    }

    /// m-notification-ind announcing a message at `content_location`.
    pub fn notification_ind(
        tid: &str,
        from: Option<&str>,
        subject: Option<&str>,
        size: u64,
        expiry_s: u64,
        content_location: &str,
    ) -> Pdu {
        let mut p = Pdu::base(MessageType::NotificationInd, Some(tid));
        if let Some(f) = from {
            p.headers
                .push(Header::From(Some(EncodedString::new(&address(f)))));
        }
        if let Some(s) = subject {
            p.headers.push(Header::Subject(EncodedString::new(s)));
        }
        p.headers
            .push(Header::MessageClass(super::header::MessageClass::Personal));
        p.headers.push(Header::MessageSize(size));
        p.headers.push(Header::Expiry(TimeSpec::Relative(expiry_s)));
        p.headers
            .push(Header::ContentLocation(content_location.to_owned()));
        p
    }

    /// m-notifyresp-ind with X-Mms-Status `status` (e.g. `status::RETRIEVED`).
    pub fn notifyresp_ind(tid: &str, st: u8) -> Pdu {
        let mut p = Pdu::base(MessageType::NotifyRespInd, Some(tid));
        p.headers.push(Header::Status(st));
        p
    }

    /// m-retrieve-conf.
    pub fn retrieve_conf(
        tid: Option<&str>,
        message_id: &str,
        from: &str,
        to: &[&str],
        subject: Option<&str>,
        date: u64,
        parts: Vec<Part>,
    ) -> Pdu {
        let mut p = Pdu::base(MessageType::RetrieveConf, tid);
        p.headers.push(Header::MessageId(message_id.to_owned()));
        p.headers.push(Header::Date(date));
        p.headers
            .push(Header::From(Some(EncodedString::new(&address(from)))));
        for t in to {
            p.headers.push(Header::To(EncodedString::new(&address(t))));
        }
        if let Some(s) = subject {
            p.headers.push(Header::Subject(EncodedString::new(s)));
        }
        p.content = Some(multipart_content(parts));
        p
    }

    /// m-acknowledge-ind.
    pub fn acknowledge_ind(tid: &str, report_allowed: bool) -> Pdu {
        let mut p = Pdu::base(MessageType::AcknowledgeInd, Some(tid));
        p.headers.push(Header::ReportAllowed(report_allowed));
        p
    }

    /// m-delivery-ind.
    pub fn delivery_ind(message_id: &str, to: &str, date: u64, st: u8) -> Pdu {
        let mut p = Pdu::base(MessageType::DeliveryInd, None);
        p.headers.push(Header::MessageId(message_id.to_owned()));
        p.headers.push(Header::To(EncodedString::new(&address(to))));
        p.headers.push(Header::Date(date));
        p.headers.push(Header::Status(st));
        p
    }

    /// m-read-orig-ind (read status 0x80 read, 0x81 deleted).
    pub fn read_orig_ind(
        message_id: &str,
        to: &str,
        from: &str,
        date: u64,
        read_status: u8,
    ) -> Pdu {
        let mut p = Pdu::base(MessageType::ReadOrigInd, None);
        p.headers.push(Header::MessageId(message_id.to_owned()));
        p.headers.push(Header::To(EncodedString::new(&address(to))));
        p.headers
            .push(Header::From(Some(EncodedString::new(&address(from)))));
        p.headers.push(Header::Date(date));
        p.headers.push(Header::ReadStatus(read_status));
        p
    }

    pub fn message_type(&self) -> Option<MessageType> {
        self.headers.iter().find_map(|h| match h {
            Header::MessageType(t) => Some(*t),
            _ => None,
        })
    }

    pub fn transaction_id(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            Header::TransactionId(t) => Some(t.as_str()),
            _ => None,
        })
    }

    pub fn message_id(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            Header::MessageId(t) => Some(t.as_str()),
            _ => None,
        })
    }

    pub fn content_location(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            Header::ContentLocation(t) => Some(t.as_str()),
            _ => None,
        })
    }

    /// The sender without a `/TYPE=…` suffix.
    pub fn from(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            Header::From(Some(s)) => Some(strip_type(&s.text)),
            _ => None,
        })
    }

    /// Recipients (To, Cc, Bcc) without `/TYPE=…` suffixes.
    pub fn to(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter_map(|h| match h {
                Header::To(s) | Header::Cc(s) | Header::Bcc(s) => Some(strip_type(&s.text)),
                _ => None,
            })
            .collect()
    }

    pub fn subject(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            Header::Subject(s) => Some(s.text.as_str()),
            _ => None,
        })
    }

    pub fn date(&self) -> Option<u64> {
        self.headers.iter().find_map(|h| match h {
            Header::Date(d) => Some(*d),
            _ => None,
        })
    }

    pub fn response_status(&self) -> Option<u8> {
        self.headers.iter().find_map(|h| match h {
            Header::ResponseStatus(s) => Some(*s),
            _ => None,
        })
    }

    pub fn response_text(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            Header::ResponseText(s) => Some(s.text.as_str()),
            _ => None,
        })
    }

    pub fn status(&self) -> Option<u8> {
        self.headers.iter().find_map(|h| match h {
            Header::Status(s) => Some(*s),
            _ => None,
        })
    }

    pub fn message_size(&self) -> Option<u64> {
        self.headers.iter().find_map(|h| match h {
            Header::MessageSize(s) => Some(*s),
            _ => None,
        })
    }

    /// The parts of a multipart body (empty otherwise).
    pub fn parts(&self) -> &[Part] {
        match &self.content {
            Some((_, Body::Multipart(p))) => p,
            _ => &[],
        }
    }

    /// Decodes a PDU. The first header must be X-Mms-Message-Type.
    pub fn decode(bytes: &[u8]) -> Result<Pdu> {
        let mut r = Reader::new(bytes, 0, "X-Mms-Message-Type");
        if r.peek()? != 0x8C {
            return Err(Error::NotMms { offset: 0 });
        }
        let mut headers = Vec::new();
        while !r.is_empty() {
            match Header::read(&mut r)? {
                Some(h) => headers.push(h),
                None => {
                    r.u8()?;
                    let ct = r.content_type()?;
                    let body = if ct.is_multipart() {
                        r.field = "multipart body";
                        Body::Multipart(read_multipart(&mut r)?)
                    } else {
                        Body::Single(r.rest().to_vec())
                    };
                    return Ok(Pdu {
                        headers,
                        content: Some((ct, body)),
                    });
                }
            }
        }
        Ok(Pdu {
            headers,
            content: None,
        })
    }

    /// Encodes a PDU.
    pub fn encode(&self) -> Result<Vec<u8>> {
        if !matches!(self.headers.first(), Some(Header::MessageType(_))) {
            return Err(Error::Unencodable {
                field: "X-Mms-Message-Type",
                reason: "must be the first header",
            });
        }
        let mut w = Writer::new();
        for h in &self.headers {
            h.write(&mut w)?;
        }
        if let Some((ct, body)) = &self.content {
            w.short_integer(super::header::CONTENT_TYPE);
            w.content_type(ct, "Content-Type")?;
            match body {
                Body::Multipart(parts) => {
                    if !ct.is_multipart() {
                        return Err(Error::Unencodable {
                            field: "Content-Type",
                            reason: "multipart body needs a multipart content type",
                        });
                    }
                    write_multipart(&mut w, parts)?;
                }
                Body::Single(data) => {
                    if ct.is_multipart() {
                        return Err(Error::Unencodable {
                            field: "Content-Type",
                            reason: "multipart content type needs a multipart body",
                        });
                    }
                    w.bytes(data);
                }
            }
        }
        Ok(w.buf)
    }
}

/// `+4917…` or digits → `+4917…/TYPE=PLMN`; e-mail addresses and values
/// that already carry `/TYPE=` are kept.
pub fn address(a: &str) -> String {
    if a.contains("/TYPE=") || a.contains('@') {
        a.to_owned()
    } else {
        format!("{a}/TYPE=PLMN")
    }
}

/// `+4917…/TYPE=PLMN` → `+4917…`.
pub fn strip_type(a: &str) -> &str {
    match a.find("/TYPE=") {
        Some(i) => &a[..i],
        None => a,
    }
}

fn multipart_content(parts: Vec<Part>) -> (ContentType, Body) {
    let smil = parts.iter().find(|p| {
        p.content_type
            .media
            .eq_ignore_ascii_case("application/smil")
    });
    let ct = match smil {
        Some(s) => {
            let mut ct = ContentType::new("application/vnd.wap.multipart.related");
            if let Some(id) = s.content_id() {
                ct.params.push(Param::Start(id.to_owned()));
            }
            ct.params.push(Param::Type("application/smil".into()));
            ct
        }
        None => ContentType::new("application/vnd.wap.multipart.mixed"),
    };
    (ct, Body::Multipart(parts))
}

/// WSP part header codes.
const CONTENT_LOCATION: u8 = 0x0E;
const CONTENT_ID: u8 = 0x40;

/// Reads a WSP multipart (WSP §8.5.2) until the end of `r`.
pub fn read_multipart(r: &mut Reader<'_>) -> Result<Vec<Part>> {
    r.field = "multipart entry count";
    let n = r.uintvar()? as usize;
    if n > PARTS_MAX {
        return Err(r.invalid("too many multipart entries"));
    }
    let mut parts = Vec::new();
    for _ in 0..n {
        r.field = "multipart entry";
        let hlen = r.uintvar()? as usize;
        let dlen = r.uintvar()? as usize;
        let mut h = r.sub(hlen)?;
        h.field = "part Content-Type";
        let content_type = h.content_type()?;
        let mut part = Part {
            content_type,
            headers: Vec::new(),
            data: Vec::new(),
        };
        while !h.is_empty() {
            let b = h.peek()?;
            if b >= 0x80 {
                let code = b & 0x7F;
                h.u8()?;
                match code {
                    CONTENT_ID => {
                        h.field = "part Content-ID";
                        part.headers.push(PartHeader::ContentId(h.text_value()?));
                    }
                    CONTENT_LOCATION => {
                        h.field = "part Content-Location";
                        part.headers
                            .push(PartHeader::ContentLocation(h.text_string()?));
                    }
                    _ => {
                        h.field = "part header";
                        part.headers.push(PartHeader::Raw {
                            code,
                            value: h.raw_value()?.to_vec(),
                        });
                    }
                }
            } else if b >= 0x20 && b != 0x7F {
                h.field = "part application header";
                let name = h.text_string()?;
                let value = h.text_string()?;
                part.headers.push(PartHeader::Text { name, value });
            } else {
                return Err(Error::Invalid {
                    field: "part header",
                    offset: h.offset(),
                    reason: "shift sequences are not supported",
                });
            }
        }
        r.field = "multipart data";
        part.data = r.take(dlen)?.to_vec();
        parts.push(part);
    }
    Ok(parts)
}

/// Writes a WSP multipart.
pub fn write_multipart(w: &mut Writer, parts: &[Part]) -> Result<()> {
    if parts.len() > PARTS_MAX {
        return Err(Error::Unencodable {
            field: "multipart body",
            reason: "too many parts",
        });
    }
    w.uintvar(parts.len() as u32);
    for p in parts {
        let mut h = Writer::new();
        h.content_type(&p.content_type, "part Content-Type")?;
        for ph in &p.headers {
            match ph {
                PartHeader::ContentId(id) => {
                    h.short_integer(CONTENT_ID);
                    h.quoted_string(id, "part Content-ID")?;
                }
                PartHeader::ContentLocation(loc) => {
                    h.short_integer(CONTENT_LOCATION);
                    h.text_string(loc, "part Content-Location")?;
                }
                PartHeader::Raw { code, value } => {
                    if *code >= 0x80 || *code == CONTENT_ID || *code == CONTENT_LOCATION {
                        return Err(Error::Unencodable {
                            field: "part header",
                            reason: "code reserved or out of range",
                        });
                    }
                    super::wsp::check_raw_value(value, "part header")?;
                    h.short_integer(*code);
                    h.bytes(value);
                }
                PartHeader::Text { name, value } => {
                    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
                        return Err(Error::Unencodable {
                            field: "part application header",
                            reason: "name is not a token",
                        });
                    }
                    h.text_string(name, "part application header")?;
                    h.text_string(value, "part application header")?;
                }
            }
        }
        let hlen = u32::try_from(h.buf.len()).map_err(|_| Error::Unencodable {
            field: "multipart entry",
            reason: "headers too long",
        })?;
        let dlen = u32::try_from(p.data.len()).map_err(|_| Error::Unencodable {
            field: "multipart entry",
            reason: "part larger than 4 GiB",
        })?;
        w.uintvar(hlen);
        w.uintvar(dlen);
        w.bytes(&h.buf);
        w.bytes(&p.data);
    }
    Ok(())
}
