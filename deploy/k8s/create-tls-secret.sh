#!/usr/bin/env bash
# Creates the Secret redraft-tls that the pods read their certificates from (mutual TLS on the
# Raft port, TLS on the client port 6380), in the current (or given) namespace:
#
#   deploy/k8s/create-tls-secret.sh [namespace [out_dir]]
#
# The CA and the certificates are made by deploy/tls/make-certs.sh in out_dir (default
# ./redraft-tls), for the pods' names (*.redraft-headless, in short and in full) and the client
# Service's. The Secret holds only ca.crt, node.crt and node.key; keep ca.key (to renew) and
# client.crt/client.key (for clients) from out_dir somewhere safe.
#
# Run it once, before `kubectl apply -k deploy/k8s`. To renew, run it again with the same
# out_dir (the CA is kept) and replace the Secret (`kubectl delete secret redraft-tls` first);
# the client port picks the new files up without a restart, the Raft port at the next restart.
set -euo pipefail
namespace=${1:-$(kubectl config view --minify -o 'jsonpath={..namespace}' 2>/dev/null || true)}
namespace=${namespace:-default}
out=${2:-./redraft-tls}
"$(dirname "${BASH_SOURCE[0]}")/../tls/make-certs.sh" "$out" \
  '*.redraft-headless' "*.redraft-headless.$namespace.svc" \
  "*.redraft-headless.$namespace.svc.cluster.local" \
  redraft "redraft.$namespace.svc" "redraft.$namespace.svc.cluster.local" localhost 127.0.0.1
kubectl --namespace "$namespace" create secret generic redraft-tls \
  --from-file=ca.crt="$out/ca.crt" --from-file=node.crt="$out/node.crt" \
  --from-file=node.key="$out/node.key"
