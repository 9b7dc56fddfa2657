//! Free loopback ports for servers started by tests.
//!
//! A port is handed out only if binding it succeeds a moment before, and only once per
//! process (tests run in parallel threads). Ports come from outside the kernel's
//! ephemeral range: the kernel gives ports in that range to outgoing connections, so a
//! port that was free when picked could be taken by a node's own connection to a peer
//! before the server meant to listen on it starts (a CI run failed that way, node 3's
//! Raft port taken while nodes 1 and 2 dialled it). Outside the range only explicit
//! binds compete, and those are the ones this module hands out.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};

use rand::Rng;

/// The lowest port handed out: below it sit well-known and registered services.
const PORT_MIN: u16 = 10_000;

/// Used when the kernel's range cannot be read (not Linux): Linux's default.
const EPHEMERAL_DEFAULT: (u16, u16) = (32_768, 60_999);

struct Picker {
    handed_out: HashSet<u16>,
    /// Where the next scan starts; random per process so consecutive test binaries do
    /// not reuse each other's ports right away.
    next: u16,
}

fn picker() -> &'static Mutex<Picker> {
    static PICKER: OnceLock<Mutex<Picker>> = OnceLock::new();
    PICKER.get_or_init(|| {
        Mutex::new(Picker {
            handed_out: HashSet::new(),
            next: rand::rng().random_range(PORT_MIN..=u16::MAX),
        })
    })
}

/// The kernel's ephemeral port range (inclusive).
fn ephemeral_range() -> (u16, u16) {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range");
    let parsed = text.ok().and_then(|text| {
        let mut bounds = text.split_whitespace().map(|n| n.parse::<u16>().ok());
        Some((bounds.next()??, bounds.next()??))
    });
    parsed.unwrap_or(EPHEMERAL_DEFAULT)
}

/// Whether a server can listen on `port` now.
fn bindable(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A loopback port outside the ephemeral range that was free a moment ago and that no
/// other caller in this process has received.
pub fn free_port() -> u16 {
    let (ephemeral_lo, ephemeral_hi) = ephemeral_range();
    let mut picker = picker().lock().unwrap_or_else(|e| e.into_inner());
    for _ in PORT_MIN..=u16::MAX {
        let port = picker.next;
        picker.next = if port == u16::MAX { PORT_MIN } else { port + 1 };
        let ephemeral = (ephemeral_lo..=ephemeral_hi).contains(&port);
        if !ephemeral && !picker.handed_out.contains(&port) && bindable(port) {
            picker.handed_out.insert(port);
            return port;
        }
    }
    panic!("no free loopback port outside the ephemeral range {ephemeral_lo}-{ephemeral_hi}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_bindable_and_outside_the_ephemeral_range() {
        let (lo, hi) = ephemeral_range();
        let ports: Vec<u16> = (0..50).map(|_| free_port()).collect();
        let distinct: HashSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len());
        for port in ports {
            assert!(
                port >= PORT_MIN && !(lo..=hi).contains(&port),
                "port {port}"
            );
            assert!(bindable(port), "port {port}");
        }
    }
}
