//! Zones Google may refuse (issue 16 A1), and what to send instead. Google
//! keeps its own zone list: it has answered 400 "Invalid time zone
//! definition for start time" for a valid IANA name (`Europe/Kyiv`), and
//! nobody documents whether it takes `Etc/GMT±N`. Two kinds of stand-in,
//! both leaving every wall-clock time and instant unchanged:
//! - a renamed zone's other name (`Europe/Kyiv` ↔ `Europe/Kiev`);
//! - for a fixed-offset zone, a geographic zone of the same offset, which
//!   the caller checks against the zoneinfo at hand for no change of
//!   offset over the meeting's whole span (`Zone::constant_offset`).
//!
//! Pure: names in, names out. The stand-ins are `'static`, so an event
//! can carry one without owning it.

/// IANA renames (the `backward` file): either name may be the refused one.
pub const ALIASES: &[(&str, &str)] = &[
    ("Europe/Kyiv", "Europe/Kiev"),
    ("Asia/Kolkata", "Asia/Calcutta"),
    ("Asia/Ho_Chi_Minh", "Asia/Saigon"),
    ("Asia/Kathmandu", "Asia/Katmandu"),
    ("Asia/Yangon", "Asia/Rangoon"),
    ("Asia/Dhaka", "Asia/Dacca"),
    ("Asia/Thimphu", "Asia/Thimbu"),
    ("Asia/Ulaanbaatar", "Asia/Ulan_Bator"),
    ("Asia/Macau", "Asia/Macao"),
    ("America/Nuuk", "America/Godthab"),
    ("America/Argentina/Buenos_Aires", "America/Buenos_Aires"),
    ("America/Indiana/Indianapolis", "America/Indianapolis"),
    ("Atlantic/Faroe", "Atlantic/Faeroe"),
    ("Pacific/Kanton", "Pacific/Enderbury"),
    ("Pacific/Chuuk", "Pacific/Truk"),
    ("Pacific/Pohnpei", "Pacific/Ponape"),
];

/// Geographic zones without DST today, by whole-hour UTC offset, most
/// populous first. Whether one really kept its offset over a meeting's span
/// is for the zoneinfo to say, not this table.
pub const SAME_OFFSET: &[(i32, &[&str])] = &[
    (-11, &["Pacific/Pago_Pago", "Pacific/Niue"]),
    (-10, &["Pacific/Honolulu", "Pacific/Tahiti"]),
    (-9, &["Pacific/Gambier"]),
    (-8, &["Pacific/Pitcairn"]),
    (-7, &["America/Phoenix", "America/Hermosillo"]),
    (-6, &["America/Guatemala", "America/Regina", "America/Costa_Rica"]),
    (-5, &["America/Bogota", "America/Lima", "America/Panama"]),
    (-4, &["America/La_Paz", "America/Puerto_Rico", "America/Manaus"]),
    (-3, &["America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Montevideo"]),
    (-2, &["America/Noronha", "Atlantic/South_Georgia"]),
    (-1, &["Atlantic/Cape_Verde"]),
    (0, &["Africa/Abidjan", "Atlantic/Reykjavik", "Africa/Accra"]),
    (1, &["Africa/Lagos", "Africa/Algiers", "Africa/Tunis"]),
    (2, &["Africa/Johannesburg", "Africa/Maputo", "Africa/Khartoum"]),
    (3, &["Africa/Nairobi", "Asia/Riyadh", "Europe/Istanbul"]),
    (4, &["Asia/Dubai", "Asia/Baku"]),
    (5, &["Asia/Karachi", "Asia/Tashkent"]),
    (6, &["Asia/Dhaka", "Asia/Bishkek"]),
    (7, &["Asia/Bangkok", "Asia/Jakarta", "Asia/Ho_Chi_Minh"]),
    (8, &["Asia/Singapore", "Asia/Shanghai", "Asia/Manila"]),
    (9, &["Asia/Tokyo", "Asia/Seoul"]),
    (10, &["Australia/Brisbane", "Pacific/Port_Moresby"]),
    (11, &["Pacific/Guadalcanal", "Pacific/Noumea"]),
    (12, &["Pacific/Tarawa", "Pacific/Majuro"]),
    (13, &["Pacific/Fakaofo", "Pacific/Tongatapu"]),
    (14, &["Pacific/Kiritimati"]),
];

/// The other name of a renamed zone.
pub fn alias_of(zone: &str) -> Option<&'static str> {
    ALIASES.iter().find_map(|&(a, b)| match zone {
        z if z == a => Some(b),
        z if z == b => Some(a),
        _ => None,
    })
}

/// Geographic zones whose offset is `offset_secs` today (empty for offsets
/// no such zone has, e.g. UTC−12, or not whole hours).
pub fn same_offset(offset_secs: i32) -> &'static [&'static str] {
    if offset_secs % 3600 != 0 {
        return &[];
    }
    SAME_OFFSET.iter().find(|(h, _)| *h * 3600 == offset_secs).map_or(&[], |(_, z)| z)
}

/// `name` as the `'static` stand-in it was remembered as (state on disk).
pub fn known(name: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .flat_map(|(a, b)| [*a, *b])
        .chain(SAME_OFFSET.iter().flat_map(|(_, z)| z.iter().copied()))
        .find(|z| *z == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_go_both_ways() {
        assert_eq!(alias_of("Europe/Kyiv"), Some("Europe/Kiev"));
        assert_eq!(alias_of("Europe/Kiev"), Some("Europe/Kyiv"));
        assert_eq!(alias_of("Europe/Berlin"), None);
    }

    #[test]
    fn fixed_offsets_have_geographic_twins() {
        assert_eq!(same_offset(3600).first(), Some(&"Africa/Lagos"));
        assert!(same_offset(-12 * 3600).is_empty());
        assert!(same_offset(5 * 3600 + 1800).is_empty());
        assert_eq!(known("Africa/Lagos"), Some("Africa/Lagos"));
        assert_eq!(known("Mars/Olympus"), None);
        for (h, zones) in SAME_OFFSET {
            assert!((-12..=14).contains(h) && !zones.is_empty());
        }
    }

    /// Every stand-in keeps its offset in the host's zoneinfo where it
    /// exists (from 2020 to 2040), so the table holds no DST zone.
    #[test]
    fn stand_ins_have_no_dst_in_the_host_zoneinfo() {
        use crate::meeting::zone::Zone;
        let dir = std::path::Path::new("/usr/share/zoneinfo");
        let (from, to) = (1_577_836_800, 2_208_988_800); // 2020 .. 2040
        for (h, zones) in SAME_OFFSET {
            for z in *zones {
                let Ok(bytes) = std::fs::read(dir.join(z)) else { continue };
                let zone = Zone::from_tzif(z, &bytes).unwrap();
                assert_eq!(zone.constant_offset(from, Some(to)), Some(h * 3600), "{z}");
            }
        }
    }
}
