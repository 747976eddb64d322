//! The write side (room `writer`): a meeting becomes its event (pure, in
//! `meeting`), goes to Google now or waits in the durable outbox (pure
//! decisions in `outbox`), and the outbox is drained by `gs_gcal_sync`
//! (`drain`).

pub mod drain;
pub mod hosts;

use crate::calendar::{self, Upserted, Written};
use crate::clock::now;
use crate::errors::{Class, Error, Result};
use crate::handle::Handle;
use crate::log::log_at;
use crate::meeting::{self, Meeting, Prepared};
use crate::outbox::{self, Entry, Op};
use crate::state::Pushed;



/// Refused zones remembered at most (a PBX uses a handful).
const MAX_ZONE_SUBSTITUTIONS: usize = 16;

/// The same event with another time zone name on both ends.
fn with_zone<'m>(p: &Prepared<'m>, zone: &'static str) -> Prepared<'m> {
    let mut p = p.clone();
    p.event.start.time_zone = zone;
    p.event.end.time_zone = zone;
    p
}

/// A push or cancel: done now, or stored for `sync` with the reason.
pub enum Sent<T> {
    Done(T),
    Queued(Error),
}

impl Handle {
    /// A read-only grant (issue 16 A2) refuses writes with its own code
    /// rather than queueing them for a write Google would refuse.
    fn check_writable(&self) -> Result<()> {
        match &self.state.tokens {
            Some(t) if self.state.reauth_required.is_none() && crate::oauth::is_read_only(&t.scope) => Err(Error::ReadOnlyGrant(format!(
                "Google granted read-only access ({}): reading, sync and busy work, but pushing \
                 meetings needs https://www.googleapis.com/auth/calendar.events; authorize again \
                 with a client and scopes that grant it (a Web application client)",
                t.scope.split(' ').filter(|s| s.contains("calendar")).collect::<Vec<_>>().join(" ")
            ))),
            _ => Ok(()),
        }
    }

    /// Why an operation must wait in the outbox (see `outbox::must_queue`).
    fn must_queue(&self, meeting_id: &str) -> Option<Error> {
        outbox::must_queue(&self.writer.outbox, meeting_id, self.state.quota_pause_until, &self.writer.circuit, now())
    }

    /// Validates a meeting and builds its event; nothing is sent.
    pub fn prepare<'m>(&self, m: &'m Meeting) -> Result<Prepared<'m>> {
        let zone = self.zone(&m.time_zone)?;
        let generation = self.state.generations.get(&m.meeting_id).copied().unwrap_or(0);
        meeting::prepare(m, &self.config.instance_id, generation, zone.as_ref())
    }

    pub(crate) fn target(&self) -> calendar::Target<'_> {
        calendar::Target {
            base: &self.config.calendar_api_base,
            // Workspace mode: the impersonated user's own calendar.
            calendar_id: if self.workspace_mode() { "primary" } else { &self.config.calendar_id },
            send_updates: self.config.send_updates.as_str(),
        }
    }

    /// Creates or updates the meeting's event (or one occurrence) in Google
    /// Calendar. If Google refuses to restore the meeting's event deleted
    /// in its UI, the meeting moves to a new event id (recorded) once.
    ///
    /// A time zone Google refuses (400 "Invalid time zone definition")
    /// is retried once with an equivalent zone (issue 16 A1), which is then
    /// remembered (state, status, log) and sent from the start next time.
    pub fn push(&mut self, p: &Prepared, m: &Meeting) -> Result<Written> {
        // Where the event goes (Workspace mode: the host's calendar; a host
        // change moves it first), once for every attempt below.
        let placed = self.place_push(p, m)?;
        if let Some(z) = self.remembered_zone(m) {
            return self.push_once(&with_zone(p, z), m, &placed);
        }
        match self.push_once(p, m, &placed) {
            Err(e) if calendar::is_zone_refusal(&e) => {
                let Some(z) = self.equivalent_zone(m) else {
                    log_at!(self.log, Error, "push {}: Google refused time zone {} and no equivalent zone fits the meeting: {e}", m.meeting_id, m.time_zone);
                    return Err(e);
                };
                log_at!(self.log, Warn, "push {}: Google refused time zone {}; sending the equivalent {z} (same UTC offset over the whole meeting, wall-clock times unchanged)",
                    m.meeting_id, m.time_zone);
                let w = self.push_once(&with_zone(p, z), m, &placed)?;
                let mut next = self.state.clone();
                if next.zone_substitutions.len() < MAX_ZONE_SUBSTITUTIONS || next.zone_substitutions.contains_key(&m.time_zone) {
                    next.zone_substitutions.insert(m.time_zone.clone(), z.to_owned());
                    self.commit(next)?;
                }
                Ok(w)
            }
            other => other,
        }
    }

    /// The remembered stand-in for the meeting's zone, if it still fits.
    fn remembered_zone(&self, m: &Meeting) -> Option<&'static str> {
        let z = meeting::equivalent::known(self.state.zone_substitutions.get(&m.time_zone)?)?;
        self.fits(m, z).then_some(z)
    }

    /// A zone to send instead of the meeting's (refused) one: its other
    /// name, or a geographic zone of the same offset without any change of
    /// offset over the meeting's whole span, by the zoneinfo at hand.
    fn equivalent_zone(&self, m: &Meeting) -> Option<&'static str> {
        if let Some(a) = meeting::equivalent::alias_of(&m.time_zone) {
            return Some(a);
        }
        let own = meeting::zone::Zone::fixed(&m.time_zone)?;
        let offset = own.constant_offset(0, None)?;
        meeting::equivalent::same_offset(offset).iter().copied().find(|z| self.fits(m, z))
    }

    /// Whether stand-in `z` shows the meeting at the same instants.
    fn fits(&self, m: &Meeting, z: &str) -> bool {
        if meeting::equivalent::alias_of(&m.time_zone) == Some(z) {
            return true;
        }
        let (Ok(Some(own)), Ok(Some(zone))) = (self.zone(&m.time_zone), self.zone(z)) else { return false };
        let Some(offset) = own.constant_offset(0, None) else { return false };
        match meeting::utc_span(m, &own) {
            Ok((from, to)) => zone.constant_offset(from, to) == Some(offset),
            Err(_) => false,
        }
    }

    fn push_once(&mut self, p: &Prepared, m: &Meeting, placed: &Option<(String, bool)>) -> Result<Written> {
        let subject = placed.as_ref().map(|(s, _)| s.as_str());
        let ours = self.state.pushed.get(&m.meeting_id).is_some_and(|w| w.event_id == p.event_id);
        let first = self.with_token_as(subject, |c, token| calendar::upsert(c.http()?, &c.target(), token, p, &m.meeting_id, ours))?;
        let (w, whole) = match first {
            Upserted::Done(w) => (w, p.target_id == p.event_id),
            Upserted::RestoreRefused => {
                let mut next = self.state.clone();
                *next.generations.entry(m.meeting_id.clone()).or_insert(0) += 1;
                self.commit(next)?;
                let fresh = self.prepare(m)?;
                match self.with_token_as(subject, |c, token| calendar::upsert(c.http()?, &c.target(), token, &fresh, &m.meeting_id, false))? {
                    Upserted::Done(w) => (w, true),
                    Upserted::RestoreRefused => {
                        return Err(Error::ApiForbidden(
                            "Google refuses to restore this meeting's deleted event, even under a new id".into(),
                        ))
                    }
                }
            }
        };
        // Remember when we wrote, so a sync can tell Google-side edits.
        let written_ms = w.updated_ms.unwrap_or_else(|| now() * 1000);
        let event_id = if whole { w.event_id.clone() } else { p.event_id.clone() };
        self.note_write(&m.meeting_id, event_id, written_ms)?;
        let mut w = w;
        if let Some((subject, fallback)) = placed {
            self.note_calendar(&m.meeting_id, subject)?;
            w.calendar = Some(subject.clone());
            w.host_fallback = *fallback;
        }
        Ok(w)
    }

    /// Deletes the meeting's event, or one occurrence of it (`occurrence`:
    /// its original local start, with the meeting's `time_zone`).
    pub fn cancel(&mut self, meeting_id: &str, occurrence: Option<&str>, time_zone: Option<&str>) -> Result<()> {
        let target = self.cancel_target(meeting_id, occurrence, time_zone)?;
        let master = self.cancel_target(meeting_id, None, None)?;
        let subject = self.placed(meeting_id);
        let date = self.with_token_as(subject.as_deref(), |c, token| {
            if target == master {
                calendar::delete(c.http()?, &c.target(), token, &target)
            } else {
                calendar::delete_occurrence(c.http()?, &c.target(), token, &master, &target)
            }
        })?;
        match (occurrence, self.state.pushed.get(meeting_id)) {
            (None, Some(_)) => {
                self.state.pushed.remove(meeting_id);
                self.pushed_dirty = true;
                Ok(())
            }
            (Some(_), Some(p)) => {
                let event_id = p.event_id.clone();
                self.note_write(meeting_id, event_id, date.map_or(now(), |d| d) * 1000 + 999)
            }
            _ => Ok(()),
        }
    }

    /// The event (or occurrence instance) a cancel deletes; validates the
    /// occurrence time and zone, so a bad one is refused before it is
    /// queued too.
    pub(crate) fn cancel_target(&self, meeting_id: &str, occurrence: Option<&str>, time_zone: Option<&str>) -> Result<String> {
        let generation = self.state.generations.get(meeting_id).copied().unwrap_or(0);
        let event_id = meeting::event_id(&self.config.instance_id, meeting_id, generation);
        let Some(occ) = occurrence else { return Ok(event_id) };
        let tz = time_zone.ok_or(Error::NullArgument("time_zone"))?;
        let original = meeting::localtime::parse_local("occurrence", occ)?;
        let zone = self.zone(tz)?.ok_or_else(|| {
            Error::InvalidTimeZone(format!(
                "occurrence: addressing one occurrence needs the rules of {tz} (no zoneinfo)"
            ))
        })?;
        Ok(meeting::instance_id_of(&event_id, zone.to_utc("occurrence", original)?))
    }

    /// Records our latest write to a meeting's event (never moving back).
    /// Kept in memory and saved with the next state write (sync_events,
    /// sync, close): it only tells our edits from Google-side ones, so a
    /// crash costs at most a spurious "modified" drift, while saving the
    /// whole state on every push would cost more than the push itself.
    pub(crate) fn note_write(&mut self, meeting_id: &str, event_id: String, written_ms: i64) -> Result<()> {
        let keep = self.state.pushed.get(meeting_id).filter(|p| p.event_id == event_id).map_or(0, |p| p.written_ms);
        let calendar = self.state.pushed.get(meeting_id).and_then(|p| p.calendar.clone());
        self.state.pushed.insert(meeting_id.to_owned(), Pushed { event_id, written_ms: written_ms.max(keep), calendar });
        self.pushed_dirty = true;
        Ok(())
    }

    /// Pushes now, or stores the push for `sync` when Google cannot take it
    /// now (network, rate limits, quota, authorization) or an earlier change
    /// of the meeting still waits. Errors only for what retrying cannot fix.
    pub fn submit_push(&mut self, p: &Prepared, m: &Meeting) -> Result<Sent<Written>> {
        self.check_writable()?;
        // The meeting is copied into an outbox entry only when one is made.
        let op = || Op::Push(Box::new(m.clone()));
        if let Some(reason) = self.must_queue(&m.meeting_id) {
            return self.enqueue(&m.meeting_id, &m.occurrence, op(), reason, false).map(Sent::Queued);
        }
        match self.push(p, m) {
            Ok(w) => {
                log_at!(self.log, Info, "push {}: done, event {}", m.meeting_id, w.event_id);
                self.note_success();
                Ok(Sent::Done(w))
            }
            Err(e) => self.after_failure(&m.meeting_id, &m.occurrence, op(), e).map(Sent::Queued),
        }
    }

    /// Cancels now, or stores the cancel for `sync` (see `submit_push`).
    pub fn submit_cancel(&mut self, meeting_id: &str, occurrence: Option<&str>, time_zone: Option<&str>) -> Result<Sent<()>> {
        // Validated first: also when it is queued behind an earlier change.
        self.cancel_target(meeting_id, occurrence, time_zone)?;
        self.check_writable()?;
        let occ = occurrence.map(str::to_owned);
        let op = Op::Cancel { time_zone: time_zone.map(str::to_owned) };
        if let Some(reason) = self.must_queue(meeting_id) {
            return self.enqueue(meeting_id, &occ, op, reason, false).map(Sent::Queued);
        }
        match self.cancel(meeting_id, occurrence, time_zone) {
            Ok(()) => {
                log_at!(self.log, Info, "cancel {meeting_id}: done");
                self.note_success();
                Ok(Sent::Done(()))
            }
            Err(e) => self.after_failure(meeting_id, &occ, op, e).map(Sent::Queued),
        }
    }

    /// A send failed: what retrying cannot fix is returned; the rest waits.
    pub(crate) fn after_failure(&mut self, meeting_id: &str, occ: &Option<String>, op: Op, e: Error) -> Result<Error> {
        let class = e.class();
        self.note_failure(&e, class);
        if class == Class::Permanent {
            log_at!(self.log, Error, "{} {meeting_id}: refused for good: {e}", op.name());
            return Err(e);
        }
        let maybe_sent = e.maybe_sent();
        self.enqueue(meeting_id, occ, op, e, maybe_sent)
    }

    pub(crate) fn enqueue(&mut self, meeting_id: &str, occ: &Option<String>, op: Op, reason: Error, maybe_sent: bool) -> Result<Error> {
        let now = now();
        let entry = Entry {
            seq: self.writer.next_seq,
            meeting_id: meeting_id.into(),
            occurrence: occ.clone(),
            op,
            enqueued_at: now,
            attempts: 0,
            next_attempt_at: now.saturating_add(outbox::delay(&reason, 0, self.random_u64())),
            maybe_sent,
            last_error: Some((reason.code(), reason.to_string())),
            bytes: 0,
        };
        log_at!(self.log, Warn, "{} {meeting_id}: queued, next attempt in {} s: {reason}", entry.op.name(),
            entry.next_attempt_at - now);
        let reached = self.state.pushed.contains_key(meeting_id);
        // Merged in memory, then journaled with its sequence number in one
        // durable append; if either fails, memory is reloaded from the
        // journal, so it never runs ahead of disk.
        let next_seq = self.writer.next_seq + 1;
        let written = outbox::enqueue(&mut self.writer.outbox, entry, reached)
            .and_then(|changes| self.store.append_outbox(&changes, next_seq));
        if let Err(e) = written {
            let loaded = self.store.load_outbox(now)?;
            self.writer.outbox = loaded.entries.into_iter().map(Box::new).collect();
            self.writer.next_seq = self.writer.next_seq.max(loaded.next_seq);
            return Err(e);
        }
        // Durable: the number is used, whatever happens next.
        self.writer.next_seq = next_seq;
        self.compact_if_dead();
        Ok(reason)
    }
}

impl Drop for Handle {
    /// Saves what `note_write` kept in memory (best effort: closing must
    /// not fail).
    fn drop(&mut self) {
        let _ = self.save_pushed();
    }
}
