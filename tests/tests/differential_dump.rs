//! DUMP and RESTORE between the in-process engine and redis-server 7.0. Seeded random
//! programs build the same string, list, set, sorted set and hash values on both sides; then
//! redis-server's DUMP is restored on the engine and the engine's DUMP on redis-server, and the
//! restored values must equal what redis-server's RESTORE of its own payload holds (contents
//! and encoding: loading may convert, as a small skiplist with a −0 score comes back as a
//! listpack holding 0). Where the two sides hold
//! the value in the same encoding and Redis's serialization does not depend on hash-table
//! order or list node history, the DUMP bytes themselves must be equal. RESTORE's errors
//! (options, BUSYKEY, TTL, checksum) are compared byte for byte.
//!
//! `REDRAFT_DIFF_SEED` replays a run, `REDRAFT_DIFF_OPS` makes it longer.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use redis_protocol::resp2::decode::decode;
use redis_protocol::resp2::types::OwnedFrame;
use redraft_engine::keyspace::Value;
use redraft_engine::{resolve, Engine, Kind, LogCommand, ReadContext, Reply};
use redraft_server::encode::Protocol;
use redraft_tests::raw::show;
use redraft_tests::{Cluster, RawClient, RedisServer};

const ROUNDS_DEFAULT: usize = 400;
/// Rounds of the run against a follower (every write is a Raft commit).
const FOLLOWER_ROUNDS_DEFAULT: usize = 40;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

fn frame(bytes: &[u8]) -> OwnedFrame {
    decode(bytes)
        .ok()
        .flatten()
        .map(|(f, _)| f)
        .unwrap_or_else(|| panic!("not one RESP2 reply: {}", show(bytes)))
}

fn args(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

fn show_command(command: &[Vec<u8>]) -> String {
    let shown: Vec<String> = command
        .iter()
        .map(|a| format!("{:?}", String::from_utf8_lossy(a)))
        .collect();
    shown.join(" ").chars().take(300).collect()
}

/// The redraft side: the in-process engine, or a follower of a three-node cluster over RESP.
enum Backend {
    Engine { engine: Engine, index: u64 },
    Follower(RawClient),
}

/// The string encodings count as one: the engine does not track them.
fn string_as_one(name: String) -> String {
    match name.as_str() {
        "int" | "embstr" | "raw" => "string".into(),
        _ => name,
    }
}

struct Sides {
    redis: RawClient,
    backend: Backend,
    /// Rounds per (encoding, whether the bytes were compared).
    compared: std::collections::BTreeMap<String, usize>,
}

impl Sides {
    async fn redis(&mut self, command: &[Vec<u8>]) -> Vec<u8> {
        self.redis.call(command).await.expect("redis-server reply")
    }

    /// On a follower: the exact bytes it replies.
    async fn engine(&mut self, command: &[Vec<u8>]) -> Vec<u8> {
        let (engine, index) = match &mut self.backend {
            Backend::Follower(client) => {
                return client.call(command).await.expect("follower reply");
            }
            Backend::Engine { engine, index } => (engine, index),
        };
        *index += 1;
        let reply = match resolve(command) {
            Err(reply) => reply,
            Ok(spec) => match spec.kind {
                Kind::Session | Kind::Cluster | Kind::Container(_) => {
                    panic!("no session commands here")
                }
                Kind::Read(_) => engine.read(
                    0,
                    command,
                    ReadContext {
                        now_ms: now_ms(),
                        seed: *index,
                    },
                ),
                Kind::Write(_) => {
                    let entry = LogCommand::run(now_ms(), 0, vec![command.to_vec()]);
                    engine.apply(*index, &entry).remove(0)
                }
            },
        };
        let mut out = Vec::new();
        redraft_server::encode::encode(&reply, Protocol::Resp2, &mut out);
        out
    }

    async fn both(&mut self, command: &[Vec<u8>]) -> (Vec<u8>, Vec<u8>) {
        let redis = self.redis(command).await;
        (redis, self.engine(command).await)
    }

    /// Redraft's encoding of `key`: from the engine's keyspace, or OBJECT ENCODING on the
    /// follower.
    async fn engine_encoding(&mut self, key: &str) -> Option<String> {
        let engine = match &mut self.backend {
            Backend::Engine { engine, .. } => engine,
            Backend::Follower(client) => {
                let reply = client
                    .call(&args(&["OBJECT", "ENCODING", key]))
                    .await
                    .expect("follower reply");
                return match frame(&reply) {
                    OwnedFrame::BulkString(b) => {
                        Some(string_as_one(String::from_utf8_lossy(&b).into_owned()))
                    }
                    _ => None,
                };
            }
        };
        let entry = engine.keyspace().dbs[0].get(key.as_bytes(), now_ms())?;
        Some(
            match &entry.value {
                Value::String(_) => "string",
                Value::Hash(v) => v.encoding_name(),
                Value::List(v) => v.encoding_name(),
                Value::Set(v) => v.encoding_name(),
                Value::ZSet(v) => v.encoding_name(),
                Value::Stream(v) => v.encoding_name(),
            }
            .to_string(),
        )
    }

    async fn redis_encoding(&mut self, key: &str) -> Option<String> {
        let reply = self.redis(&args(&["OBJECT", "ENCODING", key])).await;
        match frame(&reply) {
            OwnedFrame::BulkString(b) => {
                Some(string_as_one(String::from_utf8_lossy(&b).into_owned()))
            }
            _ => None,
        }
    }

    async fn run(&mut self, command: Vec<Vec<u8>>, on_redis: bool) -> Vec<u8> {
        if on_redis {
            self.redis(&command).await
        } else {
            self.engine(&command).await
        }
    }

    /// The value at `key` on one side, in a canonical form: type and contents, sorted where
    /// the order is a hash table's.
    async fn contents(&mut self, key: &str, on_redis: bool) -> String {
        let kind = self.run(args(&["TYPE", key]), on_redis).await;
        let kind = String::from_utf8_lossy(&kind).trim().to_string();
        let (command, sort) = match kind.as_str() {
            "+string" => (args(&["GET", key]), false),
            "+list" => (args(&["LRANGE", key, "0", "-1"]), false),
            "+set" => (args(&["SMEMBERS", key]), true),
            "+zset" => (args(&["ZRANGE", key, "0", "-1", "WITHSCORES"]), false),
            "+hash" => (args(&["HGETALL", key]), true),
            "+stream" => {
                let mut shown = String::from("+stream");
                for command in [
                    args(&["XRANGE", key, "-", "+"]),
                    args(&["XINFO", "GROUPS", key]),
                    args(&["XPENDING", key, "g1"]),
                    args(&["XPENDING", key, "g2"]),
                ] {
                    let reply = self.run(command, on_redis).await;
                    shown.push(' ');
                    // Errors name the key: compare them without it.
                    let reply =
                        String::from_utf8_lossy(&reply).replace(&format!("'{key}'"), "'KEY'");
                    shown.push_str(&show(reply.as_bytes()));
                }
                return shown;
            }
            _ => return kind,
        };
        let reply = self.run(command, on_redis).await;
        let body = match frame(&reply) {
            OwnedFrame::Array(items) => {
                let mut items: Vec<Vec<u8>> = items
                    .into_iter()
                    .map(|item| match item {
                        OwnedFrame::BulkString(b) => b,
                        other => format!("{other:?}").into_bytes(),
                    })
                    .collect();
                if sort && kind == "+hash" {
                    let mut pairs: Vec<Vec<Vec<u8>>> =
                        items.chunks(2).map(|pair| pair.to_vec()).collect();
                    pairs.sort();
                    items = pairs.concat();
                } else if sort {
                    items.sort();
                }
                items.iter().map(|i| show(i)).collect::<Vec<_>>().join(",")
            }
            _ => show(&reply),
        };
        format!("{kind} {body}")
    }
}

/// Two long renderings from their first difference on.
fn difference(a: &str, b: &str) -> String {
    let at = a
        .bytes()
        .zip(b.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let start = a[..at].char_indices().rev().nth(120).map_or(0, |(i, _)| i);
    let tail = |s: &str| {
        s.get(start..)
            .unwrap_or("")
            .chars()
            .take(600)
            .collect::<String>()
    };
    format!("from byte {start}:\n  {}\n  {}", tail(a), tail(b))
}

fn element(rng: &mut StdRng) -> String {
    match rng.random_range(0..24) {
        0..=6 => rng.random_range(-20..200).to_string(),
        7 => [
            "-4096",
            "4095",
            "-32769",
            "8388608",
            "-2147483649",
            "9223372036854775807",
        ]
        .choose(rng)
        .unwrap()
        .to_string(),
        8 => ["007", "-0", "+1", "1.5", "", " 1"]
            .choose(rng)
            .unwrap()
            .to_string(),
        9 => "x".repeat(rng.random_range(60..70)),
        10 => "ab".repeat(rng.random_range(10..40)),
        11 => "long".repeat(rng.random_range(20..1100)),
        _ => format!("m{}", rng.random_range(0..60)),
    }
}

fn score(rng: &mut StdRng) -> String {
    match rng.random_range(0..12) {
        0..=5 => rng.random_range(-50..50).to_string(),
        6 => format!("{}.{}", rng.random_range(-9..9), rng.random_range(0..99)),
        7 => ["inf", "-inf", "1e300", "-0", "0.1", "4611686018427387904"]
            .choose(rng)
            .unwrap()
            .to_string(),
        _ => rng.random_range(0..1_000_000).to_string(),
    }
}

/// A random program that builds `key` as a stream; IDs are explicit (the two clocks differ).
fn build_stream(rng: &mut StdRng, key: &str) -> Vec<Vec<Vec<u8>>> {
    let mut program = vec![args(&["DEL", key])];
    let size = match rng.random_range(0..10) {
        0..=6 => rng.random_range(1..20),
        _ => rng.random_range(20..600),
    };
    let mut ms: u64 = rng.random_range(0..1_000_000_000_000);
    for _ in 0..size {
        let mut command: Vec<String> = vec!["XADD".into(), key.into()];
        match rng.random_range(0..30) {
            0 => {
                program.push(args(&[
                    "XGROUP",
                    "CREATE",
                    key,
                    ["g1", "g2"].choose(rng).unwrap(),
                    ["0", "$"].choose(rng).unwrap(),
                ]));
                continue;
            }
            1 | 2 => {
                let count = rng.random_range(1..5).to_string();
                let consumer = ["c1", "c2"].choose(rng).unwrap();
                program.push(args(&[
                    "XREADGROUP",
                    "GROUP",
                    "g1",
                    consumer,
                    "COUNT",
                    &count,
                    "STREAMS",
                    key,
                    ">",
                ]));
                continue;
            }
            3 => {
                let id = format!("{}-0", ms.saturating_sub(rng.random_range(0..10)));
                program.push(args(&["XACK", key, "g1", &id]));
                continue;
            }
            4 | 5 => {
                let id = format!(
                    "{}-{}",
                    ms.saturating_sub(rng.random_range(0..10)),
                    rng.random_range(0..2)
                );
                program.push(args(&["XDEL", key, &id]));
                continue;
            }
            _ => {}
        }
        ms += rng.random_range(0..3);
        let seq = rng.random_range(0..2);
        command.push(format!("{ms}-{seq}"));
        ms += 1;
        let pairs = if rng.random_bool(0.8) {
            2
        } else {
            rng.random_range(1..4)
        };
        for i in 0..pairs {
            let field = if rng.random_bool(0.9) {
                format!("f{i}")
            } else {
                element(rng)
            };
            command.extend([field, element(rng)]);
        }
        program.push(command.into_iter().map(String::into_bytes).collect());
    }
    program
}

/// A random program that builds `key` as a value of `kind` on both sides.
fn build(rng: &mut StdRng, kind: usize, key: &str) -> Vec<Vec<Vec<u8>>> {
    if kind == 5 {
        return build_stream(rng, key);
    }
    let mut program = vec![args(&["DEL", key])];
    let size = match rng.random_range(0..10) {
        0..=5 => rng.random_range(1..8),
        6..=8 => rng.random_range(8..150),
        _ => rng.random_range(150..700),
    };
    let rpush_only = rng.random_bool(0.3);
    // A set of integers only is an intset; mixed elements rarely are all integers, so without
    // this some seeds would dump no intset at all.
    let integers_only = rng.random_bool(0.3);
    let mut push = |parts: Vec<String>| {
        program.push(parts.into_iter().map(String::into_bytes).collect());
    };
    for _ in 0..size {
        let k = key.to_string();
        match kind {
            0 => {
                let value = element(rng);
                match rng.random_range(0..4) {
                    0 => push(vec!["APPEND".into(), k, value]),
                    _ => push(vec!["SET".into(), k, value]),
                }
            }
            1 if rpush_only => push(vec!["RPUSH".into(), k, element(rng)]),
            1 => match rng.random_range(0..10) {
                0..=5 => push(vec!["RPUSH".into(), k, element(rng)]),
                6..=8 => push(vec!["LPUSH".into(), k, element(rng)]),
                _ => push(vec!["LREM".into(), k, "1".into(), element(rng)]),
            },
            2 if integers_only => push(vec![
                "SADD".into(),
                k,
                rng.random_range(-20..200).to_string(),
            ]),
            2 => match rng.random_range(0..10) {
                0..=8 => push(vec!["SADD".into(), k, element(rng)]),
                _ => push(vec!["SREM".into(), k, element(rng)]),
            },
            3 => match rng.random_range(0..10) {
                0..=8 => push(vec!["ZADD".into(), k, score(rng), element(rng)]),
                _ => push(vec!["ZREM".into(), k, element(rng)]),
            },
            _ => match rng.random_range(0..10) {
                0..=8 => push(vec!["HSET".into(), k, element(rng), element(rng)]),
                _ => push(vec!["HDEL".into(), k, element(rng)]),
            },
        }
    }
    program
}

fn bulk(reply: &[u8]) -> Option<Vec<u8>> {
    match frame(reply) {
        OwnedFrame::BulkString(b) => Some(b),
        _ => None,
    }
}

/// Whether Redis's bytes for this value are determined by its contents alone (no hash-table
/// order, a list in one quicklist node).
fn bytes_comparable(payload: &[u8], encoding: &str, program: &[Vec<Vec<u8>>]) -> bool {
    match encoding {
        // Tombstones are not kept, delivery and seen times come from each side's clock.
        "stream" => !program
            .iter()
            .any(|c| c[0] == b"XDEL" || c[0] == b"XREADGROUP" || c[0] == b"XGROUP"),
        "hashtable" => false,
        // One node (the node count is the second byte, a 6-bit length of 1), or nodes filled
        // by RPUSH alone, as the engine cuts them.
        "quicklist" => {
            payload.get(1) == Some(&1) || program.iter().all(|c| c[0] == b"RPUSH" || c[0] == b"DEL")
        }
        _ => true,
    }
}

async fn round(sides: &mut Sides, rng: &mut StdRng) -> Result<(), String> {
    let kind = rng.random_range(0..6);
    let key = ["k0", "k1"].choose(rng).unwrap().to_string();
    let program = build(rng, kind, &key);
    for command in &program {
        let (a, b) = sides.both(command).await;
        if a != b {
            return Err(format!(
                "building: {}: redis {} engine {}",
                show_command(command),
                show(&a),
                show(&b)
            ));
        }
    }
    let Some(encoding) = sides.redis_encoding(&key).await else {
        return Ok(()); // emptied by its program
    };
    if sides.engine_encoding(&key).await.as_deref() != Some(encoding.as_str()) {
        return Err(format!(
            "encodings differ before DUMP: redis {encoding}, engine {:?}",
            sides.engine_encoding(&key).await
        ));
    }
    let (from_redis, from_engine) = sides.both(&args(&["DUMP", &key])).await;
    let from_redis = bulk(&from_redis).ok_or("redis DUMP is no bulk")?;
    let from_engine = bulk(&from_engine).ok_or("engine DUMP is no bulk")?;
    let comparable = bytes_comparable(&from_redis, &encoding, &program);
    *sides
        .compared
        .entry(format!("{encoding}/{comparable}"))
        .or_default() += 1;
    if comparable && from_redis != from_engine {
        return Err(format!(
            "DUMP bytes of a {encoding} differ:\nredis  {}\nengine {}",
            show(&from_redis),
            show(&from_engine)
        ));
    }
    // What a restore gives: Redis loads a small hash table back as a listpack or intset.
    let mut restore = args(&["RESTORE", "rcopy", "0"]);
    restore.push(from_redis.clone());
    restore.push(b"REPLACE".to_vec());
    let reply = sides.redis(&restore).await;
    if reply != b"+OK\r\n" {
        return Err(format!(
            "redis RESTORE of its own payload: {}",
            show(&reply)
        ));
    }
    let encoding = sides
        .redis_encoding("rcopy")
        .await
        .ok_or("redis restored nothing")?;
    // redis-server's payload restored on the engine.
    let mut restore = args(&["RESTORE", "copy", "0"]);
    restore.push(from_redis.clone());
    restore.push(b"REPLACE".to_vec());
    let reply = sides.engine(&restore).await;
    if reply != b"+OK\r\n" {
        return Err(format!(
            "engine RESTORE of redis's payload: {}",
            show(&reply)
        ));
    }
    // Compared with what redis-server's own RESTORE made of the payload, not with the key it
    // dumped: loading converts (a skiplist of a −0 score that fits a listpack comes back as
    // a listpack holding 0).
    let restored = sides.contents("copy", false).await;
    let redis_restored = sides.contents("rcopy", true).await;
    if restored != redis_restored {
        return Err(format!(
            "engine restored / redis restored {}",
            difference(&restored, &redis_restored)
        ));
    }
    if sides.engine_encoding("copy").await.as_deref() != Some(encoding.as_str()) {
        return Err(format!(
            "engine restored a {encoding} as {:?}",
            sides.engine_encoding("copy").await
        ));
    }
    // The engine's payload restored on redis-server.
    let mut restore = args(&["RESTORE", "copy", "0"]);
    restore.push(from_engine.clone());
    restore.push(b"REPLACE".to_vec());
    let reply = sides.redis(&restore).await;
    if reply != b"+OK\r\n" {
        return Err(format!(
            "redis RESTORE of the engine's payload: {}",
            show(&reply)
        ));
    }
    let restored = sides.contents("copy", true).await;
    if restored != redis_restored {
        return Err(format!(
            "redis restored the engine's payload as {restored}\nand its own as {redis_restored}"
        ));
    }
    let redis_copy = sides.redis_encoding("copy").await;
    if redis_copy.as_deref() != Some(encoding.as_str()) {
        return Err(format!("redis restored a {encoding} as {redis_copy:?}"));
    }
    // Errors, compared byte for byte.
    let mut corrupt = from_engine.clone();
    let at = rng.random_range(0..corrupt.len());
    corrupt[at] ^= 1 << rng.random_range(0..8);
    let attempts: Vec<Vec<Vec<u8>>> = vec![
        [args(&["RESTORE", &key, "0"]), vec![from_engine.clone()]].concat(),
        [args(&["RESTORE", "fresh", "-5"]), vec![from_engine.clone()]].concat(),
        [args(&["RESTORE", "fresh", "x"]), vec![from_engine.clone()]].concat(),
        [args(&["RESTORE", "fresh", "0"]), vec![corrupt]].concat(),
        [args(&["RESTORE", "fresh", "0"]), vec![b"tiny".to_vec()]].concat(),
        [
            args(&["RESTORE", "fresh", "0"]),
            vec![from_engine.clone()],
            args(&["IDLETIME", "-1"]),
        ]
        .concat(),
        [
            args(&["RESTORE", "fresh", "0"]),
            vec![from_engine.clone()],
            args(&["FREQ", "300"]),
        ]
        .concat(),
        [
            args(&["RESTORE", "fresh", "0"]),
            vec![from_engine.clone()],
            args(&["BOGUS"]),
        ]
        .concat(),
        [
            args(&["RESTORE", "fresh", "1"]),
            vec![from_engine.clone()],
            args(&["ABSTTL"]),
        ]
        .concat(),
        [args(&["EXISTS", "fresh"])].concat(),
        [args(&["DUMP", "nokey"])].concat(),
        [args(&["DEL", "copy"])].concat(),
    ];
    for command in attempts {
        let (a, b) = sides.both(&command).await;
        if a != b {
            return Err(format!(
                "{}: redis {} engine {}",
                show_command(&command),
                show(&a),
                show(&b)
            ));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dump_and_restore_move_values_between_redis_and_the_engine() {
    drive(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dump_and_restore_move_values_between_redis_and_a_follower() {
    drive(true).await;
}

async fn drive(on_follower: bool) {
    let seed = redraft_tests::differential::run_seed(0);
    let mut rounds = std::env::var("REDRAFT_DIFF_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(ROUNDS_DEFAULT);
    if on_follower {
        rounds = (rounds * FOLLOWER_ROUNDS_DEFAULT / ROUNDS_DEFAULT).max(1);
    }
    let against = if on_follower { "follower" } else { "engine" };
    eprintln!(
        "dump differential ({against}): seed={seed} rounds={rounds}; replay with REDRAFT_DIFF_SEED={seed}"
    );
    let cluster = if on_follower {
        Some(Cluster::start(3).await)
    } else {
        None
    };
    let reference = RedisServer::start().await;
    let backend = match &cluster {
        Some(cluster) => {
            let follower = cluster.followers().await[0];
            Backend::Follower(cluster.raw(follower).await)
        }
        None => Backend::Engine {
            engine: Engine::new(),
            index: 0,
        },
    };
    let mut sides = Sides {
        redis: reference.raw().await,
        backend,
        compared: Default::default(),
    };
    let mut rng = StdRng::seed_from_u64(seed);
    for number in 0..rounds {
        if let Err(diff) = round(&mut sides, &mut rng).await {
            panic!("MISMATCH (dump, {against}) seed={seed} round={number}\n{diff}");
        }
    }
    eprintln!("rounds by encoding/bytes compared: {:?}", sides.compared);
    // The follower's shorter run (a Raft commit per write) need not reach every encoding; the
    // engine run, on the same generator, checks the coverage.
    let coverage: &[&str] = if on_follower {
        &[]
    } else {
        &[
            "string",
            "quicklist",
            "intset",
            "listpack",
            "skiplist",
            "hashtable",
        ]
    };
    for encoding in coverage {
        assert!(
            sides.compared.keys().any(|k| k.starts_with(encoding)),
            "no {encoding} value was dumped"
        );
    }
}

#[test]
fn a_reply_helper_is_consistent() {
    // The engine's DUMP of a missing key is a nil bulk, as Redis's.
    let mut out = Vec::new();
    redraft_server::encode::encode(&Reply::Nil, Protocol::Resp2, &mut out);
    assert_eq!(out, b"$-1\r\n");
}
