//! The framing shared by every file redraft-raft writes: `[u32 len][u32 crc32(payload)][payload]`,
//! little-endian, so a reader can tell a whole record from a torn or damaged one.

use std::io;

use serde::Serialize;

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

/// Appends one framed record holding `value`'s postcard encoding to `out`, encoded straight
/// into it (not into a buffer of its own that is then copied: for a log entry of 64 KiB
/// values, that copy was a tenth of a write's CPU). Fails (writing nothing) when it cannot be
/// encoded or does not fit the 32-bit length.
pub fn encode_value_into<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> io::Result<()> {
    let start = out.len();
    let mut buf = std::mem::take(out);
    buf.extend_from_slice(&[0; HEADER_LEN]);
    // The buffer is owned by the serializer while it writes (a borrowed one made small
    // entries a third slower to encode) and taken back whatever the outcome.
    let mut serializer = postcard::Serializer {
        output: Appending(buf),
    };
    let encoded = value.serialize(&mut serializer);
    *out = serializer.output.0;
    let size = out.len() - start - HEADER_LEN;
    let framed = encoded.map_err(io::Error::other).and_then(|()| {
        u32::try_from(size).map_err(|_| io::Error::other(RecordError::TooLarge(size)))
    });
    let len = match framed {
        Ok(len) => len,
        Err(e) => {
            out.truncate(start);
            return Err(e);
        }
    };
    let crc = crc32fast::hash(&out[start + HEADER_LEN..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// A postcard flavor that appends to the buffer it holds.
struct Appending(Vec<u8>);

impl postcard::ser_flavors::Flavor for Appending {
    type Output = ();

    #[inline(always)]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    #[inline(always)]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
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

    /// A value whose encoding fails part way, after some bytes are written.
    struct Failing;

    impl Serialize for Failing {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{Error, SerializeTuple};
            let mut tuple = serializer.serialize_tuple(2)?;
            tuple.serialize_element(&vec![7u8; 40])?;
            Err(S::Error::custom("cannot encode"))
        }
    }

    #[test]
    fn a_value_is_framed_in_place_as_its_separate_encoding_would_be() {
        let value = (
            7u64,
            vec![vec![1u8; 70_000], b"set".to_vec()],
            "x".repeat(300),
        );
        let mut out = b"earlier".to_vec();
        encode_value_into(&mut out, &value).unwrap();
        let payload = postcard::to_allocvec(&value).unwrap();
        let mut expected = b"earlier".to_vec();
        encode_into(&mut expected, &payload).unwrap();
        assert_eq!(out, expected);
        assert_eq!(
            decode(&out[7..]),
            Ok((&payload[..], HEADER_LEN + payload.len()))
        );
        // One whose encoding fails part way leaves nothing of itself.
        let mut out = b"earlier".to_vec();
        assert!(encode_value_into(&mut out, &Failing).is_err());
        assert_eq!(out, b"earlier");
    }
}
