//! Memory: the real daemon under a paced mixed load (sends to `delivered`
//! and inbound SMS at once) with its RSS sampled every 100 ms. After the
//! first quarter of the run (warm-up: SQLite page cache, broker sessions,
//! allocator arenas) the RSS may not grow by more than [`GROWTH_MAX_KIB`],
//! and it never exceeds [`RSS_MAX_KIB`].
//!
//! Size: `GSMQ_SOAK_SECS` (default 12; the full size is 3,600) at
//! `GSMQ_SOAK_RATE` items per second (default 100).

mod soak_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use gsmq::api::Topics;
use gsmq::bench::target::{DaemonSpec, GsmqDaemon};
use gsmq::bench::{self, proc, BenchArgs};
use gsmq::cli::{Cli, Command};
use soak_support::{env_u64, panics, EXE};

/// RSS growth allowed after the warm-up quarter.
const GROWTH_MAX_KIB: u64 = 8 * 1024;
/// RSS ceiling of the daemon under this load.
const RSS_MAX_KIB: u64 = 96 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_stays_flat_under_a_long_mixed_load() {
    let secs = env_u64("GSMQ_SOAK_SECS", 12);
    let rate = env_u64("GSMQ_SOAK_RATE", 100);
    let count = (secs * rate).to_string();
    let rate_s = rate.to_string();
    let argv = [
        "gsmq",
        "bench",
        "mixed",
        "--modems",
        "2",
        "--clients",
        "4",
        "--count",
        &count,
        "--rate",
        &rate_s,
        "--gsmq-exe",
        EXE,
    ];
    let args: BenchArgs = match Cli::try_parse_from(argv).unwrap().command {
        Command::Bench(a) => *a,
        _ => unreachable!("parsed as bench"),
    };
    let mut spec = DaemonSpec::new(EXE, 2, 4);
    spec.log_level = "info".into();
    let mut d = GsmqDaemon::spawn(&spec).await.unwrap();
    let topics = Topics::new("gsmq");
    bench::load::wait_modems_ready(d.addr(), &topics, d.modems(), Duration::from_secs(30))
        .await
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let pid = d.pid();
    let s = stop.clone();
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        while !s.load(Ordering::Relaxed) {
            if let Ok(p) = proc::sample(pid) {
                samples.push(p.rss_kib);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        samples
    });
    let report = bench::run_gateway_scenario(&args, &d, &topics)
        .await
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.await.unwrap();
    println!("{}", report.text());
    assert!(samples.len() >= 8, "too few samples: {samples:?}");
    let quarter = samples.len() / 4;
    let warm = *samples[..quarter].iter().max().unwrap();
    let late = *samples[quarter..].iter().max().unwrap();
    let peak = *samples.iter().max().unwrap();
    println!(
        "memory: {} samples over {secs} s at {rate}/s: warm-up max {warm} KiB, later max {late} KiB, \
         peak {peak} KiB",
        samples.len()
    );
    assert_eq!(report.completed, secs * rate, "{}", report.text());
    assert!(d.is_alive());
    let log = d.log();
    d.terminate(Duration::from_secs(10)).unwrap();
    assert!(
        late <= warm + GROWTH_MAX_KIB,
        "RSS grew from {warm} KiB to {late} KiB after the warm-up"
    );
    assert!(peak <= RSS_MAX_KIB, "RSS peak {peak} KiB");
    assert!(panics(&log).is_empty(), "{:?}", panics(&log));
}
