#!/usr/bin/env python3
"""C04: NBD_OPT_LIST and NBD_OPT_STRUCTURED_REPLY sent back to back, without waiting for LIST's replies.

Expected: nbdref records C04 (MUST) once, for LIST, and still answers both options in order.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.send(c.option_bytes(OPT_LIST) + c.option_bytes(OPT_STRUCTURED_REPLY))
    if c.replies(OPT_LIST)[-1][0] != REP_ACK:
        fail("LIST was not answered")
    if c.replies(OPT_STRUCTURED_REPLY)[-1][0] != REP_ACK:
        fail("STRUCTURED_REPLY was not acknowledged")
    c.abort()


nbdlib.run(body)
