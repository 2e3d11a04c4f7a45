#!/usr/bin/env python3
"""C17: the client closes the connection in transmission without NBD_CMD_DISC.

Expected: nbdref records C17 (MUST) in the TRANSMISSION phase.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    c.call(CMD_READ, 0, 4096)
    c.close()


nbdlib.run(body)
