//! Replicas that apply the same entries must reach the same bytes, for hashes and sets too:
//! seeded sequences of hash and set commands (random-choice ones included: SPOP draws from the
//! entry's seed) applied to two engines, and to an engine restored from a snapshot midway, give
//! equal replies and byte-identical snapshots; damaged snapshots are refused, never a panic.

use redraft_engine::{Engine, Reply};

mod common;

use common::{read_all, Agree, Corrupt, Cuts, Damage, Restore, Shape, Spec, XorShift};

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

/// Reads (random ones with a fixed seed) that every replica must answer alike.
fn probe(engine: &Engine) -> Vec<Reply> {
    let reads: Vec<String> = KEYS
        .iter()
        .flat_map(|key| {
            [
                format!("HGETALL {key}"),
                format!("SMEMBERS {key}"),
                format!("HRANDFIELD {key} -3 WITHVALUES"),
                format!("SRANDMEMBER {key} 2"),
                format!("HSCAN {key} 0"),
                format!("SSCAN {key} 0 COUNT 2"),
            ]
        })
        .collect();
    read_all(engine, 2, 42, &reads)
}

/// Hashes exist at the end.
fn some_hashes(engine: &Engine) -> Result<(), String> {
    if probe(engine)
        .iter()
        .any(|reply| matches!(reply, Reply::Map(m) if !m.is_empty()))
    {
        Ok(())
    } else {
        Err("no hash".into())
    }
}

determinism_tests!(spec: Spec {
    shape: Shape {
        sweep_one_in: 12,
        ..Spec::SHAPE
    },
    probe,
    agree: Agree {
        seed: 0x5e75_0001,
        entries: 5000,
        errors_over: 100,
        ends_with: some_hashes,
        ..Spec::AGREE
    },
    restore: Restore {
        seed: 0xdead_5e75,
        entries: 4000,
        at: 1777,
    },
    damage: Damage {
        seed: 11,
        entries: 400,
        // The state holds collections.
        min_len: 2000,
        cuts: Cuts::DenseThenSpread(4000),
        corruptions: 3000,
        rng: 1234,
        corrupt: Corrupt::FlipBits,
        later: None,
    },
    ..Spec::new(|rng, _| random_command(rng))
});
