//! The list commands and their entries in the command table.

use crate::args::{
    int_arg, is, non_negative, normalize_range, syntax_error, Args, MUST_BE_POSITIVE,
};
use crate::mpop;
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    self, cmd, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST,
};
use crate::spec::{ReadCtx, WriteCtx};

use super::value::{End, ListValue};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "lindex", 3, 0, 1, 1, 1, Read(lindex),
        keys: "RO access @1",
        docs: "list 1.0.0",
        summary: "Reads a list's element at an index",
        complexity: "O(N), N being the elements walked to reach it",
        args: "key:key#0 index:integer",
    ),
    cmd!(
        "linsert", 5, DENYOOM, 1, 1, 1, Write(linsert),
        keys: "RW insert @1",
        docs: "list 2.2.0",
        summary: "Puts an element into a list just before or after a pivot element",
        complexity: "O(N), N being the elements walked to find the pivot",
        args: "key:key#0 where:oneof(before:pure-token=BEFORE after:pure-token=AFTER) pivot:string element:string",
    ),
    cmd!(
        "llen", 2, FAST, 1, 1, 1, Read(llen),
        keys: "RO @1",
        docs: "list 1.0.0",
        summary: "Gives a list's length",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "lmove", 5, DENYOOM, 1, 2, 1, Write(lmove),
        keys: "RW access delete @1; RW insert @2",
        docs: "list 6.2.0",
        summary: "Moves an element from one end of a list to an end of another",
        complexity: "O(1)",
        args: "source:key#0 destination:key#1 wherefrom:oneof(left:pure-token=LEFT right:pure-token=RIGHT) whereto:oneof(left:pure-token=LEFT right:pure-token=RIGHT)",
    ),
    cmd!(
        "lmpop", -4, 0, 0, 0, 0, Write(lmpop),
        keys: "RW access delete @1 #0/1/1",
        docs: "list 7.0.0",
        summary: "Removes and gives elements from an end of the first non-empty list",
        complexity: "O(N+M): N keys tried, M elements popped",
        args: "numkeys:integer *key:key#0 where:oneof(left:pure-token=LEFT right:pure-token=RIGHT) ?count:integer=COUNT",
    ),
    cmd!(
        "lpop", -2, FAST, 1, 1, 1, Write(lpop),
        keys: "RW access delete @1",
        docs: "list 1.0.0",
        summary: "Pops elements off the head of a list",
        complexity: "O(N), N being the elements popped",
        history: "6.2.0 The count argument was introduced.",
        args: "key:key#0 ?count:integer@6.2.0",
    ),
    cmd!(
        "lpos", -3, 0, 1, 1, 1, Read(lpos),
        keys: "RO access @1",
        docs: "list 6.0.6",
        summary: "Finds the indexes of the elements equal to a value",
        complexity: "O(N), N being the list's length",
        args: "key:key#0 element:string ?rank:integer=RANK ?num-matches:integer=COUNT ?len:integer=MAXLEN",
    ),
    cmd!(
        "lpush", -3, DENYOOM | FAST, 1, 1, 1, Write(lpush),
        keys: "RW insert @1",
        docs: "list 1.0.0",
        summary: "Adds elements at the head of a list",
        complexity: "O(1) per element",
        history: "2.4.0 Takes several elements at once.",
        args: "key:key#0 *element:string",
    ),
    cmd!(
        "lpushx", -3, DENYOOM | FAST, 1, 1, 1, Write(lpushx),
        keys: "RW insert @1",
        docs: "list 2.2.0",
        summary: "Adds elements at the head of a list that already exists",
        complexity: "O(1) per element",
        history: "4.0.0 Takes several elements at once.",
        args: "key:key#0 *element:string",
    ),
    cmd!(
        "lrange", 4, 0, 1, 1, 1, Read(lrange),
        keys: "RO access @1",
        docs: "list 1.0.0",
        summary: "Reads the elements between two indexes of a list",
        complexity: "O(S+N): S the offset of the start, N elements returned",
        args: "key:key#0 start:integer stop:integer",
    ),
    cmd!(
        "lrem", 4, 0, 1, 1, 1, Write(lrem),
        keys: "RW delete @1",
        docs: "list 1.0.0",
        summary: "Removes elements equal to a value from a list",
        complexity: "O(N+M): N the list's length, M elements removed",
        args: "key:key#0 count:integer element:string",
    ),
    cmd!(
        "lset", 4, DENYOOM, 1, 1, 1, Write(lset),
        keys: "RW update @1",
        docs: "list 1.0.0",
        summary: "Replaces a list's element at an index",
        complexity: "O(N), N being the elements walked to reach it",
        args: "key:key#0 index:integer element:string",
    ),
    cmd!(
        "ltrim", 4, 0, 1, 1, 1, Write(ltrim),
        keys: "RW delete @1",
        docs: "list 1.0.0",
        summary: "Keeps only the elements between two indexes of a list",
        complexity: "O(N), N being the elements removed",
        args: "key:key#0 start:integer stop:integer",
    ),
    cmd!(
        "rpop", -2, FAST, 1, 1, 1, Write(rpop),
        keys: "RW access delete @1",
        docs: "list 1.0.0",
        summary: "Pops elements off the tail of a list",
        complexity: "O(N), N being the elements popped",
        history: "6.2.0 The count argument was introduced.",
        args: "key:key#0 ?count:integer@6.2.0",
    ),
    cmd!(
        "rpoplpush", 3, DENYOOM, 1, 2, 1, Write(rpoplpush),
        keys: "RW access delete @1; RW insert @2",
        docs: "list 1.2.0 deprecated deprecated_since:6.2.0",
        summary: "Moves the last element of a list to the head of another",
        complexity: "O(1)",
        replaced_by: "LMOVE source destination RIGHT LEFT",
        args: "source:key#0 destination:key#1",
    ),
    cmd!(
        "rpush", -3, DENYOOM | FAST, 1, 1, 1, Write(rpush),
        keys: "RW insert @1",
        docs: "list 1.0.0",
        summary: "Adds elements at the tail of a list",
        complexity: "O(1) per element",
        history: "2.4.0 Takes several elements at once.",
        args: "key:key#0 *element:string",
    ),
    cmd!(
        "rpushx", -3, DENYOOM | FAST, 1, 1, 1, Write(rpushx),
        keys: "RW insert @1",
        docs: "list 2.2.0",
        summary: "Adds elements at the tail of a list that already exists",
        complexity: "O(1) per element",
        history: "4.0.0 Takes several elements at once.",
        args: "key:key#0 *element:string",
    ),
];

fn bulks(items: impl IntoIterator<Item = Vec<u8>>) -> Reply {
    Reply::Array(items.into_iter().map(Reply::Bulk).collect())
}

/// The keyspace event of a push at `end`.
fn push_event(end: End) -> &'static str {
    match end {
        End::Left => "lpush",
        End::Right => "rpush",
    }
}

/// The keyspace event of a pop from `end`.
fn pop_event(end: End) -> &'static str {
    match end {
        End::Left => "lpop",
        End::Right => "rpop",
    }
}

// ---- pop and move cores, shared with the blocking variants to come ----

/// Pops up to `count` elements from one end of the list at `key` (deleting it when emptied).
/// Ok(None) when the key is absent. The blocking pops are served here too, so a served client
/// notifies what its pop did, as in Redis.
pub fn pop_core(
    ctx: &mut WriteCtx,
    key: &[u8],
    end: End,
    count: usize,
) -> Result<Option<Vec<Vec<u8>>>, Reply> {
    let now = ctx.now_ms;
    let Some(list) = ctx.db().get_as_mut::<ListValue>(key, now)? else {
        return Ok(None);
    };
    let taken: Vec<Vec<u8>> = (0..count).map_while(|_| list.pop(end)).collect();
    let emptied = list.is_empty();
    if !taken.is_empty() {
        ctx.notify(Class::LIST, pop_event(end), key);
    }
    if emptied {
        ctx.db().remove(key, now);
        ctx.notify(Class::GENERIC, "del", key);
    }
    ctx.changed(taken.len() as u64);
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
/// moves; the source may be the destination (a rotation, which keeps the key and its TTL).
/// As in Redis, the push is notified before the pop, and the source's deletion last.
pub fn move_core(
    ctx: &mut WriteCtx,
    source: &[u8],
    destination: &[u8],
    from: End,
    to: End,
) -> Result<Option<Vec<u8>>, Reply> {
    let now = ctx.now_ms;
    let db = ctx.db();
    if db.get_as::<ListValue>(source, now)?.is_none() {
        return Ok(None);
    }
    db.get_as::<ListValue>(destination, now)?;
    let list = db.get_as_mut::<ListValue>(source, now)?;
    let list = list.expect("the source was just found");
    let item = list.pop(from).expect("stored lists are never empty");
    if source == destination {
        list.push(to, &item);
        ctx.notify(Class::LIST, push_event(to), destination);
        ctx.notify(Class::LIST, pop_event(from), source);
        ctx.changed(1);
        return Ok(Some(item));
    }
    let emptied = list.is_empty();
    if emptied {
        db.remove(source, now);
    }
    db.get_or_create::<ListValue>(destination, now)?
        .push(to, &item);
    ctx.notify(Class::LIST, push_event(to), destination);
    ctx.notify(Class::LIST, pop_event(from), source);
    if emptied {
        ctx.notify(Class::GENERIC, "del", source);
    }
    // One change, as Redis counts a move, for its two or three events.
    ctx.changed(1);
    Ok(Some(item))
}

// ---- commands ----

/// The one PUSH behind LPUSH, RPUSH, LPUSHX, RPUSHX (`existing_only`: the X variants).
fn push_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], end: End, existing_only: bool) -> CmdResult {
    let (now, key) = (ctx.now_ms, &argv[1]);
    let db = ctx.db();
    if db.get_as::<ListValue>(key, now)?.is_none() && existing_only {
        return Ok(Reply::Integer(0));
    }
    let list = db.get_or_create::<ListValue>(key, now)?;
    argv[2..].iter().for_each(|item| list.push(end, item));
    let len = list.len();
    ctx.notify(Class::LIST, push_event(end), key);
    ctx.changed(argv[2..].len() as u64);
    Ok(Reply::count(len))
}

pub fn lpush(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, End::Left, false)
}

pub fn rpush(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, End::Right, false)
}

pub fn lpushx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, End::Left, true)
}

pub fn rpushx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, End::Right, true)
}

/// The one POP behind LPOP and RPOP (`key [count]`): a bulk (Nil when absent) without count,
/// an array (NilArray when absent) with it.
fn pop_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], end: End, name: &str) -> CmdResult {
    let count = match argv {
        [_, _] => None,
        [_, _, count] => Some(non_negative(count, MUST_BE_POSITIVE)?),
        _ => return Err(spec::wrong_arity(name)),
    };
    let popped = pop_core(ctx, &argv[1], end, count.unwrap_or(1))?;
    Ok(match (popped, count) {
        (None, None) => Reply::Nil,
        (None, Some(_)) => Reply::NilArray,
        (Some(mut items), None) => Reply::Bulk(items.remove(0)),
        (Some(items), Some(_)) => bulks(items),
    })
}

pub fn lpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    pop_generic(ctx, argv, End::Left, "lpop")
}

pub fn rpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    pop_generic(ctx, argv, End::Right, "rpop")
}

pub fn llen(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let list = ctx.db().get_as::<ListValue>(&argv[1], ctx.now_ms)?;
    Ok(Reply::count(list.map_or(0, ListValue::len)))
}

/// LRANGE key start stop: the indexes are read before the key.
pub fn lrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (start, end) = (int_arg(&argv[2])?, int_arg(&argv[3])?);
    let empty = ListValue::default();
    let list = ctx.db().get_as::<ListValue>(&argv[1], ctx.now_ms)?;
    let list = list.unwrap_or(&empty);
    let Some((start, end)) = normalize_range(start, end, list.len()) else {
        return Ok(Reply::Array(Vec::new()));
    };
    let items = list.iter_from(start).take(end - start + 1);
    Ok(bulks(items.map(<[u8]>::to_vec)))
}

/// LINDEX key index: the element, or Nil when out of range or absent (the index is read
/// after the key).
pub fn lindex(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let Some(list) = ctx.db().get_as::<ListValue>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    let position = list.position(int_arg(&argv[2])?);
    Ok(position.map_or(Reply::Nil, |i| Reply::bulk(list.get(i))))
}

/// LSET key index element: the key must exist ("no such key") before the index is read.
pub fn lset(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let Some(list) = ctx.db().get_as_mut::<ListValue>(&argv[1], now)? else {
        return Err(Reply::error("ERR no such key"));
    };
    let position = list.position(int_arg(&argv[2])?);
    let position = position.ok_or_else(|| Reply::error("ERR index out of range"))?;
    list.set(position, &argv[3]);
    ctx.notify(Class::LIST, "lset", &argv[1]);
    Ok(Reply::ok())
}

/// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0 without
/// the key.
pub fn linsert(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let after = match &argv[2] {
        arg if is(arg, "AFTER") => true,
        arg if is(arg, "BEFORE") => false,
        _ => return Err(syntax_error()),
    };
    let now = ctx.now_ms;
    let Some(list) = ctx.db().get_as_mut::<ListValue>(&argv[1], now)? else {
        return Ok(Reply::Integer(0));
    };
    let Some(at) = list.iter().position(|item| item == argv[3]) else {
        return Ok(Reply::Integer(-1));
    };
    list.insert(at + usize::from(after), &argv[4]);
    let len = list.len();
    ctx.notify(Class::LIST, "linsert", &argv[1]);
    Ok(Reply::count(len))
}

/// The positions of `element` among the first `scanned` items of `list` from the head, or
/// from the tail: LREM's and LPOS's scan.
fn positions<'a>(
    list: &'a ListValue,
    element: &'a [u8],
    from_tail: bool,
    scanned: usize,
) -> Box<dyn Iterator<Item = usize> + 'a> {
    let last = list.len().saturating_sub(1);
    let found = move |(k, item): (usize, &[u8])| (item == element).then_some(k);
    if from_tail {
        let items = list.iter().rev().take(scanned).enumerate();
        Box::new(items.filter_map(found).map(move |k| last - k))
    } else {
        Box::new(list.iter().take(scanned).enumerate().filter_map(found))
    }
}

/// LREM key count element: count > 0 from the head, < 0 from the tail, 0 all.
pub fn lrem(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let count = int_arg(&argv[2])?;
    let (now, key) = (ctx.now_ms, &argv[1]);
    let Some(list) = ctx.db().get_as_mut::<ListValue>(key, now)? else {
        return Ok(Reply::Integer(0));
    };
    let limit = match count {
        0 => usize::MAX,
        _ => usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX),
    };
    // The positions to remove, ascending; then the list is packed anew without them (LREM
    // is O(N) in Redis too), which also leaves its nodes full.
    let mut doomed: Vec<usize> = positions(list, &argv[3], count < 0, list.len())
        .take(limit)
        .collect();
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
    let emptied = list.is_empty();
    if removed > 0 {
        ctx.notify(Class::LIST, "lrem", key);
    }
    if emptied {
        ctx.db().remove(key, now);
        ctx.notify(Class::GENERIC, "del", key);
    }
    ctx.changed(removed as u64);
    Ok(Reply::count(removed))
}

/// LTRIM key start stop: keeps the range; an empty range deletes the key.
pub fn ltrim(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (start, end) = (int_arg(&argv[2])?, int_arg(&argv[3])?);
    let (now, key) = (ctx.now_ms, &argv[1]);
    let Some(list) = ctx.db().get_as_mut::<ListValue>(key, now)? else {
        return Ok(Reply::ok());
    };
    // Redis counts the elements trimmed away.
    let before = list.len();
    let Some((start, end)) = normalize_range(start, end, before) else {
        ctx.db().remove(key, now);
        ctx.notify(Class::LIST, "ltrim", key);
        ctx.notify(Class::GENERIC, "del", key);
        ctx.changed(before as u64);
        return Ok(Reply::ok());
    };
    list.remove_back(before - 1 - end);
    list.remove_front(start);
    ctx.notify(Class::LIST, "ltrim", key);
    ctx.changed((before - 1 - end + start) as u64);
    Ok(Reply::ok())
}

const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from \
                         the second ... or use negative to start from the end of the list";

/// LPOS key element [RANK rank] [COUNT num] [MAXLEN len]: the options are read before the key.
pub fn lpos(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0usize);
    let mut args = Args::new(argv, 3);
    while let Some(option) = args.next_arg() {
        let value = args.bytes()?;
        if is(option, "RANK") {
            rank = int_arg(value)?;
            if rank == 0 {
                return Err(Reply::error(RANK_ZERO));
            }
        } else if is(option, "COUNT") {
            count = Some(non_negative(value, "ERR COUNT can't be negative")?);
        } else if is(option, "MAXLEN") {
            maxlen = non_negative(value, "ERR MAXLEN can't be negative")?;
        } else {
            return Err(syntax_error());
        }
    }
    let Some(list) = ctx.db().get_as::<ListValue>(&argv[1], ctx.now_ms)? else {
        return Ok(count.map_or(Reply::Nil, |_| Reply::Array(Vec::new())));
    };
    // Redis 7.0 negates the rank in a C long: i64::MIN stays negative, so every match ranks.
    let skip = match rank {
        i64::MIN => 0,
        _ => rank.unsigned_abs() - 1,
    };
    let scanned = match maxlen {
        0 => list.len(),
        _ => maxlen.min(list.len()),
    };
    let mut matches = positions(list, &argv[2], rank < 0, scanned)
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .map(|i| Reply::Integer(i as i64));
    Ok(match count {
        None => matches.next().unwrap_or(Reply::Nil),
        Some(count) => {
            // With RANK i64::MIN, Redis 7.0's `matches - rank + 1` overflows: COUNT never
            // stops the scan.
            let unbounded = count == 0 || rank == i64::MIN;
            Reply::Array(
                matches
                    .take(if unbounded { usize::MAX } else { count })
                    .collect(),
            )
        }
    })
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT.
pub fn lmove(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (from, to) = (End::parse(&argv[3])?, End::parse(&argv[4])?);
    let moved = move_core(ctx, &argv[1], &argv[2], from, to)?;
    Ok(moved.map_or(Reply::Nil, Reply::Bulk))
}

/// RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT.
pub fn rpoplpush(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let moved = move_core(ctx, &argv[1], &argv[2], End::Right, End::Left)?;
    Ok(moved.map_or(Reply::Nil, Reply::Bulk))
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: [key, [elements]] or NilArray.
pub fn lmpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let parsed = mpop::parse(&argv[1..], End::parse)?;
    Ok(
        match mpop_core(ctx, parsed.keys, parsed.from, parsed.count)? {
            None => Reply::NilArray,
            Some((key, items)) => Reply::Array(vec![Reply::Bulk(key), bulks(items)]),
        },
    )
}
