//! Replicas that apply the same sorted-set commands reach the same bytes: a seeded sequence of
//! sorted-set commands (both encodings, random-choice ZRANDMEMBER, stores, pops, errors against
//! string keys, expiries) applied to two engines, and to an engine restored from a snapshot
//! taken mid-way. Corrupt snapshots are errors, never panics.

mod common;

use common::XorShift;

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
    let parts: Vec<&str> = match rng.below(26) {
        0..=3 => vec!["ZADD", &key, &score, &member, &score2, &member2],
        4 => vec![
            "ZADD",
            &key,
            rng.pick(&["NX", "XX", "GT", "LT", "CH"]),
            &score,
            &member,
        ],
        5 => vec!["ZINCRBY", &key, &score, &member],
        6 => vec!["ZREM", &key, &member, &member2],
        7 => vec!["ZRANGE", &key, &int, "-1", "WITHSCORES"],
        8 => vec![
            "ZRANGE", &key, "(0", "+inf", "BYSCORE", "REV", "LIMIT", "1", "5",
        ],
        9 => vec!["ZRANGEBYLEX", &key, "[m1", "(m5"],
        10 => vec!["ZRANGESTORE", &other, &key, "0", &int],
        11 => vec!["ZRANK", &key, &member, "WITHSCORE"],
        12 => vec!["ZREMRANGEBYRANK", &key, &int, "2"],
        13 => vec!["ZREMRANGEBYSCORE", &key, "-inf", "(0"],
        14 => vec!["ZPOPMIN", &key, "3"],
        15 => vec!["ZPOPMAX", &key],
        16 => vec!["ZMPOP", "2", &key, &other, "MAX", "COUNT", "2"],
        17 => vec!["ZRANDMEMBER", &key, &int, "WITHSCORES"],
        18 => vec!["ZRANDMEMBER", &key],
        19 => vec!["ZUNIONSTORE", &other, "2", &key, "z1", "WEIGHTS", "2", "-1"],
        20 => vec!["ZINTERSTORE", &other, "2", &key, "z2", "AGGREGATE", "MIN"],
        21 => vec!["ZDIFFSTORE", &other, "2", &key, "z3"],
        22 => vec!["ZSCAN", &key, "0", "COUNT", "5"],
        23 => vec!["SET", "str", "v"],
        24 => vec!["PEXPIRE", &key, "30"],
        _ => vec!["ZCOUNT", &key, "-inf", &score],
    };
    parts.into_iter().map(str::to_string).collect()
}

determinism_tests!(random_command);
