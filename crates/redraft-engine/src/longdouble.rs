//! INCRBYFLOAT's arithmetic, bit for bit as Redis does it on x86-64: parse with strtold into an
//! 80-bit x87 `long double` (64-bit significand), add with round-half-even, print with
//! `%.17Lf` and trim trailing zeros. Plain f64 would print `INCRBYFLOAT k 1.1` as
//! `1.10000000000000009` where Redis prints `1.1`. Done in software with exact big-integer
//! arithmetic, so every replica on every platform gets the same bytes.

use std::cmp::Ordering;

/// Significand bits of the x87 extended format.
const PRECISION: u32 = 64;
/// Smallest exponent of the significand's last bit (denormals included): 2^-16445.
const EXP_MIN: i64 = -16445;
/// Largest exponent of the significand's last bit: values stay below 2^16384.
const EXP_MAX: i64 = 16384 - PRECISION as i64;
/// Redis's MAX_LONG_DOUBLE_CHARS: longer input is never a number.
const INPUT_LEN_MAX: usize = 5 * 1024;
/// Decimal digits printed after the point (`%.17Lf`).
const FRACTION_DIGITS: usize = 17;

/// A finite x87 value: (-1)^negative * significand * 2^exponent; zero when significand is 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LongDouble {
    negative: bool,
    significand: u64,
    exponent: i64,
}

/// What strtold makes of a string that string2ld accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Parsed {
    Finite(LongDouble),
    Infinite,
}

impl LongDouble {
    /// Parses like Redis's string2ld: the whole string must be a number strtold reads (decimal,
    /// hexadecimal or infinity, optional sign); no leading space, no NaN, no overflow to
    /// infinity, no underflow to zero.
    pub fn parse(bytes: &[u8]) -> Option<Parsed> {
        if bytes.is_empty() || bytes.len() >= INPUT_LEN_MAX {
            return None;
        }
        let (negative, body) = match bytes[0] {
            b'-' => (true, &bytes[1..]),
            b'+' => (false, &bytes[1..]),
            _ => (false, bytes),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(Parsed::Infinite);
        }
        let (magnitude, exp2, exp10) = parse_number(body)?;
        if magnitude.is_zero() {
            return Some(Parsed::Finite(LongDouble::zero(negative)));
        }
        let value = from_scaled(magnitude, exp2, exp10)?;
        // A nonzero input that rounds to zero is strtold's ERANGE underflow.
        (value.significand != 0).then_some(Parsed::Finite(LongDouble { negative, ..value }))
    }

    fn zero(negative: bool) -> LongDouble {
        LongDouble {
            negative,
            significand: 0,
            exponent: 0,
        }
    }

    /// The correctly rounded sum; None when it overflows to infinity.
    pub fn checked_add(self, other: LongDouble) -> Option<LongDouble> {
        match (self.significand == 0, other.significand == 0) {
            // IEEE: -0 + -0 is -0; x + 0 is x.
            (true, true) => return Some(LongDouble::zero(self.negative && other.negative)),
            (true, false) => return Some(other),
            (false, true) => return Some(self),
            (false, false) => {}
        }
        let base = self.exponent.min(other.exponent);
        let a = Big::from_u128(u128::from(self.significand)).shl(shift(self.exponent - base));
        let b = Big::from_u128(u128::from(other.significand)).shl(shift(other.exponent - base));
        let (negative, magnitude) = if self.negative == other.negative {
            (self.negative, a.add(&b))
        } else {
            match a.cmp(&b) {
                Ordering::Equal => return Some(LongDouble::zero(false)),
                Ordering::Greater => (self.negative, a.sub(&b)),
                Ordering::Less => (other.negative, b.sub(&a)),
            }
        };
        let rounded = round(magnitude, base)?;
        Some(LongDouble {
            negative,
            ..rounded
        })
    }

    /// Redis's human-friendly form: `%.17Lf` with trailing zeros (and a bare point) removed,
    /// and "-0" written as "0".
    pub fn format(self) -> String {
        let scaled = Big::from_u128(u128::from(self.significand)).mul_pow10(FRACTION_DIGITS);
        let units = if self.exponent >= 0 {
            scaled.shl(shift(self.exponent))
        } else {
            scaled.shr_round_even(shift(-self.exponent))
        };
        if units.is_zero() {
            return "0".to_string();
        }
        let digits = format!(
            "{:0>width$}",
            units.to_decimal(),
            width = FRACTION_DIGITS + 1
        );
        let (int_part, frac_part) = digits.split_at(digits.len() - FRACTION_DIGITS);
        let frac_part = frac_part.trim_end_matches('0');
        let sign = if self.negative { "-" } else { "" };
        if frac_part.is_empty() {
            format!("{sign}{int_part}")
        } else {
            format!("{sign}{int_part}.{frac_part}")
        }
    }
}

/// Shift amounts are bounded by the exponent range (about 33k bits).
fn shift(bits: i64) -> u32 {
    u32::try_from(bits).expect("shift within the x87 exponent range")
}

/// Parses the unsigned part of a number: (digits as an integer, binary exponent, decimal
/// exponent), value = digits * 2^exp2 * 10^exp10. None unless the whole input is consumed.
fn parse_number(body: &[u8]) -> Option<(Big, i64, i64)> {
    let hex = body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x';
    let (radix, marker, rest) = if hex {
        (16, b'p', &body[2..])
    } else {
        (10, b'e', body)
    };
    let (mantissa, exponent) = match rest.iter().position(|b| (b | 0x20) == marker) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int_digits, frac_digits) = match mantissa.iter().position(|&b| b == b'.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &mantissa[..0]),
    };
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let mut value = Big::zero();
    for &byte in int_digits.iter().chain(frac_digits) {
        value = value
            .mul_small(radix)
            .add_small(char::from(byte).to_digit(radix)?);
    }
    let exp = match exponent {
        Some(text) => parse_exponent(text)?,
        None => 0,
    };
    let frac_len = frac_digits.len() as i64;
    if hex {
        Some((value, exp - 4 * frac_len, 0))
    } else {
        Some((value, 0, exp - frac_len))
    }
}

/// An exponent: optional sign and at least one digit. Saturates far beyond the range where
/// every value overflows or underflows, so that the arithmetic stays bounded.
fn parse_exponent(text: &[u8]) -> Option<i64> {
    const SATURATION: i64 = 1_000_000;
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits.iter().fold(0i64, |acc, d| {
        (acc * 10 + i64::from(d - b'0')).min(SATURATION)
    });
    Some(if negative { -magnitude } else { magnitude })
}

/// Rounds digits * 2^exp2 * 10^exp10 (digits nonzero) to an x87 value; None on overflow.
fn from_scaled(digits: Big, exp2: i64, exp10: i64) -> Option<LongDouble> {
    // Decimal digits before the point, roughly: far outside the range means overflow or zero.
    let magnitude10 = digits.bit_len() as i64 * 3 / 10 + exp10 + exp2 * 3 / 10;
    if magnitude10 > 5000 {
        return None;
    }
    if magnitude10 < -5000 {
        return Some(LongDouble::zero(false));
    }
    if exp10 >= 0 {
        return round(digits.mul_pow10(exp10 as usize), exp2);
    }
    // digits / 10^n: take a quotient of 66+ bits, and keep a sticky bit for any remainder
    // so that round-half-even sees whether the value lies exactly on a tie.
    let divisor = Big::from_u128(1).mul_pow10((-exp10) as usize);
    let excess = digits.bit_len() as i64 - divisor.bit_len() as i64 - 66;
    let (numerator, denominator) = if excess < 0 {
        (digits.shl(shift(-excess)), divisor)
    } else {
        (digits, divisor.shl(shift(excess)))
    };
    let (quotient, exact) = numerator.div_small_quotient(&denominator);
    let sticky = Big::from_u128((quotient << 1) | u128::from(!exact));
    round(sticky, exp2 + excess - 1)
}

/// Rounds magnitude * 2^exponent (magnitude nonzero) to 64 significant bits, fewer for
/// denormals, ties to even. None when the result overflows to infinity.
fn round(magnitude: Big, exponent: i64) -> Option<LongDouble> {
    let top = magnitude.bit_len() as i64 + exponent;
    let target = (top - i64::from(PRECISION)).max(EXP_MIN);
    let mut significand = if target >= exponent {
        magnitude.shr_round_even(shift(target - exponent))
    } else {
        magnitude.shl(shift(exponent - target))
    };
    let mut target = target;
    if significand.bit_len() > PRECISION as usize {
        significand = significand.shr_round_even(1);
        target += 1;
    }
    if target > EXP_MAX {
        return None;
    }
    Some(LongDouble {
        negative: false,
        significand: significand.to_u64(),
        exponent: target,
    })
}

/// A minimal unsigned big integer (little-endian 32-bit limbs, no trailing zero limbs): just
/// what exact parsing, adding and printing need.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Big {
    limbs: Vec<u32>,
}

impl Big {
    fn zero() -> Big {
        Big { limbs: Vec::new() }
    }

    fn from_u128(value: u128) -> Big {
        let limbs = (0..4).map(|i| (value >> (32 * i)) as u32).collect();
        Big { limbs }.trimmed()
    }

    fn trimmed(mut self) -> Big {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
        self
    }

    fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn bit_len(&self) -> usize {
        match self.limbs.last() {
            Some(top) => self.limbs.len() * 32 - top.leading_zeros() as usize,
            None => 0,
        }
    }

    fn bit(&self, index: usize) -> bool {
        self.limbs
            .get(index / 32)
            .is_some_and(|limb| limb >> (index % 32) & 1 == 1)
    }

    fn to_u64(&self) -> u64 {
        let low = u64::from(self.limbs.first().copied().unwrap_or(0));
        let high = u64::from(self.limbs.get(1).copied().unwrap_or(0));
        low | high << 32
    }

    fn mul_small(mut self, factor: u32) -> Big {
        let mut carry = 0u64;
        for limb in &mut self.limbs {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            self.limbs.push(carry as u32);
        }
        self.trimmed()
    }

    fn add_small(self, addend: u32) -> Big {
        self.add(&Big::from_u128(u128::from(addend)))
    }

    fn mul_pow10(mut self, power: usize) -> Big {
        for _ in 0..power / 9 {
            self = self.mul_small(1_000_000_000);
        }
        self.mul_small(10u32.pow((power % 9) as u32))
    }

    fn add(&self, other: &Big) -> Big {
        let len = self.limbs.len().max(other.limbs.len());
        let mut limbs = Vec::with_capacity(len + 1);
        let mut carry = 0u64;
        for i in 0..len {
            let sum = u64::from(self.limbs.get(i).copied().unwrap_or(0))
                + u64::from(other.limbs.get(i).copied().unwrap_or(0))
                + carry;
            limbs.push(sum as u32);
            carry = sum >> 32;
        }
        limbs.push(carry as u32);
        Big { limbs }.trimmed()
    }

    /// self - other; the caller guarantees self >= other.
    fn sub(&self, other: &Big) -> Big {
        let mut limbs = Vec::with_capacity(self.limbs.len());
        let mut borrow = 0i64;
        for (i, limb) in self.limbs.iter().enumerate() {
            let mut diff =
                i64::from(*limb) - i64::from(other.limbs.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(diff < 0);
            if diff < 0 {
                diff += 1 << 32;
            }
            limbs.push(diff as u32);
        }
        debug_assert_eq!(borrow, 0, "Big::sub underflow");
        Big { limbs }.trimmed()
    }

    fn shl(&self, bits: u32) -> Big {
        let (words, rest) = ((bits / 32) as usize, bits % 32);
        let mut limbs = vec![0u32; words];
        let mut carry = 0u32;
        for limb in &self.limbs {
            limbs.push(if rest == 0 {
                *limb
            } else {
                limb << rest | carry
            });
            carry = if rest == 0 { 0 } else { limb >> (32 - rest) };
        }
        limbs.push(carry);
        Big { limbs }.trimmed()
    }

    /// self >> bits, rounded to nearest with ties to even.
    fn shr_round_even(&self, bits: u32) -> Big {
        if bits == 0 {
            return self.clone();
        }
        let bits_usize = bits as usize;
        let (words, rest) = (bits_usize / 32, bits % 32);
        let mut limbs: Vec<u32> = self.limbs.iter().skip(words).copied().collect();
        if rest > 0 {
            for i in 0..limbs.len() {
                let next = limbs.get(i + 1).copied().unwrap_or(0);
                limbs[i] = limbs[i] >> rest | next << (32 - rest);
            }
        }
        let floor = Big { limbs }.trimmed();
        let half = self.bit(bits_usize - 1);
        let below_half = (0..bits_usize - 1).any(|i| self.bit(i));
        let round_up = half && (below_half || floor.bit(0));
        if round_up {
            floor.add_small(1)
        } else {
            floor
        }
    }

    /// (self / divisor, remainder == 0) when the quotient is known to fit 68 bits.
    fn div_small_quotient(&self, divisor: &Big) -> (u128, bool) {
        let mut remainder = self.clone();
        let mut quotient = 0u128;
        for bit in (0..68).rev() {
            let step = divisor.shl(bit);
            if remainder.cmp(&step) != Ordering::Less {
                remainder = remainder.sub(&step);
                quotient |= 1 << bit;
            }
        }
        (quotient, remainder.is_zero())
    }

    fn to_decimal(&self) -> String {
        let mut chunks = Vec::new();
        let mut rest = self.clone();
        while !rest.is_zero() {
            let mut remainder = 0u64;
            for limb in rest.limbs.iter_mut().rev() {
                let current = remainder << 32 | u64::from(*limb);
                *limb = (current / 1_000_000_000) as u32;
                remainder = current % 1_000_000_000;
            }
            chunks.push(remainder);
            rest = rest.trimmed();
        }
        let mut text = chunks.pop().map(|c| c.to_string()).unwrap_or_default();
        for chunk in chunks.iter().rev() {
            text.push_str(&format!("{chunk:09}"));
        }
        text
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Big) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Big) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finite(text: &str) -> LongDouble {
        match LongDouble::parse(text.as_bytes()) {
            Some(Parsed::Finite(value)) => value,
            other => panic!("{text}: {other:?}"),
        }
    }

    /// Checks each row `(a, b, a + b as printed)`.
    fn sums(rows: &[(&str, &str, &str)]) {
        for (a, b, printed) in rows {
            let sum = finite(a).checked_add(finite(b)).expect("finite sum");
            assert_eq!(sum.format(), *printed, "{a} + {b}");
        }
    }

    #[test]
    fn sums_print_like_redis_on_x86_64_with_a_64_bit_significand() {
        // What Redis replies on x86-64 (long double sums printed with %.17Lf, zeros trimmed).
        sums(&[
            ("0", "1.1", "1.1"),
            ("0.1", "0.2", "0.3"),
            ("10.5", "0.1", "10.6"),
            ("1", "-1.1", "-0.1"),
            ("17179869184", "1.5", "17179869185.5"),
            ("5.0e3", "2.0e2", "5200"),
            ("1.5", "1.5", "3"),
            ("3", "-3", "0"),
            ("0", "1e-18", "0"),
            // -0 prints as 0.
            ("0", "-1e-18", "0"),
            ("0", "0x10", "16"),
            ("0", "0x1.8p1", "3"),
            ("0", "1e20", "100000000000000000000"),
            ("0", ".5", "0.5"),
            ("0", "5.", "5"),
            ("0", "+2", "2"),
            // Checked against glibc's strtold and printf("%.17Lf") on x86-64.
            ("0", "2.675", "2.675"),
            ("0.1", "0.7", "0.8"),
            ("1e-17", "5e-18", "0.00000000000000002"),
            ("0", "0x1p-16445", "0"),
            (
                "0",
                "0.123456789012345678901234567890",
                "0.12345678901234568",
            ),
            ("-7.3", "1e-10", "-7.2999999999"),
            ("0", "2.5e-17", "0.00000000000000002"),
            // The precision is that of a 64-bit significand.
            // 2^64 + 1 is not representable: it rounds to even (2^64).
            ("18446744073709551616", "1", "18446744073709551616"),
            // 2^63 + 1 is.
            ("9223372036854775808", "1", "9223372036854775809"),
            // 0.1 in long double is 0.1000000000000000000013552527156068805425; 17 places hide it.
            ("0", "0.1", "0.1"),
            ("0", "0.00000000000000001", "0.00000000000000001"),
        ]);
    }

    #[test]
    fn parse_rejects_what_string2ld_rejects() {
        for bad in [
            "", " 1", "1 ", "abc", "1e", "e5", ".", "-", "nan", "NaN", "0x", "1..2", "1e5000",
            "-1e5000", "1e-5000", "1,5",
        ] {
            assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(LongDouble::parse(&vec![b'1'; INPUT_LEN_MAX]), None);
        assert_eq!(LongDouble::parse(b"inf"), Some(Parsed::Infinite));
        assert_eq!(LongDouble::parse(b"-Infinity"), Some(Parsed::Infinite));
        assert!(matches!(
            LongDouble::parse(b"0e-99999"),
            Some(Parsed::Finite(_))
        ));
        assert!(
            matches!(LongDouble::parse(b"1e-4940"), Some(Parsed::Finite(_))),
            "denormal"
        );
        assert!(matches!(
            LongDouble::parse(b"1e4932"),
            Some(Parsed::Finite(_))
        ));
        assert_eq!(
            LongDouble::parse(b"1.2e4932"),
            None,
            "above the largest long double"
        );
    }

    #[test]
    fn arbitrary_input_never_panics() {
        const ALPHABET: &[u8] = b"0123456789.eEpPxX+-abcfin ";
        let mut rng = crate::rng::Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut previous = LongDouble::zero(false);
        for _ in 0..5_000 {
            let len = rng.below(12);
            let input: Vec<u8> = (0..len)
                .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                .collect();
            if let Some(Parsed::Finite(value)) = LongDouble::parse(&input) {
                if let Some(sum) = value.checked_add(previous) {
                    let text = sum.format();
                    assert!(matches!(
                        LongDouble::parse(text.as_bytes()),
                        Some(Parsed::Finite(_))
                    ));
                    previous = sum;
                }
            }
        }
    }

    #[test]
    fn overflow_of_a_sum_is_reported() {
        let big = finite("1.1e4932");
        assert_eq!(big.checked_add(big), None);
        assert!(
            finite("1e308").checked_add(finite("1e308")).is_some(),
            "long double exceeds f64"
        );
    }

    #[test]
    fn big_integer_round_trips_to_decimal() {
        let n = Big::from_u128(123_456_789_012_345_678_901_234_567_890);
        assert_eq!(n.to_decimal(), "123456789012345678901234567890");
        assert_eq!(Big::from_u128(5).shr_round_even(1), Big::from_u128(2));
        assert_eq!(Big::from_u128(7).shr_round_even(1), Big::from_u128(4));
        assert_eq!(Big::from_u128(6).shr_round_even(2), Big::from_u128(2));
    }
}
