//! Temporary stand-in for `crate::at` (CONTRACTS.md names) so the session
//! compiles and its transcript tests run before the real module is merged.
//! Removed when `crate::at` lands.
#![allow(dead_code, clippy::all)]

use std::collections::VecDeque;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    Syntax,
}
pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    Idempotent,
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub line: String,
    pub timeout: Duration,
    pub retry: RetryClass,
    pub prompt: bool,
    pub info_prefix: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmeError {
    Code(u16),
    Text(String),
}
impl CmeError {
    pub fn code(&self) -> Option<u16> {
        match self {
            CmeError::Code(c) => Some(*c),
            _ => None,
        }
    }
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmsError {
    Code(u16),
    Text(String),
}
impl CmsError {
    pub fn code(&self) -> Option<u16> {
        match self {
            CmsError::Code(c) => Some(*c),
            _ => None,
        }
    }
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cusd {
    pub status: u8,
    pub text: Option<String>,
    pub dcs: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Final {
    Ok,
    Error,
    Cme(CmeError),
    Cms(CmsError),
    Vendor(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootMarker {
    Rdy,
    SmsReady,
    CallReady,
    SmsDone,
    PbDone,
    Cfun(u8),
    Cpin(String),
    Qusim(u8),
    Qind(String),
    HuaweiBoot(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Urc {
    Cmti { mem: String, index: i32 },
    Cmt { length: usize, pdu: Vec<u8> },
    Cds { length: usize, pdu: Vec<u8> },
    Cdsi { mem: String, index: i32 },
    Cusd(Cusd),
    Boot(BootMarker),
    MemoryFull(String),
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Echo(String),
    Info(String),
    Final(Final),
    Prompt,
    Urc(Urc),
    Garbage { len: usize },
}

#[derive(Debug, Default)]
pub struct Digester {
    buf: Vec<u8>,
    events: VecDeque<Event>,
    pending: Option<Command>,
    two_line: Option<(bool, usize)>,
    garbage: u64,
}

impl Digester {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn expect(&mut self, cmd: &Command) {
        self.pending = Some(cmd.clone());
    }
    pub fn garbage_bytes(&self) -> u64 {
        self.garbage
    }
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                if !self.buf.is_empty() {
                    let line = String::from_utf8_lossy(&self.buf).into_owned();
                    self.buf.clear();
                    self.line(line);
                }
            } else {
                self.buf.push(b);
                let prompt = self.pending.as_ref().is_some_and(|c| c.prompt);
                if prompt && self.buf == b"> " {
                    self.buf.clear();
                    self.events.push_back(Event::Prompt);
                }
            }
        }
    }
    fn line(&mut self, line: String) {
        if let Some((cds, _)) = self.two_line.take() {
            let pdu = hex::decode(line.trim()).unwrap_or_default();
            let length = pdu.len();
            self.events.push_back(Event::Urc(if cds {
                Urc::Cds { length, pdu }
            } else {
                Urc::Cmt { length, pdu }
            }));
            return;
        }
        let t = line.trim().to_string();
        if let Some(p) = &self.pending {
            if t == p.line {
                self.events.push_back(Event::Echo(t));
                return;
            }
        }
        let fin = match t.as_str() {
            "OK" => Some(Final::Ok),
            "ERROR" => Some(Final::Error),
            "COMMAND NOT SUPPORT" => Some(Final::Vendor(t.clone())),
            _ => {
                if let Some(c) = t.strip_prefix("+CME ERROR: ") {
                    Some(Final::Cme(
                        c.parse()
                            .map(CmeError::Code)
                            .unwrap_or(CmeError::Text(c.into())),
                    ))
                } else if let Some(c) = t.strip_prefix("+CMS ERROR: ") {
                    Some(Final::Cms(
                        c.parse()
                            .map(CmsError::Code)
                            .unwrap_or(CmsError::Text(c.into())),
                    ))
                } else {
                    None
                }
            }
        };
        if let Some(f) = fin {
            self.pending = None;
            self.events.push_back(Event::Final(f));
            return;
        }
        let mi = |s: &str| -> Option<(String, i32)> {
            let (m, i) = s.rsplit_once(',')?;
            Some((
                m.trim().trim_matches('"').to_string(),
                i.trim().parse().ok()?,
            ))
        };
        if let Some(r) = t.strip_prefix("+CMTI: ") {
            if let Some((mem, index)) = mi(r) {
                self.events.push_back(Event::Urc(Urc::Cmti { mem, index }));
                return;
            }
        }
        if let Some(r) = t.strip_prefix("+CDSI: ") {
            if let Some((mem, index)) = mi(r) {
                self.events.push_back(Event::Urc(Urc::Cdsi { mem, index }));
                return;
            }
        }
        if t.starts_with("+CMT: ") {
            self.two_line = Some((false, 0));
            return;
        }
        if t.starts_with("+CDS: ") {
            self.two_line = Some((true, 0));
            return;
        }
        if let Some(r) = t.strip_prefix("+CUSD: ") {
            let (status, text) = match r.split_once(',') {
                Some((m, t)) => (
                    m.trim().parse().unwrap_or(0),
                    Some(
                        t.split(',')
                            .next()
                            .unwrap_or("")
                            .trim_matches('"')
                            .to_string(),
                    ),
                ),
                None => (r.trim().parse().unwrap_or(0), None),
            };
            self.events.push_back(Event::Urc(Urc::Cusd(Cusd {
                status,
                text,
                dcs: None,
            })));
            return;
        }
        match t.as_str() {
            "RDY" => {
                return self
                    .events
                    .push_back(Event::Urc(Urc::Boot(BootMarker::Rdy)))
            }
            "SMS Ready" => {
                return self
                    .events
                    .push_back(Event::Urc(Urc::Boot(BootMarker::SmsReady)))
            }
            "SMS DONE" | "+QIND: SMS DONE" => {
                return self
                    .events
                    .push_back(Event::Urc(Urc::Boot(BootMarker::SmsDone)))
            }
            "Call Ready" => {
                return self
                    .events
                    .push_back(Event::Urc(Urc::Boot(BootMarker::CallReady)))
            }
            "PB DONE" | "+QIND: PB DONE" => {
                return self
                    .events
                    .push_back(Event::Urc(Urc::Boot(BootMarker::PbDone)))
            }
            _ => {}
        }
        if t.starts_with("^SMMEMFULL") {
            return self.events.push_back(Event::Urc(Urc::MemoryFull(t)));
        }
        if self.pending.is_some() {
            self.events.push_back(Event::Info(t));
        } else {
            self.events.push_back(Event::Urc(Urc::Unknown(t)));
        }
    }
}

impl Command {
    pub fn from_line(line: &str) -> Command {
        Command {
            line: line.to_string(),
            timeout: Duration::from_secs(15),
            retry: RetryClass::Never,
            prompt: false,
            info_prefix: None,
        }
    }
}

pub mod command {
    use super::{Command, RetryClass};
    use std::time::Duration;

    fn c(line: String, info: Option<&'static str>) -> Command {
        Command {
            line,
            timeout: Duration::from_secs(5),
            retry: RetryClass::Idempotent,
            prompt: false,
            info_prefix: info,
        }
    }
    pub fn at() -> Command {
        c("AT".into(), None)
    }
    pub fn ate0() -> Command {
        c("ATE0".into(), None)
    }
    pub fn cmee(n: u8) -> Command {
        c(format!("AT+CMEE={n}"), None)
    }
    pub fn cpin_query() -> Command {
        c("AT+CPIN?".into(), Some("+CPIN:"))
    }
    pub fn cpin(pin: &str) -> Command {
        c(format!("AT+CPIN=\"{pin}\""), None)
    }
    pub fn cgmi() -> Command {
        c("AT+CGMI".into(), None)
    }
    pub fn cgmm() -> Command {
        c("AT+CGMM".into(), None)
    }
    pub fn cgmr() -> Command {
        c("AT+CGMR".into(), None)
    }
    pub fn cgsn() -> Command {
        c("AT+CGSN".into(), None)
    }
    pub fn cimi() -> Command {
        c("AT+CIMI".into(), None)
    }
    pub fn ccid() -> Command {
        c("AT+CCID".into(), None)
    }
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum MessageFormat {
        Pdu = 0,
        Text = 1,
    }
    pub fn cmgf(mode: MessageFormat) -> Command {
        c(format!("AT+CMGF={}", mode as u8), None)
    }
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ListStat {
        All = 4,
    }
    pub fn cpms_test() -> Command {
        c("AT+CPMS=?".into(), Some("+CPMS:"))
    }
    pub fn cpms(mem: &str) -> Command {
        c(
            format!("AT+CPMS=\"{mem}\",\"{mem}\",\"{mem}\""),
            Some("+CPMS:"),
        )
    }
    pub fn cnmi_test() -> Command {
        c("AT+CNMI=?".into(), Some("+CNMI:"))
    }
    pub fn cnmi(a: u8, b: u8, cc: u8, d: u8, e: u8) -> Command {
        c(format!("AT+CNMI={a},{b},{cc},{d},{e}"), None)
    }
    pub fn csca_query() -> Command {
        c("AT+CSCA?".into(), Some("+CSCA:"))
    }
    pub fn cmms(n: u8) -> Command {
        c(format!("AT+CMMS={n}"), None)
    }
    pub fn cmgs(len: usize) -> Command {
        let mut x = c(format!("AT+CMGS={len}"), Some("+CMGS:"));
        x.prompt = true;
        x.timeout = Duration::from_secs(120);
        x
    }
    pub fn cmgr(index: u32) -> Command {
        c(format!("AT+CMGR={index}"), Some("+CMGR:"))
    }
    pub fn cmgd(index: u32) -> Command {
        c(format!("AT+CMGD={index}"), None)
    }
    pub fn cmgl(stat: ListStat) -> Command {
        c(format!("AT+CMGL={}", stat as u8), Some("+CMGL:"))
    }
    pub fn cnma() -> Command {
        c("AT+CNMA".into(), None)
    }
    pub fn csq() -> Command {
        c("AT+CSQ".into(), Some("+CSQ:"))
    }
    pub fn creg_query() -> Command {
        c("AT+CREG?".into(), Some("+CREG:"))
    }
    pub fn cops_query() -> Command {
        c("AT+COPS?".into(), Some("+COPS:"))
    }
    pub fn cusd(code: &str) -> Command {
        c(format!("AT+CUSD=1,\"{code}\",15"), None)
    }
    pub fn cfun_reset() -> Command {
        c("AT+CFUN=1,1".into(), None)
    }
}
