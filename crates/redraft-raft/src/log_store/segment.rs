//! Segment files: `<log dir>/<seq:020>.seg`, each a run of framed records holding
//! postcard-encoded entries. Recovery reads them in order and repairs a torn tail; entries no
//! longer cached are read back one record at a time.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::StartError;
use crate::record::{self, RecordError, HEADER_LEN};
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

/// Opens a segment for writing and reading records at any offset (not in append mode: the
/// active segment is zero-filled ahead of its records, which are written over the zeros).
pub fn open_rw(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Where one entry's record lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub seq: u64,
    pub offset: u64,
    /// The whole record: header and payload.
    pub len: u64,
}

/// Why an entry could not be read back from its segment.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("reading log entry {index} (segment {}, byte {}): {source}", .position.seq, .position.offset)]
    Io {
        index: u64,
        position: Position,
        #[source]
        source: io::Error,
    },
    #[error("corrupt log entry {index} (segment {}, byte {}): {reason}", .position.seq, .position.offset)]
    Corrupt {
        index: u64,
        position: Position,
        reason: String,
    },
}

/// Reads back entry `index`, whose record is at `position` of `file`.
pub fn read_entry(file: &File, position: Position, index: u64) -> Result<Entry, ReadError> {
    let corrupt = |reason: String| ReadError::Corrupt {
        index,
        position,
        reason,
    };
    let len = usize::try_from(position.len).map_err(|e| corrupt(e.to_string()))?;
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, position.offset)
        .map_err(|source| match source.kind() {
            io::ErrorKind::UnexpectedEof => corrupt("segment ends inside the record".into()),
            _ => ReadError::Io {
                index,
                position,
                source,
            },
        })?;
    decode_entry(&bytes, position, index)
}

/// Decodes entry `index` from its whole record (read from `position` or cached), checking the
/// frame, the checksum and that the record holds that entry.
pub fn decode_entry(bytes: &[u8], position: Position, index: u64) -> Result<Entry, ReadError> {
    let corrupt = |reason: String| ReadError::Corrupt {
        index,
        position,
        reason,
    };
    let (payload, record_len) = record::decode(bytes).map_err(|e| corrupt(e.to_string()))?;
    if record_len != bytes.len() {
        return Err(corrupt(format!(
            "a record of {record_len} bytes where one of {} was written",
            bytes.len()
        )));
    }
    let entry: Entry = postcard::from_bytes(payload).map_err(|e| corrupt(e.to_string()))?;
    if entry.log_id.index != index {
        return Err(corrupt(format!("holds entry {}", entry.log_id.index)));
    }
    Ok(entry)
}

/// Reads every record of segment `seq` at `path` in order, handing each entry, its position
/// and its record's bytes to `visit`; returns the length of the valid prefix. In the last
/// segment, a zero header ends the records (the zeros written ahead of them), and a short or
/// damaged record is a torn write (the crash came before its fsync, so nothing after it was
/// acknowledged): either way the file is cut there, so that no byte of an unacknowledged
/// write survives past the records to be read as one later. In an earlier segment either is
/// corruption of acknowledged data: a hard error. Only one record is in memory at a time.
pub fn scan(
    path: &Path,
    seq: u64,
    is_last: bool,
    mut visit: impl FnMut(Position, &[u8], Entry) -> Result<(), StartError>,
) -> Result<u64, StartError> {
    let io_err = |e| StartError::io("reading log segment", path, e);
    let file = File::open(path).map_err(io_err)?;
    let file_len = file.metadata().map_err(io_err)?.len();
    let mut reader = BufReader::new(file);
    let mut bytes = Vec::new();
    let mut offset = 0u64;
    while offset < file_len {
        let framed = read_framed(&mut reader, file_len - offset, &mut bytes).map_err(io_err)?;
        let decoded = framed.and_then(|()| match bytes[..HEADER_LEN] == [0; HEADER_LEN] {
            true => Err(RecordError::Zeros),
            false => record::decode(&bytes),
        });
        let (payload, len) = match decoded {
            Ok(ok) => ok,
            Err(err) if is_last => {
                cut_tail(path, offset, file_len, err)?;
                break;
            }
            Err(err) => return Err(corrupt(path, offset, err.to_string())),
        };
        // The checksum matched, so an undecodable payload is not a torn write.
        let entry: Entry =
            postcard::from_bytes(payload).map_err(|e| corrupt(path, offset, e.to_string()))?;
        let position = Position {
            seq,
            offset,
            len: len as u64,
        };
        visit(position, &bytes, entry)?;
        offset += position.len;
    }
    Ok(offset)
}

/// Reads the next record's header and payload into `bytes`, given that `remaining` bytes of
/// the file are left. The inner error says the file ends inside the record.
fn read_framed(
    reader: &mut impl Read,
    remaining: u64,
    bytes: &mut Vec<u8>,
) -> io::Result<Result<(), RecordError>> {
    let mut header = [0; HEADER_LEN];
    if remaining < HEADER_LEN as u64 {
        return Ok(Err(RecordError::Short));
    }
    reader.read_exact(&mut header)?;
    let len = record::framed_len(&header);
    if len as u64 > remaining {
        return Ok(Err(RecordError::Short));
    }
    bytes.clear();
    bytes.extend_from_slice(&header);
    bytes.resize(len, 0);
    reader.read_exact(&mut bytes[HEADER_LEN..])?;
    Ok(Ok(()))
}

/// Cuts the last segment after its records: zeros written ahead of them (quietly) or a torn
/// write (with a warning).
fn cut_tail(path: &Path, offset: u64, file_len: u64, err: RecordError) -> Result<(), StartError> {
    if err != RecordError::Zeros {
        tracing::warn!(
            path = %path.display(),
            offset,
            dropped_bytes = file_len - offset,
            error = %err,
            "torn write at the end of the raft log; truncating it"
        );
    }
    let io_err = |e| StartError::io("truncating the raft log's tail", path, e);
    let file = OpenOptions::new().write(true).open(path).map_err(io_err)?;
    file.set_len(offset).map_err(io_err)?;
    file.sync_all().map_err(io_err)
}

pub fn corrupt(path: &Path, offset: u64, reason: String) -> StartError {
    StartError::CorruptLog {
        path: path.to_owned(),
        offset,
        reason,
    }
}
