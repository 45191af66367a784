//! The MQTT topic schema: building and parsing every topic gsmq serves or
//! publishes, and the access rules for the gsmq namespace.
//!
//! Guarantees: this is the only place in the crate that spells a topic
//! string. Parsing never panics and never allocates; a topic that is not
//! exactly one of the request topics parses to `None`.

use crate::config::Permission;

/// Every topic of the API as a template (`{prefix}`, `{user}`, `{name}`
/// are placeholders). docs/asyncapi.yaml documents exactly these.
pub const TEMPLATES: &[&str] = &[
    SEND,
    CANCEL,
    USSD,
    REPLAY,
    REPLY,
    STATUS,
    USER_INBOX,
    INBOX,
    MODEM_STATE,
    GATEWAY_STATUS,
];

/// `{prefix}/{user}/sms/send` (client → gsmq).
pub const SEND: &str = "{prefix}/{user}/sms/send";
/// `{prefix}/{user}/sms/cancel` (client → gsmq).
pub const CANCEL: &str = "{prefix}/{user}/sms/cancel";
/// `{prefix}/{user}/ussd` (client → gsmq).
pub const USSD: &str = "{prefix}/{user}/ussd";
/// `{prefix}/{user}/events/replay` (client → gsmq).
pub const REPLAY: &str = "{prefix}/{user}/events/replay";
/// `{prefix}/{user}/reply` (gsmq → client).
pub const REPLY: &str = "{prefix}/{user}/reply";
/// `{prefix}/{user}/sms/status` (gsmq → client).
pub const STATUS: &str = "{prefix}/{user}/sms/status";
/// `{prefix}/{user}/sms/inbox` (gsmq → client, chosen by routing rules).
pub const USER_INBOX: &str = "{prefix}/{user}/sms/inbox";
/// `{prefix}/inbox/sms` (gsmq → users with the `inbox` permission).
pub const INBOX: &str = "{prefix}/inbox/sms";
/// `{prefix}/modem/{name}/state` (gsmq → clients, retained).
pub const MODEM_STATE: &str = "{prefix}/modem/{name}/state";
/// `{prefix}/status` (gsmq → clients, retained): `online` / `offline`.
pub const GATEWAY_STATUS: &str = "{prefix}/status";

// Level names under the prefix. A user may not be called like one of
// the shared namespaces below (see `Topics::is_reserved_user`).
const LEVEL_INBOX: &str = "inbox";
const LEVEL_MODEM: &str = "modem";
const LEVEL_STATUS: &str = "status";

/// The request topics gsmq consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    Send,
    Cancel,
    Ussd,
    Replay,
}

impl RequestKind {
    /// All request kinds.
    pub const ALL: [RequestKind; 4] = [
        RequestKind::Send,
        RequestKind::Cancel,
        RequestKind::Ussd,
        RequestKind::Replay,
    ];

    /// The levels after `{prefix}/{user}/`.
    fn suffix(self) -> &'static str {
        match self {
            RequestKind::Send => "sms/send",
            RequestKind::Cancel => "sms/cancel",
            RequestKind::Ussd => "ussd",
            RequestKind::Replay => "events/replay",
        }
    }

    /// The permission a user needs for this request, if any.
    pub fn permission(self) -> Option<Permission> {
        match self {
            RequestKind::Send | RequestKind::Cancel => Some(Permission::Send),
            RequestKind::Ussd => Some(Permission::Ussd),
            RequestKind::Replay => None,
        }
    }

    /// The topic template of this request kind.
    pub fn template(self) -> &'static str {
        match self {
            RequestKind::Send => SEND,
            RequestKind::Cancel => CANCEL,
            RequestKind::Ussd => USSD,
            RequestKind::Replay => REPLAY,
        }
    }
}

/// A parsed request topic: whose namespace and which request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTopic<'a> {
    pub user: &'a str,
    pub kind: RequestKind,
}

/// The topic schema under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    prefix: String,
}

impl Topics {
    /// The schema under `prefix` (validated by config: non-empty, no wildcards).
    pub fn new(prefix: &str) -> Topics {
        Topics {
            prefix: prefix.trim_end_matches('/').to_string(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn user_topic(&self, user: &str, suffix: &str) -> String {
        format!("{}/{user}/{suffix}", self.prefix)
    }

    /// The request topic of `kind` for `user`.
    pub fn request(&self, user: &str, kind: RequestKind) -> String {
        self.user_topic(user, kind.suffix())
    }

    /// `{prefix}/{user}/reply`.
    pub fn reply(&self, user: &str) -> String {
        self.user_topic(user, "reply")
    }

    /// `{prefix}/{user}/sms/status`.
    pub fn status(&self, user: &str) -> String {
        self.user_topic(user, "sms/status")
    }

    /// `{prefix}/{user}/sms/inbox`.
    pub fn user_inbox(&self, user: &str) -> String {
        self.user_topic(user, "sms/inbox")
    }

    /// `{prefix}/inbox/sms`.
    pub fn inbox(&self) -> String {
        format!("{}/{LEVEL_INBOX}/sms", self.prefix)
    }

    /// `{prefix}/modem/{name}/state`.
    pub fn modem_state(&self, name: &str) -> String {
        format!("{}/{LEVEL_MODEM}/{name}/state", self.prefix)
    }

    /// `{prefix}/status`.
    pub fn gateway_status(&self) -> String {
        format!("{}/{LEVEL_STATUS}", self.prefix)
    }

    /// The filters the daemon consumes (`{prefix}/+/sms/send`, ...), for
    /// `broker::Broker::start`.
    pub fn served_filters(&self) -> Vec<String> {
        RequestKind::ALL
            .iter()
            .map(|k| self.user_topic("+", k.suffix()))
            .collect()
    }

    /// Parses a request topic; `None` for anything else.
    pub fn parse_request<'a>(&self, topic: &'a str) -> Option<RequestTopic<'a>> {
        let rest = topic
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix('/')?;
        let (user, suffix) = rest.split_once('/')?;
        if user.is_empty() || Self::is_reserved_user(user) {
            return None;
        }
        let kind = RequestKind::ALL
            .into_iter()
            .find(|k| k.suffix() == suffix)?;
        Some(RequestTopic { user, kind })
    }

    /// Whether `name` collides with a shared namespace under the prefix
    /// (`inbox`, `modem`, `status`); such users cannot use the API.
    pub fn is_reserved_user(name: &str) -> bool {
        matches!(name, LEVEL_INBOX | LEVEL_MODEM | LEVEL_STATUS)
    }

    /// Whether `topic` lies under the prefix (`{prefix}` or `{prefix}/...`).
    pub fn is_under_prefix(&self, topic: &str) -> bool {
        match topic.strip_prefix(self.prefix.as_str()) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }

    /// Where the reply to a request of `user` goes: the MQTT v5 Response
    /// Topic when it is a plain topic the user owns (outside the prefix or
    /// in the user's own namespace), else `{prefix}/{user}/reply`.
    pub fn reply_destination(&self, user: &str, response_topic: Option<&str>) -> String {
        match response_topic {
            Some(t)
                if !t.is_empty()
                    && !t.contains(['+', '#', '\0'])
                    && (!self.is_under_prefix(t)
                        || t.strip_prefix(self.prefix.as_str())
                            .and_then(|r| r.strip_prefix('/'))
                            .and_then(|r| r.strip_prefix(user))
                            .is_some_and(|r| r.starts_with('/'))) =>
            {
                t.to_string()
            }
            _ => self.reply(user),
        }
    }

    /// ACL for client publishes inside the gsmq namespace: a user may only
    /// publish to their own request topics, and only with the permission
    /// the request needs. Topics outside the prefix are not gsmq's and are
    /// allowed.
    pub fn may_publish(&self, user: &str, permissions: &[Permission], topic: &str) -> bool {
        if !self.is_under_prefix(topic) {
            return !topic.contains(['+', '#']);
        }
        match self.parse_request(topic) {
            Some(req) if req.user == user => req
                .kind
                .permission()
                .is_none_or(|p| permissions.contains(&p)),
            _ => false,
        }
    }

    /// ACL for subscriptions inside the gsmq namespace. A filter is allowed
    /// when every topic it can match is one the user may read: the user's
    /// own namespace, `{prefix}/status` for everyone, `{prefix}/inbox/...`
    /// with `inbox`, and `{prefix}/modem/...` with `status`. Filters outside
    /// the prefix (that cannot match inside it) are allowed.
    pub fn may_subscribe(&self, user: &str, permissions: &[Permission], filter: &str) -> bool {
        let filter_levels: Vec<&str> = filter.split('/').collect();
        let prefix_levels: Vec<&str> = self.prefix.split('/').collect();
        if !could_match_prefix(&filter_levels, &prefix_levels) {
            return true;
        }
        if Self::is_reserved_user(user) {
            return false;
        }
        let mut allowed: Vec<(Vec<&str>, bool)> = vec![
            (with_prefix(&prefix_levels, &[user]), true),
            (with_prefix(&prefix_levels, &[LEVEL_STATUS]), false),
        ];
        if permissions.contains(&Permission::Inbox) {
            allowed.push((with_prefix(&prefix_levels, &[LEVEL_INBOX]), true));
        }
        if permissions.contains(&Permission::Status) {
            allowed.push((with_prefix(&prefix_levels, &[LEVEL_MODEM]), true));
        }
        allowed
            .iter()
            .any(|(levels, subtree)| subsumed(&filter_levels, levels, *subtree))
    }
}

fn with_prefix<'a>(prefix: &[&'a str], rest: &[&'a str]) -> Vec<&'a str> {
    prefix.iter().chain(rest.iter()).copied().collect()
}

/// Whether a filter could match some topic starting with the prefix levels.
fn could_match_prefix(filter: &[&str], prefix: &[&str]) -> bool {
    for (i, p) in prefix.iter().enumerate() {
        match filter.get(i) {
            None => return false,
            Some(&"#") => return true,
            Some(&"+") => continue,
            Some(f) if f == p => continue,
            Some(_) => return false,
        }
    }
    true
}

/// Whether every topic `filter` matches lies at `base` (or, with `subtree`,
/// at or below it).
fn subsumed(filter: &[&str], base: &[&str], subtree: bool) -> bool {
    if filter.len() < base.len() {
        return false;
    }
    if filter.iter().zip(base).any(|(f, b)| f != b) {
        return false;
    }
    if subtree {
        true
    } else {
        filter.len() == base.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> Topics {
        Topics::new("gsmq")
    }

    #[test]
    fn every_topic_is_built_from_its_template() {
        let t = topics();
        let fill = |tpl: &str| {
            tpl.replace("{prefix}", "gsmq")
                .replace("{user}", "alice")
                .replace("{name}", "m1")
        };
        assert_eq!(t.request("alice", RequestKind::Send), fill(SEND));
        assert_eq!(t.request("alice", RequestKind::Cancel), fill(CANCEL));
        assert_eq!(t.request("alice", RequestKind::Ussd), fill(USSD));
        assert_eq!(t.request("alice", RequestKind::Replay), fill(REPLAY));
        assert_eq!(t.reply("alice"), fill(REPLY));
        assert_eq!(t.status("alice"), fill(STATUS));
        assert_eq!(t.user_inbox("alice"), fill(USER_INBOX));
        assert_eq!(t.inbox(), fill(INBOX));
        assert_eq!(t.modem_state("m1"), fill(MODEM_STATE));
        assert_eq!(t.gateway_status(), fill(GATEWAY_STATUS));
    }

    #[test]
    fn request_topics_parse_back_to_user_and_kind() {
        let t = Topics::new("a/b");
        for kind in RequestKind::ALL {
            let topic = t.request("bob", kind);
            assert_eq!(
                t.parse_request(&topic),
                Some(RequestTopic { user: "bob", kind })
            );
        }
    }

    #[test]
    fn non_request_topics_do_not_parse() {
        let t = topics();
        for topic in [
            "gsmq/alice/reply",
            "gsmq/alice/sms/send/x",
            "gsmq//sms/send",
            "gsmqx/alice/sms/send",
            "gsmq/inbox/sms/send",
            "other/alice/sms/send",
            "gsmq",
            "",
        ] {
            assert_eq!(t.parse_request(topic), None, "{topic}");
        }
    }

    #[test]
    fn served_filters_cover_every_request_kind() {
        assert_eq!(
            topics().served_filters(),
            vec![
                "gsmq/+/sms/send",
                "gsmq/+/sms/cancel",
                "gsmq/+/ussd",
                "gsmq/+/events/replay"
            ]
        );
    }

    #[test]
    fn a_user_publishes_only_to_own_request_topics_with_the_permission() {
        let t = topics();
        let send = [Permission::Send];
        assert!(t.may_publish("alice", &send, "gsmq/alice/sms/send"));
        assert!(t.may_publish("alice", &send, "gsmq/alice/events/replay"));
        assert!(!t.may_publish("alice", &send, "gsmq/alice/ussd"));
        assert!(!t.may_publish("alice", &send, "gsmq/bob/sms/send"));
        assert!(!t.may_publish("alice", &send, "gsmq/alice/reply"));
        assert!(!t.may_publish("alice", &send, "gsmq/status"));
        assert!(!t.may_publish("alice", &[], "gsmq/alice/sms/send"));
        assert!(t.may_publish("alice", &[], "app/anything"));
    }

    #[test]
    fn subscriptions_are_limited_to_what_the_user_may_read() {
        let t = topics();
        let none: [Permission; 0] = [];
        assert!(t.may_subscribe("alice", &none, "gsmq/alice/#"));
        assert!(t.may_subscribe("alice", &none, "gsmq/alice/reply"));
        assert!(t.may_subscribe("alice", &none, "gsmq/status"));
        assert!(!t.may_subscribe("alice", &none, "gsmq/status/#"));
        assert!(!t.may_subscribe("alice", &none, "gsmq/bob/reply"));
        assert!(!t.may_subscribe("alice", &none, "gsmq/+/reply"));
        assert!(!t.may_subscribe("alice", &none, "gsmq/#"));
        assert!(!t.may_subscribe("alice", &none, "#"));
        assert!(!t.may_subscribe("alice", &none, "+/alice/reply"));
        assert!(!t.may_subscribe("alice", &none, "gsmq/inbox/sms"));
        assert!(t.may_subscribe("alice", &[Permission::Inbox], "gsmq/inbox/sms"));
        assert!(!t.may_subscribe("alice", &none, "gsmq/modem/+/state"));
        assert!(t.may_subscribe("alice", &[Permission::Status], "gsmq/modem/+/state"));
        assert!(t.may_subscribe("alice", &none, "app/replies/#"));
        assert!(!t.may_subscribe("alice", &none, "+/x"));
    }

    #[test]
    fn a_v5_response_topic_is_used_only_when_the_user_owns_it() {
        let t = topics();
        assert_eq!(t.reply_destination("alice", Some("app/r/1")), "app/r/1");
        assert_eq!(
            t.reply_destination("alice", Some("gsmq/alice/r/1")),
            "gsmq/alice/r/1"
        );
        assert_eq!(
            t.reply_destination("alice", Some("gsmq/bob/reply")),
            "gsmq/alice/reply"
        );
        assert_eq!(
            t.reply_destination("alice", Some("gsmq/alicex/reply")),
            "gsmq/alice/reply"
        );
        assert_eq!(
            t.reply_destination("alice", Some("app/+/x")),
            "gsmq/alice/reply"
        );
        assert_eq!(t.reply_destination("alice", None), "gsmq/alice/reply");
    }
}
