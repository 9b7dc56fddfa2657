#!/usr/bin/env bash
# Creates the Secret that holds the cluster secret every redraft node checks on the Raft
# port (docs/security.md), from 32 random bytes, in the current (or given) namespace:
#
#   deploy/k8s/create-secret.sh [namespace]
#
# With REDRAFT_HEALTH_PASSWORD set, the Secret also holds it as health-password: the probes
# (redraft --health) log in with it once the cluster has a requirepass (the pods read the key
# as optional, so a Secret without it works until then).
#
# Run it once, before `kubectl apply -k deploy/k8s`. To rotate the secret, delete the Secret,
# run this again and restart every pod at once (nodes with different secrets refuse each
# other).
set -euo pipefail
namespace=${1:-}
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
kubectl ${namespace:+--namespace "$namespace"} create secret generic redraft-cluster-secret \
  --from-literal=cluster-secret="$secret" \
  ${REDRAFT_HEALTH_PASSWORD:+--from-literal=health-password="$REDRAFT_HEALTH_PASSWORD"}
