//! Replicas that apply the same entries must reach the same bytes: a long seeded sequence of
//! mixed string and key commands (with TTLs, errors, sweeps and flushes) is applied to two
//! engines and to engines restored from snapshots taken along the way.

use redraft_engine::{Argv, Engine, LogCommand, Op, ReadContext, Reply, Run};

// Only the generator is shared here: these files also compare read probes, which the
// common driver does not.
#[allow(dead_code)]
mod common;

use common::XorShift;

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

fn random_entry(rng: &mut XorShift, now_ms: &mut u64) -> LogCommand {
    *now_ms += rng.below(40);
    let op = if rng.below(10) == 0 {
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
                db: rng.below(3) as u32,
                cmds,
            }],
        }
    };
    // Now and then the leader's clock is behind: the engine must not go back in time.
    let stamped = now_ms.saturating_sub(rng.below(3) * 30);
    LogCommand {
        now_ms: stamped,
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

/// Reads that every replica must answer alike at the same applied index.
fn probe(engine: &Engine) -> Vec<Reply> {
    let context = ReadContext {
        now_ms: engine.now_ms(),
        seed: 42,
    };
    let reads: [&[&str]; 4] = [
        &["KEYS", "*"],
        &["SCAN", "0", "COUNT", "3"],
        &["DBSIZE"],
        &["RANDOMKEY"],
    ];
    (0..3)
        .flat_map(|db| {
            reads.iter().map(move |parts| {
                let argv: Argv = parts.iter().map(|p| p.as_bytes().to_vec()).collect();
                engine.read(db, &argv, context)
            })
        })
        .collect()
}

#[test]
fn two_engines_fed_the_same_entries_agree_byte_for_byte() {
    let log = entries(0x5eed_1234, 4000);
    let mut first = Engine::new();
    let mut second = Engine::new();
    let mut errors = 0;
    let mut index = 0;
    // Compare whole states at the end of every chunk of entries.
    for chunk in log.chunks(500) {
        for entry in chunk {
            index += 1;
            let replies = first.apply(index, entry);
            errors += replies.iter().filter(|r| r.is_error()).count();
            assert_eq!(replies, second.apply(index, entry), "entry {index}");
        }
        assert_eq!(first.encode_snapshot(), second.encode_snapshot());
        assert_eq!(probe(&first), probe(&second));
    }
    assert_eq!(first.encode_snapshot(), second.encode_snapshot());
    assert!(
        errors > 100,
        "the sequence exercises error paths ({errors} errors)"
    );
    let live: usize = first
        .keyspace()
        .dbs
        .iter()
        .map(|db| db.len(first.now_ms()))
        .sum();
    assert!(live > 0, "the sequence ends with some keys");
}

#[test]
fn an_engine_restored_from_a_snapshot_ends_identical() {
    let log = entries(0xdead_beef, 3000);
    let mut original = Engine::new();
    let mut restored: Option<Engine> = None;
    for (i, entry) in log.iter().enumerate() {
        let index = i as u64 + 1;
        let replies = original.apply(index, entry);
        if let Some(copy) = restored.as_mut() {
            assert_eq!(copy.apply(index, entry), replies, "entry {index}");
        }
        if index == 1234 {
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
    for (i, entry) in entries(7, 300).iter().enumerate() {
        engine.apply(i as u64 + 1, entry);
    }
    let bytes = engine.encode_snapshot();
    for len in 0..bytes.len() {
        assert!(
            Engine::decode_snapshot(&bytes[..len]).is_err(),
            "prefix of {len} bytes"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Engine::decode_snapshot(&longer).is_err());
    let mut rng = XorShift(99);
    for _ in 0..2000 {
        let mut corrupt = bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(corrupt.len() as u64) as usize;
            corrupt[at] ^= 1 << rng.below(8);
        }
        // Must return, Ok or Err, without panicking; a decoded engine must be usable.
        if let Ok(decoded) = Engine::decode_snapshot(&corrupt) {
            let _ = decoded.encode_snapshot();
            let _ = probe(&decoded);
        }
    }
}
