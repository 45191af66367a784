//! The vendor MMS flows against a scripted modem, through the real digester.

use super::*;
use crate::at::Digester;

fn cfg(proxy: bool) -> MmsAtConfig {
    MmsAtConfig {
        mmsc_url: "http://mmsc.example.com/mms".into(),
        proxy: proxy.then(|| ("10.0.0.172".to_string(), 80)),
        apn: "mms-apn".into(),
        context_id: 1,
    }
}

fn job() -> MmsJob {
    MmsJob {
        to: vec!["+491711234567".into()],
        subject: Some("Holiday".into()),
        text: Some("Hello".into()),
        files: vec![MmsFile {
            name: "beach photo.jpg".into(),
            content_type: "image/jpeg".into(),
            data: vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10],
        }],
    }
}

struct Run {
    lines: Vec<String>,
    uploads: Vec<Vec<u8>>,
    outcome: MmsAtOutcome,
}

/// Plays the modem: `reply` answers each command line (and `"<data>"` for
/// an upload); `urc` arrives once the flow waits with nothing to send;
/// without it the flow's deadlines pass.
fn drive(flow: &mut MmsFlow, reply: impl Fn(&str) -> String, mut urc: Option<&str>) -> Run {
    let mut d = Digester::new();
    let mut now = Instant::now();
    let mut run = Run {
        lines: Vec::new(),
        uploads: Vec::new(),
        outcome: MmsAtOutcome::NotSent {
            reason: "not run".into(),
        },
    };
    let feed = |d: &mut Digester, flow: &mut MmsFlow, bytes: &str, now: Instant| {
        d.feed(bytes.as_bytes());
        while let Some(ev) = d.poll_event() {
            flow.handle_event(&ev, now);
        }
    };
    for _ in 0..200 {
        match flow.poll_output(now) {
            Some(Output::Command(c)) => {
                d.expect(&c);
                run.lines.push(c.line.clone());
                let r = reply(&c.line);
                feed(&mut d, flow, &r, now);
            }
            Some(Output::Data(b)) => {
                run.uploads.push(b);
                let r = reply("<data>");
                feed(&mut d, flow, &r, now);
            }
            Some(Output::Done(o)) => {
                run.outcome = o;
                return run;
            }
            None => match urc.take() {
                Some(u) => feed(&mut d, flow, u, now),
                None => {
                    now = flow
                        .poll_timeout()
                        .expect("a flow that waits has a deadline");
                    flow.handle_timeout(now);
                }
            },
        }
    }
    panic!("the flow never ended: {:?}", run.lines);
}

fn quectel_modem(line: &str) -> String {
    if line.starts_with("AT+QFUPL=") {
        "\r\nCONNECT\r\n".into()
    } else if line == "<data>" {
        "\r\n+QFUPL: 6,3af0\r\n\r\nOK\r\n".into()
    } else if line.starts_with("AT+QIACT=") {
        // Already active on this module.
        "\r\nERROR\r\n".into()
    } else {
        "\r\nOK\r\n".into()
    }
}

#[test]
fn a_quectel_submission_uploads_every_file_and_is_accepted_only_by_the_completion_urc() {
    let mut flow = MmsFlow::new(Vendor::Quectel, &cfg(true), &job());
    let run = drive(&mut flow, quectel_modem, Some("\r\n+QMMSEND: 0,200\r\n"));
    assert_eq!(run.outcome, MmsAtOutcome::Accepted);
    assert_eq!(
        run.lines,
        vec![
            "AT+QICSGP=1,1,\"mms-apn\",\"\",\"\",1",
            "AT+QIACT=1",
            "AT+QMMSCFG=\"contextid\",1",
            "AT+QMMSCFG=\"mmsc\",\"http://mmsc.example.com/mms\"",
            "AT+QMMSCFG=\"proxy\",\"10.0.0.172\",80",
            "AT+QMMSCFG=\"sendparam\",6,3,0,0,2,4",
            "AT+QMMSCFG=\"character\",\"ASCII\"",
            "AT+QMMSEDIT=0",
            "AT+QMMSEDIT=1,1,\"+491711234567\"",
            "AT+QMMSEDIT=4,1,\"Holiday\"",
            "AT+QFUPL=\"RAM:gsmq0_text.txt\",5,60",
            "AT+QMMSEDIT=5,1,\"RAM:gsmq0_text.txt\"",
            "AT+QFUPL=\"RAM:gsmq1_beachphoto.jpg\",6,60",
            "AT+QMMSEDIT=5,1,\"RAM:gsmq1_beachphoto.jpg\"",
            "AT+QMMSEND=120",
            "AT+QFDEL=\"RAM:gsmq0_text.txt\"",
            "AT+QFDEL=\"RAM:gsmq1_beachphoto.jpg\"",
            "AT+QMMSEDIT=0",
        ]
    );
    assert_eq!(
        run.uploads,
        vec![b"Hello".to_vec(), job().files[0].data.clone()]
    );
}

#[test]
fn a_quectel_error_urc_is_rejected_and_a_missing_urc_is_unknown() {
    let mut flow = MmsFlow::new(Vendor::Quectel, &cfg(false), &job());
    let run = drive(&mut flow, quectel_modem, Some("\r\n+QMMSEND: 0,500\r\n"));
    assert_eq!(
        run.outcome,
        MmsAtOutcome::Rejected {
            reason: "+QMMSEND: 0,500: the MMSC answered HTTP 500".into()
        }
    );
    let mut flow = MmsFlow::new(Vendor::Quectel, &cfg(false), &job());
    let run = drive(&mut flow, quectel_modem, None);
    assert!(
        matches!(run.outcome, MmsAtOutcome::Unknown { .. }),
        "{:?}",
        run.outcome
    );
    // The draft is still cleared.
    assert_eq!(run.lines.last().map(String::as_str), Some("AT+QMMSEDIT=0"));
}

#[test]
fn a_failing_edit_stops_before_the_send_command_and_nothing_is_sent() {
    let job = MmsJob {
        subject: Some("Grüße".into()),
        ..job()
    };
    let mut flow = MmsFlow::new(Vendor::Quectel, &cfg(false), &job);
    let run = drive(
        &mut flow,
        |line| {
            if line.starts_with("AT+QMMSEDIT=4") {
                "\r\n+CME ERROR: 756\r\n".into()
            } else {
                quectel_modem(line)
            }
        },
        None,
    );
    assert!(
        matches!(run.outcome, MmsAtOutcome::NotSent { .. }),
        "{:?}",
        run.outcome
    );
    assert!(run
        .lines
        .contains(&"AT+QMMSCFG=\"character\",\"UTF8\"".to_string()));
    assert!(run
        .lines
        .contains(&"AT+QMMSEDIT=4,1,\"4772C3BCC39F65\"".to_string()));
    assert!(run
        .lines
        .contains(&"AT+QMMSEDIT=1,1,\"2B343931373131323334353637\"".to_string()));
    assert!(!run.lines.iter().any(|l| l.starts_with("AT+QMMSEND")));
    assert_eq!(run.lines.last().map(String::as_str), Some("AT+QMMSEDIT=0"));
}

fn simcom_modem(line: &str) -> String {
    if line.starts_with("AT+CMMSDOWN=") {
        "\r\n> ".into()
    } else {
        "\r\nOK\r\n".into()
    }
}

#[test]
fn a_simcom_submission_downloads_title_and_files_after_prompts_and_waits_for_cmmssend() {
    let mut flow = MmsFlow::new(Vendor::SimcomAsync, &cfg(true), &job());
    let run = drive(&mut flow, simcom_modem, Some("\r\n+CMMSSEND: 0\r\n"));
    assert_eq!(run.outcome, MmsAtOutcome::Accepted);
    assert_eq!(
        run.lines,
        vec![
            "AT+CMMSCURL=\"mmsc.example.com/mms\"",
            "AT+CMMSPROTO=1,\"10.0.0.172\",80",
            "AT+CMMSEDIT=1",
            "AT+CMMSDOWN=\"TITLE\",7",
            "AT+CMMSDOWN=\"TEXT\",5,\"gsmq0_text.txt\"",
            "AT+CMMSDOWN=\"PIC\",6,\"gsmq1_beachphoto.jpg\"",
            "AT+CMMSRECP=\"+491711234567\"",
            "AT+CMMSSEND",
            "AT+CMMSEDIT=0",
        ]
    );
    assert_eq!(
        run.uploads,
        vec![
            b"Holiday".to_vec(),
            b"Hello".to_vec(),
            job().files[0].data.clone()
        ]
    );
    let mut flow = MmsFlow::new(Vendor::SimcomAsync, &cfg(false), &job());
    let run = drive(&mut flow, simcom_modem, Some("\r\n+CMMSSEND: 403\r\n"));
    assert_eq!(
        run.outcome,
        MmsAtOutcome::Rejected {
            reason: "+CMMSSEND: 403: the MMSC answered HTTP 403".into()
        }
    );
}

#[test]
fn an_attachment_simcom_cannot_carry_is_refused_before_any_command() {
    let mut job = job();
    job.files[0].content_type = "application/pdf".into();
    let mut flow = MmsFlow::new(Vendor::SimcomAsync, &cfg(false), &job);
    let run = drive(&mut flow, simcom_modem, None);
    assert!(run.lines.is_empty());
    assert!(matches!(run.outcome, MmsAtOutcome::NotSent { .. }));
}

#[test]
fn a_send_command_that_never_answers_is_unknown_not_retried() {
    let mut flow = MmsFlow::new(Vendor::SimcomAsync, &cfg(false), &job());
    let run = drive(
        &mut flow,
        |line| {
            if line == "AT+CMMSSEND" {
                String::new()
            } else {
                simcom_modem(line)
            }
        },
        None,
    );
    assert!(
        matches!(run.outcome, MmsAtOutcome::Unknown { .. }),
        "{:?}",
        run.outcome
    );
}

#[test]
fn the_flow_is_chosen_by_modem_model() {
    assert_eq!(
        Vendor::for_model("SIMCOM_SIM7600E-H"),
        Some(Vendor::SimcomAsync)
    );
    assert_eq!(Vendor::for_model("EC25"), Some(Vendor::Quectel));
    assert_eq!(Vendor::for_model("SIMCOM_SIM800L"), Some(Vendor::Simcom2g));
    assert!(!Vendor::Simcom2g.receives());
    assert!(Vendor::Quectel.receives() && Vendor::SimcomAsync.receives());
    assert_eq!(Vendor::for_model("E3372"), None);
}

#[test]
fn quectel_completion_codes_split_into_refused_not_sent_and_unknown() {
    use MmsAtOutcome::*;
    let class = |o: MmsAtOutcome| match o {
        Accepted => "accepted",
        Rejected { .. } => "failed",
        NotSent { .. } => "not sent",
        Unknown { .. } => "unknown",
    };
    let table = [
        ((0, Some(200)), "accepted"),
        ((0, Some(400)), "failed"),
        ((0, Some(404)), "failed"),
        ((0, Some(500)), "failed"),
        ((0, Some(504)), "unknown"),
        ((0, None), "unknown"),
        ((707, None), "not sent"),
        ((714, None), "not sent"),
        ((716, None), "not sent"),
        ((756, None), "not sent"),
        ((701, None), "unknown"),
        ((702, None), "unknown"),
        ((717, None), "unknown"),
        ((728, None), "unknown"),
    ];
    for ((err, http), want) in table {
        assert_eq!(class(classify_qmmsend(err, http)), want, "{err},{http:?}");
    }
}

#[test]
fn simcom_completion_codes_are_refusals_only_when_they_are_http_statuses() {
    assert_eq!(classify_cmmssend(0), MmsAtOutcome::Accepted);
    assert!(matches!(
        classify_cmmssend(403),
        MmsAtOutcome::Rejected { .. }
    ));
    assert!(matches!(
        classify_cmmssend(504),
        MmsAtOutcome::Unknown { .. }
    ));
    assert!(matches!(classify_cmmssend(1), MmsAtOutcome::Unknown { .. }));
    assert!(matches!(
        classify_cmmssend(173),
        MmsAtOutcome::Unknown { .. }
    ));
}

#[test]
fn a_quectel_set_up_error_after_the_send_command_is_not_sent_and_a_timeout_is_unknown() {
    let mut flow = MmsFlow::new(Vendor::Quectel, &cfg(false), &job());
    let run = drive(&mut flow, quectel_modem, Some("\r\n+QMMSEND: 714\r\n"));
    assert!(
        matches!(run.outcome, MmsAtOutcome::NotSent { .. }),
        "{:?}",
        run.outcome
    );
    let mut flow = MmsFlow::new(Vendor::Quectel, &cfg(false), &job());
    let run = drive(&mut flow, quectel_modem, Some("\r\n+QMMSEND: 702\r\n"));
    assert!(
        matches!(run.outcome, MmsAtOutcome::Unknown { .. }),
        "{:?}",
        run.outcome
    );
    // The draft is cleared either way.
    assert_eq!(run.lines.last().map(String::as_str), Some("AT+QMMSEDIT=0"));
}

fn sim800_modem(line: &str) -> String {
    if line.starts_with("AT+CMMSDOWN=") {
        "\r\nCONNECT\r\n".into()
    } else if line == "AT+CMMSTERM" || line == "AT+SAPBR=1,1" {
        // No session open; bearer already up.
        "\r\nERROR\r\n".into()
    } else if line == "AT+SAPBR=2,1" {
        "\r\n+SAPBR: 1,1,\"10.89.193.1\"\r\n\r\nOK\r\n".into()
    } else {
        "\r\nOK\r\n".into()
    }
}

#[test]
fn a_sim800_submission_opens_the_bearer_downloads_after_connect_and_the_blocking_ok_is_the_result()
{
    let mut flow = MmsFlow::new(Vendor::Simcom2g, &cfg(true), &job());
    let run = drive(&mut flow, sim800_modem, None);
    assert_eq!(run.outcome, MmsAtOutcome::Accepted);
    assert_eq!(
        run.lines,
        vec![
            "AT+CMMSTERM",
            "AT+CMMSINIT",
            "AT+CMMSCURL=\"mmsc.example.com/mms\"",
            "AT+CMMSCID=1",
            "AT+CMMSPROTO=\"10.0.0.172\",80",
            "AT+CMMSSENDCFG=6,3,0,0,2,4",
            "AT+SAPBR=3,1,\"Contype\",\"GPRS\"",
            "AT+SAPBR=3,1,\"APN\",\"mms-apn\"",
            "AT+SAPBR=1,1",
            "AT+SAPBR=2,1",
            "AT+CMMSEDIT=1",
            "AT+CMMSDOWN=\"TITLE\",7,40000",
            "AT+CMMSDOWN=\"TEXT\",5,40000,\"gsmq0_text.txt\"",
            "AT+CMMSDOWN=\"PIC\",6,40000,\"gsmq1_beachphoto.jpg\"",
            "AT+CMMSRECP=\"+491711234567\"",
            "AT+CMMSSEND",
            "AT+CMMSEDIT=0",
            "AT+CMMSTERM",
        ]
    );
    assert_eq!(
        run.uploads,
        vec![
            b"Holiday".to_vec(),
            b"Hello".to_vec(),
            job().files[0].data.clone()
        ]
    );
}

#[test]
fn a_sim800_attachment_refused_with_cme_173_is_not_sent_and_a_failing_send_is_unknown() {
    let mut flow = MmsFlow::new(Vendor::Simcom2g, &cfg(false), &job());
    let run = drive(
        &mut flow,
        |line| {
            if line.starts_with("AT+CMMSDOWN=\"PIC\"") {
                "\r\n+CME ERROR: 173\r\n".into()
            } else {
                sim800_modem(line)
            }
        },
        None,
    );
    assert!(
        matches!(run.outcome, MmsAtOutcome::NotSent { .. }),
        "{:?}",
        run.outcome
    );
    assert!(!run.lines.iter().any(|l| l == "AT+CMMSSEND"));
    assert_eq!(run.lines.last().map(String::as_str), Some("AT+CMMSTERM"));

    let mut flow = MmsFlow::new(Vendor::Simcom2g, &cfg(false), &job());
    let run = drive(
        &mut flow,
        |line| {
            if line == "AT+CMMSSEND" {
                "\r\n+CME ERROR: 173\r\n".into()
            } else {
                sim800_modem(line)
            }
        },
        None,
    );
    assert!(
        matches!(run.outcome, MmsAtOutcome::Unknown { .. }),
        "{:?}",
        run.outcome
    );
}
