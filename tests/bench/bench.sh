#!/usr/bin/env bash
# Benchmark (not a test): redraft against redis-server, both durable on every write.
#
#   tests/bench/bench.sh                 # -n 200000 per run
#   BENCH_N=20000 tests/bench/bench.sh   # a quick run
#
# Builds the release binary, starts redis-server (--appendonly yes --appendfsync
# always) and a local three-node redraft cluster on free loopback ports in a temporary
# directory, runs `redis-benchmark -t set,get,incr -c 50 -q` with -P 1 and -P 16
# against redis-server, the redraft leader and a redraft follower, and prints each
# redraft figure (requests/s) with its ratio to redis-server's from the same run.
# Every process it starts is stopped on exit.
#
# Environment: BENCH_N (requests per run, default 200000), BENCH_CLIENTS (default 50),
# BENCH_RUN_TIMEOUT (seconds per redis-benchmark run, default 600), REDRAFT_BIN (skip
# the build and use this binary).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

N=${BENCH_N:-200000}
CLIENTS=${BENCH_CLIENTS:-50}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-600}
TESTS=set,get,incr

source tests/bench/cluster.sh

# bench PORT PIPELINE -> lines "TEST rps"
bench() {
    timeout "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$1" -t "$TESTS" -c "$CLIENTS" -n "$N" -P "$2" -q 2>/dev/null \
        | tr '\r' '\n' | awk -F': ' '/requests per second/ { split($2, a, " "); print $1, a[1] }'
}

echo "redis-benchmark -t $TESTS -c $CLIENTS -n $N; redis-server: appendfsync always; redraft: leader node $LEADER, follower node $FOLLOWER" >&2
declare -A RPS
for pipeline in 1 16; do
    for target in redis leader follower; do
        case $target in
            redis) port=$REDIS_PORT ;;
            leader) port=${CLIENT_PORT[$LEADER]} ;;
            follower) port=${CLIENT_PORT[$FOLLOWER]} ;;
        esac
        echo "running -P $pipeline against $target (port $port)..." >&2
        while read -r test rps; do
            RPS[$target,$pipeline,$test]=$rps
        done < <(bench "$port" "$pipeline")
    done
done

ratio() { # ratio A B: A/B with two decimals, "-" when either is missing
    if [[ -n "$1" && -n "$2" ]]; then python3 -c "print(f'{float($1)/float($2):.2f}')"; else echo -; fi
}
printf '\n%-6s %3s %14s %14s %7s %14s %7s\n' test P redis-server redraft-leader ratio redraft-follower ratio
for pipeline in 1 16; do
    for test in SET GET INCR; do
        r=${RPS[redis,$pipeline,$test]:-}
        l=${RPS[leader,$pipeline,$test]:-}
        f=${RPS[follower,$pipeline,$test]:-}
        printf '%-6s %3s %14s %14s %7s %14s %7s\n' "$test" "$pipeline" "${r:--}" "${l:--}" "$(ratio "$l" "$r")" "${f:--}" "$(ratio "$f" "$r")"
    done
done
