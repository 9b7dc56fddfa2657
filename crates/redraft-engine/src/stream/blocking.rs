//! XREAD BLOCK and XREADGROUP BLOCK: how each reads its streams and timeout (milliseconds) and
//! how it is served from one stream when entries arrive. Waiting itself is the blocking
//! machinery's (crate::blocking); without BLOCK, or inside MULTI and scripts, the commands
//! answer at once.

use crate::args;
use crate::reply::Reply;
use crate::spec::{key_exists, Blocking, BlockingArgs, ReadCtx, Served, WriteCtx};

use super::commands::{entries_reply, parse_read_args, streams_reply};
use super::group_commands::{notify_consumer_created, now_of, serve_group};
use super::{StreamId, StreamValue};

/// How XREAD and XREADGROUP wait and are served.
pub(crate) static WAITING: &[Blocking] = &[
    Blocking {
        name: "xread",
        parse: |argv| read_args(argv, false),
        serve: serve_xread,
        may_wait: |argv| blocks(argv, false),
        prepare: fix_dollar_ids,
        ready: key_exists,
    },
    Blocking {
        name: "xreadgroup",
        parse: |argv| read_args(argv, true),
        serve: serve_xreadgroup,
        may_wait: |argv| blocks(argv, true),
        prepare: |_, argv| argv.to_vec(),
        ready: key_exists,
    },
];

fn read_args(argv: &[Vec<u8>], group: bool) -> Result<BlockingArgs, Reply> {
    let read = parse_read_args(argv, group)?;
    Ok(BlockingArgs {
        keys: read.keys.to_vec(),
        timeout_ms: read.block.filter(|&ms| ms > 0),
        timeout_reply: Reply::NilArray,
        empty_reply: Reply::NilArray,
    })
}

/// Whether the call has BLOCK (a malformed one goes through the log and answers its error).
fn blocks(argv: &[Vec<u8>], group: bool) -> bool {
    parse_read_args(argv, group).map_or(true, |read| read.block.is_some())
}

/// XREAD's `$` stands for the stream's last ID when the client starts waiting.
fn fix_dollar_ids(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let Ok(read) = parse_read_args(argv, false) else {
        return argv.to_vec();
    };
    let ids_at = argv.len() - read.ids.len();
    let mut fixed = argv.to_vec();
    for (i, (key, id)) in read.keys.iter().zip(read.ids).enumerate() {
        if args::c_str(id) == b"$" {
            let stream = ctx
                .db()
                .get_as::<StreamValue>(key, ctx.now_ms)
                .ok()
                .flatten();
            let last = stream.map_or(StreamId::MIN, |s| s.last_id);
            fixed[ids_at + i] = last.text().into_bytes();
        }
    }
    fixed
}

/// The entries of `key` after the waiter's ID for it, as XREAD replies with one stream.
fn serve_xread(ctx: &mut WriteCtx, argv: &[Vec<u8>], key: &[u8]) -> Result<Option<Served>, Reply> {
    let read = parse_read_args(argv, false)?;
    let Some(position) = read.keys.iter().position(|k| k == key) else {
        return Ok(None);
    };
    let after = super::ids::parse_strict_id(&read.ids[position])?;
    let now = ctx.now_ms;
    let Some(stream) = ctx.db().get_as::<StreamValue>(key, now)? else {
        return Ok(None);
    };
    if stream.is_empty() || stream.last_valid_id() <= after {
        return Ok(None);
    }
    let start = after.next().unwrap_or(StreamId::MIN);
    let entries = entries_reply(stream.range(start, StreamId::MAX, false, read.count));
    Ok(Some(Served {
        reply: streams_reply(vec![(Reply::Bulk(key.to_vec()), entries)]),
        undo: None,
    }))
}

/// New entries of `key` for the waiting consumer, recorded as pending as XREADGROUP `>` does
/// (a consumer that left has them pending, to be claimed: nothing to put back).
fn serve_xreadgroup(
    ctx: &mut WriteCtx,
    argv: &[Vec<u8>],
    key: &[u8],
) -> Result<Option<Served>, Reply> {
    let read = parse_read_args(argv, true)?;
    let Some((group, consumer)) = read.group else {
        return Ok(None);
    };
    let Some(position) = read.keys.iter().position(|k| k == key) else {
        return Ok(None);
    };
    if args::c_str(&read.ids[position]) != b">" {
        return Ok(None);
    }
    let now = ctx.now_ms;
    let Some(stream) = ctx.db().get_as_mut::<StreamValue>(key, now)? else {
        return Ok(None);
    };
    if !stream.groups.contains_key(group) {
        return Ok(None);
    }
    let Some(read_from) = serve_group(stream, &read, group, consumer, StreamId::MAX, now_of(now))
    else {
        return Ok(None);
    };
    if read_from.consumer_created {
        notify_consumer_created(ctx, key);
    }
    Ok(Some(Served {
        reply: streams_reply(vec![(Reply::Bulk(key.to_vec()), read_from.entries)]),
        undo: None,
    }))
}
