//! Workspace mode on the write side: which user's calendar a meeting's
//! event lives in. A meeting goes to its host's `primary` calendar
//! (impersonating the host) when the host is a user of the domain, else to
//! the default subject's with the host as a plain attendee. Edits, cancels
//! and occurrences follow the calendar recorded for the meeting; a new
//! host moves the event: deleted in the old calendar, then created in the
//! new one. Each step is idempotent (a repeated delete answers 404/410, a
//! repeated create 409 → ours → replaced), and the record changes only
//! after the step it describes is done and before the next, durably: a
//! crash or a failure anywhere leaves an outbox retry that finishes the
//! move without a duplicate.

use crate::calendar;
use crate::errors::{Error, Result};
use crate::handle::Handle;
use crate::log::log_at;
use crate::meeting::{Meeting, Prepared};
use crate::oauth::jwt;

impl Handle {
    /// The user whose calendar this push writes to (None in OAuth mode),
    /// and whether the host fell back to the default subject. Moves the
    /// event first when the host changed.
    pub(crate) fn place_push(&mut self, p: &Prepared, m: &Meeting) -> Result<Option<(String, bool)>> {
        let Some(sa) = &self.state.service_account else { return Ok(None) };
        let default = sa.default_subject.clone();
        let recorded = self.state.pushed.get(&m.meeting_id).and_then(|r| r.calendar.clone());
        if p.target_id != p.event_id {
            // One occurrence: it lives where its series does.
            return Ok(Some((recorded.unwrap_or(default), false)));
        }
        let host = m.host.as_ref().and_then(|h| h.email.as_deref());
        let (wanted, mut fallback) = jwt::subject_for(host, &default);
        let mut wanted = wanted.to_owned();
        if !fallback && !wanted.eq_ignore_ascii_case(&default) {
            self.online()?;
            match self.subject_token(&wanted, false) {
                Ok(_) => {}
                Err(Error::NotADomainUser(why)) => {
                    log_at!(self.log, Warn, "push {}: host {wanted} is not a user of the domain ({why}): writing to {default}'s calendar with the host as an attendee",
                        m.meeting_id);
                    wanted = default.clone();
                    fallback = true;
                }
                Err(e) => return Err(e),
            }
        }
        if let Some(old) = recorded.filter(|o| !o.eq_ignore_ascii_case(&wanted)) {
            let event_id = p.event_id.clone();
            match self.with_subject_token(&old, |c, token| calendar::delete(c.http()?, &c.target(), token, &event_id)) {
                // The old host left the domain: their calendar went with them.
                Ok(_) | Err(Error::NotADomainUser(_)) => {}
                Err(e) => return Err(e),
            }
            log_at!(self.log, Info, "push {}: host changed, event removed from {old}'s calendar, now created in {wanted}'s",
                m.meeting_id);
            let mut next = self.state.clone();
            next.pushed.remove(&m.meeting_id);
            self.commit(next)?;
        }
        Ok(Some((wanted, fallback)))
    }

    /// The user whose calendar holds a meeting's event, for a cancel (None
    /// in OAuth mode): as recorded, else the default subject.
    pub(crate) fn placed(&self, meeting_id: &str) -> Option<String> {
        let sa = self.state.service_account.as_ref()?;
        Some(self.state.pushed.get(meeting_id).and_then(|r| r.calendar.clone()).unwrap_or_else(|| sa.default_subject.clone()))
    }

    /// Records durably which calendar holds the meeting's event, when that
    /// changed (the first push in Workspace mode, or a move): later cancels
    /// must find it even after a crash, unlike the other pushed-record
    /// fields, which are saved lazily.
    pub(crate) fn note_calendar(&mut self, meeting_id: &str, subject: &str) -> Result<()> {
        let Some(rec) = self.state.pushed.get(meeting_id) else { return Ok(()) };
        if rec.calendar.as_deref() == Some(subject) {
            return Ok(());
        }
        let mut next = self.state.clone();
        if let Some(r) = next.pushed.get_mut(meeting_id) {
            r.calendar = Some(subject.to_owned());
        }
        self.commit(next)
    }
}
