//! Vendor personalities (MODEM-SPEC §9): identity strings, boot URCs, index
//! base, error quirks and the few formatting differences between modems.
//!
//! A [`Profile`] is plain data; the state machine in `modem.rs` consults it
//! and never matches on the vendor name itself.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Which modem the simulator behaves like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Personality {
    /// Plain 3GPP TS 27.005/27.007 modem.
    #[default]
    Generic,
    /// SIMCom SIM800 (2G).
    Sim800,
    /// SIMCom SIM7600 (LTE).
    Sim7600,
    /// Quectel EC25 (LTE).
    Ec25,
    /// Huawei E3372 stick in serial mode.
    E3372,
}

impl Personality {
    /// Every personality, in CLI order.
    pub const ALL: [Personality; 5] = [
        Personality::Generic,
        Personality::Sim800,
        Personality::Sim7600,
        Personality::Ec25,
        Personality::E3372,
    ];

    /// The CLI / config name.
    pub fn as_str(self) -> &'static str {
        match self {
            Personality::Generic => "generic",
            Personality::Sim800 => "sim800",
            Personality::Sim7600 => "sim7600",
            Personality::Ec25 => "ec25",
            Personality::E3372 => "e3372",
        }
    }

    /// The behaviour table for this personality.
    pub fn profile(self) -> Profile {
        let generic = Profile {
            manufacturer: "GSMQ",
            model: "SIM-GENERIC",
            revision: "gsmq-sim 1.0",
            imei_prefix: "35",
            index_base: 1,
            boot: &[],
            boot_time: Duration::ZERO,
            sms_ready_index: 0,
            not_ready_error: NotReady::CmeBusy,
            cmms_supported: true,
            error_token: "ERROR",
            creg_unquoted: false,
            cmgr_empty_ok: false,
            extra_blank_line: false,
            memfull_urc: None,
            cimi_plmn: "00101",
            iccid_command: None,
            noise_urcs: &[],
            operator: "Test Operator",
            act: 7,
            max_submit: Duration::from_secs(60),
        };
        match self {
            Personality::Generic => generic,
            Personality::Sim800 => Profile {
                manufacturer: "SIMCOM_Ltd",
                model: "SIMCOM_SIM800L",
                revision: "Revision:1418B05SIM800L24",
                imei_prefix: "86",
                boot: &["RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"],
                boot_time: Duration::from_secs(3),
                sms_ready_index: 5,
                not_ready_error: NotReady::PlainError,
                act: 0,
                iccid_command: Some(("+CCID", "")),
                ..generic
            },
            Personality::Sim7600 => Profile {
                manufacturer: "SIMCOM INCORPORATED",
                model: "SIMCOM_SIM7600E-H",
                revision: "+CGMR: LE20B04SIM7600M22",
                imei_prefix: "86",
                index_base: 0,
                boot: &["RDY", "+CPIN: READY", "SMS DONE", "PB DONE"],
                boot_time: Duration::from_secs(4),
                sms_ready_index: 3,
                iccid_command: Some(("+CICCID", "+ICCID: ")),
                max_submit: Duration::from_secs(120),
                ..generic
            },
            Personality::Ec25 => Profile {
                manufacturer: "Quectel",
                model: "EC25",
                revision: "Revision: EC25EFAR06A06M4G",
                imei_prefix: "86",
                boot: &[
                    "RDY",
                    "+CFUN: 1",
                    "+CPIN: READY",
                    "+QUSIM: 1",
                    "+QIND: SMS DONE",
                    "+QIND: PB DONE",
                ],
                boot_time: Duration::from_secs(6),
                sms_ready_index: 5,
                memfull_urc: Some("+QIND: \"smsfull\",\"SM\""),
                iccid_command: Some(("+QCCID", "+QCCID: ")),
                max_submit: Duration::from_secs(120),
                ..generic
            },
            Personality::E3372 => Profile {
                manufacturer: "huawei",
                model: "E3372",
                revision: "22.328.62.00.143",
                imei_prefix: "86",
                index_base: 0,
                boot: &[
                    "^BOOT:20815795,0,0,0,75",
                    "^SIMST:1",
                    "^SRVST:2",
                    "^RSSI:21",
                    "^HCSQ:\"LTE\",59,50,161,24",
                    "^MODE:7,17",
                ],
                boot_time: Duration::from_secs(3),
                sms_ready_index: 6,
                cmms_supported: false,
                error_token: "COMMAND NOT SUPPORT",
                creg_unquoted: true,
                cmgr_empty_ok: true,
                extra_blank_line: true,
                memfull_urc: Some("^SMMEMFULL: \"ME\""),
                iccid_command: Some(("^ICCID", "^ICCID: ")),
                noise_urcs: &["^RSSI:21", "^HCSQ:\"LTE\",59,50,161,24", "^DSFLOWRPT:0000000A,00000000,00000000,0000000000000000,0000000000000000,00000000,00000000"],
                ..generic
            },
        }
    }
}

impl fmt::Display for Personality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown personality name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown personality `{0}` (expected generic, sim800, sim7600, ec25 or e3372)")]
pub struct UnknownPersonality(pub String);

impl FromStr for Personality {
    type Err = UnknownPersonality;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Personality::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownPersonality(s.to_string()))
    }
}

/// How SMS commands fail before the modem reports SMS readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    /// Bare `ERROR` (SIM800 before `SMS Ready`, Seeed#39).
    PlainError,
    /// `+CME ERROR: 14` (SIM busy).
    CmeBusy,
}

/// Behaviour table of one personality (MODEM-SPEC §9).
#[derive(Debug, Clone)]
pub struct Profile {
    pub manufacturer: &'static str,
    pub model: &'static str,
    pub revision: &'static str,
    pub imei_prefix: &'static str,
    /// First storage index: 0 (SIM7600, Huawei) or 1.
    pub index_base: u16,
    /// URCs after power-on / `AT+CFUN=1,1`, spread over `boot_time`.
    pub boot: &'static [&'static str],
    /// Default time from power-on to the last boot URC.
    pub boot_time: Duration,
    /// SMS commands work once this many boot URCs have been sent.
    pub sms_ready_index: usize,
    pub not_ready_error: NotReady,
    /// `AT+CMMS` supported; otherwise `+CMS ERROR: 500` (GI#138).
    pub cmms_supported: bool,
    /// Token for a plain error (Huawei: `COMMAND NOT SUPPORT` for unknown commands).
    pub error_token: &'static str,
    /// `+CREG: 2,1,4CA,81DE445` instead of quoted hex.
    pub creg_unquoted: bool,
    /// `AT+CMGR` on an empty index answers bare `OK` (Huawei) instead of 321.
    pub cmgr_empty_ok: bool,
    /// An extra blank line before the final result (Huawei).
    pub extra_blank_line: bool,
    /// URC when the receive storage fills up.
    pub memfull_urc: Option<&'static str>,
    /// MCC+MNC for the IMSI.
    pub cimi_plmn: &'static str,
    /// Vendor ICCID command and its answer prefix (`AT+CCID` always works too).
    pub iccid_command: Option<(&'static str, &'static str)>,
    /// Vendor URCs streamed periodically until `AT^CURC=0`.
    pub noise_urcs: &'static [&'static str],
    pub operator: &'static str,
    /// Access technology in `+COPS?` (0 GSM, 7 E-UTRAN).
    pub act: u8,
    /// Upper bound of the `^Z` → `+CMGS` latency.
    pub max_submit: Duration,
}
