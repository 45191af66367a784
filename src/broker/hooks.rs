//! rmqtt hook handler: authentication, subscribe/publish ACL, will-topic
//! ACL at CONNECT, the publish tap that turns served PUBLISHes into
//! [`Request`]s, the message-dropped counter and the issue #34 workaround.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use rmqtt::context::ServerContext;
use rmqtt::hook::{Handler, HookResult, Parameter, ReturnType};
use rmqtt::session::Session;
use rmqtt::types::{
    AuthResult, ConnectInfo, LastWill, Publish, PublishAclResult, Reason, SubscribeAclResult,
};

use super::{topic, Request, Shared, RECONNECT_WAIT_MAX};

/// Poll step while waiting for a previous session to go away.
const RECONNECT_POLL: std::time::Duration = std::time::Duration::from_millis(2);

pub(super) struct Hooks {
    scx: ServerContext,
    shared: Arc<Shared>,
}

impl Hooks {
    pub(super) fn new(scx: ServerContext, shared: Arc<Shared>) -> Self {
        Self { scx, shared }
    }

    async fn authenticate(&self, ci: &ConnectInfo) -> AuthResult {
        let counters = &self.shared.counters;
        let client_id = ci.id().client_id.to_string();
        let Some(username) = ci.username().map(|u| u.to_string()) else {
            // Only reached when anonymous access is off (rmqtt answers
            // anonymous CONNECTs itself when it is on).
            counters.auth_refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%client_id, "login refused: no username and anonymous access is off");
            return AuthResult::NotAuthorized;
        };
        let password = ci.password().cloned().unwrap_or_default();
        let policy = self.shared.policy();
        let user = username.clone();
        let ok = tokio::task::spawn_blocking(move || policy.authenticate(&user, &password))
            .await
            .unwrap_or(false);
        if !ok {
            counters.auth_refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%client_id, %username, "login refused: bad username or password");
            // MQTT 3.1.1 code 4 means *malformed* credentials; a wrong password
            // is 5 "not authorized" there (as Mosquitto answers), and 0x86
            // "bad user name or password" in MQTT 5.
            return if ci.proto_ver() == rmqtt::codec::types::MQTT_LEVEL_5 {
                AuthResult::BadUsernameOrPassword
            } else {
                AuthResult::NotAuthorized
            };
        }
        if let Some(will) = ci.last_will() {
            let will_topic = match will {
                LastWill::V3(w) => w.topic.to_string(),
                LastWill::V5(w) => w.topic.to_string(),
            };
            if !self.shared.policy().may_publish(&username, &will_topic) {
                counters.auth_refused.fetch_add(1, Ordering::Relaxed);
                counters.publish_refused.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%client_id, %username, topic = %will_topic, "login refused: will topic not allowed by the ACL");
                return AuthResult::NotAuthorized;
            }
        }
        self.take_over_clean_session(ci).await;
        AuthResult::Allow(false, None)
    }

    /// The issue #34 workaround. rmqtt 0.24 kicks an existing session with
    /// the same client id and refuses the CONNECT (CONNACK 3 / 0x88) when
    /// that session dies before answering the kick, which happens when a
    /// client reconnects within milliseconds of a DISCONNECT. A session
    /// that ends with its connection has nothing to hand over, so we kick
    /// it here ourselves; if it is already dying, we wait (bounded) until
    /// rmqtt has removed it. Persistent sessions are left to rmqtt: their
    /// offline loop always answers the kick.
    async fn take_over_clean_session(&self, ci: &ConnectInfo) {
        let client_id = ci.id().client_id.clone();
        let mut entry = self.scx.extends.shared().await.entry(ci.id().clone());
        let Some(old) = entry.session() else { return };
        if !ends_with_connection(&old).await {
            return;
        }
        if entry.kick(true, true, false).await.is_ok() {
            return;
        }
        let start = Instant::now();
        while start.elapsed() < RECONNECT_WAIT_MAX
            && self.scx.extends.shared().await.exist(&client_id)
        {
            tokio::time::sleep(RECONNECT_POLL).await;
        }
        self.shared
            .counters
            .reconnect_waits
            .fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%client_id, waited = ?start.elapsed(), "CONNECT waited for the previous session to end");
    }

    fn username(s: &Session) -> String {
        s.id.username
            .as_ref()
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    fn check_publish(&self, s: &Session, p: &Publish) -> bool {
        self.shared
            .policy()
            .may_publish(&Self::username(s), &p.topic)
    }

    /// The publish tap. rmqtt runs it *before* the publish ACL, so the ACL
    /// is applied here again: a refused PUBLISH never becomes a Request.
    async fn tap(&self, s: Option<&Session>, p: &Publish) {
        let Some(s) = s else { return };
        if !self
            .shared
            .served
            .iter()
            .any(|f| topic::matches(f, &p.topic))
        {
            return;
        }
        if !self.check_publish(s, p) {
            return;
        }
        let username = Self::username(s);
        let props = p.properties.as_ref();
        let policy = self.shared.policy();
        let response_topic = props
            .and_then(|pp| pp.response_topic.as_ref())
            .map(|t| t.to_string())
            .filter(|t| {
                // Replies go only where the requester itself may publish and
                // read, so a response topic cannot inject into others' topics.
                let ok = topic::validate_name(t).is_ok()
                    && policy.may_publish(&username, t)
                    && policy.may_subscribe(&username, t);
                if !ok {
                    tracing::warn!(client_id = %s.id.client_id, %username, response_topic = %t, "response topic outside the ACL ignored");
                }
                ok
            });
        let request = Request {
            client_id: s.id.client_id.to_string(),
            username,
            topic: p.topic.to_string(),
            payload: p.payload.clone(),
            response_topic,
            correlation_data: props.and_then(|pp| pp.correlation_data.clone()),
        };
        // A full channel makes this client's session wait (backpressure).
        if self.shared.requests.send(request).await.is_err() {
            tracing::warn!(topic = %p.topic, "request dropped: the daemon no longer consumes requests");
            return;
        }
        self.shared
            .counters
            .requests
            .fetch_add(1, Ordering::Relaxed);
    }
}

#[async_trait]
impl Handler for Hooks {
    async fn hook(&self, param: &Parameter, acc: Option<HookResult>) -> ReturnType {
        let counters = &self.shared.counters;
        match param {
            Parameter::ClientAuthenticate(ci) => {
                let result = self.authenticate(ci).await;
                (false, Some(HookResult::AuthResult(result)))
            }
            Parameter::ClientSubscribeCheckAcl(s, sub) => {
                let username = Self::username(s);
                if self
                    .shared
                    .policy()
                    .may_subscribe(&username, &sub.topic_filter)
                {
                    let ok = SubscribeAclResult::new_success(sub.opts.qos(), None);
                    (false, Some(HookResult::SubscribeAclResult(ok)))
                } else {
                    counters.subscribe_refused.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(client_id = %s.id.client_id, %username, filter = %sub.topic_filter, "SUBSCRIBE refused by the ACL");
                    let refused = SubscribeAclResult::new_failure(
                        rmqtt::codec::v5::SubscribeAckReason::NotAuthorized,
                    );
                    (false, Some(HookResult::SubscribeAclResult(refused)))
                }
            }
            Parameter::MessagePublishCheckAcl(s, p) => {
                if self.check_publish(s, p) {
                    (
                        false,
                        Some(HookResult::PublishAclResult(PublishAclResult::allow())),
                    )
                } else {
                    counters.publish_refused.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(client_id = %s.id.client_id, username = %Self::username(s), topic = %p.topic, qos = ?p.qos, "PUBLISH refused by the ACL");
                    let refused = PublishAclResult::rejected(false, None);
                    (false, Some(HookResult::PublishAclResult(refused)))
                }
            }
            Parameter::MessagePublish(s, _from, p) => {
                self.tap(*s, p).await;
                (true, acc)
            }
            Parameter::MessageDropped(to, from, p, reason) => {
                if !matches!(reason, Reason::PublishResult(_)) {
                    counters.dropped.fetch_add(1, Ordering::Relaxed);
                    if matches!(reason, Reason::MessageQueueFull) {
                        counters.dropped_queue_full.fetch_add(1, Ordering::Relaxed);
                    }
                    tracing::warn!(to = ?to.as_ref().map(|t| t.client_id.to_string()), from = %from.client_id, topic = %p.topic, qos = ?p.qos, %reason, "message dropped");
                }
                (true, acc)
            }
            _ => (true, acc),
        }
    }
}

/// Does this session end when its connection ends (v3 clean session, v5
/// session expiry 0)?
async fn ends_with_connection(s: &Session) -> bool {
    match s.connect_info().await.as_deref() {
        Ok(ConnectInfo::V3(_, c)) => c.clean_session,
        Ok(ConnectInfo::V5(..)) => s.fitter.session_expiry_interval(None).is_zero(),
        Err(_) => false,
    }
}
