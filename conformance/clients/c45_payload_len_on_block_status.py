#!/usr/bin/env python3
"""C45: with extended headers but no NBD_FLAG_BLOCK_STATUS_PAYLOAD (no context selected), a BLOCK_STATUS
carrying a payload (a SHOULD NOT).

Expected: nbdref records C45 (SHOULD), consumes the payload and answers EINVAL. Exit status 0.
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
    payload = struct.pack(">QI", 4096, 0)
    c.call(CMD_BLOCK_STATUS, 0, len(payload), flags=CMD_FLAG_PAYLOAD_LEN, payload=payload, expect=EINVAL)
    c.disconnect()


nbdlib.run(body)
