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

use crate::cluster::{Cluster, RouteError};
use crate::session::Session;

/// Most commands one transaction may queue, and most bytes of their arguments: an EXEC is one
/// log entry, forwarded by a follower in one message.
const MAX_QUEUED_COMMANDS: usize = 100_000;
const MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;

const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// The commands queued since MULTI.
#[derive(Default)]
pub struct Transaction {
    queued: Vec<Queued>,
    bytes: usize,
    /// A command was refused while queuing: EXEC answers EXECABORT.
    doomed: bool,
}

/// One queued command.
struct Queued {
    argv: Argv,
    /// A session command (PING, ECHO, CLIENT ...), answered by this node when EXEC runs;
    /// None for a command of the keyspace, which goes into the run.
    local: Option<&'static str>,
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

impl<C: Cluster> Session<C> {
    /// MULTI, EXEC or DISCARD (`name` as the table has it).
    pub async fn transaction_command(&mut self, name: &str) -> Reply {
        match (name, self.transaction.take()) {
            ("multi", Some(open)) => {
                self.transaction = Some(open);
                Reply::error("ERR MULTI calls can not be nested")
            }
            ("multi", None) => {
                self.transaction = Some(Transaction::default());
                Reply::ok()
            }
            ("discard", Some(_)) => Reply::ok(),
            ("discard", None) => Reply::error("ERR DISCARD without MULTI"),
            ("exec", None) => Reply::error("ERR EXEC without MULTI"),
            ("exec", Some(transaction)) if transaction.doomed => Reply::error(EXECABORT),
            ("exec", Some(transaction)) => self.commit(transaction.queued).await,
            (other, open) => {
                self.transaction = open;
                Reply::error(format!("ERR '{other}' is not a transaction command"))
            }
        }
    }

    /// Queues `argv` into the open transaction: `+QUEUED`, or the error that dooms it.
    pub fn queue(&mut self, argv: Argv, queueing: Queueing) -> Reply {
        let Some(transaction) = self.transaction.as_mut() else {
            return Reply::error("ERR no transaction is open");
        };
        let bytes = argv.iter().map(Vec::len).sum::<usize>();
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
                if transaction.queued.len() >= MAX_QUEUED_COMMANDS
                    || transaction.bytes + bytes > MAX_QUEUED_BYTES =>
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
            transaction.doomed = true;
            return error;
        }
        transaction.bytes += bytes;
        transaction.queued.push(Queued { argv, local });
        Reply::Simple("QUEUED".into())
    }

    /// Commits the queued commands: those of the keyspace as one run, the session's answered
    /// here in their places. EXEC's array, or the error that stopped the run (then nothing of
    /// it was acknowledged: a `-TRYAGAIN` whose outcome is unknown says so).
    async fn commit(&mut self, queued: Vec<Queued>) -> Reply {
        let run: Vec<Argv> = queued
            .iter()
            .filter(|item| item.local.is_none())
            .map(|item| item.argv.clone())
            .collect();
        let mut replies = match self.commit_run(run).await {
            Ok(replies) => replies.into_iter(),
            Err(error) => return error.reply(),
        };
        let mut answers = Vec::with_capacity(queued.len());
        for item in queued {
            let answer = match item.local {
                Some(name) => self.session_command(name, &item.argv),
                None => replies.next().unwrap_or(Reply::Nil),
            };
            answers.push(answer);
        }
        Reply::Array(answers)
    }

    async fn commit_run(&self, run: Vec<Argv>) -> Result<Vec<Reply>, RouteError> {
        if run.is_empty() {
            return Ok(Vec::new());
        }
        let count = run.len();
        match self.server.cluster.write(self.db, run).await {
            Ok(replies) if replies.len() == count => Ok(replies),
            Ok(replies) => {
                tracing::error!(
                    expected = count,
                    got = replies.len(),
                    "EXEC: reply count mismatch"
                );
                Err(RouteError::TryAgain(
                    "the leader answered with the wrong number of replies".into(),
                ))
            }
            Err(error) => Err(error),
        }
    }
}
