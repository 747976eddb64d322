//! The library's recurrence (the UCM form's Repeat → RRULE, and its own
//! expansion used for UNTIL → COUNT and occurrence checks) against
//! python-dateutil, an independent RFC 5545 engine (issue 16 A4), over
//! thousands of generated rules and starts: every frequency, intervals up
//! to 99, weekday sets, the 29th–31st skipping short months, the n-th and
//! last weekday (-1MO), 29 February, counts and until-dates. The checker
//! is ffi-tests/rrule/dateutil_check.py; `make setup` installs dateutil
//! (GS_GCAL_PYTHON names the interpreter, default python3).

use gs_gcal::meeting::recurrence::{End, Freq, MonthlyBy, Repeat};
use std::io::Write;
use time::{Date, Month, PrimitiveDateTime, Time};

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn iso(d: Date, t: Time) -> String {
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:00", d.year(), u8::from(d.month()), d.day(), t.hour(), t.minute())
}

#[test]
fn repeat_rules_expand_like_dateutil() {
    let mut rng = Lcg(0x5eed_2026);
    let mut cases = Vec::new();
    let mut refused = 0;
    // Starts that stress the calendar: month ends, leap days, year ends.
    let special = [(2024, 1, 31), (2024, 2, 29), (2023, 3, 31), (2024, 8, 31), (2025, 12, 31), (2024, 4, 29), (2028, 2, 29)];
    while cases.len() < 3000 {
        let (y, m, d) = if rng.next(3) == 0 {
            special[rng.next(special.len() as u64) as usize]
        } else {
            (2020 + rng.next(10) as i32, 1 + rng.next(12) as u8, 1 + rng.next(31) as u8)
        };
        let Ok(date) = Date::from_calendar_date(y, Month::try_from(m).unwrap(), d) else { continue };
        let t = Time::from_hms(rng.next(24) as u8, [0, 15, 30, 45][rng.next(4) as usize], 0).unwrap();
        let freq = [Freq::Daily, Freq::Weekly, Freq::Monthly, Freq::Yearly][rng.next(4) as usize];
        let interval = [1, 1, 2, 3, 4, 7, 13, 99][rng.next(8) as usize];
        // Weekly: the start's weekday is among the chosen ones (the form
        // refuses otherwise); other frequencies take no weekday set.
        let own = 1u8 << date.weekday().number_days_from_monday();
        let weekdays = match (freq, rng.next(4)) {
            (Freq::Weekly, 0) => 0,
            (Freq::Weekly, 1) if own & 0b001_1111 != 0 => 0b001_1111,
            (Freq::Weekly, _) => (rng.next(128) as u8) | own,
            _ => 0,
        };
        let monthly_by = if rng.next(2) == 0 { MonthlyBy::DayOfMonth } else { MonthlyBy::NthWeekday };
        let until = date + time::Duration::days(rng.next(800) as i64);
        let end = match rng.next(3) {
            0 => End::Never,
            1 => End::Count(1 + rng.next(60) as u32),
            _ => End::Until(until),
        };
        let repeat = Repeat { freq, interval, weekdays, monthly_by, end };
        let start = PrimitiveDateTime::new(date, t);
        let line = match repeat.rrule(start) {
            Ok(line) => line,
            Err(e) => {
                // E.g. an until-date giving more than 1000 occurrences.
                refused += 1;
                assert!(refused < 1000, "mostly refused; last: {repeat:?} from {start}: {e}");
                continue;
            }
        };
        let limit = match end {
            End::Count(n) => n as usize,
            _ => 40,
        };
        let count_in_line = line.split(';').find_map(|p| p.strip_prefix("COUNT=")).map(|n| n.parse::<usize>().unwrap());
        let limit = count_in_line.unwrap_or(limit);
        let got: Vec<String> = repeat.occurrences(date, limit).into_iter().map(|d| iso(d, t)).collect();
        let mut case = serde_json::json!({
            "id": format!("lib-{}", cases.len()), "rule": line, "dtstart": iso(date, t),
            "tz": null, "limit": limit, "got": got,
        });
        if let End::Until(u) = end {
            // UNTIL → COUNT: the COUNT the library sends must give exactly
            // the occurrences of the until-date rule.
            case["until"] = format!("{:04}{:02}{:02}T235959", u.year(), u8::from(u.month()), u.day()).into();
        }
        cases.push(case);
    }
    run_checker(&cases);
}

fn run_checker(cases: &[serde_json::Value]) {
    let path = std::env::temp_dir().join(format!("gs_gcal_rrule_{}.jsonl", std::process::id()));
    let mut f = std::fs::File::create(&path).unwrap();
    for c in cases {
        writeln!(f, "{c}").unwrap();
    }
    drop(f);
    let python = std::env::var("GS_GCAL_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/ffi-tests/rrule/dateutil_check.py");
    let out = std::process::Command::new(&python).arg(script).arg(&path).output()
        .unwrap_or_else(|e| panic!("cannot run {python} (make setup installs python-dateutil): {e}"));
    let _ = std::fs::remove_file(&path);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{text}");
    assert!(out.status.success(), "the library and dateutil disagree:\n{text}");
}
