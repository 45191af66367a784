//! Wires the daemon together: storage, broker, API and modem runners.
//!
//! [`Gateway::start`] brings everything up and returns a handle (tests use
//! it in-process, with `listen = "127.0.0.1:0"` and [`Gateway::mqtt_addr`]);
//! [`run`] is start + wait + shutdown. Guarantees:
//! - the retained status topic says `online` once the broker is up and
//!   `offline` is published before the broker stops;
//! - shutdown stops intake first (cancels the root token), lets tasks reach
//!   a safe state (bounded by [`TASKS_STOP_MAX`]), then stops the broker;
//! - [`Gateway::reload`] swaps users and permissions without dropping
//!   connections.
//!
//! Extension points for the store, the API service and the modem pool are
//! marked `EXTENSION POINT` below.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::acl::{ConfigPolicy, STATUS_OFFLINE, STATUS_ONLINE};
use crate::broker::{self, Broker, Request};
use crate::config::Config;
use crate::daemon::{Heartbeats, HEARTBEAT_INTERVAL, HEARTBEAT_MAX_AGE};

/// How long shutdown waits for tasks to reach a safe state.
pub const TASKS_STOP_MAX: Duration = Duration::from_secs(3);
/// Grace for the `offline` status to reach subscribers before the kick.
const OFFLINE_FLUSH: Duration = Duration::from_millis(100);

/// Errors that stop the daemon.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("broker: {0}")]
    Broker(#[from] broker::Error),
    #[error("{0}")]
    Startup(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// The running gateway.
#[derive(Debug)]
pub struct Gateway {
    config: Config,
    broker: Broker,
    status_topic: String,
    cancel: CancellationToken,
    tasks: TaskTracker,
    heartbeats: Heartbeats,
    // EXTENSION POINT (store helper): `store: store::Store`, opened at the top
    // of `start` with `store::Store::open(&config.storage, &config.retry)` and
    // `recover(config.storage.crash_policy)` before the broker starts, so
    // READY=1 means "storage and broker are up".
    // EXTENSION POINT (driver helper): `pool: modem::pool::Pool`, started after
    // the store with a `modem::Backend` implemented on the store.
}

impl Gateway {
    /// Opens storage, starts the broker and the tasks. Returns once the
    /// daemon is ready to serve (the caller then sends `READY=1`).
    pub async fn start(config: Config) -> Result<Gateway> {
        let cancel = CancellationToken::new();
        let tasks = TaskTracker::new();
        let heartbeats = Heartbeats::new();

        // EXTENSION POINT (store helper): open and recover the store here.

        let policy = ConfigPolicy::from_config(&config);
        let served = policy.served_filters();
        let status_topic = policy.status_topic();
        let (broker, requests) = Broker::start(&config.broker, Arc::new(policy), served).await?;

        tasks.spawn(broker_probe(
            broker.clone(),
            heartbeats.clone(),
            cancel.clone(),
        ));
        spawn_api_service(&tasks, &heartbeats, &cancel, &broker, requests);

        // EXTENSION POINT (driver helper): start the modem pool here.

        broker
            .publish(
                &status_topic,
                Bytes::from_static(STATUS_ONLINE.as_bytes()),
                true,
            )
            .await?;
        tracing::info!(mqtt = %broker.local_addr(), users = config.users.len(), modems = config.modems.len(), "gateway started");
        Ok(Gateway {
            config,
            broker,
            status_topic,
            cancel,
            tasks,
            heartbeats,
        })
    }

    /// The bound address of the plain MQTT listener.
    pub fn mqtt_addr(&self) -> SocketAddr {
        self.broker.local_addr()
    }

    /// The broker handle (for in-process publishing and stats).
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// The heartbeat registry the daemon's watchdog checks.
    pub fn heartbeats(&self) -> &Heartbeats {
        &self.heartbeats
    }

    /// A one-line status for `STATUS=`.
    pub fn status_line(&self) -> String {
        format!(
            "serving MQTT on {}; {} users, {} modems configured",
            self.mqtt_addr(),
            self.config.users.len(),
            self.config.modems.len()
        )
    }

    /// Applies a re-read config (SIGHUP): users and permissions take effect
    /// for every later CONNECT, SUBSCRIBE and PUBLISH; open connections stay.
    /// Changes to `[broker]` listeners and limits need a restart.
    pub fn reload(&mut self, config: Config) {
        let b = (&self.config.broker, &config.broker);
        if b.0.listen != b.1.listen
            || b.0.ws_listen != b.1.ws_listen
            || b.0.tls_listen != b.1.tls_listen
            || b.0.max_connections != b.1.max_connections
        {
            tracing::warn!("[broker] changes take effect only after a restart");
        }
        self.broker
            .reload(Arc::new(ConfigPolicy::from_config(&config)));
        tracing::info!(users = config.users.len(), "configuration reloaded");
        self.config = config;
    }

    /// Stops intake, lets tasks reach a safe state, publishes `offline` and
    /// stops the broker.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tasks.close();
        if tokio::time::timeout(TASKS_STOP_MAX, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                remaining = self.tasks.len(),
                "tasks did not stop in time; stopping anyway"
            );
        }
        // EXTENSION POINT (store helper): checkpoint the outbox here.
        if let Err(e) = self
            .broker
            .publish(
                &self.status_topic,
                Bytes::from_static(STATUS_OFFLINE.as_bytes()),
                true,
            )
            .await
        {
            tracing::warn!(error = %e, "could not publish offline status");
        }
        tokio::time::sleep(OFFLINE_FLUSH).await;
        self.broker.shutdown().await;
        tracing::info!("gateway stopped");
    }
}

/// Runs the gateway until `shutdown` resolves.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<()> {
    let gateway = Gateway::start(config).await?;
    shutdown.await;
    gateway.shutdown().await;
    Ok(())
}

/// Ticks the `broker` heartbeat while the broker answers.
async fn broker_probe(broker: Broker, heartbeats: Heartbeats, cancel: CancellationToken) {
    let heartbeat = heartbeats.register("broker", HEARTBEAT_MAX_AGE);
    let mut tick = tokio::time::interval(HEARTBEAT_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        if broker.is_healthy(Duration::from_secs(1)).await {
            heartbeat.tick();
        } else {
            tracing::error!("broker probe failed");
        }
    }
}

/// EXTENSION POINT (api helper): replace this with the API service
/// (`src/service/`), which consumes `requests`, commits to the store and
/// replies with `broker.publish`. Until then requests are logged and
/// dropped, and the loop keeps a heartbeat like the real service must.
fn spawn_api_service(
    tasks: &TaskTracker,
    heartbeats: &Heartbeats,
    cancel: &CancellationToken,
    broker: &Broker,
    mut requests: mpsc::Receiver<Request>,
) {
    let heartbeat = heartbeats.register("api", HEARTBEAT_MAX_AGE);
    let cancel = cancel.clone();
    let _broker = broker.clone();
    tasks.spawn(async move {
        let mut tick = tokio::time::interval(HEARTBEAT_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tick.tick() => heartbeat.tick(),
                request = requests.recv() => {
                    let Some(request) = request else { return };
                    heartbeat.tick();
                    tracing::warn!(client_id = %request.client_id, topic = %request.topic, "request dropped: API service not wired yet");
                }
            }
        }
    });
}
