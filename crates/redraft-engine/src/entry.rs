//! What one Raft log entry asks the state machine to do (the log's application payload).

use serde::{Deserialize, Serialize};

/// One client command: the command name followed by its arguments, as the client sent them.
pub type Argv = Vec<Vec<u8>>;

/// The application data of one log entry. Stamped by the leader: `now_ms` is the leader's
/// wall-clock time when it proposed the entry; the engine never lets its own time go backwards
/// (it uses the maximum of this and every earlier entry's time).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogCommand {
    pub now_ms: u64,
    pub op: Op,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Write commands from one connection, applied in order with no other entry between them
    /// (a pipelined run of writes becomes one entry). One reply per command.
    Commands { db: u32, cmds: Vec<Argv> },
    /// Runs of write commands from several connections, merged by the leader into one entry
    /// so that concurrent clients share one trip through the log. Each run keeps its own
    /// database; replies come back in order, run after run.
    Batch { runs: Vec<Run> },
    /// Delete up to `max_keys` keys whose deadline is at or before `now_ms`. Proposed by the
    /// leader so that expiry is decided once, in the log. Replies with nothing.
    ExpireSweep { max_keys: u32 },
}

/// One connection's run of write commands inside an [`Op::Batch`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub db: u32,
    pub cmds: Vec<Argv>,
}
