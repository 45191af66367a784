//! Table tests for the AT digester: every framing, prompt, final, URC
//! placement and garbage form from MODEM-SPEC §1–§6 and §10. Each case is
//! also fed one byte at a time and must give the same events.

use gsmq::at::command::{self, ListStat};
use gsmq::at::{
    BootMarker, CmeError, CmsError, Command, Digester, Event, Final, Registration,
    RegistrationKind, Signal, Urc,
};

fn drain(d: &mut Digester) -> Vec<Event> {
    std::iter::from_fn(|| d.poll_event()).collect()
}

/// Expects `cmd` (if any), feeds `bytes` whole and byte by byte, and returns
/// the events after checking both agree.
fn run(cmd: Option<&Command>, bytes: &[u8]) -> Vec<Event> {
    let mut whole = Digester::new();
    let mut bytewise = Digester::new();
    if let Some(c) = cmd {
        whole.expect(c);
        bytewise.expect(c);
    }
    whole.feed(bytes);
    for b in bytes {
        bytewise.feed(std::slice::from_ref(b));
    }
    let a = drain(&mut whole);
    assert_eq!(a, drain(&mut bytewise), "chunking changed the events");
    a
}

fn echo(s: &str) -> Event {
    Event::Echo(s.into())
}
fn info(s: &str) -> Event {
    Event::Info(s.into())
}
fn ok() -> Event {
    Event::Final(Final::Ok)
}
fn cmti(mem: &str, index: i32) -> Event {
    Event::Urc(Urc::Cmti {
        mem: mem.into(),
        index,
    })
}

const PDU35: &str =
    "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034";

#[test]
fn an_answer_with_echo_on_gives_echo_info_and_final() {
    assert_eq!(
        run(
            Some(&command::csq()),
            b"AT+CSQ\r\r\n+CSQ: 9,99\r\n\r\nOK\r\n"
        ),
        vec![echo("AT+CSQ"), info("+CSQ: 9,99"), ok()]
    );
}

#[test]
fn an_answer_with_echo_off_gives_info_and_final() {
    assert_eq!(
        run(Some(&command::csq()), b"\r\n+CSQ: 9,99\r\n\r\nOK\r\n"),
        vec![info("+CSQ: 9,99"), ok()]
    );
}

#[test]
fn ate0_is_echoed_by_itself() {
    assert_eq!(
        run(Some(&command::ate0()), b"ATE0\r\r\nOK\r\n"),
        vec![echo("ATE0"), ok()]
    );
}

#[test]
fn a_urc_between_echo_and_response_is_lifted_out() {
    assert_eq!(
        run(
            Some(&command::csq()),
            b"AT+CSQ\r\r\n+CMTI: \"SM\",3\r\n\r\n+CSQ: 9,99\r\n\r\nOK\r\n"
        ),
        vec![echo("AT+CSQ"), cmti("SM", 3), info("+CSQ: 9,99"), ok()]
    );
}

#[test]
fn a_urc_between_list_entries_is_lifted_out() {
    let s = format!(
        "\r\n+CMGL: 0,1,,35\r\n{PDU35}\r\n+CMTI: \"SM\",2\r\n+CMGL: 1,0,,35\r\n{PDU35}\r\n\r\nOK\r\n"
    );
    assert_eq!(
        run(Some(&command::cmgl(ListStat::All)), s.as_bytes()),
        vec![
            info("+CMGL: 0,1,,35"),
            info(PDU35),
            cmti("SM", 2),
            info("+CMGL: 1,0,,35"),
            info(PDU35),
            ok()
        ]
    );
}

#[test]
fn a_urc_between_cmgs_and_the_prompt_is_lifted_out() {
    assert_eq!(
        run(Some(&command::cmgs(23)), b"\r\n+CMTI: \"SM\",4\r\n\r\n> "),
        vec![cmti("SM", 4), Event::Prompt]
    );
}

#[test]
fn a_urc_after_ctrl_z_before_cmgs_is_lifted_out() {
    assert_eq!(
        run(
            Some(&command::cmgs(23)),
            b"\r\n> \r\n+CMTI: \"SM\",5\r\n\r\n+CMGS: 42\r\n\r\nOK\r\n"
        ),
        vec![Event::Prompt, cmti("SM", 5), info("+CMGS: 42"), ok()]
    );
}

#[test]
fn every_prompt_form_is_recognised_without_a_line_end() {
    for form in [&b"\r\n> "[..], b"> ", b"\r\n>"] {
        assert_eq!(
            run(Some(&command::cmgs(23)), form),
            vec![Event::Prompt],
            "{form:?}"
        );
    }
}

#[test]
fn with_echo_on_the_pdu_echo_and_a_second_prompt_are_echo_events() {
    let s = "AT+CMGS=23\r\r\n> 0011000B916407281553F80000AA0AE8329BFD4697D9EC37\r\n> \x1a\r\n+CMGS: 42\r\n\r\nOK\r\n";
    assert_eq!(
        run(Some(&command::cmgs(23)), s.as_bytes()),
        vec![
            echo("AT+CMGS=23"),
            Event::Prompt,
            echo("0011000B916407281553F80000AA0AE8329BFD4697D9EC37"),
            echo(">"),
            info("+CMGS: 42"),
            ok()
        ]
    );
}

#[test]
fn a_send_failure_ends_the_command_with_a_cms_error() {
    assert_eq!(
        run(Some(&command::cmgs(23)), b"\r\n> \r\n+CMS ERROR: 512\r\n"),
        vec![Event::Prompt, Event::Final(Final::Cms(CmsError::Code(512)))]
    );
}

#[test]
fn a_two_line_cmt_is_reassembled_across_reads() {
    let s = format!("\r\n+CMT: ,35\r\n{PDU35}\r\n");
    let b = s.as_bytes();
    let mut d = Digester::new();
    for part in [&b[..5], &b[5..14], &b[14..40], &b[40..]] {
        d.feed(part);
    }
    let pdu = hex::decode(PDU35).unwrap();
    assert_eq!(
        drain(&mut d),
        vec![Event::Urc(Urc::Cmt { length: 35, pdu })]
    );
    assert_eq!(
        run(None, b),
        drain(&mut {
            let mut d = Digester::new();
            d.feed(b);
            d
        })
    );
}

#[test]
fn a_two_line_cds_and_a_cmt_with_an_alpha_are_reassembled() {
    let cds = "07914875215652F006360B914892347527F3817003018104808170030181448000";
    let s = format!("\r\n+CDS: 25\r\n{cds}\r\n\r\n+CMT: \"\",35\r\n{PDU35}\r\n");
    assert_eq!(
        run(None, s.as_bytes()),
        vec![
            Event::Urc(Urc::Cds {
                length: 25,
                pdu: hex::decode(cds).unwrap()
            }),
            Event::Urc(Urc::Cmt {
                length: 35,
                pdu: hex::decode(PDU35).unwrap()
            }),
        ]
    );
}

#[test]
fn a_two_line_urc_without_its_pdu_line_is_reported_as_unknown() {
    assert_eq!(
        run(Some(&command::csq()), b"\r\n+CMT: ,35\r\n\r\nOK\r\n"),
        vec![Event::Urc(Urc::Unknown("+CMT: ,35".into())), ok()]
    );
}

#[test]
fn a_creg_urc_while_creg_query_is_pending_is_told_apart_by_shape() {
    let b =
        b"\r\n+CREG: 1,\"00C3\",\"0000A13F\"\r\n\r\n+CREG: 2,1,\"00C3\",\"0000A13F\"\r\n\r\nOK\r\n";
    assert_eq!(
        run(Some(&command::creg_query()), b),
        vec![
            Event::Urc(Urc::Registration(Registration {
                kind: RegistrationKind::Cs,
                mode: None,
                stat: 1,
                lac: Some(0xC3),
                ci: Some(0xA13F),
                act: None
            })),
            info("+CREG: 2,1,\"00C3\",\"0000A13F\""),
            ok()
        ]
    );
    // Short forms: `+CREG: 1` is a URC, `+CREG: 0,1` the answer.
    assert_eq!(
        run(
            Some(&command::creg_query()),
            b"\r\n+CREG: 0,1\r\n\r\n+CREG: 5\r\n\r\nOK\r\n"
        ),
        vec![
            info("+CREG: 0,1"),
            Event::Urc(Urc::Registration(Registration {
                kind: RegistrationKind::Cs,
                mode: None,
                stat: 5,
                lac: None,
                ci: None,
                act: None
            })),
            ok()
        ]
    );
}

#[test]
fn a_second_line_with_a_single_answer_prefix_is_a_urc() {
    assert_eq!(
        run(
            Some(&command::csq()),
            b"\r\n+CSQ: 9,99\r\n+CSQ: 12,99\r\n\r\nOK\r\n"
        ),
        vec![
            info("+CSQ: 9,99"),
            Event::Urc(Urc::Signal(Signal::Csq { rssi: 12, ber: 99 })),
            ok()
        ]
    );
}

#[test]
fn every_line_ending_variant_digests_the_same() {
    let want = vec![info("+CSQ: 9,99"), ok()];
    for bytes in [
        &b"\r\n+CSQ: 9,99\r\n\r\nOK\r\n"[..],
        b"\r\r\n+CSQ: 9,99\r\r\n\r\r\nOK\r\r\n",
        b"\r+CSQ: 9,99\r\rOK\r",
        b"\n+CSQ: 9,99\n\nOK\n",
        b"\0\r\n+CSQ: 9,99\r\n\0\0\r\nOK\r\n\0",
        b"\r\n+CSQ:9,99\r\n\r\nOK\r\n",
        b"\r\n\r\n\r\n+CSQ: 9,99\r\n\r\n\r\n\r\nOK\r\n\r\n\r\n",
        b"\r\n  \r\n+CSQ: 9,99  \r\n\r\nOK\r\n",
    ] {
        let got = run(Some(&command::csq()), bytes);
        let got: Vec<Event> = got
            .into_iter()
            .map(|e| match e {
                Event::Info(s) if s == "+CSQ:9,99" => info("+CSQ: 9,99"),
                e => e,
            })
            .collect();
        assert_eq!(got, want, "{bytes:?}");
    }
}

#[test]
fn every_final_form_ends_the_pending_command() {
    let table: Vec<(&[u8], Final)> = vec![
        (b"\r\nOK\r\n", Final::Ok),
        (b"\r\nERROR\r\n", Final::Error),
        (b"\r\n+CME ERROR: 10\r\n", Final::Cme(CmeError::Code(10))),
        (
            b"\r\n+CME ERROR: SIM busy\r\n",
            Final::Cme(CmeError::Text("SIM busy".into())),
        ),
        (b"\r\n+CMS ERROR: 500\r\n", Final::Cms(CmsError::Code(500))),
        (
            b"\r\n+CMS ERROR: memory full\r\n",
            Final::Cms(CmsError::Text("memory full".into())),
        ),
        (
            b"\r\nCOMMAND NOT SUPPORT\r\n",
            Final::Vendor("COMMAND NOT SUPPORT".into()),
        ),
        (
            b"\r\nMODEM ERROR: 3\r\n",
            Final::Vendor("MODEM ERROR: 3".into()),
        ),
    ];
    for (bytes, want) in table {
        let mut d = Digester::new();
        d.expect(&command::cmms(2));
        d.feed(bytes);
        assert_eq!(drain(&mut d), vec![Event::Final(want)], "{bytes:?}");
        assert!(!d.is_pending());
    }
}

#[test]
fn garbage_is_skipped_counted_and_never_fatal() {
    let mut d = Digester::new();
    d.expect(&command::at());
    d.feed(b"\xff\xfe\x01\r\n\xc3\x28zz\r\nOK\r\n");
    assert_eq!(
        drain(&mut d),
        vec![Event::Garbage { len: 3 }, Event::Garbage { len: 4 }, ok()]
    );
    assert_eq!(d.garbage_bytes(), 7);
}

#[test]
fn an_over_long_line_is_discarded_as_one_garbage_event() {
    let mut bytes = vec![b'A'; gsmq::at::MAX_LINE * 2 + 10];
    bytes.extend_from_slice(b"\r\nOK\r\n");
    assert_eq!(
        run(Some(&command::at()), &bytes),
        vec![
            Event::Garbage {
                len: gsmq::at::MAX_LINE * 2 + 10
            },
            ok()
        ]
    );
}

#[test]
fn boot_markers_arrive_as_typed_urcs() {
    let b = b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n\r\nPB DONE\r\n^BOOT:20315611,0,0,0,72\r\n";
    let urcs: Vec<Urc> = run(None, b)
        .into_iter()
        .map(|e| match e {
            Event::Urc(u) => u,
            other => panic!("not a URC: {other:?}"),
        })
        .collect();
    assert_eq!(
        urcs,
        vec![
            Urc::Boot(BootMarker::Rdy),
            Urc::Boot(BootMarker::Cfun(1)),
            Urc::Boot(BootMarker::Cpin("READY".into())),
            Urc::Boot(BootMarker::CallReady),
            Urc::Boot(BootMarker::SmsReady),
            Urc::Boot(BootMarker::Qusim(1)),
            Urc::Boot(BootMarker::SmsDone),
            Urc::Boot(BootMarker::PbDone),
            Urc::Boot(BootMarker::HuaweiBoot("20315611,0,0,0,72".into())),
        ]
    );
}

#[test]
fn cpin_is_an_answer_while_cpin_query_is_pending_and_a_urc_otherwise() {
    assert_eq!(
        run(
            Some(&command::cpin_query()),
            b"\r\n+CPIN: READY\r\n\r\nOK\r\n"
        ),
        vec![info("+CPIN: READY"), ok()]
    );
    assert_eq!(
        run(None, b"\r\n+CPIN: READY\r\n"),
        vec![Event::Urc(Urc::Boot(BootMarker::Cpin("READY".into())))]
    );
}

#[test]
fn identity_answers_without_prefix_are_info_lines() {
    assert_eq!(
        run(Some(&command::cgmi()), b"\r\n WAVECOM MODEM\r\n\r\nOK\r\n"),
        vec![info("WAVECOM MODEM"), ok()]
    );
    assert_eq!(
        run(
            Some(&command::cgsn()),
            b"AT+CGSN\r\r\n861234567890123\r\n\r\nRING\r\n\r\nOK\r\n"
        ),
        vec![
            echo("AT+CGSN"),
            info("861234567890123"),
            Event::Urc(Urc::Ring),
            ok()
        ]
    );
    assert_eq!(
        run(
            Some(&command::ccid()),
            b"\r\n+ICCID: 89860000000000000001\r\n\r\nOK\r\n"
        ),
        vec![info("+ICCID: 89860000000000000001"), ok()]
    );
}

#[test]
fn a_cmgr_with_the_pdu_on_the_header_line_is_one_info_line() {
    let s = format!("\r\n+CMGR: 1,,35 {PDU35}\r\n\r\nOK\r\n");
    assert_eq!(
        run(Some(&command::cmgr(1)), s.as_bytes()),
        vec![info(&format!("+CMGR: 1,,35 {PDU35}")), ok()]
    );
}

#[test]
fn vendor_noise_during_a_command_is_lifted_out() {
    assert_eq!(
        run(
            Some(&command::csq()),
            b"\r\n^RSSI:18\r\n\r\n+CSQ: 18,99\r\n\r\n^SRVST:2\r\n\r\nOK\r\n"
        ),
        vec![
            Event::Urc(Urc::Signal(Signal::Rssi { rssi: 18 })),
            info("+CSQ: 18,99"),
            Event::Urc(Urc::Unknown("^SRVST:2".into())),
            ok()
        ]
    );
}

#[test]
fn a_ussd_answer_after_ok_is_a_typed_urc() {
    let got = run(
        Some(&command::cusd("*100#")),
        b"\r\nOK\r\n\r\n+CUSD: 0,\"Balance 5.00\",15\r\n",
    );
    assert_eq!(got.len(), 2);
    assert!(
        matches!(&got[1], Event::Urc(Urc::Cusd(c)) if c.text.as_deref() == Some("Balance 5.00"))
    );
}

#[test]
fn queued_expectations_become_pending_after_each_final() {
    let mut d = Digester::new();
    d.expect_after(&command::csq());
    d.expect_after(&command::creg_query());
    d.feed(b"\r\n+CSQ: 9,99\r\n\r\nOK\r\n\r\n+CREG: 0,1\r\n\r\nOK\r\n");
    assert_eq!(
        drain(&mut d),
        vec![info("+CSQ: 9,99"), ok(), info("+CREG: 0,1"), ok()]
    );
}

#[test]
fn inference_takes_an_echoed_command_as_pending() {
    let mut d = Digester::inferring();
    d.feed(
        b"AT+CMGS=23\r\r\n> 0011\r\n+CMGS: 7\r\n\r\nOK\r\nAT+CREG?\r\r\n+CREG: 0,1\r\n\r\nOK\r\n",
    );
    assert_eq!(
        drain(&mut d),
        vec![
            echo("AT+CMGS=23"),
            Event::Prompt,
            echo("0011"),
            info("+CMGS: 7"),
            ok(),
            echo("AT+CREG?"),
            info("+CREG: 0,1"),
            ok()
        ]
    );
}

#[test]
fn finish_flushes_an_unterminated_last_line() {
    let mut d = Digester::new();
    d.feed(b"\r\nRING");
    assert_eq!(drain(&mut d), vec![]);
    d.finish();
    assert_eq!(drain(&mut d), vec![Event::Urc(Urc::Ring)]);
}

#[test]
fn odd_cmti_forms_are_typed() {
    assert_eq!(
        run(
            None,
            b"\r\n+CMTI: ,-1\r\n\r\n+CMTI: \"SM\",1,\"MMS PUSH\",2,1\r\n"
        ),
        vec![
            cmti("", -1),
            Event::Urc(Urc::MmsPush {
                mem: "SM".into(),
                index: 1
            })
        ]
    );
}

#[test]
fn the_event_queue_is_bounded() {
    let mut d = Digester::new();
    for _ in 0..(gsmq::at::MAX_QUEUED_EVENTS + 10) {
        d.feed(b"\r\nRING\r\n");
    }
    assert_eq!(drain(&mut d).len(), gsmq::at::MAX_QUEUED_EVENTS);
}

#[test]
fn a_raw_command_line_describes_itself_for_the_digester() {
    let c = Command::from_line("AT+CPMS?");
    assert_eq!(
        run(
            Some(&c),
            b"\r\n+CPMS: \"SM\",3,30,\"SM\",3,30,\"SM\",3,30\r\n\r\nOK\r\n"
        ),
        vec![info("+CPMS: \"SM\",3,30,\"SM\",3,30,\"SM\",3,30"), ok()]
    );
}

#[test]
fn a_stray_final_with_nothing_pending_is_still_reported() {
    assert_eq!(run(None, b"\r\nOK\r\n"), vec![ok()]);
}

#[test]
fn expect_replaces_a_command_whose_final_never_came() {
    let mut d = Digester::new();
    d.expect(&command::csq());
    d.feed(b"\r\n+CSQ: 9,99\r\n");
    d.expect(&command::creg_query());
    d.feed(b"\r\n+CREG: 0,1\r\n\r\nOK\r\n");
    assert_eq!(
        drain(&mut d),
        vec![info("+CSQ: 9,99"), info("+CREG: 0,1"), ok()]
    );
    assert!(!d.is_pending());
}

#[test]
fn call_finals_end_a_dial_command_but_are_urcs_otherwise() {
    let dial = Command::from_line("ATD+4917612345678;");
    assert_eq!(
        run(Some(&dial), b"\r\nNO CARRIER\r\n"),
        vec![Event::Final(Final::Vendor("NO CARRIER".into()))]
    );
    assert_eq!(
        run(Some(&command::csq()), b"\r\nNO CARRIER\r\n"),
        vec![Event::Urc(Urc::Unknown("NO CARRIER".into()))]
    );
}

#[test]
fn a_cr_typed_in_the_prompt_gives_one_prompt_and_an_echo_marker() {
    assert_eq!(
        run(
            Some(&command::cmgs(23)),
            b"\r\n> \r\n> \r\n+CMGS: 9\r\n\r\nOK\r\n"
        ),
        vec![Event::Prompt, echo(">"), info("+CMGS: 9"), ok()]
    );
}

#[test]
fn an_unknown_plus_line_for_a_prefixed_command_is_an_unknown_urc() {
    assert_eq!(
        run(
            Some(&command::csq()),
            b"\r\n+CTZV: 26/11/22,06:00:00,+04\r\n+CSQ: 9,99\r\n\r\nOK\r\n"
        ),
        vec![
            Event::Urc(Urc::Unknown("+CTZV: 26/11/22,06:00:00,+04".into())),
            info("+CSQ: 9,99"),
            ok()
        ]
    );
}

#[test]
fn a_ussd_text_with_line_breaks_is_joined_into_one_urc() {
    let got = run(
        Some(&command::csq()),
        b"\r\n+CUSD: 0,\"Balance: 5.00\r\nValid until 01.12.\",15\r\n\r\n+CSQ: 9,99\r\n\r\nOK\r\n",
    );
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        matches!(&got[0], Event::Urc(Urc::Cusd(c))
            if c.text.as_deref() == Some("Balance: 5.00\nValid until 01.12.") && c.dcs == Some(15)),
        "{got:?}"
    );
    // An unclosed quote does not swallow the final result.
    assert_eq!(
        run(Some(&command::csq()), b"\r\n+CUSD: 0,\"Bal\r\nOK\r\n"),
        vec![Event::Urc(Urc::Unknown("+CUSD: 0,\"Bal".into())), ok()]
    );
}
