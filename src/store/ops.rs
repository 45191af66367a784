//! The store's operations, each run inside the writer's transaction (or on
//! the read connection for queries).
//!
//! Guarantees: time always arrives as `now`, randomness through `Ctx::rng`,
//! so every transition is unit-tested with a fake clock. Every state change
//! a client must hear about writes its event in the same transaction.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset, Utc};
use rand::rngs::StdRng;
use rusqlite::{params, Connection, OptionalExtension};

use crate::config::{CrashPolicy, RetryConfig, StorageConfig};

use super::retry::{self, Decision};
use super::route::{self, Groups};
use super::{
    CancelOutcome, CancelTarget, Enqueued, Error, ErrorClass, Event, EventKind, FailOutcome,
    InboundMessage, InboundPart, LeasedPart, MaintenanceReport, MessageEvent, MessageState,
    MessageStatus, NewMessage, PartState, PartStatus, RecoveryReport, Result,
};

/// The writer's context: configuration and the jitter generator.
pub(crate) struct Ctx {
    pub storage: StorageConfig,
    pub retry: RetryConfig,
    pub rng: StdRng,
    /// Group routing keys in use (shared with the read side for peeks).
    pub groups: Arc<Mutex<Groups>>,
}

impl Ctx {
    pub fn lease_keys(&self, modem: &str) -> Vec<String> {
        lock_groups(&self.groups).lease_keys(modem)
    }
}

pub(crate) fn lock_groups(g: &Mutex<Groups>) -> std::sync::MutexGuard<'_, Groups> {
    g.lock().unwrap_or_else(|p| p.into_inner())
}

/// Rows pruned per table and maintenance pass, so one pass never holds
/// the writer for long.
const PRUNE_BATCH: i64 = 10_000;
/// Expired messages handled per lease call before giving up for now.
const LEASE_SKIP_MAX: usize = 64;
/// Status byte boundaries from 3GPP TS 23.040 §9.2.3.15 (TP-Status).
const TP_ST_TEMPORARY: u8 = 0x20;
const TP_ST_PERMANENT: u8 = 0x40;

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn hours_ms(h: u32) -> i64 {
    i64::from(h) * 3_600_000
}

/// `Connection::execute` through the statement cache: the writer runs the
/// same few statements for every message, and preparing one costs as much
/// as running it.
pub(crate) fn exec(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
    Ok(c.prepare_cached(sql)?.execute(params)?)
}

fn bad(table: &'static str, id: i64, detail: impl Into<String>) -> Error {
    Error::BadRow {
        table,
        id,
        detail: detail.into(),
    }
}

fn message_state(id: i64, s: &str) -> Result<MessageState> {
    MessageState::parse(s).ok_or_else(|| bad("messages", id, format!("unknown state {s:?}")))
}

fn part_state(id: i64, s: &str) -> Result<PartState> {
    PartState::parse(s).ok_or_else(|| bad("parts", id, format!("unknown state {s:?}")))
}

// ------------------------------------------------------------------ events

pub(crate) fn emit(c: &Connection, kind: &EventKind, now: DateTime<Utc>) -> Result<i64> {
    let (name, payload) = match kind {
        EventKind::Message(m) => ("message", serde_json::to_string(m)),
        EventKind::InboundComplete(m) => ("inbound_complete", serde_json::to_string(m)),
        EventKind::InboundIncomplete(m) => ("inbound_incomplete", serde_json::to_string(m)),
        EventKind::Mms(m) => ("mms", serde_json::to_string(m)),
        EventKind::MmsInbound(m) => ("mms_inbound", serde_json::to_string(m)),
    };
    let payload = payload.map_err(|e| Error::Invalid(format!("event not serialisable: {e}")))?;
    exec(
        c,
        "INSERT INTO events (kind, payload, created_ms) VALUES (?1, ?2, ?3)",
        params![name, payload, ms(now)],
    )?;
    Ok(c.last_insert_rowid())
}

fn emit_message(c: &Connection, message_id: i64, now: DateTime<Utc>) -> Result<()> {
    let ev = c
        .prepare_cached(
            "SELECT client, idem_key, recipient, state, parts_sent, parts_total, reason,
                    (SELECT modem FROM parts WHERE message_id = m.id AND modem IS NOT NULL
                     ORDER BY submit_ms DESC, seq DESC LIMIT 1)
             FROM messages m WHERE id = ?1",
        )?
        .query_row([message_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, u32>(4)?,
                r.get::<_, u32>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })
        .optional()?
        .ok_or(Error::NotFound {
            what: "message",
            id: message_id,
        })?;
    let (client, idempotency_key, to, state, parts_sent, parts_total, reason, modem) = ev;
    let kind = EventKind::Message(MessageEvent {
        message_id,
        client,
        idempotency_key,
        to,
        state: message_state(message_id, &state)?,
        parts_sent,
        parts_total,
        modem,
        reason,
    });
    emit(c, &kind, now)?;
    Ok(())
}

pub(crate) fn events_after(
    c: &Connection,
    seq: i64,
    limit: usize,
    unpublished_only: bool,
) -> Result<Vec<Event>> {
    let sql = if unpublished_only {
        "SELECT seq, kind, payload, created_ms, published FROM events
         WHERE published = 0 AND seq > ?1 ORDER BY seq LIMIT ?2"
    } else {
        "SELECT seq, kind, payload, created_ms, published FROM events
         WHERE seq > ?1 ORDER BY seq LIMIT ?2"
    };
    let mut stmt = c.prepare_cached(sql)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![seq, limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, bool>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, kind, payload, created, published) = row?;
        let json = |e: serde_json::Error| bad("events", seq, e.to_string());
        let kind = match kind.as_str() {
            "message" => EventKind::Message(serde_json::from_str(&payload).map_err(json)?),
            "inbound_complete" => {
                EventKind::InboundComplete(serde_json::from_str(&payload).map_err(json)?)
            }
            "inbound_incomplete" => {
                EventKind::InboundIncomplete(serde_json::from_str(&payload).map_err(json)?)
            }
            "mms" => EventKind::Mms(serde_json::from_str(&payload).map_err(json)?),
            "mms_inbound" => EventKind::MmsInbound(serde_json::from_str(&payload).map_err(json)?),
            other => return Err(bad("events", seq, format!("unknown kind {other:?}"))),
        };
        out.push(Event {
            seq,
            at: from_ms(created),
            published,
            kind,
        });
    }
    Ok(out)
}

pub(crate) fn mark_published(c: &Connection, seq: i64) -> Result<()> {
    let n = exec(c, "UPDATE events SET published = 1 WHERE seq = ?1", [seq])?;
    if n == 0 {
        return Err(Error::NotFound {
            what: "event",
            id: seq,
        });
    }
    Ok(())
}

// ----------------------------------------------------------------- enqueue

pub(crate) fn enqueue(
    c: &Connection,
    ctx: &Ctx,
    msg: &NewMessage,
    now: DateTime<Utc>,
) -> Result<Enqueued> {
    if msg.parts.is_empty() || msg.parts.len() > 255 {
        return Err(Error::Invalid(format!(
            "a message needs 1 to 255 parts, got {}",
            msg.parts.len()
        )));
    }
    if msg.to.is_empty() {
        return Err(Error::Invalid("empty recipient".into()));
    }
    let now_ms = ms(now);
    if let Some(key) = &msg.idempotency_key {
        match find_key(c, ctx, &msg.client, key, now)? {
            KeySeen::Live(e) => return Ok(e),
            KeySeen::Stale => {
                exec(
                    c,
                    "DELETE FROM idempotency WHERE client = ?1 AND key = ?2",
                    params![msg.client, key],
                )?;
            }
            KeySeen::Never => {}
        }
    }
    let send_at_ms = msg.send_at.map(ms);
    exec(
        c,
        "INSERT INTO messages (client, idem_key, recipient, body, encoding, priority, modem,
             report, state, parts_total, created_ms, send_at_ms, valid_until_ms, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, ?10, ?11, ?12, ?10)",
        params![
            msg.client,
            msg.idempotency_key,
            msg.to,
            msg.text,
            msg.encoding,
            msg.priority,
            msg.modem,
            msg.report,
            msg.parts.len(),
            now_ms,
            send_at_ms,
            msg.valid_until.map(ms),
        ],
    )?;
    let id = c.last_insert_rowid();
    let due = send_at_ms.unwrap_or(now_ms);
    let want = msg.modem.as_deref().unwrap_or("");
    lock_groups(&ctx.groups).note(want);
    let mut insert = c.prepare_cached(
        "INSERT INTO parts (message_id, seq, tpdu, state, priority, want_modem, due_ms)
         VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6)",
    )?;
    for (seq, tpdu) in msg.parts.iter().enumerate() {
        insert.execute(params![id, seq, tpdu, msg.priority, want, due])?;
    }
    if let Some(key) = &msg.idempotency_key {
        exec(
            c,
            "INSERT INTO idempotency (client, key, message_id, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![msg.client, key, id, now_ms],
        )?;
    }
    // The row was just written: the event is built from the request, not read back.
    let event = EventKind::Message(MessageEvent {
        message_id: id,
        client: msg.client.clone(),
        idempotency_key: msg.idempotency_key.clone(),
        to: msg.to.clone(),
        state: MessageState::Queued,
        parts_sent: 0,
        parts_total: msg.parts.len() as u32,
        modem: None,
        reason: None,
    });
    emit(c, &event, now)?;
    Ok(Enqueued {
        message_id: id,
        duplicate: false,
        parts: msg.parts.len(),
    })
}

/// What the idempotency table knows of a client's key.
pub(crate) enum KeySeen {
    /// Used within the window: the message it names (as a duplicate).
    Live(Enqueued),
    /// Used before the window: free to reuse.
    Stale,
    Never,
}

pub(crate) fn find_key(
    c: &Connection,
    ctx: &Ctx,
    client: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<KeySeen> {
    let seen: Option<(i64, i64)> = c
        .prepare_cached(
            "SELECT message_id, created_ms FROM idempotency WHERE client = ?1 AND key = ?2",
        )?
        .query_row(params![client, key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((id, created)) = seen else {
        return Ok(KeySeen::Never);
    };
    if created <= ms(now) - hours_ms(ctx.storage.idempotency_window_h) {
        return Ok(KeySeen::Stale);
    }
    let parts: Option<usize> = c
        .prepare_cached("SELECT parts_total FROM messages WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(KeySeen::Live(Enqueued {
        message_id: id,
        duplicate: true,
        parts: parts.unwrap_or(0),
    }))
}

/// SMS parts each client enqueued since `since` (duplicates are not
/// stored, so they do not count).
pub(crate) fn parts_enqueued_since(
    c: &Connection,
    since: DateTime<Utc>,
) -> Result<Vec<(String, u64)>> {
    let rows = c
        .prepare_cached(
            "SELECT client, sum(parts_total) FROM messages WHERE created_ms >= ?1 GROUP BY client",
        )?
        .query_map([ms(since)], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?)))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .map(|(client, n)| (client, u64::try_from(n).unwrap_or(0)))
        .collect())
}

// ------------------------------------------------------------------- lease

/// The id of the part a lease from `keys` (see [`super::route`]) would
/// take now: the highest priority present, then the earliest due. Costs one
/// index seek per key and priority level present (at most 256), independent
/// of the queue length.
pub(crate) fn pick_next(
    c: &Connection,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let now_ms = ms(now);
    let mut top = c.prepare_cached(
        "SELECT priority FROM parts WHERE state = 'queued' AND priority < ?1
         ORDER BY priority DESC LIMIT 1",
    )?;
    let mut due = c.prepare_cached(
        "SELECT due_ms, id FROM parts
         WHERE state = 'queued' AND priority = ?1 AND want_modem = ?2 AND due_ms <= ?3
         ORDER BY due_ms, id LIMIT 1",
    )?;
    let mut below: i64 = 256;
    loop {
        let Some(priority) = top.query_row([below], |r| r.get::<_, i64>(0)).optional()? else {
            return Ok(None);
        };
        let mut best: Option<(i64, i64)> = None;
        for key in keys {
            let found: Option<(i64, i64)> = due
                .query_row(params![priority, key, now_ms], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            best = match (best, found) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        if let Some((_, id)) = best {
            return Ok(Some(id));
        }
        below = priority;
    }
}

pub(crate) fn lease_next_part(
    c: &Connection,
    keys: &[String],
    modem: &str,
    now: DateTime<Utc>,
) -> Result<Option<LeasedPart>> {
    for _ in 0..LEASE_SKIP_MAX {
        let Some(part_id) = pick_next(c, keys, now)? else {
            return Ok(None);
        };
        let row = c
            .prepare_cached(
                "SELECT p.message_id, p.seq, p.tpdu, p.attempts, m.recipient, m.parts_total,
                        m.report, m.client, m.state, m.valid_until_ms
                 FROM parts p JOIN messages m ON m.id = p.message_id WHERE p.id = ?1",
            )?
            .query_row([part_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, u8>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, u8>(5)?,
                    r.get::<_, bool>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, Option<i64>>(9)?,
                ))
            })?;
        let (message_id, seq, tpdu, attempts, to, parts_total, report, client, state, valid) = row;
        let state = message_state(message_id, &state)?;
        if valid.is_some_and(|v| v <= ms(now)) && !state.is_terminal() {
            expire_message(c, message_id, now)?;
            continue;
        }
        if state.is_terminal() {
            // Requeued by crash recovery after its message ended.
            exec(
                c,
                "UPDATE parts SET state = 'cancelled', reason = ?2 WHERE id = ?1",
                params![part_id, format!("message is {state}")],
            )?;
            continue;
        }
        exec(
            c,
            "UPDATE parts SET state = 'sending', attempts = attempts + 1, modem = ?2 WHERE id = ?1",
            params![part_id, modem],
        )?;
        if state == MessageState::Queued {
            exec(
                c,
                "UPDATE messages SET state = 'sending', updated_ms = ?2 WHERE id = ?1",
                params![message_id, ms(now)],
            )?;
        }
        if parts_total > 1 {
            route::stick(c, message_id, modem)?;
        }
        return Ok(Some(LeasedPart {
            part_id,
            message_id,
            seq,
            tpdu,
            to,
            attempts: attempts + 1,
            parts_total,
            report,
            client,
        }));
    }
    Ok(None)
}

/// Loads a part's state and message, checking it is `sending`.
fn sending_part(c: &Connection, part_id: i64, to: &'static str) -> Result<(i64, u32)> {
    let (state, message_id, attempts): (String, i64, u32) = c
        .prepare_cached("SELECT state, message_id, attempts FROM parts WHERE id = ?1")?
        .query_row([part_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or(Error::NotFound {
            what: "part",
            id: part_id,
        })?;
    if part_state(part_id, &state)? != PartState::Sending {
        return Err(Error::InvalidTransition {
            part_id,
            from: state,
            to,
        });
    }
    Ok((message_id, attempts))
}

fn current_state(c: &Connection, message_id: i64) -> Result<MessageState> {
    let s: String = c
        .prepare_cached("SELECT state FROM messages WHERE id = ?1")?
        .query_row([message_id], |r| r.get(0))?;
    message_state(message_id, &s)
}

fn set_message_state(
    c: &Connection,
    message_id: i64,
    state: MessageState,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    exec(c, "UPDATE messages SET state = ?2, reason = COALESCE(?3, reason), updated_ms = ?4 WHERE id = ?1", params![message_id, state.as_str(), reason, ms(now)])?;
    emit_message(c, message_id, now)
}

/// Moves a non-final message to `sent` or `delivered` when its parts say so.
fn settle(c: &Connection, message_id: i64, now: DateTime<Utc>) -> Result<()> {
    let state = current_state(c, message_id)?;
    if !matches!(
        state,
        MessageState::Queued | MessageState::Sending | MessageState::Sent
    ) {
        return Ok(());
    }
    let (total, done, delivered, report): (i64, i64, i64, bool) = c
        .prepare_cached(
            "SELECT m.parts_total,
                    (SELECT count(*) FROM parts WHERE message_id = m.id AND state IN ('sent', 'delivered')),
                    (SELECT count(*) FROM parts WHERE message_id = m.id AND state = 'delivered'),
                    m.report
             FROM messages m WHERE m.id = ?1",
        )?
        .query_row([message_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    let next = if report && delivered == total {
        MessageState::Delivered
    } else if done == total {
        MessageState::Sent
    } else {
        return Ok(());
    };
    if next != state {
        set_message_state(c, message_id, next, None, now)?;
    }
    Ok(())
}

/// Ends a message early: its queued parts take `state` too.
fn end_message(
    c: &Connection,
    message_id: i64,
    state: MessageState,
    part: PartState,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    let n = exec(
        c,
        "UPDATE parts SET state = ?2, reason = ?3 WHERE message_id = ?1 AND state = 'queued'",
        params![message_id, part.as_str(), reason],
    )?;
    set_message_state(c, message_id, state, Some(reason), now)?;
    Ok(n)
}

fn fail_message(c: &Connection, message_id: i64, reason: &str, now: DateTime<Utc>) -> Result<()> {
    let state = current_state(c, message_id)?;
    if matches!(
        state,
        MessageState::Queued | MessageState::Sending | MessageState::Sent
    ) {
        end_message(
            c,
            message_id,
            MessageState::Failed,
            PartState::Failed,
            reason,
            now,
        )?;
    }
    Ok(())
}

fn expire_message(c: &Connection, message_id: i64, now: DateTime<Utc>) -> Result<()> {
    end_message(
        c,
        message_id,
        MessageState::Expired,
        PartState::Expired,
        "validity period passed",
        now,
    )?;
    Ok(())
}

pub(crate) fn part_sent(c: &Connection, part_id: i64, mr: u8, now: DateTime<Utc>) -> Result<()> {
    let (message_id, _) = sending_part(c, part_id, "sent")?;
    exec(
        c,
        "UPDATE parts SET state = 'sent', mr = ?2, submit_ms = ?3, reason = NULL WHERE id = ?1",
        params![part_id, mr, ms(now)],
    )?;
    exec(
        c,
        "UPDATE messages SET parts_sent = parts_sent + 1, updated_ms = ?2 WHERE id = ?1",
        params![message_id, ms(now)],
    )?;
    settle(c, message_id, now)
}

pub(crate) fn part_failed(
    c: &Connection,
    ctx: &mut Ctx,
    part_id: i64,
    class: ErrorClass,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<FailOutcome> {
    let (message_id, attempts) = sending_part(c, part_id, "failed")?;
    let state = current_state(c, message_id)?;
    if state.is_terminal() {
        let part = if state == MessageState::Expired {
            PartState::Expired
        } else {
            PartState::Cancelled
        };
        exec(
            c,
            "UPDATE parts SET state = ?2, reason = ?3 WHERE id = ?1",
            params![part_id, part.as_str(), reason],
        )?;
        return Ok(FailOutcome::Dropped { state });
    }
    match retry::decide(&ctx.retry, class, attempts, reason, &mut ctx.rng) {
        Decision::RetryAfter(delay) => {
            let at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            exec(
                c,
                "UPDATE parts SET state = 'queued', due_ms = ?2, reason = ?3 WHERE id = ?1",
                params![part_id, ms(at), format!("{}: {reason}", class.as_str())],
            )?;
            Ok(FailOutcome::Retry {
                next_attempt_at: at,
                attempts,
            })
        }
        Decision::Park(why) => {
            exec(
                c,
                "UPDATE parts SET state = 'failed', reason = ?2 WHERE id = ?1",
                params![part_id, why],
            )?;
            fail_message(c, message_id, &why, now)?;
            Ok(FailOutcome::Parked { reason: why })
        }
    }
}

// ----------------------------------------------------------- status report

/// Digits only; recipients match when equal, or when both have at least
/// seven digits and agree on the last nine (national vs. international).
fn same_recipient(a: &str, b: &str) -> bool {
    let da: Vec<char> = a.chars().filter(char::is_ascii_digit).collect();
    let db: Vec<char> = b.chars().filter(char::is_ascii_digit).collect();
    if da == db {
        return !da.is_empty();
    }
    if da.len() < 7 || db.len() < 7 {
        return false;
    }
    let n = 9.min(da.len()).min(db.len());
    da[da.len() - n..] == db[db.len() - n..]
}

/// How far the SMSC's clock (TP-SCTS) may be from ours for the time stamp
/// to choose between parts that share a message reference.
const REPORT_CLOCK_SLACK_MS: i64 = 10 * 60 * 1000;

/// A part a report may be about: (id, state, message id, submit time).
type ReportCandidate = (i64, String, i64, i64);

/// Which of `waiting` (parts still waiting for their report, same modem,
/// reference and recipient, newest first) a report is about. The 8-bit
/// reference wraps every 256 parts, so several can share it: the report's
/// TP-SCTS (when the SMSC took the part) picks the part submitted nearest
/// to it, when that is within [`REPORT_CLOCK_SLACK_MS`] (so a report that
/// comes hours late finds its own part, not a newer one); otherwise (no
/// time stamp, an SMSC clock too far off to trust) the newest. The stamp
/// has whole seconds: parts submitted within a second of each other stay
/// ambiguous, and equal distances go to the newest.
fn pick_reported(waiting: &[ReportCandidate], scts_ms: Option<i64>) -> Option<usize> {
    let nearest = scts_ms.and_then(|scts| {
        waiting
            .iter()
            .enumerate()
            .map(|(i, c)| (c.3.abs_diff(scts), i))
            .min()
            .filter(|(gap, _)| *gap <= REPORT_CLOCK_SLACK_MS.unsigned_abs())
            .map(|(_, i)| i)
    });
    nearest.or((!waiting.is_empty()).then_some(0))
}

/// The part a report is about: a part still waiting for its report first
/// (few, found through the `parts_waiting` index however many parts the
/// window holds), else the newest part of any state (a repeated report).
fn report_candidate(
    c: &Connection,
    modem: &str,
    mr: u8,
    recipient: &str,
    window: (i64, i64),
    scts_ms: Option<i64>,
) -> Result<Option<ReportCandidate>> {
    // The parts of `sql` (newest first) sent to `recipient`; with `first`
    // only the newest of them.
    let scan = |sql: &str, first: bool| -> Result<Vec<ReportCandidate>> {
        let mut stmt = c.prepare_cached(sql)?;
        let mut rows = stmt.query(params![modem, mr, window.0, window.1])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            if same_recipient(&r.get::<_, String>(4)?, recipient) {
                out.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
                if first {
                    break;
                }
            }
        }
        Ok(out)
    };
    let mut waiting = scan(
        "SELECT p.id, p.state, p.message_id, p.submit_ms, m.recipient
         FROM parts p INDEXED BY parts_waiting JOIN messages m ON m.id = p.message_id
         WHERE p.state = 'sent' AND p.modem = ?1 AND p.mr = ?2
           AND p.submit_ms >= ?3 AND p.submit_ms <= ?4
         ORDER BY p.submit_ms DESC, p.id DESC",
        false,
    )?;
    if let Some(i) = pick_reported(&waiting, scts_ms) {
        return Ok(Some(waiting.swap_remove(i)));
    }
    // Usually the first row: reads stop at the newest match.
    Ok(scan(
        "SELECT p.id, p.state, p.message_id, p.submit_ms, m.recipient
         FROM parts p JOIN messages m ON m.id = p.message_id
         WHERE p.modem = ?1 AND p.mr = ?2 AND p.submit_ms >= ?3 AND p.submit_ms <= ?4
         ORDER BY p.submit_ms DESC, p.id DESC",
        true,
    )?
    .pop())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn status_report(
    c: &Connection,
    ctx: &Ctx,
    modem: &str,
    mr: u8,
    recipient: &str,
    status: u8,
    submitted: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let since = ms(now) - hours_ms(ctx.storage.report_window_h);
    let matched = report_candidate(c, modem, mr, recipient, (since, ms(now)), submitted.map(ms))?;
    exec(
        c,
        "INSERT INTO status_reports (modem, mr, recipient, status, received_ms, part_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            modem,
            mr,
            recipient,
            status,
            ms(now),
            matched.as_ref().map(|m| m.0)
        ],
    )?;
    let Some((part_id, state, message_id, _)) = matched else {
        return Ok(None);
    };
    if part_state(part_id, &state)? != PartState::Sent {
        // A repeated report for a part already settled.
        return Ok(Some(part_id));
    }
    exec(
        c,
        "UPDATE parts SET dr_status = ?2, dr_ms = ?3 WHERE id = ?1",
        params![part_id, status, ms(now)],
    )?;
    if status < TP_ST_TEMPORARY {
        exec(
            c,
            "UPDATE parts SET state = 'delivered' WHERE id = ?1",
            [part_id],
        )?;
        settle(c, message_id, now)?;
    } else if status >= TP_ST_PERMANENT {
        let reason = format!("delivery failed: status 0x{status:02X}");
        exec(
            c,
            "UPDATE parts SET state = 'failed', reason = ?2 WHERE id = ?1",
            params![part_id, reason],
        )?;
        fail_message(c, message_id, &reason, now)?;
    }
    Ok(Some(part_id))
}

// ------------------------------------------------------------------ cancel

pub(crate) fn cancel(
    c: &Connection,
    client: &str,
    target: &CancelTarget,
    now: DateTime<Utc>,
) -> Result<CancelOutcome> {
    let id: Option<i64> = match target {
        CancelTarget::Id(id) => c
            .query_row(
                "SELECT id FROM messages WHERE id = ?1 AND client = ?2",
                params![id, client],
                |r| r.get(0),
            )
            .optional()?,
        CancelTarget::IdempotencyKey(key) => c
            .query_row(
                "SELECT message_id FROM idempotency WHERE client = ?1 AND key = ?2",
                params![client, key],
                |r| r.get(0),
            )
            .optional()?,
    };
    let Some(message_id) = id else {
        return Ok(CancelOutcome::NotFound);
    };
    let state = match c
        .query_row(
            "SELECT state FROM messages WHERE id = ?1",
            [message_id],
            |r| r.get::<_, String>(0),
        )
        .optional()?
    {
        Some(s) => message_state(message_id, &s)?,
        None => return Ok(CancelOutcome::NotFound),
    };
    if state.is_terminal() {
        return Ok(CancelOutcome::AlreadyFinal { message_id, state });
    }
    let parts_cancelled = end_message(
        c,
        message_id,
        MessageState::Cancelled,
        PartState::Cancelled,
        "cancelled by client",
        now,
    )?;
    let total: usize = c.query_row(
        "SELECT parts_total FROM messages WHERE id = ?1",
        [message_id],
        |r| r.get(0),
    )?;
    Ok(CancelOutcome::Cancelled {
        message_id,
        parts_cancelled,
        parts_sent: total - parts_cancelled,
    })
}

// ---------------------------------------------------------------- recovery

pub(crate) fn recover(
    c: &Connection,
    policy: CrashPolicy,
    now: DateTime<Utc>,
) -> Result<RecoveryReport> {
    let in_flight: Vec<(i64, i64)> = c
        .prepare("SELECT id, message_id FROM parts WHERE state = 'sending' ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    let mut report = RecoveryReport::default();
    match policy {
        CrashPolicy::AtLeastOnce => {
            // due_ms is kept: requeued parts go out first, in their order.
            exec(
                c,
                "UPDATE parts SET state = 'queued', reason = 'requeued after a crash'
                 WHERE state = 'sending'",
                [],
            )?;
            report.requeued = in_flight.into_iter().map(|(p, _)| p).collect();
        }
        CrashPolicy::AtMostOnce => {
            let reason = "in flight at a crash: outcome unknown (at-most-once)";
            exec(
                c,
                "UPDATE parts SET state = 'unknown', reason = ?1 WHERE state = 'sending'",
                [reason],
            )?;
            let mut messages: Vec<i64> = in_flight.iter().map(|&(_, m)| m).collect();
            messages.dedup();
            for m in messages {
                fail_message(c, m, reason, now)?;
            }
            report.unknown = in_flight.into_iter().map(|(p, _)| p).collect();
        }
    }
    if !report.requeued.is_empty() || !report.unknown.is_empty() {
        tracing::warn!(
            requeued = report.requeued.len(),
            unknown = report.unknown.len(),
            ?policy,
            "parts were in flight at the last crash"
        );
    }
    Ok(report)
}

// ----------------------------------------------------------------- inbound

fn sent_at_str(t: Option<DateTime<FixedOffset>>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}

fn parse_sent_at(id: i64, s: Option<String>) -> Result<Option<DateTime<FixedOffset>>> {
    s.map(|s| {
        DateTime::parse_from_rfc3339(&s).map_err(|e| bad("inbound_messages", id, e.to_string()))
    })
    .transpose()
}

fn insert_inbound_message(c: &Connection, m: &mut InboundMessage) -> Result<()> {
    let missing = m
        .missing
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(",");
    exec(
        c,
        "INSERT INTO inbound_messages (modem, sender, body, encoding, parts_total, parts_received,
             missing, complete, sent_at, received_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            m.modem,
            m.sender,
            m.text,
            m.encoding,
            m.parts_total,
            m.parts_received,
            missing,
            m.complete,
            sent_at_str(m.sent_at),
            ms(m.received_at)
        ],
    )?;
    m.id = c.last_insert_rowid();
    let kind = if m.complete {
        EventKind::InboundComplete(m.clone())
    } else {
        EventKind::InboundIncomplete(m.clone())
    };
    emit(c, &kind, m.received_at)?;
    Ok(())
}

pub(crate) fn store_inbound_part(
    c: &Connection,
    p: &InboundPart,
) -> Result<Option<InboundMessage>> {
    let seen: bool = c
        .prepare_cached("SELECT 1 FROM inbound_parts WHERE modem = ?1 AND raw_pdu = ?2 LIMIT 1")?
        .query_row(params![p.modem, p.raw_pdu], |_| Ok(()))
        .optional()?
        .is_some();
    if seen {
        return Ok(None);
    }
    let concat = p
        .concat
        .filter(|&(_, total, seq)| total > 1 && seq >= 1 && seq <= total);
    let (reference, total, seq) = match concat {
        Some((r, t, s)) => (Some(r), t, s),
        None => (None, 1, 1),
    };
    if reference.is_some() {
        let dup: bool = c
            .prepare_cached(
                "SELECT 1 FROM inbound_parts WHERE message_id IS NULL AND modem = ?1 AND sender = ?2
                 AND concat_ref = ?3 AND total = ?4 AND seq = ?5 LIMIT 1",
            )?
            .query_row(params![p.modem, p.sender, reference, total, seq], |_| Ok(()))
            .optional()?
            .is_some();
        if dup {
            return Ok(None);
        }
    }
    exec(
        c,
        "INSERT INTO inbound_parts (modem, sender, concat_ref, total, seq, body, encoding, raw_pdu,
             sent_at, received_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            p.modem,
            p.sender,
            reference,
            total,
            seq,
            p.text,
            p.encoding,
            p.raw_pdu,
            sent_at_str(p.sent_at),
            ms(p.received_at)
        ],
    )?;
    let part_id = c.last_insert_rowid();
    let Some(reference) = reference else {
        let mut m = InboundMessage {
            id: 0,
            modem: p.modem.clone(),
            sender: p.sender.clone(),
            text: p.text.clone(),
            encoding: p.encoding.clone(),
            parts_total: 1,
            parts_received: 1,
            missing: Vec::new(),
            complete: true,
            sent_at: p.sent_at,
            received_at: p.received_at,
        };
        insert_inbound_message(c, &mut m)?;
        exec(
            c,
            "UPDATE inbound_parts SET message_id = ?2 WHERE id = ?1",
            params![part_id, m.id],
        )?;
        return Ok(Some(m));
    };
    let have: u8 = c
        .prepare_cached(
            "SELECT count(*) FROM inbound_parts WHERE message_id IS NULL AND modem = ?1
             AND sender = ?2 AND concat_ref = ?3 AND total = ?4",
        )?
        .query_row(params![p.modem, p.sender, reference, total], |r| r.get(0))?;
    if have < total {
        return Ok(None);
    }
    assemble(c, &p.modem, &p.sender, reference, total, p.received_at).map(Some)
}

/// Builds the message of a pending concatenation group (complete or not),
/// stores it with its event and attaches the parts.
fn assemble(
    c: &Connection,
    modem: &str,
    sender: &str,
    reference: u16,
    total: u8,
    received_at: DateTime<Utc>,
) -> Result<InboundMessage> {
    let parts: Vec<(i64, u8, String, String, Option<String>)> = c
        .prepare_cached(
            "SELECT id, seq, body, encoding, sent_at FROM inbound_parts
             WHERE message_id IS NULL AND modem = ?1 AND sender = ?2 AND concat_ref = ?3 AND total = ?4
             ORDER BY seq",
        )?
        .query_map(params![modem, sender, reference, total], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    let seqs: Vec<u8> = parts.iter().map(|p| p.1).collect();
    let first = parts.first().map(|p| p.0).unwrap_or(0);
    let mut m = InboundMessage {
        id: 0,
        modem: modem.to_owned(),
        sender: sender.to_owned(),
        text: parts.iter().map(|p| p.2.as_str()).collect(),
        encoding: parts.first().map(|p| p.3.clone()).unwrap_or_default(),
        parts_total: total,
        parts_received: u8::try_from(parts.len()).unwrap_or(u8::MAX),
        missing: (1..=total).filter(|s| !seqs.contains(s)).collect(),
        complete: false,
        sent_at: parse_sent_at(first, parts.first().and_then(|p| p.4.clone()))?,
        received_at,
    };
    m.complete = m.missing.is_empty();
    insert_inbound_message(c, &mut m)?;
    let mut attach = c.prepare_cached("UPDATE inbound_parts SET message_id = ?2 WHERE id = ?1")?;
    for p in &parts {
        attach.execute(params![p.0, m.id])?;
    }
    Ok(m)
}

// ------------------------------------------------------------- maintenance

pub(crate) fn maintain(c: &Connection, ctx: &Ctx, now: DateTime<Utc>) -> Result<MaintenanceReport> {
    let now_ms = ms(now);
    let mut report = MaintenanceReport::default();

    let expired: Vec<i64> = c
        .prepare_cached(
            "SELECT id FROM messages WHERE valid_until_ms IS NOT NULL
             AND state IN ('queued', 'sending') AND valid_until_ms <= ?1 LIMIT ?2",
        )?
        .query_map(params![now_ms, PRUNE_BATCH], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    for id in &expired {
        expire_message(c, *id, now)?;
    }
    report.messages_expired = expired.len();

    let timeout_ms = i64::try_from(ctx.storage.reassembly_timeout_s)
        .unwrap_or(i64::MAX / 2_000)
        .saturating_mul(1_000);
    let stale: Vec<(String, String, u16, u8)> = c
        .prepare_cached(
            "SELECT modem, sender, concat_ref, total FROM inbound_parts
             WHERE message_id IS NULL AND concat_ref IS NOT NULL
             GROUP BY modem, sender, concat_ref, total HAVING min(received_ms) <= ?1",
        )?
        .query_map([now_ms.saturating_sub(timeout_ms)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    for (modem, sender, reference, total) in stale {
        let m = assemble(c, &modem, &sender, reference, total, now)?;
        report.inbound_incomplete.push(m);
    }

    let cutoff = now_ms - i64::from(ctx.storage.retention_days) * 86_400_000;
    report.messages_pruned = exec(
        c,
        "DELETE FROM messages WHERE id IN (SELECT id FROM messages
             WHERE state IN ('sent', 'delivered', 'failed', 'expired', 'cancelled')
             AND updated_ms < ?1 LIMIT ?2)",
        params![cutoff, PRUNE_BATCH],
    )?;
    report.keys_pruned = exec(
        c,
        "DELETE FROM idempotency WHERE created_ms < ?1",
        [now_ms - hours_ms(ctx.storage.idempotency_window_h)],
    )?;
    report.events_pruned = exec(
        c,
        "DELETE FROM events WHERE seq IN (SELECT seq FROM events
             WHERE published = 1 AND created_ms < ?1 LIMIT ?2)",
        params![cutoff, PRUNE_BATCH],
    )?;
    report.inbound_pruned = exec(
        c,
        "DELETE FROM inbound_messages WHERE id IN (SELECT id FROM inbound_messages
             WHERE received_ms < ?1 LIMIT ?2)",
        params![cutoff, PRUNE_BATCH],
    )?;
    exec(
        c,
        "DELETE FROM inbound_parts WHERE id IN (SELECT id FROM inbound_parts
             WHERE message_id IS NOT NULL AND received_ms < ?1 LIMIT ?2)",
        params![cutoff, PRUNE_BATCH],
    )?;
    exec(
        c,
        "DELETE FROM status_reports WHERE id IN (SELECT id FROM status_reports
             WHERE received_ms < ?1 LIMIT ?2)",
        params![cutoff, PRUNE_BATCH],
    )?;
    super::mms::prune_mms(c, cutoff)?;
    Ok(report)
}

// ------------------------------------------------------------------ status

pub(crate) fn message_status(c: &Connection, id: i64) -> Result<Option<MessageStatus>> {
    let row = c
        .prepare_cached(
            "SELECT client, recipient, state, reason, priority, parts_total, parts_sent,
                    created_ms, updated_ms FROM messages WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, u8>(4)?,
                r.get::<_, u32>(5)?,
                r.get::<_, u32>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })
        .optional()?;
    let Some((client, to, state, reason, priority, parts_total, parts_sent, created, updated)) =
        row
    else {
        return Ok(None);
    };
    let raw: Vec<(String, PartStatus)> = c
        .prepare_cached(
            "SELECT id, seq, state, attempts, modem, mr, dr_status, reason FROM parts
             WHERE message_id = ?1 ORDER BY seq",
        )?
        .query_map([id], |r| {
            let status = PartStatus {
                part_id: r.get(0)?,
                seq: r.get(1)?,
                state: PartState::Unknown,
                attempts: r.get(3)?,
                modem: r.get(4)?,
                message_reference: r.get(5)?,
                report_status: r.get(6)?,
                reason: r.get(7)?,
            };
            Ok((r.get(2)?, status))
        })?
        .collect::<std::result::Result<_, _>>()?;
    let parts = raw
        .into_iter()
        .map(|(state, mut p)| {
            p.state = part_state(p.part_id, &state)?;
            Ok(p)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(MessageStatus {
        message_id: id,
        client,
        to,
        state: message_state(id, &state)?,
        reason,
        priority,
        parts_total,
        parts_sent,
        created_at: from_ms(created),
        updated_at: from_ms(updated),
        parts,
    }))
}

#[cfg(test)]
#[path = "ops_tests.rs"]
mod tests;
