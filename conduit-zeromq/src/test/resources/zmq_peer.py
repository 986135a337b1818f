#!/usr/bin/env python3
"""Plays the ZeroMQ side of ZmqPythonTest with pyzmq (libzmq underneath): a non-Java ZMTP stack.

Usage: zmq_peer.py PUB_PORT SUB_PORT REQ_PORT PUSH_PORT REP_PORT. Prints one line per check; exits
non-zero on the first failure. Every wait is bounded.
"""
import sys
import zmq

host = "tcp://127.0.0.1:"
pub_port, sub_port, req_port, push_port, rep_port = sys.argv[1:6]
ctx = zmq.Context()


def sock(kind, port):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, 30000)
    s.connect(host + port)
    return s


def fail(what):
    print("FAIL " + what, flush=True)
    sys.exit(1)


req = sock(zmq.REQ, req_port)


def request(subject, payload=b""):
    req.send_multipart([subject.encode(), payload])
    return req.recv_multipart()


# REQ -> a Conduit responder, and the error part.
for i in range(100):
    status, body = request("svc.echo", b"py%d" % i)
    if status != b"OK" or body != b"py%d" % i:
        fail("echo %d: %r %r" % (i, status, body))
status, _ = request("nobody.home")
if status != b"ERROR 503 no responders":
    fail("no responders: %r" % status)
print("req ok", flush=True)

# PUSH -> Conduit (lossless: PUSH waits for the connection).
push = sock(zmq.PUSH, push_port)
for i in range(100):
    push.send_multipart([b"py.push", b"%d" % i])
print("push sent", flush=True)

# Conduit -> SUB by prefix: ask the Java side to publish until the subscription is in place.
sub = sock(zmq.SUB, sub_port)
sub.setsockopt(zmq.SUBSCRIBE, b"orders.py")
sub.setsockopt(zmq.RCVTIMEO, 100)
for attempt in range(300):
    request("ctl.publish", b"ping")
    try:
        sub.recv_multipart()
        break
    except zmq.Again:
        continue
else:
    fail("no message on the SUB socket")
sub.setsockopt(zmq.RCVTIMEO, 30000)
request("ctl.publish", b"go")
got = []
while len(got) < 10:
    topic, body = sub.recv_multipart()[:2]
    if topic != b"orders.py.ping":
        got.append((topic, body))
if got != [(b"orders.py.%d" % i, b"%d" % i) for i in range(10)]:
    fail("sub: %r" % got)
print("sub ok", flush=True)

# PUB -> Conduit: warm up until the Java side has seen one, then 1,000 counted messages.
pub = sock(zmq.PUB, pub_port)
pub.setsockopt(zmq.SNDHWM, 0)
for attempt in range(300):
    pub.send_multipart([b"py.pub.warm", b""])
    if request("ctl.seen")[1] != b"0":
        break
else:
    fail("no PUB message reached Conduit")
for i in range(1000):
    pub.send_multipart([b"py.pub.n", b"%d" % i, b"seq: %d" % i])
print("pub sent", flush=True)

# A REP worker for Conduit requests to calc.>: serves until the Java side says stop.
rep = sock(zmq.REP, rep_port)
served = 0
while True:
    subject, body = rep.recv_multipart()[:2]
    if body == b"stop":
        rep.send(b"stopped")
        break
    served += 1
    rep.send(b"py:" + subject + b":" + body)
print("rep served %d" % served, flush=True)
