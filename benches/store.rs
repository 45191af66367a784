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
//! - `status_report/busy_modem_72h`: a delivery report on a modem that sent
//!   855,000 parts within the 72-hour report window (3.3 a second), so
//!   ~3,340 parts share each 8-bit message reference; one part waits for
//!   its report (temporary status, so it keeps waiting between iterations).
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

/// Writes `parts` settled parts of modem `m1` (one message each), one every
/// `gap_ms` back from `now_ms`, plus one part waiting for its report with
/// reference 7, sent a second before `now_ms`.
fn seed_sent_parts(path: &Path, parts: i64, gap_ms: i64, now_ms: i64) {
    let mut conn = rusqlite::Connection::open(path).expect("open");
    let tx = conn.transaction().expect("tx");
    {
        let mut msg = tx
            .prepare(
                "INSERT INTO messages (id, client, recipient, body, encoding, priority, report,
                     state, parts_total, parts_sent, created_ms, updated_ms)
                 VALUES (?1, 'c', '+4917012345678', 'x', 'gsm7', 0, 1, ?2, 1, 1, ?3, ?3)",
            )
            .expect("prepare");
        let mut part = tx
            .prepare(
                "INSERT INTO parts (message_id, seq, tpdu, state, priority, due_ms, modem, mr,
                     submit_ms, dr_status)
                 VALUES (?1, 0, x'00', ?2, 0, ?3, 'm1', ?4, ?3, ?5)",
            )
            .expect("prepare");
        for i in 0..=parts {
            let (state, at, mr, dr) = if i == parts {
                ("sent", now_ms - 1_000, 7, None)
            } else {
                ("delivered", now_ms - 2_000 - i * gap_ms, i % 256, Some(0))
            };
            msg.execute(rusqlite::params![i + 1, state, at])
                .expect("msg");
            part.execute(rusqlite::params![i + 1, state, at, mr, dr])
                .expect("part");
        }
    }
    tx.commit().expect("commit");
}

fn bench_status_report(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = StorageConfig::new(dir.path().join("db"));
    drop(Store::open(&cfg, &RetryConfig::default()).expect("open"));
    let now = Utc::now();
    let t = Instant::now();
    seed_sent_parts(
        &dir.path().join("db").join("gsmq.sqlite3"),
        855_000,
        300,
        now.timestamp_millis(),
    );
    eprintln!("seeded 855,000 sent parts in {:?}", t.elapsed());
    let store = Store::open(&cfg, &RetryConfig::default()).expect("open");
    let scts = Some(now - chrono::Duration::seconds(2));
    let mut group = c.benchmark_group("status_report");
    group.sample_size(20);
    group.bench_function("busy_modem_72h", |b| {
        b.iter(|| {
            let part = rt
                .block_on(store.status_report("m1", 7, "+4917012345678", 0x20, scts, now))
                .expect("report");
            assert!(part.is_some());
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_enqueue,
    bench_pick,
    bench_startup,
    bench_status_report
);
criterion_main!(benches);
