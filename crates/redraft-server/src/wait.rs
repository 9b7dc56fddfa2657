//! WAIT numreplicas timeout: how many replicas hold this client's writes.
//!
//! Every write redraft acknowledges already sits on a quorum, so WAIT never adds safety; it
//! reports. Its number is the count of cluster members other than the leader (voters and
//! learners) whose log, by the leader's replication progress, holds every entry the leader had
//! when WAIT began — which includes the client's last write, acknowledged before. On a
//! three-node cluster it is at least 1 once a write was acknowledged, and 2 when both
//! followers caught up. It waits, up to `timeout` ms (0: without end, as in Redis), until
//! `numreplicas` hold them, asking the leader again with a growing pause (2 ms to 100 ms).

use std::time::Duration;

use redraft_engine::args::parse_i64;
use redraft_engine::Reply;
use redraft_raft::{AdminError, AdminOp, Member};
use tokio::time::Instant;

use crate::cluster::Cluster;
use crate::raft_cluster::route_error;
use crate::session::Session;

const FIRST_PAUSE: Duration = Duration::from_millis(2);
const LONGEST_PAUSE: Duration = Duration::from_millis(100);

/// WAIT's arguments: the replicas wanted, and the deadline (None: no end).
fn parse(argv: &[Vec<u8>]) -> Result<(i64, Option<Instant>), Reply> {
    let wanted = parse_i64(&argv[1])
        .ok_or_else(|| Reply::error("ERR value is not an integer or out of range"))?;
    let timeout = match parse_i64(&argv[2]) {
        None => {
            return Err(Reply::error(
                "ERR timeout is not an integer or out of range",
            ))
        }
        Some(ms) if ms < 0 => return Err(Reply::error("ERR timeout is negative")),
        Some(ms) => ms as u64,
    };
    // Were a timeout too far to add to the clock, it waits without end, as 0 does: a client's
    // number must not panic the task.
    let deadline = match timeout {
        0 => None,
        ms => Instant::now().checked_add(Duration::from_millis(ms)),
    };
    Ok((wanted, deadline))
}

/// The leader's last log index when `members` was taken (the leader's own match index).
fn leader_last_index(members: &[Member]) -> u64 {
    let last = |m: &Member| m.match_index.zip(m.lag).map(|(index, lag)| index + lag);
    members.iter().filter_map(last).max().unwrap_or(0)
}

/// Members other than the leader whose log holds `index`.
fn replicas_holding(members: &[Member], index: u64) -> usize {
    let holding = members
        .iter()
        .filter(|m| m.match_index.is_some_and(|i| i >= index));
    holding.count().saturating_sub(1)
}

impl<C: Cluster> Session<C> {
    /// WAIT numreplicas timeout (see the module's comment).
    pub async fn wait_replicas(&self, argv: &[Vec<u8>]) -> Reply {
        let (wanted, deadline) = match parse(argv) {
            Ok(parsed) => parsed,
            Err(reply) => return reply,
        };
        let mut target = None;
        let mut pause = FIRST_PAUSE;
        loop {
            let members = match self.server.cluster.admin(AdminOp::Members).await {
                Ok(members) => members,
                // A server without Raft (tests) has no replicas.
                Err(AdminError::Refused(_)) => return Reply::Integer(0),
                Err(AdminError::Cluster(error)) => return route_error(error).reply(),
            };
            let target = *target.get_or_insert_with(|| leader_last_index(&members));
            let holding = replicas_holding(&members, target);
            let now = Instant::now();
            if holding as i64 >= wanted || deadline.is_some_and(|end| now >= end) {
                return Reply::count(holding);
            }
            let left = deadline.map_or(pause, |end| end - now);
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: u64, match_index: Option<u64>, lag: Option<u64>) -> Member {
        Member {
            id,
            addr: String::new(),
            voter: true,
            match_index,
            lag,
        }
    }

    #[test]
    fn replicas_are_the_members_past_the_leaders_last_index_but_the_leader() {
        let members = [
            member(1, Some(10), Some(0)),
            member(2, Some(10), Some(0)),
            member(3, Some(7), Some(3)),
            member(4, None, None),
        ];
        assert_eq!(leader_last_index(&members), 10);
        assert_eq!(replicas_holding(&members, 10), 1);
        assert_eq!(replicas_holding(&members, 7), 2);
    }

    #[test]
    fn arguments_are_checked_as_redis_checks_them() {
        let argv = |n: &str, t: &str| vec![b"WAIT".to_vec(), n.into(), t.into()];
        let error = |n, t| parse(&argv(n, t)).err().map(|reply| format!("{reply:?}"));
        assert!(error("x", "0").unwrap().contains("value is not an integer"));
        assert!(error("1", "-1").unwrap().contains("timeout is negative"));
        assert!(error("1", "1.5")
            .unwrap()
            .contains("timeout is not an integer"));
        assert!(
            parse(&argv("1", "0")).unwrap().1.is_none(),
            "0 waits without end"
        );
        assert!(parse(&argv("-1", "10")).unwrap().1.is_some());
        let far = i64::MAX.to_string();
        assert!(
            parse(&argv("1", &far)).is_ok(),
            "the longest timeout is no panic"
        );
    }
}
