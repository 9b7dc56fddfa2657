//! Who subscribes to what, cluster-wide: the replicated registry of subscriptions. Every
//! replica holds the same one, so PUBLISH answers the same count everywhere and PUBSUB's
//! counts are the cluster's. Each node delivers messages to its own subscribers; this registry
//! only counts and confirms.

use std::collections::{BTreeMap, BTreeSet};

use crate::event::{ChannelKind, Subscriber};
use crate::glob::glob_match;
use crate::wire::{put_bytes, Reader, SnapshotError};

type Names = BTreeSet<Vec<u8>>;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Subscriptions {
    /// For each kind, each name's subscribers.
    by_name: [BTreeMap<Vec<u8>, BTreeSet<Subscriber>>; 3],
    /// For each subscriber, its names of each kind.
    by_client: BTreeMap<Subscriber, [Names; 3]>,
}

impl Subscriptions {
    /// Subscribes `who` to `name`; false when it already was.
    pub fn subscribe(&mut self, who: Subscriber, kind: ChannelKind, name: &[u8]) -> bool {
        let names = &mut self.by_client.entry(who).or_default()[kind.index()];
        if !names.insert(name.to_vec()) {
            return false;
        }
        let subscribers = self.by_name[kind.index()].entry(name.to_vec());
        subscribers.or_default().insert(who);
        true
    }

    /// Unsubscribes `who` from `name`; false when it was not subscribed.
    pub fn unsubscribe(&mut self, who: Subscriber, kind: ChannelKind, name: &[u8]) -> bool {
        let Some(held) = self.by_client.get_mut(&who) else {
            return false;
        };
        if !held[kind.index()].remove(name) {
            return false;
        }
        if held.iter().all(BTreeSet::is_empty) {
            self.by_client.remove(&who);
        }
        let table = &mut self.by_name[kind.index()];
        if let Some(subscribers) = table.get_mut(name) {
            subscribers.remove(&who);
            if subscribers.is_empty() {
                table.remove(name);
            }
        }
        true
    }

    /// The names of `kind` that `who` subscribes to, in order.
    pub fn names_of(&self, who: Subscriber, kind: ChannelKind) -> Vec<Vec<u8>> {
        self.by_client
            .get(&who)
            .map(|held| held[kind.index()].iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The count a confirmation of `kind` carries, as Redis counts: channels and patterns
    /// together, shard channels apart.
    pub fn count_of(&self, who: Subscriber, kind: ChannelKind) -> usize {
        let Some(held) = self.by_client.get(&who) else {
            return 0;
        };
        match kind {
            ChannelKind::Shard => held[ChannelKind::Shard.index()].len(),
            _ => {
                held[ChannelKind::Channel.index()].len() + held[ChannelKind::Pattern.index()].len()
            }
        }
    }

    /// How many clients a message on `channel` reaches: its subscribers, and for a plain
    /// channel each subscriber of each matching pattern (once per pattern, as in Redis).
    pub fn receivers(&self, shard: bool, channel: &[u8]) -> usize {
        if shard {
            return self.subscribers(ChannelKind::Shard, channel);
        }
        let direct = self.subscribers(ChannelKind::Channel, channel);
        let patterns = &self.by_name[ChannelKind::Pattern.index()];
        let matched: usize = patterns
            .iter()
            .filter(|(pattern, _)| glob_match(pattern, channel))
            .map(|(_, subscribers)| subscribers.len())
            .sum();
        direct + matched
    }

    /// The number of subscribers of `name`.
    pub fn subscribers(&self, kind: ChannelKind, name: &[u8]) -> usize {
        self.by_name[kind.index()]
            .get(name)
            .map_or(0, BTreeSet::len)
    }

    /// The names of `kind` with at least one subscriber, in order.
    pub fn active(&self, kind: ChannelKind) -> impl Iterator<Item = &Vec<u8>> {
        self.by_name[kind.index()].keys()
    }

    /// Removes every subscription of `who`.
    pub fn remove_client(&mut self, who: Subscriber) {
        let Some(held) = self.by_client.remove(&who) else {
            return;
        };
        for kind in ChannelKind::ALL {
            for name in &held[kind.index()] {
                self.drop_subscriber(kind, name, who);
            }
        }
    }

    /// Removes the subscribers of `node` left by its processes other than `incarnation`
    /// (their connections went with them); how many.
    pub fn remove_orphans(&mut self, node: u64, incarnation: u64) -> usize {
        let orphans: Vec<Subscriber> = self
            .by_client
            .keys()
            .filter(|who| who.node == node && who.incarnation != incarnation)
            .copied()
            .collect();
        for who in &orphans {
            self.remove_client(*who);
        }
        orphans.len()
    }

    fn drop_subscriber(&mut self, kind: ChannelKind, name: &[u8], who: Subscriber) {
        let table = &mut self.by_name[kind.index()];
        if let Some(subscribers) = table.get_mut(name) {
            subscribers.remove(&who);
            if subscribers.is_empty() {
                table.remove(name);
            }
        }
    }

    /// Snapshot form: the subscriber count (u64), then each subscriber in order as node,
    /// incarnation and client (u64 each) and, for each kind, its name count (u32) and names.
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.by_client.len() as u64).to_le_bytes());
        for (who, held) in &self.by_client {
            for n in [who.node, who.incarnation, who.client] {
                out.extend_from_slice(&n.to_le_bytes());
            }
            for names in held {
                let count = u32::try_from(names.len()).expect("names are bounded by memory");
                out.extend_from_slice(&count.to_le_bytes());
                for name in names {
                    put_bytes(out, name);
                }
            }
        }
    }

    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<Subscriptions, SnapshotError> {
        let mut subscriptions = Subscriptions::default();
        let count = reader.u64()?;
        for _ in 0..count {
            let who = Subscriber {
                node: reader.u64()?,
                incarnation: reader.u64()?,
                client: reader.u64()?,
            };
            if subscriptions.by_client.contains_key(&who) {
                return Err(SnapshotError::OutOfRange);
            }
            let mut any = false;
            for kind in ChannelKind::ALL {
                for _ in 0..reader.u32()? {
                    let name = reader.bytes()?;
                    if !subscriptions.subscribe(who, kind, name) {
                        return Err(SnapshotError::OutOfRange);
                    }
                    any = true;
                }
            }
            if !any {
                return Err(SnapshotError::OutOfRange);
            }
        }
        Ok(subscriptions)
    }
}
