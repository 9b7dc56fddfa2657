//! Where applied entries' outputs go: a served waiter to the session of this node that waits
//! for it, or, when the session is gone, back where it was taken from (see waiting.rs); a
//! message or subscription change to this node's subscribers (pubsub.rs); and the internal
//! proposals that keep the replicated tables of waiters and subscribers true (a client that
//! left, earlier processes).

use std::sync::Arc;
use std::time::Duration;

use redraft_engine::entry::UNBLOCK_NODE_COMMAND;
use redraft_engine::{Argv, Event};
use redraft_raft::Output;

use crate::cluster::{Cluster, RouteError};
use crate::server::Server;

/// Routes outputs to this node's sessions for as long as the server runs; first removes the
/// waiters and subscribers that earlier processes of this node left.
pub async fn route_outputs<C: Cluster>(server: Arc<Server<C>>) {
    let Some(mut outputs) = server.cluster.take_outputs() else {
        return;
    };
    tokio::spawn(clear_orphans(server.clone()));
    let incarnation = server.waiting.incarnation;
    while let Some(output) = outputs.recv().await {
        match output {
            Output::Served(served) => {
                let db = served.db;
                if let Some(undo) = server.waiting.deliver(served) {
                    put_back(server.clone(), db, undo);
                }
            }
            Output::Event(Event::Invalidate { index, keys }) => {
                let due = server.tracking.changed(index, keys.as_deref());
                crate::tracking::send(&server.hub, due);
            }
            Output::Event(Event::LoginsRevoked { users }) => {
                server.logins.revoke(&users, &server.hub)
            }
            Output::Event(event) => server.hub.deliver(event, incarnation),
            Output::SnapshotInstalled => {
                // Confirmations of the skipped entries are lost: the subscribers reconnect and
                // subscribe again rather than listen to what they may not hold; which keys the
                // skipped entries changed is unknown, so tracking clients drop everything.
                server.hub.close_all("this node caught up from a snapshot");
                let due = server.tracking.changed(u64::MAX, None);
                crate::tracking::send(&server.hub, due);
            }
        }
    }
}

/// Proposes `undo`: puts back what an entry took for a client that will never get it. Not sent
/// again after an unknown outcome: putting an element back twice would hand it out twice.
pub fn put_back<C: Cluster>(server: Arc<Server<C>>, db: u32, undo: Argv) {
    tokio::spawn(async move {
        let what = "putting back an element";
        propose(&server, db, undo, Retry::OnlyIfNotApplied, what).await
    });
}

/// `unblock-node`: the waiters and subscribers of this node's earlier processes went with
/// their clients.
async fn clear_orphans<C: Cluster>(server: Arc<Server<C>>) {
    let node = server.cluster.node_id().to_string();
    let incarnation = server.waiting.incarnation.to_string();
    let argv = vec![
        UNBLOCK_NODE_COMMAND.as_bytes().to_vec(),
        node.into_bytes(),
        incarnation.into_bytes(),
    ];
    propose(&server, 0, argv, Retry::Always, "clearing earlier waiters").await;
}

/// When a proposal that failed is sent again.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Also after an unknown outcome: the command does the same when applied twice.
    Always,
    /// Only when it surely was not applied (CLUSTERDOWN).
    OnlyIfNotApplied,
}

/// Proposes one internal command until it is applied (bounded: about ten minutes).
pub async fn propose<C: Cluster>(
    server: &Server<C>,
    db: u32,
    argv: Argv,
    retry: Retry,
    what: &str,
) {
    for _ in 0..600 {
        match server.cluster.write(db, vec![argv.clone()]).await {
            Ok(_) => return,
            Err(RouteError::TryAgain(reason)) if retry == Retry::OnlyIfNotApplied => {
                tracing::warn!(what, %reason, "outcome unknown; not sent again");
                return;
            }
            Err(RouteError::Removed) => return,
            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
    tracing::error!(what, "gave up after ten minutes of cluster errors");
}
