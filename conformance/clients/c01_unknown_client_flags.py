#!/usr/bin/env python3
"""C01: client flags with a bit the server never offered (bit 31).

Expected: nbdref records C01 (MUST) and ends the connection before option haggling (S03).
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake(client_flags=FLAG_FIXED_NEWSTYLE | (1 << 31))
    c.expect_close()


nbdlib.run(body)
