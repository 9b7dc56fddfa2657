//! This node's latency monitor (LATENCY LATEST, HISTORY, RESET, DOCTOR): with
//! `latency-monitor-threshold` above 0, a command that takes at least that many milliseconds is
//! a sample of the event `command`, or `fast-command` for a command flagged fast, as in Redis.
//! Each event keeps its latest 160 samples, one per second (the worst of that second), and the
//! worst ever seen.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use redraft_engine::Reply;

/// Samples an event keeps (Redis's).
const SAMPLES_MAX: usize = 160;

#[derive(Default)]
struct Event {
    /// (unix seconds, milliseconds), oldest first.
    samples: VecDeque<(u64, u64)>,
    worst_ms: u64,
}

#[derive(Default)]
pub struct LatencyMonitor {
    events: Mutex<BTreeMap<&'static str, Event>>,
}

impl LatencyMonitor {
    /// A sample of `event` that took `ms`.
    pub fn add(&self, event: &'static str, ms: u64) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |now| now.as_secs());
        self.add_at(event, ms, now);
    }

    fn add_at(&self, event: &'static str, ms: u64, unix_secs: u64) {
        let mut events = self.lock();
        let event = events.entry(event).or_default();
        event.worst_ms = event.worst_ms.max(ms);
        match event.samples.back_mut() {
            Some((secs, worst)) if *secs == unix_secs => *worst = (*worst).max(ms),
            _ => {
                event.samples.push_back((unix_secs, ms));
                if event.samples.len() > SAMPLES_MAX {
                    event.samples.pop_front();
                }
            }
        }
    }

    /// LATENCY LATEST: for each event, [name, time of its latest sample, latest, worst].
    pub fn latest(&self) -> Reply {
        let events = self.lock();
        Reply::Array(
            events
                .iter()
                .filter_map(|(name, event)| {
                    let &(secs, ms) = event.samples.back()?;
                    Some(Reply::Array(vec![
                        Reply::bulk(*name),
                        int(secs),
                        int(ms),
                        int(event.worst_ms),
                    ]))
                })
                .collect(),
        )
    }

    /// LATENCY HISTORY event: its samples, oldest first, as [time, milliseconds].
    pub fn history(&self, event: &[u8]) -> Reply {
        let events = self.lock();
        let found = events
            .iter()
            .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(event));
        let samples = found.map_or_else(Vec::new, |(_, event)| {
            event
                .samples
                .iter()
                .map(|&(secs, ms)| Reply::Array(vec![int(secs), int(ms)]))
                .collect()
        });
        Reply::Array(samples)
    }

    /// LATENCY RESET [event ...]: how many events were reset (all without names).
    pub fn reset(&self, names: &[Vec<u8>]) -> Reply {
        let mut events = self.lock();
        if names.is_empty() {
            let count = events.len();
            events.clear();
            return int(count as u64);
        }
        let before = events.len();
        events.retain(|name, _| {
            !names
                .iter()
                .any(|wanted| wanted.eq_ignore_ascii_case(name.as_bytes()))
        });
        int((before - events.len()) as u64)
    }

    /// LATENCY DOCTOR: a short report in words (redraft's own).
    pub fn doctor(&self, threshold_ms: u64) -> Reply {
        let events = self.lock();
        let mut text = String::new();
        if events.is_empty() {
            text.push_str("No latency events were recorded on this node.");
            if threshold_ms == 0 {
                text.push_str(
                    " The latency monitor is off: CONFIG SET latency-monitor-threshold <ms> turns it on.",
                );
            }
            text.push('\n');
            return Reply::bulk(text);
        }
        text.push_str("Latency events recorded on this node:\n\n");
        for (i, (name, event)) in events.iter().enumerate() {
            let count = event.samples.len() as u64;
            let sum: u64 = event.samples.iter().map(|&(_, ms)| ms).sum();
            let average = sum / count.max(1);
            let _ = writeln!(
                text,
                "{}. {name}: {count} samples kept, average {average} ms, worst ever {} ms.",
                i + 1,
                event.worst_ms
            );
        }
        text.push_str(
            "\nSLOWLOG GET shows which commands were slow; on a follower, writes include the trip to the leader and through the log.\n",
        );
        Reply::bulk(text)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<&'static str, Event>> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn int(value: u64) -> Reply {
    Reply::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_of_one_second_keep_the_worst_and_history_keeps_160() {
        let monitor = LatencyMonitor::default();
        monitor.add_at("command", 20, 100);
        monitor.add_at("command", 50, 100);
        monitor.add_at("command", 30, 101);
        assert_eq!(
            monitor.history(b"COMMAND"),
            Reply::Array(vec![
                Reply::Array(vec![int(100), int(50)]),
                Reply::Array(vec![int(101), int(30)]),
            ])
        );
        assert_eq!(
            monitor.latest(),
            Reply::Array(vec![Reply::Array(vec![
                Reply::bulk("command"),
                int(101),
                int(30),
                int(50)
            ])])
        );
        for second in 200..600 {
            monitor.add_at("fast-command", 10, second);
        }
        let Reply::Array(samples) = monitor.history(b"fast-command") else {
            panic!()
        };
        assert_eq!(samples.len(), SAMPLES_MAX);
        assert_eq!(monitor.history(b"nope"), Reply::Array(Vec::new()));
    }

    #[test]
    fn reset_counts_the_events_it_clears() {
        let monitor = LatencyMonitor::default();
        monitor.add_at("command", 20, 100);
        monitor.add_at("fast-command", 20, 100);
        assert_eq!(
            monitor.reset(&[b"nope".to_vec(), b"command".to_vec()]),
            int(1)
        );
        assert_eq!(monitor.reset(&[]), int(1));
        assert_eq!(monitor.latest(), Reply::Array(Vec::new()));
        assert_eq!(monitor.reset(&[]), int(0));
    }

    #[test]
    fn doctor_says_whether_anything_was_recorded() {
        let monitor = LatencyMonitor::default();
        let Reply::Bulk(quiet) = monitor.doctor(0) else {
            panic!()
        };
        assert!(String::from_utf8_lossy(&quiet).contains("latency-monitor-threshold"));
        monitor.add_at("command", 240, 100);
        let Reply::Bulk(report) = monitor.doctor(10) else {
            panic!()
        };
        assert!(String::from_utf8_lossy(&report)
            .contains("1. command: 1 samples kept, average 240 ms, worst ever 240 ms."));
    }
}
