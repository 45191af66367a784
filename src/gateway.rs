//! Wires the daemon together: storage, broker, API and modem runners.

use std::future::Future;

use crate::config::Config;

/// Errors that stop the daemon.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Startup(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Runs the gateway until `shutdown` resolves.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<()> {
    let _ = config;
    shutdown.await;
    Ok(())
}
