//! Load generators: MQTT clients (rumqttc, `TCP_NODELAY` as paho sets it)
//! that publish send requests, plain broker traffic or idle connections,
//! and a simulator control-socket client that injects inbound SMS.
//!
//! Every load runs either at a fixed total rate or flat out with a bounded
//! number of outstanding items per source (`window`), and reports each
//! completion to a [`Tracker`], which keeps one HdrHistogram per latency
//! kind. A load ends when every item completed or failed, or when nothing
//! happened for the stall limit (lost QoS 0 messages, a stuck pipeline).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::task::JoinHandle;

use super::target::PASSWORD;
use super::{Error, Result};
use crate::api::{RequestKind, Topics};

/// Recipient of every bench SMS (not a simulated modem, so no inbound echo).
pub const RECIPIENT: &str = "+491711234567";
/// Sender of every injected inbound SMS.
pub const INBOUND_FROM: &str = "+4917600000001";
/// Highest latency the histograms hold (1 hour), in microseconds.
const LATENCY_MAX_US: u64 = 3_600_000_000;

/// Completions, failures and latencies of one load run; shared by its tasks.
pub struct Tracker {
    origin: Instant,
    started: Mutex<HashMap<String, Instant>>,
    hist: Mutex<BTreeMap<&'static str, Histogram<u64>>>,
    failures: Mutex<BTreeMap<String, u64>>,
    done: AtomicU64,
    failed: AtomicU64,
    last_progress_us: AtomicU64,
    closed: AtomicBool,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            origin: Instant::now(),
            started: Mutex::default(),
            hist: Mutex::default(),
            failures: Mutex::default(),
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            last_progress_us: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        }
    }
}

impl Tracker {
    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn progress(&self) {
        let us = self.origin.elapsed().as_micros() as u64;
        self.last_progress_us.store(us, Ordering::Relaxed);
    }

    /// Notes that item `key` starts now.
    pub fn start(&self, key: String) {
        Self::lock(&self.started).insert(key, Instant::now());
    }

    /// Records the time since `key` started as a `kind` latency; keeps the
    /// start so later stages of the same item can be measured too.
    pub fn stage(&self, kind: &'static str, key: &str) -> Option<Duration> {
        let at = *Self::lock(&self.started).get(key)?;
        let d = at.elapsed();
        self.record(kind, d);
        Some(d)
    }

    /// Records a `kind` latency and counts the item `key` as done.
    pub fn finish(&self, kind: &'static str, key: &str) -> bool {
        let Some(at) = Self::lock(&self.started).remove(key) else {
            return false;
        };
        self.record(kind, at.elapsed());
        self.done.fetch_add(1, Ordering::Relaxed);
        self.progress();
        true
    }

    /// Counts item `key` as failed for `reason`.
    pub fn fail(&self, key: &str, reason: &str) -> bool {
        if Self::lock(&self.started).remove(key).is_none() && !key.is_empty() {
            return false;
        }
        *Self::lock(&self.failures)
            .entry(reason.to_string())
            .or_default() += 1;
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.progress();
        true
    }

    /// Records a latency without item bookkeeping (e.g. broker round trips).
    pub fn record(&self, kind: &'static str, d: Duration) {
        let mut h = Self::lock(&self.hist);
        let h = h.entry(kind).or_insert_with(|| {
            Histogram::new_with_bounds(1, LATENCY_MAX_US, 3).expect("constant histogram bounds")
        });
        let _ = h.record((d.as_micros() as u64).clamp(1, LATENCY_MAX_US));
    }

    /// Counts an item done that has no start entry (broker messages carry
    /// their own send time).
    pub fn count_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.progress();
    }

    /// Marks that a client lost its connection.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
    }

    /// When the last item completed or failed (or the last wait began).
    pub fn last_progress(&self) -> Instant {
        self.origin + Duration::from_micros(self.last_progress_us.load(Ordering::Relaxed))
    }

    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// True once a client connection broke during the run.
    pub fn connection_lost(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Failures by reason.
    pub fn failures(&self) -> BTreeMap<String, u64> {
        Self::lock(&self.failures).clone()
    }

    /// The latency histograms by kind.
    pub fn histograms(&self) -> BTreeMap<&'static str, Histogram<u64>> {
        Self::lock(&self.hist).clone()
    }

    /// Waits until `total` items are done or failed, or nothing progressed
    /// for `stall`. Returns true when all are accounted for.
    pub async fn wait(&self, total: u64, stall: Duration) -> bool {
        self.progress();
        loop {
            if self.done() + self.failed() >= total {
                return true;
            }
            let idle_us = (self.origin.elapsed().as_micros() as u64)
                .saturating_sub(self.last_progress_us.load(Ordering::Relaxed));
            if Duration::from_micros(idle_us) > stall {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Pacing of one source: a fixed rate, or flat out with a window.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// Items per second from this source.
    Rate(f64),
    /// At most this many outstanding items from this source.
    Window(usize),
}

/// Gate of one source: call [`Gate::ready`] before each item, and
/// [`Gate::release`] when one completes.
pub struct Gate {
    pace: Pace,
    window: Arc<Semaphore>,
    next: tokio::time::Instant,
    started: bool,
}

impl Gate {
    pub fn new(pace: Pace) -> Gate {
        let permits = match pace {
            Pace::Window(w) => w.max(1),
            Pace::Rate(_) => 0,
        };
        Gate {
            pace,
            window: Arc::new(Semaphore::new(permits)),
            next: tokio::time::Instant::now(),
            started: false,
        }
    }

    /// The handle completions release.
    pub fn releaser(&self) -> Arc<Semaphore> {
        self.window.clone()
    }

    pub async fn ready(&mut self) {
        match self.pace {
            Pace::Rate(r) => {
                // The schedule starts at the first item, not at creation.
                let now = tokio::time::Instant::now();
                if !self.started {
                    self.started = true;
                    self.next = now;
                }
                tokio::time::sleep_until(self.next).await;
                self.next += Duration::from_secs_f64(1.0 / r.max(1e-3));
            }
            Pace::Window(_) => {
                if let Ok(p) = self.window.acquire().await {
                    p.forget();
                }
            }
        }
    }

    /// Releases one window slot (no effect when paced by rate).
    pub fn release(window: &Semaphore, pace: Pace) {
        if matches!(pace, Pace::Window(_)) {
            window.add_permits(1);
        }
    }
}

/// A publish a client received.
pub struct Incoming {
    pub topic: String,
    pub payload: Bytes,
}

/// A connected MQTT client; its event loop runs in a task that hands every
/// received publish to a callback.
pub struct Conn {
    pub client: AsyncClient,
    task: JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects (credentials `user`/[`PASSWORD`] when `user` is given),
/// subscribes to `filters` at `qos` and waits for the SUBACKs (or the
/// CONNACK when there are none).
pub async fn connect(
    addr: SocketAddr,
    client_id: &str,
    user: Option<&str>,
    filters: &[String],
    qos: QoS,
    tracker: Option<Arc<Tracker>>,
    mut on_publish: impl FnMut(Incoming) + Send + 'static,
) -> Result<Conn> {
    let mut o = MqttOptions::new(client_id, addr.ip().to_string(), addr.port());
    if let Some(u) = user {
        o.set_credentials(u, PASSWORD);
    }
    o.set_keep_alive(Duration::from_secs(60));
    o.set_inflight(1000);
    o.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut el) = AsyncClient::new(o, 1000);
    let mut net = el.network_options();
    net.set_tcp_nodelay(true);
    el.set_network_options(net);
    for f in filters {
        client
            .subscribe(f, qos)
            .await
            .map_err(|e| Error::Mqtt(e.to_string()))?;
    }
    let (ready_tx, ready_rx) = oneshot::channel::<std::result::Result<(), String>>();
    let want_subacks = filters.len();
    let task = tokio::spawn(async move {
        let mut ready_tx = Some(ready_tx);
        let mut subacks = 0;
        loop {
            match el.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) if want_subacks == 0 => {
                    if let Some(t) = ready_tx.take() {
                        let _ = t.send(Ok(()));
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(a))) => {
                    let refused = a
                        .return_codes
                        .iter()
                        .any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure));
                    subacks += 1;
                    if refused {
                        if let Some(t) = ready_tx.take() {
                            let _ = t.send(Err("subscription refused".into()));
                        }
                    } else if subacks == want_subacks {
                        if let Some(t) = ready_tx.take() {
                            let _ = t.send(Ok(()));
                        }
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => on_publish(Incoming {
                    topic: p.topic,
                    payload: p.payload,
                }),
                Ok(_) => {}
                Err(e) => {
                    if let Some(t) = ready_tx.take() {
                        let _ = t.send(Err(e.to_string()));
                    }
                    if let Some(t) = &tracker {
                        t.close();
                    }
                    return;
                }
            }
        }
    });
    match tokio::time::timeout(Duration::from_secs(30), ready_rx).await {
        Ok(Ok(Ok(()))) => Ok(Conn { client, task }),
        Ok(Ok(Err(e))) => Err(Error::Mqtt(format!("{client_id}: {e}"))),
        Ok(Err(_)) => Err(Error::Mqtt(format!("{client_id}: event loop ended"))),
        Err(_) => Err(Error::Mqtt(format!(
            "{client_id}: no CONNACK/SUBACK in 30 s"
        ))),
    }
}

/// Waits until the retained state of every modem in `names` is `ready`.
pub async fn wait_modems_ready(
    addr: SocketAddr,
    topics: &Topics,
    names: &[String],
    within: Duration,
) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let ready: Arc<Mutex<HashMap<String, bool>>> = Arc::default();
    let filters: Vec<String> = names.iter().map(|n| topics.modem_state(n)).collect();
    let r = ready.clone();
    let _conn = connect(
        addr,
        &format!("bench-watch-{:08x}", rand::random::<u32>()),
        Some(super::target::WATCH_USER),
        &filters,
        QoS::AtLeastOnce,
        None,
        move |p| {
            let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap_or_default();
            let state_ready = v["state"] == "ready";
            Tracker::lock(&r).insert(p.topic, state_ready);
        },
    )
    .await?;
    let deadline = Instant::now() + within;
    loop {
        let n = Tracker::lock(&ready).values().filter(|r| **r).count();
        if n == names.len() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Error::NotReady {
                what: format!("{} of {} modems", names.len() - n, names.len()),
                waited: within,
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What an API load waits for per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiGoal {
    /// The reply (the request is committed).
    Ack,
    /// The `delivered` status event (through the modem and its report).
    Delivered,
}

/// The body of send request `id`.
pub fn send_request(id: &str) -> Vec<u8> {
    serde_json::json!({"id": id, "to": RECIPIENT, "text": format!("bench {id}")})
        .to_string()
        .into_bytes()
}

/// Splits `total` items over `n` sources (the first ones get the rest).
pub fn share(total: u64, n: usize, i: usize) -> u64 {
    let n = n.max(1) as u64;
    total / n + u64::from((i as u64) < total % n)
}

/// Senders `b0..b{clients}` publish `total` send requests and each request
/// completes at `goal`. Latencies: `ack`, and for `Delivered` also `sent`
/// and `delivered`. Returns the client tasks, which end when their share
/// is published; completions arrive on the tracker.
#[allow(clippy::too_many_arguments)]
pub async fn api_load(
    addr: SocketAddr,
    topics: &Topics,
    clients: usize,
    total: u64,
    pace: Pace,
    goal: ApiGoal,
    tracker: Arc<Tracker>,
    go: watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<Result<Conn>>>> {
    let mut tasks = Vec::new();
    for c in 0..clients {
        let user = super::target::sender(c);
        let reply = topics.reply(&user);
        let status = topics.status(&user);
        let mut filters = vec![reply.clone()];
        if goal == ApiGoal::Delivered {
            filters.push(status.clone());
        }
        let gate = Gate::new(pace);
        let window = gate.releaser();
        let t = tracker.clone();
        let conn = connect(
            addr,
            &format!("bench-{user}-{:08x}", rand::random::<u32>()),
            Some(&user),
            &filters,
            QoS::AtLeastOnce,
            Some(tracker.clone()),
            move |p| on_api_publish(&t, &reply, &p, goal, &window, pace),
        )
        .await?;
        let topic = topics.request(&user, RequestKind::Send);
        let n = share(total, clients, c);
        let tracker = tracker.clone();
        let mut go = go.clone();
        tasks.push(tokio::spawn(async move {
            let _ = go.wait_for(|g| *g).await;
            let mut gate = gate;
            for k in 0..n {
                gate.ready().await;
                let id = format!("{user}-{k}");
                tracker.start(id.clone());
                conn.client
                    .publish(&topic, QoS::AtLeastOnce, false, send_request(&id))
                    .await
                    .map_err(|e| Error::Mqtt(e.to_string()))?;
            }
            Ok(conn)
        }));
    }
    Ok(tasks)
}

fn on_api_publish(
    t: &Tracker,
    reply_topic: &str,
    p: &Incoming,
    goal: ApiGoal,
    window: &Semaphore,
    pace: Pace,
) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&p.payload) else {
        return;
    };
    let id = v["id"].as_str().unwrap_or_default();
    if p.topic == reply_topic {
        if v["ok"] != true {
            let code = v["error"]["code"].as_str().unwrap_or("reply_not_ok");
            if t.fail(id, code) {
                Gate::release(window, pace);
            }
        } else if goal == ApiGoal::Ack {
            if t.finish("ack", id) {
                Gate::release(window, pace);
            }
        } else {
            t.stage("ack", id);
        }
        return;
    }
    let completed = match v["state"].as_str().unwrap_or_default() {
        "sent" => {
            t.stage("sent", id);
            false
        }
        "delivered" => t.finish("delivered", id),
        s @ ("failed" | "expired" | "cancelled") => t.fail(id, s),
        _ => false,
    };
    if completed {
        Gate::release(window, pace);
    }
}

/// Injects `total` inbound SMS through the simulator's control socket,
/// round-robin over `modems` (one control connection each), and counts
/// each done when it arrives on the inbox topic. Latency kind `inbound`:
/// injection → MQTT delivery.
#[allow(clippy::too_many_arguments)]
pub async fn inbound_load(
    addr: SocketAddr,
    topics: &Topics,
    control: &Path,
    modems: &[String],
    total: u64,
    pace: Pace,
    tracker: Arc<Tracker>,
    go: watch::Receiver<bool>,
) -> Result<(Conn, Vec<JoinHandle<Result<()>>>)> {
    let gates: Vec<Gate> = modems.iter().map(|_| Gate::new(pace)).collect();
    let windows: Vec<Arc<Semaphore>> = gates.iter().map(Gate::releaser).collect();
    let t = tracker.clone();
    let n_modems = modems.len().max(1);
    let watch = connect(
        addr,
        &format!("bench-inbox-{:08x}", rand::random::<u32>()),
        Some(super::target::WATCH_USER),
        &[topics.inbox()],
        QoS::AtLeastOnce,
        Some(tracker.clone()),
        move |p| {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&p.payload) else {
                return;
            };
            let text = v["text"].as_str().unwrap_or_default();
            let Some(key) = text.strip_prefix("bench-in ") else {
                return;
            };
            // Keys are `<modem index>-<k>`.
            let m: usize = key
                .split('-')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            if t.finish("inbound", key) {
                Gate::release(&windows[m % n_modems], pace);
            }
        },
    )
    .await?;
    let mut tasks = Vec::new();
    for (m, (name, mut gate)) in modems.iter().cloned().zip(gates).enumerate() {
        let n = share(total, modems.len(), m);
        let stream = UnixStream::connect(control)
            .await
            .map_err(|e| Error::Control(format!("{}: {e}", control.display())))?;
        let tracker = tracker.clone();
        let mut go = go.clone();
        tasks.push(tokio::spawn(async move {
            let _ = go.wait_for(|g| *g).await;
            let (r, mut w) = stream.into_split();
            let mut lines = BufReader::new(r).lines();
            for k in 0..n {
                gate.ready().await;
                let key = format!("{m}-{k}");
                let req = serde_json::json!({"cmd": "inject_sms", "modem": name,
                    "from": INBOUND_FROM, "text": format!("bench-in {key}")});
                tracker.start(key.clone());
                w.write_all(format!("{req}\n").as_bytes()).await?;
                let answer = lines
                    .next_line()
                    .await?
                    .ok_or_else(|| Error::Control("control socket closed".into()))?;
                let v: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
                if v["ok"] != true {
                    tracker.fail(&key, "inject_refused");
                    Gate::release(&gate.releaser(), pace);
                }
            }
            Ok(())
        }));
    }
    Ok((watch, tasks))
}

/// Plain broker traffic: each of `clients` subscribes to its own topic and
/// publishes `total / clients` messages of `payload_bytes` to it at `qos`;
/// latency kind `publish`: publish → the subscriber's receipt (the send
/// time travels in the payload). `user` is `Some` for gsmq (credentials
/// and a topic inside the user's namespace).
#[allow(clippy::too_many_arguments)]
pub async fn broker_load(
    addr: SocketAddr,
    topics: &Topics,
    gsmq_users: bool,
    clients: usize,
    total: u64,
    qos: QoS,
    payload_bytes: usize,
    pace: Pace,
    tracker: Arc<Tracker>,
    go: watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<Result<Conn>>>> {
    let origin = tracker.origin;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let user = super::target::sender(c);
        let topic = format!("{}/{user}/bench/load", topics.prefix());
        let gate = Gate::new(pace);
        let window = gate.releaser();
        let t = tracker.clone();
        let conn = connect(
            addr,
            &format!("bench-{user}-{:08x}", rand::random::<u32>()),
            gsmq_users.then_some(user.as_str()),
            std::slice::from_ref(&topic),
            qos,
            Some(tracker.clone()),
            move |p| {
                let Some(sent_ns) = p.payload.get(..8).and_then(|b| b.try_into().ok()) else {
                    return;
                };
                let sent = Duration::from_nanos(u64::from_be_bytes(sent_ns));
                t.record("publish", origin.elapsed().saturating_sub(sent));
                t.count_done();
                Gate::release(&window, pace);
            },
        )
        .await?;
        let n = share(total, clients, c);
        let mut go = go.clone();
        tasks.push(tokio::spawn(async move {
            let _ = go.wait_for(|g| *g).await;
            let mut gate = gate;
            let mut body = vec![0u8; payload_bytes.max(8)];
            for _ in 0..n {
                gate.ready().await;
                let now = origin.elapsed().as_nanos() as u64;
                body[..8].copy_from_slice(&now.to_be_bytes());
                conn.client
                    .publish(&topic, qos, false, body.clone())
                    .await
                    .map_err(|e| Error::Mqtt(e.to_string()))?;
            }
            Ok(conn)
        }));
    }
    Ok(tasks)
}

/// Opens `n` idle connections (no subscriptions), `batch` at a time.
pub async fn idle_connections(
    addr: SocketAddr,
    user: Option<&str>,
    n: usize,
    batch: usize,
) -> Result<Vec<Conn>> {
    let mut conns = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        let upto = (i + batch.max(1)).min(n);
        let round = (i..upto).map(|k| {
            let id = format!("idle-{k}-{:08x}", rand::random::<u32>());
            async move { connect(addr, &id, user, &[], QoS::AtMostOnce, None, |_| {}).await }
        });
        for c in futures::future::join_all(round).await {
            conns.push(c?);
        }
        i = upto;
    }
    Ok(conns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_total_and_differ_by_at_most_one() {
        for (total, n) in [(10u64, 3usize), (2, 5), (0, 4), (1000, 7)] {
            let parts: Vec<u64> = (0..n).map(|i| share(total, n, i)).collect();
            assert_eq!(parts.iter().sum::<u64>(), total, "{total} over {n}");
            let (lo, hi) = (parts.iter().min().unwrap(), parts.iter().max().unwrap());
            assert!(hi - lo <= 1, "{parts:?}");
        }
    }

    #[test]
    fn a_finished_item_counts_once_and_records_its_latency() {
        let t = Tracker::default();
        t.start("a".into());
        t.stage("ack", "a");
        assert!(t.finish("delivered", "a"));
        assert!(
            !t.finish("delivered", "a"),
            "a second completion is ignored"
        );
        assert!(!t.fail("a", "failed"), "a finished item cannot fail");
        assert_eq!((t.done(), t.failed()), (1, 0));
        let h = t.histograms();
        assert_eq!(h["ack"].len(), 1);
        assert_eq!(h["delivered"].len(), 1);
    }

    #[test]
    fn failures_are_counted_by_reason() {
        let t = Tracker::default();
        for k in ["a", "b", "c"] {
            t.start(k.into());
        }
        t.fail("a", "rate_limited");
        t.fail("b", "rate_limited");
        t.fail("c", "failed");
        assert_eq!(t.failed(), 3);
        assert_eq!(t.failures()["rate_limited"], 2);
        assert_eq!(t.failures()["failed"], 1);
    }

    #[tokio::test]
    async fn waiting_ends_on_a_stall_when_items_never_complete() {
        let t = Tracker::default();
        t.start("never".into());
        let all = t.wait(1, Duration::from_millis(50)).await;
        assert!(!all);
    }

    #[tokio::test]
    async fn a_window_gate_admits_only_as_many_items_as_are_released() {
        let mut g = Gate::new(Pace::Window(2));
        g.ready().await;
        g.ready().await;
        let third = tokio::time::timeout(Duration::from_millis(30), g.ready()).await;
        assert!(third.is_err(), "the third item waits for a release");
        Gate::release(&g.releaser(), Pace::Window(2));
        tokio::time::timeout(Duration::from_millis(30), g.ready())
            .await
            .expect("a release admits one more");
    }

    #[test]
    fn send_requests_carry_the_id_and_the_bench_recipient() {
        let v: serde_json::Value = serde_json::from_slice(&send_request("b0-7")).unwrap();
        assert_eq!(v["id"], "b0-7");
        assert_eq!(v["to"], RECIPIENT);
    }
}
