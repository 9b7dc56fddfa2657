use crate::args::{NOT_C_INT, NOT_INTEGER, SYNTAX_ERROR};
use crate::entry::LogCommand;
use crate::reply::Reply;
use crate::table::resolve;
use crate::testutil::{apply, bulk, bulks, c, err, int, ok, read, read_seeded, show};
use crate::testutil::{check_notified, listen, notified};
use crate::Engine;

const SAME: &str = "ERR source and destination objects are the same";
const RANGE: &str = "ERR DB index is out of range";

fn engine_with(keys: &[&str]) -> Engine {
    let mut engine = Engine::new();
    for key in keys {
        assert_eq!(apply(&mut engine, 1000, &["SET", key, "v"]), ok());
    }
    engine
}

/// Runs each command line at `now` in order — writes through the log, reads through the read
/// path — and checks its reply as [`show`] writes it.
fn run(e: &mut Engine, now: u64, cases: &[(&str, &str)]) {
    for (line, expected) in cases {
        let write = resolve(&c(line)).is_ok_and(|spec| spec.is_write());
        let reply = if write {
            apply(e, now, *line)
        } else {
            read(e, now, *line)
        };
        assert_eq!(show(&reply), *expected, "{line}");
    }
}

/// An array reply's elements in a fixed order, to compare sets of keys.
fn sorted(reply: Reply) -> Vec<Reply> {
    let Reply::Array(mut items) = reply else {
        panic!("not an array: {reply:?}");
    };
    items.sort_by_key(|item| format!("{item:?}"));
    items
}

#[test]
fn del_unlink_exists_and_type() {
    let mut e = engine_with(&["a", "b", "c"]);
    let cases = [
        ("EXISTS a a b x", ":3"),
        ("TYPE a", "+string"),
        ("TYPE x", "+none"),
        ("DEL a b x a", ":2"),
        ("UNLINK c c", ":1"),
        ("DBSIZE", ":0"),
        ("SET t v PX 5", "+OK"),
    ];
    run(&mut e, 1000, &cases);
    assert_eq!(apply(&mut e, 1005, "DEL t"), int(0), "expired is absent");
}

#[test]
fn touch_counts_the_live_keys_it_names_and_changes_nothing() {
    let mut e = engine_with(&["a", "b"]);
    apply(&mut e, 1000, "SET t v PX 5");
    let cases = [
        ("TOUCH a a b x", ":3"),
        ("TOUCH x", ":0"),
        ("TOUCH t", ":1"),
        ("TOUCH", "ERR wrong number of arguments for 'touch' command"),
    ];
    run(&mut e, 1000, &cases);
    assert_eq!(read(&e, 1005, "TOUCH t a"), int(1), "expired is absent");
    assert!(!crate::table::lookup(b"touch").unwrap().is_write());
}

#[test]
fn expire_family_sets_deadlines_in_each_unit() {
    let mut e = engine_with(&["a", "b", "c", "d"]);
    let cases = [
        ("EXPIRE a 10", ":1"),
        ("PEXPIRE b 10", ":1"),
        ("EXPIREAT c 10", ":1"),
        ("PEXPIREAT d 10000", ":1"),
        ("PEXPIRETIME a", ":11000"),
        ("PEXPIRETIME b", ":1010"),
        ("PEXPIRETIME c", ":10000"),
        ("PEXPIRETIME d", ":10000"),
        ("EXPIRE missing 10", ":0"),
    ];
    run(&mut e, 1000, &cases);
    // Exactly at the deadline the key is gone.
    assert_eq!(read(&e, 1009, "EXISTS b"), int(1));
    assert_eq!(read(&e, 1010, "EXISTS b"), int(0));
    assert_eq!(apply(&mut e, 1010, "EXPIRE b 10"), int(0));
}

#[test]
fn expire_in_the_past_deletes_and_replies_one() {
    let mut e = engine_with(&["a", "b", "c"]);
    let cases = [
        ("EXPIRE a -1", ":1"),
        ("PEXPIRE b 0", ":1"),
        ("PEXPIREAT c 1000", ":1"),
        ("DBSIZE", ":0"),
    ];
    run(&mut e, 1000, &cases);
    assert_eq!(e.keyspace().dbs[0].stored_len(), 0);
}

#[test]
fn expire_conditions_nx_xx_gt_lt() {
    let mut e = engine_with(&["k"]);
    let cases = [
        ("PEXPIRE k 100 XX", ":0"),
        // No deadline is infinite.
        ("PEXPIRE k 100 GT", ":0"),
        ("PEXPIRE k 100 LT", ":1"),
        ("PEXPIRE k 50 NX", ":0"),
        ("PEXPIRE k 200 XX", ":1"),
        ("PEXPIRE k 100 GT", ":0"),
        ("PEXPIRE k 300 gt", ":1"),
        ("PEXPIRE k 300 LT", ":0"),
        ("PEXPIRE k 250 LT XX", ":1"),
        ("PTTL k", ":250"),
        ("PERSIST k", ":1"),
        ("PEXPIRE k 50 NX", ":1"),
    ];
    run(&mut e, 1000, &cases);
}

#[test]
fn expire_option_errors() {
    let mut e = engine_with(&["k"]);
    let incompatible = "ERR NX and XX, GT or LT options at the same time are not compatible";
    let invalid = |name| format!("ERR invalid expire time in '{name}' command");
    let max = "9223372036854775807";
    let pexpire_max = format!("pExpire k {max}");
    let cases = [
        ("EXPIRE k 1 NX XX", incompatible),
        ("EXPIRE k 1 GT NX", incompatible),
        ("EXPIRE k 1 NX LT", incompatible),
        (
            "EXPIRE k 1 GT LT",
            "ERR GT and LT options at the same time are not compatible",
        ),
        ("EXPIRE k 1 foo", "ERR Unsupported option foo"),
        ("EXPIRE k 1 a\r\nb", "ERR Unsupported option a  b"),
        ("EXPIRE k 1 \0bin", "ERR Unsupported option "),
        // The options are read before the time.
        ("EXPIRE k x foo", "ERR Unsupported option foo"),
        ("EXPIRE k 1.5", NOT_INTEGER),
        ("EXPIRE k 9223372036854776", &invalid("expire")),
        // The command is named in lower case whatever the client wrote.
        (&pexpire_max, &invalid("pexpire")),
        ("EXPIREAT k -9223372036854776", &invalid("expireat")),
    ];
    run(&mut e, 1000, &cases);
    assert_eq!(apply(&mut e, 1000, &["PEXPIREAT", "k", max]), int(1));
    assert_eq!(read(&e, 1000, "PEXPIRETIME k"), int(i64::MAX));
}

#[test]
fn ttl_family_reports_missing_persistent_and_rounded() {
    let mut e = engine_with(&["p"]);
    apply(&mut e, 1000, "SET t v PX 2500");
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(read(&e, 1000, &[cmd, "missing"]), int(-2), "{cmd}");
        assert_eq!(read(&e, 1000, &[cmd, "p"]), int(-1), "{cmd}");
    }
    for (now, line, expected) in [
        (1000, "PTTL t", 2500),
        // 2.5 s rounds up.
        (1000, "TTL t", 3),
        (1001, "TTL t", 2),
        (1000, "PEXPIRETIME t", 3500),
        (1000, "EXPIRETIME t", 4),
        (3499, "PTTL t", 1),
        (3500, "PTTL t", -2),
    ] {
        assert_eq!(read(&e, now, line), int(expected), "{line} at {now}");
    }
}

#[test]
fn persist_removes_the_deadline() {
    let mut e = engine_with(&["k", "p"]);
    let cases = [
        ("EXPIRE k 10", ":1"),
        ("PERSIST k", ":1"),
        ("TTL k", ":-1"),
        ("PERSIST k", ":0"),
        ("PERSIST p", ":0"),
        ("PERSIST x", ":0"),
    ];
    run(&mut e, 1000, &cases);
    assert_eq!(read(&e, 100_000, "GET k"), bulk("v"));
}

#[test]
fn keys_matches_globs_and_skips_expired() {
    let mut e = engine_with(&["hello", "hallo", "hxllo", "world", "h*llo"]);
    apply(&mut e, 1000, "PEXPIRE world 1");
    for (pattern, expected) in [
        ("*", &["hello", "hallo", "hxllo", "world", "h*llo"][..]),
        ("h[ae]llo", &["hello", "hallo"]),
        ("h[^e]llo", &["hallo", "hxllo", "h*llo"]),
        ("h\\*llo", &["h*llo"]),
        ("w?rld", &["world"]),
    ] {
        let found = sorted(read(&e, 1000, &["KEYS", pattern]));
        assert_eq!(found, sorted(bulks(expected)), "{pattern}");
    }
    assert_eq!(read(&e, 1001, "KEYS w*"), bulks(&[]));
}

#[test]
fn keys_order_is_the_keyspace_order() {
    let e = engine_with(&["a", "b", "c", "d"]);
    let expected: Vec<Reply> = e.keyspace().dbs[0]
        .iter_from(0, 1000)
        .map(|(key, _)| Reply::bulk(key.bytes()))
        .collect();
    assert_eq!(read(&e, 1000, "KEYS *"), Reply::Array(expected));
}

/// One SCAN call: the next cursor and the keys returned.
fn scan_once(e: &Engine, now: u64, cursor: &str, options: &[&str]) -> (u64, Reply) {
    let argv: Vec<&str> = ["SCAN", cursor].iter().chain(options).copied().collect();
    let Reply::Array(parts) = read(e, now, &argv) else {
        panic!("SCAN reply is not an array");
    };
    let [Reply::Bulk(next), keys] = <[Reply; 2]>::try_from(parts).expect("two parts") else {
        panic!("bad SCAN reply");
    };
    let next = String::from_utf8(next).expect("cursor text");
    (next.parse().expect("cursor number"), keys)
}

/// Follows SCAN cursors from 0 to the end; returns every key seen (with repeats) and the
/// number of calls.
fn full_scan(e: &Engine, now: u64, options: &[&str]) -> (Vec<Reply>, usize) {
    let mut cursor = 0u64;
    let mut seen = Vec::new();
    for calls in 1..10_000 {
        let (next, keys) = scan_once(e, now, &cursor.to_string(), options);
        seen.extend(sorted(keys));
        if next == 0 {
            return (seen, calls);
        }
        assert!(next > cursor, "cursor must strictly increase");
        cursor = next;
    }
    panic!("SCAN never finished");
}

#[test]
fn scan_returns_every_key_once_in_small_pages() {
    let names: Vec<String> = (0..100).map(|i| format!("key:{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let e = engine_with(&refs);
    let (seen, _) = full_scan(&e, 1000, &["COUNT", "7"]);
    assert_eq!(sorted(Reply::Array(seen)), sorted(bulks(&refs)));
    assert_eq!(full_scan(&e, 1000, &[]).0.len(), 100);
    // One key a call: cursors strictly increase until 0.
    assert_eq!(full_scan(&e, 1000, &["COUNT", "1"]).1, 100);
}

#[test]
fn scan_pages_hold_count_keys_and_cursors_are_hashes() {
    let e = engine_with(&["a", "b", "c", "d", "e"]);
    let hashes: Vec<u64> = e.keyspace().dbs[0]
        .iter_from(0, 1000)
        .map(|(k, _)| k.hash())
        .collect();
    let (next, keys) = scan_once(&e, 1000, "0", &["COUNT", "2"]);
    assert_eq!(next, hashes[2]);
    assert_eq!(sorted(keys).len(), 2);
    let end = scan_once(&e, 1000, &u64::MAX.to_string(), &[]);
    assert_eq!(end, (0, bulks(&[])));
}

#[test]
fn scan_match_and_type_filter() {
    let e = engine_with(&["user:1", "user:2", "other"]);
    let seen = full_scan(&e, 1000, &["MATCH", "user:*", "COUNT", "100"]).0;
    assert_eq!(seen, sorted(bulks(&["user:1", "user:2"])));
    // An unknown type is no error in Redis 7.
    for (options, found) in [
        (&["TYPE", "string"][..], 3),
        (&["type", "HASH"], 0),
        (&["TYPE", "STRING"], 3),
        (&["TYPE", "blob"], 0),
        (&["MATCH", "*"], 3),
    ] {
        assert_eq!(full_scan(&e, 1000, options).0.len(), found, "{options:?}");
    }
}

#[test]
fn scan_errors() {
    let mut e = engine_with(&["a"]);
    let invalid = err("ERR invalid cursor");
    assert_eq!(read(&e, 1000, &["SCAN", " 1"]), invalid);
    let cases = [
        ("SCAN abc", "ERR invalid cursor"),
        ("SCAN 18446744073709551616", "ERR invalid cursor"),
        ("SCAN 0 COUNT 0", SYNTAX_ERROR),
        ("SCAN 0 COUNT x", NOT_INTEGER),
        ("SCAN 0 COUNT", SYNTAX_ERROR),
        ("SCAN 0 FOO 1", SYNTAX_ERROR),
        ("SCAN 0 NOVALUES", SYNTAX_ERROR),
        ("SCAN 0 MATCH * COUNT", SYNTAX_ERROR),
    ];
    run(&mut e, 1000, &cases);
}

#[test]
fn rename_moves_value_and_deadline() {
    let mut e = engine_with(&["a", "b"]);
    let no_such_key = "ERR no such key";
    let cases = [
        ("PEXPIRE a 500", ":1"),
        ("RENAME a b", "+OK"),
        ("EXISTS a", ":0"),
        ("PTTL b", ":500"),
        ("RENAME b b", "+OK"),
        ("PTTL b", ":500"),
        ("RENAME x y", no_such_key),
        ("RENAME x x", no_such_key),
    ];
    run(&mut e, 1000, &cases);
    // Expired.
    run(&mut e, 1500, &[("RENAME b c", no_such_key)]);
}

#[test]
fn renamenx_only_onto_a_missing_key() {
    let mut e = engine_with(&["a", "b"]);
    let cases = [
        ("RENAMENX a b", ":0"),
        ("RENAMENX a a", ":0"),
        ("RENAMENX a c", ":1"),
        ("GET c", "v"),
        ("RENAMENX a d", "ERR no such key"),
    ];
    run(&mut e, 1000, &cases);
}

#[test]
fn randomkey_is_deterministic_in_the_seed_and_wraps() {
    let mut e = Engine::new();
    assert_eq!(read(&e, 0, "RANDOMKEY"), Reply::Nil);
    for key in ["a", "b", "c"] {
        apply(&mut e, 0, &["SET", key, "v"]);
    }
    let order: Vec<(u64, Vec<u8>)> = e.keyspace().dbs[0]
        .iter_from(0, 0)
        .map(|(k, _)| (k.hash(), k.bytes().to_vec()))
        .collect();
    let key = |i: usize| Reply::bulk(order[i].1.clone());
    let pick = |seed| read_seeded(&e, 0, seed, "RANDOMKEY");
    assert_eq!(pick(0), key(0));
    assert_eq!(pick(order[1].0), key(1));
    assert_eq!(pick(order[1].0 + 1), key(2));
    assert_eq!(pick(order[2].0 + 1), key(0), "wraps");
    let mut pexpire = c("PEXPIRE x 1");
    pexpire[1].clone_from(&order[0].1);
    apply(&mut e, 0, pexpire);
    assert_eq!(read_seeded(&e, 1, 0, "RANDOMKEY"), key(1));
}

#[test]
fn dbsize_counts_live_keys() {
    let mut e = engine_with(&["a", "b"]);
    assert_eq!(read(&e, 1000, "DBSIZE"), int(2));
    apply(&mut e, 1000, "PEXPIRE a 10");
    assert_eq!(read(&e, 1010, "DBSIZE"), int(1));
}

fn apply_in_db(e: &mut Engine, db: u32, line: &str) -> Reply {
    e.apply(1, &LogCommand::run(1000, db, vec![c(line)]))
        .remove(0)
}

fn read_in_db(e: &Engine, db: u32, line: &str) -> Reply {
    e.read(
        db,
        &c(line),
        crate::ReadContext {
            now_ms: 1,
            ..Default::default()
        },
    )
}

#[test]
fn flushdb_clears_one_db_and_flushall_every_db() {
    let mut e = engine_with(&["a"]);
    apply_in_db(&mut e, 3, "SET b v");
    assert_eq!(apply(&mut e, 1000, "FLUSHDB"), ok());
    assert_eq!(read(&e, 1000, "DBSIZE"), int(0));
    assert_eq!(e.keyspace().dbs[3].len(1000), 1);
    apply(&mut e, 1000, "SET a v PX 10");
    assert_eq!(apply(&mut e, 1000, "FLUSHALL async"), ok());
    assert!(e.keyspace().dbs.iter().all(|db| db.stored_len() == 0));
    assert!(!e.has_expired_keys(u64::MAX));
    let cases = [
        ("FLUSHDB SYNC", "+OK"),
        ("FLUSHDB NOW", SYNTAX_ERROR),
        ("FLUSHALL SYNC ASYNC", SYNTAX_ERROR),
    ];
    run(&mut e, 1000, &cases);
}

#[test]
fn object_reports_encodings_refcount_and_help_like_redis() {
    let mut e = Engine::new();
    let long = "x".repeat(44);
    let longer = "x".repeat(45);
    for (value, encoding) in [
        ("100", "int"),
        ("-9223372036854775808", "int"),
        ("12345678901234567890", "embstr"),
        (" 12", "embstr"),
        ("01", "embstr"),
        ("hello", "embstr"),
        (&long, "embstr"),
        (&longer, "raw"),
    ] {
        apply(&mut e, 1, &["SET", "k", value]);
        assert_eq!(read(&e, 1, "OBJECT ENCODING k"), bulk(encoding), "{value}");
    }
    for line in [
        "HSET h f v",
        "RPUSH l a",
        "SADD si 1",
        "SADD ss a",
        "ZADD z 1 a",
        "XADD x 1-1 f v",
        "SET small 9999",
        "SET big 10000",
    ] {
        apply(&mut e, 1, line);
    }
    let no_lfu = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
        Please note that when switching between policies at runtime LRU and LFU data will take \
        some time to adjust.";
    let cases = [
        ("object encoding h", "listpack"),
        ("object encoding l", "quicklist"),
        ("object encoding si", "intset"),
        ("object encoding ss", "hashtable"),
        ("object encoding z", "listpack"),
        ("object encoding x", "stream"),
        ("OBJECT REFCOUNT small", ":2147483647"),
        ("OBJECT REFCOUNT big", ":1"),
        ("OBJECT REFCOUNT h", ":1"),
        ("OBJECT IDLETIME h", ":0"),
        ("OBJECT FREQ h", no_lfu),
    ];
    run(&mut e, 1, &cases);
    for sub in ["ENCODING", "REFCOUNT", "IDLETIME", "FREQ"] {
        assert_eq!(read(&e, 1, &["OBJECT", sub, "nokey"]), Reply::Nil, "{sub}");
    }
    let Reply::Array(help) = read(&e, 1, "OBJECT HELP") else {
        panic!("help is an array");
    };
    assert_eq!(help.len(), 15);
    assert_eq!(help[14], Reply::Simple("    Prints this help.".into()));
}

#[test]
fn a_string_built_in_place_is_raw_until_a_new_value_replaces_it_as_in_redis() {
    let mut e = Engine::new();
    for line in [
        "SET a 123",
        "SETRANGE a 0 4",
        "SET b 123",
        "APPEND b 4",
        "APPEND c 12",
        "SETRANGE d 0 12",
        "SET f abc",
        "SETRANGE f 0 x",
        "SET g 12",
        "SETBIT g 1 1",
        "SETBIT h 1 1",
        "SET i 12",
        "BITFIELD i SET u8 0 49",
        "SET j 12",
        "SET m 5",
        "PFADD p x",
        "SET q 5",
        "BITFIELD q GET u8 0",
        "SET r 5",
        "BITFIELD r INCRBY u8 0 0",
        "SET s1 1",
        "BITOP OR o s1",
        "SET n 7",
        "APPEND n 7",
        "INCR n",
        "COPY b b2",
        "SET e 1",
        "APPEND e 1",
        "EXPIRE e 100",
    ] {
        apply(&mut e, 1, line);
    }
    // An empty patch changes nothing; an empty tail still rebuilds the string.
    apply(&mut e, 1, &["SETRANGE", "j", "0", ""]);
    apply(&mut e, 1, &["APPEND", "m", ""]);
    // The encodings redis-server 7.0.15 reports after the same commands.
    let cases = [
        ("OBJECT ENCODING a", "raw"),
        ("OBJECT ENCODING b", "raw"),
        ("OBJECT ENCODING c", "int"),
        ("OBJECT ENCODING d", "raw"),
        ("OBJECT ENCODING f", "raw"),
        ("OBJECT ENCODING g", "raw"),
        ("OBJECT ENCODING h", "raw"),
        ("OBJECT ENCODING i", "raw"),
        ("OBJECT ENCODING j", "int"),
        ("OBJECT ENCODING m", "raw"),
        ("OBJECT ENCODING p", "raw"),
        ("OBJECT ENCODING q", "int"),
        ("OBJECT ENCODING r", "raw"),
        ("OBJECT ENCODING o", "raw"),
        ("OBJECT ENCODING n", "int"),
        ("OBJECT ENCODING b2", "raw"),
        ("OBJECT ENCODING e", "raw"),
        ("PTTL e", ":100000"),
        ("OBJECT REFCOUNT a", ":1"),
        ("OBJECT REFCOUNT n", ":2147483647"),
    ];
    run(&mut e, 1, &cases);
    // A new value is encoded afresh; the mark travels in snapshots.
    let restored = Engine::decode_snapshot(&e.encode_snapshot()).expect("a snapshot");
    assert_eq!(read(&restored, 1, "OBJECT ENCODING a"), bulk("raw"));
    assert_eq!(restored.encode_snapshot(), e.encode_snapshot());
    let cases = [("SET a 5", "+OK"), ("OBJECT ENCODING a", "int")];
    run(&mut e, 1, &cases);
}

#[test]
fn object_subcommands_are_dispatched_with_redis_errors() {
    let mut e = Engine::new();
    let unknown = |sub: &str| format!("ERR unknown subcommand '{sub}'. Try OBJECT HELP.");
    let arity = |name| format!("ERR wrong number of arguments for '{name}' command");
    // The quoted subcommand is cut to 128 bytes, its CR and LF made spaces.
    let long = format!("OBJECT {}\r\n", "y".repeat(200));
    let cases: [(&str, &str); 8] = [
        ("OBJECT foo", &unknown("foo")),
        ("OBJECT foo k", &unknown("foo")),
        ("OBJECT a\rb", &unknown("a b")),
        (&long, &unknown(&"y".repeat(128))),
        ("OBJECT", &arity("object")),
        ("OBJECT ENCODING", &arity("object|encoding")),
        ("OBJECT refcount a b", &arity("object|refcount")),
        ("OBJECT help x", &arity("object|help")),
    ];
    run(&mut e, 1, &cases);
    let spec = resolve(&c("OBJECT ENCODING k")).unwrap();
    assert_eq!(spec.name, "object|encoding");
    assert_eq!((spec.first_key, spec.last_key, spec.step), (2, 2, 1));
    let categories = crate::table::catalog()
        .find(b"object|encoding")
        .unwrap()
        .categories;
    assert_eq!(crate::introspect::flags(spec, categories), vec!["readonly"]);
}

#[test]
fn copy_duplicates_value_and_deadline_within_and_across_databases() {
    let mut e = Engine::new();
    let cases = [
        ("SET a v", "+OK"),
        ("PEXPIRE a 5000", ":1"),
        ("RPUSH l x y", ":2"),
        ("COPY a b", ":1"),
        ("GET b", "v"),
        ("PTTL b", ":5000"),
        ("COPY l b", ":0"),
        ("COPY l b REPLACE", ":1"),
        ("LRANGE b 0 -1", "[x y]"),
        ("PTTL b", ":-1"),
        // The copy is independent of the source.
        ("RPUSH l z", ":3"),
        ("LLEN b", ":2"),
        ("COPY a a DB 3", ":1"),
        ("COPY nokey c", ":0"),
    ];
    run(&mut e, 1, &cases);
    assert_eq!(read_in_db(&e, 3, "GET a"), bulk("v"));
    assert_eq!(read_in_db(&e, 3, "PTTL a"), int(5000));
    let cases = [
        ("COPY a a", SAME),
        ("COPY a a DB 0", SAME),
        ("COPY a c DB 16", RANGE),
        ("COPY a c DB -1", RANGE),
        ("COPY a c DB x", NOT_INTEGER),
        ("COPY a c DB 1.5", NOT_INTEGER),
        // Past a C int, getIntFromObjectOrReply's own line, as Redis 7.0 answers.
        ("COPY a c DB 4294967296", NOT_C_INT),
        ("COPY a c DB 2147483648", NOT_C_INT),
        ("COPY a c DB -2147483649", NOT_C_INT),
        ("COPY a c DB 99999999999999999999", NOT_INTEGER),
        ("COPY nokey c DB 16", RANGE),
        ("COPY a c foo", SYNTAX_ERROR),
        ("COPY a c DB", SYNTAX_ERROR),
        // Options are read in order: the first bad one answers.
        ("COPY a c DB 16 foo", RANGE),
        ("COPY a c foo DB 16", SYNTAX_ERROR),
    ];
    run(&mut e, 1, &cases);
    // An expired destination counts as absent; an expired source copies nothing.
    apply(&mut e, 1, "SET old o PX 10");
    assert_eq!(apply(&mut e, 20, "COPY b old"), int(1));
    assert_eq!(apply(&mut e, 20_000, "COPY a z"), int(0));
}

#[test]
fn move_takes_the_key_and_its_deadline_to_another_database() {
    let mut e = Engine::new();
    let cases = [
        ("SET a v PX 5000", "+OK"),
        ("MOVE a 2", ":1"),
        ("EXISTS a", ":0"),
        ("MOVE a 2", ":0"),
        ("SET a w", "+OK"),
        ("MOVE a 2", ":0"),
        ("GET a", "w"),
        ("MOVE a 0", SAME),
        ("MOVE a 16", RANGE),
        ("MOVE a -1", RANGE),
        ("MOVE a x", NOT_INTEGER),
        ("MOVE a +1", NOT_INTEGER),
        ("MOVE a 99999999999999999999", NOT_INTEGER),
        ("MOVE a 2147483648", NOT_C_INT),
        ("MOVE a -2147483649", NOT_C_INT),
        ("MOVE nokey 16", RANGE),
    ];
    run(&mut e, 1, &cases);
    assert_eq!(read_in_db(&e, 2, "GET a"), bulk("v"));
    assert_eq!(read_in_db(&e, 2, "PTTL a"), int(5000));
    assert_eq!(apply_in_db(&mut e, 2, "MOVE a 0"), int(0));
}

#[test]
fn swapdb_swaps_whole_databases_with_deadlines() {
    let mut e = Engine::new();
    apply(&mut e, 1000, "SET a zero PX 5000");
    apply_in_db(&mut e, 1, "SET b one");
    assert_eq!(apply(&mut e, 1, "SWAPDB 0 1"), ok());
    assert_eq!(read(&e, 1, "GET b"), bulk("one"));
    assert_eq!(read_in_db(&e, 1, "PTTL a"), int(5000));
    assert!(e.has_expired_keys(6000));
    assert!(!e.has_expired_keys(5999));
    assert_eq!(apply(&mut e, 1, "SWAPDB 3 3"), ok());
    let cases = [
        ("SWAPDB x 1", "ERR invalid first DB index"),
        ("SWAPDB x y", "ERR invalid first DB index"),
        ("SWAPDB 1 x", "ERR invalid second DB index"),
        ("SWAPDB 16 x", "ERR invalid second DB index"),
        ("SWAPDB 1 16", RANGE),
        ("SWAPDB -1 0", RANGE),
    ];
    run(&mut e, 1, &cases);
}

#[test]
fn key_commands_notify_as_redis_does() {
    let mut e = engine_with(&["a", "b", "c", "k", "x"]);
    listen(&mut e, "Eg");
    check_notified(
        &mut e,
        1000,
        &[
            ("DEL a none b", &["del a", "del b"]),
            ("UNLINK c", &["del c"]),
            ("EXPIRE k 100", &["expire k"]),
            ("EXPIRE k 100 NX", &[]),
            ("PEXPIREAT k 5000000", &["expire k"]),
            ("EXPIRE none 100", &[]),
            ("PERSIST k", &["persist k"]),
            ("PERSIST k", &[]),
            ("RENAME k r", &["rename_from k", "rename_to r"]),
            ("RENAME r r", &[]),
            ("RENAMENX r x", &[]),
            ("COPY r x", &[]),
            ("COPY r x REPLACE", &["copy_to x"]),
            ("COPY r y DB 2", &["@2 copy_to y"]),
            ("MOVE r 3", &["move_from r", "@3 move_to r"]),
            ("MOVE x 2", &["move_from x", "@2 move_to x"]),
            ("MOVE y 2", &[]),
            ("SET z v", &[]),
            ("EXPIRE z -1", &["del z"]),
            ("FLUSHDB", &[]),
            ("SWAPDB 2 3", &[]),
            ("TTL r", &[]),
        ],
    );
}

#[test]
fn a_key_written_over_by_rename_or_copy_is_new_as_in_redis() {
    let mut e = engine_with(&["a", "b", "c"]);
    listen(&mut e, "Egxn");
    check_notified(
        &mut e,
        1000,
        &[
            ("RENAME a b", &["new b", "rename_from a", "rename_to b"]),
            ("COPY b c REPLACE", &["new c", "copy_to c"]),
            ("MOVE c 1", &["@1 new c", "move_from c", "@1 move_to c"]),
            ("SET d v", &["new d"]),
        ],
    );
    e.apply(
        5,
        &LogCommand::run(1000, 1, vec![c("SET d v"), c("PEXPIRE d 10")]),
    );
    assert_eq!(notified(&mut e), ["@1 new d", "@1 expire d"]);
    // MOVE meets the expired key in the destination: expired there, then new.
    apply(&mut e, 2000, "MOVE d 1");
    assert_eq!(
        notified(&mut e),
        ["@1 expired d", "@1 new d", "move_from d", "@1 move_to d"]
    );
}
