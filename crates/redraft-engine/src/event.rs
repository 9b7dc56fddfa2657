//! What applying entries tells the nodes besides the commands' replies: messages for
//! subscribers (PUBLISH, SPUBLISH, keyspace notifications) and changes to clients'
//! subscriptions. Every replica produces the same events in the same order; each node delivers
//! the messages to its own subscribers and confirms its own clients' subscriptions
//! (`Engine::take_events`).

/// A client subscribed to channels: the node it is connected to, that node process's
/// incarnation (a process that died takes its subscribers with it) and its id there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subscriber {
    pub node: u64,
    pub incarnation: u64,
    pub client: u64,
}

/// The three namespaces of pub/sub, as Redis keeps them: channels (SUBSCRIBE, PUBLISH),
/// patterns (PSUBSCRIBE, matched against channels) and shard channels (SSUBSCRIBE, SPUBLISH).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChannelKind {
    Channel,
    Pattern,
    Shard,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 3] = [
        ChannelKind::Channel,
        ChannelKind::Pattern,
        ChannelKind::Shard,
    ];

    /// The position of this kind in per-kind tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A message for the subscribers of `channel` (shard channel subscribers when `shard`;
    /// pattern subscribers match plain channels only).
    Message {
        shard: bool,
        channel: Vec<u8>,
        payload: Vec<u8>,
    },
    /// A client's subscriptions changed: its node confirms the change to it.
    Subscriptions(SubscriptionChange),
    /// An entry changed these keys (in any database; None: it flushed or swapped a whole
    /// database): nodes whose clients cache them tell those clients (CLIENT TRACKING). Only
    /// produced while the node asks for it (`Engine::track_modified_keys`).
    Invalidate {
        /// The entry's log index: a read of this replica at or after it saw the change.
        index: u64,
        keys: Option<Vec<Vec<u8>>>,
    },
    /// These users' logins end: every node closes its connections authenticated as one of
    /// them (ACL DELUSER removed them; ACL LOAD replaced every user but the default, whose
    /// connections Redis 7.0 keeps).
    LoginsRevoked { users: Vec<Vec<u8>> },
}

/// One SUBSCRIBE-family request as applied, with what the client is told.
#[derive(Clone, Debug, PartialEq)]
pub struct SubscriptionChange {
    pub subscriber: Subscriber,
    /// The request's number on its connection: the session waits for its confirmation.
    pub seq: u64,
    pub kind: ChannelKind,
    pub subscribe: bool,
    /// Each name in the order handled, with the client's subscription count after it (the
    /// number Redis's confirmations carry); `None` for an unsubscribe from all when the
    /// client held none of that kind.
    pub names: Vec<(Option<Vec<u8>>, usize)>,
}
