//! Lists (t_list.c): the push family over one generic push, the pop family over pop cores
//! that a later blocking layer (BLPOP, BLMOVE, BLMPOP) can call as they are, ranges,
//! LINSERT/LREM/LSET/LTRIM/LPOS, and the moves LMOVE/RPOPLPUSH ([`commands`]).
//!
//! The value is a quicklist, as in Redis ([`value`]): a sequence of nodes, each one packed
//! buffer of a bounded number of items and bytes. A list emptied by a command is deleted, as
//! in Redis.

pub(crate) mod blocking;
mod commands;
pub(crate) mod value;

#[cfg(test)]
mod tests;

pub(crate) use commands::COMMANDS;
pub use value::{End, ListValue};
