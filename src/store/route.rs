//! Which modems may lease a part: the `want_modem` routing key of each
//! queued part, and how a modem's lease finds the keys it serves.
//!
//! Keys:
//! - `""`: any modem;
//! - `"<name>"`: only that modem (asked for by name, or the only eligible one);
//! - `"grp:<a>,<b>,…"`: any of these modems (names sorted);
//! - `"@<name>"`: stuck to that modem because another part of the same
//!   multipart message went out (or is going out) through it: the parts of
//!   one concatenated SMS must all come from one SIM to be reassembled.
//!
//! Guarantees: a sticky message whose modem has been down for the
//! failover delay is handed back to its original key by [`release`] if
//! none of its parts was sent yet; once a part went out, the rest wait for
//! that modem (sending them from another SIM would never reassemble).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::Result;

const GROUP: &str = "grp:";
const STICKY: char = '@';

/// The key of a group of modems (any of them may send).
pub fn group_key(names: &[String]) -> String {
    let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    format!("{GROUP}{}", names.join(","))
}

fn sticky_key(modem: &str) -> String {
    format!("{STICKY}{modem}")
}

fn is_group(key: &str) -> bool {
    key.starts_with(GROUP)
}

fn group_has(key: &str, modem: &str) -> bool {
    key.strip_prefix(GROUP)
        .is_some_and(|names| names.split(',').any(|n| n == modem))
}

/// The group keys in use, known to the writer so that leases look them up.
#[derive(Debug, Default)]
pub(crate) struct Groups(BTreeSet<String>);

impl Groups {
    /// Loads the group keys of parts still waiting (at start-up).
    pub fn load(c: &Connection) -> Result<Groups> {
        let keys = c
            .prepare(
                "SELECT DISTINCT want_modem FROM parts
                 WHERE state IN ('queued', 'sending') AND want_modem LIKE 'grp:%'",
            )?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<std::result::Result<BTreeSet<_>, _>>()?;
        Ok(Groups(keys))
    }

    /// Remembers a key used by a new message.
    pub fn note(&mut self, key: &str) {
        if is_group(key) && !self.0.contains(key) {
            self.0.insert(key.to_string());
        }
    }

    /// Every key `modem` leases from, most specific first.
    pub fn lease_keys(&self, modem: &str) -> Vec<String> {
        let mut keys = vec![sticky_key(modem), modem.to_string()];
        keys.extend(self.0.iter().filter(|k| group_has(k, modem)).cloned());
        keys.push(String::new());
        keys
    }
}

/// After `modem` leased a part of a multipart message, keeps the message's
/// other waiting parts (and this one, should it fail back) on that modem.
pub(crate) fn stick(c: &Connection, message_id: i64, modem: &str) -> Result<()> {
    c.prepare_cached(
        "UPDATE parts SET want_modem = ?2
         WHERE message_id = ?1 AND state IN ('queued', 'sending') AND want_modem <> ?3",
    )?
    .execute(params![message_id, sticky_key(modem), modem])?;
    Ok(())
}

/// Hands the sticky messages of a modem that has been down back to their
/// original routing (`messages.modem`), when none of their parts was sent
/// yet. Returns how many messages moved.
pub(crate) fn release(c: &Connection, modem: &str, _now: DateTime<Utc>) -> Result<usize> {
    let moved = c
        .prepare_cached(
            "UPDATE parts SET want_modem = COALESCE(
                 (SELECT m.modem FROM messages m WHERE m.id = parts.message_id), '')
             WHERE want_modem = ?1 AND state = 'queued'
               AND NOT EXISTS (SELECT 1 FROM parts p2 WHERE p2.message_id = parts.message_id
                               AND p2.state IN ('sent', 'delivered', 'sending'))",
        )?
        .execute(params![sticky_key(modem)])?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_key_is_sorted_and_names_its_members() {
        let k = group_key(&["b".into(), "a".into(), "b".into()]);
        assert_eq!(k, "grp:a,b");
        assert!(group_has(&k, "a") && group_has(&k, "b"));
        assert!(!group_has(&k, "c") && !group_has(&k, "grp:a"));
    }

    #[test]
    fn a_modem_leases_its_sticky_parts_its_own_its_groups_and_any() {
        let mut g = Groups::default();
        g.note("grp:a,b");
        g.note("grp:b,c");
        g.note("m1");
        assert_eq!(
            g.lease_keys("a"),
            vec![
                "@a".to_string(),
                "a".into(),
                "grp:a,b".into(),
                String::new()
            ]
        );
        assert_eq!(g.lease_keys("b").len(), 5);
    }
}
