//! Redis's dirty counter (`server.dirty`): how many changes the applied commands made, which a
//! node reports as INFO's `rdb_changes_since_last_save` (counted from its last snapshot).
//!
//! A command's changes are, by default, the keyspace notifications it raises: one per key
//! written for SET, MSET, DEL, INCR, EXPIRE and most others, as Redis counts them. A command
//! whose Redis count differs declares its own with [`crate::spec::WriteCtx::changed`]: the
//! variadic ones count elements (LPUSH of n values, HSET of n pairs, SADD of the members
//! added), and the ones that notify twice for one change (RENAME, LMOVE, SET ... EX, a pop
//! that empties its key) count one. A command that changes nothing notifies nothing and counts
//! 0, a refused one too. EXEC and scripts count the sum of their commands.
//!
//! The count is an output of applying, like the events: the engine hands it out after each
//! entry ([`crate::Engine::take_changes`]) and snapshots never hold it.

/// The changes of the entry being applied (see the module's notes).
#[derive(Clone, Debug, Default)]
pub struct Dirty {
    /// Changes of the finished top-level commands, since the count was last taken.
    finished: u64,
    /// The running command's notifications (with its finished inner commands' counts).
    notified: u64,
    /// The running command's own count, when it declared one.
    declared: Option<u64>,
}

/// Always equal: a count is what applying reported, not state. Two engines in the same state
/// are equal whatever they counted on the way (one decoded from a snapshot counted nothing).
impl PartialEq for Dirty {
    fn eq(&self, _: &Dirty) -> bool {
        true
    }
}

/// What an outer command had counted when an inner one (of EXEC, of a script) started.
pub(crate) struct Outer {
    notified: u64,
    declared: Option<u64>,
}

impl Dirty {
    /// A keyspace notification of the running command.
    pub(crate) fn notified(&mut self) {
        self.notified += 1;
    }

    /// The running command declares `changes` more changes of its own (its count is then the
    /// sum of its declarations, whatever it notifies).
    pub(crate) fn declare(&mut self, changes: u64) {
        self.declared = Some(self.declared.unwrap_or(0) + changes);
    }

    /// A command starts (nested in the running one, if any).
    pub(crate) fn begin(&mut self) -> Outer {
        Outer {
            notified: std::mem::take(&mut self.notified),
            declared: self.declared.take(),
        }
    }

    /// The command begun with [`Dirty::begin`] ends: its count joins the outer command's.
    pub(crate) fn end(&mut self, outer: Outer) {
        let own = self.declared.unwrap_or(self.notified);
        self.notified = outer.notified + own;
        self.declared = outer.declared;
    }

    /// A top-level command of the entry has ended: its count is final.
    pub(crate) fn finish(&mut self) {
        self.finished += std::mem::take(&mut self.notified);
        self.declared = None;
    }

    /// Forgets what was counted since the last finished command (the engine's own work after a
    /// command, such as serving blocked clients, which Redis does not count).
    pub(crate) fn forget_unfinished(&mut self) {
        self.notified = 0;
        self.declared = None;
    }

    /// The changes finished since the last call.
    pub(crate) fn take(&mut self) -> u64 {
        std::mem::take(&mut self.finished)
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{apply, argv};
    use crate::Engine;

    /// The changes each command makes, applied in order on one engine.
    fn counts(lines: &[&[&str]]) -> Vec<u64> {
        let mut engine = Engine::new();
        lines
            .iter()
            .map(|line| {
                apply(&mut engine, 1_000, argv(line));
                engine.take_changes()
            })
            .collect()
    }

    #[test]
    fn a_command_counts_its_notifications_unless_it_declares_its_own_count() {
        let lines: &[&[&str]] = &[
            &["SET", "a", "1"],
            &["MSET", "a", "1", "b", "2", "a", "3"],
            &["SET", "e", "1", "EX", "100"],
            &["DEL", "a", "b", "nosuch"],
            &["LPUSH", "l", "x", "y", "z"],
            &["HSET", "h", "f", "1", "g", "2"],
            &["HSET", "h", "f", "1"],
            &["SADD", "s", "m", "n"],
            &["SADD", "s", "m"],
            &["RENAME", "l", "l2"],
            &["LPOP", "l2", "5"],
            &["SETBIT", "bits", "3", "1"],
            &["SETBIT", "bits", "3", "1"],
            &["INCR", "e"],
            &["INCR", "h"],
            &["FLUSHALL"],
        ];
        // FLUSHALL removes e, h, s and bits.
        let expected = [1, 3, 1, 2, 3, 2, 1, 2, 0, 1, 3, 1, 0, 1, 0, 4];
        assert_eq!(counts(lines), expected);
    }

    #[test]
    fn a_script_counts_the_changes_of_its_commands() {
        let script = "redis.call('set', 'x', 1) redis.call('lpush', 'l', 'a', 'b') return 1";
        let lines: &[&[&str]] = &[&["EVAL", script, "0"], &["EVAL", "return 1", "0"]];
        assert_eq!(counts(lines), [3, 0]);
    }
}
