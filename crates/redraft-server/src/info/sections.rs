//! INFO's server, clients, memory, stats and cpu sections.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{field, fixed, human_bytes, Fields, REDIS_VERSION};
use crate::cluster::{Cluster, NodeInfo};
use crate::server::Server;
use redraft_engine::config::EncodingConfig;

pub(super) fn server<C: Cluster>(server: &Server<C>) -> Fields {
    let uptime = server.started.elapsed().as_secs();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let executable = std::env::current_exe().unwrap_or_default();
    let mut fields = vec![
        field("redis_version", REDIS_VERSION),
        field("redraft_version", env!("CARGO_PKG_VERSION")),
        field("redis_git_sha1", "00000000"),
        field("redis_git_dirty", 0),
        field(
            "redis_build_id",
            concat!("redraft-", env!("CARGO_PKG_VERSION")),
        ),
        field("redis_mode", "standalone"),
        field("os", os()),
        field("arch_bits", usize::BITS),
        field("monotonic_clock", "POSIX clock_gettime"),
        field("multiplexing_api", multiplexing_api()),
        field("atomicvar_api", "c11-builtin"),
        // Not built by gcc: Redis prints this for a compiler that is not gcc.
        field("gcc_version", "0.0.0"),
        field("process_id", std::process::id()),
        field("process_supervised", "no"),
        field("run_id", &server.run_id),
        field("tcp_port", server.config.port),
        field("server_time_usec", now.as_micros()),
        field("uptime_in_seconds", uptime),
        field("uptime_in_days", uptime / 86_400),
    ];
    fields.extend(fixed(&[("hz", "10"), ("configured_hz", "10")]));
    // Redis's LRU clock: seconds, in 24 bits.
    fields.push(field("lru_clock", now.as_secs() & 0xFF_FFFF));
    fields.push(field("executable", executable.display()));
    let config_file = server.config.config_file.as_ref();
    fields.push(field(
        "config_file",
        config_file
            .map(|path| path.display().to_string())
            .unwrap_or_default(),
    ));
    fields.push(field("io_threads_active", 0));
    fields
}

/// `uname -s -r -m`, as Redis prints it.
fn os() -> String {
    let read = |path| std::fs::read_to_string(path).map(|s: String| s.trim().to_string());
    let release = read("/proc/sys/kernel/osrelease").unwrap_or_default();
    let system = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        other => other,
    };
    let arch = std::env::consts::ARCH;
    format!("{system} {release} {arch}")
}

/// What tokio's reactor waits with.
fn multiplexing_api() -> &'static str {
    match std::env::consts::OS {
        "linux" | "android" => "epoll",
        "macos" | "freebsd" | "openbsd" | "netbsd" => "kqueue",
        _ => "poll",
    }
}

pub(super) fn clients<C: Cluster>(server: &Server<C>) -> Fields {
    let connected = server.stats.connected_clients.load(Ordering::Relaxed);
    let blocked = server.waiting.blocked_clients();
    let (tracking, _) = server.tracking.counts();
    vec![
        field("connected_clients", connected),
        field("cluster_connections", 0),
        field("maxclients", server.config.max_clients),
        field("client_recent_max_input_buffer", 0),
        field("client_recent_max_output_buffer", 0),
        field("blocked_clients", blocked),
        field("tracking_clients", tracking),
        // Every blocked client with a timeout is timed by the log, not a table of the node's.
        field("clients_in_timeout_table", 0),
    ]
}

/// The memory parameters are the replicated configuration's (CONFIG SET maxmemory ...).
pub(super) fn memory(node: &NodeInfo, config: &EncodingConfig) -> Fields {
    let rss = resident_bytes().unwrap_or(0);
    // jemalloc's counters, as MEMORY STATS reads them; the resident size without them.
    let heap = crate::allocator::stats().unwrap_or(crate::allocator::AllocatorStats {
        allocated: rss,
        active: rss,
        resident: rss,
    });
    let used = heap.allocated;
    let peak = crate::allocator::peak_allocated().max(used);
    let startup = crate::allocator::startup_allocated().min(used);
    let system = total_system_memory();
    let mut fields = vec![
        field("used_memory", used),
        field("used_memory_human", human_bytes(used)),
        field("used_memory_rss", rss),
        field("used_memory_rss_human", human_bytes(rss)),
        field("used_memory_peak", peak),
        field("used_memory_peak_human", human_bytes(peak)),
        field("used_memory_peak_perc", percent(used, peak)),
        field("used_memory_overhead", 0),
        field("used_memory_startup", startup),
        field("used_memory_dataset", used - startup),
        field("used_memory_dataset_perc", percent(used - startup, used)),
        field("allocator_allocated", heap.allocated),
        field("allocator_active", heap.active),
        field("allocator_resident", heap.resident),
        field("total_system_memory", system),
        field("total_system_memory_human", human_bytes(system)),
    ];
    fields.extend(fixed(&[
        ("used_memory_lua", "0"),
        ("used_memory_vm_eval", "0"),
        ("used_memory_lua_human", "0B"),
        ("used_memory_scripts_eval", "0"),
    ]));
    fields.push(field("number_of_cached_scripts", node.scripts));
    fields.push(field("number_of_functions", node.functions));
    fields.push(field("number_of_libraries", node.libraries));
    fields.extend(fixed(MEMORY_UNMEASURED));
    fields.push(field("maxmemory", config.maxmemory));
    fields.push(field("maxmemory_human", human_bytes(config.maxmemory)));
    let policy = config.matching(b"maxmemory-policy").into_iter().next();
    fields.push(field(
        "maxmemory_policy",
        policy.map(|(_, name)| name).unwrap_or_default(),
    ));
    fields.extend(fixed(MEMORY_UNMEASURED_AFTER_MAXMEMORY));
    fields
}

/// Memory fields (those before maxmemory's) redraft does not measure apart (its Lua states, its allocator's own
/// fragmentation, Redis's buffers for replicas and AOF, which it does not have).
const MEMORY_UNMEASURED: &[(&str, &str)] = &[
    ("used_memory_vm_functions", "0"),
    ("used_memory_vm_total", "0"),
    ("used_memory_vm_total_human", "0B"),
    ("used_memory_functions", "0"),
    ("used_memory_scripts", "0"),
    ("used_memory_scripts_human", "0B"),
];

/// Those after maxmemory's fields, in Redis's order.
const MEMORY_UNMEASURED_AFTER_MAXMEMORY: &[(&str, &str)] = &[
    ("allocator_frag_ratio", "1.00"),
    ("allocator_frag_bytes", "0"),
    ("allocator_rss_ratio", "1.00"),
    ("allocator_rss_bytes", "0"),
    ("rss_overhead_ratio", "1.00"),
    ("rss_overhead_bytes", "0"),
    ("mem_fragmentation_ratio", "1.00"),
    ("mem_fragmentation_bytes", "0"),
    ("mem_not_counted_for_evict", "0"),
    ("mem_replication_backlog", "0"),
    ("mem_total_replication_buffers", "0"),
    ("mem_clients_slaves", "0"),
    ("mem_clients_normal", "0"),
    ("mem_cluster_links", "0"),
    ("mem_aof_buffer", "0"),
    ("mem_allocator", "jemalloc-5.3.0"),
    ("active_defrag_running", "0"),
    ("lazyfree_pending_objects", "0"),
    ("lazyfreed_objects", "0"),
];

/// `part` of `whole` as Redis prints a percentage: `99.50%`.
fn percent(part: u64, whole: u64) -> String {
    let ratio = if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    };
    format!("{ratio:.2}%")
}

/// Resident set size from /proc (Linux); None elsewhere.
pub(crate) fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The machine's memory, from /proc/meminfo (Linux); 0 elsewhere.
fn total_system_memory() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kilobytes = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok());
    kilobytes.unwrap_or(0) * 1024
}

pub(super) fn stats<C: Cluster>(server: &Server<C>) -> Fields {
    let stats = &server.stats;
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let [channels, patterns, shard_channels] = server.hub.names_listened();
    let (_, tracked_keys) = server.tracking.counts();
    let mut fields = vec![
        field(
            "total_connections_received",
            load(&stats.connections_received),
        ),
        field("total_commands_processed", load(&stats.commands_processed)),
    ];
    fields.extend(fixed(STATS_UNMEASURED_NET));
    fields.push(field(
        "rejected_connections",
        load(&stats.rejected_connections),
    ));
    fields.extend(fixed(STATS_UNMEASURED_KEYS));
    fields.push(field("pubsub_channels", channels));
    fields.push(field("pubsub_patterns", patterns));
    fields.push(field("pubsubshard_channels", shard_channels));
    fields.extend(fixed(STATS_NOT_HERE));
    fields.push(field("tracking_total_keys", tracked_keys));
    fields.push(field("tracking_total_items", tracked_keys));
    fields.push(field("tracking_total_prefixes", 0));
    fields.push(field("unexpected_error_replies", 0));
    let errors = server.command_stats.error_replies();
    fields.push(field("total_error_replies", errors));
    fields.extend(fixed(STATS_UNMEASURED_IO));
    fields
}

/// Traffic, which redraft does not count (0); Redis's replication traffic, which it does not
/// have (Raft's is in the metrics).
const STATS_UNMEASURED_NET: &[(&str, &str)] = &[
    ("instantaneous_ops_per_sec", "0"),
    ("total_net_input_bytes", "0"),
    ("total_net_output_bytes", "0"),
    ("total_net_repl_input_bytes", "0"),
    ("total_net_repl_output_bytes", "0"),
    ("instantaneous_input_kbps", "0.00"),
    ("instantaneous_output_kbps", "0.00"),
    ("instantaneous_input_repl_kbps", "0.00"),
    ("instantaneous_output_repl_kbps", "0.00"),
];

/// Redis's replica syncs, expiry cycle, eviction and lookups: not counted here (the leader's
/// expiry sweeps are log entries; redraft evicts nothing).
const STATS_UNMEASURED_KEYS: &[(&str, &str)] = &[
    ("sync_full", "0"),
    ("sync_partial_ok", "0"),
    ("sync_partial_err", "0"),
    ("expired_keys", "0"),
    ("expired_stale_perc", "0.00"),
    ("expired_time_cap_reached_count", "0"),
    ("expire_cycle_cpu_milliseconds", "0"),
    ("evicted_keys", "0"),
    ("evicted_clients", "0"),
    ("total_eviction_exceeded_time", "0"),
    ("current_eviction_exceeded_time", "0"),
    ("keyspace_hits", "0"),
    ("keyspace_misses", "0"),
];

/// Forks for RDB (redraft's snapshot forks are in the metrics), MIGRATE, replicas' expiries,
/// active defragmentation: none here.
const STATS_NOT_HERE: &[(&str, &str)] = &[
    ("latest_fork_usec", "0"),
    ("total_forks", "0"),
    ("migrate_cached_sockets", "0"),
    ("slave_expires_tracked_keys", "0"),
    ("active_defrag_hits", "0"),
    ("active_defrag_misses", "0"),
    ("active_defrag_key_hits", "0"),
    ("active_defrag_key_misses", "0"),
    ("total_active_defrag_time", "0"),
    ("current_active_defrag_time", "0"),
];

/// Redis's event loop and I/O threads' counters: redraft's sessions are tokio tasks.
const STATS_UNMEASURED_IO: &[(&str, &str)] = &[
    ("dump_payload_sanitizations", "0"),
    ("total_reads_processed", "0"),
    ("total_writes_processed", "0"),
    ("io_threaded_reads_processed", "0"),
    ("io_threaded_writes_processed", "0"),
    ("reply_buffer_shrinks", "0"),
    ("reply_buffer_expands", "0"),
];

/// CPU time from getrusage: the process's, its children's (snapshot encoders), and, as the
/// `main_thread` fields, the process's again: redraft serves clients from a pool of threads,
/// not one event loop.
pub(super) fn cpu() -> Fields {
    let (sys, user) = cpu_seconds(libc::RUSAGE_SELF);
    let (children_sys, children_user) = cpu_seconds(libc::RUSAGE_CHILDREN);
    vec![
        field("used_cpu_sys", format!("{sys:.6}")),
        field("used_cpu_user", format!("{user:.6}")),
        field("used_cpu_sys_children", format!("{children_sys:.6}")),
        field("used_cpu_user_children", format!("{children_user:.6}")),
        field("used_cpu_sys_main_thread", format!("{sys:.6}")),
        field("used_cpu_user_main_thread", format!("{user:.6}")),
    ]
}

/// System and user CPU seconds of `who` (RUSAGE_SELF or RUSAGE_CHILDREN); zeros when the
/// call fails.
fn cpu_seconds(who: libc::c_int) -> (f64, f64) {
    // SAFETY: getrusage only writes the struct it is given, which is zeroed and ours.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a pointer to a live rusage.
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return (0.0, 0.0);
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (seconds(usage.ru_stime), seconds(usage.ru_utime))
}
