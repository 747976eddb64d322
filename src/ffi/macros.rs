//! The one export macro (hyper's `ffi_fn!` habit, as a body macro so that
//! cbindgen still sees every signature): the NULL-handle check, the panic
//! guard (a panic becomes GS_GCAL_INTERNAL) and the last-error bookkeeping
//! are built in, so no export can forget them.
//!
//! `ffi_fn!(h => { ... })`: `h` is the export's handle argument; the body
//! runs with `h: &gs_gcal` and returns `Result<(), Error>`; its error is
//! the result code and the handle's last error.
//! `ffi_fn!(=> { ... })`: the same without a handle (`gs_gcal_open`).

macro_rules! ffi_fn {
    ($h:ident => $body:block) => {{
        // SAFETY: `$h` is NULL or a handle from gs_gcal_open that is not yet
        // closed: the header's contract for every handle argument.
        let Some($h) = (unsafe { $h.as_ref() }) else { return $crate::errors::GS_GCAL_NULL_ARGUMENT };
        $crate::ffi::panic::guard(Some($h), || $body)
    }};
    (=> $body:block) => {
        $crate::ffi::panic::guard(None, || $body)
    };
}

/// The handle of an export that needs it outside `ffi_fn!` (a result
/// other than the body's, an optional handle): NULL returns
/// GS_GCAL_NULL_ARGUMENT.
macro_rules! handle {
    ($h:expr) => {
        // SAFETY: NULL or a handle from gs_gcal_open that is not yet closed
        // (the header's contract for every handle argument).
        match unsafe { $h.as_ref() } {
            Some(h) => h,
            None => return $crate::errors::GS_GCAL_NULL_ARGUMENT,
        }
    };
}
