//! One fault run, start to verdict: a three-node cluster with proxied links, workload
//! clients on every node, the nemesis following a seeded schedule, then healing,
//! convergence, final reads on every node, and the checkers.
//!
//! Environment:
//! - `REDRAFT_FAULT_SEED=<n>`: replay a seed (the schedule and each client's choices).
//! - `REDRAFT_FAULT_SECONDS=<n>`: run this long instead of the test's default.
//! - `REDRAFT_KEEP_HISTORY=1`: keep the history file of a passing run too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis_protocol::resp2::types::OwnedFrame;

use crate::checks::{self, Findings};
use crate::cluster::{Cluster, ClusterOptions, Info};
use crate::history::{History, Op, OpKind, OpResult, Outcome};
use crate::linearizability::{self, Verdict};
use crate::lock_check;
use crate::nemesis::{self, FaultKind};
use crate::raw::RawClient;
use crate::workload::{
    self, fenced_counter, Shared, Workload, COUNTER_KEY, MUTEX_NAME, QUEUE_KEY, SEMAPHORE_NAME,
};

/// Flags of every node in a fault run: short timeouts so faults show within seconds, and
/// snapshots often enough that lagging nodes catch up by snapshot too.
const NODE_ARGS: [&str; 8] = [
    "--election-timeout-ms",
    "500",
    "--heartbeat-ms",
    "100",
    "--request-timeout-ms",
    "2000",
    "--snapshot-logs",
    "1000",
];
/// Bound on all replicas reaching the same applied index after healing.
const CONVERGE_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound on clients finishing after the run's end (one reply timeout plus slack).
const CLIENTS_STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// Bound on one final read.
const FINAL_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts at one final read (a fresh leader may still answer -TRYAGAIN).
const FINAL_READ_ATTEMPTS_MAX: usize = 50;

/// What to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Names the run in output and in the history file's name.
    pub name: String,
    pub kinds: Vec<FaultKind>,
    pub workloads: Vec<Workload>,
    /// Duration unless `REDRAFT_FAULT_SECONDS` is set.
    pub duration: Duration,
    /// Nodes talk over mutual TLS (and serve a TLS client port) besides the cluster secret,
    /// which every run has.
    pub tls: bool,
}

/// What a run found. `assert_clean` fails the test on any anomaly.
#[derive(Debug, Default)]
pub struct RunReport {
    pub seed: u64,
    pub ops: usize,
    pub ok: usize,
    pub fail: usize,
    pub unknown: usize,
    pub faults: BTreeMap<&'static str, usize>,
    pub register_keys: usize,
    /// Compare-and-set operations (WATCH ... EXEC) that applied, and that aborted.
    pub cas_applied: usize,
    pub cas_aborted: usize,
    /// Queue elements popped (acknowledged BRPOPs that returned one).
    pub queue_popped: usize,
    /// Lock permits granted (acknowledged LOCK.ACQUIREs that returned a token).
    pub lock_grants: usize,
    pub findings: Findings,
    pub workloads_run: Vec<Workload>,
    pub workloads_missing: Vec<(Workload, String)>,
    pub history_path: PathBuf,
    pub summary: String,
}

/// The seed: `REDRAFT_FAULT_SEED` or a fresh one from the clock.
pub fn seed() -> u64 {
    match std::env::var("REDRAFT_FAULT_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("REDRAFT_FAULT_SEED={text:?} is not a u64")),
        Err(_) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            nanos ^ u64::from(std::process::id()).rotate_left(32)
        }
    }
}

fn duration(default: Duration) -> Duration {
    match std::env::var("REDRAFT_FAULT_SECONDS") {
        Ok(text) => Duration::from_secs(
            text.trim()
                .parse()
                .unwrap_or_else(|_| panic!("REDRAFT_FAULT_SECONDS={text:?} is not a number")),
        ),
        Err(_) => default,
    }
}

/// Runs `config` and fails the test (with the seed, the history file and every node's
/// log tail) when anything is wrong. Prints one summary line either way.
pub async fn run(config: RunConfig) -> RunReport {
    let seed = seed();
    let duration = duration(config.duration);
    let steps = nemesis::schedule(seed, &config.kinds, duration);
    eprintln!(
        "fault-run {}: seed={seed} duration={}s (replay: REDRAFT_FAULT_SEED={seed})",
        config.name,
        duration.as_secs()
    );
    for (i, step) in steps.iter().enumerate() {
        eprintln!("  schedule[{i}]: {step}");
    }
    let mut options = ClusterOptions::default().args(&NODE_ARGS);
    if config.kinds.iter().any(|k| k.needs_proxies()) {
        options = options.proxied_links();
    }
    if config.tls {
        options = options.tls();
    }
    let cluster = Cluster::start_with(3, options).await;
    let mut report = RunReport {
        seed,
        history_path: std::env::temp_dir()
            .join(format!("redraft-fault-{}-{seed}.jsonl", config.name)),
        ..RunReport::default()
    };
    let leader_port = cluster.port(cluster.leader().await);
    for &w in &config.workloads {
        match workload::probe(leader_port, w).await {
            Ok(()) => report.workloads_run.push(w),
            Err(reply) => {
                eprintln!(
                    "fault-run {}: WORKLOAD NOT RUN: {} (the server answered {reply})",
                    config.name,
                    w.name()
                );
                report.workloads_missing.push((w, reply));
            }
        }
    }

    let started = Instant::now();
    let history = Arc::new(History::new(started));
    let shared = Arc::new(Shared::default());
    let deadline = started + duration;
    let nodes: Vec<(u64, u16)> = cluster
        .ids()
        .into_iter()
        .map(|id| (id, cluster.port(id)))
        .collect();
    let tasks: Vec<_> = workload::clients(seed, &nodes, &report.workloads_run)
        .into_iter()
        .map(|client| tokio::spawn(client.run(history.clone(), shared.clone(), deadline)))
        .collect();

    for step in &steps {
        if Instant::now() + step.hold >= deadline {
            break;
        }
        let (active, what) = nemesis::inject(&cluster, step).await;
        eprintln!(
            "  t={:.1}s {}: {what}",
            started.elapsed().as_secs_f64(),
            step.kind.name()
        );
        *report.faults.entry(step.kind.name()).or_default() += 1;
        // The fault's duration is the point here: there is nothing to poll for.
        tokio::time::sleep(step.hold).await;
        nemesis::heal(&cluster, active).await;
        eprintln!("  t={:.1}s healed", started.elapsed().as_secs_f64());
        tokio::time::sleep(
            step.gap
                .min(deadline.saturating_duration_since(Instant::now())),
        )
        .await;
    }
    tokio::time::sleep(deadline.saturating_duration_since(Instant::now())).await;
    shared.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        tokio::time::timeout(CLIENTS_STOP_TIMEOUT, task)
            .await
            .expect("a workload client did not stop in time")
            .expect("a workload client panicked");
    }

    nemesis::heal_all(&cluster);
    converge(&cluster).await;
    let finals = final_reads(&cluster, &history, &report.workloads_run).await;

    let ops = history.ops();
    report.ops = ops.len();
    report.ok = ops.iter().filter(|o| o.outcome == Outcome::Ok).count();
    report.fail = ops.iter().filter(|o| o.outcome == Outcome::Fail).count();
    report.unknown = ops.iter().filter(|o| o.outcome == Outcome::Unknown).count();
    let (register_keys, bad) = linearizability::check_registers(&ops);
    report.register_keys = register_keys;
    let cas = |outcome| {
        ops.iter()
            .filter(|o| matches!(o.kind, OpKind::Cas { .. }) && o.outcome == outcome)
            .count()
    };
    (report.cas_applied, report.cas_aborted) = (cas(Outcome::Ok), cas(Outcome::Fail));
    report.queue_popped = ops
        .iter()
        .filter(|o| o.kind == OpKind::Dequeue && o.outcome == Outcome::Ok)
        .filter(|o| matches!(o.result, OpResult::Value(Some(_))))
        .count();
    report.lock_grants = ops
        .iter()
        .filter(|o| matches!(o.kind, OpKind::LockAcquire { .. }) && o.outcome == Outcome::Ok)
        .filter(|o| matches!(o.result, OpResult::Int(_)))
        .count();
    for (key, verdict) in bad {
        let text = match verdict {
            Verdict::NotLinearizable { prefix_len, stuck } => {
                let stuck: Vec<String> = stuck.iter().map(|&i| ops[i].to_json()).collect();
                format!(
                    "register {key} is not linearizable (longest linearized prefix {prefix_len} ops; cannot place: {})",
                    stuck.join(" ")
                )
            }
            Verdict::BoundHit(why) => format!("register {key}: checker bound hit: {why}"),
            Verdict::Linearizable => continue,
        };
        report.findings.anomalies.push(text);
    }
    report.findings.merge(finals.check(&ops));
    let unexpected = shared.unexpected_replies.load(Ordering::Relaxed);
    if unexpected > 0 {
        let samples = shared
            .unexpected_samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        report
            .findings
            .anomalies
            .push(format!("{unexpected} unexpected replies, e.g. {samples:?}"));
    }

    let write = history.write_jsonl(&report.history_path);
    report.summary = summary(&config.name, &report, duration);
    eprintln!("{}", report.summary);
    let clean = report.findings.anomalies.is_empty() && report.findings.lost_acked_writes == 0;
    if !clean {
        if let Err(e) = write {
            eprintln!("could not write the history: {e}");
        }
        for anomaly in report.findings.anomalies.iter().take(20) {
            eprintln!("  ANOMALY: {anomaly}");
        }
        panic!(
            "fault run {} found {} anomalies and {} lost acknowledged writes; replay with \
             REDRAFT_FAULT_SEED={seed}; history: {}",
            config.name,
            report.findings.anomalies.len(),
            report.findings.lost_acked_writes,
            report.history_path.display()
        );
    }
    if std::env::var_os("REDRAFT_KEEP_HISTORY").is_none() {
        let _ = std::fs::remove_file(&report.history_path);
    }
    report
}

fn summary(name: &str, report: &RunReport, duration: Duration) -> String {
    let faults: Vec<String> = report
        .faults
        .iter()
        .map(|(k, n)| format!("{k}:{n}"))
        .collect();
    let run: Vec<&str> = report.workloads_run.iter().map(|w| w.name()).collect();
    let missing: Vec<&str> = report
        .workloads_missing
        .iter()
        .map(|(w, _)| w.name())
        .collect();
    format!(
        "fault-run {name} summary: seed={} duration={}s ops={} (ok={} fail={} unknown={}) \
         faults={} [{}] register_keys={} cas=(applied={} aborted={}) queue_popped={} lock_grants={} anomalies={} \
         lost_acked_writes={} workloads=[{}] not_run=[{}] history={}",
        report.seed,
        duration.as_secs(),
        report.ops,
        report.ok,
        report.fail,
        report.unknown,
        report.faults.values().sum::<usize>(),
        faults.join(" "),
        report.register_keys,
        report.cas_applied,
        report.cas_aborted,
        report.queue_popped,
        report.lock_grants,
        report.findings.anomalies.len(),
        report.findings.lost_acked_writes,
        run.join(","),
        missing.join(","),
        report.history_path.display()
    )
}

/// Waits (bounded) for a leader and for every node to report the same applied index,
/// equal to the leader's commit index, and then the same state digest at that index (RAFT
/// DIGEST: a hash of the replica's whole snapshot), so the replicas hold identical state.
async fn converge(cluster: &Cluster) {
    cluster.wait_leader(CONVERGE_TIMEOUT).await;
    crate::wait_for(
        "all replicas at the same applied index",
        CONVERGE_TIMEOUT,
        || async {
            let infos = cluster.infos().await;
            let mut applied = BTreeSet::new();
            let mut commits = BTreeSet::new();
            for (id, info) in &infos {
                let info = info.as_ref().map_err(|e| format!("node {id}: {e}"))?;
                applied.insert(info.num("applied_index"));
                if info.role() == "leader" {
                    commits.insert(info.num("commit_index"));
                }
            }
            if infos.len() == cluster.ids().len() && applied.len() == 1 && commits == applied {
                same_state_digest(cluster).await
            } else {
                // Where replication stands, so that a failure says which link stopped.
                let nodes: Vec<String> = infos
                    .iter()
                    .filter_map(|(id, info)| Some(describe_node(*id, info.as_ref().ok()?)))
                    .collect();
                Err(format!(
                    "applied {applied:?}, leader commit {commits:?}; nodes: {}; the leader's members: {}",
                    nodes.join("; "),
                    leader_members(cluster).await
                ))
            }
        },
    )
    .await;
}

/// One node's Raft position, as RAFT INFO gives it (a missing field shows as `?`: this only
/// describes a failure, it must not cause one).
fn describe_node(id: u64, info: &Info) -> String {
    let field = |key| info.get(key).unwrap_or("?");
    format!(
        "{id} {} term {} commit {} applied {} snapshot {} purged {}",
        info.role(),
        field("term"),
        field("commit_index"),
        field("applied_index"),
        field("snapshot_index"),
        field("purged_index"),
    )
}

/// The leader's RAFT MEMBERS (each member's match index), or why it could not be read.
async fn leader_members(cluster: &Cluster) -> String {
    let leader = match cluster.current_leader().await {
        Ok(leader) => leader,
        Err(e) => return e,
    };
    let mut client = match RawClient::connect(cluster.port(leader)).await {
        Ok(client) => client,
        Err(e) => return format!("node {leader}: {e}"),
    };
    client.set_reply_timeout(FINAL_READ_TIMEOUT);
    match client.call_frame(&["RAFT", "MEMBERS"]).await {
        Ok(frame) => format!("node {leader}: {frame:?}"),
        Err(e) => format!("node {leader}: {e}"),
    }
}

/// Ok when every node answers RAFT DIGEST with the same applied index and digest.
async fn same_state_digest(cluster: &Cluster) -> Result<(), String> {
    let mut digests = BTreeMap::new();
    for id in cluster.ids() {
        let mut client = RawClient::connect(cluster.port(id))
            .await
            .map_err(|e| format!("node {id}: {e}"))?;
        client.set_reply_timeout(FINAL_READ_TIMEOUT);
        let frame = client
            .call_frame(&["RAFT", "DIGEST"])
            .await
            .map_err(|e| format!("node {id}: {e}"))?;
        digests.insert(id, format!("{frame:?}"));
    }
    let distinct: BTreeSet<&String> = digests.values().collect();
    if distinct.len() == 1 {
        Ok(())
    } else {
        Err(format!("replicas differ in state: {digests:?}"))
    }
}

/// Final values read from every node after convergence.
#[derive(Default)]
struct Finals {
    counter: Vec<(u64, i64)>,
    lists: BTreeMap<String, Vec<(u64, Vec<String>)>>,
    sets: BTreeMap<String, Vec<(u64, Vec<String>)>>,
    /// The queue workload's list, as each node reads it.
    queue: Vec<(u64, Vec<String>)>,
    /// Each lock's FENCED counter, as each node reads it.
    fenced: BTreeMap<String, Vec<(u64, i64)>>,
    dbsize: Vec<(u64, i64)>,
    run: Vec<Workload>,
}

impl Finals {
    fn check(&self, ops: &[Op]) -> Findings {
        let mut findings = Findings::default();
        if self.run.contains(&Workload::Counter) {
            findings.merge(checks::check_counter(COUNTER_KEY, ops, &self.counter));
        }
        if self.run.contains(&Workload::Queue) {
            findings.merge(checks::check_queue(ops, &self.queue));
        }
        if self.run.contains(&Workload::Lock) {
            findings.merge(lock_check::check_locks(ops, &self.fenced));
        }
        findings.merge(checks::check_lists(ops, &self.lists));
        findings.merge(checks::check_sets(ops, &self.sets));
        if self.dbsize.iter().any(|(_, n)| *n != self.dbsize[0].1) {
            findings.anomalies.push(format!(
                "DBSIZE differs between replicas: {:?}",
                self.dbsize
            ));
        }
        findings
    }
}

/// One command on node `id` until it gives a non-cluster-error reply (bounded).
async fn read_on(cluster: &Cluster, id: u64, args: &[&str]) -> OwnedFrame {
    let mut last = String::new();
    for _ in 0..FINAL_READ_ATTEMPTS_MAX {
        let attempt = async {
            let mut client = RawClient::connect(cluster.port(id)).await?;
            client.set_reply_timeout(FINAL_READ_TIMEOUT);
            client.call_frame(args).await
        };
        match attempt.await {
            Ok(OwnedFrame::Error(e))
                if e.starts_with("CLUSTERDOWN") || e.starts_with("TRYAGAIN") =>
            {
                last = e;
            }
            Ok(frame) => return frame,
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("final read {args:?} on node {id} kept failing: {last}");
}

/// Reads every workload key from every node. Register reads go into the history (they
/// are linearizable reads like any other); the rest are returned for the checkers.
async fn final_reads(cluster: &Cluster, history: &History, run: &[Workload]) -> Finals {
    let ops = history.ops();
    let keys_of = |pred: fn(&OpKind) -> bool| -> BTreeSet<String> {
        ops.iter()
            .filter(|o| pred(&o.kind))
            .map(|o| o.key.clone())
            .collect()
    };
    let registers = keys_of(|k| matches!(k, OpKind::Read | OpKind::Write(_) | OpKind::Cas { .. }));
    let lists = keys_of(|k| matches!(k, OpKind::Append(_) | OpKind::ReadList));
    let sets = keys_of(|k| matches!(k, OpKind::Add(_) | OpKind::ReadSet));
    let mut finals = Finals {
        run: run.to_vec(),
        ..Finals::default()
    };
    for id in cluster.ids() {
        let final_client = 1_000_000 + id as usize;
        for key in &registers {
            let invoke_us = history.now_us();
            let frame = read_on(cluster, id, &["GET", key]).await;
            let result = workload::parse_value(&frame)
                .unwrap_or_else(|| panic!("final GET {key} on node {id}: {frame:?}"));
            history.record(Op {
                client: final_client,
                node: id,
                key: key.clone(),
                kind: OpKind::Read,
                outcome: Outcome::Ok,
                result,
                invoke_us,
                complete_us: history.now_us(),
                error: None,
            });
        }
        if run.contains(&Workload::Counter) {
            let frame = read_on(cluster, id, &["GET", COUNTER_KEY]).await;
            let value = match workload::parse_value(&frame) {
                Some(OpResult::Value(Some(v))) => v.parse().unwrap_or(-1),
                Some(OpResult::Value(None)) => 0,
                _ => panic!("final GET {COUNTER_KEY} on node {id}: {frame:?}"),
            };
            finals.counter.push((id, value));
        }
        for key in &lists {
            let frame = read_on(cluster, id, &["LRANGE", key, "0", "-1"]).await;
            let Some(OpResult::Items(items)) = workload::parse_items(&frame) else {
                panic!("final LRANGE {key} on node {id}: {frame:?}");
            };
            finals
                .lists
                .entry(key.clone())
                .or_default()
                .push((id, items));
        }
        if run.contains(&Workload::Queue) {
            let frame = read_on(cluster, id, &["LRANGE", QUEUE_KEY, "0", "-1"]).await;
            let Some(OpResult::Items(items)) = workload::parse_items(&frame) else {
                panic!("final LRANGE {QUEUE_KEY} on node {id}: {frame:?}");
            };
            finals.queue.push((id, items));
        }
        if run.contains(&Workload::Lock) {
            for name in [MUTEX_NAME, SEMAPHORE_NAME] {
                let frame = read_on(cluster, id, &["GET", &fenced_counter(name)]).await;
                let value = match workload::parse_value(&frame) {
                    Some(OpResult::Value(Some(v))) => v.parse().unwrap_or(-1),
                    Some(OpResult::Value(None)) => 0,
                    _ => panic!("final GET of {name}'s counter on node {id}: {frame:?}"),
                };
                finals
                    .fenced
                    .entry(name.to_string())
                    .or_default()
                    .push((id, value));
            }
        }
        for key in &sets {
            let frame = read_on(cluster, id, &["SMEMBERS", key]).await;
            let Some(OpResult::Items(items)) = workload::parse_items(&frame) else {
                panic!("final SMEMBERS {key} on node {id}: {frame:?}");
            };
            finals
                .sets
                .entry(key.clone())
                .or_default()
                .push((id, items));
        }
        let frame = read_on(cluster, id, &["DBSIZE"]).await;
        if let OwnedFrame::Integer(n) = frame {
            finals.dbsize.push((id, n));
        }
    }
    finals
}
