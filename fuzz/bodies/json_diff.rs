//! The library's own JSON reader and writer (src/json/) against
//! serde_json. The tree reader (`json::parse`, every structured answer
//! and file) promises: what it accepts, serde_json reads into the same
//! tree (compared through serde_json's reading of what the library writes
//! back); what it refuses, serde_json refuses too, except a member name
//! repeated in one object (refused on purpose, RFC 7493) and a number
//! beyond f64's range the other way round (serde_json refuses it; the
//! library keeps numbers as text). The top-level string reader: The reader promises: what it accepts, serde_json reads into
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

/// serde_json's reading, and whether some object repeats a member name.
fn theirs(data: &[u8]) -> Result<(serde_json::Value, bool), serde_json::Error> {
    use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
    struct Dups;
    impl<'de> Visitor<'de> for Dups {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E>(self, _: &str) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_unit<E>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<bool, A::Error> {
            let mut d = false;
            while let Some(x) = a.next_element_seed(Seed)? {
                d |= x;
            }
            Ok(d)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<bool, A::Error> {
            let (mut d, mut keys) = (false, std::collections::HashSet::new());
            while let Some(k) = m.next_key::<String>()? {
                d |= !keys.insert(k);
                d |= m.next_value_seed(Seed)?;
            }
            Ok(d)
        }
    }
    struct Seed;
    impl<'de> serde::de::DeserializeSeed<'de> for Seed {
        type Value = bool;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(Dups)
        }
    }
    let v = serde_json::from_slice(data)?;
    let mut de = serde_json::Deserializer::from_slice(data);
    let dups = de.deserialize_any(Dups)?;
    Ok((v, dups))
}

pub fn run(data: &[u8]) {
    match (f::json_parse(data), theirs(data)) {
        (Some(ours), Ok((t, dups))) => {
            assert!(!dups, "the tree reader accepts a repeated member name");
            let back: serde_json::Value =
                serde_json::from_slice(&ours).expect("the tree written back is JSON");
            assert_eq!(back, t, "trees differ");
        }
        (Some(_), Err(e)) => assert!(
            e.to_string().starts_with("number out of range"),
            "the tree reader accepts what serde_json refuses: {e}"
        ),
        (None, Ok((t, dups))) => {
            assert!(dups, "the tree reader refuses what serde_json reads as {t}")
        }
        (None, Err(_)) => {}
    }

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
