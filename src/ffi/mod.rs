//! The C boundary: one function per C symbol, each doing check → convert →
//! call → map, split by capability like the rooms behind it (hyper's
//! `src/ffi/`): `handle`, `auth`, `meetings`, `read`, `backup`, `workspace`. The only
//! module allowed `unsafe`; every raw-pointer operation is in an `unsafe`
//! block with a SAFETY comment (`unsafe_op_in_unsafe_fn` is denied).
//! Every export's body is `ffi_fn!`, which builds in the NULL-handle check,
//! the panic guard and the last-error bookkeeping. Documentation on the
//! exports is copied into `include/gs_gcal.h` by cbindgen.
#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)] // the safety contract is in each C doc comment

#[macro_use]
mod macros;
pub mod auth;
pub mod backup;
pub mod cstr;
pub mod handle;
pub mod meetings;
pub mod panic;
pub mod presence;
pub mod read;
pub mod workspace;

use crate::errors::{gs_gcal_result, Error};
use crate::handle::Handle;
use crate::status::LastError;
use libc::c_char;
use std::sync::{Mutex, MutexGuard};
#[cfg(test)]
use std::ffi::CStr;

pub use auth::*;
pub use backup::*;
pub use handle::*;
pub use meetings::*;
pub use presence::*;
pub use read::*;
pub use workspace::*;

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
    /// The presence table, shared with the client: read without its lock.
    presence: std::sync::Arc<Mutex<crate::presence::Directory>>,
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
        let mut s = lock(&self.snapshot);
        c.refresh_status(&mut s.0);
        s.1 = std::time::Instant::now();
        r
    }
}

/// A panic inside a call poisons the lock; the state behind it is still
/// consistent (it changes only after a successful save), so carry on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Struct sizes this library accepts (one per published layout).
const MEETING_SIZES: [usize; 1] = [std::mem::size_of::<gs_gcal_meeting>()];

const DEVICE_CODE_SIZES: [usize; 1] = [std::mem::size_of::<gs_gcal_device_code>()];

/// The first layout ended before `flags`.
const PUSH_RESULT_SIZES: [usize; 2] =
    [std::mem::offset_of!(gs_gcal_push_result, flags), std::mem::size_of::<gs_gcal_push_result>()];

/// Checks a caller struct's leading `struct_size` (and that the pointer is
/// not NULL) against the layouts this library knows.
unsafe fn check_struct<T>(p: *const T, what: &'static str, known: &[usize]) -> Result<(), Error> {
    if p.is_null() {
        return Err(Error::NullArgument(what));
    }
    // SAFETY: non-NULL (checked above); every such struct starts with its
    // u32 `struct_size` (the header's layout), valid for the call.
    let size = unsafe { *p.cast::<u32>() } as usize;
    if known.contains(&size) {
        Ok(())
    } else {
        Err(Error::StructSize(format!(
            "{what}->struct_size is {size}; set it to sizeof the struct in the header this \
             library was built with (sizes known: {known:?})"
        )))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_macros_match_cargo_toml() {
        let v: Vec<u32> = env!("CARGO_PKG_VERSION").split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(v, [GS_GCAL_VERSION_MAJOR, GS_GCAL_VERSION_MINOR, GS_GCAL_VERSION_PATCH]);
        assert_eq!(GS_GCAL_VERSION_NUMBER, (v[0] << 16) | (v[1] << 8) | v[2]);
        let s = handle::VERSION.to_str().unwrap();
        assert!(s.starts_with(&format!("gs-gcal/{} rustls/0.23.", env!("CARGO_PKG_VERSION"))), "{s}");
        assert!(s.contains(" ureq/3."), "{s}");
    }

    #[test]
    fn strerror_answers_every_code_of_the_table() {
        for r in crate::errors::TABLE {
            // SAFETY: gs_gcal_strerror returns a static NUL-terminated text.
            let text = unsafe { CStr::from_ptr(gs_gcal_strerror(r.code)) };
            assert_eq!(text, r.text, "{}", r.name);
        }
        // SAFETY: as above.
        assert_eq!(unsafe { CStr::from_ptr(gs_gcal_strerror(-7)) }, c"unknown result code");
    }
}
