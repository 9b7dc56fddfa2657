//! What the sorted-set tests share, and the tests of commands.rs (ZADD, ZINCRBY, the
//! single-member reads, ZSCAN). The other files test their own commands.

use std::collections::BTreeSet;

use crate::args::{NOT_FLOAT, NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::{Reply, WRONGTYPE};
use crate::score::format_g17;
use crate::testutil::{self, bulk, err, show, IntoArgv};
use crate::Engine;

/// A reply as RESP2 shows it: scores as `%.17g` bulk strings, WITHSCORES pairs flat.
pub(super) fn resp2(reply: Reply) -> Reply {
    match reply {
        Reply::Double(score) => bulk(&format_g17(score)),
        Reply::Array(items) => Reply::Array(items.into_iter().map(resp2).collect()),
        Reply::Pairs(pairs) => Reply::Array(
            pairs
                .into_iter()
                .flat_map(|(member, score)| [resp2(member), resp2(score)])
                .collect(),
        ),
        other => other,
    }
}

/// Applies `command` at time 0 (reads apply too); the reply as RESP2 shows it.
pub(super) fn ap(engine: &mut Engine, command: impl IntoArgv) -> Reply {
    resp2(testutil::apply(engine, 0, command))
}

/// Reads at time 0; the reply as RESP2 shows it.
pub(super) fn r(engine: &Engine, command: impl IntoArgv) -> Reply {
    resp2(testutil::read(engine, 0, command))
}

/// Applies each command in turn and checks its reply, as RESP2 shows it, written as
/// [`testutil::show`] writes it: `("ZRANGE z 0 0 WITHSCORES", "[a 1]")`.
pub(super) fn check(engine: &mut Engine, cases: &[(&str, &str)]) {
    for (command, expected) in cases {
        assert_eq!(show(&ap(engine, *command)), *expected, "{command}");
    }
}

/// z = {a:1, b:2, c:3, d:4}; s is a string.
pub(super) fn engine() -> Engine {
    let mut engine = Engine::new();
    ap(&mut engine, "ZADD z 1 a 2 b 3 c 4 d");
    ap(&mut engine, "SET s x");
    engine
}

/// `ZADD key` with the pairs `pair(0)`, ..., `pair(n - 1)` ("score member" each).
pub(super) fn zadd_many(key: &str, n: usize, pair: impl Fn(usize) -> String) -> String {
    let pairs: Vec<String> = (0..n).map(pair).collect();
    format!("ZADD {key} {}", pairs.join(" "))
}

#[test]
fn scores_are_doubles_and_withscores_pairs_nest_in_resp3() {
    let mut e = Engine::new();
    testutil::apply(&mut e, 0, "ZADD z 1.5 a 3 b");
    let pairs = |m: &str, s: f64| Reply::Pairs(vec![(bulk(m), Reply::Double(s))]);
    assert_eq!(testutil::read(&e, 0, "ZSCORE z a"), Reply::Double(1.5));
    assert_eq!(
        testutil::apply(&mut e, 0, "ZINCRBY z 1 a"),
        Reply::Double(2.5)
    );
    let range = testutil::read(&e, 0, "ZRANGE z 0 0 WITHSCORES");
    assert_eq!(range, pairs("a", 2.5));
    assert_eq!(testutil::apply(&mut e, 0, "ZPOPMIN z 1"), pairs("a", 2.5));
    assert_eq!(
        testutil::apply(&mut e, 0, "ZPOPMIN z"),
        Reply::Array(vec![bulk("b"), Reply::Double(3.0)]),
        "flat without a count"
    );
}

#[test]
fn zadd_and_zincrby_add_update_and_count() {
    let mut e = engine();
    let cases = [
        ("ZADD z 5 a 9 e", ":1"),
        ("ZADD z CH 5 a 6 b", ":1"),
        ("ZADD z NX 0 a 0 f", ":1"),
        ("ZSCORE z a", "5"),
        ("ZADD z XX CH 7 a 0 g", ":1"),
        ("ZSCORE z g", "(nil)"),
        ("ZADD z GT CH 1 a 8 b", ":1"),
        ("ZMSCORE z a b", "[7 8]"),
        ("ZADD z LT CH 1 a 9 b 1 h", ":2"),
        ("ZSCORE z a", "1"),
        ("ZADD z XX 1 new", ":0"),
        ("ZADD none XX 1 new", ":0"),
        ("EXISTS none", ":0"),
        ("ZADD z INCR 2.5 a", "3.5"),
        ("ZADD z INCR NX 1 a", "(nil)"),
        ("ZADD z INCR GT -1 a", "(nil)"),
        ("ZADD z INCR 0 a", "3.5"),
        ("ZADD none INCR XX 1 a", "(nil)"),
        ("ZINCRBY z 0.1 c", "3.1000000000000001"),
        ("ZINCRBY n -2 m", "-2"),
    ];
    check(&mut e, &cases);
}

#[test]
fn zadd_and_zincrby_errors() {
    let mut e = engine();
    let gt_lt = "ERR GT, LT, and/or NX options at the same time are not compatible";
    let nan = "ERR resulting score is not a number (NaN)";
    let cases = [
        ("ZADD z NX 1", SYNTAX_ERROR),
        ("ZADD z NX 1 a 2", SYNTAX_ERROR),
        ("ZADD z NX XX", SYNTAX_ERROR),
        (
            "ZADD z NX XX 1 a",
            "ERR XX and NX options at the same time are not compatible",
        ),
        ("ZADD z NX GT 1 a", gt_lt),
        ("ZADD z GT LT 1 a", gt_lt),
        (
            "ZADD z INCR 1 a 2 b",
            "ERR INCR option supports a single increment-element pair",
        ),
        ("ZADD i inf a", ":1"),
        ("ZADD i INCR -inf a", nan),
        ("ZINCRBY i -inf a", nan),
        ("ZINCRBY n x m", NOT_FLOAT),
        ("ZINCRBY n nx m", SYNTAX_ERROR),
    ];
    check(&mut e, &cases);
    for bad in ["nan", "x", "", " 1", "1e400"] {
        let command = ["ZADD", "z", "1", "q", bad, "a"];
        assert_eq!(ap(&mut e, &command), err(NOT_FLOAT), "{bad:?}");
    }
    assert_eq!(r(&e, "ZSCORE z q"), Reply::Nil, "all or nothing");
}

#[test]
fn every_command_on_another_type_answers_wrongtype() {
    let mut e = engine();
    for command in [
        "ZADD s 1 a",
        "ZINCRBY s 1 m",
        "ZCARD s",
        "ZSCORE s c",
        "ZMSCORE s a",
        "ZRANK s a",
        "ZREVRANK s a",
        "ZSCAN s 0",
        "ZREM s a",
        "ZRANGE s 0 1",
        "ZREVRANGE s 0 1",
        "ZRANGEBYSCORE s 1 2",
        "ZREVRANGEBYSCORE s 1 2",
        "ZRANGEBYLEX s - +",
        "ZREVRANGEBYLEX s + -",
        "ZCOUNT s 0 1",
        "ZLEXCOUNT s - +",
        "ZREMRANGEBYRANK s 0 1",
        "ZREMRANGEBYSCORE s 0 1",
        "ZREMRANGEBYLEX s - +",
        "ZPOPMIN s",
        "ZPOPMAX s 0",
        "ZMPOP 2 none s MIN",
        "ZRANDMEMBER s",
        "ZRANDMEMBER s 1",
        "ZRANGESTORE d s 0 -1",
        "ZUNION 1 s",
        "ZINTER 2 z s",
        "ZDIFF 1 s",
        "ZINTERCARD 1 s",
        "ZUNIONSTORE d 1 s",
        "ZINTERSTORE d 1 s",
        "ZDIFFSTORE d 1 s",
        // The keys are checked before the options.
        "ZUNION 1 s BOGUS",
    ] {
        assert_eq!(ap(&mut e, command), err(WRONGTYPE), "{command}");
    }
}

#[test]
fn scores_print_like_redis_7_0() {
    let mut e = Engine::new();
    let cases = [
        ("ZADD f 0.1 a 1e20 b -0 c inf d -inf e", ":5"),
        ("ZSCORE f a", "0.10000000000000001"),
        ("ZSCORE f b", "1e+20"),
        // A listpack stores -0 as 0.
        ("ZSCORE f c", "0"),
        ("ZMSCORE f d e", "[inf -inf]"),
    ];
    check(&mut e, &cases);
    let long = "x".repeat(65);
    ap(&mut e, format!("ZADD big -0 {long}").as_str());
    assert_eq!(testutil::encoding(&e, "big"), "skiplist");
    let score = format!("ZSCORE big {long}");
    assert_eq!(r(&e, score.as_str()), bulk("-0"));
    let incr = format!("ZINCRBY big 0 {long}");
    assert_eq!(ap(&mut e, incr.as_str()), bulk("0"));
    assert_eq!(r(&e, score.as_str()), bulk("-0"), "0 == -0: no update");
}

#[test]
fn single_member_reads() {
    let mut e = engine();
    let cases = [
        ("ZCARD z", ":4"),
        ("ZCARD none", ":0"),
        ("ZSCORE z c", "3"),
        ("ZSCORE none c", "(nil)"),
        ("ZMSCORE z a x d", "[1 (nil) 4]"),
        ("ZMSCORE none a", "[(nil)]"),
        ("ZRANK z c", ":2"),
        ("ZREVRANK z c", ":1"),
        ("ZRANK z x", "(nil)"),
        ("ZRANK none x", "(nil)"),
        ("ZRANK z a WITHSCORE", "[:0 1]"),
        ("ZREVRANK z a withscore", "[:3 1]"),
        ("ZRANK z x WITHSCORE", "(nil-array)"),
        ("ZRANK z a FOO", SYNTAX_ERROR),
        (
            "ZRANK z a WITHSCORE x",
            "ERR wrong number of arguments for 'zrank' command",
        ),
        (
            "ZREVRANK z a FOO x",
            "ERR wrong number of arguments for 'zrevrank' command",
        ),
    ];
    check(&mut e, &cases);
}

#[test]
fn zscan_returns_a_small_set_whole_and_pages_a_large_one() {
    let mut e = engine();
    ap(&mut e, "ZADD z 123456789012345678 big 0.5 half");
    let cases = [
        (
            "ZSCAN z 0",
            "[0 [half 0.5 a 1 b 2 c 3 d 4 big 123456789012345680]]",
        ),
        (
            "ZSCAN z 0 MATCH [ab]* COUNT 1",
            "[0 [a 1 b 2 big 123456789012345680]]",
        ),
        ("ZSCAN none 0 BOGUS", "[0 []]"),
        ("ZSCAN z x", "ERR invalid cursor"),
        ("ZSCAN z 0 COUNT 0", SYNTAX_ERROR),
        ("ZSCAN z 0 COUNT x", NOT_INTEGER),
        ("ZSCAN z 0 TYPE zset", SYNTAX_ERROR),
        ("ZSCAN z 0 MATCH", SYNTAX_ERROR),
    ];
    check(&mut e, &cases);
    ap(
        &mut e,
        zadd_many("big", 300, |i| format!("{i} m{i}")).as_str(),
    );
    let mut seen = BTreeSet::new();
    let mut cursor = "0".to_string();
    for _ in 0..1000 {
        let Reply::Array(parts) = r(&e, format!("ZSCAN big {cursor} COUNT 7").as_str()) else {
            panic!("not a scan reply")
        };
        let [Reply::Bulk(next), Reply::Array(items)] = &parts[..] else {
            panic!("not a scan reply")
        };
        for member in items.iter().step_by(2) {
            assert!(seen.insert(format!("{member:?}")), "{member:?} twice");
        }
        cursor = String::from_utf8(next.clone()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!((cursor.as_str(), seen.len()), ("0", 300));
}

#[test]
fn sorted_set_commands_notify_as_redis_does() {
    let mut e = Engine::new();
    testutil::listen(&mut e, "Ezg");
    testutil::check_notified(
        &mut e,
        1000,
        &[
            ("ZADD z 1 a 2 b 3 c", &["zadd z"]),
            ("ZADD z 1 a", &[]),
            ("ZADD z XX 5 nope", &[]),
            ("ZADD z CH 4 a", &["zadd z"]),
            ("ZINCRBY z 1 b", &["zincr z"]),
            ("ZADD z INCR 1 b", &["zincr z"]),
            ("ZADD z INCR 0 b", &[]),
            ("ZREM z nope", &[]),
            ("ZREM z c", &["zrem z"]),
            ("ZPOPMIN z 0", &[]),
            ("ZPOPMAX z", &["zpopmax z"]),
            ("ZADD y 1 a 2 b 3 c 4 d", &["zadd y"]),
            ("ZREMRANGEBYRANK y 0 0", &["zremrangebyrank y"]),
            ("ZREMRANGEBYSCORE y 10 20", &[]),
            ("ZREMRANGEBYSCORE y 2 2", &["zremrangebyscore y"]),
            ("ZREMRANGEBYLEX y [a [z", &["zremrangebylex y", "del y"]),
            ("ZUNIONSTORE d 1 z", &["zunionstore d"]),
            ("ZINTERSTORE d 2 z none", &["del d"]),
            ("ZINTERSTORE d 2 z none", &[]),
            ("ZDIFFSTORE d 1 z", &["zdiffstore d"]),
            ("ZRANGESTORE r z 0 -1", &["zrangestore r"]),
            ("ZRANGESTORE r z 5 10", &["del r"]),
            ("ZMPOP 1 z MIN COUNT 10", &["zpopmin z", "del z"]),
            ("ZADD w 1 a", &["zadd w"]),
            ("BZPOPMAX w 0", &["zpopmax w", "del w"]),
            ("ZRANGE d 0 -1", &[]),
        ],
    );
}
