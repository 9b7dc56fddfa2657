//! HyperLogLog commands (hyperloglog.c) over Redis's own string representation, so that the
//! bytes and the counts are those of redis-server for the same inputs: a 16-byte header
//! ("HYLL", encoding, 3 unused bytes, the cached cardinality little endian with its top bit
//! meaning "stale"), then 16384 registers of 6 bits, either dense (12288 bytes, register 0 in
//! the low bits of the first byte) or sparse (ZERO, XZERO and VAL run-length opcodes).
//!
//! PFCOUNT is a read here: it never writes the cached cardinality back, so the cache bytes
//! of a key stay "stale" where Redis would have filled them in (see docs/commands.md).

use crate::args::reply;
use crate::ctx::{ReadCtx, WriteCtx};
use crate::keyspace::{Db, Entry, Value};
use crate::reply::Reply;
use crate::table::{
    cmd, legacy, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST,
};

const P: u32 = 14;
const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const REGISTER_MAX: u8 = 63;
pub const HEADER_LEN: usize = 16;
/// The length of a dense HLL: header and 16384 × 6 bits.
pub const DENSE_LEN: usize = HEADER_LEN + REGISTERS * 6 / 8;
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
/// Redis's default hll-sparse-max-bytes: past it a sparse HLL becomes dense.
pub const SPARSE_MAX_BYTES: usize = 3000;
const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;
#[allow(clippy::excessive_precision)]
const ALPHA_INF: f64 = 0.721_347_520_444_481_703_680;

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPTED: &str = "INVALIDOBJ Corrupted HLL object detected";

// ---------------------------------------------------------------------------------------
// The data structure half.

/// An HLL whose sparse opcodes do not describe exactly 16384 registers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Corrupt;

/// MurmurHash64A, little-endian, as Redis uses it for HyperLogLog.
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let mut k = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, byte) in tail.iter().enumerate() {
            h ^= u64::from(*byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// hllPatLen: the register an element falls in and the length of its "000..1" run.
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, 0xadc8_3b19);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// An empty HLL as PFADD creates it: sparse, one XZERO covering every register, cached
/// cardinality 0 (valid).
pub fn new_hll() -> Vec<u8> {
    let mut bytes = vec![0u8; HEADER_LEN];
    bytes[..4].copy_from_slice(b"HYLL");
    bytes[4] = SPARSE;
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(SPARSE_XZERO_MAX_LEN);
        bytes.extend_from_slice(&xzero(run));
        left -= run;
    }
    bytes
}

/// isHLLObjectOrReply's shape check: the header, a known encoding, a dense length that fits.
pub fn is_hll(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER_LEN
        && &bytes[..4] == b"HYLL"
        && bytes[4] <= SPARSE
        && (bytes[4] != DENSE || bytes.len() == DENSE_LEN)
}

fn invalidate_cache(bytes: &mut [u8]) {
    bytes[15] |= 0x80;
}

/// The cached cardinality, when it is valid.
pub fn cached_count(bytes: &[u8]) -> Option<u64> {
    (bytes[15] & 0x80 == 0).then(|| u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")))
}

fn dense_get(registers: &[u8], index: usize) -> u8 {
    let bit = index * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let b0 = u16::from(registers[byte]);
    let b1 = u16::from(registers.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> shift) | (b1 << (8 - shift))) & u16::from(REGISTER_MAX)) as u8
}

fn dense_set(registers: &mut [u8], index: usize, value: u8) {
    let bit = index * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let word = u16::from(value) << shift;
    let mask = u16::from(REGISTER_MAX) << shift;
    registers[byte] = (registers[byte] & !(mask as u8)) | word as u8;
    if shift > 2 {
        let high = byte + 1;
        registers[high] = (registers[high] & !((mask >> 8) as u8)) | (word >> 8) as u8;
    }
}

/// hllDenseSet: raises a register; whether it changed.
fn dense_raise(registers: &mut [u8], index: usize, count: u8) -> bool {
    if count > dense_get(registers, index) {
        dense_set(registers, index, count);
        true
    } else {
        false
    }
}

fn xzero(len: usize) -> [u8; 2] {
    let len = len - 1;
    [0x40 | (len >> 8) as u8, (len & 0xff) as u8]
}

fn zero(len: usize) -> u8 {
    (len - 1) as u8
}

fn val(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len - 1) as u8
}

/// One sparse opcode: its byte length, the registers it covers, and its value.
#[derive(Clone, Copy, Debug)]
struct Op {
    size: usize,
    run: usize,
    value: u8,
}

fn is_val(byte: u8) -> bool {
    byte & 0x80 != 0
}

fn is_xzero(byte: u8) -> bool {
    byte & 0xc0 == 0x40
}

fn is_zero(byte: u8) -> bool {
    byte & 0xc0 == 0
}

/// Decodes the opcode at `at` (a missing second XZERO byte reads as 0, as the C string's
/// terminator does).
fn op_at(sparse: &[u8], at: usize) -> Op {
    let byte = sparse[at];
    if is_zero(byte) {
        Op {
            size: 1,
            run: usize::from(byte & 0x3f) + 1,
            value: 0,
        }
    } else if is_xzero(byte) {
        let low = sparse.get(at + 1).copied().unwrap_or(0);
        Op {
            size: 2,
            run: (usize::from(byte & 0x3f) << 8 | usize::from(low)) + 1,
            value: 0,
        }
    } else {
        Op {
            size: 1,
            run: usize::from(byte & 3) + 1,
            value: ((byte >> 2) & 0x1f) + 1,
        }
    }
}

/// Every register of a sparse HLL into `max` (keeping the larger value), as hllMerge; None
/// when the opcodes do not cover exactly 16384 registers.
fn sparse_merge(sparse: &[u8], max: &mut [u8]) -> Option<()> {
    let mut index = 0;
    let mut at = 0;
    while at < sparse.len() {
        let op = op_at(sparse, at);
        if op.value > 0 {
            if index + op.run > REGISTERS {
                break;
            }
            for slot in &mut max[index..index + op.run] {
                *slot = (*slot).max(op.value);
            }
        }
        index += op.run;
        at += op.size;
    }
    (index == REGISTERS).then_some(())
}

/// hllMerge: raises `max` to the registers of a valid-looking HLL.
fn merge_into(hll: &[u8], max: &mut [u8]) -> Option<()> {
    if hll[4] == DENSE {
        let registers = &hll[HEADER_LEN..];
        for (index, slot) in max.iter_mut().enumerate() {
            *slot = (*slot).max(dense_get(registers, index));
        }
        Some(())
    } else {
        sparse_merge(&hll[HEADER_LEN..], max)
    }
}

/// hllSparseToDense: the same HLL in the dense encoding (header kept), or None if corrupt.
fn to_dense(hll: &[u8]) -> Option<Vec<u8>> {
    if hll[4] == DENSE {
        return Some(hll.to_vec());
    }
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..HEADER_LEN].copy_from_slice(&hll[..HEADER_LEN]);
    dense[4] = DENSE;
    let mut max = vec![0u8; REGISTERS];
    sparse_merge(&hll[HEADER_LEN..], &mut max)?;
    for (index, value) in max.into_iter().enumerate().filter(|(_, v)| *v > 0) {
        dense_set(&mut dense[HEADER_LEN..], index, value);
    }
    Some(dense)
}

/// hllSparseSet: raises register `index` to `count` in a sparse HLL, splitting and merging
/// opcodes exactly as Redis does, and promoting to dense when the value does not fit a VAL
/// opcode or the string would grow past [`SPARSE_MAX_BYTES`]. Ok(changed), Err on corruption.
fn sparse_set(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    if count > SPARSE_VAL_MAX_VALUE {
        return promote(hll, index, count);
    }
    // Find the opcode covering the register.
    let mut first = 0;
    let mut prev = None;
    let mut at = HEADER_LEN;
    let mut op = None;
    while at < hll.len() {
        let this = op_at(hll, at);
        if index < first + this.run {
            op = Some(this);
            break;
        }
        prev = Some(at);
        at += this.size;
        first += this.run;
    }
    let Some(op) = op else {
        return Err(Corrupt);
    };
    let byte = hll[at];
    if is_val(byte) {
        if op.value >= count {
            return Ok(false);
        }
        if op.run == 1 {
            hll[at] = val(count, 1);
            merge_adjacent(hll, prev);
            return Ok(true);
        }
    }
    if is_zero(byte) && op.run == 1 {
        hll[at] = val(count, 1);
        merge_adjacent(hll, prev);
        return Ok(true);
    }
    // General case: replace the opcode by up to five bytes.
    let last = first + op.run - 1;
    let mut seq: Vec<u8> = Vec::with_capacity(5);
    let gap = |seq: &mut Vec<u8>, len: usize| {
        if len > SPARSE_ZERO_MAX_LEN {
            seq.extend_from_slice(&xzero(len));
        } else {
            seq.push(zero(len));
        }
    };
    if op.value == 0 {
        if index != first {
            gap(&mut seq, index - first);
        }
        seq.push(val(count, 1));
        if index != last {
            gap(&mut seq, last - index);
        }
    } else {
        if index != first {
            seq.push(val(op.value, index - first));
        }
        seq.push(val(count, 1));
        if index != last {
            seq.push(val(op.value, last - index));
        }
    }
    let len = hll.len();
    if seq.len() > op.size && len + seq.len() - op.size > SPARSE_MAX_BYTES {
        return promote(hll, index, count);
    }
    // A corrupt HLL may end in half an XZERO: Redis then replaces it and the C string's
    // terminator after it, and the new string is one byte shorter than that.
    let truncated = at + op.size > len;
    if truncated {
        hll.push(0);
    }
    hll.splice(at..at + op.size, seq);
    if truncated {
        hll.pop();
    }
    merge_adjacent(hll, prev);
    Ok(true)
}

/// The merge step after a sparse update: up to five opcodes from `prev` on, adjacent VALs of
/// the same value whose lengths fit one VAL are joined.
fn merge_adjacent(hll: &mut Vec<u8>, prev: Option<usize>) {
    let mut at = prev.unwrap_or(HEADER_LEN);
    let mut scan = 5;
    while at < hll.len() && scan > 0 {
        scan -= 1;
        let byte = hll[at];
        if is_xzero(byte) {
            at += 2;
            continue;
        }
        if is_zero(byte) {
            at += 1;
            continue;
        }
        if at + 1 < hll.len() && is_val(hll[at + 1]) {
            let (a, b) = (op_at(hll, at), op_at(hll, at + 1));
            if a.value == b.value && a.run + b.run <= SPARSE_VAL_MAX_LEN {
                hll[at + 1] = val(a.value, a.run + b.run);
                hll.remove(at);
                continue;
            }
        }
        at += 1;
    }
    invalidate_cache(hll);
}

/// Converts to dense, then raises the register (which must change).
fn promote(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    *hll = to_dense(hll).ok_or(Corrupt)?;
    dense_raise(&mut hll[HEADER_LEN..], index, count);
    Ok(true)
}

/// hllAdd: Ok(whether a register changed), Err when the HLL is corrupt.
pub fn add(hll: &mut Vec<u8>, element: &[u8]) -> Result<bool, Corrupt> {
    let (index, count) = pattern(element);
    if hll[4] == DENSE {
        Ok(dense_raise(&mut hll[HEADER_LEN..], index, count))
    } else {
        sparse_set(hll, index, count)
    }
}

/// Register histogram of an HLL; None when a sparse one does not cover 16384 registers.
fn histogram(hll: &[u8]) -> Option<[u32; 64]> {
    let mut histo = [0u32; 64];
    if hll[4] == DENSE {
        let registers = &hll[HEADER_LEN..];
        for index in 0..REGISTERS {
            histo[usize::from(dense_get(registers, index))] += 1;
        }
    } else {
        let sparse = &hll[HEADER_LEN..];
        let (mut index, mut at) = (0, 0);
        while at < sparse.len() {
            let op = op_at(sparse, at);
            histo[usize::from(op.value)] += op.run as u32;
            index += op.run;
            at += op.size;
        }
        if index != REGISTERS {
            return None;
        }
    }
    Some(histo)
}

fn raw_histogram(registers: &[u8]) -> [u32; 64] {
    let mut histo = [0u32; 64];
    for value in registers {
        histo[usize::from(*value & 63)] += 1;
    }
    histo
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

/// hllCount's estimator (Ertl, "New cardinality estimation algorithms for HyperLogLog
/// sketches") over a register histogram.
pub fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let q = Q as usize;
    let mut z = m * tau((m - f64::from(histo[q + 1])) / m);
    for j in (1..=q).rev() {
        z += f64::from(histo[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histo[0]) / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// The cardinality of one HLL: its valid cache, or the estimate. None when corrupt.
pub fn count(hll: &[u8]) -> Option<u64> {
    match cached_count(hll) {
        Some(card) => Some(card),
        None => histogram(hll).map(|histo| estimate(&histo)),
    }
}

// ---------------------------------------------------------------------------------------
// The commands half.

/// The HLL at `key`: Ok(None) when absent, WRONGTYPE for another type or a string that is
/// not an HLL.
fn lookup_hll<'a>(db: &'a Db, key: &[u8], now_ms: u64) -> Result<Option<&'a [u8]>, Reply> {
    match crate::string::lookup_string(db, key, now_ms)? {
        None => Ok(None),
        Some(bytes) if is_hll(bytes) => Ok(Some(bytes)),
        Some(_) => Err(Reply::error(NOT_HLL)),
    }
}

/// PFADD key [element ...]: 1 when the key was created or a register changed.
pub fn pfadd(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(pfadd_result(ctx, argv))
}

fn pfadd_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let key = &argv[1];
    let mut updated = false;
    if lookup_hll(ctx.db(), key, now)?.is_none() {
        let entry = Entry {
            value: Value::String(new_hll()),
            expires_at_ms: None,
        };
        ctx.db().insert(key, entry);
        updated = true;
    }
    let entry = ctx.db().get_mut(key, now).expect("present");
    let hll = entry.value.as_string_mut().ok_or_else(Reply::wrong_type)?;
    for element in &argv[2..] {
        match add(hll, element) {
            Ok(changed) => updated |= changed,
            Err(Corrupt) => return Err(Reply::error(CORRUPTED)),
        }
    }
    if updated {
        invalidate_cache(hll);
    }
    Ok(Reply::Integer(i64::from(updated)))
}

/// PFCOUNT key [key ...]: one key's cardinality (its cache when valid), or the cardinality
/// of the union of several. Never writes the cache back (see the module comment).
pub fn pfcount(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(pfcount_result(ctx, argv))
}

fn pfcount_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let db = ctx.db();
    if argv.len() == 2 {
        let card = match lookup_hll(db, &argv[1], ctx.now_ms)? {
            None => 0,
            Some(hll) => count(hll).ok_or_else(|| Reply::error(CORRUPTED))?,
        };
        return Ok(Reply::Integer(card as i64));
    }
    let mut max = vec![0u8; REGISTERS];
    for key in &argv[1..] {
        if let Some(hll) = lookup_hll(db, key, ctx.now_ms)? {
            merge_into(hll, &mut max).ok_or_else(|| Reply::error(CORRUPTED))?;
        }
    }
    Ok(Reply::Integer(estimate(&raw_histogram(&max)) as i64))
}

/// PFMERGE destkey [sourcekey ...]: the destination (itself a source) gets the union; it
/// is dense if any source was.
pub fn pfmerge(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(pfmerge_result(ctx, argv))
}

fn pfmerge_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let mut max = vec![0u8; REGISTERS];
    let mut use_dense = false;
    for key in &argv[1..] {
        if let Some(hll) = lookup_hll(ctx.db(), key, now)? {
            use_dense |= hll[4] == DENSE;
            merge_into(hll, &mut max).ok_or_else(|| Reply::error(CORRUPTED))?;
        }
    }
    let key = &argv[1];
    if !ctx.db().contains(key, now) {
        let entry = Entry {
            value: Value::String(new_hll()),
            expires_at_ms: None,
        };
        ctx.db().insert(key, entry);
    }
    let entry = ctx.db().get_mut(key, now).expect("present");
    let hll = entry.value.as_string_mut().ok_or_else(Reply::wrong_type)?;
    if use_dense {
        *hll = to_dense(hll).ok_or_else(|| Reply::error(CORRUPTED))?;
    }
    for (index, value) in max.into_iter().enumerate().filter(|(_, v)| *v > 0) {
        if hll[4] == DENSE {
            dense_raise(&mut hll[HEADER_LEN..], index, value);
        } else {
            // As in Redis, a corrupt destination is not reported here.
            let _ = sparse_set(hll, index, value);
        }
    }
    invalidate_cache(hll);
    Ok(Reply::ok())
}

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("pfadd", -2, DENYOOM | FAST, 1, 1, 1, Write(legacy!(pfadd))),
    cmd!("pfcount", -2, 0, 1, -1, 1, Read(legacy!(pfcount))),
    cmd!("pfmerge", -2, DENYOOM, 1, -1, 1, Write(legacy!(pfmerge))),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{apply, argv, err, int, ok, read};
    use crate::Engine;

    const WRONG: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// FNV-1a of an HLL without its cache bytes (redis-server's reference copies were read
    /// after a PFCOUNT had filled them in). The cache must be stale here.
    fn fnv(bytes: &[u8]) -> u64 {
        assert_eq!(cached_count(bytes), None);
        bytes[..8]
            .iter()
            .chain(&bytes[16..])
            .fold(0xcbf2_9ce4_8422_2325, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
            })
    }

    fn value(engine: &Engine, key: &str) -> Vec<u8> {
        match read(engine, 0, &["GET", key]) {
            Reply::Bulk(bytes) => bytes,
            other => panic!("{other:?}"),
        }
    }

    /// PFADD key e1 .. en, one element per command as redis-cli fed them.
    fn add_range(engine: &mut Engine, key: &str, n: usize) {
        for i in 1..=n {
            apply(engine, 0, &["PFADD", key, &format!("e{i}")]);
        }
    }

    fn set_bytes(engine: &mut Engine, key: &str, bytes: &[u8]) {
        let mut command = argv(&["SET", key]);
        command.push(bytes.to_vec());
        assert_eq!(apply(engine, 0, command), ok());
    }

    #[test]
    fn pfadd_builds_redis_sparse_bytes() {
        let mut engine = Engine::new();
        assert_eq!(
            apply(&mut engine, 0, &["PFADD", "h", "a", "b", "c"]),
            int(1)
        );
        assert_eq!(
            value(&engine, "h"),
            hex("48594c4c01000000000000000000008060f38050b1844bfb80425a")
        );
        assert_eq!(apply(&mut engine, 0, &["PFADD", "h", "a"]), int(0));
        assert_eq!(apply(&mut engine, 0, &["PFADD", "h"]), int(0));
        assert_eq!(apply(&mut engine, 0, &["PFADD", "new"]), int(1));
        assert_eq!(
            value(&engine, "new"),
            hex("48594c4c0100000000000000000000807fff")
        );
        assert_eq!(read(&engine, 0, &["PFCOUNT", "h"]), int(3));
        assert_eq!(read(&engine, 0, &["PFCOUNT", "new"]), int(0));
        assert_eq!(read(&engine, 0, &["PFCOUNT", "nope"]), int(0));
        // The deadline is kept.
        apply(&mut engine, 0, &["PEXPIRE", "h", "100"]);
        assert_eq!(apply(&mut engine, 0, &["PFADD", "h", "d"]), int(1));
        assert_eq!(read(&engine, 0, &["PTTL", "h"]), int(100));
    }

    #[test]
    fn sparse_hll_matches_redis_bytes_and_count() {
        let mut engine = Engine::new();
        add_range(&mut engine, "mid", 200);
        let bytes = value(&engine, "mid");
        assert_eq!((bytes.len(), fnv(&bytes)), (512, 0xca6a_f913_d525_89d8));
        assert_eq!(read(&engine, 0, &["PFCOUNT", "mid"]), int(200));
        // PFCOUNT is a read: the stored bytes stay as they were.
        assert_eq!(value(&engine, "mid"), bytes);
    }

    #[test]
    fn promotion_to_dense_matches_redis() {
        let mut engine = Engine::new();
        add_range(&mut engine, "big", 3000);
        let bytes = value(&engine, "big");
        assert_eq!(
            (bytes.len(), fnv(&bytes)),
            (DENSE_LEN, 0x6935_ff98_ea54_ae46)
        );
        assert_eq!(read(&engine, 0, &["PFCOUNT", "big"]), int(2979));
        apply(&mut engine, 0, &["PFADD", "h", "a", "b", "c"]);
        apply(&mut engine, 0, &["PFADD", "s2", "x", "y"]);
        assert_eq!(
            read(&engine, 0, &["PFCOUNT", "s2", "h", "big", "nokey"]),
            int(2985)
        );
    }

    #[test]
    fn pfmerge_of_mixed_encodings_matches_redis() {
        let mut engine = Engine::new();
        add_range(&mut engine, "big", 3000);
        apply(&mut engine, 0, &["PFADD", "h", "a", "b", "c"]);
        apply(&mut engine, 0, &["PFADD", "s2", "x", "y"]);
        assert_eq!(apply(&mut engine, 0, &["PFMERGE", "m", "s2", "big"]), ok());
        let bytes = value(&engine, "m");
        assert_eq!(
            (bytes.len(), fnv(&bytes)),
            (DENSE_LEN, 0x9fb8_15be_fb0a_1ea7)
        );
        assert_eq!(read(&engine, 0, &["PFCOUNT", "m"]), int(2982));
        assert_eq!(apply(&mut engine, 0, &["PFMERGE", "m2", "s2", "h"]), ok());
        assert_eq!(
            value(&engine, "m2"),
            hex("48594c4c01000000000000000000008060f38050b18448ab88434e8042508408")
        );
        assert_eq!(read(&engine, 0, &["PFCOUNT", "m2"]), int(5));
        // The destination is a source too, and keeps its deadline.
        apply(&mut engine, 0, &["PEXPIRE", "m2", "100"]);
        assert_eq!(apply(&mut engine, 0, &["PFMERGE", "m2", "nope"]), ok());
        assert_eq!(read(&engine, 0, &["PFCOUNT", "m2"]), int(5));
        assert_eq!(read(&engine, 0, &["PTTL", "m2"]), int(100));
        assert_eq!(apply(&mut engine, 0, &["PFMERGE", "empty"]), ok());
        assert_eq!(
            value(&engine, "empty"),
            hex("48594c4c0100000000000000000000807fff")
        );
    }

    #[test]
    fn hll_type_errors() {
        let mut engine = Engine::new();
        apply(&mut engine, 0, &["RPUSH", "l", "x"]);
        apply(&mut engine, 0, &["SET", "s", "not an hll at all"]);
        apply(&mut engine, 0, &["PFADD", "h", "a"]);
        let not_hll = err(NOT_HLL);
        assert_eq!(apply(&mut engine, 0, &["PFADD", "l", "a"]), err(WRONG));
        assert_eq!(apply(&mut engine, 0, &["PFADD", "s", "a"]), not_hll);
        assert_eq!(read(&engine, 0, &["PFCOUNT", "l"]), err(WRONG));
        assert_eq!(read(&engine, 0, &["PFCOUNT", "s"]), not_hll);
        assert_eq!(read(&engine, 0, &["PFCOUNT", "h", "s"]), not_hll);
        assert_eq!(read(&engine, 0, &["PFCOUNT", "h", "l"]), err(WRONG));
        assert_eq!(apply(&mut engine, 0, &["PFMERGE", "h", "s"]), not_hll);
        assert_eq!(apply(&mut engine, 0, &["PFMERGE", "s", "h"]), not_hll);
        assert_eq!(apply(&mut engine, 0, &["PFMERGE", "l", "h"]), err(WRONG));
        // Shape checks: header, encoding, dense length.
        let mut dense_short = new_hll();
        dense_short[4] = DENSE;
        set_bytes(&mut engine, "d", &dense_short);
        assert_eq!(read(&engine, 0, &["PFCOUNT", "d"]), not_hll);
        let mut bad_encoding = new_hll();
        bad_encoding[4] = 2;
        set_bytes(&mut engine, "e", &bad_encoding);
        assert_eq!(apply(&mut engine, 0, &["PFADD", "e", "x"]), not_hll);
        set_bytes(&mut engine, "short", b"HYLL");
        assert_eq!(read(&engine, 0, &["PFCOUNT", "short"]), not_hll);
    }

    #[test]
    fn corrupt_sparse_hlls_are_reported() {
        let mut engine = Engine::new();
        let corrupt = err(CORRUPTED);
        // Stale cache, opcodes covering fewer than 16384 registers.
        let mut short = new_hll();
        short.truncate(HEADER_LEN);
        short.extend_from_slice(&[0x7f, 0x7f, 0x3f]);
        invalidate_cache(&mut short);
        set_bytes(&mut engine, "c", &short);
        assert_eq!(read(&engine, 0, &["PFCOUNT", "c"]), corrupt);
        assert_eq!(read(&engine, 0, &["PFCOUNT", "c", "nope"]), corrupt);
        assert_eq!(apply(&mut engine, 0, &["PFMERGE", "m", "c"]), corrupt);
        // An element past the covered registers cannot be set.
        let mut tiny = short.clone();
        tiny.truncate(HEADER_LEN);
        tiny.push(0x00);
        set_bytes(&mut engine, "t", &tiny);
        assert_eq!(apply(&mut engine, 0, &["PFADD", "t", "a"]), corrupt);
        // A valid cache is trusted as Redis trusts it.
        let mut cached = short.clone();
        cached[8] = 5;
        cached[15] = 0;
        set_bytes(&mut engine, "k", &cached);
        assert_eq!(read(&engine, 0, &["PFCOUNT", "k"]), int(5));
        // Too many registers: promotion fails.
        let mut long = new_hll();
        long.extend_from_slice(&[0x7f, 0xff]);
        set_bytes(&mut engine, "long", &long);
        let many: Vec<String> = (0..2000).map(|i| format!("x{i}")).collect();
        let mut command = argv(&["PFADD", "long"]);
        command.extend(many.iter().map(|m| m.as_bytes().to_vec()));
        assert_eq!(apply(&mut engine, 0, command), corrupt);
    }

    #[test]
    fn murmur_and_estimator_basics() {
        assert_eq!(murmur64a(b"", 0), 0);
        let (index, run) = pattern(b"a");
        assert!(index < REGISTERS && (1..=51).contains(&run));
        let mut empty = [0u32; 64];
        empty[0] = REGISTERS as u32;
        assert_eq!(estimate(&empty), 0);
        assert_eq!(count(&new_hll()), Some(0));
        assert!(is_hll(&new_hll()));
        assert_eq!(tau(0.0), 0.0);
        assert_eq!(sigma(1.0), f64::INFINITY);
        // Dense register packing round-trips at every bit alignment.
        let mut registers = vec![0u8; DENSE_LEN - HEADER_LEN];
        for index in [0, 1, 2, 3, 4, 5, 16382, 16383] {
            dense_set(&mut registers, index, 63 - index as u8 % 7);
            assert_eq!(dense_get(&registers, index), 63 - index as u8 % 7);
        }
        assert_eq!(dense_get(&registers, 6), 0);
    }
}
