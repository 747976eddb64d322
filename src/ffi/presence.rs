//! Exports of presence (the extensions' free/busy, issue 15) and of the
//! replies to pushed meetings.

use super::{check_struct, copy_fixed, cstr, gs_gcal};
use crate::errors::{gs_gcal_result, Error};
use crate::presence::{Presence, MAX_ADDRESSES, MAX_ADDRESS_LEN};
use crate::reader::presence::lock;
use libc::{c_char, size_t};

/// `gs_gcal_presence.state`: nothing is known (see `reason`).
pub const GS_GCAL_PRESENCE_UNKNOWN: u32 = 0;
/// `gs_gcal_presence.state`: free at the asked time.
pub const GS_GCAL_PRESENCE_FREE: u32 = 1;
/// `gs_gcal_presence.state`: busy at the asked time.
pub const GS_GCAL_PRESENCE_BUSY: u32 = 2;
/// Size of `gs_gcal_presence.reason` (with its NUL).
pub const GS_GCAL_PRESENCE_REASON_SIZE: usize = 32;

/// Sets the presence directory: the e-mail addresses (calendar ids) of the
/// extensions whose free/busy `gs_gcal_presence_refresh` asks Google for.
/// Replaces the whole list; what is known of addresses still listed is
/// kept. Not persisted: set it after every `gs_gcal_open`, like options.
///
/// - `emails`: `count` NUL-terminated UTF-8 addresses (copied; compared
///   without case; duplicates count once); may be NULL when `count` is 0
///   (an empty directory).
/// - `count`: at most 50000.
///
/// Returns GS_GCAL_OK; GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG (an address over 254 bytes), GS_GCAL_INVALID_EMAIL (the
/// last error names it), GS_GCAL_INVALID_ARGUMENT (too many). On error the
/// directory is unchanged. Never blocks on the network; may be called
/// while another thread refreshes (that refresh stores answers only for
/// addresses still listed).
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_presence_set(h: *mut gs_gcal, emails: *const *const c_char, count: size_t) -> gs_gcal_result {
    ffi_fn!(h => {
        if count > MAX_ADDRESSES {
            return Err(Error::InvalidArgument(format!("presence: {count} addresses; at most {MAX_ADDRESSES}")));
        }
        if count > 0 && emails.is_null() {
            return Err(Error::NullArgument("emails"));
        }
        // Borrowed for the call: the directory keeps its own lower-cased copies.
        let mut refs: Vec<&str> = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: `emails` is non-NULL (checked) and has `count` readable pointers (the header's contract).
            let p = unsafe { *emails.add(i) };
            // SAFETY: each pointer is NULL (refused inside) or a NUL-terminated string the caller keeps for the call (the header's contract); at most max+1 bytes are read.
            refs.push(unsafe { cstr::req_borrowed(p, "emails[i]", MAX_ADDRESS_LEN) }?);
        }
        lock(&h.presence).set(&refs).map_err(|bad| {
            Error::InvalidEmail(format!(
                "presence: \"{}\" is not an e-mail address (local@domain, no spaces)",
                crate::oauth::printable(&bad)
            ))
        })
    })
}

/// What one `gs_gcal_presence_refresh` did.
#[repr(C)]
pub struct gs_gcal_presence_report {
    /// `sizeof(gs_gcal_presence_report)` as compiled by the caller.
    pub struct_size: u32,
    /// freebusy.query requests made (one per 50 addresses).
    pub requests: u32,
    /// Addresses Google answered for.
    pub refreshed: u32,
    /// Of those, answered with a per-calendar error (state unknown).
    pub unknown: u32,
    /// Addresses the budget did not reach; the next refresh starts with them.
    pub remaining: u32,
}

const REPORT_SIZES: [usize; 1] = [std::mem::size_of::<gs_gcal_presence_report>()];

/// Refreshes the presence directory from Google (`freebusy.query`, 50
/// addresses per request, window now → now + option
/// "presence_horizon_min"), for at most `budget_ms` milliseconds:
/// addresses not reached are refreshed first next time (round robin), so
/// calling it every minute with a short budget cycles through thousands.
/// Honours the quota pause, the circuit breaker and its own backoff like
/// every call: while they hold, it returns at once with the code of the
/// failure that caused the wait and makes no request.
///
/// - `out`: NULL, or a report with `struct_size` set, written on success.
///
/// Returns GS_GCAL_OK (also for an empty directory); GS_GCAL_STRUCT_SIZE;
/// GS_GCAL_PRESENCE_NOT_GRANTED (the authorization lacks the free/busy
/// scope: authorize again; nothing else is affected); authorization,
/// clock, network, TLS and GS_GCAL_API_* codes (what was refreshed before
/// a failure is kept). Blocks at most `budget_ms` (and "call_timeout_ms").
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_presence_refresh(h: *mut gs_gcal, budget_ms: u32, out: *mut gs_gcal_presence_report) -> gs_gcal_result {
    ffi_fn!(h => {
        if !out.is_null() {
            // SAFETY: the caller's struct, valid for the call, whose leading `struct_size` names its layout (the header's contract).
            unsafe { check_struct(out, "out", &REPORT_SIZES) }?;
        }
        let budget = std::time::Duration::from_millis(budget_ms.into());
        let r = h.with(|c| c.presence_refresh(budget))?;
        if !out.is_null() {
            // SAFETY: checked non-NULL and its struct_size above; valid for the call (the header's contract).
            let o = unsafe { &mut *out };
            (o.requests, o.refreshed, o.unknown, o.remaining) = (r.requests, r.refreshed, r.unknown, r.remaining);
        }
        Ok(())
    })
}

/// Presence of one extension at one instant, from the directory's last
/// refresh (no network).
#[repr(C)]
pub struct gs_gcal_presence {
    /// `sizeof(gs_gcal_presence)` as compiled by the caller.
    pub struct_size: u32,
    /// GS_GCAL_PRESENCE_BUSY, GS_GCAL_PRESENCE_FREE or GS_GCAL_PRESENCE_UNKNOWN.
    pub state: u32,
    /// Busy: unix time the busy period ends (back-to-back periods merged).
    /// Free: when the next busy period starts, 0 if none before
    /// `known_until`. Unknown: 0.
    pub until: i64,
    /// Unix time up to which the answer is known (the refreshed window, or
    /// the last busy period kept); 0 when unknown.
    pub known_until: i64,
    /// Unix time of Google's answer for this address; 0 if never.
    pub refreshed_at: i64,
    /// Unknown only: Google's per-calendar reason ("notFound",
    /// "internalError", "tooManyCalendarsRequested", ...) or the library's:
    /// "notListed" (not in the directory), "notRefreshed" (no answer yet),
    /// "outsideWindow" (`when` outside the refreshed window). "" otherwise.
    pub reason: [c_char; GS_GCAL_PRESENCE_REASON_SIZE],
}

const PRESENCE_SIZES: [usize; 1] = [std::mem::size_of::<gs_gcal_presence>()];

/// Fills `*out` with the presence of `email` (compared without case) at
/// `when` (unix seconds), from the table `gs_gcal_presence_refresh` keeps.
/// Does not wait for a refresh in progress on the network (the table has
/// its own lock, held only to copy one entry). A query: its failures are
/// not recorded as the last error.
///
/// Returns GS_GCAL_OK (also for unknown: see `state` and `reason`);
/// GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8, GS_GCAL_TOO_LONG,
/// GS_GCAL_STRUCT_SIZE; GS_GCAL_PRESENCE_NOT_GRANTED when the last refresh
/// found the free/busy scope missing. `*out` is written only on GS_GCAL_OK.
/// Never blocks. Thread-safe.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_presence_get(h: *const gs_gcal, email: *const c_char, when: i64, out: *mut gs_gcal_presence) -> gs_gcal_result {
    let h = handle!(h);
    ffi_fn!(=> {
        // SAFETY: NULL (refused inside) or the caller's struct, valid for the call, whose leading `struct_size` names its layout (the header's contract).
        unsafe { check_struct(out, "out", &PRESENCE_SIZES) }?;
        // SAFETY: NULL or a NUL-terminated string that the caller keeps for
        // the call (the header's contract); at most max+1 bytes are read.
        let email = unsafe { cstr::req_borrowed(email, "email", MAX_ADDRESS_LEN) }?;
        let p = {
            let d = lock(&h.presence);
            if d.not_granted {
                return Err(Error::PresenceNotGranted("presence needs the free/busy scope: authorize again to enable presence".into()));
            }
            d.get(email, when)
        };
        // SAFETY: checked non-NULL (and its struct_size) above; the caller keeps it valid for the call (the header's contract).
        let o = unsafe { &mut *out };
        let (state, until, known_until, at, reason) = match &p {
            Presence::Busy { until, known_until, at } => (GS_GCAL_PRESENCE_BUSY, *until, *known_until, *at, ""),
            Presence::Free { next, known_until, at } => (GS_GCAL_PRESENCE_FREE, *next, *known_until, *at, ""),
            Presence::Unknown { reason, at } => (GS_GCAL_PRESENCE_UNKNOWN, 0, 0, *at, &**reason),
        };
        copy_fixed(&mut o.reason, cstr::truncate(reason, GS_GCAL_PRESENCE_REASON_SIZE - 1))?;
        (o.state, o.until, o.known_until, o.refreshed_at) = (state, until, known_until, at);
        Ok(())
    })
}

/// Each invitee's answer to a meeting this handle pushed, from the local
/// copy `gs_gcal_sync_events` keeps current (no request): JSON
/// `{"meeting_id", "event_id", "found", "occurrence", "start",
/// "attendees": [{"email", "response", "resource"}], "counts":
/// {"accepted", "declined", "tentative", "needsAction", "other"}}`;
/// "response" is Google's responseStatus (unknown values "other"). For a
/// repeating meeting the next occurrence not yet ended answers
/// ("occurrence" is its event id). "found" is false when the event is not in
/// the local copy (ended before the synced window, or beyond
/// "read_horizon_days").
///
/// - `meeting_id`: the PBX meeting id given to `gs_gcal_push_meeting`.
/// - `buf`/`len`/`needed` as in `gs_gcal_auth_url`.
///
/// Returns GS_GCAL_OK; GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG, GS_GCAL_BUFFER_TOO_SMALL; GS_GCAL_INVALID_ARGUMENT (no
/// such meeting pushed by this handle); GS_GCAL_NOT_SYNCED (option
/// "calendar_id" is not in "read_calendars" or not synced yet). Never
/// blocks on the network.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_replies(h: *mut gs_gcal, meeting_id: *const c_char, buf: *mut c_char, len: size_t, needed: *mut size_t) -> gs_gcal_result {
    ffi_fn!(h => {
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let id = unsafe { cstr::req(meeting_id, "meeting_id", 256) }?;
        let doc = h.with(|c| c.replies(&id))?;
        // SAFETY: `buf` is NULL or has `len` writable bytes and `needed` is NULL or writable (the header's contract).
        unsafe { cstr::write(buf, len, needed, &doc.to_string()) }
    })
}
