//! Exports of the write side: meetings pushed and cancelled, the outbox
//! drained.

use super::cstr;
use super::{check_struct, copy_fixed, gs_gcal};
use crate::errors::{gs_gcal_result, Error};
use libc::{c_char, size_t};
use super::{GS_GCAL_EVENT_ID_SIZE, MEETING_SIZES, PUSH_RESULT_SIZES};
use crate::meeting::recurrence::{End, Freq, MonthlyBy, Repeat};
use crate::meeting::{Meeting, Person};
use crate::writer::Sent;

/// A participant of a meeting. The layout is frozen; new per-person
/// attributes will use `flags` bits.
#[repr(C)]
pub struct gs_gcal_person {
    /// Display name or extension (e.g. "1001"); NULL or "" for none.
    pub name: *const c_char,
    /// E-mail address; NULL or "" when the person has none, in which case
    /// an invitee is skipped and reported (the host is left out).
    pub email: *const c_char,
    /// Reserved, must be 0.
    pub flags: u32,
}

/// A PBX meeting. Zero-initialise it and set `struct_size = sizeof(gs_gcal_meeting)`:
/// later versions append fields, and the library reads only what the
/// caller's `struct_size` covers. All strings are NUL-terminated UTF-8,
/// copied during the call.
#[repr(C)]
pub struct gs_gcal_meeting {
    /// `sizeof(gs_gcal_meeting)` as compiled by the caller.
    pub struct_size: u32,
    /// Stable PBX meeting id (required, ≤ 256 bytes, no control
    /// characters); the same id always maps to the same Google event.
    pub meeting_id: *const c_char,
    /// Subject, becomes the event title (≤ 1024 bytes). One line: control
    /// characters (newline, tab, …) answer GS_GCAL_INVALID_ARGUMENT.
    pub subject: *const c_char,
    /// Start as local wall time in `time_zone`: "YYYY-MM-DDTHH:MM[:SS]".
    pub start: *const c_char,
    /// End: local wall time like `start`, or just "HH:MM[:SS]" on the
    /// start's date (the next day when not after the start time).
    pub end: *const c_char,
    /// IANA time zone name, e.g. "Etc/GMT-1" (= UTC+01:00) or "Europe/Berlin".
    pub time_zone: *const c_char,
    /// Meeting room number or name; NULL for none. Becomes the location and
    /// the "how to join" line. One line: control characters answer
    /// GS_GCAL_INVALID_ARGUMENT.
    pub room: *const c_char,
    /// Agenda, becomes the description (≤ 8192 bytes); NULL for none.
    pub agenda: *const c_char,
    /// The host, added as an attendee when it has an e-mail.
    pub host: gs_gcal_person,
    /// Invitees (may be NULL when `invitee_count` is 0), at most 1000.
    pub invitees: *const gs_gcal_person,
    pub invitee_count: size_t,
    /// E-mail reminder before the start, in minutes; 0 = none; ≤ 40320.
    /// Google sends it to the authorized account only (the calendar that
    /// holds the event): invitees keep their own default reminders, which
    /// no API call can set for them.
    pub email_reminder_minutes: u32,
    /// The participants' password (≤ 64 bytes; NULL for none); written into
    /// the invitation only with GS_GCAL_MEETING_SHARE_PASSWORD. Never pass
    /// the host password.
    pub participant_password: *const c_char,
    /// GS_GCAL_MEETING_* bits; other bits must be 0.
    pub flags: u32,
    /// GS_GCAL_REPEAT_NONE (0), _DAILY, _WEEKLY, _WEEKDAYS (Mon–Fri),
    /// _MONTHLY_BY_DAY (day of month), _MONTHLY_BY_WEEKDAY (n-th weekday),
    /// _YEARLY. The series starts at `start`.
    pub repeat: u32,
    /// Every N days/weeks/months/years (1–99; 0 means 1): the UCM "custom"
    /// repeat is DAILY, WEEKLY or MONTHLY_* with an interval.
    pub repeat_interval: u32,
    /// WEEKLY only: GS_GCAL_MONDAY | … | GS_GCAL_SUNDAY; 0 = the start's
    /// weekday, which must be among the chosen days.
    pub repeat_weekdays: u32,
    /// GS_GCAL_REPEAT_END_NEVER (0), _AFTER (`repeat_count` occurrences,
    /// 1–1000) or _ON_DATE (`repeat_until`, inclusive).
    pub repeat_end: u32,
    pub repeat_count: u32,
    /// Last date "YYYY-MM-DD" (local) that may hold an occurrence. Not a
    /// date: GS_GCAL_INVALID_TIME; before the start (like every repeat
    /// field that does not fit): GS_GCAL_INVALID_ARGUMENT.
    pub repeat_until: *const c_char,
    /// To edit one occurrence of a repeating meeting: its original local
    /// start "YYYY-MM-DDTHH:MM" (`start`/`end` then give its new times and
    /// the repeat fields are ignored). NULL for the whole meeting.
    pub occurrence: *const c_char,
}

/// `gs_gcal_meeting.flags`: write the participant password into the
/// invitation's "how to join" text.
pub const GS_GCAL_MEETING_SHARE_PASSWORD: u32 = 1;

/// `gs_gcal_meeting.repeat`: a single meeting.
pub const GS_GCAL_REPEAT_NONE: u32 = 0;

/// Every day (or every `repeat_interval` days).
pub const GS_GCAL_REPEAT_DAILY: u32 = 1;

/// Every week on `repeat_weekdays` (or every `repeat_interval` weeks).
pub const GS_GCAL_REPEAT_WEEKLY: u32 = 2;

/// Every weekday, Monday to Friday.
pub const GS_GCAL_REPEAT_WEEKDAYS: u32 = 3;

/// Monthly on the start's day of month (months without it are skipped).
pub const GS_GCAL_REPEAT_MONTHLY_BY_DAY: u32 = 4;

/// Monthly on the start's n-th weekday (e.g. 2nd Tuesday, last Friday).
pub const GS_GCAL_REPEAT_MONTHLY_BY_WEEKDAY: u32 = 5;

/// Yearly on the start's month and day.
pub const GS_GCAL_REPEAT_YEARLY: u32 = 6;

/// `gs_gcal_meeting.repeat_end`: the series never ends.
pub const GS_GCAL_REPEAT_END_NEVER: u32 = 0;

/// The series ends after `repeat_count` occurrences.
pub const GS_GCAL_REPEAT_END_AFTER: u32 = 1;

/// The series ends on `repeat_until` (inclusive).
pub const GS_GCAL_REPEAT_END_ON_DATE: u32 = 2;

/// `gs_gcal_meeting.repeat_weekdays` bits.
pub const GS_GCAL_MONDAY: u32 = 1;

pub const GS_GCAL_TUESDAY: u32 = 2;

pub const GS_GCAL_WEDNESDAY: u32 = 4;

pub const GS_GCAL_THURSDAY: u32 = 8;

pub const GS_GCAL_FRIDAY: u32 = 16;

pub const GS_GCAL_SATURDAY: u32 = 32;

pub const GS_GCAL_SUNDAY: u32 = 64;

/// Size of `gs_gcal_push_result.html_link`.
pub const GS_GCAL_HTML_LINK_SIZE: usize = 512;

/// What `gs_gcal_push_meeting` reports. Set `struct_size =
/// sizeof(gs_gcal_push_result)`; the rest is written only on success.
#[repr(C)]
pub struct gs_gcal_push_result {
    /// `sizeof(gs_gcal_push_result)` as compiled by the caller.
    pub struct_size: u32,
    /// The event's id (an occurrence's instance id when one was edited);
    /// NUL-terminated.
    pub event_id: [c_char; GS_GCAL_EVENT_ID_SIZE],
    /// The event's link in Google Calendar ("" if Google sent none or it
    /// does not fit).
    pub html_link: [c_char; GS_GCAL_HTML_LINK_SIZE],
    /// How many invitees were skipped for lack of an e-mail.
    pub skipped_count: size_t,
    /// GS_GCAL_PUSHED_* bits (fields from here on are written only when
    /// `struct_size` covers them: callers built with an older header get
    /// the older layout).
    pub flags: u32,
    /// Workspace mode: the e-mail of the user whose calendar holds the
    /// event ("" in OAuth user mode, or when queued).
    pub calendar: [c_char; GS_GCAL_CALENDAR_SIZE],
}

/// Size of `gs_gcal_push_result.calendar`.
pub const GS_GCAL_CALENDAR_SIZE: usize = 256;

/// `gs_gcal_push_result.flags`, Workspace mode: the host is not a user of
/// the domain (another domain, or Google answered "Invalid email or User
/// ID"), so the event is in the default subject's calendar with the host
/// as a plain attendee.
pub const GS_GCAL_PUSHED_HOST_FALLBACK: u32 = 1;

/// Creates or updates the Google Calendar event of one PBX meeting (or one
/// occurrence of a repeating meeting, see `occurrence`), in the calendar of
/// option "calendar_id", with invitations per "send_updates". The event id
/// is derived from the meeting id, so pushing the same meeting again
/// updates the one event (full replacement: removed invitees disappear)
/// instead of creating a second; an event deleted in Google is restored,
/// or, if Google refuses, the meeting moves to a new event id (recorded in
/// the state).
///
/// - `meeting`: see `gs_gcal_meeting`; validated before anything is sent.
/// - `out`: receives the event id, its link and the skipped count.
/// - `skipped`, `skipped_cap`: may be NULL/0; receives the indexes into
///   `meeting->invitees` of invitees without an e-mail (not invited).
///
/// Output sizes are checked before any network I/O.
///
/// When Google cannot take the push now (network, TLS, timeouts, 5xx, rate
/// limits, quota, authorization broken), or an earlier change of the same
/// meeting still waits, the push is stored durably in the outbox and the
/// call returns GS_GCAL_QUEUED (not an error; the reason is in the last
/// error); `out` then holds the event id the meeting will get and an empty
/// link. `gs_gcal_sync` sends it.
///
/// Returns GS_GCAL_OK; GS_GCAL_QUEUED; GS_GCAL_OUTBOX_FULL; caller errors (GS_GCAL_NULL_ARGUMENT,
/// GS_GCAL_INVALID_UTF8, GS_GCAL_TOO_LONG, GS_GCAL_STRUCT_SIZE,
/// GS_GCAL_INVALID_ARGUMENT, GS_GCAL_INVALID_TIME (also a local time that
/// does not exist in the zone, in a DST gap), GS_GCAL_INVALID_TIME_ZONE,
/// GS_GCAL_INVALID_EMAIL, GS_GCAL_BUFFER_TOO_SMALL); GS_GCAL_NOT_CONFIGURED,
/// GS_GCAL_NOT_AUTHORIZED, GS_GCAL_REAUTH_REQUIRED and other authorization
/// codes from the token refresh; GS_GCAL_CLOCK_NOT_SET; network and TLS
/// codes; GS_GCAL_API_* (GS_GCAL_API_CONFLICT: the id belongs to an event
/// not created for this meeting; GS_GCAL_API_NOT_FOUND: the occurrence is
/// not in the series); GS_GCAL_STORAGE_IO. Blocks on the network: one
/// request for a new meeting (insert) or an edit of one pushed before
/// (update); at worst 4 (update refused, insert, on 409 get and update) and
/// 3 more after a refused restore, each round repeated once after a token
/// refresh on a 401, each request bounded by "timeout_ms" and all by
/// "call_timeout_ms".
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_push_meeting(
    h: *mut gs_gcal,
    meeting: *const gs_gcal_meeting,
    out: *mut gs_gcal_push_result,
    skipped: *mut size_t,
    skipped_cap: size_t,
) -> gs_gcal_result {
    ffi_fn!(h => {
        // SAFETY: NULL (refused inside) or the caller's struct, valid for the call, whose leading `struct_size` names its layout (the header's contract).
        unsafe { check_struct(out, "out", &PUSH_RESULT_SIZES) }?;
        // SAFETY: NULL (refused inside) or the caller's struct, valid for the call, whose leading `struct_size` names its layout (the header's contract).
        let m = unsafe { read_meeting(meeting) }?;
        let (prepared, sent) = h.with(|c| {
            let prepared = c.prepare(&m)?;
            let n = prepared.skipped_invitees.len();
            if !skipped.is_null() && skipped_cap < n {
                return Err(Error::BufferTooSmall { needed: n, query: false });
            }
            let sent = c.submit_push(&prepared, &m)?;
            Ok((prepared, sent))
        })?;
        let (event_id, link) = match &sent {
            Sent::Done(w) => (w.event_id.as_str(), w.html_link.as_deref().filter(|l| l.len() < GS_GCAL_HTML_LINK_SIZE).unwrap_or("")),
            Sent::Queued(_) => (prepared.target_id.as_str(), ""),
        };
        // Fields are reached through the raw pointer (no reference to the
        // whole struct): a caller of the first layout has a shorter one.
        // SAFETY: checked non-NULL and its struct_size (one of the known layouts, all of which hold these fields) above; the caller keeps it valid for the call (the header's contract).
        let size = unsafe { (*out).struct_size } as usize;
        // SAFETY: as above: every known layout holds event_id, html_link and skipped_count.
        unsafe {
            copy_fixed(&mut (*out).event_id, event_id)?;
            copy_fixed(&mut (*out).html_link, link)?;
            (*out).skipped_count = prepared.skipped_invitees.len();
        }
        if size >= std::mem::size_of::<gs_gcal_push_result>() {
            let (calendar, flags) = match &sent {
                Sent::Done(w) => (w.calendar.as_deref().unwrap_or(""), if w.host_fallback { GS_GCAL_PUSHED_HOST_FALLBACK } else { 0 }),
                Sent::Queued(_) => ("", 0),
            };
            // SAFETY: the caller's struct_size covers the whole current layout (checked on the line above).
            unsafe {
                (*out).flags = flags;
                copy_fixed(&mut (*out).calendar, if calendar.len() < GS_GCAL_CALENDAR_SIZE { calendar } else { "" })?;
            }
        }
        if !skipped.is_null() {
            for (i, idx) in prepared.skipped_invitees.iter().enumerate() {
                // SAFETY: non-NULL, with `skipped_cap` slots (the header's
                // contract); i < n <= skipped_cap, checked before the push.
                unsafe { *skipped.add(i) = *idx };
            }
        }
        match sent {
            Sent::Done(_) => Ok(()),
            Sent::Queued(reason) => Err(Error::Queued(Box::new(reason))),
        }
    })
}

/// Cancels a meeting: deletes its Google Calendar event (guests notified
/// per "send_updates"), or only one occurrence of a repeating meeting.
/// An event already gone counts as done.
///
/// - `meeting_id`: the PBX meeting id given to `gs_gcal_push_meeting`.
/// - `occurrence`: NULL for the whole meeting, or the original local start
///   "YYYY-MM-DDTHH:MM" of the one occurrence to cancel.
/// - `time_zone`: the meeting's IANA zone; needed with `occurrence`, else
///   may be NULL.
///
/// Like a push, a cancel Google cannot take now is stored in the outbox:
/// GS_GCAL_QUEUED (a queued, never-sent creation of the same meeting is
/// simply dropped).
///
/// Returns GS_GCAL_OK; GS_GCAL_QUEUED; GS_GCAL_OUTBOX_FULL;
/// GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8, GS_GCAL_TOO_LONG,
/// GS_GCAL_INVALID_ARGUMENT, GS_GCAL_INVALID_TIME,
/// GS_GCAL_INVALID_TIME_ZONE; GS_GCAL_API_* codes Google gives for good.
/// Blocks on the network: one request, repeated once after a token refresh
/// on a 401, bounded by "timeout_ms" and the whole call by
/// "call_timeout_ms".
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_cancel_meeting(
    h: *mut gs_gcal,
    meeting_id: *const c_char,
    occurrence: *const c_char,
    time_zone: *const c_char,
) -> gs_gcal_result {
    ffi_fn!(h => {
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let id = unsafe { cstr::req(meeting_id, "meeting_id", crate::meeting::MAX_MEETING_ID) }?;
        if id.is_empty() {
            return Err(Error::InvalidArgument("meeting_id is empty".into()));
        }
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let occ = unsafe { cstr::opt(occurrence, "occurrence", 64) }?;
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let tz = unsafe { cstr::opt(time_zone, "time_zone", 64) }?;
        match h.with(|c| c.submit_cancel(&id, occ.as_deref(), tz.as_deref()))? {
            Sent::Done(()) => Ok(()),
            Sent::Queued(reason) => Err(Error::Queued(Box::new(reason))),
        }
    })
}

unsafe fn read_meeting(p: *const gs_gcal_meeting) -> Result<Meeting, Error> {
    // The size first: an older caller's struct may be shorter.
    // SAFETY: NULL (refused inside) or the caller's struct, valid for the call, whose leading `struct_size` names its layout (the header's contract).
    unsafe { check_struct(p, "meeting", &MEETING_SIZES) }?;
    // SAFETY: checked non-NULL (and its struct_size) above; the caller keeps it valid for the call (the header's contract).
    let m = unsafe { &*p };
    const MAXS: usize = cstr::MAX_ARG;
    let person = |p: &gs_gcal_person, name: &'static str, email: &'static str| -> Result<Person, Error> {
        if p.flags != 0 {
            return Err(Error::InvalidArgument(format!("{name}: flags must be 0")));
        }
        Ok(Person {
            // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
            name: unsafe { cstr::opt(p.name, name, crate::meeting::MAX_NAME) }?.unwrap_or_default(),
            // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
            email: unsafe { cstr::opt(p.email, email, 320) }?,
        })
    };
    let host = person(&m.host, "host.name", "host.email")?;
    let count = m.invitee_count;
    if count > crate::meeting::MAX_INVITEES {
        return Err(Error::InvalidArgument(format!(
            "invitee_count {count} is above {}",
            crate::meeting::MAX_INVITEES
        )));
    }
    if count > 0 && m.invitees.is_null() {
        return Err(Error::NullArgument("meeting->invitees"));
    }
    let mut invitees = Vec::with_capacity(count);
    for i in 0..count {
        // SAFETY: `invitees` is non-NULL (checked above) and holds
        // `invitee_count` entries (the header's contract); i < count.
        invitees.push(person(unsafe { &*m.invitees.add(i) }, "invitees[].name", "invitees[].email")?);
    }
    Ok(Meeting {
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        meeting_id: unsafe { cstr::req(m.meeting_id, "meeting_id", crate::meeting::MAX_MEETING_ID) }?,
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        subject: unsafe { cstr::opt(m.subject, "subject", crate::meeting::MAX_SUBJECT) }?.unwrap_or_default(),
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        start: unsafe { cstr::req(m.start, "start", 64) }?,
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        end: unsafe { cstr::req(m.end, "end", 64) }?,
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        time_zone: unsafe { cstr::req(m.time_zone, "time_zone", 64) }?,
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        room: unsafe { cstr::opt(m.room, "room", crate::meeting::MAX_NAME) }?,
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        agenda: unsafe { cstr::opt(m.agenda, "agenda", crate::meeting::MAX_TEXT.min(MAXS)) }?,
        host: (host.email.is_some() || !host.name.is_empty()).then_some(host),
        invitees,
        email_reminder_minutes: m.email_reminder_minutes,
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        participant_password: unsafe { cstr::opt(m.participant_password, "participant_password", 64) }?,
        share_participant_password: m.flags & GS_GCAL_MEETING_SHARE_PASSWORD != 0,
        // SAFETY: NULL (refused inside) or the caller's struct, valid for the call, whose leading `struct_size` names its layout (the header's contract).
        repeat: unsafe { read_repeat(m) }?,
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        occurrence: unsafe { cstr::opt(m.occurrence, "occurrence", 64) }?,
    })
}

/// The repeat fields of the C struct as a `Repeat` (None: single meeting).
unsafe fn read_repeat(m: &gs_gcal_meeting) -> Result<Option<Repeat>, Error> {
    if m.flags & !GS_GCAL_MEETING_SHARE_PASSWORD != 0 {
        return Err(Error::InvalidArgument(format!("flags: unknown bits 0x{:x}", m.flags)));
    }
    let (freq, monthly_by, weekdays) = match m.repeat {
        GS_GCAL_REPEAT_NONE => return Ok(None),
        GS_GCAL_REPEAT_DAILY => (Freq::Daily, MonthlyBy::DayOfMonth, m.repeat_weekdays),
        GS_GCAL_REPEAT_WEEKLY => (Freq::Weekly, MonthlyBy::DayOfMonth, m.repeat_weekdays),
        GS_GCAL_REPEAT_WEEKDAYS => (Freq::Weekly, MonthlyBy::DayOfMonth, u32::from(crate::meeting::recurrence::WEEKDAYS_MON_FRI)),
        GS_GCAL_REPEAT_MONTHLY_BY_DAY => (Freq::Monthly, MonthlyBy::DayOfMonth, m.repeat_weekdays),
        GS_GCAL_REPEAT_MONTHLY_BY_WEEKDAY => (Freq::Monthly, MonthlyBy::NthWeekday, m.repeat_weekdays),
        GS_GCAL_REPEAT_YEARLY => (Freq::Yearly, MonthlyBy::DayOfMonth, m.repeat_weekdays),
        other => return Err(Error::InvalidArgument(format!("repeat: unknown value {other}"))),
    };
    let weekdays = u8::try_from(weekdays)
        .map_err(|_| Error::InvalidArgument(format!("repeat_weekdays: unknown bits 0x{weekdays:x}")))?;
    let end = match m.repeat_end {
        GS_GCAL_REPEAT_END_NEVER => End::Never,
        GS_GCAL_REPEAT_END_AFTER => End::Count(m.repeat_count),
        GS_GCAL_REPEAT_END_ON_DATE => {
            // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
            let until = unsafe { cstr::req(m.repeat_until, "repeat_until", 16) }?;
            End::Until(crate::meeting::localtime::parse_date_field("repeat_until", &until)?)
        }
        other => return Err(Error::InvalidArgument(format!("repeat_end: unknown value {other}"))),
    };
    Ok(Some(Repeat { freq, interval: m.repeat_interval.max(1), weekdays, monthly_by, end }))
}

/// Sends what waits in the outbox (pushes and cancels that returned
/// GS_GCAL_QUEUED), oldest first, within `budget_ms`: each entry waits for
/// its backoff (exponential with full jitter, or Google's Retry-After), a
/// quota pause or an open circuit breaker stop the run, and an operation
/// Google refuses for good is parked (listed in the status, never
/// retried). Call it periodically from the firmware's timer (e.g. every
/// 30 s); it starts no thread.
///
/// - `budget_ms`: no request is started, and none runs, past it (1..600000).
/// - `sent`, `remaining`: may be NULL; how many were sent, how many wait.
///
/// Returns GS_GCAL_OK (whatever remains; see `remaining` and the status),
/// GS_GCAL_INVALID_ARGUMENT (budget out of range), GS_GCAL_NULL_ARGUMENT,
/// GS_GCAL_STORAGE_IO. Blocks at most `budget_ms` (plus disk writes).
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_sync(h: *mut gs_gcal, budget_ms: u32, sent: *mut size_t, remaining: *mut size_t) -> gs_gcal_result {
    ffi_fn!(h => {
        if !(1..=600_000).contains(&budget_ms) {
            return Err(Error::InvalidArgument(format!("budget_ms {budget_ms} is not within 1..600000")));
        }
        let (s, r) = h.with(|c| c.sync(std::time::Duration::from_millis(budget_ms.into())))?;
        if !sent.is_null() {
            // SAFETY: checked non-NULL (and its struct_size) above; the caller keeps it valid for the call (the header's contract).
            unsafe { *sent = s };
        }
        if !remaining.is_null() {
            // SAFETY: checked non-NULL (and its struct_size) above; the caller keeps it valid for the call (the header's contract).
            unsafe { *remaining = r };
        }
        Ok(())
    })
}

/// Makes everything waiting in the outbox due now (clearing backoffs) and
/// closes the circuit breaker, for the firmware's "Sync now" button or when
/// it knows the WAN link came back; the next `gs_gcal_sync` sends it. A
/// quota pause from Google still holds. Returns GS_GCAL_OK,
/// GS_GCAL_NULL_ARGUMENT or GS_GCAL_STORAGE_IO. No network.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_retry_now(h: *mut gs_gcal) -> gs_gcal_result {
    ffi_fn!(h => { h.with(|c| c.retry_now()) })
}
