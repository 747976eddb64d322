//! Replies (room `reader`, issue 15): each invitee's answer to a meeting
//! this handle pushed, from the cache `gs_gcal_sync_events` keeps current
//! (Google's `attendees[].responseStatus`; no request per meeting).

use crate::clock::now;
use crate::errors::{Error, Result};
use crate::events::CachedEvent;
use crate::handle::Handle;
use crate::json::{json, Value};

impl Handle {
    /// The answers to pushed meeting `meeting_id` as JSON: `{"meeting_id",
    /// "event_id", "found", "occurrence", "start", "attendees": [{"email",
    /// "response", "resource"}], "counts": {...}}`. For a repeating meeting
    /// the next occurrence not yet ended (else the last one seen) answers.
    pub fn replies(&mut self, meeting_id: &str) -> Result<Value> {
        let pushed = self.state.pushed.get(meeting_id).cloned().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "meeting {} was not pushed by this PBX (or was cancelled)",
                crate::oauth::printable(meeting_id)
            ))
        })?;
        let cal = self.config.calendar_id.clone();
        let cache = self.cache();
        let cc = cache.calendars.get(&cal).filter(|c| c.sync_token.is_some()).ok_or_else(|| {
            Error::NotSynced(format!(
                "replies come from the synced copy of calendar {cal}: add it to read_calendars and call gs_gcal_sync_events"
            ))
        })?;
        let t = now();
        let of_meeting = |e: &&CachedEvent| e.id == pushed.event_id || e.recurring_event_id.as_deref() == Some(&pushed.event_id);
        let upcoming = cc.events.values().filter(of_meeting).filter(|e| e.end_utc > t).min_by_key(|e| e.start_utc);
        let chosen = upcoming.or_else(|| cc.events.values().filter(of_meeting).max_by_key(|e| e.start_utc));
        let mut counts = json!({"accepted": 0, "declined": 0, "tentative": 0, "needsAction": 0, "other": 0});
        let attendees: Vec<Value> = chosen
            .map(|e| e.replies.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|r| {
                if let Some(n) = counts.get_mut(&r.response) {
                    *n = (n.as_u64().unwrap_or(0) + 1).into();
                }
                json!({"email": r.email, "response": r.response, "resource": r.resource})
            })
            .collect();
        Ok(json!({
            "meeting_id": meeting_id,
            "event_id": pushed.event_id,
            "found": chosen.is_some(),
            "occurrence": chosen.filter(|e| e.id != pushed.event_id).map(|e| e.id.clone()),
            "start": chosen.map(|e| e.start.clone()),
            "attendees": attendees,
            "counts": counts,
        }))
    }
}
