//! The list value: a quicklist, as in Redis. A sequence of nodes, each one [`PackedItems`]
//! buffer of up to [`NODE_ITEMS_MAX`] items and [`NODE_BYTES_MAX`] bytes. A list of one node
//! (up to 128 small items) is that node's one heap block; a bigger one adds a boxed node table
//! but pays no allocation per item. Pushes and pops touch one end node (a node is at most 8 KiB
//! to shift); an index walks the node table by counts.

use crate::args::{is, syntax_error};
use crate::packed_items::{entry_size, PackedItems};
use crate::reply::Reply;
use crate::wire::{put_bytes, Reader, SnapshotError};

/// A node holds at most this many items. Redis bounds nodes by bytes alone; the count bound
/// keeps a walk inside one node (to an index, or to the tail for RPOP) short.
pub const NODE_ITEMS_MAX: usize = 128;

/// A node's buffer stays within this many bytes unless it holds one larger item: Redis's
/// default list-max-listpack-size -2, 8 KiB.
pub const NODE_BYTES_MAX: usize = 8192;

/// Up to this many nodes, the node table is kept at its exact size (no slack for small tables);
/// beyond, it grows and shrinks geometrically so that adding a node stays amortized O(1).
const NODES_EXACT_MAX: usize = 4;

/// A list value.
#[derive(Clone, Debug)]
pub struct ListValue {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    /// At most one node (an empty list is an empty node): the value is one heap block.
    One(PackedItems),
    /// Two nodes or more. A list that shrinks back to one node returns to `One`.
    Many(Box<Nodes>),
}

/// A multi-node list: its nodes (never an empty one) and the total item count.
#[derive(Clone, Debug)]
struct Nodes {
    nodes: Vec<PackedItems>,
    len: usize,
}

impl Default for ListValue {
    fn default() -> Self {
        ListValue {
            repr: Repr::One(PackedItems::default()),
        }
    }
}

/// Lists are equal when their items are: where the nodes split depends on history (a snapshot
/// decode packs them anew), and nothing observable depends on it.
impl PartialEq for ListValue {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// Which end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The head: LEFT, LPUSH, LPOP.
    Left,
    /// The tail: RIGHT, RPUSH, RPOP.
    Right,
}

impl End {
    /// LEFT or RIGHT, case-insensitively (getListPositionFromObjectOrReply).
    pub(crate) fn parse(arg: &[u8]) -> Result<End, Reply> {
        if is(arg, "LEFT") {
            Ok(End::Left)
        } else if is(arg, "RIGHT") {
            Ok(End::Right)
        } else {
            Err(syntax_error())
        }
    }
}

/// Can `node` take `item` without passing a node bound?
fn accepts(node: &PackedItems, item: &[u8]) -> bool {
    node.fits_more(1, entry_size(item), NODE_ITEMS_MAX, NODE_BYTES_MAX)
}

fn single(item: &[u8]) -> PackedItems {
    PackedItems::from_items(std::iter::once(item))
}

/// Removes one item from `end` of `node`, which must not be empty.
fn take_end(node: &mut PackedItems, end: End) -> Vec<u8> {
    match end {
        End::Left => node.remove(0),
        End::Right => node.remove(node.len() - 1),
    }
}

impl ListValue {
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::One(node) => node.len(),
            Repr::Many(many) => many.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The nodes, none for an empty list.
    fn nodes(&self) -> &[PackedItems] {
        match &self.repr {
            Repr::One(node) if node.is_empty() => &[],
            Repr::One(node) => std::slice::from_ref(node),
            Repr::Many(many) => &many.nodes,
        }
    }

    /// The multi-node form, converting a single node into it.
    fn many(&mut self) -> &mut Nodes {
        if let Repr::One(node) = &mut self.repr {
            let node = std::mem::take(node);
            let len = node.len();
            let mut nodes = Vec::with_capacity(1);
            nodes.extend((!node.is_empty()).then_some(node));
            self.repr = Repr::Many(Box::new(Nodes { nodes, len }));
        }
        match &mut self.repr {
            Repr::Many(many) => many,
            Repr::One(_) => unreachable!("converted above"),
        }
    }

    /// After a change: to the multi-node form if a single node passed a bound, back to one
    /// node when at most one is left.
    fn settle(&mut self) {
        if matches!(&self.repr, Repr::One(node) if Nodes::oversized(node)) {
            self.many().split(0);
        }
        if let Repr::Many(many) = &mut self.repr {
            if many.nodes.len() <= 1 {
                let node = many.nodes.pop().unwrap_or_default();
                self.repr = Repr::One(node);
            }
        }
    }

    pub fn push(&mut self, end: End, item: &[u8]) {
        match &mut self.repr {
            Repr::One(node) if node.is_empty() || accepts(node, item) => match end {
                End::Left => node.insert(0, item),
                End::Right => node.push(item),
            },
            _ => self.many().push(end, item),
        }
    }

    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let item = match &mut self.repr {
            Repr::One(node) if node.is_empty() => None,
            Repr::One(node) => Some(take_end(node, end)),
            Repr::Many(many) => many.pop(end),
        };
        self.settle();
        item
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.nodes().iter().flat_map(PackedItems::iter)
    }

    /// The items from `index` on (none when `index >= len`), without walking the nodes
    /// before it item by item.
    pub fn iter_from(&self, index: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let nodes = self.nodes();
        let (node, skip) = if index < self.len() {
            locate(nodes, self.len(), index)
        } else {
            (nodes.len(), 0)
        };
        nodes[node..].iter().flat_map(PackedItems::iter).skip(skip)
    }

    /// Item `index`, which must be below the length.
    pub fn get(&self, index: usize) -> &[u8] {
        let (node, at) = locate(self.nodes(), self.len(), index);
        self.nodes()[node].get(at)
    }

    /// Replaces item `index`, which must be below the length.
    pub fn set(&mut self, index: usize, item: &[u8]) {
        match &mut self.repr {
            Repr::One(node) => node.replace(index, item),
            Repr::Many(many) => many.set(index, item),
        }
        self.settle();
    }

    /// Inserts `item` before item `index` (`index == len` appends).
    pub fn insert(&mut self, index: usize, item: &[u8]) {
        match &mut self.repr {
            Repr::One(node) => node.insert(index, item),
            Repr::Many(many) => many.insert(index, item),
        }
        self.settle();
    }

    /// Removes the first `count` items (at most the length).
    pub fn remove_front(&mut self, count: usize) {
        match &mut self.repr {
            Repr::One(node) => node.remove_range(0, count),
            Repr::Many(many) => many.remove_front(count),
        }
        self.settle();
    }

    /// Removes the last `count` items (at most the length).
    pub fn remove_back(&mut self, count: usize) {
        match &mut self.repr {
            Repr::One(node) => node.remove_range(node.len() - count, node.len()),
            Repr::Many(many) => many.remove_back(count),
        }
        self.settle();
    }

    /// A list of `items`, packed afresh (full nodes).
    pub fn from_items<'a>(items: impl Iterator<Item = &'a [u8]>) -> ListValue {
        let mut list = ListValue::default();
        items.for_each(|item| list.push(End::Right, item));
        list
    }

    /// Heap bytes the value holds: the node buffers (each exactly sized) and, for more than
    /// one node, the boxed node table.
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::One(node) => node.byte_len(),
            Repr::Many(many) => {
                let table = many.nodes.capacity() * std::mem::size_of::<PackedItems>();
                let nodes: usize = many.nodes.iter().map(PackedItems::byte_len).sum();
                std::mem::size_of::<Nodes>() + table + nodes
            }
        }
    }

    /// How many nodes hold the items, and their bytes in all (DEBUG OBJECT's ql_nodes and
    /// ql_uncompressed_size).
    pub fn node_stats(&self) -> (usize, usize) {
        let nodes = self.nodes();
        (nodes.len(), nodes.iter().map(PackedItems::byte_len).sum())
    }

    /// Redis 7.0's OBJECT ENCODING name: 7.0 encodes every list as a quicklist (the
    /// listpack encoding for small lists arrived in 7.2).
    pub fn encoding_name(&self) -> &'static str {
        "quicklist"
    }

    /// An index as LINDEX/LSET read it (negative counts from the tail), if in range.
    pub(super) fn position(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let index = if index < 0 { index + len } else { index };
        (0..len).contains(&index).then_some(index as usize)
    }

    /// Appends this value in the snapshot format: element count (u64), then each element.
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.len() as u64).to_le_bytes());
        for item in self.iter() {
            put_bytes(out, item);
        }
    }

    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<ListValue, SnapshotError> {
        let count = reader.u64()?;
        let mut list = ListValue::default();
        for _ in 0..count {
            list.push(End::Right, reader.bytes()?);
        }
        Ok(list)
    }
}

impl Nodes {
    fn push(&mut self, end: End, item: &[u8]) {
        match end {
            End::Left => match self.nodes.first_mut() {
                Some(node) if accepts(node, item) => node.insert(0, item),
                _ => self.insert_node(0, single(item)),
            },
            End::Right => match self.nodes.last_mut() {
                Some(node) if accepts(node, item) => node.push(item),
                _ => self.insert_node(self.nodes.len(), single(item)),
            },
        }
        self.len += 1;
    }

    fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let at = match end {
            End::Left => 0,
            End::Right => self.nodes.len().checked_sub(1)?,
        };
        let node = self.nodes.get_mut(at)?;
        let item = take_end(node, end);
        if node.is_empty() {
            self.remove_nodes(at, at + 1);
        }
        self.len -= 1;
        Some(item)
    }

    /// Replaces item `index`, which must be below the length.
    fn set(&mut self, index: usize, item: &[u8]) {
        let (node, at) = locate(&self.nodes, self.len, index);
        self.nodes[node].replace(at, item);
        self.rebalance(node);
    }

    /// Inserts `item` before item `index` (`index == len` appends).
    fn insert(&mut self, index: usize, item: &[u8]) {
        if index == self.len {
            return self.push(End::Right, item);
        }
        let (node, at) = locate(&self.nodes, self.len, index);
        self.nodes[node].insert(at, item);
        self.len += 1;
        self.rebalance(node);
    }

    /// Removes the first `count` items (at most the length).
    fn remove_front(&mut self, count: usize) {
        assert!(count <= self.len, "list: removing more than the length");
        let (whole, rest) = whole_nodes(count, self.nodes.iter());
        self.remove_nodes(0, whole);
        if rest > 0 {
            self.nodes[0].remove_range(0, rest);
        }
        self.len -= count;
    }

    /// Removes the last `count` items (at most the length).
    fn remove_back(&mut self, count: usize) {
        assert!(count <= self.len, "list: removing more than the length");
        let (whole, rest) = whole_nodes(count, self.nodes.iter().rev());
        let kept = self.nodes.len() - whole;
        self.remove_nodes(kept, self.nodes.len());
        if rest > 0 {
            let node = &mut self.nodes[kept - 1];
            node.remove_range(node.len() - rest, node.len());
        }
        self.len -= count;
    }

    fn insert_node(&mut self, at: usize, node: PackedItems) {
        if self.nodes.len() < NODES_EXACT_MAX {
            self.nodes.reserve_exact(1);
        }
        self.nodes.insert(at, node);
    }

    fn remove_nodes(&mut self, from: usize, to: usize) {
        self.nodes.drain(from..to);
        let len = self.nodes.len();
        if len <= NODES_EXACT_MAX || self.nodes.capacity() > 2 * len {
            self.nodes.shrink_to_fit();
        }
    }

    /// After node `at` changed in place: splits it if it passed a bound, else merges it with
    /// a neighbour when the two fit in one node, so nodes stay few and full.
    fn rebalance(&mut self, at: usize) {
        if self.split(at) {
            return;
        }
        if at + 1 < self.nodes.len() && self.mergeable(at) {
            self.merge(at);
        }
        if at > 0 && self.mergeable(at - 1) {
            self.merge(at - 1);
        }
    }

    fn oversized(node: &PackedItems) -> bool {
        node.len() > 1 && (node.len() > NODE_ITEMS_MAX || node.byte_len() > NODE_BYTES_MAX)
    }

    /// Splits node `at` where its bytes reach half, recursively, until every part is within
    /// bounds (a single larger item gets a node of its own). True if it split.
    fn split(&mut self, at: usize) -> bool {
        let node = &self.nodes[at];
        if !Self::oversized(node) {
            return false;
        }
        let half = node.byte_len() / 2;
        let mut bytes = 1;
        let mut cut = 0;
        for item in node.iter() {
            if cut > 0 && bytes + entry_size(item) > half {
                break;
            }
            bytes += entry_size(item);
            cut += 1;
        }
        let cut = cut.clamp(1, node.len() - 1);
        let rest = self.nodes[at].split_off(cut);
        self.insert_node(at + 1, rest);
        self.split(at + 1);
        self.split(at);
        true
    }

    /// Would nodes `at` and `at + 1` fit in one?
    fn mergeable(&self, at: usize) -> bool {
        let (first, second) = (&self.nodes[at], &self.nodes[at + 1]);
        first.fits_more(
            second.len(),
            second.byte_len() - 1,
            NODE_ITEMS_MAX,
            NODE_BYTES_MAX,
        )
    }

    fn merge(&mut self, at: usize) {
        let merged = {
            let (first, second) = (&self.nodes[at], &self.nodes[at + 1]);
            PackedItems::from_items(first.iter().chain(second.iter()))
        };
        self.nodes[at] = merged;
        self.remove_nodes(at + 1, at + 2);
    }
}

/// The node of `nodes` (holding `len` items) that holds item `index` and the item's place in
/// it, walking from the nearer end.
fn locate(nodes: &[PackedItems], len: usize, index: usize) -> (usize, usize) {
    assert!(index < len, "list: index out of range");
    if index < len / 2 {
        let mut index = index;
        for (at, node) in nodes.iter().enumerate() {
            if index < node.len() {
                return (at, index);
            }
            index -= node.len();
        }
    } else {
        let mut from_tail = len - 1 - index;
        for (at, node) in nodes.iter().enumerate().rev() {
            if from_tail < node.len() {
                return (at, node.len() - 1 - from_tail);
            }
            from_tail -= node.len();
        }
    }
    unreachable!("list: the node counts add up to the length")
}

/// How many whole nodes of `nodes` (from one end) `count` items cover, and how many items
/// remain to take from the next node.
fn whole_nodes<'a>(
    mut count: usize,
    nodes: impl Iterator<Item = &'a PackedItems>,
) -> (usize, usize) {
    let mut whole = 0;
    for node in nodes {
        if node.len() > count {
            break;
        }
        count -= node.len();
        whole += 1;
    }
    (whole, count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// The value's invariants: no empty node, node counts adding up to the length, every
    /// node within its bounds (or one larger item alone), a single node unboxed, no slack in
    /// a short node table.
    fn check_shape(list: &ListValue, model: &VecDeque<Vec<u8>>) {
        let nodes = list.nodes();
        assert!(nodes.iter().all(|node| !node.is_empty()));
        let counted: usize = nodes.iter().map(PackedItems::len).sum();
        assert_eq!(counted, list.len());
        assert!(nodes.iter().all(|node| !Nodes::oversized(node)));
        if let Repr::Many(many) = &list.repr {
            assert!(many.nodes.len() > 1, "a single node is kept unboxed");
            if many.nodes.len() <= NODES_EXACT_MAX {
                assert_eq!(many.nodes.capacity(), many.nodes.len(), "no slack in nodes");
            }
        }
        assert!(list.iter().eq(model.iter().map(Vec::as_slice)));
        assert!(list.iter().rev().eq(model.iter().rev().map(Vec::as_slice)));
        for (i, item) in model.iter().enumerate().step_by(7) {
            assert_eq!(list.get(i), item.as_slice());
            assert!(list.iter_from(i).eq(model.range(i..).map(Vec::as_slice)));
        }
    }

    /// A deterministic item: mostly short, sometimes past a node's byte bound.
    fn item_for(n: u64) -> Vec<u8> {
        let len = match n % 23 {
            0 => NODE_BYTES_MAX + 100,
            1 => 300,
            _ => (n % 11) as usize,
        };
        let mut item = n.to_string().into_bytes();
        item.resize(len.max(item.len()), b'x');
        item
    }

    #[test]
    fn the_packed_list_matches_a_deque_under_every_operation() {
        let mut list = ListValue::default();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut nodes_max = 0;
        for step in 0..3000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let item = item_for(state >> 8);
            let at = |len: usize| (state >> 32) as usize % len.max(1);
            match state % 10 {
                0 | 1 => {
                    list.push(End::Left, &item);
                    model.push_front(item);
                }
                2 | 3 => {
                    list.push(End::Right, &item);
                    model.push_back(item);
                }
                4 => assert_eq!(list.pop(End::Left), model.pop_front()),
                5 => assert_eq!(list.pop(End::Right), model.pop_back()),
                6 => {
                    let index = at(model.len() + 1);
                    list.insert(index, &item);
                    model.insert(index, item);
                }
                7 if !model.is_empty() => {
                    let index = at(model.len());
                    list.set(index, &item);
                    model[index] = item;
                }
                8 if step % 100 == 0 => {
                    let count = at(model.len() + 1) / 2;
                    list.remove_front(count);
                    model.drain(..count);
                }
                9 if step % 100 == 1 => {
                    let count = at(model.len() + 1) / 2;
                    list.remove_back(count);
                    model.truncate(model.len() - count);
                }
                _ => {}
            }
            check_shape(&list, &model);
            nodes_max = nodes_max.max(list.nodes().len());
        }
        assert!(nodes_max > 5, "the run built multi-node lists");
    }

    fn node_lens(list: &ListValue) -> Vec<usize> {
        list.nodes().iter().map(PackedItems::len).collect()
    }

    #[test]
    fn nodes_fill_to_their_bounds_and_pops_drain_them() {
        let mut list = ListValue::default();
        for i in 0..(2 * NODE_ITEMS_MAX + 10) {
            list.push(End::Right, i.to_string().as_bytes());
        }
        assert_eq!(node_lens(&list), [NODE_ITEMS_MAX, NODE_ITEMS_MAX, 10]);
        for _ in 0..10 {
            list.pop(End::Right);
        }
        assert_eq!(list.nodes().len(), 2, "the drained tail node is gone");
        for _ in 0..NODE_ITEMS_MAX {
            list.pop(End::Left);
        }
        assert!(matches!(list.repr, Repr::One(_)), "one node, unboxed again");
        assert_eq!(list.get(0), b"128");
        // An item too big for a shared node gets one of its own, at either end.
        let huge = vec![b'h'; NODE_BYTES_MAX];
        list.push(End::Left, &huge);
        list.push(End::Left, b"small");
        list.push(End::Right, &huge);
        assert_eq!(node_lens(&list), [1, 1, NODE_ITEMS_MAX, 1]);
        // By bytes too: 8 KiB fills before 128 items of 100 bytes.
        let wide = ListValue::from_items(std::iter::repeat_n(&[b'w'; 100][..], NODE_ITEMS_MAX));
        assert!(wide.nodes().len() > 1);
        assert!(wide
            .nodes()
            .iter()
            .all(|node| node.byte_len() <= NODE_BYTES_MAX));
    }

    #[test]
    fn a_big_item_shrunk_back_lets_its_node_merge_again() {
        let items: Vec<String> = (0..300).map(|i| format!("i{i}")).collect();
        let mut list = ListValue::from_items(items.iter().map(String::as_bytes));
        list.set(200, &[b'b'; NODE_BYTES_MAX]);
        assert!(node_lens(&list).contains(&1), "the big item sits alone");
        list.set(200, b"s");
        let lens = node_lens(&list);
        assert!(lens.iter().all(|&len| len > 1), "{lens:?}");
    }

    #[test]
    fn a_small_list_is_one_node_without_slack() {
        assert_eq!(
            std::mem::size_of::<ListValue>(),
            16,
            "the box shares the node's niche"
        );
        let items: Vec<String> = (0..10).map(|i| format!("item-{i:04}")).collect();
        let mut list = ListValue::from_items(items.iter().map(String::as_bytes));
        list.push(End::Left, b"x");
        list.pop(End::Right);
        // One block: a count byte, "x" (2 bytes) and the 9 entries of 1 + 9 bytes left; per-item
        // allocations would cost far more.
        assert!(matches!(list.repr, Repr::One(_)));
        assert_eq!(list.heap_bytes(), 1 + 2 + 9 * 10);
        assert_eq!(list.encoding_name(), "quicklist");
    }
}
