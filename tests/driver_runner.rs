//! The runner over an in-memory duplex with a small scripted modem: sends
//! reach the modem exactly once, received messages are committed before they
//! are deleted, EOF fails the part in flight back to the queue, and the
//! runner reopens the port.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gsmq::modem::memory::{MemoryBackend, PartOutcome};
use gsmq::modem::runner::{ModemRunner, Port, PortOpener, RunnerConfig};
use gsmq::modem::session::SessionConfig;
use gsmq::modem::{Backend, BoxFuture, ModemStatus, OutPart};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Shared view of the fake modem.
#[derive(Debug, Default)]
struct Log {
    /// PDUs (hex, with SCA) accepted by the fake network.
    sent: Vec<String>,
    /// Stored messages by index.
    store: BTreeMap<i32, String>,
    deleted: Vec<i32>,
    /// Commands seen, in order.
    commands: Vec<String>,
    /// Every `AT+CMGS` answer waits this long.
    submit_delay: Duration,
    /// Stop answering (hang).
    hung: bool,
}

enum Ctl {
    /// Store a PDU and announce it with `+CMTI`.
    Deliver(String),
    /// Close the link (unplug).
    Unplug,
}

async fn fake_modem(mut io: DuplexStream, log: Arc<Mutex<Log>>, mut ctl: mpsc::Receiver<Ctl>) {
    let mut echo = true;
    let mut line = Vec::new();
    let mut prompt: Option<Vec<u8>> = None;
    let mut mr: u8 = 0;
    let mut buf = [0u8; 1024];
    loop {
        let n = tokio::select! {
            r = io.read(&mut buf) => match r { Ok(0) | Err(_) => return, Ok(n) => n },
            c = ctl.recv() => {
                match c {
                    Some(Ctl::Deliver(pdu)) => {
                        let idx = {
                            let mut g = log.lock().unwrap();
                            let idx = (1..).find(|i| !g.store.contains_key(i)).unwrap();
                            g.store.insert(idx, pdu);
                            idx
                        };
                        let _ = io.write_all(format!("\r\n+CMTI: \"ME\",{idx}\r\n").as_bytes()).await;
                        continue;
                    }
                    Some(Ctl::Unplug) | None => return,
                }
            }
        };
        if log.lock().unwrap().hung {
            continue;
        }
        let mut out = Vec::new();
        for &b in &buf[..n] {
            if let Some(body) = prompt.as_mut() {
                match b {
                    0x1a => {
                        let pdu = String::from_utf8_lossy(body).into_owned();
                        prompt = None;
                        let delay = {
                            let mut g = log.lock().unwrap();
                            g.sent.push(pdu);
                            g.submit_delay
                        };
                        io.write_all(&out).await.ok();
                        out.clear();
                        tokio::select! {
                            _ = tokio::time::sleep(delay) => {}
                            // Unplugged while the network works on it.
                            _ = ctl.recv() => return,
                        }
                        mr = mr.wrapping_add(1);
                        out.extend(format!("\r\n+CMGS: {mr}\r\n\r\nOK\r\n").as_bytes());
                    }
                    0x1b => prompt = None,
                    b => {
                        if echo {
                            out.push(b);
                        }
                        body.push(b)
                    }
                }
                continue;
            }
            match b {
                0x1b | b'\n' => {}
                b'\r' => {
                    let cmd = String::from_utf8_lossy(&line).into_owned();
                    line.clear();
                    if echo {
                        out.extend(cmd.as_bytes());
                        out.push(b'\r');
                    }
                    log.lock().unwrap().commands.push(cmd.clone());
                    let reply: Vec<String> = match cmd.as_str() {
                        "ATE0" => {
                            echo = false;
                            vec!["OK".into()]
                        }
                        "AT+CPIN?" => vec!["+CPIN: READY".into(), "OK".into()],
                        "AT+CGSN" => vec!["867000000000042".into(), "OK".into()],
                        "AT+CCID" => vec!["8901".into(), "OK".into()],
                        "AT+CSCA?" => vec!["+CSCA: \"+4917\",145".into(), "OK".into()],
                        "AT+CSQ" => vec!["+CSQ: 20,99".into(), "OK".into()],
                        "AT+CMGL=4" => {
                            let g = log.lock().unwrap();
                            let mut v = Vec::new();
                            for (i, p) in &g.store {
                                v.push(format!("+CMGL: {i},0,,{}", p.len() / 2 - 1));
                                v.push(p.clone());
                            }
                            v.push("OK".into());
                            v
                        }
                        c if c.starts_with("AT+CMGS=") => {
                            prompt = Some(Vec::new());
                            out.extend(b"\r\n> ");
                            continue;
                        }
                        c if c.starts_with("AT+CMGR=") => {
                            let i: i32 = c[8..].parse().unwrap_or(-1);
                            let g = log.lock().unwrap();
                            match g.store.get(&i) {
                                Some(p) => vec![
                                    format!("+CMGR: 0,,{}", p.len() / 2 - 1),
                                    p.clone(),
                                    "OK".into(),
                                ],
                                None => vec!["OK".into()],
                            }
                        }
                        c if c.starts_with("AT+CMGD=") => {
                            let i: i32 = c[8..].parse().unwrap_or(-1);
                            let mut g = log.lock().unwrap();
                            g.store.remove(&i);
                            g.deleted.push(i);
                            vec!["OK".into()]
                        }
                        _ => vec!["OK".into()],
                    };
                    for l in reply {
                        out.extend(format!("\r\n{l}\r\n").as_bytes());
                    }
                }
                b => line.push(b),
            }
        }
        if io.write_all(&out).await.is_err() {
            return;
        }
    }
}

/// Hands out a fresh duplex per open, each served by a new fake modem that
/// shares the same log (the same physical modem coming back).
struct DuplexOpener {
    log: Arc<Mutex<Log>>,
    ctl: Arc<Mutex<Option<mpsc::Sender<Ctl>>>>,
    opens: Arc<Mutex<u32>>,
}

impl PortOpener for DuplexOpener {
    fn open(&self) -> BoxFuture<'_, std::io::Result<Box<dyn Port>>> {
        Box::pin(async move {
            let (a, b) = tokio::io::duplex(64 * 1024);
            let (tx, rx) = mpsc::channel(16);
            *self.ctl.lock().unwrap() = Some(tx);
            *self.opens.lock().unwrap() += 1;
            tokio::spawn(fake_modem(b, self.log.clone(), rx));
            Ok(Box::new(a) as Box<dyn Port>)
        })
    }
    fn describe(&self) -> String {
        "duplex".into()
    }
}

struct Rig {
    backend: Arc<MemoryBackend>,
    log: Arc<Mutex<Log>>,
    ctl: Arc<Mutex<Option<mpsc::Sender<Ctl>>>>,
    opens: Arc<Mutex<u32>>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    handle: gsmq::modem::runner::ModemHandle,
}

fn rig() -> Rig {
    let backend = Arc::new(MemoryBackend::new());
    let log = Arc::new(Mutex::new(Log::default()));
    let ctl = Arc::new(Mutex::new(None));
    let opens = Arc::new(Mutex::new(0));
    let opener = DuplexOpener {
        log: log.clone(),
        ctl: ctl.clone(),
        opens: opens.clone(),
    };
    let cancel = CancellationToken::new();
    let mut cfg = RunnerConfig::new(SessionConfig::new("m1"));
    cfg.session.submit_timeout = Duration::from_secs(5);
    cfg.session.prompt_timeout = Duration::from_secs(1);
    cfg.session.command_timeout = Duration::from_secs(1);
    cfg.session.sync_timeout = Duration::from_millis(300);
    cfg.session.reset_timeout = Duration::from_secs(1);
    let (runner, handle) = ModemRunner::new(
        cfg,
        backend.clone() as Arc<dyn Backend>,
        Box::new(opener),
        cancel.clone(),
    );
    let task = tokio::spawn(runner.run());
    Rig {
        backend,
        log,
        ctl,
        opens,
        cancel,
        task,
        handle,
    }
}

fn part(id: i64) -> OutPart {
    OutPart {
        part_id: id,
        tpdu: vec![
            0x11, 0x00, 0x03, 0x91, 0x21, 0xF3, 0x00, 0x00, 0xAA, 0x01, 0x31,
        ],
        to: "+123".into(),
    }
}

const DELIVER: &str =
    "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034";

async fn ready(r: &Rig) {
    let mut w = r.handle.watch();
    tokio::time::timeout(
        Duration::from_secs(10),
        w.wait_for(|s| s.status == ModemStatus::Ready),
    )
    .await
    .expect("ready in time")
    .expect("runner alive");
}

#[tokio::test]
async fn queued_parts_reach_the_modem_exactly_once_each_in_order() {
    let r = rig();
    ready(&r).await;
    for id in 1..=20 {
        r.backend.push(part(id), None);
    }
    assert!(
        r.backend
            .wait_for(Duration::from_secs(10), |b| b.finished().len() == 20)
            .await
    );
    let fin = r.backend.finished();
    for id in 1..=20 {
        assert!(
            matches!(fin[&id], PartOutcome::Sent { mr, .. } if mr == id as u8),
            "{:?}",
            fin[&id]
        );
    }
    assert_eq!(r.log.lock().unwrap().sent.len(), 20);
    // No polling chatter between consecutive sends.
    let cmds = r.log.lock().unwrap().commands.clone();
    let first = cmds.iter().position(|c| c.starts_with("AT+CMGS")).unwrap();
    let last = cmds.iter().rposition(|c| c.starts_with("AT+CMGS")).unwrap();
    assert!(
        cmds[first..=last].iter().all(|c| c.starts_with("AT+CMGS")),
        "{cmds:?}"
    );
    r.cancel.cancel();
    r.task.await.unwrap();
}

#[tokio::test]
async fn a_received_message_is_deleted_only_after_commit() {
    let r = rig();
    ready(&r).await;
    r.backend.set_fail_inbound(true);
    let tx = r.ctl.lock().unwrap().clone().unwrap();
    tx.send(Ctl::Deliver(DELIVER.into())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        r.log.lock().unwrap().deleted.is_empty(),
        "nothing deleted before commit"
    );
    assert!(r.backend.received().is_empty());
    r.backend.set_fail_inbound(false);
    tx.send(Ctl::Deliver(DELIVER.into())).await.unwrap();
    assert!(
        r.backend
            .wait_for(Duration::from_secs(5), |b| !b.received().is_empty())
            .await
    );
    assert!(
        r.backend
            .wait_for(Duration::from_secs(5), |_| !r
                .log
                .lock()
                .unwrap()
                .deleted
                .is_empty())
            .await
    );
    assert_eq!(r.log.lock().unwrap().deleted, vec![2]);
    assert_eq!(r.backend.received()[0].1, hex::decode(DELIVER).unwrap());
    r.cancel.cancel();
    r.task.await.unwrap();
}

#[tokio::test]
async fn an_unplug_mid_send_requeues_the_part_and_the_modem_comes_back() {
    let r = rig();
    ready(&r).await;
    r.log.lock().unwrap().submit_delay = Duration::from_millis(500);
    r.backend.push(part(1), None);
    assert!(
        r.backend
            .wait_for(Duration::from_secs(5), |_| !r
                .log
                .lock()
                .unwrap()
                .sent
                .is_empty())
            .await
    );
    let tx = r.ctl.lock().unwrap().clone().unwrap();
    tx.send(Ctl::Unplug).await.unwrap();
    r.log.lock().unwrap().submit_delay = Duration::ZERO;
    assert!(
        r.backend
            .wait_for(Duration::from_secs(10), |b| b.finished().len() == 1)
            .await
    );
    assert!(matches!(r.backend.finished()[&1], PartOutcome::Sent { .. }));
    let outcomes = r.backend.outcomes();
    assert!(
        matches!(outcomes[0].1, PartOutcome::Failed { .. }),
        "{outcomes:?}"
    );
    assert!(*r.opens.lock().unwrap() >= 2);
    r.cancel.cancel();
    r.task.await.unwrap();
}

#[tokio::test]
async fn messages_stored_while_offline_are_swept_at_start() {
    let r = rig();
    r.log.lock().unwrap().store.insert(7, DELIVER.into());
    ready(&r).await;
    assert!(
        r.backend
            .wait_for(Duration::from_secs(5), |_| r.log.lock().unwrap().deleted
                == vec![7])
            .await
    );
    assert_eq!(r.backend.received().len(), 1);
    r.cancel.cancel();
    r.task.await.unwrap();
}

#[tokio::test]
async fn a_hung_modem_fails_the_part_back_and_is_reset() {
    let r = rig();
    ready(&r).await;
    r.log.lock().unwrap().hung = true;
    r.backend.push(part(1), None);
    // prompt timeout, probe, reset...
    assert!(
        r.backend
            .wait_for(Duration::from_secs(10), |b| !b.outcomes().is_empty())
            .await
    );
    assert!(matches!(
        r.backend.outcomes()[0].1,
        PartOutcome::Failed { .. }
    ));
    r.log.lock().unwrap().hung = false;
    assert!(
        r.backend
            .wait_for(Duration::from_secs(60), |b| b.finished().len() == 1)
            .await
    );
    r.cancel.cancel();
    r.task.await.unwrap();
}
