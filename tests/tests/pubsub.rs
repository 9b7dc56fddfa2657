//! Pub/sub: frames against redis-server byte for byte (RESP2 and RESP3, a subscriber on a
//! follower and the publisher on another node), and on a three-node cluster of real
//! processes: a PUBLISH through one node reaches subscribers on every node, counted and in
//! order; a subscriber that does not read is disconnected at its output limit while the node
//! stays healthy; subscribers (and tracking clients) of a node cut off from the cluster are
//! disconnected.

use std::time::{Duration, Instant};

use redraft_tests::raw::show;
use redraft_tests::transcript::{self, Conn, Step};
use redraft_tests::{Cluster, ClusterOptions, RawClient};

/// The connections of the transcript: a publisher, a RESP2 subscriber, a RESP3 client.
const PUB: usize = 0;
const SUB: usize = 1;
const RESP3: usize = 2;

/// Each step reads the frames it expects (a PUBLISH's message is read by a later step on the
/// subscriber, with no command).
const STEPS: &[Step] = &[
    Step(SUB, "SUBSCRIBE a b", 2),
    Step(SUB, "PSUBSCRIBE n*", 1),
    Step(SUB, "SSUBSCRIBE s", 1),
    Step(PUB, "PUBLISH a m1", 1),
    Step(SUB, "", 1),
    Step(PUB, "PUBLISH news m2", 1),
    Step(SUB, "", 1),
    Step(PUB, "SPUBLISH s m3", 1),
    Step(SUB, "", 1),
    Step(PUB, "PUBLISH other m4", 1),
    Step(SUB, "GET x", 1),
    Step(SUB, "PING", 1),
    Step(SUB, "PING hi", 1),
    Step(SUB, "PING a b", 1),
    Step(PUB, "PUBSUB NUMSUB a b zz", 1),
    Step(PUB, "PUBSUB NUMPAT", 1),
    Step(PUB, "PUBSUB CHANNELS a", 1),
    Step(PUB, "PUBSUB CHANNELS x*", 1),
    Step(PUB, "PUBSUB SHARDCHANNELS", 1),
    Step(PUB, "PUBSUB SHARDNUMSUB s t", 1),
    Step(PUB, "PUBSUB CHANNELS a b", 1),
    Step(PUB, "PUBSUB NOPE", 1),
    Step(PUB, "SUBSCRIBE", 1),
    Step(SUB, "UNSUBSCRIBE a", 1),
    Step(SUB, "PUNSUBSCRIBE", 1),
    Step(SUB, "SUNSUBSCRIBE s", 1),
    Step(SUB, "UNSUBSCRIBE", 1),
    Step(SUB, "UNSUBSCRIBE", 1),
    Step(SUB, "GET x", 1),
    Step(RESP3, "SUBSCRIBE c", 1),
    Step(RESP3, "GET x", 1),
    Step(RESP3, "PING", 1),
    Step(RESP3, "PUBSUB NUMSUB c d", 1),
    Step(RESP3, "PUBSUB SHARDNUMSUB c", 1),
    Step(RESP3, "PUBSUB CHANNELS c", 1),
    Step(PUB, "PUBLISH c m5", 1),
    Step(RESP3, "", 1),
    Step(RESP3, "PSUBSCRIBE c*", 1),
    Step(PUB, "PUBLISH c m6", 1),
    Step(RESP3, "", 2),
    Step(RESP3, "PUNSUBSCRIBE c*", 1),
    Step(RESP3, "UNSUBSCRIBE", 1),
    Step(RESP3, "SUNSUBSCRIBE", 1),
];

async fn compare_with_redis(publisher: u16, subscriber: u16) {
    transcript::compare_with_redis(
        &[
            Conn::resp2(publisher),
            Conn::resp2(subscriber),
            Conn::resp3(subscriber),
        ],
        STEPS,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pubsub_frames_on_one_node_are_redis_byte_for_byte() {
    let cluster = Cluster::start(1).await;
    let port = cluster.port(cluster.ids()[0]);
    compare_with_redis(port, port).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pubsub_frames_across_nodes_are_redis_byte_for_byte() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let leader = cluster.leader().await;
    compare_with_redis(cluster.port(leader), cluster.port(followers[0])).await;
}

/// Subscribes a RESP2 client of `port` to `channel` (one confirmation read).
async fn subscriber(port: u16, command: &str, channel: &str) -> RawClient {
    let mut client = RawClient::connect(port).await.unwrap();
    client.set_reply_timeout(Duration::from_secs(20));
    let confirmation = client.call(&[command, channel]).await.unwrap();
    assert!(
        confirmation.starts_with(b"*3\r\n"),
        "{}",
        show(&confirmation)
    );
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_through_one_node_reaches_subscribers_on_every_node_in_order() {
    const MESSAGES: usize = 300;
    let cluster = Cluster::start(3).await;
    let ids = cluster.ids();
    let mut listeners = Vec::new();
    for &id in &ids {
        listeners.push(subscriber(cluster.port(id), "SUBSCRIBE", "news").await);
    }
    listeners.push(subscriber(cluster.port(ids[2]), "PSUBSCRIBE", "n*").await);
    let mut publisher = cluster.raw(ids[0]).await;
    let numsub = publisher.call(&["PUBSUB", "NUMSUB", "news"]).await.unwrap();
    assert_eq!(numsub, b"*2\r\n$4\r\nnews\r\n:3\r\n");
    // Pipelined in batches, so that consecutive messages share log entries too.
    for batch in 0..MESSAGES / 50 {
        let mut bytes = Vec::new();
        for n in batch * 50..(batch + 1) * 50 {
            let message = format!("m{n:04}");
            bytes.extend(redraft_tests::command_bytes(&["PUBLISH", "news", &message]));
        }
        publisher.send(&bytes).await.unwrap();
        for _ in 0..50 {
            assert_eq!(publisher.read_reply().await.unwrap(), b":4\r\n");
        }
    }
    for (i, listener) in listeners.iter_mut().enumerate() {
        for n in 0..MESSAGES {
            let frame = listener.read_reply().await.unwrap();
            let message = format!("m{n:04}");
            let expected = match i {
                3 => redraft_tests::command_bytes(&["pmessage", "n*", "news", &message]),
                _ => redraft_tests::command_bytes(&["message", "news", &message]),
            };
            assert_eq!(show(&frame), show(&expected), "listener {i}");
        }
    }
    // A client that leaves is no longer counted, on any node.
    drop(listeners);
    redraft_tests::wait_for("subscribers forgotten", Duration::from_secs(10), || async {
        let reply = cluster
            .raw(ids[1])
            .await
            .call(&["PUBLISH", "news", "x"])
            .await;
        match reply.map_err(|e| e.to_string())? {
            reply if reply == b":0\r\n" => Ok(()),
            other => Err(show(&other)),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_does_not_read_is_disconnected_and_the_node_stays_healthy() {
    let options = ClusterOptions::default().args(&["--pubsub-output-limit", "1mb 512kb 60"]);
    let cluster = Cluster::start_with(1, options).await;
    let port = cluster.port(cluster.ids()[0]);
    let mut slow = subscriber(port, "SUBSCRIBE", "flood").await;
    let mut reader = subscriber(port, "SUBSCRIBE", "flood").await;
    let mut publisher = cluster.raw(cluster.ids()[0]).await;
    let payload = "x".repeat(64 * 1024);
    // 32 MiB in all: far past the kernel's socket buffers and the 1 MB limit.
    for _ in 0..512 {
        let count = publisher
            .call(&["PUBLISH", "flood", &payload])
            .await
            .unwrap();
        assert!(count == b":2\r\n" || count == b":1\r\n", "{}", show(&count));
        let frame = reader.read_reply().await.unwrap();
        assert!(frame.starts_with(b"*3\r\n$7\r\nmessage\r\n"));
    }
    assert_eq!(
        publisher.call(&["PUBLISH", "flood", "last"]).await.unwrap(),
        b":1\r\n",
        "the slow subscriber was disconnected and forgotten"
    );
    assert_eq!(
        publisher.call(&["SET", "k", "v"]).await.unwrap(),
        b"+OK\r\n"
    );
    assert_eq!(publisher.call(&["PING"]).await.unwrap(), b"+PONG\r\n");
    // What reached its socket before the limit, then the end of the connection.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(
            Instant::now() < deadline,
            "the slow subscriber was never closed"
        );
        match slow.read_reply().await {
            Ok(frame) => assert!(frame.starts_with(b"*3\r\n$7\r\nmessage\r\n")),
            Err(_) => break,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_of_a_node_cut_off_from_the_cluster_are_disconnected() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let mut listener = subscriber(cluster.port(followers[0]), "SUBSCRIBE", "news").await;
    let mut cache = RawClient::connect(cluster.port(followers[0]))
        .await
        .unwrap();
    cache.call(&["HELLO", "3"]).await.unwrap();
    let tracking = cache.call(&["CLIENT", "TRACKING", "ON"]).await.unwrap();
    assert_eq!(tracking, b"+OK\r\n");
    assert_eq!(
        listener.closed_within(Duration::from_secs(2)).await,
        Ok(false)
    );
    for id in cluster.ids() {
        if id != followers[0] {
            cluster.kill(id);
        }
    }
    let started = Instant::now();
    assert_eq!(
        listener.closed_within(Duration::from_secs(20)).await,
        Ok(true)
    );
    // Five seconds after the node's last confirmed contact, which came at most a check
    // interval (1 s) plus that check's own read barrier before the cut: not at once.
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // A client caching keys would no longer hear of changes: it is disconnected too.
    assert_eq!(cache.closed_within(Duration::from_secs(5)).await, Ok(true));
}
