//! RESTORE of payloads as Redis 6.2 and older wrote them (RDB version 9 and before): each
//! payload, built by this file's own small encoder of the old formats (ziplists, zipmaps,
//! intsets, quicklists of ziplists, streams without 7.0's counters), is restored on
//! redis-server 7.0 and on redraft, and everything a client can read of the result must be
//! equal: RESTORE's reply, TYPE, OBJECT ENCODING, the contents, the expiry, for streams
//! XINFO STREAM (FULL), XINFO GROUPS and XPENDING, and the value after a DUMP of it is
//! restored on the other side. Broken payloads must be refused with the same error; seeded
//! bit flips of list and hash payloads (ziplists and zipmaps, which Redis always validates
//! deeply) must fare alike on both. (Not intsets and sorted sets: Redis loads an intset out of
//! order and a score that is no number, which redraft refuses; docs/commands.md, restore.)
//!
//! The radix-tree counts of XINFO STREAM are not compared: redraft rebuilds a restored
//! stream's nodes from its live entries (docs/commands.md, restore).
//!
//! `REDRAFT_DIFF_SEED` replays a run's bit flips.

use rand::rngs::StdRng;
use rand::Rng;
use redis_protocol::resp2::types::OwnedFrame;
use redraft_tests::differential_tests;
use redraft_tests::driver::{bulk, c, parse, Against, Ops, Side, Sides};
use redraft_tests::old_rdb::{self as old, entry, Group, E};
use redraft_tests::raw::show;

/// The scripted cases run once a run; each flippable case then gets ten bit flips per op.
const ROUNDS: Ops = Ops {
    engine: 12,
    follower: 2,
};

/// A far deadline, for RESTORE ... ABSTTL: the same on both sides whatever their clocks.
const DEADLINE_MS: &str = "4102444800000";

/// One scripted case: a name, the payload, and whether its bit flips are compared.
struct Case {
    name: String,
    payload: Vec<u8>,
    flip: bool,
}

fn case(name: &str, body: Vec<u8>, version: u16, flip: bool) -> Case {
    Case {
        name: name.to_string(),
        payload: old::payload(&body, version),
        flip,
    }
}

/// Ziplist elements of every integer encoding, strings of every length encoding (a 300-byte
/// one makes the next previous-entry length 5 bytes), an empty string, digits that are no
/// canonical integer.
fn every_ziplist_element() -> Vec<E> {
    let ints = [
        0,
        12,
        13,
        -1,
        -128,
        127,
        128,
        -32768,
        32767,
        40000,
        -8388608,
        8388607,
        8388608,
        i64::from(i32::MIN),
        i64::from(i32::MAX),
        i64::from(i32::MAX) + 1,
        i64::MIN,
        i64::MAX,
    ];
    let mut elements: Vec<E> = ints.iter().map(|n| E::Int(*n)).collect();
    for text in ["", "a", "007", "-0", "1.5"] {
        elements.push(old::s(text));
    }
    for n in [63, 64, 300, 16383, 16384, 70000] {
        elements.push(E::Str(vec![b'a' + (n % 26) as u8; n]));
        elements.push(E::Int(n as i64));
    }
    elements
}

fn list_cases() -> Vec<Case> {
    let every = every_ziplist_element();
    let small: Vec<E> = ["a", "b", "c"].iter().map(|t| old::s(t)).collect();
    let mut plain = vec![1u8];
    old::len(&mut plain, 3);
    for item in ["x", "12", ""] {
        old::string(&mut plain, item.as_bytes());
    }
    vec![
        case(
            "list ziplist",
            old::blob(10, &old::ziplist(&every, false)),
            9,
            false,
        ),
        case(
            "list ziplist small",
            old::blob(10, &old::ziplist(&small, false)),
            8,
            true,
        ),
        case(
            "list ziplist wide prevlens",
            old::blob(10, &old::ziplist(&small, true)),
            9,
            true,
        ),
        case(
            "quicklist of ziplists",
            old::quicklist(&[
                old::ziplist(&every[..10], false),
                old::ziplist(&[], false),
                old::ziplist(&every[10..], true),
                old::ziplist(&small, false),
            ]),
            9,
            false,
        ),
        case(
            "quicklist small",
            old::quicklist(&[
                old::ziplist(&small, false),
                old::ziplist(&small[1..], false),
            ]),
            7,
            true,
        ),
        case("plain list", plain, 6, false),
    ]
}

fn hash_cases() -> Vec<Case> {
    let long = vec![b'f'; 300];
    let many: Vec<E> = (0..140)
        .flat_map(|n| [old::s(&format!("f{n}")), E::Int(n * 1000)])
        .collect();
    let pairs = [
        old::s("a"),
        E::Int(1),
        E::Int(7),
        old::s(""),
        old::s("c"),
        E::Int(-70000),
    ];
    let mut wide = pairs.to_vec();
    wide.extend([old::s("big"), E::Str(vec![b'v'; 100])]);
    vec![
        case(
            "zipmap",
            old::blob(
                9,
                &old::zipmap(
                    &[
                        (b"a", b"1", 0),
                        (b"bb", b"xyz", 4),
                        (b"", b"", 0),
                        (b"n", b"-5", 255),
                    ],
                    Some(4),
                ),
            ),
            2,
            true,
        ),
        case(
            "zipmap count unknown, long field",
            old::blob(
                9,
                &old::zipmap(&[(b"k", b"v", 1), (&long, b"300", 0)], None),
            ),
            4,
            true,
        ),
        case(
            "hash ziplist",
            old::blob(13, &old::ziplist(&pairs, false)),
            9,
            true,
        ),
        case(
            "hash ziplist long value",
            old::blob(13, &old::ziplist(&wide, false)),
            9,
            false,
        ),
        case(
            "hash ziplist many",
            old::blob(13, &old::ziplist(&many, false)),
            9,
            false,
        ),
    ]
}

fn zset_and_set_cases() -> Vec<Case> {
    let zset: Vec<E> = vec![
        old::s("neg"),
        old::s("-inf"),
        old::s("int"),
        E::Int(-3),
        old::s("frac"),
        old::s("1.5"),
        E::Int(7),
        E::Int(2),
        old::s("exp"),
        old::s("1e10"),
        old::s("top"),
        old::s("inf"),
    ];
    let many: Vec<E> = (0..130)
        .flat_map(|n| [old::s(&format!("m{n}")), E::Int(n)])
        .collect();
    let long_member = vec![E::Str(vec![b'z'; 100]), old::s("2.5")];
    let mut text_zset = vec![3u8];
    old::len(&mut text_zset, 2);
    old::string(&mut text_zset, b"a");
    text_zset.extend_from_slice(&[3, b'2', b'.', b'5']);
    old::string(&mut text_zset, b"b");
    text_zset.push(254);
    let big_intset: Vec<i64> = (0..600).map(|n| n * 3 - 900).collect();
    vec![
        case(
            "zset ziplist",
            old::blob(12, &old::ziplist(&zset, false)),
            9,
            false,
        ),
        case(
            "zset ziplist many",
            old::blob(12, &old::ziplist(&many, false)),
            9,
            false,
        ),
        case(
            "zset ziplist long member",
            old::blob(12, &old::ziplist(&long_member, false)),
            9,
            false,
        ),
        case("zset text scores", text_zset, 5, false),
        case(
            "intset 16",
            old::blob(11, &old::intset(2, &[-32768, -1, 0, 5, 32767])),
            9,
            false,
        ),
        case(
            "intset 32",
            old::blob(11, &old::intset(4, &[-40000, 3, 2_000_000_000])),
            9,
            false,
        ),
        case(
            "intset 64",
            old::blob(11, &old::intset(8, &[i64::MIN, 0, i64::MAX])),
            9,
            false,
        ),
        case(
            "intset big",
            old::blob(11, &old::intset(2, &big_intset)),
            9,
            false,
        ),
    ]
}

fn stream_cases() -> Vec<Case> {
    let f = [("f", "v")];
    let node1 = vec![
        entry((100, 0), &f, true),
        entry((100, 1), &[("f", "w")], false),
        entry((101, 0), &[("a", "1"), ("b", "2")], false),
        entry((102, 5), &f, true),
        entry((103, 0), &[("f", "12345")], false),
    ];
    let node2 = vec![
        entry((200, 0), &[("g", "x")], false),
        entry((200, 1), &[("g", "")], true),
        entry((201, 0), &[("g", &"long".repeat(30))], false),
    ];
    let node3 = vec![entry((300, 7), &[("h", "-1"), ("i", "9")], false)];
    let group = |name, last| Group {
        name,
        last,
        pending: vec![
            ((100, 1), 5000, 3, "alice"),
            ((101, 0), 5001, 1, "bob"),
            ((200, 0), 6000, 2, "alice"),
        ],
        consumers: vec![("alice", 7000), ("bob", 7001), ("idle", 100)],
    };
    let bare = |name, last| Group {
        name,
        last,
        pending: Vec::new(),
        consumers: Vec::new(),
    };
    let nodes = || vec![node1.clone(), node2.clone(), node3.clone()];
    let mut cases = vec![
        case("stream empty", old::stream(&[], (0, 0), &[]), 9, false),
        case(
            "stream empty with groups",
            old::stream(&[], (5, 3), &[bare("g", (2, 0)), bare("h", (5, 3))]),
            9,
            false,
        ),
        case(
            "stream with groups",
            old::stream(
                &nodes(),
                (300, 9),
                &[
                    group("g1", (201, 0)),
                    bare("before", (0, 0)),
                    bare("first", (100, 1)),
                    bare("deleted", (102, 5)),
                    bare("last-entry", (300, 7)),
                    bare("last-id", (300, 9)),
                    bare("beyond", (400, 0)),
                ],
            ),
            9,
            false,
        ),
        case(
            "stream one node, version 10",
            old::stream(
                std::slice::from_ref(&node3),
                (300, 7),
                &[group("g", (300, 7))],
            ),
            10,
            false,
        ),
    ];
    // A stream of many entries in several nodes of 100, no deletions.
    let many: Vec<Vec<old::Entry>> = (0..3u64)
        .map(|node| {
            (0..100)
                .map(|i| entry((1000 + node * 100 + i, 0), &[("n", &i.to_string())], false))
                .collect()
        })
        .collect();
    cases.push(case(
        "stream of full nodes",
        old::stream(&many, (1299, 0), &[group("g", (1000, 0))]),
        9,
        false,
    ));
    cases
}

/// Payloads both sides must refuse, with the same error.
fn broken_cases() -> Vec<Case> {
    let small: Vec<E> = ["a", "b"].iter().map(|t| old::s(t)).collect();
    let zl = old::ziplist(&small, false);
    let mut wrong_tail = zl.clone();
    wrong_tail[4] = 10;
    let mut wrong_count = zl.clone();
    wrong_count[8] = 3;
    let mut wrong_crc = old::payload(&old::blob(10, &zl), 9);
    let at = wrong_crc.len() - 1;
    wrong_crc[at] ^= 1;
    let mut short_in_long_form = vec![1u8, 254];
    short_in_long_form.extend_from_slice(&1u32.to_le_bytes());
    short_in_long_form.extend_from_slice(&[b'k', 1, 0, b'v', 0xff]);
    let dup = [old::s("f"), E::Int(1), old::s("f"), E::Int(2)];
    let mut cases = vec![
        case("ziplist wrong tail", old::blob(10, &wrong_tail), 9, false),
        case("ziplist wrong count", old::blob(13, &wrong_count), 9, false),
        case(
            "list ziplist empty",
            old::blob(10, &old::ziplist(&[], false)),
            9,
            false,
        ),
        case(
            "quicklist all empty",
            old::quicklist(&[old::ziplist(&[], false)]),
            9,
            false,
        ),
        case(
            "hash ziplist repeated field",
            old::blob(13, &old::ziplist(&dup, false)),
            9,
            false,
        ),
        case(
            "zipmap wrong count",
            old::blob(9, &old::zipmap(&[(b"a", b"1", 0)], Some(2))),
            9,
            false,
        ),
        case(
            "zipmap empty",
            old::blob(9, &old::zipmap(&[], Some(0))),
            9,
            false,
        ),
        case(
            "zipmap long form of a short length",
            old::blob(9, &short_in_long_form),
            9,
            false,
        ),
        case(
            "intset bad width",
            old::blob(11, &old::intset(3, &[1])),
            9,
            false,
        ),
        case("version 11", old::blob(10, &zl), 11, false),
        case("module type", old::blob(6, b"x"), 9, false),
    ];
    cases.push(Case {
        name: "wrong checksum".into(),
        payload: wrong_crc,
        flip: false,
    });
    let mut cut = old::payload(&old::blob(10, &zl), 9);
    cut.drain(4..8);
    cases.push(Case {
        name: "cut short".into(),
        payload: cut,
        flip: false,
    });
    cases
}

/// RESTORE `key` with `ttl`, the payload, and then the words of `options`.
fn restore(key: &str, ttl: &str, payload: &[u8], options: &str) -> Vec<Vec<u8>> {
    let mut command = c(&format!("RESTORE {key} {ttl}"));
    command.push(payload.to_vec());
    if !options.is_empty() {
        command.extend(c(options));
    }
    command
}

/// The reply with the radix-tree counts of XINFO STREAM blanked.
fn without_radix_counts(reply: &[u8]) -> String {
    let mut text = show(reply);
    for label in ["radix-tree-keys", "radix-tree-nodes"] {
        let marker = format!("{label}\\r\\n:");
        let mut from = 0;
        while let Some(at) = text[from..].find(&marker) {
            let start = from + at + marker.len();
            let end = text[start..].find('\\').map_or(text.len(), |e| start + e);
            text.replace_range(start..end, "?");
            from = start;
        }
    }
    text
}

/// Everything a client reads of `key` on one side, in a canonical form (hash-table orders
/// sorted), with the key's name shown as KEY.
async fn readout(sides: &mut Sides, side: Side, key: &str) -> String {
    let on_key = |line: &str| c(&line.replace("KEY", key));
    let kind = String::from_utf8_lossy(&sides.on(side, &on_key("TYPE KEY")).await)
        .trim()
        .to_string();
    let encoding = sides.encoding(side, key.as_bytes()).await;
    let expiry = show(&sides.on(side, &on_key("PEXPIRETIME KEY")).await);
    let mut shown = format!("{kind} {encoding:?} expiry {expiry}\n");
    let mut lines: Vec<(String, bool)> = match kind.as_str() {
        "+string" => vec![("GET KEY".into(), false)],
        "+list" => vec![("LRANGE KEY 0 -1".into(), false)],
        "+set" => vec![("SMEMBERS KEY".into(), true)],
        "+zset" => vec![("ZRANGE KEY 0 -1 WITHSCORES".into(), false)],
        "+hash" => vec![("HGETALL KEY".into(), true)],
        "+stream" => vec![
            ("XINFO STREAM KEY".into(), false),
            ("XINFO STREAM KEY FULL".into(), false),
            ("XINFO GROUPS KEY".into(), false),
        ],
        _ => Vec::new(),
    };
    if kind == "+stream" {
        for group in ["g", "g1", "first", "beyond"] {
            lines.push((format!("XPENDING KEY {group}"), false));
            lines.push((format!("XPENDING KEY {group} - + 100"), false));
        }
    }
    for (line, sort) in lines {
        let mut reply = sides.on(side, &on_key(&line)).await;
        if reply.starts_with(b"-") {
            // Errors name the key.
            let error = String::from_utf8_lossy(&reply).replace(&format!("'{key}'"), "'KEY'");
            reply = error.into_bytes();
        }
        let text = if sort {
            sorted(&reply, kind == "+hash")
        } else if line.ends_with("100") {
            without_idle_times(&reply)
        } else {
            without_radix_counts(&reply)
        };
        shown.push_str(&format!("{line}: {text}\n"));
    }
    shown
}

/// XPENDING's extended form without the idle times (the time since delivery, by each side's
/// clock).
fn without_idle_times(reply: &[u8]) -> String {
    let OwnedFrame::Array(entries) = parse(reply) else {
        return show(reply);
    };
    let entries: Vec<String> = entries
        .into_iter()
        .map(|entry| match entry {
            OwnedFrame::Array(mut parts) if parts.len() == 4 => {
                parts[2] = OwnedFrame::Null;
                format!("{parts:?}")
            }
            other => format!("{other:?}"),
        })
        .collect();
    entries.join(",")
}

/// A flat array reply in a canonical order (pairs kept together for hashes).
fn sorted(reply: &[u8], pairs: bool) -> String {
    let OwnedFrame::Array(items) = parse(reply) else {
        return show(reply);
    };
    let items: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    let mut groups: Vec<Vec<String>> = if pairs {
        items.chunks(2).map(<[String]>::to_vec).collect()
    } else {
        items.into_iter().map(|i| vec![i]).collect()
    };
    groups.sort();
    groups.concat().join(",")
}

/// Restores the case's payload on both sides and compares all that can be read of it, and the
/// value after each side's DUMP is restored on the other: whether it loaded, or the difference.
async fn compare_case(sides: &mut Sides, case: &Case) -> Result<bool, String> {
    let command = restore("k", DEADLINE_MS, &case.payload, "ABSTTL REPLACE");
    let (redis, redraft) = sides.both(&command).await;
    if redis != redraft {
        return Err(format!(
            "RESTORE: redis {} redraft {}",
            show(&redis),
            show(&redraft)
        ));
    }
    if redis != b"+OK\r\n" {
        return Ok(false);
    }
    let shown = readout(sides, Side::Redis, "k").await;
    let theirs = readout(sides, Side::Redraft, "k").await;
    if shown != theirs {
        return Err(format!("restored value:\nredis\n{shown}redraft\n{theirs}"));
    }
    // Each side's DUMP restored on the other side reads as the original did.
    let from_redis = bulk(&sides.redis(&c("DUMP k")).await).ok_or("redis DUMP")?;
    let from_redraft = bulk(&sides.redraft(&c("DUMP k")).await).ok_or("redraft DUMP")?;
    let back = restore("back", DEADLINE_MS, &from_redraft, "ABSTTL REPLACE");
    let reply = sides.redis(&back).await;
    if reply != b"+OK\r\n" {
        return Err(format!("redis RESTORE of redraft's DUMP: {}", show(&reply)));
    }
    let back_shown = readout(sides, Side::Redis, "back").await;
    let back = restore("back", DEADLINE_MS, &from_redis, "ABSTTL REPLACE");
    let reply = sides.redraft(&back).await;
    if reply != b"+OK\r\n" {
        return Err(format!("redraft RESTORE of redis's DUMP: {}", show(&reply)));
    }
    let back_theirs = readout(sides, Side::Redraft, "back").await;
    for (what, got) in [("redraft's", &back_shown), ("redis's", &back_theirs)] {
        if *got != shown {
            return Err(format!(
                "{what} DUMP restored on the other side:\n{got}\nthe original:\n{shown}"
            ));
        }
    }
    Ok(true)
}

/// Flips a seeded bit of the payload's body (and fixes the checksum, so that the decoders
/// behind it are reached): both sides must answer alike and hold alike.
async fn compare_flip(sides: &mut Sides, rng: &mut StdRng, case: &Case) -> Result<bool, String> {
    let body_len = case.payload.len() - 10;
    let version = u16::from_le_bytes([case.payload[body_len], case.payload[body_len + 1]]);
    let mut body = case.payload[..body_len].to_vec();
    let at = rng.random_range(1..body.len());
    body[at] ^= 1 << rng.random_range(0..8);
    let flipped = Case {
        name: format!("{} with byte {at} flipped", case.name),
        payload: old::payload(&body, version),
        flip: false,
    };
    compare_case(sides, &flipped).await
}

differential_tests!(
    old_payloads_restore_as_on_redis_7_on_the_engine,
    old_payloads_restore_as_on_redis_7_on_a_follower,
    run
);

async fn run(against: Against) {
    let mut sides = Sides::start("old rdb", 0, ROUNDS, against).await;
    let mut rng = sides.rng();
    let cases: Vec<Case> = [
        list_cases(),
        hash_cases(),
        zset_and_set_cases(),
        stream_cases(),
        broken_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut loaded = 0;
    for case in &cases {
        match compare_case(&mut sides, case).await {
            Ok(ok) => loaded += usize::from(ok),
            Err(diff) => sides.fail(&case.name, &diff),
        }
    }
    // Every case but the broken ones loads.
    assert_eq!(loaded, cases.len() - broken_cases().len());
    let flips = sides.ops * 10;
    let mut flips_loaded = 0;
    for case in cases.iter().filter(|case| case.flip) {
        for _ in 0..flips {
            match compare_flip(&mut sides, &mut rng, case).await {
                Ok(ok) => flips_loaded += usize::from(ok),
                Err(diff) => sides.fail(&case.name, &diff),
            }
        }
    }
    eprintln!(
        "{} cases compared ({loaded} loaded); {flips} flips of each flippable one ({flips_loaded} loaded)",
        cases.len()
    );
}
