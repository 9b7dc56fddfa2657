//! INFO: the server's state as `name:value` lines in `# Section` blocks, as Redis 7.0 prints
//! them: the same sections in the same order, each with Redis's fields in Redis's order and of
//! the same kind (integer, float or text), plus redraft's own `raft` section. What a field
//! means on a Raft node, and the fields that report a feature redraft lacks (with Redis's value
//! for it switched off), are listed in docs/operations.md.

mod persistence;
mod replication;
mod sections;

use std::fmt::Display;

use redraft_engine::Reply;

use crate::cluster::{Cluster, NodeInfo};
use crate::session::Session;

/// The Redis version redraft answers as (the engine's: scripts and LOLWUT report it too).
pub use redraft_engine::REDIS_VERSION;
pub(crate) use sections::resident_bytes;

/// Which arguments print a section: `default` (and no argument) the default ones, `all` every
/// one but modules' own sections (redraft has no modules, so `all` and `everything` agree), or
/// the section's own name.
#[derive(Clone, Copy, PartialEq)]
enum Group {
    Default,
    /// Printed by `all`, `everything` or its own name only.
    All,
}

/// Every section, in Redis's order, redraft's raft section after the server's: tools that read
/// INFO into one map keep the last `role` they see, which must be the replication section's
/// (`master`, `slave`), as in Redis, not Raft's (`leader`, `follower`).
const SECTIONS: [(&str, Group); 14] = [
    ("Server", Group::Default),
    ("Raft", Group::Default),
    ("Clients", Group::Default),
    ("Memory", Group::Default),
    ("Persistence", Group::Default),
    ("Stats", Group::Default),
    ("Replication", Group::Default),
    ("CPU", Group::Default),
    ("Modules", Group::Default),
    ("Commandstats", Group::All),
    ("Errorstats", Group::Default),
    ("Latencystats", Group::All),
    ("Cluster", Group::Default),
    ("Keyspace", Group::Default),
];

/// INFO [section ...]: the sections named (any case, any order, printed in Redis's order),
/// `default`'s, or all of them; a name that is no section adds nothing, so INFO of unknown
/// names alone is an empty string, as in Redis 7.0.
pub fn reply<C: Cluster>(session: &Session<C>, argv: &[Vec<u8>]) -> Reply {
    let wanted: Vec<String> = argv[1..]
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    let all = wanted
        .iter()
        .any(|w| matches!(w.as_str(), "all" | "everything"));
    let default = wanted.is_empty() || wanted.iter().any(|w| w == "default");
    let node = session.server.cluster.node_info();
    let mut text = String::new();
    for (name, group) in SECTIONS {
        let named = wanted.iter().any(|w| w == &name.to_ascii_lowercase());
        if !(all || named || (default && group == Group::Default)) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        text.push_str(&format!("# {name}\r\n"));
        for (key, value) in section(session, &node, name) {
            text.push_str(&format!("{key}:{value}\r\n"));
        }
    }
    Reply::bulk(text)
}

fn section<C: Cluster>(session: &Session<C>, node: &NodeInfo, name: &str) -> Fields {
    let server = &session.server;
    let command_stats = &server.command_stats;
    match name {
        "Server" => sections::server(server),
        "Clients" => sections::clients(server),
        "Memory" => sections::memory(node, &server.cluster.encoding_config()),
        "Persistence" => persistence::persistence(server, node),
        "Stats" => sections::stats(server),
        "Replication" => replication::replication(server, node),
        "CPU" => sections::cpu(),
        "Commandstats" => command_stats.commandstats(),
        "Errorstats" => command_stats.errorstats(),
        "Latencystats" => command_stats.latencystats(),
        // redraft is not a Redis Cluster: its nodes replicate one keyspace through Raft.
        "Cluster" => vec![field("cluster_enabled", 0)],
        "Raft" => server.cluster.raft_info(),
        "Keyspace" => keyspace(session),
        // Modules: redraft loads none.
        _ => Vec::new(),
    }
}

/// A section's `name:value` lines.
type Fields = Vec<(String, String)>;

fn field(name: &str, value: impl Display) -> (String, String) {
    (name.to_string(), value.to_string())
}

/// Fields of a feature redraft lacks, each with the value Redis gives it switched off.
fn fixed(fields: &[(&str, &str)]) -> Fields {
    fields
        .iter()
        .map(|(name, value)| field(name, value))
        .collect()
}

fn keyspace<C: Cluster>(session: &Session<C>) -> Fields {
    session
        .server
        .cluster
        .db_stats()
        .into_iter()
        .map(|db| {
            (
                format!("db{}", db.db),
                format!("keys={},expires={},avg_ttl=0", db.keys, db.expires),
            )
        })
        .collect()
}

/// Bytes as Redis's `_human` fields print them: `512B`, `1.50K`, `23.54G`.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_as_redis_prints_them() {
        assert_eq!(human_bytes(0), "0B");
        assert_eq!(human_bytes(1023), "1023B");
        assert_eq!(human_bytes(1536), "1.50K");
        assert_eq!(human_bytes(916_144), "894.67K");
        assert_eq!(human_bytes(25_276_203_008), "23.54G");
    }
}
