#!/usr/bin/env python3
"""C28: a WRITE whose payload exceeds the advertised maximum payload.
Needs --profile block-size (maximum payload 1 MiB).

Expected: nbdref records C28 (MUST), skips the payload and answers EINVAL; the connection goes on.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go(infos=(INFO_BLOCK_SIZE,))
    if not c.block_size or c.block_size[2] > 16 << 20:
        fail("run this with --profile block-size: the server advertised %r" % (c.block_size,))
    length = 2 * c.block_size[2]
    c.call(CMD_WRITE, 0, length, payload=b"\0" * length, expect=EINVAL)
    c.call(CMD_READ, 0, 4096)
    c.disconnect()


nbdlib.run(body)
