#!/usr/bin/env python3
"""The control: a client that does everything right, through every command nbdref offers.

Expected: nbdref records nothing.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.option(OPT_LIST)
    c.structured_reply()
    c.set_meta_context()
    c.go(infos=(INFO_BLOCK_SIZE, INFO_NAME))
    c.call(CMD_WRITE, 0, 4096, flags=CMD_FLAG_FUA, payload=b"\xab" * 4096)
    if c.call(CMD_READ, 0, 4096) != b"\xab" * 4096:
        fail("read back different data")
    c.call(CMD_FLUSH)
    c.call(CMD_TRIM, 8192, 4096)
    c.call(CMD_WRITE_ZEROES, 16384, 4096, flags=CMD_FLAG_NO_HOLE)
    c.call(CMD_CACHE, 0, 4096)
    c.call(CMD_BLOCK_STATUS, 0, 65536)
    c.disconnect()


nbdlib.run(body)
