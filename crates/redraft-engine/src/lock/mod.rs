//! The lock service (LOCK.ACQUIRE, RENEW, RELEASE, INFO, LIST, and FENCED): lease-based locks
//! and counting semaphores with fencing tokens, decided in the log (docs/locks.md).
//!
//! A grant, a renewal and a release are entries like any write; a lease ends only by an
//! entry too: the leader times each lease with its monotonic clock from the moment it saw the
//! lease granted or renewed (or from the start of its term, for leases it inherited), and
//! proposes `lock-expire` when the ttl has passed. No node's wall clock can shorten a lease.
//! LOCK.ACQUIRE with WAIT waits as a blocking command does: first come, first served,
//! cluster-wide, woken when a permit frees.

pub(crate) mod table;

use crate::args::{self, parse_digits_u64};
use crate::glob::glob_match;
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, Blocking, BlockingArgs, CommandSpec,
    Kind::{Read, Write},
    ReadCtx, Served, WriteCtx, BLOCKING, FAST,
};
use table::{Lease, Lock};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    // The fenced command's keys, wherever they are: COMMAND GETKEYS cannot name them.
    cmd!(
        "fenced", -4, 0, 0, 0, 0, Write(fenced),
        keys: "RW access update @? ?",
        docs: "generic 0.1.0",
        summary: "Runs one write command only while the fencing token still holds the lock",
        complexity: "The cost of the command run, plus O(1)",
        args: "name:string token:integer command:string ?*arg:string",
    ),
    cmd!(
        "lock.acquire", -4, BLOCKING, 0, 0, 0, Write(acquire),
        docs: "generic 0.1.0",
        summary: "Takes a lease on a named lock for an owner, waiting for it if asked",
        complexity: "O(1)",
        args: "name:string owner:string ttl-ms:integer ?ms:integer=WAIT ?n:integer=PERMITS",
    ),
    cmd!(
        "lock.info", 2, FAST, 0, 0, 0, Read(info),
        docs: "generic 0.1.0",
        summary: "Describes a named lock: holders, tokens and remaining lease",
        complexity: "O(N), N being the number of holders",
        args: "name:string",
    ),
    cmd!(
        "lock.list", -1, 0, 0, 0, 0, Read(list),
        docs: "generic 0.1.0",
        summary: "Lists the names of held locks, optionally filtered by a pattern",
        complexity: "O(N), N being the number of locks",
        args: "?pattern:pattern",
    ),
    cmd!(
        "lock.release", 3, FAST, 0, 0, 0, Write(release),
        docs: "generic 0.1.0",
        summary: "Gives back a lease on a lock, by its fencing token",
        complexity: "O(1)",
        args: "name:string token:integer",
    ),
    cmd!(
        "lock.renew", 4, FAST, 0, 0, 0, Write(renew),
        docs: "generic 0.1.0",
        summary: "Extends a lease on a lock, by its fencing token",
        complexity: "O(1)",
        args: "name:string token:integer ttl-ms:integer",
    ),
];

/// The internal command a leader proposes when a lease's ttl has passed on its clock:
/// `lock-expire <name> <token> <lease>`: ends the lease if it still stands as that lease
/// number (no renewal since).
pub const EXPIRE_COMMAND: &str = "lock-expire";

pub(crate) static INTERNAL: &[CommandSpec] = &[cmd!("lock-expire", 4, 0, 0, 0, 0, Write(expire))];

/// How LOCK.ACQUIRE waits (WAIT ms).
pub(crate) static WAITING: &[Blocking] = &[Blocking {
    name: "lock.acquire",
    parse: acquire_wait,
    serve: serve_acquire,
    may_wait: waits,
    prepare: crate::spec::as_sent,
    ready: permit_free,
}];

/// The least ttl a lease may ask for: 1.5 times the largest election timeout of the default
/// configuration (1 to 2 s), so that a lease outlives the election a leader's failure causes.
pub const MIN_TTL_MS: u64 = 3_000;

/// Where the waiters of lock `name` wait: a key of its own namespace (never a stored key).
pub fn wait_key(name: &[u8]) -> Vec<u8> {
    let mut key = b"\xff\x00redraft-lock\x00".to_vec();
    key.extend_from_slice(name);
    key
}

fn lock_name(key: &[u8]) -> &[u8] {
    &key[wait_key(b"").len().min(key.len())..]
}

/// LOCK.ACQUIRE's arguments.
struct Acquire<'a> {
    name: &'a [u8],
    owner: &'a [u8],
    ttl_ms: u64,
    wait_ms: u64,
    permits: u32,
}

fn integer_error(what: &str) -> Reply {
    Reply::error(format!("ERR {what} is not an integer or out of range"))
}

fn parse_ttl(arg: &[u8]) -> Result<u64, Reply> {
    let ttl = parse_digits_u64(arg).ok_or_else(|| integer_error("ttl-ms"))?;
    if ttl < MIN_TTL_MS {
        return Err(Reply::error(format!(
            "ERR ttl-ms must be at least {MIN_TTL_MS} (1.5 times the election timeout)"
        )));
    }
    Ok(ttl)
}

fn parse_token(arg: &[u8]) -> Result<u64, Reply> {
    parse_digits_u64(arg).ok_or_else(|| integer_error("token"))
}

/// LOCK.ACQUIRE name owner ttl-ms [WAIT ms] [PERMITS n]
fn parse_acquire(argv: &[Vec<u8>]) -> Result<Acquire<'_>, Reply> {
    let mut acquire = Acquire {
        name: &argv[1],
        owner: &argv[2],
        ttl_ms: parse_ttl(&argv[3])?,
        wait_ms: 0,
        permits: 1,
    };
    let mut options = argv[4..].chunks(2);
    for option in options.by_ref() {
        let [name, value] = option else {
            return Err(args::syntax_error());
        };
        if args::is(name, "wait") {
            acquire.wait_ms = parse_digits_u64(value).ok_or_else(|| integer_error("WAIT"))?;
        } else if args::is(name, "permits") {
            let permits = parse_digits_u64(value).and_then(|n| u32::try_from(n).ok());
            acquire.permits = permits
                .filter(|&n| n >= 1)
                .ok_or_else(|| Reply::error("ERR PERMITS must be a positive integer"))?;
        } else {
            return Err(args::syntax_error());
        }
    }
    Ok(acquire)
}

fn acquire_wait(argv: &[Vec<u8>]) -> Result<BlockingArgs, Reply> {
    let acquire = parse_acquire(argv)?;
    Ok(BlockingArgs {
        keys: vec![wait_key(acquire.name)],
        timeout_ms: Some(acquire.wait_ms),
        timeout_reply: Reply::Nil,
        empty_reply: Reply::Nil,
    })
}

/// LOCK.ACQUIRE waits only with a WAIT of more than 0 ms.
fn waits(argv: &[Vec<u8>]) -> bool {
    parse_acquire(argv).is_ok_and(|acquire| acquire.wait_ms > 0)
}

/// Whether a waiter of the lock behind `key` could be granted now.
fn permit_free(keyspace: &crate::keyspace::Keyspace, _db: u32, key: &[u8], _now_ms: u64) -> bool {
    let lock = keyspace.locks.get(lock_name(key));
    lock.is_none_or(|lock: &Lock| lock.holders.len() < lock.permits as usize)
}

fn serve_acquire(
    ctx: &mut WriteCtx,
    argv: &[Vec<u8>],
    _key: &[u8],
) -> Result<Option<Served>, Reply> {
    let acquire = parse_acquire(argv)?;
    let lease = Lease {
        owner: acquire.owner,
        ttl_ms: acquire.ttl_ms,
        now_ms: ctx.now_ms,
    };
    let granted = ctx
        .keyspace
        .locks
        .acquire(acquire.name, acquire.permits, &lease)?;
    Ok(granted.map(|grant| Served {
        reply: Reply::Integer(grant.token as i64),
        // A waiter whose client left before its grant reached it: the permit goes back, as
        // an expiry of this very grant, so that it is void if the owner has asked again
        // meanwhile (and was answered this token, renewed).
        undo: Some(vec![
            EXPIRE_COMMAND.as_bytes().to_vec(),
            acquire.name.to_vec(),
            grant.token.to_string().into_bytes(),
            grant.lease.to_string().into_bytes(),
        ]),
    }))
}

/// LOCK.ACQUIRE name owner ttl-ms [WAIT ms] [PERMITS n]: a fencing token, or nil.
fn acquire(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    WAITING[0].now(ctx, argv)
}

/// LOCK.RENEW name token ttl-ms
fn renew(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let token = parse_token(&argv[2])?;
    let ttl_ms = parse_ttl(&argv[3])?;
    let lease = Lease {
        owner: b"",
        ttl_ms,
        now_ms: ctx.now_ms,
    };
    ctx.keyspace.locks.renew(&argv[1], token, &lease)?;
    Ok(Reply::ok())
}

/// LOCK.RELEASE name token
fn release(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let token = parse_token(&argv[2])?;
    ctx.keyspace.locks.release(&argv[1], token)?;
    ctx.keyspace.wake(&wait_key(&argv[1]));
    Ok(Reply::ok())
}

/// lock-expire name token lease: 1 if the lease ended, 0 if it was renewed or ended
/// meanwhile.
fn expire(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let token = parse_token(&argv[2])?;
    let since = parse_token(&argv[3])?;
    let ended = ctx.keyspace.locks.expire(&argv[1], token, since);
    if ended {
        ctx.keyspace.wake(&wait_key(&argv[1]));
    }
    Ok(Reply::Integer(ended as i64))
}

/// FENCED name token command [arg ...]: the command, if token holds the lock now.
fn fenced(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let token = parse_token(&argv[2])?;
    let command = &argv[3..];
    let spec = (ctx.resolve)(command)?;
    if !spec.is_write() || spec.is_blocking() || spec.name == "fenced" {
        return Err(Reply::error(format!(
            "ERR FENCED runs one write command that does not block, not '{}'",
            spec.name
        )));
    }
    ctx.keyspace.locks.check(&argv[1], token)?;
    Ok(spec.run_write(ctx, command))
}

/// LOCK.INFO name: permits, holders (owner, token, ttl, remaining lease estimate) and the
/// number of waiters.
fn info(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let name = &argv[1];
    let lock = ctx.keyspace.locks.get(name);
    let waiting = ctx.keyspace.waiters.count_on_key(&wait_key(name));
    if lock.is_none() && waiting == 0 {
        return Ok(Reply::Nil);
    }
    let holders = lock.map(|lock| &lock.holders[..]).unwrap_or_default();
    let holder = |h: &table::Holder| {
        let remaining = h
            .since_ms
            .saturating_add(h.ttl_ms)
            .saturating_sub(ctx.now_ms);
        Reply::Map(vec![
            (Reply::bulk("owner"), Reply::Bulk(h.owner.clone())),
            (Reply::bulk("token"), Reply::Integer(h.token as i64)),
            (Reply::bulk("ttl-ms"), Reply::Integer(h.ttl_ms as i64)),
            (
                Reply::bulk("remaining-ms"),
                Reply::Integer(remaining as i64),
            ),
        ])
    };
    Ok(Reply::Map(vec![
        (Reply::bulk("name"), Reply::Bulk(name.clone())),
        (
            Reply::bulk("permits"),
            Reply::Integer(lock.map_or(1, |l| l.permits) as i64),
        ),
        (
            Reply::bulk("holders"),
            Reply::Array(holders.iter().map(holder).collect()),
        ),
        (Reply::bulk("waiters"), Reply::count(waiting)),
    ]))
}

/// LOCK.LIST [pattern]: the names of the held locks, in order.
fn list(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 2 {
        return Err(crate::spec::wrong_arity("lock.list"));
    }
    let pattern = argv.get(1);
    let names = ctx.keyspace.locks.names();
    Ok(Reply::Array(
        names
            .filter(|name| pattern.is_none_or(|p| glob_match(p, name)))
            .map(|name| Reply::Bulk(name.clone()))
            .collect(),
    ))
}

#[cfg(test)]
mod tests;
