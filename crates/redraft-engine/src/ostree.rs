//! An order-statistic tree of (score, member) pairs: a treap whose nodes count their subtree,
//! so rank, select and range bounds are O(log N) expected. The large encoding of sorted sets.
//!
//! Order: score ascending (−0 and 0 are equal, as in Redis's skiplist), then member bytes.
//! Scores are never NaN. Priorities come from a counter through SplitMix64, so the shape does
//! not depend on member bytes a client chooses (no crafted degenerate trees) and two replicas
//! that apply the same operations build the same tree (the shape is not observable anyway).

use std::cmp::Ordering;

use crate::rng::splitmix64;

/// Redis's sorted-set order.
pub fn cmp_entries(a: (f64, &[u8]), b: (f64, &[u8])) -> Ordering {
    a.0.partial_cmp(&b.0)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.1.cmp(b.1))
}

type Link = Option<Box<Node>>;

#[derive(Clone, Debug)]
struct Node {
    score: f64,
    member: Box<[u8]>,
    priority: u64,
    /// Nodes in this subtree, this one included.
    size: usize,
    left: Link,
    right: Link,
}

fn size(link: &Link) -> usize {
    link.as_ref().map_or(0, |node| node.size)
}

impl Node {
    fn update(&mut self) {
        self.size = 1 + size(&self.left) + size(&self.right);
    }
}

#[derive(Clone, Debug, Default)]
pub struct OsTree {
    root: Link,
    priorities_drawn: u64,
}

/// Splits into (entries for which `goes_left` holds, the rest); `goes_left` must hold for a
/// prefix of the order.
fn split(link: Link, goes_left: &dyn Fn(f64, &[u8]) -> bool) -> (Link, Link) {
    match link {
        None => (None, None),
        Some(mut node) => {
            if goes_left(node.score, &node.member) {
                let (a, b) = split(node.right.take(), goes_left);
                node.right = a;
                node.update();
                (Some(node), b)
            } else {
                let (a, b) = split(node.left.take(), goes_left);
                node.left = b;
                node.update();
                (a, Some(node))
            }
        }
    }
}

/// Joins two trees where every entry of `a` precedes every entry of `b`.
fn merge(a: Link, b: Link) -> Link {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(mut a), Some(mut b)) => {
            if a.priority > b.priority {
                a.right = merge(a.right.take(), Some(b));
                a.update();
                Some(a)
            } else {
                b.left = merge(Some(a), b.left.take());
                b.update();
                Some(b)
            }
        }
    }
}

impl OsTree {
    pub fn len(&self) -> usize {
        size(&self.root)
    }

    /// Inserts an entry that is not in the tree.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        debug_assert!(!score.is_nan());
        self.priorities_drawn += 1;
        let node = Box::new(Node {
            score,
            member: member.into(),
            priority: splitmix64(self.priorities_drawn),
            size: 1,
            left: None,
            right: None,
        });
        let (left, right) = split(self.root.take(), &|s, m| {
            cmp_entries((s, m), (score, member)) == Ordering::Less
        });
        self.root = merge(merge(left, Some(node)), right);
    }

    /// Removes the entry; false if it was not there.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let (left, rest) = split(self.root.take(), &|s, m| {
            cmp_entries((s, m), (score, member)) == Ordering::Less
        });
        let (found, right) = split(rest, &|s, m| {
            cmp_entries((s, m), (score, member)) != Ordering::Greater
        });
        self.root = merge(left, right);
        found.is_some()
    }

    /// How many entries come first in the order for which `before` holds (a prefix): the rank
    /// of the first entry for which it does not.
    pub fn partition_point(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut count = 0;
        let mut link = &self.root;
        while let Some(node) = link {
            if before(node.score, &node.member) {
                count += size(&node.left) + 1;
                link = &node.right;
            } else {
                link = &node.left;
            }
        }
        count
    }

    /// The 0-based rank of an entry known to be in the tree.
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        self.partition_point(|s, m| cmp_entries((s, m), (score, member)) == Ordering::Less)
    }

    /// The entry at 0-based `rank`.
    pub fn select(&self, rank: usize) -> Option<(f64, &[u8])> {
        let mut rank = rank;
        let mut link = &self.root;
        while let Some(node) = link {
            let left = size(&node.left);
            match rank.cmp(&left) {
                Ordering::Less => link = &node.left,
                Ordering::Equal => return Some((node.score, &node.member)),
                Ordering::Greater => {
                    rank -= left + 1;
                    link = &node.right;
                }
            }
        }
        None
    }

    /// Every entry in order (for snapshots and conversions).
    pub fn to_vec(&self) -> Vec<(f64, Vec<u8>)> {
        let mut out = Vec::with_capacity(self.len());
        let mut stack: Vec<&Node> = Vec::new();
        let mut link = &self.root;
        loop {
            while let Some(node) = link {
                stack.push(node);
                link = &node.left;
            }
            let Some(node) = stack.pop() else {
                return out;
            };
            out.push((node.score, node.member.to_vec()));
            link = &node.right;
        }
    }
}

impl Drop for OsTree {
    /// Frees nodes without recursion, whatever the tree's depth.
    fn drop(&mut self) {
        let mut stack: Vec<Box<Node>> = self.root.take().into_iter().collect();
        while let Some(mut node) = stack.pop() {
            stack.extend(node.left.take());
            stack.extend(node.right.take());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn rank_select_and_bounds_agree_with_a_sorted_vec() {
        let mut rng = Rng::new(7);
        let mut tree = OsTree::default();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        let scores = [-1.0, 0.0, -0.0, 0.5, 2.0, f64::INFINITY, f64::NEG_INFINITY];
        for _ in 0..4000 {
            let member = format!("m{}", rng.below(60)).into_bytes();
            let score = scores[rng.below(scores.len())];
            let existing = model.iter().position(|(_, m)| *m == member);
            match (existing, rng.below(3)) {
                (Some(at), 0) => {
                    let (old, _) = model.remove(at);
                    assert!(tree.remove(old, &member));
                }
                (Some(at), _) => {
                    let (old, _) = model.remove(at);
                    assert!(tree.remove(old, &member));
                    tree.insert(score, &member);
                    model.push((score, member));
                }
                (None, _) => {
                    tree.insert(score, &member);
                    model.push((score, member));
                }
            }
            model.sort_by(|a, b| cmp_entries((a.0, &a.1), (b.0, &b.1)));
            assert_eq!(tree.len(), model.len());
            let probe = rng.below(model.len() + 1);
            if let Some((score, member)) = model.get(probe) {
                assert_eq!(tree.select(probe), Some((*score, member.as_slice())));
                assert_eq!(tree.rank(*score, member), probe);
            } else {
                assert_eq!(tree.select(probe), None);
            }
            let bound = scores[rng.below(scores.len())];
            assert_eq!(
                tree.partition_point(|s, _| s < bound),
                model.iter().filter(|(s, _)| *s < bound).count()
            );
        }
        assert_eq!(
            tree.to_vec()
                .iter()
                .map(|(s, m)| (s.to_bits(), m.clone()))
                .collect::<Vec<_>>(),
            model
                .iter()
                .map(|(s, m)| (s.to_bits(), m.clone()))
                .collect::<Vec<_>>()
        );
        assert!(!tree.remove(1234.0, b"absent"));
    }

    #[test]
    fn a_large_tree_stays_shallow_enough_to_drop() {
        let mut tree = OsTree::default();
        for i in 0..100_000u32 {
            tree.insert(f64::from(i), b"m");
        }
        assert_eq!(tree.select(99_999), Some((99_999.0, &b"m"[..])));
        assert_eq!(tree.rank(50_000.0, b"m"), 50_000);
    }
}
