//! The log's small state files: `meta` (vote and last purged log id, written atomically and
//! durably) and `committed` (a hint, rewritten in place without fsync).

use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::StartError;
use crate::fsutil;
use crate::record;
use crate::types::{LogId, Vote};

/// What must survive a crash exactly: the vote (so the node never votes twice in a term) and
/// the purge point (so recovery knows where the log starts).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub vote: Option<Vote>,
    pub last_purged: Option<LogId>,
}

impl Meta {
    /// Loads `path`; a missing file is a pristine store. A damaged file is a hard error: it is
    /// only ever replaced atomically, so damage means the disk lost data.
    pub fn load(path: &Path) -> Result<Meta, StartError> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Meta::default()),
            Err(e) => return Err(StartError::io("reading raft meta", path, e)),
        };
        let corrupt = |reason: String| StartError::CorruptLog {
            path: path.to_owned(),
            offset: 0,
            reason,
        };
        let (payload, _) = record::decode(&bytes).map_err(|e| corrupt(e.to_string()))?;
        postcard::from_bytes(payload).map_err(|e| corrupt(e.to_string()))
    }

    /// Replaces the file; always durable, whatever the log's fsync option, because losing a
    /// vote could let this node vote twice in one term.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let payload = postcard::to_allocvec(self).map_err(io::Error::other)?;
        let bytes = record::encode(&payload).map_err(io::Error::other)?;
        fsutil::atomic_write(path, &bytes, true)
    }
}

/// Reads the committed hint; anything unreadable counts as "not saved" (openraft then waits
/// for the leader to tell it what is committed).
pub fn load_committed(path: &Path) -> Option<LogId> {
    let bytes = fs::read(path).ok()?;
    let decoded = record::decode(&bytes)
        .ok()
        .and_then(|(payload, _)| postcard::from_bytes::<Option<LogId>>(payload).ok());
    if decoded.is_none() {
        tracing::warn!(path = %path.display(), "ignoring unreadable committed-index hint");
    }
    decoded.flatten()
}

/// The committed hint's file, kept open: the hint is written on every commit, on the path of
/// every write's reply, so it is rewritten in place (one small `pwrite`, no fsync) instead of
/// through a temporary file and a rename (the rename made the file system start writing the new
/// file's data back at once: a disk request per commit). A torn or stale write is caught by
/// the record's checksum and read as "not saved"; bytes after the record are ignored.
pub struct CommittedHint {
    file: fs::File,
}

impl CommittedHint {
    pub fn open(path: &Path) -> io::Result<CommittedHint> {
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        Ok(CommittedHint { file })
    }

    /// Saves the hint. Not fsynced: it only spares a restarted node from waiting for a leader
    /// before re-applying its log.
    pub fn save(&self, committed: Option<LogId>) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let payload = postcard::to_allocvec(&committed).map_err(io::Error::other)?;
        let bytes = record::encode(&payload).map_err(io::Error::other)?;
        self.file.write_all_at(&bytes, 0)
    }
}
