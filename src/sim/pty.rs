//! The I/O side of one simulated modem: a tokio task that owns the PTY
//! master (non-blocking, through `AsyncFd`), feeds a [`Modem`] with the
//! bytes the DTE writes and the passing time, writes its output back, and
//! handles unplug/re-plug by closing the PTY and opening a new one behind a
//! stable symlink.
//!
//! Guarantees: the slave is in raw mode before anyone can open it; the task
//! keeps its own slave descriptor open so a client that closes and reopens
//! the port never makes the master report EIO; output waiting for a slow
//! reader is bounded by [`MAX_PENDING_OUTPUT`] (oldest bytes dropped);
//! commands from [`SimHandle`]s go through a bounded channel.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::fcntl::OFlag;
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt, PtyMaster};
use nix::sys::stat::Mode;
use nix::sys::termios;
use tokio::io::unix::AsyncFd;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::codec::Alphabet;
use super::modem::{Modem, ModemEvent, ResetKind};
use super::timing::DELAY_MAX;
use super::{assemble, Error, Personality, Result, SentPart, SentSms, SimOptions};

/// Most output bytes kept for a reader that does not read.
pub const MAX_PENDING_OUTPUT: usize = 64 * 1024;
/// Most submitted parts kept in the sent log.
pub const MAX_SENT_LOG: usize = 10_000;
/// Depth of the command channel of one simulator task.
const COMMAND_QUEUE: usize = 64;

static LINK_COUNTER: AtomicU64 = AtomicU64::new(0);

pub(crate) enum Command {
    InjectText {
        from: String,
        text: String,
        alphabet: Alphabet,
        reply: oneshot::Sender<Result<usize>>,
    },
    InjectTpdu {
        tpdu: Vec<u8>,
        /// Apply the network delivery delay (messages between modems).
        delayed: bool,
    },
    Reset(ResetKind),
    Unplug {
        down_for: Duration,
        rename: bool,
    },
    Hang(Duration),
    SetSignal(u8, u8),
    SetRegistration(u8),
    Urc(String),
    PtyPath(oneshot::Sender<PathBuf>),
}

struct Shared {
    /// The last [`MAX_SENT_LOG`] submitted parts (a simulator inside a
    /// long-running daemon must not grow without bound).
    sent: Mutex<VecDeque<SentPart>>,
}

/// Handle to a running simulated modem. Cheap to clone; the simulator stops
/// when the last handle is dropped.
#[derive(Clone)]
pub struct SimHandle {
    path: PathBuf,
    personality: Personality,
    number: String,
    seed: u64,
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    /// Removes a private temporary link directory on drop.
    _guard: Arc<LinkGuard>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("path", &self.path)
            .field("personality", &self.personality)
            .field("number", &self.number)
            .field("seed", &self.seed)
            .finish()
    }
}

struct LinkGuard {
    dir: Option<PathBuf>,
    link: PathBuf,
}

impl Drop for LinkGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.link);
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir(d);
        }
    }
}

impl SimHandle {
    /// The stable path of the modem's serial port (a symlink that follows
    /// the PTY across unplug/re-plug).
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn personality(&self) -> Personality {
        self.personality
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    /// The seed this modem runs with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The current PTY slave (`/dev/pts/N`), which changes on re-plug.
    pub async fn pty_path(&self) -> Result<PathBuf> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::PtyPath(tx)).await?;
        rx.await.map_err(|_| Error::Stopped)
    }

    /// Delivers `text` from `from` now, encoded with the PDU codec (GSM 7-bit
    /// when possible, else UCS-2; concatenated when long). Returns the
    /// number of parts.
    pub async fn inject_sms(&self, from: &str, text: &str) -> Result<usize> {
        self.inject_sms_with(from, text, Alphabet::Auto).await
    }

    /// As [`SimHandle::inject_sms`] with an explicit alphabet.
    pub async fn inject_sms_with(
        &self,
        from: &str,
        text: &str,
        alphabet: Alphabet,
    ) -> Result<usize> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::InjectText {
            from: from.into(),
            text: text.into(),
            alphabet,
            reply: tx,
        })
        .await?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// Delivers a raw SMS-DELIVER TPDU (no SMSC octets) now.
    pub async fn inject_pdu(&self, tpdu: &[u8]) -> Result<()> {
        self.send(Command::InjectTpdu {
            tpdu: tpdu.to_vec(),
            delayed: false,
        })
        .await
    }

    pub(crate) async fn deliver_from_network(&self, tpdu: Vec<u8>) -> Result<()> {
        self.send(Command::InjectTpdu {
            tpdu,
            delayed: true,
        })
        .await
    }

    /// The messages submitted so far (the last [`MAX_SENT_LOG`] parts), parts joined.
    pub async fn sent_log(&self) -> Vec<SentSms> {
        assemble(&self.sent_parts().await)
    }

    /// The submitted parts, oldest first (the last [`MAX_SENT_LOG`]).
    pub async fn sent_parts(&self) -> Vec<SentPart> {
        self.shared
            .sent
            .lock()
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Resets the modem (boot URCs, echo back on).
    pub async fn reset(&self, kind: ResetKind) -> Result<()> {
        self.send(Command::Reset(kind)).await
    }

    /// Closes the PTY (the DTE sees EIO/HUP) and re-plugs after `down_for`,
    /// at a new PTY when `rename`; the stable path follows.
    pub async fn unplug(&self, down_for: Duration, rename: bool) -> Result<()> {
        let down_for = down_for.min(DELAY_MAX);
        self.send(Command::Unplug { down_for, rename }).await
    }

    /// Stops answering for `d` (the PTY stays open).
    pub async fn hang(&self, d: Duration) -> Result<()> {
        self.send(Command::Hang(d.min(DELAY_MAX))).await
    }

    /// Sets `+CSQ: <rssi>,<ber>`.
    pub async fn set_signal(&self, rssi: u8, ber: u8) -> Result<()> {
        self.send(Command::SetSignal(rssi, ber)).await
    }

    /// Sets the registration `<stat>` (1 home, 5 roaming, 0/2/3 not registered).
    pub async fn set_registration(&self, stat: u8) -> Result<()> {
        self.send(Command::SetRegistration(stat)).await
    }

    /// Emits an arbitrary URC at the next line boundary.
    pub async fn inject_urc(&self, text: &str) -> Result<()> {
        self.send(Command::Urc(text.into())).await
    }

    async fn send(&self, c: Command) -> Result<()> {
        self.tx.send(c).await.map_err(|_| Error::Stopped)
    }
}

/// Starts a simulated modem on a new PTY (call inside a tokio runtime).
pub fn spawn(opts: SimOptions) -> Result<SimHandle> {
    spawn_with(opts, None)
}

pub(crate) fn spawn_with(
    opts: SimOptions,
    submitted: Option<mpsc::Sender<SentPart>>,
) -> Result<SimHandle> {
    opts.timing.validate().map_err(Error::Options)?;
    opts.faults.validate().map_err(Error::Options)?;
    let (link, dir) = match &opts.link {
        Some(l) => (l.clone(), None),
        None => {
            let n = LINK_COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("gsmq-sim-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).map_err(|source| Error::Link {
                path: dir.clone(),
                source,
            })?;
            (dir.join("tty"), Some(dir))
        }
    };
    let guard = Arc::new(LinkGuard {
        dir,
        link: link.clone(),
    });
    let pty = Pty::open(None)?;
    relink(&link, &pty.slave_path)?;
    tracing::info!(
        personality = %opts.personality,
        seed = opts.seed,
        link = %link.display(),
        pty = %pty.slave_path.display(),
        "simulated modem started"
    );
    let now = Instant::now();
    let modem = Modem::new(opts.clone(), now.into_std(), chrono::Utc::now());
    let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
    let shared = Arc::new(Shared {
        sent: Mutex::new(VecDeque::new()),
    });
    let (mms_tx, mms_rx) = mpsc::channel(COMMAND_QUEUE);
    let task = Task {
        mms_tx,
        mms_rx,
        modem,
        pty: Some(pty),
        link: link.clone(),
        pending: Vec::new(),
        rx,
        shared: shared.clone(),
        submitted,
        replug: None,
        last_pty_path: PathBuf::new(),
    };
    tokio::spawn(task.run());
    Ok(SimHandle {
        path: link,
        personality: opts.personality,
        number: opts.number,
        seed: opts.seed,
        tx,
        shared,
        _guard: guard,
    })
}

/// Points `link` at `target` atomically (create beside, then rename).
fn relink(link: &Path, target: &Path) -> Result<()> {
    let err = |source| Error::Link {
        path: link.to_path_buf(),
        source,
    };
    if let Some(parent) = link.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
    }
    let tmp = link.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).map_err(err)?;
    std::fs::rename(&tmp, link).map_err(err)?;
    Ok(())
}

struct Pty {
    master: AsyncFd<PtyMaster>,
    _slave: OwnedFd,
    slave_path: PathBuf,
}

impl Pty {
    /// Opens a PTY pair with the slave in raw mode; `avoid` names a slave
    /// path the new PTY must not reuse (re-plug with a new name).
    fn open(avoid: Option<&Path>) -> Result<Pty> {
        let first = Self::open_one()?;
        if avoid.is_some_and(|a| a == first.slave_path) {
            let second = Self::open_one()?;
            drop(first);
            return Ok(second);
        }
        Ok(first)
    }

    fn open_one() -> Result<Pty> {
        let e = |e: nix::Error| Error::Pty(std::io::Error::from(e));
        let master =
            posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK).map_err(e)?;
        grantpt(&master).map_err(e)?;
        unlockpt(&master).map_err(e)?;
        let slave_path = PathBuf::from(ptsname_r(&master).map_err(e)?);
        let slave_fd = nix::fcntl::open(
            &slave_path,
            OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK,
            Mode::empty(),
        )
        .map_err(e)?;
        // SAFETY: `open` just returned this descriptor and nothing else owns it.
        let slave: OwnedFd = unsafe { std::os::fd::FromRawFd::from_raw_fd(slave_fd) };
        let mut t = termios::tcgetattr(&slave).map_err(e)?;
        termios::cfmakeraw(&mut t);
        let _ = termios::cfsetspeed(&mut t, termios::BaudRate::B115200);
        termios::tcsetattr(&slave, termios::SetArg::TCSANOW, &t).map_err(e)?;
        // SAFETY: `PtyMaster` owns its descriptor, which stays open and the
        // same until the `AsyncFd` (which owns the `PtyMaster`) is dropped.
        let master = unsafe { AsyncFd::register(master) }.map_err(|e| Error::Pty(e.into()))?;
        Ok(Pty {
            master,
            _slave: slave,
            slave_path,
        })
    }
}

/// Posts a simulated modem's MMS to its MMSC: `Ok` when accepted, else the
/// HTTP status (0 when the MMSC could not be reached or never answered).
async fn post_mms(sub: super::MmsSubmission) -> std::result::Result<(), u16> {
    use crate::mmsc::{Mm1Client, Mm1Config, SendOutcome};
    let cfg = Mm1Config {
        mmsc_url: sub.mmsc_url.clone(),
        proxy: sub.proxy.clone(),
        request_timeout: Duration::from_secs(30),
        ..Mm1Config::default()
    };
    let sent = match (Mm1Client::new(cfg), crate::mms::Pdu::decode(&sub.pdu)) {
        (Ok(client), Ok(pdu)) => client.send(&pdu).await,
        (Err(e), _) => Err(e),
        (_, Err(e)) => Err(e.into()),
    };
    tracing::info!(id = sub.id, url = %sub.mmsc_url, ?sent, "simulated modem posted an MMS");
    match sent {
        Ok(SendOutcome::Accepted { .. }) => Ok(()),
        Ok(SendOutcome::Rejected { http_status, .. }) if http_status != 200 => Err(http_status),
        Ok(SendOutcome::Rejected { .. }) => Err(400),
        Ok(SendOutcome::Unknown { .. }) | Err(_) => Err(0),
    }
}

struct Task {
    /// Results of MMS submissions posted by spawned HTTP tasks.
    mms_tx: mpsc::Sender<super::mms::NetReply>,
    mms_rx: mpsc::Receiver<super::mms::NetReply>,
    modem: Modem,
    pty: Option<Pty>,
    link: PathBuf,
    pending: Vec<u8>,
    rx: mpsc::Receiver<Command>,
    shared: Arc<Shared>,
    submitted: Option<mpsc::Sender<SentPart>>,
    replug: Option<(Instant, bool)>,
    last_pty_path: PathBuf,
}

enum Wake {
    Read(std::io::Result<Vec<u8>>),
    Writable,
    Command(Option<Command>),
    Mms(Option<super::mms::NetReply>),
    Timer,
}

impl Task {
    async fn run(mut self) {
        let mut buf = vec![0u8; 4096];
        loop {
            let now = Instant::now();
            self.modem.handle_timeout(now.into_std());
            self.drain(now);
            let deadline = [
                self.modem.poll_timeout().map(Instant::from_std),
                self.replug.map(|(at, _)| at),
            ]
            .into_iter()
            .flatten()
            .min();
            let wake = {
                let pty = self.pty.as_ref();
                let want_write = !self.pending.is_empty();
                tokio::select! {
                    r = read_some(pty, &mut buf) => Wake::Read(r),
                    _ = writable(pty), if want_write => Wake::Writable,
                    c = self.rx.recv() => Wake::Command(c),
                    r = self.mms_rx.recv() => Wake::Mms(r),
                    _ = sleep_until(deadline) => Wake::Timer,
                }
            };
            match wake {
                Wake::Read(Ok(bytes)) => {
                    tracing::trace!(link = %self.link.display(), rx = %bytes.escape_ascii(), "from the DTE");
                    self.modem.handle_input(&bytes, Instant::now().into_std());
                }
                Wake::Read(Err(e)) => {
                    tracing::warn!(error = %e, "PTY read failed; closing it");
                    self.pty = None;
                }
                Wake::Writable => {}
                Wake::Command(None) => break,
                Wake::Command(Some(c)) => self.command(c).await,
                Wake::Mms(Some(r)) => self.modem.mms_reply(r, Instant::now().into_std()),
                Wake::Mms(None) => {}
                Wake::Timer => {}
            }
            if let Some((at, rename)) = self.replug {
                if Instant::now() >= at {
                    self.replug = None;
                    self.plug_in(rename);
                }
            }
            self.flush();
        }
        tracing::info!(link = %self.link.display(), "simulated modem stopped");
    }

    async fn command(&mut self, c: Command) {
        let now = Instant::now().into_std();
        match c {
            Command::InjectText {
                from,
                text,
                alphabet,
                reply,
            } => {
                let r = self
                    .modem
                    .inject_text(&from, &text, alphabet, now)
                    .map_err(Error::from);
                let _ = reply.send(r);
            }
            Command::InjectTpdu { tpdu, delayed } => {
                if delayed {
                    self.modem.network_deliver(tpdu, now);
                } else {
                    self.modem.inject_deliver(tpdu, now);
                }
            }
            Command::Reset(kind) => self.modem.reset(kind, now),
            Command::Unplug { down_for, rename } => self.unplug(down_for, rename),
            Command::Hang(d) => self.modem.hang(d, now),
            Command::SetSignal(r, b) => self.modem.set_signal(r, b),
            Command::SetRegistration(s) => self.modem.set_registration(s, now),
            Command::Urc(u) => self.modem.inject_urc(&u, now),
            Command::PtyPath(reply) => {
                let p = self
                    .pty
                    .as_ref()
                    .map(|p| p.slave_path.clone())
                    .unwrap_or_default();
                let _ = reply.send(p);
            }
        }
    }

    fn unplug(&mut self, down_for: Duration, rename: bool) {
        if let Some(p) = self.pty.take() {
            self.last_pty_path = p.slave_path.clone();
            tracing::info!(pty = %p.slave_path.display(), ?down_for, "modem unplugged");
        }
        let _ = std::fs::remove_file(&self.link);
        self.pending.clear();
        self.replug = Some((Instant::now() + down_for, rename));
    }

    fn plug_in(&mut self, rename: bool) {
        let avoid = rename.then_some(self.last_pty_path.as_path());
        match Pty::open(avoid) {
            Ok(p) => {
                if let Err(e) = relink(&self.link, &p.slave_path) {
                    tracing::warn!(error = %e, "re-plug: cannot update the link");
                }
                tracing::info!(pty = %p.slave_path.display(), "modem plugged in");
                self.pty = Some(p);
                self.modem.replug(Instant::now().into_std());
            }
            Err(e) => {
                tracing::warn!(error = %e, "re-plug failed; retrying in 1 s");
                self.replug = Some((Instant::now() + Duration::from_secs(1), rename));
            }
        }
    }

    /// Moves due output and events out of the modem.
    fn drain(&mut self, now: Instant) {
        let std_now = now.into_std();
        while let Some(bytes) = self.modem.poll_transmit(std_now) {
            tracing::trace!(link = %self.link.display(), tx = %bytes.escape_ascii(), "to the DTE");
            if self.pty.is_some() {
                self.pending.extend_from_slice(&bytes);
            }
        }
        if self.pending.len() > MAX_PENDING_OUTPUT {
            let cut = self.pending.len() - MAX_PENDING_OUTPUT;
            self.pending.drain(..cut);
            tracing::warn!(dropped = cut, "nobody reads the PTY; dropped output");
        }
        while let Some(ev) = self.modem.poll_event() {
            match ev {
                ModemEvent::Submitted(part) => {
                    if let Ok(mut log) = self.shared.sent.lock() {
                        if log.len() >= MAX_SENT_LOG {
                            log.pop_front();
                        }
                        log.push_back(part.clone());
                    }
                    if let Some(tx) = &self.submitted {
                        if tx.try_send(part).is_err() {
                            tracing::warn!("network queue full; a message was not routed");
                        }
                    }
                }
                ModemEvent::Unplug { down_for, rename } => self.unplug(down_for, rename),
                ModemEvent::MmsSubmit(sub) => {
                    let tx = self.mms_tx.clone();
                    tokio::spawn(async move {
                        let r = post_mms(sub).await;
                        let _ = tx.send(super::mms::NetReply::Submitted(r)).await;
                    });
                }
                ModemEvent::MmsHttp(req) => {
                    let tx = self.mms_tx.clone();
                    tokio::spawn(async move {
                        let (status, body) =
                            crate::mmsc::exchange(&req.url, req.proxy.as_deref(), req.body).await;
                        tracing::info!(url = %req.url, ?req.purpose, status, "simulated modem HTTP request");
                        let r = super::mms::HttpReply {
                            purpose: req.purpose,
                            status,
                            body,
                        };
                        let _ = tx.send(super::mms::NetReply::Http(r)).await;
                    });
                }
            }
        }
        self.flush();
    }

    /// Writes as much pending output as the PTY takes now.
    fn flush(&mut self) {
        let Some(pty) = &self.pty else {
            self.pending.clear();
            return;
        };
        while !self.pending.is_empty() {
            let mut master = pty.master.get_ref();
            match master.write(&self.pending) {
                Ok(0) => break,
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::warn!(error = %e, "PTY write failed");
                    self.pending.clear();
                    break;
                }
            }
        }
    }
}

async fn read_some(pty: Option<&Pty>, buf: &mut [u8]) -> std::io::Result<Vec<u8>> {
    let Some(pty) = pty else {
        return std::future::pending().await;
    };
    loop {
        let mut guard = pty.master.readable().await?;
        match guard.try_io(|inner| {
            let mut master = inner.get_ref();
            master.read(buf)
        }) {
            Ok(Ok(n)) => return Ok(buf[..n].to_vec()),
            Ok(Err(e)) if e.raw_os_error() == Some(nix::libc::EIO) => {
                // No slave open (cannot happen while we hold ours); wait.
                guard.clear_ready();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(Err(e)) => return Err(e),
            Err(_would_block) => continue,
        }
    }
}

async fn writable(pty: Option<&Pty>) {
    let Some(pty) = pty else {
        return std::future::pending().await;
    };
    match pty.master.writable().await {
        Ok(mut g) => g.clear_ready(),
        Err(_) => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
