use super::*;
use crate::entry::{LogCommand, Op, Transaction};
use crate::testutil::{apply, c, check_notified, config_set, listen, notified};
use crate::Engine;

#[test]
fn classes_parse_and_show_as_redis_7_0_does() {
    let cases = [
        ("", ""),
        ("KEA", "AKE"),
        ("g$lshzxetd", "A"),
        ("Ex", "xE"),
        ("lK", "lK"),
        ("EmKn", "nKEm"),
        ("zzhg", "ghz"),
        // Redis shows A alone for all its classes, leaving out n (it keeps it set).
        ("AnK", "AK"),
    ];
    for (given, shown) in cases {
        let mask = parse_classes(given.as_bytes()).unwrap();
        assert_eq!(show_classes(mask), shown, "{given}");
    }
    let all_and_new = parse_classes(b"AnK").unwrap();
    assert!(Class(all_and_new).has_any(Class::NEW));
    assert_eq!(parse_classes(b"KEx\0junk"), parse_classes(b"KEx"));
    for bad in ["KEq", "a", "k", "M", " "] {
        assert_eq!(parse_classes(bad.as_bytes()), Err(INVALID_CLASS), "{bad}");
    }
}

#[test]
fn channels_name_the_database_and_the_key_or_the_event() {
    assert_eq!(keyspace_channel(3, b"k\x00"), b"__keyspace@3__:k\x00");
    assert_eq!(keyevent_channel(0, "del"), b"__keyevent@0__:del");
}

#[test]
fn each_event_goes_to_the_key_channel_then_to_the_event_channel() {
    let mut e = Engine::new();
    listen(&mut e, "KEA");
    check_notified(
        &mut e,
        1000,
        &[
            ("SET k v", &["k: set", "set k"]),
            ("DEL k", &["k: del", "del k"]),
        ],
    );
}

#[test]
fn only_the_classes_asked_for_are_published() {
    let mut e = Engine::new();
    listen(&mut e, "Kl");
    check_notified(
        &mut e,
        1000,
        &[
            ("RPUSH l a", &["l: rpush"]),
            ("SET s v", &[]),
            ("LPOP l", &["l: lpop"]),
            ("DEL s", &[]),
        ],
    );
    // A class without K or E names no channel: nothing is published.
    config_set(&mut e, "notify-keyspace-events", "A");
    check_notified(&mut e, 1000, &[("RPUSH l a", &[]), ("DEL l", &[])]);
    config_set(&mut e, "notify-keyspace-events", "E$");
    check_notified(&mut e, 1000, &[("SET s v", &["set s"]), ("DEL s", &[])]);
}

#[test]
fn notifications_are_off_by_default_and_reach_only_subscribers() {
    let mut e = Engine::new();
    listen(&mut e, "");
    check_notified(&mut e, 1000, &[("SET k v", &[]), ("DEL k", &[])]);
    let mut alone = Engine::new();
    config_set(&mut alone, "notify-keyspace-events", "KEA");
    apply(&mut alone, 1000, "SET k v");
    assert!(alone.take_events().is_empty(), "nobody subscribes");
}

/// Applies `line` in database `db` as an entry stamped `now_ms`.
fn apply_in(e: &mut Engine, now_ms: u64, db: u32, line: &str) {
    e.apply(now_ms, &LogCommand::run(now_ms, db, vec![c(line)]));
}

#[test]
fn keys_an_expiry_sweep_deletes_are_expired_events_in_their_databases() {
    let mut e = Engine::new();
    listen(&mut e, "Ex");
    apply_in(&mut e, 1000, 3, "SET b 1 PX 10");
    apply_in(&mut e, 1000, 0, "SET a 1 PX 20");
    apply_in(&mut e, 1000, 0, "SET c 1 PX 5000");
    assert!(notified(&mut e).is_empty(), "x alone: only expiries");
    let sweep = LogCommand {
        now_ms: 1100,
        op: Op::ExpireSweep { max_keys: 10 },
    };
    e.apply(5, &sweep);
    assert_eq!(notified(&mut e), ["expired a", "@3 expired b"]);
}

#[test]
fn a_write_that_meets_an_expired_key_notifies_it_expired_and_the_key_new() {
    let mut e = Engine::new();
    listen(&mut e, "KEA");
    check_notified(
        &mut e,
        1000,
        &[(
            "SET k v PX 10",
            &["k: set", "set k", "k: expire", "expire k"],
        )],
    );
    config_set(&mut e, "notify-keyspace-events", "EAn");
    check_notified(
        &mut e,
        2000,
        &[
            ("LPUSH k a", &["expired k", "new k", "lpush k"]),
            ("LPUSH k b", &["lpush k"]),
        ],
    );
    // A read does not delete an expired key, and notifies nothing.
    check_notified(
        &mut e,
        2000,
        &[("PEXPIRE k 10", &["expire k"]), ("GET k", &[])],
    );
    check_notified(&mut e, 3000, &[("LLEN k", &[]), ("DEL k", &["expired k"])]);
}

#[test]
fn new_is_notified_when_a_key_is_added_not_when_it_is_overwritten() {
    let mut e = Engine::new();
    listen(&mut e, "En$");
    check_notified(
        &mut e,
        1000,
        &[
            ("SET k 1", &["new k", "set k"]),
            ("SET k 2", &["set k"]),
            ("APPEND j x", &["new j", "append j"]),
            ("INCR k", &["incrby k"]),
        ],
    );
}

#[test]
fn a_transaction_and_a_script_notify_the_events_of_their_commands_in_order() {
    let mut e = Engine::new();
    listen(&mut e, "E$lg");
    let transaction = Transaction {
        watched: Vec::new(),
        cmds: vec![c("SET a 1"), c("GET a"), c("RPUSH l x"), c("DEL a")],
    };
    apply(&mut e, 1000, transaction.to_argv());
    assert_eq!(notified(&mut e), ["set a", "rpush l", "del a"]);
    let script = "redis.call('set', 'b', '1'); redis.call('get', 'b'); redis.call('lpop', 'l')";
    apply(&mut e, 1000, &["EVAL", script, "0"]);
    assert_eq!(notified(&mut e), ["set b", "lpop l", "del l"]);
}

#[test]
fn a_replica_restored_from_a_snapshot_notifies_as_the_others_do() {
    let mut e = Engine::new();
    listen(&mut e, "KEAn");
    apply(&mut e, 1000, "SET k v PX 10");
    e.take_events();
    let mut restored = Engine::decode_snapshot(&e.encode_snapshot()).unwrap();
    for engine in [&mut e, &mut restored] {
        apply(engine, 2000, "RPUSH k a");
    }
    let original = notified(&mut e);
    let expected = [
        "k: expired",
        "expired k",
        "k: new",
        "new k",
        "k: rpush",
        "rpush k",
    ];
    assert_eq!(original, expected);
    assert_eq!(notified(&mut restored), original);
}
