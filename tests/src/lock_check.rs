//! The lock workload's checker (see `workload::Workload::Lock`):
//!
//! - tokens strictly increase in grant order: a grant acknowledged before another was asked
//!   for carries a lower token (or the same one, for the same owner asking again);
//! - at no moment do more clients believe they hold a lock than it has permits. A client
//!   believes from its ACQUIRE's acknowledgement until the earlier of its RELEASE's sending
//!   and its ACQUIRE's sending plus the ttl less 1 % (the documented clock-drift allowance:
//!   a holder must stop by then), so a lease ending early — a new leader's clock, a paused
//!   leader — shows as an overlap;
//! - a FENCED counter obeys the counter rules (`checks::check_increments`: between its
//!   acknowledged and acknowledged-or-unknown increments, the same on every node, distinct
//!   values returned); on a mutex, the increments' tokens never go down in
//!   counter order (a holder's token is refused once a later one was granted).

use std::collections::BTreeMap;

use crate::checks::{check_increments, Findings};
use crate::history::{Op, OpKind, OpResult, Outcome};

/// The drift allowance a holder applies to its lease (docs/locks.md).
const DRIFT: f64 = 0.01;

/// Checks the lock workload's operations; `finals` holds each lock's FENCED counter as every
/// node reads it.
pub fn check_locks(history: &[Op], finals: &BTreeMap<String, Vec<(u64, i64)>>) -> Findings {
    let mut findings = Findings::default();
    let locks: BTreeMap<&str, u32> = history
        .iter()
        .filter_map(|op| match op.kind {
            OpKind::LockAcquire { permits, .. } => Some((op.key.as_str(), permits)),
            _ => None,
        })
        .collect();
    for (&name, &permits) in &locks {
        let ops: Vec<&Op> = history.iter().filter(|op| op.key == name).collect();
        check_token_order(name, &ops, &mut findings);
        check_holders(name, permits, &ops, &mut findings);
        let counter = finals.get(name).map(Vec::as_slice).unwrap_or_default();
        check_fenced(name, permits, &ops, counter, &mut findings);
    }
    findings
}

fn granted(op: &Op) -> Option<u64> {
    match (&op.kind, op.outcome, &op.result) {
        (OpKind::LockAcquire { .. }, Outcome::Ok, OpResult::Int(token)) => Some(*token as u64),
        _ => None,
    }
}

fn check_token_order(name: &str, ops: &[&Op], findings: &mut Findings) {
    let mut grants: Vec<(&Op, u64)> = ops
        .iter()
        .filter_map(|op| Some((*op, granted(op)?)))
        .collect();
    grants.sort_by_key(|(op, _)| op.complete_us);
    let mut by_invoke = grants.clone();
    by_invoke.sort_by_key(|(op, _)| op.invoke_us);
    // For each grant, the highest token of the grants acknowledged before it was asked for.
    let mut done = 0;
    let mut highest: Option<u64> = None;
    for (op, token) in by_invoke {
        while done < grants.len() && grants[done].0.complete_us < op.invoke_us {
            highest = highest.max(Some(grants[done].1));
            done += 1;
        }
        let Some(before) = highest else {
            continue;
        };
        if token <= before && !regranted(ops, op, token) {
            findings.anomalies.push(format!(
                "lock {name}: token {token} (client {}) granted after token {before} was \
                 acknowledged",
                op.client
            ));
        }
    }
}

/// Whether `grant` of `token` is its owner asking again for a permit it already held: the
/// same client was granted `token` before, or asked before with an unknown outcome (which may
/// have granted it), and no other client was ever acknowledged `token`.
fn regranted(ops: &[&Op], grant: &Op, token: u64) -> bool {
    let others = ops
        .iter()
        .any(|op| op.client != grant.client && granted(op) == Some(token));
    let asked_before = ops.iter().any(|op| {
        op.client == grant.client
            && op.invoke_us < grant.invoke_us
            && matches!(op.kind, OpKind::LockAcquire { .. })
            && (granted(op) == Some(token) || op.outcome == Outcome::Unknown)
    });
    !others && asked_before
}

/// (start, end, client, token) of every interval in which a client believed it held the lock.
fn believed(ops: &[&Op]) -> Vec<(u64, u64, usize, u64)> {
    let mut intervals = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let (Some(token), OpKind::LockAcquire { ttl_ms, .. }) = (granted(op), &op.kind) else {
            continue;
        };
        let lease_end = op.invoke_us + ((*ttl_ms as f64) * 1000.0 * (1.0 - DRIFT)) as u64;
        let release = ops[i + 1..]
            .iter()
            .find(|later| later.client == op.client && later.kind == OpKind::LockRelease { token });
        let end = release.map_or(lease_end, |r| r.invoke_us.min(lease_end));
        if end > op.complete_us {
            intervals.push((op.complete_us, end, op.client, token));
        }
    }
    intervals
}

fn check_holders(name: &str, permits: u32, ops: &[&Op], findings: &mut Findings) {
    // A holder asking again for the permit it holds (same client, same token) is one holder.
    let mut by_holder: BTreeMap<(usize, u64), Vec<(u64, u64)>> = BTreeMap::new();
    for (start, end, client, token) in believed(ops) {
        by_holder
            .entry((client, token))
            .or_default()
            .push((start, end));
    }
    let mut events: Vec<(u64, i32)> = Vec::new();
    for intervals in by_holder.values_mut() {
        for (start, end) in merged(intervals) {
            events.push((start, 1));
            events.push((end, -1));
        }
    }
    // Ends before starts at the same instant: touching intervals do not overlap.
    events.sort();
    let mut holding = 0;
    for (at, change) in events {
        holding += change;
        if holding > permits as i32 {
            findings.anomalies.push(format!(
                "lock {name}: {holding} clients believed they held it at {at} us ({permits} \
                 permits)"
            ));
            return;
        }
    }
}

/// `intervals` with the overlapping ones joined.
fn merged(intervals: &mut [(u64, u64)]) -> Vec<(u64, u64)> {
    intervals.sort();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &(start, end) in intervals.iter() {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

fn check_fenced(
    name: &str,
    permits: u32,
    ops: &[&Op],
    finals: &[(u64, i64)],
    findings: &mut Findings,
) {
    let incrs: Vec<&Op> = ops
        .iter()
        .copied()
        .filter(|op| matches!(op.kind, OpKind::FencedIncr { .. }))
        .collect();
    let counter = format!("lock {name}: FENCED counter");
    findings.merge(check_increments(&counter, &incrs, finals));
    if permits == 1 {
        let mut applied: Vec<(i64, u64)> = incrs
            .iter()
            .filter_map(|op| match (&op.kind, &op.result, op.outcome) {
                (OpKind::FencedIncr { token }, OpResult::Int(n), Outcome::Ok) => Some((*n, *token)),
                _ => None,
            })
            .collect();
        applied.sort();
        if let Some(pair) = applied.windows(2).find(|w| w[1].1 < w[0].1) {
            findings.anomalies.push(format!(
                "lock {name}: FENCED increment {} by token {} after increment {} by token {}",
                pair[1].0, pair[1].1, pair[0].0, pair[0].1
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(client: usize, kind: OpKind, outcome: Outcome, result: OpResult, at: (u64, u64)) -> Op {
        Op {
            client,
            node: 1,
            key: "m".into(),
            kind,
            outcome,
            result,
            invoke_us: at.0,
            complete_us: at.1,
            error: None,
        }
    }

    fn acquire(client: usize, token: i64, at: (u64, u64)) -> Op {
        let kind = OpKind::LockAcquire {
            permits: 1,
            ttl_ms: 3000,
        };
        op(client, kind, Outcome::Ok, OpResult::Int(token), at)
    }

    fn release(client: usize, token: u64, at: u64) -> Op {
        op(
            client,
            OpKind::LockRelease { token },
            Outcome::Ok,
            OpResult::None,
            (at, at + 10),
        )
    }

    fn fenced(client: usize, token: u64, value: i64, at: u64) -> Op {
        op(
            client,
            OpKind::FencedIncr { token },
            Outcome::Ok,
            OpResult::Int(value),
            (at, at + 5),
        )
    }

    fn finals(value: i64) -> BTreeMap<String, Vec<(u64, i64)>> {
        BTreeMap::from([("m".to_string(), vec![(1, value), (2, value)])])
    }

    #[test]
    fn a_clean_history_passes() {
        let history = [
            acquire(1, 1, (0, 100)),
            fenced(1, 1, 1, 110),
            release(1, 1, 200),
            acquire(2, 2, (150, 300)),
            fenced(2, 2, 2, 310),
            release(2, 2, 400),
        ];
        assert_eq!(check_locks(&history, &finals(2)), Findings::default());
    }

    #[test]
    fn overlapping_holders_a_token_going_down_and_a_lost_increment_are_found() {
        let overlap = [
            acquire(1, 1, (0, 100)),
            acquire(2, 2, (150, 300)),
            release(1, 1, 400),
        ];
        assert_eq!(check_locks(&overlap, &finals(0)).anomalies.len(), 1);
        // Token 1 acknowledged at 100; token 1 again for another client asked at 150.
        let reused = [
            acquire(1, 5, (0, 100)),
            release(1, 5, 120),
            acquire(2, 3, (150, 300)),
        ];
        assert!(!check_locks(&reused, &finals(0)).anomalies.is_empty());
        let down = [
            acquire(1, 1, (0, 100)),
            release(1, 1, 120),
            acquire(2, 2, (150, 300)),
            fenced(2, 2, 1, 310),
            fenced(1, 1, 2, 320),
            release(2, 2, 400),
        ];
        assert!(!check_locks(&down, &finals(2)).anomalies.is_empty());
        let lost = [
            acquire(1, 1, (0, 100)),
            fenced(1, 1, 1, 110),
            release(1, 1, 200),
        ];
        assert_eq!(check_locks(&lost, &finals(0)).lost_acked_writes, 1);
    }

    #[test]
    fn a_holder_asking_again_for_its_permit_is_one_holder() {
        let unknown = op(
            1,
            OpKind::LockAcquire {
                permits: 1,
                ttl_ms: 3000,
            },
            Outcome::Unknown,
            OpResult::None,
            (0, 50),
        );
        let history = [
            unknown,
            acquire(2, 2, (60, 100)),
            release(2, 2, 150),
            // Client 1's unknown ACQUIRE had been granted token 1; asked again, it gets it.
            acquire(1, 1, (200, 300)),
            acquire(1, 1, (250, 320)),
            release(1, 1, 400),
        ];
        assert_eq!(check_locks(&history, &finals(0)), Findings::default());
    }

    #[test]
    fn a_lease_past_its_ttl_is_no_longer_believed() {
        // Client 1 never released; its lease (3 s less 1 %) ended before client 2's grant.
        let history = [
            acquire(1, 1, (0, 100)),
            acquire(2, 2, (3_000_000, 3_100_000)),
        ];
        assert_eq!(check_locks(&history, &finals(0)), Findings::default());
        let early = [
            acquire(1, 1, (0, 100)),
            acquire(2, 2, (1_000_000, 2_000_000)),
        ];
        assert_eq!(check_locks(&early, &finals(0)).anomalies.len(), 1);
    }
}
