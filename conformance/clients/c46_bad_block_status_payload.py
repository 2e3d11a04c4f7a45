#!/usr/bin/env python3
"""C46: a BLOCK_STATUS payload naming a metadata context id that was never selected.

Expected: nbdref records C46 (MUST), consumes the payload and answers EINVAL.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.extended_headers()
    contexts = c.set_meta_context()
    c.go()
    unknown = max(contexts.values()) + 100
    payload = struct.pack(">QI", 4096, unknown)
    c.call(CMD_BLOCK_STATUS, 0, len(payload), flags=CMD_FLAG_PAYLOAD_LEN, payload=payload, expect=EINVAL)
    c.disconnect()


nbdlib.run(body)
