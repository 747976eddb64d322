//! Time zones as Calendar accepts them in `EventDateTime.timeZone`: fixed
//! `Etc/*`/`UTC` zones computed here, real IANA zones read from the host's
//! TZif files (`/usr/share/zoneinfo/<name>`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tz::TimeZone;

const ZONEINFO: &str = "/usr/share/zoneinfo";

#[derive(Clone)]
pub enum Zone {
    /// Seconds east of UTC.
    Fixed(i64),
    Tz(Arc<TimeZone>),
}

/// `Etc/GMT±N` uses POSIX's inverted sign: Etc/GMT-1 is UTC+01:00.
pub fn fixed_offset(tz: &str) -> Option<i64> {
    match tz {
        "UTC" | "GMT" | "Etc/UTC" | "Etc/GMT" | "Etc/UCT" | "Etc/Zulu" | "Etc/Universal" => {
            return Some(0)
        }
        _ => {}
    }
    let rest = tz.strip_prefix("Etc/GMT")?;
    let (sign, n) = rest.split_at_checked(1)?;
    let n: i64 = n.parse().ok()?;
    match sign {
        "+" if (0..=12).contains(&n) => Some(-n * 3600),
        "-" if (0..=14).contains(&n) => Some(n * 3600),
        _ => None,
    }
}

/// IANA-looking names: fixed Etc zones or `Area/Location[/Sub]` with a real area
/// that the host's tz database knows (when the host has one at all).
pub fn valid_time_zone(tz: &str) -> bool {
    const AREAS: [&str; 10] = [
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ];
    if fixed_offset(tz).is_some() {
        return true;
    }
    let parts: Vec<&str> = tz.split('/').collect();
    let shaped = parts.len() >= 2
        && parts.len() <= 3
        && AREAS.contains(&parts[0])
        && parts[1..].iter().all(|p| {
            p.starts_with(|c: char| c.is_ascii_uppercase())
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
        });
    // Google rejects names it does not know; without a host database we cannot tell.
    shaped && (lookup(tz).is_some() || !std::path::Path::new(ZONEINFO).is_dir())
}

/// The zone for a valid name; unknown real zones (no host tz database) fall back to UTC
/// so expansion still works.
pub fn zone_or_utc(tz: Option<&str>) -> Zone {
    tz.and_then(lookup).unwrap_or(Zone::Fixed(0))
}

/// Loads (and caches) a zone by name; None when unknown.
pub fn lookup(name: &str) -> Option<Zone> {
    if let Some(o) = fixed_offset(name) {
        return Some(Zone::Fixed(o));
    }
    // Names were shape-checked by the caller; still refuse path tricks.
    if name.contains("..") || name.starts_with('/') {
        return None;
    }
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<TimeZone>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(name.to_string())
        .or_insert_with(|| {
            let bytes = std::fs::read(format!("{ZONEINFO}/{name}")).ok()?;
            TimeZone::from_tz_data(&bytes).ok().map(Arc::new)
        })
        .clone()
        .map(Zone::Tz)
}

impl Zone {
    /// Offset east of UTC (seconds) in force at `utc` (seconds since the epoch).
    pub fn offset_at(&self, utc: i64) -> i64 {
        match self {
            Zone::Fixed(o) => *o,
            Zone::Tz(tz) => tz
                .find_local_time_type(utc)
                .map(|t| i64::from(t.ut_offset()))
                .unwrap_or(0),
        }
    }

    /// UTC seconds for a local wall time (seconds since the epoch "as if UTC").
    /// In a DST gap the wall time is shifted forward by the gap (02:30 on a
    /// spring-forward night becomes 03:30 summer time); in a fold the earlier
    /// instant wins.
    pub fn to_utc(&self, local: i64) -> i64 {
        // Transitions are months apart, so the offsets a day either side cover both.
        let before = self.offset_at(local - 86_400);
        let after = self.offset_at(local + 86_400);
        let fits = |o: i64| self.offset_at(local - o) == o;
        match (fits(before), fits(after)) {
            (true, true) => (local - before).min(local - after),
            (true, false) => local - before,
            (false, true) => local - after,
            // Gap: keep the pre-transition offset, which lands after the jump.
            (false, false) => local - before,
        }
    }

    /// Local wall time (seconds "as if UTC") for a UTC instant.
    pub fn to_local(&self, utc: i64) -> i64 {
        utc + self.offset_at(utc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones() {
        assert_eq!(fixed_offset("Etc/GMT-1"), Some(3600));
        assert_eq!(fixed_offset("Etc/GMT+5"), Some(-5 * 3600));
        assert!(valid_time_zone("Europe/Zurich"));
        assert!(valid_time_zone("America/Argentina/Buenos_Aires"));
        assert!(valid_time_zone("UTC"));
        assert!(!valid_time_zone("Mars/Olympus"));
        assert!(!valid_time_zone("GMT+1"));
        assert!(!valid_time_zone("Etc/GMT-15"));
        assert!(!valid_time_zone("Europe/../../etc/passwd"));
    }

    #[test]
    fn berlin_dst() {
        let Some(z) = lookup("Europe/Berlin") else {
            return; // no host tz database
        };
        let day = crate::clock::days_from_civil(2024, 3, 31) * 86_400;
        // 01:30 local is CET, 03:30 is CEST, 02:30 does not exist.
        assert_eq!(z.to_utc(day + 5400), day + 1800);
        assert_eq!(z.to_utc(day + 3 * 3600 + 1800), day + 3600 + 1800);
        assert_eq!(z.to_utc(day + 2 * 3600 + 1800), day + 3600 + 1800);
        // 2024-10-27 02:30 happens twice: the earlier (CEST) instant.
        let oct = crate::clock::days_from_civil(2024, 10, 27) * 86_400;
        assert_eq!(z.to_utc(oct + 2 * 3600 + 1800), oct + 1800);
        assert_eq!(z.to_local(oct + 1800), oct + 2 * 3600 + 1800);
    }
}
