//! PDU codec throughput: decoding real PDUs, and encoding plus segmenting a
//! 1,000-character mixed text.
//! Run: `cargo bench --bench pdu -- --measurement-time 3 --warm-up-time 1`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gsmq::pdu::{self, SubmitOptions};

const DELIVER: &str =
    "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034";
const STATUS_REPORT: &str = "07914875215652F006360B914892347527F3817003018104808170030181448000";

fn mixed_text(len: usize, extra: &str) -> String {
    let base = "Hello world, the meeting moved to 10:30 [room 4] – costs 12€! ";
    base.chars()
        .chain(extra.chars())
        .cycle()
        .take(len)
        .collect()
}

fn bench_decode(c: &mut Criterion) {
    let deliver = pdu::from_hex(DELIVER).unwrap();
    let report = pdu::from_hex(STATUS_REPORT).unwrap();
    let long = pdu::encode_submit(
        "+4917612345678",
        &mixed_text(400, "Grüße 😀"),
        &SubmitOptions::default(),
    )
    .unwrap()
    .remove(0)
    .tpdu;
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(1));
    g.bench_function("deliver_gsm7_18_chars", |b| {
        b.iter(|| pdu::decode(black_box(&deliver), true).unwrap())
    });
    g.bench_function("status_report", |b| {
        b.iter(|| pdu::decode(black_box(&report), true).unwrap())
    });
    g.bench_function("submit_ucs2_concat_part", |b| {
        b.iter(|| pdu::decode(black_box(&long), false).unwrap())
    });
    g.finish();
}

fn bench_encode(c: &mut Criterion) {
    let gsm = mixed_text(1000, "");
    let ucs2 = mixed_text(1000, "Grüße 😀 日本");
    let turkish = mixed_text(1000, "Şişli ğı İ ");
    let opts = SubmitOptions::default();
    let tr = SubmitOptions {
        national: vec![pdu::NationalLanguage::Turkish],
        ..Default::default()
    };
    let mut g = c.benchmark_group("encode_and_segment_1000_chars");
    g.throughput(Throughput::Elements(1));
    g.bench_function("gsm7_with_extension", |b| {
        b.iter(|| pdu::encode_submit("+4917612345678", black_box(&gsm), &opts).unwrap())
    });
    g.bench_function("ucs2_mixed", |b| {
        b.iter(|| pdu::encode_submit("+4917612345678", black_box(&ucs2), &opts).unwrap())
    });
    g.bench_function("gsm7_turkish_tables", |b| {
        b.iter(|| pdu::encode_submit("+4917612345678", black_box(&turkish), &tr).unwrap())
    });
    g.bench_function("plan_only_ucs2_mixed", |b| {
        b.iter(|| pdu::plan(black_box(&ucs2), &opts))
    });
    g.finish();
}

criterion_group!(benches, bench_decode, bench_encode);
criterion_main!(benches);
