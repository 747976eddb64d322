//! Drives the emulator binary: authorization-code flow and Calendar events.

mod common;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

use common::*;

fn event(id: &str) -> Value {
    json!({
        "id": id,
        "summary": "Weekly sync",
        "start": {"dateTime": "2026-11-23T10:00:00+01:00"},
        "end": {"dateTime": "2026-11-23T11:00:00+01:00"},
        "attendees": [{"email": "dutch@mycompanyabc.com"}],
        "reminders": {"useDefault": false, "overrides": [{"method": "email", "minutes": 30}]},
        "extendedProperties": {"private": {"ucm_meeting_id": "42"}},
    })
}

#[test]
fn startup_line_has_the_documented_keys() {
    let emu = Emu::start();
    let port = emu.info["https_port"].as_u64().unwrap();
    assert_eq!(
        emu.info["token_endpoint"],
        json!(format!("https://127.0.0.1:{port}/token"))
    );
    assert_eq!(
        emu.info["calendar_api_base"],
        json!(format!("https://127.0.0.1:{port}/calendar/v3"))
    );
    assert_eq!(emu.info["account"], json!(ACCOUNT));
    assert_eq!(emu.info["client_id"], json!(CLIENT_ID));
    assert!(emu.info["control_port"].is_u64());
}

#[test]
fn consent_code_token_happy_path_with_pkce() {
    let emu = Emu::start();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-emulator-test";
    let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ));
    let scope = format!("openid email {CAL_SCOPE}");
    let url = emu.auth_url(&[
        ("scope", &scope),
        ("access_type", "offline"),
        ("prompt", "consent"),
        ("state", "xyz/123"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);

    // What the admin's browser would see.
    let page = emu.https("GET", &url[url.find("/o/oauth2").unwrap()..], &[], b"");
    assert_eq!(page.status, 200);
    assert!(page.body.contains(CAL_SCOPE));

    let r = emu.control(
        "POST",
        "/control/consent",
        &json!({"url": url, "decision": "allow"}),
    );
    let redirect = r.json()["redirect"].as_str().unwrap().to_string();
    assert!(
        redirect.starts_with(&format!("{REDIRECT}?state=xyz%2F123&code=4%2F0A")),
        "{redirect}"
    );
    assert!(redirect.ends_with("&authuser=0&prompt=consent"));
    let params: Vec<(String, String)> =
        form_urlencoded::parse(redirect.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    let code = &params.iter().find(|(k, _)| k == "code").unwrap().1;

    let r = emu.redeem(code, &[("code_verifier", verifier)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.header("Cache-Control"),
        Some("no-cache, no-store, max-age=0, must-revalidate")
    );
    let t = r.json();
    assert!(t["access_token"].as_str().unwrap().starts_with("ya29.a0"));
    assert!(t["refresh_token"].as_str().unwrap().starts_with("1//0g"));
    assert_eq!(t["expires_in"], json!(3599));
    assert_eq!(t["token_type"], json!("Bearer"));
    let granted = t["scope"].as_str().unwrap();
    assert!(granted.split(' ').any(|s| s == CAL_SCOPE), "{granted}");
    let id_token = t["id_token"].as_str().unwrap();
    let payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(id_token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["email"], json!(ACCOUNT));
    assert_eq!(payload["aud"], json!(CLIENT_ID));
    assert_eq!(payload["sub"], json!("109876543210987654321"));

    // Single use.
    assert_oauth_error(
        &emu.redeem(code, &[("code_verifier", verifier)]),
        400,
        "invalid_grant",
        "Bad Request",
    );

    // Refresh grant: new access token, no new refresh token.
    let rt = t["refresh_token"].as_str().unwrap();
    let r = emu.token(&[
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("refresh_token", rt),
    ]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json().get("refresh_token").is_none());

    // The token works against the Calendar API.
    let r = emu.api(
        "POST",
        "/calendars/primary/events",
        t["access_token"].as_str().unwrap(),
        Some(&event("abcdef012345")),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn consent_deny_and_invalid_urls() {
    let emu = Emu::start();
    let url = emu.auth_url(&[("scope", CAL_SCOPE), ("state", "s1")]);
    let r = emu.control(
        "POST",
        "/control/consent",
        &json!({"url": url, "decision": "deny"}),
    );
    assert_eq!(
        r.json()["redirect"],
        json!(format!("{REDIRECT}?error=access_denied&state=s1"))
    );

    let bad = url.replace(&enc(REDIRECT), &enc(&format!("{REDIRECT}/")));
    let r = emu.control("POST", "/control/consent", &json!({"url": bad}));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], json!("redirect_uri_mismatch"));

    let oob = url.replace(&enc(REDIRECT), &enc("urn:ietf:wg:oauth:2.0:oob"));
    let r = emu.control("POST", "/control/consent", &json!({"url": oob}));
    assert_eq!(r.json()["error"], json!("invalid_request"));
    assert!(r.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("OOB"));

    let r = emu.control(
        "POST",
        "/control/consent",
        &json!({"url": url.replace(CLIENT_ID, "nobody")}),
    );
    assert_eq!(r.json()["error"], json!("invalid_client"));
    let r = emu.control(
        "POST",
        "/control/consent",
        &json!({"url": url.replace(&enc(CAL_SCOPE), "calendar")}),
    );
    assert_eq!(r.json()["error"], json!("invalid_scope"));

    // The browser sees an HTML error page.
    let page = emu.https("GET", &bad[bad.find("/o/oauth2").unwrap()..], &[], b"");
    assert_eq!(page.status, 400);
    assert!(page.body.contains("Error 400: redirect_uri_mismatch"));
    let page = emu.https("GET", "/o/oauth2/v2/auth?client_id=nobody", &[], b"");
    assert_eq!(page.status, 401);
    assert!(page.body.contains("Error 401: invalid_client"));
}

#[test]
fn token_endpoint_errors() {
    let emu = Emu::start();
    let code = emu.code_for(&[("scope", CAL_SCOPE)]);
    let base = |secret: &'static str, id: &'static str| {
        vec![
            ("grant_type", "authorization_code"),
            ("client_id", id),
            ("client_secret", secret),
            ("redirect_uri", REDIRECT),
        ]
    };

    let mut p = base(SECRET, "unknown.apps.googleusercontent.com");
    p.push(("code", &code));
    assert_oauth_error(
        &emu.token(&p),
        401,
        "invalid_client",
        "The OAuth client was not found.",
    );
    let mut p = base("wrong", CLIENT_ID);
    p.push(("code", &code));
    assert_oauth_error(&emu.token(&p), 401, "invalid_client", "Unauthorized");
    let p = [
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("code", &code),
        ("redirect_uri", REDIRECT),
    ];
    assert_oauth_error(
        &emu.token(&p),
        400,
        "invalid_request",
        "client_secret is missing.",
    );
    assert_oauth_error(
        &emu.redeem("garbage", &[]),
        400,
        "invalid_grant",
        "Malformed auth code.",
    );
    assert_oauth_error(
        &emu.redeem("4/0Anotacode", &[]),
        400,
        "invalid_grant",
        "Bad Request",
    );
    let mut p = base(SECRET, CLIENT_ID);
    p[0] = ("grant_type", "password");
    assert_oauth_error(
        &emu.token(&p),
        400,
        "unsupported_grant_type",
        "Invalid grant_type: password",
    );
    let mut p = base(SECRET, CLIENT_ID);
    p[3] = ("redirect_uri", "http://127.0.0.1:8765/oauth2callback");
    p.push(("code", &code));
    assert_oauth_error(&emu.token(&p), 400, "redirect_uri_mismatch", "Bad Request");
    let r = emu.https(
        "POST",
        "/token",
        &[("Content-Type", "application/json")],
        b"{}",
    );
    assert_eq!(r.json()["error"], json!("invalid_request"));

    // The code survived the failed attempts; client_secret_basic redeems it.
    let basic = format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:{SECRET}")));
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
    ]);
    let r = emu.https(
        "POST",
        "/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", &basic),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let t = r.json();
    assert!(
        t.get("refresh_token").is_none(),
        "online access: no refresh token"
    );
    assert!(t.get("id_token").is_none(), "no openid: no id_token");
}

#[test]
fn pkce_errors() {
    let emu = Emu::start();
    let verifier = "a".repeat(50);
    let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ));
    let code = emu.code_for(&[
        ("scope", CAL_SCOPE),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    assert_oauth_error(
        &emu.redeem(&code, &[]),
        400,
        "invalid_grant",
        "Missing code verifier.",
    );
    assert_oauth_error(
        &emu.redeem(&code, &[("code_verifier", &"b".repeat(50))]),
        400,
        "invalid_grant",
        "Invalid code verifier.",
    );
    assert_eq!(
        emu.redeem(&code, &[("code_verifier", &verifier)]).status,
        200
    );
}

#[test]
fn events_insert_get_duplicate() {
    let emu = Emu::start();
    let token = emu.access_token(EVENTS_SCOPE);
    let path = format!("/calendars/{}/events?sendUpdates=none", enc(ACCOUNT));
    let r = emu.api("POST", &path, &token, Some(&event("abcdef012345")));
    assert_eq!(r.status, 200, "{}", r.body);
    let stored = r.json();
    assert_eq!(stored["kind"], json!("calendar#event"));
    assert_eq!(stored["status"], json!("confirmed"));
    assert_eq!(stored["iCalUID"], json!("abcdef012345@google.com"));
    assert_eq!(stored["organizer"], json!({"email": ACCOUNT, "self": true}));
    assert_eq!(
        stored["attendees"][0]["responseStatus"],
        json!("needsAction")
    );
    assert_eq!(
        stored["extendedProperties"]["private"]["ucm_meeting_id"],
        json!("42")
    );
    assert_eq!(stored["sequence"], json!(0));

    let dump = emu.control("GET", "/control/events", &json!({})).json();
    assert_eq!(dump[ACCOUNT], json!([stored.clone()]));

    let r = emu.api("POST", &path, &token, Some(&event("abcdef012345")));
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json(),
        json!({"error":{"errors":[{"domain":"global","reason":"duplicate","message":"The requested identifier already exists."}],"code":409,"message":"The requested identifier already exists."}})
    );

    let r = emu.api(
        "GET",
        "/calendars/primary/events/abcdef012345",
        &token,
        None,
    );
    assert_eq!(r.json(), stored);
    assert_api_error(
        &emu.api("GET", "/calendars/primary/events/nosuchevent", &token, None),
        404,
        "notFound",
        "Not Found",
    );
    assert_api_error(
        &emu.api(
            "POST",
            "/calendars/someone%40else.com/events",
            &token,
            Some(&event("abcde")),
        ),
        404,
        "notFound",
        "Not Found",
    );

    let counts = emu.control("GET", "/control/requests", &json!({})).json();
    assert_eq!(counts["events.insert"], json!(3));
    assert_eq!(counts["events.get"], json!(2));
}

#[test]
fn events_validation_errors() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    let insert = |ev: &Value| emu.api("POST", "/calendars/primary/events", &token, Some(ev));

    let mut ev = event("abcde12345");
    ev["summmary"] = json!("typo");
    let r = insert(&ev);
    assert_api_error(
        &r,
        400,
        "invalid",
        "Invalid JSON payload received. Unknown name \"summmary\": Cannot find field.",
    );

    let mut ev = event("abcde12345");
    ev["reminders"]["overrides"][0]["methd"] = json!("popup");
    assert_eq!(insert(&ev).status, 400);

    let mut ev = event("abcde12345");
    ev["recurrence"] = json!(["RRULE:FREQ=WEEKLY;COUNT=3"]);
    assert_api_error(
        &insert(&ev),
        400,
        "required",
        "Missing time zone definition for start time.",
    );
    ev["start"] = json!({"dateTime": "2026-11-23T10:00:00", "timeZone": "Europe/Zurich"});
    ev["end"] = json!({"dateTime": "2026-11-23T11:00:00", "timeZone": "Europe/Zurich"});
    assert_eq!(insert(&ev).status, 200);

    let mut ev = event("abcde12346");
    ev["end"] = json!({"dateTime": "2026-11-23T09:59:00+01:00"});
    let r = insert(&ev);
    assert_api_error(
        &r,
        400,
        "timeRangeEmpty",
        "The specified time range is empty.",
    );
    assert_eq!(r.json()["error"]["errors"][0]["domain"], json!("calendar"));

    let mut ev = event("abcde12346");
    ev.as_object_mut().unwrap().remove("end");
    assert_api_error(&insert(&ev), 400, "required", "Missing end time.");

    let mut ev = event("abcde12346");
    ev["start"] = json!({"dateTime": "2026-11-23T10:00:00", "timeZone": "Moon/Base"});
    assert_api_error(
        &insert(&ev),
        400,
        "invalid",
        "Invalid time zone definition for start time.",
    );

    assert_api_error(
        &insert(&event("UPPERCASE")),
        400,
        "invalid",
        "Invalid resource id value.",
    );
    let mut ev = event("abcde12346");
    ev["attendees"] = json!([{"displayName": "Dutch"}]);
    assert_api_error(&insert(&ev), 400, "required", "Missing attendee email.");
    let mut ev = event("abcde12346");
    ev["reminders"] = json!({"useDefault": true, "overrides": [{"method": "popup", "minutes": 5}]});
    assert_eq!(
        insert(&ev).json()["error"]["errors"][0]["reason"],
        json!("cannotUseDefaultRemindersAndSpecifyOverride")
    );
    let r = emu.api(
        "POST",
        "/calendars/primary/events?sendUpdates=sometimes",
        &token,
        Some(&event("abcde12346")),
    );
    assert_eq!(r.status, 400);
    let r = emu.api("POST", "/calendars/primary/events", &token, None);
    assert_api_error(&r, 400, "parseError", "Parse Error");
}

#[test]
fn events_auth_errors() {
    let emu = Emu::start();
    let r = emu.https(
        "POST",
        "/calendar/v3/calendars/primary/events",
        &[("Content-Type", "application/json")],
        event("abcde").to_string().as_bytes(),
    );
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"error":{"errors":[{"domain":"global","reason":"authError","message":"Invalid Credentials","locationType":"header","location":"Authorization"}],"code":401,"message":"Invalid Credentials"}})
    );
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some("Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"")
    );
    assert_eq!(
        emu.api("GET", "/calendars/primary/events/abcde", "ya29.bogus", None)
            .status,
        401
    );

    let ro = emu.access_token(READONLY_SCOPE);
    let r = emu.api(
        "POST",
        "/calendars/primary/events",
        &ro,
        Some(&event("abcde")),
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"error":{"errors":[{"domain":"global","reason":"insufficientPermissions","message":"Insufficient Permission"}],"code":403,"message":"Request had insufficient authentication scopes."}})
    );
    assert_eq!(
        emu.api("GET", "/calendars/primary/events/abcde", &ro, None)
            .status,
        404
    );

    let token = emu.access_token(CAL_SCOPE);
    assert_eq!(
        emu.control("POST", "/control/expire_tokens", &json!({}))
            .status,
        200
    );
    assert_eq!(
        emu.api("GET", "/calendars/primary/events/abcde", &token, None)
            .status,
        401
    );
}

#[test]
fn events_update_delete_restore() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    let path = "/calendars/primary/events/abcde12345";
    let first = emu
        .api(
            "POST",
            "/calendars/primary/events",
            &token,
            Some(&event("abcde12345")),
        )
        .json();

    let mut changed = event("abcde12345");
    changed["summary"] = json!("Moved");
    let etag = first["etag"].as_str().unwrap().to_string();
    let auth = format!("Bearer {token}");
    let put = |if_match: &str, body: &Value| {
        emu.https(
            "PUT",
            &format!("/calendar/v3{path}"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
                ("If-Match", if_match),
            ],
            body.to_string().as_bytes(),
        )
    };
    assert_api_error(
        &put("\"1\"", &changed),
        412,
        "conditionNotMet",
        "Precondition Failed",
    );
    let r = put(&etag, &changed);
    assert_eq!(r.status, 200, "{}", r.body);
    let second = r.json();
    assert_eq!(second["sequence"], json!(1));
    assert_ne!(second["etag"], first["etag"]);
    assert_eq!(second["created"], first["created"]);
    assert_eq!(second["summary"], json!("Moved"));

    let r = emu.api("DELETE", path, &token, None);
    assert_eq!(r.status, 204);
    assert_eq!(
        emu.api("GET", path, &token, None).json()["status"],
        json!("cancelled")
    );
    assert_api_error(
        &emu.api("DELETE", path, &token, None),
        410,
        "deleted",
        "Resource has been deleted",
    );
    assert_eq!(
        emu.api(
            "POST",
            "/calendars/primary/events",
            &token,
            Some(&event("abcde12345"))
        )
        .status,
        409
    );

    changed["status"] = json!("confirmed");
    let r = emu.api("PUT", path, &token, Some(&changed));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], json!("confirmed"));
    assert_api_error(
        &emu.api(
            "PUT",
            "/calendars/primary/events/zzzzzz",
            &token,
            Some(&changed),
        ),
        400,
        "invalid",
        "The event id in the request body does not match the id in the URL.",
    );
    let mut other = changed.clone();
    other["id"] = json!("abcdefabc");
    assert_api_error(
        &emu.api(
            "PUT",
            "/calendars/primary/events/abcdefabc",
            &token,
            Some(&other),
        ),
        404,
        "notFound",
        "Not Found",
    );

    assert_eq!(
        emu.control("POST", "/control/reset", &json!({})).status,
        200
    );
    assert_eq!(
        emu.control("GET", "/control/events", &json!({})).json(),
        json!({
            ACCOUNT: [],
            "c_shared0123456789@group.calendar.google.com": [],
            "mycompanyabc.com_188abcdef@resource.calendar.google.com": [],
        })
    );
    assert_eq!(
        emu.api("GET", path, &token, None).status,
        401,
        "reset forgets tokens"
    );
}

#[test]
fn control_shutdown_exits() {
    let mut emu = Emu::start();
    assert_eq!(
        emu.control("GET", "/control/nothing", &json!({})).status,
        404
    );
    assert_eq!(
        emu.control("POST", "/control/shutdown", &json!({})).status,
        200
    );
    let status = emu.child.wait().unwrap();
    assert!(status.success());
}
