//! Runs the gRPC server until told to stop: over plain TCP, or over mutual TLS when the node
//! has peer certificates.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;

use crate::core::Core;
use crate::credentials::{Gate, OncePerSecond};
use crate::pb::raft_service_server::RaftServiceServer;
use crate::service::Service;
use crate::tls::ReloadingAcceptor;

/// A peer that connects must finish its TLS handshake within this, or it is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes under way at once: a stranger opening connections without finishing them
/// holds at most this many tasks.
const MAX_HANDSHAKES: usize = 64;

pub async fn serve(
    core: Arc<Core>,
    listener: TcpListener,
    tls: Option<Arc<ReloadingAcceptor>>,
    mut stop: watch::Receiver<bool>,
) {
    let limit = core.config.max_message_bytes;
    let gate = Gate::new(core.config.cluster_secret.as_deref());
    let service = RaftServiceServer::new(Service::new(core))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit);
    let service = tonic::service::interceptor::InterceptedService::new(service, gate);
    let stopped = async move {
        let _ = stop.wait_for(|&stop| stop).await;
    };
    let router = Server::builder().add_service(service);
    let served = match tls {
        None => {
            let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
            router.serve_with_incoming_shutdown(incoming, stopped).await
        }
        Some(tls) => {
            let (handshaken, incoming) = mpsc::channel(MAX_HANDSHAKES);
            let accepting = tokio::spawn(accept_tls(listener, tls, handshaken));
            let served = router
                .serve_with_incoming_shutdown(ReceiverStream::new(incoming), stopped)
                .await;
            accepting.abort();
            served
        }
    };
    if let Err(e) = served {
        tracing::error!(error = %e, "raft gRPC server failed");
    }
}

type Handshaken = std::io::Result<TlsStream<TcpStream>>;

/// Accepts connections and hands each to the gRPC server once its TLS handshake succeeds; a
/// peer without a certificate the cluster CA signed is refused here and logged (at most once
/// a second), before any gRPC is read.
async fn accept_tls(
    listener: TcpListener,
    tls: Arc<ReloadingAcceptor>,
    handshaken: mpsc::Sender<Handshaken>,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    let refusals = OncePerSecond::default();
    loop {
        let (socket, from) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "raft port: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue; // too many handshakes under way: drop the connection
        };
        let _ = socket.set_nodelay(true);
        let acceptor = tls.acceptor();
        let handshaken = handshaken.clone();
        let refusals = refusals.clone();
        tokio::spawn(async move {
            let outcome = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await;
            drop(slot);
            match outcome {
                Ok(Ok(stream)) => {
                    let _ = handshaken.send(Ok(stream)).await;
                }
                Ok(Err(error)) if refusals.allows() => {
                    tracing::warn!(%from, %error, "refused a Raft-port connection: TLS handshake failed");
                }
                Err(_) if refusals.allows() => {
                    tracing::warn!(%from, "refused a Raft-port connection: TLS handshake timed out");
                }
                _ => {}
            }
        });
    }
}
