//! MULTI / EXEC / DISCARD over RESP against redis-server, byte for byte: a single node, and a
//! follower (whose EXEC travels to the leader as one forwarded run). The script covers
//! queuing, EXEC's array with a command failing inside it, EXECABORT after a refused command,
//! the nesting and without-MULTI errors, DISCARD, reads inside a transaction, and that a
//! transaction's writes are visible after it and not before.

use redraft_tests::driver::{c, Against, Ops, Sides};

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
    for line in SCRIPT {
        let (redis, redraft) = sides.both(&c(line)).await;
        assert_eq!(
            String::from_utf8_lossy(&redraft),
            String::from_utf8_lossy(&redis),
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_on_a_single_node_reply_like_redis_byte_for_byte() {
    run_script(Against::SingleNode).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_on_a_follower_reply_like_redis_byte_for_byte() {
    run_script(Against::Follower).await;
}
