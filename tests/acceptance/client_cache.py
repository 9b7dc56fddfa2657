#!/usr/bin/env python3
"""redis-py's client-side cache (RESP3, CLIENT TRACKING) against one node, with writes through
another: a cached value is served from the cache until a write through any node invalidates it.

    client_cache.py PORT OTHER_PORT
"""
import sys
import time
import uuid

import redis
from redis.cache import CacheConfig

port, other = int(sys.argv[1]), int(sys.argv[2])
cached = redis.Redis(port=port, protocol=3, cache_config=CacheConfig(), socket_timeout=10)
writer = redis.Redis(port=other, socket_timeout=10)
key = "cache:%s" % uuid.uuid4().hex

writer.set(key, "v1")
# A write acknowledged by the leader reaches the cached client's node a moment later.
deadline = time.monotonic() + 5
while cached.get(key) != b"v1":
    assert time.monotonic() < deadline, "v1 never visible"
    time.sleep(0.01)
cache = cached.get_cache()
assert cache.size >= 1, "the value is cached"
assert cached.get(key) == b"v1"

for version in (b"v2", b"v3"):
    writer.set(key, version)
    deadline = time.monotonic() + 5
    while cached.get(key) != version:
        assert time.monotonic() < deadline, "the cached value was never invalidated"
        time.sleep(0.01)

writer.delete(key)
deadline = time.monotonic() + 5
while cached.get(key) is not None:
    assert time.monotonic() < deadline, "the deletion never invalidated the cache"
    time.sleep(0.01)
print("ok")
