#!/usr/bin/env python3
"""C37: with extended headers, a WRITE without NBD_CMD_FLAG_PAYLOAD_LEN (and so without a payload).

Expected: nbdref records C37 (MUST) and answers EINVAL without reading a payload.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.extended_headers()
    c.go()
    c.call(CMD_WRITE, 0, 512, expect=EINVAL)
    c.disconnect()


nbdlib.run(body)
