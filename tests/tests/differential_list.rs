//! List commands on the in-process engine against redis-server 7.0, byte for byte: seeded
//! random programs over a few list keys and a string key for WRONGTYPE, with wrong arity now
//! and then. `REDRAFT_DIFF_SEED` replays a run, `REDRAFT_DIFF_OPS` sets its length.

use rand::rngs::StdRng;
use rand::Rng;
use redraft_tests::differential::Command;
use redraft_tests::differential_tests;
use redraft_tests::driver::{self, argv, c, mutate, pick, Coverage, Ops, Program, Sides};

/// Ops of a run: against the engine, and against a follower (every write is a Raft commit).
const OPS: Ops = Ops {
    engine: 3000,
    follower: 800,
};

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

/// The commands of the program, some more often than others.
const NAMES: &[&str] = &[
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
];

fn generate(rng: &mut StdRng) -> Vec<String> {
    let mut c: Vec<String> = Vec::new();
    let name = pick(rng, NAMES);
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
    mutate(rng, c)
}

/// The list program: after every write, each key's whole list agrees too, so that a
/// divergence shows at the command that caused it.
struct Lists {
    rng: StdRng,
}

impl Program for Lists {
    fn command(&mut self) -> Command {
        argv(generate(&mut self.rng))
    }

    fn coverage(&self) -> Coverage {
        Coverage {
            commands: NAMES,
            replies_percent: 50,
            writes_percent: 50,
            ..Coverage::default()
        }
    }

    async fn after_write(&mut self, sides: &mut Sides, _: &Command) -> Result<(), String> {
        let lists = ["l1", "l2", "l3", "s"].map(|key| c(&format!("LRANGE {key} 0 -1")));
        sides.agree_on(&lists, |a, b| a == b).await
    }
}

differential_tests!(
    random_list_commands_on_the_engine_reply_like_redis_byte_for_byte,
    random_list_commands_on_a_follower_reply_like_redis_byte_for_byte,
    |against| driver::run("list", 7, OPS, against, |rng| Lists { rng })
);
