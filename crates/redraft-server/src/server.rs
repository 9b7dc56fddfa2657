//! The client listener: accepts connections (bounded) and runs one session task per client.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use redraft_raft::tls::{ClientCerts, TlsFiles};

use crate::auth::AclLog;
use crate::clients::Clients;
use crate::cluster::Cluster;
use crate::commandstats::CommandStats;
use crate::frame::Limits;
use crate::latency::LatencyMonitor;
use crate::logins::Logins;
use crate::metrics::CommandMetrics;
use crate::monitor::Monitors;
use crate::node_params::NodeParams;
use crate::outbox::OutputLimit;
use crate::pause::Pause;
use crate::pubsub::Hub;
use crate::scripts::RunningScripts;
use crate::slowlog::SlowLog;
use crate::tracking::Tracking;
use crate::waiting::Waiting;

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
    /// `client-output-buffer-limit pubsub`: where a slow subscriber is disconnected.
    pub pubsub_output_limit: OutputLimit,
    /// The TLS client port, if any.
    pub tls: Option<ClientTls>,
    /// This node's ACL file (ACL LOAD, ACL SAVE), an absolute path.
    pub aclfile: Option<std::path::PathBuf>,
    /// What the Raft log's fsync policy is in Redis's words (CONFIG GET appendfsync).
    pub appendfsync: &'static str,
    /// The config file (--config), an absolute path: CONFIG REWRITE writes it.
    pub config_file: Option<std::path::PathBuf>,
    /// The node's parameters the config file sets (name, value), checked.
    pub file_params: Vec<(String, String)>,
    /// The replicated parameters the config file sets, as CONFIG SET's pairs, proposed at
    /// start for a new cluster (config_file::propose_at_start).
    pub initial_config: Vec<Vec<u8>>,
    /// Who may run DEBUG (`--enable-debug-command`).
    pub enable_debug_command: crate::debug::DebugAccess,
}

/// Clients over TLS: on which port, with which files, asking what of client certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientTls {
    pub port: u16,
    pub files: TlsFiles,
    pub client_certs: ClientCerts,
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
            pubsub_output_limit: OutputLimit::PUBSUB_DEFAULT,
            tls: None,
            aclfile: None,
            appendfsync: "always",
            config_file: None,
            file_params: Vec::new(),
            initial_config: Vec::new(),
            enable_debug_command: crate::debug::DebugAccess::No,
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

    /// CONFIG RESETSTAT: the counters (not connected_clients, a state) back to zero.
    pub fn reset(&self) {
        self.connections_received.store(0, Ordering::Relaxed);
        self.rejected_connections.store(0, Ordering::Relaxed);
        self.commands_processed.store(0, Ordering::Relaxed);
    }
}

pub struct Server<C: Cluster> {
    pub cluster: C,
    pub config: ServerConfig,
    pub stats: Stats,
    /// Calls, time and errors per command (INFO commandstats, errorstats, latencystats).
    pub command_stats: CommandStats,
    /// This node's own parameters (CONFIG SET maxclients, timeout, slowlog-* ...).
    pub params: NodeParams,
    /// This node's SLOWLOG.
    pub slowlog: SlowLog,
    /// This node's latency monitor (LATENCY).
    pub latency: LatencyMonitor,
    pub started: Instant,
    /// A random id for this process's life, as Redis's run_id.
    pub run_id: String,
    /// Read-only scripts running now (SCRIPT KILL).
    pub scripts: RunningScripts,
    /// This node's clients blocked in BLPOP and the like.
    pub waiting: Waiting,
    /// This node's pub/sub subscribers.
    pub hub: Hub,
    /// This node's clients that track keys (client-side caching).
    pub tracking: Tracking,
    /// This node's ACL LOG.
    pub acl_log: AclLog,
    /// This node's connections by the user they logged in as.
    pub logins: Logins,
    /// Calls, errors and latency per command, for --metrics-addr.
    pub command_metrics: Arc<CommandMetrics>,
    /// The clients connected now (CLIENT LIST, CLIENT KILL; CLIENT TRACKING's REDIRECT
    /// checks their ids).
    pub clients: Clients,
    /// CLIENT PAUSE, on this node.
    pub pause: Pause,
    /// This node's MONITOR connections.
    pub monitors: Monitors,
    next_client_id: AtomicU64,
}

impl<C: Cluster> Server<C> {
    pub fn new(cluster: C, config: ServerConfig) -> Arc<Server<C>> {
        let params = NodeParams::for_config(&config);
        Arc::new(Server {
            cluster,
            config,
            stats: Stats::default(),
            command_stats: CommandStats::default(),
            params,
            slowlog: SlowLog::default(),
            latency: LatencyMonitor::default(),
            started: Instant::now(),
            // 40 hex digits, as Redis's.
            run_id: format!(
                "{:016x}{:016x}{:08x}",
                rand::random::<u64>(),
                rand::random::<u64>(),
                rand::random::<u32>()
            ),
            scripts: RunningScripts::default(),
            waiting: Waiting::default(),
            hub: Hub::default(),
            tracking: Tracking::default(),
            acl_log: AclLog::default(),
            logins: Logins::default(),
            command_metrics: Arc::default(),
            clients: Clients::default(),
            pause: Pause::default(),
            monitors: Monitors::default(),
            next_client_id: AtomicU64::new(1),
        })
    }

    /// Whether client `id` is connected to this node now.
    pub fn is_client(&self, id: u64) -> bool {
        self.clients.contains(id)
    }

    /// The id of the next client, as CLIENT ID reports it.
    pub(crate) fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed)
    }
}
