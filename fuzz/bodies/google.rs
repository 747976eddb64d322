//! Google's answers, read by the pure parsers the library runs on them:
//! byte 0 picks the answer (token, device code, device poll, OAuth error,
//! Calendar API error, written event, events page, calendar list,
//! Retry-After, HTTP date), bytes 1–2 the HTTP status, the rest the body.

use super::common::check_code;
use ::gs_gcal::fuzzing as f;
use ::gs_gcal::errors::*;
#[allow(unused_imports)]
use std::result::Result;

pub fn run(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let status = u16::from_be_bytes([data[1], data[2]]);
    let body = &data[3..];
    match data[0] % 10 {
        0 => token(status, body),
        1 => match f::device_start(status, body) {
            Ok(s) => {
                assert!(!s.device_code.is_empty() && !s.user_code.is_empty(), "device answer without codes");
                // An announced interval of 0 is kept (polls at once; slow_down
                // then adds 5 s: test_auth covers it), never above 300 s.
                assert!(s.expires_in > 0 && s.interval <= 300, "device answer: expires_in {} interval {}", s.expires_in, s.interval);
            }
            Err(c) => check_code("device_start", c),
        },
        2 => match f::device_poll(status, body) {
            Ok(0) => assert_eq!(status, 200, "approved on HTTP {status}"),
            Ok(_) => {}
            Err(c) => check_code("device_poll", c),
        },
        3 => {
            let c = f::token_error(status, body);
            check_code("token_error", c);
            assert_ne!(c, GS_GCAL_OK);
        }
        4 => {
            let retry = body.first().map(|b| u64::from(*b) * 7);
            let c = f::api_error(status, body.get(1..).unwrap_or(&[]), retry);
            check_code("api_error", c);
            assert!(c >= 600 && c < 700 || c == GS_GCAL_API_RATE_LIMITED, "api_error gave {c}");
        }
        5 => match f::written_event(body) {
            Ok((id, _, _)) => {
                // What the reader vouches for, serde_json reads the same.
                let Some(v) = serde_read(body) else { return };
                assert_eq!(v["id"].as_str(), Some(id.as_str()));
            }
            Err(c) => check_code("written_event", c),
        },
        6 | 7 => listing(body),
        8 => {
            let Ok(s) = std::str::from_utf8(body) else { return };
            let server_now = i64::from(status) * 86_400 * 3;
            if let Some(secs) = f::retry_after(s, Some(server_now)) {
                assert!(secs <= 86_400, "Retry-After {secs} s above a day");
            }
        }
        _ => {
            let Ok(s) = std::str::from_utf8(body) else { return };
            if let Some(t) = f::http_date(s) {
                // The reader is lenient ("1:2:3", "+01"); the date it read,
                // written as IMF-fixdate, reads back the same.
                let d = time::OffsetDateTime::from_unix_timestamp(t).expect("in range");
                if (0..10_000).contains(&d.year()) {
                    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
                    let fixdate = format!(
                        "Mon, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
                        d.day(), months[u8::from(d.month()) as usize - 1], d.year(), d.hour(), d.minute(), d.second()
                    );
                    assert_eq!(f::http_date(&fixdate), Some(t), "{s:?} read as {fixdate}");
                }
                // Retry-After with that date, relative to itself: 0 s.
                assert_eq!(f::retry_after(s, Some(t)), Some(0));
            }
        }
    }
}

fn token(status: u16, body: &[u8]) {
    match f::token_response(status, body) {
        Ok(t) => {
            assert_eq!(status, 200, "a token on HTTP {status}");
            assert!(t.expires_in > 0, "expires_in {}", t.expires_in);
            assert!(!t.access_token.is_empty());
            if let Err(c) = f::check_granted(t.scope.as_deref().unwrap_or_default()) {
                check_code("check_granted", c);
            }
            if let Some(id) = &t.id_token {
                if let Some(email) = f::email_from_id_token(id.expose()) {
                    assert!(!email.is_empty());
                }
            }
        }
        Err(c) => {
            check_code("token_response", c);
            assert_ne!(c, GS_GCAL_OK);
        }
    }
}

/// serde_json's reading of a body the library's reader accepted. It reads
/// the same except a number beyond f64's range, which it refuses (the
/// library keeps numbers as text and reads only integers out of them).
fn serde_read(body: &[u8]) -> Option<serde_json::Value> {
    match serde_json::from_slice(body) {
        Ok(v) => Some(v),
        Err(e) => {
            assert!(
                e.to_string().starts_with("number out of range"),
                "accepted, but serde_json refuses it: {e}"
            );
            None
        }
    }
}

fn listing(body: &[u8]) {
    let (items, next_page, next_sync, tz) = match f::listing_page(body) {
        Ok(p) => p,
        Err(c) => {
            check_code("listing_page", c);
            return;
        }
    };
    let Some(v) = serde_read(body) else { return };
    assert_eq!(next_page.as_deref(), v["nextPageToken"].as_str());
    assert_eq!(next_sync.as_deref(), v["nextSyncToken"].as_str());
    assert_eq!(tz.as_deref(), v["timeZone"].as_str());
    // Each item as the library's reader built it is what serde_json reads.
    for (i, item) in items.iter().enumerate() {
        let ours: serde_json::Value = serde_json::from_slice(&item.to_vec())
            .expect("an item the reader built, written, is JSON");
        assert_eq!(
            ours, v["items"][i],
            "item {i} differs from serde_json's reading"
        );
    }
    let mut events = Vec::new();
    for item in &items {
        let Some(e) = f::cached_event(item) else { continue };
        assert_eq!(Some(e.id.as_str()), item["id"].as_str());
        // The cache file keeps it: it must come back the same.
        assert_eq!(f::cached_event_round_trip(&e).as_ref(), Some(&e), "cached event changed in the cache file");
        let j = f::event_json(&e);
        assert!(j.as_object().is_some(), "event JSON is not an object");
        assert_eq!(j["id"].as_str(), Some(e.id.as_str()));
        events.push(e);
    }
    let mut times: Vec<i64> = events.iter().flat_map(|e| [e.start_utc, e.end_utc, e.start_utc.saturating_sub(1)]).collect();
    times.push(0);
    for t in times {
        let (busy, ooo, until) = f::busy_at(&events, t);
        assert!(!ooo || busy, "out of office but not busy");
        if busy {
            assert!(until > t, "busy at {t} until {until}");
        }
    }
}
