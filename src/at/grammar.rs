//! nom building blocks shared by the AT line grammars: prefixes, numbers,
//! quoted strings, parenthesised groups and comma-separated field lists.
//!
//! Every parser works on one already-framed line (`&str`, no CR/LF) and uses
//! `()` as its nom error type, so a failed parse never allocates; callers map
//! failure to a small `Copy` [`crate::at::Error`].

use std::str::FromStr;

use nom::{
    branch::alt,
    bytes::complete::{tag_no_case, take_while},
    character::complete::{char, space0},
    combinator::{all_consuming, map},
    multi::separated_list0,
    sequence::{delimited, preceded, terminated},
    IResult,
};

pub(crate) type PResult<'a, T> = IResult<&'a str, T, ()>;

/// One comma-separated field of an information line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field<'a> {
    /// `"…"`: the text between the quotes.
    Quoted(&'a str),
    /// `(…)`: the text between the parentheses.
    Group(&'a str),
    /// Anything else, trimmed; may be empty (`,,`).
    Bare(&'a str),
}

impl<'a> Field<'a> {
    /// The field's text without quotes or parentheses.
    pub(crate) fn text(&self) -> &'a str {
        match self {
            Field::Quoted(s) | Field::Group(s) | Field::Bare(s) => s,
        }
    }

    /// True for an omitted field (`,,`) or an empty quoted string (`""`).
    pub(crate) fn is_empty(&self) -> bool {
        self.text().is_empty()
    }

    /// A decimal number in a bare field.
    pub(crate) fn number<T: FromStr>(&self) -> Option<T> {
        match self {
            Field::Bare(s) if !s.is_empty() => s.parse().ok(),
            _ => None,
        }
    }

    /// A hexadecimal number, quoted (`"00C3"`) or bare (Huawei `4CA`).
    pub(crate) fn hex_u32(&self) -> Option<u32> {
        match self {
            Field::Quoted(s) | Field::Bare(s) if !s.is_empty() && s.len() <= 8 => {
                u32::from_str_radix(s, 16).ok()
            }
            _ => None,
        }
    }
}

/// `name` (case-insensitive), a colon and optional spaces (`+CSQ: `, `+CSQ:`).
pub(crate) fn prefix<'a>(name: &'static str) -> impl FnMut(&'a str) -> PResult<'a, ()> {
    move |i| {
        let (i, _) = tag_no_case(name)(i)?;
        let (i, _) = char(':')(i)?;
        let (i, _) = space0(i)?;
        Ok((i, ()))
    }
}

fn quoted(i: &str) -> PResult<'_, &str> {
    delimited(char('"'), take_while(|c| c != '"'), char('"'))(i)
}

fn group(i: &str) -> PResult<'_, &str> {
    delimited(char('('), take_while(|c| c != ')'), char(')'))(i)
}

fn bare(i: &str) -> PResult<'_, &str> {
    map(take_while(|c| c != ','), str::trim)(i)
}

fn field(i: &str) -> PResult<'_, Field<'_>> {
    delimited(
        space0,
        alt((
            map(quoted, Field::Quoted),
            map(group, Field::Group),
            map(bare, Field::Bare),
        )),
        space0,
    )(i)
}

/// All fields of `rest` (the text after a prefix), split on top-level commas.
pub(crate) fn fields(rest: &str) -> Option<Vec<Field<'_>>> {
    all_consuming(separated_list0(char(','), field))(rest)
        .ok()
        .map(|(_, v)| v)
}

/// The fields after `name:` in `line`, or `None` when the prefix or the
/// field syntax does not match.
pub(crate) fn prefixed_fields<'a>(line: &'a str, name: &'static str) -> Option<Vec<Field<'a>>> {
    let (rest, ()) = prefix(name)(line.trim()).ok()?;
    fields(rest)
}

/// The values of a group such as `0-2`, `0,2`, `0-1,3` or `2` as a bit set
/// (values above 31 are ignored).
pub(crate) fn value_set(group: &str) -> Option<u32> {
    let item = |i| -> PResult<'_, (u32, Option<u32>)> {
        let num = |i| -> PResult<'_, u32> {
            let (i, d) = preceded(space0, nom::character::complete::u32)(i)?;
            let (i, _) = space0(i)?;
            Ok((i, d))
        };
        let (i, lo) = num(i)?;
        let (i, hi) = nom::combinator::opt(preceded(char('-'), num))(i)?;
        Ok((i, (lo, hi)))
    };
    let trimmed = group.trim();
    if trimmed.is_empty() {
        return Some(0);
    }
    let (_, items) =
        all_consuming(terminated(separated_list0(char(','), item), space0))(trimmed).ok()?;
    let mut set = 0u32;
    for (lo, hi) in items {
        let hi = hi.unwrap_or(lo);
        if hi < lo {
            return None;
        }
        for v in lo..=hi.min(31) {
            set |= 1 << v;
        }
    }
    Some(set)
}

/// True when `s` is a non-empty, even-length string of hex digits.
pub(crate) fn is_hex(s: &[u8]) -> bool {
    !s.is_empty() && s.len() % 2 == 0 && s.iter().all(u8::is_ascii_hexdigit)
}

fn nibble(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes an even-length hex string.
pub(crate) fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if s.len() % 2 != 0 {
        return None;
    }
    s.chunks_exact(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

/// Case-insensitive `starts_with` for ASCII prefixes.
pub(crate) fn starts_with_ci(s: &str, p: &str) -> bool {
    s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
}

/// True when `line` starts with `name` (case-insensitive) directly followed by
/// a colon, so `+CDS` matches `+CDS: 25` but not `+CDSI: "SR",5`.
pub(crate) fn has_prefix(line: &str, name: &str) -> bool {
    starts_with_ci(line, name) && line.as_bytes().get(name.len()) == Some(&b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_on_top_level_commas_only() {
        let f = fields(r#"("SM","ME"),3,,"a,b" , x"#).unwrap();
        assert_eq!(
            f,
            vec![
                Field::Group(r#""SM","ME""#),
                Field::Bare("3"),
                Field::Bare(""),
                Field::Quoted("a,b"),
                Field::Bare("x"),
            ]
        );
    }

    #[test]
    fn value_sets_accept_ranges_lists_and_spaces() {
        assert_eq!(value_set("0-2"), Some(0b111));
        assert_eq!(value_set("0-1,3"), Some(0b1011));
        assert_eq!(value_set(" 2 "), Some(0b100));
        assert_eq!(value_set(""), Some(0));
        assert_eq!(value_set("2-1"), None);
        assert_eq!(value_set("a"), None);
    }

    #[test]
    fn prefixes_need_the_colon_and_ignore_case() {
        assert!(has_prefix("+CDS: 25", "+CDS"));
        assert!(!has_prefix("+CDSI: \"SR\",5", "+CDS"));
        assert!(has_prefix("+creg: 1", "+CREG"));
        assert_eq!(prefixed_fields("+CSQ:21,99", "+CSQ").unwrap().len(), 2);
    }

    #[test]
    fn hex_decoding_rejects_odd_lengths_and_non_hex() {
        assert_eq!(hex_bytes("00fF"), Some(vec![0, 255]));
        assert_eq!(hex_bytes("0"), None);
        assert_eq!(hex_bytes("0g"), None);
        assert!(is_hex(b"0A1b"));
        assert!(!is_hex(b"0A1"));
    }
}
