#!/usr/bin/env python3
"""C22: NBD_CMD_TRIM on a read-only export, which does not advertise NBD_FLAG_SEND_TRIM.
Needs --export default=memory:64M,ro.

Expected: nbdref records C22 (MUST) and answers EPERM.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    c.call(CMD_TRIM, 0, 4096, expect=EPERM)
    c.disconnect()


nbdlib.run(body)
