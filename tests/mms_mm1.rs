//! End to end over MM1: the MM1 client against the fake MMSC on loopback,
//! through the MMS proxy, with WAP-push SMS going through the real SMS PDU
//! codec and reassembly.

use std::time::{Duration, Instant};

use gsmq::mms::{self, ContentType, Param, Part, Pdu};
use gsmq::mmsc::fake::{Behaviour, FakeMmsc, FakeOptions};
use gsmq::mmsc::{self, sha256_hex, Mm1Client, Mm1Config, PartBody, SendOutcome};
use gsmq::pdu;

/// A complete 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x56, 0xC7, 0x2F, 0x0D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Long enough that the notification needs two SMS.
const SUBJECT: &str =
    "Urlaub am Meer – die ersten Bilder vom Strand, mit Sonnenuntergang und ein paar Worten dazu";

const SMIL: &str = r#"<smil><head><layout><root-layout/></layout></head><body><par dur="5s"><img src="pic.png"/><text src="text.txt"/></par></body></smil>"#;

fn picture_message() -> Vec<Part> {
    vec![
        Part::smil("smil", SMIL),
        Part::new(
            ContentType::new("image/png").with(Param::Name("pic.png".into())),
            "pic",
            "pic.png",
            PNG.to_vec(),
        ),
        Part::text("text", "text.txt", "Hallo aus gsmq, grüße!"),
    ]
}

/// A client that can only reach the fake through it acting as the proxy
/// (the MMSC host name does not resolve).
async fn via_proxy(inline_max_bytes: usize) -> (FakeMmsc, Mm1Client) {
    let fake = FakeMmsc::start(FakeOptions {
        public_host: Some("mmsc.invalid".into()),
    })
    .await
    .unwrap();
    let cfg = Mm1Config {
        mmsc_url: fake.url(),
        proxy: Some(fake.proxy_url()),
        request_timeout: Duration::from_secs(5),
        inline_max_bytes,
        ..Mm1Config::default()
    };
    (fake, Mm1Client::new(cfg).unwrap())
}

#[tokio::test]
async fn a_picture_message_reaches_the_mmsc_through_the_proxy_byte_for_byte() {
    let (fake, client) = via_proxy(64 * 1024).await;
    let req = Pdu::send_req(
        "T-send-1",
        &["+491701234567"],
        Some("Bild"),
        picture_message(),
    );
    let outcome = client.send(&req).await.unwrap();
    assert_eq!(
        outcome,
        SendOutcome::Accepted {
            message_id: Some("msg-1".into())
        }
    );

    let stored = fake.submissions();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].raw, req.encode().unwrap());
    let got = &stored[0].pdu;
    assert_eq!(got.transaction_id(), Some("T-send-1"));
    assert_eq!(got.to(), vec!["+491701234567"]);
    assert_eq!(got.subject(), Some("Bild"));
    let parts = got.parts();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].content_type.media, "application/smil");
    assert_eq!(parts[0].data, SMIL.as_bytes());
    assert_eq!(parts[1].content_type.media, "image/png");
    assert_eq!(parts[1].data, PNG);
    assert_eq!(parts[1].content_location(), Some("pic.png"));
    assert_eq!(parts[2].data, "Hallo aus gsmq, grüße!".as_bytes());

    // It went through the proxy: absolute-form target naming the MMSC host.
    let log = fake.requests();
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].target, "http://mmsc.invalid/mms");
}

#[tokio::test]
async fn an_mmsc_refusal_is_reported_with_its_status() {
    let (fake, client) = via_proxy(1024).await;
    fake.set_behaviour(Behaviour::Reject(mms::response::ERROR_SERVICE_DENIED));
    let req = Pdu::send_req(
        "T-rej",
        &["+4917"],
        None,
        vec![Part::text("t", "t.txt", "x")],
    );
    let outcome = client.send(&req).await.unwrap();
    assert_eq!(
        outcome,
        SendOutcome::Rejected {
            http_status: 200,
            status: Some(0x82),
            text: None
        }
    );
    assert!(fake.submissions().is_empty());
}

#[tokio::test]
async fn a_timeout_after_the_mmsc_took_the_message_is_unknown_and_not_resent() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.unwrap();
    fake.set_behaviour(Behaviour::HangAfterStore);
    let cfg = Mm1Config {
        mmsc_url: fake.url(),
        request_timeout: Duration::from_millis(300),
        ..Mm1Config::default()
    };
    let client = Mm1Client::new(cfg).unwrap();
    let req = Pdu::send_req(
        "T-hang",
        &["+4917"],
        None,
        vec![Part::text("t", "t.txt", "x")],
    );
    let outcome = client.send(&req).await.unwrap();
    assert_eq!(outcome.as_str(), "unknown", "{outcome:?}");
    assert_eq!(fake.submissions().len(), 1, "posted exactly once");
}

#[tokio::test]
async fn unknown_outcomes_are_reposted_only_when_configured() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.unwrap();
    fake.set_behaviour(Behaviour::HangAfterStore);
    let cfg = Mm1Config {
        mmsc_url: fake.url(),
        request_timeout: Duration::from_millis(200),
        unknown_retries: 2,
        ..Mm1Config::default()
    };
    let client = Mm1Client::new(cfg).unwrap();
    let req = Pdu::send_req(
        "T-retry",
        &["+4917"],
        None,
        vec![Part::text("t", "t.txt", "x")],
    );
    assert_eq!(client.send(&req).await.unwrap().as_str(), "unknown");
    assert_eq!(
        fake.submissions().len(),
        3,
        "first post plus two configured re-posts"
    );
}

#[tokio::test]
async fn a_gateway_timeout_is_unknown_but_a_plain_http_error_is_a_rejection() {
    let (fake, client) = via_proxy(1024).await;
    let req = Pdu::send_req(
        "T-504",
        &["+4917"],
        None,
        vec![Part::text("t", "t.txt", "x")],
    );
    fake.set_behaviour(Behaviour::HttpStatus(504));
    assert_eq!(client.send(&req).await.unwrap().as_str(), "unknown");
    fake.set_behaviour(Behaviour::HttpStatus(503));
    assert_eq!(
        client.send(&req).await.unwrap(),
        SendOutcome::Rejected {
            http_status: 503,
            status: None,
            text: None
        }
    );
}

#[tokio::test]
async fn a_retrieval_larger_than_the_limit_is_refused() {
    let fake = FakeMmsc::start(FakeOptions::default()).await.unwrap();
    let cfg = Mm1Config {
        mmsc_url: fake.url(),
        response_max_bytes: 1000,
        ..Mm1Config::default()
    };
    let client = Mm1Client::new(cfg).unwrap();
    let big = Part::new(
        ContentType::new("image/jpeg"),
        "big",
        "big.jpg",
        vec![0xAB; 5000],
    );
    let ni = fake
        .create_inbound("T-big", "+4917", "+4918", None, 0, vec![big])
        .unwrap();
    let spool = tempfile::tempdir().unwrap();
    let err = client.retrieve(&ni, spool.path()).await.unwrap_err();
    assert!(
        matches!(err, mmsc::Error::TooLarge { limit: 1000 }),
        "{err:?}"
    );
    assert!(fake.notify_responses().is_empty(), "not acknowledged");
}

#[tokio::test]
async fn an_unreachable_mmsc_is_a_connect_error_not_an_unknown_outcome() {
    // Bind and drop to get a loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = Mm1Config {
        mmsc_url: format!("http://127.0.0.1:{port}/mms"),
        ..Mm1Config::default()
    };
    let client = Mm1Client::new(cfg).unwrap();
    let req = Pdu::send_req(
        "T-down",
        &["+4917"],
        None,
        vec![Part::text("t", "t.txt", "x")],
    );
    let err = client.send(&req).await.unwrap_err();
    assert!(matches!(err, mmsc::Error::Connect(_)), "{err:?}");
}

#[tokio::test]
async fn an_inbound_mms_arrives_by_wap_push_sms_and_is_fetched_and_acknowledged() {
    let (fake, client) = via_proxy(4096).await;
    let spool = tempfile::tempdir().unwrap();
    // A large part (above the inline limit) goes to disk.
    let big: Vec<u8> = (0..20_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let parts = vec![
        Part::smil("smil", SMIL),
        Part::new(
            ContentType::new("image/png"),
            "pic",
            "pic.png",
            PNG.to_vec(),
        ),
        Part::text("text", "text.txt", "Antwort mit Umlauten: äöü"),
        Part::new(
            ContentType::new("image/jpeg").with(Param::Name("big.jpg".into())),
            "big",
            "big.jpg",
            big.clone(),
        ),
    ];
    let sms_opts = pdu::DeliverOptions {
        from: "+491709990000".into(),
        reference: 77,
        ..Default::default()
    };
    let tpdus = fake
        .create_inbound_sms(
            "T-in-1",
            "+491701111111",
            "+491702222222",
            Some(SUBJECT),
            1_700_000_000,
            parts.clone(),
            &sms_opts,
        )
        .unwrap();
    assert!(
        tpdus.len() >= 2,
        "the notification needs {} SMS",
        tpdus.len()
    );

    // The modem side: decode each SMS (out of order) and reassemble the push.
    let mut asm = mms::PushAssembler::new();
    let now = Instant::now();
    let mut push = None;
    for t in tpdus.iter().rev() {
        let d = match pdu::decode(t, false).unwrap().tpdu {
            pdu::Tpdu::Deliver(d) => d,
            other => panic!("expected SMS-DELIVER, got {other:?}"),
        };
        assert!(mms::is_push(&d));
        if let Some(p) = asm.push_deliver(&d, now).unwrap() {
            push = Some(p);
        }
    }
    let push = push.expect("push complete after the last part");
    let ni = push.mms_pdu().unwrap();
    assert_eq!(ni.message_type(), Some(mms::MessageType::NotificationInd));
    assert!(ni
        .content_location()
        .unwrap()
        .starts_with("http://mmsc.invalid/"));

    let inbound = client.receive(&push, spool.path()).await.unwrap();
    assert_eq!(inbound.transaction_id, "T-in-1");
    assert_eq!(inbound.from.as_deref(), Some("+491701111111"));
    assert_eq!(inbound.to, vec!["+491702222222"]);
    assert_eq!(inbound.subject.as_deref(), Some(SUBJECT));
    assert_eq!(inbound.date.map(|d| d.timestamp()), Some(1_700_000_000));
    assert!(inbound.acknowledged);
    assert_eq!(inbound.parts.len(), parts.len());
    for (got, want) in inbound.parts.iter().zip(&parts) {
        assert_eq!(got.media, want.content_type.media);
        assert_eq!(got.size, want.data.len());
        assert_eq!(got.sha256, sha256_hex(&want.data));
        let bytes = match &got.body {
            PartBody::Inline(b) => b.clone(),
            PartBody::File(p) => {
                assert!(p.starts_with(spool.path()));
                std::fs::read(p).unwrap()
            }
        };
        assert_eq!(bytes, want.data, "part {:?}", want.content_location());
    }
    assert!(
        matches!(inbound.parts[3].body, PartBody::File(_)),
        "the 20 kB part is spooled"
    );
    assert!(matches!(inbound.parts[1].body, PartBody::Inline(_)));

    // The MMSC served the retrieval once and got m-notifyresp-ind Retrieved.
    assert_eq!(fake.fetched().len(), 1);
    let acks = fake.notify_responses();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].transaction_id(), Some("T-in-1"));
    assert_eq!(acks[0].status(), Some(mms::status::RETRIEVED));
    let gets: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert!(
        gets[0]
            .target
            .starts_with("http://mmsc.invalid/mms/retrieve/"),
        "{gets:?}"
    );
}

#[tokio::test]
async fn a_retrieval_of_an_unknown_location_is_an_http_error() {
    let (fake, client) = via_proxy(1024).await;
    let ni = Pdu::notification_ind(
        "T-x",
        Some("+4917"),
        None,
        10,
        60,
        "http://mmsc.invalid/mms/retrieve/nope",
    );
    let err = client
        .retrieve(&ni, std::path::Path::new("/nonexistent"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, mmsc::Error::Http { status: 404, .. }),
        "{err:?}"
    );
    assert!(fake.notify_responses().is_empty());
}
