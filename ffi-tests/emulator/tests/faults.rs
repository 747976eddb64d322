//! Fault injection, bad-certificate listeners, the CONNECT proxy and connection counting.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rustls::pki_types::ServerName;
use rustls::{CertificateError, ClientConnection, StreamOwned};
use serde_json::{json, Value};

use common::*;

const EVENTS: &str = "/calendars/primary/events";

fn event(id: &str) -> Value {
    json!({
        "id": id,
        "summary": "Fault drill",
        "start": {"dateTime": "2026-11-23T10:00:00+01:00"},
        "end": {"dateTime": "2026-11-23T11:00:00+01:00"},
    })
}

fn fault(emu: &Emu, body: Value) {
    let r = emu.control("POST", "/control/fault", &body);
    assert_eq!(r.status, 200, "{}", r.body);
}

fn counters(emu: &Emu) -> Value {
    emu.control("GET", "/control/requests", &json!({})).json()
}

fn stored_ids(emu: &Emu) -> Vec<String> {
    let dump = emu.control("GET", "/control/events", &json!({})).json();
    dump[ACCOUNT]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

fn tls_to(emu: &Emu, port: u16) -> StreamOwned<ClientConnection, TcpStream> {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let conn = ClientConnection::new(emu.client_config(), name).unwrap();
    StreamOwned::new(conn, sock)
}

fn https_port(emu: &Emu) -> u16 {
    emu.info["https_port"].as_u64().unwrap() as u16
}

/// Sends a GET of the calendar list and returns every byte until the server
/// closes or breaks the connection, and the size of each read.
fn raw_list(emu: &Emu, token: &str) -> (Vec<u8>, Vec<usize>) {
    let mut s = tls_to(emu, https_port(emu));
    let req = format!(
        "GET /calendar/v3/users/me/calendarList HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).unwrap();
    s.flush().unwrap();
    let (mut got, mut reads) = (Vec::new(), Vec::new());
    let mut chunk = [0u8; 65536];
    while let Ok(n) = s.read(&mut chunk) {
        if n == 0 {
            break;
        }
        reads.push(n);
        got.extend_from_slice(&chunk[..n]);
    }
    (got, reads)
}

/// (Content-Length, body bytes received) of a raw response.
fn framing(raw: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(raw);
    let head_end = text.find("\r\n\r\n").expect("a complete head") + 4;
    let len = text[..head_end]
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (len, raw.len() - head_end)
}

#[test]
fn status_faults_fire_once_then_google_answers() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    let list = "/users/me/calendarList";
    fault(
        &emu,
        json!({"match": {"path_prefix": "/calendar/v3/"}, "fault": {"kind": "status", "code": 500}}),
    );
    let r = emu.api("GET", list, &token, None);
    assert_eq!(
        r.json(),
        json!({"error":{"errors":[{"domain":"global","reason":"backendError","message":"Backend Error"}],"code":500,"message":"Backend Error"}})
    );
    assert_eq!(emu.api("GET", list, &token, None).status, 200);

    fault(
        &emu,
        json!({"fault": {"kind": "status", "code": 503, "retry_after": 3}}),
    );
    let r = emu.api("GET", list, &token, None);
    assert_api_error(
        &r,
        503,
        "backendError",
        "The service is currently unavailable.",
    );
    assert_eq!(r.header("Retry-After"), Some("3"));

    fault(&emu, json!({"fault": {"kind": "status", "code": 502}}));
    let r = emu.api("GET", list, &token, None);
    assert_eq!(r.status, 502);
    assert!(r.header("Content-Type").unwrap().starts_with("text/html"));
    assert_eq!(emu.api("GET", list, &token, None).status, 200);
    assert_eq!(counters(&emu)["fault.status"], json!(3));
}

#[test]
fn rate_limits_have_googles_bodies_and_retry_after() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    let cases = [
        (
            429,
            "rateLimitExceeded",
            "usageLimits",
            "Rate Limit Exceeded",
            Some(json!("7")),
        ),
        (
            403,
            "userRateLimitExceeded",
            "usageLimits",
            "User Rate Limit Exceeded",
            None,
        ),
        (
            403,
            "quotaExceeded",
            "usageLimits",
            "Calendar usage limits exceeded.",
            None,
        ),
        (
            403,
            "forbidden",
            "global",
            "Forbidden",
            Some(json!("Wed, 21 Oct 2026 07:28:00 GMT")),
        ),
    ];
    for (code, reason, domain, message, retry_after) in cases {
        let mut f = json!({"kind": "rate_limit", "code": code, "reason": reason});
        if let Some(ra) = &retry_after {
            f["retry_after"] = ra.clone();
        }
        fault(
            &emu,
            json!({"match": {"path_prefix": "/calendar/v3/", "method": "POST"}, "fault": f}),
        );
        // The method filter: a GET is not hit.
        assert_eq!(emu.api("GET", EVENTS, &token, None).status, 200);
        let r = emu.api("POST", EVENTS, &token, Some(&event("ratelimit0001")));
        assert_eq!(
            r.json(),
            json!({"error":{"errors":[{"domain":domain,"reason":reason,"message":message}],"code":code,"message":message}})
        );
        assert_eq!(r.status, code);
        assert_eq!(
            r.header("Retry-After"),
            retry_after.as_ref().and_then(Value::as_str)
        );
    }
    // Not applied: the insert now succeeds for the first time.
    let r = emu.api("POST", EVENTS, &token, Some(&event("ratelimit0001")));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(counters(&emu)["fault.rate_limit"], json!(4));
}

#[test]
fn unauthorized_for_count_requests_and_oauth_error_on_refresh() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    fault(&emu, json!({"count": 2, "fault": {"kind": "unauthorized"}}));
    for _ in 0..2 {
        let r = emu.api("GET", EVENTS, &token, None);
        assert_api_error(&r, 401, "authError", "Invalid Credentials");
        assert!(r.header("WWW-Authenticate").is_some());
    }
    assert_eq!(emu.api("GET", EVENTS, &token, None).status, 200);

    fault(
        &emu,
        json!({"match": {"path_prefix": "/token"}, "fault": {"kind": "oauth_error"}}),
    );
    let code = emu.code_for(&[("scope", CAL_SCOPE)]);
    let r = emu.redeem(&code, &[]);
    assert_oauth_error(
        &r,
        400,
        "invalid_grant",
        "Token has been expired or revoked.",
    );
    // The code was not spent: the fault answered instead of Google.
    assert_eq!(emu.redeem(&code, &[]).status, 200);
    let c = counters(&emu);
    assert_eq!(
        (
            c["fault.unauthorized"].clone(),
            c["fault.oauth_error"].clone()
        ),
        (json!(2), json!(1))
    );
}

#[test]
fn raw_bodies_and_oversized() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    fault(
        &emu,
        json!({"fault": {"kind": "body", "text": "{\"kind\": \"calendar#events\", \"ite"}}),
    );
    let r = emu.api("GET", EVENTS, &token, None);
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, "{\"kind\": \"calendar#events\", \"ite")
    );

    fault(
        &emu,
        json!({"fault": {"kind": "body", "content_type": "text/html; charset=UTF-8", "text": "<html>Sign in to the Wi-Fi</html>"}}),
    );
    let r = emu.api("GET", EVENTS, &token, None);
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=UTF-8"));
    assert_eq!(r.body, "<html>Sign in to the Wi-Fi</html>");

    let n = 5 << 20;
    fault(&emu, json!({"fault": {"kind": "oversized", "bytes": n}}));
    let r = emu.api("GET", EVENTS, &token, None);
    assert_eq!(r.body.len(), n);
    assert_eq!(r.json()["kind"], json!("calendar#events"));
    assert_eq!(
        emu.api("GET", EVENTS, &token, None).json()["items"],
        json!([])
    );

    // "apply": the write happens, only its answer is replaced.
    fault(
        &emu,
        json!({"apply": true, "fault": {"kind": "status", "code": 500}}),
    );
    let r = emu.api("POST", EVENTS, &token, Some(&event("app1ied00001")));
    assert_eq!(r.status, 500);
    assert_eq!(stored_ids(&emu), ["app1ied00001"]);
}

#[test]
fn resets_before_and_after_apply() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    let insert = |id: &str| emu.api_raw("POST", EVENTS, &token, &event(id));

    fault(
        &emu,
        json!({"match": {"method": "POST"}, "fault": {"kind": "reset_before"}}),
    );
    assert!(insert("resetbefore01").is_empty());
    assert!(
        stored_ids(&emu).is_empty(),
        "reset_before must not apply the write"
    );

    fault(
        &emu,
        json!({"match": {"method": "POST"}, "fault": {"kind": "reset_after"}}),
    );
    assert!(insert("resetafter001").is_empty());
    assert_eq!(
        stored_ids(&emu),
        ["resetafter001"],
        "reset_after applies the write"
    );

    // A client retrying the lost insert learns it already happened.
    let r = emu.api("POST", EVENTS, &token, Some(&event("resetafter001")));
    assert_eq!(r.status, 409);

    fault(
        &emu,
        json!({"match": {"method": "POST"}, "fault": {"kind": "reset_mid_response"}}),
    );
    let raw = insert("resetmid00001");
    assert!(raw.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let (promised, got) = framing(&raw);
    assert!(got > 0 && got < promised, "{got} of {promised}");
    assert_eq!(stored_ids(&emu).len(), 2);

    let c = counters(&emu);
    for k in ["reset_before", "reset_after", "reset_mid_response"] {
        assert_eq!(c[format!("fault.{k}")], json!(1), "{k}");
    }
}

#[test]
fn stall_never_finish_and_delay() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);

    fault(
        &emu,
        json!({"fault": {"kind": "stall_headers", "seconds": 0.2}}),
    );
    let (raw, _) = raw_list(&emu, &token);
    assert!(raw.is_empty(), "a stalled server sends nothing");

    fault(
        &emu,
        json!({"fault": {"kind": "never_finish", "seconds": 0.2}}),
    );
    let (raw, _) = raw_list(&emu, &token);
    let (promised, got) = framing(&raw);
    assert!(got < promised, "{got} of {promised}");
    assert!(serde_json::from_slice::<Value>(&raw[raw.len() - got..]).is_ok());

    // The write is applied, the answer comes late but complete.
    fault(
        &emu,
        json!({"match": {"method": "POST"}, "fault": {"kind": "delay_after_apply", "seconds": 0.2}}),
    );
    let r = emu.api("POST", EVENTS, &token, Some(&event("de1a0ed00001")));
    assert_eq!(r.status, 200);
    assert_eq!(stored_ids(&emu), ["de1a0ed00001"]);

    // A stall ends as soon as the client gives up (here at once: the test does not wait 120 s).
    fault(&emu, json!({"fault": {"kind": "stall_headers"}}));
    let mut s = tls_to(&emu, https_port(&emu));
    s.write_all(b"GET /calendar/v3/users/me/calendarList HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    s.flush().unwrap();
    drop(s);
    assert_eq!(emu.api("GET", EVENTS, &token, None).status, 200);
    let c = counters(&emu);
    assert_eq!(c["fault.stall_headers"], json!(2));
    assert_eq!(c["fault.never_finish"], json!(1));
    assert_eq!(c["fault.delay_after_apply"], json!(1));
}

#[test]
fn trickle_sends_the_real_response_in_pieces() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    let (normal, _) = raw_list(&emu, &token);
    fault(
        &emu,
        json!({"fault": {"kind": "trickle", "bytes_per_second": 1000}}),
    );
    let (slow, reads) = raw_list(&emu, &token);
    let (promised, got) = framing(&slow);
    assert_eq!(promised, got);
    assert_eq!(framing(&normal), (promised, got));
    // 100-byte pieces: the first read cannot have the whole response.
    assert!(reads.len() > 1 && reads[0] < slow.len(), "{reads:?}");
    assert_eq!(counters(&emu)["fault.trickle"], json!(1));
}

#[test]
fn window_faults_last_until_cleared_or_reset() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    fault(
        &emu,
        json!({"count": 0, "fault": {"kind": "status", "code": 504}}),
    );
    for _ in 0..3 {
        assert_eq!(emu.api("GET", EVENTS, &token, None).status, 504);
    }
    assert_eq!(
        emu.control("GET", "/control/faults", &json!({}))
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        emu.control("POST", "/control/clear_faults", &json!({}))
            .json()["cleared"],
        json!(1)
    );
    assert_eq!(emu.api("GET", EVENTS, &token, None).status, 200);

    fault(
        &emu,
        json!({"count": 0, "fault": {"kind": "status", "code": 500}}),
    );
    emu.control("POST", "/control/reset", &json!({}));
    let token = emu.access_token(CAL_SCOPE);
    assert_eq!(emu.api("GET", EVENTS, &token, None).status, 200);

    let r = emu.control(
        "POST",
        "/control/fault",
        &json!({"fault": {"kind": "meteor"}}),
    );
    assert_eq!(r.status, 400);
}

fn handshake_error(emu: &Emu, key: &str) -> rustls::Error {
    let base = emu.info[key].as_str().unwrap();
    let port: u16 = base.rsplit_once(':').unwrap().1.parse().unwrap();
    let mut s = tls_to(emu, port);
    let e = s
        .write_all(b"GET /calendar/v3/users/me/calendarList HTTP/1.1\r\n\r\n")
        .and_then(|_| s.flush())
        .and_then(|_| s.read(&mut [0u8; 64]).map(|_| ()))
        .expect_err("the handshake must fail");
    e.get_ref()
        .and_then(|i| i.downcast_ref::<rustls::Error>())
        .unwrap_or_else(|| panic!("not a TLS error: {e}"))
        .clone()
}

#[test]
fn bad_certificate_listeners_fail_for_their_reason() {
    let emu = Emu::start();
    assert!(matches!(
        handshake_error(&emu, "tls_untrusted_base"),
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
    ));
    assert!(matches!(
        handshake_error(&emu, "tls_wrong_host_base"),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        )
    ));
    assert!(matches!(
        handshake_error(&emu, "tls_expired_base"),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. }
        )
    ));
    // None of them is the Google port's connection count.
    assert!(counters(&emu).get("connections").is_none());
}

fn proxy_port(emu: &Emu) -> u16 {
    emu.info["proxy_port"].as_u64().unwrap() as u16
}

/// Sends CONNECT to the proxy; returns the answer head and the socket.
fn connect(emu: &Emu, target: &str, auth: Option<&str>) -> (String, TcpStream) {
    let mut s = TcpStream::connect(("127.0.0.1", proxy_port(emu))).unwrap();
    let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(a) = auth {
        req.push_str(&format!(
            "Proxy-Authorization: Basic {}\r\n",
            STANDARD.encode(a)
        ));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    // Byte by byte: nothing of the tunnel may be eaten with the head.
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut b).unwrap(), 1, "proxy closed mid-head");
        head.push(b[0]);
    }
    (String::from_utf8(head).unwrap(), s)
}

fn google_via(emu: &Emu, sock: TcpStream, token: &str) -> Resp {
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let conn = ClientConnection::new(emu.client_config(), name).unwrap();
    let auth = format!("Bearer {token}");
    exchange(
        StreamOwned::new(conn, sock),
        "GET",
        "/calendar/v3/users/me/calendarList",
        &[("Authorization", &auth)],
        b"",
    )
}

#[test]
fn proxy_tunnels_tls_to_google_with_and_without_auth() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    let google = format!("127.0.0.1:{}", https_port(&emu));

    let (head, s) = connect(&emu, &google, None);
    assert!(
        head.starts_with("HTTP/1.1 200 Connection established\r\n"),
        "{head}"
    );
    assert_eq!(google_via(&emu, s, &token).status, 200);

    let r = emu.control("POST", "/control/proxy", &json!({"auth": true}));
    assert_eq!(
        r.json(),
        json!({"auth": true, "refuse": false, "die_mid_tunnel": false})
    );
    for creds in [None, Some("pbx:wrong")] {
        let (head, _) = connect(&emu, &google, creds);
        assert!(head.starts_with("HTTP/1.1 407 "), "{head}");
        assert!(head.contains("Proxy-Authenticate: Basic realm=\"gs-gcal-test\"\r\n"));
    }
    let (head, s) = connect(&emu, &google, Some("pbx:proxy-s3cret"));
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    assert_eq!(google_via(&emu, s, &token).status, 200);

    let (head, _) = connect(&emu, "calendar.google.com:443", Some("pbx:proxy-s3cret"));
    assert!(head.starts_with("HTTP/1.1 403 "), "{head}");

    let c = counters(&emu);
    assert_eq!(c["proxy.connect"], json!(5));
    assert_eq!(c["proxy.tunnel"], json!(2));
    // The token request made directly plus two tunnelled connections.
    assert_eq!(c["connections"], json!(1 + 2));
    let secrets = emu.control("GET", "/control/secrets", &json!({})).json();
    assert!(secrets["secrets"]
        .as_array()
        .unwrap()
        .contains(&json!("proxy-s3cret")));
}

#[test]
fn proxy_refuses_or_dies_mid_tunnel() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    let google = format!("127.0.0.1:{}", https_port(&emu));

    emu.control("POST", "/control/proxy", &json!({"refuse": true}));
    let (head, _) = connect(&emu, &google, None);
    assert!(head.starts_with("HTTP/1.1 502 "), "{head}");
    assert_eq!(counters(&emu)["proxy.refused"], json!(1));

    emu.control(
        "POST",
        "/control/proxy",
        &json!({"refuse": false, "die_mid_tunnel": true}),
    );
    // A 4 KiB answer cannot fit through a tunnel cut after 1 KiB.
    fault(
        &emu,
        json!({"fault": {"kind": "body", "text": format!("\"{}\"", "x".repeat(4096))}}),
    );
    let (head, s) = connect(&emu, &google, None);
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let conn = ClientConnection::new(emu.client_config(), name).unwrap();
    let mut tls = StreamOwned::new(conn, s);
    let auth = format!("Bearer {token}");
    let req = format!(
        "GET /calendar/v3/users/me/calendarList HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n\r\n"
    );
    let mut got = Vec::new();
    let mut chunk = [0u8; 8192];
    let ended_in_error = tls
        .write_all(req.as_bytes())
        .and_then(|_| tls.flush())
        .and_then(|_| loop {
            match tls.read(&mut chunk)? {
                0 => return Ok(()),
                n => got.extend_from_slice(&chunk[..n]),
            }
        })
        .is_err();
    assert!(ended_in_error, "a cut tunnel is no clean TLS close");
    assert!(got.len() < 4096, "{} bytes came through", got.len());
    assert_eq!(counters(&emu)["proxy.died"], json!(1));
}

#[test]
fn connections_are_counted_per_tcp_connection() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    emu.control("POST", "/control/reset", &json!({}));
    let token2 = emu.access_token(CAL_SCOPE);
    assert_ne!(token, token2);
    // One keep-alive connection, three requests: one handshake.
    let mut s = tls_to(&emu, https_port(&emu));
    let req = format!(
        "GET /calendar/v3/users/me/calendarList HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token2}\r\n\r\n"
    );
    for _ in 0..3 {
        s.write_all(req.as_bytes()).unwrap();
        s.flush().unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = s.read(&mut chunk).unwrap();
            assert!(n > 0);
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                let (len, got) = framing(&buf);
                if got >= len {
                    break;
                }
            }
        }
    }
    // The token exchange plus the keep-alive connection.
    assert_eq!(counters(&emu)["connections"], json!(2));
}
