//! The engine's one source of randomness: SplitMix64, seeded from the log entry (or, for a
//! read, from the caller), so that the same seed draws the same choices on every replica.

/// SplitMix64's finalizer: spreads nearby inputs over the whole 64-bit range.
pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// SplitMix64 as a stream: the same seed gives the same choices on every replica.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        let out = splitmix64(self.0);
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        out
    }

    /// A uniform index below `n` (n > 0), by multiply-shift (no modulo bias worth noting).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "a choice among nothing");
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// `k` distinct indices below `n` (k <= n) in random order: a partial Fisher-Yates shuffle.
    pub fn distinct(&mut self, n: usize, k: usize) -> Vec<usize> {
        assert!(k <= n, "more distinct picks than elements");
        let mut indices: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = i + self.below(n - i);
            indices.swap(i, j);
        }
        indices.truncate(k);
        indices
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_a_pure_function_of_its_seed() {
        let draw = |seed| {
            let mut rng = Rng::new(seed);
            (0..20).map(|_| rng.below(1000)).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        assert!(draw(9).iter().all(|&i| i < 1000));
    }

    #[test]
    fn distinct_picks_are_distinct_and_in_range() {
        let mut rng = Rng::new(1);
        for (n, k) in [(1, 1), (10, 3), (10, 10), (100, 0)] {
            let mut picks = rng.distinct(n, k);
            assert_eq!(picks.len(), k);
            picks.sort_unstable();
            picks.dedup();
            assert_eq!(picks.len(), k);
            assert!(picks.iter().all(|&i| i < n));
        }
    }
}
