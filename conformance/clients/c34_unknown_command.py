#!/usr/bin/env python3
"""C34: a request with an undefined command type (99).

Expected: nbdref records C34 (MUST) and answers EINVAL.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    c.call(99, 0, 512, expect=EINVAL)
    c.disconnect()


nbdlib.run(body)
