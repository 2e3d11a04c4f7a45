#!/usr/bin/env python3
"""C50: with extended headers, a WRITE without NBD_CMD_FLAG_PAYLOAD_LEN.

The 2023 extension text asks for the flag; qemu 8.2+ omits it and qemu's server reads the payload anyway.
Expected: nbdref records C50 (SHOULD), reads the 512 payload bytes by the header's length and serves the write,
and the data reads back.
"""
import nbdlib
from nbdlib import *  # noqa: F401,F403 (constants and fail)


def body(c):
    c.handshake()
    c.extended_headers()
    c.go()
    data = bytes(range(256)) * 2
    c.call(CMD_WRITE, 0, 512, payload=data)  # flags 0: no PAYLOAD_LEN
    if c.call(CMD_READ, 0, 512) != data:
        fail("the write without PAYLOAD_LEN was not stored as sent")
    c.disconnect()


nbdlib.run(body)
