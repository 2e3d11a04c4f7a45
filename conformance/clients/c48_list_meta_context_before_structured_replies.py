#!/usr/bin/env python3
"""C48: NBD_OPT_LIST_META_CONTEXT before structured replies (a SHOULD NOT).

Expected: nbdref records C48 (SHOULD) and answers the listing normally. Exit status 0.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.option(OPT_LIST_META_CONTEXT, meta_payload(c.export, ["base:"]))
    c.abort()


nbdlib.run(body)
