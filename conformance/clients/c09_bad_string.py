#!/usr/bin/env python3
"""C09: an export name with a NUL byte in NBD_OPT_INFO (names must be valid UTF-8 without NUL).

Expected: nbdref records C09 (MUST) and answers NBD_REP_ERR_INVALID.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.option(OPT_INFO, info_payload(b"bad\x00name"), expect=REP_ERR_INVALID)
    c.abort()


nbdlib.run(body)
