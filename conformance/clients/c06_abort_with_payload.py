#!/usr/bin/env python3
"""C06: NBD_OPT_ABORT with data (a SHOULD NOT).

Expected: nbdref records C06 (SHOULD), ignores the data, acknowledges and closes. Not a MUST: exit status 0.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.send_option(OPT_ABORT, b"bye")
    rtype, _ = c.read_option_reply(OPT_ABORT)
    if rtype != REP_ACK:
        fail("ABORT with data answered 0x%x" % rtype)


nbdlib.run(body)
