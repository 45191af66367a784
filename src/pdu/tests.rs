//! Vector tests for the whole codec: published PDUs decode to the expected
//! fields, encoders reproduce them, and segmentation respects the limits.

use std::time::Duration;

use chrono::DateTime;

use super::*;

fn ts(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn deliver(hex: &str) -> (Option<Address>, Deliver) {
    let d = decode_hex(hex, true).unwrap();
    match d.tpdu {
        Tpdu::Deliver(x) => (d.smsc, x),
        other => panic!("expected a deliver, got {other:?}"),
    }
}

#[test]
fn the_modem_spec_submit_vector_decodes() {
    let d = decode_hex("0011000B916407281553F80000AA0AE8329BFD4697D9EC37", true).unwrap();
    assert_eq!(d.smsc, None);
    let Tpdu::Submit(s) = d.tpdu else {
        panic!("not a submit")
    };
    assert_eq!(s.destination.to_string(), "+46708251358");
    assert_eq!(s.destination.ton, TypeOfNumber::International);
    assert_eq!(s.text, "hellohello");
    assert_eq!(s.validity, Some(Validity::Relative(0xAA)));
    assert_eq!(
        s.validity.unwrap().duration(),
        Some(Duration::from_secs(4 * 86400))
    );
    assert_eq!(s.message_reference, 0);
    assert_eq!(s.encoding, Encoding::Gsm7);
}

#[test]
fn encode_submit_reproduces_the_modem_spec_vector_and_its_length() {
    let opts = SubmitOptions {
        validity: Some(Duration::from_secs(4 * 86400)),
        ..Default::default()
    };
    let parts = encode_submit("+46708251358", "hellohello", &opts).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(
        parts[0].at_hex(),
        "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
    );
    assert_eq!(parts[0].at_length(), 23);
}

#[test]
fn the_raspberry_pi_deliver_vector_decodes() {
    let (smsc, d) = deliver(
        "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034",
    );
    assert_eq!(smsc.unwrap().to_string(), "+27841004003");
    assert_eq!(d.originator.to_string(), "+27748577604");
    assert_eq!(d.text, "Hello raspberry pi");
    assert_eq!(d.scts, ts("2013-01-28T14:51:42+02:00"));
    assert_eq!(d.scts.offset().local_minus_utc(), 7200);
    assert!(!d.more_messages);
    assert!(d.status_report_indication);
    assert_eq!(d.concat, None);
    // TPDU length as +CMGR reports it.
    assert_eq!(
        from_hex("240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034")
            .unwrap()
            .len(),
        35
    );
}

#[test]
fn the_status_report_vectors_decode_with_their_references() {
    let d = decode_hex(
        "07917248014000F506B70AA18092020000317071518590803170715185418000",
        true,
    )
    .unwrap();
    let Tpdu::StatusReport(r) = d.tpdu else {
        panic!("not a report")
    };
    assert_eq!(r.message_reference, 183);
    assert_eq!(r.recipient.ton, TypeOfNumber::National);
    assert_eq!(r.recipient.value, "0829200000");
    assert_eq!(r.scts, ts("2013-07-17T15:58:09+02:00"));
    assert_eq!(r.discharge, ts("2013-07-17T15:58:14+02:00"));
    assert_eq!(r.status, 0);
    assert!(r.is_final() && r.is_delivered());

    let d = decode_hex(
        "07914875215652F006360B914892347527F3817003018104808170030181448000",
        true,
    )
    .unwrap();
    let Tpdu::StatusReport(r) = d.tpdu else {
        panic!("not a report")
    };
    assert_eq!(r.message_reference, 0x36);
    assert_eq!(r.recipient.to_string(), "+84294357723");
    assert_eq!(r.scts, ts("2018-07-30T10:18:40+02:00"));
    assert_eq!(r.discharge, ts("2018-07-30T10:18:44+02:00"));
}

#[test]
fn status_values_classify_as_final_and_delivered() {
    let mut r = match decode_hex("06B70AA18092020000317071518590803170715185418000", false)
        .unwrap()
        .tpdu
    {
        Tpdu::StatusReport(r) => r,
        _ => panic!("not a report"),
    };
    for (status, fin, ok) in [
        (0x00, true, true),
        (0x21, false, false),
        (0x46, true, false),
        (0x62, true, false),
    ] {
        r.status = status;
        assert_eq!(
            (r.is_final(), r.is_delivered()),
            (fin, ok),
            "status {status:#x}"
        );
    }
}

#[test]
fn encode_status_report_round_trips() {
    let scts = ts("2024-02-29T23:59:59-03:30");
    let dt = ts("2024-03-01T00:00:05+05:45");
    let pdu = encode_status_report(42, "+4917612345678", scts, dt, 0x00).unwrap();
    assert_eq!(pdu[0], 0x06);
    let Tpdu::StatusReport(r) = decode(&pdu, false).unwrap().tpdu else {
        panic!("not a report")
    };
    assert_eq!(
        (r.message_reference, r.recipient.to_string(), r.status),
        (42, "+4917612345678".to_owned(), 0)
    );
    assert_eq!(r.scts.offset(), scts.offset());
    assert_eq!(r.discharge, dt);
}

#[test]
fn a_flash_message_carries_class_zero() {
    let opts = SubmitOptions {
        flash: true,
        ..Default::default()
    };
    let parts = encode_submit("+123", "hi", &opts).unwrap();
    let Tpdu::Submit(s) = decode(&parts[0].tpdu, false).unwrap().tpdu else {
        panic!()
    };
    assert_eq!(s.dcs.raw(), 0x10);
    assert_eq!(s.dcs.class(), Some(MessageClass::Class0));
    let parts = encode_submit("+123", "日本", &opts).unwrap();
    assert_eq!(parts[0].tpdu[7], 0x18);
}

#[test]
fn a_status_report_request_sets_tp_srr() {
    let opts = SubmitOptions {
        status_report: true,
        ..Default::default()
    };
    let parts = encode_submit("+123", "hi", &opts).unwrap();
    assert_eq!(parts[0].tpdu[0], 0x21);
    let Tpdu::Submit(s) = decode(&parts[0].tpdu, false).unwrap().tpdu else {
        panic!()
    };
    assert!(s.status_report_request);
}

#[test]
fn plan_counts_160_then_153_septets() {
    let o = SubmitOptions::default();
    let p = plan(&"a".repeat(160), &o);
    assert_eq!(
        (p.encoding, p.parts, p.units, p.units_per_part),
        (Encoding::Gsm7, 1, 160, 160)
    );
    let p = plan(&"a".repeat(161), &o);
    assert_eq!((p.parts, p.units_per_part), (2, 153));
    let p = plan(&"a".repeat(306), &o);
    assert_eq!(p.parts, 2);
    let p = plan(&"a".repeat(307), &o);
    assert_eq!(p.parts, 3);
    let wide = SubmitOptions {
        reference: 300,
        ..Default::default()
    };
    assert_eq!(plan(&"a".repeat(161), &wide).units_per_part, 152);
}

#[test]
fn plan_counts_70_then_67_ucs2_units() {
    let o = SubmitOptions::default();
    let p = plan(&"ж".repeat(70), &o);
    assert_eq!(
        (p.encoding, p.parts, p.units, p.units_per_part),
        (Encoding::Ucs2, 1, 70, 70)
    );
    let p = plan(&"ж".repeat(71), &o);
    assert_eq!((p.parts, p.units_per_part), (2, 67));
    // An emoji is a surrogate pair: two units.
    assert_eq!(plan("😀", &o).units, 2);
}

#[test]
fn extension_characters_count_twice_and_are_never_split() {
    let o = SubmitOptions::default();
    // 152 plain septets then a euro sign: 154 septets, two parts; the
    // escape must not end part one.
    let text = format!("{}€{}", "a".repeat(152), "b".repeat(10));
    let p = plan(&text, &o);
    assert_eq!((p.units, p.parts), (164, 2));
    let parts = encode_submit("+1", &text, &o).unwrap();
    let texts: Vec<String> = parts
        .iter()
        .map(|p| match decode(&p.tpdu, false).unwrap().tpdu {
            Tpdu::Submit(s) => s.text,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(texts[0], "a".repeat(152));
    assert_eq!(texts[1], format!("€{}", "b".repeat(10)));
}

#[test]
fn surrogate_pairs_are_never_split() {
    let o = SubmitOptions::default();
    let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(5));
    let parts = encode_submit("+1", &text, &o).unwrap();
    let texts: Vec<String> = parts
        .iter()
        .map(|p| match decode(&p.tpdu, false).unwrap().tpdu {
            Tpdu::Submit(s) => s.text,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(texts.concat(), text);
    assert_eq!(texts[0], "ж".repeat(66));
}

#[test]
fn concatenated_parts_carry_reference_total_and_sequence() {
    let o = SubmitOptions {
        reference: 0x42,
        ..Default::default()
    };
    let parts = encode_submit("+1", &"x".repeat(200), &o).unwrap();
    assert_eq!(parts.len(), 2);
    for (i, p) in parts.iter().enumerate() {
        assert_eq!(p.tpdu[0] & 0x40, 0x40, "UDHI");
        let Tpdu::Submit(s) = decode(&p.tpdu, false).unwrap().tpdu else {
            panic!()
        };
        assert_eq!(
            s.concat,
            Some(Concat {
                reference: 0x42,
                total: 2,
                sequence: i as u8 + 1
            })
        );
    }
    let o = SubmitOptions {
        reference: 0x1234,
        ..Default::default()
    };
    let parts = encode_submit("+1", &"x".repeat(200), &o).unwrap();
    // 16-bit reference element: 08 04 12 34 02 01.
    assert_eq!(
        &parts[0].tpdu[8..14],
        &[0x06, 0x08, 0x04, 0x12, 0x34, 0x02][..]
    );
}

#[test]
fn turkish_text_uses_the_turkish_tables_when_allowed() {
    let text = "Şişli'de buluşalım, ğ ve ı harfleriyle.";
    let o = SubmitOptions::default();
    assert_eq!(plan(text, &o).encoding, Encoding::Ucs2);
    let o = SubmitOptions {
        national: vec![NationalLanguage::Turkish],
        ..Default::default()
    };
    let p = plan(text, &o);
    assert_eq!(
        p.encoding,
        Encoding::Gsm7National {
            locking: Some(NationalLanguage::Turkish),
            single: None
        }
    );
    // One locking shift element: 1 + 3 header octets = 5 septets.
    assert_eq!(p.units_per_part, 155);
    let parts = encode_submit("+90", text, &o).unwrap();
    let Tpdu::Submit(s) = decode(&parts[0].tpdu, false).unwrap().tpdu else {
        panic!()
    };
    assert_eq!(s.text, text);
    assert_eq!(s.encoding, p.encoding);
}

#[test]
fn spanish_and_portuguese_shift_tables_round_trip() {
    for (lang, text) in [
        (
            NationalLanguage::Spanish,
            "¿Cómo está? Canción, acción, ÁÍÓÚ ç",
        ),
        (
            NationalLanguage::Portuguese,
            "Não há ações às três: você, João, ÊÔ ª º",
        ),
    ] {
        let o = SubmitOptions {
            encoding: EncodingChoice::Gsm7,
            national: vec![lang],
            ..Default::default()
        };
        let p = try_plan(text, &o).unwrap();
        assert!(
            matches!(p.encoding, Encoding::Gsm7National { .. }),
            "{lang:?}: {p:?}"
        );
        let parts = encode_submit("+1", text, &o).unwrap();
        let Tpdu::Submit(s) = decode(&parts[0].tpdu, false).unwrap().tpdu else {
            panic!()
        };
        assert_eq!(s.text, text);
    }
}

#[test]
fn forced_gsm7_refuses_characters_outside_the_alphabet() {
    let o = SubmitOptions {
        encoding: EncodingChoice::Gsm7,
        ..Default::default()
    };
    assert_eq!(
        encode_submit("+1", "ok 日", &o).unwrap_err(),
        Error::Unencodable {
            character: '日',
            position: 3,
            encoding: "gsm7"
        }
    );
    assert!(try_plan("ok 日", &o).is_err());
    assert_eq!(plan("ok 日", &o).encoding, Encoding::Ucs2);
}

#[test]
fn forced_ucs2_is_honoured_for_plain_text() {
    let o = SubmitOptions {
        encoding: EncodingChoice::Ucs2,
        ..Default::default()
    };
    let parts = encode_submit("+1", "hi", &o).unwrap();
    let Tpdu::Submit(s) = decode(&parts[0].tpdu, false).unwrap().tpdu else {
        panic!()
    };
    assert_eq!((s.encoding, s.text.as_str()), (Encoding::Ucs2, "hi"));
}

#[test]
fn a_wap_push_deliver_carries_sixteen_bit_ports_and_8bit_data() {
    let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
    let opts = DeliverOptions {
        reference: 7,
        ..Default::default()
    };
    let pdus = encode_deliver_data(&data, Some((2948, 9200)), &opts).unwrap();
    assert_eq!(pdus.len(), 3);
    let mut joined = Vec::new();
    for (i, p) in pdus.iter().enumerate() {
        let Tpdu::Deliver(d) = decode(p, false).unwrap().tpdu else {
            panic!()
        };
        assert_eq!(d.ports, Some((2948, 9200)));
        assert_eq!(d.encoding, Encoding::Data8);
        assert_eq!(
            d.concat,
            Some(Concat {
                reference: 7,
                total: 3,
                sequence: i as u8 + 1
            })
        );
        joined.extend_from_slice(&d.data);
    }
    assert_eq!(joined, data);
}

#[test]
fn encode_deliver_round_trips_sender_time_and_text() {
    let opts = DeliverOptions {
        from: "Bank".into(),
        timestamp: ts("2026-11-22T06:00:00+01:00"),
        ..Default::default()
    };
    let pdus = encode_deliver("Your code is 1234 {ok}", &opts).unwrap();
    assert_eq!(pdus.len(), 1);
    let Tpdu::Deliver(d) = decode(&pdus[0], false).unwrap().tpdu else {
        panic!()
    };
    assert_eq!(d.originator, Address::alphanumeric("Bank"));
    assert_eq!(d.text, "Your code is 1234 {ok}");
    assert_eq!(d.scts, opts.timestamp);
    assert!(!d.more_messages);
}

#[test]
fn the_compressed_flag_is_rejected_with_the_dcs_offset() {
    // Deliver with DCS 0x20 (compressed GSM 7-bit).
    let err = decode_hex("040B917247587706F40020311082411524800100", false).unwrap_err();
    assert_eq!(err, Error::Compressed { offset: 10 });
    let err = decode_hex("00040B917247587706F40020311082411524800100", true).unwrap_err();
    assert_eq!(err, Error::Compressed { offset: 11 });
}

#[test]
fn decode_errors_name_the_field_and_offset() {
    assert_eq!(
        decode(&[], false).unwrap_err(),
        Error::Truncated {
            field: Field::FirstOctet,
            offset: 0
        }
    );
    assert_eq!(
        decode(&[0x03], false).unwrap_err(),
        Error::Invalid {
            field: Field::FirstOctet,
            offset: 0,
            reason: "reserved message type (TP-MTI 11)"
        }
    );
    // Deliver cut inside the timestamp.
    assert_eq!(
        decode_hex("040B917247587706F4000031108241", false).unwrap_err(),
        Error::Truncated {
            field: Field::ServiceCentreTimestamp,
            offset: 11
        }
    );
    // UDL says 18 septets but only 15 octets follow... minus one.
    let short = "240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F0";
    assert_eq!(
        decode_hex(short, false).unwrap_err(),
        Error::Truncated {
            field: Field::UserData,
            offset: 19
        }
    );
    let long = "240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F03400";
    assert_eq!(
        decode_hex(long, false).unwrap_err(),
        Error::Trailing {
            offset: 35,
            count: 1
        }
    );
    assert_eq!(
        decode_hex("0G", false).unwrap_err(),
        Error::Hex { offset: 1 }
    );
    assert!(decode_hex("0", false).is_err());
}

#[test]
fn a_user_data_header_with_an_unknown_element_is_kept() {
    // Submit, UDHI, header: 0x70 (unknown, 2 octets) + 8-bit concat.
    let s = Submit {
        reject_duplicates: true,
        reply_path: true,
        status_report_request: false,
        message_reference: 9,
        destination: Address::international("4915"),
        pid: 0x00,
        dcs: Dcs::from_raw(0x00),
        validity: Some(Validity::Enhanced([0x42, 60, 0, 0, 0, 0, 0])),
        encoding: Encoding::Gsm7,
        text: "Text after fill bits".into(),
        data: vec![],
        concat: Some(Concat {
            reference: 1,
            total: 2,
            sequence: 2,
        }),
        ports: Some((0x1234, 0x5678)),
        header: vec![InformationElement {
            id: 0x70,
            data: vec![0xAB, 0xCD],
        }],
    };
    let bytes = s.emit().unwrap();
    let Tpdu::Submit(back) = decode(&bytes, false).unwrap().tpdu else {
        panic!()
    };
    assert_eq!(back, s);
    assert_eq!(bytes[0], 0x80 | 0x40 | 0x08 | 0x04 | 0x01);
}

#[test]
fn a_header_longer_than_the_user_data_is_an_error() {
    // Deliver, UDHI, UDL 3 octets of 8-bit data, UDHL 5.
    let err = decode_hex("440B917247587706F40004311082411524800305000301", false).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: Field::UserDataHeader,
                offset: 19,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn an_eight_bit_port_element_and_national_elements_decode() {
    let d = Deliver {
        more_messages: true,
        loop_prevention: true,
        status_report_indication: false,
        reply_path: false,
        originator: Address::national("0301234567"),
        pid: 0x41,
        dcs: Dcs::from_raw(0xD9),
        scts: ts("2099-12-31T23:59:59-19:45"),
        encoding: Encoding::Gsm7National {
            locking: Some(NationalLanguage::Portuguese),
            single: Some(NationalLanguage::Spanish),
        },
        text: "Ação ÁÍ".into(),
        data: vec![],
        concat: None,
        ports: Some((250, 251)),
        header: vec![],
    };
    let bytes = d.emit().unwrap();
    let Tpdu::Deliver(back) = decode(&bytes, false).unwrap().tpdu else {
        panic!()
    };
    assert_eq!(back, d);
    assert_eq!(back.scts.offset(), d.scts.offset());
    assert!(back.dcs.message_waiting().is_some());
}

#[test]
fn an_alphanumeric_sender_in_a_deliver_decodes() {
    let opts = DeliverOptions {
        from: "Design@Home".into(),
        ..Default::default()
    };
    let pdu = encode_deliver("x", &opts).unwrap().remove(0);
    assert_eq!(hex::encode_upper(&pdu[1..13]), "14D0C4F23C7D760390EF7619");
}

#[test]
fn too_many_parts_are_refused() {
    let o = SubmitOptions::default();
    let text = "a".repeat(153 * 255 + 1);
    assert_eq!(plan(&text, &o).parts, 256);
    assert_eq!(
        encode_submit("+1", &text, &o).unwrap_err(),
        Error::TooLong { parts: 256 }
    );
    assert_eq!(
        encode_submit("+1", &"a".repeat(153 * 255), &o)
            .unwrap()
            .len(),
        255
    );
}

#[test]
fn fuzz_decode_accepts_the_vectors_and_garbage() {
    for hex in [
        "0011000B916407281553F80000AA0AE8329BFD4697D9EC37",
        "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034",
        "07914875215652F006360B914892347527F3817003018104808170030181448000",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    ] {
        fuzz_decode(&from_hex(hex).unwrap());
    }
}

#[test]
fn a_full_160_character_message_to_a_12_digit_number_is_154_octets() {
    let opts = SubmitOptions {
        validity: Some(Duration::from_secs(86400)),
        ..Default::default()
    };
    let parts = encode_submit("+491761234567", &"x".repeat(160), &opts).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].at_length(), 154);
    assert_eq!(parts[0].at_hex().len(), 310);
}
