//! The serial device bridge end to end: a firmware-bridge client on the far
//! side of a byte stream (standing in for a UART) logs into the embedded
//! broker through the bridge, subscribes, publishes and receives, exactly
//! like a networked client; wrong credentials and corrupt frames are
//! handled as the protocol says.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use bytes::Bytes;
use firmware_bridge::framing;
use firmware_bridge::mqtt::{Client, Config as ClientConfig, Event, QoS};
use firmware_bridge::{INFLIGHT_BUFFER_LEN, RX_BUFFER_LEN, TX_BUFFER_LEN};
use gsmq::api::acl::ConfigPolicy;
use gsmq::bridge::DeviceBridge;
use gsmq::broker::Broker;
use gsmq::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(10);

fn hash(password: &str) -> String {
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"gsmq-test-salt!!").unwrap();
    a.hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

async fn broker() -> Broker {
    let text = format!(
        "[broker]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = \"x\"\n\
         [[user]]\nname = \"pump\"\npassword_hash = \"{}\"\npermissions = [\"send\"]\n",
        hash("pump-pw")
    );
    let cfg = Config::parse(&text, Path::new("test.toml")).unwrap();
    let policy = ConfigPolicy::from_config(&cfg);
    let served = policy.served_filters();
    let (broker, requests) = Broker::start(&cfg.broker, Arc::new(policy), served)
        .await
        .unwrap();
    // Keep the request channel drained; this test does not need the API.
    tokio::spawn(async move {
        let mut requests = requests;
        while requests.recv().await.is_some() {}
    });
    broker
}

/// What the device saw, copied out of the client's buffers.
#[derive(Debug, PartialEq)]
enum Seen {
    Connected,
    Subscribed,
    Published,
    Message(String, Vec<u8>),
    Refused(String),
}

/// The device end: frames whatever the client wants to send, unframes what
/// arrives, and returns the first event matching `want`.
struct Device {
    io: DuplexStream,
    decoder: framing::Decoder,
    pending: Vec<u8>,
    start: Instant,
}

/// The client's caller-provided buffers.
struct Buffers {
    tx: [u8; TX_BUFFER_LEN],
    rx: [u8; RX_BUFFER_LEN],
    inflight: [u8; INFLIGHT_BUFFER_LEN],
}

impl Buffers {
    fn new() -> Self {
        Buffers {
            tx: [0; TX_BUFFER_LEN],
            rx: [0; RX_BUFFER_LEN],
            inflight: [0; INFLIGHT_BUFFER_LEN],
        }
    }

    /// A client logging in as `pump` with `password`.
    fn client<'b>(&'b mut self, password: &'b [u8]) -> Client<'b> {
        let mut cfg = ClientConfig::new("pump-uart");
        cfg.username = Some("pump");
        cfg.password = Some(password);
        Client::new(cfg, &mut self.tx, &mut self.rx, &mut self.inflight)
    }
}

impl Device {
    fn new(io: DuplexStream) -> Self {
        Device {
            io,
            decoder: framing::Decoder::new(),
            pending: Vec::new(),
            start: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    async fn flush(&mut self, client: &mut Client<'_>) {
        let out = client.transmit().to_vec();
        if !out.is_empty() {
            client.transmitted(out.len());
            self.io
                .write_all(&framing::encode_to_vec(&out))
                .await
                .unwrap();
        }
    }

    async fn until(&mut self, client: &mut Client<'_>, want: impl Fn(&Seen) -> bool) -> Seen {
        let deadline = Instant::now() + WAIT;
        let mut buf = [0u8; 512];
        loop {
            self.flush(client).await;
            loop {
                let seen = match client.poll(self.now_ms()) {
                    Ok(Some(Event::Connected { .. })) => Seen::Connected,
                    Ok(Some(Event::Subscribed(_))) => Seen::Subscribed,
                    Ok(Some(Event::Published { .. })) => Seen::Published,
                    Ok(Some(Event::Message(p))) => {
                        Seen::Message(p.topic.to_string(), p.payload.to_vec())
                    }
                    Ok(Some(_)) => continue,
                    Ok(None) => break,
                    Err(e) => Seen::Refused(format!("{e:?}")),
                };
                self.flush(client).await;
                if want(&seen) {
                    return seen;
                }
            }
            // Feed any complete frames already buffered.
            while !self.pending.is_empty() {
                let (used, frame) = self.decoder.feed(&self.pending);
                let frame = frame.map(|f| f.map(|b| b.to_vec()));
                self.pending.drain(..used);
                match frame {
                    Some(Ok(bytes)) => {
                        let mut off = 0;
                        while off < bytes.len() {
                            let n = client.receive(&bytes[off..]);
                            if n == 0 {
                                break;
                            }
                            off += n;
                        }
                    }
                    Some(Err(e)) => panic!("bridge sent a corrupt frame: {e:?}"),
                    None => break,
                }
            }
            if client.poll_timeout().is_some() || self.pending.is_empty() {
                let remaining = deadline.saturating_duration_since(Instant::now());
                assert!(!remaining.is_zero(), "device timed out waiting");
                match tokio::time::timeout(Duration::from_millis(50), self.io.read(&mut buf)).await
                {
                    Ok(Ok(0)) => panic!("bridge closed the serial line"),
                    Ok(Ok(n)) => self.pending.extend_from_slice(&buf[..n]),
                    Ok(Err(e)) => panic!("serial read: {e}"),
                    Err(_) => {}
                }
            }
        }
    }
}

fn start_bridge(broker: &Broker) -> (DuplexStream, Arc<gsmq::bridge::Stats>, CancellationToken) {
    let (device_end, daemon_end) = tokio::io::duplex(4096);
    let bridge = DeviceBridge::new("uart0", broker.local_addr());
    let stats = bridge.stats();
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move { bridge.run(daemon_end, c).await });
    (device_end, stats, cancel)
}

#[tokio::test]
async fn a_uart_device_logs_in_subscribes_and_publishes_through_the_bridge() {
    let broker = broker().await;
    let (io, stats, cancel) = start_bridge(&broker);
    let mut buffers = Buffers::new();
    let mut client = buffers.client(b"pump-pw");
    let mut dev = Device::new(io);

    client.connect(dev.now_ms()).unwrap();
    assert_eq!(dev.until(&mut client, |_| true).await, Seen::Connected);

    client
        .subscribe(&[("gsmq/pump/reply", QoS::AtLeastOnce)], dev.now_ms())
        .unwrap();
    assert_eq!(dev.until(&mut client, |_| true).await, Seen::Subscribed);

    // The daemon publishes to the device's reply topic in-process.
    broker
        .publish(
            "gsmq/pump/reply",
            Bytes::from_static(b"{\"ok\":true}"),
            false,
        )
        .await
        .unwrap();
    let seen = dev
        .until(&mut client, |s| matches!(s, Seen::Message(..)))
        .await;
    assert_eq!(
        seen,
        Seen::Message("gsmq/pump/reply".into(), b"{\"ok\":true}".to_vec())
    );

    // A QoS 1 publish from the device is acknowledged by the broker.
    client
        .publish(
            "gsmq/pump/sms/send",
            b"{\"to\":\"+15550001\",\"text\":\"hi\"}",
            QoS::AtLeastOnce,
            false,
            dev.now_ms(),
        )
        .unwrap();
    assert_eq!(dev.until(&mut client, |_| true).await, Seen::Published);

    assert_eq!(stats.connections.load(Ordering::Relaxed), 1);
    assert!(stats.frames_in.load(Ordering::Relaxed) >= 3);
    assert!(stats.packets_out.load(Ordering::Relaxed) >= 3);
    cancel.cancel();
}

#[tokio::test]
async fn a_wrong_password_over_the_bridge_is_refused_with_a_connack_code() {
    let broker = broker().await;
    let (io, _stats, cancel) = start_bridge(&broker);
    let mut buffers = Buffers::new();
    let mut client = buffers.client(b"wrong");
    let mut dev = Device::new(io);
    client.connect(dev.now_ms()).unwrap();
    match dev.until(&mut client, |_| true).await {
        Seen::Refused(e) => assert!(e.contains("ConnectionRefused"), "{e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    cancel.cancel();
}

#[tokio::test]
async fn corrupt_frames_are_counted_and_the_link_keeps_working() {
    let broker = broker().await;
    let (mut io, stats, cancel) = start_bridge(&broker);
    // Line noise, then a frame whose CRC is wrong.
    io.write_all(&[0x13, 0x37, 0xFF, 0x00]).await.unwrap();
    let mut bad = framing::encode_to_vec(b"\x10\x00");
    bad[1] ^= 0x55;
    io.write_all(&bad).await.unwrap();

    let mut buffers = Buffers::new();
    let mut client = buffers.client(b"pump-pw");
    let mut dev = Device::new(io);
    client.connect(dev.now_ms()).unwrap();
    assert_eq!(dev.until(&mut client, |_| true).await, Seen::Connected);
    assert_eq!(stats.bad_frames.load(Ordering::Relaxed), 2);
    cancel.cancel();
}
