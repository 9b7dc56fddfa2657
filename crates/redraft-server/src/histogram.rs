//! A latency histogram of one command, laid out as Redis 7's (an HdrHistogram of nanoseconds
//! from 1 to 10^9 at two significant digits), so that INFO latencystats' percentiles and LATENCY
//! HISTOGRAM's power-of-two buckets come out as Redis computes them.
//!
//! Values are kept in buckets that double in width: the first holds 0..256 one by one, each
//! later one 128 slots of the next power of two (2^(8+b)..2^(9+b) in steps of 2^(b+1)). A value
//! stands for its slot: a percentile is the highest value of the slot where it falls.

use std::time::Duration;

/// Slots in the first bucket; each later bucket has half as many, twice as wide.
const SUB_BUCKETS: u64 = 256;
const HALF_BITS: u32 = 7;
/// The largest value recorded (1 s, Redis's bound); larger ones count as this.
const MAX_NS: u64 = 1_000_000_000;
/// Slots up to bucket 23, which holds 2^30, the first power of two past [`MAX_NS`] (the last
/// bound LATENCY HISTOGRAM reports).
const SLOTS: usize = ((23 + 2) << HALF_BITS) as usize;
/// LATENCY HISTOGRAM's first bucket: up to 1024 ns; each next one doubles.
const FIRST_REPORT_NS: u64 = 1024;

pub struct Histogram {
    counts: Box<[u64; SLOTS]>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Box::new([0; SLOTS]),
            total: 0,
        }
    }
}

impl Histogram {
    pub fn record(&mut self, took: Duration) {
        let ns = u64::try_from(took.as_nanos()).unwrap_or(MAX_NS);
        self.counts[slot(ns.clamp(1, MAX_NS))] += 1;
        self.total += 1;
    }

    /// The value at percentile `p` (0..=100), in nanoseconds; 0 when empty.
    pub fn percentile_ns(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let wanted = ((p / 100.0 * self.total as f64) + 0.5) as u64;
        let wanted = wanted.clamp(1, self.total);
        let mut seen = 0;
        for (slot, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return highest_of_slot(slot);
            }
        }
        highest_of_slot(SLOTS - 1)
    }

    /// LATENCY HISTOGRAM's buckets: (bound in µs, calls at most that long), cumulative, one at
    /// each power of two from 1024 ns where the count grows.
    pub fn cumulative_usec(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut level = FIRST_REPORT_NS;
        let (mut seen, mut reported) = (0, 0);
        let mut next_slot = 0;
        while seen < self.total && next_slot < SLOTS {
            let last = slot(level).min(SLOTS - 1);
            seen += self.counts[next_slot..=last].iter().sum::<u64>();
            next_slot = last + 1;
            if seen != reported {
                out.push((highest_of_slot(last) / 1000, seen));
                reported = seen;
            }
            level *= 2;
        }
        out
    }
}

/// Where `ns` (at least 1) is counted.
fn slot(ns: u64) -> usize {
    let bucket = (63 - (ns | (SUB_BUCKETS - 1)).leading_zeros()) - HALF_BITS;
    let sub = ns >> bucket;
    (((bucket + 1) << HALF_BITS) as u64 + sub - (SUB_BUCKETS / 2)) as usize
}

/// The highest value counted in `slot`.
fn highest_of_slot(slot: usize) -> u64 {
    let slot = slot as u64;
    let half = SUB_BUCKETS / 2;
    let (bucket, sub) = match (slot >> HALF_BITS).checked_sub(1) {
        None | Some(0) => (0, slot),
        Some(bucket) => (bucket, (slot & (half - 1)) + half),
    };
    ((sub + 1) << bucket) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(values_ns: &[u64]) -> Histogram {
        let mut histogram = Histogram::default();
        for &ns in values_ns {
            histogram.record(Duration::from_nanos(ns));
        }
        histogram
    }

    #[test]
    fn slots_cover_each_value_once_in_order() {
        let mut last = 0;
        for ns in (1..5000).chain([1 << 20, MAX_NS]) {
            let slot = slot(ns);
            assert!(slot >= last && slot < SLOTS, "{ns}");
            assert!(highest_of_slot(slot) >= ns, "{ns}");
            if slot > 0 {
                assert!(highest_of_slot(slot - 1) < ns, "{ns}");
            }
            last = slot;
        }
    }

    #[test]
    fn percentiles_are_the_highest_value_of_their_slot_as_redis_reports_them() {
        // Redis 7.0 reports a single 7 µs call as p50=7.007 and a 1 µs one as 1.003.
        assert_eq!(recorded(&[7000]).percentile_ns(50.0), 7007);
        assert_eq!(recorded(&[1000]).percentile_ns(99.9), 1003);
        let spread = recorded(&[1000, 2000, 3000, 4000]);
        assert_eq!(spread.percentile_ns(50.0), 2007);
        assert_eq!(spread.percentile_ns(99.0), 4015);
        assert_eq!(Histogram::default().percentile_ns(50.0), 0);
    }

    #[test]
    fn cumulative_buckets_match_redis_bounds_and_skip_unchanged_counts() {
        // Redis 7.0 answered these bounds for calls of about 1, 2 and 8 µs, 256 µs and 1 ms.
        assert_eq!(
            recorded(&[1000, 1500, 7000]).cumulative_usec(),
            [(1, 1), (2, 2), (8, 3)]
        );
        assert_eq!(recorded(&[200_000]).cumulative_usec(), [(264, 1)]);
        assert_eq!(
            recorded(&[1_030_000, 1_040_000, 2_000_000]).cumulative_usec(),
            [(1056, 2), (2113, 3)]
        );
        // Past the largest value: counted at 1 s.
        assert_eq!(
            recorded(&[5_000_000_000])
                .cumulative_usec()
                .last()
                .unwrap()
                .1,
            1
        );
        assert!(Histogram::default().cumulative_usec().is_empty());
    }
}
