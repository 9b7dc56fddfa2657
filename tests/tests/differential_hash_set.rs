//! Hashes and sets on the in-process engine against redis-server 7.0: seeded random programs
//! over a few hash, set and string keys, compared byte for byte wherever Redis's reply is
//! determined (errors, counts, listpack and intset orders), as sets where Redis's order is a
//! hash table's, and by properties (count, membership, distinctness) for the random-choice
//! commands, whose seeds differ from Redis's RNG. After every write the OBJECT ENCODING of the
//! written key must agree too. An SPOP leaves the two sides holding different members, so both
//! are then reset to the engine's members.
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

const OPS_DEFAULT: usize = 3000;
/// Ops of the run against a follower (every write is a Raft commit).
const FOLLOWER_OPS_DEFAULT: usize = 800;

const HASH_KEYS: &[&str] = &["h0", "h1", "h2"];
const SET_KEYS: &[&str] = &["s0", "s1", "s2", "s3"];

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

/// RESP2 bytes of a reply, exactly as the server encodes it for a RESP2 client.
fn resp2(reply: &Reply, out: &mut Vec<u8>) {
    redraft_server::encode::encode(reply, Protocol::Resp2, out);
}

fn frame(bytes: &[u8]) -> OwnedFrame {
    decode(bytes)
        .ok()
        .flatten()
        .map(|(f, _)| f)
        .unwrap_or_else(|| panic!("not one RESP2 reply: {}", show(bytes)))
}

/// The bulk strings of an array reply, in order; None for any other reply.
fn elements(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    match frame(bytes) {
        OwnedFrame::Array(items) => items
            .into_iter()
            .map(|item| match item {
                OwnedFrame::BulkString(b) => Some(b),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn sorted(mut items: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    items.sort();
    items
}

/// Pairs of a flat field, value, ... list, sorted.
fn sorted_pairs(items: Vec<Vec<u8>>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut pairs: Vec<_> = items
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair.get(1).cloned().unwrap_or_default()))
        .collect();
    pairs.sort();
    pairs
}

fn is_error(bytes: &[u8]) -> bool {
    bytes.starts_with(b"-")
}

fn name(command: &[String]) -> String {
    command[0].to_ascii_uppercase()
}

fn show_command(command: &[String]) -> String {
    command
        .iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The redraft side: the in-process engine, or a follower of a three-node cluster over RESP.
enum Backend {
    Engine { engine: Engine, index: u64 },
    Follower(RawClient),
}

struct Sides {
    redis: RawClient,
    backend: Backend,
}

impl Sides {
    async fn redis(&mut self, command: &[String]) -> Vec<u8> {
        self.redis.call(command).await.expect("redis-server reply")
    }

    /// Runs one command on the engine as the server would: writes as a one-command entry at
    /// the next log index, reads against the replica with a seed that varies per call.
    /// On a follower: the exact bytes it replies.
    async fn engine(&mut self, command: &[String]) -> Vec<u8> {
        let (engine, index) = match &mut self.backend {
            Backend::Follower(client) => {
                return client.call(command).await.expect("follower reply");
            }
            Backend::Engine { engine, index } => (engine, index),
        };
        let argv: Vec<Vec<u8>> = command.iter().map(|a| a.as_bytes().to_vec()).collect();
        *index += 1;
        let reply = match resolve(&argv) {
            Err(reply) => reply,
            Ok(spec) => match spec.kind {
                Kind::Session | Kind::Cluster | Kind::Container(_) => {
                    panic!("no session commands here")
                }
                Kind::Read(_) => engine.read(
                    0,
                    &argv,
                    ReadContext {
                        now_ms: now_ms(),
                        seed: index.wrapping_mul(0x9e37_79b9),
                    },
                ),
                Kind::Write(_) => {
                    let entry = LogCommand::run(now_ms(), 0, vec![argv]);
                    let mut replies = engine.apply(*index, &entry);
                    assert_eq!(replies.len(), 1, "one reply per command");
                    replies.remove(0)
                }
            },
        };
        let mut out = Vec::new();
        resp2(&reply, &mut out);
        out
    }

    async fn both(&mut self, command: &[String]) -> (Vec<u8>, Vec<u8>) {
        let redis = self.redis(command).await;
        (redis, self.engine(command).await)
    }

    /// Redraft's encoding of a hash or set at `key`: read from the engine's keyspace, or asked
    /// of the follower with OBJECT ENCODING (only a hash's or a set's encodings count).
    async fn engine_encoding(&mut self, key: &str) -> Option<String> {
        let engine = match &mut self.backend {
            Backend::Engine { engine, .. } => engine,
            Backend::Follower(client) => {
                let reply = client
                    .call(&["OBJECT", "ENCODING", key])
                    .await
                    .expect("follower reply");
                return match frame(&reply) {
                    OwnedFrame::BulkString(b) => Some(String::from_utf8_lossy(&b).into_owned())
                        .filter(|e| ["listpack", "hashtable", "intset"].contains(&e.as_str())),
                    _ => None,
                };
            }
        };
        let entry = engine.keyspace().dbs[0].get(key.as_bytes(), now_ms())?;
        match &entry.value {
            Value::Hash(hash) => Some(hash.encoding_name().to_string()),
            Value::Set(set) => Some(set.encoding_name().to_string()),
            _ => None,
        }
    }

    async fn redis_encoding(&mut self, key: &str) -> Option<String> {
        let reply = self
            .redis(&["OBJECT".into(), "ENCODING".into(), key.into()])
            .await;
        match frame(&reply) {
            OwnedFrame::BulkString(b) => Some(String::from_utf8_lossy(&b).into_owned()),
            _ => None,
        }
    }

    /// Every element of a whole HSCAN/SSCAN walk (cursor 0 to 0) with the command's options.
    async fn full_scan(
        &mut self,
        command: &[String],
        on_redis: bool,
    ) -> Result<Vec<Vec<u8>>, String> {
        let mut cursor = "0".to_string();
        let mut found = Vec::new();
        for _ in 0..100_000 {
            let mut step = command.to_vec();
            step[2] = cursor.clone();
            let reply = if on_redis {
                self.redis(&step).await
            } else {
                self.engine(&step).await
            };
            let OwnedFrame::Array(parts) = frame(&reply) else {
                return Err(format!("scan step replied {}", show(&reply)));
            };
            let [OwnedFrame::BulkString(next), OwnedFrame::Array(items)] = &parts[..] else {
                return Err(format!("scan step replied {}", show(&reply)));
            };
            for item in items {
                if let OwnedFrame::BulkString(b) = item {
                    found.push(b.clone());
                }
            }
            cursor = String::from_utf8_lossy(next).into_owned();
            if cursor == "0" {
                return Ok(found);
            }
        }
        Err("the scan did not end".into())
    }
}

/// Hash fields and set members: small integers (intsets), integer-like strings that are not
/// integers to Redis, words, and long strings (past the listpack value limit).
fn element(rng: &mut StdRng) -> String {
    match rng.random_range(0..20) {
        0..=7 => rng.random_range(-5..25).to_string(),
        8..=13 => ["a", "b", "c", "d", "e", "f", "g"]
            .choose(rng)
            .unwrap()
            .to_string(),
        14 => ["007", "-0", "+1", "1.5", "", " 1", "9223372036854775808"]
            .choose(rng)
            .unwrap()
            .to_string(),
        15 => "9223372036854775807".into(),
        16 => "x".repeat(rng.random_range(63..67)),
        _ => format!("m{}", rng.random_range(0..10)),
    }
}

fn value(rng: &mut StdRng) -> String {
    match rng.random_range(0..10) {
        0..=4 => rng.random_range(-100..100).to_string(),
        5 => "1.5".into(),
        6 => "abc".into(),
        7 => "y".repeat(rng.random_range(60..70)),
        8 => "9223372036854775807".into(),
        _ => "1e3".into(),
    }
}

fn any_key(rng: &mut StdRng) -> String {
    match rng.random_range(0..10) {
        0..=3 => HASH_KEYS.choose(rng).unwrap().to_string(),
        4..=8 => SET_KEYS.choose(rng).unwrap().to_string(),
        _ => ["str", "nokey"].choose(rng).unwrap().to_string(),
    }
}

fn hash_key(rng: &mut StdRng) -> String {
    if rng.random_bool(0.9) {
        HASH_KEYS.choose(rng).unwrap().to_string()
    } else {
        any_key(rng)
    }
}

fn set_key(rng: &mut StdRng) -> String {
    if rng.random_bool(0.9) {
        SET_KEYS.choose(rng).unwrap().to_string()
    } else {
        any_key(rng)
    }
}

/// Counts for the random-choice commands. Large negative counts only come with WITHVALUES
/// (an error before any lookup): without it Redis would try to build the reply.
fn count(rng: &mut StdRng) -> String {
    match rng.random_range(0..20) {
        0 => "x".into(),
        1 => "9223372036854775807".into(),
        2 => "-9223372036854775808".into(),
        3 => "0".into(),
        _ => rng.random_range(-8..10).to_string(),
    }
}

fn scan_options(rng: &mut StdRng, c: &mut Vec<String>) {
    for _ in 0..rng.random_range(0..3) {
        match rng.random_range(0..6) {
            0 | 1 => c.extend([
                "MATCH".into(),
                ["*", "m*", "1*", "?", "[a-c]", "x*"]
                    .choose(rng)
                    .unwrap()
                    .to_string(),
            ]),
            2 | 3 => c.extend([
                "COUNT".into(),
                ["1", "3", "10", "100", "0", "x"]
                    .choose(rng)
                    .unwrap()
                    .to_string(),
            ]),
            4 => c.push("COUNT".into()),
            _ => c.extend(["TYPE".into(), "set".into()]),
        }
    }
}

fn command(rng: &mut StdRng) -> Vec<String> {
    let names = [
        "HSET",
        "HSET",
        "HSET",
        "HSETNX",
        "HGET",
        "HMSET",
        "HMGET",
        "HGETALL",
        "HDEL",
        "HDEL",
        "HEXISTS",
        "HLEN",
        "HSTRLEN",
        "HKEYS",
        "HVALS",
        "HINCRBY",
        "HINCRBYFLOAT",
        "HRANDFIELD",
        "HSCAN",
        "SADD",
        "SADD",
        "SADD",
        "SREM",
        "SREM",
        "SMEMBERS",
        "SISMEMBER",
        "SMISMEMBER",
        "SCARD",
        "SPOP",
        "SRANDMEMBER",
        "SMOVE",
        "SINTER",
        "SINTERCARD",
        "SUNION",
        "SDIFF",
        "SINTERSTORE",
        "SUNIONSTORE",
        "SDIFFSTORE",
        "SSCAN",
        "DEL",
        "GROW",
        "CONFIG",
    ];
    let name = *names.choose(rng).unwrap();
    let mut c: Vec<String> = vec![name.into()];
    match name {
        "HSET" | "HMSET" => {
            c.push(hash_key(rng));
            for _ in 0..rng.random_range(1..4) {
                c.extend([element(rng), value(rng)]);
            }
        }
        "HSETNX" => c.extend([hash_key(rng), element(rng), value(rng)]),
        "HGET" | "HEXISTS" | "HSTRLEN" => c.extend([hash_key(rng), element(rng)]),
        "HMGET" | "HDEL" => {
            c.push(hash_key(rng));
            for _ in 0..rng.random_range(1..4) {
                c.push(element(rng));
            }
        }
        "HGETALL" | "HLEN" | "HKEYS" | "HVALS" => c.push(hash_key(rng)),
        "HINCRBY" => c.extend([
            hash_key(rng),
            element(rng),
            [
                "1",
                "-7",
                "100",
                "x",
                "9223372036854775807",
                "-9223372036854775808",
            ]
            .choose(rng)
            .unwrap()
            .to_string(),
        ]),
        "HINCRBYFLOAT" => c.extend([
            hash_key(rng),
            element(rng),
            ["0.1", "-2.5", "1e3", "x", "inf", "nan", "3", "1e70"]
                .choose(rng)
                .unwrap()
                .to_string(),
        ]),
        "HRANDFIELD" => {
            c.push(hash_key(rng));
            if rng.random_bool(0.8) {
                c.push(count(rng));
                match rng.random_range(0..8) {
                    0..=3 => c.push("WITHVALUES".into()),
                    4 => c.push("withscores".into()),
                    5 => {
                        c.pop();
                        c.extend(["-4611686018427387904".into(), "WITHVALUES".into()]);
                    }
                    _ => {}
                }
            }
        }
        "HSCAN" | "SSCAN" => {
            c.push(if name == "HSCAN" {
                hash_key(rng)
            } else {
                set_key(rng)
            });
            c.push(["0", "0", "0", "x", "-1"].choose(rng).unwrap().to_string());
            scan_options(rng, &mut c);
        }
        "SADD" | "SREM" | "SMISMEMBER" => {
            c.push(set_key(rng));
            for _ in 0..rng.random_range(1..5) {
                c.push(element(rng));
            }
        }
        "SMEMBERS" | "SCARD" => c.push(set_key(rng)),
        "SISMEMBER" => c.extend([set_key(rng), element(rng)]),
        "SPOP" => {
            c.push(set_key(rng));
            match rng.random_range(0..5) {
                0 => {}
                1 => c.extend(["1".into(), "2".into()]),
                _ => c.push(
                    ["0", "1", "2", "3", "5", "10", "100", "-1", "x"]
                        .choose(rng)
                        .unwrap()
                        .to_string(),
                ),
            }
        }
        "SRANDMEMBER" => {
            c.push(set_key(rng));
            if rng.random_bool(0.8) {
                c.push(count(rng));
                if rng.random_bool(0.05) {
                    c.push("1".into());
                }
            }
        }
        "SMOVE" => c.extend([set_key(rng), set_key(rng), element(rng)]),
        "SINTER" | "SUNION" | "SDIFF" => {
            for _ in 0..rng.random_range(1..4) {
                c.push(set_key(rng));
            }
        }
        "SINTERSTORE" | "SUNIONSTORE" | "SDIFFSTORE" => {
            for _ in 0..rng.random_range(2..5) {
                c.push(set_key(rng));
            }
        }
        "SINTERCARD" => {
            let keys = rng.random_range(1..4);
            c.push(match rng.random_range(0..10) {
                0 => "0".to_string(),
                1 => "x".to_string(),
                2 => "9".to_string(),
                _ => keys.to_string(),
            });
            for _ in 0..keys {
                c.push(set_key(rng));
            }
            match rng.random_range(0..6) {
                0 | 1 => c.extend(["LIMIT".into(), rng.random_range(0..4).to_string()]),
                2 => c.extend(["LIMIT".into(), "-1".into()]),
                3 => c.push("LIMIT".into()),
                _ => {}
            }
        }
        "DEL" => c.push(any_key(rng)),
        // Past the compact encodings' limits: many fields, or many integers.
        "GROW" => {
            if rng.random_bool(0.5) {
                c = vec!["HSET".into(), hash_key(rng)];
                for i in 0..rng.random_range(490..530) {
                    c.extend([format!("f{i}"), i.to_string()]);
                }
            } else {
                c = vec!["SADD".into(), set_key(rng)];
                for i in 0..rng.random_range(480..530) {
                    c.push(i.to_string());
                }
            }
        }
        // The conversion thresholds are replicated configuration: moving them moves where
        // every later write converts (OBJECT ENCODING is compared after each write).
        "CONFIG" => {
            let param = *[
                "hash-max-listpack-entries",
                "hash-max-ziplist-value",
                "set-max-intset-entries",
            ]
            .choose(rng)
            .unwrap();
            let value = rng.random_range(0..20);
            c.extend(["SET".into(), param.into(), value.to_string()]);
        }
        _ => unreachable!("every name is generated"),
    }
    // Now and then the wrong number of arguments (never dropping the WITHVALUES that makes a
    // huge negative count an error: without it Redis would try to build the reply).
    let huge = c.iter().any(|a| a.starts_with("-4611"));
    if rng.random_range(0..50) == 0 && !huge {
        let keep = rng.random_range(1..=c.len());
        c.truncate(keep);
    }
    c
}

/// Compares the replies of one command; Err describes a difference Redis's semantics forbid.
async fn compare(sides: &mut Sides, command: &[String]) -> Result<(), String> {
    let name = name(command);
    let key = command.get(1).cloned().unwrap_or_default();
    // Random-choice commands: state before, then properties of the two replies.
    let random = matches!(name.as_str(), "SPOP" | "SRANDMEMBER" | "HRANDFIELD");
    let before = if random {
        let listing = if name == "HRANDFIELD" {
            "HGETALL"
        } else {
            "SMEMBERS"
        };
        elements(&sides.redis(&[listing.into(), key.clone()]).await)
    } else {
        None
    };
    let (redis, engine) = sides.both(command).await;
    if redis == engine {
        if name == "SPOP" && !is_error(&redis) {
            resync_set(sides, &key).await;
        }
        return Ok(());
    }
    let differ = || {
        Err(format!(
            "redis-server: {}\nredraft:      {}",
            show(&redis),
            show(&engine)
        ))
    };
    if is_error(&redis) || is_error(&engine) {
        return differ();
    }
    match name.as_str() {
        "SPOP" | "SRANDMEMBER" | "HRANDFIELD" => {
            let outcome = random_properties(command, &before.unwrap_or_default(), &redis, &engine);
            if name == "SPOP" {
                resync_set(sides, &key).await;
            }
            outcome.map_err(|e| {
                format!(
                    "{e}\nredis-server: {}\nredraft:      {}",
                    show(&redis),
                    show(&engine)
                )
            })
        }
        "HSCAN" | "SSCAN" => {
            if sides.engine_encoding(&key).await.as_deref() != Some("hashtable") {
                return differ();
            }
            let a = sides.full_scan(command, true).await?;
            let b = sides.full_scan(command, false).await?;
            let same = if name == "HSCAN" {
                sorted_pairs(a) == sorted_pairs(b)
            } else {
                sorted(a) == sorted(b)
            };
            if same {
                Ok(())
            } else {
                Err("full scans found different elements".into())
            }
        }
        "HGETALL" | "HKEYS" | "HVALS" | "SMEMBERS" => {
            if sides.engine_encoding(&key).await.as_deref() != Some("hashtable") {
                return differ();
            }
            let (a, b) = (elements(&redis), elements(&engine));
            let same = match (a, b) {
                (Some(a), Some(b)) if name == "HGETALL" => sorted_pairs(a) == sorted_pairs(b),
                (Some(a), Some(b)) => sorted(a) == sorted(b),
                _ => false,
            };
            if same {
                Ok(())
            } else {
                differ()
            }
        }
        "SINTER" | "SUNION" | "SDIFF" => match (elements(&redis), elements(&engine)) {
            (Some(a), Some(b)) if sorted(a.clone()) == sorted(b.clone()) => Ok(()),
            _ => differ(),
        },
        _ => differ(),
    }
}

/// Count, membership and distinctness of a random choice; `before` lists the collection (a
/// set's members, or a hash's field, value pairs) before the command.
fn random_properties(
    command: &[String],
    before: &[Vec<u8>],
    redis: &[u8],
    engine: &[u8],
) -> Result<(), String> {
    let hash = name(command) == "HRANDFIELD";
    let with_values = command.len() == 4 && hash;
    let fields: Vec<&Vec<u8>> = if hash {
        before.iter().step_by(2).collect()
    } else {
        before.iter().collect()
    };
    let value_of = |field: &[u8]| -> Option<&Vec<u8>> {
        before
            .chunks(2)
            .find(|pair| pair[0] == field)
            .and_then(|pair| pair.get(1))
    };
    match (frame(redis), frame(engine)) {
        (OwnedFrame::BulkString(_), OwnedFrame::BulkString(b)) => {
            if fields.contains(&&b) {
                Ok(())
            } else {
                Err("the element drawn is not in the collection".into())
            }
        }
        (OwnedFrame::Array(a), OwnedFrame::Array(_)) => {
            let b = elements(engine).ok_or("not bulk strings")?;
            if a.len() != b.len() {
                return Err("different counts".into());
            }
            let drawn: Vec<Vec<u8>> = if with_values {
                for pair in b.chunks(2) {
                    if value_of(&pair[0]) != Some(&pair[1]) {
                        return Err("a field drawn with the wrong value".into());
                    }
                }
                b.iter().step_by(2).cloned().collect()
            } else {
                b
            };
            if !drawn.iter().all(|d| fields.contains(&d)) {
                return Err("an element drawn is not in the collection".into());
            }
            let negative = command.get(2).is_some_and(|c| c.starts_with('-'));
            let mut distinct = drawn.clone();
            distinct.sort();
            distinct.dedup();
            if !negative && distinct.len() != drawn.len() {
                return Err("repeated elements in a distinct draw".into());
            }
            Ok(())
        }
        _ => Err("different reply types".into()),
    }
}

/// After an SPOP the sides hold different members: set both to the engine's members (DEL,
/// then SADD in the engine's order), which gives both the same encoding too.
async fn resync_set(sides: &mut Sides, key: &str) {
    let members =
        elements(&sides.engine(&["SMEMBERS".into(), key.into()]).await).unwrap_or_default();
    let del = vec!["DEL".to_string(), key.to_string()];
    sides.both(&del).await;
    if !members.is_empty() {
        let mut sadd = vec!["SADD".to_string(), key.to_string()];
        sadd.extend(
            members
                .iter()
                .map(|m| String::from_utf8(m.clone()).expect("utf-8 members")),
        );
        let (a, b) = sides.both(&sadd).await;
        assert_eq!(a, b, "resync SADD");
    }
}

fn seed() -> u64 {
    redraft_tests::differential::run_seed(0)
}

/// `default` ops, scaled by REDRAFT_DIFF_OPS (which is relative to OPS_DEFAULT).
fn ops(default: usize) -> usize {
    std::env::var("REDRAFT_DIFF_OPS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .map_or(default, |ops| (ops * default / OPS_DEFAULT).max(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_hash_and_set_commands_on_the_engine_reply_like_redis() {
    let seed = seed();
    let ops = ops(OPS_DEFAULT);
    eprintln!("hash/set differential: seed={seed} ops={ops}; replay with REDRAFT_DIFF_SEED={seed}");
    let reference = RedisServer::start().await;
    let sides = Sides {
        redis: reference.raw().await,
        backend: Backend::Engine {
            engine: Engine::new(),
            index: 0,
        },
    };
    run(seed, ops, sides, "engine").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_hash_and_set_commands_on_a_follower_reply_like_redis() {
    let seed = seed();
    let ops = ops(FOLLOWER_OPS_DEFAULT);
    eprintln!(
        "hash/set differential (follower): seed={seed} ops={ops}; replay with REDRAFT_DIFF_SEED={seed}"
    );
    let cluster = Cluster::start(3).await;
    let follower = cluster.followers().await[0];
    let reference = RedisServer::start().await;
    let sides = Sides {
        redis: reference.raw().await,
        backend: Backend::Follower(cluster.raw(follower).await),
    };
    run(seed, ops, sides, "follower").await;
}

/// Runs `ops` generated commands on both sides, comparing replies and written keys' encodings.
async fn run(seed: u64, ops: usize, mut sides: Sides, against: &str) {
    let mut rng = StdRng::seed_from_u64(seed);
    sides.both(&["SET".into(), "str".into(), "v".into()]).await;
    let mut recent = std::collections::VecDeque::new();
    for op in 0..ops {
        let command = command(&mut rng);
        let outcome = compare(&mut sides, &command).await;
        let mut outcome = outcome;
        // Writes: the encoding of every key written must agree.
        let written: &[usize] = match name(&command).as_str() {
            "SMOVE" => &[1, 2],
            "HSET" | "HMSET" | "HSETNX" | "HDEL" | "HINCRBY" | "HINCRBYFLOAT" | "SADD" | "SREM"
            | "SINTERSTORE" | "SUNIONSTORE" | "SDIFFSTORE" => &[1],
            _ => &[],
        };
        for &at in written {
            if outcome.is_err() {
                break;
            }
            let Some(key) = command.get(at) else { continue };
            let a = sides.redis_encoding(key).await;
            let b = sides.engine_encoding(key).await;
            if a.is_some() && b.is_some() && a != b {
                outcome = Err(format!(
                    "encoding of {key}: redis-server {a:?}, redraft {b:?}"
                ));
            }
        }
        if let Err(diff) = outcome {
            panic!(
                "MISMATCH (hash/set, {against}) seed={seed} op={op}\ncommand: {}\n{diff}\nprevious commands (oldest first):\n{}",
                show_command(&command),
                recent.iter().cloned().collect::<Vec<String>>().join("\n")
            );
        }
        let shown: String = show_command(&command).chars().take(200).collect();
        recent.push_back(format!("  op {op}: {shown}"));
        if recent.len() > 15 {
            recent.pop_front();
        }
    }
}
