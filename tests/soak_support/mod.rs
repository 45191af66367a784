//! Shared pieces of the soak tests: sizes and seeds from the environment
//! (small by default so `cargo test` stays short; the full sizes are in
//! docs/benchmarks.md), and a client that collects JSON publishes.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use gsmq::bench::load::{self, Conn};
use rumqttc::QoS;

pub const EXE: &str = env!("CARGO_BIN_EXE_gsmq");

/// `name` from the environment, else `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The seed of a soak: `GSMQ_SOAK_SEED` or `default`; printed so a failure
/// can be replayed.
pub fn seed(default: u64) -> u64 {
    let s = env_u64("GSMQ_SOAK_SEED", default);
    println!("soak seed {s} (GSMQ_SOAK_SEED={s} to replay)");
    s
}

/// Every JSON publish a client received, with its topic.
pub type Seen = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// Connects as `user`, subscribes to `filters`, and collects publishes.
pub async fn collecting(addr: SocketAddr, user: &str, filters: &[String]) -> (Conn, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let conn = load::connect(
        addr,
        &format!("soak-{user}-{:08x}", rand::random::<u32>()),
        Some(user),
        filters,
        QoS::AtLeastOnce,
        None,
        move |p| {
            let v = serde_json::from_slice(&p.payload).unwrap_or(serde_json::Value::Null);
            s.lock().unwrap().push((p.topic, v));
        },
    )
    .await
    .expect("connect");
    (conn, seen)
}

/// Lines of a daemon log that report a panic.
pub fn panics(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("panicked") || l.contains("panic"))
        .collect()
}
