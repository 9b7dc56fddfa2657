//! The data structure half: bits and packed integers of a byte string. No command code here.

/// The bit at `offset` (0 past the end).
pub fn get_bit(bytes: &[u8], offset: u64) -> u8 {
    let byte = (offset >> 3) as usize;
    bytes.get(byte).map_or(0, |b| (b >> (7 - (offset & 7))) & 1)
}

/// Sets the bit at `offset` (the string must already reach it); returns the old bit.
pub fn set_bit(bytes: &mut [u8], offset: u64, on: bool) -> u8 {
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    let old = u8::from(bytes[byte] & mask != 0);
    if on {
        bytes[byte] |= mask;
    } else {
        bytes[byte] &= !mask;
    }
    old
}

/// The unsigned integer of `bits` bits starting at bit `offset` (zero past the end).
pub fn get_unsigned(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    (0..u64::from(bits)).fold(0u64, |acc, i| {
        (acc << 1) | u64::from(get_bit(bytes, offset + i))
    })
}

/// The same bits read as a two's complement signed integer.
pub fn get_signed(bytes: &[u8], offset: u64, bits: u32) -> i64 {
    let value = get_unsigned(bytes, offset, bits);
    if bits < 64 && value & (1u64 << (bits - 1)) != 0 {
        (value | (u64::MAX << bits)) as i64
    } else {
        value as i64
    }
}

/// Writes the low `bits` bits of `value` at bit `offset` (the string must reach them).
pub fn set_field(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..u64::from(bits) {
        let bit = (value >> (u64::from(bits) - 1 - i)) & 1;
        set_bit(bytes, offset + i, bit == 1);
    }
}

/// How BITFIELD handles a result that does not fit its type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// checkUnsignedBitfieldOverflow: whether `value + incr` leaves `bits` bits, and the value
/// to store instead (wrapped or saturated) when it does.
pub fn unsigned_overflow(value: u64, incr: i64, bits: u32, how: Overflow) -> Option<u64> {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    let wrapped = || value.wrapping_add(incr as u64) & !(u64::MAX << bits);
    if value > max || (incr > 0 && incr > max_incr) {
        Some(match how {
            Overflow::Wrap => wrapped(),
            _ => max,
        })
    } else if incr < 0 && incr < min_incr {
        Some(match how {
            Overflow::Wrap => wrapped(),
            _ => 0,
        })
    } else {
        None
    }
}

/// checkSignedBitfieldOverflow, the signed counterpart.
pub fn signed_overflow(value: i64, incr: i64, bits: u32, how: Overflow) -> Option<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrapped = || {
        let sum = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if sum & (1u64 << (bits - 1)) != 0 {
                (sum | mask) as i64
            } else {
                (sum & !mask) as i64
            }
        } else {
            sum as i64
        }
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr)
    {
        Some(match how {
            Overflow::Wrap => wrapped(),
            _ => max,
        })
    } else if value < min
        || (bits != 64 && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        Some(match how {
            Overflow::Wrap => wrapped(),
            _ => min,
        })
    } else {
        None
    }
}

/// Number of set bits.
pub fn popcount(bytes: &[u8]) -> u64 {
    bytes.iter().map(|b| u64::from(b.count_ones())).sum()
}

/// Number of set bits in bits `from..=to` (absolute positions within the string): the whole
/// bytes they touch, less the bits of the first and last byte outside the range.
pub fn count_bits(bytes: &[u8], from: u64, to: u64) -> u64 {
    let whole = popcount(&bytes[(from >> 3) as usize..=(to >> 3) as usize]);
    let outside = (from & !7..from).chain(to + 1..(to | 7) + 1);
    whole - outside.filter(|&bit| get_bit(bytes, bit) == 1).count() as u64
}

/// The first bit equal to `bit` in bits `from..=to` (absolute positions), if any.
pub fn find_bit(bytes: &[u8], bit: u8, from: u64, to: u64) -> Option<u64> {
    let skip = if bit == 1 { 0x00 } else { 0xff };
    let mut pos = from;
    while pos <= to {
        if pos & 7 == 0 && pos + 7 <= to && bytes[(pos >> 3) as usize] == skip {
            pos += 8;
            continue;
        }
        if get_bit(bytes, pos) == bit {
            return Some(pos);
        }
        pos += 1;
    }
    None
}

/// The bitwise operations of BITOP.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP over sources (missing ones are empty); shorter sources are zero-padded.
pub fn bit_op(op: BitOp, sources: &[&[u8]]) -> Vec<u8> {
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    (0..len)
        .map(|j| {
            let byte = |s: &[u8]| s.get(j).copied().unwrap_or(0);
            let first = byte(sources[0]);
            sources[1..]
                .iter()
                .fold(
                    if op == BitOp::Not { !first } else { first },
                    |acc, s| match op {
                        BitOp::And => acc & byte(s),
                        BitOp::Or => acc | byte(s),
                        BitOp::Xor => acc ^ byte(s),
                        BitOp::Not => acc,
                    },
                )
        })
        .collect()
}
