use crate::args::{MUST_BE_POSITIVE, NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::{Reply, WRONGTYPE};
use crate::spec::wrong_arity;
use crate::testutil::{apply, bulk, bulks, err, int, ok, read};
use crate::Engine;

/// An engine with the list `l` of `items` (a command line's words; no list when empty) and
/// the string `s`.
fn with_list(items: &str) -> Engine {
    let mut engine = Engine::new();
    if !items.is_empty() {
        apply(&mut engine, 0, format!("RPUSH l {items}").as_str());
    }
    apply(&mut engine, 0, "SET s x");
    engine
}

/// A case: what it shows, the items of the list `l` it starts from (see [`with_list`]), and the
/// commands it runs in order (reads too, through the log) with their replies.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, Reply)]);

fn run_cases(cases: &[Case]) {
    for (case, items, steps) in cases {
        let mut engine = with_list(items);
        for (line, expected) in *steps {
            assert_eq!(&apply(&mut engine, 0, *line), expected, "{case}: {line}");
        }
    }
}

fn ints(values: &[i64]) -> Reply {
    Reply::Array(values.iter().map(|&i| int(i)).collect())
}

fn key_and(key: &str, items: &[&str]) -> Reply {
    Reply::Array(vec![bulk(key), bulks(items)])
}

#[test]
fn every_command_refuses_a_key_of_another_type() {
    let mut engine = with_list("a b c");
    for line in [
        "LPUSH s v",
        "RPUSH s v",
        "LPUSHX s v",
        "RPUSHX s v",
        "LPOP s",
        "RPOP s 1",
        "LLEN s",
        "LRANGE s 0 1",
        "LINDEX s 0",
        "LSET s 0 z",
        "LINSERT s AFTER a y",
        "LREM s 0 c",
        "LTRIM s 0 1",
        "LPOS s c",
        "LMOVE s l LEFT LEFT",
        "RPOPLPUSH l s",
        "LMPOP 2 none s LEFT",
    ] {
        assert_eq!(apply(&mut engine, 0, line), err(WRONGTYPE), "{line}");
    }
    assert_eq!(read(&engine, 0, "LRANGE l 0 -1"), bulks(&["a", "b", "c"]));
}

#[test]
fn commands_reply_like_redis() {
    let rank_zero = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list";
    run_cases(&[
        (
            "pushes order and count",
            "",
            &[
                ("RPUSH l a b", int(2)),
                ("LPUSH l x y", int(4)),
                ("LRANGE l 0 -1", bulks(&["y", "x", "a", "b"])),
                ("LPUSHX l z", int(5)),
                ("RPUSHX l w", int(6)),
                ("LRANGE l 0 -1", bulks(&["z", "y", "x", "a", "b", "w"])),
                ("LPUSHX none z", int(0)),
                ("RPUSHX none z", int(0)),
                ("EXISTS none", int(0)),
                ("LPUSH l", wrong_arity("lpush")),
            ],
        ),
        (
            "pops with and without count",
            "a b c d",
            &[
                ("LPOP l", bulk("a")),
                ("RPOP l", bulk("d")),
                ("LPOP l 0", bulks(&[])),
                ("RPOP l 5", bulks(&["c", "b"])),
                ("EXISTS l", int(0)),
                ("LPOP l", Reply::Nil),
                ("LPOP l 2", Reply::NilArray),
                ("RPOP l 0", Reply::NilArray),
                ("LPOP l -1", err(MUST_BE_POSITIVE)),
                ("RPOP s x", err(MUST_BE_POSITIVE)),
                ("LPOP l 1 2", wrong_arity("lpop")),
            ],
        ),
        (
            "LLEN, LRANGE and LINDEX read",
            "a b c",
            &[
                ("LLEN l", int(3)),
                ("LLEN none", int(0)),
                ("LRANGE l 0 -1", bulks(&["a", "b", "c"])),
                ("LRANGE l -2 100", bulks(&["b", "c"])),
                ("LRANGE l -100 0", bulks(&["a"])),
                ("LRANGE l 2 1", bulks(&[])),
                ("LRANGE l 5 10", bulks(&[])),
                ("LRANGE l x 1", err(NOT_INTEGER)),
                ("LRANGE none 0 1", bulks(&[])),
                ("LRANGE s x 1", err(NOT_INTEGER)),
                ("LINDEX l -1", bulk("c")),
                ("LINDEX l 3", Reply::Nil),
                ("LINDEX l -4", Reply::Nil),
                ("LINDEX none x", Reply::Nil),
                ("LINDEX l x", err(NOT_INTEGER)),
                ("LINDEX s x", err(WRONGTYPE)),
            ],
        ),
        (
            "LSET replaces or errors",
            "a b",
            &[
                ("LSET l -1 z", ok()),
                ("LRANGE l 0 -1", bulks(&["a", "z"])),
                ("LSET l 2 z", err("ERR index out of range")),
                ("LSET none x z", err("ERR no such key")),
                ("LSET l x z", err(NOT_INTEGER)),
                ("LSET s x z", err(WRONGTYPE)),
            ],
        ),
        (
            "LINSERT goes before or after the first pivot",
            "a b a",
            &[
                ("LINSERT l BEFORE a x", int(4)),
                ("LINSERT l after b y", int(5)),
                ("LRANGE l 0 -1", bulks(&["x", "a", "b", "y", "a"])),
                ("LINSERT l AFTER q y", int(-1)),
                ("LINSERT none AFTER q y", int(0)),
                ("LINSERT l MIDDLE a y", err(SYNTAX_ERROR)),
                ("LINSERT s MIDDLE a y", err(SYNTAX_ERROR)),
            ],
        ),
        (
            "LREM removes from the head, the tail or all",
            "a b a c a",
            &[
                ("LREM l -1 a", int(1)),
                ("LRANGE l 0 -1", bulks(&["a", "b", "a", "c"])),
                ("LREM l 1 a", int(1)),
                ("LRANGE l 0 -1", bulks(&["b", "a", "c"])),
                ("LREM l 0 q", int(0)),
                ("LREM l 0 a", int(1)),
                ("LREM l 5 b", int(1)),
                ("LREM l 0 c", int(1)),
                ("EXISTS l", int(0)),
                ("LREM l 0 c", int(0)),
                ("LREM l x c", err(NOT_INTEGER)),
                ("LREM s x c", err(NOT_INTEGER)),
            ],
        ),
        (
            "LREM from the tail stops at its count",
            "a b a c a b",
            &[
                ("LREM l -2 a", int(2)),
                ("LRANGE l 0 -1", bulks(&["a", "b", "c", "b"])),
            ],
        ),
        (
            "LTRIM keeps the range and deletes when empty",
            "a b c d",
            &[
                ("LTRIM l 1 -2", ok()),
                ("LRANGE l 0 -1", bulks(&["b", "c"])),
                ("LTRIM l 0 100", ok()),
                ("LRANGE l 0 -1", bulks(&["b", "c"])),
                ("LTRIM l 5 10", ok()),
                ("EXISTS l", int(0)),
                ("LTRIM l 0 1", ok()),
                ("LTRIM l 0 y", err(NOT_INTEGER)),
                ("LTRIM s 0 y", err(NOT_INTEGER)),
            ],
        ),
        (
            "LPOS ranks, counts and bounds its scan",
            "a b c 1 2 3 c c",
            &[
                ("LPOS l c", int(2)),
                ("LPOS l c RANK 2", int(6)),
                ("LPOS l c RANK -1", int(7)),
                ("LPOS l c RANK -9223372036854775808", int(7)),
                (
                    "LPOS l c RANK -9223372036854775808 COUNT 1",
                    ints(&[7, 6, 2]),
                ),
                ("LPOS l c COUNT 0", ints(&[2, 6, 7])),
                ("LPOS l c COUNT 2 RANK 2", ints(&[6, 7])),
                ("LPOS l c COUNT 0 RANK -2", ints(&[6, 2])),
                ("LPOS l c COUNT 0 MAXLEN 3", ints(&[2])),
                ("LPOS l c rank -1 maxlen 2", int(7)),
                ("LPOS l c MAXLEN 2", Reply::Nil),
                ("LPOS l z COUNT 1", ints(&[])),
                ("LPOS none c COUNT 1", ints(&[])),
                ("LPOS none c", Reply::Nil),
                ("LPOS l c RANK 0", err(rank_zero)),
                ("LPOS l c RANK x", err(NOT_INTEGER)),
                ("LPOS l c COUNT -1", err("ERR COUNT can't be negative")),
                ("LPOS l c COUNT x", err("ERR COUNT can't be negative")),
                ("LPOS l c MAXLEN -1", err("ERR MAXLEN can't be negative")),
                ("LPOS l c COUNT", err(SYNTAX_ERROR)),
                ("LPOS l c FOO 1", err(SYNTAX_ERROR)),
                ("LPOS s c FOO 1", err(SYNTAX_ERROR)),
            ],
        ),
        (
            "LMOVE and RPOPLPUSH move one element",
            "a b c",
            &[
                ("LMOVE l m LEFT RIGHT", bulk("a")),
                ("RPOPLPUSH l m", bulk("c")),
                ("LRANGE m 0 -1", bulks(&["c", "a"])),
                ("LMOVE m m right left", bulk("a")),
                ("LRANGE m 0 -1", bulks(&["a", "c"])),
                ("LMOVE l l LEFT RIGHT", bulk("b")),
                ("LRANGE l 0 -1", bulks(&["b"])),
                ("RPOPLPUSH l m", bulk("b")),
                ("EXISTS l", int(0)),
                ("RPOPLPUSH l m", Reply::Nil),
                // An absent source moves nothing, whatever the destination holds.
                ("RPOPLPUSH l s", Reply::Nil),
                ("RPOPLPUSH m s", err(WRONGTYPE)),
                ("LRANGE m 0 -1", bulks(&["b", "a", "c"])),
                ("LMOVE m n UP LEFT", err(SYNTAX_ERROR)),
                ("LMOVE m n LEFT DOWN", err(SYNTAX_ERROR)),
            ],
        ),
        (
            "a rotation of a single element keeps the key and its TTL",
            "a",
            &[
                ("PEXPIRE l 100", int(1)),
                ("LMOVE l l LEFT RIGHT", bulk("a")),
                ("PTTL l", int(100)),
            ],
        ),
        (
            "LMPOP pops from the first non-empty list",
            "a b c",
            &[
                ("LMPOP 2 none l LEFT", key_and("l", &["a"])),
                ("LMPOP 1 l RIGHT COUNT 5", key_and("l", &["c", "b"])),
                ("EXISTS l", int(0)),
                ("LMPOP 1 l RIGHT", Reply::NilArray),
                (
                    "LMPOP 0 l LEFT",
                    err("ERR numkeys should be greater than 0"),
                ),
                (
                    "LMPOP x l LEFT",
                    err("ERR numkeys should be greater than 0"),
                ),
                ("LMPOP 2 l LEFT", err(SYNTAX_ERROR)),
                ("LMPOP 1 l UP", err(SYNTAX_ERROR)),
                ("LMPOP 1 l LEFT COUNT", err(SYNTAX_ERROR)),
                ("LMPOP 1 l LEFT COUNT 1 COUNT 1", err(SYNTAX_ERROR)),
                (
                    "LMPOP 1 l LEFT COUNT 0",
                    err("ERR count should be greater than 0"),
                ),
            ],
        ),
    ]);
}

#[test]
fn linsert_and_lset_in_the_middle_of_a_multi_node_list() {
    let mut model: Vec<String> = (0..300).map(|i| format!("i{i}")).collect();
    let mut engine = Engine::new();
    apply(
        &mut engine,
        0,
        format!("RPUSH l {}", model.join(" ")).as_str(),
    );
    for (pivot, element) in [("i150", "new-a"), ("i127", "new-b"), ("i128", "new-c")] {
        let line = format!("LINSERT l AFTER {pivot} {element}");
        let at = model.iter().position(|item| item == pivot).unwrap();
        model.insert(at + 1, element.to_string());
        assert_eq!(
            apply(&mut engine, 0, line.as_str()),
            int(model.len() as i64)
        );
    }
    let big = "b".repeat(super::value::NODE_BYTES_MAX);
    assert_eq!(
        apply(&mut engine, 0, format!("LSET l 200 {big}").as_str()),
        ok()
    );
    assert_eq!(apply(&mut engine, 0, "LSET l -5 tail"), ok());
    model[200] = big;
    let at = model.len() - 5;
    model[at] = "tail".to_string();
    let expected: Vec<&str> = model.iter().map(String::as_str).collect();
    assert_eq!(read(&engine, 0, "LRANGE l 0 -1"), bulks(&expected));
    for index in [0, 127, 128, 129, 151, 200, 302] {
        let reply = read(&engine, 0, format!("LINDEX l {index}").as_str());
        assert_eq!(reply, bulk(&model[index]));
    }
    assert_eq!(
        read(&engine, 0, "LRANGE l 126 130"),
        bulks(&expected[126..=130])
    );
}

#[test]
fn snapshot_round_trips_and_rejects_truncation() {
    let mut engine = with_list("a  ccc");
    apply(&mut engine, 0, "RPUSH m x");
    let bytes = engine.encode_snapshot();
    let decoded = Engine::decode_snapshot(&bytes).unwrap();
    assert_eq!(decoded, engine);
    assert_eq!(decoded.encode_snapshot(), bytes);
    for cut in 0..bytes.len() {
        assert!(Engine::decode_snapshot(&bytes[..cut]).is_err());
    }
}
