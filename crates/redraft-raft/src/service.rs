//! The gRPC server of a node: Raft's messages into the local Raft (the replication stream,
//! votes, snapshots, a leadership transfer); the leader's side of Forward, ReadIndex and Admin;
//! and the notice that a node was removed.

use openraft::async_runtime::WatchReceiver;
use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::RaftError;
use openraft::raft::{AppendEntriesRequest, TransferLeaderRequest, VoteRequest};
use redraft_engine::{Argv, Op, Run};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::admin::{self, AdminOp};
use crate::core::{Core, LeaderError};
use crate::error::AdminError;
use crate::network::{AppendAnswer, SnapshotHeader, SnapshotResult};
use crate::pb::raft_service_server::RaftService;
use crate::pb::{
    forward_response, read_index_response, AdminRequest, AdminResponse, Empty, ForwardRequest,
    ForwardResponse, NotLeader, RaftPayload, ReadIndex, ReadIndexResponse, RemovedNotice,
};
use crate::reply_stream::Pieces;
use crate::routing::to_failure;
use crate::types::{NodeId, Snapshot, TypeConfig};
use crate::write_batch::{run_bytes, within_batch};

pub struct Service {
    core: Arc<Core>,
    /// Becomes true when the node stops: the long-lived streams (replication, read indexes)
    /// end then, instead of holding the server's drain until the peer ends them.
    stop: watch::Receiver<bool>,
}

/// The rest of a snapshot's stream: exactly the `declared` bytes its header announced, which
/// must not exceed `bound`, each piece within `piece_time` of the one before. A peer's stream
/// can then neither grow the receiver's memory past either bound nor hold this task by going
/// quiet, and a stream cut short is refused here rather than handed to openraft.
async fn gather_snapshot<S>(
    pieces: &mut S,
    declared: u64,
    bound: u64,
    piece_time: Duration,
) -> Result<Vec<u8>, Status>
where
    S: Stream<Item = Result<RaftPayload, Status>> + Unpin,
{
    if declared > bound {
        return Err(Status::resource_exhausted(format!(
            "a snapshot of {declared} bytes is larger than this node could hold ({bound} bytes)"
        )));
    }
    let mut data = Vec::new();
    while let Some(piece) = next_piece(pieces, piece_time).await? {
        if (data.len() + piece.data.len()) as u64 > declared {
            return Err(Status::invalid_argument(format!(
                "the snapshot stream ran past its declared {declared} bytes"
            )));
        }
        if data.capacity() == 0 {
            // Once, when bytes come: no doubling past the declared size, and no abort when the
            // memory is not there.
            let size = usize::try_from(declared).unwrap_or(usize::MAX);
            data.try_reserve_exact(size).map_err(|e| {
                Status::resource_exhausted(format!("no room for a {declared}-byte snapshot: {e}"))
            })?;
        }
        data.extend_from_slice(&piece.data);
    }
    if data.len() as u64 != declared {
        return Err(Status::invalid_argument(format!(
            "the snapshot stream ended after {} of its {declared} bytes",
            data.len()
        )));
    }
    Ok(data)
}

/// The next message of a snapshot's stream, or its end; an error when none comes in `time`.
async fn next_piece<S>(pieces: &mut S, time: Duration) -> Result<Option<RaftPayload>, Status>
where
    S: Stream<Item = Result<RaftPayload, Status>> + Unpin,
{
    match tokio::time::timeout(time, pieces.next()).await {
        Ok(piece) => piece.transpose(),
        Err(_) => Err(Status::deadline_exceeded(format!(
            "no piece of the snapshot stream within {time:?}"
        ))),
    }
}

/// This machine's memory: a received snapshot larger than it could not be held to install.
fn memory_bytes() -> u64 {
    // SAFETY: sysconf only reads the system's configuration.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    match (u64::try_from(pages), u64::try_from(page)) {
        (Ok(pages), Ok(page)) if pages > 0 && page > 0 => pages.saturating_mul(page),
        _ => u64::MAX,
    }
}

/// A routed admin outcome as the leader-side shape (a forwarder only needs the distinction
/// between "done", "not leader" and "failed").
fn routed(
    result: Result<crate::pb::Members, AdminError>,
) -> Result<crate::pb::Members, admin::LeaderError> {
    result.map_err(LeaderError::Failed)
}

impl Service {
    pub fn new(core: Arc<Core>, stop: watch::Receiver<bool>) -> Service {
        Service { core, stop }
    }

    /// `stream`, ended when the node stops.
    fn until_stopped<S>(&self, stream: S) -> impl Stream<Item = S::Item> + Send + 'static
    where
        S: Stream + Send + 'static,
    {
        let mut stop = self.stop.clone();
        let stopped = async move {
            let _ = stop.wait_for(|&stop| stop).await;
        };
        futures_util::StreamExt::take_until(stream, Box::pin(stopped))
    }
}

fn to_bytes<T: Serialize>(value: &T) -> Result<prost::bytes::Bytes, Status> {
    postcard::to_allocvec(value)
        .map(Into::into)
        .map_err(|e| Status::internal(format!("encoding reply: {e}")))
}

/// One of openraft's messages from a peer (a single call's, or one of a stream's).
pub(crate) fn decode<T: DeserializeOwned>(payload: &RaftPayload) -> Result<T, Status> {
    postcard::from_bytes(&payload.data)
        .map_err(|e| Status::invalid_argument(format!("undecodable raft message: {e}")))
}

fn reply<T: Serialize>(result: &T) -> Result<Response<RaftPayload>, Status> {
    Ok(Response::new(RaftPayload {
        data: to_bytes(result)?,
    }))
}

/// A forwarded run is bounded as a client's is (`MAX_RUN_COMMANDS`, `MAX_RUN_BYTES`; one
/// larger command goes alone), whatever the peer that sends it.
fn check_run(cmds: &[Argv]) -> Result<(), Status> {
    let bytes: usize = cmds.iter().flatten().map(Vec::len).sum();
    let too_many = cmds.len() > crate::MAX_RUN_COMMANDS;
    let too_big = cmds.len() > 1 && bytes > crate::MAX_RUN_BYTES;
    if cmds.is_empty() || too_many || too_big {
        return Err(Status::invalid_argument(format!(
            "a forwarded run holds 1 to {} commands and, with more than one, at most {} bytes",
            crate::MAX_RUN_COMMANDS,
            crate::MAX_RUN_BYTES
        )));
    }
    Ok(())
}

/// The runs of a forward, once checked: each as a client's run (`check_run`), and together
/// within the bounds of one batched entry (a larger single run goes alone).
pub(crate) fn forwarded_runs(request: ForwardRequest) -> Result<Vec<Run>, Status> {
    let runs: Vec<Run> = request
        .runs
        .into_iter()
        .map(|run| Run {
            db: run.db,
            cmds: run
                .commands
                .into_iter()
                .map(|c| c.argv.into_iter().map(|arg| arg.to_vec()).collect())
                .collect(),
        })
        .collect();
    for run in &runs {
        check_run(&run.cmds)?;
    }
    let commands = runs.iter().map(|run| run.cmds.len()).sum();
    let bytes = runs.iter().map(run_bytes).sum();
    if runs.is_empty() || (runs.len() > 1 && !within_batch(commands, bytes)) {
        return Err(Status::invalid_argument(
            "a forward holds one run, or runs within the bounds of one log entry",
        ));
    }
    Ok(runs)
}

/// The answers of a replication stream (see `stream_append`).
pub type AppendStream =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<RaftPayload, Status>> + Send>>;

/// The requests of a replication stream, decoded, up to the first that cannot be: the stream
/// then ends, with the reason left in `refused` for the sender.
fn decoded_appends(
    messages: Streaming<RaftPayload>,
    refused: Arc<std::sync::Mutex<Option<Status>>>,
) -> impl Stream<Item = AppendEntriesRequest<TypeConfig>> + Send + 'static {
    messages.map_while(move |message| {
        let decoded = message.and_then(|message| decode(&message));
        decoded
            .map_err(|status| *refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(status))
            .ok()
    })
}

/// The answers of a follower's read-index stream.
pub type ReadIndexStream =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<ReadIndexResponse, Status>> + Send>>;

/// This leader's read index and time, or why it cannot give one.
async fn read_index_answer(core: &Core) -> ReadIndexResponse {
    let result = match core.leader_read_index().await {
        Ok((read_index, leader_now_ms)) => read_index_response::Result::Ok(ReadIndex {
            read_index,
            leader_now_ms,
        }),
        Err(LeaderError::NotLeader(leader)) => {
            read_index_response::Result::NotLeader(not_leader(leader))
        }
        Err(LeaderError::Failed(e)) => read_index_response::Result::Failure(to_failure(&e)),
    };
    ReadIndexResponse {
        result: Some(result),
    }
}

/// A forwarded run's answer: pieces of its replies, or one NotLeader or Failure.
pub type ForwardStream =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<ForwardResponse, Status>> + Send>>;

fn not_leader(leader_id: Option<NodeId>) -> NotLeader {
    NotLeader { leader_id }
}

#[tonic::async_trait]
impl RaftService for Service {
    type StreamAppendStream = AppendStream;

    /// Hands the leader's AppendEntries to openraft as they come (it takes each without
    /// waiting for the one before to be written) and streams its answers back in order.
    async fn stream_append(
        &self,
        request: Request<Streaming<RaftPayload>>,
    ) -> Result<Response<AppendStream>, Status> {
        let refused = Arc::new(std::sync::Mutex::new(None));
        // The requests end when the node stops (openraft's reader of them would otherwise hold
        // the HTTP/2 stream open for as long as they may come); the answers end with them.
        let requests = self.until_stopped(decoded_appends(request.into_inner(), refused.clone()));
        let answers = self.core.raft.stream_append(requests).map(|answer| {
            let answer: AppendAnswer = answer.map_err(|fatal| fatal.to_string());
            Ok(RaftPayload {
                data: to_bytes(&answer)?,
            })
        });
        // After the answers owed: why the stream was refused, if it was.
        let refusal = tokio_stream::once(()).filter_map(move |()| {
            let why = refused.lock().unwrap_or_else(|e| e.into_inner()).take();
            why.map(Err)
        });
        Ok(Response::new(Box::pin(answers.chain(refusal))))
    }

    async fn vote(&self, request: Request<RaftPayload>) -> Result<Response<RaftPayload>, Status> {
        let rpc: VoteRequest<TypeConfig> = decode(&request.into_inner())?;
        reply(&self.core.raft.vote(rpc).await)
    }

    async fn pre_vote(
        &self,
        request: Request<RaftPayload>,
    ) -> Result<Response<RaftPayload>, Status> {
        let rpc: VoteRequest<TypeConfig> = decode(&request.into_inner())?;
        reply(&self.core.raft.pre_vote(rpc).await)
    }

    /// Gathers the streamed snapshot (`gather_snapshot`), then hands it to openraft whole
    /// (which checks the vote).
    async fn install_snapshot(
        &self,
        request: Request<Streaming<RaftPayload>>,
    ) -> Result<Response<RaftPayload>, Status> {
        let mut stream = request.into_inner();
        // The sender gives each message the request timeout (network.rs).
        let piece_time = self.core.config.request_timeout;
        let first = next_piece(&mut stream, piece_time)
            .await?
            .ok_or_else(|| Status::invalid_argument("a snapshot stream without its header"))?;
        let (vote, meta, len): SnapshotHeader = postcard::from_bytes(&first.data)
            .map_err(|e| Status::invalid_argument(format!("undecodable snapshot header: {e}")))?;
        let data = gather_snapshot(&mut stream, len, memory_bytes(), piece_time).await?;
        let snapshot = Snapshot {
            meta,
            snapshot: Cursor::new(data),
        };
        let installed: SnapshotResult = self
            .core
            .raft
            .install_full_snapshot(vote, snapshot)
            .await
            .map_err(|fatal| fatal.to_string());
        reply(&installed)
    }

    type ForwardStream = ForwardStream;

    /// Proposes the runs as one entry and streams their replies back in pieces
    /// (`reply_stream`).
    async fn forward(
        &self,
        request: Request<ForwardRequest>,
    ) -> Result<Response<ForwardStream>, Status> {
        let runs = forwarded_runs(request.into_inner())?;
        let deadline = Instant::now() + self.core.config.request_timeout;
        let one = |result| {
            let message = ForwardResponse {
                result: Some(result),
            };
            Box::pin(tokio_stream::iter([Ok(message)])) as ForwardStream
        };
        let stream = match self.core.propose(Op::Batch { runs }, deadline).await {
            Ok(replies) => Box::pin(tokio_stream::iter(Pieces::new(replies).map(|piece| {
                piece
                    .map(|piece| ForwardResponse {
                        result: Some(forward_response::Result::Piece(piece)),
                    })
                    .map_err(|e| Status::internal(format!("encoding a reply: {e}")))
            }))) as ForwardStream,
            Err(LeaderError::NotLeader(leader)) => {
                one(forward_response::Result::NotLeader(not_leader(leader)))
            }
            Err(LeaderError::Failed(e)) => one(forward_response::Result::Failure(to_failure(&e))),
        };
        Ok(Response::new(stream))
    }

    type ReadIndexStream = ReadIndexStream;

    /// Answers each request of the follower's stream in turn with a read index fixed after
    /// the request arrived.
    async fn read_index(
        &self,
        request: Request<Streaming<Empty>>,
    ) -> Result<Response<ReadIndexStream>, Status> {
        let core = self.core.clone();
        let answers = request.into_inner().then(move |request| {
            let core = core.clone();
            async move {
                request?;
                Ok(read_index_answer(&core).await)
            }
        });
        Ok(Response::new(Box::pin(self.until_stopped(answers))))
    }

    async fn admin(
        &self,
        request: Request<AdminRequest>,
    ) -> Result<Response<AdminResponse>, Status> {
        let request = request.into_inner();
        let forwarded = request.forwarded;
        let op = AdminOp::from_request(request)
            .ok_or_else(|| Status::invalid_argument("admin request without an operation"))?;
        let result = if forwarded {
            let deadline = Instant::now() + admin::ADMIN_TIMEOUT;
            admin::run_on_leader(&self.core, &op, deadline).await
        } else {
            routed(admin::route(&self.core, op).await)
        };
        Ok(Response::new(AdminResponse {
            result: Some(admin::to_response(result)),
        }))
    }

    /// The leader's transfer of its leadership (openraft's): a node stopping or removed takes
    /// no part.
    async fn transfer_leader(
        &self,
        request: Request<RaftPayload>,
    ) -> Result<Response<RaftPayload>, Status> {
        if self.core.check_serving().is_err() {
            return Err(Status::failed_precondition(
                "this node takes no part in a leadership transfer",
            ));
        }
        let req: TransferLeaderRequest<TypeConfig> = decode(&request.into_inner())?;
        tracing::info!(to = %req.to_node_id(), "the leader hands its leadership over");
        let handled = self.core.raft.handle_transfer_leader(req).await;
        reply(&handled.map_err(RaftError::<TypeConfig>::Fatal))
    }

    async fn notify_removed(
        &self,
        request: Request<RemovedNotice>,
    ) -> Result<Response<Empty>, Status> {
        let notice = request.into_inner();
        if notice.node_id != self.core.id {
            return Ok(Response::new(Empty {}));
        }
        // Honoured only from the leader this node knows, in the term it knows: a stale or
        // stray notice must not take a member out of service.
        let (leader, term) = {
            let metrics = self.core.raft.metrics();
            let metrics = metrics.borrow_watched();
            (metrics.current_leader, metrics.current_term)
        };
        if leader != Some(notice.leader_id) || term != notice.term {
            tracing::warn!(
                from = notice.leader_id,
                term = notice.term,
                "ignored a removal notice that does not come from the current leader"
            );
            return Err(Status::failed_precondition(
                "a removal notice must come from the current leader",
            ));
        }
        admin::mark_removed(&self.core);
        Ok(Response::new(Empty {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(sizes: &[usize]) -> impl Stream<Item = Result<RaftPayload, Status>> + Unpin {
        let messages: Vec<_> = sizes
            .iter()
            .map(|&n| {
                Ok(RaftPayload {
                    data: vec![7; n].into(),
                })
            })
            .collect();
        tokio_stream::iter(messages)
    }

    const PIECE_TIME: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn a_snapshot_of_its_declared_length_is_gathered_whole() {
        let data = gather_snapshot(&mut pieces(&[4, 4, 2]), 10, 100, PIECE_TIME)
            .await
            .unwrap();
        assert_eq!(data, vec![7; 10]);
        assert_eq!(data.capacity(), 10, "reserved once, exactly");
        let empty = gather_snapshot(&mut pieces(&[]), 0, 100, PIECE_TIME)
            .await
            .unwrap();
        assert!(empty.is_empty());
    }

    #[tokio::test]
    async fn a_snapshot_longer_shorter_or_larger_than_allowed_is_refused() {
        let longer = gather_snapshot(&mut pieces(&[4, 4, 4]), 10, 100, PIECE_TIME).await;
        assert!(longer.is_err_and(|s| s.message().contains("ran past")));
        let shorter = gather_snapshot(&mut pieces(&[4]), 10, 100, PIECE_TIME).await;
        assert!(shorter.is_err_and(|s| s.message().contains("ended after 4 of its 10")));
        let too_big = gather_snapshot(&mut pieces(&[4]), 101, 100, PIECE_TIME).await;
        assert!(too_big.is_err_and(|s| s.code() == tonic::Code::ResourceExhausted));
    }

    #[tokio::test]
    async fn a_snapshot_stream_that_goes_quiet_is_given_up() {
        let mut quiet = pieces(&[4]).chain(tokio_stream::pending());
        let outcome = gather_snapshot(&mut quiet, 10, 100, Duration::from_millis(50)).await;
        assert!(outcome.is_err_and(|s| s.code() == tonic::Code::DeadlineExceeded));
    }

    #[test]
    fn the_bound_is_the_machines_memory() {
        let memory = memory_bytes();
        assert!(memory > 64 << 20 && memory < u64::MAX, "{memory}");
    }
}
