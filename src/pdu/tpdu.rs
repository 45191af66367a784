//! The three TPDU kinds gsmq handles (TS 23.040 9.2.2): SMS-DELIVER,
//! SMS-SUBMIT and SMS-STATUS-REPORT, each an owned representation with
//! `parse` and `emit`, plus the optional SMSC address in front
//! (TS 27.005 3.1, `<pdu>` with SCA).
//!
//! Guarantees: `parse` checks every field against the buffer and reports the
//! field and offset of the first problem; octets left after the last field
//! are an error (a wrong TP-UDL must not go unnoticed). For values built by
//! `parse`, `emit` reproduces an equal value when parsed again.

use chrono::{DateTime, FixedOffset};

use super::address::Address;
use super::time::{self, Validity};
use super::userdata::UserData;
use super::{Concat, Dcs, Encoding, Error, Field, InformationElement};

const MTI_DELIVER: u8 = 0b00;
const MTI_SUBMIT: u8 = 0b01;
const MTI_STATUS_REPORT: u8 = 0b10;

const BIT_MMS_RD: u8 = 0x04;
const BIT_LP: u8 = 0x08;
const BIT_SRI_SRR_SRQ: u8 = 0x20;
const BIT_UDHI: u8 = 0x40;
const BIT_RP: u8 = 0x80;

fn byte(buf: &[u8], at: usize, field: Field) -> Result<u8, Error> {
    buf.get(at)
        .copied()
        .ok_or(Error::Truncated { field, offset: at })
}

fn no_trailing(buf: &[u8], at: usize) -> Result<(), Error> {
    if at < buf.len() {
        return Err(Error::Trailing {
            offset: at,
            count: buf.len() - at,
        });
    }
    Ok(())
}

/// SMS-DELIVER: a message from the service centre to the handset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver {
    /// TP-MMS inverted: `true` when the SC has more messages waiting.
    pub more_messages: bool,
    /// TP-LP, loop prevention.
    pub loop_prevention: bool,
    /// TP-SRI: the sender asked for a status report.
    pub status_report_indication: bool,
    /// TP-RP.
    pub reply_path: bool,
    pub originator: Address,
    pub pid: u8,
    pub dcs: Dcs,
    pub scts: DateTime<FixedOffset>,
    pub encoding: Encoding,
    pub text: String,
    pub data: Vec<u8>,
    pub concat: Option<Concat>,
    pub ports: Option<(u16, u16)>,
    /// Other header elements, kept verbatim.
    pub header: Vec<InformationElement>,
}

/// SMS-SUBMIT: a message from the handset to the service centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    /// TP-RD: reject duplicates.
    pub reject_duplicates: bool,
    /// TP-RP.
    pub reply_path: bool,
    /// TP-SRR.
    pub status_report_request: bool,
    pub message_reference: u8,
    pub destination: Address,
    pub pid: u8,
    pub dcs: Dcs,
    pub validity: Option<Validity>,
    pub encoding: Encoding,
    pub text: String,
    pub data: Vec<u8>,
    pub concat: Option<Concat>,
    pub ports: Option<(u16, u16)>,
    pub header: Vec<InformationElement>,
}

/// SMS-STATUS-REPORT: the outcome of an earlier SMS-SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// TP-MMS inverted: `true` when the SC has more messages waiting.
    pub more_messages: bool,
    pub loop_prevention: bool,
    /// TP-SRQ: the report is for an SMS-COMMAND rather than a SUBMIT.
    pub for_command: bool,
    pub message_reference: u8,
    pub recipient: Address,
    pub scts: DateTime<FixedOffset>,
    pub discharge: DateTime<FixedOffset>,
    /// TP-ST.
    pub status: u8,
    /// Optional TP-PID (present when TP-PI says so).
    pub pid: Option<u8>,
    /// Optional TP-DCS.
    pub dcs: Option<Dcs>,
    /// Optional TP-UDL/TP-UD.
    pub user_data: Option<UserData>,
}

impl StatusReport {
    /// Whether the SC has finished with the message (delivered or failed
    /// for good); `false` while it is still trying (TP-ST 0x20..=0x3F).
    pub fn is_final(&self) -> bool {
        !(0x20..=0x3F).contains(&self.status)
    }

    /// Whether the message reached the recipient (TP-ST 0x00..=0x1F).
    pub fn is_delivered(&self) -> bool {
        self.status < 0x20
    }

    /// A short description of TP-ST (TS 23.040 9.2.3.15).
    pub fn status_text(&self) -> &'static str {
        status_text(self.status)
    }
}

/// A short description of a TP-ST value.
pub fn status_text(status: u8) -> &'static str {
    match status {
        0x00 => "received by the recipient",
        0x01 => "forwarded, delivery unconfirmed",
        0x02 => "replaced by the service centre",
        0x03..=0x1F => "delivered",
        0x20 => "congestion, still trying",
        0x21 => "recipient busy, still trying",
        0x22 => "no response from recipient, still trying",
        0x23 => "service rejected, still trying",
        0x24 => "quality of service not available, still trying",
        0x25 => "error in recipient, still trying",
        0x26..=0x3F => "temporary error, still trying",
        0x40 => "remote procedure error",
        0x41 => "incompatible destination",
        0x42 => "connection rejected by recipient",
        0x43 => "not obtainable",
        0x44 => "quality of service not available",
        0x45 => "no interworking available",
        0x46 => "validity period expired",
        0x47 => "deleted by originating SME",
        0x48 => "deleted by service centre administration",
        0x49 => "message does not exist",
        0x4A..=0x5F => "permanent error",
        0x60 => "congestion, gave up",
        0x61 => "recipient busy, gave up",
        0x62 => "no response from recipient, gave up",
        0x63 => "service rejected, gave up",
        0x64 => "quality of service not available, gave up",
        0x65 => "error in recipient, gave up",
        0x66..=0x7F => "temporary error, gave up",
        _ => "reserved",
    }
}

/// One of the TPDU kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tpdu {
    Deliver(Deliver),
    Submit(Submit),
    StatusReport(StatusReport),
}

impl Tpdu {
    pub fn kind(&self) -> &'static str {
        match self {
            Tpdu::Deliver(_) => "deliver",
            Tpdu::Submit(_) => "submit",
            Tpdu::StatusReport(_) => "status_report",
        }
    }

    /// Parses a TPDU (no SMSC). The message type comes from TP-MTI; `10` is
    /// read as SMS-STATUS-REPORT (the SMS-COMMAND it means in the other
    /// direction is not supported).
    pub fn parse(buf: &[u8]) -> Result<Tpdu, Error> {
        let fo = byte(buf, 0, Field::FirstOctet)?;
        match fo & 0x03 {
            MTI_DELIVER => Deliver::parse(buf).map(Tpdu::Deliver),
            MTI_SUBMIT => Submit::parse(buf).map(Tpdu::Submit),
            MTI_STATUS_REPORT => StatusReport::parse(buf).map(Tpdu::StatusReport),
            _ => Err(Error::Invalid {
                field: Field::FirstOctet,
                offset: 0,
                reason: "reserved message type (TP-MTI 11)",
            }),
        }
    }

    pub fn emit(&self) -> Result<Vec<u8>, Error> {
        match self {
            Tpdu::Deliver(d) => d.emit(),
            Tpdu::Submit(s) => s.emit(),
            Tpdu::StatusReport(r) => r.emit(),
        }
    }
}

impl Deliver {
    pub(crate) fn user_data(&self) -> UserData {
        UserData {
            encoding: self.encoding,
            text: self.text.clone(),
            data: self.data.clone(),
            concat: self.concat,
            ports: self.ports,
            header: self.header.clone(),
        }
    }

    pub fn parse(buf: &[u8]) -> Result<Deliver, Error> {
        let fo = byte(buf, 0, Field::FirstOctet)?;
        let (originator, used) = Address::parse_tp(buf, 1, Field::Originator)?;
        let mut at = 1 + used;
        let pid = byte(buf, at, Field::ProtocolIdentifier)?;
        let dcs_at = at + 1;
        let dcs = Dcs::from_raw(byte(buf, dcs_at, Field::DataCodingScheme)?);
        at += 2;
        let scts = time::parse_timestamp(buf, at, Field::ServiceCentreTimestamp)?;
        at += time::TIMESTAMP_OCTETS;
        let (ud, used) = UserData::parse(buf, at, fo & BIT_UDHI != 0, dcs, dcs_at)?;
        no_trailing(buf, at + used)?;
        Ok(Deliver {
            more_messages: fo & BIT_MMS_RD == 0,
            loop_prevention: fo & BIT_LP != 0,
            status_report_indication: fo & BIT_SRI_SRR_SRQ != 0,
            reply_path: fo & BIT_RP != 0,
            originator,
            pid,
            dcs,
            scts,
            encoding: ud.encoding,
            text: ud.text,
            data: ud.data,
            concat: ud.concat,
            ports: ud.ports,
            header: ud.header,
        })
    }

    pub fn emit(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(176);
        out.push(0);
        self.originator.emit_tp(&mut out)?;
        out.push(self.pid);
        out.push(self.dcs.raw());
        time::emit_timestamp(&self.scts, &mut out)?;
        let udhi = self.user_data().emit(self.dcs, &mut out)?;
        let mut fo = MTI_DELIVER;
        fo |= if self.more_messages { 0 } else { BIT_MMS_RD };
        fo |= if self.loop_prevention { BIT_LP } else { 0 };
        fo |= if self.status_report_indication {
            BIT_SRI_SRR_SRQ
        } else {
            0
        };
        fo |= if udhi { BIT_UDHI } else { 0 };
        fo |= if self.reply_path { BIT_RP } else { 0 };
        out[0] = fo;
        Ok(out)
    }
}

impl Submit {
    pub(crate) fn user_data(&self) -> UserData {
        UserData {
            encoding: self.encoding,
            text: self.text.clone(),
            data: self.data.clone(),
            concat: self.concat,
            ports: self.ports,
            header: self.header.clone(),
        }
    }

    pub fn parse(buf: &[u8]) -> Result<Submit, Error> {
        let fo = byte(buf, 0, Field::FirstOctet)?;
        let message_reference = byte(buf, 1, Field::MessageReference)?;
        let (destination, used) = Address::parse_tp(buf, 2, Field::Destination)?;
        let mut at = 2 + used;
        let pid = byte(buf, at, Field::ProtocolIdentifier)?;
        let dcs_at = at + 1;
        let dcs = Dcs::from_raw(byte(buf, dcs_at, Field::DataCodingScheme)?);
        at += 2;
        let (validity, used) = Validity::parse(buf, at, (fo >> 3) & 0x03)?;
        at += used;
        let (ud, used) = UserData::parse(buf, at, fo & BIT_UDHI != 0, dcs, dcs_at)?;
        no_trailing(buf, at + used)?;
        Ok(Submit {
            reject_duplicates: fo & BIT_MMS_RD != 0,
            reply_path: fo & BIT_RP != 0,
            status_report_request: fo & BIT_SRI_SRR_SRQ != 0,
            message_reference,
            destination,
            pid,
            dcs,
            validity,
            encoding: ud.encoding,
            text: ud.text,
            data: ud.data,
            concat: ud.concat,
            ports: ud.ports,
            header: ud.header,
        })
    }

    pub fn emit(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(176);
        out.push(0);
        out.push(self.message_reference);
        self.destination.emit_tp(&mut out)?;
        out.push(self.pid);
        out.push(self.dcs.raw());
        if let Some(v) = &self.validity {
            v.emit(&mut out)?;
        }
        let udhi = self.user_data().emit(self.dcs, &mut out)?;
        let mut fo = MTI_SUBMIT;
        fo |= if self.reject_duplicates {
            BIT_MMS_RD
        } else {
            0
        };
        fo |= self.validity.as_ref().map_or(0, |v| v.vpf() << 3);
        fo |= if self.status_report_request {
            BIT_SRI_SRR_SRQ
        } else {
            0
        };
        fo |= if udhi { BIT_UDHI } else { 0 };
        fo |= if self.reply_path { BIT_RP } else { 0 };
        out[0] = fo;
        Ok(out)
    }
}

impl StatusReport {
    pub fn parse(buf: &[u8]) -> Result<StatusReport, Error> {
        let fo = byte(buf, 0, Field::FirstOctet)?;
        let message_reference = byte(buf, 1, Field::MessageReference)?;
        let (recipient, used) = Address::parse_tp(buf, 2, Field::Recipient)?;
        let mut at = 2 + used;
        let scts = time::parse_timestamp(buf, at, Field::ServiceCentreTimestamp)?;
        at += time::TIMESTAMP_OCTETS;
        let discharge = time::parse_timestamp(buf, at, Field::DischargeTime)?;
        at += time::TIMESTAMP_OCTETS;
        let status = byte(buf, at, Field::Status)?;
        at += 1;
        let mut report = StatusReport {
            more_messages: fo & BIT_MMS_RD == 0,
            loop_prevention: fo & BIT_LP != 0,
            for_command: fo & BIT_SRI_SRR_SRQ != 0,
            message_reference,
            recipient,
            scts,
            discharge,
            status,
            pid: None,
            dcs: None,
            user_data: None,
        };
        if at == buf.len() {
            return Ok(report);
        }
        let pi = buf[at];
        at += 1;
        // Extension octets (bit 7) carry nothing gsmq knows; skip them.
        let mut ext = pi;
        while ext & 0x80 != 0 {
            ext = byte(buf, at, Field::ParameterIndicator)?;
            at += 1;
        }
        if pi & 0x01 != 0 {
            report.pid = Some(byte(buf, at, Field::ProtocolIdentifier)?);
            at += 1;
        }
        let mut dcs_at = at;
        if pi & 0x02 != 0 {
            report.dcs = Some(Dcs::from_raw(byte(buf, at, Field::DataCodingScheme)?));
            at += 1;
        } else {
            dcs_at = 0;
        }
        if pi & 0x04 != 0 {
            let dcs = report.dcs.unwrap_or_default();
            let (ud, used) = UserData::parse(buf, at, fo & BIT_UDHI != 0, dcs, dcs_at)?;
            report.user_data = Some(ud);
            at += used;
        }
        no_trailing(buf, at)?;
        Ok(report)
    }

    pub fn emit(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(64);
        out.push(0);
        out.push(self.message_reference);
        self.recipient.emit_tp(&mut out)?;
        time::emit_timestamp(&self.scts, &mut out)?;
        time::emit_timestamp(&self.discharge, &mut out)?;
        out.push(self.status);
        let pi = u8::from(self.pid.is_some())
            | u8::from(self.dcs.is_some()) << 1
            | u8::from(self.user_data.is_some()) << 2;
        let mut udhi = false;
        if pi != 0 {
            out.push(pi);
            if let Some(pid) = self.pid {
                out.push(pid);
            }
            if let Some(dcs) = self.dcs {
                out.push(dcs.raw());
            }
            if let Some(ud) = &self.user_data {
                udhi = ud.emit(self.dcs.unwrap_or_default(), &mut out)?;
            }
        }
        let mut fo = MTI_STATUS_REPORT;
        fo |= if self.more_messages { 0 } else { BIT_MMS_RD };
        fo |= if self.loop_prevention { BIT_LP } else { 0 };
        fo |= if self.for_command { BIT_SRI_SRR_SRQ } else { 0 };
        fo |= if udhi { BIT_UDHI } else { 0 };
        out[0] = fo;
        Ok(out)
    }
}

/// A decoded PDU as read from a modem: the optional SMSC address and the
/// TPDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub smsc: Option<Address>,
    pub tpdu: Tpdu,
}

/// Decodes a PDU; with `with_smsc` the SMSC address comes first (the form
/// `+CMGR`, `+CMGL`, `+CMT` and `+CDS` use). Offsets in errors count from
/// the start of `bytes`.
pub fn decode(bytes: &[u8], with_smsc: bool) -> Result<Decoded, Error> {
    let (smsc, skip) = if with_smsc {
        Address::parse_smsc(bytes)?
    } else {
        (None, 0)
    };
    let tpdu = Tpdu::parse(&bytes[skip..]).map_err(|e| e.shifted(skip))?;
    Ok(Decoded { smsc, tpdu })
}

/// Decodes a hex PDU (case-insensitive, surrounding whitespace ignored).
pub fn decode_hex(hex: &str, with_smsc: bool) -> Result<Decoded, Error> {
    decode(&from_hex(hex)?, with_smsc)
}

/// Hex text to octets; offsets in errors count hex characters.
pub fn from_hex(hex: &str) -> Result<Vec<u8>, Error> {
    let s = hex.trim().as_bytes();
    if s.len() % 2 != 0 {
        return Err(Error::Hex { offset: s.len() });
    }
    fn nib(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    s.chunks_exact(2)
        .enumerate()
        .map(|(i, p)| {
            let hi = nib(p[0]).ok_or(Error::Hex { offset: 2 * i })?;
            let lo = nib(p[1]).ok_or(Error::Hex { offset: 2 * i + 1 })?;
            Ok(hi << 4 | lo)
        })
        .collect()
}

impl Decoded {
    /// Emits the PDU again (SMSC octets first when `with_smsc`).
    pub fn emit(&self, with_smsc: bool) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        if with_smsc {
            Address::emit_smsc(self.smsc.as_ref(), &mut out)?;
        }
        out.extend_from_slice(&self.tpdu.emit()?);
        Ok(out)
    }
}
