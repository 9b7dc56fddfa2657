//! The session's side of SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs: each request
//! goes through the log with this client's identity, and its confirmation comes back through
//! this node's stream of applied events (pubsub.rs), in order with the messages; the session
//! waits for it and sends it, with whatever messages followed it, in place of a reply.

use std::sync::Arc;
use std::time::Duration;

use redraft_engine::{kind_name, Argv, ChannelKind, Reply, SUBSCRIBE_COMMAND, UNSUBSCRIBE_COMMAND};

use crate::cluster::Cluster;
use crate::delivery::{propose, Retry};
use crate::outbox::Outbox;
use crate::session::Session;

/// How long a session waits for its own node to apply a subscription request the leader
/// already applied (the node is then cut off or far behind).
const CONFIRMATION_TIMEOUT: Duration = Duration::from_secs(10);

/// The request kind of a subscription command: its namespace, and whether it subscribes.
fn request_of(name: &str) -> Option<(ChannelKind, bool)> {
    Some(match name {
        "subscribe" => (ChannelKind::Channel, true),
        "psubscribe" => (ChannelKind::Pattern, true),
        "ssubscribe" => (ChannelKind::Shard, true),
        "unsubscribe" => (ChannelKind::Channel, false),
        "punsubscribe" => (ChannelKind::Pattern, false),
        "sunsubscribe" => (ChannelKind::Shard, false),
        _ => return None,
    })
}

impl<C: Cluster> Session<C> {
    /// Runs a subscription command: the frames to send (its confirmations and the messages
    /// that followed them), or an error.
    pub async fn subscription(&mut self, name: &str, argv: &[Vec<u8>]) -> Vec<Reply> {
        let Some((kind, subscribe)) = request_of(name) else {
            return vec![Reply::error(format!("ERR '{name}' is not a subscription"))];
        };
        let outbox = self.outbox();
        self.subscription_seq += 1;
        let seq = self.subscription_seq;
        let verb = if subscribe {
            SUBSCRIBE_COMMAND
        } else {
            UNSUBSCRIBE_COMMAND
        };
        let mut request = self.client_args(verb, seq);
        request.push(kind_name(kind).as_bytes().to_vec());
        request.extend(argv[1..].iter().cloned());
        if let Err(error) = self.run_through_log(vec![request]).await {
            return vec![error.reply()];
        }
        let confirmed = tokio::time::timeout(CONFIRMATION_TIMEOUT, async {
            while !outbox.confirmed(seq) && outbox.closed().is_none() {
                outbox.changed().await;
            }
        });
        if confirmed.await.is_err() {
            return vec![Reply::error(
                "TRYAGAIN the subscription was applied but this node has not caught up yet",
            )];
        }
        self.take_pushes()
    }

    /// `<command> <node> <incarnation> <client> <seq>`: a request in this client's name.
    fn client_args(&self, command: &str, seq: u64) -> Argv {
        let node = self.server.cluster.node_id();
        let incarnation = self.server.waiting.incarnation;
        [
            command.to_string(),
            node.to_string(),
            incarnation.to_string(),
        ]
        .into_iter()
        .chain([self.id.to_string(), seq.to_string()])
        .map(String::into_bytes)
        .collect()
    }

    /// This session's outbox, attached to the node's subscribers on first use.
    pub(crate) fn outbox(&mut self) -> Arc<Outbox> {
        if let Some(outbox) = &self.outbox {
            return outbox.clone();
        }
        let outbox = Arc::new(Outbox::new(self.server.params.pubsub_output_limit()));
        outbox.set_resp3(self.protocol == crate::encode::Protocol::Resp3);
        self.server.hub.attach(self.id, outbox.clone());
        self.outbox = Some(outbox.clone());
        outbox
    }

    /// The frames pushed to this client so far; their bytes count against its output limit
    /// until written (see `Session::run`).
    pub fn take_pushes(&mut self) -> Vec<Reply> {
        let Some(outbox) = &self.outbox else {
            return Vec::new();
        };
        let (frames, bytes) = outbox.take();
        self.pushed_unwritten += bytes;
        frames
    }

    /// Whether the connection is in Redis's subscribed mode (it listens to something).
    pub fn subscribed(&self) -> bool {
        self.outbox.is_some() && self.server.hub.is_subscribed(self.id)
    }

    /// The session ends: nothing more is pushed to it, and the registry forgets it.
    pub fn leave_pubsub(&mut self) {
        if self.outbox.take().is_none() {
            return;
        }
        self.server.hub.detach(self.id);
        let request = self.client_args(UNSUBSCRIBE_COMMAND, self.subscription_seq + 1);
        let mut request = request;
        request.push(b"all".to_vec());
        let server = self.server.clone();
        tokio::spawn(async move {
            let what = "removing the subscriptions of a client that left";
            propose(&server, 0, request, Retry::Always, what).await;
        });
    }
}

/// The commands a RESP2 connection may run in subscribed mode, as in Redis.
pub fn allowed_when_subscribed(name: &str) -> bool {
    request_of(name).is_some() || matches!(name, "ping" | "quit" | "reset")
}

/// Redis's refusal of another command in subscribed mode.
pub fn refused_when_subscribed(name: &str) -> Reply {
    Reply::error(format!(
        "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET \
         are allowed in this context"
    ))
}
