//! Payloads gsmq publishes: replies, status events, inbound messages, modem
//! state and gateway status. Pure data with serde; docs/schemas/*.json
//! describe exactly these fields (checked by tests/api_docs.rs).
//!
//! Guarantees: serialising never fails and never panics; absent optional
//! fields are left out rather than sent as `null` (except `id` in replies,
//! which is always present so clients can correlate).

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use super::Error;

/// One reply per request on `{prefix}/{user}/reply` (or the v5 Response
/// Topic). `ok` tells which of the other fields are present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Reply {
    /// The request's `id` (for cancel: the key it named), or `null`.
    pub id: Option<String>,
    pub ok: bool,
    /// Send (single recipient) and cancel: the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i64>,
    /// Send: SMS parts per recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<usize>,
    /// Send: the encoding chosen (`gsm7`, `gsm7_national`, `8bit`, `ucs2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Send: true when the `id` was seen before and nothing was sent again.
    #[serde(default, skip_serializing_if = "is_false")]
    pub duplicate: bool,
    /// Bulk send: one entry per recipient, in request order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<BulkItem>>,
    /// Cancel: the message's state after the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<MessageState>,
    /// USSD: the modem that ran the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modem: Option<String>,
    /// USSD: the network's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// USSD: true when the network expects a further answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_open: Option<bool>,
    /// Replay: events re-published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed: Option<usize>,
    /// Replay: the last seq replayed (ask again with `after` = this).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<i64>,
    /// Replay: true when more events follow `last_seq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more: Option<bool>,
    /// `ok == false`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Reply {
    /// A refusal.
    pub fn error(id: Option<String>, error: Error) -> Reply {
        Reply {
            id,
            ok: false,
            error: Some(error),
            ..Reply::default()
        }
    }

    /// An acceptance with nothing filled in yet.
    pub fn ok(id: Option<String>) -> Reply {
        Reply {
            id,
            ok: true,
            ..Reply::default()
        }
    }

    /// The JSON bytes published.
    pub fn to_bytes(&self) -> Vec<u8> {
        to_bytes(self)
    }
}

/// One recipient of a bulk send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkItem {
    pub to: String,
    pub message_id: i64,
    pub parts: usize,
    #[serde(default, skip_serializing_if = "is_false")]
    pub duplicate: bool,
}

/// The life-cycle state of an outgoing message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Queued,
    Sent,
    Delivered,
    Failed,
    Expired,
    Cancelled,
}

impl MessageState {
    pub const ALL: [MessageState; 6] = [
        MessageState::Queued,
        MessageState::Sent,
        MessageState::Delivered,
        MessageState::Failed,
        MessageState::Expired,
        MessageState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Queued => "queued",
            MessageState::Sent => "sent",
            MessageState::Delivered => "delivered",
            MessageState::Failed => "failed",
            MessageState::Expired => "expired",
            MessageState::Cancelled => "cancelled",
        }
    }

    /// Parses the store's spelling (the same words).
    pub fn parse(s: &str) -> Option<MessageState> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// No further state change follows. `sent` is terminal only for
    /// messages sent without a delivery report.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            MessageState::Delivered
                | MessageState::Failed
                | MessageState::Expired
                | MessageState::Cancelled
        )
    }
}

/// A state change on `{prefix}/{user}/sms/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusEvent {
    /// Event sequence number (for `events/replay`).
    pub seq: i64,
    pub message_id: i64,
    /// The idempotency key of the send request, if it had one.
    pub id: Option<String>,
    pub to: String,
    pub state: MessageState,
    pub parts_sent: u32,
    pub parts_total: u32,
    /// The modem that sent (or tried to send) it.
    pub modem: Option<String>,
    /// Why it failed, expired or was cancelled.
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// An inbound SMS on `{prefix}/inbox/sms` and routed `{prefix}/{user}/sms/inbox`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxMessage {
    /// Event sequence number (for `events/replay`).
    pub seq: i64,
    pub message_id: i64,
    pub from: String,
    pub modem: String,
    pub text: String,
    pub encoding: String,
    pub received_at: DateTime<Utc>,
    /// The SMSC time stamp, with the sender network's offset.
    pub sent_at: Option<DateTime<FixedOffset>>,
    pub parts: u32,
    /// False when the reassembly timeout passed with parts missing; `text`
    /// then holds the parts that arrived.
    pub complete: bool,
}

/// Whether a modem can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModemStatus {
    Ready,
    Initialising,
    Resetting,
    Offline,
}

/// Network registration of a modem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    Home,
    Roaming,
    Searching,
    Denied,
}

/// Retained on `{prefix}/modem/{name}/state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModemState {
    pub state: ModemStatus,
    pub signal_dbm: Option<i32>,
    pub registration: Option<Registration>,
    pub operator: Option<String>,
    pub imei: Option<String>,
    pub iccid: Option<String>,
    /// Parts waiting for this modem.
    pub queue: u64,
}

impl ModemState {
    pub fn to_bytes(&self) -> Vec<u8> {
        to_bytes(self)
    }
}

/// Retained on `{prefix}/status` as plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayStatus {
    Online,
    Offline,
}

impl GatewayStatus {
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            GatewayStatus::Online => b"online",
            GatewayStatus::Offline => b"offline",
        }
    }
}

/// Serialises a payload. Our payload types contain only strings, numbers,
/// booleans and chrono dates, which serde_json always serialises.
pub fn to_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorCode;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn a_send_reply_has_the_documented_shape() {
        let r = Reply {
            message_id: Some(17),
            parts: Some(2),
            encoding: Some("gsm7".into()),
            ..Reply::ok(Some("k".into()))
        };
        let v: serde_json::Value = serde_json::from_slice(&r.to_bytes()).unwrap();
        assert_eq!(
            v,
            json!({"id": "k", "ok": true, "message_id": 17, "parts": 2, "encoding": "gsm7"})
        );
    }

    #[test]
    fn a_duplicate_is_flagged_and_a_missing_id_is_null() {
        let r = Reply {
            message_id: Some(3),
            duplicate: true,
            ..Reply::ok(None)
        };
        let v: serde_json::Value = serde_json::from_slice(&r.to_bytes()).unwrap();
        assert_eq!(
            v,
            json!({"id": null, "ok": true, "message_id": 3, "duplicate": true})
        );
    }

    #[test]
    fn an_error_reply_carries_code_message_field_and_retry() {
        let e = Error::new(ErrorCode::RateLimited, "slow down")
            .with_retry_after(std::time::Duration::from_millis(250));
        let v: serde_json::Value =
            serde_json::from_slice(&Reply::error(Some("x".into()), e).to_bytes()).unwrap();
        assert_eq!(
            v,
            json!({"id": "x", "ok": false, "error": {"code": "rate_limited", "message": "slow down", "retry_after_ms": 250}})
        );
    }

    #[test]
    fn a_status_event_serialises_every_field() {
        let e = StatusEvent {
            seq: 9,
            message_id: 4,
            id: None,
            to: "+4917112345".into(),
            state: MessageState::Delivered,
            parts_sent: 2,
            parts_total: 2,
            modem: Some("m1".into()),
            reason: None,
            at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        };
        let v: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            json!({"seq": 9, "message_id": 4, "id": null, "to": "+4917112345", "state": "delivered",
                   "parts_sent": 2, "parts_total": 2, "modem": "m1", "reason": null, "at": "2026-01-02T03:04:05Z"})
        );
    }

    #[test]
    fn message_states_round_trip_their_names() {
        for s in MessageState::ALL {
            assert_eq!(MessageState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
        }
        assert!(!MessageState::Queued.is_terminal());
        assert!(MessageState::Cancelled.is_terminal());
    }
}
