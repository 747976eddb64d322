//! gs_gcal_import blobs. Byte 0 even: the rest is `passphrase \n blob`,
//! raw (prefix, base64, header, iteration count, tag all hostile). Odd:
//! the rest is `passphrase \n plaintext`, sealed here like an export
//! (byte 1: the iteration count; a fuzz build accepts 1..=64, see
//! src/store/sealed.rs) so the hostile plaintext reaches the state
//! reader. An imported state must then open again, export, and import
//! back to the same status.

use super::common::{c, c_bytes, check_code_in, scratch, Handle};
use ::gs_gcal::errors::*;
#[allow(unused_imports)]
use std::result::Result;
use ::gs_gcal::ffi::*;
use ::gs_gcal::fuzzing as f;
use std::path::PathBuf;
use std::sync::OnceLock;

const IMPORT_CODES: &[gs_gcal_result] = &[
    GS_GCAL_OK, GS_GCAL_INVALID_UTF8, GS_GCAL_TOO_LONG, GS_GCAL_BACKUP_MALFORMED, GS_GCAL_BACKUP_UNAUTHENTIC,
    GS_GCAL_STATE_TOO_NEW,
];

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| scratch("import"))
}

fn import(h: &Handle, pass: &[u8], blob: &[u8]) -> gs_gcal_result {
    let (p, b) = (c_bytes(pass), c_bytes(blob));
    // SAFETY: live handle, valid C strings.
    let r = unsafe { gs_gcal_import(h.0, p.as_ptr(), b.as_ptr()) };
    check_code_in("gs_gcal_import", r, IMPORT_CODES);
    r
}

/// The status without what changes from call to call.
fn stable(mut v: serde_json::Value) -> serde_json::Value {
    for k in ["last_error", "access_token_expires_in", "health"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let (iterations, rest) = match (mode % 2, rest.split_first()) {
        (1, Some((&n, rest))) => (u32::from(n), rest),
        (1, None) => return,
        _ => (0, rest),
    };
    let nl = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let (pass, payload) = (&rest[..nl], rest.get(nl + 1..).unwrap_or(&[]));
    let _ = std::fs::remove_file(dir().join("gs_gcal.state.json"));
    let h = Handle::open(dir()).expect("open");
    let r = if mode % 2 == 0 {
        import(&h, pass, payload)
    } else {
        let Ok(pass_s) = std::str::from_utf8(&pass[..pass.iter().position(|&b| b == 0).unwrap_or(pass.len())]) else { return };
        let blob = f::seal(payload, pass_s, &[7; 16], &[9; 12], iterations);
        let r = import(&h, pass, blob.as_bytes());
        let readable = f::parse_state(payload);
        if r == GS_GCAL_OK {
            assert!(readable, "imported a plaintext the state reader refuses");
        } else if readable && pass_s.len() <= 1024 {
            assert_ne!(r, GS_GCAL_BACKUP_UNAUTHENTIC, "our own seal did not open");
            assert!(r == GS_GCAL_BACKUP_MALFORMED || r == GS_GCAL_TOO_LONG, "a readable state refused with {r}");
        }
        r
    };
    if r != GS_GCAL_OK {
        // A refused blob changes nothing.
        assert_eq!(h.status()["state"], "unconfigured");
        return;
    }
    let before = stable(h.status());
    drop(h);
    // What the library accepted and wrote, it reads back.
    let h = Handle::open(dir()).unwrap_or_else(|r| panic!("an imported state does not open again: {r}"));
    assert_eq!(stable(h.status()), before, "the status changed across a reopen");
    // Export and import it back: cheap in a fuzz build (few iterations);
    // on stable (600,000) once per test process.
    static ONCE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !cfg!(fuzzing) && ONCE.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let pass = c("fuzz passphrase");
    // SAFETY: the buffer contract of gs_gcal_export.
    let blob = h
        .text("gs_gcal_export", |hh, b, l, n| unsafe { gs_gcal_export(hh, pass.as_ptr(), b, l, n) })
        .unwrap_or_else(|r| panic!("export of an imported state failed: {r}"));
    let _ = std::fs::remove_file(dir().join("gs_gcal.state.json"));
    drop(h);
    let h = Handle::open(dir()).expect("open");
    assert_eq!(import(&h, b"fuzz passphrase", blob.as_bytes()), GS_GCAL_OK, "our own export does not import");
    assert_eq!(stable(h.status()), before, "the status changed across export and import");
}
