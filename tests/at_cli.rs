//! `gsmq at parse` end to end: the binary reads a capture on stdin or from a
//! file and prints one JSON object per event.

use std::io::Write;
use std::process::{Command, Stdio};

fn gsmq(args: &[&str], stdin: &[u8]) -> (String, String, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gsmq"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gsmq runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let out = child.wait_with_output().expect("gsmq exits");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

const CAPTURE: &[u8] = b"\xff\r\nAT+CREG?\r\r\n+CREG: 1,\"00C3\",\"0000A13F\"\r\n\r\n+CREG: 2,1,\"00C3\",\"0000A13F\"\r\n\r\nOK\r\nAT+CMGS=23\r\r\n> 0011\x1a\r\n+CMTI: \"SM\",2\r\n\r\n+CMGS: 7\r\n\r\nOK\r\n";

#[test]
fn parse_prints_one_typed_json_object_per_event() {
    let (out, err, ok) = gsmq(&["at", "parse", "--summary"], CAPTURE);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec![
            r#"{"event":"garbage","len":1}"#,
            r#"{"event":"echo","text":"AT+CREG?"}"#,
            r#"{"event":"urc","urc":{"data":{"act":null,"ci":41279,"kind":"cs","lac":195,"mode":null,"stat":1},"type":"registration"}}"#,
            r#"{"event":"info","text":"+CREG: 2,1,\"00C3\",\"0000A13F\"","typed":{"type":"registration","value":{"act":null,"ci":41279,"kind":"cs","lac":195,"mode":2,"stat":1}}}"#,
            r#"{"event":"final","final":{"type":"ok"}}"#,
            r#"{"event":"echo","text":"AT+CMGS=23"}"#,
            r#"{"event":"prompt"}"#,
            r#"{"event":"echo","text":"0011"}"#,
            r#"{"event":"urc","urc":{"data":{"index":2,"mem":"SM"},"type":"cmti"}}"#,
            r#"{"event":"info","text":"+CMGS: 7","typed":{"type":"cmgs","value":7}}"#,
            r#"{"event":"final","final":{"type":"ok"}}"#,
        ]
    );
    assert!(err.contains(r#""garbage_bytes":1"#), "{err}");
}

#[test]
fn parse_bytewise_prints_the_same_events() {
    let (whole, _, _) = gsmq(&["at", "parse"], CAPTURE);
    let (bytewise, _, ok) = gsmq(&["at", "parse", "--bytewise"], CAPTURE);
    assert!(ok);
    assert_eq!(whole, bytewise);
}

#[test]
fn parse_uses_expected_commands_for_an_echo_off_capture() {
    let esc = b"\\r\\n+CSQ: 9,99\\r\\n\\r\\nOK\\r\\n\n\\r\\n+CSQ: 12,99\\r\\n";
    let (out, err, ok) = gsmq(
        &["at", "parse", "--input", "escaped", "--expect", "AT+CSQ"],
        esc,
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with(r#"{"event":"info","text":"+CSQ: 9,99""#));
    assert!(lines[2].starts_with(r#"{"event":"urc""#), "{}", lines[2]);
}

#[test]
fn parse_reads_transcript_files_and_reports_bad_lines() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sim800/boot.at");
    let (out, err, ok) = gsmq(&["at", "parse", "--input", "transcript", path], b"");
    assert!(ok, "{err}");
    assert!(out.contains(r#"{"event":"host","text":"AT+CMGF=0"}"#));
    assert!(out.contains(r#""type":"mms_push""#));
    let (_, err, ok) = gsmq(&["at", "parse", "--input", "transcript"], b"bogus\n");
    assert!(!ok);
    assert!(err.contains("line 1"), "{err}");
}
