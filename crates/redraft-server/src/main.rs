//! `redraft`: a Redis-compatible server whose nodes replicate through Raft.

use std::process::ExitCode;

use clap::Parser;
use tokio::net::TcpListener;

use redraft_server::cli::Cli;
use redraft_server::raft_cluster::RaftCluster;
use redraft_server::server::Server;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cli.log)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("redraft: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("redraft: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let (server_config, node_config) = cli.into_configs()?;
    let client_addr = format!("{}:{}", server_config.bind, server_config.port);
    let listener = TcpListener::bind(&client_addr)
        .await
        .map_err(|e| format!("cannot listen for clients on {client_addr}: {e}"))?;
    let node = redraft_raft::RaftNode::start(node_config)
        .await
        .map_err(|e| format!("cannot start the Raft node: {e}"))?;
    tracing::info!(%client_addr, "redraft ready for clients");
    let server = Server::new(RaftCluster::new(node.clone()), server_config);
    let serving = tokio::spawn(server.serve(listener));
    let outcome = tokio::select! {
        _ = wait_for_shutdown_signal() => Ok(()),
        fatal = node.fatal_error() => Err(format!("raft failed, exiting: {fatal}")),
    };
    tracing::info!("shutting down");
    serving.abort();
    node.shutdown().await;
    outcome
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
