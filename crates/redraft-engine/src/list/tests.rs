use crate::args::{MUST_BE_POSITIVE, NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::WRONGTYPE;
use crate::testutil::{apply, bulk, bulks, check_notified, err, int, listen, ok, read, show};
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
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

fn run_cases(cases: &[Case]) {
    for (case, items, steps) in cases {
        let mut engine = with_list(items);
        for (line, expected) in *steps {
            let shown = show(&apply(&mut engine, 0, *line));
            assert_eq!(shown, *expected, "{case}: {line}");
        }
    }
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
                ("RPUSH l a b", ":2"),
                ("LPUSH l x y", ":4"),
                ("LRANGE l 0 -1", "[y x a b]"),
                ("LPUSHX l z", ":5"),
                ("RPUSHX l w", ":6"),
                ("LRANGE l 0 -1", "[z y x a b w]"),
                ("LPUSHX none z", ":0"),
                ("RPUSHX none z", ":0"),
                ("EXISTS none", ":0"),
                (
                    "LPUSH l",
                    "ERR wrong number of arguments for 'lpush' command",
                ),
            ],
        ),
        (
            "pops with and without count",
            "a b c d",
            &[
                ("LPOP l", "a"),
                ("RPOP l", "d"),
                ("LPOP l 0", "[]"),
                ("RPOP l 5", "[c b]"),
                ("EXISTS l", ":0"),
                ("LPOP l", "(nil)"),
                ("LPOP l 2", "(nil-array)"),
                ("RPOP l 0", "(nil-array)"),
                ("LPOP l -1", MUST_BE_POSITIVE),
                ("RPOP s x", MUST_BE_POSITIVE),
                (
                    "LPOP l 1 2",
                    "ERR wrong number of arguments for 'lpop' command",
                ),
            ],
        ),
        (
            "LLEN, LRANGE and LINDEX read",
            "a b c",
            &[
                ("LLEN l", ":3"),
                ("LLEN none", ":0"),
                ("LRANGE l 0 -1", "[a b c]"),
                ("LRANGE l -2 100", "[b c]"),
                ("LRANGE l -100 0", "[a]"),
                ("LRANGE l 2 1", "[]"),
                ("LRANGE l 5 10", "[]"),
                ("LRANGE l x 1", NOT_INTEGER),
                ("LRANGE none 0 1", "[]"),
                ("LRANGE s x 1", NOT_INTEGER),
                ("LINDEX l -1", "c"),
                ("LINDEX l 3", "(nil)"),
                ("LINDEX l -4", "(nil)"),
                ("LINDEX none x", "(nil)"),
                ("LINDEX l x", NOT_INTEGER),
                ("LINDEX s x", WRONGTYPE),
            ],
        ),
        (
            "LSET replaces or errors",
            "a b",
            &[
                ("LSET l -1 z", "+OK"),
                ("LRANGE l 0 -1", "[a z]"),
                ("LSET l 2 z", "ERR index out of range"),
                ("LSET none x z", "ERR no such key"),
                ("LSET l x z", NOT_INTEGER),
                ("LSET s x z", WRONGTYPE),
            ],
        ),
        (
            "LINSERT goes before or after the first pivot",
            "a b a",
            &[
                ("LINSERT l BEFORE a x", ":4"),
                ("LINSERT l after b y", ":5"),
                ("LRANGE l 0 -1", "[x a b y a]"),
                ("LINSERT l AFTER q y", ":-1"),
                ("LINSERT none AFTER q y", ":0"),
                ("LINSERT l MIDDLE a y", SYNTAX_ERROR),
                ("LINSERT s MIDDLE a y", SYNTAX_ERROR),
            ],
        ),
        (
            "LREM removes from the head, the tail or all",
            "a b a c a",
            &[
                ("LREM l -1 a", ":1"),
                ("LRANGE l 0 -1", "[a b a c]"),
                ("LREM l 1 a", ":1"),
                ("LRANGE l 0 -1", "[b a c]"),
                ("LREM l 0 q", ":0"),
                ("LREM l 0 a", ":1"),
                ("LREM l 5 b", ":1"),
                ("LREM l 0 c", ":1"),
                ("EXISTS l", ":0"),
                ("LREM l 0 c", ":0"),
                ("LREM l x c", NOT_INTEGER),
                ("LREM s x c", NOT_INTEGER),
            ],
        ),
        (
            "LREM from the tail stops at its count",
            "a b a c a b",
            &[("LREM l -2 a", ":2"), ("LRANGE l 0 -1", "[a b c b]")],
        ),
        (
            "LTRIM keeps the range and deletes when empty",
            "a b c d",
            &[
                ("LTRIM l 1 -2", "+OK"),
                ("LRANGE l 0 -1", "[b c]"),
                ("LTRIM l 0 100", "+OK"),
                ("LRANGE l 0 -1", "[b c]"),
                ("LTRIM l 5 10", "+OK"),
                ("EXISTS l", ":0"),
                ("LTRIM l 0 1", "+OK"),
                ("LTRIM l 0 y", NOT_INTEGER),
                ("LTRIM s 0 y", NOT_INTEGER),
            ],
        ),
        (
            "LPOS ranks, counts and bounds its scan",
            "a b c 1 2 3 c c",
            &[
                ("LPOS l c", ":2"),
                ("LPOS l c RANK 2", ":6"),
                ("LPOS l c RANK -1", ":7"),
                ("LPOS l c RANK -9223372036854775808", ":7"),
                ("LPOS l c RANK -9223372036854775808 COUNT 1", "[:7 :6 :2]"),
                ("LPOS l c COUNT 0", "[:2 :6 :7]"),
                ("LPOS l c COUNT 2 RANK 2", "[:6 :7]"),
                ("LPOS l c COUNT 0 RANK -2", "[:6 :2]"),
                ("LPOS l c COUNT 0 MAXLEN 3", "[:2]"),
                ("LPOS l c rank -1 maxlen 2", ":7"),
                ("LPOS l c MAXLEN 2", "(nil)"),
                ("LPOS l z COUNT 1", "[]"),
                ("LPOS none c COUNT 1", "[]"),
                ("LPOS none c", "(nil)"),
                ("LPOS l c RANK 0", rank_zero),
                ("LPOS l c RANK x", NOT_INTEGER),
                ("LPOS l c COUNT -1", "ERR COUNT can't be negative"),
                ("LPOS l c COUNT x", "ERR COUNT can't be negative"),
                ("LPOS l c MAXLEN -1", "ERR MAXLEN can't be negative"),
                ("LPOS l c COUNT", SYNTAX_ERROR),
                ("LPOS l c FOO 1", SYNTAX_ERROR),
                ("LPOS s c FOO 1", SYNTAX_ERROR),
            ],
        ),
        (
            "LMOVE and RPOPLPUSH move one element",
            "a b c",
            &[
                ("LMOVE l m LEFT RIGHT", "a"),
                ("RPOPLPUSH l m", "c"),
                ("LRANGE m 0 -1", "[c a]"),
                ("LMOVE m m right left", "a"),
                ("LRANGE m 0 -1", "[a c]"),
                ("LMOVE l l LEFT RIGHT", "b"),
                ("LRANGE l 0 -1", "[b]"),
                ("RPOPLPUSH l m", "b"),
                ("EXISTS l", ":0"),
                ("RPOPLPUSH l m", "(nil)"),
                // An absent source moves nothing, whatever the destination holds.
                ("RPOPLPUSH l s", "(nil)"),
                ("RPOPLPUSH m s", WRONGTYPE),
                ("LRANGE m 0 -1", "[b a c]"),
                ("LMOVE m n UP LEFT", SYNTAX_ERROR),
                ("LMOVE m n LEFT DOWN", SYNTAX_ERROR),
            ],
        ),
        (
            "a rotation of a single element keeps the key and its TTL",
            "a",
            &[
                ("PEXPIRE l 100", ":1"),
                ("LMOVE l l LEFT RIGHT", "a"),
                ("PTTL l", ":100"),
            ],
        ),
        (
            "LMPOP pops from the first non-empty list",
            "a b c",
            &[
                ("LMPOP 2 none l LEFT", "[l [a]]"),
                ("LMPOP 1 l RIGHT COUNT 5", "[l [c b]]"),
                ("EXISTS l", ":0"),
                ("LMPOP 1 l RIGHT", "(nil-array)"),
                ("LMPOP 0 l LEFT", "ERR numkeys should be greater than 0"),
                ("LMPOP x l LEFT", "ERR numkeys should be greater than 0"),
                ("LMPOP 2 l LEFT", SYNTAX_ERROR),
                ("LMPOP 1 l UP", SYNTAX_ERROR),
                ("LMPOP 1 l LEFT COUNT", SYNTAX_ERROR),
                ("LMPOP 1 l LEFT COUNT 1 COUNT 1", SYNTAX_ERROR),
                (
                    "LMPOP 1 l LEFT COUNT 0",
                    "ERR count should be greater than 0",
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

#[test]
fn list_commands_notify_as_redis_does() {
    let mut e = Engine::new();
    listen(&mut e, "Elg");
    check_notified(
        &mut e,
        1000,
        &[
            ("RPUSH l a b c", &["rpush l"]),
            ("LPUSHX none a", &[]),
            ("LPUSH l z", &["lpush l"]),
            ("LSET l 0 y", &["lset l"]),
            ("LSET l 9 y", &[]),
            ("LINSERT l BEFORE a x", &["linsert l"]),
            ("LINSERT l BEFORE nope x", &[]),
            ("LREM l 0 nope", &[]),
            ("LREM l 1 x", &["lrem l"]),
            ("LPOP l 0", &[]),
            ("LPOP l", &["lpop l"]),
            ("RPOP l 1", &["rpop l"]),
            // The push is notified before the pop, the source's deletion last.
            ("LMOVE l m LEFT RIGHT", &["rpush m", "lpop l"]),
            ("RPOPLPUSH l m", &["lpush m", "rpop l", "del l"]),
            ("LMOVE m m LEFT RIGHT", &["rpush m", "lpop m"]),
            ("LTRIM m 0 -1", &["ltrim m"]),
            ("RPUSH m c", &["rpush m"]),
            ("LMPOP 2 none m RIGHT COUNT 2", &["rpop m"]),
            ("LMPOP 1 m LEFT COUNT 5", &["lpop m", "del m"]),
            ("RPUSH t a b", &["rpush t"]),
            ("LTRIM t 1 0", &["ltrim t", "del t"]),
            ("RPUSH r a a", &["rpush r"]),
            ("LREM r 0 a", &["lrem r", "del r"]),
            ("BLPOP none 0", &[]),
        ],
    );
}
