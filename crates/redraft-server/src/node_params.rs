//! This node's own parameters: CONFIG SET changes them on the node it reaches, at once, never
//! through the log (each node keeps its own slow log and latency monitor). Unlike the replicated
//! configuration they are lost when the node restarts. See docs/operations.md, Per-node
//! parameters.

use std::sync::atomic::{AtomicI64, Ordering};

use redraft_engine::args::parse_i64;
use redraft_engine::glob::glob_match;
use redraft_engine::Reply;

/// Most entries the slow log may be set to keep: an entry takes up to about 4.5 KiB (32
/// arguments of 128 bytes), so the log stays under about 45 MiB. Redis accepts any length.
pub const SLOWLOG_MAX_LEN_CAP: i64 = 10_000;

/// One parameter: its name, its default and the values CONFIG SET accepts.
struct Param {
    name: &'static str,
    default: i64,
    min: i64,
    max: i64,
}

const PARAMS: [Param; 3] = [
    Param {
        name: "latency-monitor-threshold",
        default: 0,
        min: 0,
        max: i64::MAX,
    },
    Param {
        name: "slowlog-log-slower-than",
        default: 10_000,
        min: -1,
        max: i64::MAX,
    },
    Param {
        name: "slowlog-max-len",
        default: 128,
        min: 0,
        max: SLOWLOG_MAX_LEN_CAP,
    },
];

const LATENCY_MONITOR_THRESHOLD: usize = 0;
const SLOWLOG_LOG_SLOWER_THAN: usize = 1;
const SLOWLOG_MAX_LEN: usize = 2;

pub struct NodeParams {
    values: [AtomicI64; PARAMS.len()],
}

impl Default for NodeParams {
    fn default() -> Self {
        NodeParams {
            values: PARAMS.map(|param| AtomicI64::new(param.default)),
        }
    }
}

/// Whether `name` is one of the node's own parameters.
pub fn is_node_param(name: &[u8]) -> bool {
    find(name).is_some()
}

fn find(name: &[u8]) -> Option<usize> {
    PARAMS
        .iter()
        .position(|param| param.name.as_bytes().eq_ignore_ascii_case(name))
}

impl NodeParams {
    /// Microseconds from which a command enters the slow log; None when the log is off.
    pub fn slowlog_log_slower_than_us(&self) -> Option<u64> {
        u64::try_from(self.get(SLOWLOG_LOG_SLOWER_THAN)).ok()
    }

    pub fn slowlog_max_len(&self) -> usize {
        usize::try_from(self.get(SLOWLOG_MAX_LEN)).unwrap_or(0)
    }

    /// Milliseconds from which a command is a latency event; None when the monitor is off.
    pub fn latency_monitor_threshold_ms(&self) -> Option<u64> {
        u64::try_from(self.get(LATENCY_MONITOR_THRESHOLD))
            .ok()
            .filter(|&ms| ms > 0)
    }

    fn get(&self, param: usize) -> i64 {
        self.values[param].load(Ordering::Relaxed)
    }

    /// CONFIG SET's pairs (name, value, ...), all of them the node's: every pair is checked
    /// before any is applied.
    pub fn set(&self, pairs: &[Vec<u8>]) -> Result<(), Reply> {
        for (param, value) in self.check(pairs)? {
            self.values[param].store(value, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The node's pairs among CONFIG SET's `pairs` (others are skipped), checked: (parameter,
    /// value) for each, or Redis's error for the first that is refused.
    pub fn check(&self, pairs: &[Vec<u8>]) -> Result<Vec<(usize, i64)>, Reply> {
        let mut checked: Vec<(usize, i64)> = Vec::new();
        for pair in pairs.chunks(2) {
            let [name, value] = pair else {
                return Err(redraft_engine::args::syntax_error());
            };
            let Some(param) = find(name) else {
                continue;
            };
            let failed = |why: &str| {
                Reply::error(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - {why}",
                    String::from_utf8_lossy(name)
                ))
            };
            if checked.iter().any(|&(seen, _)| seen == param) {
                return Err(failed("duplicate parameter"));
            }
            let Some(value) = parse_i64(value) else {
                return Err(failed("argument couldn't be parsed into an integer"));
            };
            let Param { min, max, .. } = PARAMS[param];
            if !(min..=max).contains(&value) {
                return Err(failed(&format!(
                    "argument must be between {min} and {max} inclusive"
                )));
            }
            checked.push((param, value));
        }
        Ok(checked)
    }

    /// Applies pairs [`NodeParams::check`] accepted.
    pub fn apply(&self, checked: &[(usize, i64)]) {
        for &(param, value) in checked {
            self.values[param].store(value, Ordering::Relaxed);
        }
    }

    /// Every (name, value) whose name matches the glob `pattern` (lower-cased), as CONFIG GET.
    pub fn matching(&self, pattern: &[u8]) -> Vec<(String, String)> {
        PARAMS
            .iter()
            .enumerate()
            .filter(|(_, param)| glob_match(pattern, param.name.as_bytes()))
            .map(|(i, param)| (param.name.to_string(), self.get(i).to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn defaults_are_redis_defaults() {
        let params = NodeParams::default();
        assert_eq!(params.slowlog_log_slower_than_us(), Some(10_000));
        assert_eq!(params.slowlog_max_len(), 128);
        assert_eq!(params.latency_monitor_threshold_ms(), None);
        assert_eq!(
            params.matching(b"slowlog*"),
            [
                ("slowlog-log-slower-than".to_string(), "10000".to_string()),
                ("slowlog-max-len".to_string(), "128".to_string()),
            ]
        );
    }

    #[test]
    fn set_is_all_or_nothing_with_redis_errors() {
        let params = NodeParams::default();
        let failed = |name: &str, why: &str| {
            Err(Reply::error(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
            )))
        };
        for (line, expected) in [
            (
                "slowlog-max-len 5 slowlog-log-slower-than x",
                failed(
                    "slowlog-log-slower-than",
                    "argument couldn't be parsed into an integer",
                ),
            ),
            (
                "slowlog-log-slower-than -2",
                failed(
                    "slowlog-log-slower-than",
                    "argument must be between -1 and 9223372036854775807 inclusive",
                ),
            ),
            (
                "latency-monitor-threshold -1",
                failed(
                    "latency-monitor-threshold",
                    "argument must be between 0 and 9223372036854775807 inclusive",
                ),
            ),
            (
                "slowlog-max-len 1 SLOWLOG-MAX-LEN 2",
                failed("SLOWLOG-MAX-LEN", "duplicate parameter"),
            ),
            (
                "slowlog-max-len 10001",
                failed(
                    "slowlog-max-len",
                    "argument must be between 0 and 10000 inclusive",
                ),
            ),
        ] {
            assert_eq!(params.set(&pairs(line)), expected, "{line}");
        }
        assert_eq!(params.slowlog_max_len(), 128, "nothing was applied");
        params
            .set(&pairs(
                "slowlog-log-slower-than -1 latency-monitor-threshold 5",
            ))
            .unwrap();
        assert_eq!(params.slowlog_log_slower_than_us(), None);
        assert_eq!(params.latency_monitor_threshold_ms(), Some(5));
    }
}
