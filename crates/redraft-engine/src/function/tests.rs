//! Functions' tests: exact reply lines and bytes as redis-server 7.0.15 gives them (checked by
//! hand against it), payloads it wrote, the read path, snapshots and determinism.

use crate::reply::Reply;
use crate::snapshot;
use crate::testutil::{apply, check, read, show};
use crate::Engine;

/// FUNCTION LOAD of `code` (REPLACE first when `replace`), applied at time 1000; its reply.
fn load(e: &mut Engine, code: &str) -> String {
    show(&apply(e, 1000, &["FUNCTION", "LOAD", code]))
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

const MYLIB: &str = "#!lua name=mylib
local function helper(keys, args) return {keys[1], args[1], #keys, #args} end
redis.register_function('myfunc', helper)
redis.register_function('boom', function(keys, args)
  error('oops')
end)
redis.register_function('bad', function(keys, args) return redis.call('nosuch') end)
redis.register_function('w', function(keys, args) return redis.call('set', keys[1], 'v') end)
redis.register_function{function_name='ro', callback=function(keys, args) return redis.call('set', keys[1], 'v') end, flags={'no-writes'}, description='read only'}
redis.register_function{function_name='rg', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes', 'allow-stale'}}
redis.register_function('k', function(keys, args) return KEYS end)
redis.register_function('g', function(keys, args) return {type(redis.setresp), type(redis.register_function), type(math.random)} end)
redis.register_function('e2', function(keys, args) local a = 1
 return nil + a end)";

#[test]
fn fcall_runs_a_registered_function_with_redis_replies_and_error_lines() {
    let mut e = Engine::new();
    assert_eq!(load(&mut e, MYLIB), "mylib");
    check(
        &mut e,
        1000,
        &[
            ("FCALL myfunc 1 k a", "[k a :1 :1]"),
            ("FCALL MYFUNC 0", "[]"),
            ("FCALL nosuch 0", "ERR Function not found"),
            ("FCALL nosuch x", "ERR Function not found"),
            ("FCALL myfunc -1", "ERR Number of keys can't be negative"),
            ("FCALL myfunc 2 a", "ERR Number of keys can't be greater than number of args"),
            ("FCALL myfunc x", "ERR Bad number of keys provided"),
            ("FCALL boom 0", "ERR user_function:5: oops script: boom, on @user_function:5."),
            ("FCALL bad 0", "ERR Unknown Redis command called from script script: bad, on @user_function:7."),
            ("FCALL w 1 k", "+OK"),
            ("FCALL ro 1 k", "ERR Write commands are not allowed from read-only scripts. script: ro, on @user_function:9."),
            ("FCALL_RO w 1 k", "ERR Can not execute a script with write flag using *_ro command."),
            ("FCALL_RO rg 1 k", "v"),
            ("FCALL k 0", "ERR user_function:11: Script attempted to access nonexistent global variable 'KEYS' script: k, on @user_function:11."),
            ("FCALL g 0", "[function nil function]"),
            ("FCALL e2 0", "ERR user_function:14: attempt to perform arithmetic on a nil value script: e2, on @user_function:14."),
            ("FCALL", "ERR wrong number of arguments for 'fcall' command"),
            ("FCALL myfunc", "ERR wrong number of arguments for 'fcall' command"),
            ("FCALL_RO nosuch -1", "ERR Function not found"),
            ("FCALL_RO w x", "ERR Bad number of keys provided"),
        ],
    );
    // A function sees the whole sandbox, and no longer register_function.
    let t = "#!lua name=t\nredis.register_function('rt', function(keys, args) return redis.register_function('a', function() end) end)";
    assert_eq!(load(&mut e, t), "t");
    check(
        &mut e,
        1000,
        &[(
            "FCALL rt 0",
            "ERR user_function:2: attempt to call field 'register_function' (a nil value) script: rt, on @user_function:2.",
        )],
    );
}

#[test]
fn function_load_refuses_what_redis_refuses_with_its_lines() {
    let register = |body: &str| format!("#!lua name=x\n{body}");
    let f = "redis.register_function('f', function() return 1 end)";
    let cases = [
        ("return 1".to_string(), "ERR Missing library metadata"),
        ("#!lua name=x".to_string(), "ERR Invalid library metadata"),
        ("#!luax name=x\nreturn 1".to_string(), "ERR Engine 'luax' not found"),
        ("#!lua name=a-b\nreturn 1".to_string(), "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
        (register("return 1"), "ERR No functions registered"),
        (register("redis.register_function('f-1', function() return 1 end)"), "ERR Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
        (register("redis.register_function('f1', 5)"), "ERR Error registering functions: ERR second argument to redis.register_function must be a function"),
        (register("redis.register_function({}, function() end)"), "ERR Error registering functions: ERR first argument to redis.register_function must be a string"),
        (register("redis.register_function('f1')"), "ERR Error registering functions: ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."),
        (register("redis.register_function()"), "ERR Error registering functions: ERR wrong number of arguments to redis.register_function"),
        (register("redis.register_function('f', function() end, 3)"), "ERR Error registering functions: ERR wrong number of arguments to redis.register_function"),
        (register("redis.register_function{function_name='f1', callback=function() return 1 end, flags={'bad'}}"), "ERR Error registering functions: ERR unknown flag given"),
        (register("redis.register_function{function_name='f1', callback=function() return 1 end, flags={1}}"), "ERR Error registering functions: ERR unknown flag given"),
        (register("redis.register_function{function_name='f1', callback=function() return 1 end, flags='no-writes'}"), "ERR Error registering functions: ERR flags argument to redis.register_function must be a table representing function flags"),
        (register("redis.register_function{function_name='f1', callback=function() return 1 end, bogus=1}"), "ERR Error registering functions: ERR unknown argument given to redis.register_function"),
        (register("redis.register_function{function_name='f1', callback=function() return 1 end, description={}}"), "ERR Error registering functions: ERR description argument given to redis.register_function must be a string"),
        (register("redis.register_function{callback=function() return 1 end}"), "ERR Error registering functions: ERR redis.register_function must get a function name argument"),
        (register("redis.register_function{function_name='f1'}"), "ERR Error registering functions: ERR redis.register_function must get a callback argument"),
        (register("redis.register_function{function_name='f1', callback=5}"), "ERR Error registering functions: ERR callback argument given to redis.register_function must be a function"),
        (register("redis.call('ping')"), "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"),
        (register(&format!("{f}\n{f}")), "ERR Error registering functions: ERR Function already exists in the library"),
        (register("return 1 +"), "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'"),
        (register("error('boom')"), "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'error'"),
        (register("x = 1"), "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table"),
        (register("redis.foo = 1"), "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table"),
        (register("local a = nil + 1"), "ERR Error registering functions: ERR user_function:2: attempt to perform arithmetic on a nil value"),
        (register(&format!("{f}\nlocal a = redis.REPL_ALL")), "ERR Error registering functions: ERR user_function:3: Script attempted to access nonexistent global variable 'REPL_ALL'"),
        (register(&format!("{f}\nlocal t = math.random()")), "ERR Error registering functions: ERR user_function:3: Script attempted to access nonexistent global variable 'math'"),
        (register(&format!("{f}\nredis.log(1)")), "ERR Error registering functions: ERR redis.log() requires two arguments or more."),
        (register(&format!("{f}\nredis.log(redis.LOG_WARNING, redis.REDIS_VERSION)")), "x"),
        (register("redis.register_function{function_name=5, callback=function() return 1 end, description=5}"), "x"),
    ];
    for (code, line) in cases {
        let mut e = Engine::new();
        assert_eq!(load(&mut e, &code), line, "{code}");
    }
}

#[test]
fn libraries_and_functions_collide_as_in_redis_and_replace_swaps_a_library() {
    let mut e = Engine::new();
    let lib = |name: &str, function: &str| {
        format!("#!lua name={name}\nredis.register_function('{function}', function() return '{name}' end)")
    };
    assert_eq!(load(&mut e, &lib("a", "f")), "a");
    assert_eq!(
        load(&mut e, &lib("a", "g")),
        "ERR Library 'a' already exists"
    );
    assert_eq!(
        load(&mut e, &lib("b", "F")),
        "ERR Function F already exists"
    );
    assert_eq!(load(&mut e, &lib("A", "h")), "A");
    let replace = |code: &str| {
        show(&apply(
            &mut e.clone(),
            1,
            &["FUNCTION", "LOAD", "REPLACE", code],
        ))
    };
    assert_eq!(replace(&lib("b", "h")), "ERR Function h already exists");
    let reply = apply(&mut e, 1, &["FUNCTION", "LOAD", "REPLACE", &lib("a", "g")]);
    assert_eq!(show(&reply), "a");
    check(
        &mut e,
        1,
        &[
            ("FCALL g 0", "a"),
            ("FCALL f 0", "ERR Function not found"),
            ("FUNCTION LOAD a b c", "ERR Unknown option given: a"),
            ("FUNCTION LOAD REPLACE", "ERR Missing library metadata"),
            ("FUNCTION LOAD", "ERR wrong number of arguments for 'function|load' command"),
            ("FUNCTION DELETE nosuch", "ERR Library not found"),
            ("FUNCTION DELETE a", "+OK"),
            ("FCALL g 0", "ERR Function not found"),
            ("FUNCTION FLUSH foo", "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"),
            ("FUNCTION FLUSH async sync", "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP."),
            ("FUNCTION FLUSH ASYNC", "+OK"),
            ("FUNCTION STATS", "{running_script (nil) engines {LUA {libraries_count :0 functions_count :0}}}"),
            ("FUNCTION foo", "ERR unknown subcommand 'foo'. Try FUNCTION HELP."),
        ],
    );
}

#[test]
fn function_list_and_stats_answer_in_redis_shape_in_name_order() {
    let mut e = Engine::new();
    load(&mut e, "#!lua name=lib1\nredis.register_function{function_name='f', callback=function(keys, args) return 1 end, flags={'allow-cross-slot-keys','no-cluster','allow-stale','allow-oom','no-writes'}}");
    load(&mut e, "#!lua name=lib0\nredis.register_function{function_name='z', callback=function() end, description='last'}\nredis.register_function('a', function() end)");
    let lib0 = "{library_name lib0 engine LUA functions [{name a description (nil) flags ~[]} {name z description last flags ~[]}]}";
    let lib1 = "{library_name lib1 engine LUA functions [{name f description (nil) flags ~[+no-writes +allow-oom +allow-stale +no-cluster +allow-cross-slot-keys]}]}";
    check(
        &mut e,
        1,
        &[
            ("FUNCTION LIST", &format!("[{lib0} {lib1}]")),
            ("FUNCTION LIST LIBRARYNAME *1", &format!("[{lib1}]")),
            ("FUNCTION LIST LIBRARYNAME zz", "[]"),
            (
                "FUNCTION LIST LIBRARYNAME",
                "ERR library name argument was not given",
            ),
            (
                "FUNCTION LIST LIBRARYNAME a LIBRARYNAME b",
                "ERR Unknown argument LIBRARYNAME",
            ),
            (
                "FUNCTION LIST WITHCODE WITHCODE",
                "ERR Unknown argument WITHCODE",
            ),
            ("FUNCTION LIST foo", "ERR Unknown argument foo"),
            (
                "FUNCTION STATS",
                "{running_script (nil) engines {LUA {libraries_count :2 functions_count :3}}}",
            ),
        ],
    );
    let Reply::Array(listed) = read(&e, 1, "FUNCTION LIST WITHCODE LIBRARYNAME lib0") else {
        panic!("FUNCTION LIST answers an array");
    };
    let [Reply::Map(fields)] = &listed[..] else {
        panic!("one library: {listed:?}");
    };
    let code = b"#!lua name=lib0\nredis.register_function{function_name='z', callback=function() end, description='last'}\nredis.register_function('a', function() end)";
    assert_eq!(
        fields[3],
        (Reply::bulk("library_code"), Reply::Bulk(code.to_vec()))
    );
    let Reply::Array(help) = read(&e, 1, "FUNCTION HELP") else {
        panic!("FUNCTION HELP answers an array");
    };
    assert_eq!(help.len(), 19);
}

/// FUNCTION DUMP payloads redis-server 7.0.15 wrote: one library, LZF-compressed ("alpha"),
/// one too short to gain from compression ("c"), and both "alpha" and "beta" (Redis wrote beta
/// first, in its hash order).
const ALPHA: &str = "f5c340a640b51f23216c7561206e616d653d616c7068610a72656469732e72656769737465725f0866756e6374696f6e7bc008005f602b112768656c6c6f272c2063616c6c6261636b3dc01f13286b6579732c2061726773292072657475726e20802d062027202e2e202840191f5b315d206f722027776f726c64272920656e642c20666c6167733d7b276e6f2d10777269746573277d2c20646573637269704082063d27677265657420160a00f55825ae12bac8df";
const C: &str = "f5404223216c7561206e616d653d630a72656469732e72656769737465725f66756e6374696f6e282771272c2066756e6374696f6e28292072657475726e203120656e64290a007279576f38916a5f";
const BETA_ALPHA: &str = "f5c3406740741f23216c7561206e616d653d626574610a72656469732e72656769737465725f6612756e6374696f6e2827696e6372627932272c20e00013116b6579732c2061726773292072657475726e2006403e0363616c6cc031203040270b5b315d2c20322920656e6429f5c340a640b51f23216c7561206e616d653d616c7068610a72656469732e72656769737465725f0866756e6374696f6e7bc008005f602b112768656c6c6f272c2063616c6c6261636b3dc01f13286b6579732c2061726773292072657475726e20802d062027202e2e202840191f5b315d206f722027776f726c64272920656e642c20666c6167733d7b276e6f2d10777269746573277d2c20646573637269704082063d27677265657420160a00a61d806fdac66844";

fn restore(e: &mut Engine, payload: &[u8], policy: &[&str]) -> String {
    let mut argv = crate::testutil::argv(&["FUNCTION", "RESTORE"]);
    argv.push(payload.to_vec());
    argv.extend(policy.iter().map(|word| word.as_bytes().to_vec()));
    show(&apply(e, 1000, argv))
}

fn dump(e: &Engine) -> Vec<u8> {
    match read(e, 1000, "FUNCTION DUMP") {
        Reply::Bulk(payload) => payload,
        other => panic!("FUNCTION DUMP: {other:?}"),
    }
}

#[test]
fn function_dump_writes_what_redis_writes_and_restore_reads_its_payloads() {
    for payload in [ALPHA, C] {
        let mut e = Engine::new();
        assert_eq!(restore(&mut e, &hex(payload), &[]), "+OK");
        assert_eq!(dump(&e), hex(payload));
    }
    let mut e = Engine::new();
    assert_eq!(restore(&mut e, &hex(BETA_ALPHA), &[]), "+OK");
    check(
        &mut e,
        1000,
        &[
            ("FCALL hello 0 you", "\"hello you\""),
            ("FCALL_RO hello 0", "\"hello world\""),
            ("FCALL incrby2 1 n", ":2"),
        ],
    );
    // Libraries in the order of their names: alpha's bytes, then beta's, then the footer.
    let alpha = hex(ALPHA);
    let both = dump(&e);
    assert_eq!(both[..alpha.len() - 10], alpha[..alpha.len() - 10]);
    let mut other = Engine::new();
    assert_eq!(restore(&mut other, &both, &[]), "+OK");
    assert_eq!(dump(&other), both);
}

#[test]
fn function_restore_applies_its_policy_whole_or_not_at_all() {
    let mut e = Engine::new();
    let alpha = hex(ALPHA);
    assert_eq!(restore(&mut e, &alpha, &[]), "+OK");
    assert_eq!(
        restore(&mut e, &alpha, &["APPEND"]),
        "ERR Library alpha already exists"
    );
    assert_eq!(restore(&mut e, &alpha, &["replace"]), "+OK");
    assert_eq!(
        restore(&mut e, &alpha, &["FOO"]),
        "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
    );
    assert_eq!(
        restore(&mut e, b"xx", &["FOO"]),
        "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
    );
    assert_eq!(
        restore(&mut e, &alpha, &["FLUSH", "x"]),
        "ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP."
    );
    let mut bad = alpha.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(
        restore(&mut e, &bad, &[]),
        "ERR DUMP payload version or checksum are wrong"
    );
    assert_eq!(
        restore(&mut e, b"", &[]),
        "ERR DUMP payload version or checksum are wrong"
    );
    // A newer RDB version (11) is refused; an older one (9) is read.
    let resealed = |body: &[u8], version: u8| {
        let mut out = body.to_vec();
        out.extend_from_slice(&[version, 0]);
        let crc = crate::dump::codec::crc64(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    };
    let body = &alpha[..alpha.len() - 10];
    assert_eq!(
        restore(&mut e, &resealed(body, 11), &[]),
        "ERR DUMP payload version or checksum are wrong"
    );
    assert_eq!(restore(&mut e, &resealed(body, 9), &["REPLACE"]), "+OK");
    assert_eq!(
        restore(&mut e, &resealed(b"\x00\x01a", 10), &[]),
        "ERR given type is not a function"
    );
    assert_eq!(restore(&mut e, &resealed(b"", 10), &[]), "+OK");
    // A library whose function another library holds: refused whatever the policy but FLUSH.
    load(
        &mut e,
        "#!lua name=other\nredis.register_function('hello', function() return 2 end)",
    );
    let c = hex(C);
    assert_eq!(restore(&mut e, &c, &["FLUSH"]), "+OK");
    assert_eq!(
        load(
            &mut e,
            "#!lua name=other\nredis.register_function('hello', function() return 2 end)"
        ),
        "other"
    );
    assert_eq!(
        restore(&mut e, &alpha, &["REPLACE"]),
        "ERR Function hello already exists"
    );
    // Every library of the payload or none: c stays as it was.
    let two = [&alpha[..alpha.len() - 10], &c[..c.len() - 10]].concat();
    assert_eq!(
        restore(&mut e, &resealed(&two, 10), &["REPLACE"]),
        "ERR Function hello already exists"
    );
    let failing = b"\xf5\x1e#!lua name=e\nlocal x = nil + 1";
    assert_eq!(restore(&mut e, &resealed(failing, 10), &["FLUSH"]), "ERR Error registering functions: ERR user_function:2: attempt to perform arithmetic on a nil value");
    check(
        &mut e,
        1000,
        &[("FCALL q 0", ":1"), ("FCALL hello 0", ":2")],
    );
}

#[test]
fn fcall_of_a_no_writes_function_and_fcall_ro_take_the_read_path() {
    let mut e = Engine::new();
    assert_eq!(load(&mut e, MYLIB), "mylib");
    apply(&mut e, 1000, "SET k v");
    let argv = |line: &str| crate::testutil::c(line);
    assert!(e.script_is_read_only(&argv("FCALL rg 1 k")));
    assert!(e.script_is_read_only(&argv("fcall_ro w 1 k")));
    assert!(!e.script_is_read_only(&argv("FCALL w 1 k")));
    assert!(!e.script_is_read_only(&argv("FCALL nosuch 0")));
    assert_eq!(show(&read(&e, 1000, "FCALL rg 1 k")), "v");
    assert_eq!(show(&read(&e, 1000, "FCALL_RO rg 1 k")), "v");
    assert_eq!(
        show(&read(&e, 1000, "FCALL ro 1 k")),
        "ERR Write commands are not allowed from read-only scripts. script: ro, on @user_function:9."
    );
    assert_eq!(
        show(&read(&e, 1000, "FCALL w 1 k")),
        "ERR 'fcall' is not a read-only command"
    );
}

#[test]
fn a_runaway_function_stops_at_its_budget_and_load_is_bounded_too() {
    let mut e = Engine::new();
    crate::testutil::config_set(&mut e, "lua-max-instructions", "100000");
    assert_eq!(
        load(&mut e, "#!lua name=x\nwhile true do end"),
        "ERR Script ran past its instruction budget (100000 instructions, lua-max-instructions)"
    );
    load(
        &mut e,
        "#!lua name=y\nredis.register_function('spin', function() while true do end end)",
    );
    let line = show(&apply(&mut e, 1000, "FCALL spin 0"));
    assert!(line.starts_with("ERR Script ran past its instruction budget (100000 instructions, lua-max-instructions) script: spin, on @user_function:2."), "{line}");
}

/// A library whose function writes what it draws at random.
const RANDOM_LIB: &str = "#!lua name=rnd
redis.register_function('pick', function(keys, args)
  local n = math.random(1000000)
  redis.call('sadd', keys[1], n, args[1])
  return redis.call('srandmember', keys[1])
end)";

#[test]
fn two_replicas_that_apply_the_same_functions_encode_identical_snapshots() {
    let entries: Vec<Vec<Vec<u8>>> = vec![
        crate::testutil::argv(&["FUNCTION", "LOAD", RANDOM_LIB]),
        crate::testutil::c("FCALL pick 1 s a"),
        crate::testutil::c("FCALL pick 1 s b"),
        crate::testutil::argv(&["FUNCTION", "LOAD", MYLIB]),
        crate::testutil::c("FCALL w 1 k"),
    ];
    let run = || {
        let mut e = Engine::new();
        let replies: Vec<Reply> = entries
            .iter()
            .enumerate()
            .map(|(i, argv)| apply(&mut e, 1000 + i as u64, argv.clone()))
            .collect();
        (e, replies)
    };
    let ((one, replies_one), (two, replies_two)) = (run(), run());
    assert_eq!(replies_one, replies_two);
    assert_eq!(one.encode_snapshot(), two.encode_snapshot());
    let restored = Engine::decode_snapshot(&one.encode_snapshot()).unwrap();
    assert_eq!(restored, one);
    assert_eq!(restored.encode_snapshot(), one.encode_snapshot());
    assert_eq!(
        read(&restored, 2000, "FUNCTION LIST LIBRARYNAME rnd"),
        read(&one, 2000, "FUNCTION LIST LIBRARYNAME rnd")
    );
}

#[test]
fn older_snapshots_load_without_libraries() {
    let mut e = Engine::new();
    apply(&mut e, 1, "SET k v");
    assert_eq!(load(&mut e, RANDOM_LIB), "rnd");
    for version in 1..=4 {
        let bytes = snapshot::encode_as(e.keyspace(), e.now_ms(), version);
        let old = Engine::decode_snapshot(&bytes).unwrap();
        assert_eq!(old.keyspace().functions.len(), 0, "version {version}");
        assert_eq!(show(&read(&old, 1, "GET k")), "v");
    }
    let current = Engine::decode_snapshot(&snapshot::encode_as(e.keyspace(), e.now_ms(), 5));
    assert_eq!(current.unwrap().keyspace().functions.len(), 1);
}
