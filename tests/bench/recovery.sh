#!/usr/bin/env bash
# Recovery and snapshot-stall figures (issue 13): one client's write latency while snapshots of
# RECOVERY_KEYS keys (default 1,000,000) are taken, a follower's cold restart, a new node's
# catch-up from a snapshot, and how long writes are unavailable after a leader kill (median and
# max over RECOVERY_KILLS, default 10). Builds the release binary unless REDRAFT_BIN is set.
#
#   tests/bench/recovery.sh
#   RECOVERY_KEYS=100000 RECOVERY_KILLS=3 tests/bench/recovery.sh   # a quick run
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ -n "${REDRAFT_BIN:-}" ]]; then
    BIN=$REDRAFT_BIN
else
    cargo build --release -p redraft-server
    BIN=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/redraft
fi
exec python3 tests/bench/recovery.py "$BIN"
