//! How a node is configured, and the openraft configuration derived from it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use openraft::SnapshotPolicy;

use crate::error::StartError;

/// Default gRPC message limit: large enough for a 512 MB value plus framing.
pub(crate) const DEFAULT_MAX_MESSAGE_BYTES: usize = 600 * 1024 * 1024;

/// Default log cache: many ordinary batched entries, so replication and apply read from memory
/// unless they lag. An entry larger than the cache (a batch may reach 16 MiB of arguments) is
/// read back from disk: the cache holds a suffix of the log, so it then holds nothing.
pub const DEFAULT_LOG_CACHE_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub id: u64,
    /// Where this node's gRPC server (Raft RPCs, forwarded writes, read index) listens.
    pub raft_listen: SocketAddr,
    /// The address peers use to reach `raft_listen` (recorded in the membership).
    pub raft_advertise: String,
    /// Data directory; the Raft state lives in `<dir>/raft/`.
    pub dir: PathBuf,
    /// id -> Raft address of every initial voter. Used only to bootstrap a pristine store.
    pub initial_members: BTreeMap<u64, String>,
    pub heartbeat_ms: u64,
    pub election_timeout_min_ms: u64,
    pub election_timeout_max_ms: u64,
    /// Take a snapshot (and then purge the log) after this many applied entries.
    pub snapshot_logs_since_last: u64,
    /// Also take one as soon as the log (from the last purge on) exceeds this many bytes: the
    /// leader batches writes, so a few entries can hold a lot, and the entry count alone would
    /// let the log on disk, and the time to replay it, grow without a useful bound.
    pub snapshot_log_bytes: u64,
    /// Bytes of the newest log entries kept in memory; older ones are read from disk when a
    /// lagging follower or the state machine needs them.
    pub log_cache_bytes: u64,
    /// Bound on every client-facing call (write, read barrier).
    pub request_timeout: Duration,
    /// Added to the wall clock when stamping entries. Test-only: simulates clock skew.
    pub clock_offset_ms: i64,
    /// fsync the log before acknowledging writes. Turning it off keeps process crashes safe but
    /// can lose acknowledged writes on power loss.
    pub fsync: bool,
    /// Largest gRPC message sent or accepted (log batches, snapshot chunks, forwarded writes).
    pub max_message_bytes: usize,
    /// TEST ONLY: peer id -> address this node dials for that peer instead of the membership's
    /// address (Raft RPCs, forwarded writes, read index). The fault suite routes each directed
    /// link through its own proxy to cut and heal it. Empty in production.
    pub peer_addr_overrides: BTreeMap<u64, String>,
    /// Raft addresses asked before a fresh node bootstraps: when one of them answers, a
    /// cluster already exists (this node lost its data), so the node does not start a second
    /// one; [`crate::RaftNode::existing_cluster`] then names the address to join through.
    pub bootstrap_probe: Vec<String>,
    /// The shared cluster secret every gRPC call between nodes carries and every node
    /// checks (None: calls are not authenticated; see credentials.rs).
    pub cluster_secret: Option<String>,
    /// Mutual TLS between nodes: this node's certificate and key, and the cluster CA that
    /// signs every member's (None: plain gRPC).
    pub peer_tls: Option<PeerTls>,
}

/// Mutual TLS on the Raft port: every node presents a certificate the cluster CA signed, and
/// accepts only peers that do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerTls {
    /// `ca` is required.
    pub files: crate::tls::TlsFiles,
    /// The name a peer's certificate must carry; by default the host of its address.
    pub server_name: Option<String>,
}

impl Default for NodeConfig {
    fn default() -> Self {
        let addr = "127.0.0.1:16379";
        NodeConfig {
            id: 1,
            raft_listen: SocketAddr::from(([127, 0, 0, 1], 16379)),
            raft_advertise: addr.to_string(),
            dir: PathBuf::from("./redraft-data"),
            initial_members: BTreeMap::from([(1, addr.to_string())]),
            heartbeat_ms: 250,
            election_timeout_min_ms: 1000,
            election_timeout_max_ms: 2000,
            snapshot_logs_since_last: 10_000,
            snapshot_log_bytes: 64 * 1024 * 1024,
            log_cache_bytes: DEFAULT_LOG_CACHE_BYTES,
            request_timeout: Duration::from_secs(5),
            clock_offset_ms: 0,
            fsync: true,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            peer_addr_overrides: BTreeMap::new(),
            bootstrap_probe: Vec::new(),
            cluster_secret: None,
            peer_tls: None,
        }
    }
}

/// Entries per AppendEntries message. Small enough that a batch of ordinary writes stays far
/// below the message limit; a single huge entry still fits it on its own.
const MAX_PAYLOAD_ENTRIES: u64 = 256;
/// Entries kept in the log behind a snapshot, so a briefly lagging follower catches up from the
/// log rather than by a snapshot transfer. Never more than one snapshot interval. Kept small
/// because a batched entry can be large: this many entries stay on disk after a snapshot, to be
/// read back for a follower that needs them.
const MAX_IN_SNAPSHOT_LOG_TO_KEEP: u64 = 256;

/// Share of the smallest election timeout a leader's read lease lasts: the rest is the margin
/// for a late timer, a slow heartbeat's delivery and the drift between monotonic clocks.
const READ_LEASE_SHARE: (u64, u64) = (3, 4);

impl NodeConfig {
    /// How long after a confirmed round the leader serves reads without another
    /// (read_index.rs says why that is safe).
    pub fn read_lease(&self) -> Duration {
        let (num, den) = READ_LEASE_SHARE;
        Duration::from_millis(self.election_timeout_min_ms * num / den)
    }

    /// The address to dial for peer `id`, whose membership address is `membership_addr`: the
    /// test-only override when one is set, else the membership's.
    pub fn peer_addr<'a>(&'a self, id: u64, membership_addr: &'a str) -> &'a str {
        self.peer_addr_overrides
            .get(&id)
            .map_or(membership_addr, String::as_str)
    }

    pub(crate) fn raft_config(&self) -> Result<openraft::Config, StartError> {
        if self.max_message_bytes < 1024 * 1024 {
            return Err(StartError::Config(
                "max_message_bytes must be at least 1 MiB".into(),
            ));
        }
        let config = openraft::Config {
            cluster_name: "redraft".into(),
            heartbeat_interval: self.heartbeat_ms,
            election_timeout_min: self.election_timeout_min_ms,
            election_timeout_max: self.election_timeout_max_ms,
            // Per message of a snapshot's stream (network.rs scales it by the pieces sent).
            install_snapshot_timeout: self.request_timeout.as_millis() as u64,
            max_payload_entries: MAX_PAYLOAD_ENTRIES,
            snapshot_policy: SnapshotPolicy::LogsSinceLast(self.snapshot_logs_since_last),
            max_in_snapshot_log_to_keep: MAX_IN_SNAPSHOT_LOG_TO_KEEP
                .min(self.snapshot_logs_since_last),
            purge_batch_size: 64,
            // A node back from a partition or a pause asks before it raises its term, so it
            // does not depose a healthy leader (Raft thesis, 9.6).
            enable_pre_vote: Some(true),
            // Replication reads an entry as soon as it is in the log's page cache, without
            // waiting for the end of the core's turn: one client's write leaves sooner.
            broadcast_submitted_on_append: Some(true),
            ..Default::default()
        };
        config
            .validate()
            .map_err(|e| StartError::Config(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_addr_uses_the_override_for_that_peer_only() {
        let config = NodeConfig {
            peer_addr_overrides: BTreeMap::from([(2, "127.0.0.1:9002".to_string())]),
            ..NodeConfig::default()
        };
        assert_eq!(config.peer_addr(2, "127.0.0.1:7002"), "127.0.0.1:9002");
        assert_eq!(config.peer_addr(3, "127.0.0.1:7003"), "127.0.0.1:7003");
        assert_eq!(
            NodeConfig::default().peer_addr(2, "127.0.0.1:7002"),
            "127.0.0.1:7002"
        );
    }
}
