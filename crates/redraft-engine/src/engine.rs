//! The engine: applies log entries to the keyspace and serves reads from it.

use crate::acl;
use crate::blocking;
use crate::entry::ServedWaiter;
use crate::entry::{LogCommand, Op};
use crate::function;
use crate::keys::{self, memory::DatasetEstimate};
use crate::keyspace::Keyspace;
use crate::reply::Reply;
use crate::rng::splitmix64;
use crate::script;
use crate::script::sandbox::Kept;
use crate::snapshot::{self, SnapshotError};
use crate::spec::{ReadCtx, WriteCtx};
use crate::table;
use crate::DATABASES;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Time and seed for a read, supplied by the caller (the engine has no clock).
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadContext {
    /// The leader's time for this read; the engine uses at least its last applied entry's time.
    pub now_ms: u64,
    /// Seed for commands that pick at random (RANDOMKEY); affects only the reply.
    pub seed: u64,
    /// The read is no access to its keys (a client in CLIENT NO-TOUCH, except for TOUCH):
    /// this node's OBJECT IDLETIME and FREQ of them stay as they were.
    pub no_touch: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Engine {
    keyspace: Keyspace,
    /// The latest entry time applied; never decreases.
    now_ms: u64,
}

impl Engine {
    pub fn new() -> Engine {
        Engine::default()
    }

    /// The engine's time: the greatest entry time applied so far.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    pub fn keyspace(&self) -> &Keyspace {
        &self.keyspace
    }

    /// Applies the entry at log position `index`; one reply per command of the entry.
    pub fn apply(&mut self, index: u64, entry: &LogCommand) -> Vec<Reply> {
        self.now_ms = self.now_ms.max(entry.now_ms);
        self.keyspace.begin_entry(index);
        // The entry's scripts share one sandbox, dropped with the entry (see Kept).
        let sandbox = Kept::default();
        let replies = match &entry.op {
            Op::Batch { runs } => runs
                .iter()
                .flat_map(|run| run.cmds.iter().map(move |argv| (run.db, argv)))
                .enumerate()
                .map(|(i, (db, argv))| self.apply_command(db, argv, seed_for(index, i), &sandbox))
                .collect(),
            Op::ExpireSweep { max_keys } => {
                self.sweep(*max_keys as usize);
                Vec::new()
            }
        };
        self.keyspace.end_entry();
        replies
    }

    /// Whether applying entries also reports the keys they change ([`Event::Invalidate`]): a
    /// node turns it on while its clients track keys. It changes no state.
    ///
    /// [`Event::Invalidate`]: crate::event::Event::Invalidate
    pub fn track_modified_keys(&mut self, on: bool) {
        self.keyspace.track_modified = on;
    }

    fn apply_command(&mut self, db: u32, argv: &[Vec<u8>], seed: u64, sandbox: &Kept) -> Reply {
        let Some(db) = valid_db(db) else {
            return Reply::error("ERR DB index is out of range");
        };
        let spec = match table::resolve_entry(argv) {
            Ok(spec) => spec,
            Err(reply) => return reply,
        };
        let mut ctx = WriteCtx {
            keyspace: &mut self.keyspace,
            db,
            now_ms: self.now_ms,
            seed,
            resolve: table::resolve,
            catalog: table::catalog(),
            user: None,
            sandbox,
        };
        let reply = spec.run_write(&mut ctx, argv);
        self.keyspace.dirty.finish();
        // Keys a command found expired or added, after its last event of its own.
        self.keyspace.publish_key_notes();
        if !self.keyspace.waiters.is_empty() {
            // As Redis serves blocked clients after each command (a whole EXEC or script
            // counting as one), before the next command can see the data.
            let (resolve, catalog) = (table::resolve, table::catalog());
            blocking::serve_ready(&mut self.keyspace, self.now_ms, seed, resolve, catalog);
            // Redis counts the push that served a waiter, not the pop that served it.
            self.keyspace.dirty.forget_unfinished();
        }
        reply
    }

    /// The clients of `node` waiting in blocking commands (for a node that replaces its state
    /// with a snapshot: those that the snapshot no longer holds were answered in entries it
    /// skipped).
    pub fn waiters_of(&self, node: u64) -> Vec<crate::entry::WaiterId> {
        let waiters = self.keyspace.waiters.iter();
        waiters.map(|w| w.id).filter(|id| id.node == node).collect()
    }

    /// Every lock lease as (name, token, lease number, ttl ms): what a leader times to expire
    /// them (`lock-expire`).
    pub fn leases(&self) -> Vec<(Vec<u8>, u64, u64, u64)> {
        self.keyspace.locks.leases()
    }

    /// The waiters that the entries applied since the last call served, timed out or
    /// unblocked, in order: each node answers those of its own clients.
    pub fn take_served(&mut self) -> Vec<ServedWaiter> {
        std::mem::take(&mut self.keyspace.served)
    }

    /// The changes the entries applied since the last call made, as Redis's dirty counter
    /// counts them (INFO's rdb_changes_since_last_save; see `crate::dirty`).
    pub fn take_changes(&mut self) -> u64 {
        self.keyspace.dirty.take()
    }

    /// The messages and subscription changes of the entries applied since the last call, in
    /// order: each node delivers the messages to its own subscribers and confirms its own
    /// clients' subscriptions.
    pub fn take_events(&mut self) -> Vec<crate::event::Event> {
        std::mem::take(&mut self.keyspace.events)
    }

    /// Executes a read-only command against this replica's state: a read command, or EVAL /
    /// EVALSHA of a script that cannot write (see [`Engine::script_is_read_only`]).
    pub fn read(&self, db: u32, argv: &[Vec<u8>], context: ReadContext) -> Reply {
        self.read_with(db, argv, context, None)
    }

    /// [`Engine::read`], with a switch that stops a script running on this read when set
    /// (SCRIPT KILL): the script ends with Redis's `ERR Script killed by user with SCRIPT
    /// KILL...` line. Writes never look at it (every replica must reach the same end).
    pub fn read_killable(
        &self,
        db: u32,
        argv: &[Vec<u8>],
        context: ReadContext,
        kill: Arc<AtomicBool>,
    ) -> Reply {
        self.read_with(db, argv, context, Some(kill))
    }

    /// Whether `argv` runs a script or function that cannot write, so the server may send it
    /// down the read path instead of the log: EVAL_RO, EVALSHA_RO and FCALL_RO; EVAL / EVALSHA
    /// of a script whose shebang says `no-writes` (EVALSHA's looked up in the cache); FCALL of
    /// a function registered with the `no-writes` flag. Reads only the shebang or the flags.
    pub fn script_is_read_only(&self, argv: &[Vec<u8>]) -> bool {
        script::is_read_only(&self.keyspace.scripts, argv)
            || function::is_read_only(&self.keyspace.functions, argv)
    }

    fn read_with(
        &self,
        db: u32,
        argv: &[Vec<u8>],
        context: ReadContext,
        kill: Option<Arc<AtomicBool>>,
    ) -> Reply {
        let Some(db) = valid_db(db) else {
            return Reply::error("ERR DB index is out of range");
        };
        // A script on the read path travels as a write does, run as its client's user.
        let (user, argv) = match acl::caller::unwrap_as_user(argv) {
            Some((user, command)) => (Some(user), command),
            None => (None, argv),
        };
        let spec = match table::resolve(argv) {
            Ok(spec) => spec,
            Err(reply) => return reply,
        };
        if let Some(user) = user {
            let users = &self.keyspace.users;
            if let Err(refusal) =
                acl::caller::check(users, user, spec, argv, acl::caller::Caller::Client)
            {
                return refusal;
            }
        }
        let ctx = ReadCtx {
            keyspace: &self.keyspace,
            db,
            now_ms: self.now_ms.max(context.now_ms),
            seed: context.seed,
            resolve: table::resolve,
            catalog: table::catalog(),
            kill,
            user,
            touch: !context.no_touch,
        };
        if spec.is_write() && function::is_read_only(&self.keyspace.functions, argv) {
            return spec.run_read_as(function::fcall_on_read_path, &ctx, argv);
        }
        if spec.is_write() && script::is_read_only(&self.keyspace.scripts, argv) {
            return spec.run_read_as(script::eval_on_read_path, &ctx, argv);
        }
        spec.run_read(&ctx, argv)
    }

    /// The ACL users as the last applied entry left them, shared: a node checks connections
    /// against them without holding the engine (see [`acl::Access`]).
    pub fn users(&self) -> std::sync::Arc<acl::users::Users> {
        self.keyspace.users.clone()
    }

    /// The index of the last entry applied and the engine's time then: where a WATCH served
    /// now starts watching (see [`crate::entry::Watched`]).
    pub fn watch_point(&self) -> (u64, u64) {
        (self.keyspace.applied_index, self.now_ms)
    }

    /// Whether some key is past its deadline at `now_ms`, or some blocked client's wait has
    /// ended (the leader then proposes a sweep).
    pub fn has_expired_keys(&self, now_ms: u64) -> bool {
        self.keyspace.dbs.iter().any(|db| db.has_expired(now_ms))
            || self.keyspace.waiters.has_timed_out(now_ms)
    }

    /// Whether a blocked client's timeout passed (a sweep would answer it), whatever the keys.
    pub fn has_timed_out_waiters(&self, now_ms: u64) -> bool {
        self.keyspace.waiters.has_timed_out(now_ms)
    }

    fn sweep(&mut self, max_keys: usize) {
        let mut left = max_keys;
        for db in &mut self.keyspace.dbs {
            left -= db.sweep_expired(self.now_ms, left);
        }
        blocking::time_out(&mut self.keyspace, self.now_ms, left);
        // Deleting gives no waiter anything: what the sweep readied serves no one.
        self.keyspace.take_ready();
        // Each key deleted is an "expired" event, as Redis's active expiry notifies.
        self.keyspace.publish_key_notes();
    }

    /// The keys of each database and an estimate of the bytes they take, from at most
    /// `sample_keys` keys per database (MEMORY STATS, MEMORY DOCTOR).
    pub fn dataset_estimate(&self, now_ms: u64, sample_keys: usize) -> DatasetEstimate {
        let now_ms = self.now_ms.max(now_ms);
        keys::memory::dataset_estimate(&self.keyspace, now_ms, sample_keys)
    }

    /// The whole state in the versioned snapshot format; equal states give equal bytes.
    pub fn encode_snapshot(&self) -> Vec<u8> {
        snapshot::encode(&self.keyspace, self.now_ms)
    }

    pub fn decode_snapshot(bytes: &[u8]) -> Result<Engine, SnapshotError> {
        let (keyspace, now_ms) = snapshot::decode(bytes)?;
        Ok(Engine { keyspace, now_ms })
    }
}

fn valid_db(db: u32) -> Option<usize> {
    let db = db as usize;
    (db < DATABASES).then_some(db)
}

/// A seed per command of an entry: the same on every replica, different for every command.
fn seed_for(index: u64, position: usize) -> u64 {
    splitmix64(index.wrapping_mul(0x1_0000).wrapping_add(position as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Argv;
    use crate::entry::Run;
    use crate::testutil::c;

    fn argv(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn a_batch_applies_each_run_in_its_own_database_and_answers_in_order() {
        let mut engine = Engine::new();
        let batch = LogCommand {
            now_ms: 1,
            op: Op::Batch {
                runs: vec![
                    Run {
                        db: 0,
                        cmds: vec![argv(&["SET", "k", "zero"]), argv(&["GET", "k"])],
                    },
                    Run {
                        db: 1,
                        cmds: vec![argv(&["GET", "k"]), argv(&["SET", "k", "one"])],
                    },
                ],
            },
        };
        let replies = engine.apply(7, &batch);
        assert_eq!(
            replies,
            vec![Reply::ok(), Reply::bulk("zero"), Reply::Nil, Reply::ok()]
        );
        let read = |db| engine.read(db, &argv(&["GET", "k"]), ReadContext::default());
        assert_eq!(read(0), Reply::bulk("zero"));
        assert_eq!(read(1), Reply::bulk("one"));
    }

    #[test]
    fn a_batch_draws_the_same_seeds_as_the_same_commands_in_one_run() {
        let cmds = vec![argv(&["SET", "a", "1"]), argv(&["RANDOMKEY"])];
        let mut single = Engine::new();
        let one_run = single.apply(3, &LogCommand::run(1, 0, cmds.clone()));
        let mut batched = Engine::new();
        let runs = vec![
            Run {
                db: 0,
                cmds: cmds[..1].to_vec(),
            },
            Run {
                db: 0,
                cmds: cmds[1..].to_vec(),
            },
        ];
        let two_runs = batched.apply(
            3,
            &LogCommand {
                now_ms: 1,
                op: Op::Batch { runs },
            },
        );
        assert_eq!(one_run, two_runs);
        assert_eq!(single.encode_snapshot(), batched.encode_snapshot());
    }

    #[test]
    fn a_panicking_command_answers_an_error_and_replicas_stay_identical() {
        let cmds: Vec<Argv> = ["SET a 1", "DEBUG-PANIC after-a", "SET b 2"]
            .iter()
            .map(|line| c(line))
            .collect();
        let entry = LogCommand::run(1, 0, cmds);
        let (mut one, mut two) = (Engine::new(), Engine::new());
        let replies = one.apply(5, &entry);
        assert_eq!(replies, two.apply(5, &entry));
        assert_eq!(replies[0], Reply::ok());
        assert!(replies[1].is_internal_error(), "{:?}", replies[1]);
        assert_eq!(replies[2], Reply::ok());
        assert_eq!(one.encode_snapshot(), two.encode_snapshot());
        let read = one.read(0, &c("DEBUG-PANIC"), ReadContext::default());
        assert!(
            !read.is_internal_error(),
            "a write command is not served as a read"
        );
        assert_eq!(
            one.read(0, &c("GET b"), ReadContext::default()),
            Reply::bulk("2")
        );
    }
}
