//! The determinism checks every data type's test file runs with its own command generator:
//! two engines fed the same seeded entries agree byte for byte (replies, snapshots along the
//! way, and the file's read probes), an engine restored from a snapshot mid-way ends identical,
//! and truncated or corrupt snapshots are errors (or usable values), never panics.
//!
//! A file declares `mod common;` and calls `determinism_tests!(its_generator);`, or
//! `determinism_tests!(spec: Spec { .. })` to set its log's shape, its probes, its lengths and
//! seeds, or what its runs must show ([`Spec`]; the defaults are [`Spec::new`]'s).

// Every test file uses a part of this module.
#![allow(dead_code)]

use redraft_engine::{Argv, Engine, LogCommand, Op, ReadContext, Reply, Run};

/// Generates the three determinism tests, for a command generator (`fn(&mut XorShift) ->
/// Vec<String>`) with the default [`Spec`], or for a whole `spec: Spec`.
#[macro_export]
macro_rules! determinism_tests {
    (spec: $spec:expr) => {
        #[test]
        fn two_engines_fed_the_same_entries_agree_byte_for_byte() {
            common::two_engines_fed_the_same_entries_agree_byte_for_byte(&$spec);
        }

        #[test]
        fn an_engine_restored_from_a_snapshot_mid_way_ends_identical() {
            common::an_engine_restored_from_a_snapshot_mid_way_ends_identical(&$spec);
        }

        #[test]
        fn truncated_or_corrupt_snapshots_are_errors_never_panics() {
            common::truncated_or_corrupt_snapshots_are_errors_never_panics(&$spec);
        }
    };
    ($generator:path) => {
        determinism_tests!(spec: common::Spec::new(|rng, _| $generator(rng)));
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

/// A command line split at single spaces: `c("XINFO STREAM s1 FULL")`.
pub fn c(line: &str) -> Argv {
    line.split(' ')
        .map(|word| word.as_bytes().to_vec())
        .collect()
}

/// A generated command line's words (split at single spaces: no argument may be empty or hold
/// a space).
pub fn words(line: &str) -> Vec<String> {
    line.split(' ').map(str::to_string).collect()
}

/// Reads `lines` in `dbs` at the engine's time, with a fixed seed (random reads included).
pub fn read_all(engine: &Engine, dbs: u32, seed: u64, lines: &[String]) -> Vec<Reply> {
    let context = ReadContext {
        now_ms: engine.now_ms(),
        seed,
        no_touch: false,
    };
    (0..dbs)
        .flat_map(|db| {
            lines
                .iter()
                .map(move |line| engine.read(db, &c(line), context))
        })
        .collect()
}

/// How entries are made of generated commands.
#[derive(Clone, Copy)]
pub struct Shape {
    /// The clock advances 0 to `tick - 1` ms before each entry.
    pub tick: u64,
    /// One entry in this many is an expiry sweep of 0 to 3 keys (0: none).
    pub sweep_one_in: u64,
    /// An entry's commands run in a database from 0 to `dbs - 1`.
    pub dbs: u64,
    /// The leader's clock behind now and then: an entry is stamped 0 to `n - 1` times `ms`
    /// early, for `Some((n, ms))`; the engine must not go back in time.
    pub behind: Option<(u64, u64)>,
}

/// Two engines fed the same entries: their replies, their snapshots and their probes agree
/// after every `every` entries.
#[derive(Clone, Copy)]
pub struct Agree {
    pub seed: u64,
    pub entries: usize,
    pub every: usize,
    /// The replies hold more than this many errors (error paths are exercised)...
    pub errors_over: usize,
    /// ...and more than this many successes.
    pub successes_over: usize,
    /// What the final state must show.
    pub ends_with: fn(&Engine) -> Result<(), String>,
}

/// An engine restored from the snapshot taken at entry `at` of `entries` ends identical.
#[derive(Clone, Copy)]
pub struct Restore {
    pub seed: u64,
    pub entries: usize,
    pub at: u64,
}

/// Which prefixes of a snapshot must be refused.
#[derive(Clone, Copy)]
pub enum Cuts {
    /// Every `n`-th one.
    Every(usize),
    /// Every one shorter than `n` bytes, then about `n` more spread over the rest.
    DenseThenSpread(usize),
}

/// How a snapshot is damaged.
#[derive(Clone, Copy)]
pub enum Corrupt {
    /// 1 to 4 bytes set to random values.
    SetBytes,
    /// 1 to 4 bits flipped.
    FlipBits,
}

/// The snapshot of `entries` from `seed` (longer than `min_len` bytes): its prefixes and its
/// length plus a byte are refused; `corruptions` damaged copies decode or are refused, and a
/// decoded one stays usable (probed, fed the `later` entries, encoded).
#[derive(Clone, Copy)]
pub struct Damage {
    pub seed: u64,
    pub entries: usize,
    pub min_len: usize,
    pub cuts: Cuts,
    pub corruptions: usize,
    pub rng: u64,
    pub corrupt: Corrupt,
    /// The seed of 50 entries fed to a decoded copy, and the log index of the first.
    pub later: Option<(u64, u64)>,
}

/// Everything the three tests take from a file.
pub struct Spec {
    /// The commands of one entry's run: generated from the generator and the entry's time.
    pub command: fn(&mut XorShift, u64) -> Vec<String>,
    pub shape: Shape,
    /// Reads every replica must answer alike at the same applied index (none by default).
    pub probe: fn(&Engine) -> Vec<Reply>,
    pub agree: Agree,
    pub restore: Restore,
    pub damage: Damage,
}

impl Spec {
    pub const SHAPE: Shape = Shape {
        tick: 40,
        sweep_one_in: 20,
        dbs: 2,
        behind: None,
    };

    pub const AGREE: Agree = Agree {
        seed: 0x5eed_0001,
        entries: 6000,
        every: 500,
        errors_over: 50,
        successes_over: 2000,
        ends_with: |_| Ok(()),
    };

    pub const RESTORE: Restore = Restore {
        seed: 0xdead_0002,
        entries: 5000,
        at: 2500,
    };

    pub const DAMAGE: Damage = Damage {
        seed: 7,
        entries: 800,
        min_len: 0,
        cuts: Cuts::Every(13),
        corruptions: 300,
        rng: 99,
        corrupt: Corrupt::SetBytes,
        later: Some((8, 1)),
    };

    pub const fn new(command: fn(&mut XorShift, u64) -> Vec<String>) -> Spec {
        Spec {
            command,
            shape: Self::SHAPE,
            probe: |_| Vec::new(),
            agree: Self::AGREE,
            restore: Self::RESTORE,
            damage: Self::DAMAGE,
        }
    }

    /// `count` entries from `seed`.
    pub fn entries(&self, seed: u64, count: usize) -> Vec<LogCommand> {
        let shape = self.shape;
        let mut rng = XorShift(seed);
        let mut now_ms = 1_700_000_000_000;
        (0..count)
            .map(|_| {
                now_ms += rng.below(shape.tick);
                let op = if shape.sweep_one_in > 0 && rng.below(shape.sweep_one_in) == 0 {
                    Op::ExpireSweep {
                        max_keys: rng.below(4) as u32,
                    }
                } else {
                    let cmds: Vec<Argv> = (0..1 + rng.below(3))
                        .map(|_| {
                            (self.command)(&mut rng, now_ms)
                                .into_iter()
                                .map(String::into_bytes)
                                .collect()
                        })
                        .collect();
                    let db = if shape.dbs > 1 {
                        rng.below(shape.dbs)
                    } else {
                        0
                    };
                    Op::Batch {
                        runs: vec![Run {
                            db: db as u32,
                            cmds,
                        }],
                    }
                };
                let stamped = match shape.behind {
                    Some((n, ms)) => now_ms.saturating_sub(rng.below(n) * ms),
                    None => now_ms,
                };
                LogCommand {
                    now_ms: stamped,
                    op,
                }
            })
            .collect()
    }
}

pub fn two_engines_fed_the_same_entries_agree_byte_for_byte(spec: &Spec) {
    let agree = spec.agree;
    let log = spec.entries(agree.seed, agree.entries);
    let mut first = Engine::new();
    let mut second = Engine::new();
    let (mut errors, mut successes) = (0, 0);
    let mut index = 0;
    for chunk in log.chunks(agree.every) {
        for entry in chunk {
            index += 1;
            let replies = first.apply(index, entry);
            errors += replies.iter().filter(|r| r.is_error()).count();
            successes += replies.iter().filter(|r| !r.is_error()).count();
            assert_eq!(replies, second.apply(index, entry), "entry {index}");
        }
        assert_eq!(first.encode_snapshot(), second.encode_snapshot());
        assert_eq!((spec.probe)(&first), (spec.probe)(&second));
    }
    assert_eq!(first.encode_snapshot(), second.encode_snapshot());
    assert!(
        errors > agree.errors_over,
        "the sequence exercises error paths ({errors} errors)"
    );
    assert!(
        successes > agree.successes_over,
        "the sequence exercises the paths that succeed ({successes} successes)"
    );
    if let Err(missing) = (agree.ends_with)(&first) {
        panic!("the final state: {missing}");
    }
}

pub fn an_engine_restored_from_a_snapshot_mid_way_ends_identical(spec: &Spec) {
    let restore = spec.restore;
    let log = spec.entries(restore.seed, restore.entries);
    let mut original = Engine::new();
    let mut restored: Option<Engine> = None;
    for (i, entry) in log.iter().enumerate() {
        let index = i as u64 + 1;
        let replies = original.apply(index, entry);
        if let Some(copy) = restored.as_mut() {
            assert_eq!(copy.apply(index, entry), replies, "entry {index}");
        }
        if index == restore.at {
            let bytes = original.encode_snapshot();
            let copy = Engine::decode_snapshot(&bytes).expect("snapshot decodes");
            assert_eq!(copy.encode_snapshot(), bytes);
            assert_eq!((spec.probe)(&copy), (spec.probe)(&original));
            restored = Some(copy);
        }
    }
    let restored = restored.expect("snapshot taken");
    assert_eq!(restored.encode_snapshot(), original.encode_snapshot());
    assert_eq!(restored, original);
}

pub fn truncated_or_corrupt_snapshots_are_errors_never_panics(spec: &Spec) {
    let damage = spec.damage;
    let mut engine = Engine::new();
    for (i, entry) in spec.entries(damage.seed, damage.entries).iter().enumerate() {
        engine.apply(i as u64 + 1, entry);
    }
    let bytes = engine.encode_snapshot();
    assert!(
        bytes.len() > damage.min_len,
        "the state holds collections ({} bytes)",
        bytes.len()
    );
    let len = bytes.len();
    let cuts: Vec<usize> = match damage.cuts {
        Cuts::Every(n) => (0..len).step_by(n).collect(),
        // Each decode reads the whole prefix: past `n` bytes, a sample.
        Cuts::DenseThenSpread(n) => (0..len.min(n))
            .chain((n..len).step_by((len / n).max(1)))
            .collect(),
    };
    for cut in cuts {
        assert!(
            Engine::decode_snapshot(&bytes[..cut]).is_err(),
            "prefix of {cut} bytes"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Engine::decode_snapshot(&longer).is_err(), "a byte too many");
    let (later, first) = match damage.later {
        Some((seed, first)) => (spec.entries(seed, 50), first),
        None => (Vec::new(), 0),
    };
    let mut rng = XorShift(damage.rng);
    for _ in 0..damage.corruptions {
        let mut corrupt = bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(corrupt.len() as u64) as usize;
            match damage.corrupt {
                Corrupt::SetBytes => corrupt[at] = rng.next() as u8,
                Corrupt::FlipBits => corrupt[at] ^= 1 << rng.below(8),
            }
        }
        // Decoding may succeed or fail; using what it built must not panic either.
        if let Ok(mut decoded) = Engine::decode_snapshot(&corrupt) {
            let _ = (spec.probe)(&decoded);
            for (i, entry) in later.iter().enumerate() {
                decoded.apply(first + i as u64, entry);
            }
            let _ = decoded.encode_snapshot();
        }
    }
}
