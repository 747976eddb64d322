//! Recurring events, instances, patch, delete/restore and the failure controls.

mod common;

use serde_json::{json, Value};

use common::*;

const EVENTS: &str = "/calendars/primary/events";

fn weekly(id: &str, rule: &str) -> Value {
    json!({
        "id": id,
        "summary": "Standup",
        "start": {"dateTime": "2024-03-18T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2024-03-18T10:30:00", "timeZone": "Europe/Berlin"},
        "recurrence": [rule],
        "extendedProperties": {"private": {"ucm_meeting_id": "7", "room": "6300"}},
        "attendees": [{"email": "dutch@mycompanyabc.com"}, {"email": "john@mycompanyabc.com"}],
    })
}

fn setup() -> (Emu, String) {
    let emu = Emu::start();
    let token = emu.access_token(CAL_SCOPE);
    (emu, token)
}

fn insert(emu: &Emu, token: &str, ev: &Value) -> Resp {
    emu.api("POST", EVENTS, token, Some(ev))
}

fn instances(emu: &Emu, token: &str, id: &str, query: &str) -> Value {
    let r = emu.api(
        "GET",
        &format!("{EVENTS}/{id}/instances{query}"),
        token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
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

#[test]
fn recurrence_validation() {
    let (emu, token) = setup();
    for (i, good) in [
        "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=10",
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20241231T230000Z",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;INTERVAL=2",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2TU;WKST=SU",
        "EXDATE;TZID=Europe/Berlin:20240325T100000",
        "RDATE:20240330T090000Z",
    ]
    .iter()
    .enumerate()
    {
        let r = insert(&emu, &token, &weekly(&format!("good{i}0000"), good));
        assert_eq!(r.status, 200, "{good}: {}", r.body);
    }
    for bad in [
        "DTSTART;TZID=Europe/Berlin:20240318T100000",
        "DTEND:20240318T093000Z",
        "RRULE:COUNT=5",
        "RRULE:FREQ=FORTNIGHTLY",
        "RRULE:FREQ=WEEKLY;COUNT=5;UNTIL=20241231T230000Z",
        "RRULE:FREQ=WEEKLY;UNTIL=20241231T230000",
        "RRULE:FREQ=WEEKLY;BYDAY=2TU",
        "RRULE:FREQ=MONTHLY;BYDAY=1XY",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=32",
        "RRULE:FREQ=WEEKLY;INTERVAL=0",
        "RRULE:FREQ=WEEKLY;COLOR=RED",
        "EXDATE;TZID=Europe/Nowhere:20240325T100000",
        "rubbish",
    ] {
        assert_api_error(
            &insert(&emu, &token, &weekly("badbad0000", bad)),
            400,
            "invalid",
            "Invalid recurrence rule.",
        );
    }
    // The rule is expanded in start.timeZone, which is therefore required.
    let mut no_tz = weekly("nt00000000", "RRULE:FREQ=DAILY;COUNT=2");
    no_tz["start"] = json!({"dateTime": "2024-03-18T10:00:00+01:00"});
    no_tz["end"] = json!({"dateTime": "2024-03-18T10:30:00+01:00"});
    assert_api_error(
        &insert(&emu, &token, &no_tz),
        400,
        "required",
        "Missing time zone definition for start time.",
    );
    // Update and patch validate the rule too.
    let path = format!("{EVENTS}/good00000");
    assert_api_error(
        &emu.api(
            "PUT",
            &path,
            &token,
            Some(&weekly("good00000", "RRULE:FREQ=DAILY;BYHOUR=3")),
        ),
        400,
        "invalid",
        "Invalid recurrence rule.",
    );
    assert_api_error(
        &emu.api(
            "PATCH",
            &path,
            &token,
            Some(&json!({"recurrence": ["DTSTART:20240318T090000Z"]})),
        ),
        400,
        "invalid",
        "Invalid recurrence rule.",
    );
}

#[test]
fn expansion_counts_and_ids() {
    let (emu, token) = setup();
    // Weekly Mon/Wed/Fri, 7 occurrences from Monday 2024-03-18 10:00 Berlin.
    insert(
        &emu,
        &token,
        &weekly("ee00000000", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=7"),
    );
    let list = instances(&emu, &token, "ee00000000", "");
    assert_eq!(list["kind"], json!("calendar#events"));
    assert_eq!(list["timeZone"], json!("Europe/Berlin"));
    assert_eq!(
        ids(&list),
        [
            "ee00000000_20240318T090000Z",
            "ee00000000_20240320T090000Z",
            "ee00000000_20240322T090000Z",
            "ee00000000_20240325T090000Z",
            "ee00000000_20240327T090000Z",
            "ee00000000_20240329T090000Z",
            // After the switch to summer time on 2024-03-31: 10:00 CEST = 08:00Z.
            "ee00000000_20240401T080000Z",
        ]
    );

    // The 31st of every month skips months without one.
    let mut monthly = weekly("mo00000000", "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4");
    monthly["start"] = json!({"dateTime": "2024-01-31T10:00:00", "timeZone": "Etc/GMT-1"});
    monthly["end"] = json!({"dateTime": "2024-01-31T11:00:00", "timeZone": "Etc/GMT-1"});
    assert_eq!(insert(&emu, &token, &monthly).status, 200);
    assert_eq!(
        ids(&instances(&emu, &token, "mo00000000", "")),
        [
            "mo00000000_20240131T090000Z",
            "mo00000000_20240331T090000Z",
            "mo00000000_20240531T090000Z",
            "mo00000000_20240731T090000Z",
        ]
    );

    // Last Friday of the month, until the end of June (UTC UNTIL, inclusive).
    let mut last_fri = weekly(
        "lf00000000",
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20240628T080000Z",
    );
    last_fri["start"] = json!({"dateTime": "2024-01-26T09:00:00", "timeZone": "UTC"});
    last_fri["end"] = json!({"dateTime": "2024-01-26T09:30:00", "timeZone": "UTC"});
    assert_eq!(insert(&emu, &token, &last_fri).status, 200);
    let got = ids(&instances(&emu, &token, "lf00000000", ""));
    assert_eq!(
        got,
        [
            "lf00000000_20240126T090000Z",
            "lf00000000_20240223T090000Z",
            "lf00000000_20240329T090000Z",
            "lf00000000_20240426T090000Z",
            "lf00000000_20240531T090000Z",
        ],
        "2024-06-28 09:00Z is after UNTIL"
    );

    // Yearly on Feb 29: all-day, leap years only, ids are dates.
    let leap = json!({
        "id": "leap000000",
        "summary": "Leap day",
        "start": {"date": "2024-02-29"},
        "end": {"date": "2024-03-01"},
        "recurrence": ["RRULE:FREQ=YEARLY;COUNT=3"],
    });
    assert_eq!(insert(&emu, &token, &leap).status, 200);
    let list = instances(&emu, &token, "leap000000", "");
    assert_eq!(
        ids(&list),
        [
            "leap000000_20240229",
            "leap000000_20280229",
            "leap000000_20320229"
        ]
    );
    assert_eq!(list["items"][1]["start"], json!({"date": "2028-02-29"}));
    assert_eq!(list["items"][1]["end"], json!({"date": "2028-03-01"}));
    assert_eq!(
        list["items"][1]["originalStartTime"],
        json!({"date": "2028-02-29"})
    );

    // A never-ending rule is safe, pages, and honours the time window.
    insert(&emu, &token, &weekly("dd00000000", "RRULE:FREQ=DAILY"));
    let page = instances(
        &emu,
        &token,
        "dd00000000",
        "?timeMin=2030-01-01T00:00:00Z&timeMax=2030-01-11T00:00:00Z&maxResults=4",
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 4);
    assert_eq!(page["items"][0]["id"], json!("dd00000000_20300101T090000Z"));
    let token2 = page["nextPageToken"].as_str().unwrap().to_string();
    let mut seen = ids(&page);
    let mut next = Some(token2);
    while let Some(t) = next {
        let p = instances(
            &emu,
            &token,
            "dd00000000",
            &format!("?timeMin=2030-01-01T00:00:00Z&timeMax=2030-01-11T00:00:00Z&maxResults=4&pageToken={t}"),
        );
        seen.extend(ids(&p));
        next = p["nextPageToken"].as_str().map(String::from);
    }
    assert_eq!(seen.len(), 10);
    // timeMin is an exclusive bound on the END: the 09:00–09:30Z instance overlaps 09:10Z.
    let p = instances(
        &emu,
        &token,
        "dd00000000",
        "?timeMin=2030-01-01T09:10:00Z&timeMax=2030-01-02T09:00:00Z",
    );
    assert_eq!(ids(&p), ["dd00000000_20300101T090000Z"]);
    let p = instances(
        &emu,
        &token,
        "dd00000000",
        "?originalStart=2030-01-05T10:00:00%2B01:00",
    );
    assert_eq!(ids(&p), ["dd00000000_20300105T090000Z"]);
    assert_api_error(
        &emu.api(
            "GET",
            &format!("{EVENTS}/dd00000000/instances?timeMin=2030-01-01T00:00:00"),
            &token,
            None,
        ),
        400,
        "badRequest",
        "Bad Request",
    );
    assert_eq!(
        emu.control("GET", "/control/requests", &json!({})).json()["events.instances"],
        json!(10)
    );
}

#[test]
fn instance_fields_across_dst() {
    let (emu, token) = setup();
    let master = insert(
        &emu,
        &token,
        &weekly("dst0000000", "RRULE:FREQ=WEEKLY;COUNT=4"),
    )
    .json();
    let list = instances(&emu, &token, "dst0000000", "");
    let items = list["items"].as_array().unwrap();
    assert_eq!(
        ids(&list),
        [
            "dst0000000_20240318T090000Z",
            "dst0000000_20240325T090000Z",
            "dst0000000_20240401T080000Z",
            "dst0000000_20240408T080000Z",
        ]
    );
    let before = &items[1];
    let after = &items[2];
    assert_eq!(
        before["start"],
        json!({"dateTime": "2024-03-25T10:00:00+01:00", "timeZone": "Europe/Berlin"})
    );
    assert_eq!(
        after["start"],
        json!({"dateTime": "2024-04-01T10:00:00+02:00", "timeZone": "Europe/Berlin"})
    );
    assert_eq!(
        after["end"],
        json!({"dateTime": "2024-04-01T10:30:00+02:00", "timeZone": "Europe/Berlin"})
    );
    assert_eq!(after["originalStartTime"], after["start"]);
    assert_eq!(after["recurringEventId"], json!("dst0000000"));
    assert!(after.get("recurrence").is_none());
    assert_eq!(after["iCalUID"], master["iCalUID"]);
    assert_eq!(after["summary"], json!("Standup"));
    // An unmodified instance can be fetched by id; a non-occurrence cannot.
    let r = emu.api(
        "GET",
        &format!("{EVENTS}/dst0000000_20240401T080000Z"),
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), *after);
    for missing in [
        "dst0000000_20240401T090000Z", // wrong hour after the DST change
        "dst0000000_20240415T080000Z", // after COUNT
        "dst0000000_20240402T080000Z",
        "dst0000000_20240401",
        "nosuch0000_20240401T080000Z",
    ] {
        assert_api_error(
            &emu.api("GET", &format!("{EVENTS}/{missing}"), &token, None),
            404,
            "notFound",
            "Not Found",
        );
    }
}

#[test]
fn edit_and_cancel_one_instance() {
    let (emu, token) = setup();
    insert(
        &emu,
        &token,
        &weekly("ser0000000", "RRULE:FREQ=WEEKLY;COUNT=4"),
    );
    let second = format!("{EVENTS}/ser0000000_20240325T090000Z");
    let third = format!("{EVENTS}/ser0000000_20240401T080000Z");

    // PATCH one occurrence: moved by an hour, new title.
    let r = emu.api(
        "PATCH",
        &second,
        &token,
        Some(&json!({
            "summary": "Standup (moved)",
            "start": {"dateTime": "2024-03-25T11:00:00+01:00"},
            "end": {"dateTime": "2024-03-25T11:30:00+01:00"},
        })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let ex = r.json();
    assert_eq!(ex["id"], json!("ser0000000_20240325T090000Z"));
    assert_eq!(ex["recurringEventId"], json!("ser0000000"));
    assert_eq!(
        ex["originalStartTime"],
        json!({"dateTime": "2024-03-25T10:00:00+01:00", "timeZone": "Europe/Berlin"})
    );
    assert_eq!(ex["summary"], json!("Standup (moved)"));
    assert_eq!(
        ex["start"]["timeZone"],
        json!("Europe/Berlin"),
        "start merged"
    );

    // PUT another occurrence (full body).
    let mut body = weekly("ignored", "");
    body.as_object_mut().unwrap().remove("id");
    body.as_object_mut().unwrap().remove("recurrence");
    body["summary"] = json!("Standup (replaced)");
    body["start"] = json!({"dateTime": "2024-04-01T10:00:00", "timeZone": "Europe/Berlin"});
    body["end"] = json!({"dateTime": "2024-04-01T10:45:00", "timeZone": "Europe/Berlin"});
    let r = emu.api("PUT", &third, &token, Some(&body));
    assert_eq!(r.status, 200, "{}", r.body);

    let list = instances(&emu, &token, "ser0000000", "");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[1], ex, "instances shows the stored exception");
    assert_eq!(items[2]["summary"], json!("Standup (replaced)"));
    assert_eq!(items[3]["summary"], json!("Standup"));

    // Cancel the first occurrence: gone unless showDeleted.
    let first = format!("{EVENTS}/ser0000000_20240318T090000Z");
    assert_eq!(emu.api("DELETE", &first, &token, None).status, 204);
    assert_eq!(
        ids(&instances(&emu, &token, "ser0000000", "")),
        [
            "ser0000000_20240325T090000Z",
            "ser0000000_20240401T080000Z",
            "ser0000000_20240408T080000Z",
        ]
    );
    let all = instances(&emu, &token, "ser0000000", "?showDeleted=true");
    assert_eq!(all["items"][0]["status"], json!("cancelled"));
    assert_eq!(all["items"][0]["recurringEventId"], json!("ser0000000"));
    let got = emu.api("GET", &first, &token, None).json();
    assert_eq!(got["status"], json!("cancelled"));
    assert_api_error(
        &emu.api("DELETE", &first, &token, None),
        410,
        "deleted",
        "Resource has been deleted",
    );
    // Deleting a time that is not an occurrence.
    assert_api_error(
        &emu.api(
            "DELETE",
            &format!("{EVENTS}/ser0000000_20240319T090000Z"),
            &token,
            None,
        ),
        404,
        "notFound",
        "Not Found",
    );
    // The master is untouched.
    let master = emu
        .api("GET", &format!("{EVENTS}/ser0000000"), &token, None)
        .json();
    assert_eq!(master["status"], json!("confirmed"));
    assert_eq!(master["sequence"], json!(0));

    // Changing the master's rule keeps exceptions that are still occurrences.
    let r = emu.api(
        "PUT",
        &format!("{EVENTS}/ser0000000"),
        &token,
        Some(&weekly("ser0000000", "RRULE:FREQ=WEEKLY;COUNT=2")),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let stored = emu.control("GET", "/control/events", &json!({})).json();
    let ids_stored: Vec<&str> = stored[ACCOUNT]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids_stored,
        [
            "ser0000000",
            "ser0000000_20240325T090000Z",
            "ser0000000_20240318T090000Z"
        ]
    );
    let counters = emu.control("GET", "/control/requests", &json!({})).json();
    assert_eq!(counters["events.patch"], json!(1));
    assert_eq!(counters["events.delete"], json!(3));
    assert_eq!(counters["events.update"], json!(2));
}

#[test]
fn patch_semantics() {
    let (emu, token) = setup();
    let first = insert(
        &emu,
        &token,
        &weekly("pat0000000", "RRULE:FREQ=WEEKLY;COUNT=4"),
    )
    .json();
    let path = format!("{EVENTS}/pat0000000");
    let r = emu.api(
        "PATCH",
        &format!("{path}?sendUpdates=all"),
        &token,
        Some(&json!({
            "description": "agenda",
            "extendedProperties": {"private": {"room": "6301", "pin": "1234"}},
            "attendees": [{"email": "sadie@mycompanyabc.com"}],
            "location": null,
        })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let p = r.json();
    assert_eq!(p["summary"], json!("Standup"), "untouched fields stay");
    assert_eq!(p["description"], json!("agenda"));
    assert_eq!(
        p["extendedProperties"]["private"],
        json!({"ucm_meeting_id": "7", "room": "6301", "pin": "1234"}),
        "objects merge"
    );
    assert_eq!(
        p["attendees"],
        json!([{"email": "sadie@mycompanyabc.com", "responseStatus": "needsAction"}]),
        "arrays are replaced"
    );
    assert_eq!(p["recurrence"], first["recurrence"]);
    assert_eq!(p["sequence"], json!(1));
    assert_eq!(p["created"], first["created"]);
    assert_ne!(p["etag"], first["etag"]);

    // null removes a field.
    let r = emu.api("PATCH", &path, &token, Some(&json!({"description": null})));
    assert!(r.json().get("description").is_none());

    // The merged result is validated.
    assert_api_error(
        &emu.api(
            "PATCH",
            &path,
            &token,
            Some(&json!({"end": {"dateTime": "2024-03-18T09:00:00"}})),
        ),
        400,
        "timeRangeEmpty",
        "The specified time range is empty.",
    );
    assert_api_error(
        &emu.api("PATCH", &path, &token, Some(&json!({"sumary": "x"}))),
        400,
        "invalid",
        "Invalid JSON payload received. Unknown name \"sumary\": Cannot find field.",
    );

    // If-Match.
    let auth = format!("Bearer {token}");
    let patch_if = |etag: &str| {
        emu.https(
            "PATCH",
            &format!("/calendar/v3{path}"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
                ("If-Match", etag),
            ],
            json!({"summary": "Daily"}).to_string().as_bytes(),
        )
    };
    assert_api_error(
        &patch_if("\"1\""),
        412,
        "conditionNotMet",
        "Precondition Failed",
    );
    let current = emu.api("GET", &path, &token, None).json();
    let r = patch_if(current["etag"].as_str().unwrap());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["sequence"], json!(3));
    assert_api_error(
        &emu.api(
            "PATCH",
            &format!("{EVENTS}/nosuch0000"),
            &token,
            Some(&json!({"summary": "x"})),
        ),
        404,
        "notFound",
        "Not Found",
    );

    // Read-only tokens cannot patch.
    let ro = emu.access_token(READONLY_SCOPE);
    assert_eq!(
        emu.api("PATCH", &path, &ro, Some(&json!({"summary": "x"})))
            .status,
        403
    );
    assert_eq!(
        emu.api("GET", &format!("{path}/instances"), &ro, None)
            .status,
        200
    );

    let last = emu
        .control("GET", "/control/last_send_updates", &json!({}))
        .json();
    assert_eq!(last["events.insert"], json!(null));
    assert_eq!(last["events.patch"], json!(null), "last patch had none");
    let _ = emu.api(
        "DELETE",
        &format!("{path}?sendUpdates=externalOnly"),
        &token,
        None,
    );
    assert_eq!(
        emu.control("GET", "/control/last_send_updates", &json!({}))
            .json()["events.delete"],
        json!("externalOnly")
    );
}

fn single(id: &str) -> Value {
    json!({
        "id": id,
        "summary": "Board meeting",
        "start": {"dateTime": "2026-11-23T10:00:00+01:00"},
        "end": {"dateTime": "2026-11-23T11:00:00+01:00"},
    })
}

#[test]
fn delete_reuse_restore() {
    let (emu, token) = setup();
    let path = format!("{EVENTS}/del0000000");
    assert_eq!(insert(&emu, &token, &single("del0000000")).status, 200);
    assert_eq!(emu.api("DELETE", &path, &token, None).status, 204);
    let got = emu.api("GET", &path, &token, None).json();
    assert_eq!(got["status"], json!("cancelled"));
    assert_eq!(
        got["summary"],
        json!("Board meeting"),
        "organizer keeps details"
    );
    let r = emu.api("DELETE", &path, &token, None);
    assert_eq!(
        r.json(),
        json!({"error":{"errors":[{"domain":"global","reason":"deleted","message":"Resource has been deleted"}],
               "code":410,"message":"Resource has been deleted"}})
    );
    assert_api_error(
        &insert(&emu, &token, &single("del0000000")),
        409,
        "duplicate",
        "The requested identifier already exists.",
    );

    // The user deleted it in the UI: restoring is refused.
    assert_eq!(
        emu.control("POST", "/control/refuse_restore", &json!({"on": true}))
            .status,
        200
    );
    let mut restore = single("del0000000");
    restore["status"] = json!("confirmed");
    let r = emu.api("PUT", &path, &token, Some(&restore));
    assert_eq!(
        r.json(),
        json!({"error":{"errors":[{"domain":"global","reason":"forbidden","message":"Forbidden"}],
               "code":403,"message":"Forbidden"}})
    );
    assert_api_error(
        &emu.api(
            "PATCH",
            &path,
            &token,
            Some(&json!({"status": "confirmed"})),
        ),
        403,
        "forbidden",
        "Forbidden",
    );
    emu.control("POST", "/control/refuse_restore", &json!({"on": false}));

    // PATCH without status leaves it cancelled; PUT with confirmed restores it.
    let r = emu.api("PATCH", &path, &token, Some(&json!({"summary": "Board"})));
    assert_eq!(r.json()["status"], json!("cancelled"));
    let r = emu.api("PUT", &path, &token, Some(&restore));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], json!("confirmed"));

    // Deleted "in the Google UI" via the control port.
    let r = emu.control(
        "POST",
        "/control/delete_event",
        &json!({"calendar": "primary", "id": "del0000000"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        emu.api("GET", &path, &token, None).json()["status"],
        json!("cancelled")
    );
    assert_eq!(
        emu.control(
            "POST",
            "/control/delete_event",
            &json!({"calendar": ACCOUNT, "id": "nosuch0000"}),
        )
        .status,
        404
    );

    // Reset clears the toggles.
    emu.control("POST", "/control/refuse_restore", &json!({"on": true}));
    emu.control("POST", "/control/reset", &json!({}));
    let token = emu.access_token(CAL_SCOPE);
    insert(&emu, &token, &single("del0000000"));
    emu.api("DELETE", &path, &token, None);
    assert_eq!(
        emu.api("PUT", &path, &token, Some(&restore)).status,
        200,
        "refuse_restore was reset"
    );
    assert_eq!(
        emu.control("GET", "/control/last_send_updates", &json!({}))
            .json()["events.update"],
        json!(null)
    );
}

#[test]
fn drop_next_response() {
    let (emu, token) = setup();
    let r = emu.control("POST", "/control/drop_next_response", &json!({"count": 1}));
    assert_eq!(r.status, 200, "{}", r.body);
    let got = emu.api_raw("POST", EVENTS, &token, &single("drop000000"));
    assert!(
        got.is_empty(),
        "no answer: {}",
        String::from_utf8_lossy(&got)
    );
    // ...but the insert happened, so the retry is a duplicate and nothing extra exists.
    assert_api_error(
        &insert(&emu, &token, &single("drop000000")),
        409,
        "duplicate",
        "The requested identifier already exists.",
    );
    let stored = emu.control("GET", "/control/events", &json!({})).json();
    assert_eq!(stored[ACCOUNT].as_array().unwrap().len(), 1);
    assert_eq!(
        emu.control("GET", "/control/requests", &json!({})).json()["events.insert"],
        json!(2)
    );
    // Only one response was dropped.
    assert_eq!(
        emu.api("GET", &format!("{EVENTS}/drop000000"), &token, None)
            .status,
        200
    );
}
