//! The MQTT API end to end: rumqttc v3.1.1 and v5 clients against the real
//! broker, the real store and the API service, in-process on port 0.

mod api_support;

use std::time::Duration;

use api_support::{Gateway, Seen, V3, V5};
use bytes::Bytes;
use chrono::Utc;
use gsmq::api::{ModemState, ModemStatus, Registration, RequestKind};
use gsmq::service::ModemStatePublisher;
use gsmq::store;
use serde_json::{json, Value};

fn send_topic(gw: &Gateway, user: &str) -> String {
    gw.topics.request(user, RequestKind::Send)
}

/// Connects `user` subscribed to its whole namespace.
async fn user(gw: &Gateway, user: &str) -> V3 {
    V3::connect(gw.addr, user, &[format!("{}/{user}/#", gw.topics.prefix())]).await
}

async fn request(c: &mut V3, gw: &Gateway, user: &str, kind: RequestKind, body: Value) -> Value {
    c.publish(&gw.topics.request(user, kind), body.to_string())
        .await;
    c.json_on(&gw.topics.reply(user)).await
}

async fn send(c: &mut V3, gw: &Gateway, user: &str, body: Value) -> Value {
    request(c, gw, user, RequestKind::Send, body).await
}

#[tokio::test]
async fn a_send_is_committed_before_its_reply_and_its_status_follows() {
    let gw = Gateway::start("", "").await;
    let mut alice = user(&gw, "alice").await;
    let reply = send(
        &mut alice,
        &gw,
        "alice",
        json!({"id": "order-1", "to": "+491711234567", "text": "Your code is 4711"}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["id"], "order-1");
    assert_eq!(reply["parts"], 1);
    assert_eq!(reply["encoding"], "gsm7");
    let message_id = reply["message_id"].as_i64().unwrap();
    // The reply came, so the message is in the store.
    let stored = gw.store.message(message_id).await.unwrap();
    assert!(stored.is_some(), "message {message_id} not committed");
    let status = alice.json_on(&gw.topics.status("alice")).await;
    assert_eq!(status["message_id"], message_id);
    assert_eq!(status["state"], "queued");
    assert_eq!(status["id"], "order-1");
    assert_eq!(status["to"], "+491711234567");
    assert_eq!(status["parts_total"], 1);
    gw.stop().await;
}

#[tokio::test]
async fn a_repeated_id_returns_the_original_message_and_stores_nothing_new() {
    let gw = Gateway::start("", "").await;
    let mut alice = user(&gw, "alice").await;
    let body = json!({"id": "dup", "to": "+491711234567", "text": "once"});
    let first = send(&mut alice, &gw, "alice", body.clone()).await;
    let second = send(&mut alice, &gw, "alice", body).await;
    assert_eq!(second["message_id"], first["message_id"]);
    assert_eq!(second["duplicate"], true);
    let next = send(
        &mut alice,
        &gw,
        "alice",
        json!({"to": "+491711234567", "text": "x"}),
    )
    .await;
    assert_eq!(
        next["message_id"].as_i64().unwrap(),
        first["message_id"].as_i64().unwrap() + 1,
        "the duplicate must not have created a message"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_bulk_send_creates_one_message_per_recipient() {
    let gw = Gateway::start("", "").await;
    let mut alice = user(&gw, "alice").await;
    let body = json!({"id": "bulk-1", "to": ["+491711111111", "+491712222222", "+491713333333"], "text": "Maintenance tonight"});
    let reply = send(&mut alice, &gw, "alice", body.clone()).await;
    let messages = reply["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 3);
    let mut ids = Vec::new();
    for (m, to) in messages
        .iter()
        .zip(["+491711111111", "+491712222222", "+491713333333"])
    {
        assert_eq!(m["to"], to);
        let id = m["message_id"].as_i64().unwrap();
        let status = gw.store.message(id).await.unwrap().expect("stored");
        assert_eq!(status.to, to);
        ids.push(id);
    }
    // The status events carry the request's id, not the derived keys.
    for _ in 0..3 {
        let s = alice.json_on(&gw.topics.status("alice")).await;
        assert_eq!(s["id"], "bulk-1");
    }
    let again = send(&mut alice, &gw, "alice", body).await;
    assert_eq!(again["duplicate"], true);
    let again_ids: Vec<i64> = again["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].as_i64().unwrap())
        .collect();
    assert_eq!(again_ids, ids);
    gw.stop().await;
}

#[tokio::test]
async fn every_validation_error_code_is_answered_over_mqtt() {
    let extra = format!(
        "[[user]]\nname = \"viewer\"\npassword_hash = \"{}\"\npermissions = [\"status\"]\n",
        api_support::hash(api_support::PASSWORD)
    );
    let gw = Gateway::start("max_payload_bytes = 2048", &extra).await;
    let mut alice = user(&gw, "alice").await;
    let topic = send_topic(&gw, "alice");
    let cases: Vec<(Vec<u8>, &str, Option<&str>)> = vec![
        (b"{\"to\":".to_vec(), "invalid_json", None),
        (b"{\"text\":\"\xff\xfe\"}".to_vec(), "invalid_json", None),
        (
            json!({"to": "+491711234567", "text": "x", "colour": 1})
                .to_string()
                .into_bytes(),
            "invalid_field",
            Some("colour"),
        ),
        (
            json!({"to": "+491711234567", "text": "x", "priority": 12})
                .to_string()
                .into_bytes(),
            "invalid_field",
            Some("priority"),
        ),
        (
            json!({"to": "not-a-number", "text": "x"})
                .to_string()
                .into_bytes(),
            "invalid_recipient",
            Some("to"),
        ),
        (
            json!({"to": "+491711234567", "text": "  "})
                .to_string()
                .into_bytes(),
            "empty_text",
            Some("text"),
        ),
        (
            json!({"to": "+491711234567", "text": "x".repeat(600)})
                .to_string()
                .into_bytes(),
            "too_long",
            Some("text"),
        ),
        (
            json!({"to": "+491711234567", "text": "x", "modem": "nope"})
                .to_string()
                .into_bytes(),
            "unknown_modem",
            Some("modem"),
        ),
        (
            json!({"to": "+491711234567", "text": "日本", "encoding": "gsm7", "id": "enc"})
                .to_string()
                .into_bytes(),
            "invalid_field",
            Some("encoding"),
        ),
        (vec![b' '; 4096], "payload_too_large", None),
    ];
    for (payload, code, field) in cases {
        alice.publish(&topic, payload.clone()).await;
        let reply = alice.json_on(&gw.topics.reply("alice")).await;
        assert_eq!(reply["ok"], false, "{reply}");
        assert_eq!(reply["error"]["code"], code, "{reply}");
        assert_eq!(reply["error"]["field"].as_str(), field, "{reply}");
    }
    // not_permitted: a user without the send permission.
    let mut viewer = user(&gw, "viewer").await;
    let reply = send(
        &mut viewer,
        &gw,
        "viewer",
        json!({"id": "v", "to": "+491711234567", "text": "x"}),
    )
    .await;
    assert_eq!(
        (reply["id"].as_str(), reply["error"]["code"].as_str()),
        (Some("v"), Some("not_permitted"))
    );
    // Nothing of this was stored: the next message gets id 1.
    let ok = send(
        &mut alice,
        &gw,
        "alice",
        json!({"to": "+491711234567", "text": "x"}),
    )
    .await;
    assert_eq!(ok["message_id"], 1);
    gw.stop().await;
}

#[tokio::test]
async fn the_rate_limit_and_the_daily_quota_are_enforced_per_user() {
    let h = api_support::hash(api_support::PASSWORD);
    let extra = format!(
        "[[user]]\nname = \"slow\"\npassword_hash = \"{h}\"\npermissions = [\"send\"]\nrate_per_s = 0.5\nrate_burst = 2\n\
         [[user]]\nname = \"capped\"\npassword_hash = \"{h}\"\npermissions = [\"send\"]\ndaily_quota = 3\n"
    );
    let gw = Gateway::start("", &extra).await;
    let mut slow = user(&gw, "slow").await;
    for i in 0..2 {
        let r = send(
            &mut slow,
            &gw,
            "slow",
            json!({"to": "+491711234567", "text": format!("{i}")}),
        )
        .await;
        assert_eq!(r["ok"], true, "{r}");
    }
    let r = send(
        &mut slow,
        &gw,
        "slow",
        json!({"id": "third", "to": "+491711234567", "text": "3"}),
    )
    .await;
    assert_eq!(r["error"]["code"], "rate_limited", "{r}");
    assert_eq!(r["id"], "third");
    let wait = r["error"]["retry_after_ms"].as_u64().unwrap();
    assert!((1..=2000).contains(&wait), "{wait}");
    // Other users are not affected.
    let mut alice = user(&gw, "alice").await;
    assert_eq!(
        send(
            &mut alice,
            &gw,
            "alice",
            json!({"to": "+491711234567", "text": "x"})
        )
        .await["ok"],
        true
    );

    let mut capped = user(&gw, "capped").await;
    let two_parts = "y".repeat(200);
    let r = send(
        &mut capped,
        &gw,
        "capped",
        json!({"id": "q1", "to": "+491711234567", "text": two_parts}),
    )
    .await;
    assert_eq!(r["parts"], 2);
    let r = send(
        &mut capped,
        &gw,
        "capped",
        json!({"to": "+491711234567", "text": two_parts}),
    )
    .await;
    assert_eq!(r["error"]["code"], "quota_exceeded", "{r}");
    assert!(r["error"]["retry_after_ms"].as_u64().unwrap() > 0);
    let r = send(
        &mut capped,
        &gw,
        "capped",
        json!({"to": "+491711234567", "text": "z"}),
    )
    .await;
    assert_eq!(r["ok"], true, "one part still fits: {r}");
    gw.stop().await;
}

#[tokio::test]
async fn the_daily_quota_survives_a_restart_and_a_retry_still_gets_its_message() {
    let h = api_support::hash(api_support::PASSWORD);
    let extra = format!(
        "[[user]]\nname = \"capped\"\npassword_hash = \"{h}\"\npermissions = [\"send\"]\ndaily_quota = 3\n"
    );
    let gw = Gateway::start("", &extra).await;
    let mut capped = user(&gw, "capped").await;
    let two_parts = "y".repeat(200);
    let first = send(
        &mut capped,
        &gw,
        "capped",
        json!({"id": "q1", "to": "+491711234567", "text": two_parts}),
    )
    .await;
    assert_eq!(first["parts"], 2, "{first}");
    drop(capped);

    let gw = gw.restart().await;
    let mut capped = user(&gw, "capped").await;
    // Two parts were used before the restart: two more do not fit.
    let r = send(
        &mut capped,
        &gw,
        "capped",
        json!({"id": "q2", "to": "+491711234567", "text": two_parts}),
    )
    .await;
    assert_eq!(r["error"]["code"], "quota_exceeded", "{r}");
    // A retry of the first request is answered as the duplicate it is,
    // even though its parts would not fit the quota again.
    let r = send(
        &mut capped,
        &gw,
        "capped",
        json!({"id": "q1", "to": "+491711234567", "text": two_parts}),
    )
    .await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["duplicate"], true, "{r}");
    assert_eq!(r["message_id"], first["message_id"], "{r}");
    // One part still fits.
    let r = send(
        &mut capped,
        &gw,
        "capped",
        json!({"to": "+491711234567", "text": "z"}),
    )
    .await;
    assert_eq!(r["ok"], true, "{r}");
    gw.stop().await;
}

#[tokio::test]
async fn a_store_that_cannot_write_is_storage_unavailable() {
    let gw = Gateway::start("", "").await;
    let mut alice = user(&gw, "alice").await;
    // Cap the database and fill it up, then any new message is refused.
    gw.store.set_max_size_mb(1).await.unwrap();
    for size in [200_000usize, 20_000, 2_000, 200, 20] {
        loop {
            let filler = store::NewMessage {
                client: "filler".into(),
                idempotency_key: None,
                to: "+491711234567".into(),
                text: "f".repeat(size),
                encoding: "gsm7".into(),
                parts: vec![vec![0u8; 20]],
                priority: 0,
                send_at: None,
                valid_until: None,
                modem: None,
                report: false,
            };
            if gw.store.enqueue(filler).await.is_err() {
                break;
            }
        }
    }
    let r = send(
        &mut alice,
        &gw,
        "alice",
        json!({"id": "full", "to": "+491711234567", "text": "x".repeat(300)}),
    )
    .await;
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["error"]["code"], "storage_unavailable", "{r}");
    assert!(r["error"]["retry_after_ms"].as_u64().unwrap() > 0);
    gw.stop().await;
}

#[tokio::test]
async fn a_user_cannot_use_another_users_topics() {
    let gw = Gateway::start("", "").await;
    let mut alice = user(&gw, "alice").await;
    let mut bob = user(&gw, "bob").await;
    // Subscribing to bob's namespace is refused.
    alice
        .client
        .subscribe(gw.topics.reply("bob"), rumqttc::QoS::AtLeastOnce)
        .await
        .unwrap();
    match alice.next().await {
        Seen::SubAck(ok) => assert!(!ok, "alice may not subscribe to bob's replies"),
        other => panic!("{other:?}"),
    }
    // Publishing a send in bob's namespace stores and answers nothing.
    alice
        .publish(
            &send_topic(&gw, "bob"),
            json!({"id": "evil", "to": "+491711234567", "text": "x"}).to_string(),
        )
        .await;
    let r = send(
        &mut bob,
        &gw,
        "bob",
        json!({"id": "own", "to": "+491711234567", "text": "x"}),
    )
    .await;
    assert_eq!(r["id"], "own", "bob's first reply is for his own request");
    assert_eq!(r["message_id"], 1, "the forged request was not stored");
    gw.stop().await;
}

#[tokio::test]
async fn a_v5_request_gets_its_reply_on_the_response_topic_with_correlation_data() {
    use rumqttc::v5::mqttbytes::v5::PublishProperties;
    use rumqttc::v5::mqttbytes::QoS;
    let gw = Gateway::start("", "").await;
    let response_topic = format!("{}/alice/responses/app1", gw.topics.prefix());
    let mut c = V5::connect(
        gw.addr,
        "alice",
        &[response_topic.clone(), gw.topics.reply("alice")],
    )
    .await;
    let props = PublishProperties {
        response_topic: Some(response_topic.clone()),
        correlation_data: Some(Bytes::from_static(b"req-42")),
        ..Default::default()
    };
    c.client
        .publish_with_properties(
            send_topic(&gw, "alice"),
            QoS::AtLeastOnce,
            false,
            json!({"to": "+491711234567", "text": "v5"}).to_string(),
            props,
        )
        .await
        .unwrap();
    let (topic, payload, correlation) = loop {
        match tokio::time::timeout(api_support::WAIT, c.seen.recv())
            .await
            .unwrap()
            .unwrap()
        {
            Seen::Publish {
                topic,
                payload,
                correlation_data,
            } => break (topic, payload, correlation_data),
            Seen::Closed(e) => panic!("closed: {e}"),
            Seen::SubAck(_) => {}
        }
    };
    assert_eq!(topic, response_topic);
    assert_eq!(correlation.as_deref(), Some(&b"req-42"[..]));
    let v: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(v["ok"], true, "{v}");
    // A v5 request without a response topic is answered on the reply topic.
    c.client
        .publish(
            send_topic(&gw, "alice"),
            QoS::AtLeastOnce,
            false,
            json!({"id": "plain", "to": "+491711234567", "text": "v5"}).to_string(),
        )
        .await
        .unwrap();
    loop {
        if let Seen::Publish { topic, payload, .. } =
            tokio::time::timeout(api_support::WAIT, c.seen.recv())
                .await
                .unwrap()
                .unwrap()
        {
            let v: Value = serde_json::from_slice(&payload).unwrap();
            if v["id"] == "plain" {
                assert_eq!(topic, gw.topics.reply("alice"));
                break;
            }
        }
    }
    gw.stop().await;
}

#[tokio::test]
async fn cancel_stops_a_queued_message_and_reports_unknown_ones() {
    let gw = Gateway::start("", "").await;
    let mut alice = user(&gw, "alice").await;
    let r = send(&mut alice, &gw, "alice", json!({"id": "later", "to": "+491711234567", "text": "x", "send_at": "2099-01-01T00:00:00Z"})).await;
    let id = r["message_id"].as_i64().unwrap();
    let c = request(
        &mut alice,
        &gw,
        "alice",
        RequestKind::Cancel,
        json!({"id": "later"}),
    )
    .await;
    assert_eq!(
        c,
        json!({"id": "later", "ok": true, "message_id": id, "state": "cancelled"})
    );
    let status = loop {
        let s = alice.json_on(&gw.topics.status("alice")).await;
        if s["state"] == "cancelled" {
            break s;
        }
    };
    assert_eq!(status["message_id"], id);
    let again = request(
        &mut alice,
        &gw,
        "alice",
        RequestKind::Cancel,
        json!({"message_id": id}),
    )
    .await;
    assert_eq!(again["error"]["code"], "not_cancellable", "{again}");
    let unknown = request(
        &mut alice,
        &gw,
        "alice",
        RequestKind::Cancel,
        json!({"message_id": 999}),
    )
    .await;
    assert_eq!(unknown["error"]["code"], "not_found", "{unknown}");
    // bob cannot cancel alice's message.
    let mut bob = user(&gw, "bob").await;
    let r2 = send(
        &mut alice,
        &gw,
        "alice",
        json!({"to": "+491711234567", "text": "y", "send_at": "2099-01-01T00:00:00Z"}),
    )
    .await;
    let foreign = request(
        &mut bob,
        &gw,
        "bob",
        RequestKind::Cancel,
        json!({"message_id": r2["message_id"]}),
    )
    .await;
    assert_eq!(foreign["error"]["code"], "not_found", "{foreign}");
    gw.stop().await;
}

#[tokio::test]
async fn ussd_answers_and_failures_come_in_the_reply() {
    let gw = Gateway::start("", "").await;
    let mut alice = user(&gw, "alice").await;
    let r = request(
        &mut alice,
        &gw,
        "alice",
        RequestKind::Ussd,
        json!({"id": "bal", "modem": "m1", "code": "*100#"}),
    )
    .await;
    assert_eq!(
        r,
        json!({"id": "bal", "ok": true, "modem": "m1", "response": "Balance: 5.00 EUR", "session_open": false})
    );
    let r = request(
        &mut alice,
        &gw,
        "alice",
        RequestKind::Ussd,
        json!({"modem": "m2", "code": "*100#"}),
    )
    .await;
    assert_eq!(r["error"]["code"], "modem_unavailable", "{r}");
    let mut bob = user(&gw, "bob").await;
    let r = request(
        &mut bob,
        &gw,
        "bob",
        RequestKind::Ussd,
        json!({"modem": "m1", "code": "*100#"}),
    )
    .await;
    assert_eq!(r["error"]["code"], "not_permitted", "{r}");
    gw.stop().await;
}

#[tokio::test]
async fn inbound_sms_reach_the_shared_inbox_and_routed_users() {
    let gw = Gateway::start("", "").await;
    let mut bob = V3::connect(gw.addr, "bob", &[gw.topics.inbox()]).await;
    let mut alice = user(&gw, "alice").await;
    // alice lacks `inbox`: the shared inbox is refused to her.
    alice
        .client
        .subscribe(gw.topics.inbox(), rumqttc::QoS::AtLeastOnce)
        .await
        .unwrap();
    assert!(matches!(alice.next().await, Seen::SubAck(false)));
    let part = store::InboundPart {
        modem: "m1".into(),
        sender: "+4915112345678".into(),
        concat: None,
        text: "alice please call back".into(),
        encoding: "gsm7".into(),
        raw_pdu: vec![1, 2, 3],
        sent_at: None,
        received_at: Utc::now(),
    };
    let m = gw
        .store
        .store_inbound_part(part)
        .await
        .unwrap()
        .expect("complete");
    let shared = bob.json_on(&gw.topics.inbox()).await;
    assert_eq!(shared["message_id"], m.id);
    assert_eq!(shared["from"], "+4915112345678");
    assert_eq!(shared["text"], "alice please call back");
    assert_eq!(shared["complete"], true);
    let routed = alice.json_on(&gw.topics.user_inbox("alice")).await;
    assert_eq!(routed, shared);
    gw.stop().await;
}

#[tokio::test]
async fn a_client_that_was_offline_replays_what_it_missed() {
    let gw = Gateway::start("", "").await;
    let mut alice = user(&gw, "alice").await;
    let mut seqs = Vec::new();
    for i in 0..3 {
        send(
            &mut alice,
            &gw,
            "alice",
            json!({"to": "+491711234567", "text": format!("{i}")}),
        )
        .await;
        seqs.push(
            alice.json_on(&gw.topics.status("alice")).await["seq"]
                .as_i64()
                .unwrap(),
        );
    }
    let mut bob = user(&gw, "bob").await;
    send(
        &mut bob,
        &gw,
        "bob",
        json!({"to": "+491711234567", "text": "bob's"}),
    )
    .await;
    drop(alice);
    // A new connection that saw only the first event.
    let mut again = user(&gw, "alice").await;
    let reply_topic = gw.topics.reply("alice");
    again
        .publish(
            &gw.topics.request("alice", RequestKind::Replay),
            json!({"id": "rp", "after": seqs[0]}).to_string(),
        )
        .await;
    let mut replayed = Vec::new();
    let reply = loop {
        match again.next().await {
            Seen::Publish { topic, payload, .. } => {
                let v: Value = serde_json::from_slice(&payload).unwrap();
                if topic == reply_topic {
                    break v;
                }
                if topic == gw.topics.request("alice", RequestKind::Replay) {
                    continue; // our own request, echoed by the `#` subscription
                }
                assert_eq!(topic, gw.topics.status("alice"));
                replayed.push(v["seq"].as_i64().unwrap());
            }
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(replayed, seqs[1..].to_vec());
    assert_eq!(reply["replayed"], 2);
    assert_eq!(reply["more"], false);
    assert_eq!(reply["id"], "rp");
    gw.stop().await;
}

#[tokio::test]
async fn modem_state_is_retained_for_later_subscribers() {
    let gw = Gateway::start("", "").await;
    let publisher = ModemStatePublisher::new(gw.broker.clone(), &gw.config);
    let state = ModemState {
        state: ModemStatus::Ready,
        signal_dbm: Some(-71),
        registration: Some(Registration::Home),
        operator: Some("Telekom.de".into()),
        imei: Some("356938035643809".into()),
        iccid: None,
        queue: 4,
    };
    publisher.publish("m1", &state).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut bob = V3::connect(gw.addr, "bob", &[gw.topics.modem_state("+")]).await;
    let v = bob.json_on(&gw.topics.modem_state("m1")).await;
    assert_eq!(v, serde_json::to_value(&state).unwrap());
    gw.stop().await;
}
