//! The real [`Backend`]: the embedded broker, the SQLite store, the PDU
//! encoder and the modem side's USSD hook; plus [`run`], the one function
//! the gateway calls.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{
    Backend, CancelOutcome, EncodeError, EncodeOptions, Encoded, Enqueued, Error, Incoming, NewSms,
    OutboxEvent, Outgoing, Result, UssdAnswer, BULK_KEY_SEPARATOR,
};
use crate::api::request::CancelTarget;
use crate::api::{self, InboxMessage, MessageState, ModemState, StatusEvent, Topics};
use crate::config::Config;
use crate::{broker, pdu, store};

/// A boxed USSD answer future.
pub type UssdFuture<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<UssdAnswer, String>> + Send + 'a>>;

/// Runs USSD codes on modems: the hook the modem side implements.
pub trait UssdRunner: Send + Sync + 'static {
    /// Runs `code` on the modem called `modem`; `Err` explains why not
    /// (offline, busy, network error) and is answered as `modem_unavailable`.
    fn run<'a>(&'a self, modem: &'a str, code: &'a str) -> UssdFuture<'a>;
}

/// The USSD hook of a gateway without modem support for it.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoUssd;

impl UssdRunner for NoUssd {
    fn run<'a>(&'a self, modem: &'a str, _code: &'a str) -> UssdFuture<'a> {
        Box::pin(async move { Err(format!("modem {modem:?} cannot run USSD codes")) })
    }
}

impl From<broker::Request> for Incoming {
    fn from(r: broker::Request) -> Incoming {
        Incoming {
            client_id: r.client_id,
            username: r.username,
            topic: r.topic,
            payload: r.payload,
            response_topic: r.response_topic,
            correlation_data: r.correlation_data,
        }
    }
}

/// Broker + store + pdu + USSD hook.
#[derive(Clone)]
pub struct GatewayBackend {
    broker: broker::Broker,
    store: store::Store,
    ussd: Arc<dyn UssdRunner>,
    /// Called after every committed enqueue (wakes idle modem runners).
    on_enqueue: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for GatewayBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayBackend").finish_non_exhaustive()
    }
}

impl GatewayBackend {
    pub fn new(
        broker: broker::Broker,
        store: store::Store,
        ussd: Arc<dyn UssdRunner>,
    ) -> GatewayBackend {
        GatewayBackend {
            broker,
            store,
            ussd,
            on_enqueue: None,
        }
    }

    /// Calls `hook` after every committed enqueue, e.g. to wake the modem
    /// runners at once instead of at their next idle poll.
    pub fn with_enqueue_hook(mut self, hook: Arc<dyn Fn() + Send + Sync>) -> GatewayBackend {
        self.on_enqueue = Some(hook);
        self
    }
}

/// Runs the API service on the real broker and store until `shutdown`
/// (see [`super::run_with`]). The gateway spawns this once.
pub fn run(
    broker: broker::Broker,
    requests: mpsc::Receiver<broker::Request>,
    store: store::Store,
    ussd: Arc<dyn UssdRunner>,
    config: &Config,
    shutdown: CancellationToken,
    heartbeat: impl Fn() + Send + 'static,
) -> impl Future<Output = Result<()>> + Send + 'static {
    let backend = GatewayBackend::new(broker, store, ussd);
    super::run_with(backend, requests, config, shutdown, heartbeat)
}

/// Publishes the retained `{prefix}/modem/{name}/state` (for the modem pool).
#[derive(Debug, Clone)]
pub struct ModemStatePublisher {
    broker: broker::Broker,
    topics: Topics,
}

impl ModemStatePublisher {
    pub fn new(broker: broker::Broker, config: &Config) -> ModemStatePublisher {
        ModemStatePublisher {
            broker,
            topics: Topics::new(&config.api.prefix),
        }
    }

    pub async fn publish(&self, modem: &str, state: &ModemState) -> Result<()> {
        self.broker
            .publish(
                &self.topics.modem_state(modem),
                state.to_bytes().into(),
                true,
            )
            .await
            .map_err(|e| Error::Publish(e.to_string()))
    }
}

fn storage(e: store::Error) -> Error {
    Error::Storage(e.to_string())
}

fn state(s: store::MessageState) -> Option<MessageState> {
    Some(match s {
        store::MessageState::Queued => MessageState::Queued,
        // `sending` is internal: clients see `queued` until `sent`.
        store::MessageState::Sending => return None,
        store::MessageState::Sent => MessageState::Sent,
        store::MessageState::Delivered => MessageState::Delivered,
        store::MessageState::Failed => MessageState::Failed,
        store::MessageState::Expired => MessageState::Expired,
        store::MessageState::Cancelled => MessageState::Cancelled,
    })
}

/// The event in API form.
pub fn outbox_event(e: store::Event) -> OutboxEvent {
    let seq = e.seq;
    match e.kind {
        store::EventKind::Message(m) => {
            let Some(state) = state(m.state) else {
                return OutboxEvent::Other { seq };
            };
            let id = m
                .idempotency_key
                .map(|k| match k.split_once(BULK_KEY_SEPARATOR) {
                    Some((id, _)) => id.to_string(),
                    None => k,
                });
            OutboxEvent::Status {
                user: m.client,
                event: StatusEvent {
                    seq,
                    message_id: m.message_id,
                    id,
                    to: m.to,
                    state,
                    parts_sent: m.parts_sent,
                    parts_total: m.parts_total,
                    modem: m.modem,
                    reason: m.reason,
                    at: e.at,
                },
            }
        }
        store::EventKind::InboundComplete(m) | store::EventKind::InboundIncomplete(m) => {
            OutboxEvent::Inbox(InboxMessage {
                seq,
                message_id: m.id,
                from: m.sender,
                modem: m.modem,
                text: m.text,
                encoding: m.encoding,
                received_at: m.received_at,
                sent_at: m.sent_at,
                parts: u32::from(m.parts_total),
                complete: m.complete,
            })
        }
        store::EventKind::Mms(m) => {
            super::mms::status_event(seq, e.at, m).unwrap_or(OutboxEvent::Other { seq })
        }
        store::EventKind::MmsInbound(m) => super::mms::inbox_message(seq, m),
    }
}

fn encode_error(e: pdu::Error) -> EncodeError {
    match e {
        pdu::Error::Unencodable { .. } => EncodeError::NotGsm7,
        pdu::Error::Address { .. } => EncodeError::Recipient,
        pdu::Error::TooLong { parts } => EncodeError::TooLong { parts },
        other => EncodeError::Other(other.to_string()),
    }
}

impl Backend for GatewayBackend {
    async fn publish(&self, m: Outgoing) -> Result<()> {
        let result = match m.correlation_data {
            Some(c) => {
                self.broker
                    .publish_reply(&m.topic, m.payload, Some(c))
                    .await
            }
            None => self.broker.publish(&m.topic, m.payload, m.retain).await,
        };
        result.map_err(|e| Error::Publish(e.to_string()))
    }

    fn encode(
        &self,
        to: &str,
        text: &str,
        opts: &EncodeOptions,
    ) -> std::result::Result<Encoded, EncodeError> {
        let options = pdu::SubmitOptions {
            encoding: match opts.encoding {
                api::EncodingChoice::Auto => pdu::EncodingChoice::Auto,
                api::EncodingChoice::Gsm7 => pdu::EncodingChoice::Gsm7,
                api::EncodingChoice::Ucs2 => pdu::EncodingChoice::Ucs2,
            },
            status_report: opts.status_report,
            flash: opts.flash,
            validity: opts.validity,
            // An 8-bit reference leaves one more character per part.
            reference: opts.reference & 0xff,
            national: Vec::new(),
        };
        let plan = pdu::try_plan(text, &options).map_err(encode_error)?;
        if plan.parts > opts.max_parts {
            return Err(EncodeError::TooLong { parts: plan.parts });
        }
        let parts = pdu::encode_submit(to, text, &options).map_err(encode_error)?;
        Ok(Encoded {
            encoding: plan.encoding.as_str(),
            tpdus: parts.into_iter().map(|p| p.tpdu).collect(),
        })
    }

    async fn enqueue(&self, m: NewSms) -> Result<Enqueued> {
        let e = self
            .store
            .enqueue(store::NewMessage {
                client: m.client,
                idempotency_key: m.idempotency_key,
                to: m.to,
                text: m.text,
                encoding: m.encoding,
                parts: m.parts,
                priority: m.priority,
                send_at: m.send_at,
                valid_until: m.valid_until,
                modem: match m.route {
                    api::Route::Any => None,
                    api::Route::Modem(name) => Some(name),
                    api::Route::Group(names) => Some(store::group_key(&names)),
                },
                report: m.report,
            })
            .await
            .map_err(storage)?;
        if let Some(hook) = &self.on_enqueue {
            if !e.duplicate {
                hook();
            }
        }
        Ok(Enqueued {
            message_id: e.message_id,
            duplicate: e.duplicate,
            parts: e.parts,
        })
    }

    async fn cancel(&self, client: &str, target: &CancelTarget) -> Result<CancelOutcome> {
        let target = match target {
            CancelTarget::MessageId(id) => store::CancelTarget::Id(*id),
            CancelTarget::Key(k) => store::CancelTarget::IdempotencyKey(k.clone()),
        };
        Ok(
            match self.store.cancel(client, target).await.map_err(storage)? {
                store::CancelOutcome::Cancelled { message_id, .. } => {
                    CancelOutcome::Cancelled { message_id }
                }
                store::CancelOutcome::AlreadyFinal {
                    message_id,
                    state: s,
                } => CancelOutcome::NotCancellable {
                    message_id,
                    state: state(s).unwrap_or(MessageState::Queued),
                },
                store::CancelOutcome::NotFound => CancelOutcome::NotFound,
            },
        )
    }

    async fn events_after(&self, after: i64, limit: usize) -> Result<Vec<OutboxEvent>> {
        let events = self
            .store
            .events_after(after, limit)
            .await
            .map_err(storage)?;
        Ok(events.into_iter().map(outbox_event).collect())
    }

    async fn unpublished(&self, limit: usize) -> Result<Vec<OutboxEvent>> {
        let events = self
            .store
            .unpublished_events(limit)
            .await
            .map_err(storage)?;
        Ok(events.into_iter().map(outbox_event).collect())
    }

    async fn mark_published(&self, seqs: &[i64]) -> Result<()> {
        // One write per event, all in flight at once so that they share
        // the store's group commit.
        let marks = seqs.iter().map(|&seq| self.store.mark_published(seq));
        for r in futures::future::join_all(marks).await {
            match r {
                Ok(()) | Err(store::Error::NotFound { .. }) => {}
                Err(e) => return Err(storage(e)),
            }
        }
        Ok(())
    }

    async fn lookup(&self, client: &str, key: &str) -> Result<Option<Enqueued>> {
        let found = self.store.lookup_key(client, key).await.map_err(storage)?;
        Ok(found.map(|e| Enqueued {
            message_id: e.message_id,
            duplicate: true,
            parts: e.parts,
        }))
    }

    async fn parts_enqueued_since(&self, since: DateTime<Utc>) -> Result<Vec<(String, u64)>> {
        self.store
            .parts_enqueued_since(since)
            .await
            .map_err(storage)
    }

    async fn enqueue_mms(&self, m: super::NewMmsOut) -> Result<super::MmsEnqueued> {
        let e = self
            .store
            .enqueue_mms(
                store::NewMms {
                    modem: match m.route {
                        api::Route::Any => None,
                        api::Route::Modem(name) => Some(name),
                        api::Route::Group(names) => Some(store::group_key(&names)),
                    },
                    client: m.client,
                    idempotency_key: m.idempotency_key,
                    to: m.to,
                    subject: m.subject,
                    pdu: m.pdu,
                },
                Utc::now(),
            )
            .await
            .map_err(storage)?;
        Ok(super::MmsEnqueued {
            message_id: e.mms_id,
            duplicate: e.duplicate,
        })
    }

    async fn ussd(&self, modem: &str, code: &str) -> std::result::Result<UssdAnswer, String> {
        self.ussd.run(modem, code).await
    }
}
