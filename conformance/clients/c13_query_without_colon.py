#!/usr/bin/env python3
"""C13: a metadata context query without a namespace and colon ("base").

Expected: nbdref records C13 (MUST) and answers NBD_REP_ERR_INVALID.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.structured_reply()
    c.option(OPT_SET_META_CONTEXT, meta_payload(c.export, ["base"]), expect=REP_ERR_INVALID)
    c.abort()


nbdlib.run(body)
