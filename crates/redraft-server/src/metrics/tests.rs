use std::sync::Arc;
use std::time::Duration;

use redraft_raft::{LatencyHistogram, RaftStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

fn leader_sample() -> Sample {
    let fsync = LatencyHistogram::default();
    fsync.observe(Duration::from_micros(700));
    fsync.observe(Duration::from_millis(3));
    let set_latency = LatencyHistogram::default();
    set_latency.observe(Duration::from_micros(40));
    Sample {
        raft: RaftStatus {
            role: "leader",
            node_id: 1,
            leader_id: Some(1),
            term: 7,
            last_log_index: 120,
            commit_index: 119,
            applied_index: 118,
            snapshot_index: 100,
            purged_index: 40,
            members: vec![1, 2, 3],
            learners: vec![],
        },
        followers: vec![(2, 120), (3, 95)],
        log_bytes: 4096,
        fsync: fsync.sample(),
        snapshot_builds: 1,
        snapshot_build: LatencyHistogram::default().sample(),
        snapshot_installs: 0,
        snapshot_install: LatencyHistogram::default().sample(),
        forwarded_writes: 0,
        forwards: 0,
        forwarded_reads: 0,
        leader_changes: 2,
        elections: 3,
        commands: vec![CommandSample {
            name: "set",
            calls: 5,
            errors: 1,
            latency: set_latency.sample(),
        }],
        connected_clients: 4,
        blocked_clients: 1,
        resident_bytes: Some(1 << 20),
    }
}

/// The value of the series `series` (name and labels exactly as printed).
fn value(text: &str, series: &str) -> Option<String> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == series).then(|| value.to_string())
        })
}

#[test]
fn raft_state_renders_as_gauges_with_help_and_type() {
    let text = render(&leader_sample());
    assert!(
        text.contains("# HELP redraft_raft_term Current Raft term"),
        "{text}"
    );
    assert!(text.contains("# TYPE redraft_raft_term gauge\n"), "{text}");
    assert_eq!(value(&text, "redraft_raft_term").as_deref(), Some("7"));
    assert_eq!(value(&text, "redraft_raft_is_leader").as_deref(), Some("1"));
    assert_eq!(value(&text, "redraft_raft_leader_id").as_deref(), Some("1"));
    assert_eq!(
        value(&text, "redraft_raft_applied_index").as_deref(),
        Some("118")
    );
    assert_eq!(
        value(&text, "redraft_raft_commit_index").as_deref(),
        Some("119")
    );
    assert_eq!(
        value(&text, "redraft_raft_snapshot_index").as_deref(),
        Some("100")
    );
    assert_eq!(
        value(&text, "redraft_raft_log_bytes").as_deref(),
        Some("4096")
    );
    assert_eq!(
        value(&text, "redraft_raft_role{role=\"leader\"}").as_deref(),
        Some("1")
    );
    assert_eq!(
        value(&text, "redraft_raft_role{role=\"follower\"}").as_deref(),
        Some("0")
    );
    assert_eq!(
        value(&text, "redraft_connected_clients").as_deref(),
        Some("4")
    );
    assert_eq!(
        value(&text, "redraft_blocked_clients").as_deref(),
        Some("1")
    );
    assert_eq!(
        value(&text, "redraft_resident_memory_bytes").as_deref(),
        Some("1048576")
    );
}

#[test]
fn the_leader_reports_each_followers_match_index_and_lag() {
    let text = render(&leader_sample());
    let series = |name: &str, id: u64| value(&text, &format!("{name}{{follower=\"{id}\"}}"));
    assert_eq!(
        series("redraft_raft_follower_match_index", 3).as_deref(),
        Some("95")
    );
    assert_eq!(
        series("redraft_raft_follower_lag_entries", 3).as_deref(),
        Some("25")
    );
    assert_eq!(
        series("redraft_raft_follower_lag_entries", 2).as_deref(),
        Some("0")
    );
    // A follower has no followers: the metric is left out, not printed empty.
    let mut follower = leader_sample();
    follower.followers.clear();
    let text = render(&follower);
    assert!(!text.contains("follower_lag_entries"), "{text}");
}

#[test]
fn counters_end_in_total() {
    let text = render(&leader_sample());
    assert!(
        text.contains("# TYPE redraft_raft_elections_total counter\n"),
        "{text}"
    );
    assert_eq!(
        value(&text, "redraft_raft_elections_total").as_deref(),
        Some("3")
    );
    assert_eq!(
        value(&text, "redraft_raft_leader_changes_total").as_deref(),
        Some("2")
    );
    assert_eq!(
        value(&text, "redraft_raft_snapshot_builds_total").as_deref(),
        Some("1")
    );
    assert_eq!(
        value(&text, "redraft_commands_total{command=\"set\"}").as_deref(),
        Some("5")
    );
    assert_eq!(
        value(&text, "redraft_command_errors_total{command=\"set\"}").as_deref(),
        Some("1")
    );
}

#[test]
fn histograms_have_cumulative_buckets_a_sum_and_a_count() {
    let text = render(&leader_sample());
    assert!(
        text.contains("# TYPE redraft_raft_log_fsync_seconds histogram\n"),
        "{text}"
    );
    let bucket = |le: &str| {
        value(
            &text,
            &format!("redraft_raft_log_fsync_seconds_bucket{{le=\"{le}\"}}"),
        )
    };
    assert_eq!(bucket("0.0005").as_deref(), Some("0"));
    assert_eq!(bucket("0.001").as_deref(), Some("1"));
    assert_eq!(bucket("0.005").as_deref(), Some("2"));
    assert_eq!(bucket("+Inf").as_deref(), Some("2"));
    assert_eq!(
        value(&text, "redraft_raft_log_fsync_seconds_count").as_deref(),
        Some("2")
    );
    let sum: f64 = value(&text, "redraft_raft_log_fsync_seconds_sum")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1.0);
    assert!((sum - 0.0037).abs() < 1e-9, "{sum}");
    assert_eq!(
        value(
            &text,
            "redraft_command_duration_seconds_bucket{command=\"set\",le=\"5e-05\"}"
        )
        .as_deref(),
        Some("1"),
        "{text}"
    );
}

#[test]
fn every_sample_line_is_a_name_with_optional_labels_and_a_number() {
    let text = render(&leader_sample());
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').expect(line);
        assert!(series.starts_with("redraft_"), "{line}");
        assert!(value.parse::<f64>().is_ok() || value == "+Inf", "{line}");
    }
}

async fn http_get(port: u16, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn the_endpoint_serves_metrics_and_nothing_else() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let render: http::Render = Arc::new(|| "redraft_up 1\n".to_string());
    let serving = tokio::spawn(http::serve(listener, render));
    let ok = http_get(port, "/metrics").await;
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    assert!(
        ok.contains("content-type: text/plain; version=0.0.4"),
        "{ok}"
    );
    assert!(ok.ends_with("\r\n\r\nredraft_up 1\n"), "{ok}");
    let missing = http_get(port, "/other").await;
    assert!(
        missing.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{missing}"
    );
    // Garbage instead of HTTP closes the connection with an error, not the endpoint.
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream
        .write_all(b"\x00\x01 nonsense\r\n\r\n")
        .await
        .unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    assert!(http_get(port, "/metrics").await.contains("redraft_up 1"));
    serving.abort();
}
