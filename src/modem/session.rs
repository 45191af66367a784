//! The sans-IO modem session: one state machine per modem that turns bytes
//! from the modem and the passage of time into bytes to write, timers and
//! events for the runner.
//!
//! Lifecycle: closed → opening (sync: `ESC`, `AT` until `OK`) → initialising
//! → ready ⇄ sending / reading → resetting. No I/O, no clock reads: every
//! input carries `now`, and [`Session::poll_output`] is drained after each
//! input until it yields [`Output::Timeout`].
//!
//! Guarantees:
//! - At most one AT command is in flight; the [`at::Digester`] is told about
//!   each one so echoes, prompts and URCs are told apart.
//! - A received message is deleted from the modem (`AT+CMGD`) or acknowledged
//!   (`AT+CNMA`) only after the runner reports it committed
//!   ([`Input::Committed`]).
//! - Every part handed over with [`Input::Send`] ends in exactly one
//!   [`SessionEvent::PartSent`] or [`SessionEvent::PartFailed`], including
//!   when the port closes or the modem resets mid-send.
//! - Health polls (`AT+CSQ`, `AT+CREG?`, `AT+COPS?`) only run while the
//!   runner reports the outbox idle, so consecutive sends are back to back.
//! - An MMS handed over with [`Input::Mms`] (a vendor [`MmsFlow`]) ends in
//!   exactly one [`SessionEvent::MmsDone`]; its commands hold the line like
//!   any other, but while it waits for the completion URC other work
//!   (SMS, reads) goes on.
//! - An MMS retrieval handed over with [`Input::MmsFetch`] (a vendor
//!   [`RecvFlow`]) ends in exactly one [`SessionEvent::MmsFetched`]; one
//!   MMS flow (send or fetch) runs at a time. Its downloads bypass the
//!   digester ([`mms_at::recv::Capture`]), so binary content arrives intact.
//! - A `+WAP_PUSH_MMS:` URC (SIMCom) becomes [`SessionEvent::MmsNotice`],
//!   and so does a SIM800 MMS push (`+CMTI: "SM",n,"MMS PUSH",…`), read
//!   with `AT+CMMSRDPUSH=<n>`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use super::classify::{self, FailClass};
use super::mms_at::recv::{self, Capture, FetchOutcome, PushNotice, RecvFlow};
/// Most SIM800 MMS pushes waiting to be read.
const PUSH_READS_MAX: usize = 32;
use super::mms_at::{self, MmsAtOutcome, MmsFlow};
use super::parse;
use super::{at, ModemState, ModemStatus, OutPart, Registration};

/// Tunables of one session. [`SessionConfig::new`] gives sane defaults.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Modem name (for [`ModemState::name`]).
    pub name: String,
    /// SIM PIN, entered when the SIM asks for it.
    pub pin: Option<String>,
    /// Receive with direct `+CMT` routing and `AT+CNMA`.
    pub direct_delivery: bool,
    /// Interval between health polls (only while idle).
    pub health_interval: Duration,
    /// How long to wait for `OK` to one sync `AT`.
    pub sync_timeout: Duration,
    /// Sync attempts before asking the runner to reopen the port.
    pub sync_attempts: u32,
    /// Sync attempts allowed while a modem boots after a soft reset.
    pub reset_sync_attempts: u32,
    /// Quiet time after `ESC` before the probing `AT`.
    pub settle: Duration,
    /// `AT+CMGS=<n>` → `> ` timeout.
    pub prompt_timeout: Duration,
    /// `^Z` → `+CMGS:` timeout.
    pub submit_timeout: Duration,
    /// Timeout of ordinary commands.
    pub command_timeout: Duration,
    /// Timeout of `AT+CMGL=4` (slow SIMs take seconds).
    pub list_timeout: Duration,
    /// Give up waiting for SMS readiness (`AT+CMGF=0` accepted) after this.
    pub sms_ready_timeout: Duration,
    /// First and maximum backoff between retries while the modem is busy.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Consecutive `+CMS ERROR: 500` on sends before re-initialising.
    pub cms500_reinit_after: u32,
    /// How long to wait for the `+CUSD` answer of a USSD request.
    pub ussd_timeout: Duration,
    /// How long `AT+CFUN=1,1` may take to answer.
    pub reset_timeout: Duration,
}

impl SessionConfig {
    /// Defaults for a modem called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            pin: None,
            direct_delivery: false,
            health_interval: Duration::from_secs(60),
            sync_timeout: Duration::from_millis(1000),
            sync_attempts: 10,
            reset_sync_attempts: 60,
            settle: Duration::from_millis(150),
            prompt_timeout: Duration::from_secs(10),
            submit_timeout: Duration::from_secs(120),
            command_timeout: Duration::from_secs(10),
            list_timeout: Duration::from_secs(60),
            sms_ready_timeout: Duration::from_secs(90),
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(4),
            cms500_reinit_after: 3,
            ussd_timeout: Duration::from_secs(30),
            reset_timeout: Duration::from_secs(15),
        }
    }
}

/// Something that happened to the session.
#[derive(Debug)]
pub enum Input<'a> {
    /// The port was (re)opened; start syncing.
    Opened,
    /// Bytes read from the modem.
    Received(&'a [u8]),
    /// Time passed (a timer returned by [`Output::Timeout`] fired).
    Tick,
    /// The port hit EOF or an I/O error and is closed.
    Closed(String),
    /// A part to submit; only when [`Session::wants_part`] said so (otherwise
    /// it fails straight back as transient).
    Send(OutPart),
    /// The backend had nothing to send: idle-time work (health) may run.
    Idle,
    /// The inbound message behind this token is committed.
    Committed(u64),
    /// Committing the inbound message behind this token failed.
    CommitFailed(u64),
    /// A USSD request.
    Ussd { id: u64, code: String },
    /// An MMS to send through the modem's own MMS client; only when
    /// [`Session::wants_mms`] said so (otherwise it ends at once, not sent).
    Mms { id: i64, flow: Box<MmsFlow> },
    /// An MMS to retrieve through the modem's own client (the stored push
    /// `push_id`); only when [`Session::wants_mms`] said so (otherwise it
    /// ends at once, failed).
    MmsFetch { push_id: i64, flow: Box<RecvFlow> },
}

/// What the runner must do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes to the modem.
    Transmit(Vec<u8>),
    /// Act on an event (backend calls).
    Event(SessionEvent),
    /// Nothing more to do; call [`Input::Tick`] at this instant.
    Timeout(Instant),
}

/// Where a received PDU came from, which decides how it is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundSource {
    /// Read from modem storage; deleted after commit.
    Stored { index: i32 },
    /// Routed directly (`+CMT`/`+CDS`); acknowledged after commit if needed.
    Direct,
}

/// Events for the runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The part was accepted by the network with this message reference.
    PartSent { part_id: i64, mr: u8 },
    /// The part failed; `class` says how to retry.
    PartFailed {
        part_id: i64,
        class: FailClass,
        reason: String,
    },
    /// A received PDU (with SMSC prefix; an SMS-DELIVER or SMS-STATUS-REPORT).
    /// Answer with [`Input::Committed`] or [`Input::CommitFailed`].
    Inbound {
        token: u64,
        pdu: Vec<u8>,
        source: InboundSource,
    },
    /// The externally visible modem state changed.
    State(Box<ModemState>),
    /// Answer to a USSD request.
    UssdReply {
        id: u64,
        result: std::result::Result<String, String>,
    },
    /// The MMS of [`Input::Mms`] `id` ended.
    MmsDone { id: i64, outcome: MmsAtOutcome },
    /// The retrieval of [`Input::MmsFetch`] `push_id` ended.
    MmsFetched { push_id: i64, outcome: FetchOutcome },
    /// The modem reported an MMS notification (`+WAP_PUSH_MMS:`); store it.
    MmsNotice(PushNotice),
    /// The modem does not answer: close the port and open it again.
    Reopen { reason: String },
}

/// Fine-grained activity, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Closed,
    Opening,
    Initialising,
    Ready,
    Sending,
    Reading,
    Resetting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ident {
    Manufacturer,
    Model,
    Revision,
    Imei,
    Imsi,
    Iccid,
}

const IDENTS: [Ident; 6] = [
    Ident::Manufacturer,
    Ident::Model,
    Ident::Revision,
    Ident::Imei,
    Ident::Imsi,
    Ident::Iccid,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Ate0,
    Cmee,
    Cpin,
    CpinEnter,
    Ident(usize),
    Cmgf,
    CpmsTest,
    Cpms,
    Csms,
    CnmiTest,
    Cnmi(usize),
    Csca,
    Cmms,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Closed,
    /// ESC, settle, `AT` until `OK`.
    Syncing {
        attempts: u32,
        budget: u32,
    },
    Init(Step),
    Ready,
    /// A command timed out: ESC, settle, `AT`; on success resume `resume`.
    Probing {
        attempts: u32,
        resume: Box<Phase>,
    },
    /// `AT+CFUN=1,1` in flight.
    Resetting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Csq,
    Creg,
    Cops,
}

#[derive(Debug)]
enum Op {
    Sync,
    Init(Step),
    Cmgl,
    Cmgr {
        slot: Slot,
        attempts: u32,
    },
    Cmgd {
        slot: Slot,
    },
    /// `AT+CPMS="<mem>"`: select the memory read and deleted from.
    SelectMem(String),
    Cnma,
    Cmgs {
        part: OutPart,
        prompted: bool,
    },
    Health(Health),
    Cusd {
        id: u64,
    },
    Cfun,
    /// A command of the MMS flow (its events go to the flow).
    Mms,
    /// A command of the MMS retrieval flow (its events go to the flow).
    MmsRecv,
    /// SIM800 `AT+CMMSRDPUSH=<index>`.
    MmsRdPush {
        index: i32,
    },
}

#[derive(Debug)]
struct InFlight {
    op: Op,
    deadline: Instant,
    info: Vec<String>,
}

/// A message in modem storage: memory name and index.
type Slot = (String, i32);

#[derive(Debug, Clone)]
enum Ack {
    Delete(Slot),
    Cnma,
    Nothing,
}

/// CNMI candidates tried in order (MODEM-SPEC §2.3, §6.1).
const CNMI_STORED: [[u8; 5]; 5] = [
    [2, 1, 0, 2, 0],
    [2, 1, 0, 1, 0],
    [2, 1, 0, 0, 0],
    [1, 1, 0, 0, 0],
    [0, 1, 0, 0, 0],
];
const CNMI_DIRECT: [[u8; 5]; 4] = [
    [2, 2, 0, 1, 0],
    [2, 2, 0, 0, 0],
    [1, 2, 0, 0, 0],
    [2, 1, 0, 0, 0],
];

/// The sans-IO session of one modem.
#[derive(Debug)]
pub struct Session {
    cfg: SessionConfig,
    digester: at::Digester,
    phase: Phase,
    inflight: Option<InFlight>,
    /// Do not start a command before this instant (settle/backoff).
    wait_until: Option<Instant>,
    out: VecDeque<Output>,
    now: Instant,
    state: ModemState,
    published: Option<ModemState>,

    // init bookkeeping
    init_started: Instant,
    backoff: Duration,
    cnmi_candidates: Vec<[u8; 5]>,
    csca_attempts: u32,
    cpin_attempts: u32,
    storage: Option<String>,
    cnmi_ok: bool,
    csms_phase2: bool,
    failed_inits: u32,

    // work
    send_slot: Option<OutPart>,
    to_read: VecDeque<(Slot, u32)>,
    to_delete: VecDeque<Slot>,
    cnma_due: u32,
    sweep_due: bool,
    /// Memories still to list in the current sweep.
    sweeps: VecDeque<String>,
    /// The memory `AT+CMGR`/`AT+CMGD`/`AT+CMGL` act on (`<mem1>`).
    mem1: Option<String>,
    /// `SR` can be selected for reading (status reports stored there).
    sr_readable: bool,
    sweep_retry_at: Option<Instant>,
    busy_indices: HashSet<Slot>,
    awaiting: HashMap<u64, Ack>,
    next_token: u64,
    ussd_queue: VecDeque<(u64, String)>,
    ussd_waiting: Option<(u64, Instant)>,
    idle: bool,
    next_health: Option<Instant>,
    cms500_streak: u32,
    /// The MMS being sent and its id.
    mms: Option<(i64, Box<MmsFlow>)>,
    /// The MMS being retrieved and its push id.
    recv: Option<(i64, Box<RecvFlow>)>,
    /// The raw download under way (a command of `recv`).
    capture: Option<Capture>,
    /// SIM800 MMS pushes to read (`AT+CMMSRDPUSH`).
    push_reads: VecDeque<i32>,
}

impl Session {
    /// A closed session; feed [`Input::Opened`] when the port is open.
    pub fn new(cfg: SessionConfig, now: Instant) -> Self {
        let state = ModemState::new(&cfg.name);
        Self {
            cfg,
            digester: at::Digester::new(),
            phase: Phase::Closed,
            inflight: None,
            wait_until: None,
            out: VecDeque::new(),
            now,
            state,
            published: None,
            init_started: now,
            backoff: Duration::ZERO,
            cnmi_candidates: Vec::new(),
            csca_attempts: 0,
            cpin_attempts: 0,
            storage: None,
            cnmi_ok: false,
            csms_phase2: false,
            failed_inits: 0,
            send_slot: None,
            to_read: VecDeque::new(),
            to_delete: VecDeque::new(),
            cnma_due: 0,
            sweep_due: false,
            sweeps: VecDeque::new(),
            mem1: None,
            sr_readable: false,
            sweep_retry_at: None,
            busy_indices: HashSet::new(),
            awaiting: HashMap::new(),
            next_token: 1,
            ussd_queue: VecDeque::new(),
            ussd_waiting: None,
            idle: false,
            next_health: None,
            cms500_streak: 0,
            mms: None,
            recv: None,
            capture: None,
            push_reads: VecDeque::new(),
        }
    }

    /// The current externally visible state.
    pub fn state(&self) -> &ModemState {
        &self.state
    }

    /// What the session is doing right now.
    pub fn activity(&self) -> Activity {
        match &self.phase {
            Phase::Closed => Activity::Closed,
            Phase::Syncing { .. } => Activity::Opening,
            Phase::Init(_) => Activity::Initialising,
            Phase::Resetting => Activity::Resetting,
            Phase::Probing { resume, .. } => match **resume {
                Phase::Ready => Activity::Ready,
                _ => Activity::Initialising,
            },
            Phase::Ready => match self.inflight.as_ref().map(|f| &f.op) {
                Some(Op::Cmgs { .. } | Op::Mms) => Activity::Sending,
                Some(Op::Cmgr { .. } | Op::Cmgl | Op::MmsRecv) => Activity::Reading,
                _ => Activity::Ready,
            },
        }
    }

    /// True when the session is ready for the next outbound part: ready, no
    /// command in flight, nothing received waiting to be read or deleted.
    pub fn wants_part(&self) -> bool {
        self.phase == Phase::Ready
            && self.inflight.is_none()
            && self.send_slot.is_none()
            && self.to_read.is_empty()
            && self.to_delete.is_empty()
            && self.cnma_due == 0
            && !self.sweep_due
            && self.sweeps.is_empty()
            && self.ussd_queue.is_empty()
            && self.push_reads.is_empty()
            && self
                .mms
                .as_ref()
                .is_none_or(|(_, f)| f.awaiting_completion())
            && self.recv.as_ref().is_none_or(|(_, f)| f.awaiting_urc())
            && self.wait_until.is_none_or(|t| t <= self.now)
    }

    /// True when an MMS may be handed over: as [`Session::wants_part`] and
    /// no MMS under way.
    pub fn wants_mms(&self) -> bool {
        self.mms.is_none() && self.recv.is_none() && self.wants_part()
    }

    /// Count of garbage bytes the digester skipped.
    pub fn garbage_bytes(&self) -> u64 {
        self.digester.garbage_bytes()
    }

    /// Feeds one input at `now`.
    pub fn handle_input(&mut self, now: Instant, input: Input<'_>) {
        self.now = self.now.max(now);
        match input {
            Input::Opened => self.on_opened(),
            Input::Received(bytes) => self.on_received(bytes),
            Input::Tick => self.on_tick(),
            Input::Closed(reason) => self.on_closed(reason),
            Input::Send(part) => {
                self.idle = false;
                if self.phase == Phase::Ready && self.send_slot.is_none() {
                    self.send_slot = Some(part);
                } else {
                    self.fail_part(part, FailClass::Transient, "modem not ready".into());
                }
            }
            Input::Idle => self.idle = true,
            Input::Committed(token) => match self.awaiting.remove(&token) {
                Some(Ack::Delete(slot)) => self.to_delete.push_back(slot),
                Some(Ack::Cnma) => self.cnma_due += 1,
                Some(Ack::Nothing) | None => {}
            },
            Input::CommitFailed(token) => {
                if let Some(Ack::Delete(slot)) = self.awaiting.remove(&token) {
                    // Left on the modem; a later sweep reads it again.
                    self.busy_indices.remove(&slot);
                    self.sweep_retry_at = Some(self.now + Duration::from_secs(30));
                }
            }
            Input::Ussd { id, code } => {
                if matches!(self.phase, Phase::Closed) {
                    self.emit(SessionEvent::UssdReply {
                        id,
                        result: Err("modem offline".into()),
                    });
                } else {
                    self.ussd_queue.push_back((id, code));
                }
            }
            Input::Mms { id, flow } => {
                if self.phase == Phase::Ready && self.mms.is_none() {
                    self.idle = false;
                    self.mms = Some((id, flow));
                } else {
                    self.emit(SessionEvent::MmsDone {
                        id,
                        outcome: MmsAtOutcome::NotSent {
                            reason: "modem not ready".into(),
                        },
                    });
                }
            }
            Input::MmsFetch { push_id, flow } => {
                if self.phase == Phase::Ready && self.mms.is_none() && self.recv.is_none() {
                    self.idle = false;
                    self.recv = Some((push_id, flow));
                } else {
                    self.emit(SessionEvent::MmsFetched {
                        push_id,
                        outcome: FetchOutcome::Failed {
                            reason: "modem not ready".into(),
                        },
                    });
                }
            }
        }
        self.pump();
        self.publish_state();
    }

    /// The next thing to do; ends with [`Output::Timeout`] when drained.
    pub fn poll_output(&mut self) -> Output {
        if let Some(o) = self.out.pop_front() {
            return o;
        }
        Output::Timeout(self.next_deadline())
    }

    fn next_deadline(&self) -> Instant {
        let mut d: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                d = Some(d.map_or(t, |d| d.min(t)));
            }
        };
        consider(self.inflight.as_ref().map(|f| f.deadline));
        consider(self.wait_until);
        consider(self.ussd_waiting.map(|(_, t)| t));
        consider(self.mms.as_ref().and_then(|(_, f)| f.poll_timeout()));
        consider(self.recv.as_ref().and_then(|(_, f)| f.poll_timeout()));
        if self.phase == Phase::Ready {
            consider(self.sweep_retry_at);
            if self.idle {
                consider(self.next_health);
            }
        }
        d.unwrap_or(self.now + Duration::from_secs(3600))
    }

    // ------------------------------------------------------------ plumbing

    fn emit(&mut self, ev: SessionEvent) {
        self.out.push_back(Output::Event(ev));
    }

    fn transmit(&mut self, bytes: Vec<u8>) {
        self.out.push_back(Output::Transmit(bytes));
    }

    fn issue(&mut self, cmd: at::Command, op: Op, timeout: Duration) {
        self.digester.expect(&cmd);
        let mut bytes = cmd.line.clone().into_bytes();
        bytes.push(b'\r');
        self.transmit(bytes);
        self.inflight = Some(InFlight {
            op,
            deadline: self.now + timeout,
            info: Vec::new(),
        });
    }

    fn set_status(&mut self, status: ModemStatus) {
        self.state.status = status;
    }

    fn publish_state(&mut self) {
        if self.published.as_ref() != Some(&self.state) {
            self.published = Some(self.state.clone());
            self.emit(SessionEvent::State(Box::new(self.state.clone())));
        }
    }

    fn fail_part(&mut self, part: OutPart, class: FailClass, reason: String) {
        self.emit(SessionEvent::PartFailed {
            part_id: part.part_id,
            class,
            reason,
        });
    }

    fn token(&mut self) -> u64 {
        let t = self.next_token;
        self.next_token += 1;
        t
    }

    fn bump_backoff(&mut self) -> Duration {
        self.backoff = if self.backoff.is_zero() {
            self.cfg.backoff_min
        } else {
            (self.backoff * 2).min(self.cfg.backoff_max)
        };
        self.backoff
    }

    /// Fails what is in flight and drops work that cannot survive a reset
    /// or a closed port. Received messages awaiting commit stay tracked so
    /// their commits are not lost; their deletes wait for the next ready.
    fn abort_inflight(&mut self, reason: &str) {
        if let Some(f) = self.inflight.take() {
            match f.op {
                Op::Cmgs { part, prompted } => {
                    let why = if prompted {
                        format!("{reason} after the PDU was written; it may have been sent")
                    } else {
                        reason.to_string()
                    };
                    self.fail_part(part, FailClass::Transient, why);
                }
                Op::Cmgr { slot, attempts } => self.to_read.push_front((slot, attempts)),
                Op::Cmgd { slot } => self.to_delete.push_front(slot),
                Op::Cnma => {}
                Op::MmsRdPush { index } => self.push_reads.push_front(index),
                Op::Cusd { id } => self.emit(SessionEvent::UssdReply {
                    id,
                    result: Err(reason.to_string()),
                }),
                _ => {}
            }
        }
        if let Some(part) = self.send_slot.take() {
            self.fail_part(part, FailClass::Transient, reason.to_string());
        }
    }

    /// Ends the MMS under way: the link is gone or the modem restarted.
    /// (A command timing out alone does not: a flow waiting for its
    /// completion URC outlives an SMS that timed out.)
    fn abort_mms(&mut self, reason: &str) {
        if let Some((id, mut flow)) = self.mms.take() {
            let outcome = flow.abort(reason);
            self.emit(SessionEvent::MmsDone { id, outcome });
        }
        self.capture = None;
        if let Some((push_id, mut flow)) = self.recv.take() {
            let outcome = flow.abort(reason);
            self.emit(SessionEvent::MmsFetched { push_id, outcome });
        }
    }

    /// Bytes from the modem: through the download capture while one is
    /// under way, else straight to the digester.
    fn on_received(&mut self, bytes: &[u8]) {
        let Some(c) = self.capture.as_mut() else {
            return self.digest(bytes);
        };
        let fed = c.feed(bytes);
        self.digest(&fed.before);
        if let Some(data) = fed.data {
            self.capture = None;
            if let Some((_, flow)) = self.recv.as_mut() {
                flow.handle_download(data, self.now);
                let due = flow.poll_timeout();
                if let (Some(f), Some(t)) = (self.inflight.as_mut(), due) {
                    if matches!(f.op, Op::MmsRecv) {
                        f.deadline = f.deadline.max(t + Duration::from_secs(5));
                    }
                }
            }
            self.digest(&fed.after);
            return;
        }
        // The command ended before its data (an error): back to lines.
        let downloading = matches!(self.inflight.as_ref().map(|f| &f.op), Some(Op::MmsRecv));
        if !downloading {
            if let Some(c) = self.capture.take() {
                let rest = c.into_pending();
                self.digest(&rest);
            }
        }
    }

    fn digest(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.digester.feed(bytes);
        while let Some(ev) = self.digester.poll_event() {
            self.on_at_event(ev);
        }
    }

    fn start_sync(&mut self, budget: u32) {
        self.mem1 = None;
        self.phase = Phase::Syncing {
            attempts: 0,
            budget,
        };
        self.set_status(ModemStatus::Initialising);
        self.escape();
    }

    /// Writes ESC (leaves a stuck prompt) and waits for the line to settle.
    fn escape(&mut self) {
        self.transmit(vec![0x1b]);
        self.wait_until = Some(self.now + self.cfg.settle);
    }

    fn on_opened(&mut self) {
        self.abort_inflight("port reopened");
        self.abort_mms("port reopened");
        self.digester = at::Digester::new();
        self.init_started = self.now;
        self.start_sync(self.cfg.sync_attempts);
    }

    fn on_closed(&mut self, reason: String) {
        self.abort_inflight(&format!("port closed: {reason}"));
        self.abort_mms(&format!("port closed: {reason}"));
        if let Some((id, _)) = self.ussd_waiting.take() {
            self.emit(SessionEvent::UssdReply {
                id,
                result: Err("port closed".into()),
            });
        }
        for (id, _) in std::mem::take(&mut self.ussd_queue) {
            self.emit(SessionEvent::UssdReply {
                id,
                result: Err("port closed".into()),
            });
        }
        self.phase = Phase::Closed;
        self.wait_until = None;
        self.to_read.clear();
        self.to_delete.clear();
        self.busy_indices.clear();
        self.sweeps.clear();
        self.mem1 = None;
        self.cnma_due = 0;
        self.set_status(ModemStatus::Offline);
        self.state.signal_dbm = None;
        self.state.registration = None;
    }

    // ------------------------------------------------------------ timers

    fn on_tick(&mut self) {
        if let Some((id, t)) = self.ussd_waiting {
            if self.now >= t {
                self.ussd_waiting = None;
                self.emit(SessionEvent::UssdReply {
                    id,
                    result: Err("no +CUSD answer".into()),
                });
            }
        }
        if let Some((_, flow)) = self.mms.as_mut() {
            if flow.poll_timeout().is_some_and(|t| self.now >= t) {
                flow.handle_timeout(self.now);
                // A flow command went unanswered: resync the line too.
                if let Some(f) = self.inflight.as_mut() {
                    if matches!(f.op, Op::Mms) && !flow.awaiting_completion() {
                        f.deadline = self.now;
                    }
                }
                self.drive_mms();
            }
        }
        if let Some((_, flow)) = self.recv.as_mut() {
            if flow.poll_timeout().is_some_and(|t| self.now >= t) {
                flow.handle_timeout(self.now);
                if let Some(f) = self.inflight.as_mut() {
                    if matches!(f.op, Op::MmsRecv) && !flow.awaiting_urc() {
                        f.deadline = self.now;
                    }
                }
                self.capture = None;
                self.drive_recv();
            }
        }
        if self.sweep_retry_at.is_some_and(|t| self.now >= t) {
            self.sweep_retry_at = None;
            self.sweep_due = true;
        }
        if self.wait_until.is_some_and(|t| self.now >= t) {
            self.wait_until = None;
        }
        let expired = self
            .inflight
            .as_ref()
            .is_some_and(|f| self.now >= f.deadline);
        if expired {
            self.on_timeout();
        }
    }

    fn on_timeout(&mut self) {
        let Some(f) = self.inflight.take() else {
            return;
        };
        match (self.phase.clone(), f.op) {
            (Phase::Syncing { attempts, budget }, Op::Sync) => {
                let attempts = attempts + 1;
                if attempts >= budget {
                    self.phase = Phase::Closed;
                    self.set_status(ModemStatus::Offline);
                    self.emit(SessionEvent::Reopen {
                        reason: format!("no answer to AT after {attempts} attempts"),
                    });
                } else {
                    self.phase = Phase::Syncing { attempts, budget };
                    self.escape();
                }
            }
            (Phase::Probing { attempts, resume }, Op::Sync) => {
                if attempts + 1 >= 2 {
                    self.soft_reset();
                } else {
                    self.phase = Phase::Probing {
                        attempts: attempts + 1,
                        resume,
                    };
                    self.escape();
                }
            }
            (Phase::Resetting, Op::Cfun) => {
                // The modem went away without an answer; boot takes a while.
                self.start_sync(self.cfg.reset_sync_attempts);
            }
            (_, op) => {
                let what = match &op {
                    Op::Cmgs {
                        prompted: false, ..
                    } => "no prompt",
                    Op::Cmgs { prompted: true, .. } => "no +CMGS answer",
                    _ => "command timed out",
                };
                // Put the op back so abort_inflight() settles it.
                self.inflight = Some(InFlight {
                    op,
                    deadline: self.now,
                    info: Vec::new(),
                });
                self.abort_inflight(what);
                let resume = Box::new(std::mem::replace(&mut self.phase, Phase::Closed));
                self.phase = Phase::Probing {
                    attempts: 0,
                    resume,
                };
                self.escape();
            }
        }
    }

    fn soft_reset(&mut self) {
        self.abort_inflight("modem reset");
        self.abort_mms("modem reset");
        self.phase = Phase::Resetting;
        self.set_status(ModemStatus::Resetting);
        let cmd = at::command::cfun_reset();
        self.issue(cmd, Op::Cfun, self.cfg.reset_timeout);
    }

    // ------------------------------------------------------------ pump

    /// Starts the next command if the line is free.
    fn pump(&mut self) {
        if self.inflight.is_some() || self.wait_until.is_some_and(|t| self.now < t) {
            return;
        }
        self.wait_until = None;
        match self.phase.clone() {
            Phase::Closed | Phase::Resetting => {}
            Phase::Syncing { .. } | Phase::Probing { .. } => {
                self.issue(at::command::at(), Op::Sync, self.cfg.sync_timeout);
            }
            Phase::Init(step) => self.issue_step(step),
            Phase::Ready => self.pump_ready(),
        }
    }

    fn pump_ready(&mut self) {
        let t = self.cfg.command_timeout;
        if self.cnma_due > 0 {
            self.cnma_due -= 1;
            return self.issue(at::command::cnma(), Op::Cnma, t);
        }
        if let Some((mem, _)) = self.to_delete.front() {
            if self.needs_select(mem) {
                return self.select_mem(mem.clone());
            }
            if let Some(slot) = self.to_delete.pop_front() {
                let cmd = at::command::cmgd(slot.1 as u32);
                return self.issue(cmd, Op::Cmgd { slot }, t);
            }
        }
        self.drive_mms();
        if self.inflight.is_some() {
            return;
        }
        self.drive_recv();
        if self.inflight.is_some() {
            return;
        }
        if let Some(part) = self.send_slot.take() {
            let cmd = at::command::cmgs(part.tpdu.len());
            return self.issue(
                cmd,
                Op::Cmgs {
                    part,
                    prompted: false,
                },
                self.cfg.prompt_timeout,
            );
        }
        if self.sweep_due {
            self.sweep_due = false;
            self.sweeps.push_back(self.default_mem());
            if self.sr_readable && self.storage.is_some() {
                self.sweeps.push_back("SR".into());
            }
        }
        if let Some(mem) = self.sweeps.front() {
            if self.needs_select(mem) {
                return self.select_mem(mem.clone());
            }
            self.sweeps.pop_front();
            return self.issue(
                at::command::cmgl(at::command::ListStat::All),
                Op::Cmgl,
                self.cfg.list_timeout,
            );
        }
        if let Some(index) = self.push_reads.pop_front() {
            let cmd = at::Command::from_line(&format!("AT+CMMSRDPUSH={index}"));
            return self.issue(cmd, Op::MmsRdPush { index }, t);
        }
        if let Some(((mem, _), _)) = self.to_read.front() {
            if self.needs_select(mem) {
                return self.select_mem(mem.clone());
            }
        }
        if let Some((slot, attempts)) = self.to_read.pop_front() {
            let index = slot.1;
            return self.issue(
                at::command::cmgr(index as u32),
                Op::Cmgr { slot, attempts },
                t,
            );
        }
        if self.ussd_waiting.is_none() {
            if let Some((id, code)) = self.ussd_queue.pop_front() {
                return self.issue(at::command::cusd(&code), Op::Cusd { id }, t);
            }
        }
        if self.idle && self.next_health.is_none_or(|h| self.now >= h) {
            self.issue(at::command::csq(), Op::Health(Health::Csq), t);
        }
    }

    /// Drains the MMS flow: writes its uploads, issues its next command if
    /// the line is free, reports its end.
    fn drive_mms(&mut self) {
        loop {
            let Some((id, flow)) = self.mms.as_mut() else {
                return;
            };
            if self.inflight.is_some() && flow.needs_line() {
                return;
            }
            let id = *id;
            match flow.poll_output(self.now) {
                None => return,
                Some(mms_at::Output::Data(bytes)) => self.transmit(bytes),
                Some(mms_at::Output::Command(cmd)) => {
                    // The flow's own deadline fires first.
                    let timeout = cmd.timeout + Duration::from_secs(5);
                    self.issue(cmd, Op::Mms, timeout);
                }
                Some(mms_at::Output::Done(outcome)) => {
                    self.mms = None;
                    self.emit(SessionEvent::MmsDone { id, outcome });
                    return;
                }
            }
        }
    }

    /// Drains the retrieval flow like [`Session::drive_mms`]; a download
    /// command starts the capture of its raw bytes.
    fn drive_recv(&mut self) {
        loop {
            let Some((push_id, flow)) = self.recv.as_mut() else {
                return;
            };
            if self.inflight.is_some() && flow.needs_line() {
                return;
            }
            let push_id = *push_id;
            match flow.poll_output(self.now) {
                None => return,
                Some(recv::Output::Data(bytes)) => self.transmit(bytes),
                Some(recv::Output::Command(cmd)) => {
                    let timeout = cmd.timeout + Duration::from_secs(5);
                    self.issue(cmd, Op::MmsRecv, timeout);
                }
                Some(recv::Output::Download { cmd, marker, len }) => {
                    let timeout = cmd.timeout + Duration::from_secs(5);
                    self.issue(cmd, Op::MmsRecv, timeout);
                    self.capture = Some(Capture::new(marker, len));
                }
                Some(recv::Output::Done(outcome)) => {
                    self.recv = None;
                    self.capture = None;
                    self.emit(SessionEvent::MmsFetched { push_id, outcome });
                    return;
                }
            }
        }
    }

    fn issue_step(&mut self, step: Step) {
        let t = self.cfg.command_timeout;
        let cmd = match step {
            Step::Ate0 => at::command::ate0(),
            Step::Cmee => at::command::cmee(1),
            Step::Cpin => at::command::cpin_query(),
            Step::CpinEnter => at::command::cpin(self.cfg.pin.as_deref().unwrap_or_default()),
            Step::Ident(i) => match IDENTS[i] {
                Ident::Manufacturer => at::command::cgmi(),
                Ident::Model => at::command::cgmm(),
                Ident::Revision => at::command::cgmr(),
                Ident::Imei => at::command::cgsn(),
                Ident::Imsi => at::command::cimi(),
                Ident::Iccid => at::command::ccid(),
            },
            Step::Cmgf => at::command::cmgf(at::command::MessageFormat::Pdu),
            Step::CpmsTest => at::command::cpms_test(),
            Step::Cpms => {
                let mem = self.storage.clone().unwrap_or_else(|| "SM".into());
                at::command::cpms(&mem)
            }
            Step::Csms => at::Command::from_line("AT+CSMS=1"),
            Step::CnmiTest => at::command::cnmi_test(),
            Step::Cnmi(i) => {
                let [a, b, c, d, e] = self.cnmi_candidates[i];
                at::command::cnmi(a, b, c, d, e)
            }
            Step::Csca => at::command::csca_query(),
            Step::Cmms => at::command::cmms(2),
        };
        self.issue(cmd, Op::Init(step), t);
    }

    fn goto(&mut self, step: Step) {
        self.phase = Phase::Init(step);
    }

    fn retry_later(&mut self, step: Step) {
        let b = self.bump_backoff();
        self.wait_until = Some(self.now + b);
        self.phase = Phase::Init(step);
    }

    fn enter_ready(&mut self) {
        self.phase = Phase::Ready;
        self.failed_inits = 0;
        self.set_status(ModemStatus::Ready);
        // Read whatever arrived while we were away (MODEM-SPEC §6.6).
        self.sweep_due = true;
        self.next_health = Some(self.now);
    }

    // ------------------------------------------------------------ events

    fn on_at_event(&mut self, ev: at::Event) {
        let mms_line = matches!(self.inflight.as_ref().map(|f| &f.op), Some(Op::Mms));
        if let Some((_, flow)) = self.mms.as_mut() {
            if mms_line || flow.awaiting_completion() {
                flow.handle_event(&ev, self.now);
                // The flow's deadline moves (upload accepted): the line's
                // own deadline stays behind it.
                let due = flow.poll_timeout();
                if let (Some(f), Some(t)) = (self.inflight.as_mut(), due) {
                    if matches!(f.op, Op::Mms) {
                        f.deadline = f.deadline.max(t + Duration::from_secs(5));
                    }
                }
                // Uploads go out at once; a next command waits for the line.
                self.drive_mms();
            }
        }
        let recv_line = matches!(self.inflight.as_ref().map(|f| &f.op), Some(Op::MmsRecv));
        if let Some((_, flow)) = self.recv.as_mut() {
            if recv_line || flow.awaiting_urc() {
                flow.handle_event(&ev, self.now);
                let due = flow.poll_timeout();
                if let (Some(f), Some(t)) = (self.inflight.as_mut(), due) {
                    if matches!(f.op, Op::MmsRecv) {
                        f.deadline = f.deadline.max(t + Duration::from_secs(5));
                    }
                }
                self.drive_recv();
            }
        }
        // SIMCom reports an MMS notification it took itself; it may land
        // inside another command's answer.
        if let at::Event::Urc(at::Urc::Unknown(l)) | at::Event::Info(l) = &ev {
            if let Some(n) = recv::parse_wap_push_mms(l) {
                self.emit(SessionEvent::MmsNotice(n));
                return;
            }
        }
        match ev {
            at::Event::Echo(_) | at::Event::Garbage { .. } => {}
            at::Event::Info(line) => {
                if let Some(f) = self.inflight.as_mut() {
                    f.info.push(line);
                }
            }
            at::Event::Prompt => self.on_prompt(),
            at::Event::Final(fin) => {
                if let Some(f) = self.inflight.take() {
                    self.on_final(f, fin);
                }
            }
            at::Event::Urc(urc) => self.on_urc(urc),
        }
    }

    fn on_prompt(&mut self) {
        let submit = self.cfg.submit_timeout;
        let now = self.now;
        let mut body = None;
        if let Some(InFlight {
            op: Op::Cmgs { part, prompted },
            deadline,
            ..
        }) = self.inflight.as_mut()
        {
            if !*prompted {
                *prompted = true;
                *deadline = now + submit;
                let mut b = b"00".to_vec();
                b.extend(hex::encode_upper(&part.tpdu).into_bytes());
                b.push(0x1a);
                body = Some(b);
            }
        }
        if let Some(b) = body {
            self.transmit(b);
        }
    }

    fn on_urc(&mut self, urc: at::Urc) {
        match urc {
            at::Urc::Cmti { mem, index } | at::Urc::Cdsi { mem, index } => {
                self.queue_read(mem, index)
            }
            at::Urc::Cmt { pdu, .. } => {
                let ack = if self.csms_phase2 {
                    Ack::Cnma
                } else {
                    Ack::Nothing
                };
                self.inbound(pdu, InboundSource::Direct, ack);
            }
            at::Urc::Cds { pdu, .. } => {
                let ack = if self.csms_phase2 {
                    Ack::Cnma
                } else {
                    Ack::Nothing
                };
                self.inbound(pdu, InboundSource::Direct, ack);
            }
            at::Urc::Cusd(cusd) => {
                if let Some((id, _)) = self.ussd_waiting.take() {
                    let result = if cusd.status <= 1 {
                        Ok(cusd.text.unwrap_or_default())
                    } else {
                        Err(format!("USSD ended with status {}", cusd.status))
                    };
                    self.emit(SessionEvent::UssdReply { id, result });
                }
            }
            at::Urc::MemoryFull(_) => self.sweep_due = true,
            at::Urc::MmsPush { index, .. }
                if !self.push_reads.contains(&index) && self.push_reads.len() < PUSH_READS_MAX =>
            {
                self.push_reads.push_back(index);
            }
            at::Urc::Boot(marker) => self.on_boot(marker),
            _ => {}
        }
    }

    fn on_boot(&mut self, marker: at::BootMarker) {
        if super::boot_is_restart(&marker) {
            match self.phase {
                Phase::Init(_) | Phase::Ready | Phase::Probing { .. } => {
                    // The modem restarted under us: echo, CNMI and CPMS are
                    // back to their defaults (MODEM-SPEC §4).
                    self.abort_inflight("modem restarted");
                    self.abort_mms("modem restarted");
                    self.start_sync(self.cfg.reset_sync_attempts);
                }
                Phase::Resetting => {
                    self.inflight = None;
                    self.start_sync(self.cfg.reset_sync_attempts);
                }
                _ => {}
            }
        } else if super::boot_is_sms_ready(&marker) && self.phase == Phase::Init(Step::Cmgf) {
            // Waiting in backoff for SMS readiness: retry right away.
            if self.inflight.is_none() {
                self.wait_until = None;
            }
        }
    }

    fn queue_read(&mut self, mem: String, index: i32) {
        // `+CMTI: ,-1` (SIMCom): not stored, nothing to read.
        if index < 0 {
            return;
        }
        let slot = (self.normalise_mem(&mem), index);
        if self.busy_indices.insert(slot.clone()) {
            self.to_read.push_back((slot, 0));
        }
    }

    /// The memory reads and deletes use when nothing else is asked for.
    fn default_mem(&self) -> String {
        self.storage.clone().unwrap_or_default()
    }

    /// Memory names as slots use them: `""` when storage selection is not
    /// available (never switch), the default memory when the URC gave none.
    fn normalise_mem(&self, mem: &str) -> String {
        if self.storage.is_none() {
            return String::new();
        }
        let m = mem.trim().trim_matches('"').to_ascii_uppercase();
        if m.is_empty() {
            self.default_mem()
        } else {
            m
        }
    }

    fn needs_select(&self, mem: &str) -> bool {
        !mem.is_empty() && self.mem1.as_deref() != Some(mem)
    }

    fn select_mem(&mut self, mem: String) {
        let cmd = at::Command::from_line(&format!("AT+CPMS=\"{mem}\""));
        let t = self.cfg.command_timeout;
        self.issue(cmd, Op::SelectMem(mem), t);
    }

    fn inbound(&mut self, pdu: Vec<u8>, source: InboundSource, ack: Ack) {
        let token = self.token();
        self.awaiting.insert(token, ack);
        self.emit(SessionEvent::Inbound { token, pdu, source });
    }

    fn on_final(&mut self, f: InFlight, fin: at::Final) {
        let ok = fin == at::Final::Ok;
        match f.op {
            Op::Sync => {
                // Any final result means the modem is listening.
                match std::mem::replace(&mut self.phase, Phase::Closed) {
                    Phase::Probing { resume, .. } => {
                        self.phase = *resume;
                    }
                    _ => {
                        self.backoff = Duration::ZERO;
                        self.goto(Step::Ate0);
                    }
                }
            }
            Op::Init(step) => self.on_step_final(step, ok, &fin, &f.info),
            Op::Cfun => {
                // Wait for the reboot; a boot URC or the first sync will tell.
                self.start_sync(self.cfg.reset_sync_attempts);
                self.wait_until = Some(self.now + Duration::from_secs(2));
            }
            Op::Cmgs { part, .. } => {
                if ok {
                    self.cms500_streak = 0;
                    let mr = parse::cmgs_mr(&f.info).unwrap_or(0);
                    self.emit(SessionEvent::PartSent {
                        part_id: part.part_id,
                        mr,
                    });
                } else {
                    let mut class = classify::final_result(&fin);
                    let code = match &fin {
                        at::Final::Cms(e) => classify::cms_code(e),
                        _ => None,
                    };
                    if code == Some(500) {
                        self.cms500_streak += 1;
                        if self.cms500_streak >= self.cfg.cms500_reinit_after {
                            class = FailClass::Reinit;
                        }
                    }
                    if code == Some(322) {
                        self.sweep_due = true;
                    }
                    self.fail_part(part, class, classify::describe(&fin));
                    if class == FailClass::Reinit {
                        self.cms500_streak = 0;
                        self.start_sync(self.cfg.sync_attempts);
                    }
                }
            }
            Op::SelectMem(mem) => {
                if !ok {
                    // Drop work for a memory that cannot be selected.
                    self.to_read.retain(|((m, _), _)| *m != mem);
                    self.to_delete.retain(|(m, _)| *m != mem);
                    self.sweeps.retain(|m| *m != mem);
                    self.busy_indices.retain(|(m, _)| *m != mem);
                } else {
                    self.mem1 = Some(mem);
                }
            }
            Op::Cmgr { slot, attempts } => {
                let index = slot.1;
                if ok {
                    match parse::cmgr(&f.info) {
                        Some(pdu) => {
                            self.inbound(pdu, InboundSource::Stored { index }, Ack::Delete(slot))
                        }
                        // Empty slot: nothing there any more.
                        None => {
                            self.busy_indices.remove(&slot);
                        }
                    }
                } else if matches!(&fin, at::Final::Cms(e) if classify::cms_code(e) == Some(321))
                    || attempts >= 2
                {
                    self.busy_indices.remove(&slot);
                } else {
                    self.to_read.push_back((slot, attempts + 1));
                }
            }
            Op::Cmgd { slot } => {
                self.busy_indices.remove(&slot);
            }
            Op::Cmgl => {
                if ok {
                    let mem = self.mem1.clone().unwrap_or_default();
                    for e in parse::cmgl(&f.info) {
                        let slot = (mem.clone(), e.index);
                        if self.busy_indices.insert(slot.clone()) {
                            self.inbound(
                                e.pdu,
                                InboundSource::Stored { index: e.index },
                                Ack::Delete(slot),
                            );
                        }
                    }
                } else {
                    self.sweep_retry_at = Some(self.now + Duration::from_secs(30));
                }
            }
            Op::Cnma | Op::Mms | Op::MmsRecv => {}
            Op::MmsRdPush { index } => {
                let notice = f.info.iter().find_map(|l| recv::parse_cmmsrdpush(l));
                match notice {
                    Some(n) if ok => self.emit(SessionEvent::MmsNotice(n)),
                    _ => tracing::warn!(index, ?fin, "SIM800 MMS push unreadable"),
                }
            }
            Op::Health(h) => self.on_health(h, &f.info),
            Op::Cusd { id } => {
                if ok {
                    self.ussd_waiting = Some((id, self.now + self.cfg.ussd_timeout));
                } else {
                    self.emit(SessionEvent::UssdReply {
                        id,
                        result: Err(classify::describe(&fin)),
                    });
                }
            }
        }
    }

    fn on_health(&mut self, h: Health, info: &[String]) {
        let t = self.cfg.command_timeout;
        match h {
            Health::Csq => {
                if let Some(dbm) = parse::csq_dbm(info) {
                    self.state.signal_dbm = dbm;
                }
                self.issue(at::command::creg_query(), Op::Health(Health::Creg), t);
            }
            Health::Creg => {
                if let Some(stat) = parse::creg_stat(info) {
                    self.state.registration = Some(Registration::from_stat(stat));
                }
                self.issue(at::command::cops_query(), Op::Health(Health::Cops), t);
            }
            Health::Cops => {
                if let Some(op) = parse::cops_operator(info) {
                    self.state.operator = op;
                }
                self.next_health = Some(self.now + self.cfg.health_interval);
                // No stored-message notifications: poll storage with health.
                if !self.cnmi_ok {
                    self.sweep_due = true;
                }
            }
        }
    }

    fn on_step_final(&mut self, step: Step, ok: bool, fin: &at::Final, info: &[String]) {
        match step {
            Step::Ate0 => self.goto(Step::Cmee),
            Step::Cmee => {
                self.cpin_attempts = 0;
                self.goto(Step::Cpin)
            }
            Step::Cpin | Step::CpinEnter => {
                if step == Step::CpinEnter {
                    return if ok {
                        self.goto(Step::Cpin)
                    } else {
                        self.state.error =
                            Some(format!("SIM PIN refused: {}", classify::describe(fin)));
                        self.wait_until = Some(self.now + Duration::from_secs(300));
                        self.goto(Step::Cpin)
                    };
                }
                self.cpin_attempts += 1;
                match (ok, parse::cpin(info)) {
                    (true, Some(parse::SimState::Ready)) => {
                        self.state.error = None;
                        self.backoff = Duration::ZERO;
                        self.goto(Step::Ident(0));
                    }
                    (true, Some(parse::SimState::NeedsPin))
                        if self.cfg.pin.is_some() && self.cpin_attempts <= 2 =>
                    {
                        self.goto(Step::CpinEnter)
                    }
                    (true, Some(parse::SimState::NeedsPin)) => {
                        self.state.error = Some("SIM PIN required and none accepted".into());
                        self.wait_until = Some(self.now + Duration::from_secs(60));
                        self.goto(Step::Cpin)
                    }
                    (true, Some(parse::SimState::Other(s))) => {
                        self.state.error = Some(format!("SIM state {s}"));
                        self.retry_later(Step::Cpin)
                    }
                    (true, None) => {
                        // Some firmware (Wavecom) drops the answer; assume ready.
                        self.goto(Step::Ident(0))
                    }
                    (false, _) => {
                        let no_sim =
                            matches!(fin, at::Final::Cme(e) if classify::cme_code(e) == Some(10));
                        if no_sim {
                            self.state.error = Some("no SIM inserted".into());
                        }
                        self.retry_later(Step::Cpin)
                    }
                }
            }
            Step::Ident(i) => {
                if ok {
                    let v = parse::identity(info);
                    match IDENTS[i] {
                        Ident::Manufacturer => self.state.manufacturer = v,
                        Ident::Model => self.state.model = v,
                        Ident::Revision => self.state.revision = v,
                        Ident::Imei => self.state.imei = v,
                        Ident::Imsi => self.state.imsi = v,
                        Ident::Iccid => self.state.iccid = v,
                    }
                }
                if i + 1 < IDENTS.len() {
                    self.goto(Step::Ident(i + 1))
                } else {
                    self.backoff = Duration::ZERO;
                    self.goto(Step::Cmgf)
                }
            }
            Step::Cmgf => {
                if ok {
                    self.backoff = Duration::ZERO;
                    self.goto(Step::CpmsTest)
                } else if self.now.duration_since(self.init_started) >= self.cfg.sms_ready_timeout {
                    self.state.error = Some("SMS service never became ready".into());
                    self.soft_reset();
                } else {
                    // ERROR / +CME ERROR: 515 / 14 before "SMS Ready".
                    self.retry_later(Step::Cmgf)
                }
            }
            Step::CpmsTest => {
                let mems = if ok {
                    parse::cpms_test(info)
                } else {
                    Vec::new()
                };
                self.sr_readable = ok && parse::cpms_readable(info).iter().any(|m| m == "SR");
                self.storage = ["ME", "SM", "MT"]
                    .iter()
                    .find(|m| mems.iter().any(|x| x == *m))
                    .map(|m| m.to_string())
                    .or_else(|| mems.first().cloned());
                if self.storage.is_some() {
                    self.goto(Step::Cpms)
                } else {
                    self.after_cpms()
                }
            }
            Step::Cpms => {
                self.mem1 = if ok { self.storage.clone() } else { None };
                self.after_cpms()
            }
            Step::Csms => {
                self.csms_phase2 = ok;
                self.goto(Step::CnmiTest)
            }
            Step::CnmiTest => {
                let ranges = if ok { parse::cnmi_test(info) } else { None };
                let base: &[[u8; 5]] = if self.cfg.direct_delivery {
                    &CNMI_DIRECT
                } else {
                    &CNMI_STORED
                };
                self.cnmi_candidates = base
                    .iter()
                    .filter(|c| match &ranges {
                        Some(r) => c
                            .iter()
                            .zip(r.iter())
                            .all(|(v, allowed)| allowed.is_empty() || allowed.contains(v)),
                        None => true,
                    })
                    .copied()
                    .collect();
                if self.cnmi_candidates.is_empty() {
                    self.cnmi_candidates = base.to_vec();
                }
                self.goto(Step::Cnmi(0))
            }
            Step::Cnmi(i) => {
                if ok {
                    self.cnmi_ok = true;
                    self.csca_attempts = 0;
                    self.goto(Step::Csca)
                } else if i + 1 < self.cnmi_candidates.len() {
                    self.goto(Step::Cnmi(i + 1))
                } else {
                    // No notifications: storage is polled with health.
                    self.cnmi_ok = false;
                    self.csca_attempts = 0;
                    self.goto(Step::Csca)
                }
            }
            Step::Csca => {
                self.csca_attempts += 1;
                if ok {
                    let smsc = parse::csca(info).filter(|s| !s.is_empty());
                    if smsc.is_none() {
                        self.state.error = Some("no SMSC address configured on the SIM".into());
                    }
                    self.state.smsc = smsc;
                    self.goto(Step::Cmms)
                } else if self.csca_attempts < 5 {
                    // +CME ERROR: 14 (SIM busy) right after boot.
                    self.retry_later(Step::Csca)
                } else {
                    self.goto(Step::Cmms)
                }
            }
            // `+CMS ERROR: 500` here is normal on Huawei sticks.
            Step::Cmms => self.enter_ready(),
        }
    }

    fn after_cpms(&mut self) {
        if self.cfg.direct_delivery {
            self.goto(Step::Csms)
        } else {
            self.csms_phase2 = false;
            self.goto(Step::CnmiTest)
        }
    }
}
