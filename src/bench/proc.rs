//! Process accounting from `/proc/<pid>/stat` and `/proc/<pid>/status`:
//! CPU time (user + system) and resident memory (current and peak) of a
//! daemon the bench started. The parsers are pure functions over the file
//! text so they are tested without a process.

use std::time::Duration;

use super::{Error, Result};

/// One sample of a process's CPU time and memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ProcSample {
    /// User + system CPU time since the process started.
    pub cpu: Duration,
    /// Resident set size now (`VmRSS`), in KiB.
    pub rss_kib: u64,
    /// Peak resident set size (`VmHWM`), in KiB.
    pub rss_peak_kib: u64,
}

/// Samples `/proc/<pid>`.
pub fn sample(pid: u32) -> Result<ProcSample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let ticks = parse_stat_ticks(&stat)
        .ok_or_else(|| Error::Proc(format!("/proc/{pid}/stat: no utime/stime")))?;
    let (rss_kib, rss_peak_kib) = parse_status_rss(&status)
        .ok_or_else(|| Error::Proc(format!("/proc/{pid}/status: no VmRSS/VmHWM")))?;
    Ok(ProcSample {
        cpu: ticks_to_duration(ticks, clock_ticks_per_s()),
        rss_kib,
        rss_peak_kib,
    })
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 when unknown).
pub fn clock_ticks_per_s() -> u64 {
    match nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK) {
        Ok(Some(t)) if t > 0 => t as u64,
        _ => 100,
    }
}

/// Converts clock ticks to a duration.
pub fn ticks_to_duration(ticks: u64, per_s: u64) -> Duration {
    let per_s = per_s.max(1);
    Duration::from_secs(ticks / per_s)
        + Duration::from_nanos((ticks % per_s) * 1_000_000_000 / per_s)
}

/// `utime + stime` (fields 14 and 15) from the text of `/proc/<pid>/stat`.
/// The command name (field 2) may hold spaces and parentheses, so fields
/// are counted after the last `)`.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // Field 3 (state) is the first after the name; utime is field 14.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `(VmRSS, VmHWM)` in KiB from the text of `/proc/<pid>/status`.
pub fn parse_status_rss(status: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        status.lines().find_map(|l| {
            let v = l.strip_prefix(name)?.trim();
            v.strip_suffix("kB")?.trim().parse::<u64>().ok()
        })
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_counted_after_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (gsmq (x) y) S 1 4242 4242 0 -1 4194560 1133 0 0 0 37 5 0 0 20 0 9 0 \
                    123 1234567 2048 18446744073709551615";
        assert_eq!(parse_stat_ticks(stat), Some(42));
    }

    #[test]
    fn a_truncated_stat_line_gives_no_ticks() {
        assert_eq!(parse_stat_ticks("1 (a) S 1 2 3"), None);
        assert_eq!(parse_stat_ticks("no parenthesis"), None);
    }

    #[test]
    fn rss_and_peak_rss_are_read_in_kib() {
        let status = "Name:\tgsmq\nVmPeak:\t  100 kB\nVmHWM:\t   9216 kB\nVmRSS:\t    8192 kB\n";
        assert_eq!(parse_status_rss(status), Some((8192, 9216)));
        assert_eq!(parse_status_rss("Name:\tgsmq\n"), None);
    }

    #[test]
    fn ticks_convert_to_time_at_the_given_rate() {
        assert_eq!(ticks_to_duration(250, 100), Duration::from_millis(2500));
        assert_eq!(ticks_to_duration(1, 3), Duration::from_nanos(333_333_333));
    }

    #[test]
    fn this_process_can_be_sampled() {
        let s = sample(std::process::id()).unwrap();
        assert!(s.rss_kib > 0 && s.rss_peak_kib >= s.rss_kib, "{s:?}");
    }
}
