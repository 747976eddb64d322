//! `GET users/me/calendarList` (calendarList.list): the calendars the account
//! sees, with paging and sync tokens. Entries only change on /control/reset,
//! so an incremental sync is empty unless a reset killed the token.

use serde_json::{json, Value};

use crate::calendar::{self, api_err, invalid_param, ApiError};
use crate::http::Response;
use crate::state::{self, Calendar, State};
use crate::tokens::{self, PageToken, SyncToken};

/// Discovery: "By default the value is 100 entries. The page size can never be larger than 250".
const DEFAULT_MAX_RESULTS: i64 = 100;
const MAX_MAX_RESULTS: i64 = 250;
const SCOPE: &str = "calendarList";

fn rank(role: &str) -> u8 {
    match role {
        "freeBusyReader" => 0,
        "reader" => 1,
        "writerWithoutPrivateAccess" => 2,
        "writer" => 3,
        _ => 4, // owner
    }
}

fn entry(c: &Calendar, n: usize) -> Value {
    let mut e = json!({
        "kind": "calendar#calendarListEntry",
        "etag": format!("\"{}\"", 1_700_000_000_000_000u64 + n as u64),
        "id": c.id,
        "summary": c.summary,
        "timeZone": c.time_zone,
        "colorId": c.color_id,
        "backgroundColor": c.background_color,
        "foregroundColor": "#000000",
        "selected": true,
        "accessRole": c.access_role,
        "defaultReminders": state::default_reminders(c.access_role),
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    });
    if c.primary {
        e["primary"] = json!(true);
        e["notificationSettings"] = json!({"notifications": [
            {"type": "eventCreation", "method": "email"},
            {"type": "eventChange", "method": "email"},
            {"type": "eventCancellation", "method": "email"},
            {"type": "eventResponse", "method": "email"},
        ]});
    }
    e
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

pub fn list(st: &mut State, user: &str, query: &str) -> Result<Response, ApiError> {
    let mut max_results = DEFAULT_MAX_RESULTS;
    let mut min_role: Option<String> = None;
    let mut page_token = None;
    let mut sync_token = None;
    let mut names = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            // Type and minimum were checked against the discovery document already.
            "maxResults" => max_results = v.parse().unwrap_or(DEFAULT_MAX_RESULTS),
            "minAccessRole" => min_role = Some(v.into_owned()),
            "pageToken" => page_token = Some(v.into_owned()),
            "syncToken" => sync_token = Some(v.into_owned()),
            _ => {} // showHidden/showDeleted: nothing is hidden or deleted here
        }
        names.push(k.into_owned());
    }
    let max_results = max_results.clamp(1, MAX_MAX_RESULTS) as usize;

    let incremental = match &sync_token {
        None => false,
        Some(raw) => {
            if let Some(bad) = ["minAccessRole", "showOwnOrganizationOnly"]
                .iter()
                .find(|n| names.iter().any(|x| x == *n))
            {
                return Err(invalid_param(
                    bad,
                    "Sync token cannot be used with other request parameters.",
                ));
            }
            let t = tokens::parse_sync_token(raw).ok_or_else(full_sync_required)?;
            if t.scope != SCOPE || t.seq < st.list_epoch || t.seq > st.change_seq {
                return Err(full_sync_required());
            }
            true
        }
    };

    let hash = tokens::query_hash(SCOPE, query);
    let offset = match &page_token {
        None => 0,
        Some(raw) => match tokens::parse_page_token(raw) {
            Some(t) if t.query_hash == hash => t.offset,
            _ => return Err(invalid_param("pageToken", "Invalid page token value.")),
        },
    };

    let min = min_role.as_deref().map_or(0, rank);
    let items: Vec<Value> = if incremental {
        Vec::new()
    } else {
        st.calendars
            .iter()
            .enumerate()
            .filter(|(_, c)| c.owner == user && rank(c.access_role) >= min)
            .map(|(n, c)| entry(c, n))
            .collect()
    };
    let page: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(max_results)
        .cloned()
        .collect();
    let mut body = json!({
        "kind": "calendar#calendarList",
        "etag": format!("\"p{:x}\"", 0x3300_0000_0000u64 + st.list_epoch),
        "items": page,
    });
    let next = offset + max_results;
    if next < items.len() {
        body["nextPageToken"] = json!(tokens::page_token(&PageToken {
            offset: next,
            seq: st.list_epoch,
            query_hash: hash,
        }));
    } else {
        st.tokens_issued += 1;
        let token = SyncToken {
            scope: SCOPE.into(),
            seq: st.list_epoch,
            params: String::new(),
        };
        body["nextSyncToken"] = json!(tokens::sync_token(&token, st.tokens_issued));
    }
    Ok(calendar::json_response(200, &body))
}
