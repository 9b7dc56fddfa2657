//! EVAL, EVALSHA, their read-only forms, and SCRIPT LOAD / EXISTS / FLUSH / HELP.
//!
//! EVAL and EVALSHA are writes: applied through the log on every replica, they run the script
//! against the keyspace, and EVAL caches the body. A script whose shebang says `no-writes` may
//! also run on the read path (the server asks [`is_read_only`]), as EVAL_RO and EVALSHA_RO
//! always do; a read never changes the cache.

use super::cache::ScriptCache;
use super::dispatch::Target;
use super::run::{self, Limits, Script};
use super::shebang::{self, ScriptFlags};
use crate::args::{self, is};
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Container, Read, Session, Write},
    ReadCtx, WriteCtx, CONNECTION, NOSCRIPT, NO_TOUCH,
};

/// This module's entries in the command table (see [`crate::table`]). Redis 7's key
/// positions for these are given by numkeys (movable keys): none fixed.
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "eval", -3, NOSCRIPT | NO_TOUCH, 0, 0, 0, Write(eval),
        flags: "stale skip_monitor no_mandatory_keys",
        keys: "RW access update @2 #0/1/1",
        docs: "scripting 2.6.0",
        summary: "Runs a Lua script",
        complexity: "The script's own cost",
        args: "script:string numkeys:integer ?*key:key#0 ?*arg:string",
    ),
    cmd!(
        "eval_ro", -3, NOSCRIPT | NO_TOUCH, 0, 0, 0, Read(eval_ro),
        flags: "readonly stale skip_monitor no_mandatory_keys",
        keys: "RO access @2 #0/1/1",
        docs: "scripting 7.0.0",
        summary: "Runs a read-only Lua script",
        complexity: "The script's own cost",
        args: "script:string numkeys:integer ?*key:key#0 ?*arg:string",
    ),
    cmd!(
        "evalsha", -3, NOSCRIPT | NO_TOUCH, 0, 0, 0, Write(evalsha),
        flags: "stale skip_monitor no_mandatory_keys",
        keys: "RW access update @2 #0/1/1",
        docs: "scripting 2.6.0",
        summary: "Runs a cached Lua script named by its SHA1",
        complexity: "The script's own cost",
        args: "sha1:string numkeys:integer ?*key:key#0 ?*arg:string",
    ),
    cmd!(
        "evalsha_ro", -3, NOSCRIPT | NO_TOUCH, 0, 0, 0, Read(evalsha_ro),
        flags: "readonly stale skip_monitor no_mandatory_keys",
        keys: "RO access @2 #0/1/1",
        docs: "scripting 7.0.0",
        summary: "Runs a cached read-only Lua script named by its SHA1",
        complexity: "The script's own cost",
        args: "sha1:string numkeys:integer ?*key:key#0 ?*arg:string",
    ),
    cmd!(
        "script", -2, 0, 0, 0, 0, Container(SCRIPT),
        docs: "scripting 2.6.0",
        summary: "Container of the commands that manage the script cache",
        complexity: "Given by each subcommand",
    ),
];

/// SCRIPT's subcommands. KILL is the server's (it stops a script running on the read path).
static SCRIPT: &[CommandSpec] = &[
    cmd!(
        "script|exists", -3, NOSCRIPT, 0, 0, 0, Read(script_exists),
        tips: "request_policy:all_shards response_policy:agg_logical_and",
        docs: "scripting 2.6.0",
        summary: "Tells which SHA1s name cached scripts",
        complexity: "O(N), N being the SHA1s named",
        args: "*sha1:string",
    ),
    cmd!(
        "script|flush", -2, NOSCRIPT, 0, 0, 0, Write(script_flush),
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        docs: "scripting 2.6.0",
        summary: "Empties the script cache",
        complexity: "O(N), N being the cached scripts",
        history: "6.2.0 ASYNC and SYNC were introduced.",
        args: "?async:oneof@6.2.0(async:pure-token=ASYNC sync:pure-token=SYNC)",
    ),
    cmd!(
        "script|help", 2, CONNECTION, 0, 0, 0, Read(script_help),
        flags: "loading stale",
        docs: "scripting 5.0.0",
        summary: "Lists SCRIPT's subcommands",
        complexity: "O(1)",
    ),
    // Answered by the node that runs the script (a read-only one: writes cannot be stopped).
    cmd!(
        "script|kill", 2, NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "allow_busy",
        tips: "request_policy:all_shards response_policy:one_succeeded",
        docs: "scripting 2.6.0",
        summary: "Stops a script that runs too long and has written nothing",
        complexity: "O(1)",
    ),
    cmd!(
        "script|load", 3, NOSCRIPT, 0, 0, 0, Write(script_load),
        flags: "stale",
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        docs: "scripting 2.6.0",
        summary: "Caches a Lua script without running it",
        complexity: "O(N), N being the script's length",
        args: "script:string",
    ),
];

pub const NO_SCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";
pub const WRITE_FLAG_FROM_RO: &str =
    "ERR Can not execute a script with write flag using *_ro command.";

/// Whether this command runs a script that cannot write, so that the server may run it on the
/// read path ([`crate::Engine::read`]): EVAL_RO and EVALSHA_RO, and EVAL or EVALSHA of a script
/// whose shebang says `no-writes` (EVALSHA's script taken from the cache). Cheap: it reads the
/// first line of the body only.
pub fn is_read_only(scripts: &ScriptCache, argv: &[Vec<u8>]) -> bool {
    let (Some(name), Some(script)) = (argv.first(), argv.get(1)) else {
        return false;
    };
    let body = if is(name, "eval_ro") || is(name, "evalsha_ro") {
        return true;
    } else if is(name, "eval") {
        Some(script.as_slice())
    } else if is(name, "evalsha") {
        scripts.get(script)
    } else {
        None
    };
    body.and_then(|body| shebang::parse(body).ok())
        .is_some_and(|flags| flags.no_writes)
}

/// EVAL or EVALSHA of a `no-writes` script on the read path (see [`is_read_only`]).
pub fn eval_on_read_path(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    if is(&argv[0], "evalsha") {
        evalsha_ro(ctx, argv)
    } else {
        eval_ro(ctx, argv)
    }
}

/// EVAL script numkeys [key ...] [arg ...]
fn eval(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (keys, args) = split_keys(argv, args::NOT_INTEGER)?;
    let flags = shebang::parse(&argv[1])?;
    let sha = super::cache::sha1_hex(&argv[1]);
    let outcome = run_write(ctx, &argv[1], &sha, keys, args, flags);
    if outcome.compiled {
        ctx.keyspace.scripts.insert_named(&sha, &argv[1]);
    }
    Ok(outcome.reply)
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]
fn evalsha(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (keys, args) = split_keys(argv, args::NOT_INTEGER)?;
    let body = cached(&ctx.keyspace.scripts, &argv[1])?.to_vec();
    let flags = shebang::parse(&body)?;
    // The cache found it by this name, in any letter case.
    let sha = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
    Ok(run_write(ctx, &body, &sha, keys, args, flags).reply)
}

/// EVAL_RO script numkeys [key ...] [arg ...]
fn eval_ro(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (keys, args) = split_keys(argv, args::NOT_INTEGER)?;
    run_read(ctx, &argv[1], keys, args)
}

/// EVALSHA_RO sha1 numkeys [key ...] [arg ...]
fn evalsha_ro(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (keys, args) = split_keys(argv, args::NOT_INTEGER)?;
    let body = cached(&ctx.keyspace.scripts, &argv[1])?;
    run_read(ctx, body, keys, args)
}

fn cached<'c>(scripts: &'c ScriptCache, sha: &[u8]) -> Result<&'c [u8], Reply> {
    scripts.get(sha).ok_or_else(|| Reply::error(NO_SCRIPT))
}

/// A script's keys and its arguments.
type KeysAndArgs<'a> = (&'a [Vec<u8>], &'a [Vec<u8>]);

/// The keys and the arguments after numkeys (`argv[2]`), with Redis's errors for a bad count
/// (`not_integer` for one that is no integer: EVAL's and FCALL's differ).
pub fn split_keys<'a>(argv: &'a [Vec<u8>], not_integer: &str) -> Result<KeysAndArgs<'a>, Reply> {
    let numkeys = args::parse_i64(&argv[2]).ok_or_else(|| Reply::error(not_integer))?;
    let rest = &argv[3..];
    match usize::try_from(numkeys) {
        Err(_) => Err(Reply::error("ERR Number of keys can't be negative")),
        Ok(count) if count > rest.len() => Err(Reply::error(
            "ERR Number of keys can't be greater than number of args",
        )),
        Ok(count) => Ok(rest.split_at(count)),
    }
}

fn run_write(
    ctx: &mut WriteCtx,
    body: &[u8],
    sha: &str,
    keys: &[Vec<u8>],
    args: &[Vec<u8>],
    flags: ScriptFlags,
) -> run::Outcome {
    let script = Script {
        body,
        entry: run::Entry::Script { sha },
        keys,
        args,
        writes_allowed: !flags.no_writes,
    };
    let limits = Limits::of(&ctx.keyspace.encoding, None);
    let kept = ctx.sandbox;
    run::run(Target::Write(ctx), &script, limits, Some(kept))
}

/// Runs a script on the read path: it may not write, and a script whose shebang does not say
/// `no-writes` is refused outright, as Redis refuses it from EVAL_RO.
fn run_read(ctx: &ReadCtx, body: &[u8], keys: &[Vec<u8>], args: &[Vec<u8>]) -> CmdResult {
    let flags = shebang::parse(body)?;
    if flags.declared && !flags.no_writes {
        return Err(Reply::error(WRITE_FLAG_FROM_RO));
    }
    let sha = super::cache::sha1_hex(body);
    let script = Script {
        body,
        entry: run::Entry::Script { sha: &sha },
        keys,
        args,
        writes_allowed: false,
    };
    let limits = Limits::of(&ctx.keyspace.encoding, ctx.kill.clone());
    Ok(run::run(Target::Read(ctx), &script, limits, None).reply)
}

/// SCRIPT LOAD script: caches a script that compiles, without running it.
fn script_load(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    shebang::parse(&argv[2])?;
    run::check_compiles(&argv[2], ctx.keyspace.encoding.lua_memory())?;
    Ok(Reply::bulk(ctx.keyspace.scripts.insert(&argv[2])))
}

/// SCRIPT EXISTS sha1 [sha1 ...]
fn script_exists(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let scripts = &ctx.keyspace.scripts;
    let found = argv[2..].iter().map(|sha| scripts.get(sha).is_some());
    Ok(Reply::Array(
        found.map(|hit| Reply::Integer(hit.into())).collect(),
    ))
}

/// SCRIPT FLUSH [ASYNC|SYNC]: both empty the cache at once.
fn script_flush(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    match &argv[2..] {
        [] => {}
        [mode] if is(mode, "async") || is(mode, "sync") => {}
        _ => {
            return Err(Reply::error(
                "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
            ))
        }
    }
    ctx.keyspace.scripts.clear();
    Ok(Reply::ok())
}

/// SCRIPT HELP
fn script_help(_: &ReadCtx, _: &[Vec<u8>]) -> CmdResult {
    const LINES: &[&str] = &[
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "EXISTS <sha1> [<sha1> ...]",
        "    Tell, for each SHA1 digest, whether the script cache holds that script.",
        "FLUSH [ASYNC|SYNC]",
        "    Empty the script cache (both modes empty it at once, on every replica).",
        "KILL",
        "    Stop the read-only script running on this node.",
        "LOAD <script>",
        "    Cache a script without running it; reply with its SHA1 digest.",
        "HELP",
        "    Print this help.",
    ];
    Ok(Reply::help(LINES))
}
