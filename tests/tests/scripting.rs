//! Lua scripts against redis-server byte for byte (a single node and a follower), and on a
//! three-node cluster of real processes: the script cache and function libraries are
//! replicated (SCRIPT LOAD on the leader, EVALSHA on both followers; FUNCTION LOAD on one
//! follower, FCALL on the other), and a runaway script is stopped by its instruction budget at
//! the same point on every replica.

use redraft_tests::driver::{quoted, Against, Ops, Sides};

use redraft_tests::Cluster;

/// Each line is sent to both sides and the replies compared byte for byte.
const SCRIPT: &[&str] = &[
    "EVAL \"return 1\" 0",
    "EVAL \"return 'a b'\" 0",
    "EVAL \"return {1, 'two', {3, false}, true, 3.99}\" 0",
    "EVAL \"return redis.status_reply('FINE')\" 0",
    "EVAL \"return redis.error_reply('MYERR custom')\" 0",
    "EVAL \"return {err='plain'}\" 0",
    "EVAL \"return redis.call('SET', KEYS[1], ARGV[1])\" 1 k v",
    "EVAL \"return redis.call('GET', KEYS[1])\" 1 k",
    "EVAL \"return redis.call('GET', 'nokey')\" 0",
    "EVAL \"return redis.pcall('INCR', KEYS[1])\" 1 k",
    "EVAL \"return redis.call('INCR', KEYS[1])\" 1 k",
    "EVAL \"return redis.call('NOSUCH')\" 0",
    "EVAL \"return redis.call('GET')\" 0",
    "EVAL \"return undefined_global\" 0",
    "EVAL \"x = 1\" 0",
    "EVAL \"return #KEYS + #ARGV\" 2 a b c",
    "EVAL \"return 1\" -1",
    "EVAL \"return 1\" 2 a",
    "EVAL \"return 1\" x",
    "EVAL \"syntax error here\" 0",
    "EVAL \"return redis.sha1hex('abc')\" 0",
    // Redis's generator goes on from call to call where redraft's restarts (docs/commands.md):
    // only the first script that draws is comparable.
    "EVAL \"return {math.random(1000), tostring(math.random()), math.random(5, 9)}\" 0",
    "SCRIPT LOAD \"return 'loaded'\"",
    "EVALSHA 6b1bf486c81ceb7edf3c093f4c48582e38c0e791 0",
    "EVALSHA 6B1BF486C81CEB7EDF3C093F4C48582E38C0E791 0",
    "EVALSHA ffffffffffffffffffffffffffffffffffffffff 0",
    "EVALSHA short 0",
    "SCRIPT EXISTS 6b1bf486c81ceb7edf3c093f4c48582e38c0e791 ffffffffffffffffffffffffffffffffffffffff",
    "EVAL_RO \"return redis.call('GET', KEYS[1])\" 1 k",
    "EVAL_RO \"return redis.call('SET', KEYS[1], 'x')\" 1 k",
    "EVAL \"#!lua flags=no-writes\nreturn redis.call('DEL', KEYS[1])\" 1 k",
    "EVAL \"#!lua flags=bogus\nreturn 1\" 0",
    "EVAL \"redis.setresp(3); return redis.call('HGETALL', KEYS[1])\" 1 h",
    "HSET h f v",
    "EVAL \"redis.setresp(3); return redis.call('HGETALL', KEYS[1])\" 1 h",
    "EVAL \"return redis.call('HGETALL', KEYS[1])\" 1 h",
    "EVAL \"return redis.call('MULTI')\" 0",
    "EVAL \"return redis.call('SPOP', 'noset')\" 0",
    "SCRIPT FLUSH",
    "SCRIPT EXISTS 6b1bf486c81ceb7edf3c093f4c48582e38c0e791",
    "EVALSHA 6b1bf486c81ceb7edf3c093f4c48582e38c0e791 0",
    // The libraries Redis's Lua carries.
    "EVAL \"return cjson.encode({1, 'two', {a=1.5}, cjson.null})\" 0",
    "EVAL \"return cjson.decode('[1,\\\"x\\\",{\\\"k\\\":[true,null]}]')[3].k[1]\" 0",
    "EVAL \"return cjson.decode('{bad')\" 0",
    "EVAL \"return cmsgpack.pack({1, 2.5, 'x', {y=true}})\" 0",
    "EVAL \"return {cmsgpack.unpack(cmsgpack.pack(1, 'a', -300))}\" 0",
    "EVAL \"return {bit.band(0xff, 0x0f), bit.tohex(-1), bit.lshift(1, 31)}\" 0",
    "EVAL \"return {struct.unpack('>I2s', struct.pack('>I2s', 513, 'hi'))}\" 0",
    "EVAL \"cjson.x = 1\" 0",
    "MULTI",
    "EVAL \"return redis.call('INCRBY', KEYS[1], 5)\" 1 n",
    "EVAL \"return redis.call('GET', KEYS[1])\" 1 n",
    "EXEC",
];

/// Functions (Redis 7): a library loaded, listed, called, dumped and restored.
const FUNCTION_SCRIPT: &[&str] = &[
    "FUNCTION FLUSH",
    "FUNCTION LOAD \"#!lua name=lib\nredis.register_function('incr2', function(keys, args) return redis.call('INCRBY', keys[1], 2) end)\"",
    "FUNCTION DUMP",
    "FUNCTION LOAD \"#!lua name=lib\nredis.register_function('x', function() return 1 end)\"",
    "FUNCTION LOAD \"#!lua name=bad\nredis.call('PING')\"",
    "FUNCTION LOAD \"return 1\"",
    // Order among several libraries or functions differs (docs/commands.md): one per library.
    "FUNCTION LOAD \"#!lua name=rolib\nredis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}\"",
    "FCALL incr2 1 f",
    "FCALL incr2 1 f",
    "FCALL peek 1 f",
    "FCALL_RO peek 1 f",
    "FCALL_RO incr2 1 f",
    "FCALL nope 0",
    "FCALL incr2 2 f",
    "FUNCTION LIST LIBRARYNAME rol",
    "FUNCTION LIST WITHCODE LIBRARYNAME li",
    "FUNCTION STATS",
    "FUNCTION DELETE rolib",
    "FUNCTION DELETE rolib",
    "FCALL peek 1 f",
    "FUNCTION RESTORE \"\\xf5\" FLUSH",
    "FUNCTION KILL",
];

/// The conversions again, with both clients speaking RESP3 (HELLO 3, whose reply differs
/// between the servers and is not compared).
const RESP3_SCRIPT: &[&str] = &[
    "HSET h3 f v g w",
    "SADD s3 a",
    "SET n3 5",
    "EVAL \"return redis.call('HGETALL', KEYS[1])\" 1 h3",
    "EVAL \"redis.setresp(3); return redis.call('HGETALL', KEYS[1])\" 1 h3",
    "EVAL \"redis.setresp(3); return redis.call('SMEMBERS', KEYS[1])\" 1 s3",
    "EVAL \"redis.setresp(3); local r = redis.call('HGETALL', KEYS[1]); return r.map.f\" 1 h3",
    "EVAL \"redis.setresp(3); return redis.call('GET', 'nokey') == nil\" 0",
    "EVAL \"redis.setresp(3); return redis.call('ZSCORE', 'noz', 'm')\" 0",
    "EVAL \"return {double=3.5}\" 0",
    "EVAL \"return {map={a=1}}\" 0",
    "EVAL \"return {set={x=true}}\" 0",
    "EVAL \"return true\" 0",
    "EVAL \"return false\" 0",
    "EVAL \"return nil\" 0",
    "EVAL \"return redis.call('INCR', KEYS[1])\" 1 n3",
    "EVAL \"return {1, nil, 3}\" 0",
    "EVAL \"return redis.status_reply('ST')\" 0",
];

async fn run_script(against: Against) {
    let ops = Ops {
        engine: SCRIPT.len(),
        follower: SCRIPT.len(),
    };
    let mut sides = Sides::start("scripting", 23, ops, against).await;
    sides.assert_same(SCRIPT).await;
    sides.assert_same(FUNCTION_SCRIPT).await;
    // What redis-server dumps, redraft restores (and the other way round).
    let dump = sides.redis(&quoted("FUNCTION DUMP")).await;
    let payload = bulk_payload(&dump);
    let restore = |policy: &str| {
        vec![
            b"FUNCTION".to_vec(),
            b"RESTORE".to_vec(),
            payload.clone(),
            policy.as_bytes().to_vec(),
        ]
    };
    let (redis, redraft) = sides.both(&restore("REPLACE")).await;
    assert_eq!(redraft, redis, "FUNCTION RESTORE of redis-server's dump");
    sides
        .assert_same(&["FCALL incr2 1 f", "FUNCTION LIST WITHCODE"])
        .await;
    let hello = quoted("HELLO 3");
    sides.redis(&hello).await;
    sides.redraft(&hello).await;
    sides.assert_same(RESP3_SCRIPT).await;
}

/// The bytes of a RESP2 bulk reply.
fn bulk_payload(reply: &[u8]) -> Vec<u8> {
    let header_end = reply
        .windows(2)
        .position(|w| w == b"\r\n")
        .expect("a bulk header");
    reply[header_end + 2..reply.len() - 2].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_on_a_single_node_reply_like_redis_byte_for_byte() {
    run_script(Against::SingleNode).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_on_a_follower_reply_like_redis_byte_for_byte() {
    run_script(Against::Follower).await;
}

async fn call(cluster: &Cluster, id: u64, args: &[&str]) -> String {
    let reply = cluster.raw(id).await.call(args).await.expect("reply");
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_loaded_on_the_leader_runs_by_sha_on_every_follower() {
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    let body = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    let sha = call(&cluster, leader, &["SCRIPT", "LOAD", body]).await;
    let sha = sha.lines().nth(1).expect("a bulk sha").to_string();
    let read_body = "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])";
    let read_sha = call(&cluster, leader, &["SCRIPT", "LOAD", read_body]).await;
    let read_sha = read_sha.lines().nth(1).expect("a bulk sha").to_string();
    let mut expected = 0;
    for follower in cluster.followers().await {
        expected += 10;
        let reply = call(&cluster, follower, &["EVALSHA", &sha, "1", "n", "10"]).await;
        assert_eq!(reply, format!(":{expected}\r\n"), "node {follower}");
        let read = call(&cluster, follower, &["EVALSHA", &read_sha, "1", "n"]).await;
        assert_eq!(read, format!("$2\r\n{expected}\r\n"), "node {follower}");
        let read = call(&cluster, follower, &["EVALSHA_RO", &sha, "1", "n", "1"]).await;
        assert!(
            read.starts_with("-ERR Write commands are not allowed"),
            "{read}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_script_stops_at_the_same_point_on_every_replica() {
    let cluster = Cluster::start(3).await;
    let follower = cluster.followers().await[0];
    let set = call(
        &cluster,
        follower,
        &["CONFIG", "SET", "lua-max-instructions", "200000"],
    )
    .await;
    assert_eq!(set, "+OK\r\n");
    let runaway = "while true do redis.call('INCR', KEYS[1]) end";
    let reply = call(&cluster, follower, &["EVAL", runaway, "1", "c"]).await;
    assert!(
        reply.starts_with("-ERR Script ran past its instruction budget"),
        "{reply}"
    );
    let applied = cluster.wait_applied_equal().await;
    let mut counts = Vec::new();
    let mut digests = Vec::new();
    for id in cluster.ids() {
        counts.push(call(&cluster, id, &["GET", "c"]).await);
        digests.push(call(&cluster, id, &["RAFT", "DIGEST"]).await);
    }
    assert!(
        counts[0].starts_with('$'),
        "writes before the stop stand: {counts:?}"
    );
    assert!(counts.windows(2).all(|p| p[0] == p[1]), "{counts:?}");
    assert!(
        digests.windows(2).all(|p| p[0] == p[1]),
        "at {applied}: {digests:?}"
    );
}
