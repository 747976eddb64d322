//! The read side (room `reader`): listing events and calendars, and the
//! synced cache behind busy/free and drift. Every call is bounded in
//! memory: pages are taken in as they arrive, up to `MAX_READ_BYTES`.

pub mod presence;
pub mod replies;
pub mod sync;

use crate::calendar::{self};
use crate::errors::{Error, Result};
use crate::events::{self, CachedEvent};
use crate::handle::Handle;
use crate::json::{json, Value};
use crate::log::log_at;
use crate::oauth::{self};
use crate::state::Cache;



/// Pages followed in one listing (250 events each).
pub(crate) const MAX_PAGES: usize = 40;
/// Bytes of Google's answers one read call takes in (each answer is also
/// capped at 1 MiB): the read side's memory bound per call.
pub(crate) const MAX_READ_BYTES: usize = 8 << 20;

impl Handle {
    /// Events of one calendar in a window, recurring ones expanded, all
    /// pages followed within the read side's bound (`MAX_READ_BYTES` of
    /// answers, `MAX_PAGES` pages), as the PBX's JSON; beyond the bound the
    /// answer says `"truncated": true` and holds the events read so far.
    pub fn list_events(&mut self, calendar_id: Option<&str>, time_min: &str, time_max: &str) -> Result<Value> {
        for (field, v) in [("time_min", time_min), ("time_max", time_max)] {
            if events::parse_rfc3339(v).is_none() {
                return Err(Error::InvalidTime(format!(
                    "{field}: \"{}\" is not an RFC 3339 time with offset, like 2024-05-06T00:00:00+02:00",
                    oauth::printable(v)
                )));
            }
        }
        // NULL means "primary" in every reading call (as in busy_at): the
        // read side never depends on the write target option calendar_id.
        let cal = calendar_id.unwrap_or("primary").to_owned();
        let base = [("singleEvents", "true"), ("orderBy", "startTime"), ("maxResults", "250"), ("timeMin", time_min), ("timeMax", time_max)];
        let mut events: Vec<Value> = Vec::new();
        let listing = self
            .list_pages(&cal, &base, None, &mut |c, page| {
                let day_start = c.day_start(page.time_zone.as_deref());
                events.extend(
                    page.items
                        .iter()
                        .filter_map(|v| events::parse_event(v, &day_start))
                        .filter(|e| e.status != "cancelled")
                        .map(|e| events::to_pbx_json(&e)),
                );
            })?
            .ok_or_else(|| Error::ApiBadResponse("Google answered 410 to a listing without sync token".into()))?;
        let mut out = json!({"calendar": cal, "time_zone": listing.time_zone, "events": events});
        if listing.truncated {
            out["truncated"] = Value::Bool(true);
        }
        Ok(out)
    }

    /// Follows the pages of a listing, handing each to `on_page` as it
    /// arrives (so memory holds one page, not all): returns the calendar's
    /// zone and next sync token; None on 410 (the sync token is gone). Stops
    /// early, `truncated`, once `MAX_READ_BYTES` of answers or `MAX_PAGES`
    /// pages were read in this call.
    pub(crate) fn list_pages(&mut self, cal: &str, base: &[(&str, &str)], sync_token: Option<&str>,
        on_page: &mut dyn FnMut(&Self, &calendar::Page)) -> Result<Option<Listing>> {
        let mut page_token: Option<String> = None;
        let mut bytes = 0usize;
        let mut time_zone = None;
        // An answer over the body cap is asked again in smaller pages.
        let mut max_results: usize = base.iter().find(|(k, _)| *k == "maxResults").and_then(|(_, v)| v.parse().ok()).unwrap_or(250);
        let mut pages = 0;
        while pages < MAX_PAGES {
            let per_page = max_results.to_string();
            let mut q: Vec<(&str, &str)> = base.iter().copied().filter(|(k, _)| *k != "maxResults").collect();
            q.push(("maxResults", &per_page));
            if let Some(t) = sync_token {
                q.push(("syncToken", t));
            }
            if let Some(p) = &page_token {
                q.push(("pageToken", p));
            }
            let listed = match self.with_token(|c, token| {
                calendar::list_events(c.http()?, &c.config.calendar_api_base, cal, token, &q)
            }) {
                Err(Error::ResponseTooLarge(why)) if max_results > 1 => {
                    max_results = (max_results / 5).max(1);
                    log_at!(self.log, Info, "calendar {cal}: a page was over the body cap ({why}); asking {max_results} events per page");
                    continue;
                }
                Err(Error::ResponseTooLarge(why)) => {
                    log_at!(self.log, Warn, "calendar {cal}: one event is over the body cap ({why}); the listing stops here");
                    break;
                }
                other => other?,
            };
            pages += 1;
            let page = match listed {
                calendar::Listed::Page(p) => p,
                calendar::Listed::SyncTokenGone => return Ok(None),
            };
            on_page(self, &page);
            bytes = bytes.saturating_add(page.bytes);
            time_zone = page.time_zone.clone().or(time_zone);
            match page.next_page {
                None => return Ok(Some(Listing { time_zone, next_sync: page.next_sync, truncated: false })),
                Some(_) if bytes >= MAX_READ_BYTES => break,
                Some(next) => page_token = Some(next),
            }
        }
        log_at!(self.log, Warn, "calendar {cal}: listing stopped at the read bound ({MAX_PAGES} pages or {MAX_READ_BYTES} bytes)");
        Ok(Some(Listing { time_zone, next_sync: None, truncated: true }))
    }

    /// UTC instant of a date's midnight in a calendar's zone (UTC when the
    /// zone's rules are unknown), for all-day events.
    pub(crate) fn day_start(&self, tz: Option<&str>) -> impl Fn(time::Date) -> i64 {
        let zone = tz.and_then(|t| self.zone(t).ok().flatten());
        move |d: time::Date| match &zone {
            Some(z) => z.to_utc("date", d.midnight()).map(|t| t.unix_timestamp()).unwrap_or_else(|_| d.midnight().assume_utc().unix_timestamp()),
            None => d.midnight().assume_utc().unix_timestamp(),
        }
    }

    pub(crate) fn cache(&mut self) -> &mut Cache {
        if self.cache.is_none() {
            self.cache = Some(self.store.load_cache());
        }
        self.cache.get_or_insert_with(Cache::default)
    }

    /// The calendars the account can see (calendarList), all pages.
    pub fn list_calendars(&mut self) -> Result<Value> {
        let mut out = Vec::new();
        let mut page_token: Option<String> = None;
        let mut bytes = 0usize;
        for _ in 0..MAX_PAGES {
            let pt = page_token.clone();
            let page = self.with_token(|c, token| {
                calendar::calendar_list(c.http()?, &c.config.calendar_api_base, token, pt.as_deref())
            })?;
            for v in &page.items {
                if let Some(id) = v["id"].as_str() {
                    out.push(json!({
                        "id": id,
                        "summary": v["summaryOverride"].as_str().or(v["summary"].as_str()),
                        "primary": v["primary"].as_bool().unwrap_or(false),
                        "access_role": v["accessRole"].as_str(),
                        "time_zone": v["timeZone"].as_str(),
                    }));
                }
            }
            bytes = bytes.saturating_add(page.bytes);
            match page.next_page {
                Some(_) if bytes >= MAX_READ_BYTES => break,
                Some(n) => page_token = Some(n),
                None => return Ok(Value::Array(out)),
            }
        }
        Err(Error::ResponseTooLarge(format!(
            "calendarList: more than {MAX_PAGES} pages or {MAX_READ_BYTES} bytes; the list was not returned"
        )))
    }
}

/// Parses one page of a sync's listing into cache entries as it arrives.
pub(crate) fn take_page(c: &Handle, page: &calendar::Page, parsed: &mut Vec<CachedEvent>, skipped: &mut usize) {
    let day_start = c.day_start(page.time_zone.as_deref());
    let before = parsed.len();
    parsed.extend(page.items.iter().filter_map(|v| events::parse_event(v, &day_start)));
    *skipped += page.items.len() - (parsed.len() - before);
}

/// How a listing ended (see `list_pages`).
pub(crate) struct Listing {
    pub(crate) time_zone: Option<String>,
    pub(crate) next_sync: Option<String>,
    /// The read bound was reached before the last page.
    pub(crate) truncated: bool,
}
