//! Exports of the handle itself: open, close, options, logging, status,
//! last error, error text and version.

use super::cstr;
use super::panic::guard_value;
use super::{gs_gcal, lock};
use crate::errors::{gs_gcal_result, Error};
use libc::{c_char, size_t};
use crate::handle::Handle;
use std::ffi::CStr;
use std::sync::Mutex;

/// Opens the integration whose state lives in `state_dir` (created 0700
/// if missing; an existing one is tightened to 0700) and returns a new
/// handle in `*out`. Symlinks, FIFOs and oversized files planted in the
/// directory are refused, never followed or waited on.
///
/// - `state_dir`: directory for the state file (client, tokens); one handle
///   per directory at a time, even across processes.
/// - `out`: receives the handle; unchanged on error.
///
/// Returns GS_GCAL_OK, GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG, GS_GCAL_INVALID_ARGUMENT, GS_GCAL_STORAGE_IO,
/// GS_GCAL_STATE_CORRUPT (the damaged file is set aside, never deleted; the
/// next open starts unconfigured), GS_GCAL_STATE_LOCKED,
/// GS_GCAL_STATE_TOO_NEW (written by a newer gs-gcal: left untouched).
/// Blocks only on local disk. Thread-safe (no shared state between handles).
/// Free the handle with `gs_gcal_close`.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_open(state_dir: *const c_char, out: *mut *mut gs_gcal) -> gs_gcal_result {
    ffi_fn!(=> {
        if out.is_null() {
            return Err(Error::NullArgument("out"));
        }
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let dir = unsafe { cstr::req(state_dir, "state_dir", 4096) }?;
        let client = Handle::open(std::path::Path::new(&dir))?;
        let mut status = crate::status::Snapshot::default();
        client.refresh_status(&mut status);
        let snapshot = Mutex::new((status, std::time::Instant::now()));
        let presence = client.presence.clone();
        let h = Box::new(gs_gcal { client: Mutex::new(client), last_error: Mutex::new(None), snapshot, presence });
        // SAFETY: `out` was checked non-NULL above and is writable (the
        // header's contract for `out`).
        unsafe { *out = Box::into_raw(h) };
        Ok(())
    })
}

/// Closes a handle, releasing its state directory. `h` may be NULL (no-op).
/// Closing a handle twice, or while another thread still uses it, is
/// forbidden. Never blocks on the network.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_close(h: *mut gs_gcal) {
    if !h.is_null() {
        // SAFETY: `h` came from `Box::into_raw` in gs_gcal_open and is closed once (the header forbids a double close).
        guard_value((), || drop(unsafe { Box::from_raw(h) }));
    }
}

/// Sets an option (string key and value; copied). Options are not
/// persisted: set them after every `gs_gcal_open`.
///
/// Keys (README "Options" has each default and value; both come from one
/// table, `src/options.rs`): "auth_endpoint", "token_endpoint",
/// "device_endpoint", "revoke_endpoint", "calendar_api_base" (https URLs;
/// http only for loopback hosts; defaults are Google's), "scopes"
/// (space-separated), "login_hint" (account e-mail pre-filled at sign-in),
/// "ca_file" (PEM bundle replacing the built-in Mozilla roots; "" restores
/// them), "connect_timeout_ms" (default 10000), "timeout_ms" (whole
/// request, default 30000) and "call_timeout_ms" (whole C call, default
/// 60000; all 1..600000), "proxy" (CONNECT proxy
/// "https://[user:password@]host:port"; plain http:// only on loopback),
/// "no_proxy" (comma-separated hosts reached directly), "calendar_id"
/// (default "primary"), "instance_id" (event-id namespace for PBXes sharing
/// a calendar; default ""), "zoneinfo_dir" (default "/usr/share/zoneinfo"),
/// "read_calendars" (comma-separated calendar ids gs_gcal_sync_events
/// keeps, default "primary"), "send_updates" ("all" default,
/// "externalOnly", "none"), "presence_horizon_min" (presence window,
/// default 720), "read_horizon_days" (events kept by gs_gcal_sync_events,
/// default 400).
///
/// Returns GS_GCAL_OK, GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG, GS_GCAL_UNKNOWN_OPTION, GS_GCAL_INVALID_OPTION_VALUE,
/// GS_GCAL_INSECURE_URL, GS_GCAL_CA_FILE. On error nothing changes.
/// Does not block on the network ("ca_file" reads the file).
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_set_option(h: *mut gs_gcal, key: *const c_char, value: *const c_char) -> gs_gcal_result {
    ffi_fn!(h => {
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let key = unsafe { cstr::req(key, "key", 64) }?;
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let value = unsafe { cstr::req(value, "value", crate::options::MAX_OPTION_LEN) }?;
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
    super::panic::guard(handle, || {
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

/// Writes the handle's status as a JSON object (UTF-8, NUL-terminated) for
/// the PBX web page. Fields (never a secret): "state" ("unconfigured" |
/// "configured" | "authorized" | "reauth_required"), "account" (e-mail or
/// null), "client_id", "redirect_uri" (or null), "calendar_id",
/// "access_token_expires_in" (seconds, 0 when expired, null without
/// tokens; refreshed automatically), "granted_scopes" (array or null),
/// "authorized_at" (RFC 3339 UTC or null), "last_refresh_at" (RFC 3339 UTC
/// or null), "reauth_reason" (why re-authorization is needed and what to
/// do, or null), "pending_revocations" (int: revocations Google has not
/// confirmed yet, including ones it refused), "device" (null, or
/// {"user_code", "verification_url", "expires_in", "interval", "scopes"}
/// while a device authorization is in progress; "scopes" is the scope set
/// Google accepted), "read_only" (bool: the grant can read but not write),
/// "zone_substitutions" ({"refused zone": "zone sent instead"}),
/// "last_error" (null or
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
    ffi_fn!(=> {
        let last = lock(&h.last_error).clone();
        let (mut doc, taken) = { let s = lock(&h.snapshot); (s.0.to_json(None), s.1) };
        // The snapshot is from the end of the last call: age the expiry.
        if let Some(left) = doc["access_token_expires_in"].as_i64() {
            doc["access_token_expires_in"] = (left - taken.elapsed().as_secs() as i64).max(0).into();
        }
        doc["last_error"] = last.map_or(crate::json::Value::Null, |e| {
            crate::json::json!({"code": e.code, "message": e.message})
        });
        // SAFETY: `buf` is NULL or has `len` writable bytes and `needed` is NULL or writable (the header's contract).
        unsafe { cstr::write(buf, len, needed, &doc.to_string()) }
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
        return crate::errors::GS_GCAL_NULL_ARGUMENT;
    }
    guard_value(crate::errors::GS_GCAL_INTERNAL, || {
        let text = lock(&h.last_error).as_ref().map(|e| e.message.clone()).unwrap_or_default();
        let t = cstr::truncate(&text, len - 1);
        // SAFETY: `buf` is non-NULL with `len` writable bytes (checked above;
        // the header's contract) and t.len() <= len - 1.
        unsafe { std::ptr::copy_nonoverlapping(t.as_ptr(), buf.cast::<u8>(), t.len()) };
        // SAFETY: t.len() < len, inside the same buffer.
        unsafe { *buf.add(t.len()) = 0 };
        crate::errors::GS_GCAL_OK
    })
}

/// Static English text for a result code; unknown codes get a generic text.
/// Never NULL; do not free. Thread-safe, never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn gs_gcal_strerror(code: gs_gcal_result) -> *const c_char {
    guard_value(c"internal error".as_ptr(), || crate::errors::strerror(code).as_ptr())
}

/// Static version text: "gs-gcal/X.Y.Z rustls/A.B.C ureq/D.E.F". Never
/// NULL; do not free. Thread-safe, never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn gs_gcal_version() -> *const c_char {
    VERSION.as_ptr()
}

pub(crate) static VERSION: &CStr = match CStr::from_bytes_with_nul(
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
