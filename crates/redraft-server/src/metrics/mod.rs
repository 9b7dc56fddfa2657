//! `--metrics-addr`: the node's metrics in the Prometheus text format. Each scrape reads the
//! current values (the Raft status INFO reports, the Raft side's counters, the sessions'
//! command counts) into a [`Sample`] and renders it; nothing is kept between scrapes but the
//! counters themselves. docs/operations.md lists the metrics.

mod commands;
pub mod http;

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::Ordering;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Metric, Registry};
use redraft_raft::{HistogramSample, RaftNode, RaftStatus};

use crate::cluster::Cluster;
use crate::server::Server;

pub use commands::{CommandMetrics, CommandSample, Timing};

/// The `Content-Type` of what [`render`] returns.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The roles `redraft_raft_role` lists, one series each.
const ROLES: [&str; 6] = [
    "leader",
    "follower",
    "candidate",
    "learner",
    "shutdown",
    "removed",
];

/// Everything a scrape reports, read at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub raft: RaftStatus,
    /// On the leader: (follower id, matched log index).
    pub followers: Vec<(u64, u64)>,
    pub log_bytes: u64,
    pub fsync: HistogramSample,
    pub snapshot_builds: u64,
    pub snapshot_build: HistogramSample,
    pub snapshot_installs: u64,
    pub snapshot_install: HistogramSample,
    pub forwarded_writes: u64,
    pub forwards: u64,
    pub forwarded_reads: u64,
    pub leader_changes: u64,
    pub elections: u64,
    pub commands: Vec<CommandSample>,
    pub connected_clients: u64,
    pub blocked_clients: u64,
    pub resident_bytes: Option<u64>,
}

impl Sample {
    /// Reads the node's current values.
    pub fn gather<C: Cluster>(server: &Server<C>, node: &RaftNode) -> Sample {
        let stats = node.stats();
        let snapshots = &stats.snapshots;
        let count = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
        Sample {
            raft: node.status(),
            followers: node.replication(),
            log_bytes: count(&stats.log_bytes),
            fsync: stats.fsync_seconds.sample(),
            snapshot_builds: count(&snapshots.builds),
            snapshot_build: snapshots.build_seconds.sample(),
            snapshot_installs: count(&snapshots.installs),
            snapshot_install: snapshots.install_seconds.sample(),
            forwarded_writes: count(&stats.forwarded_writes),
            forwards: count(&stats.forwards),
            forwarded_reads: count(&stats.forwarded_reads),
            leader_changes: count(&stats.leader_changes),
            elections: count(&stats.elections),
            commands: server.command_metrics.sample(),
            connected_clients: server.stats.connected_clients.load(Ordering::Relaxed) as u64,
            blocked_clients: server.waiting.blocked_clients() as u64,
            resident_bytes: crate::info::resident_bytes(),
        }
    }
}

/// The sample in the Prometheus text format (version 0.0.4), every name prefixed `redraft_`.
pub fn render(sample: &Sample) -> String {
    let mut registry = Registry::with_prefix("redraft");
    register_raft(&mut registry, sample);
    register_commands(&mut registry, sample);
    let gauge = |v: u64| ConstGauge::new(i64::try_from(v).unwrap_or(i64::MAX));
    registry.register(
        "connected_clients",
        "Client connections open on this node",
        gauge(sample.connected_clients),
    );
    registry.register(
        "blocked_clients",
        "This node's clients waiting in a blocking command (BLPOP ...)",
        gauge(sample.blocked_clients),
    );
    if let Some(bytes) = sample.resident_bytes {
        registry.register(
            "resident_memory_bytes",
            "Resident set size of the process",
            gauge(bytes),
        );
    }
    let mut text = String::new();
    // Writing to a String fails only if a metric's encoding does, and ours cannot.
    if prometheus_client::encoding::prometheus_text::encode(&mut text, &registry).is_err() {
        text.clear();
    }
    text
}

fn register_raft(registry: &mut Registry, sample: &Sample) {
    let raft = &sample.raft;
    let gauge = |v: u64| ConstGauge::new(i64::try_from(v).unwrap_or(i64::MAX));
    let counter = ConstCounter::new;
    let r = registry.sub_registry_with_prefix("raft");
    r.register("node_id", "This node's id", gauge(raft.node_id));
    r.register("term", "Current Raft term", gauge(raft.term));
    let is_leader = u64::from(raft.role == "leader");
    r.register("is_leader", "1 on the leader, else 0", gauge(is_leader));
    r.register(
        "role",
        "1 for this node's current role, 0 for the others",
        Labelled::new(
            "role",
            MetricType::Gauge,
            ROLES.map(|role| (Cow::Borrowed(role), gauge(u64::from(role == raft.role)))),
        ),
    );
    r.register(
        "leader_id",
        "Id of the leader this node knows, 0 when none",
        gauge(raft.leader_id.unwrap_or(0)),
    );
    r.register(
        "voters",
        "Voting members of the cluster",
        gauge(raft.members.len() as u64),
    );
    r.register(
        "last_log_index",
        "Index of the last entry of this node's log",
        gauge(raft.last_log_index),
    );
    r.register(
        "commit_index",
        "Index of the last entry known committed",
        gauge(raft.commit_index),
    );
    r.register(
        "applied_index",
        "Index of the last entry applied to this node's replica",
        gauge(raft.applied_index),
    );
    r.register(
        "snapshot_index",
        "Last log index the current snapshot covers",
        gauge(raft.snapshot_index),
    );
    r.register(
        "log_bytes",
        "Bytes of log records on disk since the last compaction",
        gauge(sample.log_bytes),
    );
    let per_follower = |value: &dyn Fn(u64) -> u64| {
        sample
            .followers
            .iter()
            .map(|&(id, matched)| (Cow::Owned(id.to_string()), gauge(value(matched))))
            .collect::<Vec<_>>()
    };
    r.register(
        "follower_match_index",
        "On the leader: the last log index each follower has matched",
        Labelled::new("follower", MetricType::Gauge, per_follower(&|m| m)),
    );
    r.register(
        "follower_lag_entries",
        "On the leader: entries of its log each follower has not matched yet",
        Labelled::new(
            "follower",
            MetricType::Gauge,
            per_follower(&|m| raft.last_log_index.saturating_sub(m)),
        ),
    );
    r.register(
        "leader_changes",
        "New leaders this node has seen since it started",
        counter(sample.leader_changes),
    );
    r.register(
        "elections",
        "New terms (each begins with an election) this node has seen since it started",
        counter(sample.elections),
    );
    r.register(
        "snapshot_builds",
        "Snapshots this node built from its replica",
        counter(sample.snapshot_builds),
    );
    r.register(
        "snapshot_build_seconds",
        "Time to encode a snapshot and make it durable",
        Histogram(sample.snapshot_build.clone()),
    );
    r.register(
        "snapshot_installs",
        "Snapshots this node installed from the leader",
        counter(sample.snapshot_installs),
    );
    r.register(
        "snapshot_install_seconds",
        "Time to store and load a snapshot received from the leader",
        Histogram(sample.snapshot_install.clone()),
    );
    r.register(
        "log_fsync_seconds",
        "Time of the fsync that makes each append to the log durable",
        Histogram(sample.fsync.clone()),
    );
    r.register(
        "forwarded_writes",
        "Runs of write commands this node forwarded to the leader",
        counter(sample.forwarded_writes),
    );
    r.register(
        "forwards",
        "Forward requests this node sent the leader, each with the runs that waited together",
        counter(sample.forwards),
    );
    r.register(
        "forwarded_reads",
        "Read indexes this node asked of the leader",
        counter(sample.forwarded_reads),
    );
}

fn register_commands(registry: &mut Registry, sample: &Sample) {
    let by_command = |metric_type, value: &dyn Fn(&CommandSample) -> ConstCounter| {
        let series = sample
            .commands
            .iter()
            .map(|c| (Cow::Borrowed(c.name), value(c)))
            .collect::<Vec<_>>();
        Labelled::new("command", metric_type, series)
    };
    registry.register(
        "commands",
        "Commands this node's clients called, by command",
        by_command(MetricType::Counter, &|c| ConstCounter::new(c.calls)),
    );
    registry.register(
        "command_errors",
        "Commands answered with an error, by command",
        by_command(MetricType::Counter, &|c| ConstCounter::new(c.errors)),
    );
    let latencies = sample
        .commands
        .iter()
        .map(|c| (Cow::Borrowed(c.name), Histogram(c.latency.clone())))
        .collect::<Vec<_>>();
    registry.register(
        "command_duration_seconds",
        "Time from taking a command to its reply, by command (a pipelined run of writes \
         counts its whole trip through the log for each of its commands)",
        Labelled::new("command", MetricType::Histogram, latencies),
    );
}

/// A histogram as read at the scrape.
#[derive(Debug)]
struct Histogram(HistogramSample);

impl EncodeMetric for Histogram {
    fn encode(&self, mut encoder: MetricEncoder) -> fmt::Result {
        let sample = &self.0;
        encoder.encode_histogram::<NoLabelSet>(
            sample.sum_seconds,
            sample.count,
            &sample.buckets,
            None,
        )
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// Series of one metric told apart by one label.
#[derive(Debug)]
struct Labelled<M> {
    label: &'static str,
    metric_type: MetricType,
    series: Vec<(Cow<'static, str>, M)>,
}

impl<M> Labelled<M> {
    fn new(
        label: &'static str,
        metric_type: MetricType,
        series: impl IntoIterator<Item = (Cow<'static, str>, M)>,
    ) -> Self {
        Labelled {
            label,
            metric_type,
            series: series.into_iter().collect(),
        }
    }
}

impl<M: Metric> EncodeMetric for Labelled<M> {
    fn encode(&self, mut encoder: MetricEncoder) -> fmt::Result {
        for (value, metric) in &self.series {
            let labels = [(self.label, value.as_ref())];
            metric.encode(encoder.encode_family(&labels)?)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        self.metric_type
    }

    /// Without series (no follower yet, no command yet), the metric is left out.
    fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

#[cfg(test)]
mod tests;
