//! Benchmark (not a test): the engine alone applying entries of SETs, as every replica does
//! under `redis-benchmark -P 16 -t set -r KEYS`. Prints the nanoseconds a SET took in the
//! fastest of its windows (the least disturbed by the rest of the machine).
//!
//!     cargo run --release -p redraft-engine --example apply_set -- [KEYS] [ENTRIES]
//!
//! tests/bench/engine_apply.sh runs it for two revisions side by side.

use std::time::Instant;

use redraft_engine::{Engine, LogCommand, Op, Run};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// SETs in one log entry (about what 50 clients of 16 pipelined commands make).
const SETS_PER_ENTRY: usize = 800;
/// Entries timed together; the figure is the fastest window's.
const WINDOW: usize = 100;

fn arg(position: usize, default: u64) -> u64 {
    std::env::args()
        .nth(position)
        .map_or(default, |value| value.parse().expect("a number"))
}

/// An entry of SETs of random keys among `keys` (redis-benchmark's `key:%012d` names).
fn entry(keys: u64, state: &mut u64) -> LogCommand {
    let cmds = (0..SETS_PER_ENTRY)
        .map(|_| {
            // xorshift64: a fixed sequence, so every run applies the same entries.
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            let key = format!("key:{:012}", *state % keys);
            vec![b"SET".to_vec(), key.into_bytes(), b"xxx".to_vec()]
        })
        .collect();
    LogCommand {
        now_ms: 1_700_000_000_000,
        op: Op::Batch {
            runs: vec![Run { db: 0, cmds }],
        },
    }
}

fn main() {
    let (keys, entries) = (arg(1, 100_000), arg(2, 1_500) as usize);
    let mut engine = Engine::new();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut index = 0;
    // Loaded first (three SETs a key on average), so that most timed SETs replace a value.
    for _ in 0..keys * 3 / SETS_PER_ENTRY as u64 {
        index += 1;
        engine.apply(index, &entry(keys, &mut state));
    }
    let timed: Vec<LogCommand> = (0..entries).map(|_| entry(keys, &mut state)).collect();
    let mut fastest = f64::MAX;
    for window in timed.chunks(WINDOW) {
        let start = Instant::now();
        for command in window {
            index += 1;
            engine.apply(index, command);
        }
        let sets = (window.len() * SETS_PER_ENTRY) as f64;
        fastest = fastest.min(start.elapsed().as_nanos() as f64 / sets);
    }
    println!("{fastest:.0} ns per SET ({keys} keys)");
}
