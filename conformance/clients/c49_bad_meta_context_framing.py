#!/usr/bin/env python3
"""C49: NBD_OPT_LIST_META_CONTEXT announcing 5 queries but carrying none.

Expected: nbdref records C49 (MUST) and answers NBD_REP_ERR_INVALID.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.structured_reply()
    name = c.export.encode()
    c.option(OPT_LIST_META_CONTEXT, struct.pack(">I", len(name)) + name + struct.pack(">I", 5), expect=REP_ERR_INVALID)
    c.abort()


nbdlib.run(body)
