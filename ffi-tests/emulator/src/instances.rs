//! Occurrences of recurring events: `events.instances`, and the instance ids
//! that get/update/patch/delete accept.
//!
//! Google names an occurrence `<eventId>_<YYYYMMDDTHHMMSSZ>` (its ORIGINAL start
//! in UTC) or, for all-day events, `<eventId>_<YYYYMMDD>`. An occurrence that was
//! edited or cancelled is stored as an ordinary event under that id, carrying
//! `recurringEventId` and `originalStartTime` (an "exception"); untouched
//! occurrences are computed from the master on demand.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::calendar::{self, ApiError};
use crate::clock;
use crate::http::Response;
use crate::recurrence::{self, Anchor, Occurrence, Recurrence};
use crate::state::State;
use crate::zone::{self, Zone};

/// /control/instance_ids: occurrence ids in another format than
/// `<id>_YYYYMMDDTHHMMSSZ` (Google documents none), `<id>_t<unix seconds>`.
static OPAQUE_IDS: AtomicBool = AtomicBool::new(false);

pub fn set_opaque_ids(on: bool) {
    OPAQUE_IDS.store(on, Ordering::Relaxed);
}

/// Most occurrences one instances call looks at (Google pages through far more,
/// but a never-ending rule must stay cheap here).
pub const MAX_EXPANDED: usize = 2500;

/// A recurring master event, ready to expand.
pub struct Series {
    rec: Recurrence,
    start_local: i64,
    all_day: bool,
    zone: Zone,
    start_tz: Option<String>,
    end_tz: Option<String>,
    /// Instance length: seconds, or days for all-day events.
    length: i64,
}

/// UTC seconds of an EventDateTime, or its day for `date` values.
fn instant(v: &Value, zone: &Zone) -> Option<(i64, bool)> {
    if let Some(d) = v.get("date").and_then(Value::as_str) {
        return clock::parse_date(d).map(|d| (d, true));
    }
    let dt = clock::parse_date_time(v.get("dateTime")?.as_str()?)?;
    let utc = match dt.utc_ms() {
        Some(ms) => ms.div_euclid(1000),
        None => zone.to_utc(dt.local_ms.div_euclid(1000)),
    };
    Some((utc, false))
}

/// The series of a recurring master; None for single events and exceptions.
pub fn series(master: &Value) -> Option<Series> {
    if master.get("recurringEventId").is_some() {
        return None;
    }
    let lines: Vec<&str> = master
        .get("recurrence")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if lines.is_empty() {
        return None;
    }
    let (start, end) = (master.get("start")?, master.get("end")?);
    let tz = |v: &Value| v.get("timeZone").and_then(Value::as_str).map(String::from);
    let (start_tz, end_tz) = (tz(start), tz(end));
    let zone = zone::zone_or_utc(start_tz.as_deref());
    let end_zone = zone::zone_or_utc(end_tz.as_deref().or(start_tz.as_deref()));
    let (s, all_day) = instant(start, &zone)?;
    let (e, _) = instant(end, &end_zone)?;
    let start_local = if all_day {
        s * 86_400
    } else {
        zone.to_local(s)
    };
    Some(Series {
        rec: recurrence::parse(&lines, all_day)?,
        start_local,
        all_day,
        zone,
        start_tz,
        end_tz,
        length: e - s,
    })
}

impl Series {
    fn expand(&self, from: i64, to: i64, limit: usize) -> Vec<Occurrence> {
        let anchor = Anchor {
            start_local: self.start_local,
            all_day: self.all_day,
            zone: &self.zone,
        };
        self.rec.expand(&anchor, from, to, limit)
    }

    /// The id suffix of an occurrence.
    pub fn suffix(&self, o: &Occurrence) -> String {
        if OPAQUE_IDS.load(Ordering::Relaxed) {
            return format!("t{}", o.utc);
        }
        if self.all_day {
            clock::basic_date(o.local.div_euclid(86_400))
        } else {
            clock::basic_utc(o.utc)
        }
    }

    /// The occurrence an id suffix names, if the rule produces it.
    pub fn find(&self, suffix: &str) -> Option<Occurrence> {
        if OPAQUE_IDS.load(Ordering::Relaxed) {
            let at: i64 = suffix.strip_prefix('t')?.parse().ok()?;
            return self.expand(at, at + 1, 1).into_iter().find(|o| o.utc == at);
        }
        let at = if self.all_day {
            clock::parse_basic_date(suffix)? * 86_400
        } else {
            match clock::parse_basic_date_time(suffix)? {
                (s, true) => s,
                _ => return None,
            }
        };
        self.expand(at, at + 1, 1).into_iter().next()
    }

    /// An EventDateTime for a UTC instant (or a day, for all-day events).
    fn when(&self, utc: i64, tz: Option<&String>) -> Value {
        if self.all_day {
            return json!({"date": clock::iso_date(utc.div_euclid(86_400))});
        }
        let z = zone::zone_or_utc(tz.map(String::as_str));
        let mut v = json!({"dateTime": clock::rfc3339_at_offset(utc, z.offset_at(utc))});
        if let Some(tz) = tz {
            v["timeZone"] = json!(tz);
        }
        v
    }

    /// The unmodified occurrence: the master's fields without `recurrence`.
    fn instance(&self, master: &Value, cal_id: &str, o: &Occurrence) -> Value {
        let master_id = master.get("id").and_then(Value::as_str).unwrap_or("");
        let id = format!("{master_id}_{}", self.suffix(o));
        let mut v = master.clone();
        if let Value::Object(m) = &mut v {
            m.remove("recurrence");
        }
        let start_tz = self.start_tz.as_ref();
        let end_tz = self.end_tz.as_ref().or(start_tz);
        let end = if self.all_day {
            o.utc + self.length * 86_400
        } else {
            o.utc + self.length
        };
        v["htmlLink"] = json!(calendar::html_link(&id, cal_id));
        v["id"] = json!(id);
        v["recurringEventId"] = json!(master_id);
        v["originalStartTime"] = self.when(o.utc, start_tz);
        v["start"] = self.when(o.utc, start_tz);
        v["end"] = self.when(end, end_tz);
        v
    }
}

/// The computed (unmodified) occurrences of a recurring master whose original
/// start (UTC seconds) lies in `[from, to)`, at most `limit`; empty for other events.
pub fn occurrences(master: &Value, cal_id: &str, from: i64, to: i64, limit: usize) -> Vec<Value> {
    let Some(s) = series(master) else {
        return Vec::new();
    };
    s.expand(from, to, limit)
        .iter()
        .map(|o| s.instance(master, cal_id, o))
        .collect()
}

/// Occurrences of the old version of a master that the new version no longer
/// has (compared by id), built from the old version.
pub fn vanished(old: &Value, new: &Value, cal_id: &str) -> Vec<Value> {
    let Some(old_series) = series(old) else {
        return Vec::new();
    };
    let id_of = |v: &Value| {
        v.get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let ids = |s: &Series, master: &Value| -> Vec<String> {
        s.expand(i64::MIN, i64::MAX, MAX_EXPANDED)
            .iter()
            .map(|o| format!("{}_{}", id_of(master), s.suffix(o)))
            .collect()
    };
    let still: HashSet<String> = series(new)
        .map(|s| ids(&s, new).into_iter().collect())
        .unwrap_or_default();
    old_series
        .expand(i64::MIN, i64::MAX, MAX_EXPANDED)
        .iter()
        .filter(|o| !still.contains(&format!("{}_{}", id_of(old), old_series.suffix(o))))
        .map(|o| old_series.instance(old, cal_id, o))
        .collect()
}

/// The computed (unmodified) occurrence for an instance id, if it names one.
pub fn synthesize(st: &State, cal_id: &str, id: &str) -> Option<Value> {
    let (master_id, suffix) = id.split_once('_')?;
    let master = calendar::find_event(st, cal_id, master_id)?;
    let s = series(master)?;
    let o = s.find(suffix)?;
    Some(s.instance(master, cal_id, &o))
}

/// Whether a stored exception still belongs to its (possibly changed) master.
pub fn still_occurs(master: Option<&Series>, master_id: &str, exception_id: &str) -> bool {
    let suffix = exception_id
        .strip_prefix(master_id)
        .and_then(|s| s.strip_prefix('_'));
    matches!((master, suffix), (Some(s), Some(suf)) if s.find(suf).is_some())
}

fn bad_request() -> ApiError {
    calendar::api_err(400, "global", "badRequest", "Bad Request")
}

/// RFC3339 query time (offset mandatory) → UTC seconds.
fn query_time(v: &str) -> Result<i64, ApiError> {
    clock::parse_date_time(v)
        .and_then(|d| d.utc_ms())
        .map(|ms| ms.div_euclid(1000))
        .ok_or_else(bad_request)
}

/// `GET calendars/{cal}/events/{eventId}/instances`.
pub fn list(st: &State, cal_id: &str, id: &str, query: &str) -> Result<Response, ApiError> {
    let master = calendar::find_event(st, cal_id, id).ok_or_else(calendar::not_found)?;
    let param = |k: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    let show_deleted = param("showDeleted").as_deref() == Some("true");
    let max_results = param("maxResults")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(250)
        .clamp(1, 2500);
    let time_min = param("timeMin").map(|t| query_time(&t)).transpose()?;
    let time_max = param("timeMax").map(|t| query_time(&t)).transpose()?;
    if let (Some(a), Some(b)) = (time_min, time_max) {
        if b <= a {
            return Err(calendar::api_err(
                400,
                "calendar",
                "timeRangeEmpty",
                "The specified time range is empty.",
            ));
        }
    }
    let original = param("originalStart").map(|t| query_time(&t)).transpose()?;
    let offset = match param("pageToken") {
        None => 0,
        Some(t) => URL_SAFE_NO_PAD
            .decode(&t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix(&format!("instances:{id}:"))?.parse().ok())
            .ok_or_else(|| calendar::invalid_param("pageToken", "Invalid page token value."))?,
    };

    let mut items: Vec<Value> = Vec::new();
    match series(master) {
        // A single event is its own only instance (guess: Google's behaviour is unverified).
        None => items.push(master.clone()),
        Some(s) => {
            let length = if s.all_day {
                s.length * 86_400
            } else {
                s.length
            };
            let day = |t: i64| {
                if s.all_day {
                    t.div_euclid(86_400) * 86_400
                } else {
                    t
                }
            };
            // timeMin bounds the end, timeMax the start (both exclusive), on original times.
            let (from, to) = match original {
                Some(t) => (day(t), day(t) + 1),
                None => (
                    time_min.map_or(i64::MIN, |t| t.saturating_sub(length).saturating_add(1)),
                    time_max.unwrap_or(i64::MAX),
                ),
            };
            for o in s.expand(from, to, MAX_EXPANDED) {
                let inst_id = format!("{id}_{}", s.suffix(&o));
                let item = calendar::find_event(st, cal_id, &inst_id)
                    .cloned()
                    .unwrap_or_else(|| s.instance(master, cal_id, &o));
                items.push(item);
            }
        }
    }
    items.retain(|i| show_deleted || i.get("status").and_then(Value::as_str) != Some("cancelled"));

    let page: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(max_results)
        .cloned()
        .collect();
    let tz = param("timeZone")
        .or_else(|| {
            master
                .pointer("/start/timeZone")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .unwrap_or_else(|| "UTC".into());
    let mut body = json!({
        "kind": "calendar#events",
        "etag": master.get("etag").cloned().unwrap_or(json!("\"0\"")),
        "summary": cal_id,
        "description": "",
        "updated": master.get("updated").cloned().unwrap_or(json!(null)),
        "timeZone": tz,
        "accessRole": "owner",
        "defaultReminders": [],
        "items": page,
    });
    if offset + max_results < items.len() {
        body["nextPageToken"] =
            json!(URL_SAFE_NO_PAD.encode(format!("instances:{id}:{}", offset + max_results)));
    }
    Ok(calendar::json_response(200, &body))
}
