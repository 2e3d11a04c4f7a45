#!/usr/bin/env python3
"""C31: NBD_CMD_FLUSH with a non-zero offset and length.

Expected: nbdref records C31 (MUST) and answers EINVAL.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    c.call(CMD_FLUSH, 4096, 4096, expect=EINVAL)
    c.disconnect()


nbdlib.run(body)
