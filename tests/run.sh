#!/usr/bin/env bash
# The test command: `tests/run.sh [extra cargo test args]`.
#
# Installs what the suite needs when it is missing (as root on Debian): make and a C compiler
# (to build jemalloc, the server's allocator), redis-server
# and redis-tools (the differential tests' reference server, redis-cli, and
# redis-benchmark), prometheus and prometheus-redis-exporter (tests/tests/metrics.rs has them
# scrape a cluster), the Python redis client used by the seed example, and the Python
# kubernetes-validate package (offline Kubernetes schemas; tests/tests/k8s_manifests.rs
# fails without it). Then builds
# the whole workspace, so that target/debug/redraft exists for the cluster harness,
# and runs every test. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

is_root() { [[ "$(id -u)" == 0 ]]; }
has_apt() { command -v apt-get >/dev/null 2>&1; }

missing=()
# jemalloc (the server's allocator) is built from C sources with make and a C compiler.
command -v make >/dev/null 2>&1 || missing+=(make)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if ! command -v redis-cli >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
    missing+=(redis-tools)
fi
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-redis-exporter >/dev/null 2>&1 || missing+=(prometheus-redis-exporter)
if ((${#missing[@]})); then
    if is_root && has_apt; then
        echo "run.sh: installing ${missing[*]}" >&2
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    else
        echo "run.sh: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi

if ! python3 -c 'import redis' >/dev/null 2>&1; then
    echo "run.sh: installing the Python redis client (for the seed example)" >&2
    python3 -m pip install -q redis \
        || python3 -m pip install -q --break-system-packages redis \
        || { is_root && has_apt && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-redis; } \
        || echo "run.sh: warning: could not install the Python redis client; the Rust suite does not need it" >&2
fi

if ! python3 -c 'import kubernetes_validate, yaml' >/dev/null 2>&1; then
    echo "run.sh: installing kubernetes-validate (for the Kubernetes manifest test)" >&2
    python3 -m pip install -q kubernetes-validate \
        || python3 -m pip install -q --break-system-packages kubernetes-validate \
        || echo "run.sh: warning: could not install kubernetes-validate; tests/tests/k8s_manifests.rs will fail (python3 -m pip install kubernetes-validate)" >&2
fi

started=$SECONDS
cargo build --workspace
# The tools installed above are required: tests that would skip without them fail instead.
export REDRAFT_REQUIRE_TOOLS=1
cargo test --workspace "$@"
echo "run.sh: all tests passed in $((SECONDS - started)) s" >&2
