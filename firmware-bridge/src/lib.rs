//! firmware-bridge: the device side of gsmq for microcontroller firmware.
//!
//! `no_std`, no allocator, no `unsafe`, sans-IO: the caller owns the transport, the clock and
//! every buffer, so the same code runs on a bare-metal MCU, an RTOS or a host.
//!
//! - [`mqtt`]: MQTT 3.1.1 packet codec and a client state machine (CONNECT with credentials and
//!   will, SUBSCRIBE, PUBLISH QoS 0/1 with retransmission, keepalive, DISCONNECT).
//! - [`gsmq`]: the gsmq device API: topics, the send-SMS request, and parsers for replies,
//!   status events and inbound SMS with fixed capacities.
//! - [`framing`]: COBS + CRC-16 framing so a UART-only device can carry MQTT to gsmq.
//! - [`json`]: the allocation-free JSON writer and scanner behind [`gsmq`].
//!
//! The `std` feature adds `Vec` helpers for host code; the gsmq daemon links the framing and
//! the MQTT codec through it. Error types implement `core::error::Error` in every build.
//! `log` and `defmt` select a logging backend and exclude each other.
//!
//! # The caller's loop
//!
//! ```
//! use firmware_bridge::gsmq::{self, Recipients, SendSms};
//! use firmware_bridge::mqtt::{Client, Config, Event, Packet, QoS};
//! use firmware_bridge::mqtt::codec::{ConnAck, ConnectReturnCode};
//! use firmware_bridge::{INFLIGHT_BUFFER_LEN, RX_BUFFER_LEN, SEND_REQUEST_MAX, TX_BUFFER_LEN};
//!
//! let (mut tx, mut rx, mut inflight) =
//!     ([0u8; TX_BUFFER_LEN], [0u8; RX_BUFFER_LEN], [0u8; INFLIGHT_BUFFER_LEN]);
//! let mut config = Config::new("pump-7");
//! config.username = Some("dev1");
//! config.password = Some(b"secret");
//! let mut client = Client::new(config, &mut tx, &mut rx, &mut inflight);
//!
//! client.connect(0).unwrap();
//! let n = client.transmit().len(); // write these bytes to the transport, then:
//! client.transmitted(n);
//!
//! // Bytes read from the transport (here: the broker's CONNACK).
//! let mut connack = [0u8; 4];
//! let ack = ConnAck { session_present: false, code: ConnectReturnCode::Accepted };
//! Packet::ConnAck(ack).encode(&mut connack).unwrap();
//! client.receive(&connack);
//! assert_eq!(client.poll(5).unwrap(), Some(Event::Connected { session_present: false }));
//!
//! let mut ids = gsmq::RequestIds::new("pump-7", 41).unwrap(); // counter kept in flash
//! let id = ids.next_id();
//! let request = SendSms { id: Some(&id), to: Recipients::One("+491701234567"),
//!                         text: "Tank low ⚠️", report: true };
//! let mut json = [0u8; SEND_REQUEST_MAX];
//! let len = request.write_json(&mut json).unwrap();
//! let topic = gsmq::send_topic("dev1").unwrap();
//! let pkid = client.publish(&topic, &json[..len], QoS::AtLeastOnce, false, 10).unwrap();
//! assert_eq!(pkid, 1);
//! // Sleep until `client.poll_timeout()` or until bytes arrive, then `poll` again.
//! assert_eq!(client.poll_timeout(), Some(10 + 5_000)); // resend unless PUBACK arrives
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![deny(unsafe_code)]

#[macro_use]
mod fmt;

pub mod framing;
pub mod gsmq;
pub mod json;
pub mod mqtt;

/// QoS 1 publishes that may wait for PUBACK at once (slots of the client's inflight buffer).
pub const MAX_INFLIGHT: usize = 2;
/// Largest MQTT packet the recommended buffers carry, in either direction.
pub const MQTT_PACKET_MAX: usize = 1280;
/// Recommended `tx` buffer of [`mqtt::Client`]: one full packet plus an acknowledgement and a ping.
pub const TX_BUFFER_LEN: usize = MQTT_PACKET_MAX + 8;
/// Recommended `rx` buffer of [`mqtt::Client`]: bounds the largest packet received.
pub const RX_BUFFER_LEN: usize = MQTT_PACKET_MAX;
/// Recommended `inflight` buffer of [`mqtt::Client`]: one slot per unacknowledged publish.
pub const INFLIGHT_BUFFER_LEN: usize = MAX_INFLIGHT * MQTT_PACKET_MAX;

/// Longest gsmq user name (the `<user>` topic level).
pub const USER_MAX: usize = 32;
/// Longest topic built or matched by [`gsmq`].
pub const TOPIC_MAX: usize = 64;
/// Longest request id (idempotency key) sent or echoed back.
pub const ID_MAX: usize = 40;
/// Longest recipient or sender number (`+` and up to 15 digits fits with room for short codes).
pub const NUMBER_MAX: usize = 20;
/// Most recipients in one send request.
pub const RECIPIENTS_MAX: usize = 10;
/// Longest error code, field name, encoding name, state or modem id in an event.
pub const NAME_MAX: usize = 32;
/// Longest error message or status reason in an event.
pub const MESSAGE_MAX: usize = 128;
/// Longest RFC 3339 timestamp.
pub const TIMESTAMP_MAX: usize = 40;
/// Default capacity for the text of an inbound SMS (bytes of UTF-8); `InboxSms` takes others.
pub const INBOX_TEXT_MAX: usize = 640;
/// Longest SMS text a send request carries (UTF-8 bytes before escaping).
pub const SEND_TEXT_MAX: usize = 640;
/// Envelope of a send request without its text: keys, quotes, id and recipients
/// (ids and numbers are plain ASCII and never escaped).
pub const SEND_ENVELOPE_MAX: usize = 64 + ID_MAX + RECIPIENTS_MAX * (NUMBER_MAX + 3);
/// Envelope of an inbound-SMS event without its text.
pub const INBOX_ENVELOPE_MAX: usize = 160 + 2 * NUMBER_MAX + 3 * NAME_MAX + 2 * TIMESTAMP_MAX;
/// Bytes of the MQTT PUBLISH header around a payload: fixed header, topic length and topic, id.
pub const PUBLISH_OVERHEAD_MAX: usize = codec_overhead(TOPIC_MAX);
/// Largest send-request JSON that fits one PUBLISH of [`MQTT_PACKET_MAX`] bytes. Text
/// needing escapes (quotes, control characters) takes more room; the builder reports
/// [`json::Error::Overflow`] rather than truncating.
pub const SEND_REQUEST_MAX: usize = MQTT_PACKET_MAX - PUBLISH_OVERHEAD_MAX;
/// Largest payload a [`framing`] frame carries: one MQTT packet.
pub const FRAME_PAYLOAD_MAX: usize = MQTT_PACKET_MAX;
/// Receive buffer of [`framing::Decoder`]: payload plus CRC.
pub const FRAME_BUFFER_LEN: usize = FRAME_PAYLOAD_MAX + framing::CRC_LEN;
/// Largest encoded frame (COBS overhead and delimiter included).
pub const FRAME_ENCODED_MAX: usize = framing::max_encoded_len(FRAME_PAYLOAD_MAX);

const fn codec_overhead(topic: usize) -> usize {
    mqtt::codec::FIXED_HEADER_MAX + 2 + topic + 2
}

// Compile-time relations between the capacities.
const _: () = assert!(MAX_INFLIGHT >= 1);
const _: () = assert!(TX_BUFFER_LEN >= MQTT_PACKET_MAX + 4 + 2); // a packet + PUBACK + PINGREQ
const _: () = assert!(INFLIGHT_BUFFER_LEN / MAX_INFLIGHT >= MQTT_PACKET_MAX);
const _: () =
    assert!(gsmq::TOPIC_PREFIX.len() + USER_MAX + gsmq::LONGEST_SUFFIX.len() <= TOPIC_MAX);
const _: () = assert!(gsmq::INBOX_TOPIC.len() <= TOPIC_MAX);
const _: () = assert!(ID_MAX >= gsmq::ID_PREFIX_MAX + 1 + 10); // prefix, '-', u32 counter
                                                               // A send request with unescaped text of the longest size fits one packet.
const _: () = assert!(SEND_ENVELOPE_MAX + SEND_TEXT_MAX <= SEND_REQUEST_MAX);
// An inbound SMS with unescaped text of the default capacity fits the receive buffer.
const _: () = assert!(PUBLISH_OVERHEAD_MAX + INBOX_ENVELOPE_MAX + INBOX_TEXT_MAX <= RX_BUFFER_LEN);
const _: () = assert!(FRAME_PAYLOAD_MAX >= MQTT_PACKET_MAX);
const _: () = assert!(FRAME_ENCODED_MAX > FRAME_BUFFER_LEN);
const _: () = assert!(NUMBER_MAX >= 16 && NAME_MAX >= "cancelled".len());
