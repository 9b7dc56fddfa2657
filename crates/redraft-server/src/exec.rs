//! The session's side of MULTI / EXEC / DISCARD / WATCH (see transaction.rs for the queue):
//! opening, discarding and committing a transaction, and watching keys for it.

use redraft_engine::entry::MAX_WATCHED_KEYS;
use redraft_engine::{Argv, Reply, Transaction, Watched};

use crate::cluster::Cluster;
use crate::session::Session;
use crate::transaction::{Queued, Transaction as Queue, EXECABORT};

impl<C: Cluster> Session<C> {
    /// MULTI, EXEC, DISCARD or WATCH (`name` as the table has it).
    pub async fn transaction_command(&mut self, name: &str, argv: &[Vec<u8>]) -> Reply {
        match (name, self.transaction.take()) {
            ("watch", Some(open)) => {
                self.transaction = Some(open);
                Reply::error("ERR WATCH inside MULTI is not allowed")
            }
            ("watch", None) => self.watch(&argv[1..]).await,
            ("multi", Some(open)) => {
                self.transaction = Some(open);
                Reply::error("ERR MULTI calls can not be nested")
            }
            ("multi", None) => {
                self.transaction = Some(Queue::default());
                Reply::ok()
            }
            ("discard", Some(_)) => {
                self.watched.clear();
                Reply::ok()
            }
            ("discard", None) => Reply::error("ERR DISCARD without MULTI"),
            ("exec", None) => Reply::error("ERR EXEC without MULTI"),
            ("exec", Some(transaction)) if transaction.is_doomed() => {
                self.watched.clear();
                Reply::error(EXECABORT)
            }
            ("exec", Some(transaction)) => self.commit(transaction.into_queued()).await,
            (other, open) => {
                self.transaction = open;
                Reply::error(format!("ERR '{other}' is not a transaction command"))
            }
        }
    }

    /// WATCH: each key is watched from where this replica stands after a read barrier, so that
    /// any write the client could have seen before is not taken for a change after it.
    async fn watch(&mut self, keys: &[Vec<u8>]) -> Reply {
        if self.watched.len() + keys.len() > MAX_WATCHED_KEYS {
            return Reply::error(format!(
                "ERR a connection watches at most {MAX_WATCHED_KEYS} keys"
            ));
        }
        if let Err(error) = self.server.cluster.read_barrier().await {
            return error.reply();
        }
        let (since_index, since_ms) = self.server.cluster.watch_point();
        let db = self.db;
        self.watched.extend(keys.iter().map(|key| Watched {
            db,
            key: key.clone(),
            since_index,
            since_ms,
        }));
        Reply::ok()
    }

    /// Commits the queued commands: the watched keys and the keyspace's commands as one
    /// command of one log entry (checked and applied as a unit on every replica), the session's
    /// answered here in their places. EXEC's array, a null array when a watched key changed, or
    /// the error that stopped it (then nothing of it was acknowledged: a `-TRYAGAIN` whose
    /// outcome is unknown says so).
    async fn commit(&mut self, queued: Vec<Queued>) -> Reply {
        let transaction = Transaction {
            watched: std::mem::take(&mut self.watched),
            cmds: queued
                .iter()
                .filter(|item| item.local.is_none())
                .map(|item| item.argv.clone())
                .collect(),
        };
        let mut replies = Vec::new().into_iter();
        if !transaction.watched.is_empty() || !transaction.cmds.is_empty() {
            replies = match self.apply_transaction(transaction).await {
                Ok(replies) => replies.into_iter(),
                Err(reply) => return reply,
            };
        }
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

    /// The replies of the transaction's keyspace commands, or the reply that EXEC answers
    /// instead (a null array, an error).
    async fn apply_transaction(&self, transaction: Transaction) -> Result<Vec<Reply>, Reply> {
        let argv: Argv = self.as_caller(transaction.to_argv());
        let reply = match self.run_through_log(vec![argv]).await {
            Ok(mut replies) => replies.pop().unwrap_or(Reply::NilArray),
            Err(error) => return Err(error.reply()),
        };
        match reply {
            Reply::Array(replies) => Ok(replies),
            other => Err(other),
        }
    }
}
