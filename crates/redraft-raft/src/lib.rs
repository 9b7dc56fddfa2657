//! openraft glue for redraft: the type config, the durable log store, the state-machine
//! adapter over the engine, snapshots, and the gRPC network. The server crate sees only
//! [`RaftNode`] and the types next to it; no openraft type leaves this crate.
//!
//! On disk, under `<dir>/raft/`:
//! - `log/<seq:020>.seg`: log segments, records `[u32 len][u32 crc32][postcard(Entry)]`; a new
//!   segment starts past 64 MiB; a torn tail of the last segment is cut off on open.
//! - `meta`: vote and last purged log id (one framed record; temp + fsync + rename + dir fsync).
//! - `committed`: the committed log id, a hint replaced atomically on every commit but not
//!   fsynced (unreadable means "unknown"; it is clamped to the log's end on open).
//! - `snapshot`: the current snapshot (meta + engine bytes), replaced atomically and durably.
//! - `removed`: present once the node was told it is no longer a member; it then serves nothing.
//!
//! A `RaftNode` must be stopped with [`RaftNode::shutdown`]; dropping it leaves its tasks running.

mod admin;
mod blocking;
mod clock;
mod config;
mod core;
mod credentials;
mod cut_stream;
mod error;
mod fsutil;
#[doc(hidden)]
pub mod fuzz_targets;
mod lease_keeper;
mod log_store;
mod network;
mod node;
mod observer;
#[doc(hidden)]
pub mod pb;
mod peers;
mod read_index;
mod read_link;
mod record;
mod reply_stream;
mod routing;
mod save;
mod server;
mod service;
mod shared_rounds;
mod snapshot_file;
mod snapshot_fork;
mod snapshot_trigger;
mod state_machine;
mod stats;
mod sweeper;
pub mod tls;
mod types;
mod write_batch;

pub use admin::{AdminOp, Member};
pub use blocking::long_running;
pub use config::{NodeConfig, PeerTls, DEFAULT_LOG_CACHE_BYTES};
pub use error::{AdminError, ClusterError, StartError};
pub use fsutil::atomic_write;
pub use node::{RaftNode, RaftStatus};
pub use save::SaveError;
pub use state_machine::Output;
pub use stats::{HistogramSample, LatencyHistogram, RaftStats, SnapshotStats};

/// Most commands in one run (one connection's writes that travel as one log entry), and most
/// argument bytes in a run of more than one command: sessions make runs no bigger, and a
/// node refuses a forwarded run that is.
pub const MAX_RUN_COMMANDS: usize = 256;
pub const MAX_RUN_BYTES: usize = 4 * 1024 * 1024;

/// Building blocks exposed for this crate's integration tests (the storage conformance suite).
/// Not part of the API the server uses.
#[doc(hidden)]
pub mod testing {
    pub use crate::credentials::SECRET_HEADER;
    pub use crate::log_store::{LogOptions, LogStore};

    pub use crate::state_machine::{Outputs, StateMachine};
    pub use crate::types::TypeConfig;
}
