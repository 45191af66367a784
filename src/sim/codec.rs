//! The simulator's only door to the project's PDU codec (`crate::pdu`).
//!
//! Every other file in `sim` goes through the handful of functions here:
//! SMS-SUBMIT decoding (what a DTE sent), SMS-DELIVER encoding (inbound
//! text, any alphabet, concatenated when long), the SMSC's rewrite of a
//! SUBMIT into a DELIVER for a simulated recipient, and status reports.
//!
//! Guarantees: never panics on any input; a PDU the codec rejects (a wrong
//! TP-UDL, say) is an error, which the simulator reports as
//! `+CMS ERROR: 304`.

use chrono::{DateTime, FixedOffset};

use crate::pdu;

/// Why a PDU could not be decoded or encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error(transparent)]
    Pdu(#[from] pdu::Error),
    #[error("PDU is not of the expected type")]
    NotSubmit,
}

/// `(reference, total, sequence)` of a concatenated part.
pub type Concat = (u16, u8, u8);

/// Alphabet choice for text the simulator encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Alphabet {
    /// GSM 7-bit when every character fits, UCS-2 otherwise.
    #[default]
    Auto,
    Gsm7,
    Ucs2,
}

impl Alphabet {
    fn choice(self) -> pdu::EncodingChoice {
        match self {
            Alphabet::Auto => pdu::EncodingChoice::Auto,
            Alphabet::Gsm7 => pdu::EncodingChoice::Gsm7,
            Alphabet::Ucs2 => pdu::EncodingChoice::Ucs2,
        }
    }
}

/// What the simulator needs to know about a submitted TPDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitInfo {
    pub message_reference: u8,
    pub destination: String,
    pub status_report: bool,
    pub concat: Option<Concat>,
    /// `"gsm7"`, `"gsm7_national"`, `"8bit"` or `"ucs2"`.
    pub encoding: &'static str,
    /// The text; 8-bit data as upper-case hex.
    pub text: String,
}

fn parse_submit(tpdu: &[u8]) -> Result<pdu::Submit, CodecError> {
    match pdu::decode(tpdu, false)?.tpdu {
        pdu::Tpdu::Submit(s) => Ok(s),
        _ => Err(CodecError::NotSubmit),
    }
}

/// Decodes an SMS-SUBMIT TPDU (no SMSC octets).
pub fn decode_submit(tpdu: &[u8]) -> Result<SubmitInfo, CodecError> {
    let s = parse_submit(tpdu)?;
    let text = match s.encoding {
        pdu::Encoding::Data8 => hex::encode_upper(&s.data),
        _ => s.text.clone(),
    };
    Ok(SubmitInfo {
        message_reference: s.message_reference,
        destination: s.destination.to_string(),
        status_report: s.status_report_request,
        concat: s.concat.map(|c| (c.reference, c.total, c.sequence)),
        encoding: s.encoding.as_str(),
        text,
    })
}

/// Encodes `text` from `from` as one or more SMS-DELIVER TPDUs (no SMSC).
pub fn encode_deliver(
    from: &str,
    text: &str,
    timestamp: DateTime<FixedOffset>,
    reference: u16,
    alphabet: Alphabet,
) -> Result<Vec<Vec<u8>>, CodecError> {
    let opts = pdu::DeliverOptions {
        from: from.to_string(),
        timestamp,
        encoding: alphabet.choice(),
        reference,
        ..pdu::DeliverOptions::default()
    };
    Ok(pdu::encode_deliver(text, &opts)?)
}

/// Turns a submitted TPDU into the TPDU the recipient receives: the SMSC's
/// job of rewriting SMS-SUBMIT as SMS-DELIVER, keeping PID, DCS and the user
/// data (including its header).
pub fn submit_to_deliver(
    submit: &[u8],
    from: &str,
    timestamp: DateTime<FixedOffset>,
) -> Result<Vec<u8>, CodecError> {
    let s = parse_submit(submit)?;
    let d = pdu::Deliver {
        more_messages: false,
        loop_prevention: false,
        status_report_indication: false,
        reply_path: false,
        originator: from.parse()?,
        pid: s.pid,
        dcs: s.dcs,
        scts: timestamp,
        encoding: s.encoding,
        text: s.text,
        data: s.data,
        concat: s.concat,
        ports: s.ports,
        header: s.header,
    };
    Ok(d.emit()?)
}

/// A stored SMS-DELIVER as text mode (`AT+CMGF=1`) shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverText {
    pub from: String,
    /// `yy/MM/dd,hh:mm:ss±zz` (zz in quarter hours), as 27.005 text mode.
    pub scts: String,
    pub text: String,
}

/// A time as modems print it: `yy/MM/dd,hh:mm:ss±zz` (zz in quarter hours).
pub fn modem_time(t: &DateTime<FixedOffset>) -> String {
    let quarters = t.offset().local_minus_utc() / 900;
    format!("{}{quarters:+03}", t.format("%y/%m/%d,%H:%M:%S"))
}

/// Decodes a stored PDU (SMSC octets first) that holds an SMS-DELIVER.
pub fn decode_deliver_text(pdu_with_smsc: &[u8]) -> Result<DeliverText, CodecError> {
    match pdu::decode(pdu_with_smsc, true)?.tpdu {
        pdu::Tpdu::Deliver(d) => {
            let text = match d.encoding {
                pdu::Encoding::Data8 => hex::encode_upper(&d.data),
                _ => d.text,
            };
            Ok(DeliverText {
                from: d.originator.to_string(),
                scts: modem_time(&d.scts),
                text,
            })
        }
        _ => Err(CodecError::NotSubmit),
    }
}

/// Encodes an SMS-STATUS-REPORT TPDU (no SMSC).
pub fn encode_status_report(
    reference: u8,
    recipient: &str,
    scts: DateTime<FixedOffset>,
    discharge: DateTime<FixedOffset>,
    status: u8,
) -> Result<Vec<u8>, CodecError> {
    Ok(pdu::encode_status_report(
        reference, recipient, scts, discharge, status,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s).expect("test vector is hex")
    }

    #[test]
    fn the_spec_submit_vector_decodes_to_hellohello() {
        // MODEM-SPEC §3.1, without the leading empty SCA octet.
        let t = hex("11000B916407281553F80000AA0AE8329BFD4697D9EC37");
        let s = decode_submit(&t).expect("valid submit");
        assert_eq!(s.destination, "+46708251358");
        assert_eq!(s.text, "hellohello");
        assert!(!s.status_report);
    }

    #[test]
    fn a_submit_with_a_wrong_udl_is_rejected() {
        let t = hex("11000B916407281553F80000AA0BE8329BFD4697D9EC37");
        assert!(decode_submit(&t).is_err());
    }

    #[test]
    fn a_long_unicode_text_becomes_concatenated_delivers() {
        let ts = DateTime::parse_from_rfc3339("2026-11-22T06:00:00+01:00").expect("ts");
        let text = "Привет мир! ".repeat(10);
        let parts = encode_deliver("+4915100000001", &text, ts, 7, Alphabet::Auto).expect("ok");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0][0] & 0x40, 0x40, "UDHI set");
    }

    #[test]
    fn a_submit_becomes_a_deliver_with_the_same_user_data() {
        let ts = DateTime::parse_from_rfc3339("2026-11-22T06:00:00+00:00").expect("ts");
        let t = hex("11000B916407281553F80000AA0AE8329BFD4697D9EC37");
        let d = submit_to_deliver(&t, "+4915100000001", ts).expect("deliver");
        match pdu::decode(&d, false).expect("decodes").tpdu {
            pdu::Tpdu::Deliver(d) => {
                assert_eq!(d.text, "hellohello");
                assert_eq!(d.originator.to_string(), "+4915100000001");
            }
            other => panic!("not a deliver: {other:?}"),
        }
    }
}
