#!/usr/bin/env python3
"""C21: NBD_CMD_FLAG_FUA on a READ, which writes nothing (a SHOULD NOT).

Expected: nbdref records C21 (SHOULD) and serves the read. Not a MUST: exit status 0.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    c.call(CMD_READ, 0, 512, flags=CMD_FLAG_FUA)
    c.disconnect()


nbdlib.run(body)
