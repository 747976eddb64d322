//! The UCM "Schedule Meeting" form's Repeat options as RFC 5545 RRULE lines,
//! exactly as Google Calendar takes them in `recurrence[]`
//! (`RRULE:FREQ=WEEKLY;BYDAY=MO,WE`; DTSTART is not allowed there).
//!
//! Google expands a rule on local wall time in the event's `start.timeZone`,
//! starting at the event's start. Everything here therefore works on local
//! dates only: pure, no clock, no time zone database.
//!
//! UCM presets: "Daily" = Daily/1; "Weekly" = Weekly/1 on the start's
//! weekday; "Every weekday (Mon–Fri)" = Weekly/1 with Mon–Fri; "Monthly by
//! day of month" = Monthly/1 DayOfMonth; "Monthly by n-th weekday" =
//! Monthly/1 NthWeekday; "Yearly" = Yearly/1; "Custom" = any interval with
//! Daily/Weekly/Monthly and chosen weekdays.

use crate::errors::{Error, Result};
use time::{Date, Month, PrimitiveDateTime, Weekday};

/// The most occurrences a series may have, however its end is given.
pub(crate) const MAX_COUNT: u32 = 1000;
/// The largest "every N" the form offers.
pub(crate) const MAX_INTERVAL: u32 = 99;

/// `weekdays` bits for Monday to Friday ("Every weekday").
pub(crate) const WEEKDAYS_MON_FRI: u8 = 0b001_1111;

const BYDAY: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthlyBy {
    /// On the start's day of the month (`BYMONTHDAY`).
    DayOfMonth,
    /// On the start's n-th (or last) weekday of the month (`BYDAY=2TU`).
    NthWeekday,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Never,
    /// The number of occurrences, the first included (1..=1000).
    Count(u32),
    /// The last local date that may hold an occurrence (inclusive).
    Until(Date),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub freq: Freq,
    /// Every N units, 1..=99.
    pub interval: u32,
    /// Weekly only: bit 0 = Monday … bit 6 = Sunday; 0 = the start's weekday.
    pub weekdays: u8,
    /// Monthly only.
    pub monthly_by: MonthlyBy,
    pub end: End,
}

impl Repeat {
    /// Validates against the first occurrence's local start and returns the
    /// RRULE line: `RRULE:FREQ=…`, then `;INTERVAL=N` when N > 1, then the
    /// BY part, then `;COUNT=N` — always in this order.
    ///
    /// # Ends given as a date become COUNT
    ///
    /// `End::Until(date)` is sent as the number of occurrences whose local
    /// date is on or before `date`, never as `UNTIL`. RFC 5545 requires UNTIL
    /// in UTC when DTSTART has a TZID (as every Google event with a
    /// `timeZone` has), and turning the end date's local midnight into UTC
    /// needs the zone's offset on that future date — a zone database the
    /// firmware does not have, and a DST mistake would drop or add the last
    /// occurrence. Google expands the rule on local dates in the event's
    /// zone, so counting local dates gives exactly the same series with no
    /// zone database and no DST risk.
    pub fn rrule(&self, start: PrimitiveDateTime) -> Result<String> {
        let start = start.date();
        self.validate(start)?;
        let mut s = String::from("RRULE:FREQ=");
        s.push_str(match self.freq {
            Freq::Daily => "DAILY",
            Freq::Weekly => "WEEKLY",
            Freq::Monthly => "MONTHLY",
            Freq::Yearly => "YEARLY",
        });
        if self.interval > 1 {
            s.push_str(&format!(";INTERVAL={}", self.interval));
        }
        match self.freq {
            // Daily and yearly need no BY part: Google (and RFC 5545) take
            // the time, and for yearly the month and day, from the start.
            Freq::Daily | Freq::Yearly => {}
            // Always spelled out, even for the start's weekday alone, as
            // Google's own UI does.
            Freq::Weekly => {
                let days: Vec<&str> = (0..7)
                    .filter(|i| self.week_bits(start) & (1 << i) != 0)
                    .map(|i| BYDAY[i])
                    .collect();
                s.push_str(";BYDAY=");
                s.push_str(&days.join(","));
            }
            // RFC 5545 skips months without that day: a series on the 31st
            // has no occurrence in April, June, September, November or
            // February (no "last day of the month" fallback). Google follows
            // the RFC, and so does `occurrences`.
            Freq::Monthly if self.monthly_by == MonthlyBy::DayOfMonth => {
                s.push_str(&format!(";BYMONTHDAY={}", start.day()));
            }
            Freq::Monthly => {
                let wd = BYDAY[start.weekday().number_days_from_monday() as usize];
                s.push_str(&format!(";BYDAY={}{wd}", nth_weekday(start)));
            }
        }
        let count = match self.end {
            End::Never => None,
            End::Count(n) => {
                if !(1..=MAX_COUNT).contains(&n) {
                    return Err(Error::InvalidArgument(format!(
                        "repeat_count: {n} is not between 1 and {MAX_COUNT}"
                    )));
                }
                Some(n)
            }
            End::Until(until) => Some(self.count_until(start, until)?),
        };
        if let Some(n) = count {
            s.push_str(&format!(";COUNT={n}"));
        }
        Ok(s)
    }

    /// The local start dates of the first `limit` occurrences in series
    /// order, as RFC 5545 (and Google) expand the rule that `rrule` writes
    /// for this start. Fewer when the series ends (`End`) or runs past the
    /// last representable date.
    ///
    /// Infallible on purpose: an interval of 0 counts as 1, bit 7 of
    /// `weekdays` is ignored, `weekdays` is ignored for other than weekly;
    /// a start that is not one of the chosen weekdays is not an occurrence
    /// (RFC 5545 leaves that case undefined; `rrule` rejects it).
    pub fn occurrences(&self, start: Date, limit: usize) -> Vec<Date> {
        let max = match self.end {
            End::Never => limit,
            End::Count(n) => limit.min(n as usize),
            End::Until(_) => limit,
        };
        let mut out = Vec::new();
        if max == 0 {
            return out;
        }
        self.expand(start, |d| {
            if let End::Until(until) = self.end {
                if d > until {
                    return false;
                }
            }
            out.push(d);
            out.len() < max
        });
        out
    }

    fn validate(&self, start: Date) -> Result<()> {
        if !(1..=MAX_INTERVAL).contains(&self.interval) {
            return Err(Error::InvalidArgument(format!(
                "repeat_interval: {} is not between 1 and {MAX_INTERVAL}",
                self.interval
            )));
        }
        if self.weekdays & 0x80 != 0 {
            return Err(Error::InvalidArgument(format!(
                "repeat_weekdays: 0x{:02x} has bit 7 set; only bits 0 (Monday) to 6 (Sunday) exist",
                self.weekdays
            )));
        }
        if self.weekdays != 0 && self.freq != Freq::Weekly {
            return Err(Error::InvalidArgument(format!(
                "repeat_weekdays: weekdays can only be chosen for a weekly repeat, not {}",
                match self.freq {
                    Freq::Daily => "daily",
                    Freq::Weekly => "weekly",
                    Freq::Monthly => "monthly",
                    Freq::Yearly => "yearly",
                }
            )));
        }
        // RFC 5545 leaves a DTSTART that does not match the rule undefined
        // (Google counts it as an extra first occurrence); refuse it. Only
        // weekly can mismatch: the other BY parts are taken from the start.
        if self.freq == Freq::Weekly && self.week_bits(start) & weekday_bit(start) == 0 {
            return Err(Error::InvalidArgument(format!(
                "start: {start} is a {}, not one of the chosen weekdays",
                start.weekday()
            )));
        }
        Ok(())
    }

    /// The occurrences on or before `until` (validated rule), as COUNT.
    fn count_until(&self, start: Date, until: Date) -> Result<u32> {
        // A repeat that does not fit its start is a repeat error (103),
        // like every repeat combination; 106 is for malformed dates.
        if until < start {
            return Err(Error::InvalidArgument(format!(
                "repeat_until: {until} is before the start ({start})"
            )));
        }
        let mut n: u32 = 0;
        self.expand(start, |d| {
            if d > until {
                return false;
            }
            n += 1;
            n <= MAX_COUNT
        });
        if n > MAX_COUNT {
            return Err(Error::InvalidArgument(format!(
                "repeat_until: {until} gives more than {MAX_COUNT} occurrences \
                 (the series is sent as a COUNT, at most {MAX_COUNT})"
            )));
        }
        Ok(n)
    }

    /// The chosen weekdays, or the start's weekday when none are chosen.
    fn week_bits(&self, start: Date) -> u8 {
        match self.weekdays & 0x7f {
            0 => weekday_bit(start),
            b => b,
        }
    }

    /// Calls `f` with each occurrence in order until it returns false or
    /// the dates run out (year 9999). Ignores `self.end`.
    fn expand(&self, start: Date, mut f: impl FnMut(Date) -> bool) {
        let step = i64::from(self.interval.max(1));
        let start_jd = i64::from(start.to_julian_day());
        match self.freq {
            Freq::Daily => {
                for k in 0.. {
                    match from_jd(start_jd + k * step) {
                        Some(d) if f(d) => {}
                        _ => return,
                    }
                }
            }
            // Weeks start on Monday: Google sends no WKST, and RFC 5545's
            // default is WKST=MO. With INTERVAL > 1 that decides which weeks
            // count; the chosen weekdays of every interval-th week from the
            // start's week, in order, never before the start.
            Freq::Weekly => {
                let bits = self.week_bits(start);
                let monday = start_jd - i64::from(start.weekday().number_days_from_monday());
                for k in 0.. {
                    for i in 0..7 {
                        if bits & (1 << i) == 0 {
                            continue;
                        }
                        let jd = monday + k * 7 * step + i;
                        if jd < start_jd {
                            continue;
                        }
                        match from_jd(jd) {
                            Some(d) if f(d) => {}
                            _ => return,
                        }
                    }
                }
            }
            Freq::Monthly => {
                let first = i64::from(start.year()) * 12 + i64::from(u8::from(start.month()) - 1);
                let nth = nth_weekday(start);
                for k in 0.. {
                    let m = first + k * step;
                    let Some((year, month)) = year_month(m) else {
                        return;
                    };
                    let day = match self.monthly_by {
                        MonthlyBy::DayOfMonth => start.day(),
                        MonthlyBy::NthWeekday => nth_day(year, month, start.weekday(), nth),
                    };
                    // Months without that day are skipped (RFC 5545).
                    if let Ok(d) = Date::from_calendar_date(year, month, day) {
                        if !f(d) {
                            return;
                        }
                    }
                }
            }
            Freq::Yearly => {
                for k in 0.. {
                    let y = i64::from(start.year()) + k * step;
                    let Some((year, _)) = year_month(y * 12) else {
                        return;
                    };
                    // Feb 29 exists only in leap years: other years are skipped.
                    if let Ok(d) = Date::from_calendar_date(year, start.month(), start.day()) {
                        if !f(d) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

fn weekday_bit(d: Date) -> u8 {
    1 << d.weekday().number_days_from_monday()
}

/// Which weekday of its month `d` is, as RRULE's BYDAY prefix: 1..=4 from
/// the date, or -1 ("last") for a fifth one.
///
/// A date that is both the fourth and the last of its month (the 22nd–28th
/// when fewer than 7 days follow, e.g. Saturday 2026-02-28) is taken as the
/// fourth: every month has a fourth one, so the series never skips a month
/// whichever reading is meant, and "fourth" is the choice Google's own
/// repeat menu offers first for such a date.
fn nth_weekday(d: Date) -> i8 {
    match (d.day() - 1) / 7 + 1 {
        5 => -1,
        n => n as i8,
    }
}

/// The day of the month of the `nth` (1..=4, or -1 = last) `wd` in a month.
fn nth_day(year: i32, month: Month, wd: Weekday, nth: i8) -> u8 {
    let wd = wd.number_days_from_monday();
    if nth < 0 {
        let last = month.length(year);
        let last_wd = Date::from_calendar_date(year, month, last)
            .map_or(0, |d| d.weekday().number_days_from_monday());
        last - (last_wd + 7 - wd) % 7
    } else {
        let first_wd = Date::from_calendar_date(year, month, 1)
            .map_or(0, |d| d.weekday().number_days_from_monday());
        1 + (wd + 7 - first_wd) % 7 + 7 * (nth as u8 - 1)
    }
}

/// A month counted from year 0 (`year * 12 + month0`), if `time` can hold it.
fn year_month(m: i64) -> Option<(i32, Month)> {
    let year = i32::try_from(m.div_euclid(12)).ok()?;
    if year > Date::MAX.year() {
        return None;
    }
    let month = Month::try_from(m.rem_euclid(12) as u8 + 1).ok()?;
    Some((year, month))
}

fn from_jd(jd: i64) -> Option<Date> {
    Date::from_julian_day(i32::try_from(jd).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Time;

    fn d(y: i32, m: u8, day: u8) -> Date {
        Date::from_calendar_date(y, Month::try_from(m).unwrap(), day).unwrap()
    }

    fn dt(y: i32, m: u8, day: u8, h: u8, min: u8) -> PrimitiveDateTime {
        PrimitiveDateTime::new(d(y, m, day), Time::from_hms(h, min, 0).unwrap())
    }

    const MO: u8 = 1;
    const TU: u8 = 1 << 1;
    const WE: u8 = 1 << 2;
    const TH: u8 = 1 << 3;
    const FR: u8 = 1 << 4;
    const SA: u8 = 1 << 5;
    const SU: u8 = 1 << 6;

    fn rep(freq: Freq, interval: u32, weekdays: u8, monthly_by: MonthlyBy, end: End) -> Repeat {
        Repeat {
            freq,
            interval,
            weekdays,
            monthly_by,
            end,
        }
    }

    use End::{Count, Never, Until};
    use Freq::{Daily, Monthly, Weekly, Yearly};
    use MonthlyBy::{DayOfMonth, NthWeekday};

    #[test]
    fn presets_and_custom_rules_give_exact_rrules() {
        // Monday 2024-04-29 10:00, as on the UCM form.
        let mon = dt(2024, 4, 29, 10, 0);
        let cases: &[(&str, Repeat, PrimitiveDateTime, &str)] = &[
            (
                "daily",
                rep(Daily, 1, 0, DayOfMonth, Never),
                mon,
                "RRULE:FREQ=DAILY",
            ),
            (
                "weekly",
                rep(Weekly, 1, 0, DayOfMonth, Never),
                mon,
                "RRULE:FREQ=WEEKLY;BYDAY=MO",
            ),
            (
                "every weekday",
                rep(Weekly, 1, WEEKDAYS_MON_FRI, DayOfMonth, Never),
                mon,
                "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            ),
            (
                "monthly by day",
                rep(Monthly, 1, 0, DayOfMonth, Never),
                mon,
                "RRULE:FREQ=MONTHLY;BYMONTHDAY=29",
            ),
            // 2024-04-29 is the fifth Monday of April: "last Monday".
            (
                "monthly by nth",
                rep(Monthly, 1, 0, NthWeekday, Never),
                mon,
                "RRULE:FREQ=MONTHLY;BYDAY=-1MO",
            ),
            (
                "yearly",
                rep(Yearly, 1, 0, DayOfMonth, Never),
                mon,
                "RRULE:FREQ=YEARLY",
            ),
            (
                "custom daily",
                rep(Daily, 3, 0, DayOfMonth, Count(10)),
                mon,
                "RRULE:FREQ=DAILY;INTERVAL=3;COUNT=10",
            ),
            (
                "custom weekly",
                rep(Weekly, 2, SU | WE | MO, DayOfMonth, Count(6)),
                mon,
                "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,SU;COUNT=6",
            ),
            (
                "custom monthly by day",
                rep(Monthly, 3, 0, DayOfMonth, Never),
                dt(2024, 1, 15, 9, 0),
                "RRULE:FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15",
            ),
            (
                "custom monthly by nth",
                rep(Monthly, 2, 0, NthWeekday, Count(5)),
                dt(2024, 5, 14, 9, 0),
                "RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU;COUNT=5",
            ),
            (
                "yearly every 2",
                rep(Yearly, 2, 0, NthWeekday, Never),
                mon,
                "RRULE:FREQ=YEARLY;INTERVAL=2",
            ),
            (
                "count 1",
                rep(Daily, 1, 0, DayOfMonth, Count(1)),
                mon,
                "RRULE:FREQ=DAILY;COUNT=1",
            ),
            (
                "count 1000",
                rep(Daily, 1, 0, DayOfMonth, Count(1000)),
                mon,
                "RRULE:FREQ=DAILY;COUNT=1000",
            ),
            (
                "interval 99",
                rep(Weekly, 99, 0, DayOfMonth, Never),
                mon,
                "RRULE:FREQ=WEEKLY;INTERVAL=99;BYDAY=MO",
            ),
            (
                "all week",
                rep(Weekly, 1, 0x7f, DayOfMonth, Never),
                mon,
                "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
            ),
            // Until becomes COUNT.
            (
                "daily until",
                rep(Daily, 1, 0, DayOfMonth, Until(d(2024, 5, 3))),
                mon,
                "RRULE:FREQ=DAILY;COUNT=5",
            ),
            (
                "until the start",
                rep(Weekly, 1, 0, DayOfMonth, Until(d(2024, 4, 29))),
                mon,
                "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=1",
            ),
            // Across the EU DST change of 2024-03-31: irrelevant to local dates.
            (
                "weekly until across DST",
                rep(Weekly, 1, 0, DayOfMonth, Until(d(2024, 4, 8))),
                dt(2024, 3, 18, 10, 0),
                "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4",
            ),
            // Every weekday from Monday 2024-04-29 until Friday 2024-05-10.
            (
                "every weekday until a Friday",
                rep(
                    Weekly,
                    1,
                    WEEKDAYS_MON_FRI,
                    DayOfMonth,
                    Until(d(2024, 5, 10)),
                ),
                mon,
                "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=10",
            ),
            // Started mid-week: the days before the start in its week do not count.
            (
                "every weekday from a Wednesday",
                rep(
                    Weekly,
                    1,
                    WEEKDAYS_MON_FRI,
                    DayOfMonth,
                    Until(d(2024, 5, 10)),
                ),
                dt(2024, 5, 1, 8, 30),
                "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=8",
            ),
            (
                "monthly on the 31st through 2024",
                rep(Monthly, 1, 0, DayOfMonth, Until(d(2024, 12, 31))),
                dt(2024, 1, 31, 10, 0),
                "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=7",
            ),
            (
                "yearly from Feb 29 until 2032",
                rep(Yearly, 1, 0, DayOfMonth, Until(d(2032, 2, 29))),
                dt(2024, 2, 29, 10, 0),
                "RRULE:FREQ=YEARLY;COUNT=3",
            ),
        ];
        for (name, r, start, want) in cases {
            assert_eq!(r.rrule(*start).as_deref(), Ok(*want), "{name}");
        }
    }

    #[test]
    fn nth_weekday_of_the_month() {
        let cases: &[(Date, &str)] = &[
            (d(2024, 5, 14), "2TU"),
            (d(2024, 5, 1), "1WE"),
            (d(2024, 5, 7), "1TU"),
            (d(2024, 5, 22), "4WE"),
            // Fifth Friday = last Friday.
            (d(2024, 5, 31), "-1FR"),
            // Fourth and last Saturday of a 28-day February: fourth.
            (d(2026, 2, 28), "4SA"),
            // Fourth and last in a 30-day month: fourth.
            (d(2024, 4, 24), "4WE"),
            (d(2024, 4, 29), "-1MO"),
        ];
        for (d, want) in cases {
            let r = rep(Monthly, 1, 0, NthWeekday, Never);
            let got = r.rrule(PrimitiveDateTime::new(*d, Time::MIDNIGHT)).unwrap();
            assert_eq!(got, format!("RRULE:FREQ=MONTHLY;BYDAY={want}"), "{d}");
        }
    }

    #[test]
    fn occurrences_follow_rfc5545() {
        let cases: &[(&str, Repeat, Date, usize, &[Date])] = &[
            (
                "daily every 3",
                rep(Daily, 3, 0, DayOfMonth, Never),
                d(2024, 2, 27),
                4,
                &[d(2024, 2, 27), d(2024, 3, 1), d(2024, 3, 4), d(2024, 3, 7)],
            ),
            (
                "every other week Mon/Wed/Sun from a Wednesday",
                rep(Weekly, 2, MO | WE | SU, DayOfMonth, Never),
                d(2024, 5, 1),
                5,
                &[
                    d(2024, 5, 1),
                    d(2024, 5, 5),
                    d(2024, 5, 13),
                    d(2024, 5, 15),
                    d(2024, 5, 19),
                ],
            ),
            (
                // WKST=MO: the Sunday belongs to the week that started on Monday.
                "every other week Sat/Sun from a Sunday",
                rep(Weekly, 2, SA | SU, DayOfMonth, Never),
                d(2024, 5, 5),
                3,
                &[d(2024, 5, 5), d(2024, 5, 18), d(2024, 5, 19)],
            ),
            (
                "weekly count 3",
                rep(Weekly, 1, TU | TH, DayOfMonth, Count(3)),
                d(2024, 5, 2),
                10,
                &[d(2024, 5, 2), d(2024, 5, 7), d(2024, 5, 9)],
            ),
            (
                "monthly 2nd Tuesday",
                rep(Monthly, 1, 0, NthWeekday, Never),
                d(2024, 5, 14),
                4,
                &[
                    d(2024, 5, 14),
                    d(2024, 6, 11),
                    d(2024, 7, 9),
                    d(2024, 8, 13),
                ],
            ),
            (
                "monthly last Friday",
                rep(Monthly, 1, 0, NthWeekday, Never),
                d(2024, 5, 31),
                4,
                &[
                    d(2024, 5, 31),
                    d(2024, 6, 28),
                    d(2024, 7, 26),
                    d(2024, 8, 30),
                ],
            ),
            (
                "monthly 4th Saturday",
                rep(Monthly, 1, 0, NthWeekday, Never),
                d(2026, 2, 28),
                3,
                // May 2026 has five Saturdays; the fourth is the 23rd.
                &[d(2026, 2, 28), d(2026, 3, 28), d(2026, 4, 25)],
            ),
            (
                "monthly 4th Saturday, May",
                rep(Monthly, 3, 0, NthWeekday, Never),
                d(2026, 2, 28),
                2,
                &[d(2026, 2, 28), d(2026, 5, 23)],
            ),
            (
                "every 2 months on the 31st",
                rep(Monthly, 2, 0, DayOfMonth, Never),
                d(2024, 1, 31),
                5,
                // March, May, July; September and November lack a 31st.
                &[
                    d(2024, 1, 31),
                    d(2024, 3, 31),
                    d(2024, 5, 31),
                    d(2024, 7, 31),
                    d(2025, 1, 31),
                ],
            ),
            (
                "yearly from Feb 29",
                rep(Yearly, 1, 0, DayOfMonth, Never),
                d(2024, 2, 29),
                3,
                &[d(2024, 2, 29), d(2028, 2, 29), d(2032, 2, 29)],
            ),
            (
                "yearly every 2 from Feb 29, 2096",
                rep(Yearly, 2, 0, DayOfMonth, Never),
                d(2096, 2, 29),
                2,
                // 2100 is not a leap year.
                &[d(2096, 2, 29), d(2104, 2, 29)],
            ),
            (
                "until stops the list",
                rep(Daily, 1, 0, DayOfMonth, Until(d(2024, 1, 2))),
                d(2024, 1, 1),
                10,
                &[d(2024, 1, 1), d(2024, 1, 2)],
            ),
            (
                "series runs out at year 9999",
                rep(Yearly, 1, 0, DayOfMonth, Never),
                d(9998, 6, 1),
                10,
                &[d(9998, 6, 1), d(9999, 6, 1)],
            ),
            (
                "limit 0",
                rep(Daily, 1, 0, DayOfMonth, Never),
                d(2024, 1, 1),
                0,
                &[],
            ),
        ];
        for (name, r, start, limit, want) in cases {
            assert_eq!(r.occurrences(*start, *limit), *want, "{name}");
        }
    }

    #[test]
    fn monthly_on_the_29th_30th_31st_skips_short_months() {
        // Occurrences in 2024 of a monthly series starting in January.
        for (day, months) in [(29u8, 12usize), (30, 11), (31, 7)] {
            let start = Date::from_calendar_date(2024, Month::January, day).unwrap();
            let r = rep(Monthly, 1, 0, DayOfMonth, Never);
            let in_2024 = r
                .occurrences(start, 100)
                .into_iter()
                .filter(|d| d.year() == 2024)
                .count();
            assert_eq!(in_2024, months, "day {day}");
            let until = rep(Monthly, 1, 0, DayOfMonth, Until(d(2024, 12, 31)));
            let line = until
                .rrule(PrimitiveDateTime::new(start, Time::MIDNIGHT))
                .unwrap();
            assert_eq!(
                line,
                format!("RRULE:FREQ=MONTHLY;BYMONTHDAY={day};COUNT={months}")
            );
        }
        let r = rep(Monthly, 1, 0, DayOfMonth, Never);
        let months: Vec<u8> = r
            .occurrences(d(2024, 1, 31), 7)
            .iter()
            .map(|d| u8::from(d.month()))
            .collect();
        assert_eq!(months, [1, 3, 5, 7, 8, 10, 12]);
    }

    #[test]
    fn invalid_rules_name_the_field() {
        let mon = dt(2024, 4, 29, 10, 0);
        let sat = dt(2024, 4, 27, 10, 0);
        type Check = fn(&Error) -> bool;
        let arg: Check = |e| matches!(e, Error::InvalidArgument(_));
        let cases: &[(Repeat, PrimitiveDateTime, Check, &str)] = &[
            (
                rep(Daily, 0, 0, DayOfMonth, Never),
                mon,
                arg,
                "repeat_interval: 0 is not between 1 and 99",
            ),
            (
                rep(Weekly, 100, 0, DayOfMonth, Never),
                mon,
                arg,
                "repeat_interval: 100 is not between 1 and 99",
            ),
            (
                rep(Weekly, 1, 0x80 | MO, DayOfMonth, Never),
                mon,
                arg,
                "repeat_weekdays: 0x81 has bit 7 set; only bits 0 (Monday) to 6 (Sunday) exist",
            ),
            (
                rep(Daily, 1, MO, DayOfMonth, Never),
                mon,
                arg,
                "repeat_weekdays: weekdays can only be chosen for a weekly repeat, not daily",
            ),
            (
                rep(Monthly, 1, MO, NthWeekday, Never),
                mon,
                arg,
                "repeat_weekdays: weekdays can only be chosen for a weekly repeat, not monthly",
            ),
            (
                rep(Yearly, 1, FR, DayOfMonth, Never),
                mon,
                arg,
                "repeat_weekdays: weekdays can only be chosen for a weekly repeat, not yearly",
            ),
            (
                rep(Weekly, 1, WEEKDAYS_MON_FRI, DayOfMonth, Never),
                sat,
                arg,
                "start: 2024-04-27 is a Saturday, not one of the chosen weekdays",
            ),
            (
                rep(Daily, 1, 0, DayOfMonth, Count(0)),
                mon,
                arg,
                "repeat_count: 0 is not between 1 and 1000",
            ),
            (
                rep(Daily, 1, 0, DayOfMonth, Count(1001)),
                mon,
                arg,
                "repeat_count: 1001 is not between 1 and 1000",
            ),
            (
                rep(Daily, 1, 0, DayOfMonth, Until(d(2024, 4, 28))),
                mon,
                arg,
                "repeat_until: 2024-04-28 is before the start (2024-04-29)",
            ),
            (
                // 2024-04-29 + 1000 days = 2027-01-24 is the 1001st.
                rep(Daily, 1, 0, DayOfMonth, Until(d(2027, 1, 24))),
                mon,
                arg,
                "repeat_until: 2027-01-24 gives more than 1000 occurrences \
                 (the series is sent as a COUNT, at most 1000)",
            ),
        ];
        for (r, start, check, msg) in cases {
            let e = r.rrule(*start).unwrap_err();
            assert!(check(&e), "{e:?}");
            assert_eq!(e.to_string(), *msg);
        }
        // The 1000th occurrence is still fine.
        let r = rep(Daily, 1, 0, DayOfMonth, Until(d(2027, 1, 23)));
        assert_eq!(r.rrule(mon).unwrap(), "RRULE:FREQ=DAILY;COUNT=1000");
    }
}
