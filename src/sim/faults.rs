//! Seeded fault injection (MODEM-SPEC §5, §10): error mixes, hangs,
//! garbage, split writes, URCs at every injection point of §5.1, soft
//! resets and unplug/re-plug.
//!
//! All probabilities are per opportunity (per command line, per injection
//! point). Decisions are drawn from the modem's seeded RNG, so the same
//! seed and the same input bytes give the same faults. The seed is printed
//! by `gsmq sim` and logged by `sim::spawn`.

use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

/// Named fault presets for `--faults`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultLevel {
    #[default]
    None,
    Light,
    Heavy,
}

impl FromStr for FaultLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(FaultLevel::None),
            "light" => Ok(FaultLevel::Light),
            "heavy" => Ok(FaultLevel::Heavy),
            other => Err(format!(
                "unknown fault level `{other}` (expected none, light or heavy)"
            )),
        }
    }
}

/// Fault knobs. `Faults::default()` injects nothing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Per submit: a transient `+CMS ERROR` (500, 512, 513, 42, 332).
    pub cms_transient: f64,
    /// Per submit: a permanent `+CMS ERROR` (1, 21, 28, 50, 96).
    pub cms_permanent: f64,
    /// Per command line: stop answering for `hang_duration`.
    pub hang: f64,
    #[serde(with = "millis", rename = "hang_duration_ms")]
    pub hang_duration: Duration,
    /// Per idle line boundary: a burst of garbage bytes.
    pub garbage: f64,
    /// Garbage bytes waiting in the PTY when it (re)opens (§5.3, Q24).
    pub garbage_on_open: usize,
    /// Deliver output in random 1–64 byte chunks (§5.3).
    pub split_writes: bool,
    /// Longest gap between split chunks.
    #[serde(with = "millis", rename = "split_gap_max_ms")]
    pub split_gap_max: Duration,
    /// Per §5.1 injection point: a URC lands there.
    pub urc: f64,
    /// Per command line: a soft reset after the answer.
    pub soft_reset: f64,
    /// Per command line: the modem is unplugged after the answer.
    pub unplug: f64,
    /// How long an unplugged modem stays away.
    #[serde(with = "millis", rename = "unplug_duration_ms")]
    pub unplug_duration: Duration,
    /// Re-plug at a new PTY path (the stable link follows).
    pub rename_on_replug: bool,
    /// Per inbound SMS: `+CMTI: ,-1` and the message is lost (SIMCom, Q26).
    pub bogus_cmti: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults::none()
    }
}

impl Faults {
    /// No faults at all.
    pub fn none() -> Faults {
        Faults {
            cms_transient: 0.0,
            cms_permanent: 0.0,
            hang: 0.0,
            hang_duration: Duration::from_secs(5),
            garbage: 0.0,
            garbage_on_open: 0,
            split_writes: false,
            split_gap_max: Duration::from_millis(5),
            urc: 0.0,
            soft_reset: 0.0,
            unplug: 0.0,
            unplug_duration: Duration::from_secs(2),
            rename_on_replug: true,
            bogus_cmti: 0.0,
        }
    }

    /// Occasional trouble, the way a good day in the field looks.
    pub fn light() -> Faults {
        Faults {
            cms_transient: 0.02,
            cms_permanent: 0.005,
            hang: 0.002,
            garbage: 0.01,
            garbage_on_open: 16,
            split_writes: true,
            urc: 0.05,
            soft_reset: 0.002,
            unplug: 0.001,
            ..Faults::none()
        }
    }

    /// A bad day: every hazard often.
    pub fn heavy() -> Faults {
        Faults {
            cms_transient: 0.10,
            cms_permanent: 0.03,
            hang: 0.01,
            garbage: 0.05,
            garbage_on_open: 64,
            split_writes: true,
            urc: 0.25,
            soft_reset: 0.01,
            unplug: 0.005,
            ..Faults::none()
        }
    }

    /// Checks probabilities (0..=1) and durations (at most a week).
    pub fn validate(&self) -> Result<(), String> {
        let probs = [
            ("cms_transient", self.cms_transient),
            ("cms_permanent", self.cms_permanent),
            ("hang", self.hang),
            ("garbage", self.garbage),
            ("urc", self.urc),
            ("soft_reset", self.soft_reset),
            ("unplug", self.unplug),
            ("bogus_cmti", self.bogus_cmti),
        ];
        for (name, p) in probs {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("faults.{name} must be between 0 and 1"));
            }
        }
        let week = super::timing::DELAY_MAX;
        for (name, d) in [
            ("hang_duration_ms", self.hang_duration),
            ("split_gap_max_ms", self.split_gap_max),
            ("unplug_duration_ms", self.unplug_duration),
        ] {
            if d > week {
                return Err(format!("faults.{name} is longer than a week"));
            }
        }
        if self.garbage_on_open > 4096 {
            return Err("faults.garbage_on_open is above 4096 bytes".into());
        }
        Ok(())
    }

    /// The preset for a level.
    pub fn level(level: FaultLevel) -> Faults {
        match level {
            FaultLevel::None => Faults::none(),
            FaultLevel::Light => Faults::light(),
            FaultLevel::Heavy => Faults::heavy(),
        }
    }
}

/// Transient `+CMS ERROR` codes (§3.3: retry classes).
pub const CMS_TRANSIENT: [u16; 5] = [500, 512, 513, 42, 332];
/// Permanent `+CMS ERROR` codes (§3.3: per recipient / per SIM / bad PDU).
pub const CMS_PERMANENT: [u16; 5] = [1, 21, 28, 50, 96];

mod millis {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
