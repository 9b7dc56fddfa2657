//! What a command is, as data (its name, arity, flags, key positions and who executes it,
//! [`Kind`]), and what a command function sees ([`WriteCtx`], [`ReadCtx`]). Below every type
//! module, which declares its own commands with [`cmd!`]; the table (table.rs) assembles them
//! above.

use crate::access::{Access, Lfu};
use crate::acl::catalog::Catalog;
use crate::keyspace::{Db, Keyspace};
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::rng::splitmix64;
use crate::script::sandbox::Kept;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Runs in O(1) or O(log N).
pub const FAST: u32 = 1 << 2;
/// May grow memory (Redis's `denyoom`).
pub const DENYOOM: u32 = 1 << 3;
/// Administrative or server-wide.
pub const ADMIN: u32 = 1 << 4;
/// Answered by the client's session without touching the keyspace (PING, HELLO, SELECT...).
pub const CONNECTION: u32 = 1 << 5;
/// Returns or draws something random; in a write path the seed comes from the log entry.
pub const RANDOM: u32 = 1 << 6;
/// May wait for data (BLPOP ...): see [`Blocking`].
pub const BLOCKING: u32 = 1 << 8;
/// Refused when a script calls it (Redis's `noscript`: EVAL, SCRIPT, CONFIG...). Session,
/// cluster and transaction commands are refused from scripts whatever their flags.
pub const NOSCRIPT: u32 = 1 << 7;
/// Pub/sub (Redis's `pubsub` flag).
pub const PUBSUB: u32 = 1 << 9;
/// Its lookups are no access to the keys (OBJECT, TYPE, EXISTS, TTL ... as Redis's
/// LOOKUP_NOTOUCH; scripts, whose own calls count): see [`CommandSpec::touches_keys`]. Not a
/// flag Redis shows.
pub const NO_TOUCH: u32 = 1 << 10;
/// Refused unless the node allows it (Redis's `protected`: DEBUG and
/// `--enable-debug-command`); the server checks it before anything else about the command.
pub const PROTECTED: u32 = 1 << 11;
/// A container that answers an unknown subcommand and a subcommand's wrong arity with one
/// line, `unknown subcommand or wrong number of arguments for '<sub>'` (DEBUG, as Redis's
/// addReplySubcommandSyntaxError).
pub const SUBCOMMAND_SYNTAX: u32 = 1 << 12;
/// Answers from this node's own state, which replicas do not share (OBJECT IDLETIME and FREQ:
/// the access clocks). A script applied from the log may not call it: every replica runs the
/// script, and an answer that differs between them could flow into what the script writes.
/// Not a flag Redis shows.
pub const NODE_LOCAL: u32 = 1 << 13;

pub type WriteFn = fn(&mut WriteCtx, &[Vec<u8>]) -> CmdResult;
pub type ReadFn = fn(&ReadCtx, &[Vec<u8>]) -> CmdResult;

/// Who executes a command. Redis's `write` and `readonly` flags follow from it.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Applied by the state machine on every replica, from the log.
    Write(WriteFn),
    /// Executed against the local replica after a read barrier.
    Read(ReadFn),
    /// Executed by the client's session (connection state, server information).
    Session,
    /// Executed by the server against the Raft cluster (membership, status).
    Cluster,
    /// MULTI, EXEC, DISCARD, WATCH: the session's transaction control. The commands queued
    /// between MULTI and EXEC travel as one command of one log entry, applied as a unit on
    /// every replica, after the watched keys are checked there.
    Transaction,
    /// A container: the second argument names one of these subcommands, each with its own
    /// kind and arity (`config|get`, `object|encoding`).
    Container(&'static [CommandSpec]),
}

pub struct CommandSpec {
    /// Lower-case name, as COMMAND reports it (`container|sub` for a subcommand).
    pub name: &'static str,
    pub arity: i32,
    pub flags: u32,
    /// Key positions as Redis reports them in COMMAND: first key, last key (negative counts
    /// from the end), step. All zero when the command takes no key.
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    pub kind: Kind,
    /// Redis's flags that neither the kind nor the flag bits above give (`loading stale`),
    /// space-separated, for COMMAND INFO.
    pub more_flags: &'static str,
    /// Redis's command tips (`nondeterministic_output request_policy:all_shards`),
    /// space-separated, for COMMAND INFO.
    pub tips: &'static str,
    /// Where the keys are and what the command does to them, one key specification after
    /// another, `;`-separated, in the compact form [`crate::introspect::keyspec`] reads
    /// (`RW access update @1`: the key at index 1). COMMAND INFO, COMMAND GETKEYS and DOCS
    /// show them.
    pub key_specs: &'static str,
    /// For the commands whose keys or key flags the specifications cannot say alone (Redis's
    /// getkeys procedures: SORT's STORE, MIGRATE's KEYS, SET's GET), the keys `argv` names.
    pub find_keys: Option<FindKeys>,
    /// For COMMAND DOCS: the command's group, the version that introduced it, then its doc
    /// flags (`syscmd`, `deprecated`) and `deprecated_since:<version>`, space-separated.
    pub docs: &'static str,
    /// For COMMAND DOCS: one line, in our words, saying what the command does.
    pub summary: &'static str,
    /// For COMMAND DOCS: its time complexity (Big-O, with what N counts); empty where Redis
    /// gives none (MONITOR, LOLWUT).
    pub complexity: &'static str,
    /// For COMMAND DOCS, a deprecated command's: what to use instead.
    pub replaced_by: &'static str,
    /// For COMMAND DOCS: how the command changed, `version text` items separated by `;`.
    pub history: &'static str,
    /// For COMMAND DOCS: its arguments, in the compact form [`crate::introspect::docs`]
    /// reads (`key:key#0 ?get:pure-token=GET`).
    pub arguments: &'static str,
}

/// The keys a command names: each one's index in `argv` and its key-specification flags; None
/// when the arguments name none validly.
pub type FindKeys = fn(&[Vec<u8>]) -> Option<Vec<(usize, &'static [&'static str])>>;

impl CommandSpec {
    pub fn is_write(&self) -> bool {
        matches!(self.kind, Kind::Write(_))
    }

    /// The keys `argv` names: by the table's positions (first, last, step), or, for the
    /// commands whose keys follow a count or a keyword (ZUNION, SINTERCARD, EVAL_RO, XREAD
    /// ...), where those say. Arity is checked; a malformed count gives what it can.
    pub fn keys<'a>(&self, argv: &'a [Vec<u8>]) -> Vec<&'a [u8]> {
        let counted = |at: usize| {
            let count = argv.get(at).and_then(|n| crate::args::parse_digits_u64(n));
            let count = count.map_or(0, |n| n as usize);
            argv.iter()
                .skip(at + 1)
                .take(count)
                .map(Vec::as_slice)
                .collect()
        };
        match self.name {
            "sintercard" | "zdiff" | "zinter" | "zintercard" | "zunion" | "lmpop" | "zmpop" => {
                counted(1)
            }
            "eval" | "eval_ro" | "evalsha" | "evalsha_ro" | "fcall" | "fcall_ro" => counted(2),
            "xread" | "xreadgroup" => {
                let streams = argv
                    .iter()
                    .position(|arg| arg.eq_ignore_ascii_case(b"streams"));
                let Some(at) = streams else {
                    return Vec::new();
                };
                let rest = &argv[at + 1..];
                rest[..rest.len() / 2].iter().map(Vec::as_slice).collect()
            }
            _ => self.positioned_keys(argv),
        }
    }

    fn positioned_keys<'a>(&self, argv: &'a [Vec<u8>]) -> Vec<&'a [u8]> {
        if self.first_key <= 0 || self.step <= 0 {
            return Vec::new();
        }
        let last = match self.last_key {
            n if n < 0 => argv.len() as i32 + n,
            n => n,
        };
        (self.first_key..=last)
            .step_by(self.step as usize)
            .filter_map(|at| argv.get(at as usize).map(Vec::as_slice))
            .collect()
    }

    /// Whether the command runs in O(1) or O(log N) (Redis's `fast`: the latency monitor files
    /// its slow calls under `fast-command`).
    pub fn is_fast(&self) -> bool {
        self.flags & FAST != 0
    }

    /// Whether running the command counts as an access to the keys it names (OBJECT IDLETIME
    /// and FREQ; see access.rs): a read or write command without [`NO_TOUCH`].
    pub fn touches_keys(&self) -> bool {
        matches!(self.kind, Kind::Write(_) | Kind::Read(_)) && self.flags & NO_TOUCH == 0
    }

    /// Whether the command is administrative (Redis's `admin` flag: CONFIG, CLIENT KILL ...).
    pub fn is_admin(&self) -> bool {
        self.flags & ADMIN != 0
    }

    /// Whether the command may wait for data (BLPOP ...; see [`Blocking`]).
    pub fn is_blocking(&self) -> bool {
        self.flags & BLOCKING != 0
    }

    /// Whether `argc` arguments (command name included) satisfy this command's arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let arity = self.arity.unsigned_abs() as usize;
        if self.arity >= 0 {
            argc == arity
        } else {
            argc >= arity
        }
    }

    /// The subcommands of a container, none for any other command.
    pub fn subcommands(&self) -> &'static [CommandSpec] {
        match self.kind {
            Kind::Container(subcommands) => subcommands,
            _ => &[],
        }
    }

    /// The Redis flags this entry's bits and `flags:` give, for COMMAND INFO (which adds
    /// `write`, `readonly` and `movablekeys`, see [`crate::introspect`]). A container has
    /// none: its subcommands have theirs.
    pub fn flag_names(&self) -> Vec<&'static str> {
        const NAMES: [(u32, &str); 6] = [
            (PUBSUB, "pubsub"),
            (DENYOOM, "denyoom"),
            (ADMIN, "admin"),
            (NOSCRIPT, "noscript"),
            (BLOCKING, "blocking"),
            (FAST, "fast"),
        ];
        if matches!(self.kind, Kind::Container(_)) {
            return self.more_flags.split_whitespace().collect();
        }
        NAMES
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|(_, name)| *name)
            .chain(self.more_flags.split_whitespace())
            .collect()
    }
}

/// A table entry: name, arity, flag bits, first key, last key, step, kind, then optionally
/// (in this order) `flags:` more Redis flags, `tips:`, `keys:` key specifications,
/// `find_keys:`, `docs:` and `args:` (see the fields of [`CommandSpec`]).
macro_rules! cmd {
    ($name:literal, $arity:expr, $flags:expr, $first:expr, $last:expr, $step:expr, $kind:expr
     $(, flags: $more:literal)? $(, tips: $tips:literal)? $(, keys: $keys:literal)?
     $(, find_keys: $find:path)? $(, docs: $docs:literal)? $(, summary: $summary:literal)?
     $(, complexity: $complexity:literal)? $(, replaced_by: $replaced:literal)?
     $(, history: $history:literal)? $(, args: $args:literal)? $(,)?) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            first_key: $first,
            last_key: $last,
            step: $step,
            kind: $kind,
            more_flags: $crate::spec::cmd!(@or $($more)?),
            tips: $crate::spec::cmd!(@or $($tips)?),
            key_specs: $crate::spec::cmd!(@or $($keys)?),
            find_keys: $crate::spec::cmd!(@some $($find)?),
            docs: $crate::spec::cmd!(@or $($docs)?),
            summary: $crate::spec::cmd!(@or $($summary)?),
            complexity: $crate::spec::cmd!(@or $($complexity)?),
            replaced_by: $crate::spec::cmd!(@or $($replaced)?),
            history: $crate::spec::cmd!(@or $($history)?),
            arguments: $crate::spec::cmd!(@or $($args)?),
        }
    };
    (@or $text:literal) => {
        $text
    };
    (@or) => {
        ""
    };
    (@some $find:path) => {
        Some($find)
    };
    (@some) => {
        None
    };
}
pub(crate) use cmd;

/// Redis's reply to a known command with the wrong number of arguments.
pub fn wrong_arity(name: &str) -> Reply {
    Reply::error(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

/// The command table's dispatcher ([`crate::table::resolve`]), handed down by the engine in
/// every context so that a command below the table can run other commands (EXEC's queued
/// commands, a script's `redis.call`) without importing the table above it.
pub type Resolve = fn(&[Vec<u8>]) -> Result<&'static CommandSpec, Reply>;

/// What a write command sees: the whole keyspace (MOVE, FLUSHALL and SWAPDB span databases),
/// the selected database, the entry's time and a seed derived from the entry.
pub struct WriteCtx<'a> {
    pub keyspace: &'a mut Keyspace,
    pub db: usize,
    pub now_ms: u64,
    pub seed: u64,
    pub resolve: Resolve,
    /// The table's commands and their ACL categories, for the ACL commands.
    pub catalog: &'static Catalog,
    /// The user whose client sent the command, when the entry names it (`as-user`: scripts
    /// and transactions): what a script's commands and EXEC's queued commands are checked
    /// against. None: unchecked (the node checked the command before it entered the log).
    pub user: Option<&'a [u8]>,
    /// The sandbox the entry's scripts hand from one to the next (see
    /// [`crate::script::sandbox::Kept`]).
    pub sandbox: &'a Kept,
}

impl WriteCtx<'_> {
    pub fn db(&mut self) -> &mut Db {
        &mut self.keyspace.dbs[self.db]
    }

    /// Publishes the keyspace notification `event` of `class` about `key` in this context's
    /// database (see [`Keyspace::notify`]). A command calls it beside its write, as Redis's
    /// commands call notifyKeyspaceEvent.
    pub fn notify(&mut self, class: Class, event: &str, key: &[u8]) {
        self.keyspace.notify(self.db, class, event, key);
    }

    /// Declares that the running command made `changes` changes, as Redis's dirty counter
    /// counts them, for the commands whose count is not their keyspace notifications (see
    /// `crate::dirty`): LPUSH's values, HSET's pairs, RENAME's one change for two events.
    pub fn changed(&mut self, changes: u64) {
        self.keyspace.dirty.declare(changes);
    }

    /// A read-only view of this context, so that write paths can reuse read functions.
    pub fn as_read(&self) -> ReadCtx<'_> {
        ReadCtx {
            keyspace: self.keyspace,
            db: self.db,
            now_ms: self.now_ms,
            seed: self.seed,
            resolve: self.resolve,
            catalog: self.catalog,
            user: self.user,
            // A write is never interrupted from outside: every replica must reach the same end.
            kill: None,
            // The write path notes its own accesses (see `CommandSpec::run_write`).
            touch: false,
        }
    }
}

/// What a read command sees.
pub struct ReadCtx<'a> {
    pub keyspace: &'a Keyspace,
    pub db: usize,
    pub now_ms: u64,
    pub seed: u64,
    pub resolve: Resolve,
    /// The table's commands and their ACL categories, for the ACL commands.
    pub catalog: &'static Catalog,
    /// Set by the server (SCRIPT KILL) to stop a script running on the read path; a read
    /// changes nothing, so stopping it is safe. Always `None` within a write.
    pub kill: Option<Arc<AtomicBool>>,
    /// See [`WriteCtx::user`].
    pub user: Option<&'a [u8]>,
    /// Whether running a command notes an access to its keys on this node (false for a
    /// client in CLIENT NO-TOUCH, except for TOUCH itself).
    pub touch: bool,
}

impl ReadCtx<'_> {
    pub fn db(&self) -> &Db {
        &self.keyspace.dbs[self.db]
    }
}

impl CommandSpec {
    /// Runs this command as part of a write: a write command applies, a read command reads
    /// the same state. Anything else (session, cluster, transaction control) is not the state
    /// machine's to run. A panic in the command is a bug that every replica meets at the same
    /// entry, so it must not stop them all: it becomes the same error reply everywhere
    /// (whatever the command changed before it panicked stays changed, alike on every
    /// replica), and the node that serves the client logs it (see
    /// [`Reply::is_internal_error`]).
    ///
    /// The command's changes are counted on their own and join those of the command that ran
    /// it, if any (see `crate::dirty`).
    pub fn run_write(&self, ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
        let keys = if self.touches_keys() {
            self.keys(argv)
        } else {
            Vec::new()
        };
        let (db, now_ms) = (ctx.db, ctx.now_ms);
        let existed: Vec<bool> = keys
            .iter()
            .map(|key| ctx.keyspace.dbs[db].contains(key, now_ms))
            .collect();
        let reply = self.run_write_untouched(ctx, argv);
        note_writes(ctx, &keys, &existed);
        reply
    }

    fn run_write_untouched(&self, ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
        let outer = ctx.keyspace.dirty.begin();
        let reply = match self.kind {
            Kind::Write(write) => contained(self.name, || write(ctx, argv)),
            Kind::Read(read) => contained(self.name, || read(&ctx.as_read(), argv)),
            _ => Reply::error(format!(
                "ERR '{}' cannot be applied by the state machine",
                self.name
            )),
        };
        ctx.keyspace.dirty.end(outer);
        reply
    }

    /// Runs `read` for this command on the read path, contained as [`Self::run_read`] is: a
    /// write command that can take the read path for some arguments (EVAL of a script that
    /// does not write).
    pub fn run_read_as(&self, read: ReadFn, ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
        contained(self.name, || read(ctx, argv))
    }

    /// Runs this command against a replica's state if it only reads.
    pub fn run_read(&self, ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
        let reply = match self.kind {
            Kind::Read(read) => contained(self.name, || read(ctx, argv)),
            _ => return Reply::error(format!("ERR '{}' is not a read-only command", self.name)),
        };
        if ctx.touch && self.touches_keys() {
            note_reads(ctx, &self.keys(argv));
        }
        reply
    }
}

fn lfu_of(keyspace: &Keyspace) -> Lfu {
    Lfu {
        log_factor: keyspace.encoding.lfu_log_factor,
        decay_minutes: keyspace.encoding.lfu_decay_time,
    }
}

/// A write's accesses, at the entry's time, on every replica: a key the command made is new, a
/// key it found is used (a key it left absent took its clock along).
fn note_writes(ctx: &WriteCtx, keys: &[&[u8]], existed: &[bool]) {
    let (clocks, lfu) = (&ctx.keyspace.access, lfu_of(ctx.keyspace));
    let db = &ctx.keyspace.dbs[ctx.db];
    for (position, (key, &existed)) in keys.iter().zip(existed).enumerate() {
        let Some(entry) = db.get(key, ctx.now_ms) else {
            continue;
        };
        let access = if existed {
            Access::Used
        } else {
            Access::Created
        };
        let draw = splitmix64(ctx.seed ^ position as u64);
        entry.clock.touch(clocks, ctx.now_ms, access, lfu, draw);
    }
}

/// A read's accesses on this node, at the time the node passed in.
fn note_reads(ctx: &ReadCtx, keys: &[&[u8]]) {
    let (clocks, lfu) = (&ctx.keyspace.access, lfu_of(ctx.keyspace));
    for key in keys {
        if let Some(entry) = ctx.db().get(key, ctx.now_ms) {
            let draw = clocks.read_draw();
            entry
                .clock
                .touch(clocks, ctx.now_ms, Access::Used, lfu, draw);
        }
    }
}

fn contained(name: &str, run: impl FnOnce() -> CmdResult) -> Reply {
    match panic::catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result.unwrap_or_else(|error| error),
        Err(_) => Reply::internal_error(name),
    }
}

/// A command that may wait for data (BLPOP, BZPOPMIN ...): how to read its keys and timeout,
/// and how to serve it from one key. Its table entry's function ([`Blocking::now`]) serves it
/// at once or answers its timeout reply, which is what it does inside MULTI and scripts; the
/// blocking machinery (blocking/) registers it as a waiter otherwise.
pub struct Blocking {
    pub name: &'static str,
    pub parse: fn(&[Vec<u8>]) -> Result<BlockingArgs, Reply>,
    pub serve: ServeFn,
    /// Whether this call may wait at all (XREAD only with BLOCK; the list commands always).
    pub may_wait: fn(&[Vec<u8>]) -> bool,
    /// The command as its waiter keeps it, fixed where it stands (XREAD's `$` becomes the
    /// stream's last ID); the list commands keep theirs as it is.
    pub prepare: PrepareFn,
    /// Whether `key` may serve a waiter now (stored keys: the key exists; LOCK.ACQUIRE: a
    /// permit is free), checked before each waiter of the key is tried.
    pub ready: ReadyFn,
}

/// See [`Blocking::ready`].
pub type ReadyFn = fn(&Keyspace, u32, &[u8], u64) -> bool;

/// [`Blocking::ready`] of the commands that wait on stored keys: the key holds a live value.
pub fn key_exists(keyspace: &Keyspace, db: u32, key: &[u8], now_ms: u64) -> bool {
    keyspace.dbs[db as usize].contains(key, now_ms)
}

impl Blocking {
    /// A command that always may wait and is kept as sent (the list and sorted-set ones).
    pub const fn on_keys(
        name: &'static str,
        parse: fn(&[Vec<u8>]) -> Result<BlockingArgs, Reply>,
        serve: ServeFn,
    ) -> Blocking {
        Blocking {
            name,
            parse,
            serve,
            may_wait: always,
            prepare: as_sent,
            ready: key_exists,
        }
    }
}

/// See [`Blocking::prepare`].
pub type PrepareFn = fn(&ReadCtx, &[Vec<u8>]) -> Vec<Vec<u8>>;

/// [`Blocking::may_wait`] of a command that always may.
pub fn always(_: &[Vec<u8>]) -> bool {
    true
}

/// [`Blocking::prepare`] of a command kept as it is.
pub fn as_sent(_: &ReadCtx, argv: &[Vec<u8>]) -> Vec<Vec<u8>> {
    argv.to_vec()
}

/// What a blocking command waits on.
pub struct BlockingArgs {
    /// The keys, in the order the command tries them.
    pub keys: Vec<Vec<u8>>,
    /// How long it waits; None waits for ever (a timeout of 0).
    pub timeout_ms: Option<u64>,
    /// Its reply when the wait ends without data (Redis's null array).
    pub timeout_reply: Reply,
    /// Its reply when it may not wait (inside MULTI or a script) and finds nothing.
    pub empty_reply: Reply,
}

/// Serves the command `argv` from `key` alone: Ok(None) when the key holds nothing for it.
pub type ServeFn = fn(&mut WriteCtx, &[Vec<u8>], &[u8]) -> Result<Option<Served>, Reply>;

/// A waiter served: its reply, and the command that puts back what was taken, should its
/// client be gone when the reply reaches its node (None when nothing needs putting back).
#[derive(Clone, Debug, PartialEq)]
pub struct Served {
    pub reply: Reply,
    pub undo: Option<Vec<Vec<u8>>>,
}

impl Blocking {
    /// Serves from the first key that holds something, or answers the timeout reply.
    pub fn now(&self, ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
        let args = (self.parse)(argv)?;
        for key in &args.keys {
            if let Some(served) = (self.serve)(ctx, argv, key)? {
                return Ok(served.reply);
            }
        }
        Ok(args.empty_reply)
    }
}

/// A blocking command's timeout in seconds (a float), as Redis reads it: the wait in
/// milliseconds, None for 0 (for ever).
pub fn timeout_ms(arg: &[u8]) -> Result<Option<u64>, Reply> {
    use crate::longdouble::{LongDouble, Parsed};
    const NOT_A_FLOAT: &str = "ERR timeout is not a float or out of range";
    const NEGATIVE: &str = "ERR timeout is negative";
    let seconds = match LongDouble::parse(arg) {
        None => return Err(Reply::error(NOT_A_FLOAT)),
        // x86's conversion of an infinite or huge value to an integer is its most negative.
        Some(Parsed::Infinite) => return Err(Reply::error(NEGATIVE)),
        Some(Parsed::Finite(_)) => std::str::from_utf8(arg)
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
            .ok_or_else(|| Reply::error(NOT_A_FLOAT))?,
    };
    let ms = seconds * 1000.0;
    // -2^63 .. 2^63: what converts to a 64-bit integer.
    let range = 9_223_372_036_854_775_808.0;
    if !(ms > -range && ms < range) || ms <= -1.0 {
        return Err(Reply::error(NEGATIVE));
    }
    Ok(match ms as i64 {
        0 => None,
        ms => Some(ms as u64),
    })
}

/// `cmd key [key ...] timeout` (BLPOP, BRPOP; BZPOPMIN and BZPOPMAX too): the timeout is read
/// first, as Redis does, so its error comes before a key's WRONGTYPE.
pub fn keys_then_timeout(argv: &[Vec<u8>]) -> Result<BlockingArgs, Reply> {
    let (timeout, keys) = argv[1..]
        .split_last()
        .ok_or_else(crate::args::syntax_error)?;
    Ok(BlockingArgs {
        timeout_ms: timeout_ms(timeout)?,
        keys: keys.to_vec(),
        timeout_reply: Reply::NilArray,
        empty_reply: Reply::NilArray,
    })
}
