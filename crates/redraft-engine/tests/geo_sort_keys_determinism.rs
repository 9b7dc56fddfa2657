//! Replicas that apply the same geo, SORT and cross-type key commands reach the same bytes: a
//! seeded sequence of GEOADD/GEOSEARCH(STORE), SORT ... STORE, COPY, MOVE, SWAPDB, OBJECT and
//! errors against string keys, with expiries, applied to two engines, and to an engine
//! restored from a snapshot taken mid-way. Corrupt snapshots are errors, never panics.

use redraft_engine::{Argv, Engine, LogCommand, Op};

const KEYS: [&str; 6] = ["g1", "g2", "l1", "s1", "str", "gone"];
const LONS: [&str; 6] = ["13.36", "15.08", "-122.4", "0", "179.9", "-180"];
const LATS: [&str; 6] = ["38.11", "37.5", "37.77", "0", "-85.05", "85.05112878"];

fn random_command(rng: &mut XorShift) -> Vec<String> {
    let key = rng.pick(&KEYS).to_string();
    let other = rng.pick(&KEYS).to_string();
    let member = format!("m{}", rng.below(200));
    let lon = rng.pick(&LONS).to_string();
    let lat = rng.pick(&LATS).to_string();
    let jitter = format!("{}.{}", rng.below(20), rng.below(1000));
    let radius = rng.pick(&["1", "100", "500", "5000", "20000"]).to_string();
    let db = rng.below(3).to_string();
    let parts: Vec<&str> = match rng.below(24) {
        0..=3 => vec!["GEOADD", &key, &jitter, &lat, &member, &lon, &jitter, "p"],
        4 => vec![
            "GEOADD",
            &key,
            rng.pick(&["NX", "XX", "CH"]),
            &lon,
            &lat,
            &member,
        ],
        5 => vec!["GEOPOS", &key, &member, "p"],
        6 => vec!["GEOHASH", &key, &member],
        7 => vec!["GEODIST", &key, &member, "p", "km"],
        8 => vec![
            "GEOSEARCH",
            &key,
            "FROMLONLAT",
            &lon,
            &lat,
            "BYRADIUS",
            &radius,
            "km",
            "WITHDIST",
            "WITHCOORD",
            "WITHHASH",
        ],
        9 => vec![
            "GEOSEARCH",
            &key,
            "FROMMEMBER",
            &member,
            "BYBOX",
            &radius,
            &radius,
            "km",
            "DESC",
            "COUNT",
            "5",
        ],
        10 => vec![
            "GEOSEARCHSTORE",
            &other,
            &key,
            "FROMLONLAT",
            &lon,
            &lat,
            "BYRADIUS",
            &radius,
            "km",
            "STOREDIST",
        ],
        11 => vec!["RPUSH", "l1", &jitter, &member],
        12 => vec!["SADD", "s1", &member, &jitter],
        13 => vec!["SORT", &key, "ALPHA", "LIMIT", "0", "10", "STORE", &other],
        14 => vec!["SORT", &key, "BY", "nosort", "GET", "#", "DESC"],
        15 => vec!["SORT", &key],
        16 => vec!["COPY", &key, &other, "DB", &db, "REPLACE"],
        17 => vec!["MOVE", &key, &db],
        18 => vec!["SWAPDB", "0", &db],
        19 => vec!["OBJECT", "ENCODING", &key],
        20 => vec!["PEXPIRE", &key, "30"],
        21 => vec![
            "GEORADIUS",
            &key,
            &lon,
            &lat,
            &radius,
            "km",
            "COUNT",
            "3",
            "STOREDIST",
            &other,
        ],
        22 => vec![
            "GEORADIUSBYMEMBER_RO",
            &key,
            &member,
            &radius,
            "km",
            "WITHDIST",
        ],
        _ => vec!["SET", "str", &jitter],
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
