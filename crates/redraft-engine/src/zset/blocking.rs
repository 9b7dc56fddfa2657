//! The blocking sorted-set commands (BZPOPMIN, BZPOPMAX, BZMPOP): how each reads its keys and
//! timeout and how it is served from one key, over the pop cores. Waiting itself is the
//! blocking machinery's (crate::blocking).

use crate::mpop;
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, keys_then_timeout, timeout_ms, Blocking, BlockingArgs, CommandSpec, Kind::Write, Served,
    WriteCtx, BLOCKING, FAST, NOSCRIPT,
};

use super::commands::score_reply;
use super::pop::{min_or_max, pop_core, Popped};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "bzmpop", -5, BLOCKING, 0, 0, 0, Write(bzmpop),
        keys: "RW access delete @2 #0/1/1",
        docs: "sorted-set 7.0.0",
        summary: "ZMPOP that waits for a member when every sorted set is empty",
        complexity: "O(K) + O(M*log(N)): K keys tried, M members popped, N the set's size",
        args: "timeout:double numkeys:integer *key:key#0 where:oneof(min:pure-token=MIN max:pure-token=MAX) ?count:integer=COUNT",
    ),
    cmd!(
        "bzpopmax", -3, FAST | BLOCKING | NOSCRIPT, 1, -2, 1, Write(bzpopmax),
        keys: "RW access delete @1 -2/1/0",
        docs: "sorted-set 5.0.0",
        summary: "Removes and gives the highest-scored member of the first non-empty sorted set, waiting if none",
        complexity: "O(log N), N being the set's size",
        history: "6.0.0 The timeout may have a fractional part.",
        args: "*key:key#0 timeout:double",
    ),
    cmd!(
        "bzpopmin", -3, FAST | BLOCKING | NOSCRIPT, 1, -2, 1, Write(bzpopmin),
        keys: "RW access delete @1 -2/1/0",
        docs: "sorted-set 5.0.0",
        summary: "Removes and gives the lowest-scored member of the first non-empty sorted set, waiting if none",
        complexity: "O(log N), N being the set's size",
        history: "6.0.0 The timeout may have a fractional part.",
        args: "*key:key#0 timeout:double",
    ),
];

/// How each command here waits and is served.
pub(crate) static WAITING: &[Blocking] = &[BZPOPMIN, BZPOPMAX, BZMPOP];

const BZPOPMIN: Blocking = Blocking::on_keys("bzpopmin", keys_then_timeout, |ctx, _, key| {
    pop_one(ctx, key, false)
});
const BZPOPMAX: Blocking = Blocking::on_keys("bzpopmax", keys_then_timeout, |ctx, _, key| {
    pop_one(ctx, key, true)
});
const BZMPOP: Blocking = Blocking::on_keys("bzmpop", bzmpop_args, serve_bzmpop);

/// BZPOPMIN key [key ...] timeout: [key, member, score], or a null array when the wait ends.
fn bzpopmin(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    BZPOPMIN.now(ctx, argv)
}

/// BZPOPMAX key [key ...] timeout.
fn bzpopmax(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    BZPOPMAX.now(ctx, argv)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: [key, [[member, score] ...]].
fn bzmpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    BZMPOP.now(ctx, argv)
}

fn pop_one(ctx: &mut WriteCtx, key: &[u8], max: bool) -> Result<Option<Served>, Reply> {
    let Some(popped) = pop_core(ctx, key, max, 1)? else {
        return Ok(None);
    };
    let undo = zadd_back(key, &popped);
    let Some((member, score)) = popped.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(Served {
        reply: Reply::Array(vec![
            Reply::Bulk(key.to_vec()),
            Reply::Bulk(member),
            score_reply(score),
        ]),
        undo: Some(undo),
    }))
}

/// ZADD key score member ...: puts popped entries back (scores in Rust's shortest exact form,
/// which ZADD reads back to the same double).
fn zadd_back(key: &[u8], popped: &Popped) -> Vec<Vec<u8>> {
    let mut undo = vec![b"ZADD".to_vec(), key.to_vec()];
    for (member, score) in popped {
        undo.push(score.to_string().into_bytes());
        undo.push(member.clone());
    }
    undo
}

fn bzmpop_args(argv: &[Vec<u8>]) -> Result<BlockingArgs, Reply> {
    let timeout = timeout_ms(&argv[1])?;
    let parsed = mpop::parse(&argv[2..], min_or_max)?;
    Ok(BlockingArgs {
        timeout_ms: timeout,
        keys: parsed.keys.to_vec(),
        timeout_reply: Reply::NilArray,
        empty_reply: Reply::NilArray,
    })
}

fn serve_bzmpop(ctx: &mut WriteCtx, argv: &[Vec<u8>], key: &[u8]) -> Result<Option<Served>, Reply> {
    let parsed = mpop::parse(&argv[2..], min_or_max)?;
    let Some(popped) = pop_core(ctx, key, parsed.from, parsed.count)? else {
        return Ok(None);
    };
    let undo = zadd_back(key, &popped);
    let pairs = popped
        .into_iter()
        .map(|(member, score)| Reply::Array(vec![Reply::Bulk(member), score_reply(score)]))
        .collect();
    Ok(Some(Served {
        reply: Reply::Array(vec![Reply::Bulk(key.to_vec()), Reply::Array(pairs)]),
        undo: Some(undo),
    }))
}
