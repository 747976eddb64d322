//! Calendar v3 events: insert, get, update, patch and delete (on events and on
//! single occurrences of recurring events), with Google's checks and Google's
//! error bodies. Recurrence itself lives in recurrence.rs and instances.rs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::clock::{self, DateTime};
use crate::http::{percent_decode, Request, Response};
use crate::schema::{self, invalid, required, Invalid};
use crate::state::Tombstone;
use crate::state::{self, random_bytes, Shared, State};
use crate::zone::{self, valid_time_zone};
use crate::{calendar_list, instances, list, recurrence};

const WRITE_SCOPES: [&str; 2] = [
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.events",
];
const READ_SCOPES: [&str; 4] = [
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events.readonly",
];
/// calendarList.list (discovery `scopes`): the events scopes are not enough.
const CALENDAR_LIST_SCOPES: [&str; 4] = [
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.calendarlist",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
];

/// One entry of Google's API error (`{"error":{"errors":[..],"code":..,"message":..}}`).
pub struct ApiError {
    pub code: u16,
    pub domain: &'static str,
    pub reason: &'static str,
    pub message: String,
    /// Top-level message when it differs from the entry's (401, 403 do).
    pub top_message: Option<&'static str>,
    pub location: Option<(&'static str, String)>,
}

pub(crate) fn api_err(
    code: u16,
    domain: &'static str,
    reason: &'static str,
    message: impl Into<String>,
) -> ApiError {
    ApiError {
        code,
        domain,
        reason,
        message: message.into(),
        top_message: None,
        location: None,
    }
}

impl From<Invalid> for ApiError {
    fn from(i: Invalid) -> ApiError {
        ApiError {
            location: i.location,
            ..api_err(400, "global", i.reason, i.message)
        }
    }
}

impl ApiError {
    pub(crate) fn to_value(&self) -> Value {
        let mut entry =
            json!({"domain": self.domain, "reason": self.reason, "message": self.message});
        if let Some((lt, l)) = &self.location {
            entry["locationType"] = json!(lt);
            entry["location"] = json!(l);
        }
        json!({"error": {
            "errors": [entry],
            "code": self.code,
            "message": self.top_message.map(String::from).unwrap_or_else(|| self.message.clone()),
        }})
    }

    pub(crate) fn into_response(self) -> Response {
        let resp = json_response(self.code, &self.to_value());
        if self.code == 401 {
            resp.with_header(
                "WWW-Authenticate",
                "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
            )
        } else {
            resp
        }
    }
}

/// Also used by the HTTP layer for a handler panic.
pub fn api_error_body(
    code: u16,
    domain: &'static str,
    reason: &'static str,
    message: &str,
) -> String {
    pretty(&api_err(code, domain, reason, message).to_value())
}

/// Google pretty-prints API responses by default (prettyPrint=true).
fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

pub(crate) fn json_response(code: u16, v: &Value) -> Response {
    Response::new(code, "application/json; charset=UTF-8", pretty(v))
}

pub(crate) fn auth_error() -> ApiError {
    ApiError {
        location: Some(("header", "Authorization".into())),
        ..api_err(401, "global", "authError", "Invalid Credentials")
    }
}

pub(crate) fn not_found() -> ApiError {
    api_err(404, "global", "notFound", "Not Found")
}

/// 400 invalid with a query-parameter location.
pub(crate) fn invalid_param(name: &str, message: &str) -> ApiError {
    ApiError {
        location: Some(("parameter", name.into())),
        ..api_err(400, "global", "invalid", message)
    }
}

fn method_not_allowed() -> ApiError {
    api_err(405, "global", "httpMethodNotAllowed", "Method Not Allowed")
}

#[derive(Clone, Copy, PartialEq)]
enum Method {
    Insert,
    Get,
    Update,
    Patch,
    Delete,
    Instances,
    List,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Insert => "insert",
            Method::Get => "get",
            Method::Update => "update",
            Method::Patch => "patch",
            Method::Delete => "delete",
            Method::Instances => "instances",
            Method::List => "list",
        }
    }

    fn read_only(self) -> bool {
        matches!(self, Method::Get | Method::Instances | Method::List)
    }
}

/// Everything under `/calendar/v3/`.
pub fn handle(shared: &Shared, req: &Request) -> Response {
    if state::lock(shared).toggles.api_disabled {
        return api_disabled();
    }
    let mut resp = match route(shared, req) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    // /control/drop_next_response: the request took effect, the answer is lost.
    let mut st = state::lock(shared);
    if st.toggles.drop_responses > 0 {
        st.toggles.drop_responses -= 1;
        resp.delivery = crate::http::Delivery::Drop;
    }
    resp
}

/// Google's answer when the Calendar API is not enabled in the OAuth
/// client's Cloud project (the admin skipped "Enable API").
fn api_disabled() -> Response {
    const PROJECT: &str = "123456789012";
    let message = format!(
        "Google Calendar API has not been used in project {PROJECT} before or it is disabled. \
         Enable it by visiting https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview?project={PROJECT} \
         then retry. If you enabled this API recently, wait a few minutes for the action to \
         propagate to our systems and retry."
    );
    json_response(
        403,
        &json!({"error": {
            "code": 403,
            "message": message,
            "errors": [{
                "message": message,
                "domain": "usageLimits",
                "reason": "accessNotConfigured",
                "extendedHelp": "https://console.developers.google.com",
            }],
            "status": "PERMISSION_DENIED",
            "details": [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "SERVICE_DISABLED",
                "domain": "googleapis.com",
                "metadata": {"service": "calendar-json.googleapis.com", "consumer": format!("projects/{PROJECT}")},
            }],
        }}),
    )
}

fn route(shared: &Shared, req: &Request) -> Result<Response, ApiError> {
    let rest = req
        .path
        .strip_prefix("/calendar/v3/")
        .ok_or_else(not_found)?;
    let seg: Vec<&str> = rest.split('/').collect();
    if seg == ["users", "me", "calendarList"] {
        if req.method != "GET" {
            return Err(method_not_allowed());
        }
        let mut st = state::lock(shared);
        st.count("calendarList.list");
        let user = authorize(&st, req, &CALENDAR_LIST_SCOPES)?;
        schema::validate_query_of("calendarList", "list", &req.query)?;
        return calendar_list::list(&mut st, &user, &req.query);
    }
    if seg == ["freeBusy"] {
        return Ok(crate::freebusy::handle(shared, req));
    }
    let (cal, event_id, method) = match (seg.as_slice(), req.method.as_str()) {
        (["calendars", cal, "events"], "POST") => (*cal, None, Method::Insert),
        (["calendars", cal, "events"], "GET") => (*cal, None, Method::List),
        (["calendars", cal, "events", id], m) if !id.is_empty() => {
            let method = match m {
                "GET" => Method::Get,
                "PUT" => Method::Update,
                "PATCH" => Method::Patch,
                "DELETE" => Method::Delete,
                _ => return Err(method_not_allowed()),
            };
            (*cal, Some(*id), method)
        }
        (["calendars", cal, "events", id, "instances"], "GET") if !id.is_empty() => {
            (*cal, Some(*id), Method::Instances)
        }
        (["calendars", _, "events"], _) | (["calendars", _, "events", _, "instances"], _) => {
            return Err(method_not_allowed())
        }
        _ => return Err(not_found()),
    };
    let cal = percent_decode(cal).ok_or_else(not_found)?;
    let event_id = match event_id {
        Some(e) => Some(percent_decode(e).ok_or_else(not_found)?),
        None => None,
    };

    let mut st = state::lock(shared);
    st.count(&format!("events.{}", method.name()));

    let scopes: &[&str] = if method.read_only() {
        &READ_SCOPES
    } else {
        &WRITE_SCOPES
    };
    let user = authorize(&st, req, scopes)?;
    schema::validate_query(method.name(), &req.query)?;
    if !method.read_only() {
        // Recorded for /control/last_send_updates (None = parameter absent).
        let send = form_urlencoded::parse(req.query.as_bytes())
            .find(|(k, _)| k == "sendUpdates")
            .map(|(_, v)| v.into_owned());
        st.last_send_updates
            .insert(format!("events.{}", method.name()), send);
    }
    if matches!(method, Method::Insert | Method::Update | Method::Patch) {
        let client = token_client(&st, req);
        if let Some((status, reason, message)) = crate::service_account::check_write(&st, client.as_deref(), &req.body) {
            return Err(api_err(status, "calendar", reason, message));
        }
    }
    let cal_id = resolve_calendar(&st, &cal, &user)?;
    if !method.read_only() && !st.calendar(&cal_id).is_some_and(|c| c.writable()) {
        // Google's answer for writes to a calendar shared read-only (e.g. a room).
        return Err(api_err(
            403,
            "global",
            "requiredAccessLevel",
            "You need to have writer access to this calendar.",
        ));
    }
    match (method, event_id) {
        (Method::List, _) => list::list(&mut st, &cal_id, &req.query),
        (Method::Insert, _) => insert(&mut st, &cal_id, &user, &req.body),
        (Method::Get, Some(id)) => get(&st, &cal_id, &id),
        (Method::Update, Some(id)) => update(&mut st, &cal_id, &user, &id, req),
        (Method::Patch, Some(id)) => patch(&mut st, &cal_id, &user, &id, req),
        (Method::Delete, Some(id)) => delete(&mut st, &cal_id, &id, req),
        (Method::Instances, Some(id)) => instances::list(&st, &cal_id, &id, &req.query),
        _ => Err(not_found()),
    }
}

/// Checks the bearer token and that it holds one of `allowed`; returns the token's user.
pub(crate) fn authorize(st: &State, req: &Request, allowed: &[&str]) -> Result<String, ApiError> {
    let header = req.header("authorization").unwrap_or("");
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .ok_or_else(auth_error)?;
    let t = st.access_tokens.get(token).ok_or_else(auth_error)?;
    let now = clock::now_secs();
    // Revoking the grant or deleting the client kills access tokens at once.
    let grant_live = st.grants.get(t.grant).is_some_and(|g| g.live(now));
    let client_live = st.client(&t.client_id).is_some_and(|c| !c.deleted);
    if t.expires_at <= now || !grant_live || !client_live {
        return Err(auth_error());
    }
    if !t.scopes.iter().any(|s| allowed.contains(&s.as_str())) {
        return Err(ApiError {
            top_message: Some("Request had insufficient authentication scopes."),
            ..api_err(
                403,
                "global",
                "insufficientPermissions",
                "Insufficient Permission",
            )
        });
    }
    Ok(t.user.clone())
}

/// The OAuth client of the request's bearer token.
fn token_client(st: &State, req: &Request) -> Option<String> {
    let header = req.header("authorization")?;
    let token = header.split_once(' ')?.1.trim();
    st.access_tokens.get(token).map(|t| t.client_id.clone())
}

/// `primary` is the user's own calendar; other ids must belong to the user.
fn resolve_calendar(st: &State, cal: &str, user: &str) -> Result<String, ApiError> {
    let id = if cal == "primary" { user } else { cal };
    st.calendars
        .iter()
        .find(|c| c.id == id && c.owner == user)
        .map(|c| c.id.clone())
        .ok_or_else(not_found)
}

fn events_mut<'a>(st: &'a mut State, cal_id: &str) -> Result<&'a mut Vec<Value>, ApiError> {
    st.calendars
        .iter_mut()
        .find(|c| c.id == cal_id)
        .map(|c| &mut c.events)
        .ok_or_else(not_found)
}

pub(crate) fn find_event<'a>(st: &'a State, cal_id: &str, id: &str) -> Option<&'a Value> {
    let cal = st.calendars.iter().find(|c| c.id == cal_id)?;
    cal.events
        .iter()
        .find(|e| e.get("id").and_then(Value::as_str) == Some(id))
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(invalid("Invalid JSON payload received. Expected an object.").into()),
        Err(_) => Err(api_err(400, "global", "parseError", "Parse Error")),
    }
}

fn valid_event_id(id: &str) -> bool {
    (5..=1024).contains(&id.len()) && id.bytes().all(|b| matches!(b, b'a'..=b'v' | b'0'..=b'9'))
}

/// A fresh id in Google's alphabet (base32hex, lower case).
fn generate_id() -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuv";
    random_bytes(26)
        .iter()
        .map(|b| ALPHABET[(b % 32) as usize] as char)
        .collect()
}

fn insert(st: &mut State, cal_id: &str, user: &str, body: &[u8]) -> Result<Response, ApiError> {
    let ev = parse_body(body)?;
    let value = Value::Object(ev.clone());
    schema::validate_resource(&value, "Event")?;
    check_semantics(&value)?;
    check_refused_zones(st, &value)?;
    // Discovery: fromGmail "cannot be created" (only /control/put_event makes one).
    if ev.get("eventType").and_then(Value::as_str) == Some("fromGmail") {
        return Err(invalid("Event type fromGmail cannot be created.").into());
    }
    let id = match ev.get("id") {
        Some(Value::String(id)) => {
            if !valid_event_id(id) {
                return Err(invalid("Invalid resource id value.").into());
            }
            id.clone()
        }
        _ => generate_id(),
    };
    // Cancelled events keep their id forever, so they count as duplicates too.
    if find_event(st, cal_id, &id).is_some() {
        return Err(api_err(
            409,
            "global",
            "duplicate",
            "The requested identifier already exists.",
        ));
    }
    let stored = materialize(st, cal_id, user, ev, &id, None);
    events_mut(st, cal_id)?.push(stored.clone());
    st.touch(cal_id, &id);
    Ok(json_response(200, &stored))
}

/// The event or occurrence an id names: a stored event (including stored
/// exceptions), or a computed occurrence of a recurring event. `true` = stored.
fn lookup(st: &State, cal_id: &str, id: &str) -> Option<(Value, bool)> {
    match find_event(st, cal_id, id) {
        Some(e) => Some((e.clone(), true)),
        None => instances::synthesize(st, cal_id, id).map(|v| (v, false)),
    }
}

fn status_of(ev: &Value) -> Option<&str> {
    ev.get("status").and_then(Value::as_str)
}

fn get(st: &State, cal_id: &str, id: &str) -> Result<Response, ApiError> {
    // Google's get returns cancelled events as well.
    lookup(st, cal_id, id)
        .map(|(e, _)| json_response(200, &e))
        .ok_or_else(not_found)
}

fn check_if_match(req: &Request, current: &Value) -> Result<(), ApiError> {
    let Some(want) = req.header("if-match") else {
        return Ok(());
    };
    let have = current.get("etag").and_then(Value::as_str).unwrap_or("");
    if want.trim() == "*" || want.trim() == have {
        return Ok(());
    }
    Err(ApiError {
        location: Some(("header", "If-Match".into())),
        ..api_err(412, "global", "conditionNotMet", "Precondition Failed")
    })
}

/// The body's id, if any, must be the URL's (checked before the event is looked up).
fn check_body_id(id: &str, body: &Map<String, Value>) -> Result<(), ApiError> {
    match body.get("id").and_then(Value::as_str) {
        Some(body_id) if body_id != id => Err(invalid(
            "The event id in the request body does not match the id in the URL.",
        )
        .into()),
        _ => Ok(()),
    }
}

/// Checks shared by update and patch, on the event as it is now.
fn check_write(
    st: &State,
    req: &Request,
    body: &Map<String, Value>,
    prev: &Value,
) -> Result<(), ApiError> {
    check_if_match(req, prev)?;
    // /control/refuse_restore: Google's answer when the user deleted the event in the UI
    // (googleapis/google-api-python-client#846).
    if st.toggles.refuse_restore && status_of(prev) == Some("cancelled") {
        return Err(api_err(403, "global", "forbidden", "Forbidden"));
    }
    if let Some(t) = body.get("eventType").and_then(Value::as_str) {
        if Some(t) != prev.get("eventType").and_then(Value::as_str) {
            return Err(invalid("Event type cannot be changed.").into());
        }
    }
    Ok(())
}

/// Full replace (`PUT`).
fn update(
    st: &mut State,
    cal_id: &str,
    user: &str,
    id: &str,
    req: &Request,
) -> Result<Response, ApiError> {
    let mut ev = parse_body(&req.body)?;
    schema::validate_resource(&Value::Object(ev.clone()), "Event")?;
    check_body_id(id, &ev)?;
    let (prev, stored) = lookup(st, cal_id, id).ok_or_else(not_found)?;
    check_write(st, req, &ev, &prev)?;
    if prev.get("recurringEventId").is_some() {
        // A single occurrence cannot carry its own rule (the emulator ignores it).
        ev.remove("recurrence");
    }
    check_semantics(&Value::Object(ev.clone()))?;
    check_refused_zones(st, &Value::Object(ev.clone()))?;
    let saved = store(st, cal_id, user, ev, id, &prev, stored)?;
    Ok(json_response(200, &saved))
}

/// Google's patch semantics: objects merge recursively, arrays and scalars are
/// replaced, `null` removes a field.
fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(&k);
                } else {
                    merge(t.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p,
    }
}

/// Partial update (`PATCH`): the merged result is validated like an update.
fn patch(
    st: &mut State,
    cal_id: &str,
    user: &str,
    id: &str,
    req: &Request,
) -> Result<Response, ApiError> {
    let mut body = parse_body(&req.body)?;
    schema::validate_resource(&Value::Object(body.clone()), "Event")?;
    check_body_id(id, &body)?;
    let (prev, stored) = lookup(st, cal_id, id).ok_or_else(not_found)?;
    check_write(st, req, &body, &prev)?;
    if prev.get("recurringEventId").is_some() {
        body.remove("recurrence");
    }
    let mut merged = prev.clone();
    merge(&mut merged, Value::Object(body));
    check_semantics(&merged)?;
    check_refused_zones(st, &merged)?;
    let Value::Object(merged) = merged else {
        return Err(not_found());
    };
    let saved = store(st, cal_id, user, merged, id, &prev, stored)?;
    Ok(json_response(200, &saved))
}

/// Saves a written event (or occurrence exception) and returns what Google would.
fn store(
    st: &mut State,
    cal_id: &str,
    user: &str,
    ev: Map<String, Value>,
    id: &str,
    prev: &Value,
    stored: bool,
) -> Result<Value, ApiError> {
    let mut saved = materialize(st, cal_id, user, ev, id, Some(prev));
    match prev.get("recurringEventId") {
        // An occurrence stays tied to its original slot whatever the client sends.
        Some(master) => {
            saved["recurringEventId"] = master.clone();
            saved["originalStartTime"] = prev.get("originalStartTime").cloned().unwrap_or_default();
        }
        None => {
            if let Value::Object(m) = &mut saved {
                m.remove("recurringEventId");
                m.remove("originalStartTime");
            }
        }
    }
    save(st, cal_id, id, prev, saved.clone(), stored)?;
    Ok(saved)
}

/// Writes a changed event (or a new exception) and records the change for sync;
/// for a master, also the occurrences and exceptions the change removed.
fn save(
    st: &mut State,
    cal_id: &str,
    id: &str,
    prev: &Value,
    saved: Value,
    stored: bool,
) -> Result<(), ApiError> {
    let is_master = prev.get("recurringEventId").is_none();
    let vanished = if is_master {
        instances::vanished(prev, &saved, cal_id)
    } else {
        Vec::new()
    };
    if stored {
        replace_event(st, cal_id, id, saved.clone())?;
    } else {
        events_mut(st, cal_id)?.push(saved.clone());
    }
    st.touch(cal_id, id);
    if is_master {
        let pruned = prune_exceptions(st, cal_id, id, &saved)?;
        bury(st, cal_id, pruned, true)?;
        bury(st, cal_id, vanished, false)?;
    }
    Ok(())
}

/// Keeps cancelled copies of removed events for incremental sync. Ids already
/// buried in the same change (a pruned exception is also a vanished occurrence)
/// are skipped.
fn bury(st: &mut State, cal_id: &str, gone: Vec<Value>, exception: bool) -> Result<(), ApiError> {
    let seq = st.change_seq;
    let updated = clock::rfc3339_millis(clock::now_millis());
    let mut stones = Vec::new();
    for mut ev in gone {
        ev["status"] = json!("cancelled");
        ev["etag"] = json!(st.next_etag());
        ev["updated"] = json!(updated);
        stones.push(ev);
    }
    let cal = st
        .calendars
        .iter_mut()
        .find(|c| c.id == cal_id)
        .ok_or_else(not_found)?;
    for event in stones {
        let dup = cal
            .tombstones
            .iter()
            .any(|t| t.seq == seq && t.event.get("id") == event.get("id"));
        if !dup {
            cal.tombstones.push(Tombstone {
                seq,
                event,
                exception,
            });
        }
    }
    Ok(())
}

/// After a master changes, keeps only the exceptions whose original start is still
/// an occurrence. (Simplification: Google also tries to carry exceptions over when
/// the start time moves; here they are dropped.)
/// Returns the dropped exceptions.
fn prune_exceptions(
    st: &mut State,
    cal_id: &str,
    master_id: &str,
    master: &Value,
) -> Result<Vec<Value>, ApiError> {
    let series = instances::series(master);
    let events = events_mut(st, cal_id)?;
    let (keep, dropped): (Vec<Value>, Vec<Value>) =
        std::mem::take(events).into_iter().partition(|e| {
            let ex_id = e.get("id").and_then(Value::as_str).unwrap_or("");
            e.get("recurringEventId").and_then(Value::as_str) != Some(master_id)
                || instances::still_occurs(series.as_ref(), master_id, ex_id)
        });
    *events = keep;
    Ok(dropped)
}

fn delete(st: &mut State, cal_id: &str, id: &str, req: &Request) -> Result<Response, ApiError> {
    let (ev, stored) = lookup(st, cal_id, id).ok_or_else(not_found)?;
    check_if_match(req, &ev)?;
    cancel(st, cal_id, id, ev, stored)?;
    Ok(Response::new(
        204,
        "application/json; charset=UTF-8",
        Vec::new(),
    ))
}

/// Marks an event (or one occurrence, as a cancelled exception) cancelled.
/// The organizer's copy is kept so it can be restored by an update.
fn cancel(
    st: &mut State,
    cal_id: &str,
    id: &str,
    mut ev: Value,
    stored: bool,
) -> Result<(), ApiError> {
    if status_of(&ev) == Some("cancelled") {
        return Err(api_err(
            410,
            "global",
            "deleted",
            "Resource has been deleted",
        ));
    }
    ev["status"] = json!("cancelled");
    ev["etag"] = json!(st.next_etag());
    ev["updated"] = json!(clock::rfc3339_millis(clock::now_millis()));
    let is_series = instances::series(&ev).is_some();
    if stored {
        replace_event(st, cal_id, id, ev)?;
    } else {
        events_mut(st, cal_id)?.push(ev);
    }
    st.touch(cal_id, id);
    if is_series {
        // Deleting a series deletes its edited occurrences too.
        let live: Vec<(String, Value)> = events_mut(st, cal_id)?
            .iter()
            .filter(|e| e.get("recurringEventId").and_then(Value::as_str) == Some(id))
            .filter(|e| status_of(e) != Some("cancelled"))
            .filter_map(|e| Some((e.get("id")?.as_str()?.to_string(), e.clone())))
            .collect();
        for (ex_id, mut ex) in live {
            ex["status"] = json!("cancelled");
            ex["etag"] = json!(st.next_etag());
            ex["updated"] = json!(clock::rfc3339_millis(clock::now_millis()));
            replace_event(st, cal_id, &ex_id, ex)?;
            st.touch(cal_id, &ex_id);
        }
    }
    Ok(())
}

/// `/control/delete_event`: the user deletes the event (or one occurrence) in
/// Google's UI. `calendar` "primary" means the default account's calendar.
pub fn control_delete(st: &mut State, calendar: &str, id: &str) -> Result<(), ApiError> {
    let cal_id = control_calendar(st, calendar)?;
    let (ev, stored) = lookup(st, &cal_id, id).ok_or_else(not_found)?;
    cancel(st, &cal_id, id, ev, stored)
}

/// A control body's `calendar`: "primary" is the default account's calendar.
fn control_calendar(st: &State, calendar: &str) -> Result<String, ApiError> {
    let id = if calendar == "primary" {
        state::DEFAULT_ACCOUNT
    } else {
        calendar
    };
    st.calendar(id).map(|c| c.id.clone()).ok_or_else(not_found)
}

/// `/control/put_event`: stores any Google-shaped event as given (no schema
/// check: read-only types like fromGmail, unknown fields and unknown enum values
/// all pass, so the library's lenient parsing can be tested). Missing server
/// fields are filled in; an existing event with the same id is replaced.
pub fn control_put(
    st: &mut State,
    calendar: &str,
    mut ev: Map<String, Value>,
) -> Result<Value, ApiError> {
    let cal_id = control_calendar(st, calendar)?;
    let id = match ev.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => generate_id(),
    };
    let owner = st
        .calendar(&cal_id)
        .map(|c| c.owner.clone())
        .unwrap_or_default();
    let now = json!(clock::rfc3339_millis(clock::now_millis()));
    ev.insert("kind".into(), json!("calendar#event"));
    ev.insert("etag".into(), json!(st.next_etag()));
    ev.insert("id".into(), json!(id));
    ev.entry("status").or_insert(json!("confirmed"));
    ev.entry("htmlLink")
        .or_insert(json!(html_link(&id, &cal_id)));
    ev.entry("created").or_insert(now.clone());
    ev.entry("updated").or_insert(now);
    ev.entry("creator")
        .or_insert(json!({"email": owner, "self": true}));
    ev.entry("organizer")
        .or_insert(json!({"email": owner, "self": true}));
    ev.entry("iCalUID")
        .or_insert(json!(format!("{id}@google.com")));
    ev.entry("sequence").or_insert(json!(0));
    ev.entry("eventType").or_insert(json!("default"));
    ev.entry("reminders").or_insert(json!({"useDefault": true}));
    let saved = Value::Object(ev);
    match find_event(st, &cal_id, &id).cloned() {
        Some(prev) => save(st, &cal_id, &id, &prev, saved.clone(), true)?,
        None => {
            events_mut(st, &cal_id)?.push(saved.clone());
            st.touch(&cal_id, &id);
        }
    }
    Ok(saved)
}

/// `/control/edit_event`: the user edits the event (or one occurrence, which
/// becomes an exception) in Google's UI: merge patch without validation, then
/// new etag, `updated` and `sequence`.
pub fn control_edit(
    st: &mut State,
    calendar: &str,
    id: &str,
    patch: Value,
) -> Result<Value, ApiError> {
    let cal_id = control_calendar(st, calendar)?;
    let (prev, stored) = lookup(st, &cal_id, id).ok_or_else(not_found)?;
    let mut saved = prev.clone();
    merge(&mut saved, patch);
    if !saved.is_object() {
        return Err(invalid("patch must be an object").into());
    }
    saved["id"] = json!(id);
    saved["kind"] = json!("calendar#event");
    saved["etag"] = json!(st.next_etag());
    saved["updated"] = json!(clock::rfc3339_millis(clock::now_millis()));
    let seq = prev.get("sequence").and_then(Value::as_i64).unwrap_or(0);
    saved["sequence"] = json!(seq + 1);
    if let Some(master) = prev.get("recurringEventId") {
        saved["recurringEventId"] = master.clone();
        saved["originalStartTime"] = prev.get("originalStartTime").cloned().unwrap_or_default();
        if let Value::Object(m) = &mut saved {
            m.remove("recurrence");
        }
    }
    save(st, &cal_id, id, &prev, saved.clone(), stored)?;
    Ok(saved)
}

fn replace_event(st: &mut State, cal_id: &str, id: &str, ev: Value) -> Result<(), ApiError> {
    let events = events_mut(st, cal_id)?;
    let slot = events
        .iter_mut()
        .find(|e| e.get("id").and_then(Value::as_str) == Some(id))
        .ok_or_else(not_found)?;
    *slot = ev;
    Ok(())
}

/// `htmlLink` of an event: `eid` is base64url("<eventId> <calendarId>").
pub(crate) fn html_link(id: &str, cal_id: &str) -> String {
    let eid = URL_SAFE_NO_PAD.encode(format!("{id} {cal_id}"));
    format!("https://www.google.com/calendar/event?eid={eid}")
}

/// Adds the server-owned fields Google returns, keeping everything the client sent.
/// Google answers every dateTime with the UTC offset of the event's time
/// zone, whether the client sent an offset, another one, or none:
/// {"dateTime":"2024-04-29T10:00:00","timeZone":"Etc/GMT-1"} comes back as
/// "2024-04-29T10:00:00+01:00".
fn with_offset(t: &mut Map<String, Value>) {
    let Some(dt) = t.get("dateTime").and_then(Value::as_str).and_then(clock::parse_date_time) else {
        return;
    };
    let zone = crate::zone::zone_or_utc(t.get("timeZone").and_then(Value::as_str));
    let utc = match dt.utc_ms() {
        Some(ms) => ms.div_euclid(1000),
        None => zone.to_utc(dt.local_ms.div_euclid(1000)),
    };
    t.insert("dateTime".into(), json!(clock::rfc3339_at_offset(utc, zone.offset_at(utc))));
}

fn materialize(
    st: &mut State,
    cal_id: &str,
    owner: &str,
    mut ev: Map<String, Value>,
    id: &str,
    prev: Option<&Value>,
) -> Value {
    ev.retain(|_, v| !v.is_null());
    for key in ["start", "end"] {
        if let Some(Value::Object(t)) = ev.get_mut(key) {
            with_offset(t);
        }
    }
    let now = clock::rfc3339_millis(clock::now_millis());
    let prev_str = |k: &str| {
        prev.and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .map(String::from)
    };
    let me = json!({"email": owner, "self": true});
    // On a calendar other than the user's primary, the calendar itself organizes.
    let primary = st.calendar(cal_id).is_none_or(|c| c.primary);
    let organizer = match st.calendar(cal_id) {
        Some(c) if !c.primary => json!({"email": c.id, "displayName": c.summary, "self": true}),
        _ => me.clone(),
    };
    // Google omits fields at their default value, even when sent explicitly.
    if ev.get("transparency").and_then(Value::as_str) == Some("opaque") {
        ev.remove("transparency");
    }
    if ev.get("visibility").and_then(Value::as_str) == Some("default") {
        ev.remove("visibility");
    }

    ev.insert("kind".into(), json!("calendar#event"));
    ev.insert("etag".into(), json!(st.next_etag()));
    ev.insert("id".into(), json!(id));
    ev.entry("status").or_insert(json!("confirmed"));
    ev.insert("htmlLink".into(), json!(html_link(id, cal_id)));
    ev.insert(
        "created".into(),
        json!(prev_str("created").unwrap_or_else(|| now.clone())),
    );
    ev.insert("updated".into(), json!(now));
    ev.insert("creator".into(), me);
    ev.insert("organizer".into(), organizer);
    let ical = prev_str("iCalUID")
        .or_else(|| ev.get("iCalUID").and_then(Value::as_str).map(String::from))
        .unwrap_or_else(|| format!("{id}@google.com"));
    ev.insert("iCalUID".into(), json!(ical));
    let sequence = match prev.and_then(|p| p.get("sequence")).and_then(Value::as_i64) {
        Some(s) => s + 1,
        None => ev.get("sequence").and_then(Value::as_i64).unwrap_or(0),
    };
    ev.insert("sequence".into(), json!(sequence));
    ev.entry("reminders").or_insert(json!({"useDefault": true}));
    ev.entry("eventType").or_insert(json!("default"));

    if let Some(Value::Array(attendees)) = ev.get_mut("attendees") {
        for a in attendees.iter_mut() {
            let Value::Object(a) = a else { continue };
            let email = a
                .get("email")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            // An update keeps each guest's answer unless the client sets one.
            let previous = prev
                .and_then(|p| p.get("attendees"))
                .and_then(Value::as_array)
                .and_then(|list| {
                    list.iter()
                        .find(|x| x.get("email").and_then(Value::as_str) == Some(&email))
                })
                .and_then(|x| x.get("responseStatus"))
                .cloned();
            a.entry("responseStatus")
                .or_insert(previous.unwrap_or(json!("needsAction")));
            if email.eq_ignore_ascii_case(owner) {
                if primary {
                    a.insert("organizer".into(), json!(true));
                }
                a.insert("self".into(), json!(true));
            }
        }
    }
    Value::Object(ev)
}

// ---------------------------------------------------------------------------
// Google's semantic rules on top of the schema.

enum When {
    Date(i64),
    DateTime(DateTime, Option<String>),
}

fn when(ev: &Value, which: &str) -> Result<When, ApiError> {
    let missing = || -> ApiError { required(format!("Missing {which} time.")).into() };
    let v = ev
        .get(which)
        .filter(|v| v.is_object())
        .ok_or_else(missing)?;
    let str_of = |k: &str| v.get(k).and_then(Value::as_str);
    let tz = str_of("timeZone").map(String::from);
    if let Some(tz) = &tz {
        if !valid_time_zone(tz) {
            return Err(invalid(format!("Invalid time zone definition for {which} time.")).into());
        }
    }
    match (str_of("date"), str_of("dateTime")) {
        (Some(_), Some(_)) => Err(invalid(format!("Invalid {which} time.")).into()),
        (None, None) => Err(missing()),
        (Some(d), None) => clock::parse_date(d)
            .map(When::Date)
            .ok_or_else(|| invalid(format!("Invalid {which} time.")).into()),
        (None, Some(dt)) => {
            let parsed = clock::parse_date_time(dt)
                .ok_or_else(|| ApiError::from(invalid(format!("Invalid {which} time."))))?;
            if parsed.offset_secs.is_none() && tz.is_none() {
                return Err(
                    required(format!("Missing time zone definition for {which} time.")).into(),
                );
            }
            Ok(When::DateTime(parsed, tz))
        }
    }
}

fn utc_ms(dt: &DateTime, tz: &Option<String>) -> Option<i64> {
    dt.utc_ms().or_else(|| {
        let z = zone::lookup(tz.as_deref()?)?;
        Some(z.to_utc(dt.local_ms.div_euclid(1000)) * 1000 + dt.local_ms.rem_euclid(1000))
    })
}

/// /control/refuse_time_zones: Google's own zone list differs from IANA's;
/// it has answered this for `Europe/Kyiv` (issue 16 A1).
fn check_refused_zones(st: &State, ev: &Value) -> Result<(), ApiError> {
    for which in ["start", "end"] {
        if let Some(tz) = ev.pointer(&format!("/{which}/timeZone")).and_then(Value::as_str) {
            if st.toggles.refused_time_zones.iter().any(|z| z == tz) {
                let message = format!("Invalid time zone definition for {which} time.");
                return Err(api_err(400, "global", "invalid", &message));
            }
        }
    }
    Ok(())
}

fn check_semantics(ev: &Value) -> Result<(), ApiError> {
    let start = when(ev, "start")?;
    let end = when(ev, "end")?;
    let empty = || {
        api_err(
            400,
            "calendar",
            "timeRangeEmpty",
            "The specified time range is empty.",
        )
    };
    match (&start, &end) {
        // `end.date` is exclusive, so a one-day event ends the next day.
        (When::Date(s), When::Date(e)) if e <= s => return Err(empty()),
        (When::DateTime(s, stz), When::DateTime(e, etz)) => {
            let earlier = match (utc_ms(s, stz), utc_ms(e, etz)) {
                (Some(a), Some(b)) => b < a,
                // Same geographic zone, no offsets: wall times compare directly.
                _ if stz == etz => e.local_ms < s.local_ms,
                _ => false,
            };
            if earlier {
                return Err(empty());
            }
        }
        (When::Date(_), When::Date(_)) => {}
        _ => {
            return Err(invalid(
                "Start and end times must either both be date or both be dateTime.",
            )
            .into())
        }
    }

    if let Some(rules) = ev
        .get("recurrence")
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty())
    {
        if let When::DateTime(_, None) = start {
            return Err(required("Missing time zone definition for start time.").into());
        }
        let lines: Vec<&str> = rules.iter().filter_map(Value::as_str).collect();
        let all_day = matches!(start, When::Date(_));
        if lines.len() != rules.len() || recurrence::parse(&lines, all_day).is_none() {
            return Err(invalid("Invalid recurrence rule.").into());
        }
    }

    if let Some(rem) = ev.get("reminders").filter(|r| r.is_object()) {
        let overrides = rem
            .get("overrides")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if rem.get("useDefault").and_then(Value::as_bool) == Some(true) && !overrides.is_empty() {
            return Err(api_err(
                400,
                "global",
                "cannotUseDefaultRemindersAndSpecifyOverride",
                "Cannot specify both default reminders and overrides at the same time.",
            ));
        }
        if overrides.len() > 5 {
            return Err(api_err(
                400,
                "global",
                "tooManyReminders",
                "Too many reminders.",
            ));
        }
        for o in overrides {
            if o.get("method").and_then(Value::as_str).is_none() {
                return Err(required("Missing reminder method.").into());
            }
            match o.get("minutes").and_then(Value::as_i64) {
                None => return Err(required("Missing reminder minutes.").into()),
                Some(m) if !(0..=40320).contains(&m) => {
                    return Err(invalid("Invalid reminder minutes value.").into())
                }
                Some(_) => {}
            }
        }
    }

    if let Some(attendees) = ev.get("attendees").and_then(Value::as_array) {
        for a in attendees {
            match a
                .get("email")
                .and_then(Value::as_str)
                .filter(|e| !e.is_empty())
            {
                None => return Err(required("Missing attendee email.").into()),
                Some(e) if !plausible_email(e) => {
                    return Err(invalid("Invalid attendee email.").into())
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// A simple RFC 5322-ish check: local@domain.tld without spaces or empty labels.
fn plausible_email(e: &str) -> bool {
    let Some((local, domain)) = e.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"@()<>[]:;,\\\"".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semantics() {
        let ok = |v: Value| check_semantics(&v).is_ok();
        assert!(ok(
            json!({"start":{"dateTime":"2026-01-01T10:00:00","timeZone":"Etc/GMT-1"},
                          "end":{"dateTime":"2026-01-01T09:30:00Z"}})
        ));
        assert!(!ok(
            json!({"start":{"dateTime":"2026-01-01T10:00:00","timeZone":"Etc/GMT-1"},
                           "end":{"dateTime":"2026-01-01T08:30:00Z"}})
        ));
        assert!(!ok(
            json!({"start":{"dateTime":"2026-01-01T10:00:00","timeZone":"Europe/Zurich"},
                           "end":{"dateTime":"2026-01-01T09:00:00","timeZone":"Europe/Zurich"}})
        ));
        assert!(!ok(
            json!({"start":{"date":"2026-01-01"},"end":{"date":"2026-01-01"}})
        ));
        assert!(!ok(
            json!({"start":{"date":"2026-01-01"},"end":{"dateTime":"2026-01-02T00:00:00Z"}})
        ));
        assert!(!ok(
            json!({"start":{"dateTime":"2026-01-01T10:00:00"},"end":{"dateTime":"2026-01-01T11:00:00Z"}})
        ));
        assert!(plausible_email("a.b+c@x-y.example.com"));
        assert!(!plausible_email("a b@example.com"));
        assert!(!plausible_email("ab@localhost"));
    }
}
