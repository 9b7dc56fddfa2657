//! openraft's network over gRPC: each Raft message is postcard-encoded into a `RaftPayload`
//! (see proto/redraft.proto), and the reply carries the remote `Result` the same way.
//! Replication to a follower is one long-lived stream each way: AppendEntries go out as
//! openraft makes them, without a call (HTTP/2 stream, headers, server task) per message and
//! without waiting for the answers of those before. A snapshot travels as one client stream:
//! its vote, metadata and length, then its bytes in pieces.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use openraft::base::{BoxFuture, BoxStream};
use openraft::error::{
    NetworkError, RPCError, RaftError, ReplicationClosed, StreamingError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, StreamAppendError,
    StreamAppendResult, TransferLeaderRequest, TransferLeaderResponse, VoteRequest, VoteResponse,
};
use openraft::{OptionalSend, RaftNetworkV2};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_stream::{Stream, StreamExt};

use crate::config::NodeConfig;
use crate::cut_stream::cut_stream;
use crate::pb::RaftPayload;
use crate::peers::{self, Client, Peers};
use crate::types::{LogId, Node, NodeId, Snapshot, SnapshotData, SnapshotMeta, TypeConfig, Vote};

/// Bytes of snapshot per message of the stream (well under the gRPC message bound).
pub(crate) const SNAPSHOT_PIECE_BYTES: usize = 1 << 20;

/// The first message of a snapshot's stream: the vote, the metadata, and the snapshot's length
/// in bytes (the receiver takes exactly that many, and refuses more than it could hold).
pub(crate) type SnapshotHeader = (Vote, SnapshotMeta, u64);

/// What the receiver of a snapshot answers: openraft's response, or why it could not install.
pub(crate) type SnapshotResult = Result<SnapshotResponse<TypeConfig>, String>;

/// What a follower answers to each AppendEntries of a stream, in order: openraft's result, or
/// why its Raft stopped.
pub(crate) type AppendAnswer = Result<StreamAppendResult<TypeConfig>, String>;

/// The answers of one AppendEntries stream, as openraft takes them.
type AppendResults = BoxStream<'static, RpcResult<StreamAppendResult<TypeConfig>>>;

/// Makes one [`PeerClient`] per replication target, sharing the node's channels.
pub struct NetworkFactory {
    peers: Arc<Peers>,
    /// The node's configuration, for the address to dial for each peer.
    config: NodeConfig,
    commit_told: Arc<AtomicU64>,
}

impl NetworkFactory {
    /// `commit_told` is kept at the greatest commit index any AppendEntries carried, raised
    /// before the message goes out: a follower can apply nothing past it (the leader's lease
    /// reads take it into their index, `read_index.rs`).
    pub fn new(
        peers: Arc<Peers>,
        config: NodeConfig,
        commit_told: Arc<AtomicU64>,
    ) -> NetworkFactory {
        NetworkFactory {
            peers,
            config,
            commit_told,
        }
    }
}

pub struct PeerClient {
    target: NodeId,
    /// The client, or why none could be made (a malformed address): reported as unreachable.
    client: Result<Client, String>,
    commit_told: Arc<AtomicU64>,
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = PeerClient;

    async fn new_client(&mut self, target: NodeId, node: &Node) -> PeerClient {
        PeerClient {
            target,
            client: self.peers.client(self.config.peer_addr(target, &node.addr)),
            commit_told: self.commit_told.clone(),
        }
    }
}

#[derive(Clone, Copy)]
enum Rpc {
    Vote,
    PreVote,
    TransferLeader,
}

/// Error text for openraft's error wrappers, which need a `std::error::Error`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Message(String);

type RpcResult<T> = Result<T, RPCError<TypeConfig>>;

impl PeerClient {
    fn client(&self) -> RpcResult<Client> {
        self.client
            .clone()
            .map_err(|why| RPCError::Unreachable(Unreachable::new(&Message(why))))
    }

    async fn call<Req, Resp>(&mut self, rpc: Rpc, request: &Req, ttl: Duration) -> RpcResult<Resp>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
    {
        let mut client = self.client()?;
        let data = postcard::to_allocvec(request).map_err(|e| network_error(&e))?;
        let mut request = tonic::Request::new(RaftPayload { data: data.into() });
        request.set_timeout(ttl);
        let reply = match rpc {
            Rpc::Vote => client.vote(request).await,
            Rpc::PreVote => client.pre_vote(request).await,
            Rpc::TransferLeader => client.transfer_leader(request).await,
        };
        let payload = reply.map_err(status_error)?.into_inner();
        let remote: Result<Resp, RaftError<TypeConfig>> =
            postcard::from_bytes(&payload.data).map_err(|e| network_error(&e))?;
        remote.map_err(|e| remote_failure(self.target, &e))
    }

    /// Opens the stream of AppendEntries to the target: each request is sent as openraft makes
    /// it, and the answers come back in the order of the requests. While any answer is owed,
    /// a wait of `ttl` for the next one fails the stream (a paused or cut-off follower); an
    /// idle stream waits without bound for the leader's next request. The requests end, and
    /// are dropped, when the answers end or are dropped (`cut_stream`).
    async fn open_append_stream<S>(&mut self, input: S, ttl: Duration) -> RpcResult<AppendResults>
    where
        S: Stream<Item = AppendEntriesRequest<TypeConfig>> + Send + Unpin + 'static,
    {
        let mut client = self.client()?;
        let owed = Arc::new(AtomicU64::new(0));
        let (sent, told) = (owed.clone(), self.commit_told.clone());
        let (input, cutter) = cut_stream(input);
        // Ends the stream when a request cannot be encoded: openraft opens a new one, from
        // what the follower holds.
        let requests = input.map_while(move |rpc| outgoing_append(&rpc, &sent, &told));
        let answers = tokio::time::timeout(ttl, client.stream_append(requests))
            .await
            .map_err(|_| {
                network_error(&Message(format!(
                    "no answer to a new stream within {ttl:?}"
                )))
            })?
            .map_err(status_error)?
            .into_inner();
        let target = self.target;
        let results = futures_util::stream::unfold(Some((answers, cutter)), move |link| {
            let owed = owed.clone();
            async move {
                let (answers, cutter) = link?;
                let (result, answers) =
                    next_append_result(Some(answers), owed, ttl, target).await?;
                Some((result, answers.map(|answers| (answers, cutter))))
            }
        });
        Ok(Box::pin(results))
    }

    /// Streams the snapshot: its header, then its bytes in pieces.
    async fn send_snapshot(
        &mut self,
        vote: Vote,
        snapshot: Snapshot,
        ttl: Duration,
    ) -> RpcResult<SnapshotResponse<TypeConfig>> {
        let mut client = self.client()?;
        // Pieces are views of the one buffer, made as the stream is sent: no second copy.
        let data = prost::bytes::Bytes::from(snapshot.snapshot.into_inner());
        let header: SnapshotHeader = (vote, snapshot.meta, data.len() as u64);
        let header = postcard::to_allocvec(&header).map_err(|e| network_error(&e))?;
        let pieces = data.len().div_ceil(SNAPSHOT_PIECE_BYTES);
        let piece = move |i: usize| {
            let start = i * SNAPSHOT_PIECE_BYTES;
            data.slice(start..(start + SNAPSHOT_PIECE_BYTES).min(data.len()))
        };
        let messages = std::iter::once(prost::bytes::Bytes::from(header))
            .chain((0..pieces).map(piece))
            .map(|data| RaftPayload { data });
        let mut request = tonic::Request::new(tokio_stream::iter(messages));
        // Each piece may take the per-message time.
        request.set_timeout(ttl.saturating_mul(pieces.max(1) as u32));
        let reply = client.install_snapshot(request).await;
        let payload = reply.map_err(status_error)?.into_inner();
        let remote: SnapshotResult =
            postcard::from_bytes(&payload.data).map_err(|e| network_error(&e))?;
        remote.map_err(|e| remote_failure(self.target, &e))
    }
}

/// A peer that cannot be connected to is unreachable (openraft backs off before retrying);
/// any other transport failure is a network error (retried at once).
fn status_error(status: tonic::Status) -> RPCError<TypeConfig> {
    if peers::never_sent(&status) {
        RPCError::Unreachable(Unreachable::new(&status))
    } else {
        network_error(&status)
    }
}

/// The peer's Raft stopped (its only error for these calls): back off as from an unreachable
/// peer.
fn remote_failure(target: NodeId, e: &dyn std::fmt::Display) -> RPCError<TypeConfig> {
    RPCError::Unreachable(Unreachable::new(&Message(format!("node {target}: {e}"))))
}

/// A transport or encoding failure: openraft retries at once.
fn network_error<E: std::error::Error + 'static>(e: &E) -> RPCError<TypeConfig> {
    RPCError::Network(NetworkError::new(e))
}

/// `rpc` as it goes on the stream. First the commit index it tells is noted in `told` (a
/// follower may apply up to it once it arrives) and the request counted in `owed`; None when
/// it cannot be encoded.
fn outgoing_append(
    rpc: &AppendEntriesRequest<TypeConfig>,
    owed: &AtomicU64,
    told: &AtomicU64,
) -> Option<RaftPayload> {
    let data = postcard::to_allocvec(rpc)
        .map_err(|e| tracing::error!(error = %e, "could not encode an AppendEntries request"))
        .ok()?;
    let commit = rpc.leader_commit.map_or(0, |commit| commit.index);
    note_outgoing_append(commit, owed, told);
    Some(RaftPayload { data: data.into() })
}

/// Notes a request about to leave: the `commit` index it tells (kept in `told` at its
/// greatest) and one more answer `owed`.
pub(crate) fn note_outgoing_append(commit: u64, owed: &AtomicU64, told: &AtomicU64) {
    told.fetch_max(commit, Ordering::AcqRel);
    owed.fetch_add(1, Ordering::Relaxed);
}

/// The next answer of an AppendEntries stream and the stream to go on with: none after an
/// error, so that openraft opens a new one. `owed` counts the requests sent and not yet
/// answered: while it is not zero, `ttl` without an answer is an error.
async fn next_append_result<S>(
    answers: Option<S>,
    owed: Arc<AtomicU64>,
    ttl: Duration,
    target: NodeId,
) -> Option<(RpcResult<StreamAppendResult<TypeConfig>>, Option<S>)>
where
    S: Stream<Item = Result<RaftPayload, tonic::Status>> + Unpin,
{
    let mut answers = answers?;
    let answer = loop {
        match tokio::time::timeout(ttl, answers.next()).await {
            Ok(answer) => break answer?,
            Err(_) if owed.load(Ordering::Relaxed) == 0 => continue,
            Err(_) => {
                break Err(tonic::Status::deadline_exceeded(format!(
                    "no answer within {ttl:?}"
                )))
            }
        }
    };
    let result = match answer {
        Ok(payload) => decode_append_answer(&payload.data, target),
        Err(status) => Err(status_error(status)),
    };
    if result.is_ok() {
        // Saturating: an answer the follower sent unasked must not wrap the count.
        let _ = owed.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }
    let go_on = matches!(result, Ok(Ok(_)));
    Some((result, go_on.then_some(answers)))
}

/// One answer of a follower: openraft's result, or (its Raft stopped) unreachable for now.
fn decode_append_answer(data: &[u8], target: NodeId) -> RpcResult<StreamAppendResult<TypeConfig>> {
    let answer: AppendAnswer = postcard::from_bytes(data).map_err(|e| network_error(&e))?;
    answer.map_err(|e| remote_failure(target, &e))
}

/// The last log id a request carries (its previous one when it carries no entry).
fn last_log_id(rpc: &AppendEntriesRequest<TypeConfig>) -> Option<LogId> {
    rpc.entries
        .last()
        .map(|entry| entry.log_id)
        .or(rpc.prev_log_id)
}

/// openraft's one-request form of a stream's answer to a request that ends at `last`.
fn append_response(
    last: Option<LogId>,
    result: StreamAppendResult<TypeConfig>,
) -> AppendEntriesResponse<TypeConfig> {
    match result {
        Ok(matching) if matching == last => AppendEntriesResponse::Success,
        Ok(matching) => AppendEntriesResponse::PartialSuccess(matching),
        Err(StreamAppendError::Conflict(_)) => AppendEntriesResponse::Conflict,
        Err(StreamAppendError::HigherVote(vote)) => AppendEntriesResponse::HigherVote(vote),
    }
}

impl RaftNetworkV2<TypeConfig> for PeerClient {
    type SnapshotData = SnapshotData;

    /// One request as a stream of one (openraft itself sends only streams).
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<TypeConfig>> {
        let last = last_log_id(&rpc);
        let input = tokio_stream::once(rpc);
        let mut results = self.open_append_stream(input, option.hard_ttl()).await?;
        match results.next().await {
            Some(result) => Ok(append_response(last, result?)),
            None => Err(network_error(&Message(
                "the stream ended without an answer".into(),
            ))),
        }
    }

    fn stream_append<'s, S>(
        &'s mut self,
        input: S,
        option: RPCOption,
    ) -> BoxFuture<'s, RpcResult<BoxStream<'s, RpcResult<StreamAppendResult<TypeConfig>>>>>
    where
        S: Stream<Item = AppendEntriesRequest<TypeConfig>> + OptionalSend + Unpin + 'static,
    {
        Box::pin(async move {
            let results = self.open_append_stream(input, option.hard_ttl()).await?;
            Ok(results as BoxStream<'s, _>)
        })
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<TypeConfig>> {
        self.call(Rpc::Vote, &rpc, option.hard_ttl()).await
    }

    async fn pre_vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<TypeConfig>> {
        self.call(Rpc::PreVote, &rpc, option.hard_ttl()).await
    }

    async fn transfer_leader(
        &mut self,
        req: TransferLeaderRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<TransferLeaderResponse<TypeConfig>> {
        self.call(Rpc::TransferLeader, &req, option.hard_ttl())
            .await
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote,
        snapshot: Snapshot,
        cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        tokio::select! {
            sent = self.send_snapshot(vote, snapshot, option.hard_ttl()) => sent.map_err(streaming_error),
            closed = cancel => Err(StreamingError::Closed(closed)),
        }
    }
}

fn streaming_error(e: RPCError<TypeConfig>) -> StreamingError<TypeConfig> {
    match e {
        RPCError::Timeout(e) => StreamingError::Timeout(e),
        RPCError::Unreachable(e) => StreamingError::Unreachable(e),
        RPCError::Network(e) => StreamingError::Network(e),
        RPCError::RemoteError(e) => StreamingError::Network(NetworkError::new(&e)),
    }
}

#[cfg(test)]
mod tests {
    use openraft::vote::RaftLeaderId;
    use openraft::EntryPayload;

    use tonic::{Request, Response, Status};

    use super::*;
    use crate::cut_stream::tests::Held;
    use crate::pb::raft_service_server::{RaftService, RaftServiceServer};
    use crate::pb::{AdminRequest, AdminResponse, Empty, ForwardRequest, RemovedNotice};
    use crate::service::{AppendStream, ForwardStream, ReadIndexStream};
    use crate::types::{Entry, LeaderId};

    fn log_id(index: u64) -> LogId {
        LogId::new(LeaderId::new(1, 1).to_committed(), index)
    }

    fn request(prev: u64, entries: u64) -> AppendEntriesRequest<TypeConfig> {
        AppendEntriesRequest {
            vote: Vote::new(1, 1),
            prev_log_id: Some(log_id(prev)),
            leader_commit: None,
            entries: (prev + 1..=prev + entries)
                .map(|i| Entry {
                    log_id: log_id(i),
                    payload: EntryPayload::Blank,
                })
                .collect(),
        }
    }

    #[test]
    fn a_stream_answer_maps_to_the_one_request_answer() {
        let full = request(4, 3);
        let last = last_log_id(&full);
        assert_eq!(last, Some(log_id(7)));
        assert!(matches!(
            append_response(last, Ok(Some(log_id(7)))),
            AppendEntriesResponse::Success
        ));
        assert!(matches!(
            append_response(last, Ok(Some(log_id(5)))),
            AppendEntriesResponse::PartialSuccess(Some(id)) if id == log_id(5)
        ));
        assert!(matches!(
            append_response(last, Err(StreamAppendError::Conflict(log_id(4)))),
            AppendEntriesResponse::Conflict
        ));
        let higher = Vote::new(2, 2);
        assert!(matches!(
            append_response(last, Err(StreamAppendError::HigherVote(higher))),
            AppendEntriesResponse::HigherVote(v) if v == higher
        ));
        // A heartbeat (no entries) ends where it starts.
        assert_eq!(last_log_id(&request(9, 0)), Some(log_id(9)));
    }

    #[test]
    fn a_request_notes_the_commit_it_tells_before_it_leaves() {
        let (owed, told) = (AtomicU64::new(0), AtomicU64::new(0));
        let mut rpc = request(4, 3);
        rpc.leader_commit = Some(log_id(7));
        assert!(outgoing_append(&rpc, &owed, &told).is_some());
        assert_eq!(told.load(Ordering::Relaxed), 7);
        // An older commit (a slower stream) and a request without one leave the greatest.
        rpc.leader_commit = Some(log_id(5));
        assert!(outgoing_append(&rpc, &owed, &told).is_some());
        rpc.leader_commit = None;
        assert!(outgoing_append(&rpc, &owed, &told).is_some());
        assert_eq!(told.load(Ordering::Relaxed), 7);
        assert_eq!(owed.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn an_owed_answer_late_by_the_ttl_fails_the_stream_and_an_idle_one_waits() {
        let ttl = Duration::from_millis(50);
        let silent = || tokio_stream::pending::<Result<RaftPayload, tonic::Status>>();
        let owed = Arc::new(AtomicU64::new(1));
        let late = next_append_result(Some(silent()), owed, ttl, 2);
        let (late, rest) = tokio::time::timeout(ttl * 10, late)
            .await
            .expect("an owed answer is waited for no longer than the ttl")
            .unwrap();
        assert!(matches!(late, Err(RPCError::Network(_))), "{late:?}");
        assert!(rest.is_none(), "a failed stream is not gone on with");

        let idle = next_append_result(Some(silent()), Arc::new(AtomicU64::new(0)), ttl, 2);
        assert!(tokio::time::timeout(ttl * 4, idle).await.is_err());

        let answer: AppendAnswer = Ok(Ok(Some(log_id(3))));
        let message = RaftPayload {
            data: postcard::to_allocvec(&answer).unwrap().into(),
        };
        let owed = Arc::new(AtomicU64::new(1));
        let answers = tokio_stream::iter([Ok(message)]);
        let (answered, rest) = next_append_result(Some(answers), owed.clone(), ttl, 2)
            .await
            .unwrap();
        assert!(matches!(answered, Ok(Ok(Some(id))) if id == log_id(3)));
        assert!(rest.is_some());
        assert_eq!(owed.load(Ordering::Relaxed), 0);
    }

    /// A peer that reads every request of a replication stream and never answers.
    struct Silent;

    fn refused<T>() -> Result<T, tonic::Status> {
        Err(tonic::Status::unimplemented("not in this test"))
    }

    #[tonic::async_trait]
    impl RaftService for Silent {
        type StreamAppendStream = AppendStream;
        type ForwardStream = ForwardStream;
        type ReadIndexStream = ReadIndexStream;

        async fn stream_append(
            &self,
            request: tonic::Request<tonic::Streaming<RaftPayload>>,
        ) -> Result<tonic::Response<AppendStream>, tonic::Status> {
            let mut requests = request.into_inner();
            tokio::spawn(async move { while let Some(Ok(_)) = requests.next().await {} });
            Ok(tonic::Response::new(Box::pin(tokio_stream::pending())))
        }
        async fn vote(&self, _: Request<RaftPayload>) -> Result<Response<RaftPayload>, Status> {
            refused()
        }
        async fn pre_vote(&self, _: Request<RaftPayload>) -> Result<Response<RaftPayload>, Status> {
            refused()
        }
        async fn install_snapshot(
            &self,
            _: Request<tonic::Streaming<RaftPayload>>,
        ) -> Result<Response<RaftPayload>, Status> {
            refused()
        }
        async fn forward(
            &self,
            _: Request<ForwardRequest>,
        ) -> Result<Response<ForwardStream>, Status> {
            refused()
        }
        async fn read_index(
            &self,
            _: Request<tonic::Streaming<Empty>>,
        ) -> Result<Response<ReadIndexStream>, Status> {
            refused()
        }
        async fn admin(&self, _: Request<AdminRequest>) -> Result<Response<AdminResponse>, Status> {
            refused()
        }
        async fn transfer_leader(
            &self,
            _: Request<RaftPayload>,
        ) -> Result<Response<RaftPayload>, Status> {
            refused()
        }
        async fn notify_removed(
            &self,
            _: Request<RemovedNotice>,
        ) -> Result<Response<Empty>, Status> {
            refused()
        }
    }

    /// The gRPC client goes on polling a request stream whose answers were dropped (until the
    /// peer resets the call); openraft's requests wait for entries holding the replication's
    /// lock, so a session's requests must go when its answers do.
    #[tokio::test]
    async fn a_replication_streams_requests_are_dropped_with_its_answers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(RaftServiceServer::new(Silent))
                .serve_with_incoming(incoming),
        );
        let mut client = PeerClient {
            target: 2,
            client: Peers::for_tests().client(&addr.to_string()),
            commit_told: Arc::new(AtomicU64::new(0)),
        };
        let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // One request, then a wait for more that holds `held` (as openraft's holds its lock).
        let waiting = futures_util::stream::unfold(Held(dropped.clone()), |held| async move {
            std::future::pending::<()>().await;
            Some((request(7, 0), held))
        });
        let input = Box::pin(tokio_stream::once(request(4, 3)).chain(waiting));
        let ttl = Duration::from_millis(100);
        let mut results = client.open_append_stream(input, ttl).await.unwrap();
        let late = results.next().await.expect("an answer or an error");
        assert!(matches!(late, Err(RPCError::Network(_))), "{late:?}");
        assert!(results.next().await.is_none(), "a failed stream ends");
        drop(results);
        tokio::time::timeout(Duration::from_secs(5), async {
            while !dropped.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the requests are dropped with the answers");
    }

    #[test]
    fn a_stopped_follower_is_unreachable_and_a_garbled_answer_a_network_error() {
        let stopped: AppendAnswer = Err("raft stopped".into());
        let data = postcard::to_allocvec(&stopped).unwrap();
        assert!(matches!(
            decode_append_answer(&data, 2),
            Err(RPCError::Unreachable(_))
        ));
        assert!(matches!(
            decode_append_answer(&[0xff; 16], 2),
            Err(RPCError::Network(_))
        ));
        let fine: AppendAnswer = Ok(Ok(Some(log_id(3))));
        let data = postcard::to_allocvec(&fine).unwrap();
        assert!(matches!(decode_append_answer(&data, 2), Ok(Ok(Some(id))) if id == log_id(3)));
    }
}
