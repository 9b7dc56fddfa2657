//! Sorted-set commands (t_zset.c) and the sorted-set value type.
//!
//! The API half: [`ZSetValue`], a compact sorted sequence packed in one allocation (Redis's
//! listpack encoding, see [`PackedPairs`]) for small sets that converts past
//! zset-max-listpack-entries 128 / -value 64 to an order-statistic tree ([`OsTree`], rank and
//! select in O(log N)) plus a member→score map (Redis's skiplist encoding). The commands half:
//! ZADD/ZINCRBY over one generic add, the ZRANGE family over one generic range,
//! ZUNION/ZINTER/ZDIFF (and their STORE and CARD forms) over one generic set operation, pops
//! over pop cores that a later blocking layer (BZPOPMIN, BZMPOP) can call.
//!
//! Scores are replied as bulk strings printed with `%.17g` as Redis 7.0 does in RESP2 (see
//! [`score_reply`]).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::args::MUST_BE_POSITIVE;
use crate::args::{self, int_arg, is, reply, syntax_error, NOT_FLOAT};
use crate::config::EncodingConfig;
use crate::ctx::{ReadCtx, WriteCtx};
use crate::keyspace::{key_hash, Db, Entry, Value};
use crate::list::normalize_range;
use crate::mpop;
use crate::ostree::{cmp_entries, OsTree};
use crate::packed_pairs::{PackedPairs, ScoreKey};
use crate::reply::Reply;
use crate::rng::Rng;
use crate::scan::{self, scan_cursor, scan_reply, ScanOptions};
use crate::score::{d2string, parse_range_bound, parse_score};
use crate::set::SetValue;
use crate::snapshot::{put_bytes, Reader, SnapshotError};
use crate::table::{
    cmd, legacy, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST, RANDOM,
};

/// The snapshot tag of sorted sets (snapshot.rs), reported for malformed sorted-set bytes.
const SNAPSHOT_TAG: u8 = 4;
/// The most replies a ZRANDMEMBER with a negative count may ask for. Redis has no such cap;
/// here a huge count must not exhaust the serving node's memory.
const RANDOM_REPLIES_MAX: u64 = 1 << 24;

/// (score, member) pairs in the set's order.
pub type Entries = Vec<(f64, Vec<u8>)>;
/// (member, score) pairs in pop order.
pub type Popped = Vec<(Vec<u8>, f64)>;

const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// A sorted-set value.
#[derive(Clone, Debug)]
pub struct ZSetValue {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    /// Redis's listpack: (score, member) in order. −0 is stored as 0, as a listpack does (the
    /// packed score encoding has no −0).
    Compact(PackedPairs<ScoreKey>),
    /// Redis's skiplist + dict. Boxed so that the compact encoding sets the inline size.
    Large(Box<Large>),
}

#[derive(Clone, Debug, Default)]
struct Large {
    tree: OsTree,
    /// Member → score, keyed by (FNV-1a hash of the member, member): the hash order is the
    /// ZSCAN cursor order, stable across replicas and snapshots.
    members: BTreeMap<(u64, Vec<u8>), f64>,
}

impl Large {
    fn insert(&mut self, score: f64, member: &[u8]) {
        self.tree.insert(score, member);
        self.members
            .insert((key_hash(member), member.to_vec()), score);
    }
}

/// Inserts a member that is not in the compact set at its place in the order. (−0 is
/// stored as 0 by the score encoding, and 0 == −0 for the comparison.)
fn compact_insert(entries: &mut PackedPairs<ScoreKey>, score: f64, member: &[u8]) {
    let at = entries
        .find(|slot| cmp_entries((slot.key, slot.value), (score, member)) != Ordering::Less)
        .map_or(entries.end(), |slot| slot.span.start);
    entries.insert_at(at, score, member);
}

fn fits_compact(len: usize, longest_member: usize, limits: &EncodingConfig) -> bool {
    len as u64 <= limits.zset_entries() && longest_member as u64 <= limits.zset_value()
}

impl PartialEq for ZSetValue {
    fn eq(&self, other: &Self) -> bool {
        let bits = |z: &ZSetValue| -> Vec<(u64, Vec<u8>)> {
            z.entries()
                .into_iter()
                .map(|(s, m)| (s.to_bits(), m))
                .collect()
        };
        self.encoding_name() == other.encoding_name() && bits(self) == bits(other)
    }
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue {
            repr: Repr::Compact(PackedPairs::default()),
        }
    }
}

impl ZSetValue {
    /// An empty set as ZADD creates it: compact unless its first member is already too long.
    pub fn new_for(first_member_len: usize, limits: &EncodingConfig) -> ZSetValue {
        // Redis: zset_max_listpack_entries == 0 also starts with a skiplist.
        if limits.zset_entries() == 0 || first_member_len as u64 > limits.zset_value() {
            ZSetValue {
                repr: Repr::Large(Box::default()),
            }
        } else {
            ZSetValue::default()
        }
    }

    /// A set of entries already in order with distinct members, compact if it fits (as Redis's
    /// store commands leave their destination).
    pub fn from_sorted(entries: Vec<(f64, Vec<u8>)>, limits: &EncodingConfig) -> ZSetValue {
        let longest = entries.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        if fits_compact(entries.len(), longest, limits) {
            let entries = entries.iter().map(|(s, m)| (*s, m.as_slice()));
            return ZSetValue {
                repr: Repr::Compact(PackedPairs::from_pairs(entries)),
            };
        }
        let mut large = Box::<Large>::default();
        for (score, member) in &entries {
            large.insert(*score, member);
        }
        ZSetValue {
            repr: Repr::Large(large),
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Compact(entries) => entries.len(),
            Repr::Large(large) => large.tree.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Redis's OBJECT ENCODING name.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Compact(_) => "listpack",
            Repr::Large(_) => "skiplist",
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Compact(entries) => entries
                .find(|slot| slot.value == member)
                .map(|slot| slot.key),
            Repr::Large(large) => large
                .members
                .get(&(key_hash(member), member.to_vec()))
                .copied(),
        }
    }

    /// The 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Compact(entries) => entries.iter().position(|slot| slot.value == member),
            Repr::Large(large) => {
                let score = self.score(member)?;
                Some(large.tree.rank(score, member))
            }
        }
    }

    /// The entry at 0-based ascending `rank` (< len): a walk from the start for the compact
    /// encoding (as in a listpack), so loops over many ranks use [`ZSetValue::entries_at`].
    pub fn at(&self, rank: usize) -> (f64, &[u8]) {
        match &self.repr {
            Repr::Compact(entries) => {
                let slot = entries.iter().nth(rank).expect("rank below len");
                (slot.key, slot.value)
            }
            Repr::Large(large) => large.tree.select(rank).expect("rank below len"),
        }
    }

    /// The entries from `rank` on, in order: one walk of the compact encoding (where `at` per
    /// rank would walk from the start each time), O(log N) an entry in the large one.
    pub fn iter_from(&self, rank: usize) -> Box<dyn Iterator<Item = (f64, &[u8])> + '_> {
        match &self.repr {
            Repr::Compact(entries) => {
                Box::new(entries.iter().skip(rank).map(|slot| (slot.key, slot.value)))
            }
            Repr::Large(large) => Box::new(
                (rank..large.tree.len()).map(|r| large.tree.select(r).expect("rank below len")),
            ),
        }
    }

    /// The entries at `ranks` (each < len), in the order given: one walk of the compact
    /// encoding, then O(1) a rank; O(log N) a rank in the large one.
    pub fn entries_at(&self, ranks: impl IntoIterator<Item = usize>) -> Vec<(f64, Vec<u8>)> {
        let ranks = ranks.into_iter();
        match &self.repr {
            Repr::Compact(entries) => {
                let all: Vec<(f64, &[u8])> =
                    entries.iter().map(|slot| (slot.key, slot.value)).collect();
                ranks
                    .map(|rank| (all[rank].0, all[rank].1.to_vec()))
                    .collect()
            }
            Repr::Large(large) => ranks
                .map(|rank| {
                    let (score, member) = large.tree.select(rank).expect("rank below len");
                    (score, member.to_vec())
                })
                .collect(),
        }
    }

    /// How many entries come first for which `before` holds (it must hold for a prefix).
    pub fn partition_point(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Compact(entries) => entries
                .iter()
                .position(|slot| !before(slot.key, slot.value))
                .unwrap_or(entries.len()),
            Repr::Large(large) => large.tree.partition_point(before),
        }
    }

    /// Every entry in order.
    pub fn entries(&self) -> Vec<(f64, Vec<u8>)> {
        match &self.repr {
            Repr::Compact(entries) => entries
                .iter()
                .map(|slot| (slot.key, slot.value.to_vec()))
                .collect(),
            Repr::Large(large) => large.tree.to_vec(),
        }
    }

    /// The heap bytes of the compact encoding's buffer (None for the large one): tests bound
    /// it so that small sets stay one allocation.
    pub fn compact_bytes(&self) -> Option<usize> {
        match &self.repr {
            Repr::Compact(entries) => Some(entries.heap_bytes()),
            Repr::Large(_) => None,
        }
    }

    /// Adds a member that is not in the set, converting to the large encoding when the set
    /// outgrows the compact one (zsetAdd).
    pub fn insert_new(&mut self, score: f64, member: &[u8], limits: &EncodingConfig) {
        debug_assert!(!score.is_nan() && self.score(member).is_none());
        if let Repr::Compact(entries) = &mut self.repr {
            if (entries.len() as u64) < limits.zset_entries()
                && member.len() as u64 <= limits.zset_value()
            {
                compact_insert(entries, score, member);
                return;
            }
            self.convert_to_large();
        }
        if let Repr::Large(large) = &mut self.repr {
            large.insert(score, member);
        }
    }

    /// Converts a compact set to the large encoding (zsetConvert to skiplist), as SORT does
    /// to the sorted set it sorts.
    pub(crate) fn convert_to_large(&mut self) {
        if let Repr::Compact(entries) = &self.repr {
            let mut large = Box::<Large>::default();
            for slot in entries.iter() {
                large.insert(slot.key, slot.value);
            }
            self.repr = Repr::Large(large);
        }
    }

    /// Removes `member`; its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Compact(entries) => {
                let slot = entries.find(|slot| slot.value == member)?;
                let (score, span) = (slot.key, slot.span);
                entries.remove(span);
                Some(score)
            }
            Repr::Large(large) => {
                let score = large.members.remove(&(key_hash(member), member.to_vec()))?;
                let removed = large.tree.remove(score, member);
                assert!(removed, "zset tree and member map disagree");
                Some(score)
            }
        }
    }

    /// Changes the score of a member that is in the set.
    fn set_score(&mut self, member: &[u8], score: f64) {
        self.remove(member);
        match &mut self.repr {
            // Removal never overflows: re-inserting fits where the member was.
            Repr::Compact(entries) => compact_insert(entries, score, member),
            Repr::Large(large) => large.insert(score, member),
        }
    }

    /// ZADD's one step (zsetAdd): what happened, and the member's score afterwards.
    fn add(
        &mut self,
        score: f64,
        member: &[u8],
        flags: &AddFlags,
        limits: &EncodingConfig,
    ) -> Result<Added, Reply> {
        let Some(current) = self.score(member) else {
            if flags.xx {
                return Ok(Added::Nothing);
            }
            self.insert_new(score, member, limits);
            return Ok(Added::New(score));
        };
        if flags.nx {
            return Ok(Added::Nothing);
        }
        let new = if flags.incr { current + score } else { score };
        if new.is_nan() {
            return Err(Reply::error("ERR resulting score is not a number (NaN)"));
        }
        if (flags.lt && new >= current) || (flags.gt && new <= current) {
            return Ok(Added::Nothing);
        }
        if new == current {
            // Unchanged (0 == -0 included), but the reply shows the score computed.
            return Ok(Added::Same(new));
        }
        self.set_score(member, new);
        Ok(Added::Updated(new))
    }

    /// Up to `count` members from the large encoding in ZSCAN order, starting at the hash
    /// `cursor`; never splits members that share a hash. Returns them and the next cursor.
    fn scan_page(&self, cursor: u64, count: usize) -> (Vec<(f64, Vec<u8>)>, u64) {
        let Repr::Large(large) = &self.repr else {
            return (self.entries(), 0);
        };
        let mut page = Vec::new();
        let mut last_hash = None;
        for ((hash, member), score) in large.members.range((cursor, Vec::new())..) {
            if page.len() >= count && last_hash != Some(*hash) {
                return (page, *hash);
            }
            last_hash = Some(*hash);
            page.push((*score, member.clone()));
        }
        (page, 0)
    }

    /// Snapshot format: encoding (u8: 0 compact, 1 large), entry count (u64), then each entry
    /// in order: score (f64 bits, u64) and member.
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        out.push(u8::from(matches!(self.repr, Repr::Large(_))));
        let entries = self.entries();
        out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
        for (score, member) in &entries {
            out.extend_from_slice(&score.to_bits().to_le_bytes());
            put_bytes(out, member);
        }
    }

    /// Reads what [`ZSetValue::encode_snapshot`] wrote. Malformed content (an unknown
    /// encoding, a NaN score, entries out of order or repeated) is an error: a snapshot never
    /// builds a set that breaks this type's invariants. A compact set of any size loads, as a
    /// hash's listpack does.
    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<ZSetValue, SnapshotError> {
        let malformed = SnapshotError::UnknownType(SNAPSHOT_TAG);
        let large = match reader.u8()? {
            0 => false,
            1 => true,
            _ => return Err(malformed),
        };
        let count = reader.u64()?;
        let mut entries: Vec<(f64, Vec<u8>)> = Vec::new();
        for _ in 0..count {
            let score = f64::from_bits(reader.u64()?);
            let member = reader.bytes()?.to_vec();
            let in_order = entries
                .last()
                .is_none_or(|(s, m)| cmp_entries((*s, m), (score, &member)) == Ordering::Less);
            if score.is_nan() || !in_order {
                return Err(malformed);
            }
            entries.push((score, member));
        }
        let distinct: BTreeSet<&[u8]> = entries.iter().map(|(_, m)| m.as_slice()).collect();
        if distinct.len() != entries.len() {
            return Err(malformed);
        }
        if !large {
            // Any size may be compact: the thresholds are configuration, and lowering them
            // converts nothing until the next write.
            if entries
                .iter()
                .any(|(s, _)| *s == 0.0 && s.is_sign_negative())
            {
                return Err(malformed);
            }
            let entries = entries.iter().map(|(s, m)| (*s, m.as_slice()));
            return Ok(ZSetValue {
                repr: Repr::Compact(PackedPairs::from_pairs(entries)),
            });
        }
        let mut large = Box::<Large>::default();
        for (score, member) in &entries {
            large.insert(*score, member);
        }
        Ok(ZSetValue {
            repr: Repr::Large(large),
        })
    }
}

/// A score as Redis 7.0 replies it in RESP2: a bulk string printed with `%.17g`. (RESP3 would
/// want a double; the server's double encoding prints shortest form, which 7.0 does not.)
pub fn score_reply(score: f64) -> Reply {
    Reply::Double(score)
}

/// The live sorted set at `key`: Ok(None) when absent, WRONGTYPE for another type.
pub fn lookup_zset<'a>(
    db: &'a Db,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<&'a ZSetValue>, Reply> {
    match db.get(key, now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::ZSet(zset),
            ..
        }) => Ok(Some(zset)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

fn lookup_zset_mut<'a>(
    db: &'a mut Db,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<&'a mut ZSetValue>, Reply> {
    match db.get_mut(key, now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::ZSet(zset),
            ..
        }) => Ok(Some(zset)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

fn delete_if_empty(db: &mut Db, key: &[u8], now_ms: u64) {
    if matches!(lookup_zset(db, key, now_ms), Ok(Some(zset)) if zset.is_empty()) {
        db.remove(key, now_ms);
    }
}

/// Stores a result set at `key` as Redis's store commands do (the old value and its deadline
/// go); an empty result deletes the key. Replies the result's size. `entries` are in the
/// set's order (GEOSEARCHSTORE stores through here too).
pub(crate) fn store(ctx: &mut WriteCtx, key: &[u8], entries: Vec<(f64, Vec<u8>)>) -> Reply {
    let (now_ms, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let db = ctx.db();
    let len = entries.len() as i64;
    if entries.is_empty() {
        db.remove(key, now_ms);
    } else {
        let entry = Entry {
            value: Value::ZSet(ZSetValue::from_sorted(entries, &limits)),
            expires_at_ms: None,
        };
        db.insert(key, entry);
    }
    Reply::Integer(len)
}

/// Members, or (member, score) pairs when `withscores`: flat in RESP2, one array per pair in
/// RESP3, as Redis 7 replies to WITHSCORES.
fn entries_reply(entries: impl IntoIterator<Item = (f64, Vec<u8>)>, withscores: bool) -> Reply {
    let entries = entries.into_iter();
    if withscores {
        Reply::Pairs(
            entries
                .map(|(score, member)| (Reply::Bulk(member), score_reply(score)))
                .collect(),
        )
    } else {
        Reply::Array(entries.map(|(_, member)| Reply::Bulk(member)).collect())
    }
}

// ---- ZADD, ZINCRBY ----

#[derive(Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    incr: bool,
}

enum Added {
    New(f64),
    Updated(f64),
    /// Processed, stored score unchanged (the computed score, which may be 0 for a stored -0).
    Same(f64),
    /// Not processed (NX, XX, GT, LT said no).
    Nothing,
}

/// The one ADD behind ZADD and ZINCRBY (`incr`): options, then every score is parsed before
/// anything changes, so a command applies fully or not at all.
fn zadd_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], incr: bool) -> Result<Reply, Reply> {
    let mut flags = AddFlags {
        incr,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut at = 2;
    while let Some(opt) = argv.get(at) {
        let flag = if is(opt, "NX") {
            &mut flags.nx
        } else if is(opt, "XX") {
            &mut flags.xx
        } else if is(opt, "CH") {
            &mut ch
        } else if is(opt, "INCR") {
            &mut flags.incr
        } else if is(opt, "GT") {
            &mut flags.gt
        } else if is(opt, "LT") {
            &mut flags.lt
        } else {
            break;
        };
        *flag = true;
        at += 1;
    }
    let pairs = &argv[at..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(syntax_error());
    }
    if flags.nx && flags.xx {
        return Err(Reply::error(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err(Reply::error(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if flags.incr && pairs.len() > 2 {
        return Err(Reply::error(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let scores = pairs
        .chunks(2)
        .map(|pair| parse_score(&pair[0]).ok_or_else(|| Reply::error(NOT_FLOAT)))
        .collect::<Result<Vec<f64>, Reply>>()?;
    let key = &argv[1];
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let none = || {
        if flags.incr {
            Reply::Nil
        } else {
            Reply::Integer(0)
        }
    };
    if lookup_zset(ctx.db(), key, now)?.is_none() {
        if flags.xx {
            return Ok(none());
        }
        let entry = Entry {
            value: Value::ZSet(ZSetValue::new_for(pairs[1].len(), &limits)),
            expires_at_ms: None,
        };
        ctx.db().insert(key, entry);
    }
    let zset = lookup_zset_mut(ctx.db(), key, now)?.expect("present or just created");
    let (mut added, mut updated, mut last) = (0, 0, None);
    for (pair, score) in pairs.chunks(2).zip(scores) {
        match zset.add(score, &pair[1], &flags, &limits)? {
            Added::New(score) => {
                added += 1;
                last = Some(score);
            }
            Added::Updated(score) => {
                updated += 1;
                last = Some(score);
            }
            Added::Same(score) => last = Some(score),
            Added::Nothing => {}
        }
    }
    Ok(if flags.incr {
        last.map_or(Reply::Nil, score_reply)
    } else {
        Reply::Integer(if ch { added + updated } else { added })
    })
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
pub fn zadd(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(zadd_generic(ctx, argv, false))
}

/// ZINCRBY key increment member (ZADD's path with INCR, options and all, as in Redis).
pub fn zincrby(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(zadd_generic(ctx, argv, true))
}

// ---- simple reads ----

pub fn zcard(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(
        lookup_zset(ctx.db(), &argv[1], ctx.now_ms)
            .map(|z| Reply::Integer(z.map_or(0, ZSetValue::len) as i64)),
    )
}

pub fn zscore(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lookup_zset(ctx.db(), &argv[1], ctx.now_ms).map(|z| {
        z.and_then(|z| z.score(&argv[2]))
            .map_or(Reply::Nil, score_reply)
    }))
}

pub fn zmscore(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lookup_zset(ctx.db(), &argv[1], ctx.now_ms).map(|z| {
        Reply::Array(
            argv[2..]
                .iter()
                .map(|member| {
                    z.and_then(|z| z.score(member))
                        .map_or(Reply::Nil, score_reply)
                })
                .collect(),
        )
    }))
}

/// ZRANK / ZREVRANK key member [WITHSCORE] (WITHSCORE as Redis 7.2; 7.0 has no such option).
fn rank_generic(
    ctx: &ReadCtx,
    argv: &[Vec<u8>],
    reverse: bool,
    name: &str,
) -> Result<Reply, Reply> {
    if argv.len() > 4 {
        return Err(crate::table::wrong_arity(name));
    }
    let withscore = match argv.get(3) {
        None => false,
        Some(opt) if is(opt, "WITHSCORE") => true,
        Some(_) => return Err(syntax_error()),
    };
    let missing = if withscore {
        Reply::NilArray
    } else {
        Reply::Nil
    };
    let Some(zset) = lookup_zset(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(missing);
    };
    let member = &argv[2];
    let Some(rank) = zset.rank(member) else {
        return Ok(missing);
    };
    let rank = if reverse { zset.len() - 1 - rank } else { rank };
    let rank = Reply::Integer(rank as i64);
    Ok(if withscore {
        let score = zset.score(member).expect("ranked member has a score");
        Reply::Array(vec![rank, score_reply(score)])
    } else {
        rank
    })
}

pub fn zrank(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(rank_generic(ctx, argv, false, "zrank"))
}

pub fn zrevrank(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(rank_generic(ctx, argv, true, "zrevrank"))
}

// ---- ranges ----

/// A score range (zrangespec).
#[derive(Clone, Copy)]
struct ScoreRange {
    min: f64,
    min_exclusive: bool,
    max: f64,
    max_exclusive: bool,
}

impl ScoreRange {
    fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, Reply> {
        let bound = |arg| parse_range_bound(arg).ok_or_else(|| Reply::error(NOT_FLOAT_RANGE));
        let (min, min_exclusive) = bound(min)?;
        let (max, max_exclusive) = bound(max)?;
        Ok(ScoreRange {
            min,
            min_exclusive,
            max,
            max_exclusive,
        })
    }

    /// The ranks [from, to) of the entries in range.
    fn ranks(&self, zset: &ZSetValue) -> (usize, usize) {
        let from = zset.partition_point(|s, _| {
            if self.min_exclusive {
                s <= self.min
            } else {
                s < self.min
            }
        });
        let to = zset.partition_point(|s, _| {
            if self.max_exclusive {
                s < self.max
            } else {
                s <= self.max
            }
        });
        (from, to.max(from))
    }
}

/// One end of a lex range (zslParseLexItem).
#[derive(Clone)]
enum LexBound {
    NegInf,
    PosInf,
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

impl LexBound {
    fn parse(arg: &[u8]) -> Option<LexBound> {
        let alone = arg.get(1).is_none_or(|&b| b == 0);
        match arg.first()? {
            b'+' if alone => Some(LexBound::PosInf),
            b'-' if alone => Some(LexBound::NegInf),
            b'(' => Some(LexBound::Exclusive(arg[1..].to_vec())),
            b'[' => Some(LexBound::Inclusive(arg[1..].to_vec())),
            _ => None,
        }
    }

    /// Whether `member` lies below this bound taken as a minimum.
    fn below_min(&self, member: &[u8]) -> bool {
        match self {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Inclusive(min) => member < min.as_slice(),
            LexBound::Exclusive(min) => member <= min.as_slice(),
        }
    }

    /// Whether `member` lies within this bound taken as a maximum.
    fn within_max(&self, member: &[u8]) -> bool {
        match self {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Inclusive(max) => member <= max.as_slice(),
            LexBound::Exclusive(max) => member < max.as_slice(),
        }
    }
}

struct LexRange {
    min: LexBound,
    max: LexBound,
}

impl LexRange {
    fn parse(min: &[u8], max: &[u8]) -> Result<LexRange, Reply> {
        let bound = |arg| LexBound::parse(arg).ok_or_else(|| Reply::error(NOT_LEX_RANGE));
        Ok(LexRange {
            min: bound(min)?,
            max: bound(max)?,
        })
    }

    fn ranks(&self, zset: &ZSetValue) -> (usize, usize) {
        let from = zset.partition_point(|_, m| self.min.below_min(m));
        let to = zset.partition_point(|_, m| self.max.within_max(m));
        (from, to.max(from))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum RangeBy {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// The entries of ranks [from, to) in order (or reversed), after skipping `offset` and taking
/// at most `limit` (negative: all), as the LIMIT of BYSCORE/BYLEX does.
fn window(
    zset: &ZSetValue,
    (from, to): (usize, usize),
    reverse: bool,
    offset: i64,
    limit: i64,
) -> Vec<(f64, Vec<u8>)> {
    if offset < 0 {
        return Vec::new();
    }
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let ranks: Box<dyn Iterator<Item = usize>> = if reverse {
        Box::new((from..to).rev())
    } else {
        Box::new(from..to)
    };
    zset.entries_at(ranks.skip(offset).take(limit))
}

/// What a range produced, in emission order.
struct RangeResult {
    entries: Entries,
    withscores: bool,
    /// By rank: the size is known before emission (ZRANGESTORE sizes its destination by it).
    by_rank: bool,
}

/// The one ZRANGE behind ZRANGE, ZRANGESTORE, ZREVRANGE and the BYSCORE/BYLEX forms
/// (zrangeGenericCommand): options after `key min max`, then the range, then the key.
/// Returns the entries and whether scores were asked for.
fn zrange_generic(
    db: &Db,
    now_ms: u64,
    argv: &[Vec<u8>],
    key_at: usize,
    store: bool,
    mut by: RangeBy,
    mut direction: Direction,
) -> Result<RangeResult, Reply> {
    let mut withscores = false;
    let mut offset = 0i64;
    let mut limit = -1i64;
    let mut limited = false;
    let mut i = key_at + 3;
    while i < argv.len() {
        let opt = &argv[i];
        let left = argv.len() - i - 1;
        if !store && is(opt, "WITHSCORES") {
            withscores = true;
        } else if is(opt, "LIMIT") && left >= 2 {
            offset = int_arg(&argv[i + 1])?;
            limit = int_arg(&argv[i + 2])?;
            limited = true;
            i += 2;
        } else if direction == Direction::Auto && is(opt, "REV") {
            direction = Direction::Reverse;
        } else if by == RangeBy::Auto && is(opt, "BYLEX") {
            by = RangeBy::Lex;
        } else if by == RangeBy::Auto && is(opt, "BYSCORE") {
            by = RangeBy::Score;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    let reverse = direction == Direction::Reverse;
    if by == RangeBy::Auto {
        by = RangeBy::Rank;
    }
    // Redis compares the parsed limit with -1: "LIMIT 0 -1" counts as no LIMIT.
    if limited && limit != -1 && by == RangeBy::Rank {
        return Err(Reply::error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == RangeBy::Lex {
        return Err(Reply::error(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut min, mut max) = (&argv[key_at + 1], &argv[key_at + 2]);
    if reverse && by != RangeBy::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    enum Parsed {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let parsed = match by {
        RangeBy::Score => Parsed::Score(ScoreRange::parse(min, max)?),
        RangeBy::Lex => Parsed::Lex(LexRange::parse(min, max)?),
        _ => Parsed::Rank(int_arg(min)?, int_arg(max)?),
    };
    let by_rank = by == RangeBy::Rank;
    let Some(zset) = lookup_zset(db, &argv[key_at], now_ms)? else {
        return Ok(RangeResult {
            entries: Vec::new(),
            withscores,
            by_rank,
        });
    };
    let entries = match parsed {
        Parsed::Rank(start, end) => match normalize_range(start, end, zset.len()) {
            None => Vec::new(),
            Some((start, end)) => {
                let len = zset.len();
                zset.entries_at((start..=end).map(|i| if reverse { len - 1 - i } else { i }))
            }
        },
        Parsed::Score(range) => window(zset, range.ranks(zset), reverse, offset, limit),
        Parsed::Lex(range) => window(zset, range.ranks(zset), reverse, offset, limit),
    };
    Ok(RangeResult {
        entries,
        withscores,
        by_rank,
    })
}

fn range_read(ctx: &ReadCtx, argv: &[Vec<u8>], by: RangeBy, direction: Direction) -> Reply {
    reply(
        zrange_generic(ctx.db(), ctx.now_ms, argv, 1, false, by, direction)
            .map(|range| entries_reply(range.entries, range.withscores)),
    )
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub fn zrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    range_read(ctx, argv, RangeBy::Auto, Direction::Auto)
}

pub fn zrevrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    range_read(ctx, argv, RangeBy::Rank, Direction::Reverse)
}

pub fn zrangebyscore(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    range_read(ctx, argv, RangeBy::Score, Direction::Forward)
}

pub fn zrevrangebyscore(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    range_read(ctx, argv, RangeBy::Score, Direction::Reverse)
}

pub fn zrangebylex(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    range_read(ctx, argv, RangeBy::Lex, Direction::Forward)
}

pub fn zrevrangebylex(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    range_read(ctx, argv, RangeBy::Lex, Direction::Reverse)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]. The destination is
/// built as Redis builds it: large from the start when a rank range holds more than 128
/// entries, else compact, taking the entries in emission order and converting when one does
/// not fit (so a −0 emitted before the conversion is stored as 0, one after it as −0).
pub fn zrangestore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let range = match zrange_generic(ctx.db(), now, argv, 2, true, RangeBy::Auto, Direction::Auto) {
        Err(error) => return error,
        Ok(range) => range,
    };
    let key = &argv[1];
    let len = range.entries.len();
    if len == 0 {
        ctx.db().remove(key, now);
        return Reply::Integer(0);
    }
    let limits = ctx.keyspace.encoding;
    let mut zset = if range.by_rank && len as u64 > limits.zset_entries() {
        ZSetValue {
            repr: Repr::Large(Box::default()),
        }
    } else {
        ZSetValue::default()
    };
    for (score, member) in &range.entries {
        zset.insert_new(*score, member, &limits);
    }
    let entry = Entry {
        value: Value::ZSet(zset),
        expires_at_ms: None,
    };
    ctx.db().insert(key, entry);
    Reply::Integer(len as i64)
}

pub fn zcount(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply((|| {
        let range = ScoreRange::parse(&argv[2], &argv[3])?;
        let zset = lookup_zset(ctx.db(), &argv[1], ctx.now_ms)?;
        Ok(Reply::Integer(zset.map_or(0, |z| {
            let (from, to) = range.ranks(z);
            to - from
        }) as i64))
    })())
}

pub fn zlexcount(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply((|| {
        let range = LexRange::parse(&argv[2], &argv[3])?;
        let zset = lookup_zset(ctx.db(), &argv[1], ctx.now_ms)?;
        Ok(Reply::Integer(zset.map_or(0, |z| {
            let (from, to) = range.ranks(z);
            to - from
        }) as i64))
    })())
}

// ---- removals ----

pub fn zrem(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply((|| {
        let now = ctx.now_ms;
        let key = &argv[1];
        let Some(zset) = lookup_zset_mut(ctx.db(), key, now)? else {
            return Ok(Reply::Integer(0));
        };
        let removed = argv[2..]
            .iter()
            .filter(|member| zset.remove(member).is_some())
            .count();
        delete_if_empty(ctx.db(), key, now);
        Ok(Reply::Integer(removed as i64))
    })())
}

/// The one ZREMRANGEBY* (zremrangeGenericCommand): parse the range, then remove ranks
/// [from, to) of the set.
fn zremrange_generic(
    ctx: &mut WriteCtx,
    argv: &[Vec<u8>],
    ranks: impl Fn(&ZSetValue) -> (usize, usize),
) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let key = &argv[1];
    let Some(zset) = lookup_zset_mut(ctx.db(), key, now)? else {
        return Ok(Reply::Integer(0));
    };
    let (from, to) = ranks(zset);
    let doomed = zset.entries_at(from..to);
    for (_, member) in &doomed {
        zset.remove(member);
    }
    delete_if_empty(ctx.db(), key, now);
    Ok(Reply::Integer(doomed.len() as i64))
}

pub fn zremrangebyrank(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply((|| {
        let start = int_arg(&argv[2])?;
        let end = int_arg(&argv[3])?;
        zremrange_generic(ctx, argv, |z| {
            normalize_range(start, end, z.len()).map_or((0, 0), |(s, e)| (s, e + 1))
        })
    })())
}

pub fn zremrangebyscore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply((|| {
        let range = ScoreRange::parse(&argv[2], &argv[3])?;
        zremrange_generic(ctx, argv, |z| range.ranks(z))
    })())
}

pub fn zremrangebylex(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply((|| {
        let range = LexRange::parse(&argv[2], &argv[3])?;
        zremrange_generic(ctx, argv, |z| range.ranks(z))
    })())
}

// ---- pops, shared with the blocking variants to come ----

/// Pops up to `count` lowest (or highest, `max`) entries of the set at `key`, deleting it
/// when emptied; Ok(None) when absent. Entries come as (member, score) in pop order.
pub fn pop_core(
    ctx: &mut WriteCtx,
    key: &[u8],
    max: bool,
    count: usize,
) -> Result<Option<Popped>, Reply> {
    let now = ctx.now_ms;
    let Some(zset) = lookup_zset_mut(ctx.db(), key, now)? else {
        return Ok(None);
    };
    let mut popped = Vec::new();
    while popped.len() < count && !zset.is_empty() {
        let rank = if max { zset.len() - 1 } else { 0 };
        let (score, member) = zset.at(rank);
        let member = member.to_vec();
        zset.remove(&member);
        popped.push((member, score));
    }
    delete_if_empty(ctx.db(), key, now);
    Ok(Some(popped))
}

/// ZMPOP's core: pops from the first existing set among `keys`; Ok(None) when there is none.
pub fn mpop_core(
    ctx: &mut WriteCtx,
    keys: &[Vec<u8>],
    max: bool,
    count: usize,
) -> Result<Option<(Vec<u8>, Popped)>, Reply> {
    for key in keys {
        if let Some(popped) = pop_core(ctx, key, max, count)? {
            return Ok(Some((key.clone(), popped)));
        }
    }
    Ok(None)
}

fn zpop_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], max: bool) -> Result<Reply, Reply> {
    if argv.len() > 3 {
        return Err(syntax_error());
    }
    let count = match argv.get(2) {
        None => 1,
        Some(arg) => match args::parse_i64(arg) {
            Some(count) if count >= 0 => usize::try_from(count).unwrap_or(usize::MAX),
            _ => return Err(Reply::error(MUST_BE_POSITIVE)),
        },
    };
    let popped = pop_core(ctx, &argv[1], max, count)?.unwrap_or_default();
    let pairs = popped.into_iter().map(|(member, score)| (score, member));
    if argv.len() == 3 {
        // With a count, RESP3 nests the pairs.
        return Ok(entries_reply(pairs, true));
    }
    Ok(Reply::Array(
        pairs
            .flat_map(|(score, member)| [Reply::Bulk(member), score_reply(score)])
            .collect(),
    ))
}

pub fn zpopmin(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(zpop_generic(ctx, argv, false))
}

pub fn zpopmax(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(zpop_generic(ctx, argv, true))
}

/// MIN or MAX, case-insensitively: whether ZMPOP pops the highest scores.
fn min_or_max(arg: &[u8]) -> Result<bool, Reply> {
    if is(arg, "MIN") {
        Ok(false)
    } else if is(arg, "MAX") {
        Ok(true)
    } else {
        Err(syntax_error())
    }
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: [key, [[member, score], ...]].
pub fn zmpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply((|| {
        let parsed = mpop::parse(&argv[1..], min_or_max)?;
        Ok(
            match mpop_core(ctx, parsed.keys, parsed.from, parsed.count)? {
                None => Reply::NilArray,
                Some((key, popped)) => {
                    let pairs = popped
                        .into_iter()
                        .map(|(member, score)| {
                            Reply::Array(vec![Reply::Bulk(member), score_reply(score)])
                        })
                        .collect();
                    Reply::Array(vec![Reply::Bulk(key), Reply::Array(pairs)])
                }
            },
        )
    })())
}

// ---- ZRANDMEMBER ----

/// ZRANDMEMBER key [count [WITHSCORES]]: random picks drawn from the context's seed.
/// Positive count: distinct members (all of them, in order, when count >= size); negative:
/// |count| independent picks.
pub fn zrandmember(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(zrandmember_result(ctx, argv))
}

fn zrandmember_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let mut rng = Rng::new(ctx.seed);
    let Some(count_arg) = argv.get(2) else {
        let Some(zset) = lookup_zset(ctx.db(), &argv[1], ctx.now_ms)? else {
            return Ok(Reply::Nil);
        };
        let (_, member) = zset.at(rng.below(zset.len()));
        return Ok(Reply::bulk(member));
    };
    let count = int_arg(count_arg)?;
    if count == i64::MIN {
        return Err(Reply::error(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        ));
    }
    let withscores = match argv.get(3) {
        None => false,
        Some(opt) if argv.len() == 4 && is(opt, "WITHSCORES") => true,
        Some(_) => return Err(syntax_error()),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(Reply::error("ERR value is out of range"));
    }
    let Some(zset) = lookup_zset(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let size = zset.len();
    let ranks: Vec<usize> = if count < 0 {
        if count.unsigned_abs() > RANDOM_REPLIES_MAX {
            return Err(Reply::error("ERR value is out of range"));
        }
        (0..count.unsigned_abs()).map(|_| rng.below(size)).collect()
    } else {
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count >= size {
            (0..size).collect()
        } else if count.saturating_mul(3) > size {
            // Partial Fisher-Yates over all ranks.
            let mut ranks: Vec<usize> = (0..size).collect();
            for i in 0..count {
                let j = i + rng.below(size - i);
                ranks.swap(i, j);
            }
            ranks.truncate(count);
            ranks
        } else {
            let mut seen = BTreeSet::new();
            let mut ranks = Vec::with_capacity(count);
            while ranks.len() < count {
                let rank = rng.below(size);
                if seen.insert(rank) {
                    ranks.push(rank);
                }
            }
            ranks
        }
    };
    Ok(entries_reply(zset.entries_at(ranks), withscores))
}

// ---- ZUNION, ZINTER, ZDIFF and friends ----

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// zunionInterAggregate: a NaN sum (inf + -inf) becomes 0; MIN/MAX keep the target when
    /// a comparison with NaN fails.
    fn fold(self, target: f64, value: f64) -> f64 {
        match self {
            Aggregate::Sum => {
                let sum = target + value;
                if sum.is_nan() {
                    0.0
                } else {
                    sum
                }
            }
            Aggregate::Min => {
                if value < target {
                    value
                } else {
                    target
                }
            }
            Aggregate::Max => {
                if value > target {
                    value
                } else {
                    target
                }
            }
        }
    }
}

/// Which command of the family runs.
#[derive(Clone, Copy)]
struct SetOpForm {
    op: SetOp,
    /// The STORE forms: a destination key first, no WITHSCORES.
    store: bool,
    /// ZINTERCARD: LIMIT instead of WEIGHTS, AGGREGATE and WITHSCORES.
    cardinality_only: bool,
    /// The command's name, for the error about numkeys.
    name: &'static str,
}

/// What a set operation produces.
enum SetOpResult {
    Entries(Vec<(f64, Vec<u8>)>, bool),
    Cardinality(usize),
}

/// A source of a set operation: a sorted set, or a plain set whose members all score 1.
#[derive(Clone, Copy)]
enum Source<'a> {
    ZSet(&'a ZSetValue),
    Set(&'a SetValue),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::ZSet(zset) => zset.len(),
            Source::Set(set) => set.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::ZSet(zset) => zset.score(member),
            Source::Set(set) => set.contains(member).then_some(1.0),
        }
    }

    fn entries(&self) -> Entries {
        match self {
            Source::ZSet(zset) => zset.entries(),
            Source::Set(set) => set.iter().map(|m| (1.0, m.into_owned())).collect(),
        }
    }
}

fn source<'a>(db: &'a Db, key: &[u8], now_ms: u64) -> Result<Option<Source<'a>>, Reply> {
    match db.get(key, now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::ZSet(zset),
            ..
        }) => Ok(Some(Source::ZSet(zset))),
        Some(Entry {
            value: Value::Set(set),
            ..
        }) => Ok(Some(Source::Set(set))),
        Some(_) => Err(Reply::wrong_type()),
    }
}

/// The one set operation behind ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD
/// (zunionInterDiffGenericCommand): numkeys, the keys (type-checked before the options are
/// read, as Redis does), then WEIGHTS / AGGREGATE / WITHSCORES / LIMIT as the form allows.
fn setop_generic(
    db: &Db,
    now_ms: u64,
    argv: &[Vec<u8>],
    form: SetOpForm,
) -> Result<SetOpResult, Reply> {
    let SetOpForm {
        op,
        store,
        cardinality_only,
        name,
    } = form;
    let numkeys_at = if store { 2 } else { 1 };
    let numkeys = int_arg(&argv[numkeys_at])?;
    if numkeys < 1 {
        return Err(Reply::error(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    let first_key = numkeys_at + 1;
    if numkeys as u64 > (argv.len() - first_key) as u64 {
        return Err(syntax_error());
    }
    let numkeys = numkeys as usize;
    let mut sources = Vec::with_capacity(numkeys);
    for key in &argv[first_key..first_key + numkeys] {
        sources.push(source(db, key, now_ms)?);
    }
    let mut weights = vec![1.0f64; numkeys];
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut i = first_key + numkeys;
    while i < argv.len() {
        let remaining = argv.len() - i;
        let opt = &argv[i];
        let weighted = op != SetOp::Diff && !cardinality_only;
        if weighted && remaining > numkeys && is(opt, "WEIGHTS") {
            for (w, arg) in weights.iter_mut().zip(&argv[i + 1..=i + numkeys]) {
                *w = parse_score(arg)
                    .ok_or_else(|| Reply::error("ERR weight value is not a float"))?;
            }
            i += 1 + numkeys;
        } else if weighted && remaining >= 2 && is(opt, "AGGREGATE") {
            let how = &argv[i + 1];
            aggregate = if is(how, "SUM") {
                Aggregate::Sum
            } else if is(how, "MIN") {
                Aggregate::Min
            } else if is(how, "MAX") {
                Aggregate::Max
            } else {
                return Err(syntax_error());
            };
            i += 2;
        } else if !store && !cardinality_only && is(opt, "WITHSCORES") {
            withscores = true;
            i += 1;
        } else if cardinality_only && remaining >= 2 && is(opt, "LIMIT") {
            limit = match args::parse_i64(&argv[i + 1]) {
                Some(limit) if limit >= 0 => usize::try_from(limit).unwrap_or(usize::MAX),
                _ => return Err(Reply::error("ERR LIMIT can't be negative")),
            };
            i += 2;
        } else {
            return Err(syntax_error());
        }
    }
    let mut inputs: Vec<(Option<Source>, f64)> = sources.into_iter().zip(weights).collect();
    if op != SetOp::Diff {
        // Smallest first, as Redis sorts its sources (glibc's qsort here is a stable merge sort).
        inputs.sort_by_key(|(zset, _)| zset.map_or(0, |z| z.len()));
    }
    let weighted = |score: f64, weight: f64| {
        let product = score * weight;
        if product.is_nan() {
            0.0
        } else {
            product
        }
    };
    let mut result: Vec<(f64, Vec<u8>)> = Vec::new();
    let mut cardinality = 0usize;
    match op {
        SetOp::Inter => {
            if let Some((Some(first), w0)) = inputs.first() {
                'members: for (score, member) in first.entries() {
                    let mut acc = weighted(score, *w0);
                    for (other, weight) in &inputs[1..] {
                        let Some(value) = other.and_then(|z| z.score(&member)) else {
                            continue 'members;
                        };
                        acc = aggregate.fold(acc, value * weight);
                    }
                    if cardinality_only {
                        cardinality += 1;
                        if limit != 0 && cardinality >= limit {
                            break;
                        }
                    } else {
                        result.push((acc, member));
                    }
                }
            }
        }
        SetOp::Union => {
            let mut acc: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
            for (zset, weight) in &inputs {
                for (score, member) in zset.map(|z| z.entries()).unwrap_or_default() {
                    let value = weighted(score, *weight);
                    acc.entry(member)
                        .and_modify(|target| *target = aggregate.fold(*target, value))
                        .or_insert(value);
                }
            }
            result = acc.into_iter().map(|(m, s)| (s, m)).collect();
        }
        SetOp::Diff => {
            if let Some((Some(first), _)) = inputs.first() {
                result = first
                    .entries()
                    .into_iter()
                    .filter(|(_, member)| {
                        inputs[1..]
                            .iter()
                            .all(|(other, _)| other.and_then(|z| z.score(member)).is_none())
                    })
                    .collect();
            }
        }
    }
    if cardinality_only {
        return Ok(SetOpResult::Cardinality(cardinality));
    }
    result.sort_by(|a, b| cmp_entries((a.0, &a.1), (b.0, &b.1)));
    Ok(SetOpResult::Entries(result, withscores))
}

fn setop_read(ctx: &ReadCtx, argv: &[Vec<u8>], op: SetOp, name: &'static str) -> Reply {
    let form = SetOpForm {
        op,
        store: false,
        cardinality_only: false,
        name,
    };
    reply(
        setop_generic(ctx.db(), ctx.now_ms, argv, form).map(|result| match result {
            SetOpResult::Entries(entries, withscores) => entries_reply(entries, withscores),
            SetOpResult::Cardinality(n) => Reply::Integer(n as i64),
        }),
    )
}

fn setop_store(ctx: &mut WriteCtx, argv: &[Vec<u8>], op: SetOp, name: &'static str) -> Reply {
    let now = ctx.now_ms;
    let form = SetOpForm {
        op,
        store: true,
        cardinality_only: false,
        name,
    };
    match setop_generic(ctx.db(), now, argv, form) {
        Err(error) => error,
        Ok(SetOpResult::Entries(entries, _)) => store(ctx, &argv[1], entries),
        Ok(SetOpResult::Cardinality(_)) => unreachable!("store forms return entries"),
    }
}

pub fn zunion(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    setop_read(ctx, argv, SetOp::Union, "zunion")
}

pub fn zinter(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    setop_read(ctx, argv, SetOp::Inter, "zinter")
}

pub fn zdiff(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    setop_read(ctx, argv, SetOp::Diff, "zdiff")
}

pub fn zunionstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    setop_store(ctx, argv, SetOp::Union, "zunionstore")
}

pub fn zinterstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    setop_store(ctx, argv, SetOp::Inter, "zinterstore")
}

pub fn zdiffstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    setop_store(ctx, argv, SetOp::Diff, "zdiffstore")
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn zintercard(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(
        setop_generic(
            ctx.db(),
            ctx.now_ms,
            argv,
            SetOpForm {
                op: SetOp::Inter,
                store: false,
                cardinality_only: true,
                name: "zintercard",
            },
        )
        .map(|result| match result {
            SetOpResult::Cardinality(n) => Reply::Integer(n as i64),
            SetOpResult::Entries(..) => unreachable!("cardinality only"),
        }),
    )
}

// ---- ZSCAN ----

/// ZSCAN key cursor [MATCH pattern] [COUNT count]. A compact set comes whole in one reply
/// (cursor 0), as Redis does for a listpack; a large one pages by member hash, so a member
/// present for the whole scan is returned exactly once. Scores print as d2string does.
pub fn zscan(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(zscan_result(ctx, argv))
}

fn zscan_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let cursor = scan_cursor(&argv[2])?;
    let Some(zset) = lookup_zset(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let options = ScanOptions::parse(&argv[3..], scan::Options::MatchCount)?;
    let (page, next) = zset.scan_page(cursor, options.count);
    let mut items = Vec::new();
    for (score, member) in page {
        if options.matches(&member) {
            items.push(Reply::Bulk(member));
            items.push(Reply::bulk(d2string(score)));
        }
    }
    Ok(scan_reply(next, items))
}

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("zadd", -4, DENYOOM | FAST, 1, 1, 1, Write(legacy!(zadd))),
    cmd!("zcard", 2, FAST, 1, 1, 1, Read(legacy!(zcard))),
    cmd!("zcount", 4, FAST, 1, 1, 1, Read(legacy!(zcount))),
    cmd!("zdiff", -3, 0, 0, 0, 0, Read(legacy!(zdiff))),
    cmd!(
        "zdiffstore",
        -4,
        DENYOOM,
        1,
        1,
        1,
        Write(legacy!(zdiffstore))
    ),
    cmd!(
        "zincrby",
        4,
        DENYOOM | FAST,
        1,
        1,
        1,
        Write(legacy!(zincrby))
    ),
    cmd!("zinter", -3, 0, 0, 0, 0, Read(legacy!(zinter))),
    cmd!("zintercard", -3, 0, 0, 0, 0, Read(legacy!(zintercard))),
    cmd!(
        "zinterstore",
        -4,
        DENYOOM,
        1,
        1,
        1,
        Write(legacy!(zinterstore))
    ),
    cmd!("zlexcount", 4, FAST, 1, 1, 1, Read(legacy!(zlexcount))),
    cmd!("zmpop", -4, 0, 0, 0, 0, Write(legacy!(zmpop))),
    cmd!("zmscore", -3, FAST, 1, 1, 1, Read(legacy!(zmscore))),
    cmd!("zpopmax", -2, FAST, 1, 1, 1, Write(legacy!(zpopmax))),
    cmd!("zpopmin", -2, FAST, 1, 1, 1, Write(legacy!(zpopmin))),
    cmd!(
        "zrandmember",
        -2,
        RANDOM,
        1,
        1,
        1,
        Read(legacy!(zrandmember))
    ),
    cmd!("zrange", -4, 0, 1, 1, 1, Read(legacy!(zrange))),
    cmd!("zrangebylex", -4, 0, 1, 1, 1, Read(legacy!(zrangebylex))),
    cmd!(
        "zrangebyscore",
        -4,
        0,
        1,
        1,
        1,
        Read(legacy!(zrangebyscore))
    ),
    cmd!(
        "zrangestore",
        -5,
        DENYOOM,
        1,
        2,
        1,
        Write(legacy!(zrangestore))
    ),
    cmd!("zrank", -3, FAST, 1, 1, 1, Read(legacy!(zrank))),
    cmd!("zrem", -3, FAST, 1, 1, 1, Write(legacy!(zrem))),
    cmd!(
        "zremrangebylex",
        4,
        0,
        1,
        1,
        1,
        Write(legacy!(zremrangebylex))
    ),
    cmd!(
        "zremrangebyrank",
        4,
        0,
        1,
        1,
        1,
        Write(legacy!(zremrangebyrank))
    ),
    cmd!(
        "zremrangebyscore",
        4,
        0,
        1,
        1,
        1,
        Write(legacy!(zremrangebyscore))
    ),
    cmd!("zrevrange", -4, 0, 1, 1, 1, Read(legacy!(zrevrange))),
    cmd!(
        "zrevrangebylex",
        -4,
        0,
        1,
        1,
        1,
        Read(legacy!(zrevrangebylex))
    ),
    cmd!(
        "zrevrangebyscore",
        -4,
        0,
        1,
        1,
        1,
        Read(legacy!(zrevrangebyscore))
    ),
    cmd!("zrevrank", -3, FAST, 1, 1, 1, Read(legacy!(zrevrank))),
    cmd!("zscan", -3, 0, 1, 1, 1, Read(legacy!(zscan))),
    cmd!("zscore", 3, FAST, 1, 1, 1, Read(legacy!(zscore))),
    cmd!("zunion", -3, 0, 0, 0, 0, Read(legacy!(zunion))),
    cmd!(
        "zunionstore",
        -4,
        DENYOOM,
        1,
        1,
        1,
        Write(legacy!(zunionstore))
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
    use crate::reply::WRONGTYPE;
    use crate::score::format_g17;
    use crate::testutil::{bulk, bulks, err, int};
    use crate::{testutil, Engine};

    /// Scores are doubles; the assertions here spell them as the bulk strings RESP2 shows.
    fn as_resp2(reply: Reply) -> Reply {
        match reply {
            Reply::Double(score) => bulk(&format_g17(score)),
            Reply::Array(items) => Reply::Array(items.into_iter().map(as_resp2).collect()),
            Reply::Pairs(pairs) => Reply::Pairs(
                pairs
                    .into_iter()
                    .map(|(m, s)| (as_resp2(m), as_resp2(s)))
                    .collect(),
            ),
            other => other,
        }
    }

    fn apply(engine: &mut Engine, now_ms: u64, parts: &[&str]) -> Reply {
        as_resp2(testutil::apply(engine, now_ms, parts))
    }

    fn read(engine: &Engine, now_ms: u64, parts: &[&str]) -> Reply {
        as_resp2(testutil::read(engine, now_ms, parts))
    }

    fn read_seeded(engine: &Engine, now_ms: u64, seed: u64, parts: &[&str]) -> Reply {
        as_resp2(testutil::read_seeded(engine, now_ms, seed, parts))
    }

    #[test]
    fn scores_are_double_replies() {
        let mut e = Engine::new();
        testutil::apply(&mut e, 0, &["ZADD", "z", "1.5", "a"]);
        assert_eq!(
            testutil::read(&e, 0, &["ZSCORE", "z", "a"]),
            Reply::Double(1.5)
        );
        assert_eq!(
            testutil::apply(&mut e, 0, &["ZINCRBY", "z", "1", "a"]),
            Reply::Double(2.5)
        );
        assert_eq!(
            testutil::read(&e, 0, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
            Reply::Pairs(vec![(bulk("a"), Reply::Double(2.5))])
        );
    }

    /// z = {a:1, b:2, c:3, d:4}; s is a string.
    fn engine() -> Engine {
        let mut engine = Engine::new();
        apply(
            &mut engine,
            0,
            &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        );
        apply(&mut engine, 0, &["SET", "s", "x"]);
        engine
    }

    fn exists(engine: &Engine, key: &str) -> bool {
        read(engine, 0, &["EXISTS", key]) == int(1)
    }

    fn encoding(engine: &Engine, key: &str) -> &'static str {
        match &engine.keyspace().dbs[0]
            .get(key.as_bytes(), 0)
            .unwrap()
            .value
        {
            Value::ZSet(zset) => zset.encoding_name(),
            _ => panic!("not a zset"),
        }
    }

    /// RESP2's view of a reply: WITHSCORES pairs flattened.
    fn flat(reply: Reply) -> Reply {
        match reply {
            Reply::Pairs(pairs) => {
                Reply::Array(pairs.into_iter().flat_map(|(a, b)| [a, b]).collect())
            }
            Reply::Array(items) => Reply::Array(items.into_iter().map(flat).collect()),
            other => other,
        }
    }

    fn r(engine: &Engine, args: &[&str]) -> Reply {
        flat(read(engine, 0, args))
    }

    fn ap(engine: &mut Engine, args: &[&str]) -> Reply {
        flat(apply(engine, 0, args))
    }

    #[test]
    fn withscores_replies_are_pairs_nested_in_resp3() {
        let mut e = engine();
        let pair = |m: &str, s: &str| (bulk(m), bulk(s));
        assert_eq!(
            read(&e, 0, &["ZRANGE", "z", "0", "0", "WITHSCORES"]),
            Reply::Pairs(vec![pair("a", "1")])
        );
        assert_eq!(
            apply(&mut e, 0, &["ZPOPMIN", "z", "1"]),
            Reply::Pairs(vec![pair("a", "1")])
        );
        assert_eq!(
            apply(&mut e, 0, &["ZPOPMIN", "z"]),
            bulks(&["b", "2"]),
            "flat without a count"
        );
    }

    #[test]
    fn zadd_adds_updates_and_counts() {
        let mut e = engine();
        assert_eq!(ap(&mut e, &["ZADD", "z", "5", "a", "9", "e"]), int(1));
        assert_eq!(ap(&mut e, &["ZADD", "z", "CH", "5", "a", "6", "b"]), int(1));
        assert_eq!(ap(&mut e, &["ZADD", "z", "NX", "0", "a", "0", "f"]), int(1));
        assert_eq!(r(&e, &["ZSCORE", "z", "a"]), bulk("5"));
        assert_eq!(
            ap(&mut e, &["ZADD", "z", "XX", "CH", "7", "a", "0", "g"]),
            int(1)
        );
        assert_eq!(r(&e, &["ZSCORE", "z", "g"]), Reply::Nil);
        assert_eq!(
            ap(&mut e, &["ZADD", "z", "GT", "CH", "1", "a", "8", "b"]),
            int(1)
        );
        assert_eq!(r(&e, &["ZSCORE", "z", "a"]), bulk("7"));
        assert_eq!(r(&e, &["ZSCORE", "z", "b"]), bulk("8"));
        assert_eq!(
            apply(
                &mut e,
                0,
                &["ZADD", "z", "LT", "CH", "1", "a", "9", "b", "1", "h"]
            ),
            int(2)
        );
        assert_eq!(r(&e, &["ZSCORE", "z", "a"]), bulk("1"));
        assert_eq!(ap(&mut e, &["ZADD", "z", "XX", "1", "new"]), int(0));
        assert_eq!(ap(&mut e, &["ZADD", "none", "XX", "1", "new"]), int(0));
        assert!(!exists(&e, "none"));
        assert_eq!(ap(&mut e, &["ZADD", "z", "INCR", "2.5", "a"]), bulk("3.5"));
        assert_eq!(
            ap(&mut e, &["ZADD", "z", "INCR", "NX", "1", "a"]),
            Reply::Nil
        );
        assert_eq!(
            ap(&mut e, &["ZADD", "z", "INCR", "GT", "-1", "a"]),
            Reply::Nil
        );
        assert_eq!(ap(&mut e, &["ZADD", "z", "INCR", "0", "a"]), bulk("3.5"));
        assert_eq!(
            ap(&mut e, &["ZADD", "none", "INCR", "XX", "1", "a"]),
            Reply::Nil
        );
    }

    #[test]
    fn zadd_errors() {
        let mut e = engine();
        let syntax = err(SYNTAX_ERROR);
        assert_eq!(ap(&mut e, &["ZADD", "z", "NX", "1"]), syntax);
        assert_eq!(ap(&mut e, &["ZADD", "z", "NX", "1", "a", "2"]), syntax);
        assert_eq!(ap(&mut e, &["ZADD", "z", "NX", "XX"]), syntax);
        assert_eq!(
            ap(&mut e, &["ZADD", "z", "NX", "XX", "1", "a"]),
            err("ERR XX and NX options at the same time are not compatible")
        );
        let gtlt = err("ERR GT, LT, and/or NX options at the same time are not compatible");
        assert_eq!(ap(&mut e, &["ZADD", "z", "NX", "GT", "1", "a"]), gtlt);
        assert_eq!(ap(&mut e, &["ZADD", "z", "GT", "LT", "1", "a"]), gtlt);
        assert_eq!(
            ap(&mut e, &["ZADD", "z", "INCR", "1", "a", "2", "b"]),
            err("ERR INCR option supports a single increment-element pair")
        );
        for bad in ["nan", "x", "", " 1", "1e400"] {
            assert_eq!(
                ap(&mut e, &["ZADD", "z", "1", "q", bad, "a"]),
                err(NOT_FLOAT),
                "{bad:?}"
            );
        }
        assert_eq!(r(&e, &["ZSCORE", "z", "q"]), Reply::Nil, "all or nothing");
        assert_eq!(ap(&mut e, &["ZADD", "s", "1", "a"]), err(WRONGTYPE));
        ap(&mut e, &["ZADD", "i", "inf", "a"]);
        assert_eq!(
            ap(&mut e, &["ZADD", "i", "INCR", "-inf", "a"]),
            err("ERR resulting score is not a number (NaN)")
        );
        assert_eq!(
            ap(&mut e, &["ZINCRBY", "i", "-inf", "a"]),
            err("ERR resulting score is not a number (NaN)")
        );
    }

    #[test]
    fn zincrby_creates_and_increments() {
        let mut e = engine();
        assert_eq!(
            ap(&mut e, &["ZINCRBY", "z", "0.1", "a"]),
            bulk("1.1000000000000001")
        );
        assert_eq!(ap(&mut e, &["ZINCRBY", "n", "-2", "m"]), bulk("-2"));
        assert_eq!(ap(&mut e, &["ZINCRBY", "n", "x", "m"]), err(NOT_FLOAT));
        assert_eq!(ap(&mut e, &["ZINCRBY", "n", "nx", "m"]), err(SYNTAX_ERROR));
        assert_eq!(ap(&mut e, &["ZINCRBY", "s", "1", "m"]), err(WRONGTYPE));
    }

    #[test]
    fn scores_print_like_redis_7_0() {
        let mut e = Engine::new();
        apply(
            &mut e,
            0,
            &[
                "ZADD", "f", "0.1", "a", "1e20", "b", "-0", "c", "inf", "d", "-inf", "e",
            ],
        );
        assert_eq!(r(&e, &["ZSCORE", "f", "a"]), bulk("0.10000000000000001"));
        assert_eq!(r(&e, &["ZSCORE", "f", "b"]), bulk("1e+20"));
        assert_eq!(
            r(&e, &["ZSCORE", "f", "c"]),
            bulk("0"),
            "a listpack stores -0 as 0"
        );
        assert_eq!(r(&e, &["ZSCORE", "f", "d"]), bulk("inf"));
        assert_eq!(r(&e, &["ZSCORE", "f", "e"]), bulk("-inf"));
        let long = "x".repeat(65);
        ap(&mut e, &["ZADD", "big", "-0", &long]);
        assert_eq!(encoding(&e, "big"), "skiplist");
        assert_eq!(r(&e, &["ZSCORE", "big", &long]), bulk("-0"));
        assert_eq!(ap(&mut e, &["ZINCRBY", "big", "0", &long]), bulk("0"));
        assert_eq!(
            r(&e, &["ZSCORE", "big", &long]),
            bulk("-0"),
            "0 == -0: no update"
        );
    }

    #[test]
    fn zcard_zscore_zmscore() {
        let e = engine();
        assert_eq!(r(&e, &["ZCARD", "z"]), int(4));
        assert_eq!(r(&e, &["ZCARD", "none"]), int(0));
        assert_eq!(r(&e, &["ZCARD", "s"]), err(WRONGTYPE));
        assert_eq!(r(&e, &["ZSCORE", "z", "c"]), bulk("3"));
        assert_eq!(r(&e, &["ZSCORE", "none", "c"]), Reply::Nil);
        assert_eq!(r(&e, &["ZSCORE", "s", "c"]), err(WRONGTYPE));
        assert_eq!(
            r(&e, &["ZMSCORE", "z", "a", "x", "d"]),
            Reply::Array(vec![bulk("1"), Reply::Nil, bulk("4")])
        );
        assert_eq!(
            r(&e, &["ZMSCORE", "none", "a"]),
            Reply::Array(vec![Reply::Nil])
        );
        assert_eq!(r(&e, &["ZMSCORE", "s", "a"]), err(WRONGTYPE));
    }

    #[test]
    fn zrank_and_zrevrank_with_and_without_score() {
        let e = engine();
        assert_eq!(r(&e, &["ZRANK", "z", "c"]), int(2));
        assert_eq!(r(&e, &["ZREVRANK", "z", "c"]), int(1));
        assert_eq!(r(&e, &["ZRANK", "z", "x"]), Reply::Nil);
        assert_eq!(r(&e, &["ZRANK", "none", "x"]), Reply::Nil);
        assert_eq!(
            r(&e, &["ZRANK", "z", "a", "WITHSCORE"]),
            Reply::Array(vec![int(0), bulk("1")])
        );
        assert_eq!(
            r(&e, &["ZREVRANK", "z", "a", "withscore"]),
            Reply::Array(vec![int(3), bulk("1")])
        );
        assert_eq!(r(&e, &["ZRANK", "z", "x", "WITHSCORE"]), Reply::NilArray);
        assert_eq!(r(&e, &["ZRANK", "z", "a", "FOO"]), err(SYNTAX_ERROR));
        assert_eq!(
            r(&e, &["ZRANK", "z", "a", "WITHSCORE", "x"]),
            err("ERR wrong number of arguments for 'zrank' command")
        );
        assert_eq!(r(&e, &["ZREVRANK", "s", "a"]), err(WRONGTYPE));
    }

    #[test]
    fn zrange_by_rank() {
        let e = engine();
        assert_eq!(
            r(&e, &["ZRANGE", "z", "0", "-1"]),
            bulks(&["a", "b", "c", "d"])
        );
        assert_eq!(
            r(&e, &["ZRANGE", "z", "1", "2", "WITHSCORES"]),
            bulks(&["b", "2", "c", "3"])
        );
        assert_eq!(r(&e, &["ZRANGE", "z", "0", "1", "REV"]), bulks(&["d", "c"]));
        assert_eq!(
            r(&e, &["ZREVRANGE", "z", "0", "0", "WITHSCORES"]),
            bulks(&["d", "4"])
        );
        assert_eq!(r(&e, &["ZRANGE", "z", "5", "10"]), bulks(&[]));
        assert_eq!(r(&e, &["ZRANGE", "z", "-100", "0"]), bulks(&["a"]));
        assert_eq!(r(&e, &["ZRANGE", "none", "0", "-1"]), bulks(&[]));
        assert_eq!(r(&e, &["ZRANGE", "z", "x", "1"]), err(NOT_INTEGER));
        assert_eq!(r(&e, &["ZRANGE", "s", "0", "1"]), err(WRONGTYPE));
        assert_eq!(r(&e, &["ZRANGE", "z", "0", "1", "FOO"]), err(SYNTAX_ERROR));
        assert_eq!(
            r(&e, &["ZRANGE", "z", "0", "1", "REV", "REV"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            r(&e, &["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"]),
            err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
        );
        assert_eq!(
            r(&e, &["ZRANGE", "z", "0", "1", "LIMIT", "0", "-1"]),
            bulks(&["a", "b"])
        );
        assert_eq!(
            r(&e, &["ZREVRANGE", "z", "0", "1", "REV"]),
            err(SYNTAX_ERROR)
        );
    }

    #[test]
    fn zrange_by_score() {
        let e = engine();
        assert_eq!(r(&e, &["ZRANGEBYSCORE", "z", "2", "3"]), bulks(&["b", "c"]));
        assert_eq!(
            r(&e, &["ZRANGEBYSCORE", "z", "(2", "+inf"]),
            bulks(&["c", "d"])
        );
        assert_eq!(
            r(&e, &["ZRANGEBYSCORE", "z", "-inf", "(2", "WITHSCORES"]),
            bulks(&["a", "1"])
        );
        assert_eq!(
            r(
                &e,
                &["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "1", "2"]
            ),
            bulks(&["b", "c"])
        );
        assert_eq!(
            r(
                &e,
                &["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "-1", "2"]
            ),
            bulks(&[])
        );
        assert_eq!(
            r(
                &e,
                &["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "3", "-5"]
            ),
            bulks(&["d"])
        );
        assert_eq!(r(&e, &["ZRANGEBYSCORE", "z", "3", "2"]), bulks(&[]));
        assert_eq!(r(&e, &["ZRANGEBYSCORE", "z", "(2", "(2"]), bulks(&[]));
        assert_eq!(
            r(&e, &["ZREVRANGEBYSCORE", "z", "3", "-inf"]),
            bulks(&["c", "b", "a"])
        );
        assert_eq!(
            r(
                &e,
                &["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "1"]
            ),
            bulks(&["c"])
        );
        assert_eq!(
            r(&e, &["ZRANGE", "z", "(4", "2", "BYSCORE", "REV"]),
            bulks(&["c", "b"])
        );
        assert_eq!(
            r(
                &e,
                &[
                    "ZRANGE",
                    "z",
                    "1",
                    "4",
                    "BYSCORE",
                    "LIMIT",
                    "1",
                    "1",
                    "WITHSCORES"
                ]
            ),
            bulks(&["b", "2"])
        );
        let not_float = err("ERR min or max is not a float");
        assert_eq!(r(&e, &["ZRANGEBYSCORE", "z", "x", "1"]), not_float);
        assert_eq!(r(&e, &["ZRANGEBYSCORE", "z", "1", "nan"]), not_float);
        assert_eq!(r(&e, &["ZRANGEBYSCORE", "z", "[1", "2"]), not_float);
        assert_eq!(
            r(&e, &["ZRANGEBYSCORE", "z", "1", "2", "BYSCORE"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(r(&e, &["ZRANGEBYSCORE", "s", "1", "2"]), err(WRONGTYPE));
        assert_eq!(
            r(&e, &["ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "x", "1"]),
            err(NOT_INTEGER)
        );
        assert_eq!(
            r(&e, &["ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "1"]),
            err(SYNTAX_ERROR)
        );
    }

    #[test]
    fn zrange_by_lex() {
        let mut e = Engine::new();
        apply(
            &mut e,
            0,
            &["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"],
        );
        assert_eq!(
            r(&e, &["ZRANGEBYLEX", "l", "-", "+"]),
            bulks(&["a", "b", "c", "d"])
        );
        assert_eq!(r(&e, &["ZRANGEBYLEX", "l", "[b", "(d"]), bulks(&["b", "c"]));
        assert_eq!(
            r(&e, &["ZRANGEBYLEX", "l", "(a", "+", "LIMIT", "1", "1"]),
            bulks(&["c"])
        );
        assert_eq!(
            r(&e, &["ZREVRANGEBYLEX", "l", "+", "[b"]),
            bulks(&["d", "c", "b"])
        );
        assert_eq!(
            r(&e, &["ZRANGE", "l", "[c", "-", "BYLEX", "REV"]),
            bulks(&["c", "b", "a"])
        );
        assert_eq!(r(&e, &["ZRANGEBYLEX", "l", "+", "-"]), bulks(&[]));
        assert_eq!(r(&e, &["ZLEXCOUNT", "l", "(a", "[c"]), int(2));
        assert_eq!(r(&e, &["ZLEXCOUNT", "none", "-", "+"]), int(0));
        let bad = err("ERR min or max not valid string range item");
        assert_eq!(r(&e, &["ZRANGEBYLEX", "l", "a", "+"]), bad);
        assert_eq!(r(&e, &["ZRANGEBYLEX", "l", "-", "++"]), bad);
        assert_eq!(r(&e, &["ZLEXCOUNT", "l", "", "+"]), bad);
        assert_eq!(
            r(&e, &["ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES"]),
            err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
        );
        assert_eq!(
            r(&e, &["ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"]),
            err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
        );
        ap(&mut e, &["SET", "s", "x"]);
        assert_eq!(r(&e, &["ZLEXCOUNT", "s", "-", "+"]), err(WRONGTYPE));
        assert_eq!(r(&e, &["ZREVRANGEBYLEX", "s", "+", "-"]), err(WRONGTYPE));
    }

    #[test]
    fn zcount_counts_a_score_range() {
        let e = engine();
        assert_eq!(r(&e, &["ZCOUNT", "z", "(1", "3"]), int(2));
        assert_eq!(r(&e, &["ZCOUNT", "z", "-inf", "+inf"]), int(4));
        assert_eq!(r(&e, &["ZCOUNT", "none", "0", "1"]), int(0));
        assert_eq!(
            r(&e, &["ZCOUNT", "z", "a", "1"]),
            err("ERR min or max is not a float")
        );
        assert_eq!(r(&e, &["ZCOUNT", "s", "0", "1"]), err(WRONGTYPE));
    }

    #[test]
    fn zrangestore_stores_or_deletes() {
        let mut e = engine();
        assert_eq!(ap(&mut e, &["ZRANGESTORE", "d", "z", "1", "2"]), int(2));
        assert_eq!(
            r(&e, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
            bulks(&["b", "2", "c", "3"])
        );
        assert_eq!(
            apply(
                &mut e,
                0,
                &[
                    "ZRANGESTORE",
                    "d",
                    "z",
                    "+inf",
                    "(3",
                    "BYSCORE",
                    "REV",
                    "LIMIT",
                    "0",
                    "1"
                ]
            ),
            int(1)
        );
        assert_eq!(r(&e, &["ZRANGE", "d", "0", "-1"]), bulks(&["d"]));
        assert_eq!(ap(&mut e, &["ZRANGESTORE", "d", "z", "5", "6"]), int(0));
        assert!(!exists(&e, "d"));
        assert_eq!(ap(&mut e, &["ZRANGESTORE", "s", "none", "0", "-1"]), int(0));
        assert!(
            !exists(&e, "s"),
            "an empty result deletes the destination, whatever its type"
        );
        ap(&mut e, &["SET", "s", "x"]);
        assert_eq!(
            ap(&mut e, &["ZRANGESTORE", "d", "s", "0", "-1"]),
            err(WRONGTYPE)
        );
        assert_eq!(ap(&mut e, &["ZRANGESTORE", "s", "z", "0", "-1"]), int(4));
        assert_eq!(
            apply(
                &mut e,
                0,
                &["ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"]
            ),
            err(SYNTAX_ERROR)
        );
    }

    #[test]
    fn zrem_and_zremrange_delete_emptied_sets() {
        let mut e = engine();
        assert_eq!(ap(&mut e, &["ZREM", "z", "a", "x", "a"]), int(1));
        assert_eq!(ap(&mut e, &["ZREM", "none", "a"]), int(0));
        assert_eq!(ap(&mut e, &["ZREM", "s", "a"]), err(WRONGTYPE));
        assert_eq!(ap(&mut e, &["ZREMRANGEBYRANK", "z", "-1", "-1"]), int(1));
        assert_eq!(r(&e, &["ZRANGE", "z", "0", "-1"]), bulks(&["b", "c"]));
        assert_eq!(ap(&mut e, &["ZREMRANGEBYSCORE", "z", "(2", "+inf"]), int(1));
        assert_eq!(ap(&mut e, &["ZREMRANGEBYLEX", "z", "-", "+"]), int(1));
        assert!(!exists(&e, "z"));
        let mut e = engine();
        assert_eq!(ap(&mut e, &["ZREMRANGEBYRANK", "z", "5", "9"]), int(0));
        assert_eq!(
            ap(&mut e, &["ZREMRANGEBYRANK", "z", "x", "9"]),
            err(NOT_INTEGER)
        );
        assert_eq!(
            ap(&mut e, &["ZREMRANGEBYSCORE", "z", "x", "9"]),
            err("ERR min or max is not a float")
        );
        assert_eq!(
            ap(&mut e, &["ZREMRANGEBYLEX", "z", "x", "+"]),
            err("ERR min or max not valid string range item")
        );
        assert_eq!(
            ap(&mut e, &["ZREMRANGEBYRANK", "s", "0", "1"]),
            err(WRONGTYPE)
        );
        assert_eq!(ap(&mut e, &["ZREMRANGEBYRANK", "z", "0", "-1"]), int(4));
        assert!(!exists(&e, "z"));
        assert_eq!(ap(&mut e, &["ZREM", "z", "a"]), int(0));
    }

    #[test]
    fn zpopmin_zpopmax() {
        let mut e = engine();
        assert_eq!(ap(&mut e, &["ZPOPMIN", "z"]), bulks(&["a", "1"]));
        assert_eq!(
            ap(&mut e, &["ZPOPMAX", "z", "2"]),
            bulks(&["d", "4", "c", "3"])
        );
        assert_eq!(ap(&mut e, &["ZPOPMAX", "z", "0"]), bulks(&[]));
        assert_eq!(ap(&mut e, &["ZPOPMIN", "z", "10"]), bulks(&["b", "2"]));
        assert!(!exists(&e, "z"));
        assert_eq!(ap(&mut e, &["ZPOPMIN", "z"]), bulks(&[]));
        assert_eq!(ap(&mut e, &["ZPOPMIN", "z", "-1"]), err(MUST_BE_POSITIVE));
        assert_eq!(ap(&mut e, &["ZPOPMIN", "z", "x"]), err(MUST_BE_POSITIVE));
        assert_eq!(ap(&mut e, &["ZPOPMIN", "z", "1", "2"]), err(SYNTAX_ERROR));
        assert_eq!(ap(&mut e, &["ZPOPMAX", "s"]), err(WRONGTYPE));
        assert_eq!(ap(&mut e, &["ZPOPMAX", "s", "0"]), err(WRONGTYPE));
    }

    #[test]
    fn zmpop_pops_from_the_first_existing_set() {
        let mut e = engine();
        let pair = |m: &str, s: &str| bulks(&[m, s]);
        assert_eq!(
            ap(&mut e, &["ZMPOP", "2", "none", "z", "MIN"]),
            Reply::Array(vec![bulk("z"), Reply::Array(vec![pair("a", "1")])])
        );
        assert_eq!(
            ap(&mut e, &["ZMPOP", "1", "z", "max", "COUNT", "10"]),
            Reply::Array(vec![
                bulk("z"),
                Reply::Array(vec![pair("d", "4"), pair("c", "3"), pair("b", "2")])
            ])
        );
        assert!(!exists(&e, "z"));
        assert_eq!(ap(&mut e, &["ZMPOP", "1", "z", "MIN"]), Reply::NilArray);
        assert_eq!(ap(&mut e, &["ZMPOP", "2", "z", "s", "MIN"]), err(WRONGTYPE));
        assert_eq!(
            ap(&mut e, &["ZMPOP", "0", "z", "MIN"]),
            err("ERR numkeys should be greater than 0")
        );
        assert_eq!(ap(&mut e, &["ZMPOP", "3", "z", "MIN"]), err(SYNTAX_ERROR));
        assert_eq!(ap(&mut e, &["ZMPOP", "1", "z", "MID"]), err(SYNTAX_ERROR));
        assert_eq!(
            ap(&mut e, &["ZMPOP", "1", "z", "MIN", "COUNT", "0"]),
            err("ERR count should be greater than 0")
        );
        assert_eq!(
            ap(&mut e, &["ZMPOP", "1", "z", "MIN", "FOO"]),
            err(SYNTAX_ERROR)
        );
    }

    fn members(reply: Reply) -> Vec<Vec<u8>> {
        match reply {
            Reply::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Reply::Bulk(bytes) => bytes,
                    other => panic!("{other:?}"),
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zrandmember_draws_from_the_seed() {
        let e = engine();
        let all: BTreeSet<Vec<u8>> = [b"a", b"b", b"c", b"d"]
            .iter()
            .map(|m| m.to_vec())
            .collect();
        for seed in 0..50 {
            let one = flat(read_seeded(&e, 0, seed, &["ZRANDMEMBER", "z"]));
            assert!(matches!(&one, Reply::Bulk(m) if all.contains(m)));
            assert_eq!(
                one,
                read_seeded(&e, 0, seed, &["ZRANDMEMBER", "z"]),
                "same seed, same pick"
            );
            let distinct = members(flat(read_seeded(&e, 0, seed, &["ZRANDMEMBER", "z", "3"])));
            assert_eq!(distinct.len(), 3);
            assert_eq!(distinct.iter().collect::<BTreeSet<_>>().len(), 3);
            let repeated = members(flat(read_seeded(&e, 0, seed, &["ZRANDMEMBER", "z", "-10"])));
            assert_eq!(repeated.len(), 10);
            assert!(repeated.iter().all(|m| all.contains(m)));
            let scored = members(flat(read_seeded(
                &e,
                0,
                seed,
                &["ZRANDMEMBER", "z", "-2", "WITHSCORES"],
            )));
            assert_eq!(scored.len(), 4);
        }
        assert_eq!(
            r(&e, &["ZRANDMEMBER", "z", "10", "WITHSCORES"]),
            bulks(&["a", "1", "b", "2", "c", "3", "d", "4"])
        );
        assert_eq!(r(&e, &["ZRANDMEMBER", "z", "0"]), bulks(&[]));
        assert_eq!(r(&e, &["ZRANDMEMBER", "none"]), Reply::Nil);
        assert_eq!(r(&e, &["ZRANDMEMBER", "none", "5"]), bulks(&[]));
        assert_eq!(r(&e, &["ZRANDMEMBER", "s"]), err(WRONGTYPE));
        assert_eq!(r(&e, &["ZRANDMEMBER", "s", "1"]), err(WRONGTYPE));
        assert_eq!(r(&e, &["ZRANDMEMBER", "z", "x"]), err(NOT_INTEGER));
        assert_eq!(r(&e, &["ZRANDMEMBER", "z", "1", "FOO"]), err(SYNTAX_ERROR));
        assert_eq!(
            r(&e, &["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            r(&e, &["ZRANDMEMBER", "z", "-9223372036854775808"]),
            err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        assert_eq!(
            r(
                &e,
                &["ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"]
            ),
            err("ERR value is out of range")
        );
        assert_eq!(
            r(&e, &["ZRANDMEMBER", "z", "-100000000"]),
            err("ERR value is out of range")
        );
    }

    #[test]
    fn zunion_zinter_zdiff_with_weights_and_aggregates() {
        let mut e = engine();
        ap(&mut e, &["ZADD", "y", "10", "b", "20", "c", "30", "x"]);
        assert_eq!(
            r(&e, &["ZUNION", "2", "z", "y", "WITHSCORES"]),
            bulks(&["a", "1", "d", "4", "b", "12", "c", "23", "x", "30"])
        );
        assert_eq!(
            r(
                &e,
                &["ZINTER", "2", "z", "y", "WEIGHTS", "2", "0.5", "WITHSCORES"]
            ),
            bulks(&["b", "9", "c", "16"])
        );
        assert_eq!(
            r(&e, &["ZINTER", "2", "z", "y", "AGGREGATE", "MIN"]),
            bulks(&["b", "c"])
        );
        assert_eq!(
            r(
                &e,
                &["ZUNION", "2", "z", "y", "AGGREGATE", "max", "WITHSCORES"]
            ),
            bulks(&["a", "1", "d", "4", "b", "10", "c", "20", "x", "30"])
        );
        assert_eq!(
            r(&e, &["ZDIFF", "2", "z", "y", "WITHSCORES"]),
            bulks(&["a", "1", "d", "4"])
        );
        assert_eq!(r(&e, &["ZDIFF", "2", "none", "y"]), bulks(&[]));
        assert_eq!(r(&e, &["ZINTER", "2", "z", "none"]), bulks(&[]));
        assert_eq!(
            r(&e, &["ZUNION", "2", "none", "y"]),
            bulks(&["b", "c", "x"])
        );
        assert_eq!(r(&e, &["ZINTERCARD", "2", "z", "y"]), int(2));
        assert_eq!(r(&e, &["ZINTERCARD", "2", "z", "y", "LIMIT", "1"]), int(1));
        assert_eq!(r(&e, &["ZINTERCARD", "2", "z", "y", "LIMIT", "0"]), int(2));
        // inf * 0 is NaN: Redis makes it 0.
        ap(&mut e, &["ZADD", "inf", "inf", "a"]);
        assert_eq!(
            r(&e, &["ZUNION", "1", "inf", "WEIGHTS", "0", "WITHSCORES"]),
            bulks(&["a", "0"])
        );
        assert_eq!(
            r(
                &e,
                &[
                    "ZUNION",
                    "2",
                    "inf",
                    "inf",
                    "WEIGHTS",
                    "1",
                    "-1",
                    "WITHSCORES"
                ]
            ),
            bulks(&["a", "0"])
        );
    }

    #[test]
    fn plain_sets_are_sources_with_score_one() {
        let mut e = engine();
        apply(&mut e, 0, &["SADD", "set", "a", "x", "7"]);
        assert_eq!(
            r(&e, &["ZUNION", "2", "z", "set", "WITHSCORES"]),
            bulks(&["7", "1", "x", "1", "a", "2", "b", "2", "c", "3", "d", "4"])
        );
        assert_eq!(
            r(
                &e,
                &["ZINTER", "2", "set", "z", "WEIGHTS", "3", "1", "WITHSCORES"]
            ),
            bulks(&["a", "4"])
        );
        assert_eq!(r(&e, &["ZDIFF", "2", "set", "z"]), bulks(&["7", "x"]));
        assert_eq!(r(&e, &["ZINTERCARD", "2", "set", "z"]), int(1));
        assert_eq!(ap(&mut e, &["ZUNIONSTORE", "d", "1", "set"]), int(3));
    }

    #[test]
    fn set_operation_errors() {
        let e = engine();
        assert_eq!(
            r(&e, &["ZUNION", "0", "z"]),
            err("ERR at least 1 input key is needed for 'zunion' command")
        );
        assert_eq!(
            r(&e, &["ZINTERCARD", "0", "z"]),
            err("ERR at least 1 input key is needed for 'zintercard' command")
        );
        assert_eq!(r(&e, &["ZUNION", "x", "z"]), err(NOT_INTEGER));
        assert_eq!(r(&e, &["ZUNION", "3", "z", "y"]), err(SYNTAX_ERROR));
        assert_eq!(r(&e, &["ZUNION", "1", "s"]), err(WRONGTYPE));
        assert_eq!(
            r(&e, &["ZUNION", "1", "s", "BOGUS"]),
            err(WRONGTYPE),
            "keys are checked first"
        );
        assert_eq!(
            r(&e, &["ZUNION", "1", "z", "WEIGHTS", "x"]),
            err("ERR weight value is not a float")
        );
        assert_eq!(
            r(&e, &["ZUNION", "2", "z", "z", "WEIGHTS", "1"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            r(&e, &["ZUNION", "1", "z", "AGGREGATE", "AVG"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            r(&e, &["ZDIFF", "1", "z", "WEIGHTS", "1"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            r(&e, &["ZINTERCARD", "1", "z", "WITHSCORES"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            r(&e, &["ZINTERCARD", "1", "z", "LIMIT", "-1"]),
            err("ERR LIMIT can't be negative")
        );
        assert_eq!(
            r(&e, &["ZINTERCARD", "1", "z", "LIMIT", "x"]),
            err("ERR LIMIT can't be negative")
        );
    }

    #[test]
    fn store_forms_replace_the_destination() {
        let mut e = engine();
        ap(&mut e, &["ZADD", "y", "10", "b"]);
        ap(&mut e, &["SET", "dst", "old", "EX", "100"]);
        assert_eq!(
            apply(
                &mut e,
                0,
                &["ZUNIONSTORE", "dst", "2", "z", "y", "WEIGHTS", "1", "2"]
            ),
            int(4)
        );
        assert_eq!(r(&e, &["ZSCORE", "dst", "b"]), bulk("22"));
        assert_eq!(r(&e, &["TTL", "dst"]), int(-1));
        assert_eq!(
            apply(
                &mut e,
                0,
                &["ZINTERSTORE", "dst", "2", "z", "y", "AGGREGATE", "MAX"]
            ),
            int(1)
        );
        assert_eq!(
            r(&e, &["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
            bulks(&["b", "10"])
        );
        assert_eq!(ap(&mut e, &["ZDIFFSTORE", "dst", "2", "z", "y"]), int(3));
        assert_eq!(ap(&mut e, &["ZDIFFSTORE", "dst", "2", "y", "z"]), int(0));
        assert!(!exists(&e, "dst"));
        assert_eq!(
            ap(&mut e, &["ZINTERSTORE", "dst", "0", "z"]),
            err("ERR at least 1 input key is needed for 'zinterstore' command")
        );
        assert_eq!(
            ap(&mut e, &["ZUNIONSTORE", "dst", "1", "z", "WITHSCORES"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(ap(&mut e, &["ZDIFFSTORE", "dst", "1", "s"]), err(WRONGTYPE));
        // A large result becomes the large encoding, a small one compact.
        for i in 0..200 {
            apply(
                &mut e,
                0,
                &["ZADD", "big", &i.to_string(), &format!("m{i}")],
            );
        }
        assert_eq!(encoding(&e, "big"), "skiplist");
        assert_eq!(ap(&mut e, &["ZUNIONSTORE", "dst", "1", "big"]), int(200));
        assert_eq!(encoding(&e, "dst"), "skiplist");
        assert_eq!(
            ap(&mut e, &["ZRANGESTORE", "dst", "big", "0", "9"]),
            int(10)
        );
        assert_eq!(encoding(&e, "dst"), "listpack");
    }

    #[test]
    fn encodings_convert_at_redis_thresholds_and_agree() {
        let mut e = Engine::new();
        for i in 0..128 {
            apply(
                &mut e,
                0,
                &["ZADD", "z", &(i % 7).to_string(), &format!("m{i:03}")],
            );
        }
        assert_eq!(encoding(&e, "z"), "listpack");
        let compact = r(&e, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
        ap(&mut e, &["ZADD", "z", "0", "m128"]);
        assert_eq!(encoding(&e, "z"), "skiplist");
        ap(&mut e, &["ZREM", "z", "m128"]);
        assert_eq!(encoding(&e, "z"), "skiplist", "no conversion back");
        assert_eq!(r(&e, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]), compact);
        assert_eq!(r(&e, &["ZRANK", "z", "m007"]), int(1));
        ap(&mut e, &["ZADD", "v", "1", "a"]);
        ap(&mut e, &["ZADD", "v", "1", &"x".repeat(65)]);
        assert_eq!(encoding(&e, "v"), "skiplist");
        ap(&mut e, &["ZADD", "w", "1", &"x".repeat(64)]);
        assert_eq!(encoding(&e, "w"), "listpack");
    }

    fn zset_of(engine: &Engine, key: &str) -> ZSetValue {
        match &engine.keyspace().dbs[0]
            .get(key.as_bytes(), 0)
            .unwrap()
            .value
        {
            Value::ZSet(zset) => zset.clone(),
            _ => panic!("not a zset"),
        }
    }

    #[test]
    fn a_small_set_is_one_small_allocation() {
        // The keyspace holds values inline: the compact encoding must keep them small.
        assert!(std::mem::size_of::<ZSetValue>() <= 16);
        let mut e = Engine::new();
        let mut argv = vec!["ZADD".to_string(), "z".to_string()];
        for i in 0..10 {
            argv.extend([i.to_string(), format!("member:{i}")]);
        }
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        apply(&mut e, 0, &argv);
        // 10 × (1 score byte + 1 length byte + 8 member bytes) + the 1-byte count.
        assert_eq!(zset_of(&e, "z").compact_bytes(), Some(101));
        ap(&mut e, &["ZADD", "z", "2.5", "member:2"]);
        assert_eq!(zset_of(&e, "z").compact_bytes(), Some(109), "no slack");
        ap(&mut e, &["ZREM", "z", "member:0", "member:1"]);
        assert_eq!(zset_of(&e, "z").compact_bytes(), Some(89));
    }

    #[test]
    fn compact_scores_keep_their_value_and_order() {
        let mut e = Engine::new();
        let scores = [
            "-inf",
            "inf",
            "-0",
            "0.5",
            "-1e300",
            "9007199254740993",
            "-4096",
            "4095",
            "31",
            "-32",
            "1.7976931348623157e308",
            "5e-324",
        ];
        for (i, score) in scores.iter().enumerate() {
            ap(&mut e, &["ZADD", "z", score, &format!("m{i:02}")]);
            ap(&mut e, &["ZADD", "big", score, &format!("m{i:02}")]);
        }
        ap(&mut e, &["ZADD", "big", "0", &"x".repeat(65)]);
        ap(&mut e, &["ZREM", "big", &"x".repeat(65)]);
        assert_eq!(encoding(&e, "z"), "listpack");
        assert_eq!(encoding(&e, "big"), "skiplist");
        let (small, large) = (zset_of(&e, "z").entries(), zset_of(&e, "big").entries());
        let bits = |entries: &Entries| -> Vec<(u64, Vec<u8>)> {
            entries
                .iter()
                .map(|(s, m)| (s.to_bits(), m.clone()))
                .collect()
        };
        let mut expected = bits(&large);
        // Only −0 differs: the compact encoding stores it as 0.
        for entry in &mut expected {
            if entry.0 == (-0.0f64).to_bits() {
                entry.0 = 0.0f64.to_bits();
            }
        }
        assert_eq!(bits(&small), expected);
        assert_eq!(
            r(&e, &["ZSCORE", "z", "m05"]),
            r(&e, &["ZSCORE", "big", "m05"])
        );
        assert_eq!(
            r(&e, &["ZRANK", "z", "m03"]),
            r(&e, &["ZRANK", "big", "m03"])
        );
        assert_eq!(
            r(&e, &["ZRANGEBYSCORE", "z", "(0", "1e10", "WITHSCORES"]),
            r(&e, &["ZRANGEBYSCORE", "big", "(0", "1e10", "WITHSCORES"])
        );
        ap(&mut e, &["ZINCRBY", "z", "1", "m02"]);
        assert_eq!(zset_of(&e, "z").score(b"m02"), Some(1.0));
    }

    #[test]
    fn zscan_small_and_large() {
        let mut e = engine();
        apply(
            &mut e,
            0,
            &["ZADD", "z", "123456789012345678", "big", "0.5", "half"],
        );
        assert_eq!(
            r(&e, &["ZSCAN", "z", "0"]),
            Reply::Array(vec![
                bulk("0"),
                bulks(&[
                    "half",
                    "0.5",
                    "a",
                    "1",
                    "b",
                    "2",
                    "c",
                    "3",
                    "d",
                    "4",
                    "big",
                    "123456789012345680"
                ])
            ])
        );
        assert_eq!(
            r(&e, &["ZSCAN", "z", "0", "MATCH", "[ab]*", "COUNT", "1"]),
            Reply::Array(vec![
                bulk("0"),
                bulks(&["a", "1", "b", "2", "big", "123456789012345680"])
            ])
        );
        assert_eq!(
            r(&e, &["ZSCAN", "none", "0", "BOGUS"]),
            Reply::Array(vec![bulk("0"), bulks(&[])])
        );
        assert_eq!(r(&e, &["ZSCAN", "z", "x"]), err("ERR invalid cursor"));
        assert_eq!(r(&e, &["ZSCAN", "z", "0", "COUNT", "0"]), err(SYNTAX_ERROR));
        assert_eq!(r(&e, &["ZSCAN", "z", "0", "COUNT", "x"]), err(NOT_INTEGER));
        assert_eq!(
            r(&e, &["ZSCAN", "z", "0", "TYPE", "zset"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(r(&e, &["ZSCAN", "z", "0", "MATCH"]), err(SYNTAX_ERROR));
        assert_eq!(r(&e, &["ZSCAN", "s", "0"]), err(WRONGTYPE));
        for i in 0..300 {
            apply(
                &mut e,
                0,
                &["ZADD", "big", &i.to_string(), &format!("m{i}")],
            );
        }
        let mut seen = Vec::new();
        let mut cursor = "0".to_string();
        for _ in 0..1000 {
            let Reply::Array(parts) = r(&e, &["ZSCAN", "big", &cursor, "COUNT", "7"]) else {
                panic!()
            };
            let (Reply::Bulk(next), Reply::Array(items)) = (&parts[0], &parts[1]) else {
                panic!()
            };
            seen.extend(items.chunks(2).map(|pair| pair[0].clone()));
            cursor = String::from_utf8(next.clone()).unwrap();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(cursor, "0");
        assert_eq!(seen.len(), 300);
        assert_eq!(
            seen.iter()
                .map(|m| format!("{m:?}"))
                .collect::<BTreeSet<_>>()
                .len(),
            300
        );
    }

    #[test]
    fn snapshot_round_trips_both_encodings_and_rejects_bad_bytes() {
        let mut e = engine();
        for i in 0..200 {
            apply(
                &mut e,
                0,
                &["ZADD", "big", &format!("{}.5", i % 13), &format!("m{i}")],
            );
        }
        ap(&mut e, &["ZADD", "big", "-0", "neg"]);
        let bytes = e.encode_snapshot();
        let decoded = Engine::decode_snapshot(&bytes).unwrap();
        assert_eq!(decoded, e);
        assert_eq!(decoded.encode_snapshot(), bytes);
        assert_eq!(encoding(&decoded, "big"), "skiplist");
        assert_eq!(encoding(&decoded, "z"), "listpack");
        assert_eq!(r(&decoded, &["ZSCORE", "big", "neg"]), bulk("-0"));
        for cut in (0..bytes.len()).step_by(7) {
            assert!(Engine::decode_snapshot(&bytes[..cut]).is_err());
        }
        // NaN, out-of-order and duplicate entries are refused.
        let mut one = Engine::new();
        apply(&mut one, 0, &["ZADD", "k", "1", "a", "2", "b"]);
        let good = one.encode_snapshot();
        let patch = |from: &[u8], to: &[u8]| {
            let at = good.windows(from.len()).position(|w| w == from).unwrap();
            let mut bytes = good.clone();
            bytes[at..at + from.len()].copy_from_slice(to);
            bytes
        };
        let one_bits = 1.0f64.to_bits().to_le_bytes();
        for bad in [
            patch(&one_bits, &f64::NAN.to_bits().to_le_bytes()),
            patch(&one_bits, &3.0f64.to_bits().to_le_bytes()),
            patch(b"\x01\x00\x00\x00b", b"\x01\x00\x00\x00a"),
        ] {
            assert!(Engine::decode_snapshot(&bad).is_err());
        }
    }

    #[test]
    fn the_replicated_thresholds_decide_conversions() {
        use crate::testutil::{config_set, encoding};
        let mut e = Engine::new();
        config_set(&mut e, "zset-max-listpack-entries", "2");
        apply(&mut e, 1000, &["ZADD", "z", "1", "a", "2", "b"]);
        assert_eq!(encoding(&e, "z"), "listpack");
        apply(&mut e, 1000, &["ZADD", "z", "3", "c"]);
        assert_eq!(encoding(&e, "z"), "skiplist");
        apply(&mut e, 1000, &["ZUNIONSTORE", "u", "1", "z"]);
        assert_eq!(encoding(&e, "u"), "skiplist");
        config_set(&mut e, "zset-max-listpack-value", "1");
        apply(&mut e, 1000, &["ZADD", "long", "1", "ab"]);
        assert_eq!(encoding(&e, "long"), "skiplist");
        config_set(&mut e, "zset-max-listpack-entries", "0");
        apply(&mut e, 1000, &["ZADD", "none", "1", "a"]);
        assert_eq!(encoding(&e, "none"), "skiplist");
    }
}
