//! `gsmq send` against an in-process gateway: it sends through the MQTT API,
//! follows the status events and exits with the documented code.

mod api_support;

use std::process::ExitCode;
use std::time::Duration;

use api_support::{Gateway, PASSWORD};
use chrono::Utc;
use gsmq::cli::send::{send, SendArgs};

fn args(gw: &Gateway, text: &str) -> SendArgs {
    SendArgs {
        to: vec!["+491711234567".into()],
        text: text.into(),
        host: gw.addr.ip().to_string(),
        port: gw.addr.port(),
        user: "alice".into(),
        password: PASSWORD.into(),
        prefix: gw.topics.prefix().into(),
        id: Some("cli-1".into()),
        modem: None,
        priority: None,
        encoding: None,
        no_report: true,
        flash: false,
        timeout_s: 10,
        no_wait: false,
    }
}

#[tokio::test]
async fn gsmq_send_follows_the_message_until_it_is_sent() {
    let gw = Gateway::start("", "").await;
    let cli = tokio::spawn(send(args(&gw, "hello from the CLI")));
    // Play the modem: take the part once it is stored and report it sent.
    let part = loop {
        if let Some(p) = gw.store.lease_next_part("m1", Utc::now()).await.unwrap() {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(part.to, "+491711234567");
    gw.store
        .part_sent(part.part_id, 7, Utc::now())
        .await
        .unwrap();
    let code = tokio::time::timeout(Duration::from_secs(10), cli)
        .await
        .expect("gsmq send finished")
        .unwrap()
        .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    gw.stop().await;
}

#[tokio::test]
async fn gsmq_send_fails_on_a_refused_request_and_on_a_wrong_password() {
    let gw = Gateway::start("", "").await;
    let code = send(args(&gw, "   ")).await.unwrap();
    assert_eq!(code, ExitCode::FAILURE);
    let mut wrong = args(&gw, "x");
    wrong.password = "nope".into();
    assert_eq!(send(wrong).await.unwrap(), ExitCode::from(3));
    gw.stop().await;
}
