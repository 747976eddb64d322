//! Opaque page and sync tokens for the list methods. Clients must treat them as
//! opaque strings (as with Google's); inside they are base64url of `|`-separated
//! fields, so a mangled token is detected rather than misread.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// What a sync token remembers: where the full sync stood, and the parameters
/// an incremental sync must repeat.
#[derive(Debug, PartialEq)]
pub struct SyncToken {
    /// Calendar id, or "calendarList".
    pub scope: String,
    /// `State::change_seq` when the full sync started.
    pub seq: u64,
    /// Normalized parameters that must stay the same (singleEvents etc.).
    pub params: String,
}

/// Where a multi-page answer continues.
#[derive(Debug, PartialEq)]
pub struct PageToken {
    pub offset: usize,
    /// Change sequence when the first page was served (becomes the sync token's).
    pub seq: u64,
    /// Hash of the query without pageToken/maxResults: a token only continues
    /// the query it came from.
    pub query_hash: u64,
}

fn encode(fields: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(fields.join("|"))
}

fn decode(token: &str, tag: &str, n: usize) -> Option<Vec<String>> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    let parts: Vec<String> = raw.split('|').map(String::from).collect();
    (parts.len() == n && parts[0] == tag).then_some(parts)
}

/// `nonce` only makes consecutive tokens differ, as Google's do.
pub fn sync_token(t: &SyncToken, nonce: u64) -> String {
    encode(&[
        "s1",
        &t.scope,
        &t.seq.to_string(),
        &t.params,
        &nonce.to_string(),
    ])
}

pub fn parse_sync_token(token: &str) -> Option<SyncToken> {
    let p = decode(token, "s1", 5)?;
    p[4].parse::<u64>().ok()?;
    Some(SyncToken {
        scope: p[1].clone(),
        seq: p[2].parse().ok()?,
        params: p[3].clone(),
    })
}

pub fn page_token(t: &PageToken) -> String {
    encode(&[
        "p1",
        &t.offset.to_string(),
        &t.seq.to_string(),
        &format!("{:016x}", t.query_hash),
    ])
}

pub fn parse_page_token(token: &str) -> Option<PageToken> {
    let p = decode(token, "p1", 4)?;
    Some(PageToken {
        offset: p[1].parse().ok()?,
        seq: p[2].parse().ok()?,
        query_hash: u64::from_str_radix(&p[3], 16).ok()?,
    })
}

/// FNV-1a over the sorted query pairs that define the result set.
pub fn query_hash(scope: &str, query: &str) -> u64 {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "pageToken" && k != "maxResults")
        .collect();
    pairs.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(scope.as_bytes());
    for (k, v) in &pairs {
        eat(b"\0");
        eat(k.as_bytes());
        eat(b"=");
        eat(v.as_bytes());
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let s = SyncToken {
            scope: "a@b.c".into(),
            seq: 7,
            params: "single=1".into(),
        };
        assert_eq!(parse_sync_token(&sync_token(&s, 3)), Some(s));
        let p = PageToken {
            offset: 2,
            seq: 9,
            query_hash: 0xdead,
        };
        assert_eq!(parse_page_token(&page_token(&p)), Some(p));
        assert!(parse_sync_token("garbage").is_none());
        assert!(parse_page_token(&sync_token(
            &SyncToken {
                scope: String::new(),
                seq: 1,
                params: String::new()
            },
            1
        ))
        .is_none());
        assert_eq!(
            query_hash("c", "a=1&b=2"),
            query_hash("c", "b=2&a=1&pageToken=x")
        );
        assert_ne!(query_hash("c", "a=1"), query_hash("c", "a=2"));
    }
}
