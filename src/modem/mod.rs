//! Modem driver: a sans-IO [`session::Session`] per modem, a
//! [`runner::ModemRunner`] task that owns the serial port and drives the
//! session, the [`Backend`] trait through which runners reach the outbox and
//! inbox, and the [`pool::Pool`] that runs many modems with routing,
//! failover and per-SIM limits.
//!
//! Guarantees: only `runner` touches the serial port (and only it imports
//! tokio-serial); the session never does I/O or reads the clock; a received
//! message is deleted from the modem only after the backend committed it.

pub mod backend_store;
pub mod classify;
pub mod memory;
pub mod mms_at;
pub mod mms_push;
pub mod pool;
pub mod probe;
pub mod runner;
pub mod session;
pub mod simport;

mod parse;

pub(crate) use crate::at;

use std::sync::Arc;

pub use classify::FailClass;
pub use futures::future::BoxFuture;

/// Errors of the modem driver.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open serial port {path}: {message}")]
    Open { path: String, message: String },
    #[error("serial I/O on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("backend: {0}")]
    Backend(String),
    #[error("simulator: {0}")]
    Sim(String),
    #[error("no modem named {0:?}")]
    UnknownModem(String),
    #[error("invalid modem configuration `{key}`: {message}")]
    Config { key: String, message: String },
}

pub type Result<T> = std::result::Result<T, Error>;

/// One part of an outbound message, leased by the backend to a modem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutPart {
    pub part_id: i64,
    /// SMS-SUBMIT TPDU without the SMSC octets.
    pub tpdu: Vec<u8>,
    /// Destination, for logs and routing.
    pub to: String,
}

/// A delivery report decoded from `+CDS`/`+CDSI`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub modem: String,
    pub message_reference: u8,
    pub recipient: String,
    /// TP-Status (3GPP TS 23.040 §9.2.3.15).
    pub status: u8,
    /// TP-SCTS: when the SMSC took the part (its clock), in UTC.
    pub submitted: Option<chrono::DateTime<chrono::Utc>>,
}

/// Coarse modem status for the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModemStatus {
    Offline,
    Initialising,
    Ready,
    Resetting,
}

/// Network registration (from `+CREG` stat).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    Home,
    Roaming,
    Searching,
    Denied,
    NotRegistered,
    Unknown,
}

impl Registration {
    /// Maps a 27.007 `<stat>` value.
    pub fn from_stat(stat: u8) -> Self {
        match stat {
            0 => Registration::NotRegistered,
            1 | 6 | 9 => Registration::Home,
            5 | 7 | 10 => Registration::Roaming,
            2 => Registration::Searching,
            3 => Registration::Denied,
            _ => Registration::Unknown,
        }
    }
}

/// What the gateway knows about one modem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModemState {
    pub name: String,
    pub status: ModemStatus,
    pub signal_dbm: Option<i32>,
    pub registration: Option<Registration>,
    pub operator: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub revision: Option<String>,
    pub imei: Option<String>,
    pub imsi: Option<String>,
    pub iccid: Option<String>,
    pub smsc: Option<String>,
    /// The last problem that keeps the modem from working normally.
    pub error: Option<String>,
    /// Parts in flight on this modem.
    pub queue: usize,
}

impl ModemState {
    /// An offline modem with nothing known yet.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            status: ModemStatus::Offline,
            signal_dbm: None,
            registration: None,
            operator: None,
            manufacturer: None,
            model: None,
            revision: None,
            imei: None,
            imsi: None,
            iccid: None,
            smsc: None,
            error: None,
            queue: 0,
        }
    }

    /// Ready and, if known, registered.
    pub fn is_healthy(&self) -> bool {
        self.status == ModemStatus::Ready
            && !matches!(
                self.registration,
                Some(Registration::Denied) | Some(Registration::NotRegistered)
            )
    }
}

/// The outbox/inbox as the runners see it. Object safe (boxed futures), so
/// the pool can hold an `Arc<dyn Backend>`.
///
/// Each method returns only after its effect is durable.
pub trait Backend: Send + Sync + 'static {
    /// Leases the next part `modem` should send, in order, or `None`.
    fn next_part<'a>(&'a self, modem: &'a str) -> BoxFuture<'a, Result<Option<OutPart>>>;
    /// Records the network's message reference and marks the part sent.
    fn part_sent<'a>(&'a self, modem: &'a str, part_id: i64, mr: u8) -> BoxFuture<'a, Result<()>>;
    /// Marks the part failed with a retry class.
    fn part_failed<'a>(
        &'a self,
        modem: &'a str,
        part_id: i64,
        class: FailClass,
        reason: String,
    ) -> BoxFuture<'a, Result<()>>;
    /// Persists a received SMS-DELIVER PDU (with SMSC prefix); returns only
    /// after commit.
    fn inbound<'a>(&'a self, modem: &'a str, pdu: &'a [u8]) -> BoxFuture<'a, Result<()>>;
    /// Records a delivery report.
    fn status_report(&self, report: StatusReport) -> BoxFuture<'_, Result<()>>;
    /// The modem's state changed.
    fn state_changed(&self, state: ModemState) -> BoxFuture<'_, ()>;
    /// A counter bumped whenever a part is queued, so idle runners wake at once.
    fn queue_changes(&self) -> tokio::sync::watch::Receiver<u64>;
    /// `modem` has been down for its failover delay: hand the messages
    /// stuck to it that no other modem could take back to their routing.
    /// Returns how many parts moved.
    fn release_modem<'a>(&'a self, _modem: &'a str) -> BoxFuture<'a, Result<usize>> {
        Box::pin(async { Ok(0) })
    }
    /// Leases the next MMS `modem` should send through its own MMS client
    /// (`[mms] transport = "modem"`), or `None` (the default: MMS go over MM1).
    fn lease_mms<'a>(&'a self, _modem: &'a str) -> BoxFuture<'a, Result<Option<mms_at::MmsLease>>> {
        Box::pin(async { Ok(None) })
    }
    /// Records how a leased MMS ended (`attempts` as in the lease).
    fn mms_done<'a>(
        &'a self,
        _modem: &'a str,
        _mms_id: i64,
        _attempts: u32,
        _outcome: mms_at::MmsAtOutcome,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
    /// Leases the next MMS notification `modem` should retrieve through its
    /// own MMS client (`[mms] transport = "modem"`), or `None` (the default).
    fn lease_mms_fetch<'a>(
        &'a self,
        _modem: &'a str,
    ) -> BoxFuture<'a, Result<Option<mms_at::recv::MmsFetchLease>>> {
        Box::pin(async { Ok(None) })
    }
    /// Records how a leased retrieval ended: the MMS is committed to the
    /// inbox, or the notification kept for a later attempt.
    fn mms_fetched<'a>(
        &'a self,
        _modem: &'a str,
        _lease: &'a mms_at::recv::MmsFetchLease,
        _outcome: mms_at::recv::FetchOutcome,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
    /// Persists an MMS notification the modem reported itself
    /// (`+WAP_PUSH_MMS:`); returns only after commit.
    fn mms_notice<'a>(
        &'a self,
        _modem: &'a str,
        _notice: mms_at::recv::PushNotice,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

impl<B: Backend + ?Sized> Backend for Arc<B> {
    fn next_part<'a>(&'a self, modem: &'a str) -> BoxFuture<'a, Result<Option<OutPart>>> {
        (**self).next_part(modem)
    }
    fn part_sent<'a>(&'a self, modem: &'a str, part_id: i64, mr: u8) -> BoxFuture<'a, Result<()>> {
        (**self).part_sent(modem, part_id, mr)
    }
    fn part_failed<'a>(
        &'a self,
        modem: &'a str,
        part_id: i64,
        class: FailClass,
        reason: String,
    ) -> BoxFuture<'a, Result<()>> {
        (**self).part_failed(modem, part_id, class, reason)
    }
    fn inbound<'a>(&'a self, modem: &'a str, pdu: &'a [u8]) -> BoxFuture<'a, Result<()>> {
        (**self).inbound(modem, pdu)
    }
    fn status_report(&self, report: StatusReport) -> BoxFuture<'_, Result<()>> {
        (**self).status_report(report)
    }
    fn state_changed(&self, state: ModemState) -> BoxFuture<'_, ()> {
        (**self).state_changed(state)
    }
    fn queue_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        (**self).queue_changes()
    }
    fn release_modem<'a>(&'a self, modem: &'a str) -> BoxFuture<'a, Result<usize>> {
        (**self).release_modem(modem)
    }
    fn lease_mms<'a>(&'a self, modem: &'a str) -> BoxFuture<'a, Result<Option<mms_at::MmsLease>>> {
        (**self).lease_mms(modem)
    }
    fn mms_done<'a>(
        &'a self,
        modem: &'a str,
        mms_id: i64,
        attempts: u32,
        outcome: mms_at::MmsAtOutcome,
    ) -> BoxFuture<'a, Result<()>> {
        (**self).mms_done(modem, mms_id, attempts, outcome)
    }
    fn lease_mms_fetch<'a>(
        &'a self,
        modem: &'a str,
    ) -> BoxFuture<'a, Result<Option<mms_at::recv::MmsFetchLease>>> {
        (**self).lease_mms_fetch(modem)
    }
    fn mms_fetched<'a>(
        &'a self,
        modem: &'a str,
        lease: &'a mms_at::recv::MmsFetchLease,
        outcome: mms_at::recv::FetchOutcome,
    ) -> BoxFuture<'a, Result<()>> {
        (**self).mms_fetched(modem, lease, outcome)
    }
    fn mms_notice<'a>(
        &'a self,
        modem: &'a str,
        notice: mms_at::recv::PushNotice,
    ) -> BoxFuture<'a, Result<()>> {
        (**self).mms_notice(modem, notice)
    }
}

/// A boot URC that means the modem (re)started (`RDY`, `^BOOT`...).
pub(crate) fn boot_is_restart(m: &at::BootMarker) -> bool {
    matches!(m, at::BootMarker::Rdy)
}

/// A boot URC that means SMS service is up (`SMS Ready`, `SMS DONE`...).
pub(crate) fn boot_is_sms_ready(m: &at::BootMarker) -> bool {
    matches!(m, at::BootMarker::SmsReady | at::BootMarker::SmsDone)
}
