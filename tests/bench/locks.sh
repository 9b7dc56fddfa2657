#!/usr/bin/env bash
# Benchmark (not a test): lock cycles per second, redraft against redis-server's
# single-instance lock, side by side in one run.
#
#   tests/bench/locks.sh                  # 20 s per run
#   BENCH_SECONDS=5 tests/bench/locks.sh  # a quick run
#
# Starts redis-server (appendfsync always) and a local three-node redraft cluster (see
# cluster.sh); 50 clients each take and release their own lock in a loop
# (tests/src/bin/lock_bench.rs): with SET NX PX + a compare-and-delete script on
# redis-server, and on redraft both with that pattern and with LOCK.ACQUIRE/LOCK.RELEASE,
# through the leader and through a follower. Prints cycles per second and the ratio of each
# redraft figure to redis-server's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

SECONDS_PER_RUN=${BENCH_SECONDS:-20}
CLIENTS=${BENCH_CLIENTS:-50}
source tests/bench/cluster.sh
cargo build --release -p redraft-tests --bin lock_bench
LOCK_BENCH=$(dirname "$BIN")/lock_bench

run() { "$LOCK_BENCH" "$1" "$2" "$CLIENTS" "$SECONDS_PER_RUN"; }
ratio() { python3 -c "print(f'{float($1)/float($2):.2f}')"; }

echo "redis-server SET NX PX ..." >&2
REDIS=$(run "$REDIS_PORT" setnx)
L=${CLIENT_PORT[$LEADER]}
F=${CLIENT_PORT[$FOLLOWER]}
declare -A R
for target in leader follower; do
    port=$L; [[ $target == follower ]] && port=$F
    for mode in lock setnx; do
        echo "redraft $target $mode ..." >&2
        R[$target,$mode]=$(run "$port" "$mode")
    done
done
printf '\nLock cycles per second, %s clients each on its own lock, %s s per run\n' "$CLIENTS" "$SECONDS_PER_RUN"
printf '%-44s %10s %7s\n' setup cycles/s ratio
printf '%-44s %10s %7s\n' "redis-server, SET NX PX + script" "$REDIS" 1.00
for target in leader follower; do
    printf '%-44s %10s %7s\n' "redraft $target, LOCK.ACQUIRE + LOCK.RELEASE" "${R[$target,lock]}" "$(ratio "${R[$target,lock]}" "$REDIS")"
    printf '%-44s %10s %7s\n' "redraft $target, SET NX PX + script" "${R[$target,setnx]}" "$(ratio "${R[$target,setnx]}" "$REDIS")"
done
