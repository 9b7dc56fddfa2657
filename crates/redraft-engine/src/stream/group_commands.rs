//! The consumer-group commands: XGROUP's subcommands, XREADGROUP, XACK and XPENDING.
//! Delivery and seen times come from the entry time (writes) or the read's time (XPENDING),
//! so every replica records and answers the same.

use super::commands::{count_limit, entry_reply, parse_read_args, streams_reply, ReadArgs};
use super::ids::{parse_id, parse_range_end, parse_range_start, parse_strict_id, parse_strict_ids};
use super::{ConsumerGroup, StreamId, StreamValue, ENTRIES_READ_INVALID};
use crate::args::{self, is, syntax_error, Args};
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Read, Write},
    DENYOOM,
};
use crate::spec::{ReadCtx, WriteCtx};

/// XGROUP's subcommands (see [`crate::table`]): the dispatcher answers an unknown one and a
/// wrong argument count with Redis's lines.
pub(super) static XGROUP: &[CommandSpec] = &[
    cmd!(
        "xgroup|create", -5, DENYOOM, 2, 2, 1, Write(xgroup_create),
        keys: "RW insert @2",
        docs: "stream 5.0.0",
        summary: "Creates a consumer group on a stream",
        complexity: "O(1)",
        history: "7.0.0 ENTRIESREAD was introduced.",
        args: "key:key#0 groupname:string id:oneof(id:string new_id:pure-token=$) ?mkstream:pure-token=MKSTREAM ?entries_read:integer=ENTRIESREAD",
    ),
    cmd!(
        "xgroup|createconsumer", 5, DENYOOM, 2, 2, 1, Write(xgroup_createconsumer),
        keys: "RW insert @2",
        docs: "stream 6.2.0",
        summary: "Adds a named consumer to a group",
        complexity: "O(1)",
        args: "key:key#0 groupname:string consumername:string",
    ),
    cmd!(
        "xgroup|delconsumer", 5, 0, 2, 2, 1, Write(xgroup_delconsumer),
        keys: "RW delete @2",
        docs: "stream 5.0.0",
        summary: "Drops a consumer, and its pending entries, from its group",
        complexity: "O(1)",
        args: "key:key#0 groupname:string consumername:string",
    ),
    cmd!(
        "xgroup|destroy", 4, 0, 2, 2, 1, Write(xgroup_destroy),
        keys: "RW delete @2",
        docs: "stream 5.0.0",
        summary: "Removes a consumer group",
        complexity: "O(N), N being the group's pending entries",
        args: "key:key#0 groupname:string",
    ),
    cmd!(
        "xgroup|help", 2, 0, 0, 0, 0, Read(xgroup_help),
        flags: "loading stale",
        docs: "stream 5.0.0",
        summary: "Lists XGROUP's subcommands",
        complexity: "O(1)",
    ),
    cmd!(
        "xgroup|setid", -5, 0, 2, 2, 1, Write(xgroup_setid),
        keys: "RW update @2",
        docs: "stream 5.0.0",
        summary: "Moves a consumer group's last-delivered id",
        complexity: "O(1)",
        history: "7.0.0 ENTRIESREAD was introduced.",
        args: "key:key#0 groupname:string id:oneof(id:string new_id:pure-token=$) ?entries_read:integer=ENTRIESREAD",
    ),
];

/// An entry time as the signed milliseconds groups record.
pub(super) fn now_of(now_ms: u64) -> i64 {
    i64::try_from(now_ms).unwrap_or(i64::MAX)
}

/// The reply to a subcommand with bad options (addReplySubcommandSyntaxError).
pub(super) fn subcommand_syntax(argv: &[Vec<u8>]) -> Reply {
    let command = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
    let sub = args::text(&argv[1]);
    let sub: String = sub.chars().take(128).collect();
    args::client_error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {command} HELP."
    ))
}

/// The reply when the key or the group is missing (XREADGROUP, XPENDING, XCLAIM...).
pub(super) fn no_group(key: &[u8], group: &[u8], suffix: &str) -> Reply {
    args::client_error(format!(
        "NOGROUP No such key '{}' or consumer group '{}'{suffix}",
        args::text(key),
        args::text(group)
    ))
}

/// The reply when a stream has no such group (XGROUP, XINFO CONSUMERS).
pub(super) fn no_such_group(key: &[u8], group: &[u8]) -> Reply {
    args::client_error(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        args::text(group),
        args::text(key)
    ))
}

/// A pending entry as XPENDING and XINFO STREAM FULL list it: its ID, its owner (unless
/// listed under the owner), a time (idle or delivery) and its delivery count.
pub(super) fn pending_row(id: StreamId, owner: Option<&[u8]>, time: i64, count: u64) -> Reply {
    let owner = owner.map(Reply::bulk);
    let numbers = [Reply::Integer(time), Reply::Integer(count as i64)];
    Reply::Array(
        std::iter::once(id.reply())
            .chain(owner)
            .chain(numbers)
            .collect(),
    )
}

pub fn xgroup_help(_ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::help(&[
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
    ]))
}

const XGROUP_NO_KEY: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

/// The options after XGROUP CREATE's or SETID's ID: MKSTREAM (CREATE only), ENTRIESREAD n.
struct GroupOptions {
    mkstream: bool,
    entries_read: i64,
}

fn group_options(argv: &[Vec<u8>], create: bool) -> Result<GroupOptions, Reply> {
    let mut options = GroupOptions {
        mkstream: false,
        entries_read: ENTRIES_READ_INVALID,
    };
    let mut args = Args::new(argv, 5);
    while let Some(opt) = args.next_arg() {
        if create && is(opt, "MKSTREAM") {
            options.mkstream = true;
        } else if is(opt, "ENTRIESREAD") && !args.is_empty() {
            options.entries_read = args.int()?;
            if options.entries_read < 0 && options.entries_read != ENTRIES_READ_INVALID {
                return Err(Reply::error(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
        } else {
            return Err(subcommand_syntax(argv));
        }
    }
    Ok(options)
}

/// The stream an XGROUP subcommand works on, which must exist. Checked with a read lookup
/// first, so that an expired key is not deleted by a command that fails.
fn xgroup_stream<'a>(ctx: &'a mut WriteCtx, key: &[u8]) -> Result<&'a mut StreamValue, Reply> {
    let now = ctx.now_ms;
    let db = ctx.db();
    if db.get_as::<StreamValue>(key, now)?.is_none() {
        return Err(Reply::error(XGROUP_NO_KEY));
    }
    let stream = db.get_as_mut::<StreamValue>(key, now)?;
    stream.ok_or_else(|| Reply::error(XGROUP_NO_KEY))
}

/// The group named third in an XGROUP subcommand, which must exist.
fn xgroup_group<'a>(
    stream: &'a mut StreamValue,
    argv: &[Vec<u8>],
) -> Result<&'a mut ConsumerGroup, Reply> {
    let group = stream.groups.get_mut(argv[3].as_slice());
    group.ok_or_else(|| no_such_group(&argv[2], &argv[3]))
}

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]
pub fn xgroup_create(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let options = group_options(argv, true)?;
    let (key, name) = (&argv[2], &argv[3]);
    let now = ctx.now_ms;
    let db = ctx.db();
    let existing = db.get_as::<StreamValue>(key, now)?;
    if existing.is_none() && !options.mkstream {
        return Err(Reply::error(XGROUP_NO_KEY));
    }
    if argv.len() > 8 {
        return Err(subcommand_syntax(argv));
    }
    let id = match args::c_str(&argv[4]) {
        b"$" => existing.map_or(StreamId::MIN, |s| s.last_id),
        _ => parse_strict_id(&argv[4])?,
    };
    // A new (MKSTREAM) stream keeps the group: streams may be empty.
    let stream = db.get_or_create::<StreamValue>(key, now)?;
    if stream.groups.contains_key(name.as_slice()) {
        return Err(Reply::error("BUSYGROUP Consumer Group name already exists"));
    }
    let group = ConsumerGroup::new(id, options.entries_read);
    stream.groups.insert(name.clone(), group);
    ctx.notify(Class::STREAM, "xgroup-create", key);
    Ok(Reply::ok())
}

/// XGROUP SETID key group id|$ [ENTRIESREAD n]
pub fn xgroup_setid(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let options = group_options(argv, false)?;
    let stream = xgroup_stream(ctx, &argv[2])?;
    let last_id = stream.last_id;
    let group = xgroup_group(stream, argv)?;
    if argv.len() != 5 && argv.len() != 7 {
        return Err(subcommand_syntax(argv));
    }
    group.last_id = match args::c_str(&argv[4]) {
        b"$" => last_id,
        _ => parse_id(&argv[4], 0)?,
    };
    group.entries_read = options.entries_read;
    ctx.notify(Class::STREAM, "xgroup-setid", &argv[2]);
    Ok(Reply::ok())
}

/// XGROUP DESTROY key group: 1 if the group existed.
pub fn xgroup_destroy(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let stream = xgroup_stream(ctx, &argv[2])?;
    let removed = stream.groups.remove(argv[3].as_slice()).is_some();
    if removed {
        ctx.notify(Class::STREAM, "xgroup-destroy", &argv[2]);
    }
    Ok(Reply::Integer(i64::from(removed)))
}

/// XGROUP CREATECONSUMER key group consumer: 1 if it was created.
pub fn xgroup_createconsumer(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = now_of(ctx.now_ms);
    let group = xgroup_group(xgroup_stream(ctx, &argv[2])?, argv)?;
    let created = group.create_consumer(&argv[4], now);
    if created {
        notify_consumer_created(ctx, &argv[2]);
    }
    Ok(Reply::Integer(i64::from(created)))
}

/// XGROUP DELCONSUMER key group consumer: how many pending entries it had.
pub fn xgroup_delconsumer(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let group = xgroup_group(xgroup_stream(ctx, &argv[2])?, argv)?;
    let pending = group.delete_consumer(&argv[4]);
    if pending.is_some() {
        ctx.notify(Class::STREAM, "xgroup-delconsumer", &argv[2]);
    }
    Ok(Reply::Integer(pending.unwrap_or(0) as i64))
}

/// XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ...
///
/// `>` delivers entries after the group's last delivered ID and records them as pending
/// (unless NOACK); any other ID replays the consumer's own pending entries from that ID.
pub fn xreadgroup(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let read = parse_read_args(argv, true)?;
    let (group_name, consumer) = read.group.expect("XREADGROUP has GROUP");
    let now = ctx.now_ms;
    let mut after = Vec::with_capacity(read.keys.len());
    for (key, id_arg) in read.keys.iter().zip(read.ids) {
        let stream = ctx.db().get_as::<StreamValue>(key, now)?;
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
        let Some(stream) = ctx.db().get_as_mut::<StreamValue>(key, now)? else {
            continue;
        };
        let read_from = serve_group(stream, &read, group_name, consumer, gt, now_of(now));
        if let Some(read_from) = read_from {
            if read_from.consumer_created {
                notify_consumer_created(ctx, key);
            }
            // Redis counts a change per stream served to a group, whatever it delivered.
            ctx.changed(1);
            served.push((Reply::bulk(key.clone()), read_from.entries));
        }
    }
    Ok(streams_reply(served))
}

/// Notifies that a command created a consumer in a group of the stream at `key` (XREADGROUP,
/// XCLAIM, XAUTOCLAIM and XGROUP CREATECONSUMER create them), a change of its own.
pub(super) fn notify_consumer_created(ctx: &mut WriteCtx, key: &[u8]) {
    ctx.notify(Class::STREAM, "xgroup-createconsumer", key);
    ctx.changed(1);
}

/// What one stream of an XREADGROUP served.
pub(super) struct GroupRead {
    /// The entries, as the reply lists them for the stream.
    pub entries: Reply,
    /// Whether the consumer was created to read them.
    pub consumer_created: bool,
}

/// One stream of an XREADGROUP: None when there is nothing to serve from it (the consumer is
/// then not created either, as in Redis).
pub(super) fn serve_group(
    stream: &mut StreamValue,
    read: &ReadArgs,
    group_name: &[u8],
    consumer: &[u8],
    gt: StreamId,
    now: i64,
) -> Option<GroupRead> {
    let history = gt != StreamId::MAX;
    let last_delivered = stream.groups[group_name].last_id;
    if !history && (stream.is_empty() || stream.last_valid_id() <= last_delivered) {
        return None;
    }
    let group = stream.groups.get_mut(group_name)?;
    let consumer_created = group.touch_consumer(consumer, now);
    let entries = match history {
        true => {
            let start = gt.next().unwrap_or(StreamId::MIN);
            consumer_history(stream, group_name, consumer, start, read.count, now)
        }
        false => deliver_new(stream, read, group_name, consumer, last_delivered, now)?,
    };
    Some(GroupRead {
        entries,
        consumer_created,
    })
}

/// The entries after the group's last delivered one, delivered to `consumer` (pending unless
/// NOACK), as XREADGROUP `>` serves them.
fn deliver_new(
    stream: &mut StreamValue,
    read: &ReadArgs,
    group_name: &[u8],
    consumer: &[u8],
    last_delivered: StreamId,
    now: i64,
) -> Option<Reply> {
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
pub fn xack(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let Some(stream) = ctx.db().get_as_mut::<StreamValue>(&argv[1], now)? else {
        return Ok(Reply::Integer(0));
    };
    let Some(group) = stream.groups.get_mut(argv[2].as_slice()) else {
        return Ok(Reply::Integer(0));
    };
    let ids = parse_strict_ids(&argv[3..])?;
    let acknowledged = ids.into_iter().filter(|id| group.acknowledge(*id)).count();
    ctx.changed(acknowledged as u64);
    Ok(Reply::Integer(acknowledged as i64))
}

/// XPENDING's extended form: [IDLE min-idle] start end count [consumer].
struct PendingRange<'a> {
    min_idle: i64,
    start: StreamId,
    end: StreamId,
    count: usize,
    consumer: Option<&'a [u8]>,
}

/// XPENDING's arguments after the group, checked in Redis's order (arguments past the
/// consumer are ignored, as in Redis).
fn pending_range(argv: &[Vec<u8>]) -> Result<Option<PendingRange<'_>>, Reply> {
    let argc = argv.len();
    if argc == 3 {
        return Ok(None);
    }
    if !(6..=9).contains(&argc) {
        return Err(syntax_error());
    }
    let mut args = Args::new(argv, 3);
    let mut min_idle = 0;
    if args.eat("IDLE") {
        min_idle = args.int()?;
        if argc < 8 {
            return Err(syntax_error());
        }
    }
    let (start, end) = (args.bytes()?, args.bytes()?);
    // Redis reads the count before the range's ends.
    let count = count_limit(args.int()?);
    Ok(Some(PendingRange {
        min_idle,
        start: parse_range_start(start)?,
        end: parse_range_end(end)?,
        count,
        consumer: args.next_arg(),
    }))
}

/// XPENDING key group [[IDLE min-idle] start end count [consumer]]
pub fn xpending(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let range = pending_range(argv)?;
    let (key, group_name) = (&argv[1], &argv[2]);
    let stream = ctx.db().get_as::<StreamValue>(key, ctx.now_ms)?;
    let Some(group) = stream.and_then(|s| s.groups.get(group_name.as_slice())) else {
        return Err(no_group(key, group_name, ""));
    };
    let Some(range) = range else {
        return Ok(pending_summary(group));
    };
    let ids: Box<dyn Iterator<Item = StreamId>> = match range.consumer {
        Some(name) => match group.consumers.get(name) {
            Some(consumer) => Box::new(consumer.pending.iter().copied()),
            None => return Ok(Reply::Array(Vec::new())),
        },
        None => Box::new(group.pel.keys().copied()),
    };
    let now = now_of(ctx.now_ms);
    let rows = ids
        .skip_while(|id| *id < range.start)
        .take_while(|id| *id <= range.end)
        .filter_map(|id| {
            let pending = &group.pel[&id];
            let idle = now.saturating_sub(pending.delivery_time_ms);
            (range.min_idle == 0 || idle >= range.min_idle).then(|| {
                let owner = Some(pending.consumer.as_slice());
                pending_row(id, owner, idle.max(0), pending.delivery_count)
            })
        })
        .take(range.count)
        .collect();
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
