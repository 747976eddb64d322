//! `freebusy.query` (`POST /calendar/v3/freeBusy`) as Google documents it:
//! `timeMin`/`timeMax` required, `items[{id}]`, `calendarExpansionMax` (at
//! most 50; calendars beyond it get the per-calendar error
//! `tooManyCalendarsRequested`), `groupExpansionMax` (at most 100; a larger
//! group gets `groupTooBig`), per-calendar `errors` (`notFound` for an
//! unknown calendar, or what `/control/directory` set), and busy periods
//! merged and clipped to the window. Busy: confirmed or tentative events
//! that are opaque and that the calendar's owner has not declined
//! (working-location events are always free); cancelled events never.
//! Accepted scopes: the four of the discovery document (not
//! `calendar.events`).
//!
//! `/control/directory` adds colleagues' calendars (owned by them, so the
//! test account sees only their free/busy), Google-side errors per
//! calendar and groups.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::calendar::{api_err, authorize, json_response, ApiError};
use crate::clock;
use crate::http::{Request, Response};
use crate::state::{self, Shared, State};
use crate::zone;

const FREEBUSY_SCOPES: [&str; 4] = [
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.events.freebusy",
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.readonly",
];
const CALENDAR_EXPANSION_MAX: i64 = 50;
const GROUP_EXPANSION_MAX: i64 = 100;

/// What `/control/directory` set up besides the calendars themselves.
#[derive(Default)]
pub struct Directory {
    /// Calendar id → the reason Google answers for it (e.g. internalError).
    pub errors: HashMap<String, String>,
    /// Group address → member calendar ids.
    pub groups: HashMap<String, Vec<String>>,
}

fn bad(reason: &'static str, message: &str) -> ApiError {
    api_err(400, "global", reason, message)
}

fn time(body: &Map<String, Value>, key: &'static str) -> Result<i64, ApiError> {
    let v = body.get(key).and_then(Value::as_str).ok_or_else(|| bad("required", &format!("Missing {key} parameter.")))?;
    clock::parse_date_time(v)
        .and_then(|d| d.utc_ms())
        .map(|ms| ms.div_euclid(1000))
        .ok_or_else(|| bad("invalid", &format!("Invalid value for: {key}")))
}

pub fn handle(shared: &Shared, req: &Request) -> Response {
    match query(shared, req) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn query(shared: &Shared, req: &Request) -> Result<Response, ApiError> {
    if req.method != "POST" {
        return Err(api_err(405, "global", "httpMethodNotAllowed", "Method Not Allowed"));
    }
    let mut st = state::lock(shared);
    st.count("freebusy.query");
    let user = authorize(&st, req, &FREEBUSY_SCOPES)?;
    let body = match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => m,
        _ => return Err(bad("parseError", "Parse Error")),
    };
    let (t_min, t_max) = (time(&body, "timeMin")?, time(&body, "timeMax")?);
    if t_max <= t_min {
        return Err(api_err(400, "calendar", "timeRangeEmpty", "The specified time range is empty."));
    }
    let limit = |key: &str, max: i64| -> Result<i64, ApiError> {
        match body.get(key) {
            None => Ok(max),
            Some(v) => match v.as_i64() {
                Some(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(bad("invalid", &format!("Invalid value for: {key}"))),
            },
        }
    };
    let cal_max = limit("calendarExpansionMax", CALENDAR_EXPANSION_MAX)? as usize;
    let group_max = limit("groupExpansionMax", GROUP_EXPANSION_MAX)? as usize;
    let ids: Vec<String> = match body.get("items") {
        None => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|i| i.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("invalid", "Invalid value for: items"))?,
        Some(_) => return Err(bad("invalid", "Invalid value for: items")),
    };
    let mut calendars = Map::new();
    let mut groups = Map::new();
    let mut wanted: Vec<String> = Vec::new();
    for id in &ids {
        let id = if id == "primary" { user.clone() } else { id.clone() };
        match st.freebusy.groups.get(&id) {
            Some(members) if members.len() > group_max => {
                groups.insert(id, json!({"errors": [{"domain": "global", "reason": "groupTooBig"}]}));
            }
            Some(members) => {
                groups.insert(id, json!({"calendars": members}));
                wanted.extend(members.iter().cloned());
            }
            None => wanted.push(id),
        }
    }
    for (n, id) in wanted.iter().enumerate() {
        let entry = if n >= cal_max {
            json!({"errors": [{"domain": "global", "reason": "tooManyCalendarsRequested"}], "busy": []})
        } else if let Some(reason) = st.freebusy.errors.get(id) {
            json!({"errors": [{"domain": "global", "reason": reason}], "busy": []})
        } else if st.calendar(id).is_none() {
            json!({"errors": [{"domain": "global", "reason": "notFound"}], "busy": []})
        } else {
            let busy: Vec<Value> = busy(&mut st, id, t_min, t_max)
                .into_iter()
                .map(|(s, e)| json!({"start": clock::rfc3339_at_offset(s, 0), "end": clock::rfc3339_at_offset(e, 0)}))
                .collect();
            json!({"busy": busy})
        };
        calendars.insert(id.clone(), entry);
    }
    let mut out = json!({
        "kind": "calendar#freeBusy",
        "timeMin": clock::rfc3339_at_offset(t_min, 0),
        "timeMax": clock::rfc3339_at_offset(t_max, 0),
        "calendars": calendars,
    });
    if !groups.is_empty() {
        out["groups"] = Value::Object(groups);
    }
    Ok(json_response(200, &out))
}

/// Whether one expanded event makes `owner` busy (Google's free/busy rule).
fn counts(ev: &Value, owner: &str) -> bool {
    let s = |k: &str| ev.get(k).and_then(Value::as_str);
    if s("status") == Some("cancelled") || s("transparency") == Some("transparent") || s("eventType") == Some("workingLocation") {
        return false;
    }
    let declined = ev.get("attendees").and_then(Value::as_array).is_some_and(|a| {
        a.iter().any(|x| {
            let me = x.get("self").and_then(Value::as_bool) == Some(true)
                || x.get("email").and_then(Value::as_str).is_some_and(|e| e.eq_ignore_ascii_case(owner));
            me && x.get("responseStatus").and_then(Value::as_str) == Some("declined")
        })
    });
    !declined
}

/// Busy periods of one calendar in the window: every page of a
/// singleEvents listing (recurring events expanded, exceptions applied),
/// filtered, clipped, sorted and merged (touching periods join).
fn busy(st: &mut State, cal_id: &str, t_min: i64, t_max: i64) -> Vec<(i64, i64)> {
    let zone = zone::zone_or_utc(st.calendar(cal_id).map(|c| c.time_zone.clone()).as_deref());
    let mut periods = Vec::new();
    let mut page: Option<String> = None;
    for _ in 0..100 {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("singleEvents", "true").append_pair("maxResults", "2500");
        q.append_pair("timeMin", &clock::rfc3339_at_offset(t_min, 0));
        q.append_pair("timeMax", &clock::rfc3339_at_offset(t_max, 0));
        if let Some(p) = &page {
            q.append_pair("pageToken", p);
        }
        let Ok(r) = crate::list::list(st, cal_id, &q.finish()) else { break };
        let Ok(v) = serde_json::from_slice::<Value>(&r.body) else { break };
        for ev in v.get("items").and_then(Value::as_array).into_iter().flatten() {
            if counts(ev, cal_id) {
                if let Some((s, e)) = crate::list::span(ev, &zone) {
                    let (s, e) = (s.max(t_min), e.min(t_max));
                    if e > s {
                        periods.push((s, e));
                    }
                }
            }
        }
        match v.get("nextPageToken").and_then(Value::as_str) {
            Some(p) => page = Some(p.to_owned()),
            None => break,
        }
    }
    periods.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for (s, e) in periods {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// `/control/directory` `{"calendars": [ids], "errors": {id: reason},
/// "groups": {group: [ids]}}`: colleagues' calendars (empty, owned by
/// themselves, in Europe/Berlin), errors Google answers for some, groups.
pub fn control(st: &mut State, v: &Value) -> Result<Value, String> {
    let mut added = 0;
    for id in v.get("calendars").and_then(Value::as_array).into_iter().flatten() {
        let id = id.as_str().ok_or("calendars must be strings")?;
        if st.calendar(id).is_none() {
            st.add_colleague_calendar(id);
            added += 1;
        }
    }
    for (id, reason) in v.get("errors").and_then(Value::as_object).into_iter().flatten() {
        match reason.as_str() {
            Some(r) => st.freebusy.errors.insert(id.clone(), r.to_owned()),
            None => st.freebusy.errors.remove(id),
        };
    }
    for (g, members) in v.get("groups").and_then(Value::as_object).into_iter().flatten() {
        let m: Vec<String> = members
            .as_array()
            .ok_or("groups must map to arrays")?
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect();
        st.freebusy.groups.insert(g.clone(), m);
    }
    Ok(json!({"added": added, "calendars": st.calendars.len()}))
}
