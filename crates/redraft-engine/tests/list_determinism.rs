//! Replicas that apply the same list commands reach the same bytes: a seeded sequence of list
//! commands (pushes, pops, moves, trims, errors against string keys, expiries) applied to two
//! engines, and to an engine restored from a snapshot taken mid-way. Corrupt snapshots are
//! errors, never panics.

use redraft_engine::{Argv, Engine, LogCommand, Op};

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
