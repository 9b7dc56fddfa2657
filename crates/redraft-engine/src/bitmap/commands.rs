//! The commands half: argument parsing with Redis's errors, and the keyspace.

use super::value::{
    bit_op, count_bits, find_bit, get_bit, get_signed, get_unsigned, set_bit, set_field,
    signed_overflow, unsigned_overflow, BitOp, Overflow,
};
use crate::args::{self, int_arg, is, keyword, syntax_error, Args};
use crate::keyspace::{Db, Entry, Value};
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST,
};
use crate::spec::{ReadCtx, WriteCtx};
use crate::string::STRING_LEN_MAX;

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "bitcount", -2, 0, 1, 1, 1, Read(bitcount),
        keys: "RO access @1",
        docs: "bitmap 2.6.0",
        summary: "Counts the bits set to one in a string, or in a range of it",
        complexity: "O(N), N being the bytes counted",
        history: "7.0.0 A range may be given in bits (BIT) as well as bytes (BYTE).",
        args: "key:key#0 ?index:block(start:integer end:integer ?index_unit:oneof@7.0.0(byte:pure-token=BYTE bit:pure-token=BIT))",
    ),
    cmd!(
        "bitfield", -2, DENYOOM, 1, 1, 1, Write(bitfield),
        keys: "RW access update variable_flags @1",
        find_keys: bitfield_keys,
        docs: "bitmap 3.2.0",
        summary: "Reads, writes and increments integers of any width at bit offsets of a string",
        complexity: "O(1) per operation",
        args: "key:key#0 ?*operation:oneof(encoding_offset:block=GET(encoding:string offset:integer) write:block(?wrap_sat_fail:oneof=OVERFLOW(wrap:pure-token=WRAP sat:pure-token=SAT fail:pure-token=FAIL) write_operation:oneof(encoding_offset_value:block=SET(encoding:string offset:integer value:integer) encoding_offset_increment:block=INCRBY(encoding:string offset:integer increment:integer))))",
    ),
    cmd!(
        "bitfield_ro", -2, FAST, 1, 1, 1, Read(bitfield_ro),
        keys: "RO access @1",
        docs: "bitmap 6.0.0",
        summary: "BITFIELD's GET operations only, for read-only contexts",
        complexity: "O(1) per operation",
        args: "key:key#0 ?*+encoding_offset:block=GET(encoding:string offset:integer)",
    ),
    cmd!(
        "bitop", -4, DENYOOM, 2, -1, 1, Write(bitop),
        keys: "OW update @2; RO access @3 -1/1/0",
        docs: "bitmap 2.6.0",
        summary: "Combines strings bit by bit (AND, OR, XOR, NOT) into a destination key",
        complexity: "O(N), N being the longest input's length",
        args: "operation:string destkey:key#0 *key:key#1",
    ),
    cmd!(
        "bitpos", -3, 0, 1, 1, 1, Read(bitpos),
        keys: "RO access @1",
        docs: "bitmap 2.8.7",
        summary: "Finds the first bit set to 0 or 1 in a string or a range of it",
        complexity: "O(N), N being the bytes scanned",
        history: "7.0.0 A range may be given in bits (BIT) as well as bytes (BYTE).",
        args: "key:key#0 bit:integer ?index:block(start:integer ?end_index:block(end:integer ?index_unit:oneof@7.0.0(byte:pure-token=BYTE bit:pure-token=BIT)))",
    ),
    cmd!(
        "getbit", 3, FAST, 1, 1, 1, Read(getbit),
        keys: "RO access @1",
        docs: "bitmap 2.2.0",
        summary: "Reads the bit at an offset of a string",
        complexity: "O(1)",
        args: "key:key#0 offset:integer",
    ),
    cmd!(
        "setbit", 4, DENYOOM, 1, 1, 1, Write(setbit),
        keys: "RW access update @1",
        docs: "bitmap 2.2.0",
        summary: "Sets or clears the bit at an offset of a string, and answers its old value",
        complexity: "O(1)",
        args: "key:key#0 offset:integer value:integer",
    ),
];

/// BITFIELD's key for COMMAND GETKEYS, with what it does to it: only read when every
/// operation is a GET or OVERFLOW (as BITFIELD_RO), else read and updated (a SET, an INCRBY,
/// or something malformed, taken for a write).
fn bitfield_keys(argv: &[Vec<u8>]) -> Option<Vec<(usize, &'static [&'static str])>> {
    let mut read_only = true;
    let mut at = 2;
    while at < argv.len() {
        let left = argv.len() - at - 1;
        match argv[at].to_ascii_lowercase().as_slice() {
            b"get" if left >= 2 => at += 2,
            b"overflow" if left >= 1 => at += 1,
            _ => {
                read_only = false;
                break;
            }
        }
        at += 1;
    }
    let flags: &[&str] = match read_only {
        true => &["RO", "access"],
        false => &["RW", "access", "update"],
    };
    Some(vec![(1, flags)])
}

pub(super) const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
pub(super) const BAD_BIT: &str = "ERR bit is not an integer or out of range";
pub(super) const BAD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

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

/// The string at `key` for reading: empty when absent, WRONGTYPE for another type.
fn string_at<'a>(db: &'a Db, key: &[u8], now_ms: u64) -> Result<&'a [u8], Reply> {
    Ok(db
        .get_as::<Vec<u8>>(key, now_ms)?
        .map_or(&[][..], Vec::as_slice))
}

/// lookupStringForBitCommand: the string at `key`, created or zero-extended so that bit
/// `max_bit` exists (a deadline is kept), and whether it grew (a write to it is then a change
/// even if the bits written were already zero).
fn string_for_bits<'a>(
    ctx: &'a mut WriteCtx,
    key: &[u8],
    max_bit: u64,
) -> Result<(&'a mut Vec<u8>, bool), Reply> {
    let len = (max_bit >> 3) as usize + 1;
    let now = ctx.now_ms;
    ctx.db().get_or_create::<Vec<u8>>(key, now)?;
    // Written in place from now on, even if no bit changes: "raw", as in Redis.
    ctx.db().mark_raw_string(key, now);
    let bytes = ctx.db().get_or_create::<Vec<u8>>(key, now)?;
    let grows = bytes.len() < len;
    if grows {
        bytes.resize(len, 0);
    }
    Ok((bytes, grows))
}

/// SETBIT key offset 0|1
pub fn setbit(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let offset = bit_offset(&argv[2], None)?;
    let on = match args::parse_i64(&argv[3]) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(Reply::error(BAD_BIT)),
    };
    let (bytes, grew) = string_for_bits(ctx, &argv[1], offset)?;
    let old = set_bit(bytes, offset, on);
    if grew || (old == 1) != on {
        ctx.notify(Class::STRING, "setbit", &argv[1]);
    }
    Ok(Reply::Integer(i64::from(old)))
}

/// GETBIT key offset
pub fn getbit(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let offset = bit_offset(&argv[2], None)?;
    let bytes = string_at(ctx.db(), &argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(i64::from(get_bit(bytes, offset))))
}

/// The optional BYTE | BIT after a range: whether the range is in bits.
fn in_bits(unit: Option<&Vec<u8>>) -> Result<bool, Reply> {
    match unit {
        None => Ok(false),
        Some(unit) => keyword(unit, &[("BIT", true), ("BYTE", false)]),
    }
}

/// The inclusive bit range that BITCOUNT and BITPOS search for a start/end pair in bytes or
/// bits over a string of `len` bytes (negative values count from the end), or None when it
/// is empty.
fn bit_range(start: i64, end: i64, len: i64, in_bits: bool) -> Option<(u64, u64)> {
    let total = if in_bits { len * 8 } else { len };
    let start = if start < 0 { total + start } else { start }.max(0);
    let end = if end < 0 { total + end } else { end }
        .max(0)
        .min(total - 1);
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(if in_bits {
        (start, end)
    } else {
        (start * 8, end * 8 + 7)
    })
}

/// BITCOUNT key [start end [BYTE | BIT]]. As in Redis 7.0, a missing key answers 0 before
/// the range is looked at.
pub fn bitcount(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let Some(bytes) = ctx.db().get_as::<Vec<u8>>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let len = bytes.len() as i64;
    let range = match &argv[2..] {
        [] => bit_range(0, -1, len, false),
        [start, end, unit @ ..] if unit.len() <= 1 => {
            let (start, end) = (int_arg(start)?, int_arg(end)?);
            // Redis 7.0 answers an empty negative range before reading the unit.
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::Integer(0));
            }
            bit_range(start, end, len, in_bits(unit.first())?)
        }
        _ => return Err(syntax_error()),
    };
    let count = range.map_or(0, |(from, to)| count_bits(bytes, from, to));
    Ok(Reply::Integer(count as i64))
}

/// BITPOS key bit [start [end [BYTE | BIT]]]
pub fn bitpos(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let bit = match int_arg(&argv[2])? {
        0 => 0u8,
        1 => 1u8,
        _ => return Err(Reply::error("ERR The bit argument must be 1 or 0.")),
    };
    let Some(bytes) = ctx.db().get_as::<Vec<u8>>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Integer(if bit == 1 { -1 } else { 0 }));
    };
    let len = bytes.len() as i64;
    // As Redis reads them: the start, the unit, then the end (the whole string by default).
    let range = match &argv[3..] {
        [] => bit_range(0, -1, len, false),
        [start, rest @ ..] if rest.len() <= 2 => {
            let start = int_arg(start)?;
            let in_bits = in_bits(rest.get(1))?;
            let end = rest.first().map_or(Ok(len - 1), |end| int_arg(end))?;
            bit_range(start, end, len, in_bits)
        }
        _ => return Err(syntax_error()),
    };
    let Some((from, to)) = range else {
        return Ok(Reply::Integer(-1));
    };
    let end_given = argv.len() >= 5;
    Ok(Reply::Integer(match find_bit(bytes, bit, from, to) {
        Some(pos) => pos as i64,
        // No clear bit in range: past the end of the string counts as zeros unless the
        // caller gave the end; a set bit is simply absent.
        None if bit == 0 && !end_given => ((to >> 3) + 1) as i64 * 8,
        None => -1,
    }))
}

/// BITOP AND | OR | XOR | NOT destkey key [key ...]: the destination gets the result (no
/// deadline, a "set" event), or is deleted when the result is empty ("del" if it existed);
/// replies with the result's length.
pub fn bitop(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let ops = [
        ("AND", BitOp::And),
        ("OR", BitOp::Or),
        ("XOR", BitOp::Xor),
        ("NOT", BitOp::Not),
    ];
    let op = keyword(&argv[1], &ops)?;
    if op == BitOp::Not && argv.len() != 4 {
        return Err(Reply::error(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let now = ctx.now_ms;
    let result = {
        let db: &Db = ctx.db();
        let sources = argv[3..]
            .iter()
            .map(|key| string_at(db, key, now))
            .collect::<Result<Vec<_>, _>>()?;
        bit_op(op, &sources)
    };
    let (len, destination) = (result.len() as i64, &argv[2]);
    if result.is_empty() {
        if ctx.db().remove(destination, now).is_some() {
            ctx.notify(Class::GENERIC, "del", destination);
        }
    } else {
        let mut entry = Entry::new(Value::String(result), None);
        entry.mark_raw_string(); // Redis stores the result as it built it: "raw".
        ctx.db().insert(destination, entry, now);
        ctx.notify(Class::STRING, "set", destination);
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

/// Parses the subcommands of BITFIELD: errors in the order Redis meets them. A subcommand
/// without all its arguments is a syntax error before any of them is read.
fn parse_field_ops(argv: &[Vec<u8>]) -> Result<Vec<FieldOp>, Reply> {
    let kinds = [
        ("GET", (FieldKind::Get, 2)),
        ("SET", (FieldKind::Set, 3)),
        ("INCRBY", (FieldKind::IncrBy, 3)),
    ];
    let overflows = [
        ("WRAP", Overflow::Wrap),
        ("SAT", Overflow::Sat),
        ("FAIL", Overflow::Fail),
    ];
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut args = Args::new(argv, 2);
    while let Some(sub) = args.next_arg() {
        if is(sub, "OVERFLOW") && !args.is_empty() {
            overflow = keyword(args.bytes()?, &overflows)
                .map_err(|_| Reply::error("ERR Invalid OVERFLOW type specified"))?;
            continue;
        }
        let kind = keyword(sub, &kinds)
            .ok()
            .filter(|&(_, needs)| args.remaining() >= needs);
        let Some((kind, _)) = kind else {
            return Err(syntax_error());
        };
        let (signed, bits) = field_type(args.bytes()?)?;
        let offset = bit_offset(args.bytes()?, Some(bits))?;
        let value = if kind == FieldKind::Get {
            0
        } else {
            args.int()?
        };
        ops.push(FieldOp {
            kind,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
    }
    Ok(ops)
}

/// The field's value, signed or unsigned as its type says (a u63 always fits an i64).
fn field_get(bytes: &[u8], op: &FieldOp) -> i64 {
    if op.signed {
        get_signed(bytes, op.offset, op.bits)
    } else {
        get_unsigned(bytes, op.offset, op.bits) as i64
    }
}

/// Runs one SET or INCRBY on the string: its reply (Nil when FAIL refused it). Unsigned
/// values travel as the i64 of the same bits: two's complement addition is the same.
fn field_write(bytes: &mut [u8], op: &FieldOp) -> Reply {
    let old = field_get(bytes, op);
    let incr = op.kind == FieldKind::IncrBy;
    let (base, delta) = if incr { (old, op.value) } else { (op.value, 0) };
    let limited = if op.signed {
        signed_overflow(base, delta, op.bits, op.overflow)
    } else {
        unsigned_overflow(base as u64, delta, op.bits, op.overflow).map(|value| value as i64)
    };
    if limited.is_some() && op.overflow == Overflow::Fail {
        return Reply::Nil;
    }
    let new = limited.unwrap_or(base.wrapping_add(delta));
    set_field(bytes, op.offset, op.bits, new as u64);
    Reply::Integer(if incr { new } else { old })
}

/// BITFIELD key [GET type offset | SET type offset value | INCRBY type offset incr |
/// OVERFLOW WRAP|SAT|FAIL] ...: a key is created (and grown) only when some operation writes.
/// One "setbit" event when some write changed a field or grew the string (one that FAIL
/// refused changes nothing).
pub fn bitfield(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let ops = parse_field_ops(argv)?;
    let highest = ops
        .iter()
        .filter(|op| op.kind != FieldKind::Get)
        .map(|op| op.offset + u64::from(op.bits) - 1)
        .max();
    let Some(highest) = highest else {
        return bitfield_read(&ctx.as_read(), &argv[1], &ops);
    };
    let (bytes, grew) = string_for_bits(ctx, &argv[1], highest)?;
    let (mut changed, mut writes) = (false, 0);
    let replies = ops
        .iter()
        .map(|op| match op.kind {
            FieldKind::Get => Reply::Integer(field_get(bytes, op)),
            _ => {
                let before = field_get(bytes, op);
                let reply = field_write(bytes, op);
                let wrote = reply != Reply::Nil;
                let changed_field = wrote && (grew || field_get(bytes, op) != before);
                writes += u64::from(changed_field);
                changed |= changed_field;
                reply
            }
        })
        .collect();
    if changed {
        ctx.notify(Class::STRING, "setbit", &argv[1]);
    }
    // Redis counts each write that changed its field (all of them when the string grew).
    ctx.changed(writes);
    Ok(Reply::Array(replies))
}

fn bitfield_read(ctx: &ReadCtx, key: &[u8], ops: &[FieldOp]) -> CmdResult {
    let bytes = string_at(ctx.db(), key, ctx.now_ms)?;
    let values = ops.iter().map(|op| Reply::Integer(field_get(bytes, op)));
    Ok(Reply::Array(values.collect()))
}

/// BITFIELD_RO key [GET type offset] ...
pub fn bitfield_ro(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let ops = parse_field_ops(argv)?;
    if ops.iter().any(|op| op.kind != FieldKind::Get) {
        return Err(Reply::error(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    bitfield_read(ctx, &argv[1], &ops)
}
