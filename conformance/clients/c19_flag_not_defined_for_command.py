#!/usr/bin/env python3
"""C19: NBD_CMD_FLAG_NO_HOLE on NBD_CMD_WRITE (it is defined only for WRITE_ZEROES).

Expected: nbdref records C19 (MUST), consumes the payload and answers EINVAL; the connection goes on.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    c.call(CMD_WRITE, 0, 512, flags=CMD_FLAG_NO_HOLE, payload=b"\xab" * 512, expect=EINVAL)
    c.call(CMD_READ, 0, 512)
    c.disconnect()


nbdlib.run(body)
