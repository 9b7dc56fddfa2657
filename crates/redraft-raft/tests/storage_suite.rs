//! openraft's storage conformance suite against the durable log store and the engine adapter.

use openraft::testing::{StoreBuilder, Suite};
use openraft::{AnyError, StorageError, StorageIOError};
use redraft_raft::testing::{LogOptions, LogStore, StateMachine, TypeConfig};
use tempfile::TempDir;

struct FreshStore;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, TempDir> for FreshStore {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachine), StorageError<u64>> {
        let io = |e: &dyn std::fmt::Display| StorageIOError::write(AnyError::error(e.to_string()));
        let dir = TempDir::new().map_err(|e| io(&e))?;
        let log = LogStore::open(dir.path(), LogOptions::default()).map_err(|e| io(&e))?;
        let (applied_tx, _) = tokio::sync::watch::channel(0);
        let sm = StateMachine::open(dir.path(), applied_tx).map_err(|e| io(&e))?;
        Ok((dir, log, sm))
    }
}

#[test]
fn log_store_and_state_machine_pass_openraft_suite() {
    Suite::test_all(FreshStore).expect("storage suite");
}
