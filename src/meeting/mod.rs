//! Pure meetings: the PBX's meeting as the firmware hands it over, its
//! validation, and its mapping to a Google Calendar event.

pub mod equivalent;
pub mod localtime;
pub mod zone;
pub mod recurrence;

use crate::errors::{Error, Result};

/// Where the PBX meeting id is kept on the event, so an event can always be
/// traced back to its meeting (and a 409 on our id recognised as ours).
pub(crate) const MEETING_ID_PROPERTY: &str = "gsGcalMeetingId";

pub(crate) const MAX_MEETING_ID: usize = 256;
pub(crate) const MAX_SUBJECT: usize = 1024;
pub(crate) const MAX_TEXT: usize = 8192;
pub(crate) const MAX_NAME: usize = 256;
pub(crate) const MAX_INVITEES: usize = 1000;
/// Google's bound for reminder minutes (4 weeks).
pub(crate) const MAX_REMINDER_MINUTES: u32 = 40_320;

/// A participant: name (extension or display name) and e-mail if known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: Option<String>,
}

/// A meeting as scheduled on the PBX.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meeting {
    pub meeting_id: String,
    pub subject: String,
    /// Local wall time `YYYY-MM-DDTHH:MM[:SS]` in `time_zone`.
    pub start: String,
    /// Local wall time, or `HH:MM` on the start's date (next day if earlier).
    pub end: String,
    /// IANA name, e.g. `Etc/GMT-1` (= UTC+01:00) or `Europe/Berlin`.
    pub time_zone: String,
    pub room: Option<String>,
    pub agenda: Option<String>,
    pub host: Option<Person>,
    pub invitees: Vec<Person>,
    /// 0 = no e-mail reminder.
    pub email_reminder_minutes: u32,
    /// The participants' meeting password, written into the invitation only
    /// when `share_participant_password` is set. The host password is never
    /// given to this library.
    pub participant_password: Option<String>,
    pub share_participant_password: bool,
    pub repeat: Option<recurrence::Repeat>,
    /// Original local start (`YYYY-MM-DDTHH:MM`) of the one occurrence of a
    /// repeating meeting that this push edits or this cancel removes.
    pub occurrence: Option<String>,
}

/// A meeting ready to send, with what could not be carried over.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared<'m> {
    /// The meeting's event (the series for a repeating meeting).
    pub event_id: String,
    /// What the write addresses: `event_id`, or one occurrence's instance
    /// id (`<event_id>_<original start in UTC, YYYYMMDDTHHMMSSZ>`).
    pub target_id: String,
    pub event: Event<'m>,
    /// Indexes into `Meeting::invitees` of invitees without an e-mail.
    pub skipped_invitees: Vec<usize>,
}

/// The Calendar v3 event a meeting becomes, written straight to the request
/// body (no `serde_json::Value` tree per push: issue 7). Keys come in
/// alphabetical order, as serde_json's `Value` (a `BTreeMap`) wrote them
/// before: the bytes on the wire are unchanged. The fields are declared in
/// that order too, so the derived `Serialize` (used by the tests only)
/// writes the same (`wire_bytes_are_sorted_like_a_value_tree` below).
/// It borrows the meeting's strings (no copies per push).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct Event<'m> {
    #[cfg_attr(test, serde(skip_serializing_if = "Vec::is_empty"))]
    pub attendees: Vec<Attendee<'m>>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub description: Option<String>,
    pub end: When<'m>,
    #[cfg_attr(test, serde(rename = "extendedProperties"))]
    pub extended_properties: ExtendedProperties<'m>,
    /// None for one occurrence (addressed by its instance id).
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub id: Option<String>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub location: Option<String>,
    /// One RRULE line; none for a single meeting or one occurrence.
    #[cfg_attr(test, serde(skip_serializing_if = "Vec::is_empty"))]
    pub recurrence: Vec<String>,
    pub reminders: Reminders,
    pub start: When<'m>,
    /// Set (`confirmed`) only on a full replacement, to restore an event
    /// deleted in Google.
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub status: Option<&'static str>,
    pub summary: &'m str,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct Attendee<'m> {
    #[cfg_attr(
        test,
        serde(rename = "displayName", skip_serializing_if = "str::is_empty")
    )]
    pub display_name: &'m str,
    pub email: &'m str,
    /// A room's resource calendar (`…@resource.calendar.google.com`).
    #[cfg_attr(test, serde(skip_serializing_if = "std::ops::Not::not"))]
    pub resource: bool,
}

/// Google Workspace's resource calendars (rooms) have addresses here.
pub const RESOURCE_DOMAIN: &str = "@resource.calendar.google.com";

/// The room, when the firmware gave it as a resource calendar's e-mail.
pub fn room_resource(room: Option<&str>) -> Option<&str> {
    room.map(str::trim).filter(|r| r.len() > RESOURCE_DOMAIN.len() && r.to_ascii_lowercase().ends_with(RESOURCE_DOMAIN) && is_email(r))
}

/// A local wall time in an IANA zone, as Google recommends.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct When<'m> {
    #[cfg_attr(test, serde(rename = "dateTime"))]
    pub date_time: String,
    #[cfg_attr(test, serde(rename = "timeZone"))]
    pub time_zone: &'m str,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct Reminders {
    pub overrides: Vec<Reminder>,
    #[cfg_attr(test, serde(rename = "useDefault"))]
    pub use_default: bool,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct Reminder {
    pub method: &'static str,
    pub minutes: u32,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct ExtendedProperties<'m> {
    pub private: PrivateProperties<'m>,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct PrivateProperties<'m> {
    /// `MEETING_ID_PROPERTY`.
    #[cfg_attr(test, serde(rename = "gsGcalMeetingId"))]
    pub meeting_id: &'m str,
}

impl Event<'_> {
    /// The request body: what `serde_json::to_vec(self)` writes, without
    /// serde's machinery (a tenth of a steady push at opt-level "z"; issue
    /// 7). The tests compare the two for every optional part.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        let mut w = crate::json::Writer::with_capacity(1024);
        let when = |w: &mut crate::json::Writer, key, t: &When| {
            w.key(key);
            w.begin_object();
            w.key("dateTime");
            w.string(&t.date_time);
            w.key("timeZone");
            w.string(t.time_zone);
            w.end_object();
        };
        w.begin_object();
        if !self.attendees.is_empty() {
            w.key("attendees");
            w.begin_array();
            for a in &self.attendees {
                w.begin_object();
                if !a.display_name.is_empty() {
                    w.key("displayName");
                    w.string(a.display_name);
                }
                w.key("email");
                w.string(a.email);
                if a.resource {
                    w.key("resource");
                    w.bool(true);
                }
                w.end_object();
            }
            w.end_array();
        }
        if let Some(d) = &self.description {
            w.key("description");
            w.string(d);
        }
        when(&mut w, "end", &self.end);
        w.key("extendedProperties");
        w.begin_object();
        w.key("private");
        w.begin_object();
        w.key(MEETING_ID_PROPERTY);
        w.string(self.extended_properties.private.meeting_id);
        w.end_object();
        w.end_object();
        if let Some(id) = &self.id {
            w.key("id");
            w.string(id);
        }
        if let Some(l) = &self.location {
            w.key("location");
            w.string(l);
        }
        if !self.recurrence.is_empty() {
            w.key("recurrence");
            w.begin_array();
            for r in &self.recurrence {
                w.string(r);
            }
            w.end_array();
        }
        w.key("reminders");
        w.begin_object();
        w.key("overrides");
        w.begin_array();
        for r in &self.reminders.overrides {
            w.begin_object();
            w.key("method");
            w.string(r.method);
            w.key("minutes");
            w.uint(r.minutes.into());
            w.end_object();
        }
        w.end_array();
        w.key("useDefault");
        w.bool(self.reminders.use_default);
        w.end_object();
        when(&mut w, "start", &self.start);
        if let Some(s) = self.status {
            w.key("status");
            w.string(s);
        }
        w.key("summary");
        w.string(self.summary);
        w.end_object();
        Ok(w.buf)
    }
}

/// Validates a meeting and builds the event Google should hold. Nothing is
/// sent for a meeting that fails here.
///
/// `zone` is the meeting's time zone when its rules are known (zoneinfo):
/// then local times in a DST gap are refused, and one occurrence can be
/// addressed by its UTC instance id. `generation` is the meeting's event-id
/// generation (0 until Google refused to restore a deleted event).
pub fn prepare<'m>(m: &'m Meeting, instance_id: &str, generation: u32, zone: Option<&zone::Zone>) -> Result<Prepared<'m>> {
    if m.meeting_id.is_empty() {
        return Err(Error::InvalidArgument("meeting_id is empty".into()));
    }
    limit("meeting_id", &m.meeting_id, MAX_MEETING_ID)?;
    limit("subject", &m.subject, MAX_SUBJECT)?;
    limit("room", m.room.as_deref().unwrap_or(""), MAX_NAME)?;
    // One-line fields (a newline would break the event's title or place;
    // documented in README "The meeting"). The agenda may hold newlines.
    for (field, v) in [("meeting_id", m.meeting_id.as_str()), ("subject", &m.subject), ("room", m.room.as_deref().unwrap_or(""))] {
        if v.chars().any(char::is_control) {
            return Err(Error::InvalidArgument(format!(
                "{field} must not contain control characters (newline, tab, ...)"
            )));
        }
    }
    limit("agenda", m.agenda.as_deref().unwrap_or(""), MAX_TEXT)?;
    localtime::check_time_zone(&m.time_zone)?;
    let start = localtime::parse_local("start", &m.start)?;
    let end = localtime::parse_end(&m.end, start)?;
    if let Some(z) = zone {
        z.to_utc("start", start)?;
        z.to_utc("end", end)?;
    }
    limit("participant_password", m.participant_password.as_deref().unwrap_or(""), 64)?;
    if m.email_reminder_minutes > MAX_REMINDER_MINUTES {
        return Err(Error::InvalidArgument(format!(
            "email_reminder_minutes: {} is above Google's maximum of {MAX_REMINDER_MINUTES}",
            m.email_reminder_minutes
        )));
    }
    if m.invitees.len() > MAX_INVITEES {
        return Err(Error::InvalidArgument(format!("more than {MAX_INVITEES} invitees")));
    }

    let mut attendees = Vec::new();
    let mut skipped = Vec::new();
    if let Some(host) = &m.host {
        if let Some(a) = attendee(None, host)? {
            attendees.push(a);
        }
    }
    for (i, p) in m.invitees.iter().enumerate() {
        match attendee(Some(i), p)? {
            Some(a) => attendees.push(a),
            None => skipped.push(i),
        }
    }
    // One attendee per address: Google rejects duplicates. Compared pairwise
    // (no hash table code in the firmware): at most ~500,000 comparisons
    // that mostly stop at the first byte, for 1000 invitees.
    let mut kept: Vec<Attendee<'m>> = Vec::with_capacity(attendees.len());
    for a in attendees {
        if !kept.iter().any(|k| k.email.eq_ignore_ascii_case(&a.email)) {
            kept.push(a);
        }
    }
    let mut attendees = kept;
    let resource = room_resource(m.room.as_deref());
    if let Some(room) = resource {
        if !attendees.iter().any(|k| k.email.eq_ignore_ascii_case(room)) {
            attendees.push(Attendee { display_name: "", email: room, resource: true });
        }
    }

    let event_id = event_id(instance_id, &m.meeting_id, generation);
    let target_id = match &m.occurrence {
        None => event_id.clone(),
        Some(occ) => {
            let original = localtime::parse_local("occurrence", occ)?;
            let z = zone.ok_or_else(|| {
                Error::InvalidTimeZone(format!(
                    "occurrence: addressing one occurrence needs the rules of {} (no zoneinfo)",
                    m.time_zone
                ))
            })?;
            instance_id_of(&event_id, z.to_utc("occurrence", original)?)
        }
    };
    let when = |t| When { date_time: localtime::wall(t), time_zone: &m.time_zone };
    let event = Event {
        attendees,
        description: description(m),
        end: when(end),
        extended_properties: ExtendedProperties { private: PrivateProperties { meeting_id: &m.meeting_id } },
        id: m.occurrence.is_none().then(|| event_id.clone()),
        // A resource room is booked as an attendee; Google names it.
        location: m.room.as_deref().filter(|r| !r.is_empty() && resource.is_none()).map(|room| ["Meeting room ", room].concat()),
        // One occurrence is an instance of the series: it carries no rule.
        recurrence: match (&m.repeat, &m.occurrence) {
            (Some(r), None) => vec![r.rrule(start)?],
            _ => Vec::new(),
        },
        reminders: Reminders {
            overrides: if m.email_reminder_minutes > 0 {
                vec![Reminder { method: "email", minutes: m.email_reminder_minutes }]
            } else {
                Vec::new()
            },
            use_default: false,
        },
        start: when(start),
        status: None,
        summary: &m.subject,
    };
    Ok(Prepared { event_id, target_id, event, skipped_invitees: skipped })
}

/// The UTC span a meeting covers, unix seconds: its first start to the end
/// of its last occurrence (plus a day), `None` for a series that never
/// ends. For choosing a zone that keeps the same offset all that time.
pub fn utc_span(m: &Meeting, zone: &zone::Zone) -> Result<(i64, Option<i64>)> {
    let start = localtime::parse_local("start", &m.start)?;
    let end = localtime::parse_end(&m.end, start)?;
    let s = zone.to_utc("start", start)?.unix_timestamp();
    let e = zone.to_utc("end", end)?.unix_timestamp();
    match &m.repeat {
        None => Ok((s, Some(e))),
        Some(r) if matches!(r.end, recurrence::End::Never) => Ok((s, None)),
        Some(r) => {
            let last = r.occurrences(start.date(), MAX_COUNT_SPAN).last().copied().unwrap_or(start.date());
            let last = time::PrimitiveDateTime::new(last, start.time());
            let ls = zone.to_utc("start", last).map_or(s, |t| t.unix_timestamp());
            Ok((s, Some(ls + (e - s) + 86_400)))
        }
    }
}

/// More than any series may have (COUNT ≤ 1000).
const MAX_COUNT_SPAN: usize = 1001;

/// Google's id of one occurrence: the series id, `_`, and the occurrence's
/// original start in UTC.
pub fn instance_id_of(event_id: &str, original_start: time::OffsetDateTime) -> String {
    let u = original_start.to_offset(time::UtcOffset::UTC);
    format!(
        "{event_id}_{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        u.year(),
        u8::from(u.month()),
        u.day(),
        u.hour(),
        u.minute(),
        u.second()
    )
}

fn limit(field: &'static str, s: &str, max: usize) -> Result<()> {
    if s.len() > max {
        Err(Error::TooLong { field, max })
    } else {
        Ok(())
    }
}

/// The host (`invitee` None) or one invitee as an attendee; None without an
/// e-mail. The field name for messages is made only for a message.
fn attendee(invitee: Option<usize>, p: &Person) -> Result<Option<Attendee<'_>>> {
    let field = || invitee.map_or_else(|| "host".to_owned(), |i| format!("invitees[{i}]"));
    if p.name.len() > MAX_NAME {
        let field = field();
        return Err(Error::InvalidArgument(format!("{field}.name is longer than {MAX_NAME} bytes")));
    }
    let Some(email) = p.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    if !is_email(email) {
        return Err(bad_email(&field(), email));
    }
    Ok(Some(Attendee { display_name: &p.name, email, resource: false }))
}

/// A deliberately simple address check (RFC 5321 lengths, one `@`, a dot in
/// the domain, no spaces, dots only between characters): catches typos
/// before Google does, rejects nothing real.
pub fn check_email(field: &str, e: &str) -> Result<()> {
    if is_email(e) {
        Ok(())
    } else {
        Err(bad_email(field, e))
    }
}

fn is_email(e: &str) -> bool {
    // One pass over the bytes (it runs for every attendee of every push; by
    // `char` it cost ~1,660 instructions an address).
    let b = e.as_bytes();
    let (mut at, mut prev, mut ascii) = (None, 0u8, true);
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'@' => {
                if at.replace(i).is_some() {
                    return false;
                }
            }
            // Dots (RFC 5322 dot-atom, which Google enforces): never two in
            // a row (john..x@x.com, john@example..com).
            b'.' if prev == b'.' => return false,
            // Every ASCII whitespace and control character is <= ' ' or DEL.
            b'\0'..=b' ' | b'\x7f' | b'<' | b'>' | b',' | b';' | b'"' | b'(' | b')' | b'[' | b']' | b'\\' => return false,
            0x80.. => ascii = false,
            _ => {}
        }
        prev = c;
    }
    let Some(at) = at else { return false };
    let (local, domain) = (&b[..at], &b[at + 1..]);
    // Never first or last in either part (.john@x.com, john.@x.com).
    let dotted_inside = |p: &[u8]| p.first() != Some(&b'.') && p.last() != Some(&b'.');
    b.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && dotted_inside(local)
        && domain.contains(&b'.')
        && dotted_inside(domain)
        && (ascii || !e.chars().any(|c| c.is_whitespace() || c.is_control()))
}

fn bad_email(field: &str, e: &str) -> Error {
    Error::InvalidEmail(format!(
        "{field}.email: \"{}\" is not an e-mail address",
        e.chars().filter(|c| !c.is_control()).take(64).collect::<String>()
    ))
}

/// The agenda plus how to join; the participant password only when the
/// firmware asks to share it; the host password is never known here.
fn description(m: &Meeting) -> Option<String> {
    let agenda = m.agenda.as_deref().unwrap_or("").trim();
    let password = m
        .participant_password
        .as_deref()
        .filter(|p| m.share_participant_password && !p.is_empty());
    let join = m.room.as_deref().filter(|r| !r.is_empty()).map(|r| match password {
        Some(p) => ["Join: dial meeting room ", r, ", participant password ", p, "."].concat(),
        None => ["Join: dial meeting room ", r, "."].concat(),
    });
    match (agenda.is_empty(), join) {
        (true, None) => None,
        (false, None) => Some(agenda.to_owned()),
        (true, Some(j)) => Some(j),
        (false, Some(j)) => Some([agenda, "\n\n", &j].concat()),
    }
}

/// A Google-valid event id (base32hex alphabet, 5–1024 chars) derived from
/// the meeting: the same meeting always maps to the same id, so a retried
/// push can never create a second event. `instance_id` separates PBXes
/// sharing a calendar; `generation` moves to a fresh id when Google refuses
/// to reuse the old one (a later concern; 0 now).
pub fn event_id(instance_id: &str, meeting_id: &str, generation: u32) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in ["gs-gcal/event/v1", instance_id, meeting_id] {
        // Length-prefixed so ("a","bc") and ("ab","c") differ.
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part.as_bytes());
    }
    if generation > 0 {
        ctx.update(&generation.to_be_bytes());
    }
    let digest = ctx.finish();
    // "gs" + 160 bits as lowercase hex: hex digits are a subset of base32hex.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = *b"gs0000000000000000000000000000000000000000";
    for (i, b) in digest.as_ref()[..20].iter().enumerate() {
        id[2 + 2 * i] = HEX[usize::from(b >> 4)];
        id[3 + 2 * i] = HEX[usize::from(b & 15)];
    }
    // Bytes, then one check: by `String::push` it cost 1,600 instructions a
    // push. Hex digits are ASCII, so the default is never taken.
    String::from_utf8(id.to_vec()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The event as Google receives it: the request body read back.
    fn ev(p: &Prepared) -> Value {
        serde_json::from_slice(&p.event.to_json().unwrap()).unwrap()
    }

    fn seed() -> Meeting {
        Meeting {
            meeting_id: "6300-0001".into(),
            subject: "Weekly_Meeting".into(),
            start: "2024-04-29T10:00".into(),
            end: "11:00".into(),
            time_zone: "Etc/GMT-1".into(),
            room: Some("6300".into()),
            agenda: Some("Status of all projects".into()),
            host: Some(Person { name: "1000".into(), email: Some("host1000@mycompanyabc.com".into()) }),
            invitees: vec![
                Person { name: "1001".into(), email: Some("john.doe@mycompanyabc.com".into()) },
                Person { name: "1002".into(), email: None },
                Person { name: "1003".into(), email: Some("jane@partner.example".into()) },
                Person { name: "1004".into(), email: Some("".into()) },
            ],
            email_reminder_minutes: 60,
            ..Meeting::default()
        }
    }

    #[test]
    fn seed_meeting_maps_to_the_exact_event() {
        let m = seed();
        let p = prepare(&m, "", 0, None).unwrap();
        assert_eq!(p.skipped_invitees, vec![1, 3]);
        assert_eq!(
            ev(&p),
            json!({
                "id": p.event_id,
                "summary": "Weekly_Meeting",
                "description": "Status of all projects\n\nJoin: dial meeting room 6300.",
                "location": "Meeting room 6300",
                "start": {"dateTime": "2024-04-29T10:00:00", "timeZone": "Etc/GMT-1"},
                "end": {"dateTime": "2024-04-29T11:00:00", "timeZone": "Etc/GMT-1"},
                "attendees": [
                    {"email": "host1000@mycompanyabc.com", "displayName": "1000"},
                    {"email": "john.doe@mycompanyabc.com", "displayName": "1001"},
                    {"email": "jane@partner.example", "displayName": "1003"}
                ],
                "reminders": {"useDefault": false, "overrides": [{"method": "email", "minutes": 60}]},
                "extendedProperties": {"private": {"gsGcalMeetingId": "6300-0001"}}
            })
        );
    }

    #[test]
    fn event_ids_are_deterministic_and_google_valid() {
        let a = event_id("", "6300-0001", 0);
        assert_eq!(a, event_id("", "6300-0001", 0));
        assert_ne!(a, event_id("pbx2", "6300-0001", 0));
        assert_ne!(a, event_id("", "6300-0001", 1));
        assert_ne!(event_id("a", "bc", 0), event_id("ab", "c", 0));
        assert_eq!(a.len(), 42);
        assert!(a.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'v')));
    }

    #[test]
    fn bad_meetings_name_the_field() {
        let mut m = seed();
        m.invitees[0].email = Some("john at example".into());
        let e = prepare(&m, "", 0, None).unwrap_err();
        assert!(matches!(&e, Error::InvalidEmail(s) if s.starts_with("invitees[0].email")), "{e}");
        // Issue 16 B5: one-line fields refuse control characters (agenda may not).
        for (field, set) in [("subject", 0), ("room", 1), ("meeting_id", 2)] {
            let mut m = seed();
            match set {
                0 => m.subject = "a\nb".into(),
                1 => m.room = Some("63\t00".into()),
                _ => m.meeting_id = "x\ry".into(),
            }
            let e = prepare(&m, "", 0, None).unwrap_err();
            assert!(matches!(&e, Error::InvalidArgument(s) if s.starts_with(field)), "{field}: {e}");
        }
        let mut m = seed();
        m.agenda = Some("line 1\nline 2".into());
        assert!(prepare(&m, "", 0, None).is_ok());
        // Issue 16 B1: dots Google refuses for good.
        for bad in ["john@example..com", ".john@example.com", "john.@example.com", "jo..hn@example.com"] {
            let mut m = seed();
            m.invitees[0].email = Some(bad.into());
            let e = prepare(&m, "", 0, None).unwrap_err();
            assert!(matches!(&e, Error::InvalidEmail(s) if s.contains(bad)), "{bad}: {e}");
        }
        for good in ["john.doe@example.com", "j.o.h.n@sub.example.co.uk", "john+tag@example.com"] {
            let mut m = seed();
            m.invitees[0].email = Some(good.into());
            assert!(prepare(&m, "", 0, None).is_ok(), "{good}");
        }

        let mut m = seed();
        m.time_zone = "GMT+1".into();
        assert!(matches!(prepare(&m, "", 0, None), Err(Error::InvalidTimeZone(_))));

        let mut m = seed();
        m.end = "2024-04-29T09:00".into();
        assert!(matches!(prepare(&m, "", 0, None), Err(Error::InvalidTime(_))));

        let mut m = seed();
        m.email_reminder_minutes = 40_321;
        assert!(matches!(prepare(&m, "", 0, None), Err(Error::InvalidArgument(_))));

        let mut m = seed();
        m.subject = "x".repeat(MAX_SUBJECT + 1);
        assert!(matches!(prepare(&m, "", 0, None), Err(Error::TooLong { field: "subject", .. })));

        let mut m = seed();
        m.meeting_id.clear();
        assert!(matches!(prepare(&m, "", 0, None), Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn no_reminder_and_duplicate_attendees() {
        let mut m = seed();
        m.email_reminder_minutes = 0;
        m.invitees[2].email = Some("HOST1000@mycompanyabc.com".into());
        m.room = None;
        m.agenda = None;
        let p = prepare(&m, "", 0, None).unwrap();
        assert_eq!(ev(&p)["reminders"], json!({"useDefault": false, "overrides": []}));
        assert_eq!(ev(&p)["attendees"].as_array().unwrap().len(), 2);
        assert!(ev(&p).get("description").is_none());
        assert!(ev(&p).get("location").is_none());
    }

    fn berlin() -> Option<zone::Zone> {
        let bytes = crate::store::zoneinfo::read_zone(std::path::Path::new("/usr/share/zoneinfo"), "Europe/Berlin")
            .ok()
            .flatten()?;
        zone::Zone::from_tzif("Europe/Berlin", &bytes).ok()
    }

    #[test]
    fn repeating_meeting_carries_its_rule_and_zone() {
        use recurrence::{End, Freq, MonthlyBy, Repeat};
        let mut m = seed();
        m.time_zone = "Europe/Berlin".into();
        m.start = "2024-03-18T10:00".into();
        m.repeat = Some(Repeat {
            freq: Freq::Weekly,
            interval: 1,
            weekdays: 0,
            monthly_by: MonthlyBy::DayOfMonth,
            end: End::Until(time::Date::from_calendar_date(2024, time::Month::April, 8).unwrap()),
        });
        let p = prepare(&m, "", 0, berlin().as_ref()).unwrap();
        assert_eq!(ev(&p)["recurrence"], json!(["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"]));
        assert_eq!(ev(&p)["start"], json!({"dateTime": "2024-03-18T10:00:00", "timeZone": "Europe/Berlin"}));
        assert_eq!(p.target_id, p.event_id);
    }

    #[test]
    fn one_occurrence_is_addressed_by_its_utc_instance_id() {
        let Some(z) = berlin() else { return eprintln!("no zoneinfo: skipped") };
        let mut m = seed();
        m.time_zone = "Europe/Berlin".into();
        // After the DST change of 2024-03-31: 10:00 CEST is 08:00 UTC.
        m.occurrence = Some("2024-04-01T10:00".into());
        m.start = "2024-04-01T11:00".into();
        m.end = "12:00".into();
        let p = prepare(&m, "", 0, Some(&z)).unwrap();
        assert_eq!(p.target_id, format!("{}_20240401T080000Z", p.event_id));
        assert!(ev(&p).get("id").is_none() && ev(&p).get("recurrence").is_none());
        // Before it: 10:00 CET is 09:00 UTC.
        m.occurrence = Some("2024-03-25T10:00".into());
        assert!(prepare(&m, "", 0, Some(&z)).unwrap().target_id.ends_with("_20240325T090000Z"));
        // Etc/GMT-1 is UTC+01:00.
        m.time_zone = "Etc/GMT-1".into();
        m.occurrence = Some("2024-04-29T10:00".into());
        let fixed = zone::Zone::fixed("Etc/GMT-1").unwrap();
        assert!(prepare(&m, "", 0, Some(&fixed)).unwrap().target_id.ends_with("_20240429T090000Z"));
        // Without zone rules an occurrence cannot be addressed.
        assert!(matches!(prepare(&m, "", 0, None), Err(Error::InvalidTimeZone(_))));
    }

    #[test]
    fn local_times_in_a_dst_gap_are_refused() {
        let Some(z) = berlin() else { return eprintln!("no zoneinfo: skipped") };
        let mut m = seed();
        m.time_zone = "Europe/Berlin".into();
        m.start = "2024-03-31T02:30".into();
        m.end = "03:30".into();
        let e = prepare(&m, "", 0, Some(&z)).unwrap_err();
        assert!(matches!(&e, Error::InvalidTime(s) if s.starts_with("start: 2024-03-31T02:30 does not exist")), "{e}");
        // The ambiguous hour of the autumn change is accepted.
        m.start = "2024-10-27T02:30".into();
        assert!(prepare(&m, "", 0, Some(&z)).is_ok());
    }

    #[test]
    fn participant_password_only_when_shared_and_generations_change_the_id() {
        let mut m = seed();
        m.participant_password = Some("4711".into());
        let p = prepare(&m, "", 0, None).unwrap();
        assert!(!ev(&p)["description"].as_str().unwrap().contains("4711"));
        m.share_participant_password = true;
        let p = prepare(&m, "", 0, None).unwrap();
        assert!(ev(&p)["description"].as_str().unwrap().ends_with("Join: dial meeting room 6300, participant password 4711."));
        let next = prepare(&m, "", 1, None).unwrap();
        assert_ne!(next.event_id, p.event_id);
        assert_eq!(ev(&next)["id"], json!(next.event_id));
    }

    fn zone_of(name: &str) -> Option<zone::Zone> {
        zone::Zone::fixed(name).or_else(|| {
            let bytes = crate::store::zoneinfo::read_zone(std::path::Path::new("/usr/share/zoneinfo"), name)
                .ok()
                .flatten()?;
            zone::Zone::from_tzif(name, &bytes).ok()
        })
    }

    /// The golden table: each meeting → the exact event fields Google gets.
    #[test]
    fn golden_table() {
        struct Case {
            name: &'static str,
            edit: fn(&mut Meeting),
            expect: Value,
        }
        let cases = [
            Case {
                name: "Etc/GMT+5 (UTC-05:00), no room, no agenda",
                edit: |m| {
                    m.time_zone = "Etc/GMT+5".into();
                    m.room = None;
                    m.agenda = None;
                },
                expect: json!({
                    "start": {"dateTime": "2024-04-29T10:00:00", "timeZone": "Etc/GMT+5"},
                    "end": {"dateTime": "2024-04-29T11:00:00", "timeZone": "Etc/GMT+5"},
                }),
            },
            Case {
                name: "spans midnight: the end is the next day",
                edit: |m| {
                    m.start = "2024-12-31T23:30".into();
                    m.end = "00:30".into();
                },
                expect: json!({
                    "start": {"dateTime": "2024-12-31T23:30:00", "timeZone": "Etc/GMT-1"},
                    "end": {"dateTime": "2025-01-01T00:30:00", "timeZone": "Etc/GMT-1"},
                }),
            },
            Case {
                name: "leap day, yearly",
                edit: |m| {
                    m.start = "2024-02-29T09:00".into();
                    m.end = "10:00".into();
                    m.repeat = Some(recurrence::Repeat {
                        freq: recurrence::Freq::Yearly,
                        interval: 1,
                        weekdays: 0,
                        monthly_by: recurrence::MonthlyBy::DayOfMonth,
                        end: recurrence::End::Count(3),
                    });
                },
                expect: json!({
                    "start": {"dateTime": "2024-02-29T09:00:00", "timeZone": "Etc/GMT-1"},
                    "recurrence": ["RRULE:FREQ=YEARLY;COUNT=3"],
                }),
            },
            Case {
                name: "New York, after the spring change, monthly 4th (and last) Monday",
                edit: |m| {
                    m.time_zone = "America/New_York".into();
                    m.start = "2024-03-25T09:00".into();
                    m.end = "09:30".into();
                    m.repeat = Some(recurrence::Repeat {
                        freq: recurrence::Freq::Monthly,
                        interval: 1,
                        weekdays: 0,
                        monthly_by: recurrence::MonthlyBy::NthWeekday,
                        end: recurrence::End::Never,
                    });
                },
                expect: json!({
                    "start": {"dateTime": "2024-03-25T09:00:00", "timeZone": "America/New_York"},
                    "end": {"dateTime": "2024-03-25T09:30:00", "timeZone": "America/New_York"},
                    "recurrence": ["RRULE:FREQ=MONTHLY;BYDAY=4MO"],
                }),
            },
            Case {
                name: "unicode and HTML-looking text go through as text",
                edit: |m| {
                    m.subject = "Réunion <b>Q3</b> & 会议 🎉".into();
                    m.agenda = Some("<script>alert(1)</script>\nÄnderungen".into());
                    m.room = None;
                },
                expect: json!({
                    "summary": "Réunion <b>Q3</b> & 会议 🎉",
                    "description": "<script>alert(1)</script>\nÄnderungen",
                }),
            },
            Case {
                name: "no invitees, no host, no reminder",
                edit: |m| {
                    m.invitees.clear();
                    m.host = None;
                    m.email_reminder_minutes = 0;
                },
                expect: json!({"reminders": {"useDefault": false, "overrides": []}}),
            },
        ];
        for c in cases {
            let mut m = seed();
            (c.edit)(&mut m);
            let z = zone_of(&m.time_zone);
            let p = prepare(&m, "", 0, z.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", c.name));
            for (k, v) in c.expect.as_object().unwrap() {
                assert_eq!(&ev(&p)[k], v, "{}: field {k}", c.name);
            }
            if c.name.starts_with("no invitees") {
                assert!(ev(&p).get("attendees").is_none(), "{}", c.name);
            }
        }
    }

    #[test]
    fn fifty_invitees_keep_their_order() {
        let mut m = seed();
        m.invitees = (0..50)
            .map(|i| Person { name: format!("{}", 2000 + i), email: Some(format!("user{i}@example.com")) })
            .collect();
        m.host = None;
        let p = prepare(&m, "", 0, None).unwrap();
        let e = ev(&p);
        let a = e["attendees"].as_array().unwrap();
        assert_eq!(a.len(), 50);
        assert_eq!(a[0], json!({"email": "user0@example.com", "displayName": "2000"}));
        assert_eq!(a[49], json!({"email": "user49@example.com", "displayName": "2049"}));
        assert!(p.skipped_invitees.is_empty());
    }

    /// The exact request body of the seed meeting: the bytes the bench
    /// compares with the libcurl baseline's (keys sorted, no spaces).
    #[test]
    fn seed_meeting_wire_bytes() {
        let mut m = seed();
        m.invitees[2].email = Some("jane.roe@partner.example".into());
        let p = prepare(&m, "", 0, None).unwrap();
        let body = String::from_utf8(p.event.to_json().unwrap()).unwrap();
        assert_eq!(
            body,
            format!(
                "{{\"attendees\":[{{\"displayName\":\"1000\",\"email\":\"host1000@mycompanyabc.com\"}},\
                 {{\"displayName\":\"1001\",\"email\":\"john.doe@mycompanyabc.com\"}},\
                 {{\"displayName\":\"1003\",\"email\":\"jane.roe@partner.example\"}}],\
                 \"description\":\"Status of all projects\\n\\nJoin: dial meeting room 6300.\",\
                 \"end\":{{\"dateTime\":\"2024-04-29T11:00:00\",\"timeZone\":\"Etc/GMT-1\"}},\
                 \"extendedProperties\":{{\"private\":{{\"gsGcalMeetingId\":\"6300-0001\"}}}},\
                 \"id\":\"{}\",\"location\":\"Meeting room 6300\",\
                 \"reminders\":{{\"overrides\":[{{\"method\":\"email\",\"minutes\":60}}],\"useDefault\":false}},\
                 \"start\":{{\"dateTime\":\"2024-04-29T10:00:00\",\"timeZone\":\"Etc/GMT-1\"}},\
                 \"summary\":\"Weekly_Meeting\"}}",
                p.event_id
            )
        );
    }

    /// Typed serialization writes exactly what serializing the same event
    /// as a `serde_json::Value` tree (sorted keys) wrote before issue 7, for
    /// every optional part: recurrence, one occurrence, status, no
    /// reminder, no attendees, escapes.
    #[test]
    fn wire_bytes_are_sorted_like_a_value_tree() {
        let mut variants = vec![seed()];
        let mut m = seed();
        m.repeat = Some(recurrence::Repeat {
            freq: recurrence::Freq::Weekly,
            interval: 2,
            weekdays: 0b101, // Monday and Wednesday
            monthly_by: recurrence::MonthlyBy::DayOfMonth,
            end: recurrence::End::Count(4),
        });
        variants.push(m.clone());
        m.occurrence = Some("2024-05-13T10:00".into());
        m.time_zone = "UTC".into();
        variants.push(m);
        let mut m = seed();
        m.email_reminder_minutes = 0;
        m.host = None;
        m.invitees.clear();
        m.room = None;
        variants.push(m.clone());
        m.host = Some(Person { name: String::new(), email: Some("nameless@example.com".into()) });
        m.email_reminder_minutes = 40_320;
        m.subject = "Quote \" backslash \\ é 日本 <b>&amp;</b>".into();
        m.agenda = Some("tab \t cr \r \u{1} \u{7f} \u{2028}".into());
        variants.push(m);
        for m in variants {
            let z = zone::Zone::fixed(&m.time_zone);
            let mut p = prepare(&m, "", 0, z.as_ref()).unwrap();
            for status in [None, Some("confirmed")] {
                p.event.status = status;
                let tree = serde_json::to_vec(&serde_json::to_value(&p.event).unwrap()).unwrap();
                assert_eq!(serde_json::to_vec(&p.event).unwrap(), tree);
                assert_eq!(
                    String::from_utf8(p.event.to_json().unwrap()).unwrap(),
                    String::from_utf8(tree).unwrap()
                );
            }
        }
        assert_eq!(MEETING_ID_PROPERTY, "gsGcalMeetingId");
    }

    /// The byte-level check decides exactly as the `char`-level one it
    /// replaced, on addresses built from the characters that matter at
    /// every position.
    #[test]
    fn is_email_decides_like_the_char_check() {
        fn by_char(e: &str) -> bool {
            e.len() <= 254
                && e.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty() && local.len() <= 64 && !local.starts_with('.') && !local.ends_with('.')
                        && !domain.contains('@') && domain.contains('.') && !domain.starts_with('.')
                        && !domain.ends_with('.') && !e.contains("..")
                })
                && !e.chars().any(|c| match c {
                    '\0'..=' ' | '\x7f' | '<' | '>' | ',' | ';' | '"' | '(' | ')' | '[' | ']' | '\\' => true,
                    '\x21'..='\x7e' => false,
                    _ => c.is_whitespace() || c.is_control(),
                })
        }
        let parts = ["a", ".", "@", "x.com", " ", "\t", "\u{7f}", "<", "\\", "é", "\u{a0}", "\u{85}", "\u{2028}", "日", "b.c"];
        let mut n = 0;
        for p in parts {
            for q in parts {
                for r in parts {
                    for t in parts {
                        let e = format!("{p}{q}{r}{t}");
                        assert_eq!(is_email(&e), by_char(&e), "{e:?}");
                        let e = format!("jo{p}hn@{q}ex{r}ample.{t}com");
                        assert_eq!(is_email(&e), by_char(&e), "{e:?}");
                        n += 2;
                    }
                }
            }
        }
        for e in ["a@b.c", &format!("{}@b.c", "a".repeat(64)), &format!("{}@b.c", "a".repeat(65)),
                  &format!("a@{}.c", "b".repeat(250)), &format!("a@{}.c", "b".repeat(249)), "a@b.c@d.e"] {
            assert_eq!(is_email(e), by_char(e), "{e:?}");
        }
        assert!(is_email("john.doe@example.com") && n > 100_000);
    }
}
