//! Draining the outbox (`gs_gcal_sync`): oldest first within a time budget,
//! honouring each entry's backoff, Retry-After, the quota pause and the
//! circuit breaker; what Google refuses for good is parked for the admin.

use crate::clock::now;
use crate::errors::{Class, Error, Result};
use crate::handle::Handle;
use crate::log::log_at;
use crate::outbox::{self, Entry, Op};
use crate::state::Parked;
use std::time::{Duration, Instant};

impl Handle {
    /// Makes every waiting operation due at once and closes the circuit
    /// breaker: after a new authorization, or when the firmware knows the
    /// network is back (gs_gcal_retry_now). A quota pause still holds.
    pub fn retry_now(&mut self) -> Result<()> {
        self.writer.circuit.success();
        let changes: Vec<outbox::Change> = self
            .writer
            .outbox
            .iter()
            .filter(|e| e.next_attempt_at > 0)
            .map(|e| outbox::Change::Put(Entry { next_attempt_at: 0, ..(**e).clone() }))
            .collect();
        self.journal_apply(&changes)
    }

    /// Journal first, then memory (in place: the cost of a change does not
    /// grow with the queue).
    pub(crate) fn journal_apply(&mut self, changes: &[outbox::Change]) -> Result<()> {
        self.store.append_outbox(changes, self.writer.next_seq)?;
        for c in changes {
            match c {
                outbox::Change::Del(seq) => {
                    if let Some(i) = self.writer.outbox.iter().position(|e| e.seq == *seq) {
                        self.writer.outbox.remove(i);
                    }
                }
                outbox::Change::Put(e) => match self.writer.outbox.iter_mut().find(|x| x.seq == e.seq) {
                    Some(slot) => **slot = e.clone(),
                    None => self.writer.outbox.push(Box::new(e.clone())),
                },
            }
        }
        self.compact_if_dead();
        Ok(())
    }

    /// Rewrites the journal when it is mostly dead lines. What was appended
    /// is durable already, so a failed compaction (a full disk) fails no
    /// call: the old journal stays whole and compaction is tried again.
    pub(crate) fn compact_if_dead(&mut self) {
        if self.store.outbox_compaction_due(self.writer.outbox.len()) {
            if let Err(e) = self.store.compact_outbox(self.writer.outbox.iter().map(|e| &**e), self.writer.next_seq) {
                log_at!(self.log, Warn, "outbox compaction failed, tried again later: {e}");
            }
        }
    }



    /// Sends what waits in the outbox, oldest first, within `budget`:
    /// respects each entry's backoff, Retry-After, the quota pause and the
    /// circuit breaker; parks what Google refuses for good. Returns how
    /// many were sent and how many still wait.
    pub fn sync(&mut self, budget: Duration) -> Result<(usize, usize)> {
        let end = Instant::now() + budget;
        let mut sent = 0;
        if !self.state.pending_revocations.is_empty() && self.online().is_ok() {
            self.flush_revocations();
        }
        let seqs: Vec<u64> = self.writer.outbox.iter().map(|e| e.seq).collect();
        for seq in seqs {
            let now = now();
            if Instant::now() >= end || !self.writer.circuit.allows(now) {
                break;
            }
            if self.state.quota_pause_until.is_some_and(|u| u > now) {
                break;
            }
            let Some(entry) = self.writer.outbox.iter().find(|e| e.seq == seq).cloned() else { continue };
            if entry.next_attempt_at > now {
                continue;
            }
            // No request outlives the budget (nor the whole call).
            self.call_deadline = Some(self.call_deadline.map_or(end, |d| d.min(end)));
            if let Some(h) = &self.http {
                h.begin_call(self.call_deadline);
            }
            let result = match &entry.op {
                Op::Push(m) => self.prepare(m).and_then(|p| self.push(&p, m)).map(|_| ()),
                Op::Cancel { time_zone } => self.cancel(&entry.meeting_id, entry.occurrence.as_deref(), time_zone.as_deref()),
            };
            match result {
                Ok(()) => {
                    log_at!(self.log, Info, "sync: {} {}: sent, {} s after it was queued", entry.op.name(), entry.meeting_id,
                        (now - entry.enqueued_at).max(0));
                    self.note_success();
                    self.journal_apply(&[outbox::Change::Del(seq)])?;
                    sent += 1;
                }
                Err(e) => {
                    let class = e.class();
                    self.note_failure(&e, class);
                    if class == Class::Permanent {
                        log_at!(self.log, Error, "sync: {} {}: parked, Google refuses it for good: {e}", entry.op.name(), entry.meeting_id);
                        self.park(&entry, &e)?;
                        self.journal_apply(&[outbox::Change::Del(seq)])?;
                        continue;
                    }
                    if class == Class::Quota {
                        let mut next = self.state.clone();
                        next.quota_pause_until = Some(now + outbox::QUOTA_PAUSE);
                        self.commit(next)?;
                    }
                    let mut e2 = (*entry).clone();
                    e2.attempts += 1;
                    e2.next_attempt_at = now.saturating_add(outbox::delay(&e, e2.attempts, self.random_u64()));
                    e2.maybe_sent |= e.maybe_sent();
                    e2.last_error = Some((e.code(), e.to_string()));
                    log_at!(self.log, Warn, "sync: {} {}: attempt {} failed, next in {} s: {e}", entry.op.name(),
                        entry.meeting_id, e2.attempts, e2.next_attempt_at - now);
                    self.journal_apply(&[outbox::Change::Put(e2)])?;
                    // Authorization, quota and rate limits hold for every
                    // entry: stop rather than fail each one.
                    if class != Class::Retry {
                        break;
                    }
                }
            }
        }
        self.save_pushed()?;
        Ok((sent, self.writer.outbox.len()))
    }

    pub(crate) fn park(&mut self, entry: &Entry, e: &Error) -> Result<()> {
        let mut next = self.state.clone();
        next.parked.push(Parked {
            meeting_id: entry.meeting_id.to_string(),
            occurrence: entry.occurrence.clone(),
            op: entry.op.name().into(),
            code: e.code(),
            message: e.to_string(),
            at: now(),
        });
        let excess = next.parked.len().saturating_sub(20);
        next.parked.drain(..excess);
        self.commit(next)
    }
}
