//! Digest throughput on a mixed modem→host transcript: echoes, answers,
//! finals, `+CMGL` listings with PDU lines, two-line `+CMT`, URC noise and a
//! little garbage. Target: ≥ 200 MB/s.
//!
//! `cargo bench --bench at_digest -- --measurement-time 3 --warm-up-time 1`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use gsmq::at::transcript::{self, Step};
use gsmq::at::Digester;

const TRANSCRIPTS: &[&str] = &[
    include_str!("../tests/data/generic/boot_echo_on.at"),
    include_str!("../tests/data/generic/echo_on_throughout.at"),
    include_str!("../tests/data/generic/send_with_urcs.at"),
    include_str!("../tests/data/generic/receive_backlog.at"),
    include_str!("../tests/data/generic/dirty_line.at"),
    include_str!("../tests/data/sim800/boot.at"),
    include_str!("../tests/data/sim7600/boot.at"),
    include_str!("../tests/data/ec25/boot.at"),
    include_str!("../tests/data/e3372/creg_rssi_noise.at"),
];

const PDU: &str =
    "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034";

/// About 1 MiB of modem output.
fn mixed() -> Vec<u8> {
    let mut one = Vec::new();
    for t in TRANSCRIPTS {
        for step in transcript::parse(t).expect("valid transcript") {
            if let Step::Modem(b) = step {
                one.extend_from_slice(&b);
            }
        }
    }
    one.extend_from_slice(b"AT+CMGL=4\r\r\n");
    for i in 0..10 {
        one.extend_from_slice(format!("+CMGL: {i},1,,35\r\n{PDU}\r\n").as_bytes());
    }
    one.extend_from_slice(b"\r\nOK\r\n");
    one.extend_from_slice(format!("\r\n+CMT: ,35\r\n{PDU}\r\n^RSSI:18\r\n").as_bytes());
    let mut all = Vec::with_capacity(1 << 20);
    while all.len() < (1 << 20) {
        all.extend_from_slice(&one);
    }
    all
}

fn digest(data: &[u8], chunk: usize) -> usize {
    let mut d = Digester::inferring();
    let mut n = 0;
    for c in data.chunks(chunk) {
        d.feed(c);
        while let Some(e) = d.poll_event() {
            black_box(&e);
            n += 1;
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let data = mixed();
    let mut g = c.benchmark_group("at_digest");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("mixed_4k_reads", |b| {
        b.iter(|| digest(black_box(&data), 4096))
    });
    g.bench_function("mixed_64b_reads", |b| {
        b.iter(|| digest(black_box(&data), 64))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
