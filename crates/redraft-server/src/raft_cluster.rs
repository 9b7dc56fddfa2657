//! The cluster as sessions see it, backed by the Raft node of redraft-raft.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use redraft_engine::config::EncodingConfig;
use redraft_engine::{Access, Argv, DatasetEstimate, ReadContext, Reply};
use redraft_raft::{AdminError, AdminOp, ClusterError, Member, Output, RaftNode, SaveError};
use tokio::sync::mpsc;

use crate::cluster::{Cluster, DbStats, NodeInfo, Role, RouteError, SnapshotInfo};

pub struct RaftCluster {
    node: RaftNode,
    /// The node's snapshot file, whose modification time LASTSAVE reports.
    snapshot_path: Option<std::path::PathBuf>,
}

impl RaftCluster {
    pub fn new(node: RaftNode) -> RaftCluster {
        RaftCluster {
            node,
            snapshot_path: None,
        }
    }

    /// With the node's data directory, whose `raft/snapshot` LASTSAVE dates.
    pub fn with_dir(node: RaftNode, dir: &std::path::Path) -> RaftCluster {
        RaftCluster {
            node,
            snapshot_path: Some(dir.join("raft").join("snapshot")),
        }
    }
}

pub fn route_error(error: ClusterError) -> RouteError {
    match error {
        ClusterError::NoLeader(why) => {
            RouteError::ClusterDown(format!("The cluster is down: {why}"))
        }
        ClusterError::Unknown(why) => RouteError::TryAgain(why),
        ClusterError::ShuttingDown => RouteError::ClusterDown("The node is shutting down".into()),
        ClusterError::Fatal(why) => RouteError::ClusterDown(format!("The node failed: {why}")),
        ClusterError::Removed => RouteError::Removed,
    }
}

impl Cluster for RaftCluster {
    async fn write(&self, db: u32, cmds: Vec<Argv>) -> Result<Vec<Reply>, RouteError> {
        self.node.write(db, cmds).await.map_err(route_error)
    }

    async fn read_barrier(&self) -> Result<ReadContext, RouteError> {
        self.node.read_barrier().await.map_err(route_error)
    }

    fn read(&self, db: u32, argv: &[Vec<u8>], context: ReadContext) -> Reply {
        self.node
            .with_engine(|engine| engine.read(db, argv, context))
    }

    fn read_indexed(&self, db: u32, argv: &[Vec<u8>], context: ReadContext) -> (Reply, u64) {
        self.node.with_engine(|engine| {
            let index = engine.keyspace().applied_index;
            (engine.read(db, argv, context), index)
        })
    }

    fn track_modified_keys(&self, on: bool) {
        self.node.track_modified_keys(on)
    }

    fn read_script(
        &self,
        db: u32,
        argv: &[Vec<u8>],
        context: ReadContext,
        kill: Arc<AtomicBool>,
    ) -> Reply {
        self.node
            .with_engine(|engine| engine.read_killable(db, argv, context, kill))
    }

    fn access(&self) -> Access {
        self.node.access()
    }

    fn script_is_read_only(&self, argv: &[Vec<u8>]) -> bool {
        self.node
            .with_engine(|engine| engine.script_is_read_only(argv))
    }

    fn node_id(&self) -> u64 {
        self.node.id()
    }

    fn take_outputs(&self) -> Option<mpsc::UnboundedReceiver<Output>> {
        self.node.take_outputs()
    }

    fn watch_point(&self) -> (u64, u64) {
        self.node.with_engine(|engine| engine.watch_point())
    }

    fn dataset(&self) -> DatasetEstimate {
        let sample = crate::memory::SAMPLE_KEYS;
        self.node
            .with_engine(|engine| engine.dataset_estimate(0, sample))
    }

    fn encoding_config(&self) -> EncodingConfig {
        self.node.with_engine(|engine| engine.keyspace().encoding)
    }

    fn db_stats(&self) -> Vec<DbStats> {
        self.node.with_engine(|engine| {
            let now = engine.now_ms();
            engine
                .keyspace()
                .dbs
                .iter()
                .enumerate()
                .filter(|(_, db)| !db.is_empty(now))
                .map(|(index, db)| DbStats {
                    db: index,
                    keys: db.len(now),
                    expires: db.expiring_len(now),
                })
                .collect()
        })
    }

    async fn role(&self) -> Role {
        let status = self.node.status();
        if status.role != "leader" {
            let leader = status.leader_id.and_then(|id| self.node.member_addr(id));
            return Role::Follower {
                leader,
                offset: status.applied_index,
            };
        }
        // On the leader the member list is local: no round trip.
        let members = self.node.admin(AdminOp::Members).await.unwrap_or_default();
        Role::Leader {
            offset: status.last_log_index,
            followers: members
                .into_iter()
                .filter(|member| member.id != status.node_id)
                .map(|member| (member.addr, member.match_index.unwrap_or(0)))
                .collect(),
        }
    }

    fn node_info(&self) -> NodeInfo {
        let status = self.node.status();
        let role = match status.role {
            "leader" => Role::Leader {
                offset: status.last_log_index,
                followers: self
                    .node
                    .replication()
                    .into_iter()
                    .map(|(id, matched)| (self.node.member_addr(id).unwrap_or_default(), matched))
                    .collect(),
            },
            _ => Role::Follower {
                leader: status.leader_id.and_then(|id| self.node.member_addr(id)),
                offset: status.applied_index,
            },
        };
        let (scripts, functions, libraries) = self.node.with_engine(|engine| {
            let keyspace = engine.keyspace();
            let libraries = &keyspace.functions;
            (
                keyspace.scripts.len(),
                libraries.function_count(),
                libraries.len(),
            )
        });
        NodeInfo {
            role,
            leader_known: status.leader_id.is_some(),
            snapshots: snapshot_info(&self.node.stats().snapshots),
            scripts,
            functions,
            libraries,
        }
    }

    fn last_snapshot(&self) -> Option<std::time::SystemTime> {
        let path = self.snapshot_path.as_ref()?;
        std::fs::metadata(path).and_then(|m| m.modified()).ok()
    }

    async fn save(&self) -> Result<(), SaveError> {
        self.node.save().await
    }

    fn bgsave(&self) -> Result<(), SaveError> {
        self.node.bgsave()
    }

    fn reload(&self) -> Result<(), SaveError> {
        self.node.reload()
    }

    fn set_active_expire(&self, on: bool) {
        self.node.set_active_expire(on)
    }

    async fn admin(&self, op: AdminOp) -> Result<Vec<Member>, AdminError> {
        self.node.admin(op).await
    }

    fn state_digest(&self) -> (u64, u64) {
        self.node.state_digest()
    }

    fn raft_info(&self) -> Vec<(String, String)> {
        let status = self.node.status();
        let join = |ids: &[u64]| {
            ids.iter()
                .map(|id| id.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        vec![
            ("role".into(), status.role.to_string()),
            ("node_id".into(), status.node_id.to_string()),
            (
                "leader_id".into(),
                status
                    .leader_id
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
            ),
            ("term".into(), status.term.to_string()),
            ("commit_index".into(), status.commit_index.to_string()),
            ("applied_index".into(), status.applied_index.to_string()),
            ("snapshot_index".into(), status.snapshot_index.to_string()),
            ("purged_index".into(), status.purged_index.to_string()),
            ("members".into(), join(&status.members)),
            ("learners".into(), join(&status.learners)),
        ]
    }
}

fn snapshot_info(stats: &redraft_raft::SnapshotStats) -> SnapshotInfo {
    use std::sync::atomic::Ordering::Relaxed;
    let built = stats.builds.load(Relaxed);
    SnapshotInfo {
        changes_since: stats.changes_since_snapshot(),
        built,
        last_failed: stats.last_build_failed.load(Relaxed),
        last_build_secs: (built > 0).then(|| stats.last_build_ms.load(Relaxed) / 1000),
        building_secs: stats.building_for().map(|took| took.as_secs()),
    }
}
