//! Many modems at once: one [`ModemRunner`] task each, plus per-SIM rate
//! limits and the failover delay.
//!
//! Routing is decided when a message is accepted (`api::Api::route`: by
//! requested modem name or tag, destination prefix, the user's modems and
//! each modem's clients) and stored with the message; each runner leases
//! only what it may carry (`store::route`). Whichever eligible modem is free
//! first pulls the next part: that is the load balancing, and the failover
//! (a dead modem pulls nothing; parts it had leased fail back to the queue;
//! the multipart messages it had started move to other modems after
//! `failover_after_s`).
//!
//! Per-SIM limits (`max_per_minute`, `max_per_day`) are enforced where
//! parts are leased: a modem at its limit simply does not lease.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::runner::{
    ModemHandle, ModemRunner, PortClaims, PortOpener, RunnerConfig, ScanOpener, SerialOpener,
};
use super::session::SessionConfig;
use super::{Backend, BoxFuture, FailClass, ModemState, OutPart, Result, StatusReport};
use crate::config::ModemConfig;

/// Sliding-window send limits of one SIM. Pure: time comes in as `now`.
#[derive(Debug, Clone)]
pub struct RateLimit {
    per_minute: u32,
    per_day: u32,
    minute: VecDeque<Instant>,
    day: VecDeque<Instant>,
}

const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 3600);

impl RateLimit {
    /// `0` means unlimited.
    pub fn new(per_minute: u32, per_day: u32) -> Self {
        Self {
            per_minute,
            per_day,
            minute: VecDeque::new(),
            day: VecDeque::new(),
        }
    }

    fn expire(&mut self, now: Instant) {
        while self
            .minute
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE)
        {
            self.minute.pop_front();
        }
        while self
            .day
            .front()
            .is_some_and(|t| now.duration_since(*t) >= DAY)
        {
            self.day.pop_front();
        }
    }

    /// Whether one more send is allowed at `now`.
    pub fn allows(&mut self, now: Instant) -> bool {
        self.expire(now);
        (self.per_minute == 0 || self.minute.len() < self.per_minute as usize)
            && (self.per_day == 0 || self.day.len() < self.per_day as usize)
    }

    /// Records one send at `now`.
    pub fn record(&mut self, now: Instant) {
        self.expire(now);
        if self.per_minute > 0 {
            self.minute.push_back(now);
        }
        if self.per_day > 0 {
            self.day.push_back(now);
        }
    }

    /// Sends inside the last minute (for load balancing).
    pub fn recent(&mut self, now: Instant) -> usize {
        self.expire(now);
        self.minute.len()
    }
}

/// The backend one runner sees: the shared backend behind this modem's limit.
struct Limited {
    inner: Arc<dyn Backend>,
    limit: Arc<Mutex<RateLimit>>,
}

impl Limited {
    fn lock(&self) -> std::sync::MutexGuard<'_, RateLimit> {
        self.limit.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Backend for Limited {
    fn next_part<'a>(&'a self, modem: &'a str) -> BoxFuture<'a, Result<Option<OutPart>>> {
        Box::pin(async move {
            if !self.lock().allows(Instant::now()) {
                return Ok(None);
            }
            self.inner.next_part(modem).await
        })
    }
    fn part_sent<'a>(&'a self, modem: &'a str, part_id: i64, mr: u8) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.lock().record(Instant::now());
            self.inner.part_sent(modem, part_id, mr).await
        })
    }
    fn part_failed<'a>(
        &'a self,
        modem: &'a str,
        part_id: i64,
        class: FailClass,
        reason: String,
    ) -> BoxFuture<'a, Result<()>> {
        self.inner.part_failed(modem, part_id, class, reason)
    }
    fn inbound<'a>(&'a self, modem: &'a str, pdu: &'a [u8]) -> BoxFuture<'a, Result<()>> {
        self.inner.inbound(modem, pdu)
    }
    fn status_report(&self, report: StatusReport) -> BoxFuture<'_, Result<()>> {
        self.inner.status_report(report)
    }
    fn state_changed(&self, state: ModemState) -> BoxFuture<'_, ()> {
        self.inner.state_changed(state)
    }
    fn queue_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.queue_changes()
    }
    fn release_modem<'a>(&'a self, modem: &'a str) -> BoxFuture<'a, Result<usize>> {
        self.inner.release_modem(modem)
    }
    fn lease_mms<'a>(
        &'a self,
        modem: &'a str,
    ) -> BoxFuture<'a, Result<Option<super::mms_at::MmsLease>>> {
        self.inner.lease_mms(modem)
    }
    fn mms_done<'a>(
        &'a self,
        modem: &'a str,
        mms_id: i64,
        attempts: u32,
        outcome: super::mms_at::MmsAtOutcome,
    ) -> BoxFuture<'a, Result<()>> {
        self.inner.mms_done(modem, mms_id, attempts, outcome)
    }
    fn lease_mms_fetch<'a>(
        &'a self,
        modem: &'a str,
    ) -> BoxFuture<'a, Result<Option<super::mms_at::recv::MmsFetchLease>>> {
        self.inner.lease_mms_fetch(modem)
    }
    fn mms_fetched<'a>(
        &'a self,
        modem: &'a str,
        lease: &'a super::mms_at::recv::MmsFetchLease,
        outcome: super::mms_at::recv::FetchOutcome,
    ) -> BoxFuture<'a, Result<()>> {
        self.inner.mms_fetched(modem, lease, outcome)
    }
    fn mms_notice<'a>(
        &'a self,
        modem: &'a str,
        notice: super::mms_at::recv::PushNotice,
    ) -> BoxFuture<'a, Result<()>> {
        self.inner.mms_notice(modem, notice)
    }
}

#[derive(Debug)]
struct Member {
    cfg: ModemConfig,
    handle: ModemHandle,
}

/// A set of running modems.
#[derive(Debug)]
pub struct Pool {
    members: Vec<Member>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    sims: Vec<(String, crate::sim::SimHandle)>,
    network: Option<Arc<crate::sim::Network>>,
}

/// Builds the session settings of one configured modem.
pub fn session_config(cfg: &ModemConfig) -> SessionConfig {
    let mut s = SessionConfig::new(cfg.name.clone());
    s.pin = cfg.pin.clone();
    s.direct_delivery = cfg.direct_delivery;
    s.health_interval = Duration::from_secs(cfg.health_interval_s.max(1));
    s
}

impl Pool {
    /// Starts one runner per configured modem on `backend` (call inside a
    /// tokio runtime).
    pub fn start(
        modems: &[ModemConfig],
        backend: Arc<dyn Backend>,
        cancel: CancellationToken,
    ) -> Result<Pool> {
        Self::start_with(modems, backend, cancel, &|_, _| {}, &|_, _| {})
    }

    /// [`Pool::start`] with hooks that adjust each simulator's options and
    /// each runner's settings (tests and benchmarks).
    pub fn start_with(
        modems: &[ModemConfig],
        backend: Arc<dyn Backend>,
        cancel: CancellationToken,
        sim: &dyn Fn(&ModemConfig, &mut crate::sim::SimOptions),
        runner: &dyn Fn(&ModemConfig, &mut RunnerConfig),
    ) -> Result<Pool> {
        let tracker = TaskTracker::new();
        let mut members = Vec::new();
        // Every `sim:` modem joins one simulated network, so they can text
        // each other and one control socket reaches them all.
        let mut sim_opts = Vec::new();
        for cfg in modems {
            if let Some(personality) = cfg.port.strip_prefix("sim:") {
                let mut opts = super::simport::options(cfg, personality)?;
                sim(cfg, &mut opts);
                sim_opts.push((cfg.name.clone(), opts));
            }
        }
        let network = if sim_opts.is_empty() {
            None
        } else {
            Some(Arc::new(
                crate::sim::Network::start(sim_opts)
                    .map_err(|e| super::Error::Sim(e.to_string()))?,
            ))
        };
        let mut sims = Vec::new();
        // Ports configured by path (simulated ones included) are never
        // probed by a modem configured by IMEI.
        let claims = PortClaims::new(
            modems
                .iter()
                .filter(|c| !c.port.is_empty())
                .map(|c| match (c.port.strip_prefix("sim:"), &network) {
                    (Some(_), Some(net)) => net
                        .modem(&c.name)
                        .map_or_else(|| c.port.clone().into(), |h| h.path().to_path_buf()),
                    _ => c.port.clone().into(),
                })
                .collect(),
        );
        for cfg in modems {
            let opener: Box<dyn PortOpener> = match (cfg.port.strip_prefix("sim:"), &network) {
                (Some(_), Some(net)) => {
                    let handle = net
                        .modem(&cfg.name)
                        .ok_or_else(|| super::Error::Sim(format!("modem {:?} missing", cfg.name)))?
                        .clone();
                    let opener = super::simport::opener(cfg, &handle);
                    sims.push((cfg.name.clone(), handle));
                    opener
                }
                _ if cfg.port.is_empty() => Box::new(ScanOpener::new(
                    cfg.scan.clone(),
                    cfg.baud,
                    cfg.imei.clone().unwrap_or_default(),
                    claims.clone(),
                )),
                _ => Box::new(SerialOpener {
                    path: cfg.port.clone().into(),
                    baud: cfg.baud,
                }),
            };
            let limited = Limited {
                inner: backend.clone(),
                limit: Arc::new(Mutex::new(RateLimit::new(
                    cfg.max_per_minute,
                    cfg.max_per_day,
                ))),
            };
            let mut rcfg = RunnerConfig::new(session_config(cfg));
            rcfg.expected_imei = cfg.imei.clone();
            rcfg.failover_after = Duration::from_secs(cfg.failover_after_s);
            runner(cfg, &mut rcfg);
            let (runner, handle) =
                ModemRunner::new(rcfg, Arc::new(limited), opener, cancel.child_token());
            tracker.spawn(runner.run());
            members.push(Member {
                cfg: cfg.clone(),
                handle,
            });
        }
        tracker.close();
        Ok(Pool {
            members,
            cancel,
            tracker,
            sims,
            network,
        })
    }

    /// The simulated network of the `sim:` modems, if any.
    pub fn sim_network(&self) -> Option<Arc<crate::sim::Network>> {
        self.network.clone()
    }

    /// The simulator behind a `sim:` modem.
    pub fn sim(&self, name: &str) -> Option<&crate::sim::SimHandle> {
        self.sims.iter().find(|(n, _)| n == name).map(|(_, h)| h)
    }

    /// Names of all modems, in configuration order.
    pub fn names(&self) -> Vec<String> {
        self.members.iter().map(|m| m.cfg.name.clone()).collect()
    }

    /// The handle of one modem.
    pub fn handle(&self, name: &str) -> Option<&ModemHandle> {
        self.members
            .iter()
            .find(|m| m.cfg.name == name)
            .map(|m| &m.handle)
    }

    /// Latest state of every modem, in configuration order.
    pub fn states(&self) -> Vec<ModemState> {
        self.members.iter().map(|m| m.handle.state()).collect()
    }

    /// Stops every runner (each fails its in-flight part back) and waits.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tracker.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_blocks_the_sixty_first_send_in_a_minute_and_frees_after() {
        let t0 = Instant::now();
        let mut l = RateLimit::new(60, 0);
        for i in 0..60 {
            assert!(l.allows(t0 + Duration::from_millis(i)));
            l.record(t0 + Duration::from_millis(i));
        }
        assert!(!l.allows(t0 + Duration::from_secs(1)));
        assert!(l.allows(t0 + Duration::from_secs(61)));
    }

    #[test]
    fn a_daily_limit_holds_across_minutes() {
        let t0 = Instant::now();
        let mut l = RateLimit::new(0, 2);
        l.record(t0);
        l.record(t0 + Duration::from_secs(120));
        assert!(!l.allows(t0 + Duration::from_secs(3600)));
        assert!(l.allows(t0 + DAY + Duration::from_secs(1)));
    }
}
