use super::value::{HashValue, ENCODING_LISTPACK, ENCODING_TABLE};
use crate::args::{NOT_FLOAT, NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::{Reply, WRONGTYPE};
use crate::testutil::{apply, bulk, bulks, check, encoding, err, int, read, value_of};
use crate::testutil::{check_notified, listen};
use crate::testutil::{read_seeded, show, splice_value};
use crate::wire::put_bytes;
use crate::Engine;

/// The default hash-max-listpack-entries (Redis 7.0's, config.c and redis.conf alike; 128 is
/// the sorted sets' limit).
const LISTPACK_ENTRIES_MAX: usize = 512;
/// The default hash-max-listpack-value.
const LISTPACK_VALUE_MAX: usize = 64;

/// An engine with the hash `h` of `pairs` (a command line's words; no hash when empty) and the
/// string `s`.
fn with_hash(pairs: &str) -> Engine {
    let mut engine = Engine::new();
    if !pairs.is_empty() {
        apply(&mut engine, 1000, format!("HSET h {pairs}").as_str());
    }
    apply(&mut engine, 1000, "SET s string");
    engine
}

/// A case: what it shows, the pairs of the hash `h` it starts from (see [`with_hash`]), and
/// the commands it runs in order (reads too, through the log) with their replies.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

fn run_cases(cases: &[Case]) {
    for (case, pairs, steps) in cases {
        let mut engine = with_hash(pairs);
        for (line, expected) in *steps {
            let shown = show(&apply(&mut engine, 1000, *line));
            assert_eq!(shown, *expected, "{case}: {line}");
        }
    }
}

/// The elements of an array, or of pairs flattened as RESP2 writes them.
fn items(reply: Reply) -> Vec<Reply> {
    match reply {
        Reply::Array(items) => items,
        Reply::Pairs(pairs) => pairs.into_iter().flat_map(|(f, v)| [f, v]).collect(),
        other => panic!("not an array: {other:?}"),
    }
}

#[test]
fn every_command_refuses_a_key_of_another_type() {
    let mut engine = with_hash("f v");
    for line in [
        "HSET s f v",
        "HMSET s f v",
        "HSETNX s f v",
        "HDEL s f",
        "HINCRBY s f 1",
        "HINCRBYFLOAT s f 1",
        "HGET s f",
        "HMGET s f",
        "HGETALL s",
        "HKEYS s",
        "HVALS s",
        "HLEN s",
        "HSTRLEN s f",
        "HEXISTS s f",
        "HRANDFIELD s",
        "HRANDFIELD s 2",
        "HSCAN s 0",
    ] {
        assert_eq!(apply(&mut engine, 1000, line), err(WRONGTYPE), "{line}");
    }
}

#[test]
fn commands_reply_like_redis() {
    let not_int = "ERR hash value is not an integer";
    let overflow = "ERR increment or decrement would overflow";
    let nan_inf = "ERR increment would produce NaN or Infinity";
    let out_of_range = "ERR value is out of range";
    let must_between = "ERR value is out of range, value must between -9223372036854775807 and \
                        9223372036854775807";
    run_cases(&[
        (
            "HSET counts new fields and keeps insertion order",
            "",
            &[
                ("HSET h b 1 a 2", ":2"),
                ("HSET h b 3 c 4 c 5", ":1"),
                ("HGETALL h", "{b 3 a 2 c 5}"),
                ("OBJECT ENCODING h", "listpack"),
                ("HMSET h d 6", "+OK"),
                ("HLEN h", ":4"),
                (
                    "HSET h f v g",
                    "ERR wrong number of arguments for 'hset' command",
                ),
                (
                    "HMSET h f v g",
                    "ERR wrong number of arguments for 'hmset' command",
                ),
                (
                    "HSET h f",
                    "ERR wrong number of arguments for 'hset' command",
                ),
                ("HLEN h", ":4"),
            ],
        ),
        (
            "HSETNX sets only new fields",
            "",
            &[
                ("HSETNX h f 1", ":1"),
                ("HSETNX h f 2", ":0"),
                ("HGET h f", "1"),
            ],
        ),
        (
            "HGET, HMGET, HEXISTS, HSTRLEN (g holds \"\")",
            "f hello g ",
            &[
                ("HGET h f", "hello"),
                ("HGET h x", "(nil)"),
                ("HGET nope f", "(nil)"),
                ("HMGET h g x f", "[\"\" (nil) hello]"),
                ("HMGET nope a b", "[(nil) (nil)]"),
                ("HEXISTS h g", ":1"),
                ("HEXISTS h x", ":0"),
                ("HEXISTS nope x", ":0"),
                ("HSTRLEN h f", ":5"),
                ("HSTRLEN h x", ":0"),
                ("HSTRLEN nope x", ":0"),
                ("HLEN nope", ":0"),
            ],
        ),
        (
            "HDEL counts and deletes an emptied hash",
            "a 1 b 2",
            &[
                ("HDEL h a x a", ":1"),
                ("HDEL nope a", ":0"),
                ("HDEL h b", ":1"),
                ("EXISTS h", ":0"),
            ],
        ),
        (
            "HKEYS, HVALS and HGETALL list in insertion order",
            "z 1 a 2",
            &[
                ("HKEYS h", "[z a]"),
                ("HVALS h", "[1 2]"),
                ("HGETALL h", "{z 1 a 2}"),
                ("HKEYS nope", "[]"),
                ("HVALS nope", "[]"),
                ("HGETALL nope", "{}"),
            ],
        ),
        (
            "HINCRBY counts and checks",
            "n 10 s abc z 007",
            &[
                ("HINCRBY h n 5", ":15"),
                ("HINCRBY h new -3", ":-3"),
                ("HINCRBY k f 2", ":2"),
                ("HGET h n", "15"),
                ("HINCRBY h s 1", not_int),
                ("HINCRBY h z 1", not_int),
                ("HINCRBY h n x", NOT_INTEGER),
                // The increment is read before the key.
                ("HINCRBY s n x", NOT_INTEGER),
                ("HSET h max 9223372036854775807", ":1"),
                ("HINCRBY h max 1", overflow),
                ("HINCRBY h new -9223372036854775807", overflow),
                ("HINCRBY e f x", NOT_INTEGER),
                ("EXISTS e", ":0"),
            ],
        ),
        (
            "HINCRBYFLOAT formats like Redis",
            "f 10.5 e 5.0e3 i inf s x",
            &[
                ("HINCRBYFLOAT h f 0.1", "10.6"),
                ("HINCRBYFLOAT h e 2.0e2", "5200"),
                ("HINCRBYFLOAT h new -1.1", "-1.1"),
                ("HGET h e", "5200"),
                ("HINCRBYFLOAT h f x", NOT_FLOAT),
                ("HINCRBYFLOAT h f nan", NOT_FLOAT),
                ("HINCRBYFLOAT s f x", NOT_FLOAT),
                ("HINCRBYFLOAT h f inf", "ERR value is NaN or Infinity"),
                ("HINCRBYFLOAT h s 1", "ERR hash value is not a float"),
                ("HINCRBYFLOAT h i 1", nan_inf),
                ("HSET h big 1e4932", ":1"),
                ("HINCRBYFLOAT h big 1e4932", nan_inf),
                ("HGET h big", "1e4932"),
            ],
        ),
        (
            "HRANDFIELD checks its arguments",
            "a 1",
            &[
                ("HRANDFIELD h x", NOT_INTEGER),
                ("HRANDFIELD nope x", NOT_INTEGER),
                ("HRANDFIELD h -9223372036854775808", must_between),
                ("HRANDFIELD h 1 WITHSCORES", SYNTAX_ERROR),
                ("HRANDFIELD h 1 WITHVALUES x", SYNTAX_ERROR),
                ("HRANDFIELD h -4611686018427387904 WITHVALUES", out_of_range),
                ("HRANDFIELD h 4611686018427387904 WITHVALUES", out_of_range),
                // Repeated picks are bounded.
                ("HRANDFIELD h -4611686018427387903", out_of_range),
                ("HRANDFIELD h 4611686018427387903", "[a]"),
                ("HRANDFIELD s 1 x", SYNTAX_ERROR),
            ],
        ),
        (
            "HSCAN returns a listpack whole and checks its arguments",
            "a1 1 b1 2 a2 3",
            &[
                ("HSCAN h 0 COUNT 1", "[0 [a1 1 b1 2 a2 3]]"),
                ("HSCAN h 0 MATCH a*", "[0 [a1 1 a2 3]]"),
                ("HSCAN nope 0 BOGUS", "[0 []]"),
                ("HSCAN h x", "ERR invalid cursor"),
                ("HSCAN s x", "ERR invalid cursor"),
                ("HSCAN s 0 BOGUS", WRONGTYPE),
                ("HSCAN h 0 COUNT 0", SYNTAX_ERROR),
                ("HSCAN h 0 COUNT x", NOT_INTEGER),
                ("HSCAN h 0 TYPE hash", SYNTAX_ERROR),
                ("HSCAN h 0 MATCH", SYNTAX_ERROR),
            ],
        ),
    ]);
}

#[test]
fn hset_keeps_the_deadline_and_a_past_deadline_starts_afresh() {
    let mut engine = with_hash("f v");
    apply(&mut engine, 1000, "PEXPIRE h 100");
    assert_eq!(apply(&mut engine, 1000, "HSET h g w"), int(1));
    assert_eq!(read(&engine, 1000, "PTTL h"), int(100));
    assert_eq!(apply(&mut engine, 1100, "HSET h g w"), int(1));
    assert_eq!(read(&engine, 1100, "HLEN h"), int(1));
    assert_eq!(read(&engine, 1100, "PTTL h"), int(-1));
}

#[test]
fn long_values_and_many_fields_convert_to_a_hash_table() {
    let mut engine = Engine::new();
    let long = "x".repeat(LISTPACK_VALUE_MAX);
    let longer = "x".repeat(LISTPACK_VALUE_MAX + 1);
    for line in [
        format!("HSET exact f {long}"),
        // An existing field updated with a long value converts too.
        format!("HSET h f {long}"),
        format!("HSET h f {longer}"),
        // HSET converts on a long argument even when the value stored is a short one.
        format!("HSET m f {longer} f short"),
        // HSETNX on an existing field stores nothing and does not convert.
        "HSET n f v".to_string(),
        format!("HSETNX n f {longer}"),
        // HINCRBYFLOAT producing a long value converts.
        "HSET f x 1".to_string(),
        "HINCRBYFLOAT f x 1e70".to_string(),
    ] {
        apply(&mut engine, 0, line.as_str());
    }
    for i in 0..LISTPACK_ENTRIES_MAX {
        apply(&mut engine, 0, format!("HSET big f{i} v").as_str());
    }
    assert_eq!(encoding(&engine, "big"), "listpack");
    apply(&mut engine, 0, "HSET big one-more v");
    for (key, expected) in [
        ("exact", "listpack"),
        ("h", "hashtable"),
        ("m", "hashtable"),
        ("n", "listpack"),
        ("f", "hashtable"),
        ("big", "hashtable"),
    ] {
        assert_eq!(encoding(&engine, key), expected, "{key}");
    }
    assert_eq!(read(&engine, 0, "HGET n f"), bulk("v"));
    // Never back, even when small again.
    for i in 0..LISTPACK_ENTRIES_MAX {
        apply(&mut engine, 0, format!("HDEL big f{i}").as_str());
    }
    assert_eq!(encoding(&engine, "big"), "hashtable");
    assert_eq!(show(&read(&engine, 0, "HGETALL big")), "{one-more v}");
}

#[test]
fn the_replicated_thresholds_decide_conversions() {
    check(
        &mut Engine::new(),
        1000,
        &[
            ("CONFIG SET hash-max-listpack-entries 2", "+OK"),
            ("HSET h a 1 b 2", ":2"),
            ("OBJECT ENCODING h", "listpack"),
            ("HSET h c 3", ":1"),
            ("OBJECT ENCODING h", "hashtable"),
            ("CONFIG SET hash-max-listpack-value 3", "+OK"),
            ("HSET short f abc", ":1"),
            ("HSET long f abcd", ":1"),
            ("OBJECT ENCODING short", "listpack"),
            ("OBJECT ENCODING long", "hashtable"),
        ],
    );
}

#[test]
fn a_small_hash_is_one_small_allocation() {
    // The keyspace holds values inline: the listpack encoding must keep them small.
    assert!(std::mem::size_of::<HashValue>() <= 16);
    let pairs: Vec<String> = (0..10).map(|i| format!("field:{i} value:{i}")).collect();
    let mut engine = with_hash(&pairs.join(" "));
    // 10 × (2 length bytes + 7 + 7) + the 1-byte count.
    assert_eq!(
        value_of::<HashValue>(&engine, "h").listpack_bytes(),
        Some(161)
    );
    for (line, bytes) in [("HSET h field:3 v", 155), ("HDEL h field:0", 139)] {
        apply(&mut engine, 0, line);
        assert_eq!(
            value_of::<HashValue>(&engine, "h").listpack_bytes(),
            Some(bytes),
            "{line}"
        );
    }
    let fields = items(read(&engine, 0, "HKEYS h"));
    assert_eq!(fields[2], bulk("field:3"), "an update keeps its place");
}

#[test]
fn hrandfield_without_count() {
    let engine = with_hash("a 1 b 2 c 3");
    let mut seen: Vec<Reply> = (0..50)
        .map(|seed| read_seeded(&engine, 1000, seed, "HRANDFIELD h"))
        .collect();
    seen.sort_by_key(|r| format!("{r:?}"));
    seen.dedup();
    assert_eq!(seen, items(bulks(&["a", "b", "c"])), "every field comes up");
    assert_eq!(read(&engine, 1000, "HRANDFIELD nope"), Reply::Nil);
}

#[test]
fn hrandfield_with_counts() {
    let engine = with_hash("a 1 b 2 c 3 d 4");
    let rand = |seed: u64, line: &str| items(read_seeded(&engine, 1000, seed, line));
    for seed in 0..20 {
        let mut distinct = rand(seed, "HRANDFIELD h 3");
        assert_eq!(distinct.len(), 3);
        distinct.sort_by_key(|r| format!("{r:?}"));
        distinct.dedup();
        assert_eq!(distinct.len(), 3);
        assert_eq!(rand(seed, "HRANDFIELD h -10").len(), 10);
        let pairs = rand(seed, "HRANDFIELD h -5 withvalues");
        assert_eq!(pairs.len(), 10);
        for pair in pairs.chunks(2) {
            let value = match &pair[0] {
                Reply::Bulk(field) => (field[0] - b'a' + b'1') as char,
                other => panic!("{other:?}"),
            };
            assert_eq!(pair[1], bulk(&value.to_string()));
        }
    }
    // A count covering the hash gives the whole hash in order.
    assert_eq!(
        rand(1, "HRANDFIELD h 10 WITHVALUES"),
        items(bulks(&["a", "1", "b", "2", "c", "3", "d", "4"]))
    );
    assert_eq!(rand(1, "HRANDFIELD h 0"), vec![]);
    assert_eq!(rand(1, "HRANDFIELD nope -5"), vec![]);
    assert_eq!(rand(1, "HRANDFIELD nope 5"), vec![]);
}

#[test]
fn hscan_pages_a_hash_table_returning_every_field_once() {
    let pairs: Vec<String> = (0..600).map(|i| format!("f{i} {i}")).collect();
    let engine = with_hash(&pairs.join(" "));
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    let mut calls = 0;
    loop {
        let reply = read(&engine, 1000, format!("HSCAN h {cursor} COUNT 7").as_str());
        let [Reply::Bulk(next), found] = &items(reply)[..] else {
            panic!("not a scan reply");
        };
        let found = items(found.clone());
        assert!(found.len() <= 2 * 8, "about COUNT fields per call");
        seen.extend(found.chunks(2).map(|pair| pair[0].clone()));
        cursor = String::from_utf8(next.clone()).unwrap();
        calls += 1;
        if cursor == "0" {
            break;
        }
    }
    assert!(calls > 60);
    assert_eq!(seen.len(), 600);
    seen.sort_by_key(|r| format!("{r:?}"));
    seen.dedup();
    assert_eq!(seen.len(), 600);
}

#[test]
fn snapshot_round_trips_both_encodings_and_rejects_bad_contents() {
    let pairs: Vec<String> = (0..600).map(|i| format!("f{i} v")).collect();
    for engine in [with_hash("a 1 b 2"), with_hash(&pairs.join(" "))] {
        let bytes = engine.encode_snapshot();
        let decoded = Engine::decode_snapshot(&bytes).unwrap();
        assert_eq!(
            value_of::<HashValue>(&decoded, "h"),
            value_of::<HashValue>(&engine, "h")
        );
        assert_eq!(decoded.encode_snapshot(), bytes);
    }
    let decode = |value: &[u8]| {
        let mut only = Engine::new();
        apply(&mut only, 1000, "HSET h f v");
        Engine::decode_snapshot(&splice_value(&only, value))
    };
    let value = |encoding: u8, pairs: &[(&[u8], &[u8])]| {
        let mut out = vec![encoding];
        out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
        for (field, value) in pairs {
            put_bytes(&mut out, field);
            put_bytes(&mut out, value);
        }
        out
    };
    for encoding in [ENCODING_LISTPACK, ENCODING_TABLE, 7] {
        let repeated = value(encoding, &[(b"f", b"v"), (b"f", b"v")]);
        assert!(decode(&repeated).is_err(), "{encoding}");
    }
    // A listpack past today's thresholds is valid: they are configuration, and a value
    // built under higher ones keeps its encoding until its next write.
    let long = [b'x'; LISTPACK_VALUE_MAX + 1];
    for encoding in [ENCODING_LISTPACK, ENCODING_TABLE] {
        assert!(
            decode(&value(encoding, &[(&long, b"v")])).is_ok(),
            "{encoding}"
        );
    }
}

#[test]
fn hash_commands_notify_as_redis_does() {
    let mut e = Engine::new();
    listen(&mut e, "Ehg");
    check_notified(
        &mut e,
        1000,
        &[
            ("HSET h a 1 b 2", &["hset h"]),
            // No new field, yet a change as Redis counts it.
            ("HSET h a 1", &["hset h"]),
            ("HMSET h c 3", &["hset h"]),
            ("HSETNX h a 2", &[]),
            ("HSETNX h d 4", &["hset h"]),
            ("HINCRBY h n 5", &["hincrby h"]),
            ("HINCRBY h a x", &[]),
            ("HINCRBYFLOAT h f 1.5", &["hincrbyfloat h"]),
            ("HDEL h nope", &[]),
            ("HDEL h a b c d", &["hdel h"]),
            ("HDEL h n f", &["hdel h", "del h"]),
            ("HGETALL h", &[]),
        ],
    );
}
