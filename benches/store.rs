//! Store benchmarks (criterion), all with `synchronous=FULL` on a real file:
//!
//! - `enqueue/group_commit_32_producers`: acknowledged enqueues with 32
//!   concurrent producers through the group-commit writer, against
//!   `enqueue/one_tx_per_message_32_producers` (the same store with
//!   `group_commit_max = 1`, i.e. one transaction and fsync per message).
//! - `pick_next_due/{1000,1000000}`: choosing the next due part with 1,000
//!   and 1,000,000 queued parts (half of them high priority but scheduled
//!   in the future, the case a naive index scans).
//! - `startup/100000_queued`: `Store::open` + `recover` on a database with
//!   100,000 queued messages.
//!
//! Run: `cargo bench --bench store -- --measurement-time 3 --warm-up-time 1`

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gsmq::config::{CrashPolicy, RetryConfig, StorageConfig};
use gsmq::store::{NewMessage, Store};

const PRODUCERS: u64 = 32;
/// Enqueues per measured iteration: one full burst of every producer.
const BURST: u64 = PRODUCERS * 16;

fn msg(i: u64, parts: usize) -> NewMessage {
    NewMessage {
        client: format!("c{}", i % 8),
        idempotency_key: Some(format!("k{i}")),
        to: "+4917012345678".into(),
        text: "benchmark message".into(),
        encoding: "gsm7".into(),
        parts: vec![vec![0x41; 140]; parts],
        priority: (i % 3) as u8,
        send_at: None,
        valid_until: None,
        modem: None,
        report: true,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `total` enqueues spread over 32 concurrent producers; returns the
/// wall time until the last acknowledgement.
async fn produce(store: &Store, total: u64, base: u64) -> Duration {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..PRODUCERS {
        let store = store.clone();
        let n = total / PRODUCERS + u64::from(p < total % PRODUCERS);
        tasks.push(tokio::spawn(async move {
            for k in 0..n {
                let i = base + p * BURST + k;
                store.enqueue(msg(i, 1)).await.expect("enqueue");
            }
        }));
    }
    for t in tasks {
        t.await.expect("producer");
    }
    start.elapsed()
}

fn bench_enqueue(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("enqueue");
    group.throughput(Throughput::Elements(BURST));
    group.sample_size(10);
    for (name, batch) in [
        ("group_commit_32_producers", 512),
        ("one_tx_per_message_32_producers", 1),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cfg = StorageConfig::new(dir.path().join("db"));
        cfg.group_commit_max = batch;
        let store = Store::open(&cfg, &RetryConfig::default()).expect("open");
        let mut base = 0u64;
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    base += BURST * PRODUCERS;
                    total += rt.block_on(produce(&store, BURST, base));
                }
                total
            })
        });
    }
    group.finish();
}

fn seed(store: &Store, rt: &tokio::runtime::Runtime, parts: u64, now: DateTime<Utc>) {
    const PER_MESSAGE: u64 = 10;
    const CHUNK: u64 = 5_000;
    let messages = parts / PER_MESSAGE;
    let mut i = 0;
    while i < messages {
        let batch: Vec<NewMessage> = (i..(i + CHUNK).min(messages))
            .map(|k| {
                let mut m = msg(k, PER_MESSAGE as usize);
                m.idempotency_key = None;
                if k % 2 == 0 {
                    // High priority, but not due for a day.
                    m.priority = 9;
                    m.send_at = Some(now + chrono::Duration::days(1));
                } else {
                    m.priority = (k % 3) as u8;
                }
                m
            })
            .collect();
        rt.block_on(store.enqueue_many(batch, now)).expect("seed");
        i += CHUNK;
    }
}

fn bench_pick(c: &mut Criterion) {
    let rt = runtime();
    let now = Utc::now();
    let mut group = c.benchmark_group("pick_next_due");
    for parts in [1_000u64, 1_000_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(
            &StorageConfig::new(dir.path().join("db")),
            &RetryConfig::default(),
        )
        .expect("open");
        let t = Instant::now();
        seed(&store, &rt, parts, now);
        eprintln!("seeded {parts} queued parts in {:?}", t.elapsed());
        let first = store.peek_next_part_blocking("m1", now).expect("peek");
        assert!(first.is_some());
        group.bench_with_input(BenchmarkId::from_parameter(parts), &parts, |b, _| {
            b.iter(|| store.peek_next_part_blocking("m1", now).expect("peek"))
        });
    }
    group.finish();
}

fn build_startup_db(path: &Path, rt: &tokio::runtime::Runtime) -> StorageConfig {
    let cfg = StorageConfig::new(path);
    let store = Store::open(&cfg, &RetryConfig::default()).expect("open");
    let now = Utc::now();
    for chunk in 0..20u64 {
        let batch = (chunk * 5_000..(chunk + 1) * 5_000)
            .map(|k| msg(k, 1))
            .collect();
        rt.block_on(store.enqueue_many(batch, now)).expect("seed");
    }
    // Some parts in flight, as after a crash.
    for _ in 0..100 {
        rt.block_on(store.lease_next_part("m1", now))
            .expect("lease");
    }
    rt.block_on(store.checkpoint()).expect("checkpoint");
    cfg
}

fn bench_startup(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = build_startup_db(&dir.path().join("db"), &rt);
    let mut group = c.benchmark_group("startup");
    group.sample_size(10);
    group.bench_function("100000_queued", |b| {
        b.iter(|| {
            let store = Store::open(&cfg, &RetryConfig::default()).expect("open");
            rt.block_on(store.recover(CrashPolicy::AtLeastOnce))
                .expect("recover");
            store
        })
    });
    group.finish();
}

criterion_group!(benches, bench_enqueue, bench_pick, bench_startup);
criterion_main!(benches);
