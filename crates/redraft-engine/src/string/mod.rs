//! String commands (t_string.c): the SET family over one generic set, the INCR family over
//! one generic incr/decr, ranges, and the multi-key MGET/MSET.
//!
//! A string's value is its bytes (`Vec<u8>` in the keyspace); [`value`] holds the rules on
//! them, [`commands`] the commands.

mod commands;
mod value;

#[cfg(test)]
mod tests;

use crate::keyspace::Db;
use crate::reply::Reply;

pub(crate) use commands::COMMANDS;
pub use value::STRING_LEN_MAX;

/// The live string at `key`: Ok(None) when absent, WRONGTYPE for another type. For the
/// modules that read strings (bitmap, hyperloglog); the string commands use `Db::get_as`.
pub fn lookup_string<'a>(db: &'a Db, key: &[u8], now_ms: u64) -> Result<Option<&'a [u8]>, Reply> {
    Ok(db.get_as::<Vec<u8>>(key, now_ms)?.map(Vec::as_slice))
}
