//! The MQTT topic schema and payloads: gsmq's product API. Sans-IO.
//!
//! - [`topics`]: every topic string gsmq uses, parsing of request topics,
//!   and the ACL rules of the gsmq namespace.
//! - [`request`]: request payload parsing and validation (error codes).
//! - [`payload`]: replies, status events, inbound messages, modem state.
//! - [`limits`]: token buckets and daily quotas.
//! - [`mms`]: the `mms/send` request and the MMS status and inbox payloads.
//! - [`Api`]: the admission engine the service drives: permissions, rate
//!   limits, modem resolution, quotas, inbox routing.
//!
//! Guarantees: no I/O, no tokio, no clock reads (time is an argument);
//! every client input ends in a typed error with an [`ErrorCode`], never a
//! panic.

pub mod acl;
mod engine;
pub mod limits;
pub mod mms;
pub mod payload;
pub mod request;
pub mod topics;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use engine::{Admitted, Api, InboundMeta, Route};
pub use payload::{
    BulkItem, GatewayStatus, InboxMessage, MessageState, ModemState, ModemStatus, Registration,
    Reply, StatusEvent,
};
pub use request::{EncodingChoice, Request};
pub use topics::{RequestKind, Topics};

/// The error codes a reply can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The payload is not a JSON object in UTF-8.
    InvalidJson,
    /// A field is unknown, missing, of the wrong type or out of range; `field` names it.
    InvalidField,
    /// A recipient is not a phone number.
    InvalidRecipient,
    /// `text` is empty or blank.
    EmptyText,
    /// The text needs more parts than `api.max_parts`.
    TooLong,
    /// `modem` names no configured modem or tag.
    UnknownModem,
    /// Too many requests; retry after `retry_after_ms`.
    RateLimited,
    /// The user's daily part quota is used up; `retry_after_ms` is the reset.
    QuotaExceeded,
    /// The store could not commit; nothing was accepted.
    StorageUnavailable,
    /// The user lacks the permission or the modem is not theirs.
    NotPermitted,
    /// The payload exceeds `api.max_payload_bytes`.
    PayloadTooLarge,
    /// Cancel: no such message of this user.
    NotFound,
    /// Cancel: the message is already sent or finished.
    NotCancellable,
    /// USSD: the modem could not run the code (busy, offline, network error).
    ModemUnavailable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::InvalidJson,
        ErrorCode::InvalidField,
        ErrorCode::InvalidRecipient,
        ErrorCode::EmptyText,
        ErrorCode::TooLong,
        ErrorCode::UnknownModem,
        ErrorCode::RateLimited,
        ErrorCode::QuotaExceeded,
        ErrorCode::StorageUnavailable,
        ErrorCode::NotPermitted,
        ErrorCode::PayloadTooLarge,
        ErrorCode::NotFound,
        ErrorCode::NotCancellable,
        ErrorCode::ModemUnavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::InvalidRecipient => "invalid_recipient",
            ErrorCode::EmptyText => "empty_text",
            ErrorCode::TooLong => "too_long",
            ErrorCode::UnknownModem => "unknown_modem",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::StorageUnavailable => "storage_unavailable",
            ErrorCode::NotPermitted => "not_permitted",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NotCancellable => "not_cancellable",
            ErrorCode::ModemUnavailable => "modem_unavailable",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answered to a client (the `error` object of a reply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            field: None,
            retry_after_ms: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Error {
        self.field = Some(field.into());
        self
    }

    /// Rounds up to whole milliseconds (at least 1).
    pub fn with_retry_after(mut self, after: Duration) -> Error {
        let ms = after.as_micros().div_ceil(1000).max(1);
        self.retry_after_ms = Some(u64::try_from(ms).unwrap_or(u64::MAX));
        self
    }

    /// `storage_unavailable`, with a hint to retry soon.
    pub fn storage(detail: impl std::fmt::Display) -> Error {
        Error::new(
            ErrorCode::StorageUnavailable,
            format!("the request was not stored: {detail}"),
        )
        .with_retry_after(Duration::from_secs(1))
    }
}

impl From<request::Error> for Error {
    fn from(e: request::Error) -> Error {
        Error {
            code: e.code(),
            field: e.field().map(str::to_string),
            message: e.to_string(),
            retry_after_ms: None,
        }
    }
}
