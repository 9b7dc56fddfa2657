//! MEMORY STATS and MEMORY DOCTOR: the node's memory as its allocator, its process and its
//! replica tell it. Redis 7.0's field names in its order; what redraft has no counterpart for
//! is 0 (docs/commands.md lists them).

use redraft_engine::{slot_overheads, DatasetEstimate, Reply};

use crate::allocator::{self, AllocatorStats};
use crate::info::resident_bytes;

/// The keys per database the dataset estimate measures: a database's keys in hash order are a
/// fair sample of it, and the estimate then holds the replica's read lock for a bounded time.
pub const SAMPLE_KEYS: usize = 10_000;

/// The figures MEMORY STATS and DOCTOR are made of.
struct Figures {
    allocator: AllocatorStats,
    startup: u64,
    peak: u64,
    rss: u64,
    dataset: DatasetEstimate,
}

impl Figures {
    fn now(dataset: DatasetEstimate) -> Figures {
        let allocator = allocator::stats().unwrap_or_default();
        Figures {
            allocator,
            startup: allocator::startup_allocated(),
            peak: allocator::peak_allocated().max(allocator.allocated),
            rss: resident_bytes().unwrap_or(0),
            dataset,
        }
    }

    /// Bytes allocated since the node started serving.
    fn net(&self) -> u64 {
        self.allocator.allocated.saturating_sub(self.startup)
    }

    fn db_overheads(&self) -> Vec<(usize, u64, u64)> {
        let (key_slot, deadline_slot) = slot_overheads();
        let dbs = self.dataset.dbs.iter();
        dbs.map(|&(db, keys, expires)| {
            let main = (keys * key_slot) as u64;
            (db, main, (expires * deadline_slot) as u64)
        })
        .collect()
    }

    fn overhead(&self) -> u64 {
        let dbs: u64 = self.db_overheads().iter().map(|(_, m, e)| m + e).sum();
        self.startup + self.dataset.scripts_bytes as u64 + self.dataset.functions_bytes as u64 + dbs
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    match whole {
        0 => 0.0,
        whole => part as f64 / whole as f64,
    }
}

fn int(value: u64) -> Reply {
    Reply::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

fn field(name: &str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk(name), value)
}

/// MEMORY STATS: a map (a flat array in RESP2), with Redis 7.0's fields in its order.
pub fn stats(dataset: DatasetEstimate) -> Reply {
    let f = Figures::now(dataset);
    let a = f.allocator;
    let mut out = vec![
        field("peak.allocated", int(f.peak)),
        field("total.allocated", int(a.allocated)),
        field("startup.allocated", int(f.startup)),
        // Redis's replication backlog, client buffers, cluster links and AOF buffer have no
        // counterpart whose size redraft measures.
        field("replication.backlog", int(0)),
        field("clients.slaves", int(0)),
        field("clients.normal", int(0)),
        field("cluster.links", int(0)),
        field("aof.buffer", int(0)),
        field("lua.caches", int(f.dataset.scripts_bytes as u64)),
        field("functions.caches", int(f.dataset.functions_bytes as u64)),
    ];
    for (db, main, expires) in f.db_overheads() {
        let tables = vec![
            field("overhead.hashtable.main", int(main)),
            field("overhead.hashtable.expires", int(expires)),
            field("overhead.hashtable.slot-to-keys", int(0)),
        ];
        out.push(field(&format!("db.{db}"), Reply::Map(tables)));
    }
    let keys = f.dataset.keys as u64;
    let dataset = f.dataset.bytes as u64;
    out.extend([
        field("overhead.total", int(f.overhead())),
        field("keys.count", int(keys)),
        field(
            "keys.bytes-per-key",
            int(f.net().checked_div(keys).unwrap_or(0)),
        ),
        field("dataset.bytes", int(dataset)),
        field(
            "dataset.percentage",
            Reply::Double(100.0 * ratio(dataset, f.net())),
        ),
        field(
            "peak.percentage",
            Reply::Double(100.0 * ratio(a.allocated, f.peak)),
        ),
        field("allocator.allocated", int(a.allocated)),
        field("allocator.active", int(a.active)),
        field("allocator.resident", int(a.resident)),
        field(
            "allocator-fragmentation.ratio",
            Reply::Double(ratio(a.active, a.allocated)),
        ),
        field(
            "allocator-fragmentation.bytes",
            int(a.active.saturating_sub(a.allocated)),
        ),
        field(
            "allocator-rss.ratio",
            Reply::Double(ratio(a.resident, a.active)),
        ),
        field(
            "allocator-rss.bytes",
            int(a.resident.saturating_sub(a.active)),
        ),
        field(
            "rss-overhead.ratio",
            Reply::Double(ratio(f.rss, a.resident)),
        ),
        field("rss-overhead.bytes", int(f.rss.saturating_sub(a.resident))),
        field("fragmentation", Reply::Double(ratio(f.rss, a.allocated))),
        field(
            "fragmentation.bytes",
            int(f.rss.saturating_sub(a.allocated)),
        ),
    ]);
    Reply::Map(out)
}

/// Below this much allocated memory a node has too little to say anything about.
const DOCTOR_MIN_BYTES: u64 = 5 << 20;

/// MEMORY DOCTOR: a report in words, from the same figures as STATS.
pub fn doctor(dataset: DatasetEstimate) -> Reply {
    Reply::bulk(diagnose(&Figures::now(dataset)))
}

fn diagnose(f: &Figures) -> String {
    let a = f.allocator;
    if a.allocated < DOCTOR_MIN_BYTES && f.dataset.keys == 0 {
        return "This node holds no keys and little memory: there is nothing to examine yet."
            .to_string();
    }
    let mut findings = Vec::new();
    if f.peak > a.allocated.saturating_mul(3) / 2 {
        findings.push(format!(
            "- The allocated memory peaked at {} bytes, more than 150% of the {} allocated now: \
             the resident memory may stay near the peak until the allocator returns the pages \
             (MEMORY PURGE asks it to).",
            f.peak, a.allocated
        ));
    }
    let fragmentation = ratio(a.active, a.allocated);
    if fragmentation > 1.4 && a.active.saturating_sub(a.allocated) > 10 << 20 {
        findings.push(format!(
            "- The allocator's pages hold {:.2} times the bytes in use: freed memory is \
             scattered among live allocations.",
            fragmentation
        ));
    }
    let rss = ratio(f.rss, a.allocated);
    if rss > 1.5 && f.rss.saturating_sub(a.allocated) > 10 << 20 {
        findings.push(format!(
            "- The process's resident memory is {rss:.2} times what is allocated: besides the \
             allocator's own pages it holds the Raft log's cache, the thread stacks and the \
             code."
        ));
    }
    if findings.is_empty() {
        return format!(
            "No memory problem found on this node: {} keys, about {} bytes of data, {} bytes \
             allocated, {} bytes resident.",
            f.dataset.keys, f.dataset.bytes, a.allocated, f.rss
        );
    }
    format!(
        "This node's memory, {} keys, {} bytes allocated:\n{}\n",
        f.dataset.keys,
        a.allocated,
        findings.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(allocated: u64, peak: u64, rss: u64, keys: usize) -> Figures {
        Figures {
            allocator: AllocatorStats {
                allocated,
                active: allocated,
                resident: allocated,
            },
            startup: 1 << 20,
            peak,
            rss,
            dataset: DatasetEstimate {
                keys,
                ..DatasetEstimate::default()
            },
        }
    }

    #[test]
    fn the_doctor_has_nothing_to_say_of_an_empty_node_and_reports_a_high_peak() {
        let empty = diagnose(&figures(2 << 20, 2 << 20, 8 << 20, 0));
        assert!(empty.contains("nothing to examine"), "{empty}");
        let calm = diagnose(&figures(100 << 20, 100 << 20, 120 << 20, 1000));
        assert!(calm.starts_with("No memory problem found"), "{calm}");
        let peaked = diagnose(&figures(100 << 20, 400 << 20, 120 << 20, 1000));
        assert!(peaked.contains("peaked at"), "{peaked}");
    }

    #[test]
    fn stats_has_redis_fields_in_redis_order() {
        let dataset = DatasetEstimate {
            dbs: vec![(0, 10, 2)],
            keys: 10,
            bytes: 1000,
            ..DatasetEstimate::default()
        };
        let Reply::Map(fields) = stats(dataset) else {
            panic!("a map");
        };
        let names: Vec<String> = fields
            .iter()
            .map(|(name, _)| match name {
                Reply::Bulk(name) => String::from_utf8_lossy(name).into_owned(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names.len(), 28);
        assert_eq!(names[10], "db.0");
        assert_eq!(names[14], "dataset.bytes");
        assert_eq!(names[27], "fragmentation.bytes");
        assert_eq!(fields[12].1, Reply::Integer(10));
    }
}
