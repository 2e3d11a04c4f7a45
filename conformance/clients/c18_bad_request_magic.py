#!/usr/bin/env python3
"""C18: a transmission request with a wrong magic number.

Expected: nbdref records C18 (MUST) and ends the connection: the framing is lost.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    _, header = c.request_bytes(CMD_READ, 0, 512, magic=0x12345678)
    c.send(header)
    c.expect_close()


nbdlib.run(body)
