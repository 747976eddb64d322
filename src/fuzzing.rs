//! Entry points for the fuzz targets (`fuzz/`) and their corpus replay
//! (`tests/fuzz_corpus.rs`), not part of the library's API: thin wrappers
//! over the pure parsers production runs on untrusted input, so the
//! targets reach them without the crate's internals becoming public.
//! Failures come back as the C result code the same error has at the C
//! boundary. What crosses the C boundary in production is fuzzed through
//! the exported C functions themselves (fuzz/bodies), not here; this
//! module imports no part of the C boundary.
//!
//! Keep each function a one-line delegation: after a refactor only the
//! paths here change, never the targets.

use crate::errors::{gs_gcal_result, Error};
use crate::json::Value;
use crate::meeting::zone::Zone;
use crate::meeting::Meeting;

fn code<T>(r: Result<T, Error>) -> Result<T, gs_gcal_result> {
    r.map_err(|e| e.code())
}

// --- Google's answers -------------------------------------------------------

/// The token endpoint's answer to a code exchange or refresh.
pub fn token_response(status: u16, body: &[u8]) -> Result<crate::oauth::TokenResponse, gs_gcal_result> {
    code(crate::oauth::parse_token_response(status, body))
}

/// Whether the granted `scope` includes the write permission.
pub fn check_granted(scope: &str) -> Result<(), gs_gcal_result> {
    code(crate::oauth::check_granted(scope))
}

/// The account e-mail of an ID token (unverified payload, as production).
pub fn email_from_id_token(id_token: &str) -> Option<String> {
    crate::oauth::email_from_id_token(id_token)
}

/// A token-endpoint error body (any status).
pub fn token_error(status: u16, body: &[u8]) -> gs_gcal_result {
    crate::oauth::classify_token_error(status, body).code()
}

/// The device endpoint's answer.
pub fn device_start(status: u16, body: &[u8]) -> Result<crate::oauth::device::Started, gs_gcal_result> {
    code(crate::oauth::device::parse_start(status, body))
}

/// One device-flow poll answer: 0 approved, 1 pending, 2 slow down.
pub fn device_poll(status: u16, body: &[u8]) -> Result<u8, gs_gcal_result> {
    use crate::oauth::device::Poll;
    code(crate::oauth::device::parse_poll(status, body)).map(|p| match p {
        Poll::Approved(_) => 0,
        Poll::Pending => 1,
        Poll::SlowDown => 2,
    })
}

/// A Calendar API error answer (`retry_after` as the HTTP layer read it).
pub fn api_error(status: u16, body: &[u8], retry_after: Option<u64>) -> gs_gcal_result {
    let r = crate::http::Reply { status, body: body.to_vec(), date: None, retry_after, secret: false };
    crate::http::api_error(&r).code()
}

/// The event Google answers to an insert or update: (id, htmlLink, updated ms).
pub fn written_event(body: &[u8]) -> Result<(String, Option<String>, Option<i64>), gs_gcal_result> {
    code(crate::calendar::written(body, false)).map(|w| (w.event_id, w.html_link, w.updated_ms))
}

/// One page of events.list or calendarList.list:
/// (items, nextPageToken, nextSyncToken, timeZone).
pub fn listing_page(body: &[u8]) -> Result<(Vec<Value>, Option<String>, Option<String>, Option<String>), gs_gcal_result> {
    code(crate::calendar::page(body)).map(|p| (p.items, p.next_page, p.next_sync, p.time_zone))
}

/// One item of an events page as the cache keeps it (all-day events at
/// UTC midnight), None when skipped.
pub fn cached_event(item: &Value) -> Option<crate::events::CachedEvent> {
    crate::events::parse_event(item, &|d| d.midnight().assume_utc().unix_timestamp())
}

/// The JSON the PBX gets for a cached event.
pub fn event_json(e: &crate::events::CachedEvent) -> Value {
    crate::events::to_pbx_json(e)
}

/// Presence at `t` from cached events: (busy, out of office, until).
pub fn busy_at(events: &[crate::events::CachedEvent], t: i64) -> (bool, bool, i64) {
    let b = crate::events::busy_at(events.iter(), t);
    (b.busy, b.out_of_office, b.until)
}

/// Retry-After (seconds or HTTP date, relative to the server's Date).
pub fn retry_after(v: &str, server_now: Option<i64>) -> Option<u64> {
    crate::http::retry_after(v, server_now)
}

/// An HTTP date (IMF-fixdate) as unix seconds.
pub fn http_date(s: &str) -> Option<i64> {
    crate::http::http_date(s)
}

/// RFC 3339 with offset: unix seconds and nanoseconds.
pub fn rfc3339_parse(s: &str) -> Option<(i64, u32)> {
    crate::clock::parse(s)
}

/// Unix seconds as RFC 3339 UTC.
pub fn rfc3339_format(unix: i64) -> Option<String> {
    crate::clock::format(unix)
}

/// Unix milliseconds of Google's `updated`.
pub fn rfc3339_ms(s: &str) -> Option<i64> {
    crate::events::parse_rfc3339_ms(s)
}

/// The library's own JSON reader with the member names production asks
/// for (the written event).
pub fn json_top_level_strings(body: &[u8]) -> Option<[Option<String>; 3]> {
    crate::json::top_level_strings(body, ["id", "htmlLink", "updated"])
}

/// A cached event through the cache file's writer and reader, as a sync
/// saves it and the next open reads it.
pub fn cached_event_round_trip(e: &crate::events::CachedEvent) -> Option<crate::events::CachedEvent> {
    crate::store::cached_event_round_trip(e)
}

/// The library's JSON tree reader, its tree written back (None: refused).
pub fn json_parse(body: &[u8]) -> Option<Vec<u8>> {
    crate::json::parse(body).map(|v| v.to_vec())
}

/// The library's own JSON writer: one string value.
pub fn json_write_string(s: &str) -> Vec<u8> {
    let mut w = crate::json::Writer::with_capacity(s.len() + 2);
    w.string(s);
    w.buf
}

// --- time zones --------------------------------------------------------------

/// A zone from TZif bytes, as production reads `zoneinfo_dir/<name>`.
pub fn zone_from_tzif(name: &str, bytes: &[u8]) -> Result<Zone, gs_gcal_result> {
    code(Zone::from_tzif(name, bytes))
}

/// The bytes of `dir/name` as production reads them (None: no dir).
pub fn read_zone(dir: &std::path::Path, name: &str) -> Result<Option<Vec<u8>>, gs_gcal_result> {
    code(crate::store::zoneinfo::read_zone(dir, name))
}

/// The rules of the zone `name` as a handle with option "zoneinfo_dir" =
/// `dir` finds them (`Client::zone`, without its per-handle cache).
pub fn zone_named(dir: &std::path::Path, name: &str) -> Result<Option<Zone>, gs_gcal_result> {
    code(crate::meeting::localtime::check_time_zone(name))?;
    if let Some(z) = Zone::fixed(name) {
        return Ok(Some(z));
    }
    match read_zone(dir, name)? {
        Some(bytes) => zone_from_tzif(name, &bytes).map(Some),
        None => Ok(None),
    }
}

/// A local wall time in a zone as unix seconds (earlier of an ambiguity).
pub fn zone_to_utc(z: &Zone, local: time::PrimitiveDateTime) -> Result<i64, gs_gcal_result> {
    code(z.to_utc("start", local)).map(|t| t.unix_timestamp())
}

// --- meetings ------------------------------------------------------------------

/// A meeting's Calendar v3 request body, built the way `push` builds it
/// (zone rules from `zone`, or none as on a PBX without zoneinfo):
/// (event id, target id, skipped invitees, body).
pub fn prepare_meeting(
    m: &Meeting,
    instance_id: &str,
    zone: Option<&Zone>,
) -> Result<(String, String, Vec<usize>, Vec<u8>), gs_gcal_result> {
    let p = code(crate::meeting::prepare(m, instance_id, 0, zone))?;
    let body = code(p.event.to_json())?;
    Ok((p.event_id, p.target_id, p.skipped_invitees, body))
}

// --- sealed backups -------------------------------------------------------------

/// Seals `plaintext` as `gs_gcal_export` does, with a chosen iteration
/// count (clamped to what `open` accepts: under `cfg(fuzzing)` counts from
/// 1, so a target can afford one per execution; otherwise 10,000 up).
pub fn seal(plaintext: &[u8], passphrase: &str, salt: &[u8; 16], nonce: &[u8; 12], iterations: u32) -> String {
    crate::store::sealed::seal(plaintext, passphrase, salt, nonce, iterations)
}

/// The state file's parser (what `gs_gcal_open` and `gs_gcal_import` read).
pub fn parse_state(bytes: &[u8]) -> bool {
    crate::store::parse_state(bytes).is_ok()
}
