//! The plain-HTTP, loopback-only test-control port: lets tests play the
//! admin's browser and inspect what "Google" has stored.

use serde_json::{json, Map, Value};

use crate::clock;
use crate::http::{Request, Response};
use crate::oauth::{self, control_error};
use crate::state::{self, Shared, State, Toggles};
use crate::{calendar, device, fault, revoke};

fn ok(v: Value) -> Response {
    Response::new(200, "application/json", v.to_string())
}

fn not_found(what: &str) -> Response {
    Response::new(
        404,
        "application/json",
        json!({"error": "not_found", "error_description": what}).to_string(),
    )
}

/// `{"<key>":["a","b"]}` → the strings; None when malformed.
fn string_list(body: &[u8], key: &str) -> Option<Vec<String>> {
    body_json(body)
        .get(key)?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(String::from))
        .collect()
}

fn body_json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// `{"on":bool}` toggles; each names a failure Google can put a grant into.
fn toggle(name: &str) -> Option<fn(&mut Toggles) -> &mut bool> {
    Some(match name {
        "testing_mode" => |t| &mut t.testing_mode,
        "require_rapt" => |t| &mut t.require_rapt,
        "admin_policy" => |t| &mut t.admin_policy,
        "refresh_returns_refresh_token" => |t| &mut t.refresh_returns_refresh_token,
        "device_strict_scopes" => |t| &mut t.device_strict_scopes,
        "refuse_restore" => |t| &mut t.refuse_restore,
        "api_disabled" => |t| &mut t.api_disabled,
        "basic_auth_only" => |t| &mut t.basic_auth_only,
        _ => return None,
    })
}

/// Introspection never shows raw tokens, only hashes.
fn grants(st: &State) -> Value {
    let list: Vec<Value> = st
        .grants
        .iter()
        .map(|g| {
            json!({
                "client_id": g.client_id,
                "scopes": g.scopes,
                "revoked": g.revoked,
                "created": clock::rfc3339_millis(g.created * 1000),
                "expires": g.expires_at.map(|e| clock::rfc3339_millis(e * 1000)),
                "refresh_token_sha256": g.refresh_token_sha256,
            })
        })
        .collect();
    Value::Array(list)
}

pub fn handle(shared: &Shared, req: &Request) -> Response {
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/control/events") => {
            let st = state::lock(shared);
            let all: Map<String, Value> = st
                .calendars
                .iter()
                .map(|c| (c.id.clone(), Value::Array(c.events.clone())))
                .collect();
            ok(Value::Object(all))
        }
        ("GET", "/control/requests") => {
            let st = state::lock(shared);
            ok(json!(st.counters))
        }
        ("POST", "/control/reset") => {
            state::lock(shared).reset();
            ok(json!({"reset": true}))
        }
        ("POST", "/control/consent") => oauth::consent(shared, &req.body),
        ("POST", "/control/workspace") => {
            let body = body_json(&req.body);
            ok(crate::service_account::control(&mut state::lock(shared), &body))
        }
        ("POST", "/control/device") => device::control_decide(shared, &req.body),
        ("GET", "/control/grants") => ok(grants(&state::lock(shared))),
        ("GET", "/control/secrets") => ok(json!({"secrets": state::lock(shared).secrets})),
        ("POST", "/control/advance_clock") => {
            let Some(secs) = body_json(&req.body).get("seconds").and_then(Value::as_i64) else {
                return control_error("invalid_request", "body must be {\"seconds\":N}");
            };
            let offset = clock::advance(secs);
            ok(json!({
                "offset_seconds": offset,
                "now": clock::rfc3339_millis(clock::now_millis()),
            }))
        }
        // The user removes the app at myaccount.google.com/permissions.
        ("POST", "/control/revoke_grants") => {
            let v = body_json(&req.body);
            let account = v
                .get("account")
                .and_then(Value::as_str)
                .unwrap_or(state::DEFAULT_ACCOUNT);
            let n = revoke::revoke_user_grants(&mut state::lock(shared), account);
            ok(json!({"revoked": n}))
        }
        ("POST", "/control/delete_client") => {
            let v = body_json(&req.body);
            let Some(id) = v.get("client_id").and_then(Value::as_str) else {
                return control_error("invalid_request", "body must be {\"client_id\":..}");
            };
            // {"deleted":false} restores it, as the Cloud Console allows for 30 days.
            let deleted = v.get("deleted").and_then(Value::as_bool).unwrap_or(true);
            let mut st = state::lock(shared);
            match st.clients.iter_mut().find(|c| c.id == id) {
                Some(c) => {
                    c.deleted = deleted;
                    ok(json!({"client_id": id, "deleted": deleted}))
                }
                None => not_found("unknown client_id"),
            }
        }
        ("POST", p) if p.strip_prefix("/control/").and_then(toggle).is_some() => {
            let name = p.trim_start_matches("/control/");
            let Some(on) = body_json(&req.body).get("on").and_then(Value::as_bool) else {
                return control_error("invalid_request", "body must be {\"on\":true|false}");
            };
            let mut st = state::lock(shared);
            if let Some(field) = toggle(name) {
                *field(&mut st.toggles) = on;
            }
            ok(json!({ name: on }))
        }
        // {"announced":s,"enforced":s}: the interval new device codes announce
        // and the one slow_down enforces (tests cannot wait Google's 5 s).
        ("POST", "/control/device_interval") => {
            let v = body_json(&req.body);
            let (Some(a), Some(e)) = (
                v.get("announced").and_then(Value::as_i64),
                v.get("enforced").and_then(Value::as_i64),
            ) else {
                return control_error(
                    "invalid_request",
                    "body must be {\"announced\":s,\"enforced\":s}",
                );
            };
            state::lock(shared).toggles.device_interval = Some((a, e));
            ok(json!({"announced": a, "enforced": e}))
        }
        // Makes every issued access token expired, to drive the library's 401 → refresh path.
        ("POST", "/control/expire_tokens") => {
            let mut st = state::lock(shared);
            for t in st.access_tokens.values_mut() {
                t.expires_at = 0;
            }
            ok(json!({"expired": st.access_tokens.len()}))
        }
        // sendUpdates of the last insert/update/patch/delete: {"events.delete":"all",..};
        // null = the request had no sendUpdates parameter.
        ("GET", "/control/last_send_updates") => ok(json!(state::lock(shared).last_send_updates)),
        // {"count":N}: the next N Calendar API requests are processed, then the
        // connection is closed without an answer.
        ("POST", "/control/drop_next_response") => {
            let Some(n) = body_json(&req.body).get("count").and_then(Value::as_u64) else {
                return control_error("invalid_request", "body must be {\"count\":N}");
            };
            state::lock(shared).toggles.drop_responses = n;
            ok(json!({"drop_next_response": n}))
        }
        // {"pages":N,"pad_bytes":B}: events.list serves N pages of ~B bytes each
        // ({"pages":0} turns it off); see list::huge_page.
        ("POST", "/control/huge_pages") => {
            let v = body_json(&req.body);
            let (Some(n), Some(b)) = (
                v.get("pages").and_then(Value::as_u64),
                v.get("pad_bytes").and_then(Value::as_u64).or(Some(0)),
            ) else {
                return control_error("invalid_request", "body must be {\"pages\":N,\"pad_bytes\":B}");
            };
            state::lock(shared).toggles.huge_pages = (n, b as usize);
            ok(json!({"pages": n, "pad_bytes": b}))
        }
        // Forgets every event of every calendar (grants, tokens and counters
        // stay): tests that loop many rounds start each from an empty calendar.
        ("POST", "/control/clear_events") => {
            let mut st = state::lock(shared);
            let mut n = 0;
            for c in &mut st.calendars {
                n += c.events.len();
                c.events.clear();
            }
            ok(json!({"cleared": n}))
        }
        // {"calendar":"primary"|id,"id":eventId}: the user deletes the event (or one
        // occurrence) in Google's web UI.
        ("POST", "/control/delete_event") => {
            let v = body_json(&req.body);
            let Some(id) = v.get("id").and_then(Value::as_str) else {
                return control_error(
                    "invalid_request",
                    "body must be {\"calendar\":..,\"id\":..}",
                );
            };
            let cal = v
                .get("calendar")
                .and_then(Value::as_str)
                .unwrap_or("primary");
            match calendar::control_delete(&mut state::lock(shared), cal, id) {
                Ok(()) => ok(json!({"calendar": cal, "id": id, "status": "cancelled"})),
                Err(e) if e.code == 410 => {
                    ok(json!({"calendar": cal, "id": id, "status": "cancelled", "already": true}))
                }
                Err(_) => not_found("unknown calendar or event id"),
            }
        }
        // {"calendar":..,"event":{..}}: an event Google made or changed on its own
        // (Gmail, another client...), stored as given; see calendar::control_put.
        ("POST", "/control/put_event") => {
            let v = body_json(&req.body);
            let Some(Value::Object(ev)) = v.get("event").cloned() else {
                return control_error(
                    "invalid_request",
                    "body must be {\"calendar\":..,\"event\":{..}}",
                );
            };
            let cal = v
                .get("calendar")
                .and_then(Value::as_str)
                .unwrap_or("primary");
            match calendar::control_put(&mut state::lock(shared), cal, ev) {
                Ok(stored) => ok(stored),
                Err(_) => not_found("unknown calendar"),
            }
        }
        // {"calendar":..,"id":..,"patch":{..}}: the user edits the event (or one
        // occurrence) in Google's web UI.
        ("POST", "/control/edit_event") => {
            let v = body_json(&req.body);
            let (Some(id), Some(patch)) = (
                v.get("id").and_then(Value::as_str),
                v.get("patch").filter(|p| p.is_object()),
            ) else {
                return control_error(
                    "invalid_request",
                    "body must be {\"calendar\":..,\"id\":..,\"patch\":{..}}",
                );
            };
            let cal = v
                .get("calendar")
                .and_then(Value::as_str)
                .unwrap_or("primary");
            match calendar::control_edit(&mut state::lock(shared), cal, id, patch.clone()) {
                Ok(stored) => ok(stored),
                Err(_) => not_found("unknown calendar or event id"),
            }
        }
        // {"calendar":..} (absent: every calendar): Google expires the sync tokens,
        // the next incremental sync gets 410 fullSyncRequired.
        ("POST", "/control/invalidate_sync_tokens") => {
            let v = body_json(&req.body);
            let mut st = state::lock(shared);
            let cal = match v.get("calendar").and_then(Value::as_str) {
                None => None,
                Some("primary") => Some(state::DEFAULT_ACCOUNT.to_string()),
                Some(c) if st.calendar(c).is_some() => Some(c.to_string()),
                Some(_) => return not_found("unknown calendar"),
            };
            let n = st.invalidate_sync_tokens(cal.as_deref());
            ok(json!({"invalidated": n}))
        }
        // {"match":{"path_prefix":..,"method":..},"count":N,"apply":bool,"fault":{"kind":..,..}}
        // queues a fault for the Google port (see fault.rs); count 0 = until cleared.
        ("POST", "/control/directory") => {
            match crate::freebusy::control(&mut state::lock(shared), &body_json(&req.body)) {
                Ok(v) => ok(v),
                Err(e) => control_error("invalid_request", &e),
            }
        }
        ("POST", "/control/fault") => match fault::parse(&body_json(&req.body)) {
            Ok(f) => {
                let mut st = state::lock(shared);
                let queued = f.to_json();
                st.faults.push(f);
                ok(json!({"queued": queued, "pending": st.faults.len()}))
            }
            Err(e) => control_error("invalid_request", &e),
        },
        ("GET", "/control/faults") => {
            let st = state::lock(shared);
            ok(Value::Array(
                st.faults.iter().map(fault::Fault::to_json).collect(),
            ))
        }
        ("POST", "/control/clear_faults") => {
            let mut st = state::lock(shared);
            let n = st.faults.len();
            st.faults.clear();
            ok(json!({"cleared": n}))
        }
        // {"auth":bool,"refuse":bool,"die_mid_tunnel":bool}; absent keys keep their value.
        ("POST", "/control/proxy") => {
            let v = body_json(&req.body);
            if !v.is_object() {
                return control_error("invalid_request", "body must be a JSON object");
            }
            let mut st = state::lock(shared);
            let p = &mut st.toggles.proxy;
            for (key, field) in [
                ("auth", &mut p.auth),
                ("refuse", &mut p.refuse),
                ("die_mid_tunnel", &mut p.die_mid_tunnel),
            ] {
                if let Some(b) = v.get(key).and_then(Value::as_bool) {
                    *field = b;
                }
            }
            ok(json!({"auth": p.auth, "refuse": p.refuse, "die_mid_tunnel": p.die_mid_tunnel}))
        }
        // {"scopes":[..]}: the device endpoint answers invalid_scope for any of
        // these ("Invalid device flow scope: <scope>"); [] ends it.
        ("POST", "/control/device_refuse_scopes") => match string_list(&req.body, "scopes") {
            Some(list) => {
                state::lock(shared).toggles.device_refused_scopes = list.clone();
                ok(json!({"scopes": list}))
            }
            None => control_error("invalid_request", "body must be {\"scopes\":[..]}"),
        },
        // {"zones":[..]}: events.insert/update/patch answer Google's 400 "Invalid
        // time zone definition for start time." when start.timeZone (or
        // end.timeZone: "...for end time.") is one of these; [] ends it.
        ("POST", "/control/refuse_time_zones") => match string_list(&req.body, "zones") {
            Some(list) => {
                state::lock(shared).toggles.refused_time_zones = list.clone();
                ok(json!({"zones": list}))
            }
            None => control_error("invalid_request", "body must be {\"zones\":[..]}"),
        },
        // {"format":"google"|"opaque"}: occurrence ids of recurring events are
        // Google's documented-by-nobody `<id>_YYYYMMDDTHHMMSSZ`, or an opaque
        // `<id>_t<unix seconds>` that no client can compute.
        ("POST", "/control/instance_ids") => {
            match body_json(&req.body).get("format").and_then(Value::as_str) {
                Some(f @ ("google" | "opaque")) => {
                    crate::instances::set_opaque_ids(f == "opaque");
                    ok(json!({"format": f}))
                }
                _ => control_error("invalid_request", "body must be {\"format\":\"google\"|\"opaque\"}"),
            }
        }
        ("POST", "/control/shutdown") => {
            let mut r = ok(json!({"shutdown": true}));
            r.exit_after = true;
            r
        }
        _ => not_found("no such control endpoint"),
    }
}
