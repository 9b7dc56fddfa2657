//! The openraft type configuration of redraft. Every openraft type stays inside this crate.

use std::io::Cursor;

use redraft_engine::{LogCommand, Reply};
use serde::{Deserialize, Serialize};

/// What applying one log entry produced: one reply per command of a `Commands` entry, none
/// for blank, membership and expiry-sweep entries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub replies: Vec<Reply>,
}

openraft::declare_raft_types!(
    /// redraft's Raft: u64 node ids, nodes addressed by their gRPC address, engine commands as
    /// the log's payload, whole snapshots held in memory.
    pub TypeConfig:
        D = LogCommand,
        R = Response,
        NodeId = u64,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

pub type NodeId = u64;
pub type Node = openraft::BasicNode;
pub type Entry = openraft::Entry<TypeConfig>;
pub type LogId = openraft::LogId<NodeId>;
pub type Vote = openraft::Vote<NodeId>;
pub type StorageError = openraft::StorageError<NodeId>;
pub type StoredMembership = openraft::StoredMembership<NodeId, Node>;
pub type Raft = openraft::Raft<TypeConfig>;
pub type Metrics = openraft::RaftMetrics<NodeId, Node>;
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, Node>;
pub type Snapshot = openraft::Snapshot<TypeConfig>;
