//! Replicas that apply the same entries must reach the same bytes: a long seeded sequence of
//! mixed string and key commands (with TTLs, errors, sweeps and flushes) is applied to two
//! engines and to engines restored from snapshots taken along the way.

use redraft_engine::{Engine, Reply};

mod common;

use common::{read_all, Agree, Corrupt, Cuts, Damage, Restore, Shape, Spec, XorShift};

const KEYS: [&str; 8] = ["a", "b", "c", "counter", "f", "user:1", "user:2", "x"];
const VALUES: [&str; 8] = [
    "v",
    "",
    "10",
    "-3",
    "1.5",
    "abc",
    "9223372036854775807",
    "0",
];

fn random_command(rng: &mut XorShift) -> Vec<String> {
    let key = rng.pick(&KEYS).to_string();
    let other = rng.pick(&KEYS).to_string();
    let value = rng.pick(&VALUES).to_string();
    let small = rng.below(200).to_string();
    let parts: Vec<&str> = match rng.below(28) {
        0 => vec!["SET", &key, &value],
        1 => vec!["SET", &key, &value, "PX", &small],
        2 => vec!["SET", &key, &value, "NX", "GET", "EX", "1"],
        3 => vec!["SET", &key, &value, "XX", "KEEPTTL"],
        4 => vec!["SET", &key, &value, "EX", "0"],
        5 => vec!["SETNX", &key, &value],
        6 => vec!["PSETEX", &key, &small, &value],
        7 => vec!["GETSET", &key, &value],
        8 => vec!["GETDEL", &key],
        9 => vec!["GETEX", &key, "PX", &small],
        10 => vec!["GETEX", &key, "PERSIST"],
        11 => vec!["MSET", &key, &value, &other, &small],
        12 => vec!["MSETNX", &key, &value, &other, &small],
        13 => vec!["APPEND", &key, &value],
        14 => vec!["INCR", &key],
        15 => vec!["DECRBY", &key, &small],
        16 => vec!["INCRBYFLOAT", &key, "0.1"],
        17 => vec!["SETRANGE", &key, &small, &value],
        18 => vec!["DEL", &key, &other],
        19 => vec!["PEXPIRE", &key, &small],
        20 => vec!["EXPIRE", &key, "-1"],
        21 => vec![
            "PEXPIRE",
            &key,
            &small,
            rng.pick(&["NX", "XX", "GT", "LT", "FOO"]),
        ],
        22 => vec!["PERSIST", &key],
        23 => vec!["RENAME", &key, &other],
        24 => vec!["RENAMENX", &key, &other],
        25 => vec!["UNLINK", &key],
        26 => vec![rng.pick(&["GET", "MGET", "TTL", "EXISTS", "STRLEN"]), &key],
        _ => vec![rng.pick(&["FLUSHDB", "NOSUCHCOMMAND", "INCRBY"])],
    };
    parts.into_iter().map(str::to_string).collect()
}

/// Reads that every replica must answer alike at the same applied index.
fn probe(engine: &Engine) -> Vec<Reply> {
    let reads = ["KEYS *", "SCAN 0 COUNT 3", "DBSIZE", "RANDOMKEY"].map(String::from);
    read_all(engine, 3, 42, &reads)
}

/// The sequence ends with some keys.
fn some_keys_live(engine: &Engine) -> Result<(), String> {
    let keys = read_all(engine, 3, 0, &["KEYS *".into()]);
    if keys.iter().any(|reply| *reply != Reply::Array(Vec::new())) {
        Ok(())
    } else {
        Err(format!("no keys: {keys:?}"))
    }
}

determinism_tests!(spec: Spec {
    shape: Shape {
        sweep_one_in: 10,
        dbs: 3,
        // Now and then the leader's clock is behind: the engine must not go back in time.
        behind: Some((3, 30)),
        ..Spec::SHAPE
    },
    probe,
    agree: Agree {
        seed: 0x5eed_1234,
        entries: 4000,
        errors_over: 100,
        ends_with: some_keys_live,
        ..Spec::AGREE
    },
    restore: Restore {
        seed: 0xdead_beef,
        entries: 3000,
        at: 1234,
    },
    damage: Damage {
        entries: 300,
        cuts: Cuts::Every(1),
        corruptions: 2000,
        corrupt: Corrupt::FlipBits,
        later: None,
        ..Spec::DAMAGE
    },
    ..Spec::new(|rng, _| random_command(rng))
});
