//! Command-line interface: one file per subcommand. `main.rs` parses
//! [`Cli`] and calls [`Cli::run`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod at;
mod daemon;
mod mms;
mod pdu;
pub mod send;
mod sim;

/// gsmq: SMS/MMS gateway for GSM/LTE modems with an MQTT API.
#[derive(Debug, Parser)]
#[command(name = "gsmq", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway daemon.
    Daemon {
        /// Path of the TOML config file.
        #[arg(short, long, default_value = "/etc/gsmq/gsmq.toml")]
        config: PathBuf,
    },
    /// Check a config file and report the first error.
    CheckConfig {
        #[arg(short, long, default_value = "/etc/gsmq/gsmq.toml")]
        config: PathBuf,
    },
    /// AT protocol tools: digest a modem capture (`gsmq at parse --help`).
    At(at::AtArgs),
    /// Run simulated modems on pseudo-terminals (see docs/sim.md).
    Sim(sim::SimArgs),
    /// MMS tools: decode a binary MMS PDU or WAP push (`gsmq mms decode --help`).
    Mms(mms::MmsArgs),
    /// Print an argon2 password hash for a `[[user]]` entry.
    Passwd {
        /// The password; read from stdin when absent.
        #[arg(long)]
        password: Option<String>,
    },
    /// Decode or encode SMS PDUs offline.
    Pdu {
        #[command(subcommand)]
        command: pdu::PduCommand,
    },
    /// Send an SMS through a running gateway's MQTT API and follow it.
    Send(Box<send::SendArgs>),
    /// End-to-end load against the daemon with simulated modems (or against
    /// mosquitto); see docs/benchmarks.md.
    Bench(Box<crate::bench::BenchArgs>),
}

impl Cli {
    /// Runs the chosen subcommand; returns the process exit code.
    pub fn run(self) -> anyhow::Result<std::process::ExitCode> {
        match self.command {
            Command::Daemon { config } => daemon::run_daemon(&config),
            Command::CheckConfig { config } => daemon::check_config(&config),
            Command::Passwd { password } => daemon::passwd(password),
            Command::At(args) => at::run(args),
            Command::Pdu { command } => pdu::run(command),
            Command::Sim(args) => sim::run_sim(args),
            Command::Send(args) => send::run(*args),
            Command::Mms(args) => mms::run(args),
            Command::Bench(args) => Ok(crate::bench::main(*args)?),
        }
    }
}
