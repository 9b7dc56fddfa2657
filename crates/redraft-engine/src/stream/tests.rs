use super::ids::INVALID_ID;
use super::ids::{parse_id_with, IdRules};
use super::*;
use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::{Reply, WRONGTYPE};
use crate::testutil::{self, bulk, show, IntoArgv};
use crate::Engine;

const T: u64 = 1_000_000;
const NO_KEY_OR_GROUP: &str = "NOGROUP No such key 's' or consumer group 'nog'";
const NO_GROUP: &str = "NOGROUP No such consumer group 'nog' for key name 's'";
const XGROUP_NO_KEY: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

/// The reply as RESP2 shapes it: XREAD's per-stream map becomes an array of [key, entries]
/// pairs, which is what most assertions here spell out.
fn as_resp2(reply: Reply) -> Reply {
    match reply {
        Reply::PairMap(pairs) => Reply::Array(
            pairs
                .into_iter()
                .map(|(key, value)| Reply::Array(vec![key, as_resp2(value)]))
                .collect(),
        ),
        Reply::Array(items) => Reply::Array(items.into_iter().map(as_resp2).collect()),
        other => other,
    }
}

fn apply(engine: &mut Engine, now_ms: u64, command: impl IntoArgv) -> Reply {
    as_resp2(testutil::apply(engine, now_ms, command))
}

fn read(engine: &Engine, now_ms: u64, command: impl IntoArgv) -> Reply {
    as_resp2(testutil::read(engine, now_ms, command))
}

/// Applies each command line in order at `now_ms`, checking its reply in its RESP2 shape as
/// [`show`] writes it.
fn applies(engine: &mut Engine, now_ms: u64, cases: &[(&str, &str)]) {
    for (line, expected) in cases {
        assert_eq!(show(&apply(engine, now_ms, *line)), *expected, "{line}");
    }
}

/// Reads each command line at `now_ms`, checking its reply in its RESP2 shape as [`show`]
/// writes it.
fn reads(engine: &Engine, now_ms: u64, cases: &[(&str, &str)]) {
    for (line, expected) in cases {
        assert_eq!(show(&read(engine, now_ms, *line)), *expected, "{line}");
    }
}

/// A stream `s` with entries 1-1 .. n-1, each `f <i>`, and a string at `str`.
fn engine_with(n: u64) -> Engine {
    let mut engine = Engine::new();
    for i in 1..=n {
        let reply = apply(&mut engine, T, format!("XADD s {i}-1 f {i}").as_str());
        assert_eq!(show(&reply), format!("{i}-1"));
    }
    apply(&mut engine, T, "SET str v");
    engine
}

/// `engine_with(n)` and a group `g` on `s` from the start.
fn engine_with_group(n: u64) -> Engine {
    let mut engine = engine_with(n);
    assert_eq!(show(&apply(&mut engine, T, "XGROUP CREATE s g 0")), "+OK");
    engine
}

fn stream(engine: &Engine, key: &str) -> StreamValue {
    let db = &engine.keyspace().dbs[0];
    let stream = db.get_as::<StreamValue>(key.as_bytes(), 0).unwrap();
    stream.expect("a stream").clone()
}

#[test]
fn xread_and_xreadgroup_answer_a_map_of_streams() {
    let mut e = engine_with_group(1);
    let expected = "%{s [[1-1 [f 1]]]}";
    assert_eq!(show(&testutil::read(&e, T, "XREAD STREAMS s 0")), expected);
    let delivered = testutil::apply(&mut e, T, "XREADGROUP GROUP g c STREAMS s >");
    assert_eq!(show(&delivered), expected);
}

#[test]
fn xadd_explicit_partial_and_auto_ids() {
    let mut e = Engine::new();
    applies(
        &mut e,
        T,
        &[
            ("XADD s 5-3 a 1", "5-3"),
            ("XADD s 5-* a 1", "5-4"),
            ("XADD s 7-* a 1", "7-0"),
            ("XADD s 9 a 1", "9-0"),
            // Auto IDs take the entry time; within one millisecond the sequence counts.
            ("XADD s * a 1", "1000000-0"),
            ("XADD s * a 1", "1000000-1"),
        ],
    );
    // A clock behind the top item keeps counting from it.
    applies(&mut e, 5, &[("XADD s * a 1", "1000000-2")]);
    reads(&e, T, &[("XLEN s", ":7")]);
    assert_eq!(testutil::encoding(&e, "s"), "stream");
}

#[test]
fn xadd_errors_match_redis() {
    let mut e = engine_with(3);
    let smaller =
        "ERR The ID specified in XADD is equal or smaller than the target stream top item";
    let arity = "ERR wrong number of arguments for 'xadd' command";
    applies(
        &mut e,
        T,
        &[
            ("XADD s 3-1 f v", smaller),
            ("XADD s 2-* f v", smaller),
            (
                "XADD n 0-0 f v",
                "ERR The ID specified in XADD must be greater than 0-0",
            ),
            ("XADD s * f", arity),
            ("XADD s NOMKSTREAM NOMKSTREAM NOMKSTREAM", arity),
            ("XADD str * f v", WRONGTYPE),
            ("XADD n NOMKSTREAM * f v", "(nil)"),
            (
                "XADD s MAXLEN -1 * f v",
                "ERR The MAXLEN argument must be >= 0.",
            ),
            ("XADD s MAXLEN x * f v", NOT_INTEGER),
            (
                "XADD s MAXLEN 1 LIMIT 5 * f v",
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ),
            (
                "XADD s LIMIT 0 * f v",
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ),
            (
                "XADD s LIMIT 5 * f v",
                "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
            ),
            (
                "XADD s MAXLEN 1 MINID 1 * f v",
                "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
            ),
            (
                "XADD s LIMIT -1 * f v",
                "ERR The LIMIT argument must be >= 0.",
            ),
        ],
    );
    for bad in ["abc", "1-x", "-", "+", "1-2-3", "-1"] {
        let line = format!("XADD s {bad} f v");
        assert_eq!(show(&apply(&mut e, T, line.as_str())), INVALID_ID, "{bad}");
    }
    reads(&e, T, &[("EXISTS n", ":0")]);
    let top = "18446744073709551615-18446744073709551615";
    let added = apply(&mut e, T, format!("XADD x {top} f v").as_str());
    assert_eq!(show(&added), top);
    applies(
        &mut e,
        T,
        &[(
            "XADD x * f v",
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        )],
    );
    reads(&e, T, &[("XLEN s", ":3")]);
}

#[test]
fn xadd_trims_after_adding() {
    let mut e = engine_with(5);
    applies(
        &mut e,
        T,
        &[
            ("XADD s MAXLEN 3 6-1 f 6", "6-1"),
            ("XLEN s", ":3"),
            ("XADD s MINID = 6 7-1 f 7", "7-1"),
            ("XRANGE s - +", "[[6-1 [f 6]] [7-1 [f 7]]]"),
        ],
    );
}

#[test]
fn xlen_counts_and_checks_type() {
    let e = engine_with(4);
    reads(
        &e,
        T,
        &[
            ("XLEN s", ":4"),
            ("XLEN none", ":0"),
            ("XLEN str", WRONGTYPE),
        ],
    );
}

#[test]
fn xrange_and_xrevrange_with_exclusive_ends_and_count() {
    let e = engine_with(5);
    reads(
        &e,
        T,
        &[
            (
                "XRANGE s - +",
                "[[1-1 [f 1]] [2-1 [f 2]] [3-1 [f 3]] [4-1 [f 4]] [5-1 [f 5]]]",
            ),
            ("XRANGE s 2 3", "[[2-1 [f 2]] [3-1 [f 3]]]"),
            ("XRANGE s (2-1 (4-1", "[[3-1 [f 3]]]"),
            ("XRANGE s - + COUNT 2", "[[1-1 [f 1]] [2-1 [f 2]]]"),
            ("XRANGE s - + count -3", "(nil-array)"),
            ("XRANGE s 4 2", "[]"),
            (
                "XREVRANGE s + -",
                "[[5-1 [f 5]] [4-1 [f 4]] [3-1 [f 3]] [2-1 [f 2]] [1-1 [f 1]]]",
            ),
            // "(5" excludes only 5-18446744073709551615.
            ("XREVRANGE s (5 3 COUNT 1", "[[5-1 [f 5]]]"),
            ("XREVRANGE s (5-1 3 COUNT 1", "[[4-1 [f 4]]]"),
            ("XRANGE none - +", "[]"),
            ("XRANGE none - + COUNT 0", "[]"),
            ("XRANGE str - +", WRONGTYPE),
            ("XRANGE s x +", INVALID_ID),
            ("XRANGE s (- +", INVALID_ID),
            ("XRANGE s - + COUNT", SYNTAX_ERROR),
            ("XRANGE s - + COUNT x", NOT_INTEGER),
            (
                "XRANGE s (18446744073709551615-18446744073709551615 +",
                "ERR invalid start ID for the interval",
            ),
            ("XREVRANGE s (0-0 -", "ERR invalid end ID for the interval"),
        ],
    );
}

#[test]
fn xdel_removes_entries_and_keeps_the_empty_stream() {
    let mut e = engine_with(3);
    applies(&mut e, T, &[("XDEL s 1-1 9-9 1-1", ":1")]);
    let s = stream(&e, "s");
    assert_eq!(
        (s.first_id, s.max_deleted_id),
        (StreamId::new(2, 1), StreamId::new(1, 1))
    );
    applies(
        &mut e,
        T,
        &[
            ("XDEL s 2-1 3-1", ":2"),
            ("XLEN s", ":0"),
            ("TYPE s", "+stream"),
            ("XDEL none x", ":0"),
            ("XDEL s x", INVALID_ID),
            ("XDEL str 1", WRONGTYPE),
        ],
    );
    assert_eq!(stream(&e, "s").first_id, StreamId::MIN);
}

#[test]
fn xtrim_exact_and_approximate_follow_the_node_boundaries() {
    let mut e = engine_with(250);
    applies(
        &mut e,
        T,
        &[
            // Nodes hold 100 entries: `~` removes only whole nodes.
            ("XTRIM s MAXLEN ~ 120", ":100"),
            ("XTRIM s MAXLEN ~ 120", ":0"),
            ("XTRIM s MAXLEN 120", ":30"),
            ("XTRIM s MINID 200", ":69"),
            ("XLEN s", ":51"),
            ("XTRIM s MAXLEN ~ 0 LIMIT 10", ":1"),
            ("XTRIM s MINID ~ 251", ":50"),
            ("XTRIM none MAXLEN 0", ":0"),
            ("XTRIM str MAXLEN 0", WRONGTYPE),
            (
                "XTRIM s LIMIT 1",
                "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
            ),
            (
                "XTRIM s LIMIT 0",
                "ERR syntax error, XTRIM must be called with a trimming strategy",
            ),
            ("XTRIM s FOO 1", SYNTAX_ERROR),
            ("XTRIM s NOMKSTREAM MAXLEN 1", SYNTAX_ERROR),
            ("XTRIM s MINID x", INVALID_ID),
        ],
    );
    assert_eq!(stream(&e, "s").radix_tree_nodes(), 1);
    assert_eq!(stream(&e, "s").first_id, StreamId::MIN);
}

#[test]
fn nodes_split_at_4096_bytes() {
    let mut e = Engine::new();
    let big = "x".repeat(1000);
    for i in 1..=9 {
        apply(&mut e, T, format!("XADD s {i} f {big}").as_str());
    }
    // Each entry is ~1 KB: four fit in a node.
    assert_eq!(stream(&e, "s").radix_tree_keys(), 3);
    applies(&mut e, T, &[("XTRIM s MAXLEN ~ 5", ":4")]);
}

#[test]
fn xread_serves_entries_after_each_id() {
    let mut e = engine_with(3);
    apply(&mut e, T, "XADD t 10-0 a b");
    reads(
        &e,
        T,
        &[
            ("XREAD COUNT 1 STREAMS s t 1-1 0", "[[s [[2-1 [f 2]]]] [t [[10-0 [a b]]]]]"),
            ("XREAD STREAMS s $", "(nil-array)"),
            ("XREAD BLOCK 0 STREAMS s $", "(nil-array)"),
            ("XREAD STREAMS none 0", "(nil-array)"),
            ("XREAD STREAMS str 0", WRONGTYPE),
            ("XREAD STREAMS s >", "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."),
            ("XREAD STREAMS s t 0", "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
            ("XREAD COUNT 1 s 0", SYNTAX_ERROR),
            ("XREAD BLOCK -1 STREAMS s 0", "ERR timeout is negative"),
            ("XREAD BLOCK x STREAMS s 0", "ERR timeout is not an integer or out of range"),
            ("XREAD GROUP g c STREAMS s 0", "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."),
            ("XREAD NOACK STREAMS s 0", "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."),
            ("XREAD STREAMS s -", INVALID_ID),
        ],
    );
}

#[test]
fn xgroup_subcommands() {
    let mut e = engine_with_group(2);
    let syntax =
        "ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.";
    applies(
        &mut e,
        T,
        &[
            (
                "XGROUP CREATE s g $",
                "BUSYGROUP Consumer Group name already exists",
            ),
            ("XGROUP CREATE n g $", XGROUP_NO_KEY),
            ("XGROUP CREATE n g $ MKSTREAM ENTRIESREAD 3", "+OK"),
            ("XLEN n", ":0"),
            (
                "XGROUP CREATE s h 0 ENTRIESREAD -2",
                "ERR value for ENTRIESREAD must be positive or -1",
            ),
            ("XGROUP CREATE s h 0 BOGUS", syntax),
            (
                "XGROUP CREATE s h 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM",
                syntax,
            ),
            ("XGROUP CREATE s h x", INVALID_ID),
            ("XGROUP CREATE str g 0", WRONGTYPE),
            ("XGROUP SETID s g $ ENTRIESREAD 2", "+OK"),
            ("XGROUP SETID s nog 0", NO_GROUP),
            (
                "XGROUP SETID s g 0 MKSTREAM",
                "ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.",
            ),
            ("XGROUP SETID none g 0", XGROUP_NO_KEY),
            ("XGROUP CREATECONSUMER s g c", ":1"),
            ("XGROUP CREATECONSUMER s g c", ":0"),
            ("XGROUP CREATECONSUMER s nog c", NO_GROUP),
            ("XGROUP DELCONSUMER s g c", ":0"),
            ("XGROUP DELCONSUMER s g c", ":0"),
            ("XGROUP DESTROY s g", ":1"),
            ("XGROUP DESTROY s g", ":0"),
            ("XGROUP DESTROY none g", XGROUP_NO_KEY),
            // The dispatcher's lines, as Redis 7 answers for a container's subcommands.
            (
                "XGROUP foo",
                "ERR unknown subcommand 'foo'. Try XGROUP HELP.",
            ),
            (
                "xgroup create s",
                "ERR wrong number of arguments for 'xgroup|create' command",
            ),
            (
                "XGROUP HELP x",
                "ERR wrong number of arguments for 'xgroup|help' command",
            ),
            (
                "XGROUP",
                "ERR wrong number of arguments for 'xgroup' command",
            ),
        ],
    );
    let s = stream(&e, "s");
    assert_eq!(s.groups.len(), 0);
    let n = stream(&e, "n");
    assert_eq!(n.groups[&b"g"[..]].entries_read, 3);
    // HELP is a read; the other subcommands are writes with their key second.
    assert!(matches!(read(&e, T, "XGROUP HELP"), Reply::Array(lines) if lines.len() > 5));
    for (line, write) in [("XGROUP HELP", false), ("XGROUP SETID s g 0", true)] {
        let spec = crate::table::resolve(&testutil::c(line)).unwrap();
        assert_eq!(spec.is_write(), write, "{line}");
        assert_eq!(spec.first_key, if write { 2 } else { 0 }, "{line}");
    }
}

#[test]
fn xreadgroup_delivers_new_entries_and_replays_history() {
    let mut e = engine_with_group(3);
    applies(
        &mut e,
        T,
        &[(
            "XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
            "[[s [[1-1 [f 1]] [2-1 [f 2]]]]]",
        )],
    );
    applies(
        &mut e,
        T + 5,
        &[(
            "XREADGROUP GROUP g bob NOACK STREAMS s >",
            "[[s [[3-1 [f 3]]]]]",
        )],
    );
    applies(
        &mut e,
        T,
        &[("XREADGROUP GROUP g bob BLOCK 10 STREAMS s >", "(nil-array)")],
    );
    apply(&mut e, T, "XDEL s 2-1");
    // History: the consumer's own pending entries; a deleted one comes with a Nil.
    applies(
        &mut e,
        T + 7,
        &[(
            "XREADGROUP GROUP g alice STREAMS s 0",
            "[[s [[1-1 [f 1]] [2-1 (nil-array)]]]]",
        )],
    );
    applies(
        &mut e,
        T,
        &[("XREADGROUP GROUP g bob STREAMS s 0", "[[s []]]")],
    );
    let s = stream(&e, "s");
    let g = &s.groups[&b"g"[..]];
    assert_eq!(g.last_id, StreamId::new(3, 1));
    assert_eq!(g.pel[&StreamId::new(1, 1)].delivery_count, 2);
    assert_eq!(g.pel[&StreamId::new(1, 1)].delivery_time_ms, (T + 7) as i64);
    // Entry time never goes back: the last read was applied at T + 7.
    assert_eq!(g.consumers[&b"bob"[..]].seen_time_ms, (T + 7) as i64);
    applies(
        &mut e,
        T,
        &[
            ("XREADGROUP GROUP nog c STREAMS s >", "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"),
            ("XREADGROUP GROUP g c STREAMS s $", "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."),
            ("XREADGROUP COUNT 1 NOACK STREAMS s >", "ERR Missing GROUP option for XREADGROUP"),
            ("XREADGROUP GROUP g c STREAMS str >", WRONGTYPE),
        ],
    );
}

#[test]
fn xack_and_xpending() {
    let mut e = engine_with_group(3);
    apply(&mut e, T, "XREADGROUP GROUP g a COUNT 2 STREAMS s >");
    apply(&mut e, T + 100, "XREADGROUP GROUP g b STREAMS s >");
    reads(
        &e,
        T + 1000,
        &[
            ("XPENDING s g", "[:3 1-1 3-1 [[a 2] [b 1]]]"),
            (
                "XPENDING s g - + 10",
                "[[1-1 a :1000 :1] [2-1 a :1000 :1] [3-1 b :900 :1]]",
            ),
            (
                "XPENDING s g IDLE 950 - + 10",
                "[[1-1 a :1000 :1] [2-1 a :1000 :1]]",
            ),
            ("XPENDING s g - (3-1 1", "[[1-1 a :1000 :1]]"),
            ("XPENDING s g - + 0", "[]"),
            ("XPENDING s g (1-1 + 1 a", "[[2-1 a :1000 :1]]"),
            ("XPENDING s g - + 10 nobody", "[]"),
        ],
    );
    applies(
        &mut e,
        T,
        &[
            ("XACK s g 1-1 2-1 9-9", ":2"),
            ("XACK s g x", INVALID_ID),
            ("XACK s nog x", ":0"),
            ("XACK str g 1", WRONGTYPE),
            ("XACK s g 3-1", ":1"),
        ],
    );
    reads(
        &e,
        T,
        &[
            ("XPENDING s g", "[:0 (nil) (nil) (nil-array)]"),
            ("XPENDING s g -", SYNTAX_ERROR),
            ("XPENDING s g IDLE 5 - +", SYNTAX_ERROR),
            ("XPENDING s g - + x", NOT_INTEGER),
            ("XPENDING s nog", NO_KEY_OR_GROUP),
            ("XPENDING str g", WRONGTYPE),
        ],
    );
}

#[test]
fn xclaim_moves_ownership_with_its_options() {
    let mut e = engine_with_group(4);
    apply(&mut e, T, "XREADGROUP GROUP g a COUNT 3 STREAMS s >");
    // Not idle long enough: nothing claimed.
    applies(&mut e, T + 10, &[("XCLAIM s g b 100 1-1", "[]")]);
    applies(
        &mut e,
        T + 200,
        &[
            ("XCLAIM s g b 100 1-1 2-1", "[[1-1 [f 1]] [2-1 [f 2]]]"),
            ("XCLAIM s g c 0 3-1 IDLE 50 RETRYCOUNT 7 JUSTID", "[3-1]"),
            // FORCE creates a pending entry for an existing entry; LASTID moves the group.
            ("XCLAIM s g c 0 4-1 FORCE JUSTID LASTID 4-1 TIME 5", "[4-1]"),
        ],
    );
    let s = stream(&e, "s");
    let g = &s.groups[&b"g"[..]];
    let pending = |id| &g.pel[&StreamId::new(id, 1)];
    assert_eq!(g.last_id, StreamId::new(4, 1));
    assert_eq!(pending(1).consumer, b"b");
    assert_eq!(pending(1).delivery_count, 2);
    assert_eq!(pending(3).delivery_count, 7);
    assert_eq!(pending(3).delivery_time_ms, (T + 150) as i64);
    assert_eq!(
        (pending(4).delivery_time_ms, pending(4).delivery_count),
        (5, 1)
    );
    assert!(g.consumers[&b"a"[..]].pending.is_empty());
    // A claimed entry deleted since is dropped from the PEL.
    apply(&mut e, T, "XDEL s 1-1");
    applies(&mut e, T + 300, &[("XCLAIM s g c 0 1-1", "[]")]);
    let s = stream(&e, "s");
    assert!(!s.groups[&b"g"[..]].pel.contains_key(&StreamId::new(1, 1)));
    applies(
        &mut e,
        T,
        &[
            (
                "XCLAIM s g c x 1-1",
                "ERR Invalid min-idle-time argument for XCLAIM",
            ),
            (
                "XCLAIM s g c 0 1-1 IDLE x",
                "ERR Invalid IDLE option argument for XCLAIM",
            ),
            (
                "XCLAIM s g c 0 1-1 BOGUS",
                "ERR Unrecognized XCLAIM option 'BOGUS'",
            ),
            (
                "XCLAIM s g c 0 1-1 IDLE",
                "ERR Unrecognized XCLAIM option 'IDLE'",
            ),
            ("XCLAIM s nog c x 1-1", NO_KEY_OR_GROUP),
            ("XCLAIM str g c 0 1-1", WRONGTYPE),
        ],
    );
}

#[test]
fn xautoclaim_walks_the_pel_with_a_cursor_and_reports_deleted_ids() {
    let mut e = engine_with_group(5);
    apply(&mut e, T, "XREADGROUP GROUP g a STREAMS s >");
    apply(&mut e, T, "XDEL s 2-1");
    applies(
        &mut e,
        T + 10,
        &[
            ("XAUTOCLAIM s g b 0 - COUNT 2", "[3-1 [[1-1 [f 1]]] [2-1]]"),
            ("XAUTOCLAIM s g b 0 3-1 JUSTID", "[0-0 [3-1 4-1 5-1] []]"),
            ("XAUTOCLAIM s g c 3600000 -", "[0-0 [] []]"),
            ("XAUTOCLAIM s g c 0 (5-1", "[0-0 [] []]"),
            ("XAUTOCLAIM s g c 0 - COUNT 0", "ERR COUNT must be > 0"),
            (
                "XAUTOCLAIM s g c x -",
                "ERR Invalid min-idle-time argument for XAUTOCLAIM",
            ),
            ("XAUTOCLAIM s g c 0 - FOO", SYNTAX_ERROR),
            ("XAUTOCLAIM s g c 0 - COUNT", SYNTAX_ERROR),
            ("XAUTOCLAIM s nog c 0 -", NO_KEY_OR_GROUP),
            ("XAUTOCLAIM str g c 0 -", WRONGTYPE),
        ],
    );
}

#[test]
fn xinfo_stream_groups_and_consumers() {
    let mut e = engine_with_group(3);
    apply(&mut e, T, "XREADGROUP GROUP g a COUNT 1 STREAMS s >");
    // The fields XINFO STREAM starts with, with FULL or without; T is 1000000.
    let head = "length :3 radix-tree-keys :1 radix-tree-nodes :2 last-generated-id 3-1 \
        max-deleted-entry-id 0-0 entries-added :3 recorded-first-entry-id 1-1";
    let summary = format!("{{{head} groups :1 first-entry [1-1 [f 1]] last-entry [3-1 [f 3]]}}");
    let group = "{name g last-delivered-id 1-1 entries-read :1 lag :2 pel-count :1 \
        pending [[1-1 a :1000000 :1]] \
        consumers [{name a seen-time :1000000 pel-count :1 pending [[1-1 :1000000 :1]]}]}";
    let full = format!("{{{head} entries [[1-1 [f 1]]] groups [{group}]}}");
    reads(
        &e,
        T,
        &[
            ("XINFO STREAM s", summary.as_str()),
            ("XINFO STREAM s FULL COUNT 1", full.as_str()),
            (
                "XINFO GROUPS s",
                "[{name g consumers :1 pending :1 last-delivered-id 1-1 entries-read :1 lag :2}]",
            ),
        ],
    );
    reads(
        &e,
        T + 250,
        &[("XINFO CONSUMERS s g", "[{name a pending :1 idle :250}]")],
    );
    // A deletion after the group's position makes the lag unknown.
    apply(&mut e, T, "XDEL s 2-1");
    let Reply::Array(groups) = read(&e, T, "XINFO GROUPS s") else {
        panic!()
    };
    let Reply::Map(fields) = &groups[0] else {
        panic!()
    };
    assert_eq!(fields[5], (bulk("lag"), Reply::Nil));
    let syntax =
        "ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.";
    reads(
        &e,
        T,
        &[
            ("XINFO STREAM none", "ERR no such key"),
            ("XINFO GROUPS none", "ERR no such key"),
            ("XINFO STREAM str", WRONGTYPE),
            ("XINFO STREAM s BOGUS", syntax),
            ("XINFO STREAM s FULL BOGUS 1", syntax),
            ("XINFO STREAM s FULL COUNT x", NOT_INTEGER),
            ("XINFO STREAM none BOGUS", "ERR no such key"),
            ("XINFO CONSUMERS s nog", NO_GROUP),
            // The dispatcher's lines, as Redis 7 answers for a container's subcommands.
            (
                "XINFO GROUPS",
                "ERR wrong number of arguments for 'xinfo|groups' command",
            ),
            ("XINFO x", "ERR unknown subcommand 'x'. Try XINFO HELP."),
            ("XINFO", "ERR wrong number of arguments for 'xinfo' command"),
        ],
    );
    assert!(matches!(read(&e, T, "XINFO help"), Reply::Array(_)));
    // FULL COUNT 0 (or negative: 10) lists every entry.
    let entries_listed = |line: &str| match read(&e, T, line) {
        Reply::Map(fields) => fields[7].1.clone(),
        other => panic!("{other:?}"),
    };
    let two = "[[1-1 [f 1]] [3-1 [f 3]]]";
    assert_eq!(show(&entries_listed("XINFO STREAM s FULL COUNT 0")), two);
    assert_eq!(show(&entries_listed("XINFO STREAM s FULL COUNT -1")), two);
}

#[test]
fn xsetid_moves_the_last_id_forward_only() {
    let mut e = engine_with(3);
    applies(
        &mut e,
        T,
        &[
            ("XSETID s 2-0", "ERR The ID specified in XSETID is smaller than the target stream top item"),
            ("XSETID s 9-0 ENTRIESADDED 1", "ERR The entries_added specified in XSETID is smaller than the target stream length"),
            ("XSETID s 9-0 ENTRIESADDED 10 MAXDELETEDID 8-0", "+OK"),
        ],
    );
    let s = stream(&e, "s");
    assert_eq!(
        (s.last_id, s.entries_added, s.max_deleted_id),
        (StreamId::new(9, 0), 10, StreamId::new(8, 0))
    );
    applies(
        &mut e,
        T,
        &[
            (
                "XSETID s 9-0 MAXDELETEDID 10-0",
                "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
            ),
            (
                "XSETID s 9-0 ENTRIESADDED -1",
                "ERR entries_added must be positive",
            ),
            ("XSETID none 1-0", "ERR no such key"),
            ("XSETID str 1-0", WRONGTYPE),
            ("XSETID s 1-0 FOO 1", SYNTAX_ERROR),
            ("XSETID s 9-0 ENTRIESADDED", SYNTAX_ERROR),
        ],
    );
    assert!(apply(&mut e, T, "XADD s 9-0 f v").is_error());
}

#[test]
fn snapshot_round_trips_and_truncation_is_an_error() {
    let mut e = engine_with_group(120);
    apply(&mut e, T, "XREADGROUP GROUP g a COUNT 5 STREAMS s >");
    apply(&mut e, T, "XDEL s 3-1 110-1");
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

#[test]
fn stream_commands_notify_as_redis_does() {
    let mut e = Engine::new();
    testutil::listen(&mut e, "Etg");
    testutil::check_notified(
        &mut e,
        T,
        &[
            ("XADD s 1-1 f v", &["xadd s"]),
            ("XADD s MAXLEN 1 2-1 f v", &["xadd s", "xtrim s"]),
            ("XADD s MAXLEN 5 3-1 f v", &["xadd s"]),
            ("XADD none NOMKSTREAM 1-1 f v", &[]),
            ("XADD s 1-1 f v", &[]),
            ("XTRIM s MAXLEN 5", &[]),
            ("XTRIM s MAXLEN 1", &["xtrim s"]),
            ("XDEL s 9-9", &[]),
            ("XDEL s 3-1", &["xdel s"]),
            ("XSETID s 10-1", &["xsetid s"]),
            ("XGROUP CREATE s g $", &["xgroup-create s"]),
            ("XGROUP CREATE s g $", &[]),
            ("XGROUP CREATE t g $ MKSTREAM", &["xgroup-create t"]),
            ("XGROUP SETID s g 0", &["xgroup-setid s"]),
            ("XGROUP CREATECONSUMER s g c1", &["xgroup-createconsumer s"]),
            ("XGROUP CREATECONSUMER s g c1", &[]),
            ("XADD s 11-1 f v", &["xadd s"]),
            (
                "XREADGROUP GROUP g c2 STREAMS s >",
                &["xgroup-createconsumer s"],
            ),
            // Nothing to read: the consumer is not created.
            ("XREADGROUP GROUP g c3 STREAMS s >", &[]),
            ("XREADGROUP GROUP g c2 STREAMS s 0", &[]),
            ("XCLAIM s g c4 0 11-1", &["xgroup-createconsumer s"]),
            ("XCLAIM s g c4 0 11-1", &[]),
            ("XAUTOCLAIM s g c5 0 0", &["xgroup-createconsumer s"]),
            ("XACK s g 11-1", &[]),
            ("XGROUP DELCONSUMER s g c1", &["xgroup-delconsumer s"]),
            ("XGROUP DELCONSUMER s g nope", &[]),
            ("XGROUP DESTROY s g", &["xgroup-destroy s"]),
            ("XGROUP DESTROY s g", &[]),
            ("XRANGE s - +", &[]),
        ],
    );
}
