//! TLS end to end: real clients (redis-cli --tls, redis-py with ssl=True) on every node of a
//! cluster whose nodes talk over mutual TLS; client certificates checked as
//! --tls-auth-clients says; renewed certificates picked up without a restart; and a stranger
//! without a certificate from the cluster CA refused on the Raft port, secret or not.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redraft_raft::pb::raft_service_client::RaftServiceClient;
use redraft_raft::pb::{Command as PbCommand, ForwardRequest, ForwardRun};
use redraft_raft::testing::SECRET_HEADER;
use redraft_tests::certs::{self, Certs};
use redraft_tests::{Cluster, ClusterOptions};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::RootCertStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

async fn tls_cluster(size: usize) -> Cluster {
    let cluster = Cluster::start_with(size, ClusterOptions::default().tls()).await;
    cluster.wait_leader(Duration::from_secs(10)).await;
    cluster
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// Runs a command on a blocking thread, bounded by `limit`.
async fn run(mut command: Command, limit: Duration) -> Output {
    let running = tokio::task::spawn_blocking(move || command.output().expect("the command runs"));
    tokio::time::timeout(limit, running)
        .await
        .expect("the command ends in time")
        .unwrap()
}

/// `redis-cli --tls` with `certs`' client certificate, trusting `ca`.
async fn redis_cli(port: u16, ca: &Path, certs: &Certs, args: &[&str]) -> String {
    let mut command = Command::new("redis-cli");
    command.args(["--tls", "--cacert", &path(ca)]);
    command.args(["--cert", &path(&certs.client_cert)]);
    command.args(["--key", &path(&certs.client_key), "-h", "127.0.0.1"]);
    command.args(["-p", &port.to_string()]).args(args);
    let output = run(command, Duration::from_secs(20)).await;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    text + String::from_utf8_lossy(&output.stderr).trim()
}

/// Certificates made by deploy/tls/make-certs.sh, as an operator would make them.
fn certs_made_by_the_deploy_script(dir: &Path) -> Certs {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/tls/make-certs.sh");
    let output = Command::new(script)
        .arg(dir)
        .args(["localhost", "127.0.0.1"])
        .output()
        .expect("make-certs.sh runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    certs::made_by_script(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cli_and_redis_py_work_over_tls_on_every_node() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs_made_by_the_deploy_script(dir.path());
    let options = ClusterOptions::default().tls_with(certs.clone());
    let cluster = Cluster::start_with(3, options).await;
    cluster.wait_leader(Duration::from_secs(10)).await;
    for id in cluster.ids() {
        let key = format!("tls:cli:{id}");
        let port = cluster.tls_port(id);
        assert_eq!(
            redis_cli(port, &certs.ca, &certs, &["SET", &key, "v"]).await,
            "OK"
        );
        let next = cluster.tls_port(id % 3 + 1);
        assert_eq!(
            redis_cli(next, &certs.ca, &certs, &["GET", &key]).await,
            "v"
        );
    }
    // The leader dies: the others elect a new one over mutual TLS and keep serving.
    let leader = cluster.leader().await;
    cluster.kill(leader);
    cluster.wait_leader(Duration::from_secs(15)).await;
    cluster.restart(leader);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/acceptance/tls_client.py");
    for id in cluster.ids() {
        let mut python = Command::new("python3");
        python.arg(script);
        for file in [&certs.ca, &certs.client_cert, &certs.client_key] {
            python.arg(path(file));
        }
        let ports = [cluster.tls_port(id), cluster.tls_port(id % 3 + 1)];
        python.args(ports.map(|p| p.to_string()));
        let output = run(python, Duration::from_secs(120)).await;
        assert!(
            output.status.success() && output.stdout.starts_with(b"ok"),
            "node {id}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn roots(ca: &Path) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    Arc::new(roots)
}

/// A TLS client trusting `ca`, presenting `identity` (cert, key) if given.
fn client_config(ca: &Path, identity: Option<(&Path, &Path)>) -> rustls::ClientConfig {
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots(ca));
    match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let key = PrivateKeyDer::from_pem_file(key).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
    }
}

/// PING over TLS: the reply, or why there was none (a refused certificate shows as a failed
/// handshake, or, with TLS 1.3, as an alert at the first read).
async fn tls_ping(port: u16, config: rustls::ClientConfig) -> Result<Vec<u8>, String> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let socket = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").unwrap();
    let exchange = async {
        let mut stream = connector.connect(name, socket).await?;
        stream.write_all(b"PING\r\n").await?;
        let mut reply = vec![0; 64];
        let n = stream.read(&mut reply).await?;
        reply.truncate(n);
        Ok::<_, std::io::Error>(reply)
    };
    match tokio::time::timeout(Duration::from_secs(10), exchange).await {
        Ok(Ok(reply)) if !reply.is_empty() => Ok(reply),
        Ok(Ok(_)) => Err("closed".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_are_checked_as_tls_auth_clients_says() {
    let cluster = tls_cluster(1).await;
    let certs = cluster.certs().clone();
    let stranger = certs::make(&cluster.root().join("stranger"), "stranger");
    let port = cluster.tls_port(1);
    let with_cert = || client_config(&certs.ca, Some((&certs.client_cert, &certs.client_key)));
    let no_cert = || client_config(&certs.ca, None);
    let wrong_ca = || {
        let identity = (
            stranger.client_cert.as_path(),
            stranger.client_key.as_path(),
        );
        client_config(&certs.ca, Some(identity))
    };
    assert_eq!(tls_ping(port, with_cert()).await.unwrap(), b"+PONG\r\n");
    assert!(
        tls_ping(port, no_cert()).await.is_err(),
        "required by default"
    );
    assert!(tls_ping(port, wrong_ca()).await.is_err());
    // Plain RESP on the TLS port gets no reply.
    let mut plain = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    plain.write_all(b"PING\r\n").await.unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), plain.read(&mut buf)).await;
    assert!(!matches!(read, Ok(Ok(n)) if n > 0 && buf.starts_with(b"+PONG")));

    cluster.kill(1);
    cluster.restart_with_args(1, &["--tls-auth-clients".into(), "optional".into()]);
    cluster.wait_leader(Duration::from_secs(10)).await;
    assert_eq!(tls_ping(port, no_cert()).await.unwrap(), b"+PONG\r\n");
    assert_eq!(tls_ping(port, with_cert()).await.unwrap(), b"+PONG\r\n");
    assert!(
        tls_ping(port, wrong_ca()).await.is_err(),
        "offered, so checked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewed_certificates_are_picked_up_without_a_restart() {
    let cluster = tls_cluster(1).await;
    let certs = cluster.certs().clone();
    let port = cluster.tls_port(1);
    let renewed = certs::make(&cluster.root().join("renewed"), "renewed");
    assert_eq!(redis_cli(port, &certs.ca, &certs, &["PING"]).await, "PONG");
    // The renewal writes the new key and certificate in place (by rename, as cert-manager
    // and ACME clients do).
    for (from, to) in [
        (&renewed.node_key, &certs.node_key),
        (&renewed.node_cert, &certs.node_cert),
    ] {
        let staged = to.with_extension("new");
        std::fs::copy(from, &staged).unwrap();
        std::fs::rename(&staged, to).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = redis_cli(port, &renewed.ca, &certs, &["PING"]).await;
        if reply == "PONG" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the renewed certificate is not served: {reply}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let old = redis_cli(port, &certs.ca, &certs, &["PING"]).await;
    assert_ne!(old, "PONG", "the old certificate is no longer served");
    assert!(cluster
        .log_tail(1, 200)
        .contains("reloaded TLS certificates"));
}

/// A gRPC client of the Raft port over TLS, trusting the cluster CA, with `identity`.
async fn raft_client(
    addr: &str,
    ca: &Path,
    identity: Option<&Certs>,
) -> Result<RaftServiceClient<Channel>, String> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(std::fs::read(ca).unwrap()))
        .domain_name("localhost");
    if let Some(certs) = identity {
        let cert = std::fs::read(&certs.client_cert).unwrap();
        let key = std::fs::read(&certs.client_key).unwrap();
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    let channel = Channel::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    Ok(RaftServiceClient::new(channel))
}

/// Forwards a write with the right cluster secret: whether the Raft port took it.
async fn forward_with_secret(
    client: Result<RaftServiceClient<Channel>, String>,
    secret: &str,
) -> bool {
    let Ok(mut client) = client else {
        return false;
    };
    let write = ForwardRequest {
        runs: vec![ForwardRun {
            db: 0,
            commands: vec![PbCommand {
                argv: vec!["SET".into(), "owned".into(), "yes".into()],
            }],
        }],
    };
    let mut request = tonic::Request::new(write);
    request
        .metadata_mut()
        .insert(SECRET_HEADER, secret.parse().unwrap());
    client.forward(request).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_without_a_cluster_certificate_is_refused_on_the_raft_port() {
    let cluster = tls_cluster(3).await;
    let certs = cluster.certs().clone();
    let stranger = certs::make(&cluster.root().join("stranger"), "stranger");
    let secret = cluster.secret().to_string();
    for id in cluster.ids() {
        let addr = cluster.raft_addr(id);
        // Even with the secret: no certificate, or one from another CA, is refused.
        assert!(!forward_with_secret(raft_client(&addr, &certs.ca, None).await, &secret).await);
        let foreign = raft_client(&addr, &certs.ca, Some(&stranger)).await;
        assert!(!forward_with_secret(foreign, &secret).await);
        // Plain gRPC is refused too.
        let plain = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .timeout(Duration::from_secs(5))
            .connect()
            .await
            .map(RaftServiceClient::new)
            .map_err(|e| e.to_string());
        assert!(!forward_with_secret(plain, &secret).await);
        assert!(cluster
            .log_tail(id, 500)
            .contains("refused a Raft-port connection"));
    }
    // A member's certificate with the secret is what the nodes themselves use.
    let leader = cluster.leader().await;
    let member = raft_client(&cluster.raft_addr(leader), &certs.ca, Some(&certs)).await;
    assert!(forward_with_secret(member, &secret).await);
    let mut conn = cluster.conn(leader).await;
    let owned: Option<String> = redis::cmd("GET")
        .arg("owned")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(owned.as_deref(), Some("yes"));
}
