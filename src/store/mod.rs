//! The only code that touches disk: the state file (replaced atomically:
//! write temp, fsync, rename, fsync dir; mode 0600 because it holds the
//! client secret and tokens), the outbox journal, the read-side cache and
//! the directory's lock, so two handles never interleave writes. What is on
//! disk is a versioned record (`records`, `cache`), never a domain type;
//! every file is opened without following links and read within a stated
//! bound (`fs`).

mod cache;
mod fields;
pub(crate) mod fs;
pub mod journal;
#[cfg(test)]
mod oracle;
pub(crate) mod records;
pub mod sealed;
pub mod zoneinfo;

use crate::errors::{Error, Result};
use crate::state::{Cache, SetAside, State};
use fields::{Fields, WipedTree};
use records::STATE_FORMAT;
use std::fs::File;
use std::path::{Path, PathBuf};

const STATE_FILE: &str = "gs_gcal.state.json";
const CACHE_FILE: &str = "gs_gcal.cache.json";
const CACHE_VERSION: u32 = 1;
const LOCK_FILE: &str = "gs_gcal.lock";
/// Largest state file read. A state holds the client, tokens and a record
/// per pushed meeting (~150 bytes each): 4 MiB is over 20,000 meetings.
pub(crate) const MAX_STATE_BYTES: u64 = 4 << 20;
/// Largest CA bundle read (Debian's ca-certificates.crt is ~220 KB).
pub(crate) const MAX_CA_FILE_BYTES: u64 = 2 << 20;
/// Largest cache file read (it is rebuildable: beyond, it is ignored).
pub(crate) const MAX_CACHE_BYTES: u64 = 32 << 20;

/// An open state directory. Holding it holds the directory's lock.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    journal: journal::Journal,
    // Released when the Store (and so the handle) is dropped.
    _lock: File,
}

impl Store {
    /// Opens (creating it 0700 if needed) `dir`, takes its lock and loads
    /// the state. `now` names a damaged file set aside.
    pub fn open(dir: &Path, now: i64) -> Result<(Store, State)> {
        if dir.as_os_str().is_empty() {
            return Err(Error::InvalidArgument("state_dir is empty".into()));
        }
        fs::ensure_dir(dir)?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = fs::open_lock(&lock_path)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::StateLocked(format!(
                    "state directory {} is already open in another handle or process",
                    dir.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(fs::io_err("lock", &lock_path, &e)),
        }
        let store = Store { dir: dir.to_path_buf(), journal: Default::default(), _lock: lock };
        let state = store.load(now)?;
        Ok((store, state))
    }

    fn load(&self, now: i64) -> Result<State> {
        let path = self.dir.join(STATE_FILE);
        let Some(bytes) = fs::read_bounded(&path, MAX_STATE_BYTES)? else { return Ok(State::default()) };
        let bytes = crate::secret::Wiped(bytes);
        match parse_state(&bytes.0) {
            Ok(state) => Ok(state),
            Err(Parsed::TooNew(v)) => Err(Error::StateTooNew(format!(
                "{}: format {v}, and this library reads up to {STATE_FORMAT}: it was written by a \
                 newer gs-gcal; nothing was changed (install that version again)",
                path.display()
            ))),
            Err(Parsed::Bad(why)) => Err(self.set_aside_state(&path, &why, now)),
        }
    }

    /// A damaged state file is set aside, never deleted; a fresh state that
    /// reports it is written, so the next open starts unconfigured and the
    /// status says what happened.
    fn set_aside_state(&self, path: &Path, why: &str, now: i64) -> Error {
        match fs::set_aside(&self.dir, STATE_FILE, now) {
            Ok(aside) => {
                let note = SetAside { file: aside.display().to_string(), what: format!("state file: {why}"), at: now };
                let fresh = State { set_aside: vec![note], ..State::default() };
                let _ = self.save(&fresh);
                Error::StateCorrupt(format!(
                    "{}: {why}; it was moved to {} and the next open starts unconfigured",
                    path.display(),
                    aside.display()
                ))
            }
            Err(e) => Error::StateCorrupt(format!(
                "{}: {why}; it could not be set aside ({e}) and was left untouched",
                path.display()
            )),
        }
    }

    /// Replaces the state file atomically and durably.
    pub fn save(&self, state: &State) -> Result<()> {
        let json = crate::secret::Wiped(state_bytes(state)?);
        fs::write_atomic(&self.dir, STATE_FILE, &json.0)
    }

    /// Loads the read-side cache; a missing, damaged, oversized or foreign
    /// one is an empty cache (Google has everything it held).
    pub fn load_cache(&self) -> Cache {
        fs::read_bounded(&self.dir.join(CACHE_FILE), MAX_CACHE_BYTES)
            .ok()
            .flatten()
            .and_then(|b| cache::read_cache(&b))
            .filter(|c| c.version == CACHE_VERSION)
            .unwrap_or_else(|| Cache { version: CACHE_VERSION, ..Cache::default() })
    }

    pub fn save_cache(&self, cache: &Cache) -> Result<()> {
        fs::write_atomic(&self.dir, CACHE_FILE, &cache::cache_bytes(cache))
    }
}

/// The `ca_file` option's bundle: bounded, regular files only, never
/// blocking (a FIFO or /dev/zero is refused at once).
pub fn read_ca_file(path: &str) -> Result<Vec<u8>> {
    match fs::read_config_file(Path::new(path), MAX_CA_FILE_BYTES) {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(Error::CaFile(format!("ca_file {path}: no such file"))),
        Err(e) => Err(Error::CaFile(format!("ca_file {path}: {e}"))),
    }
}

/// The state file's bytes (also the plaintext of a sealed backup). The
/// buffer is sized up front so no partial copy of a secret is left in a
/// freed reallocation. (Never fails; a Result for the callers' sake.)
pub(crate) fn state_bytes(state: &State) -> Result<Vec<u8>> {
    let mut w = crate::json::Writer::with_capacity(16 * 1024 + 256 * state.pushed.len());
    records::write_state(&mut w, state);
    Ok(w.buf)
}

/// One event through the cache file's writer and reader (the fuzz
/// targets' check that a cached event comes back the same).
#[doc(hidden)]
pub(crate) fn cached_event_round_trip(e: &crate::events::CachedEvent) -> Option<crate::events::CachedEvent> {
    let mut c = Cache { version: CACHE_VERSION, ..Cache::default() };
    c.calendars.entry("primary".into()).or_default().events.insert(e.id.clone(), e.clone());
    cache::read_cache(&cache::cache_bytes(&c))?.calendars.remove("primary")?.events.remove(&e.id)
}

/// Why a state file could not be used.
pub(crate) enum Parsed {
    /// Damaged or crafted: the text says why without quoting the content.
    Bad(String),
    /// Written by a newer library (its format number).
    TooNew(u32),
}

/// Parses a state file (or a backup's plaintext); the error says why
/// without quoting its content (which holds secrets): at most a field's
/// name.
pub(crate) fn parse_state(bytes: &[u8]) -> std::result::Result<State, Parsed> {
    let field = |f: String| Parsed::Bad(format!("not a valid state file (field {f} is missing or of the wrong type)"));
    let Some(doc) = crate::json::parse(bytes) else {
        return Err(Parsed::Bad("not a valid state file (not JSON, or a member given twice)".into()));
    };
    // What is not moved into the state (unknown members, what was left
    // when reading failed) is wiped: it may hold secrets.
    let mut doc = WipedTree(doc);
    let mut f = Fields::of(&mut doc.0, "").map_err(|_| Parsed::Bad("not a valid state file (not a JSON object)".into()))?;
    // The version first, so a newer format is told apart from damage.
    let version: u32 = f.int("version").map_err(field)?;
    if version > STATE_FORMAT {
        return Err(Parsed::TooNew(version));
    }
    if version == 0 {
        return Err(Parsed::Bad("state file version 0 is not a valid version".into()));
    }
    let state = records::read_state(&mut f).map_err(field)?;
    records::check_state(&state).map_err(Parsed::Bad)?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs as sfs;
    use std::os::unix::fs::PermissionsExt;

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("gs_gcal_store_{name}_{}", std::process::id()));
        let _ = sfs::remove_dir_all(&d);
        d
    }

    fn mode(p: &Path) -> u32 {
        sfs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn corrupt_copies(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<_> = sfs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn round_trip_lock_and_modes() {
        let dir = tempdir("rt");
        let (store, mut st) = Store::open(&dir, 0).unwrap();
        assert_eq!(mode(&dir), 0o700);
        st.account = Some("a@b.c".into());
        store.save(&st).unwrap();
        assert!(matches!(Store::open(&dir, 0), Err(Error::StateLocked(_))));
        drop(store);
        let (_s, again) = Store::open(&dir, 0).unwrap();
        assert_eq!(again, st);
        assert_eq!(mode(&dir.join(STATE_FILE)), 0o600);
        sfs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_open_directory_is_tightened_to_0700() {
        let dir = tempdir("mode");
        sfs::create_dir_all(&dir).unwrap();
        sfs::set_permissions(&dir, sfs::Permissions::from_mode(0o777)).unwrap();
        drop(Store::open(&dir, 0).unwrap());
        assert_eq!(mode(&dir), 0o700);
        sfs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn damaged_files_are_kept_under_distinct_names() {
        let dir = tempdir("corrupt");
        sfs::create_dir_all(&dir).unwrap();
        for round in 0..2 {
            sfs::write(dir.join(STATE_FILE), format!("{{\"version\":1,\"client\":{{\"client_secret\":\"x{round}")).unwrap();
            // The same second both times: the first copy must survive.
            let err = Store::open(&dir, 1_700_000_000).unwrap_err();
            assert!(matches!(err, Error::StateCorrupt(_)));
            assert!(!err.to_string().contains("client_secret\":\"x"));
            let (_s, fresh) = Store::open(&dir, 0).unwrap();
            assert!(fresh.client.is_none());
            assert_eq!(fresh.set_aside.len(), 1, "the fresh state reports it");
        }
        let copies = corrupt_copies(&dir);
        assert_eq!(copies.len(), 2);
        assert!(sfs::read(&copies[0]).unwrap().ends_with(b"x0"));
        assert!(sfs::read(&copies[1]).unwrap().ends_with(b"x1"));
        sfs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn newer_formats_are_refused_and_kept() {
        let dir = tempdir("newer");
        sfs::create_dir_all(&dir).unwrap();
        sfs::write(dir.join(STATE_FILE), br#"{"version":2,"whatever":{}}"#).unwrap();
        assert!(matches!(Store::open(&dir, 0), Err(Error::StateTooNew(_))));
        assert_eq!(sfs::read(dir.join(STATE_FILE)).unwrap(), br#"{"version":2,"whatever":{}}"#);
        assert!(corrupt_copies(&dir).is_empty());
        assert!(parse_state(br#"{"version":1}"#).is_ok());
        sfs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn crafted_numbers_are_refused() {
        for (field, bad) in [
            ("access_expires_at", "-9223372036854775808"),
            ("authorized_at", "9223372036854775807"),
        ] {
            let doc = format!(
                r#"{{"version":1,"tokens":{{"access_token":"a","access_expires_at":{},"refresh_token":"r","scope":"","authorized_at":{}}}}}"#,
                if field == "access_expires_at" { bad } else { "1" },
                if field == "authorized_at" { bad } else { "1" },
            );
            match parse_state(doc.as_bytes()) {
                Err(Parsed::Bad(why)) => assert!(why.contains(field), "{why}"),
                _ => panic!("{field} = {bad} accepted"),
            }
        }
        let quota = br#"{"version":1,"quota_pause_until":9223372036854775807}"#;
        assert!(matches!(parse_state(quota), Err(Parsed::Bad(_))));
    }

    #[test]
    fn planted_links_fifos_and_huge_files_are_refused() {
        let dir = tempdir("hostile");
        let outside = tempdir("hostile_outside");
        sfs::create_dir_all(&dir).unwrap();
        sfs::write(&outside, b"keep").unwrap();
        sfs::set_permissions(&outside, sfs::Permissions::from_mode(0o644)).unwrap();
        // A symlink as the temporary: replaced, never written through.
        std::os::unix::fs::symlink(&outside, dir.join(format!("{STATE_FILE}.tmp"))).unwrap();
        let (store, st) = Store::open(&dir, 0).unwrap();
        store.save(&st).unwrap();
        assert_eq!(sfs::read(&outside).unwrap(), b"keep");
        assert_eq!(mode(&outside), 0o644);
        // A 0666 temporary left behind: the state file is 0600 anyway.
        sfs::write(dir.join(format!("{STATE_FILE}.tmp")), b"").unwrap();
        sfs::set_permissions(dir.join(format!("{STATE_FILE}.tmp")), sfs::Permissions::from_mode(0o666)).unwrap();
        store.save(&st).unwrap();
        assert_eq!(mode(&dir.join(STATE_FILE)), 0o600);
        drop(store);
        // A symlink as the state file: not followed.
        sfs::remove_file(dir.join(STATE_FILE)).unwrap();
        std::os::unix::fs::symlink(&outside, dir.join(STATE_FILE)).unwrap();
        assert!(matches!(Store::open(&dir, 0), Err(Error::StorageIo(e)) if e.contains("symbolic link")));
        // A FIFO: refused at once, not waited on.
        sfs::remove_file(dir.join(STATE_FILE)).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(dir.join(STATE_FILE)).status().unwrap().success());
        assert!(matches!(Store::open(&dir, 0), Err(Error::StorageIo(e)) if e.contains("not a regular file")));
        // A huge sparse file: refused without reading it.
        sfs::remove_file(dir.join(STATE_FILE)).unwrap();
        let f = sfs::File::create(dir.join(STATE_FILE)).unwrap();
        f.set_len(1 << 30).unwrap();
        assert!(matches!(Store::open(&dir, 0), Err(Error::StorageIo(e)) if e.contains("more than")));
        sfs::remove_dir_all(&dir).unwrap();
        sfs::remove_file(&outside).unwrap();
    }

    /// Files written by 0.1.0 (tests/fixtures): every field survives.
    #[test]
    fn format_1_fixtures_load_whole() {
        let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        for (name, queued, pushed) in [("v1-configured", 9, 0), ("v1-authorized", 1, 1)] {
            let dir = tempdir(name);
            sfs::create_dir_all(&dir).unwrap();
            for f in [STATE_FILE, journal::OUTBOX_FILE] {
                sfs::copy(fx.join(name).join(f), dir.join(f)).unwrap();
            }
            let (mut store, st) = Store::open(&dir, 0).unwrap();
            assert!(st.client.is_some(), "{name}");
            assert_eq!(st.pushed.len(), pushed, "{name}");
            let l = store.load_outbox(0).unwrap();
            assert_eq!(l.entries.len(), queued, "{name}");
            assert!(l.set_aside.is_none(), "{name}");
            // Upgraded in place to format 2; reading it again loses nothing.
            let text = sfs::read_to_string(dir.join(journal::OUTBOX_FILE)).unwrap();
            assert!(text.starts_with("{\"journal\":2,"), "{name}");
            assert_eq!(store.load_outbox(0).unwrap().entries, l.entries);
            drop(store);
            sfs::remove_dir_all(&dir).unwrap();
        }
    }
}
