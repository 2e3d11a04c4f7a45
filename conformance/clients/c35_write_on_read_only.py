#!/usr/bin/env python3
"""C35: NBD_CMD_WRITE on a read-only export (a SHOULD NOT). Needs --export default=memory:64M,ro.

Expected: nbdref records C35 (SHOULD), consumes the payload and answers EPERM. Not a MUST: exit status 0.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    c.call(CMD_WRITE, 0, 512, payload=b"\xab" * 512, expect=EPERM)
    c.disconnect()


nbdlib.run(body)
