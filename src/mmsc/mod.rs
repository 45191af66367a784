//! MM1 over IP: the HTTP side of MMS (OMA-MMS-CTR §8, WAP-230 HTTP
//! binding) for modems that expose a network interface, plus a fake MMSC
//! for tests and the simulator ([`fake::FakeMmsc`]).
//!
//! Sending POSTs an encoded m-send-req to the MMSC (through the MMS proxy
//! when configured) and reads m-send-conf. Receiving takes the
//! m-notification-ind from a WAP push, GETs the content location, decodes
//! m-retrieve-conf, POSTs m-notifyresp-ind (Retrieved) and returns an
//! [`InboundMms`]; parts above a size limit are written to a spool directory
//! and referenced by path and SHA-256.
//!
//! Guarantees: a submission whose outcome is unknown (the MMSC took the
//! connection, then the answer never came) is reported as
//! [`SendOutcome::Unknown`] and is re-posted only when
//! [`Mm1Config::unknown_retries`] allows it; every request and response
//! size is bounded; errors are typed.
//!
//! [`worker::Worker`] is the gateway's MMS task on top of the client: it
//! sends the store's queued MMS and handles received WAP pushes.

pub mod fake;
mod http;
pub mod worker;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::mms::{self, wsp, Body, MessageType, Pdu, Push};

/// Result of this module.
pub type Result<T> = std::result::Result<T, Error>;

/// What can go wrong on MM1.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid MM1 configuration: {0}")]
    Config(String),
    #[error("MMS codec: {0}")]
    Codec(#[from] mms::Error),
    /// The MMSC (or proxy) could not be reached: nothing was sent.
    #[error("cannot connect to the MMSC: {0}")]
    Connect(String),
    #[error("HTTP {status} from the MMSC for {what}")]
    Http { status: u16, what: &'static str },
    #[error("HTTP transport error during {what}: {reason}")]
    Transport { what: &'static str, reason: String },
    #[error("MMSC response larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("expected {expected}, got {got}")]
    UnexpectedPdu {
        expected: &'static str,
        got: &'static str,
    },
    #[error("{0} is missing")]
    MissingHeader(&'static str),
    #[error("retrieval failed with X-Mms-Retrieve-Status {0:#04x}")]
    RetrieveStatus(u8),
    #[error("spool directory: {0}")]
    Spool(#[from] std::io::Error),
}

/// MM1 client settings.
#[derive(Debug, Clone)]
pub struct Mm1Config {
    /// The MMSC URL m-send-req and m-notifyresp-ind are posted to.
    pub mmsc_url: String,
    /// MMS proxy, `http://10.0.0.172:80` or `10.0.0.172:80`; `None` = direct
    /// (environment proxies are ignored either way).
    pub proxy: Option<String>,
    pub connect_timeout: Duration,
    /// Limit on one whole request (connect, send, answer).
    pub request_timeout: Duration,
    /// How often a submission with an unknown outcome is re-posted (0 = never:
    /// a re-post may duplicate the message).
    pub unknown_retries: u32,
    /// Parts larger than this are written to the spool directory.
    pub inline_max_bytes: usize,
    /// Limit on an m-retrieve-conf or m-send-conf body.
    pub response_max_bytes: usize,
    pub user_agent: String,
}

impl Default for Mm1Config {
    fn default() -> Mm1Config {
        Mm1Config {
            mmsc_url: String::new(),
            proxy: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            unknown_retries: 0,
            inline_max_bytes: 64 * 1024,
            response_max_bytes: 2 * 1024 * 1024,
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// The result of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// m-send-conf with X-Mms-Response-Status Ok.
    Accepted { message_id: Option<String> },
    /// The MMSC answered and refused (`status` from m-send-conf, or `None`
    /// for an HTTP error status).
    Rejected {
        http_status: u16,
        status: Option<u8>,
        text: Option<String>,
    },
    /// The MMSC may or may not have the message: do not re-send blindly.
    Unknown { reason: String },
}

impl SendOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            SendOutcome::Accepted { .. } => "accepted",
            SendOutcome::Rejected { .. } => "rejected",
            SendOutcome::Unknown { .. } => "unknown",
        }
    }
}

/// Where a received part's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartBody {
    Inline(Vec<u8>),
    /// Written to the spool directory.
    File(PathBuf),
}

/// One part of a received MMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundPart {
    /// Media type with parameters, e.g. `text/plain; charset=utf-8`.
    pub content_type: String,
    pub media: String,
    pub content_id: Option<String>,
    pub content_location: Option<String>,
    pub size: usize,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    pub body: PartBody,
}

/// A received MMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMms {
    pub transaction_id: String,
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub subject: Option<String>,
    pub date: Option<DateTime<Utc>>,
    pub parts: Vec<InboundPart>,
    /// `false` when m-notifyresp-ind could not be delivered (the MMSC may
    /// notify again).
    pub acknowledged: bool,
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

const MMS_CONTENT_TYPE: &str = "application/vnd.wap.mms-message";

/// An MM1 HTTP client.
#[derive(Debug, Clone)]
pub struct Mm1Client {
    http: reqwest::Client,
    cfg: Mm1Config,
}

impl Mm1Client {
    pub fn new(cfg: Mm1Config) -> Result<Mm1Client> {
        reqwest::Url::parse(&cfg.mmsc_url)
            .map_err(|e| Error::Config(format!("mmsc_url {:?}: {e}", cfg.mmsc_url)))?;
        let mut b = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(cfg.user_agent.clone())
            .no_proxy();
        if let Some(p) = &cfg.proxy {
            let url = if p.contains("://") {
                p.clone()
            } else {
                format!("http://{p}")
            };
            let proxy = reqwest::Proxy::all(&url)
                .map_err(|e| Error::Config(format!("proxy {p:?}: {e}")))?;
            b = b.proxy(proxy);
        }
        let http = b
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Mm1Client { http, cfg })
    }

    pub fn config(&self) -> &Mm1Config {
        &self.cfg
    }

    /// Submits an m-send-req. `Err(Error::Connect)` means nothing reached
    /// the MMSC (safe to retry); an unknown outcome is `Ok(Unknown)`.
    pub async fn send(&self, req: &Pdu) -> Result<SendOutcome> {
        if req.message_type() != Some(MessageType::SendReq) {
            return Err(Error::UnexpectedPdu {
                expected: "m-send-req",
                got: type_name(req),
            });
        }
        let body = req.encode()?;
        let mut attempt = 0;
        loop {
            let outcome = match self.send_once(&body).await {
                Ok(o) => o,
                // An earlier attempt may have reached the MMSC.
                Err(Error::Connect(reason)) if attempt > 0 => SendOutcome::Unknown {
                    reason: format!("re-post could not connect: {reason}"),
                },
                Err(e) => return Err(e),
            };
            match outcome {
                SendOutcome::Unknown { .. } if attempt < self.cfg.unknown_retries => {
                    attempt += 1;
                    tracing::warn!(
                        attempt,
                        "MMS submission outcome unknown; re-posting as configured"
                    );
                }
                other => return Ok(other),
            }
        }
    }

    async fn send_once(&self, body: &[u8]) -> Result<SendOutcome> {
        let resp = match self.post(&self.cfg.mmsc_url, body.to_vec()).await {
            Ok(r) => r,
            Err(e) if e.is_connect() => return Err(Error::Connect(error_chain(&e))),
            Err(e) => {
                return Ok(SendOutcome::Unknown {
                    reason: error_chain(&e),
                })
            }
        };
        let http_status = resp.status().as_u16();
        let bytes = match self.read_limited(resp).await {
            Ok(b) => b,
            // The MMSC answered something we could not read: it may have the message.
            Err(e) => {
                return Ok(SendOutcome::Unknown {
                    reason: e.to_string(),
                })
            }
        };
        if http_status == 504 {
            // A proxy gave up waiting for the MMSC, which may have the message.
            return Ok(SendOutcome::Unknown {
                reason: "HTTP 504 gateway timeout".into(),
            });
        }
        if !(200..300).contains(&http_status) {
            return Ok(SendOutcome::Rejected {
                http_status,
                status: None,
                text: None,
            });
        }
        let conf = match Pdu::decode(&bytes) {
            Ok(p) if p.message_type() == Some(MessageType::SendConf) => p,
            Ok(p) => {
                return Ok(SendOutcome::Unknown {
                    reason: format!("MMSC answered {} instead of m-send-conf", type_name(&p)),
                })
            }
            Err(e) => {
                return Ok(SendOutcome::Unknown {
                    reason: format!("undecodable m-send-conf: {e}"),
                })
            }
        };
        match conf.response_status() {
            Some(mms::response::OK) => Ok(SendOutcome::Accepted {
                message_id: conf.message_id().map(str::to_owned),
            }),
            status => Ok(SendOutcome::Rejected {
                http_status,
                status,
                text: conf.response_text().map(str::to_owned),
            }),
        }
    }

    /// Handles a WAP push: when it carries an m-notification-ind, retrieves
    /// and acknowledges the message.
    pub async fn receive(&self, push: &Push, spool: &Path) -> Result<InboundMms> {
        let pdu = push.mms_pdu()?;
        self.retrieve(&pdu, spool).await
    }

    /// Fetches the message an m-notification-ind announces, then posts
    /// m-notifyresp-ind (Retrieved).
    pub async fn retrieve(&self, notification: &Pdu, spool: &Path) -> Result<InboundMms> {
        if notification.message_type() != Some(MessageType::NotificationInd) {
            return Err(Error::UnexpectedPdu {
                expected: "m-notification-ind",
                got: type_name(notification),
            });
        }
        let tid = notification
            .transaction_id()
            .ok_or(Error::MissingHeader("X-Mms-Transaction-Id"))?
            .to_owned();
        let location = notification
            .content_location()
            .ok_or(Error::MissingHeader("X-Mms-Content-Location"))?;
        let resp = self
            .http
            .get(location)
            .header(reqwest::header::ACCEPT, MMS_CONTENT_TYPE)
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    Error::Connect(error_chain(&e))
                } else {
                    Error::Transport {
                        what: "retrieval",
                        reason: error_chain(&e),
                    }
                }
            })?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(Error::Http {
                status,
                what: "retrieval",
            });
        }
        let bytes = self.read_limited(resp).await?;
        let conf = Pdu::decode(&bytes)?;
        check_retrieve_conf(&conf)?;
        let mut inbound = inbound_from_conf(&tid, &conf, spool, self.cfg.inline_max_bytes).await?;
        let ack = Pdu::notifyresp_ind(&tid, mms::status::RETRIEVED).encode()?;
        inbound.acknowledged = match self.post(&self.cfg.mmsc_url, ack).await {
            Ok(r) if r.status().is_success() => true,
            Ok(r) => {
                tracing::warn!(
                    status = r.status().as_u16(),
                    "MMSC refused m-notifyresp-ind"
                );
                false
            }
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "m-notifyresp-ind not delivered");
                false
            }
        };
        Ok(inbound)
    }

    async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
    ) -> std::result::Result<reqwest::Response, reqwest::Error> {
        self.http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, MMS_CONTENT_TYPE)
            .header(reqwest::header::ACCEPT, MMS_CONTENT_TYPE)
            .body(body)
            .send()
            .await
    }

    async fn read_limited(&self, mut resp: reqwest::Response) -> Result<Vec<u8>> {
        let limit = self.cfg.response_max_bytes;
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Error::TooLarge { limit });
        }
        let mut out = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if out.len() + c.len() > limit {
                        return Err(Error::TooLarge { limit });
                    }
                    out.extend_from_slice(&c);
                }
                Ok(None) => return Ok(out),
                Err(e) => {
                    return Err(Error::Transport {
                        what: "response body",
                        reason: error_chain(&e),
                    })
                }
            }
        }
    }
}

/// One plain HTTP exchange with an MMSC, as a modem's own HTTP client makes
/// it (the simulator): GET `url`, or POST `body` as an MMS PDU, through
/// `proxy` (`host:port`) if any. Returns the status (0 when nothing
/// answered) and the body (bounded like [`Mm1Config::response_max_bytes`]).
pub async fn exchange(url: &str, proxy: Option<&str>, body: Option<Vec<u8>>) -> (u16, Vec<u8>) {
    let client = match Mm1Client::new(Mm1Config {
        mmsc_url: url.to_owned(),
        proxy: proxy.map(str::to_owned),
        request_timeout: Duration::from_secs(30),
        ..Mm1Config::default()
    }) {
        Ok(c) => c,
        Err(_) => return (0, Vec::new()),
    };
    let sent = match body {
        Some(b) => client.post(url, b).await,
        None => {
            client
                .http
                .get(url)
                .header(reqwest::header::ACCEPT, MMS_CONTENT_TYPE)
                .send()
                .await
        }
    };
    let Ok(resp) = sent else {
        return (0, Vec::new());
    };
    let status = resp.status().as_u16();
    match client.read_limited(resp).await {
        Ok(b) => (status, b),
        Err(_) => (0, Vec::new()),
    }
}

/// Checks an m-retrieve-conf (message type, X-Mms-Retrieve-Status).
pub fn check_retrieve_conf(conf: &Pdu) -> Result<()> {
    if conf.message_type() != Some(MessageType::RetrieveConf) {
        return Err(Error::UnexpectedPdu {
            expected: "m-retrieve-conf",
            got: type_name(conf),
        });
    }
    if let Some(st) = conf.headers.iter().find_map(|h| match h {
        mms::Header::RetrieveStatus(s) => Some(*s),
        _ => None,
    }) {
        if st != mms::response::OK {
            return Err(Error::RetrieveStatus(st));
        }
    }
    Ok(())
}

/// One received part: inline, or written to `spool` when larger than
/// `inline_max` bytes (named after the transaction and the part).
pub async fn inbound_part(
    tid: &str,
    index: usize,
    p: &mms::Part,
    spool: &Path,
    inline_max: usize,
) -> Result<InboundPart> {
    let sha256 = sha256_hex(&p.data);
    let size = p.data.len();
    let body = if size > inline_max {
        tokio::fs::create_dir_all(spool).await?;
        let name = p
            .content_location()
            .or(p.content_type.name())
            .unwrap_or("part");
        let path = spool.join(format!("{}-{index}-{}", sanitize(tid), sanitize(name)));
        tokio::fs::write(&path, &p.data).await?;
        PartBody::File(path)
    } else {
        PartBody::Inline(p.data.clone())
    };
    Ok(InboundPart {
        content_type: p.content_type.to_string(),
        media: p.content_type.media.clone(),
        content_id: p.content_id().map(str::to_owned),
        content_location: p.content_location().map(str::to_owned),
        size,
        sha256,
        body,
    })
}

/// The received MMS an m-retrieve-conf carries (parts above `inline_max`
/// bytes spooled); `acknowledged` is left `false`.
pub async fn inbound_from_conf(
    tid: &str,
    conf: &Pdu,
    spool: &Path,
    inline_max: usize,
) -> Result<InboundMms> {
    let owned: Vec<mms::Part> = match &conf.content {
        Some((_, Body::Multipart(p))) => p.clone(),
        Some((ct, Body::Single(d))) => vec![mms::Part {
            content_type: ct.clone(),
            headers: Vec::new(),
            data: d.clone(),
        }],
        None => Vec::new(),
    };
    let mut parts = Vec::new();
    for (i, p) in owned.iter().enumerate() {
        parts.push(inbound_part(tid, i, p, spool, inline_max).await?);
    }
    Ok(InboundMms {
        transaction_id: tid.to_owned(),
        message_id: conf.message_id().map(str::to_owned),
        from: conf.from().map(str::to_owned),
        to: conf.to().into_iter().map(str::to_owned).collect(),
        subject: conf.subject().map(str::to_owned),
        date: conf
            .date()
            .and_then(|d| i64::try_from(d).ok())
            .and_then(|d| DateTime::from_timestamp(d, 0)),
        parts,
        acknowledged: false,
    })
}

fn type_name(p: &Pdu) -> &'static str {
    p.message_type()
        .map_or("no message type", MessageType::as_str)
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// A file-name-safe rendering of `s` (ASCII alphanumerics, `.`, `-`, `_`).
fn sanitize(s: &str) -> String {
    let t: String = s
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let t = t.trim_start_matches('.').to_owned();
    if t.is_empty() {
        "part".into()
    } else {
        t
    }
}

/// The text of a text part, decoded with its charset (UTF-8 by default).
pub fn part_text(content_type: &mms::ContentType, data: &[u8]) -> String {
    wsp::decode_charset(content_type.charset().unwrap_or(wsp::charset::UTF_8), data)
}
