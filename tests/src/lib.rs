//! Test harness for redraft: real `redraft` processes on loopback.
//!
//! - [`Cluster`] starts a statically bootstrapped cluster of real processes, each with
//!   its own temporary data directory and log file, and injects faults (SIGKILL,
//!   SIGTERM, SIGSTOP/SIGCONT, restart with the same command line).
//! - [`RawClient`] speaks RESP byte for byte: send exact bytes, read one complete
//!   reply's bytes. Differential and protocol tests compare those bytes.
//! - [`RedisServer`] spawns a reference `redis-server` for differential tests, which all
//!   run on [`driver`] (both sides, one op at a time, and what a run must cover); the
//!   strings/keyspace program and the documented reply differences are in [`differential`];
//!   [`old_rdb`] writes RESTORE payloads in the formats of Redis 6.2 and before.
//! - The fault suite: [`proxy`] (cuttable links), [`nemesis`] (a seeded fault schedule),
//!   [`workload`] (clients recording a [`history`]), [`linearizability`] and [`checks`]
//!   (the checkers), and [`fault_run`] (one run, start to verdict).
//!
//! Every wait in this crate is bounded; a test that cannot make progress fails with
//! the tail of every node's log instead of hanging.

pub mod binary;
pub mod certs;
pub mod checks;
pub mod cluster;
pub mod differential;
pub mod driver;
pub mod fault_run;
pub mod history;
pub mod linearizability;
pub mod lock_check;
pub mod nemesis;
pub mod old_rdb;
pub mod ports;
pub mod process;
pub mod proxy;
pub mod raw;
pub mod reference;
pub mod transcript;
pub mod workload;

pub use cluster::{Cluster, ClusterOptions, Info};
pub use raw::{command_bytes, RawClient};
pub use reference::RedisServer;

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `check` until it yields `Some`, or fails after `timeout_ms` with `what` and
/// the last observation (the `Err` text of the final attempt).
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(10);
    loop {
        match check().await {
            Ok(value) => return value,
            Err(last) => {
                if Instant::now() >= deadline {
                    panic!("timed out after {timeout:?} waiting for {what}; last: {last}");
                }
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(200));
    }
}
