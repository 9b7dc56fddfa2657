//! A database's keys and entries, ordered by (hash, bytes) as [`HashedKey`] orders them, but
//! searched by the hash alone.
//!
//! A B-tree keyed by the whole [`HashedKey`] compared keys through a trait object on every step
//! of a search (so that a lookup need not allocate one): two indirect calls per comparison and
//! five cache lines of keys per node, which made the searches of a SET (its own, the access
//! clock's, expiry's) the largest part of applying it. Here the tree's keys are the 64-bit
//! hashes: a comparison is one integer compare and a node's keys fit two cache lines. Keys whose
//! hashes collide share a slot, in byte order, so iteration yields the same order as before and
//! snapshots encode alike. The tree holds a pointer per hash; the slot it points to holds the
//! key's bytes (a short key's in place) and its entry, in one allocation: the tree's nodes stay
//! small enough that the levels above the leaves stay in the processor's cache, and a search
//! reads the key and its entry from one cache line.

use std::collections::{btree_map, BTreeMap};

use crate::keyhash::key_hash;

/// A key together with its hash, ordered by (hash, bytes).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HashedKey {
    pub(crate) hash: u64,
    pub(crate) key: Box<[u8]>,
}

impl HashedKey {
    pub fn new(key: &[u8]) -> HashedKey {
        HashedKey {
            hash: key_hash(key),
            key: key.into(),
        }
    }

    pub fn hash(&self) -> u64 {
        self.hash
    }

    pub fn bytes(&self) -> &[u8] {
        &self.key
    }

    /// A key with a hash of the test's choosing (to make collisions).
    #[cfg(test)]
    pub(crate) fn with_hash(hash: u64, key: &[u8]) -> HashedKey {
        HashedKey {
            hash,
            key: key.into(),
        }
    }
}

/// A key as the map holds it: its hash (the tree's key) and its bytes (in its slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyView<'a> {
    hash: u64,
    bytes: &'a [u8],
}

impl<'a> KeyView<'a> {
    pub fn hash(&self) -> u64 {
        self.hash
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    #[cfg(test)]
    pub(crate) fn to_hashed(self) -> HashedKey {
        HashedKey {
            hash: self.hash,
            key: self.bytes.into(),
        }
    }
}

/// Most bytes of a key held in its slot rather than in an allocation of its own.
pub(crate) const INLINE_KEY: usize = 22;

/// A key's bytes as its slot holds them: a short key in place (its slot is then the only
/// allocation the key costs, and comparing it reads no other cache line), a longer one boxed.
/// Canonical: a key of up to [`INLINE_KEY`] bytes is always inline, its unused bytes zero, so
/// equal keys compare equal.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum KeyBytes {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Boxed(Box<[u8]>),
}

impl KeyBytes {
    fn new(key: &[u8]) -> KeyBytes {
        match u8::try_from(key.len()) {
            Ok(len) if key.len() <= INLINE_KEY => {
                let mut bytes = [0; INLINE_KEY];
                bytes[..key.len()].copy_from_slice(key);
                KeyBytes::Inline { len, bytes }
            }
            _ => KeyBytes::Boxed(key.into()),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            KeyBytes::Inline { len, bytes } => &bytes[..usize::from(*len)],
            KeyBytes::Boxed(bytes) => bytes,
        }
    }

    fn into_boxed(self) -> Box<[u8]> {
        match self {
            KeyBytes::Inline { .. } => self.as_slice().into(),
            KeyBytes::Boxed(bytes) => bytes,
        }
    }
}

/// What one hash holds: nearly always one key. The hash is the tree's key, not repeated here.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Slot<V> {
    One(KeyBytes, V),
    /// Two or more keys with this hash, in byte order. A tree, not a sorted vector: the key
    /// hash is not built to resist a client that makes many keys share one hash (FNV-1a
    /// collisions can be computed), and a vector's inserts and removals would then cost every
    /// replica's apply time quadratic in those keys.
    Many(BTreeMap<Box<[u8]>, V>),
}

impl<V> Slot<V> {
    fn find(&self, key: &[u8]) -> Option<&V> {
        match self {
            Slot::One(bytes, entry) => (bytes.as_slice() == key).then_some(entry),
            Slot::Many(pairs) => pairs.get(key),
        }
    }

    fn find_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        match self {
            Slot::One(bytes, entry) => (bytes.as_slice() == key).then_some(entry),
            Slot::Many(pairs) => pairs.get_mut(key),
        }
    }

    fn pairs(&self, hash: u64) -> impl Iterator<Item = (KeyView<'_>, &V)> {
        let (one, many) = match self {
            Slot::One(bytes, entry) => (Some((bytes.as_slice(), entry)), None),
            Slot::Many(pairs) => (None, Some(pairs.iter().map(|(k, e)| (&**k, e)))),
        };
        one.into_iter()
            .chain(many.into_iter().flatten())
            .map(move |(bytes, entry)| (KeyView { hash, bytes }, entry))
    }
}

/// The tree holds a pointer per hash and the slot lives in an allocation of its own: a node
/// of the tree is then about three cache lines (eleven hashes and eleven pointers), the tree
/// above the leaves stays in the processor's cache, and a search misses it about once (the
/// leaf) before it reads the slot, where the key's bytes and entry sit side by side.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KeyMap<V> {
    slots: BTreeMap<u64, Box<Slot<V>>>,
    /// Keys, not slots (a slot may hold several).
    len: usize,
}

impl<V> Default for KeyMap<V> {
    fn default() -> Self {
        KeyMap {
            slots: BTreeMap::new(),
            len: 0,
        }
    }
}

impl<V> KeyMap<V> {
    pub(crate) fn get(&self, hash: u64, key: &[u8]) -> Option<&V> {
        self.slots.get(&hash)?.find(key)
    }

    pub(crate) fn get_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut V> {
        self.slots.get_mut(&hash)?.find_mut(key)
    }

    /// Stores `entry` at `key` (whose hash is `hash`) in one search; returns the entry it
    /// replaced. The key's bytes are copied only for a key the map did not hold.
    pub(crate) fn insert(&mut self, hash: u64, key: &[u8], entry: V) -> Option<V> {
        let slot = match self.slots.entry(hash) {
            btree_map::Entry::Vacant(vacant) => {
                vacant.insert(Box::new(Slot::One(KeyBytes::new(key), entry)));
                self.len += 1;
                return None;
            }
            btree_map::Entry::Occupied(occupied) => &mut **occupied.into_mut(),
        };
        if let Some(found) = slot.find_mut(key) {
            return Some(std::mem::replace(found, entry));
        }
        let mut pairs = match std::mem::replace(slot, Slot::Many(BTreeMap::new())) {
            Slot::One(k, e) => BTreeMap::from([(k.into_boxed(), e)]),
            Slot::Many(pairs) => pairs,
        };
        pairs.insert(key.into(), entry);
        *slot = Slot::Many(pairs);
        self.len += 1;
        None
    }

    /// Takes the entry at `key` out, with its key.
    pub(crate) fn remove(&mut self, hash: u64, key: &[u8]) -> Option<(HashedKey, V)> {
        let slot = &mut **self.slots.get_mut(&hash)?;
        let (bytes, entry) = match slot {
            Slot::One(bytes, _) if bytes.as_slice() == key => match self.slots.remove(&hash) {
                Some(slot) => match *slot {
                    Slot::One(bytes, entry) => (bytes.into_boxed(), entry),
                    Slot::Many(_) => unreachable!("the slot just found holds one key"),
                },
                None => unreachable!("the slot was just found"),
            },
            Slot::One(..) => return None,
            Slot::Many(pairs) => {
                let removed = pairs.remove_entry(key)?;
                if pairs.len() == 1 {
                    let (k, e) = pairs.pop_first().expect("one pair is left");
                    *slot = Slot::One(KeyBytes::new(&k), e);
                }
                removed
            }
        };
        self.len -= 1;
        Some((HashedKey { hash, key: bytes }, entry))
    }

    /// Every entry in (hash, bytes) order, from the first whose hash is >= `from_hash`.
    pub(crate) fn iter_from(&self, from_hash: u64) -> impl Iterator<Item = (KeyView<'_>, &V)> {
        self.slots
            .range(from_hash..)
            .flat_map(|(&hash, slot)| slot.pairs(hash))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (KeyView<'_>, &V)> {
        self.iter_from(0)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(tag: u8) -> u8 {
        tag
    }

    fn keyed(hash: u64, key: &[u8]) -> HashedKey {
        HashedKey::with_hash(hash, key)
    }

    /// Keys that share a hash live in one slot in byte order, and each is found, replaced
    /// and removed on its own; the map then goes back to one key per slot.
    #[test]
    fn colliding_keys_share_a_slot_in_byte_order() {
        let mut map = KeyMap::<u8>::default();
        for (tag, key) in [(1, &b"m"[..]), (2, b"z"), (3, b"a")] {
            assert!(map.insert(7, key, entry(tag)).is_none());
        }
        map.insert(3, b"q", entry(4));
        map.insert(9, b"b", entry(5));
        let order: Vec<(u64, &[u8])> = map.iter().map(|(k, _)| (k.hash(), k.bytes())).collect();
        let expected: Vec<(u64, &[u8])> =
            vec![(3, b"q"), (7, b"a"), (7, b"m"), (7, b"z"), (9, b"b")];
        assert_eq!(order, expected);
        assert_eq!(map.len(), 5);
        assert_eq!(map.get(7, b"z"), Some(&entry(2)));
        assert_eq!(map.get(7, b"b"), None);
        assert_eq!(map.insert(7, b"m", entry(6)), Some(entry(1)));
        assert_eq!(map.len(), 5);
        assert_eq!(map.remove(7, b"a").map(|(_, e)| e), Some(entry(3)));
        assert_eq!(map.remove(7, b"a"), None);
        assert_eq!(map.remove(7, b"z").map(|(_, e)| e), Some(entry(2)));
        assert!(
            matches!(map.slots.get(&7).map(|s| &**s), Some(Slot::One(k, _)) if k.as_slice() == b"m")
        );
        assert_eq!(map.remove(7, b"m").map(|(_, e)| e), Some(entry(6)));
        assert!(!map.slots.contains_key(&7));
        assert_eq!(map.len(), 2);
        let from: Vec<u64> = map.iter_from(4).map(|(k, _)| k.hash()).collect();
        assert_eq!(from, vec![9]);
    }

    /// Keys up to [`INLINE_KEY`] bytes sit in their slot and longer ones in a box, the empty
    /// key included; each is found, iterated and given back whole, and a slot of colliding
    /// keys that collapses to one key holds it as a new insert would (equal maps compare equal).
    #[test]
    fn short_keys_sit_in_their_slot_and_long_ones_in_a_box() {
        let lengths = [0, 1, INLINE_KEY - 1, INLINE_KEY, INLINE_KEY + 1, 300];
        let keys: Vec<Vec<u8>> = lengths.iter().map(|&n| vec![b'k'; n]).collect();
        let mut map = KeyMap::<u8>::default();
        for (i, key) in keys.iter().enumerate() {
            map.insert(i as u64, key, i as u8);
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(map.get(i as u64, key), Some(&(i as u8)));
            let inline = matches!(
                &**map.slots.get(&(i as u64)).unwrap(),
                Slot::One(KeyBytes::Inline { .. }, _)
            );
            assert_eq!(
                inline,
                key.len() <= INLINE_KEY,
                "a key of {} bytes",
                key.len()
            );
        }
        let iterated: Vec<&[u8]> = map.iter().map(|(k, _)| k.bytes()).collect();
        assert_eq!(iterated, keys.iter().map(Vec::as_slice).collect::<Vec<_>>());
        let (removed, _) = map.remove(5, &keys[5]).unwrap();
        assert_eq!(removed.bytes(), &keys[5][..]);
        let (removed, _) = map.remove(1, &keys[1]).unwrap();
        assert_eq!(removed.bytes(), &keys[1][..]);

        let mut collided = KeyMap::<u8>::default();
        collided.insert(9, &keys[4], 1);
        collided.insert(9, &keys[2], 2);
        collided.remove(9, &keys[4]);
        let mut fresh = KeyMap::<u8>::default();
        fresh.insert(9, &keys[2], 2);
        assert_eq!(collided, fresh);
    }

    /// The order of a map built in any order is (hash, bytes), as a B-tree of whole keys
    /// would hold it.
    #[test]
    fn iteration_is_the_order_of_whole_keys_whatever_the_insertion_order() {
        let keys: Vec<HashedKey> = (0u64..200)
            .map(|i| keyed(i % 13, format!("k{}", (i * 7919) % 200).as_bytes()))
            .collect();
        let mut forward = KeyMap::<u8>::default();
        let mut backward = KeyMap::<u8>::default();
        let mut model = BTreeMap::new();
        for (i, k) in keys.iter().enumerate() {
            forward.insert(k.hash(), k.bytes(), i as u8);
            model.insert(k.clone(), ());
        }
        for k in keys.iter().rev() {
            backward.insert(k.hash(), k.bytes(), entry(0));
        }
        let order = |map: &KeyMap<u8>| map.iter().map(|(k, _)| k.to_hashed()).collect::<Vec<_>>();
        let whole: Vec<HashedKey> = model.into_keys().collect();
        assert_eq!(order(&forward), whole);
        assert_eq!(order(&backward), whole);
    }

    /// Random inserts, replacements and removals over a small hash space (many collisions)
    /// leave the map answering as a B-tree of whole keys does, at every step.
    #[test]
    fn random_operations_agree_with_a_tree_of_whole_keys() {
        let mut map = KeyMap::<u64>::default();
        let mut model: BTreeMap<HashedKey, u64> = BTreeMap::new();
        let mut state = 0x5eed_u64;
        for step in 0..20_000u64 {
            state = crate::rng::splitmix64(state);
            let (hash, name, op) = (state % 17, (state >> 8) % 40, (state >> 16) % 4);
            // Every third name is longer than a slot holds in place.
            let pad = if name % 3 == 0 { INLINE_KEY } else { 0 };
            let key = keyed(hash, format!("k{name}{}", "x".repeat(pad)).as_bytes());
            match op {
                0 | 1 => assert_eq!(map.insert(hash, key.bytes(), step), model.insert(key, step)),
                2 => assert_eq!(
                    map.remove(hash, key.bytes())
                        .map(|(k, v)| (k.bytes().to_vec(), v)),
                    model.remove(&key).map(|v| (key.bytes().to_vec(), v))
                ),
                _ => assert_eq!(map.get(hash, key.bytes()), model.get(&key)),
            }
            assert_eq!(map.len(), model.len());
            if step % 1000 == 0 {
                let from = state % 17;
                let ours: Vec<(HashedKey, u64)> = map
                    .iter_from(from)
                    .map(|(k, v)| (k.to_hashed(), *v))
                    .collect();
                let theirs: Vec<(HashedKey, u64)> = model
                    .iter()
                    .filter(|(k, _)| k.hash() >= from)
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                assert_eq!(ours, theirs);
            }
        }
    }
}
