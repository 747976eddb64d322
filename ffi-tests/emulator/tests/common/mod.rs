//! The test harness shared by the integration tests: spawns the emulator binary and
//! talks to it over real TLS (rustls client, hand-written HTTP/1.1).
// Each test crate uses a different subset.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::{json, Value};

pub const CAL_SCOPE: &str = "https://www.googleapis.com/auth/calendar";
pub const EVENTS_SCOPE: &str = "https://www.googleapis.com/auth/calendar.events";
pub const READONLY_SCOPE: &str = "https://www.googleapis.com/auth/calendar.readonly";
pub const REDIRECT: &str = "https://pbx.mycompanyabc.com/gcal/oauth2callback";
pub const CLIENT_ID: &str = "1018-gsgcal-emulator.apps.googleusercontent.com";
pub const SECRET: &str = "GOCSPX-emulator-s3cret";
pub const ACCOUNT: &str = "arthur.morgan@mycompanyabc.com";

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Emu {
    pub child: Child,
    stdin: Option<ChildStdin>,
    pub info: Value,
    tls: Arc<ClientConfig>,
}

impl Drop for Emu {
    fn drop(&mut self) {
        drop(self.stdin.take()); // --exit-on-stdin-eof
        let _ = self.child.wait();
    }
}

pub fn pem_to_der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(b64).expect("CA PEM")
}

pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// One request per connection, response framed by Content-Length.
pub fn exchange<S: Read + Write>(
    mut s: S,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    s.flush().unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let mut hs = [httparse::EMPTY_HEADER; 64];
        let mut r = httparse::Response::new(&mut hs);
        if let httparse::Status::Complete(n) = r.parse(&buf).unwrap() {
            let headers: Vec<(String, String)> = r
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect();
            let status = r.code.unwrap();
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().unwrap())
                .unwrap_or(0);
            while buf.len() < n + len {
                let k = s.read(&mut chunk).unwrap();
                assert!(k > 0, "truncated body");
                buf.extend_from_slice(&chunk[..k]);
            }
            return Resp {
                status,
                headers,
                body: String::from_utf8_lossy(&buf[n..n + len]).into_owned(),
            };
        }
        let k = s.read(&mut chunk).unwrap();
        assert!(k > 0, "connection closed before the response head");
        buf.extend_from_slice(&chunk[..k]);
    }
}

impl Emu {
    pub fn start() -> Emu {
        let dir = std::env::temp_dir().join(format!(
            "gcal-emulator-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_gcal-emulator"))
            .args(["--exit-on-stdin-eof", "--ca-dir"])
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info: Value = serde_json::from_str(&line).expect("startup line is JSON");
        let pem = std::fs::read_to_string(info["ca_file"].as_str().unwrap()).unwrap();
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from(pem_to_der(&pem))).unwrap();
        let tls =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        Emu {
            stdin: child.stdin.take(),
            child,
            info,
            tls: Arc::new(tls),
        }
    }

    /// The client config trusting only the published CA.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.tls.clone()
    }

    pub fn https(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let port = self.info["https_port"].as_u64().unwrap();
        let sock = TcpStream::connect(("127.0.0.1", port as u16)).unwrap();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let conn = ClientConnection::new(self.tls.clone(), name).unwrap();
        exchange(StreamOwned::new(conn, sock), method, path, headers, body)
    }

    /// Sends one API request and returns every byte received until the server
    /// closes (or breaks) the connection, for tests of unanswered requests.
    pub fn api_raw(&self, method: &str, path: &str, token: &str, body: &Value) -> Vec<u8> {
        let port = self.info["https_port"].as_u64().unwrap();
        let sock = TcpStream::connect(("127.0.0.1", port as u16)).unwrap();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let conn = ClientConnection::new(self.tls.clone(), name).unwrap();
        let mut s = StreamOwned::new(conn, sock);
        let body = body.to_string();
        let req = format!(
            "{method} /calendar/v3{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        s.flush().unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n) = s.read(&mut chunk) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&chunk[..n]);
        }
        got
    }

    pub fn control(&self, method: &str, path: &str, body: &Value) -> Resp {
        let port = self.info["control_port"].as_u64().unwrap();
        let sock = TcpStream::connect(("127.0.0.1", port as u16)).unwrap();
        exchange(
            sock,
            method,
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }

    pub fn auth_url(&self, extra: &[(&str, &str)]) -> String {
        let mut pairs = vec![
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
        ];
        pairs.extend_from_slice(extra);
        format!(
            "{}?{}",
            self.info["auth_endpoint"].as_str().unwrap(),
            form(&pairs)
        )
    }

    /// Consents to `url`, returns the query parameters of the redirect.
    pub fn consent(&self, url: &str) -> Vec<(String, String)> {
        let r = self.control(
            "POST",
            "/control/consent",
            &json!({"url": url, "decision": "allow"}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let redirect = r.json()["redirect"].as_str().unwrap().to_string();
        let (base, query) = redirect.split_once('?').unwrap();
        assert_eq!(base, REDIRECT);
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    pub fn code_for(&self, extra: &[(&str, &str)]) -> String {
        let params = self.consent(&self.auth_url(extra));
        params.into_iter().find(|(k, _)| k == "code").unwrap().1
    }

    pub fn token(&self, pairs: &[(&str, &str)]) -> Resp {
        let body = form(pairs);
        self.https(
            "POST",
            "/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    }

    pub fn redeem(&self, code: &str, extra: &[(&str, &str)]) -> Resp {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ];
        pairs.extend_from_slice(extra);
        self.token(&pairs)
    }

    pub fn access_token(&self, scope: &str) -> String {
        let code = self.code_for(&[("scope", scope)]);
        let r = self.redeem(&code, &[]);
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["access_token"].as_str().unwrap().to_string()
    }

    pub fn api(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Resp {
        let auth = format!("Bearer {token}");
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.https(
            method,
            &format!("/calendar/v3{path}"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    }
}

pub fn assert_oauth_error(r: &Resp, status: u16, error: &str, description: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"error": error, "error_description": description})
    );
    assert!(
        r.body.contains("\n  \"error\""),
        "pretty-printed: {}",
        r.body
    );
}

pub fn assert_api_error(r: &Resp, code: u16, reason: &str, message: &str) {
    assert_eq!(r.status, code, "{}", r.body);
    let e = &r.json()["error"];
    assert_eq!(e["code"], json!(code));
    assert_eq!(e["errors"][0]["reason"], json!(reason), "{}", r.body);
    assert_eq!(e["errors"][0]["message"], json!(message), "{}", r.body);
}
