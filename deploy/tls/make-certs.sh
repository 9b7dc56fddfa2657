#!/usr/bin/env bash
# Makes what TLS in a redraft cluster needs (docs/security.md), with openssl:
#
#   deploy/tls/make-certs.sh OUT_DIR NAME [NAME...]
#
# OUT_DIR/ca.crt, ca.key       the cluster CA (keep ca.key offline once the certificates exist)
# OUT_DIR/node.crt, node.key   the nodes' certificate, for every NAME (host names, wildcards
#                              such as *.redraft-headless.default.svc.cluster.local, or IP
#                              addresses), usable as server and as client: the Raft port's
#                              mutual TLS and the client port
# OUT_DIR/client.crt, .key     a client certificate (redis-cli --cert/--key, redis-py
#                              ssl_certfile/ssl_keyfile)
#
# Keys are EC P-256 and readable by their owner only. An existing CA in OUT_DIR is reused, so
# running the script again renews the node and client certificates under the same CA (nodes
# pick up a renewed client-port certificate without a restart).
set -euo pipefail
if (($# < 2)); then
    sed -n '2,16p' "$0" >&2
    exit 2
fi
out=$1
shift
mkdir -p "$out"
umask 077

san=""
for name in "$@"; do
    if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then
        san+="${san:+,}IP:$name"
    else
        san+="${san:+,}DNS:$name"
    fi
done

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -f "$out/ca.crt" || ! -f "$out/ca.key" ]]; then
    key "$out/ca.key"
    openssl req -x509 -new -key "$out/ca.key" -sha256 -days 3650 -subj "/CN=redraft cluster CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$out/ca.crt"
fi

# sign NAME SUBJECT EXTENDED_KEY_USAGE [SAN]
sign() {
    local name=$1 subject=$2 usage=$3 alt=${4:-} ext
    ext=$(mktemp)
    {
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,digitalSignature"
        echo "extendedKeyUsage=$usage"
        [[ -z "$alt" ]] || echo "subjectAltName=$alt"
    } >"$ext"
    key "$out/$name.key"
    openssl req -new -key "$out/$name.key" -subj "$subject" -out "$out/$name.csr"
    openssl x509 -req -in "$out/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
        -CAcreateserial -days 825 -sha256 -extfile "$ext" -out "$out/$name.crt" 2>/dev/null
    rm -f "$ext" "$out/$name.csr"
}

sign node "/CN=redraft node" "serverAuth,clientAuth" "$san"
sign client "/CN=redraft client" "clientAuth"
chmod 644 "$out"/*.crt
echo "make-certs: CA, node and client certificates in $out (node names: $*)" >&2
