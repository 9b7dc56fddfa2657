//! DEBUG, PFDEBUG, SAVE and BGSAVE (docs/commands.md, docs/operations.md): DEBUG's replies and
//! refusal against redis-server 7.0 byte for byte, its digest as a check that replicas hold the
//! same data, DEBUG SLEEP holding up only its own connection, and the snapshots SAVE, BGSAVE
//! and DEBUG RELOAD take.

use std::time::{Duration, Instant};

use redraft_tests::raw::show;
use redraft_tests::reference::RedisServer;
use redraft_tests::{command_bytes, wait_for, Cluster, ClusterOptions, RawClient};

const DEBUG_ON: [&str; 2] = ["--enable-debug-command", "yes"];

async fn call(client: &mut RawClient, args: &[&str]) -> Vec<u8> {
    client.call(args).await.expect("a reply")
}

/// Sends `args`, then PING, and returns every byte before PING's answer: the reply and any
/// frame sent before it (a RESP3 attribute or push).
async fn call_whole(client: &mut RawClient, args: &[&str]) -> Vec<u8> {
    let bytes = [command_bytes(args), command_bytes(&["PING"])].concat();
    client.send(&bytes).await.expect("send");
    let mut whole = Vec::new();
    for _ in 0..8 {
        let reply = client.read_reply().await.expect("a reply");
        if reply == b"+PONG\r\n" {
            return whole;
        }
        whole.extend_from_slice(&reply);
    }
    panic!("no PONG after {}", show(&whole));
}

async fn debug_node() -> Cluster {
    Cluster::start_with(1, ClusterOptions::default().args(&DEBUG_ON)).await
}

const PROTOCOL_TYPES: [&str; 14] = [
    "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push",
    "verbatim", "true", "false", "nosuch",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_protocol_answers_redis_bytes_in_resp2_and_resp3() {
    let reference = RedisServer::start_with(&DEBUG_ON).await;
    let cluster = debug_node().await;
    let mut redis = reference.raw().await;
    let mut redraft = cluster.raw(1).await;
    for protocol in ["2", "3"] {
        call(&mut redis, &["HELLO", protocol]).await;
        call(&mut redraft, &["HELLO", protocol]).await;
        for kind in PROTOCOL_TYPES.iter().chain(&["MAP"]) {
            let args = ["DEBUG", "PROTOCOL", kind];
            let expected = call_whole(&mut redis, &args).await;
            let got = call_whole(&mut redraft, &args).await;
            assert_eq!(show(&got), show(&expected), "RESP{protocol} {kind}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_is_refused_as_redis_refuses_it_unless_enabled_and_pfdebug_is_not() {
    let reference = RedisServer::start().await;
    let cluster = Cluster::start(1).await;
    let mut redis = reference.raw().await;
    let mut redraft = cluster.raw(1).await;
    let script: &[&[&str]] = &[
        &["DEBUG", "DIGEST"],
        &["DEBUG", "NOSUCH", "x"],
        &["DEBUG"],
        &["MULTI"],
        &["DEBUG", "DIGEST"],
        &["EXEC"],
        &["PFADD", "h", "a", "b"],
        &["PFDEBUG", "ENCODING", "h"],
        &["CONFIG", "GET", "enable-debug-command"],
        &["CONFIG", "SET", "enable-debug-command", "yes"],
    ];
    for args in script {
        let expected = call(&mut redis, args).await;
        let got = call(&mut redraft, args).await;
        assert_eq!(show(&got), show(&expected), "{args:?}");
    }
    let refused = call(&mut redraft, &["DEBUG", "DIGEST"]).await;
    assert!(refused.starts_with(b"-ERR DEBUG command not allowed."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digests_and_pfdebug_answer_as_redis_does() {
    let reference = RedisServer::start_with(&DEBUG_ON).await;
    let cluster = debug_node().await;
    let mut redis = reference.raw().await;
    let mut redraft = cluster.raw(1).await;
    let script: &[&[&str]] = &[
        &["DEBUG", "DIGEST"],
        &["DEBUG", "DIGEST-VALUE", "missing"],
        &["SET", "s", "hello"],
        &["RPUSH", "l", "a", "b", "3"],
        &["SADD", "set", "1", "x"],
        &["ZADD", "z", "0.1", "m", "inf", "n"],
        &["HSET", "hash", "f", "v"],
        &["XADD", "x", "1-1", "f", "v"],
        &["SET", "e", "v", "EX", "100"],
        &[
            "DEBUG",
            "DIGEST-VALUE",
            "s",
            "l",
            "set",
            "z",
            "hash",
            "x",
            "e",
            "missing",
        ],
        &["DEBUG", "DIGEST-VALUE"],
        &["DEBUG", "DIGEST"],
        &["DEBUG", "DIGEST", "extra"],
        &["DEBUG", "OBJECT", "missing"],
        &["DEBUG", "LISTPACK", "hash"],
        &["DEBUG", "LISTPACK", "l"],
        &["DEBUG", "RELOAD", "bogus"],
        &["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        &["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "abc"],
        &["DEBUG", "JMAP"],
        &["PFADD", "hll", "a", "b", "c"],
        &["PFDEBUG", "ENCODING", "hll"],
        &["PFDEBUG", "DECODE", "hll"],
        &["PFDEBUG", "TODENSE", "hll"],
        &["PFDEBUG", "TODENSE", "hll"],
        &["PFDEBUG", "DECODE", "hll"],
        &["PFDEBUG", "GETREG", "hll"],
        &["PFDEBUG", "NOSUCH", "hll"],
        &["PFDEBUG", "ENCODING", "missing"],
        &["PFDEBUG", "ENCODING", "s"],
        &["PFDEBUG", "ENCODING", "l"],
        &["OBJECT", "ENCODING", "hll"],
    ];
    for args in script {
        let expected = call(&mut redis, args).await;
        let got = call(&mut redraft, args).await;
        assert_eq!(show(&got), show(&expected), "{args:?}");
    }
}

/// DEBUG DIGEST on `id`, as text.
async fn digest(cluster: &Cluster, id: u64) -> String {
    let mut client = cluster.raw(id).await;
    String::from_utf8(call(&mut client, &["DEBUG", "DIGEST"]).await).expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_replica_answers_the_same_digest_and_a_change_changes_it() {
    let cluster = Cluster::start_with(3, ClusterOptions::default().args(&DEBUG_ON)).await;
    let leader = cluster.leader().await;
    let mut client = cluster.raw(leader).await;
    for i in 0..50 {
        let (key, value) = (format!("k{i}"), format!("v{i}"));
        call(&mut client, &["SET", &key, &value]).await;
        call(&mut client, &["RPUSH", "list", &value]).await;
    }
    call(&mut client, &["HSET", "h", "f", "v"]).await;
    cluster.wait_applied_equal().await;
    let first = digest(&cluster, leader).await;
    assert_eq!(first.len(), "+\r\n".len() + 40, "{first}");
    assert_ne!(first, format!("+{}\r\n", "0".repeat(40)));
    for id in cluster.ids() {
        assert_eq!(digest(&cluster, id).await, first, "node {id}");
    }
    let follower = cluster.followers().await[0];
    let mut through_follower = cluster.raw(follower).await;
    call(&mut through_follower, &["HSET", "h", "f", "w"]).await;
    cluster.wait_applied_equal().await;
    let changed = digest(&cluster, leader).await;
    assert_ne!(changed, first);
    for id in cluster.ids() {
        assert_eq!(digest(&cluster, id).await, changed, "node {id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_sleep_holds_up_only_its_own_connection() {
    let cluster = debug_node().await;
    let mut sleeper = cluster.raw(1).await;
    let mut other = cluster.raw(1).await;
    sleeper.set_reply_timeout(Duration::from_secs(10));
    let started = Instant::now();
    sleeper
        .send(&command_bytes(&["DEBUG", "SLEEP", "1"]))
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ping_started = Instant::now();
    assert_eq!(call(&mut other, &["PING"]).await, b"+PONG\r\n");
    call(&mut other, &["SET", "k", "v"]).await;
    assert!(ping_started.elapsed() < Duration::from_millis(500));
    assert_eq!(sleeper.read_reply().await.expect("OK"), b"+OK\r\n");
    assert!(started.elapsed() >= Duration::from_secs(1));
}

fn integer(reply: &[u8]) -> i64 {
    let text = std::str::from_utf8(reply).expect("text");
    text.trim_start_matches(':')
        .trim_end()
        .parse()
        .expect("an integer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_stores_a_snapshot_and_moves_lastsave() {
    let cluster = debug_node().await;
    let mut client = cluster.raw(1).await;
    call(&mut client, &["SET", "k", "v"]).await;
    let snapshot = cluster.data_dir(1).join("raft").join("snapshot");
    assert!(!snapshot.exists(), "a fresh node has no snapshot yet");
    let before = integer(&call(&mut client, &["LASTSAVE"]).await);
    // LASTSAVE counts seconds.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(call(&mut client, &["SAVE"]).await, b"+OK\r\n");
    assert!(snapshot.exists());
    let after = integer(&call(&mut client, &["LASTSAVE"]).await);
    assert!(after > before, "LASTSAVE {before} then {after}");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reply = call(&mut client, &["BGSAVE"]).await;
    assert_eq!(reply, b"+Background saving started\r\n");
    wait_for(
        "BGSAVE to move LASTSAVE",
        Duration::from_secs(10),
        || async {
            let mut client = cluster.raw(1).await;
            let now = integer(&call(&mut client, &["LASTSAVE"]).await);
            if now > after {
                Ok(())
            } else {
                Err(format!("LASTSAVE still {now}"))
            }
        },
    )
    .await;
    let refused: &[&[&str]] = &[&["MULTI"], &["SAVE"], &["EXEC"]];
    let replies: Vec<String> = replies_to(&mut client, refused).await;
    assert_eq!(
        replies,
        [
            "+OK",
            "-ERR Command not allowed inside a transaction",
            "-EXECABORT Transaction discarded because of previous errors."
        ]
    );
    assert_eq!(
        show(&call(&mut client, &["BGSAVE", "FOO"]).await),
        show(b"-ERR syntax error\r\n")
    );
}

async fn replies_to(client: &mut RawClient, script: &[&[&str]]) -> Vec<String> {
    let mut replies = Vec::new();
    for args in script {
        let reply = call(client, args).await;
        replies.push(String::from_utf8_lossy(&reply).trim_end().to_string());
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_reload_keeps_the_data_and_takes_a_snapshot() {
    let cluster = debug_node().await;
    let mut client = cluster.raw(1).await;
    call(&mut client, &["SET", "k", "v"]).await;
    call(&mut client, &["ZADD", "z", "1", "a", "2", "b"]).await;
    call(&mut client, &["SET", "e", "v", "EX", "1000"]).await;
    let before = call(&mut client, &["DEBUG", "DIGEST"]).await;
    assert_eq!(call(&mut client, &["DEBUG", "RELOAD"]).await, b"+OK\r\n");
    assert!(cluster.data_dir(1).join("raft").join("snapshot").exists());
    assert_eq!(
        call(&mut client, &["DEBUG", "RELOAD", "NOSAVE"]).await,
        b"+OK\r\n"
    );
    assert_eq!(call(&mut client, &["DEBUG", "DIGEST"]).await, before);
    assert_eq!(call(&mut client, &["GET", "k"]).await, b"$1\r\nv\r\n");
    let ttl = integer(&call(&mut client, &["TTL", "e"]).await);
    assert!((990..=1000).contains(&ttl), "{ttl}");
    assert_eq!(call(&mut client, &["SET", "after", "1"]).await, b"+OK\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_only_node_serves_debug_to_loopback_clients() {
    let options = ClusterOptions::default().args(&["--enable-debug-command", "local"]);
    let cluster = Cluster::start_with(1, options).await;
    let mut client = cluster.raw(1).await;
    assert_eq!(
        call(&mut client, &["DEBUG", "DIGEST"]).await,
        format!("+{}\r\n", "0".repeat(40)).as_bytes()
    );
    assert_eq!(
        show(&call(&mut client, &["CONFIG", "GET", "enable-debug-command"]).await),
        show(b"*2\r\n$20\r\nenable-debug-command\r\n$5\r\nlocal\r\n")
    );
}
