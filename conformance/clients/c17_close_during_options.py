#!/usr/bin/env python3
"""C17: the client closes the connection during option haggling without NBD_OPT_ABORT.

Expected: nbdref records C17 (MUST) in the OPTIONS phase.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.option(OPT_LIST)
    c.close()


nbdlib.run(body)
