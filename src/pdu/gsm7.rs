//! GSM 7-bit alphabet (3GPP TS 23.038 6.2.1) with the extension table and the
//! national language shift tables: character <-> septet mapping, septet
//! counting and bit packing (6.1.2.1), including the fill bits that align
//! text after a user data header.
//!
//! Guarantees: lookups never panic for any `char`; decoding accepts any
//! septet sequence (undefined codes fall back as TS 23.038 prescribes);
//! packing and unpacking never index out of bounds for lengths the callers
//! validated.

use std::sync::OnceLock;

use super::tables::{self, U};
use super::NationalLanguage;

/// The escape septet that selects the single shift (extension) table.
pub(crate) const ESC: u8 = 0x1B;

/// Reverse map of the default alphabet for U+0000..U+00FF:
/// `code` for the locking table, `0x100 | code` for the extension table,
/// `NONE` when absent. Built at compile time.
const NONE: u16 = 0xFFFF;
static DEFAULT_LATIN1: [u16; 256] = build_latin1();

const fn build_latin1() -> [u16; 256] {
    let mut out = [NONE; 256];
    // Extension first so a character in both tables maps to the 1-septet form.
    let mut i = 0;
    while i < 128 {
        let c = tables::SINGLE_DEFAULT[i] as u32;
        if c < 256 && c != 0 {
            out[c as usize] = 0x100 | i as u16;
        }
        i += 1;
    }
    let mut i = 0;
    while i < 128 {
        let c = tables::LOCKING_DEFAULT[i] as u32;
        if c < 256 && c != 0 {
            out[c as usize] = i as u16;
        }
        i += 1;
    }
    out
}

/// One character's place in a pair of tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// One septet of the locking table.
    Base(u8),
    /// `ESC` followed by this septet of the single shift table.
    Shift(u8),
}

impl Code {
    pub(crate) fn septets(self) -> usize {
        match self {
            Code::Base(_) => 1,
            Code::Shift(_) => 2,
        }
    }
}

/// A locking table plus a single shift table (default alphabet when both are
/// `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Alphabet {
    pub(crate) locking: Option<NationalLanguage>,
    pub(crate) single: Option<NationalLanguage>,
}

/// Reverse map of one table: direct for ASCII, binary search otherwise.
#[derive(Debug)]
struct Reverse {
    ascii: [u8; 128],
    other: Vec<(char, u8)>,
}

const ABSENT: u8 = 0xFF;

impl Reverse {
    fn new(table: &'static [char; 128]) -> Reverse {
        let mut ascii = [ABSENT; 128];
        let mut other: Vec<(char, u8)> = Vec::new();
        for (code, &c) in table.iter().enumerate() {
            // First occurrence wins (some tables repeat a character).
            if c == U {
                continue;
            }
            if (c as u32) < 128 {
                if ascii[c as usize] == ABSENT {
                    ascii[c as usize] = code as u8;
                }
            } else if !other.iter().any(|&(o, _)| o == c) {
                other.push((c, code as u8));
            }
        }
        other.sort_unstable();
        Reverse { ascii, other }
    }

    #[inline]
    fn get(&self, c: char) -> Option<u8> {
        if (c as u32) < 128 {
            let v = self.ascii[c as usize];
            (v != ABSENT).then_some(v)
        } else {
            self.other
                .binary_search_by_key(&c, |&(o, _)| o)
                .ok()
                .map(|i| self.other[i].1)
        }
    }
}

fn reverse_locking(lang: NationalLanguage) -> Option<&'static Reverse> {
    static MAPS: [OnceLock<Reverse>; 14] = [const { OnceLock::new() }; 14];
    let table = tables::locking(lang.id())?;
    Some(MAPS[usize::from(lang.id())].get_or_init(|| Reverse::new(table)))
}

fn reverse_single(lang: NationalLanguage) -> Option<&'static Reverse> {
    static MAPS: [OnceLock<Reverse>; 14] = [const { OnceLock::new() }; 14];
    let table = tables::single(lang.id())?;
    Some(MAPS[usize::from(lang.id())].get_or_init(|| Reverse::new(table)))
}

fn default_lookup(c: char) -> (Option<u8>, Option<u8>) {
    let cp = c as u32;
    if cp < 256 {
        let v = DEFAULT_LATIN1[cp as usize];
        if v == NONE {
            (None, None)
        } else if v & 0x100 != 0 {
            (None, Some((v & 0x7F) as u8))
        } else {
            (Some(v as u8), None)
        }
    } else {
        match c {
            'Δ' => (Some(0x10), None),
            'Φ' => (Some(0x12), None),
            'Γ' => (Some(0x13), None),
            'Λ' => (Some(0x14), None),
            'Ω' => (Some(0x15), None),
            'Π' => (Some(0x16), None),
            'Ψ' => (Some(0x17), None),
            'Σ' => (Some(0x18), None),
            'Θ' => (Some(0x19), None),
            'Ξ' => (Some(0x1A), None),
            '€' => (None, Some(0x65)),
            _ => (None, None),
        }
    }
}

impl Alphabet {
    pub(crate) const DEFAULT: Alphabet = Alphabet {
        locking: None,
        single: None,
    };

    /// Whether this alphabet can be selected at all (Spanish has no locking
    /// shift table).
    pub(crate) fn is_valid(self) -> bool {
        self.locking
            .is_none_or(|l| tables::locking(l.id()).is_some())
    }

    /// How `c` is written with these tables, if at all.
    #[inline]
    pub(crate) fn lookup(self, c: char) -> Option<Code> {
        let (def_base, def_ext) = if self.locking.is_none() || self.single.is_none() {
            default_lookup(c)
        } else {
            (None, None)
        };
        let base = match self.locking {
            None => def_base,
            Some(l) => reverse_locking(l).and_then(|m| m.get(c)),
        };
        if let Some(b) = base {
            return Some(Code::Base(b));
        }
        let ext = match self.single {
            None => def_ext,
            Some(l) => reverse_single(l).and_then(|m| m.get(c)),
        };
        ext.map(Code::Shift)
    }

    fn locking_table(self) -> &'static [char; 128] {
        self.locking
            .and_then(|l| tables::locking(l.id()))
            .unwrap_or(&tables::LOCKING_DEFAULT)
    }

    fn single_table(self) -> &'static [char; 128] {
        self.single
            .and_then(|l| tables::single(l.id()))
            .unwrap_or(&tables::SINGLE_DEFAULT)
    }

    /// Appends the septets for `text`; on failure returns the first
    /// character that has no code, with its index in characters.
    pub(crate) fn encode_into(self, text: &str, out: &mut Vec<u8>) -> Result<(), (char, usize)> {
        for (i, c) in text.chars().enumerate() {
            match self.lookup(c) {
                Some(Code::Base(b)) => out.push(b),
                Some(Code::Shift(s)) => {
                    out.push(ESC);
                    out.push(s);
                }
                None => return Err((c, i)),
            }
        }
        Ok(())
    }

    /// Septets needed for `text`, or the first character without a code.
    pub(crate) fn count(self, text: &str) -> Result<usize, (char, usize)> {
        let mut n = 0;
        for (i, c) in text.chars().enumerate() {
            match self.lookup(c) {
                Some(code) => n += code.septets(),
                None => return Err((c, i)),
            }
        }
        Ok(n)
    }

    /// Decodes septets (values above 0x7F are masked). An escape followed by
    /// a code the shift table leaves undefined shows the locking-table
    /// character (TS 23.038 6.2.1.1); a lone trailing escape shows a space.
    pub(crate) fn decode(self, septets: impl Iterator<Item = u8>, out: &mut String) {
        let locking = self.locking_table();
        let single = self.single_table();
        let mut escaped = false;
        for s in septets {
            let s = usize::from(s & 0x7F);
            if escaped {
                escaped = false;
                let c = single[s];
                if c != U {
                    out.push(c);
                } else {
                    let b = locking[s];
                    out.push(if b == U { ' ' } else { b });
                }
            } else if s == usize::from(ESC) {
                escaped = true;
            } else {
                let c = locking[s];
                out.push(if c == U { ' ' } else { c });
            }
        }
        if escaped {
            out.push(' ');
        }
    }
}

/// Septets taken by a user data header of `header_octets` octets, fill bits
/// included (TS 23.040 9.2.3.24).
#[inline]
pub(crate) fn header_septets(header_octets: usize) -> usize {
    (header_octets * 8).div_ceil(7)
}

/// Packs `septets` after `header` (already-encoded UDHL + elements) into
/// `out`, inserting the fill bits; returns the TP-UDL in septets.
pub(crate) fn pack(header: &[u8], septets: &[u8], out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(header);
    let skip = header_septets(header.len());
    let udl = skip + septets.len();
    out.resize(start + (udl * 7).div_ceil(8), 0);
    let ud = &mut out[start..];
    let mut bit = skip * 7;
    for &s in septets {
        let s = s & 0x7F;
        let byte = bit / 8;
        let shift = bit % 8;
        ud[byte] |= s << shift;
        if shift > 1 {
            ud[byte + 1] |= s >> (8 - shift);
        }
        bit += 7;
    }
    udl
}

/// Unpacks `count` septets starting at septet `skip` of `ud`. The caller
/// guarantees `ud.len() >= ((skip + count) * 7).div_ceil(8)`.
pub(crate) fn unpack(ud: &[u8], skip: usize, count: usize) -> impl Iterator<Item = u8> + '_ {
    (skip..skip + count).map(move |i| {
        let bit = i * 7;
        let byte = bit / 8;
        let shift = bit % 8;
        let mut v = ud[byte] >> shift;
        if shift > 1 {
            v |= ud[byte + 1] << (8 - shift);
        }
        v & 0x7F
    })
}

/// Packs plain septets with no header (addresses).
pub(crate) fn pack_plain(septets: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity((septets.len() * 7).div_ceil(8));
    pack(&[], septets, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_text(septets: &[u8]) -> String {
        let mut s = String::new();
        Alphabet::DEFAULT.decode(septets.iter().copied(), &mut s);
        s
    }

    #[test]
    fn hello_packs_to_the_textbook_octets() {
        let mut sep = Vec::new();
        Alphabet::DEFAULT
            .encode_into("hellohello", &mut sep)
            .unwrap();
        assert_eq!(pack_plain(&sep), hex::decode("E8329BFD4697D9EC37").unwrap());
    }

    #[test]
    fn every_default_code_round_trips_through_its_character() {
        for code in 0u8..128 {
            if code == ESC {
                continue;
            }
            let c = tables::LOCKING_DEFAULT[usize::from(code)];
            assert_eq!(Alphabet::DEFAULT.lookup(c), Some(Code::Base(code)), "{c:?}");
        }
        for (code, &c) in tables::SINGLE_DEFAULT.iter().enumerate() {
            if c != U {
                assert_eq!(
                    Alphabet::DEFAULT.lookup(c),
                    Some(Code::Shift(code as u8)),
                    "{c:?}"
                );
            }
        }
    }

    #[test]
    fn extension_characters_cost_two_septets() {
        assert_eq!(Alphabet::DEFAULT.count("€[]{}~^|\\\u{c}"), Ok(20));
        assert_eq!(Alphabet::DEFAULT.count("a€"), Ok(3));
    }

    #[test]
    fn lower_case_c_cedilla_is_not_in_the_default_alphabet() {
        assert_eq!(Alphabet::DEFAULT.count("ç"), Err(('ç', 0)));
        assert_eq!(Alphabet::DEFAULT.count("Ç"), Ok(1));
    }

    #[test]
    fn an_undefined_escape_code_decodes_as_the_base_character() {
        assert_eq!(default_text(&[ESC, 0x41]), "A");
        assert_eq!(default_text(&[0x41, ESC]), "A ");
    }

    #[test]
    fn turkish_tables_hold_the_specified_letters() {
        let tr = Alphabet {
            locking: Some(NationalLanguage::Turkish),
            single: Some(NationalLanguage::Turkish),
        };
        assert_eq!(tr.lookup('ı'), Some(Code::Base(0x07)));
        assert_eq!(tr.lookup('Ğ'), Some(Code::Base(0x0B)));
        assert_eq!(tr.lookup('ğ'), Some(Code::Base(0x0C)));
        assert_eq!(tr.lookup('Ş'), Some(Code::Base(0x1C)));
        assert_eq!(tr.lookup('ş'), Some(Code::Base(0x1D)));
        assert_eq!(tr.lookup('İ'), Some(Code::Base(0x40)));
        assert_eq!(tr.lookup('ç'), Some(Code::Base(0x60)));
        assert_eq!(tr.lookup('€'), Some(Code::Base(0x04)));
        let single_only = Alphabet {
            locking: None,
            single: Some(NationalLanguage::Turkish),
        };
        assert_eq!(single_only.lookup('Ğ'), Some(Code::Shift(0x47)));
        assert_eq!(single_only.lookup('İ'), Some(Code::Shift(0x49)));
        assert_eq!(single_only.lookup('Ş'), Some(Code::Shift(0x53)));
        assert_eq!(single_only.lookup('ç'), Some(Code::Shift(0x63)));
        assert_eq!(single_only.lookup('€'), Some(Code::Shift(0x65)));
        assert_eq!(single_only.lookup('ğ'), Some(Code::Shift(0x67)));
        assert_eq!(single_only.lookup('ı'), Some(Code::Shift(0x69)));
        assert_eq!(single_only.lookup('ş'), Some(Code::Shift(0x73)));
    }

    #[test]
    fn spanish_single_shift_holds_the_accented_vowels() {
        let es = Alphabet {
            locking: None,
            single: Some(NationalLanguage::Spanish),
        };
        for (c, code) in [
            ('ç', 0x09),
            ('Á', 0x41),
            ('Í', 0x49),
            ('Ó', 0x4F),
            ('Ú', 0x55),
            ('á', 0x61),
            ('€', 0x65),
            ('í', 0x69),
            ('ó', 0x6F),
            ('ú', 0x75),
        ] {
            assert_eq!(es.lookup(c), Some(Code::Shift(code)), "{c}");
        }
        assert!(!Alphabet {
            locking: Some(NationalLanguage::Spanish),
            single: None
        }
        .is_valid());
    }

    #[test]
    fn portuguese_tables_hold_the_specified_letters() {
        let pt = Alphabet {
            locking: Some(NationalLanguage::Portuguese),
            single: Some(NationalLanguage::Portuguese),
        };
        for (c, code) in [
            ('ê', 0x04),
            ('ú', 0x06),
            ('í', 0x07),
            ('ó', 0x08),
            ('ç', 0x09),
            ('Ô', 0x0B),
            ('ô', 0x0C),
            ('Á', 0x0E),
            ('á', 0x0F),
            ('ª', 0x12),
            ('Ç', 0x13),
            ('À', 0x14),
            ('∞', 0x15),
            ('^', 0x16),
            ('\\', 0x17),
            ('€', 0x18),
            ('Ó', 0x19),
            ('|', 0x1A),
            ('Â', 0x1C),
            ('â', 0x1D),
            ('Ê', 0x1E),
            ('º', 0x24),
            ('Í', 0x40),
            ('Ã', 0x5B),
            ('Õ', 0x5C),
            ('Ú', 0x5D),
            ('~', 0x60),
            ('ã', 0x7B),
            ('õ', 0x7C),
            ('`', 0x7D),
        ] {
            assert_eq!(pt.lookup(c), Some(Code::Base(code)), "{c}");
        }
        for (c, code) in [
            ('Φ', 0x12),
            ('Γ', 0x13),
            ('Ω', 0x15),
            ('Π', 0x16),
            ('Ψ', 0x17),
            ('Σ', 0x18),
            ('Θ', 0x19),
        ] {
            assert_eq!(pt.lookup(c), Some(Code::Shift(code)), "{c}");
        }
    }

    #[test]
    fn every_national_table_round_trips_each_defined_code() {
        for id in 1..=13u8 {
            let lang = NationalLanguage::from_id(id).unwrap();
            let alpha = Alphabet {
                locking: tables::locking(id).map(|_| lang),
                single: Some(lang),
            };
            let mut chars = String::new();
            let mut septets = Vec::new();
            for code in 0u8..128 {
                let c = alpha.locking_table()[usize::from(code)];
                if c != U && alpha.lookup(c) == Some(Code::Base(code)) {
                    chars.push(c);
                    septets.push(code);
                }
            }
            let mut decoded = String::new();
            alpha.decode(septets.iter().copied(), &mut decoded);
            assert_eq!(decoded, chars, "language {id}");
            assert!(
                septets.len() >= 100,
                "language {id} has only {} codes",
                septets.len()
            );
        }
    }

    #[test]
    fn packing_leaves_fill_bits_after_a_six_octet_header() {
        let header = [0x05, 0x00, 0x03, 0x2A, 0x02, 0x01];
        let mut out = Vec::new();
        let udl = pack(&header, &[0x41], &mut out);
        assert_eq!(udl, 8);
        assert_eq!(out.len(), 7);
        // 7 septets of header (48 bits + 1 fill bit), then 'A' at bit 49.
        assert_eq!(out[6], 0x41 << 1);
        assert_eq!(unpack(&out, 7, 1).collect::<Vec<_>>(), vec![0x41]);
    }
}
