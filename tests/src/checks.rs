//! Checkers for the counter, list-append and set workloads. Each returns the anomalies
//! found (as readable sentences) and how many acknowledged writes were lost.
//!
//! Final reads are taken from every node after the faults are healed and the replicas
//! have converged; they must agree with each other and with the history.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::history::{Op, OpKind, OpResult, Outcome};

/// What a checker found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    pub anomalies: Vec<String>,
    pub lost_acked_writes: usize,
}

impl Findings {
    pub fn merge(&mut self, other: Findings) {
        self.anomalies.extend(other.anomalies);
        self.lost_acked_writes += other.lost_acked_writes;
    }
}

/// The value every node returned for one key after healing: they must all be equal.
fn agreed<'a, T: PartialEq + std::fmt::Debug>(
    what: &str,
    finals: &'a [(u64, T)],
    findings: &mut Findings,
) -> Option<&'a T> {
    let (_, first) = finals.first()?;
    if finals.iter().any(|(_, v)| v != first) {
        findings.anomalies.push(format!(
            "{what}: replicas disagree after healing: {finals:?}"
        ));
    }
    Some(first)
}

/// Counter (INCR on one key): the final value lies between the acknowledged increments
/// and those plus the unknown ones; acknowledged increments returned distinct values
/// no larger than the final one.
pub fn check_counter(key: &str, history: &[Op], finals: &[(u64, i64)]) -> Findings {
    let incrs: Vec<&Op> = history
        .iter()
        .filter(|op| op.key == key && op.kind == OpKind::Incr)
        .collect();
    check_increments(&format!("counter {key}"), &incrs, finals)
}

/// The counter rules of [`check_counter`] for any increments of one counter (`incrs`, each
/// answering the new value), read at the end on every node (`finals`); `key` names the
/// counter in the findings.
pub fn check_increments(key: &str, incrs: &[&Op], finals: &[(u64, i64)]) -> Findings {
    let mut findings = Findings::default();
    let acked = incrs.iter().filter(|op| op.outcome == Outcome::Ok).count() as i64;
    let unknown = incrs
        .iter()
        .filter(|op| op.outcome == Outcome::Unknown)
        .count() as i64;
    let Some(&last) = agreed(key, finals, &mut findings) else {
        findings.anomalies.push(format!("{key}: no final read"));
        return findings;
    };
    if last < acked {
        findings.anomalies.push(format!(
            "{key}: final value {last} < {acked} acknowledged increments"
        ));
        findings.lost_acked_writes += (acked - last) as usize;
    }
    if last > acked + unknown {
        findings.anomalies.push(format!(
            "{key}: final value {last} > {acked} acknowledged + {unknown} unknown increments"
        ));
    }
    let mut returned = HashSet::new();
    for op in incrs.iter().filter(|op| op.outcome == Outcome::Ok) {
        if let OpResult::Int(n) = op.result {
            if !returned.insert(n) {
                findings.anomalies.push(format!(
                    "{key}: two acknowledged increments both returned {n}"
                ));
            }
            if n > last || n < 1 {
                findings.anomalies.push(format!(
                    "{key}: an increment returned {n}, outside 1..={last}"
                ));
            }
        }
    }
    findings
}

/// List append (RPUSH of unique elements, LRANGE reads) on each key: the final list
/// holds every acknowledged element once, only attempted elements, in an order that
/// respects real time; every read is a prefix of the final list, holds every element
/// acknowledged before it began and none appended after it ended.
pub fn check_lists(history: &[Op], finals: &BTreeMap<String, Vec<(u64, Vec<String>)>>) -> Findings {
    let mut findings = Findings::default();
    for (key, per_node) in finals {
        let Some(last) = agreed(&format!("list {key}"), per_node, &mut findings) else {
            continue;
        };
        let ops: Vec<&Op> = history.iter().filter(|op| &op.key == key).collect();
        check_one_list(key, &ops, last, &mut findings);
    }
    findings
}

fn check_one_list(key: &str, ops: &[&Op], last: &[String], findings: &mut Findings) {
    let appends: HashMap<&str, &Op> = ops
        .iter()
        .filter_map(|op| match &op.kind {
            OpKind::Append(e) => Some((e.as_str(), *op)),
            _ => None,
        })
        .collect();
    let position: HashMap<&str, usize> = last
        .iter()
        .enumerate()
        .map(|(i, e)| (e.as_str(), i))
        .collect();
    if position.len() != last.len() {
        findings
            .anomalies
            .push(format!("list {key}: duplicated elements in {last:?}"));
    }
    for element in last {
        match appends.get(element.as_str()) {
            None => findings.anomalies.push(format!(
                "list {key}: element {element:?} was never appended"
            )),
            Some(op) if op.outcome == Outcome::Fail => findings.anomalies.push(format!(
                "list {key}: element {element:?} is present but its append failed"
            )),
            Some(_) => {}
        }
    }
    let acked: Vec<&Op> = appends
        .values()
        .copied()
        .filter(|op| op.outcome == Outcome::Ok)
        .collect();
    for op in &acked {
        if let OpKind::Append(e) = &op.kind {
            if !position.contains_key(e.as_str()) {
                findings
                    .anomalies
                    .push(format!("list {key}: acknowledged element {e:?} was lost"));
                findings.lost_acked_writes += 1;
            }
        }
    }
    // Real-time order of acknowledged appends.
    for a in &acked {
        for b in appends.values() {
            let (OpKind::Append(ea), OpKind::Append(eb)) = (&a.kind, &b.kind) else {
                continue;
            };
            if a.complete_us < b.invoke_us {
                if let (Some(pa), Some(pb)) = (position.get(ea.as_str()), position.get(eb.as_str()))
                {
                    if pa > pb {
                        findings.anomalies.push(format!(
                            "list {key}: {eb:?} precedes {ea:?}, appended after it completed"
                        ));
                    }
                }
            }
        }
    }
    for read in ops
        .iter()
        .filter(|op| op.kind == OpKind::ReadList && op.outcome == Outcome::Ok)
    {
        let OpResult::Items(items) = &read.result else {
            continue;
        };
        if items.len() > last.len() || items[..] != last[..items.len()] {
            findings.anomalies.push(format!(
                "list {key}: read {items:?} is not a prefix of the final list {last:?}"
            ));
            continue;
        }
        let seen: HashSet<&str> = items.iter().map(String::as_str).collect();
        for op in &acked {
            if let OpKind::Append(e) = &op.kind {
                if op.complete_us < read.invoke_us && !seen.contains(e.as_str()) {
                    findings.anomalies.push(format!(
                        "list {key}: read at {}us misses {e:?}, acknowledged at {}us",
                        read.invoke_us, op.complete_us
                    ));
                }
            }
        }
        for op in appends.values() {
            if let OpKind::Append(e) = &op.kind {
                if op.invoke_us > read.complete_us && seen.contains(e.as_str()) {
                    findings.anomalies.push(format!(
                        "list {key}: read ending at {}us holds {e:?}, appended at {}us",
                        read.complete_us, op.invoke_us
                    ));
                }
            }
        }
    }
}

/// Set (SADD of unique elements): the final set holds every acknowledged element and
/// only elements whose add did not fail.
pub fn check_sets(history: &[Op], finals: &BTreeMap<String, Vec<(u64, Vec<String>)>>) -> Findings {
    let mut findings = Findings::default();
    for (key, per_node) in finals {
        let normalized: Vec<(u64, Vec<String>)> = per_node
            .iter()
            .map(|(node, members)| {
                let mut members = members.clone();
                members.sort();
                (*node, members)
            })
            .collect();
        let Some(last) = agreed(&format!("set {key}"), &normalized, &mut findings) else {
            continue;
        };
        let members: HashSet<&str> = last.iter().map(String::as_str).collect();
        let adds: HashMap<&str, &Op> = history
            .iter()
            .filter(|op| &op.key == key)
            .filter_map(|op| match &op.kind {
                OpKind::Add(e) => Some((e.as_str(), op)),
                _ => None,
            })
            .collect();
        for member in &members {
            match adds.get(member) {
                None => findings
                    .anomalies
                    .push(format!("set {key}: member {member:?} was never added")),
                Some(op) if op.outcome == Outcome::Fail => findings.anomalies.push(format!(
                    "set {key}: member {member:?} is present but its add failed"
                )),
                Some(_) => {}
            }
        }
        for (element, op) in &adds {
            if op.outcome == Outcome::Ok && !members.contains(element) {
                findings.anomalies.push(format!(
                    "set {key}: acknowledged member {element:?} was lost"
                ));
                findings.lost_acked_writes += 1;
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(key: &str, kind: OpKind, outcome: Outcome, result: OpResult, t: (u64, u64)) -> Op {
        Op {
            client: 0,
            node: 1,
            key: key.into(),
            kind,
            outcome,
            result,
            invoke_us: t.0,
            complete_us: t.1,
            error: None,
        }
    }

    fn incr(outcome: Outcome, n: i64) -> Op {
        op("c", OpKind::Incr, outcome, OpResult::Int(n), (0, 1))
    }

    fn append(e: &str, outcome: Outcome, t: (u64, u64)) -> Op {
        op("l", OpKind::Append(e.into()), outcome, OpResult::None, t)
    }

    fn read_list(items: &[&str], t: (u64, u64)) -> Op {
        let items = items.iter().map(|s| s.to_string()).collect();
        op(
            "l",
            OpKind::ReadList,
            Outcome::Ok,
            OpResult::Items(items),
            t,
        )
    }

    fn finals(items: &[&str]) -> BTreeMap<String, Vec<(u64, Vec<String>)>> {
        let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        BTreeMap::from([("l".to_string(), vec![(1, items.clone()), (2, items)])])
    }

    #[test]
    fn counter_accepts_any_value_between_acknowledged_and_acknowledged_plus_unknown() {
        let history = vec![
            incr(Outcome::Ok, 1),
            incr(Outcome::Ok, 2),
            incr(Outcome::Unknown, 0),
            incr(Outcome::Fail, 0),
        ];
        assert_eq!(
            check_counter("c", &history, &[(1, 2), (2, 2)]),
            Findings::default()
        );
        assert_eq!(
            check_counter("c", &history, &[(1, 3), (2, 3)]),
            Findings::default()
        );
        let low = check_counter("c", &history, &[(1, 1), (2, 1)]);
        assert_eq!(low.lost_acked_writes, 1);
        assert!(!check_counter("c", &history, &[(1, 4)]).anomalies.is_empty());
        assert!(!check_counter("c", &history, &[(1, 2), (2, 3)])
            .anomalies
            .is_empty());
    }

    #[test]
    fn counter_flags_two_acknowledged_increments_returning_the_same_value() {
        let history = vec![incr(Outcome::Ok, 1), incr(Outcome::Ok, 1)];
        let found = check_counter("c", &history, &[(1, 2)]);
        assert_eq!(found.anomalies.len(), 1, "{found:?}");
    }

    #[test]
    fn list_history_with_prefix_reads_in_append_order_is_valid() {
        let history = vec![
            append("a", Outcome::Ok, (0, 10)),
            append("b", Outcome::Ok, (5, 15)),
            read_list(&["a"], (11, 12)),
            append("c", Outcome::Unknown, (20, 30)),
            append("d", Outcome::Fail, (20, 30)),
            read_list(&["a", "b"], (16, 17)),
            read_list(&["a", "b", "c"], (40, 41)),
        ];
        let found = check_lists(&history, &finals(&["a", "b", "c"]));
        assert_eq!(found, Findings::default());
        // An unknown append may also never happen.
        let found = check_lists(&history[..3], &finals(&["a", "b"]));
        assert_eq!(found, Findings::default());
    }

    #[test]
    fn list_lost_duplicated_reordered_or_failed_elements_are_anomalies() {
        let base = vec![
            append("a", Outcome::Ok, (0, 1)),
            append("b", Outcome::Ok, (2, 3)),
            append("x", Outcome::Fail, (2, 3)),
        ];
        let lost = check_lists(&base, &finals(&["a"]));
        assert_eq!(lost.lost_acked_writes, 1);
        assert!(!check_lists(&base, &finals(&["a", "b", "b"]))
            .anomalies
            .is_empty());
        assert!(!check_lists(&base, &finals(&["b", "a"]))
            .anomalies
            .is_empty());
        assert!(!check_lists(&base, &finals(&["a", "b", "x"]))
            .anomalies
            .is_empty());
        assert!(!check_lists(&base, &finals(&["a", "b", "zz"]))
            .anomalies
            .is_empty());
    }

    #[test]
    fn list_reads_that_are_stale_or_see_the_future_are_anomalies() {
        let mut stale = vec![
            append("a", Outcome::Ok, (0, 1)),
            append("b", Outcome::Ok, (2, 3)),
        ];
        stale.push(read_list(&["a"], (4, 5)));
        assert!(!check_lists(&stale, &finals(&["a", "b"]))
            .anomalies
            .is_empty());
        let future = vec![read_list(&["a"], (0, 1)), append("a", Outcome::Ok, (2, 3))];
        assert!(!check_lists(&future, &finals(&["a"])).anomalies.is_empty());
        let not_prefix = vec![
            append("a", Outcome::Ok, (0, 10)),
            append("b", Outcome::Ok, (0, 10)),
            read_list(&["b"], (1, 2)),
        ];
        assert!(!check_lists(&not_prefix, &finals(&["a", "b"]))
            .anomalies
            .is_empty());
    }

    #[test]
    fn sets_keep_acknowledged_members_and_only_attempted_ones() {
        let add =
            |e: &str, outcome| op("s", OpKind::Add(e.into()), outcome, OpResult::None, (0, 1));
        let history = vec![
            add("a", Outcome::Ok),
            add("b", Outcome::Unknown),
            add("c", Outcome::Fail),
        ];
        let set = |members: &[&str]| {
            let members: Vec<String> = members.iter().map(|s| s.to_string()).collect();
            BTreeMap::from([("s".to_string(), vec![(1, members.clone()), (2, members)])])
        };
        assert_eq!(check_sets(&history, &set(&["a"])), Findings::default());
        assert_eq!(check_sets(&history, &set(&["b", "a"])), Findings::default());
        assert_eq!(check_sets(&history, &set(&["b"])).lost_acked_writes, 1);
        assert!(!check_sets(&history, &set(&["a", "c"])).anomalies.is_empty());
        assert!(!check_sets(&history, &set(&["a", "q"])).anomalies.is_empty());
    }
}

/// Queue (LPUSH, BRPOP from every node): nothing popped twice, nothing popped that was never
/// pushed, nothing both popped and still queued, and every acknowledged push popped or still
/// queued, but for as many as the pops whose outcome is unknown (each may have taken one).
pub fn check_queue(history: &[Op], finals: &[(u64, Vec<String>)]) -> Findings {
    let mut findings = Findings::default();
    let Some(remaining) = agreed("queue", finals, &mut findings) else {
        return findings;
    };
    let pushes = |acked_only: bool| -> Vec<&str> {
        history
            .iter()
            .filter(|op| {
                op.outcome == Outcome::Ok || (!acked_only && op.outcome == Outcome::Unknown)
            })
            .filter_map(|op| match &op.kind {
                OpKind::Enqueue(element) => Some(element.as_str()),
                _ => None,
            })
            .collect()
    };
    let pushed: HashSet<&str> = pushes(false).into_iter().collect();
    let mut popped: HashMap<&str, usize> = HashMap::new();
    let mut unknown_pops = 0;
    for op in history.iter().filter(|op| op.kind == OpKind::Dequeue) {
        match (&op.outcome, &op.result) {
            (Outcome::Ok, OpResult::Value(Some(element))) => {
                *popped.entry(element.as_str()).or_default() += 1;
            }
            (Outcome::Unknown, _) => unknown_pops += 1,
            _ => {}
        }
    }
    for (element, times) in &popped {
        if *times > 1 {
            findings
                .anomalies
                .push(format!("queue: {element} popped {times} times"));
        }
        if !pushed.contains(element) {
            findings
                .anomalies
                .push(format!("queue: {element} popped but never pushed"));
        }
    }
    let queued: HashSet<&str> = remaining.iter().map(String::as_str).collect();
    for element in queued.iter().filter(|e| popped.contains_key(*e)) {
        findings
            .anomalies
            .push(format!("queue: {element} popped and still queued"));
    }
    if queued.len() != remaining.len() {
        findings
            .anomalies
            .push("queue: an element is queued twice".to_string());
    }
    let missing = pushes(true)
        .into_iter()
        .filter(|element| !popped.contains_key(element) && !queued.contains(element))
        .count();
    if missing > unknown_pops {
        findings.lost_acked_writes += missing - unknown_pops;
        findings.anomalies.push(format!(
            "queue: {missing} acknowledged pushes neither popped nor queued \
             ({unknown_pops} pops of unknown outcome)"
        ));
    }
    findings
}

#[cfg(test)]
mod queue_tests {
    use super::*;

    fn op(kind: OpKind, outcome: Outcome, result: OpResult) -> Op {
        Op {
            client: 0,
            node: 1,
            key: "queue".into(),
            kind,
            outcome,
            result,
            invoke_us: 1,
            complete_us: 2,
            error: None,
        }
    }

    fn push(element: &str, outcome: Outcome) -> Op {
        op(OpKind::Enqueue(element.into()), outcome, OpResult::Int(1))
    }

    fn pop(element: Option<&str>, outcome: Outcome) -> Op {
        let result = OpResult::Value(element.map(String::from));
        op(OpKind::Dequeue, outcome, result)
    }

    fn finals(items: &[&str]) -> Vec<(u64, Vec<String>)> {
        let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        vec![(1, items.clone()), (2, items)]
    }

    #[test]
    fn a_queue_checker_accepts_what_a_queue_does_and_names_what_it_must_not() {
        let good = vec![
            push("a", Outcome::Ok),
            push("b", Outcome::Ok),
            push("c", Outcome::Unknown),
            pop(Some("a"), Outcome::Ok),
            pop(None, Outcome::Ok),
        ];
        assert_eq!(check_queue(&good, &finals(&["b"])), Findings::default());
        let twice = vec![
            push("a", Outcome::Ok),
            pop(Some("a"), Outcome::Ok),
            pop(Some("a"), Outcome::Ok),
        ];
        assert_eq!(check_queue(&twice, &finals(&[])).anomalies.len(), 1);
        let lost = vec![
            push("a", Outcome::Ok),
            push("b", Outcome::Ok),
            pop(None, Outcome::Unknown),
        ];
        assert_eq!(check_queue(&lost, &finals(&[])).lost_acked_writes, 1);
        let invented = vec![pop(Some("z"), Outcome::Ok)];
        assert_eq!(check_queue(&invented, &finals(&[])).anomalies.len(), 1);
        let both = vec![push("a", Outcome::Ok), pop(Some("a"), Outcome::Ok)];
        assert_eq!(check_queue(&both, &finals(&["a"])).anomalies.len(), 1);
    }
}
