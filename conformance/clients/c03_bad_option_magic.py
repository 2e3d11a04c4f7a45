#!/usr/bin/env python3
"""C03: an option whose header does not start with IHAVEOPT.

Expected: nbdref records C03 (MUST) and ends the connection: the option framing is lost.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.send_option(OPT_LIST, magic=0x1122334455667788)
    c.expect_close()


nbdlib.run(body)
