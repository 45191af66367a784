//! Driver benchmark (not criterion: one long run, the figures are the
//! output). Four simulated modems with a fixed 300 ms `^Z` → `+CMGS`
//! latency, the real store and runners:
//!
//! - sustained send throughput for N messages vs the 4 × (1 / 0.3 s) ceiling,
//! - daemon CPU per SMS (process CPU minus the simulator's threads),
//! - due (committed to the store) → `AT+CMGS` written, on idle modems,
//! - `+CMTI` read → inbound committed.
//!
//! Run: `cargo bench --bench driver` (`GSMQ_BENCH_MESSAGES=2000` by default,
//! `GSMQ_BENCH_SAMPLES=100` latency samples).

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use gsmq::config::{RetryConfig, StorageConfig};
use gsmq::modem::backend_store::StoreBackend;
use gsmq::modem::runner::{ModemRunner, Port, PortOpener, RunnerConfig, SerialOpener};
use gsmq::modem::session::SessionConfig;
use gsmq::modem::{Backend, BoxFuture, FailClass, ModemState, ModemStatus, OutPart, StatusReport};
use gsmq::sim::{Personality, SimHandle, SimOptions, Timing};
use gsmq::store::{NewMessage, Store};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;

const MODEMS: usize = 4;
const SUBMIT: Duration = Duration::from_millis(300);

#[derive(Default)]
struct Taps {
    cmgs: Mutex<Vec<Instant>>,
    cmti: Mutex<Vec<Instant>>,
}

struct TapPort {
    inner: Box<dyn Port>,
    taps: Arc<Taps>,
}

impl AsyncRead for TapPort {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &r {
            let new = &buf.filled()[before..];
            if new.windows(5).any(|w| w == b"+CMTI") {
                this.taps.cmti.lock().unwrap().push(Instant::now());
            }
        }
        r
    }
}

impl AsyncWrite for TapPort {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if buf.starts_with(b"AT+CMGS=") {
            this.taps.cmgs.lock().unwrap().push(Instant::now());
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

struct TapOpener {
    inner: SerialOpener,
    taps: Arc<Taps>,
}

impl PortOpener for TapOpener {
    fn open(&self) -> BoxFuture<'_, std::io::Result<Box<dyn Port>>> {
        Box::pin(async move {
            let inner = self.inner.open().await?;
            Ok(Box::new(TapPort {
                inner,
                taps: self.taps.clone(),
            }) as Box<dyn Port>)
        })
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// The store backend, counting sends and timing inbound commits.
struct Timed {
    inner: StoreBackend,
    sent: AtomicUsize,
    last_sent: Mutex<Option<Instant>>,
    commits: Mutex<Vec<Instant>>,
}

impl Backend for Timed {
    fn next_part<'a>(
        &'a self,
        modem: &'a str,
    ) -> BoxFuture<'a, gsmq::modem::Result<Option<OutPart>>> {
        self.inner.next_part(modem)
    }
    fn part_sent<'a>(
        &'a self,
        modem: &'a str,
        part_id: i64,
        mr: u8,
    ) -> BoxFuture<'a, gsmq::modem::Result<()>> {
        Box::pin(async move {
            let r = self.inner.part_sent(modem, part_id, mr).await;
            *self.last_sent.lock().unwrap() = Some(Instant::now());
            self.sent.fetch_add(1, Ordering::SeqCst);
            r
        })
    }
    fn part_failed<'a>(
        &'a self,
        modem: &'a str,
        part_id: i64,
        class: FailClass,
        reason: String,
    ) -> BoxFuture<'a, gsmq::modem::Result<()>> {
        self.inner.part_failed(modem, part_id, class, reason)
    }
    fn inbound<'a>(
        &'a self,
        modem: &'a str,
        pdu: &'a [u8],
    ) -> BoxFuture<'a, gsmq::modem::Result<()>> {
        Box::pin(async move {
            let r = self.inner.inbound(modem, pdu).await;
            self.commits.lock().unwrap().push(Instant::now());
            r
        })
    }
    fn status_report(&self, report: StatusReport) -> BoxFuture<'_, gsmq::modem::Result<()>> {
        self.inner.status_report(report)
    }
    fn state_changed(&self, state: ModemState) -> BoxFuture<'_, ()> {
        self.inner.state_changed(state)
    }
    fn queue_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.queue_changes()
    }
    fn release_modem<'a>(&'a self, modem: &'a str) -> BoxFuture<'a, gsmq::modem::Result<usize>> {
        self.inner.release_modem(modem)
    }
}

/// CPU seconds of this process: (all threads, threads named `sim*`).
fn cpu_seconds() -> (f64, f64) {
    let tick = 100.0; // USER_HZ on Linux
    let (mut all, mut sim) = (0.0, 0.0);
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for e in dir.flatten() {
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let comm = &stat[open + 1..close];
            let f: Vec<&str> = stat[close + 2..].split(' ').collect();
            let t = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
                + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            all += t / tick;
            if comm.starts_with("sim") {
                sim += t / tick;
            }
        }
    }
    (all, sim)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn message(to: &str, i: usize) -> NewMessage {
    let text = format!("benchmark message {i}");
    let parts =
        gsmq::pdu::encode_submit(to, &text, &gsmq::pdu::SubmitOptions::default()).expect("encode");
    NewMessage {
        client: "bench".into(),
        idempotency_key: None,
        to: to.into(),
        text,
        encoding: "gsm7".into(),
        parts: parts.into_iter().map(|p| p.tpdu).collect(),
        priority: 0,
        send_at: None,
        valid_until: None,
        modem: None,
        report: false,
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let n = env("GSMQ_BENCH_MESSAGES", 2000);
    let samples = env("GSMQ_BENCH_SAMPLES", 100);
    let sim_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sim")
        .enable_all()
        .build()
        .expect("sim runtime");
    let sims: Vec<SimHandle> = sim_rt.block_on(async {
        (0..MODEMS)
            .map(|i| {
                gsmq::sim::spawn(SimOptions {
                    personality: Personality::Generic,
                    number: format!("+1555010{i:04}"),
                    seed: i as u64 + 1,
                    timing: Timing::fixed(SUBMIT),
                    ..SimOptions::default()
                })
                .expect("sim")
            })
            .collect()
    });
    let daemon_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("daemon")
        .enable_all()
        .build()
        .expect("daemon runtime");
    daemon_rt.block_on(run(&sims, n, samples));
    drop(sims);
}

async fn run(sims: &[SimHandle], n: usize, samples: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(
        &StorageConfig::new(dir.path().join("bench.sqlite3")),
        &RetryConfig::default(),
    )
    .expect("store");
    let backend = Arc::new(Timed {
        inner: StoreBackend::new(store.clone()),
        sent: AtomicUsize::new(0),
        last_sent: Mutex::new(None),
        commits: Mutex::new(Vec::new()),
    });
    let taps = Arc::new(Taps::default());
    let cancel = CancellationToken::new();
    let mut handles = Vec::new();
    let mut tasks = Vec::new();
    for (i, sim) in sims.iter().enumerate() {
        let mut cfg = RunnerConfig::new(SessionConfig::new(format!("m{i}")));
        cfg.session.health_interval = Duration::from_secs(3600);
        let opener = TapOpener {
            inner: SerialOpener {
                path: sim.path().to_path_buf(),
                baud: 115_200,
            },
            taps: taps.clone(),
        };
        let (runner, handle) = ModemRunner::new(
            cfg,
            backend.clone() as Arc<dyn Backend>,
            Box::new(opener),
            cancel.clone(),
        );
        tasks.push(tokio::spawn(runner.run()));
        handles.push(handle);
    }
    for h in &handles {
        let mut w = h.watch();
        tokio::time::timeout(
            Duration::from_secs(30),
            w.wait_for(|s| s.status == ModemStatus::Ready),
        )
        .await
        .expect("modem ready")
        .expect("runner alive");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    eprintln!("modems ready");
    // 1. due → AT+CMGS written, one message at a time on idle modems.
    let mut due_to_cmgs = Vec::new();
    for i in 0..samples {
        let before = backend.sent.load(Ordering::SeqCst);
        let msg = message(&format!("+4917000{i:05}"), i);
        // Due from before the commit: includes the store's commit latency.
        let due = Instant::now();
        store.enqueue(msg).await.expect("enqueue");
        backend.inner.notify_queued();
        let end = Instant::now() + Duration::from_secs(10);
        while backend.sent.load(Ordering::SeqCst) == before && Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if let Some(t) = taps.cmgs.lock().unwrap().iter().find(|t| **t >= due) {
            due_to_cmgs.push(t.duration_since(due));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    eprintln!("phase 1 done: {} samples", due_to_cmgs.len());
    // 2. +CMTI read → inbound committed.
    let mut cmti_to_commit = Vec::new();
    for i in 0..samples {
        let before = backend.commits.lock().unwrap().len();
        let cmti_before = taps.cmti.lock().unwrap().len();
        sims[i % MODEMS]
            .inject_sms("+4915550000", &format!("inbound {i}"))
            .await
            .expect("inject");
        let end = Instant::now() + Duration::from_secs(5);
        while backend.commits.lock().unwrap().len() == before && Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if i % 10 == 9 {
            eprintln!("inbound sample {}", i + 1);
        }
        let commit = backend.commits.lock().unwrap().get(before).copied();
        let cmti = taps.cmti.lock().unwrap().get(cmti_before).copied();
        if let (Some(c), Some(t)) = (commit, cmti) {
            cmti_to_commit.push(c.duration_since(t));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    eprintln!("phase 2 done: {} samples", cmti_to_commit.len());
    // 3. Sustained throughput over n queued messages.
    // One transaction, so no part goes out before the clock starts.
    let base = backend.sent.load(Ordering::SeqCst);
    let batch: Vec<NewMessage> = (0..n)
        .map(|i| message(&format!("+4916000{i:05}"), i))
        .collect();
    store
        .enqueue_many(batch, chrono::Utc::now())
        .await
        .expect("enqueue");
    let (cpu0, sim0) = cpu_seconds();
    let start = Instant::now();
    backend.inner.notify_queued();
    while backend.sent.load(Ordering::SeqCst) < base + n {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let end = backend
        .last_sent
        .lock()
        .unwrap()
        .unwrap_or_else(Instant::now);
    let (cpu1, sim1) = cpu_seconds();
    let elapsed = end.duration_since(start).as_secs_f64();
    let rate = n as f64 / elapsed;
    let ceiling = MODEMS as f64 / SUBMIT.as_secs_f64();
    let daemon_cpu = (cpu1 - cpu0) - (sim1 - sim0);
    let mut sent_parts = 0;
    for s in sims {
        sent_parts += s.sent_parts().await.len();
    }

    println!(
        "gsmq driver benchmark: {MODEMS} simulated modems, fixed {} ms submit latency",
        SUBMIT.as_millis()
    );
    println!(
        "throughput: {n} messages in {elapsed:.2} s = {rate:.2} msg/s; ceiling {ceiling:.2} msg/s; {:.1} % of ceiling",
        100.0 * rate / ceiling
    );
    println!(
        "simulator sent-log parts (all phases): {sent_parts} (expected {})",
        n + samples
    );
    println!(
        "daemon CPU: {:.3} s for {n} messages = {:.3} ms/SMS (process {:.2} s, simulator threads {:.2} s)",
        daemon_cpu,
        1000.0 * daemon_cpu / n as f64,
        cpu1 - cpu0,
        sim1 - sim0
    );
    println!(
        "due -> AT+CMGS written ({} samples): p50 {:.2} ms, p99 {:.2} ms",
        due_to_cmgs.len(),
        pct(&mut due_to_cmgs, 0.5).as_secs_f64() * 1e3,
        pct(&mut due_to_cmgs, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "+CMTI read -> committed ({} samples; simulator command latency 0): p50 {:.2} ms, p99 {:.2} ms",
        cmti_to_commit.len(),
        pct(&mut cmti_to_commit, 0.5).as_secs_f64() * 1e3,
        pct(&mut cmti_to_commit, 0.99).as_secs_f64() * 1e3
    );
    cancel.cancel();
    for t in tasks {
        let _ = t.await;
    }
}
