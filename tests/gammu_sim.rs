//! The simulator checked against a real, independent client: Debian's
//! `gammu`. For every personality gammu identifies the modem, sends a short
//! text and a long Unicode text (multipart), and reads inbound messages
//! (including a 3-part one) that the control API injected; the simulator's
//! sent-log must hold exactly the texts gammu sent.
//!
//! gammu is required: without it these tests fail and say how to install it.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use gsmq::sim::{self, Personality, SimOptions, Timing};

const TO: &str = "+4915100000009";
const SHORT: &str = "Hello from gammu via gsmq-sim";

fn long_unicode() -> String {
    let base = "Grüße aus Köln, Привет мир, γειά σου κόσμε ✓ ";
    base.chars().cycle().take(400).collect()
}

fn long_inbound() -> String {
    let base = "Part of a long inbound message that needs three SMS parts. ";
    base.chars().cycle().take(400).collect()
}

fn gammu_available() {
    let found = std::process::Command::new("gammu")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "gammu is not installed; these interop tests need it: `apt-get install gammu`"
    );
}

async fn gammu(rc: &Path, args: &[&str]) -> Output {
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new("gammu")
            .arg("-c")
            .arg(rc)
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("gammu {args:?} did not finish within 120 s"))
    .expect("gammu runs");
    assert!(
        out.status.success(),
        "gammu {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

async fn gammu_against(personality: Personality) {
    gammu_available();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut timing = Timing::fast();
    if personality == Personality::E3372 {
        // Huawei's ^RSSI/^HCSQ stream (MODEM-SPEC §10 Q25) until AT^CURC=0.
        timing.noise_interval = Duration::from_millis(300);
    }
    let h = sim::spawn(SimOptions {
        personality,
        number: "+4915100000001".into(),
        seed: 42,
        timing,
        link: Some(dir.path().join("ttySIM")),
        ..SimOptions::default()
    })
    .expect("spawn the simulator");
    let rc = dir.path().join("gammurc");
    std::fs::write(
        &rc,
        format!(
            "[gammu]\nport = {}\nconnection = at115200\nlogfile = {}\nlogformat = textall\n",
            h.path().display(),
            dir.path().join("gammu.log").display()
        ),
    )
    .expect("write gammurc");

    let id = gammu(&rc, &["identify"]).await;
    let id = String::from_utf8_lossy(&id.stdout);
    let profile = personality.profile();
    assert!(
        id.to_lowercase()
            .contains(&profile.manufacturer.to_lowercase()),
        "{personality}: identify shows no manufacturer:\n{id}"
    );
    assert!(id.contains("IMEI"), "{personality}: {id}");

    gammu(&rc, &["sendsms", "TEXT", TO, "-text", SHORT]).await;
    let long = long_unicode();
    gammu(
        &rc,
        &[
            "sendsms", "TEXT", TO, "-len", "400", "-unicode", "-text", &long,
        ],
    )
    .await;

    let log = h.sent_log().await;
    let texts: Vec<(&str, &str, usize, bool)> = log
        .iter()
        .map(|m| (m.to.as_str(), m.text.as_str(), m.parts, m.complete()))
        .collect();
    assert_eq!(
        texts,
        vec![
            (TO, SHORT, 1, true),
            (TO, long.as_str(), long.chars().count().div_ceil(67), true)
        ],
        "{personality}: the sent log differs from what gammu sent"
    );
    assert_eq!(log[1].encoding, "ucs2");

    assert_eq!(
        h.inject_sms("+4917000000001", "short inbound")
            .await
            .expect("inject"),
        1
    );
    let inbound = long_inbound();
    assert_eq!(
        h.inject_sms("+4917000000002", &inbound)
            .await
            .expect("inject"),
        3
    );
    assert_eq!(
        h.inject_sms("+4917000000003", "Ünïcödé ✓ inbound")
            .await
            .expect("inject"),
        1
    );
    let all = gammu(&rc, &["getallsms"]).await;
    let all = String::from_utf8_lossy(&all.stdout);
    assert!(all.contains("short inbound"), "{personality}:\n{all}");
    assert!(all.contains("Ünïcödé ✓ inbound"), "{personality}:\n{all}");
    for part in 1..=3 {
        assert!(
            all.contains(&format!("part {part} of 3")),
            "{personality}: part {part} of 3 missing:\n{all}"
        );
    }
    assert!(
        all.contains("5 SMS parts in 5 SMS sequences"),
        "{personality}:\n{all}"
    );
    // gammu links the three parts back into one message.
    let each = gammu(&rc, &["geteachsms"]).await;
    let each = String::from_utf8_lossy(&each.stdout);
    let joined: String = each.split_whitespace().collect::<Vec<_>>().join(" ");
    let expected: String = inbound.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains(&expected),
        "{personality}: geteachsms does not show the joined 3-part text:\n{each}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_works_against_the_generic_personality() {
    gammu_against(Personality::Generic).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_works_against_the_sim800_personality() {
    gammu_against(Personality::Sim800).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_works_against_the_sim7600_personality() {
    gammu_against(Personality::Sim7600).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_works_against_the_ec25_personality() {
    gammu_against(Personality::Ec25).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_works_against_the_e3372_personality() {
    gammu_against(Personality::E3372).await;
}
