//! MULTI / EXEC / DISCARD: a connection's queued commands, committed as one run.
//!
//! Between MULTI and EXEC the session checks each command against the table and queues it
//! (`+QUEUED`); a command it refuses (unknown, wrong arity, not allowed in a transaction, past
//! the bounds below) dooms the transaction, so that EXEC answers EXECABORT, as in Redis. EXEC
//! sends the queued commands as ONE run: the leader applies a run in one log entry, in order,
//! with nothing between its commands, on every replica; reads in it are applied with the
//! writes, so a transaction of reads is linearizable too. A command that fails while it runs
//! answers its own error inside EXEC's array and the others still apply.

use redraft_engine::{Argv, Reply};

/// Most commands one transaction may queue, and most bytes of their arguments (each argument
/// weighing 16 bytes more, see `argv_bytes`): an EXEC is one log entry, forwarded by a follower
/// in one message.
pub(crate) const MAX_QUEUED_COMMANDS: usize = 100_000;
const MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;

pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// The commands queued since MULTI.
#[derive(Default)]
pub struct Transaction {
    queued: Vec<Queued>,
    bytes: usize,
    /// A command was refused while queuing: EXEC answers EXECABORT.
    doomed: bool,
}

/// One queued command.
pub struct Queued {
    pub argv: Argv,
    /// A session command (PING, ECHO, CLIENT ...), answered by this node when EXEC runs;
    /// None for a command of the keyspace, which goes into the run.
    pub local: Option<&'static str>,
}

/// What the session does with a command while a transaction is open.
pub enum Queueing {
    /// A command of the keyspace: queued into the run.
    Keyspace,
    /// A session command: queued, answered by the session in its place in EXEC's reply.
    Local(&'static str),
    /// Refused with this error (unknown command, wrong arity); the transaction is doomed.
    Refused(Reply),
    /// A command that would change how the rest of the transaction runs (SELECT, HELLO) or
    /// the cluster (RAFT): not allowed in a transaction in redraft (docs/commands.md).
    NotAllowed,
}

impl Transaction {
    /// Queues `argv`: `+QUEUED`, or the error that dooms it.
    pub fn queue(&mut self, argv: Argv, queueing: Queueing) -> Reply {
        let bytes = argv_bytes(&argv);
        let local = match queueing {
            Queueing::Local(name) => Some(name),
            _ => None,
        };
        let refusal = match queueing {
            Queueing::Refused(reply) => Some(reply),
            Queueing::NotAllowed => {
                Some(Reply::error("ERR Command not allowed inside a transaction"))
            }
            Queueing::Keyspace | Queueing::Local(_)
                if self.queued.len() >= MAX_QUEUED_COMMANDS
                    || self.bytes + bytes > MAX_QUEUED_BYTES =>
            {
                Some(Reply::error(format!(
                    "ERR a transaction holds at most {MAX_QUEUED_COMMANDS} commands and \
                     {} MiB of arguments",
                    MAX_QUEUED_BYTES >> 20
                )))
            }
            Queueing::Keyspace | Queueing::Local(_) => None,
        };
        if let Some(error) = refusal {
            self.doomed = true;
            return error;
        }
        self.bytes += bytes;
        self.queued.push(Queued { argv, local });
        Reply::Simple("QUEUED".into())
    }

    /// Whether a command was refused while queuing (EXEC answers EXECABORT).
    pub fn is_doomed(&self) -> bool {
        self.doomed
    }

    /// How many commands are queued (CLIENT LIST's `multi`).
    pub fn len(&self) -> usize {
        self.queued.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queued.is_empty()
    }

    /// The commands queued so far, in order.
    pub fn queued(&self) -> &[Queued] {
        &self.queued
    }

    pub fn into_queued(self) -> Vec<Queued> {
        self.queued
    }
}

/// What a command weighs against the bounds of runs and transactions: its bytes and a little
/// for each argument, so that many empty arguments count too.
pub fn argv_bytes(argv: &Argv) -> usize {
    argv.iter().map(|arg| arg.len() + 16).sum()
}
