//! Replicas that apply the same sorted-set commands reach the same bytes: a seeded sequence of
//! sorted-set commands (both encodings, random-choice ZRANDMEMBER, stores, pops, errors against
//! string keys, expiries) applied to two engines, and to an engine restored from a snapshot
//! taken mid-way. Corrupt snapshots are errors, never panics.

mod common;

use common::{words, XorShift};

const KEYS: [&str; 5] = ["z1", "z2", "z3", "str", "gone"];
const SCORES: [&str; 9] = ["0", "-0", "1", "1.5", "-2", "inf", "-inf", "0.1", "1e20"];

fn random_command(rng: &mut XorShift) -> Vec<String> {
    let key = rng.pick(&KEYS).to_string();
    let other = rng.pick(&KEYS).to_string();
    // A few hundred members, so sets cross the 128-entry compact limit.
    let member = format!("m{}", rng.below(300));
    let member2 = format!("m{}", rng.below(300));
    let score = rng.pick(&SCORES).to_string();
    let score2 = rng.pick(&SCORES).to_string();
    let int = (rng.below(12) as i64 - 6).to_string();
    let line = match rng.below(26) {
        0..=3 => format!("ZADD {key} {score} {member} {score2} {member2}"),
        4 => format!(
            "ZADD {key} {} {score} {member}",
            rng.pick(&["NX", "XX", "GT", "LT", "CH"])
        ),
        5 => format!("ZINCRBY {key} {score} {member}"),
        6 => format!("ZREM {key} {member} {member2}"),
        7 => format!("ZRANGE {key} {int} -1 WITHSCORES"),
        8 => format!("ZRANGE {key} (0 +inf BYSCORE REV LIMIT 1 5"),
        9 => format!("ZRANGEBYLEX {key} [m1 (m5"),
        10 => format!("ZRANGESTORE {other} {key} 0 {int}"),
        11 => format!("ZRANK {key} {member} WITHSCORE"),
        12 => format!("ZREMRANGEBYRANK {key} {int} 2"),
        13 => format!("ZREMRANGEBYSCORE {key} -inf (0"),
        14 => format!("ZPOPMIN {key} 3"),
        15 => format!("ZPOPMAX {key}"),
        16 => format!("ZMPOP 2 {key} {other} MAX COUNT 2"),
        17 => format!("ZRANDMEMBER {key} {int} WITHSCORES"),
        18 => format!("ZRANDMEMBER {key}"),
        19 => format!("ZUNIONSTORE {other} 2 {key} z1 WEIGHTS 2 -1"),
        20 => format!("ZINTERSTORE {other} 2 {key} z2 AGGREGATE MIN"),
        21 => format!("ZDIFFSTORE {other} 2 {key} z3"),
        22 => format!("ZSCAN {key} 0 COUNT 5"),
        23 => "SET str v".to_string(),
        24 => format!("PEXPIRE {key} 30"),
        _ => format!("ZCOUNT {key} -inf {score}"),
    };
    words(&line)
}

determinism_tests!(random_command);
