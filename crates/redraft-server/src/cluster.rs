//! The seam between client sessions and replication: what a session asks of the cluster.
//! The Raft-backed implementation lives in `raft_cluster.rs`; tests use an in-process engine.

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use redraft_engine::config::EncodingConfig;
use redraft_engine::{Access, Argv, DatasetEstimate, ReadContext, Reply};
use redraft_raft::{AdminError, AdminOp, Member, Output, SaveError};
use tokio::sync::mpsc;

/// Why the cluster could not serve a request. Sessions answer with Redis-style errors.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RouteError {
    /// No leader could be reached in time; nothing was applied.
    #[error("CLUSTERDOWN {0}")]
    ClusterDown(String),
    /// The request may or may not have been applied (or may be retried safely, for reads).
    #[error("TRYAGAIN {0}")]
    TryAgain(String),
    /// This node is no longer a member of the cluster.
    #[error("ERR this node was removed from the cluster")]
    Removed,
}

impl RouteError {
    pub fn reply(&self) -> Reply {
        Reply::error(self.to_string())
    }
}

/// Per-database key counts for INFO's keyspace section.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DbStats {
    pub db: usize,
    pub keys: usize,
    pub expires: usize,
}

/// The node's place in replication, as ROLE shows it (see role.rs).
#[derive(Clone, Debug, PartialEq)]
pub enum Role {
    /// The leader: its last log index, and each other member's address and match index.
    Leader {
        offset: u64,
        followers: Vec<(String, u64)>,
    },
    /// Any other member: its leader's address if known, and its own applied index.
    Follower { leader: Option<String>, offset: u64 },
}

/// What INFO reports of the node beyond its sessions: its place in Raft and its snapshots
/// (see info/). Without Raft (session tests): a leader alone that never took a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeInfo {
    /// As ROLE shows it, read without a round trip.
    pub role: Role,
    /// Whether the leader (for a follower) was heard from; see `master_link_status`.
    pub leader_known: bool,
    pub snapshots: SnapshotInfo,
    /// Scripts cached (SCRIPT LOAD, EVAL), functions and libraries loaded.
    pub scripts: usize,
    pub functions: usize,
    pub libraries: usize,
}

/// The node's snapshots, Redis's RDB saves in INFO's persistence section.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SnapshotInfo {
    /// Changes applied since the state of the last snapshot (Redis's dirty counter).
    pub changes_since: u64,
    /// Snapshots this node built since it started.
    pub built: u64,
    /// Whether the last build failed.
    pub last_failed: bool,
    /// The last build's duration, in seconds; None before the first.
    pub last_build_secs: Option<u64>,
    /// How long the build running now has taken, in seconds; None while none runs.
    pub building_secs: Option<u64>,
}

impl Default for NodeInfo {
    fn default() -> Self {
        NodeInfo {
            role: Role::Leader {
                offset: 0,
                followers: Vec::new(),
            },
            leader_known: true,
            snapshots: SnapshotInfo::default(),
            scripts: 0,
            functions: 0,
            libraries: 0,
        }
    }
}

pub trait Cluster: Send + Sync + 'static {
    /// Applies a run of write commands through the log, in order, as one entry.
    fn write(
        &self,
        db: u32,
        cmds: Vec<Argv>,
    ) -> impl Future<Output = Result<Vec<Reply>, RouteError>> + Send;

    /// Waits until a read on this node would be linearizable; returns the time to read at.
    fn read_barrier(&self) -> impl Future<Output = Result<ReadContext, RouteError>> + Send;

    /// Executes a read-only command on the local replica (after a barrier).
    fn read(&self, db: u32, argv: &[Vec<u8>], context: ReadContext) -> Reply;

    /// [`Cluster::read`], with the index of the last entry the state it read had applied.
    fn read_indexed(&self, db: u32, argv: &[Vec<u8>], context: ReadContext) -> (Reply, u64);

    /// Whether applied entries report the keys they change (for this node's clients that
    /// track keys).
    fn track_modified_keys(&self, on: bool);

    /// [`Cluster::read`] of a script, which stops when `kill` is set (SCRIPT KILL).
    fn read_script(
        &self,
        db: u32,
        argv: &[Vec<u8>],
        context: ReadContext,
        kill: Arc<AtomicBool>,
    ) -> Reply;

    /// The ACL users as this replica last applied them (AUTH, the check of every command):
    /// a copy that needs no lock on the replica, which a long read-only script may hold.
    fn access(&self) -> Access;

    /// Whether a script command (EVAL, EVALSHA, FCALL) cannot write, so that it may take the
    /// read path.
    fn script_is_read_only(&self, argv: &[Vec<u8>]) -> bool;

    /// Where this replica stands, for a WATCH served now (after a read barrier): the index of
    /// its last applied entry and its engine time then (see `redraft_engine::Watched`).
    fn watch_point(&self) -> (u64, u64);

    /// This node's id in the cluster.
    fn node_id(&self) -> u64;

    /// What applied entries produce for this node's clients: served waiters, messages,
    /// subscription changes (taken once).
    fn take_outputs(&self) -> Option<mpsc::UnboundedReceiver<Output>>;

    /// Non-empty databases, for INFO keyspace.
    fn db_stats(&self) -> Vec<DbStats>;

    /// `name:value` lines for INFO's raft section.
    fn raft_info(&self) -> Vec<(String, String)>;

    /// This replica's keys and an estimate of their bytes (MEMORY STATS, MEMORY DOCTOR),
    /// from a bounded sample of keys (see `Engine::dataset_estimate`).
    fn dataset(&self) -> DatasetEstimate;

    /// The replicated configuration as this replica holds it (CONFIG GET).
    fn encoding_config(&self) -> EncodingConfig;

    /// This replica's applied index and a digest of its whole state at that index.
    fn state_digest(&self) -> (u64, u64);

    /// This node's role for ROLE. Without Raft (session tests), a leader alone.
    fn role(&self) -> impl Future<Output = Role> + Send {
        async {
            Role::Leader {
                offset: 0,
                followers: Vec::new(),
            }
        }
    }

    /// What INFO reports of the node's Raft side and replicated state (see [`NodeInfo`]).
    fn node_info(&self) -> NodeInfo {
        NodeInfo::default()
    }

    /// When this node last wrote a snapshot of its state (LASTSAVE); None if it never did.
    fn last_snapshot(&self) -> Option<std::time::SystemTime> {
        None
    }

    /// SAVE: a snapshot of this node's replica, stored before this returns. Without Raft
    /// (session tests) there is nothing to snapshot.
    fn save(&self) -> impl Future<Output = Result<(), SaveError>> + Send {
        async { Err(SaveError::Failed("this server keeps no snapshots".into())) }
    }

    /// BGSAVE: a snapshot of this node's replica, started now.
    fn bgsave(&self) -> Result<(), SaveError> {
        Err(SaveError::Failed("this server keeps no snapshots".into()))
    }

    /// DEBUG RELOAD: this node's replica reloaded from its own encoding.
    fn reload(&self) -> Result<(), SaveError> {
        Err(SaveError::Failed("this server keeps no snapshots".into()))
    }

    /// DEBUG SET-ACTIVE-EXPIRE: whether this node's sweeps delete expired keys while it leads.
    fn set_active_expire(&self, _on: bool) {}

    /// Runs a membership operation (RAFT ADDLEARNER, PROMOTE, ...) on the leader; returns the
    /// membership after it. Without Raft (session tests) there is no membership to change.
    fn admin(&self, _op: AdminOp) -> impl Future<Output = Result<Vec<Member>, AdminError>> + Send {
        async {
            Err(AdminError::Refused(
                "this server has no Raft membership".into(),
            ))
        }
    }
}
