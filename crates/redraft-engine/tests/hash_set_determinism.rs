//! Replicas that apply the same entries must reach the same bytes, for hashes and sets too:
//! seeded sequences of hash and set commands (random-choice ones included: SPOP draws from the
//! entry's seed) applied to two engines, and to an engine restored from a snapshot midway, give
//! equal replies and byte-identical snapshots; damaged snapshots are refused, never a panic.

use redraft_engine::{Engine, Reply};

mod common;

use common::{read_all, words, Agree, Corrupt, Cuts, Damage, Restore, Shape, Spec, XorShift};

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
    let line = match rng.below(34) {
        0 => format!("HSET {key} {a} {b} {c} {a}"),
        1 => format!("HSETNX {key} {a} {b}"),
        2 => format!("HMSET {key} {a} {b}"),
        3 => format!("HDEL {key} {a} {b}"),
        4 => format!("HINCRBY {key} {a} {count}"),
        5 => format!("HINCRBYFLOAT {key} {a} 0.1"),
        6 => format!("HGETALL {key}"),
        7 => format!("HRANDFIELD {key} {count} WITHVALUES"),
        8 => format!("HRANDFIELD {key}"),
        9 => format!("HSCAN {key} 0 COUNT 3"),
        10 | 11 => format!("SADD {key} {a} {b} {c}"),
        12 => format!("SREM {key} {a} {b}"),
        13 => format!("SPOP {key}"),
        14 => format!("SPOP {key} {count}"),
        15 => format!("SRANDMEMBER {key} {count}"),
        16 => format!("SMOVE {key} {other} {a}"),
        17 => format!("SINTERSTORE {key} {other} {third}"),
        18 => format!("SUNIONSTORE {key} {other} {third}"),
        19 => format!("SDIFFSTORE {key} {other} {third}"),
        20 => format!("SINTER {key} {other}"),
        21 => format!("SUNION {key} {other}"),
        22 => format!("SDIFF {key} {other} {third}"),
        23 => format!("SINTERCARD 2 {key} {other} LIMIT {count}"),
        24 => format!("SMEMBERS {key}"),
        25 => format!("SSCAN {key} 0 MATCH m*"),
        26 => format!("SMISMEMBER {key} {a} {b}"),
        27 => format!("DEL {key}"),
        28 => format!("PEXPIRE {key} 50"),
        29 => format!("SET {key} v"),
        30 => format!("RENAME {key} {other}"),
        // Grow a collection past its compact encoding's limit now and then.
        31 => format!(
            "HSET {key}{}",
            (0..520).map(|i| format!(" f{i} v")).collect::<String>()
        ),
        32 => format!(
            "SADD {key}{}",
            (0..520).map(|i| format!(" {i}")).collect::<String>()
        ),
        _ => format!("HLEN {key}"),
    };
    words(&line)
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
