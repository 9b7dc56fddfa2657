//! The nemesis: a schedule of faults derived from a seed, and how each is injected into a
//! [`Cluster`] and healed. One fault is active at a time; every fault is healed before the
//! next begins, a node whose log was torn has caught up before the next fault, and a node
//! removed by a membership change is a caught-up voter again before the next fault.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis_protocol::resp2::types::OwnedFrame;

use crate::cluster::Cluster;
use crate::raw::RawClient;

/// The faults the nemesis injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// kill -9 a node (the leader more often than not), restart it after a while.
    Kill,
    /// SIGSTOP a node for longer than the election timeout, then SIGCONT.
    Pause,
    /// Cut every link to and from the leader.
    PartitionLeader,
    /// Split into a majority and a minority (in a three-node cluster: one node alone).
    PartitionSplit,
    /// Cut two nodes from each other; the third (the bridge) still sees both.
    PartitionBridge,
    /// Restart a node with its clock offset (a minute ahead, or 2 to 30 s either way), then
    /// restart it without.
    ClockSkew,
    /// kill -9 a node, chop bytes off or append garbage to its last log segment, restart it.
    TornWrite,
    /// `RAFT REMOVE` a node (sometimes the leader), stop it, wipe its data, start it fresh
    /// and add it back (`--join`, or `RAFT ADDLEARNER` + `RAFT PROMOTE`) until it is a
    /// caught-up voter; sometimes with a kill -9 in the middle of the change.
    Membership,
}

impl FaultKind {
    pub const ALL: [FaultKind; 8] = [
        FaultKind::Kill,
        FaultKind::Pause,
        FaultKind::PartitionLeader,
        FaultKind::PartitionSplit,
        FaultKind::PartitionBridge,
        FaultKind::ClockSkew,
        FaultKind::TornWrite,
        FaultKind::Membership,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Kill => "kill",
            FaultKind::Pause => "pause",
            FaultKind::PartitionLeader => "partition-leader",
            FaultKind::PartitionSplit => "partition-split",
            FaultKind::PartitionBridge => "partition-bridge",
            FaultKind::ClockSkew => "clock-skew",
            FaultKind::TornWrite => "torn-write",
            FaultKind::Membership => "membership",
        }
    }

    /// Whether the fault cuts links (the cluster needs proxied links).
    pub fn needs_proxies(self) -> bool {
        matches!(
            self,
            FaultKind::PartitionLeader | FaultKind::PartitionSplit | FaultKind::PartitionBridge
        )
    }
}

/// Which node a fault hits, resolved when it is injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The current leader (any node if none is known).
    Leader,
    /// Node number `n % size + 1`: an arbitrary node, leader or not.
    Any(u64),
}

/// How a log tail is damaged. The scheduled kinds model a write that the crash cut
/// short, so neither removes bytes the node had already written (and may have
/// acknowledged): losing an acknowledged entry is log reversion, which Raft does not
/// tolerate (see [`Tear::ChopWritten`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tear {
    /// Append a record cut short: a `[len][crc]` header for 64 bytes followed by 64 - n
    /// payload bytes (the last n bytes of the write never reached the file).
    CutRecord(u64),
    /// Append these bytes (a write that never finished its framing).
    Garbage(Vec<u8>),
    /// Chop n bytes off what the node had written. NOT SCHEDULED: when the chopped
    /// entry had been acknowledged, the leader's openraft panics on "follower log
    /// reversion" (debug builds) and that node's Raft stops for good while its process
    /// keeps running. Kept for reproducing that finding.
    ChopWritten(u64),
}

/// How a removed node comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejoin {
    /// Started fresh with `--join` through another member: it asks to be added and promoted.
    Join,
    /// Started fresh waiting to be added; the nemesis sends `RAFT ADDLEARNER` then
    /// `RAFT PROMOTE` through members.
    AddLearner,
}

/// Which node a kill in the middle of a membership change hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillWho {
    /// The leader when the kill happens.
    Leader,
    /// The node being removed or added.
    Changed,
    /// A member that is neither the changed node nor (if possible) the leader.
    Other,
}

/// When the kill happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// While `RAFT REMOVE` is in flight.
    Remove,
    /// While the fresh node is being added back.
    Rejoin,
}

/// A kill -9 in the middle of a membership change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MidChangeKill {
    pub who: KillWho,
    pub phase: Phase,
    /// Delay from the start of the phase to the kill.
    pub after: Duration,
    /// How long the node stays down before it is restarted (with its data).
    pub down: Duration,
}

/// How one membership fault runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MembershipPlan {
    pub rejoin: Rejoin,
    /// Picks the member the admin commands (and the `--join` seed) go through first:
    /// another member than the changed node, `n % others + 1`.
    pub via: u64,
    pub kill: Option<MidChangeKill>,
}

/// Payload bytes of the record [`Tear::CutRecord`] starts to write.
const CUT_RECORD_LEN: u64 = 64;

/// One scheduled fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub kind: FaultKind,
    pub target: Target,
    /// How long the fault lasts before it is healed.
    pub hold: Duration,
    /// Quiet time after healing.
    pub gap: Duration,
    /// ClockSkew: the offset in ms.
    pub clock_offset_ms: i64,
    /// TornWrite: the damage.
    pub tear: Option<Tear>,
    /// Membership: how the change runs.
    pub membership: Option<MembershipPlan>,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?} hold={}ms gap={}ms",
            self.kind.name(),
            self.target,
            self.hold.as_millis(),
            self.gap.as_millis()
        )?;
        if self.kind == FaultKind::ClockSkew {
            write!(f, " offset={}ms", self.clock_offset_ms)?;
        }
        if let Some(tear) = &self.tear {
            match tear {
                Tear::CutRecord(n) => write!(f, " cut-record={n}B")?,
                Tear::ChopWritten(n) => write!(f, " chop-written={n}B")?,
                Tear::Garbage(bytes) => write!(f, " garbage={}B", bytes.len())?,
            }
        }
        if let Some(plan) = &self.membership {
            write!(f, " rejoin={:?} via={}", plan.rejoin, plan.via)?;
            if let Some(kill) = &plan.kill {
                write!(
                    f,
                    " kill={:?}@{:?}+{}ms down={}ms",
                    kill.who,
                    kill.phase,
                    kill.after.as_millis(),
                    kill.down.as_millis()
                )?;
            }
        }
        Ok(())
    }
}

/// Bound on steps in a schedule, whatever the duration.
const STEPS_MAX: usize = 10_000;

/// A schedule of faults from `seed` filling about `total`: every kind in `kinds` first,
/// in a seeded order, then kinds at random. A membership change, the longest fault, is
/// among the first two steps, so that even a short run gets to it.
pub fn schedule(seed: u64, kinds: &[FaultKind], total: Duration) -> Vec<Step> {
    assert!(
        !kinds.is_empty(),
        "a schedule needs at least one fault kind"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let mut order: Vec<FaultKind> = kinds.to_vec();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    if let Some(at) = order.iter().position(|&k| k == FaultKind::Membership) {
        let early = rng.random_range(0..=at.min(1));
        let kind = order.remove(at);
        order.insert(early, kind);
    }
    let mut steps = Vec::new();
    let mut planned = Duration::ZERO;
    while planned < total && steps.len() < STEPS_MAX {
        let kind = if steps.len() < order.len() {
            order[steps.len()]
        } else {
            kinds[rng.random_range(0..kinds.len())]
        };
        let step = step(&mut rng, kind);
        planned += step.hold + step.gap;
        steps.push(step);
    }
    steps
}

fn step(rng: &mut StdRng, kind: FaultKind) -> Step {
    let any = Target::Any(rng.random_range(0..1_000));
    let (target, hold_ms) = match kind {
        FaultKind::Kill => {
            let leader = rng.random_bool(0.7);
            (
                if leader { Target::Leader } else { any },
                rng.random_range(500..3_000),
            )
        }
        // Longer than the largest election timeout (2 × 500 ms in fault runs).
        FaultKind::Pause => {
            let leader = rng.random_bool(0.5);
            (
                if leader { Target::Leader } else { any },
                rng.random_range(1_500..4_000),
            )
        }
        FaultKind::PartitionLeader => (Target::Leader, rng.random_range(2_000..5_000)),
        FaultKind::PartitionSplit | FaultKind::PartitionBridge => {
            (any, rng.random_range(2_000..5_000))
        }
        FaultKind::ClockSkew => (any, rng.random_range(2_000..5_000)),
        FaultKind::TornWrite => {
            let leader = rng.random_bool(0.5);
            (
                if leader { Target::Leader } else { any },
                rng.random_range(200..1_500),
            )
        }
        // The hold is how long the cluster runs without the removed node.
        FaultKind::Membership => {
            let leader = rng.random_bool(0.4);
            (
                if leader { Target::Leader } else { any },
                rng.random_range(500..3_000),
            )
        }
    };
    let clock_offset_ms = if kind == FaultKind::ClockSkew {
        let magnitude = rng.random_range(2_000..30_000);
        match rng.random_range(0..3) {
            // A minute ahead: a leader elected there stamps entries a minute later, which
            // must not end a lock's lease early (the lock workload checks it).
            0 => 60_000,
            1 => magnitude,
            _ => -magnitude,
        }
    } else {
        0
    };
    let tear = (kind == FaultKind::TornWrite).then(|| {
        if rng.random_bool(0.5) {
            Tear::CutRecord(rng.random_range(1..CUT_RECORD_LEN))
        } else {
            let len = rng.random_range(1..64);
            Tear::Garbage((0..len).map(|_| rng.random()).collect())
        }
    });
    let membership = (kind == FaultKind::Membership).then(|| MembershipPlan {
        rejoin: if rng.random_bool(0.5) {
            Rejoin::Join
        } else {
            Rejoin::AddLearner
        },
        via: rng.random_range(0..1_000),
        kill: rng.random_bool(0.6).then(|| MidChangeKill {
            who: match rng.random_range(0..3) {
                0 => KillWho::Leader,
                1 => KillWho::Changed,
                _ => KillWho::Other,
            },
            phase: if rng.random_bool(0.5) {
                Phase::Remove
            } else {
                Phase::Rejoin
            },
            after: Duration::from_millis(rng.random_range(0..800)),
            down: Duration::from_millis(rng.random_range(300..2_500)),
        }),
    });
    Step {
        kind,
        target,
        hold: Duration::from_millis(hold_ms),
        gap: Duration::from_millis(rng.random_range(500..2_000)),
        clock_offset_ms,
        tear,
        membership,
    }
}

/// The last segment file under `<data_dir>/raft/log/`.
pub fn last_segment(data_dir: &Path) -> Result<PathBuf, String> {
    let log_dir = data_dir.join("raft").join("log");
    let entries = std::fs::read_dir(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .max()
        .ok_or_else(|| format!("no segment in {}", log_dir.display()))
}

/// Where the records of a segment end: at a zero header (redraft zero-fills the active
/// segment ahead of its records), at a header whose record would pass the end of the file, or
/// at the end of the file.
fn records_end(bytes: &[u8]) -> u64 {
    let mut offset = 0usize;
    while let Some(header) = bytes.get(offset..offset + 8) {
        if header == [0; 8] {
            break;
        }
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        offset = offset.saturating_add(8 + len);
    }
    offset.min(bytes.len()) as u64
}

/// Damages the tail of the records in the last segment of the (stopped) node's log, as a crash
/// in the middle of a write would, and leaves nothing after the damage; returns what it did.
pub fn tear_log_tail(data_dir: &Path, tear: &Tear) -> Result<String, String> {
    use std::os::unix::fs::FileExt;
    let path = last_segment(data_dir)?;
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let end = records_end(&bytes);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let write_at_end = |written: &[u8]| -> Result<(), String> {
        file.set_len(end).map_err(|e| e.to_string())?;
        file.write_all_at(written, end).map_err(|e| e.to_string())
    };
    match tear {
        Tear::CutRecord(n) => {
            let n = (*n).min(CUT_RECORD_LEN);
            let mut record = Vec::new();
            record.extend_from_slice(&(CUT_RECORD_LEN as u32).to_le_bytes());
            record.extend_from_slice(&0xdead_beef_u32.to_le_bytes());
            record.extend(std::iter::repeat_n(0xab_u8, (CUT_RECORD_LEN - n) as usize));
            write_at_end(&record)?;
            Ok(format!(
                "wrote a record cut {n} bytes short after the records of {} ({end} bytes)",
                path.display()
            ))
        }
        Tear::ChopWritten(n) => {
            let n = (*n).min(end);
            file.set_len(end - n).map_err(|e| e.to_string())?;
            Ok(format!(
                "chopped {n} of {end} bytes of records off {}",
                path.display()
            ))
        }
        Tear::Garbage(garbage) => {
            write_at_end(garbage)?;
            Ok(format!(
                "wrote {} garbage bytes after the records of {} ({end} bytes)",
                garbage.len(),
                path.display()
            ))
        }
    }
}

/// A fault in effect, and what healing it needs.
#[derive(Debug)]
pub enum Active {
    /// The node is down; restart it (with no extra flags).
    Killed(u64),
    Paused(u64),
    /// Links are cut; heal them all.
    Partitioned,
    /// The node runs with a clock offset; restart it without.
    Skewed(u64),
    /// The node restarted on a torn log; wait for it to catch up.
    Torn(u64),
    /// The node was removed from the membership, stopped and wiped; add it back.
    Removed(u64, MembershipPlan),
}

/// The node `target` names now.
async fn resolve(cluster: &Cluster, target: Target) -> u64 {
    let ids = cluster.ids();
    match target {
        Target::Leader => match cluster.current_leader().await {
            Ok(leader) => leader,
            Err(_) => ids[0],
        },
        Target::Any(n) => ids[(n % ids.len() as u64) as usize],
    }
}

/// Injects `step`; returns what is in effect and a description for the log.
pub async fn inject(cluster: &Cluster, step: &Step) -> (Active, String) {
    let victim = resolve(cluster, step.target).await;
    let others: Vec<u64> = cluster
        .ids()
        .into_iter()
        .filter(|&id| id != victim)
        .collect();
    match step.kind {
        FaultKind::Kill => {
            cluster.kill(victim);
            (Active::Killed(victim), format!("killed node {victim}"))
        }
        FaultKind::Pause => {
            cluster.pause(victim);
            (Active::Paused(victim), format!("paused node {victim}"))
        }
        FaultKind::PartitionLeader | FaultKind::PartitionSplit => {
            cluster.cut_between(&[victim], &others);
            (
                Active::Partitioned,
                format!("isolated node {victim} from {others:?}"),
            )
        }
        FaultKind::PartitionBridge => {
            let (a, b) = (others[0], others[1]);
            cluster.cut_between(&[a], &[b]);
            (
                Active::Partitioned,
                format!("cut {a}<->{b}; node {victim} bridges them"),
            )
        }
        FaultKind::ClockSkew => {
            cluster.kill(victim);
            let args = [
                "--clock-offset-ms".to_string(),
                step.clock_offset_ms.to_string(),
            ];
            cluster.restart_with_args(victim, &args);
            (
                Active::Skewed(victim),
                format!(
                    "restarted node {victim} with clock offset {}ms",
                    step.clock_offset_ms
                ),
            )
        }
        FaultKind::TornWrite => {
            cluster.kill(victim);
            let tear = step.tear.clone().unwrap_or(Tear::CutRecord(1));
            let what = tear_log_tail(cluster.data_dir(victim), &tear)
                .unwrap_or_else(|e| panic!("tearing node {victim}'s log: {e}"));
            cluster.restart(victim);
            (
                Active::Torn(victim),
                format!("killed node {victim}, {what}, restarted"),
            )
        }
        FaultKind::Membership => {
            let plan = step.membership.unwrap_or(MembershipPlan {
                rejoin: Rejoin::Join,
                via: 0,
                kill: None,
            });
            let what = remove_node(cluster, victim, &plan)
                .await
                .unwrap_or_else(|e| panic!("membership fault: removing node {victim}: {e}"));
            (Active::Removed(victim, plan), what)
        }
    }
}

/// Bound on a restarted node catching up after a torn tail.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(60);

/// Heals `active`.
pub async fn heal(cluster: &Cluster, active: Active) {
    match active {
        Active::Killed(id) => cluster.restart(id),
        Active::Paused(id) => cluster.resume(id),
        Active::Partitioned => cluster.heal_links(),
        Active::Skewed(id) => {
            cluster.kill(id);
            cluster.restart_with_args(id, &[]);
        }
        Active::Torn(id) => wait_caught_up(cluster, id).await,
        Active::Removed(id, plan) => {
            let what = readd_node(cluster, id, &plan)
                .await
                .unwrap_or_else(|e| panic!("membership fault: adding node {id} back: {e}"));
            eprintln!("    membership: {what}");
        }
    }
}

/// Waits (bounded) until node `id` has applied everything the leader had committed when
/// the wait began: only then may another node fail without risking entries the torn
/// node lost from its tail.
pub async fn wait_caught_up(cluster: &Cluster, id: u64) {
    let leader = cluster.wait_leader(CATCH_UP_TIMEOUT).await;
    let target = cluster.info(leader).await.num("commit_index");
    crate::wait_for(
        &format!("node {id} to apply up to {target}"),
        CATCH_UP_TIMEOUT,
        || async {
            let info = cluster.try_info(id).await?;
            let applied = info.num("applied_index");
            if applied >= target {
                Ok(())
            } else {
                Err(format!("applied {applied} < {target}"))
            }
        },
    )
    .await;
}

/// Heals everything: links, paused nodes, nodes down, clock offsets.
pub fn heal_all(cluster: &Cluster) {
    cluster.heal_links();
    for id in cluster.ids() {
        if cluster.is_paused(id) {
            cluster.resume(id);
        }
        if !cluster.is_running(id) {
            cluster.restart_with_args(id, &[]);
        }
    }
}

/// Bound on each half of a membership fault: the removal (retries included), and adding the
/// node back until it is a voter (a learner's catch-up, by snapshot, included).
const MEMBERSHIP_TIMEOUT: Duration = Duration::from_secs(150);
/// Bound on one admin command's reply (`ADDLEARNER` waits up to 60 s for the catch-up).
const ADMIN_REPLY_TIMEOUT: Duration = Duration::from_secs(70);
/// Bound on the write that proves the leader's membership committed.
const BARRIER_REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between two looks at the membership (and admin retries).
const ADMIN_RETRY_PAUSE: Duration = Duration::from_millis(300);
/// A learner left behind by an interrupted `--join` (restarted with its data, it does not
/// join again) is promoted by hand after this long.
const STUCK_LEARNER_AFTER: Duration = Duration::from_secs(10);
/// The key of the write that proves a membership committed (not a workload key).
pub const BARRIER_KEY: &str = "nemesis:membership-barrier";

/// The membership as the confirmed leader reports it (its `INFO raft`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub leader: u64,
    pub term: u64,
    pub voters: BTreeSet<u64>,
    pub learners: BTreeSet<u64>,
}

impl Membership {
    pub fn has(&self, id: u64) -> bool {
        self.voters.contains(&id) || self.learners.contains(&id)
    }
}

fn parse_ids(list: Option<&str>) -> BTreeSet<u64> {
    list.unwrap_or("")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// The leader's view of the membership (its effective one, which may not have committed).
pub async fn membership(cluster: &Cluster) -> Result<Membership, String> {
    let leader = cluster.current_leader().await?;
    let info = cluster.try_info(leader).await?;
    if info.role() != "leader" {
        return Err(format!("node {leader} is no longer leading"));
    }
    Ok(Membership {
        leader,
        term: info.num("term"),
        voters: parse_ids(info.get("members")),
        learners: parse_ids(info.get("learners")),
    })
}

/// `RAFT <args>` through node `via`: the reply, or why there was none.
pub async fn raft_admin(cluster: &Cluster, via: u64, args: &[&str]) -> Result<OwnedFrame, String> {
    let mut client = RawClient::connect(cluster.port(via))
        .await
        .map_err(|e| format!("connect to node {via}: {e}"))?;
    client.set_reply_timeout(ADMIN_REPLY_TIMEOUT);
    let mut argv = vec!["RAFT"];
    argv.extend_from_slice(args);
    client
        .call_frame(&argv)
        .await
        .map_err(|e| format!("RAFT {args:?} through node {via}: {e}"))
}

fn frame_text(frame: &OwnedFrame) -> String {
    match frame {
        OwnedFrame::SimpleString(s) => format!("+{}", String::from_utf8_lossy(s)),
        OwnedFrame::Error(e) => format!("-{e}"),
        other => format!("{other:?}"),
    }
}

/// The members to send commands through, `via`'s pick first: every node but `changed`
/// that is up.
fn vias(cluster: &Cluster, changed: u64, via: u64) -> Vec<u64> {
    let mut others: Vec<u64> = cluster
        .ids()
        .into_iter()
        .filter(|&id| id != changed)
        .collect();
    if !others.is_empty() {
        let n = others.len();
        others.rotate_left((via % n as u64) as usize);
    }
    others.retain(|&id| cluster.is_up(id));
    others
}

/// Whether node `id` is out of the membership for good: the leader's membership lacks it,
/// and a write through that leader in the same term succeeded, so the entry that removed
/// it (earlier in that leader's log) has committed. Only then may the node be wiped: a
/// removal that a crash undid would leave a voter without the log it promised to keep.
async fn removal_committed(cluster: &Cluster, id: u64) -> Result<Membership, String> {
    let before = membership(cluster).await?;
    if before.has(id) {
        return Err(format!("node {id} is still a member: {before:?}"));
    }
    let mut client = RawClient::connect(cluster.port(before.leader))
        .await
        .map_err(|e| format!("connect to leader {}: {e}", before.leader))?;
    client.set_reply_timeout(BARRIER_REPLY_TIMEOUT);
    let reply = client
        .call_frame(&["SET", BARRIER_KEY, &id.to_string()])
        .await
        .map_err(|e| format!("barrier write: {e}"))?;
    if !matches!(&reply, OwnedFrame::SimpleString(s) if s == b"OK") {
        return Err(format!("barrier write answered {}", frame_text(&reply)));
    }
    let after = membership(cluster).await?;
    if after.leader == before.leader && after.term == before.term && !after.has(id) {
        Ok(after)
    } else {
        Err(format!(
            "leadership moved during the barrier: {before:?} -> {after:?}"
        ))
    }
}

/// The kill -9 in the middle of a change, if `kill` is set: waits `kill.after`, kills its
/// target if it is up, restarts it with its data after `kill.down`. Returns what it did.
async fn kill_mid_change(cluster: &Cluster, changed: u64, kill: Option<MidChangeKill>) -> String {
    let Some(kill) = kill else {
        return String::new();
    };
    tokio::time::sleep(kill.after).await;
    let leader = cluster.current_leader().await.ok();
    let target = match kill.who {
        KillWho::Leader => leader,
        KillWho::Changed => Some(changed),
        KillWho::Other => {
            let others: Vec<u64> = cluster
                .ids()
                .into_iter()
                .filter(|&id| id != changed)
                .collect();
            others
                .iter()
                .copied()
                .find(|&id| Some(id) != leader)
                .or(others.first().copied())
        }
    };
    let Some(target) = target.filter(|&t| cluster.is_up(t)) else {
        return format!("; mid-change kill ({:?}): no target up", kill.who);
    };
    cluster.kill(target);
    let killed_at = Instant::now();
    tokio::time::sleep(kill.down).await;
    if !cluster.is_running(target) {
        cluster.restart(target);
    }
    format!(
        "; killed node {target} ({:?}) {:?} into {:?}, restarted it after {}ms",
        kill.who,
        kill.after,
        kill.phase,
        killed_at.elapsed().as_millis()
    )
}

/// Sends `RAFT REMOVE id` (through other members in turn, retrying after `-TRYAGAIN`, a
/// cluster error or a lost reply) until the removal has committed. Returns the attempts.
async fn remove_until_committed(
    cluster: &Cluster,
    id: u64,
    via: u64,
    deadline: Instant,
) -> Result<usize, String> {
    let mut attempts = 0;
    let mut last = String::from("no attempt yet");
    let mut check = String::from("not checked yet");
    loop {
        // The first look is skipped: the node is a member until asked.
        if attempts > 0 {
            match removal_committed(cluster, id).await {
                Ok(_) => return Ok(attempts),
                Err(e) => check = e,
            }
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "not removed after {attempts} REMOVE attempts; last reply: {last}; last check: {check}"
            ));
        }
        let through = vias(cluster, id, via + attempts as u64);
        if let Some(&node) = through.first() {
            attempts += 1;
            last = match raft_admin(cluster, node, &["REMOVE", &id.to_string()]).await {
                Ok(frame) => format!("REMOVE through {node}: {}", frame_text(&frame)),
                Err(e) => e,
            };
        }
        tokio::time::sleep(ADMIN_RETRY_PAUSE).await;
    }
}

/// First half of the membership fault: `RAFT REMOVE id` until it has committed (with the
/// plan's kill in the middle if it is in the removal), then stop node `id` and wipe its
/// data: a removed node must never come back with its old data.
pub async fn remove_node(
    cluster: &Cluster,
    id: u64,
    plan: &MembershipPlan,
) -> Result<String, String> {
    let started = Instant::now();
    let kill = plan.kill.filter(|k| k.phase == Phase::Remove);
    let (removed, killed) = tokio::join!(
        remove_until_committed(cluster, id, plan.via, started + MEMBERSHIP_TIMEOUT),
        kill_mid_change(cluster, id, kill)
    );
    let attempts = removed?;
    if cluster.is_running(id) {
        cluster.stop(id);
    }
    cluster.wipe(id);
    Ok(format!(
        "removed node {id} ({attempts} REMOVE attempts, committed after {:.1}s), stopped and \
         wiped it{killed}",
        started.elapsed().as_secs_f64()
    ))
}

/// Sends the admin commands `plan.rejoin` needs until node `id` is a voter: with
/// `--join`, only a `PROMOTE` for a learner left behind by an interrupted join; otherwise
/// `ADDLEARNER` while it is not a member and `PROMOTE` while it is a learner. Returns the
/// commands sent, with their replies.
async fn add_until_voter(
    cluster: &Cluster,
    id: u64,
    plan: &MembershipPlan,
    deadline: Instant,
) -> Result<Vec<String>, String> {
    let addr = cluster.raft_addr(id);
    let id_text = id.to_string();
    let mut sent: Vec<String> = Vec::new();
    let mut learner_since: Option<Instant> = None;
    let mut last: String;
    loop {
        match membership(cluster).await {
            Ok(m) if m.voters.contains(&id) => return Ok(sent),
            Ok(m) => {
                let learner = m.learners.contains(&id);
                let stuck = if learner {
                    learner_since.get_or_insert_with(Instant::now).elapsed() >= STUCK_LEARNER_AFTER
                } else {
                    learner_since = None;
                    false
                };
                let command: Option<Vec<&str>> = match (plan.rejoin, learner) {
                    (Rejoin::AddLearner, false) => Some(vec!["ADDLEARNER", &id_text, &addr]),
                    (Rejoin::AddLearner, true) => Some(vec!["PROMOTE", &id_text]),
                    (Rejoin::Join, true) if stuck => Some(vec!["PROMOTE", &id_text]),
                    (Rejoin::Join, _) => None,
                };
                last = format!("{m:?}");
                let through = vias(cluster, id, plan.via + sent.len() as u64);
                if let (Some(command), Some(&node)) = (command, through.first()) {
                    let reply = match raft_admin(cluster, node, &command).await {
                        Ok(frame) => frame_text(&frame),
                        Err(e) => e,
                    };
                    sent.push(format!("{} through {node}: {reply}", command[0]));
                }
            }
            Err(e) => last = e,
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "node {id} is not a voter after {MEMBERSHIP_TIMEOUT:?}; last: {last}; sent: {sent:?}"
            ));
        }
        tokio::time::sleep(ADMIN_RETRY_PAUSE).await;
    }
}

/// Second half of the membership fault: starts the wiped node `id` fresh (with `--join`
/// through a member, or waiting to be added by hand), adds it back until it is a voter
/// (with the plan's kill in the middle if it is in this phase), then waits until it has
/// caught up.
pub async fn readd_node(
    cluster: &Cluster,
    id: u64,
    plan: &MembershipPlan,
) -> Result<String, String> {
    let started = Instant::now();
    match plan.rejoin {
        Rejoin::Join => {
            let seed = *vias(cluster, id, plan.via)
                .first()
                .ok_or_else(|| format!("no member up to join node {id} through"))?;
            cluster.start_fresh(id, Some(seed));
        }
        Rejoin::AddLearner => cluster.start_fresh(id, None),
    }
    let kill = plan.kill.filter(|k| k.phase == Phase::Rejoin);
    let (added, killed) = tokio::join!(
        add_until_voter(cluster, id, plan, started + MEMBERSHIP_TIMEOUT),
        kill_mid_change(cluster, id, kill)
    );
    let sent = added?;
    let voter_after = started.elapsed();
    wait_caught_up(cluster, id).await;
    Ok(format!(
        "node {id} back ({:?}) as a voter after {:.1}s, caught up after {:.1}s; commands: {}{killed}",
        plan.rejoin,
        voter_after.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        if sent.is_empty() {
            "none".to_string()
        } else {
            sent.join(", ")
        }
    ))
}

/// Membership change under load: removes node `id` (until the removal has committed),
/// stops it, wipes its data, and adds it back as a fresh node until it is a caught-up
/// voter, following `plan` (how it rejoins, and an optional kill -9 in the middle).
pub async fn remove_and_readd_node(
    cluster: &Cluster,
    id: u64,
    plan: &MembershipPlan,
) -> Result<String, String> {
    let removed = remove_node(cluster, id, plan).await?;
    let added = readd_node(cluster, id, plan).await?;
    Ok(format!("{removed}; {added}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_schedule_and_every_kind_comes_first() {
        let total = Duration::from_secs(60);
        let a = schedule(42, &FaultKind::ALL, total);
        assert_eq!(a, schedule(42, &FaultKind::ALL, total));
        assert_ne!(a, schedule(43, &FaultKind::ALL, total));
        for seed in 0..50 {
            let early: Vec<FaultKind> = schedule(seed, &FaultKind::ALL, total)[..2]
                .iter()
                .map(|s| s.kind)
                .collect();
            assert!(
                early.contains(&FaultKind::Membership),
                "seed {seed}: {early:?}"
            );
        }
        let mut first: Vec<FaultKind> = a[..FaultKind::ALL.len()].iter().map(|s| s.kind).collect();
        first.sort();
        assert_eq!(first, FaultKind::ALL.to_vec());
        let planned: Duration = a.iter().map(|s| s.hold + s.gap).sum();
        assert!(planned >= total);
    }

    #[test]
    fn pauses_outlast_the_election_timeout_and_skews_are_seconds() {
        for step in schedule(7, &FaultKind::ALL, Duration::from_secs(600)) {
            match step.kind {
                FaultKind::Pause => assert!(step.hold >= Duration::from_millis(1_500)),
                FaultKind::ClockSkew => assert!(step.clock_offset_ms.abs() >= 2_000),
                FaultKind::TornWrite => assert!(step.tear.is_some()),
                FaultKind::Membership => assert!(step.membership.is_some()),
                _ => {}
            }
        }
    }

    #[test]
    fn tearing_a_log_chops_or_appends_at_the_last_segment_only() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("raft").join("log");
        std::fs::create_dir_all(&log).unwrap();
        std::fs::write(log.join("00000000000000000001.seg"), [1u8; 100]).unwrap();
        std::fs::write(log.join("00000000000000000002.seg"), [2u8; 50]).unwrap();
        tear_log_tail(dir.path(), &Tear::ChopWritten(7)).unwrap();
        assert_eq!(
            std::fs::read(log.join("00000000000000000002.seg"))
                .unwrap()
                .len(),
            43
        );
        tear_log_tail(dir.path(), &Tear::Garbage(vec![9; 5])).unwrap();
        let last = std::fs::read(log.join("00000000000000000002.seg")).unwrap();
        assert_eq!(last.len(), 48);
        assert_eq!(&last[43..], &[9; 5]);
        tear_log_tail(dir.path(), &Tear::CutRecord(10)).unwrap();
        let cut = std::fs::read(log.join("00000000000000000002.seg")).unwrap();
        assert_eq!(cut.len(), 48 + 8 + 54);
        assert_eq!(&cut[..48], &last[..]);
        assert_eq!(
            std::fs::read(log.join("00000000000000000001.seg"))
                .unwrap()
                .len(),
            100
        );
    }

    #[test]
    fn tearing_acts_where_the_records_end_not_after_the_zero_fill() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("raft").join("log");
        std::fs::create_dir_all(&log).unwrap();
        let segment = log.join("00000000000000000001.seg");
        // One record of 4 payload bytes, then zeros written ahead of the next.
        let mut bytes = vec![4, 0, 0, 0, 1, 2, 3, 4, 7, 7, 7, 7];
        bytes.resize(4096, 0);
        std::fs::write(&segment, &bytes).unwrap();
        tear_log_tail(dir.path(), &Tear::ChopWritten(2)).unwrap();
        assert_eq!(std::fs::read(&segment).unwrap(), &bytes[..10]);
        std::fs::write(&segment, &bytes).unwrap();
        tear_log_tail(dir.path(), &Tear::Garbage(vec![9; 3])).unwrap();
        assert_eq!(std::fs::read(&segment).unwrap()[12..], [9, 9, 9]);
    }
}
