//! Hashes and sets on the in-process engine against redis-server 7.0: seeded random programs
//! over a few hash, set and string keys, compared byte for byte wherever Redis's reply is
//! determined (errors, counts, listpack and intset orders), as sets where Redis's order is a
//! hash table's, and by properties (count, membership, distinctness) for the random-choice
//! commands, whose seeds differ from Redis's RNG. After every write the OBJECT ENCODING of the
//! written key must agree too. An SPOP leaves the two sides holding different members, so both
//! are then reset to the engine's members.
//!
//! `REDRAFT_DIFF_SEED` replays a run, `REDRAFT_DIFF_OPS` makes it longer.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use redis_protocol::resp2::types::OwnedFrame;
use redraft_tests::differential::{name, Command};
use redraft_tests::differential_tests;
use redraft_tests::driver::{
    self, argv, elements, is_error, parse, Coverage, Ops, Outcome, Program, Side, Sides,
};
use redraft_tests::raw::show;

/// Ops of a run: against the engine, and against a follower (every write is a Raft commit).
const OPS: Ops = Ops {
    engine: 3000,
    follower: 800,
};

const HASH_KEYS: &[&str] = &["h0", "h1", "h2"];
const SET_KEYS: &[&str] = &["s0", "s1", "s2", "s3"];

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

/// Every element of a whole HSCAN/SSCAN walk (cursor 0 to 0) with the command's options.
async fn full_scan(
    sides: &mut Sides,
    side: Side,
    command: &Command,
) -> Result<Vec<Vec<u8>>, String> {
    let mut cursor = b"0".to_vec();
    let mut found = Vec::new();
    for _ in 0..100_000 {
        let mut step = command.clone();
        step[2] = cursor;
        let reply = sides.on(side, &step).await;
        let OwnedFrame::Array(parts) = parse(&reply) else {
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
        cursor = next.clone();
        if cursor == b"0" {
            return Ok(found);
        }
    }
    Err("the scan did not end".into())
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

/// The commands of the program, some more often than others (`:grow`: a large HSET or SADD).
const NAMES: &[&str] = &[
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
    ":grow",
    "CONFIG",
];

fn command(rng: &mut StdRng) -> Vec<String> {
    let name = *NAMES.choose(rng).unwrap();
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
        ":grow" => {
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

/// Judges the replies of one command (run after `before`, the collection a random choice drew
/// from); Err describes a difference Redis's semantics forbid.
async fn judge(
    sides: &mut Sides,
    command: &Command,
    before: Option<Vec<Vec<u8>>>,
    redis: &[u8],
    engine: &[u8],
) -> Result<(), String> {
    let name = name(command);
    let key = command.get(1).cloned().unwrap_or_default();
    if redis == engine {
        if name == "SPOP" && !is_error(redis) {
            resync_set(sides, &key).await;
        }
        return Ok(());
    }
    let differ = || {
        Err(format!(
            "redis-server: {}\nredraft:      {}",
            show(redis),
            show(engine)
        ))
    };
    if is_error(redis) || is_error(engine) {
        return differ();
    }
    // A listpack's or an intset's order is determined: only a hash table's may differ.
    let ordered_by_a_hash_table = matches!(
        name.as_str(),
        "HSCAN" | "SSCAN" | "HGETALL" | "HKEYS" | "HVALS" | "SMEMBERS"
    );
    if ordered_by_a_hash_table
        && sides.encoding(Side::Redraft, &key).await.as_deref() != Some("hashtable")
    {
        return differ();
    }
    match name.as_str() {
        "SPOP" | "SRANDMEMBER" | "HRANDFIELD" => {
            let outcome = random_properties(command, &before.unwrap_or_default(), redis, engine);
            if name == "SPOP" {
                resync_set(sides, &key).await;
            }
            outcome.map_err(|e| {
                format!(
                    "{e}\nredis-server: {}\nredraft:      {}",
                    show(redis),
                    show(engine)
                )
            })
        }
        "HSCAN" | "SSCAN" => {
            let a = full_scan(sides, Side::Redis, command).await?;
            let b = full_scan(sides, Side::Redraft, command).await?;
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
            let same = match (elements(redis), elements(engine)) {
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
        "SINTER" | "SUNION" | "SDIFF" => match (elements(redis), elements(engine)) {
            (Some(a), Some(b)) if sorted(a.clone()) == sorted(b.clone()) => Ok(()),
            _ => differ(),
        },
        _ => differ(),
    }
}

/// The written keys' encodings agree (listpack, hashtable or intset on both sides).
async fn same_encodings(sides: &mut Sides, command: &Command) -> Result<(), String> {
    let written: &[usize] = match name(command).as_str() {
        "SMOVE" => &[1, 2],
        "HSET" | "HMSET" | "HSETNX" | "HDEL" | "HINCRBY" | "HINCRBYFLOAT" | "SADD" | "SREM"
        | "SINTERSTORE" | "SUNIONSTORE" | "SDIFFSTORE" => &[1],
        _ => &[],
    };
    for key in written.iter().filter_map(|&at| command.get(at)) {
        let a = sides.encoding(Side::Redis, key).await;
        let b = sides.encoding(Side::Redraft, key).await;
        if a.is_some() && b.is_some() && a != b {
            return Err(format!(
                "encoding of {}: redis-server {a:?}, redraft {b:?}",
                String::from_utf8_lossy(key)
            ));
        }
    }
    Ok(())
}

/// Count, membership and distinctness of a random choice; `before` lists the collection (a
/// set's members, or a hash's field, value pairs) before the command.
fn random_properties(
    command: &Command,
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
    match (parse(redis), parse(engine)) {
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
            let negative = command.get(2).is_some_and(|c| c.starts_with(b"-"));
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
async fn resync_set(sides: &mut Sides, key: &[u8]) {
    let smembers = vec![b"SMEMBERS".to_vec(), key.to_vec()];
    let members = elements(&sides.redraft(&smembers).await).unwrap_or_default();
    sides.both(&[b"DEL".to_vec(), key.to_vec()]).await;
    if !members.is_empty() {
        let sadd = [vec![b"SADD".to_vec(), key.to_vec()], members].concat();
        let (a, b) = sides.both(&sadd).await;
        assert_eq!(a, b, "resync SADD");
    }
}

/// The hash/set program: random-choice commands judged by properties of the collection before
/// them, hash-table orders as sets, and the written keys' encodings compared after each op.
struct HashesAndSets {
    rng: StdRng,
}

impl Program for HashesAndSets {
    fn command(&mut self) -> Command {
        argv(command(&mut self.rng))
    }

    /// A string key, for WRONGTYPE.
    fn setup(&self) -> Vec<Command> {
        vec![redraft_tests::driver::c("SET str v")]
    }

    fn coverage(&self) -> Coverage {
        Coverage {
            commands: NAMES,
            replies_percent: 60,
            writes_percent: 40,
            uncompared: &[],
        }
    }

    async fn compare(&mut self, sides: &mut Sides, command: &Command) -> Outcome {
        let key = command.get(1).cloned().unwrap_or_default();
        // Random-choice commands: state before, then properties of the two replies.
        let before = match name(command).as_str() {
            "HRANDFIELD" => Some(b"HGETALL".to_vec()),
            "SPOP" | "SRANDMEMBER" => Some(b"SMEMBERS".to_vec()),
            _ => None,
        };
        let before = match before {
            Some(listing) => elements(&sides.redis(&[listing, key]).await),
            None => None,
        };
        let (redis, redraft) = sides.both(command).await;
        let mut verdict = judge(sides, command, before, &redis, &redraft).await;
        if verdict.is_ok() {
            verdict = same_encodings(sides, command).await;
        }
        Outcome {
            redis,
            redraft: Some(redraft),
            verdict,
        }
    }
}

differential_tests!(
    random_hash_and_set_commands_on_the_engine_reply_like_redis,
    random_hash_and_set_commands_on_a_follower_reply_like_redis,
    |against| driver::run("hash/set", 0, OPS, against, |rng| HashesAndSets { rng })
);
