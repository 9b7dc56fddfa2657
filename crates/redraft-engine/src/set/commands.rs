//! The set commands (t_set.c) and this module's entries in the command table.

use std::borrow::Cow;

use super::SetValue;
use crate::args::{self, is, syntax_error, Args, MUST_BE_POSITIVE};
use crate::config::EncodingConfig;
use crate::keyspace::{Entry, TypedValue};
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::rng::Rng;
use crate::sample;
use crate::scan::{self, ScanOptions};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST, RANDOM,
};
use crate::spec::{ReadCtx, WriteCtx};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "sadd", -3, DENYOOM | FAST, 1, 1, 1, Write(sadd),
        keys: "RW insert @1",
        docs: "set 1.0.0",
        summary: "Adds members to a set",
        complexity: "O(1) per member",
        history: "2.4.0 Takes several members at once.",
        args: "key:key#0 *member:string",
    ),
    cmd!(
        "scard", 2, FAST, 1, 1, 1, Read(scard),
        keys: "RO @1",
        docs: "set 1.0.0",
        summary: "Counts a set's members",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "sdiff", -2, 0, 1, -1, 1, Read(sdiff),
        tips: "nondeterministic_output_order",
        keys: "RO access @1 -1/1/0",
        docs: "set 1.0.0",
        summary: "Gives the members of the first set found in none of the others",
        complexity: "O(N), N being the total of the sets' sizes",
        args: "*key:key#0",
    ),
    cmd!(
        "sdiffstore", -3, DENYOOM, 1, -1, 1, Write(sdiffstore),
        keys: "OW update @1; RO access @2 -1/1/0",
        docs: "set 1.0.0",
        summary: "Stores the members of the first set found in none of the others",
        complexity: "O(N), N being the total of the sets' sizes",
        args: "destination:key#0 *key:key#1",
    ),
    cmd!(
        "sinter", -2, 0, 1, -1, 1, Read(sinter),
        tips: "nondeterministic_output_order",
        keys: "RO access @1 -1/1/0",
        docs: "set 1.0.0",
        summary: "Gives the members common to all the sets",
        complexity: "O(N*M): N the smallest set's size, M the number of sets",
        args: "*key:key#0",
    ),
    cmd!(
        "sintercard", -3, 0, 0, 0, 0, Read(sintercard),
        keys: "RO access @1 #0/1/1",
        docs: "set 7.0.0",
        summary: "Counts the members common to all the sets, up to an optional limit",
        complexity: "O(N*M): N the smallest set's size, M the number of sets",
        args: "numkeys:integer *key:key#0 ?limit:integer=LIMIT",
    ),
    cmd!(
        "sinterstore", -3, DENYOOM, 1, -1, 1, Write(sinterstore),
        keys: "RW update @1; RO access @2 -1/1/0",
        docs: "set 1.0.0",
        summary: "Stores the members common to all the sets",
        complexity: "O(N*M): N the smallest set's size, M the number of sets",
        args: "destination:key#0 *key:key#1",
    ),
    cmd!(
        "sismember", 3, FAST, 1, 1, 1, Read(sismember),
        keys: "RO @1",
        docs: "set 1.0.0",
        summary: "Tells whether a value is a member of a set",
        complexity: "O(1)",
        args: "key:key#0 member:string",
    ),
    // Redis 7.0 serves SMEMBERS with SINTER's function.
    cmd!(
        "smembers", 2, 0, 1, 1, 1, Read(sinter),
        tips: "nondeterministic_output_order",
        keys: "RO access @1",
        docs: "set 1.0.0",
        summary: "Gives every member of a set",
        complexity: "O(N), N being the set's size",
        args: "key:key#0",
    ),
    cmd!(
        "smismember", -3, FAST, 1, 1, 1, Read(smismember),
        keys: "RO access @1",
        docs: "set 6.2.0",
        summary: "Tells for each value whether it is a member of a set",
        complexity: "O(N), N being the values named",
        args: "key:key#0 *member:string",
    ),
    cmd!(
        "smove", 4, FAST, 1, 2, 1, Write(smove),
        keys: "RW access delete @1; RW insert @2",
        docs: "set 1.0.0",
        summary: "Transfers a member between two sets",
        complexity: "O(1)",
        args: "source:key#0 destination:key#1 member:string",
    ),
    cmd!(
        "spop", -2, FAST | RANDOM, 1, 1, 1, Write(spop),
        tips: "nondeterministic_output",
        keys: "RW access delete @1",
        docs: "set 1.0.0",
        summary: "Removes and gives random members of a set",
        complexity: "O(N), N being the members popped",
        history: "3.2.0 The count argument was introduced.",
        args: "key:key#0 ?count:integer@3.2.0",
    ),
    cmd!(
        "srandmember", -2, RANDOM, 1, 1, 1, Read(srandmember),
        tips: "nondeterministic_output",
        keys: "RO access @1",
        docs: "set 1.0.0",
        summary: "Gives random members of a set, without removing them",
        complexity: "O(N), N being the members given",
        history: "2.6.0 The count argument was introduced.",
        args: "key:key#0 ?count:integer@2.6.0",
    ),
    cmd!(
        "srem", -3, FAST, 1, 1, 1, Write(srem),
        keys: "RW delete @1",
        docs: "set 1.0.0",
        summary: "Deletes the named members of a set",
        complexity: "O(N), N being the members named",
        history: "2.4.0 Takes several members at once.",
        args: "key:key#0 *member:string",
    ),
    cmd!(
        "sscan", -3, 0, 1, 1, 1, Read(sscan),
        tips: "nondeterministic_output",
        keys: "RO access @1",
        docs: "set 2.8.0",
        summary: "Walks a set's members with a cursor",
        complexity: "O(1) per call; O(N) for a whole walk, N being the set's size",
        args: "key:key#0 cursor:integer ?pattern:pattern=MATCH ?count:integer=COUNT",
    ),
    cmd!(
        "sunion", -2, 0, 1, -1, 1, Read(sunion),
        tips: "nondeterministic_output_order",
        keys: "RO access @1 -1/1/0",
        docs: "set 1.0.0",
        summary: "Gives the members of any of the sets",
        complexity: "O(N), N being the total of the sets' sizes",
        args: "*key:key#0",
    ),
    cmd!(
        "sunionstore", -3, DENYOOM, 1, -1, 1, Write(sunionstore),
        keys: "OW update @1; RO access @2 -1/1/0",
        docs: "set 1.0.0",
        summary: "Stores the members of any of the sets",
        complexity: "O(N), N being the total of the sets' sizes",
        args: "destination:key#0 *key:key#1",
    ),
];

/// The live set at `key`: Ok(None) when absent, WRONGTYPE for another type.
fn lookup<'a>(ctx: &'a ReadCtx, key: &[u8]) -> Result<Option<&'a SetValue>, Reply> {
    ctx.db().get_as(key, ctx.now_ms)
}

fn bulks<'a>(members: impl Iterator<Item = Cow<'a, [u8]>>) -> Vec<Reply> {
    members
        .map(|member| Reply::bulk(member.into_owned()))
        .collect()
}

/// SADD key member [member ...]: how many are new.
pub fn sadd(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let set = ctx.db().get_or_create::<SetValue>(&argv[1], now)?;
    let added = argv[2..].iter().filter(|m| set.add(m, &limits)).count();
    if added > 0 {
        ctx.notify(Class::SET, "sadd", &argv[1]);
    }
    ctx.changed(added as u64);
    Ok(Reply::count(added))
}

/// SREM key member [member ...]: how many were removed; an emptied set is deleted.
pub fn srem(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let Some(set) = ctx.db().get_as_mut::<SetValue>(&argv[1], now)? else {
        return Ok(Reply::count(0));
    };
    let removed = argv[2..].iter().filter(|member| set.remove(member)).count();
    let emptied = set.is_empty();
    if removed > 0 {
        ctx.notify(Class::SET, "srem", &argv[1]);
    }
    if emptied {
        ctx.db().remove(&argv[1], now);
        ctx.notify(Class::GENERIC, "del", &argv[1]);
    }
    ctx.changed(removed as u64);
    Ok(Reply::count(removed))
}

/// 1 when `member` is in `set`, 0 otherwise (an absent set holds nothing).
fn membership(set: Option<&SetValue>, member: &[u8]) -> Reply {
    Reply::Integer(i64::from(set.is_some_and(|set| set.contains(member))))
}

pub fn sismember(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(membership(lookup(ctx, &argv[1])?, &argv[2]))
}

/// SMISMEMBER key member [member ...]: 1 or 0 per member.
pub fn smismember(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let set = lookup(ctx, &argv[1])?;
    let flags = argv[2..].iter().map(|member| membership(set, member));
    Ok(Reply::Array(flags.collect()))
}

pub fn scard(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::count(
        lookup(ctx, &argv[1])?.map_or(0, SetValue::len),
    ))
}

/// SMOVE source destination member: 1 if moved (or already in a set moved onto itself).
pub fn smove(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let (from, to, member) = (&argv[1], &argv[2], &argv[3]);
    let read = ctx.as_read();
    // An absent source answers 0 before any type is checked, as in Redis.
    if !read.db().contains(from, now) {
        return Ok(Reply::count(0));
    }
    let source = lookup(&read, from)?.expect("the source exists");
    lookup(&read, to)?;
    if from == to {
        return Ok(Reply::count(usize::from(source.contains(member))));
    }
    let source = ctx.db().get_as_mut::<SetValue>(from, now)?;
    let source = source.expect("the source exists");
    if !source.remove(member) {
        return Ok(Reply::count(0));
    }
    let emptied = source.is_empty();
    ctx.notify(Class::SET, "srem", from);
    if emptied {
        ctx.db().remove(from, now);
        ctx.notify(Class::GENERIC, "del", from);
    }
    let destination = ctx.db().get_or_create::<SetValue>(to, now)?;
    let added = destination.add(member, &limits);
    if added {
        ctx.notify(Class::SET, "sadd", to);
    }
    // Redis counts the removal, and the addition when the member was new there.
    ctx.changed(1 + u64::from(added));
    Ok(Reply::count(1))
}

/// SPOP key [count]: removes and returns random members, chosen from the entry's seed so that
/// every replica pops the same ones.
pub fn spop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    match argv {
        [_, key] => spop_one(ctx, key),
        [_, key, count] => spop_count(ctx, key, count),
        _ => Err(syntax_error()),
    }
}

fn spop_one(ctx: &mut WriteCtx, key: &[u8]) -> CmdResult {
    let now = ctx.now_ms;
    let mut rng = Rng::new(ctx.seed);
    let Some(set) = ctx.db().get_as_mut::<SetValue>(key, now)? else {
        return Ok(Reply::Nil);
    };
    let member = set.iter().nth(rng.below(set.len()));
    let member = member.expect("the index is below the length").into_owned();
    set.remove(&member);
    let emptied = set.is_empty();
    ctx.notify(Class::SET, "spop", key);
    if emptied {
        ctx.db().remove(key, now);
        ctx.notify(Class::GENERIC, "del", key);
    }
    ctx.changed(1);
    Ok(Reply::bulk(member))
}

/// Below this many remaining members per popped one, SPOP builds the rest anew instead of
/// removing (Redis's SPOP_MOVE_STRATEGY_MUL); it decides the encoding of what stays.
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

fn spop_count(ctx: &mut WriteCtx, key: &[u8], count: &[u8]) -> CmdResult {
    // getPositiveLongFromObjectOrReply: one error line for a non-integer and a negative one.
    let count = args::parse_i64(count)
        .and_then(|count| usize::try_from(count).ok())
        .ok_or_else(|| Reply::error(MUST_BE_POSITIVE))?;
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let mut rng = Rng::new(ctx.seed);
    let Some(set) = ctx.db().get_as_mut::<SetValue>(key, now)? else {
        return Ok(Reply::Set(Vec::new()));
    };
    let size = set.len();
    if count == 0 {
        return Ok(Reply::Set(Vec::new()));
    }

    if count >= size {
        // The whole set, listed as the union of it alone (an intset if it can be one).
        let popped = bulks(SetValue::from_members(set.iter(), &limits).iter());
        ctx.db().remove(key, now);
        ctx.notify(Class::SET, "spop", key);
        ctx.notify(Class::GENERIC, "del", key);
        ctx.changed(size as u64);
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
        let rest = SetValue::from_members(kept.into_iter().map(|at| &members[at]), &limits);
        let popped = members.iter().filter(|member| !rest.contains(member));
        let popped: Vec<Vec<u8>> = popped.cloned().collect();
        *set = rest;
        popped
    };
    ctx.notify(Class::SET, "spop", key);
    ctx.changed(count as u64);
    Ok(Reply::Set(popped.into_iter().map(Reply::bulk).collect()))
}

/// SRANDMEMBER key [count]: one member (Nil when absent); with a count, distinct members (the
/// whole set, in order, when the count covers it) or, negative, members drawn with repetition.
pub fn srandmember(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let mut rng = Rng::new(ctx.seed);
    let (key, count) = match argv {
        [_, key] => (key, None),
        [_, key, count] => (key, Some(sample::signed_count(count)?)),
        _ => return Err(syntax_error()),
    };
    let set = lookup(ctx, key)?;
    let Some(count) = count else {
        let member = set.and_then(|set| set.iter().nth(rng.below(set.len())));
        return Ok(member.map_or(Reply::Nil, |m| Reply::bulk(m.into_owned())));
    };
    let Some(set) = set.filter(|_| count != 0) else {
        return Ok(Reply::Array(Vec::new()));
    };
    let sample = sample::sample(count)?;
    let members = set.members();
    let picks = sample::sample_indices(&mut rng, members.len(), sample);
    let picks = picks.into_iter().map(|at| Reply::bulk(members[at].clone()));
    Ok(Reply::Array(picks.collect()))
}

/// Which combination of sets a command computes.
#[derive(Clone, Copy)]
enum Op {
    /// The members every set holds, counting at most `limit` of them.
    Inter {
        limit: Option<usize>,
    },
    Union,
    Diff,
}

/// A combination of sets as Redis holds it before replying or storing it.
enum Combined {
    /// An intersection, listed in the smallest set's order (SINTER replies in it).
    Listed(Vec<Vec<u8>>),
    /// A union or difference, built as a set: its order is the reply's, its encoding the
    /// stored set's.
    Built(SetValue),
}

impl Combined {
    fn len(&self) -> usize {
        match self {
            Combined::Listed(members) => members.len(),
            Combined::Built(set) => set.len(),
        }
    }

    fn into_reply(self) -> Reply {
        Reply::Set(match self {
            Combined::Listed(members) => members.into_iter().map(Reply::bulk).collect(),
            Combined::Built(set) => bulks(set.iter()),
        })
    }

    /// The set a STORE form keeps: an intersection is added into an intset, as Redis does.
    fn into_set(self, limits: &EncodingConfig) -> SetValue {
        match self {
            Combined::Listed(members) => SetValue::from_members(members, limits),
            Combined::Built(set) => set,
        }
    }
}

/// The one set algebra behind SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms (Redis's
/// sinterGenericCommand and sunionDiffGenericCommand): every key must hold a set or nothing
/// (all are checked before anything is computed); an absent key is an empty set.
fn combine(ctx: &ReadCtx, keys: &[Vec<u8>], op: Op) -> Result<Combined, Reply> {
    let sets: Vec<Option<&SetValue>> = keys
        .iter()
        .map(|key| lookup(ctx, key))
        .collect::<Result<_, _>>()?;
    let limits = &ctx.keyspace.encoding;
    Ok(match op {
        Op::Inter { limit } => Combined::Listed(intersection(&sets, limit)),
        Op::Union => {
            let members = sets.iter().flatten().flat_map(|set| set.iter());
            Combined::Built(SetValue::from_members(members, limits))
        }
        Op::Diff => Combined::Built(difference(keys, &sets, limits)),
    })
}

/// The intersection in Redis's order: the smallest set's members (the first of equal sizes)
/// that every other set holds; empty if any set is absent. Stops after `limit` members.
fn intersection(sets: &[Option<&SetValue>], limit: Option<usize>) -> Vec<Vec<u8>> {
    let Some(mut sets) = sets.iter().copied().collect::<Option<Vec<&SetValue>>>() else {
        return Vec::new();
    };
    sets.sort_by_key(|set| set.len());
    let (smallest, others) = sets.split_first().expect("at least one key");
    let found = smallest
        .iter()
        .filter(|member| others.iter().all(|set| set.contains(member)));
    let found = found.take(limit.unwrap_or(usize::MAX));
    found.map(Cow::into_owned).collect()
}

/// The difference: members of the first set in no other; empty when the first key is absent or
/// named again. Built with the algorithm Redis would pick for these sizes, since that decides
/// whether the result is an intset (the second adds the whole first set before removing).
fn difference(keys: &[Vec<u8>], sets: &[Option<&SetValue>], limits: &EncodingConfig) -> SetValue {
    let Some(first) = sets[0] else {
        return SetValue::default();
    };
    if keys[1..].contains(&keys[0]) {
        return SetValue::default();
    }
    let others: Vec<&SetValue> = sets[1..].iter().flatten().copied().collect();
    let first_work = first.len() * (1 + others.len()) / 2;
    let all_work = first.len() + others.iter().map(|set| set.len()).sum::<usize>();
    if first_work <= all_work {
        let kept = first
            .iter()
            .filter(|member| !others.iter().any(|set| set.contains(member)));
        return SetValue::from_members(kept, limits);
    }
    let mut result = SetValue::from_members(first.iter(), limits);
    for set in others {
        if result.is_empty() {
            break;
        }
        for member in set.iter() {
            result.remove(&member);
        }
    }
    result
}

/// SINTER key [key ...] (and SMEMBERS).
pub fn sinter(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(combine(ctx, &argv[1..], Op::Inter { limit: None })?.into_reply())
}

pub fn sunion(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(combine(ctx, &argv[1..], Op::Union)?.into_reply())
}

pub fn sdiff(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(combine(ctx, &argv[1..], Op::Diff)?.into_reply())
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: the intersection's size, at most `limit`
/// (0: no limit). The options are checked before the keys' types.
pub fn sintercard(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let numkeys = args::positive(&argv[1], "ERR numkeys should be greater than 0")?;
    if numkeys > argv.len() - 2 {
        return Err(Reply::error(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let mut rest = Args::new(argv, 2);
    let keys = rest.take(numkeys)?;
    let mut limit = None;
    while let Some(option) = rest.next_arg() {
        if !is(option, "LIMIT") {
            return Err(syntax_error());
        }
        let value = args::parse_i64(rest.bytes()?).filter(|n| *n >= 0);
        let value = value.ok_or_else(|| Reply::error("ERR LIMIT can't be negative"))?;
        limit = usize::try_from(value).ok().filter(|n| *n > 0);
    }
    Ok(Reply::count(combine(ctx, keys, Op::Inter { limit })?.len()))
}

/// The STORE forms: the result replaces the destination (value and deadline), with the
/// command's `event`, or deletes it when empty ("del" if it existed); the reply is its size.
fn store(ctx: &mut WriteCtx, argv: &[Vec<u8>], op: Op, event: &str) -> CmdResult {
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let set = combine(&ctx.as_read(), &argv[2..], op)?.into_set(&limits);
    let (len, destination) = (set.len(), &argv[1]);
    if set.is_empty() {
        if ctx.db().remove(destination, now).is_some() {
            ctx.notify(Class::GENERIC, "del", destination);
        }
    } else {
        let entry = Entry::new(set.into_value(), None);
        ctx.db().insert(destination, entry, now);
        ctx.notify(Class::SET, event, destination);
    }
    Ok(Reply::count(len))
}

pub fn sinterstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    store(ctx, argv, Op::Inter { limit: None }, "sinterstore")
}

pub fn sunionstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    store(ctx, argv, Op::Union, "sunionstore")
}

pub fn sdiffstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    store(ctx, argv, Op::Diff, "sdiffstore")
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]: an intset is returned whole with cursor 0
/// (as Redis does); a hash table is paged by member hash, so every member present for the
/// whole scan is returned exactly once. An absent key answers before the options are read.
pub fn sscan(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let cursor = scan::scan_cursor(&argv[2])?;
    let Some(set) = lookup(ctx, &argv[1])? else {
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
    let found = members.into_iter().filter(|member| options.matches(member));
    Ok(scan::scan_reply(next, found.map(Reply::bulk).collect()))
}
