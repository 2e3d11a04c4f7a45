#!/usr/bin/env python3
"""C20: NBD_CMD_FLAG_DF without structured replies, so without NBD_FLAG_SEND_DF.

Expected: nbdref records C20 (MUST) and answers EINVAL.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    c.call(CMD_READ, 0, 512, flags=CMD_FLAG_DF, expect=EINVAL)
    c.disconnect()


nbdlib.run(body)
