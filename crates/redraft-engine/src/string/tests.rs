use super::value::check_string_length;
use super::STRING_LEN_MAX;
use crate::args::{NOT_FLOAT, NOT_INTEGER, SYNTAX_ERROR};
use crate::testutil::{apply, check, check_notified, err, int, listen};
use crate::Engine;

#[test]
fn get_set_and_arity() {
    let mut e = Engine::new();
    check(
        &mut e,
        1000,
        &[
            ("SET k a EX 10", "+OK"),
            ("SET k b", "+OK"),
            ("GET k", "b"),
            // A plain SET drops the deadline.
            ("TTL k", ":-1"),
            ("GET nope", "(nil)"),
            ("GET", "ERR wrong number of arguments for 'get' command"),
            ("set k", "ERR wrong number of arguments for 'set' command"),
        ],
    );
}

#[test]
fn string_commands_reject_other_types() {
    let mut e = Engine::new();
    apply(&mut e, 1000, "SADD s m");
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    check(
        &mut e,
        1000,
        &[
            ("GET s", wrongtype),
            ("SET s v GET", wrongtype),
            ("SET s v NX GET", wrongtype),
            ("GETSET s v", wrongtype),
            ("GETDEL s", wrongtype),
            ("GETEX s PERSIST", wrongtype),
            ("APPEND s x", wrongtype),
            ("STRLEN s", wrongtype),
            ("INCR s", wrongtype),
            ("DECRBY s 2", wrongtype),
            ("INCRBYFLOAT s 1", wrongtype),
            ("GETRANGE s 0 1", wrongtype),
            ("SETRANGE s 0 x", wrongtype),
        ],
    );
    // MGET answers Nil for them; SET overwrites them.
    check(
        &mut e,
        1000,
        &[("MGET s", "[(nil)]"), ("SET s v", "+OK"), ("GET s", "v")],
    );
}

#[test]
fn set_expiry_options_set_absolute_deadlines() {
    let mut e = Engine::new();
    check(
        &mut e,
        1000,
        &[
            ("SET ex v EX 10", "+OK"),
            ("SET px v px 1500", "+OK"),
            ("SET exat v EXAT 20", "+OK"),
            ("SET pxat v PXAT 25000", "+OK"),
            ("PEXPIRETIME ex", ":11000"),
            ("PEXPIRETIME px", ":2500"),
            ("PEXPIRETIME exat", ":20000"),
            ("PEXPIRETIME pxat", ":25000"),
        ],
    );
    // Expired exactly at the deadline.
    check(&mut e, 2499, &[("GET px", "v")]);
    check(&mut e, 2500, &[("GET px", "(nil)")]);
    // A past absolute time leaves the key absent.
    check(
        &mut e,
        5000,
        &[("SET k v PXAT 100", "+OK"), ("EXISTS k", ":0")],
    );
}

#[test]
fn set_nx_xx_keepttl_and_get() {
    let mut e = Engine::new();
    check(
        &mut e,
        0,
        &[
            ("SET k a XX", "(nil)"),
            ("SET k a NX", "+OK"),
            ("SET k b NX", "(nil)"),
            ("SET k c XX PX 100", "+OK"),
            ("SET k d KEEPTTL", "+OK"),
            ("SET k d KEEPTTL KEEPTTL", "+OK"),
            ("GET k", "d"),
            ("PTTL k", ":100"),
            ("SET new v KEEPTTL", "+OK"),
            ("PTTL new", ":-1"),
            // GET answers the old value, set or not.
            ("SET g a GET", "(nil)"),
            ("SET g b GET", "a"),
            ("SET g c NX GET", "b"),
            ("GET g", "b"),
            ("SET x c XX GET", "(nil)"),
            ("EXISTS x", ":0"),
            ("SET g d GET EX 5", "b"),
            ("TTL g", ":5"),
        ],
    );
    // A key past its deadline counts as missing for NX and XX.
    check(
        &mut e,
        100,
        &[("SET k e XX", "(nil)"), ("SET k e NX", "+OK")],
    );
}

#[test]
fn set_options_are_checked_in_redis_order() {
    let mut e = Engine::new();
    check(
        &mut e,
        1000,
        &[
            ("SET k v NX XX", SYNTAX_ERROR),
            ("SET k v XX NX", SYNTAX_ERROR),
            ("SET k v EX 1 PX 1", SYNTAX_ERROR),
            ("SET k v PX 1 EXAT 1", SYNTAX_ERROR),
            ("SET k v EXAT 1 PXAT 1", SYNTAX_ERROR),
            ("SET k v PXAT 1 EX 1", SYNTAX_ERROR),
            ("SET k v KEEPTTL EX 1", SYNTAX_ERROR),
            ("SET k v EX 1 KEEPTTL", SYNTAX_ERROR),
            ("SET k v EX", SYNTAX_ERROR),
            ("SET k v PERSIST", SYNTAX_ERROR),
            ("SET k v FOO", SYNTAX_ERROR),
            // Every option is read before the expiry is.
            ("SET k v EX 0 FOO", SYNTAX_ERROR),
        ],
    );
    let invalid = "ERR invalid expire time in 'set' command";
    let huge = "9223372036854775807";
    check(
        &mut e,
        1000,
        &[
            ("SET k v EX 0", invalid),
            ("SET k v PX -5", invalid),
            ("SET k v EXAT 0", invalid),
            (&format!("SET k v EX {huge}"), invalid),
            (&format!("SET k v PX {huge}"), invalid),
        ],
    );
    check(
        &mut e,
        1000,
        &[
            ("SET k v EX ten", NOT_INTEGER),
            // The expiry is checked before GET's type check.
            ("SADD s m", ":1"),
            ("SET s v GET EX 0", invalid),
            (format!("SET k v PXAT {huge}").as_str(), "+OK"),
            ("PEXPIRETIME k", ":9223372036854775807"),
            // Repeating the same option is allowed; the last value wins.
            ("SET k v EX 1 EX 7", "+OK"),
            ("TTL k", ":7"),
            ("SET k v nx NX", "(nil)"),
        ],
    );
}

#[test]
fn setnx_setex_psetex_and_getset() {
    let mut e = Engine::new();
    check(
        &mut e,
        0,
        &[
            ("SETNX k a", ":1"),
            ("SETNX k b", ":0"),
            ("GET k", "a"),
            ("SETEX k 3 c", "+OK"),
            ("PTTL k", ":3000"),
            ("PSETEX k 30 d", "+OK"),
            ("PTTL k", ":30"),
            ("SETEX k 0 c", "ERR invalid expire time in 'setex' command"),
            (
                "PSETEX k -1 c",
                "ERR invalid expire time in 'psetex' command",
            ),
            ("SETEX k x c", NOT_INTEGER),
            // GETSET drops the deadline, as any plain SET does.
            ("GETSET g a", "(nil)"),
            ("EXPIRE g 100", ":1"),
            ("GETSET g b", "a"),
            ("TTL g", ":-1"),
        ],
    );
    check(&mut e, 30, &[("GET k", "(nil)")]);
}

#[test]
fn getex_sets_or_removes_the_deadline_and_getdel_deletes() {
    let mut e = Engine::new();
    check(
        &mut e,
        1000,
        &[
            ("SET k v", "+OK"),
            ("GETEX k", "v"),
            ("TTL k", ":-1"),
            ("GETEX k EX 5", "v"),
            ("PTTL k", ":5000"),
            ("GETEX k PX 50", "v"),
            ("PTTL k", ":50"),
            ("GETEX k EXAT 9", "v"),
            ("PEXPIRETIME k", ":9000"),
            ("GETEX k PXAT 8000", "v"),
            ("PEXPIRETIME k", ":8000"),
            ("GETEX k PERSIST PERSIST", "v"),
            ("TTL k", ":-1"),
            // A past absolute time returns the value, then the key is gone.
            ("GETEX k PXAT 999", "v"),
            ("EXISTS k", ":0"),
            ("SET d v", "+OK"),
            ("GETDEL d", "v"),
            ("GETDEL d", "(nil)"),
            ("SET t v PX 10", "+OK"),
        ],
    );
    check(&mut e, 1010, &[("GETDEL t", "(nil)")]);
    assert_eq!(e.keyspace().dbs[0].stored_len(), 0);
}

#[test]
fn getex_errors_and_missing_key() {
    let mut e = Engine::new();
    apply(&mut e, 1000, "SET k v");
    check(
        &mut e,
        1000,
        &[
            ("GETEX k NX", SYNTAX_ERROR),
            ("GETEX k GET", SYNTAX_ERROR),
            ("GETEX k KEEPTTL", SYNTAX_ERROR),
            ("GETEX k EX 1 PERSIST", SYNTAX_ERROR),
            ("GETEX k PERSIST PX 1", SYNTAX_ERROR),
            ("GETEX k EX", SYNTAX_ERROR),
            ("GETEX k EX 1 PX 1", SYNTAX_ERROR),
            ("GETEX nope EX", SYNTAX_ERROR),
        ],
    );
    check(
        &mut e,
        1000,
        &[
            ("GETEX k EX 0", "ERR invalid expire time in 'getex' command"),
            ("GETEX k EX x", NOT_INTEGER),
            // Missing key: Nil before the time is even looked at, as in Redis.
            ("GETEX nope EX x", "(nil)"),
        ],
    );
}

#[test]
fn mget_mset_and_msetnx() {
    let mut e = Engine::new();
    check(
        &mut e,
        0,
        &[
            ("MSET a 1 b 2", "+OK"),
            ("MGET a x b a", "[1 (nil) 2 1]"),
            (
                "MSET a 1 b",
                "ERR wrong number of arguments for 'mset' command",
            ),
            ("PEXPIRE a 10", ":1"),
            ("MSET a 3", "+OK"),
            ("PTTL a", ":-1"),
            ("MSETNX c 1 d 2", ":1"),
            ("MSETNX e 3 d 9", ":0"),
            ("EXISTS e", ":0"),
            ("GET d", "2"),
            // The same key twice in one call is fine: the last value wins.
            ("MSETNX f 1 f 2", ":1"),
            ("GET f", "2"),
            (
                "MSETNX a 1 b",
                "ERR wrong number of arguments for 'msetnx' command",
            ),
        ],
    );
}

#[test]
fn append_strlen_and_the_length_cap() {
    let mut e = Engine::new();
    check(
        &mut e,
        0,
        &[
            ("APPEND k ab", ":2"),
            ("PEXPIRE k 100", ":1"),
            ("APPEND k cde", ":5"),
            ("GET k", "abcde"),
            ("PTTL k", ":100"),
            ("SET u héllo", "+OK"),
            ("STRLEN u", ":6"),
            ("STRLEN nope", ":0"),
        ],
    );
    // Past the deadline APPEND starts a new key.
    check(&mut e, 100, &[("APPEND k x", ":1"), ("PTTL k", ":-1")]);
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
    check(
        &mut e,
        0,
        &[
            ("INCR n", ":1"),
            ("INCRBY n 10", ":11"),
            ("DECR n", ":10"),
            ("DECRBY n -5", ":15"),
            ("DECRBY m 3", ":-3"),
            ("GET n", "15"),
            ("PEXPIRE n 100", ":1"),
            ("INCR n", ":16"),
            ("PTTL n", ":100"),
        ],
    );
    // Expired counts as 0.
    check(&mut e, 100, &[("INCR n", ":1")]);
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
    check(
        &mut e,
        1000,
        &[
            ("INCR s", NOT_INTEGER),
            ("INCR sp", NOT_INTEGER),
            ("DECR z", NOT_INTEGER),
            ("INCRBY n +1", NOT_INTEGER),
            ("DECRBY n 1.5", NOT_INTEGER),
        ],
    );
    let overflow = "ERR increment or decrement would overflow";
    check(
        &mut e,
        1000,
        &[
            ("INCR max", overflow),
            ("DECR min", overflow),
            ("INCRBY min -1", overflow),
        ],
    );
    check(
        &mut e,
        1000,
        &[
            (
                "DECRBY n -9223372036854775808",
                "ERR decrement would overflow",
            ),
            ("GET max", "9223372036854775807"),
        ],
    );
}

#[test]
fn incrbyfloat_formats_like_redis() {
    let mut e = Engine::new();
    check(
        &mut e,
        0,
        &[
            ("INCRBYFLOAT f 10.5", "10.5"),
            ("INCRBYFLOAT f 0.1", "10.6"),
            ("INCRBYFLOAT f -10.6", "0"),
            ("SET g 5.0e3", "+OK"),
            ("PEXPIRE g 100", ":1"),
            ("INCRBYFLOAT g 2.0e2", "5200"),
            ("GET g", "5200"),
            ("PTTL g", ":100"),
            ("SET i 1", "+OK"),
            ("INCRBYFLOAT i -1.1", "-0.1"),
        ],
    );
}

#[test]
fn incrbyfloat_errors() {
    let mut e = Engine::new();
    apply(&mut e, 1000, "SET s abc");
    apply(&mut e, 1000, "SET big 1e4932");
    check(
        &mut e,
        1000,
        &[
            ("INCRBYFLOAT s 1", NOT_FLOAT),
            ("INCRBYFLOAT n x", NOT_FLOAT),
            ("INCRBYFLOAT n nan", NOT_FLOAT),
        ],
    );
    assert_eq!(
        apply(&mut e, 1000, &["INCRBYFLOAT", "n", " 1"]),
        err(NOT_FLOAT)
    );
    let nan = "ERR increment would produce NaN or Infinity";
    check(
        &mut e,
        1000,
        &[("INCRBYFLOAT n inf", nan), ("INCRBYFLOAT big 1e4932", nan)],
    );
    assert_eq!(apply(&mut e, 1000, "EXISTS n"), int(0));
}

#[test]
fn getrange_indexes_like_redis() {
    let mut e = Engine::new();
    apply(&mut e, 1000, &["SET", "k", "Hello World"]);
    check(
        &mut e,
        1000,
        &[
            ("GETRANGE k 0 4", "Hello"),
            ("GETRANGE k -5 -1", "World"),
            ("GETRANGE k 0 -1", r#""Hello World""#),
            ("GETRANGE k 5 3", r#""""#),
            ("GETRANGE k -100 2", "Hel"),
            ("GETRANGE k 0 100", r#""Hello World""#),
            ("GETRANGE k 20 30", r#""""#),
            // Redis 7 clamps both ends to 0.
            ("GETRANGE k -100 -50", "H"),
            ("GETRANGE k -1 -5", r#""""#),
            (
                "GETRANGE k 9223372036854775807 -9223372036854775808",
                r#""""#,
            ),
            (
                "GETRANGE k -9223372036854775808 9223372036854775807",
                r#""Hello World""#,
            ),
            ("GETRANGE nope 0 -1", r#""""#),
            ("GETRANGE k a 1", NOT_INTEGER),
            ("GETRANGE k 0 1.5", NOT_INTEGER),
        ],
    );
}

#[test]
fn setrange_patches_and_pads() {
    let mut e = Engine::new();
    apply(&mut e, 1000, &["SET", "k", "Hello World"]);
    check(
        &mut e,
        1000,
        &[
            ("SETRANGE k 6 Redis", ":11"),
            ("GET k", r#""Hello Redis""#),
            ("SETRANGE new 3 ab", ":5"),
            ("GET new", r#""\x00\x00\x00ab""#),
            ("SETRANGE k -1 x", "ERR offset is out of range"),
            (
                "SETRANGE k 536870912 x",
                "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
            ),
            ("SETRANGE k x x", NOT_INTEGER),
        ],
    );
    assert_eq!(apply(&mut e, 1000, &["SETRANGE", "k", "0", ""]), int(11));
    assert_eq!(apply(&mut e, 1000, &["SETRANGE", "none", "3", ""]), int(0));
    assert_eq!(apply(&mut e, 1000, "EXISTS none"), int(0));
}

#[test]
fn string_commands_notify_as_redis_does() {
    let mut e = Engine::new();
    listen(&mut e, "E$g");
    check_notified(
        &mut e,
        1000,
        &[
            ("SET k v", &["set k"]),
            ("SET k v NX", &[]),
            ("SET k v EX 100", &["set k", "expire k"]),
            ("SET k v KEEPTTL", &["set k"]),
            ("SET k v EX 0", &[]),
            ("SETEX k 10 v", &["set k", "expire k"]),
            ("PSETEX k 10 v", &["set k", "expire k"]),
            ("SETNX k v", &[]),
            ("SETNX n v", &["set n"]),
            ("GETSET k w", &["set k"]),
            ("MSET a 1 b 2", &["set a", "set b"]),
            ("MSETNX a 1 c 3", &[]),
            ("MSETNX c 3 d 4", &["set c", "set d"]),
            ("INCR a", &["incrby a"]),
            ("DECRBY a 2", &["incrby a"]),
            ("INCRBYFLOAT a 1.5", &["incrbyfloat a"]),
            ("INCR k", &[]),
            ("APPEND e x", &["append e"]),
            ("APPEND e y", &["append e"]),
            ("SETRANGE e 3 z", &["setrange e"]),
            ("SETRANGE f 3 z", &["setrange f"]),
            ("GETEX e PX 100", &["expire e"]),
            ("GETEX e PERSIST", &["persist e"]),
            ("GETEX e PERSIST", &[]),
            ("GETEX e", &[]),
            ("GETEX e PXAT 1", &["del e"]),
            ("GETDEL b", &["del b"]),
            ("GETDEL b", &[]),
            ("GET k", &[]),
        ],
    );
    let nothing = apply(&mut e, 1000, &["SETRANGE", "g", "0", ""]);
    assert_eq!((nothing, e.take_events()), (int(0), Vec::new()));
}

#[test]
fn substr_is_getrange_under_its_old_name() {
    let mut e = Engine::new();
    apply(&mut e, 1000, "SET k Hello");
    apply(&mut e, 1000, "SADD s m");
    check(
        &mut e,
        1000,
        &[
            ("SUBSTR k 1 3", "ell"),
            ("SUBSTR k -3 -1", "llo"),
            ("SUBSTR k -100 -50", "H"),
            ("SUBSTR nope 0 -1", r#""""#),
            ("SUBSTR k a 1", NOT_INTEGER),
            ("SUBSTR s 0 1", crate::reply::WRONGTYPE),
            (
                "SUBSTR k 0",
                "ERR wrong number of arguments for 'substr' command",
            ),
        ],
    );
}

#[test]
fn lcs_answers_the_subsequence_its_length_or_its_runs_as_redis() {
    let mut e = Engine::new();
    apply(&mut e, 1000, "MSET a ohmytext b mynewtext");
    check(
        &mut e,
        1000,
        &[
            ("LCS a b", "mytext"),
            ("LCS b a", "mytext"),
            ("LCS a b LEN", ":6"),
            ("lcs a b len len", ":6"),
            // Runs last first, each as [[start end] in a, [start end] in b].
            (
                "LCS a b IDX",
                "{matches [[[:4 :7] [:5 :8]] [[:2 :3] [:0 :1]]] len :6}",
            ),
            (
                "LCS a b IDX WITHMATCHLEN",
                "{matches [[[:4 :7] [:5 :8] :4] [[:2 :3] [:0 :1] :2]] len :6}",
            ),
            (
                "LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN",
                "{matches [[[:4 :7] [:5 :8] :4]] len :6}",
            ),
            ("LCS a b IDX MINMATCHLEN 7", "{matches [] len :6}"),
            (
                "LCS a b MINMATCHLEN -5 IDX",
                "{matches [[[:4 :7] [:5 :8]] [[:2 :3] [:0 :1]]] len :6}",
            ),
            // Without IDX, MINMATCHLEN and WITHMATCHLEN change nothing.
            ("LCS a b MINMATCHLEN 100 WITHMATCHLEN", "mytext"),
            // A missing key is the empty string.
            ("LCS a nope", r#""""#),
            ("LCS nope a LEN", ":0"),
            ("LCS nope a IDX", "{matches [] len :0}"),
        ],
    );
}

#[test]
fn lcs_checks_types_before_options_and_options_as_redis() {
    let mut e = Engine::new();
    apply(&mut e, 1000, "MSET a ohmytext b mynewtext");
    apply(&mut e, 1000, "SADD s m");
    let not_strings = "ERR The specified keys must contain string values";
    check(
        &mut e,
        1000,
        &[
            ("LCS s a", not_strings),
            ("LCS a s LEN", not_strings),
            ("LCS s a BADOPT", not_strings),
            ("LCS a b BADOPT", SYNTAX_ERROR),
            ("LCS a b MINMATCHLEN", SYNTAX_ERROR),
            ("LCS a b MINMATCHLEN x", NOT_INTEGER),
            ("LCS a b MINMATCHLEN x LEN IDX", NOT_INTEGER),
            (
                "LCS a b LEN IDX",
                "ERR If you want both the length and indexes, please just use IDX.",
            ),
            ("LCS a b LEN IDX BADOPT", SYNTAX_ERROR),
            ("LCS a", "ERR wrong number of arguments for 'lcs' command"),
        ],
    );
}

#[test]
fn lcs_refuses_strings_whose_table_would_be_too_large() {
    let mut e = Engine::new();
    let side = "x".repeat(1 << 13);
    apply(&mut e, 1000, &["SET", "a", side.as_str()]);
    apply(&mut e, 1000, &["SET", "b", &format!("{side}y")]);
    apply(&mut e, 1000, &["SET", "short", "xy"]);
    let too_large = super::lcs::TOO_LARGE;
    for line in ["LCS a b", "LCS b a LEN", "LCS a b IDX"] {
        assert_eq!(apply(&mut e, 1000, line), err(too_large), "{line}");
    }
    // One long string against a short one is cheap, and answered.
    assert_eq!(apply(&mut e, 1000, "LCS b short LEN"), int(2));
    assert_eq!(apply(&mut e, 1000, "LCS b nope"), crate::testutil::bulk(""));
}
