//! FCALL, FCALL_RO and FUNCTION's subcommands (KILL is the server's: it stops a function
//! running on the read path, as SCRIPT KILL does).
//!
//! FCALL is a write, applied through the log on every replica; FCALL_RO, and FCALL of a
//! function flagged `no-writes`, run on the read path (the server asks [`is_read_only`]).

use super::library::{Function, Libraries, Library};
use super::{metadata, payload};
use crate::args::{self, is};
use crate::glob::glob_match;
use crate::reply::{CmdResult, Reply};
use crate::script::run::{self, Entry, Limits, Script};
use crate::script::{
    split_keys, Registration, Target, FLAG_NAMES, NOT_FOUND, NO_WRITES, WRITE_FLAG_FROM_RO,
};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Container, Read, Session, Write},
    ReadCtx, WriteCtx, CONNECTION, DENYOOM, NOSCRIPT, NO_TOUCH,
};

/// This module's entries in the command table (see [`crate::table`]). As for EVAL, Redis 7's
/// key positions are given by numkeys (movable keys): none fixed.
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "fcall", -3, NOSCRIPT | NO_TOUCH, 0, 0, 0, Write(fcall),
        flags: "stale skip_monitor no_mandatory_keys",
        keys: "RW access update @2 #0/1/1",
        docs: "scripting 7.0.0",
        summary: "Calls a function of a loaded library",
        complexity: "The function's own cost",
        args: "function:string numkeys:integer ?*key:key#0 ?*arg:string",
    ),
    cmd!(
        "fcall_ro", -3, NOSCRIPT | NO_TOUCH, 0, 0, 0, Read(fcall_ro),
        flags: "readonly stale skip_monitor no_mandatory_keys",
        keys: "RO access @2 #0/1/1",
        docs: "scripting 7.0.0",
        summary: "Calls a read-only function of a loaded library",
        complexity: "The function's own cost",
        args: "function:string numkeys:integer ?*key:key#0 ?*arg:string",
    ),
    cmd!(
        "function", -2, 0, 0, 0, 0, Container(FUNCTION),
        docs: "scripting 7.0.0",
        summary: "Container of the commands that manage function libraries",
        complexity: "Given by each subcommand",
    ),
];

static FUNCTION: &[CommandSpec] = &[
    cmd!(
        "function|delete", 3, NOSCRIPT, 0, 0, 0, Write(delete),
        tips: "request_policy:all_shards response_policy:all_succeeded",
        docs: "scripting 7.0.0",
        summary: "Unloads a library and its functions",
        complexity: "O(1)",
        args: "library-name:string",
    ),
    cmd!(
        "function|dump", 2, NOSCRIPT, 0, 0, 0, Read(dump),
        docs: "scripting 7.0.0",
        summary: "Serializes every loaded library, for FUNCTION RESTORE",
        complexity: "O(N), N being the number of functions",
    ),
    cmd!(
        "function|flush", -2, NOSCRIPT, 0, 0, 0, Write(flush),
        tips: "request_policy:all_shards response_policy:all_succeeded",
        docs: "scripting 7.0.0",
        summary: "Unloads every library",
        complexity: "O(N), N being the number of functions",
        args: "?async:oneof(async:pure-token=ASYNC sync:pure-token=SYNC)",
    ),
    cmd!(
        "function|help", 2, CONNECTION, 0, 0, 0, Read(help),
        flags: "loading stale",
        docs: "scripting 7.0.0",
        summary: "Lists FUNCTION's subcommands",
        complexity: "O(1)",
    ),
    // Answered by the node that runs the function (a read-only one, as SCRIPT KILL).
    cmd!(
        "function|kill", 2, NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "allow_busy",
        tips: "request_policy:all_shards response_policy:one_succeeded",
        docs: "scripting 7.0.0",
        summary: "Stops a read-only function that runs too long",
        complexity: "O(1)",
    ),
    cmd!(
        "function|list", -2, NOSCRIPT, 0, 0, 0, Read(list),
        tips: "nondeterministic_output_order",
        docs: "scripting 7.0.0",
        summary: "Describes the loaded libraries and their functions",
        complexity: "O(N), N being the number of functions",
        args: "?library-name-pattern:string=LIBRARYNAME ?withcode:pure-token=WITHCODE",
    ),
    cmd!(
        "function|load", -3, NOSCRIPT | DENYOOM, 0, 0, 0, Write(load),
        tips: "request_policy:all_shards response_policy:all_succeeded",
        docs: "scripting 7.0.0",
        summary: "Loads a library from its source code",
        complexity: "O(1) plus the cost of running the library's code",
        args: "?replace:pure-token=REPLACE function-code:string",
    ),
    cmd!(
        "function|restore", -3, NOSCRIPT | DENYOOM, 0, 0, 0, Write(restore),
        tips: "request_policy:all_shards response_policy:all_succeeded",
        docs: "scripting 7.0.0",
        summary: "Loads the libraries of a FUNCTION DUMP payload",
        complexity: "O(N), N being the number of functions",
        args: "serialized-value:string ?policy:oneof(flush:pure-token=FLUSH append:pure-token=APPEND replace:pure-token=REPLACE)",
    ),
    cmd!(
        "function|stats", 2, NOSCRIPT, 0, 0, 0, Read(stats),
        flags: "allow_busy",
        tips: "nondeterministic_output request_policy:all_shards response_policy:special",
        docs: "scripting 7.0.0",
        summary: "Reports the running function and the engines' counts",
        complexity: "O(1)",
    ),
];

/// FCALL's error for a numkeys that is no integer (EVAL's is the generic one).
const BAD_NUMKEYS: &str = "ERR Bad number of keys provided";

/// Whether this command calls a function that cannot write, so that the server may run it on
/// the read path ([`crate::Engine::read`]): FCALL_RO, and FCALL of a function flagged
/// `no-writes`. Cheap: a lookup by name.
pub fn is_read_only(libraries: &Libraries, argv: &[Vec<u8>]) -> bool {
    let (Some(command), Some(name)) = (argv.first(), argv.get(1)) else {
        return false;
    };
    is(command, "fcall_ro")
        || is(command, "fcall")
            && libraries
                .find(name)
                .is_some_and(|(_, _, function)| function.flags & NO_WRITES != 0)
}

/// FCALL of a `no-writes` function on the read path (see [`is_read_only`]): as FCALL_RO.
pub fn fcall_on_read_path(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    fcall_ro(ctx, argv)
}

/// The function named `name`, its library's code and whether it may write.
struct Called {
    code: Vec<u8>,
    name: String,
    no_writes: bool,
}

fn called(libraries: &Libraries, name: &[u8]) -> Result<Called, Reply> {
    let (library, name, function) = libraries
        .find(name)
        .ok_or_else(|| Reply::error(NOT_FOUND))?;
    Ok(Called {
        code: library.code.clone(),
        name: name.to_string(),
        no_writes: function.flags & NO_WRITES != 0,
    })
}

/// FCALL function numkeys [key ...] [arg ...]
fn fcall(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let called = called(&ctx.keyspace.functions, &argv[1])?;
    let (keys, args) = split_keys(argv, BAD_NUMKEYS)?;
    let script = Script {
        body: &called.code,
        entry: Entry::Function { name: &called.name },
        keys,
        args,
        writes_allowed: !called.no_writes,
    };
    let limits = Limits::of(&ctx.keyspace.encoding, None);
    Ok(run::run(Target::Write(ctx), &script, limits, None).reply)
}

/// FCALL_RO function numkeys [key ...] [arg ...]: only a function flagged `no-writes`.
fn fcall_ro(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let called = called(&ctx.keyspace.functions, &argv[1])?;
    let (keys, args) = split_keys(argv, BAD_NUMKEYS)?;
    if !called.no_writes {
        return Err(Reply::error(WRITE_FLAG_FROM_RO));
    }
    let script = Script {
        body: &called.code,
        entry: Entry::Function { name: &called.name },
        keys,
        args,
        writes_allowed: false,
    };
    let limits = Limits::of(&ctx.keyspace.encoding, ctx.kill.clone());
    Ok(run::run(Target::Read(ctx), &script, limits, None).reply)
}

/// Runs a library's code to learn what it registers: the library, or Redis's error line.
fn compile(ctx: &ReadCtx, code: &[u8]) -> Result<Library, Reply> {
    let limits = Limits::of(&ctx.keyspace.encoding, None);
    let registered = run::load_library(Target::Read(ctx), code, limits)?;
    let functions = registered.into_iter().map(|registration| {
        let Registration {
            name,
            flags,
            description,
        } = registration;
        (name, Function { flags, description })
    });
    Ok(Library {
        code: code.to_vec(),
        functions: functions.collect(),
    })
}

/// Adds `library` to `libraries` unless one of its functions belongs to another library.
fn add(libraries: &mut Libraries, name: &str, library: Library) -> Result<(), Reply> {
    let names: Vec<String> = library.functions.keys().cloned().collect();
    if let Some(taken) = libraries.taken(name, &names) {
        return Err(Reply::error(format!("ERR Function {taken} already exists")));
    }
    libraries.insert(name, library);
    Ok(())
}

fn library_exists(name: &str) -> Reply {
    Reply::error(format!("ERR Library '{name}' already exists"))
}

/// FUNCTION LOAD [REPLACE] code: the library's name.
fn load(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (code, options) = argv[2..].split_last().unwrap_or((&argv[1], &[]));
    let mut replace = false;
    for option in options {
        if !is(option, "replace") {
            return Err(Reply::error(format!(
                "ERR Unknown option given: {}",
                args::text(option)
            )));
        }
        replace = true;
    }
    let name = metadata::library_name(code)?;
    if !replace && ctx.keyspace.functions.get(&name).is_some() {
        return Err(library_exists(&name));
    }
    let library = compile(&ctx.as_read(), code)?;
    add(&mut ctx.keyspace.functions, &name, library)?;
    // Libraries are data: Redis counts loading, deleting, flushing and restoring them.
    ctx.changed(1);
    Ok(Reply::bulk(name))
}

/// FUNCTION DELETE library-name
fn delete(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let name = String::from_utf8_lossy(&argv[2]);
    if !ctx.keyspace.functions.remove(&name) {
        return Err(Reply::error("ERR Library not found"));
    }
    ctx.changed(1);
    Ok(Reply::ok())
}

/// FUNCTION FLUSH [ASYNC|SYNC]: both empty the libraries at once.
fn flush(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    match &argv[2..] {
        [] => {}
        [mode] if is(mode, "async") || is(mode, "sync") => {}
        [_] => {
            return Err(Reply::error(
                "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
            ))
        }
        _ => return Err(wrong_use("FLUSH")),
    }
    ctx.keyspace.functions.clear();
    ctx.changed(1);
    Ok(Reply::ok())
}

/// Redis's line for a FUNCTION subcommand given too many arguments.
fn wrong_use(subcommand: &str) -> Reply {
    Reply::error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{subcommand}'. Try FUNCTION HELP."
    ))
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
fn list(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let mut pattern = None;
    let mut with_code = false;
    let mut options = argv[2..].iter();
    while let Some(option) = options.next() {
        if is(option, "withcode") && !with_code {
            with_code = true;
        } else if is(option, "libraryname") && pattern.is_none() {
            let given = options
                .next()
                .ok_or_else(|| Reply::error("ERR library name argument was not given"))?;
            pattern = Some(given.as_slice());
        } else {
            return Err(Reply::error(format!(
                "ERR Unknown argument {}",
                args::text(option)
            )));
        }
    }
    let libraries = ctx
        .keyspace
        .functions
        .iter()
        .filter(|(name, _)| pattern.is_none_or(|pattern| glob_match(pattern, name.as_bytes())));
    let listed = libraries.map(|(name, library)| library_reply(name, library, with_code));
    Ok(Reply::Array(listed.collect()))
}

fn library_reply(name: &str, library: &Library, with_code: bool) -> Reply {
    let functions = library.functions.iter().map(|(name, function)| {
        Reply::Map(vec![
            (Reply::bulk("name"), Reply::bulk(name.as_str())),
            (
                Reply::bulk("description"),
                function.description.clone().map_or(Reply::Nil, Reply::Bulk),
            ),
            (Reply::bulk("flags"), flags_reply(function.flags)),
        ])
    });
    let mut fields = vec![
        (Reply::bulk("library_name"), Reply::bulk(name)),
        (Reply::bulk("engine"), Reply::bulk("LUA")),
        (Reply::bulk("functions"), Reply::Array(functions.collect())),
    ];
    if with_code {
        fields.push((
            Reply::bulk("library_code"),
            Reply::Bulk(library.code.clone()),
        ));
    }
    Reply::Map(fields)
}

/// A function's flags as a set of status lines, in Redis's order.
fn flags_reply(flags: u8) -> Reply {
    let names = FLAG_NAMES.iter().enumerate();
    let set = names.filter(|(bit, _)| flags & (1 << bit) != 0);
    Reply::Set(
        set.map(|(_, name)| Reply::Simple(name.to_string()))
            .collect(),
    )
}

/// FUNCTION DUMP
fn dump(ctx: &ReadCtx, _: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Bulk(payload::dump(&ctx.keyspace.functions)))
}

/// What FUNCTION RESTORE does with the libraries there are.
#[derive(Clone, Copy, PartialEq)]
enum Policy {
    Flush,
    Append,
    Replace,
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: all the payload's libraries or none.
fn restore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let policy =
        match &argv[3..] {
            [] => Policy::Append,
            [policy] if is(policy, "flush") => Policy::Flush,
            [policy] if is(policy, "append") => Policy::Append,
            [policy] if is(policy, "replace") => Policy::Replace,
            [_] => return Err(Reply::error(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            )),
            _ => return Err(wrong_use("RESTORE")),
        };
    let mut restored = Libraries::default();
    for code in payload::codes(&argv[2])? {
        let name = metadata::library_name(&code)?;
        if restored.get(&name).is_some() {
            return Err(library_exists(&name));
        }
        let library = compile(&ctx.as_read(), &code)?;
        add(&mut restored, &name, library)?;
    }
    let mut libraries = match policy {
        Policy::Flush => Libraries::default(),
        Policy::Append | Policy::Replace => ctx.keyspace.functions.clone(),
    };
    for (name, library) in restored.iter() {
        if policy == Policy::Append && libraries.get(name).is_some() {
            return Err(Reply::error(format!("ERR Library {name} already exists")));
        }
        add(&mut libraries, name, library.clone())?;
    }
    ctx.keyspace.functions = libraries;
    ctx.changed(1);
    Ok(Reply::ok())
}

/// FUNCTION STATS: no function is ever seen running from another command here (a function
/// runs within one command of the state machine), so `running_script` is always nil.
fn stats(ctx: &ReadCtx, _: &[Vec<u8>]) -> CmdResult {
    let libraries = &ctx.keyspace.functions;
    let lua = Reply::Map(vec![
        (
            Reply::bulk("libraries_count"),
            Reply::Integer(libraries.len() as i64),
        ),
        (
            Reply::bulk("functions_count"),
            Reply::Integer(libraries.function_count() as i64),
        ),
    ]);
    Ok(Reply::Map(vec![
        (Reply::bulk("running_script"), Reply::Nil),
        (
            Reply::bulk("engines"),
            Reply::Map(vec![(Reply::bulk("LUA"), lua)]),
        ),
    ]))
}

/// FUNCTION HELP
fn help(_: &ReadCtx, _: &[Vec<u8>]) -> CmdResult {
    const LINES: &[&str] = &[
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <library code>",
        "    Load a library (its first line: #!lua name=<library>); REPLACE swaps one of that name.",
        "DELETE <library name>",
        "    Remove a library and its functions.",
        "LIST [LIBRARYNAME <pattern>] [WITHCODE]",
        "    Describe the libraries (those whose name matches the pattern), with their code.",
        "STATS",
        "    Count the libraries and functions (running_script is always nil here).",
        "KILL",
        "    Stop the read-only function running on this node.",
        "FLUSH [ASYNC|SYNC]",
        "    Remove every library (both modes at once, on every replica).",
        "DUMP",
        "    Serialize every library, for FUNCTION RESTORE.",
        "RESTORE <payload> [FLUSH|APPEND|REPLACE]",
        "    Load the libraries of a payload; existing ones are flushed, kept (the default) or replaced.",
        "HELP",
        "    Print this help.",
    ];
    Ok(Reply::help(LINES))
}
