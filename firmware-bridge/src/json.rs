//! Minimal allocation-free JSON: a writer into a caller buffer and a pull scanner over a
//! borrowed payload (RFC 8259).
//!
//! Guarantees: the writer escapes every string correctly (quotes, backslash, all control
//! characters; non-ASCII text stays raw UTF-8) and reports [`Error::Overflow`] instead of
//! truncating. The scanner validates UTF-8, string escapes (including surrogate pairs) and
//! nesting (at most [`DEPTH_MAX`] levels), never panics on any input, and hands strings out
//! as [`RawStr`] views that unescape lazily into fixed-capacity `heapless::String`s.

use heapless::String;

/// Deepest nesting the scanner skips through.
pub const DEPTH_MAX: usize = 16;

/// JSON errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    #[error("output buffer too small")]
    Overflow,
    #[error("payload is not valid UTF-8")]
    InvalidUtf8,
    #[error("JSON syntax error at byte {offset}")]
    Syntax { offset: usize },
    #[error("JSON value at byte {offset} has the wrong type")]
    Type { offset: usize },
    #[error("number at byte {offset} is out of range")]
    Number { offset: usize },
    #[error("JSON nested deeper than {DEPTH_MAX} levels")]
    TooDeep,
}

/// JSON result.
pub type Result<T> = core::result::Result<T, Error>;

// ---------------------------------------------------------------------------------------------
// Writer

/// Writes JSON text into a caller buffer.
#[derive(Debug)]
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Writer<'b> {
    pub fn new(buf: &'b mut [u8]) -> Self {
        Writer { buf, len: 0 }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The text written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Appends raw JSON text (punctuation, keys known to need no escaping).
    pub fn raw(&mut self, s: &str) -> Result<()> {
        self.bytes(s.as_bytes())
    }

    fn bytes(&mut self, b: &[u8]) -> Result<()> {
        let end = self.len.checked_add(b.len()).ok_or(Error::Overflow)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(Error::Overflow)?;
        dst.copy_from_slice(b);
        self.len = end;
        Ok(())
    }

    /// Appends `s` as a quoted, escaped JSON string.
    pub fn string(&mut self, s: &str) -> Result<()> {
        self.bytes(b"\"")?;
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let short: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0C => b"\\f",
                0..=0x1F => b"",
                _ => continue,
            };
            self.bytes(&bytes[start..i])?;
            start = i + 1;
            if short.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.bytes(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xF)],
                ])?;
            } else {
                self.bytes(short)?;
            }
        }
        self.bytes(&bytes[start..])?;
        self.bytes(b"\"")
    }

    /// Appends an unsigned integer.
    pub fn u64(&mut self, mut v: u64) -> Result<()> {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.bytes(&digits[i..])
    }

    /// Appends `true` or `false`.
    pub fn bool(&mut self, v: bool) -> Result<()> {
        self.raw(if v { "true" } else { "false" })
    }
}

// ---------------------------------------------------------------------------------------------
// Scanner

/// Kind of the next value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

/// A validated JSON string body (between the quotes, escapes not yet decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawStr<'a> {
    raw: &'a str,
}

impl<'a> RawStr<'a> {
    /// The body as written, escapes included.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// Decoded characters.
    pub fn chars(&self) -> Chars<'a> {
        Chars {
            it: self.raw.chars(),
        }
    }

    /// True if the decoded string equals `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        self.chars().eq(s.chars())
    }

    /// Decodes into a fixed-capacity string; [`Error::Overflow`] if it does not fit.
    pub fn to_string<const N: usize>(&self) -> Result<String<N>> {
        let mut out = String::new();
        if !self.raw.bytes().any(|b| b == b'\\') {
            out.push_str(self.raw).map_err(|_| Error::Overflow)?;
            return Ok(out);
        }
        for c in self.chars() {
            out.push(c).map_err(|_| Error::Overflow)?;
        }
        Ok(out)
    }
}

/// Iterator over the decoded characters of a [`RawStr`].
#[derive(Debug, Clone)]
pub struct Chars<'a> {
    it: core::str::Chars<'a>,
}

fn hex4(it: &mut core::str::Chars<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + it.next()?.to_digit(16)?;
    }
    Some(v)
}

/// Decodes the escape after a backslash; `None` if invalid.
fn unescape(it: &mut core::str::Chars<'_>) -> Option<char> {
    Some(match it.next()? {
        '"' => '"',
        '\\' => '\\',
        '/' => '/',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'u' => {
            let hi = hex4(it)?;
            match hi {
                0xD800..=0xDBFF => {
                    if it.next()? != '\\' || it.next()? != 'u' {
                        return None;
                    }
                    let lo = hex4(it)?;
                    if !(0xDC00..=0xDFFF).contains(&lo) {
                        return None;
                    }
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                }
                0xDC00..=0xDFFF => return None,
                _ => char::from_u32(hi)?,
            }
        }
        _ => return None,
    })
}

impl Iterator for Chars<'_> {
    type Item = char;
    fn next(&mut self) -> Option<char> {
        match self.it.next()? {
            // Validated when scanned; the replacement character is unreachable in practice.
            '\\' => Some(unescape(&mut self.it).unwrap_or('\u{FFFD}')),
            c => Some(c),
        }
    }
}

/// Pull scanner over one JSON document.
#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// Validates UTF-8 and starts at the first byte.
    pub fn new(payload: &'a [u8]) -> Result<Self> {
        let src = core::str::from_utf8(payload).map_err(|_| Error::InvalidUtf8)?;
        Ok(Scanner { src, pos: 0 })
    }

    /// Current byte offset (for error messages).
    pub fn offset(&self) -> usize {
        self.pos
    }

    fn ws(&mut self) {
        let b = self.src.as_bytes();
        while self.pos < b.len() && matches!(b[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.src.as_bytes().get(self.pos).copied()
    }

    fn syntax(&self) -> Error {
        Error::Syntax { offset: self.pos }
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    /// Kind of the next value.
    pub fn kind(&mut self) -> Result<Kind> {
        Ok(match self.peek() {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b'-' | b'0'..=b'9') => Kind::Number,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => return Err(self.syntax()),
        })
    }

    /// Enters an object (`{`).
    pub fn begin_object(&mut self) -> Result<()> {
        if self.kind()? != Kind::Object {
            return Err(Error::Type { offset: self.pos });
        }
        self.pos += 1;
        Ok(())
    }

    /// Next key of the current object, or `None` at its end (the `}` is consumed).
    /// `first` tells whether no member has been read yet.
    pub fn next_key(&mut self, first: bool) -> Result<Option<RawStr<'a>>> {
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                return Ok(None);
            }
            Some(b',') if !first => self.pos += 1,
            _ if first => {}
            _ => return Err(self.syntax()),
        }
        let key = self.raw_string()?;
        self.expect(b':')?;
        Ok(Some(key))
    }

    /// Requires only whitespace after the document.
    pub fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.syntax()),
        }
    }

    fn raw_string(&mut self) -> Result<RawStr<'a>> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut it = self.src.get(start..).ok_or(self.syntax())?.chars();
        loop {
            let before = it.as_str().len();
            let Some(c) = it.next() else {
                return Err(Error::Syntax {
                    offset: self.src.len(),
                });
            };
            match c {
                '"' => {
                    let end = self.src.len() - before;
                    self.pos = end + 1;
                    let raw = self.src.get(start..end).ok_or(self.syntax())?;
                    return Ok(RawStr { raw });
                }
                '\\' if unescape(&mut it).is_none() => {
                    return Err(Error::Syntax {
                        offset: self.src.len() - before,
                    });
                }
                '\0'..='\u{1f}' => {
                    return Err(Error::Syntax {
                        offset: self.src.len() - before,
                    })
                }
                _ => {}
            }
        }
    }

    /// Reads a string value.
    pub fn string(&mut self) -> Result<RawStr<'a>> {
        if self.kind()? != Kind::String {
            return Err(Error::Type { offset: self.pos });
        }
        self.raw_string()
    }

    /// Reads a string value, or `None` for `null`.
    pub fn opt_string(&mut self) -> Result<Option<RawStr<'a>>> {
        if self.kind()? == Kind::Null {
            self.literal("null")?;
            return Ok(None);
        }
        self.string().map(Some)
    }

    fn literal(&mut self, word: &str) -> Result<()> {
        if self
            .src
            .as_bytes()
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(word.as_bytes()))
        {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    /// Reads `true` or `false`.
    pub fn bool(&mut self) -> Result<bool> {
        match self.kind()? {
            Kind::Bool if self.literal("true").is_ok() => Ok(true),
            Kind::Bool => self.literal("false").map(|()| false),
            _ => Err(Error::Type { offset: self.pos }),
        }
    }

    fn number_token(&mut self) -> Result<&'a str> {
        if self.kind()? != Kind::Number {
            return Err(Error::Type { offset: self.pos });
        }
        let b = self.src.as_bytes();
        let start = self.pos;
        let mut end = start;
        while end < b.len() && matches!(b[end], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
            end += 1;
        }
        self.pos = end;
        self.src
            .get(start..end)
            .ok_or(Error::Syntax { offset: start })
    }

    /// Reads a non-negative integer.
    pub fn u64(&mut self) -> Result<u64> {
        self.ws();
        let offset = self.pos;
        let tok = self.number_token()?;
        let bytes = tok.as_bytes();
        if bytes.is_empty() || (bytes.len() > 1 && bytes[0] == b'0') {
            return Err(Error::Syntax { offset });
        }
        let mut v: u64 = 0;
        for &d in bytes {
            if !d.is_ascii_digit() {
                return Err(Error::Number { offset });
            }
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or(Error::Number { offset })?;
        }
        Ok(v)
    }

    /// Skips any value.
    pub fn skip(&mut self) -> Result<()> {
        self.skip_depth(0)
    }

    fn skip_depth(&mut self, depth: usize) -> Result<()> {
        match self.kind()? {
            Kind::String => self.raw_string().map(drop),
            Kind::Number => {
                let offset = self.pos;
                let tok = self.number_token()?;
                // Loose but safe: a digit must be present.
                if tok.bytes().any(|b| b.is_ascii_digit()) {
                    Ok(())
                } else {
                    Err(Error::Syntax { offset })
                }
            }
            Kind::Bool => self.bool().map(drop),
            Kind::Null => self.literal("null"),
            Kind::Object => {
                if depth >= DEPTH_MAX {
                    return Err(Error::TooDeep);
                }
                self.pos += 1;
                let mut first = true;
                while self.next_key(first)?.is_some() {
                    first = false;
                    self.skip_depth(depth + 1)?;
                }
                Ok(())
            }
            Kind::Array => {
                if depth >= DEPTH_MAX {
                    return Err(Error::TooDeep);
                }
                self.pos += 1;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_depth(depth + 1)?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(self.syntax()),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn write_string(s: &str) -> std::string::String {
        let mut buf = vec![0u8; s.len() * 6 + 2];
        let mut w = Writer::new(&mut buf);
        w.string(s).unwrap();
        std::string::String::from_utf8(w.as_bytes().to_vec()).unwrap()
    }

    fn scan_string(json: &str) -> Result<std::string::String> {
        let mut s = Scanner::new(json.as_bytes())?;
        let raw = s.string()?;
        s.end()?;
        Ok(raw.chars().collect())
    }

    #[test]
    fn quotes_backslashes_and_control_characters_are_escaped() {
        assert_eq!(
            write_string("say \"hi\" \\ now\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}"),
            "\"say \\\"hi\\\" \\\\ now\\n\\r\\t\\b\\f\\u0001\\u001f\u{7f}\""
        );
    }

    #[test]
    fn emoji_and_non_ascii_text_stay_raw_utf8() {
        assert_eq!(write_string("Grüße 👋🏽 привет"), "\"Grüße 👋🏽 привет\"");
    }

    #[test]
    fn the_writer_reports_overflow_instead_of_truncating() {
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        assert_eq!(w.string("abcdefgh"), Err(Error::Overflow));
        let mut w = Writer::new(&mut buf);
        w.u64(12_345_678).unwrap();
        assert_eq!(w.as_bytes(), b"12345678");
        assert_eq!(w.u64(0), Err(Error::Overflow));
    }

    #[test]
    fn escapes_and_surrogate_pairs_decode() {
        assert_eq!(
            scan_string(r#""\ud83d\ude00 \u00e9\/\"""#).unwrap(),
            "😀 é/\""
        );
    }

    #[test]
    fn invalid_strings_are_syntax_errors() {
        for bad in [
            r#""\ud83d""#,      // lone high surrogate
            r#""\ude00""#,      // lone low surrogate
            r#""\x""#,          // unknown escape
            "\"tab\there\"",    // raw control character
            r#""unterminated"#, // no closing quote
            r#""\u12"#,         // short \u escape
        ] {
            assert!(
                matches!(scan_string(bad), Err(Error::Syntax { .. })),
                "{bad}"
            );
        }
        assert_eq!(Scanner::new(b"\"\xff\"").err(), Some(Error::InvalidUtf8));
    }

    #[test]
    fn skip_passes_over_nested_values_and_limits_depth() {
        let doc = br#"{"a":[1,-2.5e3,{"b":null,"c":[true,false,"x\"]"]}],"d":{}}"#;
        let mut s = Scanner::new(doc).unwrap();
        s.skip().unwrap();
        s.end().unwrap();
        let deep = "[".repeat(DEPTH_MAX + 1) + &"]".repeat(DEPTH_MAX + 1);
        let mut s = Scanner::new(deep.as_bytes()).unwrap();
        assert_eq!(s.skip(), Err(Error::TooDeep));
    }

    #[test]
    fn integers_are_checked_for_range_and_form() {
        let read = |t: &str| Scanner::new(t.as_bytes()).unwrap().u64();
        assert_eq!(read("18446744073709551615"), Ok(u64::MAX));
        assert!(matches!(
            read("18446744073709551616"),
            Err(Error::Number { .. })
        ));
        assert!(matches!(read("-1"), Err(Error::Number { .. })));
        assert!(matches!(read("1.5"), Err(Error::Number { .. })));
        assert!(matches!(read("01"), Err(Error::Syntax { .. })));
        assert!(matches!(read("\"1\""), Err(Error::Type { .. })));
    }

    #[test]
    fn to_string_reports_overflow_at_capacity() {
        let mut s = Scanner::new("\"ab\\u00e9\"".as_bytes()).unwrap();
        let raw = s.string().unwrap();
        assert_eq!(raw.to_string::<4>().unwrap().as_str(), "abé");
        assert_eq!(raw.to_string::<3>(), Err(Error::Overflow));
    }

    proptest! {
        #[test]
        fn any_text_round_trips_through_writer_and_serde_json(text in "\\PC*|[\\x00-\\x20\"\\\\]*") {
            let json = write_string(&text);
            let parsed: std::string::String = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&parsed, &text);
            prop_assert_eq!(scan_string(&json).unwrap(), text);
        }

        #[test]
        fn serde_json_strings_decode_here(text in any::<std::string::String>()) {
            let json = serde_json::to_string(&text).unwrap();
            prop_assert_eq!(scan_string(&json).unwrap(), text);
        }

        #[test]
        fn arbitrary_bytes_never_panic_the_scanner(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(mut s) = Scanner::new(&bytes) {
                let _ = s.skip();
            }
        }
    }
}
