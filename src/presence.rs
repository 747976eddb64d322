//! Pure presence logic (issue 15): the directory of extensions' addresses
//! with what Google last said of each (busy periods or a per-calendar
//! error), the round-robin choice of the next `freebusy.query` batches, the
//! request body, the reading of the answer, and the lookup at an instant.
//! No I/O: the room `reader::presence` does the requests.
//!
//! Memory: one entry per address, its busy periods in a boxed slice (at
//! most `MAX_PERIODS`), sorted by address for a binary search; no hash table.

use crate::json::{json, Value};

/// Calendars per `freebusy.query` (Google's `calendarExpansionMax` limit).
pub(crate) const MAX_BATCH: usize = 50;
/// Most addresses in the directory.
pub(crate) const MAX_ADDRESSES: usize = 50_000;
/// Longest address (RFC 5321 path limit).
pub(crate) const MAX_ADDRESS_LEN: usize = 254;
/// Busy periods kept per address (the earliest in the window); answers
/// beyond the last kept one are "unknown" rather than wrong.
pub(crate) const MAX_PERIODS: usize = 32;
/// Longest per-calendar reason kept (Google's are short camelCase words).
pub(crate) const MAX_REASON_LEN: usize = 31;

/// What is known of one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// Never answered since it was added.
    Never,
    /// Google's busy periods (merged, sorted), valid for [from, to).
    Periods { from: i64, to: i64, busy: Box<[(i64, i64)]> },
    /// Google's per-calendar error (notFound, internalError, ...).
    Failed { reason: Box<str> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Lower-case, as asked of Google.
    pub email: Box<str>,
    pub known: Known,
    /// Unix seconds of Google's last answer for it (0: never).
    pub at: i64,
}

/// The presence table of a handle: not persisted (the firmware sets the
/// addresses after every open, like options).
#[derive(Debug, Default)]
pub struct Directory {
    /// Sorted by `email`, unique.
    pub entries: Vec<Entry>,
    /// Index of the next address to refresh (round robin).
    pub cursor: usize,
    /// Set when the grant lacks a free/busy scope (checked by each refresh).
    pub not_granted: bool,
    /// Backoff of the presence requests: attempts failed in a row and the
    /// unix time before which none is tried.
    pub failures: u32,
    pub wait_until: i64,
    /// The failure presence waits after.
    pub last_failure: Option<crate::errors::Error>,
}

/// The answer for one address at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// Busy until `until` (the end of the merged busy period).
    Busy { until: i64, known_until: i64, at: i64 },
    /// Free; `next`: start of the next busy period (0: none before `known_until`).
    Free { next: i64, known_until: i64, at: i64 },
    /// Not known: Google's per-calendar reason, or `notListed`,
    /// `notRefreshed`, `outsideWindow`.
    Unknown { reason: Box<str>, at: i64 },
}

/// A plausible address: `local@domain`, printable, no spaces, bounded.
pub fn valid_address(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    !local.is_empty()
        && !domain.is_empty()
        && s.len() <= MAX_ADDRESS_LEN
        && s.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
}

impl Directory {
    /// Replaces the addresses, keeping what is known of those still in it.
    /// Addresses are compared without case; duplicates count once.
    /// Returns the first invalid address (then nothing changes).
    pub fn set(&mut self, emails: &[&str]) -> Result<(), String> {
        if let Some(bad) = emails.iter().find(|e| !valid_address(e)) {
            return Err(crate::oauth::printable(bad).chars().take(64).collect());
        }
        let mut fresh: Vec<Box<str>> = emails.iter().map(|e| e.to_ascii_lowercase().into_boxed_str()).collect();
        fresh.sort_unstable();
        fresh.dedup();
        let old = std::mem::take(&mut self.entries);
        let mut old = old.into_iter().peekable();
        let mut entries = Vec::with_capacity(fresh.len());
        for email in fresh {
            while old.peek().is_some_and(|o| o.email < email) {
                old.next();
            }
            match old.peek() {
                Some(o) if o.email == email => entries.push(old.next().expect("peeked")),
                _ => entries.push(Entry { email, known: Known::Never, at: 0 }),
            }
        }
        self.entries = entries;
        if self.cursor >= self.entries.len() {
            self.cursor = 0;
        }
        Ok(())
    }

    /// The next `n` addresses round robin from the cursor (each at most
    /// once), in batches of at most `MAX_BATCH`.
    pub fn next_batches(&self, n: usize) -> Vec<Vec<Box<str>>> {
        let len = self.entries.len();
        let n = n.min(len);
        let picked: Vec<Box<str>> = (0..n).map(|i| self.entries[(self.cursor + i) % len].email.clone()).collect();
        picked.chunks(MAX_BATCH).map(<[Box<str>]>::to_vec).collect()
    }

    /// Advances the round robin past `n` refreshed addresses.
    pub fn advance(&mut self, n: usize) {
        if !self.entries.is_empty() {
            self.cursor = (self.cursor + n) % self.entries.len();
        }
    }

    fn find(&self, email: &str) -> Option<usize> {
        // Lower-cased once into a stack buffer, then plain byte (memcmp)
        // comparisons: the per-step lower-casing iterator cost most of a
        // lookup in a large directory (bench: presence_get).
        let mut buf = [0u8; 320];
        match buf.get_mut(..email.len()) {
            Some(low) => {
                for (d, b) in low.iter_mut().zip(email.bytes()) {
                    *d = b.to_ascii_lowercase();
                }
                let low = &*low;
                self.entries.binary_search_by(|e| e.email.as_bytes().cmp(low)).ok()
            }
            None => self.entries.binary_search_by(|e| cmp_lower(&e.email, email)).ok(),
        }
    }

    /// Stores one answer (an address no longer listed is ignored).
    pub fn store(&mut self, email: &str, known: Known, at: i64) {
        if let Some(i) = self.find(email) {
            self.entries[i].known = known;
            self.entries[i].at = at;
        }
    }

    /// Presence of `email` at `when` (unix seconds), from the table only.
    pub fn get(&self, email: &str, when: i64) -> Presence {
        let Some(i) = self.find(email) else {
            return Presence::Unknown { reason: "notListed".into(), at: 0 };
        };
        let e = &self.entries[i];
        match &e.known {
            Known::Never => Presence::Unknown { reason: "notRefreshed".into(), at: 0 },
            Known::Failed { reason } => Presence::Unknown { reason: reason.clone(), at: e.at },
            Known::Periods { from, to, .. } if when < *from || when >= *to => {
                Presence::Unknown { reason: "outsideWindow".into(), at: e.at }
            }
            Known::Periods { to, busy, .. } => at_instant(busy, when, *to, e.at),
        }
    }

    /// Heap bytes the table holds (for the bench and the status).
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self
                .entries
                .iter()
                .map(|e| {
                    e.email.len()
                        + match &e.known {
                            Known::Periods { busy, .. } => busy.len() * 16,
                            Known::Failed { reason } => reason.len(),
                            Known::Never => 0,
                        }
                })
                .sum::<usize>()
    }
}

/// Compares a stored (lower-case) address with a caller's, ignoring case,
/// without allocating.
fn cmp_lower(stored: &str, asked: &str) -> std::cmp::Ordering {
    stored.bytes().cmp(asked.bytes().map(|b| b.to_ascii_lowercase()))
}

/// Busy/free at `when` within periods known until `to`.
fn at_instant(busy: &[(i64, i64)], when: i64, to: i64, at: i64) -> Presence {
    // First period ending after `when`.
    let i = busy.partition_point(|&(_, e)| e <= when);
    match busy.get(i) {
        Some(&(s, e)) if s <= when => {
            // Touching periods (Google merges them; a capped list may not).
            let mut until = e;
            for &(s2, e2) in &busy[i + 1..] {
                if s2 > until {
                    break;
                }
                until = until.max(e2);
            }
            Presence::Busy { until, known_until: to, at }
        }
        Some(&(s, _)) => Presence::Free { next: s, known_until: to, at },
        None => Presence::Free { next: 0, known_until: to, at },
    }
}

/// The `freebusy.query` body for one batch.
pub fn request_body(time_min: &str, time_max: &str, batch: &[Box<str>]) -> String {
    let items: Vec<Value> = batch.iter().map(|e| json!({"id": &**e})).collect();
    json!({"timeMin": time_min, "timeMax": time_max, "calendarExpansionMax": MAX_BATCH, "items": items}).to_string()
}

/// Reads Google's answer to one batch: per asked address, its busy periods
/// (clipped to [from, to), sorted, merged, at most `MAX_PERIODS`; beyond,
/// the window ends at the first dropped one) or its error's reason. An
/// address Google did not mention is `Failed { "missing" }`. None when the
/// answer is not a free/busy answer at all.
pub fn parse_answer(
    body: &[u8],
    batch: &[Box<str>],
    from: i64,
    to: i64,
) -> Option<Vec<(Box<str>, Known)>> {
    let v = crate::json::parse(body)?;
    let cals = v.get("calendars")?.as_object()?;
    let mut by_lower: Vec<(String, &Value)> = cals.iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    by_lower.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::with_capacity(batch.len());
    for email in batch {
        let found = by_lower.binary_search_by(|(k, _)| k.as_str().cmp(email)).ok().map(|i| by_lower[i].1);
        let known = match found {
            None => Known::Failed { reason: "missing".into() },
            Some(c) => calendar(c, from, to),
        };
        out.push((email.clone(), known));
    }
    Some(out)
}

fn calendar(c: &Value, from: i64, to: i64) -> Known {
    if let Some(err) = c.get("errors").and_then(Value::as_array).and_then(|a| a.first()) {
        let reason = err.get("reason").and_then(Value::as_str).unwrap_or("unknownError");
        let reason: String = reason.chars().filter(char::is_ascii_graphic).take(MAX_REASON_LEN).collect();
        return Known::Failed { reason: reason.into() };
    }
    let mut periods: Vec<(i64, i64)> = c
        .get("busy")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let s = crate::events::parse_rfc3339(p.get("start")?.as_str()?)?.max(from);
            let e = crate::events::parse_rfc3339(p.get("end")?.as_str()?)?.min(to);
            (e > s).then_some((s, e))
        })
        .collect();
    periods.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(periods.len().min(MAX_PERIODS + 1));
    for (s, e) in periods {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let mut to = to;
    if merged.len() > MAX_PERIODS {
        to = merged[MAX_PERIODS].0;
        merged.truncate(MAX_PERIODS);
    }
    Known::Periods { from, to, busy: merged.into_boxed_slice() }
}

/// Whether a granted scope list lets us call `freebusy.query`.
pub fn granted(scope: &str) -> bool {
    scope.split(' ').any(|s| crate::oauth::FREEBUSY_SCOPES.contains(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_714_984_200; // 2024-05-06T08:30:00Z

    fn iso(t: i64) -> String {
        crate::clock::rfc3339(t).unwrap()
    }

    fn dir(emails: &[&str]) -> Directory {
        let mut d = Directory::default();
        d.set(emails).unwrap();
        d
    }

    #[test]
    fn set_keeps_known_sorts_dedups_and_refuses_bad_addresses() {
        let mut d = dir(&["b@x.com", "A@x.com", "a@x.com"]);
        assert_eq!(d.entries.len(), 2);
        d.store("B@X.com", Known::Failed { reason: "notFound".into() }, 5);
        d.set(&["c@x.com", "b@x.com"]).unwrap();
        assert_eq!(d.entries.iter().map(|e| &*e.email).collect::<Vec<_>>(), ["b@x.com", "c@x.com"]);
        assert_eq!(d.get("b@x.com", T), Presence::Unknown { reason: "notFound".into(), at: 5 });
        for bad in ["", "nobody", "@x", "a@", "a b@x", "a\"@x"] {
            assert!(d.set(&["ok@x.com", bad]).is_err(), "{bad:?}");
        }
        assert_eq!(d.entries.len(), 2, "a refused set changes nothing");
        assert_eq!(d.get("zz@x.com", T), Presence::Unknown { reason: "notListed".into(), at: 0 });
        assert_eq!(d.get("c@x.com", T), Presence::Unknown { reason: "notRefreshed".into(), at: 0 });
    }

    #[test]
    fn batches_round_robin() {
        let emails: Vec<String> = (0..120).map(|i| format!("e{i:03}@x.com")).collect();
        let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
        let mut d = dir(&refs);
        let b = d.next_batches(1000);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50, 20]);
        let b = d.next_batches(60);
        assert_eq!((b.len(), &*b[0][0], &*b[1][9]), (2, "e000@x.com", "e059@x.com"));
        d.advance(60);
        d.advance(50);
        let b = d.next_batches(30);
        assert_eq!((&*b[0][0], &*b[0][9], &*b[0][10]), ("e110@x.com", "e119@x.com", "e000@x.com"), "wraps");
    }

    #[test]
    fn answers_at_period_edges() {
        let busy = |periods: &[(i64, i64)]| Known::Periods { from: T, to: T + 7200, busy: periods.to_vec().into_boxed_slice() };
        let mut d = dir(&["a@x.com"]);
        d.store("a@x.com", busy(&[(T + 600, T + 1200), (T + 1200, T + 1800), (T + 3000, T + 3600)]), T);
        let cases: &[(i64, Presence)] = &[
            (T, Presence::Free { next: T + 600, known_until: T + 7200, at: T }),
            (T + 599, Presence::Free { next: T + 600, known_until: T + 7200, at: T }),
            (T + 600, Presence::Busy { until: T + 1800, known_until: T + 7200, at: T }),
            (T + 1199, Presence::Busy { until: T + 1800, known_until: T + 7200, at: T }),
            (T + 1200, Presence::Busy { until: T + 1800, known_until: T + 7200, at: T }),
            (T + 1800, Presence::Free { next: T + 3000, known_until: T + 7200, at: T }),
            (T + 3599, Presence::Busy { until: T + 3600, known_until: T + 7200, at: T }),
            (T + 3600, Presence::Free { next: 0, known_until: T + 7200, at: T }),
            (T + 7200, Presence::Unknown { reason: "outsideWindow".into(), at: T }),
            (T - 1, Presence::Unknown { reason: "outsideWindow".into(), at: T }),
        ];
        for (when, want) in cases {
            assert_eq!(&d.get("A@X.COM", *when), want, "at T+{}", when - T);
        }
    }

    #[test]
    fn answers_are_read_clipped_merged_and_capped() {
        let batch: Vec<Box<str>> = ["a@x.com", "b@x.com", "c@x.com", "d@x.com"].map(Into::into).to_vec();
        let many: Vec<Value> = (0..40).map(|i| json!({"start": iso(T + i * 120), "end": iso(T + i * 120 + 60)})).collect();
        let body = json!({"kind": "calendar#freeBusy", "calendars": {
            "A@x.com": {"busy": [
                {"start": iso(T + 1800), "end": iso(T + 2400)},
                {"start": iso(T - 600), "end": iso(T + 600)},
                {"start": iso(T + 2000), "end": iso(T + 3000)},
                {"start": "garbage", "end": iso(T)}]},
            "b@x.com": {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []},
            "c@x.com": {"busy": many},
        }});
        let got = parse_answer(body.to_string().as_bytes(), &batch, T, T + 86_400).unwrap();
        assert_eq!(got[0].1, Known::Periods { from: T, to: T + 86_400, busy: vec![(T, T + 600), (T + 1800, T + 3000)].into() });
        assert_eq!(got[1].1, Known::Failed { reason: "notFound".into() });
        match &got[2].1 {
            Known::Periods { to, busy, .. } => assert_eq!((busy.len(), *to), (MAX_PERIODS, T + 32 * 120)),
            other => panic!("{other:?}"),
        }
        assert_eq!(got[3].1, Known::Failed { reason: "missing".into() });
        assert!(parse_answer(b"<html>", &batch, T, T + 1).is_none());
        assert!(parse_answer(b"{\"kind\":\"x\"}", &batch, T, T + 1).is_none());
    }

    #[test]
    fn request_body_and_scopes() {
        let b = request_body(
            "2024-05-06T08:30:00Z",
            "2024-05-06T20:30:00Z",
            &["a@x.com".into()],
        );
        let v = crate::json::parse(b.as_bytes()).unwrap();
        assert_eq!(v["items"][0]["id"], "a@x.com");
        assert_eq!(v["calendarExpansionMax"], 50);
        assert!(granted("openid https://www.googleapis.com/auth/calendar.freebusy"));
        assert!(granted("https://www.googleapis.com/auth/calendar.readonly"));
        assert!(!granted("openid email https://www.googleapis.com/auth/calendar.events"));
    }

    #[test]
    fn heap_of_a_thousand_extensions_is_small() {
        let emails: Vec<String> = (0..1000).map(|i| format!("extension{i:04}@pbx-customer.example.com")).collect();
        let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
        let mut d = dir(&refs);
        for e in &emails {
            d.store(e, Known::Periods { from: T, to: T + 43_200, busy: vec![(T, T + 1800), (T + 3600, T + 5400)].into() }, T);
        }
        eprintln!("presence heap for 1000 extensions: {} bytes", d.heap_bytes());
        assert!(d.heap_bytes() < 256 * 1024, "{}", d.heap_bytes());
    }
}
