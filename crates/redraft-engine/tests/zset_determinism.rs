//! Replicas that apply the same sorted-set commands reach the same bytes: a seeded sequence of
//! sorted-set commands (both encodings, random-choice ZRANDMEMBER, stores, pops, errors against
//! string keys, expiries) applied to two engines, and to an engine restored from a snapshot
//! taken mid-way. Corrupt snapshots are errors, never panics.

use redraft_engine::{Argv, Engine, LogCommand, Op};

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

/// xorshift64*: a tiny, fixed pseudo-random generator (no dependency, same on every build).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn random_entry(rng: &mut XorShift, now_ms: &mut u64) -> LogCommand {
    *now_ms += rng.below(40);
    let op = if rng.below(20) == 0 {
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
        Op::Commands {
            db: rng.below(2) as u32,
            cmds,
        }
    };
    LogCommand {
        now_ms: *now_ms,
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

#[test]
fn two_engines_fed_the_same_entries_agree_byte_for_byte() {
    let log = entries(0x5eed_0001, 6000);
    let mut first = Engine::new();
    let mut second = Engine::new();
    let mut errors = 0;
    for (i, entry) in log.iter().enumerate() {
        let index = i as u64 + 1;
        let replies = first.apply(index, entry);
        errors += replies.iter().filter(|r| r.is_error()).count();
        assert_eq!(replies, second.apply(index, entry), "entry {index}");
        if index.is_multiple_of(500) {
            assert_eq!(first.encode_snapshot(), second.encode_snapshot());
        }
    }
    assert_eq!(first.encode_snapshot(), second.encode_snapshot());
    assert!(errors > 50, "the sequence exercises error paths ({errors})");
}

#[test]
fn an_engine_restored_from_a_snapshot_mid_way_ends_identical() {
    let log = entries(0xdead_0002, 5000);
    let mut original = Engine::new();
    let mut restored: Option<Engine> = None;
    for (i, entry) in log.iter().enumerate() {
        let index = i as u64 + 1;
        let replies = original.apply(index, entry);
        if let Some(copy) = restored.as_mut() {
            assert_eq!(copy.apply(index, entry), replies, "entry {index}");
        }
        if index == 2500 {
            let bytes = original.encode_snapshot();
            let copy = Engine::decode_snapshot(&bytes).expect("snapshot decodes");
            assert_eq!(copy.encode_snapshot(), bytes);
            restored = Some(copy);
        }
    }
    let restored = restored.expect("snapshot taken");
    assert_eq!(restored.encode_snapshot(), original.encode_snapshot());
    assert_eq!(restored, original);
}

#[test]
fn truncated_or_corrupt_snapshots_are_errors_never_panics() {
    let mut engine = Engine::new();
    for (i, entry) in entries(7, 800).iter().enumerate() {
        engine.apply(i as u64 + 1, entry);
    }
    let bytes = engine.encode_snapshot();
    for cut in (0..bytes.len()).step_by(13) {
        assert!(Engine::decode_snapshot(&bytes[..cut]).is_err(), "cut {cut}");
    }
    let mut rng = XorShift(99);
    for _ in 0..300 {
        let mut corrupt = bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(corrupt.len() as u64) as usize;
            corrupt[at] = rng.next() as u8;
        }
        // Decoding may succeed or fail; using what it built must not panic either.
        if let Ok(mut decoded) = Engine::decode_snapshot(&corrupt) {
            for (i, entry) in entries(8, 50).iter().enumerate() {
                decoded.apply(i as u64 + 1, entry);
            }
        }
    }
}
