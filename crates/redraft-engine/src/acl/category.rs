//! Redis's ACL command categories (@read, @string, @dangerous ...): their bits and names.
//! Which commands belong to each is derived in derive.rs.

pub const KEYSPACE: u32 = 1 << 0;
pub const READ: u32 = 1 << 1;
pub const WRITE: u32 = 1 << 2;
pub const SET: u32 = 1 << 3;
pub const SORTEDSET: u32 = 1 << 4;
pub const LIST: u32 = 1 << 5;
pub const HASH: u32 = 1 << 6;
pub const STRING: u32 = 1 << 7;
pub const BITMAP: u32 = 1 << 8;
pub const HYPERLOGLOG: u32 = 1 << 9;
pub const GEO: u32 = 1 << 10;
pub const STREAM: u32 = 1 << 11;
pub const PUBSUB_CATEGORY: u32 = 1 << 12;
pub const ADMIN_CATEGORY: u32 = 1 << 13;
pub const FAST_CATEGORY: u32 = 1 << 14;
pub const SLOW: u32 = 1 << 15;
pub const BLOCKING_CATEGORY: u32 = 1 << 16;
pub const DANGEROUS: u32 = 1 << 17;
pub const CONNECTION_CATEGORY: u32 = 1 << 18;
pub const TRANSACTION: u32 = 1 << 19;
pub const SCRIPTING: u32 = 1 << 20;

/// Every category with its name, in Redis's order (ACL CAT's, and the order in which ACL LIST
/// tries categories when it describes a user's commands).
pub const CATEGORIES: [(&str, u32); 21] = [
    ("keyspace", KEYSPACE),
    ("read", READ),
    ("write", WRITE),
    ("set", SET),
    ("sortedset", SORTEDSET),
    ("list", LIST),
    ("hash", HASH),
    ("string", STRING),
    ("bitmap", BITMAP),
    ("hyperloglog", HYPERLOGLOG),
    ("geo", GEO),
    ("stream", STREAM),
    ("pubsub", PUBSUB_CATEGORY),
    ("admin", ADMIN_CATEGORY),
    ("fast", FAST_CATEGORY),
    ("slow", SLOW),
    ("blocking", BLOCKING_CATEGORY),
    ("dangerous", DANGEROUS),
    ("connection", CONNECTION_CATEGORY),
    ("transaction", TRANSACTION),
    ("scripting", SCRIPTING),
];

/// The category named `name` (case-insensitively), without its `@`.
pub fn by_name(name: &[u8]) -> Option<u32> {
    CATEGORIES
        .iter()
        .find(|(known, _)| known.as_bytes().eq_ignore_ascii_case(name))
        .map(|(_, bit)| *bit)
}
