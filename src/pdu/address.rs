//! Addresses (TS 23.040 9.1.2.5, TS 24.011 8.2.5.1): the TP-OA/TP-DA/TP-RA
//! fields and the SMSC address that may precede a TPDU. Numbers are
//! semi-octet BCD with the `*#abc` extra digits; alphanumeric senders are GSM
//! 7-bit packed.
//!
//! Guarantees: parsing checks every length against the buffer and the
//! specification limits (20 digits, 11 alphanumeric characters, 10 octets
//! of SMSC digits) and reports the field and offset; it never panics.

use std::fmt;
use std::str::FromStr;

use super::gsm7::{self, Alphabet};
use super::{Error, Field};

/// Most digits in a TP address (10 octets of semi-octets).
pub const ADDRESS_DIGITS_MAX: usize = 20;
/// Most characters of an alphanumeric address (10 octets of septets).
pub const ALPHANUMERIC_CHARS_MAX: usize = 11;
/// Most octets in the SMSC address value, the type octet excluded.
const SMSC_OCTETS_MAX: usize = 10;

/// Type of number (TON), bits 6..4 of the type-of-address octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeOfNumber {
    Unknown,
    International,
    National,
    NetworkSpecific,
    Subscriber,
    Alphanumeric,
    Abbreviated,
    Reserved,
}

impl TypeOfNumber {
    pub fn from_bits(bits: u8) -> TypeOfNumber {
        match bits & 0x07 {
            0 => TypeOfNumber::Unknown,
            1 => TypeOfNumber::International,
            2 => TypeOfNumber::National,
            3 => TypeOfNumber::NetworkSpecific,
            4 => TypeOfNumber::Subscriber,
            5 => TypeOfNumber::Alphanumeric,
            6 => TypeOfNumber::Abbreviated,
            _ => TypeOfNumber::Reserved,
        }
    }

    pub fn bits(self) -> u8 {
        match self {
            TypeOfNumber::Unknown => 0,
            TypeOfNumber::International => 1,
            TypeOfNumber::National => 2,
            TypeOfNumber::NetworkSpecific => 3,
            TypeOfNumber::Subscriber => 4,
            TypeOfNumber::Alphanumeric => 5,
            TypeOfNumber::Abbreviated => 6,
            TypeOfNumber::Reserved => 7,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TypeOfNumber::Unknown => "unknown",
            TypeOfNumber::International => "international",
            TypeOfNumber::National => "national",
            TypeOfNumber::NetworkSpecific => "network_specific",
            TypeOfNumber::Subscriber => "subscriber",
            TypeOfNumber::Alphanumeric => "alphanumeric",
            TypeOfNumber::Abbreviated => "abbreviated",
            TypeOfNumber::Reserved => "reserved",
        }
    }
}

/// A phone number or alphanumeric sender. For every type but
/// `Alphanumeric`, `value` holds the digits `0-9*#abc` (no `+`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    pub ton: TypeOfNumber,
    /// Numbering plan identification (1 = ISDN/E.164, 0 = unknown).
    pub npi: u8,
    pub value: String,
}

impl Address {
    /// An international E.164 number; `digits` without the `+`.
    pub fn international(digits: &str) -> Address {
        Address {
            ton: TypeOfNumber::International,
            npi: 1,
            value: digits.to_owned(),
        }
    }

    /// A number of unknown type (national dialling, short codes).
    pub fn unknown(digits: &str) -> Address {
        Address {
            ton: TypeOfNumber::Unknown,
            npi: 1,
            value: digits.to_owned(),
        }
    }

    /// A national number.
    pub fn national(digits: &str) -> Address {
        Address {
            ton: TypeOfNumber::National,
            npi: 1,
            value: digits.to_owned(),
        }
    }

    /// An alphanumeric sender name (GSM 7-bit, at most 11 characters).
    pub fn alphanumeric(name: &str) -> Address {
        Address {
            ton: TypeOfNumber::Alphanumeric,
            npi: 0,
            value: name.to_owned(),
        }
    }

    fn toa(&self) -> u8 {
        0x80 | (self.ton.bits() << 4) | (self.npi & 0x0F)
    }

    /// Writes a TP address (length in semi-octets, type, value).
    pub(crate) fn emit_tp(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.ton == TypeOfNumber::Alphanumeric {
            let mut septets = Vec::with_capacity(self.value.len());
            Alphabet::DEFAULT
                .encode_into(&self.value, &mut septets)
                .map_err(|_| Error::Address {
                    reason: "alphanumeric address has a character outside the GSM 7-bit alphabet",
                })?;
            if septets.len() > ALPHANUMERIC_CHARS_MAX {
                return Err(Error::Address {
                    reason: "alphanumeric address longer than 11 septets",
                });
            }
            let packed = gsm7::pack_plain(&septets);
            out.push((septets.len() * 7).div_ceil(4) as u8);
            out.push(self.toa());
            out.extend_from_slice(&packed);
        } else {
            let nibbles = digits_to_nibbles(&self.value)?;
            if nibbles.len() > ADDRESS_DIGITS_MAX {
                return Err(Error::Address {
                    reason: "number longer than 20 digits",
                });
            }
            out.push(nibbles.len() as u8);
            out.push(self.toa());
            push_semi_octets(&nibbles, out);
        }
        Ok(())
    }

    /// Writes the SMSC address (length in octets including the type).
    pub(crate) fn emit_smsc(smsc: Option<&Address>, out: &mut Vec<u8>) -> Result<(), Error> {
        let Some(a) = smsc else {
            out.push(0);
            return Ok(());
        };
        if a.ton == TypeOfNumber::Alphanumeric {
            return Err(Error::Address {
                reason: "an SMSC address cannot be alphanumeric",
            });
        }
        let nibbles = digits_to_nibbles(&a.value)?;
        if nibbles.len() > SMSC_OCTETS_MAX * 2 {
            return Err(Error::Address {
                reason: "SMSC number longer than 20 digits",
            });
        }
        out.push(1 + nibbles.len().div_ceil(2) as u8);
        out.push(a.toa());
        push_semi_octets(&nibbles, out);
        Ok(())
    }

    /// Parses a TP address at `buf[at..]`; returns it and the octets used.
    pub(crate) fn parse_tp(buf: &[u8], at: usize, field: Field) -> Result<(Address, usize), Error> {
        let len = *buf.get(at).ok_or(Error::Truncated { field, offset: at })? as usize;
        let toa = *buf.get(at + 1).ok_or(Error::Truncated {
            field,
            offset: at + 1,
        })?;
        if len > ADDRESS_DIGITS_MAX {
            return Err(Error::Invalid {
                field,
                offset: at,
                reason: "address length above 20 semi-octets",
            });
        }
        let octets = len.div_ceil(2);
        let body = buf.get(at + 2..at + 2 + octets).ok_or(Error::Truncated {
            field,
            offset: buf.len().min(at + 2),
        })?;
        let ton = TypeOfNumber::from_bits(toa >> 4);
        let npi = toa & 0x0F;
        let value = if ton == TypeOfNumber::Alphanumeric {
            let septets = len * 4 / 7;
            let mut s = String::with_capacity(septets);
            Alphabet::DEFAULT.decode(gsm7::unpack(body, 0, septets), &mut s);
            s
        } else {
            semi_octets_to_digits(body, len)
        };
        Ok((Address { ton, npi, value }, 2 + octets))
    }

    /// Parses the SMSC address at the start of `buf`; `None` when its
    /// length octet is zero.
    pub(crate) fn parse_smsc(buf: &[u8]) -> Result<(Option<Address>, usize), Error> {
        let field = Field::Smsc;
        let len = *buf.first().ok_or(Error::Truncated { field, offset: 0 })? as usize;
        if len == 0 {
            return Ok((None, 1));
        }
        if len > SMSC_OCTETS_MAX + 1 {
            return Err(Error::Invalid {
                field,
                offset: 0,
                reason: "SMSC address longer than 11 octets",
            });
        }
        let body = buf.get(1..1 + len).ok_or(Error::Truncated {
            field,
            offset: buf.len(),
        })?;
        let ton = TypeOfNumber::from_bits(body[0] >> 4);
        let npi = body[0] & 0x0F;
        let digits = &body[1..];
        let value = if ton == TypeOfNumber::Alphanumeric {
            let mut s = String::new();
            Alphabet::DEFAULT.decode(gsm7::unpack(digits, 0, digits.len() * 8 / 7), &mut s);
            s
        } else {
            semi_octets_to_digits(digits, digits.len() * 2)
        };
        Ok((Some(Address { ton, npi, value }), 1 + len))
    }
}

/// Maps a digit string (`0-9*#abc`, any case) to semi-octet values.
fn digits_to_nibbles(digits: &str) -> Result<Vec<u8>, Error> {
    digits
        .chars()
        .map(|c| match c {
            '0'..='9' => Ok(c as u8 - b'0'),
            '*' => Ok(0x0A),
            '#' => Ok(0x0B),
            'a' | 'A' => Ok(0x0C),
            'b' | 'B' => Ok(0x0D),
            'c' | 'C' => Ok(0x0E),
            _ => Err(Error::Address {
                reason: "number has a character other than 0-9 * # a b c",
            }),
        })
        .collect()
}

fn push_semi_octets(nibbles: &[u8], out: &mut Vec<u8>) {
    for pair in nibbles.chunks(2) {
        let hi = pair.get(1).copied().unwrap_or(0x0F);
        out.push(pair[0] | (hi << 4));
    }
}

/// Reads `count` semi-octets (low nibble first); fill nibbles (0xF) are
/// skipped wherever they appear.
fn semi_octets_to_digits(body: &[u8], count: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789*#abc?";
    let mut s = String::with_capacity(count);
    for i in 0..count.min(body.len() * 2) {
        let b = body[i / 2];
        let n = if i % 2 == 0 { b & 0x0F } else { b >> 4 };
        if n != 0x0F {
            s.push(char::from(DIGITS[usize::from(n)]));
        }
    }
    s
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ton == TypeOfNumber::International {
            f.write_str("+")?;
        }
        f.write_str(&self.value)
    }
}

impl FromStr for Address {
    type Err = Error;

    /// `+4917…` is international; a string of `0-9*#abc` (short codes,
    /// national numbers) has unknown type; anything else is alphanumeric.
    fn from_str(s: &str) -> Result<Address, Error> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Error::Address {
                reason: "empty address",
            });
        }
        let is_digits =
            |d: &str| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit() || "*#".contains(c));
        let a = if let Some(d) = s.strip_prefix('+') {
            if !is_digits(d) {
                return Err(Error::Address {
                    reason: "international number must be + followed by digits",
                });
            }
            Address::international(d)
        } else if is_digits(s) {
            Address::unknown(s)
        } else {
            Address::alphanumeric(s)
        };
        // Validate lengths and characters now rather than at emit time.
        a.emit_tp(&mut Vec::with_capacity(12))?;
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emit(a: &Address) -> String {
        let mut v = Vec::new();
        a.emit_tp(&mut v).unwrap();
        hex::encode_upper(v)
    }

    #[test]
    fn an_international_number_is_swapped_and_padded_with_f() {
        assert_eq!(emit(&"+46708251358".parse().unwrap()), "0B916407281553F8");
    }

    #[test]
    fn a_short_code_has_unknown_type() {
        let a: Address = "1234".parse().unwrap();
        assert_eq!(a.ton, TypeOfNumber::Unknown);
        assert_eq!(emit(&a), "04812143");
    }

    #[test]
    fn star_and_hash_digits_use_semi_octets_a_and_b() {
        let a: Address = "*100#".parse().unwrap();
        assert_eq!(emit(&a), "05811A00FB");
        let (back, used) =
            Address::parse_tp(&hex::decode("05811A00FB").unwrap(), 0, Field::Destination).unwrap();
        assert_eq!((back, used), (a, 5));
    }

    #[test]
    fn an_alphanumeric_sender_is_gsm7_packed() {
        // "Design@Home" from the widely published alphanumeric example.
        let a = Address::alphanumeric("Design@Home");
        assert_eq!(emit(&a), "14D0C4F23C7D760390EF7619");
        let (back, _) = Address::parse_tp(
            &hex::decode("14D0C4F23C7D760390EF7619").unwrap(),
            0,
            Field::Originator,
        )
        .unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn an_address_longer_than_twenty_digits_is_rejected_with_its_offset() {
        let err = Address::parse_tp(&[0x15, 0x91], 0, Field::Originator).unwrap_err();
        assert_eq!(
            err,
            Error::Invalid {
                field: Field::Originator,
                offset: 0,
                reason: "address length above 20 semi-octets"
            }
        );
        assert!("+123456789012345678901".parse::<Address>().is_err());
        assert!("TwelveChars!".parse::<Address>().is_err());
    }

    #[test]
    fn a_truncated_address_names_its_field() {
        let err = Address::parse_tp(&[0x0B, 0x91, 0x64], 0, Field::Destination).unwrap_err();
        assert!(matches!(
            err,
            Error::Truncated {
                field: Field::Destination,
                ..
            }
        ));
    }

    #[test]
    fn the_smsc_address_counts_octets_and_may_be_empty() {
        let (a, used) = Address::parse_smsc(&hex::decode("07917248014000F3").unwrap()).unwrap();
        assert_eq!(a.unwrap().to_string(), "+27841004003");
        assert_eq!(used, 8);
        assert_eq!(Address::parse_smsc(&[0]).unwrap(), (None, 1));
        let mut out = Vec::new();
        Address::emit_smsc(Some(&Address::international("27841004003")), &mut out).unwrap();
        assert_eq!(hex::encode_upper(out), "07917248014000F3");
        assert!(Address::parse_smsc(&[12, 0x91]).is_err());
    }
}
