//! Set commands (t_set.c) and the set value type: an intset (ascending integers) while every
//! member is an integer and there are few of them, a hash table otherwise (held packed in one
//! buffer while small, an internal form that behaves exactly as the table). SINTER and
//! SINTERSTORE/SINTERCARD share one intersection, SUNION/SDIFF and their STORE forms one
//! union-or-difference, as in Redis.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::args::{self, is, reply, syntax_error};
use crate::config::EncodingConfig;
use crate::ctx::{ReadCtx, WriteCtx};
use crate::keyspace::{key_hash, Db, Entry, Value};
use crate::packed_items::PackedItems;
use crate::reply::Reply;
use crate::rng::Rng;
use crate::sample;
use crate::scan::{self, ScanOptions};
use crate::snapshot::{put_bytes, Reader, SnapshotError};
use crate::table::{
    cmd, legacy, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST, RANDOM,
};

/// The default set-max-intset-entries: an intset with more members becomes a hash table. The
/// threshold itself is replicated configuration (config.rs).
#[cfg(test)]
const INTSET_ENTRIES_MAX: usize = 512;

/// A set of non-integer members stays packed in one buffer while it has at most this many
/// members, each at most [`PACKED_MEMBER_BYTES_MAX`] bytes: Redis 7.2's listpack-set limits
/// (set-max-listpack-entries 128, set-max-listpack-value 64). Lookups in the packed form are
/// linear scans that hash each member, so the limits bound a scan to about 8 KiB of hashing,
/// while the typical small set (a few short members) costs one allocation instead of a tree
/// node and a buffer per member.
pub const PACKED_MEMBERS_MAX: usize = 128;

/// See [`PACKED_MEMBERS_MAX`].
pub const PACKED_MEMBER_BYTES_MAX: usize = 64;

/// Snapshot tags of the two encodings.
const ENCODING_INTSET: u8 = 0;
const ENCODING_TABLE: u8 = 1;

/// A set value. Like Redis it never converts back from a hash table to an intset, nor (an
/// internal choice) from the big hash table form to the packed one.
#[derive(Clone, Debug)]
pub struct SetValue {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    /// Strictly ascending integers, as Redis's intset (members that string2ll reads). The
    /// vector is kept at its exact size.
    Intset(Vec<i64>),
    /// A small hash table set packed in one buffer, in exactly the order of `Table` (so scans,
    /// picks by index and every iteration are the same in either form); OBJECT ENCODING says
    /// "hashtable" for both. Bounded by [`PACKED_MEMBERS_MAX`] and [`PACKED_MEMBER_BYTES_MAX`].
    Packed(PackedItems),
    /// Ordered by (FNV-1a hash of the member, member): an order that depends on the contents
    /// alone, and a cursor for SSCAN.
    Table(BTreeSet<(u64, Vec<u8>)>),
}

/// Sets are equal when their encodings (as OBJECT ENCODING names them) and members in order
/// are: the packed and table forms of one set are the same value.
impl PartialEq for SetValue {
    fn eq(&self, other: &Self) -> bool {
        match (&self.repr, &other.repr) {
            (Repr::Intset(a), Repr::Intset(b)) => a == b,
            (Repr::Intset(_), _) | (_, Repr::Intset(_)) => false,
            _ => self.len() == other.len() && self.iter().eq(other.iter()),
        }
    }
}

/// An empty intset, as Redis's createIntsetObject (the STORE commands start from one).
impl Default for SetValue {
    fn default() -> Self {
        SetValue {
            repr: Repr::Intset(Vec::new()),
        }
    }
}

/// A hash table's members with their hashes, in order.
type HashedMembers<'a> = Box<dyn Iterator<Item = (u64, &'a [u8])> + 'a>;

fn table_key(member: &[u8]) -> (u64, Vec<u8>) {
    (key_hash(member), member.to_vec())
}

/// Where `member` is in a packed set (Ok) or would go (Err), in (hash, member) order.
fn packed_find(packed: &PackedItems, member: &[u8]) -> Result<usize, usize> {
    let wanted = (key_hash(member), member);
    for (at, item) in packed.iter().enumerate() {
        match (key_hash(item), item).cmp(&wanted) {
            Ordering::Less => {}
            Ordering::Equal => return Ok(at),
            Ordering::Greater => return Err(at),
        }
    }
    Err(packed.len())
}

/// The hash table form of `members`, ordered and deduplicated by the caller's set: packed
/// while within the limits.
fn hashed_repr(members: BTreeSet<(u64, Vec<u8>)>) -> Repr {
    let small = members.len() <= PACKED_MEMBERS_MAX
        && members
            .iter()
            .all(|(_, member)| member.len() <= PACKED_MEMBER_BYTES_MAX);
    if small {
        Repr::Packed(PackedItems::from_items(
            members.iter().map(|(_, member)| member.as_slice()),
        ))
    } else {
        Repr::Table(members)
    }
}

impl SetValue {
    /// An empty set of the encoding that can hold `member` (setTypeCreate).
    fn for_member(member: &[u8]) -> SetValue {
        let repr = match args::parse_i64(member) {
            Some(_) => Repr::Intset(Vec::new()),
            None => Repr::Packed(PackedItems::default()),
        };
        SetValue { repr }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Intset(ints) => ints.len(),
            Repr::Packed(packed) => packed.len(),
            Repr::Table(members) => members.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Intset(_) => "intset",
            Repr::Packed(_) | Repr::Table(_) => "hashtable",
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Intset(ints) => {
                args::parse_i64(member).is_some_and(|n| ints.binary_search(&n).is_ok())
            }
            Repr::Packed(packed) => packed_find(packed, member).is_ok(),
            Repr::Table(members) => members.contains(&table_key(member)),
        }
    }

    /// Adds `member`; true when it is new. A member that is no integer, or one too many,
    /// turns an intset into a hash table (setTypeAdd); a packed set past its limits becomes
    /// the big table form.
    pub fn add(&mut self, member: &[u8], limits: &EncodingConfig) -> bool {
        match &mut self.repr {
            Repr::Intset(ints) => {
                let Some(n) = args::parse_i64(member) else {
                    self.convert();
                    return self.add(member, limits);
                };
                let Err(at) = ints.binary_search(&n) else {
                    return false;
                };
                ints.reserve_exact(1);
                ints.insert(at, n);
                if ints.len() as u64 > limits.intset_entries() {
                    self.convert();
                }
                true
            }
            Repr::Packed(packed) => {
                let Err(at) = packed_find(packed, member) else {
                    return false;
                };
                if packed.len() < PACKED_MEMBERS_MAX && member.len() <= PACKED_MEMBER_BYTES_MAX {
                    packed.insert(at, member);
                    return true;
                }
                let members = packed.iter().map(table_key).collect();
                self.repr = Repr::Table(members);
                self.add(member, limits)
            }
            Repr::Table(members) => members.insert(table_key(member)),
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Intset(ints) => {
                let found = args::parse_i64(member).and_then(|n| ints.binary_search(&n).ok());
                let removed = found.map(|at| ints.remove(at)).is_some();
                ints.shrink_to_fit();
                removed
            }
            Repr::Packed(packed) => match packed_find(packed, member) {
                Ok(at) => {
                    packed.remove_range(at, at + 1);
                    true
                }
                Err(_) => false,
            },
            Repr::Table(members) => members.remove(&table_key(member)),
        }
    }

    /// An intset becomes a hash table (packed while small enough).
    fn convert(&mut self) {
        if let Repr::Intset(ints) = &self.repr {
            let members = ints
                .iter()
                .map(|n| table_key(n.to_string().as_bytes()))
                .collect();
            self.repr = hashed_repr(members);
        }
    }

    /// Members in the encoding's order: ascending for an intset, hash order otherwise.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Cow<'_, [u8]>> + '_> {
        match &self.repr {
            Repr::Intset(ints) => {
                Box::new(ints.iter().map(|n| Cow::Owned(n.to_string().into_bytes())))
            }
            Repr::Packed(packed) => Box::new(packed.iter().map(Cow::Borrowed)),
            Repr::Table(members) => Box::new(
                members
                    .iter()
                    .map(|(_, member)| Cow::Borrowed(member.as_slice())),
            ),
        }
    }

    /// A hash table's members whose hash is at least `cursor`, with their hashes, in order;
    /// None for an intset.
    fn hashed_from(&self, cursor: u64) -> Option<HashedMembers<'_>> {
        match &self.repr {
            Repr::Intset(_) => None,
            Repr::Packed(packed) => Some(Box::new(
                packed
                    .iter()
                    .map(|member| (key_hash(member), member))
                    .skip_while(move |(hash, _)| *hash < cursor),
            )),
            Repr::Table(members) => Some(Box::new(
                members
                    .range((cursor, Vec::new())..)
                    .map(|(hash, member)| (*hash, member.as_slice())),
            )),
        }
    }

    fn members(&self) -> Vec<Vec<u8>> {
        self.iter().map(Cow::into_owned).collect()
    }

    /// Heap bytes the value holds. Exact for an intset and a packed set; for the big table
    /// form a lower bound (members and their slots, not the B-tree's node overhead).
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Intset(ints) => ints.capacity() * std::mem::size_of::<i64>(),
            Repr::Packed(packed) => packed.byte_len(),
            Repr::Table(members) => members
                .iter()
                .map(|(_, member)| std::mem::size_of::<(u64, Vec<u8>)>() + member.capacity())
                .sum(),
        }
    }

    /// Appends this value in the snapshot format: encoding (u8), member count (u32), then the
    /// members in the encoding's order (i64 little-endian for an intset). Both hash table
    /// forms write the same bytes.
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        let len = u32::try_from(self.len()).expect("sets are bounded below 4G members");
        if let Repr::Intset(ints) = &self.repr {
            out.push(ENCODING_INTSET);
            out.extend_from_slice(&len.to_le_bytes());
            for n in ints {
                out.extend_from_slice(&n.to_le_bytes());
            }
            return;
        }
        out.push(ENCODING_TABLE);
        out.extend_from_slice(&len.to_le_bytes());
        for member in self.iter() {
            put_bytes(out, &member);
        }
    }

    /// Reads a value back, refusing one no command could have built (an unknown encoding, an
    /// unordered intset, a repeated member). A compact set of any size loads, as a hash's
    /// listpack does.
    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<SetValue, SnapshotError> {
        let encoding = reader.u8()?;
        let len = reader.u32()?;
        // There is no error variant for bad contents; they report the encoding byte.
        let invalid = SnapshotError::UnknownType(encoding);
        let repr = match encoding {
            ENCODING_INTSET => {
                let mut ints = Vec::new();
                for _ in 0..len {
                    ints.push(reader.u64()? as i64);
                }
                let ascending = ints.windows(2).all(|pair| pair[0] < pair[1]);
                // Any size may be an intset: the threshold is configuration, and lowering it
                // converts nothing until the next write.
                if !ascending {
                    return Err(invalid);
                }
                ints.shrink_to_fit();
                Repr::Intset(ints)
            }
            ENCODING_TABLE => {
                let mut members = BTreeSet::new();
                for _ in 0..len {
                    if !members.insert(table_key(reader.bytes()?)) {
                        return Err(invalid);
                    }
                }
                hashed_repr(members)
            }
            _ => return Err(invalid),
        };
        Ok(SetValue { repr })
    }
}

/// The live set at `key`: Ok(None) when absent, WRONGTYPE for another type.
fn lookup<'a>(db: &'a Db, key: &[u8], now_ms: u64) -> Result<Option<&'a SetValue>, Reply> {
    match db.get(key, now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::Set(set),
            ..
        }) => Ok(Some(set)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

fn lookup_mut<'a>(
    db: &'a mut Db,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<&'a mut SetValue>, Reply> {
    match db.get_mut(key, now_ms) {
        None => Ok(None),
        Some(entry) => match &mut entry.value {
            Value::Set(set) => Ok(Some(set)),
            _ => Err(Reply::wrong_type()),
        },
    }
}

/// Every named set (None for an absent key), or WRONGTYPE if any key holds another type.
fn lookup_all<'a>(
    db: &'a Db,
    keys: &[Vec<u8>],
    now_ms: u64,
) -> Result<Vec<Option<&'a SetValue>>, Reply> {
    keys.iter().map(|key| lookup(db, key, now_ms)).collect()
}

fn set_entry(set: SetValue) -> Entry {
    Entry {
        value: Value::Set(Box::new(set)),
        expires_at_ms: None,
    }
}

fn bulks<'a>(members: impl Iterator<Item = Cow<'a, [u8]>>) -> Vec<Reply> {
    members
        .map(|member| Reply::bulk(member.into_owned()))
        .collect()
}

/// SADD key member [member ...]: how many are new.
pub fn sadd(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(sadd_result(ctx, argv))
}

fn sadd_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let key = &argv[1];
    let db = ctx.db();
    if lookup_mut(db, key, now)?.is_none() {
        db.insert(key, set_entry(SetValue::for_member(&argv[2])));
    }
    let set = lookup_mut(db, key, now)?.expect("a set was just stored");
    let added = argv[2..]
        .iter()
        .filter(|member| set.add(member, &limits))
        .count();
    Ok(Reply::Integer(added as i64))
}

/// SREM key member [member ...]: how many were removed; an emptied set is deleted.
pub fn srem(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(srem_result(ctx, argv))
}

fn srem_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let key = &argv[1];
    let Some(set) = lookup_mut(ctx.db(), key, now)? else {
        return Ok(Reply::Integer(0));
    };
    let removed = argv[2..].iter().filter(|member| set.remove(member)).count();
    if set.is_empty() {
        ctx.db().remove(key, now);
    }
    Ok(Reply::Integer(removed as i64))
}

pub fn sismember(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lookup(ctx.db(), &argv[1], ctx.now_ms).map(|set| {
        let found = set.is_some_and(|set| set.contains(&argv[2]));
        Reply::Integer(i64::from(found))
    }))
}

/// SMISMEMBER key member [member ...]: 1 or 0 per member; all 0 when the key is absent.
pub fn smismember(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lookup(ctx.db(), &argv[1], ctx.now_ms).map(|set| {
        let flags = argv[2..]
            .iter()
            .map(|member| {
                let found = set.is_some_and(|set| set.contains(member));
                Reply::Integer(i64::from(found))
            })
            .collect();
        Reply::Array(flags)
    }))
}

pub fn scard(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(
        lookup(ctx.db(), &argv[1], ctx.now_ms)
            .map(|set| Reply::Integer(set.map_or(0, SetValue::len) as i64)),
    )
}

/// SMOVE source destination member: 1 if moved (or already in a set moved onto itself).
pub fn smove(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(smove_result(ctx, argv))
}

fn smove_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let (from, to, member) = (&argv[1], &argv[2], &argv[3]);
    let db = ctx.db();
    // An absent source answers 0 before any type is checked, as in Redis.
    if !db.contains(from, now) {
        return Ok(Reply::Integer(0));
    }
    let source = lookup(db, from, now)?.expect("the source exists");
    lookup(db, to, now)?;
    if from == to {
        return Ok(Reply::Integer(i64::from(source.contains(member))));
    }
    let source = lookup_mut(db, from, now)?.expect("the source exists");
    if !source.remove(member) {
        return Ok(Reply::Integer(0));
    }
    if source.is_empty() {
        db.remove(from, now);
    }
    match lookup_mut(db, to, now)? {
        Some(destination) => {
            destination.add(member, &limits);
        }
        None => {
            let mut destination = SetValue::for_member(member);
            destination.add(member, &limits);
            db.insert(to, set_entry(destination));
        }
    }
    Ok(Reply::Integer(1))
}

/// SPOP key [count]: removes and returns random members, chosen from the entry's seed so that
/// every replica pops the same ones.
pub fn spop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(match argv.len() {
        2 => spop_one(ctx, &argv[1]),
        3 => spop_count(ctx, &argv[1], &argv[2]),
        _ => Err(syntax_error()),
    })
}

fn spop_one(ctx: &mut WriteCtx, key: &[u8]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let mut rng = Rng::new(ctx.seed);
    let Some(set) = lookup_mut(ctx.db(), key, now)? else {
        return Ok(Reply::Nil);
    };
    let member = set
        .iter()
        .nth(rng.below(set.len()))
        .expect("the index is below the length")
        .into_owned();
    set.remove(&member);
    if set.is_empty() {
        ctx.db().remove(key, now);
    }
    Ok(Reply::bulk(member))
}

/// Below this many remaining members per popped one, SPOP builds the rest anew instead of
/// removing (Redis's SPOP_MOVE_STRATEGY_MUL); it decides the encoding of what stays.
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

fn spop_count(ctx: &mut WriteCtx, key: &[u8], count: &[u8]) -> Result<Reply, Reply> {
    // getPositiveLongFromObjectOrReply: one error line for a non-integer and a negative one.
    let count = args::parse_i64(count)
        .and_then(|count| usize::try_from(count).ok())
        .ok_or_else(|| Reply::error("ERR value is out of range, must be positive"))?;
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let mut rng = Rng::new(ctx.seed);
    let Some(set) = lookup_mut(ctx.db(), key, now)? else {
        return Ok(Reply::Set(Vec::new()));
    };
    let size = set.len();
    if count == 0 {
        return Ok(Reply::Set(Vec::new()));
    }
    if count >= size {
        // The whole set, listed as the union of it alone (an intset if it can be one).
        let everything = union_of(&[Some(&*set)], &limits);
        let popped = bulks(everything.iter());
        ctx.db().remove(key, now);
        return Ok(Reply::Set(popped));
    }
    let members = set.members();
    let remaining = size - count;
    let popped = if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        let chosen = rng.distinct(size, count);
        for &at in &chosen {
            set.remove(&members[at]);
        }
        chosen.into_iter().map(|at| members[at].clone()).collect()
    } else {
        // Pick the members that stay; they make a new set (of the encoding they allow).
        let kept = rng.distinct(size, remaining);
        let mut rest = SetValue::for_member(&members[kept[0]]);
        for &at in &kept {
            rest.add(&members[at], &limits);
        }
        let popped = members.iter().filter(|member| !rest.contains(member));
        let popped: Vec<Vec<u8>> = popped.cloned().collect();
        *set = rest;
        popped
    };
    Ok(Reply::Set(popped.into_iter().map(Reply::bulk).collect()))
}

/// SRANDMEMBER key [count]: one member (Nil when absent); with a count, distinct members (the
/// whole set, in order, when the count covers it) or, negative, members drawn with repetition.
pub fn srandmember(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(srandmember_result(ctx, argv))
}

fn srandmember_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let mut rng = Rng::new(ctx.seed);
    match argv.len() {
        2 => {
            let Some(set) = lookup(ctx.db(), &argv[1], ctx.now_ms)? else {
                return Ok(Reply::Nil);
            };
            let at = rng.below(set.len());
            Ok(set
                .iter()
                .nth(at)
                .map_or(Reply::Nil, |m| Reply::bulk(m.into_owned())))
        }
        3 => {
            let count = sample::signed_count(&argv[2])?;
            let Some(set) = lookup(ctx.db(), &argv[1], ctx.now_ms)? else {
                return Ok(Reply::Array(Vec::new()));
            };
            if count == 0 {
                return Ok(Reply::Array(Vec::new()));
            }
            let sample = sample::sample(count)?;
            let members = set.members();
            let picks = sample::sample_indices(&mut rng, members.len(), sample);
            Ok(Reply::Array(
                picks
                    .into_iter()
                    .map(|at| Reply::bulk(members[at].clone()))
                    .collect(),
            ))
        }
        _ => Err(syntax_error()),
    }
}

/// The intersection in Redis's order: the smallest set's members (the first of equal sizes)
/// that every other set holds; empty if any set is absent. Stops after `limit` members.
fn intersection(sets: &[Option<&SetValue>], limit: Option<usize>) -> Vec<Vec<u8>> {
    let Some(mut sets) = sets.iter().copied().collect::<Option<Vec<&SetValue>>>() else {
        return Vec::new();
    };
    sets.sort_by_key(|set| set.len());
    let (smallest, others) = sets.split_first().expect("at least one key");
    let mut found = Vec::new();
    for member in smallest.iter() {
        if limit.is_some_and(|limit| found.len() >= limit) {
            break;
        }
        if others.iter().all(|set| set.contains(&member)) {
            found.push(member.into_owned());
        }
    }
    found
}

/// The union, built as Redis builds it: added into an intset that converts when it must.
fn union_of(sets: &[Option<&SetValue>], limits: &EncodingConfig) -> SetValue {
    let mut union = SetValue::default();
    for set in sets.iter().flatten() {
        for member in set.iter() {
            union.add(&member, limits);
        }
    }
    union
}

/// The difference: members of the first set in no other; empty when the first key is absent or
/// named again. Built with the algorithm Redis would pick for these sizes, since that decides
/// whether the result is an intset (the second adds the whole first set before removing).
fn difference_of(
    keys: &[Vec<u8>],
    sets: &[Option<&SetValue>],
    limits: &EncodingConfig,
) -> SetValue {
    let mut result = SetValue::default();
    let Some(first) = sets[0] else {
        return result;
    };
    if keys[1..].iter().any(|key| *key == keys[0]) {
        return result;
    }
    let others: Vec<&SetValue> = sets[1..].iter().flatten().copied().collect();
    let present = 1 + others.len();
    let first_work = first.len() * present / 2;
    let all_work = first.len() + others.iter().map(|set| set.len()).sum::<usize>();
    if first_work <= all_work {
        for member in first.iter() {
            if !others.iter().any(|set| set.contains(&member)) {
                result.add(&member, limits);
            }
        }
    } else {
        for member in first.iter() {
            result.add(&member, limits);
        }
        for set in others {
            if result.is_empty() {
                break;
            }
            for member in set.iter() {
                result.remove(&member);
            }
        }
    }
    result
}

/// SINTER key [key ...] (and SMEMBERS, which Redis 7.0 serves with the same function).
pub fn sinter(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lookup_all(ctx.db(), &argv[1..], ctx.now_ms).map(|sets| {
        let members = intersection(&sets, None);
        Reply::Set(members.into_iter().map(Reply::bulk).collect())
    }))
}

pub fn smembers(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    sinter(ctx, argv)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: the intersection's size, at most `limit`
/// (0: no limit).
pub fn sintercard(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(sintercard_result(ctx, argv))
}

fn sintercard_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let numkeys = args::parse_i64(&argv[1])
        .filter(|n| *n >= 1)
        .ok_or_else(|| Reply::error("ERR numkeys should be greater than 0"))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > argv.len() - 2 {
        return Err(Reply::error(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let keys = &argv[2..2 + numkeys];
    let mut limit = None;
    let mut options = argv[2 + numkeys..].iter();
    while let Some(opt) = options.next() {
        match options.next() {
            Some(value) if is(opt, "LIMIT") => {
                let value = args::parse_i64(value)
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| Reply::error("ERR LIMIT can't be negative"))?;
                limit = usize::try_from(value).ok().filter(|n| *n > 0);
            }
            _ => return Err(syntax_error()),
        }
    }
    let sets = lookup_all(ctx.db(), keys, ctx.now_ms)?;
    Ok(Reply::Integer(intersection(&sets, limit).len() as i64))
}

/// Stores `set` at `destination` (dropping any deadline) and replies its size; an empty result
/// deletes the destination instead.
fn store(ctx: &mut WriteCtx, destination: &[u8], set: SetValue) -> Reply {
    let now = ctx.now_ms;
    let len = set.len();
    if set.is_empty() {
        ctx.db().remove(destination, now);
    } else {
        ctx.db().insert(destination, set_entry(set));
    }
    Reply::Integer(len as i64)
}

pub fn sinterstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let limits = ctx.keyspace.encoding;
    let read = ctx.as_read();
    let sets = match lookup_all(read.db(), &argv[2..], read.now_ms) {
        Ok(sets) => sets,
        Err(error) => return error,
    };
    // Built as Redis builds it: added into an intset that converts when it must.
    let mut result = SetValue::default();
    for member in intersection(&sets, None) {
        result.add(&member, &limits);
    }
    store(ctx, &argv[1], result)
}

/// Which of the two results [`sunion_diff_generic`] computes.
#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Diff,
}

/// The one union-or-difference behind SUNION, SDIFF, SUNIONSTORE and SDIFFSTORE: replies the
/// result as a set, or stores it at `destination`.
fn sunion_diff_generic(
    ctx: &mut WriteCtx,
    keys: &[Vec<u8>],
    destination: Option<&[u8]>,
    op: Op,
) -> Reply {
    let result = match compute(&ctx.as_read(), keys, op) {
        Ok(result) => result,
        Err(error) => return error,
    };
    match destination {
        Some(destination) => store(ctx, destination, result),
        None => Reply::Set(bulks(result.iter())),
    }
}

fn compute(ctx: &ReadCtx, keys: &[Vec<u8>], op: Op) -> Result<SetValue, Reply> {
    let sets = lookup_all(ctx.db(), keys, ctx.now_ms)?;
    Ok(match op {
        Op::Union => union_of(&sets, &ctx.keyspace.encoding),
        Op::Diff => difference_of(keys, &sets, &ctx.keyspace.encoding),
    })
}

fn sunion_diff_read(ctx: &ReadCtx, keys: &[Vec<u8>], op: Op) -> Reply {
    reply(compute(ctx, keys, op).map(|result| Reply::Set(bulks(result.iter()))))
}

pub fn sunion(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    sunion_diff_read(ctx, &argv[1..], Op::Union)
}

pub fn sdiff(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    sunion_diff_read(ctx, &argv[1..], Op::Diff)
}

pub fn sunionstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    sunion_diff_generic(ctx, &argv[2..], Some(&argv[1]), Op::Union)
}

pub fn sdiffstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    sunion_diff_generic(ctx, &argv[2..], Some(&argv[1]), Op::Diff)
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]: an intset is returned whole with cursor 0
/// (as Redis does); a hash table is paged by member hash, so every member present for the
/// whole scan is returned exactly once.
pub fn sscan(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(sscan_result(ctx, argv))
}

fn sscan_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let cursor = scan::scan_cursor(&argv[2])?;
    let Some(set) = lookup(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(scan::scan_reply(0, Vec::new()));
    };
    let options = ScanOptions::parse(&argv[3..], scan::Options::MatchCount)?;
    let (members, next) = match set.hashed_from(cursor) {
        None => (set.members(), 0),
        Some(from) => {
            let from = from.map(|(hash, member)| (hash, member.to_vec()));
            scan::scan_page(from, options.count)
        }
    };
    let found = members
        .into_iter()
        .filter(|member| options.matches(member))
        .map(Reply::bulk)
        .collect();
    Ok(scan::scan_reply(next, found))
}

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("sadd", -3, DENYOOM | FAST, 1, 1, 1, Write(legacy!(sadd))),
    cmd!("scard", 2, FAST, 1, 1, 1, Read(legacy!(scard))),
    cmd!("sdiff", -2, 0, 1, -1, 1, Read(legacy!(sdiff))),
    cmd!(
        "sdiffstore",
        -3,
        DENYOOM,
        1,
        -1,
        1,
        Write(legacy!(sdiffstore))
    ),
    cmd!("sinter", -2, 0, 1, -1, 1, Read(legacy!(sinter))),
    cmd!("sintercard", -3, 0, 0, 0, 0, Read(legacy!(sintercard))),
    cmd!(
        "sinterstore",
        -3,
        DENYOOM,
        1,
        -1,
        1,
        Write(legacy!(sinterstore))
    ),
    cmd!("sismember", 3, FAST, 1, 1, 1, Read(legacy!(sismember))),
    cmd!("smembers", 2, 0, 1, 1, 1, Read(legacy!(smembers))),
    cmd!("smismember", -3, FAST, 1, 1, 1, Read(legacy!(smismember))),
    cmd!("smove", 4, FAST, 1, 2, 1, Write(legacy!(smove))),
    cmd!("spop", -2, FAST | RANDOM, 1, 1, 1, Write(legacy!(spop))),
    cmd!(
        "srandmember",
        -2,
        RANDOM,
        1,
        1,
        1,
        Read(legacy!(srandmember))
    ),
    cmd!("srem", -3, FAST, 1, 1, 1, Write(legacy!(srem))),
    cmd!("sscan", -3, 0, 1, 1, 1, Read(legacy!(sscan))),
    cmd!("sunion", -2, 0, 1, -1, 1, Read(legacy!(sunion))),
    cmd!(
        "sunionstore",
        -3,
        DENYOOM,
        1,
        -1,
        1,
        Write(legacy!(sunionstore))
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::splice_value;
    use crate::testutil::{apply, bulk, bulks as bulk_array, err, int, read, read_seeded};
    use crate::Engine;

    const WRONGTYPE: &str = crate::reply::WRONGTYPE;

    fn engine_with(sets: &[(&str, &[&str])]) -> Engine {
        let mut engine = Engine::new();
        for (key, members) in sets {
            let mut parts = vec!["SADD", key];
            parts.extend_from_slice(members);
            apply(&mut engine, 1000, &parts);
        }
        apply(&mut engine, 1000, &["SET", "str", "v"]);
        engine
    }

    fn set_of(engine: &Engine, key: &str) -> SetValue {
        match &engine.keyspace().dbs[0]
            .get(key.as_bytes(), 0)
            .unwrap()
            .value
        {
            Value::Set(set) => (**set).clone(),
            other => panic!("not a set: {other:?}"),
        }
    }

    fn set_reply(members: &[&str]) -> Reply {
        Reply::Set(members.iter().map(|m| bulk(m)).collect())
    }

    fn sorted(reply: Reply) -> Vec<Vec<u8>> {
        let (Reply::Set(items) | Reply::Array(items)) = reply else {
            panic!("not a collection: {reply:?}");
        };
        let mut members: Vec<Vec<u8>> = items
            .into_iter()
            .map(|item| match item {
                Reply::Bulk(bytes) => bytes,
                other => panic!("not a bulk: {other:?}"),
            })
            .collect();
        members.sort();
        members
    }

    fn strings(members: &[&str]) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = members.iter().map(|m| m.as_bytes().to_vec()).collect();
        out.sort();
        out
    }

    #[test]
    fn sadd_counts_new_members_and_an_intset_lists_ascending() {
        let mut engine = Engine::new();
        assert_eq!(
            apply(&mut engine, 0, &["SADD", "s", "10", "-3", "7"]),
            int(3)
        );
        assert_eq!(apply(&mut engine, 0, &["SADD", "s", "7", "0"]), int(1));
        assert_eq!(set_of(&engine, "s").encoding_name(), "intset");
        assert_eq!(
            read(&engine, 0, &["SMEMBERS", "s"]),
            set_reply(&["-3", "0", "7", "10"])
        );
        assert_eq!(read(&engine, 0, &["SCARD", "s"]), int(4));
        assert_eq!(read(&engine, 0, &["SCARD", "nope"]), int(0));
        assert_eq!(read(&engine, 0, &["SMEMBERS", "nope"]), set_reply(&[]));
    }

    #[test]
    fn non_integers_and_too_many_members_make_a_hash_table() {
        let mut engine = Engine::new();
        apply(&mut engine, 0, &["SADD", "a", "1", "007"]);
        assert_eq!(set_of(&engine, "a").encoding_name(), "hashtable");
        apply(&mut engine, 0, &["SADD", "b", "x"]);
        assert_eq!(set_of(&engine, "b").encoding_name(), "hashtable");
        apply(&mut engine, 0, &["SREM", "a", "007"]);
        assert_eq!(set_of(&engine, "a").encoding_name(), "hashtable");
        for i in 0..INTSET_ENTRIES_MAX {
            apply(&mut engine, 0, &["SADD", "big", &i.to_string()]);
        }
        assert_eq!(set_of(&engine, "big").encoding_name(), "intset");
        apply(&mut engine, 0, &["SADD", "big", "-1"]);
        assert_eq!(set_of(&engine, "big").encoding_name(), "hashtable");
        assert_eq!(read(&engine, 0, &["SCARD", "big"]), int(513));
        assert_eq!(read(&engine, 0, &["SISMEMBER", "big", "-1"]), int(1));
        // "-0" and "+1" are not integers to Redis.
        apply(&mut engine, 0, &["SADD", "c", "1"]);
        assert_eq!(read(&engine, 0, &["SISMEMBER", "c", "+1"]), int(0));
        apply(&mut engine, 0, &["SADD", "c", "-0"]);
        assert_eq!(set_of(&engine, "c").encoding_name(), "hashtable");
    }

    #[test]
    fn set_commands_reject_other_types() {
        let mut engine = engine_with(&[("s", &["1"])]);
        for parts in [
            &["SADD", "str", "a"][..],
            &["SREM", "str", "a"],
            &["SPOP", "str"],
            &["SPOP", "str", "2"],
            &["SMOVE", "str", "s", "a"],
            &["SMOVE", "s", "str", "1"],
            &["SINTERSTORE", "d", "s", "str"],
            &["SUNIONSTORE", "d", "str"],
            &["SDIFFSTORE", "d", "s", "str"],
        ] {
            assert_eq!(apply(&mut engine, 1000, parts), err(WRONGTYPE), "{parts:?}");
        }
        for parts in [
            &["SMEMBERS", "str"][..],
            &["SISMEMBER", "str", "a"],
            &["SMISMEMBER", "str", "a"],
            &["SCARD", "str"],
            &["SRANDMEMBER", "str"],
            &["SRANDMEMBER", "str", "-2"],
            &["SINTER", "nope", "str"],
            &["SINTERCARD", "2", "nope", "str"],
            &["SUNION", "s", "str"],
            &["SDIFF", "nope", "str"],
            &["SSCAN", "str", "0"],
        ] {
            assert_eq!(read(&engine, 1000, parts), err(WRONGTYPE), "{parts:?}");
        }
        assert_eq!(read(&engine, 1000, &["EXISTS", "d"]), int(0));
    }

    #[test]
    fn srem_counts_and_deletes_an_emptied_set() {
        let mut engine = engine_with(&[("s", &["a", "b"])]);
        assert_eq!(
            apply(&mut engine, 1000, &["SREM", "s", "a", "x", "a"]),
            int(1)
        );
        assert_eq!(apply(&mut engine, 1000, &["SREM", "nope", "a"]), int(0));
        assert_eq!(apply(&mut engine, 1000, &["SREM", "s", "b"]), int(1));
        assert_eq!(read(&engine, 1000, &["EXISTS", "s"]), int(0));
        let mut ints = engine_with(&[("i", &["1", "2"])]);
        assert_eq!(
            apply(&mut ints, 1000, &["SREM", "i", "x", "01", "2"]),
            int(1)
        );
    }

    #[test]
    fn sismember_and_smismember() {
        let engine = engine_with(&[("s", &["a", "1"])]);
        assert_eq!(read(&engine, 1000, &["SISMEMBER", "s", "a"]), int(1));
        assert_eq!(read(&engine, 1000, &["SISMEMBER", "s", "b"]), int(0));
        assert_eq!(read(&engine, 1000, &["SISMEMBER", "nope", "b"]), int(0));
        assert_eq!(
            read(&engine, 1000, &["SMISMEMBER", "s", "1", "b", "a"]),
            Reply::Array(vec![int(1), int(0), int(1)])
        );
        assert_eq!(
            read(&engine, 1000, &["SMISMEMBER", "nope", "1", "b"]),
            Reply::Array(vec![int(0), int(0)])
        );
    }

    #[test]
    fn smove_moves_creates_and_deletes() {
        let mut engine = engine_with(&[("a", &["1", "2"]), ("b", &["x"])]);
        apply(&mut engine, 1000, &["PEXPIRE", "b", "500"]);
        assert_eq!(apply(&mut engine, 1000, &["SMOVE", "a", "b", "1"]), int(1));
        assert_eq!(apply(&mut engine, 1000, &["SMOVE", "a", "b", "9"]), int(0));
        assert_eq!(read(&engine, 1000, &["PTTL", "b"]), int(500));
        assert_eq!(apply(&mut engine, 1000, &["SMOVE", "a", "c", "2"]), int(1));
        assert_eq!(read(&engine, 1000, &["EXISTS", "a"]), int(0));
        assert_eq!(set_of(&engine, "c").encoding_name(), "intset");
        assert_eq!(read(&engine, 1000, &["SMEMBERS", "c"]), set_reply(&["2"]));
        assert_eq!(
            sorted(read(&engine, 1000, &["SMEMBERS", "b"])),
            strings(&["1", "x"])
        );
        // Onto itself: whether it is a member; nothing changes.
        assert_eq!(apply(&mut engine, 1000, &["SMOVE", "b", "b", "x"]), int(1));
        assert_eq!(apply(&mut engine, 1000, &["SMOVE", "b", "b", "y"]), int(0));
        // An absent source answers 0 even when the destination has another type.
        assert_eq!(
            apply(&mut engine, 1000, &["SMOVE", "nope", "str", "x"]),
            int(0)
        );
    }

    #[test]
    fn spop_pops_one_at_random_and_deletes_an_emptied_set() {
        let mut engine = engine_with(&[("s", &["a", "b", "c"])]);
        let mut popped = Vec::new();
        for _ in 0..3 {
            let Reply::Bulk(member) = apply(&mut engine, 1000, &["SPOP", "s"]) else {
                panic!()
            };
            popped.push(member);
        }
        popped.sort();
        assert_eq!(popped, strings(&["a", "b", "c"]));
        assert_eq!(read(&engine, 1000, &["EXISTS", "s"]), int(0));
        assert_eq!(apply(&mut engine, 1000, &["SPOP", "s"]), Reply::Nil);
    }

    #[test]
    fn spop_with_a_count() {
        let mut engine = engine_with(&[("s", &["a", "b", "c", "d", "e", "f"])]);
        let popped = sorted(apply(&mut engine, 1000, &["SPOP", "s", "2"]));
        assert_eq!(popped.len(), 2);
        let left = sorted(read(&engine, 1000, &["SMEMBERS", "s"]));
        assert_eq!(left.len(), 4);
        assert!(popped.iter().all(|m| !left.contains(m)));
        // Most of the set: the rest is rebuilt from the members that stay.
        let popped = sorted(apply(&mut engine, 1000, &["SPOP", "s", "3"]));
        assert_eq!(popped.len(), 3);
        assert_eq!(read(&engine, 1000, &["SCARD", "s"]), int(1));
        assert_eq!(
            apply(&mut engine, 1000, &["SPOP", "s", "0"]),
            set_reply(&[])
        );
        let left = read(&engine, 1000, &["SMEMBERS", "s"]);
        assert_eq!(apply(&mut engine, 1000, &["SPOP", "s", "5"]), left);
        assert_eq!(read(&engine, 1000, &["EXISTS", "s"]), int(0));
        assert_eq!(
            apply(&mut engine, 1000, &["SPOP", "s", "5"]),
            set_reply(&[])
        );
        // A hash table of integers popped down to a few is rebuilt as an intset, as in Redis.
        // Fewer pops leave it a hash table (checked against redis-server 7.0).
        let mut ints = engine_with(&[
            ("t", &["x", "1", "2", "3", "4", "5", "6"]),
            ("u", &["x", "1", "2", "3", "4", "5"]),
        ]);
        apply(&mut ints, 1000, &["SREM", "t", "x"]);
        apply(&mut ints, 1000, &["SREM", "u", "x"]);
        assert_eq!(set_of(&ints, "t").encoding_name(), "hashtable");
        apply(&mut ints, 1000, &["SPOP", "t", "5"]);
        assert_eq!(set_of(&ints, "t").encoding_name(), "intset");
        apply(&mut ints, 1000, &["SPOP", "u", "4"]);
        assert_eq!(set_of(&ints, "u").encoding_name(), "hashtable");
        // The whole set comes back as a union would list it: ascending integers.
        let mut all = engine_with(&[("u", &["x", "3", "1", "2"])]);
        apply(&mut all, 1000, &["SREM", "u", "x"]);
        assert_eq!(
            apply(&mut all, 1000, &["SPOP", "u", "3"]),
            set_reply(&["1", "2", "3"])
        );
    }

    #[test]
    fn spop_errors() {
        let mut engine = engine_with(&[("s", &["a"])]);
        assert_eq!(
            apply(&mut engine, 1000, &["SPOP", "s", "x"]),
            err("ERR value is out of range, must be positive")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["SPOP", "s", "-1"]),
            err("ERR value is out of range, must be positive")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["SPOP", "str", "-1"]),
            err("ERR value is out of range, must be positive"),
            "the count is checked before the type"
        );
        assert_eq!(
            apply(&mut engine, 1000, &["SPOP", "s", "1", "2"]),
            err(args::SYNTAX_ERROR)
        );
    }

    #[test]
    fn spop_is_a_function_of_the_entry() {
        let run = || {
            let mut engine = engine_with(&[("s", &["a", "b", "c", "d", "e", "f", "g"])]);
            let replies: Vec<Reply> = (0..3)
                .map(|_| apply(&mut engine, 2000, &["SPOP", "s", "2"]))
                .collect();
            (replies, engine.encode_snapshot())
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn srandmember_without_and_with_counts() {
        let engine = engine_with(&[("s", &["a", "b", "c", "d"])]);
        let mut seen = Vec::new();
        for seed in 0..40 {
            let reply = read_seeded(&engine, 1000, seed, &["SRANDMEMBER", "s"]);
            if !seen.contains(&reply) {
                seen.push(reply);
            }
            let distinct = sorted(read_seeded(&engine, 1000, seed, &["SRANDMEMBER", "s", "3"]));
            let mut deduped = distinct.clone();
            deduped.dedup();
            assert_eq!(deduped.len(), 3);
            let repeated = sorted(read_seeded(
                &engine,
                1000,
                seed,
                &["SRANDMEMBER", "s", "-9"],
            ));
            assert_eq!(repeated.len(), 9);
        }
        assert_eq!(seen.len(), 4);
        let ints = engine_with(&[("i", &["3", "1", "2"])]);
        assert_eq!(
            read(&ints, 1000, &["SRANDMEMBER", "i", "5"]),
            bulk_array(&["1", "2", "3"])
        );
        assert_eq!(
            read(&engine, 1000, &["SRANDMEMBER", "s", "0"]),
            bulk_array(&[])
        );
        assert_eq!(read(&engine, 1000, &["SRANDMEMBER", "nope"]), Reply::Nil);
        assert_eq!(
            read(&engine, 1000, &["SRANDMEMBER", "nope", "-3"]),
            bulk_array(&[])
        );
        assert_eq!(
            read(&engine, 1000, &["SRANDMEMBER", "nope", "x"]),
            err(args::NOT_INTEGER)
        );
        assert_eq!(
            read(&engine, 1000, &["SRANDMEMBER", "s", "-9223372036854775808"]),
            err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        assert_eq!(
            read(&engine, 1000, &["SRANDMEMBER", "s", "-9223372036854775807"]),
            err("ERR value is out of range")
        );
        assert_eq!(
            read(&engine, 1000, &["SRANDMEMBER", "s", "1", "2"]),
            err(args::SYNTAX_ERROR)
        );
    }

    #[test]
    fn sinter_sintercard_and_sinterstore() {
        let mut engine = engine_with(&[
            ("a", &["1", "2", "3", "4", "x"]),
            ("b", &["4", "3", "2"]),
            ("c", &["2", "3", "9", "y"]),
        ]);
        assert_eq!(
            read(&engine, 1000, &["SINTER", "a", "b"]),
            set_reply(&["2", "3", "4"]),
            "the smallest set (an intset) gives the order"
        );
        assert_eq!(
            sorted(read(&engine, 1000, &["SINTER", "a", "b", "c"])),
            strings(&["2", "3"])
        );
        assert_eq!(
            read(&engine, 1000, &["SINTER", "a", "nope"]),
            set_reply(&[])
        );
        assert_eq!(read(&engine, 1000, &["SINTERCARD", "2", "a", "b"]), int(3));
        assert_eq!(
            read(&engine, 1000, &["SINTERCARD", "2", "a", "b", "LIMIT", "2"]),
            int(2)
        );
        assert_eq!(
            read(&engine, 1000, &["SINTERCARD", "2", "a", "b", "limit", "0"]),
            int(3)
        );
        assert_eq!(read(&engine, 1000, &["SINTERCARD", "1", "nope"]), int(0));
        apply(&mut engine, 1000, &["SET", "d", "v", "PX", "50"]);
        assert_eq!(
            apply(&mut engine, 1000, &["SINTERSTORE", "d", "a", "b"]),
            int(3)
        );
        assert_eq!(set_of(&engine, "d").encoding_name(), "intset");
        assert_eq!(read(&engine, 1000, &["PTTL", "d"]), int(-1));
        assert_eq!(
            apply(&mut engine, 1000, &["SINTERSTORE", "d", "a", "nope"]),
            int(0)
        );
        assert_eq!(read(&engine, 1000, &["EXISTS", "d"]), int(0));
    }

    #[test]
    fn sintercard_errors() {
        let engine = engine_with(&[("a", &["1"])]);
        let card = |parts: &[&str]| {
            let mut argv = vec!["SINTERCARD"];
            argv.extend_from_slice(parts);
            read(&engine, 1000, &argv)
        };
        let numkeys = err("ERR numkeys should be greater than 0");
        assert_eq!(card(&["0", "a"]), numkeys);
        assert_eq!(card(&["-1", "a"]), numkeys);
        assert_eq!(card(&["x", "a"]), numkeys);
        assert_eq!(
            card(&["3", "a", "b"]),
            err("ERR Number of keys can't be greater than number of args")
        );
        assert_eq!(card(&["1", "a", "LIMIT"]), err(args::SYNTAX_ERROR));
        assert_eq!(card(&["1", "a", "FOO", "1"]), err(args::SYNTAX_ERROR));
        let negative = err("ERR LIMIT can't be negative");
        assert_eq!(card(&["1", "a", "LIMIT", "-1"]), negative);
        assert_eq!(card(&["1", "a", "LIMIT", "x"]), negative);
        assert_eq!(
            card(&["1", "str", "LIMIT", "x"]),
            negative,
            "options before types"
        );
        assert_eq!(card(&["2", "a", "LIMIT"]), int(0), "LIMIT is a key here");
        assert_eq!(card(&["2", "a", "LIMIT", "1"]), err(args::SYNTAX_ERROR));
    }

    #[test]
    fn sunion_sdiff_and_their_store_forms() {
        let mut engine = engine_with(&[
            ("a", &["3", "1", "2"]),
            ("b", &["2", "5"]),
            ("c", &["x", "1"]),
        ]);
        assert_eq!(
            read(&engine, 1000, &["SUNION", "a", "b", "nope"]),
            set_reply(&["1", "2", "3", "5"])
        );
        assert_eq!(
            sorted(read(&engine, 1000, &["SUNION", "a", "c"])),
            strings(&["1", "2", "3", "x"])
        );
        assert_eq!(
            read(&engine, 1000, &["SDIFF", "a", "b", "nope"]),
            set_reply(&["1", "3"])
        );
        assert_eq!(
            read(&engine, 1000, &["SDIFF", "a", "b", "a"]),
            set_reply(&[])
        );
        assert_eq!(read(&engine, 1000, &["SDIFF", "nope", "a"]), set_reply(&[]));
        assert_eq!(read(&engine, 1000, &["SDIFF", "c", "a"]), set_reply(&["x"]));
        assert_eq!(
            apply(&mut engine, 1000, &["SUNIONSTORE", "d", "a", "b"]),
            int(4)
        );
        assert_eq!(set_of(&engine, "d").encoding_name(), "intset");
        assert_eq!(
            apply(&mut engine, 1000, &["SDIFFSTORE", "d", "c", "a"]),
            int(1)
        );
        assert_eq!(set_of(&engine, "d").encoding_name(), "hashtable");
        assert_eq!(
            apply(&mut engine, 1000, &["SDIFFSTORE", "d", "a", "a"]),
            int(0)
        );
        assert_eq!(read(&engine, 1000, &["EXISTS", "d"]), int(0));
        assert_eq!(
            apply(&mut engine, 1000, &["SUNIONSTORE", "d", "nope"]),
            int(0)
        );
        // The store forms overwrite a key of another type.
        assert_eq!(
            apply(&mut engine, 1000, &["SUNIONSTORE", "str", "b"]),
            int(2)
        );
        assert_eq!(
            read(&engine, 1000, &["SMEMBERS", "str"]),
            set_reply(&["2", "5"])
        );
    }

    #[test]
    fn sdiff_keeps_the_encoding_of_the_algorithm_redis_picks() {
        // One big first set and a small other: Redis adds the whole first set (a hash table,
        // for its "x") and removes; the integers left stay in a hash table.
        let mut engine = engine_with(&[
            ("a", &["x", "1", "2", "3", "4", "5", "6"]),
            ("b", &["x"]),
            ("c", &["x"]),
            ("d", &["x"]),
        ]);
        apply(&mut engine, 1000, &["SDIFFSTORE", "r", "a", "b", "c", "d"]);
        assert_eq!(set_of(&engine, "r").encoding_name(), "hashtable");
        // Few sets: Redis adds only the members that survive (all integers): an intset.
        apply(&mut engine, 1000, &["SDIFFSTORE", "r", "a", "b"]);
        assert_eq!(set_of(&engine, "r").encoding_name(), "intset");
    }

    #[test]
    fn sscan_returns_an_intset_whole_and_pages_a_hash_table() {
        let mut engine = engine_with(&[("i", &["12", "3", "11"])]);
        assert_eq!(
            read(
                &engine,
                1000,
                &["SSCAN", "i", "0", "COUNT", "1", "MATCH", "1*"]
            ),
            Reply::Array(vec![bulk("0"), bulk_array(&["11", "12"])])
        );
        assert_eq!(
            read(&engine, 1000, &["SSCAN", "nope", "0", "BOGUS"]),
            Reply::Array(vec![bulk("0"), bulk_array(&[])])
        );
        for i in 0..300 {
            apply(&mut engine, 1000, &["SADD", "big", &format!("m{i}")]);
        }
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        loop {
            let Reply::Array(parts) = read(&engine, 1000, &["SSCAN", "big", &cursor]) else {
                panic!()
            };
            let [Reply::Bulk(next), found] = &parts[..] else {
                panic!()
            };
            seen.extend(sorted(found.clone()));
            cursor = String::from_utf8(next.clone()).unwrap();
            if cursor == "0" {
                break;
            }
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 300);
        assert_eq!(
            read(&engine, 1000, &["SSCAN", "i", "x"]),
            err("ERR invalid cursor")
        );
        assert_eq!(
            read(&engine, 1000, &["SSCAN", "i", "0", "COUNT", "0"]),
            err(args::SYNTAX_ERROR)
        );
        assert_eq!(
            read(&engine, 1000, &["SSCAN", "str", "0", "COUNT", "0"]),
            err(WRONGTYPE)
        );
    }

    fn form(engine: &Engine, key: &str) -> &'static str {
        match set_of(engine, key).repr {
            Repr::Intset(_) => "intset",
            Repr::Packed(_) => "packed",
            Repr::Table(_) => "table",
        }
    }

    #[test]
    fn a_packed_set_becomes_a_table_past_its_limits() {
        let mut engine = Engine::new();
        for i in 0..PACKED_MEMBERS_MAX {
            apply(&mut engine, 0, &["SADD", "n", &format!("m{i}")]);
        }
        assert_eq!(form(&engine, "n"), "packed");
        assert_eq!(apply(&mut engine, 0, &["SADD", "n", "m0"]), int(0));
        assert_eq!(
            form(&engine, "n"),
            "packed",
            "a repeated member adds nothing"
        );
        apply(&mut engine, 0, &["SADD", "n", "one-more"]);
        assert_eq!(form(&engine, "n"), "table");
        assert_eq!(read(&engine, 0, &["SCARD", "n"]), int(129));
        apply(&mut engine, 0, &["SREM", "n", "one-more", "m1", "m2"]);
        assert_eq!(form(&engine, "n"), "table", "no conversion back");

        let longest = "l".repeat(PACKED_MEMBER_BYTES_MAX);
        apply(&mut engine, 0, &["SADD", "w", "a", &longest]);
        assert_eq!(form(&engine, "w"), "packed");
        apply(&mut engine, 0, &["SADD", "w", &format!("{longest}+")]);
        assert_eq!(form(&engine, "w"), "table");
        assert_eq!(read(&engine, 0, &["SISMEMBER", "w", &longest]), int(1));

        // An intset meeting a non-integer is packed when small, a table when not.
        apply(&mut engine, 0, &["SADD", "i", "1", "2", "x"]);
        assert_eq!(form(&engine, "i"), "packed");
        for i in 0..200 {
            apply(&mut engine, 0, &["SADD", "j", &i.to_string()]);
        }
        apply(&mut engine, 0, &["SADD", "j", "x"]);
        assert_eq!(form(&engine, "j"), "table");
        for key in ["n", "w", "i", "j"] {
            assert_eq!(set_of(&engine, key).encoding_name(), "hashtable");
        }
    }

    /// Two engines holding the same members, one packed and one in the table form (grown
    /// past the limit, then shrunk back: it never converts back).
    fn packed_and_table_twins() -> (Engine, Engine) {
        let members: Vec<String> = (0..40).map(|i| format!("m{}", 123_456 + i * 7)).collect();
        let mut packed = Engine::new();
        let mut table = Engine::new();
        for member in &members {
            apply(&mut packed, 1, &["SADD", "s", member]);
        }
        let extra: Vec<String> = (0..PACKED_MEMBERS_MAX).map(|i| format!("x{i}")).collect();
        for member in members.iter().chain(&extra) {
            apply(&mut table, 1, &["SADD", "s", member]);
        }
        for member in &extra {
            apply(&mut table, 1, &["SREM", "s", member]);
        }
        assert_eq!(form(&packed, "s"), "packed");
        assert_eq!(form(&table, "s"), "table");
        (packed, table)
    }

    #[test]
    fn packed_and_table_forms_scan_pick_and_snapshot_alike() {
        let (mut packed, mut table) = packed_and_table_twins();
        assert!(set_of(&packed, "s").iter().eq(set_of(&table, "s").iter()));
        assert_eq!(packed, table);
        assert_eq!(packed.encode_snapshot(), table.encode_snapshot());
        let both = |args: &[&str], seed: u64| {
            let reply = read_seeded(&packed, 1, seed, args);
            assert_eq!(reply, read_seeded(&table, 1, seed, args), "{args:?}");
            reply
        };
        both(&["SMEMBERS", "s"], 0);
        both(&["OBJECT", "ENCODING", "s"], 0);
        for seed in 0..20 {
            both(&["SRANDMEMBER", "s"], seed);
            both(&["SRANDMEMBER", "s", "5"], seed);
            both(&["SRANDMEMBER", "s", "-7"], seed);
        }
        let mut cursor = "0".to_string();
        loop {
            let reply = both(&["SSCAN", "s", &cursor, "COUNT", "3"], 0);
            let Reply::Array(parts) = reply else { panic!() };
            let Reply::Bulk(next) = &parts[0] else {
                panic!()
            };
            cursor = String::from_utf8(next.clone()).unwrap();
            if cursor == "0" {
                break;
            }
        }
        // A cursor between two members' hashes resumes at the same place in both forms.
        both(&["SSCAN", "s", "9223372036854775808", "COUNT", "2"], 0);
        for (at, args) in [
            (10, &["SPOP", "s"][..]),
            (11, &["SPOP", "s", "3"]),
            (12, &["SPOP", "s", "30"]),
        ] {
            let reply = apply(&mut packed, at, args);
            assert_eq!(reply, apply(&mut table, at, args), "{args:?}");
        }
        assert_eq!(packed.encode_snapshot(), table.encode_snapshot());
    }

    #[test]
    fn a_small_set_is_one_buffer_without_slack() {
        assert!(std::mem::size_of::<SetValue>() <= 32);
        let mut engine = Engine::new();
        for i in 0..10 {
            apply(&mut engine, 0, &["SADD", "s", &format!("m{}", 123_456 + i)]);
        }
        apply(&mut engine, 0, &["SADD", "s", "extra"]);
        apply(&mut engine, 0, &["SREM", "s", "extra"]);
        // A count byte and 10 entries of 1 + 7 bytes: a tree node and a buffer per member
        // would cost several times more.
        assert_eq!(set_of(&engine, "s").heap_bytes(), 1 + 10 * 8);
        for i in 0..10 {
            apply(&mut engine, 0, &["SADD", "i", &i.to_string()]);
        }
        apply(&mut engine, 0, &["SREM", "i", "3"]);
        assert_eq!(set_of(&engine, "i").heap_bytes(), 9 * 8, "an exact intset");
    }

    #[test]
    fn snapshot_round_trips_both_encodings_and_rejects_bad_contents() {
        for members in [&["3", "1", "-7"][..], &["a", "1", "b"]] {
            let engine = engine_with(&[("s", members)]);
            let bytes = engine.encode_snapshot();
            let decoded = Engine::decode_snapshot(&bytes).unwrap();
            assert_eq!(set_of(&decoded, "s"), set_of(&engine, "s"));
            assert_eq!(decoded.encode_snapshot(), bytes);
        }
        let decode = |value: &[u8]| {
            let mut only = Engine::new();
            apply(&mut only, 1000, &["SADD", "s", "1"]);
            Engine::decode_snapshot(&splice_value(&only, value))
        };
        let mut unordered = vec![ENCODING_INTSET];
        unordered.extend_from_slice(&2u32.to_le_bytes());
        unordered.extend_from_slice(&5i64.to_le_bytes());
        unordered.extend_from_slice(&5i64.to_le_bytes());
        assert!(decode(&unordered).is_err());
        let mut dup = vec![ENCODING_TABLE];
        dup.extend_from_slice(&2u32.to_le_bytes());
        put_bytes(&mut dup, b"m");
        put_bytes(&mut dup, b"m");
        assert!(decode(&dup).is_err());
        dup[0] = 9;
        assert!(decode(&dup).is_err());
        let mut good = vec![ENCODING_TABLE];
        good.extend_from_slice(&1u32.to_le_bytes());
        put_bytes(&mut good, b"m");
        assert!(decode(&good).is_ok());
    }

    #[test]
    fn the_replicated_intset_threshold_decides_conversions() {
        use crate::testutil::{config_set, encoding};
        let mut e = Engine::new();
        config_set(&mut e, "set-max-intset-entries", "2");
        apply(&mut e, 1000, &["SADD", "s", "1", "2"]);
        assert_eq!(encoding(&e, "s"), "intset");
        apply(&mut e, 1000, &["SADD", "s", "3"]);
        assert_eq!(encoding(&e, "s"), "hashtable");
        apply(&mut e, 1000, &["SADD", "t", "5", "4"]);
        apply(&mut e, 1000, &["SUNIONSTORE", "u", "t"]);
        assert_eq!(encoding(&e, "u"), "intset");
        apply(&mut e, 1000, &["SUNIONSTORE", "u", "t", "s"]);
        assert_eq!(encoding(&e, "u"), "hashtable");
    }
}
