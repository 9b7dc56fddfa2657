//! The state-machine adapter: openraft's `RaftStateMachine` over the shared engine.
//!
//! The engine is not persisted on every apply; the snapshot is. A restarted node loads the
//! persisted snapshot and openraft re-applies the committed log after it.

use std::io::{self, Cursor};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};
use std::time::Instant;

use openraft::storage::{EntryResponder, RaftStateMachine};
use openraft::{EntryPayload, OptionalSend, RaftSnapshotBuilder};
use redraft_engine::entry::TRANSACTION_COMMAND;
use redraft_engine::AS_USER_COMMAND;
use redraft_engine::{Access, Engine, Event, LogCommand, Op, Reply, ServedWaiter, SCRIPT_COMMANDS};
use tokio_stream::{Stream, StreamExt};

use crate::blocking::long_running;
use tokio::sync::{mpsc, watch};

use crate::error::StartError;
use crate::snapshot_file::SnapshotFile;
use crate::snapshot_fork::Encoder;
use crate::stats::{RaftStats, SnapshotStats};
use crate::types::{
    Entry, LogId, Response, Snapshot, SnapshotData, SnapshotMeta, StoredMembership, TypeConfig,
};

/// The engine with the Raft position its state corresponds to. One lock covers both, so a
/// snapshot's bytes and its log id always agree.
#[derive(Default)]
pub struct Replica {
    pub engine: Engine,
    pub last_applied: Option<LogId>,
    pub membership: StoredMembership,
}

pub type SharedReplica = Arc<RwLock<Replica>>;

/// A poisoned lock means an engine call panicked while applying; openraft's apply task has then
/// died with it and the node stops serving writes. Readers may still look at the state.
///
/// A lock that is not free at once is waited for off the runtime's worker (`long_running`): a
/// read that runs for seconds (ZRANDMEMBER of millions) holds the read lock, the apply behind
/// it waits for the write lock, and the readers behind that wait too; had each of them blocked
/// its worker thread, every other connection, timer and Raft RPC of the node would wait with
/// them.
pub fn read_replica(replica: &SharedReplica) -> RwLockReadGuard<'_, Replica> {
    match replica.try_read() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(e)) => e.into_inner(),
        Err(TryLockError::WouldBlock) => {
            long_running(|| replica.read().unwrap_or_else(|e| e.into_inner()))
        }
    }
}

pub(crate) fn write_replica(replica: &SharedReplica) -> RwLockWriteGuard<'_, Replica> {
    match replica.try_write() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(e)) => e.into_inner(),
        Err(TryLockError::WouldBlock) => {
            long_running(|| replica.write().unwrap_or_else(|e| e.into_inner()))
        }
    }
}

pub struct StateMachine {
    replica: SharedReplica,
    snapshots: Arc<SnapshotSlot>,
    applied_tx: watch::Sender<u64>,
    outputs: Outputs,
}

/// What applied entries produce for this node's clients besides replies, in apply order: every
/// replica serves every waiter and counts every message; each node answers its own waiters,
/// delivers messages to its own subscribers and confirms its own clients' subscriptions.
pub struct Outputs {
    pub node: u64,
    pub tx: mpsc::UnboundedSender<Output>,
    /// Set while this node's clients track keys (CLIENT TRACKING): entries then also report
    /// the keys they change.
    pub track_keys: Arc<std::sync::atomic::AtomicBool>,
    /// The ACL users as the last applied entry left them, for the checks of this node's
    /// connections without the replica's lock (a long read-only script holds it).
    pub access: Arc<std::sync::RwLock<Access>>,
}

#[derive(Debug)]
pub enum Output {
    /// A waiter of this node served, timed out or unblocked (`Engine::take_served`).
    Served(ServedWaiter),
    /// A message for subscribers, or a subscription change of this node's client
    /// (`Engine::take_events`).
    Event(Event),
    /// The replica's state was replaced by a snapshot: the subscription changes of the entries
    /// it skipped are unknown here.
    SnapshotInstalled,
}

impl Outputs {
    fn send(&self, output: Output) {
        // The receiver lives as long as the server; without it nobody waits or listens.
        let _ = self.tx.send(output);
    }

    /// Publishes the engine's users if an entry changed them (they are shared, copied on
    /// write: a new pointer means a change).
    fn publish_users(&self, engine: &Engine) {
        let users = engine.users();
        let mut access = self.access.write().unwrap_or_else(|e| e.into_inner());
        if !Arc::ptr_eq(&access.0, &users) {
            *access = Access(users);
        }
    }

    /// Hands out what applying an entry produced that concerns this node.
    fn send_applied(&self, engine: &mut Engine) {
        self.publish_users(engine);
        for served in engine.take_served() {
            if served.waiter.node == self.node {
                self.send(Output::Served(served));
            }
        }
        for event in engine.take_events() {
            let ours = match &event {
                Event::Subscriptions(change) => change.subscriber.node == self.node,
                Event::Message { .. } | Event::Invalidate { .. } | Event::LoginsRevoked { .. } => {
                    true
                }
            };
            if ours {
                self.send(Output::Event(event));
            }
        }
    }
}

/// The persisted snapshot and its meta. The mutex is held while the file is replaced, so a
/// slow build can never overwrite a newer snapshot installed meanwhile.
struct SnapshotSlot {
    file: SnapshotFile,
    current: Mutex<Option<SnapshotMeta>>,
    stats: Arc<SnapshotStats>,
    /// The last log index the snapshot on disk covers (0: none), published once the file is
    /// durable; the log purges nothing past it (see `LogStore::purge_behind_snapshots`).
    durable_tx: watch::Sender<u64>,
}

pub struct SnapshotBuilder {
    replica: SharedReplica,
    snapshots: Arc<SnapshotSlot>,
}

impl StateMachine {
    /// Opens the state machine under `raft_dir`, starting from the persisted snapshot if any.
    /// The applied index is published on `applied_tx`.
    pub fn open(
        raft_dir: &std::path::Path,
        applied_tx: watch::Sender<u64>,
        outputs: Outputs,
    ) -> Result<StateMachine, StartError> {
        let file = SnapshotFile::new(raft_dir);
        let mut replica = Replica::default();
        let mut current = None;
        if let Some((meta, data)) = file.load()? {
            replica.engine =
                Engine::decode_snapshot(&data).map_err(|e| StartError::CorruptSnapshot {
                    path: raft_dir.join("snapshot"),
                    reason: e.to_string(),
                })?;
            replica.last_applied = meta.last_log_id;
            replica.membership = meta.last_membership.clone();
            current = Some(meta);
        }
        applied_tx.send_replace(replica.last_applied.map_or(0, |l| l.index));
        outputs.publish_users(&replica.engine);
        let (durable_tx, _) = watch::channel(last_index(current.as_ref()));
        Ok(StateMachine {
            replica: Arc::new(RwLock::new(replica)),
            snapshots: Arc::new(SnapshotSlot {
                file,
                current: Mutex::new(current),
                stats: Arc::default(),
                durable_tx,
            }),
            applied_tx,
            outputs,
        })
    }

    pub fn replica(&self) -> SharedReplica {
        self.replica.clone()
    }

    /// Counts and durations of the snapshots built and installed, kept current.
    pub fn snapshot_stats(&self) -> Arc<SnapshotStats> {
        self.snapshots.stats.clone()
    }

    /// The last log index covered by the snapshot on disk, published once it is durable.
    pub fn durable_snapshot_index(&self) -> watch::Receiver<u64> {
        self.snapshots.durable_tx.subscribe()
    }

    /// Whether a snapshot was loaded or taken (a store with one is not pristine).
    pub fn has_snapshot(&self) -> bool {
        self.snapshots.current_meta().is_some()
    }

    fn apply_one(&self, entry: Entry) -> Response {
        let mut replica = write_replica(&self.replica);
        let log_id = entry.log_id;
        let replies = match entry.payload {
            EntryPayload::Blank => Vec::new(),
            EntryPayload::Normal(command) => {
                let track = self.outputs.track_keys.load(Ordering::Relaxed);
                replica.engine.track_modified_keys(track);
                let replies = replica.engine.apply(log_id.index, &command);
                let changes = replica.engine.take_changes();
                let stats = &self.snapshots.stats;
                stats.changes_applied.fetch_add(changes, Ordering::Relaxed);
                report_internal_errors(log_id.index, &command, &replies);
                self.outputs.send_applied(&mut replica.engine);
                replies
            }
            EntryPayload::Membership(membership) => {
                replica.membership = StoredMembership::new(Some(log_id), membership);
                Vec::new()
            }
        };
        replica.last_applied = Some(log_id);
        Response { replies }
    }
}

/// Whether the entry runs a script (directly, or inside a transaction), which may take long
/// within its budget.
fn runs_a_script(entry: &Entry) -> bool {
    let EntryPayload::Normal(command) = &entry.payload else {
        return false;
    };
    let Op::Batch { runs } = &command.op else {
        return false;
    };
    runs.iter().flat_map(|run| &run.cmds).any(|argv| {
        let name = argv.first().map_or(&[][..], Vec::as_slice);
        // A script or a transaction travels as its client's user (`as-user`). Compared in
        // place: this runs for every command of every entry on every replica.
        [TRANSACTION_COMMAND, AS_USER_COMMAND]
            .iter()
            .chain(SCRIPT_COMMANDS)
            .any(|script| name.eq_ignore_ascii_case(script.as_bytes()))
    })
}

/// Logs every command of the entry that panicked in the engine (a bug). The engine already
/// turned each into the same error reply on every replica, so the node goes on; the log is
/// where an operator and a developer learn of it.
fn report_internal_errors(index: u64, command: &LogCommand, replies: &[Reply]) -> usize {
    let Op::Batch { runs } = &command.op else {
        return 0;
    };
    let argvs = runs.iter().flat_map(|run| &run.cmds);
    let mut reported = 0;
    for (argv, reply) in argvs
        .zip(replies)
        .filter(|(_, reply)| reply.is_internal_error())
    {
        let name = argv
            .first()
            .map(|name| String::from_utf8_lossy(name).into_owned());
        tracing::error!(
            index,
            command = name.unwrap_or_default(),
            ?reply,
            "a command panicked in the state machine; every replica answered it with an error"
        );
        reported += 1;
    }
    reported
}

fn last_index(meta: Option<&SnapshotMeta>) -> u64 {
    meta.and_then(|m| m.last_log_id).map_or(0, |l| l.index)
}

impl SnapshotSlot {
    /// Where a forked child writes the snapshot it encodes.
    fn encoding_path(&self) -> std::path::PathBuf {
        self.file.path().with_extension("encoding")
    }

    fn current_meta(&self) -> Option<SnapshotMeta> {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Persists `meta`+`data` as the current snapshot, unless (and `force` is off) the current
    /// one is newer.
    fn store(&self, meta: &SnapshotMeta, data: &[u8], force: bool) -> io::Result<()> {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let newer_exists = current
            .as_ref()
            .is_some_and(|c| c.last_log_id > meta.last_log_id);
        if newer_exists && !force {
            return Ok(());
        }
        self.file.save(meta, data)?;
        *current = Some(meta.clone());
        self.durable_tx.send_replace(last_index(Some(meta)));
        Ok(())
    }

    fn load(&self) -> io::Result<Option<Snapshot>> {
        let loaded = self.file.load().map_err(io::Error::other)?;
        Ok(loaded.map(|(meta, data)| Snapshot {
            meta,
            snapshot: Cursor::new(data),
        }))
    }
}

/// Encodes the replica as it stands in a forked child (`snapshot_fork`), holding the replica's
/// lock only across the fork; in place, under the lock, when the fork fails.
fn build_blocking(replica: &SharedReplica, slot: &SnapshotSlot) -> io::Result<Snapshot> {
    let started = Instant::now();
    RaftStats::count(&slot.stats.builds_started);
    // Ended however the build ends (SAVE waits for it).
    let _ended = BuildEnded(&slot.stats);
    let stats = &slot.stats;
    *stats
        .building_since
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(started);
    let built = build_timed(replica, slot, started);
    *stats
        .building_since
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = None;
    stats
        .last_build_failed
        .store(built.is_err(), Ordering::Relaxed);
    if built.is_err() {
        RaftStats::count(&stats.build_failures);
    }
    built
}

fn build_timed(
    replica: &SharedReplica,
    slot: &SnapshotSlot,
    started: Instant,
) -> io::Result<Snapshot> {
    let (encoding, meta, changes) = {
        let replica = read_replica(replica);
        // Applying takes the replica's write lock: the count read under this read lock is the
        // one of the state encoded.
        let changes = slot.stats.changes_applied.load(Ordering::Relaxed);
        let meta = SnapshotMeta {
            last_log_id: replica.last_applied,
            last_membership: replica.membership.clone(),
        };
        let encoding = match Encoder::start(&replica.engine, &slot.encoding_path()) {
            Some(child) => Err(child),
            None => Ok(replica.engine.encode_snapshot()),
        };
        (encoding, meta, changes)
    };
    let data = match encoding {
        Ok(data) => data,
        Err(child) => child.finish()?,
    };
    slot.store(&meta, &data, false)?;
    let elapsed = started.elapsed();
    RaftStats::count(&slot.stats.builds);
    slot.stats.build_seconds.observe(elapsed);
    let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    slot.stats
        .last_build_ms
        .store(elapsed_ms, Ordering::Relaxed);
    slot.stats
        .changes_at_snapshot
        .store(changes, Ordering::Relaxed);
    tracing::info!(
        index = meta.last_log_id.map_or(0, |l| l.index),
        bytes = data.len(),
        duration_ms = elapsed.as_millis() as u64,
        "snapshot built"
    );
    Ok(Snapshot {
        meta,
        snapshot: Cursor::new(data),
    })
}

/// Counts a build as ended when dropped.
struct BuildEnded<'a>(&'a SnapshotStats);

impl Drop for BuildEnded<'_> {
    fn drop(&mut self) {
        RaftStats::count(&self.0.builds_ended);
    }
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    type SnapshotData = SnapshotData;

    async fn build_snapshot(&mut self) -> io::Result<Snapshot> {
        let replica = self.replica.clone();
        let slot = self.snapshots.clone();
        // Encoding a large keyspace takes a while; keep it off the async workers.
        tokio::task::spawn_blocking(move || build_blocking(&replica, &slot))
            .await
            .map_err(io::Error::other)?
    }
}

impl StateMachine {
    /// This node's waiters that a snapshot no longer holds were served, timed out or unblocked
    /// by entries this node skipped: their clients are told so rather than left waiting.
    fn answer_skipped_waiters(&self, old: &Engine, new: &Engine) {
        let still = new.waiters_of(self.outputs.node);
        for waiter in old.waiters_of(self.outputs.node) {
            if still.contains(&waiter) {
                continue;
            }
            let reply = Reply::error(
                "TRYAGAIN this node caught up from a snapshot while the client waited: \
                 whether something was taken for it is unknown",
            );
            let served = ServedWaiter {
                waiter,
                db: 0,
                reply,
                undo: None,
            };
            self.outputs.send(Output::Served(served));
        }
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotData = SnapshotData;
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(&mut self) -> io::Result<(Option<LogId>, StoredMembership)> {
        let replica = read_replica(&self.replica);
        Ok((replica.last_applied, replica.membership.clone()))
    }

    /// Applies what openraft has committed and answers each entry's proposer as soon as its
    /// entry is applied.
    async fn apply<Strm>(&mut self, mut entries: Strm) -> io::Result<()>
    where
        Strm: Stream<Item = io::Result<EntryResponder<TypeConfig>>> + Unpin + OptionalSend,
    {
        while let Some(next) = entries.next().await {
            let (entry, responder) = next?;
            let index = entry.log_id.index;
            // The lock is taken per entry so that reads interleave with a long batch.
            let response = match runs_a_script(&entry) {
                true => long_running(|| self.apply_one(entry)),
                false => self.apply_one(entry),
            };
            // Published before the reply: whoever hears of the write may read it at once.
            self.applied_tx.send_replace(index);
            if let Some(responder) = responder {
                responder.send(response);
            }
        }
        Ok(())
    }

    async fn get_snapshot_builder(&mut self) -> SnapshotBuilder {
        SnapshotBuilder {
            replica: self.replica.clone(),
            snapshots: self.snapshots.clone(),
        }
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: SnapshotData,
    ) -> io::Result<()> {
        let started = Instant::now();
        let data = snapshot.into_inner();
        let bytes = data.len();
        let slot = self.snapshots.clone();
        let owned_meta = meta.clone();
        let engine = tokio::task::spawn_blocking(move || {
            let engine = Engine::decode_snapshot(&data)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            slot.store(&owned_meta, &data, true)?;
            Ok::<Engine, io::Error>(engine)
        })
        .await
        .map_err(io::Error::other)??;
        {
            let mut replica = write_replica(&self.replica);
            self.answer_skipped_waiters(&replica.engine, &engine);
            replica.engine = engine;
            // The state is now the snapshot's: no change since it.
            let stats = &self.snapshots.stats;
            let applied = stats.changes_applied.load(Ordering::Relaxed);
            stats.changes_at_snapshot.store(applied, Ordering::Relaxed);
            replica.last_applied = meta.last_log_id;
            replica.membership = meta.last_membership.clone();
        }
        self.outputs
            .publish_users(&read_replica(&self.replica).engine);
        self.outputs.send(Output::SnapshotInstalled);
        let index = meta.last_log_id.map_or(0, |l| l.index);
        self.applied_tx.send_replace(index);
        let elapsed = started.elapsed();
        let stats = &self.snapshots.stats;
        RaftStats::count(&stats.installs);
        stats.install_seconds.observe(elapsed);
        tracing::info!(
            index,
            bytes,
            duration_ms = elapsed.as_millis() as u64,
            "snapshot installed from the leader"
        );
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> io::Result<Option<Snapshot>> {
        let slot = self.snapshots.clone();
        tokio::task::spawn_blocking(move || slot.load())
            .await
            .map_err(io::Error::other)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openraft::vote::RaftLeaderId;

    #[test]
    fn entries_that_run_scripts_are_told_apart_in_any_case() {
        let entry = |names: &[&str]| {
            let cmds = names.iter().map(|name| vec![name.as_bytes().to_vec()]);
            Entry {
                log_id: LogId::new(crate::types::LeaderId::new(1, 1).to_committed(), 1),
                payload: EntryPayload::Normal(LogCommand::run(1, 0, cmds.collect())),
            }
        };
        assert!(runs_a_script(&entry(&["SET", "eVaLsHa"])));
        assert!(runs_a_script(&entry(&["AS-USER"])));
        assert!(runs_a_script(&entry(&["multi-exec"])));
        assert!(!runs_a_script(&entry(&["SET", "GET", "EVA", "EVALX"])));
        assert!(!runs_a_script(&entry(&[""])));
    }

    #[test]
    fn every_command_that_panicked_is_reported_and_no_other() {
        let argv = |name: &str| vec![name.as_bytes().to_vec()];
        let entry = LogCommand::run(1, 0, vec![argv("SET"), argv("BAD"), argv("GET")]);
        let replies = [
            Reply::ok(),
            Reply::internal_error("bad"),
            Reply::error("ERR an ordinary error"),
        ];
        assert_eq!(report_internal_errors(9, &entry, &replies), 1);
        assert_eq!(report_internal_errors(9, &entry, &replies[..1]), 0);
    }
}
