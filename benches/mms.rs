//! MMS codec throughput: decoding and encoding an m-retrieve-conf with a
//! SMIL, a text and a 50 kB image part, and a WAP-push notification.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use gsmq::mms::{ContentType, Param, Part, Pdu, Push};

fn picture_message() -> Pdu {
    let image: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
    Pdu::retrieve_conf(
        Some("T-bench"),
        "msg-1",
        "+491701111111",
        &["+491702222222", "+491703333333"],
        Some("Grüße vom Strand"),
        1_700_000_000,
        vec![
            Part::smil(
                "smil",
                "<smil><body><par><img src=\"a.jpg\"/><text src=\"t.txt\"/></par></body></smil>",
            ),
            Part::text("text", "t.txt", "Hallo, hier ein Bild."),
            Part::new(
                ContentType::new("image/jpeg").with(Param::Name("a.jpg".into())),
                "img",
                "a.jpg",
                image,
            ),
        ],
    )
}

fn bench(c: &mut Criterion) {
    let pdu = picture_message();
    let bytes = pdu.encode().expect("encodes");
    let mut g = c.benchmark_group("mms");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("decode_retrieve_conf_50k", |b| {
        b.iter(|| Pdu::decode(black_box(&bytes)).expect("decodes"))
    });
    g.bench_function("encode_retrieve_conf_50k", |b| {
        b.iter(|| black_box(&pdu).encode().expect("encodes"))
    });
    g.finish();

    let ni = Pdu::notification_ind(
        "T-ni",
        Some("+491701111111"),
        Some("Hi"),
        50_123,
        86_400,
        "http://mmsc.example.com/r/abc",
    );
    let push = Push::mms(1, &ni).expect("push").encode().expect("encodes");
    c.bench_function("mms/decode_push_notification", |b| {
        b.iter(|| gsmq::mms::decode_any(black_box(&push)).expect("decodes"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
