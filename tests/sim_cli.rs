//! `gsmq sim` as a program: it prints the seed and the link, serves the
//! control socket, and the link answers like a modem.

mod sim_support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sim_support::Port;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn gsmq_sim_prints_its_seed_and_serves_the_link_and_the_control_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("ttyUSB0");
    let sock = dir.path().join("ctl.sock");
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_gsmq"))
            .args([
                "sim",
                "--personality",
                "ec25",
                "--seed",
                "4242",
                "--timing",
                "fast",
            ])
            .arg("--link")
            .arg(&link)
            .arg("--control")
            .arg(&sock)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gsmq sim"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    assert!(first.contains("seed 4242"), "{first}");
    assert!(first.contains("ec25"), "{first}");
    assert!(first.contains(&link.display().to_string()), "{first}");
    let second = lines.next().expect("a line").expect("utf-8");
    assert!(second.starts_with("control socket:"), "{second}");

    let mut p = Port::open(&link);
    let _boot = p.quiet(Duration::from_millis(100)).await;
    p.exchange(b"AT+CGMI\r", b"AT+CGMI\r\r\nQuectel\r\n\r\nOK\r\n")
        .await;

    let mut s = UnixStream::connect(&sock).expect("connect");
    s.write_all(b"{\"cmd\":\"inject_sms\",\"from\":\"+4917000000001\",\"text\":\"hi\"}\n")
        .expect("write");
    let mut answer = String::new();
    BufReader::new(s.try_clone().expect("clone"))
        .read_line(&mut answer)
        .expect("read");
    assert_eq!(answer.trim(), "{\"ok\":true,\"parts\":1}");
    let urc = p.until(b"\r\n+CMTI: \"SM\",1\r\n").await;
    assert_eq!(urc, b"\r\n+CMTI: \"SM\",1\r\n");
}
