//! The framing shared by every file redraft-raft writes: `[u32 len][u32 crc32(payload)][payload]`,
//! little-endian, so a reader can tell a whole record from a torn or damaged one.

/// Bytes of framing before each payload.
pub const HEADER_LEN: usize = 8;

/// Appends one framed record holding `payload` to `out`. Fails (writing nothing) when the
/// payload does not fit the 32-bit length.
pub fn encode_into(out: &mut Vec<u8>, payload: &[u8]) -> Result<(), RecordError> {
    let len = u32::try_from(payload.len()).map_err(|_| RecordError::TooLarge(payload.len()))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// One framed record holding `payload`.
pub fn encode(payload: &[u8]) -> Result<Vec<u8>, RecordError> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    encode_into(&mut out, payload)?;
    Ok(out)
}

/// Why the bytes at some offset are not a whole, intact record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("record header or payload cut short")]
    Short,
    #[error("record checksum mismatch")]
    Checksum,
    #[error("record payload of {0} bytes exceeds the 4 GiB frame limit")]
    TooLarge(usize),
    /// A header of zeros: no record was written here (a log segment is zero-filled ahead of
    /// its records). No record has one: every payload holds at least its entry's log id.
    #[error("no record: zeros")]
    Zeros,
}

/// The whole length (header and payload) of the record that `header` begins, so a reader can
/// fetch the rest before calling [`decode`].
pub fn framed_len(header: &[u8; HEADER_LEN]) -> usize {
    HEADER_LEN + u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize
}

/// Reads the record that starts at `bytes[0]`: its payload and its whole length.
pub fn decode(bytes: &[u8]) -> Result<(&[u8], usize), RecordError> {
    let Some(header) = bytes.first_chunk::<HEADER_LEN>() else {
        return Err(RecordError::Short);
    };
    let record_len = framed_len(header);
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let Some(payload) = bytes.get(HEADER_LEN..record_len) else {
        return Err(RecordError::Short);
    };
    if crc32fast::hash(payload) != crc {
        return Err(RecordError::Checksum);
    }
    Ok((payload, record_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_payload() {
        let bytes = encode(b"hello").unwrap();
        assert_eq!(decode(&bytes), Ok((&b"hello"[..], 13)));
        let header: [u8; HEADER_LEN] = bytes[..HEADER_LEN].try_into().unwrap();
        assert_eq!(framed_len(&header), 13);
    }

    #[test]
    fn detects_a_cut_and_a_flipped_bit() {
        let bytes = encode(b"hello").unwrap();
        assert_eq!(decode(&bytes[..4]), Err(RecordError::Short));
        assert_eq!(decode(&bytes[..12]), Err(RecordError::Short));
        let mut flipped = bytes.clone();
        flipped[10] ^= 1;
        assert_eq!(decode(&flipped), Err(RecordError::Checksum));
    }
}
