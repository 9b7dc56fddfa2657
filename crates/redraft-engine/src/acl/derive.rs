//! A command's ACL categories, from what the table already says of it: its kind (write, read),
//! its flags (FAST, BLOCKING, ADMIN, PUBSUB, CONNECTION) and the module that declares it
//! (table.rs gives each module's fragment its type category, such as @hash), with the few
//! exceptions Redis makes.

use super::category::*;
use crate::spec::{CommandSpec, Kind, ADMIN, BLOCKING, CONNECTION, FAST, PUBSUB};

/// The categories of the data types: only their commands are @read or @write (Redis does not
/// count PUBLISH, EVAL, CONFIG SET or ACL SETUSER as writes of the keyspace).
const DATA: u32 =
    KEYSPACE | SET | SORTEDSET | LIST | HASH | STRING | BITMAP | HYPERLOGLOG | GEO | STREAM;

/// The commands whose categories the rules above miss: (name, added, removed). CLIENT's
/// administrative subcommands are @connection as well as @admin. Redis calls
/// these dangerous although no ADMIN flag marks them (ROLE and LASTSAVE @admin too), and the
/// session's INFO, TIME, ROLE, LASTSAVE and UNWATCH are not @connection there, nor are
/// LATENCY HELP and SLOWLOG HELP; LOLWUT is @read though it reads no key, and PFSELFTEST,
/// OBJECT HELP, XGROUP HELP and XINFO HELP are not though they are reads here; FUNCTION's
/// LOAD, DELETE, FLUSH and RESTORE are @write though they write no key. DEBUG is a command of
/// its own in Redis (@admin @dangerous), a container here.
const EXCEPTIONS: [(&str, u32, u32); 37] = [
    ("client|kill", CONNECTION_CATEGORY, 0),
    ("client|list", CONNECTION_CATEGORY, 0),
    ("client|no-evict", CONNECTION_CATEGORY, 0),
    ("client|pause", CONNECTION_CATEGORY, 0),
    ("client|unblock", ADMIN_CATEGORY | DANGEROUS, 0),
    ("client|unpause", CONNECTION_CATEGORY, 0),
    ("config|help", 0, CONNECTION_CATEGORY),
    ("debug", ADMIN_CATEGORY | DANGEROUS, 0),
    ("flushall", DANGEROUS, 0),
    ("function|delete", WRITE, 0),
    ("function|flush", WRITE, 0),
    ("function|load", WRITE, 0),
    ("function|restore", WRITE, 0),
    ("flushdb", DANGEROUS, 0),
    ("info", DANGEROUS, CONNECTION_CATEGORY),
    ("keys", DANGEROUS, 0),
    ("lastsave", ADMIN_CATEGORY | DANGEROUS, CONNECTION_CATEGORY),
    ("latency|help", 0, CONNECTION_CATEGORY),
    ("lolwut", READ, 0),
    // MEMORY is declared among the key commands but is @keyspace nowhere in Redis.
    ("memory|doctor", 0, KEYSPACE),
    ("memory|help", 0, KEYSPACE | READ),
    ("memory|malloc-stats", 0, KEYSPACE),
    ("memory|purge", 0, KEYSPACE),
    ("memory|stats", 0, KEYSPACE),
    ("memory|usage", 0, KEYSPACE),
    ("object|help", 0, READ),
    ("pfselftest", 0, READ),
    ("restore", DANGEROUS, 0),
    ("role", ADMIN_CATEGORY | DANGEROUS, CONNECTION_CATEGORY),
    ("slowlog|help", 0, CONNECTION_CATEGORY),
    ("sort", DANGEROUS, 0),
    ("sort_ro", DANGEROUS, 0),
    ("swapdb", DANGEROUS, 0),
    ("time", 0, CONNECTION_CATEGORY),
    ("unwatch", TRANSACTION, CONNECTION_CATEGORY),
    ("xgroup|help", 0, READ),
    ("xinfo|help", 0, READ),
];

/// The categories of `spec`, declared in a module whose commands are of `type_category`
/// (0 for a module of no type). A container is @slow only, as in Redis (its table entry has no
/// flag); its subcommands have their own.
pub fn of(spec: &CommandSpec, type_category: u32) -> u32 {
    let derived = derived(spec, type_category);
    match EXCEPTIONS.iter().find(|(name, _, _)| *name == spec.name) {
        Some((_, added, removed)) => (derived | added) & !removed,
        None => derived,
    }
}

fn derived(spec: &CommandSpec, type_category: u32) -> u32 {
    let data = type_category & DATA != 0;
    let kind = match spec.kind {
        Kind::Write(_) if data => WRITE,
        Kind::Read(_) if data => READ,
        Kind::Write(_) | Kind::Read(_) => 0,
        Kind::Transaction => TRANSACTION,
        Kind::Container(_) => return SLOW,
        Kind::Session | Kind::Cluster => 0,
    };
    let speed = if spec.flags & FAST != 0 {
        FAST_CATEGORY
    } else {
        SLOW
    };
    let flagged = [
        (BLOCKING, BLOCKING_CATEGORY),
        (ADMIN, ADMIN_CATEGORY | DANGEROUS),
        (PUBSUB, PUBSUB_CATEGORY),
    ]
    .iter()
    .filter(|(flag, _)| spec.flags & flag != 0)
    .fold(0, |all, (_, category)| all | category);
    // The session's own commands (PING, SELECT, CLIENT ...) are @connection; administration
    // and transaction control that the session also answers are not.
    let session = spec.flags & CONNECTION != 0
        && spec.flags & ADMIN == 0
        && !matches!(spec.kind, Kind::Transaction)
        && type_category == 0;
    let connection = if session { CONNECTION_CATEGORY } else { 0 };
    kind | speed | flagged | connection | type_category
}
