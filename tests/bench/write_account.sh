#!/usr/bin/env bash
# Where one client's write spends its time, and where the CPU goes: starts a local three-node
# cluster (tests/bench/cluster.sh), loads the leader with one client's SETs (redis-benchmark
# -c 1) and, while it runs,
#   - records the nodes' system calls (perf, syscall tracepoints) and prints the microsecond
#     account of a write (tests/bench/write_account.py);
#   - samples the leader's stacks and, with FLAMEGRAPH_DIR pointing at a checkout of Brendan
#     Gregg's FlameGraph scripts, writes flame graphs of the leader under a SET load and a GET
#     load to OUT_DIR (default docs/flamegraphs).
# Needs perf with access to tracepoints (root, or kernel.perf_event_paranoid <= -1).
#
#   tests/bench/write_account.sh
#   FLAMEGRAPH_DIR=~/FlameGraph tests/bench/write_account.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v perf >/dev/null || { echo "write_account: perf not found" >&2; exit 1; }
OUT_DIR=${OUT_DIR:-docs/flamegraphs}
source tests/bench/cluster.sh

pid_of() { pgrep -f -- "--id $1 .*--dir $TMP/node$1" | head -1; }
for id in 1 2 3; do echo "$id $(pid_of "$id")"; done >"$TMP/pids"
pids=$(awk '{print $2}' "$TMP/pids" | paste -sd,)
leader_pid=$(pid_of "$LEADER")

load() { # load TEST REQUESTS: one client on the leader, in the background
    redis-benchmark -h 127.0.0.1 -p "${CLIENT_PORT[$LEADER]}" -c 1 -n "$2" -t "$1" -q >/dev/null 2>&1 &
    LOAD_PID=$!
    sleep 1
}

load set 20000
perf record -q -o "$TMP/sys.data" -p "$pids" -e 'syscalls:sys_enter_recvfrom,syscalls:sys_exit_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_writev,syscalls:sys_enter_write,syscalls:sys_enter_pwrite64,syscalls:sys_enter_fdatasync,syscalls:sys_exit_fdatasync' -- sleep 3 >/dev/null 2>&1
perf script -i "$TMP/sys.data" -F pid,tid,comm,time,event,trace 2>/dev/null >"$TMP/sys.txt"
python3 tests/bench/write_account.py "$TMP/pids" "$LEADER" "$TMP/sys.txt"

if [[ -n "${FLAMEGRAPH_DIR:-}" ]]; then
    mkdir -p "$OUT_DIR"
    for test in set get; do
        perf record -q -F 2999 -g -o "$TMP/$test.data" -p "$leader_pid" -- sleep 4 >/dev/null 2>&1
        kill "$LOAD_PID" 2>/dev/null || true
        perf script -i "$TMP/$test.data" 2>/dev/null | "$FLAMEGRAPH_DIR/stackcollapse-perf.pl" >"$TMP/$test.folded"
        "$FLAMEGRAPH_DIR/flamegraph.pl" --title "redraft leader, redis-benchmark -c 1 -t $test" \
            --width 1400 "$TMP/$test.folded" >"$OUT_DIR/leader-$test.svg"
        echo "flame graph: $OUT_DIR/leader-$test.svg"
        [[ $test == set ]] && load get 2000000
    done
    kill "$LOAD_PID" 2>/dev/null || true
fi
kill "$LOAD_PID" 2>/dev/null || true
