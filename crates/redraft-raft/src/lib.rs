//! openraft glue for redraft: the type config, the durable log store, the state-machine
//! adapter over the engine, snapshots, and the gRPC network. The server crate sees only
//! [`RaftNode`] and the types next to it; no openraft type leaves this crate.

mod error;
mod fsutil;
mod log_store;
mod record;
mod snapshot_file;
mod state_machine;
mod types;

pub use error::{ClusterError, StartError};

/// Building blocks exposed for this crate's integration tests (the storage conformance suite).
/// Not part of the API the server uses.
#[doc(hidden)]
pub mod testing {
    pub use crate::log_store::{LogOptions, LogStore};
    pub use crate::state_machine::StateMachine;
    pub use crate::types::{Entry, LogId, Response, TypeConfig};
}
