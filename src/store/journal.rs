//! The outbox on disk: an append-only journal, fsync'd before a call
//! reports "queued" or "done". Format 2 (records.rs): a header line, then
//! one line per change (`put`, `del`, or a `batch` of changes made in one
//! step, so a step is all or nothing). Appending costs one entry, so
//! draining n entries stays linear; the file is compacted (rewritten
//! atomically) when mostly dead.
//!
//! Survives a power cut and a full disk at every byte:
//! - a torn last line (no newline) was never reported: it is cut off on
//!   open, and before every append (a failed append truncates back to the
//!   last good length; if even that fails, the next append does it);
//! - any other unreadable line is a damaged record: the file is copied
//!   aside, reported (`State::set_aside`), and the readable entries kept;
//! - sequence numbers never go back: the header keeps the next one.

use super::fields::line;
use super::fs::{copy_aside, io_err, open_append, read_bounded, sync_dir, write_atomic};
use super::records::{read_header, read_line, write_batch, write_change, write_header, write_put, LineChange, JOURNAL_FORMAT};
use super::Store;
use crate::errors::{Error, Result};
use crate::outbox::{Change, Entry};
use crate::state::SetAside;
use std::io::Write;

pub(crate) const OUTBOX_FILE: &str = "gs_gcal.outbox.jsonl";
/// Largest journal read: the outbox holds at most `outbox::MAX_BYTES` of
/// meetings, and compaction keeps the file within a few times that.
pub(crate) const MAX_JOURNAL_BYTES: u64 = 64 << 20;
/// Compaction is due beyond this size even if few lines are dead.
const COMPACT_BYTES: u64 = 24 << 20;

/// What the journal's position is, as this handle last wrote it.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    /// Length of the file up to its last complete line.
    len: u64,
    lines: usize,
}

/// What `load_outbox` found.
#[derive(Debug)]
pub struct Loaded {
    /// Live entries, oldest first.
    pub entries: Vec<Entry>,
    /// The next sequence number never used.
    pub next_seq: u64,
    /// Bytes of a torn last line cut off (a crash mid-append).
    pub torn_bytes: usize,
    /// Set when damaged lines were found: where the copy is, what was kept.
    pub set_aside: Option<SetAside>,
}

fn header_line(next_seq: u64) -> Vec<u8> {
    let mut b = Vec::with_capacity(64);
    line(&mut b, |w| write_header(w, next_seq));
    b
}

/// The journal's changes in file order, folded (per sequence number the
/// last change wins; deleted entries go) whenever they outnumber the live
/// entries twice over, and at the end: memory stays within twice the live
/// entries, the replay O(n log n) whatever the order of the lines, and a
/// journal in sequence order (the usual) needs no sorting at all.
#[derive(Default)]
struct Replay {
    changes: Vec<(u64, Option<Entry>)>,
    live: usize,
}

impl Replay {
    fn change(&mut self, seq: u64, e: Option<Entry>) {
        self.changes.push((seq, e));
        if self.changes.len() > 2 * self.live + 64 {
            self.fold();
        }
    }

    fn fold(&mut self) {
        let mut keys: Vec<(u64, usize)> = self.changes.iter().enumerate().map(|(i, (s, _))| (*s, i)).collect();
        if keys.windows(2).any(|w| w[0] > w[1]) {
            heapsort(&mut keys);
        }
        let mut changes = std::mem::take(&mut self.changes);
        let mut folded = Vec::with_capacity(keys.len());
        for (j, &(seq, i)) in keys.iter().enumerate() {
            // A later change of the same entry follows in `keys`: it wins.
            if keys.get(j + 1).is_some_and(|k| k.0 == seq) {
                continue;
            }
            if let Some(e) = changes[i].1.take() {
                folded.push((seq, Some(e)));
            }
        }
        self.live = folded.len();
        self.changes = folded;
    }

    /// The live entries, oldest (lowest sequence number) first.
    fn into_entries(mut self) -> Vec<Entry> {
        self.fold();
        self.changes.into_iter().filter_map(|(_, e)| e).collect()
    }
}

/// In place, O(n log n), no allocation; the keys are distinct (their
/// second half is a position), so stability does not matter.
fn heapsort(v: &mut [(u64, usize)]) {
    fn sift(v: &mut [(u64, usize)], mut i: usize, n: usize) {
        loop {
            let mut c = 2 * i + 1;
            if c >= n {
                return;
            }
            if c + 1 < n && v[c] < v[c + 1] {
                c += 1;
            }
            if v[i] >= v[c] {
                return;
            }
            v.swap(i, c);
            i = c;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift(v, i, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift(v, 0, end);
    }
}

impl Store {
    /// Replays the journal (`Replay`: linear in sequence order, O(n log n)
    /// in any order): repairs a torn tail, upgrades a
    /// format-1 file, sets damaged lines aside. A journal of a newer format
    /// is refused (StateTooNew) and left untouched.
    pub fn load_outbox(&mut self, now: i64) -> Result<Loaded> {
        let path = self.dir.join(OUTBOX_FILE);
        let Some(bytes) = read_bounded(&path, MAX_JOURNAL_BYTES)? else {
            self.journal = Journal::default();
            return Ok(Loaded { entries: Vec::new(), next_seq: 1, torn_bytes: 0, set_aside: None });
        };
        let good = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let torn_bytes = bytes.len() - good;
        let mut live = Replay::default();
        let (mut format, mut next_seq, mut lines, mut damaged) = (1, 1u64, 0usize, 0usize);
        let mut changes = Vec::new();
        for (i, raw) in bytes[..good].split(|b| *b == b'\n').filter(|l| !l.is_empty()).enumerate() {
            lines += 1;
            let Some(mut v) = crate::json::parse(raw) else {
                damaged += 1;
                continue;
            };
            if i == 0 {
                if let Some((journal, seq)) = read_header(&v) {
                    if journal > JOURNAL_FORMAT {
                        return Err(Error::StateTooNew(format!(
                            "{} has format {journal} and this library reads up to {JOURNAL_FORMAT}: it was \
                             written by a newer gs-gcal; nothing was changed (install that version again)",
                            path.display(),
                        )));
                    }
                    format = journal;
                    next_seq = next_seq.max(seq);
                    continue;
                }
            }
            // A line applies whole or not at all; an entry out of range is
            // lost alone (and the line counts as damaged).
            changes.clear();
            if read_line(&mut v, &mut changes, &mut next_seq).is_err() {
                damaged += 1;
                continue;
            }
            let mut whole = true;
            for c in changes.drain(..) {
                match c {
                    LineChange::Put(seq, Some(e)) => live.change(seq, Some(e)),
                    LineChange::Put(_, None) => whole = false,
                    LineChange::Del(seq) => live.change(seq, None),
                }
            }
            if !whole {
                damaged += 1;
            }
        }
        self.journal = Journal { len: good as u64, lines };
        if torn_bytes > 0 {
            // The torn fragment was never reported: cut it off now, so the
            // next append cannot be glued onto it.
            let (f, _) = open_append(&path)?;
            f.set_len(good as u64).and_then(|_| f.sync_all()).map_err(|e| io_err("repair", &path, &e))?;
        }
        let entries = live.into_entries();
        let mut set_aside = None;
        if damaged > 0 {
            let aside = copy_aside(&self.dir, OUTBOX_FILE, &bytes, now)?;
            set_aside = Some(SetAside {
                file: aside.display().to_string(),
                what: format!(
                    "outbox journal: {damaged} unreadable record(s) kept in this copy; {} readable \
                     operation(s) stay queued",
                    entries.len()
                ),
                at: now,
            });
        }
        if damaged > 0 || format < JOURNAL_FORMAT {
            // Rewritten in the current format with what could be read.
            self.compact_outbox(entries.iter(), next_seq)?;
        }
        Ok(Loaded { entries, next_seq, torn_bytes, set_aside })
    }

    /// Appends the changes of one step durably (fsync) before the caller
    /// reports them; several changes go in one `batch` line, all or
    /// nothing. On failure the file is cut back to its last good length.
    pub fn append_outbox(&mut self, changes: &[Change], next_seq: u64) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let path = self.dir.join(OUTBOX_FILE);
        let mut buf = if self.journal.len == 0 { header_line(next_seq) } else { Vec::new() };
        line(&mut buf, |w| match changes {
            [one] => write_change(w, one),
            many => write_batch(w, many),
        });
        let (mut f, size) = open_append(&path)?;
        let good = self.journal.len;
        let write = |f: &mut std::fs::File| -> std::io::Result<()> {
            if size != good {
                // A torn tail of an earlier failed append.
                f.set_len(good)?;
            }
            f.write_all(&buf)?;
            f.sync_all()?;
            if good == 0 {
                sync_dir(&self.dir)?;
            }
            Ok(())
        };
        if let Err(e) = write(&mut f) {
            // Not durable, so not reported: take it back off the file (if
            // this fails too, the next append or open cuts it).
            let _ = f.set_len(good).and_then(|_| f.sync_all());
            return Err(io_err("append to", &path, &e));
        }
        self.journal.len = good + buf.len() as u64;
        self.journal.lines += 1;
        Ok(())
    }

    /// Whether the journal is mostly dead lines (or simply large).
    pub fn outbox_compaction_due(&self, live: usize) -> bool {
        self.journal.lines > 2 * live + 64 || self.journal.len > COMPACT_BYTES
    }

    /// Rewrites the journal with only the live entries (atomically: the old
    /// file stays whole if this fails, e.g. on a full disk).
    pub fn compact_outbox<'a>(&mut self, entries: impl IntoIterator<Item = &'a Entry>, next_seq: u64) -> Result<()> {
        let mut buf = header_line(next_seq);
        let mut lines = 1;
        for e in entries {
            line(&mut buf, |w| write_put(w, e));
            lines += 1;
        }
        write_atomic(&self.dir, OUTBOX_FILE, &buf)?;
        self.journal = Journal { len: buf.len() as u64, lines };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::Op;
    use std::fs::{self, OpenOptions};

    fn entry(seq: u64) -> Entry {
        Entry {
            seq,
            meeting_id: crate::outbox::MeetingId::new(format!("m{seq}")),
            occurrence: None,
            op: Op::Cancel { time_zone: None },
            enqueued_at: 0,
            attempts: 0,
            next_attempt_at: 0,
            maybe_sent: false,
            last_error: None,
            bytes: 0,
        }
    }

    fn tempdir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("gs_gcal_journal_{name}_{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn seqs(l: &Loaded) -> Vec<u64> {
        l.entries.iter().map(|e| e.seq).collect()
    }

    /// Lines in any order replay like a map of the last change per
    /// sequence number (checked against one, through several folds).
    #[test]
    fn replay_in_any_order_is_the_last_change_per_entry() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for round in 0..40 {
            let (mut r, mut want) = (Replay::default(), std::collections::BTreeMap::new());
            for _ in 0..(round * 37) {
                let seq = rnd(if round % 2 == 0 { 50 } else { 5000 });
                if rnd(3) == 0 {
                    r.change(seq, None);
                    want.remove(&seq);
                } else {
                    let mut e = entry(seq);
                    e.attempts = rnd(1000) as u32;
                    r.change(seq, Some(e.clone()));
                    want.insert(seq, e);
                }
            }
            assert_eq!(r.into_entries(), want.into_values().collect::<Vec<_>>(), "round {round}");
        }
        let mut v: Vec<(u64, usize)> = (0..500).map(|i| ((i * 7919 % 501) as u64, i)).collect();
        heapsort(&mut v);
        assert!(v.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn replay_batches_and_compaction() {
        let dir = tempdir("replay");
        let (mut store, _) = Store::open(&dir, 0).unwrap();
        store.append_outbox(&[Change::Put(entry(1)), Change::Put(entry(2))], 3).unwrap();
        store.append_outbox(&[Change::Put(entry(3)), Change::Del(1)], 4).unwrap();
        let l = store.load_outbox(0).unwrap();
        assert_eq!(seqs(&l), [2, 3]);
        assert_eq!(l.next_seq, 4);
        store.compact_outbox(&l.entries, 9).unwrap();
        // Compaction dropped nothing live, and the header keeps the number.
        let again = store.load_outbox(0).unwrap();
        assert_eq!(again.entries, l.entries);
        assert_eq!(again.next_seq, 9);
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_torn_tail_at_any_byte_never_takes_the_next_append() {
        let dir = tempdir("torn");
        let (mut store, _) = Store::open(&dir, 0).unwrap();
        store.append_outbox(&[Change::Put(entry(1))], 2).unwrap();
        let path = dir.join(OUTBOX_FILE);
        let l0 = fs::metadata(&path).unwrap().len();
        store.append_outbox(&[Change::Put(entry(2)), Change::Del(1)], 3).unwrap();
        let full = fs::read(&path).unwrap();
        for k in l0..full.len() as u64 {
            fs::write(&path, &full[..k as usize]).unwrap();
            let l = store.load_outbox(0).unwrap();
            assert_eq!(seqs(&l), [1], "torn at {k}");
            assert!(l.set_aside.is_none());
            store.append_outbox(&[Change::Put(entry(l.next_seq))], l.next_seq + 1).unwrap();
            let after = store.load_outbox(0).unwrap();
            assert_eq!(after.entries.len(), 2, "torn at {k}: the append after repair is kept");
        }
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_append_leaves_nothing_behind() {
        let dir = tempdir("failed");
        let (mut store, _) = Store::open(&dir, 0).unwrap();
        store.append_outbox(&[Change::Put(entry(1))], 2).unwrap();
        // A fragment a failed write left (the handle's length is older).
        let mut f = OpenOptions::new().append(true).open(dir.join(OUTBOX_FILE)).unwrap();
        f.write_all(b"{\"put\":{\"seq\":2,\"mee").unwrap();
        store.append_outbox(&[Change::Put(entry(3))], 4).unwrap();
        assert_eq!(seqs(&store.load_outbox(0).unwrap()), [1, 3]);
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn damaged_lines_are_set_aside_not_dropped() {
        let dir = tempdir("damaged");
        let (mut store, _) = Store::open(&dir, 0).unwrap();
        store.append_outbox(&[Change::Put(entry(1))], 2).unwrap();
        let mut f = OpenOptions::new().append(true).open(dir.join(OUTBOX_FILE)).unwrap();
        f.write_all(b"{\"put\":{\"seq\":2,\"future_field\":1}}\n").unwrap();
        store.journal.len = fs::metadata(dir.join(OUTBOX_FILE)).unwrap().len();
        store.append_outbox(&[Change::Put(entry(3))], 4).unwrap();
        let l = store.load_outbox(77).unwrap();
        assert_eq!(seqs(&l), [1, 3]);
        let aside = l.set_aside.expect("reported");
        assert!(aside.file.contains(".corrupt-77"));
        assert!(fs::read(&aside.file).unwrap().windows(12).any(|w| w == b"future_field"));
        // The copy is made once: the journal was rewritten without it.
        assert!(store.load_outbox(78).unwrap().set_aside.is_none());
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A damaged put's sequence number, if readable, is never handed out
    /// again; a put out of range in a batch is lost alone.
    #[test]
    fn damaged_lines_still_reserve_their_sequence_numbers() {
        let dir = tempdir("reserve");
        let (mut store, _) = Store::open(&dir, 0).unwrap();
        store.append_outbox(&[Change::Put(entry(1))], 2).unwrap();
        let bad = |seq: u64| format!("{{\"put\":{{\"seq\":{seq},\"meeting_id\":\"m\",\"op\":{{\"Cancel\":{{}}}},\"enqueued_at\":-1,\"attempts\":0,\"next_attempt_at\":0,\"maybe_sent\":false}}}}");
        let mut f = OpenOptions::new().append(true).open(dir.join(OUTBOX_FILE)).unwrap();
        writeln!(f, "{{\"put\":{{\"seq\":50,\"future_field\":1}}}}").unwrap();
        writeln!(f, "{{\"batch\":[{},{{\"del\":1}}]}}", bad(60)).unwrap();
        let l = store.load_outbox(0).unwrap();
        assert!(l.entries.is_empty(), "the del of the batch applied");
        assert_eq!(l.next_seq, 61);
        assert!(l.set_aside.expect("reported").what.starts_with("outbox journal: 2 unreadable"));
        assert_eq!(store.load_outbox(0).unwrap().next_seq, 61, "kept by the rewritten header");
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_newer_format_is_refused_untouched() {
        let dir = tempdir("newer");
        let (mut store, _) = Store::open(&dir, 0).unwrap();
        let body = b"{\"journal\":3,\"next_seq\":5}\n{\"put\":{\"seq\":4}}\n";
        fs::write(dir.join(OUTBOX_FILE), body).unwrap();
        assert!(matches!(store.load_outbox(0), Err(Error::StateTooNew(_))));
        assert_eq!(fs::read(dir.join(OUTBOX_FILE)).unwrap(), body);
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }
}
