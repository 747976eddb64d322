//! Exports of backup: export and import of the sealed integration.

use super::cstr;
use super::gs_gcal;
use crate::errors::gs_gcal_result;
use libc::{c_char, size_t};

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
    ffi_fn!(h => {
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let pass = unsafe { cstr::req(passphrase, "passphrase", 1024) }?;
        let blob = h.with(|c| c.export(&pass))?;
        // SAFETY: `buf` is NULL or has `len` writable bytes and `needed` is NULL or writable (the header's contract).
        unsafe { cstr::write(buf, len, needed, &blob) }
    })
}

/// Restores a `gs_gcal_export` blob into this handle, replacing its client
/// and tokens (persisted, fsync). A wrong passphrase or a modified,
/// truncated or foreign blob changes nothing.
///
/// Returns GS_GCAL_OK, GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8,
/// GS_GCAL_TOO_LONG, GS_GCAL_BACKUP_MALFORMED (also a backup whose OAuth
/// client would be refused by gs_gcal_set_client), GS_GCAL_BACKUP_UNAUTHENTIC,
/// GS_GCAL_STATE_TOO_NEW (made by a newer gs-gcal), GS_GCAL_STORAGE_IO. No network; a fraction of a second of CPU.
#[must_use]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gs_gcal_import(h: *mut gs_gcal, passphrase: *const c_char, blob: *const c_char) -> gs_gcal_result {
    ffi_fn!(h => {
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let pass = unsafe { cstr::req(passphrase, "passphrase", 1024) }?;
        // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
        let blob = unsafe { cstr::req(blob, "blob", 1 << 20) }?;
        h.with(|c| c.import(&pass, &blob))
    })
}
