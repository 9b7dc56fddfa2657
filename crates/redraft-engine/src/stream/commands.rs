//! The commands on entries: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XREAD, XSETID.

use super::{
    entry_reply, parse_id_with, parse_range_end, parse_range_start, parse_strict_id, IdRules,
    StreamId, StreamValue, Trim, TrimStrategy, INVALID_ID,
};
use crate::args::{self, int_arg, is, reply, syntax_error};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::keyspace::{Db, Entry, Value};
use crate::reply::Reply;
use crate::table;

/// Redis's 100 * stream-node-max-entries: the default LIMIT of an approximate trim.
const APPROX_TRIM_LIMIT: u64 = 10_000;

/// The live stream at `key`: Ok(None) when absent, WRONGTYPE for another type.
pub(crate) fn lookup<'a>(
    db: &'a Db,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<&'a StreamValue>, Reply> {
    match db.get(key, now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::Stream(stream),
            ..
        }) => Ok(Some(stream)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

/// The live stream at `key`, mutable.
pub(crate) fn lookup_mut<'a>(
    db: &'a mut Db,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<&'a mut StreamValue>, Reply> {
    match db.get_mut(key, now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::Stream(stream),
            ..
        }) => Ok(Some(stream)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

/// The stream at `key`, created empty when absent.
pub(crate) fn lookup_or_create<'a>(
    db: &'a mut Db,
    key: &[u8],
    now_ms: u64,
) -> Result<&'a mut StreamValue, Reply> {
    if lookup(db, key, now_ms)?.is_none() {
        let entry = Entry {
            value: Value::Stream(Box::default()),
            expires_at_ms: None,
        };
        db.insert(key, entry);
    }
    Ok(lookup_mut(db, key, now_ms)?.expect("just created"))
}

/// What XADD and XTRIM were asked (streamParseAddOrTrimArgsOrReply).
struct AddTrimArgs {
    trim: Option<Trim>,
    no_mkstream: bool,
    /// XADD: the ID given (None for `*`) and whether its sequence was given.
    id: Option<(StreamId, bool)>,
    /// XADD: position of the ID argument.
    id_pos: usize,
}

fn trim_syntax(line: &str) -> Reply {
    Reply::error(format!("ERR syntax error, {line}"))
}

fn parse_add_trim(argv: &[Vec<u8>], xadd: bool) -> Result<AddTrimArgs, Reply> {
    let mut parsed = AddTrimArgs {
        trim: None,
        no_mkstream: false,
        id: None,
        id_pos: argv.len(),
    };
    let mut strategy: Option<TrimStrategy> = None;
    let mut approx = false;
    let mut limit: Option<i64> = None;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = &argv[i];
        if xadd && args::c_str(opt) == b"*" {
            parsed.id_pos = i;
            break;
        } else if (is(opt, "MAXLEN") || is(opt, "MINID")) && more > 0 {
            if strategy.is_some() {
                return Err(trim_syntax(
                    "MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            approx = false;
            let next = args::c_str(&argv[i + 1]);
            if more >= 2 && (next == b"~" || next == b"=") {
                approx = next == b"~";
                i += 1;
            }
            let value = &argv[i + 1];
            strategy = Some(if is(opt, "MAXLEN") {
                let max = int_arg(value)?;
                if max < 0 {
                    return Err(Reply::error("ERR The MAXLEN argument must be >= 0."));
                }
                TrimStrategy::MaxLen(max as u64)
            } else {
                TrimStrategy::MinId(parse_strict_id(value)?)
            });
            i += 1;
        } else if is(opt, "LIMIT") && more > 0 {
            let value = int_arg(&argv[i + 1])?;
            if value < 0 {
                return Err(Reply::error("ERR The LIMIT argument must be >= 0."));
            }
            limit = Some(value);
            i += 1;
        } else if xadd && is(opt, "NOMKSTREAM") {
            parsed.no_mkstream = true;
        } else if xadd {
            let rules = IdRules {
                missing_seq: 0,
                strict: true,
                partial_seq: true,
            };
            let id = parse_id_with(opt, rules).ok_or_else(|| Reply::error(INVALID_ID))?;
            parsed.id = Some((id.id, id.seq_given));
            parsed.id_pos = i;
            break;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if limit.is_some_and(|l| l != 0) && strategy.is_none() {
        return Err(trim_syntax(
            "LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && strategy.is_none() {
        return Err(trim_syntax("XTRIM must be called with a trimming strategy"));
    }
    let limit = match limit {
        Some(_) if !approx => {
            return Err(trim_syntax(
                "LIMIT cannot be used without the special ~ option",
            ))
        }
        Some(limit) => limit as u64,
        None if approx => APPROX_TRIM_LIMIT,
        None => 0,
    };
    parsed.trim = strategy.map(|strategy| Trim {
        strategy,
        approx,
        limit,
    });
    Ok(parsed)
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...
pub fn xadd(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xadd_result(ctx, argv))
}

fn xadd_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let parsed = parse_add_trim(argv, true)?;
    let fields_at = parsed.id_pos + 1;
    let fields = argv.get(fields_at..).unwrap_or_default();
    if fields.len() < 2 || !fields.len().is_multiple_of(2) {
        return Err(table::wrong_arity("xadd"));
    }
    if parsed.id == Some((StreamId::MIN, true)) {
        return Err(Reply::error(
            "ERR The ID specified in XADD must be greater than 0-0",
        ));
    }
    let now = ctx.now_ms;
    let db = ctx.db();
    if parsed.no_mkstream && lookup(db, &argv[1], now)?.is_none() {
        return Ok(Reply::Nil);
    }
    let stream = lookup_or_create(db, &argv[1], now)?;
    if stream.last_id == StreamId::MAX {
        return Err(Reply::error(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let Some(id) = stream.next_id(parsed.id, now) else {
        return Err(Reply::error(
            "ERR The ID specified in XADD is equal or smaller than the target stream top item",
        ));
    };
    stream.append(id, fields.to_vec());
    if let Some(trim) = parsed.trim {
        stream.trim(trim);
    }
    Ok(id.reply())
}

pub fn xlen(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    match lookup(ctx.db(), &argv[1], ctx.now_ms) {
        Ok(stream) => Reply::Integer(stream.map_or(0, |s| s.len() as i64)),
        Err(error) => error,
    }
}

/// XRANGE key start end [COUNT n] and XREVRANGE key end start [COUNT n].
fn range_generic(ctx: &ReadCtx, argv: &[Vec<u8>], rev: bool) -> Result<Reply, Reply> {
    let (start_arg, end_arg) = if rev {
        (&argv[3], &argv[2])
    } else {
        (&argv[2], &argv[3])
    };
    let start = parse_range_start(start_arg)?;
    let end = parse_range_end(end_arg)?;
    let mut count: Option<i64> = None;
    let mut j = 4;
    while j < argv.len() {
        if is(&argv[j], "COUNT") && j + 1 < argv.len() {
            count = Some(int_arg(&argv[j + 1])?.max(0));
            j += 2;
        } else {
            return Err(syntax_error());
        }
    }
    let Some(stream) = lookup(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count == Some(0) {
        return Ok(Reply::NilArray);
    }
    let count = count.map_or(0, |c| usize::try_from(c).unwrap_or(usize::MAX));
    let entries = stream
        .range(start, end, rev, count)
        .into_iter()
        .map(|(id, fields)| entry_reply(id, fields))
        .collect();
    Ok(Reply::Array(entries))
}

pub fn xrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(range_generic(ctx, argv, false))
}

pub fn xrevrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(range_generic(ctx, argv, true))
}

/// XDEL key id [id ...]: the key is looked up before the IDs are checked, as in Redis.
pub fn xdel(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xdel_result(ctx, argv))
}

fn xdel_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let Some(stream) = lookup_mut(ctx.db(), &argv[1], now)? else {
        return Ok(Reply::Integer(0));
    };
    let ids = argv[2..]
        .iter()
        .map(|arg| parse_strict_id(arg))
        .collect::<Result<Vec<_>, _>>()?;
    let mut deleted = 0;
    let mut first_deleted = false;
    for id in ids {
        if stream.delete(id) {
            first_deleted |= id == stream.first_id;
            if id > stream.max_deleted_id {
                stream.max_deleted_id = id;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if stream.is_empty() {
            stream.first_id = StreamId::MIN;
        } else if first_deleted {
            stream.refresh_first_id();
        }
    }
    Ok(Reply::Integer(deleted))
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
pub fn xtrim(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xtrim_result(ctx, argv))
}

fn xtrim_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let parsed = parse_add_trim(argv, false)?;
    let now = ctx.now_ms;
    let Some(stream) = lookup_mut(ctx.db(), &argv[1], now)? else {
        return Ok(Reply::Integer(0));
    };
    let trim = parsed.trim.expect("XTRIM has a strategy");
    Ok(Reply::Integer(stream.trim(trim) as i64))
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
pub fn xsetid(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xsetid_result(ctx, argv))
}

fn xsetid_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let id = parse_strict_id(&argv[2])?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if is(&argv[i], "ENTRIESADDED") && more {
            let value = int_arg(&argv[i + 1])?;
            if value < 0 {
                return Err(Reply::error("ERR entries_added must be positive"));
            }
            entries_added = Some(value as u64);
        } else if is(&argv[i], "MAXDELETEDID") && more {
            max_deleted = parse_strict_id(&argv[i + 1])?;
            if id < max_deleted {
                return Err(Reply::error(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }
    let now = ctx.now_ms;
    let Some(stream) = lookup_mut(ctx.db(), &argv[1], now)? else {
        return Err(Reply::error("ERR no such key"));
    };
    if !stream.is_empty() {
        if id < stream.last_valid_id() {
            return Err(Reply::error(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|added| (stream.len() as u64) > added) {
            return Err(Reply::error(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    stream.last_id = id;
    if let Some(added) = entries_added {
        stream.entries_added = added;
    }
    if !max_deleted.is_zero() {
        stream.max_deleted_id = max_deleted;
    }
    Ok(Reply::ok())
}

/// The options shared by XREAD and XREADGROUP.
pub(crate) struct ReadArgs<'a> {
    pub count: usize,
    pub group: Option<(&'a [u8], &'a [u8])>,
    pub noack: bool,
    /// Keys and their ID arguments.
    pub keys: &'a [Vec<u8>],
    pub ids: &'a [Vec<u8>],
}

/// Parses [BLOCK ms] [COUNT n] [GROUP g c] [NOACK] STREAMS key ... id ... as xreadCommand.
/// BLOCK is validated and otherwise ignored: a read that finds nothing answers at once.
pub(crate) fn parse_read_args(argv: &[Vec<u8>], xreadgroup: bool) -> Result<ReadArgs<'_>, Reply> {
    let mut count = 0usize;
    let mut group = None;
    let mut noack = false;
    let mut streams_at = None;
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = &argv[i];
        if is(opt, "BLOCK") && more > 0 {
            i += 1;
            let timeout = args::parse_i64(&argv[i])
                .ok_or_else(|| Reply::error("ERR timeout is not an integer or out of range"))?;
            if timeout < 0 {
                return Err(Reply::error("ERR timeout is negative"));
            }
        } else if is(opt, "COUNT") && more > 0 {
            i += 1;
            let value = int_arg(&argv[i])?.max(0);
            count = usize::try_from(value).unwrap_or(usize::MAX);
        } else if is(opt, "STREAMS") && more > 0 {
            streams_at = Some(i + 1);
            break;
        } else if is(opt, "GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(Reply::error(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            group = Some((argv[i + 1].as_slice(), argv[i + 2].as_slice()));
            i += 2;
        } else if is(opt, "NOACK") {
            if !xreadgroup {
                return Err(Reply::error(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            noack = true;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    let Some(streams_at) = streams_at else {
        return Err(syntax_error());
    };
    let rest = &argv[streams_at..];
    if !rest.len().is_multiple_of(2) {
        return Err(Reply::error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        ));
    }
    if xreadgroup && group.is_none() {
        return Err(Reply::error("ERR Missing GROUP option for XREADGROUP"));
    }
    let (keys, ids) = rest.split_at(rest.len() / 2);
    Ok(ReadArgs {
        count,
        group,
        noack,
        keys,
        ids,
    })
}

/// The error for `>` outside XREADGROUP.
pub(crate) fn greater_id_outside_group() -> Reply {
    Reply::error(
        "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
    )
}

/// XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ...: entries after each ID; Nil when no
/// stream has any (BLOCK does not wait: see docs/commands.md).
pub fn xread(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xread_result(ctx, argv))
}

fn xread_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let read = parse_read_args(argv, false)?;
    let db = ctx.db();
    let mut after = Vec::with_capacity(read.keys.len());
    for (key, id_arg) in read.keys.iter().zip(read.ids) {
        let stream = lookup(db, key, ctx.now_ms)?;
        let id = match args::c_str(id_arg) {
            b"$" => stream.map_or(StreamId::MIN, |s| s.last_id),
            b">" => return Err(greater_id_outside_group()),
            _ => parse_strict_id(id_arg)?,
        };
        after.push(id);
    }
    let mut served = Vec::new();
    for (key, gt) in read.keys.iter().zip(after) {
        let Some(stream) = lookup(db, key, ctx.now_ms)? else {
            continue;
        };
        if stream.is_empty() || stream.last_valid_id() <= gt {
            continue;
        }
        let start = gt.next().unwrap_or(StreamId::MIN);
        let entries = stream
            .range(start, StreamId::MAX, false, read.count)
            .into_iter()
            .map(|(id, fields)| entry_reply(id, fields))
            .collect();
        served.push((Reply::bulk(key.clone()), Reply::Array(entries)));
    }
    if served.is_empty() {
        Ok(Reply::NilArray)
    } else {
        Ok(Reply::PairMap(served))
    }
}
