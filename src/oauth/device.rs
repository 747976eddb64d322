//! Pure logic of Google's device flow ("TVs and Limited Input devices"),
//! Google's dialect rather than RFC 8628's: the start answer carries
//! `verification_url` (we accept `verification_uri` too), and polls answer
//! HTTP 428 for pending and 403 for both slow_down and access_denied, so we
//! dispatch on the `error` field, never on the status.

use super::{classify_token_error, parse_token_response, printable, TokenResponse};
use crate::errors::{Error, Result};
use crate::json;
use crate::secret::Secret;

pub(crate) const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.5: add 5 seconds to the interval on each slow_down.
pub(crate) const SLOW_DOWN_STEP: u32 = 5;
/// Google's default when the answer has no interval.
pub(crate) const DEFAULT_INTERVAL: u32 = 5;

/// What `/device/code` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_url: String,
    pub expires_in: u32,
    pub interval: u32,
}

/// The scope sets the device flow tries, in order, each after the previous
/// one was refused with `invalid_scope` (Google documents no Calendar scope
/// for "TVs and Limited Input devices" clients, yet some are let through):
/// the configured `scopes`; full `calendar` (what Home Assistant runs);
/// Mitel's documented read-only pair; `calendar.readonly` alone. The last
/// two give the read-only mode. Duplicates are skipped.
pub const FALLBACK_SCOPE_SETS: [&str; 3] = [
    "openid email https://www.googleapis.com/auth/calendar",
    "openid email https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/calendar.events.readonly",
    "openid email https://www.googleapis.com/auth/calendar.readonly",
];

pub fn scope_sets(configured: &str) -> Vec<&str> {
    let mut sets = vec![configured];
    for s in FALLBACK_SCOPE_SETS {
        if !sets.contains(&s) {
            sets.push(s);
        }
    }
    sets
}

pub fn start_form(client_id: &str, scopes: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("scope", scopes)
        .finish()
}

/// `client_secret`: as in `code_exchange_form`.
pub fn poll_form(client_id: &str, client_secret: Option<&str>, device_code: &str) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    f.append_pair("client_id", client_id);
    if let Some(s) = client_secret {
        f.append_pair("client_secret", s);
    }
    f.append_pair("device_code", device_code).append_pair("grant_type", GRANT_TYPE).finish()
}

/// Reads the answer of `/device/code`.
pub fn parse_start(status: u16, body: &[u8]) -> Result<Started> {
    if status != 200 {
        return Err(match classify_token_error(status, body) {
            Error::InvalidScope(why) => Error::InvalidScope(format!(
                "{why} Google restricts which scopes the device flow may request; use a Web \
                 application client and the authorization-code flow (Get Authorization Code) instead."
            )),
            Error::InvalidClient(why) => Error::InvalidClient(format!(
                "{why} The device flow needs an OAuth client of type \"TVs and Limited Input devices\"."
            )),
            other => other,
        });
    }
    let unusable = || {
        Error::ApiBadResponse(
            "device endpoint answered without usable codes or verification URL".into(),
        )
    };
    let mut v = json::parse(body)
        .filter(|v| v.as_object().is_some())
        .ok_or_else(|| Error::ApiBadResponse("device endpoint answered unreadable JSON".into()))?;
    // Google's device endpoint says `verification_url`; RFC 8628 says
    // `verification_uri`.
    let url = v["verification_url"]
        .as_str()
        .or(v["verification_uri"].as_str())
        .unwrap_or_default()
        .to_owned();
    let user_code = v["user_code"].as_str().unwrap_or_default().to_owned();
    let expires_in = v["expires_in"].as_i64().unwrap_or(0);
    let device_code = v
        .take_string("device_code")
        .ok()
        .flatten()
        .map(Secret::from)
        .unwrap_or_default();
    let ok = !device_code.is_empty()
        && device_code.expose().len() <= 2048
        && (1..=64).contains(&user_code.len())
        // Plain http only on this machine, as for every endpoint (tests).
        && (url.starts_with("https://") || url.starts_with("http://") && crate::url::endpoint("verification_url", &url).is_ok())
        && url.len() <= 256
        && (1..=86_400).contains(&expires_in);
    if !ok {
        return Err(unusable());
    }
    let interval = v["interval"]
        .as_i64()
        .filter(|i| (0..=300).contains(i))
        .unwrap_or(DEFAULT_INTERVAL as i64);
    Ok(Started {
        device_code,
        user_code: printable(&user_code),
        verification_url: url,
        expires_in: expires_in as u32,
        interval: interval as u32,
    })
}

/// What one poll of the token endpoint told us.
#[derive(Debug)]
pub enum Poll {
    Approved(TokenResponse),
    Pending,
    SlowDown,
}

/// Reads a poll answer. Denial and expiry are errors with their own codes.
pub fn parse_poll(status: u16, body: &[u8]) -> Result<Poll> {
    if status == 200 {
        return parse_token_response(status, body).map(Poll::Approved);
    }
    let error = json::parse(body).and_then(|v| v["error"].as_str().map(str::to_owned));
    match error.as_deref() {
        Some("authorization_pending") => Ok(Poll::Pending),
        Some("slow_down") => Ok(Poll::SlowDown),
        Some("access_denied") => Err(Error::AccessDenied(
            "the user denied access at the verification page: start again and allow access".into(),
        )),
        Some("expired_token") => Err(Error::DeviceCodeExpired(
            "the user code expired before it was approved: start again for a new code".into(),
        )),
        _ => Err(classify_token_error(status, body)),
    }
}

/// Whether a poll may go out now: never before the interval has passed
/// since the previous one (times in milliseconds of a monotonic clock).
pub fn poll_due(last_poll_ms: Option<u64>, interval_s: u32, now_ms: u64) -> bool {
    match last_poll_ms {
        None => true,
        Some(last) => now_ms.saturating_sub(last) >= u64::from(interval_s) * 1000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_accepts_both_url_names() {
        let google = br#"{"device_code":"AH-1","user_code":"GQVQ-JKEC","expires_in":1800,"interval":5,"verification_url":"https://www.google.com/device"}"#;
        let rfc = br#"{"device_code":"AH-1","user_code":"GQVQ-JKEC","expires_in":1800,"verification_uri":"https://www.google.com/device"}"#;
        for body in [&google[..], &rfc[..]] {
            let s = parse_start(200, body).unwrap();
            assert_eq!(s.verification_url, "https://www.google.com/device");
            assert_eq!((s.expires_in, s.interval), (1800, 5));
        }
        let e = parse_start(400, br#"{"error":"invalid_scope","error_description":"Invalid device flow scope: https://www.googleapis.com/auth/calendar.events"}"#).unwrap_err();
        assert!(matches!(&e, Error::InvalidScope(s) if s.contains("Web application")), "{e}");
        let e = parse_start(403, br#"{"error_code":"rate_limit_exceeded"}"#).unwrap_err();
        assert!(matches!(&e, Error::ApiRateLimited { text, .. } if text.contains("rate_limit_exceeded")), "{e}");
        assert!(matches!(parse_start(200, br#"{"device_code":"x","user_code":"y","expires_in":5,"verification_url":"http://evil"}"#), Err(Error::ApiBadResponse(_))));
        // Plain http on this machine only, as for the endpoints.
        let local = parse_start(200, br#"{"device_code":"x","user_code":"y","expires_in":5,"verification_uri":"http://127.0.0.1:8080/device"}"#);
        assert_eq!(local.unwrap().verification_url, "http://127.0.0.1:8080/device");
        assert!(parse_start(200, br#"{"device_code":"x","user_code":"y","expires_in":5,"verification_uri":"http://evil.example/device"}"#).is_err());
    }

    #[test]
    fn polls_dispatch_on_error_not_status() {
        assert!(matches!(parse_poll(428, br#"{"error":"authorization_pending","error_description":"Precondition Required"}"#), Ok(Poll::Pending)));
        assert!(matches!(parse_poll(403, br#"{"error":"slow_down","error_description":"Forbidden"}"#), Ok(Poll::SlowDown)));
        assert!(matches!(parse_poll(403, br#"{"error":"access_denied","error_description":"Forbidden"}"#), Err(Error::AccessDenied(_))));
        assert!(matches!(parse_poll(400, br#"{"error":"expired_token","error_description":"Bad Request"}"#), Err(Error::DeviceCodeExpired(_))));
        assert!(matches!(parse_poll(401, br#"{"error":"deleted_client","error_description":"The OAuth client was deleted."}"#), Err(Error::DeletedClient(_))));
        assert!(matches!(parse_poll(200, br#"{"access_token":"a","expires_in":3599,"refresh_token":"r","scope":"s","token_type":"Bearer"}"#), Ok(Poll::Approved(_))));
    }

    #[test]
    fn scope_sets_step_from_the_configured_one() {
        let sets = scope_sets(crate::oauth::DEFAULT_SCOPES);
        assert_eq!(sets.len(), 4);
        assert_eq!(sets[0], crate::oauth::DEFAULT_SCOPES);
        assert!(sets[1].ends_with("/auth/calendar"));
        assert!(crate::oauth::is_read_only(sets[2]) && crate::oauth::is_read_only(sets[3]));
        assert_eq!(scope_sets(FALLBACK_SCOPE_SETS[0]).len(), 3, "no duplicates");
    }

    #[test]
    fn interval_is_respected() {
        assert!(poll_due(None, 5, 0));
        assert!(!poll_due(Some(1_000), 5, 5_999));
        assert!(poll_due(Some(1_000), 5, 6_000));
        assert!(poll_due(Some(1_000), 0, 1_000));
    }
}
