//! Calendar v3 requests and responses, thin over `http`.

use crate::errors::{Error, Result};
use crate::http::{api_error, Http};
use crate::meeting::{Prepared, MEETING_ID_PROPERTY};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

/// RFC 3986 unreserved characters stay; everything else (`@` in calendar
/// ids included) is escaped in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn events_url(base: &str, calendar_id: &str) -> String {
    let mut url = String::with_capacity(base.len() + calendar_id.len() + 48);
    url.push_str(base);
    url.push_str("/calendars/");
    url.extend(utf8_percent_encode(calendar_id, SEGMENT));
    url.push_str("/events");
    url
}

pub fn event_url(base: &str, calendar_id: &str, event_id: &str) -> String {
    format!("{}/{}", events_url(base, calendar_id), utf8_percent_encode(event_id, SEGMENT))
}

/// Which calendar to write to, and how to notify guests.
pub struct Target<'a> {
    pub base: &'a str,
    pub calendar_id: &'a str,
    pub send_updates: &'a str,
}

/// What Google holds after a successful write.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub event_id: String,
    pub html_link: Option<String>,
    /// Google's `updated` of the event after the write, unix milliseconds.
    pub updated_ms: Option<i64>,
    /// The event was already there (a repeated push) and was replaced.
    pub replaced: bool,
}

/// How a write ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Upserted {
    Done(Written),
    /// The id holds our event, deleted in Google, and Google refuses to
    /// restore it: the caller moves the meeting to a new id generation.
    RestoreRefused,
}

/// Creates or replaces the event of one meeting (or one occurrence).
/// Insert first; a 409 means the id exists: if the event carries our
/// meeting id it is ours (an earlier push whose answer was lost, or an
/// edit), so replace it in full — restoring it if it was deleted in Google;
/// otherwise refuse rather than overwrite someone else's event.
///
/// `ours`: the event was written by this PBX before (a recorded push), so
/// an edit is one PUT; anything unexpected falls back to the full path
/// (insert, then on 409 check the owner and replace).
pub fn upsert(http: &Http, to: &Target, token: &str, p: &Prepared, meeting_id: &str, ours: bool) -> Result<Upserted> {
    let (base, calendar_id, send_updates) = (to.base, to.calendar_id, to.send_updates);
    if p.target_id != p.event_id {
        // One occurrence: it exists as long as the series does.
        let r = replace(http, to, token, p, &p.target_id)?;
        return match r.status {
            200 => written(&r.body, true).map(Upserted::Done),
            404 | 410 => Err(Error::ApiNotFound(format!(
                "occurrence {} is not part of the meeting's series in Google (moved, or the series \
                 was never pushed)",
                p.target_id
            ))),
            _ => Err(api_error(&r)),
        };
    }
    if ours {
        let r = replace(http, to, token, p, &p.event_id)?;
        match r.status {
            200 => return written(&r.body, true).map(Upserted::Done),
            // Gone, or deleted in Google and not restorable: the full path
            // below tells these apart.
            403 | 404 | 410 => {}
            _ => return Err(api_error(&r)),
        }
    }
    let mut insert = events_url(base, calendar_id);
    insert.push_str("?sendUpdates=");
    insert.push_str(send_updates);
    let r = http.api("POST", &insert, token, Some(&p.event.to_json()?))?;
    if r.status == 200 {
        return written(&r.body, false).map(Upserted::Done);
    }
    if r.status != 409 {
        return Err(api_error(&r));
    }
    let url = event_url(base, calendar_id, &p.event_id);
    let got = http.api("GET", &url, token, None)?;
    if got.status != 200 {
        return Err(api_error(&got));
    }
    let existing: Value = serde_json::from_slice(&got.body)
        .map_err(|_| Error::ApiBadResponse("events.get returned unreadable JSON".into()))?;
    let owner = existing
        .pointer(&format!("/extendedProperties/private/{MEETING_ID_PROPERTY}"))
        .and_then(Value::as_str);
    if owner != Some(meeting_id) {
        return Err(Error::ApiConflict(format!(
            "event id {} already exists in calendar {calendar_id} but was not created \
             for this meeting; set instance_id if several PBXes share this calendar",
            p.event_id
        )));
    }
    let cancelled = existing["status"].as_str() == Some("cancelled");
    let r = replace(http, to, token, p, &p.event_id)?;
    match r.status {
        200 => written(&r.body, true).map(Upserted::Done),
        403 | 404 | 410 if cancelled => Ok(Upserted::RestoreRefused),
        _ => Err(api_error(&r)),
    }
}

/// Replaces event `id` in full with the meeting's event, so removed
/// invitees disappear; `confirmed` restores an event deleted in Google.
fn replace(http: &Http, to: &Target, token: &str, p: &Prepared, id: &str) -> Result<crate::http::Reply> {
    let url = format!("{}?sendUpdates={}", event_url(to.base, to.calendar_id, id), to.send_updates);
    let mut body = p.event.clone();
    body.status = Some("confirmed");
    http.api("PUT", &url, token, Some(&body.to_json()?))
}

/// Deletes an event or one occurrence. Gone already (404, 410) is done.
/// Returns Google's clock at the deletion (its `Date`), when given.
pub fn delete(http: &Http, to: &Target, token: &str, target_id: &str) -> Result<Option<i64>> {
    let url = format!(
        "{}?sendUpdates={}",
        event_url(to.base, to.calendar_id, target_id),
        to.send_updates
    );
    let r = http.api("DELETE", &url, token, None)?;
    match r.status {
        // Google answers 204 No Content; a 200 with a body is someone else
        // (a captive portal's "sign in" page), not a deletion.
        204 | 404 | 410 => Ok(r.date),
        200 if r.body.iter().all(u8::is_ascii_whitespace) => Ok(r.date),
        200 => Err(Error::ApiBadResponse(format!(
            "{}: answered 200 with a body to a deletion (a proxy or captive portal?)",
            to.base
        ))),
        _ => Err(api_error(&r)),
    }
}

fn written(body: &[u8], replaced: bool) -> Result<Written> {
    // Only the three members we keep, the rest of the event skipped without
    // being built (through serde_json this was a tenth of a steady push;
    // issue 7). The reader refuses what serde_json would refuse, and beyond
    // that only member names written with escapes and a top-level array,
    // which Google never sends (json.rs tests compare it with serde_json).
    let [id, html_link, updated] = crate::json::top_level_strings(body, ["id", "htmlLink", "updated"])
        .ok_or_else(|| Error::ApiBadResponse("Calendar answered 200 with unreadable JSON".into()))?;
    let event_id = id.ok_or_else(|| Error::ApiBadResponse("Calendar's event has no id".into()))?;
    let updated_ms = updated.as_deref().and_then(crate::events::parse_rfc3339_ms);
    Ok(Written { event_id, html_link, updated_ms, replaced })
}

/// One page of an events or calendarList listing.
#[derive(Debug, Default)]
pub struct Page {
    pub items: Vec<Value>,
    /// Size of the answer's body, for the per-call bound of the read side.
    pub bytes: usize,
    pub next_page: Option<String>,
    pub next_sync: Option<String>,
    pub time_zone: Option<String>,
}

/// A listing page, or Google's 410: the sync token is no longer valid.
pub enum Listed {
    Page(Page),
    SyncTokenGone,
}

/// One `freebusy.query` with a prepared body (see `presence::request_body`):
/// Google's answer body on 200.
pub fn freebusy(http: &Http, base: &str, token: &str, body: &str) -> Result<Vec<u8>> {
    let mut r = http.api("POST", &format!("{base}/freeBusy"), token, Some(body.as_bytes()))?;
    match r.status {
        200 => Ok(std::mem::take(&mut r.body)),
        _ => Err(api_error(&r)),
    }
}

/// One page of events.list with the given query parameters.
pub fn list_events(http: &Http, base: &str, calendar_id: &str, token: &str, query: &[(&str, &str)]) -> Result<Listed> {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.extend_pairs(query);
    let url = format!("{}?{}", events_url(base, calendar_id), q.finish());
    let r = http.api("GET", &url, token, None)?;
    match r.status {
        200 => page(&r.body).map(Listed::Page),
        410 => Ok(Listed::SyncTokenGone),
        _ => Err(api_error(&r)),
    }
}

/// One page of the calendars the account can see.
pub fn calendar_list(http: &Http, base: &str, token: &str, page_token: Option<&str>) -> Result<Page> {
    let mut url = format!("{base}/users/me/calendarList?maxResults=250");
    if let Some(p) = page_token {
        url.push_str("&pageToken=");
        url.extend(utf8_percent_encode(p, SEGMENT));
    }
    let r = http.api("GET", &url, token, None)?;
    match r.status {
        200 => page(&r.body),
        403 => Err(match api_error(&r) {
            Error::ApiForbidden(why) => Error::ApiForbidden(format!(
                "{why}; listing calendars needs the scope \
                 https://www.googleapis.com/auth/calendar.calendarlist.readonly (option scopes) \
                 and a new authorization"
            )),
            other => other,
        }),
        _ => Err(api_error(&r)),
    }
}

fn page(body: &[u8]) -> Result<Page> {
    let mut v: Value = serde_json::from_slice(body)
        .map_err(|_| Error::ApiBadResponse("Calendar listing is unreadable JSON".into()))?;
    // Taken, not copied: a page may be a megabyte.
    let items = match v.get_mut("items").map(Value::take) {
        Some(Value::Array(a)) => a,
        Some(Value::Null) | None => Vec::new(),
        _ => return Err(Error::ApiBadResponse("Calendar listing has no item list".into())),
    };
    let s = |k: &str| v[k].as_str().map(str::to_owned);
    Ok(Page { items, bytes: body.len(), next_page: s("nextPageToken"), next_sync: s("nextSyncToken"), time_zone: s("timeZone") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_escape_calendar_ids() {
        assert_eq!(
            event_url("https://www.googleapis.com/calendar/v3", "arthur.morgan@mycompanyabc.com", "gsabc"),
            "https://www.googleapis.com/calendar/v3/calendars/arthur.morgan%40mycompanyabc.com/events/gsabc"
        );
        assert_eq!(
            events_url("https://x/calendar/v3", "c_1a#b/c@group.calendar.google.com"),
            "https://x/calendar/v3/calendars/c_1a%23b%2Fc%40group.calendar.google.com/events"
        );
    }
}
