//! Bitmap and HyperLogLog commands on the in-process engine against redis-server 7.0, byte for
//! byte: seeded random programs over a few bitmap and HLL keys (and a list key for WRONGTYPE),
//! with wrong arity now and then. `REDRAFT_DIFF_SEED` replays a run, `REDRAFT_DIFF_OPS` sets its length.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use redraft_engine::resolve;
use redraft_tests::differential::{self, Command};
use redraft_tests::raw::show;
use redraft_tests::type_differential::Sides;

const OPS_DEFAULT: usize = 3000;

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from.choose(rng).expect("non-empty")
}

/// Ops of the run against a follower (every write is a Raft commit); REDRAFT_DIFF_OPS scales it
/// in proportion to OPS_DEFAULT.
const FOLLOWER_OPS_DEFAULT: usize = 800;

/// Drops or adds arguments now and then (arity errors), except where Redis 7.0 and the
/// engine are known to differ (see `mutable`).
fn mutate(rng: &mut StdRng, mut c: Vec<String>, mutable: bool) -> Vec<String> {
    if !mutable {
        return c;
    }
    match rng.random_range(0..100) {
        0..=3 => {
            let keep = rng.random_range(1..=c.len());
            c.truncate(keep);
        }
        4..=5 => c.push("extra".into()),
        6..=8 => c[0] = c[0].to_lowercase(),
        _ => {}
    }
    c
}

/// The HLL cache bytes (8..16 of the header) are the one place the engine may differ: redis
/// fills them in on PFCOUNT (and a later write only sets their stale bit, keeping the old
/// count in the low bytes), the engine never does (PFCOUNT is a read). Two GET replies are
/// equivalent when equal, or when both are HLLs that differ only there, the engine's cache
/// being stale.
fn same_value(redis: &[u8], engine: &[u8]) -> bool {
    if redis == engine {
        return true;
    }
    let (Some(a), Some(b)) = (bulk(redis), bulk(engine)) else {
        return false;
    };
    a.len() == b.len()
        && a.len() >= 16
        && &a[..4] == b"HYLL"
        && a[..8] == b[..8]
        && a[16..] == b[16..]
        && b[15] & 0x80 != 0
}

fn bulk(reply: &[u8]) -> Option<&[u8]> {
    let body = reply.strip_prefix(b"$")?;
    let newline = body.iter().position(|&b| b == b'\r')?;
    let len: usize = std::str::from_utf8(&body[..newline]).ok()?.parse().ok()?;
    body.get(newline + 2..newline + 2 + len)
}

async fn drive(salt: u64, what: &str, generate: fn(&mut StdRng) -> Vec<String>, on_follower: bool) {
    let against = if on_follower { "follower" } else { "engine" };
    let sides = Sides::start(what, salt, OPS_DEFAULT, FOLLOWER_OPS_DEFAULT, on_follower).await;
    let (seed, ops) = (sides.seed, sides.ops);
    let (mut redis, mut redraft) = (sides.redis, sides.redraft);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut recent = std::collections::VecDeque::new();
    let mut compared = 0;
    for setup in [&["SET", "s", "not an hll"][..], &["RPUSH", "l", "x"]] {
        let setup: Command = setup.iter().map(|a| a.as_bytes().to_vec()).collect();
        let a = redis.call(&setup).await.expect("redis-server reply");
        assert_eq!(a, redraft.call(&setup).await);
    }
    for op in 0..ops {
        let command: Command = generate(&mut rng)
            .into_iter()
            .map(String::into_bytes)
            .collect();
        let a = redis.call(&command).await.expect("redis-server reply");
        let b = redraft.call(&command).await;
        let is_get = differential::name(&command) == "GET";
        // Marking a cache stale answers the cache bit as it was, which may differ.
        let stale_mark = command.len() == 4
            && command[0].eq_ignore_ascii_case(b"SETBIT")
            && command[2] == b"120"
            && command[1].starts_with(b"h");
        let mut outcome = if (is_get && same_value(&a, &b)) || (stale_mark && a.len() == b.len()) {
            Ok(())
        } else {
            differential::equivalent(&command, &a, &b)
        };
        let wrote = resolve(&command).is_ok_and(|spec| spec.is_write());
        let check = wrote && outcome.is_ok();
        for key in KEYS.iter().filter(|_| check) {
            let state: Command = vec![b"GET".to_vec(), key.as_bytes().to_vec()];
            let x = redis.call(&state).await.expect("redis-server reply");
            let y = redraft.call(&state).await;
            if !same_value(&x, &y) {
                outcome = Err(format!(
                    "state of {key} differs after the command:\nredis-server: {}\nredraft:      {}",
                    show(&x),
                    show(&y)
                ));
            }
        }
        if let Err(diff) = outcome {
            panic!(
                "MISMATCH ({what}, {against}) seed={seed} op={op}\ncommand: {}\n{diff}\nprevious commands (oldest first):\n{}",
                differential::show_command(&command),
                recent.iter().cloned().collect::<Vec<String>>().join("\n")
            );
        }
        compared += 1;
        recent.push_back(format!(
            "  op {op}: {} -> {}",
            differential::show_command(&command),
            show(&a)
        ));
        if recent.len() > 15 {
            recent.pop_front();
        }
    }
    assert_eq!(compared, ops);
}

/// Keys whose whole value is compared (GET) after every write.
const KEYS: &[&str] = &["b0", "b1", "b2", "h0", "h1", "h2"];
/// Bit commands never touch the HLL keys nor HLL commands the bitmap keys (other than for
/// errors): an HLL's cache bytes may legitimately differ (see `same_value`). `s` is a plain
/// string set before the run (a string that is not an HLL), `l` a list.
const BIT_KEYS: &[&str] = &["b0", "b1", "b2", "l", "none", "s"];
const HLL_KEYS: &[&str] = &["h0", "h1", "h2", "l", "s"];
const OFFSETS: &[&str] = &[
    "0",
    "1",
    "7",
    "8",
    "15",
    "31",
    "63",
    "64",
    "100",
    "-1",
    "abc",
    "1.5",
    "",
    "+1",
    "4294967296",
    "9223372036854775807",
    "#1",
    "#3",
];
const RANGE: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "-2",
    "3",
    "5",
    "-5",
    "7",
    "8",
    "9",
    "15",
    "-9",
    "17",
    "100",
    "-100",
    "abc",
    "9223372036854775807",
    "-9223372036854775808",
];
const INCRS: &[&str] = &[
    "0",
    "1",
    "-1",
    "5",
    "-5",
    "100",
    "-100",
    "127",
    "-128",
    "255",
    "256",
    "1000",
    "-1000",
    "9223372036854775807",
    "-9223372036854775808",
    "4611686018427387904",
    "x",
];
const TYPES: &[&str] = &[
    "u1", "u2", "u3", "u7", "u8", "u9", "u16", "u31", "u32", "u63", "i1", "i2", "i5", "i8", "i9",
    "i16", "i32", "i63", "i64", "u64", "i65", "u0", "x8", "I8", "U4", "",
];

fn pick_key(rng: &mut StdRng, keys: &[&str]) -> String {
    if rng.random_bool(0.9) {
        pick(rng, &keys[..3]).into()
    } else {
        pick(rng, keys).into()
    }
}

fn offset(rng: &mut StdRng) -> String {
    if rng.random_bool(0.6) {
        rng.random_range(0..300u32).to_string()
    } else {
        pick(rng, OFFSETS).into()
    }
}

fn unit(rng: &mut StdRng, c: &mut Vec<String>) {
    c.push(pick(rng, &["BIT", "BYTE", "bit", "byte", "BOTH"]).into());
}

fn element(rng: &mut StdRng, spread: u32) -> String {
    format!("e{}", rng.random_range(0..spread))
}

fn generate(rng: &mut StdRng) -> Vec<String> {
    let mut c: Vec<String> = Vec::new();
    let name = pick(
        rng,
        &[
            "SETBIT",
            "SETBIT",
            "SETBIT",
            "GETBIT",
            "BITCOUNT",
            "BITCOUNT",
            "BITPOS",
            "BITPOS",
            "BITOP",
            "BITFIELD",
            "BITFIELD",
            "BITFIELD_RO",
            "SET",
            "DEL",
            "PFADD",
            "PFADD",
            "PFADD",
            "PFCOUNT",
            "PFCOUNT",
            "PFMERGE",
            "GET",
            "HLLSET",
            "HLLSTALE",
            "HLLSTALE",
            "RPUSH",
        ],
    );
    c.push(name.into());
    match name {
        "SETBIT" => {
            c.extend([pick_key(rng, BIT_KEYS), offset(rng)]);
            c.push(pick(rng, &["0", "1", "1", "0", "2", "-1", "x", ""]).into());
        }
        "GETBIT" => c.extend([pick_key(rng, BIT_KEYS), offset(rng)]),
        "BITCOUNT" => {
            c.push(pick_key(rng, BIT_KEYS));
            match rng.random_range(0..5) {
                0 => {}
                1 => c.push(pick(rng, RANGE).into()),
                2 => c.extend([pick(rng, RANGE).into(), pick(rng, RANGE).into()]),
                _ => {
                    c.extend([pick(rng, RANGE).into(), pick(rng, RANGE).into()]);
                    unit(rng, &mut c);
                }
            }
        }
        "BITPOS" => {
            c.push(pick_key(rng, BIT_KEYS));
            c.push(pick(rng, &["0", "1", "1", "0", "2", "x"]).into());
            match rng.random_range(0..6) {
                0 => {}
                1 => c.push(pick(rng, RANGE).into()),
                2 => c.extend([pick(rng, RANGE).into(), pick(rng, RANGE).into()]),
                _ => {
                    c.extend([pick(rng, RANGE).into(), pick(rng, RANGE).into()]);
                    unit(rng, &mut c);
                }
            }
        }
        "BITOP" => {
            c.push(pick(rng, &["AND", "OR", "XOR", "NOT", "and", "NAND"]).into());
            // Never `s` or `l`: an empty result would delete them.
            c.push(pick(rng, &BIT_KEYS[..3]).into());
            for _ in 0..rng.random_range(1..4) {
                c.push(pick_key(rng, BIT_KEYS));
            }
        }
        "BITFIELD" | "BITFIELD_RO" => {
            c.push(pick_key(rng, BIT_KEYS));
            for _ in 0..rng.random_range(0..4) {
                let sub = if name == "BITFIELD_RO" && rng.random_bool(0.9) {
                    "GET"
                } else {
                    pick(
                        rng,
                        &["GET", "SET", "INCRBY", "INCRBY", "OVERFLOW", "get", "BOGUS"],
                    )
                };
                c.push(sub.into());
                match sub {
                    "OVERFLOW" => {
                        c.push(pick(rng, &["WRAP", "SAT", "FAIL", "fail", "NONE"]).into())
                    }
                    "BOGUS" => {}
                    _ => {
                        c.push(pick(rng, TYPES).into());
                        c.push(offset(rng));
                        if sub != "GET" && sub != "get" {
                            c.push(pick(rng, INCRS).into());
                        }
                    }
                }
            }
        }
        "SET" => c.extend([
            pick(rng, &BIT_KEYS[..3]).into(),
            pick(
                rng,
                &["hello", "", "\u{ff}\u{0}", "HYLL", "foobar", "12345"],
            )
            .into(),
        ]),
        // Hand-made HLLs, valid and corrupt (a cached count is trusted while valid). None ends
        // in half an XZERO: Redis then reads past the end of its string (see docs/commands.md).
        "HLLSET" => {
            let body = pick(
                rng,
                &[
                    "\u{7f}\u{7f}\u{40}\u{7f}",
                    "\u{7f}\u{7f}\u{3f}",
                    "\u{7f}\u{7f}\u{7f}\u{7f}",
                    "\u{7f}\u{7f}\u{3f}\u{3f}\u{3f}",
                    "",
                ],
            );
            let header = pick(
                rng,
                &[
                    "HYLL\u{1}\0\0\0\0\0\0\0\0\0\0\0",
                    "HYLL\u{1}\0\0\0\u{5}\0\0\0\0\0\0\0",
                    "HYLL\0\0\0\0\0\0\0\0\0\0\0\0",
                    "HYLL\u{2}\0\0\0\0\0\0\0\0\0\0\0",
                    "HYLL",
                ],
            );
            c[0] = "SET".into();
            c.extend([pick(rng, &HLL_KEYS[..3]).into(), format!("{header}{body}")]);
        }
        // Marks an HLL's cached count stale, the same on both sides.
        "HLLSTALE" => {
            c[0] = "SETBIT".into();
            c.extend([pick(rng, &HLL_KEYS[..3]).into(), "120".into(), "1".into()]);
        }
        "RPUSH" => c.extend(["l".into(), "x".into()]),
        "DEL" => c.push(pick(rng, KEYS).into()),
        "GET" => c.push(pick(rng, KEYS).into()),
        "PFADD" => {
            c.push(pick_key(rng, HLL_KEYS));
            // Now and then a big batch, so that HLLs cross the sparse → dense promotion.
            let (n, spread) = match rng.random_range(0..10) {
                0 => (rng.random_range(100..600), 200_000),
                1 => (0, 1),
                _ => (rng.random_range(1..8), 3000),
            };
            for _ in 0..n {
                c.push(element(rng, spread));
            }
        }
        "PFCOUNT" => {
            for _ in 0..rng.random_range(1..4) {
                c.push(pick_key(rng, HLL_KEYS));
            }
        }
        "PFMERGE" => {
            for _ in 0..rng.random_range(1..4) {
                c.push(pick_key(rng, HLL_KEYS));
            }
        }
        _ => unreachable!(),
    }
    mutate(rng, c, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bitmap_and_hll_commands_on_the_engine_reply_like_redis_byte_for_byte() {
    drive(11, "bits/hll", generate, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bitmap_and_hll_commands_on_a_follower_reply_like_redis_byte_for_byte() {
    drive(11, "bits/hll", generate, true).await;
}

/// Long PFADD sequences alone: PFCOUNT must equal redis-server's at every step through the
/// sparse → dense promotion, and the raw bytes after PFADD must be the same.
fn generate_hll(rng: &mut StdRng) -> Vec<String> {
    let mut c: Vec<String> = Vec::new();
    match rng.random_range(0..10) {
        0..=5 => {
            c.extend(["PFADD".into(), pick(rng, &HLL_KEYS[..3]).into()]);
            for _ in 0..rng.random_range(1..40) {
                c.push(element(rng, 1_000_000));
            }
        }
        6 | 7 => {
            c.push("PFCOUNT".into());
            for _ in 0..rng.random_range(1..4) {
                c.push(pick(rng, &HLL_KEYS[..3]).into());
            }
        }
        8 => {
            c.push("PFMERGE".into());
            for _ in 0..rng.random_range(1..4) {
                c.push(pick(rng, &HLL_KEYS[..3]).into());
            }
        }
        _ => c.extend(["GET".into(), pick(rng, &HLL_KEYS[..3]).into()]),
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hll_counts_and_bytes_match_redis_through_promotion() {
    drive(12, "hll", generate_hll, false).await;
}
