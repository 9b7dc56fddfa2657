//! Free loopback ports for servers started by tests.
//!
//! A port is found by binding 127.0.0.1:0 and releasing it; the process-wide set of
//! ports already handed out keeps tests running in parallel threads from receiving the
//! same port twice (the OS may offer a released port again).

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};

fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A loopback port that was free a moment ago and that no other caller in this
/// process has received.
pub fn free_port() -> u16 {
    const ATTEMPTS_MAX: usize = 1000;
    let mut taken = handed_out().lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..ATTEMPTS_MAX {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local_addr").port();
        if taken.insert(port) {
            return port;
        }
    }
    panic!("no free loopback port after {ATTEMPTS_MAX} attempts");
}
