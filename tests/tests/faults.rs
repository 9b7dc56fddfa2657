//! Jepsen-style fault runs: a three-node cluster under crashes, pauses, partitions, clock
//! skew, torn log tails and membership changes (remove a node, wipe it, add it back, with
//! kills in the middle), with register, counter, list-append, set, queue and lock workloads on
//! every node, checked for linearizability (registers), lost or invented writes, and the lock
//! service's guarantees (tests/src/lock_check.rs).
//!
//! Each test prints one summary line (seed, operations, faults, anomalies, lost writes).
//! Replay a run: `REDRAFT_FAULT_SEED=<seed> cargo test -p redraft-tests --test faults
//! <name> -- --nocapture`. Long mode (see docs/testing.md):
//! `REDRAFT_FAULT_SECONDS=1800 cargo test -p redraft-tests --test faults
//! every_fault_kind -- --nocapture`.
//!
//! The runs take turns (a lock): three nodes per run already load a 2-core machine.

use std::sync::Mutex;
use std::time::Duration;

use redraft_tests::fault_run::{run, RunConfig, RunReport};
use redraft_tests::nemesis::FaultKind;
use redraft_tests::workload::Workload;

static ONE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `kinds` for `seconds` with every workload, one run at a time, and checks that
/// each kind was injected at least once. Every run's nodes check the cluster secret.
fn fault_run(name: &str, kinds: &[FaultKind], seconds: u64) -> RunReport {
    fault_run_with(name, kinds, seconds, false)
}

/// [`fault_run`], with mutual TLS between the nodes when `tls`.
fn fault_run_with(name: &str, kinds: &[FaultKind], seconds: u64, tls: bool) -> RunReport {
    let _turn = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = runtime.block_on(run(RunConfig {
        name: name.to_string(),
        kinds: kinds.to_vec(),
        workloads: Workload::ALL.to_vec(),
        duration: Duration::from_secs(seconds),
        tls,
    }));
    for kind in kinds {
        assert!(
            report.faults.contains_key(kind.name()),
            "{} was never injected: {}",
            kind.name(),
            report.summary
        );
    }
    assert!(report.ok > 0, "no operation succeeded: {}", report.summary);
    assert!(
        report.lock_grants > 0,
        "no lock was granted: {}",
        report.summary
    );
    assert!(
        report.cas_applied > 0,
        "no compare-and-set applied: {}",
        report.summary
    );
    assert!(
        report.queue_popped > 0,
        "no queue element popped: {}",
        report.summary
    );
    report
}

#[test]
fn crashes_and_torn_log_tails_lose_no_acknowledged_write() {
    fault_run("crash", &[FaultKind::Kill, FaultKind::TornWrite], 25);
}

#[test]
fn paused_nodes_and_skewed_clocks_keep_histories_linearizable() {
    fault_run("pause-skew", &[FaultKind::Pause, FaultKind::ClockSkew], 25);
}

/// Over mutual TLS: the proxies that cut the links carry the TLS bytes unchanged.
#[test]
fn leader_minority_and_bridge_partitions_keep_histories_linearizable() {
    fault_run_with(
        "partition",
        &[
            FaultKind::PartitionLeader,
            FaultKind::PartitionSplit,
            FaultKind::PartitionBridge,
        ],
        30,
        true,
    );
}

#[test]
fn removing_and_readding_nodes_with_kills_mid_change_loses_no_acknowledged_write() {
    fault_run("membership", &[FaultKind::Membership, FaultKind::Kill], 40);
}

#[test]
fn every_fault_kind_mixed_keeps_every_acknowledged_write_and_linearizable_histories() {
    fault_run("mixed", &FaultKind::ALL, 60);
}
