//! WAP push over SMS: the push PDU through the real SMS PDU codec (8-bit,
//! port 2948, concatenated when long) and back through reassembly.

use std::time::Instant;

use gsmq::mms::{push_to_sms, sms_to_push, Error, Pdu, Push, PORT_PUSH, PORT_WAP};
use gsmq::pdu;

#[test]
fn long_notification_travels_as_concatenated_sms_to_port_2948() {
    let loc = format!("http://mmsc.example.com/{}", "x".repeat(200));
    let ni = Pdu::notification_ind(
        "TX-LONG",
        Some("+491701234567"),
        Some("A long one"),
        99_999,
        86_400,
        &loc,
    );
    let push = Push::mms(7, &ni).unwrap();
    let opts = pdu::DeliverOptions {
        from: "+491709999".into(),
        reference: 42,
        ..Default::default()
    };
    let mut sms = push_to_sms(&push, &opts).unwrap();
    assert!(sms.len() >= 2, "{} parts", sms.len());
    for t in &sms {
        match pdu::decode(t, false).unwrap().tpdu {
            pdu::Tpdu::Deliver(d) => assert_eq!(d.ports, Some((PORT_PUSH, PORT_WAP))),
            other => panic!("not a deliver: {other:?}"),
        }
    }
    sms.reverse();
    let now = Instant::now();
    let back = sms_to_push(&sms, now).unwrap();
    assert_eq!(back, push);
    assert_eq!(
        back.mms_pdu().unwrap().content_location(),
        Some(loc.as_str())
    );
    assert_eq!(sms_to_push(&sms[..1], now), Err(Error::IncompletePush));
}

#[test]
fn a_plain_text_sms_is_not_a_push() {
    let t = pdu::encode_deliver("hello", &pdu::DeliverOptions::default()).unwrap();
    assert_eq!(sms_to_push(&t, Instant::now()), Err(Error::NotPush));
}
