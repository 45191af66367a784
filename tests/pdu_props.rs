//! Property tests for the PDU codec: any Unicode text survives
//! encode/segment/decode, segment counts respect the part limits, every
//! TPDU representation round-trips, and arbitrary bytes never panic.

use std::time::Instant;

use chrono::{DateTime, FixedOffset, NaiveDate};
use gsmq::pdu::{
    self, Address, Concat, Dcs, Deliver, DeliverOptions, Encoding, EncodingChoice,
    InformationElement, NationalLanguage, Outcome, Reassembler, StatusReport, Submit,
    SubmitOptions, Tpdu, TypeOfNumber, UserData, Validity,
};
use proptest::prelude::*;

/// Characters that exercise the interesting paths: GSM basic and extension
/// characters, national-table letters, BMP and astral characters.
const POOL: &str = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà\n\r\
                    €[]{}~^|\\\u{c}ĞğŞşİıçãõêôÁáÍíÓóÚúÂâÊÔÀªº∞`ঁঅক০हक़ஃ்ابжЖ日本😀🎉\u{10FFFF}";

fn pool_char() -> impl Strategy<Value = char> {
    let chars: Vec<char> = POOL.chars().collect();
    prop::sample::select(chars)
}

fn mixed_char() -> impl Strategy<Value = char> {
    prop_oneof![3 => pool_char(), 1 => any::<char>()]
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(mixed_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn language() -> impl Strategy<Value = NationalLanguage> {
    prop::sample::select(NationalLanguage::ALL.to_vec())
}

fn timestamp() -> impl Strategy<Value = DateTime<FixedOffset>> {
    (
        2000i32..=2099,
        1u32..=12,
        1u32..=31,
        0u32..24,
        0u32..60,
        0u32..60,
        -79i32..=79,
    )
        .prop_map(|(y, mo, d, h, mi, s, q)| {
            let date = NaiveDate::from_ymd_opt(y, mo, d)
                .or_else(|| NaiveDate::from_ymd_opt(y, mo, 28))
                .expect("day 28 exists");
            let offset = FixedOffset::east_opt(q * 15 * 60).expect("within a day");
            date.and_hms_opt(h, mi, s)
                .expect("valid time")
                .and_local_timezone(offset)
                .unwrap()
        })
}

fn digits(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select("0123456789*#abc".chars().collect::<Vec<_>>()),
        0..=max,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn address() -> impl Strategy<Value = Address> {
    let numeric = (
        prop::sample::select(vec![
            TypeOfNumber::Unknown,
            TypeOfNumber::International,
            TypeOfNumber::National,
            TypeOfNumber::NetworkSpecific,
            TypeOfNumber::Subscriber,
            TypeOfNumber::Abbreviated,
            TypeOfNumber::Reserved,
        ]),
        0u8..16,
        digits(20),
    )
        .prop_map(|(ton, npi, value)| Address { ton, npi, value });
    // Alphanumeric names from one-septet characters, at most 11.
    let basic: Vec<char> = "@£$ABCXYZabcxyz0189 -_.!ÄÖÑÜäöñüΔΩ".chars().collect();
    let alpha = (
        0u8..16,
        prop::collection::vec(prop::sample::select(basic), 0..=11),
    )
        .prop_map(|(npi, v)| Address {
            ton: TypeOfNumber::Alphanumeric,
            npi,
            value: v.into_iter().collect(),
        });
    prop_oneof![numeric, alpha]
}

fn concat() -> impl Strategy<Value = Option<Concat>> {
    prop::option::of(
        (any::<u16>(), 1u8..=255, any::<u8>()).prop_map(|(reference, total, s)| Concat {
            reference,
            total,
            sequence: s % total + 1,
        }),
    )
}

fn other_elements() -> impl Strategy<Value = Vec<InformationElement>> {
    let id = any::<u8>().prop_filter("known elements are lifted", |id| {
        ![0x00, 0x04, 0x05, 0x08, 0x24, 0x25].contains(id)
    });
    prop::collection::vec(
        (id, prop::collection::vec(any::<u8>(), 0..6))
            .prop_map(|(id, data)| InformationElement { id, data }),
        0..3,
    )
}

/// User data that fits one PDU, with a DCS that agrees with it.
fn user_data() -> impl Strategy<Value = (Dcs, UserData)> {
    let text_part = (
        text(25),
        prop::collection::vec(language(), 0..3),
        any::<bool>(),
        any::<u8>(),
    )
        .prop_filter_map("text must plan", |(t, national, ucs2, class)| {
            let opts = SubmitOptions {
                encoding: if ucs2 {
                    EncodingChoice::Ucs2
                } else {
                    EncodingChoice::Auto
                },
                national,
                ..Default::default()
            };
            let plan = pdu::try_plan(&t, &opts).ok()?;
            let alphabet = match plan.encoding {
                Encoding::Ucs2 => pdu::DcsAlphabet::Ucs2,
                _ => pdu::DcsAlphabet::Gsm7,
            };
            let class = (class & 1 == 1).then(|| pdu::MessageClass::from_bits(class >> 1));
            Some((Dcs::new(alphabet, class), plan.encoding, t))
        });
    let text_ud = (
        text_part,
        concat(),
        prop::option::of((any::<u16>(), any::<u16>())),
        other_elements(),
    )
        .prop_map(|((dcs, encoding, text), concat, ports, header)| {
            (
                dcs,
                UserData {
                    encoding,
                    text,
                    data: Vec::new(),
                    concat,
                    ports,
                    header,
                },
            )
        });
    let data_ud = (
        prop::sample::select(vec![0x04u8, 0x14, 0x0C, 0xF4, 0xF7, 0x44]),
        prop::collection::vec(any::<u8>(), 0..100),
        concat(),
        prop::option::of((any::<u16>(), any::<u16>())),
        other_elements(),
    )
        .prop_map(|(dcs, data, concat, ports, header)| {
            (
                Dcs::from_raw(dcs),
                UserData {
                    encoding: Encoding::Data8,
                    text: String::new(),
                    data,
                    concat,
                    ports,
                    header,
                },
            )
        });
    prop_oneof![3 => text_ud, 1 => data_ud]
}

fn validity() -> impl Strategy<Value = Option<Validity>> {
    prop::option::of(prop_oneof![
        any::<u8>().prop_map(Validity::Relative),
        timestamp().prop_map(Validity::Absolute),
        any::<[u8; 7]>().prop_map(Validity::Enhanced),
    ])
}

fn tpdu() -> impl Strategy<Value = Tpdu> {
    let deliver = (
        any::<[bool; 4]>(),
        address(),
        any::<u8>(),
        timestamp(),
        user_data(),
    )
        .prop_map(|(f, originator, pid, scts, (dcs, ud))| {
            Tpdu::Deliver(Deliver {
                more_messages: f[0],
                loop_prevention: f[1],
                status_report_indication: f[2],
                reply_path: f[3],
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
        });
    let submit = (
        any::<[bool; 3]>(),
        any::<u8>(),
        address(),
        any::<u8>(),
        validity(),
        user_data(),
    )
        .prop_map(|(f, mr, destination, pid, validity, (dcs, ud))| {
            Tpdu::Submit(Submit {
                reject_duplicates: f[0],
                reply_path: f[1],
                status_report_request: f[2],
                message_reference: mr,
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
        });
    let report = (
        any::<[bool; 3]>(),
        any::<u8>(),
        address(),
        timestamp(),
        timestamp(),
        any::<u8>(),
        prop::option::of(any::<u8>()),
        prop::option::of(user_data()),
    )
        .prop_map(|(f, mr, recipient, scts, discharge, status, pid, ud)| {
            let (dcs, user_data) = match ud {
                Some((dcs, ud)) => (Some(dcs), Some(ud)),
                None => (None, None),
            };
            Tpdu::StatusReport(StatusReport {
                more_messages: f[0],
                loop_prevention: f[1],
                for_command: f[2],
                message_reference: mr,
                recipient,
                scts,
                discharge,
                status,
                pid,
                dcs,
                user_data,
            })
        });
    prop_oneof![deliver, submit, report]
}

/// `DateTime` equality ignores the offset; compare it too.
fn offsets(t: &Tpdu) -> Vec<i32> {
    let o = |d: &DateTime<FixedOffset>| d.offset().local_minus_utc();
    match t {
        Tpdu::Deliver(d) => vec![o(&d.scts)],
        Tpdu::Submit(s) => match &s.validity {
            Some(Validity::Absolute(ts)) => vec![o(ts)],
            _ => vec![],
        },
        Tpdu::StatusReport(r) => vec![o(&r.scts), o(&r.discharge)],
    }
}

fn submit_text(bytes: &[u8]) -> (String, Option<Concat>, Encoding) {
    match pdu::decode(bytes, false).expect("own PDU decodes").tpdu {
        Tpdu::Submit(s) => (s.text, s.concat, s.encoding),
        other => panic!("expected a submit, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_survives_encode_segment_decode(
        t in text(700),
        national in prop::collection::vec(language(), 0..3),
        choice in prop::sample::select(vec![EncodingChoice::Auto, EncodingChoice::Ucs2]),
        reference in any::<u16>(),
    ) {
        let opts = SubmitOptions { encoding: choice, national, reference, ..Default::default() };
        let plan = pdu::plan(&t, &opts);
        let parts = pdu::encode_submit("+4917612345678", &t, &opts).unwrap();
        prop_assert_eq!(parts.len(), plan.parts);
        let mut joined = String::new();
        for (i, p) in parts.iter().enumerate() {
            prop_assert_eq!(p.at_length(), p.tpdu.len());
            prop_assert!(p.tpdu.len() <= 140 + 20, "TPDU of {} octets", p.tpdu.len());
            let (text, concat, encoding) = submit_text(&p.tpdu);
            prop_assert_eq!(encoding, plan.encoding);
            // TP-UDL sits after FO, MR, the 9-octet TP-DA, PID and DCS.
            let udl = usize::from(p.tpdu[13]);
            let header = if p.tpdu[0] & 0x40 != 0 { usize::from(p.tpdu[14]) + 1 } else { 0 };
            let units = match encoding {
                Encoding::Ucs2 => (udl - header) / 2,
                _ => udl - (header * 8).div_ceil(7),
            };
            let udl_max = if encoding == Encoding::Ucs2 { 140 } else { 160 };
            prop_assert!(udl <= udl_max, "UDL {} > {}", udl, udl_max);
            prop_assert!(units <= plan.units_per_part, "part {} has {} units > {}", i, units, plan.units_per_part);
            if parts.len() > 1 {
                prop_assert_eq!(concat, Some(Concat { reference, total: parts.len() as u8, sequence: i as u8 + 1 }));
            } else {
                prop_assert_eq!(concat, None);
            }
            joined.push_str(&text);
        }
        prop_assert_eq!(joined, t);
    }

    #[test]
    fn segment_counts_never_exceed_the_part_limits(t in text(1200), national in prop::collection::vec(language(), 0..2)) {
        let plan = pdu::plan(&t, &SubmitOptions { national, ..Default::default() });
        let single = match plan.encoding {
            Encoding::Ucs2 => 70,
            Encoding::Data8 => 140,
            _ => 160,
        };
        prop_assert!(plan.units_per_part <= single);
        if plan.parts == 1 {
            prop_assert!(plan.units <= plan.units_per_part);
        } else {
            prop_assert!(plan.units_per_part < single);
            // Greedy parts: at most one unit lost per cut.
            prop_assert!(plan.units <= plan.parts * plan.units_per_part);
            prop_assert!(plan.units > (plan.parts - 1) * (plan.units_per_part - 1));
        }
    }

    #[test]
    fn every_tpdu_round_trips_through_emit_and_decode(t in tpdu(), smsc in prop::option::of(address())) {
        let smsc = smsc.filter(|a| a.ton != TypeOfNumber::Alphanumeric && !a.value.is_empty());
        let bytes = match t.emit() {
            Ok(b) => b,
            Err(pdu::Error::UserDataTooLong { .. }) => return Ok(()),
            Err(e) => return Err(TestCaseError::fail(format!("emit failed: {e}"))),
        };
        let back = pdu::decode(&bytes, false).unwrap();
        prop_assert_eq!(&back.tpdu, &t);
        prop_assert_eq!(offsets(&back.tpdu), offsets(&t));
        let with = pdu::Decoded { smsc, tpdu: t };
        let bytes = with.emit(true).unwrap();
        prop_assert_eq!(pdu::decode(&bytes, true).unwrap(), with);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        pdu::fuzz_decode(&bytes);
    }

    #[test]
    fn mutated_valid_pdus_never_panic(t in tpdu(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>()) {
        if let Ok(mut bytes) = t.emit() {
            for (i, v) in flips {
                let i = i.index(bytes.len());
                bytes[i] = v;
            }
            pdu::fuzz_decode(&bytes);
            let keep = cut.index(bytes.len() + 1);
            pdu::fuzz_decode(&bytes[..keep]);
        }
    }

    #[test]
    fn deliver_parts_reassemble_in_any_order(
        t in text(600),
        reference in any::<u16>(),
        order in any::<u64>(),
        dup in any::<prop::sample::Index>(),
    ) {
        let opts = DeliverOptions { reference, ..Default::default() };
        let pdus = pdu::encode_deliver(&t, &opts).unwrap();
        let mut parts: Vec<Deliver> = pdus
            .iter()
            .map(|p| match pdu::decode(p, false).unwrap().tpdu {
                Tpdu::Deliver(d) => d,
                other => panic!("expected deliver, got {other:?}"),
            })
            .collect();
        // Deterministic shuffle from the generated seed, plus one duplicate.
        let mut seed = order;
        for i in (1..parts.len()).rev() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            parts.swap(i, (seed >> 33) as usize % (i + 1));
        }
        // A duplicate of a part that is not the last one pushed.
        if parts.len() > 1 {
            let k = dup.index(parts.len() - 1);
            let again = parts[k].clone();
            parts.insert(k + 1, again);
        }
        let now = Instant::now();
        let mut r = Reassembler::default();
        let mut done = None;
        for d in parts {
            let c = d.concat.unwrap_or(Concat { reference, total: 1, sequence: 1 });
            match r.push(&d.originator.to_string(), c, d.text, now) {
                Outcome::Complete(texts) => {
                    prop_assert!(done.is_none(), "completed twice");
                    done = Some(texts.concat());
                }
                Outcome::Pending { .. } | Outcome::Duplicate => {}
                other => return Err(TestCaseError::fail(format!("unexpected {other:?}"))),
            }
        }
        prop_assert_eq!(done, Some(t));
        prop_assert_eq!(r.pending(), 0);
    }
}
