# Sourced by the benchmark scripts: builds (or takes REDRAFT_BIN) the release binary, starts
# redis-server (--appendonly yes --appendfsync always) and a local three-node redraft cluster
# on free loopback ports in a temporary directory, and finds the leader. Sets BIN, TMP, PIDS,
# REDIS_PORT, CLIENT_PORT[1..3], LEADER and FOLLOWER; every process it starts is stopped on
# exit.

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

