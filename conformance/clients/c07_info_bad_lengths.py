#!/usr/bin/env python3
"""C07: NBD_OPT_INFO whose export-name length runs past the end of the option.

Expected: nbdref records C07 (MUST), consumes the whole option and answers NBD_REP_ERR_INVALID.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    payload = struct.pack(">I", 100) + b"default" + struct.pack(">H", 0)
    c.option(OPT_INFO, payload, expect=REP_ERR_INVALID)
    c.abort()


nbdlib.run(body)
