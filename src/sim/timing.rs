//! The simulator's timing model (MODEM-SPEC §8.3) and the seeded random
//! draws behind it.
//!
//! Every latency is configurable. [`Timing::default`] gives the spec's
//! defaults; [`Timing::fast`] answers at once (tests);
//! [`Timing::fixed`] gives a constant submit latency and nothing random
//! (benchmarks). Draws come from the modem's seeded RNG, so a run is
//! reproducible from its seed.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng;
use serde::Deserialize;

/// Radio access for the `^Z` → `+CMGS` model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rat {
    /// 2G: SDCCH link setup, air time, RP-ACK.
    Gsm,
    /// LTE, SMS over SGs.
    Sgs,
    /// LTE, SMS over IMS.
    Ims,
}

/// How long the network takes to accept a submitted message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "model")]
pub enum SubmitLatency {
    /// The same latency every time (benchmarks).
    Fixed {
        #[serde(with = "millis", rename = "latency_ms")]
        latency: Duration,
    },
    /// §8.3: link setup (skipped while an `AT+CMMS` link is open) + air time
    /// + core/RP-ACK, with a slow tail.
    Network {
        /// `None`: 2G for SIM800, SGs otherwise.
        #[serde(default)]
        rat: Option<Rat>,
        /// Probability of an extra U(5, 55) s delay.
        #[serde(default = "default_p_slow")]
        p_slow: f64,
    },
}

fn default_p_slow() -> f64 {
    0.02
}

/// A uniform range `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Span {
    #[serde(with = "millis", rename = "min_ms")]
    pub min: Duration,
    #[serde(with = "millis", rename = "max_ms")]
    pub max: Duration,
}

impl Span {
    pub const ZERO: Span = Span::fixed(Duration::ZERO);

    pub const fn fixed(d: Duration) -> Span {
        Span { min: d, max: d }
    }

    pub const fn ms(min: u64, max: u64) -> Span {
        Span {
            min: Duration::from_millis(min),
            max: Duration::from_millis(max),
        }
    }

    pub fn draw(&self, rng: &mut StdRng) -> Duration {
        if self.max <= self.min {
            return self.min;
        }
        rng.gen_range(self.min..=self.max)
    }
}

/// Delivery-report delay mixture (§6.7): fast, slow, never.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReportDelay {
    /// Probability of the fast band.
    pub p_fast: f64,
    pub fast: Span,
    /// Probability of no report at all.
    pub p_never: f64,
    pub slow: Span,
}

/// All simulator latencies.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timing {
    /// Command → response (§2.4 `t_cmd`).
    pub command: Span,
    /// `AT+CMGS=n` → `> ` (§8.3 `t_prompt`).
    pub prompt: Span,
    /// `^Z` → `+CMGS`.
    pub submit: SubmitLatency,
    /// `AT+CMMS` link-reuse window (§3.4).
    #[serde(with = "millis", rename = "cmms_window_ms")]
    pub cmms_window: Duration,
    /// Submit → status report.
    pub report: ReportDelay,
    /// Network delivery to a simulated recipient → `+CMTI` (§8.3).
    pub delivery: Span,
    /// Power-on → last boot URC; `None` uses the personality's default.
    #[serde(with = "opt_millis", rename = "boot_ms")]
    pub boot: Option<Duration>,
    /// `AT+CUSD` → `+CUSD:` URC.
    pub ussd: Span,
    /// `+CMT` → missing `AT+CNMA` → redelivery (§6.5).
    #[serde(with = "millis", rename = "cnma_timeout_ms")]
    pub cnma_timeout: Duration,
    /// Storage freed → refused messages redelivered (§6.6).
    #[serde(with = "millis", rename = "redeliver_on_free_ms")]
    pub redeliver_on_free: Duration,
    /// Interval of vendor noise URCs (Huawei `^RSSI`, §10 Q25); zero = off.
    #[serde(with = "millis", rename = "noise_interval_ms")]
    pub noise_interval: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            command: Span::ms(5, 30),
            prompt: Span::ms(10, 50),
            submit: SubmitLatency::Network {
                rat: None,
                p_slow: default_p_slow(),
            },
            cmms_window: Duration::from_secs(3),
            report: ReportDelay {
                p_fast: 0.7,
                fast: Span::ms(5_000, 15_000),
                p_never: 0.01,
                slow: Span::ms(60_000, 4 * 3_600_000),
            },
            delivery: Span::ms(1_000, 3_000),
            boot: None,
            ussd: Span::ms(1_000, 3_000),
            cnma_timeout: Duration::from_secs(20),
            redeliver_on_free: Duration::from_secs(5),
            noise_interval: Duration::from_secs(10),
        }
    }
}

/// Longest delay any knob may ask for (a week); longer values are rejected
/// so that no deadline can overflow.
pub const DELAY_MAX: Duration = Duration::from_secs(7 * 24 * 3600);

impl Timing {
    /// Checks every delay against [`DELAY_MAX`] and every probability.
    pub fn validate(&self) -> Result<(), String> {
        let spans = [
            ("command", self.command),
            ("prompt", self.prompt),
            ("report.fast", self.report.fast),
            ("report.slow", self.report.slow),
            ("delivery", self.delivery),
            ("ussd", self.ussd),
        ];
        for (name, s) in spans {
            if s.max > DELAY_MAX || s.min > DELAY_MAX {
                return Err(format!("timing.{name} is longer than a week"));
            }
        }
        let single = [
            ("cmms_window_ms", self.cmms_window),
            ("cnma_timeout_ms", self.cnma_timeout),
            ("redeliver_on_free_ms", self.redeliver_on_free),
            ("noise_interval_ms", self.noise_interval),
            ("boot_ms", self.boot.unwrap_or_default()),
        ];
        for (name, d) in single {
            if d > DELAY_MAX {
                return Err(format!("timing.{name} is longer than a week"));
            }
        }
        match &self.submit {
            SubmitLatency::Fixed { latency } if *latency > DELAY_MAX => {
                return Err("timing.submit.latency_ms is longer than a week".into());
            }
            SubmitLatency::Network { p_slow, .. } if !(0.0..=1.0).contains(p_slow) => {
                return Err("timing.submit.p_slow must be between 0 and 1".into());
            }
            _ => {}
        }
        let r = &self.report;
        if !(0.0..=1.0).contains(&r.p_fast)
            || !(0.0..=1.0).contains(&r.p_never)
            || r.p_fast + r.p_never > 1.0
        {
            return Err(
                "timing.report: p_fast and p_never must be probabilities summing to at most 1"
                    .into(),
            );
        }
        Ok(())
    }

    /// Everything immediate; reports after 50 ms. For tests.
    pub fn fast() -> Timing {
        Timing {
            command: Span::ZERO,
            prompt: Span::ZERO,
            submit: SubmitLatency::Fixed {
                latency: Duration::ZERO,
            },
            cmms_window: Duration::from_secs(3),
            report: ReportDelay {
                p_fast: 1.0,
                fast: Span::ms(50, 50),
                p_never: 0.0,
                slow: Span::ms(50, 50),
            },
            delivery: Span::ZERO,
            boot: Some(Duration::ZERO),
            ussd: Span::ms(10, 10),
            cnma_timeout: Duration::from_secs(2),
            redeliver_on_free: Duration::from_millis(100),
            noise_interval: Duration::ZERO,
        }
    }

    /// A constant submit latency, nothing random: for benchmarks.
    pub fn fixed(submit: Duration) -> Timing {
        Timing {
            submit: SubmitLatency::Fixed { latency: submit },
            ..Timing::fast()
        }
    }

    /// Draws `^Z` → `+CMGS` for a TPDU of `octets`; `link_open` skips the
    /// link setup (`AT+CMMS`).
    pub fn draw_submit(
        &self,
        rng: &mut StdRng,
        default_rat: Rat,
        octets: usize,
        link_open: bool,
        max: Duration,
    ) -> Duration {
        let (rat, p_slow) = match &self.submit {
            SubmitLatency::Fixed { latency } => return *latency,
            SubmitLatency::Network { rat, p_slow } => (rat.unwrap_or(default_rat), *p_slow),
        };
        let secs = |a: f64, b: f64, rng: &mut StdRng| rng.gen_range(a..b);
        let mut t = match rat {
            Rat::Gsm => {
                let setup = if link_open { 0.0 } else { secs(1.2, 2.5, rng) };
                let rp_octets = octets + 12;
                let air = rp_octets.div_ceil(20) as f64 * 0.235;
                setup + air + secs(0.3, 1.0, rng)
            }
            Rat::Sgs => {
                let setup = if link_open { 0.0 } else { secs(0.05, 0.3, rng) };
                setup + lognormal(rng, 0.8, 0.7)
            }
            Rat::Ims => lognormal(rng, 0.6, 0.7),
        };
        if rng.gen_bool(p_slow.clamp(0.0, 1.0)) {
            t += secs(5.0, 55.0, rng);
        }
        Duration::from_secs_f64(t).min(max)
    }

    /// Draws submit → status report; `None` = the report never comes.
    pub fn draw_report(&self, rng: &mut StdRng) -> Option<Duration> {
        let r = &self.report;
        let x: f64 = rng.gen();
        if x < r.p_fast {
            Some(r.fast.draw(rng))
        } else if x < 1.0 - r.p_never {
            Some(r.slow.draw(rng))
        } else {
            None
        }
    }
}

fn lognormal(rng: &mut StdRng, median: f64, sigma: f64) -> f64 {
    // Box–Muller for one standard normal draw.
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    median * (sigma * z).exp()
}

mod millis {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

mod opt_millis {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}
