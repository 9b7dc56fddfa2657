#!/usr/bin/env python3
"""Recovery and snapshot-stall figures of a local three-node cluster holding many keys.

Started by tests/bench/recovery.sh (which builds the release binary). Measures, and prints:
  1. one client's write latency (p50/p99/max) on an empty cluster, then with RECOVERY_KEYS keys
     while the nodes take snapshots of them (a snapshot every 10,000 entries);
  2. the cold restart of a follower holding the keys (kill -9, start): time until it has
     applied what the leader had committed and answers a read, and its peak memory;
  3. a new node's catch-up (kill -9 a follower, wipe its directory, start it with --join):
     the same figures, from the leader's snapshot;
  4. writes unavailable after a leader kill (kill -9, median and max over RECOVERY_KILLS),
     measured by a client writing through the other nodes every 10 ms.
Every wait is bounded. Usage: recovery.py BIN (environment: RECOVERY_KEYS, RECOVERY_KILLS).
"""

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import redis
from redis.retry import Retry
from redis.backoff import NoBackoff

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = int(os.environ.get("RECOVERY_KEYS", "1000000"))
KILLS = int(os.environ.get("RECOVERY_KILLS", "10"))
WAIT = 120  # seconds: bound on every wait below


def free_ports(n):
    out = subprocess.check_output([sys.executable, os.path.join(HERE, "..", "free_ports.py"), str(n)])
    return [int(p) for p in out.split()]


def client(port, timeout=2.0):
    # Never resends on its own (a resent write would count twice).
    return redis.Redis(port=port, socket_timeout=timeout, socket_connect_timeout=timeout,
                       retry=Retry(NoBackoff(), 0))


class Cluster:
    def __init__(self, binary):
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix="redraft-recovery.")
        ports = free_ports(6)
        self.port = {i: ports[i - 1] for i in (1, 2, 3)}
        self.raft = {i: ports[i + 2] for i in (1, 2, 3)}
        self.spec = ",".join(f"{i}=127.0.0.1:{self.raft[i]}" for i in (1, 2, 3))
        self.procs = {}
        for i in (1, 2, 3):
            self.start(i)

    def dir(self, i):
        return os.path.join(self.tmp, f"node{i}")

    def start(self, i, join=None):
        os.makedirs(self.dir(i), exist_ok=True)
        args = [self.binary, "--id", str(i), "--bind", "127.0.0.1", "--port", str(self.port[i]),
                "--raft-addr", f"127.0.0.1:{self.raft[i]}", "--dir", self.dir(i)]
        args += ["--join", join] if join else ["--cluster", self.spec]
        log = open(os.path.join(self.tmp, f"node{i}.log"), "ab")
        self.procs[i] = subprocess.Popen(args, stdout=log, stderr=log)

    def kill(self, i):
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()

    def stop_all(self):
        for p in self.procs.values():
            p.kill()
            p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def raft_info(self, i):
        try:
            return client(self.port[i], 1.0).info("raft")
        except redis.RedisError:
            return None

    def leader(self):
        deadline = time.time() + WAIT
        while time.time() < deadline:
            for i in self.procs:
                info = self.raft_info(i)
                if info and info.get("role") == "leader":
                    return i
            time.sleep(0.05)
        sys.exit("recovery: no leader")

    def wait_applied(self, i, index, key):
        """Seconds until node i applied `index` and serves a read of `key`."""
        start = time.time()
        while time.time() < start + WAIT:
            info = self.raft_info(i)
            if info and int(info.get("applied_index", 0)) >= index:
                try:
                    if client(self.port[i], 1.0).get(key) is not None:
                        return time.time() - start
                except redis.RedisError:
                    pass
            time.sleep(0.01)
        sys.exit(f"recovery: node {i} did not catch up to {index} in {WAIT} s")


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def write_latencies(port, seconds):
    conn = client(port)
    times = []
    end = time.time() + seconds
    i = 0
    while time.time() < end:
        start = time.perf_counter()
        conn.set(f"probe:{i}", "x")
        times.append((time.perf_counter() - start) * 1000)
        i += 1
    return times


def describe(times):
    s = sorted(times)
    return (f"{len(s)} writes, p50 {s[len(s) // 2]:.2f} ms, p99 {s[int(len(s) * 0.99)]:.2f} ms, "
            f"max {s[-1]:.1f} ms")


def load(port, keys):
    conn = client(port, 30.0)
    for start in range(0, keys, 5000):
        pipe = conn.pipeline(transaction=False)
        for n in range(start, min(start + 5000, keys)):
            pipe.set(f"key:{n}", f"value:{n}")
        pipe.execute()


def unavailable_after_leader_kill(cluster):
    leader = cluster.leader()
    others = [i for i in (1, 2, 3) if i != leader]
    killed_at, first_ok = [None], [None]
    stop = threading.Event()

    def writer():
        conns = {i: client(cluster.port[i], 0.5) for i in others}
        n = 0
        while not stop.is_set():
            for i in others:
                try:
                    conns[i].set(f"avail:{n}", "x")
                    if killed_at[0] is not None and first_ok[0] is None:
                        first_ok[0] = time.time()
                        stop.set()
                    break
                except redis.RedisError:
                    pass
            n += 1
            time.sleep(0.01)

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.3)
    killed_at[0] = time.time()
    cluster.kill(leader)
    thread.join(WAIT)
    stop.set()
    if first_ok[0] is None:
        sys.exit("recovery: no write acknowledged after the leader kill")
    gap = first_ok[0] - killed_at[0]
    cluster.start(leader)
    new_leader = cluster.leader()
    index = int(cluster.raft_info(new_leader)["commit_index"])
    cluster.wait_applied(leader, index, "key:0")
    return gap


def main():
    binary = sys.argv[1]
    cluster = Cluster(binary)
    try:
        leader = cluster.leader()
        print(f"writes, empty cluster: {describe(write_latencies(cluster.port[leader], 10))}")
        started = time.time()
        load(cluster.port[leader], KEYS)
        print(f"loaded {KEYS} keys in {time.time() - started:.1f} s")
        before = int(cluster.raft_info(leader)["snapshot_index"])
        times = write_latencies(cluster.port[leader], 30)
        after = int(cluster.raft_info(leader)["snapshot_index"])
        print(f"writes, {KEYS} keys, snapshots taken meanwhile "
              f"(snapshot index {before} -> {after}): {describe(times)}")

        follower = [i for i in (1, 2, 3) if i != leader][0]
        index = int(cluster.raft_info(leader)["commit_index"])
        cluster.kill(follower)
        cluster.start(follower)
        took = cluster.wait_applied(follower, index, f"key:{KEYS - 1}")
        print(f"cold restart of a follower with {KEYS} keys: {took:.2f} s, "
              f"peak memory {peak_rss_mib(cluster.procs[follower].pid):.0f} MiB")

        # A replaced machine: the member is removed, its directory wiped, and it joins again.
        cluster.kill(follower)
        client(cluster.port[leader], 30.0).execute_command("RAFT", "REMOVE", str(follower))
        shutil.rmtree(cluster.dir(follower))
        index = int(cluster.raft_info(leader)["commit_index"])
        cluster.start(follower, join=f"127.0.0.1:{cluster.raft[leader]}")
        took = cluster.wait_applied(follower, index, f"key:{KEYS - 1}")
        print(f"new node catching up from a snapshot of {KEYS} keys: {took:.2f} s, "
              f"peak memory {peak_rss_mib(cluster.procs[follower].pid):.0f} MiB "
              f"(leader's peak {peak_rss_mib(cluster.procs[leader].pid):.0f} MiB)")

        gaps = [unavailable_after_leader_kill(cluster) for _ in range(KILLS)]
        print(f"writes unavailable after a leader kill ({KILLS} kills): "
              f"median {statistics.median(gaps):.2f} s, max {max(gaps):.2f} s")
    finally:
        cluster.stop_all()


if __name__ == "__main__":
    main()
