//! The simulated modems' own MMS client (MODEM-SPEC §7.2, §7.3): the
//! SIMCom 3G/4G `AT+CMMS*` commands (SIM7600 personality) and the Quectel
//! `AT+QMMS*` / `AT+QFUPL` / `AT+QFDEL` commands (EC25 personality). The
//! draft is kept here; `AT+QMMSEND` / `AT+CMMSSEND` turn it into an
//! m-send-req that the simulator task posts to the configured MMSC, and the
//! result comes back as the vendor's completion URC.
//!
//! Receiving (MODEM-SPEC §7.2, §7.3): SIMCom `AT+CMMSRECV="<url>"` (GET,
//! then m-notifyresp-ind posted by the "modem"; URC `+CMMSRECV: <err>`),
//! `AT+CMMSVIEW`, `AT+CMMSREAD=<idx>` (`+CMMSREAD: <idx>,<size>`, raw bytes,
//! OK); Quectel `AT+QHTTPCFG`, `AT+QHTTPURL` (CONNECT, URL),
//! `AT+QHTTPGET` (URC `+QHTTPGET: 0,200,<len>`, bare `+QHTTPGET: 702` when
//! the server is unreachable), `AT+QHTTPREADFILE` (URC
//! `+QHTTPREADFILE: 0`), `AT+QFDWL` (CONNECT, raw bytes,
//! `+QFDWL: <size>,<checksum>`, OK), `AT+QHTTPPOST` (with
//! `requestheader` 1 the data is a whole HTTP request; URC
//! `+QHTTPPOST: 0,<status>`). HTTP requests go out as [`HttpRequest`]s for
//! the PTY task, which answers with [`SimMms::http_done`].
//!
//! Guarantees: sans-IO (the HTTP exchange is the PTY task's); bounded (at
//! most [`FILES_MAX`] files of at most [`FILE_MAX`] bytes); a malformed
//! command is a `+CME ERROR`, never a panic.

use std::collections::HashMap;

use super::Personality;
use crate::mms::{ContentType, Param, Part, Pdu};

/// Largest uploaded file.
pub const FILE_MAX: usize = 1024 * 1024;
/// Most files in the RAM file system or the draft.
pub const FILES_MAX: usize = 32;

/// What a command asks the modem to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Information lines, then OK.
    Lines(Vec<String>),
    /// `+CME ERROR: <n>`.
    Fail(u16),
    /// Send `intro` (CONNECT or the prompt), then take `size` raw bytes.
    Upload { size: usize, target: Upload },
    /// OK now; post the draft as this m-send-req, then report the result.
    Submit { pdu: Vec<u8> },
    /// Post the draft as this m-send-req and answer only then (SIM800:
    /// `AT+CMMSSEND` blocks until the MMSC answered).
    SubmitBlocking { pdu: Vec<u8> },
    /// Information lines and OK, then this URC.
    LinesThenUrc(Vec<String>, String),
    /// The line `head`, the raw `data`, then `tail` lines and OK.
    Raw {
        head: String,
        data: Vec<u8>,
        tail: Vec<String>,
    },
}

/// Where uploaded bytes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Upload {
    /// A file of the Quectel RAM file system.
    QuectelFile(String),
    /// The SIMCom draft's title.
    SimcomTitle,
    /// A SIMCom draft part of this kind (`PIC`, `TEXT`, ...) and name.
    SimcomPart { kind: String, name: String },
    /// The Quectel HTTP URL (`AT+QHTTPURL`).
    QuectelUrl,
    /// The Quectel HTTP POST data (`AT+QHTTPPOST`).
    QuectelPost,
    /// The Quectel GET request header (`AT+QHTTPGET=<t>,<len>`).
    QuectelGetHeader,
}

/// Why the simulated modem makes an HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpPurpose {
    /// SIMCom `AT+CMMSRECV`: fetch the m-retrieve-conf.
    SimcomRecv,
    /// SIMCom acknowledging a retrieval (m-notifyresp-ind).
    SimcomNotify,
    /// Quectel `AT+QHTTPGET`.
    QuectelGet,
    /// Quectel `AT+QHTTPPOST`.
    QuectelPost,
}

/// An HTTP request of the simulated modem, for the PTY task to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub purpose: HttpPurpose,
    pub url: String,
    /// `host:port`.
    pub proxy: Option<String>,
    /// `Some` = POST this body (as an MMS PDU), `None` = GET.
    pub body: Option<Vec<u8>>,
}

/// The answer to an [`HttpRequest`]: the HTTP status (0 when the server
/// could not be reached or never answered) and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub purpose: HttpPurpose,
    pub status: u16,
    pub body: Vec<u8>,
}

/// What the PTY task reports back to the modem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetReply {
    /// The result of an [`Submission`].
    Submitted(Result<(), u16>),
    Http(HttpReply),
}

/// A concatenated WAP push: sender, reference, total parts.
type PushKey = (String, u16, u8);

/// An MMS notification the SIM800 took from a WAP-push SMS.
#[derive(Debug, Clone)]
struct StoredPush {
    from: String,
    subject: String,
    transaction_id: String,
    location: String,
    size: u64,
}

/// A retrieved MMS as the SIMCom client keeps it.
#[derive(Debug, Default, Clone)]
struct Received {
    from: String,
    subject: String,
    date: String,
    files: Vec<(String, String, Vec<u8>)>,
}

/// An MMS submission for the simulator task to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub id: u64,
    pub mmsc_url: String,
    /// `host:port`.
    pub proxy: Option<String>,
    pub pdu: Vec<u8>,
}

/// The draft and settings of one modem's MMS client.
#[derive(Debug, Default)]
pub(crate) struct SimMms {
    mmsc_url: Option<String>,
    proxy: Option<String>,
    to: Vec<String>,
    subject: Option<String>,
    parts: Vec<Part>,
    ram: HashMap<String, Vec<u8>>,
    next_id: u64,
    /// SIMCom: the last retrieved MMS.
    received: Option<Received>,
    /// Quectel HTTP client: URL, last GET body, `requestheader`.
    http_url: Option<String>,
    http_body: Option<Vec<u8>>,
    request_header: bool,
    /// A request for the PTY task.
    http: Option<HttpRequest>,
    /// SIM800: `AT+CMMSINIT` done (a second one fails until `AT+CMMSTERM`).
    inited: bool,
    /// SIM800: WAP-push SMS parts by (sender, reference, total).
    push_parts: HashMap<PushKey, Vec<Option<Vec<u8>>>>,
    /// SIM800: MMS notifications taken from WAP-push SMS (1-based index).
    pushes: Vec<StoredPush>,
    /// SIM800: larger `AT+CMMSDOWN` uploads fail with `+CME ERROR: 173`
    /// (MODEM-SPEC §7.1; observed above ~4.3 KB on SIM800C).
    max_attachment_bytes: Option<usize>,
}

/// The target of an HTTP request line (`GET <target> HTTP/1.1`).
fn request_target(req: &[u8]) -> Option<String> {
    let line = req.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    line.split(' ').nth(1).map(str::to_owned)
}

/// The checksum `AT+QFUPL`/`AT+QFDWL` report (16-bit XOR of byte pairs).
fn checksum(data: &[u8]) -> u16 {
    data.chunks(2).fold(0u16, |acc, c| {
        acc ^ u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])
    })
}

/// Splits `a,"b,c",d` at commas outside quotes and unquotes each field.
fn fields(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in args.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn content_type_of(name: &str, kind: Option<&str>) -> ContentType {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    let media = match (kind, ext.as_str()) {
        (_, "jpg" | "jpeg") => "image/jpeg",
        (_, "png") => "image/png",
        (_, "gif") => "image/gif",
        (_, "txt") | (Some("TEXT"), _) => "text/plain",
        (_, "smil") => "application/smil",
        (Some("PIC"), _) => "image/jpeg",
        _ => "application/octet-stream",
    };
    let ct = ContentType::new(media);
    if media == "text/plain" {
        ct.with(Param::Charset(crate::mms::charset::UTF_8))
    } else {
        ct
    }
}

impl SimMms {
    /// A client whose SIM800 uploads are limited to `max` bytes.
    pub(crate) fn with_max_attachment(max: Option<usize>) -> SimMms {
        SimMms {
            max_attachment_bytes: max,
            ..SimMms::default()
        }
    }

    /// Handles one extended command of `personality` (`args` is `None` for
    /// the execute form); `None` when it is not an MMS command.
    pub(crate) fn exec(
        &mut self,
        personality: Personality,
        name: &str,
        args: Option<&str>,
    ) -> Option<Action> {
        match personality {
            Personality::Ec25 => self.quectel(name, args),
            Personality::Sim7600 => self.simcom(name, args),
            Personality::Sim800 => self.simcom2g(name, args),
            _ => None,
        }
    }

    fn quectel(&mut self, name: &str, args: Option<&str>) -> Option<Action> {
        let f = args.map(fields).unwrap_or_default();
        let arg = |i: usize| f.get(i).map(String::as_str).unwrap_or("");
        Some(match (name, args.is_some()) {
            ("+QICSGP" | "+QIACT", true) => Action::Lines(Vec::new()),
            ("+QMMSCFG", true) => {
                match arg(0) {
                    "mmsc" => self.mmsc_url = Some(arg(1).to_string()),
                    "proxy" => self.proxy = Some(format!("{}:{}", arg(1), arg(2))),
                    _ => {}
                }
                Action::Lines(Vec::new())
            }
            ("+QMMSEDIT", true) => match (arg(0), arg(1)) {
                ("0", _) => {
                    self.clear_draft();
                    Action::Lines(Vec::new())
                }
                ("1" | "2" | "3", "1") if self.to.len() < FILES_MAX => {
                    self.to.push(arg(2).to_string());
                    Action::Lines(Vec::new())
                }
                ("4", "1") => {
                    self.subject = Some(arg(2).to_string());
                    Action::Lines(Vec::new())
                }
                ("5", "1") => {
                    let path = arg(2);
                    let Some(data) = self.ram.get(path).cloned() else {
                        return Some(Action::Fail(405));
                    };
                    if self.parts.len() >= FILES_MAX {
                        return Some(Action::Fail(50));
                    }
                    let file = path.trim_start_matches("RAM:");
                    self.parts.push(Part::new(
                        content_type_of(file, None),
                        &format!("p{}", self.parts.len()),
                        file,
                        data,
                    ));
                    Action::Lines(Vec::new())
                }
                _ => Action::Fail(50),
            },
            ("+QFUPL", true) => {
                let path = arg(0).to_string();
                match arg(1).parse::<usize>() {
                    Ok(size) if size <= FILE_MAX && path.starts_with("RAM:") => {
                        if self.ram.len() >= FILES_MAX && !self.ram.contains_key(&path) {
                            return Some(Action::Fail(50));
                        }
                        Action::Upload {
                            size,
                            target: Upload::QuectelFile(path),
                        }
                    }
                    _ => Action::Fail(50),
                }
            }
            ("+QFDEL", true) => {
                self.ram.remove(arg(0));
                Action::Lines(Vec::new())
            }
            ("+QMMSEND", true) => self.submit(),
            ("+QHTTPCFG", true) => {
                if arg(0) == "requestheader" {
                    self.request_header = arg(1) == "1";
                }
                Action::Lines(Vec::new())
            }
            ("+QHTTPURL", true) => match arg(0).parse::<usize>() {
                Ok(size) if size > 0 && size <= 2048 => Action::Upload {
                    size,
                    target: Upload::QuectelUrl,
                },
                _ => Action::Fail(50),
            },
            ("+QHTTPGET", true) if !arg(1).is_empty() => match arg(1).parse::<usize>() {
                Ok(size) if size > 0 && size <= 4096 && self.http_url.is_some() => Action::Upload {
                    size,
                    target: Upload::QuectelGetHeader,
                },
                _ => Action::Fail(50),
            },
            ("+QHTTPGET", true) => match &self.http_url {
                Some(url) => {
                    self.http = Some(HttpRequest {
                        purpose: HttpPurpose::QuectelGet,
                        url: url.clone(),
                        proxy: self.proxy.clone(),
                        body: None,
                    });
                    Action::Lines(Vec::new())
                }
                None => Action::Fail(50),
            },
            ("+QHTTPREADFILE", true) => match self.http_body.clone() {
                Some(body) if self.ram.len() < FILES_MAX => {
                    self.ram.insert(arg(0).to_string(), body);
                    Action::LinesThenUrc(Vec::new(), "+QHTTPREADFILE: 0".into())
                }
                _ => Action::Fail(50),
            },
            ("+QFDWL", true) => match self.ram.get(arg(0)) {
                Some(data) => Action::Raw {
                    head: "CONNECT".into(),
                    tail: vec![format!("+QFDWL: {},{:x}", data.len(), checksum(data))],
                    data: data.clone(),
                },
                None => Action::Fail(405),
            },
            ("+QHTTPPOST", true) => match arg(0).parse::<usize>() {
                Ok(size) if size > 0 && size <= FILE_MAX && self.http_url.is_some() => {
                    Action::Upload {
                        size,
                        target: Upload::QuectelPost,
                    }
                }
                _ => Action::Fail(50),
            },
            _ => return None,
        })
    }

    fn simcom(&mut self, name: &str, args: Option<&str>) -> Option<Action> {
        let f = args.map(fields).unwrap_or_default();
        let arg = |i: usize| f.get(i).map(String::as_str).unwrap_or("");
        Some(match (name, args.is_some()) {
            ("+CMMSCURL", true) => {
                let url = arg(0);
                self.mmsc_url = Some(if url.contains("://") {
                    url.to_string()
                } else {
                    format!("http://{url}")
                });
                Action::Lines(Vec::new())
            }
            ("+CMMSPROTO", true) => {
                self.proxy = Some(format!("{}:{}", arg(1), arg(2)));
                Action::Lines(Vec::new())
            }
            ("+CMMSEDIT", true) => {
                self.clear_draft();
                if arg(0) == "0" {
                    self.received = None;
                }
                Action::Lines(Vec::new())
            }
            ("+CMMSRECV", true) if !arg(0).is_empty() => {
                let url = arg(0);
                self.http = Some(HttpRequest {
                    purpose: HttpPurpose::SimcomRecv,
                    url: if url.contains("://") {
                        url.to_string()
                    } else {
                        format!("http://{url}")
                    },
                    proxy: self.proxy.clone(),
                    body: None,
                });
                Action::Lines(Vec::new())
            }
            ("+CMMSVIEW", false) => match &self.received {
                Some(r) => {
                    let mut lines = vec![format!(
                        "+CMMSVIEW: \"{}\",\"{}\",\"{}\",{}",
                        r.from,
                        r.subject,
                        r.date,
                        r.files.len()
                    )];
                    for (i, (name, ct, data)) in r.files.iter().enumerate() {
                        lines.push(format!("{},\"{name}\",\"{ct}\",{}", i + 1, data.len()));
                    }
                    Action::Lines(lines)
                }
                None => Action::Fail(50),
            },
            ("+CMMSREAD", true) => {
                let file = arg(0)
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| i.checked_sub(1))
                    .and_then(|i| self.received.as_ref()?.files.get(i));
                match file {
                    Some((_, _, data)) => Action::Raw {
                        head: format!("+CMMSREAD: {},{}", arg(0), data.len()),
                        data: data.clone(),
                        tail: Vec::new(),
                    },
                    None => Action::Fail(50),
                }
            }
            ("+CMMSDOWN", true) => {
                let kind = arg(0).to_ascii_uppercase();
                let Ok(size) = arg(1).parse::<usize>() else {
                    return Some(Action::Fail(50));
                };
                if size > FILE_MAX || self.parts.len() >= FILES_MAX {
                    return Some(Action::Fail(50));
                }
                let target = match kind.as_str() {
                    "TITLE" => Upload::SimcomTitle,
                    "PIC" | "TEXT" | "AUDIO" | "VIDEO" => Upload::SimcomPart {
                        kind,
                        name: arg(2).to_string(),
                    },
                    _ => return Some(Action::Fail(50)),
                };
                Action::Upload { size, target }
            }
            ("+CMMSRECP" | "+CMMSCC" | "+CMMSBCC", true) if self.to.len() < FILES_MAX => {
                self.to.push(arg(0).to_string());
                Action::Lines(Vec::new())
            }
            ("+CMMSSEND", false) => self.submit(),
            _ => return None,
        })
    }

    /// MODEM-SPEC §7.1 (SIM800/SIM900).
    fn simcom2g(&mut self, name: &str, args: Option<&str>) -> Option<Action> {
        let f = args.map(fields).unwrap_or_default();
        let arg = |i: usize| f.get(i).map(String::as_str).unwrap_or("");
        Some(match (name, args.is_some()) {
            ("+CMMSRDPUSH", true) => {
                let push = arg(0)
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| i.checked_sub(1))
                    .and_then(|i| self.pushes.get(i));
                match push {
                    Some(p) => Action::Lines(vec![format!(
                        "+CMMSRDPUSH: 2,\"{}\",\"{}\",\"{}\",\"{}\",\"26/05/28,20:26:40+00\",128,{}",
                        p.from, p.subject, p.transaction_id, p.location, p.size
                    )]),
                    None => Action::Fail(50),
                }
            }
            ("+CMMSINIT", false) if self.inited => Action::Fail(3),
            ("+CMMSINIT", false) => {
                self.inited = true;
                self.clear_draft();
                Action::Lines(Vec::new())
            }
            ("+CMMSTERM", false) if !self.inited => Action::Fail(3),
            ("+CMMSTERM", false) => {
                self.inited = false;
                self.clear_draft();
                Action::Lines(Vec::new())
            }
            // Not `AT+CMMS` (more messages to send): that is SMS.
            (_, _) if !self.inited && name.starts_with("+CMMS") && name != "+CMMS" => {
                Action::Fail(3)
            }
            ("+CMMSCURL", true) => {
                let url = arg(0);
                self.mmsc_url = Some(if url.contains("://") {
                    url.to_string()
                } else {
                    format!("http://{url}")
                });
                Action::Lines(Vec::new())
            }
            ("+CMMSCID" | "+CMMSSENDCFG", true) => Action::Lines(Vec::new()),
            ("+CMMSPROTO", true) => {
                self.proxy = Some(format!("{}:{}", arg(0), arg(1)));
                Action::Lines(Vec::new())
            }
            ("+SAPBR", true) => match (arg(0), arg(1)) {
                ("2", _) => Action::Lines(vec!["+SAPBR: 1,1,\"10.89.193.1\"".into()]),
                _ => Action::Lines(Vec::new()),
            },
            ("+CMMSEDIT", true) => {
                self.clear_draft();
                Action::Lines(Vec::new())
            }
            ("+CMMSDOWN", true) => {
                let kind = arg(0).to_ascii_uppercase();
                let Ok(size) = arg(1).parse::<usize>() else {
                    return Some(Action::Fail(50));
                };
                if size > FILE_MAX || self.parts.len() >= FILES_MAX {
                    return Some(Action::Fail(50));
                }
                if self.max_attachment_bytes.is_some_and(|m| size > m) {
                    return Some(Action::Fail(173));
                }
                let target = match kind.as_str() {
                    "TITLE" => Upload::SimcomTitle,
                    "PIC" | "TEXT" | "AUDIO" | "VIDEO" => Upload::SimcomPart {
                        kind,
                        name: arg(3).to_string(),
                    },
                    _ => return Some(Action::Fail(50)),
                };
                Action::Upload { size, target }
            }
            ("+CMMSRECP", true) if self.to.len() < FILES_MAX => {
                self.to.push(arg(0).to_string());
                Action::Lines(Vec::new())
            }
            ("+CMMSSEND", false) => match self.submit() {
                Action::Submit { pdu } => Action::SubmitBlocking { pdu },
                other => other,
            },
            _ => return None,
        })
    }

    fn clear_draft(&mut self) {
        self.to.clear();
        self.subject = None;
        self.parts.clear();
    }

    /// Stores an upload; returns the information lines before OK.
    pub(crate) fn uploaded(&mut self, target: Upload, data: Vec<u8>) -> Vec<String> {
        match target {
            Upload::QuectelUrl => {
                self.http_url = Some(String::from_utf8_lossy(&data).trim().to_string());
                self.http_body = None;
                Vec::new()
            }
            Upload::QuectelPost => {
                let (target, body) = if self.request_header {
                    // A whole request: the body follows the blank line.
                    let body = match data.windows(4).position(|w| w == b"\r\n\r\n") {
                        Some(i) => data[i + 4..].to_vec(),
                        None => Vec::new(),
                    };
                    (request_target(&data), body)
                } else {
                    (None, data)
                };
                if let Some((url, proxy)) = self.via(target) {
                    self.http = Some(HttpRequest {
                        purpose: HttpPurpose::QuectelPost,
                        url,
                        proxy,
                        body: Some(body),
                    });
                }
                Vec::new()
            }
            Upload::QuectelGetHeader => {
                if let Some((url, proxy)) = self.via(request_target(&data)) {
                    self.http = Some(HttpRequest {
                        purpose: HttpPurpose::QuectelGet,
                        url,
                        proxy,
                        body: None,
                    });
                }
                Vec::new()
            }
            Upload::QuectelFile(path) => {
                let sum = checksum(&data);
                let line = format!("+QFUPL: {},{sum:x}", data.len());
                self.ram.insert(path, data);
                vec![line]
            }
            Upload::SimcomTitle => {
                self.subject = Some(String::from_utf8_lossy(&data).into_owned());
                Vec::new()
            }
            Upload::SimcomPart { kind, name } => {
                let id = format!("p{}", self.parts.len());
                let name = if name.is_empty() { id.clone() } else { name };
                self.parts.push(Part::new(
                    content_type_of(&name, Some(&kind)),
                    &id,
                    &name,
                    data,
                ));
                Vec::new()
            }
        }
    }

    fn submit(&mut self) -> Action {
        if self.mmsc_url.is_none() || self.to.is_empty() || self.parts.is_empty() {
            return Action::Fail(50);
        }
        self.next_id += 1;
        let to: Vec<&str> = self.to.iter().map(String::as_str).collect();
        let pdu = Pdu::send_req(
            &format!("sim-{}", self.next_id),
            &to,
            self.subject.as_deref(),
            self.parts.clone(),
        );
        match pdu.encode() {
            Ok(pdu) => Action::Submit { pdu },
            Err(_) => Action::Fail(50),
        }
    }

    /// SIM800: takes a received SMS-DELIVER (with SMSC) that is a WAP push
    /// carrying an MMS notification. `None`: not a push (store it as an
    /// SMS); `Some(None)`: a part of a push still incomplete; `Some(Some(n))`:
    /// the notification is stored at index `n` (report `+CMTI: "SM",n,"MMS PUSH",2,1`).
    pub(crate) fn push_sms(&mut self, raw: &[u8]) -> Option<Option<usize>> {
        if self.pushes.len() >= FILES_MAX {
            return None;
        }
        let Some(push) = self.take_push(raw)? else {
            return Some(None);
        };
        self.pushes.push(push);
        Some(Some(self.pushes.len()))
    }

    /// SIMCom 3G/4G: takes a received WAP-push SMS-DELIVER (with SMSC) like
    /// [`SimMms::push_sms`] and answers the URC that announces it
    /// (MODEM-SPEC §7.2) without storing an SMS:
    /// `+WAP_PUSH_MMS: "<from>","<tid>","<url>","<date>",<class>,<size>`,
    /// `date` (the modem's clock) as modems print times.
    pub(crate) fn wap_push_urc(
        &mut self,
        raw: &[u8],
        date: chrono::DateTime<chrono::FixedOffset>,
    ) -> Option<Option<String>> {
        let Some(p) = self.take_push(raw)? else {
            return Some(None);
        };
        Some(Some(format!(
            "+WAP_PUSH_MMS: \"{}\",\"{}\",\"{}\",\"{}\",0,{}",
            p.from,
            p.transaction_id,
            p.location,
            super::codec::modem_time(&date),
            p.size
        )))
    }

    /// The notification a WAP-push SMS carries, once all its parts are in:
    /// `None` not an MMS notification, `Some(None)` waiting for parts.
    fn take_push(&mut self, raw: &[u8]) -> Option<Option<StoredPush>> {
        let part = crate::modem::mms_push::push_part("sim", raw, chrono::Utc::now())?;
        let data = match part.concat {
            Some((reference, total, seq)) if total > 1 && seq >= 1 && seq <= total => {
                if self.push_parts.len() >= FILES_MAX {
                    self.push_parts.clear();
                }
                let key = (part.sender.clone(), reference, total);
                let slots = self
                    .push_parts
                    .entry(key.clone())
                    .or_insert_with(|| vec![None; usize::from(total)]);
                slots[usize::from(seq) - 1] = Some(part.data);
                if slots.iter().any(Option::is_none) {
                    return Some(None);
                }
                let slots = self.push_parts.remove(&key).unwrap_or_default();
                slots.into_iter().flatten().flatten().collect()
            }
            _ => part.data,
        };
        let ni = crate::mms::Push::decode(&data)
            .and_then(|p| p.mms_pdu())
            .ok()?;
        if ni.message_type() != Some(crate::mms::MessageType::NotificationInd) {
            return None;
        }
        Some(Some(StoredPush {
            from: ni
                .from()
                .map(|f| crate::mms::strip_type(f).replace('"', "'"))
                .unwrap_or(part.sender),
            subject: ni.subject().unwrap_or("").replace('"', "'"),
            transaction_id: ni.transaction_id()?.replace('"', "'"),
            location: ni.content_location()?.replace('"', "'"),
            size: ni.message_size().unwrap_or(0),
        }))
    }

    /// Where a Quectel request goes: an absolute-form `target` through the
    /// `AT+QHTTPURL` server as a proxy, else the `AT+QHTTPURL` URL itself.
    fn via(&self, target: Option<String>) -> Option<(String, Option<String>)> {
        let base = self.http_url.clone()?;
        match target {
            Some(t) if t.starts_with("http://") || t.starts_with("https://") => {
                let host = base
                    .trim_start_matches("http://")
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .to_string();
                Some((t, Some(host)))
            }
            _ => Some((base, self.proxy.clone())),
        }
    }

    /// The HTTP request a command or upload asked for, if any.
    pub(crate) fn take_http(&mut self) -> Option<HttpRequest> {
        self.http.take()
    }

    /// The answer to an [`HttpRequest`]: the URC to report, if any (a
    /// SIMCom retrieval then asks to post its m-notifyresp-ind).
    pub(crate) fn http_done(&mut self, reply: HttpReply) -> Option<String> {
        let HttpReply {
            purpose,
            status,
            body,
        } = reply;
        match purpose {
            HttpPurpose::SimcomRecv => {
                if status != 200 {
                    return Some("+CMMSRECV: 1".into());
                }
                let Ok(conf) = Pdu::decode(&body) else {
                    return Some("+CMMSRECV: 2".into());
                };
                let files: Vec<(String, String, Vec<u8>)> = conf
                    .parts()
                    .iter()
                    .take(FILES_MAX)
                    .enumerate()
                    .map(|(i, p)| {
                        let name = p
                            .content_location()
                            .or(p.content_type.name())
                            .map_or_else(|| format!("part{i}"), str::to_owned);
                        (name, p.content_type.media.clone(), p.data.clone())
                    })
                    .collect();
                let date = conf
                    .date()
                    .and_then(|d| i64::try_from(d).ok())
                    .and_then(|d| chrono::DateTime::from_timestamp(d, 0))
                    .map(|d| d.format("%y/%m/%d,%H:%M:%S+00").to_string())
                    .unwrap_or_default();
                self.received = Some(Received {
                    from: conf
                        .from()
                        .map(|f| crate::mms::strip_type(f).to_owned())
                        .unwrap_or_default(),
                    subject: conf.subject().unwrap_or("").replace('"', "'"),
                    date,
                    files,
                });
                if let (Some(tid), Some(url)) = (conf.transaction_id(), &self.mmsc_url) {
                    if let Ok(ack) =
                        Pdu::notifyresp_ind(tid, crate::mms::status::RETRIEVED).encode()
                    {
                        self.http = Some(HttpRequest {
                            purpose: HttpPurpose::SimcomNotify,
                            url: url.clone(),
                            proxy: self.proxy.clone(),
                            body: Some(ack),
                        });
                    }
                }
                Some("+CMMSRECV: 0".into())
            }
            HttpPurpose::SimcomNotify => None,
            HttpPurpose::QuectelGet => match status {
                0 => Some("+QHTTPGET: 702".into()),
                200 => {
                    let line = format!("+QHTTPGET: 0,200,{}", body.len());
                    self.http_body = Some(body);
                    Some(line)
                }
                s => Some(format!("+QHTTPGET: 0,{s}")),
            },
            HttpPurpose::QuectelPost => match status {
                0 => Some("+QHTTPPOST: 702".into()),
                s => Some(format!("+QHTTPPOST: 0,{s}")),
            },
        }
    }

    /// The submission for the simulator task, after [`Action::Submit`].
    pub(crate) fn submission(&self, pdu: Vec<u8>) -> Option<Submission> {
        Some(Submission {
            id: self.next_id,
            mmsc_url: self.mmsc_url.clone()?,
            proxy: self.proxy.clone(),
            pdu,
        })
    }
}

/// The completion URC of `personality` for a submission that the MMSC
/// accepted (`Ok`) or not (`Err(http_status)`, 0 when it was unreachable).
pub(crate) fn completion_urc(personality: Personality, result: Result<(), u16>) -> Option<String> {
    match (personality, result) {
        (Personality::Ec25, Ok(())) => Some("+QMMSEND: 0,200".into()),
        (Personality::Ec25, Err(0)) => Some("+QMMSEND: 702".into()),
        (Personality::Ec25, Err(http)) => Some(format!("+QMMSEND: 0,{http}")),
        (Personality::Sim7600, Ok(())) => Some("+CMMSSEND: 0".into()),
        (Personality::Sim7600, Err(0)) => Some("+CMMSSEND: 1".into()),
        (Personality::Sim7600, Err(http)) => Some(format!("+CMMSSEND: {http}")),
        // SIM800 answers the blocking command instead (`Modem::mms_result`).
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sim800_mms_client_leaves_at_cmms_to_the_sms_side() {
        let mut m = SimMms::default();
        let p = Personality::Sim800;
        assert_eq!(m.exec(p, "+CMMS", Some("2")), None);
        assert_eq!(
            m.exec(p, "+CMMSCURL", Some("\"m/mms\"")),
            Some(Action::Fail(3))
        );
        assert_eq!(
            m.exec(p, "+CMMSINIT", None),
            Some(Action::Lines(Vec::new()))
        );
        assert_eq!(m.exec(p, "+CMMS", Some("2")), None);
    }

    #[test]
    fn quoted_fields_keep_their_commas() {
        assert_eq!(
            fields(r#""mmsc","http://a,b/mms",80"#),
            vec!["mmsc", "http://a,b/mms", "80"]
        );
    }

    #[test]
    fn a_quectel_draft_becomes_an_m_send_req_with_the_uploaded_file() {
        let mut m = SimMms::default();
        let q = Personality::Ec25;
        m.exec(q, "+QMMSCFG", Some(r#""mmsc","http://m/mms""#));
        m.exec(q, "+QMMSEDIT", Some(r#"1,1,"+4917012345""#));
        let Some(Action::Upload { size: 3, target }) =
            m.exec(q, "+QFUPL", Some(r#""RAM:a.png",3,60"#))
        else {
            panic!()
        };
        assert_eq!(m.uploaded(target, vec![1, 2, 3]).len(), 1);
        assert_eq!(
            m.exec(q, "+QMMSEDIT", Some(r#"5,1,"RAM:b.png""#)),
            Some(Action::Fail(405))
        );
        m.exec(q, "+QMMSEDIT", Some(r#"5,1,"RAM:a.png""#));
        let Some(Action::Submit { pdu }) = m.exec(q, "+QMMSEND", Some("120")) else {
            panic!()
        };
        let p = Pdu::decode(&pdu).unwrap();
        assert_eq!(p.parts()[0].data, vec![1, 2, 3]);
        assert_eq!(p.parts()[0].content_type.media, "image/png");
        assert_eq!(m.submission(pdu).unwrap().mmsc_url, "http://m/mms");
        assert_eq!(m.exec(Personality::Generic, "+QMMSEND", Some("1")), None);
    }
}
