//! Key-space commands (db.c, expire.c, object.c): DEL, EXISTS, TYPE, the EXPIRE family over one
//! generic expire, the TTL family over one generic ttl, KEYS, SCAN, RENAME, COPY, MOVE, SWAPDB,
//! RANDOMKEY, DBSIZE, FLUSHDB/FLUSHALL, and OBJECT (a container of subcommands).

mod commands;
mod object;
#[cfg(test)]
mod tests;

pub(crate) use commands::COMMANDS;
pub use commands::{
    copy, dbsize, del, exists, expire, expireat, expiretime, flushall, flushdb, keys, move_,
    persist, pexpire, pexpireat, pexpiretime, pttl, randomkey, rename, renamenx, scan, swapdb, ttl,
    type_,
};
pub use object::{
    encoding_name, object_encoding, object_freq, object_help, object_idletime, object_refcount,
    string_encoding,
};
