//! Local wall times and time zone names as the PBX gives them. Google wants
//! local wall time plus an IANA `timeZone` (no offset), which stays right
//! across DST changes; so no offset arithmetic happens here.

use crate::errors::{Error, Result};
use time::{Date, Month, PrimitiveDateTime, Time};

/// Parses `YYYY-MM-DDTHH:MM[:SS]` (a space may replace the `T`).
pub fn parse_local(field: &str, s: &str) -> Result<PrimitiveDateTime> {
    let bad = || {
        Error::InvalidTime(format!(
            "{field}: \"{}\" is not a local date and time like 2024-04-29T10:00",
            shorten(s)
        ))
    };
    let (d, t) = s.split_once(['T', ' ']).ok_or_else(bad)?;
    let date = parse_date(d).ok_or_else(bad)?;
    let time = parse_time(t).ok_or_else(bad)?;
    Ok(PrimitiveDateTime::new(date, time))
}

/// The end of a meeting: a full local date-time, or only `HH:MM[:SS]` on
/// the start's date — the next day when it is not after the start time
/// (a meeting from 23:00 to 01:00 ends the next day, as on the UCM form).
pub fn parse_end(s: &str, start: PrimitiveDateTime) -> Result<PrimitiveDateTime> {
    let end = if s.contains(['T', ' ']) {
        parse_local("end", s)?
    } else {
        let t = parse_time(s).ok_or_else(|| {
            Error::InvalidTime(format!(
                "end: \"{}\" is neither a local date and time nor a time like 11:00",
                shorten(s)
            ))
        })?;
        let same_day = PrimitiveDateTime::new(start.date(), t);
        if t > start.time() {
            same_day
        } else {
            let next = start.date().next_day().ok_or_else(|| {
                Error::InvalidTime("end: the day after the start is out of range".into())
            })?;
            PrimitiveDateTime::new(next, t)
        }
    };
    if end <= start {
        return Err(Error::InvalidTime(format!(
            "end ({}) must be after start ({})",
            wall(end),
            wall(start)
        )));
    }
    Ok(end)
}

/// Parses a local date `YYYY-MM-DD` for a named field.
pub fn parse_date_field(field: &str, s: &str) -> Result<Date> {
    parse_date(s).ok_or_else(|| {
        Error::InvalidTime(format!("{field}: \"{}\" is not a date like 2024-12-31", shorten(s)))
    })
}

fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = Month::try_from(digits(m)? as u8).ok()?;
    Date::from_calendar_date(digits(y)? as i32, month, digits(d)? as u8).ok()
}

fn parse_time(s: &str) -> Option<Time> {
    let mut it = s.split(':');
    let h = it.next()?;
    let m = it.next()?;
    let sec = it.next().unwrap_or("00");
    if it.next().is_some() || h.len() != 2 || m.len() != 2 || sec.len() != 2 {
        return None;
    }
    Time::from_hms(digits(h)? as u8, digits(m)? as u8, digits(sec)? as u8).ok()
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `2024-04-29T10:00:00`: the RFC 3339 date-time without offset that Google
/// accepts together with `timeZone`.
pub fn wall(t: PrimitiveDateTime) -> String {
    // Without format!'s machinery: this runs twice per push (issue 7).
    let Ok(year) = u32::try_from(t.year()) else {
        return format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second());
    };
    let mut b = *b"0000-00-00T00:00:00";
    let fields = [(0, 4, year), (5, 2, u8::from(t.month()).into()), (8, 2, t.day().into()), (11, 2, t.hour().into()), (14, 2, t.minute().into()), (17, 2, t.second().into())];
    for (at, width, mut v) in fields {
        for d in b[at..at + width].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    String::from_utf8_lossy(&b).into_owned() // ASCII: a plain copy
}

/// Checks that a time zone is shaped like an IANA name: `UTC`, `Etc/GMT-1`
/// (POSIX sign: UTC+01:00), or `Area/Location[/Sub]`. Whether the zone exists
/// needs a zone database, which this check does not carry.
pub fn check_time_zone(tz: &str) -> Result<()> {
    let bad = || {
        Error::InvalidTimeZone(format!(
            "time_zone: \"{}\" is not an IANA time zone name such as Europe/Berlin or Etc/GMT-1",
            shorten(tz)
        ))
    };
    if tz == "UTC" || tz == "GMT" || tz == "Etc/UTC" || tz == "Etc/GMT" {
        return Ok(());
    }
    if let Some(off) = tz.strip_prefix("Etc/GMT") {
        // By bytes: the text after "Etc/GMT" may start with any character.
        let (sign, n) = match off.as_bytes().first() {
            Some(b'-') => ("-", &off[1..]),
            Some(b'+') => ("+", &off[1..]),
            _ => return Err(bad()),
        };
        let n = digits(n).filter(|_| (1..=2).contains(&n.len())).ok_or_else(bad)?;
        return match sign {
            "-" if (1..=14).contains(&n) => Ok(()),
            "+" if (1..=12).contains(&n) => Ok(()),
            _ => Err(bad()),
        };
    }
    let parts: Vec<&str> = tz.split('/').collect();
    let part_ok = |p: &&str| {
        !p.is_empty()
            && p.len() <= 30
            && p.starts_with(|c: char| c.is_ascii_uppercase())
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b))
    };
    if tz.len() <= 64 && (2..=3).contains(&parts.len()) && parts.iter().all(part_ok) {
        Ok(())
    } else {
        Err(bad())
    }
}

fn shorten(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> PrimitiveDateTime {
        parse_local("start", s).unwrap()
    }

    #[test]
    fn local_times() {
        assert_eq!(wall(dt("2024-04-29T10:00")), "2024-04-29T10:00:00");
        assert_eq!(wall(dt("2024-02-29 23:59:59")), "2024-02-29T23:59:59");
        for bad in ["2023-02-29T10:00", "2024-13-01T10:00", "2024-04-29T24:00", "2024-04-29",
                    "2024-4-29T10:00", "2024-04-29T10:60", "x", "2024-04-29T10:00:00Z", "+2024-04-29T10:00"] {
            assert!(matches!(parse_local("start", bad), Err(Error::InvalidTime(_))), "{bad}");
        }
    }

    #[test]
    fn end_times() {
        let s = dt("2024-04-29T10:00");
        assert_eq!(wall(parse_end("11:00", s).unwrap()), "2024-04-29T11:00:00");
        assert_eq!(wall(parse_end("2024-04-29T11:30", s).unwrap()), "2024-04-29T11:30:00");
        let late = dt("2024-12-31T23:00");
        assert_eq!(wall(parse_end("01:00", late).unwrap()), "2025-01-01T01:00:00");
        assert!(matches!(parse_end("2024-04-29T09:00", s), Err(Error::InvalidTime(_))));
        assert!(matches!(parse_end("2024-04-29T10:00", s), Err(Error::InvalidTime(_))));
        assert!(matches!(parse_end("25:00", s), Err(Error::InvalidTime(_))));
    }

    #[test]
    fn zones() {
        for ok in ["Etc/GMT-1", "Etc/GMT+5", "Etc/GMT-14", "UTC", "Europe/Berlin",
                   "America/Argentina/Buenos_Aires", "America/Port-au-Prince"] {
            assert!(check_time_zone(ok).is_ok(), "{ok}");
        }
        for bad in ["", "GMT+1", "Etc/GMT-15", "Etc/GMT+13", "Etc/GMT1", "europe/berlin",
                    "Europe/", "/Berlin", "Europe/Ber lin", "+01:00",
                    // found by the meeting fuzz target: a multibyte character after the prefix
                    "Etc/GMTë", "Etc/GMT-ë", "Etc/GMT+1ë"] {
            assert!(matches!(check_time_zone(bad), Err(Error::InvalidTimeZone(_))), "{bad}");
        }
    }
}
