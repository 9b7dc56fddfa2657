use super::commands::{CORRUPTED, NOT_HLL};
use super::value::*;
use super::value::{dense_get, dense_set, sigma, tau, DENSE};
use crate::reply::{Reply, WRONGTYPE};
use crate::testutil::{apply, c, check, check_notified, err, int, listen, ok, read, show};
use crate::Engine;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// An empty HLL as PFADD creates it, its cache marked stale.
const EMPTY: &str = "48594c4c0100000000000000000000807fff";

/// FNV-1a of an HLL without its cache bytes (redis-server's reference copies were read
/// after a PFCOUNT had filled them in). The cache must be stale here.
fn fnv(bytes: &[u8]) -> u64 {
    assert_eq!(cached_count(bytes), None);
    bytes[..8]
        .iter()
        .chain(&bytes[16..])
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        })
}

fn value(e: &Engine, key: &str) -> Vec<u8> {
    match read(e, 0, &["GET", key]) {
        Reply::Bulk(bytes) => bytes,
        other => panic!("{other:?}"),
    }
}

/// PFADD key e1 .. en, one element per command as redis-cli fed them.
fn add_range(e: &mut Engine, key: &str, n: usize) {
    for i in 1..=n {
        apply(e, 0, &["PFADD", key, &format!("e{i}")]);
    }
}

fn set_bytes(e: &mut Engine, key: &str, bytes: &[u8]) {
    assert_eq!(
        apply(e, 0, vec![b"SET".to_vec(), key.into(), bytes.into()]),
        ok()
    );
}

#[test]
fn pfadd_builds_redis_sparse_bytes() {
    let mut e = Engine::new();
    assert_eq!(apply(&mut e, 0, "PFADD h a b c"), int(1));
    assert_eq!(
        value(&e, "h"),
        hex("48594c4c01000000000000000000008060f38050b1844bfb80425a")
    );
    check(
        &mut e,
        0,
        &[("PFADD h a", ":0"), ("PFADD h", ":0"), ("PFADD new", ":1")],
    );
    assert_eq!(value(&e, "new"), hex(EMPTY));
    for (key, card) in [("h", 3), ("new", 0), ("nope", 0)] {
        assert_eq!(read(&e, 0, &["PFCOUNT", key]), int(card), "{key}");
    }
    // The deadline is kept.
    apply(&mut e, 0, "PEXPIRE h 100");
    assert_eq!(apply(&mut e, 0, "PFADD h d"), int(1));
    assert_eq!(read(&e, 0, "PTTL h"), int(100));
}

#[test]
fn sparse_hll_matches_redis_bytes_and_count() {
    let mut e = Engine::new();
    add_range(&mut e, "mid", 200);
    let bytes = value(&e, "mid");
    assert_eq!((bytes.len(), fnv(&bytes)), (512, 0xca6a_f913_d525_89d8));
    assert_eq!(read(&e, 0, "PFCOUNT mid"), int(200));
    // PFCOUNT is a read: the stored bytes stay as they were.
    assert_eq!(value(&e, "mid"), bytes);
}

#[test]
fn promotion_to_dense_matches_redis() {
    let mut e = Engine::new();
    add_range(&mut e, "big", 3000);
    let bytes = value(&e, "big");
    assert_eq!(
        (bytes.len(), fnv(&bytes)),
        (DENSE_LEN, 0x6935_ff98_ea54_ae46)
    );
    assert_eq!(read(&e, 0, "PFCOUNT big"), int(2979));
    apply(&mut e, 0, "PFADD h a b c");
    apply(&mut e, 0, "PFADD s2 x y");
    assert_eq!(read(&e, 0, "PFCOUNT s2 h big nokey"), int(2985));
}

#[test]
fn pfmerge_of_mixed_encodings_matches_redis() {
    let mut e = Engine::new();
    add_range(&mut e, "big", 3000);
    apply(&mut e, 0, "PFADD h a b c");
    apply(&mut e, 0, "PFADD s2 x y");
    assert_eq!(apply(&mut e, 0, "PFMERGE m s2 big"), ok());
    let bytes = value(&e, "m");
    assert_eq!(
        (bytes.len(), fnv(&bytes)),
        (DENSE_LEN, 0x9fb8_15be_fb0a_1ea7)
    );
    assert_eq!(read(&e, 0, "PFCOUNT m"), int(2982));
    assert_eq!(apply(&mut e, 0, "PFMERGE m2 s2 h"), ok());
    assert_eq!(
        value(&e, "m2"),
        hex("48594c4c01000000000000000000008060f38050b18448ab88434e8042508408")
    );
    assert_eq!(read(&e, 0, "PFCOUNT m2"), int(5));
    // The destination is a source too, and keeps its deadline.
    apply(&mut e, 0, "PEXPIRE m2 100");
    assert_eq!(apply(&mut e, 0, "PFMERGE m2 nope"), ok());
    assert_eq!(read(&e, 0, "PFCOUNT m2"), int(5));
    assert_eq!(read(&e, 0, "PTTL m2"), int(100));
    assert_eq!(apply(&mut e, 0, "PFMERGE empty"), ok());
    assert_eq!(value(&e, "empty"), hex(EMPTY));
}

#[test]
fn hll_type_errors() {
    let mut e = Engine::new();
    apply(&mut e, 0, "RPUSH l x");
    apply(&mut e, 0, "SET s not-an-hll-at-all");
    apply(&mut e, 0, "PFADD h a");
    // Shape checks: header, encoding, dense length.
    let mut dense_short = new_hll();
    dense_short[4] = DENSE;
    set_bytes(&mut e, "d", &dense_short);
    let mut bad_encoding = new_hll();
    bad_encoding[4] = 2;
    set_bytes(&mut e, "e", &bad_encoding);
    set_bytes(&mut e, "short", b"HYLL");
    for (line, reply) in [
        ("PFADD l a", WRONGTYPE),
        ("PFADD s a", NOT_HLL),
        ("PFCOUNT l", WRONGTYPE),
        ("PFCOUNT s", NOT_HLL),
        ("PFCOUNT h s", NOT_HLL),
        ("PFCOUNT h l", WRONGTYPE),
        ("PFMERGE h s", NOT_HLL),
        ("PFMERGE s h", NOT_HLL),
        ("PFMERGE l h", WRONGTYPE),
        ("PFCOUNT d", NOT_HLL),
        ("PFADD e x", NOT_HLL),
        ("PFCOUNT short", NOT_HLL),
    ] {
        let reply_to = if line.starts_with("PFCOUNT") {
            read(&e, 0, line)
        } else {
            apply(&mut e, 0, line)
        };
        assert_eq!(show(&reply_to), reply, "{line}");
    }
}

#[test]
fn corrupt_sparse_hlls_are_reported() {
    let mut e = Engine::new();
    let corrupt = err(CORRUPTED);
    // Stale cache, opcodes covering fewer than 16384 registers.
    let mut short = new_hll();
    short.truncate(HEADER_LEN);
    short.extend_from_slice(&[0x7f, 0x7f, 0x3f]);
    invalidate_cache(&mut short);
    set_bytes(&mut e, "c", &short);
    assert_eq!(read(&e, 0, "PFCOUNT c"), corrupt);
    assert_eq!(read(&e, 0, "PFCOUNT c nope"), corrupt);
    assert_eq!(apply(&mut e, 0, "PFMERGE m c"), corrupt);
    // An element past the covered registers cannot be set.
    let mut tiny = short.clone();
    tiny.truncate(HEADER_LEN);
    tiny.push(0x00);
    set_bytes(&mut e, "t", &tiny);
    assert_eq!(apply(&mut e, 0, "PFADD t a"), corrupt);
    // A valid cache is trusted as Redis trusts it.
    let mut cached = short.clone();
    cached[8] = 5;
    cached[15] = 0;
    set_bytes(&mut e, "k", &cached);
    assert_eq!(read(&e, 0, "PFCOUNT k"), int(5));
    // Too many registers: promotion fails.
    let mut long = new_hll();
    long.extend_from_slice(&[0x7f, 0xff]);
    set_bytes(&mut e, "long", &long);
    let mut command = c("PFADD long");
    command.extend((0..2000).map(|i| format!("x{i}").into_bytes()));
    assert_eq!(apply(&mut e, 0, command), corrupt);
}

#[test]
fn murmur_and_estimator_basics() {
    assert_eq!(murmur64a(b"", 0), 0);
    let (index, run) = pattern(b"a");
    assert!(index < REGISTERS && (1..=51).contains(&run));
    let mut empty = [0u32; 64];
    empty[0] = REGISTERS as u32;
    assert_eq!(estimate(&empty), 0);
    assert_eq!(count(&new_hll()), Ok(0));
    assert!(is_hll(&new_hll()));
    assert_eq!(tau(0.0), 0.0);
    assert_eq!(sigma(1.0), f64::INFINITY);
    // Dense register packing round-trips at every bit alignment.
    let mut registers = vec![0u8; DENSE_LEN - HEADER_LEN];
    for index in [0, 1, 2, 3, 4, 5, 16382, 16383] {
        dense_set(&mut registers, index, 63 - index as u8 % 7);
        assert_eq!(dense_get(&registers, index), 63 - index as u8 % 7);
    }
    assert_eq!(dense_get(&registers, 6), 0);
}

#[test]
fn pfadd_and_pfmerge_notify_pfadd() {
    let mut e = Engine::new();
    listen(&mut e, "E$");
    check_notified(
        &mut e,
        1000,
        &[
            ("PFADD h a b", &["pfadd h"]),
            ("PFADD h a", &[]),
            ("PFADD h2", &["pfadd h2"]),
            ("PFADD h2", &[]),
            ("PFMERGE h3 h h2", &["pfadd h3"]),
            ("PFCOUNT h h3", &[]),
        ],
    );
}

#[test]
fn pfselftest_answers_ok_and_is_an_admin_command_like_redis() {
    let e = Engine::new();
    assert_eq!(read(&e, 0, "PFSELFTEST"), ok());
    assert_eq!(
        read(&e, 0, "PFSELFTEST x"),
        err("ERR wrong number of arguments for 'pfselftest' command")
    );
    let categories = |category: &str| {
        let listed = show(&read(&e, 0, format!("ACL CAT {category}").as_str()));
        listed
            .trim_matches(['[', ']'])
            .split(' ')
            .any(|name| name == "pfselftest")
    };
    // @hyperloglog @admin @slow @dangerous, and no @read, as in Redis 7.0.
    let expected = [
        ("hyperloglog", true),
        ("admin", true),
        ("dangerous", true),
        ("slow", true),
        ("read", false),
    ];
    for (category, listed) in expected {
        assert_eq!(categories(category), listed, "{category}");
    }
}

#[test]
fn pfdebug_reads_and_converts_as_redis() {
    let mut e = Engine::default();
    apply(&mut e, 0, "PFADD hl a b c");
    check(
        &mut e,
        0,
        &[
            ("PFDEBUG ENCODING hl", "+sparse"),
            (
                "PFDEBUG DECODE hl",
                "\"Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603\"",
            ),
            ("PFDEBUG TODENSE hl", ":1"),
            ("PFDEBUG ENCODING hl", "+dense"),
            ("PFDEBUG TODENSE hl", ":0"),
            ("PFDEBUG DECODE hl", "ERR HLL encoding is not sparse"),
            ("PFCOUNT hl", ":3"),
            (
                "PFDEBUG NOSUCH hl",
                "ERR Unknown PFDEBUG subcommand 'NOSUCH'",
            ),
            (
                "PFDEBUG NOSUCH nokey",
                "ERR The specified key does not exist",
            ),
            (
                "PFDEBUG ENCODING",
                "ERR wrong number of arguments for 'pfdebug' command",
            ),
            ("SET s hello", "+OK"),
            ("PFDEBUG ENCODING s", NOT_HLL),
            ("RPUSH l a", ":1"),
            ("PFDEBUG ENCODING l", WRONGTYPE),
        ],
    );
    apply(&mut e, 0, "PFADD g a");
    let Reply::Array(registers) = apply(&mut e, 0, "PFDEBUG GETREG g") else {
        panic!("GETREG answers an array");
    };
    assert_eq!(registers.len(), REGISTERS);
    let set: Vec<usize> = (0..REGISTERS)
        .filter(|&i| registers[i] != Reply::Integer(0))
        .collect();
    let (index, count) = pattern(b"a");
    assert_eq!(set, vec![index]);
    assert_eq!(registers[index], Reply::Integer(count.into()));
    assert_eq!(show(&apply(&mut e, 0, "PFDEBUG ENCODING g")), "+dense");
    assert_eq!(show(&apply(&mut e, 0, "OBJECT ENCODING s")), "embstr");
}
