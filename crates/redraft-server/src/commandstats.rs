//! This node's counters per command and per error, as Redis 7 keeps them: INFO's commandstats,
//! errorstats and latencystats sections, total_error_replies, and LATENCY HISTOGRAM. One short
//! lock per command served; CONFIG RESETSTAT clears them.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use redraft_engine::Reply;

use crate::histogram::Histogram;

/// Most error codes errorstats tracks (Redis's bound): clients choose a script error's code, so
/// later codes are counted in total_error_replies only.
pub const ERROR_CODES_MAX: usize = 128;
/// The longest error code tracked; a longer first word counts as `ERR`.
const ERROR_CODE_BYTES_MAX: usize = 32;
/// The percentiles INFO latencystats reports (Redis's default latency-tracking-info-percentiles).
const PERCENTILES: [(&str, f64); 3] = [("p50", 50.0), ("p99", 99.0), ("p99.9", 99.9)];

/// One command's counters.
#[derive(Default)]
struct Counters {
    calls: u64,
    took_ns: u64,
    rejected: u64,
    failed: u64,
    /// Allocated at the first call (a refused command has none).
    histogram: Option<Histogram>,
}

#[derive(Default)]
pub struct CommandStats {
    commands: Mutex<HashMap<&'static str, Counters>>,
    errors: Mutex<BTreeMap<String, u64>>,
    error_replies: AtomicU64,
}

impl CommandStats {
    /// A call of `name` that ran for `took` and `failed` (answered an error).
    pub fn call(&self, name: &'static str, took: Duration, failed: bool) {
        let mut commands = self.commands();
        let counters = commands.entry(name).or_default();
        counters.calls += 1;
        counters.took_ns = counters
            .took_ns
            .saturating_add(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
        counters.failed += u64::from(failed);
        counters
            .histogram
            .get_or_insert_with(Histogram::default)
            .record(took);
    }

    /// A call of `name` refused before it ran (arity, ACL, authentication, ...).
    pub fn rejected(&self, name: &'static str) {
        self.commands().entry(name).or_default().rejected += 1;
    }

    /// An error reply (`line` without its `-`): counted in total_error_replies and under its
    /// code, the first word.
    pub fn error(&self, line: &str) {
        self.error_replies.fetch_add(1, Ordering::Relaxed);
        let code = match line.split(' ').next() {
            Some(word) if !word.is_empty() && word.len() <= ERROR_CODE_BYTES_MAX => word,
            _ => "ERR",
        };
        let mut errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = errors.get_mut(code) {
            *count += 1;
        } else if errors.len() < ERROR_CODES_MAX {
            errors.insert(code.to_string(), 1);
        }
    }

    /// total_error_replies.
    pub fn error_replies(&self) -> u64 {
        self.error_replies.load(Ordering::Relaxed)
    }

    /// CONFIG RESETSTAT: every counter back to zero.
    pub fn reset(&self) {
        self.commands().clear();
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.error_replies.store(0, Ordering::Relaxed);
    }

    /// INFO commandstats: `cmdstat_<name>` lines, by name.
    pub fn commandstats(&self) -> Vec<(String, String)> {
        let commands = self.commands();
        let mut lines: Vec<(String, String)> = commands
            .iter()
            .map(|(name, c)| {
                let usec = c.took_ns / 1000;
                let per_call = if c.calls == 0 {
                    0.0
                } else {
                    usec as f64 / c.calls as f64
                };
                (
                    format!("cmdstat_{name}"),
                    format!(
                        "calls={},usec={usec},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                        c.calls, c.rejected, c.failed
                    ),
                )
            })
            .collect();
        lines.sort();
        lines
    }

    /// INFO errorstats: `errorstat_<CODE>:count=n` lines, by code.
    pub fn errorstats(&self) -> Vec<(String, String)> {
        let errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        errors
            .iter()
            .map(|(code, count)| (format!("errorstat_{code}"), format!("count={count}")))
            .collect()
    }

    /// INFO latencystats: `latency_percentiles_usec_<name>` lines for the commands called.
    pub fn latencystats(&self) -> Vec<(String, String)> {
        let commands = self.commands();
        let mut lines: Vec<(String, String)> = commands
            .iter()
            .filter_map(|(name, c)| Some((name, c.histogram.as_ref()?)))
            .map(|(name, histogram)| {
                let values: Vec<String> = PERCENTILES
                    .iter()
                    .map(|(label, p)| {
                        let usec = histogram.percentile_ns(*p) as f64 / 1000.0;
                        format!("{label}={usec:.3}")
                    })
                    .collect();
                (format!("latency_percentiles_usec_{name}"), values.join(","))
            })
            .collect();
        lines.sort();
        lines
    }

    /// LATENCY HISTOGRAM [command ...]: for each command called (of those named, when named),
    /// its calls and cumulative buckets.
    pub fn histograms(&self, names: &[Vec<u8>]) -> Reply {
        let commands = self.commands();
        let mut entries: Vec<(&&'static str, &Histogram, u64)> = commands
            .iter()
            .filter(|(name, _)| {
                names.is_empty()
                    || names
                        .iter()
                        .any(|wanted| wanted.eq_ignore_ascii_case(name.as_bytes()))
            })
            .filter_map(|(name, c)| Some((name, c.histogram.as_ref()?, c.calls)))
            .collect();
        entries.sort_by_key(|(name, _, _)| **name);
        Reply::Map(
            entries
                .into_iter()
                .map(|(name, histogram, calls)| {
                    let buckets = histogram
                        .cumulative_usec()
                        .into_iter()
                        .map(|(usec, count)| (int(usec), int(count)))
                        .collect();
                    let shape = Reply::Map(vec![
                        (Reply::bulk("calls"), int(calls)),
                        (Reply::bulk("histogram_usec"), Reply::Map(buckets)),
                    ]);
                    (Reply::bulk(*name), shape)
                })
                .collect(),
        )
    }

    fn commands(&self) -> MutexGuard<'_, HashMap<&'static str, Counters>> {
        self.commands.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn int(value: u64) -> Reply {
    Reply::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commandstats_count_calls_time_failures_and_refusals() {
        let stats = CommandStats::default();
        stats.call("get", Duration::from_micros(3), false);
        stats.call("get", Duration::from_micros(4), true);
        stats.rejected("get");
        stats.rejected("slowlog");
        assert_eq!(
            stats.commandstats(),
            [
                (
                    "cmdstat_get".to_string(),
                    "calls=2,usec=7,usec_per_call=3.50,rejected_calls=1,failed_calls=1".to_string()
                ),
                (
                    "cmdstat_slowlog".to_string(),
                    "calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0".to_string()
                ),
            ]
        );
        // A command only refused has no latency yet.
        assert_eq!(
            stats.latencystats(),
            [(
                "latency_percentiles_usec_get".to_string(),
                "p50=3.007,p99=4.015,p99.9=4.015".to_string()
            )]
        );
        stats.reset();
        assert!(stats.commandstats().is_empty());
    }

    #[test]
    fn errorstats_count_by_code_and_stop_adding_codes_past_the_bound() {
        let stats = CommandStats::default();
        stats.error("ERR syntax error");
        stats.error("WRONGTYPE Operation against a key holding the wrong kind of value");
        stats.error("ERR no such key");
        stats.error("");
        let lines = stats.errorstats();
        assert_eq!(
            lines,
            [
                ("errorstat_ERR".to_string(), "count=3".to_string()),
                ("errorstat_WRONGTYPE".to_string(), "count=1".to_string()),
            ]
        );
        for code in 0..2 * ERROR_CODES_MAX {
            stats.error(&format!("E{code} made up by a script"));
        }
        assert_eq!(stats.errorstats().len(), ERROR_CODES_MAX);
        assert_eq!(stats.error_replies(), 4 + 2 * ERROR_CODES_MAX as u64);
        stats.reset();
        assert!(stats.errorstats().is_empty());
        assert_eq!(stats.error_replies(), 0);
    }

    #[test]
    fn histograms_answer_the_commands_asked_for_in_redis_shape() {
        let stats = CommandStats::default();
        stats.call("set", Duration::from_micros(7), false);
        stats.call("client|setname", Duration::from_micros(2), false);
        let expected = Reply::Map(vec![(
            Reply::bulk("set"),
            Reply::Map(vec![
                (Reply::bulk("calls"), Reply::Integer(1)),
                (
                    Reply::bulk("histogram_usec"),
                    Reply::Map(vec![(Reply::Integer(8), Reply::Integer(1))]),
                ),
            ]),
        )]);
        assert_eq!(
            stats.histograms(&[b"SET".to_vec(), b"nope".to_vec()]),
            expected
        );
        match stats.histograms(&[]) {
            Reply::Map(all) => assert_eq!(all.len(), 2),
            other => panic!("{other:?}"),
        }
    }
}
