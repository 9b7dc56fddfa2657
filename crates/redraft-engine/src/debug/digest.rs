//! Redis's dataset digest (DEBUG DIGEST, DEBUG DIGEST-VALUE): SHA-1 based, independent of
//! encodings and of the order of unordered collections, so that the same data gives the same
//! 40 hex digits on redis-server and on every redraft replica.
//!
//! Two ways to take bytes in: `xor_in` XORs their SHA-1 into the digest (order does not
//! matter: set members, and the per-element digests of hashes and sorted sets); `mix_in`
//! XORs, then replaces the digest by its own SHA-1 (order matters: lists, stream entries, a
//! value after its type).

use crate::keyspace::{Entry, Keyspace, Value};
use crate::score::format_g17;

pub type Digest = [u8; 20];

/// What an expiring value adds to its digest: whether it expires, not when (replicas and
/// restores may differ in the exact deadline's origin, not in its presence).
const EXPIRE_MARK: &[u8] = b"!!expire!!";

fn sha1(bytes: &[u8]) -> Digest {
    sha1_smol::Sha1::from(bytes).digest().bytes()
}

fn xor_in(digest: &mut Digest, bytes: &[u8]) {
    for (byte, hashed) in digest.iter_mut().zip(sha1(bytes)) {
        *byte ^= hashed;
    }
}

fn mix_in(digest: &mut Digest, bytes: &[u8]) {
    xor_in(digest, bytes);
    *digest = sha1(digest);
}

/// Redis's type numbers (OBJ_STRING ... OBJ_STREAM), which open a value's digest.
fn type_code(value: &Value) -> u32 {
    match value {
        Value::String(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    }
}

/// The digest of an unordered collection's element made of two parts (a hash's field and
/// value, a sorted set's member and score), which the collection's digest XORs in.
fn pair_digest(first: &[u8], second: &[u8]) -> Digest {
    let mut element = Digest::default();
    mix_in(&mut element, first);
    mix_in(&mut element, second);
    element
}

/// Adds `entry`'s value (and whether it expires) to `digest`.
pub fn add_entry(digest: &mut Digest, entry: &Entry) {
    mix_in(digest, &type_code(&entry.value).to_be_bytes());
    match &entry.value {
        Value::String(bytes) => mix_in(digest, bytes),
        Value::List(list) => list.iter().for_each(|item| mix_in(digest, item)),
        Value::Set(set) => set.iter().for_each(|member| xor_in(digest, &member)),
        Value::ZSet(zset) => {
            for (score, member) in zset.iter_from(0) {
                xor_in(digest, &pair_digest(member, format_g17(score).as_bytes()));
            }
        }
        Value::Hash(hash) => {
            for (field, value) in hash.iter() {
                xor_in(digest, &pair_digest(field, value));
            }
        }
        Value::Stream(stream) => {
            for (id, fields) in &stream.entries {
                mix_in(digest, format!("{}.{}", id.ms, id.seq).as_bytes());
                fields.iter().for_each(|part| mix_in(digest, part));
            }
        }
    }
    if entry.deadline_ms().is_some() {
        xor_in(digest, EXPIRE_MARK);
    }
}

/// One value's digest (DEBUG DIGEST-VALUE); all zeros for no value.
pub fn of_entry(entry: Option<&Entry>) -> Digest {
    let mut digest = Digest::default();
    if let Some(entry) = entry {
        add_entry(&mut digest, entry);
    }
    digest
}

/// The whole dataset's digest (DEBUG DIGEST): for each database holding keys, its number,
/// then each key with its value XORed in. Every key stored counts, also one whose deadline
/// passed and that no sweep removed yet (as in Redis, whose digest reads its dictionaries):
/// replicas that applied the same entries store the same keys, whatever their clocks say.
/// All zeros for an empty dataset.
pub fn of_keyspace(keyspace: &Keyspace) -> Digest {
    let mut total = Digest::default();
    for (number, db) in keyspace.dbs.iter().enumerate() {
        let mut entries = db.iter_all().peekable();
        if entries.peek().is_none() {
            continue;
        }
        mix_in(&mut total, &(number as u32).to_be_bytes());
        for (key, entry) in entries {
            let mut digest = Digest::default();
            mix_in(&mut digest, key.bytes());
            add_entry(&mut digest, entry);
            xor_in(&mut total, &digest);
        }
    }
    total
}

/// 40 lower-case hex digits.
pub fn hex(digest: &Digest) -> String {
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}
