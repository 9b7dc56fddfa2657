//! The consumer-group commands: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, and
//! XINFO. Delivery, seen and idle times come from the entry time (writes) or the read's time
//! (XPENDING, XINFO), so every replica records and answers the same.

use super::commands::{lookup, lookup_mut, lookup_or_create, parse_read_args, ReadArgs};
use super::{
    entry_reply, parse_id, parse_range_end, parse_range_start, parse_strict_id, strict_id,
    ConsumerGroup, PendingEntry, StreamId, StreamValue, ENTRIES_READ_INVALID,
};
use crate::args::{self, int_arg, is, reply, syntax_error};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::reply::Reply;
use crate::table;

fn now_of(now_ms: u64) -> i64 {
    i64::try_from(now_ms).unwrap_or(i64::MAX)
}

/// The reply to a subcommand with bad options (addReplySubcommandSyntaxError).
fn subcommand_syntax(argv: &[Vec<u8>]) -> Reply {
    let command = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
    let sub = args::text(&argv[1]);
    let sub: String = sub.chars().take(128).collect();
    args::client_error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {command} HELP."
    ))
}

/// Checks a container command's subcommand and its arity, as Redis's dispatcher does.
fn check_subcommand(
    argv: &[Vec<u8>],
    command: &str,
    subs: &[(&str, i32)],
) -> Result<String, Reply> {
    let name = argv[1].to_ascii_lowercase();
    let Some((sub, arity)) = subs
        .iter()
        .find(|(sub, _)| sub.as_bytes() == name.as_slice())
    else {
        let quoted = args::c_str(&argv[1]);
        let quoted = String::from_utf8_lossy(&quoted[..quoted.len().min(128)]).into_owned();
        return Err(args::client_error(format!(
            "ERR unknown subcommand '{quoted}'. Try {} HELP.",
            command.to_ascii_uppercase()
        )));
    };
    let argc = argv.len() as i32;
    let ok = if *arity >= 0 {
        argc == *arity
    } else {
        argc >= -arity
    };
    if !ok {
        return Err(table::wrong_arity(&format!("{command}|{sub}")));
    }
    Ok(sub.to_string())
}

fn help(lines: &[&str]) -> Reply {
    Reply::Array(lines.iter().map(|l| Reply::Simple(l.to_string())).collect())
}

fn no_group(key: &[u8], group: &[u8], suffix: &str) -> Reply {
    args::client_error(format!(
        "NOGROUP No such key '{}' or consumer group '{}'{suffix}",
        args::text(key),
        args::text(group)
    ))
}

/// XGROUP CREATE | SETID | DESTROY | CREATECONSUMER | DELCONSUMER | HELP
pub fn xgroup(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xgroup_result(ctx, argv))
}

fn xgroup_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let sub = check_subcommand(
        argv,
        "xgroup",
        &[
            ("create", -5),
            ("setid", -5),
            ("destroy", 4),
            ("createconsumer", 5),
            ("delconsumer", 5),
            ("help", 2),
        ],
    )?;
    if sub == "help" {
        return Ok(help(&[
            "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CREATE <key> <groupname> <id|$> [MKSTREAM] [ENTRIESREAD <n>]",
            "    Create a consumer group starting after <id>; MKSTREAM creates a missing stream.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD <n>]",
            "    Move the group's last delivered ID.",
            "DESTROY <key> <groupname>",
            "    Delete the group.",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Add a consumer to the group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Delete a consumer and its pending entries.",
            "HELP",
            "    Print this help.",
        ]));
    }
    let mut mkstream = false;
    let mut entries_read = ENTRIES_READ_INVALID;
    let (create, setid) = (sub == "create", sub == "setid");
    let mut i = 5;
    while i < argv.len() {
        if create && is(&argv[i], "MKSTREAM") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && is(&argv[i], "ENTRIESREAD") && i + 1 < argv.len() {
            entries_read = int_arg(&argv[i + 1])?;
            if entries_read < 0 && entries_read != ENTRIES_READ_INVALID {
                return Err(Reply::error(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
            i += 2;
        } else {
            return Err(subcommand_syntax(argv));
        }
    }
    let (key, name) = (&argv[2], &argv[3]);
    let now = ctx.now_ms;
    lookup(ctx.db(), key, now)?;
    if !mkstream {
        let Some(stream) = lookup(ctx.db(), key, now)? else {
            return Err(Reply::error(
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
            ));
        };
        if !stream.groups.contains_key(name.as_slice())
            && !matches!(sub.as_str(), "create" | "destroy")
        {
            return Err(args::client_error(format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                args::text(name),
                args::text(key)
            )));
        }
    }
    match sub.as_str() {
        "create" if argv.len() <= 8 => {
            let id = match args::c_str(&argv[4]) {
                b"$" => lookup(ctx.db(), key, now)?.map_or(StreamId::MIN, |s| s.last_id),
                _ => parse_strict_id(&argv[4])?,
            };
            let stream = lookup_or_create(ctx.db(), key, now)?;
            if stream.groups.contains_key(name.as_slice()) {
                return Err(Reply::error("BUSYGROUP Consumer Group name already exists"));
            }
            stream
                .groups
                .insert(name.clone(), ConsumerGroup::new(id, entries_read));
            Ok(Reply::ok())
        }
        "setid" if argv.len() == 5 || argv.len() == 7 => {
            let stream = lookup_mut(ctx.db(), key, now)?.expect("checked above");
            let id = match args::c_str(&argv[4]) {
                b"$" => stream.last_id,
                _ => parse_id(&argv[4], 0)?,
            };
            let group = stream
                .groups
                .get_mut(name.as_slice())
                .expect("checked above");
            group.last_id = id;
            group.entries_read = entries_read;
            Ok(Reply::ok())
        }
        "destroy" => {
            let stream = lookup_mut(ctx.db(), key, now)?.expect("checked above");
            Ok(Reply::Integer(i64::from(
                stream.groups.remove(name.as_slice()).is_some(),
            )))
        }
        "createconsumer" => {
            let stream = lookup_mut(ctx.db(), key, now)?.expect("checked above");
            let group = stream
                .groups
                .get_mut(name.as_slice())
                .expect("checked above");
            let created = group.create_consumer(&argv[4], now_of(now));
            Ok(Reply::Integer(i64::from(created)))
        }
        "delconsumer" => {
            let stream = lookup_mut(ctx.db(), key, now)?.expect("checked above");
            let group = stream
                .groups
                .get_mut(name.as_slice())
                .expect("checked above");
            let pending = group.delete_consumer(&argv[4]).unwrap_or(0);
            Ok(Reply::Integer(pending as i64))
        }
        _ => Err(subcommand_syntax(argv)),
    }
}

/// XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ...
///
/// `>` delivers entries after the group's last delivered ID and records them as pending
/// (unless NOACK); any other ID replays the consumer's own pending entries from that ID.
pub fn xreadgroup(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xreadgroup_result(ctx, argv))
}

fn xreadgroup_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let read = parse_read_args(argv, true)?;
    let (group_name, consumer) = read.group.expect("XREADGROUP has GROUP");
    let now = ctx.now_ms;
    let mut after = Vec::with_capacity(read.keys.len());
    for (key, id_arg) in read.keys.iter().zip(read.ids) {
        let stream = lookup(ctx.db(), key, now)?;
        if !stream.is_some_and(|s| s.groups.contains_key(group_name)) {
            return Err(no_group(
                key,
                group_name,
                " in XREADGROUP with GROUP option",
            ));
        }
        let id = match args::c_str(id_arg) {
            b"$" => return Err(Reply::error(
                "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
            )),
            b">" => StreamId::MAX,
            _ => parse_strict_id(id_arg)?,
        };
        after.push(id);
    }
    let mut served = Vec::new();
    for (key, gt) in read.keys.iter().zip(after) {
        let Some(stream) = lookup_mut(ctx.db(), key, now)? else {
            continue;
        };
        let entries = serve_group(stream, &read, group_name, consumer, gt, now_of(now));
        if let Some(entries) = entries {
            served.push((Reply::bulk(key.clone()), entries));
        }
    }
    if served.is_empty() {
        Ok(Reply::NilArray)
    } else {
        Ok(Reply::PairMap(served))
    }
}

/// One stream of an XREADGROUP: None when there is nothing to serve from it.
fn serve_group(
    stream: &mut StreamValue,
    read: &ReadArgs,
    group_name: &[u8],
    consumer: &[u8],
    gt: StreamId,
    now: i64,
) -> Option<Reply> {
    let history = gt != StreamId::MAX;
    let last_delivered = stream.groups[group_name].last_id;
    if !history && (stream.is_empty() || stream.last_valid_id() <= last_delivered) {
        return None;
    }
    let group = stream.groups.get_mut(group_name)?;
    group.touch_consumer(consumer, now);
    if history {
        let start = gt.next().unwrap_or(StreamId::MIN);
        return Some(consumer_history(
            stream, group_name, consumer, start, read.count, now,
        ));
    }
    let start = last_delivered.next().unwrap_or(StreamId::MIN);
    let delivered: Vec<(StreamId, Vec<Vec<u8>>)> = stream
        .range(start, StreamId::MAX, false, read.count)
        .into_iter()
        .map(|(id, fields)| (id, fields.clone()))
        .collect();
    let mut replies = Vec::with_capacity(delivered.len());
    for (id, fields) in delivered {
        let tombstones_ahead = stream.range_has_tombstones(id, StreamId::MAX);
        let estimate = stream.estimate_distance(id);
        let added = stream.entries_added;
        let group = stream.groups.get_mut(group_name)?;
        if id > group.last_id {
            if group.entries_read != ENTRIES_READ_INVALID && !tombstones_ahead {
                group.entries_read = group.entries_read.saturating_add(1);
            } else if added != 0 {
                group.entries_read = estimate;
            }
            group.last_id = id;
        }
        if !read.noack {
            group.deliver(id, consumer, now);
        }
        replies.push(entry_reply(id, &fields));
    }
    Some(Reply::Array(replies))
}

/// The consumer's own pending entries from `start` (streamReplyWithRangeFromConsumerPEL):
/// an entry deleted since is answered with its ID and a Nil.
fn consumer_history(
    stream: &mut StreamValue,
    group_name: &[u8],
    consumer: &[u8],
    start: StreamId,
    count: usize,
    now: i64,
) -> Reply {
    let limit = if count == 0 { usize::MAX } else { count };
    let ids: Vec<StreamId> = stream.groups[group_name].consumers[consumer]
        .pending
        .range(start..)
        .take(limit)
        .copied()
        .collect();
    let mut replies = Vec::with_capacity(ids.len());
    for id in ids {
        match stream.entries.get(&id) {
            Some(fields) => {
                replies.push(entry_reply(id, fields));
                let group = stream.groups.get_mut(group_name).expect("group");
                if let Some(pending) = group.pel.get_mut(&id) {
                    pending.delivery_time_ms = now;
                    pending.delivery_count = pending.delivery_count.wrapping_add(1);
                }
            }
            None => replies.push(Reply::Array(vec![id.reply(), Reply::NilArray])),
        }
    }
    Reply::Array(replies)
}

/// XACK key group id [id ...]: how many of the IDs were pending.
pub fn xack(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xack_result(ctx, argv))
}

fn xack_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let Some(stream) = lookup_mut(ctx.db(), &argv[1], now)? else {
        return Ok(Reply::Integer(0));
    };
    let Some(group) = stream.groups.get_mut(argv[2].as_slice()) else {
        return Ok(Reply::Integer(0));
    };
    let ids = argv[3..]
        .iter()
        .map(|arg| parse_strict_id(arg))
        .collect::<Result<Vec<_>, _>>()?;
    let acknowledged = ids.into_iter().filter(|id| group.acknowledge(*id)).count();
    Ok(Reply::Integer(acknowledged as i64))
}

/// XPENDING key group [[IDLE min-idle] start end count [consumer]]
pub fn xpending(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xpending_result(ctx, argv))
}

fn xpending_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let argc = argv.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(syntax_error());
    }
    let mut range = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is(&argv[3], "IDLE") {
            min_idle = int_arg(&argv[4])?;
            if argc < 8 {
                return Err(syntax_error());
            }
            at += 2;
        }
        let count = int_arg(&argv[at + 2])?.max(0);
        let start = parse_range_start(&argv[at])?;
        let end = parse_range_end(&argv[at + 1])?;
        let consumer = argv.get(at + 3).map(Vec::as_slice);
        range = Some((min_idle, start, end, count, consumer));
    }
    let (key, group_name) = (&argv[1], &argv[2]);
    let stream = lookup(ctx.db(), key, ctx.now_ms)?;
    let Some(group) = stream.and_then(|s| s.groups.get(group_name.as_slice())) else {
        return Err(no_group(key, group_name, ""));
    };
    let Some((min_idle, start, end, count, consumer)) = range else {
        return Ok(pending_summary(group));
    };
    let ids: Box<dyn Iterator<Item = StreamId>> = match consumer {
        Some(name) => match group.consumers.get(name) {
            Some(consumer) => Box::new(consumer.pending.iter().copied()),
            None => return Ok(Reply::Array(Vec::new())),
        },
        None => Box::new(group.pel.keys().copied()),
    };
    let now = now_of(ctx.now_ms);
    let mut left = count;
    let mut rows = Vec::new();
    for id in ids.filter(|id| *id >= start) {
        if left == 0 || id > end {
            break;
        }
        let pending = &group.pel[&id];
        let idle = now.saturating_sub(pending.delivery_time_ms);
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        left -= 1;
        rows.push(Reply::Array(vec![
            id.reply(),
            Reply::bulk(pending.consumer.clone()),
            Reply::Integer(idle.max(0)),
            Reply::Integer(pending.delivery_count as i64),
        ]));
    }
    Ok(Reply::Array(rows))
}

fn pending_summary(group: &ConsumerGroup) -> Reply {
    let (Some((first, _)), Some((last, _))) =
        (group.pel.first_key_value(), group.pel.last_key_value())
    else {
        return Reply::Array(vec![
            Reply::Integer(0),
            Reply::Nil,
            Reply::Nil,
            Reply::NilArray,
        ]);
    };
    let owners = group
        .consumers
        .iter()
        .filter(|(_, c)| !c.pending.is_empty())
        .map(|(name, c)| {
            Reply::Array(vec![
                Reply::bulk(name.clone()),
                Reply::bulk(c.pending.len().to_string().into_bytes()),
            ])
        })
        .collect();
    Reply::Array(vec![
        Reply::Integer(group.pel.len() as i64),
        first.reply(),
        last.reply(),
        Reply::Array(owners),
    ])
}

/// The options of XCLAIM after the IDs.
struct ClaimOptions {
    force: bool,
    justid: bool,
    delivery_time: Option<i64>,
    retry_count: Option<i64>,
    last_id: StreamId,
}

fn claim_int(arg: &[u8], option: &str) -> Result<i64, Reply> {
    args::parse_i64(arg)
        .ok_or_else(|| Reply::error(format!("ERR Invalid {option} option argument for XCLAIM")))
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n]
/// [FORCE] [JUSTID] [LASTID id]
pub fn xclaim(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xclaim_result(ctx, argv))
}

fn xclaim_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let now_ms = ctx.now_ms;
    let now = now_of(now_ms);
    let (key, group_name, consumer) = (&argv[1], &argv[2], &argv[3]);
    let stream = lookup_mut(ctx.db(), key, now_ms)?;
    let Some(stream) = stream.filter(|s| s.groups.contains_key(group_name.as_slice())) else {
        return Err(no_group(key, group_name, ""));
    };
    let min_idle = args::parse_i64(&argv[4])
        .ok_or_else(|| Reply::error("ERR Invalid min-idle-time argument for XCLAIM"))?
        .max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        let Some(id) = strict_id(&argv[j]) else {
            break;
        };
        ids.push(id);
        j += 1;
    }
    let mut options = ClaimOptions {
        force: false,
        justid: false,
        delivery_time: None,
        retry_count: None,
        last_id: StreamId::MIN,
    };
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let opt = &argv[j];
        if is(opt, "FORCE") {
            options.force = true;
        } else if is(opt, "JUSTID") {
            options.justid = true;
        } else if is(opt, "IDLE") && more {
            j += 1;
            let idle = claim_int(&argv[j], "IDLE")?;
            options.delivery_time = Some(now.wrapping_sub(idle));
        } else if is(opt, "TIME") && more {
            j += 1;
            options.delivery_time = Some(claim_int(&argv[j], "TIME")?);
        } else if is(opt, "RETRYCOUNT") && more {
            j += 1;
            options.retry_count = Some(claim_int(&argv[j], "RETRYCOUNT")?);
        } else if is(opt, "LASTID") && more {
            j += 1;
            options.last_id = parse_strict_id(&argv[j])?;
        } else {
            return Err(args::client_error(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                args::text(opt)
            )));
        }
        j += 1;
    }
    let delivery_time = match options.delivery_time {
        Some(time) if (0..=now).contains(&time) => time,
        _ => now,
    };
    let StreamValue {
        entries, groups, ..
    } = stream;
    let group = groups
        .get_mut(group_name.as_slice())
        .expect("checked above");
    if options.last_id > group.last_id {
        group.last_id = options.last_id;
    }
    let mut claimed = Vec::new();
    let mut consumer_ready = false;
    for id in ids {
        let Some(fields) = entries.get(&id) else {
            group.acknowledge(id);
            continue;
        };
        let existing = group.pel.get(&id);
        if existing.is_none() && !options.force {
            continue;
        }
        if let Some(pending) = existing {
            if min_idle != 0 && now.saturating_sub(pending.delivery_time_ms) < min_idle {
                continue;
            }
        }
        if !consumer_ready {
            group.touch_consumer(consumer, now);
            consumer_ready = true;
        }
        let pending = group.pel.entry(id).or_insert_with(|| PendingEntry {
            consumer: Vec::new(),
            delivery_time_ms: now,
            delivery_count: 1,
        });
        pending.delivery_time_ms = delivery_time;
        match options.retry_count {
            Some(count) if count >= 0 => pending.delivery_count = count as u64,
            _ if !options.justid => pending.delivery_count = pending.delivery_count.wrapping_add(1),
            _ => {}
        }
        group.assign(id, consumer);
        claimed.push(if options.justid {
            id.reply()
        } else {
            entry_reply(id, fields)
        });
    }
    Ok(Reply::Array(claimed))
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]: claims idle
/// pending entries from `start`; replies with the next cursor, the claimed entries, and the
/// IDs of pending entries found deleted (and dropped from the PEL).
pub fn xautoclaim(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xautoclaim_result(ctx, argv))
}

/// Redis's LONG_MAX / max(sizeof(streamID), attempts factor): the largest COUNT.
const AUTOCLAIM_COUNT_MAX: i64 = i64::MAX / 16;
const AUTOCLAIM_ATTEMPTS_FACTOR: i64 = 10;

fn xautoclaim_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let min_idle = args::parse_i64(&argv[4])
        .ok_or_else(|| Reply::error("ERR Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0);
    let start = parse_range_start(&argv[5])?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if is(&argv[j], "COUNT") && more {
            count = args::parse_i64(&argv[j + 1])
                .filter(|c| (1..=AUTOCLAIM_COUNT_MAX).contains(c))
                .ok_or_else(|| Reply::error("ERR COUNT must be > 0"))?;
            j += 1;
        } else if is(&argv[j], "JUSTID") {
            justid = true;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let now_ms = ctx.now_ms;
    let now = now_of(now_ms);
    let (key, group_name, consumer) = (&argv[1], &argv[2], &argv[3]);
    let stream = lookup_mut(ctx.db(), key, now_ms)?;
    let Some(stream) = stream.filter(|s| s.groups.contains_key(group_name.as_slice())) else {
        return Err(no_group(key, group_name, ""));
    };
    let StreamValue {
        entries, groups, ..
    } = stream;
    let group = groups
        .get_mut(group_name.as_slice())
        .expect("checked above");
    let mut attempts = count.saturating_mul(AUTOCLAIM_ATTEMPTS_FACTOR);
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut cursor = start;
    let mut consumer_ready = false;
    let next = loop {
        let Some(id) = group.pel.range(cursor..).next().map(|(id, _)| *id) else {
            break StreamId::MIN;
        };
        if attempts == 0 || count == 0 {
            break id;
        }
        attempts -= 1;
        cursor = id.next().unwrap_or(StreamId::MAX);
        let Some(fields) = entries.get(&id) else {
            group.acknowledge(id);
            deleted.push(id.reply());
            count -= 1;
            if id == StreamId::MAX {
                break StreamId::MIN;
            }
            continue;
        };
        let pending = &group.pel[&id];
        if min_idle != 0 && now.saturating_sub(pending.delivery_time_ms) < min_idle {
            if id == StreamId::MAX {
                break StreamId::MIN;
            }
            continue;
        }
        if !consumer_ready {
            group.touch_consumer(consumer, now);
            consumer_ready = true;
        }
        let pending = group.pel.get_mut(&id).expect("pending");
        pending.delivery_time_ms = now;
        if !justid {
            pending.delivery_count = pending.delivery_count.wrapping_add(1);
        }
        group.assign(id, consumer);
        claimed.push(if justid {
            id.reply()
        } else {
            entry_reply(id, fields)
        });
        count -= 1;
        if id == StreamId::MAX {
            break StreamId::MIN;
        }
    };
    Ok(Reply::Array(vec![
        next.reply(),
        Reply::Array(claimed),
        Reply::Array(deleted),
    ]))
}

/// XINFO STREAM key [FULL [COUNT n]] | GROUPS key | CONSUMERS key group | HELP
pub fn xinfo(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(xinfo_result(ctx, argv))
}

fn field(name: &str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk(name.as_bytes()), value)
}

fn xinfo_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let sub = check_subcommand(
        argv,
        "xinfo",
        &[("stream", -3), ("groups", 3), ("consumers", 4), ("help", 2)],
    )?;
    if sub == "help" {
        return Ok(help(&[
            "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CONSUMERS <key> <groupname>",
            "    List the consumers of the group.",
            "GROUPS <key>",
            "    List the consumer groups of the stream.",
            "STREAM <key> [FULL [COUNT <count>]]",
            "    Describe the stream.",
            "HELP",
            "    Print this help.",
        ]));
    }
    let key = &argv[2];
    let Some(stream) = lookup(ctx.db(), key, ctx.now_ms)? else {
        return Err(Reply::error("ERR no such key"));
    };
    let now = now_of(ctx.now_ms);
    match sub.as_str() {
        "consumers" => {
            let Some(group) = stream.groups.get(argv[3].as_slice()) else {
                return Err(args::client_error(format!(
                    "NOGROUP No such consumer group '{}' for key name '{}'",
                    args::text(&argv[3]),
                    args::text(key)
                )));
            };
            let consumers = group
                .consumers
                .iter()
                .map(|(name, consumer)| {
                    Reply::Map(vec![
                        field("name", Reply::bulk(name.clone())),
                        field("pending", Reply::Integer(consumer.pending.len() as i64)),
                        field(
                            "idle",
                            Reply::Integer(now.saturating_sub(consumer.seen_time_ms).max(0)),
                        ),
                    ])
                })
                .collect();
            Ok(Reply::Array(consumers))
        }
        "groups" => {
            let groups = stream
                .groups
                .iter()
                .map(|(name, group)| {
                    Reply::Map(vec![
                        field("name", Reply::bulk(name.clone())),
                        field("consumers", Reply::Integer(group.consumers.len() as i64)),
                        field("pending", Reply::Integer(group.pel.len() as i64)),
                        field("last-delivered-id", group.last_id.reply()),
                        field("entries-read", entries_read_reply(group)),
                        field("lag", lag_reply(stream, group)),
                    ])
                })
                .collect();
            Ok(Reply::Array(groups))
        }
        _ => xinfo_stream(stream, argv),
    }
}

fn entries_read_reply(group: &ConsumerGroup) -> Reply {
    if group.entries_read == ENTRIES_READ_INVALID {
        Reply::Nil
    } else {
        Reply::Integer(group.entries_read)
    }
}

fn lag_reply(stream: &StreamValue, group: &ConsumerGroup) -> Reply {
    stream.lag(group).map_or(Reply::Nil, Reply::Integer)
}

fn xinfo_stream(stream: &StreamValue, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let options = &argv[3..];
    let full = !options.is_empty();
    let mut count: i64 = 10;
    if full {
        if (options.len() != 1 && options.len() != 3) || !is(&options[0], "FULL") {
            return Err(subcommand_syntax(argv));
        }
        if options.len() == 3 {
            if !is(&options[1], "COUNT") {
                return Err(subcommand_syntax(argv));
            }
            count = int_arg(&options[2])?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let mut map = vec![
        field("length", Reply::Integer(stream.len() as i64)),
        field(
            "radix-tree-keys",
            Reply::Integer(stream.radix_tree_keys() as i64),
        ),
        field(
            "radix-tree-nodes",
            Reply::Integer(stream.radix_tree_nodes() as i64),
        ),
        field("last-generated-id", stream.last_id.reply()),
        field("max-deleted-entry-id", stream.max_deleted_id.reply()),
        field("entries-added", Reply::Integer(stream.entries_added as i64)),
        field("recorded-first-entry-id", stream.first_id.reply()),
    ];
    let edge = |rev: bool| {
        stream
            .range(StreamId::MIN, StreamId::MAX, rev, 1)
            .first()
            .map_or(Reply::Nil, |(id, fields)| entry_reply(*id, fields))
    };
    if !full {
        map.push(field("groups", Reply::Integer(stream.groups.len() as i64)));
        map.push(field("first-entry", edge(false)));
        map.push(field("last-entry", edge(true)));
        return Ok(Reply::Map(map));
    }
    let limit = usize::try_from(count).unwrap_or(usize::MAX);
    let entries = stream
        .range(StreamId::MIN, StreamId::MAX, false, limit)
        .into_iter()
        .map(|(id, fields)| entry_reply(id, fields))
        .collect();
    map.push(field("entries", Reply::Array(entries)));
    let take = if limit == 0 { usize::MAX } else { limit };
    let groups = stream
        .groups
        .iter()
        .map(|(name, group)| {
            let pel = group
                .pel
                .iter()
                .take(take)
                .map(|(id, p)| {
                    Reply::Array(vec![
                        id.reply(),
                        Reply::bulk(p.consumer.clone()),
                        Reply::Integer(p.delivery_time_ms),
                        Reply::Integer(p.delivery_count as i64),
                    ])
                })
                .collect();
            let consumers = group
                .consumers
                .iter()
                .map(|(cname, consumer)| {
                    let pending = consumer
                        .pending
                        .iter()
                        .take(take)
                        .map(|id| {
                            let p = &group.pel[id];
                            Reply::Array(vec![
                                id.reply(),
                                Reply::Integer(p.delivery_time_ms),
                                Reply::Integer(p.delivery_count as i64),
                            ])
                        })
                        .collect();
                    Reply::Map(vec![
                        field("name", Reply::bulk(cname.clone())),
                        field("seen-time", Reply::Integer(consumer.seen_time_ms)),
                        field("pel-count", Reply::Integer(consumer.pending.len() as i64)),
                        field("pending", Reply::Array(pending)),
                    ])
                })
                .collect();
            Reply::Map(vec![
                field("name", Reply::bulk(name.clone())),
                field("last-delivered-id", group.last_id.reply()),
                field("entries-read", entries_read_reply(group)),
                field("lag", lag_reply(stream, group)),
                field("pel-count", Reply::Integer(group.pel.len() as i64)),
                field("pending", Reply::Array(pel)),
                field("consumers", Reply::Array(consumers)),
            ])
        })
        .collect();
    map.push(field("groups", Reply::Array(groups)));
    Ok(Reply::Map(map))
}
