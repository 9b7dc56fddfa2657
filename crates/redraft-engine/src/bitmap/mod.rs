//! Bitmap commands (bitops.c): single bits, population counts, bit searches, bitwise
//! operations across keys and BITFIELD's packed integers, all over plain string values.
//! Bits are numbered from the most significant bit of the first byte, as in Redis.

mod commands;
#[cfg(test)]
mod tests;
mod value;

pub(crate) use commands::COMMANDS;
