//! Process lifecycle: signals, cancellation, sd-notify, the watchdog and
//! logging setup. The only module that imports `sd-notify`.
//!
//! Guarantees:
//! - `WATCHDOG=1` is sent only while every registered task heartbeat is
//!   fresh ([`Heartbeats`]); a hung task stops the pings and systemd
//!   restarts the service. Nothing pings from a bare timer.
//! - Notifications are no-ops when `NOTIFY_SOCKET` is unset, so the same
//!   binary runs under systemd, in a terminal and in tests.
//! - Logs go to journald when stderr is connected to the journal
//!   (`JOURNAL_STREAM` set), otherwise human-readable to stderr.

mod heartbeat;
pub mod notify;
pub mod signals;

pub use heartbeat::{Heartbeat, Heartbeats};

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Errors of the lifecycle layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot install signal handler: {0}")]
    Signal(std::io::Error),
    #[error("invalid log filter {filter:?}: {message}")]
    LogFilter { filter: String, message: String },
}

pub type Result<T> = std::result::Result<T, Error>;

/// How often tasks tick their heartbeat while idle.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
/// A heartbeat older than this counts as stale.
pub const HEARTBEAT_MAX_AGE: Duration = Duration::from_secs(20);

/// Sends `WATCHDOG=1` every half watchdog interval while all heartbeats are
/// fresh; logs the stale tasks otherwise. Returns when `cancel` fires.
/// Does nothing (returns at cancel) when systemd asked for no watchdog.
pub async fn watchdog(heartbeats: Heartbeats, cancel: CancellationToken) {
    let Some(interval) = notify::watchdog_interval() else {
        cancel.cancelled().await;
        return;
    };
    let period = interval / 2;
    tracing::debug!(?interval, "systemd watchdog enabled");
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let stale = heartbeats.stale(std::time::Instant::now());
        if stale.is_empty() {
            notify::watchdog();
        } else {
            tracing::error!(tasks = ?stale, "heartbeat stale; withholding WATCHDOG=1");
        }
    }
}

/// Sets up tracing: journald under systemd, stderr otherwise. `RUST_LOG`
/// overrides `level` (the `[log] level` filter). Unless the filter names
/// rmqtt itself, rmqtt's per-connection chatter is held at `warn`.
/// Safe to call more than once (later calls are ignored).
pub fn init_tracing(level: &str) -> Result<()> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::EnvFilter;

    let filter_text = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => v,
        _ if level.contains("rmqtt") => level.to_string(),
        _ => format!("{level},rmqtt=warn,rmqtt_net=warn"),
    };
    let filter = EnvFilter::try_new(&filter_text).map_err(|e| Error::LogFilter {
        filter: filter_text.clone(),
        message: e.to_string(),
    })?;
    let registry = tracing_subscriber::registry().with(filter);
    let journald = std::env::var_os("JOURNAL_STREAM")
        .is_some()
        .then(|| tracing_journald::layer().ok())
        .flatten();
    let _ = match journald {
        Some(layer) => registry.with(layer).try_init(),
        None => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_target(false),
            )
            .try_init(),
    };
    Ok(())
}
