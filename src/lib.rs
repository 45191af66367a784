//! gsmq: an SMS/MMS gateway daemon for GSM/LTE modems with an embedded MQTT
//! broker. See ARCHITECTURE.md for the map of the code.
//!
//! The library exposes [`gateway::run`] so tests run the whole daemon
//! in-process; `main.rs` only parses arguments and calls into here.

pub mod api;
pub mod at;
pub mod bench;
pub mod bridge;
pub mod broker;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod gateway;
pub mod mms;
pub mod mmsc;
pub mod modem;
pub mod pdu;
pub mod service;
pub mod sim;
pub mod store;

pub use config::Config;
pub use gateway::run;
