//! Power loss: the real daemon is SIGKILLed under MQTT send load, cycle
//! after cycle, on the same database. Afterwards every acknowledged request
//! is asked again with the same `id`: the reply must be a duplicate with the
//! original `message_id` (nothing acknowledged was lost), and the store must
//! hold every acknowledged message. Possible duplicate sends are counted:
//! parts in flight (`sending`) at a kill are requeued at start-up
//! (`crash_policy = "at_least_once"`), and only those may be sent twice.
//!
//! Size: `GSMQ_SOAK_CYCLES` (default 4; the full size is 100),
//! seed `GSMQ_SOAK_SEED`.

mod soak_support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gsmq::api::{RequestKind, Topics};
use gsmq::bench::load::{self, Gate, Pace};
use gsmq::bench::target::{self, DaemonSpec, GsmqDaemon};
use gsmq::config::{RetryConfig, StorageConfig};
use gsmq::store::Store;
use rand::{Rng, SeedableRng};
use rumqttc::QoS;
use soak_support::{collecting, env_u64, panics, seed, EXE};

const CLIENTS: usize = 3;
/// Requests per second per client while the load runs.
const RATE_PER_CLIENT: f64 = 300.0;

/// Part ids listed as `requeued: [..]` in the start-up recovery log lines.
fn requeued_parts(log: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for line in log.lines().filter(|l| l.contains("storage open")) {
        let Some(rest) = line.split("requeued: [").nth(1) else {
            continue;
        };
        let list = rest.split(']').next().unwrap_or_default();
        out.extend(list.split(',').filter_map(|n| n.trim().parse::<i64>().ok()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_message_is_lost_across_sigkill_cycles() {
    let cycles = env_u64("GSMQ_SOAK_CYCLES", 4);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed(0x9a55_1055));
    let dir = target::fresh_dir("soak-power").unwrap();
    let mut spec = DaemonSpec::new(EXE, 2, CLIENTS);
    spec.sim_timing = "fixed:5".into();
    spec.log_level = "info".into();
    spec.dir = Some(dir.clone());
    let topics = Topics::new("gsmq");
    // id → (user, message_id) of every acknowledged request.
    let acked: Arc<Mutex<HashMap<String, (String, i64)>>> = Arc::default();
    let mut published = 0u64;

    for cycle in 0..cycles {
        let mut d = GsmqDaemon::spawn(&spec).await.unwrap();
        let before = acked.lock().unwrap().len();
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let user = target::sender(c);
            let a = acked.clone();
            let u = user.clone();
            let conn = load::connect(
                d.addr(),
                &format!("soak-{cycle}-{c}"),
                Some(&user),
                &[topics.reply(&user)],
                QoS::AtLeastOnce,
                None,
                move |p| {
                    let v: serde_json::Value =
                        serde_json::from_slice(&p.payload).unwrap_or_default();
                    if let (true, Some(id), Some(m)) =
                        (v["ok"] == true, v["id"].as_str(), v["message_id"].as_i64())
                    {
                        a.lock().unwrap().insert(id.to_string(), (u.clone(), m));
                    }
                },
            )
            .await
            .unwrap();
            let topic = topics.request(&user, RequestKind::Send);
            let stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                let mut gate = Gate::new(Pace::Rate(RATE_PER_CLIENT));
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    gate.ready().await;
                    let id = format!("p{cycle}-{c}-{n}");
                    if conn
                        .client
                        .publish(&topic, QoS::AtLeastOnce, false, load::send_request(&id))
                        .await
                        .is_err()
                    {
                        break;
                    }
                    n += 1;
                }
                n
            }));
        }
        let run = Duration::from_millis(rng.gen_range(200..700));
        tokio::time::sleep(run).await;
        d.kill().unwrap();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            published += t.await.unwrap();
        }
        let now = acked.lock().unwrap().len();
        assert!(
            now > before,
            "cycle {cycle}: nothing was acknowledged in {run:?}"
        );
    }

    // Ask again: every acknowledged id must be a duplicate of its message.
    let acked = acked.lock().unwrap().clone();
    let mut d = GsmqDaemon::spawn(&spec).await.unwrap();
    let mut by_user: HashMap<String, Vec<(&String, i64)>> = HashMap::new();
    for (id, (user, m)) in &acked {
        by_user.entry(user.clone()).or_default().push((id, *m));
    }
    let mut lost = Vec::new();
    for (user, ids) in &by_user {
        let (conn, seen) = collecting(d.addr(), user, &[topics.reply(user)]).await;
        let topic = topics.request(user, RequestKind::Send);
        for (id, _) in ids {
            conn.client
                .publish(&topic, QoS::AtLeastOnce, false, load::send_request(id))
                .await
                .unwrap();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while seen.lock().unwrap().len() < ids.len() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let replies: HashMap<String, serde_json::Value> = seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(_, v)| Some((v["id"].as_str()?.to_string(), v.clone())))
            .collect();
        for (id, m) in ids {
            match replies.get(*id) {
                Some(v) if v["duplicate"] == true && v["message_id"].as_i64() == Some(*m) => {}
                other => lost.push(format!("{id} (message {m}): {other:?}")),
            }
        }
    }
    assert!(d.is_alive());
    d.terminate(Duration::from_secs(10)).unwrap();
    let log = d.log();
    drop(d);

    // The store holds every acknowledged message; only requeued parts were
    // attempted more than once.
    let store = Store::open(&StorageConfig::new(dir.join("db")), &RetryConfig::default()).unwrap();
    let requeued = requeued_parts(&log);
    let mut missing_in_store = Vec::new();
    let mut retried_parts = Vec::new();
    for (id, (user, m)) in &acked {
        match store.message(*m).await.unwrap() {
            Some(s) if &s.client == user => {
                retried_parts.extend(s.parts.iter().filter(|p| p.attempts > 1).map(|p| p.part_id))
            }
            other => missing_in_store.push(format!("{id} (message {m}): {other:?}")),
        }
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "power loss: {cycles} SIGKILL cycles, {published} requests published, {} acknowledged, \
         {} lost, {} parts requeued at restarts (may have been sent twice), {} parts attempted \
         more than once",
        acked.len(),
        lost.len(),
        requeued.len(),
        retried_parts.len()
    );
    assert!(
        lost.is_empty(),
        "acknowledged but lost:\n{}",
        lost.join("\n")
    );
    assert!(
        missing_in_store.is_empty(),
        "{}",
        missing_in_store.join("\n")
    );
    let unexplained: Vec<_> = retried_parts
        .iter()
        .filter(|p| !requeued.contains(p))
        .collect();
    assert!(
        unexplained.is_empty(),
        "parts attempted twice without a crash requeue: {unexplained:?}"
    );
    assert!(panics(&log).is_empty(), "{:?}", panics(&log));
}

#[test]
fn requeued_parts_are_read_from_the_recovery_log_line() {
    let log = "2026-11-22T09:00:00Z  INFO gsmq::gateway: storage open recovery=RecoveryReport { requeued: [4, 17], unknown: [] }\n\
               other line requeued: [99]\n\
               2026-11-22T09:00:01Z  INFO gsmq::gateway: storage open recovery=RecoveryReport { requeued: [], unknown: [] }\n";
    assert_eq!(requeued_parts(log), [4, 17]);
}
