//! This node's side of pub/sub. The registry of subscriptions and the counting of receivers
//! are replicated (the engine's `pubsub` module); here the node's own subscribers: their
//! outboxes, and which channels and patterns each listens to, as the entries applied so far
//! say. Every message an applied entry publishes reaches every node, in log order, and each
//! node pushes it to its own subscribers; a subscription's confirmation is pushed by the same
//! stream, so it always comes before the first message it lets through.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use redraft_engine::glob::glob_match;
use redraft_engine::{ChannelKind, Event, Reply, SubscriptionChange};

use crate::cluster::Cluster;
use crate::outbox::Outbox;
use crate::server::Server;

/// A node that could not confirm its contact with the cluster's leader for this long
/// disconnects its subscribers: they would otherwise wait silently for messages that cannot
/// reach them (docs/architecture.md, pub/sub).
pub const CUT_OFF_AFTER: Duration = Duration::from_secs(5);
/// How often a node with subscribers checks that contact.
const CONTACT_CHECK_EVERY: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct Hub {
    local: Mutex<Local>,
}

#[derive(Default)]
struct Local {
    outboxes: HashMap<u64, Arc<Outbox>>,
    /// For each kind, each name's subscribers among this node's clients.
    listeners: [HashMap<Vec<u8>, BTreeSet<u64>>; 3],
    /// For each client, its names of each kind.
    held: HashMap<u64, [BTreeSet<Vec<u8>>; 3]>,
}

impl Hub {
    /// Makes `outbox` where client `client`'s pushes go.
    pub fn attach(&self, client: u64, outbox: Arc<Outbox>) {
        self.lock().outboxes.insert(client, outbox);
    }

    /// The outbox of this node's client `client`, if it has one.
    pub fn outbox_of(&self, client: u64) -> Option<Arc<Outbox>> {
        self.lock().outboxes.get(&client).cloned()
    }

    /// The client left: nothing more is pushed to it.
    pub fn detach(&self, client: u64) {
        let mut local = self.lock();
        local.outboxes.remove(&client);
        let Some(held) = local.held.remove(&client) else {
            return;
        };
        for kind in ChannelKind::ALL {
            for name in &held[kind.index()] {
                local.stop_listening(kind, name, client);
            }
        }
    }

    /// Whether `client` listens to any channel, pattern or shard channel (Redis's subscribed
    /// mode, in which a RESP2 connection may run only the subscription commands and PING).
    pub fn is_subscribed(&self, client: u64) -> bool {
        self.lock().held.contains_key(&client)
    }

    /// How many channels, patterns and shard channels `client` listens to.
    pub fn counts(&self, client: u64) -> [usize; 3] {
        let local = self.lock();
        let Some(held) = local.held.get(&client) else {
            return [0; 3];
        };
        ChannelKind::ALL.map(|kind| held[kind.index()].len())
    }

    /// How many channels, patterns and shard channels this node's clients listen to, each
    /// counted once (INFO's pubsub_channels, pubsub_patterns, pubsubshard_channels).
    pub fn names_listened(&self) -> [usize; 3] {
        let local = self.lock();
        ChannelKind::ALL.map(|kind| local.listeners[kind.index()].len())
    }

    /// How many of this node's clients listen to something.
    pub fn subscribers(&self) -> usize {
        self.lock().held.len()
    }

    /// How many of this node's clients get pushed frames (subscribers, tracking clients).
    pub fn listeners(&self) -> usize {
        self.lock().outboxes.len()
    }

    /// Disconnects every client of this node that gets pushed frames.
    pub fn close_all(&self, why: &'static str) {
        for outbox in self.lock().outboxes.values() {
            outbox.close(why);
        }
    }

    /// Delivers an applied entry's event to this node's clients (`incarnation`: this
    /// process's; changes of an earlier process's clients are not ours).
    pub fn deliver(&self, event: Event, incarnation: u64) {
        match event {
            Event::Message {
                shard,
                channel,
                payload,
            } => self.lock().push_message(shard, &channel, &payload),
            Event::Subscriptions(change) if change.subscriber.incarnation == incarnation => {
                self.lock().apply_change(change)
            }
            Event::Subscriptions(_) | Event::Invalidate { .. } | Event::LoginsRevoked { .. } => {}
        }
    }

    fn lock(&self) -> MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Local {
    fn push_message(&self, shard: bool, channel: &[u8], payload: &[u8]) {
        let push = |client: &u64, frame: Reply| {
            if let Some(outbox) = self.outboxes.get(client) {
                outbox.push(frame);
            }
        };
        let message = |kind: &str| {
            let (channel, payload) = (Reply::bulk(channel), Reply::bulk(payload));
            Reply::Push(vec![Reply::bulk(kind), channel, payload])
        };
        if shard {
            for client in self.listeners_of(ChannelKind::Shard, channel) {
                push(client, message("smessage"));
            }
            return;
        }
        for client in self.listeners_of(ChannelKind::Channel, channel) {
            push(client, message("message"));
        }
        for (pattern, clients) in &self.listeners[ChannelKind::Pattern.index()] {
            if !glob_match(pattern, channel) {
                continue;
            }
            for client in clients {
                let frame = vec![
                    Reply::bulk("pmessage"),
                    Reply::bulk(pattern.clone()),
                    Reply::bulk(channel),
                    Reply::bulk(payload),
                ];
                push(client, Reply::Push(frame));
            }
        }
    }

    fn listeners_of(&self, kind: ChannelKind, name: &[u8]) -> impl Iterator<Item = &u64> {
        self.listeners[kind.index()].get(name).into_iter().flatten()
    }

    /// Follows a subscription change of one of this node's clients and confirms it to the
    /// client, frame by frame, as Redis does.
    fn apply_change(&mut self, change: SubscriptionChange) {
        let client = change.subscriber.client;
        let Some(outbox) = self.outboxes.get(&client).cloned() else {
            // The client left; its session had the registry forget it.
            return;
        };
        let verb = confirmation_verb(change.kind, change.subscribe);
        for (name, count) in change.names {
            if let Some(name) = &name {
                match change.subscribe {
                    true => self.listen(change.kind, name, client),
                    false => self.unlisten(change.kind, name, client),
                }
            }
            let name = name.map_or(Reply::Nil, Reply::Bulk);
            outbox.push(Reply::Push(vec![
                Reply::bulk(verb),
                name,
                Reply::count(count),
            ]));
        }
        outbox.confirm(change.seq);
    }

    fn listen(&mut self, kind: ChannelKind, name: &[u8], client: u64) {
        let held = self.held.entry(client).or_default();
        if held[kind.index()].insert(name.to_vec()) {
            let listeners = self.listeners[kind.index()].entry(name.to_vec());
            listeners.or_default().insert(client);
        }
    }

    fn unlisten(&mut self, kind: ChannelKind, name: &[u8], client: u64) {
        let Some(held) = self.held.get_mut(&client) else {
            return;
        };
        if !held[kind.index()].remove(name) {
            return;
        }
        if held.iter().all(BTreeSet::is_empty) {
            self.held.remove(&client);
        }
        self.stop_listening(kind, name, client);
    }

    fn stop_listening(&mut self, kind: ChannelKind, name: &[u8], client: u64) {
        let table = &mut self.listeners[kind.index()];
        if let Some(clients) = table.get_mut(name) {
            clients.remove(&client);
            if clients.is_empty() {
                table.remove(name);
            }
        }
    }
}

/// The first element of a confirmation frame (`subscribe`, `punsubscribe` ...).
fn confirmation_verb(kind: ChannelKind, subscribe: bool) -> &'static str {
    match (kind, subscribe) {
        (ChannelKind::Channel, true) => "subscribe",
        (ChannelKind::Pattern, true) => "psubscribe",
        (ChannelKind::Shard, true) => "ssubscribe",
        (ChannelKind::Channel, false) => "unsubscribe",
        (ChannelKind::Pattern, false) => "punsubscribe",
        (ChannelKind::Shard, false) => "sunsubscribe",
    }
}

/// While this node has clients that get pushed frames (subscribers, tracking clients), checks
/// every second that it is in contact with the cluster's leader (a read barrier); after
/// [`CUT_OFF_AFTER`] without, disconnects them, so that none waits on a node that messages can
/// no longer reach, nor trusts a cache whose invalidations can no longer come.
pub async fn watch_contact<C: Cluster>(server: Arc<Server<C>>) {
    let mut last_contact = Instant::now();
    loop {
        tokio::time::sleep(CONTACT_CHECK_EVERY).await;
        if server.hub.listeners() == 0 {
            last_contact = Instant::now();
            continue;
        }
        let barrier = tokio::time::timeout(CUT_OFF_AFTER, server.cluster.read_barrier()).await;
        if matches!(barrier, Ok(Ok(_))) {
            last_contact = Instant::now();
        } else if last_contact.elapsed() >= CUT_OFF_AFTER {
            tracing::warn!("no contact with the cluster's leader: disconnecting listeners");
            server
                .hub
                .close_all("this node lost contact with the cluster");
            last_contact = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::OutputLimit;
    use redraft_engine::Subscriber;

    fn change(client: u64, kind: ChannelKind, subscribe: bool, names: &[&str]) -> Event {
        let mut count = 0;
        let names = names
            .iter()
            .map(|name| {
                count += 1;
                (Some(name.as_bytes().to_vec()), count)
            })
            .collect();
        Event::Subscriptions(SubscriptionChange {
            subscriber: Subscriber {
                node: 1,
                incarnation: 5,
                client,
            },
            seq: 1,
            kind,
            subscribe,
            names,
        })
    }

    fn message(channel: &str, payload: &str) -> Event {
        Event::Message {
            shard: false,
            channel: channel.into(),
            payload: payload.into(),
        }
    }

    fn words(outbox: &Outbox) -> Vec<String> {
        let (frames, _) = outbox.take();
        frames
            .iter()
            .map(|frame| match frame {
                Reply::Push(items) => items
                    .iter()
                    .map(|item| match item {
                        Reply::Bulk(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                        Reply::Integer(n) => n.to_string(),
                        other => format!("{other:?}"),
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn messages_reach_the_clients_whose_confirmed_subscriptions_match() {
        let hub = Hub::default();
        let (a, b) = (
            Arc::new(Outbox::new(OutputLimit::PUBSUB_DEFAULT)),
            Arc::new(Outbox::new(OutputLimit::PUBSUB_DEFAULT)),
        );
        hub.attach(1, a.clone());
        hub.attach(2, b.clone());
        hub.deliver(message("news", "before"), 5);
        hub.deliver(change(1, ChannelKind::Channel, true, &["news"]), 5);
        hub.deliver(change(2, ChannelKind::Pattern, true, &["n*"]), 5);
        // An earlier process's client with the same id is not ours.
        hub.deliver(change(2, ChannelKind::Channel, true, &["other"]), 4);
        hub.deliver(message("news", "hi"), 5);
        hub.deliver(message("other", "x"), 5);
        assert_eq!(words(&a), ["subscribe news 1", "message news hi"]);
        assert_eq!(words(&b), ["psubscribe n* 1", "pmessage n* news hi"]);
        assert!(a.confirmed(1) && hub.is_subscribed(1));
        hub.deliver(change(1, ChannelKind::Channel, false, &["news"]), 5);
        hub.deliver(message("news", "after"), 5);
        assert_eq!(words(&a), ["unsubscribe news 1"]);
        assert!(!hub.is_subscribed(1));
        assert_eq!(words(&b), ["pmessage n* news after"]);
        hub.detach(2);
        hub.deliver(message("news", "gone"), 5);
        assert!(words(&b).is_empty());
        assert_eq!(hub.subscribers(), 0);
    }

    #[test]
    fn close_all_disconnects_every_subscriber() {
        let hub = Hub::default();
        let outbox = Arc::new(Outbox::new(OutputLimit::PUBSUB_DEFAULT));
        hub.attach(1, outbox.clone());
        hub.deliver(change(1, ChannelKind::Shard, true, &["s"]), 5);
        hub.close_all("cut off");
        assert_eq!(outbox.closed(), Some("cut off"));
    }
}
