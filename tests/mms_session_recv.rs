//! The sans-IO session driving an MMS retrieval (`Input::MmsFetch`, a
//! Quectel `RecvFlow`) against a scripted EC25 with explicit instants: the
//! binary m-retrieve-conf downloaded with `AT+QFDWL` reaches the flow
//! intact even when the modem's bytes arrive one at a time, an SMS goes out
//! while the flow waits for `+QHTTPGET:`, and a `+WAP_PUSH_MMS:` URC landing
//! inside another command's answer is reported.

use std::time::{Duration, Instant};

use gsmq::modem::mms_at::recv::{FetchJob, FetchOutcome, PushNotice, RecvFlow, Retrieved};
use gsmq::modem::mms_at::{MmsAtConfig, Vendor};
use gsmq::modem::session::{Input, Output, Session, SessionConfig, SessionEvent};
use gsmq::modem::{ModemStatus, OutPart};

/// A binary message with CR, LF and `OK` inside.
fn message() -> Vec<u8> {
    let mut m: Vec<u8> = (0..=255u8).rev().collect();
    m.extend_from_slice(b"\r\nOK\r\n\r\n+CMTI: \"SM\",3\r\n");
    m
}

/// A scripted Quectel modem, echo off.
struct Modem {
    pending: Vec<u8>,
    /// Raw bytes still expected (URL or POST data after CONNECT).
    upload: usize,
    lines: Vec<String>,
    /// URCs to send when the session is otherwise quiet.
    later: Vec<Vec<u8>>,
    /// Answer `AT+CSQ` with a `+WAP_PUSH_MMS:` line inside.
    push_in_csq: bool,
}

impl Modem {
    fn reply(&mut self, written: &[u8]) -> Vec<u8> {
        if self.upload > 0 {
            self.upload = self.upload.saturating_sub(written.len());
            return if self.upload == 0 {
                b"\r\nOK\r\n".to_vec()
            } else {
                Vec::new()
            };
        }
        if written.ends_with(&[0x1a]) {
            self.pending.clear();
            return b"\r\n+CMGS: 7\r\n\r\nOK\r\n".to_vec();
        }
        let mut out = Vec::new();
        for &b in written {
            match b {
                0x1b => self.pending.clear(),
                b'\r' => {
                    let line =
                        String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned();
                    out.extend(self.answer(&line));
                    self.lines.push(line);
                }
                b => self.pending.push(b),
            }
        }
        out
    }

    fn answer(&mut self, line: &str) -> Vec<u8> {
        let ok = b"\r\nOK\r\n".to_vec();
        let with_ok = |s: &str| {
            let mut v = s.as_bytes().to_vec();
            v.extend_from_slice(b"\r\nOK\r\n");
            v
        };
        match line {
            "AT+CPIN?" => with_ok("\r\n+CPIN: READY\r\n"),
            "AT+CGMM" => with_ok("\r\nEC25\r\n"),
            "AT+CSCA?" => with_ok("\r\n+CSCA: \"+447785016005\",145\r\n"),
            "AT+CSQ" if self.push_in_csq => {
                self.push_in_csq = false;
                with_ok("\r\n+WAP_PUSH_MMS: \"+4917099999\",\"T-9\",\"http://m/r/9\",\"26/05/28,20:26:40+00\",0,999\r\n+CSQ: 20,99\r\n")
            }
            l if l.starts_with("AT+QHTTPURL=") => {
                self.upload = l[12..].split(',').next().unwrap().parse().unwrap();
                b"\r\nCONNECT\r\n".to_vec()
            }
            l if l.starts_with("AT+QHTTPPOST=") => {
                self.upload = l[13..].split(',').next().unwrap().parse().unwrap();
                self.later.push(b"\r\n+QHTTPPOST: 0,204\r\n".to_vec());
                b"\r\nCONNECT\r\n".to_vec()
            }
            l if l.starts_with("AT+QHTTPGET=") => {
                self.later
                    .push(format!("\r\n+QHTTPGET: 0,200,{}\r\n", message().len()).into_bytes());
                ok
            }
            l if l.starts_with("AT+QHTTPREADFILE=") => {
                self.later.push(b"\r\n+QHTTPREADFILE: 0\r\n".to_vec());
                ok
            }
            l if l.starts_with("AT+QFDWL=") => {
                let mut v = b"\r\nCONNECT\r\n".to_vec();
                v.extend(message());
                v.extend(format!("\r\n+QFDWL: {},1234\r\n\r\nOK\r\n", message().len()).bytes());
                v
            }
            l if l.starts_with("AT+CMGS=") => b"\r\n> ".to_vec(),
            _ => ok,
        }
    }
}

struct Rig {
    session: Session,
    modem: Modem,
    now: Instant,
    events: Vec<SessionEvent>,
    /// Feed the modem's answers this many bytes at a time.
    chunk: usize,
}

impl Rig {
    fn ready(chunk: usize) -> Rig {
        let now = Instant::now();
        let mut rig = Rig {
            session: Session::new(SessionConfig::new("m1"), now),
            modem: Modem {
                pending: Vec::new(),
                upload: 0,
                lines: Vec::new(),
                later: Vec::new(),
                push_in_csq: false,
            },
            now,
            events: Vec::new(),
            chunk,
        };
        rig.input(Input::Opened);
        rig.run_until(|s| s.state().status == ModemStatus::Ready && s.wants_part());
        rig.input(Input::Idle);
        rig.run_until(|s| s.wants_mms());
        rig
    }

    fn input(&mut self, input: Input<'_>) {
        self.session.handle_input(self.now, input);
        self.drain();
    }

    fn feed(&mut self, bytes: &[u8]) {
        for piece in bytes.chunks(self.chunk) {
            self.session.handle_input(self.now, Input::Received(piece));
        }
    }

    fn drain(&mut self) -> Option<Instant> {
        loop {
            match self.session.poll_output() {
                Output::Transmit(bytes) => {
                    let answer = self.modem.reply(&bytes);
                    self.feed(&answer);
                }
                Output::Event(e) => self.events.push(e),
                Output::Timeout(t) => return Some(t),
            }
        }
    }

    /// Runs until `done`; queued URCs arrive whenever nothing else happens.
    fn run_until(&mut self, done: impl Fn(&Session) -> bool) {
        for _ in 0..500 {
            let next = self.drain();
            if done(&self.session) {
                return;
            }
            if !self.modem.later.is_empty() {
                let u = self.modem.later.remove(0);
                self.feed(&u);
                continue;
            }
            if let Some(t) = next {
                self.now = t.max(self.now + Duration::from_millis(1));
                self.session.handle_input(self.now, Input::Tick);
            }
        }
        panic!("not reached; lines: {:?}", self.modem.lines);
    }
}

fn flow() -> Box<RecvFlow> {
    let cfg = MmsAtConfig {
        mmsc_url: "http://mmsc.example.com/mms".into(),
        proxy: None,
        apn: "mms".into(),
        context_id: 1,
    };
    let job = FetchJob {
        transaction_id: "T-1".into(),
        location: "http://mmsc.example.com/r/1".into(),
    };
    Box::new(RecvFlow::new(Vendor::Quectel, &cfg, &job))
}

fn fetched(events: &[SessionEvent]) -> Option<&FetchOutcome> {
    events.iter().find_map(|e| match e {
        SessionEvent::MmsFetched {
            push_id: 5,
            outcome,
        } => Some(outcome),
        _ => None,
    })
}

#[test]
fn a_binary_download_reaches_the_flow_intact_whatever_the_chunking() {
    for chunk in [1, 3, 4096] {
        let mut rig = Rig::ready(chunk);
        rig.input(Input::MmsFetch {
            push_id: 5,
            flow: flow(),
        });
        rig.run_until(|s| s.wants_mms());
        assert_eq!(
            fetched(&rig.events),
            Some(&FetchOutcome::Retrieved(Retrieved::RetrieveConf {
                pdu: message(),
                acknowledged: true
            })),
            "chunks of {chunk}: {:?}",
            rig.modem.lines
        );
        // Nothing inside the download was taken for a URC or a result.
        assert!(!rig
            .events
            .iter()
            .any(|e| matches!(e, SessionEvent::Inbound { .. })));
        assert!(!rig.modem.lines.iter().any(|l| l.starts_with("AT+CMGR")));
    }
}

#[test]
fn an_sms_goes_out_while_the_fetch_waits_for_the_modem() {
    let mut rig = Rig::ready(64);
    rig.input(Input::MmsFetch {
        push_id: 5,
        flow: flow(),
    });
    // AT+QHTTPGET answered OK; its URC has not come yet.
    assert_eq!(rig.modem.later.len(), 1, "{:?}", rig.modem.lines);
    assert!(rig.session.wants_part(), "the line is free meanwhile");
    assert!(!rig.session.wants_mms(), "one MMS flow at a time");
    let held = std::mem::take(&mut rig.modem.later);
    rig.input(Input::Send(OutPart {
        part_id: 1,
        tpdu: hex::decode("0001000B915121551532F400000CC8329BFD065DDF72363904").unwrap(),
        to: "+15121551234".into(),
    }));
    assert!(rig
        .events
        .iter()
        .any(|e| matches!(e, SessionEvent::PartSent { part_id: 1, .. })));
    assert_eq!(fetched(&rig.events), None);
    rig.modem.later = held;
    rig.run_until(|s| s.wants_mms());
    assert!(matches!(
        fetched(&rig.events),
        Some(FetchOutcome::Retrieved(_))
    ));
}

#[test]
fn a_wap_push_mms_urc_inside_another_answer_is_reported() {
    let mut rig = Rig::ready(7);
    rig.modem.push_in_csq = true;
    rig.now += Duration::from_secs(600);
    rig.input(Input::Tick);
    rig.run_until(|s| s.wants_part());
    let notices: Vec<&PushNotice> = rig
        .events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::MmsNotice(n) => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(
        notices,
        vec![&PushNotice {
            from: "+4917099999".into(),
            transaction_id: "T-9".into(),
            location: "http://m/r/9".into(),
            size: Some(999),
        }],
        "{:?}",
        rig.modem.lines
    );
}
