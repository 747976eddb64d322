//! RFC 3339, differential: the library's own reader and writer
//! (src/rfc3339.rs) against the `time` crate's, whose results they promise.
//! Byte 0 even: the rest is a date-time to read; odd: bytes 1–8 are unix
//! seconds to write and read back.

use ::gs_gcal::fuzzing as f;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        let Ok(s) = std::str::from_utf8(rest) else { return };
        let ours = f::rfc3339_parse(s);
        let theirs = OffsetDateTime::parse(s, &Rfc3339).ok().map(|t| (t.unix_timestamp(), t.nanosecond()));
        assert_eq!(ours, theirs, "{s:?}");
        // Google's `updated` in milliseconds: truncated toward zero.
        let ms = f::rfc3339_ms(s);
        let want = ours.map(|(secs, nanos)| ((i128::from(secs) * 1_000_000_000 + i128::from(nanos)) / 1_000_000) as i64);
        assert_eq!(ms, want, "{s:?}");
    } else {
        let mut b = [0u8; 8];
        let n = rest.len().min(8);
        b[..n].copy_from_slice(&rest[..n]);
        let mut unix = i64::from_le_bytes(b);
        if mode & 2 != 0 {
            // Mostly in the years RFC 3339 can write.
            unix %= 253_402_300_800 + 62_167_219_200;
        }
        let ours = f::rfc3339_format(unix);
        let theirs = OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&Rfc3339).ok());
        assert_eq!(ours, theirs, "{unix}");
        if let Some(s) = ours {
            assert_eq!(f::rfc3339_parse(&s), Some((unix, 0)), "{s}");
        }
    }
}
