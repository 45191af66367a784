//! Boot, reset and unplug/re-plug over a real PTY (MODEM-SPEC §4, §5.4).

mod sim_support;

use std::time::Duration;

use gsmq::sim::{self, Personality, ResetKind, SimOptions, Timing};
use sim_support::{show, Port};

fn boot_bytes(p: Personality) -> Vec<u8> {
    p.profile()
        .boot
        .iter()
        .flat_map(|u| format!("\r\n{u}\r\n").into_bytes())
        .collect()
}

#[tokio::test]
async fn each_personality_announces_its_boot_sequence_at_power_on_and_after_a_reset() {
    let expected = [
        (Personality::Generic, ""),
        (
            Personality::Sim800,
            "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n",
        ),
        (
            Personality::Sim7600,
            "\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\nSMS DONE\r\n\r\nPB DONE\r\n",
        ),
        (
            Personality::Ec25,
            "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n\r\n+QIND: PB DONE\r\n",
        ),
    ];
    for (personality, boot) in expected {
        assert_eq!(boot_bytes(personality), boot.as_bytes(), "{personality}");
        let h = sim::spawn(SimOptions {
            personality,
            timing: Timing::fast(),
            ..SimOptions::default()
        })
        .expect("spawn");
        let mut p = Port::open(h.path());
        // Power-on URCs wait in the port for the first reader.
        let got = p.quiet(Duration::from_millis(100)).await;
        assert_eq!(show(&got), show(boot.as_bytes()), "{personality} power-on");
        p.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n").await;
        h.reset(ResetKind::Soft).await.expect("reset");
        let got = p.quiet(Duration::from_millis(100)).await;
        assert_eq!(show(&got), show(boot.as_bytes()), "{personality} reset");
        // Echo is back on after the reset (§1.1: the profile is restored).
        p.exchange(b"AT\r", b"AT\r\r\nOK\r\n").await;
    }
    let h = sim::spawn(SimOptions {
        personality: Personality::E3372,
        timing: Timing::fast(),
        ..SimOptions::default()
    })
    .expect("spawn");
    let mut p = Port::open(h.path());
    let got = String::from_utf8(p.quiet(Duration::from_millis(100)).await).expect("ascii");
    assert!(got.starts_with("\r\n^BOOT:"), "{got:?}");
    assert!(got.contains("\r\n^SIMST:1\r\n"), "{got:?}");
}

#[tokio::test]
async fn sms_commands_fail_until_the_modem_reports_sms_ready() {
    let h = sim::spawn(SimOptions {
        personality: Personality::Sim800,
        timing: Timing {
            boot: Some(Duration::from_millis(600)),
            ..Timing::fast()
        },
        ..SimOptions::default()
    })
    .expect("spawn");
    let mut p = Port::open(h.path());
    // Before RDY (120 ms in) input is lost, like SIM800 autobauding.
    p.write(b"AT\r").await;
    let rdy = p.until(b"\r\nRDY\r\n").await;
    assert_eq!(show(&rdy), show(b"\r\nRDY\r\n"));
    p.exchange(b"AT+CMGF=0\r", b"AT+CMGF=0\r\r\nERROR\r\n")
        .await;
    let _ = p.until(b"\r\nSMS Ready\r\n").await;
    p.exchange(b"AT+CMGF=0\r", b"AT+CMGF=0\r\r\nOK\r\n").await;
}

#[tokio::test]
async fn cfun_1_1_reboots_the_modem_with_boot_urcs_and_echo_on() {
    let h = sim::spawn(SimOptions {
        personality: Personality::Sim7600,
        timing: Timing::fast(),
        ..SimOptions::default()
    })
    .expect("spawn");
    let mut p = Port::open(h.path());
    let _ = p.quiet(Duration::from_millis(50)).await;
    p.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n").await;
    let mut expect = b"\r\nOK\r\n".to_vec();
    expect.extend(boot_bytes(Personality::Sim7600));
    p.exchange(b"AT+CFUN=1,1\r", &expect).await;
    p.exchange(b"AT\r", b"AT\r\r\nOK\r\n").await;
}

fn read_error(p: &Port) -> Option<nix::errno::Errno> {
    use std::os::fd::AsRawFd;
    let mut b = [0u8; 64];
    match nix::unistd::read(p.raw().as_raw_fd(), &mut b) {
        Err(nix::errno::Errno::EAGAIN) => None,
        Err(e) => Some(e),
        Ok(0) => Some(nix::errno::Errno::EIO),
        Ok(_) => None,
    }
}

#[tokio::test]
async fn an_unplugged_modem_comes_back_at_a_new_pty_behind_the_same_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("by-id").join("usb-gsmq-sim-if00");
    let h = sim::spawn(SimOptions {
        personality: Personality::Ec25,
        timing: Timing::fast(),
        link: Some(link.clone()),
        ..SimOptions::default()
    })
    .expect("spawn");
    assert_eq!(h.path(), link);
    let before = h.pty_path().await.expect("pty");
    assert_eq!(std::fs::read_link(&link).expect("link"), before);
    let mut p = Port::open(h.path());
    let _ = p.quiet(Duration::from_millis(50)).await;
    p.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n").await;

    h.unplug(Duration::from_millis(300), true)
        .await
        .expect("unplug");
    // The DTE sees the port go away (EIO/HUP) and the link disappears.
    let mut gone = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        gone = read_error(&p);
        if gone.is_some() {
            break;
        }
    }
    assert_eq!(gone, Some(nix::errno::Errno::EIO));
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "link still there"
    );

    let mut after = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if let Ok(t) = std::fs::read_link(&link) {
            after = Some(t);
            break;
        }
    }
    let after = after.expect("the link comes back");
    assert_ne!(after, before, "re-plugged at a new name");
    assert_eq!(h.pty_path().await.expect("pty"), after);
    drop(p);
    let mut p = Port::open(&link);
    let boot = p.quiet(Duration::from_millis(100)).await;
    assert!(show(&boot).contains("RDY"), "{}", show(&boot));
    p.exchange(b"AT\r", b"AT\r\r\nOK\r\n").await;
}

#[tokio::test]
async fn a_hung_modem_swallows_commands_then_answers_again() {
    let h = sim::spawn(SimOptions {
        timing: Timing::fast(),
        ..SimOptions::default()
    })
    .expect("spawn");
    let mut p = Port::open(h.path());
    p.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n").await;
    h.hang(Duration::from_millis(300)).await.expect("hang");
    p.write(b"AT\r").await;
    let silent = p.quiet(Duration::from_millis(150)).await;
    assert!(silent.is_empty(), "{}", show(&silent));
    tokio::time::sleep(Duration::from_millis(200)).await;
    p.exchange(b"AT\r", b"\r\nOK\r\n").await;
}

#[tokio::test]
async fn registration_and_signal_changes_show_in_queries_and_urcs() {
    let h = sim::spawn(SimOptions {
        timing: Timing::fast(),
        ..SimOptions::default()
    })
    .expect("spawn");
    let mut p = Port::open(h.path());
    p.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n").await;
    p.exchange(b"AT+CREG=1\r", b"\r\nOK\r\n").await;
    h.set_signal(7, 3).await.expect("signal");
    h.set_registration(5).await.expect("reg");
    let urc = p.take(b"\r\n+CREG: 5\r\n".len()).await;
    assert_eq!(show(&urc), show(b"\r\n+CREG: 5\r\n"));
    p.exchange(b"AT+CSQ\r", b"\r\n+CSQ: 7,3\r\n\r\nOK\r\n")
        .await;
    h.set_registration(0).await.expect("reg");
    let _ = p.take(b"\r\n+CREG: 0\r\n".len()).await;
    p.exchange(b"AT+COPS?\r", b"\r\n+COPS: 0\r\n\r\nOK\r\n")
        .await;
}
