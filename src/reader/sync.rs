//! Keeping the cache current (`gs_gcal_sync_events`): a full sync the first
//! time, then changes by sync token; and what it tells the PBX: busy/free
//! and the drift of pushed meetings edited or deleted in Google.

use crate::clock::now;
use crate::errors::{Error, Result};
use crate::events::{self, Busy, CachedEvent};
use crate::handle::Handle;
use super::{take_page, Listing};
use crate::json::{json, Value};
use crate::state::{Drift, Pushed};

/// The cache's bound: what one calendar's events may take (as
/// `events::approx_bytes` counts them); with at most 16 read calendars the
/// cache file stays under `store::MAX_CACHE_BYTES` (32 MiB).
pub(crate) const MAX_CACHED_BYTES_PER_CALENDAR: usize = 1 << 20;

impl Handle {
    /// Brings the cache of every calendar in `read_calendars` up to date:
    /// a full sync (upcoming events) the first time, then only changes via
    /// the sync token — one request when nothing changed; on Google's 410
    /// a full resync that also drops what no longer exists. Reports what
    /// changed and the drift of pushed meetings (edited or deleted in
    /// Google); drift stays in the report until `ack_drift`.
    pub fn sync_events(&mut self) -> Result<Value> {
        let cals = self.config.read_calendars.clone();
        let mut reports = Vec::new();
        let mut drift: Vec<Found> = Vec::new();
        let mut cache = self.cache().clone();
        let mut dirty = false;
        for cal in &cals {
            let cc = cache.calendars.entry(cal.clone()).or_default();
            let since = now() - 86_400;
            let time_min = crate::clock::rfc3339(since).unwrap_or_default();
            let horizon = now() + self.config.read_horizon_secs;
            let time_max = crate::clock::rfc3339(horizon).unwrap_or_default();
            let base_full = [("singleEvents", "true"), ("maxResults", "250"), ("timeMin", time_min.as_str()), ("timeMax", time_max.as_str())];
            let base_incr = [("singleEvents", "true"), ("maxResults", "250")];
            let mut full = cc.sync_token.is_none();
            let token = cc.sync_token.clone();
            let mut parsed: Vec<CachedEvent> = Vec::new();
            let mut skipped = 0usize;
            let mut listed = if full {
                None
            } else {
                self.list_pages(cal, &base_incr, token.as_deref(), &mut |c, p| take_page(c, p, &mut parsed, &mut skipped))?
            };
            if listed.is_none() {
                full = true;
                parsed.clear();
                skipped = 0;
                listed = self.list_pages(cal, &base_full, None, &mut |c, p| take_page(c, p, &mut parsed, &mut skipped))?;
            }
            let Listing { time_zone: tz, next_sync, truncated } = listed.ok_or_else(|| {
                Error::ApiBadResponse(format!("calendar {cal}: 410 on a full sync"))
            })?;
            let items_len = parsed.len() + skipped;

            let mut removed: Vec<CachedEvent> = Vec::new();
            if full && truncated {
                // Only part of the calendar was read: what is missing is
                // unknown, not deleted. Merged; the next sync starts over.
                for e in parsed.iter().filter(|e| e.status != "cancelled") {
                    cc.events.insert(e.id.clone(), e.clone());
                }
            } else if full {
                let fresh: std::collections::BTreeMap<String, CachedEvent> = parsed
                    .iter()
                    .filter(|e| e.status != "cancelled")
                    .map(|e| (e.id.clone(), e.clone()))
                    .collect();
                // Gone from a full listing: deleted, unless it merely ended
                // before the window (then it is just dropped).
                removed = cc
                    .events
                    .iter()
                    .filter(|(k, e)| !fresh.contains_key(*k) && e.end_utc > since && e.start_utc <= horizon)
                    .map(|(_, e)| e.clone())
                    .collect();
                cc.events = fresh;
            } else {
                for e in &parsed {
                    if e.status == "cancelled" {
                        if let Some(old) = cc.events.remove(&e.id) {
                            removed.push(old);
                        }
                    } else {
                        cc.events.insert(e.id.clone(), e.clone());
                    }
                }
            }
            // Nothing changed: the old token stays valid, and the PBX's flash
            // is not rewritten on every poll.
            if truncated {
                // The token is kept (or stays absent): the next sync reads
                // from the same point again, and nothing is lost.
                cc.time_zone = tz.or(cc.time_zone.take());
                dirty = true;
            } else if full || items_len > 0 {
                cc.sync_token = next_sync;
                cc.time_zone = tz;
                dirty = true;
            }
            // Beyond the horizon nothing is kept (deltas of a long series
            // reach 2040, some 2099): what starts later is dropped after
            // the merge (drift is still seen in what this sync read).
            let bounded = events::bound_bytes(&mut cc.events, horizon, MAX_CACHED_BYTES_PER_CALENDAR);
            dirty |= bounded > 0;
            let still = |series: &str| {
                cc.events.values().any(|e| e.id == series || e.recurring_event_id.as_deref() == Some(series))
            };
            // An incremental sync reports deletions itself (in `parsed`).
            let gone: &[CachedEvent] = if full && !truncated { &removed } else { &[] };
            drift.extend(self.drift_of(&parsed, gone, &still));
            reports.push(json!({
                "calendar": cal,
                "full_sync": full,
                "changed": parsed.len(),
                "removed": removed.len(),
                "skipped": skipped,
                "truncated": truncated,
                "beyond_horizon": bounded,
            }));
        }
        // Acknowledge what was found, so each change is reported once.
        if !drift.is_empty() {
            let mut next = self.state.clone();
            for d in &drift {
                if d.drift.change == "deleted" {
                    next.pushed.remove(&d.drift.meeting_id);
                } else if let Some(p) = next.pushed.get_mut(&d.drift.meeting_id) {
                    p.written_ms = p.written_ms.max(d.seen_ms);
                }
            }
            self.commit(next)?;
        }
        let drift: Vec<Drift> = drift.into_iter().map(|d| d.drift).collect();
        dirty |= !drift.is_empty();
        cache.undelivered.extend(drift);
        if dirty {
            self.store.save_cache(&cache)?;
        }
        self.save_pushed()?;
        let drift: Vec<Value> = cache
            .undelivered
            .iter()
            .map(
                |d| json!({"meeting_id": d.meeting_id, "event_id": d.event_id, "change": d.change}),
            )
            .collect();
        let report = json!({"calendars": reports, "drift": drift});
        self.cache = Some(cache);
        Ok(report)
    }

    /// Pushed meetings whose event (or an occurrence of it) Google reports
    /// as changed after our last write, or gone. `removed` are cache entries
    /// a full resync no longer found; `still` says whether a series id has
    /// occurrences left.
    fn drift_of(&self, changed: &[CachedEvent], removed: &[CachedEvent], still: &dyn Fn(&str) -> bool) -> Vec<Found> {
        let by_event: std::collections::HashMap<&str, (&String, &Pushed)> =
            self.state.pushed.iter().map(|(m, p)| (p.event_id.as_str(), (m, p))).collect();
        let mut out: Vec<Found> = Vec::new();
        let mut add = |meeting: &str, event_id: &str, change: &str, seen_ms: i64| {
            match out.iter_mut().find(|f| f.drift.meeting_id == meeting) {
                Some(f) => {
                    if change == "deleted" {
                        f.drift.change = "deleted".into();
                    }
                    f.seen_ms = f.seen_ms.max(seen_ms);
                }
                None => out.push(Found {
                    drift: Drift { meeting_id: meeting.into(), event_id: event_id.into(), change: change.into() },
                    seen_ms,
                }),
            }
        };
        let series_of = |e: &CachedEvent| e.recurring_event_id.clone().unwrap_or_else(|| e.id.clone());
        for e in changed {
            let series = series_of(e);
            let Some((meeting, p)) = by_event.get(series.as_str()) else { continue };
            let later = e.updated_ms.is_some_and(|u| u > p.written_ms);
            let master_gone = e.id == series && e.status == "cancelled";
            if master_gone {
                add(meeting, &series, "deleted", e.updated_ms.unwrap_or(0));
            } else if later {
                add(meeting, &series, "modified", e.updated_ms.unwrap_or(0));
            }
        }
        for e in removed {
            let series = series_of(e);
            if let Some((meeting, _)) = by_event.get(series.as_str()) {
                let change = if still(&series) { "modified" } else { "deleted" };
                add(meeting, &series, change, 0);
            }
        }
        out
    }

    /// The firmware has the drift report: forget it.
    pub fn ack_drift(&mut self) -> Result<()> {
        let cache = self.cache();
        if cache.undelivered.is_empty() {
            return Ok(());
        }
        cache.undelivered.clear();
        let snapshot = cache.clone();
        self.store.save_cache(&snapshot)
    }

    /// Presence from the cache (no network): busy at `t` (unix seconds)?
    pub fn busy_at(&mut self, calendar_id: Option<&str>, t: i64) -> Result<Busy> {
        let cal = calendar_id.unwrap_or("primary").to_owned();
        let cache = self.cache();
        let cc = cache.calendars.get(&cal).filter(|c| c.sync_token.is_some()).ok_or_else(|| {
            Error::NotSynced(format!(
                "calendar {cal} has not been synced: add it to read_calendars and call gs_gcal_sync_events"
            ))
        })?;
        Ok(events::busy_at(cc.events.values(), t))
    }
}

/// Drift found by a sync, with the latest Google time seen for it.
struct Found {
    drift: Drift,
    seen_ms: i64,
}
