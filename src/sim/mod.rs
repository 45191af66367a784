//! The modem simulator (`gsmq sim`): behaves like real GSM/LTE modems on a
//! pseudo-terminal, following /work/shared/MODEM-SPEC.md, and uses the
//! project's PDU codec (through `codec.rs`, the only file that touches it).
//!
//! Layers:
//! - [`Modem`] (`modem.rs`): a sans-IO state machine, bytes and `Instant`s
//!   in, timed bytes and events out; personalities, timing model and fault
//!   injection are data it consults.
//! - `pty.rs`: one tokio task per modem that owns the PTY master, drives a
//!   `Modem` and keeps a stable symlink pointing at the current slave.
//! - [`Network`] (`network.rs`): several modems in one process that can text
//!   each other, plus the JSON-lines control socket (`control.rs`).
//!
//! Guarantees: a simulator never panics on input from the DTE or the control
//! socket; every run is reproducible from its seed (printed by `gsmq sim`,
//! logged by [`spawn`]); the stable path of a [`SimHandle`] survives
//! unplug/re-plug.

mod codec;
mod control;
mod faults;
mod mms;
mod modem;
mod network;
mod personality;
mod pty;
mod storage;
mod timing;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use codec::{Alphabet, CodecError};
pub use control::serve_control;
pub use faults::{FaultLevel, Faults};
pub use mms::Submission as MmsSubmission;
pub use modem::{Modem, ModemEvent, ResetKind};
pub use network::{ModemSpec, Network, NetworkConfig};
pub use personality::{Personality, Profile, UnknownPersonality};
pub use pty::{spawn, SimHandle};
pub use storage::{MemId, StorageSizes, Stored};
pub use timing::{Rat, ReportDelay, Span, SubmitLatency, Timing, DELAY_MAX};

/// Errors of the simulator's I/O side.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open a pseudo-terminal: {0}")]
    Pty(#[source] std::io::Error),
    #[error("cannot create the link {path}: {source}")]
    Link {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid simulator options: {0}")]
    Options(String),
    #[error("the simulator task has stopped")]
    Stopped,
    #[error("cannot encode the message: {0}")]
    Codec(#[from] CodecError),
    #[error("invalid hex PDU")]
    Hex,
    #[error("network file {path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("no simulated modem named `{0}`")]
    NoSuchModem(String),
    #[error("control socket {path}: {source}")]
    Control {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `Result` of the simulator.
pub type Result<T> = std::result::Result<T, Error>;

/// How `AT+CMGS=<length>` is checked against the PDU (MODEM-SPEC §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PduLengthPolicy {
    /// TPDU octets, SMSC excluded; anything else is `+CMS ERROR: 304`.
    #[default]
    Strict,
    /// Any length is accepted.
    Lenient,
    /// The length counts the SMSC octets too (old modems, smstools `mode=old`).
    ScaIncluded,
}

/// Everything that defines one simulated modem.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    pub personality: Personality,
    /// The modem's own number (`AT+CNUM`, network routing).
    pub number: String,
    /// Seed of every random decision (timing draws, faults).
    pub seed: u64,
    pub faults: Faults,
    pub timing: Timing,
    /// Stable symlink to the PTY slave; a private temporary link when `None`.
    pub link: Option<PathBuf>,
    pub storage: StorageSizes,
    /// `AT+CSCA?` answer; empty makes `00`-SCA submits fail with 330.
    pub smsc: String,
    /// First `+CMGS` message reference.
    pub mr_start: u8,
    /// The MR counter survives resets.
    pub mr_persists: bool,
    /// The SMS prompt, `"\r\n> "` by default (§3.1 knob).
    pub prompt: String,
    /// `ESC` in the prompt answers `OK` (Telit) instead of nothing.
    pub esc_reply_ok: bool,
    pub pdu_length: PduLengthPolicy,
    /// `AT+CMGD` of an empty index is `+CMS ERROR: 321` instead of `OK`.
    pub delete_missing_error: bool,
    /// Pace output at `baud / 10` bytes per second like a UART (§1.4);
    /// 0 = unpaced.
    pub baud: u32,
    /// SIM800: `AT+CMMSDOWN` of more bytes fails with `+CME ERROR: 173`
    /// (MODEM-SPEC §7.1); `None` = no limit.
    pub mms_max_attachment_bytes: Option<usize>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            personality: Personality::Generic,
            number: "+15555550100".into(),
            seed: 1,
            faults: Faults::none(),
            timing: Timing::default(),
            link: None,
            storage: StorageSizes::default(),
            smsc: "+447785016005".into(),
            mr_start: 0,
            mr_persists: true,
            prompt: "\r\n> ".into(),
            esc_reply_ok: false,
            pdu_length: PduLengthPolicy::Strict,
            delete_missing_error: false,
            baud: 0,
            mms_max_attachment_bytes: None,
        }
    }
}

/// One submitted TPDU as the simulated network accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentPart {
    pub at: DateTime<Utc>,
    /// The sending modem's number.
    pub from: String,
    pub to: String,
    /// Decoded text of this part (hex for 8-bit data).
    pub text: String,
    /// `gsm7`, `8bit`, `ucs2` (PDU mode) or `text` (text mode).
    pub encoding: String,
    /// The `+CMGS` message reference.
    pub mr: u8,
    /// `(reference, total, sequence)`.
    pub concat: Option<(u16, u8, u8)>,
    pub status_report: bool,
    /// The TPDU (no SMSC); empty in text mode.
    #[serde(serialize_with = "ser_hex")]
    pub tpdu: Vec<u8>,
}

fn ser_hex<S: serde::Serializer>(b: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode_upper(b))
}

/// A sent message: its parts joined back together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentSms {
    pub from: String,
    pub to: String,
    pub text: String,
    /// Parts received so far.
    pub parts: usize,
    /// Parts announced by the concatenation header (1 when single).
    pub total: usize,
    /// Message reference of each part, in sequence order.
    pub mr: Vec<u8>,
    pub encoding: String,
    pub status_report: bool,
    /// Time of the last part.
    pub at: DateTime<Utc>,
}

impl SentSms {
    /// Whether every announced part has arrived.
    pub fn complete(&self) -> bool {
        self.parts == self.total
    }
}

/// Joins submitted parts into messages: single parts as they are,
/// concatenated parts by `(to, reference, total)` in sequence order.
pub fn assemble(parts: &[SentPart]) -> Vec<SentSms> {
    type Key = (String, u16, u8);
    let mut out: Vec<(Option<Key>, Vec<&SentPart>)> = Vec::new();
    for p in parts {
        match p.concat {
            Some((r, t, _)) if t > 1 => {
                let key = (p.to.clone(), r, t);
                let slot = out.iter_mut().find(|(k, v)| {
                    k.as_ref() == Some(&key)
                        && v.len() < usize::from(t)
                        && !v.iter().any(|q| q.concat == p.concat)
                });
                match slot {
                    Some((_, v)) => v.push(p),
                    None => out.push((Some(key), vec![p])),
                }
            }
            _ => out.push((None, vec![p])),
        }
    }
    out.into_iter()
        .map(|(key, mut v)| {
            v.sort_by_key(|p| p.concat.map_or(0, |c| c.2));
            let first = v[0];
            SentSms {
                from: first.from.clone(),
                to: first.to.clone(),
                text: v.iter().map(|p| p.text.as_str()).collect(),
                parts: v.len(),
                total: key.map_or(1, |k| usize::from(k.2)),
                mr: v.iter().map(|p| p.mr).collect(),
                encoding: first.encoding.clone(),
                status_report: first.status_report,
                at: v.iter().map(|p| p.at).max().unwrap_or(first.at),
            }
        })
        .collect()
}
