//! The snapshot format's primitives: length-prefixed bytes, little-endian integers and a reader
//! that checks every length. Below the value types, which encode themselves with them; the
//! whole-state format (snapshot.rs) sits above.

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum SnapshotError {
    #[error("not a redraft snapshot (bad magic)")]
    BadMagic,
    #[error("unsupported snapshot format version {0}")]
    UnsupportedVersion(u32),
    #[error("snapshot truncated")]
    Truncated,
    #[error("unknown value type tag {0}")]
    UnknownType(u8),
    #[error("a snapshot field out of its range")]
    OutOfRange,
    #[error("trailing bytes after the last database")]
    TrailingBytes,
}

pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("values are bounded below 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
}

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    /// Whether every byte was read.
    pub(crate) fn is_done(&self) -> bool {
        self.bytes.is_empty()
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        if self.bytes.len() < n {
            return Err(SnapshotError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, SnapshotError> {
        let mut buf = [0u8; 4];
        buf.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(buf))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, SnapshotError> {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(buf))
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], SnapshotError> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}
