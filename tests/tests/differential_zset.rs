//! Sorted-set commands on the in-process engine against redis-server 7.0, byte for byte:
//! seeded random programs over a few sorted-set keys (crossing the 128-entry compact limit),
//! two "lex" keys whose scores are all 0 (lex ranges are only specified then) and string
//! keys for WRONGTYPE, and a plain set as a ZUNION/ZINTER/ZDIFF source. ZRANDMEMBER is compared by properties (count, membership, scores,
//! distinctness), since the engine draws from its own seeds; ZSCAN of a large set pages in a
//! different order and is compared as a set when both sides finish in one page.
//!
//! ZRANK/ZREVRANK ... WITHSCORE is Redis 7.2 syntax that 7.0 refuses: never generated.
//! `REDRAFT_DIFF_SEED` replays a run, `REDRAFT_DIFF_OPS` sets its length.

use std::collections::{BTreeMap, BTreeSet};

use rand::rngs::StdRng;
use rand::Rng;
use redis_protocol::resp2::types::OwnedFrame;
use redraft_tests::differential::{self, Command};
use redraft_tests::differential_tests;
use redraft_tests::driver::{
    self, argv, bulks, c, is_error, mutate, parse, pick, Coverage, Ops, Outcome, Program, Sides,
};
use redraft_tests::raw::show;

/// Ops of a run: against the engine, and against a follower (every write is a Raft commit).
const OPS: Ops = Ops {
    engine: 3000,
    follower: 800,
};

const ZKEYS: &[&str] = &["z1", "z2", "z3"];
const LEXKEYS: &[&str] = &["x1", "x2"];
const ANYKEYS: &[&str] = &["z1", "z2", "z3", "x1", "x2", "s", "none"];
const MEMBERS: &[&str] = &[
    "a", "b", "c", "d", "e", "1", "10", "-1", "", " a", "m1", "m100",
];
const SCORES: &[&str] = &[
    "0", "1", "-1", "2.5", "-0", "0.1", "1e20", "inf", "-inf", "+inf", "3", "100", "-2.5e-3",
    "1e-5", "1.5", "0x10", "nan", "abc", "", " 1", "1e400", "1e-400", "(1",
];
const BOUNDS: &[&str] = &[
    "-inf", "+inf", "0", "1", "(1", "(0", "2.5", "(2.5", "100", "(inf", "-1", "abc", "", "(", " 1",
    "nan", "1e400", "[1",
];
const LEX: &[&str] = &[
    "-", "+", "[a", "(a", "[c", "(c", "[", "(", "a", "[10", "+x", "[m1", "(m5",
];
const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "-2",
    "5",
    "100",
    "-100",
    "abc",
    "9223372036854775807",
    "-9223372036854775808",
];

fn member(rng: &mut StdRng) -> String {
    match rng.random_range(0..10) {
        0 => "x".repeat(65),
        1..=3 => format!("m{}", rng.random_range(0..200)),
        _ => pick(rng, MEMBERS).into(),
    }
}

fn any_key(rng: &mut StdRng) -> String {
    pick(rng, ANYKEYS).into()
}

fn zkey(rng: &mut StdRng) -> String {
    if rng.random_bool(0.05) {
        "s".into()
    } else {
        pick(rng, ZKEYS).into()
    }
}

/// A lex key, or now and then "s2": a string or nothing, never a sorted set (lex ranges over
/// mixed scores are unspecified).
fn lexkey(rng: &mut StdRng) -> String {
    if rng.random_bool(0.05) {
        "s2".into()
    } else {
        pick(rng, LEXKEYS).into()
    }
}

fn limit(rng: &mut StdRng, c: &mut Vec<String>) {
    if rng.random_bool(0.4) {
        c.extend([
            "LIMIT".into(),
            pick(rng, &["0", "1", "2", "-1", "5", "abc"]).into(),
            pick(rng, &["0", "1", "3", "-1", "10", "abc"]).into(),
        ]);
    }
}

fn maybe(rng: &mut StdRng, c: &mut Vec<String>, word: &str, p: f64) {
    if rng.random_bool(p) {
        c.push(word.into());
    }
}

fn numkeys_and_keys(
    rng: &mut StdRng,
    c: &mut Vec<String>,
    keys: fn(&mut StdRng) -> String,
) -> usize {
    let n = rng.random_range(1..4usize);
    let stated = match rng.random_range(0..20) {
        0 => "0".to_string(),
        1 => "x".to_string(),
        2 => (n + 2).to_string(),
        _ => n.to_string(),
    };
    c.push(stated);
    for _ in 0..n {
        c.push(keys(rng));
    }
    n
}

fn source_key(rng: &mut StdRng) -> String {
    pick(
        rng,
        &["z1", "z2", "z3", "x1", "x2", "none", "z1", "z2", "s"],
    )
    .into()
}

/// The commands of the program, some more often than others, and variants of ZADD and ZRANGE.
const NAMES: &[&str] = &[
    "ZADD",
    "ZADD",
    "ZADD",
    "ZADD:many",
    "ZADD:lex",
    "ZADD:lex",
    "ZINCRBY",
    "ZSCORE",
    "ZMSCORE",
    "ZCARD",
    "ZCOUNT",
    "ZLEXCOUNT",
    "ZRANGE",
    "ZRANGE:byscore",
    "ZRANGE:bylex",
    "ZRANGESTORE",
    "ZREVRANGE",
    "ZRANGEBYSCORE",
    "ZREVRANGEBYSCORE",
    "ZRANGEBYLEX",
    "ZREVRANGEBYLEX",
    "ZRANK",
    "ZREVRANK",
    "ZREM",
    "ZREMRANGEBYRANK",
    "ZREMRANGEBYSCORE",
    "ZREMRANGEBYLEX",
    "ZPOPMIN",
    "ZPOPMAX",
    "ZMPOP",
    "ZRANDMEMBER",
    "ZUNION",
    "ZINTER",
    "ZDIFF",
    "ZUNIONSTORE",
    "ZINTERSTORE",
    "ZDIFFSTORE",
    "ZINTERCARD",
    "ZSCAN",
    "SET",
    "SADD",
    "DEL",
    "CONFIG",
    "OBJECT",
];

fn generate(rng: &mut StdRng) -> Vec<String> {
    let mut c: Vec<String> = Vec::new();
    let name = pick(rng, NAMES);
    let mut mutable = true;
    match name {
        "ZADD" => {
            c.extend(["ZADD".into(), zkey(rng)]);
            for _ in 0..rng.random_range(0..3) {
                c.push(pick(rng, &["NX", "XX", "GT", "LT", "CH", "INCR", "ch", "nx"]).into());
            }
            for _ in 0..rng.random_range(1..4) {
                c.extend([pick(rng, SCORES).into(), member(rng)]);
            }
        }
        "ZADD:many" => {
            c.extend(["ZADD".into(), pick(rng, ZKEYS).into()]);
            for _ in 0..20 {
                c.extend([
                    pick(rng, &SCORES[..16]).into(),
                    format!("m{}", rng.random_range(0..200)),
                ]);
            }
        }
        "ZADD:lex" => {
            c.extend(["ZADD".into(), pick(rng, LEXKEYS).into()]);
            for _ in 0..rng.random_range(1..4) {
                c.extend(["0".into(), member(rng)]);
            }
        }
        "ZINCRBY" => c.extend([
            "ZINCRBY".into(),
            zkey(rng),
            pick(rng, SCORES).into(),
            member(rng),
        ]),
        "ZSCORE" => c.extend(["ZSCORE".into(), any_key(rng), member(rng)]),
        "ZMSCORE" => c.extend(["ZMSCORE".into(), any_key(rng), member(rng), member(rng)]),
        "ZCARD" => c.extend(["ZCARD".into(), any_key(rng)]),
        "ZCOUNT" => c.extend([
            "ZCOUNT".into(),
            any_key(rng),
            pick(rng, BOUNDS).into(),
            pick(rng, BOUNDS).into(),
        ]),
        "ZLEXCOUNT" => c.extend([
            "ZLEXCOUNT".into(),
            lexkey(rng),
            pick(rng, LEX).into(),
            pick(rng, LEX).into(),
        ]),
        "ZRANGE" => {
            c.extend([
                "ZRANGE".into(),
                any_key(rng),
                pick(rng, INTS).into(),
                pick(rng, INTS).into(),
            ]);
            maybe(rng, &mut c, "REV", 0.3);
            maybe(rng, &mut c, "WITHSCORES", 0.5);
            if rng.random_bool(0.05) {
                limit(rng, &mut c);
            }
        }
        "ZRANGE:byscore" => {
            c.extend([
                "ZRANGE".into(),
                zkey(rng),
                pick(rng, BOUNDS).into(),
                pick(rng, BOUNDS).into(),
                "BYSCORE".into(),
            ]);
            maybe(rng, &mut c, "REV", 0.4);
            limit(rng, &mut c);
            maybe(rng, &mut c, "WITHSCORES", 0.5);
        }
        "ZRANGE:bylex" => {
            c.extend([
                "ZRANGE".into(),
                lexkey(rng),
                pick(rng, LEX).into(),
                pick(rng, LEX).into(),
                "BYLEX".into(),
            ]);
            maybe(rng, &mut c, "REV", 0.4);
            limit(rng, &mut c);
            maybe(rng, &mut c, "WITHSCORES", 0.05);
        }
        "ZRANGESTORE" => {
            if rng.random_bool(0.5) {
                c.extend([
                    "ZRANGESTORE".into(),
                    pick(rng, LEXKEYS).into(),
                    lexkey(rng),
                    pick(rng, LEX).into(),
                    pick(rng, LEX).into(),
                    "BYLEX".into(),
                ]);
            } else {
                c.extend(["ZRANGESTORE".into(), zkey(rng), zkey(rng)]);
                if rng.random_bool(0.5) {
                    c.extend([
                        pick(rng, BOUNDS).into(),
                        pick(rng, BOUNDS).into(),
                        "BYSCORE".into(),
                    ]);
                } else {
                    c.extend([pick(rng, INTS).into(), pick(rng, INTS).into()]);
                }
            }
            maybe(rng, &mut c, "REV", 0.3);
            if c.contains(&"BYSCORE".to_string()) || c.contains(&"BYLEX".to_string()) {
                limit(rng, &mut c);
            }
            maybe(rng, &mut c, "WITHSCORES", 0.03);
        }
        "ZREVRANGE" => {
            c.extend([
                "ZREVRANGE".into(),
                any_key(rng),
                pick(rng, INTS).into(),
                pick(rng, INTS).into(),
            ]);
            maybe(rng, &mut c, "WITHSCORES", 0.5);
        }
        "ZRANGEBYSCORE" | "ZREVRANGEBYSCORE" => {
            c.extend([
                name.into(),
                zkey(rng),
                pick(rng, BOUNDS).into(),
                pick(rng, BOUNDS).into(),
            ]);
            maybe(rng, &mut c, "WITHSCORES", 0.5);
            limit(rng, &mut c);
        }
        "ZRANGEBYLEX" | "ZREVRANGEBYLEX" => {
            c.extend([
                name.into(),
                lexkey(rng),
                pick(rng, LEX).into(),
                pick(rng, LEX).into(),
            ]);
            limit(rng, &mut c);
        }
        "ZRANK" | "ZREVRANK" => {
            // WITHSCORE (7.2) and any fourth argument: 7.0 answers an arity error.
            mutable = false;
            c.extend([name.into(), any_key(rng), member(rng)]);
        }
        "ZREM" => {
            c.extend(["ZREM".into(), any_key(rng)]);
            for _ in 0..rng.random_range(1..4) {
                c.push(member(rng));
            }
        }
        "ZREMRANGEBYRANK" => c.extend([
            name.into(),
            any_key(rng),
            pick(rng, INTS).into(),
            pick(rng, INTS).into(),
        ]),
        "ZREMRANGEBYSCORE" => c.extend([
            name.into(),
            zkey(rng),
            pick(rng, BOUNDS).into(),
            pick(rng, BOUNDS).into(),
        ]),
        "ZREMRANGEBYLEX" => c.extend([
            name.into(),
            lexkey(rng),
            pick(rng, LEX).into(),
            pick(rng, LEX).into(),
        ]),
        "ZPOPMIN" | "ZPOPMAX" => {
            c.extend([name.into(), any_key(rng)]);
            if rng.random_bool(0.6) {
                c.push(pick(rng, &["0", "1", "2", "5", "-1", "abc"]).into());
            }
        }
        "ZMPOP" => {
            c.push("ZMPOP".into());
            numkeys_and_keys(rng, &mut c, any_key);
            c.push(pick(rng, &["MIN", "MAX", "max", "MID"]).into());
            if rng.random_bool(0.5) {
                c.extend([
                    "COUNT".into(),
                    pick(rng, &["1", "2", "10", "0", "-1", "x"]).into(),
                ]);
            }
        }
        "ZRANDMEMBER" => {
            c.extend(["ZRANDMEMBER".into(), any_key(rng)]);
            if rng.random_bool(0.8) {
                c.push(
                    pick(
                        rng,
                        &[
                            "0",
                            "1",
                            "3",
                            "10",
                            "-3",
                            "-10",
                            "abc",
                            "-9223372036854775808",
                            "9223372036854775807",
                            "300",
                        ],
                    )
                    .into(),
                );
                let word = pick(rng, &["WITHSCORES", "withscores", "BOGUS"]);
                maybe(rng, &mut c, word, 0.5);
            }
        }
        "ZUNION" | "ZINTER" | "ZDIFF" | "ZUNIONSTORE" | "ZINTERSTORE" | "ZDIFFSTORE"
        | "ZINTERCARD" => {
            c.push(name.into());
            if name.ends_with("STORE") {
                c.push(zkey(rng));
            }
            let n = numkeys_and_keys(rng, &mut c, source_key);
            for _ in 0..rng.random_range(0..3) {
                match rng.random_range(0..4) {
                    0 => {
                        c.push("WEIGHTS".into());
                        for _ in 0..n {
                            c.push(pick(rng, &["1", "2", "-1", "0", "0.5", "inf", "abc"]).into());
                        }
                    }
                    1 => c.extend([
                        "AGGREGATE".into(),
                        pick(rng, &["SUM", "MIN", "MAX", "max", "AVG"]).into(),
                    ]),
                    2 => c.push("WITHSCORES".into()),
                    _ => c.extend([
                        "LIMIT".into(),
                        pick(rng, &["0", "1", "2", "-1", "x"]).into(),
                    ]),
                }
            }
        }
        "ZSCAN" => {
            c.extend([
                "ZSCAN".into(),
                any_key(rng),
                pick(rng, &["0", "0", "0", "abc"]).into(),
            ]);
            for _ in 0..rng.random_range(0..3) {
                match rng.random_range(0..3) {
                    0 => c.extend([
                        "MATCH".into(),
                        pick(rng, &["*", "a*", "m1*", "[ab]", ""]).into(),
                    ]),
                    1 => c.extend([
                        "COUNT".into(),
                        pick(rng, &["1", "5", "1000", "0", "x"]).into(),
                    ]),
                    _ => c.push(pick(rng, &["TYPE", "BOGUS"]).into()),
                }
            }
        }
        "SET" => c.extend(["SET".into(), pick(rng, &["s", "s2"]).into(), "v".into()]),
        "SADD" => c.extend(["SADD".into(), "set".into(), member(rng), member(rng)]),
        // The conversion thresholds are replicated configuration: moving them moves where
        // every later write converts.
        "CONFIG" => c.extend([
            "CONFIG".into(),
            "SET".into(),
            pick(
                rng,
                &[
                    "zset-max-listpack-entries",
                    "zset-max-ziplist-value",
                    "zset-max-listpack-value",
                ],
            )
            .into(),
            rng.random_range(0..20).to_string(),
        ]),
        "OBJECT" => c.extend(["OBJECT".into(), "ENCODING".into(), zkey(rng)]),
        _ => c.extend(["DEL".into(), any_key(rng)]),
    }
    if mutable {
        mutate(rng, c)
    } else {
        c
    }
}

/// The sorted set at `key` on redraft: member → score text (as a RESP2 reply writes it).
async fn contents(sides: &mut Sides, key: &[u8]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut range = c("ZRANGE key 0 -1 WITHSCORES");
    range[1] = key.to_vec();
    let reply = sides.redraft(&range).await;
    if is_error(&reply) {
        return BTreeMap::new();
    }
    let items = bulks(&parse(&reply)).expect("ZRANGE WITHSCORES: bulk strings");
    items
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect()
}

fn zrandmember(
    command: &Command,
    a: &[u8],
    b: &[u8],
    set: &BTreeMap<Vec<u8>, Vec<u8>>,
) -> Result<(), String> {
    if is_error(a) || is_error(b) || command.len() < 3 {
        if command.len() < 3 && !is_error(a) && !is_error(b) {
            return match (parse(a), parse(b)) {
                (OwnedFrame::Null, OwnedFrame::Null) => Ok(()),
                (OwnedFrame::BulkString(x), OwnedFrame::BulkString(y))
                    if set.contains_key(&x) && set.contains_key(&y) =>
                {
                    Ok(())
                }
                (x, y) => Err(format!("ZRANDMEMBER: {x:?} vs {y:?}")),
            };
        }
        return differential::equivalent(command, a, b);
    }
    let count: i64 = String::from_utf8_lossy(&command[2])
        .parse()
        .map_err(|e| format!("{e}"))?;
    let withscores = command.len() == 4;
    let (Some(x), Some(y)) = (bulks(&parse(a)), bulks(&parse(b))) else {
        return Err(format!("ZRANDMEMBER shapes: {} vs {}", show(a), show(b)));
    };
    if x.len() != y.len() {
        return Err(format!("ZRANDMEMBER lengths {} vs {}", x.len(), y.len()));
    }
    let step = if withscores { 2 } else { 1 };
    let picked: Vec<&Vec<u8>> = y.iter().step_by(step).collect();
    for (i, m) in picked.iter().enumerate() {
        let Some(score) = set.get(*m) else {
            return Err(format!("ZRANDMEMBER picked a non-member {m:?}"));
        };
        if withscores && &y[2 * i + 1] != score {
            return Err(format!("ZRANDMEMBER score of {m:?}"));
        }
    }
    let expected = if count >= 0 {
        (count as usize).min(set.len())
    } else {
        count.unsigned_abs() as usize
    };
    let expected = if set.is_empty() { 0 } else { expected };
    if picked.len() != expected {
        return Err(format!(
            "ZRANDMEMBER returned {} members, expected {expected}",
            picked.len()
        ));
    }
    if count > 0 && picked.iter().collect::<BTreeSet<_>>().len() != picked.len() {
        return Err("ZRANDMEMBER repeated a member with a positive count".into());
    }
    Ok(())
}

fn zscan(command: &Command, a: &[u8], b: &[u8]) -> Result<(), String> {
    if a == b {
        return Ok(());
    }
    if is_error(a) || is_error(b) {
        return differential::equivalent(command, a, b);
    }
    let parts = |bytes: &[u8]| match parse(bytes) {
        OwnedFrame::Array(mut parts) if parts.len() == 2 => {
            let items = bulks(&parts[1]).expect("bulk items");
            let OwnedFrame::BulkString(cursor) = parts.remove(0) else {
                panic!("cursor");
            };
            (cursor, items)
        }
        other => panic!("ZSCAN reply {other:?}"),
    };
    let ((ca, ia), (cb, ib)) = (parts(a), parts(b));
    if ca == b"0" && cb == b"0" {
        let pairs = |items: Vec<Vec<u8>>| {
            items
                .chunks(2)
                .map(<[Vec<u8>]>::to_vec)
                .collect::<BTreeSet<_>>()
        };
        if pairs(ia) == pairs(ib) {
            return Ok(());
        }
        return Err(format!(
            "ZSCAN pages differ:\nredis-server: {}\nredraft:      {}",
            show(a),
            show(b)
        ));
    }
    // Paged differently (hash-table order in Redis, member-hash order here).
    Ok(())
}

/// The sorted-set program: ZRANDMEMBER and ZSCAN judged apart (see `zrandmember`, `zscan`);
/// after every write, each key's whole sorted set (with scores) agrees too, so that a
/// divergence shows at the command that caused it.
struct SortedSets {
    rng: StdRng,
}

impl Program for SortedSets {
    fn command(&mut self) -> Command {
        argv(generate(&mut self.rng))
    }

    fn coverage(&self) -> Coverage {
        Coverage {
            commands: NAMES,
            replies_percent: 50,
            writes_percent: 35,
            ..Coverage::default()
        }
    }

    async fn compare(&mut self, sides: &mut Sides, command: &Command) -> Outcome {
        match (differential::name(command).as_str(), command.get(1)) {
            ("ZRANDMEMBER", Some(key)) => {
                let (redis, redraft) = sides.both(command).await;
                let set = contents(sides, key).await;
                let verdict = zrandmember(command, &redis, &redraft, &set);
                Outcome {
                    redis,
                    redraft: Some(redraft),
                    verdict,
                }
            }
            ("ZSCAN", _) => sides.compare(command, zscan).await,
            _ => sides.compare(command, differential::equivalent).await,
        }
    }

    async fn after_write(&mut self, sides: &mut Sides, _: &Command) -> Result<(), String> {
        let sets = ["z1", "z2", "z3", "x1", "x2", "s", "s2"]
            .map(|key| c(&format!("ZRANGE {key} 0 -1 WITHSCORES")));
        sides.agree_on(&sets, |a, b| a == b).await
    }
}

differential_tests!(
    random_sorted_set_commands_on_the_engine_reply_like_redis_byte_for_byte,
    random_sorted_set_commands_on_a_follower_reply_like_redis_byte_for_byte,
    |against| driver::run("zset", 11, OPS, against, |rng| SortedSets { rng })
);
