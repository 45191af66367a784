//! `port = "sim:<personality>"`: starts an in-process simulator
//! ([`crate::sim::spawn`]) and opens its PTY like any other serial port,
//! through the simulator's stable link, so an unplug/re-plug under a new
//! PTY name is followed.

use super::runner::{PortOpener, SerialOpener};
use super::{Error, Result};
use crate::config::ModemConfig;
use crate::sim::{Personality, SimHandle, SimOptions};

/// Default simulator options for a configured modem: the personality from
/// the port string, its own number, a seed derived from the modem name.
pub fn options(cfg: &ModemConfig, personality: &str) -> Result<SimOptions> {
    let personality: Personality = personality.parse().map_err(|_| Error::Config {
        key: format!("modem {:?} port", cfg.name),
        message: format!(
            "unknown simulator personality {personality:?} (expected generic, sim800, sim7600, ec25 or e3372)"
        ),
    })?;
    let seed = cfg.name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut opts = SimOptions {
        personality,
        seed,
        ..SimOptions::default()
    };
    if let Some(n) = &cfg.sim_number {
        opts.number = n.clone();
    }
    Ok(opts)
}

/// Starts the simulator with `opts` and returns an opener for its PTY.
pub fn start(cfg: &ModemConfig, opts: SimOptions) -> Result<(Box<dyn PortOpener>, SimHandle)> {
    let handle =
        crate::sim::spawn(opts).map_err(|e| Error::Sim(format!("modem {:?}: {e}", cfg.name)))?;
    let opener = SerialOpener {
        path: handle.path().to_path_buf(),
        baud: cfg.baud,
    };
    Ok((Box::new(opener), handle))
}
