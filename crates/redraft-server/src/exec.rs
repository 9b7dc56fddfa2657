//! The session's side of MULTI / EXEC / DISCARD (see transaction.rs for the queue): opening,
//! discarding and committing a transaction.

use redraft_engine::{Argv, Reply};

use crate::cluster::Cluster;
use crate::session::Session;
use crate::transaction::{Queued, Transaction, EXECABORT};

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
            ("exec", Some(transaction)) if transaction.is_doomed() => Reply::error(EXECABORT),
            ("exec", Some(transaction)) => self.commit(transaction.into_queued()).await,
            (other, open) => {
                self.transaction = open;
                Reply::error(format!("ERR '{other}' is not a transaction command"))
            }
        }
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
        let mut replies = match self.run_through_log(run).await {
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
}
