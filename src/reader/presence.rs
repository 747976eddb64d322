//! Presence (room `reader`, issue 15): the extensions' free/busy from
//! `freebusy.query`, 50 calendars per request, round robin within a time
//! budget, honouring the quota pause, the circuit breaker and its own
//! backoff like every call. The table itself (`presence::Directory`) sits
//! behind its own lock, shared with the C handle, so `gs_gcal_presence_get`
//! never waits for a refresh on the network: a refresh holds it only to
//! pick the next batch and to store each answer.

use crate::calendar;
use crate::clock::{now, rfc3339};
use crate::errors::{Class, Error, Result};
use crate::handle::Handle;
use crate::log::log_at;
use crate::outbox;
use crate::presence::{self, Directory};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What one refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// freebusy.query requests made.
    pub requests: u32,
    /// Addresses Google answered for (busy periods or a per-calendar error).
    pub refreshed: u32,
    /// Of those, answered with a per-calendar error (unknown presence).
    pub unknown: u32,
    /// Addresses not reached within the budget (the next refresh starts there).
    pub remaining: u32,
}

/// The presence table's lock; a panic elsewhere leaves it consistent
/// (every change is one assignment), so poisoning is ignored.
pub fn lock(d: &Mutex<Directory>) -> MutexGuard<'_, Directory> {
    d.lock().unwrap_or_else(|p| p.into_inner())
}

impl Handle {
    /// Refreshes as many addresses as `budget` allows, oldest-refreshed
    /// first (round robin), one `freebusy.query` per 50. Progress made
    /// before a failure is kept; the failure is returned, and presence
    /// requests then wait (backoff, Retry-After, quota pause, circuit).
    pub fn presence_refresh(&mut self, budget: Duration) -> Result<Refreshed> {
        let end = Instant::now() + budget;
        let t = now();
        let table = self.presence.clone();
        let count = lock(&table).entries.len();
        let mut done = Refreshed::default();
        if count == 0 {
            return Ok(done);
        }
        if let Some(tokens) = &self.state.tokens {
            let granted = presence::granted(&tokens.scope);
            lock(&table).not_granted = !granted;
            if !granted && self.state.reauth_required.is_none() {
                return Err(not_granted());
            }
        }
        if let Some(e) = self.presence_wait(t) {
            return Err(e);
        }
        let (from, to) = (t, t + self.config.presence_horizon_secs);
        let (time_min, time_max) = (rfc3339(from).unwrap_or_default(), rfc3339(to).unwrap_or_default());
        let batches = lock(&table).next_batches(count);
        for (i, batch) in batches.iter().enumerate() {
            if Instant::now() >= end {
                done.remaining = batches[i..].iter().map(|b| b.len() as u32).sum();
                break;
            }
            // No request outlives the budget (nor the whole call).
            self.call_deadline = Some(self.call_deadline.map_or(end, |d| d.min(end)));
            if let Some(h) = &self.http {
                h.begin_call(self.call_deadline);
            }
            let body = presence::request_body(&time_min, &time_max, batch);
            done.requests += 1;
            let answer = self
                .with_token(|c, token| calendar::freebusy(c.http()?, &c.config.calendar_api_base, token, &body))
                .and_then(|bytes| {
                    presence::parse_answer(&bytes, batch, from, to)
                        .ok_or_else(|| Error::ApiBadResponse("freebusy.query: the answer is not a free/busy answer".into()))
                });
            match answer {
                Ok(known) => {
                    let mut d = lock(&table);
                    for (email, k) in known {
                        done.unknown += u32::from(matches!(k, presence::Known::Failed { .. }));
                        d.store(&email, k, t);
                    }
                    d.advance(batch.len());
                    d.failures = 0;
                    d.wait_until = 0;
                    d.not_granted = false;
                    drop(d);
                    done.refreshed += batch.len() as u32;
                    self.note_success();
                }
                Err(e) => return Err(self.presence_failed(e, t)),
            }
        }
        if done.remaining > 0 {
            log_at!(self.log, Info, "presence: {} of {count} addresses refreshed in the budget; the rest next time", done.refreshed);
        }
        Ok(done)
    }

    /// Why presence requests must not go out now, if they must not.
    fn presence_wait(&self, t: i64) -> Option<Error> {
        let d = lock(&self.presence);
        if d.wait_until > t {
            let why = d.last_failure.clone().unwrap_or_else(|| Error::Connect(String::new()));
            return Some(with_text(why, format!(
                "presence: not asked until {} (backoff after failures)",
                rfc3339(d.wait_until).unwrap_or_default()
            )));
        }
        drop(d);
        // The same pauses as the write side (quota, circuit); "" for no meeting.
        outbox::must_queue(&[], "", self.state.quota_pause_until, &self.writer.circuit, t)
    }

    /// A failed batch: the failure is counted like every call's, and
    /// presence waits before its next request.
    fn presence_failed(&mut self, e: Error, t: i64) -> Error {
        let e = match e {
            Error::ApiForbidden(s) if s.contains("insufficientPermissions") || s.contains("insufficient") => {
                lock(&self.presence).not_granted = true;
                return not_granted();
            }
            other => other,
        };
        let class = e.class();
        self.note_failure(&e, class);
        if class == Class::Quota {
            let mut next = self.state.clone();
            next.quota_pause_until = Some(t + outbox::QUOTA_PAUSE);
            if let Err(save) = self.commit(next) {
                log_at!(self.log, Warn, "presence: the quota pause could not be saved: {save}");
            }
        }
        if matches!(class, Class::Retry | Class::RateLimited | Class::Quota) {
            let random = self.random_u64();
            let mut d = lock(&self.presence);
            d.failures = d.failures.saturating_add(1);
            d.wait_until = t.saturating_add(outbox::delay(&e, d.failures, random));
            d.last_failure = Some(e.clone());
        }
        log_at!(self.log, Warn, "presence: freebusy.query failed: {e}");
        e
    }
}

fn not_granted() -> Error {
    Error::PresenceNotGranted(
        "presence needs Google's free/busy permission (scope calendar.freebusy), which this \
         authorization lacks: authorize again to enable presence (everything else keeps working)"
            .into(),
    )
}

/// The same error code with another detail text.
fn with_text(e: Error, text: String) -> Error {
    match e {
        Error::ApiRateLimited { retry_after, .. } => Error::ApiRateLimited { text, retry_after },
        Error::ApiQuotaExceeded(_) => Error::ApiQuotaExceeded(text),
        Error::ApiServerError(_) => Error::ApiServerError(text),
        Error::Timeout(_) => Error::Timeout(text),
        Error::NetworkIo(_) => Error::NetworkIo(text),
        Error::Tls(_) => Error::Tls(text),
        _ => Error::Connect(text),
    }
}
