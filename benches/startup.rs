//! Daemon footprint benchmark: start-to-READY time, idle RSS, idle CPU and
//! RSS per idle MQTT connection, measured on the real release binary.
//!
//! Run:
//!   cargo bench --bench startup
//!   cargo bench --bench startup -- --runs 20 --idle-secs 60 --connections 2000
//!
//! Method:
//! - start-to-READY: wall time from `spawn()` of `gsmq daemon` to the
//!   `READY=1` datagram on a NOTIFY_SOCKET this program creates (median,
//!   min, max over `--runs`; a fresh process and config each run);
//! - idle RSS: `VmRSS` from /proc 2 s after READY;
//! - idle CPU: utime+stime from /proc/<pid>/stat over `--idle-secs`;
//! - per-connection RSS: `--connections` raw TCP clients each send an MQTT
//!   3.1.1 CONNECT (keepalive 600 s) and read the CONNACK; after 2 s,
//!   (RSS - idle RSS) / connections.
//!
//! The bench user's password hash uses cheap argon2 parameters: login cost
//! is not what this measures. Targets from issue 2: READY ≤ 150 ms, idle
//! RSS ≤ 15 MB, idle CPU ≤ 0.5 % of a core, ≤ 8 KB per idle connection.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};

struct Args {
    runs: usize,
    idle_secs: u64,
    connections: usize,
}

fn args() -> Args {
    let mut a = Args {
        runs: 10,
        idle_secs: 60,
        connections: 2000,
    };
    let argv: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < argv.len() {
        let val = argv.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match (argv[i].as_str(), val) {
            ("--runs", Some(v)) => a.runs = v as usize,
            ("--idle-secs", Some(v)) => a.idle_secs = v,
            ("--connections", Some(v)) => a.connections = v as usize,
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

fn cheap_hash(password: &str) -> String {
    let params = argon2::Params::new(8, 1, 1, None).expect("params");
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"gsmq-bench-salt!").expect("salt");
    a.hash_password(password.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

fn write_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("gsmq.toml");
    let text = format!(
        "[broker]\nlisten = \"127.0.0.1:0\"\nmax_connections = 10000\n[storage]\npath = \"{}\"\n\
         [log]\nlevel = \"warn\"\n[[user]]\nname = \"bench\"\npassword_hash = \"{}\"\n",
        dir.join("db").display(),
        cheap_hash("bench-pw")
    );
    std::fs::write(&path, text).expect("write config");
    path
}

struct Daemon {
    child: Child,
    addr: SocketAddr,
    ready_after: Duration,
}

fn start(dir: &Path) -> Daemon {
    let config = write_config(dir);
    let sock_path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&sock_path);
    let sock = UnixDatagram::bind(&sock_path).expect("bind notify socket");
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let t0 = Instant::now();
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
        .expect("spawn gsmq");
    let mut buf = [0u8; 4096];
    loop {
        let n = sock.recv(&mut buf).expect("no READY=1 within 10 s");
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        if msg.lines().any(|l| l == "READY=1") {
            let ready_after = t0.elapsed();
            let addr = msg
                .lines()
                .find_map(|l| l.strip_prefix("STATUS="))
                .and_then(|s| {
                    s.split_whitespace()
                        .find_map(|w| w.trim_end_matches(';').parse().ok())
                })
                .expect("address in STATUS");
            return Daemon {
                child,
                addr,
                ready_after,
            };
        }
    }
}

fn stop(mut d: Daemon) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(d.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = d.child.wait();
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// utime + stime in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("proc stat");
    let after_comm = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // Fields after "pid (comm) ": state=0, ..., utime=11, stime=12.
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

fn mqtt_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

fn connect_packet(client_id: &str) -> Vec<u8> {
    let mut body = Vec::new();
    mqtt_string(&mut body, b"MQTT");
    body.push(4); // 3.1.1
    body.push(0b1100_0010); // username, password, clean session
    body.extend_from_slice(&600u16.to_be_bytes());
    mqtt_string(&mut body, client_id.as_bytes());
    mqtt_string(&mut body, b"bench");
    mqtt_string(&mut body, b"bench-pw");
    let mut p = vec![0x10];
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        p.push(byte);
        if len == 0 {
            break;
        }
    }
    p.extend_from_slice(&body);
    p
}

fn open_connections(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = TcpStream::connect(addr).expect("tcp connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s.write_all(&connect_packet(&format!("bench-{i}")))
            .expect("send CONNECT");
        let mut ack = [0u8; 4];
        s.read_exact(&mut ack).expect("read CONNACK");
        assert_eq!(ack, [0x20, 0x02, 0x00, 0x00], "CONNACK refused");
        conns.push(s);
    }
    conns
}

fn main() {
    let args = args();
    let ticks_per_s = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as f64;

    // 1. Start-to-READY.
    let mut times = Vec::new();
    for _ in 0..args.runs {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = start(dir.path());
        times.push(d.ready_after);
        stop(d);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "start_to_ready_ms: median {:.1}, min {:.1}, max {:.1} (runs {})",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        args.runs
    );

    // 2. Idle RSS and CPU.
    let dir = tempfile::tempdir().expect("tempdir");
    let d = start(dir.path());
    let pid = d.child.id();
    std::thread::sleep(Duration::from_secs(2));
    let idle_rss = rss_kb(pid);
    println!("idle_rss_kb: {idle_rss}");
    let c0 = cpu_ticks(pid);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(args.idle_secs));
    let c1 = cpu_ticks(pid);
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "idle_cpu_percent_of_one_core: {:.3} ({} ticks over {:.0} s)",
        (c1 - c0) as f64 / ticks_per_s / secs * 100.0,
        c1 - c0,
        secs
    );

    // 3. RSS per idle connection.
    let t = Instant::now();
    let conns = open_connections(d.addr, args.connections);
    let connect_s = t.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(2));
    let loaded_rss = rss_kb(pid);
    println!(
        "connections: {} opened in {:.2} s; rss_kb {} -> {}; per_connection_bytes: {:.0}",
        conns.len(),
        connect_s,
        idle_rss,
        loaded_rss,
        (loaded_rss.saturating_sub(idle_rss) as f64 * 1024.0) / conns.len() as f64
    );
    let c0 = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(10));
    let c1 = cpu_ticks(pid);
    println!(
        "cpu_percent_with_{}_idle_connections: {:.3} (over 10 s)",
        conns.len(),
        (c1 - c0) as f64 / ticks_per_s / 10.0 * 100.0
    );
    drop(conns);
    stop(d);
}
