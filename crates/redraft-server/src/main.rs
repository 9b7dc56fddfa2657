//! `redraft`: a Redis-compatible server whose nodes replicate through Raft.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use redraft_raft::tls::ReloadingAcceptor;
use redraft_server::accept::Listeners;
use redraft_server::cli::{Cli, LogFormat};
use redraft_server::health;
use redraft_server::metrics;
use redraft_server::raft_cluster::RaftCluster;
use redraft_server::server::{Server, ServerConfig};
use redraft_server::settings::SettingsError;

/// jemalloc, as redis-server uses: small keys and values cost their size class, not glibc's
/// 16-byte-aligned chunk with a header, and the memory per key stays close to Redis's.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Bound on handing leadership over before a planned stop.
const HANDOVER_TIMEOUT: Duration = Duration::from_secs(5);
/// Time sessions get to write their last replies once the node stopped.
const FLUSH_GRACE: Duration = Duration::from_millis(200);
/// Threads of the Raft runtime: its core and the apply task each get one.
const RAFT_WORKER_THREADS: usize = 2;
/// Time the Raft runtime's tasks get to end once the node stopped.
const RAFT_RUNTIME_GRACE: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let cli = match redraft_server::settings::load(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(SettingsError::Flags(error)) => error.exit(),
        Err(SettingsError::File(error)) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    if cli.health {
        if cli.port == 0 {
            eprintln!("redraft: --health asks the plain client port, and --port 0 turns it off");
            return ExitCode::FAILURE;
        }
        return match health::check(cli.port) {
            Ok(()) => ExitCode::SUCCESS,
            Err(why) => {
                eprintln!("redraft: unhealthy: {why}");
                ExitCode::FAILURE
            }
        };
    }
    init_logging(&cli);
    let runtimes = match Runtimes::build() {
        Ok(runtimes) => runtimes,
        Err(error) => {
            eprintln!("redraft: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let raft = runtimes.raft.handle().clone();
    let outcome = runtimes.clients.block_on(run(cli, raft));
    runtimes.raft.shutdown_timeout(RAFT_RUNTIME_GRACE);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("redraft: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Log lines to stderr, filtered by --log (or RUST_LOG), as text or JSON (--log-format).
fn init_logging(cli: &Cli) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cli.log));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        // Fields at the top level and the event's span: what collectors index.
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
}

/// Two runtimes: Raft (elections, heartbeats, replication, apply, the peers' gRPC server) has
/// threads of its own, so that nothing a client asks for (a read that runs for seconds, the
/// encoding of a huge reply, thousands of busy connections) can delay a heartbeat into an
/// election or hold up the log.
struct Runtimes {
    clients: tokio::runtime::Runtime,
    raft: tokio::runtime::Runtime,
}

impl Runtimes {
    fn build() -> std::io::Result<Runtimes> {
        let clients = tokio::runtime::Builder::new_multi_thread()
            .thread_name("redraft-clients")
            .enable_all()
            .build()?;
        let raft = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RAFT_WORKER_THREADS)
            .thread_name("redraft-raft")
            .enable_all()
            .build()?;
        Ok(Runtimes { clients, raft })
    }
}

async fn run(cli: Cli, raft: tokio::runtime::Handle) -> Result<(), String> {
    let join = cli.join_seed();
    let join_timeout = Duration::from_millis(cli.join_timeout_ms);
    let metrics_listener = match &cli.metrics_addr {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen for metrics scrapes on {addr}: {e}"))?,
        ),
        None => None,
    };
    let (mut server_config, node_config) = cli.into_configs()?;
    let acl_file = match &server_config.aclfile {
        Some(path) => Some((path.clone(), checked_acl_file(path).await?)),
        None => None,
    };
    let listeners = client_listeners(&server_config).await?;
    // Every task the node starts (Raft's core, replication, apply, the gRPC server, sweeps)
    // runs on the Raft runtime.
    let node = raft
        .spawn(redraft_raft::RaftNode::start(node_config))
        .await
        .map_err(|e| format!("cannot start the Raft node: {e}"))?
        .map_err(|e| format!("cannot start the Raft node: {e}"))?;
    tracing::info!(
        bind = %server_config.bind,
        port = server_config.port,
        tls_port = server_config.tls.as_ref().map(|tls| tls.port),
        "redraft ready for clients"
    );
    // A fresh node that found a cluster instead of bootstrapping joins it.
    let join = join.or_else(|| node.existing_cluster().map(str::to_string));
    let dir = std::path::PathBuf::from(&server_config.dir);
    let cluster = RaftCluster::with_dir(node.clone(), &dir);
    let initial_config = std::mem::take(&mut server_config.initial_config);
    let server = Server::new(cluster, server_config);
    // What the node holds before any client: MEMORY STATS' startup.allocated.
    redraft_server::allocator::note_startup();
    redraft_server::config_file::propose_at_start(server.clone(), initial_config);
    if let Some((path, content)) = acl_file {
        redraft_server::aclfile::load_at_start(server.clone(), &path, content);
    }
    let metrics = metrics_listener.map(|listener| {
        let (server, node) = (server.clone(), node.clone());
        let render = Arc::new(move || metrics::render(&metrics::Sample::gather(&server, &node)));
        let addr = listener
            .local_addr()
            .map_or(String::new(), |a| a.to_string());
        tracing::info!(%addr, "serving metrics at /metrics");
        tokio::spawn(metrics::http::serve(listener, render))
    });
    let serving = tokio::spawn(redraft_server::accept::serve(server, listeners));
    let outcome = tokio::select! {
        _ = wait_for_shutdown_signal() => Ok(()),
        fatal = node.fatal_error() => Err(format!("raft failed, exiting: {fatal}")),
        // A join that succeeds disables this branch; the node then runs until a signal.
        Err(e) = join_if_fresh(&node, join, join_timeout) => Err(e),
    };
    tracing::info!("shutting down");
    // A leader hands over first, so the cluster does not wait out an election timeout.
    match tokio::time::timeout(HANDOVER_TIMEOUT, node.hand_over_leadership()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "leadership not handed over"),
        Err(_) => tracing::warn!("leadership not handed over in time"),
    }
    serving.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    // Requests still in flight now get "shutting down" (or "outcome unknown") errors.
    node.shutdown().await;
    tokio::time::sleep(FLUSH_GRACE).await;
    outcome
}

/// Binds the client ports: the plain one unless --port is 0, the TLS one with --tls-port.
async fn client_listeners(config: &ServerConfig) -> Result<Listeners, String> {
    let bind = |port: u16| {
        let addr = format!("{}:{port}", config.bind);
        async move {
            TcpListener::bind(&addr)
                .await
                .map_err(|e| format!("cannot listen for clients on {addr}: {e}"))
        }
    };
    let plain = match config.port {
        0 => None,
        port => Some(bind(port).await?),
    };
    let tls = match &config.tls {
        None => None,
        Some(tls) => {
            let acceptor = ReloadingAcceptor::load(tls.files.clone(), tls.client_certs, Vec::new())
                .map_err(|e| format!("client TLS: {e}"))?;
            Some((bind(tls.port).await?, acceptor))
        }
    };
    Ok(Listeners { plain, tls })
}

/// The ACL file's text, refused as Redis refuses to start with a file it cannot read or
/// parse.
async fn checked_acl_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let content = redraft_server::aclfile::read_acl_file(path).await?;
    let name = path.display().to_string();
    match redraft_engine::acl_file_errors(&name, &content) {
        None => Ok(content),
        Some(errors) => Err(format!("the ACL file is wrong: {errors}")),
    }
}

/// Joins the cluster through `seed` when this node has no membership yet (`--join`).
async fn join_if_fresh(
    node: &redraft_raft::RaftNode,
    seed: Option<String>,
    timeout: Duration,
) -> Result<(), String> {
    let Some(seed) = seed else {
        return Ok(());
    };
    if !node.needs_join() {
        tracing::info!("already a member; resuming from disk");
        return Ok(());
    }
    tracing::info!(%seed, "joining the cluster");
    node.join(&seed, timeout)
        .await
        .map_err(|e| format!("cannot join the cluster through {seed}: {e}"))?;
    tracing::info!("joined the cluster as a voter");
    Ok(())
}

async fn wait_for_shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
