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

/// Lua 5.1's string-to-number conversion (`luaO_str2d`): the whole string, less surrounding
/// white space, is a decimal number, `inf`/`nan`, or a hexadecimal integer.
pub(crate) fn lua_string_to_number(bytes: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'));
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        let value = parse_hex(hex)?;
        return Some(if negative { -value } else { value });
    }
    if digits.starts_with(['+', '-']) {
        return None;
    }
    text.parse::<f64>().ok()
}

/// Hexadecimal digits as a double (a long run rounds, as strtod's would).
fn parse_hex(hex: &str) -> Option<f64> {
    if hex.is_empty() {
        return None;
    }
    hex.chars().try_fold(0.0f64, |acc, c| {
        Some(acc * 16.0 + f64::from(c.to_digit(16)?))
    })
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
