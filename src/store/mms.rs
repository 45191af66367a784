//! MMS in the store: the outbound MMS queue, WAP-push SMS parts and the
//! pushes they reassemble to, and received MMS with their parts.
//!
//! Guarantees:
//! - Acknowledge after commit: [`Store::enqueue_mms`] returns after the MMS
//!   and its `queued` event committed; an idempotency key of the same client
//!   names the first MMS for ever (until it is pruned), nothing is stored twice.
//! - States of an outbound MMS: `queued → sending → sent → delivered |
//!   failed`, or `sending → failed | unknown` (the MMSC may or may not have
//!   it: never re-sent automatically unless `[mms] retry_unknown`), or
//!   `sending → queued` again when nothing reached the MMSC. Every change a
//!   client hears about writes its event in the same transaction.
//! - Nothing received is lost: a WAP-push SMS part is committed (raw PDU
//!   included) before the modem deletes it; a complete push is kept
//!   `pending` until the MMS it announces is committed with its event in
//!   the same transaction that marks the push `done`.
//! - Time arrives as `now`; no clock reads in the operations.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{Error, EventKind, Result, Store};

/// Attempts before a WAP push whose MMS cannot be fetched is given up
/// (`failed`; it stays in the table for an operator).
pub const PUSH_ATTEMPTS_MAX: u32 = 8;

/// State of an outbound MMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MmsState {
    Queued,
    Sending,
    Sent,
    Delivered,
    Failed,
    /// The submission may or may not have reached the MMSC.
    Unknown,
}

impl MmsState {
    pub fn as_str(self) -> &'static str {
        match self {
            MmsState::Queued => "queued",
            MmsState::Sending => "sending",
            MmsState::Sent => "sent",
            MmsState::Delivered => "delivered",
            MmsState::Failed => "failed",
            MmsState::Unknown => "unknown",
        }
    }

    fn parse(s: &str) -> Option<MmsState> {
        Some(match s {
            "queued" => MmsState::Queued,
            "sending" => MmsState::Sending,
            "sent" => MmsState::Sent,
            "delivered" => MmsState::Delivered,
            "failed" => MmsState::Failed,
            "unknown" => MmsState::Unknown,
            _ => return None,
        })
    }
}

/// An MMS to send: the encoded m-send-req (its transaction id is replaced
/// when it is sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMms {
    pub client: String,
    /// The modem (name or `grp:` key of [`super::group_key`]) that must
    /// send it when modems send MMS; `None` = any.
    pub modem: Option<String>,
    pub idempotency_key: Option<String>,
    pub to: Vec<String>,
    pub subject: Option<String>,
    pub pdu: Vec<u8>,
}

/// The result of [`Store::enqueue_mms`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmsEnqueued {
    pub mms_id: i64,
    /// The idempotency key named an MMS already stored; nothing new stored.
    pub duplicate: bool,
}

/// An MMS handed to the sender; it is `sending` until [`Store::mms_result`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeasedMms {
    pub mms_id: i64,
    pub client: String,
    pub to: Vec<String>,
    pub pdu: Vec<u8>,
    /// Attempts including this one.
    pub attempts: u32,
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MmsResult {
    /// The MMSC accepted it (m-send-conf Ok) under this Message-ID.
    Sent { mmsc_message_id: Option<String> },
    /// The MMSC refused it.
    Failed { reason: String },
    /// It may or may not have reached the MMSC; not re-sent.
    Unknown { reason: String },
    /// Nothing reached the MMSC: queue it again, due at `at`.
    Retry { reason: String, at: DateTime<Utc> },
}

/// A state change of an outbound MMS, as published to its client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MmsEvent {
    pub mms_id: i64,
    pub client: String,
    pub idempotency_key: Option<String>,
    pub to: Vec<String>,
    pub state: MmsState,
    pub mmsc_message_id: Option<String>,
    pub reason: Option<String>,
}

/// One WAP-push SMS part (8-bit user data to port 2948), decoded by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushPart {
    pub modem: String,
    pub sender: String,
    /// (reference, total, 1-based sequence) of a concatenated SMS.
    pub concat: Option<(u16, u8, u8)>,
    /// The SMS user data (a piece of the WSP push PDU).
    pub data: Vec<u8>,
    pub raw_pdu: Vec<u8>,
    pub received_at: DateTime<Utc>,
}

/// A complete WAP push waiting to be handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPush {
    pub push_id: i64,
    pub modem: String,
    pub sender: String,
    /// The WSP push PDU.
    pub data: Vec<u8>,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// One part of a received MMS: inline bytes or a spooled file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MmsPart {
    /// Media type with parameters, e.g. `text/plain; charset=utf-8`.
    pub content_type: String,
    /// Content-Location (the file name the sender gave).
    pub name: Option<String>,
    pub content_id: Option<String>,
    pub size: u64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// The bytes, when stored inline.
    #[serde(with = "b64", default)]
    pub data: Option<Vec<u8>>,
    /// The spooled file, when not inline.
    pub path: Option<PathBuf>,
}

/// A received MMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMms {
    /// Set by the store.
    pub id: i64,
    pub modem: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: Option<String>,
    /// The MMSC's Date header.
    pub sent_at: Option<DateTime<Utc>>,
    pub transaction_id: String,
    pub mmsc_message_id: Option<String>,
    pub received_at: DateTime<Utc>,
    pub parts: Vec<MmsPart>,
}

/// Base64 for inline part bytes inside event JSON.
mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_some(&base64::engine::general_purpose::STANDARD.encode(d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn bad(table: &'static str, id: i64, detail: impl Into<String>) -> Error {
    Error::BadRow {
        table,
        id,
        detail: detail.into(),
    }
}

fn json_list(v: &[String]) -> String {
    serde_json::Value::from(v.to_vec()).to_string()
}

fn parse_list(table: &'static str, id: i64, s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(|e| bad(table, id, format!("recipients: {e}")))
}

// --------------------------------------------------------------- outbound

fn emit_mms(c: &Connection, mms_id: i64, now: DateTime<Utc>) -> Result<MmsEvent> {
    let ev = mms_event(c, mms_id)?.ok_or(Error::NotFound {
        what: "mms",
        id: mms_id,
    })?;
    super::ops::emit(c, &EventKind::Mms(ev.clone()), now)?;
    Ok(ev)
}

pub(crate) fn mms_event(c: &Connection, mms_id: i64) -> Result<Option<MmsEvent>> {
    let row = c
        .prepare_cached(
            "SELECT client, idem_key, recipients, state, mmsc_id, reason FROM mms_out WHERE id = ?1",
        )?
        .query_row([mms_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })
        .optional()?;
    let Some((client, idempotency_key, to, state, mmsc_message_id, reason)) = row else {
        return Ok(None);
    };
    Ok(Some(MmsEvent {
        mms_id,
        client,
        idempotency_key,
        to: parse_list("mms_out", mms_id, &to)?,
        state: MmsState::parse(&state)
            .ok_or_else(|| bad("mms_out", mms_id, format!("unknown state {state:?}")))?,
        mmsc_message_id,
        reason,
    }))
}

pub(crate) fn enqueue_mms(c: &Connection, m: &NewMms, now: DateTime<Utc>) -> Result<MmsEnqueued> {
    if m.to.is_empty() {
        return Err(Error::Invalid("an MMS needs a recipient".into()));
    }
    if let Some(key) = &m.idempotency_key {
        let seen: Option<i64> = c
            .prepare_cached("SELECT id FROM mms_out WHERE client = ?1 AND idem_key = ?2")?
            .query_row(params![m.client, key], |r| r.get(0))
            .optional()?;
        if let Some(mms_id) = seen {
            return Ok(MmsEnqueued {
                mms_id,
                duplicate: true,
            });
        }
    }
    c.prepare_cached(
        "INSERT INTO mms_out (client, idem_key, recipients, subject, pdu, size, state, due_ms,
             created_ms, updated_ms, want_modem)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?7, ?7, ?8)",
    )?
    .execute(params![
        m.client,
        m.idempotency_key,
        json_list(&m.to),
        m.subject,
        m.pdu,
        m.pdu.len() as i64,
        ms(now),
        m.modem.as_deref().unwrap_or("")
    ])?;
    let mms_id = c.last_insert_rowid();
    emit_mms(c, mms_id, now)?;
    Ok(MmsEnqueued {
        mms_id,
        duplicate: false,
    })
}

/// The SQL condition "`want_modem` lets modem ?1 send it".
const SERVES: &str = "(want_modem = '' OR want_modem = ?1
     OR (want_modem LIKE 'grp:%' AND ',' || substr(want_modem, 5) || ',' LIKE '%,' || ?1 || ',%'))";

/// Whether a queued MMS that `modem` may send is due (read only).
pub(crate) fn mms_due_for(c: &Connection, modem: &str, now: DateTime<Utc>) -> Result<bool> {
    let sql = format!(
        "SELECT 1 FROM mms_out WHERE state = 'queued' AND due_ms <= ?2 AND {SERVES} LIMIT 1"
    );
    Ok(c.prepare_cached(&sql)?
        .query_row(params![modem, ms(now)], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(crate) fn mms_due(c: &Connection, now: DateTime<Utc>) -> Result<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM mms_out WHERE state = 'queued' AND due_ms <= ?1 LIMIT 1")?
            .query_row([ms(now)], |_| Ok(()))
            .optional()?
            .is_some(),
    )
}

/// Leases the oldest due queued MMS (any routing key) or, with `modem`,
/// the oldest that modem may send.
pub(crate) fn lease_mms(
    c: &Connection,
    modem: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<LeasedMms>> {
    let filter = if modem.is_some() {
        SERVES
    } else {
        "?1 IS NULL"
    };
    let sql = format!(
        "SELECT id, client, recipients, pdu, attempts FROM mms_out
         WHERE state = 'queued' AND due_ms <= ?2 AND {filter} ORDER BY due_ms, id LIMIT 1"
    );
    let row = c
        .prepare_cached(&sql)?
        .query_row(params![modem, ms(now)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, u32>(4)?,
            ))
        })
        .optional()?;
    let Some((mms_id, client, to, pdu, attempts)) = row else {
        return Ok(None);
    };
    c.execute(
        "UPDATE mms_out SET state = 'sending', attempts = attempts + 1, updated_ms = ?2 WHERE id = ?1",
        params![mms_id, ms(now)],
    )?;
    Ok(Some(LeasedMms {
        mms_id,
        client,
        to: parse_list("mms_out", mms_id, &to)?,
        pdu,
        attempts: attempts + 1,
    }))
}

pub(crate) fn mms_result(
    c: &Connection,
    mms_id: i64,
    result: &MmsResult,
    now: DateTime<Utc>,
) -> Result<()> {
    let state: Option<String> = c
        .prepare_cached("SELECT state FROM mms_out WHERE id = ?1")?
        .query_row([mms_id], |r| r.get(0))
        .optional()?;
    match state.as_deref() {
        None => {
            return Err(Error::NotFound {
                what: "mms",
                id: mms_id,
            })
        }
        Some("sending") => {}
        Some(other) => {
            return Err(Error::InvalidTransition {
                part_id: mms_id,
                from: other.to_string(),
                to: "a send result",
            })
        }
    }
    let (state, mmsc_id, reason, due) = match result {
        MmsResult::Sent { mmsc_message_id } => ("sent", mmsc_message_id.clone(), None, None),
        MmsResult::Failed { reason } => ("failed", None, Some(reason.clone()), None),
        MmsResult::Unknown { reason } => ("unknown", None, Some(reason.clone()), None),
        MmsResult::Retry { reason, at } => ("queued", None, Some(reason.clone()), Some(ms(*at))),
    };
    c.execute(
        "UPDATE mms_out SET state = ?2, mmsc_id = coalesce(?3, mmsc_id), reason = ?4,
             due_ms = coalesce(?5, due_ms), updated_ms = ?6 WHERE id = ?1",
        params![mms_id, state, mmsc_id, reason, due, ms(now)],
    )?;
    if due.is_none() {
        emit_mms(c, mms_id, now)?;
    }
    Ok(())
}

/// How a delivery report (m-delivery-ind) ends an MMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    Failed { reason: String },
}

pub(crate) fn mms_delivery(
    c: &Connection,
    mmsc_message_id: &str,
    delivery: &Delivery,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let found: Option<i64> = c
        .prepare_cached(
            "SELECT id FROM mms_out WHERE mmsc_id = ?1 AND state IN ('sent', 'unknown')
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([mmsc_message_id], |r| r.get(0))
        .optional()?;
    let Some(mms_id) = found else {
        return Ok(None);
    };
    let (state, reason) = match delivery {
        Delivery::Delivered => ("delivered", None),
        Delivery::Failed { reason } => ("failed", Some(reason.as_str())),
    };
    c.execute(
        "UPDATE mms_out SET state = ?2, reason = ?3, updated_ms = ?4 WHERE id = ?1",
        params![mms_id, state, reason, ms(now)],
    )?;
    emit_mms(c, mms_id, now)?;
    Ok(Some(mms_id))
}

pub(crate) fn recover_mms(
    c: &Connection,
    retry_unknown: bool,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let ids: Vec<i64> = c
        .prepare_cached("SELECT id FROM mms_out WHERE state = 'sending'")?
        .query_map([], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    for &id in &ids {
        let result = if retry_unknown {
            MmsResult::Retry {
                reason: "gsmq stopped during the submission; re-sent as configured".into(),
                at: now,
            }
        } else {
            MmsResult::Unknown {
                reason: "gsmq stopped during the submission; the MMSC may have it".into(),
            }
        };
        mms_result(c, id, &result, now)?;
    }
    Ok(ids)
}

// ---------------------------------------------------------------- inbound

pub(crate) fn store_push_part(c: &Connection, p: &PushPart) -> Result<Option<i64>> {
    let seen = c
        .prepare_cached("SELECT 1 FROM mms_push_parts WHERE modem = ?1 AND raw_pdu = ?2 LIMIT 1")?
        .query_row(params![p.modem, p.raw_pdu], |_| Ok(()))
        .optional()?
        .is_some();
    if seen {
        return Ok(None);
    }
    let (reference, total, seq) = match p
        .concat
        .filter(|&(_, total, seq)| total > 1 && seq >= 1 && seq <= total)
    {
        Some((r, t, s)) => (Some(r), t, s),
        None => (None, 1, 1),
    };
    if reference.is_some() {
        let dup = c
            .prepare_cached(
                "SELECT 1 FROM mms_push_parts WHERE push_id IS NULL AND modem = ?1 AND sender = ?2
                 AND concat_ref = ?3 AND total = ?4 AND seq = ?5 LIMIT 1",
            )?
            .query_row(
                params![p.modem, p.sender, reference, total, seq],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if dup {
            return Ok(None);
        }
    }
    c.prepare_cached(
        "INSERT INTO mms_push_parts (modem, sender, concat_ref, total, seq, data, raw_pdu, received_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        p.modem,
        p.sender,
        reference,
        total,
        seq,
        p.data,
        p.raw_pdu,
        ms(p.received_at)
    ])?;
    let parts: Vec<(i64, Vec<u8>)> = if reference.is_none() {
        vec![(c.last_insert_rowid(), p.data.clone())]
    } else {
        let group: Vec<(i64, Vec<u8>)> = c
            .prepare_cached(
                "SELECT id, data FROM mms_push_parts WHERE push_id IS NULL AND modem = ?1
                 AND sender = ?2 AND concat_ref = ?3 AND total = ?4 ORDER BY seq",
            )?
            .query_map(params![p.modem, p.sender, reference, total], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<std::result::Result<_, _>>()?;
        if group.len() < usize::from(total) {
            return Ok(None);
        }
        group
    };
    let data: Vec<u8> = parts.iter().flat_map(|p| p.1.iter().copied()).collect();
    c.prepare_cached(
        "INSERT INTO mms_pushes (modem, sender, data, state, due_ms, received_ms, updated_ms)
         VALUES (?1, ?2, ?3, 'pending', ?4, ?4, ?4)",
    )?
    .execute(params![p.modem, p.sender, data, ms(p.received_at)])?;
    let push_id = c.last_insert_rowid();
    let mut attach = c.prepare_cached("UPDATE mms_push_parts SET push_id = ?2 WHERE id = ?1")?;
    for (id, _) in &parts {
        attach.execute(params![id, push_id])?;
    }
    Ok(Some(push_id))
}

pub(crate) fn pending_pushes(
    c: &Connection,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<PendingPush>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = c
        .prepare_cached(
            "SELECT id, modem, sender, data, attempts FROM mms_pushes
             WHERE state = 'pending' AND due_ms <= ?1 ORDER BY due_ms, id LIMIT ?2",
        )?
        .query_map(params![ms(now), limit], |r| {
            Ok(PendingPush {
                push_id: r.get(0)?,
                modem: r.get(1)?,
                sender: r.get(2)?,
                data: r.get(3)?,
                attempts: r.get(4)?,
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    Ok(rows)
}

/// Whether a push received by `modem` is pending and due (read only).
pub(crate) fn push_due(c: &Connection, modem: &str, now: DateTime<Utc>) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM mms_pushes WHERE state = 'pending' AND due_ms <= ?2 AND modem = ?1 LIMIT 1",
    )?
    .query_row(params![modem, ms(now)], |_| Ok(()))
    .optional()?
    .is_some())
}

/// The oldest due pending push received by `modem`, held for `hold` (due
/// again after it unless its outcome is recorded first, so a crash loses
/// nothing).
pub(crate) fn lease_push(
    c: &Connection,
    modem: &str,
    now: DateTime<Utc>,
    hold: chrono::Duration,
) -> Result<Option<PendingPush>> {
    let found = c
        .prepare_cached(
            "SELECT id, modem, sender, data, attempts FROM mms_pushes
             WHERE state = 'pending' AND due_ms <= ?2 AND modem = ?1 ORDER BY due_ms, id LIMIT 1",
        )?
        .query_row(params![modem, ms(now)], |r| {
            Ok(PendingPush {
                push_id: r.get(0)?,
                modem: r.get(1)?,
                sender: r.get(2)?,
                data: r.get(3)?,
                attempts: r.get(4)?,
            })
        })
        .optional()?;
    if let Some(p) = &found {
        c.execute(
            "UPDATE mms_pushes SET due_ms = ?2, updated_ms = ?3 WHERE id = ?1",
            params![p.push_id, ms(now + hold), ms(now)],
        )?;
    }
    Ok(found)
}

/// How handling a push ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Nothing more to do (e.g. a read report, or a delivery report applied).
    Done,
    /// Try again at `at` (after [`PUSH_ATTEMPTS_MAX`] attempts: `failed`).
    Retry { reason: String, at: DateTime<Utc> },
    /// Never handled (undecodable); kept as `failed`.
    Failed { reason: String },
}

pub(crate) fn push_outcome(
    c: &Connection,
    push_id: i64,
    outcome: &PushOutcome,
    now: DateTime<Utc>,
) -> Result<()> {
    let (state, reason, due): (&str, Option<&str>, Option<i64>) = match outcome {
        PushOutcome::Done => ("done", None, None),
        PushOutcome::Retry { reason, at } => {
            let attempts: u32 = c
                .prepare_cached("SELECT attempts FROM mms_pushes WHERE id = ?1")?
                .query_row([push_id], |r| r.get(0))
                .optional()?
                .ok_or(Error::NotFound {
                    what: "push",
                    id: push_id,
                })?;
            if attempts + 1 >= PUSH_ATTEMPTS_MAX {
                ("failed", Some(reason.as_str()), None)
            } else {
                ("pending", Some(reason.as_str()), Some(ms(*at)))
            }
        }
        PushOutcome::Failed { reason } => ("failed", Some(reason.as_str()), None),
    };
    let n = c.execute(
        "UPDATE mms_pushes SET state = ?2, reason = ?3, due_ms = coalesce(?4, due_ms),
             attempts = attempts + (?2 != 'done'), updated_ms = ?5 WHERE id = ?1",
        params![push_id, state, reason, due, ms(now)],
    )?;
    if n == 0 {
        return Err(Error::NotFound {
            what: "push",
            id: push_id,
        });
    }
    Ok(())
}

pub(crate) fn store_inbound_mms(
    c: &Connection,
    push_id: Option<i64>,
    m: &mut InboundMms,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO mms_in (push_id, modem, sender, recipients, subject, sent_ms, transaction_id,
             mmsc_id, received_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        push_id,
        m.modem,
        m.from,
        json_list(&m.to),
        m.subject,
        m.sent_at.map(ms),
        m.transaction_id,
        m.mmsc_message_id,
        ms(m.received_at)
    ])?;
    m.id = c.last_insert_rowid();
    let mut insert = c.prepare_cached(
        "INSERT INTO mms_in_parts (mms_id, seq, content_type, name, content_id, size, sha256, data, path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (seq, p) in m.parts.iter().enumerate() {
        insert.execute(params![
            m.id,
            seq as i64,
            p.content_type,
            p.name,
            p.content_id,
            i64::try_from(p.size).unwrap_or(i64::MAX),
            p.sha256,
            p.data,
            p.path.as_ref().map(|p| p.to_string_lossy().into_owned()),
        ])?;
    }
    super::ops::emit(c, &EventKind::MmsInbound(m.clone()), m.received_at)?;
    if let Some(push_id) = push_id {
        push_outcome(c, push_id, &PushOutcome::Done, m.received_at)?;
    }
    Ok(())
}

// ------------------------------------------------------------- maintenance

/// Rows pruned per table and pass.
const PRUNE_BATCH: i64 = 10_000;

/// Deletes finished outbound MMS, handled pushes (with their parts),
/// stray push parts and received MMS older than `cutoff_ms`. Spooled files
/// are left to the operator. Returns the rows deleted.
pub(crate) fn prune_mms(c: &Connection, cutoff_ms: i64) -> Result<usize> {
    let mut n = c.execute(
        "DELETE FROM mms_out WHERE id IN (SELECT id FROM mms_out
             WHERE state IN ('sent', 'delivered', 'failed', 'unknown') AND updated_ms < ?1 LIMIT ?2)",
        params![cutoff_ms, PRUNE_BATCH],
    )?;
    n += c.execute(
        "DELETE FROM mms_push_parts WHERE id IN (SELECT id FROM mms_push_parts
             WHERE received_ms < ?1 AND (push_id IS NULL OR push_id IN
                 (SELECT id FROM mms_pushes WHERE state != 'pending')) LIMIT ?2)",
        params![cutoff_ms, PRUNE_BATCH],
    )?;
    n += c.execute(
        "DELETE FROM mms_pushes WHERE id IN (SELECT id FROM mms_pushes
             WHERE state != 'pending' AND updated_ms < ?1 LIMIT ?2)",
        params![cutoff_ms, PRUNE_BATCH],
    )?;
    n += c.execute(
        "DELETE FROM mms_in_parts WHERE mms_id IN (SELECT id FROM mms_in
             WHERE received_ms < ?1 LIMIT ?2)",
        params![cutoff_ms, PRUNE_BATCH],
    )?;
    n += c.execute(
        "DELETE FROM mms_in WHERE id IN (SELECT id FROM mms_in WHERE received_ms < ?1 LIMIT ?2)",
        params![cutoff_ms, PRUNE_BATCH],
    )?;
    Ok(n)
}

// ------------------------------------------------------------- the Store

impl Store {
    /// Stores an MMS to send (or finds its idempotency key) with its
    /// `queued` event; returns after commit.
    pub async fn enqueue_mms(&self, mms: NewMms, now: DateTime<Utc>) -> Result<MmsEnqueued> {
        self.write(move |c, _| enqueue_mms(c, &mms, now)).await
    }

    /// Whether a queued MMS is due (read only: cheap to poll).
    pub async fn mms_due(&self, now: DateTime<Utc>) -> Result<bool> {
        self.read(move |c| mms_due(c, now)).await
    }

    /// Leases the oldest due queued MMS; it is `sending` until
    /// [`Store::mms_result`].
    pub async fn lease_mms(&self, now: DateTime<Utc>) -> Result<Option<LeasedMms>> {
        self.write(move |c, _| lease_mms(c, None, now)).await
    }

    /// Whether a queued MMS that `modem` may send is due (its routing key
    /// is any modem, `modem`, or a group with it). Read only.
    pub async fn mms_due_for(&self, modem: &str, now: DateTime<Utc>) -> Result<bool> {
        let modem = modem.to_owned();
        self.read(move |c| mms_due_for(c, &modem, now)).await
    }

    /// As [`Store::lease_mms`], among the MMS `modem` may send.
    pub async fn lease_mms_for(
        &self,
        modem: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LeasedMms>> {
        let modem = modem.to_owned();
        self.write(move |c, _| lease_mms(c, Some(&modem), now))
            .await
    }

    /// Records the outcome of a submission (with its event).
    pub async fn mms_result(
        &self,
        mms_id: i64,
        result: MmsResult,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(move |c, _| mms_result(c, mms_id, &result, now))
            .await
    }

    /// Applies a delivery report to the MMS the MMSC knows as
    /// `mmsc_message_id`; returns that MMS, if any.
    pub async fn mms_delivery(
        &self,
        mmsc_message_id: &str,
        delivery: Delivery,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let id = mmsc_message_id.to_owned();
        self.write(move |c, _| mms_delivery(c, &id, &delivery, now))
            .await
    }

    /// MMS found `sending` at start-up become `unknown` (with an event), or
    /// are queued again when `retry_unknown`. Call once before the sender runs.
    pub async fn recover_mms(&self, retry_unknown: bool, now: DateTime<Utc>) -> Result<Vec<i64>> {
        self.write(move |c, _| recover_mms(c, retry_unknown, now))
            .await
    }

    /// An outbound MMS as its last event describes it.
    pub async fn mms(&self, mms_id: i64) -> Result<Option<MmsEvent>> {
        self.read(move |c| mms_event(c, mms_id)).await
    }

    /// Persists a WAP-push SMS part (return = committed: the modem's copy
    /// may be deleted). Returns the push id when this part completes a push.
    pub async fn store_push_part(&self, part: PushPart) -> Result<Option<i64>> {
        self.write(move |c, _| store_push_part(c, &part)).await
    }

    /// Complete pushes not yet handled and due, oldest first.
    pub async fn pending_pushes(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<PendingPush>> {
        self.read(move |c| pending_pushes(c, now, limit)).await
    }

    /// Whether a push received by `modem` is due (read only: cheap to poll).
    pub async fn push_due(&self, modem: &str, now: DateTime<Utc>) -> Result<bool> {
        let modem = modem.to_owned();
        self.read(move |c| push_due(c, &modem, now)).await
    }

    /// Leases the oldest due push received by `modem` for `hold` (see
    /// [`Store::push_outcome`] to end it; unrecorded, it is due again after `hold`).
    pub async fn lease_push(
        &self,
        modem: &str,
        now: DateTime<Utc>,
        hold: chrono::Duration,
    ) -> Result<Option<PendingPush>> {
        let modem = modem.to_owned();
        self.write(move |c, _| lease_push(c, &modem, now, hold))
            .await
    }

    /// Records how handling a push ended.
    pub async fn push_outcome(
        &self,
        push_id: i64,
        outcome: PushOutcome,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(move |c, _| push_outcome(c, push_id, &outcome, now))
            .await
    }

    /// Commits a received MMS, its parts and its event, and marks the push
    /// that announced it done, in one transaction. Returns the MMS with its id.
    pub async fn store_inbound_mms(
        &self,
        push_id: Option<i64>,
        mut mms: InboundMms,
    ) -> Result<InboundMms> {
        self.write(move |c, _| {
            store_inbound_mms(c, push_id, &mut mms)?;
            Ok(mms)
        })
        .await
    }
}

#[cfg(test)]
mod tests;
