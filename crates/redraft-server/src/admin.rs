//! RAFT: membership administration and Raft status from any node (redraft's own command).
//!
//! ```text
//! RAFT ADDLEARNER <id> <raft-host:port>   add a learner; replies once it has caught up
//! RAFT PROMOTE <id>                       make a learner a voter (joint consensus)
//! RAFT REMOVE <id>                        remove a voter or learner
//! RAFT TRANSFER <id>                      hand leadership to a voter
//! RAFT MEMBERS                            id, addr, role, match_index, lag of every member
//! RAFT STATUS                             this node's INFO raft fields, as a map
//! RAFT DIGEST                             this replica's applied index and state digest
//! ```

use redraft_engine::args::parse_i64;
use redraft_engine::Reply;
use redraft_raft::{AdminError, AdminOp, Member};

use crate::cluster::Cluster;
use crate::raft_cluster::route_error;
use crate::session::Session;

impl<C: Cluster> Session<C> {
    pub async fn raft_command(&self, argv: &[Vec<u8>]) -> Reply {
        let sub = argv[1].to_ascii_lowercase();
        if sub == b"digest" {
            return self.raft_digest(&argv[2..]);
        }
        let op = match parse(&sub, &argv[2..]) {
            Ok(Some(op)) => op,
            Ok(None) => return self.raft_status(),
            Err(reply) => return reply,
        };
        let list = matches!(op, AdminOp::Members);
        match self.server.cluster.admin(op).await {
            Ok(members) if list => Reply::Array(members.iter().map(member_reply).collect()),
            Ok(_) => Reply::ok(),
            Err(AdminError::Refused(why)) => Reply::error(format!("ERR {why}")),
            Err(AdminError::Cluster(e)) => route_error(e).reply(),
        }
    }

    /// [applied index, digest as 16 hex digits]: replicas that applied the same entries
    /// answer the same (the fault suite's convergence check).
    fn raft_digest(&self, args: &[Vec<u8>]) -> Reply {
        if !args.is_empty() {
            return Reply::error("ERR wrong number of arguments for 'raft|digest' command");
        }
        let (applied, digest) = self.server.cluster.state_digest();
        Reply::Array(vec![
            Reply::Integer(applied as i64),
            Reply::bulk(format!("{digest:016x}")),
        ])
    }

    fn raft_status(&self) -> Reply {
        Reply::Map(
            self.server
                .cluster
                .raft_info()
                .into_iter()
                .map(|(k, v)| (Reply::bulk(k), Reply::bulk(v)))
                .collect(),
        )
    }
}

/// The operation a RAFT subcommand asks for; `None` for STATUS (answered locally).
fn parse(sub: &[u8], args: &[Vec<u8>]) -> Result<Option<AdminOp>, Reply> {
    let wrong_arity = || {
        Reply::error(format!(
            "ERR wrong number of arguments for 'raft|{}' command",
            String::from_utf8_lossy(sub)
        ))
    };
    let expect = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(wrong_arity())
        }
    };
    let op = match sub {
        b"status" => {
            expect(0)?;
            return Ok(None);
        }
        b"members" => {
            expect(0)?;
            AdminOp::Members
        }
        b"addlearner" => {
            expect(2)?;
            AdminOp::AddLearner {
                id: node_id(&args[0])?,
                addr: raft_addr(&args[1])?,
            }
        }
        b"promote" => {
            expect(1)?;
            AdminOp::Promote(node_id(&args[0])?)
        }
        b"remove" => {
            expect(1)?;
            AdminOp::Remove(node_id(&args[0])?)
        }
        b"transfer" => {
            expect(1)?;
            AdminOp::Transfer(node_id(&args[0])?)
        }
        _ => {
            return Err(Reply::error(format!(
                "ERR unknown subcommand '{}'. Try RAFT ADDLEARNER|PROMOTE|REMOVE|TRANSFER|MEMBERS|STATUS|DIGEST.",
                String::from_utf8_lossy(sub)
            )))
        }
    };
    Ok(Some(op))
}

fn node_id(arg: &[u8]) -> Result<u64, Reply> {
    match parse_i64(arg) {
        Some(id) if id > 0 => Ok(id as u64),
        _ => Err(Reply::error("ERR node id must be a positive integer")),
    }
}

/// `host:port` with a numeric port.
fn raft_addr(arg: &[u8]) -> Result<String, Reply> {
    let bad = || Reply::error("ERR raft address must be HOST:PORT");
    let addr = std::str::from_utf8(arg).map_err(|_| bad())?;
    let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(bad());
    }
    Ok(addr.to_string())
}

fn member_reply(member: &Member) -> Reply {
    let optional = |value: Option<u64>| value.map_or(Reply::Nil, |v| Reply::Integer(v as i64));
    Reply::Map(vec![
        (Reply::bulk("id"), Reply::Integer(member.id as i64)),
        (Reply::bulk("addr"), Reply::bulk(member.addr.as_str())),
        (
            Reply::bulk("role"),
            Reply::bulk(if member.voter { "voter" } else { "learner" }),
        ),
        (Reply::bulk("match_index"), optional(member.match_index)),
        (Reply::bulk("lag"), optional(member.lag)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn subcommands_parse_into_operations() {
        assert_eq!(
            parse(b"addlearner", &args(&["4", "10.0.0.4:16379"])),
            Ok(Some(AdminOp::AddLearner {
                id: 4,
                addr: "10.0.0.4:16379".into()
            }))
        );
        assert_eq!(
            parse(b"promote", &args(&["4"])),
            Ok(Some(AdminOp::Promote(4)))
        );
        assert_eq!(parse(b"status", &[]), Ok(None));
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        assert!(parse(b"promote", &args(&["x"])).is_err());
        assert!(parse(b"promote", &args(&["0"])).is_err());
        assert!(parse(b"addlearner", &args(&["4", "nohost"])).is_err());
        assert!(parse(b"members", &args(&["extra"])).is_err());
        assert!(parse(b"frobnicate", &[]).is_err());
    }
}
