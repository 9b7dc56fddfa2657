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

/// Redis's reply to a count or index that must be at least 1.
pub const MUST_BE_POSITIVE: &str = "ERR value is out of range, must be positive";

/// An integer of at least 1, or the error line `message` (numkeys, COUNT...).
pub fn positive(arg: &[u8], message: &str) -> Result<usize, Reply> {
    match parse_i64(arg) {
        Some(value) if value >= 1 => Ok(usize::try_from(value).unwrap_or(usize::MAX)),
        _ => Err(Reply::error(message)),
    }
}

/// A count that must be >= 0 (getPositiveLongFromObjectOrReply): `message` for anything else,
/// a non-integer included.
pub fn non_negative(arg: &[u8], message: &str) -> Result<usize, Reply> {
    match parse_i64(arg) {
        Some(value) if value >= 0 => Ok(usize::try_from(value).unwrap_or(usize::MAX)),
        _ => Err(Reply::error(message)),
    }
}

/// Redis's normalisation of an inclusive [start, end] range over `len` elements (negative
/// indexes count from the end): None when the range is empty.
pub fn normalize_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { start + len } else { start }.max(0);
    let end = if end < 0 { end + len } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// The value paired with the keyword `arg` names (case-insensitively) in `keywords`, or
/// Redis's syntax error (AGGREGATE SUM|MIN|MAX, BITOP AND|OR|XOR|NOT, BIT|BYTE...).
pub fn keyword<T: Copy>(arg: &[u8], keywords: &[(&str, T)]) -> Result<T, Reply> {
    let found = keywords.iter().find(|(name, _)| is(arg, name));
    found.map(|(_, value)| *value).ok_or_else(syntax_error)
}

/// An integer argument, or Redis's reply to one that is not.
pub fn int_arg(bytes: &[u8]) -> Result<i64, Reply> {
    parse_i64(bytes).ok_or_else(|| Reply::error(NOT_INTEGER))
}

/// Redis's reply to an integer argument that does not fit a C int (getIntFromObjectOrReply).
pub const NOT_C_INT: &str =
    "ERR value is out of range, value must between -2147483648 and 2147483647";

/// A database index as SELECT, MOVE and COPY ... DB read it: an integer (Redis's error for
/// one that is not), that fits a C int (getIntFromObjectOrReply's error), and names one of
/// the `databases` (selectDb's error).
pub fn db_index(arg: &[u8], databases: usize) -> Result<usize, Reply> {
    let index = i32::try_from(int_arg(arg)?).map_err(|_| Reply::error(NOT_C_INT))?;
    usize::try_from(index)
        .ok()
        .filter(|index| *index < databases)
        .ok_or_else(|| Reply::error("ERR DB index is out of range"))
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

/// A cursor over a command's arguments, in the spirit of mini-redis's `Parse`: option loops
/// take arguments one at a time instead of indexing argv by hand, and [`Args::finish`]
/// rejects leftovers. A missing argument is Redis's syntax error.
pub struct Args<'a> {
    argv: &'a [Vec<u8>],
    next: usize,
}

impl<'a> Args<'a> {
    /// The arguments from position `from` on (1 skips the command's name).
    pub fn new(argv: &'a [Vec<u8>], from: usize) -> Args<'a> {
        Args {
            argv,
            next: from.min(argv.len()),
        }
    }

    /// The next argument, if any.
    pub fn next_arg(&mut self) -> Option<&'a [u8]> {
        let arg = self.argv.get(self.next)?;
        self.next += 1;
        Some(arg)
    }

    /// The next argument, which must be there.
    pub fn bytes(&mut self) -> Result<&'a [u8], Reply> {
        self.next_arg().ok_or_else(syntax_error)
    }

    /// The next argument as an integer (Redis's string2ll).
    pub fn int(&mut self) -> Result<i64, Reply> {
        int_arg(self.bytes()?)
    }

    /// The next argument without taking it.
    pub fn peek(&self) -> Option<&'a [u8]> {
        self.argv.get(self.next).map(Vec::as_slice)
    }

    /// Takes the next argument if it is `option` (case-insensitively).
    pub fn eat(&mut self, option: &str) -> bool {
        let found = self.peek().is_some_and(|arg| is(arg, option));
        if found {
            self.next += 1;
        }
        found
    }

    /// Takes the next `n` arguments, which must all be there.
    pub fn take(&mut self, n: usize) -> Result<&'a [Vec<u8>], Reply> {
        let end = self
            .next
            .checked_add(n)
            .filter(|&end| end <= self.argv.len());
        let end = end.ok_or_else(syntax_error)?;
        let taken = &self.argv[self.next..end];
        self.next = end;
        Ok(taken)
    }

    /// Every argument not taken yet.
    pub fn rest(&mut self) -> &'a [Vec<u8>] {
        let rest = &self.argv[self.next..];
        self.next = self.argv.len();
        rest
    }

    /// How many arguments are left.
    pub fn remaining(&self) -> usize {
        self.argv.len() - self.next
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Ok when every argument was taken; Redis's syntax error otherwise.
    pub fn finish(&self) -> Result<(), Reply> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(syntax_error())
        }
    }
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
    fn the_cursor_takes_arguments_in_order_and_rejects_leftovers() {
        let argv: Vec<Vec<u8>> = ["CMD", "key", "count", "5", "x"]
            .iter()
            .map(|a| a.as_bytes().to_vec())
            .collect();
        let mut args = Args::new(&argv, 1);
        assert_eq!(args.bytes(), Ok(&b"key"[..]));
        assert!(!args.eat("MATCH"));
        assert!(args.eat("COUNT"));
        assert_eq!(args.int(), Ok(5));
        assert_eq!(args.remaining(), 1);
        assert_eq!(args.finish(), Err(syntax_error()));
        assert_eq!(args.int(), Err(Reply::error(NOT_INTEGER)));
        assert_eq!(args.bytes(), Err(syntax_error()));
        assert_eq!(args.take(1), Err(syntax_error()));
        assert_eq!(args.finish(), Ok(()));
        let mut args = Args::new(&argv, 2);
        assert_eq!(args.take(2).map(<[_]>::len), Ok(2));
        assert_eq!(args.rest().len(), 1);
        assert!(args.is_empty());
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
