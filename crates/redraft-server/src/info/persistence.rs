//! INFO's persistence section: Redis's RDB fields report the node's Raft snapshots (the state
//! written whole, as an RDB save is), its changes since the last one as Redis's dirty counter
//! counts them. The Raft log is not an AOF (no BGREWRITEAOF, no appendonly file), so the AOF
//! fields are those of Redis with AOF off; the raft section reports the log.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{field, fixed, Fields};
use crate::cluster::{Cluster, NodeInfo};
use crate::server::Server;

pub(super) fn persistence<C: Cluster>(server: &Server<C>, node: &NodeInfo) -> Fields {
    let snapshots = &node.snapshots;
    let mut fields = fixed(&[
        // A node loads its snapshot before it accepts clients.
        ("loading", "0"),
        ("async_loading", "0"),
        ("current_cow_peak", "0"),
        ("current_cow_size", "0"),
        ("current_cow_size_age", "0"),
        ("current_fork_perc", "0.00"),
        ("current_save_keys_processed", "0"),
        ("current_save_keys_total", "0"),
    ]);
    let seconds = |took: Option<u64>| took.map_or(-1, |secs| secs as i64);
    fields.extend([
        field("rdb_changes_since_last_save", snapshots.changes_since),
        field(
            "rdb_bgsave_in_progress",
            u8::from(snapshots.building_secs.is_some()),
        ),
        field("rdb_last_save_time", last_save_time(server)),
        field(
            "rdb_last_bgsave_status",
            if snapshots.last_failed { "err" } else { "ok" },
        ),
        field(
            "rdb_last_bgsave_time_sec",
            seconds(snapshots.last_build_secs),
        ),
        field(
            "rdb_current_bgsave_time_sec",
            seconds(snapshots.building_secs),
        ),
        field("rdb_saves", snapshots.built),
    ]);
    fields.extend(fixed(&[
        ("rdb_last_cow_size", "0"),
        ("rdb_last_load_keys_expired", "0"),
        ("rdb_last_load_keys_loaded", "0"),
    ]));
    fields.extend(fixed(AOF_OFF));
    fields
}

/// Redis's AOF fields with AOF off, and its module forks (redraft has no modules).
const AOF_OFF: &[(&str, &str)] = &[
    ("aof_enabled", "0"),
    ("aof_rewrite_in_progress", "0"),
    ("aof_rewrite_scheduled", "0"),
    ("aof_last_rewrite_time_sec", "-1"),
    ("aof_current_rewrite_time_sec", "-1"),
    ("aof_last_bgrewrite_status", "ok"),
    ("aof_rewrites", "0"),
    ("aof_rewrites_consecutive_failures", "0"),
    ("aof_last_write_status", "ok"),
    ("aof_last_cow_size", "0"),
    ("module_fork_in_progress", "0"),
    ("module_fork_last_cow_size", "0"),
];

/// LASTSAVE's time: the last snapshot's, or the node's start (Redis counts a fresh start as
/// saved).
fn last_save_time<C: Cluster>(server: &Server<C>) -> u64 {
    let started = SystemTime::now() - server.started.elapsed();
    let saved = server.cluster.last_snapshot().unwrap_or(started);
    saved
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}
