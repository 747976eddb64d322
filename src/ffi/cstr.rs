//! C strings in (checked, bounded, copied) and caller buffers out
//! (snprintf-style sizes, always NUL-terminated, written only on success).

use crate::errors::{Error, Result};
use libc::{c_char, size_t};

/// Longest string any argument may be; longer ones are refused before
/// they are even scanned to the end.
pub(crate) const MAX_ARG: usize = 64 * 1024;

/// Reads a required NUL-terminated UTF-8 argument of at most `max` bytes.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string, or to at least `max+1`
/// readable bytes.
pub unsafe fn req(p: *const c_char, what: &'static str, max: usize) -> Result<String> {
    // SAFETY: the argument is NULL or a NUL-terminated string (the header's contract); at most max+1 bytes are read.
    unsafe { opt(p, what, max) }?.ok_or(Error::NullArgument(what))
}

/// Like `req`, but NULL means absent.
///
/// # Safety
/// As for `req`.
pub unsafe fn opt(p: *const c_char, what: &'static str, max: usize) -> Result<Option<String>> {
    if p.is_null() {
        return Ok(None);
    }
    // strnlen never reads past max+1 bytes, so an unterminated or huge
    // string costs at most that.
    // SAFETY: `p` is non-NULL and, by this function's contract, points to a
    // NUL-terminated string or to at least max+1 readable bytes.
    let n = unsafe { libc::strnlen(p, max + 1) };
    if n > max {
        return Err(Error::TooLong { field: what, max });
    }
    // SAFETY: strnlen just found `n` readable bytes before a NUL (or max+1).
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n) };
    std::str::from_utf8(bytes).map(|s| Some(s.to_owned())).map_err(|_| Error::InvalidUtf8(what))
}

/// Like `req`, but borrowed for the call instead of copied: for lookups on
/// the hot path (`gs_gcal_presence_get`) that keep nothing.
///
/// # Safety
/// As for `req`; the string must stay valid and unchanged while the
/// result is used (the C call's duration).
pub unsafe fn req_borrowed<'a>(p: *const c_char, what: &'static str, max: usize) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::NullArgument(what));
    }
    // SAFETY: `p` is non-NULL and, by this function's contract, points to a
    // NUL-terminated string or to at least max+1 readable bytes.
    let n = unsafe { libc::strnlen(p, max + 1) };
    if n > max {
        return Err(Error::TooLong { field: what, max });
    }
    // SAFETY: strnlen just found `n` readable bytes before a NUL; the caller
    // keeps them unchanged for 'a (this function's contract).
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n) };
    std::str::from_utf8(bytes).map_err(|_| Error::InvalidUtf8(what))
}

/// Checks that `need` bytes fit the caller's buffer. `*needed` (if not
/// NULL) receives `need`, also when the buffer is too small. `buf` may be
/// NULL only with `len == 0` (a size query).
///
/// # Safety
/// `needed` is NULL or valid for writing.
pub unsafe fn fits(buf: *mut c_char, len: size_t, needed: *mut size_t, need: usize) -> Result<()> {
    if !needed.is_null() {
        // SAFETY: non-NULL, and writable by this function's contract.
        unsafe { *needed = need };
    }
    if len < need {
        return Err(Error::BufferTooSmall { needed: need, query: buf.is_null() && len == 0 });
    }
    if buf.is_null() {
        return Err(Error::NullArgument("buf"));
    }
    Ok(())
}

/// Copies `s` and a NUL into `buf` after `fits`; `buf` is untouched on error.
///
/// # Safety
/// `buf` is NULL or points to `len` writable bytes; `needed` is NULL or valid.
pub unsafe fn write(buf: *mut c_char, len: size_t, needed: *mut size_t, s: &str) -> Result<()> {
    // SAFETY: `needed` is NULL or writable (this function's contract).
    unsafe { fits(buf, len, needed, s.len() + 1) }?;
    // SAFETY: `fits` checked that `buf` is non-NULL and its `len` >= s.len()+1
    // bytes are writable (this function's contract); `s` cannot overlap it.
    unsafe { std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len()) };
    // SAFETY: index s.len() < len, as checked by `fits`.
    unsafe { *buf.add(s.len()) = 0 };
    Ok(())
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
