//! A JSON document as a tree: what the status, the PBX's listings and
//! Google's structured answers are built from or read into. The shape and
//! the accessors are serde_json's `Value` (objects sorted by member name,
//! as its `BTreeMap` keeps them), so the tests compare the two directly.

use super::{Reader, Writer, MAX_DEPTH};
use std::collections::BTreeMap;

pub type Map = BTreeMap<String, Value>;

#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

/// A number as JSON text: what was read, or an integer written here. Only
/// integers are ever taken out (`as_u64`, `as_i64`): nothing the library
/// reads is fractional, so no float code is linked.
#[derive(Clone, Debug, PartialEq)]
pub struct Number(String);

static NULL: Value = Value::Null;

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.get_mut(key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// An integer written without fraction or exponent, in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(Number(t)) => t.parse().ok(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(Number(t)) => t.parse().ok(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value at an RFC 6901 pointer of plain member names and array
    /// indices (`/a/0/b`; no `~` escapes are used here).
    pub fn pointer(&self, p: &str) -> Option<&Value> {
        let mut v = self;
        for part in p.strip_prefix('/')?.split('/') {
            v = match v {
                Value::Object(m) => m.get(part)?,
                Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(v)
    }

    /// Moves the member `key` out (Null when absent): a string taken this
    /// way is not copied, so a secret can go straight into a `Secret`.
    pub fn take(&mut self, key: &str) -> Value {
        match self {
            Value::Object(m) => m.remove(key).unwrap_or_default(),
            _ => Value::Null,
        }
    }

    /// The member `key` moved out as a string; None when absent or null,
    /// Err when it is something else.
    pub fn take_string(&mut self, key: &str) -> Result<Option<String>, ()> {
        match self.take(key) {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            _ => Err(()),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        match self {
            Value::Null => w.null(),
            Value::Bool(b) => w.bool(*b),
            Value::Number(Number(t)) => w.number(t),
            Value::String(s) => w.string(s),
            Value::Array(a) => {
                w.begin_array();
                for v in a {
                    v.write(w);
                }
                w.end_array();
            }
            Value::Object(m) => {
                w.begin_object();
                for (k, v) in m {
                    w.key(k);
                    v.write(w);
                }
                w.end_object();
            }
        }
    }

    /// serde_json's compact bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(128);
        self.write(&mut w);
        w.buf
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        // The writer only writes UTF-8 (strings are str, the rest ASCII).
        f.write_str(std::str::from_utf8(&self.to_vec()).map_err(|_| std::fmt::Error)?)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        n.to_json()
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        n.to_json()
    }
}

// Comparisons with plain values, as serde_json's `Value` has them.
impl PartialEq<str> for Value {
    fn eq(&self, o: &str) -> bool {
        self.as_str() == Some(o)
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, o: &&str) -> bool {
        self.as_str() == Some(*o)
    }
}

impl PartialEq<bool> for Value {
    fn eq(&self, o: &bool) -> bool {
        self.as_bool() == Some(*o)
    }
}

macro_rules! int_eq {
    ($($t:ty),*) => {$(
        impl PartialEq<$t> for Value {
            fn eq(&self, o: &$t) -> bool {
                self.as_i64().is_some_and(|n| i128::from(n) == *o as i128)
                    || self.as_u64().is_some_and(|n| i128::from(n) == *o as i128)
            }
        }
    )*};
}
int_eq!(i32, i64, u32, u64, usize);

impl std::ops::Index<&str> for Value {
    type Output = Value;
    /// Null for a missing member or a non-object, as serde_json.
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

impl std::ops::IndexMut<&str> for Value {
    /// The member, inserted as Null if missing; Null becomes an object.
    /// Only used on documents the library builds, which are objects.
    fn index_mut(&mut self, key: &str) -> &mut Value {
        if self.is_null() {
            *self = Value::Object(Map::new());
        }
        match self {
            Value::Object(m) => m.entry(key.to_owned()).or_default(),
            _ => panic!("json: indexing a non-object with {key:?}"),
        }
    }
}

impl std::ops::Index<usize> for Value {
    type Output = Value;
    fn index(&self, i: usize) -> &Value {
        self.as_array().and_then(|a| a.get(i)).unwrap_or(&NULL)
    }
}

/// One JSON text (RFC 8259) as a tree; None for anything else: malformed
/// JSON, text that is not UTF-8, a lone surrogate escape, nesting deeper
/// than serde_json allows, anything but whitespace after the value, and a
/// member name given twice in one object (RFC 7493 I-JSON; serde_json would
/// keep the last, which lets two readers see two different answers).
pub fn parse(body: &[u8]) -> Option<Value> {
    std::str::from_utf8(body).ok()?;
    let mut r = Reader { b: body, i: 0 };
    r.ws();
    let v = tree(&mut r, 1)?;
    r.ws();
    (r.i == body.len()).then_some(v)
}

fn text(r: &mut Reader) -> Option<String> {
    let (raw, escaped) = r.string()?;
    if escaped {
        super::unescape(raw)
    } else {
        // The body is UTF-8 and `raw` is cut at ASCII quotes.
        std::str::from_utf8(raw).ok().map(str::to_owned)
    }
}

fn tree(r: &mut Reader, depth: usize) -> Option<Value> {
    Some(match r.peek()? {
        b'"' => Value::String(text(r)?),
        b'{' | b'[' => {
            if depth >= MAX_DEPTH {
                return None;
            }
            let object = r.next()? == b'{';
            let close = if object { b'}' } else { b']' };
            let (mut m, mut a) = (Map::new(), Vec::new());
            r.ws();
            if r.peek()? == close {
                r.i += 1;
            } else {
                loop {
                    r.ws();
                    if object {
                        let k = text(r)?;
                        r.ws();
                        r.eat(b':')?;
                        r.ws();
                        let v = tree(r, depth + 1)?;
                        if m.insert(k, v).is_some() {
                            return None;
                        }
                    } else {
                        a.push(tree(r, depth + 1)?);
                    }
                    r.ws();
                    match r.next()? {
                        b',' => continue,
                        c if c == close => break,
                        _ => return None,
                    }
                }
            }
            if object {
                Value::Object(m)
            } else {
                Value::Array(a)
            }
        }
        b't' => r.literal(b"true").map(|_| Value::Bool(true))?,
        b'f' => r.literal(b"false").map(|_| Value::Bool(false))?,
        b'n' => r.literal(b"null").map(|_| Value::Null)?,
        _ => {
            let start = r.i;
            r.number()?;
            // ASCII by the grammar.
            Value::Number(Number(std::str::from_utf8(&r.b[start..r.i]).ok()?.to_owned()))
        }
    })
}

/// What `json!` turns an expression into (serde's `Serialize` for the few
/// types the library puts in documents).
pub trait ToJson {
    fn to_json(&self) -> Value;
}

impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}

impl ToJson for str {
    fn to_json(&self) -> Value {
        Value::String(self.to_owned())
    }
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

macro_rules! int_to_json {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Value {
                Value::Number(Number(self.to_string()))
            }
        }
    )*};
}
int_to_json!(u8, u16, u32, u64, usize, i32, i64);

impl<T: ToJson + ?Sized> ToJson for &T {
    fn to_json(&self) -> Value {
        (**self).to_json()
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_json)
    }
}

impl<T: ToJson> ToJson for [T] {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(T::to_json).collect())
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        self.as_slice().to_json()
    }
}

impl<T: ToJson> ToJson for BTreeMap<String, T> {
    fn to_json(&self) -> Value {
        Value::Object(self.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
    }
}

/// serde_json's `json!` for what the library writes: objects with literal
/// member names, arrays, `null`, and any expression whose type is
/// `ToJson` (taken by reference, as serde_json does).
macro_rules! json {
    (@object $m:ident) => {};
    (@object $m:ident $k:literal : null $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::json::Value::Null);
        $crate::json::json!(@object $m $($($rest)*)?);
    };
    (@object $m:ident $k:literal : { $($v:tt)* } $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::json::json!({ $($v)* }));
        $crate::json::json!(@object $m $($($rest)*)?);
    };
    (@object $m:ident $k:literal : [ $($v:tt)* ] $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::json::json!([ $($v)* ]));
        $crate::json::json!(@object $m $($($rest)*)?);
    };
    (@object $m:ident $k:literal : $v:expr $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::json::ToJson::to_json(&$v));
        $crate::json::json!(@object $m $($($rest)*)?);
    };
    (@array $a:ident) => {};
    (@array $a:ident { $($v:tt)* } $(, $($rest:tt)*)?) => {
        $a.push($crate::json::json!({ $($v)* }));
        $crate::json::json!(@array $a $($($rest)*)?);
    };
    (@array $a:ident $v:expr $(, $($rest:tt)*)?) => {
        $a.push($crate::json::ToJson::to_json(&$v));
        $crate::json::json!(@array $a $($($rest)*)?);
    };
    (null) => { $crate::json::Value::Null };
    ({ $($body:tt)* }) => {{
        #[allow(unused_mut)]
        let mut m = $crate::json::Map::new();
        $crate::json::json!(@object m $($body)*);
        $crate::json::Value::Object(m)
    }};
    ([ $($body:tt)* ]) => {{
        #[allow(unused_mut)]
        let mut a = ::std::vec::Vec::new();
        $crate::json::json!(@array a $($body)*);
        $crate::json::Value::Array(a)
    }};
    ($v:expr) => { $crate::json::ToJson::to_json(&$v) };
}
pub(crate) use json;

#[cfg(test)]
mod tests {
    use super::*;

    fn theirs(b: &str) -> Option<serde_json::Value> {
        serde_json::from_str(b).ok()
    }

    /// The same tree serde_json reads, compared through serde_json's own
    /// reading of what this writes.
    fn agree(b: &str) {
        let ours = parse(b.as_bytes());
        match (ours, theirs(b)) {
            (Some(v), Some(t)) => {
                assert_eq!(serde_json::from_slice::<serde_json::Value>(&v.to_vec()).unwrap(), t, "{b}");
            }
            (None, None) => {}
            (o, t) => panic!("{b:?}: ours {o:?}, serde_json {t:?}"),
        }
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for b in [
            r#"{"a":[1,-2,3.5e2,0,{"b":null}],"c":"d\u00e9\ud83d\ude00\n\"","e":true,"f":false}"#,
            " [ ] ",
            "{}",
            "\"x\"",
            "12",
            "-0",
            r#"{"a":"\/\b\f\r\t\\"}"#,
            r#""\ud800""#,
            r#""\udc00x""#,
            r#""\ud800\u0041""#,
            r#"{"a":1,}"#,
            "[1,]",
            "01",
            "1.",
            "[1 2]",
            "{\"a\" 1}",
            "nul",
            "\"\u{1}\"",
            "[] x",
            "",
        ] {
            agree(b);
        }
        let deep = |n: usize| "[".repeat(n) + &"]".repeat(n);
        for n in [126, 127, 128, 129] {
            agree(&deep(n));
        }
    }

    #[test]
    fn refuses_a_repeated_member() {
        assert!(parse(br#"{"a":1,"a":2}"#).is_none());
        assert!(parse(br#"{"a":{"b":1,"b":1}}"#).is_none());
        assert!(parse(br#"[{"a":1},{"a":2}]"#).is_some());
    }

    #[test]
    fn accessors_and_macro_match_serde_json() {
        let name = String::from("n");
        let none: Option<u32> = None;
        let ours = json!({
            "s": name,
            "n": 42u64,
            "neg": -7i64,
            "o": none,
            "nested": {"a": [1u32, "x", {"b": true}], "c": null},
            "list": vec![1u8, 2],
        });
        let t = serde_json::json!({
            "s": name, "n": 42, "neg": -7, "o": null,
            "nested": {"a": [1, "x", {"b": true}], "c": null}, "list": [1, 2],
        });
        assert_eq!(ours.to_vec(), serde_json::to_vec(&t).unwrap());
        assert_eq!(ours["n"].as_u64(), Some(42));
        assert_eq!(ours["neg"].as_i64(), Some(-7));
        assert_eq!(ours["neg"].as_u64(), None);
        assert_eq!(ours.pointer("/nested/a/2/b").and_then(Value::as_bool), Some(true));
        assert!(ours["missing"].is_null() && ours["s"]["x"].is_null());
        let mut v = parse(b"{\"x\":1.5,\"y\":1e3}").unwrap();
        assert_eq!((v["x"].as_u64(), v["y"].as_i64()), (None, None));
        v["z"] = json!("w");
        assert_eq!(v.take_string("z"), Ok(Some("w".to_owned())));
        assert_eq!(v.take_string("x"), Err(()));
        assert_eq!(v.to_string(), r#"{"y":1e3}"#);
    }
}
