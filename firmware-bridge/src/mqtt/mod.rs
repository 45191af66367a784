//! MQTT 3.1.1: the packet codec (usable from std code, the daemon reuses it) and the sans-IO
//! client state machine firmware links.

pub mod client;
pub mod codec;

pub use client::{Client, Config, Event, State};
pub use codec::{
    decode, packet_len, ConnAck, Connect, ConnectReturnCode, Filters, LastWill, Packet, Publish,
    QoS, SubAck, SubAckCode, Subscribe,
};
