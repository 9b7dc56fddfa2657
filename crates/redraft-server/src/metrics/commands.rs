//! Calls, errors and latency of each command, counted by the sessions. One slot per command of
//! the engine's table (its top-level name: CLIENT's subcommands count as `client`) and one for
//! names the table does not know, so the labels stay bounded whatever clients send. A slot is
//! a few relaxed atomics: counting costs a table lookup and no lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use redraft_engine::{Argv, Reply};
use redraft_raft::{HistogramSample, LatencyHistogram};

/// The label of commands the table does not know.
pub const UNKNOWN: &str = "unknown";

#[derive(Default)]
struct Slot {
    calls: AtomicU64,
    errors: AtomicU64,
    latency: LatencyHistogram,
}

pub struct CommandMetrics {
    /// The table's command names, in its order; slot `i` counts `names[i]`, the last slot unknowns.
    names: Vec<&'static str>,
    slots: Vec<Slot>,
}

/// One command's counts as read for a scrape.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandSample {
    pub name: &'static str,
    pub calls: u64,
    pub errors: u64,
    pub latency: HistogramSample,
}

impl Default for CommandMetrics {
    fn default() -> Self {
        let names: Vec<&'static str> = redraft_engine::table::all()
            .iter()
            .map(|spec| spec.name)
            .collect();
        debug_assert!(names.is_sorted());
        let slots = (0..=names.len()).map(|_| Slot::default()).collect();
        CommandMetrics { names, slots }
    }
}

impl CommandMetrics {
    /// The slot of the command `argv` names: its position in the table (one hash, where a
    /// search over the sorted names made a dozen comparisons).
    fn slot_of(&self, argv: &[Vec<u8>]) -> usize {
        argv.first()
            .and_then(|name| redraft_engine::table::position(name))
            .unwrap_or(self.names.len())
    }

    /// Starts timing a pipeline of commands (see [`Timing::mark`]).
    pub fn time(self: &Arc<Self>, batch: &[Argv]) -> Timing {
        Timing {
            metrics: self.clone(),
            slots: batch.iter().map(|argv| self.slot_of(argv)).collect(),
            first_command: 0,
            first_reply: 0,
            started: Instant::now(),
        }
    }

    /// The commands called so far, by name.
    pub fn sample(&self) -> Vec<CommandSample> {
        let names = self.names.iter().copied().chain(std::iter::once(UNKNOWN));
        names
            .zip(&self.slots)
            .filter(|(_, slot)| slot.calls.load(Ordering::Relaxed) > 0)
            .map(|(name, slot)| CommandSample {
                name,
                calls: slot.calls.load(Ordering::Relaxed),
                errors: slot.errors.load(Ordering::Relaxed),
                latency: slot.latency.sample(),
            })
            .collect()
    }
}

/// The timing of one pipeline as a session executes it in steps: one command, or a run of
/// them that travels together (consecutive writes share one log entry). Each command of a
/// step is counted with the step's duration, the wait of a blocking command included.
pub struct Timing {
    metrics: Arc<CommandMetrics>,
    slots: Vec<usize>,
    first_command: usize,
    first_reply: usize,
    started: Instant,
}

impl Timing {
    /// Ends the step under way: `remaining` commands of the pipeline are not taken yet, and
    /// `replies` holds every reply so far. The commands taken since the last mark are counted
    /// (an error when the reply in its place is one), and the next step starts now.
    pub fn mark(&mut self, remaining: usize, replies: &[Reply]) {
        let taken = self.slots.len().saturating_sub(remaining);
        let now = Instant::now();
        let elapsed = now - self.started;
        let step = self.slots.get(self.first_command..taken).unwrap_or(&[]);
        let step_replies = replies.get(self.first_reply..).unwrap_or(&[]);
        for (i, &slot) in step.iter().enumerate() {
            let slot = &self.metrics.slots[slot];
            slot.calls.fetch_add(1, Ordering::Relaxed);
            slot.latency.observe(elapsed);
            if let Some(Reply::Error(_)) = step_replies.get(i) {
                slot.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.first_command = taken.max(self.first_command);
        self.first_reply = replies.len();
        self.started = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Argv {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    fn calls_of(metrics: &CommandMetrics, name: &str) -> (u64, u64) {
        metrics
            .sample()
            .iter()
            .find(|c| c.name == name)
            .map_or((0, 0), |c| (c.calls, c.errors))
    }

    #[test]
    fn each_command_of_a_run_counts_once_with_its_own_error() {
        let metrics = Arc::new(CommandMetrics::default());
        let batch = vec![
            argv(&["SET", "k", "v"]),
            argv(&["incr", "k"]),
            argv(&["Get", "k"]),
        ];
        let mut timing = metrics.time(&batch);
        let mut replies = Vec::new();
        // The two writes run as one step, then the read.
        timing.mark(3, &replies);
        replies.push(Reply::ok());
        replies.push(Reply::error("ERR value is not an integer or out of range"));
        timing.mark(1, &replies);
        replies.push(Reply::Bulk(b"v".to_vec()));
        timing.mark(0, &replies);
        assert_eq!(calls_of(&metrics, "set"), (1, 0));
        assert_eq!(calls_of(&metrics, "incr"), (1, 1));
        assert_eq!(calls_of(&metrics, "get"), (1, 0));
        let get = metrics.sample().into_iter().find(|c| c.name == "get");
        assert_eq!(get.map(|c| c.latency.count), Some(1));
    }

    #[test]
    fn names_the_table_does_not_know_share_one_label() {
        let metrics = Arc::new(CommandMetrics::default());
        let long = "x".repeat(1000);
        let batch = vec![argv(&["nosuchcommand"]), argv(&[&long]), Vec::new()];
        let mut timing = metrics.time(&batch);
        let replies = vec![Reply::error("ERR unknown command"); 3];
        timing.mark(0, &replies);
        assert_eq!(calls_of(&metrics, UNKNOWN), (3, 3));
        assert_eq!(metrics.sample().len(), 1);
    }

    #[test]
    fn a_step_without_replies_still_counts_its_calls() {
        let metrics = Arc::new(CommandMetrics::default());
        let batch = vec![argv(&["quit"]), argv(&["ping"])];
        let mut timing = metrics.time(&batch);
        timing.mark(2, &[]);
        // The connection closed after QUIT: PING was never taken.
        timing.mark(1, &[]);
        assert_eq!(calls_of(&metrics, "quit"), (1, 0));
        assert_eq!(calls_of(&metrics, "ping"), (0, 0));
    }
}
