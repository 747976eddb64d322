//! The plain-HTTP, loopback-only test-control port: lets tests play the
//! admin's browser and inspect what "Google" has stored.

use serde_json::{json, Map, Value};

use crate::http::{Request, Response};
use crate::oauth;
use crate::state::{self, Shared};

fn ok(v: Value) -> Response {
    Response::new(200, "application/json", v.to_string())
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
        // Makes every issued access token expired, to drive the library's 401 → refresh path.
        ("POST", "/control/expire_tokens") => {
            let mut st = state::lock(shared);
            for t in st.access_tokens.values_mut() {
                t.expires_at = 0;
            }
            ok(json!({"expired": st.access_tokens.len()}))
        }
        ("POST", "/control/shutdown") => {
            let mut r = ok(json!({"shutdown": true}));
            r.exit_after = true;
            r
        }
        _ => Response::new(
            404,
            "application/json",
            json!({"error": "not_found"}).to_string(),
        ),
    }
}
