//! LEB128 lengths for the packed encodings (packed_pairs.rs, packed_items.rs): seven bits a
//! byte, low bits first, the high bit set on all but the last byte. Their buffers are the
//! engine's own, so a malformed varint is a broken invariant, not an input error.

/// The most bytes a u64 takes.
pub const U64_BYTES_MAX: usize = 10;

/// How many bytes [`write`] takes for `n`.
pub fn len(n: u64) -> usize {
    let bits = 64 - n.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

/// Writes `n` at the start of `out` (at least [`len`]`(n)` long); returns the bytes written.
pub fn write(out: &mut [u8], mut n: u64) -> usize {
    let mut at = 0;
    while n >= 0x80 {
        out[at] = (n as u8) | 0x80;
        n >>= 7;
        at += 1;
    }
    out[at] = n as u8;
    at + 1
}

/// Appends `n` to `out`.
pub fn push(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; U64_BYTES_MAX];
    let written = write(&mut buf, n);
    out.extend_from_slice(&buf[..written]);
}

/// The varint at `at`, and where it ends. Indexing past the buffer's end panics.
pub fn read(buf: &[u8], at: usize) -> (u64, usize) {
    let mut n = 0u64;
    let mut at = at;
    let mut shift = 0;
    loop {
        let byte = buf[at];
        at += 1;
        n |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return (n, at);
        }
        shift += 7;
        assert!(shift < 64, "varint longer than a u64");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint_round_trip(n: u64) -> usize {
        let mut out = vec![0xAA];
        push(&mut out, n);
        assert_eq!(out.len() - 1, len(n), "{n}");
        out.push(0xBB);
        let (back, end) = read(&out, 1);
        assert_eq!(back, n);
        assert_eq!(out[end], 0xBB);
        end - 1
    }

    #[test]
    fn varints_round_trip_at_their_width_boundaries() {
        assert_eq!(varint_round_trip(0), 1);
        assert_eq!(varint_round_trip(127), 1);
        assert_eq!(varint_round_trip(128), 2);
        assert_eq!(varint_round_trip(16_383), 2);
        assert_eq!(varint_round_trip(16_384), 3);
        assert_eq!(varint_round_trip(u64::from(u32::MAX)), 5);
        assert_eq!(varint_round_trip(u64::MAX >> 1), 9);
        assert_eq!(varint_round_trip(u64::MAX), 10);
    }
}
