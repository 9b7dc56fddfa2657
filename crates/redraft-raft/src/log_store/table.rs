//! What the log keeps in memory, shared by the store and its readers: the position of every
//! live entry's record (small: three numbers an entry), a read handle on every segment, and
//! the records of the newest entries up to a bound in bytes. Entries that fell out of that
//! cache are read back from their segment when asked for.
//!
//! The cache holds records as written, not decoded entries: its bound is then exactly the
//! memory it takes (a decoded batch costs several times its encoding, one allocation per
//! argument), and a read decodes either way, from the cache or from the file.

use std::collections::VecDeque;
use std::fs::File;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::segment::{self, Position, ReadError};
use crate::types::Entry;

/// Memory a cached record takes beyond its bytes: its slot in the queue, the `Arc`'s counts,
/// the allocator's header and rounding. Counted so that the bound holds for tiny entries too.
pub const CACHED_RECORD_OVERHEAD: u64 = 48;

/// One segment file.
pub struct Segment {
    pub seq: u64,
    /// Index of the last entry in the file; `None` while it holds none.
    pub last_index: Option<u64>,
    /// Opened for reading and appending. Readers clone it, so a segment that purge deletes
    /// stays readable until the last read of it ends.
    pub file: Arc<File>,
}

pub struct Table {
    /// Index of the entry `positions[0]` locates; meaningless while there is none.
    first: u64,
    /// Every entry after the last purged one.
    positions: VecDeque<Position>,
    /// The records of the last `cache.len()` entries of the log (a suffix: no holes).
    cache: VecDeque<Arc<[u8]>>,
    /// Memory the cached records take (their bytes and [`CACHED_RECORD_OVERHEAD`] each);
    /// never above `cache_limit` between calls.
    cache_bytes: u64,
    cache_limit: u64,
    /// Every segment on disk, oldest first; the last one takes the appends.
    pub segments: Vec<Segment>,
}

/// Where a read finds its entries' records: these on disk, then these cached.
#[derive(Default)]
struct Plan {
    disk: Vec<(u64, Position, Arc<File>)>,
    cached: Vec<(u64, Position, Arc<[u8]>)>,
}

impl Table {
    pub fn new(cache_limit: u64) -> Table {
        Table {
            first: 0,
            positions: VecDeque::new(),
            cache: VecDeque::new(),
            cache_bytes: 0,
            cache_limit,
            segments: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Index of the oldest live entry.
    pub fn first_index(&self) -> Option<u64> {
        (!self.positions.is_empty()).then_some(self.first)
    }

    /// One past the last entry; `first` when there is none.
    fn end(&self) -> u64 {
        self.first + self.positions.len() as u64
    }

    /// Index of the oldest cached entry (`end()` when none is).
    pub fn cached_from(&self) -> u64 {
        self.end() - self.cache.len() as u64
    }

    /// Record bytes of every live entry, as on disk.
    pub fn live_bytes(&self) -> u64 {
        self.positions.iter().map(|p| p.len).sum()
    }

    #[cfg(test)]
    pub fn cache_bytes(&self) -> u64 {
        self.cache_bytes
    }

    #[cfg(test)]
    pub fn cached_len(&self) -> usize {
        self.cache.len()
    }

    /// Appends entry `index`, whose `record` was written at `position`, caching the record
    /// (and evicting the oldest cached ones past the bound).
    pub fn push(&mut self, index: u64, position: Position, record: &[u8]) {
        if self.positions.is_empty() {
            self.first = index;
        }
        assert_eq!(index, self.end(), "log entries must follow one another");
        assert_eq!(
            record.len() as u64,
            position.len,
            "the record as positioned"
        );
        self.positions.push_back(position);
        if cost(position) <= self.cache_limit {
            self.cache.push_back(Arc::from(record));
            self.cache_bytes += cost(position);
            self.evict();
        } else {
            // Larger than the whole cache: it would evict everything and then itself.
            self.cache.clear();
            self.cache_bytes = 0;
        }
    }

    fn evict(&mut self) {
        while self.cache_bytes > self.cache_limit && !self.cache.is_empty() {
            let oldest = self.positions.len() - self.cache.len();
            self.cache_bytes -= cost(self.positions[oldest]);
            self.cache.pop_front();
        }
    }

    /// Drops entry `index` and every later one; returns their record bytes.
    pub fn truncate_from(&mut self, index: u64) -> u64 {
        let keep = index
            .saturating_sub(self.first)
            .min(self.positions.len() as u64) as usize;
        let cached_from = (self.positions.len() - self.cache.len()).max(keep);
        let dropped_cached: u64 = self.positions.range(cached_from..).copied().map(cost).sum();
        self.cache_bytes -= dropped_cached;
        self.cache
            .truncate(self.cache.len() - (self.positions.len() - cached_from));
        self.positions.drain(keep..).map(|p| p.len).sum()
    }

    /// Drops every entry up to `index` inclusive; returns their record bytes.
    pub fn purge_upto(&mut self, index: u64) -> u64 {
        let mut dropped = 0;
        while !self.positions.is_empty() && self.first <= index {
            if self.cache.len() == self.positions.len() {
                self.cache.pop_front();
                self.cache_bytes -= cost(self.positions[0]);
            }
            dropped += self.positions.pop_front().map_or(0, |p| p.len);
            self.first += 1;
        }
        dropped
    }

    /// Where entry `index` is, and the file holding it; `None` unless it is live.
    pub fn locate(&self, index: u64) -> Option<(Position, &Arc<File>)> {
        let position = *self
            .positions
            .get(usize::try_from(index.checked_sub(self.first)?).ok()?)?;
        Some((position, self.file(position.seq)))
    }

    /// The cached record of entry `index`.
    pub fn cached(&self, index: u64) -> Option<&[u8]> {
        let offset = index.checked_sub(self.cached_from())?;
        self.cache
            .get(usize::try_from(offset).ok()?)
            .map(|r| &r[..])
    }

    fn file(&self, seq: u64) -> &Arc<File> {
        let at = self
            .segments
            .binary_search_by_key(&seq, |s| s.seq)
            .unwrap_or_else(|_| panic!("segment {seq} holds a live entry but is not open"));
        &self.segments[at].file
    }

    /// One past the last entry from `lo` on whose records fit in `max_bytes` (at least one).
    fn budget_end(&self, lo: u64, hi: u64, max_bytes: u64) -> u64 {
        let mut bytes = 0u64;
        for index in lo..hi {
            bytes = bytes.saturating_add(self.positions[(index - self.first) as usize].len);
            if bytes > max_bytes && index > lo {
                return index;
            }
        }
        hi
    }

    /// What reading the live entries of `[start, end)` takes, stopping early once their
    /// records add up to `max_bytes`.
    fn plan(&self, start: u64, end: u64, max_bytes: u64) -> Plan {
        let lo = start.max(self.first);
        let hi = end.min(self.end());
        if lo >= hi {
            return Plan::default();
        }
        let hi = self.budget_end(lo, hi, max_bytes);
        let cached_from = self.cached_from();
        let disk = (lo..hi.min(cached_from))
            .map(|index| {
                let (position, file) = self.locate(index).expect("index within the live log");
                (index, position, file.clone())
            })
            .collect();
        let cached = (lo.max(cached_from)..hi)
            .map(|index| {
                let record = &self.cache[(index - cached_from) as usize];
                (
                    index,
                    self.positions[(index - self.first) as usize],
                    record.clone(),
                )
            })
            .collect();
        Plan { disk, cached }
    }
}

/// What caching the record at `position` costs.
fn cost(position: Position) -> u64 {
    position.len + CACHED_RECORD_OVERHEAD
}

/// The table and the guard that keeps segment bytes still while readers read them.
pub struct Shared {
    /// Readers hold it shared while they read segment files; truncation holds it exclusively
    /// while it cuts a segment, so that no read decodes bytes that are being replaced. Taken
    /// before `table`.
    files: RwLock<()>,
    table: RwLock<Table>,
}

impl Shared {
    pub fn new(table: Table) -> Shared {
        Shared {
            files: RwLock::new(()),
            table: RwLock::new(table),
        }
    }

    pub fn table(&self) -> RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn table_mut(&self) -> RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Excludes readers from the segment files, for truncation.
    pub fn files_exclusive(&self) -> RwLockWriteGuard<'_, ()> {
        self.files.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The live entries of `[start, end)`, or as many of the first of them as `max_bytes` of
    /// records hold (at least one): the older ones read from their segments, the rest decoded
    /// from the cache. Purged entries are absent.
    pub fn read(&self, start: u64, end: u64, max_bytes: u64) -> Result<Vec<Entry>, ReadError> {
        let _files = self.files.read().unwrap_or_else(|e| e.into_inner());
        // The table lock is held only to make the plan: appends go on while the files are read.
        let plan = self.table().plan(start, end, max_bytes);
        let mut entries = Vec::with_capacity(plan.disk.len() + plan.cached.len());
        for (index, position, file) in plan.disk {
            entries.push(segment::read_entry(&file, position, index)?);
        }
        for (index, position, record) in plan.cached {
            entries.push(segment::decode_entry(&record, position, index)?);
        }
        Ok(entries)
    }
}
