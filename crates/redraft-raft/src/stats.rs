//! Counters and latency histograms of the Raft side, for the server's metrics endpoint. Each
//! is a handful of relaxed atomics, so the paths that record them (the log's fsync, a forward)
//! pay no lock; the endpoint reads them when it is scraped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Upper bounds of the latency buckets, in microseconds: 25 µs (a read on loopback) up to 10 s
/// (a large snapshot). Slower observations fall in the last, unbounded bucket.
const BOUNDS_US: [u64; 18] = [
    25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000,
];

/// A latency histogram with fixed buckets, recorded without a lock.
#[derive(Debug, Default)]
pub struct LatencyHistogram {
    /// Observations per bucket (not cumulative); the last bucket has no upper bound.
    buckets: [AtomicU64; BOUNDS_US.len() + 1],
    sum_ns: AtomicU64,
}

/// What a [`LatencyHistogram`] held when it was read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistogramSample {
    /// (upper bound in seconds, observations in that bucket), the unbounded bucket last with
    /// `f64::INFINITY`.
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
}

impl LatencyHistogram {
    pub fn observe(&self, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = BOUNDS_US.partition_point(|&bound| bound < us);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// The buckets as they are now (each read on its own: a scrape racing an observation may
    /// see it in the count and not yet in the sum).
    pub fn sample(&self) -> HistogramSample {
        let bounds = BOUNDS_US
            .iter()
            .map(|&us| us as f64 / 1e6)
            .chain(std::iter::once(f64::INFINITY));
        let buckets: Vec<(f64, u64)> = bounds
            .zip(&self.buckets)
            .map(|(bound, n)| (bound, n.load(Ordering::Relaxed)))
            .collect();
        HistogramSample {
            count: buckets.iter().map(|(_, n)| n).sum(),
            buckets,
            sum_seconds: self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

/// Snapshots this node built from its state and received from a leader, and the changes
/// applied since the last one (INFO's persistence section reads them).
#[derive(Debug, Default)]
pub struct SnapshotStats {
    /// Builds begun and ended (stored or failed): one is under way while they differ.
    pub builds_started: AtomicU64,
    pub builds_ended: AtomicU64,
    /// Builds stored.
    pub builds: AtomicU64,
    /// From the start of encoding to the snapshot being durable on disk.
    pub build_seconds: LatencyHistogram,
    pub installs: AtomicU64,
    /// From the start of decoding to the replica holding the snapshot.
    pub install_seconds: LatencyHistogram,
    /// Builds that failed (a full disk ...).
    pub build_failures: AtomicU64,
    /// Whether the last build failed.
    pub last_build_failed: std::sync::atomic::AtomicBool,
    /// The last successful build's duration, in milliseconds.
    pub last_build_ms: AtomicU64,
    /// When the build running now started; None while none runs.
    pub building_since: std::sync::Mutex<Option<std::time::Instant>>,
    /// Changes applied since this node started, as Redis's dirty counter counts them
    /// (`Engine::take_changes`).
    pub changes_applied: AtomicU64,
    /// `changes_applied` as the state of the last snapshot built or installed held it.
    pub changes_at_snapshot: AtomicU64,
}

impl SnapshotStats {
    /// Changes applied since the state of the last snapshot (Redis's
    /// rdb_changes_since_last_save). A node that started from a snapshot counts the entries it
    /// replayed after it: they are not in it.
    pub fn changes_since_snapshot(&self) -> u64 {
        let applied = self.changes_applied.load(Ordering::Relaxed);
        applied.saturating_sub(self.changes_at_snapshot.load(Ordering::Relaxed))
    }

    /// How long the build running now has taken; None while none runs.
    pub fn building_for(&self) -> Option<Duration> {
        let since = self
            .building_since
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        since.map(|started| started.elapsed())
    }
}

/// The Raft side's counters, shared by the parts that record them.
#[derive(Debug)]
pub struct RaftStats {
    /// fsyncs of the log, each covering one append (a batch of entries).
    pub fsync_seconds: Arc<LatencyHistogram>,
    /// Bytes of the log's records on disk since its last compaction.
    pub log_bytes: Arc<AtomicU64>,
    pub snapshots: Arc<SnapshotStats>,
    /// Runs of writes a follower sent to the leader (each attempt counts).
    pub forwarded_writes: AtomicU64,
    /// Forward requests a follower sent the leader, each carrying the runs that waited
    /// together (each attempt counts).
    pub forwards: AtomicU64,
    /// Read indexes a follower asked of the leader.
    pub forwarded_reads: AtomicU64,
    /// Times this node saw a new leader (a leader in a later term, or a different one).
    pub leader_changes: AtomicU64,
    /// Terms this node saw begin: each begins with an election.
    pub elections: AtomicU64,
}

impl SnapshotStats {
    /// Whether this node is building a snapshot now (SAVE, BGSAVE).
    pub fn building(&self) -> bool {
        self.builds_started.load(Ordering::Acquire) != self.builds_ended.load(Ordering::Acquire)
    }
}

impl RaftStats {
    pub(crate) fn count(counter: &AtomicU64) {
        Self::add(counter, 1);
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_whose_bound_holds_them() {
        let histogram = LatencyHistogram::default();
        histogram.observe(Duration::from_micros(25));
        histogram.observe(Duration::from_micros(26));
        histogram.observe(Duration::from_secs(60));
        let sample = histogram.sample();
        assert_eq!(sample.count, 3);
        assert_eq!(sample.buckets[0], (0.000025, 1));
        assert_eq!(sample.buckets[1], (0.00005, 1));
        assert_eq!(sample.buckets.last(), Some(&(f64::INFINITY, 1)));
        assert!((sample.sum_seconds - 60.000051).abs() < 1e-9);
    }
}
