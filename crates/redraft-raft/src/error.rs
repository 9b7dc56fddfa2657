//! The errors the server crate sees. They name no openraft type.

use std::io;
use std::path::PathBuf;

use openraft::error::Fatal;

use crate::types::{NodeId, TypeConfig};

/// Why a request could not be served by the cluster.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// No leader could be reached within the request timeout; nothing was applied.
    /// The server answers `-CLUSTERDOWN`.
    #[error("no leader: {0}")]
    NoLeader(String),
    /// The outcome is unknown: the write may or may not have been applied (or, for a refused
    /// write under back-pressure, it was not, and may be retried). The server answers `-TRYAGAIN`.
    #[error("outcome unknown: {0}")]
    Unknown(String),
    /// This node is shutting down; nothing was applied.
    #[error("node is shutting down")]
    ShuttingDown,
    /// The Raft node failed and stopped (storage error, bug); nothing more will be served.
    #[error("fatal raft error: {0}")]
    Fatal(String),
    /// This node was removed from the cluster's membership; it serves nothing any more.
    #[error("this node was removed from the cluster")]
    Removed,
}

/// Why a membership operation (add, promote, remove, list, transfer, join) did not happen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The request cannot be done as asked (unknown node, not a learner, the last voter, a
    /// change already under way...); nothing changed.
    #[error("{0}")]
    Refused(String),
}

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{context} ({path}): {source}")]
    Io {
        context: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A log segment before the last one, or the meta file, is damaged: acknowledged data
    /// would be lost by truncating it, so the node refuses to start.
    #[error("corrupt raft log {path} at byte {offset}: {reason}")]
    CorruptLog {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error("corrupt snapshot {path}: {reason}")]
    CorruptSnapshot { path: PathBuf, reason: String },
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("peer TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
    /// Another process holds the data directory: two nodes writing one log would corrupt it.
    #[error("data directory {path} is in use by another redraft process")]
    DirInUse { path: PathBuf },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: io::Error,
    },
    /// openraft refused to start or to initialize the cluster.
    #[error("raft: {0}")]
    Raft(String),
}

impl StartError {
    pub(crate) fn io(context: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StartError::Io {
            context,
            path: path.into(),
            source,
        }
    }
}

/// Why a leader-side operation (a write, a read index, a membership change) did not complete.
#[derive(Clone, Debug)]
pub enum LeaderError<E = ClusterError> {
    /// This node does not lead: nothing was done, the request may go to the leader.
    NotLeader(Option<NodeId>),
    Failed(E),
}

impl From<ClusterError> for LeaderError {
    fn from(e: ClusterError) -> Self {
        LeaderError::Failed(e)
    }
}

pub fn fatal_error(fatal: &Fatal<TypeConfig>) -> ClusterError {
    match fatal {
        Fatal::Stopped => ClusterError::ShuttingDown,
        other => ClusterError::Fatal(other.to_string()),
    }
}
