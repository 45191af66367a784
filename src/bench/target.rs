//! The processes under test, started as children so their CPU time and
//! memory can be read from `/proc`: the real `gsmq daemon` with simulated
//! modems (readiness over a `NOTIFY_SOCKET` the bench owns, exactly as
//! systemd would see it), and Debian's `mosquitto` for side-by-side runs.
//!
//! Guarantees: a child is killed and reaped when its handle is dropped; a
//! working directory the bench created is removed with it. The daemon's
//! log (stderr) goes to `daemon.log` in the working directory so soaks can
//! check it for panics.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use tokio::net::UnixDatagram;

use super::{Error, Result};

/// Password of every user in a bench configuration.
pub const PASSWORD: &str = "bench";
/// User with `inbox` and `status` permissions (watches inbound SMS and modem state).
pub const WATCH_USER: &str = "watch";
/// User without permissions, for idle connections.
pub const IDLE_USER: &str = "idle";
/// How long a child may take to become ready.
pub const READY_WITHIN: Duration = Duration::from_secs(30);

/// Name of the `i`-th sending user.
pub fn sender(i: usize) -> String {
    format!("b{i}")
}

/// Name of the `i`-th simulated modem.
pub fn modem(i: usize) -> String {
    format!("m{i}")
}

/// A cheap argon2id hash: login cost must not dominate connection benches.
pub fn cheap_hash(password: &str) -> Result<String> {
    let params = argon2::Params::new(8, 1, 1, None).map_err(|e| Error::Config(e.to_string()))?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt =
        SaltString::encode_b64(b"gsmq-bench-salt!").map_err(|e| Error::Config(e.to_string()))?;
    a.hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Config(e.to_string()))
}

/// What `gsmq daemon` to start.
#[derive(Debug, Clone)]
pub struct DaemonSpec {
    /// The `gsmq` executable.
    pub exe: PathBuf,
    /// Simulated modems `m0..`, each `port = "sim:generic"`.
    pub modems: usize,
    /// `sim_timing` of every modem: `fast`, `realistic` or `fixed:<ms>`.
    pub sim_timing: String,
    /// Sending users `b0..` (permission `send`).
    pub senders: usize,
    /// `[log] level`.
    pub log_level: String,
    /// Extra TOML appended to the configuration (e.g. `[retry]`).
    pub extra_config: String,
    /// Extra keys of the `[storage]` table (e.g. `group_commit_max = 1`).
    pub storage_extra: String,
    /// Serial ports of the modems instead of built-in simulators (e.g. the
    /// links of an external `gsmq sim --network`); empty = `sim:generic`.
    pub modem_ports: Vec<String>,
    /// Working directory to use (and keep) instead of a fresh temporary one;
    /// a restart on the same directory keeps the database.
    pub dir: Option<PathBuf>,
}

impl DaemonSpec {
    /// A spec with `modems` fast simulated modems and `senders` users.
    pub fn new(exe: impl Into<PathBuf>, modems: usize, senders: usize) -> DaemonSpec {
        DaemonSpec {
            exe: exe.into(),
            modems,
            sim_timing: "fast".into(),
            senders,
            log_level: "warn".into(),
            extra_config: String::new(),
            storage_extra: String::new(),
            modem_ports: Vec::new(),
            dir: None,
        }
    }

    /// The configuration file text for working directory `dir`.
    pub fn config_text(&self, dir: &Path) -> Result<String> {
        let h = cheap_hash(PASSWORD)?;
        let mut t = format!(
            "[broker]\nlisten = \"127.0.0.1:0\"\nmax_connections = 100000\nmax_inflight = 1000\n\
             max_queued_messages = 100000\n\
             [storage]\npath = \"{db}\"\n{storage}\n[log]\nlevel = \"{level}\"\n\
             [sim]\ncontrol_socket = \"{sock}\"\n{extra}\n\
             [[user]]\nname = \"{WATCH_USER}\"\npassword_hash = \"{h}\"\npermissions = [\"inbox\", \"status\"]\n\
             [[user]]\nname = \"{IDLE_USER}\"\npassword_hash = \"{h}\"\n",
            db = dir.join("db").display(),
            level = self.log_level,
            sock = dir.join("sim.sock").display(),
            extra = self.extra_config,
            storage = self.storage_extra,
        );
        for i in 0..self.senders {
            t.push_str(&format!(
                "[[user]]\nname = \"{}\"\npassword_hash = \"{h}\"\npermissions = [\"send\"]\n",
                sender(i)
            ));
        }
        for i in 0..self.modems {
            if let Some(port) = self.modem_ports.get(i) {
                t.push_str(&format!(
                    "[[modem]]\nname = \"{}\"\nport = \"{port}\"\n",
                    modem(i)
                ));
                continue;
            }
            t.push_str(&format!(
                "[[modem]]\nname = \"{}\"\nport = \"sim:generic\"\nsim_number = \"+1555{:07}\"\n\
                 sim_timing = \"{}\"\n",
                modem(i),
                i + 1,
                self.sim_timing
            ));
        }
        Ok(t)
    }
}

/// A fresh working directory under the system temporary directory.
pub fn fresh_dir(tag: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "gsmq-{tag}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A running `gsmq daemon` child.
pub struct GsmqDaemon {
    child: Child,
    dir: PathBuf,
    owns_dir: bool,
    addr: SocketAddr,
    modems: Vec<String>,
}

impl GsmqDaemon {
    /// Writes the configuration, starts the daemon and waits for `READY=1`
    /// (the address comes from its `STATUS=` line).
    pub async fn spawn(spec: &DaemonSpec) -> Result<GsmqDaemon> {
        let (dir, owns_dir) = match &spec.dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                (d.clone(), false)
            }
            None => (fresh_dir("bench")?, true),
        };
        let config = dir.join("gsmq.toml");
        std::fs::write(&config, spec.config_text(&dir)?)?;
        let notify_path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&notify_path);
        let notify = UnixDatagram::bind(&notify_path)?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("daemon.log"))?;
        let child = Command::new(&spec.exe)
            .args(["daemon", "-c"])
            .arg(&config)
            .env("NOTIFY_SOCKET", &notify_path)
            .env_remove("RUST_LOG")
            .env_remove("JOURNAL_STREAM")
            .env_remove("WATCHDOG_USEC")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|source| Error::Spawn {
                what: spec.exe.display().to_string(),
                source,
            })?;
        let mut d = GsmqDaemon {
            child,
            dir,
            owns_dir,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            modems: (0..spec.modems).map(modem).collect(),
        };
        d.addr = d.wait_ready(&notify).await?;
        Ok(d)
    }

    async fn wait_ready(&mut self, notify: &UnixDatagram) -> Result<SocketAddr> {
        let deadline = Instant::now() + READY_WITHIN;
        let mut buf = vec![0u8; 4096];
        let (mut ready, mut addr) = (false, None);
        while !(ready && addr.is_some()) {
            if let Some(status) = self.child.try_wait()? {
                return Err(Error::DaemonExited(format!(
                    "{status}; log: {}",
                    self.log_tail()
                )));
            }
            if Instant::now() > deadline {
                return Err(Error::NotReady {
                    what: "gsmq daemon".into(),
                    waited: READY_WITHIN,
                });
            }
            let n = match tokio::time::timeout(Duration::from_millis(100), notify.recv(&mut buf))
                .await
            {
                Ok(r) => r?,
                Err(_) => continue,
            };
            for line in String::from_utf8_lossy(&buf[..n]).lines() {
                if line == "READY=1" {
                    ready = true;
                }
                if let Some(s) = line.strip_prefix("STATUS=") {
                    addr = addr.or_else(|| status_addr(s));
                }
            }
        }
        addr.ok_or_else(|| Error::Config("no address in STATUS".into()))
    }

    /// Process id of the daemon.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Address of the embedded broker.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Names of the simulated modems.
    pub fn modems(&self) -> &[String] {
        &self.modems
    }

    /// The simulator's control socket.
    pub fn control_socket(&self) -> PathBuf {
        self.dir.join("sim.sock")
    }

    /// The working directory (configuration, database, log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The daemon's log (its stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default()
    }

    fn log_tail(&self) -> String {
        let log = self.log();
        let start = log.len().saturating_sub(2000);
        log.get(start..).unwrap_or_default().to_string()
    }

    /// True while the process runs.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL (power loss) and reap. The working directory stays.
    pub fn kill(&mut self) -> Result<()> {
        let _ = self.child.kill();
        self.child.wait()?;
        Ok(())
    }

    /// SIGTERM, then waits up to `within` for a clean exit (SIGKILL after).
    pub fn terminate(&mut self, within: Duration) -> Result<std::process::ExitStatus> {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + within;
        loop {
            if let Some(s) = self.child.try_wait()? {
                return Ok(s);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return Ok(self.child.wait()?);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for GsmqDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The first `ip:port` word of a `STATUS=` line.
pub fn status_addr(status: &str) -> Option<SocketAddr> {
    status
        .split_whitespace()
        .find_map(|w| w.trim_end_matches([';', ',']).parse().ok())
}

/// A running `mosquitto` child listening on loopback, anonymous access.
pub struct Mosquitto {
    child: Child,
    dir: PathBuf,
    addr: SocketAddr,
}

impl Mosquitto {
    /// Starts `exe` (e.g. `/usr/sbin/mosquitto`) on a free loopback port and
    /// waits until it accepts connections.
    pub async fn spawn(exe: &Path) -> Result<Mosquitto> {
        let dir = fresh_dir("mosquitto")?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                 max_inflight_messages 1000\nmax_queued_messages 100000\n\
                 log_dest stderr\nlog_type error\nlog_type warning\n"
            ),
        )?;
        let log = std::fs::File::create(dir.join("mosquitto.log"))?;
        let child = Command::new(exe)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|source| Error::Spawn {
                what: exe.display().to_string(),
                source,
            })?;
        let mut m = Mosquitto { child, dir, addr };
        let deadline = Instant::now() + READY_WITHIN;
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = m.child.try_wait()? {
                let log = std::fs::read_to_string(m.dir.join("mosquitto.log")).unwrap_or_default();
                return Err(Error::DaemonExited(format!("mosquitto {status}: {log}")));
            }
            if Instant::now() > deadline {
                return Err(Error::NotReady {
                    what: "mosquitto".into(),
                    waited: READY_WITHIN,
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(m)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_read_from_the_status_line() {
        let s = "serving MQTT on 127.0.0.1:40123; 3 users, 2 modems configured";
        assert_eq!(status_addr(s), Some("127.0.0.1:40123".parse().unwrap()));
        assert_eq!(status_addr("starting"), None);
    }

    #[test]
    fn the_config_has_every_sender_modem_and_the_watch_user() {
        let mut spec = DaemonSpec::new("gsmq", 2, 3);
        spec.sim_timing = "fixed:300".into();
        let text = spec.config_text(Path::new("/tmp/x")).unwrap();
        let cfg = crate::Config::parse(&text, Path::new("bench.toml")).unwrap();
        let users: Vec<_> = cfg.users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(users, ["watch", "idle", "b0", "b1", "b2"]);
        let modems: Vec<_> = cfg.modems.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(modems, ["m0", "m1"]);
        assert_eq!(cfg.modems[1].sim_timing.as_deref(), Some("fixed:300"));
        assert_eq!(cfg.modems[1].sim_number.as_deref(), Some("+15550000002"));
    }
}
