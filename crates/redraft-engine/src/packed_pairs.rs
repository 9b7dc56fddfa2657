//! A small sequence of pairs packed in one allocation: the compact encoding of hashes
//! (field, value) and of sorted sets (score, member), in the spirit of Redis's listpack.
//!
//! Layout: `[pair count: varint][pair]*`, where a pair is its key (bytes or a score, see
//! [`KeyCodec`]) then its value as a varint length and the bytes. An empty sequence owns no
//! allocation. Every write rebuilds the buffer at its exact size, as a listpack reallocates
//! on every write: no slack capacity stays allocated, and the copy is cheap because the
//! compact encodings are small (by default at most 513 pairs of at most 64-byte strings; the
//! layout itself has no limit).
//!
//! Lookups are linear scans, as in a listpack; the callers convert to their large encoding
//! before that matters.

use crate::packed_items::read_entry as get_bytes;
use crate::varint;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

/// How the first half of a pair is stored.
pub(crate) trait KeyCodec {
    type Key<'a>: Copy + fmt::Debug;
    fn put(key: Self::Key<'_>, out: &mut Vec<u8>);
    /// The key that starts at `at`, and where it ends.
    fn get(buf: &[u8], at: usize) -> (Self::Key<'_>, usize);
}

/// Keys that are byte strings (hash fields): a varint length and the bytes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BytesKey;

impl KeyCodec for BytesKey {
    type Key<'a> = &'a [u8];

    fn put(key: &[u8], out: &mut Vec<u8>) {
        put_bytes(out, key);
    }

    fn get(buf: &[u8], at: usize) -> (&[u8], usize) {
        get_bytes(buf, at)
    }
}

/// Keys that are scores (sorted sets), never NaN; see [`put_score`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ScoreKey;

impl KeyCodec for ScoreKey {
    type Key<'a> = f64;

    fn put(key: f64, out: &mut Vec<u8>) {
        put_score(out, key);
    }

    fn get(buf: &[u8], at: usize) -> (f64, usize) {
        get_score(buf, at)
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    varint::push(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Integers of at most this magnitude are exact in an f64.
const EXACT_INTEGER_MAX: f64 = (1u64 << 53) as f64;

/// Marks a score stored as its 8 f64 bytes: a varint that is odd (integral scores are even).
const FLOAT_TAG: u8 = 1;

/// An integral score of magnitude ≤ 2^53 is one varint of its zigzag form shifted left by one
/// (1 byte up to ±31, 2 up to ±4095); any other is the byte [`FLOAT_TAG`] and its 8 bytes. −0
/// is integral and so comes back as 0, as a listpack stores it.
pub(crate) fn put_score(out: &mut Vec<u8>, score: f64) {
    assert!(!score.is_nan(), "a NaN score is never stored");
    // Infinities fail the fract test (inf − inf is NaN).
    if score.fract() == 0.0 && score.abs() <= EXACT_INTEGER_MAX {
        let int = score as i64;
        let zigzag = ((int << 1) ^ (int >> 63)) as u64;
        varint::push(out, zigzag << 1);
    } else {
        out.push(FLOAT_TAG);
        out.extend_from_slice(&score.to_bits().to_le_bytes());
    }
}

pub(crate) fn get_score(buf: &[u8], at: usize) -> (f64, usize) {
    let (n, end) = varint::read(buf, at);
    if n & 1 == 0 {
        let zigzag = n >> 1;
        let int = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
        return (int as f64, end);
    }
    assert_eq!(n, u64::from(FLOAT_TAG), "unknown score tag");
    let bits: [u8; 8] = buf[end..end + 8].try_into().expect("eight bytes");
    (f64::from_bits(u64::from_le_bytes(bits)), end + 8)
}

/// Pairs packed in one exact-size allocation; see the module documentation.
pub(crate) struct PackedPairs<K> {
    buf: Box<[u8]>,
    codec: PhantomData<K>,
}

/// One pair in place: its key, its value, and the bytes it spans in the buffer (to replace or
/// remove it, or to insert before it).
pub(crate) struct Slot<'a, K: KeyCodec> {
    pub key: K::Key<'a>,
    pub value: &'a [u8],
    pub span: Range<usize>,
}

impl<K> Clone for PackedPairs<K> {
    fn clone(&self) -> Self {
        PackedPairs {
            buf: self.buf.clone(),
            codec: PhantomData,
        }
    }
}

impl<K> PartialEq for PackedPairs<K> {
    fn eq(&self, other: &Self) -> bool {
        self.buf == other.buf
    }
}

impl<K: KeyCodec> fmt::Debug for PackedPairs<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs = self
            .iter()
            .map(|slot| (slot.key, String::from_utf8_lossy(slot.value)));
        f.debug_list().entries(pairs).finish()
    }
}

impl<K> Default for PackedPairs<K> {
    fn default() -> Self {
        PackedPairs {
            buf: Box::default(),
            codec: PhantomData,
        }
    }
}

fn put_pair<K: KeyCodec>(out: &mut Vec<u8>, key: K::Key<'_>, value: &[u8]) {
    K::put(key, out);
    put_bytes(out, value);
}

impl<K: KeyCodec> PackedPairs<K> {
    /// Packs `pairs` in the order given.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (K::Key<'a>, &'a [u8])>) -> Self {
        let mut body = Vec::new();
        let mut count = 0usize;
        for (key, value) in pairs {
            put_pair::<K>(&mut body, key, value);
            count += 1;
        }
        let mut packed = PackedPairs::default();
        packed.rebuild(0..0, count, &body);
        packed
    }

    /// The pair count, and where the first pair starts.
    fn header(&self) -> (usize, usize) {
        if self.buf.is_empty() {
            return (0, 0);
        }
        let (count, body) = varint::read(&self.buf, 0);
        (
            usize::try_from(count).expect("a count fits in memory"),
            body,
        )
    }

    pub fn len(&self) -> usize {
        self.header().0
    }

    /// The bytes allocated for the pairs (the buffer has no spare capacity).
    pub fn heap_bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn iter(&self) -> Iter<'_, K> {
        let (remaining, at) = self.header();
        Iter {
            buf: &self.buf,
            at,
            remaining,
            codec: PhantomData,
        }
    }

    /// The first pair for which `found` holds.
    pub fn find(&self, found: impl Fn(&Slot<'_, K>) -> bool) -> Option<Slot<'_, K>> {
        self.iter().find(|slot| found(slot))
    }

    /// Where a pair appended after every other would start.
    pub fn end(&self) -> usize {
        self.buf.len()
    }

    /// Inserts a pair at byte offset `at`: the start of a slot's span, or [`Self::end`].
    pub fn insert_at(&mut self, at: usize, key: K::Key<'_>, value: &[u8]) {
        let mut pair = Vec::new();
        put_pair::<K>(&mut pair, key, value);
        self.rebuild(at..at, self.len() + 1, &pair);
    }

    pub fn push(&mut self, key: K::Key<'_>, value: &[u8]) {
        self.insert_at(self.end(), key, value);
    }

    /// Replaces the pair spanning `span` in place (its position in the order is kept).
    pub fn replace(&mut self, span: Range<usize>, key: K::Key<'_>, value: &[u8]) {
        let mut pair = Vec::new();
        put_pair::<K>(&mut pair, key, value);
        self.rebuild(span, self.len(), &pair);
    }

    /// Removes the pair spanning `span`.
    pub fn remove(&mut self, span: Range<usize>) {
        self.rebuild(span, self.len() - 1, &[]);
    }

    /// A new buffer of exactly the right size: the old one with `span` replaced by `insert`,
    /// holding `count` pairs. No buffer at all when `count` is 0.
    fn rebuild(&mut self, span: Range<usize>, count: usize, insert: &[u8]) {
        let (_, body) = self.header();
        assert!(
            body <= span.start && span.start <= span.end && span.end <= self.end(),
            "span out of range"
        );
        if count == 0 {
            self.buf = Box::default();
            return;
        }
        let old = std::mem::take(&mut self.buf);
        let (before, after) = (&old[body..span.start], &old[span.end..]);
        let header = varint::len(count as u64);
        let mut buf = Vec::with_capacity(header + before.len() + insert.len() + after.len());
        varint::push(&mut buf, count as u64);
        buf.extend_from_slice(before);
        buf.extend_from_slice(insert);
        buf.extend_from_slice(after);
        self.buf = buf.into_boxed_slice();
    }
}

/// The pairs in order, with their spans.
pub(crate) struct Iter<'a, K> {
    buf: &'a [u8],
    at: usize,
    remaining: usize,
    codec: PhantomData<K>,
}

impl<'a, K: KeyCodec> Iterator for Iter<'a, K> {
    type Item = Slot<'a, K>;

    fn next(&mut self) -> Option<Slot<'a, K>> {
        if self.remaining == 0 {
            return None;
        }
        let start = self.at;
        let (key, value_at) = K::get(self.buf, start);
        let (value, end) = get_bytes(self.buf, value_at);
        self.at = end;
        self.remaining -= 1;
        Some(Slot {
            key,
            value,
            span: start..end,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K: KeyCodec> ExactSizeIterator for Iter<'_, K> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn score_round_trip(score: f64) -> (f64, usize) {
        let mut out = vec![0xAA];
        put_score(&mut out, score);
        out.push(0xBB);
        let (back, end) = get_score(&out, 1);
        assert_eq!(out[end], 0xBB, "{score} ends where it was written");
        (back, end - 1)
    }

    #[test]
    fn scores_round_trip_and_small_integers_are_short() {
        let cases: &[(f64, usize)] = &[
            (0.0, 1),
            (1.0, 1),
            (-1.0, 1),
            (31.0, 1),
            (-32.0, 1),
            (32.0, 2),
            (-33.0, 2),
            (4095.0, 2),
            (-4096.0, 2),
            (4096.0, 3),
            (EXACT_INTEGER_MAX, 8),
            (-EXACT_INTEGER_MAX, 8),
            (EXACT_INTEGER_MAX * 2.0, 9),
            (-EXACT_INTEGER_MAX * 2.0, 9),
            (1e300, 9),
            (0.5, 9),
            (-2.5, 9),
            (f64::MIN_POSITIVE, 9),
            (f64::MAX, 9),
            (f64::MIN, 9),
            (f64::INFINITY, 9),
            (f64::NEG_INFINITY, 9),
            (5e-324, 9),
        ];
        for &(score, width) in cases {
            let (back, len) = score_round_trip(score);
            assert_eq!(back.to_bits(), score.to_bits(), "{score}");
            assert_eq!(len, width, "{score}");
        }
        let (back, len) = score_round_trip(-0.0);
        assert_eq!(back.to_bits(), 0.0f64.to_bits(), "−0 comes back as 0");
        assert_eq!(len, 1);
        let (back, _) = score_round_trip(EXACT_INTEGER_MAX + 2.0);
        assert_eq!(back, EXACT_INTEGER_MAX + 2.0);
    }

    #[test]
    #[should_panic(expected = "NaN")]
    fn a_nan_score_is_refused() {
        put_score(&mut Vec::new(), f64::NAN);
    }

    fn pairs(packed: &PackedPairs<BytesKey>) -> Vec<(Vec<u8>, Vec<u8>)> {
        packed
            .iter()
            .map(|slot| (slot.key.to_vec(), slot.value.to_vec()))
            .collect()
    }

    fn owned(list: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        list.iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn byte_pairs_keep_their_order_through_updates_and_removals() {
        let mut packed = PackedPairs::<BytesKey>::default();
        assert_eq!(packed.len(), 0);
        assert_eq!(packed.heap_bytes(), 0);
        for (k, v) in [("a", "1"), ("b", "2"), ("c", "3")] {
            packed.push(k.as_bytes(), v.as_bytes());
        }
        assert_eq!(packed.len(), 3);
        assert_eq!(pairs(&packed), owned(&[("a", "1"), ("b", "2"), ("c", "3")]));
        let b = packed.find(|slot| slot.key == b"b").unwrap().span;
        packed.replace(b, b"b", b"a longer value");
        assert_eq!(
            pairs(&packed),
            owned(&[("a", "1"), ("b", "a longer value"), ("c", "3")])
        );
        let a = packed.find(|slot| slot.key == b"a").unwrap().span;
        packed.remove(a);
        let c = packed.find(|slot| slot.key == b"c").unwrap().span;
        packed.insert_at(c.start, b"", b"");
        assert_eq!(
            pairs(&packed),
            owned(&[("b", "a longer value"), ("", ""), ("c", "3")])
        );
        assert_eq!(packed.heap_bytes(), 1 + 17 + 2 + 4);
        for _ in 0..3 {
            let first = packed.iter().next().unwrap().span;
            packed.remove(first);
        }
        assert_eq!(packed.len(), 0);
        assert_eq!(packed.heap_bytes(), 0, "an emptied buffer is freed");
        assert!(packed.find(|_| true).is_none());
    }

    #[test]
    fn the_count_grows_and_shrinks_across_a_varint_width() {
        let mut packed = PackedPairs::<BytesKey>::default();
        let keys: Vec<Vec<u8>> = (0..130).map(|i| format!("k{i}").into_bytes()).collect();
        for (i, key) in keys.iter().enumerate() {
            packed.push(key, b"v");
            assert_eq!(packed.len(), i + 1);
            assert_eq!(packed.iter().last().unwrap().key, key.as_slice());
        }
        let body: usize = keys.iter().map(|k| 1 + k.len() + 2).sum();
        assert_eq!(
            packed.heap_bytes(),
            2 + body,
            "130 pairs need a 2-byte count"
        );
        for key in &keys[..4] {
            let first = packed.iter().next().unwrap();
            assert_eq!(first.key, key.as_slice());
            let span = first.span;
            packed.remove(span);
        }
        assert_eq!(packed.len(), 126);
        assert_eq!(packed.iter().count(), 126);
        assert_eq!(packed.iter().next().unwrap().key, b"k4");
        let last = packed.iter().last().unwrap().span;
        packed.replace(last, b"last", b"");
        assert_eq!(packed.iter().nth(125).unwrap().key, b"last");
    }

    #[test]
    fn long_strings_and_many_pairs_round_trip() {
        let long = vec![b'x'; 200];
        let keys: Vec<Vec<u8>> = (0..600).map(|i| format!("k{i}").into_bytes()).collect();
        let packed = PackedPairs::<BytesKey>::from_pairs(
            keys.iter()
                .map(|k| (k.as_slice(), long.as_slice()))
                .chain([(&long[..64], &long[..127]), (&long[..128], &b""[..])]),
        );
        assert_eq!(packed.len(), 602);
        assert_eq!(packed.iter().len(), 602);
        let back = pairs(&packed);
        assert_eq!(back[599], (b"k599".to_vec(), long.clone()));
        assert_eq!(back[600], (long[..64].to_vec(), long[..127].to_vec()));
        assert_eq!(back[601], (long[..128].to_vec(), Vec::new()));
        let clone = packed.clone();
        assert_eq!(clone, packed);
        assert_eq!(PackedPairs::<BytesKey>::from_pairs([]).heap_bytes(), 0);
    }

    #[test]
    fn score_pairs_round_trip_in_place() {
        let mut packed = PackedPairs::<ScoreKey>::from_pairs([
            (f64::NEG_INFINITY, &b"low"[..]),
            (-0.0, b"zero"),
            (2.5, b"mid"),
            (f64::INFINITY, b"high"),
        ]);
        let entries = |packed: &PackedPairs<ScoreKey>| -> Vec<(u64, Vec<u8>)> {
            packed
                .iter()
                .map(|slot| (slot.key.to_bits(), slot.value.to_vec()))
                .collect()
        };
        assert_eq!(
            entries(&packed),
            vec![
                (f64::NEG_INFINITY.to_bits(), b"low".to_vec()),
                (0.0f64.to_bits(), b"zero".to_vec()),
                (2.5f64.to_bits(), b"mid".to_vec()),
                (f64::INFINITY.to_bits(), b"high".to_vec()),
            ]
        );
        let mid = packed.find(|slot| slot.value == b"mid").unwrap().span;
        packed.insert_at(mid.start, 1.0, b"one");
        let high = packed.find(|slot| slot.value == b"high").unwrap().span;
        packed.remove(high);
        assert_eq!(
            packed.iter().map(|slot| slot.key).collect::<Vec<_>>(),
            vec![f64::NEG_INFINITY, 0.0, 1.0, 2.5]
        );
        assert_eq!(
            packed.heap_bytes(),
            1 + (9 + 4) + (1 + 5) + (1 + 4) + (9 + 4)
        );
    }
}
