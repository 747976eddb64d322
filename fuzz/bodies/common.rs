//! What every target shares: result-code invariants, C strings, scratch
//! state directories (tmpfs when there is one) and handles on them.

use ::gs_gcal::errors::*;
#[allow(unused_imports)]
use std::result::Result;
use ::gs_gcal::ffi::*;
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};

/// A code the library documents (strerror knows it) and not INTERNAL:
/// a panic or a broken invariant inside the library.
pub fn check_code(what: &str, code: gs_gcal_result) {
    let unknown = gs_gcal_strerror(i32::MIN);
    let text = gs_gcal_strerror(code);
    // SAFETY: gs_gcal_strerror returns static NUL-terminated text.
    let (text, unknown) = unsafe { (CStr::from_ptr(text), CStr::from_ptr(unknown)) };
    assert!(code == GS_GCAL_OK || text != unknown, "{what}: result code {code} is not one the header defines");
    assert_ne!(code, GS_GCAL_INTERNAL, "{what}: GS_GCAL_INTERNAL");
}

/// Like `check_code`, and the code must be one of `allowed`.
pub fn check_code_in(what: &str, code: gs_gcal_result, allowed: &[gs_gcal_result]) {
    check_code(what, code);
    assert!(allowed.contains(&code), "{what}: result code {code} is not documented for this call ({allowed:?})");
}

/// A C string of `s` up to its first NUL (C cannot pass more).
pub fn c(s: &str) -> CString {
    c_bytes(s.as_bytes())
}

pub fn c_bytes(b: &[u8]) -> CString {
    let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
    CString::new(&b[..end]).expect("no NUL before end")
}

/// A directory for this process and `name`, empty, on tmpfs when there is
/// one (the library fsyncs every state write).
pub fn scratch(name: &str) -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let dir = base.join(format!("gs-gcal-fuzz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// An open handle, closed on drop.
pub struct Handle(pub *mut gs_gcal);

impl Handle {
    /// Opens `dir`; the code when it fails.
    pub fn open(dir: &Path) -> Result<Handle, gs_gcal_result> {
        let d = c(dir.to_str().expect("UTF-8 path"));
        let mut h = std::ptr::null_mut();
        // SAFETY: valid C string and out pointer.
        let r = unsafe { gs_gcal_open(d.as_ptr(), &mut h) };
        check_code("gs_gcal_open", r);
        if r == GS_GCAL_OK {
            assert!(!h.is_null());
            Ok(Handle(h))
        } else {
            assert!(h.is_null(), "gs_gcal_open wrote *out on error");
            Err(r)
        }
    }

    pub fn set_option(&self, key: &str, value: &str) -> gs_gcal_result {
        let (k, v) = (c(key), c(value));
        // SAFETY: live handle, valid C strings.
        unsafe { gs_gcal_set_option(self.0, k.as_ptr(), v.as_ptr()) }
    }

    /// Every endpoint at a closed loopback port: nothing leaves the machine
    /// and a request fails at once (connection refused).
    pub fn offline(&self) {
        for key in ["auth_endpoint", "token_endpoint", "device_endpoint", "revoke_endpoint", "calendar_api_base"] {
            assert_eq!(self.set_option(key, "http://127.0.0.1:1/x"), GS_GCAL_OK, "{key}");
        }
        assert_eq!(self.set_option("connect_timeout_ms", "200"), GS_GCAL_OK);
        assert_eq!(self.set_option("timeout_ms", "500"), GS_GCAL_OK);
    }

    pub fn set_client(&self, id: &str, secret: &str, redirect: &str) -> gs_gcal_result {
        let (a, b, r) = (c(id), c(secret), c(redirect));
        // SAFETY: live handle, valid C strings.
        unsafe { gs_gcal_set_client(self.0, a.as_ptr(), b.as_ptr(), r.as_ptr()) }
    }

    /// A caller-buffer call (`buf`, `len`, `needed`): the size query first,
    /// then the real call with exactly that size; the text is returned.
    pub fn text(
        &self,
        what: &str,
        f: impl Fn(*mut gs_gcal, *mut std::os::raw::c_char, usize, *mut usize) -> gs_gcal_result,
    ) -> Result<String, gs_gcal_result> {
        let mut needed = 0usize;
        let r = f(self.0, std::ptr::null_mut(), 0, &mut needed);
        check_code(what, r);
        if r != GS_GCAL_BUFFER_TOO_SMALL && r != GS_GCAL_OK {
            return Err(r);
        }
        assert!(needed > 0, "{what}: needed 0");
        let mut buf = vec![0x55 as std::os::raw::c_char; needed];
        let mut again = 0usize;
        let r = f(self.0, buf.as_mut_ptr(), needed, &mut again);
        check_code(what, r);
        if r != GS_GCAL_OK {
            return Err(r);
        }
        assert!(again <= needed, "{what}: needed grew from {needed} to {again}");
        let bytes: Vec<u8> = buf.iter().map(|&b| b as u8).collect();
        let nul = bytes.iter().position(|&b| b == 0).unwrap_or_else(|| panic!("{what}: no NUL in the buffer"));
        assert_eq!(nul + 1, again, "{what}: NUL not at needed - 1");
        Ok(String::from_utf8(bytes[..nul].to_vec()).unwrap_or_else(|_| panic!("{what}: not UTF-8")))
    }

    /// The status JSON, which must parse and have the documented shape.
    pub fn status(&self) -> serde_json::Value {
        // SAFETY: the buffer contract of gs_gcal_status_json.
        let s = self
            .text("gs_gcal_status_json", |h, b, l, n| unsafe { gs_gcal_status_json(h, b, l, n) })
            .expect("gs_gcal_status_json failed");
        let v: serde_json::Value = serde_json::from_str(&s).unwrap_or_else(|e| panic!("status is not JSON ({e}): {s}"));
        let state = v["state"].as_str().unwrap_or_else(|| panic!("status without state: {s}"));
        assert!(["unconfigured", "configured", "authorized", "reauth_required"].contains(&state), "state {state}");
        v
    }

    /// The handle's last error text: NUL-terminated UTF-8 within GS_GCAL_ERROR_SIZE.
    pub fn last_error(&self) -> String {
        let mut buf = [0 as std::os::raw::c_char; GS_GCAL_ERROR_SIZE];
        // SAFETY: live handle, buffer of its length.
        let r = unsafe { gs_gcal_last_error(self.0, buf.as_mut_ptr(), buf.len()) };
        assert_eq!(r, GS_GCAL_OK);
        // SAFETY: gs_gcal_last_error NUL-terminates.
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) };
        s.to_str().expect("last error is UTF-8").to_owned()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: opened by gs_gcal_open, closed once.
        unsafe { gs_gcal_close(self.0) }
    }
}

/// `s` is one RFC 3339-free local wall time "YYYY-MM-DDTHH:MM:SS".
pub fn is_wall_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        })
}
