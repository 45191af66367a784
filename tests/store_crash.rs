//! Crash test of the store: a child process (this test binary re-invoked
//! with `GSMQ_STORE_CRASH_CHILD` set) enqueues and works through messages
//! and is killed with SIGKILL at seeded random points. After every restart
//! each acknowledged message must be present, and at the end every one must
//! have reached a terminal state; parts sent twice must be parts that
//! crash recovery found in flight.
//!
//! Reproduce a run with `GSMQ_CRASH_SEED=<seed>` (the seed is printed).
//! `GSMQ_CRASH_CYCLES` changes the number of kills (default 50).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use gsmq::config::{CrashPolicy, RetryConfig, StorageConfig};
use gsmq::store::{ErrorClass, MessageState, NewMessage, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const CHILD_ENV: &str = "GSMQ_STORE_CRASH_CHILD";
const MODE_ENV: &str = "GSMQ_STORE_CRASH_MODE";
const SEED_ENV: &str = "GSMQ_STORE_CRASH_CHILD_SEED";
const TEST_NAME: &str = "acknowledged_messages_survive_sigkill_at_random_points";
const PRODUCERS: usize = 4;
const MODEMS: [&str; 4] = ["m1", "m2", "m3", "m4"];

fn storage(dir: &Path) -> StorageConfig {
    StorageConfig::new(dir.join("db"))
}

fn retry() -> RetryConfig {
    RetryConfig {
        max_attempts: 1_000,
        backoff_base_ms: 1,
        backoff_max_ms: 5,
        sim_retry_delay_ms: 1,
        reinit_delay_ms: 1,
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // One write per line so a kill never leaves half a line that parses.
    let _ = out.write_all(format!("{line}\n").as_bytes());
    let _ = out.flush();
}

// ------------------------------------------------------------------- child

fn child(dir: PathBuf) {
    // The parent holds our stdin: when it dies, so do we (no orphans).
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
        std::process::exit(3);
    });
    let drain = std::env::var(MODE_ENV).as_deref() == Ok("drain");
    let seed: u64 = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let store = Store::open(&storage(&dir), &retry()).expect("open store");
        let report = store
            .recover(CrashPolicy::AtLeastOnce)
            .await
            .expect("recover");
        for part in &report.requeued {
            say(&format!("REQUEUED {part}"));
        }
        say("READY");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("sends.log"))
            .expect("send log");
        let log = std::sync::Arc::new(log);
        let mut tasks = Vec::new();
        if !drain {
            for p in 0..PRODUCERS {
                let store = store.clone();
                tasks.push(tokio::spawn(async move {
                    let mut rng = StdRng::seed_from_u64(seed ^ (p as u64 + 1));
                    for n in 0u64.. {
                        let parts = rng.gen_range(1..=3);
                        let msg = NewMessage {
                            client: "crash".into(),
                            idempotency_key: Some(format!("{seed}-{p}-{n}")),
                            to: "+4917012345678".into(),
                            text: format!("p{p} n{n}"),
                            encoding: "gsm7".into(),
                            parts: (0..parts).map(|i| vec![0x41, i as u8, n as u8]).collect(),
                            priority: rng.gen_range(0..3),
                            send_at: None,
                            valid_until: None,
                            modem: None,
                            report: false,
                        };
                        let e = store.enqueue(msg).await.expect("enqueue");
                        assert!(!e.duplicate, "fresh keys are never duplicates");
                        say(&format!("ACK {}", e.message_id));
                        // Keep the backlog small so the final drain is short.
                        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..8))).await;
                    }
                }));
            }
        }
        for (w, modem) in MODEMS.iter().enumerate() {
            let store = store.clone();
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(seed ^ (0x100 + w as u64));
                let mut mr: u8 = 0;
                loop {
                    // Draining leases an hour ahead so backoff never holds a
                    // part back; failures are recorded at the real time so a
                    // retried part is always due for the worker's next lease
                    // (the only worker that can requeue a part is the one
                    // holding it, and it always leases again).
                    let now = Utc::now();
                    let lease_at = if drain {
                        now + chrono::Duration::hours(1)
                    } else {
                        now
                    };
                    let Some(part) = store.lease_next_part(modem, lease_at).await.expect("lease")
                    else {
                        if drain {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        continue;
                    };
                    if rng.gen_bool(0.1) {
                        store
                            .part_failed(part.part_id, ErrorClass::Transient, "flaky".into(), now)
                            .await
                            .expect("failed");
                        continue;
                    }
                    // "Transmit": one append per send, before the commit.
                    (&*log)
                        .write_all(format!("SEND {}\n", part.part_id).as_bytes())
                        .expect("log send");
                    mr = mr.wrapping_add(1);
                    store.part_sent(part.part_id, mr, now).await.expect("sent");
                }
            }));
        }
        if drain {
            for t in tasks {
                t.await.expect("worker");
            }
            store.checkpoint().await.expect("checkpoint");
            say("DRAINED");
        } else {
            // Work until killed.
            futures::future::pending::<()>().await;
        }
    });
}

// ------------------------------------------------------------------ parent

struct Run {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Held open while the child runs (it exits when this closes).
    _stdin: Option<std::process::ChildStdin>,
}

fn spawn_child(dir: &Path, mode: &str, seed: u64) -> Run {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .env(MODE_ENV, mode)
        .env(SEED_ENV, seed.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("child stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => return,
                // A line cut by the kill has no newline: dropped.
                Ok(_) if buf.last() != Some(&b'\n') => return,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf).trim().to_string();
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            }
        }
    });
    Run {
        child,
        lines,
        _stdin: stdin,
    }
}

#[derive(Default)]
struct Ledger {
    acked: Vec<i64>,
    requeued: HashMap<i64, usize>,
}

impl Ledger {
    fn take(&mut self, line: &str) -> bool {
        // libtest prints "test <name> ... " without a newline first.
        let line = line.rsplit("... ").next().unwrap_or(line);
        if let Some(id) = line.strip_prefix("ACK ") {
            self.acked.push(id.parse().expect("ACK id"));
        } else if let Some(id) = line.strip_prefix("REQUEUED ") {
            *self
                .requeued
                .entry(id.parse().expect("part id"))
                .or_default() += 1;
        } else {
            return line == "READY";
        }
        false
    }
}

fn parent() {
    let seed: u64 = std::env::var("GSMQ_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    let cycles: usize = std::env::var("GSMQ_CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    println!("store crash test seed: {seed} (rerun with GSMQ_CRASH_SEED={seed}), {cycles} kills");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let mut ledger = Ledger::default();

    for cycle in 0..cycles {
        let mut run = spawn_child(dir.path(), "work", rng.gen());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let line = run
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("seed {seed}: child {cycle} never became ready"));
            if ledger.take(&line) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(20..250)));
        run.child.kill().expect("SIGKILL");
        let status = run.child.wait().expect("wait child");
        assert!(
            !status.success(),
            "seed {seed}: child {cycle} exited by itself: {status}"
        );
        while let Ok(line) = run.lines.recv_timeout(Duration::from_secs(5)) {
            ledger.take(&line);
        }
        // Every acknowledged message so far is in the database.
        rt.block_on(async {
            let store = Store::open(&storage(dir.path()), &retry()).expect("reopen");
            for &id in &ledger.acked {
                assert!(
                    store.message(id).await.expect("read").is_some(),
                    "seed {seed}: acknowledged message {id} lost after kill {cycle}"
                );
            }
        });
    }

    let kills_done = started.elapsed();
    let mut drain = spawn_child(dir.path(), "drain", rng.gen());
    let status = drain.child.wait().expect("wait drain");
    let mut drained = false;
    while let Ok(line) = drain.lines.recv_timeout(Duration::from_secs(5)) {
        drained |= line.ends_with("DRAINED");
        ledger.take(&line);
    }
    assert!(
        status.success() && drained,
        "seed {seed}: drain failed: {status}"
    );

    let drain_done = started.elapsed();
    let sends = std::fs::read_to_string(dir.path().join("sends.log")).expect("send log");
    let mut sent: HashMap<i64, usize> = HashMap::new();
    for line in sends.lines() {
        let id = line
            .strip_prefix("SEND ")
            .expect("log line")
            .parse()
            .expect("part id");
        *sent.entry(id).or_default() += 1;
    }

    let unique: HashSet<i64> = ledger.acked.iter().copied().collect();
    assert_eq!(
        unique.len(),
        ledger.acked.len(),
        "seed {seed}: an id was acknowledged twice"
    );
    let (mut parts_checked, mut duplicates, mut stored) = (0usize, 0usize, 0i64);
    rt.block_on(async {
        let store = Store::open(&storage(dir.path()), &retry()).expect("reopen");
        let mut id = 1;
        // Every stored message (acknowledged or not) ends terminal and sent.
        while let Some(m) = store.message(id).await.expect("read") {
            assert_eq!(
                m.state,
                MessageState::Sent,
                "seed {seed}: message {id} ended {:?} ({:?})",
                m.state,
                m.reason
            );
            for p in &m.parts {
                parts_checked += 1;
                let n = sent.get(&p.part_id).copied().unwrap_or(0);
                assert!(n >= 1, "seed {seed}: part {} never transmitted", p.part_id);
                let allowed = ledger.requeued.get(&p.part_id).copied().unwrap_or(0);
                assert!(
                    n - 1 <= allowed,
                    "seed {seed}: part {} sent {n} times but was in flight at only {allowed} kills",
                    p.part_id
                );
                duplicates += n - 1;
            }
            id += 1;
        }
        stored = id - 1;
        for &acked in &ledger.acked {
            assert!(
                acked < id,
                "seed {seed}: acknowledged message {acked} missing"
            );
        }
    });
    println!(
        "store crash test: seed {seed}, {cycles} kills, {} acknowledged messages, {} stored, {parts_checked} parts, \
         {duplicates} duplicate sends (all of parts in flight at a kill), {} requeues; \
         kills done {:.1}s, drained {:.1}s, checked {:.1}s",
        ledger.acked.len(),
        stored,
        ledger.requeued.values().sum::<usize>(),
        kills_done.as_secs_f64(),
        drain_done.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        !ledger.acked.is_empty(),
        "seed {seed}: no message was ever acknowledged"
    );
}

#[test]
fn acknowledged_messages_survive_sigkill_at_random_points() {
    match std::env::var_os(CHILD_ENV) {
        Some(dir) => child(PathBuf::from(dir)),
        None => parent(),
    }
}
