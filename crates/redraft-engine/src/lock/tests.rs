use crate::entry::{LogCommand, Transaction, WaiterId};
use crate::testutil::{c, show};
use crate::{Engine, ReadContext};

/// Applies `lines` as one entry at `index` (time `index` ms); their replies shown.
fn entry(e: &mut Engine, index: u64, lines: &[&str]) -> Vec<String> {
    let cmds = lines.iter().map(|line| c(line)).collect();
    let replies = e.apply(index, &LogCommand::run(index, 0, cmds));
    replies.iter().map(show).collect()
}

fn one(e: &mut Engine, index: u64, line: &str) -> String {
    entry(e, index, &[line]).remove(0)
}

fn read(e: &Engine, line: &str) -> String {
    show(&e.read(
        0,
        &c(line),
        ReadContext {
            now_ms: 5_000,
            ..Default::default()
        },
    ))
}

fn waiter(seq: u64) -> WaiterId {
    WaiterId {
        node: 1,
        incarnation: 7,
        client: seq,
        seq,
    }
}

/// LOCK.ACQUIRE `line` as client `seq`'s blocking command at `index`.
fn block(e: &mut Engine, index: u64, seq: u64, line: &str) -> String {
    let argv = waiter(seq).block(&c(line));
    show(&e.apply(index, &LogCommand::run(index, 0, vec![argv]))[0])
}

#[test]
fn a_lock_is_granted_once_renewed_released_and_its_tokens_increase() {
    let mut e = Engine::new();
    assert_eq!(one(&mut e, 1, "LOCK.ACQUIRE job alice 10000"), ":1");
    assert_eq!(one(&mut e, 2, "LOCK.ACQUIRE job bob 10000"), "(nil)");
    // The holder asking again (a lost reply, retried) keeps its token and renews its lease.
    assert_eq!(one(&mut e, 3, "LOCK.ACQUIRE job alice 20000"), ":1");
    assert_eq!(e.leases(), [(b"job".to_vec(), 1, 2, 20_000)]);
    assert_eq!(one(&mut e, 4, "LOCK.RENEW job 1 15000"), "+OK");
    assert_eq!(e.leases(), [(b"job".to_vec(), 1, 3, 15_000)]);
    assert_eq!(one(&mut e, 5, "LOCK.RELEASE job 1"), "+OK");
    assert_eq!(
        one(&mut e, 6, "LOCK.RELEASE job 1"),
        "NOTHOLDER token 1 released lock 'job'"
    );
    assert_eq!(
        one(&mut e, 7, "LOCK.RENEW job 9 5000"),
        "NOLOCK no lock 'job' is held"
    );
    assert_eq!(one(&mut e, 8, "LOCK.ACQUIRE job bob 10000"), ":2");
    assert_eq!(
        one(&mut e, 9, "LOCK.RENEW job 1 5000"),
        "NOTHOLDER token 1 released lock 'job'"
    );
    assert_eq!(
        one(&mut e, 10, "LOCK.RENEW job 7 5000"),
        "NOTHOLDER token 7 does not hold lock 'job'"
    );
    assert_eq!(one(&mut e, 11, "LOCK.ACQUIRE other carol 5000"), ":3");
}

#[test]
fn a_lease_ends_only_by_an_expiry_naming_its_last_grant() {
    let mut e = Engine::new();
    assert_eq!(one(&mut e, 1, "LOCK.ACQUIRE job alice 10000"), ":1");
    assert_eq!(one(&mut e, 2, "LOCK.RENEW job 1 10000"), "+OK");
    // An expiry decided before the renewal reached the log changes nothing.
    assert_eq!(one(&mut e, 3, "lock-expire job 1 1"), ":0");
    assert_eq!(one(&mut e, 4, "FENCED job 1 SET k v"), "+OK");
    assert_eq!(one(&mut e, 5, "lock-expire job 1 2"), ":1");
    assert_eq!(
        one(&mut e, 6, "FENCED job 1 SET k w"),
        "EXPIRED the lease of token 1 on lock 'job' expired"
    );
    assert_eq!(one(&mut e, 7, "GET k"), "v");
    assert_eq!(
        one(&mut e, 8, "LOCK.RENEW job 1 10000"),
        "EXPIRED the lease of token 1 on lock 'job' expired"
    );
}

#[test]
fn waiters_are_granted_first_come_first_served_as_permits_free() {
    let mut e = Engine::new();
    assert_eq!(one(&mut e, 1, "LOCK.ACQUIRE job alice 10000"), ":1");
    assert_eq!(
        block(&mut e, 2, 2, "LOCK.ACQUIRE job bob 10000 WAIT 60000"),
        "+BLOCKED (internal)"
    );
    assert_eq!(
        block(&mut e, 3, 3, "LOCK.ACQUIRE job carol 10000 WAIT 60000"),
        "+BLOCKED (internal)"
    );
    assert!(
        read(&e, "LOCK.INFO job").ends_with("waiters :2}"),
        "{}",
        read(&e, "LOCK.INFO job")
    );
    assert_eq!(one(&mut e, 4, "LOCK.RELEASE job 1"), "+OK");
    let served: Vec<(u64, String)> = e
        .take_served()
        .into_iter()
        .map(|s| (s.waiter.seq, show(&s.reply)))
        .collect();
    assert_eq!(served, [(2, ":2".to_string())]);
    // A fresh caller finds the lock held by the waiter just served, not free.
    assert_eq!(one(&mut e, 5, "LOCK.ACQUIRE job dave 10000"), "(nil)");
    assert_eq!(one(&mut e, 6, "lock-expire job 2 2"), ":1");
    let served: Vec<(u64, String)> = e
        .take_served()
        .into_iter()
        .map(|s| (s.waiter.seq, show(&s.reply)))
        .collect();
    assert_eq!(served, [(3, ":3".to_string())]);
    // A waiter served for a client that left puts its permit back.
    let undo = |e: &mut Engine| e.take_served().into_iter().next().and_then(|s| s.undo);
    assert_eq!(
        block(&mut e, 7, 4, "LOCK.ACQUIRE job erin 10000 WAIT 60000"),
        "+BLOCKED (internal)"
    );
    one(&mut e, 8, "LOCK.RELEASE job 3");
    let undo = undo(&mut e).expect("an undo");
    assert_eq!(undo, c("lock-expire job 4 4"));
    // Its owner asked again meanwhile (and got its token, renewed): the undo is void.
    assert_eq!(one(&mut e, 9, "LOCK.ACQUIRE job erin 10000"), ":4");
    assert_eq!(
        e.apply(10, &LogCommand::run(10, 0, vec![undo]))
            .iter()
            .map(show)
            .collect::<Vec<_>>(),
        [":0"]
    );
    assert_eq!(one(&mut e, 11, "FENCED job 4 SET k v"), "+OK");
}

#[test]
fn a_semaphore_grants_up_to_its_permits_and_every_call_must_agree_on_them() {
    let mut e = Engine::new();
    let replies = entry(
        &mut e,
        1,
        &[
            "LOCK.ACQUIRE pool a 10000 PERMITS 2",
            "LOCK.ACQUIRE pool b 10000 PERMITS 2",
            "LOCK.ACQUIRE pool c 10000 PERMITS 2",
            "LOCK.ACQUIRE pool c 10000",
            "LOCK.ACQUIRE pool c 10000 PERMITS 0",
            "LOCK.ACQUIRE pool c 100",
            "LOCK.ACQUIRE pool c 10000 WAIT x",
            "LOCK.ACQUIRE pool c 10000 NOPE 1",
            "LOCK.ACQUIRE pool c 10000 WAIT",
        ],
    );
    assert_eq!(
        replies,
        [
            ":1",
            ":2",
            "(nil)",
            "ERR lock 'pool' has 2 permits, not 1",
            "ERR PERMITS must be a positive integer",
            "ERR ttl-ms must be at least 3000 (1.5 times the election timeout)",
            "ERR WAIT is not an integer or out of range",
            "ERR syntax error",
            "ERR syntax error",
        ]
    );
    assert_eq!(read(&e, "LOCK.LIST"), "[pool]");
    assert_eq!(read(&e, "LOCK.LIST p*"), "[pool]");
    assert_eq!(read(&e, "LOCK.LIST x*"), "[]");
    assert_eq!(read(&e, "LOCK.INFO none"), "(nil)");
    // A lease as long as a u64 holds: its remaining time saturates, nothing overflows.
    assert_eq!(
        one(&mut e, 2, "LOCK.ACQUIRE huge a 18446744073709551615"),
        ":3"
    );
    assert!(read(&e, "LOCK.INFO huge").contains("remaining-ms :"));
    let info = read(&e, "LOCK.INFO pool");
    assert!(
        info.contains("permits :2") && info.contains("owner b token :2"),
        "{info}"
    );
}

#[test]
fn fenced_runs_a_write_only_for_a_current_token_also_in_a_transaction() {
    let mut e = Engine::new();
    assert_eq!(one(&mut e, 1, "LOCK.ACQUIRE job alice 10000"), ":1");
    assert_eq!(one(&mut e, 2, "FENCED job 1 INCR counter"), ":1");
    assert_eq!(
        one(&mut e, 3, "FENCED job 2 INCR counter"),
        "NOTHOLDER token 2 does not hold lock 'job'"
    );
    assert_eq!(
        one(&mut e, 4, "FENCED job 1 GET counter"),
        "ERR FENCED runs one write command that does not block, not 'get'"
    );
    assert_eq!(
        one(&mut e, 5, "FENCED job 1 BLPOP l 0"),
        "ERR FENCED runs one write command that does not block, not 'blpop'"
    );
    assert_eq!(
        one(&mut e, 6, "FENCED job x INCR counter"),
        "ERR token is not an integer or out of range"
    );
    let transaction = Transaction {
        watched: Vec::new(),
        cmds: vec![
            c("FENCED job 1 INCR counter"),
            c("FENCED job 9 INCR counter"),
        ],
    };
    let replies = e.apply(7, &LogCommand::run(7, 0, vec![transaction.to_argv()]));
    assert_eq!(
        show(&replies[0]),
        "[:2 NOTHOLDER token 9 does not hold lock 'job']"
    );
    let body = "return redis.call('FENCED', 'job', ARGV[1], 'INCR', 'counter')";
    let eval: Vec<Vec<u8>> = ["EVAL", body, "0", "1"]
        .iter()
        .map(|a| a.as_bytes().to_vec())
        .collect();
    assert_eq!(
        show(&e.apply(8, &LogCommand::run(8, 0, vec![eval]))[0]),
        ":3"
    );
    assert_eq!(one(&mut e, 9, "GET counter"), "3");
}

#[test]
fn locks_live_apart_from_keys() {
    let mut e = Engine::new();
    assert_eq!(one(&mut e, 1, "SET job x"), "+OK");
    assert_eq!(one(&mut e, 2, "LOCK.ACQUIRE job alice 10000"), ":1");
    assert_eq!(entry(&mut e, 3, &["FLUSHALL", "EXISTS job"]), ["+OK", ":0"]);
    assert_eq!(
        read(&e, "LOCK.LIST"),
        "[job]",
        "FLUSHALL leaves locks alone"
    );
}

#[test]
fn locks_travel_in_snapshots_and_tokens_keep_increasing_after_one() {
    let mut e = Engine::new();
    entry(
        &mut e,
        1,
        &["LOCK.ACQUIRE a x 10000", "LOCK.ACQUIRE p y 10000 PERMITS 3"],
    );
    entry(
        &mut e,
        2,
        &["LOCK.ACQUIRE p z 10000 PERMITS 3", "LOCK.RELEASE a 1"],
    );
    let bytes = e.encode_snapshot();
    let mut restored = Engine::decode_snapshot(&bytes).unwrap();
    assert_eq!(restored.encode_snapshot(), bytes);
    assert_eq!(restored.leases(), e.leases());
    assert_eq!(one(&mut restored, 3, "LOCK.ACQUIRE a w 10000"), ":4");
    assert_eq!(
        one(&mut restored, 4, "LOCK.RENEW a 1 5000"),
        "NOTHOLDER token 1 released lock 'a'"
    );
}

#[test]
fn a_grant_given_back_for_a_gone_waiter_spares_its_owner_answered_in_the_same_entry() {
    let mut e = Engine::new();
    assert_eq!(one(&mut e, 1, "LOCK.ACQUIRE job alice 10000"), ":1");
    // Owner zed waits on a connection that then goes; it asks again on a new one, and the
    // leader puts that request in the same entry as the release that serves the first wait.
    assert_eq!(
        block(&mut e, 2, 2, "LOCK.ACQUIRE job zed 10000 WAIT 60000"),
        "+BLOCKED (internal)"
    );
    let replies = entry(
        &mut e,
        3,
        &["LOCK.RELEASE job 1", "LOCK.ACQUIRE job zed 10000"],
    );
    assert_eq!(replies, ["+OK", ":2"]);
    let served = e.take_served();
    assert_eq!(show(&served[0].reply), ":2");
    // The first wait's client is gone: its give-back is void, the retry holds the lock.
    let undo = served[0].undo.clone().expect("an undo");
    let undone = e.apply(4, &LogCommand::run(4, 0, vec![undo]));
    assert_eq!(show(&undone[0]), ":0");
    assert_eq!(one(&mut e, 5, "FENCED job 2 SET k v"), "+OK");
}
