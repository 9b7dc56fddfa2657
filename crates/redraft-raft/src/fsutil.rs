//! Small file-system helpers for crash-safe writes.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Makes a directory's entries (created, renamed or removed files) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or the new content:
/// write a temporary file, fsync it, rename it over `path`, fsync the directory.
/// With `durable == false` the fsyncs are skipped (the rename is still atomic, but the new
/// content may be lost, or read back empty, after a power failure).
pub fn atomic_write(path: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    atomic_write_with(path, durable, |file| file.write_all(bytes))
}

/// Like [`atomic_write`], with the content produced by `write` (for large payloads written in
/// pieces).
pub fn atomic_write_with(
    path: &Path,
    durable: bool,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no parent"))?;
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = Path::new(&tmp_name);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)?;
    write(&mut file)?;
    if durable {
        file.sync_all()?;
    }
    drop(file);
    fs::rename(tmp, path)?;
    if durable {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Takes the exclusive lock on `dir` (an advisory lock on `dir/LOCK`), held as long as the
/// returned file is open. Fails when another process holds it.
pub fn lock_dir(dir: &Path) -> Result<File, crate::error::StartError> {
    use crate::error::StartError;
    let path = dir.join("LOCK");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StartError::io("opening the data directory lock", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(StartError::DirInUse {
            path: dir.to_path_buf(),
        }),
        Err(fs::TryLockError::Error(e)) => {
            Err(StartError::io("locking the data directory", &path, e))
        }
    }
}
