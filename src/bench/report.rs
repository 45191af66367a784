//! What a bench run measured: counts, throughput, latency percentiles per
//! kind (from HdrHistogram), the target process's CPU time and memory, and
//! idle-connection memory; printed as text or serialised as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::proc::ProcSample;

/// Percentiles of one latency kind, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub kind: String,
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    /// Summarises a histogram of microseconds.
    pub fn from_histogram(kind: &str, h: &Histogram<u64>) -> Latency {
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            kind: kind.to_string(),
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
            mean_ms: h.mean() / 1000.0,
        }
    }
}

/// CPU and memory of the process under test over a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcReport {
    pub pid: u32,
    /// CPU seconds (user + system) spent during the run.
    pub cpu_s: f64,
    /// CPU milliseconds per completed item.
    pub cpu_per_item_ms: f64,
    pub rss_start_kib: u64,
    pub rss_end_kib: u64,
    /// Peak RSS of the process since it started (`VmHWM`).
    pub rss_peak_kib: u64,
}

impl ProcReport {
    pub fn between(pid: u32, start: ProcSample, end: ProcSample, items: u64) -> ProcReport {
        let cpu = end.cpu.saturating_sub(start.cpu).as_secs_f64();
        ProcReport {
            pid,
            cpu_s: cpu,
            cpu_per_item_ms: if items == 0 {
                0.0
            } else {
                cpu * 1000.0 / items as f64
            },
            rss_start_kib: start.rss_kib,
            rss_end_kib: end.rss_kib,
            rss_peak_kib: end.rss_peak_kib,
        }
    }
}

/// Memory held by idle connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleReport {
    pub connections: usize,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    /// `(after - before) / connections`, in bytes.
    pub bytes_per_connection: f64,
}

impl IdleReport {
    pub fn new(connections: usize, before: u64, after: u64) -> IdleReport {
        IdleReport {
            connections,
            rss_before_kib: before,
            rss_after_kib: after,
            bytes_per_connection: after.saturating_sub(before) as f64 * 1024.0
                / connections.max(1) as f64,
        }
    }
}

/// One measured run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub scenario: String,
    /// `gsmq` or `mosquitto`.
    pub target: String,
    /// Free-form setting summary (modems, timing, clients, QoS, rate).
    pub settings: BTreeMap<String, String>,
    pub requested: u64,
    pub completed: u64,
    pub failed: u64,
    pub failures: BTreeMap<String, u64>,
    /// Items neither completed nor failed when the run ended.
    pub missing: u64,
    pub elapsed_s: f64,
    pub throughput_per_s: f64,
    pub latency: Vec<Latency>,
    pub process: Option<ProcReport>,
    pub idle: Option<IdleReport>,
}

impl Report {
    /// A report of `scenario` on `target` with nothing measured yet.
    pub fn new(scenario: &str, target: &str) -> Report {
        Report {
            scenario: scenario.to_string(),
            target: target.to_string(),
            settings: BTreeMap::new(),
            requested: 0,
            completed: 0,
            failed: 0,
            failures: BTreeMap::new(),
            missing: 0,
            elapsed_s: 0.0,
            throughput_per_s: 0.0,
            latency: Vec::new(),
            process: None,
            idle: None,
        }
    }

    pub fn setting(mut self, key: &str, value: impl ToString) -> Report {
        self.settings.insert(key.to_string(), value.to_string());
        self
    }

    /// Fills counts and throughput from a finished run.
    pub fn counts(&mut self, requested: u64, completed: u64, failed: u64, elapsed: Duration) {
        self.requested = requested;
        self.completed = completed;
        self.failed = failed;
        self.missing = requested.saturating_sub(completed + failed);
        self.elapsed_s = elapsed.as_secs_f64();
        self.throughput_per_s = if self.elapsed_s > 0.0 {
            completed as f64 / self.elapsed_s
        } else {
            0.0
        };
    }

    /// The latency summary of `kind`, if measured.
    pub fn latency(&self, kind: &str) -> Option<&Latency> {
        self.latency.iter().find(|l| l.kind == kind)
    }

    /// Human-readable, a few lines.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let settings: Vec<String> = self
            .settings
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(
            s,
            "{} on {} ({})",
            self.scenario,
            self.target,
            settings.join(", ")
        );
        if self.requested > 0 {
            let _ = writeln!(
                s,
                "  requested {}, completed {}, failed {}, missing {} in {:.2} s: {:.1}/s",
                self.requested,
                self.completed,
                self.failed,
                self.missing,
                self.elapsed_s,
                self.throughput_per_s
            );
        }
        for (reason, n) in &self.failures {
            let _ = writeln!(s, "  failed {reason}: {n}");
        }
        for l in &self.latency {
            let _ = writeln!(
                s,
                "  latency {:<9} n={} p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
                l.kind, l.count, l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms
            );
        }
        if let Some(p) = &self.process {
            let _ = writeln!(
                s,
                "  process {}: cpu {:.2} s ({:.3} ms per item), rss {:.1} → {:.1} MiB, peak {:.1} MiB",
                p.pid,
                p.cpu_s,
                p.cpu_per_item_ms,
                p.rss_start_kib as f64 / 1024.0,
                p.rss_end_kib as f64 / 1024.0,
                p.rss_peak_kib as f64 / 1024.0
            );
        }
        if let Some(i) = &self.idle {
            let _ = writeln!(
                s,
                "  idle {} connections: rss {:.1} → {:.1} MiB = {:.0} bytes per connection",
                i.connections,
                i.rss_before_kib as f64 / 1024.0,
                i.rss_after_kib as f64 / 1024.0,
                i.bytes_per_connection
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_histogram_in_milliseconds() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for us in 1..=1000u64 {
            h.record(us * 1000).unwrap();
        }
        let l = Latency::from_histogram("ack", &h);
        assert_eq!(l.count, 1000);
        assert!((l.p50_ms - 500.0).abs() < 1.0, "{l:?}");
        assert!((l.p99_ms - 990.0).abs() < 1.0, "{l:?}");
        assert!((l.max_ms - 1000.0).abs() < 1.0, "{l:?}");
    }

    #[test]
    fn missing_items_and_throughput_follow_from_the_counts() {
        let mut r = Report::new("acks", "gsmq");
        r.counts(100, 90, 4, Duration::from_secs(2));
        assert_eq!(r.missing, 6);
        assert_eq!(r.throughput_per_s, 45.0);
        assert!(r
            .text()
            .contains("requested 100, completed 90, failed 4, missing 6"));
    }

    #[test]
    fn idle_memory_is_reported_per_connection_in_bytes() {
        let i = IdleReport::new(200, 8000, 10000);
        assert_eq!(i.bytes_per_connection, 2000.0 * 1024.0 / 200.0);
        assert_eq!(IdleReport::new(10, 5000, 4000).bytes_per_connection, 0.0);
    }

    #[test]
    fn cpu_per_item_is_the_cpu_delta_over_the_items() {
        let a = ProcSample {
            cpu: Duration::from_millis(500),
            rss_kib: 1,
            rss_peak_kib: 1,
        };
        let b = ProcSample {
            cpu: Duration::from_millis(1500),
            rss_kib: 2,
            rss_peak_kib: 3,
        };
        let p = ProcReport::between(7, a, b, 500);
        assert_eq!(p.cpu_s, 1.0);
        assert_eq!(p.cpu_per_item_ms, 2.0);
        assert_eq!(p.rss_peak_kib, 3);
    }
}
