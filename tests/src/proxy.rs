//! A TCP proxy for one directed Raft link (node i dials node j through it), which the
//! nemesis cuts and heals to make network partitions without any external setup.
//!
//! Cut: every proxied connection is closed and the listening socket is closed too, so new
//! connections are refused (the dialing node sees a connect error, as with a dead peer).
//! Healed: the proxy listens on the same port again and forwards to the target.

use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ports::free_port;

/// Bound on the proxy connecting to its target.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts to listen on the proxy's port again after a heal (the port is ours, but the OS
/// may hold it briefly).
const REBIND_ATTEMPTS_MAX: usize = 200;
const REBIND_PAUSE: Duration = Duration::from_millis(25);

/// One directed link's proxy: listens on 127.0.0.1:`port`, forwards to 127.0.0.1:`target`.
pub struct LinkProxy {
    port: u16,
    cut: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl LinkProxy {
    /// Starts a proxy to 127.0.0.1:`target` on a free port; the link starts healed.
    pub async fn start(target: u16) -> LinkProxy {
        let port = free_port();
        let listener = bind(port).await;
        let (cut, cut_rx) = watch::channel(false);
        let task = tokio::spawn(serve(listener, port, target, cut_rx));
        LinkProxy { port, cut, task }
    }

    /// The port nodes dial for this link.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cuts the link: closes its connections and refuses new ones.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Heals the link.
    pub fn heal(&self) {
        self.cut.send_replace(false);
    }

    /// Whether the link is cut.
    pub fn is_cut(&self) -> bool {
        *self.cut.borrow()
    }
}

impl Drop for LinkProxy {
    fn drop(&mut self) {
        self.cut.send_replace(true);
        self.task.abort();
    }
}

async fn bind(port: u16) -> TcpListener {
    let mut last = None;
    for _ in 0..REBIND_ATTEMPTS_MAX {
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => return listener,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(REBIND_PAUSE).await;
    }
    panic!("proxy cannot listen on 127.0.0.1:{port}: {last:?}");
}

/// Accepts while healed; while cut, holds no listening socket.
async fn serve(first: TcpListener, port: u16, target: u16, mut cut: watch::Receiver<bool>) {
    let mut listener = Some(first);
    loop {
        let current = match listener.take() {
            Some(l) => l,
            None => {
                if cut.wait_for(|c| !*c).await.is_err() {
                    return;
                }
                bind(port).await
            }
        };
        let for_connections = cut.clone();
        loop {
            tokio::select! {
                accepted = current.accept() => {
                    if let Ok((inbound, _)) = accepted {
                        tokio::spawn(forward(inbound, target, for_connections.clone()));
                    }
                }
                changed = cut.wait_for(|c| *c) => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
            }
        }
        drop(current);
    }
}

/// Copies bytes both ways until either side closes or the link is cut.
async fn forward(mut inbound: TcpStream, target: u16, mut cut: watch::Receiver<bool>) {
    let connect = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(("127.0.0.1", target)));
    let Ok(Ok(mut outbound)) = connect.await else {
        return;
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = cut.wait_for(|c| *c) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn echo_server() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = socket.read(&mut buf).await {
                        if n == 0 || socket.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        port
    }

    async fn echo_once(port: u16) -> std::io::Result<Vec<u8>> {
        let mut socket = TcpStream::connect(("127.0.0.1", port)).await?;
        socket.write_all(b"ping").await?;
        let mut buf = [0u8; 4];
        tokio::time::timeout(Duration::from_secs(2), socket.read_exact(&mut buf))
            .await
            .map_err(|_| std::io::Error::other("timeout"))??;
        Ok(buf.to_vec())
    }

    #[tokio::test]
    async fn cut_closes_live_connections_and_refuses_new_ones_until_healed() {
        let proxy = LinkProxy::start(echo_server().await).await;
        assert_eq!(echo_once(proxy.port()).await.unwrap(), b"ping");

        let mut live = TcpStream::connect(("127.0.0.1", proxy.port()))
            .await
            .unwrap();
        live.write_all(b"x").await.unwrap();
        let mut one = [0u8; 1];
        live.read_exact(&mut one).await.unwrap();

        proxy.cut();
        let mut rest = [0u8; 8];
        let closed = tokio::time::timeout(Duration::from_secs(2), live.read(&mut rest))
            .await
            .expect("live connection closed within 2s");
        assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
        crate::wait_for(
            "new connections refused",
            Duration::from_secs(5),
            || async {
                match TcpStream::connect(("127.0.0.1", proxy.port())).await {
                    Err(_) => Ok(()),
                    Ok(_) => Err("connected".to_string()),
                }
            },
        )
        .await;

        proxy.heal();
        let echoed = crate::wait_for("echo after heal", Duration::from_secs(5), || async {
            echo_once(proxy.port()).await.map_err(|e| e.to_string())
        })
        .await;
        assert_eq!(echoed, b"ping");
    }
}
