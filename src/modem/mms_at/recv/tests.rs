//! The receive flows against a scripted modem, through the real digester
//! and the download capture.

use super::*;
use crate::at::Digester;

fn cfg() -> MmsAtConfig {
    MmsAtConfig {
        mmsc_url: "http://mmsc.example.com/mms".into(),
        proxy: Some(("10.0.0.172".to_string(), 80)),
        apn: "mms-apn".into(),
        context_id: 1,
    }
}

fn direct() -> MmsAtConfig {
    MmsAtConfig {
        proxy: None,
        ..cfg()
    }
}

fn job() -> FetchJob {
    FetchJob {
        transaction_id: "T-1".into(),
        location: "http://mmsc.example.com/r/42".into(),
    }
}

struct Run {
    lines: Vec<String>,
    uploads: Vec<Vec<u8>>,
    outcome: Option<FetchOutcome>,
}

/// Plays the modem: `reply` answers each command line (and `"<data>"`
/// after an upload) with bytes, split into `chunk`-byte pieces; `urcs`
/// arrive one by one whenever the flow waits with nothing to send; without
/// them the flow's deadlines pass.
fn drive(flow: &mut RecvFlow, reply: impl Fn(&str) -> Vec<u8>, urcs: &[&str], chunk: usize) -> Run {
    let mut d = Digester::new();
    let mut now = Instant::now();
    let mut urcs: VecDeque<&str> = urcs.iter().copied().collect();
    let mut run = Run {
        lines: Vec::new(),
        uploads: Vec::new(),
        outcome: None,
    };
    let mut capture: Option<Capture> = None;
    let feed = |d: &mut Digester,
                flow: &mut RecvFlow,
                capture: &mut Option<Capture>,
                bytes: &[u8],
                now: Instant| {
        for piece in bytes.chunks(chunk.max(1)) {
            let digest = |d: &mut Digester, flow: &mut RecvFlow, b: &[u8]| {
                d.feed(b);
                while let Some(ev) = d.poll_event() {
                    flow.handle_event(&ev, now);
                }
            };
            match capture.as_mut() {
                Some(c) => {
                    let fed = c.feed(piece);
                    digest(d, flow, &fed.before);
                    if let Some(data) = fed.data {
                        *capture = None;
                        flow.handle_download(data, now);
                        digest(d, flow, &fed.after);
                    }
                }
                None => digest(d, flow, piece),
            }
        }
    };
    for _ in 0..300 {
        match flow.poll_output(now) {
            Some(Output::Command(c)) => {
                d.expect(&c);
                run.lines.push(c.line.clone());
                let r = reply(&c.line);
                feed(&mut d, flow, &mut capture, &r, now);
            }
            Some(Output::Download { cmd, marker, len }) => {
                d.expect(&cmd);
                run.lines.push(cmd.line.clone());
                capture = Some(Capture::new(marker, len));
                let r = reply(&cmd.line);
                feed(&mut d, flow, &mut capture, &r, now);
            }
            Some(Output::Data(b)) => {
                run.uploads.push(b);
                let r = reply("<data>");
                feed(&mut d, flow, &mut capture, &r, now);
            }
            Some(Output::Done(o)) => {
                run.outcome = Some(o);
                return run;
            }
            None => match urcs.pop_front() {
                Some(u) => feed(&mut d, flow, &mut capture, u.as_bytes(), now),
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

/// A binary m-retrieve-conf stand-in: every byte value, CR and LF included.
fn message() -> Vec<u8> {
    let mut m: Vec<u8> = (0..=255u8).collect();
    m.extend_from_slice(b"\r\nOK\r\n+QFDWL: 1,2\r\n");
    m
}

fn quectel_modem(line: &str) -> Vec<u8> {
    let m = message();
    if line.starts_with("AT+QHTTPURL=") || line.starts_with("AT+QHTTPPOST=") {
        b"\r\nCONNECT\r\n".to_vec()
    } else if line.starts_with("AT+QFDWL=") {
        let mut out = b"\r\nCONNECT\r\n".to_vec();
        out.extend_from_slice(&m);
        out.extend_from_slice(format!("\r\n+QFDWL: {},1a2b\r\n\r\nOK\r\n", m.len()).as_bytes());
        out
    } else if line.starts_with("AT+QIACT=") {
        b"\r\nERROR\r\n".to_vec()
    } else {
        b"\r\nOK\r\n".to_vec()
    }
}

#[test]
fn a_quectel_fetch_downloads_the_binary_message_and_acknowledges_it() {
    let get = format!("\r\n+QHTTPGET: 0,200,{}\r\n", message().len());
    for chunk in [1, 7, 4096] {
        let mut flow = RecvFlow::new(Vendor::Quectel, &direct(), &job());
        let run = drive(
            &mut flow,
            quectel_modem,
            &[
                &get,
                "\r\n+QHTTPREADFILE: 0\r\n",
                "\r\n+QHTTPPOST: 0,204\r\n",
            ],
            chunk,
        );
        assert_eq!(
            run.outcome,
            Some(FetchOutcome::Retrieved(Retrieved::RetrieveConf {
                pdu: message(),
                acknowledged: true
            })),
            "chunks of {chunk}"
        );
        assert_eq!(
            run.lines,
            vec![
                "AT+QICSGP=1,1,\"mms-apn\",\"\",\"\",1",
                "AT+QIACT=1",
                "AT+QHTTPCFG=\"contextid\",1",
                "AT+QHTTPCFG=\"requestheader\",0",
                "AT+QHTTPURL=28,80",
                "AT+QHTTPGET=80",
                "AT+QHTTPREADFILE=\"RAM:gsmq_mms.bin\",80",
                "AT+QFDWL=\"RAM:gsmq_mms.bin\"",
                "AT+QHTTPURL=27,80",
                "AT+QHTTPCFG=\"requestheader\",1",
                &format!("AT+QHTTPPOST={},80,80", run.uploads[2].len()),
                "AT+QHTTPCFG=\"requestheader\",0",
                "AT+QFDEL=\"RAM:gsmq_mms.bin\"",
            ]
        );
        assert_eq!(run.uploads[0], b"http://mmsc.example.com/r/42");
        assert_eq!(run.uploads[1], b"http://mmsc.example.com/mms");
        let post = String::from_utf8_lossy(&run.uploads[2]).into_owned();
        assert!(
            post.starts_with("POST /mms HTTP/1.1\r\nHost: mmsc.example.com\r\n"),
            "{post}"
        );
        let body = &run.uploads[2][post.find("\r\n\r\n").unwrap() + 4..];
        let ack = crate::mms::Pdu::decode(body).unwrap();
        assert_eq!(ack.transaction_id(), Some("T-1"));
        assert_eq!(ack.status(), Some(crate::mms::status::RETRIEVED));
    }
}

#[test]
fn through_the_mms_proxy_quectel_sends_whole_requests_to_the_proxy() {
    let get = format!("\r\n+QHTTPGET: 0,200,{}\r\n", message().len());
    let mut flow = RecvFlow::new(Vendor::Quectel, &cfg(), &job());
    let run = drive(
        &mut flow,
        |line| {
            if line.starts_with("AT+QHTTPGET=") {
                b"\r\nCONNECT\r\n".to_vec()
            } else {
                quectel_modem(line)
            }
        },
        &[
            &get,
            "\r\n+QHTTPREADFILE: 0\r\n",
            "\r\n+QHTTPPOST: 0,204\r\n",
        ],
        64,
    );
    assert!(
        matches!(
            run.outcome,
            Some(FetchOutcome::Retrieved(Retrieved::RetrieveConf {
                acknowledged: true,
                ..
            }))
        ),
        "{:?}",
        run.outcome
    );
    assert_eq!(run.lines[3], "AT+QHTTPCFG=\"requestheader\",1");
    assert_eq!(run.uploads[0], b"http://10.0.0.172:80/");
    let get_req = String::from_utf8(run.uploads[1].clone()).unwrap();
    assert_eq!(
        get_req,
        "GET http://mmsc.example.com/r/42 HTTP/1.1\r\nHost: mmsc.example.com\r\nAccept: application/vnd.wap.mms-message\r\n\r\n"
    );
    assert_eq!(run.lines[5], format!("AT+QHTTPGET=80,{}", get_req.len()));
    assert_eq!(run.uploads[2], b"http://10.0.0.172:80/");
    assert!(String::from_utf8_lossy(&run.uploads[3])
        .starts_with("POST http://mmsc.example.com/mms HTTP/1.1\r\n"));
}

#[test]
fn a_bare_quectel_http_error_fails_the_fetch_and_still_cleans_up() {
    let mut flow = RecvFlow::new(Vendor::Quectel, &direct(), &job());
    let run = drive(&mut flow, quectel_modem, &["\r\n+QHTTPGET: 702\r\n"], 64);
    assert_eq!(
        run.outcome,
        Some(FetchOutcome::Failed {
            reason: "+QHTTPGET: 702".into()
        })
    );
    assert_eq!(
        run.lines[run.lines.len() - 2..],
        [
            "AT+QHTTPCFG=\"requestheader\",0",
            "AT+QFDEL=\"RAM:gsmq_mms.bin\""
        ]
    );
    assert!(!run.lines.iter().any(|l| l.starts_with("AT+QFDWL")));
}

#[test]
fn a_failed_acknowledgement_keeps_the_message_but_says_so() {
    let get = format!("\r\n+QHTTPGET: 0,200,{}\r\n", message().len());
    let mut flow = RecvFlow::new(Vendor::Quectel, &direct(), &job());
    let run = drive(
        &mut flow,
        quectel_modem,
        &[
            &get,
            "\r\n+QHTTPREADFILE: 0\r\n",
            "\r\n+QHTTPPOST: 0,500\r\n",
        ],
        64,
    );
    assert_eq!(
        run.outcome,
        Some(FetchOutcome::Retrieved(Retrieved::RetrieveConf {
            pdu: message(),
            acknowledged: false
        }))
    );
}

#[test]
fn a_missing_completion_urc_fails_the_fetch_at_its_deadline() {
    let mut flow = RecvFlow::new(Vendor::Quectel, &direct(), &job());
    let run = drive(&mut flow, quectel_modem, &[], 64);
    assert_eq!(
        run.outcome,
        Some(FetchOutcome::Failed {
            reason: "no +QHTTPGET after AT+QHTTPGET=80".into()
        })
    );
}

fn simcom_modem(line: &str) -> Vec<u8> {
    match line {
        "AT+CMMSVIEW" => concat!(
            "\r\n+CMMSVIEW: \"+4917099999\",\"Photos\",\"26/05/28,20:26:40+00\",2\r\n",
            "1,\"t.txt\",\"text/plain\",5\r\n",
            "2,\"pic.jpg\",\"image/jpeg\",262\r\n",
            "\r\nOK\r\n"
        )
        .as_bytes()
        .to_vec(),
        "AT+CMMSREAD=1" => b"\r\n+CMMSREAD: 1,5\r\nHallo\r\nOK\r\n".to_vec(),
        "AT+CMMSREAD=2" => {
            let mut out = b"\r\n+CMMSREAD: 2,262\r\n".to_vec();
            out.extend_from_slice(&message()[..262]);
            out.extend_from_slice(b"\r\nOK\r\n");
            out
        }
        _ => b"\r\nOK\r\n".to_vec(),
    }
}

#[test]
fn a_simcom_fetch_reads_every_file_the_modem_lists() {
    for chunk in [1, 5, 4096] {
        let mut flow = RecvFlow::new(Vendor::SimcomAsync, &cfg(), &job());
        let run = drive(&mut flow, simcom_modem, &["\r\n+CMMSRECV: 0\r\n"], chunk);
        assert_eq!(
            run.lines,
            vec![
                "AT+CMMSCURL=\"mmsc.example.com/mms\"",
                "AT+CMMSPROTO=1,\"10.0.0.172\",80",
                "AT+CMMSRECV=\"http://mmsc.example.com/r/42\"",
                "AT+CMMSVIEW",
                "AT+CMMSREAD=1",
                "AT+CMMSREAD=2",
                "AT+CMMSEDIT=0",
            ]
        );
        let Some(FetchOutcome::Retrieved(Retrieved::Files(v))) = run.outcome else {
            panic!("{:?}", run.outcome);
        };
        assert_eq!(v.from.as_deref(), Some("+4917099999"));
        assert_eq!(v.subject.as_deref(), Some("Photos"));
        assert_eq!(v.date.as_deref(), Some("26/05/28,20:26:40+00"));
        assert_eq!(v.files.len(), 2);
        assert_eq!(v.files[0].name, "t.txt");
        assert_eq!(v.files[0].content_type, "text/plain");
        assert_eq!(v.files[0].data, b"Hallo");
        assert_eq!(
            v.files[1].data,
            message()[..262].to_vec(),
            "chunks of {chunk}"
        );
    }
}

#[test]
fn a_simcom_retrieval_error_fails_and_an_unplug_mid_read_is_no_message() {
    let mut flow = RecvFlow::new(Vendor::SimcomAsync, &cfg(), &job());
    let run = drive(&mut flow, simcom_modem, &["\r\n+CMMSRECV: 3\r\n"], 64);
    assert_eq!(
        run.outcome,
        Some(FetchOutcome::Failed {
            reason: "+CMMSRECV: 3".into()
        })
    );
    assert_eq!(run.lines.last().map(String::as_str), Some("AT+CMMSEDIT=0"));

    // The port closes while the second file is read.
    let mut flow = RecvFlow::new(Vendor::SimcomAsync, &cfg(), &job());
    let mut d = Digester::new();
    let now = Instant::now();
    let mut urc_sent = false;
    loop {
        match flow.poll_output(now) {
            Some(Output::Command(c)) => {
                d.expect(&c);
                d.feed(&simcom_modem(&c.line));
            }
            Some(Output::Download { cmd, .. }) if cmd.line == "AT+CMMSREAD=2" => break,
            Some(Output::Download { cmd, marker, len }) => {
                d.expect(&cmd);
                let mut c = Capture::new(marker, len);
                let fed = c.feed(&simcom_modem(&cmd.line));
                flow.handle_download(fed.data.expect("whole file"), now);
                d.feed(&fed.after);
            }
            None if !urc_sent => {
                urc_sent = true;
                d.feed(b"\r\n+CMMSRECV: 0\r\n");
            }
            other => panic!("{other:?}"),
        }
        while let Some(ev) = d.poll_event() {
            flow.handle_event(&ev, now);
        }
    }
    assert_eq!(
        flow.abort("port closed"),
        FetchOutcome::Failed {
            reason: "port closed".into()
        }
    );
}

#[test]
fn a_wap_push_mms_urc_gives_the_notification() {
    let n = parse_wap_push_mms(
        "+WAP_PUSH_MMS: \"+4917099999\",\"T-in-1\",\"http://mmsc/r/1\",\"26/05/28,20:26:40+00\",0,3456",
    )
    .unwrap();
    assert_eq!(
        n,
        PushNotice {
            from: "+4917099999".into(),
            transaction_id: "T-in-1".into(),
            location: "http://mmsc/r/1".into(),
            size: Some(3456)
        }
    );
    assert_eq!(parse_wap_push_mms("+CMMSRECV: 0"), None);
    assert_eq!(parse_wap_push_mms("+WAP_PUSH_MMS: \"a\",\"\",\"\""), None);
}

#[test]
fn a_sim800_cmmsrdpush_answer_gives_the_notification() {
    let n = parse_cmmsrdpush(
        "+CMMSRDPUSH: 2,\"+4917099999\",\"Photos\",\"T-1\",\"http://mmsc/r/1\",\"26/05/28,20:26:40+00\",128,34000",
    )
    .unwrap();
    assert_eq!(n.from, "+4917099999");
    assert_eq!(n.transaction_id, "T-1");
    assert_eq!(n.location, "http://mmsc/r/1");
    assert_eq!(n.size, Some(34000));
    assert_eq!(parse_cmmsrdpush("+CMMSRDPUSH: 2,\"a\""), None);
}

#[test]
fn a_capture_passes_lines_before_the_marker_to_the_digester() {
    let mut c = Capture::new("CONNECT", 3);
    let fed = c.feed(b"\r\n+CME ERROR: 3\r\n");
    assert_eq!(fed.before, b"\r\n+CME ERROR: 3\r\n");
    assert_eq!(fed.data, None);
    let fed = c.feed(b"\r\nCONNECT\r\nab");
    assert_eq!(fed.before, b"\r\n");
    assert!(c.started());
    let fed = c.feed(b"\nOK\r\n");
    assert_eq!(fed.data.as_deref(), Some(&b"ab\n"[..]));
    assert_eq!(fed.after, b"OK\r\n");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn a_download_is_taken_whole_whatever_its_bytes_and_chunking(
            body in prop::collection::vec(any::<u8>(), 0..600),
            step in 1usize..64,
        ) {
            let mut stream = b"\r\nCONNECT\r\n".to_vec();
            stream.extend_from_slice(&body);
            stream.extend_from_slice(b"\r\n+QFDWL: 1,2\r\nOK\r\n");
            let (digest, data) = capture_all("CONNECT", body.len(), &stream, step);
            prop_assert_eq!(data, Some(body));
            prop_assert_eq!(digest, b"\r\n\r\n+QFDWL: 1,2\r\nOK\r\n".to_vec());
        }

        #[test]
        fn arbitrary_modem_bytes_never_break_the_capture(
            data in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            fuzz_capture(&data);
        }
    }
}
