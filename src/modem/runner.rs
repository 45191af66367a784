//! One task per modem: owns the serial port (the only importer of
//! tokio-serial), drives a [`Session`] with bytes and time, and performs the
//! session's events against the [`Backend`].
//!
//! Guarantees:
//! - The link driver ([`ModemRunner::drive`]) is generic over
//!   `AsyncRead + AsyncWrite`, so tests use a PTY or an in-memory duplex.
//! - A serial EOF or I/O error (unplug) fails the part in flight back to the
//!   queue and reopens the port with backoff until it comes back.
//! - A received message is reported committed to the session only after
//!   [`Backend::inbound`] returned `Ok`.
//! - A hung modem only ever blocks its own task.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::mms_at;
use super::session::{Input, Output, Session, SessionConfig, SessionEvent};
use super::{Backend, BoxFuture, ModemState, ModemStatus, StatusReport};

/// A byte stream to a modem.
pub trait Port: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Port for T {}

/// Opens (and reopens) the port of one modem.
pub trait PortOpener: Send + Sync + 'static {
    /// Opens the port; called again after every close.
    fn open(&self) -> BoxFuture<'_, std::io::Result<Box<dyn Port>>>;
    /// For logs.
    fn describe(&self) -> String;
    /// The port opened last was closed (a scanner releases its claim).
    fn closed(&self) {}
}

/// Opens a serial device (or a PTY) by path with tokio-serial. A by-id
/// symlink is resolved at every open, so a modem that comes back under a
/// new tty name is found again.
#[derive(Debug, Clone)]
pub struct SerialOpener {
    pub path: std::path::PathBuf,
    pub baud: u32,
}

impl PortOpener for SerialOpener {
    fn open(&self) -> BoxFuture<'_, std::io::Result<Box<dyn Port>>> {
        Box::pin(async move {
            let path = std::fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone());
            let port = open_serial(&path, self.baud)?;
            Ok(Box::new(port) as Box<dyn Port>)
        })
    }
    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

fn open_serial(path: &std::path::Path, baud: u32) -> std::io::Result<tokio_serial::SerialStream> {
    use tokio_serial::SerialPortBuilderExt;
    tokio_serial::new(path.to_string_lossy(), baud)
        .open_native_async()
        .map_err(std::io::Error::other)
}

/// The serial ports in use, so that a scanner never probes a port another
/// runner holds (that would corrupt its session).
#[derive(Debug, Default)]
pub struct PortClaims {
    /// Ports configured by path (resolved at every scan: by-id links move).
    fixed: Vec<std::path::PathBuf>,
    /// Ports scanners hold now (resolved paths).
    taken: std::collections::HashSet<std::path::PathBuf>,
}

impl PortClaims {
    /// Claims shared by the runners of one pool; `fixed` are the ports
    /// configured by path.
    pub fn new(fixed: Vec<std::path::PathBuf>) -> Arc<std::sync::Mutex<PortClaims>> {
        Arc::new(std::sync::Mutex::new(PortClaims {
            fixed,
            taken: Default::default(),
        }))
    }

    fn busy(&self, port: &std::path::Path) -> bool {
        self.taken.contains(port)
            || self
                .fixed
                .iter()
                .any(|f| std::fs::canonicalize(f).is_ok_and(|f| f == port))
    }
}

/// Finds a modem by IMEI among the ports matching `patterns` (globs such
/// as `/dev/serial/by-id/*`, `/dev/ttyUSB*`), at every open: a modem that
/// re-enumerates under another name is found again. Ports other runners
/// hold are skipped; each candidate gets [`super::probe::ImeiProbe`].
#[derive(Debug)]
pub struct ScanOpener {
    pub patterns: Vec<String>,
    pub baud: u32,
    pub imei: String,
    pub claims: Arc<std::sync::Mutex<PortClaims>>,
    /// The port this opener holds now.
    held: std::sync::Mutex<Option<std::path::PathBuf>>,
}

impl ScanOpener {
    pub fn new(
        patterns: Vec<String>,
        baud: u32,
        imei: String,
        claims: Arc<std::sync::Mutex<PortClaims>>,
    ) -> Self {
        Self {
            patterns,
            baud,
            imei,
            claims,
            held: Default::default(),
        }
    }

    fn claims(&self) -> std::sync::MutexGuard<'_, PortClaims> {
        self.claims.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Candidate ports, resolved and de-duplicated, in a stable order.
    fn candidates(&self) -> Vec<std::path::PathBuf> {
        let mut out = std::collections::BTreeSet::new();
        for pattern in &self.patterns {
            let Ok(paths) = glob::glob(pattern) else {
                tracing::warn!(%pattern, "bad port scan pattern ignored");
                continue;
            };
            for p in paths.flatten() {
                if let Ok(real) = std::fs::canonicalize(&p) {
                    out.insert(real);
                }
            }
        }
        out.into_iter().collect()
    }

    /// Opens `port` and asks for its IMEI; `Ok(None)` when something else answers.
    async fn probe(&self, port: &std::path::Path) -> std::io::Result<Option<Box<dyn Port>>> {
        use super::probe::{ImeiProbe, Progress, PROBE_STEP};
        let mut serial = open_serial(port, self.baud)?;
        let (mut probe, first) = ImeiProbe::start();
        serial.write_all(&first).await?;
        let mut buf = [0u8; 512];
        loop {
            let progress = match tokio::time::timeout(PROBE_STEP, serial.read(&mut buf)).await {
                Ok(Ok(0)) => Progress::NotAModem,
                Ok(Ok(n)) => probe.feed(&buf[..n]),
                Ok(Err(e)) => return Err(e),
                Err(_) => probe.timeout(),
            };
            match progress {
                Progress::Wait => {}
                Progress::Write(bytes) => serial.write_all(&bytes).await?,
                Progress::Found(imei) if imei == self.imei => {
                    return Ok(Some(Box::new(serial) as Box<dyn Port>))
                }
                Progress::Found(imei) => {
                    tracing::debug!(port = %port.display(), %imei, want = %self.imei, "another modem");
                    return Ok(None);
                }
                Progress::NotAModem => return Ok(None),
            }
        }
    }
}

impl PortOpener for ScanOpener {
    fn open(&self) -> BoxFuture<'_, std::io::Result<Box<dyn Port>>> {
        Box::pin(async move {
            self.closed();
            for port in self.candidates() {
                {
                    let mut claims = self.claims();
                    if claims.busy(&port) {
                        continue;
                    }
                    claims.taken.insert(port.clone());
                }
                match self.probe(&port).await {
                    Ok(Some(found)) => {
                        tracing::info!(imei = %self.imei, port = %port.display(), "modem found by IMEI");
                        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = Some(port);
                        return Ok(found);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::debug!(port = %port.display(), error = %e, "port not probed")
                    }
                }
                self.claims().taken.remove(&port);
            }
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no modem with IMEI {} on {:?}", self.imei, self.patterns),
            ))
        })
    }

    fn describe(&self) -> String {
        match &*self.held.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(p) => format!("{} (IMEI {})", p.display(), self.imei),
            None => format!("IMEI {} on {}", self.imei, self.patterns.join(" ")),
        }
    }

    fn closed(&self) {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(p) = held {
            self.claims().taken.remove(&p);
        }
    }
}

/// A USSD request for a runner.
#[derive(Debug)]
pub struct UssdRequest {
    pub code: String,
    pub reply: oneshot::Sender<std::result::Result<String, String>>,
}

/// The handle to a running modem: its state and a USSD channel.
#[derive(Debug, Clone)]
pub struct ModemHandle {
    name: String,
    state: watch::Receiver<ModemState>,
    ussd: mpsc::Sender<UssdRequest>,
}

impl ModemHandle {
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The latest state.
    pub fn state(&self) -> ModemState {
        self.state.borrow().clone()
    }
    /// A receiver that sees every state change. Do not hold a borrow of
    /// it (or the `Ref` from `wait_for`) across an await: the runner's
    /// next state update waits for it.
    pub fn watch(&self) -> watch::Receiver<ModemState> {
        self.state.clone()
    }
    /// Runs a USSD code, serialised with the modem's SMS traffic.
    pub async fn ussd(&self, code: &str) -> std::result::Result<String, String> {
        let (tx, rx) = oneshot::channel();
        self.ussd
            .send(UssdRequest {
                code: code.to_string(),
                reply: tx,
            })
            .await
            .map_err(|_| "modem stopped".to_string())?;
        rx.await.map_err(|_| "modem stopped".to_string())?
    }
}

/// Why [`ModemRunner::drive`] returned.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkEnd {
    /// Shutdown was requested.
    Cancelled,
    /// The port closed (EOF, I/O error) or the session asked for a reopen.
    Closed(String),
}

/// Runner tunables.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    pub session: SessionConfig,
    /// How often an idle runner asks the backend anyway (scheduled and
    /// backed-off parts have no wake-up).
    pub idle_poll: Duration,
    /// First and maximum delay between reopen attempts.
    pub reopen_min: Duration,
    pub reopen_max: Duration,
    /// The IMEI this modem must have; a different modem on the port is
    /// refused (closed and retried), so a renumbered tty never swaps SIMs.
    pub expected_imei: Option<String>,
    /// How long the link may be down before the messages stuck to this
    /// modem are handed to others ([`Backend::release_modem`]).
    pub failover_after: Duration,
}

impl RunnerConfig {
    pub fn new(session: SessionConfig) -> Self {
        Self {
            session,
            expected_imei: None,
            failover_after: Duration::from_secs(60),
            idle_poll: Duration::from_millis(500),
            reopen_min: Duration::from_millis(200),
            reopen_max: Duration::from_secs(10),
        }
    }
}

/// The task that owns one modem's port.
pub struct ModemRunner {
    name: String,
    cfg: RunnerConfig,
    backend: Arc<dyn Backend>,
    opener: Box<dyn PortOpener>,
    cancel: CancellationToken,
    session: Session,
    state_tx: watch::Sender<ModemState>,
    ussd_rx: mpsc::Receiver<UssdRequest>,
    ussd_pending:
        std::collections::HashMap<u64, oneshot::Sender<std::result::Result<String, String>>>,
    next_ussd: u64,
    /// Attempt counts of the MMS handed to the session, by id.
    mms_attempts: std::collections::HashMap<i64, u32>,
    /// The retrieval handed to the session.
    fetching: Option<mms_at::recv::MmsFetchLease>,
    in_flight: usize,
    /// The link reached `ready` since it was last opened.
    was_ready: bool,
}

impl std::fmt::Debug for ModemRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModemRunner")
            .field("name", &self.name)
            .field("port", &self.opener.describe())
            .finish()
    }
}

impl ModemRunner {
    /// A runner plus the handle to talk to it.
    pub fn new(
        cfg: RunnerConfig,
        backend: Arc<dyn Backend>,
        opener: Box<dyn PortOpener>,
        cancel: CancellationToken,
    ) -> (ModemRunner, ModemHandle) {
        let name = cfg.session.name.clone();
        let (state_tx, state_rx) = watch::channel(ModemState::new(&name));
        let (ussd_tx, ussd_rx) = mpsc::channel(16);
        let session = Session::new(cfg.session.clone(), Instant::now().into_std());
        let runner = ModemRunner {
            name: name.clone(),
            cfg,
            backend,
            opener,
            cancel,
            session,
            state_tx,
            ussd_rx,
            ussd_pending: Default::default(),
            next_ussd: 1,
            mms_attempts: Default::default(),
            fetching: None,
            in_flight: 0,
            was_ready: false,
        };
        let handle = ModemHandle {
            name,
            state: state_rx,
            ussd: ussd_tx,
        };
        (runner, handle)
    }

    /// Opens the port, drives the modem, reopens with backoff after every
    /// close; returns only on cancellation.
    pub async fn run(mut self) {
        let mut backoff = self.cfg.reopen_min;
        // Since when the link is down (from the start: a modem that never
        // comes up must not hold messages either).
        let mut down_since = Instant::now();
        let mut released = false;
        loop {
            if self.cancel.is_cancelled() {
                return;
            }
            if !released && down_since.elapsed() >= self.cfg.failover_after {
                released = true;
                if let Err(e) = self.backend.release_modem(&self.name).await {
                    tracing::warn!(modem = %self.name, error = %e, "releasing the modem's messages failed");
                    released = false;
                }
            }
            let opened = tokio::select! {
                _ = self.cancel.cancelled() => return,
                r = self.opener.open() => r,
            };
            match opened {
                Ok(port) => {
                    tracing::info!(modem = %self.name, port = %self.opener.describe(), "port open");
                    let started = Instant::now();
                    let end = self.drive(port).await;
                    self.opener.closed();
                    match end {
                        LinkEnd::Cancelled => return,
                        LinkEnd::Closed(reason) => {
                            tracing::warn!(modem = %self.name, %reason, "link closed");
                        }
                    }
                    if self.was_ready {
                        down_since = Instant::now();
                        released = false;
                        self.was_ready = false;
                    }
                    if started.elapsed() > Duration::from_secs(30) {
                        backoff = self.cfg.reopen_min;
                    }
                }
                Err(e) => {
                    tracing::debug!(modem = %self.name, port = %self.opener.describe(), error = %e, "open failed");
                }
            }
            let failover_at = down_since + self.cfg.failover_after;
            let pause = if released {
                backoff
            } else {
                backoff.min(failover_at.saturating_duration_since(Instant::now()))
            };
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
            backoff = (backoff * 2).min(self.cfg.reopen_max);
        }
    }

    /// Drives one open link until it closes or shutdown is requested.
    pub async fn drive<P: AsyncRead + AsyncWrite + Unpin + Send>(&mut self, port: P) -> LinkEnd {
        let (mut rd, mut wr) = tokio::io::split(port);
        let mut changes = self.backend.queue_changes();
        let mut buf = vec![0u8; 4096];
        let mut want_poll = true;
        let mut next_poll = Instant::now();
        self.input(Input::Opened);
        loop {
            // Drain the session: writes and events, until it wants a timer.
            let deadline = loop {
                match self.session.poll_output() {
                    Output::Transmit(bytes) => {
                        tracing::trace!(modem = %self.name, tx = %String::from_utf8_lossy(&bytes).escape_debug(), "write");
                        let w = async {
                            wr.write_all(&bytes).await?;
                            wr.flush().await
                        };
                        if let Err(e) = w.await {
                            return self.close(format!("write: {e}")).await;
                        }
                    }
                    Output::Event(ev) => {
                        if let Some(end) = self.on_event(ev).await {
                            return self.close(end).await;
                        }
                    }
                    Output::Timeout(t) => break Instant::from_std(t),
                }
            };
            if self.session.wants_part() && want_poll {
                changes.borrow_and_update();
                match self.backend.next_part(&self.name).await {
                    Ok(Some(part)) => {
                        self.in_flight = 1;
                        self.input(Input::Send(part));
                    }
                    Ok(None) => {
                        if self.start_mms().await {
                            continue;
                        }
                        want_poll = false;
                        next_poll = Instant::now() + self.cfg.idle_poll;
                        self.input(Input::Idle);
                    }
                    Err(e) => {
                        tracing::warn!(modem = %self.name, error = %e, "next_part failed");
                        want_poll = false;
                        next_poll = Instant::now() + self.cfg.idle_poll;
                    }
                }
                continue;
            }
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    self.input(Input::Closed("shutdown".into()));
                    self.settle_events().await;
                    return LinkEnd::Cancelled;
                }
                r = rd.read(&mut buf) => match r {
                    Ok(0) => return self.close("EOF".into()).await,
                    Ok(n) => {
                        tracing::trace!(modem = %self.name, rx = %String::from_utf8_lossy(&buf[..n]).escape_debug(), "read");
                        self.input(Input::Received(&buf[..n]))
                    }
                    Err(e) => return self.close(format!("read: {e}")).await,
                },
                _ = tokio::time::sleep_until(deadline) => self.input(Input::Tick),
                r = changes.changed() => {
                    if r.is_ok() {
                        want_poll = true;
                    }
                }
                _ = tokio::time::sleep_until(next_poll), if !want_poll => want_poll = true,
                Some(req) = self.ussd_rx.recv() => {
                    let id = self.next_ussd;
                    self.next_ussd += 1;
                    self.ussd_pending.insert(id, req.reply);
                    self.input(Input::Ussd { id, code: req.code });
                }
            }
        }
    }

    /// Leases an MMS notification to retrieve, else a queued MMS to send,
    /// for the modem's own MMS client and hands it to the session, if the
    /// modem has a vendor flow and the backend uses modems for MMS; `true`
    /// if one was handed over.
    async fn start_mms(&mut self) -> bool {
        if !self.session.wants_mms() {
            return false;
        }
        let Some(vendor) = self
            .session
            .state()
            .model
            .as_deref()
            .and_then(mms_at::Vendor::for_model)
        else {
            return false;
        };
        let fetched = if vendor.receives() {
            self.backend.lease_mms_fetch(&self.name).await
        } else {
            Ok(None)
        };
        match fetched {
            Ok(Some(lease)) => {
                tracing::info!(modem = %self.name, push_id = lease.push_id, ?vendor, "retrieving an MMS through the modem");
                let flow = mms_at::recv::RecvFlow::new(vendor, &lease.config, &lease.job);
                let push_id = lease.push_id;
                self.fetching = Some(lease);
                self.input(Input::MmsFetch {
                    push_id,
                    flow: Box::new(flow),
                });
                return true;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(modem = %self.name, error = %e, "lease_mms_fetch failed"),
        }
        match self.backend.lease_mms(&self.name).await {
            Ok(Some(lease)) => {
                tracing::info!(modem = %self.name, mms_id = lease.mms_id, ?vendor, "sending an MMS through the modem");
                let flow = mms_at::MmsFlow::new(vendor, &lease.config, &lease.job);
                self.mms_attempts.insert(lease.mms_id, lease.attempts);
                self.input(Input::Mms {
                    id: lease.mms_id,
                    flow: Box::new(flow),
                });
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(modem = %self.name, error = %e, "lease_mms failed");
                false
            }
        }
    }

    fn input(&mut self, input: Input<'_>) {
        self.session.handle_input(Instant::now().into_std(), input);
    }

    /// Tells the session the port is gone and settles its events (failed
    /// parts go back to the queue).
    async fn close(&mut self, reason: String) -> LinkEnd {
        self.input(Input::Closed(reason.clone()));
        self.settle_events().await;
        LinkEnd::Closed(reason)
    }

    async fn settle_events(&mut self) {
        loop {
            match self.session.poll_output() {
                Output::Event(ev) => {
                    let _ = self.on_event(ev).await;
                }
                Output::Transmit(_) => {}
                Output::Timeout(_) => return,
            }
        }
    }

    /// Performs one session event; `Some(reason)` closes the link.
    async fn on_event(&mut self, ev: SessionEvent) -> Option<String> {
        match ev {
            SessionEvent::PartSent { part_id, mr } => {
                self.in_flight = 0;
                if let Err(e) = self.backend.part_sent(&self.name, part_id, mr).await {
                    tracing::error!(modem = %self.name, part_id, error = %e, "recording a sent part failed");
                }
            }
            SessionEvent::PartFailed {
                part_id,
                class,
                reason,
            } => {
                self.in_flight = 0;
                tracing::info!(modem = %self.name, part_id, ?class, %reason, "part failed");
                if let Err(e) = self
                    .backend
                    .part_failed(&self.name, part_id, class, reason)
                    .await
                {
                    tracing::error!(modem = %self.name, part_id, error = %e, "recording a failed part failed");
                }
            }
            SessionEvent::Inbound { token, pdu, source } => {
                let committed = self.inbound(&pdu).await;
                if let Err(e) = &committed {
                    tracing::warn!(modem = %self.name, ?source, error = %e, "inbound message not committed");
                }
                self.input(if committed.is_ok() {
                    Input::Committed(token)
                } else {
                    Input::CommitFailed(token)
                });
            }
            SessionEvent::State(state) => {
                let mut state = *state;
                state.queue = self.in_flight;
                if let (Some(want), Some(got)) = (&self.cfg.expected_imei, &state.imei) {
                    if want != got {
                        let reason =
                            format!("wrong modem on the port: IMEI {got}, expected {want}");
                        tracing::error!(modem = %self.name, %reason);
                        state.status = ModemStatus::Offline;
                        state.error = Some(reason.clone());
                        self.state_tx.send_replace(state.clone());
                        self.backend.state_changed(state).await;
                        return Some(reason);
                    }
                }
                if state.status == ModemStatus::Ready {
                    self.was_ready = true;
                } else {
                    tracing::info!(modem = %self.name, status = ?state.status, "modem state");
                }
                self.state_tx.send_replace(state.clone());
                self.backend.state_changed(state).await;
            }
            SessionEvent::UssdReply { id, result } => {
                if let Some(tx) = self.ussd_pending.remove(&id) {
                    let _ = tx.send(result);
                }
            }
            SessionEvent::MmsDone { id, outcome } => {
                let attempts = self.mms_attempts.remove(&id).unwrap_or(1);
                tracing::info!(modem = %self.name, mms_id = id, ?outcome, "MMS flow ended");
                if let Err(e) = self
                    .backend
                    .mms_done(&self.name, id, attempts, outcome)
                    .await
                {
                    tracing::error!(modem = %self.name, mms_id = id, error = %e, "recording an MMS outcome failed");
                }
            }
            SessionEvent::MmsFetched { push_id, outcome } => {
                tracing::info!(modem = %self.name, push_id, ok = matches!(outcome, mms_at::recv::FetchOutcome::Retrieved(_)), "MMS retrieval ended");
                match self.fetching.take().filter(|l| l.push_id == push_id) {
                    Some(lease) => {
                        if let Err(e) = self.backend.mms_fetched(&self.name, &lease, outcome).await
                        {
                            tracing::error!(modem = %self.name, push_id, error = %e, "recording an MMS retrieval failed");
                        }
                    }
                    None => {
                        tracing::warn!(modem = %self.name, push_id, "retrieval of an unknown push ended")
                    }
                }
            }
            SessionEvent::MmsNotice(notice) => {
                if let Err(e) = self.backend.mms_notice(&self.name, notice).await {
                    tracing::error!(modem = %self.name, error = %e, "storing an MMS notification failed");
                }
            }
            SessionEvent::Reopen { reason } => return Some(reason),
        }
        None
    }

    /// Routes a received PDU: delivery reports to
    /// [`Backend::status_report`], everything else to [`Backend::inbound`].
    async fn inbound(&self, pdu: &[u8]) -> super::Result<()> {
        match crate::pdu::decode(pdu, true) {
            Ok(crate::pdu::Decoded {
                tpdu: crate::pdu::Tpdu::StatusReport(sr),
                ..
            }) => {
                self.backend
                    .status_report(StatusReport {
                        modem: self.name.clone(),
                        message_reference: sr.message_reference,
                        recipient: sr.recipient.to_string(),
                        status: sr.status,
                        submitted: Some(sr.scts.with_timezone(&chrono::Utc)),
                    })
                    .await
            }
            // Deliver PDUs, and anything undecodable, go to the inbox.
            _ => self.backend.inbound(&self.name, pdu).await,
        }
    }
}
