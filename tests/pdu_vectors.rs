//! Widely published PDUs decoded through the public API only.

use gsmq::pdu::{self, DcsAlphabet, Encoding, Tpdu, TypeOfNumber};

#[test]
fn the_dreamfabric_how_are_you_deliver_decodes() {
    let d = pdu::decode_hex(
        "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07",
        true,
    )
    .unwrap();
    assert_eq!(d.smsc.unwrap().to_string(), "+31624000000");
    let Tpdu::Deliver(m) = d.tpdu else {
        panic!("not a deliver")
    };
    assert_eq!(m.originator.to_string(), "+31641600986");
    assert_eq!(m.originator.ton, TypeOfNumber::International);
    assert_eq!(m.text, "How are you?");
    assert_eq!(m.dcs.alphabet(), DcsAlphabet::Gsm7);
    assert_eq!(m.encoding, Encoding::Gsm7);
    // Time zone octet 0x08 is "minus zero quarters": UTC.
    assert_eq!(m.scts.to_rfc3339(), "2002-08-26T19:37:41+00:00");
}

#[test]
fn a_submit_without_smsc_decodes_when_told_so() {
    let d = pdu::decode_hex("11000B916407281553F80000AA0AE8329BFD4697D9EC37", false).unwrap();
    assert_eq!(d.smsc, None);
    assert_eq!(d.tpdu.kind(), "submit");
    // The same bytes read as if an SMSC came first fail cleanly.
    assert!(pdu::decode_hex("11000B916407281553F80000AA0AE8329BFD4697D9EC37", true).is_err());
}
