#!/usr/bin/env bash
# Builds the redraft image offline: no registry, no base image. Packages a redraft binary built
# on this host, plus the shared libraries `ldd` says it needs, into a FROM-scratch image
# (deploy/Dockerfile.scratch).
#
#   deploy/build-image.sh [TAG]              # default tag redraft:local
#   REDRAFT_BIN=path/to/redraft deploy/build-image.sh redraft:test
#
# Without REDRAFT_BIN it builds the release binary once (cargo build --release). The binary is
# stripped of debug symbols in the image when `strip` is available.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tag=${1:-redraft:local}
bin=${REDRAFT_BIN:-}
if [[ -z "$bin" ]]; then
    cargo build --release -p redraft-server
    bin=${CARGO_TARGET_DIR:-target}/release/redraft
fi
[[ -x "$bin" ]] || { echo "build-image.sh: $bin is not an executable" >&2; exit 1; }
command -v docker >/dev/null || { echo "build-image.sh: docker is not installed" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/redraft-image.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/rootfs
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp" "$stage/data"
cp "$bin" "$root/usr/local/bin/redraft"
if command -v strip >/dev/null; then
    strip "$root/usr/local/bin/redraft"
fi
chmod 0755 "$root/usr/local/bin/redraft"

# The loader and every library the binary links, at the paths the binary expects them.
ldd "$bin" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }' | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
# Name lookups (the Raft peers are host names in compose and Kubernetes) go through glibc's
# NSS: files for /etc/hosts, dns for the resolver.
for lib in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2; do
    for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib; do
        if [[ -e "$dir/$lib" ]]; then
            mkdir -p "$root$dir"
            cp -L "$dir/$lib" "$root$dir/$lib"
            break
        fi
    done
done
printf 'root:x:0:0:root:/:/sbin/nologin\nredraft:x:10001:10001:redraft:/data:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nredraft:x:10001:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"

cp deploy/Dockerfile.scratch "$stage/Dockerfile"
docker build -q -t "$tag" "$stage"
echo "build-image.sh: built $tag ($(du -sh "$root" | cut -f1) uncompressed)" >&2
