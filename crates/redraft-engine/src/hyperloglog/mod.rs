//! HyperLogLog commands (hyperloglog.c) over Redis's own string representation, so that the
//! bytes and the counts are those of redis-server for the same inputs: a 16-byte header
//! ("HYLL", encoding, 3 unused bytes, the cached cardinality little endian with its top bit
//! meaning "stale"), then 16384 registers of 6 bits, either dense (12288 bytes, register 0 in
//! the low bits of the first byte) or sparse (ZERO, XZERO and VAL run-length opcodes).
//!
//! PFCOUNT is a read here: it never writes the cached cardinality back, so the cache bytes
//! of a key stay "stale" where Redis would have filled them in (see docs/commands.md).

mod commands;
#[cfg(test)]
mod tests;
mod value;

pub(crate) use commands::COMMANDS;
