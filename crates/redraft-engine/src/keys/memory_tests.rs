//! Tests of MEMORY (memory.rs) and of OBJECT IDLETIME / FREQ over the access clocks
//! (access.rs, noted by the command dispatch in spec.rs).
use super::memory::allocated;
use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::Reply;
use crate::testutil::{apply, check, int, read, show};
use crate::{Engine, ReadContext};

const NOT_LFU: &str = "ERR An LFU maxmemory policy is not selected, access frequency not \
    tracked. Please note that when switching between policies at runtime LRU and LFU data will \
    take some time to adjust.";
const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. \
    Please note that when switching between policies at runtime LRU and LFU data will take some \
    time to adjust.";

fn idle(e: &Engine, now_ms: u64, key: &str) -> Reply {
    read(e, now_ms, &["OBJECT", "IDLETIME", key])
}

fn read_untouched(e: &Engine, now_ms: u64, line: &str) -> Reply {
    let context = ReadContext {
        now_ms,
        seed: 0,
        no_touch: true,
    };
    e.read(0, &crate::testutil::c(line), context)
}

#[test]
fn idle_time_grows_and_reads_and_writes_reset_it_but_object_and_type_do_not() {
    let mut e = Engine::new();
    apply(&mut e, 10_000, "SET k v");
    assert_eq!(idle(&e, 10_000, "k"), int(0));
    assert_eq!(idle(&e, 15_500, "k"), int(5));
    // OBJECT, TYPE, EXISTS, TTL and MEMORY USAGE are no access, as in Redis.
    for line in [
        "OBJECT ENCODING k",
        "TYPE k",
        "EXISTS k",
        "TTL k",
        "MEMORY USAGE k",
    ] {
        read(&e, 16_000, line);
    }
    assert_eq!(idle(&e, 17_000, "k"), int(7));
    read(&e, 17_000, "GET k");
    assert_eq!(idle(&e, 20_000, "k"), int(3));
    apply(&mut e, 30_000, "APPEND k x");
    assert_eq!(idle(&e, 31_000, "k"), int(1));
    // A client in CLIENT NO-TOUCH reads without touching (the server passes TOUCH through).
    read_untouched(&e, 40_000, "GET k");
    assert_eq!(idle(&e, 41_000, "k"), int(11));
    read(&e, 41_000, "TOUCH k");
    assert_eq!(idle(&e, 41_000, "k"), int(0));
    // Commands inside a transaction and a script's calls count too; EVAL itself does not.
    apply(&mut e, 50_000, &["EVAL", "return 1", "1", "k"]);
    assert_eq!(idle(&e, 50_000, "k"), int(9));
    let get = "return redis.call('get', KEYS[1])";
    apply(&mut e, 50_000, &["EVAL", get, "1", "k"]);
    assert_eq!(idle(&e, 50_000, "k"), int(0));
}

#[test]
fn a_deleted_and_recreated_key_starts_afresh() {
    let mut e = Engine::new();
    check(
        &mut e,
        1_000,
        &[
            ("CONFIG SET maxmemory-policy allkeys-lfu", "+OK"),
            ("SET k v", "+OK"),
            ("SET k w", "+OK"),
        ],
    );
    assert_eq!(read(&e, 1_000, "OBJECT FREQ k"), int(6));
    apply(&mut e, 2_000, "DEL k");
    apply(&mut e, 3_000, "SET k v");
    assert_eq!(read(&e, 3_000, "OBJECT FREQ k"), int(5));
}

/// A key's clock lives in its entry: a value that overwrites the key takes over its counter (as
/// Redis's overwrite keeps the LFU counter), and an entry moved to another database carries its
/// clock along.
#[test]
fn an_overwrite_keeps_the_counter_and_move_and_swapdb_carry_the_clock() {
    let mut e = Engine::new();
    let lfu = [
        ("CONFIG SET maxmemory-policy allkeys-lfu", "+OK"),
        ("CONFIG SET lfu-log-factor 0", "+OK"),
    ];
    check(&mut e, 1_000, &lfu);
    for _ in 0..4 {
        apply(&mut e, 1_000, "SET k v");
    }
    // 5 for the new key, one more for each overwrite (every access counts at factor 0).
    assert_eq!(read(&e, 1_000, "OBJECT FREQ k"), int(8));
    check(
        &mut e,
        1_000,
        &[("CONFIG SET maxmemory-policy noeviction", "+OK")],
    );
    apply(&mut e, 1_000, "SET m v");
    read(&e, 3_000, "GET m");
    apply(&mut e, 5_000, "MOVE m 1");
    let in_db1 = ReadContext {
        now_ms: 6_000,
        seed: 0,
        no_touch: false,
    };
    let idle_in_db1 = e.read(1, &crate::testutil::c("OBJECT IDLETIME m"), in_db1);
    assert_eq!(idle_in_db1, int(3));
    apply(&mut e, 6_000, "SWAPDB 0 1");
    assert_eq!(idle(&e, 7_000, "m"), int(4));
}

#[test]
fn freq_counts_accesses_under_an_lfu_policy_and_each_subcommand_errs_under_the_other() {
    let mut e = Engine::new();
    apply(&mut e, 60_000, "SET k v");
    assert_eq!(show(&read(&e, 60_000, "OBJECT FREQ k")), NOT_LFU);
    check(
        &mut e,
        60_000,
        &[("CONFIG SET maxmemory-policy volatile-lfu", "+OK")],
    );
    assert_eq!(show(&idle(&e, 60_000, "k")), LFU_SELECTED);
    apply(&mut e, 60_000, "SET fresh v");
    assert_eq!(read(&e, 60_000, "OBJECT FREQ fresh"), int(5));
    // At the initial value an access always counts; OBJECT FREQ itself is none.
    read(&e, 60_000, "GET fresh");
    assert_eq!(read(&e, 60_000, "OBJECT FREQ fresh"), int(6));
    assert_eq!(read(&e, 60_000, "OBJECT FREQ fresh"), int(6));
    // Every lfu-decay-time minutes without an access take one off.
    check(&mut e, 60_000, &[("CONFIG SET lfu-decay-time 2", "+OK")]);
    assert_eq!(read(&e, 60_000 * 5, "OBJECT FREQ fresh"), int(4));
    // Many reads raise it logarithmically (lfu-log-factor 0: every access counts).
    check(&mut e, 60_000, &[("CONFIG SET lfu-log-factor 0", "+OK")]);
    for _ in 0..100 {
        read(&e, 60_000, "GET fresh");
    }
    assert_eq!(read(&e, 60_000, "OBJECT FREQ fresh"), int(106));
    check(
        &mut e,
        60_000,
        &[("CONFIG SET maxmemory-policy allkeys-lru", "+OK")],
    );
    assert_eq!(idle(&e, 62_000, "fresh"), int(2));
}

#[test]
fn access_clocks_stay_out_of_snapshots() {
    let (mut one, mut two) = (Engine::new(), Engine::new());
    for e in [&mut one, &mut two] {
        apply(e, 1_000, "SET k v");
    }
    read(&one, 9_000, "GET k");
    assert_ne!(idle(&one, 9_000, "k"), idle(&two, 9_000, "k"));
    assert_eq!(one.encode_snapshot(), two.encode_snapshot());
    assert_eq!(one, two);
    // Written at 1 s, never read: idle for 8 s on `two`; restored from its snapshot, the key
    // has no record and no access happened on the restored engine yet.
    assert_eq!(idle(&two, 9_000, "k"), int(8));
    let restored = Engine::decode_snapshot(&two.encode_snapshot()).unwrap();
    assert_eq!(idle(&restored, 9_000, "k"), int(0));
}

#[test]
fn memory_usage_answers_an_integer_for_a_key_and_nil_without_one() {
    let mut e = Engine::new();
    apply(&mut e, 1, "SET k hello");
    let small = read(&e, 1, "MEMORY USAGE k");
    let Reply::Integer(small) = small else {
        panic!("an integer: {small:?}");
    };
    // Its B-tree share (24), its slot holding the key (64) and the value (8): the slot and
    // share are what MEMORY STATS counts a key in its database's overhead.
    assert_eq!(small, 96);
    assert_eq!(super::memory::slot_overheads(), (24 + 64, 48));
    apply(&mut e, 1, &["SET", "big", &"x".repeat(1000)]);
    assert_eq!(read(&e, 1, "MEMORY USAGE big"), int(24 + 64 + 1024));
    apply(&mut e, 1, "PEXPIRE big 10000");
    assert_eq!(
        read(&e, 1, "MEMORY USAGE big"),
        int(24 + 64 + 1024 + 48 + 8)
    );
    // A key longer than a slot holds in place has an allocation of its own.
    let long_key = "k".repeat(30);
    apply(&mut e, 1, &["SET", &long_key, "hello"]);
    let usage = read(&e, 1, &["MEMORY", "USAGE", &long_key]);
    assert_eq!(usage, int(24 + 64 + 32 + 8));
    let cases = [
        ("MEMORY USAGE nokey", "(nil)"),
        ("MEMORY USAGE k SAMPLES 0", ":96"),
        ("MEMORY usage k samples 5 SAMPLES 3", ":96"),
        ("MEMORY USAGE k SAMPLES x", NOT_INTEGER),
        ("MEMORY USAGE k SAMPLES -1", SYNTAX_ERROR),
        ("MEMORY USAGE k SAMPLES", SYNTAX_ERROR),
        ("MEMORY USAGE k foo", SYNTAX_ERROR),
        (
            "MEMORY USAGE",
            "ERR wrong number of arguments for 'memory|usage' command",
        ),
        (
            "MEMORY",
            "ERR wrong number of arguments for 'memory' command",
        ),
        (
            "MEMORY foo",
            "ERR unknown subcommand 'foo'. Try MEMORY HELP.",
        ),
        (
            "MEMORY HELP x",
            "ERR wrong number of arguments for 'memory|help' command",
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(show(&read(&e, 1, line)), expected, "{line}");
    }
}

fn usage(e: &Engine, line: &str) -> i64 {
    match read(e, 1, line) {
        Reply::Integer(n) => n,
        other => panic!("{other:?}"),
    }
}

#[test]
fn memory_usage_of_a_large_collection_samples_its_elements() {
    let mut e = Engine::new();
    let mut hset = vec!["HSET".to_string(), "h".into()];
    for i in 0..1000 {
        hset.extend([format!("field:{i}"), "v".repeat(i % 100)]);
    }
    let argv: Vec<&str> = hset.iter().map(String::as_str).collect();
    apply(&mut e, 1, &argv);
    let all = usage(&e, "MEMORY USAGE h SAMPLES 0");
    // Each pair: its slot (84) and its field and value (16 + about 64 on average).
    assert!((140_000..200_000).contains(&all), "{all}");
    let sampled = usage(&e, "MEMORY USAGE h");
    assert!(sampled > 100_000, "{sampled}");
    apply(&mut e, 1, "HSET small f v");
    assert!(usage(&e, "MEMORY USAGE small") < 200);
    for line in [
        "RPUSH l a b c",
        "SADD s a b",
        "SADD i 1 2",
        "ZADD z 1 a",
        "XADD x 1-1 f v",
    ] {
        apply(&mut e, 1, line);
        let key = line.split(' ').nth(1).unwrap_or_default();
        assert!(usage(&e, &format!("MEMORY USAGE {key}")) > 84, "{line}");
    }
}

#[test]
fn allocations_round_up_to_jemalloc_size_classes() {
    let classes = [
        (0, 0),
        (1, 8),
        (8, 8),
        (9, 16),
        (17, 32),
        (100, 112),
        (129, 160),
    ];
    for (bytes, class) in classes {
        assert_eq!(allocated(bytes), class, "{bytes}");
    }
    assert_eq!(allocated(1000), 1024);
    assert_eq!(allocated(1025), 1280);
}

#[test]
fn the_dataset_estimate_counts_keys_and_extrapolates_from_a_sample() {
    let mut e = Engine::new();
    for i in 0..100 {
        apply(&mut e, 1, &["SET", &format!("key:{i}"), "value"]);
    }
    apply(&mut e, 1, "PEXPIRE key:1 100000");
    let all = e.dataset_estimate(1, usize::MAX);
    assert_eq!(
        (all.keys, all.sampled, all.dbs.clone()),
        (100, 100, vec![(0, 100, 1)])
    );
    let sampled = e.dataset_estimate(1, 10);
    assert_eq!((sampled.keys, sampled.sampled), (100, 10));
    let per_key = all.bytes / 100;
    assert!((90..=110).contains(&per_key), "{per_key}");
    assert!(sampled.bytes.abs_diff(all.bytes) < all.bytes / 5);
}

#[test]
fn memory_help_lists_the_subcommands() {
    let Reply::Array(help) = read(&Engine::new(), 1, "MEMORY HELP") else {
        panic!("help is an array");
    };
    assert_eq!(help.len(), 14);
    assert_eq!(
        help[9],
        Reply::Simple("USAGE <key> [SAMPLES <count>]".into())
    );
}

/// The clocks are one node's: a script applied from the log (on every replica) may not read
/// them, or what it writes could differ between replicas. A read-only script, run on one node,
/// may.
#[test]
fn a_script_that_writes_cannot_carry_a_nodes_clock_into_the_data() {
    let (mut one, mut two) = (Engine::new(), Engine::new());
    for e in [&mut one, &mut two] {
        apply(e, 1_000, "SET k v");
    }
    // `one` served a read: its clock for k differs from `two`'s.
    read(&one, 9_000, "GET k");
    let copy_idle = "return redis.call('SET', 'x', redis.call('OBJECT', 'IDLETIME', KEYS[1]))";
    let guarded = "local idle = redis.pcall('OBJECT', 'IDLETIME', KEYS[1]) \
        return redis.call('SET', 'y', type(idle) == 'table' and idle.err or idle)";
    for e in [&mut one, &mut two] {
        let refused = apply(e, 10_000, &["EVAL", copy_idle, "1", "k"]);
        assert!(
            show(&refused).contains("not allowed from a script that writes"),
            "{refused:?}"
        );
        apply(e, 10_000, &["EVAL", guarded, "1", "k"]);
        check(
            e,
            10_000,
            &[("CONFIG SET maxmemory-policy allkeys-lfu", "+OK")],
        );
        let freq = "return redis.call('OBJECT', 'FREQ', KEYS[1])";
        assert!(show(&apply(e, 10_000, &["EVAL", freq, "1", "k"])).contains("not allowed"));
        check(
            e,
            10_000,
            &[("CONFIG SET maxmemory-policy noeviction", "+OK")],
        );
    }
    assert_eq!(read(&one, 10_000, "EXISTS x"), int(0));
    assert_eq!(read(&one, 10_000, "GET y"), read(&two, 10_000, "GET y"));
    assert_eq!(one.encode_snapshot(), two.encode_snapshot());
    // Read-only, on one node: each node answers from its own clock.
    let idle = "return redis.call('OBJECT', 'IDLETIME', KEYS[1])";
    assert_eq!(read(&one, 12_000, &["EVAL_RO", idle, "1", "k"]), int(3));
    assert_eq!(read(&two, 12_000, &["EVAL_RO", idle, "1", "k"]), int(11));
}
