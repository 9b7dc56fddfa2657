//! This node's own parameters (param_table.rs lists them): CONFIG SET changes them on the node
//! it reaches, at once, never through the log (each node keeps its own clients, slow log and
//! latency monitor). They start from Redis 7.0's defaults, the node's flags and its config
//! file, and a CONFIG SET lasts until the node restarts unless CONFIG REWRITE writes it into
//! the file. See docs/operations.md, Parameters.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use redraft_engine::glob::glob_match;

use crate::outbox::OutputLimit;
use crate::param_table::{self as table, find, Access, Value, PARAMS};
use crate::server::ServerConfig;

pub struct NodeParams {
    /// Numbers (integers, sizes, yes/no, words by position), read while the node serves.
    numbers: Vec<AtomicI64>,
    /// Text values (save, client-output-buffer-limit, paths).
    texts: Mutex<Vec<Option<String>>>,
}

impl Default for NodeParams {
    fn default() -> Self {
        let values: Vec<Value> = PARAMS.iter().map(table::Param::default_value).collect();
        let numbers = values.iter().map(|value| match value {
            Value::Number(n) => AtomicI64::new(*n),
            Value::Text(_) => AtomicI64::new(0),
        });
        let texts = values.iter().map(|value| match value {
            Value::Text(text) => Some(text.clone()),
            Value::Number(_) => None,
        });
        NodeParams {
            numbers: numbers.collect(),
            texts: Mutex::new(texts.collect()),
        }
    }
}

/// Whether `name` is one of the node's own parameters.
pub fn is_node_param(name: &[u8]) -> bool {
    find(name).is_some()
}

/// A parameter CONFIG SET named, checked: its position and its new value.
pub struct Checked {
    param: usize,
    value: Value,
}

impl NodeParams {
    /// The parameters as the node starts: Redis's defaults, then what its flags say, then the
    /// Redis parameters of its config file (checked when the file was read).
    pub fn for_config(config: &ServerConfig) -> NodeParams {
        let params = NodeParams::default();
        let aclfile = config
            .aclfile
            .as_ref()
            .map(|path| path.display().to_string());
        let tls_port = config.tls.as_ref().map_or(0, |tls| tls.port);
        let pubsub = config.pubsub_output_limit.show();
        let from_flags = [
            ("maxclients", config.max_clients.to_string()),
            (
                "proto-max-bulk-len",
                config.limits.max_bulk_bytes.to_string(),
            ),
            (
                "client-query-buffer-limit",
                config.max_query_bytes.to_string(),
            ),
            ("client-output-buffer-limit", format!("pubsub {pubsub}")),
            ("appendfsync", config.appendfsync.to_string()),
            ("bind", config.bind.clone()),
            ("port", config.port.to_string()),
            ("tls-port", tls_port.to_string()),
            ("dir", config.dir.clone()),
            ("aclfile", aclfile.unwrap_or_default()),
            ("databases", config.databases.to_string()),
            (
                "enable-debug-command",
                config.enable_debug_command.name().to_string(),
            ),
        ];
        let from_file = config
            .file_params
            .iter()
            .map(|(n, v)| (n.as_str(), v.clone()));
        for (name, value) in from_flags
            .iter()
            .map(|(n, v)| (*n, v.clone()))
            .chain(from_file)
        {
            if let Err(why) = params.set_at_start(name, &value) {
                tracing::warn!(name, value, why, "parameter not set");
            }
        }
        params
    }

    /// Sets one parameter whatever its access (the flags and the config file may set any).
    pub fn set_at_start(&self, name: &str, value: &str) -> Result<(), String> {
        let param = find(name.as_bytes()).ok_or("unknown parameter")?;
        let value = PARAMS[param].parse(value.as_bytes(), &self.value(param))?;
        self.apply(&[Checked { param, value }]);
        Ok(())
    }

    /// Checks `value` for the parameter `name`, as a config file gives it (any access).
    pub fn check_at_start(name: &[u8], value: &[u8]) -> Result<(), String> {
        let param = find(name).ok_or("unknown parameter")?;
        let start = PARAMS[param].default_value();
        PARAMS[param].parse(value, &start).map(drop)
    }

    /// Why CONFIG SET may not change `name` (immutable or protected), if it may not.
    pub fn refusal(name: &[u8]) -> Option<&'static str> {
        match PARAMS[find(name)?].access {
            Access::Mutable => None,
            Access::Immutable => Some("can't set immutable config"),
            Access::Protected => Some("can't set protected config"),
        }
    }

    /// Reads CONFIG SET's `value` for the node's parameter `name`: Err(why) in Redis's words.
    pub fn check(&self, name: &[u8], value: &[u8]) -> Result<Checked, String> {
        let param = find(name).ok_or("unknown parameter")?;
        let value = PARAMS[param].parse(value, &self.value(param))?;
        Ok(Checked { param, value })
    }

    /// Applies values [`NodeParams::check`] accepted.
    pub fn apply(&self, checked: &[Checked]) {
        for Checked { param, value } in checked {
            match value {
                Value::Number(n) => self.numbers[*param].store(*n, Ordering::Relaxed),
                Value::Text(text) => self.with_texts(|texts| texts[*param] = Some(text.clone())),
            }
        }
    }

    fn with_texts<T>(&self, f: impl FnOnce(&mut Vec<Option<String>>) -> T) -> T {
        let mut texts = self
            .texts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut texts)
    }

    fn value(&self, param: usize) -> Value {
        match self.with_texts(|texts| texts[param].clone()) {
            Some(text) => Value::Text(text),
            None => Value::Number(self.number(param)),
        }
    }

    fn number(&self, param: usize) -> i64 {
        self.numbers[param].load(Ordering::Relaxed)
    }

    fn shown(&self, param: usize) -> String {
        PARAMS[param].show(&self.value(param))
    }

    /// Every (name, value) whose name (or alias, listed too) matches the glob `pattern`
    /// (lower-cased), as CONFIG GET answers.
    pub fn matching(&self, pattern: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, param) in PARAMS.iter().enumerate() {
            for name in std::iter::once(param.name).chain(param.alias) {
                if glob_match(pattern, name.as_bytes()) {
                    out.push((name.to_string(), self.shown(i)));
                }
            }
        }
        out
    }

    /// The parameters CONFIG SET may change, by their main name, with their value now and
    /// whether it is Redis's default (what CONFIG REWRITE writes).
    pub fn rewritable(&self) -> Vec<(&'static str, String, bool)> {
        let mutable = PARAMS.iter().enumerate();
        let mutable = mutable.filter(|(_, param)| param.access == Access::Mutable);
        mutable
            .map(|(i, param)| {
                let shown = self.shown(i);
                let default = shown == param.default;
                (param.name, shown, default)
            })
            .collect()
    }
}

/// The values the node reads while it serves.
impl NodeParams {
    /// Microseconds from which a command enters the slow log; None when the log is off.
    pub fn slowlog_log_slower_than_us(&self) -> Option<u64> {
        u64::try_from(self.number(table::SLOWLOG_LOG_SLOWER_THAN)).ok()
    }

    pub fn slowlog_max_len(&self) -> usize {
        usize::try_from(self.number(table::SLOWLOG_MAX_LEN)).unwrap_or(0)
    }

    /// Milliseconds from which a command is a latency event; None when the monitor is off.
    pub fn latency_monitor_threshold_ms(&self) -> Option<u64> {
        u64::try_from(self.number(table::LATENCY_MONITOR_THRESHOLD))
            .ok()
            .filter(|&ms| ms > 0)
    }

    /// Most clients connected at once.
    pub fn max_clients(&self) -> usize {
        usize::try_from(self.number(table::MAXCLIENTS)).unwrap_or(usize::MAX)
    }

    /// How long a client may stay idle before it is disconnected; None: for ever.
    pub fn idle_timeout(&self) -> Option<Duration> {
        let seconds = u64::try_from(self.number(table::TIMEOUT)).unwrap_or(0);
        (seconds > 0).then(|| Duration::from_secs(seconds))
    }

    /// The TCP keepalive interval for new connections; None: off.
    pub fn tcp_keepalive(&self) -> Option<Duration> {
        let seconds = u64::try_from(self.number(table::TCP_KEEPALIVE)).unwrap_or(0);
        (seconds > 0).then(|| Duration::from_secs(seconds))
    }

    /// Largest bulk string a client may send.
    pub fn max_bulk_bytes(&self) -> usize {
        usize::try_from(self.number(table::PROTO_MAX_BULK_LEN)).unwrap_or(usize::MAX)
    }

    /// Bytes a client may have sent that do not yet form a whole command.
    pub fn max_query_bytes(&self) -> usize {
        usize::try_from(self.number(table::CLIENT_QUERY_BUFFER_LIMIT)).unwrap_or(usize::MAX)
    }

    /// The output limit of a new subscriber.
    pub fn pubsub_output_limit(&self) -> OutputLimit {
        table::pubsub_limit(&self.shown(table::CLIENT_OUTPUT_BUFFER_LIMIT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_redis_defaults_and_flags_override_them() {
        let params = NodeParams::default();
        assert_eq!(params.slowlog_log_slower_than_us(), Some(10_000));
        assert_eq!(params.slowlog_max_len(), 128);
        assert_eq!(params.latency_monitor_threshold_ms(), None);
        assert_eq!(params.tcp_keepalive(), Some(Duration::from_secs(300)));
        assert_eq!(params.idle_timeout(), None);
        assert_eq!(
            params.matching(b"slowlog*"),
            [
                ("slowlog-log-slower-than".to_string(), "10000".to_string()),
                ("slowlog-max-len".to_string(), "128".to_string()),
            ]
        );
        let config = ServerConfig {
            max_clients: 7,
            file_params: vec![
                ("timeout".into(), "9".into()),
                ("lua-time-limit".into(), "3".into()),
            ],
            ..ServerConfig::default()
        };
        let params = NodeParams::for_config(&config);
        assert_eq!(params.max_clients(), 7);
        assert_eq!(params.idle_timeout(), Some(Duration::from_secs(9)));
        assert_eq!(
            params.matching(b"*-threshold"),
            [
                ("latency-monitor-threshold".to_string(), "0".to_string()),
                ("busy-reply-threshold".to_string(), "3".to_string()),
            ]
        );
        assert_eq!(params.pubsub_output_limit(), OutputLimit::PUBSUB_DEFAULT);
    }

    #[test]
    fn check_then_apply_changes_the_live_values() {
        let params = NodeParams::default();
        let checked = [
            params.check(b"MAXCLIENTS", b"5").unwrap(),
            params
                .check(b"client-output-buffer-limit", b"pubsub 1mb 0 0")
                .unwrap(),
        ];
        assert_eq!(params.max_clients(), 10_000, "nothing applied before apply");
        params.apply(&checked);
        assert_eq!(params.max_clients(), 5);
        let limit = params.pubsub_output_limit();
        assert_eq!((limit.hard_bytes, limit.soft_bytes), (1 << 20, 0));
        assert_eq!(
            params.check(b"slowlog-max-len", b"10001").err().as_deref(),
            Some("argument must be between 0 and 10000 inclusive")
        );
        assert_eq!(
            NodeParams::refusal(b"daemonize"),
            Some("can't set immutable config")
        );
        assert_eq!(
            NodeParams::refusal(b"dir"),
            Some("can't set protected config")
        );
        assert_eq!(NodeParams::refusal(b"timeout"), None);
    }
}
