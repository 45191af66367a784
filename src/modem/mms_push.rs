//! Recognises WAP-push SMS (8-bit user data to WDP port 2948: MMS
//! notifications and reports) among received SMS-DELIVERs, so the backend
//! stores them as push parts instead of text messages.
//!
//! Guarantees: pure (no I/O, no clock); anything that is not a decodable
//! SMS-DELIVER to port 2948 is left to the SMS path (`None`).

use chrono::{DateTime, Utc};

use crate::store::PushPart;
use crate::{mms, pdu};

/// The push part a received PDU (with SMSC prefix) carries, if it is one.
pub fn push_part(modem: &str, raw: &[u8], now: DateTime<Utc>) -> Option<PushPart> {
    let decoded = pdu::decode(raw, true).ok()?;
    let pdu::Tpdu::Deliver(d) = decoded.tpdu else {
        return None;
    };
    if !mms::is_push(&d) {
        return None;
    }
    Some(PushPart {
        modem: modem.to_string(),
        sender: d.originator.to_string(),
        concat: d.concat.map(|c| (c.reference, c.total, c.sequence)),
        data: d.data,
        raw_pdu: raw.to_vec(),
        received_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wap_push_sms_is_a_push_part_and_a_text_sms_is_not() {
        let ni = mms::Pdu::notification_ind(
            "T1",
            Some("+4917012345"),
            Some("a rather long subject so that the push needs two SMS to travel in"),
            1000,
            3600,
            "http://mmsc.example/mms/retrieve/in-1-with-a-long-path-to-make-it-longer",
        );
        let push = mms::Push::mms(1, &ni).unwrap();
        let tpdus = mms::push_to_sms(&push, &pdu::DeliverOptions::default()).unwrap();
        assert!(tpdus.len() > 1, "concatenated");
        let mut data = Vec::new();
        for t in &tpdus {
            let mut raw = vec![0x00];
            raw.extend_from_slice(t);
            let p = push_part("m1", &raw, Utc::now()).unwrap();
            assert_eq!(p.concat.map(|c| c.1), Some(tpdus.len() as u8));
            data.extend_from_slice(&p.data);
        }
        assert_eq!(mms::Push::decode(&data).unwrap(), push);
        let text = hex::decode(
            "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034",
        )
        .unwrap();
        assert_eq!(push_part("m1", &text, Utc::now()), None);
    }
}
