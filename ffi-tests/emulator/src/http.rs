//! A tiny blocking HTTP/1.1 server: one thread per connection, keep-alive,
//! Content-Length request bodies only. Enough for a test double, nothing more.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// Largest request (head + body) we accept; Google's own limits are far higher,
/// but nothing the library sends comes close.
const MAX_REQUEST: usize = 1 << 20;
const MAX_HEADERS: usize = 64;

pub struct Request {
    pub method: String,
    /// Path without the query string, still percent-encoded.
    pub path: String,
    /// Raw query string (without '?'), empty if none.
    pub query: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Exit the process once this response has been written (control shutdown).
    pub exit_after: bool,
    /// Close the connection without writing anything (/control/drop_next_response).
    pub drop_connection: bool,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            exit_after: false,
            drop_connection: false,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// Accepts connections forever; each one gets its own thread.
pub fn serve(listener: TcpListener, tls: Option<Arc<ServerConfig>>, handler: Handler) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let tls = tls.clone();
        let handler = handler.clone();
        std::thread::spawn(move || {
            let _ = stream.set_nodelay(true);
            match tls {
                Some(cfg) => {
                    let Ok(conn) = ServerConnection::new(cfg) else {
                        return;
                    };
                    connection(StreamOwned::new(conn, stream), &handler);
                }
                None => connection(stream, &handler),
            }
        });
    }
}

/// A connection that can say goodbye properly (TLS close_notify), so clients
/// reading to EOF see a clean end rather than a truncation error.
trait Conn: Read + Write {
    fn close(&mut self) {}
}

impl Conn for std::net::TcpStream {}

impl Conn for StreamOwned<ServerConnection, std::net::TcpStream> {
    fn close(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
    }
}

enum ReadError {
    /// Peer closed or the socket failed: just drop the connection.
    Closed,
    /// Malformed or oversized request: answer with this status, then close.
    Bad(u16, &'static str),
}

fn connection<S: Conn>(mut stream: S, handler: &Handler) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let (req, keep_alive) = match read_request(&mut stream, &mut buf) {
            Ok(r) => r,
            Err(ReadError::Closed) => return,
            Err(ReadError::Bad(status, msg)) => {
                eprintln!("- - {status} ({msg})");
                let resp = Response::new(status, "text/plain; charset=utf-8", msg);
                let _ = write_response(&mut stream, &resp, false);
                stream.close();
                return;
            }
        };
        // A handler bug must cost one request, not the server.
        let resp = catch_unwind(AssertUnwindSafe(|| handler(&req))).unwrap_or_else(|_| {
            Response::new(
                500,
                "application/json; charset=UTF-8",
                crate::calendar::api_error_body(500, "global", "backendError", "Backend Error"),
            )
        });
        // Never the query string: it carries codes, states and PKCE material.
        eprintln!("{} {} {}", req.method, req.path, resp.status);
        if resp.drop_connection {
            // No close_notify either: to the client this looks like a cut connection.
            return;
        }
        let keep = keep_alive && !resp.exit_after;
        if write_response(&mut stream, &resp, keep).is_err() {
            return;
        }
        if resp.exit_after {
            stream.close();
            std::process::exit(0);
        }
        if !keep {
            stream.close();
            return;
        }
    }
}

/// Reads one request; `buf` carries bytes of a pipelined next request over.
fn read_request<S: Read>(stream: &mut S, buf: &mut Vec<u8>) -> Result<(Request, bool), ReadError> {
    let mut chunk = [0u8; 8192];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let method = parsed.method.unwrap_or("").to_string();
                let target = parsed.path.unwrap_or("/");
                let http10 = parsed.version == Some(0);
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_ascii_lowercase(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                let get = |n: &str| {
                    headers
                        .iter()
                        .find(|(k, _)| k == n)
                        .map(|(_, v)| v.as_str())
                };
                if get("transfer-encoding").is_some() {
                    return Err(ReadError::Bad(
                        411,
                        "chunked request bodies are not supported",
                    ));
                }
                let len = match get("content-length") {
                    None => 0,
                    Some(v) => v
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| ReadError::Bad(400, "bad Content-Length"))?,
                };
                if head_len + len > MAX_REQUEST {
                    return Err(ReadError::Bad(413, "request too large"));
                }
                let conn = get("connection").unwrap_or("").to_ascii_lowercase();
                let keep_alive = if http10 {
                    conn.contains("keep-alive")
                } else {
                    !conn.contains("close")
                };
                let (path, query) = match target.split_once('?') {
                    Some((p, q)) => (p.to_string(), q.to_string()),
                    None => (target.to_string(), String::new()),
                };
                while buf.len() < head_len + len {
                    let n = stream.read(&mut chunk).map_err(|_| ReadError::Closed)?;
                    if n == 0 {
                        return Err(ReadError::Closed);
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body = buf[head_len..head_len + len].to_vec();
                buf.drain(..head_len + len);
                return Ok((
                    Request {
                        method,
                        path,
                        query,
                        headers,
                        body,
                    },
                    keep_alive,
                ));
            }
            Ok(httparse::Status::Partial) => {
                if buf.len() > MAX_REQUEST {
                    return Err(ReadError::Bad(431, "request head too large"));
                }
            }
            Err(_) => return Err(ReadError::Bad(400, "malformed request")),
        }
        let n = stream.read(&mut chunk).map_err(|_| ReadError::Closed)?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        428 => "Precondition Required",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        _ => "Unknown",
    }
}

fn write_response<S: Write>(
    stream: &mut S,
    resp: &Response,
    keep_alive: bool,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    // Google dates every response; clients may use it as the server's clock.
    head.push_str(&format!(
        "Date: {}\r\n",
        crate::clock::http_date(crate::clock::now_secs())
    ));
    for (n, v) in &resp.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    if !keep_alive {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(&resp.body);
    stream.write_all(&out)?;
    stream.flush()
}

/// Percent-decodes a path segment ('+' stays '+', unlike form encoding).
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
