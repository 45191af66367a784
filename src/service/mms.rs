//! The `mms/send` request: encode the m-send-req (size limit), commit it,
//! then reply — the same acknowledge-after-commit rule as SMS.

use super::{Backend, Shared};
use crate::api::mms::{encode_send_req, MmsSendRequest};
use crate::api::{Error, ErrorCode, Reply};

/// An MMS to commit (mirrors `store::NewMms`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMmsOut {
    pub client: String,
    /// Which modems may send it (`[mms] transport = "modem"`).
    pub route: crate::api::Route,
    pub idempotency_key: Option<String>,
    pub to: Vec<String>,
    pub subject: Option<String>,
    /// The encoded m-send-req.
    pub pdu: Vec<u8>,
}

/// The store's answer to an MMS enqueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmsEnqueued {
    pub message_id: i64,
    pub duplicate: bool,
}

pub(super) async fn send<B: Backend>(
    shared: &Shared<B>,
    user: &str,
    r: MmsSendRequest,
) -> Result<Reply, Error> {
    let Some(max) = shared.api().mms_max_message_bytes() else {
        return Err(Error::new(
            ErrorCode::NotPermitted,
            "MMS is not enabled on this gateway (no [mms] section)",
        ));
    };
    let pdu = encode_send_req(&r, max)?;
    // Eligibility (permissions, prefixes) is judged on the first recipient.
    let route = shared.api().route(user, r.modem.as_deref(), &r.to[0])?;
    let stored = shared
        .backend
        .enqueue_mms(NewMmsOut {
            route,
            client: user.to_string(),
            idempotency_key: r.id.clone(),
            to: r.to,
            subject: r.subject,
            pdu,
        })
        .await;
    shared.outbox.notify_one();
    let stored = stored.map_err(|e| {
        tracing::warn!(user, error = %e, "MMS request not committed");
        Error::storage(e)
    })?;
    Ok(Reply {
        message_id: Some(stored.message_id),
        duplicate: stored.duplicate,
        ..Reply::ok(r.id)
    })
}

/// The store's MMS status event in API form (`sending` is internal: `None`).
pub(super) fn status_event(
    seq: i64,
    at: chrono::DateTime<chrono::Utc>,
    m: crate::store::MmsEvent,
) -> Option<super::OutboxEvent> {
    use crate::api::mms::{MmsState, MmsStatusEvent};
    use crate::store::MmsState as S;
    let state = match m.state {
        S::Queued => MmsState::Queued,
        S::Sending => return None,
        S::Sent => MmsState::Sent,
        S::Delivered => MmsState::Delivered,
        S::Failed => MmsState::Failed,
        S::Unknown => MmsState::Unknown,
    };
    Some(super::OutboxEvent::MmsStatus {
        user: m.client,
        event: MmsStatusEvent {
            seq,
            message_id: m.mms_id,
            id: m.idempotency_key,
            to: m.to,
            state,
            mmsc_message_id: m.mmsc_message_id,
            reason: m.reason,
            at,
        },
    })
}

/// The store's received MMS in API form.
pub(super) fn inbox_message(seq: i64, m: crate::store::InboundMms) -> super::OutboxEvent {
    use crate::api::mms::{MmsInboxMessage, MmsInboxPart};
    use base64::Engine as _;
    super::OutboxEvent::MmsInbox(MmsInboxMessage {
        seq,
        message_id: m.id,
        from: m.from,
        to: m.to,
        modem: m.modem,
        subject: m.subject,
        sent_at: m.sent_at,
        received_at: m.received_at,
        parts: m
            .parts
            .into_iter()
            .map(|p| MmsInboxPart {
                content_type: p.content_type,
                name: p.name,
                content_id: p.content_id,
                size: p.size,
                sha256: p.sha256,
                data_base64: p
                    .data
                    .map(|d| base64::engine::general_purpose::STANDARD.encode(d)),
                path: p.path.map(|p| p.to_string_lossy().into_owned()),
            })
            .collect(),
    })
}
