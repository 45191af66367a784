//! Durable outbox, inbox and event outbox in SQLite.
//!
//! Role: every request the API acknowledges and every SMS part a modem
//! hands over is committed here first. [`Store`] is a cheap `Clone` handle
//! onto one writer thread (group commit) and one read connection.
//!
//! Guarantees:
//! - Durability: WAL with `synchronous=FULL`; an async method returns only
//!   after the transaction holding its change has committed. Concurrent
//!   requests are batched into one transaction (group commit), each in its
//!   own savepoint, so one failing request never spoils its neighbours.
//! - Events: every state change the API publishes is written to the
//!   `events` outbox in the same transaction as the change; `seq` is
//!   strictly increasing and never reused (`AUTOINCREMENT`), so replay with
//!   [`Store::events_after`] loses nothing across a crash.
//! - States, per part and per message: `queued → sending → sent →
//!   delivered | failed | expired | cancelled` (parts also `unknown` after
//!   an at-most-once crash recovery). A message whose parts keep failing is
//!   parked (`failed` with its reason); the due-part index never lets it
//!   block the others.
//! - Crash recovery ([`Store::recover`], call it once at start-up before
//!   any modem runs): parts found in `sending` are either requeued
//!   (`at_least_once`, the default: those parts may be sent twice) or marked
//!   `unknown` and their messages failed with a report (`at_most_once`:
//!   those parts may be lost, never duplicated).
//! - Storage trouble: a full disk or an I/O error fails only the affected
//!   requests with [`Error::Unavailable`]; the writer stays up and later
//!   requests succeed once space returns. A corrupt file at start-up is
//!   moved aside (never deleted), logged at error level, and a fresh
//!   database is created ([`Store::quarantined`]); corruption found at run
//!   time is reported as [`Error::Corrupt`].
//! - Schema: migrations in one IMMEDIATE transaction tracked by
//!   `user_version`; a newer schema is refused ([`Error::SchemaTooNew`]).
//!
//! rusqlite is imported by this module only.

mod mms;
mod open;
mod ops;
pub mod retry;
mod route;
mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::config::{CrashPolicy, RetryConfig, StorageConfig};

pub use mms::{
    Delivery, InboundMms, LeasedMms, MmsEnqueued, MmsEvent, MmsPart, MmsResult, MmsState, NewMms,
    PendingPush, PushOutcome, PushPart, PUSH_ATTEMPTS_MAX,
};
pub use open::Quarantine;
pub use route::group_key;
pub use schema::END_VERSION as SCHEMA_VERSION;

/// Errors from the store. `Clone` so one commit failure can be handed to
/// every request of its batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// Disk full, read-only file system or an I/O error: the request was
    /// not stored. The API maps this to `storage_unavailable`; retrying
    /// later may succeed.
    #[error("storage unavailable: {reason}")]
    Unavailable { reason: String },
    /// SQLite found the database corrupt while running.
    #[error("database corrupt: {detail}")]
    Corrupt { detail: String },
    /// A corrupt database could not be moved aside, so gsmq refuses to
    /// start rather than overwrite or delete it.
    #[error("database {path} is corrupt ({cause}) and could not be moved aside: {detail}")]
    Quarantine {
        path: PathBuf,
        cause: String,
        detail: String,
    },
    /// The database was written by a newer gsmq.
    #[error("database schema version {found} is newer than this gsmq supports ({supported}); refusing to open it")]
    SchemaTooNew { found: u32, supported: u32 },
    /// The request itself is invalid.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// No such part or message.
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: i64 },
    /// A state change that the state machine does not allow.
    #[error("part {part_id} is {from}, cannot become {to}")]
    InvalidTransition {
        part_id: i64,
        from: String,
        to: &'static str,
    },
    /// A row holds a value this gsmq cannot read.
    #[error("unreadable {table} row {id}: {detail}")]
    BadRow {
        table: &'static str,
        id: i64,
        detail: String,
    },
    /// Any other SQLite error.
    #[error("sqlite: {0}")]
    Sqlite(String),
    /// File system error while opening (creating the directory, ...).
    #[error("{path}: {detail}")]
    Io { path: PathBuf, detail: String },
    /// The writer thread is gone (the store was shut down).
    #[error("store is closed")]
    Closed,
}

pub type Result<T> = std::result::Result<T, Error>;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(
                C::DiskFull
                | C::SystemIoFailure
                | C::ReadOnly
                | C::CannotOpen
                | C::NoLargeFileSupport,
            ) => Error::Unavailable {
                reason: e.to_string(),
            },
            Some(C::DatabaseCorrupt | C::NotADatabase) => Error::Corrupt {
                detail: e.to_string(),
            },
            _ => Error::Sqlite(e.to_string()),
        }
    }
}

/// How a part failed, as classified by the modem driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Try again later with backoff (network busy, timeout, ...).
    Transient,
    /// This recipient cannot be reached (unknown subscriber, barred, ...):
    /// the message fails at once.
    PermanentRecipient,
    /// This SIM cannot send (no credit, SMS barred): retried after
    /// `sim_retry_delay_ms`, typically by another modem.
    PermanentSim,
    /// The modem needs re-initialisation; retried after `reinit_delay_ms`.
    Reinit,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Transient => "transient",
            ErrorClass::PermanentRecipient => "permanent_recipient",
            ErrorClass::PermanentSim => "permanent_sim",
            ErrorClass::Reinit => "reinit",
        }
    }
}

/// State of an outbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Queued,
    Sending,
    Sent,
    Delivered,
    Failed,
    Expired,
    Cancelled,
}

/// State of one outbound SMS part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartState {
    Queued,
    Sending,
    Sent,
    Delivered,
    Failed,
    Expired,
    Cancelled,
    /// In flight at a crash, recovered with the at-most-once policy.
    Unknown,
}

macro_rules! str_enum {
    ($ty:ident { $($variant:ident => $s:literal),* $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $s),* }
            }
            pub(crate) fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($ty::$variant),)* _ => None }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

str_enum!(MessageState {
    Queued => "queued", Sending => "sending", Sent => "sent", Delivered => "delivered",
    Failed => "failed", Expired => "expired", Cancelled => "cancelled",
});
str_enum!(PartState {
    Queued => "queued", Sending => "sending", Sent => "sent", Delivered => "delivered",
    Failed => "failed", Expired => "expired", Cancelled => "cancelled", Unknown => "unknown",
});

impl MessageState {
    /// No further change except a late delivery report on `sent`.
    pub fn is_terminal(self) -> bool {
        !matches!(self, MessageState::Queued | MessageState::Sending)
    }
}

/// A send request, already split into TPDUs by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub client: String,
    pub idempotency_key: Option<String>,
    pub to: String,
    pub text: String,
    pub encoding: String,
    /// One TPDU (without SMSC) per part.
    pub parts: Vec<Vec<u8>>,
    /// Higher is sent first.
    pub priority: u8,
    pub send_at: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Send only through this modem.
    pub modem: Option<String>,
    /// A delivery report was requested.
    pub report: bool,
}

/// The result of [`Store::enqueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub message_id: i64,
    /// The idempotency key was seen within its window; nothing new stored.
    pub duplicate: bool,
    pub parts: usize,
}

/// A part handed to a modem; it is `sending` until reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeasedPart {
    pub part_id: i64,
    pub message_id: i64,
    /// 0-based index of the part within its message.
    pub seq: u8,
    pub tpdu: Vec<u8>,
    pub to: String,
    /// Attempts including this one.
    pub attempts: u32,
    pub parts_total: u8,
    pub report: bool,
    pub client: String,
}

/// The result of [`Store::part_failed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailOutcome {
    /// The part is queued again and due at `next_attempt_at`.
    Retry {
        next_attempt_at: DateTime<Utc>,
        attempts: u32,
    },
    /// The message is parked as `failed` with this reason.
    Parked { reason: String },
    /// The message was cancelled or expired meanwhile; nothing to retry.
    Dropped { state: MessageState },
}

/// What [`Store::cancel`] cancels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelTarget {
    Id(i64),
    IdempotencyKey(String),
}

/// The result of [`Store::cancel`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled {
        message_id: i64,
        /// Parts that will no longer be sent.
        parts_cancelled: usize,
        /// Parts already sent or in flight.
        parts_sent: usize,
    },
    /// The message already reached a final state.
    AlreadyFinal {
        message_id: i64,
        state: MessageState,
    },
    /// No such message for this client.
    NotFound,
}

/// An inbound SMS part, decoded by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundPart {
    pub modem: String,
    pub sender: String,
    /// (reference, total, 1-based sequence) of a concatenated SMS.
    pub concat: Option<(u16, u8, u8)>,
    pub text: String,
    pub encoding: String,
    pub raw_pdu: Vec<u8>,
    pub sent_at: Option<DateTime<FixedOffset>>,
    pub received_at: DateTime<Utc>,
}

/// An inbound message, complete or (after the reassembly timeout) not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub id: i64,
    pub modem: String,
    pub sender: String,
    /// The received parts' text in order (missing parts left out).
    pub text: String,
    pub encoding: String,
    pub parts_total: u8,
    pub parts_received: u8,
    /// 1-based sequence numbers that never arrived.
    pub missing: Vec<u8>,
    pub complete: bool,
    pub sent_at: Option<DateTime<FixedOffset>>,
    pub received_at: DateTime<Utc>,
}

/// A message state change, as published to the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEvent {
    pub message_id: i64,
    pub client: String,
    pub idempotency_key: Option<String>,
    pub to: String,
    pub state: MessageState,
    pub parts_sent: u32,
    pub parts_total: u32,
    /// The modem that sent (the last part of) the message, if any.
    pub modem: Option<String>,
    pub reason: Option<String>,
}

/// What an event reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// queued / sent / delivered / failed / expired / cancelled.
    Message(MessageEvent),
    InboundComplete(InboundMessage),
    /// The reassembly timeout passed with parts missing.
    InboundIncomplete(InboundMessage),
    /// A state change of an outbound MMS.
    Mms(MmsEvent),
    /// A received MMS.
    MmsInbound(InboundMms),
}

/// One entry of the event outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub published: bool,
    pub kind: EventKind,
}

/// The parts found in `sending` at start-up and what became of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Requeued (at-least-once): these may be sent a second time.
    pub requeued: Vec<i64>,
    /// Marked `unknown` (at-most-once); their messages failed.
    pub unknown: Vec<i64>,
}

/// What one [`Store::maintain`] pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    pub messages_expired: usize,
    pub inbound_incomplete: Vec<InboundMessage>,
    pub messages_pruned: usize,
    pub keys_pruned: usize,
    pub events_pruned: usize,
    pub inbound_pruned: usize,
}

/// One part of [`MessageStatus`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartStatus {
    pub part_id: i64,
    pub seq: u8,
    pub state: PartState,
    pub attempts: u32,
    pub modem: Option<String>,
    pub message_reference: Option<u8>,
    pub report_status: Option<u8>,
    pub reason: Option<String>,
}

/// A message as stored, for status queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStatus {
    pub message_id: i64,
    pub client: String,
    pub to: String,
    pub state: MessageState,
    pub reason: Option<String>,
    pub priority: u8,
    pub parts_total: u32,
    pub parts_sent: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub parts: Vec<PartStatus>,
}

/// Handle onto the database. Cheap to clone; the writer thread stops when
/// the last handle is dropped.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

struct Inner {
    path: PathBuf,
    commands: mpsc::Sender<writer::Command>,
    reader: Arc<Mutex<rusqlite::Connection>>,
    quarantine: Option<Quarantine>,
    groups: Arc<Mutex<route::Groups>>,
}

impl Store {
    /// Opens (creating or migrating) the database and starts the writer
    /// thread. Does not recover in-flight parts: call [`Store::recover`].
    pub fn open(cfg: &StorageConfig, retry: &RetryConfig) -> Result<Store> {
        let opened = open::open(cfg)?;
        let groups = Arc::new(Mutex::new(route::Groups::load(&opened.writer)?));
        let (commands, rx) = mpsc::channel(cfg.writer_queue.max(1));
        writer::spawn(
            opened.writer,
            rx,
            cfg.clone(),
            retry.clone(),
            groups.clone(),
        )?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: opened.path,
                commands,
                reader: Arc::new(Mutex::new(opened.reader)),
                quarantine: opened.quarantine,
                groups,
            }),
        })
    }

    /// The database file in use.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Set when a corrupt database was moved aside at start-up.
    pub fn quarantined(&self) -> Option<&Quarantine> {
        self.inner.quarantine.as_ref()
    }

    async fn write<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&rusqlite::Connection, &mut ops::Ctx) -> Result<R> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job = writer::TypedJob::new(f, reply);
        self.inner
            .commands
            .send(writer::Command::Job(Box::new(job)))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    async fn read<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<R> + Send + 'static,
    {
        let reader = Arc::clone(&self.inner.reader);
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().map_err(|_| Error::Closed)?;
            f(&conn)
        })
        .await
        .map_err(|_| Error::Closed)?
    }

    /// Stores a message (or finds its idempotency key) and acknowledges
    /// after commit.
    pub async fn enqueue(&self, msg: NewMessage) -> Result<Enqueued> {
        self.enqueue_at(msg, Utc::now()).await
    }

    /// [`Store::enqueue`] with an explicit clock.
    pub async fn enqueue_at(&self, msg: NewMessage, now: DateTime<Utc>) -> Result<Enqueued> {
        self.write(move |c, ctx| ops::enqueue(c, ctx, &msg, now))
            .await
    }

    /// Stores many messages in one transaction (bulk import, benches).
    pub async fn enqueue_many(
        &self,
        msgs: Vec<NewMessage>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Enqueued>> {
        self.write(move |c, ctx| msgs.iter().map(|m| ops::enqueue(c, ctx, m, now)).collect())
            .await
    }

    /// Leases the most urgent due part `modem` may send: highest priority
    /// first, then earliest due. Expired messages met on the way are
    /// expired. The part is `sending` until [`Store::part_sent`] or
    /// [`Store::part_failed`].
    pub async fn lease_next_part(
        &self,
        modem: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LeasedPart>> {
        let modem = modem.to_owned();
        self.write(move |c, ctx| {
            let keys = ctx.lease_keys(&modem);
            ops::lease_next_part(c, &keys, &modem, now)
        })
        .await
    }

    /// The part the next lease would pick, without leasing it (read only).
    pub async fn peek_next_part(&self, modem: &str, now: DateTime<Utc>) -> Result<Option<i64>> {
        let keys = ops::lock_groups(&self.inner.groups).lease_keys(modem);
        self.read(move |c| ops::pick_next(c, &keys, now)).await
    }

    /// [`Store::peek_next_part`] run on the calling thread (benches,
    /// synchronous callers); blocks while another read is running.
    pub fn peek_next_part_blocking(&self, modem: &str, now: DateTime<Utc>) -> Result<Option<i64>> {
        let keys = ops::lock_groups(&self.inner.groups).lease_keys(modem);
        let conn = self.inner.reader.lock().map_err(|_| Error::Closed)?;
        ops::pick_next(&conn, &keys, now)
    }

    /// Hands the multipart messages stuck to `modem` (because one of their
    /// parts was leased by it) back to their original routing, if none of
    /// their parts went out yet: the pool calls this when a modem has been
    /// down for its failover delay. Returns the number of parts moved.
    pub async fn release_modem(&self, modem: &str) -> Result<usize> {
        let modem = modem.to_owned();
        let now = Utc::now();
        self.write(move |c, _| route::release(c, &modem, now)).await
    }

    /// Records that the modem accepted a part (`+CMGS: <mr>`).
    pub async fn part_sent(
        &self,
        part_id: i64,
        message_reference: u8,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(move |c, _| ops::part_sent(c, part_id, message_reference, now))
            .await
    }

    /// Records a failed attempt and applies the retry policy.
    pub async fn part_failed(
        &self,
        part_id: i64,
        class: ErrorClass,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<FailOutcome> {
        self.write(move |c, ctx| ops::part_failed(c, ctx, part_id, class, &reason, now))
            .await
    }

    /// Stores a delivery report and matches it to a part sent by `modem`
    /// with this reference and recipient within the report window: parts
    /// still waiting for a report first, and of those the one submitted
    /// nearest to `submitted` (the report's TP-SCTS) when the SMSC's clock
    /// is within 10 minutes of ours, else the most recent. Returns the
    /// matched part.
    pub async fn status_report(
        &self,
        modem: &str,
        message_reference: u8,
        recipient: &str,
        status: u8,
        submitted: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let (modem, recipient) = (modem.to_owned(), recipient.to_owned());
        self.write(move |c, ctx| {
            ops::status_report(
                c,
                ctx,
                &modem,
                message_reference,
                &recipient,
                status,
                submitted,
                now,
            )
        })
        .await
    }

    /// Cancels the parts of a message not yet handed to a modem.
    pub async fn cancel(&self, client: &str, target: CancelTarget) -> Result<CancelOutcome> {
        self.cancel_at(client, target, Utc::now()).await
    }

    /// [`Store::cancel`] with an explicit clock.
    pub async fn cancel_at(
        &self,
        client: &str,
        target: CancelTarget,
        now: DateTime<Utc>,
    ) -> Result<CancelOutcome> {
        let client = client.to_owned();
        self.write(move |c, _| ops::cancel(c, &client, &target, now))
            .await
    }

    /// Persists an inbound part (return = committed, so the modem's copy may
    /// be deleted). Returns the message when this part completes it. A PDU
    /// already stored for this modem is ignored (re-read after a crash).
    pub async fn store_inbound_part(&self, part: InboundPart) -> Result<Option<InboundMessage>> {
        self.write(move |c, _| ops::store_inbound_part(c, &part))
            .await
    }

    /// Events with `seq` greater than `seq`, oldest first (replay).
    pub async fn events_after(&self, seq: i64, limit: usize) -> Result<Vec<Event>> {
        self.read(move |c| ops::events_after(c, seq, limit, false))
            .await
    }

    /// Events not yet marked published, oldest first.
    pub async fn unpublished_events(&self, limit: usize) -> Result<Vec<Event>> {
        self.read(move |c| ops::events_after(c, 0, limit, true))
            .await
    }

    /// Marks an event as published.
    pub async fn mark_published(&self, seq: i64) -> Result<()> {
        self.write(move |c, _| ops::mark_published(c, seq)).await
    }

    /// Resolves parts left in `sending` by a crash (see the module docs).
    pub async fn recover(&self, policy: CrashPolicy) -> Result<RecoveryReport> {
        self.recover_at(policy, Utc::now()).await
    }

    /// [`Store::recover`] with an explicit clock.
    pub async fn recover_at(
        &self,
        policy: CrashPolicy,
        now: DateTime<Utc>,
    ) -> Result<RecoveryReport> {
        self.write(move |c, _| ops::recover(c, policy, now)).await
    }

    /// Periodic housekeeping: expires messages past their validity, reports
    /// inbound messages whose reassembly timed out, prunes terminal messages
    /// past the retention age, old idempotency keys and published events.
    pub async fn maintain(&self, now: DateTime<Utc>) -> Result<MaintenanceReport> {
        self.write(move |c, ctx| ops::maintain(c, ctx, now)).await
    }

    /// A message and its parts.
    pub async fn message(&self, message_id: i64) -> Result<Option<MessageStatus>> {
        self.read(move |c| ops::message_status(c, message_id)).await
    }

    /// The message `client`'s idempotency `key` names, if the key was used
    /// within `storage.idempotency_window_h` (marked as a duplicate).
    pub async fn lookup_key(&self, client: &str, key: &str) -> Result<Option<Enqueued>> {
        let (client, key) = (client.to_owned(), key.to_owned());
        let now = Utc::now();
        // Through the writer: it holds the window and sees every commit.
        self.write(move |c, ctx| {
            Ok(match ops::find_key(c, ctx, &client, &key, now)? {
                ops::KeySeen::Live(e) => Some(e),
                ops::KeySeen::Stale | ops::KeySeen::Never => None,
            })
        })
        .await
    }

    /// SMS parts each client enqueued since `since` (to restore the daily
    /// quotas after a restart).
    pub async fn parts_enqueued_since(&self, since: DateTime<Utc>) -> Result<Vec<(String, u64)>> {
        self.read(move |c| ops::parts_enqueued_since(c, since))
            .await
    }

    /// Changes the database size cap (`storage.max_size_mb`, 0 = none) at
    /// run time, e.g. after an operator freed or added space.
    pub async fn set_max_size_mb(&self, max_size_mb: u64) -> Result<()> {
        self.write(move |c, _| open::set_max_size(c, max_size_mb))
            .await
    }

    /// Checkpoints and truncates the WAL (for an orderly shutdown).
    pub async fn checkpoint(&self) -> Result<()> {
        let (reply, rx) = oneshot::channel();
        self.inner
            .commands
            .send(writer::Command::Checkpoint(reply))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }
}

#[cfg(test)]
mod tests;
