//! Per-node introspection against redis-server 7.0: SLOWLOG (entry shape, truncation, RESET),
//! the node's own CONFIG parameters, LATENCY with a threshold, and the field names of INFO
//! commandstats, errorstats and latencystats. redraft's side is a follower of a three-node
//! cluster, so writes include the trip to the leader; the leader keeps a log of its own.

use redis_protocol::resp2::types::OwnedFrame;
use redraft_tests::cluster::Cluster;
use redraft_tests::raw::RawClient;
use redraft_tests::reference::RedisServer;

/// A Lua loop of a few milliseconds at least: a command slow on both servers.
const BUSY: &str = "local i = 0 while i < 2000000 do i = i + 1 end return 1";

async fn call(client: &mut RawClient, line: &[&str]) -> OwnedFrame {
    client
        .call_frame(line)
        .await
        .unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

async fn ok(client: &mut RawClient, line: &[&str]) {
    let reply = call(client, line).await;
    assert_eq!(reply, OwnedFrame::SimpleString(b"OK".to_vec()), "{line:?}");
}

fn items(frame: &OwnedFrame) -> &[OwnedFrame] {
    match frame {
        OwnedFrame::Array(items) => items,
        other => panic!("not an array: {other:?}"),
    }
}

fn text(frame: &OwnedFrame) -> String {
    match frame {
        OwnedFrame::BulkString(bytes) | OwnedFrame::SimpleString(bytes) => {
            String::from_utf8_lossy(bytes).into_owned()
        }
        other => panic!("not a string: {other:?}"),
    }
}

/// A reply with every integer replaced by 0: its shape, whatever the times and ids.
fn shape(frame: &OwnedFrame) -> OwnedFrame {
    match frame {
        OwnedFrame::Integer(_) => OwnedFrame::Integer(0),
        OwnedFrame::Array(items) => OwnedFrame::Array(items.iter().map(shape).collect()),
        other => other.clone(),
    }
}

/// The `name:value` lines of an INFO reply.
async fn info(client: &mut RawClient, section: &str) -> Vec<(String, String)> {
    let reply = text(&call(client, &["INFO", section]).await);
    reply
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The field names of a `a=1,b=2` value.
fn field_names(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|field| field.split('=').next().unwrap_or_default().to_string())
        .collect()
}

/// The slow-log script, on either server: each entry's fields but the address.
async fn slowlog_script(client: &mut RawClient) -> Vec<OwnedFrame> {
    ok(client, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]).await;
    ok(client, &["CLIENT", "SETNAME", "tester"]).await;
    ok(client, &["SLOWLOG", "RESET"]).await;
    let mut del = vec!["DEL".to_string()];
    del.extend((0..40).map(|i| format!("key{i}")));
    let del: Vec<&str> = del.iter().map(String::as_str).collect();
    call(client, &del).await;
    let long = "x".repeat(200);
    call(client, &["ECHO", &long]).await;
    call(client, &["SET", "k", "v"]).await;
    let entries = call(client, &["SLOWLOG", "GET", "4"]).await;
    let mut kept = Vec::new();
    for entry in items(&entries) {
        let fields = items(entry);
        assert_eq!(fields.len(), 6, "{entry:?}");
        // id, time, duration, arguments, [address], name
        kept.push(OwnedFrame::Array(vec![
            shape(&fields[0]),
            shape(&fields[1]),
            shape(&fields[2]),
            fields[3].clone(),
            fields[5].clone(),
        ]));
    }
    kept
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowlog_entries_match_redis_and_stay_on_their_node() {
    let reference = RedisServer::start().await;
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    let follower = cluster.followers().await[0];

    let mut redis = reference.raw().await;
    let mut redraft = cluster.raw(follower).await;
    let expected = slowlog_script(&mut redis).await;
    let got = slowlog_script(&mut redraft).await;
    assert_eq!(got, expected);
    // SET, ECHO cut to 128 bytes, DEL cut to 32 arguments, RESET: newest first.
    assert_eq!(expected.len(), 4);

    // The leader, which applied the follower's writes, logged none of them.
    let mut on_leader = cluster.raw(leader).await;
    let entries = call(&mut on_leader, &["SLOWLOG", "GET", "-1"]).await;
    for entry in items(&entries) {
        assert_ne!(text(&items(entry)[5]), "tester", "{entry:?}");
    }

    for client in [&mut redis, &mut redraft] {
        ok(client, &["SLOWLOG", "RESET"]).await;
        assert_eq!(
            call(client, &["SLOWLOG", "LEN"]).await,
            OwnedFrame::Integer(1)
        );
        ok(client, &["CONFIG", "SET", "slowlog-log-slower-than", "-1"]).await;
        ok(client, &["SLOWLOG", "RESET"]).await;
        call(client, &["SET", "k", "v"]).await;
        assert_eq!(
            call(client, &["SLOWLOG", "LEN"]).await,
            OwnedFrame::Integer(0)
        );
    }
    for line in [
        &["SLOWLOG", "GET", "-2"][..],
        &["SLOWLOG", "LEN", "x"],
        &["SLOWLOG", "NOPE"],
        &["CONFIG", "SET", "slowlog-log-slower-than", "-2"],
        &[
            "CONFIG",
            "SET",
            "slowlog-max-len",
            "5",
            "slowlog-max-len",
            "6",
        ],
        &["CONFIG", "SET", "latency-monitor-threshold", "x"],
        &["CONFIG", "RESETSTAT", "x"],
    ] {
        let expected = call(&mut redis, line).await;
        assert_eq!(call(&mut redraft, line).await, expected, "{line:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_monitor_records_slow_commands_past_its_threshold() {
    let reference = RedisServer::start().await;
    let cluster = Cluster::start(3).await;
    let follower = cluster.followers().await[0];
    let mut redis = reference.raw().await;
    let mut redraft = cluster.raw(follower).await;
    let mut shapes = Vec::new();
    for client in [&mut redis, &mut redraft] {
        assert_eq!(
            call(client, &["LATENCY", "LATEST"]).await,
            OwnedFrame::Array(Vec::new())
        );
        ok(client, &["CONFIG", "SET", "latency-monitor-threshold", "1"]).await;
        call(client, &["EVAL", BUSY, "0"]).await;
        let latest = call(client, &["LATENCY", "LATEST"]).await;
        let history = call(client, &["LATENCY", "HISTORY", "command"]).await;
        let histogram = call(client, &["LATENCY", "HISTOGRAM", "eval"]).await;
        // The histogram's buckets depend on the time taken: only its head is compared.
        let head = OwnedFrame::Array(items(&histogram)[..1].to_vec());
        let calls = items(&items(&histogram)[1])[..2].to_vec();
        let reset = call(client, &["LATENCY", "RESET", "command", "nope"]).await;
        shapes.push((shape(&latest), shape(&history), head, calls, reset));
        assert_eq!(
            call(client, &["LATENCY", "LATEST"]).await,
            OwnedFrame::Array(Vec::new())
        );
        ok(client, &["CONFIG", "SET", "latency-monitor-threshold", "0"]).await;
    }
    assert_eq!(shapes[1], shapes[0]);
    let (latest, ..) = &shapes[0];
    assert_eq!(text(&items(&items(latest)[0])[0]), "command", "{latest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_stats_sections_have_redis_field_names_and_resetstat_clears_them() {
    let reference = RedisServer::start().await;
    let cluster = Cluster::start(3).await;
    let follower = cluster.followers().await[0];
    let mut redis = reference.raw().await;
    let mut redraft = cluster.raw(follower).await;
    let mut seen = Vec::new();
    for client in [&mut redis, &mut redraft] {
        ok(client, &["CONFIG", "RESETSTAT"]).await;
        call(client, &["SET", "k", "v"]).await;
        call(client, &["GET", "k"]).await;
        call(client, &["GET"]).await;
        call(client, &["LPUSH", "k", "x"]).await;
        call(client, &["NOSUCHCOMMAND"]).await;
        let commandstats = info(client, "commandstats").await;
        let get = commandstats
            .iter()
            .find(|(name, _)| name == "cmdstat_get")
            .map(|(_, value)| value.clone())
            .unwrap_or_default();
        let latencystats = info(client, "latencystats").await;
        let get_latency = latencystats
            .iter()
            .find(|(name, _)| name == "latency_percentiles_usec_get")
            .map(|(_, value)| field_names(value))
            .unwrap_or_default();
        let errorstats = info(client, "errorstats").await;
        let stats = info(client, "stats").await;
        let errors = stats
            .iter()
            .find(|(name, _)| name == "total_error_replies")
            .map(|(_, value)| value.clone());
        let default = text(&call(client, &["INFO"]).await);
        let sections = (
            default.contains("# Errorstats"),
            default.contains("# Commandstats"),
            default.contains("# Latencystats"),
        );
        ok(client, &["CONFIG", "RESETSTAT"]).await;
        let after = info(client, "errorstats").await;
        seen.push((
            field_names(&get),
            get.contains("calls=1,") && get.contains("rejected_calls=1,failed_calls=0"),
            get_latency,
            errorstats,
            errors,
            sections,
            after,
        ));
    }
    assert_eq!(seen[1], seen[0]);
    assert_eq!(
        seen[0].0,
        [
            "calls",
            "usec",
            "usec_per_call",
            "rejected_calls",
            "failed_calls"
        ]
    );
    assert!(seen[0].1);
}
