//! The client listener: accepts connections (bounded) and runs one session task per client.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::cluster::Cluster;
use crate::frame::Limits;
use crate::session::Session;

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub bind: String,
    pub port: u16,
    pub limits: Limits,
    /// Bytes a client may have sent that do not yet form a whole command.
    pub max_query_bytes: usize,
    pub max_clients: usize,
    pub databases: usize,
    pub dir: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1".into(),
            port: 6379,
            limits: Limits::default(),
            max_query_bytes: 1024 * 1024 * 1024,
            max_clients: 10_000,
            databases: redraft_engine::DATABASES,
            dir: "./redraft-data".into(),
        }
    }
}

/// Counters for INFO.
#[derive(Default)]
pub struct Stats {
    pub connections_received: AtomicU64,
    pub connected_clients: AtomicUsize,
    pub rejected_connections: AtomicU64,
    pub commands_processed: AtomicU64,
}

impl Stats {
    pub fn count_command(&self) {
        self.commands_processed.fetch_add(1, Ordering::Relaxed);
    }
}

pub struct Server<C: Cluster> {
    pub cluster: C,
    pub config: ServerConfig,
    pub stats: Stats,
    pub started: Instant,
    /// A random id for this process's life, as Redis's run_id.
    pub run_id: String,
    next_client_id: AtomicU64,
}

impl<C: Cluster> Server<C> {
    pub fn new(cluster: C, config: ServerConfig) -> Arc<Server<C>> {
        Arc::new(Server {
            cluster,
            config,
            stats: Stats::default(),
            started: Instant::now(),
            run_id: format!(
                "{:016x}{:016x}",
                rand::random::<u64>(),
                rand::random::<u64>()
            ),
            next_client_id: AtomicU64::new(1),
        })
    }

    /// Accepts clients until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        let slots = Arc::new(Semaphore::new(self.config.max_clients));
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
            self.stats
                .connections_received
                .fetch_add(1, Ordering::Relaxed);
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                self.stats
                    .rejected_connections
                    .fetch_add(1, Ordering::Relaxed);
                let _ = socket
                    .write_all(b"-ERR max number of clients reached\r\n")
                    .await;
                continue;
            };
            let _ = socket.set_nodelay(true);
            let id = self.next_client_id.fetch_add(1, Ordering::Relaxed);
            let server = self.clone();
            tokio::spawn(async move {
                server
                    .stats
                    .connected_clients
                    .fetch_add(1, Ordering::Relaxed);
                Session::new(server.clone(), id, peer).run(socket).await;
                server
                    .stats
                    .connected_clients
                    .fetch_sub(1, Ordering::Relaxed);
                drop(slot);
            });
        }
    }
}
