//! The host-side helpers the gsmq daemon uses (feature `std`): the same framing and packet
//! codec as firmware, producing `Vec`s.

use firmware_bridge::framing::{self, Decoder};
use firmware_bridge::mqtt::{decode, Packet, Publish, QoS};

#[test]
fn a_daemon_frames_a_packet_that_firmware_decodes() {
    let packet = Packet::Publish(Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: "gsmq/dev1/reply",
        pkid: 3,
        payload: br#"{"ok":true}"#,
    });
    let bytes = packet.to_vec().unwrap();
    let wire = framing::encode_to_vec(&bytes);
    let mut dec = Decoder::<64>::new();
    let (used, frame) = dec.feed(&wire);
    assert_eq!(used, wire.len());
    let payload = frame.unwrap().unwrap();
    assert_eq!(decode(payload), Ok(Some((packet, bytes.len()))));
}

#[test]
fn errors_are_std_errors_with_messages() {
    let e: Box<dyn std::error::Error> = Box::new(framing::Error::Cobs);
    assert_eq!(e.to_string(), "frame ended inside a COBS block");
    let e: Box<dyn std::error::Error> =
        Box::new(firmware_bridge::mqtt::client::Error::InflightFull);
    assert_eq!(
        e.to_string(),
        format!(
            "all {} QoS 1 slots wait for PUBACK",
            firmware_bridge::MAX_INFLIGHT
        )
    );
}
