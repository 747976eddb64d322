//! A small HTTP CONNECT proxy, like the web proxy a PBX may have to use:
//! optional Basic auth, tunnels to 127.0.0.1 only, and can refuse or die mid-tunnel
//! (/control/proxy).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::state::{self, Shared, PROXY_PASSWORD, PROXY_USER};

/// A tunnel or client idle this long is closed, so no thread lives forever.
const IDLE: Duration = Duration::from_secs(120);
/// No tunnel outlives this, however busy.
const MAX_TUNNEL: Duration = Duration::from_secs(600);
const MAX_HEAD: usize = 64 * 1024;
/// die_mid_tunnel: bytes relayed from the server before the tunnel is cut.
const DIE_AFTER: usize = 1024;

pub fn serve(listener: TcpListener, shared: Shared) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let shared = shared.clone();
        std::thread::spawn(move || client(stream, &shared));
    }
}

struct Connect {
    method: String,
    target: String,
    auth: Option<String>,
    close: bool,
}

/// Reads one request head from `buf` + `c`; leaves any bytes after it in `buf`.
fn read_head(c: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Connect> {
    let mut chunk = [0u8; 4096];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(buf) {
            Ok(httparse::Status::Complete(n)) => {
                let get = |name: &str| {
                    req.headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).into_owned())
                };
                let out = Connect {
                    method: req.method.unwrap_or("").to_string(),
                    target: req.path.unwrap_or("").to_string(),
                    auth: get("proxy-authorization"),
                    close: get("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
                        || get("content-length").is_some_and(|v| v.trim() != "0"),
                };
                buf.drain(..n);
                return Some(out);
            }
            Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => {}
            _ => {
                let _ = c.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                return None;
            }
        }
        match c.read(&mut chunk) {
            Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
}

fn authorized(header: Option<&str>) -> bool {
    let Some((scheme, cred)) = header.and_then(|h| h.trim().split_once(' ')) else {
        return false;
    };
    scheme.eq_ignore_ascii_case("basic")
        && base64::engine::general_purpose::STANDARD
            .decode(cred.trim())
            .is_ok_and(|d| d == format!("{PROXY_USER}:{PROXY_PASSWORD}").as_bytes())
}

/// Only loopback tunnels: the proxy must never become a way out of the test box.
fn destination(target: &str) -> Option<SocketAddr> {
    let (host, port) = target.rsplit_once(':')?;
    let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
    (host == "127.0.0.1").then(|| SocketAddr::from(([127, 0, 0, 1], port)))
}

fn client(mut c: TcpStream, shared: &Shared) {
    let _ = c.set_read_timeout(Some(IDLE));
    let _ = c.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_head(&mut c, &mut buf) else {
            return;
        };
        let (status, text) = if req.method != "CONNECT" {
            (405, "Method Not Allowed")
        } else {
            let settings = {
                let mut st = state::lock(shared);
                st.count("proxy.connect");
                st.toggles.proxy
            };
            let count = |what: &str| state::lock(shared).count(what);
            if settings.refuse {
                count("proxy.refused");
                (502, "Bad Gateway")
            } else if settings.auth && !authorized(req.auth.as_deref()) {
                count("proxy.auth_required");
                (407, "Proxy Authentication Required")
            } else if let Some(addr) = destination(&req.target) {
                match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
                    Ok(up) => {
                        count("proxy.tunnel");
                        // Never the Proxy-Authorization header: it is a secret.
                        eprintln!("proxy CONNECT {} 200", req.target);
                        if c.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                            .is_ok()
                        {
                            tunnel(c, up, &buf, settings.die_mid_tunnel, shared);
                        }
                        return;
                    }
                    Err(_) => {
                        count("proxy.upstream_failed");
                        (502, "Bad Gateway")
                    }
                }
            } else {
                count("proxy.forbidden");
                (403, "Forbidden")
            }
        };
        eprintln!("proxy {} {} {status}", req.method, req.target);
        let mut head = format!("HTTP/1.1 {status} {text}\r\nContent-Length: 0\r\n");
        if status == 407 {
            head.push_str("Proxy-Authenticate: Basic realm=\"gs-gcal-test\"\r\n");
        }
        // After a 407 a client may retry with credentials on the same connection.
        let close = req.close || status != 407;
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        if c.write_all(head.as_bytes()).is_err() || close {
            return;
        }
    }
}

/// Copies `from` → `to` until EOF, an error, the idle timeout or `limit` bytes.
/// Returns true if it stopped because of `limit`.
fn pump(mut from: &TcpStream, mut to: &TcpStream, limit: Option<usize>) -> bool {
    let start = Instant::now();
    let mut sent = 0usize;
    let mut chunk = [0u8; 16 * 1024];
    while start.elapsed() < MAX_TUNNEL {
        let n = match from.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let n = limit.map_or(n, |l| n.min(l - sent));
        if to.write_all(&chunk[..n]).is_err() {
            break;
        }
        sent += n;
        if limit.is_some_and(|l| sent >= l) {
            return true;
        }
    }
    // Pass the end on, so the other side sees the close too.
    let _ = to.shutdown(Shutdown::Write);
    false
}

fn tunnel(c: TcpStream, up: TcpStream, pending: &[u8], die: bool, shared: &Shared) {
    let _ = up.set_read_timeout(Some(IDLE));
    let _ = up.set_nodelay(true);
    if !pending.is_empty() && (&up).write_all(pending).is_err() {
        return;
    }
    let (Ok(c2), Ok(up2)) = (c.try_clone(), up.try_clone()) else {
        return;
    };
    let upward = std::thread::spawn(move || pump(&c2, &up2, None));
    let died = pump(&up, &c, die.then_some(DIE_AFTER));
    if died {
        state::lock(shared).count("proxy.died");
        eprintln!("proxy tunnel cut after {DIE_AFTER} bytes (die_mid_tunnel)");
    }
    // Once the server is done (or the tunnel dies) it is over: wake the other direction.
    let _ = c.shutdown(Shutdown::Both);
    let _ = up.shutdown(Shutdown::Both);
    let _ = upward.join();
}
