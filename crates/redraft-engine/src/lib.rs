//! The deterministic Redis state machine of redraft.
//!
//! Everything here is pure: no clock, no randomness, no I/O. Time and random seeds arrive
//! with each log entry ([`LogCommand::now_ms`], the entry's log index), so two replicas that
//! apply the same entries reach byte-identical state (see [`Engine::encode_snapshot`]).

mod ctx;
mod engine;
pub mod entry;
mod keyhash;
pub mod keyspace;
pub mod reply;
pub mod snapshot;
pub mod table;

pub mod args;
pub mod bitmap;
pub mod config;
mod connection;
pub mod dump;
pub mod geo;
pub mod glob;
pub mod hash;
pub mod hyperloglog;
pub mod keys;
pub mod list;
pub mod longdouble;
mod mpop;
mod ostree;
mod packed_items;
mod packed_pairs;
mod pqsort;
mod rng;
mod sample;
mod scan;
pub mod score;
pub mod set;
pub mod sort;
mod spec;
pub mod stream;
pub mod string;
mod varint;
mod wire;
pub mod zset;

#[cfg(test)]
mod testutil;

pub use engine::{Engine, ReadContext};
pub use entry::{Argv, LogCommand, Op, Run};
pub use reply::Reply;
pub use table::{lookup, resolve, CommandSpec, Kind};

/// Number of logical databases (SELECT 0..15), as in Redis's default configuration.
pub const DATABASES: usize = 16;
