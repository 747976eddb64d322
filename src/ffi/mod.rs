//! The C boundary: one function per C symbol, each doing check → convert →
//! call → map. The only module allowed `unsafe`. Documentation on the
//! exports is copied into `include/gs_gcal.h` by cbindgen.
#![allow(unsafe_code)]
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)] // the safety contract is in each C doc comment

pub mod cstr;
pub mod panic;


use crate::auth::device::DevicePoll;
use crate::handle::Handle;
use crate::writer::Sent;
use crate::errors::Error;
use crate::meeting::recurrence::{End, Freq, MonthlyBy, Repeat};
use crate::meeting::{Meeting, Person};
use crate::status::LastError;
use libc::{c_char, size_t};
use panic::{guard, guard_value};
use crate::errors as result;
use crate::errors::gs_gcal_result;
use std::ffi::CStr;
use std::sync::{Mutex, MutexGuard};

/// Major version of this library (semantic versioning; matches Cargo.toml).
pub const GS_GCAL_VERSION_MAJOR: u32 = 0;
/// Minor version of this library.
pub const GS_GCAL_VERSION_MINOR: u32 = 1;
/// Patch version of this library.
pub const GS_GCAL_VERSION_PATCH: u32 = 0;
/// `(MAJOR << 16) | (MINOR << 8) | PATCH`, for `#if` comparisons.
pub const GS_GCAL_VERSION_NUMBER: u32 =
    (GS_GCAL_VERSION_MAJOR << 16) | (GS_GCAL_VERSION_MINOR << 8) | GS_GCAL_VERSION_PATCH;

/// Size of a buffer that always holds `gs_gcal_last_error` text (with NUL),
/// like curl's CURL_ERROR_SIZE.
pub const GS_GCAL_ERROR_SIZE: usize = 256;
/// Size of a buffer that always holds an event id this library creates.
pub const GS_GCAL_EVENT_ID_SIZE: usize = 64;
/// Size of `gs_gcal_device_code.user_code`.
pub const GS_GCAL_USER_CODE_SIZE: usize = 64;
/// Size of `gs_gcal_device_code.verification_url`.
pub const GS_GCAL_VERIFICATION_URL_SIZE: usize = 260;

/// One Google account's integration. Opaque to C: create with
/// `gs_gcal_open`, destroy with `gs_gcal_close`.
pub struct gs_gcal {
    client: Mutex<Handle>,
    // Separate from `client` so reading them never waits for a network call.
    last_error: Mutex<Option<LastError>>,
    /// The status as of the end of the last call, and when it was taken.
    snapshot: Mutex<(crate::status::Snapshot, std::time::Instant)>,
}


impl gs_gcal {
    pub(crate) fn set_last_error(&self, code: gs_gcal_result, e: &Error) {
        let text = e.to_string();
        let message = cstr::truncate(&text, GS_GCAL_ERROR_SIZE - 1).to_owned();
        *lock(&self.last_error) = Some(LastError { code, message });
    }

    /// Runs `f` on the client under its lock, bounded by the whole-call
    /// deadline, then refreshes the status snapshot.
    fn with<T>(&self, f: impl FnOnce(&mut Handle) -> Result<T, Error>) -> Result<T, Error> {
        let mut c = lock(&self.client);
        c.begin_call();
        let r = f(&mut c);
        c.end_call();
        *lock(&self.snapshot) = (c.status_doc(), std::time::Instant::now());
        r
    }
}

/// A panic inside a call poisons the lock; the state behind it is still
/// consistent (it changes only after a successful save), so carry on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

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
    /// Stable PBX meeting id (required, ≤ 256 bytes); the same id always
    /// maps to the same Google event.
    pub meeting_id: *const c_char,
    /// Subject, becomes the event title (≤ 1024 bytes).
    pub subject: *const c_char,
    /// Start as local wall time in `time_zone`: "YYYY-MM-DDTHH:MM[:SS]".
    pub start: *const c_char,
    /// End: local wall time like `start`, or just "HH:MM[:SS]" on the
    /// start's date (the next day when not after the start time).
    pub end: *const c_char,
    /// IANA time zone name, e.g. "Etc/GMT-1" (= UTC+01:00) or "Europe/Berlin".
    pub time_zone: *const c_char,
    /// Meeting room number or name; NULL for none. Becomes the location and
    /// the "how to join" line.
    pub room: *const c_char,
    /// Agenda, becomes the description (≤ 8192 bytes); NULL for none.
    pub agenda: *const c_char,
    /// The host, added as an attendee when it has an e-mail.
    pub host: gs_gcal_person,
    /// Invitees (may be NULL when `invitee_count` is 0), at most 1000.
    pub invitees: *const gs_gcal_person,
    pub invitee_count: size_t,
    /// E-mail reminder before the start, in minutes; 0 = none; ≤ 40320.
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
    /// Last date "YYYY-MM-DD" (local) that may hold an occurrence.
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
}

/// What the administrator needs to approve a device-flow authorization:
/// show `user_code` and `verification_url` (e.g. https://www.google.com/device)
/// with a countdown of `expires_in` seconds. Set `struct_size =
/// sizeof(gs_gcal_device_code)` before the call; the rest is written only
/// on success.
#[repr(C)]
pub struct gs_gcal_device_code {
    /// `sizeof(gs_gcal_device_code)` as compiled by the caller.
    pub struct_size: u32,
    /// The code to type at the verification URL (NUL-terminated).
    pub user_code: [c_char; GS_GCAL_USER_CODE_SIZE],
    /// Where to type it (NUL-terminated).
    pub verification_url: [c_char; GS_GCAL_VERIFICATION_URL_SIZE],
    /// Seconds until the code expires.
    pub expires_in: u32,
    /// Seconds to wait between `gs_gcal_device_poll` calls.
    pub interval: u32,
}

/// Struct sizes this library accepts (one per published layout).
const MEETING_SIZES: [usize; 1] = [std::mem::size_of::<gs_gcal_meeting>()];
const DEVICE_CODE_SIZES: [usize; 1] = [std::mem::size_of::<gs_gcal_device_code>()];
const PUSH_RESULT_SIZES: [usize; 1] = [std::mem::size_of::<gs_gcal_push_result>()];

/// Checks a caller struct's leading `struct_size` (and that the pointer is
/// not NULL) against the layouts this library knows.
unsafe fn check_struct<T>(p: *const T, what: &'static str, known: &[usize]) -> Result<(), Error> {
    if p.is_null() {
        return Err(Error::NullArgument(what));
    }
    let size = *p.cast::<u32>() as usize;
    if known.contains(&size) {
        Ok(())
    } else {
        Err(Error::StructSize(format!(
            "{what}->struct_size is {size}; set it to sizeof the struct in the header this \
             library was built with (sizes known: {known:?})"
        )))
    }
}

macro_rules! handle {
    ($h:expr) => {
        match $h.as_ref() {
            Some(h) => h,
            None => return result::GS_GCAL_NULL_ARGUMENT,
        }
    };
}

/// Opens the integration whose state lives in `state_dir` (created if
/// missing, mode 0700 recommended) and returns a new handle in `*out`.
///
/// - `state_dir`: directory for the state file (client, tokens); one handle
///   per directory at a time, even across processes.
/// - `out`: receives the handle; unchanged on error.
///
/// Returns GS_GCAL_OK, GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG, GS_GCAL_INVALID_ARGUMENT, GS_GCAL_STORAGE_IO,
/// GS_GCAL_STATE_CORRUPT (file left untouched), GS_GCAL_STATE_LOCKED.
/// Blocks only on local disk. Thread-safe (no shared state between handles).
/// Free the handle with `gs_gcal_close`.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_open(state_dir: *const c_char, out: *mut *mut gs_gcal) -> gs_gcal_result {
    guard(None, || {
        if out.is_null() {
            return Err(Error::NullArgument("out"));
        }
        let dir = cstr::req(state_dir, "state_dir", 4096)?;
        let client = Handle::open(std::path::Path::new(&dir))?;
        let snapshot = Mutex::new((client.status_doc(), std::time::Instant::now()));
        let h = Box::new(gs_gcal { client: Mutex::new(client), last_error: Mutex::new(None), snapshot });
        *out = Box::into_raw(h);
        Ok(())
    })
}

/// Closes a handle, releasing its state directory. `h` may be NULL (no-op).
/// Closing a handle twice, or while another thread still uses it, is
/// forbidden. Never blocks on the network.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_close(h: *mut gs_gcal) {
    if !h.is_null() {
        guard_value((), || drop(Box::from_raw(h)));
    }
}

/// Sets an option (string key and value; copied). Options are not
/// persisted: set them after every `gs_gcal_open`.
///
/// Keys: "auth_endpoint", "token_endpoint", "device_endpoint",
/// "revoke_endpoint", "calendar_api_base" (https URLs; http only for
/// loopback hosts; defaults are Google's), "scopes" (space-separated;
/// default "openid email https://www.googleapis.com/auth/calendar.events
/// https://www.googleapis.com/auth/calendar.calendarlist.readonly"),
/// "login_hint" (account e-mail pre-filled at sign-in), "ca_file" (PEM bundle replacing the
/// built-in Mozilla roots; "" restores them), "connect_timeout_ms" (default
/// 10000) and "timeout_ms" (whole request, default 30000; both 1..600000),
/// "calendar_id" (default "primary"), "read_calendars" (comma-separated
/// calendar ids that gs_gcal_sync_events keeps, default "primary"),
/// "zoneinfo_dir" (default "/usr/share/zoneinfo"), "instance_id" (event-id namespace for
/// PBXes sharing a calendar; default ""), "send_updates" ("all" default,
/// "externalOnly", "none").
///
/// Returns GS_GCAL_OK, GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG, GS_GCAL_UNKNOWN_OPTION, GS_GCAL_INVALID_OPTION_VALUE,
/// GS_GCAL_INSECURE_URL, GS_GCAL_CA_FILE. On error nothing changes.
/// Does not block on the network ("ca_file" reads the file).
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_set_option(h: *mut gs_gcal, key: *const c_char, value: *const c_char) -> gs_gcal_result {
    let h = handle!(h);
    guard(Some(h), || {
        let key = cstr::req(key, "key", 64)?;
        let value = cstr::req(value, "value", crate::config::MAX_OPTION_LEN)?;
        h.with(|c| c.set_option(&key, &value))
    })
}

/// Log level (`gs_gcal_set_log_callback`; a callback set to a level gets
/// that level and the more severe ones): something failed that needs the
/// administrator (refused for good, re-authorization needed).
pub const GS_GCAL_LOG_ERROR: i32 = 1;
/// Log level: something failed and the library handles it (queued, retried).
pub const GS_GCAL_LOG_WARN: i32 = 2;
/// Log level: one line per Google call (method, URL without query values, status,
/// Google's error reason, Retry-After, duration) and per outcome.
pub const GS_GCAL_LOG_INFO: i32 = 3;
/// Log level: everything (reserved for more detail; today the same as INFO).
pub const GS_GCAL_LOG_DEBUG: i32 = 4;

/// Receives one log line: `level` is a GS_GCAL_LOG_* value, `line` a
/// NUL-terminated UTF-8 line without a newline (at most 1023 bytes), valid
/// only during the call. Called on the thread that made the library call.
pub type gs_gcal_log_fn =
    Option<unsafe extern "C" fn(userdata: *mut libc::c_void, level: i32, line: *const c_char)>;

/// The C function and its userdata; the C side promises in the contract of
/// `gs_gcal_set_log_callback` that they may be used from any thread.
struct CLogFn {
    f: unsafe extern "C" fn(*mut libc::c_void, i32, *const c_char),
    userdata: *mut libc::c_void,
}
unsafe impl Send for CLogFn {}
unsafe impl Sync for CLogFn {}

impl CLogFn {
    fn write(&self, level: crate::log::Level, line: &str) {
        let line = cstr::truncate(line, 1023).replace('\0', " ");
        if let Ok(line) = std::ffi::CString::new(line) {
            // SAFETY: the caller's contract in gs_gcal_set_log_callback.
            unsafe { (self.f)(self.userdata, level as i32, line.as_ptr()) }
        }
    }
}

/// Routes log lines to `log_fn` (e.g. the firmware's syslog): for one handle,
/// or, with `h` NULL, for every handle that has no callback of its own
/// (process-wide). `level` is the most verbose GS_GCAL_LOG_* wanted; `log_fn`
/// NULL or `level` 0 turns logging off (for a handle: back to the
/// process-wide callback). Nothing is logged by default. Lines never
/// contain a client secret, code, token or passphrase.
///
/// `log_fn` must be thread-safe when handles are used from several threads.
/// It runs while the handle is locked: it may call gs_gcal_status_json,
/// gs_gcal_last_error and gs_gcal_strerror, but no other function on the
/// same handle (that would deadlock). It should return quickly (syslog).
///
/// Returns GS_GCAL_OK. Does not block on the network; for a handle, waits
/// for a call in progress on it to finish.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_set_log_callback(
    h: *mut gs_gcal,
    level: i32,
    log_fn: gs_gcal_log_fn,
    userdata: *mut libc::c_void,
) -> gs_gcal_result {
    let handle = if h.is_null() { None } else { Some(handle!(h)) };
    guard(handle, || {
        let sink = match (log_fn, crate::log::Level::from_c(level)) {
            (Some(f), Some(max)) => {
                let c = CLogFn { f, userdata };
                Some(crate::log::Sink {
                    max,
                    write: std::sync::Arc::new(move |lv, line: &str| c.write(lv, line)),
                })
            }
            _ => None,
        };
        match handle {
            Some(h) => h.with(|c| {
                c.set_log(sink);
                Ok(())
            }),
            None => {
                crate::log::set_global(sink);
                Ok(())
            }
        }
    })
}

/// Stores the OAuth client the administrator created in Google Cloud
/// Console: client ID, client secret and, for a "Web application" client,
/// the authorized redirect URI exactly as registered ("" for a "TVs and
/// Limited Input devices" client, which uses the device flow). Persisted
/// (fsync). A different client ID discards existing tokens (their grant is
/// revoked at Google when reachable).
///
/// Returns GS_GCAL_OK, GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG, GS_GCAL_INVALID_ARGUMENT (empty, spaces, not a URL,
/// the retired out-of-band URI), GS_GCAL_STORAGE_IO. Blocks on disk only.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_set_client(
    h: *mut gs_gcal,
    client_id: *const c_char,
    client_secret: *const c_char,
    redirect_uri: *const c_char,
) -> gs_gcal_result {
    let h = handle!(h);
    guard(Some(h), || {
        let id = cstr::req(client_id, "client_id", crate::auth::MAX_CLIENT_ID)?;
        let secret = cstr::req(client_secret, "client_secret", crate::auth::MAX_CLIENT_SECRET)?;
        let uri = cstr::req(redirect_uri, "redirect_uri", crate::auth::MAX_REDIRECT_URI)?;
        h.with(|c| c.set_client(&id, &secret, &uri))
    })
}

/// Writes a fresh "Get Authorization Code" link into `buf`: Google's
/// consent page for the configured client with offline access,
/// prompt=consent, a new random `state` and a PKCE S256 challenge. The
/// link's state is remembered (persisted) so its code can be redeemed.
///
/// - `buf`, `len`: output buffer; NULL with `len` 0 asks for the size.
/// - `needed`: may be NULL; receives the size needed including the NUL,
///   also on GS_GCAL_BUFFER_TOO_SMALL (1 KiB always suffices).
///
/// Returns GS_GCAL_OK, GS_GCAL_NULL_ARGUMENT, GS_GCAL_BUFFER_TOO_SMALL
/// (nothing remembered), GS_GCAL_NOT_CONFIGURED, GS_GCAL_STORAGE_IO.
/// Blocks on disk only.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_auth_url(h: *mut gs_gcal, buf: *mut c_char, len: size_t, needed: *mut size_t) -> gs_gcal_result {
    let h = handle!(h);
    guard(Some(h), || {
        h.with(|c| {
            let link = c.new_auth_link()?;
            let url = link.url.clone();
            // Size check first: a link the caller never sees is not remembered.
            cstr::fits(buf, len, needed, url.len() + 1)?;
            c.remember_link(link)?;
            cstr::write(buf, len, needed, &url)
        })
    })
}

/// Redeems what the administrator pasted after allowing access: the bare
/// code, a URL-encoded code ("4%2F0A..."), or the whole address-bar URL of
/// the redirect (its `state` must match a link from `gs_gcal_auth_url`).
/// Surrounding whitespace is ignored. Exchanges the code at Google's token
/// endpoint, stores the tokens durably (fsync) and learns the account
/// e-mail.
///
/// Returns GS_GCAL_OK; caller errors (GS_GCAL_NULL_ARGUMENT,
/// GS_GCAL_INVALID_UTF8, GS_GCAL_TOO_LONG, GS_GCAL_INVALID_ARGUMENT);
/// GS_GCAL_NOT_CONFIGURED; GS_GCAL_STATE_MISMATCH, GS_GCAL_ACCESS_DENIED,
/// GS_GCAL_INVALID_GRANT (wrong, used or expired code), GS_GCAL_INVALID_CLIENT,
/// GS_GCAL_DELETED_CLIENT, GS_GCAL_UNAUTHORIZED_CLIENT,
/// GS_GCAL_REDIRECT_URI_MISMATCH, GS_GCAL_OAUTH_INVALID_REQUEST,
/// GS_GCAL_ADMIN_POLICY_ENFORCED, GS_GCAL_ORG_INTERNAL, GS_GCAL_INVALID_SCOPE,
/// GS_GCAL_NO_REFRESH_TOKEN, GS_GCAL_SCOPE_NOT_GRANTED, GS_GCAL_OAUTH_ERROR;
/// network (4xx codes), TLS (5xx codes), GS_GCAL_API_* for unreadable
/// answers; GS_GCAL_STORAGE_IO. The code is copied; never logged.
/// Blocks on the network: at most the "timeout_ms" option (default 30 s).
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_authorize(h: *mut gs_gcal, code: *const c_char) -> gs_gcal_result {
    let h = handle!(h);
    guard(Some(h), || {
        let code = cstr::req(code, "code", crate::oauth::MAX_PASTE_LEN)?;
        h.with(|c| c.authorize(&code))
    })
}

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
    let h = handle!(h);
    guard(Some(h), || {
        check_struct(out, "out", &PUSH_RESULT_SIZES)?;
        let m = read_meeting(meeting)?;
        let (prepared, sent) = h.with(|c| {
            let prepared = c.prepare(&m)?;
            let n = prepared.skipped_invitees.len();
            if !skipped.is_null() && skipped_cap < n {
                return Err(Error::BufferTooSmall { needed: n });
            }
            let sent = c.submit_push(&prepared, &m)?;
            Ok((prepared, sent))
        })?;
        let o = &mut *out;
        match &sent {
            Sent::Done(w) => {
                copy_fixed(&mut o.event_id, &w.event_id)?;
                let link = w.html_link.as_deref().filter(|l| l.len() < GS_GCAL_HTML_LINK_SIZE);
                copy_fixed(&mut o.html_link, link.unwrap_or(""))?;
            }
            Sent::Queued(_) => {
                copy_fixed(&mut o.event_id, &prepared.target_id)?;
                copy_fixed(&mut o.html_link, "")?;
            }
        }
        o.skipped_count = prepared.skipped_invitees.len();
        if !skipped.is_null() {
            for (i, idx) in prepared.skipped_invitees.iter().enumerate() {
                *skipped.add(i) = *idx;
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
    let h = handle!(h);
    guard(Some(h), || {
        let id = cstr::req(meeting_id, "meeting_id", crate::meeting::MAX_MEETING_ID)?;
        if id.is_empty() {
            return Err(Error::InvalidArgument("meeting_id is empty".into()));
        }
        let occ = cstr::opt(occurrence, "occurrence", 64)?;
        let tz = cstr::opt(time_zone, "time_zone", 64)?;
        match h.with(|c| c.submit_cancel(&id, occ.as_deref(), tz.as_deref()))? {
            Sent::Done(()) => Ok(()),
            Sent::Queued(reason) => Err(Error::Queued(Box::new(reason))),
        }
    })
}

unsafe fn read_meeting(p: *const gs_gcal_meeting) -> Result<Meeting, Error> {
    // The size first: an older caller's struct may be shorter.
    check_struct(p, "meeting", &MEETING_SIZES)?;
    let m = &*p;
    const MAXS: usize = cstr::MAX_ARG;
    let person = |p: &gs_gcal_person, name: &'static str, email: &'static str| -> Result<Person, Error> {
        if p.flags != 0 {
            return Err(Error::InvalidArgument(format!("{name}: flags must be 0")));
        }
        Ok(Person {
            name: cstr::opt(p.name, name, crate::meeting::MAX_NAME)?.unwrap_or_default(),
            email: cstr::opt(p.email, email, 320)?,
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
        invitees.push(person(&*m.invitees.add(i), "invitees[].name", "invitees[].email")?);
    }
    Ok(Meeting {
        meeting_id: cstr::req(m.meeting_id, "meeting_id", crate::meeting::MAX_MEETING_ID)?,
        subject: cstr::opt(m.subject, "subject", crate::meeting::MAX_SUBJECT)?.unwrap_or_default(),
        start: cstr::req(m.start, "start", 64)?,
        end: cstr::req(m.end, "end", 64)?,
        time_zone: cstr::req(m.time_zone, "time_zone", 64)?,
        room: cstr::opt(m.room, "room", crate::meeting::MAX_NAME)?,
        agenda: cstr::opt(m.agenda, "agenda", crate::meeting::MAX_TEXT.min(MAXS))?,
        host: (host.email.is_some() || !host.name.is_empty()).then_some(host),
        invitees,
        email_reminder_minutes: m.email_reminder_minutes,
        participant_password: cstr::opt(m.participant_password, "participant_password", 64)?,
        share_participant_password: m.flags & GS_GCAL_MEETING_SHARE_PASSWORD != 0,
        repeat: read_repeat(m)?,
        occurrence: cstr::opt(m.occurrence, "occurrence", 64)?,
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
            let until = cstr::req(m.repeat_until, "repeat_until", 16)?;
            End::Until(crate::meeting::localtime::parse_date_field("repeat_until", &until)?)
        }
        other => return Err(Error::InvalidArgument(format!("repeat_end: unknown value {other}"))),
    };
    Ok(Some(Repeat { freq, interval: m.repeat_interval.max(1), weekdays, monthly_by, end }))
}

/// Starts the device flow ("TVs and Limited Input devices" client): asks
/// Google for a user code and verification URL and fills `*out`. Replaces
/// any earlier device authorization (e.g. an expired code) on this handle.
///
/// Returns GS_GCAL_OK; GS_GCAL_NULL_ARGUMENT, GS_GCAL_STRUCT_SIZE;
/// GS_GCAL_NOT_CONFIGURED; GS_GCAL_INVALID_CLIENT (e.g. not a device-type
/// client), GS_GCAL_DELETED_CLIENT, GS_GCAL_INVALID_SCOPE (Google restricts
/// device-flow scopes: use the Web client flow), other authorization codes;
/// GS_GCAL_CLOCK_NOT_SET; network and TLS codes; GS_GCAL_API_BAD_RESPONSE;
/// GS_GCAL_STORAGE_IO. Blocks for one request (at most "timeout_ms").
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_device_start(h: *mut gs_gcal, out: *mut gs_gcal_device_code) -> gs_gcal_result {
    let h = handle!(h);
    guard(Some(h), || {
        check_struct(out, "out", &DEVICE_CODE_SIZES)?;
        let started = h.with(|c| c.device_start())?;
        let o = &mut *out;
        copy_fixed(&mut o.user_code, &started.user_code)?;
        copy_fixed(&mut o.verification_url, &started.verification_url)?;
        o.expires_in = started.expires_in;
        o.interval = started.interval;
        Ok(())
    })
}

/// Checks once whether the administrator approved the device flow. Makes
/// at most one request, and none when called sooner than the interval
/// after the previous poll (it then answers GS_GCAL_PENDING at once); the
/// interval grows by 5 s whenever Google says slow_down.
///
/// Returns GS_GCAL_OK (approved: tokens stored, handle authorized),
/// GS_GCAL_PENDING (not yet: call again after `interval` seconds),
/// GS_GCAL_ACCESS_DENIED (the user refused), GS_GCAL_DEVICE_CODE_EXPIRED
/// (start again), GS_GCAL_DEVICE_NOT_STARTED; GS_GCAL_NO_REFRESH_TOKEN,
/// GS_GCAL_SCOPE_NOT_GRANTED, other authorization codes;
/// GS_GCAL_CLOCK_NOT_SET; network and TLS codes; GS_GCAL_STORAGE_IO.
/// Blocks for at most one request ("timeout_ms").
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_device_poll(h: *mut gs_gcal) -> gs_gcal_result {
    let h = handle!(h);
    let mut pending = false;
    let rc = guard(Some(h), || {
        pending = h.with(|c| c.device_poll())? == DevicePoll::Pending;
        Ok(())
    });
    if rc == result::GS_GCAL_OK && pending {
        result::GS_GCAL_PENDING
    } else {
        rc
    }
}

/// The "Reset" button: revokes the authorization at Google (its revoke
/// endpoint) and forgets tokens, account and any authorization in progress;
/// the OAuth client stays configured. When Google cannot be reached the
/// local state is forgotten anyway and the revocation is kept (persisted)
/// and retried before later requests ("pending_revocations" in the status).
///
/// Returns GS_GCAL_OK or GS_GCAL_STORAGE_IO (nothing forgotten). Blocks for
/// at most one request per waiting revocation ("timeout_ms" each).
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_reset(h: *mut gs_gcal) -> gs_gcal_result {
    let h = handle!(h);
    guard(Some(h), || h.with(|c| c.reset()))
}

/// Writes the whole integration (OAuth client with its secret, tokens,
/// account) as one line of text sealed with `passphrase` (PBKDF2-HMAC-SHA256
/// and AES-256-GCM), for the PBX's system backup. Restore it with
/// `gs_gcal_import`, also on another PBX or after a firmware upgrade.
///
/// - `passphrase`: at least 8 characters; copied, never stored or logged.
/// - `buf`/`len`/`needed` as in `gs_gcal_auth_url` (8 KiB is ample).
///
/// Returns GS_GCAL_OK, GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG, GS_GCAL_INVALID_ARGUMENT (passphrase too short),
/// GS_GCAL_BUFFER_TOO_SMALL. No network; takes a fraction of a second of
/// CPU (key derivation).
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_export(
    h: *mut gs_gcal,
    passphrase: *const c_char,
    buf: *mut c_char,
    len: size_t,
    needed: *mut size_t,
) -> gs_gcal_result {
    let h = handle!(h);
    guard(Some(h), || {
        let pass = cstr::req(passphrase, "passphrase", 1024)?;
        let blob = h.with(|c| c.export(&pass))?;
        cstr::write(buf, len, needed, &blob)
    })
}

/// Restores a `gs_gcal_export` blob into this handle, replacing its client
/// and tokens (persisted, fsync). A wrong passphrase or a modified,
/// truncated or foreign blob changes nothing.
///
/// Returns GS_GCAL_OK, GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG, GS_GCAL_BACKUP_MALFORMED, GS_GCAL_BACKUP_UNAUTHENTIC,
/// GS_GCAL_STORAGE_IO. No network; a fraction of a second of CPU.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_import(h: *mut gs_gcal, passphrase: *const c_char, blob: *const c_char) -> gs_gcal_result {
    let h = handle!(h);
    guard(Some(h), || {
        let pass = cstr::req(passphrase, "passphrase", 1024)?;
        let blob = cstr::req(blob, "blob", 1 << 20)?;
        h.with(|c| c.import(&pass, &blob))
    })
}

/// Copies `s` and a NUL into a fixed array of a caller's struct.
fn copy_fixed<const N: usize>(dst: &mut [c_char; N], s: &str) -> Result<(), Error> {
    if s.len() >= N {
        return Err(Error::ApiBadResponse(format!("Google sent a value longer than {} bytes", N - 1)));
    }
    for (d, &b) in dst.iter_mut().zip(s.as_bytes()) {
        *d = b as c_char;
    }
    dst[s.len()] = 0;
    Ok(())
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
    let h = handle!(h);
    guard(Some(h), || {
        if !(1..=600_000).contains(&budget_ms) {
            return Err(Error::InvalidArgument(format!("budget_ms {budget_ms} is not within 1..600000")));
        }
        let (s, r) = h.with(|c| c.sync(std::time::Duration::from_millis(budget_ms.into())))?;
        if !sent.is_null() {
            *sent = s;
        }
        if !remaining.is_null() {
            *remaining = r;
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
    let h = handle!(h);
    guard(Some(h), || h.with(|c| c.retry_now()))
}

/// Lists the events of one calendar in a window, recurring meetings
/// expanded into their occurrences, all pages followed, as a JSON object
/// `{"calendar", "time_zone", "events": [...]}`; each event has "id",
/// "summary" (null for private events), "start"/"end" (RFC 3339, or a date
/// for all-day events), "time_zone", "all_day", "status", "transparency",
/// "visibility", "self_response" (the authorized user's answer, or null),
/// "event_type" (unknown types are "other"), "pbx_meeting_id" (the PBX
/// meeting it was pushed for, or null) and "recurring_event_id".
///
/// - `calendar_id`: NULL for option "calendar_id".
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
    let h = handle!(h);
    guard(Some(h), || {
        let cal = cstr::opt(calendar_id, "calendar_id", 1024)?;
        let min = cstr::req(time_min, "time_min", 64)?;
        let max = cstr::req(time_max, "time_max", 64)?;
        let doc = h.with(|c| c.list_events(cal.as_deref(), &min, &max))?;
        cstr::write(buf, len, needed, &doc.to_string())
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
    let h = handle!(h);
    guard(Some(h), || {
        h.with(|c| {
            let report = c.sync_events()?;
            cstr::write(buf, len, needed, &report.to_string())?;
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
/// for "primary"), answered from the local copy.
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
    let h = handle!(h);
    guard(Some(h), || {
        check_struct(out, "out", &BUSY_SIZES)?;
        let cal = cstr::opt(calendar_id, "calendar_id", 1024)?;
        let b = h.with(|c| c.busy_at(cal.as_deref(), unix_time))?;
        let o = &mut *out;
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
    let h = handle!(h);
    guard(Some(h), || {
        let doc = h.with(|c| c.list_calendars())?;
        cstr::write(buf, len, needed, &doc.to_string())
    })
}

/// Writes the handle's status as a JSON object (UTF-8, NUL-terminated) for
/// the PBX web page. Fields (never a secret): "state" ("unconfigured" |
/// "configured" | "authorized" | "reauth_required"), "account" (e-mail or
/// null), "client_id", "redirect_uri" (or null), "calendar_id",
/// "access_token_expires_in" (seconds, 0 when expired, null without
/// tokens; refreshed automatically), "granted_scopes" (array or null),
/// "authorized_at" (RFC 3339 UTC or null), "last_refresh_at" (RFC 3339 UTC
/// or null), "reauth_reason" (why re-authorization is needed and what to
/// do, or null), "pending_revocations" (int), "device" (null, or
/// {"user_code", "verification_url", "expires_in", "interval"} while a
/// device authorization is in progress), "last_error" (null or
/// {"code": int, "message": string}), "health" (outbox depth and oldest
/// age, next attempt, last success, last failure with its class, circuit
/// breaker, quota pause, parked operations), "version". Fields may be added.
///
/// `buf`/`len`/`needed` as in `gs_gcal_auth_url`. Returns GS_GCAL_OK,
/// GS_GCAL_NULL_ARGUMENT, GS_GCAL_BUFFER_TOO_SMALL (not recorded as the
/// last error, so a size query does not change the size). No I/O and never
/// waits: it reads a snapshot taken at the end of the handle's last call,
/// so it answers at once even while another thread is in a network call.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_status_json(h: *const gs_gcal, buf: *mut c_char, len: size_t, needed: *mut size_t) -> gs_gcal_result {
    let h = handle!(h);
    // A query does not change the handle: its own failures (a too-small
    // buffer) are not recorded, else the size it reports would grow.
    guard(None, || {
        let last = lock(&h.last_error).clone();
        let (mut doc, taken) = { let s = lock(&h.snapshot); (s.0.to_json(None), s.1) };
        // The snapshot is from the end of the last call: age the expiry.
        if let Some(left) = doc["access_token_expires_in"].as_i64() {
            doc["access_token_expires_in"] = (left - taken.elapsed().as_secs() as i64).max(0).into();
        }
        doc["last_error"] = last.map_or(serde_json::Value::Null, |e| {
            serde_json::json!({"code": e.code, "message": e.message})
        });
        cstr::write(buf, len, needed, &doc.to_string())
    })
}

/// Copies the detail of the handle's last failure (admin-readable, never a
/// secret; "" if none yet) into `buf`, truncated to `len - 1` bytes at a
/// character boundary and NUL-terminated. A buffer of GS_GCAL_ERROR_SIZE
/// always holds it whole. Successful calls do not clear it.
///
/// Returns GS_GCAL_OK or GS_GCAL_NULL_ARGUMENT (NULL `h` or `buf`, or
/// `len` 0). Never blocks: it does not wait for calls in progress.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_last_error(h: *const gs_gcal, buf: *mut c_char, len: size_t) -> gs_gcal_result {
    let h = handle!(h);
    if buf.is_null() || len == 0 {
        return result::GS_GCAL_NULL_ARGUMENT;
    }
    guard_value(result::GS_GCAL_INTERNAL, || {
        let text = lock(&h.last_error).as_ref().map(|e| e.message.clone()).unwrap_or_default();
        let t = cstr::truncate(&text, len - 1);
        std::ptr::copy_nonoverlapping(t.as_ptr(), buf.cast::<u8>(), t.len());
        *buf.add(t.len()) = 0;
        result::GS_GCAL_OK
    })
}

/// Static English text for a result code; unknown codes get a generic text.
/// Never NULL; do not free. Thread-safe, never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn gs_gcal_strerror(code: gs_gcal_result) -> *const c_char {
    guard_value(c"internal error".as_ptr(), || result::strerror(code).as_ptr())
}

/// Static version text: "gs-gcal/X.Y.Z rustls/A.B.C ureq/D.E.F". Never
/// NULL; do not free. Thread-safe, never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn gs_gcal_version() -> *const c_char {
    VERSION.as_ptr()
}

static VERSION: &CStr = match CStr::from_bytes_with_nul(
    concat!(
        "gs-gcal/",
        env!("CARGO_PKG_VERSION"),
        " rustls/",
        env!("GS_GCAL_RUSTLS_VERSION"),
        " ureq/",
        env!("GS_GCAL_UREQ_VERSION"),
        "\0"
    )
    .as_bytes(),
) {
    Ok(v) => v,
    Err(_) => panic!("version string"),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_macros_match_cargo_toml() {
        let v: Vec<u32> = env!("CARGO_PKG_VERSION").split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(v, [GS_GCAL_VERSION_MAJOR, GS_GCAL_VERSION_MINOR, GS_GCAL_VERSION_PATCH]);
        assert_eq!(GS_GCAL_VERSION_NUMBER, (v[0] << 16) | (v[1] << 8) | v[2]);
        let s = VERSION.to_str().unwrap();
        assert!(s.starts_with(&format!("gs-gcal/{} rustls/0.23.", env!("CARGO_PKG_VERSION"))), "{s}");
        assert!(s.contains(" ureq/3."), "{s}");
    }

    #[test]
    fn every_code_has_its_own_text() {
        let codes = [
            result::GS_GCAL_OK, result::GS_GCAL_NULL_ARGUMENT, result::GS_GCAL_INTERNAL,
            result::GS_GCAL_API_CONFLICT, result::GS_GCAL_STATE_LOCKED,
        ];
        for c in codes {
            assert_ne!(result::strerror(c).to_str().unwrap(), "unknown result code", "{c}");
        }
        assert_eq!(result::strerror(-7).to_str().unwrap(), "unknown result code");
    }
}
