//! Calendar v3 requests and responses, thin over `http`.

use crate::errors::{Error, Result};
use crate::http::{api_error, Http};
use crate::json::Value;
use crate::meeting::{Prepared, MEETING_ID_PROPERTY};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

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

/// Google's 400 for a time zone it does not accept ("Invalid time zone
/// definition for start time." / "... end time.").
pub fn is_zone_refusal(e: &Error) -> bool {
    matches!(e, Error::ApiBadRequest(s) if s.contains("Invalid time zone definition"))
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
    /// Workspace mode: the user whose calendar holds the event, and whether
    /// that is the default subject because the host is not in the domain.
    pub calendar: Option<String>,
    pub host_fallback: bool,
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
        let mut r = replace(http, to, token, p, &p.target_id)?;
        if r.status == 404 {
            // Google documents no format for occurrence ids: ask it.
            if let Some(id) = find_instance(http, to, token, &p.event_id, &p.target_id)? {
                r = replace(http, to, token, p, &id)?;
            }
        }
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
    let existing = crate::json::parse(&got.body)
        .ok_or_else(|| Error::ApiBadResponse("events.get returned unreadable JSON".into()))?;
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

/// The id Google gave the occurrence of series `master_id` whose original
/// start is the one in our computed id `<master>_YYYYMMDDTHHMMSSZ`, found
/// with events.instances (`originalStart`, matched on `originalStartTime`);
/// None when the series has no such (live) occurrence. Issue 16 A3: Google
/// documents no format for occurrence ids, so a 404 for the computed one is
/// checked this way before it is believed.
pub fn find_instance(http: &Http, to: &Target, token: &str, master_id: &str, computed_id: &str) -> Result<Option<String>> {
    let Some(original) = computed_id
        .strip_prefix(master_id)
        .and_then(|s| s.strip_prefix('_'))
        .and_then(basic_utc_to_rfc3339)
    else {
        return Ok(None);
    };
    let Some(want) = crate::events::parse_rfc3339(&original) else { return Ok(None) };
    let base = format!("{}/instances", event_url(to.base, to.calendar_id, master_id));
    let mut page_token: Option<String> = None;
    // originalStart names one occurrence; pages are followed in case a
    // server ignores it (bounded).
    for _ in 0..8 {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("originalStart", &original);
        if let Some(t) = &page_token {
            q.append_pair("pageToken", t);
        }
        let r = http.api("GET", &format!("{base}?{}", q.finish()), token, None)?;
        match r.status {
            200 => {}
            404 | 410 => return Ok(None),
            _ => return Err(api_error(&r)),
        }
        let page = page(&r.body)?;
        let found = page.items.iter().find(|i| {
            i["status"].as_str() != Some("cancelled")
                && i.pointer("/originalStartTime/dateTime")
                    .and_then(Value::as_str)
                    .and_then(crate::events::parse_rfc3339)
                    == Some(want)
        });
        if let Some(id) = found.and_then(|i| i["id"].as_str()) {
            return Ok(Some(id.to_owned()));
        }
        match page.next_page {
            Some(t) => page_token = Some(t),
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// `20240318T090000Z` → `2024-03-18T09:00:00Z`.
fn basic_utc_to_rfc3339(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r.clone()).filter(|d| d.iter().all(u8::is_ascii_digit)).map(|_| &s[r]);
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}Z",
        digits(0..4)?,
        digits(4..6)?,
        digits(6..8)?,
        digits(9..11)?,
        digits(11..13)?,
        digits(13..15)?
    ))
}

fn send_delete(http: &Http, to: &Target, token: &str, target_id: &str) -> Result<crate::http::Reply> {
    let url = format!(
        "{}?sendUpdates={}",
        event_url(to.base, to.calendar_id, target_id),
        to.send_updates
    );
    http.api("DELETE", &url, token, None)
}

/// Deletes one occurrence of series `master_id`: a 404 for the computed id
/// is checked with events.instances (`find_instance`), and Google's own id
/// deleted; gone already (410, or no such live occurrence) is done.
pub fn delete_occurrence(http: &Http, to: &Target, token: &str, master_id: &str, target_id: &str) -> Result<Option<i64>> {
    let r = send_delete(http, to, token, target_id)?;
    if r.status == 404 {
        if let Some(id) = find_instance(http, to, token, master_id, target_id)? {
            if id != target_id {
                return delete(http, to, token, &id);
            }
        }
    }
    delete_outcome(to, r)
}

/// Deletes an event or one occurrence. Gone already (404, 410) is done.
/// Returns Google's clock at the deletion (its `Date`), when given.
pub fn delete(http: &Http, to: &Target, token: &str, target_id: &str) -> Result<Option<i64>> {
    let r = send_delete(http, to, token, target_id)?;
    delete_outcome(to, r)
}

fn delete_outcome(to: &Target, r: crate::http::Reply) -> Result<Option<i64>> {
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

pub(crate) fn written(body: &[u8], replaced: bool) -> Result<Written> {
    // Only the three members we keep, the rest of the event skipped without
    // being built (through serde_json this was a tenth of a steady push;
    // issue 7). The reader refuses what serde_json would refuse, and beyond
    // that only member names written with escapes and a top-level array,
    // which Google never sends (json.rs tests compare it with serde_json).
    let [id, html_link, updated] = crate::json::top_level_strings(body, ["id", "htmlLink", "updated"])
        .ok_or_else(|| Error::ApiBadResponse("Calendar answered 200 with unreadable JSON".into()))?;
    let event_id = id.ok_or_else(|| Error::ApiBadResponse("Calendar's event has no id".into()))?;
    let updated_ms = updated.as_deref().and_then(crate::events::parse_rfc3339_ms);
    Ok(Written { event_id, html_link, updated_ms, replaced, calendar: None, host_fallback: false })
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

pub(crate) fn page(body: &[u8]) -> Result<Page> {
    let mut v = crate::json::parse(body)
        .ok_or_else(|| Error::ApiBadResponse("Calendar listing is unreadable JSON".into()))?;
    // Taken, not copied: a page may be a megabyte.
    let items = match v.take("items") {
        Value::Array(a) => a,
        Value::Null => Vec::new(),
        _ => {
            return Err(Error::ApiBadResponse(
                "Calendar listing has no item list".into(),
            ))
        }
    };
    let s = |k: &str| v[k].as_str().map(str::to_owned);
    Ok(Page { items, bytes: body.len(), next_page: s("nextPageToken"), next_sync: s("nextSyncToken"), time_zone: s("timeZone") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computed_occurrence_ids_become_original_starts() {
        assert_eq!(basic_utc_to_rfc3339("20240318T090000Z").as_deref(), Some("2024-03-18T09:00:00Z"));
        for bad in ["20240318T090000", "2024031xT090000Z", "t1710752400", ""] {
            assert_eq!(basic_utc_to_rfc3339(bad), None, "{bad}");
        }
    }

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
