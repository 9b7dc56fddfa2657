//! The HLL string representation: header, dense and sparse registers, and the estimator. No
//! command code here.

const P: u32 = 14;
const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const REGISTER_MAX: u8 = 63;
pub const HEADER_LEN: usize = 16;
/// The length of a dense HLL: header and 16384 × 6 bits.
pub const DENSE_LEN: usize = HEADER_LEN + REGISTERS * 6 / 8;
pub(super) const DENSE: u8 = 0;
const SPARSE: u8 = 1;
/// Redis's default hll-sparse-max-bytes: past it a sparse HLL becomes dense.
pub const SPARSE_MAX_BYTES: usize = 3000;
const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;
#[allow(clippy::excessive_precision)]
const ALPHA_INF: f64 = 0.721_347_520_444_481_703_680;

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

/// Whether a valid-looking HLL is in the sparse encoding.
pub fn is_sparse(bytes: &[u8]) -> bool {
    bytes[4] == SPARSE
}

/// Every register of a dense HLL, in order.
pub fn dense_registers(hll: &[u8]) -> Vec<u8> {
    let registers = &hll[HEADER_LEN..];
    (0..REGISTERS)
        .map(|index| dense_get(registers, index))
        .collect()
}

/// PFDEBUG DECODE's text for a sparse HLL: its opcodes as `z:<run>` (ZERO), `Z:<run>` (XZERO)
/// and `v:<value>,<run>` (VAL), separated by spaces.
pub fn decode_sparse(hll: &[u8]) -> String {
    let sparse = &hll[HEADER_LEN..];
    let mut words = Vec::new();
    let mut at = 0;
    while at < sparse.len() {
        let op = op_at(sparse, at);
        words.push(match sparse[at] {
            byte if is_zero(byte) => format!("z:{}", op.run),
            byte if is_xzero(byte) => format!("Z:{}", op.run),
            _ => format!("v:{},{}", op.value, op.run),
        });
        at += op.size;
    }
    words.join(" ")
}

/// isHLLObjectOrReply's shape check: the header, a known encoding, a dense length that fits.
pub fn is_hll(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER_LEN
        && &bytes[..4] == b"HYLL"
        && bytes[4] <= SPARSE
        && (bytes[4] != DENSE || bytes.len() == DENSE_LEN)
}

/// Marks the cached cardinality stale (after any change of a register).
pub fn invalidate_cache(bytes: &mut [u8]) {
    bytes[15] |= 0x80;
}

/// The cached cardinality, when it is valid.
pub fn cached_count(bytes: &[u8]) -> Option<u64> {
    (bytes[15] & 0x80 == 0).then(|| u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")))
}

pub(super) fn dense_get(registers: &[u8], index: usize) -> u8 {
    let bit = index * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let b0 = u16::from(registers[byte]);
    let b1 = u16::from(registers.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> shift) | (b1 << (8 - shift))) & u16::from(REGISTER_MAX)) as u8
}

pub(super) fn dense_set(registers: &mut [u8], index: usize, value: u8) {
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
pub(super) fn to_dense(hll: &[u8]) -> Option<Vec<u8>> {
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
/// opcode or the string would grow past `max_bytes` (hll-sparse-max-bytes). Ok(changed), Err on
/// corruption.
fn sparse_set(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
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
    if seq.len() > op.size && len + seq.len() - op.size > max_bytes {
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

/// hllAdd: Ok(whether a register changed), Err when the HLL is corrupt. A sparse HLL that would
/// grow past `sparse_max_bytes` becomes dense.
pub fn add(hll: &mut Vec<u8>, element: &[u8], sparse_max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = pattern(element);
    if hll[4] == DENSE {
        Ok(dense_raise(&mut hll[HEADER_LEN..], index, count))
    } else {
        sparse_set(hll, index, count, sparse_max_bytes)
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

pub(super) fn sigma(mut x: f64) -> f64 {
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

pub(super) fn tau(mut x: f64) -> f64 {
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

/// The cardinality of one HLL: its valid cache, or the estimate.
pub fn count(hll: &[u8]) -> Result<u64, Corrupt> {
    match cached_count(hll) {
        Some(card) => Ok(card),
        None => histogram(hll).map(|histo| estimate(&histo)).ok_or(Corrupt),
    }
}

/// The union of HLLs as hllMerge builds it: the highest value of each register, and whether
/// any of the HLLs was dense.
pub struct Union {
    max: Vec<u8>,
    dense: bool,
}

impl Default for Union {
    fn default() -> Union {
        Union {
            max: vec![0; REGISTERS],
            dense: false,
        }
    }
}

impl Union {
    /// Raises the registers to those of `hll` (one that [`is_hll`]).
    pub fn add(&mut self, hll: &[u8]) -> Result<(), Corrupt> {
        self.dense |= hll[4] == DENSE;
        merge_into(hll, &mut self.max).ok_or(Corrupt)
    }

    /// The union's cardinality (PFCOUNT of several keys).
    pub fn count(&self) -> u64 {
        estimate(&raw_histogram(&self.max))
    }

    /// Raises the registers of `hll` to the union's, after making it dense if any HLL of the
    /// union was (PFMERGE's destination). As in Redis, a corrupt sparse destination is
    /// reported only when it has to become dense.
    pub fn store(&self, hll: &mut Vec<u8>, sparse_max_bytes: usize) -> Result<(), Corrupt> {
        if self.dense {
            *hll = to_dense(hll).ok_or(Corrupt)?;
        }
        for (index, value) in self.max.iter().copied().enumerate() {
            if value == 0 {
                continue;
            }
            if hll[4] == DENSE {
                dense_raise(&mut hll[HEADER_LEN..], index, value);
            } else {
                let _ = sparse_set(hll, index, value, sparse_max_bytes);
            }
        }
        invalidate_cache(hll);
        Ok(())
    }
}

/// How many times PFSELFTEST fills all 16384 dense registers with values of a seeded
/// generator and reads them back (Redis: 1000 times, from rand()).
const SELF_TEST_ROUNDS: usize = 64;
/// How many elements PFSELFTEST adds to a sparse and a dense HLL side by side (Redis: ten
/// million): enough to take the sparse one past [`SPARSE_MAX_BYTES`] into the dense encoding.
const SELF_TEST_ELEMENTS: u64 = 100_000;

/// PFSELFTEST's checks, a bounded amount of work and the same on every run: the dense
/// registers' 6-bit packing, then the sparse encoding against the dense one. The first
/// failure, as a line for the error reply.
pub fn self_test() -> Result<(), String> {
    check_dense_registers(dense_set, dense_get)?;
    check_sparse_against_dense()
}

type SetRegister = fn(&mut [u8], usize, u8);
type GetRegister = fn(&[u8], usize) -> u8;

/// Every register holds what was written to it, whatever its neighbours were given.
fn check_dense_registers(set: SetRegister, get: GetRegister) -> Result<(), String> {
    let mut registers = vec![0u8; DENSE_LEN - HEADER_LEN];
    let mut written = vec![0u8; REGISTERS];
    let mut rng = crate::rng::Rng::new(0x4859_4c4c);
    for _ in 0..SELF_TEST_ROUNDS {
        for (index, value) in written.iter_mut().enumerate() {
            *value = rng.below(usize::from(REGISTER_MAX) + 1) as u8;
            set(&mut registers, index, *value);
        }
        let wrong = (0..REGISTERS).find(|&index| get(&registers, index) != written[index]);
        if let Some(index) = wrong {
            return Err(format!("Register error at {index}"));
        }
    }
    Ok(())
}

/// The same elements added to an HLL that starts sparse and to one that starts dense change
/// registers alike; at each power of ten the two hold the same registers and count the same,
/// within a few standard errors (1.04 / sqrt(16384)) of the truth; the sparse one ends dense.
fn check_sparse_against_dense() -> Result<(), String> {
    let corrupt = |_| "the sparse encoding became corrupt".to_string();
    let mut sparse = new_hll();
    let mut dense = to_dense(&sparse).ok_or("the empty sparse HLL is corrupt")?;
    let mut checkpoint = 1;
    for added in 1..=SELF_TEST_ELEMENTS {
        let element = added.to_string();
        let changed = add(&mut sparse, element.as_bytes(), SPARSE_MAX_BYTES).map_err(corrupt)?;
        if changed != add(&mut dense, element.as_bytes(), SPARSE_MAX_BYTES).map_err(corrupt)? {
            return Err(format!("sparse and dense disagree on element {added}"));
        }
        if changed {
            invalidate_cache(&mut sparse);
            invalidate_cache(&mut dense);
        }
        if added != checkpoint {
            continue;
        }
        checkpoint *= 10;
        let registers = to_dense(&sparse).ok_or("the sparse encoding became corrupt")?;
        if registers[HEADER_LEN..] != dense[HEADER_LEN..] {
            return Err(format!("sparse and dense registers differ at {added}"));
        }
        let card = count(&dense).map_err(corrupt)?;
        if count(&sparse).map_err(corrupt)? != card {
            return Err(format!("sparse and dense counts differ at {added}"));
        }
        let error = card.abs_diff(added) as f64;
        let allowed = (5.0 * 1.04 / (REGISTERS as f64).sqrt() * added as f64).ceil();
        if error > allowed {
            return Err(format!("Too big error. card:{card} abserr:{error}"));
        }
    }
    if sparse[4] != DENSE {
        return Err("the sparse HLL never became dense".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod self_test_tests {
    use super::*;

    #[test]
    fn the_self_test_passes_and_its_register_check_finds_a_broken_packing() {
        assert_eq!(self_test(), Ok(()));
        // A setter that drops a register's top bit is caught at the first register given one.
        fn lossy(registers: &mut [u8], index: usize, value: u8) {
            dense_set(registers, index, value & 31);
        }
        let found = check_dense_registers(lossy, dense_get);
        assert!(found.is_err_and(|line| line.starts_with("Register error at ")));
    }
}
