//! `gsmq bench` end to end at a tiny size: the real daemon binary as a
//! child with simulated modems, real MQTT clients. Asserts counts and that
//! the process figures were read, never timings.

use clap::Parser;
use gsmq::bench::{self, BenchArgs};
use gsmq::cli::{Cli, Command};

fn args(extra: &[&str]) -> BenchArgs {
    let argv = ["gsmq", "bench"]
        .into_iter()
        .chain(extra.iter().copied())
        .chain(["--gsmq-exe", env!("CARGO_BIN_EXE_gsmq")]);
    match Cli::try_parse_from(argv).unwrap().command {
        Command::Bench(a) => *a,
        other => panic!("not the bench command: {other:?}"),
    }
}

fn mosquitto_installed() -> bool {
    std::path::Path::new("/usr/sbin/mosquitto").exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledgement_is_counted_with_its_latency_and_the_daemon_cpu() {
    let a = args(&["acks", "--modems", "1", "--clients", "3", "--count", "60"]);
    let r = bench::run(&a).await.unwrap().remove(0);
    assert_eq!(
        (r.requested, r.completed, r.failed, r.missing),
        (60, 60, 0, 0),
        "{}",
        r.text()
    );
    assert_eq!(r.latency("ack").unwrap().count, 60);
    let p = r.process.as_ref().unwrap();
    assert!(p.rss_peak_kib > 0 && p.cpu_s >= 0.0, "{p:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_of_the_pipeline_ends_delivered() {
    let a = args(&[
        "pipeline",
        "--modems",
        "2",
        "--clients",
        "2",
        "--count",
        "20",
        "--window",
        "4",
    ]);
    let r = bench::run(&a).await.unwrap().remove(0);
    assert_eq!((r.completed, r.failed), (20, 0), "{}", r.text());
    for kind in ["ack", "sent", "delivered"] {
        assert_eq!(
            r.latency(kind).map(|l| l.count),
            Some(20),
            "{kind}: {}",
            r.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_injected_sms_arrives_on_the_inbox_topic() {
    let a = args(&["inbound", "--modems", "2", "--count", "16", "--window", "4"]);
    let r = bench::run(&a).await.unwrap().remove(0);
    assert_eq!((r.completed, r.failed), (16, 0), "{}", r.text());
    assert_eq!(r.latency("inbound").unwrap().count, 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_run_counts_sends_and_inbound_together() {
    let a = args(&[
        "mixed",
        "--modems",
        "1",
        "--clients",
        "1",
        "--count",
        "11",
        "--rate",
        "50",
    ]);
    let r = bench::run(&a).await.unwrap().remove(0);
    assert_eq!(r.completed, 11, "{}", r.text());
    assert_eq!(r.latency("delivered").unwrap().count, 6);
    assert_eq!(r.latency("inbound").unwrap().count, 5);
}

/// 600 parts through one fast modem: its 8-bit message reference wraps
/// twice within a second or two, and every delivery report must still find
/// the part that waits for it (a report going to an already settled part
/// with the same reference would leave another `sent` for ever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_ends_delivered_when_the_reference_wraps_within_seconds() {
    let a = args(&[
        "pipeline",
        "--modems",
        "1",
        "--clients",
        "4",
        "--count",
        "600",
        "--window",
        "64",
    ]);
    let r = bench::run(&a).await.unwrap().remove(0);
    assert_eq!(
        (r.completed, r.failed, r.missing),
        (600, 0, 0),
        "{}",
        r.text()
    );
    assert_eq!(r.latency("delivered").map(|l| l.count), Some(600));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_round_trips_are_counted_on_gsmq_and_on_mosquitto() {
    let mut targets = vec!["gsmq"];
    if mosquitto_installed() {
        targets.push("mosquitto");
    }
    for t in targets {
        let a = args(&[
            "broker",
            "--target",
            t,
            "--clients",
            "2",
            "--count",
            "200",
            "--qos",
            "1",
        ]);
        let r = bench::run(&a).await.unwrap().remove(0);
        assert_eq!(r.completed, 200, "{t}: {}", r.text());
        assert_eq!(r.latency("publish").unwrap().count, 200, "{t}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_held_open_and_measured() {
    let a = args(&["idle", "--idle", "20"]);
    let r = bench::run(&a).await.unwrap().remove(0);
    let i = r.idle.as_ref().unwrap();
    assert_eq!(i.connections, 20);
    assert!(i.rss_before_kib > 0 && i.rss_after_kib > 0, "{i:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sms_pipeline_is_measured_on_gsmq_and_on_gammu_smsd() {
    assert!(
        std::path::Path::new("/usr/bin/gammu-smsd").exists(),
        "gammu-smsd is not installed; this comparison needs it: `apt-get install gammu-smsd`"
    );
    let a = args(&[
        "smsd",
        "--modems",
        "2",
        "--sim-timing",
        "fixed:20",
        "--count",
        "8",
    ]);
    let reports = bench::run(&a).await.unwrap();
    let targets: Vec<&str> = reports.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["gsmq", "gammu-smsd"]);
    for r in &reports {
        assert_eq!(r.completed, 8, "{}", r.text());
        assert_eq!(
            r.latency("queue_to_submit").unwrap().count,
            8,
            "{}",
            r.text()
        );
        assert!(r.settings.contains_key("msgs_per_min_per_modem"));
    }
}
