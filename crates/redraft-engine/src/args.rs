//! Argument parsing shared by every command, with Redis's exact rules and error lines.

use crate::reply::Reply;

pub const SYNTAX_ERROR: &str = "ERR syntax error";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";

/// Redis's LONG_STR_SIZE: a string this long or longer is never an integer.
const LONG_STR_SIZE: usize = 21;

/// Parses an i64 exactly as Redis's string2ll: an optional '-', then digits with no leading
/// zero (except "0" itself), nothing else, and no overflow. Strict so that the value formats
/// back to the same bytes.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() >= LONG_STR_SIZE {
        return None;
    }
    if bytes == b"0" {
        return Some(0);
    }
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let magnitude = parse_digits_u64(digits)?;
    if negative {
        // -(i64::MIN) does not fit an i64, so negate through i128.
        i64::try_from(-i128::from(magnitude)).ok()
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Parses a non-empty run of ASCII digits into a u64, None on overflow or any other byte.
pub fn parse_digits_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, byte| {
        let digit = match byte {
            b'0'..=b'9' => u64::from(byte - b'0'),
            _ => return None,
        };
        acc.checked_mul(10)?.checked_add(digit)
    })
}

/// Parses a SCAN cursor as Redis 7 does with strtoul: the text up to any NUL byte, no leading
/// space, an optional sign (a negative number wraps around, as in C), base-10 digits to the
/// end, no overflow. The empty string is cursor 0.
pub fn parse_cursor(bytes: &[u8]) -> Option<u64> {
    let text = c_str(bytes);
    let (negative, digits) = match text.split_first() {
        None => return Some(0),
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        Some(_) => (false, text),
    };
    let value = parse_digits_u64(digits)?;
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// An integer argument, or Redis's reply to one that is not.
pub fn int_arg(bytes: &[u8]) -> Result<i64, Reply> {
    parse_i64(bytes).ok_or_else(|| Reply::error(NOT_INTEGER))
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &[u8], option: &str) -> bool {
    arg.eq_ignore_ascii_case(option.as_bytes())
}

/// The reply to an expiry that is not positive or would overflow, naming the command as Redis
/// does (its lower-case full name).
pub fn invalid_expire_time(command: &str) -> Reply {
    Reply::error(format!("ERR invalid expire time in '{command}' command"))
}

pub fn syntax_error() -> Reply {
    Reply::error(SYNTAX_ERROR)
}

/// An argument as Redis's `%s` prints it into an error line: up to its first NUL byte.
pub fn c_str(bytes: &[u8]) -> &[u8] {
    bytes.split(|&byte| byte == 0).next().unwrap_or_default()
}

/// Text of an argument for an error line (see [`c_str`]; lossy where it is not UTF-8).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(c_str(bytes)).into_owned()
}

/// An error line that quotes client input: CR and LF become spaces, as Redis does, so that the
/// reply stays one protocol line.
pub fn client_error(line: String) -> Reply {
    Reply::Error(line.replace(['\r', '\n'], " "))
}

/// A command's result when errors are returned early with `?`.
pub fn reply(result: Result<Reply, Reply>) -> Reply {
    result.unwrap_or_else(|error| error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_i64_accepts_exactly_what_string2ll_accepts() {
        let good: [(&[u8], i64); 6] = [
            (b"0", 0),
            (b"1", 1),
            (b"-1", -1),
            (b"9223372036854775807", i64::MAX),
            (b"-9223372036854775808", i64::MIN),
            (b"1234567890", 1_234_567_890),
        ];
        for (text, value) in good {
            assert_eq!(
                parse_i64(text),
                Some(value),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        let bad: [&[u8]; 14] = [
            b"",
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"00",
            b"1.0",
            b"1e3",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551616",
            b"abc",
        ];
        for text in bad {
            assert_eq!(parse_i64(text), None, "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn parse_digits_u64_rejects_overflow_and_non_digits() {
        assert_eq!(parse_digits_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_digits_u64(b"18446744073709551616"), None);
        assert_eq!(parse_digits_u64(b"007"), Some(7));
        assert_eq!(parse_digits_u64(b"-1"), None);
        assert_eq!(parse_digits_u64(b""), None);
    }

    #[test]
    fn parse_cursor_follows_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+7"), Some(7));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"5\0junk"), Some(5));
        for bad in [
            &b"18446744073709551616"[..],
            b" 1",
            b"1 ",
            b"abc",
            b"-",
            b"+",
            b"0x1",
        ] {
            assert_eq!(
                parse_cursor(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn error_lines_quote_input_like_redis() {
        assert_eq!(text(b"a\0b"), "a");
        assert_eq!(
            client_error(format!("ERR Unsupported option {}", text(b"a\r\nb"))),
            Reply::error("ERR Unsupported option a  b")
        );
    }

    #[test]
    fn int_arg_errors_with_redis_line() {
        assert_eq!(int_arg(b"x"), Err(Reply::error(NOT_INTEGER)));
        assert_eq!(int_arg(b"-5"), Ok(-5));
    }

    #[test]
    fn option_names_compare_case_insensitively() {
        assert!(is(b"nX", "NX"));
        assert!(!is(b"nxx", "NX"));
        assert_eq!(
            invalid_expire_time("set"),
            Reply::error("ERR invalid expire time in 'set' command")
        );
    }
}
