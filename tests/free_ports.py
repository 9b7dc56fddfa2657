#!/usr/bin/env python3
"""Prints N distinct loopback ports (default 1) that are free now, for the test scripts.

The ports come from outside the kernel's ephemeral range: a port from that range, free when
picked, can be taken by some outgoing connection before the server meant for it listens
(tests/src/ports.rs does the same for the Rust harness).
"""
import random
import socket
import sys

PORT_MIN = 10000


def ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = map(int, f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def bindable(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    lo, hi = ephemeral_range()
    candidates = [p for p in range(PORT_MIN, 65536) if not lo <= p <= hi]
    random.shuffle(candidates)
    found = []
    for port in candidates:
        if bindable(port):
            found.append(port)
            if len(found) == count:
                print(*found)
                return
    sys.exit(f"free_ports.py: fewer than {count} free ports outside {lo}-{hi}")


main()
