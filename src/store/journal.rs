//! The outbox on disk: an append-only journal of puts and deletes, one JSON
//! line each, fsync'd before a call reports "queued" or "done". Appending
//! costs the size of one entry, so draining n entries stays linear; the
//! file is compacted (rewritten atomically) when mostly dead. A line torn
//! by a crash mid-append is the last one and is ignored.

use super::{io_err, Store};
use crate::error::{Error, Result};
use crate::outbox::{Change, Entry};
use serde::{Deserialize, Serialize};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

pub(crate) const OUTBOX_FILE: &str = "gs_gcal.outbox.jsonl";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Line {
    Put(Entry),
    Del(u64),
}

impl Store {
    /// Replays the journal; returns the entries (arrival order) and how
    /// many lines the file has.
    pub fn load_outbox(&self) -> Result<(Vec<Entry>, usize)> {
        let path = self.dir.join(OUTBOX_FILE);
        let text = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(e) => return Err(io_err("read", &path, &e)),
        };
        let mut entries: Vec<Entry> = Vec::new();
        let mut lines = 0;
        for raw in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            lines += 1;
            match serde_json::from_slice::<Line>(raw) {
                Ok(Line::Put(e)) => {
                    entries.retain(|x| x.seq != e.seq);
                    entries.push(e);
                }
                Ok(Line::Del(seq)) => entries.retain(|x| x.seq != seq),
                // A torn final line from a crash mid-append: the append was
                // never reported as done, so nothing reported is lost.
                Err(_) => {}
            }
        }
        entries.sort_by_key(|e| e.seq);
        Ok((entries, lines))
    }

    /// Appends changes durably (fsync) before the caller reports them.
    pub fn append_outbox(&self, changes: &[Change]) -> Result<usize> {
        if changes.is_empty() {
            return Ok(0);
        }
        let mut buf = Vec::new();
        for c in changes {
            let line = match c {
                Change::Put(e) => Line::Put(e.clone()),
                Change::Del(s) => Line::Del(*s),
            };
            serde_json::to_writer(&mut buf, &line)
                .map_err(|e| Error::Internal(format!("outbox serialisation failed: {e}")))?;
            buf.push(b'\n');
        }
        let path = self.dir.join(OUTBOX_FILE);
        let created = !path.exists();
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new().create(true).append(true).mode(0o600).open(&path)?;
            f.write_all(&buf)?;
            f.sync_all()?;
            if created {
                fs::File::open(&self.dir)?.sync_all()?;
            }
            Ok(())
        };
        write().map_err(|e| io_err("append to", &path, &e))?;
        Ok(changes.len())
    }

    /// Rewrites the journal with only the live entries.
    pub fn compact_outbox<'a>(&self, entries: impl IntoIterator<Item = &'a Entry>) -> Result<()> {
        let mut buf = Vec::new();
        for e in entries {
            serde_json::to_writer(&mut buf, &Line::Put(e.clone()))
                .map_err(|e| Error::Internal(format!("outbox serialisation failed: {e}")))?;
            buf.push(b'\n');
        }
        self.write_atomic(OUTBOX_FILE, &buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::Op;

    fn entry(seq: u64) -> Entry {
        Entry {
            seq,
            meeting_id: format!("m{seq}"),
            occurrence: None,
            op: Op::Cancel { time_zone: None },
            enqueued_at: 0,
            attempts: 0,
            next_attempt_at: 0,
            maybe_sent: false,
            last_error: None,
        }
    }

    #[test]
    fn replay_compaction_and_torn_lines() {
        let dir = std::env::temp_dir().join(format!("gs_gcal_journal_{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let (store, _) = Store::open(&dir).unwrap();
        store.append_outbox(&[Change::Put(entry(1)), Change::Put(entry(2))]).unwrap();
        store.append_outbox(&[Change::Del(1), Change::Put(entry(3))]).unwrap();
        let (live, lines) = store.load_outbox().unwrap();
        assert_eq!(live.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(lines, 4);
        // A crash mid-append leaves a torn last line: ignored.
        let mut f = OpenOptions::new().append(true).open(dir.join(OUTBOX_FILE)).unwrap();
        f.write_all(b"{\"put\":{\"seq\":9,\"meet").unwrap();
        assert_eq!(store.load_outbox().unwrap().0.len(), 2);
        store.compact_outbox(&live).unwrap();
        assert_eq!(store.load_outbox().unwrap(), (live, 2));
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }
}
