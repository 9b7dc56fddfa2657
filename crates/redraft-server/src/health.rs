//! `redraft --health`: a probe for container health checks and Kubernetes probes. It asks the
//! local node for `INFO raft` over RESP and judges the answer; no shell or redis-cli needed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Bound on the whole probe (connect, ask, read).
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest INFO reply the probe reads.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Why the node is not healthy.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unhealthy {
    #[error("cannot reach the node: {0}")]
    Unreachable(String),
    #[error("unexpected reply: {0}")]
    BadReply(String),
    #[error("no known leader")]
    NoLeader,
    #[error("this node was removed from the cluster")]
    Removed,
    #[error("applied index {applied} is behind commit index {commit}")]
    Behind { applied: u64, commit: u64 },
}

/// Probes the node whose clients listen on 127.0.0.1:`port`.
pub fn check(port: u16) -> Result<(), Unhealthy> {
    let text = info_raft(SocketAddr::from(([127, 0, 0, 1], port)))?;
    judge(&text)
}

fn info_raft(addr: SocketAddr) -> Result<String, Unhealthy> {
    let unreachable = |e: std::io::Error| Unhealthy::Unreachable(e.to_string());
    let deadline = Instant::now() + PROBE_TIMEOUT;
    let mut stream = TcpStream::connect_timeout(&addr, PROBE_TIMEOUT).map_err(unreachable)?;
    stream
        .set_write_timeout(Some(PROBE_TIMEOUT))
        .map_err(unreachable)?;
    let (request, authenticating) = request();
    stream.write_all(&request).map_err(unreachable)?;
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let info = match authenticating {
            true => reply.strip_prefix(b"+OK\r\n").unwrap_or(&reply),
            false => &reply,
        };
        if let Some(text) = complete_bulk(info)? {
            return Ok(text);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || reply.len() > MAX_REPLY_BYTES {
            return Err(Unhealthy::BadReply("no complete INFO reply in time".into()));
        }
        stream.set_read_timeout(Some(left)).map_err(unreachable)?;
        match stream.read(&mut chunk).map_err(unreachable)? {
            0 => return Err(Unhealthy::BadReply("connection closed".into())),
            n => reply.extend_from_slice(&chunk[..n]),
        }
    }
}

/// INFO raft, after AUTH when `REDRAFT_HEALTH_PASSWORD` is set (as `REDRAFT_HEALTH_USER`,
/// default `default`): a node with requirepass answers a probe that does not authenticate
/// NOAUTH. Whether AUTH was sent.
fn request() -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let password = std::env::var("REDRAFT_HEALTH_PASSWORD").ok();
    if let Some(password) = &password {
        let user = std::env::var("REDRAFT_HEALTH_USER").unwrap_or_else(|_| "default".into());
        for part in [
            b"*3\r\n$4\r\nAUTH\r\n".to_vec(),
            bulk(&user),
            bulk(password),
        ] {
            out.extend(part);
        }
    }
    out.extend_from_slice(b"*2\r\n$4\r\nINFO\r\n$4\r\nraft\r\n");
    (out, password.is_some())
}

fn bulk(text: &str) -> Vec<u8> {
    let mut out = format!("${}\r\n", text.len()).into_bytes();
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// The text of a whole `$<len>\r\n<text>\r\n` reply, None while incomplete.
fn complete_bulk(reply: &[u8]) -> Result<Option<String>, Unhealthy> {
    let Some(end) = reply.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let header = String::from_utf8_lossy(&reply[..end]);
    let Some(len) = header
        .strip_prefix('$')
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return Err(Unhealthy::BadReply(header.into_owned()));
    };
    let body = &reply[end + 2..];
    if body.len() < len {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&body[..len]).into_owned()))
}

/// Healthy: a leader is known, the node is still a member, and it applied what it knows
/// committed.
fn judge(info: &str) -> Result<(), Unhealthy> {
    let field = |name: &str| {
        info.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.trim().to_string())
    };
    let number = |name: &str| {
        field(name)
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| Unhealthy::BadReply(format!("no {name} in INFO raft")))
    };
    if field("role").as_deref() == Some("removed") {
        return Err(Unhealthy::Removed);
    }
    if field("leader_id").unwrap_or_default().is_empty() {
        return Err(Unhealthy::NoLeader);
    }
    let (applied, commit) = (number("applied_index")?, number("commit_index")?);
    if applied < commit {
        return Err(Unhealthy::Behind { applied, commit });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_with_a_leader_and_nothing_to_apply_is_healthy() {
        let info =
            "# Raft\r\nrole:follower\r\nleader_id:1\r\ncommit_index:7\r\napplied_index:7\r\n";
        assert_eq!(judge(info), Ok(()));
    }

    #[test]
    fn no_leader_lagging_apply_and_removal_are_unhealthy() {
        let no_leader = "role:candidate\r\nleader_id:\r\ncommit_index:7\r\napplied_index:7\r\n";
        assert_eq!(judge(no_leader), Err(Unhealthy::NoLeader));
        let behind = "role:follower\r\nleader_id:2\r\ncommit_index:9\r\napplied_index:7\r\n";
        assert_eq!(
            judge(behind),
            Err(Unhealthy::Behind {
                applied: 7,
                commit: 9
            })
        );
        let removed = "role:removed\r\nleader_id:2\r\ncommit_index:9\r\napplied_index:9\r\n";
        assert_eq!(judge(removed), Err(Unhealthy::Removed));
    }

    #[test]
    fn bulk_replies_are_read_whole() {
        assert_eq!(complete_bulk(b"$5\r\nab"), Ok(None));
        assert_eq!(complete_bulk(b"$2\r\nab\r\n"), Ok(Some("ab".into())));
        assert!(complete_bulk(b"-ERR x\r\n").is_err());
    }

    #[test]
    fn nobody_listening_is_unreachable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        assert!(matches!(check(port), Err(Unhealthy::Unreachable(_))));
    }
}
