//! [`RaftNode`]: the one handle the server crate uses.

use openraft::async_runtime::WatchReceiver;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openraft::error::{InitializeError, RaftError};
use openraft::{BasicNode, ServerState};
use redraft_engine::{Access, Argv, Engine, ReadContext, Reply};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::admin::{self, AdminOp, Member};
use crate::clock::Clock;
use crate::config::NodeConfig;
use crate::core::Core;
use crate::credentials::Credentials;
use crate::error::{AdminError, ClusterError, StartError};
use crate::lease_keeper;
use crate::log_store::{LogOptions, LogStore};
use crate::network::NetworkFactory;
use crate::observer;
use crate::peers::{peer_tls, Peers};
use crate::read_index::ReadBatcher;
use crate::read_link::ReadLink;
use crate::routing::{self, Attempt, Leader};
use crate::save::{self, SaveError};
use crate::server;
use crate::shared_rounds::{BoxRound, SharedRounds};
use crate::snapshot_trigger;
use crate::state_machine::{read_replica, Output, Outputs, StateMachine};
use crate::stats::RaftStats;
use crate::sweeper;
use crate::tls::ReloadingAcceptor;
use crate::types::Raft;

/// How long shutdown waits for the gRPC server to drain.
const SERVER_DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a fresh node waits for each `bootstrap_probe` address to answer. Longer than a
/// member's wait for a leader would be wasted: any answer counts, even a late one.
const BOOTSTRAP_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// A running Raft node: replication, the local replica, and the gRPC server. Cheap to clone.
#[derive(Clone)]
pub struct RaftNode {
    core: Arc<Core>,
    tasks: Arc<Tasks>,
    /// See [`RaftNode::existing_cluster`].
    existing_cluster: Option<String>,
}

struct Tasks {
    stop: watch::Sender<bool>,
    handles: Mutex<Vec<JoinHandle<()>>>,
    /// The data directory's lock, released once the node has shut down.
    dir_lock: Mutex<Option<fs::File>>,
}

impl Tasks {
    /// Starts the gRPC server on `listener`, the expiry sweeper and the snapshot trigger.
    fn start(
        core: &Arc<Core>,
        listener: TcpListener,
        tls: Option<Arc<ReloadingAcceptor>>,
        log_bytes: Arc<AtomicU64>,
        dir_lock: fs::File,
    ) -> Tasks {
        let (stop, _) = watch::channel(false);
        let mut handles = vec![
            tokio::spawn(server::serve(
                core.clone(),
                listener,
                tls.clone(),
                stop.subscribe(),
            )),
            tokio::spawn(sweeper::run(core.clone(), stop.subscribe())),
            tokio::spawn(lease_keeper::run(core.clone(), stop.subscribe())),
            tokio::spawn(snapshot_trigger::run(
                core.clone(),
                log_bytes,
                stop.subscribe(),
            )),
            tokio::spawn(observer::run(core.clone(), stop.subscribe())),
        ];
        if let Some(tls) = tls {
            let mut stop = stop.subscribe();
            handles.push(tokio::spawn(async move {
                tokio::select! {
                    () = tls.watch() => {}
                    _ = stop.wait_for(|&stop| stop) => {}
                }
            }));
        }
        Tasks {
            stop,
            handles: Mutex::new(handles),
            dir_lock: Mutex::new(Some(dir_lock)),
        }
    }
}

/// A snapshot of the node's Raft state, for INFO and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaftStatus {
    /// "leader", "follower", "candidate", "learner", "shutdown" or "removed".
    pub role: &'static str,
    pub node_id: u64,
    pub leader_id: Option<u64>,
    pub term: u64,
    pub last_log_index: u64,
    pub commit_index: u64,
    pub applied_index: u64,
    pub snapshot_index: u64,
    /// The last entry removed from the log (0 while none was): a node that lags behind it
    /// catches up by snapshot.
    pub purged_index: u64,
    /// Voters, ascending.
    pub members: Vec<u64>,
    pub learners: Vec<u64>,
}

impl RaftNode {
    /// Opens the store and snapshot under `config.dir`, binds the gRPC server, starts Raft, and
    /// bootstraps the cluster from `initial_members` if the store is pristine.
    pub async fn start(config: NodeConfig) -> Result<RaftNode, StartError> {
        let raft_config = Arc::new(config.raft_config()?);
        let raft_dir = config.dir.join("raft");
        fs::create_dir_all(&raft_dir)
            .map_err(|e| StartError::io("creating the data directory", &raft_dir, e))?;
        let dir_lock = crate::fsutil::lock_dir(&raft_dir)?;
        let log_options = LogOptions {
            fsync: config.fsync,
            cache_bytes: config.log_cache_bytes,
            ..LogOptions::default()
        };
        let mut log = LogStore::open(&raft_dir, log_options)?;
        let (applied_tx, applied_rx) = watch::channel(0);
        let (outputs_tx, outputs_rx) = mpsc::unbounded_channel();
        let track_keys = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let access = Arc::new(std::sync::RwLock::new(Access::default()));
        let outputs = Outputs {
            node: config.id,
            tx: outputs_tx,
            track_keys: track_keys.clone(),
            access: access.clone(),
        };
        let state_machine = StateMachine::open(&raft_dir, applied_tx, outputs)?;
        log.purge_behind_snapshots(state_machine.durable_snapshot_index());
        let pristine = log.is_pristine() && !state_machine.has_snapshot();
        let committed = log.committed_index();
        let log_bytes = log.log_bytes();
        let stats = Arc::new(RaftStats {
            fsync_seconds: log.fsync_seconds(),
            log_bytes: log_bytes.clone(),
            snapshots: state_machine.snapshot_stats(),
            forwarded_writes: AtomicU64::new(0),
            forwards: AtomicU64::new(0),
            forwarded_reads: AtomicU64::new(0),
            leader_changes: AtomicU64::new(0),
            elections: AtomicU64::new(0),
        });
        let replica = state_machine.replica();
        let listener = TcpListener::bind(config.raft_listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.raft_listen,
                source,
            })?;
        let credentials = Credentials::new(config.cluster_secret.as_deref()).ok_or_else(|| {
            StartError::Config("the cluster secret must be printable ASCII".into())
        })?;
        let (tls_acceptor, tls_client) = peer_tls(config.peer_tls.as_ref())?;
        let peers = Arc::new(Peers::new(
            config.max_message_bytes,
            config.request_timeout,
            credentials,
            tls_client,
        ));
        // The greatest commit index this node, leading, has told a follower (`read_index.rs`).
        let commit_told = Arc::new(AtomicU64::new(0));
        let raft = Raft::new(
            config.id,
            raft_config,
            NetworkFactory::new(peers.clone(), config.clone(), commit_told.clone()),
            log,
            state_machine,
        )
        .await
        .map_err(|e| StartError::Raft(e.to_string()))?;
        let transferring = Arc::new(AtomicBool::new(false));
        let core = Arc::new(Core {
            id: config.id,
            clock: Clock::new(config.clock_offset_ms),
            reads: ReadBatcher::new(
                raft.clone(),
                config.request_timeout,
                config.read_lease(),
                transferring.clone(),
                applied_rx.clone(),
                commit_told,
            ),
            config,
            raft,
            replica,
            applied: applied_rx,
            outputs: Mutex::new(Some(outputs_rx)),
            track_keys,
            access,
            committed,
            stats,
            peers,
            writes: Default::default(),
            forwards: Default::default(),
            read_rounds: SharedRounds::new(),
            read_link: ReadLink::default(),
            stopping: Default::default(),
            transferring,
            removed: Default::default(),
            active_expire: AtomicBool::new(true),
        });
        if raft_dir.join(admin::REMOVED_MARKER).exists() {
            admin::mark_removed(&core);
        }
        let mut node = RaftNode {
            existing_cluster: None,
            tasks: Arc::new(Tasks::start(
                &core,
                listener,
                tls_acceptor,
                log_bytes,
                dir_lock,
            )),
            core,
        };
        if pristine {
            node.existing_cluster = node.probe_for_cluster().await;
            if node.existing_cluster.is_none() {
                node.bootstrap().await?;
            }
        }
        Ok(node)
    }

    /// The first address of `bootstrap_probe` (other than this node's own) where a node
    /// answers, if any.
    async fn probe_for_cluster(&self) -> Option<String> {
        if !self.core.config.initial_members.contains_key(&self.core.id) {
            return None; // joining, not bootstrapping
        }
        let own = &self.core.config.raft_advertise;
        for addr in self
            .core
            .config
            .bootstrap_probe
            .iter()
            .filter(|a| *a != own)
        {
            if admin::answers(&self.core, addr, BOOTSTRAP_PROBE_TIMEOUT).await {
                tracing::warn!(
                    %addr,
                    "empty data directory but a cluster answers: not bootstrapping"
                );
                return Some(addr.clone());
            }
        }
        None
    }

    /// Where a cluster answered when this fresh node probed before bootstrapping (it then
    /// did not bootstrap; the caller should join through that address).
    pub fn existing_cluster(&self) -> Option<&str> {
        self.existing_cluster.as_deref()
    }

    /// Proposes the initial membership. Every initial member may do this: once one of them has
    /// an entry in its log, openraft refuses the others with `NotAllowed`, which is fine.
    async fn bootstrap(&self) -> Result<(), StartError> {
        let members: BTreeMap<u64, BasicNode> = self
            .core
            .config
            .initial_members
            .iter()
            .map(|(&id, addr)| (id, BasicNode::new(addr)))
            .collect();
        if !members.contains_key(&self.core.id) {
            tracing::info!(
                id = self.core.id,
                "not an initial member; waiting to be added"
            );
            return Ok(());
        }
        match self.core.raft.initialize(members).await {
            Ok(()) | Err(RaftError::APIError(InitializeError::NotAllowed(_))) => Ok(()),
            Err(e) => Err(StartError::Raft(format!("initializing the cluster: {e}"))),
        }
    }

    /// Applies `cmds` (write commands for database `db`) as one log entry and returns their
    /// replies. A follower forwards the write to the leader.
    pub async fn write(&self, db: u32, cmds: Vec<Argv>) -> Result<Vec<Reply>, ClusterError> {
        let (core, cmds) = (&self.core, &cmds);
        let deadline = Instant::now() + core.config.request_timeout;
        routing::on_leader(core, deadline, |leader| async move {
            // The clones are the price of retrying after a refusal, which takes the run.
            match leader {
                Leader::Here => {
                    Attempt::here(core.propose_commands(db, cmds.clone(), deadline).await)
                }
                Leader::At(_) => {
                    Attempt::of_forward(core.forward_commands(db, cmds.clone(), deadline).await)
                }
            }
        })
        .await
    }

    /// Waits until a read on this node's replica is linearizable (ReadIndex through the
    /// leader) and returns the leader's time to read at. `seed` is left 0 for the caller.
    /// A follower's concurrent reads share their requests to the leader (`shared_rounds`).
    pub async fn read_barrier(&self) -> Result<ReadContext, ClusterError> {
        let deadline = Instant::now() + self.core.config.request_timeout;
        let core = self.core.clone();
        let round = move || -> BoxRound<(u64, u64)> {
            let core = core.clone();
            Box::pin(async move { read_index_round(&core).await })
        };
        // The leader's reads have their own batching and lease (`read_index`).
        let (index, now_ms) = match self.core.is_leader() {
            true => read_index_round(&self.core).await?,
            false => self.core.read_rounds.join(round).await?,
        };
        self.core.wait_applied(index, deadline).await?;
        Ok(ReadContext {
            now_ms,
            ..ReadContext::default()
        })
    }

    /// Runs `f` on the local replica under its read lock. Keep `f` short: applying waits.
    /// What applied entries produce for this node's clients (served waiters, messages,
    /// subscription changes; see [`Output`]). The first call takes the stream; later calls get
    /// None.
    pub fn take_outputs(&self) -> Option<mpsc::UnboundedReceiver<Output>> {
        self.core
            .outputs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Whether applied entries report the keys they change (`Output::Event` of
    /// `Event::Invalidate`), for this node's clients that track keys.
    pub fn track_modified_keys(&self, on: bool) {
        self.core
            .track_keys
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The ACL users as this replica last applied them, for checking its connections.
    pub fn access(&self) -> Access {
        self.core
            .access
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// This node's id.
    pub fn id(&self) -> u64 {
        self.core.id
    }

    pub fn with_engine<T>(&self, f: impl FnOnce(&Engine) -> T) -> T {
        f(&read_replica(&self.core.replica).engine)
    }

    /// Runs a membership operation on the leader (from any node) and returns the membership
    /// after it, as the leader sees it. Bounded by a minute (a new learner's catch-up included).
    pub async fn admin(&self, op: AdminOp) -> Result<Vec<Member>, AdminError> {
        admin::route(&self.core, op).await.map(admin::members_from)
    }

    /// Whether this node has no membership at all: a fresh node that is not an initial member
    /// and must be added (`--join`). A restarted member always knows its membership.
    pub fn needs_join(&self) -> bool {
        let status = self.status();
        status.members.is_empty() && status.learners.is_empty()
    }

    /// A fresh node's `--join`: asks the member at `seed` (`host:port` of its Raft address) to
    /// add this node as a learner, catch it up and promote it; retries until `timeout`.
    pub async fn join(&self, seed: &str, timeout: Duration) -> Result<(), AdminError> {
        admin::join(&self.core, seed, Instant::now() + timeout).await
    }

    /// On the leader: hands leadership to the most caught-up other voter (before a planned
    /// stop). A no-op on other nodes and in a one-voter cluster.
    pub async fn hand_over_leadership(&self) -> Result<(), AdminError> {
        if !self.core.is_leader() {
            return Ok(());
        }
        let Some(successor) = admin::best_successor(&self.core) else {
            return Ok(());
        };
        self.admin(AdminOp::Transfer(successor)).await.map(|_| ())
    }

    pub fn status(&self) -> RaftStatus {
        let metrics = self.core.raft.metrics().borrow_watched().clone();
        let membership = metrics.membership_config.membership();
        let voters: BTreeSet<u64> = membership.voter_ids().collect();
        let applied_index = metrics.last_applied.map_or(0, |l| l.index);
        // The saved commit index lags after a snapshot is installed (openraft saves it when the
        // commit advances, and a snapshot's entries arrive committed without that) until the
        // next write; whatever is applied is committed.
        let commit_index = self
            .core
            .committed
            .load(Ordering::Acquire)
            .max(applied_index);
        RaftStatus {
            role: match metrics.state {
                _ if self.core.is_removed() => "removed",
                ServerState::Leader => "leader",
                ServerState::Follower => "follower",
                ServerState::Candidate => "candidate",
                ServerState::Learner => "learner",
                ServerState::Shutdown => "shutdown",
            },
            node_id: self.core.id,
            leader_id: metrics.current_leader,
            term: metrics.current_term,
            last_log_index: metrics.last_log_index.unwrap_or(0),
            commit_index,
            applied_index,
            snapshot_index: metrics.snapshot.map_or(0, |l| l.index),
            purged_index: metrics.purged.map_or(0, |l| l.index),
            members: voters.iter().copied().collect(),
            learners: membership
                .learner_ids()
                .filter(|id| !voters.contains(id))
                .collect(),
        }
    }

    /// The Raft side's counters and histograms (see [`RaftStats`]), for metrics.
    pub fn stats(&self) -> &RaftStats {
        &self.core.stats
    }

    /// On the leader: each other member's (voter or learner) matched log index, by id; empty on
    /// other nodes. A follower that has matched nothing yet has index 0.
    pub fn replication(&self) -> Vec<(u64, u64)> {
        let metrics = self.core.raft.metrics();
        let metrics = metrics.borrow_watched();
        let Some(replication) = &metrics.replication else {
            return Vec::new();
        };
        replication
            .iter()
            .filter(|(&id, _)| id != self.core.id)
            .map(|(&id, matched)| (id, matched.map_or(0, |l| l.index)))
            .collect()
    }

    /// The Raft address of member `id` (voter or learner) in this node's view of the
    /// membership, for ROLE on a follower (where its leader is).
    pub fn member_addr(&self, id: u64) -> Option<String> {
        let metrics = self.core.raft.metrics().borrow_watched().clone();
        let membership = metrics.membership_config.membership();
        membership.get_node(&id).map(|node| node.addr.clone())
    }

    /// This replica's applied index and a 64-bit digest (FNV-1a) of its engine's snapshot bytes,
    /// read together under one lock: two replicas at the same applied index must give the same
    /// digest. Encodes the whole keyspace, so it is for checks and tests, not a hot path.
    pub fn state_digest(&self) -> (u64, u64) {
        let replica = read_replica(&self.core.replica);
        let applied = replica.last_applied.map_or(0, |log_id| log_id.index);
        let digest = redraft_engine::keyspace::key_hash(&replica.engine.encode_snapshot());
        (applied, digest)
    }

    /// SAVE: builds a snapshot of this node's replica now and returns once it is stored.
    pub async fn save(&self) -> Result<(), SaveError> {
        save::save(&self.core).await
    }

    /// BGSAVE: starts a snapshot of this node's replica without waiting for it.
    pub fn bgsave(&self) -> Result<(), SaveError> {
        save::bgsave(&self.core)
    }

    /// DEBUG RELOAD: this node's replica encoded and decoded again in place (see
    /// [`save::reload`]).
    pub fn reload(&self) -> Result<(), SaveError> {
        save::reload(&self.core)
    }

    /// DEBUG SET-ACTIVE-EXPIRE: whether this node's sweeps delete expired keys while it leads.
    pub fn set_active_expire(&self, on: bool) {
        self.core.active_expire.store(on, Ordering::Relaxed);
    }

    /// Resolves when Raft has stopped on a fatal error (a storage failure, a panic in its core),
    /// with the reason. Such a node can no longer serve; its process should exit so that a
    /// supervisor restarts it, rather than linger looking alive.
    pub async fn fatal_error(&self) -> String {
        // openraft reports a fatal error in its full metrics as its core ends, which drops the
        // senders of every metrics channel: watching the server metrics (which change rarely)
        // until then spares this task a wake-up on every turn of the core.
        let mut server = self.core.raft.server_metrics();
        let fatal = || match &self.core.raft.metrics().borrow_watched().running_state {
            Err(fatal) => Some(fatal.to_string()),
            Ok(()) => None,
        };
        loop {
            if let Some(fatal) = fatal() {
                return fatal;
            }
            if server.changed().await.is_err() {
                return fatal().unwrap_or_else(|| "raft stopped".to_string());
            }
        }
    }

    /// Stops Raft, the gRPC server and the background tasks. Idempotent.
    pub async fn shutdown(&self) {
        if self.core.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Err(e) = self.core.raft.shutdown().await {
            tracing::warn!(error = %e, "raft shutdown");
        }
        self.tasks.stop.send_replace(true);
        let handles =
            std::mem::take(&mut *self.tasks.handles.lock().unwrap_or_else(|e| e.into_inner()));
        for handle in handles {
            let abort = handle.abort_handle();
            if tokio::time::timeout(SERVER_DRAIN_TIMEOUT, handle)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        drop(
            self.tasks
                .dir_lock
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
    }
}

/// A read index and the leader's time, from the leader wherever it is, confirmed after this
/// call began.
async fn read_index_round(core: &Core) -> Result<(u64, u64), ClusterError> {
    let deadline = Instant::now() + core.config.request_timeout;
    routing::on_leader(core, deadline, |leader| async move {
        let attempt = match leader {
            Leader::Here => Attempt::here(core.leader_read_index().await),
            Leader::At(addr) => routing::remote_read_index(core, &addr, deadline).await,
        };
        match attempt {
            // A read changes nothing, so a leader that could not confirm its leadership this
            // round (a slow heartbeat, an election under way) is asked again until the
            // deadline instead of failing the read at once.
            Attempt::Failed(ClusterError::NoLeader(why) | ClusterError::Unknown(why)) => {
                Attempt::Unconfirmed(why)
            }
            other => other,
        }
    })
    .await
}
