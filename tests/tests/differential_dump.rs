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

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use redis_protocol::resp2::types::OwnedFrame;
use redraft_engine::Reply;
use redraft_tests::differential::{show_command, Command};
use redraft_tests::differential_tests;
use redraft_tests::driver::{argv, bulk, c, parse, resp2, Against, Ops, Side, Sides};
use redraft_tests::raw::show;

/// Rounds of a run: against the engine, and against a follower (every write is a Raft commit).
const ROUNDS: Ops = Ops {
    engine: 400,
    follower: 40,
};

/// The value at `key` on one side, in a canonical form: type and contents, sorted where the
/// order is a hash table's.
async fn contents(sides: &mut Sides, key: &str, side: Side) -> String {
    let kind = sides.on(side, &c(&format!("TYPE {key}"))).await;
    let kind = String::from_utf8_lossy(&kind).trim().to_string();
    let (line, sort) = match kind.as_str() {
        "+string" => (format!("GET {key}"), false),
        "+list" => (format!("LRANGE {key} 0 -1"), false),
        "+set" => (format!("SMEMBERS {key}"), true),
        "+zset" => (format!("ZRANGE {key} 0 -1 WITHSCORES"), false),
        "+hash" => (format!("HGETALL {key}"), true),
        "+stream" => {
            let mut shown = String::from("+stream");
            for line in [
                format!("XRANGE {key} - +"),
                format!("XINFO GROUPS {key}"),
                format!("XPENDING {key} g1"),
                format!("XPENDING {key} g2"),
            ] {
                let reply = sides.on(side, &c(&line)).await;
                shown.push(' ');
                // Errors name the key: compare them without it.
                let reply = String::from_utf8_lossy(&reply).replace(&format!("'{key}'"), "'KEY'");
                shown.push_str(&show(reply.as_bytes()));
            }
            return shown;
        }
        _ => return kind,
    };
    let reply = sides.on(side, &c(&line)).await;
    let body = match parse(&reply) {
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
fn build_stream(rng: &mut StdRng, key: &str) -> Vec<Command> {
    let mut program = vec![c(&format!("DEL {key}"))];
    let size = match rng.random_range(0..10) {
        0..=6 => rng.random_range(1..20),
        _ => rng.random_range(20..600),
    };
    let mut ms: u64 = rng.random_range(0..1_000_000_000_000);
    for _ in 0..size {
        let mut command: Vec<String> = vec!["XADD".into(), key.into()];
        match rng.random_range(0..30) {
            0 => {
                let group = ["g1", "g2"].choose(rng).unwrap();
                let start = ["0", "$"].choose(rng).unwrap();
                program.push(c(&format!("XGROUP CREATE {key} {group} {start}")));
                continue;
            }
            1 | 2 => {
                let count = rng.random_range(1..5).to_string();
                let consumer = ["c1", "c2"].choose(rng).unwrap();
                program.push(c(&format!(
                    "XREADGROUP GROUP g1 {consumer} COUNT {count} STREAMS {key} >"
                )));
                continue;
            }
            3 => {
                let id = format!("{}-0", ms.saturating_sub(rng.random_range(0..10)));
                program.push(c(&format!("XACK {key} g1 {id}")));
                continue;
            }
            4 | 5 => {
                let id = format!(
                    "{}-{}",
                    ms.saturating_sub(rng.random_range(0..10)),
                    rng.random_range(0..2)
                );
                program.push(c(&format!("XDEL {key} {id}")));
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
        program.push(argv(command));
    }
    program
}

/// A random program that builds `key` as a value of `kind` on both sides.
fn build(rng: &mut StdRng, kind: usize, key: &str) -> Vec<Command> {
    if kind == 5 {
        return build_stream(rng, key);
    }
    let mut program = vec![c(&format!("DEL {key}"))];
    let size = match rng.random_range(0..10) {
        0..=5 => rng.random_range(1..8),
        6..=8 => rng.random_range(8..150),
        _ => rng.random_range(150..700),
    };
    let rpush_only = rng.random_bool(0.3);
    // A set of integers only is an intset; mixed elements rarely are all integers, so without
    // this some seeds would dump no intset at all.
    let integers_only = rng.random_bool(0.3);
    let mut push = |parts: Vec<String>| program.push(argv(parts));
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

/// Whether Redis's bytes for this value are determined by its contents alone (no hash-table
/// order, a list in one quicklist node).
fn bytes_comparable(payload: &[u8], encoding: &str, program: &[Command]) -> bool {
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

/// RESTORE `key` `ttl` `payload`, then the words of `options`.
fn restore(key: &str, ttl: &str, payload: &[u8], options: &str) -> Command {
    let mut command = c(&format!("RESTORE {key} {ttl}"));
    command.push(payload.to_vec());
    if !options.is_empty() {
        command.extend(c(options));
    }
    command
}

/// One round: builds a value on both sides, DUMPs it on both, restores each side's payload on
/// the other, and compares RESTORE's errors. Counts the round in `compared` by encoding and
/// whether the DUMP bytes were compared.
async fn round(
    sides: &mut Sides,
    rng: &mut StdRng,
    compared: &mut BTreeMap<String, usize>,
) -> Result<(), String> {
    let kind = rng.random_range(0..6);
    let key = ["k0", "k1"].choose(rng).unwrap().to_string();
    let program = build(rng, kind, &key);
    for command in &program {
        let (a, b) = sides.both(command).await;
        if a != b {
            return Err(format!(
                "building: {}: redis {} engine {}",
                shown(command),
                show(&a),
                show(&b)
            ));
        }
    }
    let Some(encoding) = sides.encoding(Side::Redis, key.as_bytes()).await else {
        return Ok(()); // emptied by its program
    };
    let engine_encoding = sides.encoding(Side::Redraft, key.as_bytes()).await;
    if engine_encoding.as_deref() != Some(encoding.as_str()) {
        return Err(format!(
            "encodings differ before DUMP: redis {encoding}, engine {engine_encoding:?}"
        ));
    }
    let (from_redis, from_engine) = sides.both(&c(&format!("DUMP {key}"))).await;
    let from_redis = bulk(&from_redis).ok_or("redis DUMP is no bulk")?;
    let from_engine = bulk(&from_engine).ok_or("engine DUMP is no bulk")?;
    let comparable = bytes_comparable(&from_redis, &encoding, &program);
    *compared
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
    let reply = sides
        .redis(&restore("rcopy", "0", &from_redis, "REPLACE"))
        .await;
    if reply != b"+OK\r\n" {
        return Err(format!(
            "redis RESTORE of its own payload: {}",
            show(&reply)
        ));
    }
    let encoding = sides
        .encoding(Side::Redis, b"rcopy")
        .await
        .ok_or("redis restored nothing")?;
    // redis-server's payload restored on the engine.
    let reply = sides
        .redraft(&restore("copy", "0", &from_redis, "REPLACE"))
        .await;
    if reply != b"+OK\r\n" {
        return Err(format!(
            "engine RESTORE of redis's payload: {}",
            show(&reply)
        ));
    }
    // Compared with what redis-server's own RESTORE made of the payload, not with the key it
    // dumped: loading converts (a skiplist of a −0 score that fits a listpack comes back as
    // a listpack holding 0).
    let restored = contents(sides, "copy", Side::Redraft).await;
    let redis_restored = contents(sides, "rcopy", Side::Redis).await;
    if restored != redis_restored {
        return Err(format!(
            "engine restored / redis restored {}",
            difference(&restored, &redis_restored)
        ));
    }
    let engine_copy = sides.encoding(Side::Redraft, b"copy").await;
    if engine_copy.as_deref() != Some(encoding.as_str()) {
        return Err(format!("engine restored a {encoding} as {engine_copy:?}"));
    }
    // The engine's payload restored on redis-server.
    let reply = sides
        .redis(&restore("copy", "0", &from_engine, "REPLACE"))
        .await;
    if reply != b"+OK\r\n" {
        return Err(format!(
            "redis RESTORE of the engine's payload: {}",
            show(&reply)
        ));
    }
    let restored = contents(sides, "copy", Side::Redis).await;
    if restored != redis_restored {
        return Err(format!(
            "redis restored the engine's payload as {restored}\nand its own as {redis_restored}"
        ));
    }
    let redis_copy = sides.encoding(Side::Redis, b"copy").await;
    if redis_copy.as_deref() != Some(encoding.as_str()) {
        return Err(format!("redis restored a {encoding} as {redis_copy:?}"));
    }
    // Errors, compared byte for byte.
    let mut corrupt = from_engine.clone();
    let at = rng.random_range(0..corrupt.len());
    corrupt[at] ^= 1 << rng.random_range(0..8);
    let attempts = [
        restore(&key, "0", &from_engine, ""),
        restore("fresh", "-5", &from_engine, ""),
        restore("fresh", "x", &from_engine, ""),
        restore("fresh", "0", &corrupt, ""),
        restore("fresh", "0", b"tiny", ""),
        restore("fresh", "0", &from_engine, "IDLETIME -1"),
        restore("fresh", "0", &from_engine, "FREQ 300"),
        restore("fresh", "0", &from_engine, "BOGUS"),
        restore("fresh", "1", &from_engine, "ABSTTL"),
        c("EXISTS fresh"),
        c("DUMP nokey"),
        c("DEL copy"),
    ];
    for command in attempts {
        let (a, b) = sides.both(&command).await;
        if a != b {
            return Err(format!(
                "{}: redis {} engine {}",
                shown(&command),
                show(&a),
                show(&b)
            ));
        }
    }
    Ok(())
}

/// A command for a report, cut short (payloads are long).
fn shown(command: &Command) -> String {
    show_command(command).chars().take(300).collect()
}

differential_tests!(
    dump_and_restore_move_values_between_redis_and_the_engine,
    dump_and_restore_move_values_between_redis_and_a_follower,
    run
);

async fn run(against: Against) {
    let mut sides = Sides::start("dump", 0, ROUNDS, against).await;
    let mut rng = sides.rng();
    // Rounds per (encoding, whether the bytes were compared).
    let mut compared = BTreeMap::new();
    for number in 0..sides.ops {
        if let Err(diff) = round(&mut sides, &mut rng, &mut compared).await {
            sides.fail(&format!("round={number}"), &diff);
        }
    }
    eprintln!("rounds by encoding/bytes compared: {compared:?}");
    // The follower's shorter run (a Raft commit per write) need not reach every encoding; the
    // engine run, on the same generator, checks the coverage.
    let coverage: &[&str] = match against {
        Against::Follower => &[],
        _ => &[
            "string",
            "quicklist",
            "intset",
            "listpack",
            "skiplist",
            "hashtable",
        ],
    };
    for encoding in coverage {
        assert!(
            compared.keys().any(|k| k.starts_with(encoding)),
            "no {encoding} value was dumped"
        );
    }
}

#[test]
fn a_reply_helper_is_consistent() {
    // The engine's DUMP of a missing key is a nil bulk, as Redis's.
    assert_eq!(resp2(&Reply::Nil), b"$-1\r\n");
}
