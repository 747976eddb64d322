//! `gs_gcal_set_option`: one table of options (key, parser, effect, text;
//! the text only in test builds, which check README and the header by it),
//! the configuration they set, and its defaults. Options live in memory
//! only; the firmware sets them after every `gs_gcal_open`.

use crate::errors::{Error, Result};
use crate::url::{endpoint, is_loopback};
use crate::secret::Secret;

pub(crate) const DEFAULT_AUTH_ENDPOINT: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub(crate) const DEFAULT_TOKEN_ENDPOINT: &str = "https://oauth2.googleapis.com/token";
pub(crate) const DEFAULT_CALENDAR_API_BASE: &str = "https://www.googleapis.com/calendar/v3";
pub(crate) const DEFAULT_DEVICE_ENDPOINT: &str = "https://oauth2.googleapis.com/device/code";
pub(crate) const DEFAULT_REVOKE_ENDPOINT: &str = "https://oauth2.googleapis.com/revoke";

/// Upper bound for any option value (URLs, paths, ids).
pub(crate) const MAX_OPTION_LEN: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendUpdates {
    All,
    ExternalOnly,
    None,
}

impl SendUpdates {
    pub fn as_str(self) -> &'static str {
        match self {
            SendUpdates::All => "all",
            SendUpdates::ExternalOnly => "externalOnly",
            SendUpdates::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub auth_endpoint: String,
    pub token_endpoint: String,
    pub calendar_api_base: String,
    pub device_endpoint: String,
    pub revoke_endpoint: String,
    /// Space-separated OAuth scopes requested.
    pub scopes: String,
    /// E-mail (or `sub`) pre-filled on Google's sign-in page; "" for none.
    pub login_hint: String,
    /// Trust roots (PEM file) replacing the built-in Mozilla roots: ureq
    /// takes either its built-in roots or a given list, not both.
    pub ca_file: Option<String>,
    pub connect_timeout_ms: u32,
    pub timeout_ms: u32,
    /// HTTP CONNECT proxy `http://[user:password@]host:port` ("" = none).
    /// Holds a password: never echoed.
    pub proxy: Secret,
    /// Hosts reached without the proxy: `host`, `.domain` or `*`.
    pub no_proxy: Vec<String>,
    /// Bound of one whole C call, however many requests it makes.
    pub call_timeout_ms: u32,
    pub calendar_id: String,
    /// Calendars the read side syncs (sync_events), in order.
    pub read_calendars: Vec<String>,
    /// Where the system's time zone rules (TZif files) live.
    pub zoneinfo_dir: String,
    /// Namespace for event ids, so two PBXes writing into one calendar with
    /// the same meeting ids do not collide. Typically the PBX serial or MAC.
    pub instance_id: String,
    pub send_updates: SendUpdates,
    /// Presence window: now → now + this many seconds (freebusy.query).
    pub presence_horizon_secs: i64,
    /// Read side: occurrences starting later than now + this are not kept.
    pub read_horizon_secs: i64,
}

/// Where Debian, Buildroot and most firmwares keep the zone files.
pub(crate) const DEFAULT_ZONEINFO_DIR: &str = "/usr/share/zoneinfo";

impl Default for Config {
    fn default() -> Self {
        Config {
            auth_endpoint: DEFAULT_AUTH_ENDPOINT.into(),
            token_endpoint: DEFAULT_TOKEN_ENDPOINT.into(),
            calendar_api_base: DEFAULT_CALENDAR_API_BASE.into(),
            device_endpoint: DEFAULT_DEVICE_ENDPOINT.into(),
            revoke_endpoint: DEFAULT_REVOKE_ENDPOINT.into(),
            scopes: crate::oauth::DEFAULT_SCOPES.into(),
            login_hint: String::new(),
            ca_file: None,
            connect_timeout_ms: 10_000,
            timeout_ms: 30_000,
            call_timeout_ms: 60_000,
            proxy: Secret::default(),
            no_proxy: Vec::new(),
            calendar_id: "primary".into(),
            instance_id: String::new(),
            zoneinfo_dir: DEFAULT_ZONEINFO_DIR.into(),
            read_calendars: vec!["primary".into()],
            send_updates: SendUpdates::All,
            presence_horizon_secs: 12 * 3600,
            read_horizon_secs: 400 * 86_400,
        }
    }
}

/// What changing an option invalidates.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    /// The HTTP agent must be rebuilt (TLS roots or timeouts changed).
    RebuildAgent,
    Nothing,
}

/// One option: its key, how a value is applied, and its documentation —
/// the single source of README's "Options" table and of the key list in
/// `gs_gcal_set_option`'s header text (both checked by the tests below).
pub struct Opt {
    pub key: &'static str,
    /// The default as README shows it (tests only: the library never
    /// shows it, so it is not compiled in).
    #[cfg(test)]
    pub default: &'static str,
    /// The accepted values as README shows them (tests only, likewise).
    #[cfg(test)]
    pub values: &'static str,
    apply: fn(&mut Config, &str) -> Result<Effect>,
}

fn set_endpoint(slot: &mut String, key: &str, v: &str) -> Result<Effect> {
    *slot = endpoint(key, v)?;
    Ok(Effect::Nothing)
}

fn list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Every option, in README's order.
pub const OPTIONS: &[Opt] = &[
    Opt {
        key: "auth_endpoint",
        #[cfg(test)]
        default: "`https://accounts.google.com/o/oauth2/v2/auth`",
        #[cfg(test)]
        values: "https URL (http only for loopback hosts)",
        apply: |c, v| set_endpoint(&mut c.auth_endpoint, "auth_endpoint", v),
    },
    Opt {
        key: "token_endpoint",
        #[cfg(test)]
        default: "`https://oauth2.googleapis.com/token`",
        #[cfg(test)]
        values: "same",
        apply: |c, v| set_endpoint(&mut c.token_endpoint, "token_endpoint", v),
    },
    Opt {
        key: "device_endpoint",
        #[cfg(test)]
        default: "`https://oauth2.googleapis.com/device/code`",
        #[cfg(test)]
        values: "same",
        apply: |c, v| set_endpoint(&mut c.device_endpoint, "device_endpoint", v),
    },
    Opt {
        key: "revoke_endpoint",
        #[cfg(test)]
        default: "`https://oauth2.googleapis.com/revoke`",
        #[cfg(test)]
        values: "same",
        apply: |c, v| set_endpoint(&mut c.revoke_endpoint, "revoke_endpoint", v),
    },
    Opt {
        key: "scopes",
        #[cfg(test)]
        default: "`openid email https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.calendarlist.readonly https://www.googleapis.com/auth/calendar.freebusy`",
        #[cfg(test)]
        values: "space-separated scopes; one of `calendar.events`, `calendar.events.owned` or `calendar` must be granted to write (`calendar.readonly` or `calendar.events.readonly` alone: read-only mode); presence needs `calendar.freebusy` (or `calendar.events.freebusy`, `calendar.readonly`, `calendar`)",
        apply: |c, v| {
            let scopes: Vec<&str> = v.split_whitespace().collect();
            if scopes.is_empty() || scopes.iter().any(|s| !s.bytes().all(|b| b.is_ascii_graphic() && b != b'"')) {
                return Err(Error::InvalidOptionValue("scopes: one or more space-separated OAuth scopes expected".into()));
            }
            c.scopes = scopes.join(" ");
            Ok(Effect::Nothing)
        },
    },
    Opt {
        key: "login_hint",
        #[cfg(test)]
        default: "`\"\"`",
        #[cfg(test)]
        values: "account e-mail pre-filled on Google's sign-in page",
        apply: |c, v| {
            if v.len() > 320 || v.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
                return Err(Error::InvalidOptionValue("login_hint: an e-mail address or Google account id expected".into()));
            }
            c.login_hint = v.into();
            Ok(Effect::Nothing)
        },
    },
    Opt {
        key: "calendar_api_base",
        #[cfg(test)]
        default: "`https://www.googleapis.com/calendar/v3`",
        #[cfg(test)]
        values: "same",
        apply: |c, v| {
            c.calendar_api_base = endpoint("calendar_api_base", v)?.trim_end_matches('/').into();
            Ok(Effect::Nothing)
        },
    },
    Opt {
        key: "ca_file",
        #[cfg(test)]
        default: "built-in Mozilla roots (none in the lean build)",
        #[cfg(test)]
        values: "PEM bundle that **replaces** the roots; `\"\"` restores the built-in ones",
        // Read and checked by the caller (it builds the agent).
        apply: |c, v| {
            c.ca_file = if v.is_empty() { None } else { Some(v.into()) };
            Ok(Effect::RebuildAgent)
        },
    },
    Opt {
        key: "connect_timeout_ms",
        #[cfg(test)]
        default: "`10000`",
        #[cfg(test)]
        values: "1–600000",
        apply: |c, v| {
            c.connect_timeout_ms = millis("connect_timeout_ms", v)?;
            Ok(Effect::RebuildAgent)
        },
    },
    Opt {
        key: "timeout_ms",
        #[cfg(test)]
        default: "`30000`",
        #[cfg(test)]
        values: "1–600000, per whole request",
        apply: |c, v| {
            c.timeout_ms = millis("timeout_ms", v)?;
            Ok(Effect::RebuildAgent)
        },
    },
    Opt {
        key: "call_timeout_ms",
        #[cfg(test)]
        default: "`60000`",
        #[cfg(test)]
        values: "1–600000: no C call runs longer on the network, however many requests it makes",
        apply: |c, v| {
            c.call_timeout_ms = millis("call_timeout_ms", v)?;
            Ok(Effect::Nothing)
        },
    },
    Opt {
        key: "proxy",
        #[cfg(test)]
        default: "`\"\"`",
        #[cfg(test)]
        values: "CONNECT proxy `https://[user:password@]host:port`; plain `http://` only on loopback (over http the proxy password would cross the network in clear: GS_GCAL_INSECURE_URL). Never read from the environment; the password is never shown",
        apply: |c, v| {
            if !v.is_empty() {
                parse_proxy(v)?;
            }
            c.proxy = v.into();
            Ok(Effect::RebuildAgent)
        },
    },
    Opt {
        key: "no_proxy",
        #[cfg(test)]
        default: "`\"\"`",
        #[cfg(test)]
        values: "comma-separated hosts reached directly: `host`, `.domain`, `*`",
        apply: |c, v| {
            c.no_proxy = list(v);
            Ok(Effect::RebuildAgent)
        },
    },
    Opt {
        key: "calendar_id",
        #[cfg(test)]
        default: "`primary`",
        #[cfg(test)]
        values: "a calendar id (e.g. a shared or room calendar's address)",
        apply: |c, v| {
            if v.is_empty() || v.chars().any(|ch| ch.is_control() || ch == '/') {
                return Err(Error::InvalidOptionValue("calendar_id must be non-empty, without '/' or control characters".into()));
            }
            c.calendar_id = v.into();
            Ok(Effect::Nothing)
        },
    },
    Opt {
        key: "instance_id",
        #[cfg(test)]
        default: "`\"\"`",
        #[cfg(test)]
        values: "event-id namespace: set the PBX serial when several PBXes share one calendar",
        apply: |c, v| {
            if v.len() > 128 || v.chars().any(|ch| ch.is_control()) {
                return Err(Error::InvalidOptionValue("instance_id must be at most 128 bytes without control characters".into()));
            }
            c.instance_id = v.into();
            Ok(Effect::Nothing)
        },
    },
    Opt {
        key: "zoneinfo_dir",
        #[cfg(test)]
        default: "`/usr/share/zoneinfo`",
        #[cfg(test)]
        values: "where the system's time zone rules are",
        apply: |c, v| {
            if !v.starts_with('/') {
                return Err(Error::InvalidOptionValue("zoneinfo_dir must be an absolute directory path".into()));
            }
            c.zoneinfo_dir = v.into();
            Ok(Effect::Nothing)
        },
    },
    Opt {
        key: "read_calendars",
        #[cfg(test)]
        default: "`primary`",
        #[cfg(test)]
        values: "comma-separated calendar ids that `gs_gcal_sync_events` keeps (e.g. primary, a shared and a room calendar)",
        apply: |c, v| {
            let ids = list(v);
            if ids.is_empty() || ids.len() > 16 || ids.iter().any(|id| id.contains('/') || id.chars().any(char::is_control)) {
                return Err(Error::InvalidOptionValue("read_calendars: 1 to 16 comma-separated calendar ids expected".into()));
            }
            c.read_calendars = ids;
            Ok(Effect::Nothing)
        },
    },
    Opt {
        key: "send_updates",
        #[cfg(test)]
        default: "`all`",
        #[cfg(test)]
        values: "`all`, `externalOnly`, `none` (Google's own default is none: guests would not be e-mailed)",
        apply: |c, v| {
            c.send_updates = match v {
                "all" => SendUpdates::All,
                "externalOnly" => SendUpdates::ExternalOnly,
                "none" => SendUpdates::None,
                _ => return Err(Error::InvalidOptionValue("send_updates must be all, externalOnly or none".into())),
            };
            Ok(Effect::Nothing)
        },
    },
    Opt {
        key: "presence_horizon_min",
        #[cfg(test)]
        default: "`720`",
        #[cfg(test)]
        values: "15–10080: minutes ahead `gs_gcal_presence_refresh` asks free/busy for (now → now + this)",
        apply: |c, v| {
            c.presence_horizon_secs = ranged("presence_horizon_min", v, 15, 10_080)? * 60;
            Ok(Effect::Nothing)
        },
    },
    Opt {
        key: "read_horizon_days",
        #[cfg(test)]
        default: "`400`",
        #[cfg(test)]
        values: "1–3650: `gs_gcal_sync_events` keeps events starting before now + this (a never-ending series or deltas dated 2099 do not grow the cache)",
        apply: |c, v| {
            c.read_horizon_secs = ranged("read_horizon_days", v, 1, 3650)? * 86_400;
            Ok(Effect::Nothing)
        },
    },
];

fn ranged(key: &str, value: &str, min: i64, max: i64) -> Result<i64> {
    match value.parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(Error::InvalidOptionValue(format!("option {key}: an integer between {min} and {max} expected"))),
    }
}

impl Config {
    /// Applies one option (looked up in `OPTIONS`). On error the config is
    /// unchanged (the caller applies it to a copy).
    pub fn set(&mut self, key: &str, value: &str) -> Result<Effect> {
        if value.len() > MAX_OPTION_LEN {
            return Err(Error::InvalidOptionValue(format!(
                "option {key}: value longer than {MAX_OPTION_LEN} bytes"
            )));
        }
        match OPTIONS.iter().find(|o| o.key == key) {
            Some(o) => (o.apply)(self, value),
            None => Err(Error::UnknownOption(format!("unknown option key \"{}\"", printable(key)))),
        }
    }
}



/// A proxy URL's parts: host, port, user, password. Errors never quote the
/// value (it may hold a password).
/// A CONNECT proxy: `https://[user:password@]host:port` anywhere, or
/// `http://...` on this machine only (loopback): over plain http the
/// proxy password, and the name of every host called, cross the network
/// in clear. Returns (tls to the proxy, host, port, user, password).
pub fn parse_proxy(value: &str) -> Result<(bool, String, u16, Option<String>, Option<String>)> {
    let bad = |why: &str| Error::InvalidOptionValue(format!("proxy: {why} (expected https://[user:password@]host:port)"));
    let (tls, rest) = match (value.strip_prefix("https://"), value.strip_prefix("http://")) {
        (Some(r), _) => (true, r),
        (None, Some(r)) => (false, r),
        _ => return Err(bad("only http(s):// CONNECT proxies are supported")),
    };
    let rest = rest.trim_end_matches('/');
    let (userinfo, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    let (host, port) = hostport.rsplit_once(':').ok_or_else(|| bad("port missing"))?;
    let port: u16 = port.parse().map_err(|_| bad("bad port"))?;
    if host.is_empty() || host.contains(['/', '?', '#', ' ']) {
        return Err(bad("bad host"));
    }
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().map(|c| c.into_owned()).map_err(|_| bad("bad user or password encoding"));
    let (user, pass) = match userinfo {
        None => (None, None),
        Some(u) => match u.split_once(':') {
            Some((a, b)) => (Some(decode(a)?), Some(decode(b)?)),
            None => (Some(decode(u)?), None),
        },
    };
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    if !tls && !is_loopback(&host) {
        return Err(Error::InsecureUrl(
            "proxy: a plain http:// proxy is allowed only on this machine (loopback); use \
             https://host:port for a proxy on the network (over http its password would travel in clear)"
                .into(),
        ));
    }
    Ok((tls, host, port, user, pass))
}

fn millis(key: &str, value: &str) -> Result<u32> {
    match value.parse::<u32>() {
        Ok(v) if (1..=600_000).contains(&v) => Ok(v),
        _ => Err(Error::InvalidOptionValue(format!(
            "option {key}: milliseconds between 1 and 600000 expected"
        ))),
    }
}

/// An unknown key echoed in an error, without control characters and bounded.
fn printable(s: &str) -> String {
    crate::oauth::printable(s).chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// README's "Options" table is this table, row for row, and the
    /// header's text of gs_gcal_set_option names every key.
    #[test]
    fn readme_and_header_document_every_option() {
        let readme = include_str!("../README.md");
        for o in OPTIONS {
            let row = format!("| `{}` | {} | {} |", o.key, o.default, o.values);
            assert!(readme.contains(&row), "README.md lacks the row\n{row}");
        }
        let section = &readme[readme.find("\n## Options\n").expect("README has ## Options")..];
        let section = &section[..section[1..].find("\n## ").map_or(section.len(), |i| i + 1)];
        let rows = section.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(rows, OPTIONS.len(), "README's Options table has a row this table lacks");
        let header = include_str!("../include/gs_gcal.h");
        let doc = &header[..header.find("gs_gcal_result gs_gcal_set_option(").expect("set_option in the header")];
        let doc = &doc[doc.rfind("/**").unwrap()..];
        for o in OPTIONS {
            assert!(doc.contains(&format!("\"{}\"", o.key)), "gs_gcal_set_option's header text lacks \"{}\"", o.key);
        }
    }

    #[test]
    fn endpoints_must_be_https_unless_loopback() {
        let mut c = Config::default();
        assert!(c.set("token_endpoint", "https://example.com/token").is_ok());
        assert!(c.set("token_endpoint", "http://127.0.0.1:9/token").is_ok());
        assert!(c.set("token_endpoint", "http://[::1]:9/token").is_ok());
        assert!(c.set("token_endpoint", "http://localhost/token").is_ok());
        assert!(matches!(
            c.set("token_endpoint", "http://oauth2.googleapis.com/token"),
            Err(Error::InsecureUrl(_))
        ));
        assert!(matches!(c.set("token_endpoint", "ftp://x/y"), Err(Error::InvalidOptionValue(_))));
        assert!(matches!(c.set("token_endpoint", "not a url"), Err(Error::InvalidOptionValue(_))));
        // a failed set leaves the last good value
        assert_eq!(c.token_endpoint, "http://localhost/token");
    }

    #[test]
    fn timeouts_are_bounded() {
        let mut c = Config::default();
        assert_eq!(c.set("timeout_ms", "5000"), Ok(Effect::RebuildAgent));
        assert_eq!(c.timeout_ms, 5000);
        for bad in ["0", "-1", "600001", "", "1e3"] {
            assert!(matches!(c.set("timeout_ms", bad), Err(Error::InvalidOptionValue(_))), "{bad}");
        }
    }

    #[test]
    fn proxies() {
        assert_eq!(parse_proxy("https://pbx:s%3Acret@10.0.0.1:3128").unwrap(),
            (true, "10.0.0.1".into(), 3128, Some("pbx".into()), Some("s:cret".into())));
        assert_eq!(parse_proxy("https://proxy.lan:8080/").unwrap().1, "proxy.lan");
        assert_eq!(parse_proxy("http://127.0.0.1:3128").unwrap().0, false);
        for insecure in ["http://proxy.lan:8080", "http://u:p@10.0.0.1:3128"] {
            assert!(matches!(parse_proxy(insecure), Err(Error::InsecureUrl(_))), "{insecure}");
        }
        for bad in ["http://p", "http://p:x", "socks5://p:1", "https://p"] {
            let e = parse_proxy(bad).unwrap_err();
            assert!(matches!(e, Error::InvalidOptionValue(_)), "{bad}");
        }
        let e = parse_proxy("http://u:topsecret@h:badport").unwrap_err();
        assert!(!e.to_string().contains("topsecret"));
    }

    #[test]
    fn unknown_keys_and_values() {
        let mut c = Config::default();
        assert!(matches!(c.set("colour", "blue"), Err(Error::UnknownOption(_))));
        assert!(matches!(c.set("send_updates", "some"), Err(Error::InvalidOptionValue(_))));
        assert!(matches!(c.set("calendar_id", "a/b"), Err(Error::InvalidOptionValue(_))));
        assert!(c.set("send_updates", "none").is_ok());
        assert_eq!(c.send_updates, SendUpdates::None);
    }
}
