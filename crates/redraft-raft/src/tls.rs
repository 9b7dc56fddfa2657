//! TLS from PEM files, for the client port and between nodes: loading certificates, keys and
//! CAs into rustls configurations, and an acceptor that picks up renewed files without a
//! restart (certificates from an ACME client or cert-manager are replaced in place). The side
//! that dials a peer reads its files once, at start.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// How often the acceptor looks at its files for a renewal.
const RELOAD_CHECK: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: no PEM certificate in the file")]
    NoCertificate(PathBuf),
    #[error("{path}: no PEM private key in the file ({reason})")]
    NoKey { path: PathBuf, reason: String },
    #[error("{0}: a CA file is required to check the other side's certificate")]
    NoCa(String),
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// What a server asks of the other side's certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientCerts {
    /// A certificate signed by the CA is required (Redis's `tls-auth-clients yes`).
    Required,
    /// Checked against the CA when offered, not required (`tls-auth-clients optional`).
    Optional,
    /// Not asked for (`tls-auth-clients no`).
    Ignored,
}

/// The PEM files of one side of a TLS connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The CA that signs the other side's certificates.
    pub ca: Option<PathBuf>,
}

/// The crypto of every configuration: aws-lc-rs's (with post-quantum hybrid key exchange),
/// named here rather than left to whichever provider was installed process-wide.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(path.to_path_buf()));
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| TlsError::NoKey {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn roots(path: &Path) -> Result<Arc<RootCertStore>, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(path)? {
        roots
            .add(cert)
            .map_err(|e| TlsError::Config(format!("{}: {e}", path.display())))?;
    }
    Ok(Arc::new(roots))
}

fn config_error(error: impl std::fmt::Display) -> TlsError {
    TlsError::Config(error.to_string())
}

/// A server configuration from `files`, asking for client certificates as `client_certs`
/// says (which then needs `files.ca`).
pub fn server_config(
    files: &TlsFiles,
    client_certs: ClientCerts,
) -> Result<ServerConfig, TlsError> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(config_error)?;
    let builder = match (client_certs, &files.ca) {
        (ClientCerts::Ignored, _) => builder.with_no_client_auth(),
        (_, None) => return Err(TlsError::NoCa("client certificates".into())),
        (_, Some(ca)) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(roots(ca)?, provider());
            let verifier = match client_certs {
                ClientCerts::Optional => verifier.allow_unauthenticated(),
                _ => verifier,
            };
            builder.with_client_cert_verifier(verifier.build().map_err(config_error)?)
        }
    };
    builder
        .with_single_cert(certificates(&files.cert)?, private_key(&files.key)?)
        .map_err(config_error)
}

/// A client configuration from `files`: it trusts only `files.ca` and presents its own
/// certificate (mutual TLS between nodes).
pub fn client_config(files: &TlsFiles) -> Result<ClientConfig, TlsError> {
    let ca = files
        .ca
        .as_ref()
        .ok_or_else(|| TlsError::NoCa("a TLS client".into()))?;
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(config_error)?
        .with_root_certificates(roots(ca)?)
        .with_client_auth_cert(certificates(&files.cert)?, private_key(&files.key)?)
        .map_err(config_error)
}

/// When each file was last changed, to notice a renewal.
fn stamp(files: &TlsFiles) -> Vec<Option<(SystemTime, u64)>> {
    let paths = [Some(&files.cert), Some(&files.key), files.ca.as_ref()];
    paths
        .into_iter()
        .flatten()
        .map(|path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        })
        .collect()
}

/// An acceptor for a listening port whose configuration is rebuilt when its files change.
/// A renewal that fails to load (a key written before its certificate, say) keeps the
/// previous configuration and is retried at the next change.
pub struct ReloadingAcceptor {
    files: TlsFiles,
    client_certs: ClientCerts,
    /// Protocols offered in ALPN (`h2` for gRPC).
    alpn: Vec<Vec<u8>>,
    current: RwLock<TlsAcceptor>,
    loaded: Mutex<Vec<Option<(SystemTime, u64)>>>,
}

impl ReloadingAcceptor {
    pub fn load(
        files: TlsFiles,
        client_certs: ClientCerts,
        alpn: Vec<Vec<u8>>,
    ) -> Result<Arc<ReloadingAcceptor>, TlsError> {
        let loaded = stamp(&files);
        let acceptor = Self::build(&files, client_certs, &alpn)?;
        Ok(Arc::new(ReloadingAcceptor {
            files,
            client_certs,
            alpn,
            current: RwLock::new(acceptor),
            loaded: Mutex::new(loaded),
        }))
    }

    fn build(
        files: &TlsFiles,
        client_certs: ClientCerts,
        alpn: &[Vec<u8>],
    ) -> Result<TlsAcceptor, TlsError> {
        let mut config = server_config(files, client_certs)?;
        config.alpn_protocols = alpn.to_vec();
        Ok(TlsAcceptor::from(Arc::new(config)))
    }

    /// The acceptor for the next connection.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Rebuilds the configuration if a file changed since it was loaded; whether it did.
    pub fn reload_if_changed(&self) -> bool {
        let now = stamp(&self.files);
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if *loaded == now {
            return false;
        }
        *loaded = now;
        match Self::build(&self.files, self.client_certs, &self.alpn) {
            Ok(acceptor) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = acceptor;
                tracing::info!(cert = %self.files.cert.display(), "reloaded TLS certificates");
                true
            }
            Err(error) => {
                tracing::warn!(%error, "TLS files changed but do not load; keeping the previous ones");
                false
            }
        }
    }

    /// Checks the files every second, for as long as the task runs.
    pub async fn watch(self: Arc<Self>) {
        loop {
            tokio::time::sleep(RELOAD_CHECK).await;
            let this = self.clone();
            // Reading files is blocking I/O: keep it off the runtime's workers.
            let _ = tokio::task::spawn_blocking(move || this.reload_if_changed()).await;
        }
    }
}
