//! Blocking commands in the state machine. A client's BLPOP (or BZPOPMIN ...) travels through
//! the log inside the internal `block` command, with a waiter id naming its node and
//! connection. Applied, it is served at once if a key holds data; otherwise the client becomes
//! a waiter in the replicated [`Waiters`] table, and the reply says so. After every command
//! applied at the top of an entry, the engine serves the waiters of the keys that command
//! changed, first come first served per key, in the same step as the change, on every replica
//! alike; a served waiter's reply goes out with the entry (`Engine::take_served`) to the node
//! that holds its client. Timeouts are decided in the log too (the leader's sweep entries), as
//! are unblocks (the client left, or CLIENT UNBLOCK) and the clean-up of waiters left by a node
//! process that died.

pub(crate) mod waiters;

pub use waiters::Waiter;

use crate::acl::catalog::Catalog;
use crate::entry::{ServedWaiter, WaiterId, BLOCKED};
use crate::keyspace::Keyspace;
use crate::reply::{CmdResult, Reply};
use crate::script::sandbox::Kept;
use crate::spec::{cmd, Blocking, CommandSpec, Kind::Write, Resolve, Served, WriteCtx};
use crate::{list, lock, stream, zset};

/// Commands that only the log carries (see crate::entry's BLOCK_COMMAND and others).
pub(crate) static INTERNAL: &[CommandSpec] = &[
    cmd!("block", -7, 0, 0, 0, 0, Write(block)),
    cmd!("unblock", 6, 0, 0, 0, 0, Write(unblock)),
    cmd!("unblock-node", 3, 0, 0, 0, 0, Write(unblock_node)),
];

/// Whether `argv`, a command the table flags as blocking, waits when it finds nothing (XREAD
/// only with BLOCK): the server sends those through the log as `block`.
pub fn may_wait(argv: &[Vec<u8>]) -> bool {
    argv.first()
        .and_then(|name| waiting(name))
        .is_some_and(|blocking| (blocking.may_wait)(argv))
}

/// How the blocking command named `name` waits and is served.
pub fn waiting(name: &[u8]) -> Option<&'static Blocking> {
    every_waiting().find(|blocking| blocking.name.as_bytes().eq_ignore_ascii_case(name))
}

/// The blocking commands of every module (and the unit tests' own).
fn every_waiting() -> impl Iterator<Item = &'static Blocking> {
    let all = list::blocking::WAITING
        .iter()
        .chain(zset::blocking::WAITING)
        .chain(stream::blocking::WAITING)
        .chain(lock::WAITING);
    #[cfg(test)]
    let all = all.chain(crate::testutil::WAITING);
    all
}

fn malformed() -> Reply {
    Reply::error("ERR malformed blocking command")
}

/// block <waiter id> <command...>: serves the command now if a key holds data, else makes the
/// client a waiter (reply [`BLOCKED`]).
fn block(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let id = WaiterId::from_args(&argv[1..]).ok_or_else(malformed)?;
    let command = &argv[5..];
    let spec = (ctx.resolve)(command)?;
    let blocking = waiting(&command[0]).ok_or_else(malformed)?;
    let args = (blocking.parse)(command)?;
    // The command as it answers at once: all it finds now (XREAD: every stream with entries).
    let now = spec.run_write(ctx, command);
    if now != args.empty_reply || !(blocking.may_wait)(command) {
        return Ok(now);
    }
    let command = (blocking.prepare)(&ctx.as_read(), command);
    if ctx.keyspace.waiters.contains(&id) {
        return Err(Reply::error("ERR this client already waits"));
    }
    let deadline_ms = args.timeout_ms.map(|ms| ctx.now_ms.saturating_add(ms));
    let waiter = Waiter {
        id,
        db: ctx.db as u32,
        argv: command,
        keys: args.keys,
        deadline_ms,
    };
    ctx.keyspace.add_waiter(waiter);
    Ok(Reply::Simple(BLOCKED.into()))
}

/// unblock <waiter id> GONE|TIMEOUT|ERROR: 1 if the client was waiting (it is not any more),
/// else 0. TIMEOUT answers it its timeout reply, ERROR Redis's UNBLOCKED error, GONE nothing.
fn unblock(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let id = WaiterId::from_args(&argv[1..]).ok_or_else(malformed)?;
    let how = argv[5].to_ascii_uppercase();
    let Some(waiter) = ctx.keyspace.remove_waiter(&id) else {
        return Ok(Reply::Integer(0));
    };
    let reply = match how.as_slice() {
        b"TIMEOUT" => Some(timeout_reply(&waiter)),
        b"ERROR" => Some(Reply::error(
            "UNBLOCKED client unblocked via CLIENT UNBLOCK",
        )),
        _ => None,
    };
    if let Some(reply) = reply {
        ctx.keyspace.served.push(ServedWaiter {
            waiter: id,
            db: waiter.db,
            reply,
            undo: None,
        });
    }
    Ok(Reply::Integer(1))
}

/// unblock-node <node> <incarnation>: removes the waiters and the pub/sub subscribers that
/// earlier processes of the node left (their clients went with them); how many waiters.
fn unblock_node(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let number = |arg: &[u8]| crate::args::parse_digits_u64(arg).ok_or_else(malformed);
    let (node, incarnation) = (number(&argv[1])?, number(&argv[2])?);
    ctx.keyspace.subscriptions.remove_orphans(node, incarnation);
    let orphans = ctx.keyspace.waiters.take_orphans(node, incarnation);
    for orphan in &orphans {
        ctx.keyspace.forget_keys_of(orphan);
        // Their processes are gone and ignore it; should one still live, its client is told.
        ctx.keyspace.served.push(ServedWaiter {
            waiter: orphan.id,
            db: orphan.db,
            reply: Reply::error("UNBLOCKED the node's process that this client waited on ended"),
            undo: None,
        });
    }
    Ok(Reply::count(orphans.len()))
}

/// The reply a waiter gets when its wait ends without data.
fn timeout_reply(waiter: &Waiter) -> Reply {
    waiter
        .argv
        .first()
        .and_then(|name| waiting(name))
        .and_then(|blocking| (blocking.parse)(&waiter.argv).ok())
        .map_or(Reply::NilArray, |args| args.timeout_reply)
}

/// Serves the waiters of every waited key changed since the last call, first come first
/// served per key, until no served waiter's change readies another key.
pub fn serve_ready(
    keyspace: &mut Keyspace,
    now_ms: u64,
    seed: u64,
    resolve: Resolve,
    catalog: &'static Catalog,
) {
    loop {
        let ready = keyspace.take_ready();
        if ready.is_empty() {
            return;
        }
        for (db, hash) in ready {
            for key in keyspace.waiters.keys_with_hash(db, hash) {
                serve_key(keyspace, db, &key, now_ms, seed, (resolve, catalog));
            }
        }
    }
}

/// Serves `key`'s waiters in arrival order, each that the key holds something for (one that
/// it holds nothing for, such as an XREAD waiting past the last entry, does not hold up those
/// behind it), until the key is gone.
fn serve_key(
    keyspace: &mut Keyspace,
    db: u32,
    key: &[u8],
    now_ms: u64,
    seed: u64,
    table: (Resolve, &'static Catalog),
) {
    for waiter in keyspace.waiters.on_key(db, key) {
        let ready = waiter.argv.first().and_then(|name| waiting(name));
        if !ready.is_some_and(|blocking| (blocking.ready)(keyspace, db, key, now_ms)) {
            return;
        }
        if !keyspace.waiters.contains(&waiter.id) {
            continue;
        }
        let marks = keyspace.ready_marks();
        match try_serve(keyspace, &waiter, key, now_ms, seed, table) {
            Some(served) => {
                keyspace.remove_waiter(&waiter.id);
                keyspace.served.push(ServedWaiter {
                    waiter: waiter.id,
                    db: waiter.db,
                    reply: served.reply,
                    undo: served.undo,
                });
            }
            // A try that found nothing changed nothing (its lookups only count as changes):
            // it must not ready the key again, or serving would never end.
            None => keyspace.truncate_ready(&marks),
        }
    }
}

/// One waiter's serve from `key`. A panic in it is a bug that every replica meets alike: the
/// waiter stays waiting, as when there is nothing for it. Only a serve that happened leaves
/// its keyspace notifications behind (the pop's events, as Redis notifies a served client's).
fn try_serve(
    keyspace: &mut Keyspace,
    waiter: &Waiter,
    key: &[u8],
    now_ms: u64,
    seed: u64,
    (resolve, catalog): (Resolve, &'static Catalog),
) -> Option<Served> {
    let blocking = waiter.argv.first().and_then(|name| waiting(name))?;
    let events = keyspace.events.len();
    // A blocked client's pop runs no script: it gets a sandbox slot of its own.
    let no_scripts = Kept::default();
    let mut ctx = WriteCtx {
        keyspace,
        db: waiter.db as usize,
        now_ms,
        seed,
        resolve,
        catalog,
        user: None,
        sandbox: &no_scripts,
    };
    let serve = || (blocking.serve)(&mut ctx, &waiter.argv, key);
    let served = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(serve)) {
        Ok(Ok(served)) => served,
        Ok(Err(_)) | Err(_) => None,
    };
    match served {
        Some(_) => keyspace.publish_key_notes(),
        None => {
            keyspace.events.truncate(events);
            keyspace.discard_key_notes();
        }
    }
    served
}

/// Ends the waits whose deadline is at or before `now_ms` (at most `max`), each with its
/// timeout reply; how many.
pub fn time_out(keyspace: &mut Keyspace, now_ms: u64, max: usize) -> usize {
    let timed_out = keyspace.waiters.take_timed_out(now_ms, max);
    for waiter in &timed_out {
        keyspace.forget_keys_of(waiter);
        keyspace.served.push(ServedWaiter {
            waiter: waiter.id,
            db: waiter.db,
            reply: timeout_reply(waiter),
            undo: None,
        });
    }
    timed_out.len()
}

#[cfg(test)]
mod tests;
