#!/usr/bin/env python3
"""Where a single client's write spends its time, from the system calls of the three nodes.

Reads `perf script -F pid,tid,comm,time,event,trace` output of the syscall tracepoints that
tests/bench/write_account.sh records, follows each SET from the leader's read of the request
to its reply (the leader's log write, AppendEntries to the followers, their log write and
fsync, the first response back, the committed hint, the reply) and prints the median and mean
of every step of that path. The leader's own fsync runs beside it (openraft 0.10 replicates
while the leader's log is synced): it is reported apart, from the log write. Usage: write_account.py PIDS_FILE LEADER_ID PERF_SCRIPT_OUTPUT
(PIDS_FILE: lines "<node id> <pid>").
"""

import re
import statistics
import sys

LINE = re.compile(r"\s*(\S+)\s+(\d+)/(\d+)\s+([\d.]+):\s+syscalls:(\w+):\s*(.*)")
STEPS = [
    "leader: request read -> log entry written",
    "leader: log written -> AppendEntries sent",
    "network, follower's gRPC: -> AppendEntries read",
    "follower: AppendEntries read -> log written",
    "follower: log written -> fsync starts",
    "follower: fsync of the log",
    "follower: fsync done -> response sent",
    "network, leader's gRPC: -> response read",
    "leader: response read -> committed hint written",
    "leader: hint written -> reply sent (apply, hand-offs)",
]


def parse(path, node_of):
    events = []
    for line in open(path):
        m = LINE.match(line)
        if not m:
            continue
        comm, pid, _tid, t, name, args = m.groups()
        count = re.search(r"count: 0x([0-9a-f]+)", args)
        ret = args.strip() if name.startswith("sys_exit") else ""
        events.append(
            (
                float(t) * 1e6,
                node_of.get(pid),
                comm,
                name,
                int(count.group(1), 16) if count else 0,
                int(ret, 16) if ret.startswith("0x") else 0,
            )
        )
    events.sort()
    return events


def find(events, i, pred):
    while i is not None and i < len(events):
        if pred(events[i]):
            return i
        i += 1
    raise LookupError


def cycles(events, leader, followers):
    """Yields the 11 timestamps of each write's path, request read to reply sent, and the start
    and end of the leader's fsync beside it."""
    on = lambda node, name: lambda e: e[1] == node and e[3] == name
    # The log's records are written with pwrite (a batch of one SET: some 50 bytes); the
    # committed hint is a pwrite of 13 bytes.
    log_write = lambda node: lambda e: e[1] == node and e[3] == "sys_enter_pwrite64" and e[4] > 16
    hint_write = lambda e: e[1] == leader and e[3] == "sys_enter_pwrite64" and e[4] <= 16
    i = 0
    while True:
        try:
            i0 = find(events, i, lambda e: e[1] == leader and e[2].startswith("redraft-clien")
                      and e[3] == "sys_exit_recvfrom" and e[5] > 30)
            i1 = find(events, i0, log_write(leader))
            i2 = find(events, i1, on(leader, "sys_enter_fdatasync"))
            i3 = find(events, i2, on(leader, "sys_exit_fdatasync"))
            i4 = find(events, i1, on(leader, "sys_enter_writev"))
            sides = []
            for f in followers:
                j5 = find(events, i4, lambda e: e[1] == f and e[3] == "sys_exit_recvfrom" and e[5] > 60)
                j6 = find(events, j5, log_write(f))
                j7 = find(events, j6, on(f, "sys_enter_fdatasync"))
                j8 = find(events, j7, on(f, "sys_exit_fdatasync"))
                j9 = find(events, j8, on(f, "sys_enter_writev"))
                sides.append([events[j][0] for j in (j5, j6, j7, j8, j9)])
            first = min(sides, key=lambda s: s[4])
            i10 = find(events, i4, lambda e: e[1] == leader and e[3] == "sys_exit_recvfrom"
                       and e[0] > first[4] and e[2].startswith("redraft-raft"))
            i11 = find(events, i10, hint_write)
            i12 = find(events, i10, on(leader, "sys_enter_sendto"))
        except LookupError:
            return
        times = [events[j][0] for j in (i0, i1, i4)] + first
        times += [events[j][0] for j in (i10, i11, i12)]
        beside = [events[j][0] for j in (i2, i3)]
        # A write that overlapped another (a heartbeat's fsync, a sweep) is not one cycle.
        if times[-1] - times[0] < 20_000 and times[:10] == sorted(times[:10]):
            yield times, beside
        i = i12 + 1


def main():
    pids_file, leader, script = sys.argv[1:4]
    node_of = {pid: node for node, pid in (line.split() for line in open(pids_file))}
    followers = [n for n in node_of.values() if n != leader]
    rows = list(cycles(parse(script, node_of), leader, followers))
    if not rows:
        sys.exit("write_account: no whole write found in the trace")
    print(f"{len(rows)} writes followed; microseconds per step:")
    print(f"| {'step':<55} | median | mean |")
    print(f"|{'-' * 57}|--------|------|")
    line = lambda step, d: print(f"| {step:<55} | {statistics.median(d):6.0f} | {statistics.mean(d):4.0f} |")
    for k, step in enumerate(STEPS):
        line(step, [r[k + 1] - r[k] for r, _ in rows])
    line("total, request read -> reply sent", [r[len(STEPS)] - r[0] for r, _ in rows])
    line("beside it: leader's log written -> its fsync starts", [b[0] - r[1] for r, b in rows])
    line("beside it: the leader's fsync", [b[1] - b[0] for r, b in rows])


if __name__ == "__main__":
    main()
