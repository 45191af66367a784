//! Typed parsers for the information lines the driver needs (3GPP TS 27.007,
//! TS 27.005, MODEM-SPEC §2.3 and §6). Each takes the `Info` text the
//! digester produced (one line, or all lines of a command) and returns a
//! typed value or a small `Copy` [`crate::at::Error`]; none panics on any
//! input.

use serde::Serialize;

use super::grammar::{fields, has_prefix, hex_bytes, prefixed_fields, value_set, Field};
use super::urc::{csq_fields, cusd_fields, registration_fields, registration_kind};
use super::{Error, Result};

pub use super::urc::{Cusd, Registration, RegistrationKind};

/// `+CSQ: <rssi>,<ber>` (27.007 §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Csq {
    /// 0..=31, or 99 when unknown.
    pub rssi: u8,
    /// 0..=7, or 99 when unknown.
    pub ber: u8,
}

impl Csq {
    /// Received power in dBm (`-113 + 2 × rssi`), `None` when unknown.
    pub fn dbm(&self) -> Option<i16> {
        (self.rssi <= 31).then(|| -113 + 2 * i16::from(self.rssi))
    }
}

/// `+CSQ: 21,99`.
pub fn csq(line: &str) -> Result<Csq> {
    let f = prefixed_fields(line, "+CSQ").ok_or(Error::Malformed("+CSQ"))?;
    let (rssi, ber) = csq_fields(&f).ok_or(Error::Malformed("+CSQ"))?;
    Ok(Csq { rssi, ber })
}

/// `+CREG: <n>,<stat>[,<lac>,<ci>[,<act>]]` (also `+CGREG`/`+CEREG`, quoted or
/// unquoted LAC/CI). The URC shape without `<n>` is accepted too.
pub fn creg(line: &str) -> Result<Registration> {
    let line = line.trim();
    let (kind, prefix) = registration_kind(line).ok_or(Error::Malformed("+CREG"))?;
    let f = prefixed_fields(line, prefix).ok_or(Error::Malformed(prefix))?;
    registration_fields(kind, &f).ok_or(Error::Malformed(prefix))
}

/// `+COPS: <mode>[,<format>,<oper>[,<act>]]` (27.007 §7.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cops {
    pub mode: u8,
    pub format: Option<u8>,
    pub operator: Option<String>,
    pub act: Option<u8>,
}

/// `+COPS: 0,0,"Test Operator",7` or `+COPS: 0` (not registered).
pub fn cops(line: &str) -> Result<Cops> {
    const P: &str = "+COPS";
    let f = prefixed_fields(line, P).ok_or(Error::Malformed(P))?;
    let num = |i: usize| -> Result<Option<u8>> {
        match f.get(i) {
            None => Ok(None),
            Some(x) if x.is_empty() => Ok(None),
            Some(x) => x.number().map(Some).ok_or(Error::Malformed(P)),
        }
    };
    let mode = num(0)?.ok_or(Error::Malformed(P))?;
    Ok(Cops {
        mode,
        format: num(1)?,
        operator: f.get(2).map(|x| x.text().to_string()),
        act: num(3)?,
    })
}

/// One storage's usage in a `+CPMS` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorageUsage {
    /// The memory name; absent in the answer to the set command.
    pub mem: Option<String>,
    pub used: u32,
    pub total: u32,
}

/// `+CPMS?` answer (`"SM",3,30,"SM",3,30,"SM",3,30`) or set answer
/// (`3,30,3,30,3,30`): one entry per storage (read, write, receive).
pub fn cpms(line: &str) -> Result<Vec<StorageUsage>> {
    const P: &str = "+CPMS";
    let f = prefixed_fields(line, P).ok_or(Error::Malformed(P))?;
    let named = matches!(f.first(), Some(Field::Quoted(_)));
    let stride = if named { 3 } else { 2 };
    if f.is_empty() || f.len() % stride != 0 {
        return Err(Error::Malformed(P));
    }
    f.chunks(stride)
        .map(|c| {
            let (mem, nums) = if named {
                match c[0] {
                    Field::Quoted(m) => (Some(m.to_string()), &c[1..]),
                    _ => return Err(Error::Malformed(P)),
                }
            } else {
                (None, c)
            };
            Ok(StorageUsage {
                mem,
                used: nums[0].number().ok_or(Error::Malformed(P))?,
                total: nums[1].number().ok_or(Error::Malformed(P))?,
            })
        })
        .collect()
}

/// `+CPMS=?` answer: the memories supported for reading, writing, receiving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CpmsSupport {
    pub read: Vec<String>,
    pub write: Vec<String>,
    pub receive: Vec<String>,
}

/// `+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")`; Nokia's `(),(),()` gives
/// empty lists; a missing third group gives an empty `receive`.
pub fn cpms_test(line: &str) -> Result<CpmsSupport> {
    const P: &str = "+CPMS";
    let f = prefixed_fields(line, P).ok_or(Error::Malformed(P))?;
    let group = |i: usize| -> Result<Vec<String>> {
        match f.get(i) {
            None => Ok(Vec::new()),
            Some(Field::Group(g)) => Ok(fields(g)
                .ok_or(Error::Malformed(P))?
                .into_iter()
                .filter(|x| !x.is_empty())
                .map(|x| x.text().to_string())
                .collect()),
            Some(_) => Err(Error::Malformed(P)),
        }
    };
    if f.is_empty() || f.len() > 3 {
        return Err(Error::Malformed(P));
    }
    Ok(CpmsSupport {
        read: group(0)?,
        write: group(1)?,
        receive: group(2)?,
    })
}

/// A set of small integers (0..=31) from a `=?` range like `(0-1,3)`.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct ValueSet(pub u32);

impl std::fmt::Debug for ValueSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.values()).finish()
    }
}

impl Serialize for ValueSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.values())
    }
}

impl ValueSet {
    pub fn contains(&self, v: u8) -> bool {
        v < 32 && self.0 & (1 << v) != 0
    }

    /// The members in ascending order.
    pub fn values(&self) -> Vec<u8> {
        (0..32).filter(|v| self.contains(*v)).collect()
    }
}

/// `+CNMI=?` answer: the supported values of each parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CnmiSupport {
    pub mode: ValueSet,
    pub mt: ValueSet,
    pub bm: ValueSet,
    pub ds: ValueSet,
    pub bfr: ValueSet,
}

/// `+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)`, `+CNMI:(0-3),…` (no space),
/// `(2),(0-1,3),(0,2),(0-1),(0)`; missing trailing groups are empty sets.
pub fn cnmi_test(line: &str) -> Result<CnmiSupport> {
    const P: &str = "+CNMI";
    let f = prefixed_fields(line, P).ok_or(Error::Malformed(P))?;
    if f.is_empty() || f.len() > 5 {
        return Err(Error::Malformed(P));
    }
    let set = |i: usize| -> Result<ValueSet> {
        match f.get(i) {
            None => Ok(ValueSet::default()),
            Some(Field::Group(g)) => value_set(g).map(ValueSet).ok_or(Error::Malformed(P)),
            Some(_) => Err(Error::Malformed(P)),
        }
    };
    Ok(CnmiSupport {
        mode: set(0)?,
        mt: set(1)?,
        bm: set(2)?,
        ds: set(3)?,
        bfr: set(4)?,
    })
}

/// One `+CMGL` entry in PDU mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListEntry {
    pub index: u32,
    /// 0 unread, 1 read, 2 stored unsent, 3 stored sent.
    pub stat: u8,
    /// TPDU length the header announced (SMSC octets excluded).
    pub length: usize,
    /// The PDU as sent by the modem (SMSC address first).
    pub pdu: Vec<u8>,
}

/// A `+CMGR` message in PDU mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadEntry {
    pub stat: u8,
    pub length: usize,
    pub pdu: Vec<u8>,
}

/// Splits a `+CMGL`/`+CMGR` header into its leading fields, the announced
/// length and a PDU given on the same line (`+CMGR: 1,,147 0791…`).
/// Handles `,,` `,"",` and an omitted alpha field.
fn pdu_header<'a>(
    line: &'a str,
    p: &'static str,
) -> Result<(Vec<Field<'a>>, usize, Option<&'a str>)> {
    let mut f = prefixed_fields(line, p).ok_or(Error::Malformed(p))?;
    let last = match f.pop() {
        Some(Field::Bare(s)) => s,
        _ => return Err(Error::Malformed(p)),
    };
    let (len, inline) = match last.split_once([' ', '\t']) {
        Some((l, pdu)) => (l, Some(pdu.trim())),
        None => (last, None),
    };
    let length = len.parse().map_err(|_| Error::Malformed(p))?;
    Ok((f, length, inline))
}

fn decode_pdu(hex: &str, length: usize, p: &'static str) -> Result<Vec<u8>> {
    let pdu = hex_bytes(hex.trim()).ok_or(Error::PduHex(p))?;
    if pdu.len() < length {
        return Err(Error::PduLength {
            what: p,
            declared: length,
            actual: pdu.len(),
        });
    }
    Ok(pdu)
}

/// A `+CMGL`/`+CMGR` header's leading fields, announced length and PDU.
type PduEntry<'a> = (Vec<Field<'a>>, usize, Vec<u8>);

/// Collects header + PDU pairs for `p` from the lines of one response.
fn pdu_entries<'a>(lines: &'a [String], p: &'static str) -> Result<Vec<PduEntry<'a>>> {
    let mut out = Vec::new();
    let mut it = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty());
    while let Some(line) = it.next() {
        if !has_prefix(line, p) {
            continue;
        }
        let (f, length, inline) = pdu_header(line, p)?;
        let hex = match inline {
            Some(h) => h,
            None => it.next().ok_or(Error::Missing("PDU line"))?,
        };
        out.push((f, length, decode_pdu(hex, length, p)?));
    }
    Ok(out)
}

/// All entries of an `AT+CMGL=<stat>` response (PDU mode): header lines
/// `+CMGL: <index>,<stat>,[<alpha>],<length>` each followed by a PDU line.
/// Lines that are neither are ignored. The empty list is `Ok(vec![])`.
pub fn cmgl(lines: &[String]) -> Result<Vec<ListEntry>> {
    const P: &str = "+CMGL";
    pdu_entries(lines, P)?
        .into_iter()
        .map(|(f, length, pdu)| {
            let index = f
                .first()
                .and_then(|x| x.number())
                .ok_or(Error::Malformed(P))?;
            let stat = f
                .get(1)
                .and_then(|x| x.number())
                .ok_or(Error::Malformed(P))?;
            Ok(ListEntry {
                index,
                stat,
                length,
                pdu,
            })
        })
        .collect()
}

/// The message of an `AT+CMGR=<index>` response (PDU mode); `Ok(None)` when
/// the index is empty (some modems answer a bare `OK`).
pub fn cmgr(lines: &[String]) -> Result<Option<ReadEntry>> {
    const P: &str = "+CMGR";
    let mut entries = pdu_entries(lines, P)?;
    if entries.len() > 1 {
        return Err(Error::Malformed(P));
    }
    entries
        .pop()
        .map(|(f, length, pdu)| {
            let stat = f
                .first()
                .and_then(|x| x.number())
                .ok_or(Error::Malformed(P))?;
            Ok(ReadEntry { stat, length, pdu })
        })
        .transpose()
}

/// The message reference of `+CMGS: <mr>[,<scts|ackpdu>]`.
pub fn cmgs(line: &str) -> Result<u8> {
    const P: &str = "+CMGS";
    let f = prefixed_fields(line, P).ok_or(Error::Malformed(P))?;
    let mr: u32 = f
        .first()
        .and_then(|x| x.number())
        .ok_or(Error::Malformed(P))?;
    u8::try_from(mr).map_err(|_| Error::Range(P))
}

/// `+CSCA: "<sca>",<tosca>` (27.005 §3.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Csca {
    /// The number as text (`+31653131313`), hex-UCS2 already decoded.
    pub number: String,
    pub ton: Option<u8>,
}

/// Decodes a hex-UCS2 number (`"002B0039…"`, sent when `AT+CSCS="UCS2"`)
/// when every code unit is a dialling character; otherwise `None`.
fn ucs2_number(s: &str) -> Option<String> {
    if s.len() < 8 || s.len() % 4 != 0 {
        return None;
    }
    let bytes = hex_bytes(s)?;
    bytes
        .chunks_exact(2)
        .map(|u| {
            let c = char::from(u[1]);
            (u[0] == 0 && (c.is_ascii_digit() || matches!(c, '+' | '*' | '#'))).then_some(c)
        })
        .collect()
}

/// `+CSCA: "+447785016005",145`, the hex-UCS2 form, or an empty SMSC `""`.
pub fn csca(line: &str) -> Result<Csca> {
    const P: &str = "+CSCA";
    let f = prefixed_fields(line, P).ok_or(Error::Malformed(P))?;
    let raw = f.first().ok_or(Error::Malformed(P))?.text();
    let number = ucs2_number(raw).unwrap_or_else(|| raw.to_string());
    let ton = match f.get(1) {
        None => None,
        Some(x) if x.is_empty() => None,
        Some(x) => Some(x.number().ok_or(Error::Malformed(P))?),
    };
    Ok(Csca { number, ton })
}

/// `+CUSD: <m>[,"<str>"[,<dcs>]]`.
pub fn cusd(line: &str) -> Result<Cusd> {
    const P: &str = "+CUSD";
    let f = prefixed_fields(line, P).ok_or(Error::Malformed(P))?;
    cusd_fields(&f).ok_or(Error::Malformed(P))
}

/// The value of an identity command (`AT+CGMI`, `+CGMM`, `+CGMR`, `+CGSN`,
/// `+CIMI`, `+CCID`): the first non-empty line, with an echoed
/// `+CGMI:`-style prefix, quotes and (Wavecom) leading spaces removed.
pub fn identity(lines: &[String]) -> Result<String> {
    let line = lines
        .iter()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .ok_or(Error::Missing("identity"))?;
    let value = match line.as_bytes()[0] {
        b'+' | b'^' => match line.split_once(':') {
            Some((_, v)) => v.trim(),
            None => line,
        },
        _ => line,
    };
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
        .trim();
    if value.is_empty() {
        return Err(Error::Malformed("identity"));
    }
    Ok(value.to_string())
}

/// The typed value of one self-contained information line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Typed {
    Csq(Csq),
    Registration(Registration),
    Cops(Cops),
    Cpms(Vec<StorageUsage>),
    CpmsSupport(CpmsSupport),
    CnmiSupport(CnmiSupport),
    /// `+CMGS:` message reference.
    Cmgs(u8),
    Csca(Csca),
    Cusd(Cusd),
}

/// Types one information line by its prefix, for tools that show a
/// response without knowing the command (`gsmq at parse`). `None` when the
/// prefix has no single-line parser (e.g. `+CMGL` headers, bare lines).
pub fn typed(line: &str) -> Option<Result<Typed>> {
    let l = line.trim();
    let p = |name| has_prefix(l, name);
    Some(if p("+CSQ") {
        csq(l).map(Typed::Csq)
    } else if p("+CREG") || p("+CGREG") || p("+CEREG") {
        creg(l).map(Typed::Registration)
    } else if p("+COPS") {
        cops(l).map(Typed::Cops)
    } else if p("+CPMS") && l.contains('(') {
        cpms_test(l).map(Typed::CpmsSupport)
    } else if p("+CPMS") {
        cpms(l).map(Typed::Cpms)
    } else if p("+CNMI") && l.contains('(') {
        cnmi_test(l).map(Typed::CnmiSupport)
    } else if p("+CMGS") {
        cmgs(l).map(Typed::Cmgs)
    } else if p("+CSCA") {
        csca(l).map(Typed::Csca)
    } else if p("+CUSD") {
        cusd(l).map(Typed::Cusd)
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn csq_parses_with_and_without_space() {
        assert_eq!(csq("+CSQ: 21,99"), Ok(Csq { rssi: 21, ber: 99 }));
        assert_eq!(csq("+CSQ:9,99"), Ok(Csq { rssi: 9, ber: 99 }));
        assert_eq!(csq("+CSQ: 21,99").unwrap().dbm(), Some(-71));
        assert_eq!(csq("+CSQ: 99,99").unwrap().dbm(), None);
        assert_eq!(csq("+CSQ: 21"), Err(Error::Malformed("+CSQ")));
        assert_eq!(csq("+CSQ: 300,1"), Err(Error::Malformed("+CSQ")));
    }

    #[test]
    fn creg_answers_parse_in_every_variant() {
        let r = creg("+CREG: 0,1").unwrap();
        assert_eq!((r.mode, r.stat, r.lac), (Some(0), 1, None));
        assert!(r.is_registered());
        let r = creg(r#"+CREG: 2,1,"00C3","0000A13F""#).unwrap();
        assert_eq!(
            (r.mode, r.stat, r.lac, r.ci),
            (Some(2), 1, Some(0xC3), Some(0xA13F))
        );
        let r = creg("+CREG: 2,1,4CA,81DE445").unwrap();
        assert_eq!((r.lac, r.ci), (Some(0x4CA), Some(0x81DE445)));
        let r = creg(r#"+CEREG: 2,5,"1A2B","01A2B3C4",7"#).unwrap();
        assert_eq!((r.kind, r.stat, r.act), (RegistrationKind::Eps, 5, Some(7)));
        let r = creg("+CREG: 3").unwrap();
        assert_eq!((r.mode, r.stat), (None, 3));
        assert!(!r.is_registered());
        assert!(creg("+CREG: x,1").is_err());
        assert!(creg("+CSQ: 1,2").is_err());
    }

    #[test]
    fn cops_parses_registered_and_unregistered_forms() {
        assert_eq!(
            cops(r#"+COPS: 0,0,"Test Operator",7"#),
            Ok(Cops {
                mode: 0,
                format: Some(0),
                operator: Some("Test Operator".into()),
                act: Some(7)
            })
        );
        assert_eq!(
            cops("+COPS: 0"),
            Ok(Cops {
                mode: 0,
                format: None,
                operator: None,
                act: None
            })
        );
        assert!(cops("+COPS: a").is_err());
    }

    #[test]
    fn cpms_parses_query_and_set_answers() {
        let q = cpms(r#"+CPMS: "SM",3,30,"SM",3,30,"SM",3,30"#).unwrap();
        assert_eq!(q.len(), 3);
        assert_eq!(
            q[0],
            StorageUsage {
                mem: Some("SM".into()),
                used: 3,
                total: 30
            }
        );
        let s = cpms("+CPMS: 0,30,0,30,0,30").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[2].mem, None);
        assert_eq!(s[2].total, 30);
        assert!(cpms(r#"+CPMS: "SM",3"#).is_err());
        assert!(cpms("+CPMS: 3,30,3").is_err());
    }

    #[test]
    fn cpms_test_parses_lists_and_empty_lists() {
        let t = cpms_test(r#"+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")"#).unwrap();
        assert_eq!(t.read, vec!["SM", "ME"]);
        assert_eq!(t.receive, vec!["SM", "ME"]);
        let t = cpms_test("+CPMS: (),(),()").unwrap();
        assert!(t.read.is_empty() && t.write.is_empty() && t.receive.is_empty());
        let t = cpms_test(r#"+CPMS:("ME","MT","SM","SR"),("ME","SM")"#).unwrap();
        assert_eq!(t.read.len(), 4);
        assert!(t.receive.is_empty());
        assert!(cpms_test(r#"+CPMS: "SM",3,30"#).is_err());
    }

    #[test]
    fn cnmi_test_parses_every_spec_variant() {
        let c = cnmi_test("+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)").unwrap();
        assert_eq!(c.mode.values(), vec![0, 1, 2]);
        assert_eq!(c.mt.values(), vec![0, 1, 2, 3]);
        assert_eq!(c.bm.values(), vec![0, 2]);
        assert_eq!(c.ds.values(), vec![0, 1, 2]);
        assert_eq!(c.bfr.values(), vec![0, 1]);
        let c = cnmi_test("+CNMI: (2),(0-1,3),(0,2),(0-1),(0)").unwrap();
        assert_eq!(c.mode.values(), vec![2]);
        assert_eq!(c.mt.values(), vec![0, 1, 3]);
        assert!(!c.ds.contains(2));
        let c = cnmi_test("+CNMI:(0-3),(0-3),(0-3),(0,1),(0,1)").unwrap();
        assert!(c.bm.contains(3));
        let c = cnmi_test("+CNMI: (1,2),(0-3),(0,2,3),(0,1)").unwrap();
        assert_eq!(c.bfr, ValueSet(0));
        assert!(cnmi_test("+CNMI: 2,1,0,2,0").is_err());
        assert!(cnmi_test("+CNMI: (0-x)").is_err());
    }

    const PDU35: &str =
        "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034";

    #[test]
    fn cmgl_parses_every_alpha_variant_and_the_empty_list() {
        let l = lines(&[
            "+CMGL: 0,1,,35",
            PDU35,
            r#"+CMGL: 1,0,"",35"#,
            PDU35,
            "+CMGL: 17,3,35",
            PDU35,
            &format!("+CMGL: 18,1,,35 {PDU35}"),
            r#"+CMGL: 19,1,"Bob, Jr",35"#,
            PDU35,
        ]);
        let e = cmgl(&l).unwrap();
        assert_eq!(
            e.iter()
                .map(|x| (x.index, x.stat, x.length))
                .collect::<Vec<_>>(),
            vec![
                (0, 1, 35),
                (1, 0, 35),
                (17, 3, 35),
                (18, 1, 35),
                (19, 1, 35)
            ]
        );
        assert_eq!(e[0].pdu.len(), 43);
        assert_eq!(cmgl(&[]), Ok(vec![]));
    }

    #[test]
    fn cmgl_rejects_a_missing_or_short_pdu() {
        assert_eq!(
            cmgl(&lines(&["+CMGL: 0,1,,35"])),
            Err(Error::Missing("PDU line"))
        );
        assert_eq!(
            cmgl(&lines(&["+CMGL: 0,1,,35", "0791"])),
            Err(Error::PduLength {
                what: "+CMGL",
                declared: 35,
                actual: 2
            })
        );
        assert_eq!(
            cmgl(&lines(&["+CMGL: 0,1,,35", "XYZ"])),
            Err(Error::PduHex("+CMGL"))
        );
    }

    #[test]
    fn cmgr_parses_every_alpha_variant_and_an_empty_index() {
        for header in ["+CMGR: 0,,35", r#"+CMGR: 0,"",35"#, "+CMGR: 0,35"] {
            let r = cmgr(&lines(&[header, PDU35])).unwrap().unwrap();
            assert_eq!((r.stat, r.length, r.pdu.len()), (0, 35, 43), "{header}");
        }
        let r = cmgr(&lines(&[&format!("+CMGR: 1,,35 {PDU35}")]))
            .unwrap()
            .unwrap();
        assert_eq!(r.stat, 1);
        assert_eq!(cmgr(&[]), Ok(None));
    }

    #[test]
    fn cmgs_gives_the_message_reference() {
        assert_eq!(cmgs("+CMGS: 42"), Ok(42));
        assert_eq!(cmgs(r#"+CMGS: 183,"24/01/01,10:00:00+04""#), Ok(183));
        assert_eq!(cmgs("+CMGS: 256"), Err(Error::Range("+CMGS")));
        assert!(cmgs("+CMGS: ").is_err());
    }

    #[test]
    fn csca_decodes_plain_and_hex_ucs2_forms() {
        assert_eq!(
            csca(r#"+CSCA: "+31653131313",145"#),
            Ok(Csca {
                number: "+31653131313".into(),
                ton: Some(145)
            })
        );
        assert_eq!(
            csca(r#"+CSCA: "002B003400340037003700380035003000310036003000300035",145"#)
                .unwrap()
                .number,
            "+447785016005"
        );
        assert_eq!(csca(r#"+CSCA: "",129"#).unwrap().number, "");
        assert_eq!(
            csca(r#"+CSCA: "316531313133",145"#).unwrap().number,
            "316531313133"
        );
    }

    #[test]
    fn cusd_parses_status_text_and_dcs() {
        let c = cusd(r#"+CUSD: 1,"Menu",15"#).unwrap();
        assert_eq!(
            (c.status, c.text.as_deref(), c.dcs),
            (1, Some("Menu"), Some(15))
        );
        assert!(cusd("+CUSD: x").is_err());
    }

    #[test]
    fn identity_strips_prefixes_quotes_and_leading_spaces() {
        assert_eq!(
            identity(&lines(&[" WAVECOM MODEM"])),
            Ok("WAVECOM MODEM".into())
        );
        assert_eq!(identity(&lines(&["SIMCOM_Ltd"])), Ok("SIMCOM_Ltd".into()));
        assert_eq!(identity(&lines(&["+CGMI: Quectel"])), Ok("Quectel".into()));
        assert_eq!(
            identity(&lines(&[r#"+CCID: "89860000000000000000""#])),
            Ok("89860000000000000000".into())
        );
        assert_eq!(
            identity(&lines(&["+ICCID: 89860000000000000001"])),
            Ok("89860000000000000001".into())
        );
        assert_eq!(identity(&[]), Err(Error::Missing("identity")));
    }
}
