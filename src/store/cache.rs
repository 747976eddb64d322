//! The read-side cache file (`state::Cache`): the calendars' events as
//! the last sync left them, under its own version. It is rebuildable from
//! Google, so reading it is lenient: anything wrong gives None (an empty
//! cache), never an error.
//!
//! The layout is the one serde's derive wrote for `Cache`, `CalendarCache`,
//! `Drift`, `events::CachedEvent` and `events::Reply` (kept in `oracle`,
//! the tests' reference): members in declaration order, `None` as `null`,
//! `replies` omitted when empty and `resource` when false.

use super::fields::{Emit, Fields, Res};
use crate::events::{CachedEvent, Reply};
use crate::json::Writer;
use crate::state::{CalendarCache, Cache, Drift};
use std::collections::BTreeMap;

pub(crate) fn cache_bytes(c: &Cache) -> Vec<u8> {
    let events: usize = c.calendars.values().map(|k| k.events.len()).sum();
    let mut w = Writer::with_capacity(1024 + 512 * events);
    w.begin_object();
    w.uint_field("version", u64::from(c.version));
    w.key("calendars");
    w.begin_object();
    for (id, cal) in &c.calendars {
        w.key(id);
        w.begin_object();
        w.nullable_str("sync_token", cal.sync_token.as_deref());
        w.nullable_str("time_zone", cal.time_zone.as_deref());
        w.key("events");
        w.begin_object();
        for (k, e) in &cal.events {
            w.key(k);
            write_event(&mut w, e);
        }
        w.end_object();
        w.end_object();
    }
    w.end_object();
    w.key("undelivered");
    w.begin_array();
    for d in &c.undelivered {
        w.begin_object();
        w.str_field("meeting_id", &d.meeting_id);
        w.str_field("event_id", &d.event_id);
        w.str_field("change", &d.change);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    w.buf
}

/// The cache in `bytes`, whatever its version (the caller checks it).
pub(crate) fn read_cache(bytes: &[u8]) -> Option<Cache> {
    let mut doc = crate::json::parse(bytes)?;
    read(&mut Fields::of(&mut doc, "").ok()?).ok()
}

fn read(f: &mut Fields) -> Res<Cache> {
    let version = f.int("version")?;
    let mut calendars = BTreeMap::new();
    for (id, mut v) in f.default_map("calendars")? {
        let mut c = Fields::of(&mut v, "calendars")?;
        let sync_token = c.opt_string("sync_token")?;
        let time_zone = c.opt_string("time_zone")?;
        let mut events = BTreeMap::new();
        for (k, mut e) in c.map("events")? {
            events.insert(k, read_event(&mut Fields::of(&mut e, "events")?)?);
        }
        calendars.insert(id, CalendarCache { sync_token, time_zone, events });
    }
    let mut undelivered = Vec::new();
    for v in f.default_list("undelivered")? {
        let mut d = Fields::of(v, "undelivered")?;
        undelivered.push(Drift { meeting_id: d.string("meeting_id")?, event_id: d.string("event_id")?, change: d.string("change")? });
    }
    Ok(Cache { version, calendars, undelivered })
}

fn write_event(w: &mut Writer, e: &CachedEvent) {
    w.begin_object();
    w.str_field("id", &e.id);
    w.nullable_str("summary", e.summary.as_deref());
    w.str_field("status", &e.status);
    w.str_field("transparency", &e.transparency);
    w.str_field("visibility", &e.visibility);
    w.str_field("event_type", &e.event_type);
    w.bool_field("all_day", e.all_day);
    w.str_field("start", &e.start);
    w.str_field("end", &e.end);
    w.nullable_str("time_zone", e.time_zone.as_deref());
    w.int_field("start_utc", e.start_utc);
    w.int_field("end_utc", e.end_utc);
    w.nullable_str("self_response", e.self_response.as_deref());
    w.nullable_str("meeting_id", e.meeting_id.as_deref());
    w.nullable_str("recurring_event_id", e.recurring_event_id.as_deref());
    w.str_field("etag", &e.etag);
    w.nullable_int("updated_ms", e.updated_ms);
    if !e.replies.is_empty() {
        w.key("replies");
        w.begin_array();
        for r in &e.replies {
            w.begin_object();
            w.str_field("email", &r.email);
            w.str_field("response", &r.response);
            if r.resource {
                w.bool_field("resource", true);
            }
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
}

fn read_event(f: &mut Fields) -> Res<CachedEvent> {
    Ok(CachedEvent {
        id: f.string("id")?,
        summary: f.opt_string("summary")?,
        status: f.string("status")?,
        transparency: f.string("transparency")?,
        visibility: f.string("visibility")?,
        event_type: f.string("event_type")?,
        all_day: f.bool("all_day")?,
        start: f.string("start")?,
        end: f.string("end")?,
        time_zone: f.opt_string("time_zone")?,
        start_utc: f.int("start_utc")?,
        end_utc: f.int("end_utc")?,
        self_response: f.opt_string("self_response")?,
        meeting_id: f.opt_string("meeting_id")?,
        recurring_event_id: f.opt_string("recurring_event_id")?,
        etag: f.string("etag")?,
        updated_ms: f.opt_int("updated_ms")?,
        replies: {
            let mut replies = Vec::new();
            for v in f.default_list("replies")? {
                let mut r = Fields::of(v, "replies")?;
                replies.push(Reply { email: r.string("email")?, response: r.string("response")?, resource: r.default_bool("resource")? });
            }
            replies
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::oracle;
    use super::super::records::tests::{mutate, rng, stricter};
    use super::*;

    fn event(i: i64) -> CachedEvent {
        CachedEvent {
            id: format!("e{i}"),
            summary: (i % 2 == 0).then(|| "Weekly \"sync\" é\n😀".into()),
            status: "confirmed".into(),
            transparency: "opaque".into(),
            visibility: "private".into(),
            event_type: "outOfOffice".into(),
            all_day: i % 3 == 0,
            start: "2024-05-06T10:00:00+02:00".into(),
            end: "2024-05-06".into(),
            time_zone: (i % 2 == 1).then(|| "Europe/Berlin".into()),
            start_utc: -i * 1000,
            end_utc: i64::MAX - i,
            self_response: Some("accepted".into()),
            meeting_id: (i % 2 == 0).then(|| "6300-1".into()),
            recurring_event_id: (i % 4 == 0).then(|| "r".into()),
            etag: "\"3\"".into(),
            updated_ms: (i % 3 != 1).then_some(i64::MIN + i),
            replies: match i % 3 {
                0 => vec![],
                1 => vec![Reply { email: "a@x".into(), response: "declined".into(), resource: false }],
                _ => vec![
                    Reply { email: "r@resource".into(), response: "accepted".into(), resource: true },
                    Reply { email: "b@x".into(), response: "other".into(), resource: false },
                ],
            },
        }
    }

    fn caches() -> Vec<Cache> {
        let cal = |n: i64, token: bool| CalendarCache {
            sync_token: token.then(|| "CPj".into()),
            time_zone: (!token).then(|| "UTC".into()),
            events: (0..n).map(|i| (format!("k{i}"), event(i))).collect(),
        };
        let rich = Cache {
            version: 1,
            calendars: [("primary".to_owned(), cal(7, true)), ("room@x".to_owned(), cal(0, false)), ("é".to_owned(), cal(2, false))]
                .into_iter()
                .collect(),
            undelivered: vec![
                Drift { meeting_id: "m1".into(), event_id: "e1".into(), change: "modified".into() },
                Drift { meeting_id: "m2".into(), event_id: "e\"2".into(), change: "deleted".into() },
            ],
        };
        vec![Cache::default(), Cache { version: u32::MAX, ..Cache::default() }, rich]
    }

    #[test]
    fn the_cache_is_written_and_read_as_serde_did() {
        for c in caches() {
            let theirs = oracle::cache_bytes(&c);
            assert_eq!(String::from_utf8(cache_bytes(&c)).unwrap(), String::from_utf8(theirs.clone()).unwrap());
            assert_eq!(read_cache(&theirs), Some(c.clone()));
            assert_eq!(oracle::read_cache(&theirs), Some(c));
        }
        // Defaults, as serde's: `calendars` and `undelivered` may be
        // missing, a calendar's `events` may not; `null` is no default.
        for doc in [
            r#"{"version":1}"#,
            r#"{"version":1,"calendars":null}"#,
            r#"{"version":1,"undelivered":null}"#,
            r#"{"version":1,"calendars":{"c":{}}}"#,
            r#"{"version":1,"calendars":{"c":{"events":{}}},"x":[]}"#,
            r#"{"version":-0}"#,
            r#"[1]"#,
        ] {
            assert_eq!(read_cache(doc.as_bytes()), oracle::read_cache(doc.as_bytes()).filter(|_| !doc.starts_with('[')), "{doc}");
        }
    }

    #[test]
    fn mutated_caches_read_as_serde_read_them() {
        let mut rnd = rng();
        let doc = oracle::cache_bytes(&caches()[2]);
        let (mut same, mut accepted) = (0, 0);
        for _ in 0..1500 {
            let b = mutate(&doc, &mut rnd);
            if stricter(&b) {
                continue;
            }
            let ours = read_cache(&b);
            assert_eq!(ours, oracle::read_cache(&b), "{}", String::from_utf8_lossy(&b));
            accepted += usize::from(ours.is_some());
            same += 1;
        }
        assert!(same > 1000 && accepted > 100, "{same} {accepted}");
    }
}
