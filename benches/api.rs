//! The MQTT API under load, end to end in-process: rumqttc clients → the
//! embedded broker → the API service → the SQLite store (group commit,
//! synchronous=FULL, in a temporary directory) → the reply.
//!
//! - `api/acks_50_clients`: 50 clients (one user each) publish send
//!   requests flat out; one iteration is 50 × 100 requests until all 5,000
//!   replies are in (criterion reports elements per second).
//! - then a paced run at 1,000 requests/s (10 clients × 100/s, 3 s) prints
//!   the reply latency p50 / p99 / max, from PUBLISH to the reply's arrival.
//!
//! Run: `cargo bench --bench api -- --measurement-time 3 --warm-up-time 1`

#[path = "../tests/api_support/mod.rs"]
mod api_support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api_support::Gateway;
use criterion::{Criterion, Throughput};
use gsmq::api::RequestKind;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

const CLIENTS: usize = 50;
const PER_CLIENT: usize = 100;
const LATENCY_CLIENTS: usize = 10;
const LATENCY_RATE_PER_CLIENT: u64 = 100;
const LATENCY_RUN: Duration = Duration::from_secs(3);

fn users(n: usize) -> String {
    let h = api_support::hash(api_support::PASSWORD);
    (0..n)
        .map(|i| {
            format!(
                "[[user]]\nname = \"b{i}\"\npassword_hash = \"{h}\"\npermissions = [\"send\"]\n"
            )
        })
        .collect()
}

/// A client of user `b{i}` whose replies (their ids) come on a channel.
struct Client {
    client: AsyncClient,
    send_topic: String,
    replies: mpsc::UnboundedReceiver<(String, Instant)>,
}

async fn client(gw: &Gateway, i: usize) -> Client {
    let user = format!("b{i}");
    let mut o = MqttOptions::new(
        format!("bench-{i}"),
        gw.addr.ip().to_string(),
        gw.addr.port(),
    );
    o.set_credentials(&user, api_support::PASSWORD);
    o.set_keep_alive(Duration::from_secs(60));
    o.set_inflight(200);
    let (client, mut el) = AsyncClient::new(o, 1000);
    // As paho and most device stacks do: without TCP_NODELAY, Nagle holds
    // each request behind the server's delayed ACK of the previous PUBACK
    // (~20 ms per request at 100 requests/s per client).
    let mut net = el.network_options();
    net.set_tcp_nodelay(true);
    el.set_network_options(net);
    let (tx, replies) = mpsc::unbounded_channel();
    let (ready_tx, mut ready) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match el.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = ready_tx.send(());
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let at = Instant::now();
                    let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
                    assert_eq!(v["ok"], true, "{v}");
                    let id = v["id"].as_str().unwrap_or_default().to_string();
                    if tx.send((id, at)).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                // The gateway stopped (end of a run).
                Err(_) => return,
            }
        }
    });
    client
        .subscribe(gw.topics.reply(&user), QoS::AtLeastOnce)
        .await
        .unwrap();
    ready.recv().await.unwrap();
    Client {
        client,
        send_topic: gw.topics.request(&user, RequestKind::Send),
        replies,
    }
}

fn payload(id: &str) -> Vec<u8> {
    serde_json::json!({"id": id, "to": "+491711234567", "text": "Your code is 4711"})
        .to_string()
        .into_bytes()
}

/// Every client publishes `n` requests, then waits for its `n` replies.
async fn burst(clients: &mut [Client], n: usize, round: u64) {
    let tasks = clients.iter_mut().enumerate().map(|(c, cl)| async move {
        for k in 0..n {
            let id = format!("r{round}-c{c}-{k}");
            cl.client
                .publish(&cl.send_topic, QoS::AtLeastOnce, false, payload(&id))
                .await
                .unwrap();
        }
        for _ in 0..n {
            tokio::time::timeout(Duration::from_secs(60), cl.replies.recv())
                .await
                .expect("reply within 60 s")
                .unwrap();
        }
    });
    futures::future::join_all(tasks).await;
}

fn throughput(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let (gw, mut clients) = rt.block_on(async {
        let gw = Gateway::start("", &users(CLIENTS)).await;
        let mut clients = Vec::new();
        for i in 0..CLIENTS {
            clients.push(client(&gw, i).await);
        }
        (gw, clients)
    });
    let mut group = c.benchmark_group("api");
    group.sample_size(10);
    group.throughput(Throughput::Elements((CLIENTS * PER_CLIENT) as u64));
    let mut round = 0u64;
    group.bench_function("acks_50_clients", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                round += 1;
                rt.block_on(burst(&mut clients, PER_CLIENT, round));
            }
            start.elapsed()
        })
    });
    group.finish();
    rt.block_on(gw.stop());
}

fn latency(rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let gw = Gateway::start("", &users(LATENCY_CLIENTS)).await;
        let mut clients = Vec::new();
        for i in 0..LATENCY_CLIENTS {
            clients.push(client(&gw, i).await);
        }
        let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let mut histogram = hdrhistogram::Histogram::<u64>::new(3).unwrap();
        let per_client = (LATENCY_RATE_PER_CLIENT * LATENCY_RUN.as_secs()) as usize;
        let tasks = clients.iter_mut().enumerate().map(|(c, cl)| {
            let sent = sent.clone();
            async move {
                let mut tick = tokio::time::interval(Duration::from_micros(
                    1_000_000 / LATENCY_RATE_PER_CLIENT,
                ));
                // Spread the clients over one tick.
                tokio::time::sleep(Duration::from_micros(
                    1_000_000 / LATENCY_RATE_PER_CLIENT / LATENCY_CLIENTS as u64 * c as u64,
                ))
                .await;
                let mut latencies = Vec::with_capacity(per_client);
                let mut received = 0;
                for k in 0..per_client {
                    tick.tick().await;
                    let id = format!("lat-c{c}-{k}");
                    sent.lock().unwrap().insert(id.clone(), Instant::now());
                    cl.client
                        .publish(&cl.send_topic, QoS::AtLeastOnce, false, payload(&id))
                        .await
                        .unwrap();
                    while let Ok((id, at)) = cl.replies.try_recv() {
                        let t0 = sent.lock().unwrap()[&id];
                        latencies.push(at - t0);
                        received += 1;
                    }
                }
                while received < per_client {
                    let (id, at) = tokio::time::timeout(Duration::from_secs(30), cl.replies.recv())
                        .await
                        .expect("reply within 30 s")
                        .unwrap();
                    let t0 = sent.lock().unwrap()[&id];
                    latencies.push(at - t0);
                    received += 1;
                }
                latencies
            }
        });
        let started = Instant::now();
        let all = futures::future::join_all(tasks).await;
        let elapsed = started.elapsed();
        let n: usize = all.iter().map(Vec::len).sum();
        for d in all.into_iter().flatten() {
            histogram.record(d.as_micros() as u64).unwrap();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        println!(
            "api/reply_latency_at_1000_per_s: {n} requests in {:.2} s ({:.0}/s): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            elapsed.as_secs_f64(),
            n as f64 / elapsed.as_secs_f64(),
            ms(histogram.value_at_quantile(0.50)),
            ms(histogram.value_at_quantile(0.99)),
            ms(histogram.max()),
        );
        gw.stop().await;
    });
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut c = Criterion::default().configure_from_args();
    throughput(&mut c, &rt);
    latency(&rt);
    c.final_summary();
}
