#!/usr/bin/env bash
# Starts a three-node redraft cluster on this machine for trying things out:
# clients on 127.0.0.1:6379, :6380, :6381; Raft on 127.0.0.1:16379-16381; data under
# ./redraft-local/node-N. Ctrl-C stops all three. Run again to resume from the same data.
#
#   deploy/local-cluster.sh            # builds (release) and starts the cluster
#   REDRAFT_BIN=path/to/redraft deploy/local-cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${REDRAFT_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release -p redraft-server
  bin=target/release/redraft
fi
data=${REDRAFT_DATA:-./redraft-local}
members="1=127.0.0.1:16379,2=127.0.0.1:16380,3=127.0.0.1:16381"

pids=()
stop() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

for id in 1 2 3; do
  mkdir -p "$data/node-$id"
  "$bin" --id "$id" --port $((6378 + id)) --raft-addr "127.0.0.1:$((16378 + id))" \
    --dir "$data/node-$id" --cluster "$members" >"$data/node-$id.log" 2>&1 &
  pids+=($!)
done
echo "redraft cluster starting: redis-cli -p 6379 | 6380 | 6381 (logs in $data/node-N.log)"
echo "Ctrl-C to stop."
wait
