#!/usr/bin/env python3
"""C30: a READ of length zero (a SHOULD NOT).

Expected: nbdref records C30 (SHOULD) and answers it as a successful no-op. Not a MUST: exit status 0.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    c.call(CMD_READ, 0, 0)
    c.disconnect()


nbdlib.run(body)
