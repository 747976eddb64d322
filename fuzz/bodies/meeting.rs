//! A PBX meeting with every field, structure-aware (times, zones,
//! recurrence and e-mails mostly well-formed so the checks behind them are
//! reached, sometimes raw), two ways:
//!
//! 1. through gs_gcal_push_meeting (then gs_gcal_cancel_meeting) on a handle
//!    without an OAuth client: everything is validated and the event built
//!    as for a real push, which then queues (GS_GCAL_QUEUED, no network);
//! 2. through the same `prepare` the push runs (fuzzing::prepare_meeting):
//!    the request body must be JSON serde_json writes byte for byte, with
//!    what Google's Calendar v3 schema requires.
//!
//! Both must agree: a meeting the C call accepts, `prepare` accepts.

use super::common::{c, check_code, is_wall_time, scratch, Handle};
use arbitrary::{Arbitrary, Unstructured};
use ::gs_gcal::errors::*;
#[allow(unused_imports)]
use std::result::Result;
use ::gs_gcal::ffi::*;
use ::gs_gcal::fuzzing as f;
use ::gs_gcal::meeting::recurrence::{End, Freq, MonthlyBy, Repeat};
use ::gs_gcal::meeting::{Meeting, Person};
use std::cell::RefCell;
use std::ffi::CString;
use std::path::{Path, PathBuf};

const ZONES: &[&str] = &[
    "UTC", "Etc/GMT-1", "Etc/GMT+12", "Etc/GMT-14", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
    "Pacific/Kiritimati", "Asia/Kolkata", "America/Sao_Paulo", "Antarctica/Troll", "Europe/Dublin",
    "Pacific/Apia", "America/St_Johns", "Asia/Kathmandu", "Africa/Casablanca", "Europe/London",
];
const ZONEINFO: &str = "/usr/share/zoneinfo";

#[derive(Arbitrary, Debug)]
enum Wall {
    At { y: u16, mo: u8, d: u8, h: u8, mi: u8, s: Option<u8> },
    Raw(String),
}

impl Wall {
    fn text(&self, time_only: bool) -> String {
        match self {
            Wall::At { y, mo, d, h, mi, s } => {
                let (y, mo, d, h, mi) = (1970 + y % 130, 1 + mo % 13, 1 + d % 32, h % 25, mi % 61);
                let sec = s.map(|s| format!(":{:02}", s % 61)).unwrap_or_default();
                if time_only {
                    format!("{h:02}:{mi:02}{sec}")
                } else {
                    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}{sec}")
                }
            }
            Wall::Raw(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Zone {
    Known(u8),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Email {
    None,
    Made { local: u8, domain: u8 },
    Raw(String),
}

impl Email {
    fn text(&self) -> Option<String> {
        let locals = ["a", "arthur.morgan", "x+tag", "A.B", "1001", "o'brien", ".bad", "a..b"];
        let domains = ["example.com", "mycompanyabc.com", "xn--bcher-kva.example", "localhost", "-x.com", "a.b.c.d.e"];
        match self {
            Email::None => None,
            Email::Made { local, domain } => Some(format!(
                "{}@{}",
                locals[*local as usize % locals.len()],
                domains[*domain as usize % domains.len()]
            )),
            Email::Raw(s) => Some(s.clone()),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct P {
    name: Option<String>,
    email: Email,
    flags: u8,
}

#[derive(Arbitrary, Debug)]
pub struct Input {
    meeting_id: String,
    subject: Option<String>,
    start: Wall,
    end: Wall,
    end_time_only: bool,
    zone: Zone,
    room: Option<String>,
    agenda: Option<String>,
    host: P,
    invitees: Vec<P>,
    reminder: u16,
    password: Option<String>,
    share: bool,
    raw_flags: Option<u32>,
    repeat: u8,
    interval: u8,
    weekdays: u8,
    raw_weekdays: Option<u32>,
    repeat_end: u8,
    count: u16,
    until: Wall,
    occurrence: Option<Wall>,
    instance_id: u8,
    cancel_id: Option<String>,
}

struct Scratch {
    dir: PathBuf,
    h: Option<Handle>,
}

thread_local! {
    static SCRATCH: RefCell<Option<Scratch>> = const { RefCell::new(None) };
}

fn with_handle<T>(f: impl FnOnce(&Handle) -> T) -> T {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let s = s.get_or_insert_with(|| Scratch { dir: scratch("meeting"), h: None });
        if s.h.is_none() {
            let _ = std::fs::remove_dir_all(&s.dir);
            let h = Handle::open(&s.dir).expect("open");
            h.offline();
            s.h = Some(h);
        }
        let out = f(s.h.as_ref().unwrap());
        out
    })
}

/// After anything was queued: start over with an empty outbox.
fn reset() {
    SCRATCH.with(|s| {
        if let Some(s) = s.borrow_mut().as_mut() {
            s.h = None;
        }
    })
}

pub fn run(data: &[u8]) {
    let Ok(i) = Input::arbitrary_take_rest(Unstructured::new(data)) else { return };
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        eprintln!("{i:#?}");
    }
    let cut = |s: &str| s.split('\0').next().unwrap_or("").to_owned();
    let opt = |s: &Option<String>| s.as_deref().map(cut);
    let time_zone = match &i.zone {
        Zone::Known(k) => ZONES[*k as usize % ZONES.len()].to_owned(),
        Zone::Raw(s) => cut(s),
    };
    let person = |p: &P| Person { name: opt(&p.name).unwrap_or_default(), email: p.email.text().map(|e| cut(&e)) };
    let weekdays = i.raw_weekdays.unwrap_or(u32::from(i.weekdays & 0x7f));
    let flags = i.raw_flags.unwrap_or(u32::from(i.share));
    let repeat = u32::from(i.repeat % 8);
    let repeat_end = u32::from(i.repeat_end % 4);
    let until = cut(&i.until.text(false)).chars().take(10).collect::<String>();
    let occurrence = i.occurrence.as_ref().map(|w| cut(&w.text(false)));
    let m = Meeting {
        meeting_id: cut(&i.meeting_id),
        subject: opt(&i.subject).unwrap_or_default(),
        start: cut(&i.start.text(false)),
        end: cut(&i.end.text(i.end_time_only)),
        time_zone,
        room: opt(&i.room),
        agenda: opt(&i.agenda),
        host: {
            let h = person(&i.host);
            (h.email.is_some() || !h.name.is_empty()).then_some(h)
        },
        invitees: i.invitees.iter().map(person).collect(),
        email_reminder_minutes: u32::from(i.reminder) * 3,
        participant_password: opt(&i.password),
        share_participant_password: flags & 1 != 0,
        repeat: None,
        occurrence: occurrence.clone(),
    };
    let instance_id = ["", "pbx1", "UCM6300-A"][i.instance_id as usize % 3];

    // --- 1. the C call --------------------------------------------------------
    let cs = |s: &str| c(s);
    let copt = |s: &Option<String>| s.as_deref().map(c);
    let (id, subject, start, end, tz) = (cs(&m.meeting_id), copt(&i.subject.as_deref().map(cut)), cs(&m.start), cs(&m.end), cs(&m.time_zone));
    let (room, agenda, password) = (copt(&m.room), copt(&m.agenda), copt(&m.participant_password));
    let (until_c, occ_c) = (cs(&until), occurrence.as_deref().map(c));
    let people: Vec<(Option<CString>, Option<CString>, u32)> = std::iter::once(&i.host)
        .chain(&i.invitees)
        .map(|p| (copt(&p.name.as_deref().map(cut)), p.email.text().map(|e| c(&e)), u32::from(p.flags % 4 == 3)))
        .collect();
    let ptr = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    let cperson = |p: &(Option<CString>, Option<CString>, u32)| gs_gcal_person { name: ptr(&p.0), email: ptr(&p.1), flags: p.2 };
    let invitees: Vec<gs_gcal_person> = people[1..].iter().map(cperson).collect();
    let cm = gs_gcal_meeting {
        struct_size: std::mem::size_of::<gs_gcal_meeting>() as u32,
        meeting_id: id.as_ptr(),
        subject: ptr(&subject),
        start: start.as_ptr(),
        end: end.as_ptr(),
        time_zone: tz.as_ptr(),
        room: ptr(&room),
        agenda: ptr(&agenda),
        host: cperson(&people[0]),
        invitees: if invitees.is_empty() { std::ptr::null() } else { invitees.as_ptr() },
        invitee_count: invitees.len(),
        email_reminder_minutes: m.email_reminder_minutes,
        participant_password: ptr(&password),
        flags,
        repeat,
        repeat_interval: u32::from(i.interval),
        repeat_weekdays: weekdays,
        repeat_end,
        repeat_count: u32::from(i.count),
        repeat_until: until_c.as_ptr(),
        occurrence: occ_c.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
    };
    // SAFETY: an all-zero push result is valid; struct_size set below.
    let mut out: gs_gcal_push_result = unsafe { std::mem::zeroed() };
    out.struct_size = std::mem::size_of::<gs_gcal_push_result>() as u32;
    let mut skipped = vec![usize::MAX; invitees.len() + 1];
    let r = with_handle(|h| {
        assert_eq!(h.set_option("instance_id", instance_id), GS_GCAL_OK);
        // SAFETY: every pointer above lives until the end of this function.
        unsafe { gs_gcal_push_meeting(h.0, &cm, &mut out, skipped.as_mut_ptr(), skipped.len()) }
    });
    check_code("gs_gcal_push_meeting", r);
    assert_ne!(r, GS_GCAL_OK, "pushed without an OAuth client");

    // --- 2. the pure path -------------------------------------------------------
    // The C struct's repeat fields as the FFI reads them (unknown values
    // are its to refuse, checked above by the code).
    let c_only_refusal = flags > 1
        || people.iter().any(|p| p.2 != 0)
        || repeat > 6
        || (repeat != 0 && ((repeat != 3 && weekdays > 0xff) || repeat_end > 2))
        || (repeat != 0 && repeat_end == 2 && until.len() != 10);
    if c_only_refusal {
        assert!(r >= 100 && r < 200, "the C call accepted what it must refuse: {r}");
        return;
    }
    let mut m = m;
    if repeat != 0 {
        let freq = [Freq::Daily, Freq::Weekly, Freq::Weekly, Freq::Monthly, Freq::Monthly, Freq::Yearly][repeat as usize - 1];
        let by = if repeat == 5 { MonthlyBy::NthWeekday } else { MonthlyBy::DayOfMonth };
        let end = match repeat_end {
            0 => End::Never,
            1 => End::Count(u32::from(i.count)),
            _ => match ::gs_gcal::meeting::localtime::parse_date_field("repeat_until", &until) {
                Ok(d) => End::Until(d),
                Err(_) => {
                    assert!(r >= 100 && r < 200, "repeat_until {until:?} refused by prepare, not by C: {r}");
                    return;
                }
            },
        };
        let weekdays = if repeat == 3 { 0x1f } else { weekdays as u8 };
        m.repeat = Some(Repeat { freq, interval: u32::from(i.interval).max(1), weekdays, monthly_by: by, end });
    }
    let zone = f::zone_named(Path::new(ZONEINFO), &m.time_zone);
    let prepared = zone.and_then(|z| f::prepare_meeting(&m, instance_id, z.as_ref()));
    let accepted = !(100..200).contains(&r);
    match &prepared {
        Ok((event_id, target_id, skipped_invitees, body)) => {
            assert!(accepted || r == GS_GCAL_TOO_LONG, "prepare accepts what the C call refuses with {r}");
            check_event(&m, event_id, target_id, body);
            if accepted {
                // SAFETY: the library NUL-terminates event_id.
                let got = unsafe { std::ffi::CStr::from_ptr(out.event_id.as_ptr()) }.to_str().unwrap().to_owned();
                assert_eq!(&got, target_id, "the queued push reports another event id");
                assert_eq!(out.skipped_count, skipped_invitees.len());
                assert_eq!(&skipped[..skipped_invitees.len()], &skipped_invitees[..]);
            }
        }
        Err(code) => {
            check_code("prepare", *code);
            assert!(!accepted, "the C call accepts ({r}) what prepare refuses with {code}");
        }
    }

    // --- cancel, the same meeting and any id ---------------------------------------
    if accepted {
        let occ = occ_c.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
        // SAFETY: valid C strings.
        let r = with_handle(|h| unsafe { gs_gcal_cancel_meeting(h.0, id.as_ptr(), occ, tz.as_ptr()) });
        check_code("gs_gcal_cancel_meeting", r);
        assert!(r == GS_GCAL_QUEUED || r == GS_GCAL_OK, "cancel after a queued push: {r}");
    }
    if let Some(other) = &i.cancel_id {
        let other = c(other);
        // SAFETY: valid C strings.
        let r = with_handle(|h| unsafe { gs_gcal_cancel_meeting(h.0, other.as_ptr(), occ_c.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()), tz.as_ptr()) });
        check_code("gs_gcal_cancel_meeting", r);
        assert_ne!(r, GS_GCAL_OK);
    }
    if accepted || i.cancel_id.is_some() {
        with_handle(|h| {
            h.status();
        });
        reset();
    }
}

/// The request body: JSON that serde_json writes byte for byte (sorted
/// keys, its escapes), with the members Calendar v3 requires.
fn check_event(m: &Meeting, event_id: &str, target_id: &str, body: &[u8]) {
    let v: serde_json::Value = serde_json::from_slice(body).expect("the event body is JSON");
    assert_eq!(serde_json::to_vec(&v).unwrap(), body, "the body is not what serde_json writes");
    for k in ["start", "end"] {
        let w = &v[k];
        let dt = w["dateTime"].as_str().unwrap_or_else(|| panic!("{k}.dateTime missing"));
        assert!(is_wall_time(dt), "{k}.dateTime {dt:?}");
        assert_eq!(w["timeZone"].as_str(), Some(m.time_zone.as_str()));
    }
    assert!(v["start"]["dateTime"].as_str() < v["end"]["dateTime"].as_str(), "end not after start: {v}");
    assert_eq!(v["summary"].as_str(), Some(m.subject.as_str()));
    assert_eq!(v["extendedProperties"]["private"]["gsGcalMeetingId"].as_str(), Some(m.meeting_id.as_str()));
    assert_eq!(v["reminders"]["useDefault"], false);
    // Google's event ids: base32hex (a–v, 0–9), 5 to 1024 characters.
    let ok_id = |s: &str| (5..=1024).contains(&s.len()) && s.bytes().all(|b| matches!(b, b'a'..=b'v' | b'0'..=b'9'));
    assert!(ok_id(event_id), "event id {event_id:?}");
    assert!(event_id.len() < GS_GCAL_EVENT_ID_SIZE, "event id {event_id:?} does not fit GS_GCAL_EVENT_ID_SIZE");
    match &m.occurrence {
        None => {
            assert_eq!(v["id"].as_str(), Some(event_id));
            assert_eq!(target_id, event_id);
        }
        Some(_) => {
            assert!(v.get("id").is_none(), "one occurrence carries an id");
            assert!(v.get("recurrence").is_none(), "one occurrence carries a rule");
            let suffix = target_id.strip_prefix(event_id).and_then(|s| s.strip_prefix('_')).expect("instance id");
            assert!(suffix.len() == 16 && suffix.ends_with('Z'), "instance id {target_id}");
            assert!(target_id.len() < GS_GCAL_EVENT_ID_SIZE, "instance id {target_id:?} does not fit");
        }
    }
    if let Some(r) = v.get("recurrence") {
        let lines = r.as_array().expect("recurrence is an array");
        assert_eq!(lines.len(), 1);
        let rule = lines[0].as_str().unwrap();
        assert!(rule.starts_with("RRULE:FREQ="), "{rule}");
        if let Some(n) = rule.split(';').find_map(|p| p.strip_prefix("COUNT=")) {
            let n: u32 = n.parse().expect("COUNT is a number");
            assert!((1..=1000).contains(&n), "{rule}");
        }
    }
    if let Some(a) = v.get("attendees") {
        let a = a.as_array().expect("attendees is an array");
        let mut seen: Vec<String> = Vec::new();
        for x in a {
            let e = x["email"].as_str().expect("attendee without email").to_ascii_lowercase();
            assert!(e.contains('@'), "attendee email {e:?}");
            assert!(!seen.contains(&e), "attendee {e} twice");
            seen.push(e);
        }
    }
    if let Some(o) = v["reminders"]["overrides"].as_array() {
        for x in o {
            assert!(x["minutes"].as_u64().is_some_and(|n| n <= 40_320));
        }
    }
}
