//! Sending an MMS through the modem's own MMS client (MODEM-SPEC §7): the
//! vendor AT flows of SIMCom 3G/4G modules (`AT+CMMS*`, asynchronous
//! `+CMMSSEND:` completion URC) and Quectel EC2x (`AT+QMMS*` with files
//! uploaded by `AT+QFUPL`, asynchronous `+QMMSEND:` URC), chosen by modem
//! model. Sans-IO: digester events and `now` come in, commands and raw
//! upload bytes go out.
//!
//! Use: [`MmsFlow::new`], then repeatedly drain [`MmsFlow::poll_output`]
//! (write each [`Output::Command`] after `Digester::expect`, write each
//! [`Output::Data`] raw), feed every digester event to
//! [`MmsFlow::handle_event`] and call [`MmsFlow::handle_timeout`] at
//! [`MmsFlow::poll_timeout`], until [`Output::Done`].
//!
//! Guarantees:
//! - Only the completion URC decides: `+QMMSEND: 0,200` / `+CMMSSEND: 0`
//!   is [`MmsAtOutcome::Accepted`]; the `OK` after the send command is not
//!   the result. No URC in time after that `OK` is
//!   [`MmsAtOutcome::Unknown`] (never to be re-sent automatically: it may
//!   duplicate the MMS). Any failure before the send command (a `+CME
//!   ERROR`, or the send command refused) is [`MmsAtOutcome::NotSent`]
//!   (safe to retry). Error URCs are classified by [`classify_qmmsend`] and
//!   [`classify_cmmssend`]: an MMSC refusal (HTTP 4xx/5xx) is
//!   [`MmsAtOutcome::Rejected`], a set-up error not sent, anything after
//!   the submission started unknown.
//! - The draft and uploaded files are cleared afterwards (errors there are
//!   ignored); every wait has a deadline.
//!
//! Wired into the gateway by `[mms] transport = "modem"`: the runner leases
//! an [`MmsLease`] through `Backend::lease_mms` and the session drives the
//! flow between its own commands (SMS keep flowing while the flow waits for
//! the completion URC).

pub mod recv;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::at::{Command, Event, Final, RetryClass, Urc};

/// Deadline of a setup or editing command.
pub const TIMEOUT_COMMAND: Duration = Duration::from_secs(10);
/// Deadline of `AT+QIACT` (PDP activation can take up to 150 s on EC2x).
pub const TIMEOUT_ACTIVATE: Duration = Duration::from_secs(150);
/// How long the modem may take to accept an upload (CONNECT or `>`) and
/// to confirm it.
pub const TIMEOUT_UPLOAD: Duration = Duration::from_secs(60);
/// The send timeout given to the modem (`AT+QMMSEND=<s>`).
pub const SEND_TIMEOUT_S: u32 = 120;
/// Wait for the completion URC after the send command's `OK`.
pub const TIMEOUT_COMPLETION: Duration = Duration::from_secs(SEND_TIMEOUT_S as u64 + 30);

/// The vendor MMS command family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    /// SIMCom SIM800/SIM900 (2G): `AT+CMMS*` over the `AT+SAPBR` bearer,
    /// `AT+CMMSSEND` blocking until the MMSC answered (MODEM-SPEC §7.1).
    Simcom2g,
    /// SIMCom SIM5320/SIM7100/SIM7500/SIM7600: `AT+CMMS*`, `+CMMSSEND:` URC.
    SimcomAsync,
    /// Quectel EC2x: `AT+QMMS*`, `AT+QFUPL`, `+QMMSEND:` URC.
    Quectel,
}

impl Vendor {
    /// The flow for a modem model (`AT+CGMM`), if it has one.
    pub fn for_model(model: &str) -> Option<Vendor> {
        let m = model.to_ascii_uppercase();
        if ["SIM800", "SIM900"].iter().any(|p| m.contains(p)) {
            Some(Vendor::Simcom2g)
        } else if ["SIM5320", "SIM7100", "SIM7500", "SIM7600"]
            .iter()
            .any(|p| m.contains(p))
        {
            Some(Vendor::SimcomAsync)
        } else if ["EC20", "EC21", "EC25"].iter().any(|p| m.contains(p)) {
            Some(Vendor::Quectel)
        } else {
            None
        }
    }

    /// Whether gsmq retrieves received MMS through this vendor's client
    /// ([`recv::RecvFlow`]); not yet for SIMCom 2G.
    pub fn receives(self) -> bool {
        !matches!(self, Vendor::Simcom2g)
    }
}

/// Where the modem's MMS client sends to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MmsAtConfig {
    pub mmsc_url: String,
    /// MMS proxy host and port.
    pub proxy: Option<(String, u16)>,
    /// The MMS APN (Quectel activates a PDP context on it).
    pub apn: String,
    /// The PDP context id (Quectel).
    pub context_id: u8,
}

/// One file of the MMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MmsFile {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// The MMS to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MmsJob {
    pub to: Vec<String>,
    pub subject: Option<String>,
    /// Sent as a text file first.
    pub text: Option<String>,
    pub files: Vec<MmsFile>,
}

/// An MMS leased for a modem's own MMS client (`Backend::lease_mms`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MmsLease {
    pub mms_id: i64,
    /// Attempts including this one.
    pub attempts: u32,
    pub config: MmsAtConfig,
    pub job: MmsJob,
}

impl MmsJob {
    /// The job carrying a stored m-send-req to `to`: its subject and every
    /// part as a file (named by its name parameter or Content-Location).
    pub fn from_send_req(to: Vec<String>, pdu: &crate::mms::Pdu) -> MmsJob {
        let files = pdu
            .parts()
            .iter()
            .enumerate()
            .map(|(i, p)| MmsFile {
                name: p
                    .content_type
                    .name()
                    .or_else(|| p.content_location())
                    .map_or_else(|| format!("part{i}"), str::to_owned),
                content_type: p.content_type.media.clone(),
                data: p.data.clone(),
            })
            .collect();
        MmsJob {
            to,
            subject: pdu.subject().map(str::to_owned),
            text: None,
            files,
        }
    }
}

/// How the submission ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MmsAtOutcome {
    /// The completion URC reported success.
    Accepted,
    /// The completion URC reported an error (nothing to retry blindly).
    Rejected { reason: String },
    /// The send command was accepted but no completion came in time.
    Unknown { reason: String },
    /// Failed before the send command: nothing was sent.
    NotSent { reason: String },
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Call `Digester::expect(&cmd)`, then write `cmd.to_bytes()`.
    Command(Command),
    /// Write these bytes as they are (an upload after CONNECT or `>`).
    Data(Vec<u8>),
    /// Finished; nothing more will be emitted.
    Done(MmsAtOutcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Setup,
    /// Failing is fine (e.g. activating an already active context).
    SetupTolerant,
    Submit,
    /// The send command blocks until the MMSC answered: its `OK` is the
    /// result (SIMCom 2G).
    SubmitBlocking,
    Cleanup,
}

#[derive(Debug, Clone)]
struct Step {
    cmd: Command,
    /// Raw bytes sent after `CONNECT` (Quectel) or the `>` prompt (SIMCom).
    upload: Option<Vec<u8>>,
    role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Emit the next step.
    Next,
    /// The step's command is out; waiting for CONNECT / `>` before its upload.
    Upload {
        deadline: Instant,
    },
    /// Waiting for the final result.
    Final {
        deadline: Instant,
    },
    /// The send command returned OK; waiting for the completion URC.
    Completion {
        deadline: Instant,
    },
    Finished,
}

/// The state machine of one MMS submission. See the module docs.
#[derive(Debug)]
pub struct MmsFlow {
    vendor: Vendor,
    steps: VecDeque<Step>,
    cleanup: Vec<Step>,
    current: Option<Step>,
    phase: Phase,
    outcome: Option<MmsAtOutcome>,
    out: VecDeque<Output>,
}

fn cmd(line: String, timeout: Duration, retry: RetryClass) -> Command {
    Command {
        line,
        timeout,
        retry,
        prompt: false,
        info_prefix: None,
    }
}

/// A string for a quoted AT parameter (no quotes, no control characters).
fn quoted(s: &str) -> String {
    s.chars().filter(|c| *c != '"' && !c.is_control()).collect()
}

/// A file name safe for the module's file system.
fn file_name(i: usize, name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(40)
        .collect();
    if clean.is_empty() {
        format!("gsmq{i}.bin")
    } else {
        format!("gsmq{i}_{clean}")
    }
}

fn setup(line: String) -> Step {
    Step {
        cmd: cmd(line, TIMEOUT_COMMAND, RetryClass::Idempotent),
        upload: None,
        role: Role::Setup,
    }
}

fn cleanup(line: String) -> Step {
    Step {
        cmd: cmd(line, TIMEOUT_COMMAND, RetryClass::Idempotent),
        upload: None,
        role: Role::Cleanup,
    }
}

impl MmsFlow {
    /// Plans the submission of `job` on a modem of `vendor`. A job the
    /// vendor flow cannot carry ends at once with `NotSent`.
    pub fn new(vendor: Vendor, cfg: &MmsAtConfig, job: &MmsJob) -> MmsFlow {
        let mut files: Vec<MmsFile> = Vec::new();
        if let Some(t) = &job.text {
            files.push(MmsFile {
                name: "text.txt".into(),
                content_type: "text/plain".into(),
                data: t.as_bytes().to_vec(),
            });
        }
        files.extend(job.files.iter().cloned());
        let plan = match vendor {
            Vendor::Quectel => Ok(quectel(cfg, job, &files)),
            Vendor::SimcomAsync => simcom(cfg, job, &files),
            Vendor::Simcom2g => simcom2g(cfg, job, &files),
        };
        let mut flow = MmsFlow {
            vendor,
            steps: VecDeque::new(),
            cleanup: Vec::new(),
            current: None,
            phase: Phase::Next,
            outcome: None,
            out: VecDeque::new(),
        };
        match plan {
            Ok((steps, cleanup)) => {
                flow.steps = steps.into();
                flow.cleanup = cleanup;
            }
            Err(reason) => {
                flow.phase = Phase::Finished;
                flow.out
                    .push_back(Output::Done(MmsAtOutcome::NotSent { reason }));
            }
        }
        flow
    }

    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// The send command was accepted and only the completion URC is
    /// awaited: the AT line is free for other commands meanwhile.
    pub fn awaiting_completion(&self) -> bool {
        matches!(self.phase, Phase::Completion { .. })
    }

    /// The next [`MmsFlow::poll_output`] would issue a command (the line
    /// must be free).
    pub fn needs_line(&self) -> bool {
        self.phase == Phase::Next
    }

    /// The link went away (port closed, modem reset): ends the flow now.
    /// `Unknown` once the send command may have gone out, else `NotSent`.
    pub fn abort(&mut self, reason: &str) -> MmsAtOutcome {
        let submitting = self
            .current
            .as_ref()
            .is_some_and(|s| matches!(s.role, Role::Submit | Role::SubmitBlocking));
        let outcome = match self.outcome.take() {
            Some(o) => o,
            None if self.awaiting_completion() || submitting => MmsAtOutcome::Unknown {
                reason: format!("{reason} after the send command; the MMSC may have the MMS"),
            },
            None => MmsAtOutcome::NotSent {
                reason: reason.to_string(),
            },
        };
        self.steps.clear();
        self.cleanup.clear();
        self.current = None;
        self.phase = Phase::Finished;
        self.out.clear();
        outcome
    }

    /// The next thing to do, if any. Call after `new` and after every input.
    pub fn poll_output(&mut self, now: Instant) -> Option<Output> {
        if self.phase == Phase::Next {
            self.advance(now);
        }
        self.out.pop_front()
    }

    /// When [`MmsFlow::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Upload { deadline }
            | Phase::Final { deadline }
            | Phase::Completion { deadline } => Some(deadline),
            Phase::Next | Phase::Finished => None,
        }
    }

    /// A deadline passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(deadline) = self.poll_timeout() else {
            return;
        };
        if now < deadline {
            return;
        }
        match self.phase.clone() {
            Phase::Completion { .. } => {
                self.conclude(MmsAtOutcome::Unknown {
                    reason: "no completion URC from the modem in time; the MMSC may have the MMS"
                        .into(),
                });
            }
            _ => {
                let line = self.current.as_ref().map_or("", |s| s.cmd.line.as_str());
                let role = self.current.as_ref().map(|s| s.role);
                // An unresponsive modem: stop here, cleanup would time out too.
                self.steps.clear();
                self.cleanup.clear();
                let outcome = self.outcome.take().unwrap_or(MmsAtOutcome::NotSent {
                    reason: format!("no answer to {line}"),
                });
                let outcome = match (role, outcome) {
                    // The send command itself hung: it may have gone out.
                    (Some(Role::Submit | Role::SubmitBlocking), _) => MmsAtOutcome::Unknown {
                        reason: format!("no answer to {line}"),
                    },
                    (_, o) => o,
                };
                self.finish(outcome);
            }
        }
    }

    /// One digester event.
    pub fn handle_event(&mut self, ev: &Event, now: Instant) {
        match (&self.phase, ev) {
            (Phase::Upload { .. }, Event::Prompt) => self.upload(now),
            (Phase::Upload { .. }, Event::Info(l) | Event::Echo(l))
                if l.trim().eq_ignore_ascii_case("CONNECT") =>
            {
                self.upload(now)
            }
            (Phase::Upload { .. } | Phase::Final { .. }, Event::Final(f)) => {
                self.final_result(f, now)
            }
            (Phase::Completion { .. }, Event::Urc(Urc::Unknown(l)) | Event::Info(l)) => {
                if let Some(outcome) = self.completion(l) {
                    self.conclude(outcome);
                }
            }
            _ => {}
        }
    }

    fn advance(&mut self, now: Instant) {
        let Some(step) = self.steps.pop_front() else {
            let outcome = self.outcome.take().unwrap_or(MmsAtOutcome::NotSent {
                reason: "the flow ended without a send command".into(),
            });
            self.finish(outcome);
            return;
        };
        let deadline = now + step.cmd.timeout;
        self.phase = if step.upload.is_some() {
            Phase::Upload { deadline }
        } else {
            Phase::Final { deadline }
        };
        self.out.push_back(Output::Command(step.cmd.clone()));
        self.current = Some(step);
    }

    fn upload(&mut self, now: Instant) {
        let Some(data) = self.current.as_mut().and_then(|s| s.upload.take()) else {
            return;
        };
        self.out.push_back(Output::Data(data));
        self.phase = Phase::Final {
            deadline: now + TIMEOUT_UPLOAD,
        };
    }

    fn final_result(&mut self, f: &Final, now: Instant) {
        let Some(step) = self.current.take() else {
            return;
        };
        let ok = f.is_ok();
        match step.role {
            Role::Submit if ok => {
                self.phase = Phase::Completion {
                    deadline: now + TIMEOUT_COMPLETION,
                };
                return;
            }
            Role::SubmitBlocking if ok => {
                self.conclude(MmsAtOutcome::Accepted);
                return;
            }
            Role::SubmitBlocking => {
                // It blocked while talking to the MMSC: it may have the MMS.
                self.conclude(MmsAtOutcome::Unknown {
                    reason: format!(
                        "{} answered {f:?} after the submission started; the MMSC may have the MMS",
                        step.cmd.line
                    ),
                });
                return;
            }
            Role::Setup | Role::Submit if !ok => {
                self.conclude(MmsAtOutcome::NotSent {
                    reason: format!("{} answered {f:?}", step.cmd.line),
                });
                return;
            }
            _ => {}
        }
        self.phase = Phase::Next;
    }

    /// The outcome a completion URC line reports, if it is one.
    fn completion(&self, line: &str) -> Option<MmsAtOutcome> {
        let (prefix, rest) = line.split_once(':')?;
        let mut fields = rest.split(',').map(str::trim);
        let first = fields.next()?.parse::<u32>().ok()?;
        match (self.vendor, prefix.trim()) {
            (Vendor::Quectel, "+QMMSEND") => {
                let http = fields.next().and_then(|h| h.parse::<u32>().ok());
                Some(classify_qmmsend(first, http))
            }
            (Vendor::SimcomAsync, "+CMMSSEND") => Some(classify_cmmssend(first)),
            _ => None,
        }
    }

    /// Records the outcome and continues with the cleanup steps.
    fn conclude(&mut self, outcome: MmsAtOutcome) {
        self.outcome = Some(outcome);
        self.current = None;
        self.steps = std::mem::take(&mut self.cleanup).into();
        self.phase = Phase::Next;
    }

    fn finish(&mut self, outcome: MmsAtOutcome) {
        self.current = None;
        self.phase = Phase::Finished;
        self.out.push_back(Output::Done(outcome));
    }
}

/// Quectel `+QMMSEND:` errors raised before anything reached the MMSC
/// (busy, no bearer, bad URL or parameters, DNS, socket set-up, MMS draft
/// and file errors): safe to send again. [VERIFY] against the Quectel MMS
/// and HTTP application notes; other codes (unknown error, timeouts,
/// read/write errors, closed sockets) leave the outcome unknown.
pub const QUECTEL_NOT_SENT: &[u32] = &[
    703, 704, 705, 706, 707, 708, 709, 711, 712, 713, 714, 715, 716, 729, 730, 751, 752, 753, 754,
    755, 756, 757, 758, 759, 760, 761, 762,
];

/// The outcome of an MMSC's HTTP status: 200 accepted; 504 (a proxy gave
/// up waiting, the MMSC may have it) unknown; any other 4xx/5xx refused.
fn classify_http(http: u32, what: &str) -> MmsAtOutcome {
    match http {
        200 => MmsAtOutcome::Accepted,
        504 => MmsAtOutcome::Unknown {
            reason: format!("{what}: HTTP 504 gateway timeout; the MMSC may have the MMS"),
        },
        400..=599 => MmsAtOutcome::Rejected {
            reason: format!("{what}: the MMSC answered HTTP {http}"),
        },
        _ => MmsAtOutcome::Unknown {
            reason: format!("{what}: unexpected HTTP {http}"),
        },
    }
}

/// Classifies `+QMMSEND: <err>[,<http>]` (MODEM-SPEC §7.3): only `0,200`
/// is accepted; `0,<4xx/5xx>` refused (504 unknown); a set-up error
/// ([`QUECTEL_NOT_SENT`]) not sent; every other error unknown (the MMSC
/// may have the MMS: never re-sent automatically).
pub fn classify_qmmsend(err: u32, http: Option<u32>) -> MmsAtOutcome {
    let what = match http {
        Some(h) => format!("+QMMSEND: {err},{h}"),
        None => format!("+QMMSEND: {err}"),
    };
    match (err, http) {
        (0, Some(h)) => classify_http(h, &what),
        (0, None) => MmsAtOutcome::Unknown {
            reason: format!("{what}: no HTTP status"),
        },
        (e, _) if QUECTEL_NOT_SENT.contains(&e) => MmsAtOutcome::NotSent {
            reason: format!("{what}: the modem could not start the submission"),
        },
        _ => MmsAtOutcome::Unknown {
            reason: format!("{what}: the submission broke off; the MMSC may have the MMS"),
        },
    }
}

/// Classifies `+CMMSSEND: <n>` (MODEM-SPEC §7.2): 0 accepted; an HTTP
/// status (400–599) as [`classify_qmmsend`] does; any other code unknown
/// (SIMCom documents no set-up codes, so the MMSC may have the MMS). [VERIFY]
pub fn classify_cmmssend(code: u32) -> MmsAtOutcome {
    let what = format!("+CMMSSEND: {code}");
    match code {
        0 => MmsAtOutcome::Accepted,
        400..=599 => classify_http(code, &what),
        _ => MmsAtOutcome::Unknown {
            reason: format!(
                "{what}: the submission failed after it started; the MMSC may have the MMS"
            ),
        },
    }
}

type Plan = (Vec<Step>, Vec<Step>);

/// MODEM-SPEC §7.3.
fn quectel(cfg: &MmsAtConfig, job: &MmsJob, files: &[MmsFile]) -> Plan {
    let ctx = cfg.context_id;
    let ascii = job.subject.as_deref().is_none_or(|s| s.is_ascii());
    // With UTF8 the TO and title fields must be hex (else +CME ERROR: 756).
    let field = |s: &str| {
        if ascii {
            quoted(s)
        } else {
            hex::encode_upper(s.as_bytes())
        }
    };
    let mut steps = vec![
        setup(format!(
            "AT+QICSGP={ctx},1,\"{}\",\"\",\"\",1",
            quoted(&cfg.apn)
        )),
        Step {
            cmd: cmd(
                format!("AT+QIACT={ctx}"),
                TIMEOUT_ACTIVATE,
                RetryClass::Idempotent,
            ),
            upload: None,
            role: Role::SetupTolerant,
        },
        setup(format!("AT+QMMSCFG=\"contextid\",{ctx}")),
        setup(format!("AT+QMMSCFG=\"mmsc\",\"{}\"", quoted(&cfg.mmsc_url))),
    ];
    if let Some((host, port)) = &cfg.proxy {
        steps.push(setup(format!(
            "AT+QMMSCFG=\"proxy\",\"{}\",{port}",
            quoted(host)
        )));
    }
    steps.push(setup("AT+QMMSCFG=\"sendparam\",6,3,0,0,2,4".into()));
    steps.push(setup(format!(
        "AT+QMMSCFG=\"character\",\"{}\"",
        if ascii { "ASCII" } else { "UTF8" }
    )));
    steps.push(setup("AT+QMMSEDIT=0".into()));
    for t in &job.to {
        steps.push(setup(format!("AT+QMMSEDIT=1,1,\"{}\"", field(t))));
    }
    if let Some(s) = &job.subject {
        steps.push(setup(format!("AT+QMMSEDIT=4,1,\"{}\"", field(s))));
    }
    let mut cleanup_steps = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let path = format!("RAM:{}", file_name(i, &f.name));
        steps.push(Step {
            cmd: cmd(
                format!(
                    "AT+QFUPL=\"{path}\",{},{}",
                    f.data.len(),
                    TIMEOUT_UPLOAD.as_secs()
                ),
                TIMEOUT_UPLOAD,
                RetryClass::Idempotent,
            ),
            upload: Some(f.data.clone()),
            role: Role::Setup,
        });
        steps.push(setup(format!("AT+QMMSEDIT=5,1,\"{path}\"")));
        cleanup_steps.push(cleanup(format!("AT+QFDEL=\"{path}\"")));
    }
    steps.push(Step {
        cmd: cmd(
            format!("AT+QMMSEND={SEND_TIMEOUT_S}"),
            TIMEOUT_COMMAND,
            RetryClass::Once,
        ),
        upload: None,
        role: Role::Submit,
    });
    cleanup_steps.push(cleanup("AT+QMMSEDIT=0".into()));
    (steps, cleanup_steps)
}

/// How long the blocking `AT+CMMSSEND` of SIMCom 2G may take.
pub const TIMEOUT_BLOCKING_SEND: Duration = Duration::from_secs(180);
/// The `<timeout_ms>` given to SIMCom 2G `AT+CMMSDOWN`.
pub const DOWN_TIMEOUT_MS: u32 = 40_000;

/// MODEM-SPEC §7.1 (SIM800/SIM900): set up the MMS client and the SAPBR
/// bearer, download the parts after CONNECT, then the blocking send.
fn simcom2g(cfg: &MmsAtConfig, job: &MmsJob, files: &[MmsFile]) -> Result<Plan, String> {
    let url = cfg
        .mmsc_url
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let tolerant = |line: String, timeout: Duration| Step {
        cmd: cmd(line, timeout, RetryClass::Idempotent),
        upload: None,
        role: Role::SetupTolerant,
    };
    // A session left open by a crash makes CMMSINIT fail: close it first.
    let mut steps = vec![
        tolerant("AT+CMMSTERM".into(), TIMEOUT_COMMAND),
        setup("AT+CMMSINIT".into()),
        setup(format!("AT+CMMSCURL=\"{}\"", quoted(url))),
        setup("AT+CMMSCID=1".into()),
    ];
    if let Some((host, port)) = &cfg.proxy {
        steps.push(setup(format!("AT+CMMSPROTO=\"{}\",{port}", quoted(host))));
    }
    steps.push(setup("AT+CMMSSENDCFG=6,3,0,0,2,4".into()));
    steps.push(setup("AT+SAPBR=3,1,\"Contype\",\"GPRS\"".into()));
    steps.push(setup(format!(
        "AT+SAPBR=3,1,\"APN\",\"{}\"",
        quoted(&cfg.apn)
    )));
    // Fails when the bearer is already open.
    steps.push(tolerant("AT+SAPBR=1,1".into(), TIMEOUT_ACTIVATE));
    steps.push(setup("AT+SAPBR=2,1".into()));
    steps.push(setup("AT+CMMSEDIT=1".into()));
    let down = |kind: &str, data: &[u8], name: Option<String>| {
        let mut line = format!("AT+CMMSDOWN=\"{kind}\",{},{DOWN_TIMEOUT_MS}", data.len());
        if let Some(n) = name {
            line.push_str(&format!(",\"{n}\""));
        }
        Step {
            cmd: cmd(line, TIMEOUT_UPLOAD, RetryClass::Idempotent),
            upload: Some(data.to_vec()),
            role: Role::Setup,
        }
    };
    simcom_draft(&mut steps, job, files, down)?;
    steps.push(Step {
        cmd: cmd(
            "AT+CMMSSEND".into(),
            TIMEOUT_BLOCKING_SEND,
            RetryClass::Once,
        ),
        upload: None,
        role: Role::SubmitBlocking,
    });
    let cleanup_steps = vec![
        cleanup("AT+CMMSEDIT=0".into()),
        cleanup("AT+CMMSTERM".into()),
    ];
    Ok((steps, cleanup_steps))
}

/// MODEM-SPEC §7.2: the `AT+CMMSDOWN` kind of a content type.
/// The SIMCom draft shared by the 2G and 3G/4G flows: title, one
/// `AT+CMMSDOWN` per file (uploaded the way `down` builds it), recipients.
fn simcom_draft(
    steps: &mut Vec<Step>,
    job: &MmsJob,
    files: &[MmsFile],
    down: impl Fn(&str, &[u8], Option<String>) -> Step,
) -> Result<(), String> {
    if let Some(s) = &job.subject {
        steps.push(down("TITLE", s.as_bytes(), None));
    }
    for (i, f) in files.iter().enumerate() {
        let kind = simcom_kind(&f.content_type).ok_or_else(|| {
            format!(
                "{} ({}) cannot be attached with AT+CMMSDOWN",
                f.name, f.content_type
            )
        })?;
        steps.push(down(kind, &f.data, Some(file_name(i, &f.name))));
    }
    for t in &job.to {
        steps.push(setup(format!("AT+CMMSRECP=\"{}\"", quoted(t))));
    }
    Ok(())
}

fn simcom_kind(content_type: &str) -> Option<&'static str> {
    let media = content_type.split(';').next()?.trim().to_ascii_lowercase();
    match media.split('/').next()? {
        "image" => Some("PIC"),
        "text" => Some("TEXT"),
        "audio" => Some("AUDIO"),
        "video" => Some("VIDEO"),
        _ => None,
    }
}

/// MODEM-SPEC §7.2.
fn simcom(cfg: &MmsAtConfig, job: &MmsJob, files: &[MmsFile]) -> Result<Plan, String> {
    let url = cfg
        .mmsc_url
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let mut steps = vec![setup(format!("AT+CMMSCURL=\"{}\"", quoted(url)))];
    if let Some((host, port)) = &cfg.proxy {
        steps.push(setup(format!("AT+CMMSPROTO=1,\"{}\",{port}", quoted(host))));
    }
    steps.push(setup("AT+CMMSEDIT=1".into()));
    let down = |kind: &str, data: &[u8], name: Option<String>| {
        let mut line = format!("AT+CMMSDOWN=\"{kind}\",{}", data.len());
        if let Some(n) = name {
            line.push_str(&format!(",\"{n}\""));
        }
        let mut c = cmd(line, TIMEOUT_UPLOAD, RetryClass::Idempotent);
        c.prompt = true;
        Step {
            cmd: c,
            upload: Some(data.to_vec()),
            role: Role::Setup,
        }
    };
    simcom_draft(&mut steps, job, files, down)?;
    steps.push(Step {
        cmd: cmd("AT+CMMSSEND".into(), TIMEOUT_COMMAND, RetryClass::Once),
        upload: None,
        role: Role::Submit,
    });
    Ok((steps, vec![cleanup("AT+CMMSEDIT=0".into())]))
}

#[cfg(test)]
mod tests;
