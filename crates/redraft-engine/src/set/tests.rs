use super::value::{ENCODING_INTSET, ENCODING_TABLE, PACKED_MEMBERS_MAX, PACKED_MEMBER_BYTES_MAX};
use super::SetValue;
use crate::args::{MUST_BE_POSITIVE, NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::{Reply, WRONGTYPE};
use crate::testutil::{
    apply, check, encoding, err, int, read_seeded, show, splice_value, value_of,
};
use crate::testutil::{check_notified, listen};
use crate::wire::put_bytes;
use crate::Engine;

/// The default set-max-intset-entries: an intset with more members becomes a hash table.
const INTSET_ENTRIES_MAX: usize = 512;

/// An engine with the sets `(key, "member member ...")` and a string at "str".
fn engine_with(sets: &[(&str, &str)]) -> Engine {
    let mut engine = Engine::new();
    for (key, members) in sets {
        apply(&mut engine, 1000, format!("SADD {key} {members}").as_str());
    }
    apply(&mut engine, 1000, "SET str v");
    engine
}

/// SADD of `members` one command per member, so that conversions are judged at each.
fn add_each(engine: &mut Engine, key: &str, members: impl Iterator<Item = String>) {
    for member in members {
        apply(engine, 1000, &["SADD", key, &member]);
    }
}

/// The members of a set or array reply, sorted.
fn sorted(reply: Reply) -> Vec<String> {
    let (Reply::Set(items) | Reply::Array(items)) = reply else {
        panic!("not a collection: {reply:?}");
    };
    let mut members: Vec<String> = items
        .into_iter()
        .map(|item| match item {
            Reply::Bulk(bytes) => String::from_utf8(bytes).unwrap(),
            other => panic!("not a bulk: {other:?}"),
        })
        .collect();
    members.sort();
    members
}

/// Follows SSCAN's cursor from 0 to the end: every member returned, in order.
fn scan_all(mut next: impl FnMut(&str) -> Reply) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    loop {
        let Reply::Array(parts) = next(&cursor) else {
            panic!("not a scan reply")
        };
        let [Reply::Bulk(resume), found] = &parts[..] else {
            panic!("not a scan reply")
        };
        seen.extend(sorted(found.clone()));
        cursor = String::from_utf8(resume.clone()).unwrap();
        if cursor == "0" {
            return seen;
        }
    }
}

#[test]
fn sadd_counts_new_members_and_an_intset_lists_ascending() {
    let mut e = Engine::new();
    check(
        &mut e,
        1000,
        &[
            ("SADD s 10 -3 7", ":3"),
            ("SADD s 7 0", ":1"),
            ("OBJECT ENCODING s", "intset"),
            ("SMEMBERS s", "~[-3 0 7 10]"),
            ("SCARD s", ":4"),
            ("SCARD nope", ":0"),
            ("SMEMBERS nope", "~[]"),
        ],
    );
}

#[test]
fn non_integers_and_too_many_members_make_a_hash_table() {
    // "-0" and "+1" are not integers to Redis; "007" neither.
    let mut e = engine_with(&[("a", "1 007"), ("b", "x"), ("c", "1")]);
    add_each(
        &mut e,
        "big",
        (0..INTSET_ENTRIES_MAX).map(|i| i.to_string()),
    );
    assert_eq!(encoding(&e, "big"), "intset");
    check(
        &mut e,
        1000,
        &[
            ("SADD big -1", ":1"),
            ("SREM a 007", ":1"),
            ("SCARD big", ":513"),
            ("SISMEMBER big -1", ":1"),
            ("SISMEMBER c +1", ":0"),
            ("SADD c -0", ":1"),
        ],
    );
    // No conversion back once the non-integer is gone.
    for key in ["a", "b", "c", "big"] {
        assert_eq!(encoding(&e, key), "hashtable", "{key}");
    }
}

#[test]
fn set_commands_reject_other_types() {
    let mut e = engine_with(&[("s", "1")]);
    for line in [
        "SADD str a",
        "SREM str a",
        "SPOP str",
        "SPOP str 2",
        "SMOVE str s a",
        "SMOVE s str 1",
        "SINTERSTORE d s str",
        "SUNIONSTORE d str",
        "SDIFFSTORE d s str",
        "SMEMBERS str",
        "SISMEMBER str a",
        "SMISMEMBER str a",
        "SCARD str",
        "SRANDMEMBER str",
        "SRANDMEMBER str -2",
        "SINTER nope str",
        "SINTERCARD 2 nope str",
        "SUNION s str",
        "SDIFF nope str",
        "SSCAN str 0",
    ] {
        assert_eq!(apply(&mut e, 1000, line), err(WRONGTYPE), "{line}");
    }
    check(&mut e, 1000, &[("EXISTS d", ":0"), ("SCARD s", ":1")]);
}

#[test]
fn srem_sismember_and_smismember() {
    let mut e = engine_with(&[("s", "a b 1"), ("i", "1 2")]);
    check(
        &mut e,
        1000,
        &[
            ("SISMEMBER s a", ":1"),
            ("SISMEMBER s x", ":0"),
            ("SISMEMBER nope a", ":0"),
            ("SMISMEMBER s 1 x a", "[:1 :0 :1]"),
            ("SMISMEMBER nope 1 x", "[:0 :0]"),
            ("SREM s a x a", ":1"),
            ("SREM nope a", ":0"),
            ("SREM s b 1", ":2"),
            ("EXISTS s", ":0"),
            ("SREM i x 01 2", ":1"),
        ],
    );
}

#[test]
fn smove_moves_creates_and_deletes() {
    let mut e = engine_with(&[("a", "1 2"), ("b", "x")]);
    check(
        &mut e,
        1000,
        &[
            ("PEXPIRE b 500", ":1"),
            ("SMOVE a b 1", ":1"),
            ("SMOVE a b 9", ":0"),
            ("PTTL b", ":500"),
            ("SMOVE a c 2", ":1"),
            ("EXISTS a", ":0"),
            ("OBJECT ENCODING c", "intset"),
            ("SMEMBERS c", "~[2]"),
            // Onto itself: whether it is a member; nothing changes.
            ("SMOVE b b x", ":1"),
            ("SMOVE b b y", ":0"),
            // An absent source answers 0 even when the destination has another type.
            ("SMOVE nope str x", ":0"),
        ],
    );
    assert_eq!(sorted(apply(&mut e, 1000, "SMEMBERS b")), ["1", "x"]);
}

#[test]
fn spop_pops_one_at_random_and_deletes_an_emptied_set() {
    let mut e = engine_with(&[("s", "a b c")]);
    let popped: Vec<Reply> = (0..3).map(|_| apply(&mut e, 1000, "SPOP s")).collect();
    assert_eq!(sorted(Reply::Array(popped)), ["a", "b", "c"]);
    check(&mut e, 1000, &[("EXISTS s", ":0"), ("SPOP s", "(nil)")]);
}

#[test]
fn spop_with_a_count() {
    let mut e = engine_with(&[("s", "a b c d e f")]);
    let popped = sorted(apply(&mut e, 1000, "SPOP s 2"));
    let left = sorted(apply(&mut e, 1000, "SMEMBERS s"));
    assert_eq!((popped.len(), left.len()), (2, 4));
    assert!(popped.iter().all(|m| !left.contains(m)));
    // Most of the set: the rest is rebuilt from the members that stay.
    assert_eq!(sorted(apply(&mut e, 1000, "SPOP s 3")).len(), 3);
    check(&mut e, 1000, &[("SCARD s", ":1"), ("SPOP s 0", "~[]")]);
    let left = show(&apply(&mut e, 1000, "SMEMBERS s"));
    check(
        &mut e,
        1000,
        &[("SPOP s 5", &left), ("EXISTS s", ":0"), ("SPOP s 5", "~[]")],
    );
    // A hash table of integers popped down to a few is rebuilt as an intset, as in Redis.
    // Fewer pops leave it a hash table (checked against redis-server 7.0). The whole set
    // comes back as a union would list it: ascending integers.
    let mut ints = engine_with(&[
        ("t", "x 1 2 3 4 5 6"),
        ("u", "x 1 2 3 4 5"),
        ("v", "x 3 1 2"),
    ]);
    check(
        &mut ints,
        1000,
        &[
            ("SREM t x", ":1"),
            ("SREM u x", ":1"),
            ("SREM v x", ":1"),
            ("OBJECT ENCODING t", "hashtable"),
            ("SPOP v 3", "~[1 2 3]"),
        ],
    );
    apply(&mut ints, 1000, "SPOP t 5");
    apply(&mut ints, 1000, "SPOP u 4");
    assert_eq!(encoding(&ints, "t"), "intset");
    assert_eq!(encoding(&ints, "u"), "hashtable");
}

#[test]
fn spop_errors() {
    let mut e = engine_with(&[("s", "a")]);
    check(
        &mut e,
        1000,
        &[
            ("SPOP s x", MUST_BE_POSITIVE),
            ("SPOP s -1", MUST_BE_POSITIVE),
            // The count is checked before the type.
            ("SPOP str -1", MUST_BE_POSITIVE),
            ("SPOP s 1 2", SYNTAX_ERROR),
        ],
    );
}

#[test]
fn spop_is_a_function_of_the_entry() {
    let run = || {
        let mut e = engine_with(&[("s", "a b c d e f g")]);
        let replies: Vec<Reply> = (0..3).map(|_| apply(&mut e, 2000, "SPOP s 2")).collect();
        (replies, e.encode_snapshot())
    };
    assert_eq!(run(), run());
}

#[test]
fn srandmember_without_and_with_counts() {
    let mut e = engine_with(&[("s", "a b c d"), ("i", "3 1 2")]);
    let mut seen = Vec::new();
    for seed in 0..40 {
        let reply = read_seeded(&e, 1000, seed, "SRANDMEMBER s");
        if !seen.contains(&reply) {
            seen.push(reply);
        }
        let mut distinct = sorted(read_seeded(&e, 1000, seed, "SRANDMEMBER s 3"));
        distinct.dedup();
        assert_eq!(distinct.len(), 3);
        let repeated = sorted(read_seeded(&e, 1000, seed, "SRANDMEMBER s -9"));
        assert_eq!(repeated.len(), 9);
    }
    assert_eq!(seen.len(), 4);
    let must_between = "ERR value is out of range, value must between -9223372036854775807 and \
                        9223372036854775807";
    check(
        &mut e,
        1000,
        &[
            ("SRANDMEMBER i 5", "[1 2 3]"),
            ("SRANDMEMBER s 0", "[]"),
            ("SRANDMEMBER nope", "(nil)"),
            ("SRANDMEMBER nope -3", "[]"),
            ("SRANDMEMBER nope x", NOT_INTEGER),
            ("SRANDMEMBER s -9223372036854775808", must_between),
            (
                "SRANDMEMBER s -9223372036854775807",
                "ERR value is out of range",
            ),
            ("SRANDMEMBER s 1 2", SYNTAX_ERROR),
        ],
    );
}

#[test]
fn sinter_sintercard_and_sinterstore() {
    let mut e = engine_with(&[
        ("a", "1 2 3 4 x"),
        ("b", "4 3 2"),
        ("c", "2 3 9 y"),
        ("h", "x 1 2 3"),
    ]);
    let numkeys = "ERR numkeys should be greater than 0";
    let negative = "ERR LIMIT can't be negative";
    check(
        &mut e,
        1000,
        &[
            // The smallest set (an intset) gives the order.
            ("SINTER a b", "~[2 3 4]"),
            ("SINTER a nope", "~[]"),
            // A hash table of integers lists them in hash order, and so does the
            // intersection it leads.
            ("SREM h x", ":1"),
            ("SINTER h a", "~[1 3 2]"),
            ("SINTERCARD 2 a b", ":3"),
            ("SINTERCARD 2 a b LIMIT 2", ":2"),
            ("SINTERCARD 2 a b limit 0", ":3"),
            ("SINTERCARD 1 nope", ":0"),
            ("SINTERCARD 0 a", numkeys),
            ("SINTERCARD -1 a", numkeys),
            ("SINTERCARD x a", numkeys),
            (
                "SINTERCARD 3 a b",
                "ERR Number of keys can't be greater than number of args",
            ),
            ("SINTERCARD 1 a LIMIT", SYNTAX_ERROR),
            ("SINTERCARD 1 a FOO 1", SYNTAX_ERROR),
            ("SINTERCARD 1 a LIMIT -1", negative),
            ("SINTERCARD 1 a LIMIT x", negative),
            // The options are checked before the types.
            ("SINTERCARD 1 str LIMIT x", negative),
            // LIMIT is a key here.
            ("SINTERCARD 2 a LIMIT", ":0"),
            ("SINTERCARD 2 a LIMIT 1", SYNTAX_ERROR),
            ("SET d v PX 50", "+OK"),
            ("SINTERSTORE d a b", ":3"),
            ("OBJECT ENCODING d", "intset"),
            ("PTTL d", ":-1"),
            ("SINTERSTORE d a nope", ":0"),
            ("EXISTS d", ":0"),
        ],
    );
    assert_eq!(sorted(apply(&mut e, 1000, "SINTER a b c")), ["2", "3"]);
}

#[test]
fn sunion_sdiff_and_their_store_forms() {
    let mut e = engine_with(&[("a", "3 1 2"), ("b", "2 5"), ("c", "x 1")]);
    check(
        &mut e,
        1000,
        &[
            ("SUNION a b nope", "~[1 2 3 5]"),
            ("SDIFF a b nope", "~[1 3]"),
            ("SDIFF a b a", "~[]"),
            ("SDIFF nope a", "~[]"),
            ("SDIFF c a", "~[x]"),
            ("SUNIONSTORE d a b", ":4"),
            ("OBJECT ENCODING d", "intset"),
            ("SDIFFSTORE d c a", ":1"),
            ("OBJECT ENCODING d", "hashtable"),
            ("SDIFFSTORE d a a", ":0"),
            ("EXISTS d", ":0"),
            ("SUNIONSTORE d nope", ":0"),
            // The store forms overwrite a key of another type.
            ("SUNIONSTORE str b", ":2"),
            ("SMEMBERS str", "~[2 5]"),
        ],
    );
    assert_eq!(
        sorted(apply(&mut e, 1000, "SUNION a c")),
        ["1", "2", "3", "x"]
    );
}

#[test]
fn sdiff_keeps_the_encoding_of_the_algorithm_redis_picks() {
    // One big first set and small others: Redis adds the whole first set (a hash table, for
    // its "x") and removes; the integers left stay in a hash table. With few sets Redis adds
    // only the members that survive (all integers): an intset.
    let mut e = engine_with(&[("a", "x 1 2 3 4 5 6"), ("b", "x"), ("c", "x"), ("d", "x")]);
    check(
        &mut e,
        1000,
        &[
            ("SDIFFSTORE r a b c d", ":6"),
            ("SDIFFSTORE s a b", ":6"),
            ("OBJECT ENCODING r", "hashtable"),
            ("OBJECT ENCODING s", "intset"),
        ],
    );
}

#[test]
fn sscan_returns_an_intset_whole_and_pages_a_hash_table() {
    let mut e = engine_with(&[("i", "12 3 11")]);
    check(
        &mut e,
        1000,
        &[
            ("SSCAN i 0 COUNT 1 MATCH 1*", "[0 [11 12]]"),
            ("SSCAN nope 0 BOGUS", "[0 []]"),
            ("SSCAN i x", "ERR invalid cursor"),
            ("SSCAN i 0 COUNT 0", SYNTAX_ERROR),
            ("SSCAN str 0 COUNT 0", WRONGTYPE),
        ],
    );
    add_each(&mut e, "big", (0..300).map(|i| format!("m{i}")));
    let mut seen = scan_all(|cursor| apply(&mut e, 1000, &["SSCAN", "big", cursor]));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 300);
}

#[test]
fn a_packed_set_becomes_a_table_past_its_limits() {
    let mut e = Engine::new();
    let form = |e: &Engine, key| value_of::<SetValue>(e, key).form();
    add_each(
        &mut e,
        "n",
        (0..PACKED_MEMBERS_MAX).map(|i| format!("m{i}")),
    );
    assert_eq!(apply(&mut e, 0, "SADD n m0"), int(0));
    assert_eq!(form(&e, "n"), "packed", "a repeated member adds nothing");
    apply(&mut e, 0, "SADD n one-more");
    assert_eq!(form(&e, "n"), "table");
    assert_eq!(apply(&mut e, 0, "SCARD n"), int(129));
    apply(&mut e, 0, "SREM n one-more m1 m2");
    assert_eq!(form(&e, "n"), "table", "no conversion back");

    let longest = "l".repeat(PACKED_MEMBER_BYTES_MAX);
    apply(&mut e, 0, &["SADD", "w", "a", &longest]);
    assert_eq!(form(&e, "w"), "packed");
    apply(&mut e, 0, &["SADD", "w", &format!("{longest}+")]);
    assert_eq!(form(&e, "w"), "table");
    assert_eq!(apply(&mut e, 0, &["SISMEMBER", "w", &longest]), int(1));

    // An intset meeting a non-integer is packed when small, a table when not.
    apply(&mut e, 0, "SADD i 1 2 x");
    assert_eq!(form(&e, "i"), "packed");
    add_each(&mut e, "j", (0..200).map(|i| i.to_string()));
    apply(&mut e, 0, "SADD j x");
    assert_eq!(form(&e, "j"), "table");
    for key in ["n", "w", "i", "j"] {
        assert_eq!(encoding(&e, key), "hashtable");
    }
}

/// Two engines holding the same members, one packed and one in the table form (grown past the
/// limit, then shrunk back: it never converts back).
fn packed_and_table_twins() -> (Engine, Engine) {
    let members = || (0..40).map(|i| format!("m{}", 123_456 + i * 7));
    let extra = || (0..PACKED_MEMBERS_MAX).map(|i| format!("x{i}"));
    let mut packed = Engine::new();
    let mut table = Engine::new();
    add_each(&mut packed, "s", members());
    add_each(&mut table, "s", members().chain(extra()));
    for member in extra() {
        apply(&mut table, 1, &["SREM", "s", &member]);
    }
    // The same last write on both, so that their tables of changes (WATCH's) agree too.
    for twin in [&mut packed, &mut table] {
        apply(twin, 5000, "SADD s m123456");
    }
    assert_eq!(value_of::<SetValue>(&packed, "s").form(), "packed");
    assert_eq!(value_of::<SetValue>(&table, "s").form(), "table");
    (packed, table)
}

#[test]
fn packed_and_table_forms_scan_pick_and_snapshot_alike() {
    let (mut packed, mut table) = packed_and_table_twins();
    assert!(value_of::<SetValue>(&packed, "s")
        .iter()
        .eq(value_of::<SetValue>(&table, "s").iter()));
    assert_eq!(packed, table);
    assert_eq!(packed.encode_snapshot(), table.encode_snapshot());
    let both = |line: &str, seed: u64| {
        let reply = read_seeded(&packed, 1, seed, line);
        assert_eq!(reply, read_seeded(&table, 1, seed, line), "{line}");
        reply
    };
    both("SMEMBERS s", 0);
    both("OBJECT ENCODING s", 0);
    for seed in 0..20 {
        for line in ["SRANDMEMBER s", "SRANDMEMBER s 5", "SRANDMEMBER s -7"] {
            both(line, seed);
        }
    }
    scan_all(|cursor| both(&format!("SSCAN s {cursor} COUNT 3"), 0));
    // A cursor between two members' hashes resumes at the same place in both forms.
    both("SSCAN s 9223372036854775808 COUNT 2", 0);
    for (at, line) in [(10, "SPOP s"), (11, "SPOP s 3"), (12, "SPOP s 30")] {
        assert_eq!(apply(&mut packed, at, line), apply(&mut table, at, line));
    }
    assert_eq!(packed.encode_snapshot(), table.encode_snapshot());
}

#[test]
fn a_small_set_is_one_buffer_without_slack() {
    assert!(std::mem::size_of::<SetValue>() <= 32);
    let mut e = Engine::new();
    add_each(&mut e, "s", (0..10).map(|i| format!("m{}", 123_456 + i)));
    apply(&mut e, 0, "SADD s extra");
    apply(&mut e, 0, "SREM s extra");
    // A count byte and 10 entries of 1 + 7 bytes: a tree node and a buffer per member would
    // cost several times more.
    assert_eq!(value_of::<SetValue>(&e, "s").heap_bytes(), 1 + 10 * 8);
    add_each(&mut e, "i", (0..10).map(|i| i.to_string()));
    apply(&mut e, 0, "SREM i 3");
    assert_eq!(
        value_of::<SetValue>(&e, "i").heap_bytes(),
        9 * 8,
        "an exact intset"
    );
}

#[test]
fn snapshot_round_trips_both_encodings_and_rejects_bad_contents() {
    for members in ["3 1 -7", "a 1 b"] {
        let e = engine_with(&[("s", members)]);
        let bytes = e.encode_snapshot();
        let decoded = Engine::decode_snapshot(&bytes).unwrap();
        assert_eq!(
            value_of::<SetValue>(&decoded, "s"),
            value_of::<SetValue>(&e, "s")
        );
        assert_eq!(decoded.encode_snapshot(), bytes);
    }
    let mut only = Engine::new();
    apply(&mut only, 1000, "SADD s 1");
    let decodes = |encoding: u8, members: &[&[u8]]| {
        let mut value = vec![encoding];
        value.extend_from_slice(&(members.len() as u32).to_le_bytes());
        for member in members {
            match encoding {
                ENCODING_INTSET => value.extend_from_slice(member),
                _ => put_bytes(&mut value, member),
            }
        }
        Engine::decode_snapshot(&splice_value(&only, &value)).is_ok()
    };
    let five = 5i64.to_le_bytes();
    assert!(!decodes(ENCODING_INTSET, &[&five, &five]), "unordered");
    assert!(!decodes(ENCODING_TABLE, &[b"m", b"m"]), "repeated");
    assert!(!decodes(9, &[b"m"]), "unknown encoding");
    assert!(decodes(ENCODING_TABLE, &[b"m"]));
}

#[test]
fn the_replicated_intset_threshold_decides_conversions() {
    check(
        &mut Engine::new(),
        1000,
        &[
            ("CONFIG SET set-max-intset-entries 2", "+OK"),
            ("SADD s 1 2", ":2"),
            ("OBJECT ENCODING s", "intset"),
            ("SADD s 3", ":1"),
            ("OBJECT ENCODING s", "hashtable"),
            ("SADD t 5 4", ":2"),
            ("SUNIONSTORE u t", ":2"),
            ("OBJECT ENCODING u", "intset"),
            ("SUNIONSTORE u t s", ":5"),
            ("OBJECT ENCODING u", "hashtable"),
        ],
    );
}

#[test]
fn set_commands_notify_as_redis_does() {
    let mut e = Engine::new();
    listen(&mut e, "Esg");
    check_notified(
        &mut e,
        1000,
        &[
            ("SADD s a b", &["sadd s"]),
            ("SADD s a", &[]),
            ("SREM s nope", &[]),
            ("SREM s a", &["srem s"]),
            ("SMOVE s t b", &["srem s", "del s", "sadd t"]),
            ("SADD u b", &["sadd u"]),
            // Already in the destination: removed from the source only.
            ("SMOVE t u b", &["srem t", "del t"]),
            ("SMOVE u u b", &[]),
            ("SADD p 1 2 3", &["sadd p"]),
            ("SPOP p 0", &[]),
            ("SPOP p", &["spop p"]),
            ("SPOP p 1", &["spop p"]),
            ("SPOP p 5", &["spop p", "del p"]),
            ("SADD q 1", &["sadd q"]),
            ("SUNIONSTORE d u q", &["sunionstore d"]),
            ("SDIFFSTORE d u q", &["sdiffstore d"]),
            ("SINTERSTORE d u q", &["del d"]),
            ("SINTERSTORE d u q", &[]),
            ("SINTERSTORE d u u", &["sinterstore d"]),
            ("SUNION u q", &[]),
        ],
    );
}
