//! Calendar v3 requests and responses, thin over `http`.

use crate::error::{Error, Result};
use crate::http::{api_error, Http};
use crate::meeting::MEETING_ID_PROPERTY;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

/// RFC 3986 unreserved characters stay; everything else (`@` in calendar
/// ids included) is escaped in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn events_url(base: &str, calendar_id: &str) -> String {
    format!("{base}/calendars/{}/events", utf8_percent_encode(calendar_id, SEGMENT))
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
    /// The event was already there (a repeated push) and was replaced.
    pub replaced: bool,
}

/// Creates or replaces the event of one meeting. Insert first; a 409 means
/// the id exists: if the event carries our meeting id it is ours (an earlier
/// push whose answer was lost, or an edit), so replace it in full; otherwise
/// refuse rather than overwrite someone else's event.
pub fn upsert(
    http: &Http,
    to: &Target,
    token: &str,
    event_id: &str,
    meeting_id: &str,
    event: &Value,
) -> Result<Written> {
    let (base, calendar_id, send_updates) = (to.base, to.calendar_id, to.send_updates);
    let insert = format!("{}?sendUpdates={send_updates}", events_url(base, calendar_id));
    let r = http.api("POST", &insert, token, Some(event))?;
    if r.status == 200 {
        return written(&r.body, false);
    }
    if r.status != 409 {
        return Err(api_error(r.status, &r.body));
    }
    let url = event_url(base, calendar_id, event_id);
    let got = http.api("GET", &url, token, None)?;
    if got.status != 200 {
        return Err(api_error(got.status, &got.body));
    }
    let existing: Value = serde_json::from_slice(&got.body)
        .map_err(|_| Error::ApiBadResponse("events.get returned unreadable JSON".into()))?;
    let owner = existing
        .pointer(&format!("/extendedProperties/private/{MEETING_ID_PROPERTY}"))
        .and_then(Value::as_str);
    if owner != Some(meeting_id) {
        return Err(Error::ApiConflict(format!(
            "event id {event_id} already exists in calendar {calendar_id} but was not created \
             for this meeting; set instance_id if several PBXes share this calendar"
        )));
    }
    // Full replacement, so removed invitees disappear; `confirmed` restores
    // an event that was cancelled in Google.
    let mut body = event.clone();
    body["status"] = Value::from("confirmed");
    let put = format!("{url}?sendUpdates={send_updates}");
    let r = http.api("PUT", &put, token, Some(&body))?;
    if r.status != 200 {
        return Err(api_error(r.status, &r.body));
    }
    written(&r.body, true)
}

fn written(body: &[u8], replaced: bool) -> Result<Written> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| Error::ApiBadResponse("Calendar answered 200 with unreadable JSON".into()))?;
    let event_id = v["id"]
        .as_str()
        .ok_or_else(|| Error::ApiBadResponse("Calendar's event has no id".into()))?
        .to_owned();
    let html_link = v["htmlLink"].as_str().map(str::to_owned);
    Ok(Written { event_id, html_link, replaced })
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
