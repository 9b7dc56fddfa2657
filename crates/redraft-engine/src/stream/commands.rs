//! The commands on entries: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XREAD, XSETID; the
//! reply shapes every stream command shares; and this module's command table.

use super::ids::{
    parse_range_end, parse_range_start, parse_strict_id, parse_strict_ids, parse_xadd_id,
};
use super::value::{Trim, TrimStrategy};
use super::{StreamId, StreamValue};
use crate::args::{self, int_arg, is, syntax_error, Args};
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::spec::{self};
use crate::spec::{ReadCtx, WriteCtx};

/// Redis's 100 * stream-node-max-entries: the default LIMIT of an approximate trim.
const APPROX_TRIM_LIMIT: u64 = 10_000;

/// An entry as Redis replies with it: its ID and its field-value pairs.
pub(super) fn entry_reply(id: StreamId, fields: &[Vec<u8>]) -> Reply {
    Reply::Array(vec![
        id.reply(),
        Reply::Array(fields.iter().map(|f| Reply::bulk(f.clone())).collect()),
    ])
}

/// Entries as XRANGE, XREAD and XINFO STREAM FULL list them.
pub(super) fn entries_reply(entries: Vec<(StreamId, &Vec<Vec<u8>>)>) -> Reply {
    let entries = entries.into_iter();
    Reply::Array(
        entries
            .map(|(id, fields)| entry_reply(id, fields))
            .collect(),
    )
}

/// XREAD's and XREADGROUP's reply: each stream served with its entries, or a null array.
pub(super) fn streams_reply(served: Vec<(Reply, Reply)>) -> Reply {
    if served.is_empty() {
        Reply::NilArray
    } else {
        Reply::PairMap(served)
    }
}

/// A COUNT argument as a number of entries, a negative one as 0 (which means "no limit" to
/// [`StreamValue::range`] and "none" to XPENDING).
pub(super) fn count_limit(count: i64) -> usize {
    usize::try_from(count.max(0)).unwrap_or(usize::MAX)
}

/// What XADD and XTRIM were asked (streamParseAddOrTrimArgsOrReply).
struct AddTrimArgs<'a> {
    trim: Option<Trim>,
    no_mkstream: bool,
    /// XADD: the ID given (None for `*`) and whether its sequence was given.
    id: Option<(StreamId, bool)>,
    /// XADD: the arguments after the ID, field-value pairs.
    fields: &'a [Vec<u8>],
}

fn trim_syntax(line: &str) -> Reply {
    Reply::error(format!("ERR syntax error, {line}"))
}

fn parse_add_trim(argv: &[Vec<u8>], xadd: bool) -> Result<AddTrimArgs<'_>, Reply> {
    let mut parsed = AddTrimArgs {
        trim: None,
        no_mkstream: false,
        id: None,
        fields: &[],
    };
    let mut strategy: Option<TrimStrategy> = None;
    let mut approx = false;
    let mut limit: Option<i64> = None;
    let mut args = Args::new(argv, 2);
    while let Some(opt) = args.next_arg() {
        let more = args.remaining();
        if xadd && args::c_str(opt) == b"*" {
            parsed.fields = args.rest();
            break;
        } else if (is(opt, "MAXLEN") || is(opt, "MINID")) && more > 0 {
            if strategy.is_some() {
                return Err(trim_syntax(
                    "MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            let mut value = args.bytes()?;
            approx = false;
            if more >= 2 && matches!(args::c_str(value), b"~" | b"=") {
                approx = args::c_str(value) == b"~";
                value = args.bytes()?;
            }
            strategy = Some(if is(opt, "MAXLEN") {
                let max = int_arg(value)?;
                if max < 0 {
                    return Err(Reply::error("ERR The MAXLEN argument must be >= 0."));
                }
                TrimStrategy::MaxLen(max as u64)
            } else {
                TrimStrategy::MinId(parse_strict_id(value)?)
            });
        } else if is(opt, "LIMIT") && more > 0 {
            let value = args.int()?;
            if value < 0 {
                return Err(Reply::error("ERR The LIMIT argument must be >= 0."));
            }
            limit = Some(value);
        } else if xadd && is(opt, "NOMKSTREAM") {
            parsed.no_mkstream = true;
        } else if xadd {
            parsed.id = Some(parse_xadd_id(opt)?);
            parsed.fields = args.rest();
            break;
        } else {
            return Err(syntax_error());
        }
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
pub fn xadd(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let parsed = parse_add_trim(argv, true)?;
    if parsed.fields.len() < 2 || !parsed.fields.len().is_multiple_of(2) {
        return Err(spec::wrong_arity("xadd"));
    }
    if parsed.id == Some((StreamId::MIN, true)) {
        return Err(Reply::error(
            "ERR The ID specified in XADD must be greater than 0-0",
        ));
    }
    let now = ctx.now_ms;
    let db = ctx.db();
    if parsed.no_mkstream && db.get_as::<StreamValue>(&argv[1], now)?.is_none() {
        return Ok(Reply::Nil);
    }
    // A new stream always takes the entry: no ID is refused by an empty stream but 0-0.
    let stream = db.get_or_create::<StreamValue>(&argv[1], now)?;
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
    stream.append(id, parsed.fields.to_vec());
    let trimmed = parsed.trim.map_or(0, |trim| stream.trim(trim));
    ctx.notify(Class::STREAM, "xadd", &argv[1]);
    if trimmed > 0 {
        ctx.notify(Class::STREAM, "xtrim", &argv[1]);
    }
    // One change, as Redis counts an XADD, whatever it trimmed.
    ctx.changed(1);
    Ok(id.reply())
}

pub fn xlen(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let stream = ctx.db().get_as::<StreamValue>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(stream.map_or(0, |s| s.len() as i64)))
}

/// XRANGE key start end [COUNT n] and XREVRANGE key end start [COUNT n].
fn range_generic(ctx: &ReadCtx, argv: &[Vec<u8>], rev: bool) -> CmdResult {
    let (start, end) = if rev {
        (&argv[3], &argv[2])
    } else {
        (&argv[2], &argv[3])
    };
    let start = parse_range_start(start)?;
    let end = parse_range_end(end)?;
    let mut count: Option<i64> = None;
    let mut args = Args::new(argv, 4);
    while let Some(opt) = args.next_arg() {
        if !is(opt, "COUNT") || args.is_empty() {
            return Err(syntax_error());
        }
        count = Some(args.int()?);
    }
    let Some(stream) = ctx.db().get_as::<StreamValue>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count.is_some_and(|count| count <= 0) {
        return Ok(Reply::NilArray);
    }
    let count = count.map_or(0, count_limit);
    Ok(entries_reply(stream.range(start, end, rev, count)))
}

pub fn xrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    range_generic(ctx, argv, false)
}

pub fn xrevrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    range_generic(ctx, argv, true)
}

/// XDEL key id [id ...]: the key is looked up before the IDs are checked, as in Redis.
pub fn xdel(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let Some(stream) = ctx.db().get_as_mut::<StreamValue>(&argv[1], now)? else {
        return Ok(Reply::Integer(0));
    };
    let mut deleted = 0;
    let mut first_deleted = false;
    for id in parse_strict_ids(&argv[2..])? {
        if stream.delete(id) {
            first_deleted |= id == stream.first_id;
            stream.max_deleted_id = stream.max_deleted_id.max(id);
            deleted += 1;
        }
    }
    if deleted > 0 {
        if stream.is_empty() {
            stream.first_id = StreamId::MIN;
        } else if first_deleted {
            stream.refresh_first_id();
        }
        ctx.notify(Class::STREAM, "xdel", &argv[1]);
    }
    ctx.changed(deleted as u64);
    Ok(Reply::Integer(deleted))
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
pub fn xtrim(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let parsed = parse_add_trim(argv, false)?;
    let now = ctx.now_ms;
    let Some(stream) = ctx.db().get_as_mut::<StreamValue>(&argv[1], now)? else {
        return Ok(Reply::Integer(0));
    };
    let trim = parsed.trim.expect("XTRIM has a strategy");
    let trimmed = stream.trim(trim);
    if trimmed > 0 {
        ctx.notify(Class::STREAM, "xtrim", &argv[1]);
    }
    ctx.changed(trimmed);
    Ok(Reply::Integer(trimmed as i64))
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
pub fn xsetid(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let id = parse_strict_id(&argv[2])?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut args = Args::new(argv, 3);
    while let Some(opt) = args.next_arg() {
        let Some(value) = args.next_arg() else {
            return Err(syntax_error());
        };
        if is(opt, "ENTRIESADDED") {
            let value = int_arg(value)?;
            if value < 0 {
                return Err(Reply::error("ERR entries_added must be positive"));
            }
            entries_added = Some(value as u64);
        } else if is(opt, "MAXDELETEDID") {
            max_deleted = parse_strict_id(value)?;
            if id < max_deleted {
                return Err(Reply::error(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(syntax_error());
        }
    }
    let now = ctx.now_ms;
    let Some(stream) = ctx.db().get_as_mut::<StreamValue>(&argv[1], now)? else {
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
    ctx.notify(Class::STREAM, "xsetid", &argv[1]);
    Ok(Reply::ok())
}

/// The options shared by XREAD and XREADGROUP.
pub(super) struct ReadArgs<'a> {
    pub count: usize,
    /// BLOCK's milliseconds, if given (0 waits for ever).
    pub block: Option<u64>,
    pub group: Option<(&'a [u8], &'a [u8])>,
    pub noack: bool,
    /// Keys and their ID arguments.
    pub keys: &'a [Vec<u8>],
    pub ids: &'a [Vec<u8>],
}

/// Parses [BLOCK ms] [COUNT n] [GROUP g c] [NOACK] STREAMS key ... id ... as xreadCommand.
/// The command itself answers at once; BLOCK is the blocking machinery's (stream/blocking.rs).
pub(super) fn parse_read_args(argv: &[Vec<u8>], xreadgroup: bool) -> Result<ReadArgs<'_>, Reply> {
    let mut count = 0usize;
    let mut block = None;
    let mut group = None;
    let mut noack = false;
    let mut streams = None;
    let mut args = Args::new(argv, 1);
    while let Some(opt) = args.next_arg() {
        let more = args.remaining();
        if is(opt, "BLOCK") && more > 0 {
            let timeout = args::parse_i64(args.bytes()?)
                .ok_or_else(|| Reply::error("ERR timeout is not an integer or out of range"))?;
            if timeout < 0 {
                return Err(Reply::error("ERR timeout is negative"));
            }
            block = Some(timeout as u64);
        } else if is(opt, "COUNT") && more > 0 {
            count = count_limit(args.int()?);
        } else if is(opt, "STREAMS") && more > 0 {
            streams = Some(args.rest());
        } else if is(opt, "GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(Reply::error(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            group = Some((args.bytes()?, args.bytes()?));
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
    }
    let streams = streams.ok_or_else(syntax_error)?;
    if !streams.len().is_multiple_of(2) {
        return Err(Reply::error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        ));
    }
    if xreadgroup && group.is_none() {
        return Err(Reply::error("ERR Missing GROUP option for XREADGROUP"));
    }
    let (keys, ids) = streams.split_at(streams.len() / 2);
    Ok(ReadArgs {
        count,
        block,
        group,
        noack,
        keys,
        ids,
    })
}

/// XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ...: entries after each ID; Nil when no
/// stream has any (a client's BLOCK waits through stream/blocking.rs; in MULTI it does not).
pub fn xread(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let read = parse_read_args(argv, false)?;
    let mut targets = Vec::with_capacity(read.keys.len());
    for (key, id_arg) in read.keys.iter().zip(read.ids) {
        let stream = ctx.db().get_as::<StreamValue>(key, ctx.now_ms)?;
        let after = match args::c_str(id_arg) {
            b"$" => stream.map_or(StreamId::MIN, |s| s.last_id),
            b">" => {
                return Err(Reply::error(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ))
            }
            _ => parse_strict_id(id_arg)?,
        };
        targets.push((key, stream, after));
    }
    let mut served = Vec::new();
    for (key, stream, after) in targets {
        let Some(stream) = stream.filter(|s| !s.is_empty() && s.last_valid_id() > after) else {
            continue;
        };
        let start = after.next().unwrap_or(StreamId::MIN);
        let entries = stream.range(start, StreamId::MAX, false, read.count);
        served.push((Reply::bulk(key.clone()), entries_reply(entries)));
    }
    Ok(streams_reply(served))
}
