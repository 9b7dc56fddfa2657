//! Redis 7 functions: libraries of Lua functions loaded once (FUNCTION LOAD) and called by name
//! (FCALL, FCALL_RO). A module of its own beside `script/`, whose runtime it reuses: the
//! libraries are their own replicated state, with their own commands and payload format.
//!
//! - [`library`]: the libraries, replicated state in the keyspace and in snapshots;
//! - [`metadata`]: a library's first line, `#!lua name=<library>`;
//! - [`payload`]: FUNCTION DUMP and RESTORE's payload, as redis-server 7.0's;
//! - [`commands`]: FCALL, FCALL_RO and FUNCTION's subcommands.
//!
//! A library's body runs in a fresh Lua state, with only `redis.register_function` and
//! `redis.log` in reach (script::run's `Entry::Load`), at FUNCTION LOAD to learn its functions,
//! and again at every FCALL before the function is called (`Entry::Function`): as EVAL's,
//! every call starts from nothing and is a function of the code, its arguments and the keyspace.

mod commands;
pub(crate) mod library;
mod metadata;
mod payload;

#[cfg(test)]
mod tests;

pub(crate) use commands::{fcall_on_read_path, is_read_only, COMMANDS};
