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
    /// A RAFT subcommand (`name` is its full name, `raft|members`), its arity already checked.
    pub async fn raft_command(&self, name: &str, argv: &[Vec<u8>]) -> Reply {
        let op = match parse(name, &argv[2..]) {
            Ok(Parsed::Status) => return self.raft_status(),
            Ok(Parsed::Digest) => return self.raft_digest(),
            Ok(Parsed::Admin(op)) => op,
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
    fn raft_digest(&self) -> Reply {
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

/// RAFT HELP, in the shape of Redis's HELP replies.
pub fn raft_help() -> Reply {
    let lines = [
        "RAFT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ADDLEARNER <id> <host:port>",
        "    Add a node as a learner; it catches up from the leader.",
        "DIGEST",
        "    The applied index and a digest of this node's state.",
        "MEMBERS",
        "    The members with their role, match index and lag.",
        "PROMOTE <id>",
        "    Make a learner a voter.",
        "REMOVE <id>",
        "    Remove a node from the cluster.",
        "STATUS",
        "    This node's role, leader, term and indexes.",
        "TRANSFER <id>",
        "    Hand leadership to a voter.",
        "HELP",
        "    Print this help.",
    ];
    Reply::help(&lines)
}

/// What a RAFT subcommand asks for.
#[derive(Debug, PartialEq)]
enum Parsed {
    /// Answered from this node's Raft state.
    Status,
    Digest,
    /// A membership operation or the member list, through the leader.
    Admin(AdminOp),
}

/// Reads a RAFT subcommand's arguments (`args` after the subcommand; arity is checked by the
/// command table).
fn parse(name: &str, args: &[Vec<u8>]) -> Result<Parsed, Reply> {
    let op = match name {
        "raft|status" => return Ok(Parsed::Status),
        "raft|digest" => return Ok(Parsed::Digest),
        "raft|members" => AdminOp::Members,
        "raft|addlearner" => AdminOp::AddLearner {
            id: node_id(&args[0])?,
            addr: raft_addr(&args[1])?,
        },
        "raft|promote" => AdminOp::Promote(node_id(&args[0])?),
        "raft|remove" => AdminOp::Remove(node_id(&args[0])?),
        "raft|transfer" => AdminOp::Transfer(node_id(&args[0])?),
        other => {
            return Err(Reply::error(format!(
                "ERR '{other}' is not a RAFT operation"
            )))
        }
    };
    Ok(Parsed::Admin(op))
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
            parse("raft|addlearner", &args(&["4", "10.0.0.4:16379"])),
            Ok(Parsed::Admin(AdminOp::AddLearner {
                id: 4,
                addr: "10.0.0.4:16379".into()
            }))
        );
        assert_eq!(
            parse("raft|promote", &args(&["4"])),
            Ok(Parsed::Admin(AdminOp::Promote(4)))
        );
        assert_eq!(parse("raft|status", &[]), Ok(Parsed::Status));
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        let id = Reply::error("ERR node id must be a positive integer");
        assert_eq!(parse("raft|promote", &args(&["x"])), Err(id.clone()));
        assert_eq!(parse("raft|remove", &args(&["0"])), Err(id));
        let addr = Reply::error("ERR raft address must be HOST:PORT");
        assert_eq!(parse("raft|addlearner", &args(&["4", "nohost"])), Err(addr));
    }
}
