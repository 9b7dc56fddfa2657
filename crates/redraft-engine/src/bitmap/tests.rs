use super::commands::{BAD_BIT, BAD_OFFSET, BAD_TYPE};
use super::value::*;
use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::{Reply, WRONGTYPE};
use crate::testutil::{apply, check, check_notified, err, int, listen, ok, read, show};
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

/// Checks each (read-only command line, reply as [`show`] writes it) pair.
fn reads(e: &Engine, cases: &[(&str, &str)]) {
    for (line, expected) in cases {
        assert_eq!(show(&read(e, 0, *line)), *expected, "{line}");
    }
}

#[test]
fn setbit_and_getbit() {
    let mut e = engine();
    let cases = [
        ("SETBIT b 7 1", ":0"),
        ("SETBIT b 7 0", ":1"),
        ("SETBIT b 12 1", ":0"),
    ];
    check(&mut e, 0, &cases);
    let cases = [
        ("GET b", r#""\x00\x08""#),
        ("GETBIT b 12", ":1"),
        ("GETBIT b 11", ":0"),
        ("GETBIT b 4294967295", ":0"),
        ("GETBIT nope 3", ":0"),
    ];
    reads(&e, &cases);
    // The deadline is kept.
    apply(&mut e, 0, "PEXPIRE b 100");
    check(&mut e, 0, &[("SETBIT b 0 1", ":0")]);
    reads(&e, &[("PTTL b", ":100")]);
    // Not UTF-8, which `show` does not keep: compared as bytes.
    assert_eq!(read(&e, 0, "GET b"), Reply::bulk(vec![0x80, 0x08]));
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
    let cases = [
        // The offset is checked before the bit.
        ("SETBIT n -1 2", BAD_OFFSET),
        ("SETBIT l 0 1", WRONGTYPE),
    ];
    check(&mut e, 0, &cases);
    reads(&e, &[("GETBIT l 0", WRONGTYPE), ("EXISTS n", ":0")]);
}

#[test]
fn bitcount_bytes_and_bits() {
    let mut e = engine();
    set_bytes(&mut e, "empty", b"");
    let cases = [
        ("BITCOUNT k", ":26"),
        ("BITCOUNT k 1 1", ":6"),
        ("BITCOUNT k 5 30 BIT", ":17"),
        ("BITCOUNT k 5 30 bit", ":17"),
        ("BITCOUNT k 0 0 BYTE", ":4"),
        ("BITCOUNT k -1 -2", ":0"),
        ("BITCOUNT k -100 100", ":26"),
        ("BITCOUNT k 1 1 BIT", ":1"),
        ("BITCOUNT k 47 -1 BIT", ":0"),
        ("BITCOUNT empty", ":0"),
        ("BITCOUNT empty 0 -1 BIT", ":0"),
        ("BITCOUNT nope", ":0"),
        ("BITCOUNT k 0", SYNTAX_ERROR),
        ("BITCOUNT k 0 1 BOTH", SYNTAX_ERROR),
        ("BITCOUNT k 0 1 BIT x", SYNTAX_ERROR),
        ("BITCOUNT k x 1", NOT_INTEGER),
        ("BITCOUNT k 0 x BOTH", NOT_INTEGER),
        ("BITCOUNT k -1 -2 BOTH", ":0"),
        ("BITCOUNT k -2 -1 BOTH", SYNTAX_ERROR),
        // Redis 7.0 answers 0 for a missing key before looking at the range.
        ("BITCOUNT nope a b", ":0"),
        ("BITCOUNT nope 0", ":0"),
        ("BITCOUNT l", WRONGTYPE),
        ("BITCOUNT l x", WRONGTYPE),
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
        ("BITPOS k 0", ":0"),
        ("BITPOS k 1", ":1"),
        ("BITPOS k 1 2", ":17"),
        ("BITPOS k 1 7 15 BIT", ":9"),
        ("BITPOS k 0 0 -1 BIT", ":0"),
        ("BITPOS f 0", ":16"),
        ("BITPOS f 0 1", ":16"),
        ("BITPOS f 0 0 -1", ":-1"),
        ("BITPOS f 0 3 9 BIT", ":-1"),
        ("BITPOS f 1 3 9 bit", ":3"),
        ("BITPOS z 1", ":-1"),
        ("BITPOS z 0 9 -1 BIT", ":9"),
        ("BITPOS z 1 5 2", ":-1"),
        ("BITPOS empty 0", ":-1"),
        ("BITPOS nope 0", ":0"),
        ("BITPOS nope 1", ":-1"),
        ("BITPOS nope 1 x", ":-1"),
        ("BITPOS k 2", "ERR The bit argument must be 1 or 0."),
        ("BITPOS k x", NOT_INTEGER),
        ("BITPOS k 1 x", NOT_INTEGER),
        ("BITPOS k 1 0 x", NOT_INTEGER),
        // The unit is read before the end.
        ("BITPOS k 1 0 x y", SYNTAX_ERROR),
        ("BITPOS k 1 0 5 BAD", SYNTAX_ERROR),
        ("BITPOS k 1 0 5 BIT x", SYNTAX_ERROR),
        ("BITPOS l 1", WRONGTYPE),
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
    check(&mut e, 0, &[("BITOP NOT d b", ":2")]);
    // Not UTF-8, which `show` does not keep: compared as bytes.
    assert_eq!(read(&e, 0, "GET d"), Reply::bulk(vec![0x00, 0xf0]));
    reads(&e, &[("PTTL d", ":-1")]);
    let cases = [
        // An empty result deletes the destination.
        ("BITOP NOT d nope", ":0"),
        ("EXISTS d", ":0"),
        (
            "BITOP NOT d k b",
            "ERR BITOP NOT must be called with a single source key.",
        ),
        ("BITOP NAND d k", SYNTAX_ERROR),
        ("BITOP AND d k l", WRONGTYPE),
        // The destination's type does not matter: it is replaced.
        ("BITOP AND l k", ":6"),
        ("GET l", "foobar"),
    ];
    check(&mut e, 0, &cases);
}

#[test]
fn bitfield_matches_redis_transcript() {
    let mut e = Engine::new();
    let cases = [
        ("BITFIELD bf SET i8 0 -100 INCRBY i8 0 -100", "[:0 :56]"),
        (
            "BITFIELD bf OVERFLOW SAT INCRBY i8 0 -100 OVERFLOW FAIL INCRBY i8 0 -100 GET u4 0",
            "[:-44 (nil) :13]",
        ),
        ("BITFIELD bf SET u8 #1 256 GET u8 8", "[:0 :0]"),
        (
            "BITFIELD bf INCRBY u2 100 1 overflow sat incrby u2 102 1 OVERFLOW WRAP \
             INCRBY i64 0 9223372036854775807 INCRBY i64 0 9223372036854775807",
            "[:1 :1 :6052837899185946623 :-3170534137668829186]",
        ),
        ("BITFIELD x GET i64 3", "[:0]"),
        ("EXISTS x", ":0"),
        ("BITFIELD x OVERFLOW FAIL SET u2 0 7", "[(nil)]"),
        // Created even though FAIL refused the write.
        ("EXISTS x", ":1"),
        ("BITFIELD bf", "[]"),
        ("BITFIELD nope", "[]"),
        ("EXISTS nope", ":0"),
        (
            "BITFIELD bf SET u8 0 -1 OVERFLOW SAT SET u8 8 -1 SET i8 16 200 \
             OVERFLOW FAIL SET i4 24 8 GET u32 0",
            "[:211 :255 :-1 (nil) :4294934527]",
        ),
    ];
    check(&mut e, 0, &cases);
    reads(&e, &[("BITFIELD_RO bf GET u8 0 GET i4 4", "[:255 :-1]")]);
}

#[test]
fn bitfield_overflow_edges() {
    let mut e = Engine::new();
    let cases = [
        (
            "BITFIELD k SET u63 0 9223372036854775807 INCRBY u63 0 1",
            "[:0 :0]",
        ),
        ("BITFIELD k OVERFLOW SAT INCRBY u63 0 -1", "[:0]"),
        (
            "BITFIELD k OVERFLOW SAT INCRBY i64 0 -9223372036854775808 INCRBY i64 0 -1",
            "[:-9223372036854775808 :-9223372036854775808]",
        ),
        ("BITFIELD k INCRBY i64 0 -1", "[:9223372036854775807]"),
        (
            "BITFIELD k OVERFLOW SAT INCRBY i64 0 1 INCRBY i1 64 -1 INCRBY i1 64 -1",
            "[:9223372036854775807 :-1 :-1]",
        ),
        (
            "BITFIELD k OVERFLOW WRAP INCRBY i1 64 -1 INCRBY u1 64 3",
            "[:0 :1]",
        ),
    ];
    check(&mut e, 0, &cases);
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
    let cases = [
        // 0x76 << 55 for the second.
        (
            "BITFIELD k GET i8 0 GET u63 0",
            "[:118 :4251398048237748224]",
        ),
        ("BITFIELD k SET u8 0 x", NOT_INTEGER),
        (
            "BITFIELD k OVERFLOW foo",
            "ERR Invalid OVERFLOW type specified",
        ),
        // A subcommand short of arguments is a syntax error before its type is read.
        ("BITFIELD k GET u8", SYNTAX_ERROR),
        ("BITFIELD k SET x8 0", SYNTAX_ERROR),
        ("BITFIELD k OVERFLOW", SYNTAX_ERROR),
        ("BITFIELD k FOO u8 0", SYNTAX_ERROR),
        // Parsing ends before any write: nothing happened.
        ("BITFIELD k SET u8 0 1 GET u65 0", BAD_TYPE),
        ("GET k", "v"),
        ("BITFIELD l GET u8 0", WRONGTYPE),
        ("BITFIELD l SET u8 0 1", WRONGTYPE),
        ("BITFIELD l", WRONGTYPE),
    ];
    check(&mut e, 0, &cases);
    let cases = [
        ("BITFIELD_RO l GET u8 0", WRONGTYPE),
        (
            "BITFIELD_RO k SET u8 0 1 GET u8 0",
            "ERR BITFIELD_RO only supports the GET subcommand",
        ),
        ("BITFIELD_RO k SET u8 0 1 GET x 0", BAD_TYPE),
        ("BITFIELD_RO nope GET u8 0", "[:0]"),
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

#[test]
fn bit_commands_notify_setbit_only_when_something_changed() {
    let mut e = Engine::new();
    listen(&mut e, "E$g");
    check_notified(
        &mut e,
        1000,
        &[
            ("SETBIT b 7 1", &["setbit b"]),
            ("SETBIT b 7 1", &[]),
            ("SETBIT b 7 0", &["setbit b"]),
            ("SETBIT b 7 0", &[]),
            // Growing the string is a change, even by zeros.
            ("SETBIT b 100 0", &["setbit b"]),
            ("BITFIELD b GET u8 0", &[]),
            ("BITFIELD b SET u8 0 0", &[]),
            ("BITFIELD b SET u8 0 255 INCRBY u8 8 0", &["setbit b"]),
            ("BITFIELD b OVERFLOW FAIL INCRBY u8 0 1", &[]),
            ("BITFIELD b OVERFLOW FAIL INCRBY u8 200 1", &["setbit b"]),
            // Created, but the only write refused: no change to notify.
            ("BITFIELD c OVERFLOW FAIL INCRBY u8 0 256", &[]),
            ("BITOP NOT d b", &["set d"]),
            ("BITOP AND d none", &["del d"]),
            ("BITOP AND d none", &[]),
            ("BITCOUNT b", &[]),
        ],
    );
}
