use super::value::check_string_length;
use super::STRING_LEN_MAX;
use crate::args::{NOT_FLOAT, NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::Reply;
use crate::testutil::{apply, bulk, check_replies, err, int, ok};
use crate::Engine;

/// Checks that each command line is refused with `error`.
fn refused(engine: &mut Engine, error: &str, lines: &[&str]) {
    for line in lines {
        assert_eq!(apply(engine, 1000, *line), err(error), "{line}");
    }
}

#[test]
fn get_set_and_arity() {
    let mut e = Engine::new();
    check_replies(
        &mut e,
        1000,
        &[
            ("SET k a EX 10", ok()),
            ("SET k b", ok()),
            ("GET k", bulk("b")),
            // A plain SET drops the deadline.
            ("TTL k", int(-1)),
            ("GET nope", Reply::Nil),
            (
                "GET",
                err("ERR wrong number of arguments for 'get' command"),
            ),
            (
                "set k",
                err("ERR wrong number of arguments for 'set' command"),
            ),
        ],
    );
}

#[test]
fn string_commands_reject_other_types() {
    let mut e = Engine::new();
    apply(&mut e, 1000, "SADD s m");
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    refused(
        &mut e,
        wrongtype,
        &[
            "GET s",
            "SET s v GET",
            "SET s v NX GET",
            "GETSET s v",
            "GETDEL s",
            "GETEX s PERSIST",
            "APPEND s x",
            "STRLEN s",
            "INCR s",
            "DECRBY s 2",
            "INCRBYFLOAT s 1",
            "GETRANGE s 0 1",
            "SETRANGE s 0 x",
        ],
    );
    // MGET answers Nil for them; SET overwrites them.
    check_replies(
        &mut e,
        1000,
        &[
            ("MGET s", Reply::Array(vec![Reply::Nil])),
            ("SET s v", ok()),
            ("GET s", bulk("v")),
        ],
    );
}

#[test]
fn set_expiry_options_set_absolute_deadlines() {
    let mut e = Engine::new();
    for line in [
        "SET ex v EX 10",
        "SET px v px 1500",
        "SET exat v EXAT 20",
        "SET pxat v PXAT 25000",
    ] {
        assert_eq!(apply(&mut e, 1000, line), ok(), "{line}");
    }
    check_replies(
        &mut e,
        1000,
        &[
            ("PEXPIRETIME ex", int(11_000)),
            ("PEXPIRETIME px", int(2500)),
            ("PEXPIRETIME exat", int(20_000)),
            ("PEXPIRETIME pxat", int(25_000)),
        ],
    );
    // Expired exactly at the deadline.
    check_replies(&mut e, 2499, &[("GET px", bulk("v"))]);
    check_replies(&mut e, 2500, &[("GET px", Reply::Nil)]);
    // A past absolute time leaves the key absent.
    check_replies(
        &mut e,
        5000,
        &[("SET k v PXAT 100", ok()), ("EXISTS k", int(0))],
    );
}

#[test]
fn set_nx_xx_keepttl_and_get() {
    let mut e = Engine::new();
    check_replies(
        &mut e,
        0,
        &[
            ("SET k a XX", Reply::Nil),
            ("SET k a NX", ok()),
            ("SET k b NX", Reply::Nil),
            ("SET k c XX PX 100", ok()),
            ("SET k d KEEPTTL", ok()),
            ("SET k d KEEPTTL KEEPTTL", ok()),
            ("GET k", bulk("d")),
            ("PTTL k", int(100)),
            ("SET new v KEEPTTL", ok()),
            ("PTTL new", int(-1)),
            // GET answers the old value, set or not.
            ("SET g a GET", Reply::Nil),
            ("SET g b GET", bulk("a")),
            ("SET g c NX GET", bulk("b")),
            ("GET g", bulk("b")),
            ("SET x c XX GET", Reply::Nil),
            ("EXISTS x", int(0)),
            ("SET g d GET EX 5", bulk("b")),
            ("TTL g", int(5)),
        ],
    );
    // A key past its deadline counts as missing for NX and XX.
    check_replies(
        &mut e,
        100,
        &[("SET k e XX", Reply::Nil), ("SET k e NX", ok())],
    );
}

#[test]
fn set_options_are_checked_in_redis_order() {
    let mut e = Engine::new();
    refused(
        &mut e,
        SYNTAX_ERROR,
        &[
            "SET k v NX XX",
            "SET k v XX NX",
            "SET k v EX 1 PX 1",
            "SET k v PX 1 EXAT 1",
            "SET k v EXAT 1 PXAT 1",
            "SET k v PXAT 1 EX 1",
            "SET k v KEEPTTL EX 1",
            "SET k v EX 1 KEEPTTL",
            "SET k v EX",
            "SET k v PERSIST",
            "SET k v FOO",
            // Every option is read before the expiry is.
            "SET k v EX 0 FOO",
        ],
    );
    let invalid = "ERR invalid expire time in 'set' command";
    let huge = "9223372036854775807";
    refused(
        &mut e,
        invalid,
        &[
            "SET k v EX 0",
            "SET k v PX -5",
            "SET k v EXAT 0",
            &format!("SET k v EX {huge}"),
            &format!("SET k v PX {huge}"),
        ],
    );
    check_replies(
        &mut e,
        1000,
        &[
            ("SET k v EX ten", err(NOT_INTEGER)),
            // The expiry is checked before GET's type check.
            ("SADD s m", int(1)),
            ("SET s v GET EX 0", err(invalid)),
            (format!("SET k v PXAT {huge}").as_str(), ok()),
            ("PEXPIRETIME k", int(i64::MAX)),
            // Repeating the same option is allowed; the last value wins.
            ("SET k v EX 1 EX 7", ok()),
            ("TTL k", int(7)),
            ("SET k v nx NX", Reply::Nil),
        ],
    );
}

#[test]
fn setnx_setex_psetex_and_getset() {
    let mut e = Engine::new();
    check_replies(
        &mut e,
        0,
        &[
            ("SETNX k a", int(1)),
            ("SETNX k b", int(0)),
            ("GET k", bulk("a")),
            ("SETEX k 3 c", ok()),
            ("PTTL k", int(3000)),
            ("PSETEX k 30 d", ok()),
            ("PTTL k", int(30)),
            (
                "SETEX k 0 c",
                err("ERR invalid expire time in 'setex' command"),
            ),
            (
                "PSETEX k -1 c",
                err("ERR invalid expire time in 'psetex' command"),
            ),
            ("SETEX k x c", err(NOT_INTEGER)),
            // GETSET drops the deadline, as any plain SET does.
            ("GETSET g a", Reply::Nil),
            ("EXPIRE g 100", int(1)),
            ("GETSET g b", bulk("a")),
            ("TTL g", int(-1)),
        ],
    );
    check_replies(&mut e, 30, &[("GET k", Reply::Nil)]);
}

#[test]
fn getex_sets_or_removes_the_deadline_and_getdel_deletes() {
    let mut e = Engine::new();
    check_replies(
        &mut e,
        1000,
        &[
            ("SET k v", ok()),
            ("GETEX k", bulk("v")),
            ("TTL k", int(-1)),
            ("GETEX k EX 5", bulk("v")),
            ("PTTL k", int(5000)),
            ("GETEX k PX 50", bulk("v")),
            ("PTTL k", int(50)),
            ("GETEX k EXAT 9", bulk("v")),
            ("PEXPIRETIME k", int(9000)),
            ("GETEX k PXAT 8000", bulk("v")),
            ("PEXPIRETIME k", int(8000)),
            ("GETEX k PERSIST PERSIST", bulk("v")),
            ("TTL k", int(-1)),
            // A past absolute time returns the value, then the key is gone.
            ("GETEX k PXAT 999", bulk("v")),
            ("EXISTS k", int(0)),
            ("SET d v", ok()),
            ("GETDEL d", bulk("v")),
            ("GETDEL d", Reply::Nil),
            ("SET t v PX 10", ok()),
        ],
    );
    check_replies(&mut e, 1010, &[("GETDEL t", Reply::Nil)]);
    assert_eq!(e.keyspace().dbs[0].stored_len(), 0);
}

#[test]
fn getex_errors_and_missing_key() {
    let mut e = Engine::new();
    apply(&mut e, 1000, "SET k v");
    refused(
        &mut e,
        SYNTAX_ERROR,
        &[
            "GETEX k NX",
            "GETEX k GET",
            "GETEX k KEEPTTL",
            "GETEX k EX 1 PERSIST",
            "GETEX k PERSIST PX 1",
            "GETEX k EX",
            "GETEX k EX 1 PX 1",
            "GETEX nope EX",
        ],
    );
    check_replies(
        &mut e,
        1000,
        &[
            (
                "GETEX k EX 0",
                err("ERR invalid expire time in 'getex' command"),
            ),
            ("GETEX k EX x", err(NOT_INTEGER)),
            // Missing key: Nil before the time is even looked at, as in Redis.
            ("GETEX nope EX x", Reply::Nil),
        ],
    );
}

#[test]
fn mget_mset_and_msetnx() {
    let mut e = Engine::new();
    check_replies(
        &mut e,
        0,
        &[
            ("MSET a 1 b 2", ok()),
            (
                "MGET a x b a",
                Reply::Array(vec![bulk("1"), Reply::Nil, bulk("2"), bulk("1")]),
            ),
            (
                "MSET a 1 b",
                err("ERR wrong number of arguments for 'mset' command"),
            ),
            ("PEXPIRE a 10", int(1)),
            ("MSET a 3", ok()),
            ("PTTL a", int(-1)),
            ("MSETNX c 1 d 2", int(1)),
            ("MSETNX e 3 d 9", int(0)),
            ("EXISTS e", int(0)),
            ("GET d", bulk("2")),
            // The same key twice in one call is fine: the last value wins.
            ("MSETNX f 1 f 2", int(1)),
            ("GET f", bulk("2")),
            (
                "MSETNX a 1 b",
                err("ERR wrong number of arguments for 'msetnx' command"),
            ),
        ],
    );
}

#[test]
fn append_strlen_and_the_length_cap() {
    let mut e = Engine::new();
    check_replies(
        &mut e,
        0,
        &[
            ("APPEND k ab", int(2)),
            ("PEXPIRE k 100", int(1)),
            ("APPEND k cde", int(5)),
            ("GET k", bulk("abcde")),
            ("PTTL k", int(100)),
            ("SET u héllo", ok()),
            ("STRLEN u", int(6)),
            ("STRLEN nope", int(0)),
        ],
    );
    // Past the deadline APPEND starts a new key.
    check_replies(&mut e, 100, &[("APPEND k x", int(1)), ("PTTL k", int(-1))]);
    assert_eq!(apply(&mut e, 100, &["APPEND", "empty", ""]), int(0));
    assert_eq!(apply(&mut e, 100, "EXISTS empty"), int(1));
    let too_big = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    assert_eq!(check_string_length(STRING_LEN_MAX - 1, 1), Ok(()));
    assert_eq!(check_string_length(STRING_LEN_MAX, 1), Err(too_big.clone()));
    assert_eq!(check_string_length(u64::MAX, 1), Err(too_big));
}

#[test]
fn incr_family_counts_and_keeps_ttl() {
    let mut e = Engine::new();
    check_replies(
        &mut e,
        0,
        &[
            ("INCR n", int(1)),
            ("INCRBY n 10", int(11)),
            ("DECR n", int(10)),
            ("DECRBY n -5", int(15)),
            ("DECRBY m 3", int(-3)),
            ("GET n", bulk("15")),
            ("PEXPIRE n 100", int(1)),
            ("INCR n", int(16)),
            ("PTTL n", int(100)),
        ],
    );
    // Expired counts as 0.
    check_replies(&mut e, 100, &[("INCR n", int(1))]);
}

#[test]
fn incr_family_errors() {
    let mut e = Engine::new();
    for (key, value) in [
        ("s", "abc"),
        ("sp", " 1"),
        ("z", "01"),
        ("max", "9223372036854775807"),
        ("min", "-9223372036854775808"),
    ] {
        apply(&mut e, 1000, &["SET", key, value]);
    }
    refused(
        &mut e,
        NOT_INTEGER,
        &["INCR s", "INCR sp", "DECR z", "INCRBY n +1", "DECRBY n 1.5"],
    );
    refused(
        &mut e,
        "ERR increment or decrement would overflow",
        &["INCR max", "DECR min", "INCRBY min -1"],
    );
    check_replies(
        &mut e,
        1000,
        &[
            (
                "DECRBY n -9223372036854775808",
                err("ERR decrement would overflow"),
            ),
            ("GET max", bulk("9223372036854775807")),
        ],
    );
}

#[test]
fn incrbyfloat_formats_like_redis() {
    let mut e = Engine::new();
    check_replies(
        &mut e,
        0,
        &[
            ("INCRBYFLOAT f 10.5", bulk("10.5")),
            ("INCRBYFLOAT f 0.1", bulk("10.6")),
            ("INCRBYFLOAT f -10.6", bulk("0")),
            ("SET g 5.0e3", ok()),
            ("PEXPIRE g 100", int(1)),
            ("INCRBYFLOAT g 2.0e2", bulk("5200")),
            ("GET g", bulk("5200")),
            ("PTTL g", int(100)),
            ("SET i 1", ok()),
            ("INCRBYFLOAT i -1.1", bulk("-0.1")),
        ],
    );
}

#[test]
fn incrbyfloat_errors() {
    let mut e = Engine::new();
    apply(&mut e, 1000, "SET s abc");
    apply(&mut e, 1000, "SET big 1e4932");
    refused(
        &mut e,
        NOT_FLOAT,
        &["INCRBYFLOAT s 1", "INCRBYFLOAT n x", "INCRBYFLOAT n nan"],
    );
    assert_eq!(
        apply(&mut e, 1000, &["INCRBYFLOAT", "n", " 1"]),
        err(NOT_FLOAT)
    );
    refused(
        &mut e,
        "ERR increment would produce NaN or Infinity",
        &["INCRBYFLOAT n inf", "INCRBYFLOAT big 1e4932"],
    );
    assert_eq!(apply(&mut e, 1000, "EXISTS n"), int(0));
}

#[test]
fn getrange_indexes_like_redis() {
    let mut e = Engine::new();
    apply(&mut e, 1000, &["SET", "k", "Hello World"]);
    for (range, want) in [
        ("0 4", "Hello"),
        ("-5 -1", "World"),
        ("0 -1", "Hello World"),
        ("5 3", ""),
        ("-100 2", "Hel"),
        ("0 100", "Hello World"),
        ("20 30", ""),
        // Redis 7 clamps both ends to 0.
        ("-100 -50", "H"),
        ("-1 -5", ""),
        ("9223372036854775807 -9223372036854775808", ""),
        ("-9223372036854775808 9223372036854775807", "Hello World"),
    ] {
        let line = format!("GETRANGE k {range}");
        assert_eq!(apply(&mut e, 1000, line.as_str()), bulk(want), "{line}");
    }
    check_replies(
        &mut e,
        1000,
        &[
            ("GETRANGE nope 0 -1", bulk("")),
            ("GETRANGE k a 1", err(NOT_INTEGER)),
            ("GETRANGE k 0 1.5", err(NOT_INTEGER)),
        ],
    );
}

#[test]
fn setrange_patches_and_pads() {
    let mut e = Engine::new();
    apply(&mut e, 1000, &["SET", "k", "Hello World"]);
    check_replies(
        &mut e,
        1000,
        &[
            ("SETRANGE k 6 Redis", int(11)),
            ("GET k", bulk("Hello Redis")),
            ("SETRANGE new 3 ab", int(5)),
            ("GET new", Reply::bulk(b"\0\0\0ab".to_vec())),
            ("SETRANGE k -1 x", err("ERR offset is out of range")),
            (
                "SETRANGE k 536870912 x",
                err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
            ),
            ("SETRANGE k x x", err(NOT_INTEGER)),
        ],
    );
    assert_eq!(apply(&mut e, 1000, &["SETRANGE", "k", "0", ""]), int(11));
    assert_eq!(apply(&mut e, 1000, &["SETRANGE", "none", "3", ""]), int(0));
    assert_eq!(apply(&mut e, 1000, "EXISTS none"), int(0));
}
