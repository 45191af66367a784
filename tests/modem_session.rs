//! Transcript tests of the sans-IO modem session with explicit instants.
//! A scripted modem answers each command line; the transcript records what
//! the session wrote (`→`), what the modem said (`←`) and the events.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use expect_test::{expect, Expect};
use gsmq::modem::session::{Activity, Input, Output, Session, SessionConfig, SessionEvent};
use gsmq::modem::{FailClass, ModemStatus, OutPart};

fn esc(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x1b => s.push_str("<ESC>"),
            0x1a => s.push_str("<^Z>"),
            b => s.push(b as char),
        }
    }
    s
}

/// A scripted modem: answers by command line, with echo on or off.
struct Fake {
    echo: bool,
    answers: HashMap<String, Vec<String>>,
    /// Per command, a queue of one-shot answers used before `answers`.
    once: HashMap<String, Vec<Vec<String>>>,
    /// Command lines that get no answer at all.
    silent: Vec<String>,
    in_prompt: bool,
    pending_line: String,
}

impl Fake {
    fn new(echo: bool) -> Self {
        let mut answers = HashMap::new();
        let mut a = |cmd: &str, lines: &[&str]| {
            answers.insert(
                cmd.to_string(),
                lines.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            );
        };
        a("AT+CPIN?", &["+CPIN: READY", "OK"]);
        a("AT+CGMI", &["SIMCOM_Ltd", "OK"]);
        a("AT+CGMM", &["SIMCOM_SIM800", "OK"]);
        a("AT+CGMR", &["Revision:1418B04SIM800C24", "OK"]);
        a("AT+CGSN", &["867000000000001", "OK"]);
        a("AT+CIMI", &["001010000000001", "OK"]);
        a("AT+CCID", &["89000000000000000001", "OK"]);
        a(
            "AT+CPMS=?",
            &[r#"+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")"#, "OK"],
        );
        a(
            r#"AT+CPMS="ME","ME","ME""#,
            &["+CPMS: 0,30,0,30,0,30", "OK"],
        );
        a("AT+CNMI=?", &["+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)", "OK"]);
        a("AT+CSCA?", &[r#"+CSCA: "+447785016005",145"#, "OK"]);
        a("AT+CSQ", &["+CSQ: 21,99", "OK"]);
        a("AT+CREG?", &["+CREG: 0,1", "OK"]);
        a("AT+COPS?", &[r#"+COPS: 0,0,"Test Operator",7"#, "OK"]);
        Fake {
            echo,
            answers,
            once: HashMap::new(),
            silent: Vec::new(),
            in_prompt: false,
            pending_line: String::new(),
        }
    }

    fn once(&mut self, cmd: &str, lines: &[&str]) -> &mut Self {
        self.once
            .entry(cmd.to_string())
            .or_default()
            .push(lines.iter().map(|s| s.to_string()).collect());
        self
    }

    fn frame(lines: &[String]) -> String {
        lines.iter().map(|l| format!("\r\n{l}\r\n")).collect()
    }

    /// The modem's reply to bytes written by the session.
    fn reply(&mut self, written: &[u8]) -> String {
        let mut out = String::new();
        for &b in written {
            if self.in_prompt {
                match b {
                    0x1a => {
                        self.in_prompt = false;
                        let lines = self
                            .take("<PDU>")
                            .unwrap_or_else(|| vec!["+CMGS: 7".to_string(), "OK".to_string()]);
                        out.push_str(&Self::frame(&lines));
                    }
                    0x1b => self.in_prompt = false,
                    _ => {
                        if self.echo {
                            out.push(b as char);
                        }
                    }
                }
                continue;
            }
            match b {
                0x1b => {}
                b'\r' => {
                    let line = std::mem::take(&mut self.pending_line);
                    if self.echo {
                        out.push_str(&line);
                        out.push('\r');
                    }
                    if self.silent.contains(&line) {
                        continue;
                    }
                    if line.starts_with("AT+CMGS=") {
                        if let Some(lines) = self.take(&line) {
                            out.push_str(&Self::frame(&lines));
                            continue;
                        }
                        self.in_prompt = true;
                        out.push_str("\r\n> ");
                        continue;
                    }
                    let lines = self.take(&line).unwrap_or_else(|| vec!["OK".into()]);
                    if line == "ATE0" {
                        self.echo = false;
                    }
                    out.push_str(&Self::frame(&lines));
                }
                b => self.pending_line.push(b as char),
            }
        }
        out
    }

    fn take(&mut self, cmd: &str) -> Option<Vec<String>> {
        if let Some(q) = self.once.get_mut(cmd) {
            if !q.is_empty() {
                return Some(q.remove(0));
            }
        }
        self.answers.get(cmd).cloned()
    }
}

struct H {
    s: Session,
    now: Instant,
    log: String,
    deadline: Instant,
    events: Vec<SessionEvent>,
    written: Vec<u8>,
    status: Option<ModemStatus>,
}

impl H {
    fn new(cfg: SessionConfig) -> H {
        let t0 = Instant::now();
        H {
            s: Session::new(cfg, t0),
            now: t0,
            log: String::new(),
            deadline: t0,
            events: Vec::new(),
            written: Vec::new(),
            status: None,
        }
    }

    fn input(&mut self, input: Input<'_>) {
        self.s.handle_input(self.now, input);
        loop {
            match self.s.poll_output() {
                Output::Transmit(b) => {
                    self.log.push_str(&format!("→ {}\n", esc(&b)));
                    self.written.extend(b);
                }
                Output::Event(SessionEvent::State(st)) => {
                    if self.status != Some(st.status) {
                        self.status = Some(st.status);
                        self.log.push_str(&format!("  state {:?}\n", st.status));
                    }
                }
                Output::Event(e) => {
                    self.log.push_str(&format!("  {e:?}\n"));
                    self.events.push(e);
                }
                Output::Timeout(t) => {
                    self.deadline = t;
                    break;
                }
            }
        }
    }

    fn rx(&mut self, s: &str) {
        self.log.push_str(&format!("← {}\n", esc(s.as_bytes())));
        self.input(Input::Received(s.as_bytes()));
    }

    fn wait_deadline(&mut self) {
        self.log.push_str(&format!(
            "  … t+{}ms\n",
            self.deadline.duration_since(self.now).as_millis()
        ));
        self.now = self.now.max(self.deadline);
        self.input(Input::Tick);
    }

    /// Lets the fake answer everything written until `done` holds.
    fn converse(&mut self, fake: &mut Fake, max_steps: usize, done: impl Fn(&H) -> bool) {
        for _ in 0..max_steps {
            if done(self) {
                return;
            }
            let w = std::mem::take(&mut self.written);
            if w.is_empty() {
                self.wait_deadline();
                continue;
            }
            let r = fake.reply(&w);
            self.now += Duration::from_millis(10);
            if r.is_empty() {
                self.input(Input::Tick);
            } else {
                self.rx(&r);
            }
        }
        panic!(
            "did not finish in {max_steps} steps; transcript:\n{}",
            self.log
        );
    }

    fn ready(&mut self, fake: &mut Fake) {
        self.input(Input::Opened);
        self.converse(fake, 200, |h| {
            h.s.activity() == Activity::Ready && h.written.is_empty()
        });
    }

    fn take_log(&mut self) -> String {
        std::mem::take(&mut self.log)
    }

    fn check(&mut self, e: Expect) {
        e.assert_eq(&self.take_log());
    }
}

fn part(id: i64) -> OutPart {
    OutPart {
        part_id: id,
        tpdu: vec![
            0x11, 0x00, 0x0B, 0x91, 0x64, 0x07, 0x28, 0x15, 0x53, 0xF8, 0x00, 0x00, 0xAA, 0x01,
            0x31,
        ],
        to: "+46708251358".into(),
    }
}

/// A session that is ready, idle, with the start-up sweep done.
fn ready_session(echo: bool) -> (H, Fake) {
    let mut h = H::new(SessionConfig::new("m1"));
    let mut f = Fake::new(echo);
    h.ready(&mut f);
    // health poll on first idle
    h.input(Input::Idle);
    h.converse(&mut f, 20, |h| h.written.is_empty() && h.s.wants_part());
    h.take_log();
    h.events.clear();
    (h, f)
}

#[test]
fn init_with_echo_on_reaches_ready_and_learns_identity() {
    let mut h = H::new(SessionConfig::new("m1"));
    let mut f = Fake::new(true);
    h.ready(&mut f);
    h.check(expect![[r#"
        → <ESC>
          state Initialising
          … t+140ms
        → AT\r
        ← AT\r\r\nOK\r\n
        → ATE0\r
        ← ATE0\r\r\nOK\r\n
        → AT+CMEE=1\r
        ← \r\nOK\r\n
        → AT+CPIN?\r
        ← \r\n+CPIN: READY\r\n\r\nOK\r\n
        → AT+CGMI\r
        ← \r\nSIMCOM_Ltd\r\n\r\nOK\r\n
        → AT+CGMM\r
        ← \r\nSIMCOM_SIM800\r\n\r\nOK\r\n
        → AT+CGMR\r
        ← \r\nRevision:1418B04SIM800C24\r\n\r\nOK\r\n
        → AT+CGSN\r
        ← \r\n867000000000001\r\n\r\nOK\r\n
        → AT+CIMI\r
        ← \r\n001010000000001\r\n\r\nOK\r\n
        → AT+CCID\r
        ← \r\n89000000000000000001\r\n\r\nOK\r\n
        → AT+CMGF=0\r
        ← \r\nOK\r\n
        → AT+CPMS=?\r
        ← \r\n+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")\r\n\r\nOK\r\n
        → AT+CPMS="ME","ME","ME"\r
        ← \r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n
        → AT+CNMI=?\r
        ← \r\n+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)\r\n\r\nOK\r\n
        → AT+CNMI=2,1,0,2,0\r
        ← \r\nOK\r\n
        → AT+CSCA?\r
        ← \r\n+CSCA: "+447785016005",145\r\n\r\nOK\r\n
        → AT+CMMS=2\r
        ← \r\nOK\r\n
        → AT+CMGL=4\r
          state Ready
        ← \r\nOK\r\n
    "#]]);
    let st = h.s.state();
    assert_eq!(st.status, ModemStatus::Ready);
    assert_eq!(st.imei.as_deref(), Some("867000000000001"));
    assert_eq!(st.iccid.as_deref(), Some("89000000000000000001"));
    assert_eq!(st.smsc.as_deref(), Some("+447785016005"));
}

#[test]
fn init_with_echo_off_reaches_ready() {
    let mut h = H::new(SessionConfig::new("m1"));
    let mut f = Fake::new(false);
    h.ready(&mut f);
    let log = h.take_log();
    assert!(log.contains("→ AT+CNMI=2,1,0,2,0\\r"), "{log}");
    assert_eq!(h.s.state().model.as_deref(), Some("SIMCOM_SIM800"));
    assert_eq!(h.s.state().status, ModemStatus::Ready);
}

#[test]
fn boot_urcs_during_init_are_ignored_and_sms_ready_retries_cmgf_at_once() {
    let mut h = H::new(SessionConfig::new("m1"));
    let mut f = Fake::new(false);
    f.once("AT+CPIN?", &["+CME ERROR: 14"]);
    f.once("AT+CMGF=0", &["ERROR"]);
    f.once("AT+CMGF=0", &["+CME ERROR: 515"]);
    h.input(Input::Opened);
    h.converse(&mut f, 200, |h| {
        h.s.activity() == Activity::Initialising && h.log.contains("+CME ERROR: 515")
    });
    // The modem announces SMS readiness while the session backs off.
    h.now += Duration::from_millis(5);
    h.rx("\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n");
    h.converse(&mut f, 200, |h| {
        h.s.activity() == Activity::Ready && h.written.is_empty()
    });
    h.check(expect![[r#"
        → <ESC>
          state Initialising
          … t+140ms
        → AT\r
        ← \r\nOK\r\n
        → ATE0\r
        ← \r\nOK\r\n
        → AT+CMEE=1\r
        ← \r\nOK\r\n
        → AT+CPIN?\r
        ← \r\n+CME ERROR: 14\r\n
          … t+250ms
        → AT+CPIN?\r
        ← \r\n+CPIN: READY\r\n\r\nOK\r\n
        → AT+CGMI\r
        ← \r\nSIMCOM_Ltd\r\n\r\nOK\r\n
        → AT+CGMM\r
        ← \r\nSIMCOM_SIM800\r\n\r\nOK\r\n
        → AT+CGMR\r
        ← \r\nRevision:1418B04SIM800C24\r\n\r\nOK\r\n
        → AT+CGSN\r
        ← \r\n867000000000001\r\n\r\nOK\r\n
        → AT+CIMI\r
        ← \r\n001010000000001\r\n\r\nOK\r\n
        → AT+CCID\r
        ← \r\n89000000000000000001\r\n\r\nOK\r\n
        → AT+CMGF=0\r
        ← \r\nERROR\r\n
          … t+250ms
        → AT+CMGF=0\r
        ← \r\n+CME ERROR: 515\r\n
        ← \r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n
        → AT+CMGF=0\r
        ← \r\nOK\r\n
        → AT+CPMS=?\r
        ← \r\n+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")\r\n\r\nOK\r\n
        → AT+CPMS="ME","ME","ME"\r
        ← \r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n
        → AT+CNMI=?\r
        ← \r\n+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)\r\n\r\nOK\r\n
        → AT+CNMI=2,1,0,2,0\r
        ← \r\nOK\r\n
        → AT+CSCA?\r
        ← \r\n+CSCA: "+447785016005",145\r\n\r\nOK\r\n
        → AT+CMMS=2\r
        ← \r\nOK\r\n
        → AT+CMGL=4\r
          state Ready
        ← \r\nOK\r\n
    "#]]);
}

#[test]
fn cnmi_falls_back_when_the_first_choice_is_rejected() {
    let mut h = H::new(SessionConfig::new("m1"));
    let mut f = Fake::new(false);
    f.once("AT+CNMI=2,1,0,2,0", &["+CMS ERROR: 303"]);
    h.ready(&mut f);
    let log = h.take_log();
    let a = log.find("→ AT+CNMI=2,1,0,2,0").unwrap();
    let b = log.find("→ AT+CNMI=2,1,0,1,0").unwrap();
    assert!(a < b, "{log}");
}

#[test]
fn cnmi_candidates_follow_the_modems_own_ranges() {
    let mut h = H::new(SessionConfig::new("m1"));
    let mut f = Fake::new(false);
    f.answers.insert(
        "AT+CNMI=?".into(),
        vec!["+CNMI: (2),(0-1,3),(0,2),(0-1),(0)".into(), "OK".into()],
    );
    h.ready(&mut f);
    let log = h.take_log();
    assert!(!log.contains("AT+CNMI=2,1,0,2,0"), "{log}");
    assert!(log.contains("→ AT+CNMI=2,1,0,1,0\\r"), "{log}");
}

#[test]
fn a_send_with_urcs_before_the_prompt_and_after_ctrl_z_is_sent_and_the_sms_read() {
    let (mut h, mut f) = ready_session(false);
    assert!(h.s.wants_part());
    h.input(Input::Send(part(1)));
    assert_eq!(h.s.activity(), Activity::Sending);
    h.now += Duration::from_millis(20);
    h.rx("\r\n+CMTI: \"ME\",3\r\n\r\n> ");
    h.written.clear();
    h.now += Duration::from_millis(800);
    h.rx("\r\n+CMTI: \"ME\",4\r\n\r\n+CMGS: 42\r\n\r\nOK\r\n");
    assert!(
        !h.s.wants_part(),
        "stored messages are read before the next part"
    );
    f.answers.insert(
        "AT+CMGR=3".into(),
        vec!["+CMGR: 0,,5".into(), "0004AABBCC".into(), "OK".into()],
    );
    f.answers.insert("AT+CMGR=4".into(), vec!["OK".into()]);
    h.converse(&mut f, 10, |h| {
        h.written.is_empty()
            && !h.events.is_empty()
            && h.s.activity() == Activity::Ready
            && h.log.contains("AT+CMGR=4")
    });
    h.check(expect![[r#"
        → AT+CMGS=15\r
        ← \r\n+CMTI: "ME",3\r\n\r\n> 
        → 0011000B916407281553F80000AA0131<^Z>
        ← \r\n+CMTI: "ME",4\r\n\r\n+CMGS: 42\r\n\r\nOK\r\n
          PartSent { part_id: 1, mr: 42 }
        → AT+CMGR=3\r
        ← \r\n+CMGR: 0,,5\r\n\r\n0004AABBCC\r\n\r\nOK\r\n
          Inbound { token: 1, pdu: [0, 4, 170, 187, 204], source: Stored { index: 3 } }
        → AT+CMGR=4\r
        ← \r\nOK\r\n
    "#]]);
    assert_eq!(h.events[0], SessionEvent::PartSent { part_id: 1, mr: 42 });
}

#[test]
fn with_echo_on_the_pdu_echo_does_not_confuse_the_send() {
    let (mut h, mut f) = ready_session(true);
    f.echo = true;
    h.input(Input::Send(part(9)));
    h.converse(&mut f, 10, |h| !h.events.is_empty());
    assert_eq!(h.events[0], SessionEvent::PartSent { part_id: 9, mr: 7 });
}

#[test]
fn a_prompt_timeout_writes_esc_fails_the_part_as_transient_and_probes() {
    let (mut h, _f) = ready_session(false);
    h.input(Input::Send(part(5)));
    h.wait_deadline();
    h.wait_deadline();
    h.rx("\r\nOK\r\n");
    h.check(expect![[r#"
        → AT+CMGS=15\r
          … t+10000ms
          PartFailed { part_id: 5, class: Transient, reason: "no prompt" }
        → <ESC>
          … t+150ms
        → AT\r
        ← \r\nOK\r\n
    "#]]);
    assert!(matches!(
        &h.events[0],
        SessionEvent::PartFailed {
            part_id: 5,
            class: FailClass::Transient,
            ..
        }
    ));
    assert!(h.s.wants_part());
}

#[test]
fn cms_errors_are_classified_per_the_spec_table() {
    let (mut h, mut f) = ready_session(false);
    for (id, code) in [(1, 304), (2, 512), (3, 50)] {
        f.once("<PDU>", &[&format!("+CMS ERROR: {code}")]);
        h.input(Input::Send(part(id)));
        h.converse(&mut f, 10, |h| h.events.len() == id as usize);
    }
    let classes: Vec<_> = h
        .events
        .iter()
        .map(|e| match e {
            SessionEvent::PartFailed { class, reason, .. } => (*class, reason.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        classes,
        vec![
            (FailClass::PermanentRecipient, "+CMS ERROR: 304".to_string()),
            (FailClass::Transient, "+CMS ERROR: 512".to_string()),
            (FailClass::PermanentSim, "+CMS ERROR: 50".to_string()),
        ]
    );
}

#[test]
fn a_storm_of_cms_500_triggers_a_reinit_after_three() {
    let (mut h, mut f) = ready_session(false);
    for id in 1..=3 {
        f.once("<PDU>", &["+CMS ERROR: 500"]);
        h.input(Input::Send(part(id)));
        h.converse(&mut f, 10, |h| h.events.len() == id as usize);
    }
    let classes: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::PartFailed { class, .. } => Some(*class),
            _ => None,
        })
        .collect();
    assert_eq!(
        classes,
        vec![
            FailClass::Transient,
            FailClass::Transient,
            FailClass::Reinit
        ]
    );
    assert_eq!(h.s.activity(), Activity::Opening);
    h.converse(&mut f, 200, |h| {
        h.s.activity() == Activity::Ready && h.written.is_empty()
    });
}

#[test]
fn the_startup_sweep_deletes_only_committed_messages() {
    let mut h = H::new(SessionConfig::new("m1"));
    let mut f = Fake::new(false);
    f.answers.insert(
        "AT+CMGL=4".into(),
        vec![
            "+CMGL: 1,1,,3".into(),
            "00040A0B0C".into(),
            "+CMGL: 2,0,,3".into(),
            "00040D0E0F".into(),
            "OK".into(),
        ],
    );
    h.ready(&mut f);
    h.take_log();
    let tokens: Vec<u64> = h
        .events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Inbound { token, .. } => Some(*token),
            _ => None,
        })
        .collect();
    assert_eq!(tokens.len(), 2);
    h.input(Input::Committed(tokens[1]));
    h.input(Input::CommitFailed(tokens[0]));
    h.check(expect![[r#"
        → AT+CMGD=2\r
    "#]]);
}

#[test]
fn a_direct_cmt_is_acknowledged_only_after_commit() {
    let mut cfg = SessionConfig::new("m1");
    cfg.direct_delivery = true;
    let mut h = H::new(cfg);
    let mut f = Fake::new(false);
    h.ready(&mut f);
    assert!(h.take_log().contains("→ AT+CNMI=2,2,0,1,0\\r"));
    h.events.clear();
    h.rx("\r\n+CMT: ,3\r\n00040A0B0C\r\n");
    assert!(
        h.written.is_empty(),
        "nothing is acknowledged before commit"
    );
    let SessionEvent::Inbound { token, .. } = h.events[0] else {
        panic!("{:?}", h.events)
    };
    h.input(Input::Committed(token));
    h.check(expect![[r#"
        ← \r\n+CMT: ,3\r\n00040A0B0C\r\n
          Inbound { token: 1, pdu: [0, 4, 10, 11, 12], source: Direct }
        → AT+CNMA\r
    "#]]);
}

#[test]
fn closing_the_port_mid_send_fails_the_part_and_goes_offline() {
    let (mut h, _f) = ready_session(false);
    h.input(Input::Send(part(3)));
    h.rx("\r\n> ");
    h.input(Input::Closed("EOF".into()));
    h.check(expect![[r#"
        → AT+CMGS=15\r
        ← \r\n> 
        → 0011000B916407281553F80000AA0131<^Z>
          PartFailed { part_id: 3, class: Transient, reason: "port closed: EOF after the PDU was written; it may have been sent" }
          state Offline
    "#]]);
    assert_eq!(h.s.state().status, ModemStatus::Offline);
}

#[test]
fn health_polls_wait_for_idle_and_do_not_run_between_sends() {
    let mut cfg = SessionConfig::new("m1");
    cfg.health_interval = Duration::from_secs(1);
    let mut h = H::new(cfg);
    let mut f = Fake::new(false);
    h.ready(&mut f);
    h.take_log();
    // Busy: parts back to back, well past the health interval.
    for id in 1..=3 {
        h.now += Duration::from_secs(2);
        h.input(Input::Send(part(id)));
        h.converse(&mut f, 10, |h| h.written.is_empty() && h.s.wants_part());
    }
    let busy = h.take_log();
    assert!(!busy.contains("AT+CSQ"), "{busy}");
    h.input(Input::Idle);
    h.converse(&mut f, 10, |h| h.written.is_empty() && h.s.wants_part());
    let idle = h.take_log();
    assert!(idle.contains("→ AT+CSQ\\r"), "{idle}");
    assert_eq!(h.s.state().signal_dbm, Some(-71));
    assert_eq!(h.s.state().operator.as_deref(), Some("Test Operator"));
}

#[test]
fn a_modem_that_never_answers_asks_for_the_port_to_be_reopened() {
    let mut cfg = SessionConfig::new("m1");
    cfg.sync_attempts = 3;
    let mut h = H::new(cfg);
    h.input(Input::Opened);
    for _ in 0..6 {
        h.wait_deadline();
    }
    h.check(expect![[r#"
        → <ESC>
          state Initialising
          … t+150ms
        → AT\r
          … t+1000ms
        → <ESC>
          … t+150ms
        → AT\r
          … t+1000ms
        → <ESC>
          … t+150ms
        → AT\r
          … t+1000ms
          Reopen { reason: "no answer to AT after 3 attempts" }
          state Offline
    "#]]);
}

#[test]
fn a_command_timeout_escalates_from_probe_to_soft_reset() {
    let (mut h, mut f) = ready_session(false);
    f.silent = vec!["AT+CMGR=5".into(), "AT".into()];
    h.rx("\r\n+CMTI: \"ME\",5\r\n");
    for _ in 0..5 {
        h.wait_deadline();
    }
    h.check(expect![[r#"
        ← \r\n+CMTI: "ME",5\r\n
        → AT+CMGR=5\r
          … t+10000ms
        → <ESC>
          … t+150ms
        → AT\r
          … t+1000ms
        → <ESC>
          … t+150ms
        → AT\r
          … t+1000ms
        → AT+CFUN=1,1\r
          state Resetting
    "#]]);
    assert_eq!(h.s.state().status, ModemStatus::Resetting);
    f.silent.clear();
    h.written.clear();
    h.rx("\r\nRDY\r\n");
    h.converse(&mut f, 200, |h| {
        h.s.activity() == Activity::Ready && h.written.is_empty()
    });
    assert!(
        h.take_log().contains("→ AT+CMGR=5\\r"),
        "the pending read is retried"
    );
}
