//! Replicas that apply the same bitmap and HyperLogLog commands reach the same bytes: a seeded
//! sequence of SETBIT/BITFIELD/BITOP/PFADD/PFMERGE and reads (errors against list keys and
//! strings that are not HLLs, expiries, sparse HLLs promoted to dense) applied to two engines,
//! and to an engine restored from a snapshot taken mid-way. Corrupt snapshots are errors,
//! never panics.

mod common;

use common::XorShift;

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
    let elements: Vec<String> = (0..rng.below(60))
        .map(|_| format!("e{}", rng.below(20_000)))
        .collect();
    let mut parts: Vec<String> = match rng.below(20) {
        0..=2 => vec!["SETBIT".into(), bkey, offset, rng.below(3).to_string()],
        3 => vec!["GETBIT".into(), bkey, offset],
        4 => vec![
            "BITCOUNT".into(),
            bkey,
            int.clone(),
            "-1".into(),
            "BIT".into(),
        ],
        5 => vec!["BITPOS".into(), bkey, rng.below(2).to_string(), int],
        6 => vec![
            "BITOP".into(),
            rng.pick(&["AND", "OR", "XOR"]).into(),
            "b1".into(),
            bkey,
            bother,
        ],
        7 => vec!["BITOP".into(), "NOT".into(), "b2".into(), bkey],
        8 | 9 => vec![
            "BITFIELD".into(),
            bkey,
            "OVERFLOW".into(),
            over,
            "INCRBY".into(),
            ty.clone(),
            offset.clone(),
            int,
            "GET".into(),
            ty,
            offset,
        ],
        10 => vec![
            "BITFIELD_RO".into(),
            bkey,
            "GET".into(),
            "u16".into(),
            offset,
        ],
        11..=13 => vec!["PFADD".into(), hkey],
        14 => vec!["PFCOUNT".into(), hkey, hother],
        15 => vec!["PFCOUNT".into(), hkey],
        16 => vec!["PFMERGE".into(), hkey, hother],
        17 => vec!["SET".into(), "str".into(), "plain".into()],
        18 => vec!["RPUSH".into(), "list".into(), "x".into()],
        _ => vec![
            rng.pick(&["DEL", "PEXPIRE"]).into(),
            rng.pick(&["b1", "b2", "h1", "h2"]).into(),
            "30".into(),
        ],
    };
    if parts[0] == "PFADD" {
        parts.extend(elements);
    }
    if parts[0] == "DEL" {
        parts.truncate(2);
    }
    parts
}

determinism_tests!(random_command);
