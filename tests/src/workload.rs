//! Workload clients for fault runs: each is bound to one node, runs one kind of operation
//! in a bounded loop, and records every operation it sent in the shared [`History`].
//!
//! Reply classification: `-CLUSTERDOWN`, and `-ERR this node was removed from the cluster`
//! (a node the membership fault removed, until it is stopped), mean the operation did not
//! happen (fail);
//! `-TRYAGAIN`, a timeout or a dropped connection mean it may or may not have (unknown).
//! An operation that could not even be sent (no connection) is not recorded.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis_protocol::resp2::types::OwnedFrame;

use crate::history::{History, Op, OpKind, OpResult, Outcome};
use crate::raw::RawClient;

/// Bound on one reply: longer than the server's request timeout in fault runs (2 s), so
/// the server's own verdict usually arrives first.
pub const CLIENT_REPLY_TIMEOUT: Duration = Duration::from_secs(4);
/// Pause between a client's operations: keeps histories checkable and the 2-core
/// machine responsive.
const OP_PAUSE: Duration = Duration::from_millis(15);
/// Pause after failing to connect (the node is down or paused).
const RECONNECT_PAUSE: Duration = Duration::from_millis(150);
/// Most operations one client runs, whatever the duration.
const OPS_PER_CLIENT_MAX: u64 = 200_000;
/// Register operations per group of three keys: keeps each key's history small enough
/// for the linearizability search.
pub const REGISTER_OPS_PER_KEY_GROUP: u64 = 240;
/// Appends per list key and adds per set key before moving to the next key.
pub const LIST_OPS_PER_KEY: u64 = 200;
pub const SET_OPS_PER_KEY: u64 = 300;
/// What a node removed from the cluster answers every command (nothing happened).
pub const REMOVED_REPLY: &str = "ERR this node was removed from the cluster";
/// The counter workload's key.
pub const COUNTER_KEY: &str = "counter";

/// The queue workload's list.
pub const QUEUE_KEY: &str = "queue";
/// The lock workload's locks: a mutex and a semaphore of [`SEMAPHORE_PERMITS`].
pub const MUTEX_NAME: &str = "mutex";
pub const SEMAPHORE_NAME: &str = "semaphore";
pub const SEMAPHORE_PERMITS: u32 = 3;
/// A lock's lease in the lock workload: the least the server accepts.
pub const LOCK_TTL_MS: u64 = 3_000;
/// The counter that FENCED increments under lock `name`.
pub fn fenced_counter(name: &str) -> String {
    format!("fenced:{name}")
}

/// The workloads a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Workload {
    /// GET / SET of unique values on a few keys at a time.
    Register,
    /// INCR of one key.
    Counter,
    /// RPUSH of unique elements and LRANGE reads.
    ListAppend,
    /// SADD of unique elements.
    Set,
    /// A work queue: LPUSH of unique elements, BRPOP from every node.
    Queue,
    /// The lock service: clients on every node take a mutex and a 3-permit semaphore in
    /// turn (LOCK.ACQUIRE ... WAIT), increment a counter with FENCED, release.
    Lock,
}

impl Workload {
    pub const ALL: [Workload; 6] = [
        Workload::Register,
        Workload::Counter,
        Workload::ListAppend,
        Workload::Set,
        Workload::Queue,
        Workload::Lock,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Register => "register",
            Workload::Counter => "counter",
            Workload::ListAppend => "list-append",
            Workload::Set => "set",
            Workload::Queue => "queue",
            Workload::Lock => "lock",
        }
    }

    /// A harmless command that needs what this workload needs from the server.
    fn probe(self) -> Vec<&'static str> {
        match self {
            Workload::Register => vec!["SET", "fault:probe:string", "x"],
            Workload::Counter => vec!["INCR", "fault:probe:counter"],
            Workload::ListAppend => vec!["LRANGE", "fault:probe:list", "0", "-1"],
            Workload::Set => vec!["SMEMBERS", "fault:probe:set"],
            Workload::Queue => vec!["BRPOP", "fault:probe:queue", "0.01"],
            Workload::Lock => vec!["LOCK.LIST", "fault:probe:*"],
        }
    }

    /// Clients per node.
    fn clients_per_node(self) -> usize {
        match self {
            Workload::Register | Workload::Queue => 2,
            // Two on the mutex and two on the semaphore.
            Workload::Lock => 4,
            _ => 1,
        }
    }
}

/// Whether the server at `port` has the commands `workload` needs: `Err` with the reply
/// when it answers "unknown command".
pub async fn probe(port: u16, workload: Workload) -> Result<(), String> {
    let mut client = RawClient::connect(port)
        .await
        .map_err(|e| format!("probe connect: {e}"))?;
    let reply = client
        .call(&workload.probe())
        .await
        .map_err(|e| format!("probe: {e}"))?;
    let text = String::from_utf8_lossy(&reply).to_string();
    if text.to_ascii_lowercase().contains("unknown command") {
        Err(text.trim().to_string())
    } else {
        Ok(())
    }
}

/// Counters shared by every client of a run.
#[derive(Default)]
pub struct Shared {
    pub stop: AtomicBool,
    register_ops: AtomicU64,
    list_ops: AtomicU64,
    set_ops: AtomicU64,
    /// Replies that are neither a success nor a cluster error (a bug, or a wrong reply).
    pub unexpected_replies: AtomicUsize,
    pub unexpected_samples: std::sync::Mutex<Vec<String>>,
}

impl Shared {
    /// Counts a reply that is neither a success nor a cluster error, keeping a few samples.
    fn note_unexpected(&self, text: &str) {
        self.unexpected_replies.fetch_add(1, Ordering::Relaxed);
        let mut samples = self
            .unexpected_samples
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if samples.len() < 10 {
            samples.push(text.to_string());
        }
    }
}

/// One client: the node it talks to and its own random stream.
pub struct Client {
    pub id: usize,
    pub node: u64,
    pub port: u16,
    pub workload: Workload,
    conn: Option<RawClient>,
    rng: StdRng,
    seq: u64,
}

/// The clients of a run: `Workload::clients_per_node` per node for every workload.
pub fn clients(seed: u64, nodes: &[(u64, u16)], workloads: &[Workload]) -> Vec<Client> {
    let mut out = Vec::new();
    for &workload in workloads {
        for &(node, port) in nodes {
            for _ in 0..workload.clients_per_node() {
                let id = out.len();
                out.push(Client {
                    id,
                    node,
                    port,
                    workload,
                    conn: None,
                    rng: StdRng::seed_from_u64(
                        seed ^ 0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(id as u64 + 1),
                    ),
                    seq: 0,
                });
            }
        }
    }
    out
}

/// What one call produced.
enum Reply {
    Frame(OwnedFrame),
    Fail(String),
    Unknown(String),
    NotSent,
}

impl Client {
    /// Runs until `shared.stop` is set or `deadline`, bounded in operations too.
    pub async fn run(mut self, history: Arc<History>, shared: Arc<Shared>, deadline: Instant) {
        for _ in 0..OPS_PER_CLIENT_MAX {
            if shared.stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                return;
            }
            let sent = match self.workload {
                Workload::Register => self.register_op(&history, &shared).await,
                Workload::Counter => self.counter_op(&history, &shared).await,
                Workload::ListAppend => self.list_op(&history, &shared).await,
                Workload::Set => self.set_op(&history, &shared).await,
                Workload::Queue => self.queue_op(&history, &shared).await,
                Workload::Lock => self.lock_cycle(&history, &shared).await,
            };
            let pause = if sent { OP_PAUSE } else { RECONNECT_PAUSE };
            tokio::time::sleep(pause).await;
        }
    }

    fn unique(&mut self) -> String {
        self.seq += 1;
        format!("c{}-{}", self.id, self.seq)
    }

    async fn call(&mut self, args: &[&str]) -> Reply {
        if self.conn.is_none() {
            match RawClient::connect(self.port).await {
                Ok(mut conn) => {
                    conn.set_reply_timeout(CLIENT_REPLY_TIMEOUT);
                    self.conn = Some(conn);
                }
                Err(_) => return Reply::NotSent,
            }
        }
        let Some(conn) = self.conn.as_mut() else {
            return Reply::NotSent;
        };
        match conn.call_frame(args).await {
            Ok(OwnedFrame::Error(text)) if text.starts_with("CLUSTERDOWN") => Reply::Fail(text),
            // A removed node refuses every command before proposing or reading anything.
            Ok(OwnedFrame::Error(text)) if text == REMOVED_REPLY => Reply::Fail(text),
            Ok(OwnedFrame::Error(text)) if text.starts_with("TRYAGAIN") => Reply::Unknown(text),
            Ok(frame) => Reply::Frame(frame),
            Err(e) => {
                // The connection may hold a late reply: never reuse it.
                self.conn = None;
                Reply::Unknown(e.to_string())
            }
        }
    }

    /// Sends `args` and records the operation; `parse` turns the reply into a result, or
    /// `None` when the reply is not what the command answers.
    async fn op(
        &mut self,
        history: &History,
        shared: &Shared,
        key: &str,
        kind: OpKind,
        args: &[&str],
        parse: fn(&OwnedFrame) -> Option<OpResult>,
    ) -> bool {
        let invoke_us = history.now_us();
        let reply = self.call(args).await;
        let (outcome, result, error) = match reply {
            Reply::NotSent => return false,
            Reply::Fail(e) => (Outcome::Fail, OpResult::None, Some(e)),
            Reply::Unknown(e) => (Outcome::Unknown, OpResult::None, Some(e)),
            Reply::Frame(frame) => match parse(&frame) {
                Some(result) => (Outcome::Ok, result, None),
                None => {
                    let text = format!("{args:?} -> {frame:?}");
                    shared.note_unexpected(&format!("node {}: {text}", self.node));
                    (Outcome::Unknown, OpResult::None, Some(text))
                }
            },
        };
        self.record(history, key, kind, (outcome, result, error), invoke_us);
        true
    }

    fn record(
        &self,
        history: &History,
        key: &str,
        kind: OpKind,
        (outcome, result, error): (Outcome, OpResult, Option<String>),
        invoke_us: u64,
    ) {
        history.record(Op {
            client: self.id,
            node: self.node,
            key: key.to_string(),
            kind,
            outcome,
            result,
            invoke_us,
            complete_us: history.now_us(),
            error,
        });
    }

    /// Compare-and-set through WATCH: WATCH the key, GET its value, then MULTI / SET / EXEC.
    /// An EXEC that runs is a CAS that succeeded against the value read; one that answers a
    /// null array did not take effect (recorded as failed: WATCH may abort without a change,
    /// so an abort says nothing about the value). Nothing is recorded when a step before EXEC
    /// fails, since nothing was written; the connection is dropped so no watch lingers.
    async fn cas_op(&mut self, history: &History, key: &str) -> bool {
        let invoke_us = history.now_us();
        let expect = match self.call(&["WATCH", key]).await {
            Reply::NotSent => return false,
            Reply::Frame(OwnedFrame::SimpleString(ok)) if ok == b"OK" => {
                match self.call(&["GET", key]).await {
                    Reply::Frame(frame) => parse_value(&frame),
                    _ => None,
                }
            }
            _ => None,
        };
        let Some(OpResult::Value(expect)) = expect else {
            self.conn = None;
            return true;
        };
        let new = self.unique();
        let queued = matches!(
            self.call(&["MULTI"]).await,
            Reply::Frame(OwnedFrame::SimpleString(_))
        ) && matches!(
            self.call(&["SET", key, &new]).await,
            Reply::Frame(OwnedFrame::SimpleString(_))
        );
        if !queued {
            self.conn = None;
            return true;
        }
        let outcome = match self.call(&["EXEC"]).await {
            Reply::Frame(OwnedFrame::Array(replies)) if replies.len() == 1 => {
                (Outcome::Ok, OpResult::None, None)
            }
            Reply::Frame(OwnedFrame::Null) => (Outcome::Fail, OpResult::None, None),
            Reply::Frame(other) => (Outcome::Unknown, OpResult::None, Some(format!("{other:?}"))),
            Reply::Fail(e) => (Outcome::Fail, OpResult::None, Some(e)),
            Reply::Unknown(e) => (Outcome::Unknown, OpResult::None, Some(e)),
            Reply::NotSent => (Outcome::Fail, OpResult::None, Some("not sent".into())),
        };
        self.record(
            history,
            key,
            OpKind::Cas { expect, new },
            outcome,
            invoke_us,
        );
        true
    }

    async fn register_op(&mut self, history: &History, shared: &Shared) -> bool {
        let n = shared.register_ops.fetch_add(1, Ordering::Relaxed);
        let group = n / REGISTER_OPS_PER_KEY_GROUP;
        let key = format!("r{}", group * 3 + self.rng.random_range(0..3));
        if self.rng.random_bool(0.2) {
            return self.cas_op(history, &key).await;
        }
        if self.rng.random_bool(0.5) {
            self.op(
                history,
                shared,
                &key,
                OpKind::Read,
                &["GET", &key],
                parse_value,
            )
            .await
        } else {
            let value = self.unique();
            let kind = OpKind::Write(value.clone());
            self.op(
                history,
                shared,
                &key,
                kind,
                &["SET", &key, &value],
                parse_ok,
            )
            .await
        }
    }

    async fn counter_op(&mut self, history: &History, shared: &Shared) -> bool {
        let args = ["INCR", COUNTER_KEY];
        self.op(history, shared, COUNTER_KEY, OpKind::Incr, &args, parse_int)
            .await
    }

    async fn list_op(&mut self, history: &History, shared: &Shared) -> bool {
        if self.rng.random_bool(0.25) {
            let n = shared.list_ops.load(Ordering::Relaxed);
            let key = format!("l{}", n / LIST_OPS_PER_KEY);
            let args = ["LRANGE", key.as_str(), "0", "-1"];
            return self
                .op(history, shared, &key, OpKind::ReadList, &args, parse_items)
                .await;
        }
        let n = shared.list_ops.fetch_add(1, Ordering::Relaxed);
        let key = format!("l{}", n / LIST_OPS_PER_KEY);
        let element = self.unique();
        let kind = OpKind::Append(element.clone());
        self.op(
            history,
            shared,
            &key,
            kind,
            &["RPUSH", &key, &element],
            parse_int,
        )
        .await
    }

    /// Half the clients push, half pop with BRPOP (a one-second wait), on every node.
    async fn queue_op(&mut self, history: &History, shared: &Shared) -> bool {
        if self.id.is_multiple_of(2) {
            let element = self.unique();
            let kind = OpKind::Enqueue(element.clone());
            let args = ["LPUSH", QUEUE_KEY, element.as_str()];
            return self
                .op(history, shared, QUEUE_KEY, kind, &args, parse_int)
                .await;
        }
        let args = ["BRPOP", QUEUE_KEY, "1"];
        self.op(
            history,
            shared,
            QUEUE_KEY,
            OpKind::Dequeue,
            &args,
            parse_popped,
        )
        .await
    }

    /// One turn at a lock (the mutex for even ids, the semaphore for odd): acquire with a
    /// one-second wait, increment the lock's counter with FENCED, release; each step recorded.
    async fn lock_cycle(&mut self, history: &History, shared: &Shared) -> bool {
        let (name, permits) = match (self.id / 2).is_multiple_of(2) {
            true => (MUTEX_NAME, 1),
            false => (SEMAPHORE_NAME, SEMAPHORE_PERMITS),
        };
        let owner = format!("c{}", self.id);
        let (ttl, permits_arg) = (LOCK_TTL_MS.to_string(), permits.to_string());
        let args = [
            "LOCK.ACQUIRE",
            name,
            &owner,
            &ttl,
            "WAIT",
            "1000",
            "PERMITS",
            &permits_arg,
        ];
        let kind = OpKind::LockAcquire {
            permits,
            ttl_ms: LOCK_TTL_MS,
        };
        let Some(token) = self.lock_step(history, shared, name, kind, &args).await else {
            return true;
        };
        let token = match token {
            OpResult::Int(token) => token as u64,
            _ => return true,
        };
        let text = token.to_string();
        let counter = fenced_counter(name);
        let incr = ["FENCED", name, &text, "INCR", &counter];
        let kind = OpKind::FencedIncr { token };
        self.lock_step(history, shared, name, kind, &incr).await;
        let release = ["LOCK.RELEASE", name, &text];
        let kind = OpKind::LockRelease { token };
        self.lock_step(history, shared, name, kind, &release).await;
        true
    }

    /// Sends one lock-workload command and records it: a refusal that says the token does
    /// not hold the lock (NOTHOLDER, EXPIRED, NOLOCK) changed nothing. The result when it
    /// was acknowledged.
    async fn lock_step(
        &mut self,
        history: &History,
        shared: &Shared,
        name: &str,
        kind: OpKind,
        args: &[&str],
    ) -> Option<OpResult> {
        let invoke_us = history.now_us();
        let recorded = match self.call(args).await {
            Reply::NotSent => return None,
            Reply::Fail(e) => (Outcome::Fail, OpResult::None, Some(e)),
            Reply::Unknown(e) => (Outcome::Unknown, OpResult::None, Some(e)),
            Reply::Frame(OwnedFrame::Error(e)) if is_lock_refusal(&e) => {
                (Outcome::Fail, OpResult::None, Some(e))
            }
            Reply::Frame(OwnedFrame::Integer(n)) => (Outcome::Ok, OpResult::Int(n), None),
            Reply::Frame(OwnedFrame::Null) => (Outcome::Ok, OpResult::Value(None), None),
            Reply::Frame(OwnedFrame::SimpleString(s)) if s == b"OK" => {
                (Outcome::Ok, OpResult::None, None)
            }
            Reply::Frame(other) => {
                let text = format!("node {}: {args:?} -> {other:?}", self.node);
                shared.note_unexpected(&text);
                (Outcome::Unknown, OpResult::None, Some(text))
            }
        };
        let result = (recorded.0 == Outcome::Ok).then(|| recorded.1.clone());
        self.record(history, name, kind, recorded, invoke_us);
        result
    }

    async fn set_op(&mut self, history: &History, shared: &Shared) -> bool {
        let n = shared.set_ops.fetch_add(1, Ordering::Relaxed);
        let key = format!("s{}", n / SET_OPS_PER_KEY);
        let element = self.unique();
        let kind = OpKind::Add(element.clone());
        self.op(
            history,
            shared,
            &key,
            kind,
            &["SADD", &key, &element],
            parse_int,
        )
        .await
    }
}

/// A lock command's refusal: the token does not hold the lock (nothing happened).
fn is_lock_refusal(error: &str) -> bool {
    ["NOTHOLDER", "EXPIRED", "NOLOCK"]
        .iter()
        .any(|prefix| error.starts_with(prefix))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn parse_value(frame: &OwnedFrame) -> Option<OpResult> {
    match frame {
        OwnedFrame::BulkString(v) => Some(OpResult::Value(Some(text(v)))),
        OwnedFrame::Null => Some(OpResult::Value(None)),
        _ => None,
    }
}

fn parse_ok(frame: &OwnedFrame) -> Option<OpResult> {
    matches!(frame, OwnedFrame::SimpleString(s) if s == b"OK").then_some(OpResult::None)
}

/// BRPOP's reply: the element popped, or None when the wait ended empty.
fn parse_popped(frame: &OwnedFrame) -> Option<OpResult> {
    match frame {
        OwnedFrame::Null => Some(OpResult::Value(None)),
        OwnedFrame::Array(items) => match &items[..] {
            [OwnedFrame::BulkString(_), OwnedFrame::BulkString(element)] => {
                Some(OpResult::Value(Some(text(element))))
            }
            _ => None,
        },
        _ => None,
    }
}

pub fn parse_int(frame: &OwnedFrame) -> Option<OpResult> {
    match frame {
        OwnedFrame::Integer(n) => Some(OpResult::Int(*n)),
        _ => None,
    }
}

pub fn parse_items(frame: &OwnedFrame) -> Option<OpResult> {
    match frame {
        OwnedFrame::Array(items) => items
            .iter()
            .map(|item| match item {
                OwnedFrame::BulkString(v) => Some(text(v)),
                _ => None,
            })
            .collect::<Option<Vec<String>>>()
            .map(OpResult::Items),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_gets_clients_on_every_node_with_distinct_ids() {
        let nodes = [(1, 7001), (2, 7002), (3, 7003)];
        let all = clients(7, &nodes, &Workload::ALL);
        assert_eq!(all.len(), 3 * (2 + 1 + 1 + 1 + 2 + 4));
        for (i, client) in all.iter().enumerate() {
            assert_eq!(client.id, i);
        }
        for workload in Workload::ALL {
            let on: std::collections::BTreeSet<u64> = all
                .iter()
                .filter(|c| c.workload == workload)
                .map(|c| c.node)
                .collect();
            assert_eq!(on.len(), 3, "{workload:?}");
        }
    }

    #[test]
    fn replies_parse_into_results_and_wrong_shapes_are_rejected() {
        assert_eq!(
            parse_value(&OwnedFrame::BulkString(b"v".to_vec())),
            Some(OpResult::Value(Some("v".into())))
        );
        assert_eq!(parse_value(&OwnedFrame::Null), Some(OpResult::Value(None)));
        assert_eq!(parse_int(&OwnedFrame::Integer(3)), Some(OpResult::Int(3)));
        assert_eq!(parse_int(&OwnedFrame::SimpleString(b"OK".to_vec())), None);
        assert_eq!(
            parse_items(&OwnedFrame::Array(vec![OwnedFrame::BulkString(
                b"a".to_vec()
            )])),
            Some(OpResult::Items(vec!["a".into()]))
        );
        assert_eq!(
            parse_ok(&OwnedFrame::SimpleString(b"OK".to_vec())),
            Some(OpResult::None)
        );
        assert_eq!(parse_ok(&OwnedFrame::Error("ERR x".into())), None);
    }
}
