//! `GET calendars/{cal}/events` (events.list): full listing with Google's
//! filters, recurring-series expansion (`singleEvents`), paging, and
//! incremental sync by `syncToken`.
//!
//! Sync model: every event change gets the next `State::change_seq` number
//! (`State::touch`). A sync token holds the calendar, the sequence when its
//! full sync began and the parameters that must not change; an incremental
//! request returns everything changed after that sequence, deleted events
//! included, whatever window the full sync used (Google behaves so in practice).

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::calendar::{self, api_err, invalid_param, ApiError};
use crate::clock;
use crate::http::Response;
use crate::instances;
use crate::state::{self, Calendar, State};
use crate::tokens::{self, PageToken, SyncToken};
use crate::zone::{self, Zone};

const DEFAULT_MAX_RESULTS: i64 = 250;
const MAX_MAX_RESULTS: i64 = 2500;

/// Parameters Google refuses next to a syncToken (discovery `syncToken` text).
const NOT_WITH_SYNC_TOKEN: [&str; 8] = [
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
];

/// The query, already type-checked against the discovery document.
struct Params {
    single: bool,
    show_deleted: bool,
    /// Sorted and deduplicated; empty = all types.
    event_types: Vec<String>,
    time_min: Option<i64>,
    time_max: Option<i64>,
    order_by: Option<String>,
    private_props: Vec<(String, String)>,
    shared_props: Vec<(String, String)>,
    ical_uid: Option<String>,
    updated_min: Option<i64>,
    q: Option<String>,
    max_results: usize,
    page_token: Option<String>,
    sync_token: Option<String>,
    time_zone: Option<String>,
}

fn bad_request() -> ApiError {
    api_err(400, "global", "badRequest", "Bad Request")
}

/// RFC3339 with a mandatory offset → UTC seconds (milliseconds are ignored, as Google says).
fn query_time(v: &str) -> Result<i64, ApiError> {
    clock::parse_date_time(v)
        .and_then(|d| d.utc_ms())
        .map(|ms| ms.div_euclid(1000))
        .ok_or_else(bad_request)
}

/// `name=value` of the extended-property filters.
fn property(param: &str, v: &str) -> Result<(String, String), ApiError> {
    v.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| invalid_param(param, &format!("Invalid value for parameter {param}.")))
}

fn parse(query: &str) -> Result<(Params, Vec<String>), ApiError> {
    let mut p = Params {
        single: false,
        show_deleted: false,
        event_types: Vec::new(),
        time_min: None,
        time_max: None,
        order_by: None,
        private_props: Vec::new(),
        shared_props: Vec::new(),
        ical_uid: None,
        updated_min: None,
        q: None,
        max_results: DEFAULT_MAX_RESULTS as usize,
        page_token: None,
        sync_token: None,
        time_zone: None,
    };
    let mut names = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let v = v.into_owned();
        match k.as_ref() {
            "singleEvents" => p.single = v == "true",
            "showDeleted" => p.show_deleted = v == "true",
            "eventTypes" => p.event_types.push(v),
            "timeMin" => p.time_min = Some(query_time(&v)?),
            "timeMax" => p.time_max = Some(query_time(&v)?),
            "orderBy" => p.order_by = Some(v),
            "privateExtendedProperty" => p.private_props.push(property(&k, &v)?),
            "sharedExtendedProperty" => p.shared_props.push(property(&k, &v)?),
            "iCalUID" => p.ical_uid = Some(v),
            "updatedMin" => p.updated_min = Some(query_time(&v)?),
            "q" => p.q = Some(v.to_lowercase()),
            "maxResults" => {
                // Type and minimum were checked already; larger pages are capped, not refused.
                let n = v.parse::<i64>().unwrap_or(DEFAULT_MAX_RESULTS);
                p.max_results = n.clamp(1, MAX_MAX_RESULTS) as usize;
            }
            "pageToken" => p.page_token = Some(v),
            "syncToken" => p.sync_token = Some(v),
            "timeZone" => p.time_zone = Some(v),
            _ => {} // alwaysIncludeEmail, maxAttendees, alt, fields, ...: no effect here
        }
        names.push(k.into_owned());
    }
    p.event_types.sort();
    p.event_types.dedup();
    Ok((p, names))
}

impl Params {
    /// What a sync token pins: Google wants these unchanged on incremental syncs.
    fn pinned(&self) -> String {
        format!(
            "singleEvents={};showDeleted={};eventTypes={}",
            self.single,
            self.show_deleted,
            self.event_types.join(",")
        )
    }
}

fn full_sync_required() -> ApiError {
    ApiError {
        location: Some(("parameter", "syncToken".into())),
        ..api_err(
            410,
            "calendar",
            "fullSyncRequired",
            "Sync token is no longer valid, a full sync is required.",
        )
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// UTC seconds of an EventDateTime. All-day dates begin at midnight in `zone`
/// (the response time zone), as Google filters them in the calendar's zone.
fn instant(v: Option<&Value>, zone: &Zone) -> Option<i64> {
    let v = v?;
    if let Some(d) = str_at(v, "date") {
        return Some(zone.to_utc(clock::parse_date(d)? * 86_400));
    }
    let dt = clock::parse_date_time(str_at(v, "dateTime")?)?;
    Some(match dt.utc_ms() {
        Some(ms) => ms.div_euclid(1000),
        None => {
            let own = str_at(v, "timeZone").and_then(zone::lookup);
            own.as_ref()
                .unwrap_or(zone)
                .to_utc(dt.local_ms.div_euclid(1000))
        }
    })
}

/// Start and end (UTC seconds); None when the event has no usable start
/// (possible only for /control/put_event shapes).
pub(crate) fn span(ev: &Value, zone: &Zone) -> Option<(i64, i64)> {
    let start = instant(ev.get("start"), zone)?;
    let end = instant(ev.get("end"), zone).unwrap_or(start);
    Some((start, end))
}

fn cancelled(ev: &Value) -> bool {
    str_at(ev, "status") == Some("cancelled")
}

fn is_exception(ev: &Value) -> bool {
    ev.get("recurringEventId").is_some()
}

/// A master that expands (valid recurrence, not itself an exception).
fn is_series(ev: &Value) -> bool {
    instances::series(ev).is_some()
}

struct Ctx<'a> {
    cal: &'a Calendar,
    p: &'a Params,
    zone: Zone,
}

impl Ctx<'_> {
    /// timeMin bounds the end, timeMax the start, both exclusive. Events whose
    /// times cannot be read are kept (lenient put_event shapes).
    fn in_window(&self, ev: &Value) -> bool {
        let Some((start, end)) = span(ev, &self.zone) else {
            return true;
        };
        self.p.time_min.is_none_or(|m| end > m) && self.p.time_max.is_none_or(|m| start < m)
    }

    fn stored(&self, id: &str) -> Option<&Value> {
        self.cal.events.iter().find(|e| str_at(e, "id") == Some(id))
    }

    /// Computed occurrences near the window (exact filtering is the caller's),
    /// each replaced by its stored exception when there is one.
    fn expand(&self, master: &Value, windowed: bool) -> Vec<Value> {
        let length = span(master, &self.zone).map_or(0, |(s, e)| e - s);
        // Margins cover long events and all-day dates read in any zone.
        let slack = length.max(0) + 2 * 86_400;
        let (from, to) = if windowed {
            (
                self.p
                    .time_min
                    .map_or(i64::MIN, |m| m.saturating_sub(slack)),
                self.p
                    .time_max
                    .map_or(i64::MAX, |m| m.saturating_add(2 * 86_400)),
            )
        } else {
            (i64::MIN, i64::MAX)
        };
        instances::occurrences(master, &self.cal.id, from, to, instances::MAX_EXPANDED)
            .into_iter()
            .map(
                |inst| match str_at(&inst, "id").and_then(|id| self.stored(id)) {
                    Some(ex) => ex.clone(),
                    None => inst,
                },
            )
            .collect()
    }

    /// The filters a full listing applies after choosing the candidates.
    fn matches(&self, ev: &Value) -> bool {
        let p = self.p;
        let event_type = str_at(ev, "eventType").unwrap_or("default");
        let prop = |kind: &str, (k, v): &(String, String)| {
            ev.pointer(&format!("/extendedProperties/{kind}"))
                .and_then(|m| m.get(k))
                .and_then(Value::as_str)
                == Some(v.as_str())
        };
        let updated = str_at(ev, "updated")
            .and_then(clock::parse_date_time)
            .and_then(|d| d.utc_ms())
            .map(|ms| ms.div_euclid(1000));
        (p.event_types.is_empty() || p.event_types.iter().any(|t| t == event_type))
            && p.private_props.iter().all(|kv| prop("private", kv))
            && p.shared_props.iter().all(|kv| prop("shared", kv))
            && p.ical_uid
                .as_deref()
                .is_none_or(|u| str_at(ev, "iCalUID") == Some(u))
            && p.updated_min
                .is_none_or(|m| updated.is_some_and(|u| u >= m))
            && p.q.as_deref().is_none_or(|q| text_matches(ev, q))
    }

    /// Google: cancelled events only with showDeleted (or updatedMin); but
    /// cancelled occurrences of a series are listed when neither showDeleted nor
    /// singleEvents is set, so clients can tell which occurrences are gone.
    fn visible(&self, ev: &Value) -> bool {
        !cancelled(ev)
            || self.p.show_deleted
            || self.p.updated_min.is_some()
            || (!self.p.single && is_exception(ev))
    }

    fn full(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for ev in &self.cal.events {
            if self.p.single {
                if is_series(ev) {
                    // Stored exceptions are listed on their own, at their (maybe moved) times.
                    let computed = self
                        .expand(ev, true)
                        .into_iter()
                        .filter(|i| !is_exception_stored(self, i));
                    out.extend(computed.filter(|i| self.in_window(i)));
                } else if self.in_window(ev) {
                    out.push(ev.clone());
                }
            } else if is_series(ev) {
                if self.expand(ev, true).iter().any(|i| self.in_window(i)) {
                    out.push(ev.clone());
                }
            } else if self.in_window(ev) {
                out.push(ev.clone());
            }
        }
        out.retain(|e| self.visible(e) && self.matches(e));
        match self.p.order_by.as_deref() {
            Some("startTime") => {
                out.sort_by_key(|e| span(e, &self.zone).map(|(s, _)| s).unwrap_or(i64::MIN))
            }
            Some("updated") => out.sort_by_key(|e| {
                str_at(e, "updated")
                    .and_then(clock::parse_date_time)
                    .and_then(|d| d.utc_ms())
                    .unwrap_or(i64::MIN)
            }),
            _ => {}
        }
        out
    }

    /// Everything changed after `since`, oldest change first, deleted ones included.
    /// With singleEvents a changed master stands for all its occurrences.
    fn changes(&self, since: u64) -> Vec<Value> {
        let seq_of = |ev: &Value| {
            str_at(ev, "id")
                .and_then(|id| self.cal.changed.get(id))
                .copied()
                .unwrap_or(0)
        };
        let mut found: Vec<(u64, Value)> = Vec::new();
        for ev in &self.cal.events {
            let seq = seq_of(ev);
            if seq <= since {
                continue;
            }
            if self.p.single && is_series(ev) {
                found.extend(self.expand(ev, false).into_iter().map(|i| (seq, i)));
            } else {
                found.push((seq, ev.clone()));
            }
        }
        for t in &self.cal.tombstones {
            if t.seq > since && (self.p.single || t.exception) {
                found.push((t.seq, t.event.clone()));
            }
        }
        // One entry per id: its latest state.
        let mut latest: HashMap<String, usize> = HashMap::new();
        for (i, (seq, ev)) in found.iter().enumerate() {
            let id = str_at(ev, "id").unwrap_or("").to_string();
            match latest.get(&id) {
                Some(&j) if found[j].0 > *seq => {}
                _ => {
                    latest.insert(id, i);
                }
            }
        }
        let mut keep: Vec<usize> = latest.into_values().collect();
        keep.sort_by_key(|&i| (found[i].0, i));
        keep.into_iter()
            .map(|i| found[i].1.clone())
            .filter(|e| {
                let t = str_at(e, "eventType").unwrap_or("default");
                self.p.event_types.is_empty() || self.p.event_types.iter().any(|x| x == t)
            })
            .collect()
    }
}

/// An occurrence that has a stored exception (listed separately in full listings).
fn is_exception_stored(ctx: &Ctx, inst: &Value) -> bool {
    is_exception(inst) && str_at(inst, "id").is_some_and(|id| ctx.stored(id).is_some())
}

/// `q`: Google's full-text search approximated by a case-insensitive substring
/// of summary, description, location and the guests' names and emails.
fn text_matches(ev: &Value, q: &str) -> bool {
    let mut hay: Vec<&str> = ["summary", "description", "location"]
        .iter()
        .filter_map(|k| str_at(ev, k))
        .collect();
    for a in ev
        .get("attendees")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        hay.extend(["email", "displayName"].iter().filter_map(|k| str_at(a, k)));
    }
    hay.iter().any(|h| h.to_lowercase().contains(q))
}

/// `GET calendars/{cal}/events`; the caller has checked auth, parameter
/// types and the calendar.
pub fn list(st: &mut State, cal_id: &str, query: &str) -> Result<Response, ApiError> {
    let (p, names) = parse(query)?;
    let cal = st.calendar(cal_id).ok_or_else(calendar::not_found)?;

    if p.sync_token.is_some() {
        if let Some(bad) = NOT_WITH_SYNC_TOKEN
            .iter()
            .find(|n| names.iter().any(|x| x == *n))
        {
            return Err(invalid_param(
                bad,
                "Sync token cannot be used with other request parameters.",
            ));
        }
    }
    if p.order_by.as_deref() == Some("startTime") && !p.single {
        return Err(api_err(
            400,
            "global",
            "badRequest",
            "The requested ordering is not available for the particular query.",
        ));
    }
    if let (Some(a), Some(b)) = (p.time_min, p.time_max) {
        if b <= a {
            return Err(ApiError {
                location: Some(("parameter", "timeMax".into())),
                ..api_err(
                    400,
                    "calendar",
                    "timeRangeEmpty",
                    "The specified time range is empty.",
                )
            });
        }
    }
    let tz = match &p.time_zone {
        Some(t) if !zone::valid_time_zone(t) => {
            return Err(invalid_param("timeZone", "Invalid time zone definition."))
        }
        Some(t) => t.clone(),
        None => cal.time_zone.clone(),
    };

    // Garbage, another calendar's or an invalidated token: all 410, so the client
    // falls back to a full sync (Google answers unknown tokens with 410 or 400).
    let since = match &p.sync_token {
        None => None,
        Some(raw) => {
            let t = tokens::parse_sync_token(raw).ok_or_else(full_sync_required)?;
            if t.scope != cal.id || t.seq < cal.tokens_valid_from || t.seq > st.change_seq {
                return Err(full_sync_required());
            }
            if t.params != p.pinned() {
                return Err(invalid_param(
                    "syncToken",
                    "The sync token was issued for different singleEvents, showDeleted or \
                     eventTypes parameters.",
                ));
            }
            Some(t.seq)
        }
    };

    if st.toggles.huge_pages.0 > 0 && since.is_none() {
        return Ok(huge_page(st, cal_id, &p));
    }
    let hash = tokens::query_hash(cal_id, query);
    let (offset, snapshot) = match &p.page_token {
        None => (0, st.change_seq),
        Some(raw) => match tokens::parse_page_token(raw) {
            Some(t) if t.query_hash == hash => (t.offset, t.seq),
            _ => return Err(invalid_param("pageToken", "Invalid page token value.")),
        },
    };

    let ctx = Ctx {
        cal,
        p: &p,
        zone: zone::zone_or_utc(Some(&tz)),
    };
    let items = match since {
        Some(seq) => ctx.changes(seq),
        None => ctx.full(),
    };
    let page: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(p.max_results)
        .cloned()
        .collect();
    let mut body = json!({
        "kind": "calendar#events",
        "etag": format!("\"p{:x}\"", cal.updated_ms.max(0) as u64 * 1000 + cal.events.len() as u64),
        "summary": cal.summary,
        "description": "",
        "updated": clock::rfc3339_millis(cal.updated_ms),
        "timeZone": tz,
        "accessRole": cal.access_role,
        "defaultReminders": state::default_reminders(cal.access_role),
        "items": page,
    });
    let next = offset + p.max_results;
    if next < items.len() {
        body["nextPageToken"] = json!(tokens::page_token(&PageToken {
            offset: next,
            seq: snapshot,
            query_hash: hash,
        }));
    } else {
        let token = SyncToken {
            scope: cal.id.clone(),
            seq: snapshot,
            params: p.pinned(),
        };
        st.tokens_issued += 1;
        body["nextSyncToken"] = json!(tokens::sync_token(&token, st.tokens_issued));
    }
    Ok(calendar::json_response(200, &body))
}

/// /control/huge_pages: page `n` of `pages` (token "huge-n"), holding one
/// confirmed event in 2024-06 whose description pads the page to
/// `pad_bytes`; the last page carries a sync token, the others a
/// nextPageToken. Only full listings (no syncToken) are padded.
fn huge_page(st: &mut State, cal_id: &str, p: &Params) -> Response {
    let (pages, pad) = st.toggles.huge_pages;
    let n = p
        .page_token
        .as_deref()
        .and_then(|t| t.strip_prefix("huge-"))
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(0);
    let ev = json!({
        "kind": "calendar#event",
        "etag": format!("\"huge{n}\""),
        "id": format!("hugepad{n}"),
        "status": "confirmed",
        "summary": format!("padding page {n}"),
        "description": "x".repeat(pad),
        "created": "2024-01-01T00:00:00.000Z",
        "updated": "2024-01-01T00:00:00.000Z",
        "start": {"dateTime": "2024-06-03T10:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2024-06-03T11:00:00Z", "timeZone": "UTC"},
        "eventType": "default",
        "transparency": "opaque",
        "visibility": "default",
    });
    let mut body = json!({
        "kind": "calendar#events",
        "etag": format!("\"huge{n}\""),
        "summary": cal_id,
        "updated": "2024-01-01T00:00:00.000Z",
        "timeZone": "UTC",
        "accessRole": "owner",
        "defaultReminders": [],
        "items": [ev],
    });
    if n + 1 < pages {
        body["nextPageToken"] = json!(format!("huge-{}", n + 1));
    } else {
        let token = SyncToken {
            scope: cal_id.to_string(),
            seq: st.change_seq,
            params: p.pinned(),
        };
        st.tokens_issued += 1;
        body["nextSyncToken"] = json!(tokens::sync_token(&token, st.tokens_issued));
    }
    calendar::json_response(200, &body)
}
