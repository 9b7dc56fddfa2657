//! Membership administration: adding, promoting and removing nodes, listing the members, and
//! handing leadership over. The leader runs every operation; any node routes a request there
//! (once: a forwarded request is never passed on again). Every operation is idempotent, so a
//! request may be repeated after a lost reply.
//!
//! Voters change through openraft's joint consensus (`change_membership`): the old and the new
//! voter sets must both agree on every entry until the change commits.

use openraft::async_runtime::WatchReceiver;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{ChangeMembershipError, ClientWriteError, RaftError};
use openraft::{BasicNode, ChangeMembers};
use tokio::time::Instant;

use crate::core::{self, fatal_error, Core, WaitEnd};
use crate::error::{AdminError, ClusterError};
use crate::pb::{
    admin_request, admin_response, AdminRequest, Empty, Member as PbMember, Members, NodeAddr,
    NotLeader, RemovedNotice,
};
use crate::peers::{Call, Unsent};
use crate::routing::{self, failure_error, to_failure, Attempt, Leader};
use crate::types::{Metrics, Node, NodeId, TypeConfig};

/// Bound on one administrative operation, catching a new learner up included.
pub const ADMIN_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound on telling a removed node, or a successor, what happened.
const NOTICE_TIMEOUT: Duration = Duration::from_secs(1);
/// The name, under `<dir>/raft/`, of the marker a removed node keeps.
pub const REMOVED_MARKER: &str = "removed";

/// One membership operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminOp {
    /// Add a learner at this Raft address; wait (bounded) until it has caught up.
    AddLearner { id: u64, addr: String },
    /// Make a learner a voter.
    Promote(u64),
    /// Remove a voter or a learner.
    Remove(u64),
    /// List the members.
    Members,
    /// Hand leadership to this voter.
    Transfer(u64),
    /// Add as learner, catch up, promote (what a fresh node started with `--join` asks for).
    Join { id: u64, addr: String },
}

/// One member as the leader sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: u64,
    pub addr: String,
    pub voter: bool,
    /// The last log index known replicated to it (None: nothing known yet).
    pub match_index: Option<u64>,
    /// Entries it is behind the leader's log (None when `match_index` is unknown).
    pub lag: Option<u64>,
}

/// Why a membership operation did not complete on this node: it does not lead, or the
/// operation failed (a refusal among the reasons).
pub type LeaderError = core::LeaderError<AdminError>;

fn refused(message: String) -> LeaderError {
    LeaderError::Failed(AdminError::Refused(message))
}

fn unknown(message: String) -> LeaderError {
    LeaderError::Failed(AdminError::Cluster(ClusterError::Unknown(message)))
}

impl AdminOp {
    pub(crate) fn to_request(&self, forwarded: bool) -> AdminRequest {
        let op = match self {
            AdminOp::AddLearner { id, addr } => admin_request::Op::AddLearner(NodeAddr {
                id: *id,
                addr: addr.clone(),
            }),
            AdminOp::Promote(id) => admin_request::Op::Promote(*id),
            AdminOp::Remove(id) => admin_request::Op::Remove(*id),
            AdminOp::Members => admin_request::Op::Members(Empty {}),
            AdminOp::Transfer(id) => admin_request::Op::Transfer(*id),
            AdminOp::Join { id, addr } => admin_request::Op::Join(NodeAddr {
                id: *id,
                addr: addr.clone(),
            }),
        };
        AdminRequest {
            forwarded,
            op: Some(op),
        }
    }

    pub(crate) fn from_request(request: AdminRequest) -> Option<AdminOp> {
        Some(match request.op? {
            admin_request::Op::AddLearner(n) => AdminOp::AddLearner {
                id: n.id,
                addr: n.addr,
            },
            admin_request::Op::Promote(id) => AdminOp::Promote(id),
            admin_request::Op::Remove(id) => AdminOp::Remove(id),
            admin_request::Op::Members(_) => AdminOp::Members,
            admin_request::Op::Transfer(id) => AdminOp::Transfer(id),
            admin_request::Op::Join(n) => AdminOp::Join {
                id: n.id,
                addr: n.addr,
            },
        })
    }
}

/// The members with their lag behind the leader's log.
pub fn members_from(pb: Members) -> Vec<Member> {
    pb.members
        .into_iter()
        .map(|m| Member {
            id: m.id,
            addr: m.addr,
            voter: m.voter,
            match_index: m.match_index,
            lag: m.match_index.map(|i| pb.last_log_index.saturating_sub(i)),
        })
        .collect()
}

/// The gRPC answer for a leader-side outcome.
pub fn to_response(result: Result<Members, LeaderError>) -> admin_response::Result {
    match result {
        Ok(members) => admin_response::Result::Ok(members),
        Err(LeaderError::NotLeader(leader_id)) => {
            admin_response::Result::NotLeader(NotLeader { leader_id })
        }
        Err(LeaderError::Failed(AdminError::Refused(why))) => admin_response::Result::Refused(why),
        Err(LeaderError::Failed(AdminError::Cluster(e))) => {
            admin_response::Result::Failure(to_failure(&e))
        }
    }
}

/// Runs `op` on the leader, wherever it is, within [`ADMIN_TIMEOUT`].
pub async fn route(core: &Arc<Core>, op: AdminOp) -> Result<Members, AdminError> {
    let (deadline, op) = (Instant::now() + ADMIN_TIMEOUT, &op);
    routing::on_leader(core, deadline, |leader| async move {
        match leader {
            Leader::Here => Attempt::here(run_on_leader(core, op, deadline).await),
            Leader::At(addr) => send(core, &addr, op.to_request(true), deadline).await,
        }
    })
    .await
}

/// Sends an admin request to the node at `addr`. Operations are idempotent, so a transport
/// failure is retried like a refusal to lead.
async fn send(
    core: &Core,
    addr: &str,
    request: AdminRequest,
    deadline: Instant,
) -> Attempt<Members, AdminError> {
    let call = core
        .peers
        .call(addr, request, deadline, async |c, r| c.admin(r).await);
    let response = match call.await {
        Call::Answered(response) => response,
        Call::NeverSent(unsent) => return Attempt::Retry(unsent.to_string()),
        Call::Failed(status) => return Attempt::Retry(format!("admin call failed: {status}")),
        Call::TimedOut => {
            return Attempt::Failed(
                ClusterError::Unknown("membership operation timed out; check RAFT MEMBERS".into())
                    .into(),
            )
        }
    };
    match response.result {
        Some(admin_response::Result::Ok(members)) => Attempt::Done(members),
        Some(admin_response::Result::NotLeader(_)) => {
            Attempt::Retry("peer is not the leader".into())
        }
        Some(admin_response::Result::Refused(why)) => Attempt::Failed(AdminError::Refused(why)),
        Some(admin_response::Result::Failure(f)) => match failure_error(f) {
            ClusterError::NoLeader(why) => Attempt::Retry(why),
            other => Attempt::Failed(other.into()),
        },
        None => Attempt::Retry("empty admin response".into()),
    }
}

/// Runs `op` on this node, which must lead.
pub async fn run_on_leader(
    core: &Arc<Core>,
    op: &AdminOp,
    deadline: Instant,
) -> Result<Members, LeaderError> {
    if core.is_removed() {
        return Err(LeaderError::Failed(ClusterError::Removed.into()));
    }
    if !core.is_leader() {
        return Err(LeaderError::NotLeader(core.leader().map(|(id, _)| id)));
    }
    match op {
        AdminOp::Members => {}
        AdminOp::AddLearner { id, addr } => add_learner(core, *id, addr, deadline).await?,
        AdminOp::Promote(id) => promote(core, *id, deadline).await?,
        AdminOp::Remove(id) => remove(core, *id, deadline).await?,
        AdminOp::Transfer(id) => transfer(core, *id, deadline).await?,
        AdminOp::Join { id, addr } => {
            add_learner(core, *id, addr, deadline).await?;
            promote(core, *id, deadline).await?;
        }
    }
    if !matches!(op, AdminOp::Members) {
        wait_membership_settled(core, deadline).await?;
    }
    Ok(members(core))
}

/// Waits (until `deadline`) until the membership this leader acts on is applied — so it is
/// committed — and is not a joint configuration. The idempotent answers ("already a voter",
/// "not a member") are judged on the leader's latest membership, which may not have committed
/// yet; answering `+OK` before it has would let a crash undo a change the client was told was
/// done (a wiped node could then rejoin as a voter with an empty log).
async fn wait_membership_settled(core: &Core, deadline: Instant) -> Result<(), LeaderError> {
    let settled = core.wait_metrics(deadline, |metrics| {
        let config = &metrics.membership_config;
        let index = config.log_id().map_or(0, |log_id| log_id.index);
        let applied = metrics.last_applied.map_or(0, |log_id| log_id.index);
        (applied >= index && config.membership().get_joint_config().len() == 1).then_some(())
    });
    settled.await.map_err(|_| {
        unknown("the membership change is not committed yet; check RAFT MEMBERS".into())
    })
}

fn metrics(core: &Core) -> Metrics {
    core.raft.metrics().borrow_watched().clone()
}

/// The last log index known replicated to `id` (None: nothing known yet, or not the leader).
fn replicated(metrics: &Metrics, id: NodeId) -> Option<u64> {
    let replication = metrics.replication.as_ref()?;
    replication
        .get(&id)
        .copied()
        .flatten()
        .map(|log_id| log_id.index)
}

/// Voters and every node (voters and learners) with its address.
fn membership(core: &Core) -> (BTreeSet<NodeId>, BTreeMap<NodeId, String>) {
    let metrics = metrics(core);
    let membership = metrics.membership_config.membership();
    let voters = membership.voter_ids().collect();
    let nodes = membership
        .nodes()
        .map(|(id, node)| (*id, node.addr.clone()))
        .collect();
    (voters, nodes)
}

/// The membership as this leader sees it, with each member's replication progress.
fn members(core: &Core) -> Members {
    let metrics = metrics(core);
    let last_log_index = metrics.last_log_index.unwrap_or(0);
    let membership = metrics.membership_config.membership();
    let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
    let matched = |id: NodeId| {
        if id == core.id {
            return Some(last_log_index);
        }
        replicated(&metrics, id)
    };
    Members {
        members: membership
            .nodes()
            .map(|(id, node)| PbMember {
                id: *id,
                addr: node.addr.clone(),
                voter: voters.contains(id),
                match_index: matched(*id),
            })
            .collect(),
        leader_id: metrics.current_leader.unwrap_or(0),
        last_log_index,
    }
}

fn write_error(e: RaftError<TypeConfig, ClientWriteError<TypeConfig>>) -> LeaderError {
    match e {
        RaftError::APIError(ClientWriteError::ForwardToLeader(f)) => {
            LeaderError::NotLeader(f.leader_id)
        }
        RaftError::APIError(ClientWriteError::LogEntryDiscarded(f)) => unknown(format!(
            "leadership changed while the membership change was in flight (now node {:?}); check RAFT MEMBERS",
            f.leader_id
        )),
        RaftError::APIError(e) => refused(e.to_string()),
        RaftError::Fatal(f) => LeaderError::Failed(fatal_error(&f).into()),
    }
}

async fn change(
    core: &Core,
    changes: ChangeMembers<NodeId, Node>,
    deadline: Instant,
) -> Result<u64, LeaderError> {
    membership_write(deadline, || {
        core.raft.change_membership(changes.clone(), false)
    })
    .await
}

/// Runs one membership write, waiting (until `deadline`) while another change is still
/// committing: openraft allows one at a time.
async fn membership_write<F, Fut>(deadline: Instant, write: F) -> Result<u64, LeaderError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = MembershipWrite>,
{
    loop {
        match tokio::time::timeout_at(deadline, write()).await {
            Ok(Ok(response)) => return Ok(response.log_id.index),
            Ok(Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(
                ChangeMembershipError::InProgress(_),
            )))) if Instant::now() + IN_PROGRESS_PAUSE < deadline => {
                tokio::time::sleep(IN_PROGRESS_PAUSE).await;
            }
            Ok(Err(e)) => return Err(write_error(e)),
            Err(_) => {
                return Err(unknown(
                    "membership change not committed in time; check RAFT MEMBERS".into(),
                ))
            }
        }
    }
}

type MembershipWrite = Result<
    openraft::raft::ClientWriteResponse<TypeConfig>,
    RaftError<TypeConfig, ClientWriteError<TypeConfig>>,
>;

/// Pause before trying again while another membership change commits.
const IN_PROGRESS_PAUSE: Duration = Duration::from_millis(100);

async fn add_learner(
    core: &Core,
    id: NodeId,
    addr: &str,
    deadline: Instant,
) -> Result<(), LeaderError> {
    let (voters, nodes) = membership(core);
    match nodes.get(&id) {
        Some(known) if known != addr => {
            return Err(refused(format!(
                "node {id} is already a member at {known}; remove it first"
            )))
        }
        Some(_) if voters.contains(&id) => return Ok(()),
        _ => {}
    }
    let node = BasicNode::new(addr);
    let index =
        membership_write(deadline, || core.raft.add_learner(id, node.clone(), false)).await?;
    wait_matched(core, id, index, deadline).await.map_err(|_| {
        unknown(format!(
            "learner {id} did not catch up in time; it stays a learner and keeps catching up"
        ))
    })
}

/// Waits (until `deadline`) for `id` to hold the leader's log up to `index`.
async fn wait_matched(
    core: &Core,
    id: NodeId,
    index: u64,
    deadline: Instant,
) -> Result<(), WaitEnd> {
    let matched = |metrics: &Metrics| (replicated(metrics, id)? >= index).then_some(());
    core.wait_metrics(deadline, matched).await
}

async fn promote(core: &Core, id: NodeId, deadline: Instant) -> Result<(), LeaderError> {
    let (voters, nodes) = membership(core);
    if voters.contains(&id) {
        return Ok(());
    }
    if !nodes.contains_key(&id) {
        return Err(refused(format!(
            "node {id} is not a learner; add it with RAFT ADDLEARNER first"
        )));
    }
    change(
        core,
        ChangeMembers::AddVoterIds(BTreeSet::from([id])),
        deadline,
    )
    .await?;
    Ok(())
}

async fn remove(core: &Arc<Core>, id: NodeId, deadline: Instant) -> Result<(), LeaderError> {
    let (voters, nodes) = membership(core);
    let Some(addr) = nodes.get(&id).cloned() else {
        return Ok(());
    };
    if voters.contains(&id) {
        if voters.len() == 1 {
            return Err(refused(format!("node {id} is the last voter")));
        }
        if id == core.id {
            // Hand over first; the request then goes to the new leader.
            let successor = best_successor(core).ok_or_else(|| {
                refused("no other voter is caught up to take over leadership".into())
            })?;
            // Any new leader will do (another follower may win the election).
            match transfer(core, successor, deadline).await {
                Err(e) if core.is_leader() => return Err(e),
                _ => return Err(LeaderError::NotLeader(None)),
            }
        }
        change(
            core,
            ChangeMembers::RemoveVoters(BTreeSet::from([id])),
            deadline,
        )
        .await?;
    } else {
        change(
            core,
            ChangeMembers::RemoveNodes(BTreeSet::from([id])),
            deadline,
        )
        .await?;
    }
    notify_removed(core, id, &addr).await;
    Ok(())
}

/// Tells a removed node (best effort: it may be down) that it is no longer a member.
async fn notify_removed(core: &Core, id: NodeId, addr: &str) {
    let term = core.raft.metrics().borrow_watched().current_term;
    let notice = RemovedNotice {
        node_id: id,
        leader_id: core.id,
        term,
    };
    let answer_by = Instant::now() + NOTICE_TIMEOUT;
    let call = core.peers.call(addr, notice, answer_by, async |c, r| {
        c.notify_removed(r).await
    });
    match call.await {
        Call::Answered(_) => tracing::info!(id, "told the removed node"),
        Call::NeverSent(Unsent::BadAddress(_)) => {}
        Call::NeverSent(Unsent::NoConnection(e)) | Call::Failed(e) => {
            tracing::info!(id, error = %e, "removed node not told")
        }
        Call::TimedOut => tracing::info!(id, "removed node not told in time"),
    }
}

/// Marks this node removed, durably, and stops it from standing for election.
pub fn mark_removed(core: &Core) {
    if core.removed.swap(true, Ordering::AcqRel) {
        return;
    }
    tracing::warn!(id = core.id, "this node was removed from the cluster");
    core.raft.runtime_config().elect(false);
    let marker = core.config.dir.join("raft").join(REMOVED_MARKER);
    if let Err(e) = fs::write(&marker, b"removed\n") {
        tracing::warn!(error = %e, path = %marker.display(), "cannot record the removal");
    }
}

/// The voter other than this leader with the most log replicated, if any has some.
pub fn best_successor(core: &Core) -> Option<NodeId> {
    let members = members(core);
    members
        .members
        .iter()
        .filter(|m| m.voter && m.id != core.id)
        .filter_map(|m| m.match_index.map(|i| (i, m.id)))
        .max()
        .map(|(_, id)| id)
}

/// Ends the transfer state however the transfer ends: proposals and reads may go again (on
/// whichever node leads), but not from the lease this node had (`ReadBatcher::forget_lease`).
struct TransferGuard<'a>(&'a Core);

impl Drop for TransferGuard<'_> {
    fn drop(&mut self) {
        self.0.reads.forget_lease();
        self.0.transferring.store(false, Ordering::Release);
    }
}

/// Hands leadership to `target` through openraft's transfer: stop proposing and confirming
/// reads, wait until the target holds the whole log, then tell every member; each stops
/// honouring this leader's lease, and the target stands for election at once and wins.
async fn transfer(core: &Core, target: NodeId, deadline: Instant) -> Result<(), LeaderError> {
    if target == core.id {
        return Ok(());
    }
    let (voters, _) = membership(core);
    if !voters.contains(&target) {
        return Err(refused(format!("node {target} is not a voter")));
    }
    if core.transferring.swap(true, Ordering::AcqRel) {
        return Err(refused("a leadership transfer is already under way".into()));
    }
    let _guard = TransferGuard(core);
    let election_max = Duration::from_millis(core.config.election_timeout_max_ms);
    let catch_up_deadline = deadline.min(Instant::now() + core.config.request_timeout);
    let last = metrics(core).last_log_index.unwrap_or(0);
    wait_matched(core, target, last, catch_up_deadline)
        .await
        .map_err(|_| {
            refused(format!(
                "node {target} did not catch up in time; leadership unchanged"
            ))
        })?;
    if !core.is_leader() {
        return Err(unknown("lost leadership during the transfer".into()));
    }
    core.raft
        .trigger()
        .transfer_leader(target)
        .await
        .map_err(|fatal| LeaderError::Failed(fatal_error(&fatal).into()))?;
    wait_elected(
        core,
        target,
        deadline.min(Instant::now() + election_max * 3),
    )
    .await
}

/// Waits (until `deadline`) for `target` to lead.
async fn wait_elected(core: &Core, target: NodeId, deadline: Instant) -> Result<(), LeaderError> {
    let mut leader = None;
    let elected = core
        .wait_metrics(deadline, |metrics| {
            leader = metrics.current_leader;
            (leader == Some(target)).then_some(())
        })
        .await;
    match elected {
        Ok(()) => {
            tracing::info!(target, "leadership transferred");
            Ok(())
        }
        Err(WaitEnd::Stopped) => Err(LeaderError::Failed(ClusterError::ShuttingDown.into())),
        Err(WaitEnd::TimedOut) => Err(unknown(format!(
            "node {target} did not take over in time; leader is now {leader:?}"
        ))),
    }
}

/// A fresh node's side of `--join`: asks the node at `seed` (any member) to make it a voter,
/// retrying while the cluster has no leader or the seed is not up yet, until `deadline`.
pub async fn join(core: &Core, seed: &str, deadline: Instant) -> Result<(), AdminError> {
    let request = AdminOp::Join {
        id: core.id,
        addr: core.config.raft_advertise.clone(),
    }
    .to_request(false);
    loop {
        let why = match send(core, seed, request.clone(), deadline).await {
            Attempt::Done(_) => return Ok(()),
            Attempt::Failed(AdminError::Cluster(e)) => e.to_string(),
            Attempt::Failed(refused) => return Err(refused),
            Attempt::Retry(why) | Attempt::Unconfirmed(why) => why,
        };
        tracing::info!(seed, reason = %why, "join not done yet; retrying");
        let late = || ClusterError::NoLeader(format!("could not join through {seed}: {why}"));
        routing::pause(JOIN_RETRY_PAUSE, deadline, late).await?;
    }
}

/// Whether a redraft node answers at `addr`. Any reply, even "no leader", or a call that got
/// through but timed out, means a node is there and so a cluster exists; only a call that
/// never reached anyone (no such host, connection refused) means nothing is there.
pub async fn answers(core: &Core, addr: &str, timeout: Duration) -> bool {
    let request = AdminOp::Members.to_request(false);
    let answer_by = Instant::now() + timeout;
    let call = core
        .peers
        .call(addr, request, answer_by, async |c, r| c.admin(r).await);
    match call.await {
        Call::Answered(_) | Call::Failed(_) | Call::TimedOut => true,
        Call::NeverSent(_) => false,
    }
}

/// Pause between join attempts (the seed may still be starting).
const JOIN_RETRY_PAUSE: Duration = Duration::from_millis(500);
