//! Who may log in and which topics each user may use: the broker's
//! [`Policy`](crate::broker::Policy), built from the config. Sans-IO.
//!
//! Guarantees:
//! - Passwords are checked against argon2 PHC hashes only; an unknown user
//!   costs the same argon2 work as a known one (no user enumeration by timing).
//! - Every user may publish and subscribe only below `<prefix>/<user>/`.
//!   `inbox` adds subscribe on `<prefix>/inbox/#`; `status` adds subscribe
//!   on `<prefix>/modem/+/state` and `<prefix>/status`. Nothing else, in
//!   particular no `#`, no `+` in the user level, no `$SYS`.
//! - Anonymous clients (empty username) get no topic at all.

use std::collections::HashMap;

use argon2::password_hash::{PasswordHash, PasswordVerifier};

use crate::broker::Policy;
use crate::config::{Config, Permission};

/// Top-level names below the prefix that are not users' namespaces.
pub const RESERVED_LEVELS: [&str; 3] = ["inbox", "modem", "status"];

/// Retained payloads of the daemon status topic ([`ConfigPolicy::status_topic`]).
pub const STATUS_ONLINE: &str = "online";
pub const STATUS_OFFLINE: &str = "offline";

/// A hash that never verifies, used to spend equal time on unknown users.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9Q0r3m7mGdXqV3x9q1gW0J3Q9ZpW6o9pGQW2yOq0eIY";

#[derive(Debug, Clone)]
struct User {
    password_hash: String,
    permissions: Vec<Permission>,
}

/// The config-derived ACL. Rebuild it from a re-read config on SIGHUP.
#[derive(Debug, Clone)]
pub struct ConfigPolicy {
    prefix: String,
    users: HashMap<String, User>,
}

impl ConfigPolicy {
    pub fn from_config(config: &Config) -> ConfigPolicy {
        let users = config
            .users
            .iter()
            .map(|u| {
                (
                    u.name.clone(),
                    User {
                        password_hash: u.password_hash.clone(),
                        permissions: u.permissions.clone(),
                    },
                )
            })
            .collect();
        ConfigPolicy {
            prefix: config.api.prefix.clone(),
            users,
        }
    }

    /// The topic filters the daemon consumes (every user's own namespace);
    /// pass them to `Broker::start`.
    pub fn served_filters(&self) -> Vec<String> {
        vec![format!("{}/+/#", self.prefix)]
    }

    /// The retained daemon status topic.
    pub fn status_topic(&self) -> String {
        format!("{}/status", self.prefix)
    }

    fn user(&self, username: &str) -> Option<&User> {
        if username.is_empty() || RESERVED_LEVELS.contains(&username) {
            return None;
        }
        self.users.get(username)
    }

    /// The levels after `<prefix>/` if `s` starts with the prefix.
    fn below_prefix<'a>(&self, s: &'a str) -> Option<&'a str> {
        s.strip_prefix(self.prefix.as_str())?.strip_prefix('/')
    }

    /// Is `s` (a name or filter) inside `<prefix>/<username>/`?
    fn in_own_namespace(&self, username: &str, s: &str) -> bool {
        match self.below_prefix(s) {
            Some(rest) => {
                let mut levels = rest.splitn(2, '/');
                levels.next() == Some(username) && levels.next().is_some_and(|r| !r.is_empty())
            }
            None => false,
        }
    }
}

impl Policy for ConfigPolicy {
    fn authenticate(&self, username: &str, password: &[u8]) -> bool {
        let user = self.user(username);
        let hash = user.map_or(DUMMY_HASH, |u| u.password_hash.as_str());
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let ok = argon2::Argon2::default()
            .verify_password(password, &parsed)
            .is_ok();
        ok && user.is_some()
    }

    fn may_subscribe(&self, username: &str, filter: &str) -> bool {
        let Some(user) = self.user(username) else {
            return false;
        };
        if self.in_own_namespace(username, filter) {
            return true;
        }
        let Some(rest) = self.below_prefix(filter) else {
            return false;
        };
        let has = |p| user.permissions.contains(&p);
        if has(Permission::Inbox) && (rest == "inbox/#" || rest.starts_with("inbox/")) {
            return true;
        }
        if has(Permission::Status) {
            if rest == "status" {
                return true;
            }
            let levels: Vec<&str> = rest.split('/').collect();
            if let ["modem", name, "state"] = levels.as_slice() {
                return *name == "+" || !name.contains('#');
            }
        }
        false
    }

    fn may_publish(&self, username: &str, topic: &str) -> bool {
        self.user(username).is_some()
            && !topic.contains(['+', '#'])
            && self.in_own_namespace(username, topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn policy() -> ConfigPolicy {
        let text = format!(
            "[broker]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = \"x\"\n\
             [[user]]\nname = \"alice\"\npassword_hash = \"{DUMMY_HASH}\"\n\
             [[user]]\nname = \"bob\"\npassword_hash = \"{DUMMY_HASH}\"\npermissions = [\"inbox\", \"status\"]\n"
        );
        ConfigPolicy::from_config(&Config::parse(&text, Path::new("t.toml")).unwrap())
    }

    #[test]
    fn a_user_may_use_only_its_own_namespace_by_default() {
        let p = policy();
        assert!(p.may_subscribe("alice", "gsmq/alice/#"));
        assert!(p.may_subscribe("alice", "gsmq/alice/sms/+"));
        assert!(p.may_publish("alice", "gsmq/alice/sms/send"));
        assert!(!p.may_subscribe("alice", "gsmq/bob/#"));
        assert!(!p.may_subscribe("alice", "gsmq/+/sms/send"));
        assert!(!p.may_subscribe("alice", "gsmq/#"));
        assert!(!p.may_subscribe("alice", "#"));
        assert!(!p.may_subscribe("alice", "gsmq/alice"));
        assert!(!p.may_publish("alice", "gsmq/bob/sms/send"));
        assert!(!p.may_publish("alice", "gsmq/status"));
        assert!(!p.may_subscribe("alice", "gsmq/inbox/#"));
        assert!(!p.may_subscribe("alice", "gsmq/status"));
        assert!(!p.may_subscribe("alice", "gsmqx/alice/#"));
    }

    #[test]
    fn inbox_and_status_permissions_add_only_subscriptions() {
        let p = policy();
        assert!(p.may_subscribe("bob", "gsmq/inbox/#"));
        assert!(p.may_subscribe("bob", "gsmq/inbox/sms"));
        assert!(p.may_subscribe("bob", "gsmq/modem/+/state"));
        assert!(p.may_subscribe("bob", "gsmq/modem/sim0/state"));
        assert!(p.may_subscribe("bob", "gsmq/status"));
        assert!(!p.may_subscribe("bob", "gsmq/modem/#"));
        assert!(!p.may_publish("bob", "gsmq/inbox/sms"));
        assert!(!p.may_publish("bob", "gsmq/modem/sim0/state"));
    }

    #[test]
    fn unknown_reserved_and_anonymous_users_get_nothing() {
        let p = policy();
        for user in ["", "carol", "inbox", "status"] {
            assert!(!p.may_subscribe(user, &format!("gsmq/{user}/#")), "{user}");
            assert!(!p.may_publish(user, &format!("gsmq/{user}/x")), "{user}");
        }
        assert!(!p.authenticate("carol", b"x"));
    }

    #[test]
    fn the_right_password_verifies_and_a_wrong_one_does_not() {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let hash = argon2::Argon2::default()
            .hash_password(b"s3cret", &salt)
            .unwrap()
            .to_string();
        let mut p = policy();
        p.users.get_mut("alice").unwrap().password_hash = hash;
        assert!(p.authenticate("alice", b"s3cret"));
        assert!(!p.authenticate("alice", b"wrong"));
        assert!(!p.authenticate("bob", b"s3cret"));
    }
}
