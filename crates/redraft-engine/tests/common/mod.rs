//! The determinism checks every data type's test file runs with its own command generator:
//! two engines fed the same seeded entries agree byte for byte, an engine restored from a
//! snapshot mid-way ends identical, and truncated or corrupt snapshots are errors (or usable
//! values), never panics. A file declares `mod common;` and calls
//! `determinism_tests!(its_generator);`.

use redraft_engine::{Argv, Engine, LogCommand, Op, Run};

/// Generates the three determinism tests for a command generator.
#[macro_export]
macro_rules! determinism_tests {
    ($generator:path) => {
        #[test]
        fn two_engines_fed_the_same_entries_agree_byte_for_byte() {
            common::two_engines_fed_the_same_entries_agree_byte_for_byte($generator);
        }

        #[test]
        fn an_engine_restored_from_a_snapshot_mid_way_ends_identical() {
            common::an_engine_restored_from_a_snapshot_mid_way_ends_identical($generator);
        }

        #[test]
        fn truncated_or_corrupt_snapshots_are_errors_never_panics() {
            common::truncated_or_corrupt_snapshots_are_errors_never_panics($generator);
        }
    };
}

/// xorshift64*: a tiny, fixed pseudo-random generator (no dependency, same on every build).
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

pub fn random_entry(
    rng: &mut XorShift,
    now_ms: &mut u64,
    random_command: fn(&mut XorShift) -> Vec<String>,
) -> LogCommand {
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
        Op::Batch {
            runs: vec![Run {
                db: rng.below(2) as u32,
                cmds,
            }],
        }
    };
    LogCommand {
        now_ms: *now_ms,
        op,
    }
}

pub fn entries(
    seed: u64,
    count: usize,
    random_command: fn(&mut XorShift) -> Vec<String>,
) -> Vec<LogCommand> {
    let mut rng = XorShift(seed);
    let mut now_ms = 1_700_000_000_000;
    (0..count)
        .map(|_| random_entry(&mut rng, &mut now_ms, random_command))
        .collect()
}

pub fn two_engines_fed_the_same_entries_agree_byte_for_byte(
    random_command: fn(&mut XorShift) -> Vec<String>,
) {
    let log = entries(0x5eed_0001, 6000, random_command);
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

pub fn an_engine_restored_from_a_snapshot_mid_way_ends_identical(
    random_command: fn(&mut XorShift) -> Vec<String>,
) {
    let log = entries(0xdead_0002, 5000, random_command);
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

pub fn truncated_or_corrupt_snapshots_are_errors_never_panics(
    random_command: fn(&mut XorShift) -> Vec<String>,
) {
    let mut engine = Engine::new();
    for (i, entry) in entries(7, 800, random_command).iter().enumerate() {
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
            for (i, entry) in entries(8, 50, random_command).iter().enumerate() {
                decoded.apply(i as u64 + 1, entry);
            }
        }
    }
}
