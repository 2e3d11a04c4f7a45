#!/usr/bin/env python3
"""C08: NBD_OPT_INFO asking for NBD_INFO_NAME twice.

Expected: nbdref records C08 (MUST) and answers NBD_REP_ERR_INVALID.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.option(OPT_INFO, info_payload(c.export, (INFO_NAME, INFO_NAME)), expect=REP_ERR_INVALID)
    c.abort()


nbdlib.run(body)
