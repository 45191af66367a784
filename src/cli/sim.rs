//! `gsmq sim`: run one simulated modem (or a network of them from a file)
//! on pseudo-terminals until Ctrl-C, with an optional control socket.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::sim::{FaultLevel, Faults, Network, NetworkConfig, Personality, SimOptions, Timing};

/// Arguments of `gsmq sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Modem personality: generic, sim800, sim7600, ec25 or e3372.
    #[arg(long, default_value = "generic")]
    pub personality: Personality,
    /// Stable symlink to the PTY slave (e.g. /tmp/gsmq-sim/ttyUSB0).
    #[arg(long)]
    pub link: Option<PathBuf>,
    /// The modem's own number.
    #[arg(long, default_value = "+15555550100")]
    pub number: String,
    /// Seed for every random decision; random (and printed) when absent.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Fault injection preset.
    #[arg(long, default_value = "none")]
    pub faults: FaultLevel,
    /// Timing preset: `default` (MODEM-SPEC §8.3) or `fast` (no delays).
    #[arg(long, default_value = "default")]
    pub timing: String,
    /// Fixed `^Z` → `+CMGS` latency in milliseconds (benchmark mode).
    #[arg(long)]
    pub submit_latency_ms: Option<u64>,
    /// Pace output like a UART at this baud rate (0 = unpaced).
    #[arg(long, default_value_t = 0)]
    pub baud: u32,
    /// Control socket (Unix socket, JSON lines).
    #[arg(long)]
    pub control: Option<PathBuf>,
    /// Run the modems of a network file instead of a single modem.
    #[arg(long, conflicts_with_all = ["link", "number"])]
    pub network: Option<PathBuf>,
}

/// Runs `gsmq sim` until Ctrl-C.
pub fn run_sim(args: SimArgs) -> anyhow::Result<ExitCode> {
    let (modems, control) = match &args.network {
        Some(path) => {
            let cfg = NetworkConfig::load(path)?;
            let mut modems = cfg.options().map_err(anyhow::Error::msg)?;
            if let Some(seed) = args.seed {
                for (i, (_, o)) in modems.iter_mut().enumerate() {
                    o.seed = seed.wrapping_add(i as u64);
                }
            }
            (modems, args.control.clone().or(cfg.control.clone()))
        }
        None => {
            let mut timing = match args.timing.as_str() {
                "default" => Timing::default(),
                "fast" => Timing::fast(),
                other => anyhow::bail!("unknown timing preset `{other}` (default or fast)"),
            };
            if let Some(ms) = args.submit_latency_ms {
                timing = Timing::fixed(Duration::from_millis(ms));
            }
            let opts = SimOptions {
                personality: args.personality,
                number: args.number.clone(),
                seed: args.seed.unwrap_or_else(rand::random),
                faults: Faults::level(args.faults),
                timing,
                link: args.link.clone(),
                baud: args.baud,
                ..SimOptions::default()
            };
            (vec![("modem".to_string(), opts)], args.control.clone())
        }
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the tokio runtime")?;
    runtime.block_on(async move {
        let net = Arc::new(Network::start(modems)?);
        for (name, h) in net.modems() {
            let pty = h.pty_path().await.unwrap_or_default();
            println!(
                "{name}: {} {} on {} (pty {}), seed {}",
                h.personality(),
                h.number(),
                h.path().display(),
                pty.display(),
                h.seed()
            );
        }
        let _control = match &control {
            Some(path) => {
                let task = crate::sim::serve_control(path, net.clone()).await?;
                println!("control socket: {}", path.display());
                Some(task)
            }
            None => None,
        };
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        if let Some(path) = &control {
            let _ = std::fs::remove_file(path);
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
