//! List commands on the in-process engine against redis-server 7.0, byte for byte: seeded
//! random programs over a few list keys and a string key for WRONGTYPE, with wrong arity now
//! and then. `REDRAFT_DIFF_SEED` replays a run, `REDRAFT_DIFF_OPS` sets its length.

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

/// A comparison of its own for some commands: (command, redis-server's reply, the engine's
/// reply, the engine) → None to compare byte for byte.
type Special = fn(&Command, &[u8], &[u8]) -> Option<Result<(), String>>;

/// After every write, the whole of each key (`<range> key 0 -1 [WITHSCORES]`) is compared
/// too, so that a divergence shows at the command that caused it.
struct StateProbe {
    keys: &'static [&'static str],
    range: &'static str,
    withscores: bool,
}

async fn drive(
    salt: u64,
    what: &str,
    generate: fn(&mut StdRng) -> Vec<String>,
    special: Special,
    probe: StateProbe,
    on_follower: bool,
) {
    let against = if on_follower { "follower" } else { "engine" };
    let sides = Sides::start(what, salt, OPS_DEFAULT, FOLLOWER_OPS_DEFAULT, on_follower).await;
    let (seed, ops) = (sides.seed, sides.ops);
    let (mut redis, mut redraft) = (sides.redis, sides.redraft);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut recent = std::collections::VecDeque::new();
    let mut compared = 0;
    for op in 0..ops {
        let command: Command = generate(&mut rng)
            .into_iter()
            .map(String::into_bytes)
            .collect();
        let a = redis.call(&command).await.expect("redis-server reply");
        let b = redraft.call(&command).await;
        let mut outcome = match special(&command, &a, &b) {
            Some(outcome) => outcome,
            None => differential::equivalent(&command, &a, &b),
        };
        let wrote = resolve(&command).is_ok_and(|spec| spec.is_write());
        let check = wrote && outcome.is_ok();
        for key in probe.keys.iter().filter(|_| check) {
            let mut state: Command = vec![
                probe.range.into(),
                key.as_bytes().to_vec(),
                b"0".to_vec(),
                b"-1".to_vec(),
            ];
            if probe.withscores {
                state.push(b"WITHSCORES".to_vec());
            }
            let x = redis.call(&state).await.expect("redis-server reply");
            let y = redraft.call(&state).await;
            if x != y {
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

const KEYS: &[&str] = &["l1", "l2", "l3", "s", "none"];
const ITEMS: &[&str] = &["a", "b", "c", "", "1", "10", "a b", "-1"];
const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "-2",
    "3",
    "5",
    "-5",
    "100",
    "-100",
    "abc",
    "1.5",
    "",
    "9223372036854775807",
    "-9223372036854775808",
];

fn key(rng: &mut StdRng) -> String {
    pick(rng, KEYS).into()
}

fn item(rng: &mut StdRng) -> String {
    if rng.random_bool(0.03) {
        "x".repeat(100)
    } else {
        pick(rng, ITEMS).into()
    }
}

fn end(rng: &mut StdRng) -> String {
    pick(rng, &["LEFT", "RIGHT", "left", "UP"]).into()
}

fn generate(rng: &mut StdRng) -> Vec<String> {
    let mut c: Vec<String> = Vec::new();
    let name = pick(
        rng,
        &[
            "LPUSH",
            "RPUSH",
            "RPUSH",
            "LPUSHX",
            "RPUSHX",
            "LPOP",
            "RPOP",
            "LLEN",
            "LRANGE",
            "LRANGE",
            "LINDEX",
            "LSET",
            "LINSERT",
            "LREM",
            "LTRIM",
            "LPOS",
            "LPOS",
            "LMOVE",
            "RPOPLPUSH",
            "LMPOP",
            "SET",
            "DEL",
        ],
    );
    c.push(name.into());
    match name {
        "LPUSH" | "RPUSH" | "LPUSHX" | "RPUSHX" => {
            c.push(key(rng));
            for _ in 0..rng.random_range(1..5) {
                c.push(item(rng));
            }
        }
        "LPOP" | "RPOP" => {
            c.push(key(rng));
            if rng.random_bool(0.5) {
                c.push(pick(rng, &["0", "1", "2", "10", "-1", "abc"]).into());
            }
        }
        "LLEN" => c.push(key(rng)),
        "LRANGE" | "LTRIM" => c.extend([key(rng), pick(rng, INTS).into(), pick(rng, INTS).into()]),
        "LINDEX" => c.extend([key(rng), pick(rng, INTS).into()]),
        "LSET" => c.extend([key(rng), pick(rng, INTS).into(), item(rng)]),
        "LINSERT" => c.extend([
            key(rng),
            pick(rng, &["BEFORE", "AFTER", "after", "MIDDLE"]).into(),
            item(rng),
            item(rng),
        ]),
        "LREM" => c.extend([key(rng), pick(rng, INTS).into(), item(rng)]),
        "LPOS" => {
            c.extend([key(rng), item(rng)]);
            for _ in 0..rng.random_range(0..4) {
                let opt = pick(rng, &["RANK", "COUNT", "MAXLEN", "BOGUS"]);
                c.push(opt.into());
                if rng.random_bool(0.95) {
                    c.push(
                        pick(
                            rng,
                            &[
                                "0",
                                "1",
                                "2",
                                "-1",
                                "-2",
                                "3",
                                "abc",
                                "-9223372036854775808",
                            ],
                        )
                        .into(),
                    );
                }
            }
        }
        "LMOVE" => c.extend([key(rng), key(rng), end(rng), end(rng)]),
        "RPOPLPUSH" => c.extend([key(rng), key(rng)]),
        "LMPOP" => {
            let n = rng.random_range(1..4usize);
            c.push(match rng.random_range(0..20) {
                0 => "0".to_string(),
                1 => "x".to_string(),
                2 => (n + 2).to_string(),
                _ => n.to_string(),
            });
            for _ in 0..n {
                c.push(key(rng));
            }
            c.push(end(rng));
            if rng.random_bool(0.5) {
                c.extend([
                    "COUNT".into(),
                    pick(rng, &["1", "2", "10", "0", "-1", "x"]).into(),
                ]);
            }
        }
        "SET" => c.extend(["s".into(), "v".into()]),
        _ => c.push(key(rng)),
    }
    mutate(rng, c, true)
}

fn special(_: &Command, _: &[u8], _: &[u8]) -> Option<Result<(), String>> {
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_list_commands_on_the_engine_reply_like_redis_byte_for_byte() {
    let probe = StateProbe {
        keys: &["l1", "l2", "l3", "s"],
        range: "LRANGE",
        withscores: false,
    };
    drive(7, "list", generate, special, probe, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_list_commands_on_a_follower_reply_like_redis_byte_for_byte() {
    let probe = StateProbe {
        keys: &["l1", "l2", "l3", "s"],
        range: "LRANGE",
        withscores: false,
    };
    drive(7, "list", generate, special, probe, true).await;
}
