//! TP-UDL, TP-UD and the user data header (TS 23.040 9.2.3.16, 9.2.3.24):
//! concatenation (8- and 16-bit references), application ports (8- and
//! 16-bit), national language single/locking shift (IEI 0x24/0x25); every
//! other element is kept as-is. Text is GSM 7-bit (with fill bits after the
//! header), UCS-2 (UTF-16, surrogate pairs) or 8-bit data.
//!
//! Guarantees: every length is checked against the buffer and the 140-octet
//! limit before it is used; malformed known elements are kept as unknown
//! elements instead of failing; no input panics.

use super::gsm7::{self, Alphabet};
use super::{Dcs, DcsAlphabet, Encoding, Error, Field, NationalLanguage};

/// Most octets of user data in one TPDU.
pub const USER_DATA_OCTETS_MAX: usize = 140;
/// Most septets of GSM 7-bit user data in one TPDU.
pub const USER_DATA_SEPTETS_MAX: usize = 160;

pub(crate) const IEI_CONCAT_8: u8 = 0x00;
pub(crate) const IEI_PORTS_8: u8 = 0x04;
pub(crate) const IEI_PORTS_16: u8 = 0x05;
pub(crate) const IEI_CONCAT_16: u8 = 0x08;
pub(crate) const IEI_SINGLE_SHIFT: u8 = 0x24;
pub(crate) const IEI_LOCKING_SHIFT: u8 = 0x25;

/// A user data header element gsmq does not interpret (kept verbatim).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InformationElement {
    pub id: u8,
    pub data: Vec<u8>,
}

/// Concatenation element. References up to 255 are sent with the 8-bit
/// element (IEI 0x00), larger ones with the 16-bit element (IEI 0x08).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    pub reference: u16,
    pub total: u8,
    /// 1-based part number.
    pub sequence: u8,
}

impl Concat {
    /// Octets the element takes in the header (IEI and length included).
    pub fn header_octets(reference: u16) -> usize {
        if reference > 0xFF {
            6
        } else {
            5
        }
    }
}

/// Decoded user data (shared by all three TPDU kinds).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserData {
    pub encoding: Encoding,
    /// The text (empty for 8-bit data).
    pub text: String,
    /// The payload octets for 8-bit data (empty for text encodings).
    pub data: Vec<u8>,
    pub concat: Option<Concat>,
    /// (destination, originator) application ports.
    pub ports: Option<(u16, u16)>,
    /// Header elements other than concatenation, ports and shift tables.
    pub header: Vec<InformationElement>,
}

/// Builds the header (UDHL first), or an empty vector when there is none.
pub(crate) fn build_header(
    concat: Option<Concat>,
    ports: Option<(u16, u16)>,
    alphabet: Alphabet,
    others: &[InformationElement],
) -> Result<Vec<u8>, Error> {
    let mut h = Vec::new();
    if concat.is_none() && ports.is_none() && alphabet == Alphabet::DEFAULT && others.is_empty() {
        return Ok(h);
    }
    h.push(0);
    if let Some(c) = concat {
        if c.reference > 0xFF {
            let r = c.reference.to_be_bytes();
            h.extend_from_slice(&[IEI_CONCAT_16, 4, r[0], r[1], c.total, c.sequence]);
        } else {
            h.extend_from_slice(&[IEI_CONCAT_8, 3, c.reference as u8, c.total, c.sequence]);
        }
    }
    if let Some((dst, src)) = ports {
        if dst <= 0xFF && src <= 0xFF {
            h.extend_from_slice(&[IEI_PORTS_8, 2, dst as u8, src as u8]);
        } else {
            let d = dst.to_be_bytes();
            let s = src.to_be_bytes();
            h.extend_from_slice(&[IEI_PORTS_16, 4, d[0], d[1], s[0], s[1]]);
        }
    }
    if let Some(l) = alphabet.single {
        h.extend_from_slice(&[IEI_SINGLE_SHIFT, 1, l.id()]);
    }
    if let Some(l) = alphabet.locking {
        h.extend_from_slice(&[IEI_LOCKING_SHIFT, 1, l.id()]);
    }
    for ie in others {
        if ie.data.len() > 0xFF {
            return Err(Error::HeaderTooLong);
        }
        h.push(ie.id);
        h.push(ie.data.len() as u8);
        h.extend_from_slice(&ie.data);
    }
    if h.len() > USER_DATA_OCTETS_MAX {
        return Err(Error::HeaderTooLong);
    }
    h[0] = (h.len() - 1) as u8;
    Ok(h)
}

/// Writes TP-UDL and TP-UD for GSM 7-bit `septets` after `header`.
pub(crate) fn emit_septets(header: &[u8], septets: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    let udl = gsm7::header_septets(header.len()) + septets.len();
    if udl > USER_DATA_SEPTETS_MAX {
        return Err(Error::UserDataTooLong {
            units: udl,
            max: USER_DATA_SEPTETS_MAX,
        });
    }
    out.push(udl as u8);
    gsm7::pack(header, septets, out);
    Ok(())
}

/// Writes TP-UDL and TP-UD for octet `payload` after `header`.
pub(crate) fn emit_octets(header: &[u8], payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    let udl = header.len() + payload.len();
    if udl > USER_DATA_OCTETS_MAX {
        return Err(Error::UserDataTooLong {
            units: udl,
            max: USER_DATA_OCTETS_MAX,
        });
    }
    out.push(udl as u8);
    out.extend_from_slice(header);
    out.extend_from_slice(payload);
    Ok(())
}

/// Appends UCS-2 (big-endian UTF-16) code units of `units`.
pub(crate) fn push_utf16(units: &[u16], out: &mut Vec<u8>) {
    out.reserve(units.len() * 2);
    for u in units {
        out.extend_from_slice(&u.to_be_bytes());
    }
}

impl UserData {
    /// The table pair named by `encoding` (default tables otherwise).
    pub(crate) fn alphabet(&self) -> Alphabet {
        match self.encoding {
            Encoding::Gsm7National { locking, single } => Alphabet { locking, single },
            _ => Alphabet::DEFAULT,
        }
    }

    /// Checks that `encoding` agrees with the DCS alphabet.
    fn check_dcs(&self, dcs: Dcs) -> Result<(), Error> {
        let ok = match dcs.alphabet() {
            DcsAlphabet::Gsm7 => matches!(
                self.encoding,
                Encoding::Gsm7 | Encoding::Gsm7National { .. }
            ),
            DcsAlphabet::Ucs2 => self.encoding == Encoding::Ucs2,
            DcsAlphabet::Data8 | DcsAlphabet::Reserved => self.encoding == Encoding::Data8,
        };
        if !ok {
            return Err(Error::Mismatch {
                reason: "the encoding does not match the TP-DCS alphabet",
            });
        }
        if dcs.compressed() {
            return Err(Error::Mismatch {
                reason: "compressed user data is not supported",
            });
        }
        Ok(())
    }

    /// Writes TP-UDL and TP-UD; returns whether TP-UDHI must be set.
    pub(crate) fn emit(&self, dcs: Dcs, out: &mut Vec<u8>) -> Result<bool, Error> {
        self.check_dcs(dcs)?;
        let alphabet = self.alphabet();
        if !alphabet.is_valid() {
            return Err(Error::Mismatch {
                reason: "that language has no locking shift table",
            });
        }
        let header = build_header(self.concat, self.ports, alphabet, &self.header)?;
        match self.encoding {
            Encoding::Gsm7 | Encoding::Gsm7National { .. } => {
                let mut septets = Vec::with_capacity(self.text.len());
                alphabet.encode_into(&self.text, &mut septets).map_err(
                    |(character, position)| Error::Unencodable {
                        character,
                        position,
                        encoding: self.encoding.as_str(),
                    },
                )?;
                emit_septets(&header, &septets, out)?;
            }
            Encoding::Ucs2 => {
                let units: Vec<u16> = self.text.encode_utf16().collect();
                let mut payload = Vec::with_capacity(units.len() * 2);
                push_utf16(&units, &mut payload);
                emit_octets(&header, &payload, out)?;
            }
            Encoding::Data8 => emit_octets(&header, &self.data, out)?,
        }
        Ok(!header.is_empty())
    }

    /// Parses TP-UDL at `buf[at]` and the user data after it; returns the
    /// user data and the octets used.
    pub(crate) fn parse(
        buf: &[u8],
        at: usize,
        udhi: bool,
        dcs: Dcs,
        dcs_at: usize,
    ) -> Result<(UserData, usize), Error> {
        if dcs.compressed() {
            return Err(Error::Compressed { offset: dcs_at });
        }
        let udl = usize::from(*buf.get(at).ok_or(Error::Truncated {
            field: Field::UserDataLength,
            offset: at,
        })?);
        let gsm = dcs.alphabet() == DcsAlphabet::Gsm7;
        let octets = if gsm {
            if udl > USER_DATA_SEPTETS_MAX {
                return Err(Error::Invalid {
                    field: Field::UserDataLength,
                    offset: at,
                    reason: "more than 160 septets",
                });
            }
            (udl * 7).div_ceil(8)
        } else {
            if udl > USER_DATA_OCTETS_MAX {
                return Err(Error::Invalid {
                    field: Field::UserDataLength,
                    offset: at,
                    reason: "more than 140 octets",
                });
            }
            udl
        };
        let ud_at = at + 1;
        let ud = buf.get(ud_at..ud_at + octets).ok_or(Error::Truncated {
            field: Field::UserData,
            offset: buf.len().min(ud_at),
        })?;
        let mut out = UserData::default();
        let mut alphabet = Alphabet::DEFAULT;
        let mut header_len = 0;
        if udhi {
            let udhl = usize::from(*ud.first().ok_or(Error::Invalid {
                field: Field::UserDataHeader,
                offset: ud_at,
                reason: "TP-UDHI is set but there is no user data",
            })?);
            header_len = udhl + 1;
            if header_len > ud.len() || (gsm && gsm7::header_septets(header_len) > udl) {
                return Err(Error::Invalid {
                    field: Field::UserDataHeader,
                    offset: ud_at,
                    reason: "header longer than the user data",
                });
            }
            parse_elements(&ud[1..header_len], ud_at + 1, gsm, &mut out, &mut alphabet)?;
        }
        if gsm {
            let skip = if udhi {
                gsm7::header_septets(header_len)
            } else {
                0
            };
            out.encoding = if alphabet == Alphabet::DEFAULT {
                Encoding::Gsm7
            } else {
                Encoding::Gsm7National {
                    locking: alphabet.locking,
                    single: alphabet.single,
                }
            };
            let mut text = String::with_capacity(udl);
            alphabet.decode(gsm7::unpack(ud, skip, udl - skip), &mut text);
            out.text = text;
        } else if dcs.alphabet() == DcsAlphabet::Ucs2 {
            let body = &ud[header_len..];
            if body.len() % 2 != 0 {
                return Err(Error::Invalid {
                    field: Field::UserData,
                    offset: ud_at + header_len,
                    reason: "odd number of UCS-2 octets",
                });
            }
            out.encoding = Encoding::Ucs2;
            let units = body
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]));
            out.text = char::decode_utf16(units)
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
        } else {
            out.encoding = Encoding::Data8;
            out.data = ud[header_len..].to_vec();
        }
        Ok((out, 1 + octets))
    }
}

fn parse_elements(
    h: &[u8],
    base: usize,
    gsm: bool,
    out: &mut UserData,
    alphabet: &mut Alphabet,
) -> Result<(), Error> {
    let mut i = 0;
    while i < h.len() {
        let id = h[i];
        let len = usize::from(*h.get(i + 1).ok_or(Error::Invalid {
            field: Field::UserDataHeader,
            offset: base + i,
            reason: "element without a length",
        })?);
        let data = h.get(i + 2..i + 2 + len).ok_or(Error::Invalid {
            field: Field::UserDataHeader,
            offset: base + i,
            reason: "element longer than the header",
        })?;
        i += 2 + len;
        let taken = match (id, data) {
            (IEI_CONCAT_8, &[r, total, sequence])
                if out.concat.is_none() && valid_seq(total, sequence) =>
            {
                out.concat = Some(Concat {
                    reference: u16::from(r),
                    total,
                    sequence,
                });
                true
            }
            (IEI_CONCAT_16, &[r0, r1, total, sequence])
                if out.concat.is_none() && valid_seq(total, sequence) =>
            {
                out.concat = Some(Concat {
                    reference: u16::from_be_bytes([r0, r1]),
                    total,
                    sequence,
                });
                true
            }
            (IEI_PORTS_8, &[d, s]) if out.ports.is_none() => {
                out.ports = Some((u16::from(d), u16::from(s)));
                true
            }
            (IEI_PORTS_16, &[d0, d1, s0, s1]) if out.ports.is_none() => {
                out.ports = Some((u16::from_be_bytes([d0, d1]), u16::from_be_bytes([s0, s1])));
                true
            }
            (IEI_SINGLE_SHIFT, &[l]) if gsm && alphabet.single.is_none() => {
                match NationalLanguage::from_id(l) {
                    Some(lang) => {
                        alphabet.single = Some(lang);
                        true
                    }
                    None => false,
                }
            }
            (IEI_LOCKING_SHIFT, &[l]) if gsm && alphabet.locking.is_none() => {
                match NationalLanguage::from_id(l).filter(|lang| lang.has_locking_table()) {
                    Some(lang) => {
                        alphabet.locking = Some(lang);
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        };
        if !taken {
            out.header.push(InformationElement {
                id,
                data: data.to_vec(),
            });
        }
    }
    Ok(())
}

fn valid_seq(total: u8, sequence: u8) -> bool {
    total >= 1 && sequence >= 1 && sequence <= total
}
