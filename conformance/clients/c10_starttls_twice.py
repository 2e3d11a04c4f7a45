#!/usr/bin/env python3
"""C10: NBD_OPT_STARTTLS again once TLS is up. Needs --profile tls-required and {tls-dir}.

Expected: nbdref records C10 (MUST) and answers NBD_REP_ERR_INVALID inside the TLS session.
"""
import socket  # noqa: F401 (some scripts peek at the socket)
import struct  # noqa: F401
import time  # noqa: F401

import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.starttls()
    c.option(OPT_STARTTLS, expect=REP_ERR_INVALID)
    c.abort()


nbdlib.run(body)
