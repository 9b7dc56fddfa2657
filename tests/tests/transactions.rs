//! MULTI / EXEC / DISCARD over RESP against redis-server, byte for byte: a single node, and a
//! follower (whose EXEC travels to the leader as one forwarded run). The script covers
//! queuing, EXEC's array with a command failing inside it, EXECABORT after a refused command,
//! the nesting and without-MULTI errors, DISCARD, reads inside a transaction, and that a
//! transaction's writes are visible after it and not before. WATCH runs with two connections
//! on each side: on redraft, one per follower of a three-node cluster, so that a conflicting
//! write comes through another node than the watching one.

use redraft_tests::cluster::Cluster;
use redraft_tests::driver::{c, Against, Ops, Sides};
use redraft_tests::raw::RawClient;
use redraft_tests::reference::RedisServer;

const SCRIPT: &[&str] = &[
    "SET n 10",
    "EXEC",
    "DISCARD",
    "MULTI",
    "MULTI",
    "INCR n",
    "INCRBY n 5",
    "PING",
    "ECHO hi",
    "GET n",
    "LPUSH l a b c",
    "LRANGE l 0 -1",
    "HSET h f v",
    "INCR l",
    "ZADD z 1 a 2 b",
    "ZRANGE z 0 -1 WITHSCORES",
    "EXEC",
    "GET n",
    "MULTI",
    "EXEC",
    "MULTI",
    "SET k v",
    "NOSUCHCOMMAND x",
    "GET",
    "EXEC",
    "EXISTS k",
    "MULTI",
    "SET k v",
    "DISCARD",
    "EXISTS k",
    "MULTI",
    "GET n",
    "EXISTS n l h z",
    "TYPE z",
    "EXEC",
    "MULTI",
    "DEL n l h z",
    "SET n 0",
    "EXPIRE n 100",
    "TTL n",
    "EXEC",
];

async fn run_script(against: Against) {
    let ops = Ops {
        engine: SCRIPT.len(),
        follower: SCRIPT.len(),
    };
    let mut sides = Sides::start("transactions", 17, ops, against).await;
    sides.assert_same(SCRIPT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_on_a_single_node_reply_like_redis_byte_for_byte() {
    run_script(Against::SingleNode).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_on_a_follower_reply_like_redis_byte_for_byte() {
    run_script(Against::Follower).await;
}

/// (connection, command): `A` watches and runs transactions, `B` writes in between.
const WATCH_SCRIPT: &[(char, &str)] = &[
    // A change from the other connection aborts; a read does not.
    ('A', "SET k 1"),
    ('A', "WATCH k"),
    ('A', "GET k"),
    ('B', "SET k 2"),
    ('A', "MULTI"),
    ('A', "SET k 3"),
    ('A', "EXEC"),
    ('A', "GET k"),
    ('A', "WATCH k"),
    ('B', "GET k"),
    ('A', "MULTI"),
    ('A', "INCR k"),
    ('A', "EXEC"),
    // The watching connection's own write before WATCH is not a change after it.
    ('A', "SET k 10"),
    ('A', "WATCH k"),
    ('A', "MULTI"),
    ('A', "INCR k"),
    ('A', "EXEC"),
    // An absent key created; a key deleted; a second WATCH keeps the first.
    ('A', "WATCH absent"),
    ('B', "SET absent 1"),
    ('A', "MULTI"),
    ('A', "PING"),
    ('A', "EXEC"),
    ('A', "WATCH k"),
    ('B', "DEL k"),
    ('A', "WATCH other"),
    ('A', "MULTI"),
    ('A', "EXEC"),
    // UNWATCH and DISCARD forget the watched keys; EXEC does too.
    ('A', "WATCH k"),
    ('A', "UNWATCH"),
    ('B', "SET k 9"),
    ('A', "MULTI"),
    ('A', "GET k"),
    ('A', "EXEC"),
    ('A', "WATCH k"),
    ('A', "MULTI"),
    ('A', "DISCARD"),
    ('B', "SET k 8"),
    ('A', "MULTI"),
    ('A', "GET k"),
    ('A', "EXEC"),
    ('B', "SET k 7"),
    ('A', "MULTI"),
    ('A', "GET k"),
    ('A', "EXEC"),
    // WATCH inside MULTI is refused without aborting; UNWATCH inside is queued.
    ('A', "MULTI"),
    ('A', "WATCH k"),
    ('A', "UNWATCH"),
    ('A', "GET k"),
    ('A', "EXEC"),
    ('A', "WATCH"),
    // A key watched in another database is checked there.
    ('A', "SELECT 1"),
    ('A', "WATCH k"),
    ('B', "SET k 6"),
    ('A', "MULTI"),
    ('A', "GET k"),
    ('A', "EXEC"),
    ('A', "SELECT 0"),
    // Database-wide changes.
    ('A', "WATCH k"),
    ('B', "SWAPDB 0 1"),
    ('A', "MULTI"),
    ('A', "EXEC"),
    ('B', "SWAPDB 0 1"),
    ('A', "WATCH k"),
    ('B', "FLUSHDB"),
    ('A', "MULTI"),
    ('A', "EXEC"),
    ('A', "WATCH k"),
    ('A', "MULTI"),
    ('A', "SET k after"),
    ('A', "EXEC"),
    ('B', "GET k"),
];

/// Both connections of one side.
struct Pair {
    a: RawClient,
    b: RawClient,
}

impl Pair {
    async fn call(&mut self, who: char, line: &str) -> Vec<u8> {
        let client = if who == 'A' { &mut self.a } else { &mut self.b };
        client
            .call(&c(line))
            .await
            .unwrap_or_else(|e| panic!("{who}: {line}: {e}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_on_one_follower_sees_writes_through_another_like_redis() {
    let reference = RedisServer::start().await;
    let mut redis = Pair {
        a: reference.raw().await,
        b: reference.raw().await,
    };
    let cluster = Cluster::start(3).await;
    let followers = cluster.followers().await;
    let mut redraft = Pair {
        a: cluster.raw(followers[0]).await,
        b: cluster.raw(followers[1]).await,
    };
    for (who, line) in WATCH_SCRIPT {
        let expected = redis.call(*who, line).await;
        let got = redraft.call(*who, line).await;
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected),
            "{who}: {line}"
        );
    }
}
