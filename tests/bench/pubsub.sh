#!/usr/bin/env bash
# Benchmark (not a test): PUBLISH against redis-server, side by side in one run.
#
#   tests/bench/pubsub.sh                 # -n 100000 publishes per throughput run
#   BENCH_N=20000 tests/bench/pubsub.sh   # a quick run
#
# Starts redis-server (appendfsync always) and a local three-node redraft cluster (see
# cluster.sh). Throughput: `redis-benchmark -c 50 -P 1 and -P 16 PUBLISH` while four
# subscribers (redis-cli SUBSCRIBE) listen on the channel: on redis-server; on redraft with
# the publishers on the leader and the subscribers on a follower, and both on a follower.
# Latency: one subscriber, one publisher, each message published after the previous one
# arrived (pubsub_latency.py): p50 and p99 end to end. Prints each redraft figure with its
# ratio to redis-server's.
#
# Environment: BENCH_N (default 100000), BENCH_LATENCY_N (default 2000), REDRAFT_BIN.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

N=${BENCH_N:-100000}
LATENCY_N=${BENCH_LATENCY_N:-2000}
source tests/bench/cluster.sh

# listen PORT: four subscribers in the background for the rest of the run.
listen() {
    local i
    for i in 1 2 3 4; do
        redis-cli -h 127.0.0.1 -p "$1" SUBSCRIBE bench >/dev/null 2>&1 &
        PIDS+=($!)
    done
    sleep 0.5
}

# publish PUB_PORT PIPELINE: requests per second of PUBLISH.
publish() {
    timeout 600 redis-benchmark -h 127.0.0.1 -p "$1" -c 50 -n "$N" -P "$2" -q PUBLISH bench payload-of-32-bytes-xxxxxxxxxxxx 2>/dev/null \
        | tr '\r' '\n' | awk -F': ' '/requests per second/ { split($2, a, " "); print a[1] }' | tail -n 1
}

L=${CLIENT_PORT[$LEADER]}
F=${CLIENT_PORT[$FOLLOWER]}
listen "$REDIS_PORT"
listen "$F"
declare -A RPS
for pipeline in 1 16; do
    echo "PUBLISH -P $pipeline ..." >&2
    RPS[redis,$pipeline]=$(publish "$REDIS_PORT" "$pipeline")
    RPS[leader,$pipeline]=$(publish "$L" "$pipeline")
    RPS[follower,$pipeline]=$(publish "$F" "$pipeline")
done
echo "latency ..." >&2
read -r RP50 RP99 _ < <(python3 tests/bench/pubsub_latency.py "$REDIS_PORT" "$REDIS_PORT" "$LATENCY_N")
read -r LP50 LP99 _ < <(python3 tests/bench/pubsub_latency.py "$L" "$F" "$LATENCY_N")
read -r FP50 FP99 _ < <(python3 tests/bench/pubsub_latency.py "$F" "$F" "$LATENCY_N")

ratio() { python3 -c "print(f'{float($1)/float($2):.2f}')"; }
printf '\nPUBLISH throughput (req/s), 4 subscribers; redraft: leader node %s, follower node %s\n' "$LEADER" "$FOLLOWER"
printf '%3s %14s %22s %7s %22s %7s\n' P redis-server "redraft leader->follower" ratio "redraft follower" ratio
for pipeline in 1 16; do
    r=${RPS[redis,$pipeline]} l=${RPS[leader,$pipeline]} f=${RPS[follower,$pipeline]}
    printf '%3s %14s %22s %7s %22s %7s\n' "$pipeline" "$r" "$l" "$(ratio "$l" "$r")" "$f" "$(ratio "$f" "$r")"
done
printf '\nEnd-to-end latency, one message at a time (%s messages), ms\n' "$LATENCY_N"
printf '%-34s %8s %8s\n' setup p50 p99
printf '%-34s %8s %8s\n' "redis-server" "$RP50" "$RP99"
printf '%-34s %8s %8s\n' "redraft publish leader, sub follower" "$LP50" "$LP99"
printf '%-34s %8s %8s\n' "redraft publish+sub on a follower" "$FP50" "$FP99"
