//! `gsmq daemon`, `gsmq check-config`, `gsmq passwd`.
//!
//! `daemon` runs the gateway on a tokio runtime under the lifecycle rules:
//! `READY=1` once storage and broker are up, SIGHUP reloads users and
//! permissions from the config file, SIGTERM/SIGINT send `STOPPING=1`,
//! stop intake and exit within [`STOP_MAX`].

use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::daemon::{self, notify, signals};
use crate::gateway::Gateway;

/// Hard bound on shutdown (systemd's TimeoutStopSec is larger).
pub const STOP_MAX: Duration = Duration::from_secs(5);

pub fn run_daemon(path: &Path) -> anyhow::Result<ExitCode> {
    let config = Config::load(path)?;
    daemon::init_tracing(&config.log.level)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .max_blocking_threads(8)
        .thread_name("gsmq")
        .build()
        .context("starting the tokio runtime")?;
    let result = runtime.block_on(serve(path, config));
    // Sessions rmqtt spawned must not hold the exit up.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

async fn serve(path: &Path, config: Config) -> anyhow::Result<ExitCode> {
    let mut signals = signals::Signals::new()?;
    notify::status("starting");
    let mut gateway = match Gateway::start(config).await {
        Ok(g) => g,
        Err(e) => {
            notify::status(&format!("failed to start: {e}"));
            return Err(e.into());
        }
    };
    notify::ready(&gateway.status_line());

    let watchdog_cancel = CancellationToken::new();
    let watchdog = tokio::spawn(daemon::watchdog(
        gateway.heartbeats().clone(),
        watchdog_cancel.clone(),
    ));

    loop {
        match signals.recv().await {
            signals::Event::Terminate => break,
            signals::Event::Reload => {
                notify::reloading();
                match Config::load(path) {
                    Ok(c) => gateway.reload(c),
                    Err(e) => tracing::error!("reload refused, keeping the running config: {e}"),
                }
                notify::ready(&gateway.status_line());
            }
        }
    }

    tracing::info!("stopping");
    notify::stopping("stopping: finishing tasks");
    watchdog_cancel.cancel();
    let _ = watchdog.await;
    if tokio::time::timeout(STOP_MAX, gateway.shutdown())
        .await
        .is_err()
    {
        tracing::error!("shutdown exceeded {STOP_MAX:?}; exiting anyway");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn check_config(path: &Path) -> anyhow::Result<ExitCode> {
    match Config::load(path) {
        Ok(c) => {
            println!(
                "{}: ok ({} users, {} modems)",
                path.display(),
                c.users.len(),
                c.modems.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::from(2))
        }
    }
}

pub fn passwd(password: Option<String>) -> anyhow::Result<ExitCode> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let password = match password {
        Some(p) => p,
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.is_empty() {
        anyhow::bail!("empty password");
    }
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    println!("{hash}");
    Ok(ExitCode::SUCCESS)
}
