//! Replicas that apply the same bitmap and HyperLogLog commands reach the same bytes: a seeded
//! sequence of SETBIT/BITFIELD/BITOP/PFADD/PFMERGE and reads (errors against list keys and
//! strings that are not HLLs, expiries, sparse HLLs promoted to dense) applied to two engines,
//! and to an engine restored from a snapshot taken mid-way. Corrupt snapshots are errors,
//! never panics.

use redraft_engine::{Argv, Engine, LogCommand, Op};

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
