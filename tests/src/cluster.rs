//! A cluster of real `redraft` processes on loopback, with fault injection.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::binary::redraft_bin;
use crate::certs::{self, Certs};
use crate::ports::free_port;
use crate::process::{kill_and_reap, signal, tail, wait_exit};
use crate::proxy::LinkProxy;
use crate::raw::RawClient;

/// Bound on electing the first leader of a fresh cluster (debug binaries, 2 cores).
pub const FIRST_LEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on electing a leader after a fault.
pub const LEADER_TIMEOUT: Duration = Duration::from_secs(20);
/// Bound on one `INFO raft` round trip; a paused or hung node must not stall polls.
const INFO_TIMEOUT: Duration = Duration::from_millis(1000);
/// Bound on a SIGTERM'd node shutting down before it is SIGKILLed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Log lines printed per node when a test fails.
const LOG_TAIL_LINES: usize = 60;
/// `--join-timeout-ms` of a node waiting to be added by hand: longer than any run.
const WAIT_TO_BE_ADDED_MS: u64 = 24 * 3600 * 1000;

/// How to start a cluster.
#[derive(Clone, Debug, Default)]
pub struct ClusterOptions {
    /// Flags appended to every node's command line (e.g. `--snapshot-logs 50`).
    pub extra_args: Vec<String>,
    /// Route every directed Raft link i→j through a harness proxy (test-only
    /// `--peer-addr-override`), so links can be cut and healed: see [`Cluster::cut`].
    pub proxied_links: bool,
    /// TLS everywhere: every node also serves clients over TLS (see [`Cluster::tls_port`]),
    /// and nodes talk to each other over mutual TLS, with certificates the harness makes.
    pub tls: bool,
    /// The certificates for [`ClusterOptions::tls`]; the harness makes its own when None.
    pub certs: Option<Certs>,
    /// Every node serves its metrics (`--metrics-addr`): see [`Cluster::metrics_port`].
    pub metrics: bool,
}

impl ClusterOptions {
    /// Appends `args` to every node's command line.
    pub fn args<S: AsRef<str>>(mut self, args: &[S]) -> Self {
        self.extra_args
            .extend(args.iter().map(|a| a.as_ref().to_string()));
        self
    }

    /// Routes every directed link through a proxy the harness can cut.
    pub fn proxied_links(mut self) -> Self {
        self.proxied_links = true;
        self
    }

    /// Has every node serve its metrics on a port of its own.
    pub fn metrics(mut self) -> Self {
        self.metrics = true;
        self
    }

    /// Turns on TLS for clients and mutual TLS between nodes.
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// TLS as [`ClusterOptions::tls`], with these certificates (their node certificate must
    /// name `localhost`).
    pub fn tls_with(mut self, certs: Certs) -> Self {
        self.tls = true;
        self.certs = Some(certs);
        self
    }
}

/// A node's TLS flags: clients on `tls_port` (with client certificates required) and mutual
/// TLS with its peers, every node with the same node certificate.
fn tls_args(certs: &Certs, tls_port: u16) -> Vec<String> {
    let path = |p: &Path| p.display().to_string();
    vec![
        "--tls-port".into(),
        tls_port.to_string(),
        "--tls-cert-file".into(),
        path(&certs.node_cert),
        "--tls-key-file".into(),
        path(&certs.node_key),
        "--tls-ca-cert-file".into(),
        path(&certs.ca),
        "--peer-tls-cert-file".into(),
        path(&certs.node_cert),
        "--peer-tls-key-file".into(),
        path(&certs.node_key),
        "--peer-tls-ca-file".into(),
        path(&certs.ca),
    ]
}

/// The `INFO` fields of one node (`key:value` lines).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Info(pub BTreeMap<String, String>);

impl Info {
    /// Parses the text of an `INFO` reply.
    pub fn parse(text: &str) -> Self {
        let fields = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Self(fields)
    }

    /// The field `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The numeric field `key`; panics with the whole map when missing or not a number.
    pub fn num(&self, key: &str) -> u64 {
        self.get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("INFO field {key:?} missing or not a number in {:?}", self.0))
    }

    /// `role:` (leader, follower, candidate, learner).
    pub fn role(&self) -> &str {
        self.get("role").unwrap_or("")
    }
}

/// What the harness knows about one node's process.
#[derive(Debug, Default)]
struct Proc {
    child: Option<Child>,
    paused: bool,
}

/// One member of the cluster: its addresses, data directory and log file.
#[derive(Debug)]
struct Node {
    id: u64,
    port: u16,
    /// The TLS client port (listened on only when the cluster has certificates).
    tls_port: u16,
    raft_port: u16,
    /// The metrics port, when the cluster serves metrics.
    metrics_port: Option<u16>,
    dir: PathBuf,
    log: PathBuf,
    /// Started with `--cluster` (an initial member) rather than `--join`.
    initial: bool,
    /// The Raft address of the member to `--join` through; None for initial members until
    /// they are wiped and rejoin.
    join: Mutex<Option<String>>,
    /// Started fresh to wait until an operator adds it (`RAFT ADDLEARNER` + `PROMOTE`):
    /// see [`Cluster::start_fresh`].
    wait_to_be_added: Mutex<bool>,
    proc: Mutex<Proc>,
    /// Flags for this node only, after the cluster's (e.g. a clock offset).
    own_args: Mutex<Vec<String>>,
}

/// A statically bootstrapped cluster of `redraft` processes. Dropping it SIGKILLs
/// every process; when the test is panicking it first prints each node's log tail.
pub struct Cluster {
    nodes: Vec<Node>,
    bin: PathBuf,
    extra_args: Vec<String>,
    /// (from, to) -> the proxy node `from` dials to reach node `to`.
    proxies: BTreeMap<(u64, u64), LinkProxy>,
    /// A listener that never accepts: the `--join` seed of a node that must wait to be
    /// added by hand (see [`Cluster::start_fresh`]).
    black_hole: std::net::TcpListener,
    /// The cluster secret every node is started with (peer authentication on, always).
    secret: String,
    /// The certificates of a cluster started with [`ClusterOptions::tls`].
    certs: Option<Certs>,
    tmp: TempDir,
}

impl Cluster {
    /// Starts `size` nodes with default flags and waits for a leader.
    pub async fn start(size: usize) -> Self {
        Self::start_with(size, ClusterOptions::default()).await
    }

    /// Starts `size` nodes with `options` and waits (bounded) for a leader that a
    /// majority agrees on.
    pub async fn start_with(size: usize, options: ClusterOptions) -> Self {
        assert!(size >= 1, "a cluster has at least one node");
        let tmp = tempfile::Builder::new()
            .prefix("redraft-cluster-")
            .tempdir()
            .expect("tempdir");
        let nodes = (1..=size as u64)
            .map(|id| {
                let dir = tmp.path().join(format!("node{id}"));
                std::fs::create_dir_all(&dir).expect("create node dir");
                Node {
                    id,
                    port: free_port(),
                    tls_port: free_port(),
                    raft_port: free_port(),
                    metrics_port: options.metrics.then(free_port),
                    log: tmp.path().join(format!("node{id}.log")),
                    dir,
                    initial: true,
                    join: Mutex::new(None),
                    wait_to_be_added: Mutex::new(false),
                    proc: Mutex::new(Proc::default()),
                    own_args: Mutex::new(Vec::new()),
                }
            })
            .collect::<Vec<Node>>();
        let mut proxies = BTreeMap::new();
        if options.proxied_links {
            for from in &nodes {
                for to in nodes.iter().filter(|to| to.id != from.id) {
                    proxies.insert((from.id, to.id), LinkProxy::start(to.raft_port).await);
                }
            }
        }
        let cluster = Self {
            nodes,
            bin: redraft_bin(),
            extra_args: options.extra_args,
            proxies,
            black_hole: std::net::TcpListener::bind("127.0.0.1:0").expect("black-hole listener"),
            secret: format!("{:032x}", rand::random::<u128>()),
            certs: match (options.tls, options.certs) {
                (false, _) => None,
                (true, Some(certs)) => Some(certs),
                (true, None) => Some(certs::make(&tmp.path().join("certs"), "cluster")),
            },
            tmp,
        };
        for id in cluster.ids() {
            cluster.spawn(id);
        }
        cluster.wait_leader(FIRST_LEADER_TIMEOUT).await;
        cluster
    }

    /// The cluster secret its nodes check on the Raft port.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Node ids, 1..=size.
    pub fn ids(&self) -> Vec<u64> {
        self.nodes.iter().map(|n| n.id).collect()
    }

    /// The temporary directory holding every node's data dir and log.
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    fn node(&self, id: u64) -> &Node {
        self.nodes
            .iter()
            .find(|n| n.id == id)
            .unwrap_or_else(|| panic!("no node {id}"))
    }

    fn proc(&self, id: u64) -> std::sync::MutexGuard<'_, Proc> {
        self.node(id).proc.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Node `id`'s client (RESP) port.
    pub fn port(&self, id: u64) -> u16 {
        self.node(id).port
    }

    /// Node `id`'s TLS client port (a cluster started with [`ClusterOptions::tls`]).
    pub fn tls_port(&self, id: u64) -> u16 {
        assert!(self.certs.is_some(), "the cluster was started without TLS");
        self.node(id).tls_port
    }

    /// The certificates of a cluster started with [`ClusterOptions::tls`].
    pub fn certs(&self) -> &Certs {
        self.certs
            .as_ref()
            .expect("the cluster was started without TLS")
    }

    /// Node `id`'s metrics port (`GET /metrics`); the cluster must serve metrics.
    pub fn metrics_port(&self, id: u64) -> u16 {
        self.node(id)
            .metrics_port
            .unwrap_or_else(|| panic!("no metrics: start with ClusterOptions::metrics"))
    }

    /// Node `id`'s Raft address.
    pub fn raft_addr(&self, id: u64) -> String {
        format!("127.0.0.1:{}", self.node(id).raft_port)
    }

    /// Starts a new node (the next id) with `--join` through node `seed`; does not wait.
    pub fn add_joining_node(&mut self, seed: u64) -> u64 {
        let id = self.nodes.iter().map(|n| n.id).max().unwrap_or(0) + 1;
        let dir = self.tmp.path().join(format!("node{id}"));
        std::fs::create_dir_all(&dir).expect("create node dir");
        self.nodes.push(Node {
            id,
            port: free_port(),
            tls_port: free_port(),
            raft_port: free_port(),
            metrics_port: self
                .nodes
                .first()
                .and_then(|n| n.metrics_port)
                .map(|_| free_port()),
            log: self.tmp.path().join(format!("node{id}.log")),
            dir,
            initial: false,
            join: Mutex::new(Some(self.raft_addr(seed))),
            wait_to_be_added: Mutex::new(false),
            own_args: Mutex::new(Vec::new()),
            proc: Mutex::new(Proc::default()),
        });
        self.spawn(id);
        id
    }

    /// Deletes the data directory of node `id`, which must be down, and starts it fresh with
    /// `--join` through node `seed` (same id and ports): a replaced machine.
    pub fn wipe_and_rejoin(&self, id: u64, seed: u64) {
        self.wipe(id);
        self.start_fresh(id, Some(seed));
    }

    /// Deletes the data directory of node `id`, which must be down (its removal marker and
    /// log go with it).
    pub fn wipe(&self, id: u64) {
        assert!(self.proc(id).child.is_none(), "wipe: node {id} is running");
        let node = self.node(id);
        std::fs::remove_dir_all(&node.dir).expect("wipe node dir");
        std::fs::create_dir_all(&node.dir).expect("create node dir");
    }

    /// Starts node `id` (down, normally wiped) as a node that is not an initial member:
    /// with `--join` through node `seed`, or, with `None`, waiting to be added by hand with
    /// `RAFT ADDLEARNER` and `RAFT PROMOTE`. The server has no flag for "wait to be added"
    /// (without `--cluster` or `--join` it bootstraps a one-node cluster), so such a node
    /// gets `--join` through a listener that never answers and a join timeout of a day.
    /// Later restarts keep the mode; a node with data resumes from disk either way.
    pub fn start_fresh(&self, id: u64, seed: Option<u64>) {
        let node = self.node(id);
        *node.join.lock().unwrap_or_else(|e| e.into_inner()) = seed.map(|s| self.raft_addr(s));
        *node
            .wait_to_be_added
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = seed.is_none();
        self.spawn(id);
    }

    /// The `--cluster` value: `1=127.0.0.1:RP1,2=...` (the initial members).
    fn cluster_spec(&self) -> String {
        self.nodes
            .iter()
            .filter(|n| n.initial)
            .map(|n| format!("{}=127.0.0.1:{}", n.id, n.raft_port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The full command line of node `id` (identical on every restart).
    pub fn command_line(&self, id: u64) -> Vec<String> {
        let node = self.node(id);
        let mut args = vec![
            "--id".to_string(),
            id.to_string(),
            "--bind".to_string(),
            "127.0.0.1".to_string(),
            "--port".to_string(),
            node.port.to_string(),
            "--raft-addr".to_string(),
            format!("127.0.0.1:{}", node.raft_port),
            "--dir".to_string(),
            node.dir.display().to_string(),
        ];
        let wait_to_be_added = *node
            .wait_to_be_added
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match node.join.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            _ if wait_to_be_added => {
                let black_hole = self
                    .black_hole
                    .local_addr()
                    .expect("black-hole listener address");
                args.extend([
                    "--join".to_string(),
                    black_hole.to_string(),
                    "--join-timeout-ms".to_string(),
                    WAIT_TO_BE_ADDED_MS.to_string(),
                ]);
            }
            Some(seed) => args.extend(["--join".to_string(), seed]),
            None => args.extend(["--cluster".to_string(), self.cluster_spec()]),
        }
        let overrides: Vec<String> = self
            .proxies
            .iter()
            .filter(|((from, _), _)| *from == id)
            .map(|((_, to), proxy)| format!("{to}=127.0.0.1:{}", proxy.port()))
            .collect();
        if !overrides.is_empty() {
            args.push("--peer-addr-override".to_string());
            args.push(overrides.join(","));
        }
        if let Some(certs) = &self.certs {
            args.extend(tls_args(certs, node.tls_port));
        }
        if let Some(port) = node.metrics_port {
            args.extend(["--metrics-addr".to_string(), format!("127.0.0.1:{port}")]);
        }
        args.extend(self.extra_args.iter().cloned());
        args.extend(
            node.own_args
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .cloned(),
        );
        args
    }

    /// Node `id`'s data directory (its Raft log is under `raft/log/`).
    pub fn data_dir(&self, id: u64) -> &Path {
        &self.node(id).dir
    }

    /// Whether node `id`'s process exists (running or paused).
    pub fn is_running(&self, id: u64) -> bool {
        self.proc(id).child.is_some()
    }

    /// Whether node `id` is paused (SIGSTOPped).
    pub fn is_paused(&self, id: u64) -> bool {
        self.proc(id).paused
    }

    /// Replaces node `id`'s own flags for its next start, without starting it.
    pub fn set_own_args(&self, id: u64, own_args: &[String]) {
        *self
            .node(id)
            .own_args
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = own_args.to_vec();
    }

    /// Starts node `id` again with `own_args` in place of its previous own flags
    /// (e.g. `["--clock-offset-ms", "5000"]`; empty to drop them).
    pub fn restart_with_args(&self, id: u64, own_args: &[String]) {
        *self
            .node(id)
            .own_args
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = own_args.to_vec();
        self.spawn(id);
    }

    fn proxy(&self, from: u64, to: u64) -> &LinkProxy {
        self.proxies.get(&(from, to)).unwrap_or_else(|| {
            panic!("no proxy for link {from}->{to}: start with ClusterOptions::proxied_links")
        })
    }

    /// Cuts the directed link `from`→`to` (Raft RPCs, forwarded writes, read index).
    pub fn cut(&self, from: u64, to: u64) {
        self.proxy(from, to).cut();
    }

    /// Cuts both directions between every node of `a` and every node of `b`.
    pub fn cut_between(&self, a: &[u64], b: &[u64]) {
        for &x in a {
            for &y in b {
                self.cut(x, y);
                self.cut(y, x);
            }
        }
    }

    /// Heals every link.
    pub fn heal_links(&self) {
        for proxy in self.proxies.values() {
            proxy.heal();
        }
    }

    /// The directed links that are cut now.
    pub fn cut_links(&self) -> Vec<(u64, u64)> {
        self.proxies
            .iter()
            .filter(|(_, proxy)| proxy.is_cut())
            .map(|(link, _)| *link)
            .collect()
    }

    fn spawn(&self, id: u64) {
        let node = self.node(id);
        let mut proc = self.proc(id);
        assert!(proc.child.is_none(), "node {id} is already running");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .expect("open node log");
        let log_err = log.try_clone().expect("clone log handle");
        let mut command = Command::new(&self.bin);
        command
            .args(self.command_line(id))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .env("RUST_BACKTRACE", "1")
            .env("REDRAFT_CLUSTER_SECRET", &self.secret);
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "info");
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.bin.display()));
        *proc = Proc {
            child: Some(child),
            paused: false,
        };
    }

    /// Whether node `id` is running and not paused (so it can answer).
    pub fn is_up(&self, id: u64) -> bool {
        let proc = self.proc(id);
        proc.child.is_some() && !proc.paused
    }

    /// Nodes that are running and not paused.
    pub fn up_ids(&self) -> Vec<u64> {
        self.ids()
            .into_iter()
            .filter(|&id| self.is_up(id))
            .collect()
    }

    /// Panics (with logs, via Drop) when a node the harness believes running has exited.
    fn assert_no_unexpected_exit(&self) {
        for node in &self.nodes {
            let mut proc = node.proc.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(child) = proc.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    proc.child = None;
                    drop(proc);
                    panic!("node {} exited unexpectedly with {status}", node.id);
                }
            }
        }
    }

    /// Waits (at most `timeout`, polling) for node `id` to exit on its own; returns its exit
    /// status, after which the harness counts the node as stopped. None if it still runs.
    pub async fn wait_exit(&self, id: u64, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            {
                let mut proc = self.proc(id);
                let exited = proc
                    .child
                    .as_mut()
                    .and_then(|child| child.try_wait().ok().flatten());
                if let Some(status) = exited {
                    proc.child = None;
                    proc.paused = false;
                    return Some(status);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILLs node `id` and reaps it.
    pub fn kill(&self, id: u64) {
        let mut proc = self.proc(id);
        let mut child = proc
            .child
            .take()
            .unwrap_or_else(|| panic!("kill: node {id} is not running"));
        kill_and_reap(&mut child);
        proc.paused = false;
    }

    /// SIGTERMs node `id` and waits (bounded) for it to exit; SIGKILLs it after
    /// the bound and fails the test, since a clean stop must not hang.
    pub fn stop(&self, id: u64) {
        let mut proc = self.proc(id);
        let mut child = proc
            .child
            .take()
            .unwrap_or_else(|| panic!("stop: node {id} is not running"));
        if proc.paused {
            signal(child.id(), "CONT");
            proc.paused = false;
        }
        signal(child.id(), "TERM");
        if !wait_exit(&mut child, STOP_TIMEOUT) {
            kill_and_reap(&mut child);
            drop(proc);
            panic!("node {id} did not exit within {STOP_TIMEOUT:?} of SIGTERM");
        }
    }

    /// SIGSTOPs node `id`: it keeps its sockets but answers nothing.
    pub fn pause(&self, id: u64) {
        let mut proc = self.proc(id);
        let child = proc
            .child
            .as_ref()
            .unwrap_or_else(|| panic!("pause: node {id} is not running"));
        signal(child.id(), "STOP");
        proc.paused = true;
    }

    /// SIGCONTs node `id`.
    pub fn resume(&self, id: u64) {
        let mut proc = self.proc(id);
        let child = proc
            .child
            .as_ref()
            .unwrap_or_else(|| panic!("resume: node {id} is not running"));
        signal(child.id(), "CONT");
        proc.paused = false;
    }

    /// Starts node `id` again with the same command line and data directory.
    pub fn restart(&self, id: u64) {
        self.spawn(id);
    }

    /// `INFO raft` of node `id`, bounded by a short timeout.
    pub async fn try_info(&self, id: u64) -> Result<Info, String> {
        info_at(self.port(id))
            .await
            .map_err(|e| format!("node {id}: {e}"))
    }

    /// `INFO raft` of node `id`; waits (bounded) for the node to answer, e.g. just
    /// after a start.
    pub async fn info(&self, id: u64) -> Info {
        crate::wait_for(
            &format!("INFO raft from node {id}"),
            LEADER_TIMEOUT,
            || async {
                self.assert_no_unexpected_exit();
                self.try_info(id).await
            },
        )
        .await
    }

    /// `INFO raft` of every node that is up, fetched concurrently.
    pub async fn infos(&self) -> Vec<(u64, Result<Info, String>)> {
        let tasks: Vec<_> = self
            .up_ids()
            .into_iter()
            .map(|id| {
                let port = self.port(id);
                (id, tokio::spawn(async move { info_at(port).await }))
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for (id, task) in tasks {
            let info = task.await.unwrap_or_else(|e| Err(format!("task: {e}")));
            out.push((id, info.map_err(|e| format!("node {id}: {e}"))));
        }
        out
    }

    /// The leader right now, when a majority of the whole cluster agrees on it: the
    /// highest-term node saying `role:leader`, confirmed by the `leader_id` of enough
    /// nodes in the same term.
    pub async fn current_leader(&self) -> Result<u64, String> {
        self.assert_no_unexpected_exit();
        let infos = self.infos().await;
        let answered: Vec<(u64, &Info)> = infos
            .iter()
            .filter_map(|(id, info)| info.as_ref().ok().map(|i| (*id, i)))
            .collect();
        let (leader, term) = answered
            .iter()
            .filter(|(_, info)| info.role() == "leader")
            .map(|(id, info)| (*id, info.num("term")))
            .max_by_key(|&(_, term)| term)
            .ok_or_else(|| format!("no node says role:leader; {}", summarize(&infos)))?;
        let agreeing = answered
            .iter()
            .filter(|(_, info)| {
                info.num("term") == term && info.get("leader_id") == Some(&leader.to_string())
            })
            .count();
        // A majority of the voters the leader knows (membership changes over a test).
        let voters = answered
            .iter()
            .find(|(id, _)| *id == leader)
            .and_then(|(_, info)| info.get("members"))
            .map_or(self.nodes.len(), |m| {
                m.split(',').filter(|s| !s.is_empty()).count()
            });
        let majority = voters / 2 + 1;
        if agreeing >= majority {
            Ok(leader)
        } else {
            Err(format!(
                "leader {leader} (term {term}) confirmed by {agreeing} < {majority}; {}",
                summarize(&infos)
            ))
        }
    }

    /// Waits (bounded by `timeout`) for a leader that a majority agrees on.
    pub async fn wait_leader(&self, timeout: Duration) -> u64 {
        crate::wait_for("a leader confirmed by a majority", timeout, || {
            self.current_leader()
        })
        .await
    }

    /// The leader (waits, bounded, until there is one).
    pub async fn leader(&self) -> u64 {
        self.wait_leader(LEADER_TIMEOUT).await
    }

    /// Nodes that are up and are not the leader.
    pub async fn followers(&self) -> Vec<u64> {
        let leader = self.leader().await;
        self.up_ids()
            .into_iter()
            .filter(|&id| id != leader)
            .collect()
    }

    /// Waits (bounded) until every node that is up reports the same `applied_index`,
    /// equal to the highest `commit_index` any of them reports; returns that index.
    pub async fn wait_applied_equal(&self) -> u64 {
        self.wait_applied_equal_within(LEADER_TIMEOUT).await
    }

    /// [`Cluster::wait_applied_equal`] with an explicit bound.
    pub async fn wait_applied_equal_within(&self, timeout: Duration) -> u64 {
        crate::wait_for(
            "equal applied_index on every node that is up",
            timeout,
            || async {
                self.assert_no_unexpected_exit();
                let infos = self.infos().await;
                let mut applied = Vec::new();
                let mut commit_max = 0;
                for (id, info) in &infos {
                    let info = info.as_ref().map_err(Clone::clone)?;
                    applied.push((*id, info.num("applied_index")));
                    commit_max = commit_max.max(info.num("commit_index"));
                }
                if applied.iter().all(|&(_, a)| a == commit_max) {
                    Ok(commit_max)
                } else {
                    Err(format!("applied {applied:?}, commit max {commit_max}"))
                }
            },
        )
        .await
    }

    /// A raw RESP connection to node `id`.
    pub async fn raw(&self, id: u64) -> RawClient {
        RawClient::connect(self.port(id))
            .await
            .unwrap_or_else(|e| panic!("connect to node {id}: {e}"))
    }

    /// A `redis` crate async connection to node `id`.
    pub async fn conn(&self, id: u64) -> redis::aio::MultiplexedConnection {
        connect(self.port(id))
            .await
            .unwrap_or_else(|e| panic!("redis connect to node {id}: {e}"))
    }

    /// The last `lines` lines of node `id`'s log.
    pub fn log_tail(&self, id: u64, lines: usize) -> String {
        tail(&self.node(id).log, lines)
    }

    /// Prints every node's command line and log tail to stderr.
    pub fn dump_logs(&self) {
        for node in &self.nodes {
            eprintln!(
                "===== node {} (client port {}, raft port {}) log tail: {} =====\n{}",
                node.id,
                node.port,
                node.raft_port,
                node.log.display(),
                tail(&node.log, LOG_TAIL_LINES)
            );
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.dump_logs();
            if std::env::var_os("REDRAFT_KEEP_DIRS").is_some() {
                let path =
                    std::mem::replace(&mut self.tmp, TempDir::new().expect("tempdir")).keep();
                eprintln!("kept cluster dir {}", path.display());
            }
        }
        for node in &self.nodes {
            let mut proc = node.proc.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(mut child) = proc.child.take() {
                kill_and_reap(&mut child);
            }
        }
    }
}

/// A `redis` crate async connection to 127.0.0.1:`port`, with a response timeout
/// longer than the server's default request timeout.
pub async fn connect(port: u16) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/"))?;
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(10)));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// `INFO raft` from 127.0.0.1:`port`, bounded by [`INFO_TIMEOUT`].
async fn info_at(port: u16) -> Result<Info, String> {
    let started = Instant::now();
    let attempt = async {
        let mut client = RawClient::connect(port).await.map_err(|e| e.to_string())?;
        client.set_reply_timeout(INFO_TIMEOUT);
        let frame = client
            .call_frame(&["INFO", "raft"])
            .await
            .map_err(|e| e.to_string())?;
        match frame {
            redis_protocol::resp2::types::OwnedFrame::BulkString(text) => {
                Ok(Info::parse(&String::from_utf8_lossy(&text)))
            }
            other => Err(format!("INFO raft replied {other:?}")),
        }
    };
    tokio::time::timeout(INFO_TIMEOUT, attempt)
        .await
        .unwrap_or_else(|_| Err(format!("no INFO reply within {:?}", started.elapsed())))
}

fn summarize(infos: &[(u64, Result<Info, String>)]) -> String {
    infos
        .iter()
        .map(|(id, info)| match info {
            Ok(i) => format!(
                "[{id}: {} term {} leader {}]",
                i.role(),
                i.get("term").unwrap_or("?"),
                i.get("leader_id").unwrap_or("?")
            ),
            Err(e) => format!("[{id}: {e}]"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_parse_reads_fields_and_skips_section_headers() {
        let info =
            Info::parse("# Raft\r\nrole:leader\r\nnode_id:2\r\nterm:7\r\nmembers:1,2,3\r\n\r\n");
        assert_eq!(info.role(), "leader");
        assert_eq!(info.num("term"), 7);
        assert_eq!(info.get("members"), Some("1,2,3"));
        assert_eq!(info.get("# Raft"), None);
    }
}
