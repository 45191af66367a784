//! Service tests against an in-memory backend.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::*;

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9Q0r3m7mGdXqV3x9q1gW0J3Q9ZpW6o9pGQW2yOq0eIY";

#[derive(Default)]
struct FakeState {
    next_id: i64,
    seq: i64,
    keys: HashMap<(String, String), Enqueued>,
    messages: Vec<(i64, NewSms, MessageState)>,
    events: Vec<OutboxEvent>,
    published_upto: i64,
}

#[derive(Default)]
struct Fake {
    state: Mutex<FakeState>,
    fail_enqueue: AtomicBool,
    published: Mutex<Option<mpsc::UnboundedSender<Outgoing>>>,
}

impl Fake {
    fn push_event(
        st: &mut FakeState,
        user: &str,
        message_id: i64,
        m: &NewSms,
        state: MessageState,
    ) {
        st.seq += 1;
        st.events.push(OutboxEvent::Status {
            user: user.to_string(),
            event: StatusEvent {
                seq: st.seq,
                message_id,
                id: m.idempotency_key.clone(),
                to: m.to.clone(),
                state,
                parts_sent: 0,
                parts_total: m.parts.len() as u32,
                modem: None,
                reason: None,
                at: Utc::now(),
            },
        });
    }

    fn inbound(&self, from: &str, modem: &str, text: &str) {
        let mut st = self.state.lock().unwrap();
        st.seq += 1;
        let seq = st.seq;
        st.events.push(OutboxEvent::Inbox(InboxMessage {
            seq,
            message_id: 1000 + seq,
            from: from.into(),
            modem: modem.into(),
            text: text.into(),
            encoding: "gsm7".into(),
            received_at: Utc::now(),
            sent_at: None,
            parts: 1,
            complete: true,
        }));
    }

    fn stored(&self) -> usize {
        self.state.lock().unwrap().messages.len()
    }
}

impl Backend for Arc<Fake> {
    async fn publish(&self, message: Outgoing) -> Result<()> {
        if let Some(tx) = self.published.lock().unwrap().as_ref() {
            let _ = tx.send(message);
        }
        Ok(())
    }

    fn encode(
        &self,
        to: &str,
        text: &str,
        opts: &EncodeOptions,
    ) -> std::result::Result<Encoded, EncodeError> {
        if to.ends_with("000") {
            return Err(EncodeError::Recipient);
        }
        let ascii = text.is_ascii();
        let (encoding, single, multi) = match (opts.encoding, ascii) {
            (api::EncodingChoice::Gsm7, false) => return Err(EncodeError::NotGsm7),
            (api::EncodingChoice::Ucs2, _) | (api::EncodingChoice::Auto, false) => ("ucs2", 70, 67),
            _ => ("gsm7", 160, 153),
        };
        let n = text.chars().count();
        let parts = if n <= single { 1 } else { n.div_ceil(multi) };
        if parts > opts.max_parts {
            return Err(EncodeError::TooLong { parts });
        }
        Ok(Encoded {
            encoding,
            tpdus: vec![vec![0u8; 10]; parts],
        })
    }

    async fn enqueue(&self, m: NewSms) -> Result<Enqueued> {
        if self.fail_enqueue.load(Ordering::SeqCst) {
            return Err(Error::Storage("disk I/O error".into()));
        }
        let mut st = self.state.lock().unwrap();
        if let Some(k) = &m.idempotency_key {
            if let Some(e) = st.keys.get(&(m.client.clone(), k.clone())) {
                return Ok(Enqueued {
                    duplicate: true,
                    ..*e
                });
            }
        }
        st.next_id += 1;
        let e = Enqueued {
            message_id: st.next_id,
            duplicate: false,
            parts: m.parts.len(),
        };
        if let Some(k) = &m.idempotency_key {
            st.keys.insert((m.client.clone(), k.clone()), e);
        }
        let client = m.client.clone();
        Fake::push_event(&mut st, &client, e.message_id, &m, MessageState::Queued);
        st.messages.push((e.message_id, m, MessageState::Queued));
        Ok(e)
    }

    async fn cancel(&self, client: &str, target: &CancelTarget) -> Result<CancelOutcome> {
        let mut st = self.state.lock().unwrap();
        let found = st.messages.iter().position(|(id, m, _)| {
            m.client == client
                && match target {
                    CancelTarget::MessageId(t) => id == t,
                    CancelTarget::Key(k) => m.idempotency_key.as_deref() == Some(k),
                }
        });
        let Some(i) = found else {
            return Ok(CancelOutcome::NotFound);
        };
        let (id, m, state) = st.messages[i].clone();
        if state != MessageState::Queued {
            return Ok(CancelOutcome::NotCancellable {
                message_id: id,
                state,
            });
        }
        st.messages[i].2 = MessageState::Cancelled;
        Fake::push_event(&mut st, client, id, &m, MessageState::Cancelled);
        Ok(CancelOutcome::Cancelled { message_id: id })
    }

    async fn events_after(&self, after: i64, limit: usize) -> Result<Vec<OutboxEvent>> {
        let st = self.state.lock().unwrap();
        Ok(st
            .events
            .iter()
            .filter(|e| e.seq() > after)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn unpublished(&self, limit: usize) -> Result<Vec<OutboxEvent>> {
        let upto = self.state.lock().unwrap().published_upto;
        self.events_after(upto, limit).await
    }

    async fn mark_published(&self, seqs: &[i64]) -> Result<()> {
        let mut st = self.state.lock().unwrap();
        st.published_upto = seqs.iter().copied().max().unwrap_or(st.published_upto);
        Ok(())
    }

    async fn parts_enqueued_since(&self, _since: DateTime<Utc>) -> Result<Vec<(String, u64)>> {
        let st = self.state.lock().unwrap();
        let mut used: HashMap<String, u64> = HashMap::new();
        for (_, m, _) in &st.messages {
            *used.entry(m.client.clone()).or_default() += m.parts.len() as u64;
        }
        Ok(used.into_iter().collect())
    }

    async fn lookup(&self, client: &str, key: &str) -> Result<Option<Enqueued>> {
        let st = self.state.lock().unwrap();
        Ok(st
            .keys
            .get(&(client.to_string(), key.to_string()))
            .map(|e| Enqueued {
                duplicate: true,
                ..*e
            }))
    }

    async fn ussd(&self, modem: &str, code: &str) -> std::result::Result<UssdAnswer, String> {
        if modem == "m1" {
            Ok(UssdAnswer {
                response: format!("answer to {code}"),
                session_open: false,
            })
        } else {
            Err(format!("modem {modem} is offline"))
        }
    }
}

struct Harness {
    fake: Arc<Fake>,
    requests: mpsc::Sender<Incoming>,
    published: mpsc::UnboundedReceiver<Outgoing>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<()>>,
}

fn config(extra: &str) -> Config {
    let text = format!(
        r#"
[broker]
listen = "127.0.0.1:1883"
[storage]
path = "x"
[api]
max_parts = 3
[[api.route]]
user = "bob"
keyword = "help"
[[user]]
name = "alice"
password_hash = "{HASH}"
permissions = ["send", "ussd"]
{extra}
[[user]]
name = "bob"
password_hash = "{HASH}"
permissions = ["send", "inbox"]
[[modem]]
name = "m1"
port = "sim:generic"
[[modem]]
name = "m2"
port = "sim:generic"
"#
    );
    Config::parse(&text, Path::new("t.toml")).unwrap()
}

async fn start(extra: &str) -> Harness {
    let fake = Arc::new(Fake::default());
    let (pub_tx, published) = mpsc::unbounded_channel();
    *fake.published.lock().unwrap() = Some(pub_tx);
    let (requests, rx) = mpsc::channel(16);
    let shutdown = CancellationToken::new();
    let cfg = config(extra);
    let task = tokio::spawn(run_with(fake.clone(), rx, &cfg, shutdown.clone(), || {}));
    Harness {
        fake,
        requests,
        published,
        shutdown,
        task,
    }
}

impl Harness {
    async fn next(&mut self) -> Outgoing {
        tokio::time::timeout(Duration::from_secs(5), self.published.recv())
            .await
            .expect("nothing published within 5 s")
            .expect("publisher gone")
    }

    /// The next publish on `topic`, skipping others.
    async fn next_on(&mut self, topic: &str) -> Value {
        loop {
            let o = self.next().await;
            if o.topic == topic {
                return serde_json::from_slice(&o.payload).unwrap();
            }
        }
    }

    async fn request(&self, user: &str, topic: &str, payload: Value) {
        self.raw(user, topic, payload.to_string().into_bytes(), None)
            .await;
    }

    async fn raw(&self, user: &str, topic: &str, payload: Vec<u8>, v5: Option<(&str, &[u8])>) {
        self.requests
            .send(Incoming {
                client_id: format!("{user}-client"),
                username: user.into(),
                topic: topic.into(),
                payload: payload.into(),
                response_topic: v5.map(|(t, _)| t.to_string()),
                correlation_data: v5.map(|(_, c)| Bytes::copy_from_slice(c)),
            })
            .await
            .unwrap();
    }

    async fn reply(&mut self, user: &str) -> Value {
        self.next_on(&t().reply(user)).await
    }

    async fn stop(mut self) -> Vec<Outgoing> {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
        let mut rest = Vec::new();
        while let Ok(o) = self.published.try_recv() {
            rest.push(o);
        }
        rest
    }
}

fn t() -> api::Topics {
    api::Topics::new("gsmq")
}

fn topic(user: &str, kind: api::RequestKind) -> String {
    t().request(user, kind)
}

fn send_topic() -> String {
    topic("alice", api::RequestKind::Send)
}

#[tokio::test]
async fn a_send_is_replied_after_commit_and_its_queued_event_follows() {
    let mut h = start("").await;
    h.request(
        "alice",
        &send_topic(),
        json!({"id": "a1", "to": "+4917112345", "text": "hi"}),
    )
    .await;
    let reply = h.reply("alice").await;
    assert_eq!(
        reply,
        json!({"id": "a1", "ok": true, "message_id": 1, "parts": 1, "encoding": "gsm7"})
    );
    assert_eq!(h.fake.stored(), 1);
    let event = h.next_on(&t().status("alice")).await;
    assert_eq!(event["state"], "queued");
    assert_eq!(event["message_id"], 1);
    assert_eq!(event["id"], "a1");
    h.stop().await;
}

#[tokio::test]
async fn a_repeated_id_returns_the_original_message_and_stores_nothing() {
    let mut h = start("").await;
    let body = json!({"id": "same", "to": "+4917112345", "text": "hi"});
    h.request("alice", &send_topic(), body.clone()).await;
    let first = h.reply("alice").await;
    h.request("alice", &send_topic(), body).await;
    let second = h.reply("alice").await;
    assert_eq!(second["message_id"], first["message_id"]);
    assert_eq!(second["duplicate"], true);
    assert!(first.get("duplicate").is_none());
    assert_eq!(h.fake.stored(), 1);
    h.stop().await;
}

#[tokio::test]
async fn a_bulk_send_stores_one_message_per_recipient_under_derived_keys() {
    let mut h = start("").await;
    let body = json!({"id": "b", "to": ["+4917100001", "+4917100002", "+4917100003"], "text": "x"});
    h.request("alice", &send_topic(), body.clone()).await;
    let reply = h.reply("alice").await;
    let messages = reply["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[2]["to"], "+4917100003");
    assert_eq!(reply["parts"], 1);
    assert_eq!(h.fake.stored(), 3);
    h.request("alice", &send_topic(), body).await;
    let again = h.reply("alice").await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(
        again["messages"][1]["message_id"],
        messages[1]["message_id"]
    );
    assert_eq!(h.fake.stored(), 3);
    h.stop().await;
}

#[tokio::test]
async fn a_v5_request_is_answered_on_its_response_topic_with_its_correlation_data() {
    let mut h = start("").await;
    let payload = json!({"to": "+4917112345", "text": "hi"})
        .to_string()
        .into_bytes();
    h.raw(
        "alice",
        &send_topic(),
        payload,
        Some((&format!("{}/app1", t().reply("alice")), b"corr-7")),
    )
    .await;
    let out = loop {
        let o = h.next().await;
        if o.topic == format!("{}/app1", t().reply("alice")) {
            break o;
        }
        assert_ne!(o.topic, t().reply("alice"));
    };
    assert_eq!(out.correlation_data.as_deref(), Some(&b"corr-7"[..]));
    let v: Value = serde_json::from_slice(&out.payload).unwrap();
    assert_eq!(v["ok"], true);
    h.stop().await;
}

#[tokio::test]
async fn a_storage_failure_is_storage_unavailable_and_refunds_the_quota() {
    let mut h = start("daily_quota = 2").await;
    h.fake.fail_enqueue.store(true, Ordering::SeqCst);
    h.request(
        "alice",
        &send_topic(),
        json!({"id": "s", "to": "+4917112345", "text": "hi"}),
    )
    .await;
    let reply = h.reply("alice").await;
    assert_eq!(reply["ok"], false);
    assert_eq!(reply["error"]["code"], "storage_unavailable");
    assert!(reply["error"]["retry_after_ms"].as_u64().unwrap() > 0);
    h.fake.fail_enqueue.store(false, Ordering::SeqCst);
    for i in 0..2 {
        h.request(
            "alice",
            &send_topic(),
            json!({"to": "+4917112345", "text": format!("{i}")}),
        )
        .await;
        assert_eq!(h.reply("alice").await["ok"], true, "send {i}");
    }
    h.request(
        "alice",
        &send_topic(),
        json!({"to": "+4917112345", "text": "3"}),
    )
    .await;
    let reply = h.reply("alice").await;
    assert_eq!(reply["error"]["code"], "quota_exceeded");
    assert!(reply["error"]["retry_after_ms"].as_u64().unwrap() > 0);
    h.stop().await;
}

#[tokio::test]
async fn the_quota_counts_parts_and_a_duplicate_costs_nothing() {
    let mut h = start("daily_quota = 3").await;
    let long = "x".repeat(200); // 2 parts
    let body = json!({"id": "q", "to": "+4917112345", "text": long});
    h.request("alice", &send_topic(), body.clone()).await;
    assert_eq!(h.reply("alice").await["parts"], 2);
    h.request("alice", &send_topic(), body).await;
    assert_eq!(h.reply("alice").await["duplicate"], true);
    h.request(
        "alice",
        &send_topic(),
        json!({"to": "+4917112345", "text": "x"}),
    )
    .await;
    assert_eq!(h.reply("alice").await["ok"], true);
    h.request(
        "alice",
        &send_topic(),
        json!({"to": "+4917112345", "text": "x"}),
    )
    .await;
    assert_eq!(h.reply("alice").await["error"]["code"], "quota_exceeded");
    // A retry of an accepted request is still a duplicate, not a refusal.
    h.request(
        "alice",
        &send_topic(),
        json!({"id": "q", "to": "+4917112345", "text": "x".repeat(200)}),
    )
    .await;
    assert_eq!(h.reply("alice").await["duplicate"], true);
    h.stop().await;
}

#[tokio::test]
async fn encoding_problems_and_length_are_refused_before_storing() {
    let mut h = start("").await;
    let cases = [
        (
            json!({"to": "+4917112345", "text": "x".repeat(500)}),
            "too_long",
            "text",
        ),
        (
            json!({"to": "+4917112345", "text": "héllo", "encoding": "gsm7"}),
            "invalid_field",
            "encoding",
        ),
        (
            json!({"to": "+491710000000", "text": "x"}),
            "invalid_recipient",
            "to",
        ),
    ];
    for (body, code, field) in cases {
        h.request("alice", &send_topic(), body).await;
        let reply = h.reply("alice").await;
        assert_eq!(reply["error"]["code"], code);
        assert_eq!(reply["error"]["field"], field);
    }
    assert_eq!(h.fake.stored(), 0);
    h.stop().await;
}

#[tokio::test]
async fn refusals_from_admission_are_replied_to() {
    let mut h = start("rate_per_s = 0.001\nrate_burst = 1").await;
    h.raw("alice", &send_topic(), b"{not json".to_vec(), None)
        .await;
    let reply = h.reply("alice").await;
    assert_eq!(
        reply,
        json!({"id": null, "ok": false, "error": reply["error"].clone()})
    );
    assert_eq!(reply["error"]["code"], "invalid_json");
    h.request(
        "alice",
        &send_topic(),
        json!({"id": "r", "to": "+4917112345", "text": "x"}),
    )
    .await;
    let reply = h.reply("alice").await;
    assert_eq!(
        (reply["id"].as_str(), reply["error"]["code"].as_str()),
        (Some("r"), Some("rate_limited"))
    );
    h.stop().await;
}

#[tokio::test]
async fn publishes_on_other_topics_get_no_reply() {
    let mut h = start("").await;
    h.request(
        "alice",
        &format!("{}/whatever", t().reply("alice")),
        json!({}),
    )
    .await;
    h.request(
        "alice",
        &send_topic(),
        json!({"id": "after", "to": "+4917112345", "text": "x"}),
    )
    .await;
    let first = loop {
        let o = h.next().await;
        if o.topic == t().reply("alice") {
            break o;
        }
    };
    let v: Value = serde_json::from_slice(&first.payload).unwrap();
    assert_eq!(v["id"], "after");
    h.stop().await;
}

#[tokio::test]
async fn cancel_by_key_cancels_a_queued_message_and_reports_unknown_ones() {
    let mut h = start("").await;
    h.request(
        "alice",
        &send_topic(),
        json!({"id": "c", "to": "+4917112345", "text": "x"}),
    )
    .await;
    let id = h.reply("alice").await["message_id"].clone();
    h.request(
        "alice",
        &topic("alice", api::RequestKind::Cancel),
        json!({"id": "c"}),
    )
    .await;
    assert_eq!(
        h.reply("alice").await,
        json!({"id": "c", "ok": true, "message_id": id, "state": "cancelled"})
    );
    h.request(
        "alice",
        &topic("alice", api::RequestKind::Cancel),
        json!({"message_id": id}),
    )
    .await;
    assert_eq!(h.reply("alice").await["error"]["code"], "not_cancellable");
    h.request(
        "alice",
        &topic("alice", api::RequestKind::Cancel),
        json!({"message_id": 999}),
    )
    .await;
    assert_eq!(h.reply("alice").await["error"]["code"], "not_found");
    h.stop().await;
}

#[tokio::test]
async fn ussd_answers_come_in_the_reply() {
    let mut h = start("").await;
    h.request(
        "alice",
        &topic("alice", api::RequestKind::Ussd),
        json!({"id": "u", "modem": "m1", "code": "*100#"}),
    )
    .await;
    assert_eq!(
        h.reply("alice").await,
        json!({"id": "u", "ok": true, "modem": "m1", "response": "answer to *100#", "session_open": false})
    );
    h.request(
        "alice",
        &topic("alice", api::RequestKind::Ussd),
        json!({"modem": "m2", "code": "*100#"}),
    )
    .await;
    assert_eq!(h.reply("alice").await["error"]["code"], "modem_unavailable");
    h.stop().await;
}

#[tokio::test]
async fn inbound_sms_go_to_the_shared_inbox_and_routed_users() {
    let mut h = start("").await;
    h.fake.inbound("+4917155555", "m1", "HELP me");
    h.fake.inbound("+4917155555", "m1", "hello");
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let o = h.next().await;
        let v: Value = serde_json::from_slice(&o.payload).unwrap();
        seen.push((o.topic, v["text"].as_str().unwrap().to_string()));
    }
    assert_eq!(
        seen,
        vec![
            (t().inbox(), "HELP me".to_string()),
            (t().user_inbox("bob"), "HELP me".to_string()),
            (t().inbox(), "hello".to_string()),
        ]
    );
    h.stop().await;
}

#[tokio::test]
async fn replay_republishes_only_the_users_events_after_the_given_seq() {
    let mut h = start("").await;
    for (user, n) in [("alice", 3), ("bob", 2)] {
        for i in 0..n {
            h.request(
                user,
                &topic(user, api::RequestKind::Send),
                json!({"to": "+4917112345", "text": format!("{i}")}),
            )
            .await;
            h.reply(user).await;
        }
    }
    // Let the live events pass.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while h.published.try_recv().is_ok() {}
    h.request(
        "alice",
        &topic("alice", api::RequestKind::Replay),
        json!({"id": "rp", "after": 1, "limit": 10}),
    )
    .await;
    let mut replayed = Vec::new();
    let reply = loop {
        let o = h.next().await;
        let v: Value = serde_json::from_slice(&o.payload).unwrap();
        if o.topic == t().reply("alice") {
            break v;
        }
        assert_eq!(o.topic, t().status("alice"));
        replayed.push(v["seq"].as_i64().unwrap());
    };
    assert_eq!(replayed.len(), 2);
    assert!(replayed.iter().all(|s| *s > 1));
    assert_eq!(reply["replayed"], 2);
    assert_eq!(reply["more"], false);
    h.stop().await;
}

#[tokio::test]
async fn shutdown_waits_for_in_flight_requests_to_reply() {
    let mut h = start("").await;
    for i in 0..50 {
        h.request(
            "alice",
            &send_topic(),
            json!({"id": format!("s{i}"), "to": "+4917112345", "text": "x"}),
        )
        .await;
    }
    // Stop as soon as the first reply is out: the other 49 must still come.
    h.reply("alice").await;
    let rest = h.stop().await;
    let replies = rest
        .iter()
        .filter(|o| o.topic == t().reply("alice"))
        .count();
    assert_eq!(replies, 49);
}
