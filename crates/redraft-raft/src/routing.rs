//! Running a request on the leader from any node: the loop that finds the leader and follows
//! it as leadership moves, a follower's calls to it (Forward and ReadIndex), and how each
//! failure is classified (retry, or give the client an error).

use std::future::Future;
use std::time::Duration;

use redraft_engine::{Reply, Run};
use tokio::time::Instant;

use crate::core::{Core, LeaderError};
use crate::error::ClusterError;
use crate::pb::{
    failure, forward_response, read_index_response, Command, Failure, ForwardRequest, ForwardRun,
};
use crate::peers::Call;
use crate::read_link::LinkError;
use crate::reply_stream::Assembler;
use crate::stats::RaftStats;
use crate::write_batch::Outcome;

/// The outcome of one attempt against the node believed to lead.
pub enum Attempt<T, E = ClusterError> {
    Done(T),
    /// Nothing happened on the leader (not leader, or never connected): try again.
    Retry(String),
    /// A leader answered but could not confirm that it still leads. Only a read, which changes
    /// nothing, says so: it is tried again, and at the deadline its outcome is "try again",
    /// not "no leader".
    Unconfirmed(String),
    Failed(E),
}

impl<T, E> Attempt<T, E> {
    /// The attempt made on this node: one that found it no longer leads is made again.
    pub fn here(result: Result<T, LeaderError<E>>) -> Self {
        match result {
            Ok(value) => Attempt::Done(value),
            Err(LeaderError::NotLeader(_)) => Attempt::Retry("lost leadership".into()),
            Err(LeaderError::Failed(e)) => Attempt::Failed(e),
        }
    }
}

/// Where the node believed to lead is.
pub enum Leader {
    Here,
    /// Another node, at this Raft address.
    At(String),
}

/// Runs `attempt` on the leader, looking for the leader again after every attempt that says
/// nothing happened, until one is done or fails, or `deadline` comes. Whether a failure may
/// be retried is the attempt's to say: a forwarded write whose outcome is unknown never is.
pub async fn on_leader<T, E, Fut>(
    core: &Core,
    deadline: Instant,
    mut attempt: impl FnMut(Leader) -> Fut,
) -> Result<T, E>
where
    E: From<ClusterError>,
    Fut: Future<Output = Attempt<T, E>>,
{
    loop {
        let (leader, addr) = core.wait_leader(deadline).await?;
        let leader = if leader == core.id {
            Leader::Here
        } else {
            Leader::At(addr)
        };
        match attempt(leader).await {
            Attempt::Done(value) => return Ok(value),
            Attempt::Failed(e) => return Err(e),
            Attempt::Retry(why) => {
                let late =
                    || ClusterError::NoLeader(format!("no reachable leader in time ({why})"));
                pause(RETRY_PAUSE, deadline, late).await?;
            }
            Attempt::Unconfirmed(why) => {
                let late = || ClusterError::Unknown(format!("read not confirmed in time ({why})"));
                pause(RETRY_PAUSE, deadline, late).await?;
            }
        }
    }
}

/// Pause between attempts while leadership settles.
const RETRY_PAUSE: Duration = Duration::from_millis(20);

/// Sleeps for `pause` before another attempt, or fails with `late()` if the deadline would
/// come first.
pub async fn pause(
    pause: Duration,
    deadline: Instant,
    late: impl FnOnce() -> ClusterError,
) -> Result<(), ClusterError> {
    if Instant::now() + pause >= deadline {
        return Err(late());
    }
    tokio::time::sleep(pause).await;
    Ok(())
}

/// Why a forward got no replies.
#[derive(Clone, Debug)]
pub enum Unforwarded {
    /// Nothing reached a leader (no connection, or the peer does not lead): try again.
    Retry(String),
    /// The leader refused the runs, or their outcome is unknown: never sent again.
    Failed(ClusterError),
}

impl From<ClusterError> for Unforwarded {
    fn from(e: ClusterError) -> Self {
        Unforwarded::Failed(e)
    }
}

impl Attempt<Vec<Reply>> {
    /// A grouped forward's attempt as the answer each of its runs gets ...
    pub fn into_forward_outcome(self) -> Outcome<Unforwarded> {
        match self {
            Attempt::Done(replies) => Ok(replies),
            Attempt::Retry(why) | Attempt::Unconfirmed(why) => Err(Unforwarded::Retry(why)),
            Attempt::Failed(e) => Err(Unforwarded::Failed(e)),
        }
    }

    /// ... and that answer as the attempt of its client, which retries when nothing reached a
    /// leader.
    pub fn of_forward(outcome: Outcome<Unforwarded>) -> Self {
        match outcome {
            Ok(replies) => Attempt::Done(replies),
            Err(Unforwarded::Retry(why)) => Attempt::Retry(why),
            Err(Unforwarded::Failed(e)) => Attempt::Failed(e),
        }
    }
}

/// Sends write runs to the leader at `addr`, to be applied as one entry; the replies are every
/// run's in turn. A request that may have reached the leader is never sent again: a lost
/// reply becomes [`ClusterError::Unknown`].
pub async fn forward_runs(
    core: &Core,
    addr: &str,
    runs: Vec<Run>,
    deadline: Instant,
) -> Attempt<Vec<Reply>> {
    let commands = runs.iter().map(|run| run.cmds.len()).sum();
    RaftStats::add(&core.stats.forwarded_writes, runs.len() as u64);
    RaftStats::count(&core.stats.forwards);
    // The arguments move into the message (a `Vec<u8>` becomes `Bytes` without a copy).
    let runs_sent = runs
        .into_iter()
        .map(|run| ForwardRun {
            db: run.db,
            commands: run
                .cmds
                .into_iter()
                .map(|argv| Command {
                    argv: argv.into_iter().map(Into::into).collect(),
                })
                .collect(),
        })
        .collect();
    let request = ForwardRequest { runs: runs_sent };
    let call = core
        .peers
        .call(addr, request, deadline, async |c, r| c.forward(r).await);
    let mut stream = match call.await {
        Call::Answered(stream) => stream,
        Call::NeverSent(unsent) => return Attempt::Retry(unsent.to_string()),
        Call::Failed(status) => {
            return Attempt::Failed(unknown(&format!("forwarded write failed: {status}")))
        }
        Call::TimedOut => return Attempt::Failed(unknown("forwarded write timed out")),
    };
    // The leader answered in time: its replies are taken to the end, however long they take
    // to come, as long as they keep coming.
    let mut replies = Assembler::new(commands);
    loop {
        let message = match tokio::time::timeout(PIECE_TIMEOUT, stream.message()).await {
            Ok(Ok(Some(message))) => message,
            Ok(Ok(None)) => break,
            Ok(Err(status)) => {
                return Attempt::Failed(unknown(&format!("forwarded write failed: {status}")))
            }
            Err(_) => return Attempt::Failed(unknown("the leader's replies stopped coming")),
        };
        let first = !replies.started();
        match message.result {
            Some(forward_response::Result::Piece(piece)) => {
                if let Err(why) = replies.push(piece) {
                    return Attempt::Failed(unknown(&format!("replies from the leader: {why}")));
                }
            }
            Some(forward_response::Result::NotLeader(_)) if first => {
                return Attempt::Retry("peer is not the leader".into())
            }
            // The leader checks that it is stopping before proposing anything.
            Some(forward_response::Result::Failure(f))
                if first && f.kind == failure::Kind::ShuttingDown as i32 =>
            {
                return Attempt::Retry("leader is stopping".into())
            }
            Some(forward_response::Result::Failure(f)) if first => {
                return Attempt::Failed(failure_error(f))
            }
            _ => return Attempt::Failed(unknown("malformed forward response")),
        }
    }
    match replies.finish() {
        Ok(replies) => Attempt::Done(replies),
        Err(why) => Attempt::Failed(unknown(&format!("replies from the leader: {why}"))),
    }
}

/// Longest wait for the next piece of a forwarded run's replies once the leader answered.
const PIECE_TIMEOUT: Duration = Duration::from_secs(10);

/// Asks the leader at `addr` for a read index and its time. Reads change nothing, so every
/// transport failure may be retried.
pub async fn remote_read_index(core: &Core, addr: &str, deadline: Instant) -> Attempt<(u64, u64)> {
    RaftStats::count(&core.stats.forwarded_reads);
    let response = match core.read_link.ask(&core.peers, addr, deadline).await {
        Ok(response) => response,
        Err(LinkError::Broken(why)) => return Attempt::Retry(why),
        Err(LinkError::TimedOut) => {
            return Attempt::Failed(ClusterError::NoLeader(
                "read index request timed out".into(),
            ))
        }
    };
    match response.result {
        Some(read_index_response::Result::Ok(ok)) => {
            Attempt::Done((ok.read_index, ok.leader_now_ms))
        }
        Some(read_index_response::Result::NotLeader(_)) => {
            Attempt::Retry("peer is not the leader".into())
        }
        Some(read_index_response::Result::Failure(f)) => Attempt::Failed(failure_error(f)),
        None => Attempt::Retry("empty read index response".into()),
    }
}

fn unknown(message: &str) -> ClusterError {
    ClusterError::Unknown(message.to_string())
}

pub fn failure_error(failure: Failure) -> ClusterError {
    let message = failure.message;
    match failure::Kind::try_from(failure.kind) {
        Ok(failure::Kind::NoLeader) => ClusterError::NoLeader(message),
        // The leader is stopping, so this node's client gets "try again", not "shutting down".
        Ok(failure::Kind::ShuttingDown) => {
            ClusterError::NoLeader(format!("leader stopping: {message}"))
        }
        Ok(failure::Kind::Fatal) => ClusterError::Unknown(format!("leader failed: {message}")),
        Ok(failure::Kind::Unknown) | Err(_) => ClusterError::Unknown(message),
    }
}

pub fn to_failure(error: &ClusterError) -> Failure {
    let kind = match error {
        // A removed node applied nothing; its peer should look elsewhere.
        ClusterError::NoLeader(_) | ClusterError::Removed => failure::Kind::NoLeader,
        ClusterError::Unknown(_) => failure::Kind::Unknown,
        ClusterError::ShuttingDown => failure::Kind::ShuttingDown,
        ClusterError::Fatal(_) => failure::Kind::Fatal,
    };
    Failure {
        kind: kind as i32,
        message: error.to_string(),
    }
}
