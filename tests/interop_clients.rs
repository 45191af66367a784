//! Interop with independent MQTT clients against the real `gsmq` binary and
//! two simulated modems: Debian's `mosquitto_pub`/`mosquitto_sub` and
//! Python's paho-mqtt do the full flow (send → reply → `sent` →
//! `delivered`, inbound SMS on `gsmq/inbox/sms`), and a wrong password and a
//! forbidden topic are refused. `.ci/run` installs the clients
//! (`apt-get install mosquitto-clients python3-paho-mqtt`).

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};

const WAIT: Duration = Duration::from_secs(30);

fn require(tool: &str, install: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is not installed: run `apt-get install {install}`"
    );
}

fn hash(password: &str) -> String {
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"gsmq-test-salt!!").unwrap();
    a.hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

/// The real daemon with two simulated modems; killed on drop.
struct Daemon {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    fn start() -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            r#"
[broker]
listen = "127.0.0.1:{port}"
[storage]
path = "{db}"
[sim]
control_socket = "{sock}"
[[user]]
name = "dev"
password_hash = "{hash}"
permissions = ["send", "inbox", "status"]
[[modem]]
name = "sim0"
port = "sim:generic"
sim_number = "+15550000001"
sim_timing = "fast"
[[modem]]
name = "sim1"
port = "sim:sim800"
sim_number = "+15550000002"
sim_timing = "fast"
"#,
            db = dir.path().join("db").display(),
            sock = dir.path().join("sim.sock").display(),
            hash = hash("devpw"),
        );
        let cfg = dir.path().join("gsmq.toml");
        std::fs::write(&cfg, config).unwrap();
        let log = std::fs::File::create(dir.path().join("daemon.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_gsmq"))
            .args(["daemon", "-c"])
            .arg(&cfg)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let d = Daemon { child, port, dir };
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "daemon did not listen:\n{}",
                d.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        d
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("daemon.log")
    }
}

/// Runs a subscriber command and streams its stdout lines.
fn stream_lines(mut cmd: Command) -> (Child, mpsc::Receiver<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Collects lines until every needle has been seen in some line.
fn wait_for_all(rx: &mpsc::Receiver<String>, needles: &[&str], log: &Path) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    let mut lines = Vec::new();
    loop {
        let missing: Vec<&&str> = needles
            .iter()
            .filter(|n| !lines.iter().any(|l: &String| l.contains(**n)))
            .collect();
        if missing.is_empty() {
            return lines;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.max(Duration::from_millis(1))) {
            Ok(line) => lines.push(line),
            Err(_) => panic!(
                "missing {missing:?}; got:\n{}\ndaemon log:\n{}",
                lines.join("\n"),
                std::fs::read_to_string(log).unwrap_or_default()
            ),
        }
    }
}

#[test]
fn mosquitto_clients_send_an_sms_and_see_reply_status_and_inbox() {
    require("mosquitto_sub", "mosquitto-clients");
    let d = Daemon::start();
    let port = d.port.to_string();
    let mut sub = Command::new("mosquitto_sub");
    sub.args([
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-u",
        "dev",
        "-P",
        "devpw",
        "-v",
    ])
    .args([
        "-t",
        "gsmq/dev/#",
        "-t",
        "gsmq/inbox/sms",
        "-t",
        "gsmq/modem/+/state",
    ]);
    let (mut child, rx) = stream_lines(sub);
    // Both modems are ready before we send (their state is retained).
    wait_for_all(
        &rx,
        &[
            "gsmq/modem/sim0/state {\"state\":\"ready\"",
            "gsmq/modem/sim1/state {\"state\":\"ready\"",
        ],
        &d.log_path(),
    );
    let status = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-u",
            "dev",
            "-P",
            "devpw",
            "-q",
            "1",
        ])
        .args(["-t", "gsmq/dev/sms/send"])
        .args([
            "-m",
            r#"{"id":"mq-1","to":"+15550000002","modem":"sim0","text":"Grüße from mosquitto €"}"#,
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let lines = wait_for_all(
        &rx,
        &[
            r#"gsmq/dev/reply {"id":"mq-1","ok":true"#,
            r#""state":"sent""#,
            r#""state":"delivered""#,
            r#"gsmq/inbox/sms {"#,
        ],
        &d.log_path(),
    );
    let inbox = lines
        .iter()
        .find(|l| l.starts_with("gsmq/inbox/sms "))
        .unwrap();
    let inbox: serde_json::Value = serde_json::from_str(&inbox["gsmq/inbox/sms ".len()..]).unwrap();
    assert_eq!(inbox["text"], "Grüße from mosquitto €");
    assert_eq!(inbox["from"], "+15550000001");
    assert_eq!(inbox["modem"], "sim1");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn mosquitto_clients_are_refused_a_wrong_password_and_a_forbidden_topic() {
    require("mosquitto_sub", "mosquitto-clients");
    let d = Daemon::start();
    let port = d.port.to_string();
    let out = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port, "-u", "dev", "-P", "wrong"])
        .args(["-t", "gsmq/dev/sms/send", "-m", "{}"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(
        err.contains("not authori") || err.contains("refused"),
        "{err}"
    );

    let out = Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", &port, "-u", "dev", "-P", "devpw"])
        .args(["-t", "gsmq/someone-else/#", "-W", "5"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("denied"),
        "expected a refused subscription: {err}"
    );
}

/// Debian's interpreter, which sees Debian's python3-paho-mqtt (a `python3`
/// earlier on PATH, such as pyenv's, would not).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

const PAHO_SCRIPT: &str = r#"
import json, sys, time
import paho.mqtt.client as mqtt

port = int(sys.argv[1])
seen = {"reply": None, "states": [], "inbox": None}

def on_message(c, u, m):
    p = json.loads(m.payload)
    if m.topic == "gsmq/dev/reply":
        seen["reply"] = p
    elif m.topic == "gsmq/dev/sms/status":
        seen["states"].append(p["state"])
    elif m.topic == "gsmq/inbox/sms":
        seen["inbox"] = p

c = mqtt.Client(client_id="paho-dev")
c.username_pw_set("dev", "devpw")
c.on_message = on_message
c.connect("127.0.0.1", port)
c.loop_start()
r, _ = c.subscribe([("gsmq/dev/reply", 1), ("gsmq/dev/sms/status", 1), ("gsmq/inbox/sms", 1)])
assert r == 0
time.sleep(0.5)
c.publish("gsmq/dev/sms/send", json.dumps({"id": "paho-1", "to": "+15550000002", "text": "hello from paho 🐍"}), qos=1)
deadline = time.time() + 30
while time.time() < deadline and not ("delivered" in seen["states"] and seen["inbox"]):
    time.sleep(0.05)

# A wrong password: CONNACK 5 (not authorised).
codes = []
bad = mqtt.Client(client_id="paho-bad")
bad.username_pw_set("dev", "wrong")
bad.on_connect = lambda c, u, f, rc: codes.append(rc)
bad.connect("127.0.0.1", port)
bad.loop_start()
t = time.time() + 10
while not codes and time.time() < t:
    time.sleep(0.05)
bad.loop_stop()

# A forbidden subscription: granted QoS 128.
granted = []
c.on_subscribe = lambda c, u, mid, q: granted.extend(q)
c.subscribe("gsmq/someone-else/#", 1)
t = time.time() + 10
while not granted and time.time() < t:
    time.sleep(0.05)
c.loop_stop()
print(json.dumps({"seen": seen, "bad_connack": codes, "granted": granted}))
"#;

#[test]
fn paho_mqtt_does_the_full_flow_and_is_refused_what_it_may_not_do() {
    let probe = Command::new(python())
        .args(["-c", "import paho.mqtt.client"])
        .status()
        .unwrap();
    assert!(
        probe.success(),
        "paho-mqtt is not installed: run `apt-get install python3-paho-mqtt`"
    );
    let d = Daemon::start();
    // Let both modems finish initialising.
    let mut sub = Command::new("mosquitto_sub");
    sub.args([
        "-h",
        "127.0.0.1",
        "-p",
        &d.port.to_string(),
        "-u",
        "dev",
        "-P",
        "devpw",
        "-v",
    ])
    .args(["-t", "gsmq/modem/+/state"]);
    let (mut child, rx) = stream_lines(sub);
    wait_for_all(
        &rx,
        &[
            "gsmq/modem/sim0/state {\"state\":\"ready\"",
            "gsmq/modem/sim1/state {\"state\":\"ready\"",
        ],
        &d.log_path(),
    );
    let _ = child.kill();
    let _ = child.wait();

    let out = Command::new(python())
        .args(["-c", PAHO_SCRIPT, &d.port.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "paho script failed: {}\ndaemon log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        d.log()
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let seen = &result["seen"];
    assert_eq!(seen["reply"]["ok"], true, "{result}");
    assert_eq!(seen["reply"]["id"], "paho-1");
    let states: Vec<&str> = seen["states"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(
        states.contains(&"sent") && states.contains(&"delivered"),
        "{states:?}"
    );
    assert_eq!(seen["inbox"]["text"], "hello from paho 🐍");
    assert_eq!(result["bad_connack"][0], 5, "{result}");
    assert_eq!(result["granted"][0], 128, "{result}");
}
