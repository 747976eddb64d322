//! The panic boundary: every export runs its body through `guard`, so a
//! panic becomes `GS_GCAL_INTERNAL` instead of unwinding into C (undefined
//! behaviour) or aborting the PBX. Requires `panic = "unwind"`.

use crate::errors::{gs_gcal_result, GS_GCAL_OK};
use super::gs_gcal as Handle;
use crate::errors::Error;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; maps its error (or a panic) to a code and records the detail
/// in the handle's last error when there is a handle.
pub(crate) fn guard(handle: Option<&Handle>, f: impl FnOnce() -> Result<(), Error>) -> gs_gcal_result {
    let outcome = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Error::Internal(format!("internal error (panic: {})", what.chars().take(120).collect::<String>())))
    });
    match outcome {
        Ok(()) => GS_GCAL_OK,
        Err(e) => {
            let code = e.code();
            // A size query (NULL, 0) is answered, not failed: the status
            // page must not show an error after a successful call.
            let size_query = matches!(e, Error::BufferTooSmall { query: true, .. });
            if let (Some(h), false) = (handle, size_query) {
                h.set_last_error(code, &e);
            }
            code
        }
    }
}

/// For exports that return a pointer: a panic yields `fallback`.
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}
