//! Option values: gs_gcal_set_option with any key and value (known keys
//! and URL-, path- and number-shaped values mostly, raw ones sometimes),
//! then the calls that read the options offline: an authorization link,
//! a push of a fixed meeting (zone rules from "zoneinfo_dir", the event id
//! from "instance_id"; it queues, no client tokens), the status.
//! "ca_file" values are files of a fixture directory (a real PEM bundle,
//! garbage, an empty file, a directory) so the target reads nothing else.

use super::common::{c, check_code, check_code_in, scratch, Handle};
use arbitrary::{Arbitrary, Unstructured};
use ::gs_gcal::errors::*;
#[allow(unused_imports)]
use std::result::Result;
use ::gs_gcal::ffi::*;
use std::path::PathBuf;
use std::sync::OnceLock;

const KEYS: &[&str] = &[
    "auth_endpoint", "token_endpoint", "device_endpoint", "revoke_endpoint", "calendar_api_base", "scopes",
    "login_hint", "ca_file", "connect_timeout_ms", "timeout_ms", "call_timeout_ms", "proxy", "no_proxy",
    "calendar_id", "read_calendars", "zoneinfo_dir", "instance_id", "send_updates",
];
const SET_CODES: &[gs_gcal_result] = &[
    GS_GCAL_OK, GS_GCAL_TOO_LONG, GS_GCAL_UNKNOWN_OPTION, GS_GCAL_INVALID_OPTION_VALUE, GS_GCAL_INSECURE_URL,
    GS_GCAL_CA_FILE,
];

#[derive(Arbitrary, Debug)]
enum Key {
    Known(u8),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Value {
    Raw(String),
    Url { scheme: u8, host: u8, port: Option<u16>, path: String, query: bool },
    Number(u32),
    Fixture(u8),
    Word(u8),
}

#[derive(Arbitrary, Debug)]
pub struct Input {
    sets: Vec<(Key, Value)>,
}

struct Dirs {
    state: PathBuf,
    fixtures: PathBuf,
}

fn dirs() -> &'static Dirs {
    static D: OnceLock<Dirs> = OnceLock::new();
    D.get_or_init(|| {
        let state = scratch("options");
        let fixtures = scratch("options-fixtures");
        let bundle = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
        let first = bundle.split_inclusive("-----END CERTIFICATE-----\n").next().unwrap_or("").to_owned();
        std::fs::write(fixtures.join("ca.pem"), first).unwrap();
        std::fs::write(fixtures.join("garbage.pem"), "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n").unwrap();
        std::fs::write(fixtures.join("empty.pem"), "").unwrap();
        std::fs::create_dir_all(fixtures.join("dir.pem")).unwrap();
        // Not regular files: the library must refuse them, not read or block.
        let _ = std::os::unix::fs::symlink("/dev/zero", fixtures.join("zero.pem"));
        let fifo = std::ffi::CString::new(fixtures.join("fifo.pem").to_str().unwrap()).unwrap();
        // SAFETY: a valid C string.
        unsafe { libc_mkfifo(fifo.as_ptr(), 0o600) };
        std::fs::create_dir_all(fixtures.join("zoneinfo/Europe")).unwrap();
        std::fs::write(fixtures.join("zoneinfo/Europe/Berlin"), b"TZif2 not really").unwrap();
        let h = Handle::open(&state).expect("open");
        assert_eq!(h.set_client("123-abc.apps.googleusercontent.com", "s3cret-value", "https://pbx.example.com/oauth2callback"), GS_GCAL_OK);
        Dirs { state, fixtures }
    })
}

extern "C" {
    #[link_name = "mkfifo"]
    fn libc_mkfifo(path: *const std::os::raw::c_char, mode: u32) -> i32;
}

fn value_text(key: &str, v: &Value, fixtures: &std::path::Path) -> String {
    let words = ["", "all", "none", "externalOnly", "primary", "a,b,,c", "http://127.0.0.1:3128", "user:pw@127.0.0.1:1",
        "socks5://127.0.0.1:1", "openid email", "/usr/share/zoneinfo", "/nonexistent", "0", "600000", "600001", " ", "é"];
    let fixture_names = ["ca.pem", "garbage.pem", "empty.pem", "dir.pem", "missing.pem", "zoneinfo", "zero.pem", "fifo.pem"];
    match v {
        Value::Raw(s) if key == "ca_file" => {
            if s.is_empty() { String::new() } else { format!("{}/{}", fixtures.display(), s.replace("..", "")) }
        }
        Value::Raw(s) => s.clone(),
        Value::Url { scheme, host, port, path, query } => {
            let scheme = ["https", "http", "ftp", "HTTPS", ""][*scheme as usize % 5];
            let host = ["127.0.0.1", "localhost", "[::1]", "oauth2.googleapis.com", "127.0.0.2", "0x7f.1", "", "user@127.0.0.1"][*host as usize % 8];
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let q = if *query { "?a=b" } else { "" };
            format!("{scheme}://{host}{port}/{path}{q}")
        }
        Value::Number(n) => n.to_string(),
        Value::Fixture(k) => format!("{}/{}", fixtures.display(), fixture_names[*k as usize % fixture_names.len()]),
        Value::Word(k) => words[*k as usize % words.len()].to_owned(),
    }
}

pub fn run(data: &[u8]) {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else { return };
    let d = dirs();
    let _ = std::fs::remove_file(d.state.join("gs_gcal.outbox.jsonl"));
    let h = Handle::open(&d.state).expect("open");
    h.offline();
    let mut auth = "http://127.0.0.1:1/x".to_owned();
    for (k, v) in input.sets.iter().take(16) {
        let key = match k {
            Key::Known(i) => KEYS[*i as usize % KEYS.len()].to_owned(),
            Key::Raw(s) => s.clone(),
        };
        // Never towards the network: endpoints stay on loopback.
        let value = value_text(&key, v, &d.fixtures);
        let r = h.set_option(&key, &value);
        check_code_in(&format!("set_option({key:?}, {value:?})"), r, SET_CODES);
        if r == GS_GCAL_OK && key == "auth_endpoint" {
            auth = value.split('\0').next().unwrap().to_owned();
        }
        let is_key = KEYS.contains(&key.as_str());
        assert!(is_key || key.contains('\0') || r != GS_GCAL_OK, "unknown key {key:?} accepted");
    }
    // SAFETY: the buffer contract of gs_gcal_auth_url.
    let url = h.text("gs_gcal_auth_url", |hh, b, l, n| unsafe { gs_gcal_auth_url(hh, b, l, n) }).expect("auth_url");
    assert!(url.starts_with(&format!("{auth}?")), "{url} does not start at {auth}");
    assert!(url.len() <= 4096 + 1024, "auth url of {} bytes", url.len());
    for p in ["client_id=", "state=", "code_challenge=", "redirect_uri=", "scope="] {
        assert!(url.contains(&format!("&{p}")) || url.contains(&format!("?{p}")), "{p} missing: {url}");
    }

    let (id, start, end, tz, subject) = (c("m-1"), c("2030-03-31T01:30"), c("03:30"), c("Europe/Berlin"), c("Weekly"));
    let mut m: gs_gcal_meeting = unsafe { std::mem::zeroed() };
    m.struct_size = std::mem::size_of::<gs_gcal_meeting>() as u32;
    m.meeting_id = id.as_ptr();
    m.subject = subject.as_ptr();
    m.start = start.as_ptr();
    m.end = end.as_ptr();
    m.time_zone = tz.as_ptr();
    m.repeat = GS_GCAL_REPEAT_WEEKLY;
    // SAFETY: zeroed is a valid push result; the strings live to the end.
    let mut out: gs_gcal_push_result = unsafe { std::mem::zeroed() };
    out.struct_size = std::mem::size_of::<gs_gcal_push_result>() as u32;
    let r = unsafe { gs_gcal_push_meeting(h.0, &m, &mut out, std::ptr::null_mut(), 0) };
    check_code("gs_gcal_push_meeting", r);
    if r == GS_GCAL_QUEUED {
        // SAFETY: NUL-terminated by the library.
        let id = unsafe { std::ffi::CStr::from_ptr(out.event_id.as_ptr()) }.to_str().unwrap();
        assert!(id.len() >= 5 && id.bytes().all(|b| matches!(b, b'a'..=b'v' | b'0'..=b'9')), "event id {id:?}");
    }
    h.status();
}
