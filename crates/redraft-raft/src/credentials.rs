//! Peer authentication by a shared cluster secret: every gRPC call a node makes carries it
//! (metadata `x-redraft-cluster-secret`), and a node with a secret configured refuses every
//! call that does not carry the same one, before the call reaches Raft, a forwarded write or
//! an admin operation. A node without a secret (a loopback test cluster) accepts any call.
//!
//! The secret travels as it is: on a network an attacker can read, it must go inside TLS
//! (docs/security.md).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// The metadata key that carries the secret.
pub const SECRET_HEADER: &str = "x-redraft-cluster-secret";

/// Adds the secret to every outgoing call.
#[derive(Clone, Default)]
pub struct Credentials {
    secret: Option<MetadataValue<Ascii>>,
}

impl Credentials {
    /// `None` when the secret cannot travel as gRPC metadata (it must be printable ASCII).
    pub fn new(secret: Option<&str>) -> Option<Credentials> {
        let secret = match secret {
            None => None,
            Some(text) => Some(text.parse().ok()?),
        };
        Some(Credentials { secret })
    }
}

impl Interceptor for Credentials {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(secret) = &self.secret {
            request.metadata_mut().insert(SECRET_HEADER, secret.clone());
        }
        Ok(request)
    }
}

/// Checks every incoming call's secret.
#[derive(Clone)]
pub struct Gate {
    secret: Option<Arc<[u8]>>,
    refusals: OncePerSecond,
}

/// Lets a log line through at most once a second, so that a stranger's flood of refused
/// calls or handshakes cannot flood the log too.
#[derive(Clone, Default)]
pub(crate) struct OncePerSecond {
    /// When a line last went through (seconds since the epoch).
    last: Arc<AtomicU64>,
}

impl OncePerSecond {
    pub(crate) fn allows(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.last.swap(now, Ordering::Relaxed) != now
    }
}

impl Gate {
    pub fn new(secret: Option<&str>) -> Gate {
        Gate {
            secret: secret.map(|s| Arc::from(s.as_bytes())),
            refusals: OncePerSecond::default(),
        }
    }

    fn admits(&self, request: &Request<()>) -> bool {
        let Some(secret) = &self.secret else {
            return true;
        };
        let given = request.metadata().get(SECRET_HEADER);
        given.is_some_and(|value| same(value.as_bytes(), secret))
    }

    fn log_refusal(&self, request: &Request<()>) {
        if self.refusals.allows() {
            let from = request
                .remote_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            tracing::warn!(%from, "refused a Raft-port call without the cluster secret");
        }
    }
}

impl Interceptor for Gate {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        if self.admits(&request) {
            return Ok(request);
        }
        self.log_refusal(&request);
        Err(Status::unauthenticated("wrong or missing cluster secret"))
    }
}

/// Compares in time that does not depend on where the bytes differ.
fn same(given: &[u8], secret: &[u8]) -> bool {
    let differing = given
        .iter()
        .zip(secret)
        .fold(given.len() ^ secret.len(), |acc, (a, b)| {
            acc | usize::from(a ^ b)
        });
    differing == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_secret(secret: Option<&str>) -> Request<()> {
        let mut credentials = Credentials::new(secret).unwrap();
        credentials.call(Request::new(())).unwrap()
    }

    #[test]
    fn a_gate_admits_only_calls_with_its_secret() {
        let mut gate = Gate::new(Some("s3cret"));
        assert!(gate.call(with_secret(Some("s3cret"))).is_ok());
        for wrong in [None, Some("s3cre"), Some("s3cret!"), Some("S3cret")] {
            let refused = gate.call(with_secret(wrong)).unwrap_err();
            assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{wrong:?}");
        }
        assert!(Gate::new(None).call(with_secret(None)).is_ok());
        assert!(Credentials::new(Some("not\nascii")).is_none());
    }
}
