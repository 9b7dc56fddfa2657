#!/usr/bin/env bash
# Benchmark (not a test): the engine alone applying SETs (crates/redraft-engine/examples/
# apply_set.rs), for git revisions side by side.
#
#   tests/bench/engine_apply.sh                 # the working tree
#   tests/bench/engine_apply.sh HEAD~1 HEAD     # two revisions, runs interleaved
#
# Each revision is built (release) in a worktree of its own; then the runs alternate between
# them, ENGINE_ROUNDS times (default 6), each on one CPU (taskset), and the script prints every
# figure and the median of each. Environment: ENGINE_KEYS (default 100000), ENGINE_ROUNDS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

KEYS=${ENGINE_KEYS:-100000}
ROUNDS=${ENGINE_ROUNDS:-6}
TMP=$(mktemp -d -t redraft-engine-bench.XXXXXX)
WORKTREES=()
cleanup() {
    local tree
    for tree in "${WORKTREES[@]}"; do git worktree remove --force "$tree" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

build() { # build NAME DIR: the example built from DIR, copied to $TMP/NAME
    (cd "$2" && CARGO_TARGET_DIR="$TMP/target-$1" cargo build --release -q -p redraft-engine \
        --example apply_set)
    cp "$TMP/target-$1/release/examples/apply_set" "$TMP/$1"
}

NAMES=()
if [[ $# -eq 0 ]]; then
    build working-tree .
    NAMES=(working-tree)
fi
for rev in "$@"; do
    name=$(git rev-parse --short "$rev")
    git worktree add --detach -q "$TMP/tree-$name" "$rev"
    WORKTREES+=("$TMP/tree-$name")
    build "$name" "$TMP/tree-$name"
    NAMES+=("$name")
done

pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
for round in $(seq 1 "$ROUNDS"); do
    for name in "${NAMES[@]}"; do
        echo "$name $("${pin[@]}" "$TMP/$name" "$KEYS" | cut -d' ' -f1)"
    done
done | tee "$TMP/runs"
echo "median ns per SET ($KEYS keys, $ROUNDS rounds):"
for name in "${NAMES[@]}"; do
    median=$(awk -v n="$name" '$1 == n {print $2}' "$TMP/runs" | sort -n |
        awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
    echo "  $name $median"
done
