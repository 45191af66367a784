//! The simulator over a real PTY: the golden transcript of MODEM-SPEC §2.4
//! byte for byte (echo on and off), the `AT+CMGS` flow and its failure
//! modes, and the receive flow.

mod sim_support;

use std::time::Duration;

use gsmq::sim::{self, Personality, SimOptions, StorageSizes, Timing};
use sim_support::{show, Port};

fn fast(personality: Personality) -> SimOptions {
    SimOptions {
        personality,
        timing: Timing::fast(),
        ..SimOptions::default()
    }
}

/// A generic fast modem whose SM, ME and SR memories hold this many messages.
fn with_storage(sm: usize, me: usize, sr: usize) -> SimOptions {
    SimOptions {
        storage: StorageSizes { sm, me, sr },
        ..fast(Personality::Generic)
    }
}

/// MODEM-SPEC §2.4 after `ATE0`: (command, reply) with echo off.
const GOLDEN: &[(&str, &str)] = &[
    ("AT+CMEE=1\r", "\r\nOK\r\n"),
    ("AT+CPIN?\r", "\r\n+CPIN: READY\r\n\r\nOK\r\n"),
    ("AT+CREG?\r", "\r\n+CREG: 0,1\r\n\r\nOK\r\n"),
    ("AT+CEREG?\r", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n"),
    (
        "AT+COPS?\r",
        "\r\n+COPS: 0,0,\"Test Operator\",7\r\n\r\nOK\r\n",
    ),
    ("AT+CSQ\r", "\r\n+CSQ: 21,99\r\n\r\nOK\r\n"),
    ("AT+CMGF=0\r", "\r\nOK\r\n"),
    ("AT+CSCS=\"GSM\"\r", "\r\nOK\r\n"),
    (
        "AT+CPMS=\"SM\",\"SM\",\"SM\"\r",
        "\r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n",
    ),
    ("AT+CNMI=2,1,0,2,0\r", "\r\nOK\r\n"),
    ("AT+CSMP=17,167,0,0\r", "\r\nOK\r\n"),
    (
        "AT+CSCA?\r",
        "\r\n+CSCA: \"+447785016005\",145\r\n\r\nOK\r\n",
    ),
    ("AT+CMMS=2\r", "\r\nOK\r\n"),
    ("AT+FOO\r", "\r\n+CME ERROR: 4\r\n"),
];

/// The §3.1 example: "hellohello" to +46708251358, 23 TPDU octets.
const PDU: &str = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37";

#[tokio::test]
async fn the_golden_transcript_is_byte_exact_with_echo_switched_off() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    p.exchange(b"AT\r", b"AT\r\r\nOK\r\n").await;
    p.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n").await;
    for (cmd, reply) in GOLDEN {
        p.exchange(cmd.as_bytes(), reply.as_bytes()).await;
    }
    let rest = p.quiet(Duration::from_millis(100)).await;
    assert!(rest.is_empty(), "stray bytes: {:?}", show(&rest));
}

#[tokio::test]
async fn the_golden_transcript_is_byte_exact_with_echo_left_on() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    p.exchange(b"AT\r", b"AT\r\r\nOK\r\n").await;
    for (cmd, reply) in GOLDEN {
        let expect = format!("{cmd}{reply}");
        p.exchange(cmd.as_bytes(), expect.as_bytes()).await;
    }
    let rest = p.quiet(Duration::from_millis(100)).await;
    assert!(rest.is_empty(), "stray bytes: {:?}", show(&rest));
}

#[tokio::test]
async fn unknown_commands_follow_cmee_in_all_three_forms() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    p.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n").await;
    p.exchange(b"AT+FOO\r", b"\r\nERROR\r\n").await;
    p.exchange(b"AT+CMEE=2\r", b"\r\nOK\r\n").await;
    p.exchange(b"AT+FOO\r", b"\r\n+CME ERROR: operation not supported\r\n")
        .await;
    p.exchange(b"ATV0\r", b"0\r").await;
    p.exchange(b"AT\r", b"0\r").await;
    p.exchange(b"ATV1\r", b"\r\nOK\r\n").await;
}

#[tokio::test]
async fn a_concatenated_line_runs_every_command_and_answers_once() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    p.exchange(
        b"ATE0+CMEE=1;+CLIP=1;+CREG=2\r",
        b"ATE0+CMEE=1;+CLIP=1;+CREG=2\r\r\nOK\r\n",
    )
    .await;
    p.exchange(
        b"AT+CREG?;+CSQ\r",
        b"\r\n+CREG: 2,1,\"00C3\",\"0000A13F\"\r\n+CSQ: 21,99\r\n\r\nOK\r\n",
    )
    .await;
    // A stray \n after \r (println-style DTEs) is harmless.
    p.exchange(b"AT\r\n", b"\r\nOK\r\n").await;
}

async fn ready(p: &mut Port) {
    p.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n").await;
    p.exchange(b"AT+CMEE=1\r", b"\r\nOK\r\n").await;
}

#[tokio::test]
async fn a_pdu_submit_gets_a_prompt_a_reference_and_lands_in_the_sent_log() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    p.exchange(b"AT+CMGS=23\r", b"\r\n> ").await;
    p.write(PDU.as_bytes()).await;
    // A CR inside the prompt gives another prompt and is not PDU data.
    p.exchange(b"\r", b"\r\n> ").await;
    p.exchange(b"\x1a", b"\r\n+CMGS: 0\r\n\r\nOK\r\n").await;
    // A CR after ^Z (smstools' wake-up) is harmless.
    p.write(b"\r").await;
    p.exchange(b"AT\r", b"\r\nOK\r\n").await;
    let log = h.sent_log().await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].to, "+46708251358");
    assert_eq!(log[0].text, "hellohello");
    assert_eq!(log[0].mr, vec![0]);
}

#[tokio::test]
async fn with_echo_on_the_pdu_is_echoed_inside_the_prompt() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    p.exchange(b"AT+CMGS=23\r", b"AT+CMGS=23\r\r\n> ").await;
    p.write(PDU.as_bytes()).await;
    let echoed = p.take(PDU.len()).await;
    assert_eq!(echoed, PDU.as_bytes());
    p.exchange(b"\x1a", b"\r\n+CMGS: 0\r\n\r\nOK\r\n").await;
}

#[tokio::test]
async fn escape_cancels_the_prompt_and_nothing_is_sent() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    p.exchange(b"AT+CMGS=23\r", b"\r\n> ").await;
    p.write(&PDU.as_bytes()[..20]).await;
    p.write(b"\x1b").await;
    p.exchange(b"AT\r", b"\r\nOK\r\n").await;
    assert!(h.sent_log().await.is_empty());
}

#[tokio::test]
async fn stray_commands_typed_into_the_prompt_are_pdu_data_until_ctrl_z() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    p.exchange(b"AT+CMGS=23\r", b"\r\n> ").await;
    // MODEM-SPEC §5.5: a daemon that timed out types AT into the prompt.
    p.exchange(b"AT\r", b"\r\n> ").await;
    p.exchange(b"\x1a", b"\r\n+CMS ERROR: 304\r\n").await;
    p.exchange(b"AT\r", b"\r\nOK\r\n").await;
}

#[tokio::test]
async fn a_declared_length_that_does_not_match_the_pdu_is_cms_error_304() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    p.exchange(b"AT+CMGS=24\r", b"\r\n> ").await;
    p.write(PDU.as_bytes()).await;
    p.exchange(b"\x1a", b"\r\n+CMS ERROR: 304\r\n").await;
    // A TP-UDL one too long is also 304 (python-messaging#28).
    p.exchange(b"AT+CMGS=23\r", b"\r\n> ").await;
    p.write(b"0011000B916407281553F80000AA0BE8329BFD4697D9EC37\x1a")
        .await;
    p.exchange(b"", b"\r\n+CMS ERROR: 304\r\n").await;
    assert!(h.sent_log().await.is_empty());
}

#[tokio::test]
async fn the_message_reference_is_eight_bits_and_wraps_after_255() {
    let opts = SimOptions {
        mr_start: 254,
        ..fast(Personality::Generic)
    };
    let h = sim::spawn(opts).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    for mr in [254u8, 255, 0, 1] {
        p.exchange(b"AT+CMGS=23\r", b"\r\n> ").await;
        p.write(PDU.as_bytes()).await;
        let expect = format!("\r\n+CMGS: {mr}\r\n\r\nOK\r\n");
        p.exchange(b"\x1a", expect.as_bytes()).await;
    }
    let log = h.sent_log().await;
    let mrs: Vec<u8> = log.iter().flat_map(|s| s.mr.clone()).collect();
    assert_eq!(mrs, vec![254, 255, 0, 1]);
}

/// An MMS notification for `+4917099999` as the two-part WAP-push SMS an
/// MMSC sends (a long location makes it two parts).
fn mms_push_sms() -> Vec<Vec<u8>> {
    let location = format!("http://mmsc.example/r/{}", "x".repeat(120));
    let ni = gsmq::mms::Pdu::notification_ind(
        "T-42",
        Some("+4917099999/TYPE=PLMN"),
        Some("Photos"),
        34_000,
        3_600,
        &location,
    );
    let push = gsmq::mms::Push::mms(1, &ni).expect("push");
    gsmq::mms::push_to_sms(
        &push,
        &gsmq::pdu::DeliverOptions {
            from: "+491760000000".into(),
            ..Default::default()
        },
    )
    .expect("sms")
}

#[tokio::test]
async fn a_sim7600_announces_a_wap_push_with_wap_push_mms_and_stores_no_sms() {
    let h = sim::spawn(fast(Personality::Sim7600)).expect("spawn");
    let mut p = Port::open(h.path());
    p.until(b"PB DONE\r\n").await;
    ready(&mut p).await;
    let parts = mms_push_sms();
    assert!(parts.len() > 1, "a concatenated push");
    for t in &parts {
        h.inject_pdu(t).await.expect("inject");
    }
    let urc = p.until(b",0,34000\r\n").await;
    let text = String::from_utf8(urc).expect("ascii");
    let location = format!("http://mmsc.example/r/{}", "x".repeat(120));
    assert!(
        text.starts_with(&format!(
            "\r\n+WAP_PUSH_MMS: \"+4917099999\",\"T-42\",\"{location}\",\""
        )),
        "{text:?}"
    );
    // Only the announcement: no part was stored as an SMS.
    let rest = p.quiet(Duration::from_millis(100)).await;
    assert!(rest.is_empty(), "stray bytes: {:?}", show(&rest));
    p.write(b"AT+CPMS?\r").await;
    let answer = String::from_utf8(p.until(b"\r\nOK\r\n").await).expect("ascii");
    assert!(answer.contains("+CPMS: \"SM\",0,"), "{answer:?}");
}

#[tokio::test]
async fn a_generic_modem_stores_the_same_wap_push_as_sms() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    for t in &mms_push_sms() {
        h.inject_pdu(t).await.expect("inject");
    }
    let urc = p.until(b"\r\n+CMTI: \"SM\",2\r\n").await;
    assert!(!String::from_utf8_lossy(&urc).contains("WAP_PUSH"));
}

#[tokio::test]
async fn an_inbound_sms_is_announced_read_and_deleted() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    assert_eq!(
        h.inject_sms("+4915100000002", "Hello raspberry pi")
            .await
            .expect("inject"),
        1
    );
    let urc = p.take(b"\r\n+CMTI: \"SM\",1\r\n".len()).await;
    assert_eq!(show(&urc), show(b"\r\n+CMTI: \"SM\",1\r\n"));
    p.write(b"AT+CMGR=1\r").await;
    let answer = p.until(b"\r\nOK\r\n").await;
    let text = String::from_utf8(answer).expect("ascii");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{text:?}");
    let header = lines[0];
    assert!(header.starts_with("+CMGR: 0,,"), "{header}");
    let len: usize = header
        .rsplit(',')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("len");
    let pdu = hex::decode(lines[1]).expect("hex pdu");
    // SMSC octets + TPDU; the header counts the TPDU only.
    assert_eq!(pdu.len(), len + 1 + usize::from(pdu[0]));
    // Reading flipped REC UNREAD to REC READ.
    p.write(b"AT+CMGR=1\r").await;
    let again = p.until(b"\r\nOK\r\n").await;
    assert!(show(&again).contains("+CMGR: 1,,"), "{}", show(&again));
    p.exchange(b"AT+CMGD=1\r", b"\r\nOK\r\n").await;
    p.exchange(b"AT+CMGR=1\r", b"\r\n+CMS ERROR: 321\r\n").await;
}

#[tokio::test]
async fn cmgl_4_lists_every_stored_message_with_its_pdu() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    p.exchange(b"AT+CNMI=2,0,0,0,0\r", b"\r\nOK\r\n").await;
    h.inject_sms("+4915100000002", "one").await.expect("inject");
    h.inject_sms("+4915100000003", "two").await.expect("inject");
    p.exchange(b"AT+CMGR=2\r", b"").await;
    let _ = p.until(b"\r\nOK\r\n").await;
    p.write(b"AT+CMGL=4\r").await;
    let text = String::from_utf8(p.until(b"\r\nOK\r\n").await).expect("ascii");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 5, "{text:?}");
    assert!(lines[0].starts_with("+CMGL: 1,0,,"), "{text:?}");
    assert!(lines[2].starts_with("+CMGL: 2,1,,"), "{text:?}");
    assert!(lines[1].chars().all(|c| c.is_ascii_hexdigit()));
    assert!(text.starts_with("\r\n+CMGL: 1,0,,"));
    assert!(text.ends_with("\r\n\r\nOK\r\n"));
    // Listing marked everything read; CMGL=0 (unread) is now empty.
    p.exchange(b"AT+CMGL=0\r", b"\r\nOK\r\n").await;
    p.exchange(b"AT+CMGD=1,4\r", b"\r\nOK\r\n").await;
    p.exchange(b"AT+CMGL=4\r", b"\r\nOK\r\n").await;
}

#[tokio::test]
async fn a_full_storage_refuses_messages_until_one_is_deleted() {
    let h = sim::spawn(with_storage(2, 5, 5)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    for i in 0..3 {
        h.inject_sms("+4915100000002", &format!("msg {i}"))
            .await
            .expect("inject");
    }
    let urcs = p.quiet(Duration::from_millis(50)).await;
    assert_eq!(
        show(&urcs),
        show(b"\r\n+CMTI: \"SM\",1\r\n\r\n+CMTI: \"SM\",2\r\n")
    );
    p.exchange(
        b"AT+CPMS?\r",
        b"\r\n+CPMS: \"SM\",2,2,\"SM\",2,2,\"SM\",2,2\r\n\r\nOK\r\n",
    )
    .await;
    p.exchange(b"AT+CMGD=1\r", b"\r\nOK\r\n").await;
    // The SMSC retries after the memory frees up (redeliver_on_free).
    let urc = p.until(b"\r\n+CMTI: \"SM\",1\r\n").await;
    assert_eq!(show(&urc), show(b"\r\n+CMTI: \"SM\",1\r\n"));
}

#[tokio::test]
async fn index_base_zero_personalities_number_storage_from_zero() {
    for personality in [Personality::Sim7600, Personality::E3372] {
        let h = sim::spawn(fast(personality)).expect("spawn");
        let mut p = Port::open(h.path());
        let _boot = p.quiet(Duration::from_millis(50)).await;
        ready(&mut p).await;
        h.inject_sms("+4915100000002", "zero")
            .await
            .expect("inject");
        let urc = p.until(b"\r\n+CMTI: \"SM\",0\r\n").await;
        assert_eq!(
            show(&urc),
            show(b"\r\n+CMTI: \"SM\",0\r\n"),
            "{personality}"
        );
        p.write(b"AT+CMGR=0\r").await;
        let answer = p.until(b"OK\r\n").await;
        assert!(
            show(&answer).contains("+CMGR: 0,,"),
            "{personality}: {}",
            show(&answer)
        );
    }
}

#[tokio::test]
async fn direct_delivery_needs_cnma_when_phase_2_plus_is_on() {
    let opts = SimOptions {
        timing: Timing {
            cnma_timeout: Duration::from_millis(100),
            ..Timing::fast()
        },
        ..SimOptions::default()
    };
    let h = sim::spawn(opts).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    p.exchange(b"AT+CSMS=1\r", b"\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n")
        .await;
    p.exchange(b"AT+CNMI=2,2,0,0,0\r", b"\r\nOK\r\n").await;
    p.exchange(b"AT+CNMA\r", b"\r\n+CMS ERROR: 340\r\n").await;
    h.inject_sms("+4915100000002", "direct")
        .await
        .expect("inject");
    let urc = String::from_utf8(p.until(b"\r\n").await).expect("ascii");
    assert_eq!(urc, "\r\n");
    let header = String::from_utf8(p.until(b"\r\n").await).expect("ascii");
    assert!(header.starts_with("+CMT: ,"), "{header:?}");
    let _pdu = p.until(b"\r\n").await;
    p.exchange(b"AT+CNMA\r", b"\r\nOK\r\n").await;
    // Without an ack the network redelivers (a duplicate, §6.5).
    h.inject_sms("+4915100000002", "again")
        .await
        .expect("inject");
    let first = p.until(b"+CMT: ,").await;
    assert!(!first.is_empty());
    let _ = p.until(b"\r\n").await;
    let _ = p.until(b"\r\n").await;
    let dup = p.until(b"+CMT: ,").await;
    assert!(!dup.is_empty());
}

#[tokio::test]
async fn a_status_report_request_brings_a_cds_with_the_same_reference() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    p.exchange(b"AT+CNMI=2,1,0,1,0\r", b"\r\nOK\r\n").await;
    // Same PDU with TP-SRR set (first octet 0x31) and MR 0.
    p.exchange(b"AT+CMGS=23\r", b"\r\n> ").await;
    p.write(b"0031000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a")
        .await;
    p.exchange(b"", b"\r\n+CMGS: 0\r\n\r\nOK\r\n").await;
    let head = String::from_utf8(p.until(b"\r\n+CDS: ").await).expect("ascii");
    assert_eq!(head, "\r\n+CDS: ");
    let len: usize = String::from_utf8(p.until(b"\r\n").await)
        .expect("ascii")
        .trim()
        .parse()
        .expect("length");
    let pdu_line = String::from_utf8(p.until(b"\r\n").await).expect("ascii");
    let pdu = hex::decode(pdu_line.trim()).expect("hex");
    let tpdu = &pdu[1 + usize::from(pdu[0])..];
    assert_eq!(tpdu.len(), len);
    assert_eq!(tpdu[0] & 0x03, 0x02, "SMS-STATUS-REPORT");
    assert_eq!(tpdu[1], 0, "TP-MR matches +CMGS: 0");
    assert_eq!(*tpdu.last().expect("status"), 0, "delivered");
}

#[tokio::test]
async fn ussd_answers_ok_then_a_cusd_urc() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    p.exchange(b"AT+CUSD=1,\"*100#\",15\r", b"\r\nOK\r\n").await;
    let urc = String::from_utf8(p.until(b",15\r\n").await).expect("ascii");
    assert!(urc.starts_with("\r\n+CUSD: 0,\""), "{urc:?}");
    assert!(urc.contains("*100#"));
}

#[tokio::test]
async fn a_stored_status_report_is_announced_with_cdsi_and_read_from_sr() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    p.exchange(b"AT+CNMI=2,1,0,2,0\r", b"\r\nOK\r\n").await;
    p.exchange(b"AT+CMGS=23\r", b"\r\n> ").await;
    p.write(b"0031000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a")
        .await;
    p.exchange(b"", b"\r\n+CMGS: 0\r\n\r\nOK\r\n").await;
    let urc = p.until(b"\r\n+CDSI: \"SR\",1\r\n").await;
    assert_eq!(show(&urc), show(b"\r\n+CDSI: \"SR\",1\r\n"));
    p.exchange(
        b"AT+CPMS=\"SR\"\r",
        b"\r\n+CPMS: 1,20,0,30,0,30\r\n\r\nOK\r\n",
    )
    .await;
    p.write(b"AT+CMGR=1\r").await;
    let answer = String::from_utf8(p.until(b"\r\nOK\r\n").await).expect("ascii");
    assert!(answer.starts_with("\r\n+CMGR: 0,,"), "{answer:?}");
}

#[tokio::test]
async fn a_status_report_refused_by_a_full_report_memory_comes_again_after_a_delete() {
    let h = sim::spawn(with_storage(5, 5, 1)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    p.exchange(b"AT+CNMI=2,1,0,2,0\r", b"\r\nOK\r\n").await;
    for mr in 0..2 {
        p.exchange(b"AT+CMGS=23\r", b"\r\n> ").await;
        p.write(b"0031000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a")
            .await;
        let done = format!("\r\n+CMGS: {mr}\r\n\r\nOK\r\n");
        p.exchange(b"", done.as_bytes()).await;
    }
    // One slot: the first report is stored, the second refused (not lost).
    let urcs = p.quiet(Duration::from_millis(200)).await;
    assert_eq!(show(&urcs), show(b"\r\n+CDSI: \"SR\",1\r\n"));
    p.exchange(b"AT+CPMS=\"SR\"\r", b"\r\n+CPMS: 1,1,0,5,0,5\r\n\r\nOK\r\n")
        .await;
    p.exchange(b"AT+CMGD=1\r", b"\r\nOK\r\n").await;
    // The SMSC retries after the memory frees up (redeliver_on_free).
    let urc = p.until(b"\r\n+CDSI: \"SR\",1\r\n").await;
    assert_eq!(show(&urc), show(b"\r\n+CDSI: \"SR\",1\r\n"));
    p.write(b"AT+CMGR=1\r").await;
    let answer = String::from_utf8(p.until(b"\r\nOK\r\n").await).expect("ascii");
    let pdu_line = answer.split("\r\n").nth(2).expect("pdu line");
    let pdu = hex::decode(pdu_line).expect("hex");
    assert_eq!(
        pdu[1 + usize::from(pdu[0]) + 1],
        1,
        "the second report (TP-MR 1)"
    );
}

#[tokio::test]
async fn the_bogus_cmti_quirk_announces_index_minus_one_and_stores_nothing() {
    let h = sim::spawn(SimOptions {
        faults: sim::Faults {
            bogus_cmti: 1.0,
            ..sim::Faults::none()
        },
        ..fast(Personality::Sim7600)
    })
    .expect("spawn");
    let mut p = Port::open(h.path());
    let _ = p.quiet(Duration::from_millis(50)).await;
    ready(&mut p).await;
    h.inject_sms("+4915100000002", "lost")
        .await
        .expect("inject");
    assert_eq!(
        show(&p.until(b"\r\n+CMTI: ,-1\r\n").await),
        show(b"\r\n+CMTI: ,-1\r\n")
    );
    p.exchange(
        b"AT+CPMS?\r",
        b"\r\n+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30\r\n\r\nOK\r\n",
    )
    .await;
}

#[tokio::test]
async fn text_mode_lists_and_reads_messages_as_text() {
    let h = sim::spawn(fast(Personality::Generic)).expect("spawn");
    let mut p = Port::open(h.path());
    ready(&mut p).await;
    p.exchange(b"AT+CMGF=1\r", b"\r\nOK\r\n").await;
    h.inject_sms("+4917000000001", "Hello text mode")
        .await
        .expect("inject");
    let _ = p.until(b"\r\n+CMTI: \"SM\",1\r\n").await;
    p.exchange(b"AT+CMGL=4\r", b"\r\n+CMS ERROR: 302\r\n").await;
    p.write(b"AT+CMGL=\"ALL\"\r").await;
    let list = String::from_utf8(p.until(b"\r\nOK\r\n").await).expect("utf-8");
    assert!(
        list.starts_with("\r\n+CMGL: 1,\"REC UNREAD\",\"+4917000000001\",,\""),
        "{list:?}"
    );
    assert!(list.contains("\r\nHello text mode\r\n"), "{list:?}");
    p.exchange(b"AT+CSCS=\"UCS2\"\r", b"\r\nOK\r\n").await;
    p.write(b"AT+CMGR=1\r").await;
    let read = String::from_utf8(p.until(b"\r\nOK\r\n").await).expect("utf-8");
    assert!(
        read.starts_with("\r\n+CMGR: \"REC READ\",\"+4917000000001\",,\""),
        "{read:?}"
    );
    assert!(
        read.contains("\r\n00480065006C006C006F"),
        "UCS-2 hex text: {read:?}"
    );
    // Text-mode send: the text up to ^Z is the message.
    p.exchange(b"AT+CSCS=\"GSM\"\r", b"\r\nOK\r\n").await;
    p.exchange(b"AT+CMGS=\"+4917000000002\"\r", b"\r\n> ").await;
    p.exchange(b"typed by hand\x1a", b"\r\n+CMGS: 0\r\n\r\nOK\r\n")
        .await;
    let log = h.sent_log().await;
    assert_eq!(log[0].to, "+4917000000002");
    assert_eq!(log[0].text, "typed by hand");
}
