#!/usr/bin/env python3
"""C14: another option sent after NBD_OPT_GO succeeded.

Expected: nbdref reads it as a request, sees IHAVEOPT where the request magic belongs, records C14 (MUST) and ends the
connection: the framing is lost.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.go()
    c.send_option(OPT_INFO, info_payload(c.export, (INFO_NAME,)))
    c.expect_close()


nbdlib.run(body)
