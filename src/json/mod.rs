//! The library's one JSON implementation (RFC 8259). serde_json is the
//! tests' oracle, not a dependency: its derive and deserializer
//! instantiations cost about 100 KB of the armv7 push program (issue 13).
//! - `Writer`: streaming output, serde_json's bytes (the event body, the
//!   state file, the journal: written without a tree, so secrets are not
//!   copied into one);
//! - `top_level_strings`: a few top-level string members of an answer
//!   without building anything else (the per-push path, issue 7);
//! - `value`: a document as a tree (`Value`) and the `json!` macro.
//! Each is checked against serde_json by the tests and by the `json_diff`
//! fuzz target.

mod value;
pub(crate) use value::{json, parse, Map, ToJson, Value};

/// Writes JSON into a byte buffer, escaping strings exactly as serde_json
/// does (`"` `\` and control characters; `\b \f \n \r \t` short, others as
/// `\u00xx`; everything else, DEL and non-ASCII included, as is), with no
/// spaces: the same bytes as `serde_json::to_vec`.
pub struct Writer {
    pub buf: Vec<u8>,
    /// No comma before the next value (start of a container, after a key).
    first: bool,
}

impl Writer {
    pub fn with_capacity(n: usize) -> Writer {
        Writer { buf: Vec::with_capacity(n), first: true }
    }

    fn sep(&mut self) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
    }

    pub fn begin_object(&mut self) {
        self.sep();
        self.buf.push(b'{');
        self.first = true;
    }

    pub fn end_object(&mut self) {
        self.buf.push(b'}');
        self.first = false;
    }

    pub fn begin_array(&mut self) {
        self.sep();
        self.buf.push(b'[');
        self.first = true;
    }

    pub fn end_array(&mut self) {
        self.buf.push(b']');
        self.first = false;
    }

    /// A member name; the next call writes its value.
    pub fn key(&mut self, k: &str) {
        self.sep();
        push_string(&mut self.buf, k);
        self.buf.push(b':');
        self.first = true;
    }

    pub fn string(&mut self, s: &str) {
        self.sep();
        push_string(&mut self.buf, s);
    }

    pub fn uint(&mut self, n: u64) {
        self.sep();
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&digits[i..]);
    }

    pub fn int(&mut self, n: i64) {
        if n < 0 {
            self.sep();
            self.buf.push(b'-');
            self.first = true;
        }
        self.uint(n.unsigned_abs());
    }

    pub fn bool(&mut self, b: bool) {
        self.sep();
        self.buf.extend_from_slice(if b { b"true" } else { b"false" });
    }

    pub fn null(&mut self) {
        self.sep();
        self.buf.extend_from_slice(b"null");
    }

    /// A number already in JSON's syntax (a `Number` read by `parse`).
    fn number(&mut self, text: &str) {
        self.sep();
        self.buf.extend_from_slice(text.as_bytes());
    }

    /// `key` then the string `v`, or nothing when `v` is None (a field
    /// the reader defaults).
    pub fn opt_string(&mut self, key: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.key(key);
            self.string(v);
        }
    }
}

/// The index of the first `"`, `\` or control character (< 0x20) in
/// `b[i..]`, or `b.len()`: eight bytes per step (SWAR), the last few
/// byte by byte.
#[inline(always)]
fn special(b: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*chunk);
        // Bytes < 0x20, == '"', == '\\'. A borrow can flag a byte above a
        // true hit, never below one, so the lowest flag is the first hit.
        let below = w.wrapping_sub(LO * 0x20) & !w;
        let quote = (w ^ (LO * 0x22)).wrapping_sub(LO) & !(w ^ (LO * 0x22));
        let slash = (w ^ (LO * 0x5c)).wrapping_sub(LO) & !(w ^ (LO * 0x5c));
        let hits = (below | quote | slash) & HI;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c < 0x20 || c == b'"' || c == b'\\' {
            break;
        }
        i += 1;
    }
    i
}

/// Appends `s` as a JSON string literal (see `Writer`).
fn push_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut plain = 0;
    let mut u = *b"\\u0000";
    let mut i = 0;
    loop {
        i = special(bytes, i);
        let Some(&c) = bytes.get(i) else { break };
        let escaped: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            _ => {
                u[4] = HEX[usize::from(c >> 4)];
                u[5] = HEX[usize::from(c & 15)];
                &u
            }
        };
        out.extend_from_slice(&bytes[plain..i]);
        out.extend_from_slice(escaped);
        i += 1;
        plain = i;
    }
    out.extend_from_slice(&bytes[plain..]);
    out.push(b'"');
}

/// serde_json's nesting limit: deeper documents are its to refuse.
const MAX_DEPTH: usize = 128;

/// The string values of the top-level members `keys` of the JSON object
/// `body` (None for a member absent or null), every other member skipped
/// without being built. None when `body` is not one JSON object this
/// reader vouches for: malformed JSON, a wanted member that is neither a
/// string nor null, a wanted member given twice, nesting deeper than
/// serde_json allows, anything after the object but whitespace (all of
/// which serde_json refuses too, reading them into a struct), and a member
/// name written with escapes (which serde_json would read).
pub fn top_level_strings<const N: usize>(body: &[u8], keys: [&str; N]) -> Option<[Option<String>; N]> {
    // JSON text is UTF-8 throughout, skipped members included (found by
    // the mutation test: serde_json refuses what this would have skipped).
    std::str::from_utf8(body).ok()?;
    let mut r = Reader { b: body, i: 0 };
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    let mut seen = [false; N];
    r.ws();
    r.eat(b'{')?;
    r.ws();
    if r.peek() == Some(b'}') {
        r.i += 1;
    } else {
        loop {
            r.ws();
            let (name, escaped) = r.string()?;
            if escaped {
                return None;
            }
            r.ws();
            r.eat(b':')?;
            r.ws();
            match keys.iter().position(|k| k.as_bytes() == name) {
                Some(k) => {
                    if std::mem::replace(&mut seen[k], true) {
                        return None;
                    }
                    match r.peek()? {
                        b'n' => r.literal(b"null")?,
                        b'"' => {
                            let (text, escaped) = r.string()?;
                            found[k] = Some(if escaped {
                                unescape(text)?
                            } else {
                                std::str::from_utf8(text).ok()?.to_owned()
                            });
                        }
                        _ => return None,
                    }
                }
                None => r.value(1)?,
            }
            r.ws();
            match r.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    r.ws();
    (r.i == body.len()).then_some(found)
}

/// The contents of a string literal `Reader::string` checked, escapes
/// decoded. None for a lone surrogate (serde_json refuses one too). The
/// capacity is the raw length, which decoding never exceeds: a secret is
/// never left behind in a grown buffer's old allocation.
fn unescape(raw: &[u8]) -> Option<String> {
    let hex4 = |i: usize| -> Option<u32> {
        let h = std::str::from_utf8(raw.get(i..i + 4)?).ok()?;
        u32::from_str_radix(h, 16).ok()
    };
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let plain = raw[i..].iter().position(|&c| c == b'\\').map_or(raw.len(), |n| i + n);
        out.push_str(std::str::from_utf8(&raw[i..plain]).ok()?);
        i = plain;
        if i == raw.len() {
            break;
        }
        let c = match *raw.get(i + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(i + 2)?;
                i += 4;
                let cp = match hi {
                    0xd800..=0xdbff => {
                        if raw.get(i + 2..i + 4)? != b"\\u" {
                            return None;
                        }
                        let lo = hex4(i + 4)?;
                        if !(0xdc00..=0xdfff).contains(&lo) {
                            return None;
                        }
                        i += 6;
                        0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                    }
                    0xdc00..=0xdfff => return None,
                    _ => hi,
                };
                char::from_u32(cp)?
            }
            _ => return None,
        };
        out.push(c);
        i += 2;
    }
    Some(out)
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

// The per-byte helpers are forced inline: opt-level "z" would otherwise
// make a call per byte.
impl<'a> Reader<'a> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    #[inline(always)]
    fn ws(&mut self) {
        let mut i = self.i;
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(i) {
            i += 1;
        }
        self.i = i;
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// A string literal: its raw contents (between the quotes) and whether
    /// it has escapes. Checks escapes and refuses raw control characters.
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        self.eat(b'"')?;
        let (b, start) = (self.b, self.i);
        let mut i = start;
        let mut escaped = false;
        loop {
            i = special(b, i);
            let c = *b.get(i)?;
            i += 1;
            match c {
                b'"' => {
                    self.i = i;
                    return Some((&b[start..i - 1], escaped));
                }
                b'\\' => {
                    escaped = true;
                    let n = match *b.get(i)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 1,
                        b'u' if b.get(i + 1..i + 5)?.iter().all(u8::is_ascii_hexdigit) => 5,
                        _ => return None,
                    };
                    i += n;
                }
                _ => return None, // a raw control character
            }
        }
    }

    /// Skips one value of any kind.
    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                let close = if self.next()? == b'{' { b'}' } else { b']' };
                self.ws();
                if self.peek()? == close {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    if close == b'}' {
                        self.string()?;
                        self.ws();
                        self.eat(b':')?;
                        self.ws();
                    }
                    self.value(depth + 1)?;
                    self.ws();
                    match self.next()? {
                        b',' => continue,
                        c if c == close => return Some(()),
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.next().filter(u8::is_ascii_digit)?;
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.next().filter(u8::is_ascii_digit)?;
            self.digits();
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_finds_the_first_byte_to_escape() {
        for n in 0..40 {
            for pos in 0..=n {
                for c in [b'"', b'\\', 0u8, 0x1f, b'\n'] {
                    let mut b: Vec<u8> = (0..n).map(|k| b"az !#[]{}\x7f\xc3\xa9~AZ09"[k % 16]).collect();
                    if pos < n {
                        b[pos] = c;
                    }
                    assert_eq!(special(&b, 0), pos, "{b:?}");
                    assert_eq!(special(&b, pos.min(n)), pos);
                }
            }
        }
        // Every byte value, at every offset within a word.
        for v in 0..=255u8 {
            for pos in 0..16 {
                let mut b = vec![b'a'; 16];
                b[pos] = v;
                let hit = v < 0x20 || v == b'"' || v == b'\\';
                assert_eq!(special(&b, 0), if hit { pos } else { 16 }, "byte {v} at {pos}");
            }
        }
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let mut all = String::new();
        for c in (0u32..0x300).chain([0x2028, 0x2029, 0xfeff, 0x1f600]) {
            all.extend(char::from_u32(c));
        }
        for s in ["", "plain", "a\"b\\c/d", "tab\there\r\n\u{8}\u{c}\u{1}\u{1f}\u{7f}", "日本語 é", &all] {
            let mut w = Writer::with_capacity(0);
            w.string(s);
            assert_eq!(w.buf, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn containers_and_numbers_like_serde_json() {
        let mut w = Writer::with_capacity(0);
        w.begin_object();
        w.key("a");
        w.begin_array();
        w.uint(0);
        w.uint(7);
        w.uint(u32::MAX.into());
        w.begin_object();
        w.end_object();
        w.begin_array();
        w.end_array();
        w.bool(true);
        w.end_array();
        w.key("b");
        w.bool(false);
        w.key("c");
        w.begin_object();
        w.key("d");
        w.string("e");
        w.end_object();
        w.end_object();
        let v = serde_json::json!({"a": [0, 7, u32::MAX, {}, [], true], "b": false, "c": {"d": "e"}});
        assert_eq!(String::from_utf8(w.buf).unwrap(), v.to_string());
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Three {
        id: Option<String>,
        #[serde(rename = "htmlLink")]
        html_link: Option<String>,
        updated: Option<String>,
    }

    fn both(body: &str) -> (Option<[Option<String>; 3]>, Option<Three>) {
        (
            top_level_strings(body.as_bytes(), ["id", "htmlLink", "updated"]),
            serde_json::from_str::<Three>(body).ok(),
        )
    }

    /// Whatever the reader answers, serde_json answers the same; what it
    /// refuses, serde_json decides.
    #[test]
    fn reader_agrees_with_serde_json() {
        let google = r#"{
 "kind": "calendar#event",
 "etag": "\"3181161784712000\"",
 "id": "gs0123456789abcdef",
 "status": "confirmed",
 "htmlLink": "https://www.google.com/calendar/event?eid=Z3MwMTIz",
 "created": "2024-04-20T09:00:00.000Z",
 "updated": "2024-04-20T09:00:00.356Z",
 "summary": "Weekly_Meeting {\"not\": [a member]}",
 "description": "Status of all projects\n\nJoin: dial meeting room 6300. \u00e9 \ud83d\ude00",
 "attendees": [{"email": "a@b.c", "displayName": "1000", "responseStatus": "needsAction", "optional": false}],
 "reminders": {"useDefault": false, "overrides": [{"method": "email", "minutes": 60}]},
 "sequence": 0, "x": [-0.5e-3, 1E+2, 0, -12, 3.25, true, null, [], {}, [[{"a": [1]}]]]
}"#;
        let valid = [
            google,
            "{}",
            " { } ",
            r#"{"id":"a"}"#,
            r#"{"id":null,"htmlLink":null}"#,
            r#"{"id":"esc\"aped\\\u00e9\n","htmlLink":"h","updated":"u"}"#,
            r#"{"htmlLink":"é日本","other":{"id":"nested, not top level"}}"#,
            "{\"id\":\"x\"}\n\t\r ",
        ];
        for body in valid {
            let (ours, serde) = both(body);
            let serde = serde.unwrap_or_else(|| panic!("serde refused {body}"));
            let [id, html_link, updated] = ours.unwrap_or_else(|| panic!("reader refused {body}"));
            assert_eq!(Three { id, html_link, updated }, serde, "{body}");
        }
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(200), "]".repeat(200));
        let refused_by_reader = [
            "",
            "[]",
            r#"["a","b","c"]"#,
            "{",
            r#"{"id":"a""#,
            r#"{"id":"a",}"#,
            r#"{"id":"a"} x"#,
            r#"{"id":5}"#,
            r#"{"id":"a","id":"b"}"#,
            r#"{"i\u0064":"a"}"#,
            r#"{"x":01}"#,
            r#"{"x":1.}"#,
            r#"{"x":-}"#,
            r#"{"x":tru}"#,
            r#"{"x":"\q"}"#,
            r#"{"x":"\u12"}"#,
            "{\"x\":\"raw\ncontrol\"}",
            r#"{"x":[1,]}"#,
            r#"{"x" 1}"#,
            r#"{"id":"\ud800"}"#,
            &deep,
        ];
        for body in refused_by_reader {
            let (ours, serde) = both(body);
            if let Some([id, html_link, updated]) = ours {
                assert_eq!(Some(Three { id, html_link, updated }), serde, "reader accepted {body:?}");
            }
        }
        // Those serde_json reads too are read the same way through the
        // fallback; the rest is unreadable for both.
        assert!(both(r#"{"i\u0064":"a"}"#).1.is_some());
        assert!(both(r#"{"x":01}"#).1.is_none());
    }

    /// Garbage from the network: random byte edits of a Google answer never
    /// panic the reader, and whatever it accepts serde_json reads the same.
    #[test]
    fn mutated_answers_never_disagree() {
        let base = br#"{"kind":"calendar#event","id":"gs01","htmlLink":"https://x/e?eid=1","updated":"2024-04-20T09:00:00.356Z","summary":"a\"b\u00e9","attendees":[{"email":"a@b.c","optional":false}],"sequence":0,"x":[-0.5e-3,true,null,{}]}"#;
        let alphabet = b"{}[]\":,\\u0123456789abcdefnrtl -.eE+\x00\xff\xc3\xa9";
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let mut b = base.to_vec();
            for _ in 0..1 + rnd() % 4 {
                let at = (rnd() as usize) % b.len();
                let c = alphabet[(rnd() as usize) % alphabet.len()];
                match rnd() % 3 {
                    0 => b[at] = c,
                    1 => b.insert(at, c),
                    _ => {
                        b.remove(at);
                    }
                }
            }
            let ours = top_level_strings(&b, ["id", "htmlLink", "updated"]);
            if let Some([id, html_link, updated]) = ours {
                let serde = serde_json::from_slice::<Three>(&b).ok();
                assert_eq!(Some(Three { id, html_link, updated }), serde, "{:?}", String::from_utf8_lossy(&b));
            }
        }
    }
}
