//! Google's device authorization flow ("TVs and Limited Input devices") in
//! Google's dialect, not RFC 8628's: 428 while pending, 403 for slow_down and
//! access_denied, and `verification_url` rather than `verification_uri`.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::clock::now_secs;
use crate::http::{Request, Response};
use crate::oauth::{
    self, admin_policy_enforced, client_not_found, control_error, deleted_client, missing,
    oauth_err, oauth_json, OAuthError, KNOWN_SCOPES, OPENID, USERINFO_EMAIL, USERINFO_PROFILE,
};
use crate::state::{
    self, random_bytes, random_token, ClientKind, DeviceCode, DeviceStatus, Shared, State,
};

const DEVICE_CODE_LIFETIME_SECS: i64 = 1800;
const POLL_INTERVAL_SECS: i64 = 5;
/// RFC 8628 §3.5, which Google follows here: each slow_down adds 5 s.
const SLOW_DOWN_STEP_SECS: i64 = 5;
const VERIFICATION_URL: &str = "https://www.google.com/device";

/// The closed list in Google's device-flow documentation (no Calendar scope).
const DOCUMENTED_SCOPES: [&str; 9] = [
    "email",
    OPENID,
    "profile",
    USERINFO_EMAIL,
    USERINFO_PROFILE,
    "https://www.googleapis.com/auth/drive.appdata",
    "https://www.googleapis.com/auth/drive.file",
    "https://www.googleapis.com/auth/youtube",
    "https://www.googleapis.com/auth/youtube.readonly",
];

fn invalid_client_type() -> OAuthError {
    oauth_err(401, "invalid_client", "Invalid client type.")
}

/// `POST /device/code`.
pub fn device_code_endpoint(shared: &Shared, req: &Request) -> Response {
    let mut st = state::lock(shared);
    st.count("device.code");
    match issue_code(&mut st, req) {
        Ok(v) => oauth_json(200, &v),
        Err(e) => e.to_json_response(),
    }
}

fn issue_code(st: &mut State, req: &Request) -> Result<Value, OAuthError> {
    let p = oauth::post_form(req)?;
    if st.toggles.basic_auth_only {
        // Not Google (which takes the client_id alone): an RFC 8628 server
        // that authenticates the client here too, by HTTP Basic only.
        if req.header("authorization").is_none() {
            return Err(oauth::oauth_err(401, "invalid_client", "Client authentication is required."));
        }
        oauth::authenticate_client(st, req, &p)?;
    }
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let client_id = get("client_id").ok_or_else(|| missing("client_id"))?;
    let client = st.client(client_id).ok_or_else(client_not_found)?;
    if client.deleted {
        return Err(deleted_client());
    }
    if client.kind != ClientKind::Device {
        return Err(invalid_client_type());
    }
    let client_id = client.id.clone();

    let scope = get("scope").ok_or_else(|| missing("scope"))?;
    let scopes: Vec<String> = scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    // In practice Google lets Calendar scopes through; strict mode follows its documentation.
    let strict = st.toggles.device_strict_scopes;
    let allowed =
        |s: &str| DOCUMENTED_SCOPES.contains(&s) || (!strict && KNOWN_SCOPES.contains(&s));
    let refused = &st.toggles.device_refused_scopes;
    if let Some(bad) = scopes.iter().find(|s| !allowed(s) || refused.contains(s)) {
        return Err(oauth_err(
            400,
            "invalid_scope",
            format!("Invalid device flow scope: {bad}"),
        ));
    }
    if scopes.is_empty() {
        return Err(missing("scope"));
    }

    let now = now_secs();
    let (announced, enforced) = st
        .toggles
        .device_interval
        .unwrap_or((POLL_INTERVAL_SECS, POLL_INTERVAL_SECS));
    let device_code = format!("AH-1Ng{}", random_token(90));
    let user_code = new_user_code(st);
    st.remember_secret(&device_code);
    st.device_codes.insert(
        device_code.clone(),
        DeviceCode {
            client_id,
            user_code: user_code.clone(),
            scopes: oauth::normalize_granted(&scopes),
            expires_at: now + DEVICE_CODE_LIFETIME_SECS,
            interval: enforced,
            last_poll: None,
            status: DeviceStatus::Pending,
            consented_at: now,
        },
    );
    Ok(json!({
        "device_code": device_code,
        "user_code": user_code,
        "expires_in": DEVICE_CODE_LIFETIME_SECS,
        "interval": announced,
        "verification_url": VERIFICATION_URL,
    }))
}

/// `ABCD-EFGH`, unique among the codes we hold.
fn new_user_code(st: &State) -> String {
    loop {
        let letters: Vec<char> = random_bytes(8)
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        let code = format!(
            "{}-{}",
            letters[..4].iter().collect::<String>(),
            letters[4..].iter().collect::<String>()
        );
        if !st.device_codes.values().any(|d| d.user_code == code) {
            return code;
        }
    }
}

/// The token endpoint's `urn:ietf:params:oauth:grant-type:device_code` grant;
/// the client is already authenticated.
pub fn poll(
    st: &mut State,
    client_id: &str,
    kind: ClientKind,
    p: &HashMap<String, String>,
) -> Result<Value, OAuthError> {
    if kind != ClientKind::Device {
        return Err(invalid_client_type());
    }
    let bad = || oauth_err(400, "invalid_grant", "Bad Request");
    let code = p
        .get("device_code")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| missing("device_code"))?;
    let now = now_secs();
    let admin_policy = st.toggles.admin_policy;
    let dc = st.device_codes.get_mut(code).ok_or_else(bad)?;
    if dc.client_id != client_id || dc.status == DeviceStatus::Used {
        return Err(bad());
    }
    if now >= dc.expires_at {
        return Err(oauth_err(400, "expired_token", "Bad Request"));
    }
    let previous = dc.last_poll.replace(now);
    match dc.status {
        // slow_down is a variant of "pending" (RFC 8628), so only pending codes get it.
        DeviceStatus::Pending => {
            if previous.is_some_and(|t| now - t < dc.interval) {
                dc.interval += SLOW_DOWN_STEP_SECS;
                Err(oauth_err(403, "slow_down", "Forbidden"))
            } else {
                Err(oauth_err(
                    428,
                    "authorization_pending",
                    "Precondition Required",
                ))
            }
        }
        DeviceStatus::Denied => Err(oauth_err(403, "access_denied", "Forbidden")),
        DeviceStatus::Blocked => Err(admin_policy_enforced()),
        DeviceStatus::Allowed if admin_policy => Err(admin_policy_enforced()),
        DeviceStatus::Allowed => {
            dc.status = DeviceStatus::Used;
            let (scopes, consented) = (dc.scopes.clone(), dc.consented_at);
            // "Refresh tokens are always returned for devices."
            Ok(oauth::issue_grant(
                st,
                client_id,
                state::DEFAULT_ACCOUNT,
                &scopes,
                consented,
                true,
            ))
        }
        DeviceStatus::Used => Err(bad()),
    }
}

fn not_found(what: &str) -> Response {
    Response::new(
        404,
        "application/json",
        json!({"error": "not_found", "error_description": what}).to_string(),
    )
}

/// `POST /control/device {"user_code":..,"decision":"allow"|"deny"}`: the user at
/// google.com/device enters the code and answers the consent screen.
pub fn control_decide(shared: &Shared, body: &[u8]) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return control_error(
            "invalid_request",
            "body must be JSON {\"user_code\":..,\"decision\":..}",
        );
    };
    let Some(user_code) = v.get("user_code").and_then(Value::as_str) else {
        return control_error("invalid_request", "missing \"user_code\"");
    };
    let decision = v.get("decision").and_then(Value::as_str).unwrap_or("allow");
    if decision != "allow" && decision != "deny" {
        return control_error("invalid_request", "decision must be \"allow\" or \"deny\"");
    }

    let mut st = state::lock(shared);
    st.count("device.consent");
    let now = now_secs();
    let admin_policy = st.toggles.admin_policy;
    let Some(dc) = st
        .device_codes
        .values()
        .find(|d| d.user_code.eq_ignore_ascii_case(user_code.trim()))
    else {
        return not_found("unknown user_code");
    };
    if now >= dc.expires_at {
        return not_found("user_code has expired");
    }
    if dc.status != DeviceStatus::Pending {
        return control_error("invalid_request", "user_code was already used");
    }
    let client_deleted = st.client(&dc.client_id).is_none_or(|c| c.deleted);
    let user_code = dc.user_code.clone();
    if client_deleted {
        let e = deleted_client();
        return control_error(e.error, &e.description);
    }
    let Some(dc) = st
        .device_codes
        .values_mut()
        .find(|d| d.user_code == user_code)
    else {
        return not_found("unknown user_code");
    };
    if decision == "deny" {
        dc.status = DeviceStatus::Denied;
    } else if admin_policy {
        dc.status = DeviceStatus::Blocked;
        let e = admin_policy_enforced();
        return control_error(e.error, &e.description);
    } else {
        dc.status = DeviceStatus::Allowed;
        dc.consented_at = now;
    }
    Response::new(
        200,
        "application/json",
        json!({
            "user_code": dc.user_code,
            "decision": decision,
            "client_id": dc.client_id,
            "scopes": dc.scopes,
        })
        .to_string(),
    )
}
