//! What a command function sees: the keyspace, the selected database, the entry's time and a
//! seed. Below every type module; the engine builds one per command.

use crate::keyspace::{Db, Keyspace};

/// What a write command sees: the whole keyspace (MOVE, FLUSHALL and SWAPDB span databases),
/// the selected database, the entry's time and a seed derived from the entry.
pub struct WriteCtx<'a> {
    pub keyspace: &'a mut Keyspace,
    pub db: usize,
    pub now_ms: u64,
    pub seed: u64,
}

impl WriteCtx<'_> {
    pub fn db(&mut self) -> &mut Db {
        &mut self.keyspace.dbs[self.db]
    }

    /// A read-only view of this context, so that write paths can reuse read functions.
    pub fn as_read(&self) -> ReadCtx<'_> {
        ReadCtx {
            keyspace: self.keyspace,
            db: self.db,
            now_ms: self.now_ms,
            seed: self.seed,
        }
    }
}

/// What a read command sees.
pub struct ReadCtx<'a> {
    pub keyspace: &'a Keyspace,
    pub db: usize,
    pub now_ms: u64,
    pub seed: u64,
}

impl ReadCtx<'_> {
    pub fn db(&self) -> &Db {
        &self.keyspace.dbs[self.db]
    }
}
