//! The clock and its text: wall-clock seconds (`now`) and RFC 3339
//! date-times, written and read without the `time` crate's formatting and
//! parsing machinery (its generic format-description code was ~9 KB of the armv7
//! firmware; issue 7). The results are those of `time`'s
//! `well_known::Rfc3339`, which the tests compare them with.

/// Unix seconds by the wall clock (0 before 1970: a clock never set).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `format`, for messages and the status.
pub fn rfc3339(unix: i64) -> Option<String> {
    format(unix)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of unix seconds; None outside the years
/// 0000–9999, which RFC 3339 cannot write.
pub fn format(unix: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).ok()?;
    let year = u32::try_from(t.year()).ok().filter(|y| *y < 10_000)?;
    let mut b = *b"0000-00-00T00:00:00Z";
    for (at, width, mut v) in [
        (0, 4, year),
        (5, 2, u8::from(t.month()).into()),
        (8, 2, t.day().into()),
        (11, 2, t.hour().into()),
        (14, 2, t.minute().into()),
        (17, 2, t.second().into()),
    ] {
        for d in b[at..at + width].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    Some(b.iter().map(|&c| char::from(c)).collect())
}

/// Unix seconds and the nanoseconds past them of an RFC 3339 date-time
/// with offset: `YYYY-MM-DD`, any one separator byte, `HH:MM:SS`, an
/// optional fraction (digits past the ninth ignored), `Z`/`z` or
/// `±HH:MM` (hours up to 23). A leap second (`:60`) is taken as the
/// nanosecond before the next second, and only as the last second of a
/// month in UTC. Anything else, or anything after it, is None.
pub fn parse(s: &str) -> Option<(i64, u32)> {
    let b = s.as_bytes();
    let num = |at: usize, n: usize| -> Option<u32> {
        b.get(at..at + n)?
            .iter()
            .try_fold(0u32, |v, &c| c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0')))
    };
    let lit = |at: usize, c: u8| (b.get(at) == Some(&c)).then_some(());
    let year = num(0, 4)?;
    lit(4, b'-')?;
    let month = num(5, 2)?;
    lit(7, b'-')?;
    let day = num(8, 2)?;
    b.get(10)?; // "any separator, not just T"
    let hour = num(11, 2)?;
    lit(13, b':')?;
    let minute = num(14, 2)?;
    lit(16, b':')?;
    let second = num(17, 2)?;
    let mut i = 19;
    let mut nanos = 0u32;
    if lit(i, b'.').is_some() {
        i += 1;
        let first = i;
        let mut unit = 100_000_000;
        while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
            nanos += u32::from(d - b'0') * unit;
            unit /= 10;
            i += 1;
        }
        if i == first {
            return None;
        }
    }
    let offset = match *b.get(i)? {
        b'Z' | b'z' => {
            i += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            let (h, m) = (num(i + 1, 2).filter(|h| *h <= 23)?, num(i + 4, 2).filter(|m| *m <= 59)?);
            lit(i + 3, b':')?;
            i += 6;
            let secs = i64::from(h * 3600 + m * 60);
            if sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    if i != b.len() {
        return None;
    }
    let leap = second == 60;
    let (second, nanos) = if leap { (59, 999_999_999) } else { (second, nanos) };
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let unix = (i64::from(date.to_julian_day()) - 2_440_588) * 86_400 + i64::from(hour * 3600 + minute * 60 + second)
        - offset;
    if leap {
        let utc = time::OffsetDateTime::from_unix_timestamp(unix).ok()?;
        let last_of_month = utc.day() == utc.month().length(utc.year());
        if (utc.hour(), utc.minute(), utc.second()) != (23, 59, 59) || !last_of_month {
            return None;
        }
    }
    Some((unix, nanos))
}

#[cfg(test)]
mod tests {
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;

    fn by_time(s: &str) -> Option<(i64, u32)> {
        OffsetDateTime::parse(s, &Rfc3339).ok().map(|t| (t.unix_timestamp(), t.nanosecond()))
    }

    #[test]
    fn parses_like_the_time_crate() {
        let mut cases: Vec<String> = [
            "2024-04-20T09:00:00.356Z",
            "2024-04-20T09:00:00Z",
            "2024-04-20t09:00:00z",
            "2024-04-20 09:00:00+02:00",
            "2024-04-20_09:00:00-09:30",
            "2024-04-20T09:00:00.1234567891234+05:45",
            "2024-04-20T09:00:00.Z",
            "2024-04-20T09:00:00.000000000Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "1969-12-31T23:59:59.5Z",
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:60.5Z",
            "2017-01-01T00:59:60+01:00",
            "2016-12-30T23:59:60Z",
            "2016-06-30T23:59:60Z",
            "2024-02-29T12:00:00Z",
            "2023-02-29T12:00:00Z",
            "2024-04-31T12:00:00Z",
            "2024-13-01T12:00:00Z",
            "2024-00-01T12:00:00Z",
            "2024-01-00T12:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T23:60:00Z",
            "2024-01-01T23:59:61Z",
            "2024-01-01T12:00:00+24:00",
            "2024-01-01T12:00:00+23:59",
            "2024-01-01T12:00:00-23:60",
            "2024-01-01T12:00:00+0100",
            "2024-01-01T12:00:00",
            "2024-01-01T12:00:00Z ",
            "2024-01-01T12:00Z",
            "2024-1-01T12:00:00Z",
            "+2024-01-01T12:00:00Z",
            "2024-01-01\u{e9}12:00:00Z",
            "2024-01-01é12:00:00Z",
            "",
            "2024",
            "2024-01-01T12:00:00.Z",
            "2024-01-01T12:00:00,5Z",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every truncation of a valid one.
        let full = "2024-04-20T09:00:00.356+02:00";
        cases.extend((0..full.len()).map(|n| full[..n].to_string()));
        // Every byte in every position of a valid one.
        let base = "2024-04-20T09:00:00.3+02:00".as_bytes();
        for at in 0..base.len() {
            for c in [b'0', b'9', b'Z', b'+', b'-', b':', b'.', b'T', b' ', b'a', b'5', b'2'] {
                let mut v = base.to_vec();
                v[at] = c;
                cases.push(String::from_utf8(v).unwrap());
            }
        }
        for s in &cases {
            assert_eq!(super::parse(s), by_time(s), "{s:?}");
        }
    }

    #[test]
    fn formats_like_the_time_crate() {
        for unix in [0, 1, -1, 1_700_000_000, 951_782_400, 253_402_300_799, 253_402_300_800, -62_167_219_200, -62_167_219_201]
        {
            let t = OffsetDateTime::from_unix_timestamp(unix).ok();
            assert_eq!(super::format(unix), t.and_then(|t| t.format(&Rfc3339).ok()), "{unix}");
        }
        assert_eq!(super::format(i64::MAX), None);
    }
}
