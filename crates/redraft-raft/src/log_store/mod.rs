//! The durable Raft log (openraft storage-v2 `RaftLogStorage`).
//!
//! On disk, under `<dir>/raft/`: `log/<seq>.seg` segment files of framed entries (see
//! [`segment`]), `meta` (vote, last purged log id) and `committed` (a hint). In memory: every
//! entry after the last purged one; snapshots bound how many that is.
//!
//! `append()` writes the batch to the active segment and hands the flush callback to the
//! [`flusher`] thread, which fsyncs once for all appends waiting at that moment.

mod flusher;
mod meta;
mod segment;

use std::collections::VecDeque;
use std::fmt::Debug;
use std::fs::{self, File};
use std::io::{self, Write};
use std::ops::{Bound, RangeBounds};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{AnyError, LogState, RaftLogReader, StorageIOError};

use crate::error::StartError;
use crate::fsutil;
use crate::record;
use crate::types::{Entry, LogId, StorageError, TypeConfig, Vote};
use flusher::{FlushRequest, Flusher};
use meta::Meta;

/// How the log writes to disk.
#[derive(Clone, Copy, Debug)]
pub struct LogOptions {
    /// fsync appended entries before acknowledging them. Without it an acknowledged write can
    /// be lost on power failure (a process crash loses nothing: the data is in the page cache).
    pub fsync: bool,
    /// Start a new segment once the active one holds this many bytes.
    pub segment_bytes: u64,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            fsync: true,
            segment_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The in-memory entries, shared with the readers that replication tasks use.
type Entries = Arc<RwLock<VecDeque<Entry>>>;

struct Segment {
    seq: u64,
    /// Index of the last entry in the file; `None` while it holds none.
    last_index: Option<u64>,
}

/// The segment new entries go to.
struct Active {
    seq: u64,
    file: Arc<File>,
    len: u64,
}

pub struct LogStore {
    log_dir: PathBuf,
    meta_path: PathBuf,
    committed_path: PathBuf,
    options: LogOptions,
    entries: Entries,
    /// Where each in-memory entry's record starts: (segment seq, byte offset). Parallel to
    /// `entries`; truncation cuts the files there.
    positions: VecDeque<(u64, u64)>,
    /// Each in-memory entry's record size in bytes, parallel to `entries`, and their sum
    /// (shared: the node snapshots early when the log held in memory grows past a bound).
    record_bytes: VecDeque<u64>,
    memory_bytes: Arc<AtomicU64>,
    /// Every segment on disk, oldest first; the last one is `active`.
    segments: Vec<Segment>,
    active: Active,
    meta: Meta,
    committed: Option<LogId>,
    committed_index: Arc<AtomicU64>,
    flusher: Flusher,
}

/// Reads entries concurrently with the store's writes.
#[derive(Clone)]
pub struct LogReader {
    entries: Entries,
}

impl LogStore {
    /// Opens (or creates) the log under `raft_dir`, repairing a torn tail.
    pub fn open(raft_dir: &Path, options: LogOptions) -> Result<LogStore, StartError> {
        let log_dir = raft_dir.join("log");
        fs::create_dir_all(&log_dir)
            .map_err(|e| StartError::io("creating the log directory", &log_dir, e))?;
        let meta_path = raft_dir.join("meta");
        let committed_path = raft_dir.join("committed");
        let meta = Meta::load(&meta_path)?;
        let committed = meta::load_committed(&committed_path);
        let recovered = recover(&log_dir, meta.last_purged)?;
        let flusher = Flusher::start(options.fsync)
            .map_err(|e| StartError::io("starting the log flusher", &log_dir, e))?;
        let mut store = LogStore {
            log_dir,
            meta_path,
            committed_path,
            options,
            entries: Arc::new(RwLock::new(recovered.entries)),
            positions: recovered.positions,
            memory_bytes: Arc::new(AtomicU64::new(recovered.record_bytes.iter().sum())),
            record_bytes: recovered.record_bytes,
            segments: recovered.segments,
            active: recovered.active,
            meta,
            committed,
            committed_index: Arc::new(AtomicU64::new(0)),
            flusher,
        };
        store.committed = store.clamped_committed();
        store.publish_committed();
        Ok(store)
    }

    /// Whether this store has never been used: no vote, no entry, nothing purged.
    pub fn is_pristine(&self) -> bool {
        self.meta.vote.is_none()
            && self.meta.last_purged.is_none()
            && read(&self.entries).is_empty()
    }

    /// The committed index as last saved by openraft, for status reports.
    /// Bytes of the log's records held in memory (from the last purge on), kept current.
    pub fn memory_bytes(&self) -> Arc<AtomicU64> {
        self.memory_bytes.clone()
    }

    pub fn committed_index(&self) -> Arc<AtomicU64> {
        self.committed_index.clone()
    }

    fn publish_committed(&self) {
        let index = self.committed.map_or(0, |c| c.index);
        self.committed_index.store(index, Ordering::Release);
    }

    fn last_log_id(&self) -> Option<LogId> {
        read(&self.entries)
            .back()
            .map(|e| e.log_id)
            .or(self.meta.last_purged)
    }

    /// The saved committed id, lowered to the last entry present: entries past the end of the
    /// log may have been written but not yet flushed when the hint was saved, and openraft
    /// re-applies every entry up to the committed id on startup. Entries up to that point are
    /// committed, because the log never truncates committed entries.
    fn clamped_committed(&self) -> Option<LogId> {
        let committed = self.committed?;
        match self.last_log_id() {
            Some(last) if last.index < committed.index => Some(last),
            None => None,
            Some(_) => Some(committed),
        }
    }

    fn roll(&mut self) -> io::Result<()> {
        let seq = self.active.seq + 1;
        let file = create_segment(&self.log_dir, seq, self.options.fsync)?;
        self.segments.push(Segment {
            seq,
            last_index: None,
        });
        self.active = Active {
            seq,
            file: Arc::new(file),
            len: 0,
        };
        Ok(())
    }

    /// Frames `entries` into one buffer and writes it to the active segment.
    fn write_batch(&mut self, entries: &[Entry]) -> io::Result<()> {
        let mut last = read(&self.entries).back().map(|e| e.log_id.index);
        let mut buf = Vec::new();
        let mut positions = Vec::with_capacity(entries.len());
        let mut sizes = Vec::with_capacity(entries.len());
        for entry in entries {
            let index = entry.log_id.index;
            if last.is_some_and(|last| index != last + 1) {
                return Err(io::Error::other(format!(
                    "append of entry {index} after {last:?} would leave a hole"
                )));
            }
            last = Some(index);
            positions.push((self.active.seq, self.active.len + buf.len() as u64));
            let payload = postcard::to_allocvec(entry).map_err(io::Error::other)?;
            let before = buf.len();
            record::encode_into(&mut buf, &payload).map_err(io::Error::other)?;
            sizes.push((buf.len() - before) as u64);
        }
        (&*self.active.file).write_all(&buf)?;
        self.active.len += buf.len() as u64;
        if let Some(segment) = self.segments.last_mut() {
            segment.last_index = last;
        }
        self.positions.extend(positions);
        self.memory_bytes
            .fetch_add(sizes.iter().sum(), Ordering::AcqRel);
        self.record_bytes.extend(sizes);
        write(&self.entries).extend(entries.iter().cloned());
        Ok(())
    }

    fn truncate_from(&mut self, index: u64) -> io::Result<()> {
        let Some(first) = read(&self.entries).front().map(|e| e.log_id.index) else {
            return Ok(());
        };
        let keep = index.saturating_sub(first) as usize;
        let Some(&(seq, offset)) = self.positions.get(keep) else {
            return Ok(());
        };
        for segment in self.segments.iter().filter(|s| s.seq > seq) {
            fs::remove_file(segment::path(&self.log_dir, segment.seq))?;
        }
        self.segments.retain(|s| s.seq <= seq);
        let file = segment::open_for_append(&segment::path(&self.log_dir, seq))?;
        file.set_len(offset)?;
        if self.options.fsync {
            file.sync_all()?;
            fsutil::sync_dir(&self.log_dir)?;
        }
        if let Some(segment) = self.segments.last_mut() {
            segment.last_index = if offset > 0 {
                index.checked_sub(1)
            } else {
                None
            };
        }
        self.active = Active {
            seq,
            file: Arc::new(file),
            len: offset,
        };
        self.positions.truncate(keep);
        let cut: u64 = self
            .record_bytes
            .drain(keep.min(self.record_bytes.len())..)
            .sum();
        self.memory_bytes.fetch_sub(cut, Ordering::AcqRel);
        write(&self.entries).truncate(keep);
        Ok(())
    }

    fn purge_upto(&mut self, log_id: LogId) -> io::Result<()> {
        if self.meta.last_purged < Some(log_id) {
            // Durable purge point first: if segments vanished before it, recovery would see a
            // hole.
            self.meta.last_purged = Some(log_id);
            self.meta.save(&self.meta_path)?;
        }
        {
            let mut entries = write(&self.entries);
            while entries
                .front()
                .is_some_and(|e| e.log_id.index <= log_id.index)
            {
                entries.pop_front();
                self.positions.pop_front();
                let size = self.record_bytes.pop_front().unwrap_or(0);
                self.memory_bytes.fetch_sub(size, Ordering::AcqRel);
            }
        }
        if read(&self.entries).is_empty() {
            // Nothing live remains: start afresh so every older segment can be deleted.
            self.roll()?;
        }
        let active = self.active.seq;
        let dead = |s: &Segment| s.seq != active && s.last_index.is_none_or(|l| l <= log_id.index);
        for segment in self.segments.iter().filter(|s| dead(s)) {
            fs::remove_file(segment::path(&self.log_dir, segment.seq))?;
        }
        self.segments.retain(|s| !dead(s));
        Ok(())
    }
}

/// The log as recovery found it.
struct Recovered {
    entries: VecDeque<Entry>,
    positions: VecDeque<(u64, u64)>,
    record_bytes: VecDeque<u64>,
    segments: Vec<Segment>,
    active: Active,
}

/// Reads every segment in order, keeping the entries after `last_purged`, and checks that they
/// follow one another without a hole.
fn recover(log_dir: &Path, last_purged: Option<LogId>) -> Result<Recovered, StartError> {
    let seqs =
        segment::list(log_dir).map_err(|e| StartError::io("listing log segments", log_dir, e))?;
    let mut entries: VecDeque<Entry> = VecDeque::new();
    let mut positions = VecDeque::new();
    let mut record_bytes = VecDeque::new();
    let mut segments = Vec::with_capacity(seqs.len());
    let mut active_len = 0;
    for (i, &seq) in seqs.iter().enumerate() {
        let path = segment::path(log_dir, seq);
        let scan = segment::scan(&path, i + 1 == seqs.len())?;
        active_len = scan.len;
        segments.push(Segment {
            seq,
            last_index: scan.entries.last().map(|(_, e)| e.log_id.index),
        });
        // A record ends where the next one starts, the last one where the valid file ends.
        let ends: Vec<u64> = scan
            .entries
            .iter()
            .skip(1)
            .map(|(offset, _)| *offset)
            .chain(std::iter::once(scan.len))
            .collect();
        for ((offset, entry), end) in scan.entries.into_iter().zip(ends) {
            let index = entry.log_id.index;
            if last_purged.is_some_and(|p| index <= p.index) {
                continue;
            }
            let expected = match entries.back() {
                Some(last) => Some(last.log_id.index + 1),
                None => last_purged.map(|p| p.index + 1),
            };
            if expected.is_some_and(|expected| index != expected) {
                let reason = format!("entry {index} where {expected:?} was expected");
                return Err(segment::corrupt(&path, offset as usize, reason));
            }
            positions.push_back((seq, offset));
            record_bytes.push_back(end.saturating_sub(offset));
            entries.push_back(entry);
        }
    }
    let (active_seq, file) = match seqs.last() {
        Some(&seq) => {
            let path = segment::path(log_dir, seq);
            let file = segment::open_for_append(&path)
                .map_err(|e| StartError::io("opening the active log segment", &path, e))?;
            (seq, file)
        }
        None => {
            let file = create_segment(log_dir, 1, true)
                .map_err(|e| StartError::io("creating the first log segment", log_dir, e))?;
            segments.push(Segment {
                seq: 1,
                last_index: None,
            });
            (1, file)
        }
    };
    Ok(Recovered {
        entries,
        positions,
        record_bytes,
        segments,
        active: Active {
            seq: active_seq,
            file: Arc::new(file),
            len: active_len,
        },
    })
}

fn create_segment(log_dir: &Path, seq: u64, durable: bool) -> io::Result<File> {
    let file = segment::open_for_append(&segment::path(log_dir, seq))?;
    // A leftover file with this number (from a crash mid-truncation) holds nothing live.
    file.set_len(0)?;
    if durable {
        fsutil::sync_dir(log_dir)?;
    }
    Ok(file)
}

/// The entries lock is never held across a panic that could leave it inconsistent (every
/// critical section is a plain container operation), so a poisoned lock is still usable.
fn read(entries: &Entries) -> RwLockReadGuard<'_, VecDeque<Entry>> {
    entries.read().unwrap_or_else(|e| e.into_inner())
}

fn write(entries: &Entries) -> RwLockWriteGuard<'_, VecDeque<Entry>> {
    entries.write().unwrap_or_else(|e| e.into_inner())
}

fn read_range<RB: RangeBounds<u64>>(entries: &Entries, range: RB) -> Vec<Entry> {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.saturating_add(1),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => u64::MAX,
    };
    let entries = read(entries);
    let Some(first) = entries.front().map(|e| e.log_id.index) else {
        return Vec::new();
    };
    let lo = start.saturating_sub(first).min(entries.len() as u64) as usize;
    let hi = end.saturating_sub(first).min(entries.len() as u64) as usize;
    if lo >= hi {
        return Vec::new();
    }
    entries.range(lo..hi).cloned().collect()
}

fn write_error(e: io::Error) -> StorageError {
    StorageIOError::write_logs(AnyError::new(&e)).into()
}

impl RaftLogReader<TypeConfig> for LogReader {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        Ok(read_range(&self.entries, range))
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        Ok(read_range(&self.entries, range))
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogReader;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        Ok(LogState {
            last_purged_log_id: self.meta.last_purged,
            last_log_id: self.last_log_id(),
        })
    }

    async fn get_log_reader(&mut self) -> LogReader {
        LogReader {
            entries: self.entries.clone(),
        }
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        self.meta.vote = Some(*vote);
        self.meta
            .save(&self.meta_path)
            .map_err(|e| StorageIOError::write_vote(AnyError::new(&e)).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        Ok(self.meta.vote)
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.committed = committed;
        self.publish_committed();
        if let Err(e) = meta::save_committed(&self.committed_path, committed) {
            // Only a hint (see `meta`): losing it costs a wait for the leader after a restart.
            tracing::warn!(error = %e, "could not save the committed index");
        }
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        Ok(self.clamped_committed())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + Send,
        I::IntoIter: Send,
    {
        let entries: Vec<Entry> = entries.into_iter().collect();
        if self.active.len >= self.options.segment_bytes {
            self.roll().map_err(write_error)?;
        }
        self.write_batch(&entries).map_err(write_error)?;
        let request = FlushRequest {
            file: self.active.file.clone(),
            done: callback,
        };
        self.flusher.submit(request).await.map_err(write_error)
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.truncate_from(log_id.index).map_err(write_error)
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.purge_upto(log_id).map_err(write_error)
    }
}

#[cfg(test)]
mod tests;
