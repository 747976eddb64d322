//! TZif files: the bytes are written as `<zoneinfo_dir>/Fuzz/Zone` and read
//! the way a push reads a zone (src/store/zoneinfo.rs, then
//! `Zone::from_tzif`); a usable zone then resolves wall times across the
//! years a PBX schedules in (and the edges of the representable ones),
//! and a repeating meeting with one edited occurrence is prepared in it.

use super::common::{check_code, is_wall_time, scratch};
use ::gs_gcal::errors::*;
#[allow(unused_imports)]
use std::result::Result;
use ::gs_gcal::fuzzing as f;
use ::gs_gcal::meeting::recurrence::{End, Freq, MonthlyBy, Repeat};
use ::gs_gcal::meeting::Meeting;
use std::path::PathBuf;
use std::sync::OnceLock;
use time::{Date, Month, PrimitiveDateTime, Time};

fn dir() -> &'static PathBuf {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        let d = scratch("tzif");
        std::fs::create_dir_all(d.join("Fuzz")).unwrap();
        d
    })
}

pub fn run(data: &[u8]) {
    std::fs::write(dir().join("Fuzz/Zone"), data).expect("write zone file");
    let bytes = match f::read_zone(dir(), "Fuzz/Zone") {
        Ok(Some(b)) => b,
        Ok(None) => panic!("zoneinfo dir exists"),
        Err(c) => {
            check_code("read_zone", c);
            assert!(data.len() > 64 * 1024, "read_zone refused a {} byte file: {c}", data.len());
            return;
        }
    };
    assert_eq!(bytes, data);
    let zone = match f::zone_from_tzif("Fuzz/Zone", &bytes) {
        Ok(z) => z,
        Err(c) => {
            check_code("from_tzif", c);
            assert_eq!(c, GS_GCAL_INVALID_TIME_ZONE);
            return;
        }
    };
    let mut walls = Vec::new();
    for y in [-9999, 1, 1900, 1970, 2000, 2024, 2037, 2038, 2100, 9999] {
        for (mo, d, h, mi) in [(1, 1, 0, 0), (3, 31, 2, 30), (10, 27, 2, 30), (12, 31, 23, 59)] {
            let date = Date::from_calendar_date(y, Month::try_from(mo).unwrap(), d).unwrap();
            walls.push(PrimitiveDateTime::new(date, Time::from_hms(h, mi, 0).unwrap()));
        }
    }
    for w in walls {
        match f::zone_to_utc(&zone, w) {
            Ok(t) => {
                let local = w.assume_utc().unix_timestamp();
                assert!((local - t).abs() <= 26 * 3600, "{w} is {t}: an offset beyond ±26 h");
            }
            Err(c) => {
                check_code("to_utc", c);
                assert_eq!(c, GS_GCAL_INVALID_TIME, "{w}");
            }
        }
    }
    let mut m = Meeting {
        meeting_id: "tz-1".into(),
        subject: "Zone".into(),
        start: "2024-03-31T02:30".into(),
        end: "03:30".into(),
        time_zone: "Fuzz/Zone".into(),
        repeat: Some(Repeat { freq: Freq::Weekly, interval: 1, weekdays: 0, monthly_by: MonthlyBy::DayOfMonth, end: End::Count(10) }),
        ..Meeting::default()
    };
    for occurrence in [None, Some("2024-04-07T02:30"), Some("2024-10-27T02:30")] {
        m.occurrence = occurrence.map(str::to_owned);
        match f::prepare_meeting(&m, "", Some(&zone)) {
            Ok((_, target, _, body)) => {
                let v: serde_json::Value = serde_json::from_slice(&body).expect("event JSON");
                assert!(is_wall_time(v["start"]["dateTime"].as_str().unwrap()));
                assert!(target.len() < ::gs_gcal::ffi::GS_GCAL_EVENT_ID_SIZE, "{target}");
            }
            Err(c) => {
                check_code("prepare", c);
                assert!(c == GS_GCAL_INVALID_TIME || c == GS_GCAL_INVALID_TIME_ZONE, "prepare: {c}");
            }
        }
    }
}
