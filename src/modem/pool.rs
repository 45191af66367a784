//! Many modems at once: one [`ModemRunner`] task each, plus routing,
//! load balancing, failover and per-SIM rate limits.
//!
//! Routing decides, at enqueue time, which modems may carry a message
//! ([`Pool::route`]): by destination prefix, by requested modem name or
//! tag, and by client. When every modem is eligible the message is left
//! unpinned and whichever modem is free first pulls it: that is the load
//! balancing and the failover (a dead modem pulls nothing, and parts it had
//! leased fail back to the queue). When only some modems are eligible the
//! least busy healthy one is chosen.
//!
//! Per-SIM limits (`max_per_minute`, `max_per_day`) are enforced where
//! parts are leased: a modem at its limit simply does not lease.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::runner::{ModemHandle, ModemRunner, PortOpener, RunnerConfig, SerialOpener};
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
    sent_recent: Arc<Mutex<VecDeque<Instant>>>,
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
            let now = Instant::now();
            self.lock().record(now);
            {
                let mut r = self.sent_recent.lock().unwrap_or_else(|p| p.into_inner());
                r.push_back(now);
                while r.front().is_some_and(|t| now.duration_since(*t) >= MINUTE) {
                    r.pop_front();
                }
            }
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
}

/// What a message asks of routing.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteRequest<'a> {
    /// Destination number (`+49...`).
    pub to: &'a str,
    /// A modem name or tag the client asked for.
    pub modem: Option<&'a str>,
    /// The sending client (MQTT user).
    pub client: &'a str,
    /// Modems this client may use (from its `[[user]]`; empty = any).
    pub allowed: &'a [String],
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Any modem may carry it; the first free one pulls it.
    Any,
    /// Pinned to this modem.
    Modem(String),
}

/// No modem may carry the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("no modem named or tagged {0:?}")]
    UnknownModem(String),
    #[error("no modem serves {to} for this client")]
    NoRoute { to: String },
}

#[derive(Debug)]
struct Member {
    cfg: ModemConfig,
    handle: ModemHandle,
    sent_recent: Arc<Mutex<VecDeque<Instant>>>,
}

/// A set of running modems.
#[derive(Debug)]
pub struct Pool {
    members: Vec<Member>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    sims: Vec<(String, crate::sim::SimHandle)>,
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
        let mut sims = Vec::new();
        for cfg in modems {
            let opener: Box<dyn PortOpener> = match cfg.port.strip_prefix("sim:") {
                Some(personality) => {
                    let mut opts = super::simport::options(cfg, personality)?;
                    sim(cfg, &mut opts);
                    let (opener, handle) = super::simport::start(cfg, opts)?;
                    sims.push((cfg.name.clone(), handle));
                    opener
                }
                None => Box::new(SerialOpener {
                    path: cfg.port.clone().into(),
                    baud: cfg.baud,
                }),
            };
            let sent_recent = Arc::new(Mutex::new(VecDeque::new()));
            let limited = Limited {
                inner: backend.clone(),
                limit: Arc::new(Mutex::new(RateLimit::new(
                    cfg.max_per_minute,
                    cfg.max_per_day,
                ))),
                sent_recent: sent_recent.clone(),
            };
            let mut rcfg = RunnerConfig::new(session_config(cfg));
            runner(cfg, &mut rcfg);
            let (runner, handle) =
                ModemRunner::new(rcfg, Arc::new(limited), opener, cancel.child_token());
            tracker.spawn(runner.run());
            members.push(Member {
                cfg: cfg.clone(),
                handle,
                sent_recent,
            });
        }
        tracker.close();
        Ok(Pool {
            members,
            cancel,
            tracker,
            sims,
        })
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

    /// Chooses where a message goes; see the module docs.
    pub fn route(&self, req: &RouteRequest<'_>) -> std::result::Result<Route, RouteError> {
        let cfgs: Vec<&ModemConfig> = self.members.iter().map(|m| &m.cfg).collect();
        let states = self.states();
        let busy: Vec<usize> = self
            .members
            .iter()
            .map(|m| {
                let now = Instant::now();
                let mut r = m.sent_recent.lock().unwrap_or_else(|p| p.into_inner());
                while r.front().is_some_and(|t| now.duration_since(*t) >= MINUTE) {
                    r.pop_front();
                }
                r.len()
            })
            .collect();
        route(&cfgs, &states, &busy, req)
    }

    /// Stops every runner (each fails its in-flight part back) and waits.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tracker.wait().await;
    }
}

/// The routing decision as a pure function of configuration and state.
pub fn route(
    cfgs: &[&ModemConfig],
    states: &[ModemState],
    busy: &[usize],
    req: &RouteRequest<'_>,
) -> std::result::Result<Route, RouteError> {
    if let Some(want) = req.modem {
        if !cfgs
            .iter()
            .any(|c| c.name == want || c.tags.iter().any(|t| t == want))
        {
            return Err(RouteError::UnknownModem(want.to_string()));
        }
    }
    let eligible: Vec<usize> = (0..cfgs.len())
        .filter(|&i| {
            let c = cfgs[i];
            let named = req
                .modem
                .is_none_or(|w| c.name == w || c.tags.iter().any(|t| t == w));
            let prefix =
                c.prefixes.is_empty() || c.prefixes.iter().any(|p| req.to.starts_with(p.as_str()));
            let client = req.allowed.is_empty() || req.allowed.contains(&c.name);
            let cfg_client = c.clients.is_empty() || c.clients.iter().any(|a| a == req.client);
            named && prefix && client && cfg_client
        })
        .collect();
    if eligible.is_empty() {
        return Err(RouteError::NoRoute {
            to: req.to.to_string(),
        });
    }
    if eligible.len() == cfgs.len() && cfgs.len() > 1 {
        return Ok(Route::Any);
    }
    let healthy: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&i| states.get(i).is_some_and(|s| s.is_healthy()))
        .collect();
    let pool = if healthy.is_empty() {
        &eligible
    } else {
        &healthy
    };
    let best = pool
        .iter()
        .copied()
        .min_by_key(|&i| {
            let q = states.get(i).map_or(0, |s| s.queue);
            (q + busy.get(i).copied().unwrap_or(0), i)
        })
        .unwrap_or(eligible[0]);
    Ok(Route::Modem(cfgs[best].name.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modem::ModemStatus;

    fn cfg(name: &str, tags: &[&str], prefixes: &[&str]) -> ModemConfig {
        let text = format!(
            "name = {name:?}\nport = \"/dev/null\"\ntags = {tags:?}\nprefixes = {prefixes:?}\n"
        );
        toml::from_str(&text).unwrap()
    }

    fn ready(name: &str) -> ModemState {
        let mut s = ModemState::new(name);
        s.status = ModemStatus::Ready;
        s
    }

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

    #[test]
    fn prefixes_tags_and_health_decide_the_route() {
        let a = cfg("a", &["eu"], &["+49"]);
        let b = cfg("b", &["eu"], &[]);
        let c = cfg("c", &["us"], &["+1"]);
        let cfgs = [&a, &b, &c];
        let states = [ready("a"), ready("b"), ready("c")];
        let busy = [0, 0, 0];
        let r = |to, modem| {
            route(
                &cfgs,
                &states,
                &busy,
                &RouteRequest {
                    to,
                    modem,
                    client: "dev",
                    allowed: &[],
                },
            )
        };
        assert_eq!(r("+4917", None), Ok(Route::Modem("a".into())));
        assert_eq!(r("+3361", None), Ok(Route::Modem("b".into())));
        assert_eq!(r("+1555", Some("us")), Ok(Route::Modem("c".into())));
        assert_eq!(
            r("+4917", Some("us")),
            Err(RouteError::NoRoute { to: "+4917".into() })
        );
        assert_eq!(
            r("+4917", Some("zz")),
            Err(RouteError::UnknownModem("zz".into()))
        );
        // a is down: b takes +49 traffic.
        let states = [ModemState::new("a"), ready("b"), ready("c")];
        let got = route(
            &cfgs,
            &states,
            &busy,
            &RouteRequest {
                to: "+4917",
                modem: Some("eu"),
                client: "dev",
                allowed: &[],
            },
        );
        assert_eq!(got, Ok(Route::Modem("b".into())));
    }

    #[test]
    fn the_least_busy_eligible_modem_is_chosen_and_all_eligible_means_any() {
        let a = cfg("a", &["t"], &[]);
        let b = cfg("b", &["t"], &[]);
        let c = cfg("c", &[], &[]);
        let cfgs = [&a, &b, &c];
        let states = [ready("a"), ready("b"), ready("c")];
        let req = RouteRequest {
            to: "+1",
            modem: Some("t"),
            client: "dev",
            allowed: &[],
        };
        assert_eq!(
            route(&cfgs, &states, &[5, 2, 0], &req),
            Ok(Route::Modem("b".into()))
        );
        let any = RouteRequest { modem: None, ..req };
        assert_eq!(route(&cfgs, &states, &[5, 2, 0], &any), Ok(Route::Any));
        let allowed = ["a".to_string()];
        let only_a = RouteRequest {
            allowed: &allowed,
            ..any
        };
        assert_eq!(
            route(&cfgs, &states, &[5, 2, 0], &only_a),
            Ok(Route::Modem("a".into()))
        );
    }
}
