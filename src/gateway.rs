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
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::acl::{ConfigPolicy, STATUS_OFFLINE, STATUS_ONLINE};
use crate::broker::{self, Broker};
use crate::config::Config;
use crate::daemon::{Heartbeats, HEARTBEAT_INTERVAL, HEARTBEAT_MAX_AGE};
use crate::modem::backend_store::StoreBackend;
use crate::modem::pool::Pool;
use crate::modem::runner::{ModemHandle, PortOpener, SerialOpener};
use crate::service::{self, UssdAnswer, UssdFuture, UssdRunner};
use crate::store::Store;

/// How long shutdown waits for tasks to reach a safe state.
pub const TASKS_STOP_MAX: Duration = Duration::from_secs(3);
/// Grace for the `offline` status to reach subscribers before the kick.
const OFFLINE_FLUSH: Duration = Duration::from_millis(100);

/// Errors that stop the daemon.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("broker: {0}")]
    Broker(#[from] broker::Error),
    #[error("storage: {0}")]
    Storage(#[from] crate::store::Error),
    #[error("modems: {0}")]
    Modem(#[from] crate::modem::Error),
    #[error("{0}")]
    Startup(String),
}

/// How often terminal messages, old keys and published events are pruned.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(600);
/// Pause before a device bridge reopens its serial port.
const DEVICE_REOPEN_DELAY: Duration = Duration::from_secs(2);

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
    store: Store,
    pool: Pool,
    /// Stops the API service (intake) before anything else.
    intake: CancellationToken,
}

impl Gateway {
    /// Opens storage, starts the broker and the tasks. Returns once the
    /// daemon is ready to serve (the caller then sends `READY=1`).
    pub async fn start(config: Config) -> Result<Gateway> {
        let cancel = CancellationToken::new();
        let tasks = TaskTracker::new();
        let heartbeats = Heartbeats::new();

        // Storage first: READY=1 means "storage and broker are up", and
        // parts left in flight by a crash are resolved before any modem runs.
        let store = Store::open(&config.storage, &config.retry)?;
        let recovery = store.recover(config.storage.crash_policy).await?;
        tracing::info!(?recovery, "storage open");

        let policy = ConfigPolicy::from_config(&config);
        let served = policy.served_filters();
        let status_topic = policy.status_topic();
        let (broker, requests) = Broker::start(&config.broker, Arc::new(policy), served).await?;

        tasks.spawn(broker_probe(
            broker.clone(),
            heartbeats.clone(),
            cancel.clone(),
        ));
        // MMS before the modems: MMS left `sending` are recovered before a
        // runner may lease one (`[mms] transport = "modem"`).
        let mut fetchers = crate::mmsc::worker::ModemFetchers::default();
        if let Some(mms) = &config.mms {
            let worker = crate::mmsc::worker::Worker::start(mms, &config.storage, store.clone())
                .await
                .map_err(|e| Error::Startup(format!("mms: {e}")))?;
            fetchers = worker.fetchers.clone();
            tasks.spawn(worker.run(cancel.clone()));
        }
        // Modems: one runner each, reporting to the store.
        let mut modem_backend = StoreBackend::new(store.clone());
        if let Some(mms) = config
            .mms
            .as_ref()
            .filter(|m| m.transport == crate::config::MmsTransport::Modem)
        {
            modem_backend = modem_backend
                .with_mms_at(mms.modem_client(), mms.retry_unknown)
                .with_mms_receive(
                    mms.spool_dir(&config.storage),
                    mms.inline_max_bytes,
                    fetchers,
                );
        }
        let modem_backend = Arc::new(modem_backend);
        let pool = Pool::start(&config.modems, modem_backend.clone(), cancel.child_token())?;
        if let (Some(path), Some(network)) = (&config.sim.control_socket, pool.sim_network()) {
            let _ = std::fs::remove_file(path);
            let server = crate::sim::serve_control(path, network)
                .await
                .map_err(|e| Error::Startup(format!("sim control socket: {e}")))?;
            let cancel = cancel.clone();
            tasks.spawn(async move {
                cancel.cancelled().await;
                server.abort();
            });
            tracing::info!(path = %path.display(), "simulator control socket");
        }
        tasks.spawn(publish_modem_states(
            modem_backend.clone(),
            service::ModemStatePublisher::new(broker.clone(), &config),
            cancel.clone(),
        ));

        // The API service: replies only after commit; a commit wakes the
        // modem runners at once.
        let intake = cancel.child_token();
        let ussd = Arc::new(PoolUssd {
            modems: config
                .modems
                .iter()
                .filter_map(|m| pool.handle(&m.name).cloned())
                .collect(),
        });
        let wake = modem_backend.clone();
        let api_backend = service::GatewayBackend::new(broker.clone(), store.clone(), ussd)
            .with_enqueue_hook(Arc::new(move || wake.notify_queued()));
        let api_heartbeat = heartbeats.register("api", HEARTBEAT_MAX_AGE);
        let service =
            service::run_with(api_backend, requests, &config, intake.clone(), move || {
                api_heartbeat.tick()
            });
        tasks.spawn(async move {
            if let Err(e) = service.await {
                tracing::error!(error = %e, "API service stopped");
            }
        });

        tasks.spawn(maintenance(store.clone(), cancel.clone()));
        for device in &config.devices {
            tasks.spawn(run_device_bridge(
                device.clone(),
                broker.local_addr(),
                cancel.clone(),
            ));
        }

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
            store,
            pool,
            intake,
        })
    }

    /// The store (tests inspect it).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The modem pool (tests reach the simulators behind `sim:` modems).
    pub fn pool(&self) -> &Pool {
        &self.pool
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
        // Stop intake first, then let the runners fail their in-flight parts
        // back to the queue, then everything else.
        self.intake.cancel();
        if tokio::time::timeout(TASKS_STOP_MAX, self.pool.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("modem runners did not stop in time; stopping anyway");
        }
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
        if let Err(e) = self.store.checkpoint().await {
            tracing::warn!(error = %e, "could not checkpoint the database");
        }
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

/// Runs USSD codes on the pool's modems.
struct PoolUssd {
    modems: Vec<ModemHandle>,
}

impl UssdRunner for PoolUssd {
    fn run<'a>(&'a self, modem: &'a str, code: &'a str) -> UssdFuture<'a> {
        Box::pin(async move {
            let handle = self
                .modems
                .iter()
                .find(|h| h.name() == modem)
                .ok_or_else(|| format!("no modem named {modem:?}"))?;
            let response = handle.ussd(code).await?;
            Ok(UssdAnswer {
                response,
                session_open: false,
            })
        })
    }
}

/// Publishes every modem state change as the retained modem-state topic.
async fn publish_modem_states(
    backend: Arc<StoreBackend>,
    publisher: service::ModemStatePublisher,
    cancel: CancellationToken,
) {
    let mut states = backend.states();
    let mut last: std::collections::BTreeMap<String, crate::api::ModemState> =
        std::collections::BTreeMap::new();
    loop {
        // Copy out before awaiting: the runners wait for borrows to end.
        let current: Vec<(String, crate::api::ModemState)> = states
            .borrow_and_update()
            .iter()
            .map(|(name, s)| (name.clone(), api_modem_state(s)))
            .collect();
        for (name, state) in current {
            if last.get(&name) == Some(&state) {
                continue;
            }
            match publisher.publish(&name, &state).await {
                Ok(()) => {
                    last.insert(name, state);
                }
                Err(e) => tracing::warn!(modem = %name, error = %e, "modem state not published"),
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            r = states.changed() => if r.is_err() { return },
        }
    }
}

/// The API's view of a modem's state.
fn api_modem_state(s: &crate::modem::ModemState) -> crate::api::ModemState {
    use crate::api::{ModemStatus as A, Registration as R};
    use crate::modem::{ModemStatus as M, Registration as MR};
    crate::api::ModemState {
        state: match s.status {
            M::Ready => A::Ready,
            M::Initialising => A::Initialising,
            M::Resetting => A::Resetting,
            M::Offline => A::Offline,
        },
        signal_dbm: s.signal_dbm,
        registration: s.registration.and_then(|r| match r {
            MR::Home => Some(R::Home),
            MR::Roaming => Some(R::Roaming),
            MR::Searching | MR::NotRegistered => Some(R::Searching),
            MR::Denied => Some(R::Denied),
            MR::Unknown => None,
        }),
        operator: s.operator.clone(),
        imei: s.imei.clone(),
        iccid: s.iccid.clone(),
        queue: s.queue as u64,
    }
}

/// Prunes the database at a fixed interval.
async fn maintenance(store: Store, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(MAINTENANCE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        match store.maintain(chrono::Utc::now()).await {
            Ok(report) => tracing::debug!(?report, "database maintenance"),
            Err(e) => tracing::warn!(error = %e, "database maintenance failed"),
        }
    }
}

/// Bridges one UART device into the broker, reopening its port when it
/// goes away.
async fn run_device_bridge(
    device: crate::config::DeviceConfig,
    broker: SocketAddr,
    cancel: CancellationToken,
) {
    let broker = if broker.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], broker.port()))
    } else {
        broker
    };
    let opener = SerialOpener {
        path: device.port.clone().into(),
        baud: device.baud,
    };
    let bridge = crate::bridge::DeviceBridge::new(device.name.clone(), broker);
    loop {
        match opener.open().await {
            Ok(port) => {
                tracing::info!(device = %device.name, port = %device.port, "device bridge up");
                match bridge.run(port, cancel.clone()).await {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(device = %device.name, error = %e, "device bridge down")
                    }
                }
            }
            Err(e) => {
                tracing::debug!(device = %device.name, error = %e, "device port not available")
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(DEVICE_REOPEN_DELAY) => {}
        }
    }
}
