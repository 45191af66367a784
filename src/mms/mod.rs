//! Sans-IO WSP/MMS codec: the OMA MMS encapsulation (MMS 1.0 to 1.3) with
//! WSP headers and multipart bodies, and the WAP push that announces an MMS
//! by SMS. No I/O, no clock: the MM1 HTTP transport lives in `crate::mmsc`.
//!
//! Guarantees: decoding never panics on any input; every decode error names
//! the header or field and the absolute octet offset; for every value the
//! encoders accept, `decode(encode(x)) == x` (checked by property tests and
//! by [`fuzz_decode`]).

mod header;
mod message;
mod push;
pub mod wsp;

pub use header::{field_name, response, status, Header, MessageClass, MessageType, TimeSpec};
pub use message::{
    address, read_multipart, strip_type, write_multipart, Body, Part, PartHeader, Pdu, PARTS_MAX,
    VERSION,
};
pub use push::{
    is_push, push_to_sms, sms_to_push, Push, PushAssembler, APPLICATION_ID, APP_MMS_UA,
    MMS_MESSAGE, PDU_CONFIRMED_PUSH, PDU_PUSH, PORT_PUSH, PORT_WAP,
};
pub use wsp::{charset, ContentType, EncodedString, Param};

/// Result of this module.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong decoding or encoding MMS and WAP push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("data ends inside {field} (offset {offset})")]
    Truncated { field: &'static str, offset: usize },
    #[error("invalid {field} at offset {offset}: {reason}")]
    Invalid {
        field: &'static str,
        offset: usize,
        reason: &'static str,
    },
    #[error("not an MMS PDU (X-Mms-Message-Type expected at offset {offset})")]
    NotMms { offset: usize },
    #[error("{field} cannot be encoded: {reason}")]
    Unencodable {
        field: &'static str,
        reason: &'static str,
    },
    #[error("SMS is not a WAP push to port 2948")]
    NotPush,
    #[error("WAP push SMS parts are missing")]
    IncompletePush,
    #[error("SMS PDU: {0}")]
    Sms(crate::pdu::Error),
}

/// What [`decode_any`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A bare MMS PDU.
    Mms(Pdu),
    /// A WAP push; `mms` is its body decoded when it carries an MMS PDU.
    Push { push: Push, mms: Option<Pdu> },
}

/// Decodes a binary MMS PDU (first octet 0x8C) or a WSP push PDU.
pub fn decode_any(bytes: &[u8]) -> Result<Decoded> {
    if bytes.first() == Some(&0x8C) {
        return Pdu::decode(bytes).map(Decoded::Mms);
    }
    let push = Push::decode(bytes)?;
    let mms = if push.is_mms() {
        Some(push.mms_pdu()?)
    } else {
        None
    };
    Ok(Decoded::Push { push, mms })
}

/// Entry point for fuzzers and property tests: decodes `bytes` as an MMS
/// PDU and as a WAP push, and checks that whatever decodes and re-encodes
/// decodes to the same value. Never panics except on a codec bug.
pub fn fuzz_decode(bytes: &[u8]) {
    if let Ok(p) = Pdu::decode(bytes) {
        if let Ok(again) = p.encode() {
            assert_eq!(
                Pdu::decode(&again).as_ref(),
                Ok(&p),
                "re-encoded MMS PDU decodes differently"
            );
        }
    }
    if let Ok(p) = Push::decode(bytes) {
        if let Ok(again) = p.encode() {
            assert_eq!(
                Push::decode(&again).as_ref(),
                Ok(&p),
                "re-encoded push decodes differently"
            );
        }
        let _ = p.mms_pdu();
    }
    let _ = decode_any(bytes);
}

#[cfg(test)]
mod tests;
