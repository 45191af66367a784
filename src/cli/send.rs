//! `gsmq send`: sends an SMS through a running gateway's MQTT API (the same
//! API applications use) and prints the reply and the status events as they
//! arrive, until every message reaches a terminal state or the timeout.
//!
//! Exit codes: 0 when every message was delivered (or sent, with
//! `--no-report`), 1 when the request was refused or a message failed,
//! expired or was cancelled, 2 on timeout, 3 when the broker is unreachable
//! or refuses the login.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{json, Value};

use crate::api::{MessageState, RequestKind, Topics};

/// Arguments of `gsmq send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Recipient; repeat for a bulk send.
    #[arg(long, required = true)]
    pub to: Vec<String>,
    /// The message text.
    #[arg(long)]
    pub text: String,
    /// Broker host.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Broker port.
    #[arg(long, default_value_t = 1883)]
    pub port: u16,
    /// MQTT username (a `[[user]]` of the gateway).
    #[arg(long, env = "GSMQ_USER")]
    pub user: String,
    /// MQTT password.
    #[arg(long, env = "GSMQ_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// Topic prefix (`[api] prefix` of the gateway).
    #[arg(long, default_value = "gsmq")]
    pub prefix: String,
    /// Idempotency key; a random one when absent.
    #[arg(long)]
    pub id: Option<String>,
    /// Modem name or tag.
    #[arg(long)]
    pub modem: Option<String>,
    /// Priority 0-9.
    #[arg(long)]
    pub priority: Option<u8>,
    /// `auto`, `gsm7` or `ucs2`.
    #[arg(long)]
    pub encoding: Option<String>,
    /// Do not ask for a delivery report (then `sent` is the final state).
    #[arg(long)]
    pub no_report: bool,
    /// Send as a flash SMS.
    #[arg(long)]
    pub flash: bool,
    /// Seconds to wait for the final states.
    #[arg(long, default_value_t = 120)]
    pub timeout_s: u64,
    /// Return after the reply without waiting for status events.
    #[arg(long)]
    pub no_wait: bool,
}

impl SendArgs {
    /// The JSON request payload.
    pub fn payload(&self, id: &str) -> Value {
        let mut body = json!({
            "id": id,
            "to": if self.to.len() == 1 { json!(self.to[0]) } else { json!(self.to) },
            "text": self.text,
        });
        if let Some(m) = &self.modem {
            body["modem"] = json!(m);
        }
        if let Some(p) = self.priority {
            body["priority"] = json!(p);
        }
        if let Some(e) = &self.encoding {
            body["encoding"] = json!(e);
        }
        if self.no_report {
            body["report"] = json!(false);
        }
        if self.flash {
            body["flash"] = json!(true);
        }
        body
    }
}

/// What the watcher concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Still waiting.
    Pending,
    /// Every message reached a good final state.
    Done,
    /// The request was refused or a message ended badly.
    Failed,
}

/// Follows the reply and status events of one request. Pure: feed it the
/// publishes, print what it returns.
#[derive(Debug)]
pub struct Watcher {
    id: String,
    reply_topic: String,
    status_topic: String,
    report: bool,
    wait: bool,
    /// Message ids from the reply; `None` until the reply came.
    messages: Option<BTreeSet<i64>>,
    /// Final state per message.
    finished: BTreeMap<i64, MessageState>,
    /// Status events that came before the reply.
    early: Vec<Value>,
}

impl Watcher {
    pub fn new(topics: &Topics, user: &str, id: &str, report: bool, wait: bool) -> Watcher {
        Watcher {
            id: id.to_string(),
            reply_topic: topics.reply(user),
            status_topic: topics.status(user),
            report,
            wait,
            messages: None,
            finished: BTreeMap::new(),
            early: Vec::new(),
        }
    }

    /// Handles one publish; returns the lines to print and the outcome.
    pub fn on_publish(&mut self, topic: &str, payload: &[u8]) -> (Vec<String>, Outcome) {
        let mut lines = Vec::new();
        let Ok(value) = serde_json::from_slice::<Value>(payload) else {
            return (lines, self.outcome());
        };
        if topic == self.reply_topic {
            if value["id"].as_str() != Some(self.id.as_str()) {
                return (lines, self.outcome());
            }
            lines.push(format!("reply: {value}"));
            if value["ok"] != Value::Bool(true) {
                return (lines, Outcome::Failed);
            }
            let mut ids = BTreeSet::new();
            if let Some(id) = value["message_id"].as_i64() {
                ids.insert(id);
            }
            for m in value["messages"].as_array().into_iter().flatten() {
                if let Some(id) = m["message_id"].as_i64() {
                    ids.insert(id);
                }
            }
            self.messages = Some(ids);
            for event in std::mem::take(&mut self.early) {
                self.status(event, &mut lines);
            }
        } else if topic == self.status_topic {
            if self.messages.is_none() {
                self.early.push(value);
            } else {
                self.status(value, &mut lines);
            }
        }
        (lines, self.outcome())
    }

    fn status(&mut self, event: Value, lines: &mut Vec<String>) {
        let Some(id) = event["message_id"].as_i64() else {
            return;
        };
        if !self.messages.as_ref().is_some_and(|m| m.contains(&id)) {
            return;
        }
        lines.push(format!("status: {event}"));
        let state = event["state"].as_str().and_then(MessageState::parse);
        if let Some(s) = state {
            let terminal = s.is_terminal() || (!self.report && s == MessageState::Sent);
            if terminal {
                self.finished.insert(id, s);
            }
        }
    }

    fn outcome(&self) -> Outcome {
        let Some(messages) = &self.messages else {
            return Outcome::Pending;
        };
        let good = |s: &MessageState| matches!(s, MessageState::Delivered | MessageState::Sent);
        if self.finished.values().any(|s| !good(s)) {
            return Outcome::Failed;
        }
        if !self.wait || messages.iter().all(|m| self.finished.contains_key(m)) {
            Outcome::Done
        } else {
            Outcome::Pending
        }
    }
}

/// Runs `gsmq send`.
pub fn run(args: SendArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(send(args))
}

/// `gsmq send` on the caller's runtime (tests run it in-process).
pub async fn send(args: SendArgs) -> anyhow::Result<ExitCode> {
    let topics = Topics::new(&args.prefix);
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| format!("cli-{:016x}", rand::random::<u64>()));
    let client_id = format!("gsmq-send-{:08x}", rand::random::<u32>());
    let mut options = MqttOptions::new(client_id, args.host.clone(), args.port);
    options.set_credentials(args.user.clone(), args.password.clone());
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    // Replies and status events are small; Nagle would hold them back.
    let mut net = eventloop.network_options();
    net.set_tcp_nodelay(true);
    eventloop.set_network_options(net);
    client
        .subscribe(topics.reply(&args.user), QoS::AtLeastOnce)
        .await?;
    client
        .subscribe(topics.status(&args.user), QoS::AtLeastOnce)
        .await?;

    let mut watcher = Watcher::new(&topics, &args.user, &id, !args.no_report, !args.no_wait);
    let payload = args.payload(&id).to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.timeout_s);
    let mut subacks = 0;
    loop {
        let event = match tokio::time::timeout_at(deadline, eventloop.poll()).await {
            Err(_) => {
                eprintln!("gsmq send: timed out after {} s", args.timeout_s);
                return Ok(ExitCode::from(2));
            }
            Ok(Err(e)) => {
                eprintln!(
                    "gsmq send: cannot talk to the broker at {}:{}: {e}",
                    args.host, args.port
                );
                return Ok(ExitCode::from(3));
            }
            Ok(Ok(event)) => event,
        };
        match event {
            Event::Incoming(Packet::SubAck(_)) => {
                subacks += 1;
                // Publish only once both subscriptions stand, so the
                // reply cannot be missed.
                if subacks == 2 {
                    client
                        .publish(
                            topics.request(&args.user, RequestKind::Send),
                            QoS::AtLeastOnce,
                            false,
                            payload.clone(),
                        )
                        .await?;
                }
            }
            Event::Incoming(Packet::Publish(p)) => {
                let (lines, outcome) = watcher.on_publish(&p.topic, &p.payload);
                for line in lines {
                    println!("{line}");
                }
                match outcome {
                    Outcome::Pending => {}
                    Outcome::Done => {
                        let _ = client.disconnect().await;
                        return Ok(ExitCode::SUCCESS);
                    }
                    Outcome::Failed => {
                        let _ = client.disconnect().await;
                        return Ok(ExitCode::FAILURE);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watcher(report: bool) -> (Watcher, Topics) {
        let t = Topics::new("gsmq");
        (Watcher::new(&t, "demo", "k", report, true), t)
    }

    fn status(id: i64, state: &str) -> Vec<u8> {
        json!({"message_id": id, "state": state})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn the_watcher_waits_for_every_message_to_be_delivered() {
        let (mut w, t) = watcher(true);
        let reply =
            json!({"id": "k", "ok": true, "messages": [{"message_id": 1}, {"message_id": 2}]});
        let (lines, o) = w.on_publish(&t.reply("demo"), reply.to_string().as_bytes());
        assert_eq!((lines.len(), o), (1, Outcome::Pending));
        assert_eq!(
            w.on_publish(&t.status("demo"), &status(1, "sent")).1,
            Outcome::Pending
        );
        assert_eq!(
            w.on_publish(&t.status("demo"), &status(1, "delivered")).1,
            Outcome::Pending
        );
        let (lines, o) = w.on_publish(&t.status("demo"), &status(2, "delivered"));
        assert_eq!(
            lines,
            vec![format!(
                "status: {}",
                json!({"message_id": 2, "state": "delivered"})
            )]
        );
        assert_eq!(o, Outcome::Done);
    }

    #[test]
    fn status_events_before_the_reply_are_kept_and_others_ignored() {
        let (mut w, t) = watcher(false);
        assert_eq!(
            w.on_publish(&t.status("demo"), &status(7, "sent")).1,
            Outcome::Pending
        );
        let other = json!({"id": "other", "ok": true, "message_id": 9});
        assert_eq!(
            w.on_publish(&t.reply("demo"), other.to_string().as_bytes())
                .0
                .len(),
            0
        );
        let reply = json!({"id": "k", "ok": true, "message_id": 7});
        let (lines, o) = w.on_publish(&t.reply("demo"), reply.to_string().as_bytes());
        assert_eq!(lines.len(), 2);
        assert_eq!(o, Outcome::Done, "without a report, sent is final");
    }

    #[test]
    fn a_refusal_or_a_failed_message_fails() {
        let (mut w, t) = watcher(true);
        let refused =
            json!({"id": "k", "ok": false, "error": {"code": "empty_text", "message": "m"}});
        assert_eq!(
            w.on_publish(&t.reply("demo"), refused.to_string().as_bytes())
                .1,
            Outcome::Failed
        );
        let (mut w, t) = watcher(true);
        let reply = json!({"id": "k", "ok": true, "message_id": 3});
        w.on_publish(&t.reply("demo"), reply.to_string().as_bytes());
        assert_eq!(
            w.on_publish(&t.status("demo"), &status(3, "failed")).1,
            Outcome::Failed
        );
    }

    #[test]
    fn the_payload_uses_an_array_only_for_several_recipients() {
        use clap::Parser;
        #[derive(Debug, clap::Parser)]
        struct Wrap {
            #[command(flatten)]
            args: SendArgs,
        }
        let one = Wrap::parse_from([
            "x",
            "--to",
            "+4917112345",
            "--text",
            "hi",
            "--user",
            "u",
            "--password",
            "p",
        ]);
        assert_eq!(
            one.args.payload("k"),
            json!({"id": "k", "to": "+4917112345", "text": "hi"})
        );
        let two = Wrap::parse_from([
            "x",
            "--to",
            "1234",
            "--to",
            "5678",
            "--text",
            "hi",
            "--user",
            "u",
            "--password",
            "p",
            "--no-report",
            "--priority",
            "9",
        ]);
        assert_eq!(
            two.args.payload("k"),
            json!({"id": "k", "to": ["1234", "5678"], "text": "hi", "report": false, "priority": 9})
        );
    }
}
