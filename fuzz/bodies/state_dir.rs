//! The whole state directory from fuzz input: the input is split at lines
//! `=====` into the state file, the outbox journal and the read cache
//! (a part that is absent leaves its file absent). Then what the firmware
//! does after a boot, offline (endpoints at a closed loopback port):
//! gs_gcal_open, the status, presence, retry now, one sync round, a
//! cancel, an authorization link, close; and what the library wrote, it
//! must open again.

use super::common::{c, check_code, scratch, Handle};
use ::gs_gcal::errors::*;
#[allow(unused_imports)]
use std::result::Result;
use ::gs_gcal::ffi::*;
use std::path::PathBuf;
use std::sync::OnceLock;

const SEP: &[u8] = b"\n=====\n";
const FILES: [&str; 3] = ["gs_gcal.state.json", "gs_gcal.outbox.jsonl", "gs_gcal.cache.json"];

fn dir() -> &'static PathBuf {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| scratch("state_dir"))
}

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() < 2 {
        match rest.windows(SEP.len()).position(|w| w == SEP) {
            Some(at) => {
                parts.push(&rest[..at]);
                rest = &rest[at + SEP.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

pub fn run(data: &[u8]) {
    let d = dir();
    for entry in std::fs::read_dir(d).unwrap().flatten() {
        let _ = std::fs::remove_file(entry.path());
    }
    for (name, part) in FILES.iter().zip(split(data)) {
        if part != b"-" {
            std::fs::write(d.join(name), part).unwrap();
        }
    }
    let h = match Handle::open(d) {
        Ok(h) => h,
        // A newer format is refused and left as it is: nothing more to do.
        Err(GS_GCAL_STATE_TOO_NEW) => return,
        Err(r) => {
            assert!(r == GS_GCAL_STATE_CORRUPT || r == GS_GCAL_STORAGE_IO, "gs_gcal_open: {r}");
            // A corrupt state file is set aside: the next open starts fresh.
            let h = Handle::open(d).unwrap_or_else(|r| panic!("second open after {r} failed too"));
            h.status();
            return;
        }
    };
    h.offline();
    h.status();
    let mut busy: gs_gcal_busy = unsafe { std::mem::zeroed() };
    busy.struct_size = std::mem::size_of::<gs_gcal_busy>() as u32;
    for (cal, t) in [(None, 1_717_000_000i64), (Some(c("primary")), 0), (Some(c("x@example.com")), i64::MAX)] {
        let p = cal.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
        // SAFETY: live handle, valid struct.
        let r = unsafe { gs_gcal_busy_at(h.0, p, t, &mut busy) };
        check_code("gs_gcal_busy_at", r);
        assert!(r == GS_GCAL_OK || r == GS_GCAL_NOT_SYNCED, "busy_at: {r}");
        if r == GS_GCAL_OK {
            assert!(busy.busy <= 1 && busy.out_of_office <= busy.busy);
        }
    }
    // SAFETY: live handle.
    let r = unsafe { gs_gcal_retry_now(h.0) };
    check_code("gs_gcal_retry_now", r);
    let (mut sent, mut remaining) = (0usize, 0usize);
    // SAFETY: live handle, valid out pointers.
    let r = unsafe { gs_gcal_sync(h.0, 300, &mut sent, &mut remaining) };
    check_code("gs_gcal_sync", r);
    assert!(r == GS_GCAL_OK || r == GS_GCAL_STORAGE_IO, "sync: {r}");
    assert_eq!(sent, 0, "sent offline");
    let (id, occ, tz) = (c("m-1"), c("2024-05-06T10:00"), c("Europe/Berlin"));
    // SAFETY: live handle, valid C strings.
    let r = unsafe { gs_gcal_cancel_meeting(h.0, id.as_ptr(), occ.as_ptr(), tz.as_ptr()) };
    check_code("gs_gcal_cancel_meeting", r);
    // SAFETY: the buffer contract of gs_gcal_auth_url.
    let r = h.text("gs_gcal_auth_url", |hh, b, l, n| unsafe { gs_gcal_auth_url(hh, b, l, n) });
    if let Err(r) = r {
        check_code("gs_gcal_auth_url", r);
    }
    let before = h.status();
    drop(h);
    let h = Handle::open(d).unwrap_or_else(|r| panic!("the state the library wrote does not open: {r}"));
    let after = h.status();
    assert_eq!(before["state"], after["state"], "state changed across close and open");
    assert_eq!(before["client_id"], after["client_id"]);
}
