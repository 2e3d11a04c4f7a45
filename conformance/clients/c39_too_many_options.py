#!/usr/bin/env python3
"""C39: more options on one connection than any real client needs (4097 LISTs, each answered before the next).

Expected: nbdref records C39 (MAY: the spec lets a server cut such a client off) on option 4097 and ends the
connection. Not a MUST: exit status 0.
"""
import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)

LIMIT = 4096  # nbdref's OptionNegotiator.MAX_OPTIONS


def body(c):
    c.handshake()
    for _ in range(LIMIT):
        c.option(OPT_LIST)
    c.send_option(OPT_LIST)
    c.expect_close()


nbdlib.run(body)
