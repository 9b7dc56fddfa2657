use super::*;
use crate::testutil::{apply as apply_value, bulk, bulks, err, int, ok, read as read_value};
use crate::Engine;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";
const T: u64 = 1_000_000;

fn entry(id: &str, fields: &[&str]) -> Reply {
    Reply::Array(vec![bulk(id), bulks(fields)])
}

fn arr(items: Vec<Reply>) -> Reply {
    Reply::Array(items)
}

/// The reply as RESP2 shapes it: XREAD's per-stream map becomes an array of [key, entries]
/// pairs, which is what most assertions here spell out.
fn as_resp2(reply: Reply) -> Reply {
    match reply {
        Reply::PairMap(pairs) => arr(pairs
            .into_iter()
            .map(|(key, value)| arr(vec![key, as_resp2(value)]))
            .collect()),
        Reply::Array(items) => arr(items.into_iter().map(as_resp2).collect()),
        other => other,
    }
}

fn apply(engine: &mut Engine, now_ms: u64, argv: &[&str]) -> Reply {
    as_resp2(apply_value(engine, now_ms, argv))
}

fn read(engine: &Engine, now_ms: u64, argv: &[&str]) -> Reply {
    as_resp2(read_value(engine, now_ms, argv))
}

#[test]
fn xread_and_xreadgroup_answer_a_map_of_streams() {
    let mut e = engine_with(1);
    let expected = Reply::PairMap(vec![(bulk("s"), arr(vec![entry("1-1", &["f", "1"])]))]);
    assert_eq!(read_value(&e, T, &["XREAD", "STREAMS", "s", "0"]), expected);
    apply(&mut e, T, &["XGROUP", "CREATE", "s", "g", "0"]);
    let delivered = apply_value(
        &mut e,
        T,
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
    );
    assert_eq!(delivered, expected);
}

/// A stream `s` with entries 1-1 .. n-1, each `f <i>`.
fn engine_with(n: u64) -> Engine {
    let mut engine = Engine::new();
    for i in 1..=n {
        let id = format!("{i}-1");
        let value = i.to_string();
        assert_eq!(
            apply(&mut engine, T, &["XADD", "s", &id, "f", &value]),
            bulk(&id)
        );
    }
    assert_eq!(apply(&mut engine, T, &["SET", "str", "v"]), ok());
    engine
}

fn stream(engine: &Engine, key: &str) -> StreamValue {
    match &engine.keyspace().dbs[0]
        .get(key.as_bytes(), 0)
        .unwrap()
        .value
    {
        crate::keyspace::Value::Stream(s) => (**s).clone(),
        _ => panic!("not a stream"),
    }
}

#[test]
fn xadd_explicit_partial_and_auto_ids() {
    let mut e = Engine::new();
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "5-3", "a", "1"]),
        bulk("5-3")
    );
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "5-*", "a", "1"]),
        bulk("5-4")
    );
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "7-*", "a", "1"]),
        bulk("7-0")
    );
    assert_eq!(apply(&mut e, T, &["XADD", "s", "9", "a", "1"]), bulk("9-0"));
    // Auto IDs take the entry time; within one millisecond the sequence counts.
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "*", "a", "1"]),
        bulk("1000000-0")
    );
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "*", "a", "1"]),
        bulk("1000000-1")
    );
    // A clock behind the top item keeps counting from it.
    assert_eq!(
        apply(&mut e, 5, &["XADD", "s", "*", "a", "1"]),
        bulk("1000000-2")
    );
    assert_eq!(read(&e, T, &["XLEN", "s"]), int(7));
    assert_eq!(stream(&e, "s").encoding_name(), "stream");
}

#[test]
fn xadd_errors_match_redis() {
    let mut e = engine_with(3);
    let smaller =
        "ERR The ID specified in XADD is equal or smaller than the target stream top item";
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "3-1", "f", "v"]),
        err(smaller)
    );
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "2-*", "f", "v"]),
        err(smaller)
    );
    assert_eq!(
        apply(&mut e, T, &["XADD", "n", "0-0", "f", "v"]),
        err("ERR The ID specified in XADD must be greater than 0-0")
    );
    assert_eq!(read(&e, T, &["EXISTS", "n"]), int(0));
    for bad in ["abc", "1-x", "-", "+", "1-2-3", "-1"] {
        assert_eq!(
            apply(&mut e, T, &["XADD", "s", bad, "f", "v"]),
            err(INVALID_ID),
            "{bad}"
        );
    }
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "*", "f"]),
        err("ERR wrong number of arguments for 'xadd' command")
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XADD", "s", "NOMKSTREAM", "NOMKSTREAM", "NOMKSTREAM"]
        ),
        err("ERR wrong number of arguments for 'xadd' command")
    );
    assert_eq!(
        apply(&mut e, T, &["XADD", "str", "*", "f", "v"]),
        err(WRONGTYPE)
    );
    assert_eq!(
        apply(&mut e, T, &["XADD", "n", "NOMKSTREAM", "*", "f", "v"]),
        Reply::Nil
    );
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "MAXLEN", "-1", "*", "f", "v"]),
        err("ERR The MAXLEN argument must be >= 0.")
    );
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "MAXLEN", "x", "*", "f", "v"]),
        err(NOT_INTEGER)
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XADD", "s", "MAXLEN", "1", "LIMIT", "5", "*", "f", "v"]
        ),
        err("ERR syntax error, LIMIT cannot be used without the special ~ option")
    );
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "LIMIT", "5", "*", "f", "v"]),
        err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "f", "v"]
        ),
        err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
    );
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "LIMIT", "-1", "*", "f", "v"]),
        err("ERR The LIMIT argument must be >= 0.")
    );
    let top = "18446744073709551615-18446744073709551615";
    assert_eq!(apply(&mut e, T, &["XADD", "x", top, "f", "v"]), bulk(top));
    assert_eq!(
        apply(&mut e, T, &["XADD", "x", "*", "f", "v"]),
        err("ERR The stream has exhausted the last possible ID, unable to add more items")
    );
    assert_eq!(read(&e, T, &["XLEN", "s"]), int(3));
}

#[test]
fn xadd_trims_after_adding() {
    let mut e = engine_with(5);
    assert_eq!(
        apply(&mut e, T, &["XADD", "s", "MAXLEN", "3", "6-1", "f", "6"]),
        bulk("6-1")
    );
    assert_eq!(read(&e, T, &["XLEN", "s"]), int(3));
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XADD", "s", "MINID", "=", "6", "7-1", "f", "7"]
        ),
        bulk("7-1")
    );
    assert_eq!(
        read(&e, T, &["XRANGE", "s", "-", "+"]),
        arr(vec![entry("6-1", &["f", "6"]), entry("7-1", &["f", "7"])])
    );
}

#[test]
fn xlen_counts_and_checks_type() {
    let e = engine_with(4);
    assert_eq!(read(&e, T, &["XLEN", "s"]), int(4));
    assert_eq!(read(&e, T, &["XLEN", "none"]), int(0));
    assert_eq!(read(&e, T, &["XLEN", "str"]), err(WRONGTYPE));
}

#[test]
fn xrange_and_xrevrange_with_exclusive_ends_and_count() {
    let e = engine_with(5);
    let all: Vec<Reply> = (1..=5)
        .map(|i| entry(&format!("{i}-1"), &["f", &i.to_string()]))
        .collect();
    assert_eq!(read(&e, T, &["XRANGE", "s", "-", "+"]), arr(all.clone()));
    assert_eq!(
        read(&e, T, &["XRANGE", "s", "2", "3"]),
        arr(all[1..3].to_vec())
    );
    assert_eq!(
        read(&e, T, &["XRANGE", "s", "(2-1", "(4-1"]),
        arr(all[2..3].to_vec())
    );
    assert_eq!(
        read(&e, T, &["XRANGE", "s", "-", "+", "COUNT", "2"]),
        arr(all[..2].to_vec())
    );
    assert_eq!(
        read(&e, T, &["XRANGE", "s", "-", "+", "count", "-3"]),
        Reply::NilArray
    );
    assert_eq!(read(&e, T, &["XRANGE", "s", "4", "2"]), arr(vec![]));
    let mut rev = all.clone();
    rev.reverse();
    assert_eq!(read(&e, T, &["XREVRANGE", "s", "+", "-"]), arr(rev.clone()));
    // "(5" excludes only 5-18446744073709551615.
    assert_eq!(
        read(&e, T, &["XREVRANGE", "s", "(5", "3", "COUNT", "1"]),
        arr(rev[..1].to_vec())
    );
    assert_eq!(
        read(&e, T, &["XREVRANGE", "s", "(5-1", "3", "COUNT", "1"]),
        arr(rev[1..2].to_vec())
    );
    assert_eq!(read(&e, T, &["XRANGE", "none", "-", "+"]), arr(vec![]));
    assert_eq!(
        read(&e, T, &["XRANGE", "none", "-", "+", "COUNT", "0"]),
        arr(vec![])
    );
    assert_eq!(read(&e, T, &["XRANGE", "str", "-", "+"]), err(WRONGTYPE));
    assert_eq!(read(&e, T, &["XRANGE", "s", "x", "+"]), err(INVALID_ID));
    assert_eq!(read(&e, T, &["XRANGE", "s", "(-", "+"]), err(INVALID_ID));
    assert_eq!(
        read(&e, T, &["XRANGE", "s", "-", "+", "COUNT"]),
        err(SYNTAX)
    );
    assert_eq!(
        read(&e, T, &["XRANGE", "s", "-", "+", "COUNT", "x"]),
        err(NOT_INTEGER)
    );
    let top = "(18446744073709551615-18446744073709551615";
    assert_eq!(
        read(&e, T, &["XRANGE", "s", top, "+"]),
        err("ERR invalid start ID for the interval")
    );
    assert_eq!(
        read(&e, T, &["XREVRANGE", "s", "(0-0", "-"]),
        err("ERR invalid end ID for the interval")
    );
}

#[test]
fn xdel_removes_entries_and_keeps_the_empty_stream() {
    let mut e = engine_with(3);
    assert_eq!(
        apply(&mut e, T, &["XDEL", "s", "1-1", "9-9", "1-1"]),
        int(1)
    );
    let s = stream(&e, "s");
    assert_eq!(
        (s.first_id, s.max_deleted_id),
        (StreamId::new(2, 1), StreamId::new(1, 1))
    );
    assert_eq!(apply(&mut e, T, &["XDEL", "s", "2-1", "3-1"]), int(2));
    assert_eq!(read(&e, T, &["XLEN", "s"]), int(0));
    assert_eq!(read(&e, T, &["TYPE", "s"]), Reply::Simple("stream".into()));
    assert_eq!(stream(&e, "s").first_id, StreamId::MIN);
    assert_eq!(apply(&mut e, T, &["XDEL", "none", "x"]), int(0));
    assert_eq!(apply(&mut e, T, &["XDEL", "s", "x"]), err(INVALID_ID));
    assert_eq!(apply(&mut e, T, &["XDEL", "str", "1"]), err(WRONGTYPE));
}

#[test]
fn xtrim_exact_and_approximate_follow_the_node_boundaries() {
    let mut e = engine_with(250);
    // Nodes hold 100 entries: `~` removes only whole nodes.
    assert_eq!(
        apply(&mut e, T, &["XTRIM", "s", "MAXLEN", "~", "120"]),
        int(100)
    );
    assert_eq!(
        apply(&mut e, T, &["XTRIM", "s", "MAXLEN", "~", "120"]),
        int(0)
    );
    assert_eq!(apply(&mut e, T, &["XTRIM", "s", "MAXLEN", "120"]), int(30));
    assert_eq!(apply(&mut e, T, &["XTRIM", "s", "MINID", "200"]), int(69));
    assert_eq!(read(&e, T, &["XLEN", "s"]), int(51));
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "10"]
        ),
        int(1)
    );
    assert_eq!(
        apply(&mut e, T, &["XTRIM", "s", "MINID", "~", "251"]),
        int(50)
    );
    assert_eq!(stream(&e, "s").radix_tree_nodes(), 1);
    assert_eq!(stream(&e, "s").first_id, StreamId::MIN);
    assert_eq!(apply(&mut e, T, &["XTRIM", "none", "MAXLEN", "0"]), int(0));
    assert_eq!(
        apply(&mut e, T, &["XTRIM", "str", "MAXLEN", "0"]),
        err(WRONGTYPE)
    );
    assert_eq!(
        apply(&mut e, T, &["XTRIM", "s", "LIMIT", "1"]),
        err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    );
    assert_eq!(apply(&mut e, T, &["XTRIM", "s", "FOO", "1"]), err(SYNTAX));
    assert_eq!(
        apply(&mut e, T, &["XTRIM", "s", "MINID", "x"]),
        err(INVALID_ID)
    );
}

#[test]
fn nodes_split_at_4096_bytes() {
    let mut e = Engine::new();
    let big = "x".repeat(1000);
    for i in 1..=9 {
        apply(&mut e, T, &["XADD", "s", &format!("{i}"), "f", &big]);
    }
    let s = stream(&e, "s");
    // Each entry is ~1 KB: four fit in a node.
    assert_eq!(s.radix_tree_keys(), 3);
    assert_eq!(
        apply(&mut e, T, &["XTRIM", "s", "MAXLEN", "~", "5"]),
        int(4)
    );
}

#[test]
fn xread_serves_entries_after_each_id() {
    let mut e = engine_with(3);
    apply(&mut e, T, &["XADD", "t", "10-0", "a", "b"]);
    assert_eq!(
        read(
            &e,
            T,
            &["XREAD", "COUNT", "1", "STREAMS", "s", "t", "1-1", "0"]
        ),
        arr(vec![
            arr(vec![bulk("s"), arr(vec![entry("2-1", &["f", "2"])])]),
            arr(vec![bulk("t"), arr(vec![entry("10-0", &["a", "b"])])]),
        ])
    );
    assert_eq!(
        read(&e, T, &["XREAD", "STREAMS", "s", "$"]),
        Reply::NilArray
    );
    assert_eq!(
        read(&e, T, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]),
        Reply::NilArray
    );
    assert_eq!(
        read(&e, T, &["XREAD", "STREAMS", "none", "0"]),
        Reply::NilArray
    );
    assert_eq!(
        read(&e, T, &["XREAD", "STREAMS", "str", "0"]),
        err(WRONGTYPE)
    );
    assert_eq!(
        read(&e, T, &["XREAD", "STREAMS", "s", ">"]),
        err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
    );
    assert_eq!(
        read(&e, T, &["XREAD", "STREAMS", "s", "t", "0"]),
        err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
    );
    assert_eq!(read(&e, T, &["XREAD", "COUNT", "1", "s", "0"]), err(SYNTAX));
    assert_eq!(
        read(&e, T, &["XREAD", "BLOCK", "-1", "STREAMS", "s", "0"]),
        err("ERR timeout is negative")
    );
    assert_eq!(
        read(&e, T, &["XREAD", "BLOCK", "x", "STREAMS", "s", "0"]),
        err("ERR timeout is not an integer or out of range")
    );
    assert_eq!(
        read(&e, T, &["XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"]),
        err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
    );
    assert_eq!(
        read(&e, T, &["XREAD", "NOACK", "STREAMS", "s", "0"]),
        err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
    );
    assert_eq!(
        read(&e, T, &["XREAD", "STREAMS", "s", "-"]),
        err(INVALID_ID)
    );
}

#[test]
fn xgroup_subcommands() {
    let mut e = engine_with(2);
    assert_eq!(apply(&mut e, T, &["XGROUP", "CREATE", "s", "g", "0"]), ok());
    assert_eq!(
        apply(&mut e, T, &["XGROUP", "CREATE", "s", "g", "$"]),
        err("BUSYGROUP Consumer Group name already exists")
    );
    assert_eq!(
        apply(&mut e, T, &["XGROUP", "CREATE", "n", "g", "$"]),
        err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &[
                "XGROUP",
                "CREATE",
                "n",
                "g",
                "$",
                "MKSTREAM",
                "ENTRIESREAD",
                "3"
            ]
        ),
        ok()
    );
    assert_eq!(read(&e, T, &["XLEN", "n"]), int(0));
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XGROUP", "CREATE", "s", "h", "0", "ENTRIESREAD", "-2"]
        ),
        err("ERR value for ENTRIESREAD must be positive or -1")
    );
    assert_eq!(
        apply(&mut e, T, &["XGROUP", "CREATE", "s", "h", "0", "BOGUS"]),
        err("ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.")
    );
    assert_eq!(
        apply(&mut e, T, &["XGROUP", "CREATE", "str", "g", "0"]),
        err(WRONGTYPE)
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XGROUP", "SETID", "s", "g", "$", "ENTRIESREAD", "2"]
        ),
        ok()
    );
    assert_eq!(
        apply(&mut e, T, &["XGROUP", "SETID", "s", "nog", "0"]),
        err("NOGROUP No such consumer group 'nog' for key name 's'")
    );
    assert_eq!(
        apply(&mut e, T, &["XGROUP", "CREATECONSUMER", "s", "g", "c"]),
        int(1)
    );
    assert_eq!(
        apply(&mut e, T, &["XGROUP", "CREATECONSUMER", "s", "g", "c"]),
        int(0)
    );
    assert_eq!(
        apply(&mut e, T, &["XGROUP", "DELCONSUMER", "s", "g", "c"]),
        int(0)
    );
    assert_eq!(
        apply(&mut e, T, &["XGROUP", "DELCONSUMER", "s", "g", "c"]),
        int(0)
    );
    assert_eq!(apply(&mut e, T, &["XGROUP", "DESTROY", "s", "g"]), int(1));
    assert_eq!(apply(&mut e, T, &["XGROUP", "DESTROY", "s", "g"]), int(0));
    assert_eq!(
        apply(&mut e, T, &["XGROUP", "foo"]),
        err("ERR unknown subcommand 'foo'. Try XGROUP HELP.")
    );
    assert_eq!(
        apply(&mut e, T, &["XGROUP", "create", "s"]),
        err("ERR wrong number of arguments for 'xgroup|create' command")
    );
    assert!(
        matches!(apply(&mut e, T, &["XGROUP", "HELP"]), Reply::Array(lines) if lines.len() > 5)
    );
}

#[test]
fn xreadgroup_delivers_new_entries_and_replays_history() {
    let mut e = engine_with(3);
    apply(&mut e, T, &["XGROUP", "CREATE", "s", "g", "0"]);
    assert_eq!(
        apply(
            &mut e,
            T,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "alice",
                "COUNT",
                "2",
                "STREAMS",
                "s",
                ">"
            ]
        ),
        arr(vec![arr(vec![
            bulk("s"),
            arr(vec![entry("1-1", &["f", "1"]), entry("2-1", &["f", "2"])])
        ])])
    );
    assert_eq!(
        apply(
            &mut e,
            T + 5,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "bob",
                "NOACK",
                "STREAMS",
                "s",
                ">"
            ]
        ),
        arr(vec![arr(vec![
            bulk("s"),
            arr(vec![entry("3-1", &["f", "3"])])
        ])])
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "bob",
                "BLOCK",
                "10",
                "STREAMS",
                "s",
                ">"
            ]
        ),
        Reply::NilArray
    );
    apply(&mut e, T, &["XDEL", "s", "2-1"]);
    // History: the consumer's own pending entries; a deleted one comes with a Nil.
    assert_eq!(
        apply(
            &mut e,
            T + 7,
            &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"]
        ),
        arr(vec![arr(vec![
            bulk("s"),
            arr(vec![
                entry("1-1", &["f", "1"]),
                arr(vec![bulk("2-1"), Reply::NilArray])
            ])
        ])])
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0"]
        ),
        arr(vec![arr(vec![bulk("s"), arr(vec![])])])
    );
    let s = stream(&e, "s");
    let g = &s.groups[&b"g"[..]];
    assert_eq!(g.last_id, StreamId::new(3, 1));
    assert_eq!(g.pel[&StreamId::new(1, 1)].delivery_count, 2);
    assert_eq!(g.pel[&StreamId::new(1, 1)].delivery_time_ms, (T + 7) as i64);
    // Entry time never goes back: the last read was applied at T + 7.
    assert_eq!(g.consumers[&b"bob"[..]].seen_time_ms, (T + 7) as i64);
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"]
        ),
        err("NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option")
    );
    assert_eq!(
        apply(&mut e, T, &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"]),
        err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "s", ">"]
        ),
        err("ERR Missing GROUP option for XREADGROUP")
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"]
        ),
        err(WRONGTYPE)
    );
}

#[test]
fn xack_and_xpending() {
    let mut e = engine_with(3);
    apply(&mut e, T, &["XGROUP", "CREATE", "s", "g", "0"]);
    apply(
        &mut e,
        T,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "2",
            "STREAMS",
            "s",
            ">",
        ],
    );
    apply(
        &mut e,
        T + 100,
        &["XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"],
    );
    assert_eq!(
        read(&e, T + 1000, &["XPENDING", "s", "g"]),
        arr(vec![
            int(3),
            bulk("1-1"),
            bulk("3-1"),
            arr(vec![bulks(&["a", "2"]), bulks(&["b", "1"])])
        ])
    );
    let row = |id: &str, c: &str, idle: i64| arr(vec![bulk(id), bulk(c), int(idle), int(1)]);
    assert_eq!(
        read(&e, T + 1000, &["XPENDING", "s", "g", "-", "+", "10"]),
        arr(vec![
            row("1-1", "a", 1000),
            row("2-1", "a", 1000),
            row("3-1", "b", 900)
        ])
    );
    assert_eq!(
        read(
            &e,
            T + 1000,
            &["XPENDING", "s", "g", "IDLE", "950", "-", "+", "10"]
        ),
        arr(vec![row("1-1", "a", 1000), row("2-1", "a", 1000)])
    );
    assert_eq!(
        read(&e, T + 1000, &["XPENDING", "s", "g", "(1-1", "+", "1", "a"]),
        arr(vec![row("2-1", "a", 1000)])
    );
    assert_eq!(
        read(&e, T, &["XPENDING", "s", "g", "-", "+", "10", "nobody"]),
        arr(vec![])
    );
    assert_eq!(
        apply(&mut e, T, &["XACK", "s", "g", "1-1", "2-1", "9-9"]),
        int(2)
    );
    assert_eq!(apply(&mut e, T, &["XACK", "s", "g", "x"]), err(INVALID_ID));
    assert_eq!(apply(&mut e, T, &["XACK", "s", "nog", "x"]), int(0));
    assert_eq!(apply(&mut e, T, &["XACK", "str", "g", "1"]), err(WRONGTYPE));
    assert_eq!(apply(&mut e, T, &["XACK", "s", "g", "3-1"]), int(1));
    assert_eq!(
        read(&e, T, &["XPENDING", "s", "g"]),
        arr(vec![int(0), Reply::Nil, Reply::Nil, Reply::NilArray])
    );
    assert_eq!(read(&e, T, &["XPENDING", "s", "g", "-"]), err(SYNTAX));
    assert_eq!(
        read(&e, T, &["XPENDING", "s", "g", "IDLE", "5", "-", "+"]),
        err(SYNTAX)
    );
    assert_eq!(
        read(&e, T, &["XPENDING", "s", "g", "-", "+", "x"]),
        err(NOT_INTEGER)
    );
    assert_eq!(
        read(&e, T, &["XPENDING", "s", "nog"]),
        err("NOGROUP No such key 's' or consumer group 'nog'")
    );
    assert_eq!(read(&e, T, &["XPENDING", "str", "g"]), err(WRONGTYPE));
}

#[test]
fn xclaim_moves_ownership_with_its_options() {
    let mut e = engine_with(4);
    apply(&mut e, T, &["XGROUP", "CREATE", "s", "g", "0"]);
    apply(
        &mut e,
        T,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "3",
            "STREAMS",
            "s",
            ">",
        ],
    );
    // Not idle long enough: nothing claimed.
    assert_eq!(
        apply(&mut e, T + 10, &["XCLAIM", "s", "g", "b", "100", "1-1"]),
        arr(vec![])
    );
    assert_eq!(
        apply(
            &mut e,
            T + 200,
            &["XCLAIM", "s", "g", "b", "100", "1-1", "2-1"]
        ),
        arr(vec![entry("1-1", &["f", "1"]), entry("2-1", &["f", "2"])])
    );
    assert_eq!(
        apply(
            &mut e,
            T + 200,
            &[
                "XCLAIM",
                "s",
                "g",
                "c",
                "0",
                "3-1",
                "IDLE",
                "50",
                "RETRYCOUNT",
                "7",
                "JUSTID"
            ]
        ),
        bulks(&["3-1"])
    );
    // FORCE creates a pending entry for an existing entry; LASTID moves the group forward.
    assert_eq!(
        apply(
            &mut e,
            T + 200,
            &[
                "XCLAIM", "s", "g", "c", "0", "4-1", "FORCE", "JUSTID", "LASTID", "4-1", "TIME",
                "5"
            ]
        ),
        bulks(&["4-1"])
    );
    let s = stream(&e, "s");
    let g = &s.groups[&b"g"[..]];
    assert_eq!(g.last_id, StreamId::new(4, 1));
    assert_eq!(g.pel[&StreamId::new(1, 1)].consumer, b"b");
    assert_eq!(g.pel[&StreamId::new(1, 1)].delivery_count, 2);
    assert_eq!(g.pel[&StreamId::new(3, 1)].delivery_count, 7);
    assert_eq!(
        g.pel[&StreamId::new(3, 1)].delivery_time_ms,
        (T + 150) as i64
    );
    assert_eq!(g.pel[&StreamId::new(4, 1)].delivery_time_ms, 5);
    assert_eq!(g.pel[&StreamId::new(4, 1)].delivery_count, 1);
    assert!(g.consumers[&b"a"[..]].pending.is_empty());
    // A claimed entry deleted since is dropped from the PEL.
    apply(&mut e, T, &["XDEL", "s", "1-1"]);
    assert_eq!(
        apply(&mut e, T + 300, &["XCLAIM", "s", "g", "c", "0", "1-1"]),
        arr(vec![])
    );
    assert!(!stream(&e, "s").groups[&b"g"[..]]
        .pel
        .contains_key(&StreamId::new(1, 1)));
    assert_eq!(
        apply(&mut e, T, &["XCLAIM", "s", "g", "c", "x", "1-1"]),
        err("ERR Invalid min-idle-time argument for XCLAIM")
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XCLAIM", "s", "g", "c", "0", "1-1", "IDLE", "x"]
        ),
        err("ERR Invalid IDLE option argument for XCLAIM")
    );
    assert_eq!(
        apply(&mut e, T, &["XCLAIM", "s", "g", "c", "0", "1-1", "BOGUS"]),
        err("ERR Unrecognized XCLAIM option 'BOGUS'")
    );
    assert_eq!(
        apply(&mut e, T, &["XCLAIM", "s", "nog", "c", "0", "1-1"]),
        err("NOGROUP No such key 's' or consumer group 'nog'")
    );
    assert_eq!(
        apply(&mut e, T, &["XCLAIM", "str", "g", "c", "0", "1-1"]),
        err(WRONGTYPE)
    );
}

#[test]
fn xautoclaim_walks_the_pel_with_a_cursor_and_reports_deleted_ids() {
    let mut e = engine_with(5);
    apply(&mut e, T, &["XGROUP", "CREATE", "s", "g", "0"]);
    apply(
        &mut e,
        T,
        &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"],
    );
    apply(&mut e, T, &["XDEL", "s", "2-1"]);
    assert_eq!(
        apply(
            &mut e,
            T + 10,
            &["XAUTOCLAIM", "s", "g", "b", "0", "-", "COUNT", "2"]
        ),
        arr(vec![
            bulk("3-1"),
            arr(vec![entry("1-1", &["f", "1"])]),
            bulks(&["2-1"])
        ])
    );
    assert_eq!(
        apply(
            &mut e,
            T + 10,
            &["XAUTOCLAIM", "s", "g", "b", "0", "3-1", "JUSTID"]
        ),
        arr(vec![
            bulk("0-0"),
            bulks(&["3-1", "4-1", "5-1"]),
            arr(vec![])
        ])
    );
    assert_eq!(
        apply(
            &mut e,
            T + 20,
            &["XAUTOCLAIM", "s", "g", "c", "3600000", "-"]
        ),
        arr(vec![bulk("0-0"), arr(vec![]), arr(vec![])])
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &["XAUTOCLAIM", "s", "g", "c", "0", "-", "COUNT", "0"]
        ),
        err("ERR COUNT must be > 0")
    );
    assert_eq!(
        apply(&mut e, T, &["XAUTOCLAIM", "s", "g", "c", "x", "-"]),
        err("ERR Invalid min-idle-time argument for XAUTOCLAIM")
    );
    assert_eq!(
        apply(&mut e, T, &["XAUTOCLAIM", "s", "g", "c", "0", "-", "FOO"]),
        err(SYNTAX)
    );
    assert_eq!(
        apply(&mut e, T, &["XAUTOCLAIM", "s", "nog", "c", "0", "-"]),
        err("NOGROUP No such key 's' or consumer group 'nog'")
    );
    assert_eq!(
        apply(&mut e, T, &["XAUTOCLAIM", "str", "g", "c", "0", "-"]),
        err(WRONGTYPE)
    );
}

fn map(pairs: Vec<(&str, Reply)>) -> Reply {
    Reply::Map(pairs.into_iter().map(|(k, v)| (bulk(k), v)).collect())
}

#[test]
fn xinfo_stream_groups_and_consumers() {
    let mut e = engine_with(3);
    apply(&mut e, T, &["XGROUP", "CREATE", "s", "g", "0"]);
    apply(
        &mut e,
        T,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "1",
            "STREAMS",
            "s",
            ">",
        ],
    );
    assert_eq!(
        read(&e, T, &["XINFO", "STREAM", "s"]),
        map(vec![
            ("length", int(3)),
            ("radix-tree-keys", int(1)),
            ("radix-tree-nodes", int(2)),
            ("last-generated-id", bulk("3-1")),
            ("max-deleted-entry-id", bulk("0-0")),
            ("entries-added", int(3)),
            ("recorded-first-entry-id", bulk("1-1")),
            ("groups", int(1)),
            ("first-entry", entry("1-1", &["f", "1"])),
            ("last-entry", entry("3-1", &["f", "3"])),
        ])
    );
    assert_eq!(
        read(&e, T, &["XINFO", "GROUPS", "s"]),
        arr(vec![map(vec![
            ("name", bulk("g")),
            ("consumers", int(1)),
            ("pending", int(1)),
            ("last-delivered-id", bulk("1-1")),
            ("entries-read", int(1)),
            ("lag", int(2)),
        ])])
    );
    assert_eq!(
        read(&e, T + 250, &["XINFO", "CONSUMERS", "s", "g"]),
        arr(vec![map(vec![
            ("name", bulk("a")),
            ("pending", int(1)),
            ("idle", int(250))
        ])])
    );
    assert_eq!(
        read(&e, T, &["XINFO", "STREAM", "s", "FULL", "COUNT", "1"]),
        map(vec![
            ("length", int(3)),
            ("radix-tree-keys", int(1)),
            ("radix-tree-nodes", int(2)),
            ("last-generated-id", bulk("3-1")),
            ("max-deleted-entry-id", bulk("0-0")),
            ("entries-added", int(3)),
            ("recorded-first-entry-id", bulk("1-1")),
            ("entries", arr(vec![entry("1-1", &["f", "1"])])),
            (
                "groups",
                arr(vec![map(vec![
                    ("name", bulk("g")),
                    ("last-delivered-id", bulk("1-1")),
                    ("entries-read", int(1)),
                    ("lag", int(2)),
                    ("pel-count", int(1)),
                    (
                        "pending",
                        arr(vec![arr(vec![
                            bulk("1-1"),
                            bulk("a"),
                            int(T as i64),
                            int(1)
                        ])])
                    ),
                    (
                        "consumers",
                        arr(vec![map(vec![
                            ("name", bulk("a")),
                            ("seen-time", int(T as i64)),
                            ("pel-count", int(1)),
                            (
                                "pending",
                                arr(vec![arr(vec![bulk("1-1"), int(T as i64), int(1)])])
                            ),
                        ])])
                    ),
                ])])
            ),
        ])
    );
    // A deletion after the group's position makes the lag unknown.
    apply(&mut e, T, &["XDEL", "s", "2-1"]);
    let Reply::Array(groups) = read(&e, T, &["XINFO", "GROUPS", "s"]) else {
        panic!()
    };
    let Reply::Map(fields) = &groups[0] else {
        panic!()
    };
    assert_eq!(fields[5], (bulk("lag"), Reply::Nil));
    assert_eq!(
        read(&e, T, &["XINFO", "STREAM", "none"]),
        err("ERR no such key")
    );
    assert_eq!(read(&e, T, &["XINFO", "STREAM", "str"]), err(WRONGTYPE));
    assert_eq!(
        read(&e, T, &["XINFO", "STREAM", "s", "BOGUS"]),
        err("ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.")
    );
    assert_eq!(
        read(&e, T, &["XINFO", "CONSUMERS", "s", "nog"]),
        err("NOGROUP No such consumer group 'nog' for key name 's'")
    );
    assert_eq!(
        read(&e, T, &["XINFO", "GROUPS"]),
        err("ERR wrong number of arguments for 'xinfo|groups' command")
    );
    assert_eq!(
        read(&e, T, &["XINFO", "x"]),
        err("ERR unknown subcommand 'x'. Try XINFO HELP.")
    );
    assert!(matches!(read(&e, T, &["XINFO", "help"]), Reply::Array(_)));
}

#[test]
fn xsetid_moves_the_last_id_forward_only() {
    let mut e = engine_with(3);
    assert_eq!(
        apply(&mut e, T, &["XSETID", "s", "2-0"]),
        err("ERR The ID specified in XSETID is smaller than the target stream top item")
    );
    assert_eq!(
        apply(&mut e, T, &["XSETID", "s", "9-0", "ENTRIESADDED", "1"]),
        err("ERR The entries_added specified in XSETID is smaller than the target stream length")
    );
    assert_eq!(
        apply(
            &mut e,
            T,
            &[
                "XSETID",
                "s",
                "9-0",
                "ENTRIESADDED",
                "10",
                "MAXDELETEDID",
                "8-0"
            ]
        ),
        ok()
    );
    let s = stream(&e, "s");
    assert_eq!(
        (s.last_id, s.entries_added, s.max_deleted_id),
        (StreamId::new(9, 0), 10, StreamId::new(8, 0))
    );
    assert_eq!(
        apply(&mut e, T, &["XSETID", "s", "9-0", "MAXDELETEDID", "10-0"]),
        err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
    );
    assert_eq!(
        apply(&mut e, T, &["XSETID", "s", "9-0", "ENTRIESADDED", "-1"]),
        err("ERR entries_added must be positive")
    );
    assert_eq!(
        apply(&mut e, T, &["XSETID", "none", "1-0"]),
        err("ERR no such key")
    );
    assert_eq!(apply(&mut e, T, &["XSETID", "str", "1-0"]), err(WRONGTYPE));
    assert_eq!(
        apply(&mut e, T, &["XSETID", "s", "1-0", "FOO", "1"]),
        err(SYNTAX)
    );
    assert!(apply(&mut e, T, &["XADD", "s", "9-0", "f", "v"]).is_error());
}

#[test]
fn snapshot_round_trips_and_truncation_is_an_error() {
    let mut e = engine_with(120);
    apply(&mut e, T, &["XGROUP", "CREATE", "s", "g", "0"]);
    apply(
        &mut e,
        T,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "5",
            "STREAMS",
            "s",
            ">",
        ],
    );
    apply(&mut e, T, &["XDEL", "s", "3-1", "110-1"]);
    let bytes = e.encode_snapshot();
    let decoded = Engine::decode_snapshot(&bytes).unwrap();
    assert_eq!(decoded, e);
    assert_eq!(decoded.encode_snapshot(), bytes);
    for cut in [bytes.len() - 1, bytes.len() / 2, 40] {
        assert!(Engine::decode_snapshot(&bytes[..cut]).is_err());
    }
}

#[test]
fn id_parsing_follows_string2ull() {
    let rules = IdRules {
        missing_seq: 7,
        strict: false,
        partial_seq: false,
    };
    let parse = |text: &str| parse_id_with(text.as_bytes(), rules).map(|p| p.id);
    assert_eq!(parse("5"), Some(StreamId::new(5, 7)));
    assert_eq!(parse("007-1"), Some(StreamId::new(7, 1)));
    assert_eq!(parse(" 7-+1"), Some(StreamId::new(7, 1)));
    assert_eq!(parse("1--5"), None);
    assert_eq!(parse("18446744073709551616"), None);
    assert_eq!(parse("+"), Some(StreamId::MAX));
    assert_eq!(parse(&"1".repeat(128)), None);
    assert_eq!(parse("1-*"), None);
}
