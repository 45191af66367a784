//! The heartbeat registry: each long-running task registers a
//! [`Heartbeat`] and ticks it from its own loop; the watchdog asks the
//! registry whether every heartbeat is fresh. Dropping a heartbeat
//! unregisters it (a task that ended on purpose is not "stale").

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Entry {
    name: String,
    max_age: Duration,
    last_ms: Arc<AtomicU64>,
}

#[derive(Debug)]
struct Inner {
    epoch: Instant,
    next_id: u64,
    entries: BTreeMap<u64, Entry>,
}

/// A registry of task heartbeats (cheap to clone).
#[derive(Debug, Clone)]
pub struct Heartbeats {
    inner: Arc<Mutex<Inner>>,
}

impl Default for Heartbeats {
    fn default() -> Self {
        Self::new()
    }
}

/// One task's heartbeat; tick it from the task's loop.
#[derive(Debug)]
pub struct Heartbeat {
    id: u64,
    epoch: Instant,
    last_ms: Arc<AtomicU64>,
    registry: Heartbeats,
}

impl Heartbeats {
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                epoch: Instant::now(),
                next_id: 0,
                entries: BTreeMap::new(),
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a task; its heartbeat counts as fresh now and goes stale
    /// `max_age` after its last tick.
    pub fn register(&self, name: &str, max_age: Duration) -> Heartbeat {
        let mut inner = self.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        let epoch = inner.epoch;
        let last_ms = Arc::new(AtomicU64::new(millis_since(epoch, Instant::now())));
        inner.entries.insert(
            id,
            Entry {
                name: name.to_string(),
                max_age,
                last_ms: last_ms.clone(),
            },
        );
        Heartbeat {
            id,
            epoch,
            last_ms,
            registry: self.clone(),
        }
    }

    /// Names of the tasks whose heartbeat is older than their `max_age` at `now`.
    pub fn stale(&self, now: Instant) -> Vec<String> {
        let inner = self.lock();
        let now_ms = millis_since(inner.epoch, now);
        inner
            .entries
            .values()
            .filter(|e| {
                let age = now_ms.saturating_sub(e.last_ms.load(Ordering::Relaxed));
                Duration::from_millis(age) > e.max_age
            })
            .map(|e| e.name.clone())
            .collect()
    }

    /// Number of registered heartbeats.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Heartbeat {
    /// Records that the task is alive.
    pub fn tick(&self) {
        self.tick_at(Instant::now());
    }

    /// Records that the task was alive at `now` (for tests).
    pub fn tick_at(&self, now: Instant) {
        self.last_ms
            .store(millis_since(self.epoch, now), Ordering::Relaxed);
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.registry.lock().entries.remove(&self.id);
    }
}

fn millis_since(epoch: Instant, now: Instant) -> u64 {
    u64::try_from(now.saturating_duration_since(epoch).as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_goes_stale_after_its_max_age_and_fresh_again_on_tick() {
        let hb = Heartbeats::new();
        let t0 = Instant::now();
        let a = hb.register("modem0", Duration::from_secs(10));
        let _b = hb.register("broker", Duration::from_secs(60));
        assert!(hb.stale(t0 + Duration::from_secs(5)).is_empty());
        assert_eq!(hb.stale(t0 + Duration::from_secs(11)), vec!["modem0"]);
        a.tick_at(t0 + Duration::from_secs(11));
        assert!(hb.stale(t0 + Duration::from_secs(12)).is_empty());
    }

    #[test]
    fn a_dropped_heartbeat_is_no_longer_watched() {
        let hb = Heartbeats::new();
        let t0 = Instant::now();
        let a = hb.register("gone", Duration::from_secs(1));
        assert_eq!(hb.len(), 1);
        drop(a);
        assert!(hb.is_empty());
        assert!(hb.stale(t0 + Duration::from_secs(100)).is_empty());
    }
}
