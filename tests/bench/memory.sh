#!/usr/bin/env bash
# Benchmark (not a test): memory per key, redraft against redis-server, side by side.
#
#   tests/bench/memory.sh                  # 1,000,000 keys of each type
#   MEM_KEYS=100000 tests/bench/memory.sh  # a quick run
#
# For each type (small strings, 10-field hashes, 10-element lists, sets and sorted sets) it
# starts a fresh redis-server (no persistence) and a fresh single-node redraft (release build),
# loads the same keys into both with `redis-cli --pipe`, and prints the resident memory each
# process gained per key and their ratio. Every process it starts is stopped on exit.
#
# Environment: MEM_KEYS (keys per type, default 1000000), MEM_TYPES (a subset of
# "string hash list set zset"), REDRAFT_BIN (skip the build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

KEYS=${MEM_KEYS:-1000000}
for tool in redis-server redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "memory: $tool not found" >&2; exit 1; }
done
if [[ -n "${REDRAFT_BIN:-}" ]]; then
    BIN=$REDRAFT_BIN
else
    cargo build --release -p redraft-server
    BIN=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/redraft
fi

TMP=$(mktemp -d -t redraft-mem.XXXXXX)
PID=
cleanup() {
    if [[ -n "$PID" ]]; then kill -KILL "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 tests/free_ports.py; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# The RESP commands that load $KEYS keys of type $1.
commands() {
    python3 - "$1" "$KEYS" <<'PY'
import sys
kind, n = sys.argv[1], int(sys.argv[2])
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))
for i in range(n):
    key = "key:%d" % i
    if kind == "string":
        cmd("SET", key, "value:%d" % i)
    elif kind == "hash":
        args = []
        for f in range(10):
            args += ["field%d" % f, "v%d" % (i + f)]
        cmd("HSET", key, *args)
    elif kind == "list":
        cmd("RPUSH", key, *["item%d" % (i + e) for e in range(10)])
    elif kind == "set":
        cmd("SADD", key, *["m%d" % (i + e) for e in range(10)])
    elif kind == "zset":
        args = []
        for e in range(10):
            args += [str(e), "m%d" % (i + e)]
        cmd("ZADD", key, *args)
PY
}

# measure NAME START_COMMAND... : prints KB gained per key after loading, for the server the
# command starts.
measure() {
    local kind=$1 name=$2; shift 2
    local port; port=$(free_port)
    "$@" --port "$port" >"$TMP/$name.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
    local before; before=$(rss_kb "$PID")
    commands "$kind" | redis-cli -p "$port" --pipe >/dev/null
    [[ "$(redis-cli -p "$port" DBSIZE)" == "$KEYS" ]] || { echo "memory: $name did not load $KEYS keys" >&2; exit 1; }
    sleep 1
    local after; after=$(rss_kb "$PID")
    kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=
    python3 -c "print(f'{($after - $before) * 1024 / $KEYS:.1f}')"
}

printf '%-7s %10s %14s %14s %7s\n' type keys redis-server redraft ratio
for kind in ${MEM_TYPES:-string hash list set zset}; do
    redis=$(measure "$kind" redis redis-server --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP")
    rm -rf "$TMP/redraft-data"
    raft_port=$(free_port)
    redraft=$(measure "$kind" redraft "$BIN" --raft-addr "127.0.0.1:$raft_port" --dir "$TMP/redraft-data")
    ratio=$(python3 -c "print(f'{$redraft / $redis:.2f}')")
    printf '%-7s %10s %12s B %12s B %7s\n' "$kind" "$KEYS" "$redis" "$redraft" "$ratio"
done
