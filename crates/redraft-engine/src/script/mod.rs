//! Lua scripting (Redis's EVAL family): Lua 5.1 through mlua, one fresh state per call.
//!
//! - [`cache`]: the replicated script cache (SHA-1 → body), in the keyspace and in snapshots;
//! - [`commands`]: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT's subcommands;
//! - [`shebang`]: `#!lua flags=...`;
//! - [`run`]: a script's run: the sandbox (`prelude.lua`), the instruction budget, the
//!   memory limit, the kill switch and Redis's error lines;
//! - [`dispatch`]: what `redis.call` runs, and its refusals;
//! - [`convert`]: replies to Lua values and back, RESP2 and RESP3;
//! - [`rand48`]: math.random as Redis draws it;
//! - `libs`: bit, cjson, cmsgpack and struct (another branch).

pub(crate) mod cache;
mod commands;
mod convert;
mod dispatch;
mod libs;
mod raise;
mod rand48;
mod register;
pub(crate) mod run;
mod shebang;

#[cfg(test)]
mod tests;

pub(crate) use commands::{eval_on_read_path, is_read_only, COMMANDS};
