use super::*;
use crate::entry::{LogCommand, Op};
use crate::testutil::{c, listen, notified};
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
