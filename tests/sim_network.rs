//! Several simulated modems in one network text each other, and the
//! JSON-lines control socket drives them.

mod sim_support;

use std::sync::Arc;
use std::time::Duration;

use gsmq::sim::{self, Network, NetworkConfig, Personality, SimOptions, Timing};
use serde_json::{json, Value};
use sim_support::Port;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

const A: &str = "+4915100000001";
const B: &str = "+4915100000002";

fn two_modems() -> Vec<(String, SimOptions)> {
    vec![
        (
            "alpha".into(),
            SimOptions {
                personality: Personality::Sim800,
                number: A.into(),
                timing: Timing::fast(),
                ..SimOptions::default()
            },
        ),
        (
            "bravo".into(),
            SimOptions {
                personality: Personality::Sim7600,
                number: B.into(),
                seed: 2,
                timing: Timing::fast(),
                ..SimOptions::default()
            },
        ),
    ]
}

/// Semi-octet form of a number, as it appears inside a PDU.
fn semi_octets(number: &str) -> String {
    let d: Vec<char> = number.trim_start_matches('+').chars().collect();
    d.chunks(2)
        .map(|p| format!("{}{}", p.get(1).copied().unwrap_or('F'), p[0]))
        .collect()
}

/// "hellohello" to `to` with first octet `fo`, as `00` + TPDU hex.
fn submit_pdu(fo: u8, to: &str) -> String {
    let digits = to.trim_start_matches('+').len();
    format!(
        "00{fo:02X}00{digits:02X}91{}0000AA0AE8329BFD4697D9EC37",
        semi_octets(to)
    )
}

fn cmgs(pdu: &str) -> String {
    format!("AT+CMGS={}\r", pdu.len() / 2 - 1)
}

#[tokio::test]
async fn a_message_from_one_simulated_modem_arrives_at_the_other() {
    let net = Network::start(two_modems()).expect("network");
    let a = net.modem("alpha").expect("alpha");
    let b = net.modem("bravo").expect("bravo");
    let mut pa = Port::open(a.path());
    let mut pb = Port::open(b.path());
    let _ = pa.quiet(Duration::from_millis(50)).await;
    let _ = pb.quiet(Duration::from_millis(50)).await;
    pa.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n").await;
    pb.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n").await;

    // "hellohello" to B (+4915100000002), 23 TPDU octets.
    let pdu = submit_pdu(0x11, B);
    pa.exchange(cmgs(&pdu).as_bytes(), b"\r\n> ").await;
    pa.write(pdu.as_bytes()).await;
    pa.exchange(b"\x1a", b"\r\n+CMGS: 0\r\n\r\nOK\r\n").await;

    let urc = pb.until(b"\r\n+CMTI: \"SM\",0\r\n").await;
    assert_eq!(urc, b"\r\n+CMTI: \"SM\",0\r\n");
    pb.write(b"AT+CMGR=0\r").await;
    let answer = String::from_utf8(pb.until(b"\r\nOK\r\n").await).expect("ascii");
    let pdu_line = answer
        .split("\r\n")
        .find(|l| !l.is_empty() && !l.starts_with('+') && l != &"OK")
        .expect("a PDU line");
    // Originator is A, user data is the same "hellohello".
    assert!(pdu_line.contains(&semi_octets(A)), "{pdu_line}");
    assert!(pdu_line.ends_with("0AE8329BFD4697D9EC37"), "{pdu_line}");
    let sent = a.sent_log().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].from, A);
    assert_eq!(sent[0].to, B);
    assert_eq!(sent[0].text, "hellohello");
}

async fn ask(
    w: &mut tokio::net::unix::OwnedWriteHalf,
    r: &mut BufReader<tokio::net::unix::OwnedReadHalf>,
    req: Value,
) -> Value {
    let mut line = req.to_string();
    line.push('\n');
    w.write_all(line.as_bytes()).await.expect("write");
    let mut answer = String::new();
    r.read_line(&mut answer).await.expect("read");
    serde_json::from_str(&answer).expect("json answer")
}

#[tokio::test]
async fn the_control_socket_injects_messages_and_reads_the_sent_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("control.sock");
    let net = Arc::new(Network::start(two_modems()).expect("network"));
    let _server = sim::serve_control(&sock, net.clone()).await.expect("serve");
    let stream = UnixStream::connect(&sock).await.expect("connect");
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);

    let list = ask(&mut w, &mut r, json!({"cmd": "list"})).await;
    assert_eq!(list["ok"], true);
    assert_eq!(list["modems"][0]["name"], "alpha");
    assert_eq!(list["modems"][1]["personality"], "sim7600");
    assert_eq!(list["modems"][1]["number"], B);

    let b = net.modem("bravo").expect("bravo");
    let mut pb = Port::open(b.path());
    let _ = pb.quiet(Duration::from_millis(50)).await;
    pb.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n").await;

    let long: String = "Ünïcödé über alles ✓ ".chars().cycle().take(150).collect();
    let inj = ask(
        &mut w,
        &mut r,
        json!({"cmd": "inject_sms", "modem": "bravo", "from": A, "text": long}),
    )
    .await;
    assert_eq!(inj, json!({"ok": true, "parts": 3}));
    for idx in 0..3 {
        let urc = format!("\r\n+CMTI: \"SM\",{idx}\r\n");
        assert_eq!(pb.until(urc.as_bytes()).await, urc.as_bytes());
    }

    // A raw PDU: MODEM-SPEC §6.2's "Hello raspberry pi" (with its SMSC).
    let raw = ask(
        &mut w,
        &mut r,
        json!({"cmd": "inject_pdu", "modem": "bravo", "with_smsc": true,
               "pdu": "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034"}),
    )
    .await;
    assert_eq!(raw, json!({"ok": true}));
    assert_eq!(
        pb.until(b"\r\n+CMTI: \"SM\",3\r\n").await,
        b"\r\n+CMTI: \"SM\",3\r\n"
    );
    pb.write(b"AT+CMGR=3\r").await;
    let answer = String::from_utf8(pb.until(b"\r\nOK\r\n").await).expect("ascii");
    assert!(
        answer.contains("\r\n+CMGR: 0,,35\r\n"),
        "the raw TPDU is stored as given: {answer:?}"
    );

    // Bravo sends to alpha; the sent log shows it decoded.
    let pdu = submit_pdu(0x31, A);
    pb.exchange(cmgs(&pdu).as_bytes(), b"\r\n> ").await;
    pb.write(format!("{pdu}\x1a").as_bytes()).await;
    let _ = pb.until(b"OK\r\n").await;
    let log = ask(&mut w, &mut r, json!({"cmd": "sent_log", "modem": "bravo"})).await;
    assert_eq!(log["ok"], true);
    assert_eq!(log["messages"][0]["to"], A);
    assert_eq!(log["messages"][0]["text"], "hellohello");
    assert_eq!(log["messages"][0]["status_report"], true);
    assert_eq!(log["parts"][0]["tpdu"], pdu[2..]);

    let sig = ask(
        &mut w,
        &mut r,
        json!({"cmd": "set_signal", "modem": "bravo", "rssi": 4}),
    )
    .await;
    assert_eq!(sig["ok"], true);
    pb.exchange(b"AT+CSQ\r", b"\r\n+CSQ: 4,99\r\n\r\nOK\r\n")
        .await;

    let bad = ask(&mut w, &mut r, json!({"cmd": "warp"})).await;
    assert_eq!(bad["ok"], false);
    let nobody = ask(
        &mut w,
        &mut r,
        json!({"cmd": "hang", "modem": "charlie", "ms": 10}),
    )
    .await;
    assert_eq!(nobody["ok"], false);
    assert!(nobody["error"].as_str().unwrap_or("").contains("charlie"));
}

#[test]
fn the_example_network_file_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/sim-network.toml");
    let cfg = NetworkConfig::load(&path).expect("example network file loads");
    let modems = cfg.options().expect("options");
    assert!(modems.len() >= 2);
    let names: Vec<&str> = modems.iter().map(|(n, _)| n.as_str()).collect();
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(names, unique);
}

#[test]
fn a_network_file_with_a_duplicate_number_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("net.toml");
    std::fs::write(
        &path,
        "[[modem]]\nname = \"a\"\npersonality = \"ec25\"\nnumber = \"+491\"\n\
         [[modem]]\nname = \"b\"\npersonality = \"generic\"\nnumber = \"+491\"\n",
    )
    .expect("write");
    let err = NetworkConfig::load(&path).expect_err("duplicate number");
    assert!(err.to_string().contains("+491"), "{err}");
    std::fs::write(
        &path,
        "[[modem]]\nname = \"a\"\npersonality = \"nokia\"\nnumber = \"+491\"\n",
    )
    .expect("write");
    let err = NetworkConfig::load(&path).expect_err("unknown personality");
    assert!(err.to_string().contains("nokia"), "{err}");
    std::fs::write(
        &path,
        "[[modem]]\nname = \"a\"\npersonality = \"ec25\"\nnumber = \"+491\"\n\
         [modem.fault_knobs]\nurc = 1.5\n",
    )
    .expect("write");
    let err = NetworkConfig::load(&path).expect_err("probability above 1");
    assert!(err.to_string().contains("faults.urc"), "{err}");
    std::fs::write(
        &path,
        "[[modem]]\nname = \"a\"\npersonality = \"ec25\"\nnumber = \"+491\"\n\
         [modem.timing]\ncnma_timeout_ms = 18446744073709551615\n",
    )
    .expect("write");
    let err = NetworkConfig::load(&path).expect_err("a delay that would overflow");
    assert!(err.to_string().contains("cnma_timeout_ms"), "{err}");
}
