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
#[serde(try_from = "WireOp", into = "WireOp")]
pub enum Op {
    /// Runs of write commands, from one connection or merged by the leader from several so
    /// that concurrent clients share one trip through the log. A run is applied in order with
    /// no other command between its commands; each run keeps its own database; replies come
    /// back in order, run after run.
    Batch { runs: Vec<Run> },
    /// Delete up to `max_keys` keys whose deadline is at or before `now_ms`. Proposed by the
    /// leader so that expiry is decided once, in the log. Replies with nothing.
    ExpireSweep { max_keys: u32 },
}

/// [`Op`] as the log stores it. The tag is the variant's position, so a retired variant keeps
/// its place: position 0 held one connection's run before every run became a batch, and logs
/// written then must still decode with their batches and sweeps at 1 and 2.
#[derive(Clone, Serialize, Deserialize)]
enum WireOp {
    RetiredSingleRun,
    Batch { runs: Vec<Run> },
    ExpireSweep { max_keys: u32 },
}

impl TryFrom<WireOp> for Op {
    type Error = &'static str;

    fn try_from(wire: WireOp) -> Result<Op, Self::Error> {
        match wire {
            WireOp::RetiredSingleRun => Err("a log entry of the retired single-run kind"),
            WireOp::Batch { runs } => Ok(Op::Batch { runs }),
            WireOp::ExpireSweep { max_keys } => Ok(Op::ExpireSweep { max_keys }),
        }
    }
}

impl From<Op> for WireOp {
    fn from(op: Op) -> WireOp {
        match op {
            Op::Batch { runs } => WireOp::Batch { runs },
            Op::ExpireSweep { max_keys } => WireOp::ExpireSweep { max_keys },
        }
    }
}

impl LogCommand {
    /// An entry of one run of commands in database `db`.
    pub fn run(now_ms: u64, db: u32, cmds: Vec<Argv>) -> LogCommand {
        LogCommand {
            now_ms,
            op: Op::Batch {
                runs: vec![Run { db, cmds }],
            },
        }
    }
}

/// One connection's run of write commands inside an [`Op::Batch`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub db: u32,
    pub cmds: Vec<Argv>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log entry as versions before the retirement of the single-run op wrote it.
    #[derive(Serialize)]
    enum EarlierOp {
        Commands { db: u32, cmds: Vec<Argv> },
        Batch { runs: Vec<Run> },
        ExpireSweep { max_keys: u32 },
    }

    #[derive(Serialize)]
    struct EarlierLogCommand {
        now_ms: u64,
        op: EarlierOp,
    }

    fn decode(op: EarlierOp) -> Result<LogCommand, postcard::Error> {
        let bytes = postcard::to_stdvec(&EarlierLogCommand { now_ms: 7, op }).unwrap();
        postcard::from_bytes(&bytes)
    }

    #[test]
    fn entries_written_before_the_retired_op_still_decode() {
        let cmds = vec![vec![b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()]];
        let runs = vec![Run {
            db: 2,
            cmds: cmds.clone(),
        }];
        let batch = decode(EarlierOp::Batch { runs: runs.clone() }).unwrap();
        assert_eq!(
            batch,
            LogCommand {
                now_ms: 7,
                op: Op::Batch { runs }
            }
        );
        let sweep = decode(EarlierOp::ExpireSweep { max_keys: 9 }).unwrap();
        assert_eq!(sweep.op, Op::ExpireSweep { max_keys: 9 });
        assert!(decode(EarlierOp::Commands { db: 0, cmds }).is_err());
        let entry = LogCommand::run(3, 1, vec![vec![b"PING".to_vec()]]);
        let again: LogCommand =
            postcard::from_bytes(&postcard::to_stdvec(&entry).unwrap()).unwrap();
        assert_eq!(again, entry);
    }
}
