//! Bad input: seeded random and malformed send-request payloads over MQTT,
//! and raw malformed packets on bare TCP connections, against the real
//! daemon. Every publish on a send topic is answered by exactly one reply
//! (an error for the bad ones); every bad connection is closed by the
//! broker, after at most a CONNACK; afterwards the daemon still serves a
//! valid request and its log holds no panic.
//!
//! Size: `GSMQ_SOAK_PAYLOADS` (default 1,500) and `GSMQ_SOAK_PACKETS`
//! (default 300); the full size is 100,000 in all. Seed
//! `GSMQ_SOAK_SEED`.

mod soak_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gsmq::api::{RequestKind, Topics};
use gsmq::bench::load;
use gsmq::bench::target::{self, DaemonSpec, GsmqDaemon};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rumqttc::QoS;
use soak_support::{collecting, env_u64, panics, seed, EXE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One bad (or, one time in 20, valid) send-request payload.
fn payload(rng: &mut StdRng, k: u64) -> Vec<u8> {
    let id = format!("bad-{k}");
    let s = |v: serde_json::Value| v.to_string().into_bytes();
    match rng.gen_range(0..16) {
        0 => (0..rng.gen_range(0..300)).map(|_| rng.gen()).collect(),
        1 => {
            let full = s(serde_json::json!({"id": id, "to": load::RECIPIENT, "text": "hi"}));
            full[..rng.gen_range(0..full.len())].to_vec()
        }
        2 => s(serde_json::json!({"id": id, "to": 491711234567u64, "text": "hi"})),
        3 => s(serde_json::json!({"id": id, "to": load::RECIPIENT, "text": ["a"]})),
        4 => s(
            serde_json::json!({"id": id, "to": load::RECIPIENT, "text": "hi", "priority": rng.gen_range(10..1000)}),
        ),
        5 => s(serde_json::json!({"id": id, "to": "not a number", "text": "hi"})),
        6 => s(serde_json::json!({"id": id, "to": load::RECIPIENT, "text": "   "})),
        7 => s(serde_json::json!({"id": id, "to": load::RECIPIENT, "text": "hi", "colour": "red"})),
        8 => {
            let depth = rng.gen_range(100..20_000);
            let mut v = "[".repeat(depth);
            v.push_str(&"]".repeat(depth));
            v.into_bytes()
        }
        9 => vec![0xff, 0xfe, b'{', 0xc3, 0x28, b'}'],
        10 => s(serde_json::json!([1, 2, 3])),
        11 => b"null".to_vec(),
        12 => {
            let text = "x".repeat(rng.gen_range(65_536..120_000));
            s(serde_json::json!({"id": id, "to": load::RECIPIENT, "text": text}))
        }
        13 => s(
            serde_json::json!({"id": "x".repeat(rng.gen_range(65..500)), "to": load::RECIPIENT, "text": "hi"}),
        ),
        14 => s(
            serde_json::json!({"id": id, "to": load::RECIPIENT, "text": "hi", "send_at": "yesterday", "valid_for_s": -1}),
        ),
        _ if rng.gen_bool(0.5) => s(serde_json::json!({"id": id, "to": [], "text": "hi"})),
        _ => s(serde_json::json!({"id": id, "to": load::RECIPIENT, "text": format!("valid {k}")})),
    }
}

/// MQTT 3.1.1 CONNECT with the given protocol name and level.
fn connect_packet(name: &[u8], level: u8, user: Option<(&str, &str)>) -> Vec<u8> {
    let mut var = Vec::new();
    var.extend_from_slice(&(name.len() as u16).to_be_bytes());
    var.extend_from_slice(name);
    var.push(level);
    var.push(if user.is_some() { 0xC2 } else { 0x02 });
    var.extend_from_slice(&60u16.to_be_bytes());
    let id = b"raw";
    var.extend_from_slice(&(id.len() as u16).to_be_bytes());
    var.extend_from_slice(id);
    if let Some((u, p)) = user {
        for f in [u, p] {
            var.extend_from_slice(&(f.len() as u16).to_be_bytes());
            var.extend_from_slice(f.as_bytes());
        }
    }
    let mut out = vec![0x10, var.len() as u8];
    out.extend(var);
    out
}

/// One malformed packet stream.
fn raw_packet(rng: &mut StdRng) -> Vec<u8> {
    let good = connect_packet(b"MQTT", 4, Some(("b0", target::PASSWORD)));
    let mut garbage: Vec<u8> = (0..rng.gen_range(1..200)).map(|_| rng.gen()).collect();
    match rng.gen_range(0..10) {
        0 => garbage,
        1 => connect_packet(b"MQTX", 4, None),
        2 => connect_packet(b"MQTT", rng.gen_range(6..=255), None),
        3 => vec![0x10, 0xff, 0xff, 0xff, 0xff, 0x7f],
        4 => vec![0x30, 0x05, 0x00, 0x01, b'a', b'h', b'i'],
        5 => connect_packet(b"MQTT", 4, Some(("b0", "wrong password"))),
        6 => {
            let mut p = good;
            p.append(&mut garbage);
            p
        }
        7 => {
            let p = good;
            p[..rng.gen_range(1..p.len())].to_vec()
        }
        8 => vec![rng.gen_range(0..2u8) * 0xf0, 0x00],
        _ => {
            let mut p = good;
            // SUBSCRIBE with QoS 3.
            p.extend_from_slice(&[0x82, 0x06, 0x00, 0x01, 0x00, 0x01, b'a', 0x03]);
            p
        }
    }
}

/// Writes `bytes`, half-closes, and reads until the broker closes.
/// Returns what the broker sent, or an error if it kept the connection.
async fn raw_exchange(addr: SocketAddr, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let _ = s.write_all(&bytes).await;
    let _ = s.shutdown().await;
    let mut got = Vec::new();
    match tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut got)).await {
        Ok(_) => Ok(got),
        Err(_) => Err(format!("still open after 15 s; sent {bytes:02x?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_payload_is_answered_and_every_bad_packet_dropped() {
    let payloads = env_u64("GSMQ_SOAK_PAYLOADS", 1500);
    let packets = env_u64("GSMQ_SOAK_PACKETS", 300);
    let mut rng = StdRng::seed_from_u64(seed(0xbad_1db));
    let mut spec = DaemonSpec::new(EXE, 1, 1);
    spec.log_level = "info".into();
    let mut d = GsmqDaemon::spawn(&spec).await.unwrap();
    let topics = Topics::new("gsmq");
    let user = target::sender(0);
    let (conn, seen) = collecting(d.addr(), &user, &[topics.reply(&user)]).await;
    let topic = topics.request(&user, RequestKind::Send);

    for k in 0..payloads {
        let body = payload(&mut rng, k);
        conn.client
            .publish(&topic, QoS::AtLeastOnce, false, body)
            .await
            .unwrap();
        // Keep at most a few hundred in flight.
        while k as usize >= seen.lock().unwrap().len() + 300 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let start = Instant::now();
    while (seen.lock().unwrap().len() as u64) < payloads
        && start.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let replies = seen.lock().unwrap().clone();
    let ok = replies.iter().filter(|(_, v)| v["ok"] == true).count();
    let mut codes = std::collections::BTreeMap::<String, u64>::new();
    for (_, v) in &replies {
        if let Some(c) = v["error"]["code"].as_str() {
            *codes.entry(c.to_string()).or_default() += 1;
        }
    }

    let mut closed = 0u64;
    let mut kept_open = Vec::new();
    let mut unexpected = Vec::new();
    let mut left = packets;
    while left > 0 {
        let batch = left.min(50);
        left -= batch;
        let round: Vec<Vec<u8>> = (0..batch).map(|_| raw_packet(&mut rng)).collect();
        let results =
            futures::future::join_all(round.into_iter().map(|b| raw_exchange(d.addr(), b))).await;
        for r in results {
            match r {
                Ok(got) if got.is_empty() || got[0] == 0x20 => closed += 1,
                Ok(got) => unexpected.push(format!("{got:02x?}")),
                Err(e) => kept_open.push(e),
            }
        }
    }

    // Still serving.
    conn.client
        .publish(
            &topic,
            QoS::AtLeastOnce,
            false,
            load::send_request("after-soak"),
        )
        .await
        .unwrap();
    let start = Instant::now();
    let answered = loop {
        let hit = seen
            .lock()
            .unwrap()
            .iter()
            .any(|(_, v)| v["id"] == "after-soak" && v["ok"] == true);
        if hit || start.elapsed() > Duration::from_secs(20) {
            break hit;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let alive = d.is_alive();
    let log = d.log();
    d.terminate(Duration::from_secs(10)).unwrap();
    println!(
        "bad input: {payloads} payloads → {} replies ({ok} ok, errors {codes:?}); {packets} raw \
         packet streams → {closed} closed by the broker",
        replies.len()
    );
    assert_eq!(replies.len() as u64, payloads, "one reply per publish");
    assert!(kept_open.is_empty(), "{}", kept_open.join("\n"));
    assert!(
        unexpected.is_empty(),
        "answers other than CONNACK: {unexpected:?}"
    );
    assert!(answered, "no reply to a valid request after the soak");
    assert!(alive);
    assert!(panics(&log).is_empty(), "{:?}", panics(&log));
}
