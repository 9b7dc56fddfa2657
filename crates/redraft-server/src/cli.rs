//! The command line. Tests and deploy files rely on these flags.

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use redraft_raft::tls::{ClientCerts, TlsFiles};
use redraft_raft::{NodeConfig, PeerTls, DEFAULT_LOG_CACHE_BYTES};

use crate::debug::DebugAccess;
use crate::frame::Limits;
use crate::outbox::OutputLimit;
use crate::server::{ClientTls, ServerConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TlsAuthClients {
    Yes,
    Optional,
    No,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Fsync {
    /// fsync the log before acknowledging (one fsync covers a whole batch).
    Always,
    /// Never fsync: faster, but a power loss can lose acknowledged writes.
    No,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people to read.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// A Redis-compatible data-structure server replicated with Raft.
///
/// With no arguments: node 1 of a single-node cluster, clients on 127.0.0.1:6379, Raft on
/// 127.0.0.1:16379, data in ./redraft-data. Every flag can also be given as the environment
/// variable REDRAFT_<FLAG> (REDRAFT_RAFT_ADDR for --raft-addr) or as a line of the --config
/// file; the command line wins over the environment, which wins over the file.
#[derive(Debug, Parser)]
#[command(name = "redraft", version)]
pub struct Cli {
    /// A config file in redis.conf's syntax: flags by name without dashes (`raft-addr
    /// 127.0.0.1:16379`) and Redis parameters (`maxclients 1000`). CONFIG REWRITE writes it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The node's parameters the config file sets (see settings.rs).
    #[arg(skip)]
    pub file_params: Vec<(String, String)>,
    /// The replicated parameters the config file sets, as CONFIG SET's pairs.
    #[arg(skip)]
    pub initial_config: Vec<Vec<u8>>,
    /// This node's id in the cluster.
    #[arg(long, default_value_t = 1)]
    pub id: u64,
    /// Take the id from a StatefulSet pod name instead of --id: NAME-<n> gives id n+1
    /// (redraft-0 is node 1).
    #[arg(long, value_name = "POD_NAME", conflicts_with = "id")]
    pub id_from_name: Option<String>,
    /// Address to accept Redis clients on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Port to accept Redis clients on.
    #[arg(long, default_value_t = 6379)]
    pub port: u16,
    /// This node's Raft (gRPC) address as the other nodes reach it. Defaults to this node's
    /// entry in --cluster, else 127.0.0.1:16379.
    #[arg(long)]
    pub raft_addr: Option<String>,
    /// Local address the Raft server listens on, when it differs from --raft-addr (for
    /// example 0.0.0.0:16379 in a container).
    #[arg(long)]
    pub raft_listen: Option<SocketAddr>,
    /// Data directory (Raft log, snapshots).
    #[arg(long, default_value = "./redraft-data")]
    pub dir: PathBuf,
    /// The initial voters: ID=HOST:PORT,... with each node's Raft address. Used once, to
    /// bootstrap a fresh data directory; a restarted node resumes from disk.
    #[arg(long)]
    pub cluster: Option<String>,
    /// Join an existing cluster through any member's Raft address: a fresh node asks it to
    /// add this node as a learner, catch it up and promote it to voter. A node with data
    /// resumes from disk. When HOST:PORT is this node's own --raft-addr, the node bootstraps a
    /// one-node cluster instead (so every replica of a StatefulSet can share one command line).
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "cluster")]
    pub join: Option<String>,
    /// With --join naming this node itself: before bootstrapping an empty data directory, ask
    /// these Raft addresses (the other members') whether a cluster exists. If one answers,
    /// this node lost its data: it joins through that address instead of starting a second
    /// cluster. Addresses that do not resolve or refuse connections count as absent. Not with
    /// --cluster: statically bootstrapped members start together and would find each other.
    #[arg(
        long,
        value_name = "HOST:PORT,...",
        value_delimiter = ',',
        conflicts_with = "cluster"
    )]
    pub bootstrap_probe: Vec<String>,
    /// How long a --join may take (the cluster may still be starting) before the node gives up.
    #[arg(long, default_value_t = 300_000)]
    pub join_timeout_ms: u64,
    /// Health check instead of a server: exit 0 when the node at 127.0.0.1:--port answers,
    /// knows a leader and has applied everything it knows committed; non-zero otherwise.
    #[arg(long)]
    pub health: bool,
    /// Take a snapshot and compact the log every this many entries.
    #[arg(long, default_value_t = 10_000)]
    pub snapshot_logs: u64,
    /// Also take a snapshot as soon as the Raft log (since the last compaction, on disk)
    /// exceeds this many bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    pub snapshot_log_bytes: u64,
    /// Keep the newest Raft log entries in memory up to this many bytes; older ones are read
    /// from disk when a lagging follower or the state machine needs them.
    #[arg(long, default_value_t = DEFAULT_LOG_CACHE_BYTES)]
    pub log_cache_bytes: u64,
    /// How long a command may wait for the cluster before -CLUSTERDOWN or -TRYAGAIN.
    #[arg(long, default_value_t = 5_000)]
    pub request_timeout_ms: u64,
    /// Raft heartbeat interval. Also the longest a replication stream waits for a follower's
    /// next answer (its fsync included): too small a value makes a loaded node look dead.
    #[arg(long, default_value_t = 250)]
    pub heartbeat_ms: u64,
    /// Smallest election timeout; the largest is twice this.
    #[arg(long, default_value_t = 1000)]
    pub election_timeout_ms: u64,
    /// Test only: offset this node's clock by this many milliseconds.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub clock_offset_ms: i64,
    /// When to fsync the Raft log.
    #[arg(long, value_enum, default_value = "always")]
    pub fsync: Fsync,
    /// Most client connections at once.
    #[arg(long, default_value_t = 10_000)]
    pub max_clients: usize,
    /// Largest bulk string a client may send, in bytes.
    #[arg(long, default_value_t = 512 * 1024 * 1024)]
    pub proto_max_bulk_len: usize,
    /// Redis's `client-output-buffer-limit pubsub`: a subscriber whose unsent output passes
    /// HARD bytes, or stays above SOFT bytes for SECONDS, is disconnected.
    #[arg(long, value_name = "HARD SOFT SECONDS", default_value = "32mb 8mb 60", value_parser = parse_output_limit)]
    pub pubsub_output_limit: OutputLimit,
    /// A file holding the cluster secret that every call between nodes carries and every node
    /// checks (printable ASCII; surrounding whitespace ignored). Without it, the secret is
    /// taken from the environment variable REDRAFT_CLUSTER_SECRET, if set. Every node of a
    /// cluster must have the same one (docs/security.md).
    #[arg(long, value_name = "PATH")]
    pub cluster_secret_file: Option<PathBuf>,
    /// This node's ACL file (Redis's aclfile): ACL LOAD reads it, ACL SAVE writes it. At start
    /// the node checks it (and refuses to start on an error) and proposes it as the cluster's
    /// users, which takes effect only while they are still as a new cluster starts
    /// (docs/security.md).
    #[arg(long, value_name = "PATH")]
    pub aclfile: Option<PathBuf>,
    /// Who may run DEBUG, as Redis's enable-debug-command: no (nobody), yes (every
    /// connection), local (connections from a loopback address only). Fixed at start.
    #[arg(long, value_enum, default_value = "no")]
    pub enable_debug_command: DebugAccess,
    /// Accept Raft-port calls without a cluster secret although the port listens beyond
    /// loopback (anyone who reaches it can then write, move leadership and remove nodes).
    #[arg(long)]
    pub insecure_peers: bool,
    /// Port to accept Redis clients over TLS on (with --tls-cert-file and --tls-key-file), as
    /// well as --port unless that is 0.
    #[arg(long)]
    pub tls_port: Option<u16>,
    /// The client port's certificate chain (PEM). Renewed files are picked up within a
    /// second, without a restart.
    #[arg(long, value_name = "PATH")]
    pub tls_cert_file: Option<PathBuf>,
    /// The client port's private key (PEM).
    #[arg(long, value_name = "PATH")]
    pub tls_key_file: Option<PathBuf>,
    /// The CA (PEM) that signs client certificates.
    #[arg(long, value_name = "PATH")]
    pub tls_ca_cert_file: Option<PathBuf>,
    /// Whether TLS clients must present a certificate signed by --tls-ca-cert-file, as Redis's
    /// tls-auth-clients: yes (required), optional (checked when given), no.
    #[arg(long, value_enum, default_value = "yes")]
    pub tls_auth_clients: TlsAuthClients,
    /// Mutual TLS between nodes: this node's certificate chain (PEM) on the Raft port, with
    /// --peer-tls-key-file and --peer-tls-ca-file. Every node of the cluster must use it.
    #[arg(long, value_name = "PATH", requires_all = ["peer_tls_key_file", "peer_tls_ca_file"])]
    pub peer_tls_cert_file: Option<PathBuf>,
    /// This node's private key (PEM) for --peer-tls-cert-file.
    #[arg(long, value_name = "PATH", requires = "peer_tls_cert_file")]
    pub peer_tls_key_file: Option<PathBuf>,
    /// The cluster CA (PEM): peers must present a certificate it signed.
    #[arg(long, value_name = "PATH", requires = "peer_tls_cert_file")]
    pub peer_tls_ca_file: Option<PathBuf>,
    /// The name every peer's certificate must carry, when certificates name the cluster rather
    /// than each node's host (by default: the host of the peer's Raft address).
    #[arg(long, value_name = "NAME", requires = "peer_tls_cert_file")]
    pub peer_tls_server_name: Option<String>,
    /// Test only: dial peer ID at HOST:PORT instead of its membership address (ID=HOST:PORT,...).
    /// The fault suite routes each link through a proxy it can cut to make partitions.
    #[arg(long)]
    pub peer_addr_override: Option<String>,
    /// Log filter (RUST_LOG overrides it).
    #[arg(long, default_value = "info,openraft=warn")]
    pub log: String,
    /// How log lines are written (to stderr).
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Serve this node's metrics in the Prometheus text format at http://HOST:PORT/metrics.
    /// Off unless given. The endpoint has no authentication: bind it where only the scraper
    /// reaches it.
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_addr: Option<String>,
}

impl Cli {
    /// This node's id: from --id-from-name when given, else --id.
    pub fn node_id(&self) -> Result<u64, String> {
        match &self.id_from_name {
            None => Ok(self.id),
            Some(name) => id_from_name(name),
        }
    }

    /// The address to join through, unless it is this node's own (then it bootstraps).
    pub fn join_seed(&self) -> Option<String> {
        let own = self.raft_addr.as_deref().unwrap_or("127.0.0.1:16379");
        self.join.clone().filter(|seed| seed != own)
    }

    pub fn into_configs(mut self) -> Result<(ServerConfig, NodeConfig), String> {
        self.id = self.node_id()?;
        let members = match &self.cluster {
            Some(list) => parse_cluster(list)?,
            None => BTreeMap::new(),
        };
        let peer_addr_overrides = match &self.peer_addr_override {
            Some(list) => parse_id_addrs("--peer-addr-override", list)?,
            None => BTreeMap::new(),
        };
        let raft_addr = match (&self.raft_addr, members.get(&self.id)) {
            (Some(addr), _) => addr.clone(),
            (None, Some(addr)) => addr.clone(),
            (None, None) => "127.0.0.1:16379".to_string(),
        };
        let members = if self.join_seed().is_some() {
            // Not an initial member: the cluster adds this node.
            BTreeMap::new()
        } else if members.is_empty() {
            BTreeMap::from([(self.id, raft_addr.clone())])
        } else {
            members
        };
        if self.join_seed().is_none() && !members.contains_key(&self.id) {
            return Err(format!(
                "--cluster does not list this node's id {}",
                self.id
            ));
        }
        let raft_listen = match self.raft_listen {
            Some(addr) => addr,
            None => listen_addr(&raft_addr)?,
        };
        let cluster_secret = self.cluster_secret()?;
        let peer_tls = self.peer_tls();
        let unauthenticated = cluster_secret.is_none() && peer_tls.is_none();
        if unauthenticated && !raft_listen.ip().is_loopback() && !self.insecure_peers {
            return Err(format!(
                "the Raft port {raft_listen} is reachable from other hosts: authenticate the \
                 nodes (--peer-tls-cert-file, or a secret with --cluster-secret-file or \
                 REDRAFT_CLUSTER_SECRET), or pass --insecure-peers"
            ));
        }
        let tls = self.client_tls()?;
        if self.port == 0 && tls.is_none() {
            return Err("--port 0 leaves no client port: give --tls-port".into());
        }
        let server = ServerConfig {
            bind: self.bind.clone(),
            port: self.port,
            limits: Limits {
                max_bulk_bytes: self.proto_max_bulk_len,
                ..Limits::default()
            },
            max_clients: self.max_clients,
            dir: self.dir.display().to_string(),
            pubsub_output_limit: self.pubsub_output_limit,
            tls,
            aclfile: self.absolute_aclfile()?,
            appendfsync: match self.fsync {
                Fsync::Always => "always",
                Fsync::No => "no",
            },
            config_file: self.absolute_config()?,
            file_params: std::mem::take(&mut self.file_params),
            initial_config: std::mem::take(&mut self.initial_config),
            enable_debug_command: self.enable_debug_command,
            ..ServerConfig::default()
        };
        let node = NodeConfig {
            id: self.id,
            raft_listen,
            raft_advertise: raft_addr,
            dir: self.dir,
            initial_members: members,
            heartbeat_ms: self.heartbeat_ms,
            election_timeout_min_ms: self.election_timeout_ms,
            election_timeout_max_ms: self.election_timeout_ms * 2,
            snapshot_logs_since_last: self.snapshot_logs,
            snapshot_log_bytes: self.snapshot_log_bytes,
            log_cache_bytes: self.log_cache_bytes,
            request_timeout: Duration::from_millis(self.request_timeout_ms),
            clock_offset_ms: self.clock_offset_ms,
            fsync: self.fsync == Fsync::Always,
            max_message_bytes: self.proto_max_bulk_len + 64 * 1024 * 1024,
            peer_addr_overrides,
            bootstrap_probe: self
                .bootstrap_probe
                .iter()
                .map(|addr| addr.trim().to_string())
                .filter(|addr| !addr.is_empty())
                .collect(),
            cluster_secret,
            peer_tls,
        };
        Ok((server, node))
    }
}

impl Cli {
    /// The client port's TLS, when --tls-port is given.
    fn client_tls(&self) -> Result<Option<ClientTls>, String> {
        let Some(port) = self.tls_port else {
            return Ok(None);
        };
        let (Some(cert), Some(key)) = (&self.tls_cert_file, &self.tls_key_file) else {
            return Err("--tls-port needs --tls-cert-file and --tls-key-file".into());
        };
        let client_certs = match self.tls_auth_clients {
            TlsAuthClients::Yes => ClientCerts::Required,
            TlsAuthClients::Optional => ClientCerts::Optional,
            TlsAuthClients::No => ClientCerts::Ignored,
        };
        if client_certs != ClientCerts::Ignored && self.tls_ca_cert_file.is_none() {
            return Err("--tls-auth-clients yes or optional needs --tls-ca-cert-file".into());
        }
        let files = TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
            ca: self.tls_ca_cert_file.clone(),
        };
        Ok(Some(ClientTls {
            port,
            files,
            client_certs,
        }))
    }

    /// Mutual TLS between nodes, when --peer-tls-cert-file is given (clap requires the rest).
    fn peer_tls(&self) -> Option<PeerTls> {
        let files = TlsFiles {
            cert: self.peer_tls_cert_file.clone()?,
            key: self.peer_tls_key_file.clone()?,
            ca: Some(self.peer_tls_ca_file.clone()?),
        };
        Some(PeerTls {
            files,
            server_name: self.peer_tls_server_name.clone(),
        })
    }

    /// --aclfile as an absolute path (ACL SAVE syncs its directory).
    fn absolute_aclfile(&self) -> Result<Option<PathBuf>, String> {
        let Some(path) = &self.aclfile else {
            return Ok(None);
        };
        std::path::absolute(path)
            .map(Some)
            .map_err(|e| format!("--aclfile {}: {e}", path.display()))
    }

    /// --config as an absolute path (CONFIG REWRITE writes it wherever the node runs).
    fn absolute_config(&self) -> Result<Option<PathBuf>, String> {
        let Some(path) = &self.config else {
            return Ok(None);
        };
        std::path::absolute(path)
            .map(Some)
            .map_err(|e| format!("--config {}: {e}", path.display()))
    }

    /// The cluster secret: --cluster-secret-file's content, else REDRAFT_CLUSTER_SECRET.
    fn cluster_secret(&self) -> Result<Option<String>, String> {
        let secret = match &self.cluster_secret_file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("--cluster-secret-file {}: {e}", path.display()))?,
            None => match std::env::var("REDRAFT_CLUSTER_SECRET") {
                Ok(secret) => secret,
                Err(_) => return Ok(None),
            },
        };
        let secret = secret.trim();
        if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the cluster secret must be printable ASCII without spaces".into());
        }
        Ok(Some(secret.to_string()))
    }
}

/// `redraft-2` gives 3: a StatefulSet's pods are numbered from 0, node ids from 1.
fn id_from_name(name: &str) -> Result<u64, String> {
    name.rsplit_once('-')
        .and_then(|(_, ordinal)| ordinal.parse::<u64>().ok())
        .and_then(|ordinal| ordinal.checked_add(1))
        .ok_or_else(|| format!("--id-from-name '{name}' does not end in -<number>"))
}

/// Parses `--cluster`: `1=host:port,2=host:port`.
fn parse_cluster(list: &str) -> Result<BTreeMap<u64, String>, String> {
    parse_id_addrs("--cluster", list)
}

/// Parses `1=host:port,2=host:port` given to `flag`.
fn parse_id_addrs(flag: &str, list: &str) -> Result<BTreeMap<u64, String>, String> {
    let mut members = BTreeMap::new();
    for item in list.split(',').filter(|item| !item.trim().is_empty()) {
        let (id, addr) = item
            .split_once('=')
            .ok_or_else(|| format!("{flag} entry '{item}' is not ID=HOST:PORT"))?;
        let id: u64 = id
            .trim()
            .parse()
            .map_err(|_| format!("{flag} entry '{item}' has a bad id"))?;
        if members.insert(id, addr.trim().to_string()).is_some() {
            return Err(format!("{flag} lists id {id} twice"));
        }
    }
    if members.is_empty() {
        return Err(format!("{flag} lists no members"));
    }
    Ok(members)
}

/// Where to listen for Raft traffic given the advertised address: the address itself when it
/// is an IP, else all interfaces on its port (a host name such as a container's).
fn listen_addr(raft_addr: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = raft_addr.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let port = raft_addr
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse::<u16>().ok())
        .ok_or_else(|| format!("--raft-addr '{raft_addr}' is not HOST:PORT"))?;
    let _ = raft_addr.to_socket_addrs();
    Ok(SocketAddr::from(([0, 0, 0, 0], port)))
}

fn parse_output_limit(text: &str) -> Result<OutputLimit, String> {
    OutputLimit::parse(text).ok_or_else(|| {
        format!("'{text}' is not HARD SOFT SECONDS (sizes in bytes, or with kb, mb, gb)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_arguments_start_a_single_node_on_the_default_ports() {
        let (server, node) = Cli::parse_from(["redraft"]).into_configs().unwrap();
        assert_eq!((server.bind.as_str(), server.port), ("127.0.0.1", 6379));
        assert_eq!(node.raft_listen, "127.0.0.1:16379".parse().unwrap());
        assert_eq!(
            node.initial_members,
            BTreeMap::from([(1, "127.0.0.1:16379".into())])
        );
        assert_eq!(node.dir, PathBuf::from("./redraft-data"));
        assert_eq!(node.log_cache_bytes, DEFAULT_LOG_CACHE_BYTES);
    }

    #[test]
    fn log_cache_bytes_reaches_the_node_config() {
        let cli = Cli::parse_from(["redraft", "--log-cache-bytes", "0"]);
        let (_, node) = cli.into_configs().unwrap();
        assert_eq!(node.log_cache_bytes, 0);
    }

    #[test]
    fn cluster_flag_gives_members_and_this_nodes_raft_address() {
        let cli = Cli::parse_from([
            "redraft",
            "--id",
            "2",
            "--port",
            "6380",
            "--cluster",
            "1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003",
        ]);
        let (_, node) = cli.into_configs().unwrap();
        assert_eq!(node.raft_advertise, "127.0.0.1:7002");
        assert_eq!(node.initial_members.len(), 3);
    }

    #[test]
    fn bad_cluster_lists_are_rejected_with_a_reason() {
        assert!(parse_cluster("1=a:1,1=b:2").unwrap_err().contains("twice"));
        assert!(parse_cluster("x=a:1").unwrap_err().contains("bad id"));
        let cli = Cli::parse_from(["redraft", "--id", "4", "--cluster", "1=127.0.0.1:7001"]);
        assert!(cli.into_configs().is_err());
    }

    #[test]
    fn peer_addr_override_maps_peer_ids_to_proxy_addresses() {
        let cli = Cli::parse_from([
            "redraft",
            "--cluster",
            "1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003",
            "--peer-addr-override",
            "2=127.0.0.1:9002,3=127.0.0.1:9003",
        ]);
        let (_, node) = cli.into_configs().unwrap();
        assert_eq!(node.peer_addr(2, "127.0.0.1:7002"), "127.0.0.1:9002");
        assert_eq!(node.peer_addr(3, "127.0.0.1:7003"), "127.0.0.1:9003");
        assert_eq!(node.peer_addr(1, "127.0.0.1:7001"), "127.0.0.1:7001");
        let (_, plain) = Cli::parse_from(["redraft"]).into_configs().unwrap();
        assert!(plain.peer_addr_overrides.is_empty());
        let bad = Cli::parse_from(["redraft", "--peer-addr-override", "x=1"]);
        assert!(bad
            .into_configs()
            .unwrap_err()
            .contains("--peer-addr-override"));
    }

    #[test]
    fn bootstrap_probe_lists_addresses_and_refuses_a_static_cluster() {
        let cli = Cli::parse_from([
            "redraft",
            "--join",
            "127.0.0.1:16379",
            "--bootstrap-probe",
            "a:1, b:2,",
        ]);
        let (_, node) = cli.into_configs().unwrap();
        assert_eq!(node.bootstrap_probe, ["a:1", "b:2"]);
        let both = Cli::try_parse_from([
            "redraft",
            "--cluster",
            "1=127.0.0.1:7001",
            "--bootstrap-probe",
            "a:1",
        ]);
        assert!(both.is_err());
    }

    #[test]
    fn join_starts_with_no_initial_members_unless_it_names_this_node() {
        let cli = Cli::parse_from([
            "redraft",
            "--id-from-name",
            "redraft-2",
            "--raft-addr",
            "redraft-2.redraft-headless:16379",
            "--join",
            "redraft-0.redraft-headless:16379",
            "--insecure-peers",
        ]);
        assert_eq!(
            cli.join_seed().as_deref(),
            Some("redraft-0.redraft-headless:16379")
        );
        let (_, node) = cli.into_configs().unwrap();
        assert_eq!(node.id, 3);
        assert!(node.initial_members.is_empty());

        let first = Cli::parse_from([
            "redraft",
            "--id-from-name",
            "redraft-0",
            "--raft-addr",
            "redraft-0.redraft-headless:16379",
            "--join",
            "redraft-0.redraft-headless:16379",
            "--insecure-peers",
        ]);
        assert_eq!(first.join_seed(), None);
        let (_, node) = first.into_configs().unwrap();
        assert_eq!(
            node.initial_members,
            BTreeMap::from([(1, "redraft-0.redraft-headless:16379".into())])
        );
    }

    #[test]
    fn metrics_and_json_logs_are_off_unless_asked_for() {
        let plain = Cli::parse_from(["redraft"]);
        assert_eq!(
            (plain.metrics_addr, plain.log_format),
            (None, LogFormat::Text)
        );
        let asked = Cli::parse_from([
            "redraft",
            "--metrics-addr",
            "0.0.0.0:9121",
            "--log-format",
            "json",
        ]);
        assert_eq!(asked.metrics_addr.as_deref(), Some("0.0.0.0:9121"));
        assert_eq!(asked.log_format, LogFormat::Json);
        assert!(Cli::try_parse_from(["redraft", "--log-format", "xml"]).is_err());
    }

    #[test]
    fn pod_names_without_an_ordinal_are_rejected() {
        assert_eq!(id_from_name("redraft-0"), Ok(1));
        assert!(id_from_name("redraft").is_err());
        assert!(id_from_name("redraft-x").is_err());
    }

    #[test]
    fn host_names_listen_on_all_interfaces() {
        assert_eq!(
            listen_addr("redraft-1:16379").unwrap(),
            "0.0.0.0:16379".parse().unwrap()
        );
    }

    #[test]
    fn a_raft_port_beyond_loopback_needs_a_cluster_secret() {
        let open = ["redraft", "--raft-listen", "0.0.0.0:16379"];
        let refused = Cli::parse_from(open).into_configs().unwrap_err();
        assert!(refused.contains("REDRAFT_CLUSTER_SECRET"), "{refused}");
        let file = std::env::temp_dir().join(format!("redraft-secret-{}", std::process::id()));
        std::fs::write(&file, "  s3cret\n").unwrap();
        let path = file.display().to_string();
        let with_secret = [&open[..], &["--cluster-secret-file", &path]].concat();
        let (_, node) = Cli::parse_from(with_secret).into_configs().unwrap();
        assert_eq!(node.cluster_secret.as_deref(), Some("s3cret"));
        std::fs::write(&file, "two words").unwrap();
        let spaced = [&open[..], &["--cluster-secret-file", &path]].concat();
        assert!(Cli::parse_from(spaced).into_configs().is_err());
        let insecure = [&open[..], &["--insecure-peers"]].concat();
        assert!(Cli::parse_from(insecure).into_configs().is_ok());
        let _ = std::fs::remove_file(&file);
        // Mutual TLS authenticates the nodes without a secret.
        let mtls = [
            "--peer-tls-cert-file",
            "n.crt",
            "--peer-tls-key-file",
            "n.key",
        ];
        let mtls = [&open[..], &mtls[..], &["--peer-tls-ca-file", "ca.crt"]].concat();
        let (_, node) = Cli::parse_from(mtls).into_configs().unwrap();
        let tls = node.peer_tls.unwrap();
        assert_eq!(tls.files.ca, Some(PathBuf::from("ca.crt")));
        let without_ca = [
            &open[..],
            &[
                "--peer-tls-cert-file",
                "n.crt",
                "--peer-tls-key-file",
                "n.key",
            ],
        ]
        .concat();
        assert!(Cli::try_parse_from(without_ca).is_err());
    }

    #[test]
    fn the_tls_client_port_needs_its_files() {
        let configs = |args: &[&str]| Cli::parse_from([&["redraft"], args].concat()).into_configs();
        let refused = configs(&["--tls-port", "6380"]).unwrap_err();
        assert!(refused.contains("--tls-cert-file"), "{refused}");
        let files = [
            "--tls-port",
            "6380",
            "--tls-cert-file",
            "c",
            "--tls-key-file",
            "k",
        ];
        let refused = configs(&files).unwrap_err();
        assert!(refused.contains("--tls-ca-cert-file"), "{refused}");
        let (server, _) = configs(&[&files[..], &["--tls-auth-clients", "no"]].concat()).unwrap();
        let tls = server.tls.unwrap();
        assert_eq!((tls.port, tls.client_certs), (6380, ClientCerts::Ignored));
        let (server, _) = configs(&[&files[..], &["--tls-ca-cert-file", "ca"]].concat()).unwrap();
        assert_eq!(server.tls.unwrap().client_certs, ClientCerts::Required);
        assert!(configs(&["--port", "0"])
            .unwrap_err()
            .contains("--tls-port"));
        let tls_only = [&files[..], &["--tls-auth-clients", "no", "--port", "0"]].concat();
        assert_eq!(configs(&tls_only).unwrap().0.port, 0);
    }
}
