//! The only code that touches disk: one JSON state file per state directory,
//! replaced atomically (write temp, fsync, rename, fsync dir), mode 0600
//! because it holds the client secret and tokens, and an advisory lock so
//! two handles never interleave writes to one directory.

pub mod journal;
pub mod sealed;
pub mod zoneinfo;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use crate::secret::Secret;
use std::path::{Path, PathBuf};

const STATE_FILE: &str = "gs_gcal.state.json";
const CACHE_FILE: &str = "gs_gcal.cache.json";
const CACHE_VERSION: u32 = 1;
const LOCK_FILE: &str = "gs_gcal.lock";
/// Bump when the format changes incompatibly; older files are migrated.
pub(crate) const STATE_VERSION: u32 = 1;

/// What the admin entered on the "Google Services" page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientConfig {
    pub client_id: String,
    pub client_secret: Secret,
    pub redirect_uri: String,
}

/// An authorization link handed out and not yet used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuth {
    pub state: String,
    pub code_verifier: Secret,
    /// Unix seconds.
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: Secret,
    /// Unix seconds at which Google said the access token expires.
    pub access_expires_at: i64,
    pub refresh_token: Secret,
    /// Granted scopes, space-separated, as Google returned them.
    pub scope: String,
    /// Unix seconds of the consent (code exchange), by our clock.
    pub authorized_at: i64,
    /// The consent time by Google's clock (its `Date` header), when known:
    /// diagnosing "revoked 7 days after consent" must not depend on a PBX
    /// clock that may have been wrong or changed since.
    #[serde(default)]
    pub authorized_at_google: Option<i64>,
    /// Unix seconds of the last successful refresh.
    #[serde(default)]
    pub refreshed_at: Option<i64>,
}

/// The read side's copy of the calendars (rebuildable from Google).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    pub version: u32,
    #[serde(default)]
    pub calendars: std::collections::BTreeMap<String, CalendarCache>,
    /// Drift found by a sync and not yet delivered to the firmware.
    #[serde(default)]
    pub undelivered: Vec<Drift>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarCache {
    pub sync_token: Option<String>,
    pub time_zone: Option<String>,
    pub events: std::collections::BTreeMap<String, crate::events::CachedEvent>,
}

/// A pushed meeting's event changed or deleted in Google, not by us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub meeting_id: String,
    pub event_id: String,
    /// `modified` or `deleted`.
    pub change: String,
}

/// A pushed meeting's event and when we (or a reported drift) last
/// touched it, by Google's clock: changes Google reports as made later
/// were made by someone else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pushed {
    pub event_id: String,
    /// Unix milliseconds (Google's `updated` of our write, or its `Date`).
    pub written_ms: i64,
}

/// A refresh token waiting to be revoked, with the account it belongs to:
/// Google revokes a user's whole grant to the project, so revoking it after
/// the same account authorized again would kill the new authorization too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub refresh_token: Secret,
    pub account: Option<String>,
}

/// A device-flow authorization in progress ("TVs and Limited Input devices").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAuth {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_url: String,
    /// Unix seconds at which the codes expire.
    pub expires_at: i64,
    /// Seconds to wait between polls (grows by 5 on each slow_down).
    pub interval: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    #[serde(default)]
    pub client: Option<ClientConfig>,
    #[serde(default)]
    pub pending: Vec<PendingAuth>,
    #[serde(default)]
    pub tokens: Option<Tokens>,
    /// The authorized Google account's e-mail.
    #[serde(default)]
    pub account: Option<String>,
    /// Set when Google refused the refresh token (revoked, expired): the
    /// admin must authorize again. The text says why.
    #[serde(default)]
    pub reauth_required: Option<String>,
    /// SHA-256 (hex) of the last authorization codes redeemed, so a second
    /// paste of the same code gets a clear answer without asking Google.
    #[serde(default)]
    pub used_codes: Vec<String>,
    /// Grants to revoke at Google when it is reachable again (after a reset
    /// made offline, or a re-authorization with another account).
    #[serde(default)]
    pub pending_revocations: Vec<Revocation>,
    #[serde(default)]
    pub device: Option<DeviceAuth>,
    /// Event-id generation per meeting id, for meetings whose first id
    /// Google refused to restore after a deletion in its UI (absent = 0).
    #[serde(default)]
    pub generations: std::collections::BTreeMap<String, u32>,
    /// Per meeting id: its event and the etag of our last write, so a sync
    /// can tell edits made in Google from our own.
    #[serde(default)]
    pub pushed: std::collections::BTreeMap<String, Pushed>,
    /// Unix seconds until which writes pause (Google's quotaExceeded).
    #[serde(default)]
    pub quota_pause_until: Option<i64>,
    /// Operations Google refused for good (never retried), newest last.
    #[serde(default)]
    pub parked: Vec<Parked>,
}

/// An outbox operation Google refused for good, for the admin to see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parked {
    pub meeting_id: String,
    pub occurrence: Option<String>,
    /// `push` or `cancel`.
    pub op: String,
    pub code: i32,
    pub message: String,
    pub at: i64,
}

/// An open state directory. Holding it holds the directory's lock.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    // Released when the Store (and so the handle) is dropped.
    _lock: File,
}

impl Store {
    /// Opens (creating if needed) `dir`, takes its lock and loads the state.
    pub fn open(dir: &Path) -> Result<(Store, State)> {
        if dir.as_os_str().is_empty() {
            return Err(Error::InvalidArgument("state_dir is empty".into()));
        }
        fs::create_dir_all(dir).map_err(|e| io_err("create state directory", dir, &e))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| io_err("open lock file", &lock_path, &e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Error::StateLocked(format!(
                    "state directory {} is already open in another handle or process",
                    dir.display()
                )))
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_err("lock", &lock_path, &e)),
        }
        let store = Store { dir: dir.to_path_buf(), _lock: lock };
        let state = store.load()?;
        Ok((store, state))
    }

    fn load(&self) -> Result<State> {
        let path = self.dir.join(STATE_FILE);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(State { version: STATE_VERSION, ..State::default() })
            }
            Err(e) => return Err(io_err("read", &path, &e)),
        };
        parse_state(&bytes).map_err(|why| {
            // Set aside, never deleted: the next open starts fresh, and the
            // damaged file stays for inspection or a manual repair.
            let aside = self.dir.join(format!("{STATE_FILE}.corrupt-{}", unix_now()));
            match fs::rename(&path, &aside) {
                Ok(()) => Error::StateCorrupt(format!(
                    "{}: {why}; it was moved to {} and the next open starts unconfigured",
                    path.display(),
                    aside.display()
                )),
                Err(e) => Error::StateCorrupt(format!(
                    "{}: {why}; it could not be set aside ({e}) and was left untouched",
                    path.display()
                )),
            }
        })
    }

    /// Replaces the state file atomically and durably.
    pub fn save(&self, state: &State) -> Result<()> {
        let json = serde_json::to_vec_pretty(state)
            .map_err(|e| Error::Internal(format!("state serialisation failed: {e}")))?;
        self.write_atomic(STATE_FILE, &json)
    }

    /// Loads the read-side cache; a missing, damaged or foreign one is an
    /// empty cache (Google has everything it held).
    pub fn load_cache(&self) -> Cache {
        fs::read(self.dir.join(CACHE_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<Cache>(&b).ok())
            .filter(|c| c.version == CACHE_VERSION)
            .unwrap_or_else(|| Cache { version: CACHE_VERSION, ..Cache::default() })
    }

    pub fn save_cache(&self, cache: &Cache) -> Result<()> {
        let json = serde_json::to_vec(cache)
            .map_err(|e| Error::Internal(format!("cache serialisation failed: {e}")))?;
        self.write_atomic(CACHE_FILE, &json)
    }

    /// Writes `name` in the state directory atomically and durably: temp
    /// file, fsync, rename, fsync of the directory; mode 0600.
    pub(crate) fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let tmp = self.dir.join(format!("{name}.tmp"));
        let path = self.dir.join(name);
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            // The rename is durable only once the directory is synced.
            File::open(&self.dir)?.sync_all()
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io_err("write", &path, &e)
        })
    }
}

/// Parses a state file; the error says why without quoting its content
/// (which holds secrets).
pub fn parse_state(bytes: &[u8]) -> std::result::Result<State, String> {
    let state: State = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a valid state file (line {}, column {})", e.line(), e.column()))?;
    if state.version == 0 || state.version > STATE_VERSION {
        return Err(format!(
            "state file version {} is not supported by this library (max {STATE_VERSION})",
            state.version
        ));
    }
    Ok(state)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) fn io_err(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::StorageIo(format!("cannot {what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("gs_gcal_store_{name}_{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip_and_lock() {
        let dir = tempdir("rt");
        let (store, mut st) = Store::open(&dir).unwrap();
        assert_eq!(st.version, STATE_VERSION);
        st.account = Some("a@b.c".into());
        store.save(&st).unwrap();
        assert!(matches!(Store::open(&dir), Err(Error::StateLocked(_))));
        drop(store);
        let (_s, again) = Store::open(&dir).unwrap();
        assert_eq!(again, st);
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join(STATE_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "state file must not be readable by others");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_file_is_reported_and_kept() {
        let dir = tempdir("corrupt");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(STATE_FILE), b"{\"version\":1,\"client\":{\"client_secret\":\"x").unwrap();
        let err = Store::open(&dir).unwrap_err();
        assert!(matches!(err, Error::StateCorrupt(_)));
        assert!(!err.to_string().contains("client_secret\":\"x"));
        // Set aside with its bytes intact; the next open starts fresh.
        let aside: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert!(fs::read(aside[0].path()).unwrap().starts_with(b"{\"version\":1"));
        let (_s, fresh) = Store::open(&dir).unwrap();
        assert!(fresh.client.is_none());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn future_versions_are_refused() {
        assert!(parse_state(br#"{"version":99}"#).unwrap_err().contains("version 99"));
        assert!(parse_state(br#"{"version":1}"#).is_ok());
    }
}
