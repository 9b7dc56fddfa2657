//! The openraft type configuration of redraft. Every openraft type stays inside this crate.

use std::io::Cursor;

use openraft::type_config::alias;
use redraft_engine::{LogCommand, Reply};
use serde::{Deserialize, Serialize};

/// What applying one log entry produced: one reply per command of a `Commands` entry, none
/// for blank, membership and expiry-sweep entries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub replies: Vec<Reply>,
}

openraft::declare_raft_types!(
    /// redraft's Raft: u64 node ids and terms, nodes addressed by their gRPC address, engine
    /// commands as the log's payload.
    pub TypeConfig:
        D = LogCommand,
        R = Response,
        NodeId = u64,
        Node = openraft::BasicNode,
        AsyncRuntime = openraft::TokioRuntime,
);

/// A snapshot's bytes, held whole in memory (the engine encodes and decodes whole snapshots).
pub type SnapshotData = Cursor<Vec<u8>>;

pub type NodeId = u64;
pub type Node = openraft::BasicNode;
pub type Entry = alias::EntryOf<TypeConfig>;
pub type LogId = alias::LogIdOf<TypeConfig>;
pub type Vote = alias::VoteOf<TypeConfig>;
pub type LeaderId = alias::LeaderIdOf<TypeConfig>;
pub type StoredMembership = alias::StoredMembershipOf<TypeConfig>;
pub type Raft = openraft::Raft<TypeConfig, crate::state_machine::StateMachine>;
pub type Metrics = openraft::RaftMetrics<TypeConfig>;
pub type SnapshotMeta = alias::SnapshotMetaOf<TypeConfig>;
pub type Snapshot = alias::SnapshotOf<TypeConfig, SnapshotData>;

impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} replies", self.replies.len())
    }
}
