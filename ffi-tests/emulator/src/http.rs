//! A tiny blocking HTTP/1.1 server: one thread per connection, keep-alive,
//! Content-Length request bodies only. Enough for a test double, nothing more.
//! It can also misbehave on purpose (see `Delivery`, driven by /control/fault).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// How the answer reaches the client (or does not): faults live here.
    pub delivery: Delivery,
    /// Fault kind, for the log line only.
    pub fault: Option<&'static str>,
}

/// Every misbehaviour is bounded by this, so no connection holds a thread forever.
pub const MAX_MISBEHAVIOUR: Duration = Duration::from_secs(120);

/// How a response is written. Everything but `Normal` simulates a broken
/// server or network; all waits end early when the client goes away.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Delivery {
    Normal,
    /// Close without writing anything and without close_notify: a cut connection.
    Drop,
    /// Write the head and half the body (half the head if there is no body), then cut.
    Cut,
    /// Write nothing for this long (or until the client closes), then cut.
    Stall(Duration),
    /// Write the whole response at this many bytes per second.
    Trickle(u64),
    /// Announce more body than is sent, then hold the connection this long.
    NeverFinish(Duration),
    /// Wait this long (or until the client closes), then answer and close.
    Delay(Duration),
    /// Replace the body by a streamed JSON document of this many bytes.
    Oversized(u64),
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            exit_after: false,
            delivery: Delivery::Normal,
            fault: None,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;
/// Called once per accepted TCP connection (connection counting).
pub type OnAccept = Arc<dyn Fn() + Send + Sync>;

/// Accepts connections forever; each one gets its own thread.
pub fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    handler: Handler,
    on_accept: Option<OnAccept>,
) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if let Some(f) = &on_accept {
            f();
        }
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
    /// The socket underneath, to watch for the client leaving while we misbehave.
    fn tcp(&self) -> &TcpStream;
}

impl Conn for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Conn for StreamOwned<ServerConnection, TcpStream> {
    fn close(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
    }
    fn tcp(&self) -> &TcpStream {
        &self.sock
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
        match resp.fault {
            Some(f) => eprintln!("{} {} {} (fault {f})", req.method, req.path, resp.status),
            None => eprintln!("{} {} {}", req.method, req.path, resp.status),
        }
        let mut keep = keep_alive && !resp.exit_after;
        // Every early `return` below drops the socket without close_notify: to
        // the client that is a cut connection, which is the point.
        match resp.delivery {
            Delivery::Normal => {
                if write_response(&mut stream, &resp, keep).is_err() {
                    return;
                }
            }
            Delivery::Drop => return,
            Delivery::Cut => {
                let head = head(&resp, resp.body.len() as u64, false);
                let out = if resp.body.is_empty() {
                    head[..head.len() / 2].to_vec()
                } else {
                    [head.as_slice(), &resp.body[..resp.body.len() / 2]].concat()
                };
                let _ = stream.write_all(&out).and_then(|_| stream.flush());
                return;
            }
            Delivery::Stall(d) => {
                wait_for_client(stream.tcp(), d);
                return;
            }
            Delivery::NeverFinish(d) => {
                let promised = resp.body.len() as u64 + resp.body.len().max(1024) as u64;
                let out = [head(&resp, promised, true).as_slice(), &resp.body].concat();
                if stream.write_all(&out).and_then(|_| stream.flush()).is_ok() {
                    wait_for_client(stream.tcp(), d);
                }
                return;
            }
            Delivery::Delay(d) => {
                if wait_for_client(stream.tcp(), d) {
                    return;
                }
                // Bytes read raw while waiting are lost to TLS: this answer is the last.
                keep = false;
                if write_response(&mut stream, &resp, false).is_err() {
                    return;
                }
            }
            Delivery::Trickle(bps) => {
                let out = [
                    head(&resp, resp.body.len() as u64, keep).as_slice(),
                    &resp.body,
                ]
                .concat();
                if write_trickle(&mut stream, &out, bps).is_err() {
                    return;
                }
            }
            Delivery::Oversized(n) => {
                if write_oversized(&mut stream, &resp, n, keep).is_err() {
                    return;
                }
            }
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

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        428 => "Precondition Required",
        431 => "Request Header Fields Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

fn write_response<S: Write>(
    stream: &mut S,
    resp: &Response,
    keep_alive: bool,
) -> std::io::Result<()> {
    let mut out = head(resp, resp.body.len() as u64, keep_alive);
    out.extend_from_slice(&resp.body);
    stream.write_all(&out)?;
    stream.flush()
}

/// Status line and headers, announcing `content_length` body bytes.
fn head(resp: &Response, content_length: u64, keep_alive: bool) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    // Google dates every response; clients may use it as the server's clock.
    head.push_str(&format!(
        "Date: {}\r\n",
        crate::clock::http_date(crate::clock::now_secs())
    ));
    for (n, v) in &resp.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {content_length}\r\n"));
    if !keep_alive {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Waits up to `d` for the client to close; true if it did (or the socket broke).
/// Whatever the client sends meanwhile is read raw and discarded.
fn wait_for_client(tcp: &TcpStream, d: Duration) -> bool {
    let deadline = Instant::now() + d.min(MAX_MISBEHAVIOUR);
    let mut sink = [0u8; 4096];
    let mut tcp = tcp;
    let closed = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break false;
        }
        // A zero timeout means "block forever" to the OS; never pass it.
        if tcp
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .is_err()
        {
            break true;
        }
        match tcp.read(&mut sink) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break true,
        }
    };
    let _ = tcp.set_read_timeout(None);
    closed
}

/// Sends `data` at about `bps` bytes per second (a chunk every 100 ms, or one
/// byte at a time below 10 B/s); gives up after `MAX_MISBEHAVIOUR`.
fn write_trickle<S: Write>(stream: &mut S, data: &[u8], bps: u64) -> std::io::Result<()> {
    let bps = bps.max(1);
    let (chunk, every) = if bps >= 10 {
        ((bps / 10) as usize, Duration::from_millis(100))
    } else {
        (1, Duration::from_millis(1000 / bps))
    };
    let start = Instant::now();
    for (i, piece) in data.chunks(chunk).enumerate() {
        if i > 0 {
            // The server's pacing, not synchronisation: this *is* the fault.
            std::thread::sleep(every);
        }
        if start.elapsed() > MAX_MISBEHAVIOUR {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        stream.write_all(piece)?;
        stream.flush()?;
    }
    Ok(())
}

/// Streams a valid JSON document of exactly `n` bytes without holding it in memory.
fn write_oversized<S: Write>(
    stream: &mut S,
    resp: &Response,
    n: u64,
    keep_alive: bool,
) -> std::io::Result<()> {
    const PREFIX: &[u8] = b"{\"kind\":\"calendar#events\",\"items\":[],\"padding\":\"";
    const SUFFIX: &[u8] = b"\"}";
    let (prefix, filler, suffix): (&[u8], u8, &[u8]) = if n >= (PREFIX.len() + SUFFIX.len()) as u64
    {
        (PREFIX, b'x', SUFFIX)
    } else if n >= 2 {
        (b"{", b' ', b"}")
    } else {
        (b"", b' ', b"")
    };
    stream.write_all(&head(resp, n, keep_alive))?;
    stream.write_all(prefix)?;
    let mut left = n - (prefix.len() + suffix.len()) as u64;
    let block = [filler; 64 * 1024];
    while left > 0 {
        let k = left.min(block.len() as u64) as usize;
        stream.write_all(&block[..k])?;
        left -= k as u64;
    }
    stream.write_all(suffix)?;
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
