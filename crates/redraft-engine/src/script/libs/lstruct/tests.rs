//! The struct library's tests: outputs recorded from redis-server 7.0's EVAL.

use super::super::testing::check_cases;

#[test]
fn struct_matches_redis() {
    check_cases(CASES);
}

// Recorded from redis-server 7.0 by EVAL (`hex` shows packed bytes).
const CASES: &[(&str, &str)] = &[
    (r#"hex(struct.pack(">i", 1))"#, r#"true "00000001""#),
    (r#"hex(struct.pack("<i", 1))"#, r#"true "01000000""#),
    (r#"hex(struct.pack("i", -2))"#, r#"true "feffffff""#),
    (
        r#"hex(struct.pack(">bBhHlLT", -1, 255, -2, 65535, -3, 4, 5))"#,
        r#"true "fffffffefffffffffffffffffffd00000000000000040000000000000005""#,
    ),
    (r#"hex(struct.pack(">i3", 0x123456))"#, r#"true "123456""#),
    (r#"hex(struct.pack("<i3", -1))"#, r#"true "ffffff""#),
    (r#"hex(struct.pack(">I1", 255))"#, r#"true "ff""#),
    (
        r#"hex(struct.pack(">i16", -1))"#,
        r#"true "0000000000000000ffffffffffffffff""#,
    ),
    (
        r#"hex(struct.pack(">i17", 1))"#,
        r#"true "0000000000000000000000000000000001""#,
    ),
    (r#"hex(struct.pack(">i0", 1))"#, r#"true """#),
    (r#"hex(struct.pack("b", 128))"#, r#"true "80""#),
    (r#"hex(struct.pack("b", 2^40 + 5))"#, r#"true "05""#),
    (r#"hex(struct.pack("B", -1))"#, r#"true "ff""#),
    (r#"hex(struct.pack("b", 1.9))"#, r#"true "01""#),
    (r#"hex(struct.pack("b", -1.9))"#, r#"true "ff""#),
    (r#"hex(struct.pack(">f", 1.5))"#, r#"true "3fc00000""#),
    (
        r#"hex(struct.pack("<d", 1.5))"#,
        r#"true "000000000000f83f""#,
    ),
    (
        r#"hex(struct.pack(">d", 1/3))"#,
        r#"true "3fd5555555555555""#,
    ),
    (r#"hex(struct.pack("s", "abc"))"#, r#"true "61626300""#),
    (r#"hex(struct.pack("c3", "abcdef"))"#, r#"true "616263""#),
    (r#"hex(struct.pack("c0", "abc"))"#, r#"true "616263""#),
    (
        r#"hex(struct.pack("c5", "ab"))"#,
        r#"false "user_script:26: bad argument #3 to 'pack' (string too short)""#,
    ),
    (r#"hex(struct.pack("c", "xy"))"#, r#"true "78""#),
    (r#"hex(struct.pack("x"))"#, r#"true "00""#),
    (r#"hex(struct.pack("bxb", 1, 2))"#, r#"true "010002""#),
    (
        r#"hex(struct.pack("!4 b i", 1, 2))"#,
        r#"true "0100000002000000""#,
    ),
    (
        r#"hex(struct.pack("!b d", 1, 2))"#,
        r#"true "01000000000000000000000000000040""#,
    ),
    (
        r#"hex(struct.pack("!2 b i b h", 1, 2, 3, 4))"#,
        r#"true "01000200000003000400""#,
    ),
    (
        r#"hex(struct.pack("!3 b i", 1, 2))"#,
        r#"false "user_script:26: alignment 3 is not a power of 2""#,
    ),
    (
        r#"hex(struct.pack("!16 b i", 1, 2))"#,
        r#"true "0100000002000000""#,
    ),
    (
        r#"hex(struct.pack("!17 b i", 1, 2))"#,
        r#"false "user_script:26: alignment 17 is not a power of 2""#,
    ),
    (
        r#"hex(struct.pack("! b d", 1, 2))"#,
        r#"true "01000000000000000000000000000040""#,
    ),
    (r#"hex(struct.pack("> b <h", 1, 2))"#, r#"true "010200""#),
    (r#"hex(struct.pack("b", "12"))"#, r#"true "0c""#),
    (
        r#"hex(struct.pack("b", "x"))"#,
        r#"false "user_script:26: bad argument #2 to 'pack' (number expected, got string)""#,
    ),
    (
        r#"hex(struct.pack("b"))"#,
        r#"false "user_script:26: bad argument #2 to 'pack' (number expected, got nil)""#,
    ),
    (r#"hex(struct.pack("s", 12))"#, r#"true "313200""#),
    (
        r#"hex(struct.pack("s", {}))"#,
        r#"false "user_script:26: bad argument #2 to 'pack' (string expected, got table)""#,
    ),
    (
        r#"hex(struct.pack("z", 1))"#,
        r#"false "user_script:26: bad argument #1 to 'pack' (invalid format option 'z')""#,
    ),
    (r#"hex(struct.pack("i", 1, 2))"#, r#"true "01000000""#),
    (r#"hex(struct.pack(""))"#, r#"true """#),
    (
        r#"hex(struct.pack())"#,
        r#"false "user_script:26: bad argument #1 to 'pack' (string expected, got no value)""#,
    ),
    (
        r#"hex(struct.pack("b12", 1))"#,
        r#"false "user_script:26: bad argument #1 to 'pack' (invalid format option '1')""#,
    ),
    (
        r#"hex(struct.pack("i99999999999", 1))"#,
        r#"false "user_script:26: integral size overflow""#,
    ),
    (
        r#"hex(struct.pack("c99999999999", "a"))"#,
        r#"false "user_script:26: integral size overflow""#,
    ),
    (
        r#"hex(struct.pack("c2147483648", "a"))"#,
        r#"false "user_script:26: integral size overflow""#,
    ),
    (
        r#"hex(struct.pack("c4294967297", "abc"))"#,
        r#"false "user_script:26: integral size overflow""#,
    ),
    (r#"hex(struct.pack("s", "a\0b"))"#, r#"true "61006200""#),
    (r#"hex(struct.pack(" b ", 1))"#, r#"true "01""#),
    (r#"struct.unpack(">i", "\0\0\0\1")"#, r#"true 1 5"#),
    (r#"struct.unpack("<i", "\255\255\255\255")"#, r#"true -1 5"#),
    (
        r#"struct.unpack(">I", "\255\255\255\255")"#,
        r#"true 4294967295 5"#,
    ),
    (
        r#"struct.unpack(">bBhHlLT", "\255\255\255\254\255\255\255\255\255\255\255\255\255\253\0\0\0\0\0\0\0\4\0\0\0\0\0\0\0\5")"#,
        r#"true -1 255 -2 65535 -3 4 5 31"#,
    ),
    (r#"struct.unpack(">i3", "\128\0\0")"#, r#"true -8388608 4"#),
    (r#"struct.unpack(">I3", "\128\0\0")"#, r#"true 8388608 4"#),
    (
        r#"struct.unpack(">i8", "\255\255\255\255\255\255\255\255")"#,
        r#"true -1 9"#,
    ),
    (
        r#"struct.unpack(">I8", "\255\255\255\255\255\255\255\255")"#,
        r#"true 1.8446744073709552e+19 9"#,
    ),
    (
        r#"struct.unpack(">i9", "\0\0\0\0\0\0\0\0\1")"#,
        r#"true 1 10"#,
    ),
    (
        r#"struct.unpack(">i9", "\1\0\0\0\0\0\0\0\1")"#,
        r#"true 1 10"#,
    ),
    (
        r#"struct.unpack(">i9", "\255\255\255\255\255\255\255\255\255")"#,
        r#"true -1 10"#,
    ),
    (
        r#"struct.unpack(">I16", string.rep("\0", 15) .. "\7")"#,
        r#"true 7 17"#,
    ),
    (
        r#"struct.unpack(">i", "\0\0\1")"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (
        r#"struct.unpack(">i", "\0\0\0\1", 2)"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (r#"struct.unpack(">i", "\0\0\0\0\1", 2)"#, r#"true 1 6"#),
    (
        r#"struct.unpack(">b", "\1\2", 0)"#,
        r#"false "user_script:26: bad argument #3 to 'unpack' (offset must be 1 or greater)""#,
    ),
    (
        r#"struct.unpack(">b", "\1\2", -1)"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (
        r#"struct.unpack(">b", "\1\2", 3)"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (
        r#"struct.unpack(">b", "\1\2", 4)"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (r#"struct.unpack(">b", "\1\2", 1.5)"#, r#"true 1 2"#),
    (r#"struct.unpack("s", "abc\0def")"#, r#"true "abc" 5"#),
    (
        r#"struct.unpack("s", "abc")"#,
        r#"false "user_script:26: unfinished string in data""#,
    ),
    (r#"struct.unpack("c3", "abcdef")"#, r#"true "abc" 4"#),
    (
        r#"struct.unpack("c0", "abc")"#,
        r#"false "user_script:26: format 'c0' needs a previous size""#,
    ),
    (r#"struct.unpack("bc0", "\3abcdef")"#, r#"true "abc" 5"#),
    (
        r#"struct.unpack("c0", "abc", 2)"#,
        r#"false "user_script:26: format 'c0' needs a previous size""#,
    ),
    (
        r#"struct.unpack("Bc0", "\10abc")"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (
        r#"struct.unpack("c4", "abc")"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (r#"struct.unpack(">f", "\63\192\0\0")"#, r#"true 1.5 5"#),
    (
        r#"struct.unpack("<d", "\0\0\0\0\0\0\248\63")"#,
        r#"true 1.5 9"#,
    ),
    (r#"struct.unpack("bxb", "\1\2\3")"#, r#"true 1 3 4"#),
    (
        r#"struct.unpack("!4 b i", "\1\0\0\0\2\0\0\0")"#,
        r#"true 1 2 9"#,
    ),
    (r#"struct.unpack("", "abc")"#, r#"true 1"#),
    (
        r#"struct.unpack("z", "abc")"#,
        r#"false "user_script:26: bad argument #1 to 'unpack' (invalid format option 'z')""#,
    ),
    (
        r#"struct.unpack("b")"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (string expected, got no value)""#,
    ),
    (
        r#"struct.unpack()"#,
        r#"false "user_script:26: bad argument #1 to 'unpack' (string expected, got no value)""#,
    ),
    (r#"struct.unpack("b", 12)"#, r#"true 49 2"#),
    (
        r#"struct.unpack("b", {})"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (string expected, got table)""#,
    ),
    (
        r#"struct.unpack("b", "")"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (
        r#"struct.unpack("xx", "a")"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (r#"struct.size(">i")"#, r#"true 4"#),
    (r#"struct.size("bhil")"#, r#"true 15"#),
    (r#"struct.size("!bhil")"#, r#"true 16"#),
    (r#"struct.size("!bd")"#, r#"true 16"#),
    (r#"struct.size("c10")"#, r#"true 10"#),
    (
        r#"struct.size("s")"#,
        r#"false "user_script:26: bad argument #1 to 'size' (option 's' has no fixed size)""#,
    ),
    (
        r#"struct.size("c0")"#,
        r#"false "user_script:26: bad argument #1 to 'size' (option 'c0' has no fixed size)""#,
    ),
    (r#"struct.size("i3x")"#, r#"true 4"#),
    (r#"struct.size("z")"#, r#"true 0"#),
    (
        r#"struct.size()"#,
        r#"false "user_script:26: bad argument #1 to 'size' (string expected, got no value)""#,
    ),
    (r#"struct.size("!8 b d")"#, r#"true 16"#),
    (r#"struct.size("!8b d")"#, r#"true 16"#),
    (r#"struct.size("!b !2 d")"#, r#"true 10"#),
    (
        r#"hex(struct.pack("<L", 2^32 + 1))"#,
        r#"true "0100000001000000""#,
    ),
    (
        r#"hex(struct.pack("<l", -2^63))"#,
        r#"true "0000000000000080""#,
    ),
    (
        r#"hex(struct.pack("<l", 2^63))"#,
        r#"true "0000000000000080""#,
    ),
    (
        r#"hex(struct.pack("<l", 2^64))"#,
        r#"true "0000000000000000""#,
    ),
    (
        r#"hex(struct.pack("<l", 1e300))"#,
        r#"true "0000000000000000""#,
    ),
    (
        r#"hex(struct.pack("<l", -1e300))"#,
        r#"true "0000000000000080""#,
    ),
    (
        r#"hex(struct.pack("<L", -1))"#,
        r#"true "ffffffffffffffff""#,
    ),
    (r#"hex(struct.pack("<i", 0/0))"#, r#"true "00000000""#),
    (r#"hex(struct.pack("<i", 1/0))"#, r#"true "00000000""#),
    (
        r#"hex(struct.pack("<I8", 2^63 + 2^11))"#,
        r#"true "0008000000000080""#,
    ),
    (r#"hex(struct.pack(">f", 1e300))"#, r#"true "7f800000""#),
    (r#"hex(struct.pack(">f", 1/3))"#, r#"true "3eaaaaab""#),
    (r#"hex(struct.pack(">f", 0/0))"#, r#"true "ffc00000""#),
    (
        r#"struct.unpack("<l", struct.pack("<l", 2^53 + 1))"#,
        r#"true 9007199254740992 9"#,
    ),
    (
        r#"struct.unpack("<L", "\255\255\255\255\255\255\255\255")"#,
        r#"true 1.8446744073709552e+19 9"#,
    ),
    (
        r#"struct.unpack("<i16", string.rep("\255", 16))"#,
        r#"true -1 17"#,
    ),
    (
        r#"struct.unpack("<I16", string.rep("\255", 16))"#,
        r#"true 1.8446744073709552e+19 17"#,
    ),
    (
        r#"struct.unpack("<i10", "\1\0\0\0\0\0\0\0\0\128")"#,
        r#"true 1 11"#,
    ),
    (
        r#"struct.unpack(string.rep("b", 100), string.rep("\1", 100)) == 1"#,
        r#"true true"#,
    ),
    (
        r#"select('#', struct.unpack(string.rep("b", 10000), string.rep("\1", 10000)))"#,
        r#"false "user_script:26: stack overflow (too many results)""#,
    ),
    (
        r#"select('#', struct.unpack(string.rep("b", 7998), string.rep("\1", 7998)))"#,
        r#"false "user_script:26: stack overflow (too many results)""#,
    ),
    (
        r#"struct.pack("c", "")"#,
        r#"false "user_script:26: bad argument #3 to 'pack' (string too short)""#,
    ),
    (
        r#"struct.pack("T", -1) == struct.pack("L", -1)"#,
        r#"true true"#,
    ),
    (r#"hex(struct.pack("!", 1))"#, r#"true """#),
    (
        r#"hex(struct.pack("!0 b", 1))"#,
        r#"false "user_script:26: alignment 0 is not a power of 2""#,
    ),
    (
        r#"struct.pack("!5 b", 1)"#,
        r#"false "user_script:26: alignment 5 is not a power of 2""#,
    ),
    (
        r#"struct.pack("!z b", 1)"#,
        r#"false "user_script:26: bad argument #1 to 'pack' (invalid format option 'z')""#,
    ),
    (
        r#"hex(struct.pack("!2 b c3 h", 1, "abc", 2))"#,
        r#"true "016162630200""#,
    ),
    (
        r#"hex(struct.pack("!8 b s d", 1, "ab", 2))"#,
        r#"true "01616200000000000000000000000040""#,
    ),
    (
        r#"hex(struct.pack("!4 b f", 1, 2))"#,
        r#"true "0100000000000040""#,
    ),
    (
        r#"hex(struct.pack("!4 b x i", 1, 2))"#,
        r#"true "0100000002000000""#,
    ),
    (
        r#"struct.unpack("!4 b i", "\1\0\0")"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (
        r#"struct.pack("bc5", 1, "ab")"#,
        r#"false "user_script:26: bad argument #4 to 'pack' (string too short)""#,
    ),
    (
        r#"struct.pack("bbs", 1, 2, {})"#,
        r#"false "user_script:26: bad argument #4 to 'pack' (string expected, got table)""#,
    ),
    (
        r#"struct.pack("bbb", 1, 2, "x")"#,
        r#"false "user_script:26: bad argument #4 to 'pack' (number expected, got string)""#,
    ),
    (r#"struct.unpack("", "abc", 10)"#, r#"true 10"#),
    (r#"struct.unpack("", "abc", -1)"#, r#"true -1"#),
    (r#"struct.unpack("", "abc", 4)"#, r#"true 4"#),
    (r#"struct.unpack("", "abc", 5)"#, r#"true 5"#),
    (
        r#"struct.unpack("b", "abc", -1)"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (
        r#"struct.unpack("b", "abc", -3)"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (
        r#"struct.unpack("c0", "abc", 1)"#,
        r#"false "user_script:26: format 'c0' needs a previous size""#,
    ),
    (r#"struct.unpack("bxc0", "\2abc")"#, r#"true "bc" 5"#),
    (r#"struct.unpack("sc0", "2\0ab")"#, r#"true "ab" 5"#),
    (r#"struct.unpack("bbc0", "\1\1a")"#, r#"true 1 "a" 4"#),
    (
        r#"struct.unpack("i17", string.rep("\1", 17))"#,
        r#"true -127 18"#,
    ),
    (r#"struct.unpack("i0", "a")"#, r#"true 0 1"#),
    (
        r#"struct.unpack("<i3", "\255\255\127")"#,
        r#"true 8388607 4"#,
    ),
    (
        r#"struct.unpack("c", "")"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (
        r#"struct.unpack("s", "")"#,
        r#"false "user_script:26: unfinished string in data""#,
    ),
    (
        r#"struct.unpack("!3 b", "a")"#,
        r#"false "user_script:26: alignment 3 is not a power of 2""#,
    ),
    (
        r#"struct.size("!3 b")"#,
        r#"false "user_script:26: alignment 3 is not a power of 2""#,
    ),
    (
        r#"struct.size("c99999999999")"#,
        r#"false "user_script:26: integral size overflow""#,
    ),
    (
        r#"struct.size("i99999999999")"#,
        r#"false "user_script:26: integral size overflow""#,
    ),
    (r#"struct.size("c2147483647")"#, r#"true 2147483647"#),
    (
        r#"struct.size("c2147483647c2147483647")"#,
        r#"true 4294967294"#,
    ),
    (
        r#"hex(struct.pack("i2147483647", 1)):sub(1, 4)"#,
        r#"false "user_script:26: integral size 2147483647 is larger than limit of 32""#,
    ),
    (
        r#"select('#', struct.unpack(string.rep("b", 7990), string.rep("\1", 7990)))"#,
        r#"true 7991"#,
    ),
    (
        r#"select('#', struct.unpack(string.rep("b", 3990), string.rep("\1", 3990)))"#,
        r#"true 3991"#,
    ),
    (
        r#"select('#', struct.unpack(string.rep("b", 3999), string.rep("\1", 3999)))"#,
        r#"true 4000"#,
    ),
    (
        r#"select('#', struct.unpack(string.rep("b", 5000), string.rep("\1", 5000)))"#,
        r#"true 5001"#,
    ),
    (r#"struct.pack("b", 1/0)"#, r#"true "\0""#),
    (r#"hex(struct.pack("<h", 70000))"#, r#"true "7011""#),
    (
        r#"hex(struct.pack(">d", 0/0))"#,
        r#"true "fff8000000000000""#,
    ),
    (r#"hex(struct.pack("T", 1))"#, r#"true "0100000000000000""#),
    (r#"hex(struct.pack("i", 2^31))"#, r#"true "00000080""#),
    (
        r#"hex(struct.pack("!>bi", 1, 2))"#,
        r#"true "0100000000000002""#,
    ),
    (r#"hex(struct.pack("i" .. 2, 1))"#, r#"true "0100""#),
    (
        r#"struct.unpack("f", string.char(0, 0, 192, 127))"#,
        r#"true nan 5"#,
    ),
    (
        r#"hex(struct.pack("<l", 0/0))"#,
        r#"true "0000000000000080""#,
    ),
    (
        r#"hex(struct.pack("<l", 1/0))"#,
        r#"true "0000000000000000""#,
    ),
    (
        r#"hex(struct.pack("<l", -1/0))"#,
        r#"true "0000000000000080""#,
    ),
    (
        r#"hex(struct.pack("<l", -0.5))"#,
        r#"true "0000000000000000""#,
    ),
    (
        r#"hex(struct.pack("<l", -2^63 - 2^12))"#,
        r#"true "0000000000000080""#,
    ),
    (
        r#"struct.pack("s")"#,
        r#"false "user_script:26: bad argument #2 to 'pack' (string expected, got nil)""#,
    ),
    (
        r#"struct.pack("c")"#,
        r#"false "user_script:26: bad argument #2 to 'pack' (string expected, got nil)""#,
    ),
    (r#"struct.pack("c2", 12)"#, r#"true "12""#),
    (r#"struct.unpack("bc0", "\0")"#, r#"true "" 2"#),
    (r#"struct.unpack("bc0", "\0", 1)"#, r#"true "" 2"#),
    (
        r#"struct.unpack("i33", "")"#,
        r#"false "user_script:26: integral size 33 is larger than limit of 32""#,
    ),
    (
        r#"struct.size("i33")"#,
        r#"false "user_script:26: integral size 33 is larger than limit of 32""#,
    ),
    (r#"struct.size("I32")"#, r#"true 32"#),
    (
        r#"struct.unpack("<I32", string.rep("\255", 32))"#,
        r#"true 1.8446744073709552e+19 33"#,
    ),
    (
        r#"struct.unpack("bd", "\1\0\0\0\0\0\0\0\0")"#,
        r#"true 1 0 10"#,
    ),
    (
        r#"struct.unpack("b", "\1", 2^53)"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (r#"struct.unpack("", "abc", 1.9)"#, r#"true 1"#),
    (r#"struct.unpack("", "abc", "2")"#, r#"true 2"#),
    (
        r#"struct.unpack("", "abc", "x")"#,
        r#"false "user_script:26: bad argument #3 to 'unpack' (number expected, got string)""#,
    ),
    (
        r#"struct.size("<>=!")"#,
        r#"false "user_script:26: bad argument #1 to 'size' (invalid format option '=')""#,
    ),
    (
        r#"struct.size("=i")"#,
        r#"false "user_script:26: bad argument #1 to 'size' (invalid format option '=')""#,
    ),
    (
        r#"struct.pack("=i", 1) == struct.pack("<i", 1)"#,
        r#"false "user_script:26: bad argument #1 to 'pack' (invalid format option '=')""#,
    ),
];

#[test]
fn result_limits_and_odd_alignments_match_redis() {
    check_cases(LIMIT_CASES);
}

const LIMIT_CASES: &[(&str, &str)] = &[
    (
        r#"select('#', struct.unpack(string.rep("b", 7997), string.rep("\1", 7997)))"#,
        r#"true 7998"#,
    ),
    (
        r#"select('#', struct.unpack(string.rep("b", 7996), string.rep("\1", 7996), 1))"#,
        r#"true 7997"#,
    ),
    (
        r#"select('#', struct.unpack(string.rep("b", 7997), string.rep("\1", 7997), 1))"#,
        r#"false "user_script:26: stack overflow (too many results)""#,
    ),
    (
        r#"select('#', struct.unpack(string.rep("b", 7997) .. "bc0", string.rep("\1", 7999)))"#,
        r#"false "user_script:26: stack overflow (too many results)""#,
    ),
    (
        r#"hex(struct.pack("!4 b i3", 1, 2))"#,
        r#"true "010000020000""#,
    ),
    (
        r#"hex(struct.pack("!8 i6", 1))"#,
        r#"true "00000000010000000000""#,
    ),
    (r#"struct.size("!4 b i3")"#, r#"true 6"#),
    (
        r#"struct.unpack("!4 b i3", "abcdefgh")"#,
        r#"true 97 6710628 7"#,
    ),
    (
        r#"struct.unpack("s", "abc", -1)"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (
        r#"struct.unpack("c0", "")"#,
        r#"false "user_script:26: format 'c0' needs a previous size""#,
    ),
    (
        r#"struct.unpack("bc0", "\255abc")"#,
        r#"false "user_script:26: bad argument #2 to 'unpack' (data string too short)""#,
    ),
    (
        r#"struct.unpack("dc0", "\0\0\0\0\0\0\240\63a")"#,
        r#"true "a" 10"#,
    ),
    (
        r#"struct.size(string.rep("c2147483647", 3))"#,
        r#"true 6442450941"#,
    ),
];
