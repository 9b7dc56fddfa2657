//! Scripting's tests: exact reply lines as redis-server 7.0.15 gives them (checked by hand
//! against it), the sandbox, conversions both ways, limits, and determinism.

use crate::testutil::{apply, check, read, show};
use crate::Engine;
use crate::Reply;

/// EVAL of `body` with no keys, applied at time 1000; its reply shown.
fn eval(e: &mut Engine, body: &str) -> String {
    show(&apply(e, 1000, &["EVAL", body, "0"]))
}

#[test]
fn eval_returns_converted_values_as_redis_does() {
    let mut e = Engine::new();
    let cases = [
        ("return {1,2,3,'ciao',{1,2}}", "[:1 :2 :3 ciao [:1 :2]]"),
        ("return {1,2,nil,4}", "[:1 :2]"),
        ("return 3.99", ":3"),
        ("return -3.99", ":-3"),
        ("return 1e300", ":-9223372036854775808"),
        ("return true", ":1"),
        ("return false", "(nil)"),
        ("return nil", "(nil)"),
        ("return {a=1}", "[]"),
        ("return {ok='x', err='y'}", "y"),
        ("return {err='My Error'}", "My Error"),
        ("return {ok=5}", "[]"),
        ("return redis.status_reply('FINE')", "+FINE"),
        ("return redis.error_reply('My Error')", "My Error"),
        ("return redis.error_reply('-My')", "ERR My"),
        ("return redis.error_reply('')", "ERR "),
        (
            "return redis.error_reply()",
            "ERR wrong number or type of arguments",
        ),
        ("return {double=1.5}", ",1.5"),
        ("return {map={a=1}}", "{a :1}"),
        ("return {set={a=true}}", "~[a]"),
        ("return {big_number='123'}", "123"),
        (
            "return redis.sha1hex('')",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        (
            "return redis.sha1hex(12)",
            "7b52009b64fd0a2a49e6d8a939753077792b0554",
        ),
        ("return redis.REDIS_VERSION", "7.4.0"),
        ("return redis.replicate_commands()", ":1"),
        ("return redis.breakpoint()", "(nil)"),
        (
            "return {redis.call('ping'), redis.call('echo', 'x')}",
            "[+PONG x]",
        ),
        ("return redis.call('time')", "[1 0]"),
        ("local t = {} t[1] = t return #tostring(t) > 0", ":1"),
    ];
    for (body, shown) in cases {
        assert_eq!(eval(&mut e, body), shown, "{body}");
    }
}

#[test]
fn keys_and_args_arrive_and_numkeys_is_checked() {
    let mut e = Engine::new();
    check(
        &mut e,
        1,
        &[
            (
                "EVAL return{KEYS[1],ARGV[1],#KEYS,#ARGV} 1 k a",
                "[k a :1 :1]",
            ),
            (
                "EVAL return{KEYS[1],ARGV[1],#KEYS,#ARGV} 1 k a",
                "[k a :1 :1]",
            ),
            (
                "EVAL return 0a",
                "ERR value is not an integer or out of range",
            ),
            ("EVAL return -1", "ERR Number of keys can't be negative"),
            (
                "EVAL return 2 a",
                "ERR Number of keys can't be greater than number of args",
            ),
        ],
    );
}

#[test]
fn error_lines_match_redis_with_the_script_and_line() {
    let mut e = Engine::new();
    apply(&mut e, 1, "SET s abc");
    let cases = [
        ("x=1", "ERR user_script:1: Attempt to modify a readonly table script: 7caf6056913504f0508c65faf2dc3f94ff65bcfd, on @user_script:1."),
        ("return y", "ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: e278681ed961e2fb52881313e5c90fdd93749940, on @user_script:1."),
        ("return redis.call(\"nosuch\")", "ERR Unknown Redis command called from script script: 2218effcac8108416909801acfb39c080a85adfa, on @user_script:1."),
        ("return redis.call(\"get\")", "ERR Wrong number of args calling Redis command from script script: ad9cf9305028be601cfd2abed4ce895eb41a4a6f, on @user_script:1."),
        ("return redis.call(\"multi\")", "ERR This Redis command is not allowed from script script: 211a39902cf76b98677003ff6f4c16cf0d1d5d6b, on @user_script:1."),
        ("return redis.pcall(\"multi\")", "ERR This Redis command is not allowed from script"),
        ("return redis.call(\"incr\",\"s\")", "ERR value is not an integer or out of range script: 05a024512c22e9b7468dd3041a9a5108eb66b85c, on @user_script:1."),
        ("error(\"foo\")", "ERR user_script:1: foo script: ad22aefb8b0e05edc29da8f202111340154861f6, on @user_script:1."),
        ("error({err=\"foo\"})", "foo script: 6141d2a01dafa6b7539cb0d777dbb2f617b0e369, on @user_script:1."),
        ("error(nil)", "ERR nil script: c402aa49952c86c38f35fb311d54977d08f3bf01, on @user_script:1."),
        ("return redis.call()", "ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1."),
        ("return redis.call({})", "ERR Lua redis lib command arguments must be strings or integers script: 80747816df1f4411f7c442b928fce6a814214839, on @user_script:1."),
        ("return redis.call(\"select\", 99)", "ERR DB index is out of range script: a65fd50d7b38070c657bbade0da170afd49b5469, on @user_script:1."),
        ("return redis.call(\"select\", 2147483648)", "ERR value is out of range, value must between -2147483648 and 2147483647 script: 74da2a2894206d3728fa58321d98d080b8066c46, on @user_script:1."),
        ("return redis.call(\"select\", \"x\")", "ERR value is not an integer or out of range script: 9ede505114ff9ff30480eff0a4fcc9e388f6317d, on @user_script:1."),
        ("return redis.call(\"eval\", \"return 1\", \"0\")", "ERR This Redis command is not allowed from script script: c212cd7b8bf190684e6f4f34f1abb5b5a113eb56, on @user_script:1."),
        ("return redis.setresp(4)", "ERR RESP version must be 2 or 3. script: 921c0a48021d97dfd5884aeea41875972c7804d9, on @user_script:1."),
        ("local ok, e = pcall(redis.call, \"incr\", \"s\") return e", "\"ERR value is not an integer or out of range\""),
        ("return 1 +", "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"),
    ];
    for (body, line) in cases {
        assert_eq!(eval(&mut e, body), line, "{body}");
    }
    let two_lines = "local a = 1\nlocal b = nil + 1";
    assert_eq!(eval(&mut e, two_lines), "ERR user_script:2: attempt to perform arithmetic on a nil value script: dc25dab3daf9a21f71fe5b45ba6451ee5ba373b3, on @user_script:2.");
}

#[test]
fn the_sandbox_offers_what_redis_offers_and_no_more() {
    let mut e = Engine::new();
    for name in [
        "os", "io", "dofile", "loadfile", "require", "print", "debug", "setfenv",
    ] {
        let shown = eval(&mut e, &format!("return type({name})"));
        assert!(
            shown.contains("nonexistent global variable"),
            "{name}: {shown}"
        );
    }
    for name in [
        "load",
        "loadstring",
        "pcall",
        "unpack",
        "coroutine",
        "gcinfo",
        "string",
    ] {
        assert_ne!(
            eval(&mut e, &format!("return type({name})")),
            "nil",
            "{name}"
        );
    }
    assert!(eval(&mut e, "rawset(_G, 'x', 1)")
        .starts_with("ERR Attempt to modify a readonly table script:"));
    assert!(eval(&mut e, "math.foo = 1").contains("Attempt to modify a readonly table"));
    // The library tables are read-only as in Redis 7.0, also their existing fields, and still
    // read, walk and serve strings' methods as the tables they are.
    for write in [
        "string.len = nil",
        "redis.call = function() end",
        "cjson.encode = nil",
        "rawset(string, 'len', nil)",
        "setmetatable(math, {})",
    ] {
        let shown = eval(&mut e, write);
        assert!(
            shown.contains("Attempt to modify a readonly table"),
            "{write}: {shown}"
        );
    }
    for (read, shown) in [
        ("return string.len('abc')", ":3"),
        ("return ('abc'):upper()", "ABC"),
        ("return getmetatable('').__index == string", ":1"),
        ("return type(rawget(string, 'len'))", "function"),
        (
            "local n = 0 for _ in pairs(math) do n = n + 1 end return n > 20",
            ":1",
        ),
        ("return next(redis) ~= nil", ":1"),
        ("return #string", ":0"),
    ] {
        assert_eq!(eval(&mut e, read), shown, "{read}");
    }
    assert_eq!(
        eval(&mut e, "return loadstring(string.dump(function() end))"),
        "(nil)"
    );
    // Addresses never show: tables and functions are numbered in the order shown.
    assert_eq!(
        eval(
            &mut e,
            "return {tostring({}), tostring(1 == 1), tostring(function() end)}"
        ),
        "[\"table: 0x00000001\" true \"function: 0x00000002\"]"
    );
}

#[test]
fn math_random_draws_redis_numbers_from_the_same_start_every_call() {
    let mut e = Engine::new();
    let body = "return {tostring(math.random()), math.random(1000000), math.random(-5, 5)}";
    let first = eval(&mut e, body);
    assert_eq!(first, "[0.39646477363839 :840486 :-2]");
    assert_eq!(eval(&mut e, body), first);
    assert_eq!(
        eval(&mut e, "math.randomseed(42) return tostring(math.random())"),
        "0.74452500033403"
    );
}

#[test]
fn commands_run_in_the_scripts_database_and_select_changes_only_it() {
    let mut e = Engine::new();
    let body = "redis.call('select', 1) redis.call('set', 'k', 'x') return redis.call('get', 'k')";
    assert_eq!(eval(&mut e, body), "x");
    assert_eq!(show(&read(&e, 1000, "GET k")), "(nil)");
    assert_eq!(
        show(&e.read(1, &crate::testutil::c("GET k"), Default::default())),
        "x"
    );
}

#[test]
fn resp3_replies_reach_the_script_as_redis_gives_them() {
    let mut e = Engine::new();
    check(
        &mut e,
        1,
        &[
            ("HSET h f v", ":1"),
            ("SADD st m", ":1"),
            ("ZADD z 1.5 a", ":1"),
        ],
    );
    let cases = [
        ("redis.setresp(3) return redis.call('hgetall','h')", "{f v}"),
        ("return redis.call('hgetall','h')", "[f v]"),
        (
            "redis.setresp(3) return redis.call('smembers','st')",
            "~[m]",
        ),
        (
            "redis.setresp(3) return redis.call('zscore','z','a')",
            ",1.5",
        ),
        ("return redis.call('zscore','z','a')", "1.5"),
        (
            "redis.setresp(3) return type(redis.call('get','nokey'))",
            "nil",
        ),
        ("return type(redis.call('get','nokey'))", "boolean"),
        (
            "redis.setresp(3) return {redis.call('exists','h') == 1, false}",
            "[#t #f]",
        ),
        (
            "redis.setresp(3) local r = redis.call('smembers','st') return tostring(r.set.m)",
            "true",
        ),
    ];
    for (body, shown) in cases {
        assert_eq!(eval(&mut e, body), shown, "{body}");
    }
}

#[test]
fn script_commands_cache_find_and_flush_scripts() {
    let mut e = Engine::new();
    let sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";
    check(
        &mut e,
        1,
        &[
            (
                "EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
                "NOSCRIPT No matching script. Please use EVAL.",
            ),
            (
                "EVALSHA abc 0",
                "NOSCRIPT No matching script. Please use EVAL.",
            ),
        ],
    );
    assert_eq!(
        show(&apply(&mut e, 1, &["SCRIPT", "LOAD", "return 1 +"])),
        "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"
    );
    assert_eq!(
        show(&apply(&mut e, 1, &["SCRIPT", "LOAD", "return 1"])),
        sha
    );
    check(
        &mut e,
        1,
        &[
            ("EVALSHA E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0", ":1"),
            ("EVALSHA_RO e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0", ":1"),
            ("SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db E0E1F9FABFC9D4800C877A703B823AC0578FF8DB nope", "[:1 :1 :0]"),
            ("SCRIPT FLUSH x", "ERR SCRIPT FLUSH only support SYNC|ASYNC option"),
            ("SCRIPT FLUSH async sync", "ERR SCRIPT FLUSH only support SYNC|ASYNC option"),
            ("SCRIPT FLUSH SYNC", "+OK"),
            ("SCRIPT FLUSH", "+OK"),
            ("SCRIPT FLUSH ASYNC", "+OK"),
            ("SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "[:0]"),
        ],
    );
    assert!(show(&read(&e, 1, "SCRIPT HELP")).starts_with("[+SCRIPT <subcommand>"));
    apply(&mut e, 1, &["EVAL", "return 1", "0"]);
    assert_eq!(show(&apply(&mut e, 1, &["EVALSHA", sha, "0"])), ":1");
}

#[test]
fn shebangs_are_parsed_and_no_writes_refuses_writes() {
    let mut e = Engine::new();
    let cases = [
        ("#!lua flags=no-writes\nreturn redis.call('set','x','1')", "ERR Write commands are not allowed from read-only scripts. script: 6a5cd12a4e6f4a05bf38b1a2bd9f6a8c0b59e5ba, on @user_script:2."),
        ("#!lua\nreturn redis.call('set','x','1')", "+OK"),
        ("#!lua flags=bogus\nreturn 1", "ERR Unexpected flag in script shebang: bogus"),
        ("#!lua name=foo\nreturn 1", "ERR Unknown lua shebang option: name=foo"),
        ("#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1", ":1"),
        ("#!lua flags=\nreturn 1", ":1"),
        ("#!lua flags=no-writes,\nreturn 1", "ERR Unexpected flag in script shebang: "),
        ("#!python\nreturn 1", "ERR Unexpected engine in script shebang: #!python"),
        ("#!lua", "ERR Invalid script shebang"),
        ("#!lua\n\nerror('x')", "ERR user_script:3: x script: 63f4f9ebf8ea2ef3a3e0c56b3b0a0e0ea0b6e0ca, on @user_script:3."),
    ];
    for (body, shown) in cases {
        let got = eval(&mut e, body);
        if shown.contains(" script: ") {
            // The name is the body's SHA-1; compare the rest.
            let (head, tail) = shown.split_once(" script: ").unwrap();
            let (got_head, got_tail) = got.split_once(" script: ").unwrap_or((&got, ""));
            assert_eq!(got_head, head, "{body}");
            assert_eq!(&got_tail[40..], &tail[40..], "{body}");
        } else {
            assert_eq!(got, shown, "{body}");
        }
    }
}

#[test]
fn read_only_scripts_run_on_the_read_path_and_refuse_writes() {
    let mut e = Engine::new();
    apply(&mut e, 1, "SET x 1");
    let ro = |body: &str| vec![b"EVAL_RO".to_vec(), body.as_bytes().to_vec(), b"0".to_vec()];
    assert_eq!(show(&read(&e, 1, ro("return redis.call('get','x')"))), "1");
    assert!(show(&read(&e, 1, ro("return redis.call('set','x','2')")))
        .starts_with("ERR Write commands are not allowed from read-only scripts. script: "));
    assert_eq!(
        show(&read(&e, 1, ro("return redis.pcall('set','x','2')"))),
        "ERR Write commands are not allowed from read-only scripts."
    );
    assert_eq!(
        show(&read(&e, 1, ro("#!lua\nreturn 1"))),
        "ERR Can not execute a script with write flag using *_ro command."
    );
    let no_writes = "#!lua flags=no-writes\nreturn redis.call('get','x')";
    let eval_ro = vec![
        b"EVAL".to_vec(),
        no_writes.as_bytes().to_vec(),
        b"0".to_vec(),
    ];
    assert!(e.script_is_read_only(&eval_ro));
    assert_eq!(show(&read(&e, 1, eval_ro.clone())), "1");
    assert!(!e.script_is_read_only(&crate::testutil::argv(&["EVAL", "return 1", "0"])));
    apply(&mut e, 1, &["SCRIPT", "LOAD", no_writes]);
    let sha = crate::script::cache::sha1_hex(no_writes.as_bytes());
    let evalsha = crate::testutil::argv(&["EVALSHA", &sha, "0"]);
    assert!(e.script_is_read_only(&evalsha));
    assert_eq!(show(&read(&e, 1, evalsha)), "1");
}

#[test]
fn a_runaway_script_stops_at_the_same_instruction_everywhere_and_its_writes_stand() {
    let body = "local i = 0 while true do i = i + 1 redis.call('set', 'i', i) end";
    let (mut one, mut two) = (Engine::new(), Engine::new());
    for e in [&mut one, &mut two] {
        crate::testutil::config_set(e, "lua-max-instructions", "200000");
    }
    let first = apply(&mut one, 1000, &["EVAL", body, "0"]);
    assert_eq!(first, apply(&mut two, 1000, &["EVAL", body, "0"]));
    assert!(show(&first).starts_with("ERR Script ran past its instruction budget (200000 instructions, lua-max-instructions) script: "), "{first:?}");
    assert_eq!(one.encode_snapshot(), two.encode_snapshot());
    // Each call spends CALL_COST: at most 200 calls fit in the budget, and nearly that many ran.
    let written = show(&read(&one, 1000, "GET i"));
    let calls = written.parse::<u64>().unwrap();
    let most = 200_000 / crate::script::run::CALL_COST;
    assert!((most * 9 / 10..=most).contains(&calls), "{written}");
    // Catching the error does not let a script go on.
    let catching = "while true do pcall(function() while true do end end) end";
    assert!(eval(&mut one, catching).starts_with("ERR Script ran past"));
    let in_coroutine =
        "local co = coroutine.create(function() while true do end end) return coroutine.resume(co)";
    assert!(eval(&mut one, in_coroutine).starts_with("ERR Script ran past"));
}

#[test]
fn a_script_past_its_memory_limit_stops_with_an_error() {
    let mut e = Engine::new();
    crate::testutil::config_set(&mut e, "lua-max-memory", "2000000");
    let shown = eval(
        &mut e,
        "local t = {} for i = 1, 1e7 do t[i] = string.rep('x', 100) .. i end return 1",
    );
    assert_eq!(
        shown,
        "ERR Script ran past its memory limit (2000000 bytes, lua-max-memory)"
    );
}

#[test]
fn arguments_past_the_memory_limit_stop_the_script_before_it_runs() {
    // KEYS and ARGV are made with the limit lifted (see Sandbox::call); they still count.
    let mut e = Engine::new();
    crate::testutil::config_set(&mut e, "lua-max-memory", "2000000");
    // Two different strings (Lua keeps one copy of equal ones).
    let (one, other) = ("x".repeat(1_200_000), "y".repeat(1_200_000));
    let body = "redis.call('set', 'ran', '1') return 1";
    for args in [vec![one.as_str(), other.as_str()], vec![one.as_str()]] {
        let mut argv = vec!["EVAL", body, "1", "k"];
        argv.extend(args.iter().copied());
        let entry = crate::entry::LogCommand::run(1000, 0, vec![crate::testutil::argv(&argv)]);
        let replies: Vec<String> = e.apply(1, &entry).iter().map(show).collect();
        let expected = match args.len() {
            2 => "ERR Script ran past its memory limit (2000000 bytes, lua-max-memory)",
            _ => ":1",
        };
        assert_eq!(replies, [expected]);
        let ran = if args.len() == 2 { ":0" } else { ":1" };
        assert_eq!(eval(&mut e, "return redis.call('exists', 'ran')"), ran);
    }
}

#[test]
fn a_script_that_keeps_call_replies_past_its_memory_limit_stops_with_an_error() {
    // Short replies are converted with the limit lifted and counted after (reply_to_lua).
    let mut e = Engine::new();
    crate::testutil::config_set(&mut e, "lua-max-memory", "2000000");
    crate::testutil::config_set(&mut e, "lua-max-instructions", "1000000000");
    let keep = "local t = {} for i = 1, 1e6 do t[i] = redis.call('set', 'k', 'v') end return #t";
    assert_eq!(
        eval(&mut e, keep),
        "ERR Script ran past its memory limit (2000000 bytes, lua-max-memory)"
    );
    assert_eq!(eval(&mut e, "return redis.call('get', 'k')"), "v");
}

#[test]
fn a_script_that_makes_garbage_beyond_its_memory_limit_runs_as_its_garbage_is_collected() {
    // The collector is stopped while the sandbox is built: it must run again for the script.
    let mut e = Engine::new();
    crate::testutil::config_set(&mut e, "lua-max-memory", "2000000");
    let churn = "for i = 1, 200 do local s = string.rep('x', 100000) .. i end return 1";
    assert_eq!(eval(&mut e, churn), ":1");
}

#[test]
fn the_kill_switch_stops_a_read_only_script() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let e = Engine::new();
    let kill = Arc::new(AtomicBool::new(true));
    let argv = crate::testutil::argv(&["EVAL_RO", "while true do end", "0"]);
    let reply = e.read_killable(0, &argv, Default::default(), kill);
    assert_eq!(
        show(&reply),
        "ERR Script killed by user with SCRIPT KILL... script: 0d7c2dcc8e2d4d6bb0f4e0e8cbfd6fc7e8d1cd94, on @user_script:1."
            .replace("0d7c2dcc8e2d4d6bb0f4e0e8cbfd6fc7e8d1cd94", &crate::script::cache::sha1_hex(b"while true do end"))
    );
}

#[test]
fn scripts_with_time_randomness_and_random_commands_leave_identical_replicas() {
    let body = "
        for i = 1, 50 do redis.call('sadd', 's', i) end
        local t = redis.call('time')
        for i = 1, 20 do
          redis.call('set', 'k' .. math.random(1000), t[1] .. t[2])
          redis.call('set', 'p' .. i, tostring(redis.call('spop', 's')))
          redis.call('set', 'r' .. i, tostring(redis.call('srandmember', 's')))
        end
        local seen = {}
        for k in pairs({a=1, b=2, c=3, d=4}) do seen[#seen + 1] = k end
        redis.call('set', 'order', table.concat(seen, ','))
        return redis.call('dbsize')";
    let (mut one, mut two) = (Engine::new(), Engine::new());
    for index in 1..=5u64 {
        // Three scripts per entry: the second and third run in the sandbox the first built.
        let eval = crate::testutil::argv(&["EVAL", body, "0"]);
        let entry = crate::entry::LogCommand::run(index * 7, 0, vec![eval; 3]);
        assert_eq!(one.apply(index, &entry), two.apply(index, &entry));
    }
    assert_eq!(one.encode_snapshot(), two.encode_snapshot());
    let restored = Engine::decode_snapshot(&one.encode_snapshot()).unwrap();
    assert_eq!(restored.encode_snapshot(), one.encode_snapshot());
    assert_eq!(restored.keyspace().scripts.len(), 1);
}

#[test]
fn older_snapshots_load_with_an_empty_cache_and_default_limits() {
    let mut e = Engine::new();
    apply(
        &mut e,
        1,
        &["EVAL", "return redis.call('set','a','1')", "0"],
    );
    crate::testutil::config_set(&mut e, "lua-max-instructions", "5000");
    for version in [1, 2, 3] {
        let old = crate::snapshot::encode_as(e.keyspace(), e.now_ms(), version);
        let loaded = Engine::decode_snapshot(&old).unwrap();
        assert_eq!(loaded.keyspace().scripts.len(), 0, "version {version}");
        assert_eq!(loaded.keyspace().encoding.lua_max_instructions, 100_000_000);
        assert_eq!(show(&read(&loaded, 1, "GET a")), "1");
    }
    let current = Engine::decode_snapshot(&e.encode_snapshot()).unwrap();
    assert_eq!(current.keyspace().encoding.lua_max_instructions, 5000);
    assert_eq!(current.keyspace().scripts.len(), 1);
    assert_eq!(Reply::ok(), apply(&mut e, 1, "SCRIPT FLUSH"));
}

#[test]
fn a_reply_that_repeats_a_value_past_the_memory_limit_is_refused_not_built() {
    let mut e = Engine::new();
    crate::testutil::config_set(&mut e, "lua-max-memory", "2000000");
    let repeated =
        "local s = string.rep('x', 100000) local t = {} for i = 1, 100 do t[i] = s end return t";
    let too_large = "ERR the script's reply is larger than 2000000 bytes (lua-max-memory)";
    assert_eq!(eval(&mut e, repeated), too_large);
    // A table that holds itself twice would be 2^1000 values deep and wide.
    assert_eq!(
        eval(&mut e, "local t = {} t[1] = t t[2] = t return t"),
        too_large
    );
    let fits =
        "local s = string.rep('x', 1000) local t = {} for i = 1, 100 do t[i] = s end return #t";
    assert_eq!(eval(&mut e, fits), ":100");
}

/// EVALs of `bodies` applied as one log entry, in order: their replies shown.
fn eval_in_one_entry(e: &mut Engine, bodies: &[&str]) -> Vec<String> {
    let evals = bodies
        .iter()
        .map(|body| crate::testutil::argv(&["EVAL", body, "0"]));
    let entry = crate::entry::LogCommand::run(1000, 0, evals.collect());
    e.apply(1, &entry).iter().map(show).collect()
}

#[test]
fn a_script_finds_the_sandbox_as_built_whatever_the_entrys_earlier_scripts_did() {
    let after = [
        // What a script may change and is put back.
        (
            "getmetatable('').__index = {len = function() return 7 end} return 1",
            "return ('abc'):len()",
        ),
        (
            "getmetatable('').extra = 1 return 1",
            "return getmetatable('').extra",
        ),
        ("table.insert(string, 'x') return 1", "return #string"),
        ("table.insert(redis, 'x') return 1", "return redis[1]"),
        (
            "cjson.encode_max_depth(1) return 1",
            "return cjson.encode({{1}})",
        ),
        (
            "cjson.decode_invalid_numbers(false) return 1",
            "return cjson.decode('NaN') ~= nil",
        ),
        ("return tostring({}) .. tostring({})", "return tostring({})"),
        (
            "math.randomseed(7) return math.random(100)",
            "return math.random(1000)",
        ),
        ("return #KEYS", "return KEYS[1]"),
        // The same body again (compiled once for the entry), and what the sandbox's own
        // functions keep of a run: the RESP version, the generator's seed.
        ("return tostring({})", "return tostring({})"),
        (
            "math.randomseed(7) return math.random(1000)",
            "math.randomseed(7) return math.random(1000)",
        ),
        (
            "redis.setresp(3) return 1",
            "return tostring(redis.call('get', 'nokey'))",
        ),
        ("redis.setresp(3) return 1", "return math.random(1000)"),
        (
            "collectgarbage('setpause', 1000) return 1",
            "return collectgarbage('setpause', 200)",
        ),
        // A write to a library table is refused (the script fails); what it did before stays
        // its own.
        ("string.len = nil return 1", "return string.len('abc')"),
        ("math.floor = math.ceil return 1", "return math.floor(1.5)"),
        (
            "redis.call = function() return 'x' end return 1",
            "return redis.call('ping')",
        ),
        ("cjson.encode = nil return 1", "return cjson.encode({1, 2})"),
        (
            "getmetatable('').__index = {} string.len = nil",
            "return ('abc'):len()",
        ),
        // What a script that failed or stopped changed, and it cannot be put back.
        (
            "getmetatable('').__index = {len = function() return 9 end} error('x')",
            "return ('abc'):len()",
        ),
        (
            "getmetatable('').__index = {len = function() return 9 end} while true do end",
            "return ('abc'):len()",
        ),
        (
            "setmetatable(getmetatable(''), {__index = function() return 5 end}) return 1",
            "return getmetatable('').anything",
        ),
    ];
    for (first, second) in after {
        let mut e = Engine::new();
        crate::testutil::config_set(&mut e, "lua-max-instructions", "100000");
        let alone = eval(&mut e, second);
        let replies = eval_in_one_entry(&mut e, &[first, second]);
        assert_eq!(replies[1], alone, "{second} after {first}");
    }
}

#[test]
fn a_script_has_the_same_memory_as_the_first_of_its_entry_whatever_those_before_it_left() {
    let mut e = Engine::new();
    crate::testutil::config_set(&mut e, "lua-max-memory", "2000000");
    // 1.5 MB live: it fits alone, and after a script that stopped the collector and left
    // as much garbage.
    let big = "local t = {} for i = 1, 15 do t[i] = string.rep('y', 100000) .. i end return #t";
    let garbage =
        "collectgarbage('stop') local t = {} for i = 1, 15 do t[i] = string.rep('x', 100000) .. i end return 1";
    assert_eq!(eval(&mut e, big), ":15");
    let replies = eval_in_one_entry(&mut e, &[garbage, big, big]);
    assert_eq!(replies, [":1", ":15", ":15"]);
    let churn = "for i = 1, 200 do local s = string.rep('x', 100000) .. i end return 1";
    assert_eq!(eval_in_one_entry(&mut e, &[garbage, churn]), [":1", ":1"]);
}
