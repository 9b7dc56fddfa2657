//! Bitmap commands (bitops.c): single bits, population counts, bit searches, bitwise
//! operations across keys and BITFIELD's packed integers, all over plain string values.
//! Bits are numbered from the most significant bit of the first byte, as in Redis.

use crate::args::{self, int_arg, is, reply, syntax_error};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::keyspace::{Entry, Value};
use crate::reply::Reply;
use crate::string::{lookup_string, STRING_LEN_MAX};
use crate::table::{
    cmd, legacy, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST,
};

const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BAD_BIT: &str = "ERR bit is not an integer or out of range";
const BAD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

// ---------------------------------------------------------------------------------------
// The data structure half: bits of a byte string.

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

// ---------------------------------------------------------------------------------------
// The commands half.

/// getBitOffsetFromArgument: an integer (or `#n`, n fields of `bits` bits, for BITFIELD)
/// whose byte stays under the 512 MB string cap.
fn bit_offset(arg: &[u8], hash_bits: Option<u32>) -> Result<u64, Reply> {
    let bad = || Reply::error(BAD_OFFSET);
    let (digits, multiplier) = match (arg.first(), hash_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], i64::from(bits)),
        _ => (arg, 1),
    };
    let offset = args::parse_i64(digits)
        .ok_or_else(bad)?
        .wrapping_mul(multiplier);
    let offset = u64::try_from(offset).map_err(|_| bad())?;
    if (offset >> 3) >= STRING_LEN_MAX {
        return Err(bad());
    }
    Ok(offset)
}

/// lookupStringForBitCommand: the string at `key`, created or zero-extended so that bit
/// `max_bit` exists.
fn string_for_bits<'a>(
    ctx: &'a mut WriteCtx,
    key: &[u8],
    max_bit: u64,
) -> Result<&'a mut Vec<u8>, Reply> {
    let now = ctx.now_ms;
    let len = (max_bit >> 3) as usize + 1;
    if ctx.db().get(key, now).is_none() {
        let entry = Entry {
            value: Value::String(vec![0; len]),
            expires_at_ms: None,
        };
        ctx.db().insert(key, entry);
    }
    let entry = ctx.db().get_mut(key, now).expect("present");
    let bytes = entry.value.as_string_mut().ok_or_else(Reply::wrong_type)?;
    if bytes.len() < len {
        bytes.resize(len, 0);
    }
    Ok(bytes)
}

/// SETBIT key offset 0|1
pub fn setbit(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(setbit_result(ctx, argv))
}

fn setbit_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let offset = bit_offset(&argv[2], None)?;
    let on = match args::parse_i64(&argv[3]) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(Reply::error(BAD_BIT)),
    };
    let bytes = string_for_bits(ctx, &argv[1], offset)?;
    Ok(Reply::Integer(i64::from(set_bit(bytes, offset, on))))
}

/// GETBIT key offset
pub fn getbit(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply((|| {
        let offset = bit_offset(&argv[2], None)?;
        let bytes = lookup_string(ctx.db(), &argv[1], ctx.now_ms)?.unwrap_or_default();
        Ok(Reply::Integer(i64::from(get_bit(bytes, offset))))
    })())
}

/// Whether a range is in bytes or in bits (BYTE | BIT).
fn range_unit(arg: &[u8]) -> Result<bool, Reply> {
    if is(arg, "BIT") {
        Ok(true)
    } else if is(arg, "BYTE") {
        Ok(false)
    } else {
        Err(syntax_error())
    }
}

/// Clamps a start/end pair as bitcount/bitpos do, in units of `total` (bytes or bits):
/// the inclusive range, or None when it is empty.
fn clamp_range(start: i64, end: i64, total: i64) -> Option<(i64, i64)> {
    let start = if start < 0 { total + start } else { start }.max(0);
    let end = if end < 0 { total + end } else { end }
        .max(0)
        .min(total - 1);
    (start <= end).then_some((start, end))
}

/// BITCOUNT key [start end [BYTE | BIT]]. As in Redis 7.0, a missing key answers 0 before
/// the range is looked at.
pub fn bitcount(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(bitcount_result(ctx, argv))
}

fn bitcount_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let Some(bytes) = lookup_string(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let len = bytes.len() as i64;
    let count = match argv.len() {
        2 => popcount(bytes),
        4 | 5 => {
            let start = int_arg(&argv[2])?;
            let end = int_arg(&argv[3])?;
            // Redis 7.0 answers an empty negative range before reading the unit.
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::Integer(0));
            }
            let in_bits = argv.len() == 5 && range_unit(&argv[4])?;
            if in_bits {
                clamp_range(start, end, len * 8).map_or(0, |(from, to)| {
                    let (from, to) = (from as u64, to as u64);
                    let whole = popcount(&bytes[(from >> 3) as usize..=(to >> 3) as usize]);
                    let head = (from & !7..from)
                        .filter(|&b| get_bit(bytes, b) == 1)
                        .count();
                    let tail = (to + 1..(to | 7) + 1)
                        .filter(|&b| get_bit(bytes, b) == 1)
                        .count();
                    whole - head as u64 - tail as u64
                })
            } else {
                clamp_range(start, end, len).map_or(0, |(from, to)| {
                    popcount(&bytes[from as usize..=to as usize])
                })
            }
        }
        _ => return Err(syntax_error()),
    };
    Ok(Reply::Integer(count as i64))
}

/// BITPOS key bit [start [end [BYTE | BIT]]]
pub fn bitpos(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(bitpos_result(ctx, argv))
}

fn bitpos_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let bit = match int_arg(&argv[2])? {
        0 => 0u8,
        1 => 1u8,
        _ => return Err(Reply::error("ERR The bit argument must be 1 or 0.")),
    };
    let Some(bytes) = lookup_string(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(Reply::Integer(if bit == 1 { -1 } else { 0 }));
    };
    let len = bytes.len() as i64;
    // The bit range to search, inclusive, and whether the caller bounded its end.
    let (range, end_given) = match argv.len() {
        3 => (
            clamp_range(0, len - 1, len).map(|(s, e)| (s * 8, e * 8 + 7)),
            false,
        ),
        4..=6 => {
            let start = int_arg(&argv[3])?;
            let in_bits = argv.len() == 6 && range_unit(&argv[5])?;
            let end_given = argv.len() >= 5;
            let end = if end_given {
                int_arg(&argv[4])?
            } else if in_bits {
                len * 8 + 7
            } else {
                len - 1
            };
            let range = if in_bits {
                clamp_range(start, end, len * 8)
            } else {
                clamp_range(start, end, len).map(|(s, e)| (s * 8, e * 8 + 7))
            };
            (range, end_given)
        }
        _ => return Err(syntax_error()),
    };
    let Some((from, to)) = range else {
        return Ok(Reply::Integer(-1));
    };
    let (from, to) = (from as u64, to as u64);
    let found = find_bit(bytes, bit, from, to);
    Ok(Reply::Integer(match found {
        Some(pos) => pos as i64,
        // No clear bit in range: past the end of the string counts as zeros unless the
        // caller gave the end; a set bit is simply absent.
        None if bit == 0 && !end_given => ((to >> 3) + 1) as i64 * 8,
        None => -1,
    }))
}

/// BITOP AND | OR | XOR | NOT destkey key [key ...]: the destination gets the result (no
/// deadline), or is deleted when the result is empty; replies with the result's length.
pub fn bitop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(bitop_result(ctx, argv))
}

fn bitop_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let op = [
        ("AND", BitOp::And),
        ("OR", BitOp::Or),
        ("XOR", BitOp::Xor),
        ("NOT", BitOp::Not),
    ]
    .into_iter()
    .find(|(name, _)| is(&argv[1], name))
    .map(|(_, op)| op)
    .ok_or_else(syntax_error)?;
    if op == BitOp::Not && argv.len() != 4 {
        return Err(Reply::error(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let now = ctx.now_ms;
    let result = {
        let db = ctx.db();
        let mut sources = Vec::with_capacity(argv.len() - 3);
        for key in &argv[3..] {
            sources.push(lookup_string(db, key, now)?.unwrap_or_default());
        }
        bit_op(op, &sources)
    };
    let len = result.len() as i64;
    if result.is_empty() {
        ctx.db().remove(&argv[2], now);
    } else {
        let entry = Entry {
            value: Value::String(result),
            expires_at_ms: None,
        };
        ctx.db().insert(&argv[2], entry);
    }
    Ok(Reply::Integer(len))
}

/// One BITFIELD operation, parsed.
#[derive(Clone, Copy, Debug)]
struct FieldOp {
    kind: FieldKind,
    signed: bool,
    bits: u32,
    offset: u64,
    value: i64,
    overflow: Overflow,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum FieldKind {
    Get,
    Set,
    IncrBy,
}

/// getBitfieldTypeFromArgument: `i1`..`i64` or `u1`..`u63` (lower-case only in Redis 7.0).
fn field_type(arg: &[u8]) -> Result<(bool, u32), Reply> {
    let bad = || Reply::error(BAD_TYPE);
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(bad()),
    };
    let bits = args::parse_i64(args::c_str(&arg[1..])).ok_or_else(bad)?;
    let max = if signed { 64 } else { 63 };
    if !(1..=max).contains(&bits) {
        return Err(bad());
    }
    Ok((signed, bits as u32))
}

/// Parses the subcommands of BITFIELD: errors in the order Redis meets them.
fn parse_field_ops(argv: &[Vec<u8>]) -> Result<Vec<FieldOp>, Reply> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let remaining = argv.len() - j - 1;
        let sub = &argv[j];
        let kind = if is(sub, "GET") && remaining >= 2 {
            FieldKind::Get
        } else if is(sub, "SET") && remaining >= 3 {
            FieldKind::Set
        } else if is(sub, "INCRBY") && remaining >= 3 {
            FieldKind::IncrBy
        } else if is(sub, "OVERFLOW") && remaining >= 1 {
            let how = &argv[j + 1];
            overflow = if is(how, "WRAP") {
                Overflow::Wrap
            } else if is(how, "SAT") {
                Overflow::Sat
            } else if is(how, "FAIL") {
                Overflow::Fail
            } else {
                return Err(Reply::error("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(syntax_error());
        };
        let (signed, bits) = field_type(&argv[j + 1])?;
        let offset = bit_offset(&argv[j + 2], Some(bits))?;
        let value = if kind == FieldKind::Get {
            0
        } else {
            int_arg(&argv[j + 3])?
        };
        ops.push(FieldOp {
            kind,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
        j += if kind == FieldKind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

/// Runs one SET or INCRBY on the string: its reply (Nil when FAIL refused it).
fn field_write(bytes: &mut [u8], op: &FieldOp) -> Reply {
    let incr = op.kind == FieldKind::IncrBy;
    if op.signed {
        let old = get_signed(bytes, op.offset, op.bits);
        let (new, overflowed) = if incr {
            match signed_overflow(old, op.value, op.bits, op.overflow) {
                Some(limit) => (limit, true),
                None => (old.wrapping_add(op.value), false),
            }
        } else {
            match signed_overflow(op.value, 0, op.bits, op.overflow) {
                Some(limit) => (limit, true),
                None => (op.value, false),
            }
        };
        if overflowed && op.overflow == Overflow::Fail {
            return Reply::Nil;
        }
        set_field(bytes, op.offset, op.bits, new as u64);
        Reply::Integer(if incr { new } else { old })
    } else {
        let old = get_unsigned(bytes, op.offset, op.bits);
        let (new, overflowed) = if incr {
            match unsigned_overflow(old, op.value, op.bits, op.overflow) {
                Some(limit) => (limit, true),
                None => (old.wrapping_add(op.value as u64), false),
            }
        } else {
            match unsigned_overflow(op.value as u64, 0, op.bits, op.overflow) {
                Some(limit) => (limit, true),
                None => (op.value as u64, false),
            }
        };
        if overflowed && op.overflow == Overflow::Fail {
            return Reply::Nil;
        }
        set_field(bytes, op.offset, op.bits, new);
        Reply::Integer(if incr { new as i64 } else { old as i64 })
    }
}

fn field_get(bytes: &[u8], op: &FieldOp) -> Reply {
    Reply::Integer(if op.signed {
        get_signed(bytes, op.offset, op.bits)
    } else {
        get_unsigned(bytes, op.offset, op.bits) as i64
    })
}

/// BITFIELD key [GET type offset | SET type offset value | INCRBY type offset incr |
/// OVERFLOW WRAP|SAT|FAIL] ...: a key is created (and grown) only when some operation writes.
pub fn bitfield(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(bitfield_result(ctx, argv))
}

fn bitfield_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let ops = parse_field_ops(argv)?;
    let highest = ops
        .iter()
        .filter(|op| op.kind != FieldKind::Get)
        .map(|op| op.offset + u64::from(op.bits) - 1)
        .max();
    let Some(highest) = highest else {
        return bitfield_read(&ctx.as_read(), &argv[1], &ops);
    };
    let bytes = string_for_bits(ctx, &argv[1], highest)?;
    let replies = ops
        .iter()
        .map(|op| match op.kind {
            FieldKind::Get => field_get(bytes, op),
            _ => field_write(bytes, op),
        })
        .collect();
    Ok(Reply::Array(replies))
}

fn bitfield_read(ctx: &ReadCtx, key: &[u8], ops: &[FieldOp]) -> Result<Reply, Reply> {
    let bytes = lookup_string(ctx.db(), key, ctx.now_ms)?.unwrap_or_default();
    Ok(Reply::Array(
        ops.iter().map(|op| field_get(bytes, op)).collect(),
    ))
}

/// BITFIELD_RO key [GET type offset] ...
pub fn bitfield_ro(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply((|| {
        let ops = parse_field_ops(argv)?;
        if ops.iter().any(|op| op.kind != FieldKind::Get) {
            return Err(Reply::error(
                "ERR BITFIELD_RO only supports the GET subcommand",
            ));
        }
        bitfield_read(ctx, &argv[1], &ops)
    })())
}

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("bitcount", -2, 0, 1, 1, 1, Read(legacy!(bitcount))),
    cmd!("bitfield", -2, DENYOOM, 1, 1, 1, Write(legacy!(bitfield))),
    cmd!("bitfield_ro", -2, FAST, 1, 1, 1, Read(legacy!(bitfield_ro))),
    cmd!("bitop", -4, DENYOOM, 2, -1, 1, Write(legacy!(bitop))),
    cmd!("bitpos", -3, 0, 1, 1, 1, Read(legacy!(bitpos))),
    cmd!("getbit", 3, FAST, 1, 1, 1, Read(legacy!(getbit))),
    cmd!("setbit", 4, DENYOOM, 1, 1, 1, Write(legacy!(setbit))),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{apply, argv, bulk, err, int, ok, read};
    use crate::Engine;

    const SYNTAX: &str = "ERR syntax error";
    const WRONG: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn with_list() -> Engine {
        let mut engine = Engine::new();
        apply(&mut engine, 0, &["RPUSH", "l", "x"]);
        engine
    }

    fn set_bytes(engine: &mut Engine, key: &str, bytes: &[u8]) {
        let mut command = argv(&["SET", key]);
        command.push(bytes.to_vec());
        assert_eq!(apply(engine, 0, command), ok());
    }

    #[test]
    fn setbit_and_getbit() {
        let mut engine = with_list();
        assert_eq!(apply(&mut engine, 0, &["SETBIT", "k", "7", "1"]), int(0));
        assert_eq!(apply(&mut engine, 0, &["SETBIT", "k", "7", "0"]), int(1));
        assert_eq!(apply(&mut engine, 0, &["SETBIT", "k", "12", "1"]), int(0));
        assert_eq!(
            read(&engine, 0, &["GET", "k"]),
            Reply::bulk(vec![0x00, 0x08])
        );
        assert_eq!(read(&engine, 0, &["GETBIT", "k", "12"]), int(1));
        assert_eq!(read(&engine, 0, &["GETBIT", "k", "11"]), int(0));
        assert_eq!(read(&engine, 0, &["GETBIT", "k", "4294967295"]), int(0));
        assert_eq!(read(&engine, 0, &["GETBIT", "nope", "3"]), int(0));
        // The deadline is kept.
        apply(&mut engine, 0, &["PEXPIRE", "k", "100"]);
        assert_eq!(apply(&mut engine, 0, &["SETBIT", "k", "0", "1"]), int(0));
        assert_eq!(read(&engine, 0, &["PTTL", "k"]), int(100));
        assert_eq!(
            read(&engine, 0, &["GET", "k"]),
            Reply::bulk(vec![0x80, 0x08])
        );
    }

    #[test]
    fn setbit_and_getbit_errors() {
        let mut engine = with_list();
        let offset = err(BAD_OFFSET);
        for bad in ["-1", "4294967296", "x", "1.5", "+1", "#1", ""] {
            assert_eq!(
                apply(&mut engine, 0, &["SETBIT", "k", bad, "1"]),
                offset,
                "{bad}"
            );
            assert_eq!(read(&engine, 0, &["GETBIT", "k", bad]), offset, "{bad}");
        }
        for bad in ["2", "-1", "x", ""] {
            assert_eq!(
                apply(&mut engine, 0, &["SETBIT", "k", "0", bad]),
                err(BAD_BIT)
            );
        }
        // The offset is checked before the bit.
        assert_eq!(apply(&mut engine, 0, &["SETBIT", "k", "-1", "2"]), offset);
        assert_eq!(
            apply(&mut engine, 0, &["SETBIT", "l", "0", "1"]),
            err(WRONG)
        );
        assert_eq!(read(&engine, 0, &["GETBIT", "l", "0"]), err(WRONG));
        assert_eq!(read(&engine, 0, &["EXISTS", "k"]), int(0));
    }

    #[test]
    fn bitcount_bytes_and_bits() {
        let mut engine = with_list();
        apply(&mut engine, 0, &["SET", "k", "foobar"]);
        let count = |parts: &[&str]| read(&engine, 0, parts);
        assert_eq!(count(&["BITCOUNT", "k"]), int(26));
        assert_eq!(count(&["BITCOUNT", "k", "1", "1"]), int(6));
        assert_eq!(count(&["BITCOUNT", "k", "5", "30", "BIT"]), int(17));
        assert_eq!(count(&["BITCOUNT", "k", "5", "30", "bit"]), int(17));
        assert_eq!(count(&["BITCOUNT", "k", "0", "0", "BYTE"]), int(4));
        assert_eq!(count(&["BITCOUNT", "k", "-1", "-2"]), int(0));
        assert_eq!(count(&["BITCOUNT", "k", "-100", "100"]), int(26));
        assert_eq!(count(&["BITCOUNT", "k", "1", "1", "BIT"]), int(1));
        assert_eq!(count(&["BITCOUNT", "k", "47", "-1", "BIT"]), int(0));
        assert_eq!(count(&["BITCOUNT", "nope"]), int(0));
        assert_eq!(count(&["BITCOUNT", "k", "0"]), err(SYNTAX));
        assert_eq!(count(&["BITCOUNT", "k", "0", "1", "BOTH"]), err(SYNTAX));
        assert_eq!(count(&["BITCOUNT", "k", "0", "1", "BIT", "x"]), err(SYNTAX));
        assert_eq!(count(&["BITCOUNT", "k", "x", "1"]), err(args::NOT_INTEGER));
        assert_eq!(
            count(&["BITCOUNT", "k", "0", "x", "BOTH"]),
            err(args::NOT_INTEGER)
        );
        assert_eq!(count(&["BITCOUNT", "k", "-1", "-2", "BOTH"]), int(0));
        assert_eq!(count(&["BITCOUNT", "k", "-2", "-1", "BOTH"]), err(SYNTAX));
        // Redis 7.0 answers 0 for a missing key before looking at the range.
        assert_eq!(count(&["BITCOUNT", "nope", "a", "b"]), int(0));
        assert_eq!(count(&["BITCOUNT", "nope", "0"]), int(0));
        assert_eq!(count(&["BITCOUNT", "l"]), err(WRONG));
        assert_eq!(count(&["BITCOUNT", "l", "x"]), err(WRONG));
    }

    #[test]
    fn bitpos_bytes_and_bits() {
        let mut engine = with_list();
        apply(&mut engine, 0, &["SET", "k", "foobar"]);
        set_bytes(&mut engine, "f", &[0xff, 0xff]);
        set_bytes(&mut engine, "z", &[0x00, 0x00]);
        let pos = |parts: &[&str]| read(&engine, 0, parts);
        assert_eq!(pos(&["BITPOS", "k", "0"]), int(0));
        assert_eq!(pos(&["BITPOS", "k", "1"]), int(1));
        assert_eq!(pos(&["BITPOS", "k", "1", "2"]), int(17));
        assert_eq!(pos(&["BITPOS", "k", "1", "7", "15", "BIT"]), int(9));
        assert_eq!(pos(&["BITPOS", "k", "0", "0", "-1", "BIT"]), int(0));
        assert_eq!(pos(&["BITPOS", "f", "0"]), int(16));
        assert_eq!(pos(&["BITPOS", "f", "0", "1"]), int(16));
        assert_eq!(pos(&["BITPOS", "f", "0", "0", "-1"]), int(-1));
        assert_eq!(pos(&["BITPOS", "f", "0", "3", "9", "BIT"]), int(-1));
        assert_eq!(pos(&["BITPOS", "f", "1", "3", "9", "bit"]), int(3));
        assert_eq!(pos(&["BITPOS", "z", "1"]), int(-1));
        assert_eq!(pos(&["BITPOS", "z", "0", "9", "-1", "BIT"]), int(9));
        assert_eq!(pos(&["BITPOS", "z", "1", "5", "2"]), int(-1));
        assert_eq!(pos(&["BITPOS", "nope", "0"]), int(0));
        assert_eq!(pos(&["BITPOS", "nope", "1"]), int(-1));
        assert_eq!(pos(&["BITPOS", "nope", "1", "x"]), int(-1));
        assert_eq!(
            pos(&["BITPOS", "k", "2"]),
            err("ERR The bit argument must be 1 or 0.")
        );
        assert_eq!(pos(&["BITPOS", "k", "x"]), err(args::NOT_INTEGER));
        assert_eq!(pos(&["BITPOS", "k", "1", "x"]), err(args::NOT_INTEGER));
        assert_eq!(pos(&["BITPOS", "k", "1", "0", "x"]), err(args::NOT_INTEGER));
        // The unit is read before the end.
        assert_eq!(pos(&["BITPOS", "k", "1", "0", "x", "y"]), err(SYNTAX));
        assert_eq!(pos(&["BITPOS", "k", "1", "0", "5", "BAD"]), err(SYNTAX));
        assert_eq!(
            pos(&["BITPOS", "k", "1", "0", "5", "BIT", "x"]),
            err(SYNTAX)
        );
        assert_eq!(pos(&["BITPOS", "l", "1"]), err(WRONG));
    }

    #[test]
    fn bitop_combines_pads_and_deletes() {
        let mut engine = with_list();
        apply(&mut engine, 0, &["SET", "a", "foobar"]);
        set_bytes(&mut engine, "b", &[0xff, 0x0f]);
        assert_eq!(
            apply(&mut engine, 0, &["BITOP", "AND", "d", "a", "b"]),
            int(6)
        );
        assert_eq!(
            read(&engine, 0, &["GET", "d"]),
            Reply::bulk(vec![b'f', b'o' & 0x0f, 0, 0, 0, 0])
        );
        assert_eq!(
            apply(&mut engine, 0, &["BITOP", "or", "d", "b", "nope"]),
            int(2)
        );
        assert_eq!(
            read(&engine, 0, &["GET", "d"]),
            Reply::bulk(vec![0xff, 0x0f])
        );
        assert_eq!(
            apply(&mut engine, 0, &["BITOP", "XOR", "d", "b", "b"]),
            int(2)
        );
        assert_eq!(read(&engine, 0, &["GET", "d"]), Reply::bulk(vec![0, 0]));
        apply(&mut engine, 0, &["PEXPIRE", "d", "100"]);
        assert_eq!(apply(&mut engine, 0, &["BITOP", "NOT", "d", "b"]), int(2));
        assert_eq!(
            read(&engine, 0, &["GET", "d"]),
            Reply::bulk(vec![0x00, 0xf0])
        );
        assert_eq!(read(&engine, 0, &["PTTL", "d"]), int(-1));
        // An empty result deletes the destination.
        assert_eq!(
            apply(&mut engine, 0, &["BITOP", "NOT", "d", "nope"]),
            int(0)
        );
        assert_eq!(read(&engine, 0, &["EXISTS", "d"]), int(0));
        assert_eq!(
            apply(&mut engine, 0, &["BITOP", "NOT", "d", "a", "b"]),
            err("ERR BITOP NOT must be called with a single source key.")
        );
        assert_eq!(
            apply(&mut engine, 0, &["BITOP", "NAND", "d", "a"]),
            err(SYNTAX)
        );
        assert_eq!(
            apply(&mut engine, 0, &["BITOP", "AND", "d", "a", "l"]),
            err(WRONG)
        );
        // The destination's type does not matter: it is replaced.
        assert_eq!(apply(&mut engine, 0, &["BITOP", "AND", "l", "a"]), int(6));
        assert_eq!(read(&engine, 0, &["GET", "l"]), bulk("foobar"));
    }

    #[test]
    fn bitfield_matches_redis_transcript() {
        let mut engine = Engine::new();
        let mut run = |parts: &[&str]| apply(&mut engine, 0, parts);
        let ints = |values: &[i64]| Reply::Array(values.iter().map(|v| int(*v)).collect());
        assert_eq!(
            run(&["BITFIELD", "bf", "SET", "i8", "0", "-100", "INCRBY", "i8", "0", "-100"]),
            ints(&[0, 56])
        );
        assert_eq!(
            run(&[
                "BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-100", "OVERFLOW",
                "FAIL", "INCRBY", "i8", "0", "-100", "GET", "u4", "0"
            ]),
            Reply::Array(vec![int(-44), Reply::Nil, int(13)])
        );
        assert_eq!(
            run(&["BITFIELD", "bf", "SET", "u8", "#1", "256", "GET", "u8", "8"]),
            ints(&[0, 0])
        );
        assert_eq!(
            run(&[
                "BITFIELD",
                "bf",
                "INCRBY",
                "u2",
                "100",
                "1",
                "overflow",
                "sat",
                "incrby",
                "u2",
                "102",
                "1",
                "OVERFLOW",
                "WRAP",
                "INCRBY",
                "i64",
                "0",
                "9223372036854775807",
                "INCRBY",
                "i64",
                "0",
                "9223372036854775807"
            ]),
            ints(&[1, 1, 6052837899185946623, -3170534137668829186])
        );
        assert_eq!(run(&["BITFIELD", "x", "GET", "i64", "3"]), ints(&[0]));
        assert_eq!(run(&["EXISTS", "x"]), int(0));
        assert_eq!(
            run(&["BITFIELD", "x", "OVERFLOW", "FAIL", "SET", "u2", "0", "7"]),
            Reply::Array(vec![Reply::Nil])
        );
        assert_eq!(
            run(&["EXISTS", "x"]),
            int(1),
            "created even though FAIL refused"
        );
        assert_eq!(run(&["BITFIELD", "bf"]), ints(&[]));
        assert_eq!(run(&["BITFIELD", "nope"]), ints(&[]));
        assert_eq!(run(&["EXISTS", "nope"]), int(0));
        assert_eq!(
            run(&[
                "BITFIELD", "bf", "SET", "u8", "0", "-1", "OVERFLOW", "SAT", "SET", "u8", "8",
                "-1", "SET", "i8", "16", "200", "OVERFLOW", "FAIL", "SET", "i4", "24", "8", "GET",
                "u32", "0"
            ]),
            Reply::Array(vec![
                int(211),
                int(255),
                int(-1),
                Reply::Nil,
                int(4294934527)
            ])
        );
        assert_eq!(
            read(
                &engine,
                0,
                &["BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i4", "4"]
            ),
            ints(&[255, -1])
        );
    }

    #[test]
    fn bitfield_overflow_edges() {
        let mut engine = Engine::new();
        let mut run = |parts: &[&str]| apply(&mut engine, 0, parts);
        let ints = |values: &[i64]| Reply::Array(values.iter().map(|v| int(*v)).collect());
        assert_eq!(
            run(&[
                "BITFIELD",
                "k",
                "SET",
                "u63",
                "0",
                "9223372036854775807",
                "INCRBY",
                "u63",
                "0",
                "1"
            ]),
            ints(&[0, 0])
        );
        assert_eq!(
            run(&["BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u63", "0", "-1"]),
            ints(&[0])
        );
        assert_eq!(
            run(&[
                "BITFIELD",
                "k",
                "OVERFLOW",
                "SAT",
                "INCRBY",
                "i64",
                "0",
                "-9223372036854775808",
                "INCRBY",
                "i64",
                "0",
                "-1"
            ]),
            ints(&[i64::MIN, i64::MIN])
        );
        assert_eq!(
            run(&["BITFIELD", "k", "INCRBY", "i64", "0", "-1"]),
            ints(&[i64::MAX])
        );
        assert_eq!(
            run(&[
                "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "1", "INCRBY", "i1",
                "64", "-1", "INCRBY", "i1", "64", "-1"
            ]),
            ints(&[i64::MAX, -1, -1])
        );
        assert_eq!(
            run(&[
                "BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "i1", "64", "-1", "INCRBY", "u1",
                "64", "3"
            ]),
            ints(&[0, 1])
        );
    }

    #[test]
    fn bitfield_errors() {
        let mut engine = with_list();
        apply(&mut engine, 0, &["SET", "k", "v"]);
        let bad_type = err(BAD_TYPE);
        for ty in [
            "u64", "i65", "u0", "i0", "x8", "", "i", "u-1", "i08", "I8", "U8",
        ] {
            assert_eq!(
                apply(&mut engine, 0, &["BITFIELD", "k", "GET", ty, "0"]),
                bad_type,
                "{ty}"
            );
        }
        assert_eq!(
            apply(
                &mut engine,
                0,
                &["BITFIELD", "k", "GET", "i8", "0", "GET", "u63", "0"]
            ),
            Reply::Array(vec![int(118), int(0x76 << 55)])
        );
        let offset = err(BAD_OFFSET);
        for off in ["-1", "x", "#", "#-1", "4294967296", "#536870912"] {
            assert_eq!(
                apply(&mut engine, 0, &["BITFIELD", "k", "GET", "u8", off]),
                offset,
                "{off}"
            );
        }
        assert_eq!(
            apply(&mut engine, 0, &["BITFIELD", "k", "SET", "u8", "0", "x"]),
            err(args::NOT_INTEGER)
        );
        assert_eq!(
            apply(&mut engine, 0, &["BITFIELD", "k", "OVERFLOW", "foo"]),
            err("ERR Invalid OVERFLOW type specified")
        );
        for bad in [
            &["BITFIELD", "k", "GET", "u8"][..],
            &["BITFIELD", "k", "SET", "u8", "0"],
            &["BITFIELD", "k", "OVERFLOW"],
            &["BITFIELD", "k", "FOO", "u8", "0"],
        ] {
            assert_eq!(apply(&mut engine, 0, bad), err(SYNTAX), "{bad:?}");
        }
        // Parsing ends before any write: nothing happened.
        assert_eq!(
            apply(
                &mut engine,
                0,
                &["BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u65", "0"]
            ),
            bad_type
        );
        assert_eq!(read(&engine, 0, &["GET", "k"]), bulk("v"));
        assert_eq!(
            apply(&mut engine, 0, &["BITFIELD", "l", "GET", "u8", "0"]),
            err(WRONG)
        );
        assert_eq!(
            apply(&mut engine, 0, &["BITFIELD", "l", "SET", "u8", "0", "1"]),
            err(WRONG)
        );
        assert_eq!(apply(&mut engine, 0, &["BITFIELD", "l"]), err(WRONG));
        assert_eq!(
            read(&engine, 0, &["BITFIELD_RO", "l", "GET", "u8", "0"]),
            err(WRONG)
        );
        assert_eq!(
            read(
                &engine,
                0,
                &["BITFIELD_RO", "k", "SET", "u8", "0", "1", "GET", "u8", "0"]
            ),
            err("ERR BITFIELD_RO only supports the GET subcommand")
        );
        assert_eq!(
            read(
                &engine,
                0,
                &["BITFIELD_RO", "k", "SET", "u8", "0", "1", "GET", "x", "0"]
            ),
            bad_type
        );
        assert_eq!(
            read(&engine, 0, &["BITFIELD_RO", "nope", "GET", "u8", "0"]),
            Reply::Array(vec![int(0)])
        );
    }

    #[test]
    fn overflow_helpers_follow_redis() {
        assert_eq!(unsigned_overflow(255, 1, 8, Overflow::Wrap), Some(0));
        assert_eq!(unsigned_overflow(255, 1, 8, Overflow::Sat), Some(255));
        assert_eq!(unsigned_overflow(0, -1, 8, Overflow::Sat), Some(0));
        assert_eq!(unsigned_overflow(0, -1, 8, Overflow::Wrap), Some(255));
        assert_eq!(unsigned_overflow(3, -3, 8, Overflow::Wrap), None);
        assert_eq!(signed_overflow(127, 1, 8, Overflow::Wrap), Some(-128));
        assert_eq!(signed_overflow(-128, -1, 8, Overflow::Sat), Some(-128));
        assert_eq!(
            signed_overflow(i64::MAX, 1, 64, Overflow::Wrap),
            Some(i64::MIN)
        );
        assert_eq!(signed_overflow(-5, 5, 64, Overflow::Fail), None);
        assert_eq!(bit_op(BitOp::Not, &[&[0x0f]]), vec![0xf0]);
        assert_eq!(find_bit(&[0, 0, 1], 1, 0, 23), Some(23));
    }
}
