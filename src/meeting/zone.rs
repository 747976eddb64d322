//! Time zones: how a local wall time in an IANA zone maps to UTC, from the
//! zone's TZif bytes (read by `store::zoneinfo`) or, for `UTC` and
//! `Etc/GMT±N`, computed without any file. Pure: no disk, no clock.

use crate::errors::{Error, Result};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use tz::timezone::TransitionRule;

/// Wide enough that the offsets in force a day before and a day after a
/// wall time cover every UTC instant it can stand for (offsets are ≤ 26 h,
/// real ones ≤ 14 h plus DST).
const DAY: i64 = 86_400;

/// A time zone, by name, with its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    name: String,
    rules: Rules,
}

#[derive(Debug, Clone, PartialEq)]
enum Rules {
    Fixed(UtcOffset),
    Tz(tz::TimeZone),
}

/// How a local wall time maps to UTC in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    /// Exists once, at this offset.
    Unique(UtcOffset),
    /// Exists twice (clocks go back): `earlier` is the offset of the first
    /// of the two instants (the one before the change), `later` of the
    /// second.
    Ambiguous { earlier: UtcOffset, later: UtcOffset },
    /// Never exists (clocks jump forward over it).
    Gap,
}

impl Zone {
    /// From the bytes of a TZif file (v1–v3). The POSIX TZ footer of v2+
    /// files is honoured, so dates after the file's last transition (the
    /// far future) follow the zone's current DST rule.
    pub fn from_tzif(name: &str, bytes: &[u8]) -> Result<Zone> {
        let bad = |why: &dyn std::fmt::Display| {
            Error::InvalidTimeZone(format!(
                "time_zone: the zone file of \"{}\" is not usable: {why}",
                shorten(name)
            ))
        };
        let tz = tz::TimeZone::from_tz_data(bytes).map_err(|e| bad(&e))?;
        // Every offset must fit `UtcOffset` (±25:59:59), so resolving never
        // meets one it cannot express.
        let r = tz.as_ref();
        let rule_types = match r.extra_rule() {
            Some(TransitionRule::Fixed(t)) => vec![*t],
            Some(TransitionRule::Alternate(a)) => vec![*a.std(), *a.dst()],
            None => Vec::new(),
        };
        if let Some(t) = r
            .local_time_types()
            .iter()
            .chain(&rule_types)
            .find(|t| UtcOffset::from_whole_seconds(t.ut_offset()).is_err())
        {
            return Err(bad(&format_args!("UTC offset of {} seconds is out of range", t.ut_offset())));
        }
        Ok(Zone { name: name.to_owned(), rules: Rules::Tz(tz) })
    }

    /// `UTC`, `Etc/UTC`, `GMT`, `Etc/GMT` and `Etc/GMT±N` (N = 1–14 for `-`,
    /// 1–12 for `+`, no leading zero), computed without any file. The sign is
    /// POSIX's, inverted: `Etc/GMT-1` is UTC+01:00. `None` for anything else.
    pub fn fixed(name: &str) -> Option<Zone> {
        let hours: i8 = match name {
            "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" => 0,
            _ => {
                let rest = name.strip_prefix("Etc/GMT")?;
                let (east, n) = match (rest.strip_prefix('-'), rest.strip_prefix('+')) {
                    (Some(n), _) => (true, n),
                    (_, Some(n)) => (false, n),
                    _ => return None,
                };
                if !(1..=2).contains(&n.len())
                    || n.starts_with('0')
                    || !n.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                let n: i8 = n.parse().ok()?;
                match east {
                    true if n <= 14 => n,
                    false if n <= 12 => -n,
                    _ => return None,
                }
            }
        };
        let offset = UtcOffset::from_hms(hours, 0, 0).ok()?;
        Some(Zone { name: name.to_owned(), rules: Rules::Fixed(offset) })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The UTC offset (seconds) in force over the whole of `[from, to]`
    /// (unix seconds; `to` None: for ever), if it never changes there: no
    /// transition to another offset inside, and past the file's last
    /// transition a footer rule without DST at that offset.
    pub fn constant_offset(&self, from: i64, to: Option<i64>) -> Option<i32> {
        let tz = match &self.rules {
            Rules::Fixed(o) => return Some(o.whole_seconds()),
            Rules::Tz(tz) => tz,
        };
        let o = offset_at(tz, from)?;
        let r = tz.as_ref();
        let end = to.unwrap_or(i64::MAX);
        for t in r.transitions() {
            let at = t.unix_leap_time();
            if at > from && at <= end && r.local_time_types().get(t.local_time_type_index())?.ut_offset() != o {
                return None;
            }
        }
        let last = r.transitions().last().map_or(i64::MIN, |t| t.unix_leap_time());
        if end > last {
            match r.extra_rule() {
                None => {}
                Some(TransitionRule::Fixed(t)) if t.ut_offset() == o => {}
                Some(_) => return None,
            }
        }
        Some(o)
    }

    /// How a local wall time maps to UTC in this zone.
    ///
    /// Each offset in force around the wall time (a day either side, and
    /// those they lead to) gives a candidate instant `local − offset`; the
    /// candidates at which that same offset is in force are the instants the
    /// wall time stands for: none is a gap, two an ambiguity.
    pub fn resolve(&self, local: PrimitiveDateTime) -> Local {
        let tz = match &self.rules {
            Rules::Fixed(offset) => return Local::Unique(*offset),
            Rules::Tz(tz) => tz,
        };
        let wall = local.assume_utc().unix_timestamp();
        let mut candidates: Vec<i32> = Vec::with_capacity(4);
        for t in [wall - DAY, wall + DAY] {
            if let Some(o) = offset_at(tz, t) {
                if !candidates.contains(&o) {
                    candidates.push(o);
                }
            }
        }
        // (instant, offset) pairs that map back to `local`.
        let mut found: Vec<(i64, i32)> = Vec::with_capacity(2);
        let mut i = 0;
        // Bounded: a zone has few distinct offsets near any date.
        while i < candidates.len() && i < 8 {
            let o = candidates[i];
            i += 1;
            let instant = wall - i64::from(o);
            match offset_at(tz, instant) {
                Some(actual) if actual == o => found.push((instant, o)),
                Some(actual) if !candidates.contains(&actual) => candidates.push(actual),
                _ => {}
            }
        }
        let offset = |o: i32| UtcOffset::from_whole_seconds(o).unwrap_or(UtcOffset::UTC);
        // min/max, not a sort: saves the firmware ~3 KB of sort code.
        match (found.iter().min(), found.iter().max()) {
            (Some(&(a, oa)), Some(&(b, ob))) if a != b => {
                Local::Ambiguous { earlier: offset(oa), later: offset(ob) }
            }
            (Some(&(_, o)), _) => Local::Unique(offset(o)),
            _ => Local::Gap,
        }
    }

    /// Local wall time → UTC instant. An ambiguous time (clocks go back) is
    /// the earlier of its two instants, as RFC 5545 §3.3.5 rules for TZID
    /// times; a time in a gap (clocks jump forward) is refused, naming
    /// `field`.
    pub fn to_utc(&self, field: &str, local: PrimitiveDateTime) -> Result<OffsetDateTime> {
        let offset = match self.resolve(local) {
            Local::Unique(o) | Local::Ambiguous { earlier: o, .. } => o,
            Local::Gap => {
                return Err(Error::InvalidTime(format!(
                    "{field}: {} does not exist in {} (clocks jump forward)",
                    short_wall(local),
                    self.name
                )))
            }
        };
        local.assume_offset(offset).checked_to_offset(UtcOffset::UTC).ok_or_else(|| {
            Error::InvalidTime(format!(
                "{field}: {} in {} is out of range",
                short_wall(local),
                self.name
            ))
        })
    }
}

/// The UTC offset in force at a Unix time. A zone file without a rule for
/// times after its last transition keeps that transition's offset, as libc
/// does.
fn offset_at(tz: &tz::TimeZone, unix: i64) -> Option<i32> {
    match tz.find_local_time_type(unix) {
        Ok(t) => Some(t.ut_offset()),
        Err(tz::TzError::NoAvailableLocalTimeType) => {
            let r = tz.as_ref();
            let last = r.transitions().last()?;
            r.local_time_types().get(last.local_time_type_index()).map(|t| t.ut_offset())
        }
        Err(_) => None,
    }
}

/// `2024-03-31T02:30`, with seconds only when there are any.
fn short_wall(t: PrimitiveDateTime) -> String {
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    );
    if t.second() != 0 {
        s.push_str(&format!(":{:02}", t.second()));
    }
    s
}

fn shorten(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::localtime::parse_local;
    use crate::options::DEFAULT_ZONEINFO_DIR as DEFAULT_DIR;
    use crate::store::zoneinfo::read_zone;
    use std::path::Path;

    fn h(hours: i8) -> UtcOffset {
        UtcOffset::from_hms(hours, 0, 0).unwrap()
    }

    fn dt(s: &str) -> PrimitiveDateTime {
        parse_local("start", s).unwrap()
    }

    /// The zone from the system's database; `None` (with a note) on a
    /// machine without one.
    fn system(name: &str) -> Option<Zone> {
        match read_zone(Path::new(DEFAULT_DIR), name).unwrap() {
            None => {
                eprintln!("note: no {DEFAULT_DIR} here; test with {name} skipped");
                None
            }
            Some(bytes) => Some(Zone::from_tzif(name, &bytes).unwrap()),
        }
    }

    fn utc(z: &Zone, s: &str) -> String {
        let t = z.to_utc("start", dt(s)).unwrap();
        assert_eq!(t.offset(), UtcOffset::UTC);
        t.format(&time::format_description::well_known::Rfc3339).unwrap()
    }

    #[test]
    fn fixed_zones_use_the_posix_sign() {
        let z = Zone::fixed("Etc/GMT-1").unwrap();
        assert_eq!(z.name(), "Etc/GMT-1");
        for s in ["2024-03-31T02:30", "2024-10-27T02:30", "2040-07-01T12:00"] {
            assert_eq!(z.resolve(dt(s)), Local::Unique(h(1)));
        }
        assert_eq!(utc(&z, "2024-04-29T10:00"), "2024-04-29T09:00:00Z");
        assert_eq!(Zone::fixed("Etc/GMT+5").unwrap().resolve(dt("2024-01-01T00:00")), Local::Unique(h(-5)));
        assert_eq!(utc(&Zone::fixed("Etc/GMT+5").unwrap(), "2024-12-31T22:00"), "2025-01-01T03:00:00Z");
        assert_eq!(Zone::fixed("Etc/GMT-14").unwrap().resolve(dt("2024-01-01T00:00")), Local::Unique(h(14)));
        assert_eq!(Zone::fixed("Etc/GMT+12").unwrap().resolve(dt("2024-01-01T00:00")), Local::Unique(h(-12)));
        for name in ["UTC", "Etc/UTC", "GMT", "Etc/GMT"] {
            assert_eq!(Zone::fixed(name).unwrap().resolve(dt("2024-01-01T00:00")), Local::Unique(UtcOffset::UTC));
        }
        for bad in ["Etc/GMT+13", "Etc/GMT-15", "Etc/GMT1", "Etc/GMT+0", "Etc/GMT-01", "Etc/GMT+",
                    "Etc/GMT-1x", "Etc/GMT-100", "GMT+1", "Etc/GMT€", "utc", "Europe/Berlin", ""] {
            assert!(Zone::fixed(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn fixed_zones_agree_with_the_name_check() {
        for n in -20..=20 {
            for name in [format!("Etc/GMT{n:+}"), format!("Etc/GMT{n}")] {
                if Zone::fixed(&name).is_some() {
                    assert!(crate::meeting::localtime::check_time_zone(&name).is_ok(), "{name}");
                }
            }
        }
    }

    #[test]
    fn fixed_zones_match_the_system_files() {
        for name in ["Etc/GMT-1", "Etc/GMT+5", "Etc/GMT-14", "Etc/GMT+12", "Etc/UTC", "UTC", "GMT"] {
            let Some(file) = system(name) else { return };
            let t = dt("2024-06-01T12:00");
            assert_eq!(file.resolve(t), Zone::fixed(name).unwrap().resolve(t), "{name}");
        }
    }

    #[test]
    fn berlin() {
        let Some(z) = system("Europe/Berlin") else { return };
        assert_eq!(z.name(), "Europe/Berlin");
        assert_eq!(z.resolve(dt("2024-03-31T02:30")), Local::Gap);
        assert_eq!(z.resolve(dt("2024-03-31T02:00")), Local::Gap);
        assert_eq!(z.resolve(dt("2024-03-31T01:59:59")), Local::Unique(h(1)));
        assert_eq!(z.resolve(dt("2024-03-31T03:00")), Local::Unique(h(2)));
        assert_eq!(
            z.resolve(dt("2024-10-27T02:30")),
            Local::Ambiguous { earlier: h(2), later: h(1) }
        );
        assert_eq!(
            z.resolve(dt("2024-10-27T02:00")),
            Local::Ambiguous { earlier: h(2), later: h(1) }
        );
        assert_eq!(z.resolve(dt("2024-10-27T03:00")), Local::Unique(h(1)));
        assert_eq!(z.resolve(dt("2024-10-27T01:59:59")), Local::Unique(h(2)));
        assert_eq!(z.resolve(dt("2024-04-29T10:00")), Local::Unique(h(2)));
        assert_eq!(z.resolve(dt("2024-01-15T10:00")), Local::Unique(h(1)));

        assert_eq!(utc(&z, "2024-04-29T10:00"), "2024-04-29T08:00:00Z");
        // Ambiguous: the first of the two instants (still summer time).
        assert_eq!(utc(&z, "2024-10-27T02:30"), "2024-10-27T00:30:00Z");
        let e = z.to_utc("start", dt("2024-03-31T02:30")).unwrap_err();
        assert_eq!(
            e,
            Error::InvalidTime(
                "start: 2024-03-31T02:30 does not exist in Europe/Berlin (clocks jump forward)".into()
            )
        );
        let e = z.to_utc("end", dt("2024-03-31T02:30:15")).unwrap_err();
        assert!(e.to_string().starts_with("end: 2024-03-31T02:30:15 does not exist"), "{e}");
    }

    #[test]
    fn new_york() {
        let Some(z) = system("America/New_York") else { return };
        assert_eq!(z.resolve(dt("2024-03-10T02:30")), Local::Gap);
        assert_eq!(
            z.resolve(dt("2024-11-03T01:30")),
            Local::Ambiguous { earlier: h(-4), later: h(-5) }
        );
        assert_eq!(utc(&z, "2024-11-03T01:30"), "2024-11-03T05:30:00Z");
        assert_eq!(utc(&z, "2024-07-04T09:00"), "2024-07-04T13:00:00Z");
        assert_eq!(utc(&z, "2024-12-24T18:00"), "2024-12-24T23:00:00Z");
    }

    #[test]
    fn far_future_follows_the_footer_rule() {
        // Debian's files carry explicit transitions only up to 2037; later
        // dates come from the POSIX TZ footer.
        let Some(berlin) = system("Europe/Berlin") else { return };
        // Last Sundays in 2040: March 25, October 28.
        assert_eq!(berlin.resolve(dt("2040-03-25T02:30")), Local::Gap);
        assert_eq!(
            berlin.resolve(dt("2040-10-28T02:30")),
            Local::Ambiguous { earlier: h(2), later: h(1) }
        );
        assert_eq!(utc(&berlin, "2040-07-01T12:00"), "2040-07-01T10:00:00Z");
        assert_eq!(utc(&berlin, "2040-12-01T12:00"), "2040-12-01T11:00:00Z");
        assert_eq!(utc(&berlin, "2400-07-01T12:00"), "2400-07-01T10:00:00Z");

        let Some(ny) = system("America/New_York") else { return };
        // Second Sunday in March, first Sunday in November 2040.
        assert_eq!(ny.resolve(dt("2040-03-11T02:30")), Local::Gap);
        assert_eq!(
            ny.resolve(dt("2040-11-04T01:30")),
            Local::Ambiguous { earlier: h(-4), later: h(-5) }
        );
        assert_eq!(ny.resolve(dt("2040-03-04T02:30")), Local::Unique(h(-5)));
    }

    #[test]
    fn odd_zones() {
        // Samoa skipped 2011-12-30 entirely (UTC−10 → UTC+14).
        if let Some(z) = system("Pacific/Apia") {
            assert_eq!(z.resolve(dt("2011-12-30T12:00")), Local::Gap);
            assert_eq!(z.resolve(dt("2011-12-29T23:59")), Local::Unique(h(-10)));
            assert_eq!(z.resolve(dt("2011-12-31T00:00")), Local::Unique(h(14)));
        }
        // Lord Howe: DST of 30 minutes.
        if let Some(z) = system("Australia/Lord_Howe") {
            assert_eq!(z.resolve(dt("2024-10-06T02:15")), Local::Gap);
            assert_eq!(
                z.resolve(dt("2024-04-07T01:45")),
                Local::Ambiguous { earlier: h(11), later: UtcOffset::from_hms(10, 30, 0).unwrap() }
            );
        }
        // Southern hemisphere; Kolkata (+05:30, no DST).
        if let Some(z) = system("America/Sao_Paulo") {
            assert_eq!(z.resolve(dt("2018-11-04T00:30")), Local::Gap);
            assert_eq!(z.resolve(dt("2024-11-04T00:30")), Local::Unique(h(-3)));
        }
        if let Some(z) = system("Asia/Kolkata") {
            assert_eq!(utc(&z, "2040-01-01T05:30"), "2040-01-01T00:00:00Z");
        }
    }

    /// Cross-checks `resolve` against tz-rs's own exhaustive search, every
    /// 15 minutes through years full of changes.
    #[test]
    fn agrees_with_tz_rs_search() {
        use tz::datetime::{DateTime, FoundDateTimeKind};
        let cases = [
            ("Europe/Berlin", 2024),
            ("America/New_York", 2040),
            ("Pacific/Apia", 2011),
            ("Pacific/Kiritimati", 1994),
            ("Australia/Lord_Howe", 2024),
            ("Africa/Casablanca", 2024),
            ("America/Santiago", 2024),
            ("Antarctica/Troll", 2024),
            ("Europe/Dublin", 2024),
            ("Asia/Gaza", 2024),
        ];
        for (name, year) in cases {
            let Some(z) = system(name) else { return };
            let Rules::Tz(tz) = &z.rules else { unreachable!() };
            let mut t = PrimitiveDateTime::new(
                time::Date::from_calendar_date(year, time::Month::January, 1).unwrap(),
                time::Time::MIDNIGHT,
            );
            while t.year() == year {
                let found = DateTime::find(
                    t.year(), t.month().into(), t.day(), t.hour(), t.minute(), t.second(), 0,
                    tz.as_ref(),
                )
                .unwrap()
                .into_inner();
                let offsets: Vec<UtcOffset> = found
                    .iter()
                    .filter_map(|f| match f {
                        FoundDateTimeKind::Normal(d) => {
                            UtcOffset::from_whole_seconds(d.local_time_type().ut_offset()).ok()
                        }
                        FoundDateTimeKind::Skipped { .. } => None,
                    })
                    .collect();
                let expected = match offsets[..] {
                    [] => Local::Gap,
                    [o] => Local::Unique(o),
                    [a, b] => Local::Ambiguous { earlier: a, later: b },
                    _ => panic!("{name} {t}: {offsets:?}"),
                };
                assert_eq!(z.resolve(t), expected, "{name} {t}");
                t += time::Duration::minutes(15);
            }
        }
    }

    #[test]
    fn garbage_is_not_a_zone() {
        for bytes in [&b""[..], b"not a zone file", b"TZif", b"TZif2\0\0\0garbage", &[0xff; 200]] {
            match Zone::from_tzif("Europe/Berlin", bytes) {
                Err(Error::InvalidTimeZone(s)) => assert!(s.contains("Europe/Berlin"), "{s}"),
                other => panic!("{other:?}"),
            }
        }
        // A real file cut short.
        if let Ok(Some(bytes)) = read_zone(Path::new(DEFAULT_DIR), "Europe/Berlin") {
            assert!(matches!(
                Zone::from_tzif("Europe/Berlin", &bytes[..bytes.len() / 2]),
                Err(Error::InvalidTimeZone(_))
            ));
        }
    }

    /// A TZif v1 file (no footer rule): `types` as (UTC offset, is DST),
    /// `transitions` as (Unix time, type index).
    fn tzif_v1(types: &[(i32, bool)], transitions: &[(i32, u8)]) -> Vec<u8> {
        let mut b = b"TZif\0".to_vec();
        b.extend([0; 15]);
        for count in [0, 0, 0, transitions.len(), types.len(), 4 * types.len()] {
            b.extend((count as u32).to_be_bytes());
        }
        transitions.iter().for_each(|(t, _)| b.extend(t.to_be_bytes()));
        transitions.iter().for_each(|(_, i)| b.push(*i));
        for (i, (off, dst)) in types.iter().enumerate() {
            b.extend(off.to_be_bytes());
            b.extend([u8::from(*dst), 4 * i as u8]);
        }
        types.iter().for_each(|_| b.extend(b"ZZZ\0"));
        b
    }

    #[test]
    fn files_without_a_footer_keep_the_last_offset() {
        // +01:00 until 2001-09-09T01:46:40Z, +02:00 from then on, for ever.
        let z = Zone::from_tzif("Test/V1", &tzif_v1(&[(3600, false), (7200, true)], &[(1_000_000_000, 1)]))
            .unwrap();
        assert_eq!(z.resolve(dt("1990-01-01T12:00")), Local::Unique(h(1)));
        assert_eq!(z.resolve(dt("2001-09-09T02:46:39")), Local::Unique(h(1)));
        assert_eq!(z.resolve(dt("2001-09-09T03:00")), Local::Gap);
        assert_eq!(z.resolve(dt("2001-09-09T03:46:40")), Local::Unique(h(2)));
        assert_eq!(z.resolve(dt("2050-01-01T12:00")), Local::Unique(h(2)));
        assert_eq!(utc(&z, "2050-01-01T12:00"), "2050-01-01T10:00:00Z");
        // And back: 2001-09-09T03:00–03:46:40 happens twice.
        let z = Zone::from_tzif("Test/V1", &tzif_v1(&[(7200, true), (3600, false)], &[(1_000_000_000, 1)]))
            .unwrap();
        assert_eq!(
            z.resolve(dt("2001-09-09T03:00")),
            Local::Ambiguous { earlier: h(2), later: h(1) }
        );
    }

    #[test]
    fn offsets_beyond_26_hours_are_refused() {
        let bytes = tzif_v1(&[(3600, false), (27 * 3600, false)], &[(0, 1)]);
        assert!(matches!(Zone::from_tzif("Test/Far", &bytes), Err(Error::InvalidTimeZone(_))));
    }

    #[test]
    fn out_of_range_is_an_error_not_a_panic() {
        let z = Zone::fixed("Etc/GMT+12").unwrap();
        let e = z.to_utc("end", dt("9999-12-31T23:00")).unwrap_err();
        assert!(matches!(e, Error::InvalidTime(_)), "{e}");
        if let Some(z) = system("America/New_York") {
            assert!(matches!(z.to_utc("end", dt("9999-12-31T23:00")), Err(Error::InvalidTime(_))));
            assert!(z.to_utc("start", dt("0001-01-01T00:00")).is_ok());
        }
    }
}
