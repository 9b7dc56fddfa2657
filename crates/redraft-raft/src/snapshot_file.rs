//! The persisted snapshot, `<dir>/raft/snapshot`: magic, then a framed postcard
//! `SnapshotMeta` (see [`record`]), then `[u64 len][u32 crc32]` and the engine snapshot (a
//! 64-bit length: an engine snapshot may exceed 4 GiB). Replaced atomically and durably.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::StartError;
use crate::fsutil;
use crate::record;
use crate::types::SnapshotMeta;

const MAGIC: &[u8; 8] = b"RDRSNAP1";
const DATA_HEADER_LEN: usize = 12;

pub struct SnapshotFile {
    path: PathBuf,
}

impl SnapshotFile {
    pub fn new(raft_dir: &Path) -> SnapshotFile {
        SnapshotFile {
            path: raft_dir.join("snapshot"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the persisted snapshot. Always fsynced: the log is purged on the strength of it.
    pub fn save(&self, meta: &SnapshotMeta, data: &[u8]) -> io::Result<()> {
        let meta_bytes = postcard::to_allocvec(meta).map_err(io::Error::other)?;
        let meta_record = record::encode(&meta_bytes).map_err(io::Error::other)?;
        let mut data_header = Vec::with_capacity(DATA_HEADER_LEN);
        data_header.extend_from_slice(&(data.len() as u64).to_le_bytes());
        data_header.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        fsutil::atomic_write_with(&self.path, true, |file: &mut File| {
            file.write_all(MAGIC)?;
            file.write_all(&meta_record)?;
            file.write_all(&data_header)?;
            file.write_all(data)
        })
    }

    /// The persisted snapshot, if any. A damaged file is a hard error: it was written
    /// atomically, and the log entries it covers may already be purged.
    pub fn load(&self) -> Result<Option<(SnapshotMeta, Vec<u8>)>, StartError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StartError::io("reading the snapshot", &self.path, e)),
        };
        let corrupt = |reason: String| StartError::CorruptSnapshot {
            path: self.path.clone(),
            reason,
        };
        let body = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| corrupt("bad magic".into()))?;
        let (meta_bytes, meta_len) = record::decode(body).map_err(|e| corrupt(e.to_string()))?;
        let meta: SnapshotMeta =
            postcard::from_bytes(meta_bytes).map_err(|e| corrupt(e.to_string()))?;
        let data_start = MAGIC.len() + meta_len + DATA_HEADER_LEN;
        let (len, crc) = parse_data_header(bytes.get(MAGIC.len() + meta_len..data_start))
            .ok_or_else(|| corrupt("data header cut short".into()))?;
        if bytes.len() as u64 - data_start as u64 != len {
            return Err(corrupt(format!("expected {len} bytes of engine data")));
        }
        let mut data = bytes;
        data.drain(..data_start);
        if crc32fast::hash(&data) != crc {
            return Err(corrupt("engine data checksum mismatch".into()));
        }
        Ok(Some((meta, data)))
    }
}

fn parse_data_header(header: Option<&[u8]>) -> Option<(u64, u32)> {
    let header = header?;
    let len = u64::from_le_bytes(header.get(..8)?.try_into().ok()?);
    let crc = u32::from_le_bytes(header.get(8..12)?.try_into().ok()?);
    Some((len, crc))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use openraft::vote::RaftLeaderId;
    use openraft::{BasicNode, Membership};
    use serde::Serialize;

    use super::*;
    use crate::types::{LeaderId, LogId, StoredMembership};

    fn meta() -> SnapshotMeta {
        let log_id = |term, index| LogId::new(LeaderId::new(term, 1).to_committed(), index);
        let nodes: BTreeMap<u64, BasicNode> = [1, 2, 3]
            .into_iter()
            .map(|id| (id, BasicNode::new(format!("10.0.0.{id}:16379"))))
            .collect();
        let voters = BTreeSet::from([1, 2, 3]);
        let membership = Membership::new(vec![voters], nodes).expect("known voters");
        SnapshotMeta {
            last_log_id: Some(log_id(2, 12)),
            last_membership: StoredMembership::new(Some(log_id(1, 3)), membership),
        }
    }

    /// The metadata as openraft 0.9 wrote it: the same fields, then the snapshot's id.
    #[derive(Serialize)]
    struct EarlierMeta {
        last_log_id: Option<LogId>,
        last_membership: StoredMembership,
        snapshot_id: String,
    }

    #[test]
    fn a_snapshot_saved_is_loaded_as_it_was() {
        let dir = tempfile::TempDir::new().unwrap();
        let file = SnapshotFile::new(dir.path());
        file.save(&meta(), b"engine bytes").unwrap();
        let (meta_read, data) = file.load().unwrap().expect("a snapshot");
        assert_eq!(meta_read, meta());
        assert_eq!(data, b"engine bytes");
    }

    /// docs/operations.md (Upgrading): a build on openraft 0.10 reads the snapshot a 0.9 build
    /// wrote, whose metadata ends with an id that 0.10 no longer has.
    #[test]
    fn a_snapshot_written_with_openraft_0_9_metadata_loads() {
        let dir = tempfile::TempDir::new().unwrap();
        let file = SnapshotFile::new(dir.path());
        let meta = meta();
        let earlier = EarlierMeta {
            last_log_id: meta.last_log_id,
            last_membership: meta.last_membership.clone(),
            snapshot_id: "1-2-12-1796420068973849270".into(),
        };
        let data = b"engine bytes";
        let mut bytes = MAGIC.to_vec();
        bytes.extend(record::encode(&postcard::to_allocvec(&earlier).unwrap()).unwrap());
        bytes.extend((data.len() as u64).to_le_bytes());
        bytes.extend(crc32fast::hash(data).to_le_bytes());
        bytes.extend(data);
        fs::write(file.path(), bytes).unwrap();
        let (meta_read, data_read) = file.load().unwrap().expect("a snapshot");
        assert_eq!(meta_read, meta);
        assert_eq!(data_read, data);
    }
}
