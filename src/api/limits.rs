//! Per-user rate limits (token bucket) and daily part quotas. Sans-IO:
//! every method takes the current time as an argument.
//!
//! Guarantees: a bucket never holds more than its burst; time going
//! backwards never adds tokens; a refused request costs nothing.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};

/// A token bucket refilled at `rate_per_s` up to `burst` tokens; it starts
/// full.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    last: Option<Instant>,
}

impl Default for TokenBucket {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenBucket {
    pub fn new() -> TokenBucket {
        TokenBucket {
            tokens: f64::INFINITY,
            last: None,
        }
    }

    /// Takes one token at `now`, or says how long until one is available.
    /// `rate_per_s <= 0` means unlimited.
    pub fn try_take(&mut self, now: Instant, rate_per_s: f64, burst: u32) -> Result<(), Duration> {
        if rate_per_s.is_nan() || rate_per_s <= 0.0 {
            return Ok(());
        }
        let burst = f64::from(burst.max(1));
        let elapsed = match self.last {
            Some(last) => now.saturating_duration_since(last).as_secs_f64(),
            None => 0.0,
        };
        if self.last.is_none_or(|last| now > last) {
            self.last = Some(now);
        }
        self.tokens = (self.tokens + elapsed * rate_per_s).min(burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait_s = (1.0 - self.tokens) / rate_per_s;
            Err(Duration::from_secs_f64(wait_s.min(86_400.0)).max(Duration::from_millis(1)))
        }
    }
}

/// SMS parts used today (UTC), against a daily limit.
#[derive(Debug, Clone, Default)]
pub struct DailyQuota {
    day: Option<NaiveDate>,
    used: u64,
}

impl DailyQuota {
    pub fn new() -> DailyQuota {
        DailyQuota::default()
    }

    fn roll(&mut self, now: DateTime<Utc>) {
        let today = now.date_naive();
        if self.day != Some(today) {
            self.day = Some(today);
            self.used = 0;
        }
    }

    /// Parts used on the UTC day of `now`.
    pub fn used(&mut self, now: DateTime<Utc>) -> u64 {
        self.roll(now);
        self.used
    }

    /// Reserves `parts` for the day of `now`, or says how long until the
    /// quota resets (next UTC midnight). `limit == 0` means unlimited.
    pub fn try_reserve(
        &mut self,
        parts: u64,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<(), Duration> {
        self.roll(now);
        if limit == 0 || self.used + parts <= u64::from(limit) {
            self.used += parts;
            return Ok(());
        }
        let midnight = now
            .date_naive()
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|m| m.and_utc());
        let wait = midnight
            .and_then(|m| (m - now).to_std().ok())
            .unwrap_or(Duration::from_secs(86_400));
        Err(wait)
    }

    /// Counts `parts` already used on the day of `now` (restored from the
    /// store after a restart), whatever the limit.
    pub fn add_used(&mut self, parts: u64, now: DateTime<Utc>) {
        self.roll(now);
        self.used = self.used.saturating_add(parts);
    }

    /// Gives back parts reserved on the day of `now` (a duplicate or a
    /// failed commit); parts of an earlier day are not carried over.
    pub fn refund(&mut self, parts: u64, now: DateTime<Utc>) {
        self.roll(now);
        self.used = self.used.saturating_sub(parts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_bucket_allows_its_burst_then_refuses_with_the_wait() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new();
        for _ in 0..3 {
            assert_eq!(b.try_take(t0, 2.0, 3), Ok(()));
        }
        assert_eq!(b.try_take(t0, 2.0, 3), Err(Duration::from_millis(500)));
    }

    #[test]
    fn a_bucket_refills_at_its_rate_and_caps_at_its_burst() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new();
        for _ in 0..2 {
            b.try_take(t0, 10.0, 2).unwrap();
        }
        assert!(b.try_take(t0 + Duration::from_millis(50), 10.0, 2).is_err());
        assert_eq!(b.try_take(t0 + Duration::from_millis(100), 10.0, 2), Ok(()));
        // After a long idle period only `burst` tokens are available.
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(b.try_take(later, 10.0, 2), Ok(()));
        assert_eq!(b.try_take(later, 10.0, 2), Ok(()));
        assert!(b.try_take(later, 10.0, 2).is_err());
    }

    #[test]
    fn a_refused_take_costs_nothing() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new();
        b.try_take(t0, 1.0, 1).unwrap();
        for _ in 0..10 {
            assert!(b.try_take(t0 + Duration::from_millis(500), 1.0, 1).is_err());
        }
        assert_eq!(b.try_take(t0 + Duration::from_secs(1), 1.0, 1), Ok(()));
    }

    #[test]
    fn time_going_backwards_adds_no_tokens() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut b = TokenBucket::new();
        b.try_take(t0, 1.0, 1).unwrap();
        assert!(b.try_take(t0 - Duration::from_secs(5), 1.0, 1).is_err());
        assert!(b.try_take(t0, 1.0, 1).is_err());
    }

    #[test]
    fn a_zero_rate_is_unlimited() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new();
        for _ in 0..10_000 {
            assert_eq!(b.try_take(t0, 0.0, 1), Ok(()));
        }
    }

    #[test]
    fn a_quota_counts_parts_per_utc_day_and_resets_at_midnight() {
        let mut q = DailyQuota::new();
        let noon = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(q.try_reserve(6, 10, noon), Ok(()));
        assert_eq!(q.try_reserve(4, 10, noon), Ok(()));
        assert_eq!(
            q.try_reserve(1, 10, noon),
            Err(Duration::from_secs(12 * 3600))
        );
        let next_day = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 1).unwrap();
        assert_eq!(q.used(next_day), 0);
        assert_eq!(q.try_reserve(10, 10, next_day), Ok(()));
    }

    #[test]
    fn a_refund_frees_parts_again() {
        let mut q = DailyQuota::new();
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        q.try_reserve(3, 3, now).unwrap();
        assert!(q.try_reserve(1, 3, now).is_err());
        q.refund(2, now);
        assert_eq!(q.used(now), 1);
        assert_eq!(q.try_reserve(2, 3, now), Ok(()));
    }

    #[test]
    fn a_zero_quota_is_unlimited() {
        let mut q = DailyQuota::new();
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(q.try_reserve(1_000_000, 0, now), Ok(()));
    }
}
