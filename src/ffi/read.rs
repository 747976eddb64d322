//! Exports of the read side: events and calendars listed, the cache
//! synced, busy/free.

use super::cstr;
use super::{check_struct, gs_gcal};
use crate::errors::gs_gcal_result;
use libc::{c_char, size_t};

/// Lists the events of one calendar in a window, recurring meetings
/// expanded into their occurrences, all pages followed, as a JSON object
/// `{"calendar", "time_zone", "events": [...]}`; each event has "id",
/// "summary" (null for private events), "start"/"end" (RFC 3339, or a date
/// for all-day events), "time_zone", "all_day", "status", "transparency",
/// "visibility", "self_response" (the authorized user's answer, or null),
/// "event_type" (unknown types are "other"), "pbx_meeting_id" (the PBX
/// meeting it was pushed for, or null) and "recurring_event_id".
///
/// - `calendar_id`: NULL for "primary" (the authorized account's own
///   calendar), as in every function that takes a calendar id; pass the
///   option "calendar_id"'s value to read the calendar meetings go to.
/// - `time_min`, `time_max`: RFC 3339 with offset, e.g.
///   "2024-05-06T00:00:00+02:00"; events ending after `time_min` and
///   starting before `time_max`.
/// - `buf`/`len`/`needed` as in `gs_gcal_auth_url`; the listing has no side
///   effect, so a call repeated with a bigger buffer is fine.
///
/// Returns GS_GCAL_OK; GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG, GS_GCAL_INVALID_TIME, GS_GCAL_BUFFER_TOO_SMALL;
/// authorization, clock, network, TLS and GS_GCAL_API_* codes. Blocks for
/// one request per page (250 events), at most 40 pages, each bounded by
/// "timeout_ms".
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_list_events(
    h: *mut gs_gcal,
    calendar_id: *const c_char,
    time_min: *const c_char,
    time_max: *const c_char,
    buf: *mut c_char,
    len: size_t,
    needed: *mut size_t,
) -> gs_gcal_result {
    ffi_fn!(h => {
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let cal = unsafe { cstr::opt(calendar_id, "calendar_id", 1024) }?;
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let min = unsafe { cstr::req(time_min, "time_min", 64) }?;
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let max = unsafe { cstr::req(time_max, "time_max", 64) }?;
        let doc = h.with(|c| c.list_events(cal.as_deref(), &min, &max))?;
        // SAFETY: `buf` is NULL or has `len` writable bytes and `needed` is NULL or writable (the header's contract).
        unsafe { cstr::write(buf, len, needed, &doc.to_string()) }
    })
}

/// Brings the local copy of the calendars in option "read_calendars"
/// (default "primary") up to date, for `gs_gcal_busy_at`: the first time a
/// full sync of upcoming events, then only Google's changes (one request
/// when nothing changed); when Google says the sync token expired (410), a
/// full resync that also drops what no longer exists. Call it
/// periodically (e.g. every minute).
///
/// Writes a JSON report: `{"calendars": [{"calendar", "full_sync",
/// "changed", "removed", "skipped"}], "drift": [{"meeting_id", "event_id",
/// "change": "modified"|"deleted"}]}` — "drift" lists meetings pushed by
/// this PBX whose event was edited or deleted in Google since. Drift stays
/// in the report until a call delivers it whole: after
/// GS_GCAL_BUFFER_TOO_SMALL call again with a bigger buffer.
///
/// Returns GS_GCAL_OK; GS_GCAL_NULL_ARGUMENT, GS_GCAL_BUFFER_TOO_SMALL;
/// authorization, clock, network, TLS and GS_GCAL_API_* codes;
/// GS_GCAL_STORAGE_IO. Blocks for one request per page and calendar, each
/// bounded by "timeout_ms".
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_sync_events(h: *mut gs_gcal, buf: *mut c_char, len: size_t, needed: *mut size_t) -> gs_gcal_result {
    ffi_fn!(h => {
        h.with(|c| {
            let report = c.sync_events()?;
            // SAFETY: `buf` is NULL or has `len` writable bytes and `needed` is NULL or writable (the header's contract).
            unsafe { cstr::write(buf, len, needed, &report.to_string()) }?;
            c.ack_drift()
        })
    })
}

/// Presence at one instant, from the local copy made by
/// `gs_gcal_sync_events` (no network). Busy when a confirmed, opaque event
/// that the user has not declined (or answered tentatively) covers the
/// time; working-location events never make busy; out-of-office events do
/// and set `out_of_office`; all-day events follow their transparency.
#[repr(C)]
pub struct gs_gcal_busy {
    /// `sizeof(gs_gcal_busy)` as compiled by the caller.
    pub struct_size: u32,
    /// 1 busy, 0 free.
    pub busy: u32,
    /// 1 when an out-of-office event makes busy.
    pub out_of_office: u32,
    /// Busy: unix time when the busy stretch ends (back-to-back events
    /// merged). Free: when the next busy event starts, or 0 if none known.
    pub until: i64,
}

const BUSY_SIZES: [usize; 1] = [std::mem::size_of::<gs_gcal_busy>()];

/// Fills `*out` with the presence at `unix_time` in `calendar_id` (NULL
/// for "primary", as in every function that takes a calendar id),
/// answered from the local copy.
///
/// Returns GS_GCAL_OK; GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_STRUCT_SIZE; GS_GCAL_NOT_SYNCED (not in "read_calendars" or no
/// sync yet); GS_GCAL_STORAGE_IO never (a damaged local copy reads as
/// empty). Never blocks on the network.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_busy_at(
    h: *mut gs_gcal,
    calendar_id: *const c_char,
    unix_time: i64,
    out: *mut gs_gcal_busy,
) -> gs_gcal_result {
    ffi_fn!(h => {
        // SAFETY: NULL (refused inside) or the caller's struct, valid for the call, whose leading `struct_size` names its layout (the header's contract).
        unsafe { check_struct(out, "out", &BUSY_SIZES) }?;
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let cal = unsafe { cstr::opt(calendar_id, "calendar_id", 1024) }?;
        let b = h.with(|c| c.busy_at(cal.as_deref(), unix_time))?;
        // SAFETY: checked non-NULL (and its struct_size) above; the caller keeps it valid for the call (the header's contract).
        let o = unsafe { &mut *out };
        o.busy = u32::from(b.busy);
        o.out_of_office = u32::from(b.out_of_office);
        o.until = b.until;
        Ok(())
    })
}

/// Lists the calendars the account can see (its own, shared, resource
/// calendars such as rooms) as a JSON array of `{"id", "summary",
/// "primary", "access_role", "time_zone"}`, for choosing "calendar_id" and
/// "read_calendars". Needs the scope
/// https://www.googleapis.com/auth/calendar.calendarlist.readonly (in the
/// default scopes).
///
/// Returns GS_GCAL_OK; GS_GCAL_NULL_ARGUMENT, GS_GCAL_BUFFER_TOO_SMALL;
/// authorization, clock, network, TLS and GS_GCAL_API_* codes
/// (GS_GCAL_API_FORBIDDEN without the scope). Blocks for one request per
/// page, each bounded by "timeout_ms".
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_list_calendars(h: *mut gs_gcal, buf: *mut c_char, len: size_t, needed: *mut size_t) -> gs_gcal_result {
    ffi_fn!(h => {
        let doc = h.with(|c| c.list_calendars())?;
        // SAFETY: `buf` is NULL or has `len` writable bytes and `needed` is NULL or writable (the header's contract).
        unsafe { cstr::write(buf, len, needed, &doc.to_string()) }
    })
}
