//! The admission engine: decides, for one incoming publish, whether it is a
//! request gsmq serves, and if so whether this user may make it now.
//!
//! Guarantees: sans-IO (time is an argument); checks run in a fixed order
//! (topic owner, parse, permission, rate limit, modem) so that every
//! refusal has exactly one documented code; a refused request consumes no
//! quota.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::request::{self, Request};
use super::topics::{RequestKind, Topics};
use super::{Error, ErrorCode, Result};
use crate::api::limits::{DailyQuota, TokenBucket};
use crate::config::{Config, Permission, RouteConfig, UserConfig};

/// What to do with one incoming publish.
#[derive(Debug, Clone, PartialEq)]
pub enum Admitted {
    /// A valid, permitted request; the service carries it out. For send
    /// and USSD requests, `modem` has been resolved and checked.
    Accepted(Request),
    /// Answer this refusal on the reply topic.
    Refused { id: Option<String>, error: Error },
    /// Not a request topic of the API: ignore it.
    NotOurs,
}

/// The fields of an inbound SMS that routing rules look at.
#[derive(Debug, Clone, Copy)]
pub struct InboundMeta<'a> {
    pub from: &'a str,
    pub modem: &'a str,
    pub text: &'a str,
}

#[derive(Debug)]
struct User {
    permissions: Vec<Permission>,
    modems: Vec<String>,
    rate_per_s: f64,
    rate_burst: u32,
    daily_quota: u32,
    bucket: TokenBucket,
    quota: DailyQuota,
}

impl User {
    fn new(cfg: &UserConfig) -> User {
        User {
            permissions: cfg.permissions.clone(),
            modems: cfg.modems.clone(),
            rate_per_s: cfg.rate_per_s,
            rate_burst: cfg.rate_burst,
            daily_quota: cfg.daily_quota,
            bucket: TokenBucket::new(),
            quota: DailyQuota::new(),
        }
    }

    fn may_use(&self, modem: &str) -> bool {
        self.modems.is_empty() || self.modems.iter().any(|m| m == modem)
    }
}

#[derive(Debug)]
struct Modem {
    name: String,
    tags: Vec<String>,
    prefixes: Vec<String>,
    clients: Vec<String>,
}

/// Which modems may carry one message, decided when it is accepted; the
/// store leases it accordingly, so whichever eligible modem is free first
/// sends it (load balancing) and a dead modem simply sends nothing
/// (failover).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Every modem is eligible.
    Any,
    /// Only this modem: the client asked for it by name, or it is the only
    /// eligible one. No failover.
    Modem(String),
    /// Any of these modems (sorted, two or more).
    Group(Vec<String>),
}

/// The API's state: users with their buckets and quotas, modems, routes.
#[derive(Debug)]
pub struct Api {
    topics: Topics,
    max_parts: usize,
    max_payload_bytes: usize,
    /// `[mms] max_message_bytes`; `None` when MMS is off.
    mms_max_message_bytes: Option<usize>,
    users: HashMap<String, User>,
    modems: Vec<Modem>,
    routes: Vec<RouteConfig>,
}

impl Api {
    pub fn new(config: &Config) -> Api {
        Api {
            topics: Topics::new(&config.api.prefix),
            max_parts: config.api.max_parts as usize,
            max_payload_bytes: config.api.max_payload_bytes,
            mms_max_message_bytes: config.mms.as_ref().map(|m| m.max_message_bytes),
            users: config
                .users
                .iter()
                .map(|u| (u.name.clone(), User::new(u)))
                .collect(),
            modems: config
                .modems
                .iter()
                .map(|m| Modem {
                    name: m.name.clone(),
                    tags: m.tags.clone(),
                    prefixes: m.prefixes.clone(),
                    clients: m.clients.clone(),
                })
                .collect(),
            routes: config.api.routes.clone(),
        }
    }

    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    pub fn max_parts(&self) -> usize {
        self.max_parts
    }

    /// `[mms] max_message_bytes`, `None` when MMS is off.
    pub fn mms_max_message_bytes(&self) -> Option<usize> {
        self.mms_max_message_bytes
    }

    /// The permissions of `user` (empty for an unknown user).
    pub fn permissions(&self, user: &str) -> &[Permission] {
        self.users.get(user).map_or(&[], |u| &u.permissions)
    }

    /// Admits one publish of the authenticated `username` on `topic`.
    pub fn admit(&mut self, username: &str, topic: &str, payload: &[u8], now: Instant) -> Admitted {
        let Some(req_topic) = self.topics.parse_request(topic) else {
            return Admitted::NotOurs;
        };
        let kind = req_topic.kind;
        let max_payload = match (kind, self.mms_max_message_bytes) {
            // Attachments travel base64-encoded: 4/3 of their size plus JSON.
            (RequestKind::MmsSend, Some(mms)) => self
                .max_payload_bytes
                .max(mms.saturating_mul(4) / 3 + 16 * 1024),
            _ => self.max_payload_bytes,
        };
        let parsed = request::parse(kind, payload, max_payload);
        let id = match &parsed {
            Ok(r) => r.id().map(str::to_string),
            Err(refused) => refused.id.clone(),
        };
        let refuse = |error: Error| Admitted::Refused {
            id: id.clone(),
            error,
        };
        if req_topic.user != username {
            return refuse(Error::new(
                ErrorCode::NotPermitted,
                format!("user {username:?} may not publish to {topic:?}"),
            ));
        }
        let Some(user) = self.users.get_mut(username) else {
            return refuse(Error::new(
                ErrorCode::NotPermitted,
                format!("{username:?} is not a configured user"),
            ));
        };
        if let Some(p) = kind.permission() {
            if !user.permissions.contains(&p) {
                return refuse(Error::new(
                    ErrorCode::NotPermitted,
                    format!("user {username:?} lacks the {p:?} permission").to_lowercase(),
                ));
            }
        }
        if kind == RequestKind::MmsSend && self.mms_max_message_bytes.is_none() {
            return refuse(Error::new(
                ErrorCode::NotPermitted,
                "MMS is not enabled on this gateway (no [mms] section)",
            ));
        }
        if let Err(wait) = user.bucket.try_take(now, user.rate_per_s, user.rate_burst) {
            return refuse(
                Error::new(
                    ErrorCode::RateLimited,
                    format!(
                        "more than {} requests per second (burst {})",
                        user.rate_per_s, user.rate_burst
                    ),
                )
                .with_retry_after(wait),
            );
        }
        let request = match parsed {
            Ok(r) => r,
            Err(refused) => return refuse(refused.error.into()),
        };
        let user = &self.users[username];
        match request {
            Request::Send(mut send) => {
                match self.resolve_send_modem(user, send.modem.as_deref()) {
                    Ok(modem) => send.modem = modem,
                    Err(e) => return refuse(e),
                }
                Admitted::Accepted(Request::Send(send))
            }
            Request::Ussd(mut ussd) => {
                match self.resolve_ussd_modem(user, &ussd.modem) {
                    Ok(modem) => ussd.modem = modem,
                    Err(e) => return refuse(e),
                }
                Admitted::Accepted(Request::Ussd(ussd))
            }
            other => Admitted::Accepted(other),
        }
    }

    fn tagged<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a Modem> + 'a {
        self.modems
            .iter()
            .filter(move |m| m.tags.iter().any(|t| t == tag))
    }

    /// Where a message of `username` to `to` may go: the modems named or
    /// tagged `requested` (all when `None`), that the user may use, whose
    /// `prefixes` match `to` and whose `clients` admit the user. A modem
    /// requested by name is kept even when its prefixes would not match
    /// (the client asked for it).
    pub fn route(&self, username: &str, requested: Option<&str>, to: &str) -> Result<Route> {
        let Some(user) = self.users.get(username) else {
            return Err(Error::new(
                ErrorCode::NotPermitted,
                format!("{username:?} is not a configured user"),
            ));
        };
        if self.modems.is_empty() {
            return Ok(Route::Any);
        }
        if let Some(wanted) = requested {
            if self.modems.iter().any(|m| m.name == wanted) {
                self.resolve_send_modem(user, Some(wanted))?;
                return Ok(Route::Modem(wanted.to_string()));
            }
        }
        let mut eligible: Vec<&str> = self
            .modems
            .iter()
            .filter(|m| requested.is_none_or(|w| m.tags.iter().any(|t| t == w)))
            .filter(|m| user.may_use(&m.name))
            .filter(|m| m.prefixes.is_empty() || m.prefixes.iter().any(|p| to.starts_with(p)))
            .filter(|m| m.clients.is_empty() || m.clients.iter().any(|c| c == username))
            .map(|m| m.name.as_str())
            .collect();
        eligible.sort_unstable();
        match eligible.len() {
            0 => Err(Error::new(
                ErrorCode::InvalidRecipient,
                format!("no modem this user may use serves {to}"),
            )
            .with_field("to")),
            n if n == self.modems.len() => Ok(Route::Any),
            1 => Ok(Route::Modem(eligible[0].to_string())),
            _ => Ok(Route::Group(
                eligible.into_iter().map(str::to_string).collect(),
            )),
        }
    }

    fn resolve_send_modem(&self, user: &User, requested: Option<&str>) -> Result<Option<String>> {
        let Some(wanted) = requested else {
            return Ok(None);
        };
        if self.modems.iter().any(|m| m.name == wanted) {
            return if user.may_use(wanted) {
                Ok(Some(wanted.to_string()))
            } else {
                Err(not_permitted_modem(wanted))
            };
        }
        let mut tagged = self.tagged(wanted).peekable();
        if tagged.peek().is_none() {
            return Err(unknown_modem(wanted));
        }
        if tagged.all(|m| user.may_use(&m.name)) {
            Ok(Some(wanted.to_string()))
        } else {
            Err(not_permitted_modem(wanted))
        }
    }

    fn resolve_ussd_modem(&self, user: &User, wanted: &str) -> Result<String> {
        if self.modems.iter().any(|m| m.name == wanted) {
            return if user.may_use(wanted) {
                Ok(wanted.to_string())
            } else {
                Err(not_permitted_modem(wanted))
            };
        }
        let mut tagged = self.tagged(wanted).peekable();
        if tagged.peek().is_none() {
            return Err(unknown_modem(wanted));
        }
        tagged
            .find(|m| user.may_use(&m.name))
            .map(|m| m.name.clone())
            .ok_or_else(|| not_permitted_modem(wanted))
    }

    /// Refuses a text that needs more than `api.max_parts` parts.
    pub fn check_parts(&self, parts: usize) -> Result<()> {
        if parts > self.max_parts {
            Err(self.too_long(parts))
        } else {
            Ok(())
        }
    }

    /// The `too_long` error for a text of `parts` parts.
    pub fn too_long(&self, parts: usize) -> Error {
        Error::new(
            ErrorCode::TooLong,
            format!(
                "the text needs {parts} SMS parts, more than the maximum of {}",
                self.max_parts
            ),
        )
        .with_field("text")
    }

    /// Reserves `parts` of `user`'s daily quota at `now`.
    pub fn reserve_parts(&mut self, user: &str, parts: u64, now: DateTime<Utc>) -> Result<()> {
        let Some(u) = self.users.get_mut(user) else {
            return Err(Error::new(
                ErrorCode::NotPermitted,
                format!("{user:?} is not a configured user"),
            ));
        };
        u.quota
            .try_reserve(parts, u.daily_quota, now)
            .map_err(|wait| {
                Error::new(
                    ErrorCode::QuotaExceeded,
                    format!(
                        "the daily quota of {} SMS parts would be exceeded ({} used today)",
                        u.daily_quota,
                        u.quota.used(now)
                    ),
                )
                .with_retry_after(wait)
            })
    }

    /// Restores parts `user` already used today (from the store, at
    /// start-up); unknown users are ignored.
    pub fn restore_used_parts(&mut self, user: &str, parts: u64, now: DateTime<Utc>) {
        if let Some(u) = self.users.get_mut(user) {
            u.quota.add_used(parts, now);
        }
    }

    /// Gives back parts that were reserved but not sent (duplicates, failed commits).
    pub fn refund_parts(&mut self, user: &str, parts: u64, now: DateTime<Utc>) {
        if let Some(u) = self.users.get_mut(user) {
            u.quota.refund(parts, now);
        }
    }

    /// The topics an inbound SMS is published on: the shared inbox, plus
    /// `{prefix}/{user}/sms/inbox` for each user a route selects.
    pub fn inbox_topics(&self, meta: InboundMeta<'_>) -> Vec<String> {
        let mut topics = vec![self.topics.inbox()];
        for route in self.routes.iter().filter(|r| route_matches(r, meta)) {
            let t = self.topics.user_inbox(&route.user);
            if !topics.contains(&t) {
                topics.push(t);
            }
        }
        topics
    }

    /// Which request kinds exist (for the service's served filters).
    pub fn served_filters(&self) -> Vec<String> {
        self.topics.served_filters()
    }

    /// Whether `kind` is a request the service serves (all of them).
    pub fn serves(&self, kind: RequestKind) -> bool {
        RequestKind::ALL.contains(&kind)
    }
}

fn unknown_modem(name: &str) -> Error {
    Error::new(
        ErrorCode::UnknownModem,
        format!("no modem is named or tagged {name:?}"),
    )
    .with_field("modem")
}

fn not_permitted_modem(name: &str) -> Error {
    Error::new(
        ErrorCode::NotPermitted,
        format!("modem {name:?} is not among this user's modems"),
    )
    .with_field("modem")
}

/// Whether a route selects an inbound SMS: every criterion it names must hold.
pub fn route_matches(route: &RouteConfig, meta: InboundMeta<'_>) -> bool {
    let keyword_ok = route.keyword.as_deref().is_none_or(|k| {
        meta.text
            .split_whitespace()
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case(k) || w.to_lowercase() == k.to_lowercase())
    });
    let sender_ok = route
        .sender
        .as_deref()
        .is_none_or(|s| meta.from.starts_with(s));
    let modem_ok = route.modem.as_deref().is_none_or(|m| meta.modem == m);
    keyword_ok && sender_ok && modem_ok
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;
    use crate::api::request::{CancelTarget, ReplayRequest};

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9Q0r3m7mGdXqV3x9q1gW0J3Q9ZpW6o9pGQW2yOq0eIY";

    fn config() -> Config {
        let text = format!(
            r#"
[broker]
listen = "127.0.0.1:1883"
[storage]
path = "x"
[api]
max_parts = 3
max_payload_bytes = 1024
[[api.route]]
user = "bob"
keyword = "stop"
[[api.route]]
user = "carol"
sender = "+49"
modem = "m2"
[[user]]
name = "alice"
password_hash = "{HASH}"
permissions = ["send", "ussd", "inbox"]
rate_per_s = 1.0
rate_burst = 2
daily_quota = 5
[[user]]
name = "bob"
password_hash = "{HASH}"
permissions = ["send"]
modems = ["m1"]
[[user]]
name = "eve"
password_hash = "{HASH}"
[[user]]
name = "carol"
password_hash = "{HASH}"
[[modem]]
name = "m1"
port = "sim:generic"
tags = ["cheap", "all"]
[[modem]]
name = "m2"
port = "sim:generic"
tags = ["all"]
"#
        );
        Config::parse(&text, Path::new("t.toml")).unwrap()
    }

    fn refused(a: Admitted) -> (Option<String>, Error) {
        match a {
            Admitted::Refused { id, error } => (id, error),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn accepted(a: Admitted) -> Request {
        match a {
            Admitted::Accepted(r) => r,
            other => panic!("expected acceptance, got {other:?}"),
        }
    }

    const SEND: &str = "gsmq/alice/sms/send";

    #[test]
    fn a_valid_send_is_accepted() {
        let mut api = Api::new(&config());
        let r = accepted(api.admit(
            "alice",
            SEND,
            br#"{"id":"1","to":"+4917112345","text":"hi"}"#,
            Instant::now(),
        ));
        let Request::Send(s) = r else { panic!() };
        assert_eq!(s.to, vec!["+4917112345"]);
        assert_eq!(s.modem, None);
    }

    #[test]
    fn other_topics_are_not_ours() {
        let mut api = Api::new(&config());
        assert_eq!(
            api.admit("alice", "gsmq/alice/reply", b"{}", Instant::now()),
            Admitted::NotOurs
        );
        assert_eq!(
            api.admit("alice", "elsewhere", b"{}", Instant::now()),
            Admitted::NotOurs
        );
    }

    #[test]
    fn publishing_in_another_users_namespace_is_not_permitted() {
        let mut api = Api::new(&config());
        let (id, e) = refused(api.admit(
            "alice",
            "gsmq/bob/sms/send",
            br#"{"id":"z","to":"12345","text":"x"}"#,
            Instant::now(),
        ));
        assert_eq!(
            (id.as_deref(), e.code),
            (Some("z"), ErrorCode::NotPermitted)
        );
    }

    #[test]
    fn a_request_without_the_permission_is_not_permitted() {
        let mut api = Api::new(&config());
        let now = Instant::now();
        let (_, e) = refused(api.admit(
            "eve",
            "gsmq/eve/sms/send",
            br#"{"to":"12345","text":"x"}"#,
            now,
        ));
        assert_eq!(e.code, ErrorCode::NotPermitted);
        let (_, e) = refused(api.admit(
            "bob",
            "gsmq/bob/ussd",
            br#"{"modem":"m1","code":"*100#"}"#,
            now,
        ));
        assert_eq!(e.code, ErrorCode::NotPermitted);
        let (_, e) =
            refused(api.admit("ghost", "gsmq/ghost/events/replay", br#"{"after":0}"#, now));
        assert_eq!(e.code, ErrorCode::NotPermitted);
        // Replay needs no permission.
        assert_eq!(
            accepted(api.admit("eve", "gsmq/eve/events/replay", br#"{"after":0}"#, now)),
            Request::Replay(ReplayRequest {
                id: None,
                after: 0,
                limit: 100
            })
        );
    }

    #[test]
    fn the_rate_limit_refuses_with_retry_after_and_echoes_the_id() {
        let mut api = Api::new(&config());
        let t0 = Instant::now();
        let body = br#"{"id":"r","to":"12345","text":"x"}"#;
        accepted(api.admit("alice", SEND, body, t0));
        accepted(api.admit("alice", SEND, body, t0));
        let (id, e) = refused(api.admit("alice", SEND, body, t0));
        assert_eq!(id.as_deref(), Some("r"));
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert_eq!(e.retry_after_ms, Some(1000));
        accepted(api.admit("alice", SEND, body, t0 + Duration::from_secs(1)));
    }

    #[test]
    fn invalid_requests_also_spend_rate_tokens() {
        let mut api = Api::new(&config());
        let t0 = Instant::now();
        for _ in 0..2 {
            let (_, e) = refused(api.admit("alice", SEND, b"nope", t0));
            assert_eq!(e.code, ErrorCode::InvalidJson);
        }
        let (_, e) = refused(api.admit("alice", SEND, b"nope", t0));
        assert_eq!(e.code, ErrorCode::RateLimited);
    }

    #[test]
    fn parse_errors_become_replies_with_code_and_field() {
        let mut api = Api::new(&config());
        let (id, e) = refused(api.admit(
            "bob",
            "gsmq/bob/sms/send",
            br#"{"id":"q","to":"12345","text":"x","colour":"red"}"#,
            Instant::now(),
        ));
        assert_eq!(id.as_deref(), Some("q"));
        assert_eq!(e.code, ErrorCode::InvalidField);
        assert_eq!(e.field.as_deref(), Some("colour"));
        let (_, e) = refused(api.admit("bob", "gsmq/bob/sms/send", &[b' '; 1025], Instant::now()));
        assert_eq!(e.code, ErrorCode::PayloadTooLarge);
    }

    #[test]
    fn modems_resolve_by_name_or_tag_within_the_users_modems() {
        let mut api = Api::new(&config());
        let now = Instant::now();
        let mut send = |user: &str, modem: Option<&str>| {
            let mut body = serde_json::json!({"to": "12345", "text": "x"});
            if let Some(m) = modem {
                body["modem"] = m.into();
            }
            api.admit(
                user,
                &format!("gsmq/{user}/sms/send"),
                body.to_string().as_bytes(),
                now,
            )
        };
        let modem_of = |a: Admitted| match accepted(a) {
            Request::Send(s) => s.modem,
            _ => panic!(),
        };
        assert_eq!(modem_of(send("alice", Some("m2"))).as_deref(), Some("m2"));
        assert_eq!(
            modem_of(send("bob", Some("cheap"))).as_deref(),
            Some("cheap")
        );
        // No modem asked for: routing decides per recipient (see `route`).
        assert_eq!(modem_of(send("bob", None)), None);
        let (_, e) = refused(send("bob", Some("m2")));
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::NotPermitted, Some("modem"))
        );
        let (_, e) = refused(send("bob", Some("all")));
        assert_eq!(e.code, ErrorCode::NotPermitted);
        let (_, e) = refused(send("bob", Some("nope")));
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::UnknownModem, Some("modem"))
        );
    }

    #[test]
    fn routing_picks_the_eligible_modems_by_name_tag_user_prefix_and_client() {
        let text = format!(
            r#"
[broker]
listen = "127.0.0.1:1883"
[storage]
path = "x"
[[user]]
name = "alice"
password_hash = "{HASH}"
permissions = ["send"]
[[user]]
name = "bob"
password_hash = "{HASH}"
permissions = ["send"]
modems = ["de1", "fr"]
[[modem]]
name = "de1"
port = "sim:generic"
tags = ["de"]
prefixes = ["+49"]
[[modem]]
name = "de2"
port = "sim:generic"
tags = ["de"]
prefixes = ["+49"]
[[modem]]
name = "fr"
port = "sim:generic"
prefixes = ["+33"]
[[modem]]
name = "ops"
port = "sim:generic"
clients = ["carol"]
"#
        );
        let api = Api::new(&Config::parse(&text, Path::new("t.toml")).unwrap());
        let group = |names: &[&str]| Route::Group(names.iter().map(|n| n.to_string()).collect());
        // Both German modems may carry a German number; "ops" serves carol only.
        assert_eq!(
            api.route("alice", None, "+4917012345"),
            Ok(group(&["de1", "de2"]))
        );
        assert_eq!(
            api.route("alice", Some("de"), "+4917012345"),
            Ok(group(&["de1", "de2"]))
        );
        assert_eq!(
            api.route("alice", None, "+3361234567"),
            Ok(Route::Modem("fr".into()))
        );
        // A modem asked for by name is kept: the client chose it.
        assert_eq!(
            api.route("alice", Some("de2"), "+3361234567"),
            Ok(Route::Modem("de2".into()))
        );
        // bob may use de1 and fr only.
        assert_eq!(
            api.route("bob", None, "+4917012345"),
            Ok(Route::Modem("de1".into()))
        );
        let e = api.route("alice", None, "+1555123456").unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidRecipient, Some("to"))
        );
        let e = api.route("alice", Some("de"), "+3361234567").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRecipient);
        // With every modem eligible the message is not pinned at all.
        let open = Api::new(&config());
        assert_eq!(open.route("alice", None, "12345"), Ok(Route::Any));
        assert_eq!(open.route("alice", Some("all"), "12345"), Ok(Route::Any));
        assert_eq!(
            open.route("alice", Some("cheap"), "12345"),
            Ok(Route::Modem("m1".into()))
        );
    }

    #[test]
    fn ussd_resolves_a_tag_to_one_permitted_modem() {
        let mut api = Api::new(&config());
        let now = Instant::now();
        let r = accepted(api.admit(
            "alice",
            "gsmq/alice/ussd",
            br#"{"modem":"all","code":"*100#"}"#,
            now,
        ));
        let Request::Ussd(u) = r else { panic!() };
        assert_eq!(u.modem, "m1");
        let (_, e) = refused(api.admit(
            "alice",
            "gsmq/alice/ussd",
            br#"{"modem":"zz","code":"*100#"}"#,
            now + Duration::from_secs(5),
        ));
        assert_eq!(e.code, ErrorCode::UnknownModem);
    }

    #[test]
    fn cancel_is_accepted_for_senders() {
        let mut api = Api::new(&config());
        let r = accepted(api.admit(
            "bob",
            "gsmq/bob/sms/cancel",
            br#"{"id":"k"}"#,
            Instant::now(),
        ));
        assert_eq!(
            r,
            Request::Cancel(request::CancelRequest {
                target: CancelTarget::Key("k".into())
            })
        );
    }

    #[test]
    fn too_many_parts_is_too_long() {
        let api = Api::new(&config());
        assert!(api.check_parts(3).is_ok());
        let e = api.check_parts(4).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::TooLong, Some("text"))
        );
    }

    #[test]
    fn the_daily_quota_counts_parts_and_refunds_duplicates() {
        let mut api = Api::new(&config());
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 23, 0, 0).unwrap();
        api.reserve_parts("alice", 4, now).unwrap();
        let e = api.reserve_parts("alice", 2, now).unwrap_err();
        assert_eq!(e.code, ErrorCode::QuotaExceeded);
        assert_eq!(e.retry_after_ms, Some(3_600_000));
        api.refund_parts("alice", 4, now);
        api.reserve_parts("alice", 5, now).unwrap();
        // bob has no quota.
        api.reserve_parts("bob", 1_000, now).unwrap();
    }

    #[test]
    fn routes_select_inbox_topics_by_keyword_sender_and_modem() {
        let api = Api::new(&config());
        let topics = |from, modem, text| api.inbox_topics(InboundMeta { from, modem, text });
        assert_eq!(topics("+1555", "m1", "hello"), vec!["gsmq/inbox/sms"]);
        assert_eq!(
            topics("+1555", "m1", "STOP now"),
            vec!["gsmq/inbox/sms", "gsmq/bob/sms/inbox"]
        );
        assert_eq!(topics("+1555", "m1", "stopped"), vec!["gsmq/inbox/sms"]);
        assert_eq!(
            topics("+4917", "m2", "Stop"),
            vec![
                "gsmq/inbox/sms",
                "gsmq/bob/sms/inbox",
                "gsmq/carol/sms/inbox"
            ]
        );
        assert_eq!(topics("+4917", "m1", "hi"), vec!["gsmq/inbox/sms"]);
    }
}
