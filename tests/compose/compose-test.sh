#!/usr/bin/env bash
# The docker-compose deploy, end to end (run by tests/tests/compose.rs; runnable by hand):
# builds the image offline (deploy/build-image.sh), starts deploy/docker-compose.yml under a
# unique project name with client ports on free 127.0.0.1 ports and certificates from
# deploy/tls/make-certs.sh (mutual TLS between nodes), writes through every node, reads over TLS,
# kills the leader's container and keeps writing, restarts it, cuts one node off the network
# and reconnects it, and checks that every acknowledged write is on every node. Always runs
# `down -v` and removes the image, also on failure. Every wait is bounded.
#
#   REDRAFT_BIN=target/debug/redraft tests/compose/compose-test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bin=${REDRAFT_BIN:?set REDRAFT_BIN to the redraft binary to package}
project="redraft-test-$$-$RANDOM"
image="redraft:$project"
file=deploy/docker-compose.yml
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose -p "$project" -f "$file")
else
    compose=(docker-compose -p "$project" -f "$file")
fi
acked=()

log() { echo "compose-test: $*" >&2; }
fail() {
    log "FAILED: $*"
    "${compose[@]}" logs --no-color --tail 40 >&2 || true
    exit 1
}
cleanup() {
    timeout 120 "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    docker rmi -f "$image" >/dev/null 2>&1 || true
    [[ -z "${REDRAFT_TLS_DIR:-}" ]] || rm -rf "$REDRAFT_TLS_DIR"
}
trap cleanup EXIT

export REDRAFT_IMAGE=$image
REDRAFT_CLUSTER_SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export REDRAFT_CLUSTER_SECRET
read -r REDRAFT_PORT_1 REDRAFT_PORT_2 REDRAFT_PORT_3 REDRAFT_TLS_PORT_1 REDRAFT_TLS_PORT_2 \
    REDRAFT_TLS_PORT_3 REDRAFT_METRICS_PORT_1 REDRAFT_METRICS_PORT_2 REDRAFT_METRICS_PORT_3 \
    < <(python3 tests/free_ports.py 9)
export REDRAFT_PORT_1 REDRAFT_PORT_2 REDRAFT_PORT_3
export REDRAFT_TLS_PORT_1 REDRAFT_TLS_PORT_2 REDRAFT_TLS_PORT_3
export REDRAFT_METRICS_PORT_1 REDRAFT_METRICS_PORT_2 REDRAFT_METRICS_PORT_3
REDRAFT_TLS_DIR=$(mktemp -d)
export REDRAFT_TLS_DIR
deploy/tls/make-certs.sh "$REDRAFT_TLS_DIR" redraft-1 redraft-2 redraft-3 localhost 127.0.0.1
# The nodes run as uid 10001; root (CI) hands it the key, anyone else must make it readable.
chown 10001 "$REDRAFT_TLS_DIR/node.key" 2>/dev/null || chmod 644 "$REDRAFT_TLS_DIR/node.key"
chmod 755 "$REDRAFT_TLS_DIR"
port_of() { local v="REDRAFT_PORT_$1"; echo "${!v}"; }
cli() { timeout 10 redis-cli -p "$(port_of "$1")" "${@:2}" 2>/dev/null; }
field() { cli "$1" INFO raft | tr -d '\r' | sed -n "s/^$2://p"; }
container() { "${compose[@]}" ps -q "redraft-$1"; }

# The leader id a node reports, once it is the same on every node in $@.
wait_leader() {
    local deadline=$((SECONDS + 60)) leader
    while ((SECONDS < deadline)); do
        leader=$(for n in "$@"; do field "$n" leader_id; done | sort -u)
        if [[ "$leader" =~ ^[0-9]+$ ]] && [[ "$(field "$leader" role)" == leader ]]; then
            echo "$leader"
            return
        fi
        sleep 0.5
    done
    fail "no leader agreed on by nodes $*"
}

# The value of the metric $2 (name and labels as printed) on node $1's published metrics port.
metric() {
    local port="REDRAFT_METRICS_PORT_$1"
    python3 - "${!port}" "$2" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=10).read().decode()
print(next((line.rsplit(" ", 1)[1] for line in text.splitlines()
            if line.rsplit(" ", 1)[0] == sys.argv[2]), ""))
PY
}

# Writes keys $2.0..$2.<n-1> through node $1; records the acknowledged ones.
write_through() {
    local node=$1 prefix=$2 count=$3 i
    for ((i = 0; i < count; i++)); do
        if [[ "$(cli "$node" SET "$prefix.$i" "v$i")" == OK ]]; then
            acked+=("$prefix.$i")
        fi
    done
}

# Every acknowledged key reads back through node $1 (bounded retries while it catches up).
check_all() {
    local node=$1 deadline=$((SECONDS + 60)) key missing
    while ((SECONDS < deadline)); do
        missing=0
        for key in "${acked[@]}"; do
            [[ "$(cli "$node" GET "$key")" == "v${key##*.}" ]] || { missing=$((missing + 1)); break; }
        done
        ((missing == 0)) && return
        sleep 1
    done
    fail "node $node lacks acknowledged key $key"
}

log "building image $image"
REDRAFT_BIN=$bin timeout 300 deploy/build-image.sh "$image"
log "starting project $project on ports $REDRAFT_PORT_1 $REDRAFT_PORT_2 $REDRAFT_PORT_3"
timeout 120 "${compose[@]}" up -d
leader=$(wait_leader 1 2 3)
log "leader is node $leader"
for n in 1 2 3; do write_through "$n" "start$n" 20; done
# Over TLS, with the client certificate, through every node.
for n in 1 2 3; do
    port="REDRAFT_TLS_PORT_$n"
    reply=$(timeout 10 redis-cli --tls --cacert "$REDRAFT_TLS_DIR/ca.crt" \
        --cert "$REDRAFT_TLS_DIR/client.crt" --key "$REDRAFT_TLS_DIR/client.key" \
        -p "${!port}" GET start1.0 2>&1) || true
    [[ "$reply" == v0 ]] || fail "node $n over TLS answered: $reply"
done
((${#acked[@]} == 60)) || fail "only ${#acked[@]} of 60 writes acknowledged on a healthy cluster"
# The published metrics ports: the leader says so, every node counted its SETs.
[[ "$(metric "$leader" redraft_raft_is_leader)" == 1 ]] || fail "node $leader's metrics do not say it leads"
for n in 1 2 3; do
    sets=$(metric "$n" 'redraft_commands_total{command="set"}')
    [[ "$sets" =~ ^[0-9]+$ ]] && ((sets >= 20)) || fail "node $n's metrics count $sets SETs, not 20"
done

log "killing the leader's container (node $leader)"
timeout 30 docker kill "$(container "$leader")" >/dev/null
others=()
for n in 1 2 3; do [[ $n == "$leader" ]] || others+=("$n"); done
new_leader=$(wait_leader "${others[@]}")
log "node $new_leader leads now"
for n in "${others[@]}"; do write_through "$n" "afterkill$n" 20; done
timeout 60 "${compose[@]}" start "redraft-$leader" >/dev/null
check_all "$leader"
log "restarted node $leader caught up"

cut=${others[0]}
network="$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$(container "$cut")")"
log "cutting node $cut off $network"
timeout 30 docker network disconnect "$network" "$(container "$cut")"
rest=()
for n in 1 2 3; do [[ $n == "$cut" ]] || rest+=("$n"); done
wait_leader "${rest[@]}" >/dev/null
for n in "${rest[@]}"; do write_through "$n" "cut$n" 20; done
reply=$(cli "$cut" SET cut.write x || true)
[[ "$reply" != OK ]] || fail "node $cut acknowledged a write while cut off"
timeout 30 docker network connect --alias "redraft-$cut" "$network" "$(container "$cut")"
log "reconnected node $cut"
wait_leader 1 2 3 >/dev/null
for n in 1 2 3; do check_all "$n"; done
log "all ${#acked[@]} acknowledged writes on every node"
timeout 120 "${compose[@]}" down -v >/dev/null
log "passed"
