//! Hashes (t_hash.c): the value type ([`value`]), a listpack (pairs in insertion order, packed
//! in one allocation) while small, a hash table past the replicated thresholds; and the
//! commands ([`commands`]), where HSET and HMSET share one generic set, HKEYS/HVALS/HGETALL one
//! generic listing, and HINCRBY/HINCRBYFLOAT one read-modify-write.

mod commands;
pub(crate) mod value;

#[cfg(test)]
mod tests;

pub(crate) use commands::COMMANDS;
pub use value::HashValue;
