use super::commands::{BAD_BIT, BAD_OFFSET, BAD_TYPE};
use super::value::*;
use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::{Reply, WRONGTYPE};
use crate::testutil::{apply, bulk, err, int, ok, read};
use crate::Engine;

/// An engine with a list at `l` (for WRONGTYPE) and `k` = "foobar".
fn engine() -> Engine {
    let mut e = Engine::new();
    apply(&mut e, 0, "RPUSH l x");
    apply(&mut e, 0, "SET k foobar");
    e
}

fn set_bytes(e: &mut Engine, key: &str, bytes: &[u8]) {
    assert_eq!(
        apply(e, 0, vec![b"SET".to_vec(), key.into(), bytes.into()]),
        ok()
    );
}

fn ints(values: &[i64]) -> Reply {
    Reply::Array(values.iter().map(|v| int(*v)).collect())
}

/// Checks each (read-only command line, reply) pair.
fn reads(e: &Engine, cases: &[(&str, Reply)]) {
    for (line, expected) in cases {
        assert_eq!(&read(e, 0, *line), expected, "{line}");
    }
}

#[test]
fn setbit_and_getbit() {
    let mut e = engine();
    for (line, old) in [
        ("SETBIT b 7 1", 0),
        ("SETBIT b 7 0", 1),
        ("SETBIT b 12 1", 0),
    ] {
        assert_eq!(apply(&mut e, 0, line), int(old), "{line}");
    }
    let cases = [
        ("GET b", Reply::bulk(vec![0x00, 0x08])),
        ("GETBIT b 12", int(1)),
        ("GETBIT b 11", int(0)),
        ("GETBIT b 4294967295", int(0)),
        ("GETBIT nope 3", int(0)),
    ];
    reads(&e, &cases);
    // The deadline is kept.
    apply(&mut e, 0, "PEXPIRE b 100");
    assert_eq!(apply(&mut e, 0, "SETBIT b 0 1"), int(0));
    let cases = [
        ("PTTL b", int(100)),
        ("GET b", Reply::bulk(vec![0x80, 0x08])),
    ];
    reads(&e, &cases);
}

#[test]
fn setbit_and_getbit_errors() {
    let mut e = engine();
    for bad in ["-1", "4294967296", "x", "1.5", "+1", "#1", ""] {
        let offset = err(BAD_OFFSET);
        assert_eq!(
            apply(&mut e, 0, &["SETBIT", "n", bad, "1"]),
            offset,
            "{bad}"
        );
        assert_eq!(read(&e, 0, &["GETBIT", "n", bad]), offset, "{bad}");
    }
    for bad in ["2", "-1", "x", ""] {
        assert_eq!(apply(&mut e, 0, &["SETBIT", "n", "0", bad]), err(BAD_BIT));
    }
    // The offset is checked before the bit.
    assert_eq!(apply(&mut e, 0, "SETBIT n -1 2"), err(BAD_OFFSET));
    assert_eq!(apply(&mut e, 0, "SETBIT l 0 1"), err(WRONGTYPE));
    reads(&e, &[("GETBIT l 0", err(WRONGTYPE)), ("EXISTS n", int(0))]);
}

#[test]
fn bitcount_bytes_and_bits() {
    let mut e = engine();
    set_bytes(&mut e, "empty", b"");
    let cases = [
        ("BITCOUNT k", int(26)),
        ("BITCOUNT k 1 1", int(6)),
        ("BITCOUNT k 5 30 BIT", int(17)),
        ("BITCOUNT k 5 30 bit", int(17)),
        ("BITCOUNT k 0 0 BYTE", int(4)),
        ("BITCOUNT k -1 -2", int(0)),
        ("BITCOUNT k -100 100", int(26)),
        ("BITCOUNT k 1 1 BIT", int(1)),
        ("BITCOUNT k 47 -1 BIT", int(0)),
        ("BITCOUNT empty", int(0)),
        ("BITCOUNT empty 0 -1 BIT", int(0)),
        ("BITCOUNT nope", int(0)),
        ("BITCOUNT k 0", err(SYNTAX_ERROR)),
        ("BITCOUNT k 0 1 BOTH", err(SYNTAX_ERROR)),
        ("BITCOUNT k 0 1 BIT x", err(SYNTAX_ERROR)),
        ("BITCOUNT k x 1", err(NOT_INTEGER)),
        ("BITCOUNT k 0 x BOTH", err(NOT_INTEGER)),
        ("BITCOUNT k -1 -2 BOTH", int(0)),
        ("BITCOUNT k -2 -1 BOTH", err(SYNTAX_ERROR)),
        // Redis 7.0 answers 0 for a missing key before looking at the range.
        ("BITCOUNT nope a b", int(0)),
        ("BITCOUNT nope 0", int(0)),
        ("BITCOUNT l", err(WRONGTYPE)),
        ("BITCOUNT l x", err(WRONGTYPE)),
    ];
    reads(&e, &cases);
}

#[test]
fn bitpos_bytes_and_bits() {
    let mut e = engine();
    set_bytes(&mut e, "f", &[0xff, 0xff]);
    set_bytes(&mut e, "z", &[0x00, 0x00]);
    set_bytes(&mut e, "empty", b"");
    let cases = [
        ("BITPOS k 0", int(0)),
        ("BITPOS k 1", int(1)),
        ("BITPOS k 1 2", int(17)),
        ("BITPOS k 1 7 15 BIT", int(9)),
        ("BITPOS k 0 0 -1 BIT", int(0)),
        ("BITPOS f 0", int(16)),
        ("BITPOS f 0 1", int(16)),
        ("BITPOS f 0 0 -1", int(-1)),
        ("BITPOS f 0 3 9 BIT", int(-1)),
        ("BITPOS f 1 3 9 bit", int(3)),
        ("BITPOS z 1", int(-1)),
        ("BITPOS z 0 9 -1 BIT", int(9)),
        ("BITPOS z 1 5 2", int(-1)),
        ("BITPOS empty 0", int(-1)),
        ("BITPOS nope 0", int(0)),
        ("BITPOS nope 1", int(-1)),
        ("BITPOS nope 1 x", int(-1)),
        ("BITPOS k 2", err("ERR The bit argument must be 1 or 0.")),
        ("BITPOS k x", err(NOT_INTEGER)),
        ("BITPOS k 1 x", err(NOT_INTEGER)),
        ("BITPOS k 1 0 x", err(NOT_INTEGER)),
        // The unit is read before the end.
        ("BITPOS k 1 0 x y", err(SYNTAX_ERROR)),
        ("BITPOS k 1 0 5 BAD", err(SYNTAX_ERROR)),
        ("BITPOS k 1 0 5 BIT x", err(SYNTAX_ERROR)),
        ("BITPOS l 1", err(WRONGTYPE)),
    ];
    reads(&e, &cases);
}

#[test]
fn bitop_combines_pads_and_deletes() {
    let mut e = engine();
    set_bytes(&mut e, "b", &[0xff, 0x0f]);
    for (line, len, result) in [
        ("BITOP AND d k b", 6, &[b'f', b'o' & 0x0f, 0, 0, 0, 0][..]),
        ("BITOP or d b nope", 2, &[0xff, 0x0f]),
        ("BITOP XOR d b b", 2, &[0, 0]),
    ] {
        assert_eq!(apply(&mut e, 0, line), int(len), "{line}");
        assert_eq!(read(&e, 0, "GET d"), Reply::bulk(result), "{line}");
    }
    // The result replaces the destination, deadline included.
    apply(&mut e, 0, "PEXPIRE d 100");
    assert_eq!(apply(&mut e, 0, "BITOP NOT d b"), int(2));
    let cases = [
        ("GET d", Reply::bulk(vec![0x00, 0xf0])),
        ("PTTL d", int(-1)),
    ];
    reads(&e, &cases);
    for (line, reply) in [
        // An empty result deletes the destination.
        ("BITOP NOT d nope", int(0)),
        ("EXISTS d", int(0)),
        (
            "BITOP NOT d k b",
            err("ERR BITOP NOT must be called with a single source key."),
        ),
        ("BITOP NAND d k", err(SYNTAX_ERROR)),
        ("BITOP AND d k l", err(WRONGTYPE)),
        // The destination's type does not matter: it is replaced.
        ("BITOP AND l k", int(6)),
        ("GET l", bulk("foobar")),
    ] {
        assert_eq!(apply(&mut e, 0, line), reply, "{line}");
    }
}

#[test]
fn bitfield_matches_redis_transcript() {
    let mut e = Engine::new();
    for (line, reply) in [
        ("BITFIELD bf SET i8 0 -100 INCRBY i8 0 -100", ints(&[0, 56])),
        (
            "BITFIELD bf OVERFLOW SAT INCRBY i8 0 -100 OVERFLOW FAIL INCRBY i8 0 -100 GET u4 0",
            Reply::Array(vec![int(-44), Reply::Nil, int(13)]),
        ),
        ("BITFIELD bf SET u8 #1 256 GET u8 8", ints(&[0, 0])),
        (
            "BITFIELD bf INCRBY u2 100 1 overflow sat incrby u2 102 1 OVERFLOW WRAP \
             INCRBY i64 0 9223372036854775807 INCRBY i64 0 9223372036854775807",
            ints(&[1, 1, 6052837899185946623, -3170534137668829186]),
        ),
        ("BITFIELD x GET i64 3", ints(&[0])),
        ("EXISTS x", int(0)),
        (
            "BITFIELD x OVERFLOW FAIL SET u2 0 7",
            Reply::Array(vec![Reply::Nil]),
        ),
        // Created even though FAIL refused the write.
        ("EXISTS x", int(1)),
        ("BITFIELD bf", ints(&[])),
        ("BITFIELD nope", ints(&[])),
        ("EXISTS nope", int(0)),
        (
            "BITFIELD bf SET u8 0 -1 OVERFLOW SAT SET u8 8 -1 SET i8 16 200 \
             OVERFLOW FAIL SET i4 24 8 GET u32 0",
            Reply::Array(vec![
                int(211),
                int(255),
                int(-1),
                Reply::Nil,
                int(4294934527),
            ]),
        ),
    ] {
        assert_eq!(apply(&mut e, 0, line), reply, "{line}");
    }
    assert_eq!(
        read(&e, 0, "BITFIELD_RO bf GET u8 0 GET i4 4"),
        ints(&[255, -1])
    );
}

#[test]
fn bitfield_overflow_edges() {
    let mut e = Engine::new();
    let (min, max) = (i64::MIN, i64::MAX);
    for (line, reply) in [
        (
            "BITFIELD k SET u63 0 9223372036854775807 INCRBY u63 0 1",
            ints(&[0, 0]),
        ),
        ("BITFIELD k OVERFLOW SAT INCRBY u63 0 -1", ints(&[0])),
        (
            "BITFIELD k OVERFLOW SAT INCRBY i64 0 -9223372036854775808 INCRBY i64 0 -1",
            ints(&[min, min]),
        ),
        ("BITFIELD k INCRBY i64 0 -1", ints(&[max])),
        (
            "BITFIELD k OVERFLOW SAT INCRBY i64 0 1 INCRBY i1 64 -1 INCRBY i1 64 -1",
            ints(&[max, -1, -1]),
        ),
        (
            "BITFIELD k OVERFLOW WRAP INCRBY i1 64 -1 INCRBY u1 64 3",
            ints(&[0, 1]),
        ),
    ] {
        assert_eq!(apply(&mut e, 0, line), reply, "{line}");
    }
}

#[test]
fn bitfield_errors() {
    let mut e = engine();
    apply(&mut e, 0, "SET k v");
    for ty in [
        "u64", "i65", "u0", "i0", "x8", "", "i", "u-1", "i08", "I8", "U8",
    ] {
        let reply = apply(&mut e, 0, &["BITFIELD", "k", "GET", ty, "0"]);
        assert_eq!(reply, err(BAD_TYPE), "{ty}");
    }
    for off in ["-1", "x", "#", "#-1", "4294967296", "#536870912"] {
        let reply = apply(&mut e, 0, &["BITFIELD", "k", "GET", "u8", off]);
        assert_eq!(reply, err(BAD_OFFSET), "{off}");
    }
    for (line, reply) in [
        ("BITFIELD k GET i8 0 GET u63 0", ints(&[118, 0x76 << 55])),
        ("BITFIELD k SET u8 0 x", err(NOT_INTEGER)),
        (
            "BITFIELD k OVERFLOW foo",
            err("ERR Invalid OVERFLOW type specified"),
        ),
        // A subcommand short of arguments is a syntax error before its type is read.
        ("BITFIELD k GET u8", err(SYNTAX_ERROR)),
        ("BITFIELD k SET x8 0", err(SYNTAX_ERROR)),
        ("BITFIELD k OVERFLOW", err(SYNTAX_ERROR)),
        ("BITFIELD k FOO u8 0", err(SYNTAX_ERROR)),
        // Parsing ends before any write: nothing happened.
        ("BITFIELD k SET u8 0 1 GET u65 0", err(BAD_TYPE)),
        ("GET k", bulk("v")),
        ("BITFIELD l GET u8 0", err(WRONGTYPE)),
        ("BITFIELD l SET u8 0 1", err(WRONGTYPE)),
        ("BITFIELD l", err(WRONGTYPE)),
    ] {
        assert_eq!(apply(&mut e, 0, line), reply, "{line}");
    }
    let cases = [
        ("BITFIELD_RO l GET u8 0", err(WRONGTYPE)),
        (
            "BITFIELD_RO k SET u8 0 1 GET u8 0",
            err("ERR BITFIELD_RO only supports the GET subcommand"),
        ),
        ("BITFIELD_RO k SET u8 0 1 GET x 0", err(BAD_TYPE)),
        ("BITFIELD_RO nope GET u8 0", ints(&[0])),
    ];
    reads(&e, &cases);
}

#[test]
fn overflow_helpers_follow_redis() {
    use Overflow::{Fail, Sat, Wrap};
    for (value, incr, bits, how, expected) in [
        (255, 1, 8, Wrap, Some(0)),
        (255, 1, 8, Sat, Some(255)),
        (0, -1, 8, Sat, Some(0)),
        (0, -1, 8, Wrap, Some(255)),
        (3, -3, 8, Wrap, None),
    ] {
        assert_eq!(unsigned_overflow(value, incr, bits, how), expected);
    }
    for (value, incr, bits, how, expected) in [
        (127, 1, 8, Wrap, Some(-128)),
        (-128, -1, 8, Sat, Some(-128)),
        (i64::MAX, 1, 64, Wrap, Some(i64::MIN)),
        (-5, 5, 64, Fail, None),
    ] {
        assert_eq!(signed_overflow(value, incr, bits, how), expected);
    }
    assert_eq!(bit_op(BitOp::Not, &[&[0x0f]]), vec![0xf0]);
    assert_eq!(find_bit(&[0, 0, 1], 1, 0, 23), Some(23));
    assert_eq!(count_bits(&[0xff, 0xff], 3, 12), 10);
}
