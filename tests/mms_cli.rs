//! `gsmq mms decode` end to end: the binary reads an MMS PDU or a WAP push
//! (raw or hex) and prints its headers and parts as JSON.

use std::io::Write;
use std::process::{Command, Stdio};

use gsmq::mms::{ContentType, Param, Part, Pdu, Push};
use gsmq::mmsc::sha256_hex;
use serde_json::Value;

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

#[test]
fn decode_prints_headers_text_inline_and_binary_parts_by_hash() {
    let jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0xFF, 0xD9,
    ];
    let pdu = Pdu::retrieve_conf(
        Some("T-cli"),
        "msg-9",
        "+491701111111",
        &["+491702222222"],
        Some("Grüße"),
        1_700_000_000,
        vec![
            Part::text("text", "text.txt", "hallo welt"),
            Part::new(
                ContentType::new("image/jpeg").with(Param::Name("a.jpg".into())),
                "img",
                "a.jpg",
                jpeg.clone(),
            ),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.mms");
    std::fs::write(&path, pdu.encode().unwrap()).unwrap();

    let (out, err, ok) = gsmq(&["mms", "decode", path.to_str().unwrap()], b"");
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "mms");
    let m = &v["mms"];
    assert_eq!(m["message_type"], "m-retrieve-conf");
    let headers = m["headers"].as_array().unwrap();
    assert!(
        headers.contains(&serde_json::json!({"name": "X-Mms-Transaction-Id", "value": "T-cli"}))
    );
    assert!(headers.contains(&serde_json::json!({"name": "Subject", "value": "Grüße"})));
    assert!(
        headers.contains(&serde_json::json!({"name": "From", "value": "+491701111111/TYPE=PLMN"}))
    );
    let parts = m["parts"].as_array().unwrap();
    assert_eq!(parts[0]["text"], "hallo welt");
    assert_eq!(parts[0]["content_type"], "text/plain; charset=utf-8");
    assert_eq!(parts[1]["content_type"], "image/jpeg; name=\"a.jpg\"");
    assert_eq!(parts[1]["size"], jpeg.len());
    assert_eq!(parts[1]["sha256"], sha256_hex(&jpeg));
    assert!(parts[1].get("text").is_none());
}

#[test]
fn decode_hex_of_a_wap_push_shows_the_push_and_the_notification() {
    let ni = Pdu::notification_ind(
        "T-push",
        Some("+4917"),
        Some("Hi"),
        1234,
        3600,
        "http://mmsc/r/1",
    );
    let push = Push::mms(0x2A, &ni).unwrap().encode().unwrap();
    let hex = hex::encode_upper(&push);
    // Hex on stdin, split by whitespace as pasted from a log.
    let pasted = format!("{}\n{}\n", &hex[..10], &hex[10..]);
    let (out, err, ok) = gsmq(&["mms", "decode", "--hex", "-"], pasted.as_bytes());
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "push");
    assert_eq!(v["push"]["tid"], 0x2A);
    assert_eq!(v["push"]["content_type"], "application/vnd.wap.mms-message");
    assert_eq!(v["mms"]["message_type"], "m-notification-ind");
    let headers = v["mms"]["headers"].as_array().unwrap();
    assert!(headers.contains(
        &serde_json::json!({"name": "X-Mms-Content-Location", "value": "http://mmsc/r/1"})
    ));
}

#[test]
fn decode_of_garbage_fails_with_the_field_and_offset() {
    let (out, err, ok) = gsmq(&["mms", "decode", "--hex", "-"], b"8C 82 98 41 42");
    assert!(!ok);
    assert!(out.is_empty());
    assert!(
        err.contains("X-Mms-Transaction-Id") && err.contains("offset 3"),
        "{err}"
    );
}

#[test]
fn encode_builds_a_send_req_that_decode_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let pic = dir.path().join("pic.png");
    let png = [0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
    std::fs::write(&pic, png).unwrap();
    let out = dir.path().join("m.mms");
    let (_, err, ok) = gsmq(
        &[
            "mms",
            "encode",
            "--to",
            "+491701234567",
            "--subject",
            "Bild",
            "--text",
            "schau mal",
            "--attach",
            pic.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        b"",
    );
    assert!(ok, "{err}");
    let pdu = Pdu::decode(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(pdu.message_type(), Some(gsmq::mms::MessageType::SendReq));
    assert_eq!(pdu.to(), vec!["+491701234567"]);
    let parts = pdu.parts();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].content_type.media, "application/smil");
    assert!(String::from_utf8_lossy(&parts[0].data).contains("src=\"pic.png\""));
    assert_eq!(parts[1].content_type.media, "image/png");
    assert_eq!(parts[1].data, png);
    assert_eq!(parts[2].data, b"schau mal");
}
