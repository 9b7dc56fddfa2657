//! MEMORY, OBJECT FREQ / IDLETIME and the memory parameters against redis-server 7.0 (reply
//! types, errors, the values after a fresh write, CONFIG GET/SET), and the access clocks being
//! per node: a key's idle time grows, and a read resets it on the node that served the read
//! only. redraft's side is a follower of a three-node cluster.

use std::time::Duration;

use redis_protocol::resp2::types::OwnedFrame;
use redraft_tests::cluster::Cluster;
use redraft_tests::raw::RawClient;
use redraft_tests::reference::RedisServer;

async fn call(client: &mut RawClient, line: &[&str]) -> OwnedFrame {
    client
        .call_frame(line)
        .await
        .unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

/// The kind of a reply: errors whole, nil, integers and strings by kind, arrays by their items'
/// kinds (MEMORY HELP's lines are in redraft's own words).
fn kind(frame: &OwnedFrame) -> String {
    match frame {
        OwnedFrame::Error(line) => format!("-{line}"),
        OwnedFrame::Null => "nil".into(),
        OwnedFrame::Integer(_) => "integer".into(),
        OwnedFrame::BulkString(_) => "bulk".into(),
        OwnedFrame::SimpleString(_) => "simple".into(),
        OwnedFrame::Array(items) => {
            let kinds: Vec<String> = items.iter().map(kind).collect();
            format!("[{}]", kinds.join(" "))
        }
    }
}

/// The field names of MEMORY STATS (a flat array of name, value), nested ones as `db.0.name`.
fn stats_fields(frame: &OwnedFrame) -> Vec<String> {
    let OwnedFrame::Array(items) = frame else {
        panic!("not an array: {frame:?}");
    };
    let mut names = Vec::new();
    for pair in items.chunks(2) {
        let OwnedFrame::BulkString(name) = &pair[0] else {
            panic!("not a name: {pair:?}");
        };
        let name = String::from_utf8_lossy(name).into_owned();
        if let OwnedFrame::Array(_) = &pair[1] {
            names.extend(stats_fields(&pair[1]).iter().map(|n| format!("{name}.{n}")));
        }
        names.push(name);
    }
    names
}

/// The lines compared whole on both servers, after `SET k hello` and a hash.
const SAME_REPLIES: &[&[&str]] = &[
    &["MEMORY", "USAGE", "nokey"],
    &["MEMORY", "USAGE", "k", "SAMPLES", "x"],
    &["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
    &["MEMORY", "USAGE", "k", "SAMPLES"],
    &["MEMORY", "USAGE", "k", "foo"],
    &["MEMORY", "USAGE"],
    &["MEMORY"],
    &["MEMORY", "foo"],
    &["MEMORY", "PURGE"],
    &["MEMORY", "PURGE", "x"],
    &["MEMORY", "STATS", "x"],
    &["MEMORY", "DOCTOR", "x"],
    &["MEMORY", "MALLOC-STATS", "x"],
    &["MEMORY", "HELP", "x"],
    &["OBJECT", "FREQ", "k"],
    &["OBJECT", "FREQ", "nokey"],
    &["OBJECT", "IDLETIME", "nokey"],
    &["CONFIG", "GET", "maxmemory"],
    &["CONFIG", "GET", "maxmemory-policy"],
    &["CONFIG", "GET", "maxmemory-samples"],
    &["CONFIG", "GET", "lfu-log-factor"],
    &["CONFIG", "GET", "lfu-decay-time"],
    &["CONFIG", "SET", "maxmemory", "100mb"],
    &["CONFIG", "GET", "maxmemory"],
    &["CONFIG", "SET", "maxmemory", "3GB"],
    &["CONFIG", "GET", "maxmemory"],
    &["CONFIG", "SET", "maxmemory", "1.5gb"],
    &["CONFIG", "SET", "maxmemory", "-1"],
    &["CONFIG", "SET", "maxmemory", "0"],
    &["CONFIG", "SET", "maxmemory-policy", "bogus"],
    &["CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LRU"],
    &["CONFIG", "GET", "maxmemory-policy"],
    &["CONFIG", "SET", "maxmemory-samples", "0"],
    &["CONFIG", "SET", "maxmemory-samples", "10"],
    &["CONFIG", "SET", "lfu-log-factor", "-1"],
    &["CONFIG", "SET", "lfu-log-factor", "x"],
    &["CONFIG", "SET", "lfu-decay-time", "2147483648"],
    &[
        "CONFIG",
        "SET",
        "lfu-log-factor",
        "10",
        "lfu-decay-time",
        "1",
    ],
    &["CONFIG", "GET", "maxmemory-samples"],
    &["SET", "fresh", "hello"],
    &["OBJECT", "IDLETIME", "fresh"],
    &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
    &["OBJECT", "IDLETIME", "fresh"],
    &["SET", "lfu", "hello"],
    &["OBJECT", "FREQ", "lfu"],
    &["GET", "lfu"],
    &["OBJECT", "FREQ", "lfu"],
    &["OBJECT", "FREQ", "lfu"],
    &["CONFIG", "SET", "maxmemory-policy", "volatile-lfu"],
    &["OBJECT", "IDLETIME", "lfu"],
    &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
];

/// Lines whose reply kind must match (the values are each server's own).
const SAME_KINDS: &[&[&str]] = &[
    &["MEMORY", "USAGE", "k"],
    &["MEMORY", "USAGE", "k", "SAMPLES", "0"],
    &["MEMORY", "USAGE", "h", "SAMPLES", "3"],
    &["MEMORY", "DOCTOR"],
    &["MEMORY", "MALLOC-STATS"],
    &["MEMORY", "HELP"],
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_object_and_memory_parameters_answer_as_redis() {
    let reference = RedisServer::start().await;
    let cluster = Cluster::start(3).await;
    let follower = cluster.followers().await[0];
    let mut redis = reference.raw().await;
    let mut redraft = cluster.raw(follower).await;
    for client in [&mut redis, &mut redraft] {
        call(client, &["SET", "k", "hello"]).await;
        call(client, &["HSET", "h", "a", "1", "b", "2"]).await;
    }
    for line in SAME_REPLIES {
        let expected = call(&mut redis, line).await;
        assert_eq!(call(&mut redraft, line).await, expected, "{line:?}");
    }
    for line in SAME_KINDS {
        let expected = kind(&call(&mut redis, line).await);
        assert_eq!(kind(&call(&mut redraft, line).await), expected, "{line:?}");
    }
    let expected = stats_fields(&call(&mut redis, &["MEMORY", "STATS"]).await);
    let got = stats_fields(&call(&mut redraft, &["MEMORY", "STATS"]).await);
    assert_eq!(got, expected);
}

async fn idle(client: &mut RawClient, key: &str) -> i64 {
    match call(client, &["OBJECT", "IDLETIME", key]).await {
        OwnedFrame::Integer(seconds) => seconds,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_time_grows_and_a_read_resets_it_on_the_node_that_served_it() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let (mut one, mut two) = (
        cluster.raw(followers[0]).await,
        cluster.raw(followers[1]).await,
    );
    call(&mut one, &["SET", "k", "v"]).await;
    // The write is an access on every node, at the entry's time.
    assert!(idle(&mut two, "k").await <= 1);
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    assert!(idle(&mut one, "k").await >= 2);
    assert!(idle(&mut two, "k").await >= 2);
    call(&mut one, &["GET", "k"]).await;
    assert_eq!(idle(&mut one, "k").await, 0);
    assert!(
        idle(&mut two, "k").await >= 2,
        "a read on one node is not seen on another"
    );
    // A client in CLIENT NO-TOUCH reads without touching, but its TOUCH touches.
    call(&mut two, &["CLIENT", "NO-TOUCH", "on"]).await;
    call(&mut two, &["GET", "k"]).await;
    assert!(idle(&mut two, "k").await >= 2);
    assert_eq!(
        call(&mut two, &["TOUCH", "k"]).await,
        OwnedFrame::Integer(1)
    );
    assert_eq!(idle(&mut two, "k").await, 0);
}
