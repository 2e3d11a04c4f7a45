#!/usr/bin/env python3
"""C05: data attached to NBD_OPT_STARTTLS, NBD_OPT_LIST and NBD_OPT_STRUCTURED_REPLY, which take none.

Expected: nbdref records C05 (MUST) three times and answers each with NBD_REP_ERR_INVALID; negotiation goes on.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    for opt in (OPT_STARTTLS, OPT_LIST, OPT_STRUCTURED_REPLY):
        c.option(opt, b"junk", expect=REP_ERR_INVALID)
    c.abort()


nbdlib.run(body)
