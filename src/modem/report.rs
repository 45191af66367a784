//! Recognises SMS-STATUS-REPORT PDUs among received PDUs and extracts the
//! fields the store matches on. Stand-in until `crate::pdu` is merged.

/// `(message_reference, recipient, status)` when `pdu` (with SMSC prefix)
/// is an SMS-STATUS-REPORT; `None` for anything else or a malformed PDU.
pub(crate) fn parse_status_report(pdu: &[u8]) -> Option<(u8, String, u8)> {
    let smsc_len = *pdu.first()? as usize;
    let t = pdu.get(1 + smsc_len..)?;
    let fo = *t.first()?;
    if fo & 0x03 != 0x02 {
        return None;
    }
    let mr = *t.get(1)?;
    let digits = *t.get(2)? as usize;
    let toa = *t.get(3)?;
    let octets = digits.div_ceil(2);
    let bcd = t.get(4..4 + octets)?;
    let mut number = String::new();
    if toa & 0x70 == 0x10 {
        number.push('+');
    }
    for b in bcd {
        for nibble in [b & 0x0f, b >> 4] {
            if nibble < 10 {
                number.push(char::from(b'0' + nibble));
            }
        }
    }
    let status = *t.get(4 + octets + 14)?;
    Some((mr, number, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_status_report_vector_is_recognised() {
        // MODEM-SPEC §6.7: MR 0xB7 = 183.
        let pdu = hex::decode("07917248014000F506B70AA18092020000317071518590803170715185418000")
            .unwrap();
        let (mr, to, st) = parse_status_report(&pdu).unwrap();
        assert_eq!(mr, 183);
        assert_eq!(to, "0829200000");
        assert_eq!(st, 0);
    }

    #[test]
    fn a_deliver_pdu_is_not_a_report() {
        let pdu = hex::decode("07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034").unwrap();
        assert!(parse_status_report(&pdu).is_none());
    }
}
