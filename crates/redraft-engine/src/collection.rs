//! What the collection types (hash, set) share: a seeded generator for the commands that pick
//! at random, the sampling rules of HRANDFIELD/SRANDMEMBER/SPOP, and the scan of one key's
//! elements (HSCAN, SSCAN) by a hash cursor.

use crate::args::{self, int_arg, is, syntax_error};
use crate::engine::splitmix64;
use crate::glob::glob_match;
use crate::reply::Reply;

/// SplitMix64 as a stream: the same seed gives the same choices on every replica.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        let out = splitmix64(self.0);
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        out
    }

    /// A uniform index below `n` (n > 0), by multiply-shift (no modulo bias worth noting).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "a choice among nothing");
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// `k` distinct indices below `n` (k <= n) in random order: a partial Fisher-Yates shuffle.
    pub(crate) fn distinct(&mut self, n: usize, k: usize) -> Vec<usize> {
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

/// Repeated picks (a negative count) that one reply may hold at most. Redis would try to build
/// any size and close the client when its output buffer limit is hit; a replicated state
/// machine must bound its reply instead (docs/commands.md notes this difference).
pub(crate) const REPEATED_PICKS_MAX: u64 = 1_000_000;

/// What a count argument of HRANDFIELD/SRANDMEMBER asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Sample {
    /// `n` distinct elements (all of them when there are fewer).
    Distinct(usize),
    /// `n` elements drawn with repetition.
    Repeated(usize),
}

/// Parses a count as Redis's getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX): an integer
/// other than i64::MIN.
pub(crate) fn signed_count(arg: &[u8]) -> Result<i64, Reply> {
    let count = int_arg(arg)?;
    if count == i64::MIN {
        return Err(Reply::error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    Ok(count)
}

/// The sample a signed count asks for; a negative count beyond [`REPEATED_PICKS_MAX`] is an
/// error. A count of 1 is the same single pick either way.
pub(crate) fn sample(count: i64) -> Result<Sample, Reply> {
    if count >= 0 {
        return Ok(Sample::Distinct(
            usize::try_from(count).unwrap_or(usize::MAX),
        ));
    }
    let picks = count.unsigned_abs();
    if picks > REPEATED_PICKS_MAX {
        return Err(Reply::error("ERR value is out of range"));
    }
    Ok(Sample::Repeated(picks as usize))
}

/// The element indices a sample draws from `len` elements (len > 0): with repetition, every
/// index when the count covers them all (in order, as Redis replies the whole collection), or
/// distinct indices in random order.
pub(crate) fn sample_indices(rng: &mut Rng, len: usize, sample: Sample) -> Vec<usize> {
    match sample {
        Sample::Repeated(picks) => (0..picks).map(|_| rng.below(len)).collect(),
        Sample::Distinct(count) if count >= len => (0..len).collect(),
        Sample::Distinct(count) => rng.distinct(len, count),
    }
}

/// Elements visited per HSCAN/SSCAN call on a hash table, by default (Redis's COUNT default).
const SCAN_COUNT_DEFAULT: usize = 10;

/// The options of HSCAN/SSCAN: COUNT and MATCH (TYPE belongs to SCAN alone).
pub(crate) struct ScanOptions<'a> {
    pub(crate) count: usize,
    pattern: Option<&'a [u8]>,
}

impl<'a> ScanOptions<'a> {
    pub(crate) fn parse(options: &'a [Vec<u8>]) -> Result<ScanOptions<'a>, Reply> {
        let mut parsed = ScanOptions {
            count: SCAN_COUNT_DEFAULT,
            pattern: None,
        };
        for pair in options.chunks(2) {
            match pair {
                [opt, value] if is(opt, "COUNT") => {
                    let count = int_arg(value)?;
                    if count < 1 {
                        return Err(syntax_error());
                    }
                    parsed.count = usize::try_from(count).unwrap_or(usize::MAX);
                }
                // A lone `*` matches everything (Redis short-cuts it too).
                [opt, value] if is(opt, "MATCH") => {
                    parsed.pattern = Some(value.as_slice()).filter(|p| *p != b"*")
                }
                _ => return Err(syntax_error()),
            }
        }
        Ok(parsed)
    }

    pub(crate) fn matches(&self, element: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob_match(p, element))
    }
}

/// A scan cursor argument, or Redis's error for one that is not.
pub(crate) fn scan_cursor(arg: &[u8]) -> Result<u64, Reply> {
    args::parse_cursor(arg).ok_or_else(|| Reply::error("ERR invalid cursor"))
}

/// The reply of a scan: the next cursor and the elements found.
pub(crate) fn scan_reply(cursor: u64, found: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::bulk(cursor.to_string()), Reply::Array(found)])
}

/// Takes about `count` items from a hash-ordered sequence, never splitting a group of items that
/// share a hash: the items and the hash to resume from (0 at the end). A page holds at least one
/// whole group, so the next cursor is strictly greater than every hash returned and a scan
/// always progresses; an element present for the whole scan is returned exactly once.
pub(crate) fn scan_page<T>(items: impl Iterator<Item = (u64, T)>, count: usize) -> (Vec<T>, u64) {
    let mut page = Vec::new();
    let mut last_hash = None;
    for (hash, item) in items {
        if page.len() >= count && last_hash != Some(hash) {
            return (page, hash);
        }
        last_hash = Some(hash);
        page.push(item);
    }
    (page, 0)
}

/// A snapshot of `engine` with its value replaced by `value` (a value's own encoding, without
/// its type tag), for tests of a value type's decoder. `engine` holds exactly one key, of one
/// byte, in database 0, without a deadline.
#[cfg(test)]
pub(crate) fn splice_value(engine: &crate::Engine, value: &[u8]) -> Vec<u8> {
    // Magic 8, version 4, time 8, configuration 5 * 8, db 0's count 8, key 4 + 1, no
    // deadline 1, type tag 1.
    const VALUE_AT: usize = 75;
    // The entry counts of databases 1 to 15.
    const TAIL: usize = 15 * 8;
    let bytes = engine.encode_snapshot();
    let mut out = bytes[..VALUE_AT].to_vec();
    out.extend_from_slice(value);
    out.extend_from_slice(&bytes[bytes.len() - TAIL..]);
    out
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

    #[test]
    fn counts_map_to_samples_like_redis() {
        assert_eq!(sample(3), Ok(Sample::Distinct(3)));
        assert_eq!(sample(-3), Ok(Sample::Repeated(3)));
        assert!(sample(-(REPEATED_PICKS_MAX as i64) - 1).is_err());
        assert!(signed_count(b"-9223372036854775808").is_err());
        assert_eq!(signed_count(b"x"), Err(Reply::error(args::NOT_INTEGER)));
        let mut rng = Rng::new(3);
        assert_eq!(
            sample_indices(&mut rng, 3, Sample::Distinct(5)),
            vec![0, 1, 2]
        );
        assert_eq!(sample_indices(&mut rng, 3, Sample::Repeated(7)).len(), 7);
    }

    #[test]
    fn scan_options_parse_like_redis() {
        let argv = |parts: &[&str]| -> Vec<Vec<u8>> {
            parts.iter().map(|p| p.as_bytes().to_vec()).collect()
        };
        let ok = argv(&["count", "5", "MATCH", "a*"]);
        let parsed = ScanOptions::parse(&ok).unwrap();
        assert_eq!(parsed.count, 5);
        assert!(parsed.matches(b"ab") && !parsed.matches(b"ba"));
        for bad in [
            &["COUNT"][..],
            &["COUNT", "0"],
            &["TYPE", "string"],
            &["MATCH"],
        ] {
            assert!(ScanOptions::parse(&argv(bad)).is_err(), "{bad:?}");
        }
        assert!(matches!(
            ScanOptions::parse(&argv(&["COUNT", "x"])),
            Err(Reply::Error(e)) if e == args::NOT_INTEGER
        ));
        assert_eq!(scan_cursor(b" 1"), Err(Reply::error("ERR invalid cursor")));
    }

    #[test]
    fn scan_pages_never_split_a_hash_group() {
        let items = vec![(1, 'a'), (1, 'b'), (2, 'c'), (3, 'd')];
        assert_eq!(scan_page(items.clone().into_iter(), 1), (vec!['a', 'b'], 2));
        assert_eq!(
            scan_page(items.into_iter(), 10),
            (vec!['a', 'b', 'c', 'd'], 0)
        );
    }
}
