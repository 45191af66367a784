//! The gateway's [`Backend`]: the SQLite outbox/inbox behind
//! [`crate::store::Store`]. Received PDUs are decoded with [`crate::pdu`]
//! here, and every method returns only after the store committed.
//!
//! With [`StoreBackend::with_mms_at`] (`[mms] transport = "modem"`) runners
//! lease queued MMS for their modem's own MMS client; outcomes are recorded
//! like the MM1 task records them (an unknown outcome is never re-sent
//! unless `retry_unknown`, and then once).
//!
//! With [`StoreBackend::with_mms_receive`] as well, runners of modems with
//! a vendor MMS flow retrieve the MMS their pushes announce (the MMSC is
//! only reachable through the modem's MMS APN): the push is leased
//! ([`Store::lease_push`]), and the retrieved MMS is committed through the
//! same store call and `gsmq/inbox/mms` event as an MM1 retrieval (large
//! parts spooled by path and SHA-256). A failed retrieval keeps the push
//! for a later attempt with backoff, up to `store::PUSH_ATTEMPTS_MAX`.

use std::collections::BTreeMap;

use chrono::Utc;
use tokio::sync::watch;

use super::mms_at::recv::{FetchJob, FetchOutcome, MmsFetchLease, PushNotice, Retrieved};
use super::mms_at::{MmsAtConfig, MmsAtOutcome, MmsJob, MmsLease, Vendor};
use super::{Backend, BoxFuture, Error, FailClass, ModemState, OutPart, Result, StatusReport};
use crate::mmsc::worker::ModemFetchers;
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
    /// Where retrieved parts are spooled and the inline limit, when modems
    /// retrieve MMS themselves.
    receive: Option<(std::path::PathBuf, usize)>,
    /// The modems that retrieve MMS themselves (shared with the MMS task).
    fetchers: ModemFetchers,
}

/// How long a leased push is held for the modem retrieving it.
pub const FETCH_HOLD: std::time::Duration = std::time::Duration::from_secs(600);

/// Lease attempts per poll (pushes that announce no MMS are handled on the way).
const FETCH_LEASES_PER_POLL: usize = 8;

impl StoreBackend {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            changes: watch::channel(0).0,
            states: watch::channel(BTreeMap::new()).0,
            mms_at: None,
            receive: None,
            fetchers: ModemFetchers::default(),
        }
    }

    /// Retrieves MMS through the modems' own MMS clients too (with
    /// [`StoreBackend::with_mms_at`]): parts above `inline_max_bytes` go to
    /// `spool`; `fetchers` is the MMS task's set of modems it leaves alone.
    pub fn with_mms_receive(
        mut self,
        spool: std::path::PathBuf,
        inline_max_bytes: usize,
        fetchers: ModemFetchers,
    ) -> Self {
        self.receive = Some((spool, inline_max_bytes));
        self.fetchers = fetchers;
        self
    }

    fn fetches(&self, modem: &str) -> bool {
        self.fetchers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(modem)
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
                    report.submitted,
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
            if self.mms_at.is_some() && self.receive.is_some() {
                // A modem that is offline keeps its model: its pushes wait for it.
                if let Some(model) = state.model.as_deref() {
                    let own = Vendor::for_model(model).is_some_and(Vendor::receives);
                    let mut f = self.fetchers.lock().unwrap_or_else(|p| p.into_inner());
                    if own {
                        f.insert(state.name.clone());
                    } else {
                        f.remove(&state.name);
                    }
                }
            }
            self.states.send_modify(|m| {
                m.insert(state.name.clone(), state);
            });
        })
    }

    fn queue_changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn lease_mms<'a>(&'a self, modem: &'a str) -> BoxFuture<'a, Result<Option<MmsLease>>> {
        Box::pin(async move {
            let Some((cfg, _)) = &self.mms_at else {
                return Ok(None);
            };
            let now = Utc::now();
            // The read connection first: an idle poll costs the writer nothing.
            if !self
                .store
                .mms_due_for(modem, now)
                .await
                .map_err(backend_err)?
            {
                return Ok(None);
            }
            let Some(m) = self
                .store
                .lease_mms_for(modem, now)
                .await
                .map_err(backend_err)?
            else {
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

    fn lease_mms_fetch<'a>(
        &'a self,
        modem: &'a str,
    ) -> BoxFuture<'a, Result<Option<MmsFetchLease>>> {
        Box::pin(async move {
            let (Some((cfg, _)), Some(_)) = (&self.mms_at, &self.receive) else {
                return Ok(None);
            };
            if !self.fetches(modem) {
                tracing::trace!(modem, "no MMS retrieval through this modem");
                return Ok(None);
            }
            for _ in 0..FETCH_LEASES_PER_POLL {
                let now = Utc::now();
                // The read connection first: an idle poll costs the writer nothing.
                if !self.store.push_due(modem, now).await.map_err(backend_err)? {
                    return Ok(None);
                }
                let hold = chrono::Duration::from_std(FETCH_HOLD).unwrap_or(chrono::Duration::MAX);
                let Some(p) = self
                    .store
                    .lease_push(modem, now, hold)
                    .await
                    .map_err(backend_err)?
                else {
                    return Ok(None);
                };
                let pdu = match crate::mms::Push::decode(&p.data).and_then(|push| push.mms_pdu()) {
                    Ok(pdu) => pdu,
                    Err(e) => {
                        tracing::warn!(modem, push_id = p.push_id, error = %e, "WAP push is not an MMS PDU");
                        let outcome = store::PushOutcome::Failed {
                            reason: format!("not an MMS push: {e}"),
                        };
                        self.store
                            .push_outcome(p.push_id, outcome, now)
                            .await
                            .map_err(backend_err)?;
                        continue;
                    }
                };
                if pdu.message_type() != Some(crate::mms::MessageType::NotificationInd) {
                    crate::mmsc::worker::handle_report(&self.store, p.push_id, &pdu)
                        .await
                        .map_err(backend_err)?;
                    continue;
                }
                let (Some(tid), Some(location)) = (pdu.transaction_id(), pdu.content_location())
                else {
                    let outcome = store::PushOutcome::Failed {
                        reason: "m-notification-ind without transaction id or content location"
                            .into(),
                    };
                    self.store
                        .push_outcome(p.push_id, outcome, now)
                        .await
                        .map_err(backend_err)?;
                    continue;
                };
                return Ok(Some(MmsFetchLease {
                    push_id: p.push_id,
                    sender: p.sender.clone(),
                    attempts: p.attempts + 1,
                    config: cfg.clone(),
                    job: FetchJob {
                        transaction_id: tid.to_owned(),
                        location: location.to_owned(),
                    },
                }));
            }
            Ok(None)
        })
    }

    fn mms_fetched<'a>(
        &'a self,
        modem: &'a str,
        lease: &'a MmsFetchLease,
        outcome: FetchOutcome,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let Some((spool, inline_max)) = &self.receive else {
                return Ok(());
            };
            let now = Utc::now();
            let tid = &lease.job.transaction_id;
            let inbound = match outcome {
                FetchOutcome::Retrieved(r) => retrieved_mms(tid, r, spool, *inline_max).await,
                FetchOutcome::Failed { reason } => Err(reason),
            };
            match inbound {
                Ok(m) => {
                    if !m.acknowledged {
                        tracing::warn!(
                            modem,
                            push_id = lease.push_id,
                            "m-notifyresp-ind not delivered; the MMSC may notify again"
                        );
                    }
                    let m = crate::mmsc::worker::inbound_mms(modem, &lease.sender, m, now);
                    let m = self
                        .store
                        .store_inbound_mms(Some(lease.push_id), m)
                        .await
                        .map_err(backend_err)?;
                    tracing::info!(
                        modem,
                        push_id = lease.push_id,
                        mms_in = m.id,
                        "MMS retrieved through the modem"
                    );
                    Ok(())
                }
                Err(reason) => {
                    let last = lease.attempts >= store::PUSH_ATTEMPTS_MAX;
                    if last {
                        tracing::error!(modem, push_id = lease.push_id, attempts = lease.attempts, %reason, "MMS retrieval given up; the notification stays stored as failed");
                    } else {
                        tracing::warn!(modem, push_id = lease.push_id, attempts = lease.attempts, %reason, "MMS retrieval failed; retried later");
                    }
                    let outcome = store::PushOutcome::Retry {
                        reason: format!("retrieval through the modem failed: {reason}"),
                        at: now + crate::mmsc::worker::retry_delay(lease.attempts),
                    };
                    self.store
                        .push_outcome(lease.push_id, outcome, now)
                        .await
                        .map_err(backend_err)
                }
            }
        })
    }

    fn mms_notice<'a>(&'a self, modem: &'a str, notice: PushNotice) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let Some(push) = notice_push(modem, &notice, Utc::now()) else {
                tracing::warn!(
                    modem,
                    ?notice,
                    "MMS notification could not be encoded; dropped"
                );
                return Ok(());
            };
            self.store
                .store_push_part(push)
                .await
                .map_err(backend_err)?;
            Ok(())
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

/// A `+WAP_PUSH_MMS:` notification as the WAP push it stands for (an
/// m-notification-ind), stored like a push SMS; the URC line is its raw
/// form, so a repeated URC stores nothing new.
pub fn notice_push(
    modem: &str,
    n: &PushNotice,
    now: chrono::DateTime<Utc>,
) -> Option<store::PushPart> {
    let ni = crate::mms::Pdu::notification_ind(
        &n.transaction_id,
        Some(&n.from),
        None,
        n.size.unwrap_or(0),
        7 * 24 * 3600,
        &n.location,
    );
    let data = crate::mms::Push::mms(0x01, &ni).ok()?.encode().ok()?;
    let raw = format!(
        "+WAP_PUSH_MMS: \"{}\",\"{}\",\"{}\"",
        n.from, n.transaction_id, n.location
    );
    Some(store::PushPart {
        modem: modem.to_string(),
        sender: n.from.clone(),
        concat: None,
        data,
        raw_pdu: raw.into_bytes(),
        received_at: now,
    })
}

/// `yy/mm/dd,hh:mm:ss±zz` (zz in quarter hours), as modems print times.
pub fn modem_time(s: &str) -> Option<chrono::DateTime<Utc>> {
    let s = s.trim().trim_matches('"');
    let (local, zone) = s.split_at(s.len().min(17));
    let t = chrono::NaiveDateTime::parse_from_str(local, "%y/%m/%d,%H:%M:%S").ok()?;
    let quarters: i32 = match zone {
        "" => 0,
        z => z.parse().ok()?,
    };
    let offset = chrono::FixedOffset::east_opt(quarters * 15 * 60)?;
    Some(t.and_local_timezone(offset).single()?.with_timezone(&Utc))
}

/// The received MMS of a retrieval through the modem.
async fn retrieved_mms(
    tid: &str,
    r: Retrieved,
    spool: &std::path::Path,
    inline_max: usize,
) -> std::result::Result<crate::mmsc::InboundMms, String> {
    use crate::mms::{ContentType, Part, Pdu};
    match r {
        Retrieved::RetrieveConf { pdu, acknowledged } => {
            let conf =
                Pdu::decode(&pdu).map_err(|e| format!("undecodable m-retrieve-conf: {e}"))?;
            crate::mmsc::check_retrieve_conf(&conf).map_err(|e| e.to_string())?;
            let mut m = crate::mmsc::inbound_from_conf(tid, &conf, spool, inline_max)
                .await
                .map_err(|e| e.to_string())?;
            m.acknowledged = acknowledged;
            Ok(m)
        }
        Retrieved::Files(v) => {
            let mut parts = Vec::new();
            for (i, f) in v.files.into_iter().enumerate() {
                let media = f.content_type.split(';').next().unwrap_or("").trim();
                let ct = ContentType::new(if media.is_empty() {
                    "application/octet-stream"
                } else {
                    media
                });
                let part = Part::new(ct, &format!("p{i}"), &f.name, f.data);
                let p = crate::mmsc::inbound_part(tid, i, &part, spool, inline_max)
                    .await
                    .map_err(|e| e.to_string())?;
                parts.push(p);
            }
            Ok(crate::mmsc::InboundMms {
                transaction_id: tid.to_owned(),
                message_id: None,
                from: v.from,
                to: Vec::new(),
                subject: v.subject,
                date: v.date.as_deref().and_then(modem_time),
                parts,
                acknowledged: true,
            })
        }
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
    fn a_wap_push_mms_notice_is_stored_as_the_notification_it_stands_for() {
        let n = PushNotice {
            from: "+4917099999".into(),
            transaction_id: "T-1".into(),
            location: "http://mmsc/r/1".into(),
            size: Some(3456),
        };
        let p = notice_push("m1", &n, Utc::now()).expect("push");
        assert_eq!(p.modem, "m1");
        assert_eq!(p.sender, "+4917099999");
        let pdu = crate::mms::Push::decode(&p.data)
            .and_then(|push| push.mms_pdu())
            .expect("an MMS push");
        assert_eq!(
            pdu.message_type(),
            Some(crate::mms::MessageType::NotificationInd)
        );
        assert_eq!(pdu.transaction_id(), Some("T-1"));
        assert_eq!(pdu.content_location(), Some("http://mmsc/r/1"));
        // The same notice again has the same raw form (stored once).
        assert_eq!(
            notice_push("m1", &n, Utc::now()).unwrap().raw_pdu,
            p.raw_pdu
        );
    }

    #[test]
    fn modem_times_carry_their_quarter_hour_offset() {
        let t = modem_time("26/05/28,22:26:40+08").expect("time");
        assert_eq!(t.to_rfc3339(), "2026-05-28T20:26:40+00:00");
        let t = modem_time("\"26/05/28,20:26:40-04\"").expect("time");
        assert_eq!(t.to_rfc3339(), "2026-05-28T21:26:40+00:00");
        assert_eq!(modem_time("yesterday"), None);
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
