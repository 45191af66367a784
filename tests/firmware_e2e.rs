//! The firmware client end to end on the host: `firmware-bridge`'s own MQTT
//! client sends an SMS through the real gateway (in-process, with a
//! simulated modem) and receives the acknowledgement and the delivery
//! status — once over TCP like a networked device, once over a serial line
//! (a PTY) through the daemon's device bridge, like a UART-only device.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use firmware_bridge::gsmq as fw;
use firmware_bridge::gsmq::{Message, Outcome, Recipients, SendSms, SmsState};
use firmware_bridge::mqtt::{Client, Config as ClientConfig, Event, QoS};
use firmware_bridge::{
    framing, INFLIGHT_BUFFER_LEN, RX_BUFFER_LEN, SEND_REQUEST_MAX, TX_BUFFER_LEN,
};
use gsmq::config::Config;
use gsmq::gateway::Gateway;

const WAIT: Duration = Duration::from_secs(30);

fn hash(password: &str) -> String {
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"gsmq-test-salt!!").unwrap();
    a.hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

fn config(dir: &Path, device_port: Option<&str>) -> Config {
    let device = device_port
        .map(|p| format!("[[device]]\nname = \"pump\"\nport = \"{p}\"\n"))
        .unwrap_or_default();
    let text = format!(
        "[broker]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = \"{db}\"\n\
         [[user]]\nname = \"pump\"\npassword_hash = \"{h}\"\npermissions = [\"send\"]\n\
         [[modem]]\nname = \"sim0\"\nport = \"sim:generic\"\nsim_timing = \"fast\"\n{device}",
        db = dir.join("db").display(),
        h = hash("pump-pw"),
    );
    Config::parse(&text, Path::new("test.toml")).unwrap()
}

/// Runs the gateway on its own runtime thread; returns its MQTT address.
fn start_gateway(cfg: Config) -> (std::net::SocketAddr, std::sync::mpsc::Sender<()>) {
    let (addr_tx, addr_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let gw = Gateway::start(cfg).await.unwrap();
            addr_tx.send(gw.mqtt_addr()).unwrap();
            let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
            gw.shutdown().await;
        });
    });
    (addr_rx.recv_timeout(WAIT).unwrap(), stop_tx)
}

/// What the device saw of its request.
#[derive(Debug, Default)]
struct Outcomes {
    accepted: Option<u64>,
    states: Vec<SmsState>,
}

/// The device: connect, subscribe, send one SMS, wait for a final status.
/// `rx` yields bytes read from the link, `tx` writes to it; with `framed`
/// every MQTT packet travels in a COBS+CRC frame.
fn run_device(rx: mpsc::Receiver<Vec<u8>>, mut tx: impl FnMut(&[u8]), framed: bool) -> Outcomes {
    let (mut txb, mut rxb, mut inflight) = (
        [0u8; TX_BUFFER_LEN],
        [0u8; RX_BUFFER_LEN],
        [0u8; INFLIGHT_BUFFER_LEN],
    );
    let mut cfg = ClientConfig::new("pump-1");
    cfg.username = Some("pump");
    cfg.password = Some(b"pump-pw");
    let mut client = Client::new(cfg, &mut txb, &mut rxb, &mut inflight);
    let start = Instant::now();
    let now = || start.elapsed().as_millis() as u64;
    let mut decoder = framing::Decoder::<{ firmware_bridge::FRAME_BUFFER_LEN }>::new();
    let mut out = Outcomes::default();
    client.connect(now()).unwrap();
    let id = fw::RequestIds::new("pump", 7).unwrap().next_id();
    loop {
        assert!(start.elapsed() < WAIT, "device timed out: {out:?}");
        // Send what the client has queued.
        let pending = client.transmit().to_vec();
        if !pending.is_empty() {
            client.transmitted(pending.len());
            if framed {
                tx(&framing::encode_to_vec(&pending));
            } else {
                tx(&pending);
            }
        }
        // Handle events.
        loop {
            let event = client.poll(now()).unwrap();
            let Some(event) = event else { break };
            let mut publish = false;
            match event {
                Event::Connected { .. } => {
                    client
                        .subscribe(
                            &[
                                ("gsmq/pump/reply", QoS::AtLeastOnce),
                                ("gsmq/pump/sms/status", QoS::AtLeastOnce),
                            ],
                            now(),
                        )
                        .unwrap();
                }
                Event::Subscribed(_) => publish = true,
                Event::Message(p) => {
                    let topic = p.topic.to_string();
                    let payload = p.payload.to_vec();
                    match fw::parse_message::<{ firmware_bridge::INBOX_TEXT_MAX }>(
                        "pump", &topic, &payload,
                    ) {
                        Ok(Some(Message::Reply(r))) => match r.outcome {
                            Outcome::Accepted { message_id, .. } => out.accepted = Some(message_id),
                            Outcome::Rejected { code, message, .. } => {
                                panic!("rejected: {code}: {message}")
                            }
                        },
                        Ok(Some(Message::Status(s))) if Some(s.message_id) == out.accepted => {
                            out.states.push(s.state);
                            if s.state.is_final() {
                                return out;
                            }
                        }
                        Ok(_) => {}
                        Err(e) => panic!("unreadable event on {topic}: {e:?}"),
                    }
                }
                _ => {}
            }
            if publish {
                let request = SendSms {
                    id: Some(&id),
                    to: Recipients::One("+15550000009"),
                    text: "tank 3 level low ⚠",
                    report: true,
                };
                let mut json = [0u8; SEND_REQUEST_MAX];
                let n = request.write_json(&mut json).unwrap();
                client
                    .publish(
                        "gsmq/pump/sms/send",
                        &json[..n],
                        QoS::AtLeastOnce,
                        false,
                        now(),
                    )
                    .unwrap();
            }
        }
        // Read from the link.
        if let Ok(bytes) = rx.recv_timeout(Duration::from_millis(20)) {
            if framed {
                let mut input = &bytes[..];
                while !input.is_empty() {
                    let (used, frame) = decoder.feed(input);
                    input = &input[used..];
                    if let Some(frame) = frame {
                        let frame = frame.expect("the bridge sends valid frames").to_vec();
                        let mut off = 0;
                        while off < frame.len() {
                            let n = client.receive(&frame[off..]);
                            assert!(n > 0, "client took no bytes");
                            off += n;
                        }
                    }
                }
            } else {
                let mut off = 0;
                while off < bytes.len() {
                    let n = client.receive(&bytes[off..]);
                    if n == 0 {
                        // Let the client drain its events first.
                        let _ = client.poll(now());
                        continue;
                    }
                    off += n;
                }
            }
        }
    }
}

fn reader(mut r: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

#[test]
fn the_firmware_client_sends_an_sms_over_tcp_and_sees_it_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, stop) = start_gateway(config(dir.path(), None));
    let stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let rx = reader(stream.try_clone().unwrap());
    let mut w = stream;
    let out = run_device(rx, move |b| w.write_all(b).unwrap(), false);
    assert!(out.accepted.is_some());
    assert!(out.states.contains(&SmsState::Sent), "{out:?}");
    assert_eq!(out.states.last(), Some(&SmsState::Delivered), "{out:?}");
    let _ = stop.send(());
}

#[test]
fn the_firmware_client_sends_an_sms_over_a_serial_line_through_the_device_bridge() {
    use nix::pty::openpty;
    let dir = tempfile::tempdir().unwrap();
    let pty = openpty(None, None).unwrap();
    // Raw from the start: in the default cooked mode the line discipline
    // echoes frames the device writes before the bridge opened the port.
    let mut t = nix::sys::termios::tcgetattr(&pty.slave).unwrap();
    nix::sys::termios::cfmakeraw(&mut t);
    nix::sys::termios::tcsetattr(&pty.slave, nix::sys::termios::SetArg::TCSANOW, &t).unwrap();
    let slave_path = nix::unistd::ttyname(&pty.slave).unwrap();
    let (_addr, stop) = start_gateway(config(dir.path(), Some(&slave_path.to_string_lossy())));
    let master = std::fs::File::from(pty.master);
    let rx = reader(master.try_clone().unwrap());
    let mut w = master;
    let out = run_device(rx, move |b| w.write_all(b).unwrap(), true);
    assert!(out.accepted.is_some());
    assert!(out.states.contains(&SmsState::Sent), "{out:?}");
    assert_eq!(out.states.last(), Some(&SmsState::Delivered), "{out:?}");
    drop(pty.slave);
    let _ = stop.send(());
}
