//! What `redis.call` and `redis.pcall` run: the command table's commands against the script's
//! database, with Redis 7.0's refusals (unknown, wrong arity, not allowed from scripts, writes
//! from a read-only script), and the few session commands a script may call answered here
//! (PING, ECHO, TIME from the entry's time, SELECT of the script's own database).

use crate::acl::caller::{check, Caller};
use crate::acl::users::Users;
use crate::args;
use crate::reply::Reply;
use crate::rng::splitmix64;
use crate::spec::{CommandSpec, Kind, ReadCtx, WriteCtx, NODE_LOCAL, NOSCRIPT};
use crate::DATABASES;

pub const UNKNOWN: &str = "ERR Unknown Redis command called from script";
pub const WRONG_ARITY: &str = "ERR Wrong number of args calling Redis command from script";
pub const NOT_ALLOWED: &str = "ERR This Redis command is not allowed from script";
pub const WRITE_FROM_READ_ONLY: &str = "ERR Write commands are not allowed from read-only scripts.";
/// A command whose answer is one node's own (see [`NODE_LOCAL`]), called by a script that
/// every replica runs.
pub const NODE_LOCAL_IN_LOG: &str = "ERR This command answers from the node's own access \
    clocks, which replicas do not share: it is not allowed from a script that writes (it runs on \
    every replica); call it from a read-only script or on its own";

/// Where a script's commands run: the keyspace of a write (through the log) or of a read.
pub enum Target<'a, 'k> {
    Write(&'a mut WriteCtx<'k>),
    Read(&'a ReadCtx<'k>),
}

pub struct Dispatcher<'a, 'k> {
    target: Target<'a, 'k>,
    /// The script's database: SELECT inside a script changes it, not the client's.
    db: usize,
    writes_allowed: bool,
    /// Commands run so far; each draws its own seed from the script's.
    calls: u64,
}

impl<'a, 'k> Dispatcher<'a, 'k> {
    pub fn new(target: Target<'a, 'k>, writes_allowed: bool) -> Self {
        let db = match &target {
            Target::Write(ctx) => ctx.db,
            Target::Read(ctx) => ctx.db,
        };
        Dispatcher {
            target,
            db,
            writes_allowed,
            calls: 0,
        }
    }

    fn now_ms(&self) -> u64 {
        match &self.target {
            Target::Write(ctx) => ctx.now_ms,
            Target::Read(ctx) => ctx.now_ms,
        }
    }

    fn seed(&self) -> u64 {
        match &self.target {
            Target::Write(ctx) => ctx.seed,
            Target::Read(ctx) => ctx.seed,
        }
    }

    /// The user whose client runs the script, when the entry names it (see
    /// [`crate::acl::caller`]).
    fn user(&self) -> Option<&[u8]> {
        match &self.target {
            Target::Write(ctx) => ctx.user,
            Target::Read(ctx) => ctx.user,
        }
    }

    fn users(&self) -> &Users {
        match &self.target {
            Target::Write(ctx) => &ctx.keyspace.users,
            Target::Read(ctx) => &ctx.keyspace.users,
        }
    }

    /// redis.acl_check_cmd: whether the script's user may run `argv` (a script run for no
    /// user may run anything); an unknown command is an error.
    pub fn acl_allows(&self, argv: &[Vec<u8>]) -> Result<bool, Reply> {
        let spec = self.lookup(argv)?;
        Ok(self
            .user()
            .is_none_or(|user| check(self.users(), user, spec, argv, Caller::Client).is_ok()))
    }

    /// Looks a command up as the table's dispatcher does, with the script's error lines.
    pub fn lookup(&self, argv: &[Vec<u8>]) -> Result<&'static CommandSpec, Reply> {
        let resolve = match &self.target {
            Target::Write(ctx) => ctx.resolve,
            Target::Read(ctx) => ctx.resolve,
        };
        resolve(argv).map_err(|refusal| match refusal {
            // The dispatcher's two refusals, told apart by Redis's own line.
            Reply::Error(line) if line.starts_with("ERR wrong number of arguments") => {
                Reply::error(WRONG_ARITY)
            }
            _ => Reply::error(UNKNOWN),
        })
    }

    /// Runs one command for the script; a refusal or a command's error is an error reply.
    pub fn call(&mut self, argv: &[Vec<u8>]) -> Reply {
        match self.checked_call(argv) {
            Ok(reply) | Err(reply) => reply,
        }
    }

    fn checked_call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
        let spec = self.lookup(argv)?;
        if !allowed_from_script(spec) {
            return Err(Reply::error(NOT_ALLOWED));
        }
        if let Some(user) = self.user() {
            check(self.users(), user, spec, argv, Caller::Script)?;
        }
        match spec.name {
            "ping" => return Ok(ping(argv)),
            "echo" => return Ok(Reply::Bulk(argv[1].clone())),
            "time" => return Ok(time(self.now_ms())),
            "select" => return self.select(&argv[1]),
            _ => {}
        }
        if spec.is_write() && !self.writes_allowed {
            return Err(Reply::error(WRITE_FROM_READ_ONLY));
        }
        if spec.flags & NODE_LOCAL != 0 && matches!(self.target, Target::Write(_)) {
            return Err(Reply::error(NODE_LOCAL_IN_LOG));
        }
        self.calls += 1;
        let seed = splitmix64(self.seed() ^ self.calls);
        let db = self.db;
        Ok(match &mut self.target {
            Target::Write(ctx) => {
                let mut ctx = WriteCtx {
                    keyspace: &mut *ctx.keyspace,
                    db,
                    now_ms: ctx.now_ms,
                    seed,
                    resolve: ctx.resolve,
                    catalog: ctx.catalog,
                    user: ctx.user,
                    sandbox: ctx.sandbox,
                };
                spec.run_write(&mut ctx, argv)
            }
            Target::Read(ctx) => {
                let ctx = ReadCtx {
                    keyspace: ctx.keyspace,
                    db,
                    now_ms: ctx.now_ms,
                    seed,
                    resolve: ctx.resolve,
                    catalog: ctx.catalog,
                    kill: None,
                    user: ctx.user,
                    touch: ctx.touch,
                };
                spec.run_read(&ctx, argv)
            }
        })
    }

    fn select(&mut self, index: &[u8]) -> Result<Reply, Reply> {
        self.db = args::db_index(index, DATABASES)?;
        Ok(Reply::ok())
    }
}

/// Redis refuses from scripts the commands flagged `noscript` and everything that belongs to
/// a connection or to the cluster, except the few answered here.
fn allowed_from_script(spec: &CommandSpec) -> bool {
    match spec.kind {
        Kind::Write(_) | Kind::Read(_) => spec.flags & NOSCRIPT == 0,
        Kind::Session => matches!(spec.name, "ping" | "echo" | "time" | "select"),
        _ => false,
    }
}

fn ping(argv: &[Vec<u8>]) -> Reply {
    match argv {
        [_] => Reply::Simple("PONG".to_string()),
        [_, message] => Reply::Bulk(message.clone()),
        _ => crate::spec::wrong_arity("ping"),
    }
}

/// TIME inside a script: the entry's time, as seconds and microseconds.
fn time(now_ms: u64) -> Reply {
    Reply::Array(vec![
        Reply::bulk((now_ms / 1000).to_string()),
        Reply::bulk((now_ms % 1000 * 1000).to_string()),
    ])
}
