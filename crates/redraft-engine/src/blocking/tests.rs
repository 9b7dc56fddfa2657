use crate::entry::{LogCommand, Transaction, WaiterId};
use crate::testutil::{c, listen, notified, show};
use crate::Engine;

fn id(seq: u64) -> WaiterId {
    WaiterId {
        node: 1,
        incarnation: 7,
        client: 3,
        seq,
    }
}

/// Applies `lines` as one entry at `index` (time `index` ms); their replies shown.
fn entry(e: &mut Engine, index: u64, lines: &[&str]) -> Vec<String> {
    let cmds = lines.iter().map(|line| c(line)).collect();
    let replies = e.apply(index, &LogCommand::run(index, 0, cmds));
    replies.iter().map(show).collect()
}

/// The blocking command `line` for waiter `seq`, applied at `index`.
fn block(e: &mut Engine, index: u64, seq: u64, line: &str) -> String {
    let argv = id(seq).block(&c(line));
    show(&e.apply(index, &LogCommand::run(index, 0, vec![argv]))[0])
}

/// (waiter seq, reply, undo) of every waiter served since the last call.
fn served(e: &mut Engine) -> Vec<(u64, String, Option<String>)> {
    e.take_served()
        .into_iter()
        .map(|s| {
            let undo = s.undo.map(|argv| {
                argv.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            (s.waiter.seq, show(&s.reply), undo)
        })
        .collect()
}

const BLOCKED: &str = "+BLOCKED (internal)";

#[test]
fn a_push_serves_the_waiters_of_its_key_first_come_first_served_in_the_same_entry() {
    let mut e = Engine::new();
    assert_eq!(block(&mut e, 1, 1, "BLPOP k 0"), BLOCKED);
    assert_eq!(block(&mut e, 2, 2, "BRPOP other k 0"), BLOCKED);
    assert_eq!(entry(&mut e, 3, &["RPUSH k a b c", "LLEN k"]), [":3", ":1"]);
    assert_eq!(
        served(&mut e),
        [
            (1, "[k a]".into(), Some("LPUSH k a".into())),
            (2, "[k c]".into(), Some("RPUSH k c".into())),
        ]
    );
    assert!(e.keyspace().waiters.is_empty());
}

#[test]
fn data_present_is_served_at_once_and_an_empty_key_in_multi_answers_the_timeout_reply() {
    let mut e = Engine::new();
    entry(&mut e, 1, &["RPUSH k a", "ZADD z 1 m"]);
    assert_eq!(block(&mut e, 2, 1, "BLPOP nokey k 0"), "[k a]");
    assert_eq!(block(&mut e, 3, 2, "BZPOPMIN z 0"), "[z m ,1]");
    let transaction = Transaction {
        watched: Vec::new(),
        cmds: vec![c("BLPOP k 0"), c("BRPOPLPUSH k d 0"), c("BZMPOP 0 1 z MIN")],
    };
    let replies = e.apply(4, &LogCommand::run(4, 0, vec![transaction.to_argv()]));
    assert_eq!(show(&replies[0]), "[(nil-array) (nil) (nil-array)]");
    assert!(e.keyspace().waiters.is_empty());
    assert!(served(&mut e).is_empty());
}

#[test]
fn argument_and_type_errors_answer_at_once() {
    let mut e = Engine::new();
    entry(&mut e, 1, &["SET s x"]);
    for (line, error) in [
        ("BLPOP k x", "ERR timeout is not a float or out of range"),
        ("BLPOP k -1", "ERR timeout is negative"),
        ("BLPOP k 1e20", "ERR timeout is negative"),
        ("BLPOP k inf", "ERR timeout is negative"),
        ("BLPOP k nan", "ERR timeout is not a float or out of range"),
        (
            "BLPOP s 0",
            "WRONGTYPE Operation against a key holding the wrong kind of value",
        ),
        ("BLMOVE a b LEFT UP 0", "ERR syntax error"),
        ("BLMPOP 0 0 a LEFT", "ERR numkeys should be greater than 0"),
        (
            "BZMPOP 0 1 z MIN COUNT 0",
            "ERR count should be greater than 0",
        ),
        (
            "BLPOP k",
            "ERR wrong number of arguments for 'blpop' command",
        ),
    ] {
        assert_eq!(block(&mut e, 2, 1, line), error, "{line}");
    }
    assert!(e.keyspace().waiters.is_empty());
}

#[test]
fn a_waiter_on_several_keys_is_served_from_the_key_that_got_data() {
    let mut e = Engine::new();
    block(&mut e, 1, 1, "BLMPOP 0 2 a b RIGHT COUNT 2");
    entry(&mut e, 2, &["RPUSH b x y z"]);
    let expected = (1, "[b [z y]]".to_string(), Some("RPUSH b y z".to_string()));
    assert_eq!(served(&mut e), [expected]);
    assert_eq!(entry(&mut e, 3, &["LRANGE b 0 -1"]), ["[x]"]);
}

#[test]
fn a_served_move_readies_the_destination_for_its_own_waiters() {
    let mut e = Engine::new();
    block(&mut e, 1, 1, "BLMOVE src dst LEFT RIGHT 0");
    block(&mut e, 2, 2, "BLPOP dst 0");
    entry(&mut e, 3, &["LPUSH src job"]);
    let served = served(&mut e);
    assert_eq!(served[0], (1, "job".into(), None));
    assert_eq!(
        served[1],
        (2, "[dst job]".into(), Some("LPUSH dst job".into()))
    );
    assert_eq!(entry(&mut e, 4, &["EXISTS src dst"]), [":0"]);
}

#[test]
fn a_transaction_serves_waiters_after_its_last_command() {
    let mut e = Engine::new();
    block(&mut e, 1, 1, "BLPOP k 0");
    let transaction = Transaction {
        watched: Vec::new(),
        cmds: vec![c("LPUSH k a"), c("LPUSH k b")],
    };
    e.apply(2, &LogCommand::run(2, 0, vec![transaction.to_argv()]));
    assert_eq!(served(&mut e)[0].1, "[k b]");
}

#[test]
fn a_key_of_another_type_keeps_its_waiters_waiting() {
    let mut e = Engine::new();
    block(&mut e, 1, 1, "BLPOP k 0");
    entry(&mut e, 2, &["SET k x"]);
    assert!(served(&mut e).is_empty());
    entry(&mut e, 3, &["DEL k", "RPUSH k a"]);
    assert_eq!(served(&mut e)[0].1, "[k a]");
}

#[test]
fn waits_end_at_their_deadline_through_a_sweep_entry() {
    let mut e = Engine::new();
    assert_eq!(block(&mut e, 1000, 1, "BLPOP k 1.5"), BLOCKED);
    assert_eq!(block(&mut e, 1000, 2, "BLMOVE k d LEFT LEFT 0"), BLOCKED);
    assert!(!e.has_expired_keys(2499));
    assert!(e.has_expired_keys(2500));
    let sweep = LogCommand {
        now_ms: 2500,
        op: crate::entry::Op::ExpireSweep { max_keys: 100 },
    };
    e.apply(1001, &sweep);
    assert_eq!(served(&mut e), [(1, "(nil-array)".into(), None)]);
    assert_eq!(e.keyspace().waiters.len(), 1);
}

#[test]
fn unblocking_removes_a_waiter_with_the_reply_asked_for() {
    let mut e = Engine::new();
    for seq in 1..=3 {
        block(&mut e, 1, seq, "BRPOPLPUSH k d 0");
    }
    let unblock = |e: &mut Engine, seq: u64, how: &str| {
        show(&e.apply(2, &LogCommand::run(2, 0, vec![id(seq).unblock(how)]))[0])
    };
    assert_eq!(unblock(&mut e, 1, "GONE"), ":1");
    assert_eq!(unblock(&mut e, 1, "GONE"), ":0");
    assert_eq!(unblock(&mut e, 2, "TIMEOUT"), ":1");
    assert_eq!(unblock(&mut e, 3, "ERROR"), ":1");
    assert_eq!(
        served(&mut e),
        [
            (2, "(nil-array)".into(), None),
            (
                3,
                "UNBLOCKED client unblocked via CLIENT UNBLOCK".into(),
                None
            ),
        ]
    );
    entry(&mut e, 3, &["RPUSH k x"]);
    assert!(served(&mut e).is_empty(), "no waiter is left");
}

#[test]
fn a_restarted_node_clears_the_waiters_of_its_earlier_processes() {
    let mut e = Engine::new();
    block(&mut e, 1, 1, "BLPOP k 0");
    let mut other = id(2);
    other.incarnation = 8;
    e.apply(
        2,
        &LogCommand::run(2, 0, vec![other.block(&c("BLPOP k 0"))]),
    );
    assert_eq!(entry(&mut e, 3, &["unblock-node 1 8"]), [":1"]);
    let unblocked = "UNBLOCKED the node's process that this client waited on ended";
    assert_eq!(served(&mut e), [(1, unblocked.to_string(), None)]);
    entry(&mut e, 4, &["RPUSH k a"]);
    assert_eq!(served(&mut e)[0].0, 2);
}

#[test]
fn swapping_databases_serves_the_waiters_that_now_find_data() {
    let mut e = Engine::new();
    e.apply(1, &LogCommand::run(1, 1, vec![c("RPUSH k a")]));
    block(&mut e, 2, 1, "BLPOP k 0");
    entry(&mut e, 3, &["SWAPDB 0 1"]);
    assert_eq!(served(&mut e)[0].1, "[k a]");
}

#[test]
fn waiters_travel_in_snapshots_and_replicas_serve_them_alike() {
    let mut one = Engine::new();
    block(&mut one, 1, 1, "BLPOP a b 5");
    block(&mut one, 2, 2, "BZPOPMAX z 0");
    let bytes = one.encode_snapshot();
    let mut two = Engine::decode_snapshot(&bytes).unwrap();
    assert_eq!(two, one);
    assert_eq!(two.encode_snapshot(), bytes);
    for e in [&mut one, &mut two] {
        entry(e, 3, &["RPUSH b x", "ZADD z 1 m 2 n"]);
    }
    let expected = vec![
        (1, "[b x]".to_string(), Some("LPUSH b x".to_string())),
        (2, "[z n ,2]".to_string(), Some("ZADD z 2 n".to_string())),
    ];
    assert_eq!(served(&mut one), expected);
    assert_eq!(served(&mut two), expected);
    assert_eq!(one.encode_snapshot(), two.encode_snapshot());
    for cut in 0..bytes.len() {
        assert!(Engine::decode_snapshot(&bytes[..cut]).is_err());
    }
}

#[test]
fn xread_block_waits_for_entries_after_the_last_id_it_saw() {
    let mut e = Engine::new();
    entry(&mut e, 1, &["XADD s 1-1 f old"]);
    assert_eq!(block(&mut e, 2, 1, "XREAD BLOCK 0 STREAMS s $"), BLOCKED);
    assert_eq!(
        e.keyspace()
            .waiters
            .iter()
            .next()
            .map(|w| w.argv.last().cloned()),
        Some(Some(b"1-1".to_vec())),
        "$ stands for the last ID when the wait starts"
    );
    assert_eq!(
        block(&mut e, 3, 2, "XREAD COUNT 1 BLOCK 5000 STREAMS s 0"),
        "%{s [[1-1 [f old]]]}"
    );
    entry(&mut e, 4, &["XADD s 2-1 f new", "XADD s 3-1 f newer"]);
    assert_eq!(served(&mut e), [(1, "%{s [[2-1 [f new]]]}".into(), None)]);
}

#[test]
fn xreadgroup_block_delivers_new_entries_to_one_waiting_consumer_as_pending() {
    let mut e = Engine::new();
    entry(&mut e, 1, &["XGROUP CREATE s g $ MKSTREAM"]);
    assert_eq!(
        block(&mut e, 2, 1, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >"),
        BLOCKED
    );
    assert_eq!(
        block(&mut e, 3, 2, "XREADGROUP GROUP g bob BLOCK 0 STREAMS s >"),
        BLOCKED
    );
    entry(&mut e, 4, &["XADD s 5-1 f v"]);
    assert_eq!(served(&mut e), [(1, "%{s [[5-1 [f v]]]}".into(), None)]);
    assert_eq!(
        entry(&mut e, 5, &["XPENDING s g"]),
        ["[:1 5-1 5-1 [[alice 1]]]"]
    );
    entry(&mut e, 6, &["XADD s 6-1 f w"]);
    assert_eq!(
        served(&mut e)[0].0,
        2,
        "the next entry goes to the other consumer"
    );
}

#[test]
fn a_waiter_the_key_holds_nothing_for_does_not_hold_up_those_behind_it() {
    let mut e = Engine::new();
    entry(&mut e, 1, &["XADD s 1-1 f v", "SET str x"]);
    block(&mut e, 2, 1, "XREAD BLOCK 0 STREAMS s 99999999999999-0");
    block(&mut e, 3, 2, "XREAD BLOCK 0 STREAMS s $");
    block(&mut e, 4, 3, "BLMOVE src str LEFT LEFT 0");
    block(&mut e, 5, 4, "BLPOP src 0");
    entry(&mut e, 6, &["XADD s 2-1 f w", "RPUSH src job"]);
    let served = served(&mut e);
    let seqs: Vec<u64> = served.iter().map(|s| s.0).collect();
    assert_eq!(seqs, [2, 4], "{served:?}");
    assert_eq!(e.keyspace().waiters.len(), 2);
}

#[test]
fn keys_readied_by_a_sweep_do_not_carry_into_the_next_entry() {
    let mut e = Engine::new();
    block(&mut e, 1, 1, "BLPOP a 0");
    entry(&mut e, 2, &["SET a x PX 10"]);
    let sweep = LogCommand {
        now_ms: 100,
        op: crate::entry::Op::ExpireSweep { max_keys: 10 },
    };
    e.apply(3, &sweep);
    let restored = Engine::decode_snapshot(&e.encode_snapshot()).unwrap();
    assert_eq!(restored, e);
    for dbs in [&e.keyspace().dbs, &restored.keyspace().dbs] {
        assert!(dbs.iter().all(|db| db.changes.ready.is_empty()));
    }
}

#[test]
fn a_served_client_notifies_its_pop_after_the_push_that_served_it() {
    let mut e = Engine::new();
    listen(&mut e, "Elgn");
    assert_eq!(block(&mut e, 1, 1, "BLPOP k 0"), BLOCKED);
    assert_eq!(block(&mut e, 2, 2, "BLMOVE src dst LEFT RIGHT 0"), BLOCKED);
    assert!(notified(&mut e).is_empty(), "waiting changes no key");
    entry(&mut e, 3, &["RPUSH k a"]);
    assert_eq!(notified(&mut e), ["new k", "rpush k", "lpop k", "del k"]);
    entry(&mut e, 4, &["RPUSH src x y"]);
    assert_eq!(
        notified(&mut e),
        ["new src", "rpush src", "new dst", "rpush dst", "lpop src"]
    );
    assert_eq!(served(&mut e).len(), 2);
}

#[test]
fn a_serve_that_does_not_happen_leaves_no_notification_behind() {
    let mut e = Engine::new();
    listen(&mut e, "KEg");
    // The attempt at once is the command itself: what it notifies stands.
    assert_eq!(block(&mut e, 1, 1, "DEBUG-BLOCK k 0"), BLOCKED);
    assert_eq!(notified(&mut e), ["k: debug", "debug k"]);
    // Each SET readies the waiter, whose serve notifies and then finds nothing, or panics.
    entry(&mut e, 2, &["SET k nothing"]);
    assert_eq!(notified(&mut e), Vec::<String>::new());
    entry(&mut e, 3, &["SET k panic"]);
    assert_eq!(notified(&mut e), Vec::<String>::new());
    assert!(served(&mut e).is_empty());
    assert_eq!(e.keyspace().waiters.iter().count(), 1, "still waiting");
}
