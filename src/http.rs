//! The only network code: one ureq agent per handle with every limit set
//! explicitly (ureq sets no timeouts by default), and the one place that
//! turns transport failures and Google API error bodies into `Error`s.

use crate::options::Config;
use crate::errors::{Error, Result};
use crate::json::Value;
use crate::log::{log_at, redact_url, Log};
use std::sync::Arc;
use std::time::Duration;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};

/// Largest response body we read (Google's event bodies are a few KB; an
/// events page of 250 is well under this).
pub(crate) const MAX_BODY: u64 = 1 << 20;
/// 16 KiB buffers: ureq's 128 KiB default costs ~450 KB heap per request on
/// ARM and handles our bodies no better (build-notes.md).
const BUFFER: usize = 16 * 1024;

/// Resolves host names, bounded like curl's threaded resolver: the lookup
/// runs on a short-lived helper thread and the caller waits at most the
/// connect timeout (or what is left of the request's and call's budget,
/// whichever is less), so a resolver that never answers cannot block a
/// call past `connect_timeout_ms`/`timeout_ms` (issue 16 A5). A lookup
/// that times out leaves its (detached) thread to finish on its own (it only
/// holds the slot it answers in and exits when the system resolver gives up);
/// IP-literal hosts and answers kept from the last `DNS_KEEP` seconds need
/// no thread. (ureq's own resolver is not linked: its thread code is ~10 KB
/// on armv7, issue 7; this one is smaller and has no pool.)
///
/// Answers are kept for `DNS_KEEP`: ureq resolves before every request,
/// even one that reuses a kept-alive connection, and a lookup per push
/// would cost a resolver round trip (and a thread) each time.
struct InlineResolver {
    /// The last answer: "host:port", when, addresses. One slot is enough:
    /// between hourly token refreshes every request goes to one host.
    last: std::sync::Mutex<Option<(String, std::time::Instant, ureq::unversioned::resolver::ResolvedSocketAddrs)>>,
    /// The name lookup itself (the system's getaddrinfo; tests inject one
    /// that never answers).
    lookup: Lookup,
    /// At most this long per lookup (`connect_timeout_ms`).
    bound: Duration,
}

/// A host name lookup: "host:port" to addresses.
pub(crate) type Lookup = fn(&str) -> std::io::Result<Vec<std::net::SocketAddr>>;

fn system_lookup(addr: &str) -> std::io::Result<Vec<std::net::SocketAddr>> {
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs().map(Iterator::collect)
}

/// Stack of the helper thread: getaddrinfo (NSS, DNS) needs some, not MBs.
const RESOLVER_STACK: usize = 256 * 1024;

/// Where the helper thread leaves its answer for the caller, who may have
/// stopped waiting (then nobody reads it).
type Answer = std::sync::Arc<(std::sync::Mutex<Option<std::result::Result<Vec<std::net::SocketAddr>, ureq::Error>>>, std::sync::Condvar)>;

/// Runs `lookup(addr)` on a helper thread and waits at most `bound`.
fn lookup_bounded(lookup: Lookup, addr: &str, bound: Duration) -> std::result::Result<Vec<std::net::SocketAddr>, ureq::Error> {
    if let Ok(a) = addr.parse::<std::net::SocketAddr>() {
        return Ok(vec![a]);
    }
    let answer: Answer = Default::default();
    let theirs = answer.clone();
    let owned = addr.to_owned();
    crate::sys::spawn_detached(
        c"gs-gcal-resolve",
        RESOLVER_STACK,
        Box::new(move || {
            // A lookup that panics answers "not found" (the thread ends).
            struct Unanswered(Answer);
            impl Drop for Unanswered {
                fn drop(&mut self) {
                    let (slot, cv) = &*self.0;
                    if let Ok(mut s) = slot.lock() {
                        s.get_or_insert(Err(ureq::Error::HostNotFound));
                    }
                    cv.notify_one();
                }
            }
            let guard = Unanswered(theirs);
            let r = lookup(&owned).map_err(ureq::Error::Io);
            if let Ok(mut s) = guard.0 .0.lock() {
                *s = Some(r);
            };
        }),
    )
    .map_err(ureq::Error::Io)?;
    let (slot, cv) = &*answer;
    let s = slot.lock().unwrap_or_else(|p| p.into_inner());
    let (mut s, _) = cv.wait_timeout_while(s, bound, |s| s.is_none()).unwrap_or_else(|p| p.into_inner());
    s.take().unwrap_or(Err(ureq::Error::Timeout(ureq::Timeout::Resolve)))
}

impl std::fmt::Debug for InlineResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InlineResolver")
    }
}

/// How long an answer is reused: as long as an idle connection is kept.
const DNS_KEEP: Duration = Duration::from_secs(30);

fn fresh(at: std::time::Instant, now: std::time::Instant) -> bool {
    now.saturating_duration_since(at) < DNS_KEEP
}

impl ureq::unversioned::resolver::Resolver for InlineResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> std::result::Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let addr = uri
            .scheme()
            .zip(uri.authority())
            .and_then(|(s, a)| ureq::unversioned::resolver::DefaultResolver::host_and_port(s, a))
            .ok_or_else(|| ureq::Error::BadUri(uri.to_string()))?;
        let now = std::time::Instant::now();
        if let Ok(last) = self.last.lock() {
            if let Some((_, _, found)) = last.as_ref().filter(|(k, at, _)| *k == addr && fresh(*at, now)) {
                return Ok(found.clone());
            }
        }
        let mut found = self.empty();
        // ureq's remaining budget (whole request, call) or ours, the lesser.
        let bound = if timeout.after.is_not_happening() { self.bound } else { self.bound.min(*timeout.after) };
        for a in config.ip_family().keep_wanted(lookup_bounded(self.lookup, &addr, bound)?.into_iter()) {
            if found.try_push(a).is_err() {
                break; // ureq keeps at most 16
            }
        }
        if found.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        if let Ok(mut last) = self.last.lock() {
            *last = Some((addr, now, found.clone()));
        }
        Ok(found)
    }
}

/// A response: status and the bounded body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// The server's clock (`Date` header), unix seconds.
    pub date: Option<i64>,
    /// `Retry-After` in seconds from now (given as seconds or as a date).
    pub retry_after: Option<u64>,
    /// From an OAuth endpoint: may hold tokens, wiped on drop.
    pub secret: bool,
}

/// Answers of the OAuth endpoints carry access and refresh tokens: their
/// bytes are wiped when dropped (no secret survives in freed memory for a
/// core file to show). Calendar answers carry none and are not wiped: no
/// memset on the push path.
impl Drop for Reply {
    fn drop(&mut self) {
        if self.secret {
            zeroize::Zeroize::zeroize(&mut self.body);
        }
    }
}

pub struct Http {
    agent: ureq::Agent,
    timeout: Duration,
    /// The end of the current C call ("call_timeout_ms"): no request may
    /// outlive it, whatever the server does.
    deadline: std::cell::Cell<Option<std::time::Instant>>,
    /// The handle's logger: one line per request.
    pub log: Log,
}

impl Http {
    /// `ca_pem`: the bytes of the `ca_file` option's file (read by `store`).
    pub fn new(cfg: &Config, ca_pem: Option<&[u8]>) -> Result<Http> {
        let roots = match (&cfg.ca_file, ca_pem) {
            (Some(path), Some(pem)) => RootCerts::new_with_certs(&parse_ca_pem(path, pem)?),
            (Some(path), None) => return Err(Error::CaFile(format!("ca_file {path}: not read"))),
            #[cfg(feature = "embedded-roots")]
            (None, _) => RootCerts::WebPki,
            #[cfg(not(feature = "embedded-roots"))]
            (None, _) => {
                return Err(Error::CaFile(
                    "this build has no embedded root certificates: set ca_file to the system's \
                     CA bundle (e.g. /etc/ssl/certs/ca-certificates.crt)"
                        .into(),
                ))
            }
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            // Explicit provider: with rustls-no-provider ureq would panic on
            // first connect without one.
            .unversioned_rustls_crypto_provider(Arc::new(crate::tls::provider()))
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .https_only(false) // http allowed only for loopback, checked in config
            .http_status_as_error(false)
            // Only the configured proxy: never one from the environment.
            .proxy(proxy(cfg)?)
            .max_redirects(0) // Google's APIs do not redirect; a redirect is an error
            .timeout_connect(Some(Duration::from_millis(cfg.connect_timeout_ms.into())))
            .timeout_global(Some(Duration::from_millis(cfg.timeout_ms.into())))
            .input_buffer_size(BUFFER)
            .output_buffer_size(BUFFER)
            // Below the input buffer: a header that fills the buffer is then
            // "too large" (at equal sizes ureq reports a disconnection).
            .max_response_header_size(BUFFER - 1)
            .max_idle_connections(2)
            .max_idle_connections_per_host(2)
            .max_idle_age(Duration::from_secs(30))
            .user_agent(concat!("gs-gcal/", env!("CARGO_PKG_VERSION")))
            .accept_encoding("identity")
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            InlineResolver { last: Default::default(), lookup: system_lookup, bound: Duration::from_millis(cfg.connect_timeout_ms.into()) },
        );
        Ok(Http { agent, timeout: Duration::from_millis(cfg.timeout_ms.into()), deadline: Default::default(), log: Log::default() })
    }

    /// Bounds every request until `end_call` by `deadline`.
    pub fn begin_call(&self, deadline: Option<std::time::Instant>) {
        self.deadline.set(deadline);
    }

    pub fn end_call(&self) {
        self.deadline.set(None);
    }

    /// Applies the time left in the call to one request.
    fn bounded<B>(&self, url: &str, rb: ureq::RequestBuilder<B>) -> Result<ureq::RequestBuilder<B>> {
        let Some(deadline) = self.deadline.get() else { return Ok(rb) };
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(Error::Timeout(format!("{}: the call's time budget is used up", where_(url))));
        }
        if left >= self.timeout {
            return Ok(rb); // the agent's own timeout_global is the bound
        }
        Ok(rb.config().timeout_global(Some(left)).build())
    }

    /// POST an `application/x-www-form-urlencoded` body (OAuth endpoints);
    /// `authorization`: an `Authorization` header value (the client's HTTP
    /// Basic credentials), or none.
    pub fn post_form(&self, url: &str, form: &str, authorization: Option<&str>) -> Result<Reply> {
        let started = std::time::Instant::now();
        let mut req = self.bounded(url, self.agent.post(url))?.header("Accept", "application/json");
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        let r = req
            .content_type("application/x-www-form-urlencoded")
            .send(form.as_bytes())
            .map_err(|e| transport(url, e))
            .and_then(|resp| read(url, resp, true));
        self.log_call("POST", url, started, &r);
        r
    }

    /// A Calendar API call with a bearer token and an optional JSON body.
    pub fn api(&self, method: &str, url: &str, token: &str, body: Option<&[u8]>) -> Result<Reply> {
        let started = std::time::Instant::now();
        let r = self.api_call(method, url, token, body);
        self.log_call(method, url, started, &r);
        r
    }

    fn api_call(&self, method: &str, url: &str, token: &str, body: Option<&[u8]>) -> Result<Reply> {
        let bearer = crate::secret::WipedString(format!("Bearer {token}"));
        let bearer = bearer.0.as_str();
        let result = match (method, body) {
            ("GET", _) => self.bounded(url, self.agent.get(url))?.header("Authorization", bearer).call(),
            ("DELETE", _) => self.bounded(url, self.agent.delete(url))?.header("Authorization", bearer).call(),
            (m, Some(b)) => {
                let req = match m {
                    "POST" => self.agent.post(url),
                    "PUT" => self.agent.put(url),
                    "PATCH" => self.agent.patch(url),
                    _ => return Err(Error::Internal(format!("unsupported method {m}"))),
                };
                let req = self.bounded(url, req)?;
                req.header("Authorization", bearer)
                    .content_type("application/json")
                    .send(b)
            }
            (m, None) => return Err(Error::Internal(format!("{m} without a body"))),
        };
        let resp = result.map_err(|e| transport(url, e))?;
        read(url, resp, false)
    }
}

impl Http {
    /// The one line per Google call: method, URL without query values,
    /// status with Google's error reason and Retry-After, duration.
    fn log_call(&self, method: &str, url: &str, started: std::time::Instant, r: &Result<Reply>) {
        let ms = started.elapsed().as_millis() as u64; // u64: no 128-bit formatting code (2 KB on armv7)
        match r {
            Ok(reply) if self.log.enabled(crate::log::Level::Info) => {
                let mut extra = String::new();
                if reply.status >= 400 {
                    if let Some(reason) = google_reason(&reply.body) {
                        extra = format!(" {reason}");
                    }
                }
                if let Some(s) = reply.retry_after {
                    extra.push_str(&format!(", Retry-After {s} s"));
                }
                log_at!(self.log, Info, "google: {method} {} -> {}{extra} ({ms} ms)", redact_url(url), reply.status);
            }
            Ok(_) => {}
            Err(e) => log_at!(self.log, Warn, "google: {method} {} -> failed after {ms} ms: {e}", redact_url(url)),
        }
    }
}

/// Google's error code in an error body: the Calendar API's first
/// `errors[].reason`, or OAuth's `error` (e.g. `invalid_grant`).
fn google_reason(body: &[u8]) -> Option<String> {
    let v = crate::json::parse(body)?;
    let reason = match &v["error"] {
        Value::String(s) => s.as_str(),
        e => e["errors"][0]["reason"]
            .as_str()
            .or_else(|| e["status"].as_str())?,
    };
    Some(crate::oauth::printable(reason)).filter(|r| !r.is_empty() && r.len() <= 64)
}

fn proxy(cfg: &Config) -> Result<Option<ureq::Proxy>> {
    if cfg.proxy.is_empty() {
        return Ok(None);
    }
    let (tls, host, port, user, pass) = crate::options::parse_proxy(cfg.proxy.expose())?;
    let protocol = if tls { ureq::ProxyProtocol::Https } else { ureq::ProxyProtocol::Http };
    let mut b = ureq::Proxy::builder(protocol).host(&host).port(port);
    if let Some(u) = &user {
        b = b.username(u);
    }
    if let Some(p) = &pass {
        b = b.password(p);
    }
    for expr in &cfg.no_proxy {
        b = b.no_proxy(expr);
    }
    b.build().map(Some).map_err(|_| Error::InvalidOptionValue("proxy: not usable".into()))
}

/// `secret`: the answer may hold tokens (wiped on drop).
fn read(url: &str, mut resp: ureq::http::Response<ureq::Body>, secret: bool) -> Result<Reply> {
    let status = resp.status().as_u16();
    if (300..400).contains(&status) {
        // Google's APIs never redirect (max_redirects is 0): a captive
        // portal, a proxy or a wrong endpoint is in the path.
        return Err(Error::HttpProtocol(format!(
            "{}: unexpected redirect (HTTP {status}): Google's APIs do not redirect; check the \
             endpoint options and any proxy or captive portal in the path",
            where_(url)
        )));
    }
    let header = |n: &str| resp.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let date = header("date").as_deref().and_then(http_date);
    let retry_after = header("retry-after").and_then(|v| retry_after(&v, date));
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| transport(url, e))?;
    Ok(Reply { status, body, date, retry_after, secret })
}

/// Retry-After: delta-seconds, or an HTTP date (relative to the server's
/// own `Date` when given, so a wrong local clock does not matter). At most
/// a day: a larger value is a server mistake, not a plan.
pub fn retry_after(v: &str, server_now: Option<i64>) -> Option<u64> {
    // ASCII whitespace only, the set `http_date` splits on (a Unicode trim
    // took a leading vertical tab the date reader keeps: found by the
    // google fuzz target).
    let v = v.trim_ascii();
    let secs = match v.parse::<u64>() {
        Ok(s) => s,
        Err(_) => {
            let at = http_date(v)?;
            let now = server_now.unwrap_or_else(crate::clock::now);
            at.saturating_sub(now).max(0) as u64
        }
    };
    Some(secs.min(86_400))
}

/// Parses an HTTP date (RFC 9110 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(s: &str) -> Option<i64> {
    // Byte-wise (RFC 9110 separates with SP; Unicode whitespace by `char`
    // cost 1,800 instructions a response).
    let mut it = s.split_ascii_whitespace();
    let _weekday = it.next()?;
    let day: u8 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1, "Feb" => 2, "Mar" => 3, "Apr" => 4, "May" => 5, "Jun" => 6,
        "Jul" => 7, "Aug" => 8, "Sep" => 9, "Oct" => 10, "Nov" => 11, "Dec" => 12,
        _ => return None,
    };
    let year: i32 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<u8>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if it.next()? != "GMT" {
        return None;
    }
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let t = time::Time::from_hms(h, m, sec).ok()?;
    Some(time::PrimitiveDateTime::new(date, t).assume_utc().unix_timestamp())
}

/// Seconds since the epoch at which this library was built.
const BUILD_EPOCH: i64 = match i64::from_str_radix(env!("GS_GCAL_BUILD_EPOCH"), 10) {
    Ok(v) => v,
    Err(_) => 0,
};

/// Refuses to talk TLS with a clock earlier than the library's build (a
/// PBX fresh from a cold boot, before NTP): every certificate would look
/// "not valid yet", which helps nobody.
pub fn check_clock(now: i64) -> Result<()> {
    if now + 86_400 < BUILD_EPOCH {
        return Err(Error::ClockNotSet(format!(
            "time not synchronized: the system clock says {} (before this firmware was built); \
             configure NTP and wait for it before using Google",
            crate::clock::rfc3339(now).unwrap_or_else(|| now.to_string())
        )));
    }
    Ok(())
}

/// The certificates of a PEM bundle (`path` names it in messages).
pub fn parse_ca_pem(path: &str, pem: &[u8]) -> Result<Vec<Certificate<'static>>> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {} // keys and other blocks are ignored
            Err(e) => return Err(Error::CaFile(format!("ca_file {path}: bad PEM ({e})"))),
        }
    }
    if certs.is_empty() {
        return Err(Error::CaFile(format!("ca_file {path}: no certificate found")));
    }
    Ok(certs)
}

/// The URL without query, for messages (queries may one day carry state).
fn where_(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// Transport failures by class: connect, timeout, TLS, certificate, I/O.
fn transport(url: &str, e: ureq::Error) -> Error {
    let at = where_(url);
    match e {
        ureq::Error::Timeout(t) => Error::Timeout(format!("{at}: timed out ({t})")),
        ureq::Error::HostNotFound => Error::Connect(format!("{at}: host name not found (DNS)")),
        ureq::Error::ConnectionFailed => Error::Connect(format!("{at}: connection failed")),
        ureq::Error::BodyExceedsLimit(n) => {
            Error::ResponseTooLarge(format!("{at}: response body over {n} bytes"))
        }
        ureq::Error::Rustls(e) => tls(at, &e),
        ureq::Error::Tls(s) => Error::Tls(format!("{at}: TLS: {s}")),
        ureq::Error::Io(io) => {
            if let Some(r) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return tls(at, r);
            }
            use std::io::ErrorKind::*;
            match io.kind() {
                ConnectionRefused | NotFound | AddrNotAvailable | HostUnreachable
                | NetworkUnreachable => Error::Connect(format!("{at}: {io}")),
                TimedOut | WouldBlock => Error::Timeout(format!("{at}: {io}")),
                _ => Error::NetworkIo(format!("{at}: {io}")),
            }
        }
        ureq::Error::Protocol(p) => Error::HttpProtocol(format!("{at}: {p}")),
        ureq::Error::LargeResponseHeader(..) => {
            Error::HttpProtocol(format!("{at}: response headers too large"))
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            Error::InvalidOptionValue(format!("{at}: not a usable URL"))
        }
        ureq::Error::RequireHttpsOnly(_) | ureq::Error::TlsRequired => {
            Error::InsecureUrl(format!("{at}: https required"))
        }
        ureq::Error::ConnectProxyFailed(why) => {
            Error::Connect(format!("{at}: the proxy refused the tunnel ({})", crate::oauth::printable(&why)))
        }
        ureq::Error::InvalidProxyUrl => Error::InvalidOptionValue("proxy: not a usable URL".into()),
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            Error::HttpProtocol(format!("{at}: unexpected redirect"))
        }
        other => Error::NetworkIo(format!("{at}: {other}")),
    }
}

fn tls(at: &str, e: &rustls::Error) -> Error {
    use rustls::CertificateError::{NotValidYet, NotValidYetContext};
    match e {
        rustls::Error::InvalidCertificate(NotValidYet | NotValidYetContext { .. }) => {
            Error::ClockNotSet(format!(
                "{at}: time not synchronized: the server's certificate is not valid yet by this \
                 system's clock; configure NTP"
            ))
        }
        rustls::Error::InvalidCertificate(c) => Error::CertUntrusted(format!(
            "{at}: server certificate not trusted ({c:?}); set ca_file if a proxy or private CA \
             is in the path"
        )),
        other => Error::Tls(format!("{at}: TLS handshake failed ({other})")),
    }
}

/// One place that turns a Calendar API error response into an error.
/// Google's shape: `{"error":{"errors":[{"domain","reason","message"}],
/// "code","message"}}`; the body may also be HTML from a proxy.
pub fn api_error(r: &Reply) -> Error {
    let status = r.status;
    let (reason, message) = match crate::json::parse(&r.body) {
        Some(b) if b["error"].as_object().is_some() => (
            crate::oauth::printable(
                b["error"]["errors"][0]["reason"]
                    .as_str()
                    .unwrap_or_default(),
            ),
            crate::oauth::printable(b["error"]["message"].as_str().unwrap_or_default()),
        ),
        _ => (String::new(), String::new()),
    };
    let text = if reason.is_empty() {
        format!("Google Calendar: HTTP {status} {message}")
    } else {
        format!("Google Calendar: HTTP {status} {reason}: {message}")
    };
    let text = text.trim_end().to_owned();
    match (status, reason.as_str()) {
        (403, "accessNotConfigured") => {
            let project = message
                .split("in project ")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .filter(|p| !p.is_empty())
                .map(|p| format!(" {p}"))
                .unwrap_or_default();
            Error::ApiNotEnabled(format!(
                "Google Calendar API not enabled in the OAuth client's Cloud project{project} \
                 (accessNotConfigured): enable it in Google Cloud Console (APIs & Services > \
                 Library), then Sync now"
            ))
        }
        (403, "quotaExceeded") => Error::ApiQuotaExceeded(format!(
            "{text} — Google Calendar usage limits (e.g. too many events or invitations); writes \
             pause and resume later"
        )),
        (403 | 429, "rateLimitExceeded" | "userRateLimitExceeded") | (429, _) => {
            Error::ApiRateLimited { text, retry_after: r.retry_after }
        }
        (400, _) => Error::ApiBadRequest(text),
        (401, _) => Error::ApiUnauthorized(text),
        (403, "forbiddenForServiceAccounts") => Error::DelegationMissing(format!(
            "domain-wide delegation is not in effect for the service account (it may take up to 24 h after it is granted in the Admin console) ({text})"
        )),
        (403, _) => Error::ApiForbidden(text),
        (404 | 410, _) => Error::ApiNotFound(text),
        (409 | 412, _) => Error::ApiConflict(text),
        (500..=599, _) => Error::ApiServerError(text),
        _ => Error::ApiBadResponse(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A resolver that never answers (a dead DNS server, without touching
    /// the machine's configuration): the lookup's thread parks for ever.
    fn never(_: &str) -> std::io::Result<Vec<std::net::SocketAddr>> {
        loop {
            std::thread::park();
        }
    }

    #[test]
    fn a_resolver_that_never_answers_is_bounded() {
        let t0 = std::time::Instant::now();
        let e = lookup_bounded(never, "oauth2.googleapis.com:443", Duration::from_millis(200)).unwrap_err();
        assert!(matches!(e, ureq::Error::Timeout(ureq::Timeout::Resolve)), "{e}");
        let took = t0.elapsed();
        assert!(took >= Duration::from_millis(200) && took < Duration::from_secs(5), "{took:?}");
        // IP literals need no lookup (and no thread).
        assert_eq!(lookup_bounded(never, "127.0.0.1:443", Duration::ZERO).unwrap(), vec!["127.0.0.1:443".parse().unwrap()]);
    }

    /// The helper thread's answer reaches the caller; a lookup that panics
    /// is "not found" at once, not a wait for the bound.
    #[test]
    fn a_lookup_answers_from_its_thread() {
        let at: std::net::SocketAddr = "192.0.2.1:443".parse().unwrap();
        let found = lookup_bounded(|_| Ok(vec!["192.0.2.1:443".parse().unwrap()]), "a.invalid:443", Duration::from_secs(30));
        assert_eq!(found.unwrap(), vec![at]);
        let t0 = std::time::Instant::now();
        let e = lookup_bounded(|_| panic!("a lookup that panics"), "a.invalid:443", Duration::from_secs(30)).unwrap_err();
        assert!(matches!(e, ureq::Error::HostNotFound), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(5));
    }

    /// The whole request through ureq: a never-answering resolver ends in
    /// GS_GCAL_TIMEOUT within connect_timeout_ms, not never.
    #[test]
    fn a_request_behind_a_dead_resolver_times_out() {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_millis(300)))
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            InlineResolver { last: Default::default(), lookup: never, bound: Duration::from_millis(300) },
        );
        let t0 = std::time::Instant::now();
        let e = agent.get("http://dns.never.invalid/").call().unwrap_err();
        let took = t0.elapsed();
        assert_eq!(transport("http://dns.never.invalid/", e).code(), crate::errors::GS_GCAL_TIMEOUT);
        assert!(took < Duration::from_secs(5), "{took:?}");
    }


    fn reply(status: u16, body: &str, retry_after: Option<u64>) -> Reply {
        Reply { status, body: body.as_bytes().to_vec(), date: None, retry_after, secret: false }
    }

    #[test]
    fn google_api_errors_are_classified() {
        let body = |code: u16, reason: &str, msg: &str| {
            format!(r#"{{"error":{{"errors":[{{"domain":"usageLimits","reason":"{reason}","message":"{msg}"}}],"code":{code},"message":"{msg}"}}}}"#)
        };
        let e = |status, b: String| api_error(&reply(status, &b, Some(7)));
        assert!(matches!(e(403, body(403, "rateLimitExceeded", "Rate Limit Exceeded")), Error::ApiRateLimited { retry_after: Some(7), .. }));
        assert!(matches!(e(403, body(403, "quotaExceeded", "Calendar usage limits exceeded.")), Error::ApiQuotaExceeded(_)));
        let off = e(403, body(403, "accessNotConfigured", "Google Calendar API has not been used in project 123456789012 before or it is disabled."));
        assert!(matches!(&off, Error::ApiNotEnabled(m) if m.contains("project 123456789012 (")));
        assert!(matches!(e(403, body(403, "forbiddenForNonOrganizer", "x")), Error::ApiForbidden(_)));
        assert!(matches!(e(429, String::new()), Error::ApiRateLimited { .. }));
        assert!(matches!(e(409, body(409, "duplicate", "The requested identifier already exists.")), Error::ApiConflict(_)));
        assert!(matches!(e(503, "<html>bad gateway</html>".into()), Error::ApiServerError(_)));
        // Server text is sanitized at the edge: a reason or message with a
        // newline or a bidi override cannot forge a log line or the status.
        let forged = e(400, body(400, "bad\\nINFO sync: all good", "evil\\u202etxt"));
        let text = forged.to_string();
        assert!(!text.contains('\n') && !text.contains('\u{202e}'), "{text:?}");
        assert!(text.contains("badINFO sync: all good"), "{text:?}");
        assert!(matches!(e(302, String::new()), Error::ApiBadResponse(_)));
        let t = e(400, body(400, "timeRangeEmpty", "The specified time range is empty."));
        assert_eq!(t.to_string(), "Google Calendar: HTTP 400 timeRangeEmpty: The specified time range is empty.");
    }

    #[test]
    fn dns_answers_are_kept_briefly() {
        let t0 = std::time::Instant::now();
        assert!(fresh(t0, t0 + Duration::from_secs(29)));
        assert!(!fresh(t0, t0 + DNS_KEEP));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after("7", None), Some(7));
        assert_eq!(retry_after(" 120 ", None), Some(120));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:47 GMT", Some(784111777)), Some(10));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:37 GMT", Some(784111787)), Some(0));
        assert_eq!(retry_after("999999999", None), Some(86_400));
        assert_eq!(retry_after("soon", None), None);
        // The date inside a Retry-After is read as the date alone is (the
        // google fuzz target's input: a vertical tab is not trimmed).
        for v in ["\u{b} 5 Dec 1999 3:59:59 GMT", "\tSun, 06 Nov 1994 08:49:37 GMT ", "\u{a0}Sun, 06 Nov 1994 08:49:37 GMT"] {
            let at = http_date(v);
            assert_eq!(retry_after(v, at), at.map(|_| 0), "{v:?}");
        }
    }

    #[test]
    fn http_dates_and_clock() {
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 CET"), None);
        assert_eq!(http_date("garbage"), None);
        assert!(check_clock(BUILD_EPOCH).is_ok());
        assert!(matches!(check_clock(0), Err(Error::ClockNotSet(_))));
        let e = tls("https://x/token", &rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidYet));
        assert!(matches!(e, Error::ClockNotSet(_)));
    }

    #[test]
    fn roots_depend_on_the_build() {
        let built = Http::new(&Config::default(), None);
        #[cfg(feature = "embedded-roots")]
        assert!(built.is_ok());
        #[cfg(not(feature = "embedded-roots"))]
        assert!(matches!(built, Err(Error::CaFile(m)) if m.contains("ca_file")));
    }

    #[cfg(feature = "embedded-roots")]
    /// Serves one canned answer on 127.0.0.1 and returns its URL.
    fn one_answer(answer: Vec<u8>) -> String {
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/token", l.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = c.write_all(&answer);
            // Held open until the client is done, as a real server would.
            while c.read(&mut buf).is_ok_and(|n| n > 0) {}
        });
        url
    }

    // Plain http on loopback needs no roots, but the lean build's agent
    // refuses to exist without a CA file: this one runs in the default build.
    #[cfg(feature = "embedded-roots")]
    #[test]
    fn redirects_and_huge_headers_are_protocol_errors() {
        let http = Http::new(&Config::default(), None).unwrap();
        let url = one_answer(b"HTTP/1.1 302 Found\r\nLocation: http://portal/\r\nContent-Length: 0\r\n\r\n".to_vec());
        assert!(matches!(http.post_form(&url, "a=b", None), Err(Error::HttpProtocol(m)) if m.contains("redirect")));
        let url = one_answer(b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n".to_vec());
        assert!(matches!(http.api("GET", &url, "t", None), Err(Error::HttpProtocol(_))));
        let mut big = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', 20 * 1024));
        big.extend(b"\r\nContent-Length: 0\r\n\r\n");
        let url = one_answer(big);
        match http.post_form(&url, "a=b", None) {
            Err(Error::HttpProtocol(m)) => assert!(m.contains("headers too large"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ca_file_errors() {
        assert!(matches!(parse_ca_pem("x.pem", b"not a pem"), Err(Error::CaFile(_))));
        assert!(matches!(parse_ca_pem("x.pem", b""), Err(Error::CaFile(_))));
    }
}
