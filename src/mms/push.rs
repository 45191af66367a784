//! WAP push (WAP-230-WSP §8.2.4.1 connectionless Push PDU) carried in
//! 8-bit SMS to application port 2948 (WDP over SMS, WAP-259), and the
//! glue to `crate::pdu` that turns an MMS notification into SMS TPDUs and
//! SMS-DELIVERs back into the push.
//!
//! Guarantees: no I/O and no clock (reassembly takes `now` from the
//! caller); decoding never panics.

use std::time::{Duration, Instant};

use super::message::{PartHeader, Pdu};
use super::wsp::{ContentType, Reader, Writer};
use super::{Error, Result};
use crate::pdu;

/// WDP destination port of the WAP push (connectionless, "wap-wsp").
pub const PORT_PUSH: u16 = 2948;
/// WDP originator port conventionally used by push initiators.
pub const PORT_WAP: u16 = 9200;
/// WSP PDU type Push.
pub const PDU_PUSH: u8 = 0x06;
/// WSP PDU type ConfirmedPush.
pub const PDU_CONFIRMED_PUSH: u8 = 0x07;
/// The MMS content type carried by the push.
pub const MMS_MESSAGE: &str = "application/vnd.wap.mms-message";
/// X-Wap-Application-Id header code and the MMS user agent id (`x-wap-application:mms.ua`).
pub const APPLICATION_ID: u8 = 0x2F;
pub const APP_MMS_UA: u8 = 0x04;

/// A WSP push PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// Transaction id.
    pub tid: u8,
    /// 0x06 Push or 0x07 ConfirmedPush.
    pub pdu_type: u8,
    pub content_type: ContentType,
    /// Headers after the content type (e.g. X-Wap-Application-Id).
    pub headers: Vec<PartHeader>,
    pub body: Vec<u8>,
}

impl Push {
    /// A push of an MMS PDU to the MMS user agent.
    pub fn mms(tid: u8, pdu: &Pdu) -> Result<Push> {
        Ok(Push {
            tid,
            pdu_type: PDU_PUSH,
            content_type: ContentType::new(MMS_MESSAGE),
            headers: vec![PartHeader::Raw {
                code: APPLICATION_ID,
                value: vec![0x80 | APP_MMS_UA],
            }],
            body: pdu.encode()?,
        })
    }

    /// `true` when the push carries an MMS PDU.
    pub fn is_mms(&self) -> bool {
        self.content_type.media.eq_ignore_ascii_case(MMS_MESSAGE)
    }

    /// The MMS PDU in the body.
    pub fn mms_pdu(&self) -> Result<Pdu> {
        if !self.is_mms() {
            return Err(Error::NotMms { offset: 0 });
        }
        Pdu::decode(&self.body)
    }

    pub fn decode(bytes: &[u8]) -> Result<Push> {
        let mut r = Reader::new(bytes, 0, "push TID");
        let tid = r.u8()?;
        r.field = "push PDU type";
        let pdu_type = r.u8()?;
        if pdu_type != PDU_PUSH && pdu_type != PDU_CONFIRMED_PUSH {
            return Err(Error::Invalid {
                field: "push PDU type",
                offset: 1,
                reason: "not a WSP Push (0x06) or ConfirmedPush (0x07)",
            });
        }
        r.field = "push headers length";
        let hlen = r.uintvar()? as usize;
        let mut h = r.sub(hlen)?;
        h.field = "push Content-Type";
        let content_type = h.content_type()?;
        let mut headers = Vec::new();
        while !h.is_empty() {
            let b = h.peek()?;
            if b >= 0x80 {
                h.field = "push header";
                h.u8()?;
                headers.push(PartHeader::Raw {
                    code: b & 0x7F,
                    value: h.raw_value()?.to_vec(),
                });
            } else if b >= 0x20 && b != 0x7F {
                h.field = "push application header";
                let name = h.text_string()?;
                let value = h.text_string()?;
                headers.push(PartHeader::Text { name, value });
            } else {
                return Err(Error::Invalid {
                    field: "push header",
                    offset: h.offset(),
                    reason: "shift sequences are not supported",
                });
            }
        }
        Ok(Push {
            tid,
            pdu_type,
            content_type,
            headers,
            body: r.rest().to_vec(),
        })
    }

    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut h = Writer::new();
        h.content_type(&self.content_type, "push Content-Type")?;
        for ph in &self.headers {
            match ph {
                PartHeader::ContentId(_) | PartHeader::ContentLocation(_) => {
                    return Err(Error::Unencodable {
                        field: "push header",
                        reason: "Content-ID and Content-Location do not belong in a push",
                    });
                }
                PartHeader::Raw { code, value } => {
                    if *code >= 0x80 {
                        return Err(Error::Unencodable {
                            field: "push header",
                            reason: "code out of range",
                        });
                    }
                    super::wsp::check_raw_value(value, "push header")?;
                    h.short_integer(*code);
                    h.bytes(value);
                }
                PartHeader::Text { name, value } => {
                    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
                        return Err(Error::Unencodable {
                            field: "push application header",
                            reason: "name is not a token",
                        });
                    }
                    h.text_string(name, "push application header")?;
                    h.text_string(value, "push application header")?;
                }
            }
        }
        let mut w = Writer::new();
        w.u8(self.tid);
        w.u8(self.pdu_type);
        let hlen = u32::try_from(h.buf.len()).map_err(|_| Error::Unencodable {
            field: "push headers length",
            reason: "too long",
        })?;
        w.uintvar(hlen);
        w.bytes(&h.buf);
        w.bytes(&self.body);
        Ok(w.buf)
    }
}

/// SMS-DELIVER TPDUs (no SMSC) carrying `push` to port 2948, concatenated
/// when longer than one SMS.
pub fn push_to_sms(push: &Push, opts: &pdu::DeliverOptions) -> Result<Vec<Vec<u8>>> {
    let bytes = push.encode()?;
    pdu::encode_deliver_data(&bytes, Some((PORT_PUSH, PORT_WAP)), opts).map_err(Error::Sms)
}

/// Collects WAP-push SMS parts (by sender and concatenation reference) and
/// yields each complete push.
#[derive(Debug, Default)]
pub struct PushAssembler {
    parts: pdu::Reassembler<Vec<u8>>,
}

impl PushAssembler {
    pub fn new() -> PushAssembler {
        PushAssembler::default()
    }

    /// Feeds one decoded SMS-DELIVER. Returns `Ok(None)` while parts are
    /// missing or when the SMS is not addressed to port 2948
    /// (check [`is_push`] first to tell the two apart).
    pub fn push_deliver(&mut self, d: &pdu::Deliver, now: Instant) -> Result<Option<Push>> {
        if !is_push(d) {
            return Ok(None);
        }
        let sender = d.originator.to_string();
        let concat = d.concat.unwrap_or(pdu::Concat {
            reference: 0,
            total: 1,
            sequence: 1,
        });
        match self.parts.push(&sender, concat, d.data.clone(), now) {
            pdu::Outcome::Complete(chunks) => Push::decode(&chunks.concat()).map(Some),
            _ => Ok(None),
        }
    }

    /// Drops incomplete pushes older than `max_age`; returns how many.
    pub fn expire(&mut self, now: Instant, max_age: Duration) -> usize {
        self.parts.expire(now, max_age).len()
    }

    pub fn pending(&self) -> usize {
        self.parts.pending()
    }
}

/// `true` when `d` is addressed to the WAP push port.
pub fn is_push(d: &pdu::Deliver) -> bool {
    matches!(d.ports, Some((PORT_PUSH, _)))
}

/// Decodes SMS-DELIVER TPDUs (no SMSC, any order) into the push they carry.
pub fn sms_to_push(tpdus: &[Vec<u8>], now: Instant) -> Result<Push> {
    let mut asm = PushAssembler::new();
    for t in tpdus {
        let d = match pdu::decode(t, false).map_err(Error::Sms)?.tpdu {
            pdu::Tpdu::Deliver(d) => d,
            _ => return Err(Error::NotPush),
        };
        if !is_push(&d) {
            return Err(Error::NotPush);
        }
        if let Some(p) = asm.push_deliver(&d, now)? {
            return Ok(p);
        }
    }
    Err(Error::IncompletePush)
}
