//! The gateway's [`Backend`]: the SQLite outbox/inbox behind
//! [`crate::store::Store`]. Received PDUs are decoded with [`crate::pdu`]
//! here, and every method returns only after the store committed.
//!
//! With [`StoreBackend::with_mms_at`] (`[mms] transport = "modem"`) runners
//! lease queued MMS for their modem's own MMS client; outcomes are recorded
//! like the MM1 task records them (an unknown outcome is never re-sent
//! unless `retry_unknown`, and then once).

use std::collections::BTreeMap;

use chrono::Utc;
use tokio::sync::watch;

use super::mms_at::{MmsAtConfig, MmsAtOutcome, MmsJob, MmsLease};
use super::{Backend, BoxFuture, Error, FailClass, ModemState, OutPart, Result, StatusReport};
use crate::pdu;
use crate::store::{self, ErrorClass, FailOutcome, InboundPart, Store};

/// Maps the driver's failure class onto the store's.
pub fn error_class(class: FailClass) -> ErrorClass {
    match class {
        FailClass::Transient => ErrorClass::Transient,
        FailClass::PermanentRecipient => ErrorClass::PermanentRecipient,
        FailClass::PermanentSim => ErrorClass::PermanentSim,
        FailClass::Reinit => ErrorClass::Reinit,
    }
}

fn backend_err(e: store::Error) -> Error {
    Error::Backend(e.to_string())
}

/// What the store records for a vendor flow's outcome: `Unknown` is
/// re-queued only with `retry_unknown` and only once; `NotSent` (nothing
/// left the modem) is retried with backoff up to
/// [`crate::mmsc::worker::SEND_ATTEMPTS_MAX`] attempts.
pub fn mms_result(
    outcome: MmsAtOutcome,
    attempts: u32,
    retry_unknown: bool,
    now: chrono::DateTime<Utc>,
) -> store::MmsResult {
    use crate::mmsc::worker::{retry_delay, SEND_ATTEMPTS_MAX};
    match outcome {
        MmsAtOutcome::Accepted => store::MmsResult::Sent {
            mmsc_message_id: None,
        },
        MmsAtOutcome::Rejected { reason } => store::MmsResult::Failed {
            reason: format!("refused: {reason}"),
        },
        MmsAtOutcome::Unknown { reason } if retry_unknown && attempts < 2 => {
            store::MmsResult::Retry {
                reason: format!("outcome unknown, sent again (retry_unknown): {reason}"),
                at: now,
            }
        }
        MmsAtOutcome::Unknown { reason } => store::MmsResult::Unknown {
            reason: format!("outcome unknown, not re-sent: {reason}"),
        },
        MmsAtOutcome::NotSent { reason } if attempts < SEND_ATTEMPTS_MAX => {
            store::MmsResult::Retry {
                reason: format!("not sent by the modem: {reason}"),
                at: now + retry_delay(attempts),
            }
        }
        MmsAtOutcome::NotSent { reason } => store::MmsResult::Failed {
            reason: format!("not sent by the modem: {reason}"),
        },
    }
}

/// Decodes a received SMS-DELIVER (with SMSC prefix) into the store's
/// inbound part. Undecodable PDUs are kept raw (never dropped) with the
/// encoding `"undecodable"`.
pub fn inbound_part(modem: &str, pdu: &[u8], now: chrono::DateTime<Utc>) -> InboundPart {
    match pdu::decode(pdu, true) {
        Ok(pdu::Decoded {
            tpdu: pdu::Tpdu::Deliver(d),
            ..
        }) => InboundPart {
            modem: modem.to_string(),
            sender: d.originator.to_string(),
            concat: d.concat.map(|c| (c.reference, c.total, c.sequence)),
            text: d.text,
            encoding: d.encoding.as_str().to_string(),
            raw_pdu: pdu.to_vec(),
            sent_at: Some(d.scts),
            received_at: now,
        },
        _ => InboundPart {
            modem: modem.to_string(),
            sender: String::new(),
            concat: None,
            text: String::new(),
            encoding: "undecodable".into(),
            raw_pdu: pdu.to_vec(),
            sent_at: None,
            received_at: now,
        },
    }
}

/// See the module docs.
#[derive(Debug)]
pub struct StoreBackend {
    store: Store,
    changes: watch::Sender<u64>,
    states: watch::Sender<BTreeMap<String, ModemState>>,
    /// `[mms] transport = "modem"`: the modems' MMS client settings and
    /// `retry_unknown`.
    mms_at: Option<(MmsAtConfig, bool)>,
}

impl StoreBackend {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            changes: watch::channel(0).0,
            states: watch::channel(BTreeMap::new()).0,
            mms_at: None,
        }
    }

    /// Sends MMS through the modems' own MMS clients (vendor AT flows).
    pub fn with_mms_at(mut self, cfg: MmsAtConfig, retry_unknown: bool) -> Self {
        self.mms_at = Some((cfg, retry_unknown));
        self
    }

    /// The store behind this backend.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Call after enqueueing: wakes idle runners at once.
    pub fn notify_queued(&self) {
        self.changes.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Latest state of every modem (for the API's modem-state topics).
    pub fn states(&self) -> watch::Receiver<BTreeMap<String, ModemState>> {
        self.states.subscribe()
    }
}

impl Backend for StoreBackend {
    fn next_part<'a>(&'a self, modem: &'a str) -> BoxFuture<'a, Result<Option<OutPart>>> {
        Box::pin(async move {
            let leased = self
                .store
                .lease_next_part(modem, Utc::now())
                .await
                .map_err(backend_err)?;
            Ok(leased.map(|p| OutPart {
                part_id: p.part_id,
                tpdu: p.tpdu,
                to: p.to,
            }))
        })
    }

    fn part_sent<'a>(&'a self, _modem: &'a str, part_id: i64, mr: u8) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.store
                .part_sent(part_id, mr, Utc::now())
                .await
                .map_err(backend_err)
        })
    }

    fn part_failed<'a>(
        &'a self,
        modem: &'a str,
        part_id: i64,
        class: FailClass,
        reason: String,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let outcome = self
                .store
                .part_failed(part_id, error_class(class), reason, Utc::now())
                .await
                .map_err(backend_err)?;
            if let FailOutcome::Retry {
                next_attempt_at, ..
            } = &outcome
            {
                tracing::debug!(modem, part_id, %next_attempt_at, "part requeued");
            }
            // Another modem may take it over.
            self.notify_queued();
            Ok(())
        })
    }

    fn inbound<'a>(&'a self, modem: &'a str, pdu: &'a [u8]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if let Some(push) = super::mms_push::push_part(modem, pdu, Utc::now()) {
                // A WAP push (MMS notification or report): kept raw until handled.
                self.store
                    .store_push_part(push)
                    .await
                    .map_err(backend_err)?;
                return Ok(());
            }
            let part = inbound_part(modem, pdu, Utc::now());
            self.store
                .store_inbound_part(part)
                .await
                .map_err(backend_err)?;
            Ok(())
        })
    }

    fn status_report(&self, report: StatusReport) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let matched = self
                .store
                .status_report(
                    &report.modem,
                    report.message_reference,
                    &report.recipient,
                    report.status,
                    Utc::now(),
                )
                .await
                .map_err(backend_err)?;
            if matched.is_none() {
                tracing::info!(modem = %report.modem, mr = report.message_reference, recipient = %report.recipient, "status report matched no part");
            }
            Ok(())
        })
    }

    fn state_changed(&self, state: ModemState) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.states.send_modify(|m| {
                m.insert(state.name.clone(), state);
            });
        })
    }

    fn queue_changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn lease_mms<'a>(&'a self, _modem: &'a str) -> BoxFuture<'a, Result<Option<MmsLease>>> {
        Box::pin(async move {
            let Some((cfg, _)) = &self.mms_at else {
                return Ok(None);
            };
            let now = Utc::now();
            // The read connection first: an idle poll costs the writer nothing.
            if !self.store.mms_due(now).await.map_err(backend_err)? {
                return Ok(None);
            }
            let Some(m) = self.store.lease_mms(now).await.map_err(backend_err)? else {
                return Ok(None);
            };
            match crate::mms::Pdu::decode(&m.pdu) {
                Ok(pdu) => Ok(Some(MmsLease {
                    mms_id: m.mms_id,
                    attempts: m.attempts,
                    config: cfg.clone(),
                    job: MmsJob::from_send_req(m.to, &pdu),
                })),
                Err(e) => {
                    let reason = format!("stored m-send-req is undecodable: {e}");
                    self.store
                        .mms_result(m.mms_id, store::MmsResult::Failed { reason }, now)
                        .await
                        .map_err(backend_err)?;
                    Ok(None)
                }
            }
        })
    }

    fn mms_done<'a>(
        &'a self,
        modem: &'a str,
        mms_id: i64,
        attempts: u32,
        outcome: MmsAtOutcome,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let retry_unknown = self.mms_at.as_ref().is_some_and(|(_, r)| *r);
            let now = Utc::now();
            let result = mms_result(outcome, attempts, retry_unknown, now);
            tracing::info!(modem, mms_id, ?result, "MMS submission through the modem");
            self.store
                .mms_result(mms_id, result, now)
                .await
                .map_err(backend_err)
        })
    }

    fn release_modem<'a>(&'a self, modem: &'a str) -> BoxFuture<'a, Result<usize>> {
        Box::pin(async move {
            let moved = self.store.release_modem(modem).await.map_err(backend_err)?;
            if moved > 0 {
                tracing::warn!(
                    modem,
                    parts = moved,
                    "modem down: its waiting multipart messages go to other modems"
                );
                self.changes.send_modify(|n| *n = n.wrapping_add(1));
            }
            Ok(moved)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_received_deliver_pdu_becomes_an_inbound_part() {
        // MODEM-SPEC §6.2: "Hello raspberry pi" from +27748577604.
        let pdu = hex::decode(
            "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034",
        )
        .unwrap();
        let p = inbound_part("m1", &pdu, Utc::now());
        assert_eq!(p.sender, "+27748577604");
        assert_eq!(p.text, "Hello raspberry pi");
        assert_eq!(p.encoding, "gsm7");
        assert_eq!(p.raw_pdu, pdu);
    }

    #[test]
    fn a_vendor_flow_outcome_is_recorded_like_an_mm1_one() {
        use store::MmsResult;
        let now = Utc::now();
        let unknown = || MmsAtOutcome::Unknown { reason: "x".into() };
        let not_sent = || MmsAtOutcome::NotSent { reason: "x".into() };
        assert_eq!(
            mms_result(MmsAtOutcome::Accepted, 1, false, now),
            MmsResult::Sent {
                mmsc_message_id: None
            }
        );
        assert!(matches!(
            mms_result(MmsAtOutcome::Rejected { reason: "e".into() }, 1, true, now),
            MmsResult::Failed { .. }
        ));
        // Unknown: never re-sent, unless retry_unknown, and then once.
        assert!(matches!(
            mms_result(unknown(), 1, false, now),
            MmsResult::Unknown { .. }
        ));
        assert!(matches!(
            mms_result(unknown(), 1, true, now),
            MmsResult::Retry { .. }
        ));
        assert!(matches!(
            mms_result(unknown(), 2, true, now),
            MmsResult::Unknown { .. }
        ));
        // Nothing left the modem: retried later, until the attempts run out.
        match mms_result(not_sent(), 1, false, now) {
            MmsResult::Retry { at, .. } => assert!(at > now),
            other => panic!("{other:?}"),
        }
        let last = crate::mmsc::worker::SEND_ATTEMPTS_MAX;
        assert!(matches!(
            mms_result(not_sent(), last, false, now),
            MmsResult::Failed { .. }
        ));
    }

    #[test]
    fn an_undecodable_pdu_is_kept_raw() {
        let p = inbound_part("m1", &[0x00, 0xFF], Utc::now());
        assert_eq!(p.encoding, "undecodable");
        assert_eq!(p.raw_pdu, vec![0x00, 0xFF]);
    }

    #[test]
    fn every_fail_class_maps_to_its_store_class() {
        assert_eq!(error_class(FailClass::Transient), ErrorClass::Transient);
        assert_eq!(
            error_class(FailClass::PermanentRecipient),
            ErrorClass::PermanentRecipient
        );
        assert_eq!(
            error_class(FailClass::PermanentSim),
            ErrorClass::PermanentSim
        );
        assert_eq!(error_class(FailClass::Reinit), ErrorClass::Reinit);
    }
}
