#!/usr/bin/env python3
"""C44: NBD_OPT_STRUCTURED_REPLY sent a second time (a SHOULD NOT).

Expected: nbdref records C44 (SHOULD), answers NBD_REP_ERR_INVALID and keeps structured replies. Exit status 0.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.structured_reply()
    c.option(OPT_STRUCTURED_REPLY, expect=REP_ERR_INVALID)
    c.abort()


nbdlib.run(body)
