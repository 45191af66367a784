//! An in-memory [`Backend`] for tests and benchmarks: a FIFO outbox with
//! optional per-modem pinning, transient retries, and recorded results.
//! Not durable; the gateway uses [`super::backend_store::StoreBackend`].

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{watch, Notify};

use super::{Backend, BoxFuture, FailClass, ModemState, OutPart, Result, StatusReport};

/// Outcome of one part, as recorded by [`MemoryBackend`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartOutcome {
    Sent {
        modem: String,
        mr: u8,
    },
    Failed {
        modem: String,
        class: FailClass,
        reason: String,
    },
}

#[derive(Debug, Default)]
struct Inner {
    queue: VecDeque<(OutPart, Option<String>, u32)>,
    leased: HashMap<i64, (OutPart, Option<String>, u32, String)>,
    outcomes: Vec<(i64, PartOutcome)>,
    finished: HashMap<i64, PartOutcome>,
    inbound: Vec<(String, Vec<u8>, Instant)>,
    reports: Vec<StatusReport>,
    states: HashMap<String, ModemState>,
    leased_at: HashMap<i64, Instant>,
    fail_inbound: bool,
}

/// See the module docs.
#[derive(Debug)]
pub struct MemoryBackend {
    inner: Mutex<Inner>,
    changes: watch::Sender<u64>,
    changed: Notify,
    /// Transient failures are retried this many times.
    pub max_attempts: u32,
}

impl Default for MemoryBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryBackend {
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            changes: watch::channel(0).0,
            changed: Notify::new(),
            max_attempts: 5,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn touched(&self) {
        self.changed.notify_waiters();
    }

    /// Queues a part, optionally pinned to one modem, and wakes the runners.
    pub fn push(&self, part: OutPart, modem: Option<&str>) {
        self.lock()
            .queue
            .push_back((part, modem.map(str::to_string), 0));
        self.changes.send_modify(|v| *v += 1);
    }

    /// Makes every inbound commit fail (or succeed again).
    pub fn set_fail_inbound(&self, fail: bool) {
        self.lock().fail_inbound = fail;
    }

    /// Final outcome per part id.
    pub fn finished(&self) -> HashMap<i64, PartOutcome> {
        self.lock().finished.clone()
    }

    /// Every outcome in order, including retried failures.
    pub fn outcomes(&self) -> Vec<(i64, PartOutcome)> {
        self.lock().outcomes.clone()
    }

    /// Parts still queued or leased.
    pub fn pending(&self) -> usize {
        let g = self.lock();
        g.queue.len() + g.leased.len()
    }

    /// Committed inbound PDUs with their modem.
    pub fn received(&self) -> Vec<(String, Vec<u8>)> {
        self.lock()
            .inbound
            .iter()
            .map(|(m, p, _)| (m.clone(), p.clone()))
            .collect()
    }

    /// Commit instants of inbound PDUs.
    pub fn inbound_times(&self) -> Vec<Instant> {
        self.lock().inbound.iter().map(|(_, _, t)| *t).collect()
    }

    /// When each part was leased.
    pub fn leased_at(&self, part_id: i64) -> Option<Instant> {
        self.lock().leased_at.get(&part_id).copied()
    }

    pub fn reports(&self) -> Vec<StatusReport> {
        self.lock().reports.clone()
    }

    /// Last state reported per modem.
    pub fn state(&self, modem: &str) -> Option<ModemState> {
        self.lock().states.get(modem).cloned()
    }

    /// Waits until `pred` holds or `timeout` passes; returns whether it held.
    pub async fn wait_for(&self, timeout: Duration, pred: impl Fn(&Self) -> bool) -> bool {
        let end = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if pred(self) {
                return true;
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(end) => return pred(self),
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    }
}

impl Backend for MemoryBackend {
    fn next_part<'a>(&'a self, modem: &'a str) -> BoxFuture<'a, Result<Option<OutPart>>> {
        Box::pin(async move {
            let mut g = self.lock();
            let pos = g
                .queue
                .iter()
                .position(|(_, pin, _)| pin.as_deref().is_none_or(|p| p == modem));
            let Some(pos) = pos else {
                return Ok(None);
            };
            let Some((part, pin, attempts)) = g.queue.remove(pos) else {
                return Ok(None);
            };
            g.leased_at.insert(part.part_id, Instant::now());
            g.leased.insert(
                part.part_id,
                (part.clone(), pin, attempts, modem.to_string()),
            );
            Ok(Some(part))
        })
    }

    fn part_sent<'a>(&'a self, modem: &'a str, part_id: i64, mr: u8) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut g = self.lock();
            g.leased.remove(&part_id);
            let o = PartOutcome::Sent {
                modem: modem.to_string(),
                mr,
            };
            g.outcomes.push((part_id, o.clone()));
            g.finished.insert(part_id, o);
            drop(g);
            self.touched();
            Ok(())
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
            let mut g = self.lock();
            let o = PartOutcome::Failed {
                modem: modem.to_string(),
                class,
                reason,
            };
            g.outcomes.push((part_id, o.clone()));
            if let Some((part, pin, attempts, _)) = g.leased.remove(&part_id) {
                let retry = match class {
                    FailClass::Transient | FailClass::Reinit => attempts + 1 < self.max_attempts,
                    // Another modem may be able to send it.
                    FailClass::PermanentSim => pin.is_none() && attempts + 1 < self.max_attempts,
                    FailClass::PermanentRecipient => false,
                };
                if retry {
                    g.queue.push_front((part, pin, attempts + 1));
                } else {
                    g.finished.insert(part_id, o);
                }
            }
            drop(g);
            self.changes.send_modify(|v| *v += 1);
            self.touched();
            Ok(())
        })
    }

    fn inbound<'a>(&'a self, modem: &'a str, pdu: &'a [u8]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut g = self.lock();
            if g.fail_inbound {
                return Err(super::Error::Backend(
                    "inbound commit refused (test)".into(),
                ));
            }
            g.inbound
                .push((modem.to_string(), pdu.to_vec(), Instant::now()));
            drop(g);
            self.touched();
            Ok(())
        })
    }

    fn status_report(&self, report: StatusReport) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.lock().reports.push(report);
            self.touched();
            Ok(())
        })
    }

    fn state_changed(&self, state: ModemState) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.lock().states.insert(state.name.clone(), state);
            self.touched();
        })
    }

    fn queue_changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}
