//! Interop: packets encoded by firmware-bridge decode with an independent MQTT 3.1.1 codec
//! (rumqttc's `mqttbytes::v4`) and packets rumqttc encodes decode in firmware-bridge.

use bytes::BytesMut;
use firmware_bridge::mqtt::codec::{decode, Packet};
use firmware_bridge::mqtt::{self as fb, Client, Config, ConnectReturnCode, Filters, SubAckCode};
use proptest::prelude::*;
use rumqttc::mqttbytes::v4 as rm;
use rumqttc::mqttbytes::QoS as RmQoS;

fn to_rm(q: fb::QoS) -> RmQoS {
    match q {
        fb::QoS::AtMostOnce => RmQoS::AtMostOnce,
        fb::QoS::AtLeastOnce => RmQoS::AtLeastOnce,
        fb::QoS::ExactlyOnce => RmQoS::ExactlyOnce,
    }
}

fn encode(p: &Packet<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; p.encoded_len().expect("length")];
    let n = p.encode(&mut buf).expect("encode");
    assert_eq!(n, buf.len());
    buf
}

fn rm_read(bytes: &[u8]) -> rm::Packet {
    let mut b = BytesMut::from(bytes);
    let p = rm::Packet::read(&mut b, 1 << 20).expect("rumqttc decodes our packet");
    assert!(b.is_empty(), "rumqttc left {} bytes", b.len());
    p
}

fn decode_all(bytes: &[u8]) -> Packet<'_> {
    // Every strict prefix is incomplete, never an error.
    for cut in 0..bytes.len() {
        assert_eq!(decode(&bytes[..cut]), Ok(None), "prefix of {cut} bytes");
    }
    let (p, used) = decode(bytes).expect("valid").expect("complete");
    assert_eq!(used, bytes.len());
    p
}

fn qos() -> impl Strategy<Value = fb::QoS> {
    prop_oneof![
        Just(fb::QoS::AtMostOnce),
        Just(fb::QoS::AtLeastOnce),
        Just(fb::QoS::ExactlyOnce)
    ]
}

fn topic() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_/\\-]{1,40}|gsmq/[a-z0-9]{1,12}/(reply|sms/status|sms/send)|\\PC{1,12}"
        .prop_filter("no wildcards", |t| !t.contains(['+', '#', '\0']))
}

fn rm_return_code(c: ConnectReturnCode) -> rm::ConnectReturnCode {
    match c {
        ConnectReturnCode::Accepted => rm::ConnectReturnCode::Success,
        ConnectReturnCode::UnacceptableProtocolVersion => {
            rm::ConnectReturnCode::RefusedProtocolVersion
        }
        ConnectReturnCode::IdentifierRejected => rm::ConnectReturnCode::BadClientId,
        ConnectReturnCode::ServerUnavailable => rm::ConnectReturnCode::ServiceUnavailable,
        ConnectReturnCode::BadUserNameOrPassword => rm::ConnectReturnCode::BadUserNamePassword,
        ConnectReturnCode::NotAuthorized => rm::ConnectReturnCode::NotAuthorized,
    }
}

proptest! {
    #[test]
    fn our_connect_decodes_in_rumqttc(
        client_id in "[A-Za-z0-9_-]{0,23}",
        keep_alive_s in any::<u16>(),
        clean_session in any::<bool>(),
        login in proptest::option::of(("\\PC{0,20}", "\\PC{0,20}")),
        will in proptest::option::of((topic(), proptest::collection::vec(any::<u8>(), 0..64), qos(), any::<bool>())),
    ) {
        let packet = Packet::Connect(fb::Connect {
            client_id: &client_id,
            keep_alive_s,
            clean_session,
            username: login.as_ref().map(|(u, _)| u.as_str()),
            password: login.as_ref().map(|(_, p)| p.as_bytes()),
            will: will.as_ref().map(|(t, m, q, r)| fb::LastWill { topic: t, message: m, qos: *q, retain: *r }),
        });
        let bytes = encode(&packet);
        let rm::Packet::Connect(c) = rm_read(&bytes) else { panic!("not a CONNECT") };
        prop_assert_eq!(c.protocol, rumqttc::mqttbytes::Protocol::V4);
        prop_assert_eq!(c.client_id, client_id.clone());
        prop_assert_eq!(c.keep_alive, keep_alive_s);
        prop_assert_eq!(c.clean_session, clean_session);
        // rumqttc models "no login" and "empty user name and password" alike.
        let want_login = login.clone().filter(|(u, p)| !(u.is_empty() && p.is_empty()));
        prop_assert_eq!(c.login.map(|l| (l.username, l.password)), want_login);
        let expect_will = will.as_ref().map(|(t, m, q, r)| rm::LastWill {
            topic: t.clone(), message: m.clone().into(), qos: to_rm(*q), retain: *r,
        });
        prop_assert_eq!(c.last_will, expect_will);
        // And our own decoder gives back what we encoded.
        prop_assert_eq!(decode_all(&bytes), packet);
    }

    #[test]
    fn our_publish_decodes_in_rumqttc(
        topic in topic(),
        payload in proptest::collection::vec(any::<u8>(), 0..400),
        qos in qos(),
        dup in any::<bool>(),
        retain in any::<bool>(),
        pkid in 1u16..,
    ) {
        let dup = dup && qos != fb::QoS::AtMostOnce;
        let pkid = if qos == fb::QoS::AtMostOnce { 0 } else { pkid };
        let packet = Packet::Publish(fb::Publish { dup, qos, retain, topic: &topic, pkid, payload: &payload });
        let bytes = encode(&packet);
        let rm::Packet::Publish(p) = rm_read(&bytes) else { panic!("not a PUBLISH") };
        prop_assert_eq!(p.topic, topic.clone());
        prop_assert_eq!(&p.payload[..], &payload[..]);
        prop_assert_eq!(p.qos, to_rm(qos));
        prop_assert_eq!(p.dup, dup);
        prop_assert_eq!(p.retain, retain);
        prop_assert_eq!(p.pkid, pkid);
        prop_assert_eq!(decode_all(&bytes), packet);
    }

    #[test]
    fn our_subscribe_decodes_in_rumqttc(
        filters in proptest::collection::vec(("[a-z0-9/+#]{1,30}", qos()), 1..5),
        pkid in 1u16..,
    ) {
        let list: Vec<(&str, fb::QoS)> = filters.iter().map(|(f, q)| (f.as_str(), *q)).collect();
        let packet = Packet::Subscribe(fb::Subscribe { pkid, filters: Filters::List(&list) });
        let bytes = encode(&packet);
        let rm::Packet::Subscribe(s) = rm_read(&bytes) else { panic!("not a SUBSCRIBE") };
        prop_assert_eq!(s.pkid, pkid);
        let got: Vec<(String, RmQoS)> = s.filters.into_iter().map(|f| (f.path, f.qos)).collect();
        let want: Vec<(String, RmQoS)> = filters.iter().map(|(f, q)| (f.clone(), to_rm(*q))).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(decode_all(&bytes), packet);
    }

    #[test]
    fn our_puback_decodes_in_rumqttc(pkid in 1u16..) {
        let bytes = encode(&Packet::PubAck(pkid));
        prop_assert_eq!(rm_read(&bytes), rm::Packet::PubAck(rm::PubAck::new(pkid)));
    }

    #[test]
    fn rumqttc_connack_decodes_here(code in 0u8..6, session_present in any::<bool>()) {
        let ours = [
            ConnectReturnCode::Accepted,
            ConnectReturnCode::UnacceptableProtocolVersion,
            ConnectReturnCode::IdentifierRejected,
            ConnectReturnCode::ServerUnavailable,
            ConnectReturnCode::BadUserNameOrPassword,
            ConnectReturnCode::NotAuthorized,
        ][code as usize];
        let mut buf = BytesMut::new();
        rm::ConnAck::new(rm_return_code(ours), session_present).write(&mut buf).unwrap();
        prop_assert_eq!(
            decode_all(&buf),
            Packet::ConnAck(fb::ConnAck { session_present, code: ours })
        );
    }

    #[test]
    fn rumqttc_suback_decodes_here(pkid in 1u16.., codes in proptest::collection::vec(0u8..4, 1..8)) {
        let rm_codes: Vec<rm::SubscribeReasonCode> = codes.iter().map(|&c| match c {
            0 => rm::SubscribeReasonCode::Success(RmQoS::AtMostOnce),
            1 => rm::SubscribeReasonCode::Success(RmQoS::AtLeastOnce),
            2 => rm::SubscribeReasonCode::Success(RmQoS::ExactlyOnce),
            _ => rm::SubscribeReasonCode::Failure,
        }).collect();
        let mut buf = BytesMut::new();
        rm::SubAck::new(pkid, rm_codes).write(&mut buf).unwrap();
        let Packet::SubAck(ack) = decode_all(&buf) else { panic!("not a SUBACK") };
        prop_assert_eq!(ack.pkid, pkid);
        let want: Vec<SubAckCode> = codes.iter().map(|&c| match c {
            0 => SubAckCode::Success(fb::QoS::AtMostOnce),
            1 => SubAckCode::Success(fb::QoS::AtLeastOnce),
            2 => SubAckCode::Success(fb::QoS::ExactlyOnce),
            _ => SubAckCode::Failure,
        }).collect();
        prop_assert_eq!(ack.codes().collect::<Vec<_>>(), want);
    }

    #[test]
    fn rumqttc_publish_decodes_here(
        topic in topic(),
        payload in proptest::collection::vec(any::<u8>(), 0..20_000),
        qos in qos(),
        dup in any::<bool>(),
        retain in any::<bool>(),
        pkid in 1u16..,
    ) {
        let mut p = rm::Publish::new(topic.clone(), to_rm(qos), payload.clone());
        p.retain = retain;
        p.dup = dup && qos != fb::QoS::AtMostOnce;
        if qos != fb::QoS::AtMostOnce {
            p.pkid = pkid;
        }
        let mut buf = BytesMut::new();
        p.write(&mut buf).unwrap();
        let (got, used) = decode(&buf).unwrap().unwrap();
        prop_assert_eq!(used, buf.len());
        prop_assert_eq!(got, Packet::Publish(fb::Publish {
            dup: p.dup, qos, retain, topic: &topic, pkid: p.pkid, payload: &payload,
        }));
    }

    #[test]
    fn rumqttc_puback_decodes_here(pkid in 1u16..) {
        let mut buf = BytesMut::new();
        rm::PubAck::new(pkid).write(&mut buf).unwrap();
        prop_assert_eq!(decode_all(&buf), Packet::PubAck(pkid));
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(Some((p, used))) = decode(&bytes) {
            prop_assert!(used <= bytes.len());
            // Whatever decodes re-encodes to a packet that decodes the same.
            let again = encode(&p);
            prop_assert_eq!(decode(&again).unwrap().map(|(q, _)| q), Some(p));
        }
    }
}

#[test]
fn rumqttc_pingresp_decodes_here() {
    let mut buf = BytesMut::new();
    rm::PingResp.write(&mut buf).unwrap();
    assert_eq!(decode_all(&buf), Packet::PingResp);
}

#[test]
fn our_pingreq_and_disconnect_decode_in_rumqttc() {
    assert_eq!(rm_read(&encode(&Packet::PingReq)), rm::Packet::PingReq);
    assert_eq!(
        rm_read(&encode(&Packet::Disconnect)),
        rm::Packet::Disconnect
    );
}

#[test]
fn the_clients_own_output_decodes_in_rumqttc() {
    let (mut tx, mut rx, mut inflight) = ([0u8; 512], [0u8; 512], [0u8; 512]);
    let mut config = Config::new("dev1-board");
    config.username = Some("dev1");
    config.password = Some(b"s3cret");
    config.will = Some(fb::LastWill {
        topic: "devices/dev1/state",
        message: b"offline",
        qos: fb::QoS::AtLeastOnce,
        retain: true,
    });
    let mut client = Client::new(config, &mut tx, &mut rx, &mut inflight);
    client.connect(0).unwrap();
    let mut ack = BytesMut::new();
    rm::ConnAck::new(rm::ConnectReturnCode::Success, false)
        .write(&mut ack)
        .unwrap();
    client.receive(&ack);
    assert_eq!(
        client.poll(1).unwrap(),
        Some(fb::Event::Connected {
            session_present: false
        })
    );
    client
        .subscribe(&[("gsmq/dev1/reply", fb::QoS::AtLeastOnce)], 2)
        .unwrap();
    let pkid = client
        .publish(
            "gsmq/dev1/sms/send",
            br#"{"to":"+4917","text":"hi","report":false}"#,
            fb::QoS::AtLeastOnce,
            false,
            3,
        )
        .unwrap();

    let mut stream = BytesMut::from(client.transmit());
    let mut got = Vec::new();
    while !stream.is_empty() {
        got.push(rm::Packet::read(&mut stream, 4096).unwrap());
    }
    assert_eq!(got.len(), 3);
    let rm::Packet::Connect(c) = &got[0] else {
        panic!("{:?}", got[0])
    };
    assert_eq!(c.client_id, "dev1-board");
    assert_eq!(c.login, Some(rm::Login::new("dev1", "s3cret")));
    assert_eq!(
        c.last_will.as_ref().map(|w| (w.topic.as_str(), w.retain)),
        Some(("devices/dev1/state", true))
    );
    assert!(matches!(&got[1], rm::Packet::Subscribe(s) if s.filters[0].path == "gsmq/dev1/reply"));
    assert!(
        matches!(&got[2], rm::Packet::Publish(p) if p.pkid == pkid && p.qos == RmQoS::AtLeastOnce)
    );
}
