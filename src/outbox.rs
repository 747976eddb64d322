//! Pure outbox logic: what waits to be sent, coalescing per meeting, how a
//! failure is classified, when to try again, and the circuit breaker. The
//! client persists it (store::journal) and drains it (gs_gcal_sync).

use crate::errors::{Class, Error};
use crate::meeting::Meeting;

/// Most operations waiting at once; beyond, a call fails with
/// GS_GCAL_OUTBOX_FULL rather than drop anything.
pub(crate) const MAX_ENTRIES: usize = 1000;
/// Most bytes of meetings waiting at once (their text, roughly as the
/// journal holds it): bounds the journal read on open
/// (`store::journal::MAX_JOURNAL_BYTES`) whatever the meetings hold.
pub(crate) const MAX_BYTES: usize = 8 << 20;
/// Backoff: full jitter over base·2^attempts seconds, capped.
const BACKOFF_BASE: u64 = 2;
const BACKOFF_CAP: u64 = 3600;
/// Pause of all writes after Google's quotaExceeded.
pub(crate) const QUOTA_PAUSE: i64 = 3600;
/// Consecutive transport/server failures that open the circuit, and how
/// long it stays open (doubling, capped).
const CIRCUIT_THRESHOLD: u32 = 5;
const CIRCUIT_OPEN: i64 = 30;
const CIRCUIT_OPEN_CAP: i64 = 900;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Push(Box<Meeting>),
    Cancel { time_zone: Option<String> },
}

impl Op {
    /// "push" or "cancel", for the status and log lines.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Push(_) => "push",
            Op::Cancel { .. } => "cancel",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Arrival order: entries are sent oldest first.
    pub seq: u64,
    pub meeting_id: MeetingId,
    /// One occurrence (original local start), or the whole meeting.
    pub occurrence: Option<String>,
    pub op: Op,
    /// Unix seconds of the first operation now merged into this entry.
    pub enqueued_at: i64,
    pub attempts: u32,
    /// Unix seconds before which it is not tried again.
    pub next_attempt_at: i64,
    /// Whether an attempt may have reached Google (a lost answer): then a
    /// queued create followed by a cancel must still send the cancel.
    pub maybe_sent: bool,
    pub last_error: Option<(i32, String)>,
    /// `approx_bytes()`, computed once when the entry is queued or loaded
    /// (not stored): the outbox's byte bound then costs an addition per
    /// entry, not a walk over every meeting's invitees.
    pub bytes: usize,
}

impl Entry {
    /// Roughly the bytes it takes in the journal.
    pub fn approx_bytes(&self) -> usize {
        let text = match &self.op {
            Op::Push(m) => {
                let person = |p: &crate::meeting::Person| p.name.len() + p.email.as_ref().map_or(0, String::len) + 32;
                m.subject.len() + m.start.len() + m.end.len() + m.time_zone.len()
                    + m.room.as_ref().map_or(0, String::len) + m.agenda.as_ref().map_or(0, String::len)
                    + m.host.as_ref().map_or(0, person) + m.invitees.iter().map(person).sum::<usize>()
                    + m.participant_password.as_ref().map_or(0, String::len) + 400
            }
            Op::Cancel { time_zone } => time_zone.as_ref().map_or(0, String::len) + 100,
        };
        text + self.meeting_id.len() * 2 + self.last_error.as_ref().map_or(0, |e| e.1.len()) + 200
    }

    fn same_key(&self, id: &MeetingId, occurrence: &Option<String>) -> bool {
        self.meeting_id.is(id) && &self.occurrence == occurrence
    }
}

/// A queued meeting's id and its hash, taken once when the entry is built
/// (the text is private, so the two cannot disagree). The outbox (up to
/// 1000 entries) is scanned for a meeting on every push and cancel; with
/// the hash compared first that is an integer compare per entry, not a
/// string compare (`make bench` queue row: ~50 instructions per entry
/// before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingId {
    hash: u64,
    text: String,
}

impl MeetingId {
    pub fn new(text: String) -> MeetingId {
        MeetingId { hash: Self::hash_of(&text), text }
    }

    /// std's SipHash with fixed keys (already linked for HashMap): only
    /// needs to tell ids apart, the text decides.
    fn hash_of(text: &str) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        BuildHasherDefault::<DefaultHasher>::default().hash_one(text)
    }

    #[inline(always)]
    pub fn is(&self, other: &MeetingId) -> bool {
        self.matches(other.hash, &other.text)
    }

    /// Whether this is `text`, whose `hash_of` is `hash`.
    #[inline(always)]
    fn matches(&self, hash: u64, text: &str) -> bool {
        self.hash == hash && self.text == text
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::ops::Deref for MeetingId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for MeetingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq<&str> for MeetingId {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl From<&str> for MeetingId {
    fn from(text: &str) -> MeetingId {
        MeetingId::new(text.to_owned())
    }
}

/// The write side's part of a handle: the queue in memory (persisted by
/// `store::journal`), its next sequence number and the circuit breaker.
#[derive(Debug, Default)]
pub struct Queue {
    /// Operations waiting for Google, oldest first (persisted in a journal).
    /// Boxed: a sync drains it from the front, and removing an entry then
    /// moves pointers, not entries (quadratic in callgrind's count before;
    /// issue 7).
    pub(crate) outbox: Vec<Box<Entry>>,
    /// The next outbox sequence number: advanced as soon as an entry is
    /// durable, never reused (the journal's header keeps it too).
    pub(crate) next_seq: u64,
    pub(crate) circuit: Circuit,
}

/// A change to persist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Put(Entry),
    Del(u64),
}

/// Adds `e` to the queue, merging with what waits for the same meeting:
/// create/edit then edit → the latest version once; create then cancel of
/// a meeting that never reached Google → nothing; anything then cancel of
/// the whole meeting → the cancel (queued occurrence changes dropped);
/// cancel then push → the push (it restores). `reached_google`: the
/// meeting's event exists in Google already. Returns what to persist.
/// `queue` holds boxed entries: a sync removes them from the front, and a
/// Vec of boxes moves pointers then, not whole entries (issue 7).
pub fn enqueue(queue: &mut Vec<Box<Entry>>, mut e: Entry, reached_google: bool) -> Result<Vec<Change>, Error> {
    let mut changes = Vec::new();
    let whole_cancel = e.occurrence.is_none() && matches!(e.op, Op::Cancel { .. });
    if whole_cancel {
        // Occurrence changes of a meeting being cancelled are moot.
        queue.retain(|x| {
            let moot = x.occurrence.is_some() && x.meeting_id.is(&e.meeting_id);
            if moot {
                changes.push(Change::Del(x.seq));
            }
            !moot
        });
    }
    // One pass for both: the queue is scanned on every queued push.
    let (mut found, mut held) = (None, 0usize);
    for (i, x) in queue.iter().enumerate() {
        if found.is_none() && x.same_key(&e.meeting_id, &e.occurrence) {
            found = Some(i);
        } else {
            held += x.bytes;
        }
    }
    if let Some(pos) = found {
        let old = queue.remove(pos);
        changes.push(Change::Del(old.seq));
        let never_sent = !old.maybe_sent && !reached_google && matches!(old.op, Op::Push(_));
        if whole_cancel && never_sent {
            return Ok(changes);
        }
        // The merged entry keeps the older arrival and age, and the
        // knowledge that an earlier attempt may have reached Google.
        e.enqueued_at = old.enqueued_at;
        e.maybe_sent |= old.maybe_sent;
    } else if queue.len() >= MAX_ENTRIES {
        return Err(Error::OutboxFull(format!(
            "the outbox holds {MAX_ENTRIES} operations waiting for Google; nothing was stored \
             (call gs_gcal_sync when Google is reachable)"
        )));
    }
    e.bytes = e.approx_bytes();
    // `held` counts the queue without the entry this one replaces.
    if held + e.bytes > MAX_BYTES {
        // Nothing is journaled; the caller reloads the queue from disk.
        return Err(Error::OutboxFull(format!(
            "the outbox holds {held} bytes of meetings waiting for Google (at most {MAX_BYTES}); \
             nothing was stored (call gs_gcal_sync when Google is reachable)"
        )));
    }
    queue.push(Box::new(e.clone()));
    changes.push(Change::Put(e));
    Ok(changes)
}

/// Seconds before an operation that failed with `e` (after `attempts`
/// earlier failures) is tried again; `random` is any random number.
pub fn delay(e: &Error, attempts: u32, random: u64) -> i64 {
    match (e.class(), e) {
        (Class::RateLimited, Error::ApiRateLimited { retry_after: Some(secs), .. }) => (*secs).max(1) as i64,
        (Class::Quota, _) => QUOTA_PAUSE,
        (Class::Wait, _) => 60,
        _ => backoff(attempts, random) as i64,
    }
}

/// Why an operation on `meeting_id` must wait in the outbox instead of
/// going out now: an earlier change of it waits (order is kept), writes
/// pause after quotaExceeded, or the circuit breaker is open.
pub fn must_queue(queue: &[Box<Entry>], meeting_id: &str, quota_pause_until: Option<i64>, circuit: &Circuit, now: i64) -> Option<Error> {
    let waits = !queue.is_empty() && {
        let hash = MeetingId::hash_of(meeting_id);
        queue.iter().any(|e| e.meeting_id.matches(hash, meeting_id))
    };
    if waits {
        return Some(Error::NetworkIo(format!(
            "an earlier change of meeting {meeting_id} still waits in the outbox; this one follows it"
        )));
    }
    if let Some(until) = quota_pause_until.filter(|u| *u > now) {
        return Some(Error::ApiQuotaExceeded(format!(
            "writes pause until {} after Google's quotaExceeded",
            crate::clock::rfc3339(until).unwrap_or_default()
        )));
    }
    if !circuit.allows(now) {
        return Some(Error::Connect(format!(
            "Google failed repeatedly; requests pause until {}",
            crate::clock::rfc3339(circuit.open_until).unwrap_or_default()
        )));
    }
    None
}

/// Seconds to wait after `attempts` failures: full jitter (AWS
/// architecture blog) over an exponentially growing, capped window, so
/// many PBXes never retry in lockstep. `random` is any random number.
pub fn backoff(attempts: u32, random: u64) -> u64 {
    let window = BACKOFF_BASE.saturating_mul(1u64 << attempts.min(20)).min(BACKOFF_CAP);
    1 + random % window
}

/// Stops hammering Google when everything fails: after several consecutive
/// transport or server failures no request is sent until a pause ends;
/// then one probe decides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Circuit {
    failures: u32,
    opened: u32,
    /// Unix seconds until which it is open (0 = closed).
    pub open_until: i64,
}

impl Circuit {
    pub fn allows(&self, now: i64) -> bool {
        now >= self.open_until
    }
    pub fn success(&mut self) {
        *self = Circuit::default();
    }
    pub fn failure(&mut self, now: i64) {
        self.failures += 1;
        if self.failures >= CIRCUIT_THRESHOLD {
            let pause = (CIRCUIT_OPEN << self.opened.min(8)).min(CIRCUIT_OPEN_CAP);
            self.open_until = now + pause;
            self.opened += 1;
            // The next failure after the pause (the probe) reopens at once.
            self.failures = CIRCUIT_THRESHOLD - 1;
        }
    }
    pub fn state(&self, now: i64) -> &'static str {
        if now < self.open_until {
            "open"
        } else if self.failures > 0 {
            "degraded"
        } else {
            "closed"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_ids_are_equal_exactly_when_their_text_is() {
        let ids = ["", "a", "b", "ab", "ba", "6300-0001", "6300-0002", "7300-0001", "6300-00010", "é", "e\u{301}"];
        for a in ids {
            for b in ids {
                let (x, y) = (MeetingId::from(a), MeetingId::from(b));
                assert_eq!(x.is(&y), a == b, "{a:?} {b:?}");
                assert_eq!(x.matches(MeetingId::hash_of(b), b), a == b, "{a:?} {b:?}");
                assert_eq!(&*x, a);
            }
        }
    }

    fn push(id: &str, seq: u64, subject: &str) -> Entry {
        let m = Meeting { meeting_id: id.into(), subject: subject.into(), ..Meeting::default() };
        Entry {
            seq,
            meeting_id: id.into(),
            occurrence: None,
            op: Op::Push(Box::new(m)),
            enqueued_at: seq as i64,
            attempts: 0,
            next_attempt_at: 0,
            maybe_sent: false,
            last_error: None,
            bytes: 0,
        }
    }

    fn cancel(id: &str, seq: u64, occurrence: Option<&str>) -> Entry {
        Entry { occurrence: occurrence.map(str::to_owned), op: Op::Cancel { time_zone: None }, ..push(id, seq, "") }
    }

    #[test]
    fn coalescing_per_meeting() {
        let mut q = Vec::new();
        enqueue(&mut q, push("a", 1, "v1"), false).unwrap();
        enqueue(&mut q, push("b", 2, "b1"), false).unwrap();
        // create + edit → one write of the latest version, keeping its age
        let ch = enqueue(&mut q, push("a", 3, "v2"), false).unwrap();
        assert_eq!(ch[0], Change::Del(1));
        assert_eq!(q.len(), 2);
        let a = q.iter().find(|e| e.meeting_id == "a").unwrap();
        assert!(matches!(&a.op, Op::Push(m) if m.subject == "v2"));
        assert_eq!(a.enqueued_at, 1);
        // create + cancel before it ever reached Google → nothing
        enqueue(&mut q, cancel("a", 4, None), false).unwrap();
        assert!(q.iter().all(|e| e.meeting_id != "a"));
        // edit of a meeting Google has + cancel → the cancel
        enqueue(&mut q, push("c", 5, "c2"), true).unwrap();
        enqueue(&mut q, cancel("c", 6, None), true).unwrap();
        assert!(matches!(q.iter().find(|e| e.meeting_id == "c").unwrap().op, Op::Cancel { .. }));
        // a create whose attempt may have reached Google, then cancel → cancel
        let mut maybe = push("d", 7, "d1");
        maybe.maybe_sent = true;
        enqueue(&mut q, maybe, false).unwrap();
        enqueue(&mut q, cancel("d", 8, None), false).unwrap();
        assert!(matches!(q.iter().find(|e| e.meeting_id == "d").unwrap().op, Op::Cancel { .. }));
        // occurrence changes are dropped by a whole cancel
        enqueue(&mut q, cancel("e", 9, Some("2024-05-06T10:00")), true).unwrap();
        enqueue(&mut q, cancel("e", 10, None), true).unwrap();
        assert_eq!(q.iter().filter(|e| e.meeting_id == "e").count(), 1);
        // cancel then push → the push
        enqueue(&mut q, push("e", 11, "back"), true).unwrap();
        assert!(matches!(q.iter().find(|e| e.meeting_id == "e").unwrap().op, Op::Push(_)));
    }

    #[test]
    fn bounded_never_silent() {
        let mut q: Vec<Box<Entry>> = (0..MAX_ENTRIES as u64).map(|i| Box::new(push(&format!("m{i}"), i, ""))).collect();
        assert!(matches!(enqueue(&mut q, push("new", 99_999, ""), false), Err(Error::OutboxFull(_))));
        // merging into an existing entry still works when full
        assert!(enqueue(&mut q, push("m5", 100_000, "edit"), false).is_ok());
        assert_eq!(q.len(), MAX_ENTRIES);
    }

    #[test]
    fn delays_follow_the_class() {
        let rate = Error::ApiRateLimited { text: "r".into(), retry_after: Some(7) };
        assert_eq!(delay(&rate, 3, 0), 7);
        assert_eq!(delay(&Error::ApiRateLimited { text: "r".into(), retry_after: Some(0) }, 0, 0), 1);
        assert!((1..=2).contains(&delay(&Error::ApiRateLimited { text: "r".into(), retry_after: None }, 0, 5)));
        assert_eq!(delay(&Error::ApiQuotaExceeded("q".into()), 0, 0), QUOTA_PAUSE);
        assert_eq!(delay(&Error::NotAuthorized, 9, 0), 60);
        assert!((1..=64).contains(&delay(&Error::Timeout("t".into()), 5, 12345)));
    }

    #[test]
    fn what_must_wait() {
        let q = vec![Box::new(push("a", 1, "v1"))];
        let closed = Circuit::default();
        assert!(matches!(must_queue(&q, "a", None, &closed, 100), Some(Error::NetworkIo(_))));
        assert!(must_queue(&q, "b", None, &closed, 100).is_none());
        assert!(matches!(must_queue(&q, "b", Some(200), &closed, 100), Some(Error::ApiQuotaExceeded(_))));
        assert!(must_queue(&q, "b", Some(100), &closed, 100).is_none(), "the pause ended");
        let mut open = Circuit::default();
        for _ in 0..5 {
            open.failure(100);
        }
        assert!(matches!(must_queue(&q, "b", None, &open, 100), Some(Error::Connect(_))));
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        assert_eq!(backoff(0, 0), 1);
        assert!(backoff(0, u64::MAX) <= 2);
        assert!((1..=64).contains(&backoff(5, 12345)));
        assert!(backoff(40, u64::MAX) <= 3600);
    }

    #[test]
    fn circuit_opens_after_repeated_failures_and_probes() {
        let mut c = Circuit::default();
        for _ in 0..4 {
            c.failure(100);
        }
        assert!(c.allows(100));
        c.failure(100);
        assert!(!c.allows(100) && c.allows(130));
        assert_eq!(c.state(100), "open");
        c.failure(130); // the probe failed: open again, longer
        assert!(!c.allows(150) && c.allows(190));
        c.success();
        assert_eq!(c.state(190), "closed");
    }
}
