//! Lua 5.1's conversions between numbers and strings, as the C libraries see them: `%.14g`
//! (`LUA_NUMBER_FMT`) one way, `strtod` with a hexadecimal fallback the other.

/// C's `%.<precision>g` for a double, as glibc prints it. Rust's exponent formatting rounds
/// exactly, as glibc does, so the digits agree; `%g` then picks the fixed or exponent form by
/// the decimal exponent and drops trailing zeros.
pub(crate) fn format_g(x: f64, precision: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let precision = precision.max(1);
    let scientific = format!("{:.*e}", precision - 1, x);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if exponent < -4 || exponent >= precision as i32 {
        let sign = if exponent < 0 { '-' } else { '+' };
        let digits = exponent.unsigned_abs();
        return format!("{}e{sign}{digits:02}", trim_fraction(mantissa));
    }
    let decimals = (precision as i32 - 1 - exponent).max(0) as usize;
    trim_fraction(&format!("{x:.decimals$}")).to_string()
}

/// `%g` without `#`: no trailing zeros after the point, and no point left bare.
fn trim_fraction(text: &str) -> &str {
    if !text.contains('.') {
        return text;
    }
    text.trim_end_matches('0').trim_end_matches('.')
}

/// Lua's `tostring` of a number.
pub(crate) fn lua_number_to_string(x: f64) -> String {
    format_g(x, 14)
}

/// Lua 5.1's string-to-number conversion (`luaO_str2d`): `strtod` must take the whole string
/// but for surrounding white space.
pub(crate) fn lua_string_to_number(bytes: &[u8]) -> Option<f64> {
    let (value, used) = strtod(bytes)?;
    bytes[used..].iter().all(|&b| is_space(b)).then_some(value)
}

/// C's `isspace` in the C locale.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// glibc's `strtod`: the longest prefix that reads as a number (after white space and a
/// sign: a decimal, a hexadecimal float, `inf`/`infinity` or `nan`), as the value and the
/// bytes it took; `None` when no prefix does.
pub(crate) fn strtod(bytes: &[u8]) -> Option<(f64, usize)> {
    let mut start = bytes.iter().take_while(|&&b| is_space(b)).count();
    let negative = bytes.get(start) == Some(&b'-');
    if matches!(bytes.get(start), Some(b'-' | b'+')) {
        start += 1;
    }
    let body = &bytes[start..];
    let (magnitude, used) = special(body)
        .or_else(|| hex_float(body))
        .or_else(|| decimal(body))?;
    Some((if negative { -magnitude } else { magnitude }, start + used))
}

/// `inf`, `infinity` and `nan` (with an optional `(chars)`), in any case.
fn special(body: &[u8]) -> Option<(f64, usize)> {
    let starts =
        |word: &[u8]| body.len() >= word.len() && body[..word.len()].eq_ignore_ascii_case(word);
    if starts(b"infinity") {
        return Some((f64::INFINITY, 8));
    }
    if starts(b"inf") {
        return Some((f64::INFINITY, 3));
    }
    if !starts(b"nan") {
        return None;
    }
    let tail = &body[3..];
    let chars = tail
        .iter()
        .skip(1)
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    let used = match (tail.first(), tail.get(1 + chars)) {
        (Some(b'('), Some(b')')) => 3 + chars + 2,
        _ => 3,
    };
    Some((f64::NAN, used))
}

/// `0x` hex digits, an optional fraction and an optional binary exponent `p`.
fn hex_float(body: &[u8]) -> Option<(f64, usize)> {
    if body.len() < 3 || body[0] != b'0' || !matches!(body[1], b'x' | b'X') {
        return None;
    }
    let mut i = 2;
    let (mut mantissa, mut exponent, mut digits) = (0.0f64, 0i64, 0usize);
    let mut seen_point = false;
    while let Some(&b) = body.get(i) {
        if b == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = char::from(b).to_digit(16) {
            mantissa = mantissa * 16.0 + f64::from(d);
            exponent -= if seen_point { 4 } else { 0 };
            digits += 1;
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if let Some((value, used)) = exponent_part(&body[i..], b'p') {
        exponent = exponent.saturating_add(value);
        i += used;
    }
    let exponent = exponent.clamp(-2000, 2000) as i32;
    Some((mantissa * 2f64.powi(exponent), i))
}

/// `e` or `p` with an optional sign and at least one digit: its value and length.
fn exponent_part(tail: &[u8], letter: u8) -> Option<(i64, usize)> {
    if tail.first().map(u8::to_ascii_lowercase) != Some(letter) {
        return None;
    }
    let sign_len = usize::from(matches!(tail.get(1), Some(b'+' | b'-')));
    let digits = tail[1 + sign_len..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let text = &tail[1 + sign_len..1 + sign_len + digits];
    let value = text.iter().fold(0i64, |acc, d| {
        acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some((
        if tail[1] == b'-' { -value } else { value },
        1 + sign_len + digits,
    ))
}

/// Decimal digits with an optional point and an optional exponent, rounded correctly (as
/// glibc does) by Rust's parser.
fn decimal(body: &[u8]) -> Option<(f64, usize)> {
    let integer = body.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut used = integer;
    let mut fraction = 0;
    if body.get(used) == Some(&b'.') {
        fraction = body[used + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        used += 1 + fraction;
    }
    if integer + fraction == 0 {
        return None;
    }
    let mantissa_end = used;
    if let Some((_, length)) = exponent_part(&body[used..], b'e') {
        used += length;
    }
    let mut text = String::with_capacity(used + 2);
    text.push('0');
    text.push_str(std::str::from_utf8(&body[..mantissa_end]).ok()?);
    if fraction == 0 && mantissa_end > integer {
        text.push('0');
    }
    text.push_str(std::str::from_utf8(&body[mantissa_end..used]).ok()?);
    Some((text.parse().ok()?, used))
}

/// C's conversion of a double to a 64-bit integer on x86-64 (`cvttsd2si`): truncation, and
/// the "integer indefinite" value for NaN and anything out of range. Lua 5.1's
/// `lua_tointeger` and the libraries' casts behave so on the servers we compare with.
pub(crate) fn truncate_to_i64(x: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if x.is_nan() || !(-LIMIT..LIMIT).contains(&x) {
        return i64::MIN;
    }
    x as i64
}

/// C's conversion of a double to an unsigned 64-bit integer as gcc compiles it for x86-64:
/// below 2^63 the signed conversion, above it the signed conversion of `x - 2^63` with the top
/// bit flipped (so out-of-range values land on 0 or 2^63, never a saturated maximum).
#[allow(clippy::neg_cmp_op_on_partial_ord)]
pub(crate) fn truncate_to_u64(x: f64) -> u64 {
    const TOP: f64 = 9_223_372_036_854_775_808.0;
    // NaN compares false, and takes the signed path as the compiled comparison sends it.
    if !(x >= TOP) {
        truncate_to_i64(x) as u64
    } else {
        (truncate_to_i64(x - TOP) as u64) ^ (1 << 63)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_g_matches_printf() {
        let cases = [
            (0.1, 14, "0.1"),
            (1.0 / 3.0, 14, "0.33333333333333"),
            (1e15, 14, "1e+15"),
            (1e14, 14, "1e+14"),
            (123456789012345.0, 14, "1.2345678901234e+14"),
            (1e-7, 14, "1e-07"),
            (0.0001, 14, "0.0001"),
            (-0.0, 14, "-0"),
            (12345.0, 3, "1.23e+04"),
            (15.0, 1, "2e+01"),
            (0.0001234, 3, "0.000123"),
            (1e300, 14, "1e+300"),
            (2.5, 1, "2"),
            (99999999999999.9, 14, "1e+14"),
        ];
        for (x, precision, want) in cases {
            assert_eq!(format_g(x, precision), want, "{x} at {precision}");
        }
    }

    #[test]
    fn strings_convert_as_lua_does() {
        assert_eq!(lua_string_to_number(b" 7 "), Some(7.0));
        assert_eq!(lua_string_to_number(b"0x10"), Some(16.0));
        assert_eq!(lua_string_to_number(b"-0x10"), Some(-16.0));
        assert_eq!(lua_string_to_number(b"1e5"), Some(1e5));
        assert_eq!(lua_string_to_number(b"abc"), None);
        assert_eq!(lua_string_to_number(b""), None);
        assert_eq!(lua_string_to_number(b"1e"), None);
        assert_eq!(lua_string_to_number(b"--1"), None);
        assert_eq!(lua_string_to_number(b"1."), Some(1.0));
        assert_eq!(lua_string_to_number(b".5"), Some(0.5));
        assert_eq!(lua_string_to_number(b"inf"), Some(f64::INFINITY));
    }

    #[test]
    fn strtod_takes_the_longest_number() {
        assert_eq!(strtod(b"1e5x"), Some((1e5, 3)));
        assert_eq!(strtod(b"1e+"), Some((1.0, 1)));
        assert_eq!(strtod(b"-.5"), Some((-0.5, 3)));
        assert_eq!(strtod(b"0X1p4"), Some((16.0, 5)));
        assert_eq!(strtod(b"0x"), Some((0.0, 1)));
        assert_eq!(strtod(b"-Infinity"), Some((f64::NEG_INFINITY, 9)));
        assert_eq!(strtod(b"-infinit"), Some((f64::NEG_INFINITY, 4)));
        assert_eq!(strtod(b"-"), None);
        assert_eq!(strtod(b"."), None);
        let (nan, used) = strtod(b"-nan(123)").unwrap_or_default();
        assert!(nan.is_nan() && nan.is_sign_negative() && used == 9);
    }

    #[test]
    fn casts_behave_as_x86_64() {
        assert_eq!(truncate_to_i64(-1.9), -1);
        assert_eq!(truncate_to_i64(f64::NAN), i64::MIN);
        assert_eq!(truncate_to_u64(2f64.powi(64)), 0);
        assert_eq!(truncate_to_u64(2f64.powi(63)), 1 << 63);
        assert_eq!(truncate_to_u64(-1.0), u64::MAX);
        assert_eq!(truncate_to_u64(f64::NAN), 1 << 63);
    }
}
