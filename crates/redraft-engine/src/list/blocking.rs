//! The blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP): how each reads its
//! keys and timeout and how it is served from one key, over the pop and move cores. Waiting
//! itself is the blocking machinery's (crate::blocking).

use crate::mpop;
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, keys_then_timeout, timeout_ms, Blocking, BlockingArgs, CommandSpec, Kind::Write, Served,
    WriteCtx, BLOCKING, DENYOOM, NOSCRIPT,
};

use super::commands::{move_core, pop_core};
use super::value::End;

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "blmove", 6, DENYOOM | BLOCKING | NOSCRIPT, 1, 2, 1, Write(blmove),
        keys: "RW access delete @1; RW insert @2",
        docs: "list 6.2.0",
        summary: "LMOVE that waits for an element when the source list is empty",
        complexity: "O(1)",
        args: "source:key#0 destination:key#1 wherefrom:oneof(left:pure-token=LEFT right:pure-token=RIGHT) whereto:oneof(left:pure-token=LEFT right:pure-token=RIGHT) timeout:double",
    ),
    cmd!(
        "blmpop", -5, BLOCKING, 0, 0, 0, Write(blmpop),
        keys: "RW access delete @2 #0/1/1",
        docs: "list 7.0.0",
        summary: "LMPOP that waits for an element when every list is empty",
        complexity: "O(N+M): N keys tried, M elements popped",
        args: "timeout:double numkeys:integer *key:key#0 where:oneof(left:pure-token=LEFT right:pure-token=RIGHT) ?count:integer=COUNT",
    ),
    cmd!(
        "blpop", -3, BLOCKING | NOSCRIPT, 1, -2, 1, Write(blpop),
        keys: "RW access delete @1 -2/1/0",
        docs: "list 2.0.0",
        summary: "Removes and gives the first element of the first non-empty list, waiting if none",
        complexity: "O(N), N being the keys tried",
        history: "6.0.0 The timeout may have a fractional part.",
        args: "*key:key#0 timeout:double",
    ),
    cmd!(
        "brpop", -3, BLOCKING | NOSCRIPT, 1, -2, 1, Write(brpop),
        keys: "RW access delete @1 -2/1/0",
        docs: "list 2.0.0",
        summary: "Removes and gives the last element of the first non-empty list, waiting if none",
        complexity: "O(N), N being the keys tried",
        history: "6.0.0 The timeout may have a fractional part.",
        args: "*key:key#0 timeout:double",
    ),
    cmd!(
        "brpoplpush", 4, DENYOOM | BLOCKING | NOSCRIPT, 1, 2, 1, Write(brpoplpush),
        keys: "RW access delete @1; RW insert @2",
        docs: "list 2.2.0 deprecated deprecated_since:6.2.0",
        summary: "RPOPLPUSH that waits for an element when the source list is empty",
        complexity: "O(1)",
        replaced_by: "BLMOVE source destination RIGHT LEFT",
        history: "6.0.0 The timeout may have a fractional part.",
        args: "source:key#0 destination:key#1 timeout:double",
    ),
];

/// How each command here waits and is served.
pub(crate) static WAITING: &[Blocking] = &[BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP];

const BLPOP: Blocking = Blocking::on_keys("blpop", keys_then_timeout, |ctx, _, key| {
    pop_one(ctx, key, End::Left)
});
const BRPOP: Blocking = Blocking::on_keys("brpop", keys_then_timeout, |ctx, _, key| {
    pop_one(ctx, key, End::Right)
});
const BLMOVE: Blocking = Blocking::on_keys("blmove", blmove_args, serve_blmove);
const BRPOPLPUSH: Blocking = Blocking::on_keys("brpoplpush", brpoplpush_args, serve_brpoplpush);
const BLMPOP: Blocking = Blocking::on_keys("blmpop", blmpop_args, serve_blmpop);

/// BLPOP key [key ...] timeout: [key, element], or a null array when the wait ends.
fn blpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    BLPOP.now(ctx, argv)
}

/// BRPOP key [key ...] timeout.
fn brpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    BRPOP.now(ctx, argv)
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout: the element, or a null bulk.
fn blmove(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    BLMOVE.now(ctx, argv)
}

/// BRPOPLPUSH source destination timeout: BLMOVE source destination RIGHT LEFT timeout.
fn brpoplpush(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    BRPOPLPUSH.now(ctx, argv)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: [key, [elements]].
fn blmpop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    BLMPOP.now(ctx, argv)
}

fn pop_one(ctx: &mut WriteCtx, key: &[u8], end: End) -> Result<Option<Served>, Reply> {
    let Some(mut items) = pop_core(ctx, key, end, 1)? else {
        return Ok(None);
    };
    let item = items.pop().expect("a stored list holds an element");
    let push = match end {
        End::Left => "LPUSH",
        End::Right => "RPUSH",
    };
    Ok(Some(Served {
        undo: Some(vec![push.into(), key.to_vec(), item.clone()]),
        reply: Reply::Array(vec![Reply::Bulk(key.to_vec()), Reply::Bulk(item)]),
    }))
}

fn blmove_args(argv: &[Vec<u8>]) -> Result<BlockingArgs, Reply> {
    End::parse(&argv[3])?;
    End::parse(&argv[4])?;
    move_args(argv, &argv[5])
}

fn brpoplpush_args(argv: &[Vec<u8>]) -> Result<BlockingArgs, Reply> {
    move_args(argv, &argv[3])
}

fn move_args(argv: &[Vec<u8>], timeout: &[u8]) -> Result<BlockingArgs, Reply> {
    Ok(BlockingArgs {
        timeout_ms: timeout_ms(timeout)?,
        keys: vec![argv[1].clone()],
        // Redis answers a timed-out BLMOVE with a null array, one that may not wait with a
        // null bulk.
        timeout_reply: Reply::NilArray,
        empty_reply: Reply::Nil,
    })
}

fn serve_blmove(ctx: &mut WriteCtx, argv: &[Vec<u8>], key: &[u8]) -> Result<Option<Served>, Reply> {
    let (from, to) = (End::parse(&argv[3])?, End::parse(&argv[4])?);
    served_move(move_core(ctx, key, &argv[2], from, to)?)
}

fn serve_brpoplpush(
    ctx: &mut WriteCtx,
    argv: &[Vec<u8>],
    key: &[u8],
) -> Result<Option<Served>, Reply> {
    served_move(move_core(ctx, key, &argv[2], End::Right, End::Left)?)
}

/// A moved element: it sits in the destination list, so nothing needs putting back for a
/// client that is gone (the reliable-queue pattern's point).
fn served_move(moved: Option<Vec<u8>>) -> Result<Option<Served>, Reply> {
    Ok(moved.map(|item| Served {
        reply: Reply::Bulk(item),
        undo: None,
    }))
}

fn blmpop_args(argv: &[Vec<u8>]) -> Result<BlockingArgs, Reply> {
    let timeout = timeout_ms(&argv[1])?;
    let parsed = mpop::parse(&argv[2..], End::parse)?;
    Ok(BlockingArgs {
        timeout_ms: timeout,
        keys: parsed.keys.to_vec(),
        timeout_reply: Reply::NilArray,
        empty_reply: Reply::NilArray,
    })
}

fn serve_blmpop(ctx: &mut WriteCtx, argv: &[Vec<u8>], key: &[u8]) -> Result<Option<Served>, Reply> {
    let parsed = mpop::parse(&argv[2..], End::parse)?;
    let Some(items) = pop_core(ctx, key, parsed.from, parsed.count)? else {
        return Ok(None);
    };
    let push = match parsed.from {
        End::Left => "LPUSH",
        End::Right => "RPUSH",
    };
    let mut undo = vec![push.as_bytes().to_vec(), key.to_vec()];
    undo.extend(items.iter().rev().cloned());
    let elements = Reply::Array(items.into_iter().map(Reply::Bulk).collect());
    Ok(Some(Served {
        reply: Reply::Array(vec![Reply::Bulk(key.to_vec()), elements]),
        undo: Some(undo),
    }))
}
