//! INFO's replication section in Redis's master/replica shape, as ROLE answers: the leader is
//! a master whose replicas are the other members (each at its matched log index), any other
//! member a replica of the leader (at its applied index). Addresses are Raft addresses (nodes
//! do not know each other's client ports). Offsets are log indexes, not bytes; Redis's backlog
//! is switched off (a lagging member catches up from the Raft log or a snapshot).

use super::{field, fixed, Fields};
use crate::cluster::{Cluster, NodeInfo, Role};
use crate::role::split_host_port as split;
use crate::server::Server;

pub(super) fn replication<C: Cluster>(server: &Server<C>, node: &NodeInfo) -> Fields {
    let (mut fields, offset) = match &node.role {
        Role::Leader { offset, followers } => (master(followers), *offset),
        Role::Follower { leader, offset } => {
            let up = node.leader_known && leader.is_some();
            (replica(leader.as_deref(), *offset, up), *offset)
        }
    };
    fields.extend([
        field("master_failover_state", "no-failover"),
        field("master_replid", &server.run_id),
        field("master_replid2", "0".repeat(40)),
        field("master_repl_offset", offset),
    ]);
    fields.extend(fixed(&[
        ("second_repl_offset", "-1"),
        ("repl_backlog_active", "0"),
        ("repl_backlog_size", "1048576"),
        ("repl_backlog_first_byte_offset", "0"),
        ("repl_backlog_histlen", "0"),
    ]));
    fields
}

fn master(followers: &[(String, u64)]) -> Fields {
    let mut fields = vec![
        field("role", "master"),
        field("connected_slaves", followers.len()),
    ];
    for (i, (addr, offset)) in followers.iter().enumerate() {
        let (host, port) = split(addr);
        // The lag of a member is in the raft section's indexes, not in seconds here.
        let line = format!("ip={host},port={port},state=online,offset={offset},lag=0");
        fields.push((format!("slave{i}"), line));
    }
    fields
}

fn replica(leader: Option<&str>, offset: u64, up: bool) -> Fields {
    let (host, port) = leader.map_or(("", -1), |addr| {
        let (host, port) = split(addr);
        (host, port.parse().unwrap_or(-1))
    });
    let mut fields = vec![
        field("role", "slave"),
        field("master_host", host),
        field("master_port", port),
        field("master_link_status", if up { "up" } else { "down" }),
        field("master_last_io_seconds_ago", if up { 0 } else { -1 }),
        field("master_sync_in_progress", 0),
        field("slave_read_repl_offset", offset),
        field("slave_repl_offset", offset),
    ];
    if !up {
        fields.push(field("master_link_down_since_seconds", -1));
    }
    fields.extend([
        field("slave_priority", 100),
        // Followers take writes: they forward them to the leader.
        field("slave_read_only", 0),
        field("replica_announced", 1),
        field("connected_slaves", 0),
    ]);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(fields: &Fields) -> Vec<&str> {
        fields.iter().map(|(name, _)| name.as_str()).collect()
    }

    #[test]
    fn a_leader_lists_its_followers_as_replicas_and_a_follower_names_its_leader() {
        let leader = master(&[("10.0.0.2:7002".into(), 40), ("[::1]:7003".into(), 0)]);
        assert_eq!(
            names(&leader),
            ["role", "connected_slaves", "slave0", "slave1"]
        );
        assert_eq!(leader[1].1, "2");
        assert_eq!(leader[3].1, "ip=::1,port=7003,state=online,offset=0,lag=0");
        let follower = replica(Some("10.0.0.1:7001"), 41, true);
        assert_eq!(follower[1].1, "10.0.0.1");
        assert_eq!(follower[2].1, "7001");
        assert!(!names(&follower).contains(&"master_link_down_since_seconds"));
        let alone = replica(None, 3, false);
        assert_eq!(alone[3].1, "down");
        assert!(names(&alone).contains(&"master_link_down_since_seconds"));
    }
}
