//! Replicas that apply the same entries must reach the same bytes, for hashes and sets too:
//! seeded sequences of hash and set commands (random-choice ones included: SPOP draws from the
//! entry's seed) applied to two engines, and to an engine restored from a snapshot midway, give
//! equal replies and byte-identical snapshots; damaged snapshots are refused, never a panic.

use redraft_engine::{Argv, Engine, LogCommand, Op, ReadContext, Reply, Run};

// Only the generator is shared here: these files also compare read probes, which the
// common driver does not.
#[allow(dead_code)]
mod common;

use common::XorShift;

const KEYS: [&str; 6] = ["h1", "h2", "s1", "s2", "s3", "str"];

/// Members and fields: integers (intsets), words, and the odd long one (conversions).
fn element(rng: &mut XorShift) -> String {
    match rng.below(10) {
        0..=4 => rng.below(40).to_string(),
        5..=7 => format!("m{}", rng.below(30)),
        8 => "x".repeat(60 + rng.below(10) as usize),
        _ => format!("{}", -(rng.below(600) as i64)),
    }
}

fn random_command(rng: &mut XorShift) -> Vec<String> {
    let key = rng.pick(&KEYS).to_string();
    let other = rng.pick(&KEYS).to_string();
    let third = rng.pick(&KEYS).to_string();
    let (a, b, c) = (element(rng), element(rng), element(rng));
    let count = (rng.below(12) as i64 - 4).to_string();
    let parts: Vec<&str> = match rng.below(34) {
        0 => vec!["HSET", &key, &a, &b, &c, &a],
        1 => vec!["HSETNX", &key, &a, &b],
        2 => vec!["HMSET", &key, &a, &b],
        3 => vec!["HDEL", &key, &a, &b],
        4 => vec!["HINCRBY", &key, &a, &count],
        5 => vec!["HINCRBYFLOAT", &key, &a, "0.1"],
        6 => vec!["HGETALL", &key],
        7 => vec!["HRANDFIELD", &key, &count, "WITHVALUES"],
        8 => vec!["HRANDFIELD", &key],
        9 => vec!["HSCAN", &key, "0", "COUNT", "3"],
        10 | 11 => vec!["SADD", &key, &a, &b, &c],
        12 => vec!["SREM", &key, &a, &b],
        13 => vec!["SPOP", &key],
        14 => vec!["SPOP", &key, &count],
        15 => vec!["SRANDMEMBER", &key, &count],
        16 => vec!["SMOVE", &key, &other, &a],
        17 => vec!["SINTERSTORE", &key, &other, &third],
        18 => vec!["SUNIONSTORE", &key, &other, &third],
        19 => vec!["SDIFFSTORE", &key, &other, &third],
        20 => vec!["SINTER", &key, &other],
        21 => vec!["SUNION", &key, &other],
        22 => vec!["SDIFF", &key, &other, &third],
        23 => vec!["SINTERCARD", "2", &key, &other, "LIMIT", &count],
        24 => vec!["SMEMBERS", &key],
        25 => vec!["SSCAN", &key, "0", "MATCH", "m*"],
        26 => vec!["SMISMEMBER", &key, &a, &b],
        27 => vec!["DEL", &key],
        28 => vec!["PEXPIRE", &key, "50"],
        29 => vec!["SET", &key, "v"],
        30 => vec!["RENAME", &key, &other],
        // Grow a collection past its compact encoding's limit now and then.
        31 => {
            return (0..520).map(|i| format!("f{i}")).fold(
                vec!["HSET".into(), key],
                |mut argv, field| {
                    argv.push(field);
                    argv.push("v".into());
                    argv
                },
            )
        }
        32 => {
            return (0..520).map(|i| i.to_string()).fold(
                vec!["SADD".to_string(), key],
                |mut argv, member| {
                    argv.push(member);
                    argv
                },
            )
        }
        _ => vec!["HLEN", &key],
    };
    parts.into_iter().map(str::to_string).collect()
}

fn random_entry(rng: &mut XorShift, now_ms: &mut u64) -> LogCommand {
    *now_ms += rng.below(40);
    let op = if rng.below(12) == 0 {
        Op::ExpireSweep {
            max_keys: rng.below(4) as u32,
        }
    } else {
        let cmds: Vec<Argv> = (0..1 + rng.below(3))
            .map(|_| {
                random_command(rng)
                    .into_iter()
                    .map(String::into_bytes)
                    .collect()
            })
            .collect();
        Op::Batch {
            runs: vec![Run {
                db: rng.below(2) as u32,
                cmds,
            }],
        }
    };
    LogCommand {
        now_ms: *now_ms,
        op,
    }
}

fn entries(seed: u64, count: usize) -> Vec<LogCommand> {
    let mut rng = XorShift(seed);
    let mut now_ms = 1_700_000_000_000;
    (0..count)
        .map(|_| random_entry(&mut rng, &mut now_ms))
        .collect()
}

/// Reads (random ones with a fixed seed) that every replica must answer alike.
fn probe(engine: &Engine) -> Vec<Reply> {
    let context = ReadContext {
        now_ms: engine.now_ms(),
        seed: 42,
    };
    let mut replies = Vec::new();
    for db in 0..2 {
        for key in KEYS {
            for parts in [
                &["HGETALL", key][..],
                &["SMEMBERS", key],
                &["HRANDFIELD", key, "-3", "WITHVALUES"],
                &["SRANDMEMBER", key, "2"],
                &["HSCAN", key, "0"],
                &["SSCAN", key, "0", "COUNT", "2"],
            ] {
                let argv: Argv = parts.iter().map(|p| p.as_bytes().to_vec()).collect();
                replies.push(engine.read(db, &argv, context));
            }
        }
    }
    replies
}

#[test]
fn two_engines_fed_the_same_hash_and_set_entries_agree_byte_for_byte() {
    let log = entries(0x5e75_0001, 5000);
    let mut first = Engine::new();
    let mut second = Engine::new();
    let mut errors = 0;
    let mut collections = 0;
    for (i, chunk) in log.chunks(500).enumerate() {
        for (j, entry) in chunk.iter().enumerate() {
            let index = (i * 500 + j) as u64 + 1;
            let replies = first.apply(index, entry);
            errors += replies.iter().filter(|r| r.is_error()).count();
            assert_eq!(replies, second.apply(index, entry), "entry {index}");
        }
        assert_eq!(first.encode_snapshot(), second.encode_snapshot());
        assert_eq!(probe(&first), probe(&second));
        collections += probe(&first)
            .iter()
            .filter(|r| matches!(r, Reply::Map(m) if !m.is_empty()))
            .count();
    }
    assert!(errors > 100, "error paths are exercised ({errors})");
    assert!(collections > 0, "hashes exist along the way");
}

#[test]
fn an_engine_restored_from_a_snapshot_ends_identical() {
    let log = entries(0xdead_5e75, 4000);
    let mut original = Engine::new();
    let mut restored: Option<Engine> = None;
    for (i, entry) in log.iter().enumerate() {
        let index = i as u64 + 1;
        let replies = original.apply(index, entry);
        if let Some(copy) = restored.as_mut() {
            assert_eq!(copy.apply(index, entry), replies, "entry {index}");
        }
        if index == 1777 {
            let bytes = original.encode_snapshot();
            let copy = Engine::decode_snapshot(&bytes).expect("snapshot decodes");
            assert_eq!(copy.encode_snapshot(), bytes);
            assert_eq!(probe(&copy), probe(&original));
            restored = Some(copy);
        }
    }
    let restored = restored.expect("snapshot taken");
    assert_eq!(restored.encode_snapshot(), original.encode_snapshot());
    assert_eq!(restored, original);
}

#[test]
fn decode_rejects_truncated_and_survives_corrupt_snapshots() {
    let mut engine = Engine::new();
    for (i, entry) in entries(11, 400).iter().enumerate() {
        engine.apply(i as u64 + 1, entry);
    }
    let bytes = engine.encode_snapshot();
    assert!(bytes.len() > 2000, "the state holds collections");
    // Every prefix near the start, then a sample of them (each decode reads the whole prefix).
    let stride = (bytes.len() / 4000).max(1);
    let lengths = (0..bytes.len().min(4000)).chain((4000..bytes.len()).step_by(stride));
    for len in lengths {
        assert!(
            Engine::decode_snapshot(&bytes[..len]).is_err(),
            "prefix of {len} bytes"
        );
    }
    let mut rng = XorShift(1234);
    for _ in 0..3000 {
        let mut corrupt = bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(corrupt.len() as u64) as usize;
            corrupt[at] ^= 1 << rng.below(8);
        }
        if let Ok(decoded) = Engine::decode_snapshot(&corrupt) {
            let _ = decoded.encode_snapshot();
            let _ = probe(&decoded);
        }
    }
}
