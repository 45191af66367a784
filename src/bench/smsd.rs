//! `gsmq bench smsd`: the SMS send pipeline of gsmq against Debian's
//! `gammu-smsd` (files backend) on the same simulated modems with the same
//! fixed submit latency. Both drive the modems of one external `gsmq sim
//! --network` (real PTYs, so both sides talk AT over a serial line); a fresh
//! network is started for each side.
//!
//! - gsmq: the daemon with `port = <pty link>` modems; `count` send requests
//!   (no delivery report) are published at once through MQTT; the run ends
//!   when every `sent` status event arrived.
//! - gammu-smsd: one daemon per modem (gammu-smsd drives one phone), the
//!   messages split round-robin into their outbox folders as
//!   `OUTA_<recipient>_<n>.txt` files; the run ends when every file reached
//!   the sent folder.
//!
//! Figures per side: messages per minute per modem, CPU per message (all
//! daemon processes), and queue → `^Z` (from the request's publish or the
//! outbox file's creation to the moment the simulator took the PDU, taken
//! from its sent log: `at` − the fixed submit latency).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rumqttc::QoS;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::load::{self, Tracker};
use super::proc::{self, ProcSample};
use super::report::{Latency, ProcReport, Report};
use super::target::{self, DaemonSpec, GsmqDaemon};
use super::{BenchArgs, Error, Result};
use crate::api::{RequestKind, Topics};

/// A `gsmq sim --network` child with `n` generic modems.
pub struct SimNetwork {
    child: Child,
    dir: PathBuf,
    pub links: Vec<PathBuf>,
}

impl SimNetwork {
    pub async fn spawn(exe: &Path, n: usize, submit_ms: u64) -> Result<SimNetwork> {
        let dir = target::fresh_dir("simnet")?;
        let links: Vec<PathBuf> = (0..n).map(|i| dir.join(format!("tty{i}"))).collect();
        let mut text = format!(
            "control = \"{}\"\nseed = 1\n",
            dir.join("ctl.sock").display()
        );
        for (i, l) in links.iter().enumerate() {
            text.push_str(&format!(
                "[[modem]]\nname = \"s{i}\"\npersonality = \"generic\"\nlink = \"{}\"\n\
                 number = \"+4915100000{i:03}\"\n[modem.timing]\n\
                 command = {{ min_ms = 0, max_ms = 0 }}\nprompt = {{ min_ms = 0, max_ms = 0 }}\n\
                 submit = {{ model = \"fixed\", latency_ms = {submit_ms} }}\n",
                l.display()
            ));
        }
        std::fs::write(dir.join("network.toml"), text)?;
        let child = Command::new(exe)
            .args(["sim", "--network"])
            .arg(dir.join("network.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("sim.log"))?)
            .spawn()
            .map_err(|source| Error::Spawn {
                what: "gsmq sim".into(),
                source,
            })?;
        let mut s = SimNetwork { child, dir, links };
        let t0 = Instant::now();
        while !(s.links.iter().all(|l| l.exists()) && s.control().exists()) {
            if let Some(st) = s.child.try_wait()? {
                return Err(Error::DaemonExited(format!("gsmq sim {st}")));
            }
            if t0.elapsed() > target::READY_WITHIN {
                return Err(Error::NotReady {
                    what: "gsmq sim".into(),
                    waited: target::READY_WITHIN,
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(s)
    }

    pub fn control(&self) -> PathBuf {
        self.dir.join("ctl.sock")
    }

    /// `(text, at)` of every message modem `s{i}` submitted.
    pub async fn sent_log(&self, i: usize) -> Result<Vec<(String, DateTime<Utc>)>> {
        let stream = UnixStream::connect(self.control())
            .await
            .map_err(|e| Error::Control(e.to_string()))?;
        let (r, mut w) = stream.into_split();
        let req = serde_json::json!({"cmd": "sent_log", "modem": format!("s{i}")});
        w.write_all(format!("{req}\n").as_bytes()).await?;
        let line = BufReader::new(r)
            .lines()
            .next_line()
            .await?
            .ok_or_else(|| Error::Control("no answer to sent_log".into()))?;
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| Error::Control(e.to_string()))?;
        let msgs = v["messages"].as_array().cloned().unwrap_or_default();
        Ok(msgs
            .iter()
            .filter_map(|m| {
                let text = m["text"].as_str()?.to_string();
                let at = m["at"].as_str()?.parse::<DateTime<Utc>>().ok()?;
                Some((text, at))
            })
            .collect())
    }
}

impl Drop for SimNetwork {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn submit_ms(args: &BenchArgs) -> Result<u64> {
    args.sim_timing
        .strip_prefix("fixed:")
        .and_then(|ms| ms.trim_end_matches("ms").parse().ok())
        .ok_or(Error::Option {
            option: "sim-timing",
            message: "smsd needs a fixed submit latency: fixed:<ms>".into(),
        })
}

/// Queue → `^Z` latencies from the sent logs: `queued` maps a message text
/// to when it was queued.
async fn queue_to_submit(
    net: &SimNetwork,
    modems: usize,
    queued: &HashMap<String, DateTime<Utc>>,
    submit: Duration,
) -> Result<Latency> {
    let t = Tracker::default();
    for i in 0..modems {
        for (text, at) in net.sent_log(i).await? {
            if let Some(q) = queued.get(&text) {
                let d = (at - *q)
                    .to_std()
                    .unwrap_or_default()
                    .saturating_sub(submit);
                t.record("queue_to_submit", d);
            }
        }
    }
    let h = t.histograms();
    Ok(h.get("queue_to_submit")
        .map(|h| Latency::from_histogram("queue_to_submit", h))
        .unwrap_or(Latency {
            kind: "queue_to_submit".into(),
            count: 0,
            p50_ms: 0.0,
            p90_ms: 0.0,
            p99_ms: 0.0,
            p999_ms: 0.0,
            max_ms: 0.0,
            mean_ms: 0.0,
        }))
}

fn finish_report(
    r: &mut Report,
    args: &BenchArgs,
    done: u64,
    elapsed: Duration,
    pid: u32,
    before: ProcSample,
    after: ProcSample,
) {
    r.counts(args.count, done, 0, elapsed);
    let per_min_per_modem =
        done as f64 / elapsed.as_secs_f64().max(1e-9) * 60.0 / args.modems as f64;
    r.settings.insert(
        "msgs_per_min_per_modem".into(),
        format!("{per_min_per_modem:.1}"),
    );
    r.process = Some(ProcReport::between(pid, before, after, done));
}

/// The gsmq side.
pub async fn run_gsmq(args: &BenchArgs, exe: &Path) -> Result<Report> {
    let submit = submit_ms(args)?;
    let net = SimNetwork::spawn(exe, args.modems, submit).await?;
    let mut spec = DaemonSpec::new(exe, args.modems, 1);
    spec.modem_ports = net.links.iter().map(|l| l.display().to_string()).collect();
    spec.log_level = args.log_level.clone();
    let d = GsmqDaemon::spawn(&spec).await?;
    let topics = Topics::new("gsmq");
    load::wait_modems_ready(d.addr(), &topics, d.modems(), Duration::from_secs(60)).await?;
    let user = target::sender(0);
    let sent: Arc<Mutex<u64>> = Arc::default();
    let s = sent.clone();
    let conn = load::connect(
        d.addr(),
        "bench-smsd",
        Some(&user),
        &[topics.status(&user)],
        QoS::AtLeastOnce,
        None,
        move |p| {
            let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap_or_default();
            if v["state"] == "sent" {
                *s.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            }
        },
    )
    .await?;
    let topic = topics.request(&user, RequestKind::Send);
    let before = proc::sample(d.pid())?;
    let start = Instant::now();
    let mut queued = HashMap::new();
    let mut gate = pacing(args);
    for k in 0..args.count {
        if let Some(g) = &mut gate {
            g.ready().await;
        }
        let text = format!("bench q{k}");
        let body = serde_json::json!({"id": format!("q{k}"), "to": load::RECIPIENT,
            "text": text, "report": false});
        queued.insert(text, Utc::now());
        conn.client
            .publish(&topic, QoS::AtLeastOnce, false, body.to_string())
            .await
            .map_err(|e| Error::Mqtt(e.to_string()))?;
    }
    let done = wait_count(|| *sent.lock().unwrap_or_else(|e| e.into_inner()), args).await;
    let elapsed = start.elapsed();
    let after = proc::sample(d.pid())?;
    let mut r = Report::new("smsd", "gsmq")
        .setting("modems", args.modems)
        .setting("sim_timing", &args.sim_timing);
    finish_report(&mut r, args, done, elapsed, d.pid(), before, after);
    r.latency
        .push(queue_to_submit(&net, args.modems, &queued, Duration::from_millis(submit)).await?);
    Ok(r)
}

/// With `--rate`, messages are queued at that rate (queue → `^Z` without
/// a backlog); without, all at once (throughput).
fn pacing(args: &BenchArgs) -> Option<load::Gate> {
    (args.rate > 0.0).then(|| load::Gate::new(load::Pace::Rate(args.rate)))
}

/// Polls `count()` until it reaches `args.count` or stalls for `stall_s`.
async fn wait_count(count: impl Fn() -> u64, args: &BenchArgs) -> u64 {
    let (mut last, mut last_change) = (0, Instant::now());
    loop {
        let n = count();
        if n >= args.count {
            return n;
        }
        if n != last {
            (last, last_change) = (n, Instant::now());
        }
        if last_change.elapsed() > Duration::from_secs(args.stall_s) {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The gammu-smsd side.
pub async fn run_gammu(args: &BenchArgs, exe: &Path, gammu_smsd: &Path) -> Result<Report> {
    let submit = submit_ms(args)?;
    let net = SimNetwork::spawn(exe, args.modems, submit).await?;
    let dir = target::fresh_dir("gammu-smsd")?;
    let mut children = Vec::new();
    let mut outboxes = Vec::new();
    let mut sentboxes = Vec::new();
    for (i, link) in net.links.iter().enumerate() {
        let base = dir.join(format!("m{i}"));
        for sub in ["inbox", "outbox", "sent", "error"] {
            std::fs::create_dir_all(base.join(sub))?;
        }
        let rc = base.join("smsdrc");
        std::fs::write(
            &rc,
            format!(
                "[gammu]\nport = {link}\nconnection = at115200\n\n[smsd]\nservice = files\n\
                 inboxpath = {b}/inbox/\noutboxpath = {b}/outbox/\nsentsmspath = {b}/sent/\n\
                 errorsmspath = {b}/error/\nlogfile = {b}/smsd.log\ndebuglevel = 0\n\
                 OutboxFormat = standard\nTransmitFormat = 7bit\nDeliveryReport = no\n\
                 CheckSecurity = 0\nCheckBattery = 0\nCheckSignal = 0\nCheckNetwork = 0\n\
                 StatusFrequency = 0\nHardResetFrequency = 0\nResetFrequency = 0\n\
                 ReceiveFrequency = 3600\nCommTimeout = 1\nSendTimeout = 30\n\
                 PhoneID = m{i}\n",
                link = link.display(),
                b = base.display()
            ),
        )?;
        let child = Command::new(gammu_smsd)
            .arg("-c")
            .arg(&rc)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(base.join("stderr.log"))?)
            .spawn()
            .map_err(|source| Error::Spawn {
                what: gammu_smsd.display().to_string(),
                source,
            })?;
        children.push(KillOnDrop(child));
        outboxes.push(base.join("outbox"));
        sentboxes.push(base.join("sent"));
    }
    // Let every gammu-smsd connect to its modem before the clock starts.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for c in &mut children {
        if let Some(st) = c.0.try_wait()? {
            return Err(Error::DaemonExited(format!(
                "gammu-smsd {st}: see {}",
                dir.display()
            )));
        }
    }
    let pids: Vec<u32> = children.iter().map(|c| c.0.id()).collect();
    // The gammu-smsd processes together (CPU and RSS summed).
    let sample_all = |pids: &[u32]| -> Result<ProcSample> {
        let mut sum = ProcSample::default();
        for p in pids {
            let s = proc::sample(*p)?;
            sum.cpu += s.cpu;
            sum.rss_kib += s.rss_kib;
            sum.rss_peak_kib += s.rss_peak_kib;
        }
        Ok(sum)
    };
    let before = sample_all(&pids)?;
    let start = Instant::now();
    let mut queued = HashMap::new();
    let n = args.modems.max(1);
    let mut gate = pacing(args);
    for k in 0..args.count {
        if let Some(g) = &mut gate {
            g.ready().await;
        }
        let text = format!("bench g{k}");
        let m = k as usize % n;
        let tmp = outboxes[m].join(format!(".tmp{k}"));
        std::fs::write(&tmp, &text)?;
        queued.insert(text, Utc::now());
        // Renamed into place so gammu-smsd never reads a half-written file.
        std::fs::rename(
            &tmp,
            outboxes[m].join(format!("OUTA_{}_{k}.txt", load::RECIPIENT)),
        )?;
    }
    let count_sent = || {
        sentboxes
            .iter()
            .map(|s| std::fs::read_dir(s).map(|d| d.count() as u64).unwrap_or(0))
            .sum::<u64>()
    };
    let done = wait_count(count_sent, args).await;
    let elapsed = start.elapsed();
    let after = sample_all(&pids)?;
    let mut r = Report::new("smsd", "gammu-smsd")
        .setting("modems", args.modems)
        .setting("sim_timing", &args.sim_timing);
    finish_report(&mut r, args, done, elapsed, pids[0], before, after);
    r.latency
        .push(queue_to_submit(&net, args.modems, &queued, Duration::from_millis(submit)).await?);
    drop(children);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(r)
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
