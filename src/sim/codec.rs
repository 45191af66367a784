//! The simulator's only door to SMS PDU encoding and decoding.
//!
//! Every other file in `sim` goes through the handful of functions here, so
//! switching to the project codec (`crate::pdu`, being written in parallel)
//! touches this file only. Until `pdu` is merged the bodies below are a
//! deliberately small stopgap that covers what the simulator needs: GSM 7-bit
//! default alphabet (with the extension table), UCS-2 and 8-bit data, the
//! concatenation information element, SMS-DELIVER and SMS-STATUS-REPORT
//! encoding and SMS-SUBMIT decoding. It is not a general codec; nothing outside
//! `sim` may use it.
//!
//! Guarantees: never panics on any input; decoding checks every length field
//! (a wrong TP-UDL is an error, which the simulator reports as
//! `+CMS ERROR: 304`).

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// Why a PDU could not be decoded or encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("PDU truncated at octet {0}")]
    Truncated(usize),
    #[error("PDU is not an SMS-SUBMIT (first octet {0:#04x})")]
    NotSubmit(u8),
    #[error("TP-UDL does not match the user data length")]
    UserDataLength,
    #[error("invalid address")]
    Address,
    #[error("text needs more than 255 parts")]
    TooLong,
}

/// `(reference, total, sequence)` of a concatenated part.
pub type Concat = (u16, u8, u8);

/// Alphabet choice for text the simulator encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Alphabet {
    /// GSM 7-bit when every character fits, UCS-2 otherwise.
    #[default]
    Auto,
    Gsm7,
    Ucs2,
}

/// What the simulator needs to know about a submitted TPDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitInfo {
    pub message_reference: u8,
    pub destination: String,
    pub status_report: bool,
    /// `(reference, total, sequence)` of a concatenated part.
    pub concat: Option<(u16, u8, u8)>,
    /// `"gsm7"`, `"8bit"` or `"ucs2"`.
    pub encoding: &'static str,
    pub text: String,
}

/// Decodes an SMS-SUBMIT TPDU (no SMSC octets).
pub fn decode_submit(tpdu: &[u8]) -> Result<SubmitInfo, CodecError> {
    let mut r = Reader { b: tpdu, pos: 0 };
    let fo = r.u8()?;
    if fo & 0x03 != 0x01 {
        return Err(CodecError::NotSubmit(fo));
    }
    let mr = r.u8()?;
    let destination = r.address()?;
    let _pid = r.u8()?;
    let dcs = r.u8()?;
    match (fo >> 3) & 0x03 {
        0 => {}
        2 => {
            r.take(1)?;
        }
        _ => {
            r.take(7)?;
        }
    }
    let udl = usize::from(r.u8()?);
    let ud = &tpdu[r.pos..];
    let alphabet = dcs_alphabet(dcs);
    let udhi = fo & 0x40 != 0;
    let (concat, text) = decode_user_data(alphabet, udhi, udl, ud)?;
    Ok(SubmitInfo {
        message_reference: mr,
        destination,
        status_report: fo & 0x20 != 0,
        concat,
        encoding: match alphabet {
            Dcs::Gsm7 => "gsm7",
            Dcs::Data8 => "8bit",
            Dcs::Ucs2 => "ucs2",
        },
        text,
    })
}

/// Encodes `text` from `from` as one or more SMS-DELIVER TPDUs (no SMSC).
pub fn encode_deliver(
    from: &str,
    text: &str,
    timestamp: DateTime<FixedOffset>,
    reference: u16,
    alphabet: Alphabet,
) -> Result<Vec<Vec<u8>>, CodecError> {
    let use_gsm = match alphabet {
        Alphabet::Gsm7 => true,
        Alphabet::Ucs2 => false,
        Alphabet::Auto => text.chars().all(|c| gsm_septets(c).is_some()),
    };
    let chunks: Vec<Vec<u8>> = if use_gsm {
        let septets: Vec<Vec<u8>> = text
            .chars()
            .map(|c| gsm_septets(c).unwrap_or_else(|| vec![0x3F]))
            .collect();
        let total: usize = septets.iter().map(Vec::len).sum();
        split_units(&septets, total, 160, 153)
    } else {
        let units: Vec<Vec<u8>> = text
            .chars()
            .map(|c| {
                let mut buf = [0u16; 2];
                c.encode_utf16(&mut buf)
                    .iter()
                    .flat_map(|u| u.to_be_bytes())
                    .collect()
            })
            .collect();
        let total: usize = units.iter().map(Vec::len).sum();
        split_units(&units, total, 140, 134)
    };
    if chunks.len() > 255 {
        return Err(CodecError::TooLong);
    }
    let total = chunks.len();
    let oa = encode_address(from)?;
    let scts = encode_timestamp(timestamp);
    let mut out = Vec::with_capacity(total);
    for (i, chunk) in chunks.iter().enumerate() {
        let udh: Vec<u8> = if total > 1 {
            if reference > 0xFF {
                let [hi, lo] = reference.to_be_bytes();
                vec![6, 0x08, 4, hi, lo, total as u8, (i + 1) as u8]
            } else {
                vec![5, 0x00, 3, reference as u8, total as u8, (i + 1) as u8]
            }
        } else {
            Vec::new()
        };
        let mut t = vec![if udh.is_empty() { 0x04 } else { 0x44 }];
        t.extend_from_slice(&oa);
        t.push(0x00);
        t.push(if use_gsm { 0x00 } else { 0x08 });
        t.extend_from_slice(&scts);
        if use_gsm {
            let (udl, ud) = pack_septets(&udh, chunk);
            t.push(udl);
            t.extend_from_slice(&ud);
        } else {
            t.push((udh.len() + chunk.len()) as u8);
            t.extend_from_slice(&udh);
            t.extend_from_slice(chunk);
        }
        out.push(t);
    }
    Ok(out)
}

/// Turns a submitted TPDU into the TPDU the recipient receives: the SMSC's
/// job of rewriting SMS-SUBMIT as SMS-DELIVER, keeping PID, DCS and the user
/// data (including its header) byte for byte.
pub fn submit_to_deliver(
    submit: &[u8],
    from: &str,
    timestamp: DateTime<FixedOffset>,
) -> Result<Vec<u8>, CodecError> {
    let mut r = Reader { b: submit, pos: 0 };
    let fo = r.u8()?;
    if fo & 0x03 != 0x01 {
        return Err(CodecError::NotSubmit(fo));
    }
    r.u8()?;
    r.address()?;
    let pid = r.u8()?;
    let dcs = r.u8()?;
    match (fo >> 3) & 0x03 {
        0 => {}
        2 => {
            r.take(1)?;
        }
        _ => {
            r.take(7)?;
        }
    }
    let rest = &submit[r.pos..];
    let mut t = vec![0x04 | (fo & 0x40)];
    t.extend_from_slice(&encode_address(from)?);
    t.push(pid);
    t.push(dcs);
    t.extend_from_slice(&encode_timestamp(timestamp));
    t.extend_from_slice(rest);
    Ok(t)
}

/// Encodes an SMS-STATUS-REPORT TPDU (no SMSC).
pub fn encode_status_report(
    reference: u8,
    recipient: &str,
    scts: DateTime<FixedOffset>,
    discharge: DateTime<FixedOffset>,
    status: u8,
) -> Result<Vec<u8>, CodecError> {
    let mut t = vec![0x06, reference];
    t.extend_from_slice(&encode_address(recipient)?);
    t.extend_from_slice(&encode_timestamp(scts));
    t.extend_from_slice(&encode_timestamp(discharge));
    t.push(status);
    Ok(t)
}

// ------------------------------------------------------------ internals

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dcs {
    Gsm7,
    Data8,
    Ucs2,
}

fn dcs_alphabet(dcs: u8) -> Dcs {
    match dcs & 0xF0 {
        0x00..=0x30 => match (dcs >> 2) & 0x03 {
            1 => Dcs::Data8,
            2 => Dcs::Ucs2,
            _ => Dcs::Gsm7,
        },
        0xE0 => Dcs::Ucs2,
        0xF0 if dcs & 0x04 != 0 => Dcs::Data8,
        _ => Dcs::Gsm7,
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn u8(&mut self) -> Result<u8, CodecError> {
        let v = *self
            .b
            .get(self.pos)
            .ok_or(CodecError::Truncated(self.pos))?;
        self.pos += 1;
        Ok(v)
    }
    fn take(&mut self, n: usize) -> Result<&[u8], CodecError> {
        let end = self.pos + n;
        let s = self
            .b
            .get(self.pos..end)
            .ok_or(CodecError::Truncated(self.b.len()))?;
        self.pos = end;
        Ok(s)
    }
    fn address(&mut self) -> Result<String, CodecError> {
        let digits = usize::from(self.u8()?);
        let toa = self.u8()?;
        let octets = digits.div_ceil(2);
        let raw = self.take(octets)?;
        if toa & 0x70 == 0x50 {
            let septets = digits * 4 / 7;
            let chars = unpack_septets(raw, 0, septets);
            return Ok(gsm_to_string(&chars));
        }
        let mut s = String::with_capacity(digits + 1);
        if toa & 0x70 == 0x10 {
            s.push('+');
        }
        for (i, b) in raw.iter().enumerate() {
            for (j, nib) in [b & 0x0F, b >> 4].into_iter().enumerate() {
                if i * 2 + j >= digits {
                    break;
                }
                s.push(match nib {
                    0..=9 => char::from(b'0' + nib),
                    0x0A => '*',
                    0x0B => '#',
                    0x0C => 'a',
                    0x0D => 'b',
                    0x0E => 'c',
                    _ => return Err(CodecError::Address),
                });
            }
        }
        Ok(s)
    }
}

fn decode_user_data(
    alphabet: Dcs,
    udhi: bool,
    udl: usize,
    ud: &[u8],
) -> Result<(Option<Concat>, String), CodecError> {
    let expected = match alphabet {
        Dcs::Gsm7 => (udl * 7).div_ceil(8),
        _ => udl,
    };
    if ud.len() != expected {
        return Err(CodecError::UserDataLength);
    }
    let mut header_octets = 0;
    let mut concat = None;
    if udhi {
        let udhl = usize::from(*ud.first().ok_or(CodecError::UserDataLength)?);
        let udh = ud.get(1..1 + udhl).ok_or(CodecError::UserDataLength)?;
        header_octets = udhl + 1;
        let mut i = 0;
        while i + 2 <= udh.len() {
            let (iei, len) = (udh[i], usize::from(udh[i + 1]));
            let data = udh
                .get(i + 2..i + 2 + len)
                .ok_or(CodecError::UserDataLength)?;
            match (iei, data) {
                (0x00, [r, t, s]) => concat = Some((u16::from(*r), *t, *s)),
                (0x08, [h, l, t, s]) => concat = Some((u16::from_be_bytes([*h, *l]), *t, *s)),
                _ => {}
            }
            i += 2 + len;
        }
    }
    let text = match alphabet {
        Dcs::Gsm7 => {
            let header_septets = (header_octets * 8).div_ceil(7);
            if header_septets > udl {
                return Err(CodecError::UserDataLength);
            }
            let all = unpack_septets(ud, 0, udl);
            gsm_to_string(&all[header_septets..])
        }
        Dcs::Data8 => ud[header_octets.min(ud.len())..]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect(),
        Dcs::Ucs2 => {
            let body = &ud[header_octets.min(ud.len())..];
            let units: Vec<u16> = body
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
    };
    Ok((concat, text))
}

fn split_units(units: &[Vec<u8>], total: usize, single: usize, multi: usize) -> Vec<Vec<u8>> {
    if total <= single {
        return vec![units.concat()];
    }
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for u in units {
        if cur.len() + u.len() > multi {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend_from_slice(u);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Packs a UDH (octets) and septets into GSM 7-bit user data; returns
/// `(udl in septets, octets)`.
fn pack_septets(udh: &[u8], septets: &[u8]) -> (u8, Vec<u8>) {
    let header_septets = (udh.len() * 8).div_ceil(7);
    let udl = header_septets + septets.len();
    let mut out = vec![0u8; (udl * 7).div_ceil(8)];
    out[..udh.len()].copy_from_slice(udh);
    let mut bit = header_septets * 7;
    for &s in septets {
        for k in 0..7 {
            if s & (1 << k) != 0 {
                out[bit / 8] |= 1 << (bit % 8);
            }
            bit += 1;
        }
    }
    (udl as u8, out)
}

fn unpack_septets(bytes: &[u8], start_bit: usize, count: usize) -> Vec<u8> {
    (0..count)
        .map(|i| {
            let mut v = 0u8;
            for k in 0..7 {
                let bit = start_bit + i * 7 + k;
                if bytes
                    .get(bit / 8)
                    .is_some_and(|b| b & (1 << (bit % 8)) != 0)
                {
                    v |= 1 << k;
                }
            }
            v
        })
        .collect()
}

const GSM_BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', 'Δ', '_',
    'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1b}', 'Æ', 'æ', 'ß', 'É', ' ', '!', '"', '#',
    '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', '0', '1', '2', '3', '4', '5', '6',
    '7', '8', '9', ':', ';', '<', '=', '>', '?', '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I',
    'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö',
    'Ñ', 'Ü', '§', '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
];

const GSM_EXT: [(u8, char); 10] = [
    (0x0A, '\u{0c}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

fn gsm_septets(c: char) -> Option<Vec<u8>> {
    if c == '\u{1b}' {
        return None;
    }
    if let Some(i) = GSM_BASIC.iter().position(|&g| g == c) {
        return Some(vec![i as u8]);
    }
    GSM_EXT
        .iter()
        .find(|(_, g)| *g == c)
        .map(|(s, _)| vec![0x1B, *s])
}

fn gsm_to_string(septets: &[u8]) -> String {
    let mut s = String::with_capacity(septets.len());
    let mut esc = false;
    for &b in septets {
        let b = b & 0x7F;
        if esc {
            esc = false;
            s.push(
                GSM_EXT
                    .iter()
                    .find(|(e, _)| *e == b)
                    .map_or(' ', |(_, c)| *c),
            );
        } else if b == 0x1B {
            esc = true;
        } else {
            s.push(GSM_BASIC[usize::from(b)]);
        }
    }
    s
}

fn encode_address(addr: &str) -> Result<Vec<u8>, CodecError> {
    let (toa, digits) = match addr.strip_prefix('+') {
        Some(d) => (0x91, d),
        None => (0x81, addr),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        // Alphanumeric sender (TS 23.040 §9.1.2.5): GSM 7-bit packed.
        let septets: Vec<u8> = addr
            .chars()
            .take(11)
            .map(|c| gsm_septets(c).map_or(0x3F, |v| v[v.len() - 1]))
            .collect();
        if septets.is_empty() {
            return Err(CodecError::Address);
        }
        let (_, packed) = pack_septets(&[], &septets);
        let mut out = vec![(packed.len() * 2) as u8, 0xD0];
        out.extend_from_slice(&packed);
        return Ok(out);
    }
    if digits.len() > 20 {
        return Err(CodecError::Address);
    }
    let d = digits.as_bytes();
    let mut out = vec![d.len() as u8, toa];
    for pair in d.chunks(2) {
        let lo = pair[0] - b'0';
        let hi = pair.get(1).map_or(0x0F, |c| c - b'0');
        out.push(lo | (hi << 4));
    }
    Ok(out)
}

fn encode_timestamp(t: DateTime<FixedOffset>) -> [u8; 7] {
    let swap = |v: u32| -> u8 {
        let v = (v % 100) as u8;
        ((v % 10) << 4) | (v / 10)
    };
    let quarters = t.offset().local_minus_utc() / 900;
    let mut tz = swap(quarters.unsigned_abs());
    if quarters < 0 {
        tz |= 0x08;
    }
    [
        swap(t.year().rem_euclid(100) as u32),
        swap(t.month()),
        swap(t.day()),
        swap(t.hour()),
        swap(t.minute()),
        swap(t.second()),
        tz,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s).expect("test vector is hex")
    }

    #[test]
    fn the_spec_submit_vector_decodes_to_hellohello() {
        // MODEM-SPEC §3.1, without the leading empty SCA octet.
        let t = hex("11000B916407281553F80000AA0AE8329BFD4697D9EC37");
        let s = decode_submit(&t).expect("valid submit");
        assert_eq!(s.destination, "+46708251358");
        assert_eq!(s.text, "hellohello");
        assert!(!s.status_report);
    }

    #[test]
    fn a_submit_with_a_wrong_udl_is_rejected() {
        let t = hex("11000B916407281553F80000AA0BE8329BFD4697D9EC37");
        assert_eq!(decode_submit(&t), Err(CodecError::UserDataLength));
    }

    #[test]
    fn a_long_unicode_text_becomes_concatenated_delivers() {
        let ts = DateTime::parse_from_rfc3339("2026-11-22T06:00:00+01:00").expect("ts");
        let text = "Привет мир! ".repeat(10);
        let parts = encode_deliver("+4915100000001", &text, ts, 7, Alphabet::Auto).expect("ok");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0][0], 0x44);
    }
}
