//! The client port: accepts connections and gives each its session.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::cluster::Cluster;
use crate::server::Server;
use crate::session::Session;

/// Accepts clients until the task is dropped, each served by its own session task, at most
/// `max_clients` at once.
pub async fn serve<C: Cluster>(server: Arc<Server<C>>, listener: TcpListener) {
    tokio::spawn(crate::delivery::route_outputs(server.clone()));
    tokio::spawn(crate::pubsub::watch_contact(server.clone()));
    let slots = Arc::new(Semaphore::new(server.config.max_clients));
    loop {
        let (mut socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        server
            .stats
            .connections_received
            .fetch_add(1, Ordering::Relaxed);
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            server
                .stats
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
            let _ = socket
                .write_all(b"-ERR max number of clients reached\r\n")
                .await;
            continue;
        };
        let _ = socket.set_nodelay(true);
        let id = server.next_client_id();
        let server = server.clone();
        tokio::spawn(async move {
            server
                .stats
                .connected_clients
                .fetch_add(1, Ordering::Relaxed);
            server.set_connected(id, true);
            Session::new(server.clone(), id, peer).run(socket).await;
            server.set_connected(id, false);
            server
                .stats
                .connected_clients
                .fetch_sub(1, Ordering::Relaxed);
            drop(slot);
        });
    }
}
