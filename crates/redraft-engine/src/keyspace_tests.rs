//! Tests of the keyspace (keyspace.rs).
use super::*;

fn string(bytes: &[u8], deadline: Option<u64>) -> Entry {
    Entry::new(Value::String(bytes.to_vec()), deadline)
}

#[test]
fn a_key_costs_little_inline() {
    // Every key pays for the largest inline variant, in the B-tree's slots: a string's
    // vector (its capacity's niche holds the tag), the other types at most 16 bytes.
    assert_eq!(std::mem::size_of::<Value>(), 24);
    assert_eq!(std::mem::size_of::<HashedKey>(), 24);
    // The keys' tree holds a hash and a pointer per key; the slot it points to holds a short
    // key's bytes and its entry (its access clock included) in one allocation of jemalloc's
    // 64-byte class (the entry's niche holds the tag of a slot of colliding keys).
    use crate::keymap::{KeyBytes, Slot, INLINE_KEY};
    assert_eq!(std::mem::size_of::<KeyBytes>(), INLINE_KEY + 2);
    assert_eq!(
        std::mem::size_of::<Slot<Entry>>(),
        std::mem::size_of::<KeyBytes>() + std::mem::size_of::<Entry>()
    );
    assert_eq!(
        crate::keys::memory::allocated(std::mem::size_of::<Slot<Entry>>()),
        64
    );
}

#[test]
fn a_deadline_costs_one_word_and_zero_is_kept_as_already_past() {
    // The value, the deadline's word and the access clock's word.
    assert_eq!(
        std::mem::size_of::<Entry>(),
        std::mem::size_of::<Value>() + 16
    );
    let mut db = Db::default();
    db.insert(b"k", string(b"v", Some(0)), 0);
    assert_eq!(db.get_key_deadline(b"k"), Some(1));
    assert!(db.get(b"k", 1).is_none());
    assert!(db.get(b"k", 0).is_some());
    assert_eq!(db.sweep_expired(1, 10), 1);
}

impl Db {
    fn get_key_deadline(&self, key: &[u8]) -> Option<u64> {
        self.get(key, 0).and_then(Entry::deadline_ms)
    }
}

#[test]
fn expired_key_is_absent_on_reads_and_deleted_on_write_paths() {
    let mut db = Db::default();
    db.insert(b"k", string(b"v", Some(100)), 0);
    assert!(db.get(b"k", 99).is_some());
    assert!(db.get(b"k", 100).is_none());
    assert_eq!(db.len(100), 0);
    assert!(db.get_mut(b"k", 100).is_none());
    assert_eq!(db.stored_len(), 0);
    assert!(db.deadlines.is_empty());
}

/// A value stored over a key past its deadline makes a new key: the old deadline leaves the
/// index, and the new value starts without the old one's access history. Over a live key, it
/// takes the history over.
#[test]
fn inserting_over_an_expired_key_makes_a_new_key() {
    use crate::access::{Access, AccessClocks, Lfu};
    let lfu = Lfu {
        log_factor: 10,
        decay_minutes: 1,
    };
    let clocks = AccessClocks::default();
    let mut db = Db::default();
    db.insert(b"k", string(b"v", Some(100)), 0);
    db.get(b"k", 0)
        .unwrap()
        .clock
        .touch(&clocks, 0, Access::Created, lfu, 0);
    db.insert(b"live", string(b"v", None), 0);
    db.get(b"live", 0)
        .unwrap()
        .clock
        .touch(&clocks, 0, Access::Created, lfu, 0);

    db.insert(b"k", string(b"w", None), 100);
    db.insert(b"live", string(b"w", None), 100);
    assert!(db.deadlines.is_empty());
    assert_eq!(db.stored_len(), 2);
    let new = db.get(b"k", 100).unwrap();
    assert_eq!(new.value, Value::String(b"w".to_vec()));
    assert!(!new.clock.is_recorded());
    assert!(db.get(b"live", 100).unwrap().clock.is_recorded());
}

/// A db where `a` was inserted with the deadline `first`, then again with `second`: the
/// index holds one entry.
fn reinserted(first: u64, second: u64) -> Db {
    let mut db = Db::default();
    db.insert(b"a", string(b"1", Some(first)), 0);
    db.insert(b"a", string(b"2", Some(second)), 0);
    assert_eq!(db.deadlines.len(), 1);
    db
}

#[test]
fn deadline_index_follows_every_change() {
    let mut db = reinserted(50, 70);
    assert!(db.set_deadline(b"a", None, 0));
    assert!(db.deadlines.is_empty());
    assert!(db.set_deadline(b"a", Some(10), 0));
    assert!(db.has_expired(10));
    assert_eq!(db.sweep_expired(10, 100), 1);
    assert_eq!(db.stored_len(), 0);
    assert!(!db.set_deadline(b"a", Some(10), 0));
}

#[test]
fn reinserting_with_the_same_deadline_keeps_the_key_indexed() {
    let mut db = reinserted(50, 50);
    assert_eq!(db.sweep_expired(50, 10), 1);
    assert_eq!(db.stored_len(), 0);
}

#[test]
fn sweep_deletes_earliest_deadlines_first_and_stops_at_max() {
    let mut db = Db::default();
    for i in 0..10u64 {
        db.insert(format!("k{i}").as_bytes(), string(b"v", Some(i)), 0);
    }
    assert_eq!(db.sweep_expired(5, 3), 3);
    assert!(db.get(b"k3", 0).is_some());
    assert!(db.get_mut(b"k0", 0).is_none());
    assert_eq!(db.sweep_expired(5, 100), 3);
    assert_eq!(db.stored_len(), 4);
}

#[test]
fn iteration_order_is_by_hash_and_independent_of_insertion_order() {
    let mut a = Db::default();
    let mut b = Db::default();
    let keys: Vec<Vec<u8>> = (0..50).map(|i| format!("key:{i}").into_bytes()).collect();
    for key in &keys {
        a.insert(key, string(b"v", None), 0);
    }
    for key in keys.iter().rev() {
        b.insert(key, string(b"v", None), 0);
    }
    let order_a: Vec<_> = a.iter_from(0, 0).map(|(k, _)| k.bytes().to_vec()).collect();
    let order_b: Vec<_> = b.iter_from(0, 0).map(|(k, _)| k.bytes().to_vec()).collect();
    assert_eq!(order_a, order_b);
    let hashes: Vec<u64> = a.iter_from(0, 0).map(|(k, _)| k.hash()).collect();
    assert!(hashes.windows(2).all(|w| w[0] <= w[1]));
}
