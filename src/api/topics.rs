//! The MQTT topic schema: building and parsing every topic gsmq serves or
//! publishes. (Who may use which topic is `api::acl`.)
//!
//! Guarantees: with `api::acl`, the only place in the crate that spells a
//! topic string. Parsing never panics and never allocates; a topic that is not
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
    MMS_SEND,
    MMS_STATUS,
    MMS_INBOX,
];

/// `{prefix}/{user}/sms/send` (client → gsmq).
pub const SEND: &str = "{prefix}/{user}/sms/send";
/// `{prefix}/{user}/sms/cancel` (client → gsmq).
pub const CANCEL: &str = "{prefix}/{user}/sms/cancel";
/// `{prefix}/{user}/ussd` (client → gsmq).
pub const USSD: &str = "{prefix}/{user}/ussd";
/// `{prefix}/{user}/events/replay` (client → gsmq).
pub const REPLAY: &str = "{prefix}/{user}/events/replay";
/// `{prefix}/{user}/mms/send` (client → gsmq).
pub const MMS_SEND: &str = "{prefix}/{user}/mms/send";
/// `{prefix}/{user}/mms/status` (gsmq → client).
pub const MMS_STATUS: &str = "{prefix}/{user}/mms/status";
/// `{prefix}/inbox/mms` (gsmq → users with the `inbox` permission).
pub const MMS_INBOX: &str = "{prefix}/inbox/mms";
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
    MmsSend,
}

impl RequestKind {
    /// All request kinds.
    pub const ALL: [RequestKind; 5] = [
        RequestKind::Send,
        RequestKind::Cancel,
        RequestKind::Ussd,
        RequestKind::Replay,
        RequestKind::MmsSend,
    ];

    /// The levels after `{prefix}/{user}/`.
    fn suffix(self) -> &'static str {
        match self {
            RequestKind::Send => "sms/send",
            RequestKind::Cancel => "sms/cancel",
            RequestKind::Ussd => "ussd",
            RequestKind::Replay => "events/replay",
            RequestKind::MmsSend => "mms/send",
        }
    }

    /// The permission a user needs for this request, if any.
    pub fn permission(self) -> Option<Permission> {
        match self {
            RequestKind::Send | RequestKind::Cancel | RequestKind::MmsSend => {
                Some(Permission::Send)
            }
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
            RequestKind::MmsSend => MMS_SEND,
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

    /// `{prefix}/{user}/mms/status`.
    pub fn mms_status(&self, user: &str) -> String {
        self.user_topic(user, "mms/status")
    }

    /// `{prefix}/inbox/mms`.
    pub fn mms_inbox(&self) -> String {
        format!("{}/{LEVEL_INBOX}/mms", self.prefix)
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
    /// Topic when it is a plain topic in the user's own namespace
    /// (`{prefix}/{user}/...`, the only place the user may subscribe), else
    /// `{prefix}/{user}/reply`.
    pub fn reply_destination(&self, user: &str, response_topic: Option<&str>) -> String {
        let own = |t: &str| {
            t.strip_prefix(self.prefix.as_str())
                .and_then(|r| r.strip_prefix('/'))
                .and_then(|r| r.strip_prefix(user))
                .and_then(|r| r.strip_prefix('/'))
                .is_some_and(|r| !r.is_empty())
        };
        match response_topic {
            Some(t) if !t.contains(['+', '#', '\0']) && own(t) => t.to_string(),
            _ => self.reply(user),
        }
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
        assert_eq!(t.request("alice", RequestKind::MmsSend), fill(MMS_SEND));
        assert_eq!(t.mms_status("alice"), fill(MMS_STATUS));
        assert_eq!(t.mms_inbox(), fill(MMS_INBOX));
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
                "gsmq/+/events/replay",
                "gsmq/+/mms/send"
            ]
        );
    }

    #[test]
    fn a_v5_response_topic_is_used_only_when_the_user_owns_it() {
        let t = topics();
        assert_eq!(
            t.reply_destination("alice", Some("app/r/1")),
            "gsmq/alice/reply"
        );
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
            t.reply_destination("alice", Some("gsmq/alice/+")),
            "gsmq/alice/reply"
        );
        assert_eq!(
            t.reply_destination("alice", Some("gsmq/alice/")),
            "gsmq/alice/reply"
        );
        assert_eq!(t.reply_destination("alice", None), "gsmq/alice/reply");
    }
}
