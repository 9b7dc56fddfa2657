//! Replicas that apply the same stream entries reach the same bytes: seeded random stream
//! commands (auto IDs, trims, groups, claims — all time-dependent) applied to two engines,
//! and to an engine restored from a snapshot mid-way, give equal replies and snapshots.

use redraft_engine::{Argv, Engine, LogCommand, ReadContext, Reply};

// Only the generator is shared here: these files also compare read probes, which the
// common driver does not.
#[allow(dead_code)]
mod common;

use common::XorShift;

const KEYS: [&str; 3] = ["s1", "s2", "str"];
const GROUPS: [&str; 2] = ["g1", "g2"];
const CONSUMERS: [&str; 3] = ["a", "b", "c"];

fn random_command(rng: &mut XorShift, now_ms: u64) -> Vec<String> {
    let key = rng.pick(&KEYS).to_string();
    let group = rng.pick(&GROUPS).to_string();
    let consumer = rng.pick(&CONSUMERS).to_string();
    let id = match rng.below(4) {
        0 => "-".to_string(),
        1 => "+".to_string(),
        _ => format!("{}-{}", now_ms - rng.below(2000), rng.below(3)),
    };
    let value = "v".repeat(rng.below(300) as usize);
    let small = rng.below(150).to_string();
    let parts: Vec<&str> = match rng.below(22) {
        0..=4 => vec!["XADD", &key, "*", "f", &value, "n", &small],
        5 => vec!["XADD", &key, "MAXLEN", "~", &small, "*", "f", &small],
        6 => vec!["XADD", &key, &id, "f", "v"],
        7 => vec!["XTRIM", &key, "MAXLEN", rng.pick(&["~", "="]), &small],
        8 => vec!["XTRIM", &key, "MINID", "~", &id],
        9 => vec!["XDEL", &key, &id],
        10 => vec![
            "XGROUP",
            "CREATE",
            &key,
            &group,
            rng.pick(&["0", "$"]),
            "MKSTREAM",
        ],
        11 => vec!["XGROUP", "SETID", &key, &group, &id],
        12 => vec![
            "XGROUP",
            rng.pick(&["CREATECONSUMER", "DELCONSUMER"]),
            &key,
            &group,
            &consumer,
        ],
        13 | 14 => vec![
            "XREADGROUP",
            "GROUP",
            &group,
            &consumer,
            "COUNT",
            &small,
            "STREAMS",
            &key,
            ">",
        ],
        15 => vec![
            "XREADGROUP",
            "GROUP",
            &group,
            &consumer,
            "STREAMS",
            &key,
            "0",
        ],
        16 => vec!["XACK", &key, &group, &id],
        17 => vec![
            "XCLAIM", &key, &group, &consumer, "10", &id, "-", "IDLE", &small,
        ],
        18 => vec![
            "XAUTOCLAIM",
            &key,
            &group,
            &consumer,
            &small,
            "-",
            "COUNT",
            "3",
        ],
        19 => vec!["XSETID", &key, &id],
        20 => vec!["SET", "str", "v"],
        _ => vec!["DEL", &key],
    };
    parts.into_iter().map(str::to_string).collect()
}

fn entries(seed: u64, count: usize) -> Vec<LogCommand> {
    let mut rng = XorShift(seed);
    let mut now_ms: u64 = 1_700_000_000_000;
    (0..count)
        .map(|_| {
            now_ms += rng.below(5);
            let cmds: Vec<Argv> = (0..1 + rng.below(3))
                .map(|_| {
                    random_command(&mut rng, now_ms)
                        .into_iter()
                        .map(String::into_bytes)
                        .collect()
                })
                .collect();
            // Now and then the leader's clock is behind.
            LogCommand::run(now_ms - rng.below(2) * 10, 0, cmds)
        })
        .collect()
}

/// Reads every replica must answer alike at the same applied index.
fn probe(engine: &Engine) -> Vec<Reply> {
    let context = ReadContext {
        now_ms: engine.now_ms(),
        seed: 1,
    };
    let reads: [&[&str]; 6] = [
        &["XINFO", "STREAM", "s1", "FULL"],
        &["XINFO", "GROUPS", "s2"],
        &["XINFO", "CONSUMERS", "s1", "g1"],
        &["XPENDING", "s1", "g1", "-", "+", "100"],
        &["XRANGE", "s2", "-", "+"],
        &["XREAD", "STREAMS", "s1", "s2", "0", "0"],
    ];
    reads
        .iter()
        .map(|parts| {
            let argv: Argv = parts.iter().map(|p| p.as_bytes().to_vec()).collect();
            engine.read(0, &argv, context)
        })
        .collect()
}

#[test]
fn two_engines_fed_the_same_stream_entries_agree_byte_for_byte() {
    let log = entries(0x57_2ea3, 4000);
    let mut first = Engine::new();
    let mut second = Engine::new();
    let mut index = 0;
    let mut successes = 0;
    for chunk in log.chunks(400) {
        for entry in chunk {
            index += 1;
            let replies = first.apply(index, entry);
            successes += replies.iter().filter(|r| !r.is_error()).count();
            assert_eq!(replies, second.apply(index, entry), "entry {index}");
        }
        assert_eq!(first.encode_snapshot(), second.encode_snapshot());
        assert_eq!(probe(&first), probe(&second));
    }
    assert!(
        successes > 2000,
        "the sequence mostly succeeds ({successes})"
    );
}

#[test]
fn an_engine_restored_mid_way_ends_identical() {
    let log = entries(0xbeef, 3000);
    let mut original = Engine::new();
    let mut restored: Option<Engine> = None;
    for (i, entry) in log.iter().enumerate() {
        let index = i as u64 + 1;
        let replies = original.apply(index, entry);
        if let Some(copy) = restored.as_mut() {
            assert_eq!(copy.apply(index, entry), replies, "entry {index}");
        }
        if index == 1500 {
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
fn truncated_stream_snapshots_are_errors_and_corrupt_ones_never_panic() {
    let mut engine = Engine::new();
    for (i, entry) in entries(11, 300).iter().enumerate() {
        engine.apply(i as u64 + 1, entry);
    }
    let bytes = engine.encode_snapshot();
    for len in (0..bytes.len()).step_by(7) {
        assert!(
            Engine::decode_snapshot(&bytes[..len]).is_err(),
            "prefix {len}"
        );
    }
    let mut rng = XorShift(5);
    let later = entries(12, 50);
    for _ in 0..1000 {
        let mut corrupt = bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(corrupt.len() as u64) as usize;
            corrupt[at] ^= 1 << rng.below(8);
        }
        if let Ok(mut decoded) = Engine::decode_snapshot(&corrupt) {
            let _ = probe(&decoded);
            for (i, entry) in later.iter().enumerate() {
                decoded.apply(10_000 + i as u64, entry);
            }
            let _ = decoded.encode_snapshot();
        }
    }
}
