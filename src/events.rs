//! Pure read side: Google events as the PBX keeps them (lenient parsing:
//! unknown fields ignored, unknown enum values become "other", a broken
//! item is skipped, never a failed sync), the JSON the PBX gets, and the
//! "busy now" rule for presence.

use crate::json::{json, Value};
use crate::meeting::MEETING_ID_PROPERTY;

/// What the cache keeps of one event (or one instance of a series).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedEvent {
    pub id: String,
    pub summary: Option<String>,
    /// `confirmed`, `tentative`, `cancelled` or `other`.
    pub status: String,
    /// `opaque` (Google's default, usually omitted) or `transparent`.
    pub transparency: String,
    /// `default`, `public`, `private`, `confidential` or `other`.
    pub visibility: String,
    /// `default`, `outOfOffice`, `workingLocation`, `focusTime`,
    /// `fromGmail`, `birthday` or `other`.
    pub event_type: String,
    pub all_day: bool,
    /// As Google gave them: `dateTime` (RFC 3339) or `date`.
    pub start: String,
    pub end: String,
    pub time_zone: Option<String>,
    /// Unix seconds; for all-day events midnight in the calendar's zone.
    pub start_utc: i64,
    pub end_utc: i64,
    /// The authorized user's own answer when invited:
    /// `needsAction`, `declined`, `tentative`, `accepted` or `other`.
    pub self_response: Option<String>,
    /// The PBX meeting this event was pushed for.
    pub meeting_id: Option<String>,
    pub recurring_event_id: Option<String>,
    pub etag: String,
    /// Google's last-modification time, unix milliseconds, when given.
    pub updated_ms: Option<i64>,
    /// Each invitee's answer, kept only for events pushed by a PBX (those
    /// with a meeting id): `gs_gcal_replies` reads them without a request.
    pub replies: Vec<Reply>,
}

/// One invitee's answer to a pushed meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub email: String,
    /// `needsAction`, `declined`, `tentative`, `accepted` or `other`.
    pub response: String,
    /// A room or other resource (Google's `resource: true`).
    pub resource: bool,
}

/// Invitees kept per pushed event (the meeting's own bound is lower).
pub(crate) const MAX_REPLIES: usize = 200;

fn replies_of(v: &Value) -> Vec<Reply> {
    v["attendees"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| {
            Some(Reply {
                email: x["email"].as_str()?.chars().take(254).collect(),
                response: known(x["responseStatus"].as_str(), &["needsAction", "declined", "tentative", "accepted"], "needsAction"),
                resource: x["resource"].as_bool().unwrap_or(false),
            })
        })
        .take(MAX_REPLIES)
        .collect()
}

fn known(v: Option<&str>, allowed: &[&str], default: &str) -> String {
    match v {
        None => default.into(),
        Some(s) if allowed.contains(&s) => s.into(),
        Some(_) => "other".into(),
    }
}

/// Unix seconds of an RFC 3339 date-time with offset.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    crate::clock::parse(s).map(|(secs, _)| secs)
}

/// Unix milliseconds of an RFC 3339 date-time (Google's `updated`),
/// truncated toward zero.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    // (secs * 10^9 + nanos) / 10^6 without 128-bit arithmetic.
    crate::clock::parse(s).map(|(secs, nanos)| {
        let ms = i64::from(nanos / 1_000_000);
        if secs >= 0 || nanos == 0 {
            secs * 1000 + ms
        } else {
            (secs + 1) * 1000 - i64::from((1_000_000_000 - nanos) / 1_000_000)
        }
    })
}

/// Reads one item of an events list. `day_start` gives the UTC instant of
/// a date's midnight in the calendar's zone (for all-day events). An item
/// that cannot be understood gives None (skipped, counted by the caller).
pub fn parse_event(v: &Value, day_start: &dyn Fn(time::Date) -> i64) -> Option<CachedEvent> {
    let id = v["id"].as_str()?.to_owned();
    let status = known(v["status"].as_str(), &["confirmed", "tentative", "cancelled"], "confirmed");
    let etag = v["etag"].as_str().unwrap_or("").to_owned();
    let meeting_id = v
        .pointer(&format!("/extendedProperties/private/{MEETING_ID_PROPERTY}"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let recurring_event_id = v["recurringEventId"].as_str().map(str::to_owned);
    // A deleted event may carry nothing but its id and status.
    let times = (|| {
        let (s, e) = (&v["start"], &v["end"]);
        if let (Some(sd), Some(ed)) = (s["dateTime"].as_str(), e["dateTime"].as_str()) {
            Some((false, sd.to_owned(), ed.to_owned(), parse_rfc3339(sd)?, parse_rfc3339(ed)?))
        } else {
            let (sd, ed) = (s["date"].as_str()?, e["date"].as_str()?);
            let day = |d: &str| crate::meeting::localtime::parse_date_field("date", d).ok();
            Some((true, sd.to_owned(), ed.to_owned(), day_start(day(sd)?), day_start(day(ed)?)))
        }
    })();
    if times.is_none() && status != "cancelled" {
        return None;
    }
    let (all_day, start, end, start_utc, end_utc) = times.unwrap_or((false, String::new(), String::new(), 0, 0));
    let self_response = v["attendees"].as_array().and_then(|a| {
        a.iter().find(|x| x["self"].as_bool() == Some(true)).map(|x| {
            known(x["responseStatus"].as_str(), &["needsAction", "declined", "tentative", "accepted"], "needsAction")
        })
    });
    let replies = if meeting_id.is_some() { replies_of(v) } else { Vec::new() };
    Some(CachedEvent {
        replies,
        id,
        summary: v["summary"].as_str().map(str::to_owned),
        status,
        transparency: known(v["transparency"].as_str(), &["opaque", "transparent"], "opaque"),
        visibility: known(v["visibility"].as_str(), &["default", "public", "private", "confidential"], "default"),
        event_type: known(
            v["eventType"].as_str(),
            &["default", "outOfOffice", "workingLocation", "focusTime", "fromGmail", "birthday"],
            "default",
        ),
        all_day,
        start,
        end,
        time_zone: v["start"]["timeZone"].as_str().map(str::to_owned),
        start_utc,
        end_utc,
        self_response,
        meeting_id,
        recurring_event_id,
        etag,
        updated_ms: v["updated"].as_str().and_then(parse_rfc3339_ms),
    })
}

/// Roughly the bytes an event takes in the cache file.
pub fn approx_bytes(e: &CachedEvent) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    300 + e.id.len() + opt(&e.summary) + e.start.len() + e.end.len() + opt(&e.time_zone) + opt(&e.meeting_id)
        + opt(&e.recurring_event_id) + e.etag.len() + e.replies.iter().map(|r| r.email.len() + 48).sum::<usize>()
}

/// Keeps a calendar's cached events within the horizon and `max_bytes`:
/// drops what starts after `horizon`, then the latest-starting events
/// until the rest fits. Returns how many were dropped.
pub fn bound_bytes(events: &mut std::collections::BTreeMap<String, CachedEvent>, horizon: i64, max_bytes: usize) -> usize {
    let before = events.len();
    events.retain(|_, e| e.start_utc <= horizon);
    let mut total: usize = events.values().map(approx_bytes).sum();
    if total > max_bytes {
        let mut by_start: Vec<(i64, String, usize)> = events.iter().map(|(k, e)| (e.start_utc, k.clone(), approx_bytes(e))).collect();
        by_start.sort_unstable();
        while total > max_bytes {
            let Some((_, k, b)) = by_start.pop() else { break };
            events.remove(&k);
            total -= b;
        }
    }
    before - events.len()
}

/// The event as the PBX gets it. A private event's title is not shown.
pub fn to_pbx_json(e: &CachedEvent) -> Value {
    let private = matches!(e.visibility.as_str(), "private" | "confidential");
    json!({
        "id": e.id,
        "summary": if private { None } else { e.summary.as_deref() },
        "start": e.start,
        "end": e.end,
        "time_zone": e.time_zone,
        "all_day": e.all_day,
        "status": e.status,
        "transparency": e.transparency,
        "visibility": e.visibility,
        "self_response": e.self_response,
        "event_type": e.event_type,
        "pbx_meeting_id": e.meeting_id,
        "recurring_event_id": e.recurring_event_id,
    })
}

/// Whether an event makes its calendar's owner busy, and how.
fn busy_kind(e: &CachedEvent) -> Option<bool /* out of office */> {
    if e.status != "confirmed" || e.transparency == "transparent" {
        return None;
    }
    if matches!(e.self_response.as_deref(), Some("declined" | "tentative")) {
        return None;
    }
    match e.event_type.as_str() {
        "workingLocation" => None,
        "outOfOffice" => Some(true),
        _ => Some(false),
    }
}

/// Presence at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub busy: bool,
    pub out_of_office: bool,
    /// Busy: when the busy stretch (back-to-back events merged) ends.
    /// Free: when the next busy event starts; 0 if none is known.
    pub until: i64,
}

/// Busy at `t` when a confirmed, opaque event the user has not declined
/// (or answered tentatively) covers it; working-location events never make
/// busy, out-of-office events do and say so.
pub fn busy_at<'a>(events: impl Iterator<Item = &'a CachedEvent>, t: i64) -> Busy {
    let mut busy: Vec<(i64, i64, bool)> = events
        .filter_map(|e| busy_kind(e).map(|ooo| (e.start_utc, e.end_utc, ooo)))
        .filter(|(s, e, _)| e > s)
        .collect();
    busy.sort_unstable();
    let covering: Vec<_> = busy.iter().filter(|(s, e, _)| *s <= t && t < *e).collect();
    if covering.is_empty() {
        let next = busy.iter().map(|(s, _, _)| *s).filter(|s| *s > t).min().unwrap_or(0);
        return Busy { busy: false, out_of_office: false, until: next };
    }
    let out_of_office = covering.iter().any(|(_, _, o)| *o);
    let mut until = covering.iter().map(|(_, e, _)| *e).max().unwrap_or(t);
    // Back-to-back or overlapping busy events extend the stretch.
    for (s, e, _) in &busy {
        if *s <= until && *e > until {
            until = *e;
        }
    }
    Busy { busy: true, out_of_office, until }
}

#[cfg(test)]
mod rfc3339_ms_tests {
    #[test]
    fn milliseconds_truncate_toward_zero_like_i128_arithmetic() {
        for s in [
            "2024-04-20T09:00:00.356Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.9995Z",
            "1969-12-31T23:59:58.5Z",
            "1969-12-31T23:59:59.000999Z",
            "1969-12-31T23:59:59.001Z",
            "0000-01-01T00:00:00.999999999Z",
            "9999-12-31T23:59:59.999999999+01:00",
            "1960-06-01T12:00:00.5-03:00",
        ] {
            let (secs, nanos) = crate::clock::parse(s).unwrap();
            let want = ((i128::from(secs) * 1_000_000_000 + i128::from(nanos)) / 1_000_000) as i64;
            assert_eq!(super::parse_rfc3339_ms(s), Some(want), "{s}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(d: time::Date) -> i64 {
        d.midnight().assume_utc().unix_timestamp()
    }

    fn ev(extra: Value) -> CachedEvent {
        let mut v = json!({
            "id": "e1", "status": "confirmed", "etag": "\"1\"",
            "start": {"dateTime": "2024-05-06T10:00:00+02:00"},
            "end": {"dateTime": "2024-05-06T11:00:00+02:00"},
        });
        for (k, x) in extra.as_object().unwrap() {
            v[k.as_str()] = x.clone();
        }
        parse_event(&v, &utc).unwrap()
    }

    const T: i64 = 1714984200; // 2024-05-06T10:30:00+02:00

    #[test]
    fn lenient_parsing() {
        let e = ev(json!({"eventType": "somethingNew", "visibility": "secret", "futureField": {"x": 1}}));
        assert_eq!((e.event_type.as_str(), e.visibility.as_str()), ("other", "other"));
        assert_eq!(e.start_utc, T - 1800);
        let gone = parse_event(&json!({"id": "x", "status": "cancelled"}), &utc).unwrap();
        assert_eq!(gone.status, "cancelled");
        assert!(parse_event(&json!({"status": "confirmed"}), &utc).is_none());
        assert!(parse_event(&json!({"id": "x", "start": {"dateTime": "garbage"}, "end": {}}), &utc).is_none());
        let ours = ev(json!({"extendedProperties": {"private": {"gsGcalMeetingId": "6300-1"}}}));
        assert_eq!(ours.meeting_id.as_deref(), Some("6300-1"));
        let people = json!([{"email": "a@x", "responseStatus": "accepted"}, {"email": "b@x"},
            {"email": "r@resource.calendar.google.com", "resource": true, "responseStatus": "declined"},
            {"email": "c@x", "responseStatus": "somethingNew"}, {"displayName": "no address"}]);
        let ours = ev(json!({"extendedProperties": {"private": {"gsGcalMeetingId": "6300-1"}}, "attendees": people}));
        let got: Vec<(&str, &str, bool)> = ours.replies.iter().map(|r| (r.email.as_str(), r.response.as_str(), r.resource)).collect();
        assert_eq!(got, [("a@x", "accepted", false), ("b@x", "needsAction", false),
            ("r@resource.calendar.google.com", "declined", true), ("c@x", "other", false)]);
        assert!(ev(json!({"attendees": people})).replies.is_empty(), "only pushed meetings keep replies");
        let private = ev(json!({"visibility": "private", "summary": "Doctor"}));
        assert_eq!(to_pbx_json(&private)["summary"], Value::Null);
    }

    #[test]
    fn the_cache_keeps_its_horizon_and_byte_bound() {
        let mut m = std::collections::BTreeMap::new();
        for i in 0..100 {
            let mut e = ev(json!({}));
            e.id = format!("e{i:03}");
            e.start_utc = T + i * 86_400;
            m.insert(e.id.clone(), e);
        }
        assert_eq!(bound_bytes(&mut m, T + 49 * 86_400, usize::MAX), 50, "beyond the horizon");
        let one = approx_bytes(m.values().next().unwrap());
        assert_eq!(bound_bytes(&mut m, i64::MAX, one * 10), 40, "over the bytes");
        assert_eq!(m.keys().last().map(String::as_str), Some("e009"), "the earliest stay");
    }

    #[test]
    fn presence_table() {
        let me = |r: &str| json!([{"email": "me@x", "self": true, "responseStatus": r}, {"email": "o@x"}]);
        let cases: Vec<(&str, Value, bool, bool)> = vec![
            ("confirmed opaque", json!({}), true, false),
            ("tentative event", json!({"status": "tentative"}), false, false),
            ("cancelled", json!({"status": "cancelled"}), false, false),
            ("transparent", json!({"transparency": "transparent"}), false, false),
            ("declined", json!({"attendees": me("declined")}), false, false),
            ("answered tentative", json!({"attendees": me("tentative")}), false, false),
            ("accepted", json!({"attendees": me("accepted")}), true, false),
            ("not answered", json!({"attendees": me("needsAction")}), true, false),
            ("working location", json!({"eventType": "workingLocation"}), false, false),
            ("out of office", json!({"eventType": "outOfOffice"}), true, true),
            ("focus time", json!({"eventType": "focusTime"}), true, false),
            ("unknown type", json!({"eventType": "somethingNew"}), true, false),
        ];
        for (name, extra, busy, ooo) in cases {
            let e = ev(extra);
            let b = busy_at(std::iter::once(&e), T);
            assert_eq!((b.busy, b.out_of_office), (busy, ooo), "{name}");
            if busy {
                assert_eq!(b.until, T + 1800, "{name}");
            }
        }
    }

    #[test]
    fn all_day_follow_transparency_and_stretches_merge() {
        let day = |transparency: &str| {
            parse_event(&json!({"id": "d", "status": "confirmed", "transparency": transparency,
                "start": {"date": "2024-05-06"}, "end": {"date": "2024-05-07"}}), &utc).unwrap()
        };
        assert!(busy_at([day("opaque")].iter(), T).busy);
        assert!(!busy_at([day("transparent")].iter(), T).busy);
        let a = ev(json!({}));
        let b = ev(json!({"id": "e2", "start": {"dateTime": "2024-05-06T11:00:00+02:00"},
            "end": {"dateTime": "2024-05-06T12:00:00+02:00"}}));
        let r = busy_at([a.clone(), b].iter(), T);
        assert_eq!(r.until, T + 1800 + 3600);
        let free = busy_at([a].iter(), T - 3600);
        assert_eq!((free.busy, free.until), (false, T - 1800));
    }
}
