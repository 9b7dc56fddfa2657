//! XINFO's subcommands: STREAM (with FULL), GROUPS, CONSUMERS and HELP. Idle times use the
//! read's time; seen and delivery times are entry times.

use super::commands::{count_limit, entries_reply, entry_reply};
use super::group_commands::{no_such_group, now_of, pending_row, subcommand_syntax};
use super::{ConsumerGroup, StreamId, StreamValue, ENTRIES_READ_INVALID};
use crate::args::{int_arg, is};
use crate::reply::{CmdResult, Reply};
use crate::spec::ReadCtx;
use crate::spec::{cmd, CommandSpec, Kind::Read};

/// XINFO's subcommands (see [`crate::table`]): the dispatcher answers an unknown one and a
/// wrong argument count with Redis's lines.
pub(super) static XINFO: &[CommandSpec] = &[
    cmd!(
        "xinfo|consumers", 4, 0, 2, 2, 1, Read(xinfo_consumers),
        tips: "nondeterministic_output",
        keys: "RO access @2",
        docs: "stream 5.0.0",
        summary: "Lists a group's consumers with their pending counts and idle times",
        complexity: "O(1)",
        args: "key:key#0 groupname:string",
    ),
    cmd!(
        "xinfo|groups", 3, 0, 2, 2, 1, Read(xinfo_groups),
        keys: "RO access @2",
        docs: "stream 5.0.0",
        summary: "Lists a stream's consumer groups with their state",
        complexity: "O(1)",
        history: "7.0.0 Groups show entries-read and lag.",
        args: "key:key#0",
    ),
    cmd!(
        "xinfo|help", 2, 0, 0, 0, 0, Read(xinfo_help),
        flags: "loading stale",
        docs: "stream 5.0.0",
        summary: "Lists XINFO's subcommands",
        complexity: "O(1)",
    ),
    cmd!(
        "xinfo|stream", -3, 0, 2, 2, 1, Read(xinfo_stream),
        keys: "RO access @2",
        docs: "stream 5.0.0",
        summary: "Describes a stream, or in FULL form its entries, groups and pending lists",
        complexity: "O(1); FULL: O(N), N being the entries and pending ones shown",
        history: "6.0.0 FULL was introduced.; 7.0.0 The reply shows max-deleted-entry-id, entries-added, recorded-first-entry-id, entries-read and lag.",
        args: "key:key#0 ?full:block=FULL(?count:integer=COUNT)",
    ),
];

fn field(name: &str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk(name.as_bytes()), value)
}

fn int(value: usize) -> Reply {
    Reply::Integer(value as i64)
}

/// The stream XINFO describes, which must exist.
fn info_stream<'a>(ctx: &'a ReadCtx, key: &[u8]) -> Result<&'a StreamValue, Reply> {
    let stream = ctx.db().get_as::<StreamValue>(key, ctx.now_ms)?;
    stream.ok_or_else(|| Reply::error("ERR no such key"))
}

pub fn xinfo_help(_ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::help(&[
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    List the consumers of the group.",
        "GROUPS <key>",
        "    List the consumer groups of the stream.",
        "STREAM <key> [FULL [COUNT <count>]]",
        "    Describe the stream.",
        "HELP",
        "    Print this help.",
    ]))
}

/// XINFO CONSUMERS key group
pub fn xinfo_consumers(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let stream = info_stream(ctx, &argv[2])?;
    let Some(group) = stream.groups.get(argv[3].as_slice()) else {
        return Err(no_such_group(&argv[2], &argv[3]));
    };
    let now = now_of(ctx.now_ms);
    let consumers = group.consumers.iter().map(|(name, consumer)| {
        let idle = now.saturating_sub(consumer.seen_time_ms).max(0);
        Reply::Map(vec![
            field("name", Reply::bulk(name.clone())),
            field("pending", int(consumer.pending.len())),
            field("idle", Reply::Integer(idle)),
        ])
    });
    Ok(Reply::Array(consumers.collect()))
}

/// XINFO GROUPS key
pub fn xinfo_groups(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let stream = info_stream(ctx, &argv[2])?;
    let groups = stream.groups.iter().map(|(name, group)| {
        Reply::Map(vec![
            field("name", Reply::bulk(name.clone())),
            field("consumers", int(group.consumers.len())),
            field("pending", int(group.pel.len())),
            field("last-delivered-id", group.last_id.reply()),
            field("entries-read", entries_read_reply(group)),
            field("lag", lag_reply(stream, group)),
        ])
    });
    Ok(Reply::Array(groups.collect()))
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

/// XINFO STREAM key [FULL [COUNT n]]: the key is looked up before the options are checked.
pub fn xinfo_stream(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let stream = info_stream(ctx, &argv[2])?;
    let full_count = match &argv[3..] {
        [] => None,
        [full] if is(full, "FULL") => Some(10),
        [full, count, n] if is(full, "FULL") && is(count, "COUNT") => Some(match int_arg(n)? {
            n if n < 0 => 10,
            n => n,
        }),
        _ => return Err(subcommand_syntax(argv)),
    };
    let mut map = vec![
        field("length", int(stream.len())),
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
    let Some(count) = full_count else {
        let edge = |rev: bool| {
            let first = stream.range(StreamId::MIN, StreamId::MAX, rev, 1);
            first
                .first()
                .map_or(Reply::Nil, |(id, fields)| entry_reply(*id, fields))
        };
        map.push(field("groups", int(stream.groups.len())));
        map.push(field("first-entry", edge(false)));
        map.push(field("last-entry", edge(true)));
        return Ok(Reply::Map(map));
    };
    // COUNT 0 lists everything.
    let limit = count_limit(count);
    let entries = stream.range(StreamId::MIN, StreamId::MAX, false, limit);
    map.push(field("entries", entries_reply(entries)));
    let take = if limit == 0 { usize::MAX } else { limit };
    let groups = stream.groups.iter().map(|(name, group)| {
        let pel = group.pel.iter().take(take).map(|(id, p)| {
            let owner = Some(p.consumer.as_slice());
            pending_row(*id, owner, p.delivery_time_ms, p.delivery_count)
        });
        let consumers = group.consumers.iter().map(|(cname, consumer)| {
            let pending = consumer.pending.iter().take(take).map(|id| {
                let p = &group.pel[id];
                pending_row(*id, None, p.delivery_time_ms, p.delivery_count)
            });
            Reply::Map(vec![
                field("name", Reply::bulk(cname.clone())),
                field("seen-time", Reply::Integer(consumer.seen_time_ms)),
                field("pel-count", int(consumer.pending.len())),
                field("pending", Reply::Array(pending.collect())),
            ])
        });
        Reply::Map(vec![
            field("name", Reply::bulk(name.clone())),
            field("last-delivered-id", group.last_id.reply()),
            field("entries-read", entries_read_reply(group)),
            field("lag", lag_reply(stream, group)),
            field("pel-count", int(group.pel.len())),
            field("pending", Reply::Array(pel.collect())),
            field("consumers", Reply::Array(consumers.collect())),
        ])
    });
    map.push(field("groups", Reply::Array(groups.collect())));
    Ok(Reply::Map(map))
}
