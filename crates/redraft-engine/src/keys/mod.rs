//! Key-space commands (db.c, expire.c, object.c): DEL, EXISTS, TYPE, the EXPIRE family over one
//! generic expire, the TTL family over one generic ttl, KEYS, SCAN, RENAME, COPY, MOVE, SWAPDB,
//! RANDOMKEY, DBSIZE, FLUSHDB/FLUSHALL, and the containers OBJECT and MEMORY.

mod commands;
pub(crate) mod memory;
#[cfg(test)]
mod memory_tests;
pub(crate) mod object;
#[cfg(test)]
mod tests;

pub(crate) use commands::COMMANDS;
