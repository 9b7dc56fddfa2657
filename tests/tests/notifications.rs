//! Keyspace notifications against redis-server byte for byte: the subscriber on a follower,
//! the writes (and CONFIG SET notify-keyspace-events) through another node.

use redraft_tests::transcript::{self, Conn, Step};
use redraft_tests::Cluster;

const SUB: usize = 0;
const W: usize = 1;

const STEPS: &[Step] = &[
    Step(W, "CONFIG SET notify-keyspace-events KEA", 1),
    Step(W, "CONFIG GET notify-keyspace-events", 1),
    Step(SUB, "PSUBSCRIBE __key*@0__:*", 1),
    Step(W, "SET k v", 1),
    Step(SUB, "", 2),
    Step(W, "SET k v EX 100", 1),
    Step(SUB, "", 4),
    Step(W, "PERSIST k", 1),
    Step(SUB, "", 2),
    Step(W, "INCRBY n 5", 1),
    Step(SUB, "", 2),
    Step(W, "APPEND k x", 1),
    Step(SUB, "", 2),
    Step(W, "RPUSH l a b", 1),
    Step(SUB, "", 2),
    Step(W, "LPOP l", 1),
    Step(SUB, "", 2),
    Step(W, "RPOP l", 1),
    Step(SUB, "", 4),
    Step(W, "HSET h f v g w", 1),
    Step(SUB, "", 2),
    Step(W, "HDEL h f g", 1),
    Step(SUB, "", 4),
    Step(W, "SADD s a", 1),
    Step(SUB, "", 2),
    Step(W, "ZADD z 1 m", 1),
    Step(SUB, "", 2),
    Step(W, "ZINCRBY z 2 m", 1),
    Step(SUB, "", 2),
    Step(W, "XADD st 1-1 f v", 1),
    Step(SUB, "", 2),
    Step(W, "RENAME k k2", 1),
    Step(SUB, "", 4),
    Step(W, "EXPIRE k2 100", 1),
    Step(SUB, "", 2),
    Step(W, "DEL k2 n", 1),
    Step(SUB, "", 4),
    Step(W, "CONFIG SET notify-keyspace-events Kl", 1),
    Step(W, "CONFIG GET notify-keyspace-events", 1),
    Step(W, "SET quiet 1", 1),
    Step(W, "LPUSH l2 a", 1),
    Step(SUB, "", 1),
    Step(W, "CONFIG SET notify-keyspace-events Q", 1),
    Step(W, "CONFIG SET notify-keyspace-events ''", 1),
];

async fn compare_with_redis(subscriber: u16, writer: u16) {
    transcript::compare_with_redis(&[Conn::resp2(subscriber), Conn::resp2(writer)], STEPS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_on_one_node_are_redis_byte_for_byte() {
    let cluster = Cluster::start(1).await;
    let port = cluster.port(cluster.ids()[0]);
    compare_with_redis(port, port).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_a_follower_sees_the_events_of_writes_through_another_node() {
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let leader = cluster.leader().await;
    compare_with_redis(cluster.port(followers[0]), cluster.port(leader)).await;
}
