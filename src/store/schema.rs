//! Schema migrations, tracked in `PRAGMA user_version`.
//!
//! Guarantees: the whole upgrade from any older version to [`END_VERSION`]
//! runs in one `IMMEDIATE` transaction (all or nothing); a database written
//! by a newer gsmq is refused, never downgraded. Every version's upgrade is
//! tested from every older version (see the tests below).
//!
//! History:
//! - v1: outbox (`messages`, `parts`), `idempotency`, `events`, inbox
//!   (`inbound_parts`, `inbound_messages`).
//! - v2: delivery reports get their own table (`status_reports`, kept even
//!   when no part matches), parts carry the report time, and the
//!   (modem, message reference, submit time) index that makes report
//!   matching cheap.
//! - v3: MMS: the outbound MMS queue (`mms_out`), WAP-push SMS parts and
//!   reassembled pushes (`mms_push_parts`, `mms_pushes`), received MMS
//!   and their parts (`mms_in`, `mms_in_parts`). See `store::mms`.
//! - v4: the routing key of an outbound MMS (`mms_out.want_modem`).
//! - v5: `parts_waiting`, the index of parts waiting for a delivery report.

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::{Error, Result};

/// The schema version this build writes.
pub const END_VERSION: u32 = 5;

/// Brings `conn` to [`END_VERSION`] in one IMMEDIATE transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, END_VERSION)
}

/// Brings `conn` to `target` (tests use it to build old versions).
pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > END_VERSION {
        return Err(Error::SchemaTooNew {
            found: version,
            supported: END_VERSION,
        });
    }
    if version >= target {
        return Ok(());
    }
    for v in version..target {
        upgrade_from(&tx, v)?;
    }
    tx.pragma_update(None, "user_version", target)?;
    tx.commit()?;
    Ok(())
}

/// Applies the step from version `v` to `v + 1`.
fn upgrade_from(tx: &Transaction<'_>, v: u32) -> Result<()> {
    match v {
        0 => tx.execute_batch(V1)?,
        1 => tx.execute_batch(V2)?,
        2 => tx.execute_batch(V3)?,
        3 => tx.execute_batch(V4)?,
        4 => tx.execute_batch(V5)?,
        _ => {
            return Err(Error::SchemaTooNew {
                found: v,
                supported: END_VERSION,
            })
        }
    }
    Ok(())
}

/// Version 5: the parts still waiting for a delivery report, by (modem,
/// message reference, submit time): a report finds them without walking
/// every part that shared its 8-bit reference in the report window
/// (thousands on a busy modem over 72 hours).
const V5: &str = "
CREATE INDEX parts_waiting ON parts(modem, mr, submit_ms) WHERE state = 'sent';
";

/// Version 4: the routing key of an outbound MMS (`[mms] transport =
/// "modem"`): `''` any modem, a modem name, or `grp:<a>,<b>` (as
/// `parts.want_modem`).
const V4: &str = "
ALTER TABLE mms_out ADD COLUMN want_modem TEXT NOT NULL DEFAULT '';
";

/// Version 1: outbox, idempotency keys, event outbox, inbox.
const V1: &str = "
CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    client         TEXT    NOT NULL,
    idem_key       TEXT,
    recipient      TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    encoding       TEXT    NOT NULL,
    priority       INTEGER NOT NULL,
    modem          TEXT,
    report         INTEGER NOT NULL,
    state          TEXT    NOT NULL,
    reason         TEXT,
    parts_total    INTEGER NOT NULL,
    parts_sent     INTEGER NOT NULL DEFAULT 0,
    created_ms     INTEGER NOT NULL,
    send_at_ms     INTEGER,
    valid_until_ms INTEGER,
    updated_ms     INTEGER NOT NULL
);
CREATE INDEX messages_terminal ON messages(updated_ms)
    WHERE state IN ('sent', 'delivered', 'failed', 'expired', 'cancelled');
CREATE INDEX messages_validity ON messages(valid_until_ms)
    WHERE valid_until_ms IS NOT NULL AND state IN ('queued', 'sending');

CREATE TABLE parts (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    tpdu        BLOB    NOT NULL,
    state       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    priority    INTEGER NOT NULL,
    want_modem  TEXT    NOT NULL DEFAULT '',
    due_ms      INTEGER NOT NULL,
    modem       TEXT,
    mr          INTEGER,
    submit_ms   INTEGER,
    dr_status   INTEGER,
    reason      TEXT,
    UNIQUE (message_id, seq)
);
-- Picking the next due part: one seek per (priority, wanted modem).
CREATE INDEX parts_ready ON parts(priority, want_modem, due_ms, id)
    WHERE state = 'queued';
CREATE INDEX parts_sending ON parts(id) WHERE state = 'sending';

CREATE TABLE idempotency (
    client     TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    message_id INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (client, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_age ON idempotency(created_ms);

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    published  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_unpublished ON events(seq) WHERE published = 0;

CREATE TABLE inbound_messages (
    id             INTEGER PRIMARY KEY,
    modem          TEXT    NOT NULL,
    sender         TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    encoding       TEXT    NOT NULL,
    parts_total    INTEGER NOT NULL,
    parts_received INTEGER NOT NULL,
    missing        TEXT    NOT NULL,
    complete       INTEGER NOT NULL,
    sent_at        TEXT,
    received_ms    INTEGER NOT NULL
);
CREATE INDEX inbound_messages_age ON inbound_messages(received_ms);

CREATE TABLE inbound_parts (
    id          INTEGER PRIMARY KEY,
    modem       TEXT    NOT NULL,
    sender      TEXT    NOT NULL,
    concat_ref  INTEGER,
    total       INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    encoding    TEXT    NOT NULL,
    raw_pdu     BLOB    NOT NULL,
    sent_at     TEXT,
    received_ms INTEGER NOT NULL,
    message_id  INTEGER REFERENCES inbound_messages(id) ON DELETE SET NULL
);
CREATE INDEX inbound_parts_pending ON inbound_parts(modem, sender, concat_ref, total)
    WHERE message_id IS NULL;
CREATE INDEX inbound_parts_pdu ON inbound_parts(modem, raw_pdu);
CREATE INDEX inbound_parts_age ON inbound_parts(received_ms);
";

/// Version 2: a table of delivery reports and the index that matches them.
const V2: &str = "
CREATE TABLE status_reports (
    id          INTEGER PRIMARY KEY,
    modem       TEXT    NOT NULL,
    mr          INTEGER NOT NULL,
    recipient   TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    part_id     INTEGER
);
CREATE INDEX status_reports_age ON status_reports(received_ms);
ALTER TABLE parts ADD COLUMN dr_ms INTEGER;
CREATE INDEX parts_report ON parts(modem, mr, submit_ms) WHERE mr IS NOT NULL;
";

/// Version 3: MMS (outbound queue, WAP pushes, inbound MMS).
const V3: &str = "
CREATE TABLE mms_out (
    id          INTEGER PRIMARY KEY,
    client      TEXT    NOT NULL,
    idem_key    TEXT,
    recipients  TEXT    NOT NULL,
    subject     TEXT,
    pdu         BLOB    NOT NULL,
    size        INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    due_ms      INTEGER NOT NULL,
    mmsc_id     TEXT,
    reason      TEXT,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE UNIQUE INDEX mms_out_key ON mms_out(client, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX mms_out_ready ON mms_out(due_ms, id) WHERE state = 'queued';
CREATE INDEX mms_out_mmsc_id ON mms_out(mmsc_id) WHERE mmsc_id IS NOT NULL;
CREATE INDEX mms_out_terminal ON mms_out(updated_ms)
    WHERE state IN ('sent', 'delivered', 'failed', 'unknown');

CREATE TABLE mms_pushes (
    id          INTEGER PRIMARY KEY,
    modem       TEXT    NOT NULL,
    sender      TEXT    NOT NULL,
    data        BLOB    NOT NULL,
    state       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    due_ms      INTEGER NOT NULL,
    reason      TEXT,
    received_ms INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX mms_pushes_pending ON mms_pushes(due_ms, id) WHERE state = 'pending';

CREATE TABLE mms_push_parts (
    id          INTEGER PRIMARY KEY,
    modem       TEXT    NOT NULL,
    sender      TEXT    NOT NULL,
    concat_ref  INTEGER,
    total       INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    raw_pdu     BLOB    NOT NULL,
    received_ms INTEGER NOT NULL,
    push_id     INTEGER REFERENCES mms_pushes(id) ON DELETE SET NULL
);
CREATE INDEX mms_push_parts_pending ON mms_push_parts(modem, sender, concat_ref, total)
    WHERE push_id IS NULL;
CREATE INDEX mms_push_parts_pdu ON mms_push_parts(modem, raw_pdu);

CREATE TABLE mms_in (
    id             INTEGER PRIMARY KEY,
    push_id        INTEGER,
    modem          TEXT    NOT NULL,
    sender         TEXT    NOT NULL,
    recipients     TEXT    NOT NULL,
    subject        TEXT,
    sent_ms        INTEGER,
    transaction_id TEXT    NOT NULL,
    mmsc_id        TEXT,
    received_ms    INTEGER NOT NULL
);
CREATE INDEX mms_in_age ON mms_in(received_ms);

CREATE TABLE mms_in_parts (
    id           INTEGER PRIMARY KEY,
    mms_id       INTEGER NOT NULL REFERENCES mms_in(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    name         TEXT,
    content_id   TEXT,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    data         BLOB,
    path         TEXT,
    UNIQUE (mms_id, seq)
);
";

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> u32 {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type IN ('table','index') AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(|r| r.unwrap()).collect()
    }

    #[test]
    fn a_fresh_database_reaches_the_end_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn), END_VERSION);
        assert!(tables(&conn).contains(&"status_reports".to_string()));
    }

    #[test]
    fn every_older_version_upgrades_to_the_same_schema_as_a_fresh_one() {
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate(&mut fresh).unwrap();
        for old in 0..END_VERSION {
            let mut conn = Connection::open_in_memory().unwrap();
            migrate_to(&mut conn, old).unwrap();
            assert_eq!(version(&conn), old);
            migrate(&mut conn).unwrap();
            assert_eq!(version(&conn), END_VERSION, "from v{old}");
            assert_eq!(tables(&conn), tables(&fresh), "from v{old}");
        }
    }

    #[test]
    fn a_v1_outbox_keeps_its_rows_and_gains_report_columns() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 1).unwrap();
        conn.execute_batch(
            "INSERT INTO messages (id, client, recipient, body, encoding, priority, report, state, parts_total, created_ms, updated_ms)
             VALUES (7, 'dev', '+491701', 'hi', 'gsm7', 0, 1, 'sent', 1, 1, 1);
             INSERT INTO parts (message_id, seq, tpdu, state, priority, due_ms, modem, mr, submit_ms)
             VALUES (7, 0, x'0011', 'sent', 0, 1, 'm1', 42, 5);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (mr, dr_ms): (u8, Option<i64>) = conn
            .query_row(
                "SELECT mr, dr_ms FROM parts WHERE message_id = 7",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((mr, dr_ms), (42, None));
        conn.execute(
            "INSERT INTO status_reports (modem, mr, recipient, status, received_ms) VALUES ('m1', 42, '+491701', 0, 9)",
            [],
        )
        .unwrap();
    }

    #[test]
    fn a_v2_database_keeps_its_sms_rows_and_gains_the_mms_tables() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 2).unwrap();
        conn.execute_batch(
            "INSERT INTO messages (id, client, recipient, body, encoding, priority, report, state, parts_total, created_ms, updated_ms)
             VALUES (7, 'dev', '+491701', 'hi', 'gsm7', 0, 1, 'sent', 1, 1, 1);
             INSERT INTO events (kind, payload, created_ms) VALUES ('message', '{}', 1);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let kept: (String, i64) = conn
            .query_row(
                "SELECT (SELECT state FROM messages WHERE id = 7), (SELECT count(*) FROM events)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(kept, ("sent".to_string(), 1));
        conn.execute(
            "INSERT INTO mms_out (client, recipients, pdu, size, state, due_ms, created_ms, updated_ms)
             VALUES ('dev', '[]', x'8C80', 2, 'queued', 1, 1, 1)",
            [],
        )
        .unwrap();
        for t in ["mms_in", "mms_in_parts", "mms_pushes", "mms_push_parts"] {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0, "{t}");
        }
    }

    #[test]
    fn a_failing_v3_step_leaves_version_2_and_no_mms_table() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 2).unwrap();
        // The last statement of the v3 step collides with this table.
        conn.execute_batch("CREATE TABLE mms_in_parts (x)").unwrap();
        assert!(migrate(&mut conn).is_err());
        assert_eq!(version(&conn), 2);
        assert!(!tables(&conn).contains(&"mms_out".to_string()));
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_untouched() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", END_VERSION + 1)
            .unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(
            matches!(err, Error::SchemaTooNew { found, supported } if found == END_VERSION + 1 && supported == END_VERSION),
            "{err}"
        );
        assert_eq!(version(&conn), END_VERSION + 1);
        assert!(tables(&conn).is_empty());
    }

    #[test]
    fn a_failing_upgrade_leaves_the_old_version_in_place() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 1).unwrap();
        // Make the v2 step fail at its last statement, after its ALTER ran.
        conn.execute_batch("CREATE INDEX parts_report ON parts(id)")
            .unwrap();
        assert!(migrate(&mut conn).is_err());
        assert_eq!(version(&conn), 1);
        let has_dr_ms: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_table_info('parts') WHERE name = 'dr_ms'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(has_dr_ms, 0);
    }
}
