#!/usr/bin/env bash
# Benchmark (not a test): the engine alone applying SETs (crates/redraft-engine/examples/
# apply_set.rs) or EVALs (apply_eval.rs), for git revisions side by side.
#
#   tests/bench/engine_apply.sh                 # the working tree
#   tests/bench/engine_apply.sh HEAD~1 HEAD     # two revisions, runs interleaved
#   ENGINE_EXAMPLE=apply_eval tests/bench/engine_apply.sh HEAD~1 HEAD
#
# Each revision is built (release) in a worktree of its own, with the working tree's copy of
# the example (it uses only the engine's public API, so one program measures every revision);
# then the runs alternate between them, ENGINE_ROUNDS times (default 6), each on one CPU
# (taskset), and the script prints every figure and the median of each. Environment:
# ENGINE_EXAMPLE (apply_set, the default, or apply_eval), ENGINE_ARG (the example's first
# argument: keys for apply_set, default 100000; EVALs per log entry for apply_eval, default
# 28), ENGINE_ROUNDS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

EXAMPLE=${ENGINE_EXAMPLE:-apply_set}
case $EXAMPLE in
    apply_set) ARG=${ENGINE_ARG:-100000} UNIT=SET ;;
    apply_eval) ARG=${ENGINE_ARG:-28} UNIT=EVAL ;;
    *) echo "engine_apply: ENGINE_EXAMPLE is apply_set or apply_eval" >&2; exit 1 ;;
esac
EXAMPLE_SOURCE=$PWD/crates/redraft-engine/examples/$EXAMPLE.rs
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
    [[ "$2" -ef "$PWD" ]] || cp "$EXAMPLE_SOURCE" "$2/crates/redraft-engine/examples/"
    (cd "$2" && CARGO_TARGET_DIR="$TMP/target-$1" cargo build --release -q -p redraft-engine \
        --example "$EXAMPLE")
    cp "$TMP/target-$1/release/examples/$EXAMPLE" "$TMP/$1"
}

NAMES=()
if [[ $# -eq 0 ]]; then
    build working-tree "$PWD"
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
        echo "$name $("${pin[@]}" "$TMP/$name" "$ARG" | cut -d' ' -f1)"
    done
done | tee "$TMP/runs"
echo "median ns per $UNIT ($EXAMPLE $ARG, $ROUNDS rounds):"
for name in "${NAMES[@]}"; do
    median=$(awk -v n="$name" '$1 == n {print $2}' "$TMP/runs" | sort -n |
        awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
    echo "  $name $median"
done
