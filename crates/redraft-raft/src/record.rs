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

/// Appends one framed record holding `value`'s postcard encoding to `out`, encoded in place:
/// sized first, so that a large entry (a log entry of 64 KiB values) is neither grown by
/// doubling nor copied from a buffer of its own. Fails (writing nothing) when it cannot be
/// encoded or does not fit the 32-bit length.
pub fn encode_value_into<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> io::Result<()> {
    let size = postcard::experimental::serialized_size(value).map_err(io::Error::other)?;
    let len = u32::try_from(size).map_err(|_| io::Error::other(RecordError::TooLarge(size)))?;
    let start = out.len();
    out.reserve(HEADER_LEN + size);
    out.extend_from_slice(&[0; HEADER_LEN]);
    let encoded = postcard::serialize_with_flavor(value, Appending(out));
    let written = out.len() - start - HEADER_LEN;
    if let Err(e) = encoded.and_then(|()| sized_as_written(size, written)) {
        out.truncate(start);
        return Err(io::Error::other(e));
    }
    let crc = crc32fast::hash(&out[start + HEADER_LEN..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// `value`'s postcard encoding in a buffer of its size (for the same reason as
/// [`encode_value_into`]).
pub fn encode_value<T: Serialize + ?Sized>(value: &T) -> postcard::Result<Vec<u8>> {
    let size = postcard::experimental::serialized_size(value)?;
    let mut out = Vec::with_capacity(size);
    postcard::serialize_with_flavor(value, Appending(&mut out))?;
    sized_as_written(size, out.len())?;
    Ok(out)
}

/// The size walk and the encoding must agree (both are postcard's): a value that encodes
/// differently from one pass to the next is refused rather than framed with a wrong length.
fn sized_as_written(size: usize, written: usize) -> postcard::Result<()> {
    match size == written {
        true => Ok(()),
        false => Err(postcard::Error::SerializeBufferFull),
    }
}

/// A postcard flavor that appends to a borrowed buffer.
struct Appending<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Appending<'_> {
    type Output = ();

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

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

    /// A value that encodes differently from one pass to the next: each serialization counts
    /// up, and the count decides the length of what it writes.
    struct Fickle(std::cell::Cell<u8>);

    impl Serialize for Fickle {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            self.0.set(self.0.get() + 1);
            serializer.serialize_bytes(&vec![7; usize::from(self.0.get())])
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
        assert_eq!(encode_value(&value).unwrap(), payload);
        assert_eq!(encode_value(&value).unwrap().capacity(), payload.len());
        // One that the size walk and the encoding disagree on is refused, leaving nothing.
        let mut out = b"earlier".to_vec();
        assert!(encode_value_into(&mut out, &Fickle(0.into())).is_err());
        assert_eq!(out, b"earlier");
        assert!(encode_value(&Fickle(0.into())).is_err());
    }
}
