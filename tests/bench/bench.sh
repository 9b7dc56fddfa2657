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

for tool in redis-server redis-cli redis-benchmark python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done

if [[ -n "${REDRAFT_BIN:-}" ]]; then
    BIN=$REDRAFT_BIN
else
    cargo build --release -p redraft-server
    target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    BIN=$target_dir/release/redraft
fi
[[ -x "$BIN" ]] || { echo "bench: $BIN is not executable" >&2; exit 1; }

TMP=$(mktemp -d -t redraft-bench.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Distinct free loopback ports.
read -r -a PORTS <<<"$(python3 tests/free_ports.py 7)"
REDIS_PORT=${PORTS[0]}
CLIENT_PORT=([1]=${PORTS[1]} [2]=${PORTS[2]} [3]=${PORTS[3]})
RAFT_PORT=([1]=${PORTS[4]} [2]=${PORTS[5]} [3]=${PORTS[6]})

mkdir -p "$TMP/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP/redis" --save '' \
    --appendonly yes --appendfsync always >"$TMP/redis.log" 2>&1 &
PIDS+=($!)

CLUSTER="1=127.0.0.1:${RAFT_PORT[1]},2=127.0.0.1:${RAFT_PORT[2]},3=127.0.0.1:${RAFT_PORT[3]}"
for id in 1 2 3; do
    mkdir -p "$TMP/node$id"
    "$BIN" --id "$id" --bind 127.0.0.1 --port "${CLIENT_PORT[$id]}" \
        --raft-addr "127.0.0.1:${RAFT_PORT[$id]}" --dir "$TMP/node$id" --cluster "$CLUSTER" \
        >"$TMP/node$id.log" 2>&1 &
    PIDS+=($!)
done

field() { # field PORT NAME: a field of INFO raft, empty when the node does not answer
    timeout 2 redis-cli -h 127.0.0.1 -p "$1" INFO raft 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"
}

LEADER=
for _ in $(seq 1 300); do # bounded: 30 s
    for id in 1 2 3; do
        if [[ "$(field "${CLIENT_PORT[$id]}" role)" == leader ]]; then LEADER=$id; fi
    done
    [[ -n "$LEADER" ]] && break
    sleep 0.1
done
if [[ -z "$LEADER" ]]; then
    echo "bench: no redraft leader within 30 s; node logs:" >&2
    tail -n 20 "$TMP"/node*.log >&2
    exit 1
fi
FOLLOWER=$(( LEADER % 3 + 1 ))
timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" PING >/dev/null

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
