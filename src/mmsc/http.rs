//! A minimal HTTP/1.1 server connection for the fake MMSC: keep-alive,
//! `Content-Length` bodies only, origin-form and absolute-form (proxy)
//! request targets. Header and body sizes are bounded.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Limit on the request head.
pub const HEAD_MAX_BYTES: usize = 16 * 1024;
/// Limit on a request body.
pub const BODY_MAX_BYTES: usize = 32 * 1024 * 1024;
const HEADERS_MAX: usize = 64;

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// As sent: `/path` or `http://host/path` through a proxy.
    pub target: String,
    /// The path (and query) of the target.
    pub path: String,
    pub host: Option<String>,
    pub content_type: Option<String>,
    pub close: bool,
    pub body: Vec<u8>,
}

/// A response to write.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            content_type: None,
            body: Vec::new(),
        }
    }
}

/// Reads one request; `Ok(None)` on a clean end of stream.
pub async fn read_request<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Request>> {
    let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    loop {
        let mut headers = [httparse::EMPTY_HEADER; HEADERS_MAX];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let method = req.method.unwrap_or("").to_owned();
                let target = req.path.unwrap_or("").to_owned();
                let mut content_length = 0usize;
                let mut host = None;
                let mut content_type = None;
                let mut close = false;
                for h in req.headers.iter() {
                    let v = String::from_utf8_lossy(h.value).trim().to_owned();
                    if h.name.eq_ignore_ascii_case("content-length") {
                        content_length = v.parse().map_err(|_| invalid("bad Content-Length"))?;
                    } else if h.name.eq_ignore_ascii_case("host") {
                        host = Some(v);
                    } else if h.name.eq_ignore_ascii_case("content-type") {
                        content_type = Some(v);
                    } else if h.name.eq_ignore_ascii_case("connection") {
                        close = v.eq_ignore_ascii_case("close");
                    } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                        return Err(invalid("chunked bodies are not supported"));
                    }
                }
                if content_length > BODY_MAX_BYTES {
                    return Err(invalid("body too large"));
                }
                buf.drain(..head_len);
                while buf.len() < content_length {
                    let mut chunk = [0u8; 8192];
                    let n = s.read(&mut chunk).await?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body: Vec<u8> = buf.drain(..content_length).collect();
                let path = match target.split_once("://") {
                    Some((_, rest)) => rest
                        .find('/')
                        .map_or("/".to_owned(), |i| rest[i..].to_owned()),
                    None => target.clone(),
                };
                return Ok(Some(Request {
                    method,
                    target,
                    path,
                    host,
                    content_type,
                    close,
                    body,
                }));
            }
            Ok(httparse::Status::Partial) => {
                if buf.len() > HEAD_MAX_BYTES {
                    return Err(invalid("request head too large"));
                }
                let mut chunk = [0u8; 8192];
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    return if buf.is_empty() {
                        Ok(None)
                    } else {
                        Err(std::io::ErrorKind::UnexpectedEof.into())
                    };
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            Err(_) => return Err(invalid("malformed request head")),
        }
    }
}

/// Writes `resp`.
pub async fn write_response<S: AsyncWrite + Unpin>(
    s: &mut S,
    resp: &Response,
    close: bool,
) -> std::io::Result<()> {
    let reason = match resp.status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        415 => "Unsupported Media Type",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Length: {}\r\n",
        resp.status,
        resp.body.len()
    );
    if let Some(ct) = resp.content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str(if close {
        "Connection: close\r\n\r\n"
    } else {
        "Connection: keep-alive\r\n\r\n"
    });
    s.write_all(head.as_bytes()).await?;
    s.write_all(&resp.body).await?;
    s.flush().await
}
