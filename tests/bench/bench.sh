#!/usr/bin/env bash
# Benchmark (not a test): redraft against redis-server, both durable on every write, side by
# side in one run, with the floors of issue 13. Exits non-zero when a floor is missed.
#
#   tests/bench/bench.sh                 # -n 200000 per loaded run, 10000 per 1-client run
#   BENCH_N=20000 BENCH_N1=2000 tests/bench/bench.sh   # a quick run
#
# Builds the release binary, starts redis-server (--appendonly yes --appendfsync always) and
# a local three-node redraft cluster on free loopback ports in a temporary directory (see
# cluster.sh), and runs redis-benchmark against redis-server, the redraft leader and a
# redraft follower: one client (with p50 and p99 latency), 50 clients with -P 1 and -P 16,
# more commands (XADD is not among redis-benchmark 7.0's tests) and value sizes, a mixed
# 80 % GET / 20 % SET load, all three nodes loaded at once, and EVAL of a script that makes one
# write. Prints every figure with its ratio to redis-server's from the same run, then the
# floors and whether each held. Every process it starts is stopped on exit.
#
# Environment: BENCH_N (requests per loaded run, default 200000; four times that with -P 16),
# BENCH_N1 (per 1-client run, default 10000), BENCH_RUN_TIMEOUT (seconds per redis-benchmark
# run, default 600), REDRAFT_BIN (skip the build and use this binary).
#
# RedisRaft beside them (optional): REDISRAFT_DIR=DIR holding a RedisRaft built by
# ../shared/bench/redisraft.sh (`redisraft.sh build DIR`), and REDISRAFT_SH=that script. The
# script starts a fresh three-node RedisRaft from DIR on free ports, measures its leader (its
# followers answer MOVED) in the same runs, and checks that redraft's leader and follower are
# each ahead of RedisRaft's leader on every row; a row behind counts as a missed floor.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

N=${BENCH_N:-200000}
N1=${BENCH_N1:-10000}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-600}

source tests/bench/cluster.sh

TARGETS="redis leader follower"
if [[ -n "${REDISRAFT_DIR:-}" ]]; then
    [[ -x "${REDISRAFT_SH:-}" ]] || { echo "bench: REDISRAFT_SH must name redisraft.sh" >&2; exit 1; }
    RR_PORTS=$(python3 tests/free_ports.py 3)
    export RR_PORTS
    stop_redisraft() { "$REDISRAFT_SH" clean "$REDISRAFT_DIR" >/dev/null 2>&1 || true; }
    trap 'stop_redisraft; cleanup' EXIT
    stop_redisraft
    rr_leader=$("$REDISRAFT_SH" start "$REDISRAFT_DIR")
    REDISRAFT_PORT=$(sed -n 's/^leader: node [0-9]* 127.0.0.1:\([0-9]*\).*/\1/p' <<<"$rr_leader")
    [[ -n "$REDISRAFT_PORT" ]] || { echo "bench: RedisRaft did not start: $rr_leader" >&2; exit 1; }
    echo "RedisRaft: $rr_leader" >&2
    TARGETS="$TARGETS redisraft"
fi

port_of() {
    case $1 in
        redis) echo "$REDIS_PORT" ;;
        leader) echo "${CLIENT_PORT[$LEADER]}" ;;
        follower) echo "${CLIENT_PORT[$FOLLOWER]}" ;;
        redisraft) echo "$REDISRAFT_PORT" ;;
    esac
}

# run PORT ARGS... -> lines "TEST rps p50_ms p99_ms" (redis-benchmark's CSV; a command given
# on the line, such as EVAL, is named by its first word)
run() {
    local port=$1
    shift
    timeout "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" --csv "$@" 2>/dev/null \
        | tr -d '"' | awk -F, 'NR > 1 && $2 + 0 > 0 { split($1, name, " "); print toupper(name[1]), $2, $5, $7 }'
}

declare -A RPS P50 P99
# measure ROW ARGS...: the same redis-benchmark run against each target; results under ROW.
measure() {
    local row=$1 target test rps p50 p99
    shift
    for target in $TARGETS; do
        echo "running $row against $target..." >&2
        while read -r test rps p50 p99; do
            RPS[$row,$target,$test]=$rps
            P50[$row,$target,$test]=$p50
            P99[$row,$target,$test]=$p99
        done < <(run "$(port_of "$target")" "$@")
    done
}

# Sums the rps of redis-benchmark runs started together, one per port of $PORTS_TOGETHER, as
# "TEST rps" lines.
together() {
    local i=0 outputs=() runs=() port ports
    read -r -a ports <<<"$PORTS_TOGETHER"
    for port in "${ports[@]}"; do
        outputs+=("$TMP/together.$i")
        run "$port" "$@" >"$TMP/together.$i" &
        runs+=($!)
        i=$((i + 1))
    done
    # Only these: a bare `wait` would also wait for the servers cluster.sh started.
    wait "${runs[@]}"
    cat "${outputs[@]}" | awk '{ sum[$1] += $2 } END { for (t in sum) print t, sum[t] }'
}

echo "redis-server: appendfsync always; redraft: leader node $LEADER, follower node $FOLLOWER" >&2
measure "c1" -t set,get -c 1 -n "$N1"
measure "c50P1" -t set,get,incr,lpush,hset,zadd -c 50 -n "$N"
# Pipelined runs take four times the requests, so that they last about as long as the others
# (at -n N they were over in a fraction of a second, and redis-server's own figure moved 10-15 %).
measure "c50P16" -t set,get,incr -c 50 -n "$((N * 4))" -P 16
measure "4KiB" -t set,get -c 50 -n "$((N / 4))" -d 4096
measure "64KiB" -t set,get -c 50 -n "$((N / 40))" -d 65536
# A script that makes one write (the classic lock's release is such a script).
measure "script" -c 50 -n "$((N / 10))" eval "return redis.call(unpack(ARGV))" 0 set key v

# Mixed: 40 clients reading and 10 writing at once on one node.
for target in $TARGETS; do
    echo "running mixed 80/20 against $target..." >&2
    port=$(port_of "$target")
    run "$port" -t get -c 40 -n "$((N * 4 / 5))" >"$TMP/mixed.get" &
    readers=$!
    run "$port" -t set -c 10 -n "$((N / 5))" >"$TMP/mixed.set" &
    wait "$readers" $!
    RPS[mixed,$target,GET]=$(awk '{ print $2 }' "$TMP/mixed.get")
    RPS[mixed,$target,SET]=$(awk '{ print $2 }' "$TMP/mixed.set")
done

# All three nodes loaded at once (50 clients each), against three such loads on redis-server.
echo "running SET -c 50 on all three nodes at once..." >&2
PORTS_TOGETHER="$REDIS_PORT $REDIS_PORT $REDIS_PORT"
while read -r test rps; do RPS[all3,redis,$test]=$rps; done < <(together -t set -c 50 -n "$((N / 3))")
PORTS_TOGETHER="${CLIENT_PORT[1]} ${CLIENT_PORT[2]} ${CLIENT_PORT[3]}"
while read -r test rps; do RPS[all3,leader,$test]=$rps; done < <(together -t set -c 50 -n "$((N / 3))")

ratio() { # ratio A B: A/B with two decimals, "-" when either is missing
    if [[ -n "$1" && -n "$2" ]]; then python3 -c "print(f'{float($1)/float($2):.2f}')"; else echo -; fi
}

printf '\n%-8s %-6s %12s %12s %6s %12s %6s %12s %6s\n' run test redis-server redraft-lead ratio \
    redraft-foll ratio redisraft ratio
rows() { # every "row test" measured against redis-server
    for key in "${!RPS[@]}"; do
        IFS=, read -r row target test <<<"$key"
        if [[ $target == redis ]]; then echo "$row $test"; fi
    done | sort -u
}
rows | while read -r row test; do
    r=${RPS[$row,redis,$test]:-}
    l=${RPS[$row,leader,$test]:-}
    f=${RPS[$row,follower,$test]:-}
    rr=${RPS[$row,redisraft,$test]:-}
    printf '%-8s %-6s %12s %12s %6s %12s %6s %12s %6s\n' "$row" "$test" "${r:--}" "${l:--}" \
        "$(ratio "$l" "$r")" "${f:--}" "$(ratio "$f" "$r")" "${rr:--}" "$(ratio "$rr" "$r")"
done
echo "(all3: redraft's column sums the three nodes; redis-server's, three loads on one server)"

printf '\none client: latency in ms (p50 / p99)\n'
for test in SET GET; do
    printf '%-4s redis-server %s / %s   leader %s / %s   follower %s / %s   redisraft %s / %s\n' \
        "$test" "${P50[c1,redis,$test]:--}" "${P99[c1,redis,$test]:--}" \
        "${P50[c1,leader,$test]:--}" "${P99[c1,leader,$test]:--}" \
        "${P50[c1,follower,$test]:--}" "${P99[c1,follower,$test]:--}" \
        "${P50[c1,redisraft,$test]:--}" "${P99[c1,redisraft,$test]:--}"
done

# Ahead of RedisRaft's leader on every row it was measured in, from either redraft node.
if [[ -n "${REDISRAFT_PORT:-}" ]]; then
    printf '\nagainst RedisRaft (its leader)\n'
    while read -r row test; do
        rr=${RPS[$row,redisraft,$test]:-}
        [[ -n "$rr" ]] || continue
        for target in leader follower; do
            got=${RPS[$row,$target,$test]:-}
            [[ -n "$got" ]] || continue
            ahead=$(python3 -c "print('ahead' if float('$got') > float('$rr') else 'BEHIND')")
            [[ $ahead == ahead ]] || behind=$((${behind:-0} + 1))
            printf '%-8s %-6s %-9s %s against %s: %sx %s\n' "$row" "$test" "$target" "$got" "$rr" \
                "$(ratio "$got" "$rr")" "$ahead"
        done
    done < <(rows)
fi

# The floors of issue 13: run test target minimum-ratio.
missed=0
printf '\nfloors\n'
while read -r row test target floor; do
    got=$(ratio "${RPS[$row,$target,$test]:-}" "${RPS[$row,redis,$test]:-}")
    held=$(python3 -c "print('held' if '$got' != '-' and float('$got') >= $floor else 'MISSED')")
    [[ $held == held ]] || missed=$((missed + 1))
    printf '%-8s %-4s %-9s >= %s: %s %s\n' "$row" "$test" "$target" "$floor" "$got" "$held"
done <<'EOF'
c1 SET leader 0.55
c1 SET follower 0.40
c1 GET leader 0.30
c1 GET follower 0.20
c50P1 SET leader 0.45
c50P1 SET follower 0.33
c50P16 SET leader 0.45
c50P16 SET follower 0.40
c50P16 GET follower 0.40
EOF
if ((missed + ${behind:-0})); then
    echo "bench: $missed floor(s) missed, ${behind:-0} row(s) behind RedisRaft" >&2
    exit 1
fi
