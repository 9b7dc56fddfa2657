//! Replicas that apply the same bitmap and HyperLogLog commands reach the same bytes: a seeded
//! sequence of SETBIT/BITFIELD/BITOP/PFADD/PFMERGE and reads (errors against list keys and
//! strings that are not HLLs, expiries, sparse HLLs promoted to dense) applied to two engines,
//! and to an engine restored from a snapshot taken mid-way. Corrupt snapshots are errors,
//! never panics.

mod common;

use common::{words, XorShift};

const BIT_KEYS: [&str; 4] = ["b1", "b2", "str", "list"];
const HLL_KEYS: [&str; 4] = ["h1", "h2", "str", "list"];

fn random_command(rng: &mut XorShift) -> Vec<String> {
    let bkey = rng.pick(&BIT_KEYS).to_string();
    let bother = rng.pick(&BIT_KEYS).to_string();
    let hkey = rng.pick(&HLL_KEYS).to_string();
    let hother = rng.pick(&HLL_KEYS).to_string();
    let offset = rng.below(400).to_string();
    let int = (rng.below(40) as i64 - 20).to_string();
    let ty = rng
        .pick(&["u8", "i8", "u1", "i64", "u63", "i5", "u65"])
        .to_string();
    let over = rng.pick(&["WRAP", "SAT", "FAIL"]).to_string();
    let elements: String = (0..rng.below(60))
        .map(|_| format!(" e{}", rng.below(20_000)))
        .collect();
    let line = match rng.below(20) {
        0..=2 => format!("SETBIT {bkey} {offset} {}", rng.below(3)),
        3 => format!("GETBIT {bkey} {offset}"),
        4 => format!("BITCOUNT {bkey} {int} -1 BIT"),
        5 => format!("BITPOS {bkey} {} {int}", rng.below(2)),
        6 => {
            let op = rng.pick(&["AND", "OR", "XOR"]);
            format!("BITOP {op} b1 {bkey} {bother}")
        }
        7 => format!("BITOP NOT b2 {bkey}"),
        8 | 9 => {
            format!("BITFIELD {bkey} OVERFLOW {over} INCRBY {ty} {offset} {int} GET {ty} {offset}")
        }
        10 => format!("BITFIELD_RO {bkey} GET u16 {offset}"),
        11..=13 => format!("PFADD {hkey}{elements}"),
        14 => format!("PFCOUNT {hkey} {hother}"),
        15 => format!("PFCOUNT {hkey}"),
        16 => format!("PFMERGE {hkey} {hother}"),
        17 => "SET str plain".to_string(),
        18 => "RPUSH list x".to_string(),
        _ => match (
            rng.pick(&["DEL", "PEXPIRE"]),
            rng.pick(&["b1", "b2", "h1", "h2"]),
        ) {
            ("DEL", key) => format!("DEL {key}"),
            (command, key) => format!("{command} {key} 30"),
        },
    };
    words(&line)
}

determinism_tests!(random_command);
