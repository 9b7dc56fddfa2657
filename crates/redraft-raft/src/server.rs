//! Runs the gRPC server until told to stop: over plain TCP, or over mutual TLS when the node
//! has peer certificates.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
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
/// Handshakes under way at once from one address: one stranger alone cannot take every slot
/// and lock the members out.
const MAX_HANDSHAKES_PER_ADDRESS: usize = 4;

/// Handshakes under way per remote address.
#[derive(Clone, Default)]
struct PerAddress(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One handshake counted against its address until dropped.
struct AddressSlot {
    table: PerAddress,
    ip: IpAddr,
}

impl PerAddress {
    fn take(&self, ip: IpAddr) -> Option<AddressSlot> {
        let mut table = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = table.entry(ip).or_default();
        if *count >= MAX_HANDSHAKES_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            table: self.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut table = self.table.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = table.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                table.remove(&self.ip);
            }
        }
    }
}

pub async fn serve(
    core: Arc<Core>,
    listener: TcpListener,
    tls: Option<Arc<ReloadingAcceptor>>,
    mut stop: watch::Receiver<bool>,
) {
    let limit = core.config.max_message_bytes;
    let gate = Gate::new(core.config.cluster_secret.as_deref());
    let service = RaftServiceServer::new(Service::new(core, stop.clone()))
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
    let per_address = PerAddress::default();
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
        let Some(from_slot) = per_address.take(from.ip()) else {
            continue; // too many handshakes under way from there: drop the connection
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
            drop((slot, from_slot));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_holds_a_few_handshake_slots_and_gets_them_back() {
        let table = PerAddress::default();
        let stranger: IpAddr = [10, 0, 0, 9].into();
        let member: IpAddr = [10, 0, 0, 2].into();
        let held: Vec<_> = (0..MAX_HANDSHAKES_PER_ADDRESS)
            .map(|_| table.take(stranger).unwrap())
            .collect();
        assert!(table.take(stranger).is_none());
        assert!(table.take(member).is_some());
        drop(held);
        assert!(table.take(stranger).is_some());
        assert!(table.0.lock().unwrap().get(&stranger).is_none());
    }
}
