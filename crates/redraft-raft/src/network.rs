//! openraft's network over gRPC: each Raft message is postcard-encoded into a `RaftPayload`
//! (see proto/redraft.proto), and the reply carries the remote `Result` the same way.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::NodeConfig;
use crate::pb::RaftPayload;
use crate::peers::{self, Client, Peers};
use crate::types::{Node, NodeId, TypeConfig};

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
    InstallSnapshot,
}

/// Error text for openraft's error wrappers, which need a `std::error::Error`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Message(String);

type RpcResult<T, E> = Result<T, RPCError<NodeId, Node, RaftError<NodeId, E>>>;

impl PeerClient {
    async fn call<Req, Resp, E>(
        &mut self,
        rpc: Rpc,
        request: &Req,
        ttl: Duration,
    ) -> RpcResult<Resp, E>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: Error + DeserializeOwned,
    {
        let mut client = match &self.client {
            Ok(client) => client.clone(),
            Err(why) => {
                return Err(RPCError::Unreachable(Unreachable::new(&Message(
                    why.clone(),
                ))))
            }
        };
        let data =
            postcard::to_allocvec(request).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let mut request = tonic::Request::new(RaftPayload { data: data.into() });
        request.set_timeout(ttl);
        let reply = match rpc {
            Rpc::AppendEntries => client.append_entries(request).await,
            Rpc::Vote => client.vote(request).await,
            Rpc::InstallSnapshot => client.install_snapshot(request).await,
        };
        let payload = reply.map_err(status_error)?.into_inner();
        let remote: Result<Resp, RaftError<NodeId, E>> = postcard::from_bytes(&payload.data)
            .map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        remote.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

/// A peer that cannot be connected to is unreachable (openraft backs off before retrying);
/// any other transport failure is a network error (retried at once).
fn status_error<E: Error>(status: tonic::Status) -> RPCError<NodeId, Node, RaftError<NodeId, E>> {
    if peers::never_sent(&status) {
        RPCError::Unreachable(Unreachable::new(&status))
    } else {
        RPCError::Network(NetworkError::new(&status))
    }
}

impl RaftNetwork<TypeConfig> for PeerClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>, openraft::error::Infallible> {
        self.call(Rpc::AppendEntries, &rpc, option.hard_ttl()).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        self.call(Rpc::InstallSnapshot, &rpc, option.hard_ttl())
            .await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>, openraft::error::Infallible> {
        self.call(Rpc::Vote, &rpc, option.hard_ttl()).await
    }
}
