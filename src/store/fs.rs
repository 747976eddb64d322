//! File primitives for a state directory nobody else is trusted with:
//! every open refuses symlinks (O_NOFOLLOW) and never blocks (O_NONBLOCK:
//! a FIFO planted in place of a file cannot hang a call), only regular
//! files are read or written, every read is bounded, temporaries are
//! created exclusively with mode 0600.

use crate::errors::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const NOFOLLOW: i32 = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;

pub(crate) fn io_err(what: &str, path: &Path, e: &std::io::Error) -> Error {
    // ELOOP is what O_NOFOLLOW answers for a symlink: say so.
    if e.raw_os_error() == Some(libc::ELOOP) {
        return Error::StorageIo(format!("cannot {what} {}: it is a symbolic link (refused)", path.display()));
    }
    Error::StorageIo(format!("cannot {what} {}: {e}", path.display()))
}

fn not_regular(what: &str, path: &Path) -> Error {
    Error::StorageIo(format!("cannot {what} {}: not a regular file (refused)", path.display()))
}

/// Creates the state directory 0700, or checks an existing one: a
/// directory, tightened to 0700 (it holds the client secret).
pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    match fs::DirBuilder::new().recursive(true).mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) => return Err(io_err("create state directory", dir, &e)),
    }
    let meta = fs::metadata(dir).map_err(|e| io_err("inspect state directory", dir, &e))?;
    if !meta.is_dir() {
        return Err(Error::StorageIo(format!("state directory {} is not a directory", dir.display())));
    }
    // chmod succeeds only for the owner: a directory of another user
    // that is not already 0700 is refused here.
    if meta.mode() & 0o777 != 0o700 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| io_err("set mode 0700 on", dir, &e))?;
    }
    Ok(())
}

/// Opens `path` for reading: no symlink, no blocking, regular files only.
/// `Ok(None)` when it does not exist.
fn open_regular(path: &Path, what: &str) -> Result<Option<(File, u64)>> {
    let f = match OpenOptions::new().read(true).custom_flags(NOFOLLOW).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(what, path, &e)),
    };
    let meta = f.metadata().map_err(|e| io_err(what, path, &e))?;
    if !meta.is_file() {
        return Err(not_regular(what, path));
    }
    Ok(Some((f, meta.len())))
}

/// Reads a whole regular file of at most `max` bytes. Larger files (or a
/// sparse 1 GiB one) are refused before anything is read into memory.
pub(crate) fn read_bounded(path: &Path, max: u64) -> Result<Option<Vec<u8>>> {
    let Some((f, len)) = open_regular(path, "read")? else { return Ok(None) };
    if len > max {
        return Err(Error::StorageIo(format!(
            "{} is {len} bytes, more than the {max} bytes such a file can legitimately have (refused)",
            path.display()
        )));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // The size was checked; `take` still bounds a file growing meanwhile.
    f.take(max + 1).read_to_end(&mut bytes).map_err(|e| io_err("read", path, &e))?;
    if bytes.len() as u64 > max {
        return Err(Error::StorageIo(format!("{} grew past {max} bytes while read (refused)", path.display())));
    }
    Ok(Some(bytes))
}

/// Writes `dir/name` atomically and durably: a fresh temporary (any old
/// one, or whatever was planted under its name, is unlinked first; then
/// O_EXCL|O_NOFOLLOW, mode exactly 0600), fsync, rename over `name` (a
/// symlink there is replaced, never followed), fsync of the directory.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let path = dir.join(name);
    let write = || -> std::io::Result<()> {
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(NOFOLLOW)
            .open(&tmp)?;
        // The umask may have taken bits away; never more than 0600.
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, &path)?;
        // The rename is durable only once the directory is synced.
        sync_dir(dir)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_err("write", &path, &e)
    })
}

pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Opens the journal for appending (created 0600 if absent); returns the
/// file, its current length and whether it was created.
pub(crate) fn open_append(path: &Path) -> Result<(File, u64)> {
    let f = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(NOFOLLOW)
        .open(path)
        .map_err(|e| io_err("open", path, &e))?;
    let meta = f.metadata().map_err(|e| io_err("inspect", path, &e))?;
    if !meta.is_file() {
        return Err(not_regular("append to", path));
    }
    Ok((f, meta.len()))
}

/// The lock file: opened without following links, regular only.
pub(crate) fn open_lock(path: &Path) -> Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(NOFOLLOW)
        .open(path)
        .map_err(|e| io_err("open lock file", path, &e))?;
    let meta = f.metadata().map_err(|e| io_err("inspect lock file", path, &e))?;
    if !meta.is_file() {
        return Err(not_regular("lock", path));
    }
    Ok(f)
}

/// Moves a damaged `dir/name` aside as `name.corrupt-<unix time>[-n]`,
/// never over an earlier one (the directory lock is held, so checking
/// first is race-free). Returns the new path.
pub(crate) fn set_aside(dir: &Path, name: &str, now: i64) -> std::io::Result<PathBuf> {
    for n in 0..1000u32 {
        let aside = match n {
            0 => dir.join(format!("{name}.corrupt-{now}")),
            _ => dir.join(format!("{name}.corrupt-{now}-{n}")),
        };
        if fs::symlink_metadata(&aside).is_err() {
            fs::rename(dir.join(name), &aside)?;
            sync_dir(dir)?;
            return Ok(aside);
        }
    }
    Err(std::io::Error::new(ErrorKind::AlreadyExists, "1000 damaged copies already kept"))
}

/// Copies `dir/name` aside (like `set_aside`, but the original stays):
/// for a journal whose readable lines are kept in use.
pub(crate) fn copy_aside(dir: &Path, name: &str, bytes: &[u8], now: i64) -> Result<PathBuf> {
    for n in 0..1000u32 {
        let aside_name = match n {
            0 => format!("{name}.corrupt-{now}"),
            _ => format!("{name}.corrupt-{now}-{n}"),
        };
        if fs::symlink_metadata(dir.join(&aside_name)).is_err() {
            write_atomic(dir, &aside_name, bytes)?;
            return Ok(dir.join(aside_name));
        }
    }
    Err(Error::StorageIo(format!("{}: 1000 damaged copies already kept", dir.join(name).display())))
}

/// Reads a file outside the state directory that the firmware named (a CA
/// bundle, a zone file): bounded, regular files only, never blocking. A
/// symlink is followed here (/etc/ssl/certs and zoneinfo are full of them).
pub(crate) fn read_config_file(path: &Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let f = match OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC).open(path) {
        Ok(f) => f,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    if meta.len() > max {
        return Err(std::io::Error::new(ErrorKind::InvalidData, format!("larger than {max} bytes")));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(ErrorKind::InvalidData, format!("larger than {max} bytes")));
    }
    Ok(Some(bytes))
}
