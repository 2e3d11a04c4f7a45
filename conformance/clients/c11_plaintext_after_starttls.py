#!/usr/bin/env python3
"""C11: after the STARTTLS acknowledgement the client goes on in plain text instead of starting TLS.
Needs --profile tls-required.

Expected: nbdref records C11 (MUST) and ends the connection.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.option(OPT_STARTTLS)
    c.send_option(OPT_LIST)
    c.expect_close()


nbdlib.run(body)
