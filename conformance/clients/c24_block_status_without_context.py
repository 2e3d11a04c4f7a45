#!/usr/bin/env python3
"""C24: NBD_CMD_BLOCK_STATUS with structured replies but no metadata context selected.

Expected: nbdref records C24 (MUST) and answers EINVAL.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.structured_reply()
    c.go()
    c.call(CMD_BLOCK_STATUS, 0, 4096, expect=EINVAL)
    c.disconnect()


nbdlib.run(body)
