//! gcal-emulator: a local stand-in for Google's OAuth 2.0 endpoints and
//! Calendar API v3, for gs-gcal's tests. Google is never reachable in tests.

mod calendar;
mod calendar_list;
mod clock;
mod control;
mod device;
mod fault;
mod freebusy;
mod http;
mod instances;
mod list;
mod oauth;
mod proxy;
mod recurrence;
mod revoke;
mod schema;
mod service_account;
mod state;
mod tls;
mod tokens;
mod zone;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::json;

use http::{Handler, Request, Response};
use state::Shared;

struct Args {
    ca_dir: Option<PathBuf>,
    exit_on_stdin_eof: bool,
}

const USAGE: &str = "usage: gcal-emulator [--ca-dir DIR] [--exit-on-stdin-eof]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        ca_dir: None,
        exit_on_stdin_eof: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--ca-dir" => args.ca_dir = Some(it.next().ok_or("--ca-dir needs a directory")?.into()),
            "--exit-on-stdin-eof" => args.exit_on_stdin_eof = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// The TLS port: everything Google would serve, unless a queued fault intervenes.
fn google(shared: &Shared, req: &Request) -> Response {
    fault::intercept(shared, req, |req| google_route(shared, req))
}

fn google_route(shared: &Shared, req: &Request) -> Response {
    match req.path.as_str() {
        "/o/oauth2/v2/auth" => oauth::authorization_endpoint(shared, req),
        "/token" => oauth::token_endpoint(shared, req),
        "/device/code" => device::device_code_endpoint(shared, req),
        "/revoke" => revoke::revoke_endpoint(shared, req),
        p if p.starts_with("/calendar/v3/") => calendar::handle(shared, req),
        _ => Response::new(
            404,
            "text/html; charset=UTF-8",
            "<!DOCTYPE html><title>Error 404 (Not Found)</title>",
        ),
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let tls = tls::generate()?;

    let dir = match args.ca_dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "gcal-emulator-{}-{}",
            std::process::id(),
            clock::now_millis()
        )),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &tls.ca_pem).map_err(|e| format!("{}: {e}", ca_file.display()))?;

    let bind = || -> Result<(TcpListener, u16), String> {
        let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let port = l.local_addr().map_err(|e| e.to_string())?.port();
        Ok((l, port))
    };
    let (google_listener, port) = bind()?;
    let (control_listener, control_port) = bind()?;
    let (untrusted_listener, untrusted_port) = bind()?;
    let (wrong_host_listener, wrong_host_port) = bind()?;
    let (expired_listener, expired_port) = bind()?;
    let (proxy_listener, proxy_port) = bind()?;
    // A port nobody listens on (bound, then released): "connection refused".
    let (_, refused_port) = bind()?;

    let shared: Shared = Arc::new(Mutex::new(state::State::new(port)));
    let mut line = json!({
        "auth_endpoint": format!("https://127.0.0.1:{port}/o/oauth2/v2/auth"),
        "token_endpoint": format!("https://127.0.0.1:{port}/token"),
        "calendar_api_base": format!("https://127.0.0.1:{port}/calendar/v3"),
        "https_port": port,
        "control": format!("http://127.0.0.1:{control_port}"),
        "control_port": control_port,
        "ca_file": ca_file.to_string_lossy(),
        "client_id": state::DEFAULT_CLIENT_ID,
        "client_secret": state::DEFAULT_CLIENT_SECRET,
        "redirect_uri": state::DEFAULT_REDIRECT_URIS[0],
        "account": state::DEFAULT_ACCOUNT,
        "device_client_id": state::DEVICE_CLIENT_ID,
        "device_client_secret": state::DEVICE_CLIENT_SECRET,
        "device_endpoint": format!("https://127.0.0.1:{port}/device/code"),
        "revoke_endpoint": format!("https://127.0.0.1:{port}/revoke"),
        "tls_untrusted_base": format!("https://127.0.0.1:{untrusted_port}"),
        "tls_wrong_host_base": format!("https://127.0.0.1:{wrong_host_port}"),
        "tls_expired_base": format!("https://127.0.0.1:{expired_port}"),
        "refused_base": format!("https://127.0.0.1:{refused_port}"),
        "proxy": format!("http://127.0.0.1:{proxy_port}"),
        "proxy_port": proxy_port,
        "proxy_user": state::PROXY_USER,
        "proxy_password": state::PROXY_PASSWORD,
    });

    // Workspace mode: the service account's key files next to ca.pem.
    let token_uri = format!("https://127.0.0.1:{port}/token");
    let sa = service_account::setup(&mut state::lock(&shared).workspace, &dir, &token_uri)?;
    if let (Some(l), Some(extra)) = (line.as_object_mut(), sa.as_object()) {
        l.extend(extra.clone());
    }

    let s = shared.clone();
    let control_handler: Handler = Arc::new(move |req| control::handle(&s, req));
    std::thread::spawn(move || http::serve(control_listener, None, control_handler, None));
    let s = shared.clone();
    let google_handler: Handler = Arc::new(move |req| google(&s, req));
    let s = shared.clone();
    // Counts TCP connections (so TLS handshakes) on the real Google port only.
    let on_accept: http::OnAccept = Arc::new(move || state::lock(&s).count("connections"));
    let tls_config = tls.server_config.clone();
    let h = google_handler.clone();
    std::thread::spawn(move || http::serve(google_listener, Some(tls_config), h, Some(on_accept)));
    for (listener, config) in [
        (untrusted_listener, tls.untrusted.clone()),
        (wrong_host_listener, tls.wrong_host.clone()),
        (expired_listener, tls.expired.clone()),
    ] {
        let h = google_handler.clone();
        std::thread::spawn(move || http::serve(listener, Some(config), h, None));
    }
    let s = shared.clone();
    std::thread::spawn(move || proxy::serve(proxy_listener, s));

    // Only after both listeners are serving: the line is the readiness signal.
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|_| out.flush())
        .map_err(|e| e.to_string())?;
    drop(out);
    eprintln!("gcal-emulator: https on 127.0.0.1:{port}, control on 127.0.0.1:{control_port}");

    if args.exit_on_stdin_eof {
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin().lock();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        return Ok(());
    }
    loop {
        std::thread::park();
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("gcal-emulator: {e}\n{USAGE}");
        std::process::exit(2);
    }
}
