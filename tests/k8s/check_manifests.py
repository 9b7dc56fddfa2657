#!/usr/bin/env python3
"""Checks what the Kubernetes schemas cannot in deploy/k8s/ (run by tests/tests/k8s_manifests.rs).

    check_manifests.py MANIFEST_DIR CLI_RS

MANIFEST_DIR holds the manifests; CLI_RS is crates/redraft-server/src/cli.rs, whose Cli fields
give the flags redraft accepts. Prints every problem found and exits 1 if there is any.
Needs PyYAML (a dependency of kubernetes-validate).
"""

import os
import re
import sys

import yaml

HEALTH = ["/usr/local/bin/redraft", "--health", "--port", "6379"]
SCRAPE_ANNOTATIONS = ("prometheus.io/scrape", "prometheus.io/port", "prometheus.io/path")
UID = 10001

problems = []


def check(cond, what):
    if not cond:
        problems.append(what)
    return cond


def load(manifest_dir):
    docs, files = [], []
    for name in sorted(os.listdir(manifest_dir)):
        if not name.endswith((".yaml", ".yml")):
            continue
        files.append(name)
        with open(os.path.join(manifest_dir, name)) as f:
            for doc in yaml.safe_load_all(f):
                if doc:
                    docs.append((name, doc))
    return files, docs


def cli_flags(cli_rs):
    """The long flags of `struct Cli`: each `pub field: Type` becomes --field (kebab case)."""
    with open(cli_rs) as f:
        text = f.read()
    body = text.split("pub struct Cli {", 1)[1].split("\n}", 1)[0]
    return {"--" + field.replace("_", "-") for field in re.findall(r"pub (\w+):", body)}


def subset(small, big):
    return all(big.get(k) == v for k, v in (small or {}).items())


def expand(value, env):
    """Kubernetes' $(VAR) expansion in args."""
    return re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), value)


def flag_values(args):
    values, i = {}, 0
    while i < len(args):
        if args[i].startswith("--") and i + 1 < len(args) and not args[i + 1].startswith("--"):
            values[args[i]] = args[i + 1]
            i += 2
        else:
            values[args[i]] = None
            i += 1
    return values


def main():
    manifest_dir, cli_rs = sys.argv[1], sys.argv[2]
    files, docs = load(manifest_dir)
    by_kind = {}
    for name, doc in docs:
        by_kind.setdefault(doc.get("kind"), []).append(doc)

    # kustomization.yaml lists every other manifest, and only those.
    kustomizations = by_kind.pop("Kustomization", [])
    if kustomizations:
        listed = set(kustomizations[0].get("resources", []))
        others = {f for f in files if f not in ("kustomization.yaml", "kustomization.yml")}
        check(listed == others, f"kustomization resources {sorted(listed)} != files {sorted(others)}")

    sts_list = by_kind.get("StatefulSet", [])
    if not check(len(sts_list) == 1, f"expected one StatefulSet, found {len(sts_list)}"):
        return
    sts = sts_list[0]
    spec = sts["spec"]
    pod = spec["template"]
    pod_labels = pod["metadata"].get("labels", {})
    pod_spec = pod["spec"]
    check(sts["metadata"]["name"] == "redraft", "the StatefulSet is not named redraft")
    check(spec.get("replicas") == 3, "the StatefulSet does not run 3 replicas")
    check(spec.get("podManagementPolicy") == "OrderedReady", "podManagementPolicy is not OrderedReady")
    check(subset(spec["selector"].get("matchLabels"), pod_labels),
          "the StatefulSet selector does not match its pod labels")

    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    headless = services.get(spec.get("serviceName"))
    if check(headless is not None, f"serviceName {spec.get('serviceName')!r} names no Service"):
        check(headless["spec"].get("clusterIP") == "None", "the governing Service is not headless (clusterIP: None)")
        check(headless["spec"].get("publishNotReadyAddresses") is True,
              "the headless Service does not publish not-ready pods (joining pods need their DNS name)")
        check(any(p.get("port") == 16379 for p in headless["spec"]["ports"]), "the headless Service lacks port 16379")
    clients = [s for name, s in services.items() if name != spec.get("serviceName")]
    check(any(any(p.get("port") == 6379 for p in s["spec"]["ports"]) and s["spec"].get("clusterIP") != "None"
              for s in clients), "no client Service on port 6379")
    for s in services.values():
        check(subset(s["spec"].get("selector"), pod_labels) and s["spec"].get("selector"),
              f"Service {s['metadata']['name']} does not select the redraft pods")

    pdbs = by_kind.get("PodDisruptionBudget", [])
    if check(len(pdbs) == 1, "expected one PodDisruptionBudget"):
        pdb = pdbs[0]["spec"]
        check(pdb.get("maxUnavailable") == 1, "the PDB does not allow exactly one unavailable pod")
        check(subset(pdb["selector"].get("matchLabels"), pod_labels) and pdb["selector"].get("matchLabels"),
              "the PDB selector does not match the pod labels")

    # The Raft port admits only the redraft pods (the cluster secret guards it too).
    policies = by_kind.get("NetworkPolicy", [])
    if check(len(policies) == 1, "expected one NetworkPolicy"):
        policy = policies[0]["spec"]
        check(subset(policy["podSelector"].get("matchLabels"), pod_labels)
              and policy["podSelector"].get("matchLabels"),
              "the NetworkPolicy does not select the redraft pods")
        raft_rules = [r for r in policy.get("ingress", [])
                      if any(p.get("port") == 16379 for p in r.get("ports", []))]
        check(len(raft_rules) == 1 and all(
            subset(f.get("podSelector", {}).get("matchLabels"), pod_labels)
            and f.get("podSelector", {}).get("matchLabels")
            for f in raft_rules[0].get("from", [{}])) and raft_rules[0].get("from"),
            "the NetworkPolicy admits the Raft port from more than the redraft pods")

    # Security: non-root as the image's user.
    psc = pod_spec.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True, "pod securityContext lacks runAsNonRoot: true")
    check(psc.get("runAsUser") == UID and psc.get("runAsGroup") == UID and psc.get("fsGroup") == UID,
          f"pod securityContext does not run as (and own volumes by) uid/gid {UID}")

    containers = pod_spec["containers"]
    check(len(containers) == 1, "expected one container")
    c = containers[0]
    csc = c.get("securityContext", {})
    check(csc.get("allowPrivilegeEscalation") is False, "container allows privilege escalation")
    res = c.get("resources", {})
    for part in ("requests", "limits"):
        check({"cpu", "memory"} <= set(res.get(part, {})), f"container resources lack cpu/memory {part}")

    # Probes run the health check against the client port.
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    check(ports.get("redis") == 6379 and ports.get("raft") == 16379, "container ports are not redis 6379 / raft 16379")
    for probe in ("readinessProbe", "livenessProbe"):
        check(c.get(probe, {}).get("exec", {}).get("command") == HEALTH, f"{probe} does not run {' '.join(HEALTH)}")
        check(c.get(probe, {}).get("failureThreshold", 3) >= 3, f"{probe} gives up after fewer than 3 failures")
    if "startupProbe" in c:
        check(c["startupProbe"].get("exec", {}).get("command") == HEALTH, "startupProbe does not run --health")
    for s in services.values():
        for p in s["spec"]["ports"]:
            target = p.get("targetPort", p["port"])
            check(target in ports or target in ports.values(),
                  f"Service {s['metadata']['name']} targets port {target!r}, which the container lacks")

    # Volume: the claim template is mounted on /data, which is --dir.
    templates = [t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])]
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    check(len(templates) == 1 and mounts.get(templates[0]) == "/data",
          "no volumeClaimTemplate mounted on /data")

    # TLS: every certificate file the args name lies in a volume from the Secret redraft-tls
    # (create-tls-secret.sh makes it), and both the peers and the client port use TLS.
    args = c.get("args", [])
    secret_volumes = {v["name"]: v["secret"].get("secretName") for v in pod_spec.get("volumes", [])
                      if "secret" in v}
    tls_dirs = [m["mountPath"].rstrip("/") + "/" for m in c.get("volumeMounts", [])
                if secret_volumes.get(m["name"]) == "redraft-tls"]
    for flag in ("--peer-tls-cert-file", "--peer-tls-key-file", "--peer-tls-ca-file",
                 "--tls-cert-file", "--tls-key-file", "--tls-ca-cert-file"):
        if check(flag in args[:-1], f"args lack {flag}"):
            path = args[args.index(flag) + 1]
            check(any(path.startswith(d) for d in tls_dirs),
                  f"{flag} {path} is not in a volume from the Secret redraft-tls")
    if check("--tls-port" in args[:-1], "args lack --tls-port"):
        tls_port = int(args[args.index("--tls-port") + 1])
        check(ports.get("redis-tls") == tls_port, "no container port redis-tls on --tls-port")
        if policies:
            open_ports = {p.get("port") for r in policies[0]["spec"].get("ingress", [])
                          if not r.get("from") for p in r.get("ports", [])}
            check(tls_port in open_ports, "the NetworkPolicy does not admit the TLS client port")

    # The environment: every $(VAR) in args is defined, ConfigMap references resolve.
    configmaps = {m["metadata"]["name"]: m.get("data", {}) for m in by_kind.get("ConfigMap", [])}
    env = {}
    for e in c.get("env", []):
        source = e.get("valueFrom", {})
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            if check(ref["key"] in configmaps.get(ref["name"], {}),
                     f"env {e['name']} refers to a missing ConfigMap key {ref['name']}/{ref['key']}"):
                env[e["name"]] = str(configmaps[ref["name"]][ref["key"]])
        elif "secretKeyRef" in source:
            # The cluster secret, and the probes' password (optional: set once requirepass is).
            secret_env = {"REDRAFT_CLUSTER_SECRET": False, "REDRAFT_HEALTH_PASSWORD": True}
            check(e["name"] in secret_env,
                  f"env {e['name']} comes from a Secret; only the cluster secret and the "
                  "probes' password should")
            check(source["secretKeyRef"].get("optional", False) == secret_env.get(e["name"], False),
                  f"env {e['name']}: only the probes' password may be optional")
            env[e["name"]] = "<secret>"
        elif source.get("fieldRef", {}).get("fieldPath") == "metadata.name":
            env[e["name"]] = "$(POD_NAME)"  # filled in per pod below
        elif "value" in e:
            env[e["name"]] = str(e["value"])
        else:
            check(False, f"env {e['name']} has an unexpected source")
    check(env.get("POD_NAME") == "$(POD_NAME)", "POD_NAME does not come from metadata.name")
    args = c.get("args", [])
    for var in re.findall(r"\$\((\w+)\)", " ".join(args)):
        check(var in env, f"args use $({var}), which the container's env does not define")
    check(not c.get("command"), "the container overrides the image's entrypoint")

    # Metrics: --metrics-addr listens beyond loopback on the container port named metrics, which
    # a Service carries and the NetworkPolicy admits; the pods and that Service carry the
    # prometheus.io annotations naming that port and /metrics.
    metrics_port = ports.get("metrics")
    if check(metrics_port is not None, "no container port named metrics"):
        if check("--metrics-addr" in args[:-1], "args lack --metrics-addr"):
            addr = args[args.index("--metrics-addr") + 1]
            check(addr == f"0.0.0.0:{metrics_port}",
                  f"--metrics-addr {addr} is not 0.0.0.0:{metrics_port} (the container port metrics)")
        wanted = {"prometheus.io/scrape": "true", "prometheus.io/port": str(metrics_port),
                  "prometheus.io/path": "/metrics"}
        pod_annotations = pod["metadata"].get("annotations", {})
        check(subset(wanted, pod_annotations),
              f"pod annotations {pod_annotations} lack {wanted}")
        for key in SCRAPE_ANNOTATIONS:
            check(isinstance(pod_annotations.get(key), str), f"pod annotation {key} is not a string")
        carriers = [s for s in services.values()
                    if any(p.get("targetPort", p["port"]) in ("metrics", metrics_port)
                           for p in s["spec"]["ports"])]
        if check(carriers, "no Service carries the metrics port"):
            for s in carriers:
                check(any(p.get("name") == "metrics" and p["port"] == metrics_port
                          for p in s["spec"]["ports"]),
                      f"Service {s['metadata']['name']} does not name its port {metrics_port} metrics")
                check(subset(wanted, s["metadata"].get("annotations", {})),
                      f"Service {s['metadata']['name']} lacks the annotations {wanted}")
        if policies:
            open_ports = {p.get("port") for r in policies[0]["spec"].get("ingress", [])
                          if not r.get("from") for p in r.get("ports", [])}
            check(metrics_port in open_ports, "the NetworkPolicy does not admit the metrics port")

    # Every flag exists in redraft's CLI.
    known = cli_flags(cli_rs)
    flags = flag_values(args)
    for flag in flags:
        check(flag in known, f"args pass {flag}, which redraft does not accept")

    # Per pod: id from the ordinal, Raft address on the headless Service, pod 0 bootstraps
    # (joins its own address), the others join pod 0.
    headless_name = spec.get("serviceName")
    check(flags.get("--id-from-name") == "$(POD_NAME)", "the node id does not come from the pod name")
    check(flags.get("--dir") == "/data", "--dir is not /data")
    check(flags.get("--port") == "6379", "--port is not 6379 (the probes check 6379)")
    for ordinal in range(spec.get("replicas", 3) + 2):
        pod_name = f"{sts['metadata']['name']}-{ordinal}"
        pod_env = {k: v.replace("$(POD_NAME)", pod_name) for k, v in env.items()}
        expanded = {k: expand(v, pod_env) if v else v for k, v in flags.items()}
        raft_addr = expanded.get("--raft-addr")
        check(raft_addr == f"{pod_name}.{headless_name}:16379",
              f"{pod_name}: --raft-addr {raft_addr!r} is not {pod_name}.{headless_name}:16379")
        join = expanded.get("--join")
        seed = f"{sts['metadata']['name']}-0.{headless_name}:16379"
        check(join == seed, f"{pod_name}: --join {join!r} is not {seed}")
        if ordinal == 0:
            check(join == raft_addr, f"{pod_name} does not bootstrap (its --join is not its own --raft-addr)")
            # Pod 0 on a lost volume must find the running cluster instead of bootstrapping.
            probe = (expanded.get("--bootstrap-probe") or "").split(",")
            for other in range(1, spec.get("replicas", 3)):
                addr = f"{sts['metadata']['name']}-{other}.{headless_name}:16379"
                check(addr in probe, f"{pod_name}: --bootstrap-probe does not ask {addr}")
        else:
            check(join != raft_addr, f"{pod_name} would bootstrap instead of joining")
        for flag, value in expanded.items():
            check(value is None or "$(" not in value, f"{pod_name}: {flag} {value!r} is not fully expanded")


if __name__ == "__main__":
    main()
    for p in problems:
        print(f"PROBLEM: {p}")
    if problems:
        sys.exit(1)
    print("check_manifests: all semantic checks passed")
