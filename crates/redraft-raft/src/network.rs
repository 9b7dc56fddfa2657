//! openraft's network over gRPC: each Raft message is postcard-encoded into a `RaftPayload`
//! (see proto/redraft.proto), and the reply carries the remote `Result` the same way. A
//! snapshot travels as one client stream: its vote, metadata and length, then its bytes in
//! pieces.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{
    NetworkError, RPCError, RaftError, ReplicationClosed, StreamingError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{OptionalSend, RaftNetworkV2};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::NodeConfig;
use crate::pb::RaftPayload;
use crate::peers::{self, Client, Peers};
use crate::types::{Node, NodeId, Snapshot, SnapshotData, SnapshotMeta, TypeConfig, Vote};

/// Bytes of snapshot per message of the stream (well under the gRPC message bound).
pub(crate) const SNAPSHOT_PIECE_BYTES: usize = 1 << 20;

/// The first message of a snapshot's stream: the vote, the metadata, and the snapshot's length
/// in bytes (the receiver takes exactly that many, and refuses more than it could hold).
pub(crate) type SnapshotHeader = (Vote, SnapshotMeta, u64);

/// What the receiver of a snapshot answers: openraft's response, or why it could not install.
pub(crate) type SnapshotResult = Result<SnapshotResponse<TypeConfig>, String>;

/// Makes one [`PeerClient`] per replication target, sharing the node's channels.
pub struct NetworkFactory {
    peers: Arc<Peers>,
    /// The node's configuration, for the address to dial for each peer.
    config: NodeConfig,
}

impl NetworkFactory {
    pub fn new(peers: Arc<Peers>, config: NodeConfig) -> NetworkFactory {
        NetworkFactory { peers, config }
    }
}

pub struct PeerClient {
    target: NodeId,
    /// The client, or why none could be made (a malformed address): reported as unreachable.
    client: Result<Client, String>,
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = PeerClient;

    async fn new_client(&mut self, target: NodeId, node: &Node) -> PeerClient {
        PeerClient {
            target,
            client: self.peers.client(self.config.peer_addr(target, &node.addr)),
        }
    }
}

#[derive(Clone, Copy)]
enum Rpc {
    AppendEntries,
    Vote,
    PreVote,
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
        let data =
            postcard::to_allocvec(request).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let mut request = tonic::Request::new(RaftPayload { data: data.into() });
        request.set_timeout(ttl);
        let reply = match rpc {
            Rpc::AppendEntries => client.append_entries(request).await,
            Rpc::Vote => client.vote(request).await,
            Rpc::PreVote => client.pre_vote(request).await,
        };
        let payload = reply.map_err(status_error)?.into_inner();
        let remote: Result<Resp, RaftError<TypeConfig>> = postcard::from_bytes(&payload.data)
            .map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        remote.map_err(|e| self.remote_failure(&e))
    }

    /// The peer's Raft stopped (its only error for these calls): back off as from an
    /// unreachable peer.
    fn remote_failure(&self, e: &dyn std::fmt::Display) -> RPCError<TypeConfig> {
        let target = self.target;
        RPCError::Unreachable(Unreachable::new(&Message(format!("node {target}: {e}"))))
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
        let header =
            postcard::to_allocvec(&header).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
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
        let remote: SnapshotResult = postcard::from_bytes(&payload.data)
            .map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        remote.map_err(|e| self.remote_failure(&e))
    }
}

/// A peer that cannot be connected to is unreachable (openraft backs off before retrying);
/// any other transport failure is a network error (retried at once).
fn status_error(status: tonic::Status) -> RPCError<TypeConfig> {
    if peers::never_sent(&status) {
        RPCError::Unreachable(Unreachable::new(&status))
    } else {
        RPCError::Network(NetworkError::new(&status))
    }
}

impl RaftNetworkV2<TypeConfig> for PeerClient {
    type SnapshotData = SnapshotData;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<TypeConfig>> {
        self.call(Rpc::AppendEntries, &rpc, option.hard_ttl()).await
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
