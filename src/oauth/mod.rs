//! Pure OAuth 2.0 logic for Google's authorization-code flow: building the
//! consent link, reading what the admin pastes back, building token requests
//! and turning token-endpoint answers into tokens or specific errors.
//! No I/O here: randomness and clocks come in as arguments.

use crate::errors::{Error, Result};
use crate::json::{self, Value};
use crate::secret::Secret;
use std::time::Instant;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The authorization's part of a handle that is not persisted: times by
/// the monotonic clock.
#[derive(Debug, Default)]
pub struct Session {
    /// When the access token obtained in this process expires, by the
    /// monotonic clock: immune to the wall clock being set (NTP at boot).
    pub(crate) access_deadline: Option<Instant>,
    /// When the device flow was last polled, by the monotonic clock.
    pub(crate) last_device_poll: Option<Instant>,
    /// When Google last refused a revocation (not "already invalid").
    pub(crate) revocation_refused_at: Option<Instant>,
    /// How the token endpoint last took the client's credentials.
    pub(crate) client_auth: ClientAuth,
}

/// How the client proves itself to the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form: Google's documented way.
    #[default]
    Form,
    /// HTTP Basic: the one way every RFC 6749 server must take.
    Basic,
}

impl ClientAuth {
    pub fn other(self) -> ClientAuth {
        match self {
            ClientAuth::Form => ClientAuth::Basic,
            ClientAuth::Basic => ClientAuth::Form,
        }
    }
}

/// The `Authorization` value of HTTP Basic client authentication: each
/// half form-encoded, joined with ':', base64 (RFC 6749 §2.3.1).
pub fn basic_credentials(client_id: &str, client_secret: &str) -> String {
    let pair: String = form_urlencoded::byte_serialize(client_id.as_bytes())
        .chain([":"])
        .chain(form_urlencoded::byte_serialize(client_secret.as_bytes()))
        .collect();
    let pair = crate::secret::WipedString(pair);
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair.0.as_bytes()))
}

/// Whether a token-endpoint answer refuses the client's authentication
/// (`invalid_client`): then the other way of sending the credentials is
/// worth one try (a server may take only one of them).
pub fn refuses_client(status: u16, body: &[u8]) -> bool {
    status != 200 && matches!(classify_token_error(status, body), Error::InvalidClient(_))
}

pub mod device;
pub mod jwt;

/// Push and read events (calendar.events), see which calendars exist
/// (calendarlist.readonly), the extensions' free/busy for presence
/// (calendar.freebusy), and learn the account e-mail from the id_token
/// (openid email) without an extra request.
pub(crate) const DEFAULT_SCOPES: &str = "openid email https://www.googleapis.com/auth/calendar.events \
     https://www.googleapis.com/auth/calendar.calendarlist.readonly \
     https://www.googleapis.com/auth/calendar.freebusy";
/// Any one of these lets us call freebusy.query (calendar.events does not).
pub(crate) const FREEBUSY_SCOPES: [&str; 4] = [
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.events.freebusy",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar",
];
/// Any one of these lets us write events.
pub(crate) const WRITE_SCOPES: [&str; 3] = [
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.events.owned",
    "https://www.googleapis.com/auth/calendar",
];

/// Google's documented size limits (auth code ≤ 256, access ≤ 2048,
/// refresh ≤ 512) with headroom, since Google may grow them within reason.
pub(crate) const MAX_CODE_LEN: usize = 1024;
/// What an admin may paste: a whole redirect URL at most.
pub(crate) const MAX_PASTE_LEN: usize = 4096;

/// PKCE verifier (RFC 7636: 43–128 of [A-Za-z0-9-._~]) from 32 random bytes.
pub fn pkce_verifier(random: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// S256 challenge: base64url(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()))
}

/// The CSRF `state` value from 16 random bytes.
pub fn state_token(random: &[u8; 16]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// Google's consent link: offline access and `prompt=consent` so a refresh
/// token always comes back, even on re-authorization.
pub fn auth_url(
    endpoint: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &str,
    state: &str,
    code_challenge: &str,
    login_hint: &str,
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", scopes)
        .append_pair("access_type", "offline")
        .append_pair("prompt", "consent")
        .append_pair("state", state)
        .append_pair("code_challenge", code_challenge)
        .append_pair("code_challenge_method", "S256");
    if !login_hint.is_empty() {
        query.append_pair("login_hint", login_hint);
    }
    format!("{endpoint}?{}", query.finish())
}

/// What the admin pasted into the PBX, after parsing.
#[derive(Debug, PartialEq, Eq)]
pub enum Pasted {
    /// A bare code (possibly URL-encoded in the paste; decoded here).
    Code(String),
    /// A whole redirect URL carrying a code.
    Redirect { code: String, state: Option<String> },
    /// A redirect URL carrying `error=` (e.g. access_denied).
    Denied { error: String, state: Option<String> },
}

/// Reads a pasted code or address-bar URL. Whitespace around it is ignored.
pub fn parse_pasted(input: &str) -> Result<Pasted> {
    let s = input.trim();
    if s.is_empty() {
        return Err(Error::InvalidArgument("the authorization code is empty".into()));
    }
    if s.len() > MAX_PASTE_LEN {
        return Err(Error::TooLong { field: "code", max: MAX_PASTE_LEN });
    }
    if let Some((_, query)) = s.split_once('?') {
        let query = query.split('#').next().unwrap_or("");
        let (mut code, mut state, mut error) = (None, None, None);
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "code" => code = Some(v.into_owned()),
                "state" => state = Some(v.into_owned()),
                "error" => error = Some(v.into_owned()),
                _ => {}
            }
        }
        return match (code, error) {
            (_, Some(error)) => Ok(Pasted::Denied { error, state }),
            (Some(code), None) => Ok(Pasted::Redirect { code: check_code(&code)?, state }),
            (None, None) => Err(Error::InvalidArgument(
                "the pasted address has no code= parameter; copy the whole address after \
                 allowing access"
                    .into(),
            )),
        };
    }
    // A bare code, maybe copied percent-encoded from the address bar (4%2F0A…).
    let decoded = percent_decode(s)?;
    Ok(Pasted::Code(check_code(&decoded)?))
}

fn percent_decode(s: &str) -> Result<String> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    // form_urlencoded would turn '+' into ' '; codes never contain '+' or ' '.
    let bytes: Vec<u8> = form_urlencoded::parse(format!("c={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    String::from_utf8(bytes)
        .map_err(|_| Error::InvalidArgument("the authorization code is not valid text".into()))
}

fn check_code(code: &str) -> Result<String> {
    if code.is_empty() {
        return Err(Error::InvalidArgument("the authorization code is empty".into()));
    }
    if code.len() > MAX_CODE_LEN {
        return Err(Error::TooLong { field: "code", max: MAX_CODE_LEN });
    }
    if !code.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::InvalidArgument(
            "the authorization code contains spaces or non-ASCII characters; paste the code or \
             the whole address exactly as shown"
                .into(),
        ));
    }
    Ok(code.to_owned())
}

/// Fingerprint of a redeemed code, kept to recognise a second paste
/// without keeping the code itself.
pub fn code_fingerprint(code: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, code.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why a refresh token stopped working, with what to do. `consent_age`
/// is seconds from consent to this failure, by Google's clock when known;
/// `worked_past_day_7`: a refresh succeeded 7 days or more after consent
/// (then the grant cannot be a Testing-mode one).
pub fn diagnose_refresh_failure(e: Error, consent_age: Option<i64>, worked_past_day_7: bool) -> Error {
    const DAY: i64 = 86_400;
    match e {
        Error::InvalidGrant(_) => {
            let why = match consent_age {
                Some(age) if (6 * DAY + DAY / 2..8 * DAY).contains(&age) => {
                    "Google revoked the authorization about 7 days after consent: the app's OAuth \
                     consent screen is in \"Testing\". In Google Cloud Console set it to \"In \
                     production\" (or \"Internal\" for a Workspace), then authorize again."
                }
                // A PBX that was idle around day 7 learns of it later.
                Some(age) if age >= 8 * DAY && !worked_past_day_7 => {
                    "Google refused the authorization, which never worked past 7 days after \
                     consent: most likely the OAuth consent screen is in \"Testing\". Set it to \
                     \"In production\" (or \"Internal\"), then authorize again."
                }
                _ => {
                    "Google says the authorization expired or was revoked: access removed by the \
                     user or a Workspace admin, account disabled, unused for 6 months, or over 100 \
                     newer authorizations for this client. Authorize again."
                }
            };
            Error::ReauthRequired(why.into())
        }
        Error::ReauthRequired(_) => Error::ReauthRequired(
            "Google Workspace session control requires signing in again (invalid_rapt). A \
             Workspace administrator can exempt this app's client ID from re-authentication \
             (Admin console > Security > Google Cloud session control); until then authorize again."
                .into(),
        ),
        other => other,
    }
}

/// The form body of the code exchange (client_secret_post, with PKCE).
/// `client_secret`: None when it goes by HTTP Basic instead (the
/// `client_id` stays: RFC 6749 §3.2.1 lets a client name itself).
pub fn code_exchange_form(
    client_id: &str,
    client_secret: Option<&str>,
    redirect_uri: &str,
    code: &str,
    code_verifier: &str,
) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    f.append_pair("grant_type", "authorization_code").append_pair("code", code).append_pair("client_id", client_id);
    if let Some(s) = client_secret {
        f.append_pair("client_secret", s);
    }
    f.append_pair("redirect_uri", redirect_uri).append_pair("code_verifier", code_verifier).finish()
}

/// A successful token-endpoint answer.
#[derive(Debug)]
pub struct TokenResponse {
    pub access_token: Secret,
    pub expires_in: i64,
    pub refresh_token: Option<Secret>,
    /// None: the server left it out, which RFC 6749 §5.1 allows when the
    /// grant is the scope requested (Google always sends it).
    pub scope: Option<String>,
    pub token_type: String,
    pub id_token: Option<Secret>,
}

/// An OAuth error answer (RFC 6749 §5.2): `error` is required; the other
/// members are optional (absent or null: empty).
struct OAuthErrorBody {
    error: String,
    error_description: String,
    error_subtype: String,
}

impl OAuthErrorBody {
    fn parse(body: &[u8]) -> Option<OAuthErrorBody> {
        let v = json::parse(body)?;
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Some(OAuthErrorBody {
            error: v["error"].as_str()?.to_owned(),
            error_description: text("error_description"),
            error_subtype: text("error_subtype"),
        })
    }
}

/// Seconds an access token is taken to last when the token endpoint does
/// not say (Google's access tokens last an hour).
pub(crate) const DEFAULT_TOKEN_LIFETIME: i64 = 3600;

/// Reads the token endpoint's answer to a code exchange. The tokens are
/// moved out of the parsed document, never copied.
pub fn parse_token_response(status: u16, body: &[u8]) -> Result<TokenResponse> {
    if status != 200 {
        return Err(classify_token_error(status, body));
    }
    let unreadable = |what: &str| {
        Error::ApiBadResponse(format!(
            "token endpoint answered 200 with unreadable JSON ({what})"
        ))
    };
    let mut v = json::parse(body)
        .filter(|v| v.as_object().is_some())
        .ok_or_else(|| unreadable("not a JSON object"))?;
    let secret = |v: &mut Value, k: &str| {
        v.take_string(k)
            .map(|s| s.map(Secret::from))
            .map_err(|_| unreadable(k))
    };
    // RFC 6749 makes `expires_in` a number; some servers send digits in a
    // string, read the same. It is only RECOMMENDED (§5.1): without it the
    // token is taken to last as long as Google's do, and a 401 before that
    // refreshes it anyway.
    let expires_in = match &v["expires_in"] {
        Value::Null => Some(DEFAULT_TOKEN_LIFETIME),
        Value::String(s) => s.parse().ok(),
        n => n.as_i64(),
    };
    let scope = match &v["scope"] {
        Value::Null => None,
        s => Some(s.as_str().ok_or_else(|| unreadable("scope"))?.to_owned()),
    };
    let t = TokenResponse {
        access_token: secret(&mut v, "access_token")?
            .ok_or_else(|| unreadable("no access_token"))?,
        expires_in: expires_in.ok_or_else(|| unreadable("expires_in"))?,
        refresh_token: secret(&mut v, "refresh_token")?,
        id_token: secret(&mut v, "id_token")?,
        scope,
        token_type: v["token_type"].as_str().unwrap_or_default().to_owned(),
    };
    if !t.token_type.eq_ignore_ascii_case("bearer") {
        return Err(Error::ApiBadResponse(format!(
            "token endpoint returned token_type \"{}\", expected Bearer",
            printable(&t.token_type)
        )));
    }
    if t.access_token.is_empty() || t.access_token.expose().len() > 8192 || t.expires_in <= 0 {
        return Err(Error::ApiBadResponse(
            "token endpoint returned an empty or implausible access token".into(),
        ));
    }
    Ok(t)
}

/// Read-only Calendar scopes: a grant with one of these and no write
/// scope is the supported read-only mode (list, sync, busy; a push answers
/// GS_GCAL_READ_ONLY_GRANT), e.g. the Mitel device-flow set.
pub(crate) const READ_SCOPES: [&str; 2] = [
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events.readonly",
];

/// A grant that can read but not write events.
pub fn is_read_only(scope: &str) -> bool {
    !scope.split(' ').any(|s| WRITE_SCOPES.contains(&s)) && scope.split(' ').any(|s| READ_SCOPES.contains(&s))
}

/// Checks that the user left a calendar permission ticked (write, or
/// read-only for the read-only mode).
pub fn check_granted(scope: &str) -> Result<()> {
    if scope.split(' ').any(|s| WRITE_SCOPES.contains(&s) || READ_SCOPES.contains(&s)) {
        Ok(())
    } else {
        Err(Error::ScopeNotGranted(
            "Google did not grant access to calendar events (the box was unticked on the \
             consent screen): authorize again and allow \"View and edit events on all your \
             calendars\""
                .into(),
        ))
    }
}

/// Reads a token-endpoint error body and classifies it. Dispatches on
/// `error`, not status: Google uses 400, 401 and 403 inconsistently.
pub fn classify_token_error(status: u16, body: &[u8]) -> Error {
    match OAuthErrorBody::parse(body) {
        Some(b) => oauth_error(status, &b.error, &b.error_description, &b.error_subtype),
        // The device endpoint's quota answer has no `error`:
        // {"error_code": "rate_limit_exceeded"} (limited-input-device guide).
        None if json::parse(body)
            .is_some_and(|v| v["error_code"].as_str() == Some("rate_limit_exceeded")) =>
        {
            Error::ApiRateLimited {
                text: "Google: too many authorization requests for this OAuth client \
                       (rate_limit_exceeded); wait a few minutes, then start again"
                    .into(),
                retry_after: None,
            }
        }
        None if status >= 500 => {
            Error::ApiServerError(format!("Google's token endpoint failed with HTTP {status}"))
        }
        None => Error::ApiBadResponse(format!(
            "token endpoint answered HTTP {status} without an OAuth error body"
        )),
    }
}

/// One place that turns a Google OAuth error code (from the token endpoint
/// or a redirect's `error=`) into an error with the action an
/// administrator should take.
pub fn oauth_error(status: u16, error: &str, description: &str, subtype: &str) -> Error {
    let desc = printable(description);
    let said = |action: &str| format!("Google: {} ({desc}). {action}", printable(error));
    match error {
        "invalid_grant" if subtype == "invalid_rapt" => Error::ReauthRequired(said(
            "The Google Workspace session-control policy requires signing in again: authorize again.",
        )),
        "invalid_grant" => Error::InvalidGrant(said(
            "The code is wrong, already used or expired (codes are single-use and short-lived): \
             get a new authorization code.",
        )),
        "invalid_client" => Error::InvalidClient(said(
            "Check the client ID and client secret against the OAuth client in Google Cloud \
             Console (APIs & Services > Credentials).",
        )),
        "deleted_client" => Error::DeletedClient(said(
            "The OAuth client was deleted: restore it in Google Cloud Console within 30 days, or \
             create a new one and enter it here.",
        )),
        "unauthorized_client" => Error::UnauthorizedClient(said(
            "The client is not allowed this grant, or the token belongs to another client: \
             authorize again with this client.",
        )),
        "redirect_uri_mismatch" => Error::RedirectUriMismatch(said(
            "The redirect URI must match one of the client's authorized redirect URIs exactly \
             (scheme, case and trailing slash).",
        )),
        "invalid_request" => Error::OAuthInvalidRequest(said(
            "Check the client ID, client secret and redirect URI entered on the PBX.",
        )),
        "admin_policy_enforced" => Error::AdminPolicyEnforced(said(
            "A Google Workspace administrator must allow this app or its scopes (Security > API \
             controls).",
        )),
        "org_internal" => Error::OrgInternal(said(
            "The OAuth consent screen is Internal to another organization: sign in with an \
             account of that organization or make the app External.",
        )),
        "invalid_scope" => Error::InvalidScope(said("The requested scopes are not allowed for this client.")),
        "access_denied" => Error::AccessDenied(said("Access was denied: authorize again and allow access.")),
        _ if status >= 500 => {
            Error::ApiServerError(format!("Google's token endpoint failed with HTTP {status}"))
        }
        _ => Error::OAuthOther(said("Unexpected OAuth error.")),
    }
}

/// The authorized account's e-mail from the id_token Google returned with
/// the tokens. Received directly from Google over TLS, so per OpenID
/// Connect Core §3.1.3.7 the signature need not be checked.
pub fn email_from_id_token(id_token: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let claims = json::parse(&URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?)?;
    let email = claims["email"].as_str()?.to_owned();
    (email.len() <= 320 && email.contains('@')).then_some(email)
}

/// Form body of a refresh (client_secret_post).
/// `client_secret`: as in `code_exchange_form`.
pub fn refresh_form(client_id: &str, client_secret: Option<&str>, refresh_token: &str) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    f.append_pair("grant_type", "refresh_token").append_pair("refresh_token", refresh_token).append_pair("client_id", client_id);
    if let Some(s) = client_secret {
        f.append_pair("client_secret", s);
    }
    f.finish()
}

/// Whether a revocation is done: Google revoked it (200), or the token is
/// already dead (400 `invalid_token`, "Token expired or revoked"). Anything
/// else is a refusal, with Google's words for the log.
pub fn revocation_outcome(status: u16, body: &[u8]) -> std::result::Result<(), String> {
    let e = OAuthErrorBody::parse(body);
    match (status, &e) {
        (200, _) => Ok(()),
        (400, Some(b)) if b.error == "invalid_token" => Ok(()),
        (_, Some(b)) => Err(format!("Google answered HTTP {status} {}: {}", printable(&b.error), printable(&b.error_description))),
        (_, None) => Err(format!("Google answered HTTP {status}")),
    }
}

/// Form body of a revocation.
pub fn revoke_form(token: &str) -> String {
    form_urlencoded::Serializer::new(String::new()).append_pair("token", token).finish()
}

/// Text from a server (or pasted) put into our messages, logs and the
/// status: no control characters (a newline would forge a log line), no
/// bidirectional overrides (U+202E would reverse what the admin reads),
/// bounded. The one sanitizer: every server string passes through it.
pub fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() && !is_bidi_control(*c)).take(200).collect()
}

/// Unicode's bidirectional formatting characters (UAX #9) and the
/// zero-width ones that hide text.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_sanitized() {
        assert_eq!(printable("bad\nINFO forged line"), "badINFO forged line");
        assert_eq!(printable("evil\u{202E}txt.exe\u{2066}"), "eviltxt.exe");
        assert_eq!(printable(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(pkce_challenge(v), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(pkce_verifier(&[0u8; 32]).len(), 43);
    }

    #[test]
    fn auth_url_has_every_parameter_encoded() {
        let u = auth_url(
            "https://accounts.google.com/o/oauth2/v2/auth",
            "id.apps.googleusercontent.com",
            "https://pbx.example.com/cb?x=1",
            DEFAULT_SCOPES,
            "st",
            "ch",
            "",
        );
        assert_eq!(
            u,
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=id.apps.googleusercontent.com\
             &redirect_uri=https%3A%2F%2Fpbx.example.com%2Fcb%3Fx%3D1&response_type=code\
             &scope=openid+email+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar.events\
             +https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar.calendarlist.readonly\
             +https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar.freebusy\
             &access_type=offline&prompt=consent&state=st&code_challenge=ch\
             &code_challenge_method=S256"
        );
    }

    #[test]
    fn pasted_inputs() {
        let code = "4/0AeanS0bXyz-_.";
        assert_eq!(parse_pasted(code).unwrap(), Pasted::Code(code.into()));
        assert_eq!(parse_pasted(" \t4%2F0AeanS0bXyz-_.\r\n").unwrap(), Pasted::Code(code.into()));
        assert_eq!(
            parse_pasted("https://pbx.example.com/cb?state=abc&code=4%2F0AeanS0bXyz-_.&scope=email")
                .unwrap(),
            Pasted::Redirect { code: code.into(), state: Some("abc".into()) }
        );
        assert_eq!(
            parse_pasted("http://127.0.0.1:8765/cb?error=access_denied&state=s").unwrap(),
            Pasted::Denied { error: "access_denied".into(), state: Some("s".into()) }
        );
        assert!(matches!(parse_pasted("   "), Err(Error::InvalidArgument(_))));
        assert!(matches!(parse_pasted("https://x/cb?state=1"), Err(Error::InvalidArgument(_))));
        assert!(matches!(parse_pasted("4/0A b"), Err(Error::InvalidArgument(_))));
        assert!(matches!(parse_pasted(&"a".repeat(5000)), Err(Error::TooLong { .. })));
    }

    #[test]
    fn token_errors_are_classified_by_error_code() {
        type Case = (u16, &'static str, fn(&Error) -> bool);
        let cases: &[Case] = &[
            (400, r#"{"error":"invalid_grant","error_description":"Bad Request"}"#, |e| matches!(e, Error::InvalidGrant(_))),
            (400, r#"{"error":"invalid_grant","error_description":"reauth related error (invalid_rapt)","error_subtype":"invalid_rapt"}"#, |e| matches!(e, Error::ReauthRequired(_))),
            (401, r#"{"error":"invalid_client","error_description":"The OAuth client was not found."}"#, |e| matches!(e, Error::InvalidClient(_))),
            (401, r#"{"error":"deleted_client","error_description":"The OAuth client was deleted."}"#, |e| matches!(e, Error::DeletedClient(_))),
            (401, r#"{"error":"unauthorized_client","error_description":"Unauthorized"}"#, |e| matches!(e, Error::UnauthorizedClient(_))),
            (400, r#"{"error":"redirect_uri_mismatch","error_description":"Bad Request"}"#, |e| matches!(e, Error::RedirectUriMismatch(_))),
            (400, r#"{"error":"invalid_request","error_description":"client_secret is missing."}"#, |e| matches!(e, Error::OAuthInvalidRequest(_))),
            (400, r#"{"error":"admin_policy_enforced"}"#, |e| matches!(e, Error::AdminPolicyEnforced(_))),
            (403, r#"{"error":"org_internal"}"#, |e| matches!(e, Error::OrgInternal(_))),
            (400, r#"{"error":"invalid_scope","error_description":"x"}"#, |e| matches!(e, Error::InvalidScope(_))),
            (400, r#"{"error":"something_new"}"#, |e| matches!(e, Error::OAuthOther(_))),
            (503, "<html>", |e| matches!(e, Error::ApiServerError(_))),
            (400, "<html>", |e| matches!(e, Error::ApiBadResponse(_))),
        ];
        for (status, body, ok) in cases {
            let e = classify_token_error(*status, body.as_bytes());
            assert!(ok(&e), "{status} {body} -> {e:?}");
        }
        let e = classify_token_error(400, br#"{"error":"invalid_grant","error_description":"Bad Request"}"#);
        assert!(e.to_string().contains("invalid_grant"));
    }

    /// RFC 6749 §2.3.1's own example, and form-encoding before base64.
    #[test]
    fn client_credentials_by_basic_or_form() {
        assert_eq!(basic_credentials("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"), "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");
        let b = basic_credentials("a b", "p:w%&é");
        let decoded = base64::engine::general_purpose::STANDARD.decode(b.strip_prefix("Basic ").unwrap()).unwrap();
        assert_eq!(decoded, b"a+b:p%3Aw%25%26%C3%A9");
        assert_eq!(refresh_form("id", None, "1//r"), "grant_type=refresh_token&refresh_token=1%2F%2Fr&client_id=id");
        assert_eq!(refresh_form("id", Some("s"), "r"), "grant_type=refresh_token&refresh_token=r&client_id=id&client_secret=s");
        assert!(!code_exchange_form("id", None, "https://pbx/cb", "4/c", "v").contains("client_secret"));
        assert!(code_exchange_form("id", Some("GOCSPX-x"), "https://pbx/cb", "4/c", "v").contains("&client_secret=GOCSPX-x&"));
        assert!(!device::poll_form("id", None, "dc").contains("client_secret"));
        // Only a refused client is worth the other way of sending it.
        assert!(refuses_client(401, br#"{"error":"invalid_client","error_description":"Unauthorized"}"#));
        for (status, body) in [
            (400, &br#"{"error":"invalid_request","error_description":"client_secret is missing."}"#[..]),
            (401, br#"{"error":"deleted_client","error_description":"The OAuth client was deleted."}"#),
            (400, br#"{"error":"invalid_grant"}"#),
            (200, br#"{"error":"invalid_client"}"#),
            (502, b"<html>"),
        ] {
            assert!(!refuses_client(status, body), "{status}");
        }
        assert_eq!(ClientAuth::default().other(), ClientAuth::Basic);
    }

    #[test]
    fn token_success_and_scopes() {
        let t = parse_token_response(
            200,
            br#"{"access_token":"ya29.x","expires_in":3599,"refresh_token":"1//r","scope":"openid https://www.googleapis.com/auth/calendar.events","token_type":"Bearer"}"#,
        )
        .unwrap();
        assert_eq!(t.refresh_token.as_ref().map(Secret::expose), Some("1//r"));
        assert!(check_granted(t.scope.as_deref().unwrap()).is_ok());
        assert!(matches!(check_granted("openid email"), Err(Error::ScopeNotGranted(_))));
        // Issue 16 A2: a read-only grant is a mode, not a failure.
        let ro = "openid https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/calendar.events.readonly";
        assert!(check_granted(ro).is_ok() && is_read_only(ro));
        assert!(!is_read_only(t.scope.as_deref().unwrap()));
        // RFC 6749 §5.1: no scope means the one requested, no expires_in a
        // server default (Google's hour); null is read as absent.
        for body in [&br#"{"access_token":"a","token_type":"Bearer"}"#[..], br#"{"access_token":"a","token_type":"bearer","scope":null,"expires_in":null}"#] {
            let t = parse_token_response(200, body).unwrap();
            assert_eq!((t.scope, t.expires_in), (None, DEFAULT_TOKEN_LIFETIME));
        }
        let t = parse_token_response(200, br#"{"access_token":"a","token_type":"Bearer","scope":""}"#).unwrap();
        assert_eq!(t.scope.as_deref(), Some(""), "an empty grant is not the requested one");
        for bad in [&br#"{"access_token":"a","token_type":"Bearer","scope":7}"#[..], br#"{"access_token":"a","token_type":"Bearer","expires_in":"soon"}"#] {
            assert!(matches!(parse_token_response(200, bad), Err(Error::ApiBadResponse(_))));
        }
        assert!(!is_read_only("https://www.googleapis.com/auth/calendar https://www.googleapis.com/auth/calendar.readonly"));
    }

    #[test]
    fn revocation_is_done_only_when_google_says_so() {
        assert_eq!(revocation_outcome(200, b"{}"), Ok(()));
        assert_eq!(revocation_outcome(400, br#"{"error":"invalid_token","error_description":"Token expired or revoked"}"#), Ok(()));
        for (status, body) in [
            (400, &br#"{"error":"invalid_request","error_description":"Bad Request"}"#[..]),
            (401, &br#"{"error":"invalid_client","error_description":"Unauthorized"}"#[..]),
            (400, &b"<html>captive portal</html>"[..]),
            (503, &b""[..]),
        ] {
            let e = revocation_outcome(status, body).unwrap_err();
            assert!(e.contains(&status.to_string()), "{e}");
        }
        assert!(matches!(
            parse_token_response(200, br#"{"access_token":"x","expires_in":3599,"token_type":"mac"}"#),
            Err(Error::ApiBadResponse(_))
        ));
        assert!(matches!(parse_token_response(200, b"{"), Err(Error::ApiBadResponse(_))));
    }

    #[test]
    fn refresh_failures_are_diagnosed() {
        let grant = || Error::InvalidGrant("x".into());
        let seven_days = diagnose_refresh_failure(grant(), Some(7 * 86_400 + 60), false);
        assert!(matches!(&seven_days, Error::ReauthRequired(s) if s.contains("about 7 days")));
        // Idle around day 7, found out on day 40: still most likely Testing...
        let idle = diagnose_refresh_failure(grant(), Some(40 * 86_400), false);
        assert!(matches!(&idle, Error::ReauthRequired(s) if s.contains("most likely") && s.contains("Testing")));
        // ...but not when it worked after day 7.
        let later = diagnose_refresh_failure(grant(), Some(40 * 86_400), true);
        assert!(matches!(&later, Error::ReauthRequired(s) if !s.contains("Testing") && s.contains("Workspace admin")));
        let early = diagnose_refresh_failure(grant(), Some(2 * 86_400), false);
        assert!(matches!(&early, Error::ReauthRequired(s) if !s.contains("Testing")));
        let unknown = diagnose_refresh_failure(grant(), None, false);
        assert!(matches!(unknown, Error::ReauthRequired(_)));
        let rapt = diagnose_refresh_failure(Error::ReauthRequired("r".into()), Some(100), false);
        assert!(matches!(&rapt, Error::ReauthRequired(s) if s.contains("session control")));
        let other = diagnose_refresh_failure(Error::DeletedClient("d".into()), Some(100), false);
        assert!(matches!(other, Error::DeletedClient(_)));
        // Each fits the C API's last-error buffer whole (GS_GCAL_ERROR_SIZE 256).
        for e in [seven_days, idle, later, rapt] {
            assert!(e.to_string().len() <= 255, "{} bytes: {e}", e.to_string().len());
        }
    }

    #[test]
    fn code_fingerprints_are_stable_and_hide_the_code() {
        let f = code_fingerprint("4/0Acode");
        assert_eq!(f, code_fingerprint("4/0Acode"));
        assert_eq!(f.len(), 64);
        assert!(!f.contains("0Acode"));
    }

    #[test]
    fn id_token_email() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"email":"arthur@example.com","sub":"1"}"#);
        assert_eq!(
            email_from_id_token(&format!("e30.{payload}.sig")).as_deref(),
            Some("arthur@example.com")
        );
        assert_eq!(email_from_id_token("garbage"), None);
        assert_eq!(email_from_id_token("a.!!!.c"), None);
    }
}
