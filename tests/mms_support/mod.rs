//! The MQTT client of the MMS end-to-end tests: v3.1.1, large packets
//! allowed (MMS requests and inbox events carry attachments), every
//! publish kept by topic.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;

/// How long a test waits for one publish.
pub const WAIT: Duration = Duration::from_secs(30);

/// A v3.1.1 client allowed large packets (MMS requests and inbox events).
pub struct Client {
    client: rumqttc::AsyncClient,
    seen: tokio::sync::mpsc::UnboundedReceiver<(String, Value)>,
    held: Vec<(String, Value)>,
}

impl Client {
    pub async fn connect(
        addr: std::net::SocketAddr,
        user: &str,
        filters: &[impl AsRef<str>],
    ) -> Client {
        use rumqttc::{Event, MqttOptions, Packet, QoS};
        let mut o = MqttOptions::new(format!("{user}-mms"), addr.ip().to_string(), addr.port());
        o.set_credentials(user, super::api_support::PASSWORD);
        o.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut el) = rumqttc::AsyncClient::new(o, 100);
        let (tx, seen) = tokio::sync::mpsc::unbounded_channel();
        let (subacks, mut suback_rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                match el.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(a))) => {
                        let _ = subacks.send(a);
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let v = serde_json::from_slice(&p.payload).expect("JSON payload");
                        if tx.send((p.topic, v)).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => panic!("MQTT client: {e}"),
                }
            }
        });
        for f in filters {
            client
                .subscribe(f.as_ref(), QoS::AtLeastOnce)
                .await
                .unwrap();
            let ack = tokio::time::timeout(WAIT, suback_rx.recv())
                .await
                .unwrap()
                .unwrap();
            assert!(
                ack.return_codes
                    .iter()
                    .all(|c| !matches!(c, rumqttc::SubscribeReasonCode::Failure)),
                "subscribe to {} refused",
                f.as_ref()
            );
        }
        Client {
            client,
            seen,
            held: Vec::new(),
        }
    }

    pub async fn publish(&self, topic: &str, payload: String) {
        self.client
            .publish(topic, rumqttc::QoS::AtLeastOnce, false, payload)
            .await
            .unwrap();
    }

    /// The next publish on `topic`; others are kept for later calls.
    pub async fn json_on(&mut self, topic: &str) -> Value {
        if let Some(i) = self.held.iter().position(|(t, _)| t == topic) {
            return self.held.remove(i).1;
        }
        loop {
            let (t, v) = tokio::time::timeout(WAIT, self.seen.recv())
                .await
                .unwrap_or_else(|_| panic!("nothing on {topic} in time"))
                .expect("client task gone");
            if t == topic {
                return v;
            }
            self.held.push((t, v));
        }
    }
}

/// Bytes that look like a JPEG and do not compress.
pub fn picture(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0];
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push(x as u8);
    }
    out
}

/// Starts the gateway and waits until every modem in `modems` is ready.
pub async fn start_gateway(cfg: gsmq::config::Config, modems: &[&str]) -> gsmq::gateway::Gateway {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let gw = gsmq::gateway::Gateway::start(cfg).await.expect("gateway");
    for name in modems {
        let mut w = gw.pool().handle(name).expect("modem").watch();
        tokio::time::timeout(
            WAIT,
            w.wait_for(|s| s.status == gsmq::modem::ModemStatus::Ready),
        )
        .await
        .unwrap_or_else(|_| panic!("{name} ready in time"))
        .expect("modem state");
    }
    gw
}
