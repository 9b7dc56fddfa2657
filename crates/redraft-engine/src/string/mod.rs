//! String commands (t_string.c): the SET family over one generic set, the INCR family over
//! one generic incr/decr, ranges, and the multi-key MGET/MSET.
//!
//! A string's value is its bytes (`Vec<u8>` in the keyspace); [`value`] holds the rules on
//! them, [`commands`] the commands.

mod commands;
mod lcs;
mod value;

#[cfg(test)]
mod tests;

pub(crate) use commands::COMMANDS;
pub use value::STRING_LEN_MAX;
