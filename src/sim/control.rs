//! The control socket of `gsmq sim`: a Unix socket speaking JSON lines.
//! Each request is one JSON object on one line; each answer is one line,
//! `{"ok":true,...}` or `{"ok":false,"error":"..."}`.
//!
//! Requests (`modem` may be left out when the network has one modem):
//! - `{"cmd":"list"}`
//! - `{"cmd":"inject_sms","modem":"a","from":"+4917...","text":"...","alphabet":"auto|gsm7|ucs2"}`
//! - `{"cmd":"inject_pdu","modem":"a","pdu":"<hex TPDU>","with_smsc":false}`
//! - `{"cmd":"reset","modem":"a","kind":"soft|mid_response"}`
//! - `{"cmd":"unplug","modem":"a","down_ms":2000,"rename":true}`
//! - `{"cmd":"hang","modem":"a","ms":5000}`
//! - `{"cmd":"set_signal","modem":"a","rssi":10,"ber":99}`
//! - `{"cmd":"set_registration","modem":"a","stat":5}`
//! - `{"cmd":"urc","modem":"a","text":"RING"}`
//! - `{"cmd":"sent_log","modem":"a"}` → messages (parts joined) and parts,
//!   each decoded with the PDU codec.
//!
//! Guarantees: a malformed request gets an error answer, never a crash;
//! a request line is at most [`MAX_REQUEST`] bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

use super::codec::Alphabet;
use super::modem::ResetKind;
use super::network::Network;
use super::pty::SimHandle;
use super::{Error, Result};

/// Longest request line accepted.
pub const MAX_REQUEST: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
enum Request {
    List,
    InjectSms {
        modem: Option<String>,
        from: String,
        text: String,
        #[serde(default)]
        alphabet: AlphabetName,
    },
    InjectPdu {
        modem: Option<String>,
        pdu: String,
        #[serde(default)]
        with_smsc: bool,
    },
    Reset {
        modem: Option<String>,
        #[serde(default)]
        kind: ResetName,
    },
    Unplug {
        modem: Option<String>,
        #[serde(default = "default_down_ms")]
        down_ms: u64,
        #[serde(default)]
        rename: bool,
    },
    Hang {
        modem: Option<String>,
        ms: u64,
    },
    SetSignal {
        modem: Option<String>,
        rssi: u8,
        #[serde(default = "default_ber")]
        ber: u8,
    },
    SetRegistration {
        modem: Option<String>,
        stat: u8,
    },
    Urc {
        modem: Option<String>,
        text: String,
    },
    SentLog {
        modem: Option<String>,
    },
}

fn default_down_ms() -> u64 {
    2000
}

fn default_ber() -> u8 {
    99
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AlphabetName {
    #[default]
    Auto,
    Gsm7,
    Ucs2,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ResetName {
    #[default]
    Soft,
    MidResponse,
}

/// Serves the control socket at `path` until the task is aborted. Binds
/// before returning, so a client may connect as soon as this returns.
pub async fn serve_control(
    path: &Path,
    network: Arc<Network>,
) -> Result<tokio::task::JoinHandle<()>> {
    let err = |source| Error::Control {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
    }
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path).map_err(err)?;
    let path: PathBuf = path.to_path_buf();
    Ok(tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let net = network.clone();
                    tokio::spawn(async move {
                        let (r, mut w) = stream.into_split();
                        let mut lines = BufReader::new(r);
                        let mut line = String::new();
                        loop {
                            line.clear();
                            match lines.read_line(&mut line).await {
                                Ok(0) | Err(_) => break,
                                Ok(_) => {}
                            }
                            let answer = if line.len() > MAX_REQUEST {
                                json!({"ok": false, "error": "request too long"})
                            } else if line.trim().is_empty() {
                                continue;
                            } else {
                                handle_line(&net, line.trim()).await
                            };
                            let mut out = answer.to_string();
                            out.push('\n');
                            if w.write_all(out.as_bytes()).await.is_err() {
                                break;
                            }
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(socket = %path.display(), error = %e, "control accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }))
}

/// Executes one request line and returns the answer object.
pub async fn handle_line(net: &Network, line: &str) -> Value {
    let req: Request = match serde_json::from_str(line) {
        Ok(r) => r,
        Err(e) => return json!({"ok": false, "error": format!("bad request: {e}")}),
    };
    match execute(net, req).await {
        Ok(v) => v,
        Err(e) => json!({"ok": false, "error": e.to_string()}),
    }
}

fn pick<'a>(net: &'a Network, name: &Option<String>) -> Result<&'a SimHandle> {
    match name {
        Some(n) => net.modem(n).ok_or_else(|| Error::NoSuchModem(n.clone())),
        None => match net.modems() {
            [(_, h)] => Ok(h),
            _ => Err(Error::NoSuchModem("(none given; name one)".into())),
        },
    }
}

async fn execute(net: &Network, req: Request) -> Result<Value> {
    let ok = json!({"ok": true});
    Ok(match req {
        Request::List => {
            let mut list = Vec::new();
            for (name, h) in net.modems() {
                let pty = h.pty_path().await.unwrap_or_default();
                list.push(json!({
                    "name": name,
                    "personality": h.personality().as_str(),
                    "number": h.number(),
                    "path": h.path(),
                    "pty": pty,
                    "seed": h.seed(),
                }));
            }
            json!({"ok": true, "modems": list})
        }
        Request::InjectSms {
            modem,
            from,
            text,
            alphabet,
        } => {
            let a = match alphabet {
                AlphabetName::Auto => Alphabet::Auto,
                AlphabetName::Gsm7 => Alphabet::Gsm7,
                AlphabetName::Ucs2 => Alphabet::Ucs2,
            };
            let parts = pick(net, &modem)?.inject_sms_with(&from, &text, a).await?;
            json!({"ok": true, "parts": parts})
        }
        Request::InjectPdu {
            modem,
            pdu,
            with_smsc,
        } => {
            let bytes = hex::decode(pdu.trim()).map_err(|_| Error::Hex)?;
            let tpdu = if with_smsc {
                let sca = usize::from(*bytes.first().ok_or(Error::Hex)?);
                bytes.get(1 + sca..).ok_or(Error::Hex)?.to_vec()
            } else {
                bytes
            };
            pick(net, &modem)?.inject_pdu(&tpdu).await?;
            ok
        }
        Request::Reset { modem, kind } => {
            let k = match kind {
                ResetName::Soft => ResetKind::Soft,
                ResetName::MidResponse => ResetKind::MidResponse,
            };
            pick(net, &modem)?.reset(k).await?;
            ok
        }
        Request::Unplug {
            modem,
            down_ms,
            rename,
        } => {
            pick(net, &modem)?
                .unplug(Duration::from_millis(down_ms), rename)
                .await?;
            ok
        }
        Request::Hang { modem, ms } => {
            pick(net, &modem)?.hang(Duration::from_millis(ms)).await?;
            ok
        }
        Request::SetSignal { modem, rssi, ber } => {
            pick(net, &modem)?.set_signal(rssi, ber).await?;
            ok
        }
        Request::SetRegistration { modem, stat } => {
            pick(net, &modem)?.set_registration(stat).await?;
            ok
        }
        Request::Urc { modem, text } => {
            pick(net, &modem)?.inject_urc(&text).await?;
            ok
        }
        Request::SentLog { modem } => {
            let h = pick(net, &modem)?;
            json!({
                "ok": true,
                "messages": h.sent_log().await,
                "parts": h.sent_parts().await,
            })
        }
    })
}
