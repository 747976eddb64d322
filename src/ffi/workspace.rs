//! Exports of Workspace mode: a service account with domain-wide
//! delegation instead of one user's OAuth grant.

use super::cstr;
use super::gs_gcal;
use crate::errors::gs_gcal_result;
use crate::secret::WipedString;
use libc::c_char;

/// Puts the handle in Workspace mode: meetings are written to their host's
/// own Google Calendar by a service account with domain-wide delegation,
/// impersonating the host (organizer and invitations from the host).
///
/// - `key_json`: the service account's JSON key file, unchanged, as Google
///   Cloud Console downloads it (`"type": "service_account"`, with
///   `client_email`, `client_id`, `private_key_id`, `private_key` (PEM
///   PKCS#8 RSA) and `token_uri`); at most 16 KiB. Copied; the caller may
///   wipe and free it when the call returns.
/// - `default_subject`: e-mail of the Workspace user whose calendar holds
///   meetings without a host in the domain (and the read side's calendar);
///   a host outside the domain, or one Google does not know ("Invalid email
///   or User ID"), is then a plain attendee and the push result says so
///   (`GS_GCAL_PUSHED_HOST_FALLBACK`).
///
/// The key is checked at once. It is persisted like the client secret (in
/// the state file, mode 0600; sealed in `gs_gcal_export`), never logged nor
/// shown in the status. A handle is in one mode at a time: this call leaves
/// OAuth user mode (client and tokens forgotten, the user's grant revoked
/// at Google before the next request); `gs_gcal_set_client` leaves
/// Workspace mode. Calling it again replaces key and subject; access
/// tokens (one per impersonated user, in memory only) are dropped.
///
/// Returns GS_GCAL_OK, GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG, GS_GCAL_NOT_SERVICE_ACCOUNT_KEY (not a service
/// account's key: an OAuth client file, a user credential, not JSON, a
/// field missing), GS_GCAL_KEY_UNREADABLE, GS_GCAL_KEY_NOT_RSA,
/// GS_GCAL_KEY_SIZE (not 2048–4096 bits), GS_GCAL_INSECURE_URL (token_uri
/// not https), GS_GCAL_INVALID_ARGUMENT / GS_GCAL_INVALID_EMAIL
/// (default_subject), GS_GCAL_STORAGE_IO. No network; blocks on disk
/// (one fsync'd state write) and parses the RSA key (about 1 ms on an
/// ARMv7 PBX). Thread rules as for every call: any thread, one call at a
/// time per handle (others wait for the handle's lock).
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_set_service_account(
    h: *mut gs_gcal,
    key_json: *const c_char,
    default_subject: *const c_char,
) -> gs_gcal_result {
    ffi_fn!(h => {
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let key = WipedString(unsafe { cstr::req(key_json, "key_json", crate::oauth::jwt::MAX_KEY_JSON) }?);
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let subject = unsafe { cstr::req(default_subject, "default_subject", 320) }?;
        h.with(|c| c.set_service_account(&key.0, &subject))
    })
}
