#!/usr/bin/env python3
"""C33: two READs in flight with the same cookie (a SHOULD NOT). The first one is large and its reply is not
read until both requests are sent, so it is certainly still in flight when the second one arrives.

Expected: nbdref records C33 (SHOULD) and answers both. Not a MUST: exit status 0.
"""
import struct

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)

BIG = 32 << 20


def body(c):
    c.handshake()
    c.go()
    c.call(CMD_WRITE, BIG, 512, payload=b"\xcd" * 512)  # marks the small read's data
    _, first = c.request_bytes(CMD_READ, 0, BIG, cookie=7)
    _, second = c.request_bytes(CMD_READ, BIG, 512, cookie=7)
    c.send(first + second)
    seen = []
    for _ in range(2):  # the replies may come in either order; the data tells them apart
        magic, error, cookie = struct.unpack(">IIQ", c.recv_exactly(16))
        if magic != SIMPLE_REPLY_MAGIC or error or cookie != 7:
            fail("unexpected reply: magic %x error %d cookie %d" % (magic, error, cookie))
        head = c.recv_exactly(512)
        if head == b"\xcd" * 512:
            seen.append("small")
        else:
            c.recv_exactly(BIG - 512)
            seen.append("big")
    if sorted(seen) != ["big", "small"]:
        fail("replies were %r" % seen)
    c.disconnect()


nbdlib.run(body)
