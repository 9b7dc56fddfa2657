//! Runs the gRPC server until told to stop.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;

use crate::core::Core;
use crate::credentials::Gate;
use crate::pb::raft_service_server::RaftServiceServer;
use crate::service::Service;

pub async fn serve(core: Arc<Core>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
    let limit = core.config.max_message_bytes;
    let gate = Gate::new(core.config.cluster_secret.as_deref());
    let service = RaftServiceServer::new(Service::new(core))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit);
    let service = tonic::service::interceptor::InterceptedService::new(service, gate);
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let stopped = async move {
        let _ = stop.wait_for(|&stop| stop).await;
    };
    if let Err(e) = Server::builder()
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, stopped)
        .await
    {
        tracing::error!(error = %e, "raft gRPC server failed");
    }
}
