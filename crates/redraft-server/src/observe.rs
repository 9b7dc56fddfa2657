//! What a session tells the node about each command it served: the counters of INFO
//! commandstats and errorstats, the slow log, the latency monitor, and a tracing line for a
//! slow command. A command's time runs from when the session took it until its reply was ready
//! (for a write, through the log and back; for a blocking command, without the wait).

use std::time::Duration;

use redraft_engine::{CommandSpec, Reply};

use crate::cluster::Cluster;
use crate::session::Session;
use crate::slowlog::{entry_args, Client};

/// A command's arguments, for the slow log: the command itself, or its slow-log form taken
/// before the command was handed on (a write's arguments go into the log).
pub enum Args<'a> {
    Whole(&'a [Vec<u8>]),
    Kept(Vec<Vec<u8>>),
    /// Not kept: the slow log was off when the command was sent.
    None,
}

impl<C: Cluster> Session<C> {
    /// A command that ran: `spec`, answered `reply` after `took`.
    pub(crate) fn observe(
        &self,
        spec: &'static CommandSpec,
        args: Args<'_>,
        reply: &Reply,
        took: Duration,
    ) {
        let server = &self.server;
        server.stats.count_command();
        let failed = self.count_errors(reply);
        if spec.name == "exec" {
            // The replies of the transaction's commands, each an error of its own.
            if let Reply::Array(replies) = reply {
                replies.iter().for_each(|reply| {
                    self.count_errors(reply);
                });
            }
        }
        server.command_stats.call(spec.name, took, failed);
        let took_us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        if let Some(threshold_ms) = server.params.latency_monitor_threshold_ms() {
            let took_ms = took_us / 1000;
            if took_ms >= threshold_ms {
                let event = if spec.is_fast() {
                    "fast-command"
                } else {
                    "command"
                };
                server.latency.add(event, took_ms);
            }
        }
        // EXEC is left out, as in Redis (which logs the transaction's commands instead).
        let slow = server
            .params
            .slowlog_log_slower_than_us()
            .is_some_and(|threshold_us| took_us >= threshold_us);
        if !slow || spec.name == "exec" {
            return;
        }
        let args = match args {
            Args::Whole(argv) => entry_args(spec.name, argv),
            Args::Kept(args) => args,
            Args::None => return,
        };
        let client = Client {
            peer: self.peer.to_string(),
            name: self.name.as_deref().unwrap_or_default(),
        };
        let id = server
            .slowlog
            .push(args, took_us, client, server.params.slowlog_max_len());
        tracing::info!(
            target: "redraft::slowlog",
            id,
            command = spec.name,
            micros = took_us,
            client = %self.peer,
            "slow command"
        );
    }

    /// A command refused before it ran (`spec` when its name is known).
    pub(crate) fn observe_refused(&self, spec: Option<&'static CommandSpec>, reply: &Reply) {
        self.count_errors(reply);
        if let Some(spec) = spec {
            self.server.command_stats.rejected(spec.name);
        }
    }

    /// Counts `reply` if it is an error; whether it was.
    fn count_errors(&self, reply: &Reply) -> bool {
        match reply {
            Reply::Error(line) => {
                self.server
                    .command_stats
                    .error(line.trim_start_matches('-'));
                true
            }
            _ => false,
        }
    }

    /// Arguments of a command about to be handed on, as the slow log would keep them.
    pub(crate) fn keep_args(&self, spec: &'static CommandSpec, argv: &[Vec<u8>]) -> Args<'static> {
        match self.server.params.slowlog_log_slower_than_us() {
            Some(_) => Args::Kept(entry_args(spec.name, argv)),
            None => Args::None,
        }
    }
}
