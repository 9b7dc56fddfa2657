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

/// redraft's Raft: u64 node ids and terms, nodes addressed by their gRPC address, engine
/// commands as the log's payload, and writes answered by [`WriteCallback`]. Written out rather
/// than declared with openraft's macro, which takes no generic responder.
#[derive(Debug, Clone, Copy, Default, Eq, PartialEq, Ord, PartialOrd)]
pub struct TypeConfig {}

impl openraft::RaftTypeConfig for TypeConfig {
    type D = LogCommand;
    type R = Response;
    type NodeId = u64;
    type Node = openraft::BasicNode;
    type Term = u64;
    type LeaderId = openraft::impls::leader_id_adv::LeaderId<u64, u64>;
    type Vote = openraft::impls::Vote<Self::LeaderId>;
    type Payload = openraft::EntryPayload<LogCommand, u64, openraft::BasicNode>;
    type Entry =
        openraft::Entry<<Self::LeaderId as openraft::vote::RaftLeaderId>::Committed, Self::Payload>;
    type AsyncRuntime = openraft::TokioRuntime;
    type Responder<T>
        = WriteCallback<T>
    where
        T: openraft::OptionalSend + 'static;
    type Batch<T>
        = openraft::impls::InlineBatch<T>
    where
        T: openraft::OptionalSend + 'static;
    type ErrorSource = openraft::impls::BoxedErrorSource;
}

/// Answers a write where it completes: in the state machine's apply task once its entry is
/// applied, or in openraft's core when it fails first. The leader's group proposal hands its
/// clients' reply channels to it, so that they hear without a hop through the proposing task.
pub struct WriteCallback<T>(Box<dyn FnOnce(T) + Send>);

impl<T> WriteCallback<T> {
    pub fn new(answer: impl FnOnce(T) + Send + 'static) -> Self {
        WriteCallback(Box::new(answer))
    }
}

impl<T: Send + 'static> openraft::raft::responder::Responder<TypeConfig, T> for WriteCallback<T> {
    fn on_complete(self, result: T) {
        (self.0)(result)
    }
}

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
pub type ServerMetrics = openraft::metrics::RaftServerMetrics<TypeConfig>;
pub type SnapshotMeta = alias::SnapshotMetaOf<TypeConfig>;
pub type Snapshot = alias::SnapshotOf<TypeConfig, SnapshotData>;

impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} replies", self.replies.len())
    }
}
