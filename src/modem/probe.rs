//! Sans-IO IMEI probe: what the port scanner says to a candidate serial
//! port to learn whether a modem answers there, and which one.
//!
//! The caller writes [`ImeiProbe::start`]'s bytes, feeds every byte it
//! reads to [`ImeiProbe::feed`], calls [`ImeiProbe::timeout`] when nothing
//! arrived for [`PROBE_STEP`], and writes whatever a [`Progress::Write`]
//! carries. The probe ends with [`Progress::Found`] (the IMEI) or
//! [`Progress::NotAModem`]; it never sends anything but `AT` and
//! `AT+CGSN` (plus an Esc that cancels a pending SMS prompt), so probing a
//! port that is not a modem does no harm beyond those bytes.

use std::time::Duration;

use crate::at::{self, Digester, Event, Final};

use super::parse;

/// How long the caller waits for an answer before calling
/// [`ImeiProbe::timeout`].
pub const PROBE_STEP: Duration = Duration::from_millis(700);
/// `AT` attempts before a port is declared silent.
const SYNC_TRIES: u8 = 3;

/// What the caller does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Keep reading.
    Wait,
    /// Write these bytes, then keep reading.
    Write(Vec<u8>),
    /// A modem with this IMEI answered.
    Found(String),
    /// Nothing that speaks AT (or no IMEI) on this port.
    NotAModem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Sync,
    Imei,
    Done,
}

/// See the module docs.
#[derive(Debug)]
pub struct ImeiProbe {
    digester: Digester,
    step: Step,
    tries: u8,
    lines: Vec<String>,
}

fn line(cmd: &at::Command) -> Vec<u8> {
    format!("{}\r", cmd.line).into_bytes()
}

impl ImeiProbe {
    /// A probe and the bytes to write first.
    pub fn start() -> (ImeiProbe, Vec<u8>) {
        let mut digester = Digester::inferring();
        let sync = at::command::at();
        digester.expect(&sync);
        let mut first = vec![0x1b];
        first.extend(line(&sync));
        let probe = ImeiProbe {
            digester,
            step: Step::Sync,
            tries: 1,
            lines: Vec::new(),
        };
        (probe, first)
    }

    /// Digests bytes read from the port.
    pub fn feed(&mut self, bytes: &[u8]) -> Progress {
        self.digester.feed(bytes);
        while let Some(ev) = self.digester.poll_event() {
            match (self.step, ev) {
                (Step::Sync, Event::Final(Final::Ok)) => {
                    self.step = Step::Imei;
                    let cmd = at::command::cgsn();
                    self.digester.expect(&cmd);
                    return Progress::Write(line(&cmd));
                }
                (Step::Imei, Event::Info(l)) => self.lines.push(l),
                (Step::Imei, Event::Final(Final::Ok)) => {
                    self.step = Step::Done;
                    return match parse::identity(&self.lines) {
                        Some(imei) if is_imei(&imei) => Progress::Found(imei),
                        _ => Progress::NotAModem,
                    };
                }
                (Step::Imei, Event::Final(_)) => {
                    self.step = Step::Done;
                    return Progress::NotAModem;
                }
                _ => {}
            }
        }
        if self.step == Step::Done {
            Progress::NotAModem
        } else {
            Progress::Wait
        }
    }

    /// Nothing arrived for [`PROBE_STEP`].
    pub fn timeout(&mut self) -> Progress {
        if self.step == Step::Sync && self.tries < SYNC_TRIES {
            self.tries += 1;
            let sync = at::command::at();
            self.digester.expect(&sync);
            return Progress::Write(line(&sync));
        }
        self.step = Step::Done;
        Progress::NotAModem
    }
}

/// 14 to 17 digits (IMEI with or without check digit, IMEISV).
fn is_imei(s: &str) -> bool {
    (14..=17).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_modem_with_echo_answers_its_imei() {
        let (mut p, first) = ImeiProbe::start();
        assert_eq!(first, b"\x1bAT\r");
        assert_eq!(p.feed(b"AT\r"), Progress::Wait);
        assert_eq!(
            p.feed(b"\r\nOK\r\n"),
            Progress::Write(b"AT+CGSN\r".to_vec())
        );
        assert_eq!(
            p.feed(b"AT+CGSN\r\r\n356938035643809\r\n\r\nOK\r\n"),
            Progress::Found("356938035643809".into())
        );
    }

    #[test]
    fn a_prefixed_imei_split_across_reads_is_found() {
        let (mut p, _) = ImeiProbe::start();
        p.feed(b"\r\nOK\r\n");
        assert_eq!(p.feed(b"\r\n+CGSN: \"8691"), Progress::Wait);
        assert_eq!(
            p.feed(b"23456789012\"\r\n\r\nOK\r\n"),
            Progress::Found("869123456789012".into())
        );
    }

    #[test]
    fn a_silent_port_is_tried_three_times_then_given_up() {
        let (mut p, _) = ImeiProbe::start();
        assert_eq!(p.timeout(), Progress::Write(b"AT\r".to_vec()));
        assert_eq!(p.timeout(), Progress::Write(b"AT\r".to_vec()));
        assert_eq!(p.timeout(), Progress::NotAModem);
    }

    #[test]
    fn a_gps_port_talking_nmea_or_an_error_is_not_a_modem() {
        let (mut p, _) = ImeiProbe::start();
        assert_eq!(
            p.feed(b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"),
            Progress::Wait
        );
        assert_eq!(p.timeout(), Progress::Write(b"AT\r".to_vec()));
        p.feed(b"\r\nOK\r\n");
        assert_eq!(p.feed(b"\r\nERROR\r\n"), Progress::NotAModem);
        let (mut q, _) = ImeiProbe::start();
        q.feed(b"\r\nOK\r\n");
        assert_eq!(
            q.feed(b"\r\nnot-an-imei\r\n\r\nOK\r\n"),
            Progress::NotAModem
        );
    }
}
