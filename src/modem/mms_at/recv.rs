//! Receiving an MMS through the modem (MODEM-SPEC §7.2, §7.3), for
//! `[mms] transport = "modem"` where the MMSC is only reachable through the
//! modem's MMS APN. Sans-IO like [`super::MmsFlow`]: digester events,
//! downloaded bytes and `now` come in; commands, raw upload bytes and
//! download requests go out.
//!
//! - SIMCom 3G/4G: `AT+CMMSCURL`, `AT+CMMSPROTO`, `AT+CMMSRECV="<url>"` →
//!   `OK` … URC `+CMMSRECV: 0` (non-zero: failed), `AT+CMMSVIEW` (header
//!   `+CMMSVIEW: "<from>","<subject>","<date>",<n>` and one line
//!   `<idx>,"<name>","<content type>",<size>` per file), then
//!   `AT+CMMSREAD=<idx>` for each file (`+CMMSREAD: <idx>,<size>`, the raw
//!   bytes, `OK`), then `AT+CMMSEDIT=0`. The modem acknowledges to the
//!   MMSC itself.
//! - Quectel EC2x: `AT+QICSGP`/`AT+QIACT` on the MMS APN,
//!   `AT+QHTTPCFG="contextid"`, `AT+QHTTPURL` (CONNECT, URL, OK),
//!   `AT+QHTTPGET` … URC `+QHTTPGET: 0,200,<len>` (errors bare, e.g.
//!   `+QHTTPGET: 702`), `AT+QHTTPREADFILE` … URC `+QHTTPREADFILE: 0` (waited
//!   for before the download: a race gave 0-byte files), `AT+QFDWL`
//!   (CONNECT, the raw m-retrieve-conf, `+QFDWL: <size>,<checksum>`, OK),
//!   then m-notifyresp-ind posted with `AT+QHTTPPOST` and a full request
//!   header (`AT+QHTTPCFG="requestheader",1`), then cleanup. With an MMS
//!   proxy, `AT+QHTTPURL` names the proxy and the GET goes out as a whole
//!   request too (`AT+QHTTPGET=<t>,<len>`, CONNECT, `GET <location>
//!   HTTP/1.1` in absolute form), as does the POST.
//!
//! Use: [`RecvFlow::new`], drain [`RecvFlow::poll_output`]; for an
//! [`Output::Download`] issue its command and hand the `len` raw bytes that
//! follow the `marker` line to [`RecvFlow::handle_download`] (they never go
//! through the digester); feed every digester event to
//! [`RecvFlow::handle_event`]; call [`RecvFlow::handle_timeout`] at
//! [`RecvFlow::poll_timeout`]; until [`Output::Done`].
//!
//! Guarantees: exactly one [`Output::Done`]; every wait has a deadline;
//! downloads are bounded by [`RETRIEVE_MAX`]; a failed fetch is
//! [`FetchOutcome::Failed`] (the caller keeps the notification for a
//! retry); a failed acknowledgement only clears `acknowledged`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{cmd, quoted, MmsAtConfig, MmsFile, Vendor, TIMEOUT_ACTIVATE, TIMEOUT_COMMAND};
use crate::at::{Command, Event, Final, RetryClass, Urc};

/// The HTTP timeout handed to the modem (`AT+QHTTPGET=<t>` etc.).
pub const HTTP_TIMEOUT_S: u32 = 80;
/// Wait for a fetch's completion URC after the command's `OK`.
pub const TIMEOUT_FETCH: Duration = Duration::from_secs(HTTP_TIMEOUT_S as u64 + 30);
/// Wait for the bytes of a download to start.
pub const TIMEOUT_DOWNLOAD: Duration = Duration::from_secs(60);
/// Largest message or file downloaded from the modem.
pub const RETRIEVE_MAX: usize = 2 * 1024 * 1024;
/// Most files of one received MMS (SIMCom `AT+CMMSVIEW`).
pub const FILES_MAX: usize = 32;
/// The Quectel RAM file the retrieved message is written to.
pub const QUECTEL_FILE: &str = "RAM:gsmq_mms.bin";

/// A `+WAP_PUSH_MMS:` URC (SIMCom 3G/4G): the modem took the WAP push
/// itself and reports the notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushNotice {
    pub from: String,
    pub transaction_id: String,
    pub location: String,
    pub size: Option<u64>,
}

/// Splits `a,"b,c",d` at commas outside quotes and unquotes each field.
pub(crate) fn fields(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in args.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// Parses `+WAP_PUSH_MMS: "<from>","<tid>","<url>","<date>",<class>,<size>`.
pub fn parse_wap_push_mms(line: &str) -> Option<PushNotice> {
    let (prefix, rest) = line.split_once(':')?;
    if !prefix.trim().eq_ignore_ascii_case("+WAP_PUSH_MMS") {
        return None;
    }
    let f = fields(rest);
    let from = f.first()?.clone();
    let transaction_id = f.get(1)?.clone();
    let location = f.get(2)?.clone();
    if transaction_id.is_empty() || location.is_empty() {
        return None;
    }
    // The date holds a comma: the size is the last field.
    let size = f.last().and_then(|s| s.parse::<u64>().ok());
    Some(PushNotice {
        from,
        transaction_id,
        location,
        size,
    })
}

/// Parses the SIM800 answer to `AT+CMMSRDPUSH=<n>` (MODEM-SPEC §7.1):
/// `+CMMSRDPUSH: <type>,"<sender>","<subject>","<tid>","<url>","<time>",<class>,<size>`.
pub fn parse_cmmsrdpush(line: &str) -> Option<PushNotice> {
    let (prefix, rest) = line.split_once(':')?;
    if !prefix.trim().eq_ignore_ascii_case("+CMMSRDPUSH") {
        return None;
    }
    let f = fields(rest);
    let from = f.get(1)?.clone();
    let transaction_id = f.get(3)?.clone();
    let location = f.get(4)?.clone();
    if transaction_id.is_empty() || location.is_empty() {
        return None;
    }
    Some(PushNotice {
        from,
        transaction_id,
        location,
        size: f.last().and_then(|s| s.parse::<u64>().ok()),
    })
}

/// The message to fetch (from an m-notification-ind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchJob {
    pub transaction_id: String,
    /// X-Mms-Content-Location.
    pub location: String,
}

/// A stored WAP push leased for a modem's own MMS client
/// (`Backend::lease_mms_fetch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MmsFetchLease {
    pub push_id: i64,
    /// Who sent the push (the fallback sender of the MMS).
    pub sender: String,
    /// Attempts including this one.
    pub attempts: u32,
    pub config: MmsAtConfig,
    pub job: FetchJob,
}

/// What the SIMCom modem shows of a retrieved MMS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ViewedMms {
    pub from: Option<String>,
    pub subject: Option<String>,
    /// As the modem prints it (`yy/mm/dd,hh:mm:ss+zz`).
    pub date: Option<String>,
    pub files: Vec<MmsFile>,
}

/// The retrieved message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retrieved {
    /// The raw m-retrieve-conf (Quectel); `acknowledged` when the
    /// m-notifyresp-ind was posted and answered 2xx.
    RetrieveConf { pdu: Vec<u8>, acknowledged: bool },
    /// The files the modem's MMS client unpacked (SIMCom).
    Files(ViewedMms),
}

/// How a fetch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    Retrieved(Retrieved),
    /// Nothing retrieved (keep the notification and try again later).
    Failed {
        reason: String,
    },
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Call `Digester::expect(&cmd)`, then write `cmd.to_bytes()`.
    Command(Command),
    /// As `Command`, then take the `len` raw bytes after the line that
    /// starts with `marker` (that line and the bytes bypass the digester)
    /// and hand them to [`RecvFlow::handle_download`].
    Download {
        cmd: Command,
        marker: &'static str,
        len: usize,
    },
    /// Write these bytes as they are (after CONNECT).
    Data(Vec<u8>),
    /// Finished; nothing more will be emitted.
    Done(FetchOutcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaited {
    CmmsRecv,
    QhttpGet,
    QhttpReadFile,
    QhttpPost,
}

impl Awaited {
    fn prefix(self) -> &'static str {
        match self {
            Awaited::CmmsRecv => "+CMMSRECV",
            Awaited::QhttpGet => "+QHTTPGET",
            Awaited::QhttpReadFile => "+QHTTPREADFILE",
            Awaited::QhttpPost => "+QHTTPPOST",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `OK`, then the next step.
    Plain,
    /// Any final: the next step (e.g. activating an active context).
    Tolerant,
    /// CONNECT, these bytes, the final, then this URC if any.
    Upload(Vec<u8>, Option<Awaited>),
    /// `OK`, then this URC.
    Await(Awaited),
    /// `AT+CMMSVIEW`: the header and file lines.
    View,
    /// The raw bytes of file `file` (SIMCom) or of the message (`None`).
    Download {
        marker: &'static str,
        file: Option<usize>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Fetch,
    Notify,
    Cleanup,
}

#[derive(Debug, Clone)]
struct Step {
    cmd: Command,
    kind: Kind,
    group: Group,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Next,
    /// Waiting for CONNECT before the upload.
    Upload {
        deadline: Instant,
    },
    /// Waiting for the final result (and, for a download, the bytes).
    Final {
        deadline: Instant,
    },
    /// `OK` came; waiting for the completion URC.
    Urc {
        deadline: Instant,
    },
    Finished,
}

/// The state machine of one retrieval. See the module docs.
#[derive(Debug)]
pub struct RecvFlow {
    vendor: Vendor,
    steps: VecDeque<Step>,
    notify: Vec<Step>,
    cleanup: Vec<Step>,
    current: Option<Step>,
    phase: Phase,
    out: VecDeque<Output>,
    /// Why the fetch failed, once it did.
    failed: Option<String>,
    acknowledged: bool,
    /// `+QHTTPGET` content length.
    body_len: Option<usize>,
    /// Bytes of the current download.
    downloaded: Option<Vec<u8>>,
    pdu: Option<Vec<u8>>,
    viewed: ViewedMms,
    /// The `AT+CMMSVIEW` answer lines.
    view_lines: Vec<String>,
    /// File sizes announced by `AT+CMMSVIEW`.
    sizes: Vec<usize>,
}

fn step(line: String, timeout: Duration, kind: Kind, group: Group) -> Step {
    Step {
        cmd: cmd(line, timeout, RetryClass::Idempotent),
        kind,
        group,
    }
}

/// The HTTP request m-notifyresp-ind is posted with (Quectel
/// `requestheader` mode: the data is the whole request).
/// With `absolute` (through an HTTP proxy) the request target is the whole
/// URL.
fn notify_request(mmsc_url: &str, tid: &str, absolute: bool) -> Option<Vec<u8>> {
    let body = crate::mms::Pdu::notifyresp_ind(tid, crate::mms::status::RETRIEVED)
        .encode()
        .ok()?;
    let (host, path) = split_url(mmsc_url);
    let target = if absolute { mmsc_url } else { path };
    let mut req = format!(
        "POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/vnd.wap.mms-message\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    Some(req)
}

/// The GET of `location` through an HTTP proxy (absolute-form target).
fn proxied_get(location: &str) -> Vec<u8> {
    let (host, _) = split_url(location);
    format!(
        "GET {location} HTTP/1.1\r\nHost: {host}\r\nAccept: application/vnd.wap.mms-message\r\n\r\n"
    )
    .into_bytes()
}

/// Host (with port) and path of an `http://` URL.
fn split_url(url: &str) -> (&str, &str) {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    }
}

impl RecvFlow {
    /// Plans the retrieval of `job` on a modem of `vendor`.
    pub fn new(vendor: Vendor, cfg: &MmsAtConfig, job: &FetchJob) -> RecvFlow {
        let mut flow = RecvFlow {
            vendor,
            steps: VecDeque::new(),
            notify: Vec::new(),
            cleanup: Vec::new(),
            current: None,
            phase: Phase::Next,
            out: VecDeque::new(),
            failed: None,
            acknowledged: false,
            body_len: None,
            downloaded: None,
            pdu: None,
            viewed: ViewedMms::default(),
            view_lines: Vec::new(),
            sizes: Vec::new(),
        };
        match vendor {
            Vendor::SimcomAsync => flow.plan_simcom(cfg, job),
            Vendor::Quectel => flow.plan_quectel(cfg, job),
            Vendor::Simcom2g => {
                flow.fail("retrieval through SIMCom 2G modems is not supported".into())
            }
        }
        flow
    }

    fn plan_simcom(&mut self, cfg: &MmsAtConfig, job: &FetchJob) {
        use Group::*;
        let url = cfg
            .mmsc_url
            .trim_start_matches("http://")
            .trim_start_matches("https://");
        let t = TIMEOUT_COMMAND;
        self.steps.push_back(step(
            format!("AT+CMMSCURL=\"{}\"", quoted(url)),
            t,
            Kind::Plain,
            Fetch,
        ));
        if let Some((host, port)) = &cfg.proxy {
            self.steps.push_back(step(
                format!("AT+CMMSPROTO=1,\"{}\",{port}", quoted(host)),
                t,
                Kind::Plain,
                Fetch,
            ));
        }
        self.steps.push_back(step(
            format!("AT+CMMSRECV=\"{}\"", quoted(&job.location)),
            t,
            Kind::Await(Awaited::CmmsRecv),
            Fetch,
        ));
        self.steps
            .push_back(step("AT+CMMSVIEW".into(), t, Kind::View, Fetch));
        self.cleanup
            .push(step("AT+CMMSEDIT=0".into(), t, Kind::Tolerant, Cleanup));
        // The SIMCom client acknowledges to the MMSC itself.
        self.acknowledged = true;
    }

    fn plan_quectel(&mut self, cfg: &MmsAtConfig, job: &FetchJob) {
        use Group::*;
        let t = TIMEOUT_COMMAND;
        let ctx = cfg.context_id;
        let http_t = HTTP_TIMEOUT_S;
        self.steps.push_back(step(
            format!("AT+QICSGP={ctx},1,\"{}\",\"\",\"\",1", quoted(&cfg.apn)),
            t,
            Kind::Plain,
            Fetch,
        ));
        self.steps.push_back(step(
            format!("AT+QIACT={ctx}"),
            TIMEOUT_ACTIVATE,
            Kind::Tolerant,
            Fetch,
        ));
        self.steps.push_back(step(
            format!("AT+QHTTPCFG=\"contextid\",{ctx}"),
            t,
            Kind::Plain,
            Fetch,
        ));
        // Through the MMS proxy, the HTTP client talks to the proxy and
        // sends whole requests with absolute-form targets.
        let proxy = cfg
            .proxy
            .as_ref()
            .map(|(host, port)| format!("http://{}:{port}/", quoted(host)));
        self.steps.push_back(step(
            format!(
                "AT+QHTTPCFG=\"requestheader\",{}",
                u8::from(proxy.is_some())
            ),
            t,
            Kind::Plain,
            Fetch,
        ));
        let url = proxy
            .clone()
            .unwrap_or_else(|| job.location.clone())
            .into_bytes();
        self.steps.push_back(step(
            format!("AT+QHTTPURL={},{http_t}", url.len()),
            t,
            Kind::Upload(url, None),
            Fetch,
        ));
        self.steps.push_back(match &proxy {
            Some(_) => {
                let get = proxied_get(&job.location);
                step(
                    format!("AT+QHTTPGET={http_t},{}", get.len()),
                    t,
                    Kind::Upload(get, Some(Awaited::QhttpGet)),
                    Fetch,
                )
            }
            None => step(
                format!("AT+QHTTPGET={http_t}"),
                t,
                Kind::Await(Awaited::QhttpGet),
                Fetch,
            ),
        });
        self.steps.push_back(step(
            format!("AT+QHTTPREADFILE=\"{QUECTEL_FILE}\",{http_t}"),
            t,
            Kind::Await(Awaited::QhttpReadFile),
            Fetch,
        ));
        self.steps.push_back(step(
            format!("AT+QFDWL=\"{QUECTEL_FILE}\""),
            TIMEOUT_DOWNLOAD,
            Kind::Download {
                marker: "CONNECT",
                file: None,
            },
            Fetch,
        ));
        if let Some(req) = notify_request(&cfg.mmsc_url, &job.transaction_id, proxy.is_some()) {
            let url = proxy.unwrap_or_else(|| cfg.mmsc_url.clone()).into_bytes();
            self.notify.push(step(
                format!("AT+QHTTPURL={},{http_t}", url.len()),
                t,
                Kind::Upload(url, None),
                Notify,
            ));
            self.notify.push(step(
                "AT+QHTTPCFG=\"requestheader\",1".into(),
                t,
                Kind::Plain,
                Notify,
            ));
            self.notify.push(step(
                format!("AT+QHTTPPOST={},{http_t},{http_t}", req.len()),
                t,
                Kind::Upload(req, Some(Awaited::QhttpPost)),
                Notify,
            ));
        }
        self.cleanup.push(step(
            "AT+QHTTPCFG=\"requestheader\",0".into(),
            t,
            Kind::Tolerant,
            Cleanup,
        ));
        self.cleanup.push(step(
            format!("AT+QFDEL=\"{QUECTEL_FILE}\""),
            t,
            Kind::Tolerant,
            Cleanup,
        ));
    }

    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// A command is out and only a completion URC is awaited: the AT line
    /// is free for other commands meanwhile.
    pub fn awaiting_urc(&self) -> bool {
        matches!(self.phase, Phase::Urc { .. })
    }

    /// The next [`RecvFlow::poll_output`] would issue a command.
    pub fn needs_line(&self) -> bool {
        self.phase == Phase::Next
    }

    /// The link went away: ends the flow now (failed: try again later).
    pub fn abort(&mut self, reason: &str) -> FetchOutcome {
        let fetching = self
            .current
            .iter()
            .chain(self.steps.iter())
            .any(|s| s.group == Group::Fetch);
        if fetching && self.failed.is_none() {
            self.failed = Some(reason.to_string());
        }
        self.steps.clear();
        self.notify.clear();
        self.cleanup.clear();
        self.current = None;
        self.phase = Phase::Finished;
        self.out.clear();
        self.outcome_or(reason)
    }

    fn outcome_or(&mut self, reason: &str) -> FetchOutcome {
        if let Some(r) = self.failed.take() {
            return FetchOutcome::Failed { reason: r };
        }
        match self.vendor {
            Vendor::Quectel => match self.pdu.take() {
                Some(pdu) => FetchOutcome::Retrieved(Retrieved::RetrieveConf {
                    pdu,
                    acknowledged: self.acknowledged,
                }),
                None => FetchOutcome::Failed {
                    reason: reason.to_string(),
                },
            },
            Vendor::SimcomAsync if !self.viewed.files.is_empty() && self.steps.is_empty() => {
                FetchOutcome::Retrieved(Retrieved::Files(std::mem::take(&mut self.viewed)))
            }
            Vendor::SimcomAsync | Vendor::Simcom2g => FetchOutcome::Failed {
                reason: reason.to_string(),
            },
        }
    }

    /// The next thing to do, if any. Call after `new` and after every input.
    pub fn poll_output(&mut self, now: Instant) -> Option<Output> {
        if self.phase == Phase::Next {
            self.advance(now);
        }
        self.out.pop_front()
    }

    /// When [`RecvFlow::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Upload { deadline } | Phase::Final { deadline } | Phase::Urc { deadline } => {
                Some(deadline)
            }
            Phase::Next | Phase::Finished => None,
        }
    }

    /// A deadline passed: the flow ends at once (cleanup would time out too).
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(deadline) = self.poll_timeout() else {
            return;
        };
        if now < deadline {
            return;
        }
        let what = match (&self.phase, &self.current) {
            (Phase::Urc { .. }, Some(s)) => format!(
                "no {} after {}",
                match &s.kind {
                    Kind::Await(a) | Kind::Upload(_, Some(a)) => a.prefix(),
                    _ => "answer",
                },
                s.cmd.line
            ),
            (_, Some(s)) => format!("no answer to {}", s.cmd.line),
            (_, None) => "no answer".to_string(),
        };
        let in_fetch = self
            .current
            .as_ref()
            .is_none_or(|s| s.group == Group::Fetch);
        if in_fetch && self.failed.is_none() {
            self.failed = Some(what);
        } else if self
            .current
            .as_ref()
            .is_some_and(|s| s.group == Group::Notify)
        {
            self.acknowledged = false;
        }
        self.steps.clear();
        self.notify.clear();
        self.cleanup.clear();
        let outcome = self.outcome_or("no answer");
        self.finish(outcome);
    }

    /// The raw bytes of an [`Output::Download`].
    pub fn handle_download(&mut self, bytes: Vec<u8>, now: Instant) {
        if matches!(
            self.current.as_ref().map(|s| &s.kind),
            Some(Kind::Download { .. })
        ) {
            self.downloaded = Some(bytes);
            self.phase = Phase::Final {
                deadline: now + TIMEOUT_COMMAND,
            };
        }
    }

    /// One digester event.
    pub fn handle_event(&mut self, ev: &Event, now: Instant) {
        match (self.phase, ev) {
            (Phase::Upload { .. }, Event::Info(l) | Event::Echo(l))
                if l.trim().eq_ignore_ascii_case("CONNECT") =>
            {
                self.upload(now)
            }
            (Phase::Upload { .. } | Phase::Final { .. }, Event::Final(f)) => {
                self.final_result(f, now)
            }
            (Phase::Final { .. }, Event::Info(l)) => self.info(l),
            (Phase::Urc { .. }, Event::Urc(Urc::Unknown(l)) | Event::Info(l)) => self.urc(l),
            _ => {}
        }
    }

    fn advance(&mut self, now: Instant) {
        let next = match self.steps.pop_front() {
            Some(s) => Some(s),
            None => {
                if self.failed.is_none() && !self.notify.is_empty() {
                    self.steps = std::mem::take(&mut self.notify).into();
                } else {
                    self.notify.clear();
                    self.steps = std::mem::take(&mut self.cleanup).into();
                }
                self.steps.pop_front()
            }
        };
        let Some(step) = next else {
            let outcome = self.outcome_or("the flow ended without a message");
            self.finish(outcome);
            return;
        };
        let deadline = now + step.cmd.timeout;
        self.phase = match step.kind {
            Kind::Upload(..) => Phase::Upload { deadline },
            _ => Phase::Final { deadline },
        };
        match &step.kind {
            Kind::Download { marker, file } => {
                let len = match file {
                    Some(i) => self.sizes.get(*i).copied().unwrap_or(0),
                    None => self.body_len.unwrap_or(0),
                };
                self.downloaded = None;
                self.out.push_back(Output::Download {
                    cmd: step.cmd.clone(),
                    marker,
                    len,
                });
            }
            _ => self.out.push_back(Output::Command(step.cmd.clone())),
        }
        self.current = Some(step);
    }

    fn upload(&mut self, now: Instant) {
        let Some(Kind::Upload(data, _)) = self.current.as_mut().map(|s| &mut s.kind) else {
            return;
        };
        let data = std::mem::take(data);
        self.out.push_back(Output::Data(data));
        self.phase = Phase::Final {
            deadline: now + super::TIMEOUT_UPLOAD,
        };
    }

    fn info(&mut self, line: &str) {
        let Some(step) = &self.current else {
            return;
        };
        match step.kind {
            Kind::View if self.view_lines.len() <= FILES_MAX => {
                self.view_lines.push(line.to_string());
            }
            Kind::Download { file: None, .. } if line.starts_with("+QFDWL") => {
                // `+QFDWL: <size>,<checksum>`: the size must match.
                let size = line
                    .split_once(':')
                    .and_then(|(_, r)| r.split(',').next())
                    .and_then(|s| s.trim().parse::<usize>().ok());
                let got = self.downloaded.as_ref().map(Vec::len);
                if size.is_some() && size != got {
                    self.fail(format!("{line} does not match the {got:?} bytes read"));
                }
            }
            _ => {}
        }
    }

    fn final_result(&mut self, f: &Final, now: Instant) {
        let Some(step) = self.current.take() else {
            return;
        };
        let ok = f.is_ok();
        match (&step.kind, ok) {
            (Kind::Tolerant, _) => {}
            (_, false) => {
                let reason = format!("{} answered {f:?}", step.cmd.line);
                self.step_failed(step.group, reason);
            }
            (Kind::Await(_) | Kind::Upload(_, Some(_)), true) => {
                self.current = Some(step);
                self.phase = Phase::Urc {
                    deadline: now + TIMEOUT_FETCH,
                };
                return;
            }
            (Kind::View, true) => self.view_done(),
            (Kind::Download { file, .. }, true) => match self.downloaded.take() {
                None => self.fail(format!("{} gave no data", step.cmd.line)),
                Some(data) => match file {
                    Some(i) => {
                        if let Some(f) = self.viewed.files.get_mut(*i) {
                            f.data = data;
                        }
                    }
                    None => self.pdu = Some(data),
                },
            },
            (Kind::Plain | Kind::Upload(_, None), true) => {}
        }
        self.phase = Phase::Next;
    }

    /// A completion URC line (or something else while waiting for one).
    fn urc(&mut self, line: &str) {
        let what = match self.current.as_ref().map(|s| &s.kind) {
            Some(Kind::Await(w) | Kind::Upload(_, Some(w))) => *w,
            _ => return,
        };
        let Some((prefix, rest)) = line.split_once(':') else {
            return;
        };
        if !prefix.trim().eq_ignore_ascii_case(what.prefix()) {
            return;
        }
        let nums: Vec<Option<u64>> = rest.split(',').map(|f| f.trim().parse().ok()).collect();
        let err = nums.first().copied().flatten();
        let http = nums.get(1).copied().flatten();
        let group = self.current.as_ref().map_or(Group::Fetch, |s| s.group);
        self.current = None;
        self.phase = Phase::Next;
        let failure = match what {
            Awaited::CmmsRecv | Awaited::QhttpReadFile => {
                (err != Some(0)).then(|| format!("{}:{rest}", what.prefix()))
            }
            Awaited::QhttpPost => (err != Some(0)
                || !http.is_some_and(|h| (200..300).contains(&h)))
            .then(|| format!("{}:{rest}", what.prefix())),
            Awaited::QhttpGet => {
                let len = nums.get(2).copied().flatten();
                match (err, http, len) {
                    (Some(0), Some(200), Some(len)) if len as usize <= RETRIEVE_MAX && len > 0 => {
                        self.body_len = Some(len as usize);
                        None
                    }
                    (Some(0), Some(200), Some(len)) if len > 0 => Some(format!(
                        "the message has {len} bytes, more than {RETRIEVE_MAX}"
                    )),
                    (Some(0), Some(200), _) => {
                        Some(format!("{}:{rest}: no content length", what.prefix()))
                    }
                    _ => Some(format!("{}:{rest}", what.prefix())),
                }
            }
        };
        if let Some(reason) = failure {
            self.step_failed(group, reason);
        } else if what == Awaited::QhttpPost {
            self.acknowledged = true;
        }
    }

    /// Parses the `AT+CMMSVIEW` answer and plans one read per file.
    fn view_done(&mut self) {
        let lines = std::mem::take(&mut self.view_lines);
        let mut files = Vec::new();
        for l in &lines {
            if let Some(rest) = l.strip_prefix("+CMMSVIEW:") {
                let f = fields(rest);
                let opt = |i: usize| f.get(i).filter(|s| !s.is_empty()).cloned();
                self.viewed.from = opt(0);
                self.viewed.subject = opt(1);
                self.viewed.date = opt(2);
                continue;
            }
            let f = fields(l);
            let (Some(idx), Some(name), Some(ct), Some(size)) = (
                f.first().and_then(|s| s.parse::<u32>().ok()),
                f.get(1),
                f.get(2),
                f.get(3).and_then(|s| s.parse::<usize>().ok()),
            ) else {
                continue;
            };
            if size > RETRIEVE_MAX || files.len() >= FILES_MAX {
                self.fail(format!("{l}: file too large or too many files"));
                return;
            }
            files.push((idx, name.clone(), ct.clone(), size));
        }
        if files.is_empty() {
            self.fail("AT+CMMSVIEW listed no files".into());
            return;
        }
        for (i, (idx, name, ct, size)) in files.into_iter().enumerate() {
            self.viewed.files.push(MmsFile {
                name,
                content_type: ct,
                data: Vec::new(),
            });
            self.sizes.push(size);
            self.steps.push_back(step(
                format!("AT+CMMSREAD={idx}"),
                TIMEOUT_DOWNLOAD,
                Kind::Download {
                    marker: "+CMMSREAD:",
                    file: Some(i),
                },
                Group::Fetch,
            ));
        }
    }

    fn step_failed(&mut self, group: Group, reason: String) {
        match group {
            Group::Fetch => self.fail(reason),
            Group::Notify => {
                self.acknowledged = false;
                self.steps.clear();
            }
            Group::Cleanup => {}
        }
    }

    /// The fetch failed: only the cleanup steps remain.
    fn fail(&mut self, reason: String) {
        if self.failed.is_none() {
            self.failed = Some(reason);
        }
        self.steps.clear();
        self.notify.clear();
    }

    fn finish(&mut self, outcome: FetchOutcome) {
        self.current = None;
        self.phase = Phase::Finished;
        self.out.push_back(Output::Done(outcome));
    }
}

/// Longest line kept while looking for a download's marker line.
const CAPTURE_LINE_MAX: usize = 4096;

/// Splits the modem's bytes during an [`Output::Download`]: lines before
/// the marker line go to the digester, then `len` raw bytes are taken,
/// then the rest goes to the digester again. Sans-IO; chunking-invariant.
#[derive(Debug)]
pub struct Capture {
    marker: &'static str,
    remaining: usize,
    line: Vec<u8>,
    data: Vec<u8>,
    started: bool,
}

/// What [`Capture::feed`] made of a chunk.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fed {
    /// Bytes before the marker line: for the digester.
    pub before: Vec<u8>,
    /// The download, once complete.
    pub data: Option<Vec<u8>>,
    /// Bytes after the download: for the digester.
    pub after: Vec<u8>,
}

impl Capture {
    pub fn new(marker: &'static str, len: usize) -> Capture {
        Capture {
            marker,
            remaining: len.min(RETRIEVE_MAX),
            line: Vec::new(),
            data: Vec::new(),
            started: false,
        }
    }

    /// True once the marker line was seen (the raw bytes are being taken).
    pub fn started(&self) -> bool {
        self.started
    }

    /// Feeds modem bytes; after `data` is returned the capture is spent.
    pub fn feed(&mut self, bytes: &[u8]) -> Fed {
        let mut fed = Fed::default();
        let mut rest = bytes;
        while !self.started && !rest.is_empty() {
            let b = rest[0];
            rest = &rest[1..];
            self.line.push(b);
            if b == b'\n' || self.line.len() >= CAPTURE_LINE_MAX {
                let line = std::mem::take(&mut self.line);
                let text = String::from_utf8_lossy(&line);
                if text.trim().starts_with(self.marker) {
                    self.started = true;
                } else {
                    fed.before.extend_from_slice(&line);
                }
            }
        }
        if self.started {
            let n = self.remaining.min(rest.len());
            self.data.extend_from_slice(&rest[..n]);
            self.remaining -= n;
            rest = &rest[n..];
            if self.remaining == 0 {
                fed.data = Some(std::mem::take(&mut self.data));
                fed.after = rest.to_vec();
            }
        }
        fed
    }

    /// Bytes held back (an unfinished line before the marker): for the
    /// digester when the capture is dropped.
    pub fn into_pending(self) -> Vec<u8> {
        if self.started {
            Vec::new()
        } else {
            self.line
        }
    }
}

/// Fuzz entry (`fuzz/fuzz_targets/mms_at_recv.rs`): arbitrary modem bytes
/// through a [`Capture`] whole and in small chunks, which must agree, and
/// every line through the notification parsers. Panics only on a broken
/// invariant.
pub fn fuzz_capture(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let marker = if first & 1 == 0 {
        "CONNECT"
    } else {
        "+CMMSREAD:"
    };
    let len = usize::from(first) * 4;
    let whole = capture_all(marker, len, rest, rest.len().max(1));
    let chunked = capture_all(marker, len, rest, usize::from(first % 7) + 1);
    assert_eq!(whole, chunked, "the capture depends on chunking");
    if let Some(d) = &whole.1 {
        assert_eq!(d.len(), len, "a download of the wrong length");
    }
    for line in String::from_utf8_lossy(rest).lines() {
        let _ = parse_wap_push_mms(line);
        let _ = parse_cmmsrdpush(line);
    }
}

/// Feeds `data` in `step`-byte chunks: (bytes for the digester, download).
fn capture_all(
    marker: &'static str,
    len: usize,
    data: &[u8],
    step: usize,
) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut c = Capture::new(marker, len);
    let mut digest = Vec::new();
    let mut got = None;
    for piece in data.chunks(step) {
        if got.is_some() {
            digest.extend_from_slice(piece);
            continue;
        }
        let fed = c.feed(piece);
        digest.extend(fed.before);
        if let Some(d) = fed.data {
            got = Some(d);
            digest.extend(fed.after);
        }
    }
    if got.is_none() {
        digest.extend(c.into_pending());
    }
    (digest, got)
}

#[cfg(test)]
mod tests;
