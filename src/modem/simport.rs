//! `port = "sim:<personality>"`: starts an in-process simulator and opens
//! its PTY like any other serial port.

use super::runner::PortOpener;
use super::{Error, Result};
use crate::config::ModemConfig;

/// Keeps a simulator alive as long as the pool holds it.
pub type SimGuard = Box<dyn std::any::Any + Send + Sync>;

/// Starts the simulator for `cfg` and returns an opener for its PTY.
pub async fn start(
    cfg: &ModemConfig,
    personality: &str,
) -> Result<(Box<dyn PortOpener>, SimGuard)> {
    Err(Error::Sim(format!(
        "modem {:?}: simulator personality {personality:?} is not available in this build",
        cfg.name
    )))
}
