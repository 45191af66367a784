//! The real `gsmq` binary under the lifecycle rules: READY=1 over a
//! NOTIFY_SOCKET we create, retained online/offline status, SIGHUP reload
//! without dropping connections, SIGTERM exit within 5 s, config errors
//! naming key and line.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use rumqttc::{AsyncClient, ConnectReturnCode, Event, MqttOptions, Packet, QoS};
use tokio::net::UnixDatagram;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);

fn hash(password: &str) -> String {
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"gsmq-test-salt!!").unwrap();
    a.hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

fn write_config(dir: &Path, extra_users: &str) -> PathBuf {
    let path = dir.join("gsmq.toml");
    let text = format!(
        "[broker]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = \"{}\"\n[log]\nlevel = \"info\"\n\
         [[user]]\nname = \"ops\"\npassword_hash = \"{}\"\npermissions = [\"status\"]\n{extra_users}",
        dir.join("db").display(),
        hash("ops-pw"),
    );
    std::fs::write(&path, text).unwrap();
    path
}

struct Daemon {
    child: Child,
    notify: UnixDatagram,
    _dir: tempfile::TempDir,
    config: PathBuf,
}

impl Daemon {
    async fn spawn() -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), "");
        let sock_path = dir.path().join("notify.sock");
        let notify = UnixDatagram::bind(&sock_path).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_gsmq"))
            .args(["daemon", "-c"])
            .arg(&config)
            .env("NOTIFY_SOCKET", &sock_path)
            .env_remove("RUST_LOG")
            .env_remove("JOURNAL_STREAM")
            .env_remove("WATCHDOG_USEC")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Daemon {
            child,
            notify,
            _dir: dir,
            config,
        }
    }

    /// Reads notify datagrams until one contains `want`; returns it.
    async fn until(&self, want: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut buf = vec![0u8; 4096];
        loop {
            let n = tokio::time::timeout_at(deadline, self.notify.recv(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("no {want:?} from the daemon"))
                .unwrap();
            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
            if msg.lines().any(|l| l == want) {
                return msg;
            }
        }
    }

    fn signal(&self, sig: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), sig).unwrap();
    }

    /// Waits for the process to exit; returns its status and how long it took.
    fn wait_exit(&mut self, max: Duration) -> (std::process::ExitStatus, Duration) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, start.elapsed());
            }
            if start.elapsed() > max {
                let _ = self.child.kill();
                panic!("daemon did not exit within {max:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mqtt_addr(status: &str) -> std::net::SocketAddr {
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("STATUS="))
        .expect("STATUS line");
    let addr = line
        .split_whitespace()
        .find_map(|w| w.trim_end_matches(';').parse().ok())
        .expect("address in STATUS");
    addr
}

struct Client {
    client: AsyncClient,
    events: mpsc::UnboundedReceiver<Result<Event, String>>,
}

fn client(addr: std::net::SocketAddr, id: &str, user: &str, pw: &str) -> Client {
    let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    o.set_credentials(user, pw);
    let (client, mut el) = AsyncClient::new(o, 16);
    let (tx, events) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let ev = el.poll().await.map_err(|e| format!("{e:?}"));
            let stop = ev.is_err();
            if tx.send(ev).is_err() || stop {
                break;
            }
        }
    });
    Client { client, events }
}

impl Client {
    async fn next_incoming(&mut self) -> Result<Packet, String> {
        loop {
            match tokio::time::timeout(WAIT, self.events.recv()).await {
                Ok(Some(Ok(Event::Incoming(p)))) => return Ok(p),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(e))) => return Err(e),
                Ok(None) => return Err("closed".into()),
                Err(_) => return Err("timeout".into()),
            }
        }
    }

    async fn connack(&mut self) -> Result<ConnectReturnCode, String> {
        loop {
            if let Packet::ConnAck(a) = self.next_incoming().await? {
                return Ok(a.code);
            }
        }
    }

    async fn publish_on(&mut self, topic: &str) -> Vec<u8> {
        loop {
            match self.next_incoming().await {
                Ok(Packet::Publish(p)) if p.topic == topic => return p.payload.to_vec(),
                Ok(_) => continue,
                Err(e) => panic!("waiting for {topic}: {e}"),
            }
        }
    }
}

#[tokio::test]
async fn the_daemon_reports_ready_reloads_on_sighup_and_stops_on_sigterm_within_5_s() {
    let mut d = Daemon::spawn().await;
    let ready = d.until("READY=1").await;
    let addr = mqtt_addr(&ready);

    let mut ops = client(addr, "ops-1", "ops", "ops-pw");
    assert_eq!(ops.connack().await, Ok(ConnectReturnCode::Success));
    ops.client
        .subscribe("gsmq/status", QoS::AtLeastOnce)
        .await
        .unwrap();
    assert_eq!(ops.publish_on("gsmq/status").await, b"online");

    // A user added to the file logs in after SIGHUP; ops stays connected.
    let mut carol = client(addr, "carol-1", "carol", "carol-pw");
    assert!(carol.connack().await.is_err());
    write_config(
        d.config.parent().unwrap(),
        &format!(
            "[[user]]\nname = \"carol\"\npassword_hash = \"{}\"\n",
            hash("carol-pw")
        ),
    );
    d.signal(Signal::SIGHUP);
    d.until("RELOADING=1").await;
    d.until("READY=1").await;
    let mut carol = client(addr, "carol-2", "carol", "carol-pw");
    assert_eq!(carol.connack().await, Ok(ConnectReturnCode::Success));

    d.signal(Signal::SIGTERM);
    d.until("STOPPING=1").await;
    // The still-connected ops client sees the retained status flip.
    assert_eq!(ops.publish_on("gsmq/status").await, b"offline");
    let (status, took) = d.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn sigint_stops_the_daemon_cleanly() {
    let mut d = Daemon::spawn().await;
    d.until("READY=1").await;
    d.signal(Signal::SIGINT);
    let (status, _) = d.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
}

#[test]
fn config_errors_name_the_key_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[broker]\nlisten = \"127.0.0.1:0\"\nmax_inflight = \"many\"\n[storage]\npath = \"x\"\n",
    )
    .unwrap();
    for sub in ["check-config", "daemon"] {
        let out = Command::new(env!("CARGO_BIN_EXE_gsmq"))
            .args([sub, "-c"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{sub}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("line 3"), "{sub}: {err}");
        assert!(err.contains("max_inflight"), "{sub}: {err}");
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_gsmq"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}
