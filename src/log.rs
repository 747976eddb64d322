//! Log lines for the firmware (syslog, a web console): one per Google
//! call and one per decision the library takes on its own (queue, retry,
//! park, refresh, re-authorization needed).
//!
//! Nothing is logged unless the firmware installs a sink, and a line is
//! formatted only when its level is wanted. Lines never carry a secret:
//! credentials live in `Secret`, which cannot be printed, and URLs are
//! logged without their query values.

use std::fmt;
use std::sync::{Arc, RwLock};

/// Severity, most severe first (the C values are `GS_GCAL_LOG_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

impl Level {
    /// The level for a C value; out-of-range values are clamped.
    pub fn from_c(v: i32) -> Option<Level> {
        match v {
            i32::MIN..=0 => None,
            1 => Some(Level::Error),
            2 => Some(Level::Warn),
            3 => Some(Level::Info),
            _ => Some(Level::Debug),
        }
    }
}

/// Where lines go and the most verbose level wanted.
#[derive(Clone)]
pub struct Sink {
    pub max: Level,
    pub write: Arc<dyn Fn(Level, &str) + Send + Sync>,
}

/// The process-wide sink, used by handles that have none of their own.
static GLOBAL: RwLock<Option<Sink>> = RwLock::new(None);

pub fn set_global(sink: Option<Sink>) {
    *GLOBAL.write().unwrap_or_else(|p| p.into_inner()) = sink;
}

/// A handle's logger: its own sink, else the process-wide one.
#[derive(Clone, Default)]
pub struct Log {
    own: Option<Sink>,
}

impl Log {
    pub fn set(&mut self, sink: Option<Sink>) {
        self.own = sink;
    }

    fn sink(&self, level: Level) -> Option<Sink> {
        let s = match &self.own {
            Some(s) => Some(s.clone()),
            None => GLOBAL.read().unwrap_or_else(|p| p.into_inner()).clone(),
        };
        s.filter(|s| level <= s.max)
    }

    pub fn enabled(&self, level: Level) -> bool {
        self.sink(level).is_some()
    }

    pub fn emit(&self, level: Level, args: fmt::Arguments<'_>) {
        if let Some(s) = self.sink(level) {
            (s.write)(level, &fmt::format(args));
        }
    }
}

/// `info!(log, "...", args)` and friends: formats only when wanted.
macro_rules! log_at {
    ($log:expr, $level:ident, $($arg:tt)+) => {
        $log.emit($crate::log::Level::$level, format_args!($($arg)+))
    };
}
pub(crate) use log_at;

/// A URL as it may be logged: scheme, host and path, and of the query
/// only the parameter names (values may be tokens or e-mail addresses).
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = base.to_owned();
    if let Some(q) = query {
        let names: Vec<&str> = q.split('&').filter(|p| !p.is_empty()).map(|p| p.split('=').next().unwrap_or("")).collect();
        out.push('?');
        out.push_str(&names.iter().map(|n| format!("{n}=…")).collect::<Vec<_>>().join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn levels_filter_and_own_sink_wins() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l2 = lines.clone();
        let mut log = Log::default();
        log.set(Some(Sink { max: Level::Info, write: Arc::new(move |lv, s: &str| l2.lock().unwrap().push((lv, s.to_owned()))) }));
        log_at!(log, Info, "push {}: done", "m1");
        log_at!(log, Debug, "not wanted");
        log_at!(log, Error, "bad");
        assert!(log.enabled(Level::Warn) && !log.enabled(Level::Debug));
        assert_eq!(*lines.lock().unwrap(), vec![(Level::Info, "push m1: done".to_owned()), (Level::Error, "bad".to_owned())]);
        log.set(None);
        // No own sink and (in this test) no global one: nothing, no cost.
        assert!(!log.enabled(Level::Error));
    }

    #[test]
    fn levels_from_c() {
        assert_eq!(Level::from_c(0), None);
        assert_eq!(Level::from_c(-5), None);
        assert_eq!(Level::from_c(1), Some(Level::Error));
        assert_eq!(Level::from_c(99), Some(Level::Debug));
    }

    #[test]
    fn urls_lose_query_values() {
        assert_eq!(redact_url("https://oauth2.googleapis.com/revoke?token=1//0gSECRET"), "https://oauth2.googleapis.com/revoke?token=…");
        assert_eq!(
            redact_url("https://www.googleapis.com/calendar/v3/calendars/primary/events?timeMin=2024&pageToken=abc&singleEvents=true"),
            "https://www.googleapis.com/calendar/v3/calendars/primary/events?timeMin=…&pageToken=…&singleEvents=…"
        );
        assert_eq!(redact_url("https://x/token"), "https://x/token");
    }
}
