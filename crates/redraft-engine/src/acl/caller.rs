//! A command run as a user: `as-user <name> <command> [arg ...]`, the form in which the node a
//! client is connected to puts that client's scripts (EVAL, EVALSHA, FCALL and their _RO forms)
//! and transactions in the log (or hands them to the read path). The state machine then checks
//! what they run against that user at apply time, deterministically, from the replicated users:
//! a script's `redis.call` (scripts run inside the engine) and EXEC's queued commands (Redis
//! checks them again at EXEC). Clients cannot send it; only members put entries in the log
//! (peers are authenticated, docs/security.md).

use super::check::{self, Denied};
use super::commands::call_for;
use super::users::Users;
use crate::entry::{Argv, TRANSACTION_COMMAND};
use crate::reply::{CmdResult, Reply};
use crate::spec::{cmd, CommandSpec, Kind::Write, WriteCtx};

/// The internal command's name.
pub const AS_USER_COMMAND: &str = "as-user";

/// Commands that only the log carries; a client that sends one is told it is unknown.
pub(crate) static INTERNAL: &[CommandSpec] =
    &[cmd!("as-user", -3, 0, 0, 0, 0, Write(as_user_entry))];

/// `argv` run as `user`.
pub fn as_user(user: &[u8], argv: Argv) -> Argv {
    let mut wrapped = Vec::with_capacity(argv.len() + 2);
    wrapped.push(AS_USER_COMMAND.as_bytes().to_vec());
    wrapped.push(user.to_vec());
    wrapped.extend(argv);
    wrapped
}

/// The user and the command of `argv` if it is run as a user (`as-user`), else None.
pub fn unwrap_as_user(argv: &[Vec<u8>]) -> Option<(&[u8], &[Vec<u8>])> {
    match argv {
        [name, user, command @ ..]
            if !command.is_empty() && name.eq_ignore_ascii_case(AS_USER_COMMAND.as_bytes()) =>
        {
            Some((user, command))
        }
        _ => None,
    }
}

/// Applies `as-user`: checks the command against the user as the client's node did (the rules
/// may have changed since; a user deleted meanwhile may run nothing), then runs it with the
/// user in its context. A transaction's own check is of its queued commands, one by one.
fn as_user_entry(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (user, command) =
        unwrap_as_user(argv).ok_or_else(|| crate::spec::wrong_arity("as-user"))?;
    let spec = match (ctx.resolve)(command) {
        Ok(spec) => spec,
        Err(_) if command[0].eq_ignore_ascii_case(TRANSACTION_COMMAND.as_bytes()) => {
            &crate::transaction::INTERNAL[0]
        }
        Err(refusal) => return Err(refusal),
    };
    if spec.name == TRANSACTION_COMMAND {
        if ctx.keyspace.users.get(user).is_none() {
            return Err(Denied::Command.noperm("exec"));
        }
    } else {
        check(&ctx.keyspace.users, user, spec, command, Caller::Client)?;
    }
    let mut inner = WriteCtx {
        keyspace: &mut *ctx.keyspace,
        db: ctx.db,
        now_ms: ctx.now_ms,
        seed: ctx.seed,
        resolve: ctx.resolve,
        catalog: ctx.catalog,
        user: Some(user),
        sandbox: ctx.sandbox,
    };
    Ok(spec.run_write(&mut inner, command))
}

/// Where a command runs as a user: each place words a refusal as Redis does there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A client's command, checked before routing and again at apply: NOPERM lines.
    Client,
    /// A script's `redis.call` / `redis.pcall` (Redis's scriptVerifyACL).
    Script,
    /// A command queued in MULTI whose rules changed before EXEC.
    Queued,
}

/// Checks `argv` (the command `spec`) run by `user` from `caller`: refused by its rules, or
/// because the user no longer exists (a user deleted meanwhile may run nothing).
pub fn check(
    users: &Users,
    user: &[u8],
    spec: &CommandSpec,
    argv: &[Vec<u8>],
    caller: Caller,
) -> Result<(), Reply> {
    let denied = match users.get(user) {
        None => Denied::Command,
        // Most connections run as a user allowed everything: no call to build and match.
        Some(found) if found.root.allows_everything() => return Ok(()),
        Some(found) => match check::check(found, &call_for(spec, argv)) {
            Ok(()) => return Ok(()),
            Err(denied) => denied,
        },
    };
    Err(match caller {
        Caller::Client => denied.noperm(spec.name),
        Caller::Script => Reply::error(script_refusal(&denied)),
        Caller::Queued => Reply::error(format!(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and \
             the EXEC call. This command is no longer allowed for the following reason: {}",
            queued_refusal(&denied)
        )),
    })
}

fn script_refusal(denied: &Denied) -> &'static str {
    match denied {
        Denied::Command => "ERR The user executing the script can't run this command or subcommand",
        Denied::Key(..) => {
            "ERR The user executing the script can't access at least one of the keys \
             mentioned in the command arguments"
        }
        Denied::Channel(..) => {
            "ERR The user executing the script can't publish to the channel mentioned in \
             the command"
        }
    }
}

fn queued_refusal(denied: &Denied) -> &'static str {
    match denied {
        Denied::Command => "no permission to execute the command or subcommand",
        Denied::Key(..) => "no permission to touch the specified keys",
        Denied::Channel(..) => "no permission to access one of the channels used as arguments",
    }
}
