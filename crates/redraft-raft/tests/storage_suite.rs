//! openraft's storage conformance suite against the durable log store and the engine adapter,
//! with the default log cache, with caches so small that reads go to the segment files, and
//! without fsync (`--fsync no`).

use openraft::testing::log::{StoreBuilder, Suite};
use openraft::{ErrorSubject, ErrorVerb, StorageError};
use redraft_raft::testing::{LogOptions, LogStore, Outputs, StateMachine, TypeConfig};
use tempfile::TempDir;

/// Builds fresh stores whose log caches `cache_bytes` of the newest entries.
struct FreshStore {
    cache_bytes: u64,
    fsync: bool,
}

impl FreshStore {
    fn caching(cache_bytes: u64) -> Self {
        Self {
            cache_bytes,
            fsync: true,
        }
    }
}

impl StoreBuilder<TypeConfig, LogStore, StateMachine, TempDir> for FreshStore {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachine), StorageError<TypeConfig>> {
        let io = |e: &dyn std::fmt::Display| {
            let e = std::io::Error::other(e.to_string());
            StorageError::from_io_error(ErrorSubject::Store, ErrorVerb::Write, e)
        };
        let dir = TempDir::new().map_err(|e| io(&e))?;
        let options = LogOptions {
            cache_bytes: self.cache_bytes,
            fsync: self.fsync,
            ..LogOptions::default()
        };
        let log = LogStore::open(dir.path(), options).map_err(|e| io(&e))?;
        let (applied_tx, _) = tokio::sync::watch::channel(0);
        let (tx, _) = tokio::sync::mpsc::unbounded_channel();
        let outputs = Outputs {
            node: 1,
            tx,
            track_keys: Default::default(),
            access: Default::default(),
        };
        let sm = StateMachine::open(dir.path(), applied_tx, outputs).map_err(|e| io(&e))?;
        Ok((dir, log, sm))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_store_and_state_machine_pass_openraft_suite() {
    let cache_bytes = LogOptions::default().cache_bytes;
    Suite::test_all(FreshStore::caching(cache_bytes))
        .await
        .expect("storage suite");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_store_without_a_cache_passes_openraft_suite() {
    Suite::test_all(FreshStore::caching(0))
        .await
        .expect("storage suite, no cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_store_caching_a_few_entries_passes_openraft_suite() {
    // The suite's entries are blank or membership records of some tens of bytes, each counted
    // with 48 bytes of bookkeeping: two to three fit in 256, so most reads take some entries
    // from disk and the rest from the cache.
    Suite::test_all(FreshStore::caching(256))
        .await
        .expect("storage suite, small cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_store_without_fsync_passes_openraft_suite() {
    // `--fsync no` skips every sync; the callbacks that tell openraft an append is stored
    // must still fire, in order, or the node would stall.
    let store = FreshStore {
        cache_bytes: 0,
        fsync: false,
    };
    Suite::test_all(store)
        .await
        .expect("storage suite, no fsync");
}
