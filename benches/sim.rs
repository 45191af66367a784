//! How fast the sans-IO simulator core turns a `AT+CMGS` round trip (command,
//! prompt, PDU, `^Z`, `+CMGS`) and an inbound `+CMTI` → `AT+CMGR` →
//! `AT+CMGD` cycle, with the benchmark timing (`Timing::fixed(0)`), so the
//! simulator is never what limits a throughput test of the daemon.

use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gsmq::sim::{Modem, SimOptions, Timing};

const PDU: &[u8] = b"0011000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a";

fn drain(m: &mut Modem, now: Instant) -> usize {
    m.handle_timeout(now);
    let mut n = 0;
    while let Some(b) = m.poll_transmit(now) {
        n += b.len();
    }
    while m.poll_event().is_some() {}
    n
}

fn modem() -> (Modem, Instant) {
    let t0 = Instant::now();
    let opts = SimOptions {
        timing: Timing::fixed(Duration::ZERO),
        ..SimOptions::default()
    };
    let mut m = Modem::new(opts, t0, Utc::now());
    m.handle_input(b"ATE0\r", t0);
    drain(&mut m, t0);
    (m, t0)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sim_core");
    g.throughput(Throughput::Elements(1));
    g.bench_function("cmgs_round_trip", |b| {
        let (mut m, t0) = modem();
        b.iter(|| {
            m.handle_input(b"AT+CMGS=23\r", t0);
            drain(&mut m, t0);
            m.handle_input(PDU, t0);
            drain(&mut m, t0)
        });
    });
    g.bench_function("cmti_cmgr_cmgd", |b| {
        let (mut m, t0) = modem();
        b.iter(|| {
            m.inject_text("+4917000000001", "hello there", Default::default(), t0)
                .expect("encodes");
            drain(&mut m, t0);
            m.handle_input(b"AT+CMGR=1\r", t0);
            drain(&mut m, t0);
            m.handle_input(b"AT+CMGD=1\r", t0);
            drain(&mut m, t0)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
