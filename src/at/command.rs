//! Typed AT command builders (3GPP TS 27.007 / 27.005). Each builder names
//! the action, cites its clause, and fixes the command's timeout (MODEM-SPEC
//! §3.2, §6.3) and its [`RetryClass`]. The digester learns from a
//! [`Command`] what its echo looks like, which information-line prefix
//! belongs to it, and whether a `> ` prompt comes.

use std::time::Duration;

use serde::Serialize;

/// Whether the driver may resend a command after a timeout or transient error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryClass {
    /// Read-only query: resend freely.
    Query,
    /// Changes a setting, but repeating it is harmless.
    Idempotent,
    /// Has a side effect that must not happen twice (sending an SMS,
    /// a USSD request, a reset, an ack): never resend automatically.
    Once,
}

/// One command line for the modem, with what the digester and driver need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    /// The line without the trailing `\r`.
    pub line: String,
    /// Time allowed for the final result, or for the prompt when `prompt`.
    #[serde(with = "duration_ms")]
    pub timeout: Duration,
    pub retry: RetryClass,
    /// A `> ` prompt follows the line (`AT+CMGS=`).
    pub prompt: bool,
    /// The prefix of the information lines that answer it (`"+CSQ"`).
    pub info_prefix: Option<&'static str>,
}

mod duration_ms {
    use std::time::Duration;

    use serde::Serializer;

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u128(d.as_millis())
    }
}

/// Simple settings that answer at once.
pub const TIMEOUT_SHORT: Duration = Duration::from_secs(5);
/// Commands that touch the SIM (PIN, storage, SMSC, reading one message).
pub const TIMEOUT_SIM: Duration = Duration::from_secs(15);
/// `AT+CMGS=<n>` until the `> ` prompt (ModemManager allows 10 s).
pub const TIMEOUT_PROMPT: Duration = Duration::from_secs(10);
/// From `^Z` to `+CMGS:`; SIM800 documents 60 s, SIM7600/EC25 up to 120 s.
pub const TIMEOUT_SEND_RESULT: Duration = Duration::from_secs(120);
/// `AT+CMGL` over a slow SIM (smstools allows 12 × 5 s).
pub const TIMEOUT_LIST: Duration = Duration::from_secs(60);
/// `AT+CUSD` until `OK` (the `+CUSD:` answer arrives later as a URC).
pub const TIMEOUT_USSD: Duration = Duration::from_secs(20);
/// `AT+CFUN=1,1` until `OK` (the modem then reboots).
pub const TIMEOUT_RESET: Duration = Duration::from_secs(15);

/// Info prefixes the digester knows; [`Command::from_line`] maps a raw
/// command line onto one of them.
const KNOWN_PREFIXES: &[&str] = &[
    "+CPIN", "+CGMI", "+CGMM", "+CGMR", "+CGSN", "+CIMI", "+CCID", "+ICCID", "+QCCID", "+CPMS",
    "+CNMI", "+CSCA", "+CMGS", "+CMGR", "+CMGL", "+CMGW", "+CSQ", "+CREG", "+CGREG", "+CEREG",
    "+COPS", "+CFUN", "+CMGF", "+CSCS", "+CMEE", "+CSMS", "+CMMS", "+CLAC", "+CMGD", "+CGATT",
];

impl Command {
    fn new(line: impl Into<String>, timeout: Duration, retry: RetryClass) -> Command {
        Command {
            line: line.into(),
            timeout,
            retry,
            prompt: false,
            info_prefix: None,
        }
    }

    fn info(mut self, prefix: &'static str) -> Command {
        self.info_prefix = Some(prefix);
        self
    }

    /// Time allowed after the payload (the PDU and `^Z`) for the final
    /// result of a prompt command; for other commands the plain timeout.
    pub fn payload_timeout(&self) -> Duration {
        if self.prompt {
            TIMEOUT_SEND_RESULT
        } else {
            self.timeout
        }
    }

    /// The bytes to write: the line and `\r`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.line.len() + 1);
        v.extend_from_slice(self.line.as_bytes());
        v.push(b'\r');
        v
    }

    /// Best-effort description of an arbitrary command line (as seen in an
    /// echo or typed by a user): its info prefix when it is a known
    /// `AT+X…`, and a prompt for `AT+CMGS=`/`AT+CMGW=`/`AT+CMGC=`.
    pub fn from_line(line: &str) -> Command {
        let line = line.trim();
        let upper = line.to_ascii_uppercase();
        let body = upper.strip_prefix("AT").unwrap_or(&upper);
        let name_end = body.find(['=', '?', ';']).unwrap_or(body.len());
        let name = &body[..name_end];
        let info_prefix = KNOWN_PREFIXES.iter().copied().find(|p| *p == name);
        let prompt = ["AT+CMGS=", "AT+CMGW=", "AT+CMGC="]
            .iter()
            .any(|p| upper.starts_with(p));
        let timeout = match name {
            "+CMGL" => TIMEOUT_LIST,
            _ if prompt => TIMEOUT_PROMPT,
            _ => TIMEOUT_SIM,
        };
        Command {
            line: line.to_string(),
            timeout,
            retry: RetryClass::Once,
            prompt,
            info_prefix,
        }
    }
}

/// `AT` — attention / liveness probe (V.250 §5.2).
pub fn at() -> Command {
    Command::new("AT", TIMEOUT_SHORT, RetryClass::Query)
}

/// `ATE0` — echo off (V.250 §6.2.4). Itself still echoed.
pub fn ate0() -> Command {
    Command::new("ATE0", TIMEOUT_SHORT, RetryClass::Idempotent)
}

/// `ATE1` — echo on (V.250 §6.2.4).
pub fn ate1() -> Command {
    Command::new("ATE1", TIMEOUT_SHORT, RetryClass::Idempotent)
}

/// `ATV1` — verbose result codes (V.250 §6.2.6).
pub fn atv1() -> Command {
    Command::new("ATV1", TIMEOUT_SHORT, RetryClass::Idempotent)
}

/// `AT+CMEE=<n>` — report mobile equipment errors (27.007 §9.1).
pub fn cmee(n: u8) -> Command {
    Command::new(
        format!("AT+CMEE={n}"),
        TIMEOUT_SHORT,
        RetryClass::Idempotent,
    )
}

/// `AT+CPIN?` — SIM PIN state (27.007 §8.3).
pub fn cpin_query() -> Command {
    Command::new("AT+CPIN?", TIMEOUT_SIM, RetryClass::Query).info("+CPIN")
}

/// `AT+CPIN="<pin>"` — enter the PIN (27.007 §8.3). Never resent: a wrong
/// PIN repeated burns the SIM's attempts.
pub fn cpin(pin: &str) -> Command {
    Command::new(format!("AT+CPIN=\"{pin}\""), TIMEOUT_SIM, RetryClass::Once)
}

/// `AT+CGMI` — manufacturer (27.007 §5.1).
pub fn cgmi() -> Command {
    Command::new("AT+CGMI", TIMEOUT_SHORT, RetryClass::Query).info("+CGMI")
}

/// `AT+CGMM` — model (27.007 §5.2).
pub fn cgmm() -> Command {
    Command::new("AT+CGMM", TIMEOUT_SHORT, RetryClass::Query).info("+CGMM")
}

/// `AT+CGMR` — firmware revision (27.007 §5.3).
pub fn cgmr() -> Command {
    Command::new("AT+CGMR", TIMEOUT_SHORT, RetryClass::Query).info("+CGMR")
}

/// `AT+CGSN` — IMEI (27.007 §5.4).
pub fn cgsn() -> Command {
    Command::new("AT+CGSN", TIMEOUT_SHORT, RetryClass::Query).info("+CGSN")
}

/// `AT+CIMI` — IMSI (27.007 §5.6).
pub fn cimi() -> Command {
    Command::new("AT+CIMI", TIMEOUT_SIM, RetryClass::Query).info("+CIMI")
}

/// `AT+CCID` — SIM ICCID (vendor; answers `+CCID: …`, `+ICCID: …` or bare).
pub fn ccid() -> Command {
    Command::new("AT+CCID", TIMEOUT_SIM, RetryClass::Query).info("+CCID")
}

/// PDU or text mode for `AT+CMGF` (27.005 §3.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageFormat {
    Pdu = 0,
    Text = 1,
}

/// `AT+CMGF=<mode>` — message format (27.005 §3.2.3).
pub fn cmgf(mode: MessageFormat) -> Command {
    Command::new(
        format!("AT+CMGF={}", mode as u8),
        TIMEOUT_SHORT,
        RetryClass::Idempotent,
    )
}

/// `AT+CPMS?` — preferred storage and usage (27.005 §3.2.2).
pub fn cpms_query() -> Command {
    Command::new("AT+CPMS?", TIMEOUT_SIM, RetryClass::Query).info("+CPMS")
}

/// `AT+CPMS=?` — supported storages (27.005 §3.2.2).
pub fn cpms_test() -> Command {
    Command::new("AT+CPMS=?", TIMEOUT_SIM, RetryClass::Query).info("+CPMS")
}

/// `AT+CPMS="<mem>","<mem>","<mem>"` — use `mem` for reading, writing and
/// receiving (27.005 §3.2.2).
pub fn cpms(mem: &str) -> Command {
    Command::new(
        format!("AT+CPMS=\"{mem}\",\"{mem}\",\"{mem}\""),
        TIMEOUT_SIM,
        RetryClass::Idempotent,
    )
    .info("+CPMS")
}

/// `AT+CNMI=?` — supported new-message indications (27.005 §3.4.1).
pub fn cnmi_test() -> Command {
    Command::new("AT+CNMI=?", TIMEOUT_SHORT, RetryClass::Query).info("+CNMI")
}

/// `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>` (27.005 §3.4.1).
pub fn cnmi(mode: u8, mt: u8, bm: u8, ds: u8, bfr: u8) -> Command {
    Command::new(
        format!("AT+CNMI={mode},{mt},{bm},{ds},{bfr}"),
        TIMEOUT_SHORT,
        RetryClass::Idempotent,
    )
}

/// `AT+CSCA?` — service centre address (27.005 §3.3.1).
pub fn csca_query() -> Command {
    Command::new("AT+CSCA?", TIMEOUT_SIM, RetryClass::Query).info("+CSCA")
}

/// `AT+CMMS=<n>` — keep the relay link open between sends (27.005 §3.5.6).
pub fn cmms(n: u8) -> Command {
    Command::new(
        format!("AT+CMMS={n}"),
        TIMEOUT_SHORT,
        RetryClass::Idempotent,
    )
}

/// `AT+CMGS=<length>` — send a PDU of `length` TPDU octets (SMSC excluded);
/// the PDU follows the prompt (27.005 §3.5.1). Never resent automatically.
pub fn cmgs(length: usize) -> Command {
    Command {
        prompt: true,
        ..Command::new(
            format!("AT+CMGS={length}"),
            TIMEOUT_PROMPT,
            RetryClass::Once,
        )
    }
    .info("+CMGS")
}

/// `AT+CMGR=<index>` — read one message (27.005 §3.4.3).
pub fn cmgr(index: u32) -> Command {
    Command::new(format!("AT+CMGR={index}"), TIMEOUT_SIM, RetryClass::Query).info("+CMGR")
}

/// `AT+CMGD=<index>` — delete one message (27.005 §3.5.4).
pub fn cmgd(index: u32) -> Command {
    Command::new(
        format!("AT+CMGD={index}"),
        TIMEOUT_SIM,
        RetryClass::Idempotent,
    )
}

/// `<stat>` of `AT+CMGL` in PDU mode (27.005 §3.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStat {
    Unread = 0,
    Read = 1,
    StoredUnsent = 2,
    StoredSent = 3,
    All = 4,
}

/// `AT+CMGL=<stat>` — list messages in PDU mode (27.005 §3.4.2).
pub fn cmgl(stat: ListStat) -> Command {
    Command::new(
        format!("AT+CMGL={}", stat as u8),
        TIMEOUT_LIST,
        RetryClass::Query,
    )
    .info("+CMGL")
}

/// `AT+CNMA` — acknowledge a routed `+CMT`/`+CDS` (27.005 §3.4.4).
pub fn cnma() -> Command {
    Command::new("AT+CNMA", TIMEOUT_SHORT, RetryClass::Once)
}

/// `AT+CSQ` — signal quality (27.007 §8.5).
pub fn csq() -> Command {
    Command::new("AT+CSQ", TIMEOUT_SHORT, RetryClass::Query).info("+CSQ")
}

/// `AT+CREG?` — CS registration (27.007 §7.2).
pub fn creg_query() -> Command {
    Command::new("AT+CREG?", TIMEOUT_SHORT, RetryClass::Query).info("+CREG")
}

/// `AT+CEREG?` — EPS registration (27.007 §10.1.22).
pub fn cereg_query() -> Command {
    Command::new("AT+CEREG?", TIMEOUT_SHORT, RetryClass::Query).info("+CEREG")
}

/// `AT+COPS?` — current operator (27.007 §7.3).
pub fn cops_query() -> Command {
    Command::new("AT+COPS?", TIMEOUT_SIM, RetryClass::Query).info("+COPS")
}

/// `AT+CUSD=1,"<code>",15` — send a USSD request (27.007 §7.15). The
/// `+CUSD:` answer arrives as a URC ([`crate::at::Urc::Cusd`]).
pub fn cusd(code: &str) -> Command {
    Command::new(
        format!("AT+CUSD=1,\"{code}\",15"),
        TIMEOUT_USSD,
        RetryClass::Once,
    )
}

/// `AT+CFUN=1,1` — full functionality with reset (27.007 §8.2).
pub fn cfun_reset() -> Command {
    Command::new("AT+CFUN=1,1", TIMEOUT_RESET, RetryClass::Once)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_spell_the_lines_the_spec_shows() {
        assert_eq!(cnmi(2, 1, 0, 2, 0).line, "AT+CNMI=2,1,0,2,0");
        assert_eq!(cpms("SM").line, r#"AT+CPMS="SM","SM","SM""#);
        assert_eq!(cmgf(MessageFormat::Pdu).line, "AT+CMGF=0");
        assert_eq!(cmgl(ListStat::All).line, "AT+CMGL=4");
        assert_eq!(cusd("*100#").line, r#"AT+CUSD=1,"*100#",15"#);
        assert_eq!(cmgs(23).to_bytes(), b"AT+CMGS=23\r");
    }

    #[test]
    fn send_commands_prompt_and_are_never_retried() {
        let c = cmgs(23);
        assert!(c.prompt);
        assert_eq!(c.retry, RetryClass::Once);
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert_eq!(c.payload_timeout(), Duration::from_secs(120));
        assert_eq!(cmgl(ListStat::All).timeout, Duration::from_secs(60));
        assert_eq!(csq().retry, RetryClass::Query);
    }

    #[test]
    fn raw_lines_map_onto_known_prefixes_and_prompts() {
        let c = Command::from_line("at+cmgs=23");
        assert!(c.prompt);
        assert_eq!(c.info_prefix, Some("+CMGS"));
        assert_eq!(Command::from_line("AT+CREG?").info_prefix, Some("+CREG"));
        assert_eq!(Command::from_line("AT+CPMS=?").info_prefix, Some("+CPMS"));
        assert_eq!(Command::from_line("ATI").info_prefix, None);
        assert!(!Command::from_line("AT+CSQ").prompt);
    }
}
