#!/usr/bin/env python3
"""C02: a client that does not set NBD_FLAG_C_FIXED_NEWSTYLE sends NBD_OPT_LIST.

Expected: nbdref records C02 (MUST) and ends the connection: such a client could not parse an option reply.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake(client_flags=0)
    c.send_option(OPT_LIST)
    c.expect_close()


nbdlib.run(body)
