//! The history of a fault run: every client operation with its invocation and completion
//! times and outcome, shared by all clients and written out as JSON lines for replay.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

/// How an operation ended, as the client saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Acknowledged: it took effect, and `result` is what it returned.
    Ok,
    /// Definitely did not take effect (`-CLUSTERDOWN`).
    Fail,
    /// May or may not have taken effect (`-TRYAGAIN`, timeout, dropped connection); if it
    /// did, at any time after its invocation.
    Unknown,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Fail => "fail",
            Outcome::Unknown => "unknown",
        }
    }
}

/// What an operation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// GET key (register); `result` is the value read.
    Read,
    /// SET key value (register).
    Write(String),
    /// WATCH key, GET key, MULTI, SET key new, EXEC (register): a compare-and-set against
    /// the value read (`None`: the key was absent).
    Cas { expect: Option<String>, new: String },
    /// INCR key; `result` is the new value.
    Incr,
    /// RPUSH key element.
    Append(String),
    /// LRANGE key 0 -1; `result` holds the elements.
    ReadList,
    /// SADD key element.
    Add(String),
    /// SMEMBERS key; `result` holds the members.
    ReadSet,
    /// LPUSH queue element.
    Enqueue(String),
    /// BRPOP queue timeout; `result` is the element popped (None: the wait ended empty).
    Dequeue,
    /// LOCK.ACQUIRE key owner ttl WAIT ms PERMITS n (the client's own owner); `result` is the
    /// token (`Int`), or `Value(None)` when no permit came.
    LockAcquire { permits: u32, ttl_ms: u64 },
    /// FENCED key token INCR fenced:key; `result` is the counter's new value.
    FencedIncr { token: u64 },
    /// LOCK.RELEASE key token.
    LockRelease { token: u64 },
}

impl OpKind {
    fn name(&self) -> &'static str {
        match self {
            OpKind::Read => "read",
            OpKind::Write(_) => "write",
            OpKind::Cas { .. } => "cas",
            OpKind::Incr => "incr",
            OpKind::Append(_) => "append",
            OpKind::ReadList => "read-list",
            OpKind::Add(_) => "add",
            OpKind::ReadSet => "read-set",
            OpKind::Enqueue(_) => "enqueue",
            OpKind::Dequeue => "dequeue",
            OpKind::LockAcquire { .. } => "lock-acquire",
            OpKind::FencedIncr { .. } => "fenced-incr",
            OpKind::LockRelease { .. } => "lock-release",
        }
    }

    fn argument(&self) -> Option<&str> {
        match self {
            OpKind::Write(v) | OpKind::Append(v) | OpKind::Add(v) | OpKind::Enqueue(v) => Some(v),
            OpKind::Cas { new, .. } => Some(new),
            _ => None,
        }
    }
}

/// What an acknowledged operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum OpResult {
    #[default]
    None,
    /// A string, or `None` for a nil reply.
    Value(Option<String>),
    Int(i64),
    Items(Vec<String>),
}

/// One completed operation. Times are microseconds since the run started; an unknown
/// operation's `complete_us` is when the client gave up, not when it took effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub client: usize,
    pub node: u64,
    pub key: String,
    pub kind: OpKind,
    pub outcome: Outcome,
    pub result: OpResult,
    pub invoke_us: u64,
    pub complete_us: u64,
    /// Error text for fail / unknown.
    pub error: Option<String>,
}

impl Op {
    /// One JSON object on one line.
    pub fn to_json(&self) -> String {
        let mut out = format!(
            "{{\"client\":{},\"node\":{},\"f\":\"{}\",\"key\":{},\"type\":\"{}\",\"invoke_us\":{},\"complete_us\":{}",
            self.client,
            self.node,
            self.kind.name(),
            json_str(&self.key),
            self.outcome.name(),
            self.invoke_us,
            self.complete_us
        );
        if let Some(arg) = self.kind.argument() {
            out.push_str(&format!(",\"value\":{}", json_str(arg)));
        }
        match &self.result {
            OpResult::None => {}
            OpResult::Value(None) => out.push_str(",\"result\":null"),
            OpResult::Value(Some(v)) => out.push_str(&format!(",\"result\":{}", json_str(v))),
            OpResult::Int(n) => out.push_str(&format!(",\"result\":{n}")),
            OpResult::Items(items) => {
                let items: Vec<String> = items.iter().map(|i| json_str(i)).collect();
                out.push_str(&format!(",\"result\":[{}]", items.join(",")));
            }
        }
        if let Some(error) = &self.error {
            out.push_str(&format!(",\"error\":{}", json_str(error)));
        }
        out.push('}');
        out
    }
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The shared, append-only record of a run.
pub struct History {
    started: Instant,
    ops: Mutex<Vec<Op>>,
}

impl History {
    pub fn new(started: Instant) -> History {
        History {
            started,
            ops: Mutex::new(Vec::new()),
        }
    }

    /// Microseconds since the run started.
    pub fn now_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    pub fn record(&self, op: Op) {
        self.ops.lock().unwrap_or_else(|e| e.into_inner()).push(op);
    }

    /// Every operation so far, in completion order.
    pub fn ops(&self) -> Vec<Op> {
        self.ops.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Writes every operation as one JSON line to `path`.
    pub fn write_jsonl(&self, path: &Path) -> std::io::Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        for op in self.ops() {
            writeln!(file, "{}", op.to_json())?;
        }
        file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_serialize_as_one_json_object_per_line() {
        let op = Op {
            client: 3,
            node: 2,
            key: "r:\"1\"".into(),
            kind: OpKind::Write("v\n1".into()),
            outcome: Outcome::Unknown,
            result: OpResult::None,
            invoke_us: 10,
            complete_us: 20,
            error: Some("TRYAGAIN x".into()),
        };
        assert_eq!(
            op.to_json(),
            "{\"client\":3,\"node\":2,\"f\":\"write\",\"key\":\"r:\\\"1\\\"\",\"type\":\"unknown\",\
             \"invoke_us\":10,\"complete_us\":20,\"value\":\"v\\n1\",\"error\":\"TRYAGAIN x\"}"
        );
        let read = Op {
            kind: OpKind::ReadList,
            outcome: Outcome::Ok,
            result: OpResult::Items(vec!["a".into(), "b".into()]),
            error: None,
            ..op
        };
        assert!(read.to_json().ends_with(",\"result\":[\"a\",\"b\"]}"));
    }
}
