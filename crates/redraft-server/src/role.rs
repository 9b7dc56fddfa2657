//! ROLE and LASTSAVE: the node's place in Raft in the shape of Redis's replication roles, and
//! the time of its last snapshot.
//!
//! The leader answers as a Redis master: `["master", offset, [[ip, port, offset] ...]]`, its
//! offset the index of its last log entry and each other member's its match index. A
//! follower (or a learner, a candidate) answers as a replica: `["slave", leader-ip,
//! leader-port, "connected", offset]`, its offset its applied index; "connect" and an empty
//! address while it knows no leader. Nodes do not know each other's client addresses, so
//! addresses are Raft addresses (docs/commands.md).

use std::time::{SystemTime, UNIX_EPOCH};

use redraft_engine::Reply;

use crate::cluster::{Cluster, Role};
use crate::session::Session;

impl<C: Cluster> Session<C> {
    pub(crate) async fn role(&self) -> Reply {
        role_reply(self.server.cluster.role().await)
    }

    /// LASTSAVE: when this node last wrote its snapshot, in Unix seconds; its start, as Redis
    /// counts a fresh start as saved, if it has not yet.
    pub(crate) fn lastsave(&self) -> Reply {
        let started = SystemTime::now() - self.server.started.elapsed();
        let saved = self.server.cluster.last_snapshot().unwrap_or(started);
        let secs = saved
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        Reply::Integer(secs as i64)
    }
}

fn role_reply(role: Role) -> Reply {
    match role {
        Role::Leader { offset, followers } => Reply::Array(vec![
            Reply::bulk("master"),
            Reply::Integer(offset as i64),
            Reply::Array(
                followers
                    .into_iter()
                    .map(|(addr, offset)| {
                        let (host, port) = split_host_port(&addr);
                        Reply::Array(vec![
                            Reply::bulk(host),
                            Reply::bulk(port),
                            Reply::bulk(offset.to_string()),
                        ])
                    })
                    .collect(),
            ),
        ]),
        Role::Follower { leader, offset } => {
            let (state, host, port) = match &leader {
                Some(addr) => {
                    let (host, port) = split_host_port(addr);
                    ("connected", host, port.parse().unwrap_or(-1))
                }
                None => ("connect", "", -1),
            };
            Reply::Array(vec![
                Reply::bulk("slave"),
                Reply::bulk(host),
                Reply::Integer(port),
                Reply::bulk(state),
                Reply::Integer(offset as i64),
            ])
        }
    }
}

/// `host:port` (or `[v6]:port`) into host and port; the whole as host without a port.
pub(crate) fn split_host_port(addr: &str) -> (&str, &str) {
    match addr.rsplit_once(':') {
        Some((host, port)) => (host.trim_start_matches('[').trim_end_matches(']'), port),
        None => (addr, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{encode, Protocol};

    fn bytes(reply: &Reply) -> String {
        let mut out = Vec::new();
        encode(reply, Protocol::Resp2, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_leader_answers_as_a_master_and_a_follower_as_a_replica() {
        let leader = Role::Leader {
            offset: 42,
            followers: vec![("10.0.0.2:7002".into(), 40), ("[::1]:7003".into(), 0)],
        };
        assert_eq!(
            bytes(&role_reply(leader)),
            "*3\r\n$6\r\nmaster\r\n:42\r\n*2\r\n\
             *3\r\n$8\r\n10.0.0.2\r\n$4\r\n7002\r\n$2\r\n40\r\n\
             *3\r\n$3\r\n::1\r\n$4\r\n7003\r\n$1\r\n0\r\n"
        );
        let follower = Role::Follower {
            leader: Some("10.0.0.1:7001".into()),
            offset: 41,
        };
        assert_eq!(
            bytes(&role_reply(follower)),
            "*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n:7001\r\n$9\r\nconnected\r\n:41\r\n"
        );
        let alone = Role::Follower {
            leader: None,
            offset: 3,
        };
        assert_eq!(
            bytes(&role_reply(alone)),
            "*5\r\n$5\r\nslave\r\n$0\r\n\r\n:-1\r\n$7\r\nconnect\r\n:3\r\n"
        );
    }
}
