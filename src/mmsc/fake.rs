//! A fake MMSC on loopback for tests and the simulator: it stores every
//! m-send-req (answering m-send-conf with a fresh Message-ID), serves
//! m-retrieve-conf at content locations, records m-notifyresp-ind and
//! m-acknowledge-ind, and creates inbound messages together with the
//! WAP-push SMS TPDUs that announce them.
//!
//! It also acts as the MMS proxy: requests in absolute form
//! (`POST http://mmsc.invalid/mms`) are served like origin-form ones, so a
//! client configured with [`FakeMmsc::proxy_url`] and a public MMSC URL on
//! an unresolvable host only works through the proxy.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::http::{self, Request, Response};
use crate::mms::{self, MessageType, Part, Pdu, Push};
use crate::pdu;

const MMS_CONTENT_TYPE: &str = "application/vnd.wap.mms-message";

/// How the fake answers submissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// Store and answer m-send-conf Ok.
    Normal,
    /// Store, then never answer (the client sees a timeout after the MMSC
    /// accepted the connection: outcome unknown).
    HangAfterStore,
    /// Answer m-send-conf with this X-Mms-Response-Status, store nothing.
    Reject(u8),
    /// Store, then answer with this bare HTTP status (e.g. 504 from a proxy).
    HttpStatus(u16),
}

/// A stored submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub message_id: String,
    pub pdu: Pdu,
    pub raw: Vec<u8>,
}

/// One HTTP request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub method: String,
    /// Request target as sent (absolute form through a proxy).
    pub target: String,
    pub host: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    behaviour: Option<Behaviour>,
    next_id: u64,
    submissions: Vec<Submission>,
    retrievals: HashMap<String, Vec<u8>>,
    fetched: Vec<String>,
    notify_responses: Vec<Pdu>,
    acknowledgements: Vec<Pdu>,
    log: Vec<Logged>,
}

/// Options for [`FakeMmsc::start`].
#[derive(Debug, Clone, Default)]
pub struct FakeOptions {
    /// Host name used in [`FakeMmsc::url`] and content locations instead
    /// of the loopback address (e.g. `mmsc.invalid`), so clients must use
    /// the fake as their proxy.
    pub public_host: Option<String>,
}

/// The fake MMSC. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeMmsc {
    addr: SocketAddr,
    base: String,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for FakeMmsc {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeMmsc {
    /// Binds 127.0.0.1 on a free port and serves until dropped.
    pub async fn start(opts: FakeOptions) -> std::io::Result<FakeMmsc> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let base = match &opts.public_host {
            Some(h) => format!("http://{h}"),
            None => format!("http://{addr}"),
        };
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let sock = match listener.accept().await {
                    Ok((sock, _)) => sock,
                    Err(e) => {
                        // E.g. out of file descriptors: back off instead of spinning.
                        tracing::warn!(error = %e, "fake MMSC accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let st = st.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(sock, st).await {
                        tracing::debug!(error = %e, "fake MMSC connection ended");
                    }
                });
            }
        });
        Ok(FakeMmsc {
            addr,
            base,
            state,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The MMSC URL clients post to.
    pub fn url(&self) -> String {
        format!("{}/mms", self.base)
    }

    /// The fake's address as an HTTP proxy.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_behaviour(&self, b: Behaviour) {
        lock(&self.state).behaviour = Some(b);
    }

    pub fn submissions(&self) -> Vec<Submission> {
        lock(&self.state).submissions.clone()
    }

    pub fn notify_responses(&self) -> Vec<Pdu> {
        lock(&self.state).notify_responses.clone()
    }

    pub fn acknowledgements(&self) -> Vec<Pdu> {
        lock(&self.state).acknowledgements.clone()
    }

    /// Paths served by GET so far.
    pub fn fetched(&self) -> Vec<String> {
        lock(&self.state).fetched.clone()
    }

    pub fn requests(&self) -> Vec<Logged> {
        lock(&self.state).log.clone()
    }

    /// Stores an inbound message from `from` to `to` and returns the
    /// m-notification-ind announcing it (transaction id `tid`).
    pub fn create_inbound(
        &self,
        tid: &str,
        from: &str,
        to: &str,
        subject: Option<&str>,
        date: u64,
        parts: Vec<Part>,
    ) -> mms::Result<Pdu> {
        let message_id = {
            let mut s = lock(&self.state);
            s.next_id += 1;
            format!("in-{}", s.next_id)
        };
        let conf = Pdu::retrieve_conf(Some(tid), &message_id, from, &[to], subject, date, parts);
        let raw = conf.encode()?;
        let path = format!("/mms/retrieve/{message_id}");
        let location = format!("{}{path}", self.base);
        let ni = Pdu::notification_ind(
            tid,
            Some(from),
            subject,
            raw.len() as u64,
            7 * 24 * 3600,
            &location,
        );
        lock(&self.state).retrievals.insert(path, raw);
        Ok(ni)
    }

    /// Like [`create_inbound`](Self::create_inbound), returning the
    /// WAP-push SMS-DELIVER TPDUs (no SMSC) that announce the message.
    #[allow(clippy::too_many_arguments)]
    pub fn create_inbound_sms(
        &self,
        tid: &str,
        from: &str,
        to: &str,
        subject: Option<&str>,
        date: u64,
        parts: Vec<Part>,
        sms: &pdu::DeliverOptions,
    ) -> mms::Result<Vec<Vec<u8>>> {
        let ni = self.create_inbound(tid, from, to, subject, date, parts)?;
        let push = Push::mms(0x01, &ni)?;
        mms::push_to_sms(&push, sms)
    }
}

impl FakeMmsc {
    /// The WAP-push SMS-DELIVER TPDUs (no SMSC) of an m-delivery-ind that
    /// reports the submission `message_id` to `to` with X-Mms-Status
    /// `status` (e.g. `mms::status::RETRIEVED`), as an MMSC sends it to
    /// the originator.
    pub fn delivery_ind_sms(
        &self,
        message_id: &str,
        to: &str,
        status: u8,
        date: u64,
        sms: &pdu::DeliverOptions,
    ) -> mms::Result<Vec<Vec<u8>>> {
        let di = Pdu::delivery_ind(message_id, to, date, status);
        let push = Push::mms(0x02, &di)?;
        mms::push_to_sms(&push, sms)
    }
}

async fn serve(mut sock: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    while let Some(req) = http::read_request(&mut sock, &mut buf).await? {
        lock(&state).log.push(Logged {
            method: req.method.clone(),
            target: req.target.clone(),
            host: req.host.clone(),
        });
        match handle(&req, &state) {
            Some(resp) => http::write_response(&mut sock, &resp, req.close).await?,
            None => {
                // Hang: keep the connection open until the peer gives up.
                let mut sink = [0u8; 512];
                while tokio::io::AsyncReadExt::read(&mut sock, &mut sink).await? > 0 {}
                return Ok(());
            }
        }
        if req.close {
            break;
        }
    }
    Ok(())
}

fn mms_response(p: &Pdu) -> Response {
    match p.encode() {
        Ok(body) => Response {
            status: 200,
            content_type: Some(MMS_CONTENT_TYPE),
            body,
        },
        Err(_) => Response::empty(500),
    }
}

/// `None` means: do not answer.
fn handle(req: &Request, state: &Mutex<State>) -> Option<Response> {
    match req.method.as_str() {
        "GET" => {
            let mut s = lock(state);
            let found = s.retrievals.get(&req.path).cloned();
            match found {
                Some(body) => {
                    s.fetched.push(req.path.clone());
                    Some(Response {
                        status: 200,
                        content_type: Some(MMS_CONTENT_TYPE),
                        body,
                    })
                }
                None => Some(Response::empty(404)),
            }
        }
        "POST" => {
            if !req
                .content_type
                .as_deref()
                .is_some_and(|c| c.starts_with(MMS_CONTENT_TYPE))
            {
                return Some(Response::empty(415));
            }
            let Ok(pdu) = Pdu::decode(&req.body) else {
                return Some(Response::empty(400));
            };
            let tid = pdu.transaction_id().unwrap_or("").to_owned();
            let mut s = lock(state);
            match pdu.message_type() {
                Some(MessageType::SendReq) => {
                    let behaviour = s.behaviour.clone().unwrap_or(Behaviour::Normal);
                    if let Behaviour::Reject(st) = behaviour {
                        return Some(mms_response(&Pdu::send_conf(&tid, st, None)));
                    }
                    s.next_id += 1;
                    let message_id = format!("msg-{}", s.next_id);
                    s.submissions.push(Submission {
                        message_id: message_id.clone(),
                        pdu,
                        raw: req.body.clone(),
                    });
                    match behaviour {
                        Behaviour::HangAfterStore => return None,
                        Behaviour::HttpStatus(code) => return Some(Response::empty(code)),
                        _ => {}
                    }
                    Some(mms_response(&Pdu::send_conf(
                        &tid,
                        mms::response::OK,
                        Some(&message_id),
                    )))
                }
                Some(MessageType::NotifyRespInd) => {
                    s.notify_responses.push(pdu);
                    Some(Response::empty(204))
                }
                Some(MessageType::AcknowledgeInd) => {
                    s.acknowledgements.push(pdu);
                    Some(Response::empty(204))
                }
                _ => Some(Response::empty(400)),
            }
        }
        _ => Some(Response::empty(405)),
    }
}
