//! WSP primitive encodings (WAP-230-WSP §8.4.2): uintvar, short and long
//! integers, text and quoted strings, encoded-string values with charsets,
//! value lengths, content types with parameters, and generic header values.
//!
//! Guarantees: decoding never panics and never reads past its slice; every
//! error names the field being read and the absolute offset. Encoding
//! writes the shortest form (minimal long integers, short-integer media
//! codes for well-known types).

use super::{Error, Result};

/// The largest value a WSP uintvar (at most 5 octets) carries here.
pub const UINTVAR_MAX: u32 = u32::MAX;

/// Charset MIBenum values (IANA) used in MMS.
pub mod charset {
    pub const US_ASCII: u32 = 3;
    pub const ISO_8859_1: u32 = 4;
    pub const UTF_8: u32 = 106;
    pub const UCS_2: u32 = 1000;
    pub const UTF_16BE: u32 = 1013;
    pub const UTF_16LE: u32 = 1014;
    pub const UTF_16: u32 = 1015;
}

/// Well-known content types (WSP Table 40 / OMNA content types), by code.
const MEDIA: &[(u8, &str)] = &[
    (0x00, "*/*"),
    (0x01, "text/*"),
    (0x02, "text/html"),
    (0x03, "text/plain"),
    (0x04, "text/x-hdml"),
    (0x05, "text/x-ttml"),
    (0x06, "text/x-vcalendar"),
    (0x07, "text/x-vcard"),
    (0x08, "text/vnd.wap.wml"),
    (0x09, "text/vnd.wap.wmlscript"),
    (0x0A, "text/vnd.wap.wta-event"),
    (0x0B, "multipart/*"),
    (0x0C, "multipart/mixed"),
    (0x0D, "multipart/form-data"),
    (0x0E, "multipart/byterantes"),
    (0x0F, "multipart/alternative"),
    (0x10, "application/*"),
    (0x11, "application/java-vm"),
    (0x12, "application/x-www-form-urlencoded"),
    (0x13, "application/x-hdmlc"),
    (0x14, "application/vnd.wap.wmlc"),
    (0x15, "application/vnd.wap.wmlscriptc"),
    (0x16, "application/vnd.wap.wta-eventc"),
    (0x17, "application/vnd.wap.uaprof"),
    (0x18, "application/vnd.wap.wtls-ca-certificate"),
    (0x19, "application/vnd.wap.wtls-user-certificate"),
    (0x1A, "application/x-x509-ca-cert"),
    (0x1B, "application/x-x509-user-cert"),
    (0x1C, "image/*"),
    (0x1D, "image/gif"),
    (0x1E, "image/jpeg"),
    (0x1F, "image/tiff"),
    (0x20, "image/png"),
    (0x21, "image/vnd.wap.wbmp"),
    (0x22, "application/vnd.wap.multipart.*"),
    (0x23, "application/vnd.wap.multipart.mixed"),
    (0x24, "application/vnd.wap.multipart.form-data"),
    (0x25, "application/vnd.wap.multipart.byteranges"),
    (0x26, "application/vnd.wap.multipart.alternative"),
    (0x27, "application/xml"),
    (0x28, "text/xml"),
    (0x29, "application/vnd.wap.wbxml"),
    (0x2A, "application/x-x968-cross-cert"),
    (0x2B, "application/x-x968-ca-cert"),
    (0x2C, "application/x-x968-user-cert"),
    (0x2D, "text/vnd.wap.si"),
    (0x2E, "application/vnd.wap.sic"),
    (0x2F, "text/vnd.wap.sl"),
    (0x30, "application/vnd.wap.slc"),
    (0x31, "text/vnd.wap.co"),
    (0x32, "application/vnd.wap.coc"),
    (0x33, "application/vnd.wap.multipart.related"),
    (0x34, "application/vnd.wap.sia"),
    (0x35, "text/vnd.wap.connectivity-xml"),
    (0x36, "application/vnd.wap.connectivity-wbxml"),
    (0x37, "application/pkcs7-mime"),
    (0x38, "application/vnd.wap.hashed-certificate"),
    (0x39, "application/vnd.wap.signed-certificate"),
    (0x3A, "application/vnd.wap.cert-response"),
    (0x3B, "application/xhtml+xml"),
    (0x3C, "application/wml+xml"),
    (0x3D, "text/css"),
    (0x3E, "application/vnd.wap.mms-message"),
];

/// The name of well-known content type `code`, if known.
pub fn media_name(code: u8) -> Option<&'static str> {
    MEDIA.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The well-known code of content type `name` (case-insensitive).
pub fn media_code(name: &str) -> Option<u8> {
    MEDIA
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(c, _)| *c)
}

/// `true` for the WSP multipart content types whose body is a WSP
/// multipart (WSP §8.5).
pub fn is_multipart(media: &str) -> bool {
    let m = media.to_ascii_lowercase();
    m.starts_with("application/vnd.wap.multipart.") || m.starts_with("multipart/")
}

/// A cursor over a byte slice that reports errors with a field name and an
/// absolute offset.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
    pub field: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader of `buf`, whose first octet is at absolute offset `base`.
    pub fn new(buf: &'a [u8], base: usize, field: &'static str) -> Reader<'a> {
        Reader {
            buf,
            pos: 0,
            base,
            field,
        }
    }

    /// Absolute offset of the next octet.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn truncated(&self) -> Error {
        Error::Truncated {
            field: self.field,
            offset: self.offset(),
        }
    }

    pub fn invalid(&self, reason: &'static str) -> Error {
        Error::Invalid {
            field: self.field,
            offset: self.offset(),
            reason,
        }
    }

    pub fn peek(&self) -> Result<u8> {
        self.buf
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.truncated())
    }

    pub fn u8(&mut self) -> Result<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.truncated());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }

    /// A sub-reader over the next `n` octets (the parent skips them).
    pub fn sub(&mut self, n: usize) -> Result<Reader<'a>> {
        let base = self.offset();
        let field = self.field;
        let buf = self.take(n)?;
        Ok(Reader {
            buf,
            pos: 0,
            base,
            field,
        })
    }

    /// Uintvar (WSP §8.1.2): 7 bits per octet, at most 5 octets.
    pub fn uintvar(&mut self) -> Result<u32> {
        let start = self.offset();
        let mut v: u64 = 0;
        for _ in 0..5 {
            let b = self.u8()?;
            v = (v << 7) | u64::from(b & 0x7F);
            if b & 0x80 == 0 {
                return u32::try_from(v).map_err(|_| Error::Invalid {
                    field: self.field,
                    offset: start,
                    reason: "uintvar overflows 32 bits",
                });
            }
        }
        Err(Error::Invalid {
            field: self.field,
            offset: start,
            reason: "uintvar longer than 5 octets",
        })
    }

    /// Value-length (WSP §8.4.2.2): short length 0..=30, or 31 + uintvar.
    pub fn value_length(&mut self) -> Result<usize> {
        let b = self.u8()?;
        match b {
            0..=30 => Ok(usize::from(b)),
            31 => Ok(self.uintvar()? as usize),
            _ => Err(Error::Invalid {
                field: self.field,
                offset: self.offset() - 1,
                reason: "expected a value length",
            }),
        }
    }

    /// Short-integer (WSP §8.4.2.1): one octet with the top bit set.
    pub fn short_integer(&mut self) -> Result<u8> {
        let b = self.u8()?;
        if b & 0x80 == 0 {
            return Err(Error::Invalid {
                field: self.field,
                offset: self.offset() - 1,
                reason: "expected a short integer",
            });
        }
        Ok(b & 0x7F)
    }

    /// Long-integer (WSP §8.4.2.1): short length 1..=30 then big-endian octets.
    pub fn long_integer(&mut self) -> Result<u64> {
        let start = self.offset();
        let n = self.u8()?;
        if n == 0 || n > 30 {
            return Err(Error::Invalid {
                field: self.field,
                offset: start,
                reason: "long integer length not 1..=30",
            });
        }
        let bytes = self.take(usize::from(n))?;
        let mut v: u64 = 0;
        for &b in bytes {
            if v >> 56 != 0 {
                return Err(Error::Invalid {
                    field: self.field,
                    offset: start,
                    reason: "long integer overflows 64 bits",
                });
            }
            v = (v << 8) | u64::from(b);
        }
        Ok(v)
    }

    /// Integer-value: short-integer or long-integer.
    pub fn integer(&mut self) -> Result<u64> {
        if self.peek()? & 0x80 != 0 {
            Ok(u64::from(self.short_integer()?))
        } else {
            self.long_integer()
        }
    }

    /// Raw octets up to (not including) the next NUL, which is consumed.
    pub fn cstr(&mut self) -> Result<&'a [u8]> {
        let rest = &self.buf[self.pos..];
        match rest.iter().position(|&b| b == 0) {
            Some(n) => {
                self.pos += n + 1;
                Ok(&rest[..n])
            }
            None => Err(self.truncated()),
        }
    }

    /// Text-string (WSP §8.4.2.1): an optional 0x7F quote, then text, NUL.
    pub fn text_string(&mut self) -> Result<String> {
        let mut raw = self.cstr()?;
        if raw.first() == Some(&0x7F) {
            raw = &raw[1..];
        }
        Ok(bytes_to_string(raw))
    }

    /// Text-value (WSP §8.4.2.3): No-value (NUL), token text or quoted string.
    pub fn text_value(&mut self) -> Result<String> {
        let mut raw = self.cstr()?;
        if raw.first() == Some(&b'"') || raw.first() == Some(&0x7F) {
            raw = &raw[1..];
        }
        Ok(bytes_to_string(raw))
    }

    /// Encoded-string-value (OMA-MMS-ENC §7.2.9): text-string, or
    /// value-length charset text-string.
    pub fn encoded_string(&mut self) -> Result<EncodedString> {
        let b = self.peek()?;
        if b == 0 {
            // An empty text-string (also readable as value-length 0).
            self.u8()?;
            return Ok(EncodedString {
                charset: None,
                text: String::new(),
            });
        }
        if b <= 31 {
            let len = self.value_length()?;
            let mut sub = self.sub(len)?;
            let cs = sub.integer()?;
            let cs = u32::try_from(cs).map_err(|_| sub.invalid("charset out of range"))?;
            if is_wide(cs) {
                // 16-bit text contains NUL octets: it runs to the end of the value.
                let mut raw = sub.rest();
                if raw.len() % 2 == 1 && raw.last() == Some(&0) {
                    raw = &raw[..raw.len() - 1];
                }
                if raw.ends_with(&[0, 0]) {
                    raw = &raw[..raw.len() - 2];
                }
                return Ok(EncodedString {
                    charset: Some(cs),
                    text: decode_charset(cs, raw),
                });
            }
            let mut raw = sub.cstr()?;
            if raw.first() == Some(&0x7F) {
                raw = &raw[1..];
            }
            Ok(EncodedString {
                charset: Some(cs),
                text: decode_charset(cs, raw),
            })
        } else {
            Ok(EncodedString {
                charset: None,
                text: self.text_string()?,
            })
        }
    }

    /// The raw octets of one generic field value (WSP §8.4.1.2): a short
    /// integer, a value-length-prefixed value, or a text string.
    pub fn raw_value(&mut self) -> Result<&'a [u8]> {
        let start = self.pos;
        let b = self.peek()?;
        match b {
            0x80..=0xFF => {
                self.pos += 1;
            }
            0..=31 => {
                let len = self.value_length()?;
                self.take(len)?;
            }
            _ => {
                self.cstr()?;
            }
        }
        Ok(&self.buf[start..self.pos])
    }

    /// A media type given as text (Extension-media); an empty one names
    /// nothing and could not be written back, so it is refused.
    fn media_text(&mut self) -> Result<String> {
        let offset = self.offset();
        let name = self.text_string()?;
        if name.is_empty() {
            return Err(Error::Invalid {
                field: "Content-Type",
                offset,
                reason: "empty media type",
            });
        }
        Ok(normalize_media(name))
    }

    /// Content-type-value (WSP §8.4.2.24).
    pub fn content_type(&mut self) -> Result<ContentType> {
        let b = self.peek()?;
        if b & 0x80 != 0 {
            let code = self.short_integer()?;
            return Ok(ContentType::new(&media_string(u64::from(code))));
        }
        if b >= 32 {
            return Ok(ContentType {
                media: self.media_text()?,
                params: Vec::new(),
            });
        }
        let len = self.value_length()?;
        let mut sub = self.sub(len)?;
        let b = sub.peek()?;
        let media = if (32..0x80).contains(&b) {
            sub.media_text()?
        } else {
            media_string(sub.integer()?)
        };
        let mut params = Vec::new();
        while !sub.is_empty() {
            params.push(sub.parameter()?);
        }
        Ok(ContentType { media, params })
    }

    /// One content-type parameter (WSP §8.4.2.4).
    pub fn parameter(&mut self) -> Result<Param> {
        let start = self.offset();
        let b = self.peek()?;
        if (32..0x80).contains(&b) {
            let name = self.text_string()?;
            // Untyped-value: Integer-value or Text-value (NUL is No-value).
            let v = self.peek()?;
            if v & 0x80 != 0 || (1..=30).contains(&v) {
                return Ok(Param::Int {
                    name,
                    value: self.integer()?,
                });
            }
            return Ok(Param::Text {
                name,
                value: self.text_value()?,
            });
        }
        let code = self.integer()?;
        let p = match code {
            0x01 => {
                let cs = if self.peek()? == 0x80 {
                    self.u8().map(|_| 0)?
                } else {
                    self.integer()?
                };
                Param::Charset(u32::try_from(cs).map_err(|_| Error::Invalid {
                    field: self.field,
                    offset: start,
                    reason: "charset out of range",
                })?)
            }
            0x03 | 0x09 => {
                // Type (multipart/related): Integer-value (1.1) or Constrained-encoding (1.2).
                let v = self.peek()?;
                if (32..0x80).contains(&v) {
                    Param::Type(self.media_text()?)
                } else {
                    Param::Type(media_string(self.integer()?))
                }
            }
            0x05 | 0x17 => Param::Name(self.text_value()?),
            0x06 | 0x18 => Param::Filename(self.text_value()?),
            0x0A | 0x19 => Param::Start(self.text_value()?),
            0x0B | 0x1A => Param::StartInfo(self.text_value()?),
            _ => {
                let code = u8::try_from(code).map_err(|_| Error::Invalid {
                    field: self.field,
                    offset: start,
                    reason: "parameter code out of range",
                })?;
                Param::Raw {
                    code,
                    value: self.raw_value()?.to_vec(),
                }
            }
        };
        Ok(p)
    }
}

fn media_string(code: u64) -> String {
    match u8::try_from(code).ok().and_then(media_name) {
        Some(n) => n.to_owned(),
        None => format!("application/x-wsp-{code:#04x}"),
    }
}

fn media_code_any(name: &str) -> Option<u64> {
    if let Some(c) = media_code(name) {
        return Some(u64::from(c));
    }
    let hex = name.strip_prefix("application/x-wsp-0x")?;
    let code = u64::from_str_radix(hex, 16).ok()?;
    (media_string(code) == name).then_some(code)
}

/// Well-known names in their table spelling; other names as given.
fn normalize_media(name: String) -> String {
    match media_code(&name).and_then(media_name) {
        Some(n) => n.to_owned(),
        None => name,
    }
}

/// Octets of a string whose charset is unknown: UTF-8 if valid, else Latin-1.
pub fn bytes_to_string(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => raw.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Decodes `raw` in charset `mib` (UTF-8, ASCII, Latin-1, UCS-2/UTF-16;
/// anything else as UTF-8 with Latin-1 fallback).
pub fn decode_charset(mib: u32, raw: &[u8]) -> String {
    match mib {
        charset::ISO_8859_1 => raw.iter().map(|&b| char::from(b)).collect(),
        charset::UCS_2 | charset::UTF_16 | charset::UTF_16BE | charset::UTF_16LE => {
            let le = mib == charset::UTF_16LE;
            let mut raw = raw;
            let mut le = le;
            if raw.len() >= 2 && mib == charset::UTF_16 {
                if raw[..2] == [0xFF, 0xFE] {
                    le = true;
                    raw = &raw[2..];
                } else if raw[..2] == [0xFE, 0xFF] {
                    raw = &raw[2..];
                }
            }
            let units: Vec<u16> = raw
                .chunks_exact(2)
                .map(|c| {
                    if le {
                        u16::from_le_bytes([c[0], c[1]])
                    } else {
                        u16::from_be_bytes([c[0], c[1]])
                    }
                })
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => bytes_to_string(raw),
    }
}

/// A string with an optional charset (OMA-MMS-ENC Encoded-string-value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedString {
    /// MIBenum; `None` for a plain text-string (US-ASCII/UTF-8 in practice).
    pub charset: Option<u32>,
    pub text: String,
}

impl EncodedString {
    /// A plain string: text-string when ASCII, UTF-8 charset form otherwise.
    pub fn new(text: &str) -> EncodedString {
        let charset = if text.is_ascii() {
            None
        } else {
            Some(charset::UTF_8)
        };
        EncodedString {
            charset,
            text: text.to_owned(),
        }
    }
}

impl std::fmt::Display for EncodedString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A content-type parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// Charset MIBenum (0 = any).
    Charset(u32),
    /// `type` of multipart/related: the root part's content type.
    Type(String),
    /// `start` of multipart/related: the root part's Content-ID.
    Start(String),
    Name(String),
    Filename(String),
    StartInfo(String),
    /// Untyped parameter with a text value.
    Text {
        name: String,
        value: String,
    },
    /// Untyped parameter with an integer value.
    Int {
        name: String,
        value: u64,
    },
    /// A well-known parameter this codec does not interpret, kept verbatim.
    Raw {
        code: u8,
        value: Vec<u8>,
    },
}

/// A content type with parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// Lower-case as in the well-known table, else as received.
    pub media: String,
    pub params: Vec<Param>,
}

impl ContentType {
    pub fn new(media: &str) -> ContentType {
        let media = match media_code(media).and_then(media_name) {
            Some(n) => n.to_owned(),
            None => media.to_owned(),
        };
        ContentType {
            media,
            params: Vec::new(),
        }
    }

    pub fn with(mut self, p: Param) -> ContentType {
        self.params.push(p);
        self
    }

    pub fn charset(&self) -> Option<u32> {
        self.params.iter().find_map(|p| match p {
            Param::Charset(c) => Some(*c),
            _ => None,
        })
    }

    pub fn name(&self) -> Option<&str> {
        self.params.iter().find_map(|p| match p {
            Param::Name(n) | Param::Filename(n) => Some(n.as_str()),
            _ => None,
        })
    }

    pub fn is_text(&self) -> bool {
        self.media.to_ascii_lowercase().starts_with("text/")
            || self.media.eq_ignore_ascii_case("application/smil")
    }

    pub fn is_multipart(&self) -> bool {
        is_multipart(&self.media)
    }
}

impl std::fmt::Display for ContentType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.media)?;
        for p in &self.params {
            match p {
                Param::Charset(c) => write!(f, "; charset={}", charset_name(*c))?,
                Param::Type(t) => write!(f, "; type=\"{t}\"")?,
                Param::Start(s) => write!(f, "; start=\"{s}\"")?,
                Param::Name(s) => write!(f, "; name=\"{s}\"")?,
                Param::Filename(s) => write!(f, "; filename=\"{s}\"")?,
                Param::StartInfo(s) => write!(f, "; start-info=\"{s}\"")?,
                Param::Text { name, value } => write!(f, "; {name}=\"{value}\"")?,
                Param::Int { name, value } => write!(f, "; {name}={value}")?,
                Param::Raw { code, value } => {
                    write!(f, "; wsp-{code:#04x}={}", hex::encode(value))?
                }
            }
        }
        Ok(())
    }
}

/// The IANA name of a charset MIBenum (or its number).
pub fn charset_name(mib: u32) -> String {
    match mib {
        charset::US_ASCII => "us-ascii".into(),
        charset::ISO_8859_1 => "iso-8859-1".into(),
        charset::UTF_8 => "utf-8".into(),
        charset::UCS_2 => "iso-10646-ucs-2".into(),
        charset::UTF_16BE => "utf-16be".into(),
        charset::UTF_16LE => "utf-16le".into(),
        charset::UTF_16 => "utf-16".into(),
        0 => "*".into(),
        n => format!("mib-{n}"),
    }
}

/// An output buffer with WSP emitters. Encoding errors name `field`.
#[derive(Debug, Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    pub fn u8(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    pub fn uintvar(&mut self, v: u32) {
        put_uintvar(&mut self.buf, v);
    }

    pub fn value_length(&mut self, len: usize, field: &'static str) -> Result<()> {
        if len <= 30 {
            self.buf.push(len as u8);
        } else {
            let len = u32::try_from(len).map_err(|_| Error::Unencodable {
                field,
                reason: "value longer than 4 GiB",
            })?;
            self.buf.push(31);
            self.uintvar(len);
        }
        Ok(())
    }

    /// Writes `inner` prefixed with its value length.
    pub fn with_length(&mut self, inner: &[u8], field: &'static str) -> Result<()> {
        self.value_length(inner.len(), field)?;
        self.bytes(inner);
        Ok(())
    }

    pub fn short_integer(&mut self, v: u8) {
        self.buf.push(0x80 | (v & 0x7F));
    }

    pub fn long_integer(&mut self, v: u64) {
        let bytes = v.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
        self.buf.push((8 - skip) as u8);
        self.buf.extend_from_slice(&bytes[skip..]);
    }

    pub fn integer(&mut self, v: u64) {
        if v < 0x80 {
            self.short_integer(v as u8);
        } else {
            self.long_integer(v);
        }
    }

    /// Text-string; refuses NUL anywhere and a control octet first.
    pub fn text_string(&mut self, s: &str, field: &'static str) -> Result<()> {
        check_text(s, field)?;
        if s.as_bytes().first().is_some_and(|&b| b >= 0x80) {
            self.buf.push(0x7F);
        }
        self.bytes(s.as_bytes());
        self.buf.push(0);
        Ok(())
    }

    /// Text-value: a token text, or a quoted string when it starts with `"`
    /// or a non-ASCII octet.
    pub fn text_value(&mut self, s: &str, field: &'static str) -> Result<()> {
        check_text(s, field)?;
        if s.as_bytes()
            .first()
            .is_some_and(|&b| b >= 0x80 || b == b'"')
        {
            self.buf.push(b'"');
        }
        self.bytes(s.as_bytes());
        self.buf.push(0);
        Ok(())
    }

    /// Quoted-string (always with the leading `"`).
    pub fn quoted_string(&mut self, s: &str, field: &'static str) -> Result<()> {
        if s.contains('\0') {
            return Err(Error::Unencodable {
                field,
                reason: "text contains NUL",
            });
        }
        self.buf.push(b'"');
        self.bytes(s.as_bytes());
        self.buf.push(0);
        Ok(())
    }

    pub fn encoded_string(&mut self, s: &EncodedString, field: &'static str) -> Result<()> {
        match s.charset {
            None => self.text_string(&s.text, field),
            Some(cs) => {
                let mut inner = Writer::new();
                inner.integer(u64::from(cs));
                let raw = encode_charset(cs, &s.text, field)?;
                if is_wide(cs) {
                    if s.text.contains('\0') {
                        return Err(Error::Unencodable {
                            field,
                            reason: "text contains NUL",
                        });
                    }
                    inner.bytes(&raw);
                    inner.u8(0);
                    return self.with_length(&inner.buf, field);
                }
                if raw.contains(&0) {
                    return Err(Error::Unencodable {
                        field,
                        reason: "text contains NUL",
                    });
                }
                if raw.first().is_some_and(|&b| b >= 0x7F) {
                    inner.u8(0x7F);
                }
                inner.bytes(&raw);
                inner.u8(0);
                self.with_length(&inner.buf, field)
            }
        }
    }

    pub fn content_type(&mut self, ct: &ContentType, field: &'static str) -> Result<()> {
        let code = media_code_any(&ct.media);
        if ct.params.is_empty() {
            return match code {
                Some(c) if c < 0x80 => {
                    self.short_integer(c as u8);
                    Ok(())
                }
                Some(_) => {
                    let mut inner = Writer::new();
                    inner.integer(code.unwrap_or(0));
                    self.with_length(&inner.buf, field)
                }
                None => self.text_string(&ct.media, field),
            };
        }
        let mut inner = Writer::new();
        match code {
            Some(c) => inner.integer(c),
            None => inner.text_string(&ct.media, field)?,
        }
        for p in &ct.params {
            inner.parameter(p, field)?;
        }
        self.with_length(&inner.buf, field)
    }

    pub fn parameter(&mut self, p: &Param, field: &'static str) -> Result<()> {
        match p {
            Param::Charset(c) => {
                self.short_integer(0x01);
                self.integer(u64::from(*c));
            }
            Param::Type(t) => {
                self.short_integer(0x09);
                match media_code(t) {
                    Some(c) => self.short_integer(c),
                    None => self.text_string(t, field)?,
                }
            }
            Param::Start(s) => {
                self.short_integer(0x0A);
                self.text_value(s, field)?;
            }
            Param::Name(s) => {
                self.short_integer(0x05);
                self.text_value(s, field)?;
            }
            Param::Filename(s) => {
                self.short_integer(0x06);
                self.text_value(s, field)?;
            }
            Param::StartInfo(s) => {
                self.short_integer(0x0B);
                self.text_value(s, field)?;
            }
            Param::Text { name, value } => {
                check_token(name, field)?;
                self.text_string(name, field)?;
                self.text_value(value, field)?;
            }
            Param::Int { name, value } => {
                check_token(name, field)?;
                self.text_string(name, field)?;
                self.integer(*value);
            }
            Param::Raw { code, value } => {
                if *code >= 0x80 {
                    return Err(Error::Unencodable {
                        field,
                        reason: "parameter code out of range",
                    });
                }
                self.short_integer(*code);
                check_raw_value(value, field)?;
                self.bytes(value);
            }
        }
        Ok(())
    }
}

/// Appends a uintvar.
pub fn put_uintvar(out: &mut Vec<u8>, v: u32) {
    let mut tmp = [0u8; 5];
    let mut n = 0;
    let mut v = v;
    loop {
        tmp[n] = (v & 0x7F) as u8;
        n += 1;
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        out.push(tmp[i] | if i > 0 { 0x80 } else { 0 });
    }
}

fn check_text(s: &str, field: &'static str) -> Result<()> {
    if s.contains('\0') {
        return Err(Error::Unencodable {
            field,
            reason: "text contains NUL",
        });
    }
    if s.as_bytes().first().is_some_and(|&b| b < 0x20 || b == 0x7F) {
        return Err(Error::Unencodable {
            field,
            reason: "text starts with a control character",
        });
    }
    Ok(())
}

fn check_token(s: &str, field: &'static str) -> Result<()> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Unencodable {
            field,
            reason: "parameter name is not a token",
        });
    }
    Ok(())
}

/// A raw value must re-read as exactly one generic value.
pub fn check_raw_value(value: &[u8], field: &'static str) -> Result<()> {
    let mut r = Reader::new(value, 0, field);
    match r.raw_value() {
        Ok(_) if r.is_empty() => Ok(()),
        _ => Err(Error::Unencodable {
            field,
            reason: "raw value is not one WSP value",
        }),
    }
}

fn is_wide(mib: u32) -> bool {
    matches!(
        mib,
        charset::UCS_2 | charset::UTF_16 | charset::UTF_16BE | charset::UTF_16LE
    )
}

fn encode_charset(mib: u32, text: &str, field: &'static str) -> Result<Vec<u8>> {
    match mib {
        charset::UTF_8 => Ok(text.as_bytes().to_vec()),
        charset::US_ASCII if text.is_ascii() => Ok(text.as_bytes().to_vec()),
        charset::ISO_8859_1 => text
            .chars()
            .map(|c| {
                u8::try_from(u32::from(c)).map_err(|_| Error::Unencodable {
                    field,
                    reason: "character outside Latin-1",
                })
            })
            .collect(),
        charset::UCS_2 | charset::UTF_16BE | charset::UTF_16 => {
            Ok(text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect())
        }
        charset::UTF_16LE => Ok(text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()),
        _ => Err(Error::Unencodable {
            field,
            reason: "charset not supported for encoding",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uintvar_examples_from_wsp_8_1_2_round_trip() {
        for (v, bytes) in [
            (0u32, vec![0x00]),
            (0x7F, vec![0x7F]),
            (0x80, vec![0x81, 0x00]),
            (0x3FFF, vec![0xFF, 0x7F]),
            (u32::MAX, vec![0x8F, 0xFF, 0xFF, 0xFF, 0x7F]),
        ] {
            let mut out = Vec::new();
            put_uintvar(&mut out, v);
            assert_eq!(out, bytes);
            assert_eq!(Reader::new(&bytes, 0, "t").uintvar(), Ok(v));
        }
    }

    #[test]
    fn a_six_octet_uintvar_is_rejected_with_its_offset() {
        let bytes = [0x00, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01];
        let mut r = Reader::new(&bytes, 10, "X-Test");
        r.u8().unwrap();
        assert_eq!(
            r.uintvar(),
            Err(Error::Invalid {
                field: "X-Test",
                offset: 11,
                reason: "uintvar longer than 5 octets"
            })
        );
    }

    #[test]
    fn well_known_content_type_with_charset_decodes() {
        // text/plain; charset=utf-8 in general form.
        let bytes = [0x03, 0x83, 0x81, 0xEA];
        let ct = Reader::new(&bytes, 0, "Content-Type")
            .content_type()
            .unwrap();
        assert_eq!(ct, ContentType::new("text/plain").with(Param::Charset(106)));
        let mut w = Writer::new();
        w.content_type(&ct, "Content-Type").unwrap();
        assert_eq!(w.buf, bytes);
    }

    #[test]
    fn multipart_related_with_type_and_start_round_trips() {
        let ct = ContentType::new("application/vnd.wap.multipart.related")
            .with(Param::Type("application/smil".into()))
            .with(Param::Start("<smil>".into()));
        let mut w = Writer::new();
        w.content_type(&ct, "Content-Type").unwrap();
        assert_eq!(w.buf[1], 0xB3);
        assert_eq!(
            Reader::new(&w.buf, 0, "Content-Type")
                .content_type()
                .unwrap(),
            ct
        );
    }

    #[test]
    fn ucs2_encoded_string_with_nul_octets_round_trips() {
        let mut w = Writer::new();
        w.encoded_string(
            &EncodedString {
                charset: Some(charset::UCS_2),
                text: "Hé".into(),
            },
            "Subject",
        )
        .unwrap();
        let back = Reader::new(&w.buf, 0, "Subject").encoded_string().unwrap();
        assert_eq!(back.text, "Hé");
        assert_eq!(back.charset, Some(charset::UCS_2));
    }
}
