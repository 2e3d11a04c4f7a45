#!/usr/bin/env python3
"""C26: a READ that runs past the end of the export.

Expected: nbdref records C26 (MUST) and answers EINVAL.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    c.call(CMD_READ, c.size - 512, 1024, expect=EINVAL)
    c.disconnect()


nbdlib.run(body)
