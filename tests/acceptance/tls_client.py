#!/usr/bin/env python3
"""redis-py with ssl=True against one node's TLS port, with a client certificate: commands,
a pipeline, a transaction, pub/sub through another node's TLS port, RESP3.

    tls_client.py CA CERT KEY PORT OTHER_PORT

Prints "ok" when every check passed.
"""
import sys
import time
import uuid

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

ca, cert, key = sys.argv[1:4]
port, other = int(sys.argv[4]), int(sys.argv[5])


def connect(port, protocol=2):
    # No retries: a check must see what the server answered, once.
    return redis.Redis(
        host="127.0.0.1",
        port=port,
        ssl=True,
        ssl_ca_certs=ca,
        ssl_certfile=cert,
        ssl_keyfile=key,
        socket_timeout=10,
        protocol=protocol,
        retry=Retry(NoBackoff(), 0),
    )


client, elsewhere = connect(port), connect(other)
name = "tls:%s" % uuid.uuid4().hex

assert client.ping()
assert client.set(name, "v1")
assert client.get(name) == b"v1"
assert client.incr(name + ":n") == 1

pipe = client.pipeline(transaction=False)
for i in range(100):
    pipe.rpush(name + ":list", i)
assert pipe.execute()[-1] == 100

with client.pipeline(transaction=True) as tx:
    tx.incr(name + ":n").incr(name + ":n")
    assert tx.execute() == [2, 3]

# A value written through this node is read through the other one (linearizable reads).
assert elsewhere.get(name) == b"v1"
big = b"x" * (1 << 20)
client.set(name + ":big", big)
assert elsewhere.get(name + ":big") == big

pubsub = connect(port).pubsub()
pubsub.subscribe(name + ":channel")
deadline = time.monotonic() + 10
message = None
while message is None or message["type"] != "subscribe":
    assert time.monotonic() < deadline, "no subscribe confirmation"
    message = pubsub.get_message(timeout=1)
assert elsewhere.publish(name + ":channel", "hello") == 1
message = None
while message is None:
    assert time.monotonic() < deadline, "the message never arrived"
    message = pubsub.get_message(timeout=1)
assert message["data"] == b"hello", message
pubsub.close()

resp3 = connect(port, protocol=3)
assert resp3.hgetall(name + ":none") == {}
assert resp3.hset(name + ":h", mapping={"a": "1"}) == 1
assert resp3.hgetall(name + ":h") == {b"a": b"1"}

print("ok")
