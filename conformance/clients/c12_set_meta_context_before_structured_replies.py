#!/usr/bin/env python3
"""C12: NBD_OPT_SET_META_CONTEXT before structured replies were negotiated.

Expected: nbdref records C12 (MUST) and answers NBD_REP_ERR_INVALID, selecting nothing.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.option(OPT_SET_META_CONTEXT, meta_payload(c.export, ["base:allocation"]), expect=REP_ERR_INVALID)
    c.abort()


nbdlib.run(body)
