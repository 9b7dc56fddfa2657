//! Benchmark (not a test): the engine alone applying entries of EVALs of a one-write script,
//! as every replica does under `redis-benchmark -c 50 eval "return redis.call(unpack(ARGV))"
//! 0 set key v` (bench.sh's script row). Prints the nanoseconds an EVAL took in the fastest of
//! its windows (the least disturbed by the rest of the machine).
//!
//!     cargo run --release -p redraft-engine --example apply_eval -- [SCRIPTS] [ENTRIES]
//!
//! SCRIPTS is the number of EVALs per entry (default 28: what 50 clients made in one run);
//! tests/bench/engine_apply.sh runs it for revisions side by side (ENGINE_EXAMPLE=apply_eval).

use std::time::Instant;

use redraft_engine::{Engine, LogCommand, Op, Run};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Entries timed together; the figure is the fastest window's.
const WINDOW: usize = 50;

fn arg(position: usize, default: u64) -> u64 {
    std::env::args()
        .nth(position)
        .map_or(default, |value| value.parse().expect("a number"))
}

fn entry(scripts: usize) -> LogCommand {
    let eval = [
        "EVAL",
        "return redis.call(unpack(ARGV))",
        "0",
        "set",
        "key",
        "v",
    ];
    let argv: Vec<Vec<u8>> = eval.iter().map(|a| a.as_bytes().to_vec()).collect();
    LogCommand {
        now_ms: 1_700_000_000_000,
        op: Op::Batch {
            runs: vec![Run {
                db: 0,
                cmds: vec![argv; scripts],
            }],
        },
    }
}

fn main() {
    let scripts = arg(1, 28).max(1) as usize;
    let entries = arg(2, (40_000 / scripts as u64).max(WINDOW as u64 * 4)) as usize;
    let mut engine = Engine::new();
    let command = entry(scripts);
    let mut fastest = f64::MAX;
    let mut index = 0;
    for _ in 0..entries / WINDOW {
        let start = Instant::now();
        for _ in 0..WINDOW {
            index += 1;
            engine.apply(index, &command);
        }
        let evals = (WINDOW * scripts) as f64;
        fastest = fastest.min(start.elapsed().as_nanos() as f64 / evals);
    }
    println!("{fastest:.0} ns per EVAL ({scripts} a log entry)");
}
