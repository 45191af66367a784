//! The MQTT topic schema and payloads: gsmq's product API. Sans-IO.

pub mod acl;
