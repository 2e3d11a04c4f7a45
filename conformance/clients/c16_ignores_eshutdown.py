#!/usr/bin/env python3
"""C16: the client goes on sending requests after the server answered ESHUTDOWN.
Needs --profile fault-shutdown (ESHUTDOWN from the fourth request on).

Expected: nbdref records C16 (MUST) for the first request sent well after the ESHUTDOWN reply, and answers it ESHUTDOWN.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    for _ in range(3):
        c.call(CMD_READ, 0, 512)
    c.call(CMD_READ, 0, 512, expect=ESHUTDOWN)
    time.sleep(0.5)  # long enough that the server cannot excuse it as already on its way
    c.call(CMD_READ, 0, 512, expect=ESHUTDOWN)
    c.disconnect()


nbdlib.run(body)
