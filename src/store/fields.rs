//! What serde's derive did for the on-disk records, by hand (its
//! instantiations cost ~100 KB of the armv7 program, issue 13):
//! - `Fields` takes the members of one parsed object out by name, with
//!   serde's rules: unknown members ignored; a missing or `null` `Option` is
//!   None; a missing `#[serde(default)]` member is its default, but `null`
//!   for one that is not an `Option` is an error; a missing required
//!   member, a wrong type, a number out of the field's range or with a
//!   fraction or exponent are errors. The error is the member's path
//!   (`tokens.scope`), never its content, which may be a secret.
//! - `Emit` writes one member, as serde_json would.
//!
//! Strings are moved out of the tree, never copied: a secret goes straight
//! into its `Secret`, and `WipedTree` wipes whatever was not taken.

use crate::json::{Map, Value, Writer};
use crate::secret::Secret;
use zeroize::Zeroize;

/// A record's error: the path of the member that is wrong.
pub(crate) type Res<T> = Result<T, String>;

fn path(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

/// An integer of the field's type, as serde_json reads one: written
/// without fraction or exponent, in range, and not `-0` (a float to it).
pub(crate) fn int_of<T: TryFrom<i64>>(v: &Value) -> Option<T> {
    let n = v.as_i64()?;
    if n == 0 && v.as_u64().is_none() {
        return None;
    }
    T::try_from(n).ok()
}

/// An externally tagged enum as serde writes it: `"Unit"` (content None)
/// or an object of exactly one member, `{"Variant": content}`.
pub(crate) fn tagged(v: &mut Value) -> Option<(&str, Option<&mut Value>)> {
    match v {
        Value::String(s) => Some((s, None)),
        Value::Object(m) if m.len() == 1 => m.iter_mut().next().map(|(k, v)| (k.as_str(), Some(v))),
        _ => None,
    }
}

/// Whether a unit variant's content is what serde_json accepts for it:
/// none (`"Never"`) or `null` (`{"Never":null}`).
pub(crate) fn unit(content: &Option<&mut Value>) -> bool {
    content.as_ref().is_none_or(|v| v.is_null())
}

/// The members of one JSON object, borrowed from the parsed tree.
pub(crate) struct Fields<'a> {
    map: &'a mut Map,
    /// Where the object is (`tokens`, `op.Push`), for the error.
    at: &'static str,
}

impl<'a> Fields<'a> {
    pub fn of(v: &'a mut Value, at: &'static str) -> Res<Fields<'a>> {
        match v {
            Value::Object(map) => Ok(Fields { map, at }),
            _ => Err(at.to_owned()),
        }
    }

    /// The member itself, to read a nested value of another shape.
    pub fn get(&mut self, key: &str) -> Option<&mut Value> {
        self.map.get_mut(key)
    }

    /// The string, moved out (an empty one is left in its place); a value
    /// of another type stays in the tree, for `WipedTree` to wipe.
    pub fn string(&mut self, key: &str) -> Res<String> {
        let at = self.at;
        match self.map.get_mut(key) {
            Some(Value::String(s)) => Ok(std::mem::take(s)),
            _ => Err(path(at, key)),
        }
    }

    pub fn opt_string(&mut self, key: &str) -> Res<Option<String>> {
        let at = self.at;
        match self.map.get_mut(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(std::mem::take(s))),
            Some(_) => Err(path(at, key)),
        }
    }

    /// `#[serde(default)] String`: missing is empty, `null` is an error.
    pub fn default_string(&mut self, key: &str) -> Res<String> {
        match self.map.contains_key(key) {
            true => self.string(key),
            false => Ok(String::new()),
        }
    }

    pub fn secret(&mut self, key: &str) -> Res<Secret> {
        self.string(key).map(Secret::from)
    }

    pub fn int<T: TryFrom<i64>>(&self, key: &str) -> Res<T> {
        self.map.get(key).and_then(int_of).ok_or_else(|| path(self.at, key))
    }

    pub fn opt_int<T: TryFrom<i64>>(&self, key: &str) -> Res<Option<T>> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => int_of(v).map(Some).ok_or_else(|| path(self.at, key)),
        }
    }

    pub fn u64(&self, key: &str) -> Res<u64> {
        self.map.get(key).and_then(Value::as_u64).ok_or_else(|| path(self.at, key))
    }

    pub fn bool(&self, key: &str) -> Res<bool> {
        self.map.get(key).and_then(Value::as_bool).ok_or_else(|| path(self.at, key))
    }

    /// `#[serde(default)] bool`: missing is false, `null` is an error.
    pub fn default_bool(&self, key: &str) -> Res<bool> {
        match self.map.contains_key(key) {
            true => self.bool(key),
            false => Ok(false),
        }
    }

    /// An `Option` of a struct: missing or `null` is None.
    pub fn opt_object(&mut self, key: &str, at: &'static str) -> Res<Option<Fields<'_>>> {
        let outer = self.at;
        match self.map.get_mut(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields { map, at })),
            Some(_) => Err(path(outer, key)),
        }
    }

    /// A `Vec` (required), its items left in the tree.
    pub fn list(&mut self, key: &str) -> Res<std::slice::IterMut<'_, Value>> {
        let at = self.at;
        match self.map.get_mut(key) {
            Some(Value::Array(a)) => Ok(a.iter_mut()),
            _ => Err(path(at, key)),
        }
    }

    /// `#[serde(default)] Vec`: missing is empty, `null` is an error.
    pub fn default_list(&mut self, key: &str) -> Res<std::slice::IterMut<'_, Value>> {
        match self.map.contains_key(key) {
            true => self.list(key),
            false => {
                let empty: &mut [Value] = &mut [];
                Ok(empty.iter_mut())
            }
        }
    }

    /// A map (required), moved out of the tree: only for maps that hold no
    /// secret (meeting ids, zone names, cached events).
    pub fn map(&mut self, key: &str) -> Res<Map> {
        match self.map.remove(key) {
            Some(Value::Object(m)) => Ok(m),
            _ => Err(path(self.at, key)),
        }
    }

    /// `#[serde(default)]` map: missing is empty, `null` is an error.
    pub fn default_map(&mut self, key: &str) -> Res<Map> {
        match self.map.contains_key(key) {
            true => self.map(key),
            false => Ok(Map::new()),
        }
    }
}

/// A parsed document that held secrets: the strings not moved out of it
/// (unknown members, what was left when reading failed) are wiped when it
/// is dropped.
pub(crate) struct WipedTree(pub Value);

impl Drop for WipedTree {
    fn drop(&mut self) {
        fn wipe(v: &mut Value) {
            match v {
                Value::String(s) => s.zeroize(),
                Value::Array(a) => a.iter_mut().for_each(wipe),
                Value::Object(m) => m.values_mut().for_each(wipe),
                _ => {}
            }
        }
        wipe(&mut self.0);
    }
}

/// One member (key and value) at a time, in serde_json's bytes.
pub(crate) trait Emit {
    fn str_field(&mut self, key: &str, v: &str);
    /// `null` for None (an `Option` serde writes whatever its value).
    fn nullable_str(&mut self, key: &str, v: Option<&str>);
    fn int_field(&mut self, key: &str, v: i64);
    fn nullable_int(&mut self, key: &str, v: Option<i64>);
    fn uint_field(&mut self, key: &str, v: u64);
    fn bool_field(&mut self, key: &str, v: bool);
}

impl Emit for Writer {
    fn str_field(&mut self, key: &str, v: &str) {
        self.key(key);
        self.string(v);
    }

    fn nullable_str(&mut self, key: &str, v: Option<&str>) {
        self.key(key);
        match v {
            Some(s) => self.string(s),
            None => self.null(),
        }
    }

    fn int_field(&mut self, key: &str, v: i64) {
        self.key(key);
        self.int(v);
    }

    fn nullable_int(&mut self, key: &str, v: Option<i64>) {
        self.key(key);
        match v {
            Some(n) => self.int(n),
            None => self.null(),
        }
    }

    fn uint_field(&mut self, key: &str, v: u64) {
        self.key(key);
        self.uint(v);
    }

    fn bool_field(&mut self, key: &str, v: bool) {
        self.key(key);
        self.bool(v);
    }
}

/// Appends one line (one top-level value, then `\n`) to `buf`: a fresh
/// `Writer` per line over the same buffer.
pub(crate) fn line(buf: &mut Vec<u8>, write: impl FnOnce(&mut Writer)) {
    let mut w = Writer::with_capacity(0);
    w.buf = std::mem::take(buf);
    write(&mut w);
    *buf = w.buf;
    buf.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn serde_rules_for_members() {
        let mut v = parse(br#"{"s":"x","n":null,"i":-0,"j":7,"f":1.0,"big":4294967296,"l":null,"o":[],"b":true}"#).unwrap();
        let mut f = Fields::of(&mut v, "t").unwrap();
        assert_eq!(f.default_string("n"), Err("t.n".into()));
        assert_eq!(f.opt_string("n"), Ok(None));
        assert_eq!(f.opt_string("absent"), Ok(None));
        assert_eq!(f.default_string("absent"), Ok(String::new()));
        assert_eq!(f.int::<i64>("i"), Err("t.i".into()), "-0 is a float to serde_json");
        assert_eq!(f.int::<u8>("j"), Ok(7));
        assert_eq!(f.int::<i64>("f"), Err("t.f".into()));
        assert_eq!(f.int::<u32>("big"), Err("t.big".into()));
        assert_eq!(f.int::<i64>("big"), Ok(4294967296));
        assert_eq!(f.opt_int::<i64>("n"), Ok(None));
        assert!(f.default_list("l").is_err());
        assert_eq!(f.default_list("absent").unwrap().len(), 0);
        assert!(f.opt_object("o", "o").is_err());
        assert_eq!(f.default_bool("absent"), Ok(false));
        assert_eq!(f.bool("b"), Ok(true));
        assert_eq!(f.string("s"), Ok("x".into()));
        assert_eq!(f.string("s"), Ok(String::new()), "moved out");
        assert_eq!(f.string("b"), Err("t.b".into()));
        assert_eq!(f.bool("b"), Ok(true), "a value of the wrong type stays");
        let mut e = parse(br#"{"A":1,"B":2}"#).unwrap();
        assert!(tagged(&mut e).is_none());
        let mut u = parse(br#"{"Never":null}"#).unwrap();
        let (tag, content) = tagged(&mut u).unwrap();
        assert_eq!(tag, "Never");
        assert!(unit(&content));
    }
}
