//! The one hash the engine orders by: keys in the keyspace, fields and members in large
//! collections. Fixed, so that every replica orders alike.

/// FNV-1a, 64 bits: fixed across processes, builds and platforms (unlike std's hasher).
pub fn key_hash(key: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
