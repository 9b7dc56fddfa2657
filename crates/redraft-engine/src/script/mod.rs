//! Lua scripting (Redis's EVAL family): Lua 5.1 through mlua, in a sandbox built afresh for
//! each log entry's scripts (or for each run of a read or a function).
//!
//! - [`cache`]: the replicated script cache (SHA-1 → body), in the keyspace and in snapshots;
//! - [`commands`]: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT's subcommands;
//! - [`shebang`]: `#!lua flags=...`;
//! - [`run`]: a script's run: the sandbox (`prelude.lua`), the instruction budget, the
//!   memory limit, the kill switch and Redis's error lines;
//! - [`dispatch`]: what `redis.call` runs, and its refusals;
//! - [`register`]: `redis.register_function`, for the function libraries (crate::function);
//! - [`raise`]: the errors the engine's `redis` functions raise;
//! - `current`: the engine's functions a sandbox makes once, and what they read of the run;
//! - [`convert`]: replies to Lua values and back, RESP2 and RESP3;
//! - [`rand48`]: math.random as Redis draws it;
//! - `libs`: the libraries bit, cjson, cmsgpack and struct.

pub(crate) mod cache;
mod commands;
mod convert;
mod current;
mod dispatch;
mod libs;
mod raise;
mod rand48;
mod register;
pub(crate) mod run;
pub(crate) mod sandbox;
mod shebang;

#[cfg(test)]
mod tests;

pub(crate) use commands::{
    eval_on_read_path, is_read_only, split_keys, COMMANDS, WRITE_FLAG_FROM_RO,
};
pub(crate) use dispatch::Target;
pub(crate) use register::{valid_name, Registration, BAD_NAME, NOT_FOUND};
pub(crate) use shebang::{FLAG_NAMES, NO_WRITES};

/// The commands that run a script. The server gives their read-path runs a kill switch
/// (SCRIPT KILL), and asks [`crate::Engine::script_is_read_only`] of the writing ones.
pub const SCRIPT_COMMANDS: &[&str] = &[
    "eval",
    "evalsha",
    "eval_ro",
    "evalsha_ro",
    "fcall",
    "fcall_ro",
];
