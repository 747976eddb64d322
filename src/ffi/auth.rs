//! Exports of authorization: the OAuth client, the code flow, the device
//! flow and reset.

use super::cstr;
use super::{check_struct, copy_fixed, gs_gcal};
use crate::errors::gs_gcal_result;
use libc::{c_char, size_t};
use super::{DEVICE_CODE_SIZES, GS_GCAL_USER_CODE_SIZE, GS_GCAL_VERIFICATION_URL_SIZE};
use crate::auth::device::DevicePoll;

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
    ffi_fn!(h => {
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let id = unsafe { cstr::req(client_id, "client_id", crate::auth::MAX_CLIENT_ID) }?;
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let secret = unsafe { cstr::req(client_secret, "client_secret", crate::auth::MAX_CLIENT_SECRET) }?;
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let uri = unsafe { cstr::req(redirect_uri, "redirect_uri", crate::auth::MAX_REDIRECT_URI) }?;
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
    ffi_fn!(h => {
        h.with(|c| {
            let link = c.new_auth_link()?;
            let url = link.url.clone();
            // Size check first: a link the caller never sees is not remembered.
            // SAFETY: `buf` is NULL or has `len` writable bytes and `needed` is NULL or writable (the header's contract).
            unsafe { cstr::fits(buf, len, needed, url.len() + 1) }?;
            c.remember_link(link)?;
            // SAFETY: `buf` is NULL or has `len` writable bytes and `needed` is NULL or writable (the header's contract).
            unsafe { cstr::write(buf, len, needed, &url) }
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
    ffi_fn!(h => {
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let code = unsafe { cstr::req(code, "code", crate::oauth::MAX_PASTE_LEN) }?;
        // What waited for authorization can go now (the outbox's next
        // attempts are made due; nothing is sent in this call).
        h.with(|c| c.authorize(&code).and_then(|()| c.retry_now()))
    })
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
    ffi_fn!(h => {
        // SAFETY: NULL (refused inside) or the caller's struct, valid for the call, whose leading `struct_size` names its layout (the header's contract).
        unsafe { check_struct(out, "out", &DEVICE_CODE_SIZES) }?;
        let started = h.with(|c| c.device_start())?;
        // SAFETY: checked non-NULL (and its struct_size) above; the caller keeps it valid for the call (the header's contract).
        let o = unsafe { &mut *out };
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
    let rc = super::panic::guard(Some(h), || {
        pending = h.with(|c| {
            let poll = c.device_poll()?;
            if poll == DevicePoll::Approved {
                c.retry_now()?;
            }
            Ok(poll)
        })? == DevicePoll::Pending;
        Ok(())
    });
    if rc == crate::errors::GS_GCAL_OK && pending {
        crate::errors::GS_GCAL_PENDING
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
    ffi_fn!(h => { h.with(|c| c.reset()) })
}
