//! The byte-level pieces of Redis's serialization: CRC-64 (Jones), LZF, RDB lengths and
//! strings, listpacks, intsets and ziplists. Decoders never panic and never allocate more
//! than the input could describe.

/// A malformed payload ("Bad data format").
#[derive(Debug, PartialEq)]
pub struct Bad;

pub type Result<T> = std::result::Result<T, Bad>;

// ---------------------------------------------------------------------------------------
// CRC-64 Jones, reflected, no final xor (Redis's crc64.c).

const CRC64_POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

const fn crc64_table() -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ CRC64_POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

static CRC64_TABLE: [u64; 256] = crc64_table();

pub fn crc64(mut crc: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        crc = CRC64_TABLE[((crc ^ u64::from(*byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

// ---------------------------------------------------------------------------------------
// LZF (liblzf 3.6 as built into Redis: HLOG 16, VERY_FAST).

const LZF_HLOG: u32 = 16;
const LZF_MAX_LIT: usize = 1 << 5;
const LZF_MAX_OFF: usize = 1 << 13;
const LZF_MAX_REF: usize = (1 << 8) + (1 << 3);

fn lzf_idx(h: u32) -> usize {
    ((h >> (24 - LZF_HLOG)).wrapping_sub(h.wrapping_mul(5)) & ((1 << LZF_HLOG) - 1)) as usize
}

/// Copies one byte into the current literal run; a full run (32 bytes) is closed by writing
/// its length before it, and a new one started.
fn lzf_literal(out: &mut [u8], op: &mut usize, lit: &mut usize, byte: u8) {
    *lit += 1;
    out[*op] = byte;
    *op += 1;
    if *lit == LZF_MAX_LIT {
        out[*op - *lit - 1] = (*lit - 1) as u8;
        *lit = 0;
        *op += 1;
    }
}

/// lzf_compress into at most `out_len` bytes: None when the result would not fit. The hash
/// table starts empty (position 0 is never a match candidate, as in liblzf).
pub fn lzf_compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    if in_len < 3 || out_len == 0 {
        return None;
    }
    let mut htab = vec![0usize; 1 << LZF_HLOG];
    let mut out = vec![0u8; out_len + 1];
    let frst = |p: usize| (u32::from(input[p]) << 8) | u32::from(input[p + 1]);
    let next = |v: u32, p: usize| (v << 8) | u32::from(input[p + 2]);
    let mut ip = 0usize;
    let mut op = 1usize; // start run
    let mut lit = 0usize;
    let mut hval = frst(ip);
    while ip < in_len - 2 {
        hval = next(hval, ip);
        let slot = lzf_idx(hval);
        let ref_pos = htab[slot];
        htab[slot] = ip;
        let matched = ref_pos > 0
            && ref_pos < ip
            && ip - ref_pos - 1 < LZF_MAX_OFF
            && input[ref_pos + 2] == input[ip + 2]
            && input[ref_pos] == input[ip]
            && input[ref_pos + 1] == input[ip + 1];
        if matched {
            let off = ip - ref_pos - 1;
            let mut len = 2usize;
            let maxlen = (in_len - ip - len).min(LZF_MAX_REF);
            let no_lit = usize::from(lit == 0);
            if op + 4 >= out_len && op - no_lit + 4 >= out_len {
                return None;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            op -= no_lit;
            let mut done = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[ref_pos + len] != input[ip + len] {
                        done = true;
                        break;
                    }
                }
            }
            if !done {
                loop {
                    len += 1;
                    if !(len < maxlen && input[ref_pos + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1; // start run
            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            ip -= 2;
            hval = frst(ip);
            hval = next(hval, ip);
            htab[lzf_idx(hval)] = ip;
            ip += 1;
            hval = next(hval, ip);
            htab[lzf_idx(hval)] = ip;
            ip += 1;
        } else {
            if op >= out_len {
                return None;
            }
            lzf_literal(&mut out, &mut op, &mut lit, input[ip]);
            ip += 1;
        }
    }
    if op + 3 > out_len {
        return None;
    }
    for &byte in &input[ip..] {
        lzf_literal(&mut out, &mut op, &mut lit, byte);
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= usize::from(lit == 0);
    out.truncate(op);
    Some(out)
}

/// lzf_decompress of `input` to exactly `len` bytes.
pub fn lzf_decompress(input: &[u8], len: usize) -> Result<Vec<u8>> {
    // Each input byte yields at most 264/2 output bytes: refuse absurd claims up front.
    if len > input.len().saturating_mul(LZF_MAX_REF) {
        return Err(Bad);
    }
    let mut out: Vec<u8> = Vec::with_capacity(len.min(input.len().saturating_mul(8)));
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let bytes = input.get(ip..ip + run).ok_or(Bad)?;
            if out.len() + run > len {
                return Err(Bad);
            }
            out.extend_from_slice(bytes);
            ip += run;
        } else {
            let mut run = ctrl >> 5;
            if run == 7 {
                run += usize::from(*input.get(ip).ok_or(Bad)?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip).ok_or(Bad)?);
            ip += 1;
            run += 2;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            if back > out.len() || out.len() + run > len {
                return Err(Bad);
            }
            let start = out.len() - back;
            for i in 0..run {
                let byte = out[start + i];
                out.push(byte);
            }
        }
    }
    if out.len() != len {
        return Err(Bad);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// RDB lengths and strings.

const RDB_6BITLEN: u8 = 0;
const RDB_14BITLEN: u8 = 1;
const RDB_32BITLEN: u8 = 0x80;
const RDB_64BITLEN: u8 = 0x81;
const RDB_ENCVAL: u8 = 3;
const RDB_ENC_INT8: u8 = 0;
const RDB_ENC_INT16: u8 = 1;
const RDB_ENC_INT32: u8 = 2;
const RDB_ENC_LZF: u8 = 3;

pub fn put_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push((len as u8) | (RDB_6BITLEN << 6));
    } else if len < 1 << 14 {
        out.push(((len >> 8) as u8) | (RDB_14BITLEN << 6));
        out.push(len as u8);
    } else if len <= u64::from(u32::MAX) {
        out.push(RDB_32BITLEN);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(RDB_64BITLEN);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// rdbSaveRawString: small integers as integers, long strings LZF-compressed when that
/// saves at least 4 bytes (rdbcompression yes), the rest as length + bytes.
pub fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() <= 11 {
        if let Some(n) = crate::args::parse_i64(bytes) {
            if let Ok(small) = i8::try_from(n) {
                out.push((RDB_ENCVAL << 6) | RDB_ENC_INT8);
                out.push(small as u8);
                return;
            }
            if let Ok(small) = i16::try_from(n) {
                out.push((RDB_ENCVAL << 6) | RDB_ENC_INT16);
                out.extend_from_slice(&small.to_le_bytes());
                return;
            }
            if let Ok(small) = i32::try_from(n) {
                out.push((RDB_ENCVAL << 6) | RDB_ENC_INT32);
                out.extend_from_slice(&small.to_le_bytes());
                return;
            }
        }
    }
    if bytes.len() > 20 {
        if let Some(compressed) = lzf_compress(bytes, bytes.len() - 4) {
            out.push((RDB_ENCVAL << 6) | RDB_ENC_LZF);
            put_len(out, compressed.len() as u64);
            put_len(out, bytes.len() as u64);
            out.extend_from_slice(&compressed);
            return;
        }
    }
    put_len(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A cursor over a payload.
pub struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(bytes: &'a [u8]) -> Input<'a> {
        Input { bytes }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.bytes.len() {
            return Err(Bad);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut buf = [0u8; N];
        buf.copy_from_slice(self.take(N)?);
        Ok(buf)
    }

    /// An RDB length as (length, false), or a special string's encoding as (encoding, true).
    fn len_or_enc(&mut self) -> Result<(u64, bool)> {
        let first = self.u8()?;
        match first >> 6 {
            0 => Ok((u64::from(first & 0x3f), false)),
            1 => Ok((
                (u64::from(first & 0x3f) << 8) | u64::from(self.u8()?),
                false,
            )),
            3 => Ok((u64::from(first & 0x3f), true)),
            _ => match first {
                RDB_32BITLEN => Ok((u64::from(u32::from_be_bytes(self.array()?)), false)),
                RDB_64BITLEN => Ok((u64::from_be_bytes(self.array()?), false)),
                _ => Err(Bad),
            },
        }
    }

    pub fn len(&mut self) -> Result<u64> {
        match self.len_or_enc()? {
            (len, false) => Ok(len),
            _ => Err(Bad),
        }
    }

    /// A count of items each at least `min_bytes` long in what remains: refuses counts the
    /// payload cannot hold.
    pub fn count(&mut self, min_bytes: usize) -> Result<usize> {
        let count = self.len()?;
        if count.saturating_mul(min_bytes as u64) > self.remaining() as u64 {
            return Err(Bad);
        }
        Ok(count as usize)
    }

    pub fn string(&mut self) -> Result<Vec<u8>> {
        let (len, encoded) = self.len_or_enc()?;
        if !encoded {
            let len = usize::try_from(len).map_err(|_| Bad)?;
            return Ok(self.take(len)?.to_vec());
        }
        let value: i64 = match len as u8 {
            RDB_ENC_INT8 => i64::from(self.u8()? as i8),
            RDB_ENC_INT16 => i64::from(i16::from_le_bytes(self.array()?)),
            RDB_ENC_INT32 => i64::from(i32::from_le_bytes(self.array()?)),
            RDB_ENC_LZF => {
                let compressed_len = usize::try_from(self.len()?).map_err(|_| Bad)?;
                let len = usize::try_from(self.len()?).map_err(|_| Bad)?;
                let compressed = self.take(compressed_len)?;
                return lzf_decompress(compressed, len);
            }
            _ => return Err(Bad),
        };
        Ok(value.to_string().into_bytes())
    }

    pub fn binary_double(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// rdbLoadDoubleValue (the old ZSET type): a length byte then ASCII, 253 nan, 254 inf,
    /// 255 -inf.
    pub fn text_double(&mut self) -> Result<f64> {
        match self.u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            len => {
                let text = self.take(usize::from(len))?;
                parse_double(text)
            }
        }
    }
}

pub fn parse_double(text: &[u8]) -> Result<f64> {
    let text = std::str::from_utf8(text).map_err(|_| Bad)?;
    text.parse::<f64>().map_err(|_| Bad)
}

// ---------------------------------------------------------------------------------------
// Listpacks.

const LP_HEADER: usize = 6;
const LP_EOF: u8 = 0xff;

/// One listpack element: an integer or a string.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    Int(i64),
    Str(Vec<u8>),
}

impl Element {
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Element::Int(n) => n.to_string().into_bytes(),
            Element::Str(bytes) => bytes,
        }
    }
}

fn lp_backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

fn lp_put_backlen(out: &mut Vec<u8>, len: usize) {
    let size = lp_backlen_size(len);
    for i in (0..size).rev() {
        let group = ((len >> (7 * i)) & 127) as u8;
        // The first byte written holds the highest group, without the continuation bit.
        out.push(if i == size - 1 { group } else { group | 128 });
    }
}

fn lp_put_entry(out: &mut Vec<u8>, element: &[u8]) {
    let start = out.len();
    if let Some(n) = crate::args::parse_i64(element) {
        if (0..=127).contains(&n) {
            out.push(n as u8);
        } else if (-4096..=4095).contains(&n) {
            let v = (n as u64) & 0x1fff;
            out.push(0xc0 | (v >> 8) as u8);
            out.push(v as u8);
        } else if let Ok(v) = i16::try_from(n) {
            out.push(0xf1);
            out.extend_from_slice(&v.to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&n) {
            out.push(0xf2);
            out.extend_from_slice(&(n as i32).to_le_bytes()[..3]);
        } else if let Ok(v) = i32::try_from(n) {
            out.push(0xf3);
            out.extend_from_slice(&v.to_le_bytes());
        } else {
            out.push(0xf4);
            out.extend_from_slice(&n.to_le_bytes());
        }
    } else {
        let len = element.len();
        if len < 64 {
            out.push(0x80 | len as u8);
        } else if len < 4096 {
            out.push(0xe0 | (len >> 8) as u8);
            out.push(len as u8);
        } else {
            out.push(0xf0);
            out.extend_from_slice(&(len as u32).to_le_bytes());
        }
        out.extend_from_slice(element);
    }
    let entry_len = out.len() - start;
    lp_put_backlen(out, entry_len);
}

/// A listpack of `elements`, as lpAppend builds it.
pub fn listpack<'e>(elements: impl IntoIterator<Item = &'e [u8]>) -> Vec<u8> {
    let mut out = vec![0u8; LP_HEADER];
    let mut count = 0usize;
    for element in elements {
        lp_put_entry(&mut out, element);
        count += 1;
    }
    out.push(LP_EOF);
    let total = out.len() as u32;
    out[..4].copy_from_slice(&total.to_le_bytes());
    let count = if count < 65535 { count as u16 } else { 65535 };
    out[4..6].copy_from_slice(&count.to_le_bytes());
    out
}

/// The listpack's encoded size after appending `element` (quicklist node limits).
pub fn listpack_entry_size(element: &[u8]) -> usize {
    let mut scratch = Vec::new();
    lp_put_entry(&mut scratch, element);
    scratch.len()
}

fn sign_extend(value: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((value << shift) as i64) >> shift
}

/// Every element of a listpack, validated (header size, entry lengths, back-lengths, the
/// terminator).
pub fn parse_listpack(bytes: &[u8]) -> Result<Vec<Element>> {
    if bytes.len() < LP_HEADER + 1 {
        return Err(Bad);
    }
    let total = u32::from_le_bytes(bytes[..4].try_into().map_err(|_| Bad)?) as usize;
    if total != bytes.len() || bytes[total - 1] != LP_EOF {
        return Err(Bad);
    }
    let declared = u16::from_le_bytes([bytes[4], bytes[5]]);
    let mut input = Input::new(&bytes[LP_HEADER..total - 1]);
    let mut elements = Vec::new();
    while input.remaining() > 0 {
        let before = input.remaining();
        let first = input.u8()?;
        let element = match first {
            0x00..=0x7f => Element::Int(i64::from(first)),
            0x80..=0xbf => Element::Str(input.take(usize::from(first & 0x3f))?.to_vec()),
            0xc0..=0xdf => {
                let v = (u64::from(first & 0x1f) << 8) | u64::from(input.u8()?);
                Element::Int(sign_extend(v, 13))
            }
            0xe0..=0xef => {
                let len = (usize::from(first & 0x0f) << 8) | usize::from(input.u8()?);
                Element::Str(input.take(len)?.to_vec())
            }
            0xf0 => {
                let len = u32::from_le_bytes(input.array()?) as usize;
                Element::Str(input.take(len)?.to_vec())
            }
            0xf1 => Element::Int(i64::from(i16::from_le_bytes(input.array()?))),
            0xf2 => {
                let b: [u8; 3] = input.array()?;
                let v = u64::from(b[0]) | (u64::from(b[1]) << 8) | (u64::from(b[2]) << 16);
                Element::Int(sign_extend(v, 24))
            }
            0xf3 => Element::Int(i64::from(i32::from_le_bytes(input.array()?))),
            0xf4 => Element::Int(i64::from_le_bytes(input.array()?)),
            _ => return Err(Bad),
        };
        let entry_len = before - input.remaining();
        let mut expected = Vec::new();
        lp_put_backlen(&mut expected, entry_len);
        if input.take(expected.len())? != expected.as_slice() {
            return Err(Bad);
        }
        elements.push(element);
    }
    if declared != 65535 && usize::from(declared) != elements.len() {
        return Err(Bad);
    }
    Ok(elements)
}

// ---------------------------------------------------------------------------------------
// Intsets.

/// An intset of ascending distinct integers, in the smallest width that holds them all.
pub fn intset(values: &[i64]) -> Vec<u8> {
    let width: usize = if values.iter().all(|v| i16::try_from(*v).is_ok()) {
        2
    } else if values.iter().all(|v| i32::try_from(*v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * values.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

pub fn parse_intset(bytes: &[u8]) -> Result<Vec<i64>> {
    let mut input = Input::new(bytes);
    let width = u32::from_le_bytes(input.array()?) as usize;
    let len = u32::from_le_bytes(input.array()?) as usize;
    if !matches!(width, 2 | 4 | 8) || len.checked_mul(width) != Some(input.remaining()) {
        return Err(Bad);
    }
    let mut values = Vec::with_capacity(len);
    for _ in 0..len {
        let raw = input.take(width)?;
        let value = match width {
            2 => i64::from(i16::from_le_bytes([raw[0], raw[1]])),
            4 => i64::from(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
            _ => i64::from_le_bytes(raw.try_into().map_err(|_| Bad)?),
        };
        if values.last().is_some_and(|last| *last >= value) {
            return Err(Bad);
        }
        values.push(value);
    }
    Ok(values)
}

// ---------------------------------------------------------------------------------------
// Ziplists (older payloads only: decoding).

/// Every element of a ziplist, validated as Redis 7.0 validates ziplists it converts (always
/// deeply): the header's size, the tail offset (the last entry's, or within the header when
/// there is none), each entry's previous-entry length and encoding, the count unless it
/// saturated at 65535, the terminator.
pub fn parse_ziplist(bytes: &[u8]) -> Result<Vec<Element>> {
    const HEADER: usize = 10;
    if bytes.len() < HEADER + 1 {
        return Err(Bad);
    }
    let total = u32::from_le_bytes(bytes[..4].try_into().map_err(|_| Bad)?) as usize;
    if total != bytes.len() || bytes[total - 1] != 0xff {
        return Err(Bad);
    }
    let tail = u32::from_le_bytes(bytes[4..8].try_into().map_err(|_| Bad)?) as usize;
    let declared = u16::from_le_bytes([bytes[8], bytes[9]]);
    let mut input = Input::new(&bytes[HEADER..total - 1]);
    let mut elements = Vec::new();
    let mut prev_len = 0usize;
    let mut last_offset = None;
    while input.remaining() > 0 {
        let before = input.remaining();
        last_offset = Some(total - 1 - before);
        let prev = match input.u8()? {
            0xfe => u32::from_le_bytes(input.array()?) as usize,
            0xff => return Err(Bad),
            small => usize::from(small),
        };
        if prev != prev_len {
            return Err(Bad);
        }
        let first = input.u8()?;
        let element = match first >> 6 {
            0 => Element::Str(input.take(usize::from(first & 0x3f))?.to_vec()),
            1 => {
                let len = (usize::from(first & 0x3f) << 8) | usize::from(input.u8()?);
                Element::Str(input.take(len)?.to_vec())
            }
            // The low six bits of a 32-bit length's first byte are unused.
            2 => {
                let len = u32::from_be_bytes(input.array()?) as usize;
                Element::Str(input.take(len)?.to_vec())
            }
            _ => match first {
                0xc0 => Element::Int(i64::from(i16::from_le_bytes(input.array()?))),
                0xd0 => Element::Int(i64::from(i32::from_le_bytes(input.array()?))),
                0xe0 => Element::Int(i64::from_le_bytes(input.array()?)),
                0xf0 => {
                    let b: [u8; 3] = input.array()?;
                    let v = u64::from(b[0]) | (u64::from(b[1]) << 8) | (u64::from(b[2]) << 16);
                    Element::Int(sign_extend(v, 24))
                }
                0xfe => Element::Int(i64::from(input.u8()? as i8)),
                0xf1..=0xfd => Element::Int(i64::from(first & 0x0f) - 1),
                _ => return Err(Bad),
            },
        };
        prev_len = before - input.remaining();
        elements.push(element);
    }
    let tail_ok = match last_offset {
        Some(offset) => tail == offset,
        None => tail < total,
    };
    if !tail_ok || (declared != u16::MAX && usize::from(declared) != elements.len()) {
        return Err(Bad);
    }
    Ok(elements)
}

// ---------------------------------------------------------------------------------------
// Zipmaps (hashes of payloads from before Redis 2.6: decoding).

const ZIPMAP_BIGLEN: u8 = 254;
const ZIPMAP_END: u8 = 0xff;

/// A zipmap length: one byte under 254, else 254 and four bytes little-endian. Only the
/// shortest form loads (Redis 7.0 sizes an entry by its decoded length, so a longer form
/// misreads the entry).
fn zipmap_len(input: &mut Input, first: u8) -> Result<usize> {
    if first < ZIPMAP_BIGLEN {
        return Ok(usize::from(first));
    }
    let len = u32::from_le_bytes(input.array()?) as usize;
    if len < usize::from(ZIPMAP_BIGLEN) {
        return Err(Bad);
    }
    Ok(len)
}

/// The field-value pairs of a zipmap: a count byte (254: unknown), then per pair the field's
/// length and bytes, the value's length, a byte counting unused bytes after the value, the
/// value and those bytes; an end byte where a field's length would be. As Redis 7.0 loads it:
/// the blob ends with the end byte, the pairs stop at the first end byte, there is at least
/// one, and a count under 254 is theirs.
pub fn parse_zipmap(bytes: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let (&declared, rest) = bytes.split_first().ok_or(Bad)?;
    if rest.last() != Some(&ZIPMAP_END) {
        return Err(Bad);
    }
    let mut input = Input::new(rest);
    let mut pairs = Vec::new();
    loop {
        let first = input.u8()?;
        if first == ZIPMAP_END {
            break;
        }
        let field_len = zipmap_len(&mut input, first)?;
        let field = input.take(field_len)?.to_vec();
        let first = input.u8()?;
        let value_len = zipmap_len(&mut input, first)?;
        let free = usize::from(input.u8()?);
        let value = input.take(value_len)?.to_vec();
        input.take(free)?;
        pairs.push((field, value));
    }
    if pairs.is_empty() || (declared != ZIPMAP_BIGLEN && usize::from(declared) != pairs.len()) {
        return Err(Bad);
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_matches_redis_test_vector() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn lzf_round_trips_and_refuses_garbage() {
        let text = b"abcabcabcabcabcabcabcabcabcabcabcabcabc hello hello hello".repeat(20);
        let compressed = lzf_compress(&text, text.len() - 4).unwrap();
        assert!(compressed.len() < text.len());
        assert_eq!(lzf_decompress(&compressed, text.len()).unwrap(), text);
        assert!(lzf_compress(b"abcdefghijklmnopqrstuvwxyz", 22).is_none());
        assert_eq!(lzf_decompress(&[0x20, 0x00], 3), Err(Bad));
        assert_eq!(lzf_decompress(&[0x05, b'a'], 6), Err(Bad));
        assert_eq!(lzf_decompress(&[0x00, b'a'], usize::MAX), Err(Bad));
        let mut all = Vec::new();
        for i in 0..5000u32 {
            all.extend_from_slice(&(i * 7919 % 1000).to_le_bytes());
        }
        let compressed = lzf_compress(&all, all.len() - 4).unwrap();
        assert_eq!(lzf_decompress(&compressed, all.len()).unwrap(), all);
    }

    #[test]
    fn lengths_and_strings_round_trip() {
        for len in [0u64, 63, 64, 16383, 16384, u64::from(u32::MAX), 1 << 40] {
            let mut out = Vec::new();
            put_len(&mut out, len);
            assert_eq!(Input::new(&out).len().unwrap(), len);
        }
        let long = b"x".repeat(100);
        let samples: Vec<&[u8]> = vec![
            b"",
            b"0",
            b"-1",
            b"127",
            b"-128",
            b"300",
            b"-40000",
            b"2147483647",
            b"01",
            b"99999999999",
            b"hello",
            &long,
        ];
        for sample in samples {
            let mut out = Vec::new();
            put_string(&mut out, sample);
            let mut input = Input::new(&out);
            assert_eq!(input.string().unwrap(), sample);
            assert_eq!(input.remaining(), 0);
        }
        let mut out = Vec::new();
        put_string(&mut out, b"-128");
        assert_eq!(out, [0xc0, 0x80]);
    }

    #[test]
    fn listpacks_round_trip_every_entry_encoding() {
        let long = b"y".repeat(5000);
        let mid = b"z".repeat(100);
        let items: Vec<Vec<u8>> = [
            "0",
            "127",
            "128",
            "-1",
            "-4096",
            "4095",
            "4096",
            "-32768",
            "32767",
            "40000",
            "-8388608",
            "8388607",
            "8388608",
            "2147483647",
            "-2147483649",
            "9223372036854775807",
            "-9223372036854775808",
            "abc",
            "",
            "007",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .chain([long, mid])
        .collect();
        let lp = listpack(items.iter().map(Vec::as_slice));
        let back: Vec<Vec<u8>> = parse_listpack(&lp)
            .unwrap()
            .into_iter()
            .map(Element::into_bytes)
            .collect();
        assert_eq!(back, items);
        for cut in 0..lp.len() {
            assert!(parse_listpack(&lp[..cut]).is_err());
        }
        let mut bad = lp.clone();
        bad[7] ^= 0x40;
        assert!(parse_listpack(&bad).is_err());
    }

    #[test]
    fn intsets_round_trip_and_refuse_disorder() {
        for values in [
            vec![1i64, 2, 3],
            vec![-70000, 5],
            vec![i64::MIN, 0, i64::MAX],
        ] {
            assert_eq!(parse_intset(&intset(&values)).unwrap(), values);
        }
        assert!(parse_intset(&intset(&[3, 2])).is_err());
        assert!(parse_intset(&[2, 0, 0, 0, 255, 255, 255, 255]).is_err());
    }

    #[test]
    fn ziplists_decode() {
        // zlbytes, zltail, zllen=3, entries "ab", 12 (immediate), int16 1000, end.
        let mut zl = vec![0u8; 10];
        zl.extend_from_slice(&[0, 0x02, b'a', b'b']);
        zl.extend_from_slice(&[4, 0xfd]);
        zl.extend_from_slice(&[2, 0xc0, 0xe8, 0x03]);
        zl.push(0xff);
        let total = zl.len() as u32;
        zl[..4].copy_from_slice(&total.to_le_bytes());
        zl[4..8].copy_from_slice(&16u32.to_le_bytes());
        zl[8..10].copy_from_slice(&3u16.to_le_bytes());
        let elements = parse_ziplist(&zl).unwrap();
        assert_eq!(
            elements,
            vec![
                Element::Str(b"ab".to_vec()),
                Element::Int(12),
                Element::Int(1000)
            ]
        );
        for cut in 0..zl.len() {
            assert!(parse_ziplist(&zl[..cut]).is_err());
        }
    }
}
