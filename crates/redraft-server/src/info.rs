//! INFO: the server's state as `name:value` lines in `# Section` blocks, as Redis prints it.
//! The raft section is redraft's own; scripts and tests parse its fields.

use std::sync::atomic::Ordering;

use redraft_engine::Reply;

use crate::cluster::Cluster;
use crate::session::Session;

/// The Redis version redraft answers as (the engine's: scripts and LOLWUT report it too).
pub use redraft_engine::REDIS_VERSION;

/// Every section, in order, and whether INFO with no section (or `default`) prints it; `all`
/// and `everything` print them all.
const SECTIONS: [(&str, bool); 11] = [
    ("Server", true),
    ("Clients", true),
    ("Memory", true),
    ("Persistence", true),
    ("Stats", true),
    ("Replication", true),
    ("Commandstats", false),
    ("Errorstats", true),
    ("Latencystats", false),
    ("Raft", true),
    ("Keyspace", true),
];

/// INFO [section ...]: the sections named, `default`'s, or all of them.
pub fn reply<C: Cluster>(session: &Session<C>, argv: &[Vec<u8>]) -> Reply {
    let wanted: Vec<String> = argv[1..]
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    let everything = wanted
        .iter()
        .any(|w| matches!(w.as_str(), "all" | "everything"));
    let default = wanted.is_empty() || wanted.iter().any(|w| w == "default");
    let mut text = String::new();
    for (name, in_default) in SECTIONS {
        let named = wanted.iter().any(|w| w == &name.to_ascii_lowercase());
        if !(everything || named || (default && in_default)) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        text.push_str(&format!("# {name}\r\n"));
        for (key, value) in section(session, name) {
            text.push_str(&format!("{key}:{value}\r\n"));
        }
    }
    Reply::bulk(text)
}

fn section<C: Cluster>(session: &Session<C>, name: &str) -> Vec<(String, String)> {
    let command_stats = &session.server.command_stats;
    match name {
        "Server" => server(session),
        "Clients" => clients(session),
        "Memory" => memory(&session.server.cluster.encoding_config()),
        "Persistence" => persistence(),
        "Stats" => stats(session),
        "Replication" => replication(),
        "Commandstats" => command_stats.commandstats(),
        "Errorstats" => command_stats.errorstats(),
        "Latencystats" => command_stats.latencystats(),
        "Raft" => session.server.cluster.raft_info(),
        "Keyspace" => keyspace(session),
        _ => Vec::new(),
    }
}

fn pairs(items: Vec<(&str, String)>) -> Vec<(String, String)> {
    items.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn server<C: Cluster>(session: &Session<C>) -> Vec<(String, String)> {
    let server = &session.server;
    let uptime = server.started.elapsed().as_secs();
    pairs(vec![
        ("redis_version", REDIS_VERSION.to_string()),
        ("redraft_version", env!("CARGO_PKG_VERSION").to_string()),
        ("redis_mode", "standalone".to_string()),
        ("os", std::env::consts::OS.to_string()),
        ("arch_bits", (usize::BITS).to_string()),
        ("process_id", std::process::id().to_string()),
        ("run_id", server.run_id.clone()),
        ("tcp_port", server.config.port.to_string()),
        ("uptime_in_seconds", uptime.to_string()),
        ("uptime_in_days", (uptime / 86_400).to_string()),
    ])
}

fn clients<C: Cluster>(session: &Session<C>) -> Vec<(String, String)> {
    let stats = &session.server.stats;
    pairs(vec![
        (
            "connected_clients",
            stats.connected_clients.load(Ordering::Relaxed).to_string(),
        ),
        ("maxclients", session.server.config.max_clients.to_string()),
        ("blocked_clients", "0".to_string()),
    ])
}

/// The memory parameters are the replicated configuration's (CONFIG SET maxmemory ...).
fn memory(config: &redraft_engine::config::EncodingConfig) -> Vec<(String, String)> {
    let rss = resident_bytes().unwrap_or(0);
    let policy = config.matching(b"maxmemory-policy");
    let policy = policy.into_iter().next().map(|(_, name)| name);
    pairs(vec![
        ("used_memory", rss.to_string()),
        ("used_memory_rss", rss.to_string()),
        ("maxmemory", config.maxmemory.to_string()),
        ("maxmemory_policy", policy.unwrap_or_default()),
    ])
}

/// Resident set size from /proc (Linux); None elsewhere.
pub(crate) fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn persistence() -> Vec<(String, String)> {
    pairs(vec![
        ("loading", "0".to_string()),
        ("aof_enabled", "1".to_string()),
        ("rdb_bgsave_in_progress", "0".to_string()),
    ])
}

fn stats<C: Cluster>(session: &Session<C>) -> Vec<(String, String)> {
    let stats = &session.server.stats;
    pairs(vec![
        (
            "total_connections_received",
            stats
                .connections_received
                .load(Ordering::Relaxed)
                .to_string(),
        ),
        (
            "total_commands_processed",
            stats.commands_processed.load(Ordering::Relaxed).to_string(),
        ),
        (
            "rejected_connections",
            stats
                .rejected_connections
                .load(Ordering::Relaxed)
                .to_string(),
        ),
        (
            "total_error_replies",
            session.server.command_stats.error_replies().to_string(),
        ),
    ])
}

/// Every node accepts writes (followers forward them), so each presents itself as a master.
fn replication() -> Vec<(String, String)> {
    pairs(vec![
        ("role", "master".to_string()),
        ("connected_slaves", "0".to_string()),
    ])
}

fn keyspace<C: Cluster>(session: &Session<C>) -> Vec<(String, String)> {
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
