//! Bitmap commands (bitops.c): single bits, population counts, bit searches, bitwise
//! operations across keys and BITFIELD's packed integers, all over plain string values.
//! Bits are numbered from the most significant bit of the first byte, as in Redis.

mod commands;
#[cfg(test)]
mod tests;
mod value;

pub(crate) use commands::COMMANDS;
pub use commands::{bitcount, bitfield, bitfield_ro, bitop, bitpos, getbit, setbit};
pub use value::{
    bit_op, count_bits, find_bit, get_bit, get_signed, get_unsigned, popcount, set_bit, set_field,
    signed_overflow, unsigned_overflow, BitOp, Overflow,
};
