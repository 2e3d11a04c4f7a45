#!/usr/bin/env python3
"""C32: a READ sent right behind NBD_CMD_DISC.

Expected: nbdref records C32 (MUST), ignores the READ and closes.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    _, disc = c.request_bytes(CMD_DISC)
    _, read = c.request_bytes(CMD_READ, 0, 512)
    c.send(disc + read)
    c.expect_close()


nbdlib.run(body)
