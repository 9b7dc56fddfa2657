//! A linearizability checker for register histories (Wing & Gong's search with Lowe's
//! memoization, as in Porcupine), one key at a time.
//!
//! A history is a set of operations with real-time intervals. It is linearizable when
//! some total order of them respects real time (an operation that completed before
//! another was invoked comes first) and replays correctly on a sequential register.
//!
//! The search extends a linearized prefix one operation at a time: the next one may be
//! any not-yet-linearized operation invoked before the earliest completion among the
//! definite operations still pending. (linearized set, register state) pairs already
//! explored are remembered, so each is expanded once.
//!
//! Operations whose outcome is unknown (timeout, `-TRYAGAIN`) may or may not have taken
//! effect, at any time after their invocation: they have no completion, are never
//! required, and may be linearized anywhere after they were invoked. Failed operations
//! (`-CLUSTERDOWN`) and reads without a reply tell nothing and are left out.
//!
//! The search is bounded in operations per key and in explored states; hitting either
//! bound is reported as [`Verdict::BoundHit`], never as a pass.

use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;

use crate::history::{Op, OpKind, OpResult, Outcome};

/// Most operations per key the checker accepts.
pub const OPS_PER_KEY_MAX: usize = 1_500;
/// Most (linearized set, state) pairs explored per key.
pub const STATES_MAX: usize = 2_000_000;

/// A sequential specification.
pub trait Model {
    type State: Clone + Eq + Hash;
    /// An operation together with what it observed (if its outcome is known).
    type Op;
    fn init(&self) -> Self::State;
    /// The state after `op`, or `None` when `op` cannot happen in `state`.
    fn step(&self, state: &Self::State, op: &Self::Op) -> Option<Self::State>;
}

/// A register operation and what it observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterOp {
    /// GET that returned this value (`None`: nil).
    Read(Option<String>),
    /// SET to this value.
    Write(String),
    /// Compare-and-set (for when the server has Lua / WATCH): `ok` is whether it reported
    /// success, `None` when its outcome is unknown.
    Cas {
        expect: Option<String>,
        new: String,
        ok: Option<bool>,
    },
}

/// A register that starts absent (nil).
pub struct Register;

impl Model for Register {
    type State = Option<String>;
    type Op = RegisterOp;

    fn init(&self) -> Self::State {
        None
    }

    fn step(&self, state: &Self::State, op: &RegisterOp) -> Option<Self::State> {
        match op {
            RegisterOp::Read(seen) => (seen == state).then(|| state.clone()),
            RegisterOp::Write(value) => Some(Some(value.clone())),
            RegisterOp::Cas { expect, new, ok } => {
                let matches = expect == state;
                match (matches, ok) {
                    (true, Some(false)) | (false, Some(true)) => None,
                    (true, _) => Some(Some(new.clone())),
                    (false, _) => Some(state.clone()),
                }
            }
        }
    }
}

/// One operation to check: its interval (`ret: None` when the outcome is unknown).
#[derive(Clone, Debug)]
pub struct Entry<O> {
    pub op: O,
    pub call: u64,
    pub ret: Option<u64>,
    /// Index into the caller's history, for reports.
    pub id: usize,
}

/// The checker's answer for one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    /// No order works. `stuck` are the ids of the definite operations that none of the
    /// deepest explored prefixes could linearize next; `prefix_len` is that depth.
    NotLinearizable {
        prefix_len: usize,
        stuck: Vec<usize>,
    },
    /// The history is too large or the search too wide to decide within the bounds.
    BoundHit(String),
}

/// Decides whether `entries` are linearizable with respect to `model`.
pub fn check<M: Model>(model: &M, mut entries: Vec<Entry<M::Op>>) -> Verdict {
    if entries.len() > OPS_PER_KEY_MAX {
        return Verdict::BoundHit(format!(
            "{} operations on one key > {OPS_PER_KEY_MAX}",
            entries.len()
        ));
    }
    entries.sort_by_key(|e| e.call);
    let n = entries.len();
    let definite = entries.iter().filter(|e| e.ret.is_some()).count();
    let words = n.div_ceil(64).max(1);
    let mut seen: HashSet<(Vec<u64>, M::State)> = HashSet::new();
    let mut stack: Vec<(Vec<u64>, M::State, usize)> = vec![(vec![0; words], model.init(), 0)];
    seen.insert((vec![0; words], model.init()));
    let mut deepest = (0usize, Vec::new());
    while let Some((done, state, done_definite)) = stack.pop() {
        if done_definite == definite {
            return Verdict::Linearizable;
        }
        let is_done = |i: usize| done[i / 64] & (1 << (i % 64)) != 0;
        let min_ret = (0..n)
            .filter(|&i| !is_done(i))
            .filter_map(|i| entries[i].ret)
            .min()
            .unwrap_or(u64::MAX);
        let depth = done.iter().map(|w| w.count_ones() as usize).sum::<usize>();
        let mut extended = false;
        // Entries are sorted by call: every candidate comes before the first entry invoked
        // after `min_ret`. Pushed in reverse so the earliest is explored first.
        let candidates: Vec<usize> = (0..n)
            .take_while(|&i| entries[i].call <= min_ret)
            .filter(|&i| !is_done(i))
            .collect();
        for &i in candidates.iter().rev() {
            let Some(next) = model.step(&state, &entries[i].op) else {
                continue;
            };
            extended = true;
            let mut next_done = done.clone();
            next_done[i / 64] |= 1 << (i % 64);
            if seen.insert((next_done.clone(), next.clone())) {
                if seen.len() > STATES_MAX {
                    return Verdict::BoundHit(format!(
                        "more than {STATES_MAX} states explored for {n} operations"
                    ));
                }
                let definite_step = usize::from(entries[i].ret.is_some());
                stack.push((next_done, next, done_definite + definite_step));
            }
        }
        if !extended && depth >= deepest.0 {
            let stuck: Vec<usize> = (0..n)
                .filter(|&i| !is_done(i) && entries[i].ret == Some(min_ret))
                .map(|i| entries[i].id)
                .collect();
            if depth > deepest.0 {
                deepest = (depth, stuck);
            } else {
                deepest.1.extend(stuck);
            }
        }
    }
    deepest.1.sort_unstable();
    deepest.1.dedup();
    Verdict::NotLinearizable {
        prefix_len: deepest.0,
        stuck: deepest.1,
    }
}

/// The register entries of `history` (GET / SET ops), grouped by key. Ids index `history`.
pub fn register_entries(history: &[Op]) -> BTreeMap<String, Vec<Entry<RegisterOp>>> {
    let mut keys: BTreeMap<String, Vec<Entry<RegisterOp>>> = BTreeMap::new();
    for (id, op) in history.iter().enumerate() {
        let register_op = match (&op.kind, op.outcome, &op.result) {
            (OpKind::Read, Outcome::Ok, OpResult::Value(v)) => RegisterOp::Read(v.clone()),
            (OpKind::Write(v), Outcome::Ok | Outcome::Unknown, _) => RegisterOp::Write(v.clone()),
            (OpKind::Cas { expect, new }, Outcome::Ok | Outcome::Unknown, _) => RegisterOp::Cas {
                expect: expect.clone(),
                new: new.clone(),
                ok: (op.outcome == Outcome::Ok).then_some(true),
            },
            _ => continue,
        };
        let ret = (op.outcome == Outcome::Ok).then_some(op.complete_us);
        keys.entry(op.key.clone()).or_default().push(Entry {
            op: register_op,
            call: op.invoke_us,
            ret,
            id,
        });
    }
    keys
}

/// Drops unknown-outcome writes whose value no operation observes. Values are unique, so
/// such a write can be removed from any linearization without changing what any read
/// returns (a read after it and before the next write would have returned its value).
/// This keeps the search from trying every subset of writes that timed out. (With
/// compare-and-set, a CAS expecting the value counts as observing it.)
pub fn prune_unobserved_unknown_writes(entries: Vec<Entry<RegisterOp>>) -> Vec<Entry<RegisterOp>> {
    let observed: HashSet<String> = entries
        .iter()
        .filter_map(|e| match &e.op {
            RegisterOp::Read(Some(v)) => Some(v.clone()),
            RegisterOp::Cas {
                expect: Some(v), ..
            } => Some(v.clone()),
            _ => None,
        })
        .collect();
    entries
        .into_iter()
        .filter(|e| match &e.op {
            RegisterOp::Write(v) if e.ret.is_none() => observed.contains(v),
            _ => true,
        })
        .collect()
}

/// The verdict for every register key of `history` that is not linearizable (or could
/// not be decided), and the number of keys checked.
pub fn check_registers(history: &[Op]) -> (usize, Vec<(String, Verdict)>) {
    let keys = register_entries(history);
    let checked = keys.len();
    let bad = keys
        .into_iter()
        .map(|(key, entries)| {
            let verdict = check(&Register, prune_unobserved_unknown_writes(entries));
            (key, verdict)
        })
        .filter(|(_, verdict)| *verdict != Verdict::Linearizable)
        .collect();
    (checked, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(v: &str, call: u64, ret: u64) -> Entry<RegisterOp> {
        Entry {
            op: RegisterOp::Write(v.into()),
            call,
            ret: Some(ret),
            id: 0,
        }
    }

    fn w_unknown(v: &str, call: u64) -> Entry<RegisterOp> {
        Entry {
            op: RegisterOp::Write(v.into()),
            call,
            ret: None,
            id: 0,
        }
    }

    fn r(v: Option<&str>, call: u64, ret: u64) -> Entry<RegisterOp> {
        Entry {
            op: RegisterOp::Read(v.map(String::from)),
            call,
            ret: Some(ret),
            id: 0,
        }
    }

    fn numbered(mut entries: Vec<Entry<RegisterOp>>) -> Vec<Entry<RegisterOp>> {
        for (i, e) in entries.iter_mut().enumerate() {
            e.id = i;
        }
        entries
    }

    fn verdict(entries: Vec<Entry<RegisterOp>>) -> Verdict {
        check(&Register, numbered(entries))
    }

    #[test]
    fn sequential_writes_and_reads_are_linearizable() {
        let history = vec![
            r(None, 0, 1),
            w("a", 2, 3),
            r(Some("a"), 4, 5),
            w("b", 6, 7),
            r(Some("b"), 8, 9),
        ];
        assert_eq!(verdict(history), Verdict::Linearizable);
    }

    #[test]
    fn concurrent_overlapping_ops_may_take_effect_in_either_order() {
        // Two overlapping writes; readers overlapping both may see either value, and
        // later readers agree on the one that took effect last.
        let history = vec![
            w("a", 0, 10),
            w("b", 1, 9),
            r(Some("a"), 2, 8),
            r(Some("b"), 3, 11),
            r(Some("b"), 12, 13),
        ];
        assert_eq!(verdict(history), Verdict::Linearizable);
    }

    #[test]
    fn a_stale_read_after_a_completed_write_is_not_linearizable() {
        let history = vec![w("a", 0, 1), w("b", 2, 3), r(Some("a"), 4, 5)];
        assert!(matches!(
            verdict(history),
            Verdict::NotLinearizable { stuck, .. } if stuck == vec![2]
        ));
    }

    #[test]
    fn a_lost_acknowledged_write_is_not_linearizable() {
        let history = vec![w("a", 0, 1), r(None, 2, 3)];
        assert!(matches!(verdict(history), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn a_read_of_a_never_written_value_is_not_linearizable() {
        let history = vec![w("a", 0, 1), r(Some("zzz"), 0, 5)];
        assert!(matches!(verdict(history), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn values_flipping_back_between_reads_are_not_linearizable() {
        // a then b are written concurrently; one reader sees b then a, which needs a
        // write of a after b — but each write happens once.
        let history = vec![
            w("a", 0, 100),
            w("b", 0, 100),
            r(Some("b"), 10, 20),
            r(Some("a"), 30, 40),
            r(Some("b"), 50, 60),
        ];
        assert!(matches!(verdict(history), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn an_unknown_write_may_take_effect_late_or_never() {
        let late = vec![
            w("a", 0, 1),
            w_unknown("x", 2),
            r(Some("a"), 3, 4),
            r(Some("x"), 50, 60),
        ];
        assert_eq!(verdict(late), Verdict::Linearizable);
        let never = vec![w("a", 0, 1), w_unknown("x", 2), r(Some("a"), 50, 60)];
        assert_eq!(verdict(never), Verdict::Linearizable);
        // But not before it was invoked.
        let early = vec![r(Some("x"), 0, 1), w_unknown("x", 2)];
        assert!(matches!(verdict(early), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn compare_and_set_follows_the_register_it_reads() {
        let cas = |expect: Option<&str>, new: &str, ok: Option<bool>, call, ret| Entry {
            op: RegisterOp::Cas {
                expect: expect.map(String::from),
                new: new.into(),
                ok,
            },
            call,
            ret: Some(ret),
            id: 0,
        };
        let good = vec![
            w("a", 0, 1),
            cas(Some("a"), "b", Some(true), 2, 3),
            cas(Some("a"), "c", Some(false), 4, 5),
            r(Some("b"), 6, 7),
        ];
        assert_eq!(verdict(good), Verdict::Linearizable);
        let bad = vec![w("a", 0, 1), cas(Some("a"), "b", Some(false), 2, 3)];
        assert!(matches!(verdict(bad), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn a_key_with_too_many_operations_hits_the_bound_loudly() {
        let history: Vec<_> = (0..=OPS_PER_KEY_MAX as u64)
            .map(|i| w("a", 2 * i, 2 * i + 1))
            .collect();
        assert!(matches!(verdict(history), Verdict::BoundHit(_)));
    }

    #[test]
    fn several_observed_unknown_writes_are_decided() {
        // Eight open-ended writes, read back in the reverse order of invocation.
        let mut history: Vec<_> = (0..8).map(|i| w_unknown(&format!("u{i}"), i)).collect();
        for i in 0..8u64 {
            history.push(r(Some(&format!("u{}", 7 - i)), 100 + 2 * i, 101 + 2 * i));
        }
        assert_eq!(verdict(history), Verdict::Linearizable);
    }

    #[test]
    fn unobserved_unknown_writes_are_pruned_so_many_of_them_stay_cheap() {
        let mut history: Vec<_> = (0..60).map(|i| w_unknown(&format!("u{i}"), i)).collect();
        history.push(w_unknown("seen", 70));
        history.push(w("a", 0, 80));
        history.push(r(Some("seen"), 90, 91));
        let pruned = prune_unobserved_unknown_writes(numbered(history));
        assert_eq!(pruned.len(), 3);
        assert_eq!(check(&Register, pruned), Verdict::Linearizable);
    }

    #[test]
    fn history_ops_become_register_entries_by_outcome() {
        let op = |kind: OpKind, outcome, result| Op {
            client: 0,
            node: 1,
            key: "k".into(),
            kind,
            outcome,
            result,
            invoke_us: 1,
            complete_us: 2,
            error: None,
        };
        let history = vec![
            op(OpKind::Write("a".into()), Outcome::Ok, OpResult::None),
            op(OpKind::Write("b".into()), Outcome::Fail, OpResult::None),
            op(OpKind::Write("c".into()), Outcome::Unknown, OpResult::None),
            op(OpKind::Read, Outcome::Unknown, OpResult::None),
            op(OpKind::Read, Outcome::Ok, OpResult::Value(None)),
            op(cas("a", "d"), Outcome::Ok, OpResult::None),
            op(cas("d", "e"), Outcome::Fail, OpResult::None),
            op(cas("d", "f"), Outcome::Unknown, OpResult::None),
        ];
        let entries = &register_entries(&history)["k"];
        let shapes: Vec<_> = entries
            .iter()
            .map(|e| (e.op.clone(), e.ret, e.id))
            .collect();
        assert_eq!(
            shapes,
            vec![
                (RegisterOp::Write("a".into()), Some(2), 0),
                (RegisterOp::Write("c".into()), None, 2),
                (RegisterOp::Read(None), Some(2), 4),
                (register_cas("a", "d", Some(true)), Some(2), 5),
                (register_cas("d", "f", None), None, 7),
            ]
        );
    }

    fn cas(expect: &str, new: &str) -> OpKind {
        OpKind::Cas {
            expect: Some(expect.into()),
            new: new.into(),
        }
    }

    fn register_cas(expect: &str, new: &str, ok: Option<bool>) -> RegisterOp {
        RegisterOp::Cas {
            expect: Some(expect.into()),
            new: new.into(),
            ok,
        }
    }
}
