#!/usr/bin/env python3
"""End-to-end PUBLISH latency: one subscriber on SUB_PORT, one publisher on PUB_PORT; each
message is published only after the previous one arrived, and its latency is the time from
just before PUBLISH to its arrival at the subscriber. Prints "p50_ms p99_ms count".

    pubsub_latency.py PUB_PORT SUB_PORT [COUNT]
"""
import socket
import sys
import time


def command(*args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        arg = arg if isinstance(arg, bytes) else str(arg).encode()
        out += b"$%d\r\n%s\r\n" % (len(arg), arg)
    return out


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        """One reply (arrays of bulks and integers are all this needs)."""
        line = self.line()
        if line[:1] == b"*":
            return [self.reply() for _ in range(int(line[1:]))]
        if line[:1] == b"$":
            n = int(line[1:])
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if line[:1] == b"-":
            raise RuntimeError(line.decode())
        return line


def main():
    pub_port, sub_port = int(sys.argv[1]), int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    sub, pub = Conn(sub_port), Conn(pub_port)
    sub.sock.sendall(command("SUBSCRIBE", "latency"))
    sub.reply()
    latencies = []
    for n in range(count):
        started = time.perf_counter()
        pub.sock.sendall(command("PUBLISH", "latency", n))
        message = sub.reply()
        latencies.append(time.perf_counter() - started)
        assert message[2] == str(n).encode(), message
        pub.reply()
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    print(f"{p50:.3f} {p99:.3f} {count}")


if __name__ == "__main__":
    main()
