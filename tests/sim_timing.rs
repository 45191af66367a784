//! The timing model (MODEM-SPEC §8.3), checked on the sans-IO core with
//! explicit instants: `AT+CMMS` link reuse skips the link setup, the fixed
//! mode is exact, and the prompt and command delays are honoured.

use std::time::{Duration, Instant};

use chrono::Utc;
use gsmq::sim::{Modem, Personality, Rat, SimOptions, Span, SubmitLatency, Timing};

const PDU: &str = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37";

/// Sends `input` at `at` and returns when the first byte matching `needle`
/// ends, scanning the output in time order.
fn time_until(m: &mut Modem, input: &[u8], at: Instant, needle: &[u8]) -> Instant {
    m.handle_input(input, at);
    let mut seen = Vec::new();
    let mut now = at;
    for _ in 0..10_000 {
        m.handle_timeout(now);
        while let Some(b) = m.poll_transmit(now) {
            seen.extend(b);
            if seen.windows(needle.len()).any(|w| w == needle) {
                return now;
            }
        }
        now = m.poll_timeout().expect("something is pending").max(now);
    }
    panic!("never saw {:?}", String::from_utf8_lossy(needle));
}

fn modem(timing: Timing, personality: Personality) -> (Modem, Instant) {
    let t0 = Instant::now();
    let opts = SimOptions {
        personality,
        timing,
        seed: 3,
        ..SimOptions::default()
    };
    let mut m = Modem::new(opts, t0, Utc::now());
    let t = time_until(&mut m, b"ATE0\r", t0 + Duration::from_secs(10), b"OK\r\n");
    (m, t)
}

fn submit(m: &mut Modem, at: Instant) -> (Duration, Instant) {
    let prompt = time_until(m, b"AT+CMGS=23\r", at, b"> ");
    let z = prompt + Duration::from_millis(1);
    let done = time_until(m, format!("{PDU}\x1a").as_bytes(), z, b"OK\r\n");
    (done - z, done)
}

#[test]
fn a_cmms_link_skips_the_link_setup_on_2g() {
    let timing = Timing {
        submit: SubmitLatency::Network {
            rat: Some(Rat::Gsm),
            p_slow: 0.0,
        },
        cmms_window: Duration::from_secs(3),
        ..Timing::fast()
    };
    let (mut m, mut t) = modem(timing, Personality::Sim800);
    let mut closed = Vec::new();
    for _ in 0..10 {
        // 10 s apart: every send sets the link up again.
        let (lat, done) = submit(&mut m, t + Duration::from_secs(10));
        closed.push(lat);
        t = done;
    }
    t = time_until(
        &mut m,
        b"AT+CMMS=2\r",
        t + Duration::from_secs(10),
        b"OK\r\n",
    );
    let (_, done) = submit(&mut m, t);
    t = done;
    let mut open = Vec::new();
    for _ in 0..10 {
        // Back to back, inside the 3 s window: the link stays up.
        let (lat, done) = submit(&mut m, t + Duration::from_millis(100));
        open.push(lat);
        t = done;
    }
    let slowest_open = open.iter().max().expect("sends");
    let fastest_closed = closed.iter().min().expect("sends");
    assert!(
        slowest_open < fastest_closed,
        "with the link open {open:?}, without {closed:?}"
    );
    // After the window the link is gone again.
    let (late, _) = submit(&mut m, t + Duration::from_secs(5));
    assert!(late > *slowest_open, "{late:?}");
}

#[test]
fn the_fixed_mode_gives_exactly_the_configured_latency() {
    let (mut m, mut t) = modem(
        Timing::fixed(Duration::from_millis(750)),
        Personality::Generic,
    );
    for _ in 0..5 {
        let (lat, done) = submit(&mut m, t);
        assert_eq!(lat, Duration::from_millis(750));
        t = done;
    }
}

#[test]
fn prompt_and_command_delays_come_from_their_spans() {
    let timing = Timing {
        command: Span::ms(20, 20),
        prompt: Span::ms(40, 40),
        ..Timing::fast()
    };
    let (mut m, t) = modem(timing, Personality::Generic);
    let start = t + Duration::from_secs(1);
    let ok = time_until(&mut m, b"AT\r", start, b"OK\r\n");
    assert_eq!(ok - start, Duration::from_millis(20));
    let start = ok + Duration::from_secs(1);
    let prompt = time_until(&mut m, b"AT+CMGS=23\r", start, b"> ");
    assert_eq!(prompt - start, Duration::from_millis(40));
}

#[test]
fn default_submit_latencies_stay_within_the_personality_maximum() {
    let (mut m, mut t) = modem(Timing::default(), Personality::Sim800);
    for _ in 0..30 {
        let (lat, done) = submit(&mut m, t + Duration::from_secs(1));
        assert!(lat <= Duration::from_secs(60), "{lat:?}");
        assert!(
            lat >= Duration::from_millis(500),
            "2G is never instant: {lat:?}"
        );
        t = done;
    }
}

#[test]
fn baud_pacing_releases_bytes_at_a_tenth_of_the_baud_rate() {
    let t0 = Instant::now();
    let opts = SimOptions {
        timing: Timing::fast(),
        baud: 9600,
        ..SimOptions::default()
    };
    let mut m = Modem::new(opts, t0, Utc::now());
    let start = t0 + Duration::from_secs(1);
    // Echo "AT\r" (3 bytes) and "\r\nOK\r\n" (6 bytes) at 960 bytes/s.
    let done = time_until(&mut m, b"AT\r", start, b"OK\r\n");
    let expected = Duration::from_secs_f64(9.0 / 960.0);
    let took = done - start;
    let diff = took.abs_diff(expected);
    assert!(diff < Duration::from_micros(10), "{took:?} vs {expected:?}");
}
