//! The gateway's MMS task: sends queued MMS through the MM1 client and
//! handles received WAP pushes (fetch + m-notifyresp-ind for
//! notifications, delivery reports for sent MMS), recording every outcome
//! in the store.
//!
//! Guarantees:
//! - A submission whose outcome is unknown is recorded `unknown` and never
//!   re-sent, unless `[mms] retry_unknown` (then the client re-posts once).
//!   Only a failure to connect (nothing reached the MMSC) is retried, at
//!   most [`SEND_ATTEMPTS_MAX`] times with backoff.
//! - Stopping during a submission leaves the MMS `sending`, which the next
//!   start-up turns into `unknown` (`store::Store::recover_mms`).
//! - A push stays `pending` in the store until the MMS it announces is
//!   committed with its event (or it is given up after
//!   `store::PUSH_ATTEMPTS_MAX` attempts).
//! - With `[mms] transport = "modem"`, pushes received by a modem with a
//!   vendor MMS flow ([`ModemFetchers`]) are left to that modem's runner
//!   (`Backend::lease_mms_fetch`): only it can reach the MMSC.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::{Error, InboundMms, Mm1Client, PartBody, SendOutcome};
use crate::mms::{self, MessageType, Push};
use crate::store::{self, Delivery, LeasedMms, MmsResult, PendingPush, PushOutcome, Store};

/// How often the task looks for queued MMS and new pushes when idle.
pub const POLL: Duration = Duration::from_millis(200);
/// Pause after the store failed.
pub const STORE_RETRY: Duration = Duration::from_secs(1);
/// Attempts to reach the MMSC before an MMS fails.
pub const SEND_ATTEMPTS_MAX: u32 = 5;
/// First retry delay; doubles per attempt up to [`RETRY_DELAY_MAX`].
pub const RETRY_DELAY_BASE: Duration = Duration::from_secs(5);
pub const RETRY_DELAY_MAX: Duration = Duration::from_secs(600);
/// Pushes handled per pass.
pub const PUSH_BATCH: usize = 16;

/// Names of the modems that retrieve their own MMS (vendor flows, `[mms]
/// transport = "modem"`), kept up to date by the modem backend from the
/// modems' states.
pub type ModemFetchers = Arc<Mutex<HashSet<String>>>;

/// The MMS task's settings.
#[derive(Debug, Clone)]
pub struct Worker {
    pub store: Store,
    pub client: Mm1Client,
    /// Where large received parts are written.
    pub spool: PathBuf,
    /// Send queued MMS over MM1; `false` with `[mms] transport = "modem"`
    /// (the modem runners send them; pushes are still handled here).
    pub send: bool,
    /// Modems whose pushes this task leaves alone.
    pub fetchers: ModemFetchers,
}

/// The delay before attempt `attempts + 1` of a submission that reached nothing.
pub fn retry_delay(attempts: u32) -> chrono::Duration {
    let d = RETRY_DELAY_BASE
        .saturating_mul(1u32 << attempts.min(16))
        .min(RETRY_DELAY_MAX);
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Worker {
    /// Builds the MM1 client from `[mms]` and resolves MMS left `sending`
    /// by a crash (`unknown`, or queued again with `retry_unknown`).
    pub async fn start(
        cfg: &crate::config::MmsConfig,
        storage: &crate::config::StorageConfig,
        store: Store,
    ) -> std::result::Result<Worker, String> {
        let client = Mm1Client::new(super::Mm1Config {
            mmsc_url: cfg.mmsc_url.clone(),
            proxy: cfg.proxy.clone(),
            unknown_retries: u32::from(cfg.retry_unknown),
            inline_max_bytes: cfg.inline_max_bytes,
            response_max_bytes: cfg
                .max_message_bytes
                .max(super::Mm1Config::default().response_max_bytes),
            ..super::Mm1Config::default()
        })
        .map_err(|e| e.to_string())?;
        let recovered = store
            .recover_mms(cfg.retry_unknown, Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        if !recovered.is_empty() {
            tracing::warn!(
                ?recovered,
                retry_unknown = cfg.retry_unknown,
                "MMS in flight at the last stop"
            );
        }
        Ok(Worker {
            store,
            client,
            spool: cfg.spool_dir(storage),
            send: cfg.transport == crate::config::MmsTransport::Mm1,
            fetchers: ModemFetchers::default(),
        })
    }

    /// Runs until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        loop {
            let worked = tokio::select! {
                biased;
                () = stop.cancelled() => return,
                r = self.pass() => r,
            };
            let pause = match worked {
                Ok(true) => continue,
                Ok(false) => POLL,
                Err(e) => {
                    tracing::warn!(error = %e, "MMS task: store unavailable");
                    STORE_RETRY
                }
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One MMS sent and one batch of pushes handled; `true` if anything was done.
    pub async fn pass(&self) -> store::Result<bool> {
        let mut worked = false;
        // Ask the read connection first: an idle poll costs the writer nothing.
        if self.send && self.store.mms_due(Utc::now()).await? {
            if let Some(leased) = self.store.lease_mms(Utc::now()).await? {
                self.send(leased).await?;
                worked = true;
            }
        }
        for push in self.store.pending_pushes(Utc::now(), PUSH_BATCH).await? {
            let theirs = self
                .fetchers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&push.modem);
            if theirs {
                continue;
            }
            self.push(push).await?;
            worked = true;
        }
        Ok(worked)
    }

    async fn send(&self, m: LeasedMms) -> store::Result<()> {
        let result = match mms::Pdu::decode(&m.pdu) {
            Err(e) => MmsResult::Failed {
                reason: format!("stored m-send-req is undecodable: {e}"),
            },
            Ok(mut pdu) => {
                let tid = format!("gsmq-{}-{}", m.mms_id, m.attempts);
                for h in &mut pdu.headers {
                    if let mms::Header::TransactionId(t) = h {
                        t.clone_from(&tid);
                    }
                }
                match self.client.send(&pdu).await {
                    Ok(SendOutcome::Accepted { message_id }) => MmsResult::Sent {
                        mmsc_message_id: message_id,
                    },
                    Ok(SendOutcome::Rejected {
                        http_status,
                        status,
                        text,
                    }) => MmsResult::Failed {
                        reason: match (status, text) {
                            (Some(s), Some(t)) => format!("MMSC refused it (status {s:#04x}: {t})"),
                            (Some(s), None) => format!("MMSC refused it (status {s:#04x})"),
                            _ => format!("MMSC refused it (HTTP {http_status})"),
                        },
                    },
                    Ok(SendOutcome::Unknown { reason }) => MmsResult::Unknown {
                        reason: format!("outcome unknown, not re-sent: {reason}"),
                    },
                    Err(Error::Connect(reason)) if m.attempts < SEND_ATTEMPTS_MAX => {
                        MmsResult::Retry {
                            reason: format!("cannot reach the MMSC: {reason}"),
                            at: Utc::now() + retry_delay(m.attempts),
                        }
                    }
                    Err(e) => MmsResult::Failed {
                        reason: e.to_string(),
                    },
                }
            }
        };
        tracing::info!(mms_id = m.mms_id, ?result, "MMS submission");
        self.store.mms_result(m.mms_id, result, Utc::now()).await
    }

    async fn push(&self, p: PendingPush) -> store::Result<()> {
        let pdu = match Push::decode(&p.data).and_then(|push| push.mms_pdu()) {
            Ok(pdu) => pdu,
            Err(e) => {
                tracing::warn!(push_id = p.push_id, error = %e, "WAP push is not an MMS PDU");
                let reason = format!("not an MMS push: {e}");
                return self
                    .store
                    .push_outcome(p.push_id, PushOutcome::Failed { reason }, Utc::now())
                    .await;
            }
        };
        match pdu.message_type() {
            Some(MessageType::NotificationInd) => {
                match self.client.retrieve(&pdu, &self.spool).await {
                    Ok(inbound) => {
                        let m = inbound_mms(&p.modem, &p.sender, inbound, Utc::now());
                        self.store.store_inbound_mms(Some(p.push_id), m).await?;
                        Ok(())
                    }
                    Err(e) => {
                        tracing::warn!(push_id = p.push_id, error = %e, "MMS retrieval failed");
                        let outcome = PushOutcome::Retry {
                            reason: e.to_string(),
                            at: Utc::now() + retry_delay(p.attempts),
                        };
                        self.store
                            .push_outcome(p.push_id, outcome, Utc::now())
                            .await
                    }
                }
            }
            _ => handle_report(&self.store, p.push_id, &pdu).await,
        }
    }
}

/// Handles a push that announces no message: a delivery report is applied
/// to its MMS, anything else is ignored; the push is done either way.
pub async fn handle_report(store: &Store, push_id: i64, pdu: &mms::Pdu) -> store::Result<()> {
    match pdu.message_type() {
        Some(MessageType::DeliveryInd) => {
            if let Some(id) = pdu.message_id() {
                let delivery = delivery(pdu.status());
                let matched = store.mms_delivery(id, delivery, Utc::now()).await?;
                if matched.is_none() {
                    tracing::info!(mmsc_message_id = id, "delivery report matched no MMS");
                }
            }
        }
        other => tracing::info!(push_id, ?other, "MMS push ignored"),
    }
    store
        .push_outcome(push_id, PushOutcome::Done, Utc::now())
        .await
}

/// Maps X-Mms-Status of an m-delivery-ind. Deferred, forwarded and
/// indeterminate reports end nothing; they are read as delivered only when
/// the status says retrieved.
fn delivery(status: Option<u8>) -> Delivery {
    match status {
        Some(mms::status::RETRIEVED) | Some(mms::status::FORWARDED) => Delivery::Delivered,
        Some(s) => Delivery::Failed {
            reason: format!(
                "delivery report: {}",
                match s {
                    mms::status::EXPIRED => "expired".to_string(),
                    mms::status::REJECTED => "rejected".to_string(),
                    mms::status::DEFERRED => "deferred".to_string(),
                    mms::status::UNRECOGNISED => "unrecognised".to_string(),
                    mms::status::INDETERMINATE => "indeterminate".to_string(),
                    mms::status::UNREACHABLE => "unreachable".to_string(),
                    other => format!("status {other:#04x}"),
                }
            ),
        },
        None => Delivery::Failed {
            reason: "delivery report without a status".into(),
        },
    }
}

/// The store's form of a received MMS (`sender`: who sent the push, used
/// when the message names no sender).
pub fn inbound_mms(
    modem: &str,
    sender: &str,
    m: InboundMms,
    now: chrono::DateTime<Utc>,
) -> store::InboundMms {
    store::InboundMms {
        id: 0,
        modem: modem.to_owned(),
        from: m
            .from
            .as_deref()
            .map_or_else(|| sender.to_owned(), |f| mms::strip_type(f).to_owned()),
        to: m.to.iter().map(|t| mms::strip_type(t).to_owned()).collect(),
        subject: m.subject,
        sent_at: m.date,
        transaction_id: m.transaction_id,
        mmsc_message_id: m.message_id,
        received_at: now,
        parts: m
            .parts
            .into_iter()
            .map(|part| {
                let (data, path) = match part.body {
                    PartBody::Inline(d) => (Some(d), None),
                    PartBody::File(f) => (None, Some(f)),
                };
                store::MmsPart {
                    content_type: part.content_type,
                    name: part.content_location,
                    content_id: part.content_id,
                    size: part.size as u64,
                    sha256: part.sha256,
                    data,
                    path,
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_retrieved_or_forwarded_reports_count_as_delivered() {
        assert_eq!(delivery(Some(mms::status::RETRIEVED)), Delivery::Delivered);
        assert_eq!(delivery(Some(mms::status::FORWARDED)), Delivery::Delivered);
        assert_eq!(
            delivery(Some(mms::status::EXPIRED)),
            Delivery::Failed {
                reason: "delivery report: expired".into()
            }
        );
        assert!(matches!(delivery(None), Delivery::Failed { .. }));
    }

    async fn worker() -> (tempfile::TempDir, Worker) {
        let dir = tempfile::tempdir().unwrap();
        let storage = crate::config::StorageConfig::new(dir.path().join("db"));
        let store = Store::open(&storage, &crate::config::RetryConfig::default()).unwrap();
        // A port nobody listens on: connections are refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cfg = crate::config::MmsConfig::new(format!("http://127.0.0.1:{port}/mms"));
        let w = Worker::start(&cfg, &storage, store).await.unwrap();
        (dir, w)
    }

    fn push_part(data: Vec<u8>) -> store::PushPart {
        store::PushPart {
            modem: "m1".into(),
            sender: "+4917099999".into(),
            concat: None,
            raw_pdu: data.clone(),
            data,
            received_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn an_undecodable_push_is_kept_as_failed_and_a_read_report_is_done() {
        let (_dir, w) = worker().await;
        w.store
            .store_push_part(push_part(vec![0x01, 0x06, 0xFF]))
            .await
            .unwrap();
        let read = mms::Pdu::read_orig_ind("msg-1", "+4917000000", "+4917099999", 1, 0x80);
        let push = Push::mms(1, &read).unwrap().encode().unwrap();
        w.store.store_push_part(push_part(push)).await.unwrap();
        assert_eq!(
            w.store.pending_pushes(Utc::now(), 10).await.unwrap().len(),
            2
        );
        assert!(w.pass().await.unwrap(), "both pushes handled");
        assert!(w
            .store
            .pending_pushes(Utc::now(), 10)
            .await
            .unwrap()
            .is_empty());
        assert!(!w.pass().await.unwrap(), "nothing left to do");
    }

    #[tokio::test]
    async fn an_unreachable_mmsc_queues_the_mms_again_with_backoff() {
        let (_dir, w) = worker().await;
        let pdu = mms::Pdu::send_req(
            "t",
            &["+4917012345"],
            None,
            vec![mms::Part::text("t", "t.txt", "hi")],
        )
        .encode()
        .unwrap();
        let new = store::NewMms {
            modem: None,
            client: "alice".into(),
            idempotency_key: None,
            to: vec!["+4917012345".into()],
            subject: None,
            pdu,
        };
        let id = w.store.enqueue_mms(new, Utc::now()).await.unwrap().mms_id;
        assert!(w.pass().await.unwrap());
        let ev = w.store.mms(id).await.unwrap().unwrap();
        assert_eq!(ev.state, store::MmsState::Queued, "{ev:?}");
        assert!(ev.reason.unwrap().contains("cannot reach the MMSC"));
        assert!(
            !w.store.mms_due(Utc::now()).await.unwrap(),
            "not due before the backoff"
        );
    }

    #[tokio::test]
    async fn a_push_received_by_a_modem_that_fetches_itself_is_left_to_that_modem() {
        let (_dir, w) = worker().await;
        let ni = mms::Pdu::notification_ind(
            "T-1",
            Some("+4917099999"),
            None,
            100,
            3600,
            "http://127.0.0.1:9/r/1",
        );
        let push = Push::mms(1, &ni).unwrap().encode().unwrap();
        w.store.store_push_part(push_part(push)).await.unwrap();
        w.fetchers.lock().unwrap().insert("m1".into());
        assert!(!w.pass().await.unwrap(), "left alone");
        let pending = w.store.pending_pushes(Utc::now(), 10).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].attempts, 0);
        // Once m1 no longer fetches (another model), MM1 takes it.
        w.fetchers.lock().unwrap().clear();
        assert!(w.pass().await.unwrap());
        let later = Utc::now() + chrono::Duration::hours(1);
        let pending = w.store.pending_pushes(later, 10).await.unwrap();
        assert_eq!(pending[0].attempts, 1, "tried over MM1 (unreachable here)");
    }

    #[test]
    fn retry_delays_double_up_to_the_cap() {
        assert_eq!(retry_delay(0), chrono::Duration::seconds(5));
        assert_eq!(retry_delay(1), chrono::Duration::seconds(10));
        assert_eq!(retry_delay(30), chrono::Duration::seconds(600));
    }
}
