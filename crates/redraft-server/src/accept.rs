//! The client ports: accept connections (plain, or TLS), and give each its session.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redraft_raft::tls::ReloadingAcceptor;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::cluster::Cluster;
use crate::server::Server;
use crate::session::{ClientSocket, Session};

/// A TLS client must finish its handshake within this, or it is dropped (and its slot freed).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The client ports a node listens on: plain RESP, RESP over TLS, or both.
#[derive(Default)]
pub struct Listeners {
    pub plain: Option<TcpListener>,
    pub tls: Option<(TcpListener, Arc<ReloadingAcceptor>)>,
}

impl From<TcpListener> for Listeners {
    fn from(plain: TcpListener) -> Listeners {
        Listeners {
            plain: Some(plain),
            tls: None,
        }
    }
}

/// Accepts clients on every listener until the task is dropped, each served by its own
/// session task, at most maxclients (read at each accept: CONFIG SET changes it live) at once
/// over all listeners.
pub async fn serve<C: Cluster>(server: Arc<Server<C>>, listeners: impl Into<Listeners>) {
    let listeners = listeners.into();
    let mut tasks = JoinSet::new();
    tasks.spawn(crate::delivery::route_outputs(server.clone()));
    tasks.spawn(crate::pubsub::watch_contact(server.clone()));
    let slots = Arc::new(Slots::default());
    if let Some(listener) = listeners.plain {
        tasks.spawn(accept(server.clone(), listener, None, slots.clone()));
    }
    if let Some((listener, tls)) = listeners.tls {
        tasks.spawn(tls.clone().watch());
        tasks.spawn(accept(server.clone(), listener, Some(tls), slots));
    }
    // Dropping the set (when this task is aborted) stops every listener.
    while tasks.join_next().await.is_some() {}
}

async fn accept<C: Cluster>(
    server: Arc<Server<C>>,
    listener: TcpListener,
    tls: Option<Arc<ReloadingAcceptor>>,
    slots: Arc<Slots>,
) {
    loop {
        let (mut socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        server
            .stats
            .connections_received
            .fetch_add(1, Ordering::Relaxed);
        let Some(slot) = slots.take(server.params.max_clients()) else {
            server
                .stats
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
            // Over TLS the client could not read this line: it only sees the connection close.
            if tls.is_none() {
                let _ = socket
                    .write_all(b"-ERR max number of clients reached\r\n")
                    .await;
            }
            continue;
        };
        let _ = socket.set_nodelay(true);
        keep_alive(&socket, server.params.tcp_keepalive());
        let local = Local::of(&socket);
        let server = server.clone();
        let acceptor = tls.as_ref().map(|tls| tls.acceptor());
        tokio::spawn(async move {
            match acceptor {
                None => run_session(&server, socket, peer, local).await,
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket));
                    match handshake.await {
                        Ok(Ok(stream)) => run_session(&server, stream, peer, local).await,
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
            drop(slot);
        });
    }
}

/// The connections taken, over every listener.
#[derive(Default)]
struct Slots {
    taken: AtomicUsize,
}

/// A connection's place among the taken ones, given back when it ends.
struct Slot(Arc<Slots>);

impl Slots {
    /// A place when fewer than `max` are taken. A lower maxclients closes nobody: it only
    /// refuses new connections until enough have left, as in Redis.
    fn take(self: &Arc<Slots>, max: usize) -> Option<Slot> {
        let taken = self.taken.fetch_add(1, Ordering::AcqRel);
        if taken >= max {
            self.taken.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Slot(self.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.taken.fetch_sub(1, Ordering::AcqRel);
    }
}

/// TCP keepalive probes after `idle` without traffic (tcp-keepalive), so that a peer that
/// vanished is noticed, as Redis sets them; none when off.
fn keep_alive(socket: &TcpStream, idle: Option<Duration>) {
    let Some(idle) = idle else {
        return;
    };
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(idle)
        .with_interval(idle / 3);
    if let Err(error) = socket2::SockRef::from(socket).set_tcp_keepalive(&keepalive) {
        tracing::debug!(%error, "cannot set TCP keepalive");
    }
}

/// The client's side of the socket that CLIENT LIST shows: the address it connected to, and
/// the file descriptor (-1 where the platform has none).
#[derive(Clone, Copy)]
struct Local {
    addr: Option<SocketAddr>,
    fd: i64,
}

impl Local {
    fn of(socket: &TcpStream) -> Local {
        #[cfg(unix)]
        let fd = std::os::fd::AsRawFd::as_raw_fd(socket) as i64;
        #[cfg(not(unix))]
        let fd = -1;
        Local {
            addr: socket.local_addr().ok(),
            fd,
        }
    }
}

async fn run_session<C: Cluster>(
    server: &Arc<Server<C>>,
    socket: impl ClientSocket,
    peer: SocketAddr,
    local: Local,
) {
    let id = server.next_client_id();
    server
        .stats
        .connected_clients
        .fetch_add(1, Ordering::Relaxed);
    let client = server.clients.register(id, peer, local.addr, local.fd);
    Session::new(server.clone(), client).run(socket).await;
    server.clients.remove(id);
    server
        .stats
        .connected_clients
        .fetch_sub(1, Ordering::Relaxed);
}
