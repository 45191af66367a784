//! `gsmq bench <scenario>`: end-to-end load against the real daemon.
//!
//! The daemon runs as a child process (the `gsmq` executable with a
//! generated configuration, `N` simulated modems at a chosen `sim_timing`),
//! so its CPU time and peak RSS come from `/proc/<pid>` untouched by the
//! load generators, which run in this process: `M` rumqttc clients with
//! `TCP_NODELAY`, at a total rate or flat out with a window of outstanding
//! requests per client. Scenarios:
//!
//! - `acks`: send requests until the reply (the request is committed).
//! - `pipeline`: send requests until the `delivered` status event; also
//!   measures `ack` and `sent` (the modem answered `+CMGS`).
//! - `inbound`: SMS injected through the simulator's control socket until
//!   they arrive on the inbox topic.
//! - `mixed`: `pipeline` and `inbound` at once, half the count each.
//! - `broker`: plain publish/subscribe round trips at QoS 0 or 1 against
//!   gsmq's embedded broker or `mosquitto` (`--target`).
//! - `idle`: RSS per idle connection (`--idle 200,2000`).
//! - `versus`: `broker` (QoS 0 and 1) and `idle` on both gsmq and
//!   mosquitto in one run; `--svg DIR` writes the plots.
//! - `smsd`: the send pipeline of gsmq against `gammu-smsd` (files
//!   backend) on the same simulated modems (see [`smsd`]).
//! - `durable`: `acks` with group commit (the default) and with one
//!   transaction per request (`group_commit_max = 1`).
//!
//! Reports are text or `--json`. Timings are measurements, never asserted:
//! tests of this module check counts only.

pub mod load;
pub mod proc;
pub mod report;
pub mod smsd;
pub mod svg;
pub mod target;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttc::QoS;

use crate::api::Topics;
use load::{ApiGoal, Pace, Tracker};
use report::{IdleReport, Latency, ProcReport, Report};
use target::{DaemonSpec, GsmqDaemon, Mosquitto};

/// Errors of a bench run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bench option --{option}: {message}")]
    Option {
        option: &'static str,
        message: String,
    },
    #[error("bench configuration: {0}")]
    Config(String),
    #[error("could not start {what}: {source}")]
    Spawn {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} not ready within {waited:?}")]
    NotReady { what: String, waited: Duration },
    #[error("the process under test exited: {0}")]
    DaemonExited(String),
    #[error("MQTT client: {0}")]
    Mqtt(String),
    #[error("simulator control socket: {0}")]
    Control(String),
    #[error("/proc: {0}")]
    Proc(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    Acks,
    Pipeline,
    Inbound,
    Mixed,
    Broker,
    Idle,
    Versus,
    Smsd,
    Durable,
}

/// The broker under test for `broker` and `idle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetKind {
    Gsmq,
    Mosquitto,
}

impl TargetKind {
    fn name(self) -> &'static str {
        match self {
            TargetKind::Gsmq => "gsmq",
            TargetKind::Mosquitto => "mosquitto",
        }
    }
}

/// `gsmq bench` options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// What to measure (see `gsmq bench --help` and docs/benchmarks.md).
    #[arg(value_enum)]
    pub scenario: Scenario,
    /// Simulated modems.
    #[arg(long, default_value_t = 4)]
    pub modems: usize,
    /// `sim_timing` of the modems: fast, realistic or fixed:<ms>.
    #[arg(long, default_value = "fast")]
    pub sim_timing: String,
    /// MQTT clients generating load.
    #[arg(long, default_value_t = 10)]
    pub clients: usize,
    /// Items (requests, injected SMS, publishes) in total.
    #[arg(long, default_value_t = 2000)]
    pub count: u64,
    /// Items per second in total; 0 = flat out (bounded by --window).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Outstanding items per client (per modem for inbound) when flat out.
    #[arg(long, default_value_t = 64)]
    pub window: usize,
    /// QoS of the `broker` scenario (0 or 1).
    #[arg(long, default_value_t = 1)]
    pub qos: u8,
    /// Payload size of the `broker` scenario.
    #[arg(long, default_value_t = 64)]
    pub payload_bytes: usize,
    /// Idle connection counts (comma-separated) for `idle` and `versus`.
    #[arg(long, value_delimiter = ',', default_value = "200")]
    pub idle: Vec<usize>,
    /// Broker for `broker` and `idle`.
    #[arg(long, value_enum, default_value = "gsmq")]
    pub target: TargetKind,
    /// End the run when nothing completed for this long (seconds).
    #[arg(long, default_value_t = 10)]
    pub stall_s: u64,
    /// Print JSON (an array of reports) instead of text.
    #[arg(long)]
    pub json: bool,
    /// `versus`: directory for the SVG plots.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// The gsmq executable to start (default: this one).
    #[arg(long)]
    pub gsmq_exe: Option<PathBuf>,
    /// Plot (`--svg`) and print the reports of an earlier `--json` run
    /// from this file instead of measuring.
    #[arg(long)]
    pub from_json: Option<PathBuf>,
    /// The gammu-smsd executable (`smsd`).
    #[arg(long, default_value = "/usr/bin/gammu-smsd")]
    pub gammu_smsd_exe: PathBuf,
    /// `[storage] group_commit_max` of the daemon (default: gsmq's).
    #[arg(long)]
    pub group_commit_max: Option<usize>,
    /// The mosquitto executable.
    #[arg(long, default_value = "/usr/sbin/mosquitto")]
    pub mosquitto_exe: PathBuf,
    /// `[log] level` of the daemon (its log goes to daemon.log in its
    /// temporary directory).
    #[arg(long, default_value = "warn")]
    pub log_level: String,
}

impl BenchArgs {
    /// Checks option values that clap cannot.
    pub fn validate(&self) -> Result<()> {
        let bad = |option, message: &str| {
            Err(Error::Option {
                option,
                message: message.to_string(),
            })
        };
        if self.qos > 1 {
            return bad("qos", "must be 0 or 1");
        }
        if self.clients == 0 {
            return bad("clients", "must be at least 1");
        }
        if !(self.rate >= 0.0 && self.rate.is_finite()) {
            return bad("rate", "must be a number >= 0");
        }
        if self.window == 0 {
            return bad("window", "must be at least 1");
        }
        let needs_modems = matches!(
            self.scenario,
            Scenario::Pipeline | Scenario::Inbound | Scenario::Mixed | Scenario::Smsd
        );
        if self.scenario == Scenario::Smsd && !self.sim_timing.starts_with("fixed:") {
            return bad(
                "sim-timing",
                "smsd needs a fixed submit latency: fixed:<ms>",
            );
        }
        if self.group_commit_max == Some(0) {
            return bad("group-commit-max", "must be at least 1");
        }
        if needs_modems && self.modems == 0 {
            return bad("modems", "this scenario needs at least one modem");
        }
        if self.idle.contains(&0) {
            return bad("idle", "connection counts must be at least 1");
        }
        let t = self.sim_timing.as_str();
        let fixed_ok = t
            .strip_prefix("fixed:")
            .is_some_and(|ms| ms.trim_end_matches("ms").parse::<u64>().is_ok());
        if !(t == "fast" || t == "realistic" || fixed_ok) {
            return bad("sim-timing", "expected fast, realistic or fixed:<ms>");
        }
        Ok(())
    }

    fn pace(&self, sources: usize) -> Pace {
        self.pace_share(sources, self.count, self.count)
    }

    /// The pace of one of `sources` sources that together make `items` of
    /// the run's `count` items: they get that share of `--rate` (the rate
    /// is the total over every kind of load, as documented).
    fn pace_share(&self, sources: usize, items: u64, count: u64) -> Pace {
        if self.rate > 0.0 {
            let share = items as f64 / count.max(1) as f64;
            Pace::Rate(self.rate * share / sources.max(1) as f64)
        } else {
            Pace::Window(self.window)
        }
    }

    fn exe(&self) -> Result<PathBuf> {
        match &self.gsmq_exe {
            Some(p) => Ok(p.clone()),
            None => Ok(std::env::current_exe()?),
        }
    }

    fn spec(&self, modems: usize) -> Result<DaemonSpec> {
        let mut spec = DaemonSpec::new(self.exe()?, modems, self.clients);
        spec.sim_timing = self.sim_timing.clone();
        spec.log_level = self.log_level.clone();
        if let Some(n) = self.group_commit_max {
            spec.storage_extra = format!("group_commit_max = {n}");
        }
        Ok(spec)
    }

    fn qos(&self) -> QoS {
        if self.qos == 0 {
            QoS::AtMostOnce
        } else {
            QoS::AtLeastOnce
        }
    }
}

/// `gsmq bench`: runs the scenario on a new runtime and prints the reports.
pub fn main(args: BenchArgs) -> Result<std::process::ExitCode> {
    args.validate()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let reports = match &args.from_json {
        Some(path) => serde_json::from_slice(&std::fs::read(path)?)
            .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?,
        None => rt.block_on(run(&args))?,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reports).map_err(|e| Error::Config(e.to_string()))?
        );
    } else {
        for r in &reports {
            println!("{}", r.text());
        }
    }
    match (args.scenario, &args.svg) {
        (Scenario::Versus, Some(dir)) => write_versus_svgs(dir, &reports)?,
        (Scenario::Smsd, Some(dir)) => write_smsd_svgs(dir, &reports)?,
        (Scenario::Durable, Some(dir)) => write_durable_svg(dir, &reports)?,
        _ => {}
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Runs `args.scenario` and returns its reports.
pub async fn run(args: &BenchArgs) -> Result<Vec<Report>> {
    args.validate()?;
    let topics = Topics::new("gsmq");
    match args.scenario {
        Scenario::Acks | Scenario::Pipeline | Scenario::Inbound | Scenario::Mixed => {
            let d = GsmqDaemon::spawn(&args.spec(args.modems)?).await?;
            load::wait_modems_ready(d.addr(), &topics, d.modems(), Duration::from_secs(30)).await?;
            Ok(vec![run_gateway_scenario(args, &d, &topics).await?])
        }
        Scenario::Broker => {
            let qos = args.qos();
            Ok(vec![match args.target {
                TargetKind::Gsmq => {
                    let d = GsmqDaemon::spawn(&args.spec(0)?).await?;
                    run_broker(args, d.addr(), d.pid(), TargetKind::Gsmq, qos).await?
                }
                TargetKind::Mosquitto => {
                    let m = Mosquitto::spawn(&args.mosquitto_exe).await?;
                    run_broker(args, m.addr(), m.pid(), TargetKind::Mosquitto, qos).await?
                }
            }])
        }
        Scenario::Idle => {
            let mut out = Vec::new();
            for &n in &args.idle {
                out.push(run_idle(args, args.target, n).await?);
            }
            Ok(out)
        }
        Scenario::Smsd => {
            let exe = args.exe()?;
            let mut out = vec![smsd::run_gsmq(args, &exe).await?];
            out.push(smsd::run_gammu(args, &exe, &args.gammu_smsd_exe).await?);
            Ok(out)
        }
        Scenario::Durable => {
            let mut out = Vec::new();
            for max in [None, Some(1)] {
                let mut a = args.clone();
                a.scenario = Scenario::Acks;
                a.group_commit_max = max.or(args.group_commit_max);
                let d = GsmqDaemon::spawn(&a.spec(a.modems)?).await?;
                load::wait_modems_ready(d.addr(), &topics, d.modems(), Duration::from_secs(30))
                    .await?;
                let mut r = run_gateway_scenario(&a, &d, &topics).await?;
                r.scenario = "durable".into();
                r.target = match max {
                    None => "group commit".into(),
                    Some(_) => "one transaction per request".into(),
                };
                out.push(r);
            }
            Ok(out)
        }
        Scenario::Versus => {
            let mut out = Vec::new();
            for target in [TargetKind::Gsmq, TargetKind::Mosquitto] {
                for qos in [QoS::AtMostOnce, QoS::AtLeastOnce] {
                    out.push(match target {
                        TargetKind::Gsmq => {
                            let d = GsmqDaemon::spawn(&args.spec(0)?).await?;
                            run_broker(args, d.addr(), d.pid(), target, qos).await?
                        }
                        TargetKind::Mosquitto => {
                            let m = Mosquitto::spawn(&args.mosquitto_exe).await?;
                            run_broker(args, m.addr(), m.pid(), target, qos).await?
                        }
                    });
                }
                for &n in &args.idle {
                    out.push(run_idle(args, target, n).await?);
                }
            }
            Ok(out)
        }
    }
}

fn latencies(t: &Tracker) -> Vec<Latency> {
    t.histograms()
        .iter()
        .map(|(k, h)| Latency::from_histogram(k, h))
        .collect()
}

fn base_report(args: &BenchArgs, target: &str) -> Report {
    let name = format!("{:?}", args.scenario).to_lowercase();
    Report::new(&name, target)
        .setting("clients", args.clients)
        .setting(
            "pace",
            if args.rate > 0.0 {
                format!("{}/s", args.rate)
            } else {
                format!("window {}", args.window)
            },
        )
}

/// `acks`, `pipeline`, `inbound` or `mixed` against a ready daemon.
pub async fn run_gateway_scenario(
    args: &BenchArgs,
    d: &GsmqDaemon,
    topics: &Topics,
) -> Result<Report> {
    let tracker = Arc::new(Tracker::default());
    let (go_tx, go) = tokio::sync::watch::channel(false);
    let (api_count, in_count) = match args.scenario {
        Scenario::Acks | Scenario::Pipeline => (args.count, 0),
        Scenario::Inbound => (0, args.count),
        _ => (args.count - args.count / 2, args.count / 2),
    };
    let goal = if args.scenario == Scenario::Acks {
        ApiGoal::Ack
    } else {
        ApiGoal::Delivered
    };
    let mut api_tasks = Vec::new();
    if api_count > 0 {
        api_tasks = load::api_load(
            d.addr(),
            topics,
            args.clients,
            api_count,
            args.pace_share(args.clients, api_count, args.count),
            goal,
            tracker.clone(),
            go.clone(),
        )
        .await?;
    }
    let mut inbound = None;
    if in_count > 0 {
        inbound = Some(
            load::inbound_load(
                d.addr(),
                topics,
                &d.control_socket(),
                d.modems(),
                in_count,
                args.pace_share(d.modems().len(), in_count, args.count),
                tracker.clone(),
                go.clone(),
            )
            .await?,
        );
    }
    let before = proc::sample(d.pid())?;
    let start = Instant::now();
    let _ = go_tx.send(true);
    tracker
        .wait(args.count, Duration::from_secs(args.stall_s))
        .await;
    let elapsed = tracker.last_progress().saturating_duration_since(start);
    let after = proc::sample(d.pid())?;
    let mut conns = Vec::new();
    for t in api_tasks {
        if let Ok(Ok(c)) = t.await {
            conns.push(c);
        }
    }
    if let Some((_watch, tasks)) = inbound {
        for t in tasks {
            let _ = t.await;
        }
    }
    let mut r = base_report(args, "gsmq")
        .setting("modems", args.modems)
        .setting("sim_timing", &args.sim_timing);
    r.counts(args.count, tracker.done(), tracker.failed(), elapsed);
    r.failures = tracker.failures();
    r.latency = latencies(&tracker);
    r.process = Some(ProcReport::between(d.pid(), before, after, tracker.done()));
    Ok(r)
}

/// `broker` at `qos` against a running broker.
async fn run_broker(
    args: &BenchArgs,
    addr: std::net::SocketAddr,
    pid: u32,
    target: TargetKind,
    qos: QoS,
) -> Result<Report> {
    let topics = Topics::new("gsmq");
    let tracker = Arc::new(Tracker::default());
    let (go_tx, go) = tokio::sync::watch::channel(false);
    let tasks = load::broker_load(
        addr,
        &topics,
        target == TargetKind::Gsmq,
        args.clients,
        args.count,
        qos,
        args.payload_bytes,
        args.pace(args.clients),
        tracker.clone(),
        go,
    )
    .await?;
    let before = proc::sample(pid)?;
    let start = Instant::now();
    let _ = go_tx.send(true);
    // QoS 0 may drop: a short stall ends the run, the rest counts as missing.
    let stall = if qos == QoS::AtMostOnce {
        Duration::from_secs(2).min(Duration::from_secs(args.stall_s))
    } else {
        Duration::from_secs(args.stall_s)
    };
    tracker.wait(args.count, stall).await;
    let elapsed = tracker.last_progress().saturating_duration_since(start);
    let after = proc::sample(pid)?;
    for t in tasks {
        let _ = t.await;
    }
    let mut r = base_report(args, target.name())
        .setting("qos", qos as u8)
        .setting("payload_bytes", args.payload_bytes);
    r.scenario = format!("broker qos{}", qos as u8);
    r.counts(args.count, tracker.done(), tracker.failed(), elapsed);
    r.latency = latencies(&tracker);
    r.process = Some(ProcReport::between(pid, before, after, tracker.done()));
    Ok(r)
}

/// `idle`: `n` idle connections to a fresh broker; RSS before and after.
async fn run_idle(args: &BenchArgs, target: TargetKind, n: usize) -> Result<Report> {
    const SETTLE: Duration = Duration::from_secs(2);
    let (_gsmq, _mosquitto, addr, pid, user) = match target {
        TargetKind::Gsmq => {
            let d = GsmqDaemon::spawn(&args.spec(0)?).await?;
            let (a, p) = (d.addr(), d.pid());
            (Some(d), None, a, p, Some(target::IDLE_USER))
        }
        TargetKind::Mosquitto => {
            let m = Mosquitto::spawn(&args.mosquitto_exe).await?;
            let (a, p) = (m.addr(), m.pid());
            (None, Some(m), a, p, None)
        }
    };
    // One connection first, so lazily allocated per-process state is not
    // charged to the idle connections.
    let warm = load::idle_connections(addr, user, 1, 1).await?;
    tokio::time::sleep(SETTLE).await;
    let before = proc::sample(pid)?;
    let conns = load::idle_connections(addr, user, n, 100).await?;
    tokio::time::sleep(SETTLE).await;
    let after = proc::sample(pid)?;
    drop(conns);
    drop(warm);
    let mut r = Report::new("idle", target.name()).setting("connections", n);
    r.idle = Some(IdleReport::new(n, before.rss_kib, after.rss_kib));
    r.process = Some(ProcReport::between(pid, before, after, n as u64));
    Ok(r)
}

/// Writes `broker-throughput.svg`, `broker-latency.svg` and
/// `broker-idle.svg` from the reports of a `versus` run.
pub fn write_versus_svgs(dir: &std::path::Path, reports: &[Report]) -> Result<()> {
    use svg::Group;
    std::fs::create_dir_all(dir)?;
    let broker: Vec<&Report> = reports
        .iter()
        .filter(|r| r.scenario.starts_with("broker"))
        .collect();
    let mut scenarios: Vec<&str> = Vec::new();
    for r in &broker {
        if !scenarios.contains(&r.scenario.as_str()) {
            scenarios.push(&r.scenario);
        }
    }
    let group = |label: String, scenario: &str, f: &dyn Fn(&Report) -> Option<f64>| Group {
        label,
        bars: broker
            .iter()
            .filter(|r| r.scenario == scenario)
            .filter_map(|r| Some((r.target.clone(), f(r)?)))
            .collect(),
    };
    let throughput: Vec<Group> = scenarios
        .iter()
        .map(|s| {
            group(s.replace("broker ", "").to_uppercase(), s, &|r| {
                Some(r.throughput_per_s)
            })
        })
        .collect();
    let mut latency = Vec::new();
    for s in &scenarios {
        let q = s.replace("broker ", "").to_uppercase();
        latency.push(group(format!("{q} p50"), s, &|r| {
            r.latency("publish").map(|l| l.p50_ms)
        }));
        latency.push(group(format!("{q} p99"), s, &|r| {
            r.latency("publish").map(|l| l.p99_ms)
        }));
    }
    let mut counts: Vec<usize> = reports
        .iter()
        .filter_map(|r| r.idle.as_ref().map(|i| i.connections))
        .collect();
    counts.sort_unstable();
    counts.dedup();
    let idle: Vec<Group> = counts
        .iter()
        .map(|&n| Group {
            label: format!("{n} idle connections"),
            bars: reports
                .iter()
                .filter_map(|r| {
                    let i = r.idle.as_ref()?;
                    (i.connections == n)
                        .then(|| (r.target.clone(), i.bytes_per_connection / 1024.0))
                })
                .collect(),
        })
        .collect();
    std::fs::write(
        dir.join("broker-throughput.svg"),
        svg::bar_chart(
            "MQTT round trips per second (publish → own subscription)",
            "msg/s",
            &throughput,
        ),
    )?;
    std::fs::write(
        dir.join("broker-latency.svg"),
        svg::bar_chart("MQTT publish → delivery latency", "ms", &latency),
    )?;
    std::fs::write(
        dir.join("broker-idle.svg"),
        svg::bar_chart("RSS per idle connection", "KiB", &idle),
    )?;
    Ok(())
}

/// `smsd-throughput.svg` and `smsd-latency.svg` from a `smsd` run.
pub fn write_smsd_svgs(dir: &std::path::Path, reports: &[Report]) -> Result<()> {
    use svg::Group;
    std::fs::create_dir_all(dir)?;
    let bars = |f: &dyn Fn(&Report) -> Option<f64>| -> Vec<(String, f64)> {
        reports
            .iter()
            .filter_map(|r| Some((r.target.clone(), f(r)?)))
            .collect()
    };
    let per_min = |r: &Report| r.settings.get("msgs_per_min_per_modem")?.parse().ok();
    let cpu = |r: &Report| r.process.as_ref().map(|p| p.cpu_per_item_ms);
    let q = |r: &Report, p: fn(&Latency) -> f64| r.latency("queue_to_submit").map(p);
    std::fs::write(
        dir.join("smsd-throughput.svg"),
        svg::bar_chart(
            "SMS pipeline on the same simulated modems",
            "",
            &[
                Group {
                    label: "messages/min per modem".into(),
                    bars: bars(&per_min),
                },
                Group {
                    label: "CPU ms per message".into(),
                    bars: bars(&cpu),
                },
            ],
        ),
    )?;
    std::fs::write(
        dir.join("smsd-latency.svg"),
        svg::bar_chart(
            "Queue → AT+CMGS data (^Z)",
            "ms",
            &[
                Group {
                    label: "p50".into(),
                    bars: bars(&|r| q(r, |l| l.p50_ms)),
                },
                Group {
                    label: "p99".into(),
                    bars: bars(&|r| q(r, |l| l.p99_ms)),
                },
            ],
        ),
    )?;
    Ok(())
}

/// `durable-acks.svg` from a `durable` run.
pub fn write_durable_svg(dir: &std::path::Path, reports: &[Report]) -> Result<()> {
    use svg::Group;
    std::fs::create_dir_all(dir)?;
    let groups = vec![Group {
        label: "acknowledgements/s".into(),
        bars: reports
            .iter()
            .map(|r| (r.target.clone(), r.throughput_per_s))
            .collect(),
    }];
    let lat = |p: fn(&Latency) -> f64, label: &str| Group {
        label: label.into(),
        bars: reports
            .iter()
            .filter_map(|r| Some((r.target.clone(), p(r.latency("ack")?))))
            .collect(),
    };
    std::fs::write(
        dir.join("durable-acks.svg"),
        svg::bar_chart(
            "Durable acknowledgements (commit before reply)",
            "/s",
            &groups,
        ),
    )?;
    std::fs::write(
        dir.join("durable-latency.svg"),
        svg::bar_chart(
            "Acknowledgement latency",
            "ms",
            &[lat(|l| l.p50_ms, "p50"), lat(|l| l.p99_ms, "p99")],
        ),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    fn parse(args: &[&str]) -> std::result::Result<BenchArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("bench").chain(args.iter().copied())).map(|c| c.bench)
    }

    #[test]
    fn defaults_give_a_flat_out_run_of_ten_clients_on_four_fast_modems() {
        let a = parse(&["acks"]).unwrap();
        assert_eq!(a.scenario, Scenario::Acks);
        assert_eq!((a.modems, a.clients, a.count), (4, 10, 2000));
        assert_eq!(a.sim_timing, "fast");
        assert!(matches!(a.pace(a.clients), Pace::Window(64)));
        a.validate().unwrap();
    }

    #[test]
    fn a_total_rate_is_split_over_the_sources() {
        let a = parse(&["pipeline", "--rate", "100", "--clients", "4"]).unwrap();
        match a.pace(a.clients) {
            Pace::Rate(r) => assert_eq!(r, 25.0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_mixed_run_splits_its_total_rate_between_requests_and_inbound_sms() {
        let a = parse(&[
            "mixed",
            "--rate",
            "100",
            "--clients",
            "4",
            "--count",
            "1000",
        ])
        .unwrap();
        // 500 requests over 4 clients and 500 inbound SMS over 2 modems: 50/s each kind.
        match (a.pace_share(4, 500, a.count), a.pace_share(2, 500, a.count)) {
            (Pace::Rate(api), Pace::Rate(inbound)) => assert_eq!((api, inbound), (12.5, 25.0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn idle_counts_are_a_comma_separated_list() {
        let a = parse(&["idle", "--idle", "200,2000", "--target", "mosquitto"]).unwrap();
        assert_eq!(a.idle, [200, 2000]);
        assert_eq!(a.target, TargetKind::Mosquitto);
    }

    #[test]
    fn out_of_range_options_are_refused_with_the_option_named() {
        for (args, option) in [
            (&["broker", "--qos", "2"][..], "qos"),
            (&["acks", "--clients", "0"][..], "clients"),
            (&["acks", "--window", "0"][..], "window"),
            (&["inbound", "--modems", "0"][..], "modems"),
            (&["pipeline", "--sim-timing", "slow"][..], "sim-timing"),
            (&["idle", "--idle", "0"][..], "idle"),
            (&["smsd"][..], "sim-timing"),
            (
                &["durable", "--group-commit-max", "0"][..],
                "group-commit-max",
            ),
        ] {
            match parse(args).unwrap().validate() {
                Err(Error::Option { option: o, .. }) => assert_eq!(o, option, "{args:?}"),
                other => panic!("{args:?}: {other:?}"),
            }
        }
        assert!(parse(&["pipeline", "--sim-timing", "fixed:300"])
            .unwrap()
            .validate()
            .is_ok());
        assert!(parse(&["nonsense"]).is_err());
    }

    #[test]
    fn versus_plots_name_both_targets_in_every_chart() {
        let dir = target::fresh_dir("svg-test").unwrap();
        let mut reports = Vec::new();
        for t in ["gsmq", "mosquitto"] {
            for q in [0, 1] {
                let mut r = Report::new(&format!("broker qos{q}"), t);
                r.counts(10, 10, 0, Duration::from_secs(1));
                let tracker = Tracker::default();
                tracker.record("publish", Duration::from_millis(3));
                r.latency = latencies(&tracker);
                reports.push(r);
            }
            let mut r = Report::new("idle", t);
            r.idle = Some(IdleReport::new(200, 1000, 3000));
            reports.push(r);
        }
        write_versus_svgs(&dir, &reports).unwrap();
        for f in [
            "broker-throughput.svg",
            "broker-idle.svg",
            "broker-latency.svg",
        ] {
            let svg = std::fs::read_to_string(dir.join(f)).unwrap();
            assert!(svg.contains(">gsmq<") && svg.contains(">mosquitto<"), "{f}");
        }
        let t = std::fs::read_to_string(dir.join("broker-throughput.svg")).unwrap();
        assert_eq!(t.matches(">QOS0<").count(), 1, "one group per QoS:\n{t}");
        assert_eq!(t.matches(">QOS1<").count(), 1, "one group per QoS:\n{t}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
