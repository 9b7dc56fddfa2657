//! Sorted-set scores read and printed exactly as Redis 7.0 does: C's `strtod` (what every score
//! argument goes through), `getDoubleFromObject`'s strictness for scores and weights,
//! `zslParseRange`'s laxness for range bounds, `%.17g` for replies (addReplyDouble) and
//! `d2string` for ZSCAN (which prints integral scores as integers).

/// What C's strtod makes of the start of a string.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Strtod {
    value: f64,
    /// Bytes read; 0 when no number starts the string.
    consumed: usize,
    /// errno ERANGE: overflow to infinity or underflow to zero.
    range_error: bool,
}

fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Takes an optional '+' or '-' at `text[*at]`; whether it was '-'.
fn take_sign(text: &[u8], at: &mut usize) -> bool {
    let sign = text.get(*at).copied();
    if matches!(sign, Some(b'+' | b'-')) {
        *at += 1;
    }
    sign == Some(b'-')
}

/// glibc's strtod over `text` (read up to its end; the callers cut at NUL as C would).
fn strtod(text: &[u8]) -> Strtod {
    let none = Strtod {
        value: 0.0,
        consumed: 0,
        range_error: false,
    };
    let mut i = text.iter().take_while(|&&b| is_c_space(b)).count();
    let negative = take_sign(text, &mut i);
    let sign = |value: f64| if negative { -value } else { value };
    let rest = &text[i..];
    let starts =
        |word: &[u8]| rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word);
    if starts(b"infinity") || starts(b"inf") {
        let len = if starts(b"infinity") { 8 } else { 3 };
        return Strtod {
            value: sign(f64::INFINITY),
            consumed: i + len,
            range_error: false,
        };
    }
    if starts(b"nan") {
        let mut len = 3;
        if rest.get(3) == Some(&b'(') {
            let inner = rest[4..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            if rest.get(4 + inner) == Some(&b')') {
                len = 5 + inner;
            }
        }
        return Strtod {
            value: f64::NAN,
            consumed: i + len,
            range_error: false,
        };
    }
    if (starts(b"0x")) && hex_digits_follow(&rest[2..]) {
        let (value, len, range_error) = hex_float(&rest[2..]);
        return Strtod {
            value: sign(value),
            consumed: i + 2 + len,
            range_error,
        };
    }
    // Decimal: digits [. digits] [e [sign] digits], at least one mantissa digit.
    let digits = |from: usize| {
        rest[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let int_len = digits(0);
    let mut len = int_len;
    let mut frac_len = 0;
    if rest.get(len) == Some(&b'.') {
        frac_len = digits(len + 1);
        if int_len + frac_len > 0 {
            len += 1 + frac_len;
        }
    }
    if int_len + frac_len == 0 {
        return none;
    }
    let mantissa_nonzero = rest[..len].iter().any(|b| (b'1'..=b'9').contains(b));
    if matches!(rest.get(len), Some(b'e' | b'E')) {
        let mut at = len + 1;
        if matches!(rest.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exp_len = digits(at);
        if exp_len > 0 {
            len = at + exp_len;
        }
    }
    let literal = std::str::from_utf8(&rest[..len]).expect("ASCII");
    let value: f64 = literal.parse().unwrap_or(0.0);
    let range_error = value.is_infinite() || (value == 0.0 && mantissa_nonzero);
    Strtod {
        value: sign(value),
        consumed: i + len,
        range_error,
    }
}

fn hex_digits_follow(rest: &[u8]) -> bool {
    match rest.first() {
        Some(b) if b.is_ascii_hexdigit() => true,
        Some(b'.') => rest.get(1).is_some_and(u8::is_ascii_hexdigit),
        _ => false,
    }
}

/// A hexadecimal float after its "0x": (value, bytes read, range error).
fn hex_float(rest: &[u8]) -> (f64, usize, bool) {
    let mut mantissa: u128 = 0;
    let mut exponent: i64 = 0;
    let mut sticky = false;
    let mut i = 0;
    let mut seen_point = false;
    while let Some(&b) = rest.get(i) {
        if b == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(digit) = (b as char).to_digit(16) {
            if mantissa >> 120 == 0 {
                mantissa = mantissa << 4 | u128::from(digit);
                if seen_point {
                    exponent -= 4;
                }
            } else {
                sticky |= digit != 0;
                if !seen_point {
                    exponent += 4;
                }
            }
        } else {
            break;
        }
        i += 1;
    }
    if matches!(rest.get(i), Some(b'p' | b'P')) {
        let mut at = i + 1;
        let negative = take_sign(rest, &mut at);
        let len = rest[at..].iter().take_while(|b| b.is_ascii_digit()).count();
        if len > 0 {
            let value = rest[at..at + len]
                .iter()
                .fold(0i64, |acc, b| (acc * 10 + i64::from(b - b'0')).min(1 << 40));
            exponent += if negative { -value } else { value };
            i = at + len;
        }
    }
    if mantissa == 0 {
        return (0.0, i, false);
    }
    // Keep a sticky bit so that the one rounding in `as f64` sees inexact tails.
    let value =
        ((mantissa | u128::from(sticky)) as f64) * 2f64.powi(exponent.clamp(-2000, 2000) as i32);
    let range_error = value.is_infinite() || value == 0.0;
    (value, i, range_error)
}

/// A score, increment or weight as getDoubleFromObject reads it: the whole argument must be a
/// number (no leading space), not NaN, not out of range ("1e400", "1e-400"). "inf" is fine.
pub fn parse_score(arg: &[u8]) -> Option<f64> {
    if arg.first().is_none_or(|&b| is_c_space(b)) {
        return None;
    }
    let read = strtod(arg);
    let whole = read.consumed == arg.len();
    (whole && !read.range_error && !read.value.is_nan()).then_some(read.value)
}

/// One end of a score range as zslParseRange reads it: an optional '(' (exclusive), then
/// whatever strtod reads up to the end of the C string; NaN is refused. Laxer than
/// [`parse_score`]: leading spaces, an empty number (0) and overflow to infinity are accepted.
pub fn parse_range_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let (exclusive, text) = match arg.first() {
        Some(b'(') => (true, &arg[1..]),
        _ => (false, arg),
    };
    let text = crate::args::c_str(text);
    let read = strtod(text);
    (read.consumed == text.len() && !read.value.is_nan()).then_some((read.value, exclusive))
}

/// C's `%.17g`: 17 significant digits, trailing zeros dropped, exponent form below 1e-4 and
/// from 1e17 on. Redis 7.0 prints every double reply this way ("0.10000000000000001").
pub fn format_g17(value: f64) -> String {
    if value.is_nan() {
        return "nan".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.into();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{:.16e}", value.abs());
    let (mantissa, exp) = sci.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("exponent");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if value < 0.0 {
        out.push('-');
    }
    if (-4..17).contains(&exp) {
        if exp >= 0 {
            let split = exp as usize + 1;
            out.push_str(&digits[..split]);
            let frac = digits[split..].trim_end_matches('0');
            if !frac.is_empty() {
                out.push('.');
                out.push_str(frac);
            }
        } else {
            out.push_str("0.");
            out.push_str(&"0".repeat((-exp - 1) as usize));
            out.push_str(digits.trim_end_matches('0'));
        }
    } else {
        out.push_str(&digits[..1]);
        let frac = digits[1..].trim_end_matches('0');
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    }
    out
}

/// Redis's d2string: integral values within ±2^62 as integers, else `%.17g` (ZSCAN's scores).
pub fn d2string(value: f64) -> String {
    const HALF_LLONG_MAX: f64 = (i64::MAX / 2) as f64;
    if value.is_finite() && value != 0.0 && (-HALF_LLONG_MAX..=HALF_LLONG_MAX).contains(&value) {
        let integral = value as i64;
        if integral as f64 == value {
            return integral.to_string();
        }
    }
    format_g17(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_g17_matches_c() {
        let cases: [(f64, &str); 16] = [
            (0.1, "0.10000000000000001"),
            (1e20, "1e+20"),
            (-0.0, "-0"),
            (0.0, "0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1.5, "1.5"),
            (3.0, "3"),
            (1e-5, "1.0000000000000001e-05"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e16, "10000000000000000"),
            (0.0001, "0.0001"),
            (2f64.powi(-25), "2.9802322387695312e-08"),
            (5e-324, "4.9406564584124654e-324"),
            (-2.5, "-2.5"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ];
        for (value, text) in cases {
            assert_eq!(format_g17(value), text, "{value:e}");
        }
    }

    #[test]
    fn d2string_prints_integral_values_as_integers() {
        assert_eq!(d2string(123456789012345678.0), "123456789012345680");
        assert_eq!(d2string(1e20), "1e+20");
        assert_eq!(d2string(-3.0), "-3");
        assert_eq!(d2string(0.5), "0.5");
        assert_eq!(d2string(-0.0), "-0");
    }

    #[test]
    fn parse_score_is_strict() {
        let good: [(&str, f64); 10] = [
            ("1", 1.0),
            ("-1.5", -1.5),
            ("+2", 2.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("inf", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("0x10", 16.0),
            ("0x1p-2", 0.25),
        ];
        for (text, value) in good {
            assert_eq!(parse_score(text.as_bytes()), Some(value), "{text}");
        }
        for bad in [
            "", " 1", "1 ", "nan", "NaN", "1e400", "1e-400", "abc", "1.5.5", "5e", "-", "1\0",
        ] {
            assert_eq!(parse_score(bad.as_bytes()), None, "{bad:?}");
        }
        assert!(parse_score(b"-0").unwrap().is_sign_negative());
    }

    #[test]
    fn parse_range_bound_is_lax_like_zsl_parse_range() {
        assert_eq!(parse_range_bound(b"(1.5"), Some((1.5, true)));
        assert_eq!(parse_range_bound(b"-inf"), Some((f64::NEG_INFINITY, false)));
        assert_eq!(parse_range_bound(b"(+inf"), Some((f64::INFINITY, true)));
        assert_eq!(parse_range_bound(b""), Some((0.0, false)));
        assert_eq!(parse_range_bound(b"("), Some((0.0, true)));
        assert_eq!(parse_range_bound(b" 1"), Some((1.0, false)));
        assert_eq!(parse_range_bound(b"1e400"), Some((f64::INFINITY, false)));
        assert_eq!(parse_range_bound(b"2\0junk"), Some((2.0, false)));
        for bad in ["nan", "(nan", "1 ", "x", "[1", "((1"] {
            assert_eq!(parse_range_bound(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
