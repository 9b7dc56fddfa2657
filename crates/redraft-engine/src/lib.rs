//! The deterministic Redis state machine of redraft.
//!
//! Everything here is pure: no clock, no randomness, no I/O. Time and random seeds arrive
//! with each log entry ([`LogCommand::now_ms`], the entry's log index), so two replicas that
//! apply the same entries reach byte-identical state (see [`Engine::encode_snapshot`]).

// What the other crates use: the entry, the engine's replies, the command table, the keyspace
// (for its encoding configuration and key hash), and a few parsers the server shares.
pub mod args;
pub mod config;
pub mod entry;
pub mod event;
#[doc(hidden)]
pub mod fuzz_targets;
pub mod glob;
pub mod introspect;
pub mod keyspace;
pub mod reply;
pub mod score;
pub mod snapshot;
pub mod table;

// Foundations, below the value types.
mod access;
mod dirty;
mod keyhash;
mod keymap;
mod longdouble;
mod maxmemory;
mod notify;
mod ostree;
mod packed_items;
mod packed_pairs;
mod rng;
mod spec;
mod varint;
mod wire;

// Helpers that several types' commands share.
mod mpop;
mod pqsort;
mod sample;
mod scan;

// One module per data type or command family: value type, commands, table fragment.
mod acl;
mod bitmap;
mod blocking;
mod connection;
mod debug;
mod dump;
mod function;
mod geo;
mod hash;
mod hyperloglog;
mod keys;
mod list;
mod lock;
mod pubsub;
mod script;
mod set;
mod sort;
mod stream;
mod string;
mod transaction;
mod zset;

mod engine;

#[cfg(test)]
mod testutil;

pub use acl::caller::{as_user, AS_USER_COMMAND};
pub use acl::commands::genpass as acl_genpass;
pub use acl::file::{
    file_errors as acl_file_errors, ACL_LOAD_COMMAND, INITIAL as ACL_LOAD_INITIAL,
};
pub use acl::Access;
pub use blocking::may_wait;
pub use engine::{Engine, ReadContext};
pub use entry::{Argv, LogCommand, Op, Run, ServedWaiter, Transaction, WaiterId, Watched};
pub use event::{ChannelKind, Event, Subscriber, SubscriptionChange};
pub use keys::memory::{slot_overheads, DatasetEstimate};
pub use lock::{
    wait_key as lock_wait_key, EXPIRE_COMMAND as LOCK_EXPIRE_COMMAND, MIN_TTL_MS as LOCK_MIN_TTL_MS,
};
pub use pubsub::{kind_name, SUBSCRIBE_COMMAND, SUBSCRIPTION_COMMANDS, UNSUBSCRIBE_COMMAND};
pub use reply::Reply;
pub use script::SCRIPT_COMMANDS;
pub use table::{lookup, resolve, CommandSpec, Kind};

/// The Redis version redraft reports: scripts' `redis.REDIS_VERSION` and LOLWUT's last line
/// here, HELLO and INFO in the server (which re-export this one). 7.4 because redis-py turns
/// its client-side cache on only for 7.4 or later; the commands served are Redis 7.0's, with
/// some of 7.2 (docs/commands.md).
pub const REDIS_VERSION: &str = "7.4.0";

/// Number of logical databases (SELECT 0..15), as in Redis's default configuration.
pub const DATABASES: usize = 16;
