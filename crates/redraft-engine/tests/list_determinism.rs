//! Replicas that apply the same list commands reach the same bytes: a seeded sequence of list
//! commands (pushes, pops, moves, trims, errors against string keys, expiries) applied to two
//! engines, and to an engine restored from a snapshot taken mid-way. Corrupt snapshots are
//! errors, never panics.

mod common;

use common::XorShift;

const KEYS: [&str; 5] = ["l1", "l2", "l3", "str", "gone"];
const ITEMS: [&str; 6] = ["a", "b", "c", "", "10", "long-element-xxxxxxxxxxxxxxxx"];

fn random_command(rng: &mut XorShift) -> Vec<String> {
    let key = rng.pick(&KEYS).to_string();
    let other = rng.pick(&KEYS).to_string();
    let item = rng.pick(&ITEMS).to_string();
    let int = (rng.below(12) as i64 - 6).to_string();
    let end = rng.pick(&["LEFT", "RIGHT"]).to_string();
    let end2 = rng.pick(&["LEFT", "RIGHT"]).to_string();
    let parts: Vec<&str> = match rng.below(22) {
        0 | 1 => vec!["RPUSH", &key, &item, &item, "x"],
        2 => vec!["LPUSH", &key, &item],
        3 => vec!["LPUSHX", &key, &item],
        4 => vec!["RPUSHX", &key, &item],
        5 => vec!["LPOP", &key],
        6 => vec!["RPOP", &key, &int],
        7 => vec!["LRANGE", &key, &int, "-1"],
        8 => vec!["LINDEX", &key, &int],
        9 => vec!["LSET", &key, &int, &item],
        10 => vec!["LINSERT", &key, "BEFORE", &item, "ins"],
        11 => vec!["LREM", &key, &int, &item],
        12 => vec!["LTRIM", &key, &int, "-2"],
        13 => vec!["LPOS", &key, &item, "RANK", "-1", "COUNT", "0"],
        14 => vec!["LMOVE", &key, &other, &end, &end2],
        15 => vec!["RPOPLPUSH", &key, &other],
        16 => vec!["LMPOP", "2", &key, &other, &end, "COUNT", "2"],
        17 => vec!["LLEN", &key],
        18 => vec!["SET", "str", "v"],
        19 => vec!["PEXPIRE", &key, "30"],
        20 => vec!["DEL", &key],
        _ => vec!["LPOS", &key, &item],
    };
    parts.into_iter().map(str::to_string).collect()
}

determinism_tests!(random_command);
