//! List commands (t_list.c): the push family over one generic push, the pop family over pop
//! cores that a later blocking layer (BLPOP, BLMOVE, BLMPOP) can call as they are, ranges,
//! LINSERT/LREM/LSET/LTRIM/LPOS, and the moves LMOVE/RPOPLPUSH.
//!
//! The value is a quicklist, as in Redis: a sequence of nodes, each one [`PackedItems`]
//! buffer of up to [`NODE_ITEMS_MAX`] items and [`NODE_BYTES_MAX`] bytes. A list of one node
//! (up to 128 small items) is that node's one heap block; a bigger one adds a boxed node table
//! but pays no allocation per item. Pushes and pops touch one end node (a node is at most 8 KiB to shift);
//! an index walks the node table by counts. A list emptied by a command is deleted, as in Redis.

use crate::args::{int_arg, is, reply, syntax_error, MUST_BE_POSITIVE};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::keyspace::{Db, Entry, Value};
use crate::mpop;
use crate::packed_items::{entry_size, PackedItems};
use crate::reply::Reply;
use crate::snapshot::{put_bytes, Reader, SnapshotError};
use crate::table::{
    self, cmd, legacy, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST,
};

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

    /// After a change to the multi-node form: back to one node when at most one is left.
    fn settle(&mut self) {
        if let Repr::Many(many) = &mut self.repr {
            if many.nodes.len() <= 1 {
                let node = many.nodes.pop().unwrap_or_default();
                self.repr = Repr::One(node);
            }
        }
    }

    /// After a change to a single node: to the multi-node form if it passed a bound.
    fn split_if_oversized(&mut self) {
        if matches!(&self.repr, Repr::One(node) if Nodes::oversized(node)) {
            self.many().split(0);
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
            Repr::One(node) => Some(match end {
                End::Left => node.remove(0),
                End::Right => node.remove(node.len() - 1),
            }),
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
        self.split_if_oversized();
        self.settle();
    }

    /// Inserts `item` before item `index` (`index == len` appends).
    pub fn insert(&mut self, index: usize, item: &[u8]) {
        match &mut self.repr {
            Repr::One(node) => node.insert(index, item),
            Repr::Many(many) => many.insert(index, item),
        }
        self.split_if_oversized();
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

    /// Redis 7.0's OBJECT ENCODING name: 7.0 encodes every list as a quicklist (the
    /// listpack encoding for small lists arrived in 7.2).
    pub fn encoding_name(&self) -> &'static str {
        "quicklist"
    }

    /// An index as LINDEX/LSET read it (negative counts from the tail), if in range.
    fn position(&self, index: i64) -> Option<usize> {
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
        let item = match end {
            End::Left => node.remove(0),
            End::Right => node.remove(node.len() - 1),
        };
        if node.is_empty() {
            self.remove_nodes(at, at + 1);
        }
        self.len -= 1;
        Some(item)
    }

    /// Replaces item `index`, which must be below the length.
    fn set(&mut self, index: usize, item: &[u8]) {
        let (node, at) = self.locate(index);
        self.nodes[node].replace(at, item);
        self.rebalance(node);
    }

    /// Inserts `item` before item `index` (`index == len` appends).
    fn insert(&mut self, index: usize, item: &[u8]) {
        if index == self.len {
            return self.push(End::Right, item);
        }
        let (node, at) = self.locate(index);
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

    /// The node holding item `index` and the item's place in it, walking the node table from
    /// the nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        locate(&self.nodes, self.len, index)
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

/// Redis's normalisation of an inclusive [start, end] range over `len` elements (negative
/// indexes count from the end): None when the range is empty.
pub(crate) fn normalize_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { start + len } else { start }.max(0);
    let end = if end < 0 { end + len } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// The live list at `key`: Ok(None) when absent, WRONGTYPE for another type.
pub fn lookup_list<'a>(
    db: &'a Db,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<&'a ListValue>, Reply> {
    match db.get(key, now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::List(list),
            ..
        }) => Ok(Some(list)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

fn lookup_list_mut<'a>(
    db: &'a mut Db,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<&'a mut ListValue>, Reply> {
    match db.get_mut(key, now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::List(list),
            ..
        }) => Ok(Some(list)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

/// Deletes `key` if it holds an empty list (every command that removes elements ends here).
fn delete_if_empty(db: &mut Db, key: &[u8], now_ms: u64) {
    if matches!(lookup_list(db, key, now_ms), Ok(Some(list)) if list.is_empty()) {
        db.remove(key, now_ms);
    }
}

fn bulks(items: impl IntoIterator<Item = Vec<u8>>) -> Reply {
    Reply::Array(items.into_iter().map(Reply::Bulk).collect())
}

// ---- pop cores, shared with the blocking variants to come ----

/// Pops up to `count` elements from one end of the list at `key` (deleting it when emptied).
/// Ok(None) when the key is absent.
pub fn pop_core(
    ctx: &mut WriteCtx,
    key: &[u8],
    end: End,
    count: usize,
) -> Result<Option<Vec<Vec<u8>>>, Reply> {
    let now = ctx.now_ms;
    let Some(list) = lookup_list_mut(ctx.db(), key, now)? else {
        return Ok(None);
    };
    let taken = (0..count).map_while(|_| list.pop(end)).collect();
    delete_if_empty(ctx.db(), key, now);
    Ok(Some(taken))
}

/// A key and the elements popped from it.
pub type KeyAndItems = (Vec<u8>, Vec<Vec<u8>>);

/// LMPOP's core: pops up to `count` elements from the first non-empty list among `keys`;
/// Ok(None) when there is none. A key of another type met before a list is WRONGTYPE.
pub fn mpop_core(
    ctx: &mut WriteCtx,
    keys: &[Vec<u8>],
    end: End,
    count: usize,
) -> Result<Option<KeyAndItems>, Reply> {
    for key in keys {
        if let Some(items) = pop_core(ctx, key, end, count)? {
            return Ok(Some((key.clone(), items)));
        }
    }
    Ok(None)
}

/// LMOVE's core: moves one element from `from` of `source` to `to` of `destination` and
/// returns it; Ok(None) when the source is absent. Both keys are type-checked before anything
/// moves; the source may be the destination (a rotation).
pub fn move_core(
    ctx: &mut WriteCtx,
    source: &[u8],
    destination: &[u8],
    from: End,
    to: End,
) -> Result<Option<Vec<u8>>, Reply> {
    let now = ctx.now_ms;
    if lookup_list(ctx.db(), source, now)?.is_none() {
        return Ok(None);
    }
    lookup_list(ctx.db(), destination, now)?;
    let Some(list) = lookup_list_mut(ctx.db(), source, now)? else {
        return Ok(None);
    };
    let item = list.pop(from).expect("stored lists are never empty");
    if source == destination {
        list.push(to, &item);
        return Ok(Some(item));
    }
    delete_if_empty(ctx.db(), source, now);
    push_items(
        ctx.db(),
        destination,
        now,
        to,
        std::iter::once(item.as_slice()),
    );
    Ok(Some(item))
}

/// Pushes onto the list at `key`, creating it; the caller has checked the type. Returns the
/// new length.
fn push_items<'a>(
    db: &mut Db,
    key: &[u8],
    now_ms: u64,
    end: End,
    items: impl Iterator<Item = &'a [u8]>,
) -> usize {
    if db.get(key, now_ms).is_none() {
        let entry = Entry {
            value: Value::List(ListValue::default()),
            expires_at_ms: None,
        };
        db.insert(key, entry);
    }
    match db.get_mut(key, now_ms) {
        Some(Entry {
            value: Value::List(list),
            ..
        }) => {
            items.for_each(|item| list.push(end, item));
            list.len()
        }
        _ => unreachable!("push_items: the caller checked the type"),
    }
}

// ---- commands ----

/// The one PUSH behind LPUSH, RPUSH, LPUSHX, RPUSHX (`existing_only`: the X variants).
fn push_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], end: End, existing_only: bool) -> Reply {
    let now = ctx.now_ms;
    let key = &argv[1];
    match lookup_list(ctx.db(), key, now) {
        Err(error) => return error,
        Ok(None) if existing_only => return Reply::Integer(0),
        Ok(_) => {}
    }
    let len = push_items(ctx.db(), key, now, end, argv[2..].iter().map(Vec::as_slice));
    Reply::Integer(len as i64)
}

pub fn lpush(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    push_generic(ctx, argv, End::Left, false)
}

pub fn rpush(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    push_generic(ctx, argv, End::Right, false)
}

pub fn lpushx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    push_generic(ctx, argv, End::Left, true)
}

pub fn rpushx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    push_generic(ctx, argv, End::Right, true)
}

/// A count that must be >= 0 (getPositiveLongFromObjectOrReply): `message` for anything else,
/// a non-integer included.
fn non_negative(arg: &[u8], message: &str) -> Result<usize, Reply> {
    match crate::args::parse_i64(arg) {
        Some(value) if value >= 0 => Ok(usize::try_from(value).unwrap_or(usize::MAX)),
        _ => Err(Reply::error(message)),
    }
}

/// A count that must be >= 1 (LMPOP's and ZMPOP's COUNT and numkeys).
/// LPOP / RPOP key [count]: a bulk (Nil when absent) without count, an array (NilArray when
/// absent) with it.
fn pop_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], end: End, name: &str) -> Reply {
    reply(pop_result(ctx, argv, end, name))
}

fn pop_result(ctx: &mut WriteCtx, argv: &[Vec<u8>], end: End, name: &str) -> Result<Reply, Reply> {
    if argv.len() > 3 {
        return Err(table::wrong_arity(name));
    }
    let count = argv
        .get(2)
        .map(|arg| non_negative(arg, MUST_BE_POSITIVE))
        .transpose()?;
    let popped = pop_core(ctx, &argv[1], end, count.unwrap_or(1))?;
    Ok(match (popped, count) {
        (None, None) => Reply::Nil,
        (None, Some(_)) => Reply::NilArray,
        (Some(mut items), None) => Reply::Bulk(items.remove(0)),
        (Some(items), Some(_)) => bulks(items),
    })
}

pub fn lpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    pop_generic(ctx, argv, End::Left, "lpop")
}

pub fn rpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    pop_generic(ctx, argv, End::Right, "rpop")
}

pub fn llen(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    match lookup_list(ctx.db(), &argv[1], ctx.now_ms) {
        Ok(list) => Reply::Integer(list.map_or(0, ListValue::len) as i64),
        Err(error) => error,
    }
}

pub fn lrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lrange_result(ctx, argv))
}

fn lrange_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let start = int_arg(&argv[2])?;
    let end = int_arg(&argv[3])?;
    let Some(list) = lookup_list(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let Some((start, end)) = normalize_range(start, end, list.len()) else {
        return Ok(Reply::Array(Vec::new()));
    };
    let items = list.iter_from(start).take(end - start + 1);
    Ok(bulks(items.map(<[u8]>::to_vec)))
}

/// LINDEX key index: the element, or Nil when out of range or absent.
pub fn lindex(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lindex_result(ctx, argv))
}

fn lindex_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let Some(list) = lookup_list(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    let index = int_arg(&argv[2])?;
    Ok(list
        .position(index)
        .map_or(Reply::Nil, |i| Reply::bulk(list.get(i).to_vec())))
}

/// LSET key index element: the key must exist ("no such key") before the index is read.
pub fn lset(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lset_result(ctx, argv))
}

fn lset_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let Some(list) = lookup_list_mut(ctx.db(), &argv[1], now)? else {
        return Err(Reply::error("ERR no such key"));
    };
    let index = int_arg(&argv[2])?;
    let position = list
        .position(index)
        .ok_or_else(|| Reply::error("ERR index out of range"))?;
    list.set(position, &argv[3]);
    Ok(Reply::ok())
}

/// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0 without
/// the key.
pub fn linsert(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(linsert_result(ctx, argv))
}

fn linsert_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let after = if is(&argv[2], "AFTER") {
        true
    } else if is(&argv[2], "BEFORE") {
        false
    } else {
        return Err(syntax_error());
    };
    let now = ctx.now_ms;
    let Some(list) = lookup_list_mut(ctx.db(), &argv[1], now)? else {
        return Ok(Reply::Integer(0));
    };
    let Some(at) = list.iter().position(|item| item == argv[3]) else {
        return Ok(Reply::Integer(-1));
    };
    list.insert(at + usize::from(after), &argv[4]);
    Ok(Reply::Integer(list.len() as i64))
}

/// LREM key count element: count > 0 from the head, < 0 from the tail, 0 all.
pub fn lrem(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lrem_result(ctx, argv))
}

fn lrem_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let count = int_arg(&argv[2])?;
    let now = ctx.now_ms;
    let key = &argv[1];
    let Some(list) = lookup_list_mut(ctx.db(), key, now)? else {
        return Ok(Reply::Integer(0));
    };
    let limit = if count == 0 {
        usize::MAX
    } else {
        usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
    };
    let element = argv[3].as_slice();
    let len = list.len();
    // The positions to remove, ascending; then the list is packed anew without them (LREM
    // is O(N) in Redis too), which also leaves its nodes full.
    let mut doomed: Vec<usize> = if count < 0 {
        let from_tail = list.iter().rev().enumerate();
        let matched = from_tail.filter(|(_, item)| *item == element);
        matched.take(limit).map(|(k, _)| len - 1 - k).collect()
    } else {
        let matched = list.iter().enumerate().filter(|(_, item)| *item == element);
        matched.take(limit).map(|(i, _)| i).collect()
    };
    doomed.sort_unstable();
    let removed = doomed.len();
    if removed > 0 {
        let mut doomed = doomed.into_iter().peekable();
        let kept = list.iter().enumerate().filter_map(|(i, item)| {
            let hit = doomed.next_if_eq(&i).is_some();
            (!hit).then_some(item)
        });
        *list = ListValue::from_items(kept);
    }
    delete_if_empty(ctx.db(), key, now);
    Ok(Reply::Integer(removed as i64))
}

/// LTRIM key start stop: keeps the range; an empty range deletes the key.
pub fn ltrim(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(ltrim_result(ctx, argv))
}

fn ltrim_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let start = int_arg(&argv[2])?;
    let end = int_arg(&argv[3])?;
    let now = ctx.now_ms;
    let key = &argv[1];
    let Some(list) = lookup_list_mut(ctx.db(), key, now)? else {
        return Ok(Reply::ok());
    };
    match normalize_range(start, end, list.len()) {
        Some((start, end)) => {
            list.remove_back(list.len() - 1 - end);
            list.remove_front(start);
        }
        None => *list = ListValue::default(),
    }
    delete_if_empty(ctx.db(), key, now);
    Ok(Reply::ok())
}

/// LPOS key element [RANK rank] [COUNT num] [MAXLEN len].
pub fn lpos(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lpos_result(ctx, argv))
}

fn lpos_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen = 0usize;
    let mut i = 3;
    while i < argv.len() {
        let has_value = i + 1 < argv.len();
        let opt = &argv[i];
        if is(opt, "RANK") && has_value {
            rank = int_arg(&argv[i + 1])?;
            if rank == 0 {
                return Err(Reply::error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if is(opt, "COUNT") && has_value {
            count = Some(non_negative(&argv[i + 1], "ERR COUNT can't be negative")?);
        } else if is(opt, "MAXLEN") && has_value {
            maxlen = non_negative(&argv[i + 1], "ERR MAXLEN can't be negative")?;
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }
    let Some(list) = lookup_list(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(count.map_or(Reply::Nil, |_| Reply::Array(Vec::new())));
    };
    let len = list.len();
    // Redis 7.0 negates the rank in a C long: i64::MIN stays negative, so every match ranks.
    let from_tail = rank < 0;
    let skip = if rank == i64::MIN {
        0
    } else {
        rank.unsigned_abs() - 1
    };
    let scanned = if maxlen == 0 { len } else { maxlen.min(len) };
    let element = argv[2].as_slice();
    let matching: Box<dyn Iterator<Item = usize>> = if from_tail {
        let items = list.iter().rev().take(scanned).enumerate();
        let found = items.filter(move |(_, item)| *item == element);
        Box::new(found.map(move |(k, _)| len - 1 - k))
    } else {
        let items = list.iter().take(scanned).enumerate();
        Box::new(
            items
                .filter(move |(_, item)| *item == element)
                .map(|(i, _)| i),
        )
    };
    let mut matches = matching.skip(usize::try_from(skip).unwrap_or(usize::MAX));
    Ok(match count {
        None => matches
            .next()
            .map_or(Reply::Nil, |i| Reply::Integer(i as i64)),
        Some(count) => {
            // With RANK i64::MIN, Redis 7.0's `matches - rank + 1` overflows: COUNT never
            // stops the scan.
            let limit = if count == 0 || rank == i64::MIN {
                usize::MAX
            } else {
                count
            };
            Reply::Array(
                matches
                    .take(limit)
                    .map(|i| Reply::Integer(i as i64))
                    .collect(),
            )
        }
    })
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT.
pub fn lmove(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply((|| {
        let from = End::parse(&argv[3])?;
        let to = End::parse(&argv[4])?;
        let moved = move_core(ctx, &argv[1], &argv[2], from, to)?;
        Ok(moved.map_or(Reply::Nil, Reply::Bulk))
    })())
}

/// RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT.
pub fn rpoplpush(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(
        move_core(ctx, &argv[1], &argv[2], End::Right, End::Left)
            .map(|moved| moved.map_or(Reply::Nil, Reply::Bulk)),
    )
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: [key, [elements]] or NilArray.
pub fn lmpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply((|| {
        let parsed = mpop::parse(&argv[1..], End::parse)?;
        Ok(
            match mpop_core(ctx, parsed.keys, parsed.from, parsed.count)? {
                None => Reply::NilArray,
                Some((key, items)) => Reply::Array(vec![Reply::Bulk(key), bulks(items)]),
            },
        )
    })())
}

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("lindex", 3, 0, 1, 1, 1, Read(legacy!(lindex))),
    cmd!("linsert", 5, DENYOOM, 1, 1, 1, Write(legacy!(linsert))),
    cmd!("llen", 2, FAST, 1, 1, 1, Read(legacy!(llen))),
    cmd!("lmove", 5, DENYOOM, 1, 2, 1, Write(legacy!(lmove))),
    cmd!("lmpop", -4, 0, 0, 0, 0, Write(legacy!(lmpop))),
    cmd!("lpop", -2, FAST, 1, 1, 1, Write(legacy!(lpop))),
    cmd!("lpos", -3, 0, 1, 1, 1, Read(legacy!(lpos))),
    cmd!("lpush", -3, DENYOOM | FAST, 1, 1, 1, Write(legacy!(lpush))),
    cmd!(
        "lpushx",
        -3,
        DENYOOM | FAST,
        1,
        1,
        1,
        Write(legacy!(lpushx))
    ),
    cmd!("lrange", 4, 0, 1, 1, 1, Read(legacy!(lrange))),
    cmd!("lrem", 4, 0, 1, 1, 1, Write(legacy!(lrem))),
    cmd!("lset", 4, DENYOOM, 1, 1, 1, Write(legacy!(lset))),
    cmd!("ltrim", 4, 0, 1, 1, 1, Write(legacy!(ltrim))),
    cmd!("rpop", -2, FAST, 1, 1, 1, Write(legacy!(rpop))),
    cmd!("rpoplpush", 3, DENYOOM, 1, 2, 1, Write(legacy!(rpoplpush))),
    cmd!("rpush", -3, DENYOOM | FAST, 1, 1, 1, Write(legacy!(rpush))),
    cmd!(
        "rpushx",
        -3,
        DENYOOM | FAST,
        1,
        1,
        1,
        Write(legacy!(rpushx))
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
    use crate::reply::WRONGTYPE;
    use crate::testutil::{apply, bulk, bulks, err, int, ok, read};
    use crate::Engine;

    fn with_list(items: &[&str]) -> Engine {
        let mut engine = Engine::new();
        let mut argv = vec!["RPUSH", "l"];
        argv.extend_from_slice(items);
        apply(&mut engine, 0, &argv);
        apply(&mut engine, 0, &["SET", "s", "x"]);
        engine
    }

    fn all(engine: &Engine, key: &str) -> Reply {
        read(engine, 0, &["LRANGE", key, "0", "-1"])
    }

    fn exists(engine: &Engine, key: &str) -> bool {
        read(engine, 0, &["EXISTS", key]) == int(1)
    }

    #[test]
    fn push_family_orders_and_counts() {
        let mut engine = Engine::new();
        assert_eq!(apply(&mut engine, 0, &["RPUSH", "l", "a", "b"]), int(2));
        assert_eq!(apply(&mut engine, 0, &["LPUSH", "l", "x", "y"]), int(4));
        assert_eq!(all(&engine, "l"), bulks(&["y", "x", "a", "b"]));
        assert_eq!(apply(&mut engine, 0, &["LPUSHX", "l", "z"]), int(5));
        assert_eq!(apply(&mut engine, 0, &["RPUSHX", "l", "w"]), int(6));
        assert_eq!(apply(&mut engine, 0, &["LPUSHX", "none", "z"]), int(0));
        assert_eq!(apply(&mut engine, 0, &["RPUSHX", "none", "z"]), int(0));
        assert!(!exists(&engine, "none"));
        apply(&mut engine, 0, &["SET", "s", "x"]);
        for name in ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"] {
            assert_eq!(apply(&mut engine, 0, &[name, "s", "v"]), err(WRONGTYPE));
        }
        assert_eq!(
            apply(&mut engine, 0, &["LPUSH", "l"]),
            err("ERR wrong number of arguments for 'lpush' command")
        );
    }

    #[test]
    fn pops_with_and_without_count() {
        let mut engine = with_list(&["a", "b", "c", "d"]);
        assert_eq!(apply(&mut engine, 0, &["LPOP", "l"]), bulk("a"));
        assert_eq!(apply(&mut engine, 0, &["RPOP", "l"]), bulk("d"));
        assert_eq!(apply(&mut engine, 0, &["LPOP", "l", "0"]), bulks(&[]));
        assert_eq!(
            apply(&mut engine, 0, &["RPOP", "l", "5"]),
            bulks(&["c", "b"])
        );
        assert!(!exists(&engine, "l"), "emptied list is deleted");
        assert_eq!(apply(&mut engine, 0, &["LPOP", "l"]), Reply::Nil);
        assert_eq!(apply(&mut engine, 0, &["LPOP", "l", "2"]), Reply::NilArray);
        assert_eq!(apply(&mut engine, 0, &["RPOP", "l", "0"]), Reply::NilArray);
        let positive = err(MUST_BE_POSITIVE);
        assert_eq!(apply(&mut engine, 0, &["LPOP", "l", "-1"]), positive);
        assert_eq!(apply(&mut engine, 0, &["RPOP", "s", "x"]), positive);
        assert_eq!(apply(&mut engine, 0, &["LPOP", "s"]), err(WRONGTYPE));
        assert_eq!(apply(&mut engine, 0, &["RPOP", "s", "1"]), err(WRONGTYPE));
        assert_eq!(
            apply(&mut engine, 0, &["LPOP", "l", "1", "2"]),
            err("ERR wrong number of arguments for 'lpop' command")
        );
    }

    #[test]
    fn llen_lrange_lindex() {
        let engine = with_list(&["a", "b", "c"]);
        assert_eq!(read(&engine, 0, &["LLEN", "l"]), int(3));
        assert_eq!(read(&engine, 0, &["LLEN", "none"]), int(0));
        assert_eq!(read(&engine, 0, &["LLEN", "s"]), err(WRONGTYPE));
        let range = |a: &str, b: &str| read(&engine, 0, &["LRANGE", "l", a, b]);
        assert_eq!(range("0", "-1"), bulks(&["a", "b", "c"]));
        assert_eq!(range("-2", "100"), bulks(&["b", "c"]));
        assert_eq!(range("-100", "0"), bulks(&["a"]));
        assert_eq!(range("2", "1"), bulks(&[]));
        assert_eq!(range("5", "10"), bulks(&[]));
        assert_eq!(range("x", "1"), err(NOT_INTEGER));
        assert_eq!(read(&engine, 0, &["LRANGE", "s", "0", "1"]), err(WRONGTYPE));
        assert_eq!(read(&engine, 0, &["LRANGE", "none", "0", "1"]), bulks(&[]));
        assert_eq!(read(&engine, 0, &["LINDEX", "l", "-1"]), bulk("c"));
        assert_eq!(read(&engine, 0, &["LINDEX", "l", "3"]), Reply::Nil);
        assert_eq!(read(&engine, 0, &["LINDEX", "l", "-4"]), Reply::Nil);
        assert_eq!(read(&engine, 0, &["LINDEX", "none", "x"]), Reply::Nil);
        assert_eq!(read(&engine, 0, &["LINDEX", "l", "x"]), err(NOT_INTEGER));
        assert_eq!(read(&engine, 0, &["LINDEX", "s", "0"]), err(WRONGTYPE));
    }

    #[test]
    fn lset_replaces_or_errors() {
        let mut engine = with_list(&["a", "b"]);
        assert_eq!(apply(&mut engine, 0, &["LSET", "l", "-1", "z"]), ok());
        assert_eq!(all(&engine, "l"), bulks(&["a", "z"]));
        assert_eq!(
            apply(&mut engine, 0, &["LSET", "l", "2", "z"]),
            err("ERR index out of range")
        );
        assert_eq!(
            apply(&mut engine, 0, &["LSET", "none", "x", "z"]),
            err("ERR no such key")
        );
        assert_eq!(
            apply(&mut engine, 0, &["LSET", "l", "x", "z"]),
            err(NOT_INTEGER)
        );
        assert_eq!(
            apply(&mut engine, 0, &["LSET", "s", "0", "z"]),
            err(WRONGTYPE)
        );
    }

    #[test]
    fn linsert_before_and_after_the_first_pivot() {
        let mut engine = with_list(&["a", "b", "a"]);
        assert_eq!(
            apply(&mut engine, 0, &["LINSERT", "l", "BEFORE", "a", "x"]),
            int(4)
        );
        assert_eq!(
            apply(&mut engine, 0, &["LINSERT", "l", "after", "b", "y"]),
            int(5)
        );
        assert_eq!(all(&engine, "l"), bulks(&["x", "a", "b", "y", "a"]));
        assert_eq!(
            apply(&mut engine, 0, &["LINSERT", "l", "AFTER", "q", "y"]),
            int(-1)
        );
        assert_eq!(
            apply(&mut engine, 0, &["LINSERT", "none", "AFTER", "q", "y"]),
            int(0)
        );
        assert_eq!(
            apply(&mut engine, 0, &["LINSERT", "l", "MIDDLE", "a", "y"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            apply(&mut engine, 0, &["LINSERT", "s", "AFTER", "a", "y"]),
            err(WRONGTYPE)
        );
    }

    #[test]
    fn lrem_from_head_tail_or_all() {
        let mut engine = with_list(&["a", "b", "a", "c", "a"]);
        assert_eq!(apply(&mut engine, 0, &["LREM", "l", "-1", "a"]), int(1));
        assert_eq!(all(&engine, "l"), bulks(&["a", "b", "a", "c"]));
        assert_eq!(apply(&mut engine, 0, &["LREM", "l", "1", "a"]), int(1));
        assert_eq!(all(&engine, "l"), bulks(&["b", "a", "c"]));
        assert_eq!(apply(&mut engine, 0, &["LREM", "l", "0", "q"]), int(0));
        assert_eq!(apply(&mut engine, 0, &["LREM", "l", "0", "a"]), int(1));
        assert_eq!(apply(&mut engine, 0, &["LREM", "l", "5", "b"]), int(1));
        assert_eq!(apply(&mut engine, 0, &["LREM", "l", "0", "c"]), int(1));
        assert!(!exists(&engine, "l"));
        assert_eq!(apply(&mut engine, 0, &["LREM", "l", "0", "c"]), int(0));
        assert_eq!(
            apply(&mut engine, 0, &["LREM", "l", "x", "c"]),
            err(NOT_INTEGER)
        );
        assert_eq!(
            apply(&mut engine, 0, &["LREM", "s", "0", "c"]),
            err(WRONGTYPE)
        );
    }

    #[test]
    fn ltrim_keeps_the_range_and_deletes_when_empty() {
        let mut engine = with_list(&["a", "b", "c", "d"]);
        assert_eq!(apply(&mut engine, 0, &["LTRIM", "l", "1", "-2"]), ok());
        assert_eq!(all(&engine, "l"), bulks(&["b", "c"]));
        assert_eq!(apply(&mut engine, 0, &["LTRIM", "l", "0", "100"]), ok());
        assert_eq!(all(&engine, "l"), bulks(&["b", "c"]));
        assert_eq!(apply(&mut engine, 0, &["LTRIM", "l", "5", "10"]), ok());
        assert!(!exists(&engine, "l"));
        assert_eq!(apply(&mut engine, 0, &["LTRIM", "l", "0", "1"]), ok());
        assert_eq!(
            apply(&mut engine, 0, &["LTRIM", "l", "0", "y"]),
            err(NOT_INTEGER)
        );
        assert_eq!(
            apply(&mut engine, 0, &["LTRIM", "s", "0", "1"]),
            err(WRONGTYPE)
        );
    }

    #[test]
    fn lpos_rank_count_maxlen() {
        let engine = with_list(&["a", "b", "c", "1", "2", "3", "c", "c"]);
        let lpos = |args: &[&str]| {
            let mut argv = vec!["LPOS", "l"];
            argv.extend_from_slice(args);
            read(&engine, 0, &argv)
        };
        let ints = |v: &[i64]| Reply::Array(v.iter().map(|&i| int(i)).collect());
        assert_eq!(lpos(&["c"]), int(2));
        assert_eq!(lpos(&["c", "RANK", "2"]), int(6));
        assert_eq!(lpos(&["c", "RANK", "-1"]), int(7));
        assert_eq!(lpos(&["c", "RANK", "-9223372036854775808"]), int(7));
        assert_eq!(
            lpos(&["c", "RANK", "-9223372036854775808", "COUNT", "1"]),
            ints(&[7, 6, 2])
        );
        assert_eq!(lpos(&["c", "COUNT", "0"]), ints(&[2, 6, 7]));
        assert_eq!(lpos(&["c", "COUNT", "2", "RANK", "2"]), ints(&[6, 7]));
        assert_eq!(lpos(&["c", "COUNT", "0", "RANK", "-2"]), ints(&[6, 2]));
        assert_eq!(lpos(&["c", "COUNT", "0", "MAXLEN", "3"]), ints(&[2]));
        assert_eq!(lpos(&["c", "MAXLEN", "2"]), Reply::Nil);
        assert_eq!(lpos(&["z", "COUNT", "1"]), ints(&[]));
        assert_eq!(
            read(&engine, 0, &["LPOS", "none", "c", "COUNT", "1"]),
            ints(&[])
        );
        assert_eq!(read(&engine, 0, &["LPOS", "none", "c"]), Reply::Nil);
        assert_eq!(
            lpos(&["c", "RANK", "0"]),
            err(
                "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                 second ... or use negative to start from the end of the list"
            )
        );
        assert_eq!(lpos(&["c", "RANK", "x"]), err(NOT_INTEGER));
        assert_eq!(
            lpos(&["c", "COUNT", "-1"]),
            err("ERR COUNT can't be negative")
        );
        assert_eq!(
            lpos(&["c", "COUNT", "x"]),
            err("ERR COUNT can't be negative")
        );
        assert_eq!(
            lpos(&["c", "MAXLEN", "-1"]),
            err("ERR MAXLEN can't be negative")
        );
        assert_eq!(lpos(&["c", "COUNT"]), err(SYNTAX_ERROR));
        assert_eq!(lpos(&["c", "FOO", "1"]), err(SYNTAX_ERROR));
        assert_eq!(read(&engine, 0, &["LPOS", "s", "c"]), err(WRONGTYPE));
    }

    #[test]
    fn lmove_and_rpoplpush_move_one_element() {
        let mut engine = with_list(&["a", "b", "c"]);
        assert_eq!(
            apply(&mut engine, 0, &["LMOVE", "l", "m", "LEFT", "RIGHT"]),
            bulk("a")
        );
        assert_eq!(apply(&mut engine, 0, &["RPOPLPUSH", "l", "m"]), bulk("c"));
        assert_eq!(all(&engine, "m"), bulks(&["c", "a"]));
        assert_eq!(
            apply(&mut engine, 0, &["LMOVE", "m", "m", "right", "left"]),
            bulk("a")
        );
        assert_eq!(all(&engine, "m"), bulks(&["a", "c"]));
        assert_eq!(
            apply(&mut engine, 0, &["LMOVE", "l", "l", "LEFT", "RIGHT"]),
            bulk("b")
        );
        assert_eq!(all(&engine, "l"), bulks(&["b"]));
        assert_eq!(apply(&mut engine, 0, &["RPOPLPUSH", "l", "m"]), bulk("b"));
        assert!(!exists(&engine, "l"));
        assert_eq!(apply(&mut engine, 0, &["RPOPLPUSH", "l", "m"]), Reply::Nil);
        assert_eq!(apply(&mut engine, 0, &["RPOPLPUSH", "l", "s"]), Reply::Nil);
        assert_eq!(
            apply(&mut engine, 0, &["RPOPLPUSH", "m", "s"]),
            err(WRONGTYPE)
        );
        assert_eq!(all(&engine, "m"), bulks(&["b", "a", "c"]));
        assert_eq!(
            apply(&mut engine, 0, &["RPOPLPUSH", "s", "m"]),
            err(WRONGTYPE)
        );
        assert_eq!(
            apply(&mut engine, 0, &["LMOVE", "m", "n", "UP", "LEFT"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            apply(&mut engine, 0, &["LMOVE", "m", "n", "LEFT", "DOWN"]),
            err(SYNTAX_ERROR)
        );
    }

    #[test]
    fn lmpop_pops_from_the_first_non_empty_list() {
        let mut engine = with_list(&["a", "b", "c"]);
        assert_eq!(
            apply(&mut engine, 0, &["LMPOP", "2", "none", "l", "LEFT"]),
            Reply::Array(vec![bulk("l"), bulks(&["a"])])
        );
        assert_eq!(
            apply(&mut engine, 0, &["LMPOP", "1", "l", "RIGHT", "COUNT", "5"]),
            Reply::Array(vec![bulk("l"), bulks(&["c", "b"])])
        );
        assert!(!exists(&engine, "l"));
        assert_eq!(
            apply(&mut engine, 0, &["LMPOP", "1", "l", "RIGHT"]),
            Reply::NilArray
        );
        assert_eq!(
            apply(&mut engine, 0, &["LMPOP", "2", "none", "s", "LEFT"]),
            err(WRONGTYPE)
        );
        let numkeys = err("ERR numkeys should be greater than 0");
        assert_eq!(apply(&mut engine, 0, &["LMPOP", "0", "l", "LEFT"]), numkeys);
        assert_eq!(apply(&mut engine, 0, &["LMPOP", "x", "l", "LEFT"]), numkeys);
        assert_eq!(
            apply(&mut engine, 0, &["LMPOP", "2", "l", "LEFT"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            apply(&mut engine, 0, &["LMPOP", "1", "l", "UP"]),
            err(SYNTAX_ERROR)
        );
        let count = err("ERR count should be greater than 0");
        assert_eq!(
            apply(&mut engine, 0, &["LMPOP", "1", "l", "LEFT", "COUNT", "0"]),
            count
        );
        assert_eq!(
            apply(
                &mut engine,
                0,
                &["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"]
            ),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            apply(&mut engine, 0, &["LMPOP", "1", "l", "LEFT", "COUNT"]),
            err(SYNTAX_ERROR)
        );
    }

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

    #[test]
    fn nodes_fill_to_their_bounds_and_pops_drain_them() {
        let mut list = ListValue::default();
        for i in 0..(2 * NODE_ITEMS_MAX + 10) {
            list.push(End::Right, i.to_string().as_bytes());
        }
        let counts: Vec<usize> = list.nodes().iter().map(PackedItems::len).collect();
        assert_eq!(counts, [NODE_ITEMS_MAX, NODE_ITEMS_MAX, 10]);
        for _ in 0..10 {
            list.pop(End::Right);
        }
        assert_eq!(list.nodes().len(), 2, "the drained tail node is gone");
        for _ in 0..NODE_ITEMS_MAX {
            list.pop(End::Left);
        }
        assert_eq!(list.nodes().len(), 1, "the drained head node is gone");
        assert!(
            matches!(list.repr, Repr::One(_)),
            "one node is unboxed again"
        );
        assert_eq!(list.get(0), b"128");
        // An item too big for a shared node gets one of its own, at either end.
        let huge = vec![b'h'; NODE_BYTES_MAX];
        list.push(End::Left, &huge);
        list.push(End::Left, b"small");
        list.push(End::Right, &huge);
        let counts: Vec<usize> = list.nodes().iter().map(PackedItems::len).collect();
        assert_eq!(counts, [1, 1, NODE_ITEMS_MAX, 1]);
        // By bytes too: 8 KiB fills before 128 items of 100 bytes.
        let mut wide = ListValue::default();
        for _ in 0..NODE_ITEMS_MAX {
            wide.push(End::Right, &[b'w'; 100]);
        }
        assert!(wide.nodes().len() > 1);
        assert!(wide
            .nodes()
            .iter()
            .all(|node| node.byte_len() <= NODE_BYTES_MAX));
    }

    #[test]
    fn linsert_and_lset_in_the_middle_of_a_multi_node_list() {
        let mut engine = Engine::new();
        let items: Vec<String> = (0..300).map(|i| format!("i{i}")).collect();
        let mut argv = vec!["RPUSH", "l"];
        argv.extend(items.iter().map(String::as_str));
        apply(&mut engine, 0, &argv);
        let mut model = items.clone();
        for (pivot, element) in [("i150", "new-a"), ("i127", "new-b"), ("i128", "new-c")] {
            assert_eq!(
                apply(&mut engine, 0, &["LINSERT", "l", "AFTER", pivot, element]),
                int(model.len() as i64 + 1)
            );
            let at = model.iter().position(|item| item == pivot).unwrap();
            model.insert(at + 1, element.to_string());
        }
        let big = "b".repeat(NODE_BYTES_MAX);
        assert_eq!(apply(&mut engine, 0, &["LSET", "l", "200", &big]), ok());
        model[200] = big.clone();
        assert_eq!(apply(&mut engine, 0, &["LSET", "l", "-5", "tail"]), ok());
        let at = model.len() - 5;
        model[at] = "tail".to_string();
        let expected: Vec<&str> = model.iter().map(String::as_str).collect();
        assert_eq!(all(&engine, "l"), bulks(&expected));
        for index in [0, 127, 128, 129, 151, 200, 302] {
            let reply = read(&engine, 0, &["LINDEX", "l", &index.to_string()]);
            assert_eq!(reply, bulk(&model[index]));
        }
        assert_eq!(
            read(&engine, 0, &["LRANGE", "l", "126", "130"]),
            bulks(&expected[126..=130])
        );
        // Shrinking the big item back lets its node merge with a neighbour again.
        assert_eq!(apply(&mut engine, 0, &["LSET", "l", "200", "s"]), ok());
        let Some(Entry {
            value: Value::List(list),
            ..
        }) = engine.keyspace().dbs[0].get(b"l", 0)
        else {
            panic!("a list");
        };
        let counts: Vec<usize> = list.nodes().iter().map(PackedItems::len).collect();
        assert!(counts.iter().all(|&count| count > 1), "{counts:?}");
    }

    #[test]
    fn a_small_list_is_one_node_without_slack() {
        assert_eq!(
            std::mem::size_of::<ListValue>(),
            16,
            "the box shares the node's niche"
        );
        let mut engine = Engine::new();
        let items: Vec<String> = (0..10).map(|i| format!("item-{i:04}")).collect();
        let mut argv = vec!["RPUSH", "l"];
        argv.extend(items.iter().map(String::as_str));
        apply(&mut engine, 0, &argv);
        apply(&mut engine, 0, &["LPUSH", "l", "x"]);
        apply(&mut engine, 0, &["RPOP", "l"]);
        let Some(Entry {
            value: Value::List(list),
            ..
        }) = engine.keyspace().dbs[0].get(b"l", 0)
        else {
            panic!("a list");
        };
        // One block: a count byte, "x" (2 bytes) and the 9 entries of 1 + 9 bytes RPOP left;
        // per-item allocations would cost far more.
        assert!(matches!(list.repr, Repr::One(_)));
        assert_eq!(list.heap_bytes(), 1 + 2 + 9 * 10);
    }

    #[test]
    fn snapshot_round_trips_and_rejects_truncation() {
        let mut engine = with_list(&["a", "", "ccc"]);
        apply(&mut engine, 0, &["RPUSH", "m", "x"]);
        let bytes = engine.encode_snapshot();
        let decoded = Engine::decode_snapshot(&bytes).unwrap();
        assert_eq!(decoded, engine);
        assert_eq!(decoded.encode_snapshot(), bytes);
        for cut in 0..bytes.len() {
            assert!(Engine::decode_snapshot(&bytes[..cut]).is_err());
        }
        assert_eq!(ListValue::default().encoding_name(), "quicklist");
    }
}
