#!/usr/bin/env python3
"""redis-py's Lock (SET NX PX + Lua scripts) from threads on different nodes: a counter
updated by read-then-write under the lock ends equal to the number of updates, so no two
threads were ever inside at once.

    redis_py_lock.py PORT [PORT ...]
"""
import sys
import threading
import time
import uuid

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

PORTS = [int(p) for p in sys.argv[1:]]
THREADS_PER_NODE = 3
ROUNDS = 15
name = "lock:%s" % uuid.uuid4().hex
counter = name + ":counter"
errors = []


def worker(port):
    # No automatic resend: a retried INCR-like step would blame the server for the client.
    r = redis.Redis(port=port, socket_timeout=20, retry=Retry(NoBackoff(), 0))
    try:
        for _ in range(ROUNDS):
            lock = r.lock(name, timeout=10, blocking_timeout=60)
            assert lock.acquire(), "no lock within 60 s"
            try:
                value = int(r.get(counter) or 0)
                time.sleep(0.002)
                r.set(counter, value + 1)
                assert lock.extend(5), "extend failed while holding"
            finally:
                lock.release()
    except Exception as error:  # noqa
        errors.append(repr(error))


threads = [threading.Thread(target=worker, args=(port,)) for port in PORTS for _ in range(THREADS_PER_NODE)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(180)
assert not errors, errors
total = int(redis.Redis(port=PORTS[0]).get(counter))
expected = len(threads) * ROUNDS
assert total == expected, (total, expected)
redis.Redis(port=PORTS[0]).delete(counter)
print("ok", total)
