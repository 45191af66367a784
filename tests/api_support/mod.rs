//! A gateway for API tests and benchmarks: the real broker (port 0), a real
//! store in a temporary directory and the API service, plus small rumqttc
//! v3.1.1 and v5 clients. Shared by tests/api_mqtt.rs and benches/api.rs.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHasher, SaltString};
use bytes::Bytes;
use gsmq::api::acl::ConfigPolicy;
use gsmq::api::Topics;
use gsmq::broker::Broker;
use gsmq::config::Config;
use gsmq::service::{self, UssdFuture, UssdRunner};
use gsmq::store::Store;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub const WAIT: Duration = Duration::from_secs(10);
pub const PASSWORD: &str = "pw";

/// A cheap argon2id hash (tests only).
pub fn hash(password: &str) -> String {
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"gsmq-test-salt!!").unwrap();
    a.hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

/// Answers `*100#` on modem `m1`; everything else is unavailable.
pub struct TestUssd;

impl UssdRunner for TestUssd {
    fn run<'a>(&'a self, modem: &'a str, code: &'a str) -> UssdFuture<'a> {
        Box::pin(async move {
            match (modem, code) {
                ("m1", "*100#") => Ok(service::UssdAnswer {
                    response: "Balance: 5.00 EUR".into(),
                    session_open: false,
                }),
                _ => Err(format!("modem {modem} has no network")),
            }
        })
    }
}

/// Users: `alice` (send, ussd), `bob` (send, inbox, status), plus `extra_users`
/// TOML. Modems `m1` (tag `demo`) and `m2`. A route sends texts starting
/// with `alice` to alice.
pub fn config(dir: &Path, extra_api: &str, extra_users: &str) -> Config {
    let h = hash(PASSWORD);
    let text = format!(
        r#"
[broker]
listen = "127.0.0.1:0"
max_inflight = 1000
max_queued_messages = 100000
[storage]
path = "{dir}"
[api]
max_parts = 3
{extra_api}
[[api.route]]
user = "alice"
keyword = "alice"
[[user]]
name = "alice"
password_hash = "{h}"
permissions = ["send", "ussd"]
[[user]]
name = "bob"
password_hash = "{h}"
permissions = ["send", "inbox", "status"]
{extra_users}
[[modem]]
name = "m1"
port = "sim:generic"
tags = ["demo"]
[[modem]]
name = "m2"
port = "sim:generic"
"#,
        dir = dir.display()
    );
    Config::parse(&text, Path::new("test.toml")).unwrap()
}

/// The broker, the store and the service, running.
pub struct Gateway {
    pub config: Config,
    pub addr: SocketAddr,
    pub broker: Broker,
    pub store: Store,
    pub topics: Topics,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<service::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Gateway {
    pub async fn start(extra_api: &str, extra_users: &str) -> Gateway {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path(), extra_api, extra_users);
        Self::start_in(dir, config).await
    }

    /// Stops this gateway and starts a new one on the same database and
    /// configuration, as a daemon restart would.
    #[allow(dead_code)]
    pub async fn restart(self) -> Gateway {
        let (dir, config) = (self._dir, self.config);
        self.cancel.cancel();
        self.task.await.unwrap().unwrap();
        self.broker.shutdown().await;
        drop(self.store);
        Self::start_in(dir, config).await
    }

    async fn start_in(dir: tempfile::TempDir, config: Config) -> Gateway {
        let store = Store::open(&config.storage, &config.retry).unwrap();
        let policy = ConfigPolicy::from_config(&config);
        let topics = Topics::new(&config.api.prefix);
        let (broker, requests) =
            Broker::start(&config.broker, Arc::new(policy), topics.served_filters())
                .await
                .unwrap();
        let cancel = CancellationToken::new();
        let task = tokio::spawn(service::run(
            broker.clone(),
            requests,
            store.clone(),
            Arc::new(TestUssd),
            &config,
            cancel.clone(),
            || {},
        ));
        Gateway {
            addr: broker.local_addr(),
            config,
            broker,
            store,
            topics,
            cancel,
            task,
            _dir: dir,
        }
    }

    pub async fn stop(self) {
        self.cancel.cancel();
        self.task.await.unwrap().unwrap();
        self.broker.shutdown().await;
    }
}

/// What a test client sees.
#[derive(Debug)]
pub enum Seen {
    SubAck(bool),
    Publish {
        topic: String,
        payload: Bytes,
        correlation_data: Option<Bytes>,
    },
    Closed(String),
}

/// A v3.1.1 client with its event loop in a task.
pub struct V3 {
    pub client: rumqttc::AsyncClient,
    pub seen: mpsc::UnboundedReceiver<Seen>,
    /// Publishes `json_on` passed over.
    held: std::collections::VecDeque<(String, Bytes)>,
}

impl V3 {
    /// Connects as `user` and subscribes to `filters` (waits for the SUBACKs).
    pub async fn connect(addr: SocketAddr, user: &str, filters: &[String]) -> V3 {
        use rumqttc::{Event, MqttOptions, Packet, QoS, SubscribeReasonCode};
        let id = format!("{user}-{:08x}", rand::random::<u32>());
        let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
        o.set_credentials(user, PASSWORD);
        o.set_keep_alive(Duration::from_secs(30));
        o.set_inflight(1000);
        let (client, mut el) = rumqttc::AsyncClient::new(o, 1000);
        let (tx, seen) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let s = match el.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(a))) => Seen::SubAck(
                        a.return_codes
                            .iter()
                            .all(|c| !matches!(c, SubscribeReasonCode::Failure)),
                    ),
                    Ok(Event::Incoming(Packet::Publish(p))) => Seen::Publish {
                        topic: p.topic,
                        payload: p.payload,
                        correlation_data: None,
                    },
                    Ok(_) => continue,
                    Err(e) => Seen::Closed(e.to_string()),
                };
                let closed = matches!(s, Seen::Closed(_));
                if tx.send(s).is_err() || closed {
                    return;
                }
            }
        });
        let mut c = V3 {
            client,
            seen,
            held: Default::default(),
        };
        for f in filters {
            c.client.subscribe(f, QoS::AtLeastOnce).await.unwrap();
        }
        for f in filters {
            match c.next().await {
                Seen::SubAck(true) => {}
                other => panic!("subscribe to {f} failed: {other:?}"),
            }
        }
        c
    }

    pub async fn next(&mut self) -> Seen {
        tokio::time::timeout(WAIT, self.seen.recv())
            .await
            .expect("nothing seen in time")
            .expect("client task gone")
    }

    /// The next publish on `topic` as JSON; publishes on other topics are
    /// kept for later calls.
    pub async fn json_on(&mut self, topic: &str) -> serde_json::Value {
        let parse = |payload: &[u8]| {
            serde_json::from_slice(payload).unwrap_or_else(|e| panic!("{topic}: {e}"))
        };
        if let Some(i) = self.held.iter().position(|(t, _)| t == topic) {
            let (_, payload) = self.held.remove(i).unwrap_or_default();
            return parse(&payload);
        }
        loop {
            if let Seen::Publish {
                topic: t, payload, ..
            } = self.next().await
            {
                if t == topic {
                    return parse(&payload);
                }
                self.held.push_back((t, payload));
            }
        }
    }

    pub async fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, rumqttc::QoS::AtLeastOnce, false, payload.into())
            .await
            .unwrap();
    }
}

/// An MQTT v5 client with its event loop in a task.
pub struct V5 {
    pub client: rumqttc::v5::AsyncClient,
    pub seen: mpsc::UnboundedReceiver<Seen>,
}

impl V5 {
    pub async fn connect(addr: SocketAddr, user: &str, filters: &[String]) -> V5 {
        use rumqttc::v5::mqttbytes::v5::{Packet, SubscribeReasonCode};
        use rumqttc::v5::mqttbytes::QoS;
        use rumqttc::v5::{Event, MqttOptions};
        let id = format!("{user}-v5-{:08x}", rand::random::<u32>());
        let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
        o.set_credentials(user, PASSWORD);
        o.set_keep_alive(Duration::from_secs(30));
        let (client, mut el) = rumqttc::v5::AsyncClient::new(o, 100);
        let (tx, seen) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let s = match el.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(a))) => Seen::SubAck(
                        a.return_codes
                            .iter()
                            .all(|c| matches!(c, SubscribeReasonCode::Success(_))),
                    ),
                    Ok(Event::Incoming(Packet::Publish(p))) => Seen::Publish {
                        topic: String::from_utf8_lossy(&p.topic).into_owned(),
                        payload: p.payload,
                        correlation_data: p.properties.and_then(|pp| pp.correlation_data),
                    },
                    Ok(_) => continue,
                    Err(e) => Seen::Closed(e.to_string()),
                };
                let closed = matches!(s, Seen::Closed(_));
                if tx.send(s).is_err() || closed {
                    return;
                }
            }
        });
        let mut c = V5 { client, seen };
        for f in filters {
            c.client.subscribe(f, QoS::AtLeastOnce).await.unwrap();
        }
        for f in filters {
            match tokio::time::timeout(WAIT, c.seen.recv()).await {
                Ok(Some(Seen::SubAck(true))) => {}
                other => panic!("subscribe to {f} failed: {other:?}"),
            }
        }
        c
    }
}
