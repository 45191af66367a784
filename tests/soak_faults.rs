//! Faults: the real daemon drives two modems of an external `gsmq sim
//! --network` with the `heavy` fault preset (transient and permanent
//! `+CMS ERROR`s, hangs, garbage, split writes, URCs at every injection
//! point, soft resets, unplugs with a new PTY name). Every message must end
//! in a terminal state with the right shape (`sent` with every part sent,
//! or `failed` with a reason), none may stay stuck, and the daemon must
//! stay up without a panic.
//!
//! Size: `GSMQ_SOAK_MESSAGES` (default 150; the full size is
//! 10,000), bound `GSMQ_SOAK_BOUND_S` (default 300), seed `GSMQ_SOAK_SEED`.
//! Requests ask for no delivery report (`report: false`): a report the
//! modem loses in a reset would leave a message correctly waiting in
//! `sent` for `report_window_h`, which is not a stuck message.

mod soak_support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gsmq::api::{RequestKind, Topics};
use gsmq::bench::load::{self, Gate, Pace};
use gsmq::bench::target::{self, DaemonSpec, GsmqDaemon};
use rumqttc::QoS;
use soak_support::{collecting, env_u64, panics, seed, EXE};

const MODEMS: usize = 2;
const WINDOW: usize = 8;

struct Sim {
    child: std::process::Child,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_heavy_faults_every_message_ends_terminal_and_the_daemon_stays_up() {
    let total = env_u64("GSMQ_SOAK_MESSAGES", 150);
    let bound = Duration::from_secs(env_u64("GSMQ_SOAK_BOUND_S", 300));
    let seed = seed(0xfa_0175);
    let dir = target::fresh_dir("soak-faults").unwrap();
    let links: Vec<String> = (0..MODEMS)
        .map(|i| dir.join(format!("tty{i}")).display().to_string())
        .collect();
    let mut net = format!("seed = {seed}\n");
    for (i, link) in links.iter().enumerate() {
        net.push_str(&format!(
            "[[modem]]\nname = \"f{i}\"\npersonality = \"generic\"\nlink = \"{link}\"\n\
             number = \"+4915100000{i:03}\"\nfaults = \"heavy\"\ntiming_preset = \"fast\"\n"
        ));
    }
    std::fs::write(dir.join("network.toml"), net).unwrap();
    let _sim = Sim {
        child: Command::new(EXE)
            .args(["sim", "--network"])
            .arg(dir.join("network.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("sim.log")).unwrap())
            .spawn()
            .unwrap(),
    };
    let t0 = Instant::now();
    while !links.iter().all(|l| std::path::Path::new(l).exists()) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "simulator links did not appear"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut spec = DaemonSpec::new(EXE, MODEMS, 1);
    spec.modem_ports = links.clone();
    spec.log_level = "info".into();
    spec.extra_config = "[retry]\nmax_attempts = 10\nbackoff_base_ms = 50\nbackoff_max_ms = 1000\n\
                         sim_retry_delay_ms = 200\nreinit_delay_ms = 200\n"
        .into();
    let mut d = GsmqDaemon::spawn(&spec).await.unwrap();
    let topics = Topics::new("gsmq");
    load::wait_modems_ready(d.addr(), &topics, d.modems(), Duration::from_secs(60))
        .await
        .unwrap();

    let user = target::sender(0);
    let (conn, seen) = collecting(
        d.addr(),
        &user,
        &[topics.reply(&user), topics.status(&user)],
    )
    .await;
    let topic = topics.request(&user, RequestKind::Send);
    let mut gate = Gate::new(Pace::Window(WINDOW));
    let window = gate.releaser();
    let terminal = |v: &serde_json::Value| {
        matches!(
            v["state"].as_str(),
            Some("sent" | "delivered" | "failed" | "expired" | "cancelled")
        )
    };
    // Final state event per request id.
    let finals = |seen: &soak_support::Seen| -> HashMap<String, serde_json::Value> {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|(t, v)| *t != topics.reply(&user) && terminal(v))
            .filter_map(|(_, v)| Some((v["id"].as_str()?.to_string(), v.clone())))
            .collect()
    };
    let start = Instant::now();
    let mut released = 0;
    for k in 0..total {
        // Releases follow terminal events (flat out with a window).
        let done = finals(&seen).len();
        if done > released {
            window.add_permits(done - released);
            released = done;
        }
        while tokio::time::timeout(Duration::from_millis(50), gate.ready())
            .await
            .is_err()
        {
            let done = finals(&seen).len();
            if done > released {
                window.add_permits(done - released);
                released = done;
            }
            assert!(start.elapsed() < bound, "no progress within {bound:?}");
        }
        // Long texts (2 parts) every fifth message.
        let text = if k % 5 == 0 {
            format!("soak {k} {}", "x".repeat(170))
        } else {
            format!("soak {k}")
        };
        let body = serde_json::json!({"id": format!("f{k}"), "to": load::RECIPIENT,
            "text": text, "report": false});
        conn.client
            .publish(&topic, QoS::AtLeastOnce, false, body.to_string())
            .await
            .unwrap();
    }
    while finals(&seen).len() < total as usize && start.elapsed() < bound {
        assert!(d.is_alive(), "the daemon exited: {}", d.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let finals = finals(&seen);
    let mut by_state: HashMap<String, u64> = HashMap::new();
    let mut wrong = Vec::new();
    for (id, v) in &finals {
        let state = v["state"].as_str().unwrap_or_default().to_string();
        let ok = match state.as_str() {
            "sent" => v["parts_sent"] == v["parts_total"],
            "failed" => v["reason"].as_str().is_some_and(|r| !r.is_empty()),
            _ => false,
        };
        if !ok {
            wrong.push(format!("{id}: {v}"));
        }
        *by_state.entry(state).or_default() += 1;
    }
    let stuck: Vec<String> = (0..total)
        .map(|k| format!("f{k}"))
        .filter(|id| !finals.contains_key(id))
        .collect();
    let alive = d.is_alive();
    let log = d.log();
    d.terminate(Duration::from_secs(10)).unwrap();
    drop(d);
    let warnings = log.lines().filter(|l| l.contains("WARN")).count();
    println!(
        "faults: {total} messages in {:.1} s under heavy faults: {by_state:?}, {} stuck; \
         the daemon logged {warnings} warnings",
        start.elapsed().as_secs_f64(),
        stuck.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(alive, "the daemon exited");
    assert!(stuck.is_empty(), "not terminal within {bound:?}: {stuck:?}");
    assert!(
        wrong.is_empty(),
        "terminal in the wrong shape:\n{}",
        wrong.join("\n")
    );
    assert!(panics(&log).is_empty(), "{:?}", panics(&log));
}
