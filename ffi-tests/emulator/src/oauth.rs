//! Google's OAuth 2.0 surface: the authorization endpoint (and the consent the
//! control port plays on behalf of the admin's browser) and the token endpoint
//! (code exchange and refresh here; the device grant lives in device.rs).

use std::collections::HashMap;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

use crate::clock::now_secs;
use crate::http::{Request, Response};
use crate::state::{
    self, random_bytes, random_token, AccessToken, AuthCode, ClientKind, Grant, RefreshToken,
    Shared, State,
};

pub const OPENID: &str = "openid";
pub const USERINFO_EMAIL: &str = "https://www.googleapis.com/auth/userinfo.email";
pub const USERINFO_PROFILE: &str = "https://www.googleapis.com/auth/userinfo.profile";
pub const DEVICE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Scopes this emulated project may request (anything else is invalid_scope).
pub const KNOWN_SCOPES: [&str; 13] = [
    OPENID,
    "email",
    "profile",
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar.calendarlist",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.events.freebusy",
    USERINFO_EMAIL,
    USERINFO_PROFILE,
];

/// Google rejects parameters it does not know ("Parameter not allowed for this message type").
const AUTH_PARAMS: [&str; 14] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "access_type",
    "prompt",
    "state",
    "login_hint",
    "include_granted_scopes",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "hd",
    "enable_granular_consent",
];

const CODE_LIFETIME_SECS: i64 = 600;
const ACCESS_TOKEN_LIFETIME_SECS: i64 = 3599;
/// "Authorizations by a test user will expire seven days from the time of consent."
const TESTING_GRANT_LIFETIME_SECS: i64 = 7 * 24 * 3600;
/// Scopes that keep a Testing-mode grant from expiring (Google's documented exemption).
const IDENTITY_SCOPES: [&str; 5] = [OPENID, "email", "profile", USERINFO_EMAIL, USERINFO_PROFILE];

/// An OAuth error: rendered as an HTML page by the auth endpoint, as JSON elsewhere.
#[derive(Debug)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
    /// Further members of the JSON body (invalid_rapt carries error_uri and error_subtype).
    pub extra: Vec<(&'static str, &'static str)>,
}

pub fn oauth_err(status: u16, error: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError {
        status,
        error,
        description: description.into(),
        extra: Vec::new(),
    }
}

impl OAuthError {
    /// Google's token-endpoint shape: 2-space pretty JSON, never cached.
    pub fn to_json_response(&self) -> Response {
        let mut v = json!({"error": self.error, "error_description": self.description});
        for (k, x) in &self.extra {
            v[*k] = json!(x);
        }
        oauth_json(self.status, &v)
    }
}

pub fn oauth_json(status: u16, v: &Value) -> Response {
    let body = serde_json::to_string_pretty(v).unwrap_or_default();
    Response::new(status, "application/json; charset=utf-8", body)
        .with_header(
            "Cache-Control",
            "no-cache, no-store, max-age=0, must-revalidate",
        )
        .with_header("Pragma", "no-cache")
}

/// A validated authorization request.
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub offline: bool,
    pub pkce: Option<(String, String)>,
    pub state: Option<String>,
}

/// Query parameters as a map; a repeated parameter is an error, as it is at Google.
pub fn unique_params(raw: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let mut map = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw) {
        if map.insert(k.to_string(), v.to_string()).is_some() {
            return Err(oauth_err(
                400,
                "invalid_request",
                format!("Parameter is repeated: {k}"),
            ));
        }
    }
    Ok(map)
}

pub fn deleted_client() -> OAuthError {
    oauth_err(401, "deleted_client", "The OAuth client was deleted.")
}

pub fn client_not_found() -> OAuthError {
    oauth_err(401, "invalid_client", "The OAuth client was not found.")
}

/// Google documents the code and its meaning but not the token endpoint's text;
/// this reuses the documented sentence.
pub fn admin_policy_enforced() -> OAuthError {
    oauth_err(
        400,
        "admin_policy_enforced",
        "The Google Account is unable to authorize one or more scopes requested due to the \
         policies of their Google Workspace administrator.",
    )
}

/// Workspace session control (reauthentication) demands a fresh sign-in.
fn invalid_rapt() -> OAuthError {
    OAuthError {
        extra: vec![
            ("error_uri", "https://support.google.com/a/answer/9368756"),
            ("error_subtype", "invalid_rapt"),
        ],
        ..oauth_err(400, "invalid_grant", "reauth related error (invalid_rapt)")
    }
}

pub fn expired_or_revoked() -> OAuthError {
    oauth_err(400, "invalid_grant", "Token has been expired or revoked.")
}

pub fn missing(name: &str) -> OAuthError {
    oauth_err(
        400,
        "invalid_request",
        format!("Missing required parameter: {name}"),
    )
}

fn is_pkce_string(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Validates an authorization request exactly as `GET /o/oauth2/v2/auth` does;
/// /control/consent uses the same function so both see the same errors.
pub fn validate_auth_query(st: &State, query: &str) -> Result<AuthRequest, OAuthError> {
    let p = unique_params(query.as_bytes())?;
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());

    let client_id = get("client_id").ok_or_else(|| missing("client_id"))?;
    let client = st.client(client_id).ok_or_else(client_not_found)?;
    if client.deleted {
        return Err(deleted_client());
    }

    let redirect_uri = get("redirect_uri").ok_or_else(|| missing("redirect_uri"))?;
    if redirect_uri.starts_with("urn:ietf:wg:oauth:2.0:oob") {
        return Err(oauth_err(
            400,
            "invalid_request",
            "The out-of-band (OOB) flow has been blocked in order to keep users secure. \
             Follow the Out-of-Band (OOB) flow migration guide linked in the developer docs \
             to migrate your app to an alternative method.",
        ));
    }
    // Observed for a TV client on the browser flow ("Error 400: invalid_request");
    // any other URI simply matches nothing, since such a client registers none.
    if client.kind == ClientKind::Device && is_loopback(redirect_uri) {
        return Err(oauth_err(
            400,
            "invalid_request",
            "Localhost URI is not allowed for 'NATIVE_DEVICE' client type.",
        ));
    }
    // Exact string match: scheme, case and trailing slash all count.
    if !client.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(oauth_err(
            400,
            "redirect_uri_mismatch",
            format!(
                "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 \
                 policy. If you're the app developer, register the redirect URI in the Google Cloud \
                 Console. Request details: redirect_uri={redirect_uri}"
            ),
        ));
    }

    if let Some(k) = p.keys().find(|k| !AUTH_PARAMS.contains(&k.as_str())) {
        return Err(oauth_err(
            400,
            "invalid_request",
            format!("Parameter not allowed for this message type: {k}"),
        ));
    }

    match get("response_type") {
        None => return Err(missing("response_type")),
        Some("code") => {}
        Some(other) => {
            return Err(oauth_err(
                400,
                "unsupported_response_type",
                format!("Invalid response_type: {other}"),
            ))
        }
    }

    let scope = get("scope").ok_or_else(|| missing("scope"))?;
    let scopes: Vec<String> = scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let invalid: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !KNOWN_SCOPES.contains(s))
        .collect();
    if scopes.is_empty() {
        return Err(missing("scope"));
    }
    if !invalid.is_empty() {
        return Err(oauth_err(
            400,
            "invalid_scope",
            format!(
                "Some requested scopes were invalid. {{invalid=[{}]}}",
                invalid.join(", ")
            ),
        ));
    }

    let offline = match get("access_type") {
        None | Some("online") => false,
        Some("offline") => true,
        Some(other) => {
            return Err(oauth_err(
                400,
                "invalid_request",
                format!("Invalid access_type: {other}"),
            ))
        }
    };

    if let Some(prompt) = get("prompt") {
        let values: Vec<&str> = prompt.split(' ').filter(|s| !s.is_empty()).collect();
        if let Some(bad) = values
            .iter()
            .find(|v| !matches!(**v, "none" | "consent" | "select_account"))
        {
            return Err(oauth_err(
                400,
                "invalid_request",
                format!("Invalid prompt: {bad}"),
            ));
        }
        if values.contains(&"none") && values.len() > 1 {
            return Err(oauth_err(
                400,
                "invalid_request",
                "The prompt parameter value 'none' must not be combined with other values.",
            ));
        }
    }

    if let Some(v) = get("include_granted_scopes") {
        if v != "true" && v != "false" {
            return Err(oauth_err(
                400,
                "invalid_request",
                format!("Invalid include_granted_scopes: {v}"),
            ));
        }
    }

    let pkce = match (get("code_challenge"), get("code_challenge_method")) {
        (None, None) => None,
        (None, Some(_)) => return Err(missing("code_challenge")),
        (Some(c), method) => {
            let method = method.unwrap_or("plain");
            if method != "S256" && method != "plain" {
                return Err(oauth_err(
                    400,
                    "invalid_request",
                    format!("Invalid code_challenge_method: {method}"),
                ));
            }
            let ok = if method == "S256" {
                c.len() == 43 && URL_SAFE_NO_PAD.decode(c).is_ok()
            } else {
                is_pkce_string(c)
            };
            if !ok {
                return Err(oauth_err(400, "invalid_request", "Invalid code_challenge."));
            }
            Some((c.to_string(), method.to_string()))
        }
    };

    // Evaluated last: Google shows the policy block only for an otherwise valid request.
    if st.toggles.admin_policy {
        return Err(admin_policy_enforced());
    }

    Ok(AuthRequest {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scopes,
        offline,
        pkce,
        state: p.get("state").cloned(),
    })
}

fn is_loopback(uri: &str) -> bool {
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))
        .unwrap_or("");
    ["localhost", "127.0.0.1", "[::1]"].iter().any(|h| {
        rest.strip_prefix(h)
            .is_some_and(|r| r.is_empty() || r.starts_with([':', '/', '?']))
    })
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /o/oauth2/v2/auth`: what the admin's browser would see.
pub fn authorization_endpoint(shared: &Shared, req: &Request) -> Response {
    let mut st = state::lock(shared);
    st.count("auth");
    let html = |status: u16, body: String| {
        Response::new(
            status,
            "text/html; charset=utf-8",
            format!("<!DOCTYPE html><html><body>{body}</body></html>"),
        )
    };
    if req.method != "GET" && req.method != "POST" {
        return html(405, "<h1>Error 405</h1>".into());
    }
    match validate_auth_query(&st, &req.query) {
        Err(e) => html(
            e.status,
            format!(
                "<h1>Access blocked: Authorization Error</h1><p>{}</p><p>Error {}: {}</p>",
                html_escape(&e.description),
                e.status,
                e.error
            ),
        ),
        Ok(a) => {
            let list: String = a
                .scopes
                .iter()
                .map(|s| format!("<li>{}</li>", html_escape(s)))
                .collect();
            html(
                200,
                format!(
                    "<h1>Sign in with Google</h1><p>{} wants access to your Google Account \
                     ({}):</p><ul>{list}</ul><button>Cancel</button><button>Allow</button>",
                    html_escape(&a.client_id),
                    html_escape(state::DEFAULT_ACCOUNT),
                ),
            )
        }
    }
}

/// Google reports the userinfo URLs for `email`/`profile`, and both imply `openid`.
pub fn normalize_granted(scopes: &[String]) -> Vec<String> {
    fn push(out: &mut Vec<String>, s: &str) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    let mut out: Vec<String> = Vec::new();
    for s in scopes {
        match s.as_str() {
            "email" => push(&mut out, USERINFO_EMAIL),
            "profile" => push(&mut out, USERINFO_PROFILE),
            other => push(&mut out, other),
        }
    }
    if out
        .iter()
        .any(|s| s == USERINFO_EMAIL || s == USERINFO_PROFILE)
    {
        push(&mut out, OPENID);
    }
    out
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn control_error(error: &str, description: &str) -> Response {
    Response::new(
        400,
        "application/json",
        json!({"error": error, "error_description": description}).to_string(),
    )
}

/// `POST /control/consent`: the admin opens the library's URL and clicks Allow or Deny.
pub fn consent(shared: &Shared, body: &[u8]) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return control_error(
            "invalid_request",
            "body must be JSON {\"url\":..,\"decision\":..}",
        );
    };
    let Some(url) = v.get("url").and_then(Value::as_str) else {
        return control_error("invalid_request", "missing \"url\"");
    };
    let decision = v.get("decision").and_then(Value::as_str).unwrap_or("allow");
    if decision != "allow" && decision != "deny" {
        return control_error("invalid_request", "decision must be \"allow\" or \"deny\"");
    }

    let mut st = state::lock(shared);
    st.count("consent");
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let port = st.https_port;
    if base != format!("https://127.0.0.1:{port}/o/oauth2/v2/auth")
        && base != format!("https://localhost:{port}/o/oauth2/v2/auth")
    {
        return control_error(
            "invalid_request",
            "url is not this emulator's authorization endpoint",
        );
    }
    let a = match validate_auth_query(&st, query) {
        Ok(a) => a,
        Err(e) => return control_error(e.error, &e.description),
    };
    let sep = if a.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    let state_param = a
        .state
        .as_deref()
        .map(|s| format!("state={}&", enc(s)))
        .unwrap_or_default();

    if decision == "deny" {
        let state_suffix = a
            .state
            .as_deref()
            .map(|s| format!("&state={}", enc(s)))
            .unwrap_or_default();
        let redirect = format!("{}{sep}error=access_denied{state_suffix}", a.redirect_uri);
        return Response::new(
            200,
            "application/json",
            json!({"redirect": redirect}).to_string(),
        );
    }

    let granted: Vec<String> = match v.get("grant_scopes") {
        None | Some(Value::Null) => a.scopes.clone(),
        Some(Value::Array(items)) => {
            let mut g = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(s) if a.scopes.iter().any(|r| r == s) => g.push(s.to_string()),
                    _ => {
                        return control_error(
                            "invalid_request",
                            "grant_scopes must be a subset of the requested scopes",
                        )
                    }
                }
            }
            g
        }
        Some(_) => {
            return control_error(
                "invalid_request",
                "grant_scopes must be an array of strings",
            )
        }
    };
    let granted = normalize_granted(&granted);

    let code = format!("4/0A{}", random_token(60));
    st.remember_secret(&code);
    st.codes.insert(
        code.clone(),
        AuthCode {
            client_id: a.client_id.clone(),
            redirect_uri: a.redirect_uri.clone(),
            scopes: granted.clone(),
            pkce: a.pkce.clone(),
            user: state::DEFAULT_ACCOUNT.to_string(),
            offline: a.offline,
            created: now_secs(),
            used: false,
        },
    );
    let redirect = format!(
        "{}{sep}{state_param}code={}&scope={}&authuser=0&prompt=consent",
        a.redirect_uri,
        enc(&code),
        enc(&granted.join(" "))
    );
    Response::new(
        200,
        "application/json",
        json!({"redirect": redirect}).to_string(),
    )
}

/// Client authentication: HTTP Basic (client_secret_basic) or form fields (client_secret_post).
pub(crate) fn authenticate_client(
    st: &State,
    req: &Request,
    p: &HashMap<String, String>,
) -> Result<(String, ClientKind), OAuthError> {
    let mut id = p.get("client_id").cloned();
    let mut secret = p.get("client_secret").cloned();
    if st.toggles.basic_auth_only && req.header("authorization").is_none() && secret.is_some() {
        return Err(oauth_err(401, "invalid_client", "Client authentication by form parameters is not allowed."));
    }
    if let Some(auth) = req.header("authorization") {
        let decoded = auth
            .strip_prefix("Basic ")
            .and_then(|b| STANDARD.decode(b.trim()).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| oauth_err(400, "invalid_request", "Bad Request"))?;
        let (u, s) = decoded
            .split_once(':')
            .ok_or_else(|| oauth_err(400, "invalid_request", "Bad Request"))?;
        // RFC 6749 §2.3.1: both halves are form-encoded before joining.
        let dec = |x: &str| {
            form_urlencoded::parse(format!("x={x}").as_bytes())
                .next()
                .map(|(_, v)| v.to_string())
        };
        id = dec(u);
        secret = dec(s);
    }
    let id = id.filter(|s| !s.is_empty());
    let client = id
        .as_deref()
        .and_then(|i| st.client(i))
        .ok_or_else(client_not_found)?;
    if client.deleted {
        return Err(deleted_client());
    }
    match secret.as_deref() {
        None | Some("") => Err(oauth_err(
            400,
            "invalid_request",
            "client_secret is missing.",
        )),
        Some(s) if s != client.secret => Err(oauth_err(401, "invalid_client", "Unauthorized")),
        Some(_) => Ok((client.id.clone(), client.kind)),
    }
}

/// `POST /token`.
pub fn token_endpoint(shared: &Shared, req: &Request) -> Response {
    let mut st = state::lock(shared);
    st.count("token");
    let grant_type = form_urlencoded::parse(&req.body)
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.into_owned());
    match grant_type.as_deref() {
        Some("authorization_code") => st.count("token.authorization_code"),
        Some("refresh_token") => st.count("token.refresh"),
        Some(DEVICE_GRANT_TYPE) => st.count("token.device"),
        _ => {}
    }
    match token_inner(&mut st, req) {
        Ok(v) => oauth_json(200, &v),
        Err(e) => e.to_json_response(),
    }
}

/// The POST form body of a token-style endpoint (token, device/code).
pub fn post_form(req: &Request) -> Result<HashMap<String, String>, OAuthError> {
    if req.method != "POST" {
        return Err(oauth_err(405, "invalid_request", "Invalid request method."));
    }
    let ct = req
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return Err(oauth_err(400, "invalid_request", "Bad Request"));
    }
    if std::str::from_utf8(&req.body).is_err() {
        return Err(oauth_err(400, "invalid_request", "Bad Request"));
    }
    unique_params(&req.body)
}

fn token_inner(st: &mut State, req: &Request) -> Result<Value, OAuthError> {
    let p = post_form(req)?;
    if p.get("grant_type").map(String::as_str) == Some(crate::service_account::JWT_BEARER) {
        return crate::service_account::grant(st, &p);
    }
    let (client_id, kind) = authenticate_client(st, req, &p)?;
    match p.get("grant_type").map(String::as_str).unwrap_or("") {
        "authorization_code" => exchange_code(st, &client_id, &p),
        "refresh_token" => refresh(st, &client_id, &p),
        DEVICE_GRANT_TYPE => crate::device::poll(st, &client_id, kind, &p),
        other => Err(oauth_err(
            400,
            "unsupported_grant_type",
            format!("Invalid grant_type: {other}"),
        )),
    }
}

fn exchange_code(
    st: &mut State,
    client_id: &str,
    p: &HashMap<String, String>,
) -> Result<Value, OAuthError> {
    let bad = || oauth_err(400, "invalid_grant", "Bad Request");
    let code = p.get("code").map(String::as_str).unwrap_or("");
    if code.is_empty() {
        return Err(bad());
    }
    if !code.starts_with("4/") {
        return Err(oauth_err(400, "invalid_grant", "Malformed auth code."));
    }
    let now = now_secs();
    let c = st.codes.get(code).ok_or_else(bad)?;
    if c.used || now - c.created > CODE_LIFETIME_SECS || c.client_id != client_id {
        return Err(bad());
    }
    match p.get("redirect_uri") {
        None => {
            return Err(oauth_err(
                400,
                "invalid_request",
                "Missing parameter: redirect_uri",
            ))
        }
        Some(r) if *r != c.redirect_uri => {
            return Err(oauth_err(400, "redirect_uri_mismatch", "Bad Request"))
        }
        Some(_) => {}
    }
    if let Some((challenge, method)) = &c.pkce {
        let verifier = p
            .get("code_verifier")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| oauth_err(400, "invalid_grant", "Missing code verifier."))?;
        let computed = if method == "S256" {
            URL_SAFE_NO_PAD.encode(ring::digest::digest(
                &ring::digest::SHA256,
                verifier.as_bytes(),
            ))
        } else {
            verifier.clone()
        };
        if !is_pkce_string(verifier) || computed != *challenge {
            return Err(oauth_err(400, "invalid_grant", "Invalid code verifier."));
        }
    }
    let (user, scopes, offline, consented) =
        (c.user.clone(), c.scopes.clone(), c.offline, c.created);
    if st.toggles.admin_policy {
        return Err(admin_policy_enforced());
    }
    if let Some(c) = st.codes.get_mut(code) {
        c.used = true;
    }
    Ok(issue_grant(
        st, client_id, &user, &scopes, consented, offline,
    ))
}

fn sha256_hex(s: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, s.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Records a consent and issues its first tokens (code exchange or device approval).
pub fn issue_grant(
    st: &mut State,
    client_id: &str,
    user: &str,
    scopes: &[String],
    consented: i64,
    offline: bool,
) -> Value {
    let only_identity = scopes.iter().all(|s| IDENTITY_SCOPES.contains(&s.as_str()));
    let expires_at = (st.toggles.testing_mode && !only_identity)
        .then_some(consented + TESTING_GRANT_LIFETIME_SECS);
    st.grants.push(Grant {
        client_id: client_id.to_string(),
        user: user.to_string(),
        scopes: scopes.to_vec(),
        created: consented,
        expires_at,
        revoked: false,
        refresh_token_sha256: None,
    });
    let grant = st.grants.len() - 1;
    let mut resp = issue_access_token(st, client_id, user, scopes, grant);
    if offline {
        resp["refresh_token"] = Value::String(issue_refresh_token(st, client_id, grant));
    }
    resp
}

fn issue_refresh_token(st: &mut State, client_id: &str, grant: usize) -> String {
    let rt = format!("1//0g{}", random_token(100));
    st.remember_secret(&rt);
    if let Some(g) = st.grants.get_mut(grant) {
        g.refresh_token_sha256 = Some(sha256_hex(&rt));
    }
    st.refresh_tokens.insert(
        rt.clone(),
        RefreshToken {
            client_id: client_id.to_string(),
            grant,
        },
    );
    rt
}

fn refresh(
    st: &mut State,
    client_id: &str,
    p: &HashMap<String, String>,
) -> Result<Value, OAuthError> {
    let rt = p
        .get("refresh_token")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| missing("refresh_token"))?;
    let t = st
        .refresh_tokens
        .get(rt)
        .ok_or_else(|| oauth_err(400, "invalid_grant", "Bad Request"))?;
    if t.client_id != client_id {
        return Err(oauth_err(400, "unauthorized_client", "Unauthorized"));
    }
    let grant = t.grant;
    let g = st.grants.get(grant).ok_or_else(expired_or_revoked)?;
    if !g.live(now_secs()) {
        return Err(expired_or_revoked());
    }
    if st.toggles.require_rapt {
        return Err(invalid_rapt());
    }
    if st.toggles.admin_policy {
        return Err(admin_policy_enforced());
    }
    let (user, scopes) = (g.user.clone(), g.scopes.clone());
    let mut resp = issue_access_token(st, client_id, &user, &scopes, grant);
    // Google normally sends no new refresh token here; the client keeps the old one.
    // When it does rotate, the old token keeps working too.
    if st.toggles.refresh_returns_refresh_token {
        resp["refresh_token"] = Value::String(issue_refresh_token(st, client_id, grant));
    }
    Ok(resp)
}

fn issue_access_token(
    st: &mut State,
    client_id: &str,
    user: &str,
    scopes: &[String],
    grant: usize,
) -> Value {
    let now = now_secs();
    let token = format!("ya29.a0{}", random_token(150));
    st.remember_secret(&token);
    st.access_tokens.insert(
        token.clone(),
        AccessToken {
            client_id: client_id.to_string(),
            user: user.to_string(),
            scopes: scopes.to_vec(),
            expires_at: now + ACCESS_TOKEN_LIFETIME_SECS,
            grant,
        },
    );
    let mut resp = json!({
        "access_token": token,
        "expires_in": ACCESS_TOKEN_LIFETIME_SECS,
        "scope": scopes.join(" "),
        "token_type": "Bearer",
    });
    if scopes.iter().any(|s| s == OPENID) {
        let id = id_token(st, client_id, user, scopes, &token, now);
        st.remember_secret(&id);
        resp["id_token"] = Value::String(id);
    }
    resp
}

fn id_token(
    st: &State,
    client_id: &str,
    user: &str,
    scopes: &[String],
    access_token: &str,
    now: i64,
) -> String {
    let sub = st.user(user).map(|u| u.sub.clone()).unwrap_or_default();
    let digest = ring::digest::digest(&ring::digest::SHA256, access_token.as_bytes());
    let mut claims = json!({
        "iss": "https://accounts.google.com",
        "azp": client_id,
        "aud": client_id,
        "sub": sub,
        "at_hash": URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]),
        "iat": now,
        "exp": now + 3600,
    });
    if scopes.iter().any(|s| s == USERINFO_EMAIL || s == "email") {
        claims["email"] = Value::String(user.to_string());
        claims["email_verified"] = Value::Bool(true);
    }
    let header = json!({"alg": "RS256", "kid": "emulator", "typ": "JWT"});
    // Nothing can verify Google's signature offline, so random bytes of RS256 length do.
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(random_bytes(256))
    )
}
