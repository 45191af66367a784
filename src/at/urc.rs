//! Unsolicited result codes (MODEM-SPEC §1.3, §4, §5.2): the typed [`Urc`]
//! and the per-line recogniser the digester calls. Two-line URCs (`+CMT`,
//! `+CDS`, `+CBM`) are reassembled by the digester; this module types their
//! header. Anything URC-shaped that is not typed becomes [`Urc::Unknown`].

use serde::{Serialize, Serializer};

use super::grammar::{fields, has_prefix, hex_bytes, prefixed_fields, Field};

/// An unsolicited result code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Urc {
    /// `+CMTI: "SM",3` — a new SMS was stored. `+CMTI: ,-1` (SIMCom, not
    /// stored) gives an empty `mem` and index -1.
    Cmti { mem: String, index: i32 },
    /// SIM800 `+CMTI: "SM",1,"MMS PUSH",2,1` — an MMS notification was stored.
    MmsPush { mem: String, index: i32 },
    /// `+CMT: [<alpha>],<length>` + PDU line (direct delivery, PDU with SMSC).
    Cmt {
        length: usize,
        #[serde(serialize_with = "ser_hex")]
        pdu: Vec<u8>,
    },
    /// `+CDS: <length>` + PDU line (direct status report).
    Cds {
        length: usize,
        #[serde(serialize_with = "ser_hex")]
        pdu: Vec<u8>,
    },
    /// `+CBM: <length>` + PDU line (cell broadcast).
    Cbm {
        length: usize,
        #[serde(serialize_with = "ser_hex")]
        pdu: Vec<u8>,
    },
    /// `+CDSI: "SR",5` — a status report was stored.
    Cdsi { mem: String, index: i32 },
    /// `+CREG`/`+CGREG`/`+CEREG` registration change.
    Registration(Registration),
    /// `RING`.
    Ring,
    /// `+CRING: <type>` (e.g. `VOICE`).
    Cring(String),
    /// `+CLIP: "<number>",<type>,…`.
    Clip(Clip),
    /// `+CUSD: <m>[,"<str>"[,<dcs>]]`.
    Cusd(Cusd),
    /// Boot / readiness marker (MODEM-SPEC §4).
    Boot(BootMarker),
    /// Message storage full: Huawei `^SMMEMFULL: "ME"`, Quectel
    /// `+QIND: "smsfull",…`. Carries the memory name when given.
    MemoryFull(String),
    /// Signal-quality report.
    Signal(Signal),
    /// Power supply events (SIM800).
    Power(PowerEvent),
    /// Any other URC-shaped line, verbatim.
    Unknown(String),
}

fn ser_hex<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02X}");
    }
    s.serialize_str(&out)
}

/// Which registration the line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationKind {
    /// `+CREG` (circuit switched, what SMS over CS needs).
    Cs,
    /// `+CGREG` (GPRS).
    Gprs,
    /// `+CEREG` (EPS / LTE).
    Eps,
}

/// `+CREG`-style registration status, from a `?` answer (with `mode`) or a URC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    pub kind: RegistrationKind,
    /// The `<n>` setting, present only in answers to `AT+CREG?`.
    pub mode: Option<u8>,
    /// 0 not searching, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming.
    pub stat: u8,
    /// Location / tracking area code, quoted or (Huawei) unquoted hex.
    pub lac: Option<u32>,
    pub ci: Option<u32>,
    /// Access technology (7 = E-UTRAN).
    pub act: Option<u8>,
}

impl Registration {
    /// Registered, home network or roaming.
    pub fn is_registered(&self) -> bool {
        matches!(self.stat, 1 | 5)
    }
}

/// Caller id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clip {
    pub number: String,
    pub ton: Option<u8>,
}

/// USSD result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cusd {
    /// 0 done, 1 further action required, 2 terminated by network, 4 not supported.
    pub status: u8,
    pub text: Option<String>,
    pub dcs: Option<u8>,
}

/// Boot and readiness markers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "marker", content = "value", rename_all = "snake_case")]
pub enum BootMarker {
    /// `RDY` (SIMCom, Quectel): the modem (re)started.
    Rdy,
    /// SIM800 `SMS Ready`.
    SmsReady,
    /// SIM800 `Call Ready`.
    CallReady,
    /// SIM7600 `SMS DONE`, Quectel `+QIND: SMS DONE`.
    SmsDone,
    /// SIM7600 `PB DONE`, Quectel `+QIND: PB DONE`.
    PbDone,
    /// `+CFUN: n` as a URC.
    Cfun(u8),
    /// `+CPIN: READY` (or another SIM state) as a URC.
    Cpin(String),
    /// Quectel `+QUSIM: n`.
    Qusim(u8),
    /// Any other Quectel `+QIND: …` indication, verbatim after the colon.
    Qind(String),
    /// Huawei `^BOOT:…`, verbatim after the colon.
    HuaweiBoot(String),
}

/// Signal reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Signal {
    /// `+CSQ: rssi,ber` as a URC (SIMCom auto-CSQ, Quectel `+QIND: "csq",…`).
    Csq { rssi: u8, ber: u8 },
    /// Huawei `^RSSI:n`.
    Rssi { rssi: u8 },
    /// Huawei `^HCSQ:"LTE",59,50,161,24`.
    Hcsq { mode: String, values: Vec<i32> },
}

/// SIM800 power-supply URCs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerEvent {
    NormalPowerDown,
    UnderVoltageWarning,
    UnderVoltagePowerDown,
    OverVoltageWarning,
    OverVoltagePowerDown,
}

/// Which two-line URC a header announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TwoLineKind {
    Cmt,
    Cds,
    Cbm,
}

impl TwoLineKind {
    pub(crate) fn make(self, length: usize, pdu: Vec<u8>) -> Urc {
        match self {
            TwoLineKind::Cmt => Urc::Cmt { length, pdu },
            TwoLineKind::Cds => Urc::Cds { length, pdu },
            TwoLineKind::Cbm => Urc::Cbm { length, pdu },
        }
    }
}

/// Recognises the header of a two-line URC in PDU mode and returns its
/// kind and announced TPDU length (`+CMT: ,35`, `+CMT: "",35`, `+CDS: 25`).
pub(crate) fn two_line_header(line: &str) -> Option<(TwoLineKind, usize)> {
    let kind = if has_prefix(line, "+CMT") {
        TwoLineKind::Cmt
    } else if has_prefix(line, "+CDS") {
        TwoLineKind::Cds
    } else if has_prefix(line, "+CBM") {
        TwoLineKind::Cbm
    } else {
        return None;
    };
    let rest = &line[5..];
    let f = fields(rest)?;
    let len = f.last()?.number::<usize>()?;
    Some((kind, len))
}

fn mem_index(f: &[Field<'_>]) -> Option<(String, i32)> {
    let mem = f.first()?.text().to_string();
    let index = f.get(1)?.number::<i32>()?;
    Some((mem, index))
}

/// Parses the fields of a `+CREG`/`+CGREG`/`+CEREG` line, telling the answer
/// shape (`<n>,<stat>[,<lac>,<ci>[,<act>…]]`) from the URC shape
/// (`<stat>[,<lac>,<ci>[,<act>…]]`) by field count and by whether the second
/// field is a bare one-digit status.
pub(crate) fn registration_fields(kind: RegistrationKind, f: &[Field<'_>]) -> Option<Registration> {
    let answer = registration_is_answer(f);
    let (mode, rest) = if answer {
        (Some(f.first()?.number::<u8>()?), &f[1..])
    } else {
        (None, f)
    };
    let stat = rest.first()?.number::<u8>()?;
    let opt_hex = |i: usize| -> Option<Option<u32>> {
        match rest.get(i) {
            None => Some(None),
            Some(x) if x.is_empty() => Some(None),
            Some(x) => x.hex_u32().map(Some),
        }
    };
    let lac = opt_hex(1)?;
    let ci = opt_hex(2)?;
    let act = match rest.get(3) {
        None => None,
        Some(x) if x.is_empty() => None,
        Some(x) => Some(x.number::<u8>()?),
    };
    Some(Registration {
        kind,
        mode,
        stat,
        lac,
        ci,
        act,
    })
}

/// True when the fields have the shape of an answer to `AT+CREG?` rather than
/// of an unsolicited `+CREG:` (MODEM-SPEC §5.1 item 5).
pub(crate) fn registration_is_answer(f: &[Field<'_>]) -> bool {
    match f.len() {
        0 | 1 | 3 => false,
        2 => true,
        _ => matches!(f[1], Field::Bare(s) if s.len() == 1 && s.as_bytes()[0].is_ascii_digit()),
    }
}

pub(crate) fn registration_kind(line: &str) -> Option<(RegistrationKind, &'static str)> {
    if has_prefix(line, "+CREG") {
        Some((RegistrationKind::Cs, "+CREG"))
    } else if has_prefix(line, "+CGREG") {
        Some((RegistrationKind::Gprs, "+CGREG"))
    } else if has_prefix(line, "+CEREG") {
        Some((RegistrationKind::Eps, "+CEREG"))
    } else {
        None
    }
}

/// True when a registration line is unsolicited by its shape.
pub(crate) fn registration_line_is_urc(line: &str) -> bool {
    match registration_kind(line) {
        Some((_, p)) => match prefixed_fields(line, p) {
            Some(f) => !registration_is_answer(&f),
            None => true,
        },
        None => true,
    }
}

pub(crate) fn cusd_fields(f: &[Field<'_>]) -> Option<Cusd> {
    let status = f.first()?.number::<u8>()?;
    let text = f.get(1).map(|x| x.text().to_string());
    let dcs = match f.get(2) {
        None => None,
        Some(x) => Some(x.number::<u8>()?),
    };
    Some(Cusd { status, text, dcs })
}

/// ASCII-uppercases a short URC name into `buf` without allocating; names
/// longer than the buffer give `""` (no typed URC is that long).
fn upper<'b>(name: &str, buf: &'b mut [u8; 16]) -> &'b str {
    if name.len() > buf.len() {
        return "";
    }
    for (d, s) in buf.iter_mut().zip(name.bytes()) {
        *d = s.to_ascii_uppercase();
    }
    std::str::from_utf8(&buf[..name.len()]).unwrap_or("")
}

fn parse_plus(line: &str) -> Urc {
    let unknown = || Urc::Unknown(line.to_string());
    let colon = match line.find(':') {
        Some(c) => c,
        None => return unknown(),
    };
    let name = &line[..colon];
    let rest = line[colon + 1..].trim();
    let f = match fields(rest) {
        Some(f) => f,
        None => return unknown(),
    };
    let mut buf = [0u8; 16];
    let typed = match upper(name, &mut buf) {
        "+CMTI" => mem_index(&f).map(|(mem, index)| {
            if f.len() >= 3 && f[2].text().eq_ignore_ascii_case("MMS PUSH") {
                Urc::MmsPush { mem, index }
            } else {
                Urc::Cmti { mem, index }
            }
        }),
        "+CDSI" => mem_index(&f).map(|(mem, index)| Urc::Cdsi { mem, index }),
        "+CREG" => registration_fields(RegistrationKind::Cs, &f).map(Urc::Registration),
        "+CGREG" => registration_fields(RegistrationKind::Gprs, &f).map(Urc::Registration),
        "+CEREG" => registration_fields(RegistrationKind::Eps, &f).map(Urc::Registration),
        "+CRING" => Some(Urc::Cring(rest.to_string())),
        "+CLIP" => f.first().map(|n| {
            Urc::Clip(Clip {
                number: n.text().to_string(),
                ton: f.get(1).and_then(|t| t.number()),
            })
        }),
        "+CUSD" => cusd_fields(&f).map(Urc::Cusd),
        "+CFUN" => f
            .first()
            .and_then(|x| x.number())
            .map(|n| Urc::Boot(BootMarker::Cfun(n))),
        "+CPIN" => Some(Urc::Boot(BootMarker::Cpin(rest.to_string()))),
        "+QUSIM" => f
            .first()
            .and_then(|x| x.number())
            .map(|n| Urc::Boot(BootMarker::Qusim(n))),
        "+CSQ" => csq_fields(&f).map(|(rssi, ber)| Urc::Signal(Signal::Csq { rssi, ber })),
        "+QIND" => Some(qind(rest, &f)),
        _ => None,
    };
    typed.unwrap_or_else(unknown)
}

pub(crate) fn csq_fields(f: &[Field<'_>]) -> Option<(u8, u8)> {
    if f.len() != 2 {
        return None;
    }
    Some((f[0].number()?, f[1].number()?))
}

fn qind(rest: &str, f: &[Field<'_>]) -> Urc {
    let first = f.first().map(|x| x.text()).unwrap_or("");
    if first.eq_ignore_ascii_case("SMS DONE") {
        Urc::Boot(BootMarker::SmsDone)
    } else if first.eq_ignore_ascii_case("PB DONE") {
        Urc::Boot(BootMarker::PbDone)
    } else if first.eq_ignore_ascii_case("smsfull") {
        Urc::MemoryFull(f.get(1).map(|m| m.text().to_string()).unwrap_or_default())
    } else if first.eq_ignore_ascii_case("csq") {
        match csq_fields(&f[1..]) {
            Some((rssi, ber)) => Urc::Signal(Signal::Csq { rssi, ber }),
            None => Urc::Boot(BootMarker::Qind(rest.to_string())),
        }
    } else {
        Urc::Boot(BootMarker::Qind(rest.to_string()))
    }
}

fn parse_caret(line: &str) -> Urc {
    let unknown = || Urc::Unknown(line.to_string());
    let colon = match line.find(':') {
        Some(c) => c,
        None => return unknown(),
    };
    let name = &line[..colon];
    let rest = line[colon + 1..].trim();
    let mut buf = [0u8; 16];
    let typed = match upper(name, &mut buf) {
        "^RSSI" => rest
            .parse()
            .ok()
            .map(|rssi| Urc::Signal(Signal::Rssi { rssi })),
        "^HCSQ" => fields(rest).and_then(|f| {
            let mode = f.first()?.text().to_string();
            let values = f[1..]
                .iter()
                .map(|x| x.number::<i32>())
                .collect::<Option<Vec<_>>>()?;
            Some(Urc::Signal(Signal::Hcsq { mode, values }))
        }),
        "^SMMEMFULL" => {
            fields(rest).and_then(|f| f.first().map(|m| Urc::MemoryFull(m.text().to_string())))
        }
        "^BOOT" => Some(Urc::Boot(BootMarker::HuaweiBoot(rest.to_string()))),
        _ => None,
    };
    typed.unwrap_or_else(unknown)
}

const WORDS: &[(&str, Urc)] = &[
    ("RING", Urc::Ring),
    ("RDY", Urc::Boot(BootMarker::Rdy)),
    ("SMS Ready", Urc::Boot(BootMarker::SmsReady)),
    ("Call Ready", Urc::Boot(BootMarker::CallReady)),
    ("SMS DONE", Urc::Boot(BootMarker::SmsDone)),
    ("PB DONE", Urc::Boot(BootMarker::PbDone)),
    ("NORMAL POWER DOWN", Urc::Power(PowerEvent::NormalPowerDown)),
    (
        "UNDER-VOLTAGE WARNNING",
        Urc::Power(PowerEvent::UnderVoltageWarning),
    ),
    (
        "UNDER-VOLTAGE WARNING",
        Urc::Power(PowerEvent::UnderVoltageWarning),
    ),
    (
        "UNDER-VOLTAGE POWER DOWN",
        Urc::Power(PowerEvent::UnderVoltagePowerDown),
    ),
    (
        "OVER-VOLTAGE WARNNING",
        Urc::Power(PowerEvent::OverVoltageWarning),
    ),
    (
        "OVER-VOLTAGE WARNING",
        Urc::Power(PowerEvent::OverVoltageWarning),
    ),
    (
        "OVER-VOLTAGE POWER DOWN",
        Urc::Power(PowerEvent::OverVoltagePowerDown),
    ),
];

/// Bare-word URCs that are not typed but are unmistakably unsolicited.
const UNTYPED_WORDS: &[&str] = &["NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE"];

/// Recognises a URC line. `+X:`/`^X:` lines always give `Some` (typed or
/// [`Urc::Unknown`]); bare lines give `Some` only for the known URC words.
pub(crate) fn parse(line: &str) -> Option<Urc> {
    match line.as_bytes().first()? {
        b'+' if line.contains(':') => Some(parse_plus(line)),
        b'^' if line.contains(':') => Some(parse_caret(line)),
        _ => {
            if let Some((_, u)) = WORDS.iter().find(|(w, _)| line.eq_ignore_ascii_case(w)) {
                return Some(u.clone());
            }
            UNTYPED_WORDS
                .iter()
                .any(|w| line.eq_ignore_ascii_case(w))
                .then(|| Urc::Unknown(line.to_string()))
        }
    }
}

/// True when `parse` would type this line (not `Unknown`).
pub(crate) fn is_typed(u: &Urc) -> bool {
    !matches!(u, Urc::Unknown(_))
}

/// Decodes the PDU line of a two-line URC.
pub(crate) fn pdu_line(line: &str) -> Option<Vec<u8>> {
    hex_bytes(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(
        kind: RegistrationKind,
        mode: Option<u8>,
        stat: u8,
        lac: Option<u32>,
        ci: Option<u32>,
        act: Option<u8>,
    ) -> Urc {
        Urc::Registration(Registration {
            kind,
            mode,
            stat,
            lac,
            ci,
            act,
        })
    }

    #[test]
    fn every_typed_urc_form_parses() {
        use RegistrationKind::*;
        let table: Vec<(&str, Urc)> = vec![
            (
                r#"+CMTI: "SM",3"#,
                Urc::Cmti {
                    mem: "SM".into(),
                    index: 3,
                },
            ),
            (
                r#"+CMTI:"ME",0"#,
                Urc::Cmti {
                    mem: "ME".into(),
                    index: 0,
                },
            ),
            (
                "+CMTI: ,-1",
                Urc::Cmti {
                    mem: "".into(),
                    index: -1,
                },
            ),
            (
                r#"+CMTI: "SM",1,"MMS PUSH",2,1"#,
                Urc::MmsPush {
                    mem: "SM".into(),
                    index: 1,
                },
            ),
            (
                r#"+CDSI: "SR",5"#,
                Urc::Cdsi {
                    mem: "SR".into(),
                    index: 5,
                },
            ),
            ("+CREG: 1", reg(Cs, None, 1, None, None, None)),
            (
                r#"+CREG: 1,"00C3","0000A13F""#,
                reg(Cs, None, 1, Some(0xC3), Some(0xA13F), None),
            ),
            (
                "+CREG: 1,4CA,81DE445",
                reg(Cs, None, 1, Some(0x4CA), Some(0x81DE445), None),
            ),
            (
                r#"+CGREG: 5,"1A2B","01A2B3C4",7"#,
                reg(Gprs, None, 5, Some(0x1A2B), Some(0x01A2B3C4), Some(7)),
            ),
            (
                r#"+CEREG: 1,"1A2B","01A2B3C4",7"#,
                reg(Eps, None, 1, Some(0x1A2B), Some(0x01A2B3C4), Some(7)),
            ),
            ("RING", Urc::Ring),
            ("+CRING: VOICE", Urc::Cring("VOICE".into())),
            (
                r#"+CLIP: "+4917612345678",145,,,,0"#,
                Urc::Clip(Clip {
                    number: "+4917612345678".into(),
                    ton: Some(145),
                }),
            ),
            (
                r#"+CUSD: 0,"Balance 5.00 EUR",15"#,
                Urc::Cusd(Cusd {
                    status: 0,
                    text: Some("Balance 5.00 EUR".into()),
                    dcs: Some(15),
                }),
            ),
            (
                "+CUSD: 2",
                Urc::Cusd(Cusd {
                    status: 2,
                    text: None,
                    dcs: None,
                }),
            ),
            ("RDY", Urc::Boot(BootMarker::Rdy)),
            ("SMS Ready", Urc::Boot(BootMarker::SmsReady)),
            ("Call Ready", Urc::Boot(BootMarker::CallReady)),
            ("SMS DONE", Urc::Boot(BootMarker::SmsDone)),
            ("PB DONE", Urc::Boot(BootMarker::PbDone)),
            ("+CFUN: 1", Urc::Boot(BootMarker::Cfun(1))),
            ("+CPIN: READY", Urc::Boot(BootMarker::Cpin("READY".into()))),
            ("+QUSIM: 1", Urc::Boot(BootMarker::Qusim(1))),
            ("+QIND: SMS DONE", Urc::Boot(BootMarker::SmsDone)),
            ("+QIND: PB DONE", Urc::Boot(BootMarker::PbDone)),
            (
                r#"+QIND: "FOTA","START""#,
                Urc::Boot(BootMarker::Qind(r#""FOTA","START""#.into())),
            ),
            (r#"+QIND: "smsfull","SM""#, Urc::MemoryFull("SM".into())),
            (
                r#"+QIND: "csq",20,99"#,
                Urc::Signal(Signal::Csq { rssi: 20, ber: 99 }),
            ),
            (
                "^BOOT:20315611,0,0,0,72",
                Urc::Boot(BootMarker::HuaweiBoot("20315611,0,0,0,72".into())),
            ),
            ("^RSSI:18", Urc::Signal(Signal::Rssi { rssi: 18 })),
            (
                r#"^HCSQ:"LTE",59,50,161,24"#,
                Urc::Signal(Signal::Hcsq {
                    mode: "LTE".into(),
                    values: vec![59, 50, 161, 24],
                }),
            ),
            (r#"^SMMEMFULL: "ME""#, Urc::MemoryFull("ME".into())),
            (
                "+CSQ: 17,99",
                Urc::Signal(Signal::Csq { rssi: 17, ber: 99 }),
            ),
            ("NORMAL POWER DOWN", Urc::Power(PowerEvent::NormalPowerDown)),
            (
                "UNDER-VOLTAGE WARNNING",
                Urc::Power(PowerEvent::UnderVoltageWarning),
            ),
            (
                "OVER-VOLTAGE POWER DOWN",
                Urc::Power(PowerEvent::OverVoltagePowerDown),
            ),
            ("^SRVST:2", Urc::Unknown("^SRVST:2".into())),
            ("+CMTI: garbage", Urc::Unknown("+CMTI: garbage".into())),
            ("NO CARRIER", Urc::Unknown("NO CARRIER".into())),
        ];
        for (line, want) in table {
            assert_eq!(parse(line), Some(want), "{line}");
        }
        assert_eq!(parse("SIMCOM_Ltd"), None);
        assert_eq!(parse("861234567890123"), None);
    }

    #[test]
    fn two_line_headers_give_kind_and_length() {
        assert_eq!(two_line_header("+CMT: ,35"), Some((TwoLineKind::Cmt, 35)));
        assert_eq!(
            two_line_header(r#"+CMT: "",35"#),
            Some((TwoLineKind::Cmt, 35))
        );
        assert_eq!(two_line_header("+CMT:,24"), Some((TwoLineKind::Cmt, 24)));
        assert_eq!(two_line_header("+CDS: 25"), Some((TwoLineKind::Cds, 25)));
        assert_eq!(two_line_header("+CBM: 88"), Some((TwoLineKind::Cbm, 88)));
        assert_eq!(two_line_header(r#"+CDSI: "SR",5"#), None);
        assert_eq!(
            two_line_header(r#"+CMT: "+491234","","24/01/01,10:00:00+04""#),
            None
        );
    }

    #[test]
    fn registration_answers_and_urcs_are_told_apart_by_shape() {
        let answer = |l: &str| !registration_line_is_urc(l);
        assert!(answer("+CREG: 0,1"));
        assert!(answer(r#"+CREG: 2,1,"00C3","0000A13F""#));
        assert!(answer("+CREG: 2,1,4CA,81DE445"));
        assert!(answer(r#"+CEREG: 2,1,"1A2B","01A2B3C4",7"#));
        assert!(!answer("+CREG: 1"));
        assert!(!answer(r#"+CREG: 1,"00C3","0000A13F""#));
        assert!(!answer("+CREG: 1,4CA,81DE445"));
        assert!(!answer(r#"+CREG: 1,"00C3","0000A13F",7"#));
    }
}
