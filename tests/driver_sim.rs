//! End to end: the modem pool over real PTYs against the in-process
//! simulator (`port = "sim:<personality>"`), with the SQLite store behind
//! [`StoreBackend`]. Every message must reach the simulator's sent-log
//! exactly once and end in the right terminal state; inbound messages must
//! end up in the inbox once each; faults on one modem must not stop others.

#[path = "sim_support/mod.rs"]
mod sim_support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gsmq::config::{ModemConfig, RetryConfig, StorageConfig};
use gsmq::modem::backend_store::StoreBackend;
use gsmq::modem::pool::Pool;
use gsmq::modem::{Backend, ModemStatus};
use gsmq::pdu;
use gsmq::sim::{Faults, SimOptions, Timing};
use gsmq::store::{EventKind, MessageState, NewMessage, Store};
use tokio_util::sync::CancellationToken;

const PERSONALITIES: [&str; 5] = ["generic", "sim800", "sim7600", "ec25", "e3372"];

struct Gw {
    pool: Pool,
    backend: Arc<StoreBackend>,
    store: Store,
    _dir: tempfile::TempDir,
}

fn modem_cfg(name: &str, personality: &str, number: &str) -> ModemConfig {
    toml::from_str(&format!(
        "name = {name:?}\nport = \"sim:{personality}\"\nsim_number = {number:?}\nhealth_interval_s = 2\n"
    ))
    .expect("modem config")
}

async fn gateway(modems: &[(&str, &str)], tune: impl Fn(&str, &mut SimOptions)) -> Gw {
    gateway_with(modems, tune, |_| {}).await
}

async fn gateway_with(
    modems: &[(&str, &str)],
    tune: impl Fn(&str, &mut SimOptions),
    cfg_tune: impl Fn(&mut ModemConfig),
) -> Gw {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = StorageConfig::new(dir.path().join("gsmq.sqlite3"));
    let retry = RetryConfig {
        max_attempts: 12,
        backoff_base_ms: 50,
        backoff_max_ms: 500,
        sim_retry_delay_ms: 100,
        reinit_delay_ms: 100,
    };
    let store = Store::open(&storage, &retry).expect("store");
    let backend = Arc::new(StoreBackend::new(store.clone()));
    let cfgs: Vec<ModemConfig> = modems
        .iter()
        .enumerate()
        .map(|(i, (name, p))| {
            let mut c = modem_cfg(name, p, &format!("+1555000{i:04}"));
            cfg_tune(&mut c);
            c
        })
        .collect();
    let pool = Pool::start_with(
        &cfgs,
        backend.clone() as Arc<dyn Backend>,
        CancellationToken::new(),
        &|cfg, opts| {
            opts.timing = Timing::fast();
            tune(&cfg.name, opts);
        },
        &|_, r| {
            r.session.prompt_timeout = Duration::from_secs(2);
            r.session.command_timeout = Duration::from_secs(2);
            r.session.submit_timeout = Duration::from_secs(5);
            r.session.reset_timeout = Duration::from_secs(3);
            r.session.list_timeout = Duration::from_secs(3);
            r.session.sync_timeout = Duration::from_millis(500);
            r.idle_poll = Duration::from_millis(100);
        },
    )
    .expect("pool");
    Gw {
        pool,
        backend,
        store,
        _dir: dir,
    }
}

async fn all_ready(gw: &Gw, within: Duration) {
    for name in gw.pool.names() {
        let mut w = gw.pool.handle(&name).expect("handle").watch();
        // Map at once: the `Ref` a `wait_for` returns holds the state lock.
        let ready = tokio::time::timeout(within, w.wait_for(|s| s.status == ModemStatus::Ready))
            .await
            .is_ok_and(|r| r.is_ok());
        assert!(
            ready,
            "modem {name} not ready: {:?}",
            gw.pool.handle(&name).unwrap().state()
        );
    }
}

/// Enqueues `text` to `to`, pinned to `modem` when given, with a report.
async fn send(gw: &Gw, to: &str, text: &str, modem: Option<&str>, reference: u16) -> i64 {
    let opts = pdu::SubmitOptions {
        status_report: true,
        reference,
        ..Default::default()
    };
    let parts = pdu::encode_submit(to, text, &opts).expect("encode");
    let plan = pdu::plan(text, &opts);
    let e = gw
        .store
        .enqueue(NewMessage {
            client: "test".into(),
            idempotency_key: None,
            to: to.into(),
            text: text.into(),
            encoding: plan.encoding.as_str().into(),
            parts: parts.into_iter().map(|p| p.tpdu).collect(),
            priority: 0,
            send_at: None,
            valid_until: None,
            modem: modem.map(str::to_string),
            report: true,
        })
        .await
        .expect("enqueue");
    gw.backend.notify_queued();
    e.message_id
}

async fn wait_states(
    gw: &Gw,
    ids: &[i64],
    ok: &[MessageState],
    within: Duration,
) -> HashMap<i64, MessageState> {
    let end = tokio::time::Instant::now() + within;
    loop {
        let mut states = HashMap::new();
        for id in ids {
            let m = gw.store.message(*id).await.expect("read").expect("message");
            states.insert(*id, m.state);
        }
        if states.values().all(|s| ok.contains(s)) || tokio::time::Instant::now() > end {
            return states;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn inbox(store: &Store) -> Vec<(String, String, String)> {
    store
        .events_after(0, 10_000)
        .await
        .expect("events")
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::InboundComplete(m) => Some((m.modem, m.sender, m.text)),
            _ => None,
        })
        .collect()
}

fn texts() -> Vec<String> {
    vec![
        "hello from gsmq".to_string(),
        "long gsm7 message ".repeat(12),
        "Привет, мир".to_string(),
        "Длинное сообщение ".repeat(8),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_every_personality_messages_are_sent_once_and_delivered() {
    let modems: Vec<(String, &str)> = PERSONALITIES
        .iter()
        .map(|p| (format!("m-{p}"), *p))
        .collect();
    let list: Vec<(&str, &str)> = modems.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    let gw = gateway(&list, |_, _| {}).await;
    all_ready(&gw, Duration::from_secs(20)).await;
    let mut ids = Vec::new();
    let mut expected = Vec::new();
    for (i, (name, _)) in modems.iter().enumerate() {
        for (j, text) in texts().iter().enumerate() {
            let to = format!("+4917{i}{j}00000");
            ids.push(send(&gw, &to, text, Some(name), (i * 10 + j) as u16).await);
            expected.push((name.clone(), to, text.clone()));
        }
    }
    let states = wait_states(
        &gw,
        &ids,
        &[MessageState::Delivered],
        Duration::from_secs(30),
    )
    .await;
    assert!(
        states.values().all(|s| *s == MessageState::Delivered),
        "{states:?}"
    );
    for (name, to, text) in expected {
        let log = gw.pool.sim(&name).expect("sim").sent_log().await;
        let hits: Vec<_> = log.iter().filter(|s| s.to == to).collect();
        assert_eq!(hits.len(), 1, "{name} {to}: {log:?}");
        assert!(hits[0].complete(), "{hits:?}");
        assert_eq!(hits[0].text, text);
    }
    gw.pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_every_personality_inbound_messages_reach_the_inbox_once_even_out_of_order() {
    let modems: Vec<(String, &str)> = PERSONALITIES
        .iter()
        .map(|p| (format!("r-{p}"), *p))
        .collect();
    let list: Vec<(&str, &str)> = modems.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    let gw = gateway(&list, |_, _| {}).await;
    all_ready(&gw, Duration::from_secs(20)).await;
    let long = "Out of order parts must still make one message. ".repeat(5);
    for (name, _) in &modems {
        let sim = gw.pool.sim(name).expect("sim");
        sim.inject_sms("+4915550001", "short one")
            .await
            .expect("inject");
        sim.inject_sms("+4915550002", "Grüße 😀 aus dem Simulator")
            .await
            .expect("inject");
        let opts = pdu::DeliverOptions {
            from: "+4915550003".into(),
            reference: 77,
            ..Default::default()
        };
        let mut parts = pdu::encode_deliver(&long, &opts).expect("encode");
        assert!(parts.len() >= 2);
        parts.reverse();
        for p in parts {
            sim.inject_pdu(&p).await.expect("inject");
        }
    }
    let want = modems.len() * 3;
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut got = inbox(&gw.store).await;
    while got.len() < want && tokio::time::Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(100)).await;
        got = inbox(&gw.store).await;
    }
    // Let any duplicate show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = inbox(&gw.store).await;
    assert_eq!(got.len(), want, "{got:#?}");
    for (name, _) in &modems {
        for (from, text) in [
            ("+4915550001", "short one"),
            ("+4915550002", "Grüße 😀 aus dem Simulator"),
            ("+4915550003", long.as_str()),
        ] {
            let n = got
                .iter()
                .filter(|(m, f, t)| m == name && f == from && t == text)
                .count();
            assert_eq!(n, 1, "{name} {from}: {got:#?}");
        }
    }
    gw.pool.shutdown().await;
}

/// Sends `n` short messages (pinned to `modem` when given) and returns ids
/// with their destinations.
async fn send_many(gw: &Gw, n: usize, modem: Option<&str>, tag: u16) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for i in 0..n {
        let to = format!("+4916{tag:03}{i:05}");
        let id = send(gw, &to, &format!("message {i} of batch {tag}"), modem, tag).await;
        out.push((id, to));
    }
    out
}

/// Every message of `sent` is in the simulator log at least once and at
/// most `max_copies` times, complete.
async fn assert_in_log(gw: &Gw, names: &[&str], sent: &[(i64, String)], max_copies: usize) {
    let mut log = Vec::new();
    for n in names {
        log.extend(gw.pool.sim(n).expect("sim").sent_log().await);
    }
    for (_, to) in sent {
        let hits: Vec<_> = log.iter().filter(|s| &s.to == to && s.complete()).collect();
        assert!(
            !hits.is_empty() && hits.len() <= max_copies,
            "{to}: {} copies",
            hits.len()
        );
    }
}

const DONE: [MessageState; 2] = [MessageState::Sent, MessageState::Delivered];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_mid_send_loses_nothing() {
    let gw = gateway(&[("a", "sim800")], |_, o| {
        o.timing = Timing::fixed(Duration::from_millis(300));
    })
    .await;
    all_ready(&gw, Duration::from_secs(10)).await;
    let sent = send_many(&gw, 8, Some("a"), 1).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let sim = gw.pool.sim("a").expect("sim");
    sim.reset(gsmq::sim::ResetKind::MidResponse)
        .await
        .expect("reset");
    let ids: Vec<i64> = sent.iter().map(|(i, _)| *i).collect();
    let states = wait_states(&gw, &ids, &DONE, Duration::from_secs(30)).await;
    assert!(states.values().all(|s| DONE.contains(s)), "{states:?}");
    // The part in flight at the reset may go out twice (at least once).
    assert_in_log(&gw, &["a"], &sent, 2).await;
    gw.pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unplugged_modem_returning_under_a_new_path_carries_on() {
    let gw = gateway(&[("a", "ec25")], |_, o| {
        o.timing = Timing::fixed(Duration::from_millis(200));
    })
    .await;
    all_ready(&gw, Duration::from_secs(10)).await;
    let imei = gw.pool.handle("a").unwrap().state().imei;
    let sim = gw.pool.sim("a").expect("sim");
    let before = sim.pty_path().await.expect("pty");
    let sent = send_many(&gw, 6, Some("a"), 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.unplug(Duration::from_millis(800), true)
        .await
        .expect("unplug");
    let ids: Vec<i64> = sent.iter().map(|(i, _)| *i).collect();
    let states = wait_states(&gw, &ids, &DONE, Duration::from_secs(30)).await;
    assert!(states.values().all(|s| DONE.contains(s)), "{states:?}");
    assert_ne!(
        sim.pty_path().await.expect("pty"),
        before,
        "re-plugged under a new tty"
    );
    assert_eq!(
        gw.pool.handle("a").unwrap().state().imei,
        imei,
        "same modem, by IMEI"
    );
    assert_in_log(&gw, &["a"], &sent, 2).await;
    gw.pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_modem_does_not_stop_the_others_and_recovers() {
    let gw = gateway(&[("a", "generic"), ("b", "sim7600")], |_, o| {
        o.timing = Timing::fixed(Duration::from_millis(100));
    })
    .await;
    all_ready(&gw, Duration::from_secs(10)).await;
    gw.pool
        .sim("a")
        .unwrap()
        .hang(Duration::from_secs(6))
        .await
        .expect("hang");
    let mut a_state = gw.pool.handle("a").unwrap().watch();
    let stuck = send_many(&gw, 3, Some("a"), 3).await;
    let started = tokio::time::Instant::now();
    let fine = send_many(&gw, 10, Some("b"), 4).await;
    let ids: Vec<i64> = fine.iter().map(|(i, _)| *i).collect();
    let states = wait_states(&gw, &ids, &DONE, Duration::from_secs(5)).await;
    assert!(
        states.values().all(|s| DONE.contains(s)),
        "b was held up: {states:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // Meanwhile a noticed it was hung and is recovering.
    let left_ready = tokio::time::timeout(
        Duration::from_secs(10),
        a_state.wait_for(|s| s.status != ModemStatus::Ready),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    assert!(left_ready, "a never noticed the hang");
    let ids: Vec<i64> = stuck.iter().map(|(i, _)| *i).collect();
    let states = wait_states(&gw, &ids, &DONE, Duration::from_secs(40)).await;
    assert!(
        states.values().all(|s| DONE.contains(s)),
        "a never recovered: {states:?}"
    );
    assert_in_log(&gw, &["a"], &stuck, 2).await;
    assert_in_log(&gw, &["b"], &fine, 1).await;
    gw.pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_leased_to_a_dead_modem_go_to_another() {
    let gw = gateway(&[("a", "generic"), ("b", "generic")], |_, o| {
        o.timing = Timing::fixed(Duration::from_millis(100));
    })
    .await;
    all_ready(&gw, Duration::from_secs(10)).await;
    // Unpinned: whichever modem is free pulls the next part.
    let sent = send_many(&gw, 20, None, 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    gw.pool
        .sim("a")
        .unwrap()
        .unplug(Duration::from_secs(60), false)
        .await
        .expect("unplug");
    let ids: Vec<i64> = sent.iter().map(|(i, _)| *i).collect();
    let states = wait_states(&gw, &ids, &DONE, Duration::from_secs(15)).await;
    assert!(states.values().all(|s| DONE.contains(s)), "{states:?}");
    assert_in_log(&gw, &["a", "b"], &sent, 2).await;
    assert_ne!(
        gw.pool.handle("a").unwrap().state().status,
        ModemStatus::Ready
    );
    gw.pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_split_writes_and_cms_500_storms_end_every_message_correctly() {
    let gw = gateway(&[("a", "e3372"), ("b", "sim800")], |name, o| {
        o.timing = Timing::fixed(Duration::from_millis(20));
        let mut f = Faults::none();
        if name == "a" {
            f.garbage = 0.2;
            f.garbage_on_open = 64;
            f.split_writes = true;
            f.urc = 0.2;
        } else {
            f.cms_transient = 0.4;
        }
        o.faults = f;
    })
    .await;
    all_ready(&gw, Duration::from_secs(15)).await;
    let a = send_many(&gw, 15, Some("a"), 6).await;
    let b = send_many(&gw, 15, Some("b"), 7).await;
    let ids: Vec<i64> = a.iter().chain(b.iter()).map(|(i, _)| *i).collect();
    let states = wait_states(&gw, &ids, &DONE, Duration::from_secs(40)).await;
    assert!(states.values().all(|s| DONE.contains(s)), "{states:?}");
    assert_in_log(&gw, &["a"], &a, 1).await;
    assert_in_log(&gw, &["b"], &b, 1).await;
    // The storm really happened and was retried.
    let mut retried = 0;
    for (id, _) in &b {
        let m = gw.store.message(*id).await.expect("read").expect("message");
        retried += m.parts.iter().filter(|p| p.attempts > 1).count();
    }
    assert!(retried > 0, "no +CMS ERROR: 500 was injected");
    assert!(gw.pool.handle("a").is_some());
    gw.pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_cmt_delivery_is_acknowledged_and_stored_once() {
    let gw = gateway_with(&[("d", "ec25")], |_, _| {}, |c| c.direct_delivery = true).await;
    all_ready(&gw, Duration::from_secs(10)).await;
    let sim = gw.pool.sim("d").expect("sim");
    sim.inject_sms("+4915550009", "routed directly")
        .await
        .expect("inject");
    sim.inject_sms("+4915550009", "and another")
        .await
        .expect("inject");
    let end = tokio::time::Instant::now() + Duration::from_secs(10);
    while inbox(&gw.store).await.len() < 2 && tokio::time::Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Past the simulator's +CNMA timeout (2 s): an unacknowledged message
    // would have been redelivered by now.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let got = inbox(&gw.store).await;
    let texts: Vec<&str> = got.iter().map(|(_, _, t)| t.as_str()).collect();
    assert_eq!(texts, vec!["routed directly", "and another"], "{got:?}");
    gw.pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ussd_request_is_answered_between_sends() {
    let gw = gateway(&[("u", "sim7600")], |_, o| {
        o.timing = Timing::fixed(Duration::from_millis(100));
    })
    .await;
    all_ready(&gw, Duration::from_secs(10)).await;
    let sent = send_many(&gw, 3, Some("u"), 8).await;
    let reply = gw.pool.handle("u").expect("handle").ussd("*100#").await;
    assert!(reply.as_ref().is_ok_and(|t| !t.is_empty()), "{reply:?}");
    let ids: Vec<i64> = sent.iter().map(|(i, _)| *i).collect();
    let states = wait_states(&gw, &ids, &DONE, Duration::from_secs(10)).await;
    assert!(states.values().all(|s| DONE.contains(s)), "{states:?}");
    gw.pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modem_with_the_wrong_imei_is_refused() {
    let gw = gateway_with(
        &[("w", "generic")],
        |_, _| {},
        |c| c.imei = Some("000000000000000".into()),
    )
    .await;
    let mut w = gw.pool.handle("w").expect("handle").watch();
    let refused = tokio::time::timeout(
        Duration::from_secs(10),
        w.wait_for(|s| {
            s.error
                .as_deref()
                .is_some_and(|e| e.contains("wrong modem"))
        }),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    assert!(refused, "{:?}", gw.pool.handle("w").unwrap().state());
    let sent = send_many(&gw, 1, Some("w"), 9).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        gw.pool.sim("w").unwrap().sent_log().await.is_empty(),
        "nothing sent through the wrong modem"
    );
    let m = gw
        .store
        .message(sent[0].0)
        .await
        .expect("read")
        .expect("message");
    assert!(!DONE.contains(&m.state));
    gw.pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_message_started_on_a_modem_that_dies_moves_after_the_failover_delay() {
    let gw = gateway_with(
        &[("a", "generic"), ("b", "generic")],
        |_, o| o.timing = Timing::fixed(Duration::from_millis(1500)),
        |c| c.failover_after_s = 1,
    )
    .await;
    all_ready(&gw, Duration::from_secs(10)).await;
    // b is away for a while, so a takes the message and starts on part 1.
    gw.pool
        .sim("b")
        .unwrap()
        .unplug(Duration::from_secs(4), false)
        .await
        .expect("unplug b");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = "A long alarm text that needs two parts. ".repeat(5);
    let to = "+4916999000001";
    let id = send(&gw, to, &text, None, 77).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // a dies with part 1 in flight and does not come back.
    gw.pool
        .sim("a")
        .unwrap()
        .unplug(Duration::from_secs(60), false)
        .await
        .expect("unplug a");
    let states = wait_states(&gw, &[id], &DONE, Duration::from_secs(30)).await;
    assert!(states.values().all(|s| DONE.contains(s)), "{states:?}");
    // Every part went out through b, so the recipient can reassemble it.
    let log_b = gw.pool.sim("b").unwrap().sent_log().await;
    let whole: Vec<_> = log_b
        .iter()
        .filter(|s| s.to == to && s.complete())
        .collect();
    assert_eq!(whole.len(), 1, "{log_b:?}");
    assert_eq!(whole[0].text, text);
    assert!(gw
        .pool
        .sim("a")
        .unwrap()
        .sent_log()
        .await
        .iter()
        .all(|s| s.to != to || !s.complete()));
    gw.pool.shutdown().await;
}

/// Asks a simulator for its IMEI over its PTY, like a person with a
/// terminal would.
async fn imei_of(sim: &gsmq::sim::SimHandle) -> String {
    let mut port = sim_support::Port::open(sim.path());
    port.write(b"AT+CGSN\r").await;
    let answer = port.until(b"OK\r\n").await;
    String::from_utf8_lossy(&answer)
        .split(['\r', '\n'])
        .find(|l| l.len() == 15 && l.bytes().all(|b| b.is_ascii_digit()))
        .expect("an IMEI line")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modems_configured_by_imei_are_found_among_the_ports_and_again_under_a_new_name() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let spawn = |personality: &str, seed: u64, number: &str| {
        gsmq::sim::spawn(SimOptions {
            personality: personality.parse().unwrap(),
            seed,
            number: number.into(),
            timing: Timing::fast(),
            ..SimOptions::default()
        })
        .expect("sim")
    };
    let sim_a = spawn("generic", 11, "+15550001001");
    let sim_b = spawn("ec25", 22, "+15550001002");
    let (imei_a, imei_b) = (imei_of(&sim_a).await, imei_of(&sim_b).await);
    assert_ne!(imei_a, imei_b);
    // The "device directory": names that say nothing about which modem is where.
    let devs = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(sim_a.path(), devs.path().join("ttyUSB0")).unwrap();
    std::os::unix::fs::symlink(sim_b.path(), devs.path().join("ttyUSB1")).unwrap();
    // Something that is not a modem, and says nothing.
    let silent = nix::pty::openpty(None, None).unwrap();
    let silent_path = nix::unistd::ttyname(&silent.slave).unwrap();
    std::os::unix::fs::symlink(&silent_path, devs.path().join("ttyUSB2")).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        &StorageConfig::new(dir.path().join("db")),
        &RetryConfig::default(),
    )
    .unwrap();
    let backend = Arc::new(StoreBackend::new(store.clone()));
    let scan = format!("{}/ttyUSB*", devs.path().display());
    let cfg = |name: &str, imei: &str| -> ModemConfig {
        toml::from_str(&format!(
            "name = {name:?}\nimei = {imei:?}\nscan = [{scan:?}]\nhealth_interval_s = 2\n"
        ))
        .unwrap()
    };
    let pool = Pool::start_with(
        &[cfg("east", &imei_b), cfg("west", &imei_a)],
        backend.clone() as Arc<dyn Backend>,
        CancellationToken::new(),
        &|_, _| {},
        &|_, r| {
            r.reopen_max = Duration::from_millis(500);
            r.idle_poll = Duration::from_millis(100);
        },
    )
    .expect("pool");
    let gw = Gw {
        pool,
        backend,
        store,
        _dir: dir,
    };
    all_ready(&gw, Duration::from_secs(20)).await;
    assert_eq!(
        gw.pool.handle("east").unwrap().state().imei.as_deref(),
        Some(imei_b.as_str())
    );
    assert_eq!(
        gw.pool.handle("west").unwrap().state().imei.as_deref(),
        Some(imei_a.as_str())
    );
    let first = send(&gw, "+4916900000001", "through east", Some("east"), 1).await;
    wait_states(&gw, &[first], &DONE, Duration::from_secs(10)).await;
    assert!(sim_b
        .sent_log()
        .await
        .iter()
        .any(|s| s.text == "through east"));
    assert!(sim_a.sent_log().await.is_empty());

    // east's modem drops off the bus and comes back under another name.
    sim_b
        .unplug(Duration::from_millis(1500), true)
        .await
        .unwrap();
    std::fs::remove_file(devs.path().join("ttyUSB1")).unwrap();
    std::os::unix::fs::symlink(sim_b.path(), devs.path().join("ttyUSB7")).unwrap();
    let mut east = gw.pool.handle("east").unwrap().watch();
    let left = tokio::time::timeout(
        Duration::from_secs(10),
        east.wait_for(|s| s.status != ModemStatus::Ready),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    assert!(left, "east never noticed the unplug");
    all_ready(&gw, Duration::from_secs(20)).await;
    let second = send(&gw, "+4916900000002", "east again", Some("east"), 2).await;
    let states = wait_states(&gw, &[second], &DONE, Duration::from_secs(10)).await;
    assert!(states.values().all(|s| DONE.contains(s)), "{states:?}");
    assert!(sim_b
        .sent_log()
        .await
        .iter()
        .any(|s| s.text == "east again"));
    assert!(
        sim_a.sent_log().await.is_empty(),
        "west's modem never carried east's messages"
    );
    gw.pool.shutdown().await;
    drop(silent);
}
