//! What the administrator pastes, through gs_gcal_authorize, with real
//! pending state: a handle on a scratch directory with a Web client, a
//! fresh "Get Authorization Code" link taken before every paste, every
//! endpoint at a closed loopback port (a code that gets as far as the
//! exchange fails with a connection refused). `@STATE@` in the input is
//! replaced by the link's real `state`, so matching redirects are reached.

use super::common::{c_bytes, check_code, scratch, Handle};
use ::gs_gcal::errors::*;
#[allow(unused_imports)]
use std::result::Result;
use ::gs_gcal::ffi::*;
use std::path::PathBuf;
use std::sync::OnceLock;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = scratch("authorize");
        let h = Handle::open(&d).expect("open");
        assert_eq!(h.set_client("123-abc.apps.googleusercontent.com", "s3cret-value", "https://pbx.example.com/oauth2callback"), GS_GCAL_OK);
        d
    })
}

pub fn run(data: &[u8]) {
    let h = Handle::open(dir()).expect("open");
    h.offline();
    // SAFETY: the buffer contract of gs_gcal_auth_url.
    let url = h.text("gs_gcal_auth_url", |h, b, l, n| unsafe { gs_gcal_auth_url(h, b, l, n) }).expect("auth_url");
    assert!(url.starts_with("http://127.0.0.1:1/x?"), "{url}");
    let state = url
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("state="))
        .expect("link has a state")
        .to_owned();
    let mut pasted = Vec::with_capacity(data.len() + 32);
    let mut rest = data;
    while let Some(at) = rest.windows(7).position(|w| w == b"@STATE@") {
        pasted.extend_from_slice(&rest[..at]);
        pasted.extend_from_slice(state.as_bytes());
        rest = &rest[at + 7..];
    }
    pasted.extend_from_slice(rest);
    let code = c_bytes(&pasted);
    // SAFETY: live handle, valid C string.
    let r = unsafe { gs_gcal_authorize(h.0, code.as_ptr()) };
    check_code("gs_gcal_authorize", r);
    assert!(r != GS_GCAL_OK && r != GS_GCAL_QUEUED && r != GS_GCAL_PENDING, "authorized offline? {r}");
    let text = h.last_error();
    assert!(!text.contains("s3cret-value"), "the client secret is in the last error: {text}");
    let status = h.status();
    assert_eq!(status["state"], "configured");
}
