#!/usr/bin/env python3
"""C15: NBD_OPT_EXPORT_NAME after extended headers were negotiated.

Expected: nbdref records C15 (MUST) and ends the connection (EXPORT_NAME has no error reply).
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.extended_headers()
    c.send_option(OPT_EXPORT_NAME, c.export.encode())
    c.expect_close()


nbdlib.run(body)
