//! Time fields: TP-SCTS / TP-DT timestamps (TS 23.040 9.2.3.11) and the
//! validity period TP-VP in relative, absolute and enhanced formats
//! (9.2.3.12).
//!
//! Guarantees: parsing never panics; a date digit that is not decimal or a
//! calendar date that does not exist is an error naming the field and
//! offset. The time-zone octet is read leniently (sign in bit 3 of the
//! tens nibble, units nibble accepted up to 0xF) because real modems send
//! such forms; the result is always a valid `FixedOffset`.

use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};

use super::{Error, Field};

/// Octets in a timestamp or an absolute/enhanced validity period.
pub(crate) const TIMESTAMP_OCTETS: usize = 7;
/// Largest time-zone offset the semi-octet encoding can carry, in quarters.
const QUARTERS_MAX: i32 = 79;

fn bcd(b: u8) -> Option<u32> {
    let lo = u32::from(b & 0x0F);
    let hi = u32::from(b >> 4);
    (lo <= 9 && hi <= 9).then_some(lo * 10 + hi)
}

fn to_bcd(v: u32) -> u8 {
    ((v % 10) << 4) as u8 | (v / 10 % 10) as u8
}

/// Parses a 7-octet timestamp at `buf[at..]`.
pub(crate) fn parse_timestamp(
    buf: &[u8],
    at: usize,
    field: Field,
) -> Result<DateTime<FixedOffset>, Error> {
    let b = buf.get(at..at + TIMESTAMP_OCTETS).ok_or(Error::Truncated {
        field,
        offset: buf.len().min(at),
    })?;
    let mut v = [0u32; 6];
    for (i, slot) in v.iter_mut().enumerate() {
        *slot = bcd(b[i]).ok_or(Error::Invalid {
            field,
            offset: at + i,
            reason: "non-decimal semi-octet",
        })?;
    }
    let tz = b[6];
    let quarters = i32::from(tz & 0x07) * 10 + i32::from(tz >> 4);
    let quarters = if tz & 0x08 != 0 { -quarters } else { quarters };
    let offset = FixedOffset::east_opt(quarters * 15 * 60).ok_or(Error::Invalid {
        field,
        offset: at + 6,
        reason: "time zone out of range",
    })?;
    let date = NaiveDate::from_ymd_opt(2000 + v[0] as i32, v[1], v[2]).ok_or(Error::Invalid {
        field,
        offset: at,
        reason: "no such date",
    })?;
    let naive = date.and_hms_opt(v[3], v[4], v[5]).ok_or(Error::Invalid {
        field,
        offset: at + 3,
        reason: "no such time of day",
    })?;
    naive
        .and_local_timezone(offset)
        .single()
        .ok_or(Error::Invalid {
            field,
            offset: at,
            reason: "no such local time",
        })
}

/// Writes a 7-octet timestamp; the year must be 2000..=2099 and the offset
/// a whole number of quarter hours within ±19:45.
pub(crate) fn emit_timestamp(ts: &DateTime<FixedOffset>, out: &mut Vec<u8>) -> Result<(), Error> {
    let year = ts.year();
    if !(2000..=2099).contains(&year) {
        return Err(Error::Timestamp {
            reason: "year outside 2000..=2099",
        });
    }
    let secs = ts.offset().local_minus_utc();
    if secs % (15 * 60) != 0 {
        return Err(Error::Timestamp {
            reason: "time zone is not a whole number of quarter hours",
        });
    }
    let quarters = secs / (15 * 60);
    if quarters.abs() > QUARTERS_MAX {
        return Err(Error::Timestamp {
            reason: "time zone beyond ±19:45",
        });
    }
    out.extend_from_slice(&[
        to_bcd(year as u32 - 2000),
        to_bcd(ts.month()),
        to_bcd(ts.day()),
        to_bcd(ts.hour()),
        to_bcd(ts.minute()),
        to_bcd(ts.second().min(59)),
    ]);
    let q = quarters.unsigned_abs();
    let mut tz = to_bcd(q);
    if quarters < 0 {
        tz |= 0x08;
    }
    out.push(tz);
    Ok(())
}

/// TP-VP in one of its three formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// Relative format: one octet (5 minutes to 63 weeks).
    Relative(u8),
    /// Absolute format: the time the message expires.
    Absolute(DateTime<FixedOffset>),
    /// Enhanced format: the raw 7 octets (functionality indicator first).
    Enhanced([u8; 7]),
}

impl Validity {
    /// The TP-VPF bits (4..3 of the first octet) for this format.
    pub(crate) fn vpf(&self) -> u8 {
        match self {
            Validity::Relative(_) => 0b10,
            Validity::Enhanced(_) => 0b01,
            Validity::Absolute(_) => 0b11,
        }
    }

    /// The period as a duration (relative and enhanced forms; `None` for the
    /// absolute form and enhanced "no validity period" or reserved forms).
    pub fn duration(&self) -> Option<Duration> {
        match self {
            Validity::Relative(v) => Some(relative_duration(*v)),
            Validity::Absolute(_) => None,
            Validity::Enhanced(b) => match b[0] & 0x07 {
                0b001 => Some(relative_duration(b[1])),
                0b010 => Some(Duration::from_secs(u64::from(b[1]))),
                0b011 => {
                    let h = bcd(b[1])?;
                    let m = bcd(b[2])?;
                    let s = bcd(b[3])?;
                    Some(Duration::from_secs(u64::from(h * 3600 + m * 60 + s)))
                }
                _ => None,
            },
        }
    }

    /// Whether the enhanced format asks for a single delivery attempt.
    pub fn single_shot(&self) -> bool {
        matches!(self, Validity::Enhanced(b) if b[0] & 0x40 != 0)
    }

    pub fn format_str(&self) -> &'static str {
        match self {
            Validity::Relative(_) => "relative",
            Validity::Absolute(_) => "absolute",
            Validity::Enhanced(_) => "enhanced",
        }
    }

    /// The relative-format code for the shortest period not below `d`,
    /// capped at 63 weeks.
    pub fn relative_for(d: Duration) -> Validity {
        Validity::Relative(relative_code(d))
    }

    pub(crate) fn parse(
        buf: &[u8],
        at: usize,
        vpf: u8,
    ) -> Result<(Option<Validity>, usize), Error> {
        let field = Field::ValidityPeriod;
        match vpf & 0b11 {
            0b00 => Ok((None, 0)),
            0b10 => {
                let v = *buf.get(at).ok_or(Error::Truncated { field, offset: at })?;
                Ok((Some(Validity::Relative(v)), 1))
            }
            0b01 => {
                let b = buf.get(at..at + TIMESTAMP_OCTETS).ok_or(Error::Truncated {
                    field,
                    offset: buf.len().min(at),
                })?;
                let mut raw = [0u8; 7];
                raw.copy_from_slice(b);
                Ok((Some(Validity::Enhanced(raw)), TIMESTAMP_OCTETS))
            }
            _ => {
                let ts = parse_timestamp(buf, at, field)?;
                Ok((Some(Validity::Absolute(ts)), TIMESTAMP_OCTETS))
            }
        }
    }

    pub(crate) fn emit(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        match self {
            Validity::Relative(v) => out.push(*v),
            Validity::Absolute(ts) => emit_timestamp(ts, out)?,
            Validity::Enhanced(raw) => out.extend_from_slice(raw),
        }
        Ok(())
    }
}

/// The period a relative TP-VP code stands for.
pub fn relative_duration(v: u8) -> Duration {
    let minutes = match v {
        0..=143 => (u64::from(v) + 1) * 5,
        144..=167 => 12 * 60 + (u64::from(v) - 143) * 30,
        168..=196 => (u64::from(v) - 166) * 24 * 60,
        _ => (u64::from(v) - 192) * 7 * 24 * 60,
    };
    Duration::from_secs(minutes * 60)
}

fn relative_code(d: Duration) -> u8 {
    // Codes are monotonic in duration: take the first that covers `d`.
    (0..=255u8)
        .find(|&v| relative_duration(v) >= d)
        .unwrap_or(255)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn a_timestamp_with_plus_two_hours_decodes() {
        let b = hex::decode("31708241152480").unwrap();
        let t = parse_timestamp(&b, 0, Field::ServiceCentreTimestamp).unwrap();
        assert_eq!(
            t.to_rfc3339(),
            "2013-07-28 14:51:42+02:00".replace(' ', "T")
        );
    }

    #[test]
    fn a_negative_time_zone_sets_bit_three() {
        let mut out = Vec::new();
        emit_timestamp(&ts("2021-12-31T23:59:58-03:00"), &mut out).unwrap();
        assert_eq!(hex::encode_upper(&out), "12211332958529");
        let back = parse_timestamp(&out, 0, Field::ServiceCentreTimestamp).unwrap();
        assert_eq!(back.offset().local_minus_utc(), -3 * 3600);
        assert_eq!(back, ts("2021-12-31T23:59:58-03:00"));
    }

    #[test]
    fn a_hex_units_nibble_in_the_time_zone_is_read_as_quarters() {
        // +3:00 sent as binary 12 in the units nibble (0xC0) by some modems.
        let b = hex::decode("221070214365C0").unwrap();
        let t = parse_timestamp(&b, 0, Field::ServiceCentreTimestamp).unwrap();
        assert_eq!(t.offset().local_minus_utc(), 3 * 3600);
        // Largest lenient value (tens 7, units F) still fits.
        let b = hex::decode("221070214365FF").unwrap();
        let t = parse_timestamp(&b, 0, Field::ServiceCentreTimestamp).unwrap();
        assert_eq!(t.offset().local_minus_utc(), -85 * 15 * 60);
    }

    #[test]
    fn an_impossible_date_names_the_field_and_offset() {
        let b = hex::decode("00223100000000").unwrap(); // 2000-22-13
        assert_eq!(
            parse_timestamp(&b, 0, Field::DischargeTime),
            Err(Error::Invalid {
                field: Field::DischargeTime,
                offset: 0,
                reason: "no such date"
            })
        );
        let b = hex::decode("001031A0000000").unwrap();
        assert_eq!(
            parse_timestamp(&b, 0, Field::ServiceCentreTimestamp),
            Err(Error::Invalid {
                field: Field::ServiceCentreTimestamp,
                offset: 3,
                reason: "non-decimal semi-octet"
            })
        );
    }

    #[test]
    fn relative_validity_codes_follow_the_four_ranges() {
        assert_eq!(relative_duration(0), Duration::from_secs(5 * 60));
        assert_eq!(relative_duration(143), Duration::from_secs(12 * 3600));
        assert_eq!(relative_duration(167), Duration::from_secs(24 * 3600));
        assert_eq!(relative_duration(0xAA), Duration::from_secs(4 * 86400));
        assert_eq!(relative_duration(255), Duration::from_secs(63 * 7 * 86400));
        assert_eq!(
            Validity::relative_for(Duration::from_secs(4 * 86400)),
            Validity::Relative(0xAA)
        );
        assert_eq!(
            Validity::relative_for(Duration::from_secs(1)),
            Validity::Relative(0)
        );
        assert_eq!(
            Validity::relative_for(Duration::from_secs(u64::MAX)),
            Validity::Relative(255)
        );
    }

    #[test]
    fn enhanced_validity_reads_seconds_and_hms_forms() {
        assert_eq!(
            Validity::Enhanced([0x02, 30, 0, 0, 0, 0, 0]).duration(),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            Validity::Enhanced([0x43, 0x10, 0x03, 0x50, 0, 0, 0]).duration(),
            Some(Duration::from_secs(3600 + 30 * 60 + 5))
        );
        assert!(Validity::Enhanced([0x43, 0, 0, 0, 0, 0, 0]).single_shot());
        assert_eq!(Validity::Enhanced([0x00; 7]).duration(), None);
    }
}
