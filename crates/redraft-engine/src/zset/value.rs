//! The sorted-set value type: [`ZSetValue`], a compact sorted sequence packed in one
//! allocation (Redis's listpack encoding, see [`PackedPairs`]) for small sets that converts
//! past zset-max-listpack-entries 128 / -value 64 to an order-statistic tree ([`OsTree`], rank
//! and select in O(log N)) plus a member→score map (Redis's skiplist encoding). Also the
//! snapshot format of sorted sets.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::config::EncodingConfig;
use crate::keyhash::key_hash;
use crate::ostree::{cmp_entries, OsTree};
use crate::packed_pairs::{PackedPairs, ScoreKey};
use crate::wire::{put_bytes, Reader, SnapshotError};

/// The snapshot tag of sorted sets (snapshot.rs), reported for malformed sorted-set bytes.
const SNAPSHOT_TAG: u8 = 4;

/// (score, member) pairs in the set's order.
pub type Entries = Vec<(f64, Vec<u8>)>;

/// A sorted-set value.
#[derive(Clone, Debug)]
pub struct ZSetValue {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    /// Redis's listpack: (score, member) in order. −0 is stored as 0, as a listpack does (the
    /// packed score encoding has no −0).
    Compact(PackedPairs<ScoreKey>),
    /// Redis's skiplist + dict. Boxed so that the compact encoding sets the inline size.
    Large(Box<Large>),
}

#[derive(Clone, Debug, Default)]
struct Large {
    tree: OsTree,
    /// Member → score, keyed by (FNV-1a hash of the member, member): the hash order is the
    /// ZSCAN cursor order, stable across replicas and snapshots.
    members: BTreeMap<(u64, Vec<u8>), f64>,
}

impl Large {
    fn from_pairs<'a>(pairs: impl Iterator<Item = (f64, &'a [u8])>) -> Large {
        let mut large = Large::default();
        for (score, member) in pairs {
            large.insert(score, member);
        }
        large
    }

    fn insert(&mut self, score: f64, member: &[u8]) {
        self.tree.insert(score, member);
        self.members
            .insert((key_hash(member), member.to_vec()), score);
    }
}

/// Inserts a member that is not in the compact set at its place in the order. (−0 is
/// stored as 0 by the score encoding, and 0 == −0 for the comparison.)
fn compact_insert(entries: &mut PackedPairs<ScoreKey>, score: f64, member: &[u8]) {
    let at = entries
        .find(|slot| cmp_entries((slot.key, slot.value), (score, member)) != Ordering::Less)
        .map_or(entries.end(), |slot| slot.span.start);
    entries.insert_at(at, score, member);
}

impl PartialEq for ZSetValue {
    fn eq(&self, other: &Self) -> bool {
        let bits = |z: &ZSetValue| -> Vec<(u64, Vec<u8>)> {
            z.entries()
                .into_iter()
                .map(|(s, m)| (s.to_bits(), m))
                .collect()
        };
        self.encoding_name() == other.encoding_name() && bits(self) == bits(other)
    }
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue {
            repr: Repr::Compact(PackedPairs::default()),
        }
    }
}

impl ZSetValue {
    /// An empty set as ZADD creates it: compact unless its first member is already too long.
    pub fn new_for(first_member_len: usize, limits: &EncodingConfig) -> ZSetValue {
        // Redis: zset_max_listpack_entries == 0 also starts with a skiplist.
        let large = limits.zset_entries() == 0 || first_member_len as u64 > limits.zset_value();
        ZSetValue::with_entries(&[], large)
    }

    /// An empty set in the large encoding.
    pub(crate) fn new_large() -> ZSetValue {
        ZSetValue::with_entries(&[], true)
    }

    /// A set of entries already in order with distinct members, compact if it fits (as Redis's
    /// store commands leave their destination).
    pub fn from_sorted(entries: Entries, limits: &EncodingConfig) -> ZSetValue {
        let longest = entries.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        let fits =
            entries.len() as u64 <= limits.zset_entries() && longest as u64 <= limits.zset_value();
        ZSetValue::with_entries(&entries, !fits)
    }

    /// A set of `entries` (in order, distinct members) in the encoding asked for.
    fn with_entries(entries: &[(f64, Vec<u8>)], large: bool) -> ZSetValue {
        let pairs = entries.iter().map(|(s, m)| (*s, m.as_slice()));
        ZSetValue {
            repr: if large {
                Repr::Large(Box::new(Large::from_pairs(pairs)))
            } else {
                Repr::Compact(PackedPairs::from_pairs(pairs))
            },
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Compact(entries) => entries.len(),
            Repr::Large(large) => large.tree.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Redis's OBJECT ENCODING name.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Compact(_) => "listpack",
            Repr::Large(_) => "skiplist",
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Compact(entries) => entries
                .find(|slot| slot.value == member)
                .map(|slot| slot.key),
            Repr::Large(large) => large
                .members
                .get(&(key_hash(member), member.to_vec()))
                .copied(),
        }
    }

    /// The 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Compact(entries) => entries.iter().position(|slot| slot.value == member),
            Repr::Large(large) => {
                let score = self.score(member)?;
                Some(large.tree.rank(score, member))
            }
        }
    }

    /// The entry at 0-based ascending `rank` (< len): a walk from the start for the compact
    /// encoding (as in a listpack), so loops over many ranks use [`ZSetValue::entries_at`].
    pub fn at(&self, rank: usize) -> (f64, &[u8]) {
        match &self.repr {
            Repr::Compact(entries) => {
                let slot = entries.iter().nth(rank).expect("rank below len");
                (slot.key, slot.value)
            }
            Repr::Large(large) => large.tree.select(rank).expect("rank below len"),
        }
    }

    /// The entries from `rank` on, in order: one walk of the compact encoding (where `at` per
    /// rank would walk from the start each time), O(log N) an entry in the large one.
    pub fn iter_from(&self, rank: usize) -> Box<dyn Iterator<Item = (f64, &[u8])> + '_> {
        match &self.repr {
            Repr::Compact(entries) => {
                Box::new(entries.iter().skip(rank).map(|slot| (slot.key, slot.value)))
            }
            Repr::Large(large) => Box::new(
                (rank..large.tree.len()).map(|r| large.tree.select(r).expect("rank below len")),
            ),
        }
    }

    /// The entries at `ranks` (each < len), in the order given: one walk of the compact
    /// encoding, then O(1) a rank; O(log N) a rank in the large one.
    pub fn entries_at(&self, ranks: impl IntoIterator<Item = usize>) -> Entries {
        let ranks = ranks.into_iter();
        match &self.repr {
            Repr::Compact(entries) => {
                let all: Vec<(f64, &[u8])> =
                    entries.iter().map(|slot| (slot.key, slot.value)).collect();
                ranks
                    .map(|rank| (all[rank].0, all[rank].1.to_vec()))
                    .collect()
            }
            Repr::Large(large) => ranks
                .map(|rank| {
                    let (score, member) = large.tree.select(rank).expect("rank below len");
                    (score, member.to_vec())
                })
                .collect(),
        }
    }

    /// How many entries come first for which `before` holds (it must hold for a prefix).
    pub fn partition_point(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Compact(entries) => entries
                .iter()
                .position(|slot| !before(slot.key, slot.value))
                .unwrap_or(entries.len()),
            Repr::Large(large) => large.tree.partition_point(before),
        }
    }

    /// Every entry in order.
    pub fn entries(&self) -> Entries {
        match &self.repr {
            Repr::Compact(entries) => entries
                .iter()
                .map(|slot| (slot.key, slot.value.to_vec()))
                .collect(),
            Repr::Large(large) => large.tree.to_vec(),
        }
    }

    /// The heap bytes of the compact encoding's buffer (None for the large one): tests bound
    /// it so that small sets stay one allocation.
    pub fn compact_bytes(&self) -> Option<usize> {
        match &self.repr {
            Repr::Compact(entries) => Some(entries.heap_bytes()),
            Repr::Large(_) => None,
        }
    }

    /// Adds a member that is not in the set, converting to the large encoding when the set
    /// outgrows the compact one (zsetAdd).
    pub fn insert_new(&mut self, score: f64, member: &[u8], limits: &EncodingConfig) {
        debug_assert!(!score.is_nan() && self.score(member).is_none());
        if let Repr::Compact(entries) = &mut self.repr {
            if (entries.len() as u64) < limits.zset_entries()
                && member.len() as u64 <= limits.zset_value()
            {
                compact_insert(entries, score, member);
                return;
            }
            self.convert_to_large();
        }
        if let Repr::Large(large) = &mut self.repr {
            large.insert(score, member);
        }
    }

    /// Converts a compact set to the large encoding (zsetConvert to skiplist), as SORT does
    /// to the sorted set it sorts.
    pub(crate) fn convert_to_large(&mut self) {
        if let Repr::Compact(entries) = &self.repr {
            let pairs = entries.iter().map(|slot| (slot.key, slot.value));
            self.repr = Repr::Large(Box::new(Large::from_pairs(pairs)));
        }
    }

    /// Removes `member`; its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Compact(entries) => {
                let slot = entries.find(|slot| slot.value == member)?;
                let (score, span) = (slot.key, slot.span);
                entries.remove(span);
                Some(score)
            }
            Repr::Large(large) => {
                let score = large.members.remove(&(key_hash(member), member.to_vec()))?;
                let removed = large.tree.remove(score, member);
                assert!(removed, "zset tree and member map disagree");
                Some(score)
            }
        }
    }

    /// Changes the score of a member that is in the set.
    pub(super) fn set_score(&mut self, member: &[u8], score: f64) {
        self.remove(member);
        match &mut self.repr {
            // Removal never overflows: re-inserting fits where the member was.
            Repr::Compact(entries) => compact_insert(entries, score, member),
            Repr::Large(large) => large.insert(score, member),
        }
    }

    /// The large encoding's entries in ZSCAN order (by member hash) from the hash `cursor` on,
    /// each with its hash; None for the compact encoding, which a scan returns whole.
    pub(super) fn scan_from(
        &self,
        cursor: u64,
    ) -> Option<impl Iterator<Item = (u64, (f64, &[u8]))> + '_> {
        let Repr::Large(large) = &self.repr else {
            return None;
        };
        let from = (cursor, Vec::new());
        let entries = large.members.range(from..);
        Some(entries.map(|((hash, member), score)| (*hash, (*score, member.as_slice()))))
    }

    /// Snapshot format: encoding (u8: 0 compact, 1 large), entry count (u64), then each entry
    /// in order: score (f64 bits, u64) and member.
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        out.push(u8::from(matches!(self.repr, Repr::Large(_))));
        let entries = self.entries();
        out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
        for (score, member) in &entries {
            out.extend_from_slice(&score.to_bits().to_le_bytes());
            put_bytes(out, member);
        }
    }

    /// Reads what [`ZSetValue::encode_snapshot`] wrote. Malformed content (an unknown
    /// encoding, a NaN score, entries out of order or repeated) is an error: a snapshot never
    /// builds a set that breaks this type's invariants. A compact set of any size loads, as a
    /// hash's listpack does.
    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<ZSetValue, SnapshotError> {
        let malformed = SnapshotError::UnknownType(SNAPSHOT_TAG);
        let large = match reader.u8()? {
            0 => false,
            1 => true,
            _ => return Err(malformed),
        };
        let count = reader.u64()?;
        let mut entries: Entries = Vec::new();
        for _ in 0..count {
            let score = f64::from_bits(reader.u64()?);
            let member = reader.bytes()?.to_vec();
            let in_order = entries
                .last()
                .is_none_or(|(s, m)| cmp_entries((*s, m), (score, &member)) == Ordering::Less);
            if score.is_nan() || !in_order {
                return Err(malformed);
            }
            entries.push((score, member));
        }
        let distinct: BTreeSet<&[u8]> = entries.iter().map(|(_, m)| m.as_slice()).collect();
        // Any size may be compact: the thresholds are configuration, and lowering them
        // converts nothing until the next write. A compact set cannot hold −0.
        let negative_zero = |(s, _): &(f64, Vec<u8>)| *s == 0.0 && s.is_sign_negative();
        if distinct.len() != entries.len() || (!large && entries.iter().any(negative_zero)) {
            return Err(malformed);
        }
        Ok(ZSetValue::with_entries(&entries, large))
    }
}

#[cfg(test)]
mod tests {
    use super::{Entries, ZSetValue};
    use crate::testutil::value_of;
    use crate::testutil::{self, bulk, config_set, encoding, int};
    use crate::zset::tests::{ap, engine, r, zadd_many};
    use crate::Engine;

    #[test]
    fn encodings_convert_at_redis_thresholds_and_agree() {
        let mut e = Engine::new();
        ap(
            &mut e,
            zadd_many("z", 128, |i| format!("{} m{i:03}", i % 7)).as_str(),
        );
        assert_eq!(encoding(&e, "z"), "listpack");
        let compact = r(&e, "ZRANGE z 0 -1 WITHSCORES");
        ap(&mut e, "ZADD z 0 m128");
        assert_eq!(encoding(&e, "z"), "skiplist");
        ap(&mut e, "ZREM z m128");
        assert_eq!(encoding(&e, "z"), "skiplist", "no conversion back");
        assert_eq!(r(&e, "ZRANGE z 0 -1 WITHSCORES"), compact);
        assert_eq!(r(&e, "ZRANK z m007"), int(1));
        ap(&mut e, "ZADD v 1 a");
        ap(&mut e, format!("ZADD v 1 {}", "x".repeat(65)).as_str());
        assert_eq!(encoding(&e, "v"), "skiplist");
        ap(&mut e, format!("ZADD w 1 {}", "x".repeat(64)).as_str());
        assert_eq!(encoding(&e, "w"), "listpack");
    }

    #[test]
    fn a_small_set_is_one_small_allocation() {
        // The keyspace holds values inline: the compact encoding must keep them small.
        assert!(std::mem::size_of::<ZSetValue>() <= 16);
        let mut e = Engine::new();
        ap(
            &mut e,
            zadd_many("z", 10, |i| format!("{i} member:{i}")).as_str(),
        );
        // 10 × (1 score byte + 1 length byte + 8 member bytes) + the 1-byte count.
        assert_eq!(value_of::<ZSetValue>(&e, "z").compact_bytes(), Some(101));
        ap(&mut e, "ZADD z 2.5 member:2");
        assert_eq!(
            value_of::<ZSetValue>(&e, "z").compact_bytes(),
            Some(109),
            "no slack"
        );
        ap(&mut e, "ZREM z member:0 member:1");
        assert_eq!(value_of::<ZSetValue>(&e, "z").compact_bytes(), Some(89));
    }

    #[test]
    fn compact_scores_keep_their_value_and_order() {
        let mut e = Engine::new();
        let scores = [
            "-inf",
            "inf",
            "-0",
            "0.5",
            "-1e300",
            "9007199254740993",
            "-4096",
            "4095",
            "31",
            "-32",
            "1.7976931348623157e308",
            "5e-324",
        ];
        let pairs = |i: usize| format!("{} m{i:02}", scores[i]);
        ap(&mut e, zadd_many("z", scores.len(), pairs).as_str());
        // Past 64 bytes, one member makes the set large; removing it does not convert back.
        let long = "x".repeat(65);
        ap(&mut e, format!("ZADD big 0 {long}").as_str());
        ap(&mut e, zadd_many("big", scores.len(), pairs).as_str());
        ap(&mut e, format!("ZREM big {long}").as_str());
        assert_eq!(encoding(&e, "z"), "listpack");
        assert_eq!(encoding(&e, "big"), "skiplist");
        let bits = |entries: Entries| -> Vec<(u64, Vec<u8>)> {
            entries.into_iter().map(|(s, m)| (s.to_bits(), m)).collect()
        };
        let mut expected = bits(value_of::<ZSetValue>(&e, "big").entries());
        // Only −0 differs: the compact encoding stores it as 0.
        for entry in &mut expected {
            if entry.0 == (-0.0f64).to_bits() {
                entry.0 = 0.0f64.to_bits();
            }
        }
        assert_eq!(bits(value_of::<ZSetValue>(&e, "z").entries()), expected);
        for read in [
            "ZSCORE {} m05",
            "ZRANK {} m03",
            "ZRANGEBYSCORE {} (0 1e10 WITHSCORES",
        ] {
            let on = |key| r(&e, read.replace("{}", key).as_str());
            assert_eq!(on("z"), on("big"), "{read}");
        }
        ap(&mut e, "ZINCRBY z 1 m02");
        assert_eq!(value_of::<ZSetValue>(&e, "z").score(b"m02"), Some(1.0));
    }

    #[test]
    fn snapshot_round_trips_both_encodings_and_rejects_bad_bytes() {
        let mut e = engine();
        ap(
            &mut e,
            zadd_many("big", 200, |i| format!("{}.5 m{i}", i % 13)).as_str(),
        );
        ap(&mut e, "ZADD big -0 neg");
        let bytes = e.encode_snapshot();
        let decoded = Engine::decode_snapshot(&bytes).unwrap();
        assert_eq!(decoded, e);
        assert_eq!(decoded.encode_snapshot(), bytes);
        assert_eq!(encoding(&decoded, "big"), "skiplist");
        assert_eq!(encoding(&decoded, "z"), "listpack");
        assert_eq!(r(&decoded, "ZSCORE big neg"), bulk("-0"));
        for cut in (0..bytes.len()).step_by(7) {
            assert!(Engine::decode_snapshot(&bytes[..cut]).is_err());
        }
        // NaN, out-of-order and duplicate entries are refused, and −0 in a compact set.
        let mut one = Engine::new();
        ap(&mut one, "ZADD k 1 a 2 b");
        let good = one.encode_snapshot();
        let patch = |from: &[u8], to: &[u8]| {
            let at = good.windows(from.len()).position(|w| w == from).unwrap();
            let mut bytes = good.clone();
            bytes[at..at + from.len()].copy_from_slice(to);
            bytes
        };
        let one_bits = 1.0f64.to_bits().to_le_bytes();
        for bad in [
            patch(&one_bits, &f64::NAN.to_bits().to_le_bytes()),
            patch(&one_bits, &3.0f64.to_bits().to_le_bytes()),
            patch(&one_bits, &(-0.0f64).to_bits().to_le_bytes()),
            patch(b"\x01\x00\x00\x00b", b"\x01\x00\x00\x00a"),
        ] {
            assert!(Engine::decode_snapshot(&bad).is_err());
        }
    }

    #[test]
    fn the_replicated_thresholds_decide_conversions() {
        let mut e = Engine::new();
        for (setting, command, key, expected) in [
            (
                Some(("zset-max-listpack-entries", "2")),
                "ZADD z 1 a 2 b",
                "z",
                "listpack",
            ),
            (None, "ZADD z 3 c", "z", "skiplist"),
            (None, "ZUNIONSTORE u 1 z", "u", "skiplist"),
            (
                Some(("zset-max-listpack-value", "1")),
                "ZADD long 1 ab",
                "long",
                "skiplist",
            ),
            (
                Some(("zset-max-listpack-entries", "0")),
                "ZADD none 1 a",
                "none",
                "skiplist",
            ),
        ] {
            if let Some((name, value)) = setting {
                config_set(&mut e, name, value);
            }
            testutil::apply(&mut e, 1000, command);
            assert_eq!(encoding(&e, key), expected, "{command}");
        }
    }
}
