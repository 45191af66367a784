//! The sans-IO session driving a vendor MMS flow (`Input::Mms`) against a
//! scripted SIMCom modem with explicit instants: SMS go out while the MMS
//! waits for its completion URC, the URC decides the outcome, and a link
//! lost after the send command leaves the outcome unknown.

use std::time::{Duration, Instant};

use gsmq::modem::mms_at::{MmsAtConfig, MmsAtOutcome, MmsFile, MmsFlow, MmsJob, Vendor};
use gsmq::modem::session::{Input, Output, Session, SessionConfig, SessionEvent};
use gsmq::modem::{ModemStatus, OutPart};

/// A scripted modem, echo off: `OK` to everything but a few commands.
struct Modem {
    /// The next write is raw upload data (after `>`), answered `OK`.
    uploading: bool,
    /// Command lines seen, in order.
    lines: Vec<String>,
    pending: String,
    /// `AT+CMGS` gets no answer at all.
    silent_cmgs: bool,
}

impl Modem {
    fn new() -> Modem {
        Modem {
            uploading: false,
            lines: Vec::new(),
            pending: String::new(),
            silent_cmgs: false,
        }
    }

    fn reply(&mut self, written: &[u8]) -> String {
        if self.uploading {
            self.uploading = false;
            return "\r\nOK\r\n".into();
        }
        if written.ends_with(&[0x1a]) {
            // The PDU of an SMS after its prompt.
            self.pending.clear();
            return "\r\n+CMGS: 7\r\n\r\nOK\r\n".into();
        }
        let mut out = String::new();
        for &b in written {
            match b {
                0x1b => self.pending.clear(),
                b'\r' => {
                    let line = std::mem::take(&mut self.pending);
                    out.push_str(&self.answer(&line));
                    self.lines.push(line);
                }
                b => self.pending.push(b as char),
            }
        }
        out
    }

    fn answer(&mut self, line: &str) -> String {
        let ok = "\r\nOK\r\n";
        match line {
            "AT+CPIN?" => format!("\r\n+CPIN: READY\r\n{ok}"),
            "AT+CGMM" => format!("\r\nSIMCOM_SIM7600E-H\r\n{ok}"),
            "AT+CSCA?" => format!("\r\n+CSCA: \"+447785016005\",145\r\n{ok}"),
            l if l.starts_with("AT+CMGS=") && self.silent_cmgs => String::new(),
            l if l.starts_with("AT+CMMSDOWN=") || l.starts_with("AT+CMGS=") => {
                self.uploading = l.starts_with("AT+CMMSDOWN=");
                "\r\n> ".into()
            }
            _ => ok.into(),
        }
    }
}

struct Rig {
    session: Session,
    modem: Modem,
    now: Instant,
    events: Vec<SessionEvent>,
}

impl Rig {
    fn ready() -> Rig {
        let now = Instant::now();
        let mut rig = Rig {
            session: Session::new(SessionConfig::new("m1"), now),
            modem: Modem::new(),
            now,
            events: Vec::new(),
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

    /// Answers every write; time only moves when nothing else happens.
    fn drain(&mut self) -> Option<Instant> {
        loop {
            match self.session.poll_output() {
                Output::Transmit(bytes) => {
                    let answer = self.modem.reply(&bytes);
                    if !answer.is_empty() {
                        self.session
                            .handle_input(self.now, Input::Received(answer.as_bytes()));
                    }
                }
                Output::Event(e) => self.events.push(e),
                Output::Timeout(t) => return Some(t),
            }
        }
    }

    fn run_until(&mut self, done: impl Fn(&Session) -> bool) {
        for _ in 0..500 {
            if done(&self.session) {
                return;
            }
            let t = self.drain().expect("timer");
            self.now = self.now.max(t);
            self.input(Input::Tick);
        }
        panic!("never reached the condition; lines: {:?}", self.modem.lines);
    }

    fn mms_done(&self) -> Vec<MmsAtOutcome> {
        self.events
            .iter()
            .filter_map(|e| match e {
                SessionEvent::MmsDone { id: 7, outcome } => Some(outcome.clone()),
                _ => None,
            })
            .collect()
    }
}

fn flow() -> Box<MmsFlow> {
    let cfg = MmsAtConfig {
        mmsc_url: "http://mmsc.example/mms".into(),
        proxy: None,
        apn: "mms".into(),
        context_id: 1,
    };
    let job = MmsJob {
        to: vec!["+4917012345678".into()],
        subject: Some("Holiday".into()),
        text: None,
        files: vec![MmsFile {
            name: "beach.jpg".into(),
            content_type: "image/jpeg".into(),
            data: vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3],
        }],
    };
    Box::new(MmsFlow::new(Vendor::SimcomAsync, &cfg, &job))
}

/// Hands the MMS over and runs until the send command was answered `OK`.
fn submitted() -> Rig {
    let mut rig = Rig::ready();
    rig.input(Input::Mms {
        id: 7,
        flow: flow(),
    });
    // The scripted modem answers at once: the flow runs up to its URC wait.
    rig.run_until(|s| s.wants_part());
    let first = rig
        .modem
        .lines
        .iter()
        .position(|l| l.starts_with("AT+CMMSCURL"));
    let mms: Vec<&str> = rig.modem.lines[first.expect("MMS commands")..]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        mms,
        [
            "AT+CMMSCURL=\"mmsc.example/mms\"",
            "AT+CMMSEDIT=1",
            "AT+CMMSDOWN=\"TITLE\",7",
            "AT+CMMSDOWN=\"PIC\",7,\"gsmq0_beach.jpg\"",
            "AT+CMMSRECP=\"+4917012345678\"",
            "AT+CMMSSEND",
        ]
    );
    assert_eq!(
        rig.modem.lines.last().map(String::as_str),
        Some("AT+CMMSSEND")
    );
    assert!(rig.mms_done().is_empty(), "the OK is not the outcome");
    rig
}

#[test]
fn an_sms_goes_out_while_the_mms_waits_for_its_completion_urc_which_decides_sent() {
    let mut rig = submitted();
    assert!(!rig.session.wants_mms(), "one MMS at a time");
    rig.input(Input::Send(OutPart {
        part_id: 11,
        tpdu: vec![0x01, 0x00, 0x0B, 0x91],
        to: "+4917012345678".into(),
    }));
    assert!(
        rig.events
            .contains(&SessionEvent::PartSent { part_id: 11, mr: 7 }),
        "{:?}",
        rig.events
    );
    rig.input(Input::Received(b"\r\n+CMMSSEND: 0\r\n"));
    assert_eq!(rig.mms_done(), vec![MmsAtOutcome::Accepted]);
    assert_eq!(
        rig.modem.lines.last().map(String::as_str),
        Some("AT+CMMSEDIT=0")
    );
    assert!(rig.session.wants_mms());
}

#[test]
fn a_link_lost_after_the_send_command_leaves_the_mms_unknown() {
    let mut rig = submitted();
    rig.input(Input::Closed("EOF".into()));
    match rig.mms_done().as_slice() {
        [MmsAtOutcome::Unknown { reason }] => assert!(reason.contains("EOF"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_completion_urc_in_time_leaves_the_mms_unknown_and_frees_the_modem() {
    let mut rig = submitted();
    rig.now += Duration::from_secs(151);
    rig.input(Input::Tick);
    match rig.mms_done().as_slice() {
        [MmsAtOutcome::Unknown { .. }] => {}
        other => panic!("{other:?}"),
    }
    assert!(rig.session.wants_mms());
}

#[test]
fn an_mms_handed_to_a_closed_session_ends_at_once_not_sent() {
    let mut s = Session::new(SessionConfig::new("m1"), Instant::now());
    s.handle_input(
        Instant::now(),
        Input::Mms {
            id: 3,
            flow: flow(),
        },
    );
    let mut done = None;
    while let Output::Event(e) = s.poll_output() {
        if let SessionEvent::MmsDone { id: 3, outcome } = e {
            done = Some(outcome);
        }
    }
    assert!(
        matches!(done, Some(MmsAtOutcome::NotSent { .. })),
        "{done:?}"
    );
}

#[test]
fn an_sms_timing_out_while_the_mms_waits_for_its_urc_does_not_end_the_mms() {
    let mut rig = submitted();
    rig.modem.silent_cmgs = true;
    rig.input(Input::Send(OutPart {
        part_id: 12,
        tpdu: vec![0x01, 0x00, 0x0B, 0x91],
        to: "+4917012345678".into(),
    }));
    rig.run_until(|s| s.wants_part());
    assert!(
        rig.events
            .iter()
            .any(|e| matches!(e, SessionEvent::PartFailed { part_id: 12, .. })),
        "{:?}",
        rig.events
    );
    assert!(rig.mms_done().is_empty(), "{:?}", rig.mms_done());
    rig.input(Input::Received(b"\r\n+CMMSSEND: 0\r\n"));
    assert_eq!(rig.mms_done(), vec![MmsAtOutcome::Accepted]);
}
