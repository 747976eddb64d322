//! Reading the system's time zone database: the bytes of one TZif file.
//! Parsing and all computing happen in `meeting::zone`; this is the only
//! zone code that touches disk.

use crate::errors::{Error, Result};
use std::fs::{self, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::io::{ErrorKind, Read};
use std::path::Path;

/// Real TZif files are a few KiB at most; anything larger is not one.
const MAX_ZONE_FILE: u64 = 64 * 1024;
/// The longest IANA name is 32 bytes.
const MAX_NAME: usize = 64;

/// Reads `<dir>/<name>`, the TZif file of the zone `name`.
///
/// Refuses (InvalidTimeZone) names that could leave `dir`: `..`, a leading
/// `/`, empty components, or characters outside `[A-Za-z0-9_+-/]`.
/// `Ok(None)` when `dir` itself does not exist (a firmware without
/// zoneinfo: the caller falls back to checking the name's shape);
/// `Err(InvalidTimeZone)` when `dir` exists but has no such zone.
pub fn read_zone(dir: &Path, name: &str) -> Result<Option<Vec<u8>>> {
    check_name(name)?;
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(Error::StorageIo(format!(
                "time zone directory {} is not a directory",
                dir.display()
            )))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(dir, &e)),
    }
    let path = dir.join(name);
    let unknown = || {
        Error::InvalidTimeZone(format!(
            "time_zone: \"{name}\" is not a known time zone (not in {})",
            dir.display()
        ))
    };
    // Non-blocking: a FIFO planted as a zone file must not hang a push.
    let file = match OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC).open(&path) {
        Ok(f) => f,
        // NotADirectory: "Europe/Berlin/x", where Berlin is a file.
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Err(unknown())
        }
        Err(e) => return Err(io_err(&path, &e)),
    };
    // "Europe" opens fine but is a directory, not a zone.
    if !file.metadata().map_err(|e| io_err(&path, &e))?.is_file() {
        return Err(unknown());
    }
    let mut bytes = Vec::new();
    file.take(MAX_ZONE_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_err(&path, &e))?;
    if bytes.len() as u64 > MAX_ZONE_FILE {
        return Err(Error::InvalidTimeZone(format!(
            "time_zone: {} is larger than {} KiB: not a time zone file",
            path.display(),
            MAX_ZONE_FILE / 1024
        )));
    }
    Ok(Some(bytes))
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.contains("..")
        && name.split('/').all(|part| !part.is_empty())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+-/".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidTimeZone(format!(
            "time_zone: \"{}\" is not a time zone name such as Europe/Berlin or Etc/GMT-1",
            name.chars().filter(|c| !c.is_control()).take(40).collect::<String>()
        )))
    }
}

fn io_err(path: &Path, e: &std::io::Error) -> Error {
    Error::StorageIo(format!("cannot read time zone file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::DEFAULT_ZONEINFO_DIR as DEFAULT_DIR;
    use std::path::PathBuf;

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("gs_gcal_zoneinfo_{name}_{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("Europe")).unwrap();
        d
    }

    #[test]
    fn zone_names_cannot_leave_the_directory() {
        let dir = tempdir("names");
        fs::write(dir.join("Europe/Berlin"), b"TZif").unwrap();
        for bad in ["../etc/passwd", "/etc/passwd", "Europe/../../x", "Europe/..", "..", "",
                    "Europe//Berlin", "Europe/", "Europe/Ber lin", "Europe\\Berlin",
                    "Europe/Berlin\0", "Europe/./Berlin", "~/x", "Europe/Berlin*"] {
            assert!(matches!(read_zone(&dir, bad), Err(Error::InvalidTimeZone(_))), "{bad:?}");
        }
        assert!(matches!(read_zone(&dir, &"A".repeat(65)), Err(Error::InvalidTimeZone(_))));
        assert_eq!(read_zone(&dir, "Europe/Berlin").unwrap().as_deref(), Some(&b"TZif"[..]));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_zones_and_missing_directory() {
        let dir = tempdir("missing");
        fs::write(dir.join("Europe/Berlin"), b"TZif").unwrap();
        for missing in ["Europe/Nowhere", "Mars/Olympus", "Europe", "Europe/Berlin/x"] {
            match read_zone(&dir, missing) {
                Err(Error::InvalidTimeZone(s)) => assert!(s.contains(missing), "{s}"),
                other => panic!("{missing}: {other:?}"),
            }
        }
        fs::write(dir.join("Big"), vec![0u8; 64 * 1024 + 1]).unwrap();
        assert!(matches!(read_zone(&dir, "Big"), Err(Error::InvalidTimeZone(_))));
        // A FIFO is not a zone, and is not waited on.
        assert!(std::process::Command::new("mkfifo").arg(dir.join("Europe/Fifo")).status().unwrap().success());
        assert!(matches!(read_zone(&dir, "Europe/Fifo"), Err(Error::InvalidTimeZone(_))));
        fs::write(dir.join("Big"), vec![0u8; 64 * 1024]).unwrap();
        assert_eq!(read_zone(&dir, "Big").unwrap().unwrap().len(), 64 * 1024);
        // A firmware without zoneinfo: not an error, the caller falls back.
        assert_eq!(read_zone(&dir.join("nonexistent"), "Europe/Berlin").unwrap(), None);
        // Names are checked even then.
        assert!(read_zone(&dir.join("nonexistent"), "../x").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_the_system_database() {
        match read_zone(Path::new(DEFAULT_DIR), "Europe/Berlin").unwrap() {
            None => eprintln!("note: no {DEFAULT_DIR} on this machine; system zone test skipped"),
            Some(b) => assert!(b.starts_with(b"TZif")),
        }
    }
}
