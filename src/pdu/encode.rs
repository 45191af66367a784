//! Text to PDUs: encoding choice, cost planning and segmentation for
//! SMS-SUBMIT (what the daemon sends) and SMS-DELIVER / SMS-STATUS-REPORT
//! (what the simulator sends back).
//!
//! Choice order for [`EncodingChoice::Auto`]: GSM 7-bit default alphabet,
//! then GSM 7-bit with the allowed national shift tables (the cheapest
//! combination), then UCS-2. A part never ends between an escape and its
//! extension character or between the halves of a surrogate pair.
//! Per-part capacity: 160 septets / 70 UCS-2 units / 140 octets, minus the
//! header (153/67/134 with an 8-bit concatenation reference, 152/66/133
//! with a 16-bit one, and 3 octets per national shift table element).
//!
//! Guarantee: [`plan`] runs the same choice and segmentation as the
//! encoders, so its part count is exactly what they produce.

use std::ops::Range;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::address::Address;
use super::gsm7::{self, Alphabet, ESC};
use super::time::{self, Validity};
use super::tpdu::StatusReport;
use super::userdata::{self, Concat, USER_DATA_OCTETS_MAX, USER_DATA_SEPTETS_MAX};
use super::{Dcs, DcsAlphabet, Encoding, Error, MessageClass, NationalLanguage, Result};

/// Most parts of one concatenated message.
pub const PARTS_MAX: usize = 255;

/// What encoding the caller wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingChoice {
    /// The cheapest that can carry the text.
    #[default]
    Auto,
    /// GSM 7-bit (national shift tables allowed when listed); fails for
    /// characters outside the alphabet.
    Gsm7,
    /// UCS-2 always.
    Ucs2,
}

/// Options for [`encode_submit`] and [`plan`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubmitOptions {
    pub encoding: EncodingChoice,
    /// Ask for a status report (TP-SRR).
    pub status_report: bool,
    /// Send as class 0 ("flash").
    pub flash: bool,
    /// Relative validity period (rounded up to the next code).
    pub validity: Option<Duration>,
    /// Concatenation reference, chosen by the caller; above 255 the 16-bit
    /// element is used (one septet less per part).
    pub reference: u16,
    /// National shift tables the encoder may use; empty = none.
    pub national: Vec<NationalLanguage>,
}

/// What a text will cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub encoding: Encoding,
    /// Number of PDUs.
    pub parts: usize,
    /// Size of the text in units of the encoding (septets, UTF-16 code
    /// units or octets), header not included.
    pub units: usize,
    /// Text units one part holds with the header it needs (160/153,
    /// 70/67, ... less the shift table elements).
    pub units_per_part: usize,
}

/// One SMS-SUBMIT ready for `AT+CMGS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitPart {
    /// The TPDU, without the SMSC address.
    pub tpdu: Vec<u8>,
}

impl SubmitPart {
    /// The `<length>` of `AT+CMGS=<length>`: TPDU octets, SMSC excluded.
    pub fn at_length(&self) -> usize {
        self.tpdu.len()
    }

    /// The hex line to type at the `> ` prompt: `00` (use the SIM's SMSC)
    /// followed by the TPDU in upper-case hex.
    pub fn at_hex(&self) -> String {
        let mut s = String::with_capacity(2 + self.tpdu.len() * 2);
        s.push_str("00");
        s.push_str(&hex::encode_upper(&self.tpdu));
        s
    }
}

/// Options for [`encode_deliver`] and [`encode_deliver_data`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverOptions {
    /// Sender: `+49…`, digits, or an alphanumeric name.
    pub from: String,
    /// TP-SCTS.
    pub timestamp: DateTime<FixedOffset>,
    pub encoding: EncodingChoice,
    /// Concatenation reference (as in [`SubmitOptions::reference`]).
    pub reference: u16,
    pub national: Vec<NationalLanguage>,
    /// Class 0 ("flash").
    pub flash: bool,
    /// TP-PID.
    pub pid: u8,
    /// TP-SRI: tell the recipient a status report was requested.
    pub status_report_indication: bool,
}

impl Default for DeliverOptions {
    fn default() -> DeliverOptions {
        DeliverOptions {
            from: "+10000000000".to_owned(),
            timestamp: Utc
                .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
                .unwrap()
                .fixed_offset(),
            encoding: EncodingChoice::Auto,
            reference: 0,
            national: Vec::new(),
            flash: false,
            pid: 0,
            status_report_indication: false,
        }
    }
}

/// The text in the units of its chosen encoding.
enum Units<'a> {
    Septets(Alphabet, Vec<u8>),
    Utf16(Vec<u16>),
    Octets(&'a [u8]),
}

impl Units<'_> {
    fn len(&self) -> usize {
        match self {
            Units::Septets(_, v) => v.len(),
            Units::Utf16(v) => v.len(),
            Units::Octets(v) => v.len(),
        }
    }

    fn encoding(&self) -> Encoding {
        match self {
            Units::Septets(a, _) if *a == Alphabet::DEFAULT => Encoding::Gsm7,
            Units::Septets(a, _) => Encoding::Gsm7National {
                locking: a.locking,
                single: a.single,
            },
            Units::Utf16(_) => Encoding::Ucs2,
            Units::Octets(_) => Encoding::Data8,
        }
    }

    /// Whether a part may end before unit `i` (`0 < i < len`).
    fn may_cut_before(&self, i: usize) -> bool {
        match self {
            Units::Septets(_, v) => v[i - 1] != ESC,
            Units::Utf16(v) => !(0xD800..0xDC00).contains(&v[i - 1]),
            Units::Octets(_) => true,
        }
    }

    /// Text units that fit in one part whose header is `header` octets
    /// (UDHL included, 0 for none).
    fn capacity(&self, header: usize) -> usize {
        match self {
            Units::Septets(..) => {
                USER_DATA_SEPTETS_MAX.saturating_sub(gsm7::header_septets(header))
            }
            Units::Utf16(_) => USER_DATA_OCTETS_MAX.saturating_sub(header) / 2,
            Units::Octets(_) => USER_DATA_OCTETS_MAX.saturating_sub(header),
        }
    }
}

/// Header octets besides concatenation: ports and shift table elements.
fn fixed_header(alphabet: Option<Alphabet>, ports: Option<(u16, u16)>) -> usize {
    let shift = alphabet.map_or(0, |a| {
        3 * (usize::from(a.locking.is_some()) + usize::from(a.single.is_some()))
    });
    let ports = match ports {
        None => 0,
        Some((d, s)) if d <= 0xFF && s <= 0xFF => 4,
        Some(_) => 6,
    };
    shift + ports
}

/// Header size (UDHL included) of a single part and of each part of a
/// concatenated message.
fn header_sizes(fixed: usize, reference: u16) -> (usize, usize) {
    let single = if fixed == 0 { 0 } else { 1 + fixed };
    let multi = 1 + fixed + Concat::header_octets(reference);
    (single, multi)
}

/// Splits into parts; the `bool` says whether the parts are concatenated.
fn segment(units: &Units<'_>, fixed: usize, reference: u16) -> Result<(Vec<Range<usize>>, usize)> {
    let (single_h, multi_h) = header_sizes(fixed, reference);
    let n = units.len();
    let single_cap = units.capacity(single_h);
    if n <= single_cap {
        return Ok((std::iter::once(0..n).collect(), single_cap));
    }
    let cap = units.capacity(multi_h);
    if cap < 2 {
        return Err(Error::HeaderTooLong);
    }
    let mut parts = Vec::with_capacity(n / cap + 1);
    let mut start = 0;
    while start < n {
        let mut end = (start + cap).min(n);
        if end < n && !units.may_cut_before(end) {
            end -= 1;
        }
        parts.push(start..end);
        start = end;
    }
    Ok((parts, cap))
}

/// Counts parts the way [`segment`] would, without building a list.
fn estimate_parts(len: usize, single_cap: usize, cap: usize) -> usize {
    if len <= single_cap {
        1
    } else {
        len.div_ceil(cap.max(1))
    }
}

fn unencodable(e: (char, usize)) -> Error {
    Error::Unencodable {
        character: e.0,
        position: e.1,
        encoding: "gsm7",
    }
}

/// Tries each allowed pair of national tables; returns the cheapest.
fn best_national(
    text: &str,
    national: &[NationalLanguage],
    reference: u16,
) -> Option<(Alphabet, usize)> {
    let lockings = std::iter::once(None).chain(
        national
            .iter()
            .filter(|l| l.has_locking_table())
            .map(|&l| Some(l)),
    );
    let mut best: Option<(Alphabet, usize, (usize, usize))> = None;
    for locking in lockings {
        for single in std::iter::once(None).chain(national.iter().map(|&l| Some(l))) {
            let alphabet = Alphabet { locking, single };
            if alphabet == Alphabet::DEFAULT {
                continue;
            }
            let Ok(count) = alphabet.count(text) else {
                continue;
            };
            let (single_h, multi_h) = header_sizes(fixed_header(Some(alphabet), None), reference);
            let single_cap = USER_DATA_SEPTETS_MAX - gsm7::header_septets(single_h);
            let cap = USER_DATA_SEPTETS_MAX - gsm7::header_septets(multi_h);
            let cost = (
                estimate_parts(count, single_cap, cap),
                count + gsm7::header_septets(single_h),
            );
            if best.as_ref().is_none_or(|b| cost < b.2) {
                best = Some((alphabet, count, cost));
            }
        }
    }
    best.map(|(a, c, _)| (a, c))
}

fn choose<'a>(
    text: &str,
    choice: EncodingChoice,
    national: &[NationalLanguage],
    reference: u16,
) -> Result<Units<'a>> {
    if choice == EncodingChoice::Ucs2 {
        return Ok(Units::Utf16(text.encode_utf16().collect()));
    }
    let mut septets = Vec::with_capacity(text.len() + 8);
    let default_err = match Alphabet::DEFAULT.encode_into(text, &mut septets) {
        Ok(()) => return Ok(Units::Septets(Alphabet::DEFAULT, septets)),
        Err(e) => e,
    };
    if let Some((alphabet, count)) = best_national(text, national, reference) {
        let national_parts = {
            let (single_h, multi_h) = header_sizes(fixed_header(Some(alphabet), None), reference);
            estimate_parts(
                count,
                160 - gsm7::header_septets(single_h),
                160 - gsm7::header_septets(multi_h),
            )
        };
        let ucs2_units = text.encode_utf16().count();
        let (single_h, multi_h) = header_sizes(0, reference);
        let ucs2_parts = estimate_parts(ucs2_units, (140 - single_h) / 2, (140 - multi_h) / 2);
        if choice == EncodingChoice::Gsm7 || national_parts <= ucs2_parts {
            septets.clear();
            alphabet
                .encode_into(text, &mut septets)
                .map_err(unencodable)?;
            return Ok(Units::Septets(alphabet, septets));
        }
    }
    match choice {
        EncodingChoice::Gsm7 => Err(unencodable(default_err)),
        _ => Ok(Units::Utf16(text.encode_utf16().collect())),
    }
}

fn plan_units(units: &Units<'_>, reference: u16) -> Result<Plan> {
    let alphabet = match units {
        Units::Septets(a, _) => Some(*a),
        _ => None,
    };
    let (parts, cap) = segment(units, fixed_header(alphabet, None), reference)?;
    Ok(Plan {
        encoding: units.encoding(),
        parts: parts.len(),
        units: units.len(),
        units_per_part: cap,
    })
}

/// What sending `text` with `opts` will cost, or why it cannot be sent
/// (a character outside GSM 7-bit when GSM 7-bit is forced). More than
/// [`PARTS_MAX`] parts is reported in `parts`, not as an error.
pub fn try_plan(text: &str, opts: &SubmitOptions) -> Result<Plan> {
    let units = choose(text, opts.encoding, &opts.national, opts.reference)?;
    plan_units(&units, opts.reference)
}

/// What sending `text` with `opts` will cost. When the text cannot be sent
/// as asked (see [`try_plan`]), this is the plan [`EncodingChoice::Auto`]
/// would give, and [`encode_submit`] will fail.
pub fn plan(text: &str, opts: &SubmitOptions) -> Plan {
    try_plan(text, opts).unwrap_or_else(|_| {
        let units = Units::Utf16(text.encode_utf16().collect());
        let (parts, cap) = segment(&units, 0, opts.reference).unwrap_or_default();
        Plan {
            encoding: Encoding::Ucs2,
            parts: parts.len(),
            units: units.len(),
            units_per_part: cap,
        }
    })
}

/// The user data header and payload writer shared by the encoders: calls
/// `emit_part(udhi, user_data_bytes)` for each part.
fn for_each_part(
    units: &Units<'_>,
    ports: Option<(u16, u16)>,
    reference: u16,
    mut emit_part: impl FnMut(bool, &[u8]) -> Result<()>,
) -> Result<usize> {
    let alphabet = match units {
        Units::Septets(a, _) => *a,
        _ => Alphabet::DEFAULT,
    };
    let fixed = fixed_header(
        matches!(units, Units::Septets(..)).then_some(alphabet),
        ports,
    );
    let (ranges, _) = segment(units, fixed, reference)?;
    if ranges.len() > PARTS_MAX {
        return Err(Error::TooLong {
            parts: ranges.len(),
        });
    }
    let total = ranges.len() as u8;
    let mut ud = Vec::with_capacity(141);
    let mut payload = Vec::new();
    for (i, r) in ranges.iter().enumerate() {
        let concat = (ranges.len() > 1).then_some(Concat {
            reference,
            total,
            sequence: i as u8 + 1,
        });
        let header = userdata::build_header(concat, ports, alphabet, &[])?;
        ud.clear();
        match units {
            Units::Septets(_, v) => userdata::emit_septets(&header, &v[r.clone()], &mut ud)?,
            Units::Utf16(v) => {
                payload.clear();
                userdata::push_utf16(&v[r.clone()], &mut payload);
                userdata::emit_octets(&header, &payload, &mut ud)?;
            }
            Units::Octets(v) => userdata::emit_octets(&header, &v[r.clone()], &mut ud)?,
        }
        emit_part(!header.is_empty(), &ud)?;
    }
    Ok(ranges.len())
}

fn dcs_for(encoding: Encoding, flash: bool) -> Dcs {
    let alphabet = match encoding {
        Encoding::Gsm7 | Encoding::Gsm7National { .. } => DcsAlphabet::Gsm7,
        Encoding::Data8 => DcsAlphabet::Data8,
        Encoding::Ucs2 => DcsAlphabet::Ucs2,
    };
    Dcs::new(alphabet, flash.then_some(MessageClass::Class0))
}

/// Encodes `text` to `to` as one or more SMS-SUBMIT TPDUs (TP-MR 0: the
/// modem assigns the reference).
pub fn encode_submit(to: &str, text: &str, opts: &SubmitOptions) -> Result<Vec<SubmitPart>> {
    let destination: Address = to.parse()?;
    let mut da = Vec::with_capacity(12);
    destination.emit_tp(&mut da)?;
    let units = choose(text, opts.encoding, &opts.national, opts.reference)?;
    let dcs = dcs_for(units.encoding(), opts.flash);
    let validity = opts.validity.map(Validity::relative_for);
    let mut fo = 0x01;
    if let Some(v) = &validity {
        fo |= v.vpf() << 3;
    }
    if opts.status_report {
        fo |= 0x20;
    }
    let mut parts = Vec::new();
    for_each_part(&units, None, opts.reference, |udhi, ud| {
        let mut tpdu = Vec::with_capacity(4 + da.len() + 2 + ud.len());
        tpdu.push(if udhi { fo | 0x40 } else { fo });
        tpdu.push(0);
        tpdu.extend_from_slice(&da);
        tpdu.push(0);
        tpdu.push(dcs.raw());
        if let Some(v) = &validity {
            v.emit(&mut tpdu)?;
        }
        tpdu.extend_from_slice(ud);
        parts.push(SubmitPart { tpdu });
        Ok(())
    })?;
    Ok(parts)
}

fn deliver_parts(
    units: &Units<'_>,
    ports: Option<(u16, u16)>,
    opts: &DeliverOptions,
) -> Result<Vec<Vec<u8>>> {
    let originator: Address = opts.from.parse()?;
    let mut head = Vec::with_capacity(24);
    head.push(0);
    originator.emit_tp(&mut head)?;
    head.push(opts.pid);
    head.push(dcs_for(units.encoding(), opts.flash).raw());
    time::emit_timestamp(&opts.timestamp, &mut head)?;
    // TP-MMS set: no more messages waiting.
    let fo = 0x04
        | if opts.status_report_indication {
            0x20
        } else {
            0
        };
    let mut out = Vec::new();
    for_each_part(units, ports, opts.reference, |udhi, ud| {
        let mut tpdu = Vec::with_capacity(head.len() + ud.len());
        tpdu.extend_from_slice(&head);
        tpdu[0] = if udhi { fo | 0x40 } else { fo };
        tpdu.extend_from_slice(ud);
        out.push(tpdu);
        Ok(())
    })?;
    Ok(out)
}

/// Encodes `text` as SMS-DELIVER TPDUs (no SMSC), several when long.
pub fn encode_deliver(text: &str, opts: &DeliverOptions) -> Result<Vec<Vec<u8>>> {
    let units = choose(text, opts.encoding, &opts.national, opts.reference)?;
    deliver_parts(&units, None, opts)
}

/// Encodes 8-bit `data` (a WAP push, say) as SMS-DELIVER TPDUs with an
/// optional (destination, originator) port pair.
pub fn encode_deliver_data(
    data: &[u8],
    ports: Option<(u16, u16)>,
    opts: &DeliverOptions,
) -> Result<Vec<Vec<u8>>> {
    deliver_parts(&Units::Octets(data), ports, opts)
}

/// Encodes an SMS-STATUS-REPORT TPDU (no SMSC) for message reference
/// `reference` sent to `recipient`.
pub fn encode_status_report(
    reference: u8,
    recipient: &str,
    scts: DateTime<FixedOffset>,
    discharge: DateTime<FixedOffset>,
    status: u8,
) -> Result<Vec<u8>> {
    StatusReport {
        more_messages: false,
        loop_prevention: false,
        for_command: false,
        message_reference: reference,
        recipient: recipient.parse()?,
        scts,
        discharge,
        status,
        pid: None,
        dcs: None,
        user_data: None,
    }
    .emit()
}
