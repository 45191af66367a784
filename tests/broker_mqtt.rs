//! The embedded broker end to end, in-process on port 0, with rumqttc
//! clients: authentication, ACL, requests, in-process publishes, retained
//! messages, wills, sessions, limits and the rmqtt issue #34 workaround.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHasher, SaltString};
use bytes::Bytes;
use gsmq::api::acl::ConfigPolicy;
use gsmq::broker::{Broker, Request};
use gsmq::config::Config;
use rumqttc::{ConnectReturnCode, Event, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(20);

/// A cheap argon2id hash (tests only; the config check accepts any PHC).
fn hash(password: &str) -> String {
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"gsmq-test-salt!!").unwrap();
    a.hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

fn config(extra_broker: &str, extra_users: &str) -> Config {
    let text = format!(
        "[broker]\nlisten = \"127.0.0.1:0\"\n{extra_broker}\n[storage]\npath = \"x\"\n\
         [[user]]\nname = \"alice\"\npassword_hash = \"{a}\"\npermissions = [\"send\"]\n\
         [[user]]\nname = \"bob\"\npassword_hash = \"{b}\"\npermissions = [\"send\", \"inbox\", \"status\"]\n\
         {extra_users}",
        a = hash("alice-pw"),
        b = hash("bob-pw"),
    );
    Config::parse(&text, Path::new("test.toml")).unwrap()
}

async fn start_with(cfg: &Config) -> (Broker, mpsc::Receiver<Request>) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let policy = ConfigPolicy::from_config(cfg);
    let served = policy.served_filters();
    Broker::start(&cfg.broker, Arc::new(policy), served)
        .await
        .unwrap()
}

async fn start() -> (Broker, mpsc::Receiver<Request>) {
    start_with(&config("", "")).await
}

/// A v3.1.1 client whose event loop runs in a task; events come on a channel.
struct V3 {
    client: rumqttc::AsyncClient,
    events: mpsc::UnboundedReceiver<Result<Event, String>>,
    task: tokio::task::JoinHandle<()>,
}

fn v3_options(addr: SocketAddr, id: &str, user: &str, pw: &str) -> MqttOptions {
    let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    o.set_credentials(user, pw);
    o.set_keep_alive(Duration::from_secs(30));
    o
}

fn v3_spawn(o: MqttOptions) -> V3 {
    let (client, mut el) = rumqttc::AsyncClient::new(o, 64);
    let (tx, events) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        loop {
            let ev = el.poll().await.map_err(|e| format!("{e:?}"));
            let stop = ev.is_err();
            if tx.send(ev).is_err() || stop {
                break;
            }
        }
    });
    V3 {
        client,
        events,
        task,
    }
}

impl V3 {
    /// Waits for the CONNACK; Err carries the refusal.
    async fn connack(&mut self) -> Result<rumqttc::ConnAck, String> {
        loop {
            match tokio::time::timeout(WAIT, self.events.recv()).await {
                Ok(Some(Ok(Event::Incoming(Packet::ConnAck(a))))) => return Ok(a),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(e))) => return Err(e),
                Ok(None) => return Err("closed".into()),
                Err(_) => return Err("timeout".into()),
            }
        }
    }

    /// Waits for an incoming packet matching `f`.
    async fn expect<T>(&mut self, mut f: impl FnMut(&Packet) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let ev = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .expect("timed out waiting for a packet")
                .expect("event loop ended");
            if let Ok(Event::Incoming(p)) = ev {
                if let Some(t) = f(&p) {
                    return t;
                }
            }
        }
    }

    /// Collects incoming PUBLISHes for `d`.
    async fn publishes_for(&mut self, d: Duration) -> Vec<rumqttc::Publish> {
        let deadline = tokio::time::Instant::now() + d;
        let mut out = Vec::new();
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, self.events.recv()).await {
            if let Ok(Event::Incoming(Packet::Publish(p))) = ev {
                out.push(p);
            }
        }
        out
    }

    /// Sends DISCONNECT, waits until it is on the wire, then closes the
    /// socket (as a real client does; rmqtt waits for the close).
    async fn close(mut self) {
        self.client.disconnect().await.unwrap();
        while let Ok(Some(Ok(ev))) = tokio::time::timeout(WAIT, self.events.recv()).await {
            if matches!(ev, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                break;
            }
        }
        self.task.abort();
        let _ = self.task.await;
    }

    async fn subscribe(&mut self, filter: &str) -> rumqttc::SubscribeReasonCode {
        self.client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .unwrap();
        self.expect(|p| match p {
            Packet::SubAck(a) => Some(a.return_codes[0]),
            _ => None,
        })
        .await
    }
}

async fn connect_v3(addr: SocketAddr, id: &str, user: &str, pw: &str) -> V3 {
    let mut c = v3_spawn(v3_options(addr, id, user, pw));
    c.connack().await.expect("connect");
    c
}

#[tokio::test]
async fn the_right_password_connects_and_a_wrong_one_gets_connack_5() {
    let (broker, _rx) = start().await;
    let addr = broker.local_addr();
    assert_ne!(addr.port(), 0);
    let mut ok = v3_spawn(v3_options(addr, "a1", "alice", "alice-pw"));
    assert_eq!(ok.connack().await.unwrap().code, ConnectReturnCode::Success);

    let mut bad = v3_spawn(v3_options(addr, "a2", "alice", "wrong"));
    let err = bad.connack().await.unwrap_err();
    assert!(err.contains("NotAuthorized"), "{err}");

    let mut unknown = v3_spawn(v3_options(addr, "a3", "mallory", "alice-pw"));
    let err = unknown.connack().await.unwrap_err();
    assert!(err.contains("NotAuthorized"), "{err}");

    let anon = MqttOptions::new("a4", addr.ip().to_string(), addr.port());
    let mut anon = v3_spawn(anon);
    let err = anon.connack().await.unwrap_err();
    assert!(err.contains("NotAuthorized"), "{err}");
    assert_eq!(broker.stats().await.auth_refused, 3);
    broker.shutdown().await;
}

mod v5 {
    use super::*;
    use rumqttc::v5::mqttbytes::v5::{
        ConnectProperties, ConnectReturnCode, Packet, PubAckReason, PublishProperties,
        SubscribeReasonCode,
    };
    use rumqttc::v5::mqttbytes::QoS;
    use rumqttc::v5::{AsyncClient, Event, MqttOptions};

    pub struct V5 {
        pub client: AsyncClient,
        pub events: mpsc::UnboundedReceiver<Result<Event, String>>,
        pub task: tokio::task::JoinHandle<()>,
    }

    pub fn options(addr: SocketAddr, id: &str, user: &str, pw: &str) -> MqttOptions {
        let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
        o.set_credentials(user, pw);
        o
    }

    pub fn spawn(o: MqttOptions) -> V5 {
        let (client, mut el) = AsyncClient::new(o, 64);
        let (tx, events) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                let ev = el.poll().await.map_err(|e| format!("{e:?}"));
                let stop = ev.is_err();
                if tx.send(ev).is_err() || stop {
                    break;
                }
            }
        });
        V5 {
            client,
            events,
            task,
        }
    }

    impl V5 {
        pub async fn close(mut self) {
            self.client.disconnect().await.unwrap();
            while let Ok(Some(Ok(ev))) = tokio::time::timeout(WAIT, self.events.recv()).await {
                if matches!(ev, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                    break;
                }
            }
            self.task.abort();
            let _ = self.task.await;
        }

        pub async fn connack(&mut self) -> Result<bool, String> {
            loop {
                match tokio::time::timeout(WAIT, self.events.recv()).await {
                    Ok(Some(Ok(Event::Incoming(Packet::ConnAck(a))))) => {
                        return Ok(a.session_present)
                    }
                    Ok(Some(Ok(_))) => continue,
                    Ok(Some(Err(e))) => return Err(e),
                    Ok(None) => return Err("closed".into()),
                    Err(_) => return Err("timeout".into()),
                }
            }
        }
    }

    #[tokio::test]
    async fn a_wrong_v5_password_gets_reason_0x86() {
        let (broker, _rx) = start().await;
        let mut bad = spawn(options(broker.local_addr(), "b1", "alice", "nope"));
        let err = bad.connack().await.unwrap_err();
        assert!(
            err.contains(&format!("{:?}", ConnectReturnCode::BadUserNamePassword)),
            "{err}"
        );
        let mut good = spawn(options(broker.local_addr(), "b2", "alice", "alice-pw"));
        assert!(!good.connack().await.unwrap());
        broker.shutdown().await;
    }

    #[tokio::test]
    async fn a_v5_device_gets_not_authorized_for_foreign_topics() {
        let (broker, _rx) = start().await;
        let mut c = spawn(options(broker.local_addr(), "b3", "alice", "alice-pw"));
        c.connack().await.unwrap();
        c.client
            .subscribe("gsmq/bob/#", QoS::AtLeastOnce)
            .await
            .unwrap();
        let codes = loop {
            match tokio::time::timeout(WAIT, c.events.recv()).await {
                Ok(Some(Ok(Event::Incoming(Packet::SubAck(ack))))) => break ack.return_codes,
                Ok(Some(Ok(_))) => continue,
                other => panic!("no SUBACK: {other:?}"),
            }
        };
        assert_eq!(codes, vec![SubscribeReasonCode::NotAuthorized]);
        let mut c = spawn(options(broker.local_addr(), "b3b", "alice", "alice-pw"));
        c.connack().await.unwrap();
        c.client
            .publish("gsmq/bob/sms/send", QoS::AtLeastOnce, false, "x")
            .await
            .unwrap();
        let reason = loop {
            match tokio::time::timeout(WAIT, c.events.recv()).await {
                Ok(Some(Ok(Event::Incoming(Packet::PubAck(ack))))) => break ack.reason,
                Ok(Some(Ok(_))) => continue,
                other => panic!("no PUBACK: {other:?}"),
            }
        };
        assert_eq!(reason, PubAckReason::NotAuthorized);
        broker.shutdown().await;
    }

    #[tokio::test]
    async fn a_v5_request_carries_response_topic_and_correlation_data() {
        let (broker, mut rx) = start().await;
        let mut c = spawn(options(broker.local_addr(), "b4", "alice", "alice-pw"));
        c.connack().await.unwrap();
        let props = PublishProperties {
            response_topic: Some("gsmq/alice/reply/1".into()),
            correlation_data: Some(Bytes::from_static(b"corr-7")),
            ..Default::default()
        };
        c.client
            .publish_with_properties(
                "gsmq/alice/sms/send",
                QoS::AtLeastOnce,
                false,
                "{\"to\":\"+1\"}",
                props,
            )
            .await
            .unwrap();
        let req = tokio::time::timeout(WAIT, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            req,
            Request {
                client_id: "b4".into(),
                username: "alice".into(),
                topic: "gsmq/alice/sms/send".into(),
                payload: Bytes::from_static(b"{\"to\":\"+1\"}"),
                response_topic: Some("gsmq/alice/reply/1".into()),
                correlation_data: Some(Bytes::from_static(b"corr-7")),
            }
        );
        // A response topic in someone else's namespace is dropped.
        let props = PublishProperties {
            response_topic: Some("gsmq/bob/reply".into()),
            ..Default::default()
        };
        c.client
            .publish_with_properties("gsmq/alice/sms/send", QoS::AtLeastOnce, false, "y", props)
            .await
            .unwrap();
        let req = tokio::time::timeout(WAIT, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(req.response_topic, None);
        broker.shutdown().await;
    }

    #[tokio::test]
    async fn a_v5_session_expires_after_its_expiry_interval() {
        let (broker, _rx) = start().await;
        let addr = broker.local_addr();
        let session = |secs| {
            let mut o = options(addr, "b5", "alice", "alice-pw");
            o.set_clean_start(false);
            let mut p = ConnectProperties::new();
            p.session_expiry_interval = Some(secs);
            o.set_connect_properties(p);
            o
        };
        let mut c = spawn(session(1));
        assert!(!c.connack().await.unwrap());
        c.close().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut c = spawn(session(1));
        assert!(c.connack().await.unwrap(), "session kept within its expiry");
        c.close().await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let mut c = spawn(session(1));
        assert!(!c.connack().await.unwrap(), "session gone after its expiry");
        broker.shutdown().await;
    }
}

#[tokio::test]
async fn a_device_cannot_subscribe_to_or_publish_on_another_users_topics() {
    let (broker, mut rx) = start().await;
    let addr = broker.local_addr();
    let mut bob = connect_v3(addr, "bob1", "bob", "bob-pw").await;
    assert_eq!(
        bob.subscribe("gsmq/bob/#").await,
        rumqttc::SubscribeReasonCode::Success(QoS::AtLeastOnce)
    );
    let mut alice = connect_v3(addr, "alice1", "alice", "alice-pw").await;
    for filter in [
        "gsmq/bob/#",
        "gsmq/#",
        "#",
        "gsmq/+/sms/send",
        "gsmq/inbox/#",
    ] {
        assert_eq!(
            alice.subscribe(filter).await,
            rumqttc::SubscribeReasonCode::Failure,
            "{filter}"
        );
    }
    // QoS 1 and QoS 0 into bob's namespace: acknowledged (3.1.1) but dropped.
    alice
        .client
        .publish("gsmq/bob/sms/send", QoS::AtLeastOnce, false, "x")
        .await
        .unwrap();
    alice
        .client
        .publish("gsmq/bob/sms/send", QoS::AtMostOnce, false, "y")
        .await
        .unwrap();
    alice
        .expect(|p| matches!(p, Packet::PubAck(_)).then_some(()))
        .await;
    assert!(bob
        .publishes_for(Duration::from_millis(300))
        .await
        .is_empty());
    assert!(rx.try_recv().is_err(), "a refused PUBLISH became a request");
    let stats = broker.stats().await;
    assert_eq!(stats.subscribe_refused, 5);
    assert_eq!(stats.publish_refused, 2);
    broker.shutdown().await;
}

#[tokio::test]
async fn permissions_add_inbox_and_status_subscriptions() {
    let (broker, _rx) = start().await;
    let mut bob = connect_v3(broker.local_addr(), "bob2", "bob", "bob-pw").await;
    for filter in ["gsmq/inbox/#", "gsmq/modem/+/state", "gsmq/status"] {
        assert_eq!(
            bob.subscribe(filter).await,
            rumqttc::SubscribeReasonCode::Success(QoS::AtLeastOnce),
            "{filter}"
        );
    }
    broker.shutdown().await;
}

#[tokio::test]
async fn keepalive_zero_is_accepted() {
    let (broker, _rx) = start().await;
    let mut o = v3_options(broker.local_addr(), "ka0", "alice", "alice-pw");
    o.set_keep_alive(Duration::ZERO);
    let mut c = v3_spawn(o);
    assert_eq!(c.connack().await.unwrap().code, ConnectReturnCode::Success);
    broker.shutdown().await;
}

#[tokio::test]
async fn requests_arrive_on_the_channel_and_daemon_publishes_reach_subscribers() {
    let (broker, mut rx) = start().await;
    let addr = broker.local_addr();
    let mut alice = connect_v3(addr, "alice2", "alice", "alice-pw").await;
    alice.subscribe("gsmq/alice/#").await;
    alice
        .client
        .publish("gsmq/alice/sms/send", QoS::AtLeastOnce, false, "hello")
        .await
        .unwrap();
    let req = tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(req.username, "alice");
    assert_eq!(req.client_id, "alice2");
    assert_eq!(&req.payload[..], b"hello");
    assert_eq!(req.response_topic, None);

    broker
        .publish(
            "gsmq/alice/sms/reply",
            Bytes::from_static(b"{\"ok\":true}"),
            false,
        )
        .await
        .unwrap();
    let p = alice
        .expect(|p| match p {
            Packet::Publish(p) if p.topic == "gsmq/alice/sms/reply" => Some(p.clone()),
            _ => None,
        })
        .await;
    assert_eq!(p.qos, QoS::AtLeastOnce);
    assert_eq!(&p.payload[..], b"{\"ok\":true}");
    assert!(broker
        .publish("gsmq/+/x", Bytes::new(), false)
        .await
        .is_err());
    broker.shutdown().await;
}

#[tokio::test]
async fn retained_messages_reach_late_subscribers() {
    let (broker, _rx) = start().await;
    let addr = broker.local_addr();
    broker
        .publish("gsmq/status", Bytes::from_static(b"online"), true)
        .await
        .unwrap();
    let mut alice = connect_v3(addr, "alice3", "alice", "alice-pw").await;
    alice
        .client
        .publish("gsmq/alice/note", QoS::AtLeastOnce, true, "kept")
        .await
        .unwrap();
    alice
        .expect(|p| matches!(p, Packet::PubAck(_)).then_some(()))
        .await;
    let mut bob = connect_v3(addr, "bob3", "bob", "bob-pw").await;
    bob.subscribe("gsmq/status").await;
    let p = bob
        .expect(|p| match p {
            Packet::Publish(p) => Some(p.clone()),
            _ => None,
        })
        .await;
    assert!(p.retain);
    assert_eq!(&p.payload[..], b"online");
    alice.subscribe("gsmq/alice/note").await;
    let p = alice
        .expect(|p| match p {
            Packet::Publish(p) => Some(p.clone()),
            _ => None,
        })
        .await;
    assert!(p.retain);
    assert_eq!(&p.payload[..], b"kept");
    broker.shutdown().await;
}

#[tokio::test]
async fn a_will_is_published_on_abrupt_loss_and_a_foreign_will_is_refused() {
    let (broker, _rx) = start().await;
    let addr = broker.local_addr();
    let mut watcher = connect_v3(addr, "alice-w", "alice", "alice-pw").await;
    watcher.subscribe("gsmq/alice/lwt").await;

    let mut o = v3_options(addr, "alice-dev", "alice", "alice-pw");
    o.set_last_will(LastWill::new(
        "gsmq/alice/lwt",
        "gone",
        QoS::AtLeastOnce,
        false,
    ));
    let mut dev = v3_spawn(o);
    dev.connack().await.unwrap();
    dev.task.abort(); // drops the TCP connection without DISCONNECT
    let p = watcher
        .expect(|p| match p {
            Packet::Publish(p) => Some(p.clone()),
            _ => None,
        })
        .await;
    assert_eq!(p.topic, "gsmq/alice/lwt");
    assert_eq!(&p.payload[..], b"gone");

    let mut o = v3_options(addr, "alice-bad", "alice", "alice-pw");
    o.set_last_will(LastWill::new("gsmq/bob/lwt", "x", QoS::AtMostOnce, false));
    let mut bad = v3_spawn(o);
    let err = bad.connack().await.unwrap_err();
    assert!(err.contains("NotAuthorized"), "{err}");
    broker.shutdown().await;
}

#[tokio::test]
async fn a_persistent_session_gets_messages_queued_while_offline() {
    let (broker, _rx) = start().await;
    let addr = broker.local_addr();
    let persistent = || {
        let mut o = v3_options(addr, "alice-p", "alice", "alice-pw");
        o.set_clean_session(false);
        o
    };
    let mut c = v3_spawn(persistent());
    c.connack().await.unwrap();
    c.subscribe("gsmq/alice/#").await;
    c.close().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    broker
        .publish("gsmq/alice/sms/status", Bytes::from_static(b"sent"), false)
        .await
        .unwrap();
    let mut c = v3_spawn(persistent());
    assert!(c.connack().await.unwrap().session_present);
    let p = c
        .expect(|p| match p {
            Packet::Publish(p) => Some(p.clone()),
            _ => None,
        })
        .await;
    assert_eq!(&p.payload[..], b"sent");
    broker.shutdown().await;
}

#[tokio::test]
async fn a_full_session_queue_drops_are_counted() {
    let cfg = config("max_queued_messages = 3\nmax_inflight = 1", "");
    let (broker, _rx) = start_with(&cfg).await;
    let addr = broker.local_addr();
    let mut o = v3_options(addr, "alice-q", "alice", "alice-pw");
    o.set_clean_session(false);
    let mut c = v3_spawn(o);
    c.connack().await.unwrap();
    c.subscribe("gsmq/alice/#").await;
    c.close().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    for i in 0..10 {
        broker
            .publish("gsmq/alice/x", Bytes::from(format!("{i}")), false)
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stats = broker.stats().await;
    assert!(stats.dropped_queue_full >= 6, "{stats:?}");
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_right_after_disconnect_with_the_same_client_id_is_accepted() {
    let (broker, _rx) = start().await;
    let addr = broker.local_addr();
    for round in 0..200 {
        let mut c = v3_spawn(v3_options(addr, "fast", "alice", "alice-pw"));
        assert_eq!(
            c.connack().await.map(|a| a.code),
            Ok(ConnectReturnCode::Success),
            "round {round}"
        );
        // DISCONNECT, close the socket, and reconnect at once.
        c.close().await;
    }
    broker.shutdown().await;
}

#[tokio::test]
async fn a_reloaded_policy_applies_to_new_logins_without_dropping_connections() {
    let (broker, _rx) = start().await;
    let addr = broker.local_addr();
    let mut alice = connect_v3(addr, "alice-r", "alice", "alice-pw").await;
    let cfg = config(
        "",
        &format!(
            "[[user]]\nname = \"carol\"\npassword_hash = \"{}\"\n",
            hash("carol-pw")
        ),
    );
    broker.reload(Arc::new(ConfigPolicy::from_config(&cfg)));
    let mut carol = v3_spawn(v3_options(addr, "carol1", "carol", "carol-pw"));
    assert_eq!(
        carol.connack().await.unwrap().code,
        ConnectReturnCode::Success
    );
    // alice's connection survived the reload.
    assert_eq!(
        alice.subscribe("gsmq/alice/#").await,
        rumqttc::SubscribeReasonCode::Success(QoS::AtLeastOnce)
    );
    broker.shutdown().await;
}
