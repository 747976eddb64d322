//! RFC 5545 recurrence lines as Calendar accepts them in `Event.recurrence`
//! (RRULE, EXRULE, RDATE, EXDATE; never DTSTART/DTEND), and their expansion
//! on local wall time in the event's zone.
//!
//! Supported rule parts: FREQ (DAILY|WEEKLY|MONTHLY|YEARLY), INTERVAL, COUNT,
//! UNTIL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, WKST. Anything else (BYHOUR,
//! BYWEEKNO, HOURLY, ...) is refused: stricter than Google, but nothing the PBX
//! sends needs it, and a rule we cannot expand must not pass silently.

use crate::clock::{civil_from_days, days_from_civil, parse_basic_date, parse_basic_date_time};
use crate::zone::{self, Zone};

/// Safety net for rules that never end or never match: periods looked at per rule.
const MAX_PERIODS: i64 = 100_000;
/// No occurrence after year 9999 (RFC 3339 cannot write it).
const LAST_DAY: i64 = 2_932_896; // 9999-12-31

#[derive(Clone, Copy, PartialEq, Debug)]
enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

#[derive(Clone, Copy, Debug)]
enum Until {
    /// Days since the epoch, inclusive.
    Date(i64),
    /// UTC seconds, inclusive.
    Utc(i64),
    /// Local wall-clock seconds (only for all-day events).
    Floating(i64),
}

#[derive(Clone, Debug)]
struct Rule {
    freq: Freq,
    interval: i64,
    count: Option<i64>,
    until: Option<Until>,
    /// (ordinal, weekday): ordinal 0 = every such weekday; weekday 0 = Monday.
    byday: Vec<(i64, i64)>,
    bymonthday: Vec<i64>,
    bymonth: Vec<i64>,
    bysetpos: Vec<i64>,
    wkst: i64,
}

/// One RDATE/EXDATE value.
#[derive(Clone, Debug)]
enum Point {
    Date(i64),
    Utc(i64),
    /// Wall-clock seconds in the TZID zone, or in the event's zone when None.
    Local(i64, Option<String>),
}

/// A parsed `recurrence` list.
#[derive(Clone, Debug, Default)]
pub struct Recurrence {
    rrules: Vec<Rule>,
    exrules: Vec<Rule>,
    rdates: Vec<Point>,
    exdates: Vec<Point>,
}

/// One occurrence: local wall time and UTC, both in seconds since the epoch.
/// For all-day events both are the day's midnight "as if UTC".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Occurrence {
    pub local: i64,
    pub utc: i64,
}

/// Monday = 0 … Sunday = 6.
fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

fn parse_weekday(s: &str) -> Option<i64> {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
        .iter()
        .position(|w| *w == s)
        .map(|p| p as i64)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    days_from_civil(y + m / 12, m % 12 + 1, 1) - days_from_civil(y, m, 1)
}

/// An optionally signed decimal in `range` (no zero unless the range has it).
fn int_in(s: &str, range: std::ops::RangeInclusive<i64>, signed: bool) -> Option<i64> {
    let digits = if signed {
        s.strip_prefix(['+', '-']).unwrap_or(s)
    } else {
        s
    };
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = s.trim_start_matches('+').parse().ok()?;
    (range.contains(&n) && n != 0).then_some(n)
}

fn list<T>(v: &str, f: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    v.split(',').map(f).collect()
}

/// `[+|-][1..53]MO` etc.
fn parse_byday(s: &str) -> Option<(i64, i64)> {
    let split = s.len().checked_sub(2)?;
    let (ord, wd) = (s.get(..split)?, s.get(split..)?);
    let ord = if ord.is_empty() {
        0
    } else {
        int_in(ord, -53..=53, true)?
    };
    Some((ord, parse_weekday(wd)?))
}

fn parse_rule(value: &str, all_day: bool) -> Option<Rule> {
    let mut rule = Rule {
        freq: Freq::Daily,
        interval: 1,
        count: None,
        until: None,
        byday: Vec::new(),
        bymonthday: Vec::new(),
        bymonth: Vec::new(),
        bysetpos: Vec::new(),
        wkst: 0,
    };
    let mut seen: Vec<String> = Vec::new();
    for part in value.split(';') {
        let (k, v) = part.split_once('=')?;
        let (k, v) = (k.to_ascii_uppercase(), v.to_ascii_uppercase());
        if v.is_empty() || seen.contains(&k) {
            return None;
        }
        match k.as_str() {
            "FREQ" => {
                rule.freq = match v.as_str() {
                    "DAILY" => Freq::Daily,
                    "WEEKLY" => Freq::Weekly,
                    "MONTHLY" => Freq::Monthly,
                    "YEARLY" => Freq::Yearly,
                    _ => return None,
                }
            }
            "INTERVAL" => rule.interval = int_in(&v, 1..=i64::from(i32::MAX), false)?,
            "COUNT" => rule.count = Some(int_in(&v, 1..=i64::from(i32::MAX), false)?),
            "UNTIL" => {
                rule.until = Some(if v.len() == 8 {
                    Until::Date(parse_basic_date(&v)?)
                } else {
                    match parse_basic_date_time(&v)? {
                        (secs, true) => Until::Utc(secs),
                        // RFC 5545: with a zoned DTSTART, UNTIL MUST be UTC. Google is
                        // lenient here; the emulator is deliberately stricter.
                        (_, false) if !all_day => return None,
                        (secs, false) => Until::Floating(secs),
                    }
                })
            }
            "BYDAY" => rule.byday = list(&v, parse_byday)?,
            "BYMONTHDAY" => rule.bymonthday = list(&v, |x| int_in(x, -31..=31, true))?,
            "BYMONTH" => rule.bymonth = list(&v, |x| int_in(x, 1..=12, false))?,
            "BYSETPOS" => rule.bysetpos = list(&v, |x| int_in(x, -366..=366, true))?,
            "WKST" => rule.wkst = parse_weekday(&v)?,
            _ => return None,
        }
        seen.push(k);
    }
    let has = |k: &str| seen.iter().any(|s| s == k);
    let ordinals = rule.byday.iter().any(|(o, _)| *o != 0);
    let bad = !has("FREQ")
        || (has("COUNT") && has("UNTIL"))
        // RFC 5545: numeric BYDAY only with MONTHLY/YEARLY, no BYMONTHDAY with WEEKLY,
        // BYSETPOS only together with another BYxxx part.
        || (ordinals && matches!(rule.freq, Freq::Daily | Freq::Weekly))
        || (rule.freq == Freq::Weekly && !rule.bymonthday.is_empty())
        || (!rule.bysetpos.is_empty()
            && rule.byday.is_empty()
            && rule.bymonthday.is_empty()
            && rule.bymonth.is_empty());
    (!bad).then_some(rule)
}

/// The values of an RDATE/EXDATE line (`[;TZID=..][;VALUE=DATE|DATE-TIME]:v1,v2`).
fn parse_points<'a>(params: impl Iterator<Item = &'a str>, value: &str) -> Option<Vec<Point>> {
    let mut tzid: Option<String> = None;
    let mut date_only = false;
    for p in params {
        let (k, v) = p.split_once('=')?;
        match k.to_ascii_uppercase().as_str() {
            "TZID" if tzid.is_none() && zone::valid_time_zone(v) => tzid = Some(v.to_string()),
            "VALUE" => match v.to_ascii_uppercase().as_str() {
                "DATE" => date_only = true,
                "DATE-TIME" => {}
                _ => return None, // PERIOD is RFC 5545 but not supported here
            },
            _ => return None,
        }
    }
    list(value, |v| {
        let v = v.to_ascii_uppercase();
        if date_only || v.len() == 8 {
            return parse_basic_date(&v).map(Point::Date);
        }
        match parse_basic_date_time(&v)? {
            (_, true) if tzid.is_some() => None,
            (s, true) => Some(Point::Utc(s)),
            (s, false) => Some(Point::Local(s, tzid.clone())),
        }
    })
}

/// Parses Google's `recurrence` list; None means 400 "Invalid recurrence rule.".
pub fn parse(lines: &[&str], all_day: bool) -> Option<Recurrence> {
    let mut rec = Recurrence::default();
    for line in lines {
        let (head, value) = line.split_once(':')?;
        let mut params = head.split(';');
        let name = params.next()?.to_ascii_uppercase();
        match name.as_str() {
            "RRULE" | "EXRULE" => {
                if params.next().is_some() {
                    return None;
                }
                let rule = parse_rule(value, all_day)?;
                if name == "RRULE" {
                    rec.rrules.push(rule);
                } else {
                    rec.exrules.push(rule);
                }
            }
            "RDATE" => rec.rdates.extend(parse_points(params, value)?),
            "EXDATE" => rec.exdates.extend(parse_points(params, value)?),
            // DTSTART/DTEND are explicitly not allowed; anything else is unknown.
            _ => return None,
        }
    }
    Some(rec)
}

/// The event's first occurrence and how wall time maps to UTC.
pub struct Anchor<'a> {
    /// DTSTART as local wall-clock seconds.
    pub start_local: i64,
    pub all_day: bool,
    pub zone: &'a Zone,
}

impl Anchor<'_> {
    fn occurrence(&self, local: i64) -> Occurrence {
        let utc = if self.all_day {
            local
        } else {
            self.zone.to_utc(local)
        };
        Occurrence { local, utc }
    }
}

/// Collects occurrences with `from <= utc < to`, stopping at COUNT/UNTIL/`limit`.
struct Collector<'a> {
    rule: &'a Rule,
    anchor: &'a Anchor<'a>,
    from: i64,
    to: i64,
    limit: usize,
    seen: i64,
    out: Vec<Occurrence>,
}

impl Collector<'_> {
    /// Offers the next occurrence in order; false = expansion is over.
    fn offer(&mut self, local: i64) -> bool {
        let occ = self.anchor.occurrence(local);
        let past = match self.rule.until {
            Some(Until::Date(d)) => local.div_euclid(86_400) > d,
            Some(Until::Utc(u)) => occ.utc > u,
            Some(Until::Floating(l)) => local > l,
            None => false,
        };
        self.seen += 1;
        if past || self.rule.count.is_some_and(|c| self.seen > c) || occ.utc >= self.to {
            return false;
        }
        if occ.utc >= self.from {
            self.out.push(occ);
        }
        self.out.len() < self.limit
    }
}

/// Every day of `[first, first+len)` matching BYDAY, honouring ordinals (2TU, -1FR).
fn weekday_days(first: i64, len: i64, byday: &[(i64, i64)]) -> Vec<i64> {
    let mut out = Vec::new();
    for &(ord, wd) in byday {
        let matching: Vec<i64> = (first..first + len).filter(|d| weekday(*d) == wd).collect();
        match ord {
            0 => out.extend(matching),
            o if o > 0 => out.extend(matching.get(o as usize - 1)),
            o => out.extend(
                (matching.len() as i64 + o)
                    .try_into()
                    .ok()
                    .and_then(|i: usize| matching.get(i)),
            ),
        }
    }
    out
}

impl Rule {
    /// Candidate days of month `m` of year `y`; `dom` is DTSTART's day of month.
    fn month_days(&self, y: i64, m: i64, dom: i64) -> Vec<i64> {
        let first = days_from_civil(y, m, 1);
        let dim = days_in_month(y, m);
        if !self.bymonthday.is_empty() {
            let by_weekday = weekday_days(first, dim, &self.byday);
            self.bymonthday
                .iter()
                .map(|&md| if md > 0 { md } else { dim + 1 + md })
                // Months without the day (31, Feb 30) are skipped, as RFC 5545 says.
                .filter(|dom| (1..=dim).contains(dom))
                .map(|dom| first + dom - 1)
                .filter(|d| self.byday.is_empty() || by_weekday.contains(d))
                .collect()
        } else if !self.byday.is_empty() {
            weekday_days(first, dim, &self.byday)
        } else if dom <= dim {
            vec![first + dom - 1]
        } else {
            Vec::new()
        }
    }

    /// Candidate days of period `k` (sorted), or None past the end of time.
    fn period(&self, start_day: i64, k: i64) -> Option<Vec<i64>> {
        let (sy, sm, sd) = civil_from_days(start_day);
        let step = k.checked_mul(self.interval)?;
        let in_month = |d: &i64| {
            let (_, m, _) = civil_from_days(*d);
            self.bymonth.is_empty() || self.bymonth.contains(&m)
        };
        let mut days: Vec<i64> = match self.freq {
            Freq::Daily => {
                let d = start_day.checked_add(step)?;
                let (y, m, dom) = civil_from_days(d);
                let dim = days_in_month(y, m);
                let md_ok = self.bymonthday.is_empty()
                    || self
                        .bymonthday
                        .iter()
                        .any(|&md| md == dom || dim + 1 + md == dom);
                let wd_ok = self.byday.is_empty() || self.byday.iter().any(|b| b.1 == weekday(d));
                if md_ok && wd_ok && in_month(&d) {
                    vec![d]
                } else if d > LAST_DAY {
                    return None;
                } else {
                    Vec::new()
                }
            }
            Freq::Weekly => {
                let wd = weekday(start_day);
                let week = start_day - (wd - self.wkst).rem_euclid(7) + step.checked_mul(7)?;
                (week..week + 7)
                    .filter(|d| {
                        if self.byday.is_empty() {
                            weekday(*d) == wd
                        } else {
                            self.byday.iter().any(|b| b.1 == weekday(*d))
                        }
                    })
                    .filter(in_month)
                    .collect()
            }
            Freq::Monthly => {
                let idx = (sm - 1).checked_add(step)?;
                let (y, m) = (sy + idx.div_euclid(12), idx.rem_euclid(12) + 1);
                if y > 9999 {
                    return None;
                }
                if in_month(&days_from_civil(y, m, 1)) {
                    self.month_days(y, m, sd)
                } else {
                    Vec::new()
                }
            }
            Freq::Yearly => {
                let y = sy.checked_add(step)?;
                if y > 9999 {
                    return None;
                }
                if !self.bymonth.is_empty() {
                    let mut months = self.bymonth.clone();
                    months.sort_unstable();
                    months
                        .iter()
                        .flat_map(|&m| self.month_days(y, m, sd))
                        .collect()
                } else if !self.bymonthday.is_empty() {
                    (1..=12).flat_map(|m| self.month_days(y, m, sd)).collect()
                } else if !self.byday.is_empty() {
                    let jan1 = days_from_civil(y, 1, 1);
                    weekday_days(jan1, days_from_civil(y + 1, 1, 1) - jan1, &self.byday)
                } else {
                    // Feb 29 only exists in leap years; other years have no occurrence.
                    self.month_days(y, sm, sd)
                }
            }
        };
        if days.first().is_some_and(|d| *d > LAST_DAY) {
            return None;
        }
        days.sort_unstable();
        days.dedup();
        if !self.bysetpos.is_empty() {
            let n = days.len() as i64;
            let mut picked: Vec<i64> = self
                .bysetpos
                .iter()
                .filter_map(|&p| {
                    let i = if p > 0 { p - 1 } else { n + p };
                    (0..n).contains(&i).then(|| days[i as usize])
                })
                .collect();
            picked.sort_unstable();
            picked.dedup();
            days = picked;
        }
        Some(days)
    }

    /// Occurrences in `[from, to)`; DTSTART counts as the first one when `with_start`.
    fn expand(
        &self,
        anchor: &Anchor,
        from: i64,
        to: i64,
        limit: usize,
        with_start: bool,
    ) -> Vec<Occurrence> {
        let mut c = Collector {
            rule: self,
            anchor,
            from,
            to,
            limit,
            seen: 0,
            out: Vec::new(),
        };
        let start_day = anchor.start_local.div_euclid(86_400);
        let tod = anchor.start_local.rem_euclid(86_400);
        if with_start && !c.offer(anchor.start_local) {
            return c.out;
        }
        for k in 0..MAX_PERIODS {
            let Some(days) = self.period(start_day, k) else {
                break;
            };
            for d in days {
                let local = d * 86_400 + tod;
                let before = if with_start {
                    local <= anchor.start_local
                } else {
                    local < anchor.start_local
                };
                if !before && !c.offer(local) {
                    return c.out;
                }
            }
        }
        c.out
    }
}

impl Recurrence {
    /// The recurrence set (DTSTART + RRULEs + RDATEs − EXRULEs − EXDATEs) with
    /// `from <= utc < to`, sorted, at most `limit` occurrences.
    pub fn expand(&self, anchor: &Anchor, from: i64, to: i64, limit: usize) -> Vec<Occurrence> {
        let tod = anchor.start_local.rem_euclid(86_400);
        let point = |p: &Point| -> Occurrence {
            match p {
                Point::Date(d) => anchor.occurrence(d * 86_400 + tod),
                _ if anchor.all_day => {
                    let local = match p {
                        Point::Utc(s) | Point::Local(s, _) => *s,
                        Point::Date(d) => d * 86_400,
                    };
                    anchor.occurrence(local.div_euclid(86_400) * 86_400)
                }
                Point::Utc(s) => Occurrence {
                    local: anchor.zone.to_local(*s),
                    utc: *s,
                },
                Point::Local(s, tz) => {
                    let utc = match tz {
                        Some(name) => zone::zone_or_utc(Some(name)).to_utc(*s),
                        None => anchor.zone.to_utc(*s),
                    };
                    Occurrence {
                        local: anchor.zone.to_local(utc),
                        utc,
                    }
                }
            }
        };
        let mut all: Vec<Occurrence> = if self.rrules.is_empty() {
            anchor_only(anchor, from, to)
        } else {
            self.rrules
                .iter()
                .flat_map(|r| r.expand(anchor, from, to, limit, true))
                .collect()
        };
        all.extend(
            self.rdates
                .iter()
                .map(point)
                .filter(|o| (from..to).contains(&o.utc)),
        );
        let excluded: Vec<Occurrence> = self
            .exrules
            .iter()
            .flat_map(|r| r.expand(anchor, from, to, usize::MAX, false))
            .collect();
        all.retain(|o| {
            !excluded.iter().any(|x| x.utc == o.utc)
                && !self.exdates.iter().any(|p| match p {
                    // A date excludes that whole local day.
                    Point::Date(d) => o.local.div_euclid(86_400) == *d,
                    _ => point(p).utc == o.utc,
                })
        });
        all.sort_by_key(|o| o.utc);
        all.dedup_by_key(|o| o.utc);
        all.truncate(limit);
        all
    }
}

fn anchor_only(anchor: &Anchor, from: i64, to: i64) -> Vec<Occurrence> {
    let o = anchor.occurrence(anchor.start_local);
    if (from..to).contains(&o.utc) {
        vec![o]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The emulator's expansion against python-dateutil, an independent
    /// RFC 5545 engine (issue 16 A4): thousands of generated rules with
    /// BYDAY and INTERVAL, BYMONTHDAY=31 (short months skipped), -1MO,
    /// BYSETPOS, WKST, leap days, UNTIL and COUNT, in zones that change
    /// offset (the UTC instants are compared too, across DST gaps and
    /// folds). The checker: ffi-tests/rrule/dateutil_check.py.
    #[test]
    fn expansion_agrees_with_dateutil() {
        struct Lcg(u64);
        impl Lcg {
            fn next(&mut self, n: u64) -> u64 {
                self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (self.0 >> 33) % n
            }
        }
        let pick = |r: &mut Lcg, v: &[&'static str]| v[r.next(v.len() as u64) as usize];
        let days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
        let zones = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC", "Etc/GMT-1"];
        let mut rng = Lcg(0xD1FF_2026);
        let mut lines = Vec::new();
        let mut n = 0;
        while n < 3000 {
            let freq = pick(&mut rng, &["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]);
            let mut parts = vec![format!("FREQ={freq}")];
            let interval = [1, 1, 2, 3, 5][rng.next(5) as usize];
            if interval > 1 {
                parts.push(format!("INTERVAL={interval}"));
            }
            match (freq, rng.next(4)) {
                ("WEEKLY", 0..=1) => {
                    let k = 1 + rng.next(3) as usize;
                    let set: Vec<&str> = (0..k).map(|_| pick(&mut rng, &days)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
                    parts.push(format!("BYDAY={}", set.join(",")));
                    if rng.next(2) == 0 {
                        parts.push(format!("WKST={}", pick(&mut rng, &["MO", "SU", "WE"])));
                    }
                }
                ("MONTHLY", 0) => parts.push(format!("BYMONTHDAY={}", pick(&mut rng, &["31", "30", "29", "-1", "15"]))),
                ("MONTHLY", 1) => parts.push(format!("BYDAY={}{}", pick(&mut rng, &["1", "2", "-1", "-2", "4"]), pick(&mut rng, &days))),
                ("MONTHLY", 2) => {
                    parts.push("BYDAY=MO,TU,WE,TH,FR".into());
                    parts.push(format!("BYSETPOS={}", pick(&mut rng, &["1", "-1", "2"])));
                }
                ("YEARLY", 0) => parts.push(format!("BYMONTH={};BYMONTHDAY={}", 1 + rng.next(12), pick(&mut rng, &["29", "31", "1"]))),
                ("YEARLY", 1) => parts.push(format!("BYMONTH={};BYDAY=-1{}", 1 + rng.next(12), pick(&mut rng, &days))),
                _ => {}
            }
            let (y, m, d) = if rng.next(4) == 0 {
                [(2024, 2, 29), (2024, 1, 31), (2024, 3, 31), (2023, 10, 29), (2024, 3, 10)][rng.next(5) as usize]
            } else {
                (2020 + rng.next(8) as i64, 1 + rng.next(12) as i64, 1 + rng.next(28) as i64)
            };
            // 02:30 falls in Europe's and America's spring gaps on the
            // change days, and twice in their autumn folds.
            let (hh, mm) = [(10, 0), (2, 30), (1, 30), (23, 45), (0, 0)][rng.next(5) as usize];
            let tz = zones[rng.next(zones.len() as u64) as usize];
            let limit = 30usize;
            match rng.next(3) {
                0 => parts.push(format!("COUNT={}", 1 + rng.next(40))),
                1 => {
                    let (uy, um, ud) = civil_from_days(day(y, m, d) + rng.next(900) as i64);
                    parts.push(format!("UNTIL={uy:04}{um:02}{ud:02}T235959Z"));
                }
                _ => {}
            }
            let rule = format!("RRULE:{}", parts.join(";"));
            let Some(rec) = parse(&[rule.as_str()], false) else { continue };
            let Some(zone) = zone::lookup(tz) else { continue };
            let anchor = Anchor { start_local: day(y, m, d) * 86_400 + hh * 3600 + mm * 60, all_day: false, zone: &zone };
            let occ = rec.expand(&anchor, i64::MIN, i64::MAX, limit);
            let fmt = |local: i64| {
                let (y, m, d) = civil_from_days(local.div_euclid(86_400));
                let s = local.rem_euclid(86_400);
                format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
            };
            let case = serde_json::json!({
                "id": format!("emu-{n}"), "rule": rule,
                "dtstart": fmt(anchor.start_local), "tz": tz,
                "limit": limit, "got": occ.iter().map(|o| fmt(o.local)).collect::<Vec<_>>(),
                "utc": occ.iter().map(|o| o.utc).collect::<Vec<_>>(),
                "skip_unsynchronized": true,
            });
            lines.push(case.to_string());
            n += 1;
        }
        let path = std::env::temp_dir().join(format!("gs_gcal_emu_rrule_{}.jsonl", std::process::id()));
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let python = std::env::var("GS_GCAL_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../rrule/dateutil_check.py");
        let out = std::process::Command::new(&python).arg(script).arg(&path).output()
            .unwrap_or_else(|e| panic!("cannot run {python} (make setup installs python-dateutil): {e}"));
        let _ = std::fs::remove_file(&path);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        println!("{text}");
        assert!(out.status.success(), "the emulator and dateutil disagree:\n{text}");
    }

    fn day(y: i64, m: i64, d: i64) -> i64 {
        days_from_civil(y, m, d)
    }

    /// Local dates of the first `n` occurrences of `lines` from 10:00 UTC on y-m-d.
    fn dates(lines: &[&str], start: (i64, i64, i64), n: usize) -> Vec<(i64, i64, i64)> {
        let rec = parse(lines, false).expect("valid rule");
        let zone = Zone::Fixed(0);
        let anchor = Anchor {
            start_local: day(start.0, start.1, start.2) * 86_400 + 36_000,
            all_day: false,
            zone: &zone,
        };
        rec.expand(&anchor, i64::MIN, i64::MAX, n)
            .iter()
            .map(|o| civil_from_days(o.local.div_euclid(86_400)))
            .collect()
    }

    #[test]
    fn validation() {
        let ok = |l: &str| parse(&[l], false).is_some();
        assert!(ok("RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"));
        assert!(ok("RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20250101T000000Z"));
        assert!(ok("RRULE:FREQ=MONTHLY;BYMONTHDAY=-1,31;INTERVAL=2"));
        assert!(ok("RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;WKST=SU"));
        assert!(ok("RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"));
        assert!(ok(
            "EXDATE;TZID=Europe/Berlin:20240401T100000,20240408T100000"
        ));
        assert!(ok("RDATE;VALUE=DATE:20240401"));
        assert!(ok("EXRULE:FREQ=WEEKLY;BYDAY=FR"));
        assert!(ok("RRULE:FREQ=DAILY;UNTIL=20250101"));
        for bad in [
            "DTSTART:20240101T100000Z",
            "DTEND:20240101T100000Z",
            "RRULE:",
            "RRULE:COUNT=3",
            "RRULE:FREQ=HOURLY",
            "RRULE:FREQ=DAILY;COUNT=0",
            "RRULE:FREQ=DAILY;INTERVAL=-1",
            "RRULE:FREQ=DAILY;COUNT=2;UNTIL=20250101",
            "RRULE:FREQ=DAILY;UNTIL=20250101T000000",
            "RRULE:FREQ=DAILY;UNTIL=20250230",
            "RRULE:FREQ=WEEKLY;BYDAY=2TU",
            "RRULE:FREQ=MONTHLY;BYDAY=0TU",
            "RRULE:FREQ=MONTHLY;BYDAY=XX",
            "RRULE:FREQ=MONTHLY;BYMONTHDAY=32",
            "RRULE:FREQ=MONTHLY;BYMONTHDAY=0",
            "RRULE:FREQ=YEARLY;BYMONTH=13",
            "RRULE:FREQ=DAILY;BYSETPOS=1",
            "RRULE:FREQ=DAILY;BYHOUR=10",
            "RRULE:FREQ=DAILY;FREQ=WEEKLY",
            "RRULE:FREQ=DAILY;COUNT=",
            "RRULE;X=1:FREQ=DAILY",
            "EXDATE;TZID=Mars/Base:20240401T100000",
            "EXDATE:2024-04-01",
            "FOO:BAR",
        ] {
            assert!(!ok(bad), "{bad}");
        }
        // A floating UNTIL is fine for all-day events.
        assert!(parse(&["RRULE:FREQ=DAILY;UNTIL=20250101T000000"], true).is_some());
    }

    #[test]
    fn expansion() {
        // Weekly Mon+Wed from Monday 2024-01-01, 5 occurrences.
        assert_eq!(
            dates(&["RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=5"], (2024, 1, 1), 99),
            vec![
                (2024, 1, 1),
                (2024, 1, 3),
                (2024, 1, 8),
                (2024, 1, 10),
                (2024, 1, 15)
            ]
        );
        // The 31st skips short months.
        assert_eq!(
            dates(
                &["RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4"],
                (2024, 1, 31),
                99
            ),
            vec![(2024, 1, 31), (2024, 3, 31), (2024, 5, 31), (2024, 7, 31)]
        );
        // Last Friday.
        assert_eq!(
            dates(
                &["RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3"],
                (2024, 1, 26),
                99
            ),
            vec![(2024, 1, 26), (2024, 2, 23), (2024, 3, 29)]
        );
        // Feb 29 only in leap years.
        assert_eq!(
            dates(&["RRULE:FREQ=YEARLY;COUNT=3"], (2024, 2, 29), 99),
            vec![(2024, 2, 29), (2028, 2, 29), (2032, 2, 29)]
        );
        // Every other day until (inclusive) the 5th; EXDATE removes the 3rd.
        assert_eq!(
            dates(
                &[
                    "RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20240105T100000Z",
                    "EXDATE:20240103T100000Z"
                ],
                (2024, 1, 1),
                99
            ),
            vec![(2024, 1, 1), (2024, 1, 5)]
        );
        // Last weekday of the month.
        assert_eq!(
            dates(
                &["RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=2"],
                (2024, 5, 31),
                99
            ),
            vec![(2024, 5, 31), (2024, 6, 28)]
        );
        // Never-ending rules are capped.
        assert_eq!(dates(&["RRULE:FREQ=DAILY"], (2024, 1, 1), 1000).len(), 1000);
        // A rule that never matches ends too.
        assert_eq!(
            dates(
                &["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"],
                (2024, 1, 1),
                10
            ),
            vec![(2024, 1, 1)]
        );
        // Yearly nth weekday: US Thanksgiving-style 4th Thursday of November.
        assert_eq!(
            dates(
                &["RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=2"],
                (2024, 11, 28),
                99
            ),
            vec![(2024, 11, 28), (2025, 11, 27)]
        );
    }
}
