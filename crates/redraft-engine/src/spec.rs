//! What a command is, as data: its name, arity, flags, key positions and who executes it
//! ([`Kind`]). Below every type module, which declares its own commands with [`cmd!`]; the
//! table (table.rs) assembles them above.

use crate::ctx::{ReadCtx, WriteCtx};
use crate::reply::{CmdResult, Reply};

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
    /// MULTI, EXEC, DISCARD: the session's transaction control. The commands queued between
    /// MULTI and EXEC travel as one run, applied in one log entry on every replica.
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
}

impl CommandSpec {
    pub fn is_write(&self) -> bool {
        matches!(self.kind, Kind::Write(_))
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

    /// Redis's flag names, for COMMAND INFO.
    pub fn flag_names(&self) -> Vec<&'static str> {
        const NAMES: [(u32, &str); 5] = [
            (DENYOOM, "denyoom"),
            (ADMIN, "admin"),
            (FAST, "fast"),
            (CONNECTION, "stale"),
            (RANDOM, "random"),
        ];
        let kind = match self.kind {
            Kind::Write(_) => Some("write"),
            Kind::Read(_) => Some("readonly"),
            _ => None,
        };
        kind.into_iter()
            .chain(
                NAMES
                    .iter()
                    .filter(|(bit, _)| self.flags & bit != 0)
                    .map(|(_, name)| *name),
            )
            .collect()
    }
}

macro_rules! cmd {
    ($name:literal, $arity:expr, $flags:expr, $first:expr, $last:expr, $step:expr, $kind:expr) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            first_key: $first,
            last_key: $last,
            step: $step,
            kind: $kind,
        }
    };
}
pub(crate) use cmd;

/// Redis's reply to a known command with the wrong number of arguments.
pub fn wrong_arity(name: &str) -> Reply {
    Reply::error(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}
