//! events.list (windows, expansion, paging, incremental sync and 410),
//! calendarList.list, other event types and the put/edit/invalidate controls.

mod common;

use serde_json::{json, Value};

use common::*;

const EVENTS: &str = "/calendars/primary/events";
const SHARED: &str = "c_shared0123456789@group.calendar.google.com";
const ROOM: &str = "mycompanyabc.com_188abcdef@resource.calendar.google.com";
const CALENDARLIST: &str = "/users/me/calendarList";

fn setup() -> (Emu, String) {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    (emu, token)
}

fn timed(id: &str, start: &str, end: &str) -> Value {
    json!({"id": id, "summary": format!("Meeting {id}"),
           "start": {"dateTime": start}, "end": {"dateTime": end}})
}

fn insert(emu: &Emu, token: &str, ev: &Value) -> Value {
    let r = emu.api("POST", EVENTS, token, Some(ev));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn list(emu: &Emu, token: &str, query: &str) -> Value {
    let r = emu.api("GET", &format!("{EVENTS}?{query}"), token, None);
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    r.json()
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn control_ok(emu: &Emu, path: &str, body: &Value) -> Value {
    let r = emu.control("POST", path, body);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.json()
}

#[test]
fn window_bounds_are_exclusive() {
    let (emu, token) = setup();
    insert(
        &emu,
        &token,
        &timed("aaaaa00001", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"),
    );
    insert(
        &emu,
        &token,
        &timed("bbbbb00002", "2030-01-01T11:00:00Z", "2030-01-01T12:00:00Z"),
    );
    insert(
        &emu,
        &token,
        &timed("ccccc00003", "2030-01-01T12:00:00Z", "2030-01-01T13:00:00Z"),
    );
    // All-day, read in the calendar's zone (Europe/Berlin): 2030-01-02 00:00+01:00.
    insert(
        &emu,
        &token,
        &json!({"id": "ddddd00004", "start": {"date": "2030-01-02"}, "end": {"date": "2030-01-03"}}),
    );

    let l = list(
        &emu,
        &token,
        &form(&[
            ("timeMin", "2030-01-01T11:00:00Z"),
            ("timeMax", "2030-01-01T12:00:00Z"),
        ]),
    );
    assert_eq!(
        ids(&l),
        ["bbbbb00002"],
        "end == timeMin and start == timeMax excluded"
    );
    let l = list(
        &emu,
        &token,
        &form(&[
            ("timeMin", "2030-01-01T10:59:59Z"),
            ("timeMax", "2030-01-01T12:00:01+00:00"),
        ]),
    );
    assert_eq!(ids(&l), ["aaaaa00001", "bbbbb00002", "ccccc00003"]);
    let l = list(&emu, &token, &form(&[("timeMin", "2030-01-01T23:00:00Z")]));
    assert_eq!(ids(&l), ["ddddd00004"]);
    let l = list(&emu, &token, &form(&[("timeMax", "2030-01-01T23:00:00Z")]));
    assert_eq!(ids(&l).len(), 3, "the all-day event starts at 23:00Z");

    // Envelope.
    let l = list(&emu, &token, "");
    assert_eq!(l["kind"], json!("calendar#events"));
    assert_eq!(l["summary"], json!(ACCOUNT));
    assert_eq!(l["description"], json!(""));
    assert_eq!(l["timeZone"], json!("Europe/Berlin"));
    assert_eq!(l["accessRole"], json!("owner"));
    assert_eq!(
        l["defaultReminders"],
        json!([{"method": "popup", "minutes": 10}])
    );
    assert!(l["updated"].as_str().unwrap().ends_with('Z'));
    assert!(l["etag"].as_str().unwrap().starts_with('"'));
    assert!(l["nextSyncToken"].is_string() && l.get("nextPageToken").is_none());
    let l = list(&emu, &token, "timeZone=America/New_York");
    assert_eq!(l["timeZone"], json!("America/New_York"));

    // Offsets are mandatory; empty ranges and unknown parameters are refused.
    let get = |q: &str| emu.api("GET", &format!("{EVENTS}?{q}"), &token, None);
    assert_api_error(
        &get("timeMin=2030-01-01T10:00:00"),
        400,
        "badRequest",
        "Bad Request",
    );
    assert_api_error(&get("timeMax=tomorrow"), 400, "badRequest", "Bad Request");
    assert_api_error(
        &get(&form(&[
            ("timeMin", "2030-01-01T12:00:00Z"),
            ("timeMax", "2030-01-01T12:00:00Z"),
        ])),
        400,
        "timeRangeEmpty",
        "The specified time range is empty.",
    );
    assert_eq!(get("bogus=1").status, 400);
    assert_eq!(get("eventTypes=meeting").status, 400);
    assert_eq!(get("maxResults=0").status, 400);
    assert_api_error(
        &get("orderBy=startTime"),
        400,
        "badRequest",
        "The requested ordering is not available for the particular query.",
    );
    assert_eq!(
        emu.control("GET", "/control/requests", &json!({})).json()["events.list"],
        json!(13)
    );
}

fn weekly_master(emu: &Emu, token: &str) {
    insert(
        emu,
        token,
        &json!({
            "id": "sr00000000",
            "summary": "Standup",
            "start": {"dateTime": "2024-03-18T10:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2024-03-18T10:30:00", "timeZone": "Europe/Berlin"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
            "extendedProperties": {"private": {"ucm_meeting_id": "7"}},
        }),
    );
}

#[test]
fn single_events_expansion_with_cancelled_and_moved_instances() {
    let (emu, token) = setup();
    weekly_master(&emu, &token);
    insert(
        &emu,
        &token,
        &timed("single0001", "2024-03-20T12:00:00Z", "2024-03-20T13:00:00Z"),
    );
    // Occurrences (Berlin 10:00; DST starts 2024-03-31): 18th and 25th at 09:00Z,
    // April 1st and 8th at 08:00Z.
    let second = "sr00000000_20240325T090000Z";
    let third = "sr00000000_20240401T080000Z";
    let r = emu.api("DELETE", &format!("{EVENTS}/{second}"), &token, None);
    assert_eq!(r.status, 204, "{}", r.body);
    let r = emu.api(
        "PATCH",
        &format!("{EVENTS}/{third}"),
        &token,
        Some(&json!({"start": {"dateTime": "2024-04-02T15:00:00+02:00"},
                     "end": {"dateTime": "2024-04-02T15:30:00+02:00"}})),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    let l = list(&emu, &token, "singleEvents=true&orderBy=startTime");
    assert_eq!(
        ids(&l),
        [
            "sr00000000_20240318T090000Z",
            "single0001",
            third,
            "sr00000000_20240408T080000Z"
        ]
    );
    let first = &l["items"][0];
    assert_eq!(first["recurringEventId"], json!("sr00000000"));
    assert_eq!(
        first["originalStartTime"]["dateTime"],
        json!("2024-03-18T10:00:00+01:00")
    );
    assert_eq!(
        first["extendedProperties"]["private"]["ucm_meeting_id"],
        json!("7")
    );
    assert!(first.get("recurrence").is_none());
    assert_eq!(
        l["items"][2]["start"]["dateTime"],
        json!("2024-04-02T15:00:00+02:00")
    );

    let l = list(&emu, &token, "singleEvents=true&showDeleted=true");
    assert_eq!(ids(&l).len(), 5);
    assert!(ids(&l).contains(&second.to_string()));

    // The moved occurrence is found at its new time, not its original slot.
    let day = |d: &str| {
        form(&[
            ("singleEvents", "true"),
            ("timeMin", &format!("{d}T00:00:00Z")),
            ("timeMax", &format!("{d}T23:59:59Z")),
        ])
    };
    assert_eq!(ids(&list(&emu, &token, &day("2024-04-02"))), [third]);
    assert!(ids(&list(&emu, &token, &day("2024-04-01"))).is_empty());

    // Without expansion: the master, the moved exception and (as Google does even
    // without showDeleted) the cancelled occurrence.
    let l = list(&emu, &token, "singleEvents=false");
    let mut got = ids(&l);
    got.sort();
    assert_eq!(got, ["single0001", "sr00000000", second, third]);
    // A window hitting only one occurrence still returns the master.
    let l = list(&emu, &token, &form(&[("timeMin", "2024-04-08T00:00:00Z")]));
    assert_eq!(ids(&l), ["sr00000000"]);

    // Filters.
    let l = list(
        &emu,
        &token,
        &form(&[
            ("singleEvents", "true"),
            ("privateExtendedProperty", "ucm_meeting_id=7"),
        ]),
    );
    assert_eq!(ids(&l).len(), 3);
    let l = list(
        &emu,
        &token,
        &form(&[
            ("privateExtendedProperty", "ucm_meeting_id=7"),
            ("privateExtendedProperty", "x=y"),
        ]),
    );
    assert!(ids(&l).is_empty());
    let l = list(&emu, &token, "orderBy=updated&singleEvents=true");
    assert_eq!(
        ids(&l).last().map(String::as_str),
        Some(third),
        "edited last"
    );
}

#[test]
fn paging() {
    let (emu, token) = setup();
    for i in 0..5 {
        insert(
            &emu,
            &token,
            &timed(
                &format!("page00000{i}"),
                &format!("2030-02-0{}T10:00:00Z", i + 1),
                &format!("2030-02-0{}T11:00:00Z", i + 1),
            ),
        );
    }
    let mut seen = Vec::new();
    let mut page_token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut q = vec![
            ("maxResults", "2"),
            ("singleEvents", "true"),
            ("orderBy", "startTime"),
        ];
        if let Some(t) = &page_token {
            q.push(("pageToken", t));
        }
        let l = list(&emu, &token, &form(&q));
        pages += 1;
        seen.extend(ids(&l));
        match l["nextPageToken"].as_str() {
            Some(t) => {
                assert!(
                    l.get("nextSyncToken").is_none(),
                    "sync token only on the last page"
                );
                assert_eq!(l["items"].as_array().unwrap().len(), 2);
                page_token = Some(t.to_string());
            }
            None => {
                assert!(l["nextSyncToken"].is_string());
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        (0..5).map(|i| format!("page00000{i}")).collect::<Vec<_>>()
    );

    let get = |q: &str| emu.api("GET", &format!("{EVENTS}?{q}"), &token, None);
    let r = get("pageToken=garbage");
    assert_api_error(&r, 400, "invalid", "Invalid page token value.");
    assert_eq!(
        r.json()["error"]["errors"][0]["location"],
        json!("pageToken")
    );
    // A page token continues only the query it came from.
    let first = list(&emu, &token, "maxResults=2");
    let t = first["nextPageToken"].as_str().unwrap();
    assert_eq!(
        get(&form(&[("pageToken", t), ("showDeleted", "true")])).status,
        400
    );
    assert_eq!(
        ids(&list(
            &emu,
            &token,
            &form(&[("pageToken", t), ("maxResults", "2")])
        ))
        .len(),
        2
    );
}

#[test]
fn incremental_sync_and_410() {
    let (emu, token) = setup();
    insert(
        &emu,
        &token,
        &timed("past000001", "2020-01-01T10:00:00Z", "2020-01-01T11:00:00Z"),
    );
    insert(
        &emu,
        &token,
        &timed("future0001", "2040-01-01T10:00:00Z", "2040-01-01T11:00:00Z"),
    );

    // PBX-style full sync of upcoming events only.
    let full = list(&emu, &token, &form(&[("timeMin", "2030-01-01T00:00:00Z")]));
    assert_eq!(ids(&full), ["future0001"]);
    let t1 = full["nextSyncToken"].as_str().unwrap().to_string();
    let sync = |t: &str| {
        emu.api(
            "GET",
            &format!("{EVENTS}?{}", form(&[("syncToken", t)])),
            &token,
            None,
        )
    };

    // Nothing changed: empty, and a new token, in one request.
    let r = sync(&t1);
    assert_eq!(r.status, 200, "{}", r.body);
    let l = r.json();
    assert_eq!(l["items"], json!([]));
    let t2 = l["nextSyncToken"].as_str().unwrap().to_string();
    assert_ne!(t2, t1);
    assert!(l.get("nextPageToken").is_none());

    // The user edits the event in Google's UI.
    let edited = control_ok(
        &emu,
        "/control/edit_event",
        &json!({"calendar": "primary", "id": "future0001", "patch": {"summary": "Renamed"}}),
    );
    assert_eq!(edited["sequence"], json!(1));
    let l = sync(&t2).json();
    assert_eq!(ids(&l), ["future0001"]);
    assert_eq!(l["items"][0]["summary"], json!("Renamed"));
    assert_eq!(l["items"][0]["etag"], edited["etag"]);
    let t3 = l["nextSyncToken"].as_str().unwrap().to_string();

    // Deleted through the API: reported as cancelled. Changes outside the full
    // sync's window are reported too.
    assert_eq!(
        emu.api("DELETE", &format!("{EVENTS}/future0001"), &token, None)
            .status,
        204
    );
    control_ok(
        &emu,
        "/control/edit_event",
        &json!({"id": "past000001", "patch": {"location": "Room 6300"}}),
    );
    let l = sync(&t3).json();
    assert_eq!(ids(&l), ["future0001", "past000001"]);
    assert_eq!(l["items"][0]["status"], json!("cancelled"));
    assert_eq!(l["items"][0]["kind"], json!("calendar#event"));
    let t4 = l["nextSyncToken"].as_str().unwrap().to_string();
    // The older tokens still work and report everything since.
    assert_eq!(ids(&sync(&t1).json()).len(), 2);

    // Parameters Google refuses with a sync token.
    for extra in [
        ("timeMin", "2030-01-01T00:00:00Z"),
        ("timeMax", "2030-01-01T00:00:00Z"),
        ("orderBy", "updated"),
        ("q", "x"),
        ("privateExtendedProperty", "a=b"),
        ("iCalUID", "x@google.com"),
        ("updatedMin", "2030-01-01T00:00:00Z"),
    ] {
        let r = emu.api(
            "GET",
            &format!("{EVENTS}?{}", form(&[("syncToken", &t4), extra])),
            &token,
            None,
        );
        assert_api_error(
            &r,
            400,
            "invalid",
            "Sync token cannot be used with other request parameters.",
        );
        assert_eq!(r.json()["error"]["errors"][0]["location"], json!(extra.0));
    }
    // The token pins singleEvents/showDeleted/eventTypes.
    let r = emu.api(
        "GET",
        &format!(
            "{EVENTS}?{}",
            form(&[("syncToken", &t4), ("singleEvents", "true")])
        ),
        &token,
        None,
    );
    assert_eq!(r.status, 400, "{}", r.body);

    // Google expires the tokens: exactly its 410 body; garbage tokens too.
    assert_eq!(
        control_ok(
            &emu,
            "/control/invalidate_sync_tokens",
            &json!({"calendar": "primary"})
        )["invalidated"],
        json!(1)
    );
    let gone = json!({"error": {"errors": [{"domain": "calendar", "reason": "fullSyncRequired",
        "message": "Sync token is no longer valid, a full sync is required.",
        "locationType": "parameter", "location": "syncToken"}],
        "code": 410, "message": "Sync token is no longer valid, a full sync is required."}});
    for t in [t4.as_str(), t1.as_str(), "garbage", "czF8eHx8"] {
        let r = sync(t);
        assert_eq!(r.status, 410, "{}", r.body);
        assert_eq!(r.json(), gone);
    }
    // A new full sync gives a working token again.
    let t5 = list(&emu, &token, "")["nextSyncToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(sync(&t5).status, 200);
    // A token of another calendar is unknown here.
    let shared = emu
        .api(
            "GET",
            &format!("/calendars/{}/events", enc(SHARED)),
            &token,
            None,
        )
        .json();
    assert_eq!(sync(shared["nextSyncToken"].as_str().unwrap()).status, 410);
    // Reset kills every token.
    control_ok(&emu, "/control/reset", &json!({}));
    let token = emu.access_token(CAL_SCOPE);
    let r = emu.api(
        "GET",
        &format!("{EVENTS}?{}", form(&[("syncToken", &t5)])),
        &token,
        None,
    );
    assert_eq!(r.status, 410);
    let counters = emu.control("GET", "/control/requests", &json!({})).json();
    assert_eq!(
        counters["events.list"],
        json!(1),
        "reset clears the counters"
    );
}

#[test]
fn incremental_sync_of_series() {
    let (emu, token) = setup();
    weekly_master(&emu, &token);
    let full = list(&emu, &token, "singleEvents=true");
    assert_eq!(ids(&full).len(), 4);
    let t = full["nextSyncToken"].as_str().unwrap().to_string();
    let flat_token = list(&emu, &token, "")["nextSyncToken"]
        .as_str()
        .unwrap()
        .to_string();
    let sync = |t: &str| {
        list(
            &emu,
            &token,
            &form(&[("syncToken", t), ("singleEvents", "true")]),
        )
    };

    // One occurrence edited: only that one is reported.
    control_ok(
        &emu,
        "/control/edit_event",
        &json!({"id": "sr00000000_20240401T080000Z", "patch": {"summary": "Moved"}}),
    );
    let l = sync(&t);
    assert_eq!(ids(&l), ["sr00000000_20240401T080000Z"]);
    assert_eq!(l["items"][0]["summary"], json!("Moved"));
    let t = l["nextSyncToken"].as_str().unwrap().to_string();

    // The series shrinks to 2: the survivors are reported, the other two as cancelled.
    let r = emu.api(
        "PATCH",
        &format!("{EVENTS}/sr00000000"),
        &token,
        Some(&json!({"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"], "summary": "Daily"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let l = sync(&t);
    let by_id: Vec<(String, String)> = l["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().into(),
                i["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(by_id.len(), 4, "{by_id:?}");
    for (id, status) in &by_id {
        let gone = id.ends_with("0401T080000Z") || id.ends_with("0408T080000Z");
        assert_eq!(status, if gone { "cancelled" } else { "confirmed" }, "{id}");
    }
    let t = l["nextSyncToken"].as_str().unwrap().to_string();
    let r = emu.api(
        "GET",
        &format!("{EVENTS}?{}", form(&[("syncToken", &t)])),
        &token,
        None,
    );
    assert_eq!(r.status, 400, "the token pins singleEvents: {}", r.body);
    // Without expansion the master itself is the change; the pruned exception is cancelled.
    let flat = list(&emu, &token, &form(&[("syncToken", &flat_token)]));
    let mut got: Vec<(String, Value)> = flat["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_string(), i["status"].clone()))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            ("sr00000000".to_string(), json!("confirmed")),
            (
                "sr00000000_20240401T080000Z".to_string(),
                json!("cancelled")
            ),
        ]
    );

    // Series deleted in the UI: its occurrences come back cancelled.
    control_ok(&emu, "/control/delete_event", &json!({"id": "sr00000000"}));
    let l = sync(&t);
    assert_eq!(ids(&l).len(), 2);
    assert!(l["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == json!("cancelled")));
}

#[test]
fn calendar_list_and_scopes() {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    let r = emu.api("GET", CALENDARLIST, &token, None);
    assert_eq!(r.status, 200, "{}", r.body);
    let l = r.json();
    assert_eq!(l["kind"], json!("calendar#calendarList"));
    assert!(l["nextSyncToken"].is_string() && l["etag"].is_string());
    let items = l["items"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [ACCOUNT, SHARED, ROOM]
    );
    assert_eq!(items[0]["primary"], json!(true));
    assert_eq!(items[0]["accessRole"], json!("owner"));
    assert_eq!(items[0]["timeZone"], json!("Europe/Berlin"));
    assert_eq!(items[0]["selected"], json!(true));
    assert_eq!(items[0]["kind"], json!("calendar#calendarListEntry"));
    assert!(items[0]["backgroundColor"]
        .as_str()
        .unwrap()
        .starts_with('#'));
    assert_eq!(items[1]["summary"], json!("Team"));
    assert_eq!(items[1]["accessRole"], json!("writer"));
    assert!(items[1].get("primary").is_none());
    assert_eq!(items[2]["summary"], json!("Room 6300"));
    assert_eq!(items[2]["accessRole"], json!("reader"));

    let get = |t: &str, q: &str| emu.api("GET", &format!("{CALENDARLIST}?{q}"), t, None);
    assert_eq!(
        get(&token, "minAccessRole=writer").json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let p1 = get(&token, "maxResults=2").json();
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    assert!(p1.get("nextSyncToken").is_none());
    let p2 = get(
        &token,
        &form(&[
            ("maxResults", "2"),
            ("pageToken", p1["nextPageToken"].as_str().unwrap()),
        ]),
    )
    .json();
    assert_eq!(p2["items"][0]["id"], json!(ROOM));
    let st = p2["nextSyncToken"].as_str().unwrap();
    let inc = get(&token, &form(&[("syncToken", st)]));
    assert_eq!(inc.status, 200, "{}", inc.body);
    assert_eq!(inc.json()["items"], json!([]));
    assert_eq!(
        get(
            &token,
            &form(&[("syncToken", st), ("minAccessRole", "owner")])
        )
        .status,
        400
    );
    assert_eq!(get(&token, "syncToken=nonsense").status, 410);
    assert_eq!(get(&token, "bogus=1").status, 400);

    // The events scope does not cover the calendar list...
    let events_only = emu.access_token(EVENTS_SCOPE);
    assert_eq!(
        get(&events_only, "").json(),
        json!({"error":{"errors":[{"domain":"global","reason":"insufficientPermissions","message":"Insufficient Permission"}],"code":403,"message":"Request had insufficient authentication scopes."}})
    );
    // ...but the calendarlist scopes and calendar.readonly do.
    for scope in [
        "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
        "https://www.googleapis.com/auth/calendar.calendarlist",
        READONLY_SCOPE,
    ] {
        let t = emu.access_token(scope);
        assert_eq!(get(&t, "").status, 200, "{scope}");
    }

    // Shared and room calendars: readable with the events scope; the room is read-only.
    let room = format!("/calendars/{}/events", enc(ROOM));
    let r = emu.api("GET", &room, &events_only, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["summary"], json!("Room 6300"));
    assert_eq!(r.json()["accessRole"], json!("reader"));
    let ev = timed("room000001", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z");
    let r = emu.api("POST", &room, &events_only, Some(&ev));
    assert_api_error(
        &r,
        403,
        "requiredAccessLevel",
        "You need to have writer access to this calendar.",
    );
    let shared = format!("/calendars/{}/events", enc(SHARED));
    let r = emu.api("POST", &shared, &events_only, Some(&ev));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["organizer"]["email"], json!(SHARED));
    assert_eq!(r.json()["creator"]["email"], json!(ACCOUNT));
    let l = emu.api("GET", &shared, &events_only, None).json();
    assert_eq!(l["summary"], json!("Team"));
    assert_eq!(ids(&l), ["room000001"]);
    assert_eq!(
        emu.control("GET", "/control/requests", &json!({})).json()["calendarList.list"],
        json!(12)
    );
}

#[test]
fn event_types_and_presence_shapes() {
    let (emu, token) = setup();
    let day = |s: &str, e: &str| json!({"start": {"dateTime": s}, "end": {"dateTime": e}});
    let mut ooo = day("2030-03-01T09:00:00+01:00", "2030-03-01T17:00:00+01:00");
    ooo["eventType"] = json!("outOfOffice");
    ooo["outOfOfficeProperties"] =
        json!({"autoDeclineMode": "declineAllConflictingInvitations", "declineMessage": "Away"});
    let ooo = insert(&emu, &token, &ooo);
    assert_eq!(ooo["eventType"], json!("outOfOffice"));

    let wl = insert(
        &emu,
        &token,
        &json!({"eventType": "workingLocation", "start": {"date": "2030-03-02"},
                "end": {"date": "2030-03-03"}, "transparency": "transparent", "visibility": "public",
                "workingLocationProperties": {"type": "homeOffice", "homeOffice": {}}}),
    );
    assert_eq!(wl["transparency"], json!("transparent"));
    let mut focus = day("2030-03-04T09:00:00Z", "2030-03-04T11:00:00Z");
    focus["eventType"] = json!("focusTime");
    focus["focusTimeProperties"] = json!({"chatStatus": "doNotDisturb"});
    insert(&emu, &token, &focus);
    let mut tentative = day("2030-03-05T09:00:00Z", "2030-03-05T10:00:00Z");
    tentative["status"] = json!("tentative");
    tentative["transparency"] = json!("opaque");
    tentative["visibility"] = json!("default");
    tentative["attendees"] = json!([{"email": ACCOUNT, "responseStatus": "declined"},
                                    {"email": "dutch@mycompanyabc.com"}]);
    let t = insert(&emu, &token, &tentative);
    assert_eq!(t["status"], json!("tentative"));
    assert!(t.get("transparency").is_none(), "default opaque is omitted");
    assert!(t.get("visibility").is_none());
    assert_eq!(t["attendees"][0]["self"], json!(true));
    assert_eq!(t["attendees"][0]["responseStatus"], json!("declined"));
    assert!(t["attendees"][1].get("self").is_none());
    assert_eq!(t["eventType"], json!("default"));

    let mut gmail = day("2030-03-06T09:00:00Z", "2030-03-06T10:00:00Z");
    gmail["eventType"] = json!("fromGmail");
    assert_api_error(
        &emu.api("POST", EVENTS, &token, Some(&gmail)),
        400,
        "invalid",
        "Event type fromGmail cannot be created.",
    );

    let types = |q: &str| -> Vec<String> {
        list(&emu, &token, q)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["eventType"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(types("eventTypes=outOfOffice"), ["outOfOffice"]);
    assert_eq!(
        types("eventTypes=workingLocation&eventTypes=focusTime"),
        ["workingLocation", "focusTime"]
    );
    assert_eq!(types("").len(), 4);
}

#[test]
fn put_event_round_trips_unknown_shapes() {
    let (emu, token) = setup();
    let full = list(&emu, &token, "");
    let t = full["nextSyncToken"].as_str().unwrap().to_string();
    let put = control_ok(
        &emu,
        "/control/put_event",
        &json!({"calendar": "primary", "event": {
            "id": "gmail00001",
            "eventType": "fromGmail",
            "summary": "Flight LH 123",
            "start": {"dateTime": "2030-04-01T08:00:00+02:00"},
            "end": {"dateTime": "2030-04-01T10:00:00+02:00"},
            "organizer": {"email": "unknownorganizer@calendar.google.com", "displayName": "Lufthansa"},
            "futureField": {"x": 1},
        }}),
    );
    assert_eq!(put["kind"], json!("calendar#event"));
    assert!(put["etag"].is_string() && put["htmlLink"].is_string());
    control_ok(
        &emu,
        "/control/put_event",
        &json!({"event": {"id": "new0000001", "eventType": "somethingNew", "visibility": "secret",
                          "start": {"date": "2030-04-02"}, "end": {"date": "2030-04-03"}}}),
    );
    let l = list(&emu, &token, &form(&[("syncToken", &t)]));
    assert_eq!(ids(&l), ["gmail00001", "new0000001"]);
    let g = &l["items"][0];
    assert_eq!(g["futureField"], json!({"x": 1}));
    assert_eq!(g["eventType"], json!("fromGmail"));
    assert_eq!(g["organizer"]["displayName"], json!("Lufthansa"));
    assert_eq!(l["items"][1]["eventType"], json!("somethingNew"));
    assert_eq!(l["items"][1]["visibility"], json!("secret"));
    let r = emu.api("GET", &format!("{EVENTS}/gmail00001"), &token, None);
    assert_eq!(r.json()["futureField"], json!({"x": 1}));

    // Re-putting replaces; editing keeps unknown fields and the foreign organizer.
    let e = control_ok(
        &emu,
        "/control/edit_event",
        &json!({"id": "gmail00001", "patch": {"summary": "Flight LH 124"}}),
    );
    assert_eq!(e["futureField"], json!({"x": 1}));
    assert_eq!(
        e["organizer"]["email"],
        json!("unknownorganizer@calendar.google.com")
    );
    assert_ne!(e["etag"], put["etag"]);
    assert_eq!(
        emu.control(
            "POST",
            "/control/edit_event",
            &json!({"id": "nope000000", "patch": {}})
        )
        .status,
        404
    );
    assert_eq!(
        emu.control(
            "POST",
            "/control/put_event",
            &json!({"calendar": "x@y.z", "event": {}})
        )
        .status,
        404
    );
}
