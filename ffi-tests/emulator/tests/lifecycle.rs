//! Drives the emulator binary: device flow, revocation, the emulator clock and the
//! failure controls that make refresh fail the ways Google's does. No sleeps: time
//! moves only through /control/advance_clock.

mod common;

use serde_json::{json, Value};

use common::*;

const DEVICE_CLIENT_ID: &str = "1018-gsgcal-device.apps.googleusercontent.com";
const DEVICE_SECRET: &str = "GOCSPX-emulator-dev1ce";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

const FORM: [(&str, &str); 1] = [("Content-Type", "application/x-www-form-urlencoded")];

impl Emu {
    fn device_code_request(&self, client_id: &str, scope: &str) -> Resp {
        let body = form(&[("client_id", client_id), ("scope", scope)]);
        self.https("POST", "/device/code", &FORM, body.as_bytes())
    }

    /// A fresh device code for the device client; returns the whole response.
    fn device_code(&self, scope: &str) -> Value {
        let r = self.device_code_request(DEVICE_CLIENT_ID, scope);
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    fn poll(&self, device_code: &str) -> Resp {
        self.token(&[
            ("grant_type", DEVICE_GRANT),
            ("client_id", DEVICE_CLIENT_ID),
            ("client_secret", DEVICE_SECRET),
            ("device_code", device_code),
        ])
    }

    fn decide(&self, user_code: &str, decision: &str) -> Resp {
        self.control(
            "POST",
            "/control/device",
            &json!({"user_code": user_code, "decision": decision}),
        )
    }

    /// Returns the emulator's new "now" (RFC3339, milliseconds, UTC).
    fn advance(&self, seconds: i64) -> String {
        let r = self.control(
            "POST",
            "/control/advance_clock",
            &json!({ "seconds": seconds }),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["now"].as_str().unwrap().to_string()
    }

    fn set(&self, toggle: &str, on: bool) {
        let r = self.control("POST", &format!("/control/{toggle}"), &json!({ "on": on }));
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// Code flow with access_type=offline: (access token, refresh token).
    fn offline_tokens(&self, scope: &str) -> (String, String) {
        let code = self.code_for(&[("scope", scope), ("access_type", "offline")]);
        let r = self.redeem(&code, &[]);
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        (
            v["access_token"].as_str().unwrap().to_string(),
            v["refresh_token"].as_str().unwrap().to_string(),
        )
    }

    fn refresh(&self, refresh_token: &str) -> Resp {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("refresh_token", refresh_token),
        ])
    }

    fn revoke_form(&self, token: &str) -> Resp {
        let body = form(&[("token", token)]);
        self.https("POST", "/revoke", &FORM, body.as_bytes())
    }

    fn get_event(&self, token: &str) -> Resp {
        self.api("GET", "/calendars/primary/events/nosuchevent", token, None)
    }

    fn counters(&self) -> Value {
        self.control("GET", "/control/requests", &json!({})).json()
    }
}

/// 404 for a missing event means the token itself was accepted.
fn assert_token_accepted(r: &Resp) {
    assert_eq!(r.status, 404, "{}", r.body);
}

fn assert_token_refused(r: &Resp) {
    assert_api_error(r, 401, "authError", "Invalid Credentials");
}

fn sha256_hex(s: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, s.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn startup_line_has_device_and_revoke_keys() {
    let emu = Emu::start();
    let port = emu.info["https_port"].as_u64().unwrap();
    assert_eq!(emu.info["device_client_id"], json!(DEVICE_CLIENT_ID));
    assert_eq!(emu.info["device_client_secret"], json!(DEVICE_SECRET));
    assert_eq!(
        emu.info["device_endpoint"],
        json!(format!("https://127.0.0.1:{port}/device/code"))
    );
    assert_eq!(
        emu.info["revoke_endpoint"],
        json!(format!("https://127.0.0.1:{port}/revoke"))
    );
    assert_eq!(emu.info["client_id"], json!(CLIENT_ID));
}

#[test]
fn device_flow_happy_path() {
    let emu = Emu::start();
    let d = emu.device_code(&format!("openid email {EVENTS_SCOPE}"));
    let device_code = d["device_code"].as_str().unwrap();
    let user_code = d["user_code"].as_str().unwrap();
    assert!(device_code.starts_with("AH-1Ng"));
    let b = user_code.as_bytes();
    assert!(
        b.len() == 9
            && b[4] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_uppercase()),
        "{user_code}"
    );
    assert_eq!(d["expires_in"], json!(1800));
    assert_eq!(d["interval"], json!(5));
    assert_eq!(
        d["verification_url"],
        json!("https://www.google.com/device")
    );
    assert!(d.get("verification_uri").is_none());

    assert_oauth_error(
        &emu.poll(device_code),
        428,
        "authorization_pending",
        "Precondition Required",
    );
    let r = emu.decide(user_code, "allow");
    assert_eq!(r.status, 200, "{}", r.body);
    emu.advance(5);
    let r = emu.poll(device_code);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["token_type"], json!("Bearer"));
    assert_eq!(v["expires_in"], json!(3599));
    assert!(v["refresh_token"].as_str().unwrap().starts_with("1//"));
    assert!(v["id_token"].is_string(), "openid was granted");
    let scope = v["scope"].as_str().unwrap();
    assert!(scope.contains(EVENTS_SCOPE) && scope.contains("userinfo.email"));
    let at = v["access_token"].as_str().unwrap();
    assert_token_accepted(&emu.get_event(at));

    // Single use.
    emu.advance(5);
    assert_oauth_error(&emu.poll(device_code), 400, "invalid_grant", "Bad Request");

    // Its refresh token works with the device client's credentials.
    let r = emu.token(&[
        ("grant_type", "refresh_token"),
        ("client_id", DEVICE_CLIENT_ID),
        ("client_secret", DEVICE_SECRET),
        ("refresh_token", v["refresh_token"].as_str().unwrap()),
    ]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json().get("refresh_token").is_none());

    let c = emu.counters();
    assert_eq!(c["device.code"], json!(1));
    assert_eq!(c["token.device"], json!(3));
    assert_eq!(c["token.refresh"], json!(1));
    assert_eq!(c["token"], json!(4));
}

#[test]
fn device_flow_slow_down_adds_five_seconds() {
    let emu = Emu::start();
    let d = emu.device_code(EVENTS_SCOPE);
    let code = d["device_code"].as_str().unwrap();
    assert_eq!(emu.poll(code).status, 428, "first poll is never too soon");
    assert_oauth_error(&emu.poll(code), 403, "slow_down", "Forbidden");
    // The interval is now 10 s: 5 s later is still too soon (and makes it 15 s)...
    emu.advance(5);
    assert_oauth_error(&emu.poll(code), 403, "slow_down", "Forbidden");
    // ...10 s is too soon for 15 s (now 20 s)...
    emu.advance(10);
    assert_oauth_error(&emu.poll(code), 403, "slow_down", "Forbidden");
    // ...and 20 s is fine, measured from the previous poll each time.
    emu.advance(20);
    assert_eq!(emu.poll(code).status, 428);
    emu.advance(20);
    assert_eq!(emu.poll(code).status, 428);
}

#[test]
fn device_flow_deny_expiry_and_unknown_codes() {
    let emu = Emu::start();
    let d = emu.device_code(EVENTS_SCOPE);
    let code = d["device_code"].as_str().unwrap();
    assert_eq!(
        emu.decide(d["user_code"].as_str().unwrap(), "deny").status,
        200
    );
    assert_oauth_error(&emu.poll(code), 403, "access_denied", "Forbidden");

    let d = emu.device_code(EVENTS_SCOPE);
    let code = d["device_code"].as_str().unwrap();
    assert_eq!(emu.poll(code).status, 428);
    emu.advance(1800);
    assert_oauth_error(&emu.poll(code), 400, "expired_token", "Bad Request");
    assert_eq!(
        emu.decide(d["user_code"].as_str().unwrap(), "allow").status,
        404,
        "the user cannot approve an expired code"
    );

    assert_eq!(emu.decide("ZZZZ-ZZZZ", "allow").status, 404);
    assert_oauth_error(
        &emu.poll("AH-1Ngnonsense"),
        400,
        "invalid_grant",
        "Bad Request",
    );
}

#[test]
fn device_endpoint_client_and_scope_errors() {
    let emu = Emu::start();
    assert_oauth_error(
        &emu.device_code_request(CLIENT_ID, EVENTS_SCOPE),
        401,
        "invalid_client",
        "Invalid client type.",
    );
    assert_oauth_error(
        &emu.device_code_request("nobody.apps.googleusercontent.com", EVENTS_SCOPE),
        401,
        "invalid_client",
        "The OAuth client was not found.",
    );
    assert_oauth_error(
        &emu.device_code_request(DEVICE_CLIENT_ID, "openid https://mail.google.com/"),
        400,
        "invalid_scope",
        "Invalid device flow scope: https://mail.google.com/",
    );

    // Strict mode: Google's documented closed list.
    emu.set("device_strict_scopes", true);
    assert_oauth_error(
        &emu.device_code_request(DEVICE_CLIENT_ID, &format!("openid {CAL_SCOPE} email")),
        400,
        "invalid_scope",
        &format!("Invalid device flow scope: {CAL_SCOPE}"),
    );
    let r = emu.device_code_request(
        DEVICE_CLIENT_ID,
        "openid email https://www.googleapis.com/auth/drive.file",
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // The web client may not poll, the device client may not use the browser flow.
    let d = emu.device_code("email");
    let r = emu.token(&[
        ("grant_type", DEVICE_GRANT),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("device_code", d["device_code"].as_str().unwrap()),
    ]);
    assert_oauth_error(&r, 401, "invalid_client", "Invalid client type.");
    let url = format!(
        "{}?{}",
        emu.info["auth_endpoint"].as_str().unwrap(),
        form(&[
            ("client_id", DEVICE_CLIENT_ID),
            ("redirect_uri", "http://127.0.0.1:8765/oauth2callback"),
            ("response_type", "code"),
            ("scope", EVENTS_SCOPE),
        ])
    );
    let r = emu.control(
        "POST",
        "/control/consent",
        &json!({"url": url, "decision": "allow"}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], json!("invalid_request"));
}

#[test]
fn revoke_kills_the_grant() {
    let emu = Emu::start();
    let (at, rt) = emu.offline_tokens(EVENTS_SCOPE);
    let r = emu.refresh(&rt);
    assert_eq!(r.status, 200, "{}", r.body);
    let at2 = r.json()["access_token"].as_str().unwrap().to_string();
    assert_token_accepted(&emu.get_event(&at));
    assert_token_accepted(&emu.get_event(&at2));

    // Revoking the refresh token (query-parameter form) kills both access tokens.
    let r = emu.https("POST", &format!("/revoke?token={}", enc(&rt)), &FORM, b"");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!({}));
    assert_oauth_error(
        &emu.refresh(&rt),
        400,
        "invalid_grant",
        "Token has been expired or revoked.",
    );
    assert_token_refused(&emu.get_event(&at));
    assert_token_refused(&emu.get_event(&at2));
    assert_oauth_error(
        &emu.revoke_form(&rt),
        400,
        "invalid_token",
        "Token expired or revoked",
    );
    assert_oauth_error(
        &emu.revoke_form("garbage"),
        400,
        "invalid_token",
        "Token expired or revoked",
    );

    // Revoking an access token (form body) takes its refresh token with it.
    let (at, rt) = emu.offline_tokens(EVENTS_SCOPE);
    assert_eq!(emu.revoke_form(&at).status, 200);
    assert_eq!(emu.refresh(&rt).status, 400);
    assert_token_refused(&emu.get_event(&at));

    let grants = emu.control("GET", "/control/grants", &json!({})).json();
    let grants = grants.as_array().unwrap();
    assert_eq!(grants.len(), 2);
    assert!(grants.iter().all(|g| g["revoked"] == json!(true)));
    assert_eq!(grants[1]["refresh_token_sha256"], json!(sha256_hex(&rt)));
    assert_eq!(grants[1]["client_id"], json!(CLIENT_ID));
    assert_eq!(grants[1]["scopes"], json!([EVENTS_SCOPE]));
    assert!(grants[1]["created"].as_str().unwrap().ends_with('Z'));
    assert!(!grants[1].to_string().contains(&rt), "no raw tokens");
    assert_eq!(emu.counters()["revoke"], json!(4));
}

#[test]
fn control_revoke_grants_is_the_user_removing_the_app() {
    let emu = Emu::start();
    let (at, rt) = emu.offline_tokens(EVENTS_SCOPE);
    let r = emu.control("POST", "/control/revoke_grants", &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_oauth_error(
        &emu.refresh(&rt),
        400,
        "invalid_grant",
        "Token has been expired or revoked.",
    );
    assert_token_refused(&emu.get_event(&at));
}

#[test]
fn clock_expires_access_tokens_and_codes() {
    let emu = Emu::start();
    let (at, rt) = emu.offline_tokens(EVENTS_SCOPE);
    // Margins of whole seconds: real time keeps running under the offset.
    emu.advance(3590);
    assert_token_accepted(&emu.get_event(&at));
    // A refreshed token works; the old one keeps working until it expires.
    let r = emu.refresh(&rt);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.json().get("refresh_token").is_none(),
        "no rotation by default"
    );
    let at2 = r.json()["access_token"].as_str().unwrap().to_string();
    assert_token_accepted(&emu.get_event(&at));
    emu.advance(10);
    assert_token_refused(&emu.get_event(&at));
    assert_token_accepted(&emu.get_event(&at2));

    // Authorization codes live 10 minutes.
    let code = emu.code_for(&[("scope", EVENTS_SCOPE)]);
    emu.advance(601);
    assert_oauth_error(&emu.redeem(&code, &[]), 400, "invalid_grant", "Bad Request");

    // Event timestamps follow the clock too.
    let now = emu.advance(7 * 24 * 3600);
    let r = emu.refresh(&rt);
    let at3 = r.json()["access_token"].as_str().unwrap().to_string();
    let ev = json!({
        "summary": "x",
        "start": {"dateTime": "2026-11-23T10:00:00Z"},
        "end": {"dateTime": "2026-11-23T11:00:00Z"},
    });
    let r = emu.api("POST", "/calendars/primary/events", &at3, Some(&ev));
    assert_eq!(r.status, 200, "{}", r.body);
    let created = r.json()["created"].as_str().unwrap().to_string();
    // Same fixed-width format, so string order is time order.
    assert!(created >= now, "{created} < {now}");

    // Reset puts the clock back: a freshly issued token is fine again.
    assert_eq!(
        emu.control("POST", "/control/reset", &json!({})).status,
        200
    );
    let at = emu.access_token(EVENTS_SCOPE);
    assert_token_accepted(&emu.get_event(&at));
}

#[test]
fn testing_mode_refresh_tokens_die_after_seven_days() {
    let emu = Emu::start();
    emu.set("testing_mode", true);
    let (_, rt) = emu.offline_tokens(EVENTS_SCOPE);
    emu.set("testing_mode", false);
    let (_, rt_prod) = emu.offline_tokens(EVENTS_SCOPE);
    emu.advance(604_790);
    assert_eq!(emu.refresh(&rt).status, 200);
    emu.advance(10);
    assert_oauth_error(
        &emu.refresh(&rt),
        400,
        "invalid_grant",
        "Token has been expired or revoked.",
    );
    assert_eq!(
        emu.refresh(&rt_prod).status,
        200,
        "issued after Testing ended"
    );
}

#[test]
fn require_rapt_fails_every_refresh() {
    let emu = Emu::start();
    let (_, rt) = emu.offline_tokens(EVENTS_SCOPE);
    emu.set("require_rapt", true);
    let r = emu.refresh(&rt);
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({
            "error": "invalid_grant",
            "error_description": "reauth related error (invalid_rapt)",
            "error_uri": "https://support.google.com/a/answer/9368756",
            "error_subtype": "invalid_rapt",
        })
    );
    emu.set("require_rapt", false);
    assert_eq!(emu.refresh(&rt).status, 200);
}

#[test]
fn deleted_client_everywhere() {
    let emu = Emu::start();
    let (at, rt) = emu.offline_tokens(EVENTS_SCOPE);
    let code = emu.code_for(&[("scope", EVENTS_SCOPE)]);
    for id in [CLIENT_ID, DEVICE_CLIENT_ID] {
        let r = emu.control("POST", "/control/delete_client", &json!({"client_id": id}));
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let deleted =
        |r: &Resp| assert_oauth_error(r, 401, "deleted_client", "The OAuth client was deleted.");
    deleted(&emu.refresh(&rt));
    deleted(&emu.redeem(&code, &[]));
    deleted(&emu.device_code_request(DEVICE_CLIENT_ID, EVENTS_SCOPE));
    deleted(&emu.poll("AH-1Ngwhatever"));
    assert_token_refused(&emu.get_event(&at));
    let r = emu.control(
        "POST",
        "/control/consent",
        &json!({"url": emu.auth_url(&[("scope", EVENTS_SCOPE)])}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], json!("deleted_client"));
    let url = emu.auth_url(&[("scope", EVENTS_SCOPE)]);
    let path = &url[url.find("/o/oauth2").unwrap()..];
    let r = emu.https("GET", path, &[], b"");
    assert!(r.body.contains("deleted_client"), "{}", r.body);
    assert_eq!(
        emu.control(
            "POST",
            "/control/delete_client",
            &json!({"client_id": "nobody"})
        )
        .status,
        404
    );

    // Reset restores the clients.
    assert_eq!(
        emu.control("POST", "/control/reset", &json!({})).status,
        200
    );
    assert_eq!(
        emu.device_code_request(DEVICE_CLIENT_ID, EVENTS_SCOPE)
            .status,
        200
    );
}

#[test]
fn admin_policy_blocks_consent_exchange_refresh_and_device() {
    let emu = Emu::start();
    let (_, rt) = emu.offline_tokens(EVENTS_SCOPE);
    let code = emu.code_for(&[("scope", EVENTS_SCOPE)]);
    let d = emu.device_code(EVENTS_SCOPE);
    emu.set("admin_policy", true);
    let blocked = |r: &Resp| {
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.json()["error"], json!("admin_policy_enforced"));
    };
    blocked(&emu.refresh(&rt));
    blocked(&emu.redeem(&code, &[]));
    blocked(&emu.control(
        "POST",
        "/control/consent",
        &json!({"url": emu.auth_url(&[("scope", EVENTS_SCOPE)])}),
    ));
    blocked(&emu.decide(d["user_code"].as_str().unwrap(), "allow"));
    blocked(&emu.poll(d["device_code"].as_str().unwrap()));
    emu.set("admin_policy", false);
    assert_eq!(emu.refresh(&rt).status, 200);
}

#[test]
fn refresh_can_rotate_refresh_tokens() {
    let emu = Emu::start();
    let (_, rt) = emu.offline_tokens(EVENTS_SCOPE);
    emu.set("refresh_returns_refresh_token", true);
    let r = emu.refresh(&rt);
    assert_eq!(r.status, 200, "{}", r.body);
    let rt2 = r.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt, rt2);
    let grants = emu.control("GET", "/control/grants", &json!({})).json();
    assert_eq!(grants[0]["refresh_token_sha256"], json!(sha256_hex(&rt2)));
    emu.set("refresh_returns_refresh_token", false);
    assert_eq!(emu.refresh(&rt2).status, 200);
    assert_eq!(emu.refresh(&rt).status, 200, "the old one still works");
}

#[test]
fn secrets_lists_everything_issued_and_survives_reset() {
    let emu = Emu::start();
    let code = emu.code_for(&[
        ("scope", &format!("openid {EVENTS_SCOPE}")),
        ("access_type", "offline"),
    ]);
    let v = emu.redeem(&code, &[]).json();
    let d = emu.device_code(EVENTS_SCOPE);
    let issued = [
        SECRET.to_string(),
        DEVICE_SECRET.to_string(),
        code,
        v["access_token"].as_str().unwrap().to_string(),
        v["refresh_token"].as_str().unwrap().to_string(),
        v["id_token"].as_str().unwrap().to_string(),
        d["device_code"].as_str().unwrap().to_string(),
    ];
    assert_eq!(
        emu.control("POST", "/control/reset", &json!({})).status,
        200
    );
    let s = emu.control("GET", "/control/secrets", &json!({})).json();
    let list: Vec<&str> = s["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    for secret in &issued {
        assert!(list.contains(&secret.as_str()), "missing {secret}");
    }
}

#[test]
fn control_input_errors() {
    let emu = Emu::start();
    assert_eq!(
        emu.control("POST", "/control/testing_mode", &json!({"on": "yes"}))
            .status,
        400
    );
    assert_eq!(
        emu.control("POST", "/control/advance_clock", &json!({}))
            .status,
        400
    );
    assert_eq!(
        emu.control("POST", "/control/device", &json!({"decision": "allow"}))
            .status,
        400
    );
    assert_eq!(
        emu.control("POST", "/control/no_such_toggle", &json!({"on": true}))
            .status,
        404
    );
}
