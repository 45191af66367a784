//! Sans-IO SMS PDU codec (3GPP TS 23.040 / 23.038). No I/O, no clock.
//!
//! - Decoding: [`decode`] / [`decode_hex`] read SMS-DELIVER, SMS-SUBMIT and
//!   SMS-STATUS-REPORT, with or without the leading SMSC address, into
//!   owned representations ([`Deliver`], [`Submit`], [`StatusReport`]).
//! - Encoding: [`encode_submit`] picks the cheapest encoding for any
//!   Unicode text (GSM 7-bit, GSM 7-bit with national shift tables, UCS-2),
//!   splits it into concatenated parts without cutting an escape sequence
//!   or a surrogate pair, and [`plan`] reports the cost beforehand.
//!   [`encode_deliver`], [`encode_deliver_data`] and
//!   [`encode_status_report`] build the network-side PDUs the simulator
//!   needs. Every representation also has `emit`.
//! - [`Reassembler`]: pure reassembly of concatenated messages.
//!
//! Guarantees: no input makes the decoder panic (property-tested and
//! fuzzed); every failure is a small `Copy` [`Error`] naming the field and
//! the octet offset; `decode(emit(x)) == x` for the representations.

mod address;
mod dcs;
mod encode;
mod gsm7;
mod reassemble;
mod tables;
mod time;
mod tpdu;
mod userdata;

use std::fmt;
use std::str::FromStr;

pub use address::{Address, TypeOfNumber, ADDRESS_DIGITS_MAX, ALPHANUMERIC_CHARS_MAX};
pub use dcs::{
    Alphabet as DcsAlphabet, CodingGroup, Dcs, MessageClass, MessageWaiting, WaitingKind,
};
pub use encode::{
    encode_deliver, encode_deliver_data, encode_status_report, encode_submit, plan, try_plan,
    DeliverOptions, EncodingChoice, Plan, SubmitOptions, SubmitPart, PARTS_MAX,
};
pub use reassemble::{Expired, Outcome, Reassembler, GROUPS_MAX_DEFAULT};
pub use time::{relative_duration, Validity};
pub use tpdu::{
    decode, decode_hex, from_hex, status_text, Decoded, Deliver, StatusReport, Submit, Tpdu,
};
pub use userdata::{
    Concat, InformationElement, UserData, USER_DATA_OCTETS_MAX, USER_DATA_SEPTETS_MAX,
};

/// Result of this module.
pub type Result<T> = std::result::Result<T, Error>;

/// The PDU field an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Smsc,
    FirstOctet,
    MessageReference,
    Originator,
    Destination,
    Recipient,
    ProtocolIdentifier,
    DataCodingScheme,
    ServiceCentreTimestamp,
    ValidityPeriod,
    DischargeTime,
    Status,
    ParameterIndicator,
    UserDataLength,
    UserDataHeader,
    UserData,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Smsc => "SMSC address",
            Field::FirstOctet => "first octet",
            Field::MessageReference => "TP-MR",
            Field::Originator => "TP-OA",
            Field::Destination => "TP-DA",
            Field::Recipient => "TP-RA",
            Field::ProtocolIdentifier => "TP-PID",
            Field::DataCodingScheme => "TP-DCS",
            Field::ServiceCentreTimestamp => "TP-SCTS",
            Field::ValidityPeriod => "TP-VP",
            Field::DischargeTime => "TP-DT",
            Field::Status => "TP-ST",
            Field::ParameterIndicator => "TP-PI",
            Field::UserDataLength => "TP-UDL",
            Field::UserDataHeader => "user data header",
            Field::UserData => "TP-UD",
        })
    }
}

/// Everything that can go wrong decoding or encoding a PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("PDU ends inside {field} (offset {offset})")]
    Truncated { field: Field, offset: usize },
    #[error("invalid {field} at offset {offset}: {reason}")]
    Invalid {
        field: Field,
        offset: usize,
        reason: &'static str,
    },
    #[error("compressed user data is not supported (TP-DCS at offset {offset})")]
    Compressed { offset: usize },
    #[error("{count} octet(s) left after the user data at offset {offset} (wrong TP-UDL?)")]
    Trailing { offset: usize, count: usize },
    #[error("invalid hex at character {offset}")]
    Hex { offset: usize },
    #[error("invalid address: {reason}")]
    Address { reason: &'static str },
    #[error("character {character:?} at position {position} cannot be encoded as {encoding}")]
    Unencodable {
        character: char,
        position: usize,
        encoding: &'static str,
    },
    #[error("message needs {parts} parts, more than the 255 allowed")]
    TooLong { parts: usize },
    #[error("user data of {units} units exceeds the {max} a PDU holds")]
    UserDataTooLong { units: usize, max: usize },
    #[error("user data header longer than 140 octets")]
    HeaderTooLong,
    #[error("timestamp cannot be encoded: {reason}")]
    Timestamp { reason: &'static str },
    #[error("inconsistent PDU: {reason}")]
    Mismatch { reason: &'static str },
}

impl Error {
    /// The same error with decode offsets moved by `by` octets.
    fn shifted(self, by: usize) -> Error {
        match self {
            Error::Truncated { field, offset } => Error::Truncated {
                field,
                offset: offset + by,
            },
            Error::Invalid {
                field,
                offset,
                reason,
            } => Error::Invalid {
                field,
                offset: offset + by,
                reason,
            },
            Error::Compressed { offset } => Error::Compressed {
                offset: offset + by,
            },
            Error::Trailing { offset, count } => Error::Trailing {
                offset: offset + by,
                count,
            },
            other => other,
        }
    }
}

/// National languages of TS 23.038 annex A (identifier = discriminant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NationalLanguage {
    Turkish = 1,
    Spanish = 2,
    Portuguese = 3,
    Bengali = 4,
    Gujarati = 5,
    Hindi = 6,
    Kannada = 7,
    Malayalam = 8,
    Oriya = 9,
    Punjabi = 10,
    Tamil = 11,
    Telugu = 12,
    Urdu = 13,
}

impl NationalLanguage {
    pub const ALL: [NationalLanguage; 13] = [
        NationalLanguage::Turkish,
        NationalLanguage::Spanish,
        NationalLanguage::Portuguese,
        NationalLanguage::Bengali,
        NationalLanguage::Gujarati,
        NationalLanguage::Hindi,
        NationalLanguage::Kannada,
        NationalLanguage::Malayalam,
        NationalLanguage::Oriya,
        NationalLanguage::Punjabi,
        NationalLanguage::Tamil,
        NationalLanguage::Telugu,
        NationalLanguage::Urdu,
    ];

    /// The national language identifier of the 0x24/0x25 header elements.
    pub fn id(self) -> u8 {
        self as u8
    }

    pub fn from_id(id: u8) -> Option<NationalLanguage> {
        NationalLanguage::ALL
            .get(usize::from(id).checked_sub(1)?)
            .copied()
    }

    /// Spanish has only a single shift table.
    pub fn has_locking_table(self) -> bool {
        self != NationalLanguage::Spanish
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NationalLanguage::Turkish => "turkish",
            NationalLanguage::Spanish => "spanish",
            NationalLanguage::Portuguese => "portuguese",
            NationalLanguage::Bengali => "bengali",
            NationalLanguage::Gujarati => "gujarati",
            NationalLanguage::Hindi => "hindi",
            NationalLanguage::Kannada => "kannada",
            NationalLanguage::Malayalam => "malayalam",
            NationalLanguage::Oriya => "oriya",
            NationalLanguage::Punjabi => "punjabi",
            NationalLanguage::Tamil => "tamil",
            NationalLanguage::Telugu => "telugu",
            NationalLanguage::Urdu => "urdu",
        }
    }

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            NationalLanguage::Turkish => "tr",
            NationalLanguage::Spanish => "es",
            NationalLanguage::Portuguese => "pt",
            NationalLanguage::Bengali => "bn",
            NationalLanguage::Gujarati => "gu",
            NationalLanguage::Hindi => "hi",
            NationalLanguage::Kannada => "kn",
            NationalLanguage::Malayalam => "ml",
            NationalLanguage::Oriya => "or",
            NationalLanguage::Punjabi => "pa",
            NationalLanguage::Tamil => "ta",
            NationalLanguage::Telugu => "te",
            NationalLanguage::Urdu => "ur",
        }
    }
}

/// Error for an unknown language name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown national language (use a name such as `turkish` or an ISO code such as `tr`)")]
pub struct UnknownLanguage;

impl FromStr for NationalLanguage {
    type Err = UnknownLanguage;

    /// Accepts the English name or the ISO 639-1 code, any case.
    fn from_str(s: &str) -> std::result::Result<NationalLanguage, UnknownLanguage> {
        let s = s.trim().to_ascii_lowercase();
        NationalLanguage::ALL
            .into_iter()
            .find(|l| l.as_str() == s || l.code() == s)
            .ok_or(UnknownLanguage)
    }
}

/// How the user data is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Encoding {
    /// GSM 7-bit default alphabet and extension table.
    #[default]
    Gsm7,
    /// GSM 7-bit with national language locking and/or single shift tables
    /// (at least one is `Some`).
    Gsm7National {
        locking: Option<NationalLanguage>,
        single: Option<NationalLanguage>,
    },
    /// 8-bit data.
    Data8,
    /// UCS-2 (UTF-16 with surrogate pairs).
    Ucs2,
}

impl Encoding {
    pub fn as_str(&self) -> &'static str {
        match self {
            Encoding::Gsm7 => "gsm7",
            Encoding::Gsm7National { .. } => "gsm7_national",
            Encoding::Data8 => "8bit",
            Encoding::Ucs2 => "ucs2",
        }
    }
}

/// Entry point for fuzzers and property tests: decodes `bytes` both with
/// and without an SMSC address and re-emits what decodes. Never panics.
pub fn fuzz_decode(bytes: &[u8]) {
    for with_smsc in [true, false] {
        if let Ok(d) = decode(bytes, with_smsc) {
            // Whatever decodes must re-encode to something that decodes to
            // the same value (when it re-encodes at all: lenient reads such
            // as out-of-range years may not be writable).
            if let Ok(again) = d.emit(with_smsc) {
                let back = decode(&again, with_smsc);
                assert_eq!(
                    back.as_ref().ok(),
                    Some(&d),
                    "re-emitted PDU decodes differently"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
