//! gRPC channels to other nodes, one per address, created lazily and shared by the Raft
//! network, forwarded writes, read-index requests and membership calls; and the one way the
//! single calls among them (forwards, membership, notices) are made. The Raft network's calls
//! (which openraft bounds) and a follower's stream of read-index requests (`read_link.rs`)
//! take their client from here and bound themselves.

use std::collections::HashMap;
use std::error::Error as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::config::PeerTls;
use crate::tls::{read, ClientCerts, ReloadingAcceptor, TlsError};
use tonic::{Request, Response, Status};

use crate::credentials::Credentials;
use crate::pb::raft_service_client::RaftServiceClient;

/// Bound on cached channels: a cluster has a handful of members; more means churn, and the
/// cache is then simply rebuilt.
const MAX_CHANNELS: usize = 64;

pub type Client = RaftServiceClient<InterceptedService<Channel, Credentials>>;

/// What became of one call to a peer.
pub enum Call<T> {
    Answered(T),
    /// The request never left this node: it may be sent again without risk of being applied
    /// twice.
    NeverSent(Unsent),
    /// The call failed after the request may have reached the peer.
    Failed(Status),
    /// No answer by the deadline: the peer may have acted on the request.
    TimedOut,
}

/// Why a request never left this node.
#[derive(Debug, thiserror::Error)]
pub enum Unsent {
    #[error("{0}")]
    BadAddress(String),
    #[error("{0}")]
    NoConnection(Status),
}

pub struct Peers {
    max_message_bytes: usize,
    connect_timeout: Duration,
    credentials: Credentials,
    /// Mutual TLS to every peer (None: plain gRPC).
    tls: Option<PeerClientTls>,
    channels: Mutex<HashMap<String, Channel>>,
}

impl Peers {
    pub fn new(
        max_message_bytes: usize,
        connect_timeout: Duration,
        credentials: Credentials,
        tls: Option<PeerClientTls>,
    ) -> Peers {
        Peers {
            max_message_bytes,
            connect_timeout,
            credentials,
            tls,
            channels: Mutex::new(HashMap::new()),
        }
    }

    /// A client for the node at `addr` (`host:port`). Connects on first use; a broken
    /// connection is re-established by the channel itself.
    pub fn client(&self, addr: &str) -> Result<Client, String> {
        let channel = self.channel(addr)?;
        Ok(
            RaftServiceClient::with_interceptor(channel, self.credentials.clone())
                .max_decoding_message_size(self.max_message_bytes)
                .max_encoding_message_size(self.max_message_bytes),
        )
    }

    /// Calls `method` with `request` on the node at `addr`, bounded by `deadline` here and, as
    /// the call's gRPC timeout, on the peer.
    pub async fn call<Req, Resp>(
        &self,
        addr: &str,
        request: Req,
        deadline: Instant,
        method: impl AsyncFnOnce(&mut Client, Request<Req>) -> Result<Response<Resp>, Status>,
    ) -> Call<Resp> {
        let mut client = match self.client(addr) {
            Ok(client) => client,
            Err(why) => return Call::NeverSent(Unsent::BadAddress(why)),
        };
        let mut request = Request::new(request);
        request.set_timeout(deadline.saturating_duration_since(Instant::now()));
        match tokio::time::timeout_at(deadline, method(&mut client, request)).await {
            Ok(Ok(response)) => Call::Answered(response.into_inner()),
            Ok(Err(status)) if never_sent(&status) => Call::NeverSent(Unsent::NoConnection(status)),
            Ok(Err(status)) => Call::Failed(status),
            Err(_) => Call::TimedOut,
        }
    }

    fn channel(&self, addr: &str) -> Result<Channel, String> {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(channel) = channels.get(addr) {
            return Ok(channel.clone());
        }
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let endpoint = Endpoint::from_shared(format!("{scheme}://{addr}"))
            .map_err(|e| format!("bad peer address {addr:?}: {e}"))?;
        let endpoint = match &self.tls {
            Some(tls) => endpoint
                .tls_config(tls.0.clone())
                .map_err(|e| format!("TLS to {addr:?}: {e}"))?,
            None => endpoint,
        };
        let endpoint = endpoint
            .connect_timeout(self.connect_timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(10))
            .keep_alive_timeout(Duration::from_secs(5));
        let channel = endpoint.connect_lazy();
        if channels.len() >= MAX_CHANNELS {
            channels.clear();
        }
        channels.insert(addr.to_string(), channel.clone());
        Ok(channel)
    }
}

/// How this node dials its peers over mutual TLS.
#[derive(Clone)]
pub struct PeerClientTls(ClientTlsConfig);

/// What mutual TLS between nodes needs, from the configured files: the acceptor of the Raft
/// port (peers must present a certificate the cluster CA signed) and the dialling side's
/// configuration. Both are checked here, so that bad files stop the node at start rather
/// than at its first call.
pub(crate) fn peer_tls(
    tls: Option<&PeerTls>,
) -> Result<(Option<Arc<ReloadingAcceptor>>, Option<PeerClientTls>), TlsError> {
    let Some(tls) = tls else {
        return Ok((None, None));
    };
    let files = &tls.files;
    crate::tls::client_config(files)?;
    let acceptor =
        ReloadingAcceptor::load(files.clone(), ClientCerts::Required, vec![b"h2".to_vec()])?;
    let ca = files
        .ca
        .as_ref()
        .ok_or_else(|| TlsError::NoCa("peer TLS".into()))?;
    let mut client = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read(ca)?))
        .identity(Identity::from_pem(read(&files.cert)?, read(&files.key)?));
    if let Some(name) = &tls.server_name {
        client = client.domain_name(name.clone());
    }
    Ok((Some(acceptor), Some(PeerClientTls(client))))
}

/// Whether the call failed while connecting, so the request never left this node and may be
/// sent again without risk of applying it twice.
pub fn never_sent(status: &Status) -> bool {
    let mut source = status.source();
    while let Some(err) = source {
        if err.is::<tonic::ConnectError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// Peers as the unit tests make them: plain connections, no cluster secret, 1 MiB messages.
#[cfg(test)]
impl Peers {
    pub(crate) fn for_tests() -> Peers {
        Peers::new(
            1 << 20,
            Duration::from_secs(1),
            Credentials::default(),
            None,
        )
    }
}

/// A loopback address nothing listens on (bound, then let go), for a test to listen on or to
/// find refused.
#[cfg(test)]
pub(crate) fn unused_local_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::RaftPayload;

    #[tokio::test]
    async fn a_refused_connection_counts_as_never_sent() {
        let addr = unused_local_addr();
        let mut client = Peers::for_tests().client(&addr.to_string()).unwrap();
        let status = client.vote(RaftPayload::default()).await.unwrap_err();
        assert!(never_sent(&status), "{status:?}");
    }

    #[test]
    fn a_status_from_the_peer_was_sent() {
        assert!(!never_sent(&Status::unavailable("peer said so")));
    }
}
