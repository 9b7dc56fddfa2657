//! The keyspace: sixteen databases of keys, each with its value and optional deadline.
//!
//! Keys are ordered by (a fixed 64-bit hash of the key, the key): a stable order that does not
//! depend on the process or on insertion history. It is the order of KEYS and SCAN replies (a
//! SCAN cursor is the hash to resume from) and of snapshots, so every replica — restored from a
//! snapshot or not — answers and encodes alike. A separate index orders keys by deadline, so the
//! leader's expiry sweep finds due keys without a walk over the whole keyspace.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU64;

use crate::access::{AccessClocks, Clock};
use crate::acl::users::Users;
use crate::blocking::waiters::{Waiter, Waiters};
use crate::config::EncodingConfig;
use crate::entry::{ServedWaiter, WaiterId, Watched};
use crate::event::Event;
use crate::function::library::Libraries;
use crate::hash::value::HashValue;
use crate::keymap::KeyMap;
pub use crate::keymap::{HashedKey, KeyView};
use crate::list::value::ListValue;
use crate::lock::table::Locks;
use crate::notify::{keyevent_channel, keyspace_channel, Class};
use crate::pubsub::registry::Subscriptions;
use crate::reply::Reply;
use crate::script::cache::ScriptCache;
use crate::set::value::SetValue;
use crate::stream::value::StreamValue;
use crate::zset::value::ZSetValue;
use crate::DATABASES;

pub use crate::keyhash::key_hash;

/// A value of one of the Redis types.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(Vec<u8>),
    Hash(HashValue),
    List(ListValue),
    /// Boxed: a set's three encodings need a word for their tag, and every key pays for the
    /// largest inline variant (with the others at 16 bytes, `Value` is 24).
    Set(Box<SetValue>),
    ZSet(ZSetValue),
    /// Boxed: a stream's value is large, and every key pays for the largest inline variant.
    Stream(Box<StreamValue>),
}

impl Value {
    /// The string value, or None for a value of another type (the caller replies WRONGTYPE).
    /// Every new type must be matched here, so the compiler finds each place to review.
    pub fn as_string(&self) -> Option<&Vec<u8>> {
        match self {
            Value::String(bytes) => Some(bytes),
            _ => None,
        }
    }

    pub fn as_string_mut(&mut self) -> Option<&mut Vec<u8>> {
        match self {
            Value::String(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::Hash(_) => "hash",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }
}

/// A type a key can hold, so that one generic lookup ([`Db::get_as`]) answers WRONGTYPE for
/// every type.
pub trait TypedValue: Sized {
    fn of(value: &Value) -> Option<&Self>;
    fn of_mut(value: &mut Value) -> Option<&mut Self>;
    fn into_value(self) -> Value;
}

macro_rules! typed_value {
    ($type:ty, $variant:ident, inline) => {
        impl TypedValue for $type {
            fn of(value: &Value) -> Option<&Self> {
                match value {
                    Value::$variant(inner) => Some(inner),
                    _ => None,
                }
            }
            fn of_mut(value: &mut Value) -> Option<&mut Self> {
                match value {
                    Value::$variant(inner) => Some(inner),
                    _ => None,
                }
            }
            fn into_value(self) -> Value {
                Value::$variant(self)
            }
        }
    };
    ($type:ty, $variant:ident, boxed) => {
        impl TypedValue for $type {
            fn of(value: &Value) -> Option<&Self> {
                match value {
                    Value::$variant(inner) => Some(&**inner),
                    _ => None,
                }
            }
            fn of_mut(value: &mut Value) -> Option<&mut Self> {
                match value {
                    Value::$variant(inner) => Some(&mut **inner),
                    _ => None,
                }
            }
            fn into_value(self) -> Value {
                Value::$variant(Box::new(self))
            }
        }
    };
}

typed_value!(Vec<u8>, String, inline);
typed_value!(HashValue, Hash, inline);
typed_value!(ListValue, List, inline);
typed_value!(SetValue, Set, boxed);
typed_value!(ZSetValue, ZSet, inline);
typed_value!(StreamValue, Stream, boxed);

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub value: Value,
    /// One word for two things, so that a key costs its value and a word: the deadline in
    /// milliseconds since the Unix epoch (entry time) in the low 63 bits, 0 for none (see
    /// [`stored_deadline`]), and in the top bit [`RAW_STRING`].
    meta: u64,
    /// When this node last accessed the key, and how often: not state (see access.rs).
    pub clock: Clock,
}

/// The top bit of [`Entry`]'s word: the string value was built in place (APPEND, SETRANGE,
/// SETBIT, BITFIELD, BITOP, PFADD, PFMERGE), so OBJECT ENCODING reports `raw` as Redis does
/// for such a string, however short or integer-like. Any new value clears it.
const RAW_STRING: u64 = 1 << 63;

/// The latest deadline an entry can hold: no command sets a later one (deadlines are signed
/// 64-bit in Redis), and the top bit of the word is [`RAW_STRING`].
const DEADLINE_MAX_MS: u64 = RAW_STRING - 1;

/// A deadline as an entry stores it. A deadline of 0 ms is kept as 1 ms: both lie before any
/// entry's time, so the key is expired either way, and every replica stores the same value.
pub fn stored_deadline(deadline_ms: Option<u64>) -> Option<NonZeroU64> {
    deadline_ms.map(|ms| NonZeroU64::new(ms.min(DEADLINE_MAX_MS)).unwrap_or(NonZeroU64::MIN))
}

impl Entry {
    pub fn new(value: Value, deadline_ms: Option<u64>) -> Entry {
        Entry {
            value,
            meta: stored_deadline(deadline_ms).map_or(0, NonZeroU64::get),
            clock: Clock::default(),
        }
    }

    /// The deadline in milliseconds since the Unix epoch, if any.
    pub fn deadline_ms(&self) -> Option<u64> {
        NonZeroU64::new(self.meta & DEADLINE_MAX_MS).map(NonZeroU64::get)
    }

    /// Sets or clears the deadline ([`Db::set_deadline`] keeps the index of deadlines).
    fn set_deadline_ms(&mut self, deadline_ms: Option<u64>) {
        let stored = stored_deadline(deadline_ms).map_or(0, NonZeroU64::get);
        self.meta = (self.meta & RAW_STRING) | stored;
    }

    pub fn is_live(&self, now_ms: u64) -> bool {
        self.deadline_ms().is_none_or(|deadline| deadline > now_ms)
    }

    /// Whether the value is a string built in place (see [`RAW_STRING`]).
    pub fn is_raw_string(&self) -> bool {
        self.meta & RAW_STRING != 0
    }

    /// Notes that the string value was just built in place (see [`RAW_STRING`]).
    pub fn mark_raw_string(&mut self) {
        if matches!(self.value, Value::String(_)) {
            self.meta |= RAW_STRING;
        }
    }

    /// Replaces the value, keeping the deadline: a new value is not built in place.
    pub fn set_value(&mut self, value: Value) {
        self.value = value;
        self.meta &= !RAW_STRING;
    }
}

/// One logical database.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Db {
    entries: KeyMap<Entry>,
    /// (deadline, key) for every key that has a deadline.
    deadlines: BTreeSet<(u64, HashedKey)>,
    /// When keys last changed, for WATCH.
    pub(crate) changes: Changes,
    /// Keys deleted past their deadline and keys added, for keyspace notifications.
    pub(crate) notes: KeyNotes,
}

/// What happened to keys below the commands, noted in order for keyspace notifications while
/// the configuration asks for them: a key that a write path found past its deadline and
/// deleted, or that a sweep deleted ("expired"), and a key added to the database ("new"), as
/// Redis notifies them from its lookups and dbAdd. The keyspace publishes them before the next
/// event of the command that caused them, and after the command (see
/// [`Keyspace::publish_key_notes`]); they are never in snapshots.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct KeyNotes {
    /// Whether to note at all (see [`Keyspace::set_config`]): off, noting costs nothing.
    on: bool,
    noted: Vec<(KeyNote, HashedKey)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum KeyNote {
    Expired,
    New,
}

impl KeyNote {
    fn class_and_event(self) -> (Class, &'static str) {
        match self {
            KeyNote::Expired => (Class::EXPIRED, "expired"),
            KeyNote::New => (Class::NEW, "new"),
        }
    }
}

impl KeyNotes {
    fn note(&mut self, note: KeyNote, key: impl FnOnce() -> HashedKey) {
        if self.on {
            self.noted.push((note, key()));
        }
    }
}

/// Buckets of a database's table of changes (a power of two): 512 KiB per database in use.
pub const CHANGE_BUCKETS: usize = 1 << 16;

/// When the keys of a database last changed, as the index of the log entry that changed them,
/// so that EXEC can tell whether a watched key changed after its WATCH. Kept per bucket of key
/// hashes rather than per key, so that it costs no memory per key: a change to another key of
/// the same bucket counts too (a false "modified", never a missed one). Every write path of
/// [`Db`] records here, so no command can change a key unseen.
#[derive(Clone, Default)]
pub struct Changes {
    /// The index of the entry being applied (set by [`Keyspace::begin_entry`]).
    pub(crate) now_index: u64,
    /// Per bucket, the last entry that changed a key of it; allocated at the first change.
    pub(crate) buckets: Option<Box<[u64]>>,
    /// The last entry that changed the whole database at once (FLUSHDB, FLUSHALL, SWAPDB).
    pub(crate) whole_db: u64,
    /// Hashes of the keys that blocked clients wait on (how many wait on each), derived from
    /// the waiters: a change to one of them makes it ready to serve.
    pub(crate) waited: BTreeMap<u64, u32>,
    /// Hashes of waited keys changed since the engine last served waiters, in change order.
    pub(crate) ready: Vec<u64>,
    /// The keys changed by the entry being applied, when a node asked for them (client-side
    /// caching's invalidations; an output, not state: see [`Keyspace::track_modified`]).
    pub(crate) modified: Option<Vec<Vec<u8>>>,
    /// Whether the entry being applied changed the whole database (collected as `modified`).
    pub(crate) flushed: bool,
}

impl Changes {
    fn record(&mut self, hash: u64, key: &[u8]) {
        if let Some(modified) = &mut self.modified {
            modified.push(key.to_vec());
        }
        let repeat = self.ready.last() == Some(&hash);
        if !repeat && !self.waited.is_empty() && self.waited.contains_key(&hash) {
            self.ready.push(hash);
        }
        let buckets = self
            .buckets
            .get_or_insert_with(|| vec![0; CHANGE_BUCKETS].into_boxed_slice());
        buckets[hash as usize & (CHANGE_BUCKETS - 1)] = self.now_index;
    }

    fn record_whole_db(&mut self) {
        self.flushed = true;
        self.whole_db = self.now_index;
    }

    fn wait_on(&mut self, hash: u64) {
        *self.waited.entry(hash).or_default() += 1;
    }

    fn stop_waiting_on(&mut self, hash: u64) {
        if let Some(count) = self.waited.get_mut(&hash) {
            *count -= 1;
            if *count == 0 {
                self.waited.remove(&hash);
            }
        }
    }

    /// The last entry that may have changed a key of this hash.
    fn last(&self, hash: u64) -> u64 {
        let bucket = self
            .buckets
            .as_ref()
            .map_or(0, |buckets| buckets[hash as usize & (CHANGE_BUCKETS - 1)]);
        bucket.max(self.whole_db)
    }
}

/// Equal when they record the same changes, whether or not a table of none was allocated.
impl PartialEq for Changes {
    fn eq(&self, other: &Changes) -> bool {
        let buckets = |changes: &Changes| changes.buckets.as_deref().unwrap_or_default().to_vec();
        let same_buckets = match (&self.buckets, &other.buckets) {
            (Some(mine), Some(theirs)) => mine == theirs,
            (None, None) => true,
            _ => buckets(self)
                .iter()
                .chain(&buckets(other))
                .all(|&index| index == 0),
        };
        self.now_index == other.now_index && self.whole_db == other.whole_db && same_buckets
    }
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let changed = self
            .buckets
            .as_ref()
            .map_or(0, |b| b.iter().filter(|&&i| i != 0).count());
        write!(
            f,
            "Changes {{ now_index: {}, changed_buckets: {changed}, whole_db: {} }}",
            self.now_index, self.whole_db
        )
    }
}

impl Db {
    /// The live entry at `key`; a key past its deadline is absent.
    pub fn get(&self, key: &[u8], now_ms: u64) -> Option<&Entry> {
        self.entries
            .get(key_hash(key), key)
            .filter(|entry| entry.is_live(now_ms))
    }

    /// The live entry at `key`, mutable. Only the value may be changed through it: deadlines
    /// change through [`Db::set_deadline`] so that the deadline index stays true. A key found
    /// past its deadline is deleted here (this runs while applying an entry, so every replica
    /// deletes it at the same point).
    pub fn get_mut(&mut self, key: &[u8], now_ms: u64) -> Option<&mut Entry> {
        let hash = key_hash(key);
        self.remove_if_expired(hash, key, now_ms);
        let entry = self.entries.get_mut(hash, key)?;
        // Any mutable access counts as a change: the caller may change the value through it.
        self.changes.record(hash, key);
        Some(entry)
    }

    /// The live value at `key` as type `T`: Ok(None) when absent, WRONGTYPE for another type.
    pub fn get_as<T: TypedValue>(&self, key: &[u8], now_ms: u64) -> Result<Option<&T>, Reply> {
        match self.get(key, now_ms) {
            None => Ok(None),
            Some(entry) => T::of(&entry.value).map(Some).ok_or_else(Reply::wrong_type),
        }
    }

    /// [`Db::get_as`], mutable (a key found past its deadline is deleted, as by `get_mut`).
    pub fn get_as_mut<T: TypedValue>(
        &mut self,
        key: &[u8],
        now_ms: u64,
    ) -> Result<Option<&mut T>, Reply> {
        match self.get_mut(key, now_ms) {
            None => Ok(None),
            Some(entry) => T::of_mut(&mut entry.value)
                .map(Some)
                .ok_or_else(Reply::wrong_type),
        }
    }

    /// The value at `key` as type `T`, created empty (with no deadline) when absent. The caller
    /// must store something in it before its command returns: no empty collection is kept.
    pub fn get_or_create<T: TypedValue + Default>(
        &mut self,
        key: &[u8],
        now_ms: u64,
    ) -> Result<&mut T, Reply> {
        if self.get_mut(key, now_ms).is_none() {
            self.insert(key, Entry::new(T::default().into_value(), None), now_ms);
        }
        let entry = self.get_mut(key, now_ms);
        let entry = entry.expect("a value was just stored at this key");
        T::of_mut(&mut entry.value).ok_or_else(Reply::wrong_type)
    }

    /// Notes that the string at `key` was just built in place (see [`Entry::mark_raw_string`]);
    /// nothing for a missing key or another type.
    pub fn mark_raw_string(&mut self, key: &[u8], now_ms: u64) {
        if let Some(entry) = self.get_mut(key, now_ms) {
            entry.mark_raw_string();
        }
    }

    pub fn contains(&self, key: &[u8], now_ms: u64) -> bool {
        self.get(key, now_ms).is_some()
    }

    /// Stores `entry` at `key`, replacing whatever was there (value and deadline). A key there
    /// past its deadline is deleted first, so the key is new then.
    pub fn insert(&mut self, key: &[u8], entry: Entry, now_ms: u64) {
        let hash = key_hash(key);
        let deadline = entry.deadline_ms();
        let hashed = || HashedKey {
            hash,
            key: key.into(),
        };
        // One search finds what the key holds: a live entry is replaced in place, and the new
        // value keeps the key's access history (a moved entry keeps its own).
        let replaced = match self.entries.get_mut(hash, key) {
            Some(current) if current.is_live(now_ms) => {
                entry.clock.inherit(&current.clock);
                Some(std::mem::replace(current, entry))
            }
            Some(_) => {
                self.remove(key, now_ms);
                self.entries.insert(hash, key, entry)
            }
            None => self.entries.insert(hash, key, entry),
        };
        self.changes.record(hash, key);
        // Forget the old deadline before indexing the new one: when both are equal, the other
        // order would index the key and then remove that very index entry.
        match replaced {
            Some(old) => {
                if let Some(old_deadline) = old.deadline_ms() {
                    self.forget_deadline(old_deadline, hashed());
                }
            }
            None => self.notes.note(KeyNote::New, hashed),
        }
        if let Some(deadline) = deadline {
            self.deadlines.insert((deadline, hashed()));
        }
    }

    /// Removes `key` whether or not it is expired; returns the live entry if there was one
    /// (one past its deadline is noted as expired).
    pub fn remove(&mut self, key: &[u8], now_ms: u64) -> Option<Entry> {
        let (hashed, entry) = self.entries.remove(key_hash(key), key)?;
        self.changes.record(hashed.hash, key);
        if let Some(deadline) = entry.deadline_ms() {
            self.forget_deadline(deadline, hashed.clone());
        }
        if !entry.is_live(now_ms) {
            self.notes.note(KeyNote::Expired, || hashed);
            return None;
        }
        Some(entry)
    }

    /// Sets or clears the deadline of an existing live key; returns false if there is none.
    pub fn set_deadline(&mut self, key: &[u8], deadline: Option<u64>, now_ms: u64) -> bool {
        let deadline = stored_deadline(deadline).map(NonZeroU64::get);
        let hash = key_hash(key);
        self.remove_if_expired(hash, key, now_ms);
        let Some(entry) = self.entries.get_mut(hash, key) else {
            return false;
        };
        let old = entry.deadline_ms();
        entry.set_deadline_ms(deadline);
        self.changes.record(hash, key);
        let hashed = || HashedKey {
            hash,
            key: key.into(),
        };
        // The old deadline first: when both are equal, the other order would index the key
        // and then remove that very index entry.
        if let Some(old) = old {
            self.forget_deadline(old, hashed());
        }
        if let Some(new) = deadline {
            self.deadlines.insert((new, hashed()));
        }
        true
    }

    fn forget_deadline(&mut self, deadline: u64, hashed: HashedKey) {
        let removed = self.deadlines.remove(&(deadline, hashed));
        assert!(removed, "deadline index lost a key");
    }

    fn remove_if_expired(&mut self, hash: u64, key: &[u8], now_ms: u64) {
        let expired = self
            .entries
            .get(hash, key)
            .is_some_and(|entry| !entry.is_live(now_ms));
        if expired {
            self.remove(key, now_ms);
        }
    }

    /// Number of live keys.
    pub fn len(&self, now_ms: u64) -> usize {
        self.entries.len() - self.expired_count(now_ms)
    }

    pub fn is_empty(&self, now_ms: u64) -> bool {
        self.len(now_ms) == 0
    }

    /// Number of live keys that have a deadline (INFO's `expires=`).
    pub fn expiring_len(&self, now_ms: u64) -> usize {
        self.deadlines.len() - self.expired_count(now_ms)
    }

    /// Number of keys past their deadline that still await a sweep.
    pub fn expired_count(&self, now_ms: u64) -> usize {
        self.deadlines
            .iter()
            .take_while(|(deadline, _)| *deadline <= now_ms)
            .count()
    }

    pub fn has_expired(&self, now_ms: u64) -> bool {
        self.deadlines
            .first()
            .is_some_and(|(deadline, _)| *deadline <= now_ms)
    }

    /// Deletes up to `max` keys past their deadline, earliest first; returns how many.
    pub fn sweep_expired(&mut self, now_ms: u64, max: usize) -> usize {
        let mut swept = 0;
        while swept < max {
            let Some((deadline, hashed)) = self.deadlines.first().cloned() else {
                break;
            };
            if deadline > now_ms {
                break;
            }
            self.deadlines.pop_first();
            self.changes.record(hashed.hash, &hashed.key);
            self.entries.remove(hashed.hash, &hashed.key);
            self.notes.note(KeyNote::Expired, || hashed);
            swept += 1;
        }
        swept
    }

    /// Live entries in keyspace order, starting at the first key whose hash is >= `from_hash`.
    pub fn iter_from(
        &self,
        from_hash: u64,
        now_ms: u64,
    ) -> impl Iterator<Item = (KeyView<'_>, &Entry)> + '_ {
        self.entries
            .iter_from(from_hash)
            .filter(move |(_, entry)| entry.is_live(now_ms))
    }

    /// Every entry, live or expired, in keyspace order (for snapshots).
    pub fn iter_all(&self) -> impl Iterator<Item = (KeyView<'_>, &Entry)> + '_ {
        self.entries.iter()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.deadlines.clear();
        self.changes.record_whole_db();
    }

    /// Whether `key` may have changed after entry `since_index`, when the engine's time was
    /// `since_ms`: written, deleted, flushed or swapped by a later entry, or past a deadline
    /// that lay ahead then and lies behind at `now_ms` (an expiry that no entry wrote).
    pub fn changed_since(&self, key: &[u8], since_index: u64, since_ms: u64, now_ms: u64) -> bool {
        let hash = key_hash(key);
        if self.changes.last(hash) > since_index {
            return true;
        }
        self.entries
            .get(hash, key)
            .and_then(Entry::deadline_ms)
            .is_some_and(|deadline| since_ms < deadline && deadline <= now_ms)
    }

    /// Stored entries, live or expired.
    pub fn stored_len(&self) -> usize {
        self.entries.len()
    }
}

/// All databases.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyspace {
    pub dbs: Vec<Db>,
    /// The index of the last log entry applied (or being applied).
    pub applied_index: u64,
    /// The replicated configuration (CONFIG SET hash-max-listpack-entries ...): changed through
    /// [`Keyspace::set_config`] only, which also tells the databases whether to note keys for
    /// keyspace notifications.
    pub encoding: EncodingConfig,
    /// The scripts EVAL and SCRIPT LOAD cached, for EVALSHA (SCRIPT FLUSH empties it).
    pub scripts: ScriptCache,
    /// The function libraries FUNCTION LOAD and RESTORE loaded, for FCALL.
    pub functions: Libraries,
    /// The clients waiting in blocking commands (BLPOP ...), cluster-wide.
    pub waiters: Waiters,
    /// Waiters served (or timed out, or unblocked) by the entry being applied, for their
    /// nodes to answer; the engine hands them out after each entry (not in snapshots).
    pub served: Vec<ServedWaiter>,
    /// Who subscribes to which channels and patterns, cluster-wide.
    pub subscriptions: Subscriptions,
    /// The lock service's locks (their own namespace, beside the databases).
    pub locks: Locks,
    /// The ACL users (ACL SETUSER ...), by name. Shared (copied on write, `Arc::make_mut`), so
    /// that a node can check permissions against the last applied users without the engine's
    /// lock (see `Engine::users`).
    pub users: std::sync::Arc<Users>,
    /// Messages and subscription changes of the entry being applied, in order, for every
    /// node to deliver to its own clients (not in snapshots).
    pub events: Vec<Event>,
    /// Whether applying an entry also reports the keys it changed (an [`Event::Invalidate`]),
    /// for a node whose clients track keys (CLIENT TRACKING). Set by the node; it changes no
    /// state, only what the engine hands out.
    pub track_modified: bool,
    /// What the keys' access clocks share on this node (OBJECT IDLETIME, OBJECT FREQ): not
    /// state, never in snapshots, equal in every comparison (see access.rs).
    pub access: AccessClocks,
    /// The changes the entry being applied made, as Redis's dirty counter counts them (an
    /// output, taken after each entry; not in snapshots).
    pub(crate) dirty: crate::dirty::Dirty,
}

impl Keyspace {
    /// Notes that the entry at `index` is being applied: what it changes is recorded as
    /// changed by it.
    pub fn begin_entry(&mut self, index: u64) {
        self.applied_index = index;
        let track = self.track_modified;
        for db in &mut self.dbs {
            db.changes.now_index = index;
            db.changes.modified = track.then(Vec::new);
            db.changes.flushed = false;
            // Keys readied by an entry that serves no one (an expiry sweep deletes, and
            // deleting gives a waiter nothing) must not carry into this one: snapshots do not
            // hold them, so a restored replica would not either.
            db.changes.ready.clear();
        }
    }

    /// Swaps two databases (SWAPDB): every key of both may have changed. Waiters stay with
    /// their database number, so each may now find data.
    pub fn swap_dbs(&mut self, first: usize, second: usize) {
        self.dbs.swap(first, second);
        let (a, b) = (first.min(second), first.max(second));
        if a != b {
            let (left, right) = self.dbs.split_at_mut(b);
            let (one, two) = (&mut left[a].changes, &mut right[0].changes);
            std::mem::swap(&mut one.waited, &mut two.waited);
        }
        for db in [first, second] {
            let changes = &mut self.dbs[db].changes;
            changes.record_whole_db();
            let waited: Vec<u64> = changes.waited.keys().copied().collect();
            changes.ready.extend(waited);
        }
    }

    /// Adds a waiter after every other one; its keys now make it ready when they change.
    pub fn add_waiter(&mut self, waiter: Waiter) {
        let changes = &mut self.dbs[waiter.db as usize].changes;
        for key in &waiter.keys {
            changes.wait_on(key_hash(key));
        }
        self.waiters.add(waiter);
    }

    /// Installs `waiters` (from a snapshot) and tracks their keys.
    pub fn set_waiters(&mut self, waiters: Waiters) {
        for waiter in waiters.iter() {
            let changes = &mut self.dbs[waiter.db as usize].changes;
            for key in &waiter.keys {
                changes.wait_on(key_hash(key));
            }
        }
        self.waiters = waiters;
    }

    /// Removes the waiter `id`; None when there is none.
    pub fn remove_waiter(&mut self, id: &WaiterId) -> Option<Waiter> {
        let waiter = self.waiters.remove(id)?;
        self.forget_keys_of(&waiter);
        Some(waiter)
    }

    /// Stops tracking the keys of a waiter already taken out of [`Keyspace::waiters`].
    pub fn forget_keys_of(&mut self, waiter: &Waiter) {
        let changes = &mut self.dbs[waiter.db as usize].changes;
        for key in &waiter.keys {
            changes.stop_waiting_on(key_hash(key));
        }
    }

    /// How many ready keys each database has noted so far (see [`Keyspace::truncate_ready`]).
    pub fn ready_marks(&self) -> Vec<usize> {
        self.dbs.iter().map(|db| db.changes.ready.len()).collect()
    }

    /// Forgets the ready keys noted after `marks` were taken.
    pub fn truncate_ready(&mut self, marks: &[usize]) {
        for (db, &mark) in self.dbs.iter_mut().zip(marks) {
            db.changes.ready.truncate(mark);
        }
    }

    /// The (database, key hash) of every waited key changed since the last call, each once,
    /// in the order of their first change.
    pub fn take_ready(&mut self) -> Vec<(u32, u64)> {
        let mut ready = Vec::new();
        let mut seen = BTreeSet::new();
        for (db, data) in self.dbs.iter_mut().enumerate() {
            for hash in data.changes.ready.drain(..) {
                if seen.insert((db as u32, hash)) {
                    ready.push((db as u32, hash));
                }
            }
        }
        ready
    }

    /// Readies the waiters of `key` in every database where someone waits on it (a lock's
    /// wait key, when a permit frees).
    pub fn wake(&mut self, key: &[u8]) {
        let hash = key_hash(key);
        for db in &mut self.dbs {
            if db.changes.waited.contains_key(&hash) {
                db.changes.record(hash, key);
            }
        }
    }

    /// Sets the replicated configuration (CONFIG SET, a snapshot loaded). The databases note
    /// expired and new keys only while a notification may want them.
    pub fn set_config(&mut self, config: EncodingConfig) {
        self.encoding = config;
        let classes = Class(config.notify_keyspace_events);
        let on = classes.has_any(Class::KEYSPACE | Class::KEYEVENT)
            && classes.has_any(Class::EXPIRED | Class::NEW);
        for db in &mut self.dbs {
            db.notes.on = on;
            if !on {
                db.notes.noted.clear();
            }
        }
    }

    /// Hands out the keys the entry changed as an [`Event::Invalidate`] (when tracked).
    pub fn end_entry(&mut self) {
        if !self.track_modified {
            return;
        }
        let mut keys = Some(Vec::new());
        for db in &mut self.dbs {
            let modified = db.changes.modified.take().unwrap_or_default();
            if std::mem::take(&mut db.changes.flushed) {
                keys = None;
            }
            if let Some(keys) = &mut keys {
                keys.extend(modified);
            }
        }
        if let Some(keys) = &mut keys {
            keys.sort();
            keys.dedup();
            if keys.is_empty() {
                return;
            }
        }
        let index = self.applied_index;
        self.events.push(Event::Invalidate { index, keys });
    }

    /// Publishes the keyspace notification `event` of `class` about `key` in database `db`,
    /// if the configuration asks for its class: on the key's channel, then on the event's,
    /// as Redis does. What the databases noted before it ("expired", "new") goes first. Each
    /// notification counts as a change of the running command (see `crate::dirty`).
    pub fn notify(&mut self, db: usize, class: Class, event: &str, key: &[u8]) {
        self.dirty.notified();
        if self.encoding.notify_keyspace_events == 0 {
            return;
        }
        self.publish_key_notes();
        self.publish_notification(db, class, event, key);
    }

    fn publish_notification(&mut self, db: usize, class: Class, event: &str, key: &[u8]) {
        let classes = Class(self.encoding.notify_keyspace_events);
        if !classes.has_any(class) {
            return;
        }
        if classes.has_any(Class::KEYSPACE) {
            self.publish(false, &keyspace_channel(db, key), event.as_bytes());
        }
        if classes.has_any(Class::KEYEVENT) {
            self.publish(false, &keyevent_channel(db, event), key);
        }
    }

    /// Publishes the expired and new keys the databases noted, in order (database by
    /// database: one command notes in one database, save MOVE and COPY, whose source notes
    /// nothing once the destination is looked at). The engine calls it after every command,
    /// for a command that notes and then publishes nothing of its own.
    pub fn publish_key_notes(&mut self) {
        if self.encoding.notify_keyspace_events == 0 {
            return;
        }
        for db in 0..self.dbs.len() {
            for (note, key) in std::mem::take(&mut self.dbs[db].notes.noted) {
                let (class, event) = note.class_and_event();
                self.publish_notification(db, class, event, key.bytes());
            }
        }
    }

    /// Forgets what the databases noted since it was last published (the work of a blocked
    /// client's serve that did not happen).
    pub fn discard_key_notes(&mut self) {
        for db in &mut self.dbs {
            db.notes.noted.clear();
        }
    }

    /// Publishes `payload` on `channel` (a shard channel when `shard`): every node delivers it
    /// to its own subscribers. The number of clients it reaches, cluster-wide.
    pub fn publish(&mut self, shard: bool, channel: &[u8], payload: &[u8]) -> usize {
        let receivers = self.subscriptions.receivers(shard, channel);
        if receivers > 0 {
            self.events.push(Event::Message {
                shard,
                channel: channel.to_vec(),
                payload: payload.to_vec(),
            });
        }
        receivers
    }

    /// Whether a watched key may have changed since its WATCH (EXEC then aborts).
    pub fn watched_key_changed(&self, watched: &Watched, now_ms: u64) -> bool {
        let Some(db) = self.dbs.get(watched.db as usize) else {
            return true;
        };
        db.changed_since(&watched.key, watched.since_index, watched.since_ms, now_ms)
    }
}

impl Default for Keyspace {
    fn default() -> Self {
        Keyspace {
            dbs: vec![Db::default(); DATABASES],
            applied_index: 0,
            waiters: Waiters::default(),
            served: Vec::new(),
            subscriptions: Subscriptions::default(),
            locks: Locks::default(),
            users: std::sync::Arc::default(),
            events: Vec::new(),
            track_modified: false,
            access: AccessClocks::default(),
            dirty: crate::dirty::Dirty::default(),
            encoding: EncodingConfig::default(),
            scripts: ScriptCache::default(),
            functions: Libraries::default(),
        }
    }
}

#[cfg(test)]
#[path = "keyspace_tests.rs"]
mod tests;
