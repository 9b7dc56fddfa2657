//! SAVE, BGSAVE and DEBUG RELOAD: snapshots asked for by an operator. Each node snapshots its
//! own replica (as each Redis replica writes its own RDB file), through openraft's trigger, so
//! such a snapshot is stored and purges the log like any other.

use std::sync::atomic::Ordering;
use std::time::Duration;

use redraft_engine::Engine;
use tokio::time::Instant;

use crate::core::Core;
use crate::state_machine::write_replica;

/// How long SAVE waits for its snapshot: encoding a large keyspace takes a while.
const SAVE_TIMEOUT: Duration = Duration::from_secs(600);
/// How often SAVE looks whether its snapshot was stored.
const SAVE_POLL: Duration = Duration::from_millis(10);

/// Why a snapshot asked for was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Redis's line, for a SAVE or BGSAVE while one is under way.
    #[error("Background save already in progress")]
    InProgress,
    #[error("{0}")]
    Failed(String),
}

pub async fn save(core: &Core) -> Result<(), SaveError> {
    let stats = &core.stats.snapshots;
    if stats.building() {
        return Err(SaveError::InProgress);
    }
    let started = stats.builds_started.load(Ordering::Acquire);
    let stored = stats.builds.load(Ordering::Acquire);
    trigger(core).await?;
    let deadline = Instant::now() + SAVE_TIMEOUT;
    // Done once a build that began after the trigger has ended.
    while stats.builds_started.load(Ordering::Acquire) == started || stats.building() {
        if Instant::now() >= deadline {
            return Err(SaveError::Failed("the snapshot took too long".into()));
        }
        tokio::time::sleep(SAVE_POLL).await;
    }
    match stats.builds.load(Ordering::Acquire) > stored {
        true => Ok(()),
        false => Err(SaveError::Failed(
            "the snapshot could not be stored (see the node's log)".into(),
        )),
    }
}

pub fn bgsave(core: &std::sync::Arc<Core>) -> Result<(), SaveError> {
    if core.stats.snapshots.building() {
        return Err(SaveError::InProgress);
    }
    let core = core.clone();
    tokio::spawn(async move {
        if let Err(error) = trigger(&core).await {
            tracing::warn!(%error, "BGSAVE: snapshot not started");
        }
    });
    Ok(())
}

async fn trigger(core: &Core) -> Result<(), SaveError> {
    core.raft
        .trigger()
        .snapshot()
        .await
        .map_err(|error| SaveError::Failed(error.to_string()))
}

/// DEBUG RELOAD: under the replica's write lock (nothing is applied or read meanwhile), the
/// engine is encoded as a snapshot and replaced by the engine decoded from it, once that
/// encodes to the same bytes; otherwise the replica is left as it was and the difference
/// reported. The replica's state does not change, so nothing goes through the log: this
/// checks, on this node, that its state survives the snapshot format.
pub fn reload(core: &Core) -> Result<(), SaveError> {
    crate::long_running(|| {
        let mut replica = write_replica(&core.replica);
        let bytes = replica.engine.encode_snapshot();
        let reloaded = Engine::decode_snapshot(&bytes)
            .map_err(|error| SaveError::Failed(format!("Error trying to load the RDB: {error}")))?;
        if reloaded.encode_snapshot() != bytes {
            return Err(SaveError::Failed(
                "the reloaded state differs from the state saved; kept the state saved".into(),
            ));
        }
        replica.engine = reloaded;
        Ok(())
    })
}
