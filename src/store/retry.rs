//! The outbox retry policy: error classes, exponential backoff with full
//! jitter, a maximum number of attempts.
//!
//! Pure: time and randomness come in as arguments, so schedules are tested
//! with a fake clock and a seeded generator.

use std::time::Duration;

use rand::Rng;

use crate::config::RetryConfig;

use super::ErrorClass;

/// What happens to a part after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Offer the part again after this delay.
    RetryAfter(Duration),
    /// Give up on the whole message, with this reason.
    Park(String),
}

/// Decides the fate of a part that failed its `attempts`-th attempt
/// (1-based) with `class`.
pub fn decide(
    cfg: &RetryConfig,
    class: ErrorClass,
    attempts: u32,
    reason: &str,
    rng: &mut impl Rng,
) -> Decision {
    if class == ErrorClass::PermanentRecipient {
        return Decision::Park(format!("permanent error for recipient: {reason}"));
    }
    if attempts >= cfg.max_attempts.max(1) {
        return Decision::Park(format!(
            "gave up after {attempts} attempts, last error ({}): {reason}",
            class.as_str()
        ));
    }
    let delay = match class {
        ErrorClass::Transient | ErrorClass::PermanentRecipient => backoff(cfg, attempts, rng),
        ErrorClass::PermanentSim => Duration::from_millis(cfg.sim_retry_delay_ms),
        ErrorClass::Reinit => Duration::from_millis(cfg.reinit_delay_ms),
    };
    Decision::RetryAfter(delay)
}

/// Full-jitter exponential backoff: a uniform delay in
/// `[0, min(max, base * 2^(attempt-1))]` (attempt is 1-based).
pub fn backoff(cfg: &RetryConfig, attempt: u32, rng: &mut impl Rng) -> Duration {
    Duration::from_millis(rng.gen_range(0..=backoff_cap_ms(cfg, attempt)))
}

/// The upper bound of the backoff for the `attempt`-th failure.
pub fn backoff_cap_ms(cfg: &RetryConfig, attempt: u32) -> u64 {
    let exp = attempt.saturating_sub(1).min(62);
    cfg.backoff_base_ms
        .saturating_mul(1u64 << exp)
        .min(cfg.backoff_max_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn cfg() -> RetryConfig {
        RetryConfig {
            max_attempts: 5,
            backoff_base_ms: 1_000,
            backoff_max_ms: 10_000,
            sim_retry_delay_ms: 30_000,
            reinit_delay_ms: 7_000,
        }
    }

    #[test]
    fn the_backoff_cap_doubles_per_attempt_until_the_maximum() {
        let caps: Vec<u64> = (1..=6).map(|a| backoff_cap_ms(&cfg(), a)).collect();
        assert_eq!(caps, vec![1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
        assert_eq!(backoff_cap_ms(&cfg(), 500), 10_000);
    }

    #[test]
    fn full_jitter_spreads_delays_over_the_whole_window() {
        let mut rng = StdRng::seed_from_u64(7);
        let delays: Vec<u64> = (0..2_000)
            .map(|_| backoff(&cfg(), 3, &mut rng).as_millis() as u64)
            .collect();
        assert!(delays.iter().all(|&d| d <= 4_000));
        assert!(delays.iter().any(|&d| d < 400), "no short delays");
        assert!(delays.iter().any(|&d| d > 3_600), "no long delays");
    }

    #[test]
    fn the_same_seed_gives_the_same_schedule() {
        let schedule = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (1..=4)
                .map(|a| decide(&cfg(), ErrorClass::Transient, a, "x", &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(schedule(3), schedule(3));
    }

    #[test]
    fn a_transient_error_is_retried_until_the_maximum_then_parked() {
        let mut rng = StdRng::seed_from_u64(1);
        for attempt in 1..5 {
            let d = decide(&cfg(), ErrorClass::Transient, attempt, "timeout", &mut rng);
            assert!(matches!(d, Decision::RetryAfter(_)), "attempt {attempt}");
        }
        let d = decide(&cfg(), ErrorClass::Transient, 5, "timeout", &mut rng);
        assert!(
            matches!(&d, Decision::Park(r) if r.contains("5 attempts") && r.contains("timeout"))
        );
    }

    #[test]
    fn a_permanent_recipient_error_parks_at_once() {
        let mut rng = StdRng::seed_from_u64(1);
        let d = decide(
            &cfg(),
            ErrorClass::PermanentRecipient,
            1,
            "unknown subscriber",
            &mut rng,
        );
        assert!(matches!(&d, Decision::Park(r) if r.contains("unknown subscriber")));
    }

    #[test]
    fn sim_and_reinit_errors_wait_their_configured_delays() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            decide(&cfg(), ErrorClass::PermanentSim, 1, "barred", &mut rng),
            Decision::RetryAfter(Duration::from_millis(30_000))
        );
        assert_eq!(
            decide(&cfg(), ErrorClass::Reinit, 2, "no echo", &mut rng),
            Decision::RetryAfter(Duration::from_millis(7_000))
        );
        assert!(matches!(
            decide(&cfg(), ErrorClass::Reinit, 5, "no echo", &mut rng),
            Decision::Park(_)
        ));
    }
}
