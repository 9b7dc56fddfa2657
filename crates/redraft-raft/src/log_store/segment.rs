//! Segment files: `<log dir>/<seq:020>.seg`, each a run of framed records holding
//! postcard-encoded entries. Recovery reads them in order and repairs a torn tail.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::StartError;
use crate::record::{self, RecordError};
use crate::types::Entry;

const SUFFIX: &str = ".seg";

pub fn path(log_dir: &Path, seq: u64) -> PathBuf {
    log_dir.join(format!("{seq:020}{SUFFIX}"))
}

/// Sequence numbers of the segments in `log_dir`, oldest first.
pub fn list(log_dir: &Path) -> io::Result<Vec<u64>> {
    let mut seqs = Vec::new();
    for dirent in fs::read_dir(log_dir)? {
        let name = dirent?.file_name();
        let Some(seq) = name
            .to_str()
            .and_then(|n| n.strip_suffix(SUFFIX))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        seqs.push(seq);
    }
    seqs.sort_unstable();
    Ok(seqs)
}

/// Opens a segment for appending at its end.
pub fn open_for_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().append(true).create(true).open(path)
}

/// What recovery found in one segment.
pub struct Scan {
    /// The length of the valid prefix (the file is cut to it if the tail was torn).
    pub len: u64,
    /// Each entry with the offset of its record.
    pub entries: Vec<(u64, Entry)>,
}

/// Reads every record of a segment. A short or damaged record in the last segment is a torn
/// write (the crash came before its fsync, so nothing after it was acknowledged): the file is
/// cut there. In an earlier segment it is corruption of acknowledged data: a hard error.
pub fn scan(path: &Path, is_last: bool) -> Result<Scan, StartError> {
    let bytes = fs::read(path).map_err(|e| StartError::io("reading log segment", path, e))?;
    let mut entries = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let (payload, record_len) = match record::decode(&bytes[offset..]) {
            Ok(ok) => ok,
            Err(err) if is_last => {
                cut_torn_tail(path, offset, bytes.len(), err)?;
                break;
            }
            Err(err) => return Err(corrupt(path, offset, err.to_string())),
        };
        // The checksum matched, so an undecodable payload is not a torn write.
        let entry: Entry =
            postcard::from_bytes(payload).map_err(|e| corrupt(path, offset, e.to_string()))?;
        entries.push((offset as u64, entry));
        offset += record_len;
    }
    Ok(Scan {
        len: offset as u64,
        entries,
    })
}

fn cut_torn_tail(
    path: &Path,
    offset: usize,
    file_len: usize,
    err: RecordError,
) -> Result<(), StartError> {
    tracing::warn!(
        path = %path.display(),
        offset,
        dropped_bytes = file_len - offset,
        error = %err,
        "torn write at the end of the raft log; truncating it"
    );
    let io_err = |e| StartError::io("truncating a torn log tail", path, e);
    let file = OpenOptions::new().write(true).open(path).map_err(io_err)?;
    file.set_len(offset as u64).map_err(io_err)?;
    file.sync_all().map_err(io_err)
}

pub fn corrupt(path: &Path, offset: usize, reason: String) -> StartError {
    StartError::CorruptLog {
        path: path.to_owned(),
        offset: offset as u64,
        reason,
    }
}
