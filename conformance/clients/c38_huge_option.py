#!/usr/bin/env python3
"""C38: an option header announcing 48 MiB of data (a SHOULD: option lengths stay reasonable).

Expected: nbdref records C38 (SHOULD) and ends the connection. Not a MUST: exit status 0.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.send_option(OPT_LIST, length=48 << 20)
    c.expect_close()


nbdlib.run(body)
