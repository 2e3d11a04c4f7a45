#!/usr/bin/env python3
"""C27: a misaligned READ after NBD_OPT_GO asked for NBD_INFO_BLOCK_SIZE.
Needs --min-block 512 (or --profile block-size).

Expected: nbdref records C27 (MUST) and answers EINVAL.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go(infos=(INFO_BLOCK_SIZE,))
    if not c.block_size or c.block_size[0] < 2:
        fail("run this with --min-block 512: the server advertised %r" % (c.block_size,))
    c.call(CMD_READ, 1, c.block_size[0], expect=EINVAL)
    c.disconnect()


nbdlib.run(body)
