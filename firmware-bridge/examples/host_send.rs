//! Host example: connect to a gsmq broker over TCP with the firmware client, send one SMS,
//! print the reply and the status events until a final state (or a timeout).
//!
//! ```text
//! cargo run -p firmware-bridge --example host_send -- \
//!     127.0.0.1:1883 <user> <password> +491701234567 "hello from a device"
//! ```
//! Optional environment: `GSMQ_WAIT_S` (default 60) bounds the whole exchange.
//! Exit status: 0 when the request was accepted and a final status arrived, 1 when gsmq
//! rejected the request or the SMS failed, 2 on usage or connection errors or a timeout.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use firmware_bridge::gsmq::{self, Message, Outcome, Recipients, SendSms, SmsState};
use firmware_bridge::mqtt::{Client, Config, Event, QoS};
use firmware_bridge::{INFLIGHT_BUFFER_LEN, RX_BUFFER_LEN, SEND_REQUEST_MAX, TX_BUFFER_LEN};

type AnyError = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, user, password, to, text] = args.as_slice() else {
        eprintln!("usage: host_send <broker host:port> <user> <password> <to> <text>");
        return ExitCode::from(2);
    };
    let wait = Duration::from_secs(
        std::env::var("GSMQ_WAIT_S")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    match run(addr, user, password, to, text, wait) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("host_send: {e}");
            ExitCode::from(2)
        }
    }
}

/// An event copied out of the client's receive buffer so the client can be used again.
enum Step {
    Connected,
    Subscribed,
    Message { topic: String, payload: Vec<u8> },
    Note(String),
}

impl From<Event<'_>> for Step {
    fn from(e: Event<'_>) -> Self {
        match e {
            Event::Connected { .. } => Step::Connected,
            Event::Subscribed(_) => Step::Subscribed,
            Event::Message(p) => Step::Message {
                topic: p.topic.to_owned(),
                payload: p.payload.to_vec(),
            },
            other => Step::Note(format!("{other:?}")),
        }
    }
}

fn run(
    addr: &str,
    user: &str,
    password: &str,
    to: &str,
    text: &str,
    wait: Duration,
) -> Result<u8, AnyError> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_millis(50)))?;
    stream.set_nodelay(true)?;

    let start = Instant::now();
    let now_ms = || start.elapsed().as_millis() as u64;
    let (mut tx, mut rx, mut inflight) = (
        [0u8; TX_BUFFER_LEN],
        [0u8; RX_BUFFER_LEN],
        [0u8; INFLIGHT_BUFFER_LEN],
    );
    let client_id = format!("{user}-host-send-{}", std::process::id());
    let mut config = Config::new(&client_id);
    config.username = Some(user);
    config.password = Some(password.as_bytes());
    let mut client = Client::new(config, &mut tx, &mut rx, &mut inflight);

    let send_topic = gsmq::send_topic(user)?;
    let reply_topic = gsmq::reply_topic(user)?;
    let status_topic = gsmq::status_topic(user)?;
    // A real device persists its counter; the example derives one from the clock.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as u32;
    let id = gsmq::RequestIds::new("host", seed)?.next_id();
    let mut message_id = None;

    client.connect(now_ms())?;
    let mut buf = [0u8; 1024];
    let (mut pos, mut len) = (0, 0);
    loop {
        if start.elapsed() > wait {
            eprintln!("host_send: no final status within {wait:?}");
            return Ok(2);
        }
        if pos == len {
            match stream.read(&mut buf) {
                Ok(0) => return Err("the broker closed the connection".into()),
                Ok(n) => (pos, len) = (0, n),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => return Err(e.into()),
            }
        }
        pos += client.receive(&buf[pos..len]);

        while let Some(step) = client.poll(now_ms())?.map(Step::from) {
            match step {
                Step::Connected => {
                    println!("connected to {addr} as {user}");
                    client.subscribe(
                        &[
                            (reply_topic.as_str(), QoS::AtLeastOnce),
                            (status_topic.as_str(), QoS::AtLeastOnce),
                        ],
                        now_ms(),
                    )?;
                }
                Step::Subscribed if message_id.is_none() => {
                    let request = SendSms {
                        id: Some(&id),
                        to: Recipients::One(to),
                        text,
                        report: true,
                    };
                    let mut json = [0u8; SEND_REQUEST_MAX];
                    let n = request.write_json(&mut json)?;
                    println!("-> {send_topic} {}", String::from_utf8_lossy(&json[..n]));
                    client.publish(&send_topic, &json[..n], QoS::AtLeastOnce, false, now_ms())?;
                }
                Step::Subscribed => {}
                Step::Message { topic, payload } => {
                    println!("<- {topic} {}", String::from_utf8_lossy(&payload));
                    match gsmq::parse_message::<{ firmware_bridge::INBOX_TEXT_MAX }>(
                        user, &topic, &payload,
                    ) {
                        Ok(Some(Message::Reply(r))) if r.id.as_deref() == Some(id.as_str()) => {
                            match r.outcome {
                                Outcome::Accepted {
                                    message_id: m,
                                    parts,
                                    encoding,
                                } => {
                                    println!("accepted: message {m}, {parts} part(s), {encoding}");
                                    message_id = Some(m);
                                }
                                Outcome::Rejected { code, message, .. } => {
                                    println!("rejected: {code}: {message}");
                                    return Ok(1);
                                }
                            }
                        }
                        Ok(Some(Message::Status(s))) if Some(s.message_id) == message_id => {
                            println!(
                                "status: {} ({}/{} parts){}",
                                s.state.as_str(),
                                s.parts_sent,
                                s.parts_total,
                                s.reason.map(|r| format!(": {r}")).unwrap_or_default()
                            );
                            if s.state.is_final() {
                                client.disconnect()?;
                                stream.write_all(client.transmit())?;
                                return Ok(if s.state == SmsState::Delivered { 0 } else { 1 });
                            }
                        }
                        Ok(_) => {}
                        Err(e) => eprintln!("host_send: unreadable event: {e}"),
                    }
                }
                Step::Note(note) => eprintln!("host_send: {note}"),
            }
        }
        let out = client.transmit();
        if !out.is_empty() {
            stream.write_all(out)?;
            let n = out.len();
            client.transmitted(n);
        }
    }
}
