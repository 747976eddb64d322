//! Civil-time helpers (no time crate: the emulator stays small and shares nothing with the library).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds added to real time, so tests can jump days ahead without sleeping.
/// One process is one emulated Google, so a process-wide value is the right scope.
static OFFSET_SECS: AtomicI64 = AtomicI64::new(0);

/// Emulated "now": real time plus the offset. Everything time-based goes through here.
pub fn now_millis() -> i64 {
    let real = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    real.saturating_add(OFFSET_SECS.load(Ordering::SeqCst).saturating_mul(1000))
}

/// Moves the clock forward (or back, for negative `secs`); returns the new offset.
pub fn advance(secs: i64) -> i64 {
    let prev = OFFSET_SECS
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
            Some(o.saturating_add(secs))
        })
        .unwrap_or(0);
    prev.saturating_add(secs)
}

pub fn reset_offset() {
    OFFSET_SECS.store(0, Ordering::SeqCst);
}

pub fn now_secs() -> i64 {
    now_millis() / 1000
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `2026-11-21T10:00:00.000Z`, the form Google uses for created/updated.
/// RFC 9110 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) for the Date header.
pub fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub fn rfc3339_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86400));
    let sod = secs.rem_euclid(86400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        ms.rem_euclid(1000)
    )
}

/// `2024-04-01T10:00:00+02:00` (or `...Z` at offset 0): a UTC instant shown at an offset.
pub fn rfc3339_at_offset(utc_secs: i64, offset_secs: i64) -> String {
    let local = utc_secs + offset_secs;
    let (y, mo, d) = civil_from_days(local.div_euclid(86400));
    let sod = local.rem_euclid(86400);
    let zone = if offset_secs == 0 {
        "Z".to_string()
    } else {
        let sign = if offset_secs < 0 { '-' } else { '+' };
        let a = offset_secs.abs();
        format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
    };
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}{zone}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// `2024-04-01` for days since the epoch.
pub fn iso_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `20240401T080000Z` (RFC 5545 UTC form, as in Google's instance ids).
pub fn basic_utc(utc_secs: i64) -> String {
    let (y, mo, d) = civil_from_days(utc_secs.div_euclid(86400));
    let sod = utc_secs.rem_euclid(86400);
    format!(
        "{y:04}{mo:02}{d:02}T{:02}{:02}{:02}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// `20240401` (RFC 5545 DATE form).
pub fn basic_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}")
}

/// Parses RFC 5545 `YYYYMMDD` → days since the epoch.
pub fn parse_basic_date(s: &str) -> Option<i64> {
    if s.len() != 8 || !s.is_ascii() {
        return None;
    }
    parse_date(&format!("{}-{}-{}", &s[0..4], &s[4..6], &s[6..8]))
}

/// Parses RFC 5545 `YYYYMMDDTHHMMSS[Z]` → (seconds "as if UTC", has Z).
pub fn parse_basic_date_time(s: &str) -> Option<(i64, bool)> {
    let (body, utc) = match s.strip_suffix('Z') {
        Some(b) => (b, true),
        None => (s, false),
    };
    if body.len() != 15 || !body.is_ascii() || &body[8..9] != "T" {
        return None;
    }
    let days = parse_basic_date(&body[0..8])?;
    let (h, mi, se) = (
        digits(&body[9..11], 2)?,
        digits(&body[11..13], 2)?,
        digits(&body[13..15], 2)?,
    );
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some((days * 86400 + h * 3600 + mi * 60 + se, utc))
}

fn digits(s: &str, n: usize) -> Option<i64> {
    if s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// `YYYY-MM-DD` → days since the epoch, checking the calendar date is real.
pub fn parse_date(s: &str) -> Option<i64> {
    if !s.is_ascii() || s.len() != 10 || &s[4..5] != "-" || &s[7..8] != "-" {
        return None;
    }
    let (y, m, d) = (
        digits(&s[0..4], 4)?,
        digits(&s[5..7], 2)?,
        digits(&s[8..10], 2)?,
    );
    let dim = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > dim {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// An RFC3339 date-time split into local wall time and optional UTC offset.
pub struct DateTime {
    /// Local wall time as milliseconds since the epoch (as if it were UTC).
    pub local_ms: i64,
    /// Offset east of UTC in seconds, if the string carried one.
    pub offset_secs: Option<i64>,
}

impl DateTime {
    pub fn utc_ms(&self) -> Option<i64> {
        self.offset_secs.map(|o| self.local_ms - o * 1000)
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM]`; the offset may be absent
/// (Google allows that when a timeZone is given).
pub fn parse_date_time(s: &str) -> Option<DateTime> {
    if !s.is_ascii() || s.len() < 19 {
        return None;
    }
    let days = parse_date(&s[0..10])?;
    if !matches!(&s[10..11], "T" | "t") || &s[13..14] != ":" || &s[16..17] != ":" {
        return None;
    }
    let (h, mi, se) = (
        digits(&s[11..13], 2)?,
        digits(&s[14..16], 2)?,
        digits(&s[17..19], 2)?,
    );
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut ms = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let padded = format!("{:0<3}", &frac[..n.min(3)]);
        ms = padded.parse().ok()?;
        rest = &frac[n..];
    }
    let offset_secs = match rest {
        "" => None,
        "Z" | "z" => Some(0),
        _ => {
            let sign = match &rest[..1] {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            if rest.len() != 6 || &rest[3..4] != ":" {
                return None;
            }
            let (oh, om) = (digits(&rest[1..3], 2)?, digits(&rest[4..6], 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            Some(sign * (oh * 3600 + om * 60))
        }
    };
    let local_ms = ((days * 86400 + h * 3600 + mi * 60 + se) * 1000) + ms;
    Some(DateTime {
        local_ms,
        offset_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn formats_and_parses() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        let dt = parse_date_time("2026-11-21T10:00:00.5+01:00").unwrap();
        assert_eq!(
            rfc3339_millis(dt.utc_ms().unwrap()),
            "2026-11-21T09:00:00.500Z"
        );
        assert!(parse_date_time("2026-02-30T10:00:00Z").is_none());
        assert!(parse_date_time("2026-11-21T10:00:00")
            .unwrap()
            .offset_secs
            .is_none());
        assert!(parse_date_time("2026-11-21 10:00").is_none());
        assert!(parse_date("2024-02-é9").is_none());
        assert!(parse_date_time("2024-02-09T10:00:0é").is_none());
        assert_eq!(parse_date("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
    }
}
