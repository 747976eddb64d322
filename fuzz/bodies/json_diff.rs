//! The library's own JSON reader and writer (src/json.rs) against
//! serde_json. The reader promises: what it accepts, serde_json reads into
//! the struct production used before it (`Option<String>` members, the
//! rest ignored) with the same values; what it refuses, serde_json refuses
//! too, except a top-level array (a struct as a sequence), a member name
//! written with escapes (Google sends neither), and invalid UTF-8 inside
//! a skipped string, which serde_json does not check (found by this target). The writer
//! promises serde_json's bytes for every string.

use ::gs_gcal::fuzzing as f;
use serde::Deserialize;

#[derive(Deserialize, Debug, PartialEq)]
#[allow(non_snake_case)]
struct Written {
    id: Option<String>,
    htmlLink: Option<String>,
    updated: Option<String>,
}

pub fn run(data: &[u8]) {
    let ours = f::json_top_level_strings(data);
    let theirs = serde_json::from_slice::<Written>(data);
    match (&ours, &theirs) {
        (Some([id, link, updated]), Ok(w)) => {
            assert_eq!((id, link, updated), (&w.id, &w.htmlLink, &w.updated), "values differ");
        }
        (Some(_), Err(e)) => panic!("the reader accepts what serde_json refuses: {e}"),
        (None, Ok(w)) => {
            let first = data.iter().find(|b| !b" \t\r\n".contains(b));
            // serde_json does not check UTF-8 inside a string it skips; the
            // reader refuses any JSON text that is not UTF-8 (RFC 8259 §8.1).
            assert!(
                first == Some(&b'[') || data.contains(&b'\\') || std::str::from_utf8(data).is_err(),
                "the reader refuses what serde_json reads as {w:?}"
            );
        }
        (None, Err(_)) => {}
    }
    if let Ok(s) = std::str::from_utf8(data) {
        assert_eq!(f::json_write_string(s), serde_json::to_vec(s).unwrap(), "writer differs for {s:?}");
    }
}
