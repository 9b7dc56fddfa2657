//! LCS against redis-server 7.0, byte for byte: seeded random strings (at most 300 bytes, from
//! small alphabets so that they share runs, often one an edit of another), compared with no
//! option, LEN, IDX, MINMATCHLEN n, WITHMATCHLEN and their combinations, in any order and
//! case; missing keys, a key of another type, bad options and counts, wrong arity. Then a
//! scripted list of edge cases. `REDRAFT_DIFF_SEED` replays a run, `REDRAFT_DIFF_OPS` sets its
//! length.

use rand::rngs::StdRng;
use rand::Rng;
use redraft_tests::differential::Command;
use redraft_tests::differential_tests;
use redraft_tests::driver::{self, argv, c, mutate, pick, Against, Coverage, Ops, Program, Sides};

/// Ops of a run: against the engine, and against a follower (every SET is a Raft commit).
const OPS: Ops = Ops {
    engine: 3000,
    follower: 600,
};

/// The strings SET writes.
const STRING_KEYS: &[&str] = &["a", "b", "c"];
/// The keys LCS names: the strings, `e` (the empty string), `l` (a list), `none` (missing).
const LCS_KEYS: &[&str] = &["a", "b", "c", "a", "b", "c", "e", "l", "none"];
/// Alphabets: small ones share long runs, the last holds the bytes a protocol cares about.
const ALPHABETS: &[&[u8]] = &[
    b"ab",
    b"abc",
    b"ACGT",
    b"abcdefghijklmnopqrstuvwxyz",
    b"xy\r\n\0 ",
];
/// MINMATCHLEN's values, valid and not.
const MIN_LENS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "4",
    "6",
    "10",
    "-1",
    "-100",
    "abc",
    "1.5",
    "",
    "+2",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
];

struct Lcs {
    rng: StdRng,
    /// Strings written so far: a later one is often an edit of one of these.
    written: Vec<String>,
}

impl Lcs {
    fn words(&mut self) -> Vec<String> {
        if self.rng.random_range(0..10) < 3 {
            let value = self.value();
            self.written.push(value.clone());
            let key = pick(&mut self.rng, STRING_KEYS);
            vec!["SET".into(), key.into(), value]
        } else {
            lcs(&mut self.rng)
        }
    }

    /// A fresh random string, or an edit of one written before.
    fn value(&mut self) -> String {
        let rng = &mut self.rng;
        if !self.written.is_empty() && rng.random_bool(0.4) {
            let from = self.written[rng.random_range(0..self.written.len())].clone();
            return edited(rng, from);
        }
        let alphabet = ALPHABETS[rng.random_range(0..ALPHABETS.len())];
        let length = match rng.random_range(0..20) {
            0 => 0,
            1..=8 => rng.random_range(1..10),
            9..=17 => rng.random_range(10..60),
            _ => rng.random_range(60..=300),
        };
        random_string(rng, alphabet, length)
    }
}

fn random_string(rng: &mut StdRng, alphabet: &[u8], length: usize) -> String {
    (0..length)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// `from` with a few bytes changed, dropped or inserted, or cut at both ends; at most 300
/// bytes.
fn edited(rng: &mut StdRng, from: String) -> String {
    let mut bytes = from.into_bytes();
    for _ in 0..rng.random_range(1..6) {
        let at = rng.random_range(0..=bytes.len());
        match rng.random_range(0..4) {
            0 if at < bytes.len() => bytes[at] = b"abxyACGT"[rng.random_range(0..8)],
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 => {
                let cut = rng.random_range(0..=bytes.len() / 2);
                bytes.drain(..cut);
            }
            _ => bytes.insert(at, b"abcxyz"[rng.random_range(0..6)]),
        }
    }
    bytes.truncate(300);
    // Only ASCII bytes were written or inserted.
    String::from_utf8(bytes).expect("ASCII")
}

/// LCS of two keys with up to four options.
fn lcs(rng: &mut StdRng) -> Vec<String> {
    let mut words = vec![
        "LCS".into(),
        pick(rng, LCS_KEYS).into(),
        pick(rng, LCS_KEYS).into(),
    ];
    let options = match rng.random_range(0..10) {
        0..=1 => 0,
        2..=5 => 1,
        6..=8 => 2,
        _ => rng.random_range(3..=4),
    };
    for _ in 0..options {
        words.extend(option(rng));
    }
    words
}

fn option(rng: &mut StdRng) -> Vec<String> {
    let words = match rng.random_range(0..24) {
        0..=5 => vec!["IDX"],
        6..=8 => vec!["LEN"],
        9..=12 => vec!["WITHMATCHLEN"],
        13..=18 => vec!["MINMATCHLEN", pick(rng, MIN_LENS)],
        19 => vec!["MINMATCHLEN"],
        20..=21 => vec![pick(rng, &["idx", "len", "withMatchLen", "minmatchlen"])],
        _ => vec![pick(rng, &["FOO", "IDXX", "LENGTH", "", "MATCHLEN", "1"])],
    };
    words.into_iter().map(String::from).collect()
}

impl Program for Lcs {
    fn command(&mut self) -> Command {
        let words = self.words();
        argv(mutate(&mut self.rng, words))
    }

    /// The empty string and a list, for LCS to find.
    fn setup(&self) -> Vec<Command> {
        vec![
            argv(vec!["SET".into(), "e".into(), String::new()]),
            c("RPUSH l x"),
        ]
    }

    fn coverage(&self) -> Coverage {
        Coverage {
            commands: &["LCS", "SET"],
            replies_percent: 50,
            writes_percent: 15,
            uncompared: &[],
        }
    }
}

differential_tests!(
    random_lcs_commands_on_the_engine_reply_like_redis_byte_for_byte,
    random_lcs_commands_on_a_follower_reply_like_redis_byte_for_byte,
    |against| driver::run("lcs", 41, OPS, against, |rng| Lcs {
        rng,
        written: Vec::new(),
    })
);

/// Cases a random run reaches rarely or not at all, each line compared byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lcs_edge_cases_reply_like_redis() {
    let mut sides = Sides::start("lcs edge cases", 0, OPS, Against::Engine).await;
    sides
        .assert_same(&[
            "SET a ohmytext",
            "SET b mynewtext",
            "SET same abcabc",
            r#"SET spaced "a b\nc""#,
            "RPUSH l x",
            "LCS a b",
            "LCS a b LEN",
            "LCS a b IDX",
            "LCS a b IDX WITHMATCHLEN",
            "LCS a b IDX MINMATCHLEN 4",
            "LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN",
            "LCS a b WITHMATCHLEN MINMATCHLEN 2 IDX",
            "LCS a b MINMATCHLEN 4",
            "LCS a b LEN MINMATCHLEN 4",
            "LCS a b WITHMATCHLEN",
            "LCS a b IDX MINMATCHLEN 100",
            "LCS a b IDX MINMATCHLEN -5",
            "LCS a b IDX MINMATCHLEN 1 MINMATCHLEN 5",
            "LCS a b IDX IDX LEN",
            "LCS a b LEN IDX",
            "LCS a b LEN LEN",
            "LCS a b IDX MINMATCHLEN",
            "LCS a b MINMATCHLEN x IDX",
            "LCS a b IDX MINMATCHLEN 99999999999999999999",
            "LCS a b BOGUS",
            "LCS a a",
            "LCS a a IDX WITHMATCHLEN",
            "LCS same same IDX",
            "LCS a spaced IDX WITHMATCHLEN",
            "LCS spaced spaced",
            "LCS a none",
            "LCS none a IDX",
            "LCS none none",
            "LCS none none LEN",
            "LCS none none IDX WITHMATCHLEN",
            "LCS l a",
            "LCS a l",
            "LCS none l LEN",
            "LCS l l BOGUS",
            "LCS a",
            "lcs a b idx withmatchlen",
        ])
        .await;
}
