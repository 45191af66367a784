//! The MQTT API service: the async glue between the broker's request
//! stream, the `api` admission engine, the PDU encoder, the store and the
//! broker's publish.
//!
//! Guarantees:
//! - every request on a served topic gets exactly one reply, and a reply
//!   that accepts a request is published only after the store committed it;
//! - a repeated idempotency key sends nothing again (the store decides);
//! - status and inbox events are published from the store's event outbox
//!   and marked published only after the broker took them, so a crash
//!   between commit and publish loses nothing (it may publish twice);
//! - concurrency is bounded ([`MAX_IN_FLIGHT`] requests), and shutdown
//!   waits for in-flight requests before returning.
//!
//! The service talks to the rest of gsmq through the [`Backend`] trait so
//! it can be tested with an in-memory backend; [`gateway_backend`] is the
//! real one (broker + store + pdu).

mod gateway_backend;
mod handler;
mod mms;
mod publisher;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::{self, request::CancelTarget, Api, InboxMessage, MessageState, StatusEvent};
use crate::config::Config;

pub use gateway_backend::{
    outbox_event, run, GatewayBackend, ModemStatePublisher, NoUssd, UssdFuture, UssdRunner,
};
pub use mms::{MmsEnqueued, NewMmsOut};
pub use publisher::publish_modem_state;

/// Separates a bulk request's `id` from the recipient index in the
/// per-message idempotency key (ids cannot contain control characters).
pub(crate) const BULK_KEY_SEPARATOR: char = '\u{1f}';

/// Most requests handled at once; the request channel waits beyond that.
pub const MAX_IN_FLIGHT: usize = 4_096;
/// How long a USSD request may take before `modem_unavailable`.
pub const USSD_TIMEOUT: Duration = Duration::from_secs(40);
/// Events the outbox publisher takes per batch.
pub const PUBLISH_BATCH: usize = 256;
/// How often the outbox publisher looks for events written by others
/// (modem runners) when nobody woke it.
pub const PUBLISH_POLL: Duration = Duration::from_millis(25);
/// Pause after a failing store or broker call in the publisher.
pub const PUBLISH_RETRY: Duration = Duration::from_millis(500);
/// How often the request loop calls its heartbeat.
pub const HEARTBEAT_TICK: Duration = Duration::from_secs(1);
/// Most outbox events one replay request scans.
pub const MAX_REPLAY_SCAN: usize = 100_000;

/// Errors of the service and its backend.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("storage: {0}")]
    Storage(String),
    #[error("publish: {0}")]
    Publish(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// One publish that reached the daemon (mirrors `broker::Request`).
#[derive(Debug, Clone)]
pub struct Incoming {
    pub client_id: String,
    pub username: String,
    pub topic: String,
    pub payload: Bytes,
    /// MQTT v5 Response Topic.
    pub response_topic: Option<String>,
    /// MQTT v5 Correlation Data, echoed with the reply.
    pub correlation_data: Option<Bytes>,
}

/// One message to publish (QoS 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub topic: String,
    pub payload: Bytes,
    pub retain: bool,
    /// MQTT v5 Correlation Data to attach (replies only).
    pub correlation_data: Option<Bytes>,
}

/// How to encode a message (mirrors the fields of `pdu::SubmitOptions`
/// the API controls).
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeOptions {
    pub encoding: api::EncodingChoice,
    pub status_report: bool,
    pub flash: bool,
    pub validity: Option<Duration>,
    pub reference: u16,
    /// Refuse with [`EncodeError::TooLong`] above this many parts (checked
    /// before the parts are built).
    pub max_parts: usize,
}

/// An encoded message: its TPDUs and the encoding used.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    pub encoding: &'static str,
    pub tpdus: Vec<Vec<u8>>,
}

/// Why a text could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("the text has characters outside the GSM 7-bit alphabet")]
    NotGsm7,
    #[error("the recipient cannot be encoded")]
    Recipient,
    #[error("the text needs {parts} parts")]
    TooLong { parts: usize },
    #[error("the text cannot be encoded: {0}")]
    Other(String),
}

/// A message to commit (mirrors `store::NewMessage`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewSms {
    pub client: String,
    pub idempotency_key: Option<String>,
    pub to: String,
    pub text: String,
    pub encoding: String,
    pub parts: Vec<Vec<u8>>,
    pub priority: u8,
    pub send_at: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Which modems may carry it.
    pub route: api::Route,
    pub report: bool,
}

/// The store's answer to an enqueue (mirrors `store::Enqueued`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub message_id: i64,
    pub duplicate: bool,
    pub parts: usize,
}

/// The store's answer to a cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled {
        message_id: i64,
    },
    NotFound,
    NotCancellable {
        message_id: i64,
        state: MessageState,
    },
}

/// A USSD answer from a modem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdAnswer {
    pub response: String,
    pub session_open: bool,
}

/// One event of the store's event outbox, in API form.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxEvent {
    /// A state change of a message of `user`.
    Status { user: String, event: StatusEvent },
    /// An inbound SMS.
    Inbox(InboxMessage),
    /// A state change of an MMS of `user`.
    MmsStatus {
        user: String,
        event: api::mms::MmsStatusEvent,
    },
    /// An inbound MMS.
    MmsInbox(api::mms::MmsInboxMessage),
    /// An event the API does not publish (kept for the seq cursor).
    Other { seq: i64 },
}

impl OutboxEvent {
    pub fn seq(&self) -> i64 {
        match self {
            OutboxEvent::Status { event, .. } => event.seq,
            OutboxEvent::Inbox(m) => m.seq,
            OutboxEvent::MmsStatus { event, .. } => event.seq,
            OutboxEvent::MmsInbox(m) => m.seq,
            OutboxEvent::Other { seq } => *seq,
        }
    }
}

/// Everything the service needs from the rest of gsmq.
pub trait Backend: Send + Sync + 'static {
    /// Publishes at QoS 1.
    fn publish(&self, message: Outgoing) -> impl Future<Output = Result<()>> + Send;
    /// Encodes a text for one recipient (pure).
    fn encode(
        &self,
        to: &str,
        text: &str,
        opts: &EncodeOptions,
    ) -> std::result::Result<Encoded, EncodeError>;
    /// Commits a message; returns after commit.
    fn enqueue(&self, message: NewSms) -> impl Future<Output = Result<Enqueued>> + Send;
    /// Cancels a message of `client`; returns after commit.
    fn cancel(
        &self,
        client: &str,
        target: &CancelTarget,
    ) -> impl Future<Output = Result<CancelOutcome>> + Send;
    /// Outbox events with `seq > after`, oldest first, at most `limit`.
    fn events_after(
        &self,
        after: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<OutboxEvent>>> + Send;
    /// Outbox events not yet marked published, oldest first, at most `limit`.
    fn unpublished(&self, limit: usize) -> impl Future<Output = Result<Vec<OutboxEvent>>> + Send;
    /// Marks these events published.
    fn mark_published(&self, seqs: &[i64]) -> impl Future<Output = Result<()>> + Send;
    /// The message a user's idempotency key already names, if any (used
    /// to answer a retry as a duplicate when the quota is used up).
    fn lookup(
        &self,
        client: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<Enqueued>>> + Send;
    /// SMS parts each client enqueued since `since` (restores the daily
    /// quotas after a restart).
    fn parts_enqueued_since(
        &self,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<(String, u64)>>> + Send;
    /// Commits an MMS to send; returns after commit. The default refuses
    /// (a backend without MMS).
    fn enqueue_mms(&self, mms: NewMmsOut) -> impl Future<Output = Result<MmsEnqueued>> + Send {
        let _ = mms;
        async { Err(Error::Storage("this backend cannot store MMS".into())) }
    }
    /// Runs a USSD code on a modem (the driver's hook); `Err` is answered
    /// as `modem_unavailable` with the message.
    fn ussd(
        &self,
        modem: &str,
        code: &str,
    ) -> impl Future<Output = std::result::Result<UssdAnswer, String>> + Send;
}

/// Shared state of the service's tasks.
struct Shared<B> {
    backend: B,
    api: Mutex<Api>,
    topics: api::Topics,
    /// Wakes the outbox publisher after this service committed something.
    outbox: Notify,
    /// Concat reference for the next multipart message.
    reference: std::sync::atomic::AtomicU16,
}

impl<B> Shared<B> {
    fn api(&self) -> std::sync::MutexGuard<'_, Api> {
        // A panic while holding the lock leaves the limiter state usable.
        self.api.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Runs the API service until `shutdown` is cancelled or the request
/// channel closes: serves requests and publishes the event outbox.
/// `heartbeat` is called at least every [`HEARTBEAT_TICK`] while the
/// request loop runs (the daemon's watchdog). The retained
/// `{prefix}/status` is the gateway's job, not the service's.
pub fn run_with<B, R, H>(
    backend: B,
    mut requests: mpsc::Receiver<R>,
    config: &Config,
    shutdown: CancellationToken,
    heartbeat: H,
) -> impl Future<Output = Result<()>> + Send + 'static
where
    B: Backend,
    R: Into<Incoming> + Send + 'static,
    H: Fn() + Send + 'static,
{
    let shared = Arc::new(Shared {
        backend,
        api: Mutex::new(Api::new(config)),
        topics: api::Topics::new(&config.api.prefix),
        outbox: Notify::new(),
        reference: std::sync::atomic::AtomicU16::new(initial_reference()),
    });
    async move { serve(shared, &mut requests, shutdown, heartbeat).await }
}

async fn serve<B, R, H>(
    shared: Arc<Shared<B>>,
    requests: &mut mpsc::Receiver<R>,
    shutdown: CancellationToken,
    heartbeat: H,
) -> Result<()>
where
    B: Backend,
    R: Into<Incoming> + Send + 'static,
    H: Fn() + Send + 'static,
{
    restore_quotas(&shared).await;
    let tracker = TaskTracker::new();
    let publisher_stop = CancellationToken::new();
    tracker.spawn(publisher::run(shared.clone(), publisher_stop.clone()));

    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut tick = tokio::time::interval(HEARTBEAT_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let request = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            _ = tick.tick() => {
                heartbeat();
                continue;
            }
            r = requests.recv() => match r {
                Some(r) => r.into(),
                None => break,
            },
        };
        spawn_handler(&shared, &tracker, &permits, request).await;
    }
    // Stop intake; requests already queued (and acknowledged to their
    // clients by the broker) are still answered.
    requests.close();
    while let Some(request) = requests.recv().await {
        spawn_handler(&shared, &tracker, &permits, request.into()).await;
    }
    permits.close();
    publisher_stop.cancel();
    tracker.close();
    tracker.wait().await;
    Ok(())
}

/// Counts what each user already sent today, so a restart does not reset
/// the daily quotas. A store that cannot answer leaves them at zero (and
/// says so): refusing every request would be worse.
async fn restore_quotas<B: Backend>(shared: &Shared<B>) {
    let now = Utc::now();
    let midnight = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(now, |m| m.and_utc());
    match shared.backend.parts_enqueued_since(midnight).await {
        Ok(used) => {
            let mut api = shared.api();
            for (user, parts) in used {
                api.restore_used_parts(&user, parts, now);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "daily quotas start from zero: today's usage could not be read")
        }
    }
}

async fn spawn_handler<B: Backend>(
    shared: &Arc<Shared<B>>,
    tracker: &TaskTracker,
    permits: &Arc<Semaphore>,
    request: Incoming,
) {
    // The semaphore is never closed while requests are spawned.
    let Ok(permit) = permits.clone().acquire_owned().await else {
        return;
    };
    let shared = shared.clone();
    tracker.spawn(async move {
        handler::handle(&shared, request).await;
        drop(permit);
    });
}

/// A concat reference that differs between restarts, so that parts of a
/// message sent before a restart are not mixed with new ones.
fn initial_reference() -> u16 {
    rand::random()
}

#[cfg(test)]
mod tests;
