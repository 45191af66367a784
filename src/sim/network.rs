//! A network of simulated modems in one process: each modem gets its own
//! PTY, and a message one modem submits to another modem's number arrives
//! there as an SMS-DELIVER (after the receiver's delivery delay), the way an
//! SMSC would forward it.
//!
//! Guarantees: routing never blocks a modem (bounded queue; overflow is
//! logged and the message is dropped, as an overloaded SMSC would); a
//! message to a number outside the network is only logged as sent.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::mpsc;

use super::codec;
use super::faults::{FaultLevel, Faults};
use super::pty::{spawn_with, SimHandle};
use super::storage::StorageSizes;
use super::timing::Timing;
use super::{Error, Personality, Result, SentPart, SimOptions};

/// Depth of the routing queue shared by all modems of a network.
const ROUTE_QUEUE: usize = 1024;

/// A network file (`gsmq sim --network FILE`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Control socket path (JSON lines), optional.
    #[serde(default)]
    pub control: Option<PathBuf>,
    /// Seed for modems without their own (each gets `seed + position`).
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(rename = "modem")]
    pub modems: Vec<ModemSpec>,
}

/// Timing presets usable in a network file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimingPreset {
    /// MODEM-SPEC §8.3 defaults.
    #[default]
    Default,
    /// Everything immediate.
    Fast,
}

/// One `[[modem]]` of a network file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModemSpec {
    pub name: String,
    pub personality: String,
    #[serde(default)]
    pub link: Option<PathBuf>,
    pub number: String,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub faults: FaultLevel,
    /// Individual fault knobs; replace the `faults` preset when present.
    #[serde(default)]
    pub fault_knobs: Option<Faults>,
    #[serde(default)]
    pub timing_preset: TimingPreset,
    /// Individual timing knobs; replace the preset when present.
    #[serde(default)]
    pub timing: Option<Timing>,
    #[serde(default)]
    pub storage: Option<StorageSizes>,
    #[serde(default)]
    pub smsc: Option<String>,
}

impl NetworkConfig {
    /// Reads and checks a network file.
    pub fn load(path: &Path) -> Result<NetworkConfig> {
        let err = |message: String| Error::Config {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let cfg: NetworkConfig = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        cfg.options().map_err(|m| err(m.to_string()))?;
        Ok(cfg)
    }

    /// The simulator options of every modem, in file order.
    pub fn options(&self) -> std::result::Result<Vec<(String, SimOptions)>, String> {
        if self.modems.is_empty() {
            return Err("a network needs at least one [[modem]]".into());
        }
        let base = self.seed.unwrap_or(1);
        let mut out: Vec<(String, SimOptions)> = Vec::new();
        for (i, m) in self.modems.iter().enumerate() {
            let personality: Personality = m
                .personality
                .parse()
                .map_err(|e| format!("modem `{}`: {e}", m.name))?;
            if out.iter().any(|(n, _)| *n == m.name) {
                return Err(format!("modem name `{}` appears twice", m.name));
            }
            if out.iter().any(|(_, o)| same_number(&o.number, &m.number)) {
                return Err(format!("number {} appears twice", m.number));
            }
            let mut o = SimOptions {
                personality,
                number: m.number.clone(),
                seed: m.seed.unwrap_or(base.wrapping_add(i as u64)),
                faults: m
                    .fault_knobs
                    .clone()
                    .unwrap_or_else(|| Faults::level(m.faults)),
                timing: m.timing.clone().unwrap_or(match m.timing_preset {
                    TimingPreset::Default => Timing::default(),
                    TimingPreset::Fast => Timing::fast(),
                }),
                link: m.link.clone(),
                ..SimOptions::default()
            };
            o.timing
                .validate()
                .map_err(|e| format!("modem `{}`: {e}", m.name))?;
            o.faults
                .validate()
                .map_err(|e| format!("modem `{}`: {e}", m.name))?;
            if let Some(s) = m.storage {
                if s.sm > 1000 || s.me > 1000 || s.sr > 1000 {
                    return Err(format!("modem `{}`: storage above 1000 entries", m.name));
                }
                o.storage = s;
            }
            if let Some(s) = &m.smsc {
                o.smsc = s.clone();
            }
            out.push((m.name.clone(), o));
        }
        Ok(out)
    }
}

fn same_number(a: &str, b: &str) -> bool {
    let d = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    !d(a).is_empty() && d(a) == d(b)
}

/// Several simulated modems that can text each other.
#[derive(Debug)]
pub struct Network {
    modems: Arc<Vec<(String, SimHandle)>>,
    router: tokio::task::JoinHandle<()>,
}

impl Drop for Network {
    fn drop(&mut self) {
        self.router.abort();
    }
}

impl Network {
    /// Spawns every modem and the router (inside a tokio runtime).
    pub fn start(modems: Vec<(String, SimOptions)>) -> Result<Network> {
        let (tx, mut rx) = mpsc::channel::<SentPart>(ROUTE_QUEUE);
        let mut handles = Vec::with_capacity(modems.len());
        for (name, o) in modems {
            let h = spawn_with(o, Some(tx.clone()))?;
            handles.push((name, h));
        }
        drop(tx);
        let modems = Arc::new(handles);
        let table = modems.clone();
        let router = tokio::spawn(async move {
            while let Some(part) = rx.recv().await {
                route(&table, part).await;
            }
        });
        Ok(Network { modems, router })
    }

    /// The modems, in start order.
    pub fn modems(&self) -> &[(String, SimHandle)] {
        &self.modems
    }

    /// A modem by name.
    pub fn modem(&self, name: &str) -> Option<&SimHandle> {
        self.modems.iter().find(|(n, _)| n == name).map(|(_, h)| h)
    }
}

async fn route(table: &[(String, SimHandle)], part: SentPart) {
    let Some((name, target)) = table
        .iter()
        .find(|(_, h)| same_number(h.number(), &part.to))
    else {
        return;
    };
    let ts = chrono::Utc::now().fixed_offset();
    let tpdus = if part.tpdu.is_empty() {
        codec::encode_deliver(
            &part.from,
            &part.text,
            ts,
            u16::from(part.mr),
            codec::Alphabet::Auto,
        )
    } else {
        codec::submit_to_deliver(&part.tpdu, &part.from, ts).map(|t| vec![t])
    };
    match tpdus {
        Ok(tpdus) => {
            for t in tpdus {
                if target.deliver_from_network(t).await.is_err() {
                    tracing::warn!(modem = %name, "cannot deliver: modem stopped");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot turn a submitted PDU into a delivery"),
    }
}
