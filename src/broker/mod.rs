//! The embedded MQTT broker (rmqtt =0.24.0) behind gsmq's own small interface.
//!
//! Every rmqtt type stays inside this module; the rest of gsmq sees only
//! [`Broker`], [`Policy`], [`Request`] and [`Error`]. Guarantees:
//!
//! - Authentication and topic ACL are decided in-process by a [`Policy`]
//!   (implemented from config in `api::acl`); a bad login gets CONNACK 5
//!   (v3.1.1) / 0x86 (v5), a missing login or a will topic outside the ACL
//!   gets 5 / 0x87.
//! - The ACL is applied again inside the publish tap (rmqtt runs its publish
//!   hook *before* the publish ACL), so a refused PUBLISH never becomes a
//!   [`Request`].
//! - PUBLISHes on the served topic filters reach the daemon as [`Request`]s
//!   on a bounded channel (backpressure on the sending client, never an
//!   unbounded queue); the daemon publishes QoS 1 messages in-process with
//!   [`Broker::publish`], without a TCP loopback hop.
//! - rmqtt's gateway-hostile defaults are overridden deliberately: no CPU
//!   busy check, SO_REUSEADDR, sized per-session queues whose overflow is
//!   logged and counted, offline-queue expiry from `message_expiry_s`, a
//!   bounded retained-message store, and a wait-for-previous-session
//!   workaround for rmqtt issue #34 (fast reconnect with the same client id).

mod hooks;
mod retain;
pub mod topic;

use std::net::SocketAddr;
use std::num::NonZeroU16;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use rmqtt::codec::types::{Publish as CodecPublish, QoS};
use rmqtt::context::ServerContext;
use rmqtt::hook::Type;
use rmqtt::net::Builder;
use rmqtt::server::MqttServer;
use rmqtt::session::SessionState;
use rmqtt::types::{From, Id, Publish};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::config::BrokerConfig;

/// Capacity of the channel carrying [`Request`]s to the daemon. When it is
/// full, the publishing client's session waits (TCP backpressure).
pub const REQUEST_QUEUE_MAX: usize = 1024;
/// Most retained messages kept; a new retained topic beyond this is refused.
pub const RETAINED_MAX: usize = 10_000;
/// How long a CONNECT waits for the previous session of the same client id
/// to finish tearing down (rmqtt issue #34 workaround).
pub const RECONNECT_WAIT_MAX: Duration = Duration::from_secs(2);
/// Most subscriptions one session may hold (bounds memory per client).
pub const SUBSCRIPTIONS_MAX: usize = 64;
/// Most levels in a subscribed topic filter.
pub const TOPIC_LEVELS_MAX: usize = 16;
/// How long shutdown waits for sessions to acknowledge their kick.
pub const KICK_MAX: Duration = Duration::from_secs(1);
/// Client id the daemon's own in-process messages carry.
pub const DAEMON_CLIENT_ID: &str = "gsmq-daemon";

/// Errors of the broker.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {addr} ({kind}): {message}")]
    Listen {
        addr: SocketAddr,
        kind: &'static str,
        message: String,
    },
    #[error("broker.tls_listen needs both broker.tls_cert and broker.tls_key")]
    TlsIncomplete,
    #[error("invalid topic {topic:?}: {message}")]
    Topic { topic: String, message: String },
    #[error("the broker is shut down")]
    Closed,
    #[error("publish failed: {0}")]
    Publish(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Authentication and topic ACL, decided in-process. Implemented from the
/// config in `api::acl` so topic strings stay in `api`.
pub trait Policy: Send + Sync {
    /// Verifies a login. May be slow (argon2); the broker calls it on a
    /// blocking thread.
    fn authenticate(&self, username: &str, password: &[u8]) -> bool;
    /// May `username` subscribe to `filter` (which may contain wildcards)?
    fn may_subscribe(&self, username: &str, filter: &str) -> bool;
    /// May `username` publish on `topic` (no wildcards)?
    fn may_publish(&self, username: &str, topic: &str) -> bool;
}

/// An authorised PUBLISH on a topic the daemon serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub client_id: String,
    /// Empty for anonymous clients.
    pub username: String,
    pub topic: String,
    pub payload: Bytes,
    /// MQTT v5 response topic, if the client set one.
    pub response_topic: Option<String>,
    /// MQTT v5 correlation data, if the client set it.
    pub correlation_data: Option<Bytes>,
}

/// Counters the broker keeps (monotonic since start).
#[derive(Debug, Default)]
pub struct Counters {
    /// Logins refused (bad password, unknown user, anonymous when off).
    pub auth_refused: AtomicU64,
    /// SUBSCRIBE filters refused by the ACL.
    pub subscribe_refused: AtomicU64,
    /// PUBLISHes (and wills) refused by the ACL.
    pub publish_refused: AtomicU64,
    /// Messages rmqtt dropped (queue full, inflight full, expired, ...).
    pub dropped: AtomicU64,
    /// Of those, dropped because a session queue was full.
    pub dropped_queue_full: AtomicU64,
    /// Requests handed to the daemon.
    pub requests: AtomicU64,
    /// CONNECTs that had to wait for a dying previous session (issue #34).
    pub reconnect_waits: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub auth_refused: u64,
    pub subscribe_refused: u64,
    pub publish_refused: u64,
    pub dropped: u64,
    pub dropped_queue_full: u64,
    pub requests: u64,
    pub reconnect_waits: u64,
    pub sessions: usize,
}

/// State shared by the hooks and the [`Broker`] handle.
pub(crate) struct Shared {
    policy: RwLock<Arc<dyn Policy>>,
    served: Vec<String>,
    requests: mpsc::Sender<Request>,
    counters: Counters,
}

impl Shared {
    fn policy(&self) -> Arc<dyn Policy> {
        match self.policy.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// The running embedded broker: a cheap `Clone` handle; every clone
/// publishes into and can shut down the same broker.
#[derive(Clone)]
pub struct Broker {
    scx: ServerContext,
    shared: Arc<Shared>,
    server: AbortHandle,
    local_addr: SocketAddr,
    ws_addr: Option<SocketAddr>,
    tls_addr: Option<SocketAddr>,
    daemon_id: Id,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("local_addr", &self.local_addr)
            .field("ws_addr", &self.ws_addr)
            .field("tls_addr", &self.tls_addr)
            .finish_non_exhaustive()
    }
}

/// Builds one rmqtt listener with gsmq's deliberate settings.
fn listener_builder(cfg: &BrokerConfig, name: &str, addr: SocketAddr) -> Builder {
    let inflight = NonZeroU16::new(cfg.max_inflight).unwrap_or(NonZeroU16::MIN);
    let expiry = Duration::from_secs(cfg.message_expiry_s);
    Builder::new()
        .name(name)
        .laddr(addr)
        // A restart must not hit EADDRINUSE while old sockets sit in TIME_WAIT.
        .reuseaddr(Some(true))
        .nodelay(true)
        .max_connections(cfg.max_connections)
        .max_handshaking_limit(cfg.max_connections.clamp(1, 1000))
        .max_packet_size(cfg.max_packet_size)
        .allow_anonymous(cfg.allow_anonymous)
        .allow_zero_keepalive(true)
        .min_keepalive(0)
        .max_inflight(inflight)
        .max_mqueue_len(cfg.max_queued_messages)
        // rmqtt expires queued messages after 5 minutes by default; an offline
        // device must get its replies for as long as the config promises.
        .message_expiry_interval(expiry)
        // v3.1.1 persistent sessions live as long as their queue is kept;
        // v5 clients may ask for less, never for more (bounds memory).
        .session_expiry_interval(expiry)
        .max_session_expiry_interval(expiry)
        .handshake_timeout(Duration::from_secs(10))
        .send_timeout(Duration::from_secs(10))
        .max_clientid_len(256)
        .max_subscriptions(SUBSCRIPTIONS_MAX)
        .max_topic_levels(TOPIC_LEVELS_MAX)
        .max_qos_allowed(QoS::ExactlyOnce)
}

fn listen_error(addr: SocketAddr, kind: &'static str, e: impl std::fmt::Display) -> Error {
    Error::Listen {
        addr,
        kind,
        message: e.to_string(),
    }
}

impl Broker {
    /// Binds the configured listeners (port 0 picks a free port; see
    /// [`Broker::local_addr`]), installs the hooks and starts serving.
    ///
    /// `served` are the topic filters whose PUBLISHes the daemon consumes;
    /// they arrive on the returned channel.
    pub async fn start(
        cfg: &BrokerConfig,
        policy: Arc<dyn Policy>,
        served: Vec<String>,
    ) -> Result<(Broker, mpsc::Receiver<Request>)> {
        for filter in &served {
            topic::validate_filter(filter).map_err(|message| Error::Topic {
                topic: filter.clone(),
                message: message.into(),
            })?;
        }
        let (tx, rx) = mpsc::channel(REQUEST_QUEUE_MAX);
        let shared = Arc::new(Shared {
            policy: RwLock::new(policy),
            served,
            requests: tx,
            counters: Counters::default(),
        });

        let max_sessions = isize::try_from(cfg.max_connections).unwrap_or(isize::MAX);
        let scx = ServerContext::new()
            // The busy check refuses CONNECTs (CONNACK 3) whenever the box's
            // CPU load is high; an SMS gateway on a small box must not do that.
            .busy_check_enable(false)
            .mqtt_max_sessions(max_sessions)
            .build()
            .await;
        *scx.extends.retain_mut().await = Box::new(retain::BoundedRetain::new(RETAINED_MAX));

        let register = scx.extends.hook_mgr().register();
        let handler = || Box::new(hooks::Hooks::new(scx.clone(), shared.clone()));
        for typ in [
            Type::ClientAuthenticate,
            Type::ClientSubscribeCheckAcl,
            Type::MessagePublishCheckAcl,
            Type::MessagePublish,
            Type::MessageDropped,
        ] {
            register.add_priority(typ, 100, handler()).await;
        }
        register.start().await;

        let tcp = listener_builder(cfg, "tcp", cfg.listen)
            .bind()
            .and_then(|l| l.tcp())
            .map_err(|e| listen_error(cfg.listen, "tcp", e))?;
        let local_addr = tcp
            .local_addr()
            .map_err(|e| listen_error(cfg.listen, "tcp", e))?;
        let mut server = MqttServer::new(scx.clone()).listener_by_id(tcp, 1);
        let mut ws_addr = None;
        if let Some(addr) = cfg.ws_listen {
            let ws = listener_builder(cfg, "ws", addr)
                .bind()
                .and_then(|l| l.ws())
                .map_err(|e| listen_error(addr, "ws", e))?;
            ws_addr = Some(ws.local_addr().map_err(|e| listen_error(addr, "ws", e))?);
            server = server.listener_by_id(ws, 2);
        }
        let mut tls_addr = None;
        if let Some(addr) = cfg.tls_listen {
            let (Some(cert), Some(key)) = (&cfg.tls_cert, &cfg.tls_key) else {
                return Err(Error::TlsIncomplete);
            };
            let tls = listener_builder(cfg, "tls", addr)
                .tls_cert(Some(cert.to_string_lossy().into_owned()))
                .tls_key(Some(key.to_string_lossy().into_owned()))
                .bind()
                .and_then(|l| l.tls())
                .map_err(|e| listen_error(addr, "tls", e))?;
            tls_addr = Some(tls.local_addr().map_err(|e| listen_error(addr, "tls", e))?);
            server = server.listener_by_id(tls, 3);
        }
        let server = server.build();
        let server = tokio::spawn(async move {
            if let Err(e) = server.run().await {
                tracing::error!(error = %e, "MQTT server stopped");
            }
        })
        .abort_handle();
        let daemon_id = Id::new(
            scx.node.id(),
            0,
            None,
            None,
            DAEMON_CLIENT_ID.into(),
            Some(DAEMON_CLIENT_ID.into()),
        );
        tracing::info!(%local_addr, ?ws_addr, ?tls_addr, "MQTT broker listening");
        Ok((
            Broker {
                scx,
                shared,
                server,
                local_addr,
                ws_addr,
                tls_addr,
                daemon_id,
            },
            rx,
        ))
    }

    /// The bound address of the plain MQTT listener (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The bound address of the WebSocket listener, if configured.
    pub fn ws_addr(&self) -> Option<SocketAddr> {
        self.ws_addr
    }

    /// The bound address of the TLS listener, if configured.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// Publishes a QoS 1 message from the daemon to every subscriber the
    /// ACL let subscribe, in-process. Retained messages from the daemon
    /// never expire.
    pub async fn publish(&self, topic: &str, payload: Bytes, retain: bool) -> Result<()> {
        self.publish_with(topic, payload, retain, None).await
    }

    /// Publishes a reply (QoS 1, not retained) that carries a request's
    /// MQTT v5 Correlation Data; v3.1.1 subscribers get the payload alone.
    pub async fn publish_reply(
        &self,
        topic: &str,
        payload: Bytes,
        correlation_data: Option<Bytes>,
    ) -> Result<()> {
        let properties = correlation_data.map(|c| rmqtt::codec::v5::PublishProperties {
            correlation_data: Some(c),
            ..Default::default()
        });
        self.publish_with(topic, payload, false, properties).await
    }

    async fn publish_with(
        &self,
        topic: &str,
        payload: Bytes,
        retain: bool,
        properties: Option<rmqtt::codec::v5::PublishProperties>,
    ) -> Result<()> {
        topic::validate_name(topic).map_err(|message| Error::Topic {
            topic: topic.into(),
            message: message.into(),
        })?;
        if self.server.is_finished() {
            return Err(Error::Closed);
        }
        let publish = Publish::new(
            Box::new(CodecPublish {
                dup: false,
                retain,
                qos: QoS::AtLeastOnce,
                topic: topic.into(),
                packet_id: None,
                payload,
                properties,
            }),
            None,
            None,
            Some(rmqtt::utils::timestamp_millis()),
        );
        let from = From::from_system(self.daemon_id.clone());
        SessionState::forwards(&self.scx, from, publish, false, None)
            .await
            .map_err(|e| Error::Publish(e.to_string()))
    }

    /// Replaces the policy (SIGHUP). Existing connections stay; the new
    /// policy applies to every later CONNECT, SUBSCRIBE and PUBLISH.
    pub fn reload(&self, policy: Arc<dyn Policy>) {
        match self.shared.policy.write() {
            Ok(mut p) => *p = policy,
            Err(poisoned) => *poisoned.into_inner() = policy,
        }
        tracing::info!("broker policy reloaded");
    }

    /// A snapshot of the broker's counters.
    pub async fn stats(&self) -> Stats {
        let c = &self.shared.counters;
        Stats {
            auth_refused: c.auth_refused.load(Ordering::Relaxed),
            subscribe_refused: c.subscribe_refused.load(Ordering::Relaxed),
            publish_refused: c.publish_refused.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            dropped_queue_full: c.dropped_queue_full.load(Ordering::Relaxed),
            requests: c.requests.load(Ordering::Relaxed),
            reconnect_waits: c.reconnect_waits.load(Ordering::Relaxed),
            sessions: self.scx.extends.shared().await.sessions_count(),
        }
    }

    /// `false` once the server task has stopped.
    pub fn is_running(&self) -> bool {
        !self.server.is_finished()
    }

    /// A liveness probe for the daemon's heartbeat: the server task runs
    /// and the session table answers within `within`.
    pub async fn is_healthy(&self, within: Duration) -> bool {
        self.is_running()
            && tokio::time::timeout(within, async {
                self.scx.extends.shared().await.sessions_count()
            })
            .await
            .is_ok()
    }

    /// Stops the broker: aborts the listener task (no new connections),
    /// then kicks every session, in that order (rmqtt has no stop call).
    pub async fn shutdown(self) {
        self.server.abort();
        while !self.server.is_finished() {
            tokio::task::yield_now().await;
        }
        let entries: Vec<_> = self.scx.extends.shared().await.iter().collect();
        let total = entries.len();
        let kicks = entries
            .into_iter()
            .map(|mut entry| async move { entry.kick(true, true, true).await.is_ok() });
        match tokio::time::timeout(KICK_MAX, futures::future::join_all(kicks)).await {
            Ok(done) => {
                let kicked = done.into_iter().filter(|ok| *ok).count();
                tracing::info!(kicked, total, "MQTT broker stopped");
            }
            Err(_) => tracing::warn!(
                total,
                "MQTT broker stopped; some sessions did not answer the kick"
            ),
        }
    }
}
