"""Byte-level NBD client framing for the corpus of misbehaving clients.

Only the standard library (socket, struct, ssl), so every script runs with a bare python3. The helpers send
exactly the bytes asked for and check the server's answers strictly: a corpus script is both a misbehaving
client and a check that nbdref reacts to the mistake as the spec says. A script exits 0 when the server
reacted as expected, and 1 (with a message on stderr) when it did not.

Every script takes the server's address as arguments, either
    script.py URI [TLS_DIR]                     e.g. nbd://127.0.0.1:10809/default
or  script.py HOST PORT EXPORT [TLS_DIR]
which is what `nbdref check-client -- python3 script.py {host} {port} {export} {tls-dir}` passes.
"""

import socket
import ssl
import struct
import sys
import time
from urllib.parse import unquote, urlparse

NBDMAGIC = 0x4E42444D41474943
IHAVEOPT = 0x49484156454F5054
OPTION_REPLY_MAGIC = 0x0003E889045565A9
REQUEST_MAGIC = 0x25609513
EXTENDED_REQUEST_MAGIC = 0x21E41C71
SIMPLE_REPLY_MAGIC = 0x67446698
STRUCTURED_REPLY_MAGIC = 0x668E33EF
EXTENDED_REPLY_MAGIC = 0x6E8A278C

FLAG_FIXED_NEWSTYLE = 1
FLAG_NO_ZEROES = 2

OPT_EXPORT_NAME = 1
OPT_ABORT = 2
OPT_LIST = 3
OPT_STARTTLS = 5
OPT_INFO = 6
OPT_GO = 7
OPT_STRUCTURED_REPLY = 8
OPT_LIST_META_CONTEXT = 9
OPT_SET_META_CONTEXT = 10
OPT_EXTENDED_HEADERS = 11

REP_ACK = 1
REP_SERVER = 2
REP_INFO = 3
REP_META_CONTEXT = 4
REP_ERROR_BIT = 1 << 31
REP_ERR_INVALID = REP_ERROR_BIT | 3

INFO_EXPORT = 0
INFO_NAME = 1
INFO_DESCRIPTION = 2
INFO_BLOCK_SIZE = 3

CMD_READ = 0
CMD_WRITE = 1
CMD_DISC = 2
CMD_FLUSH = 3
CMD_TRIM = 4
CMD_CACHE = 5
CMD_WRITE_ZEROES = 6
CMD_BLOCK_STATUS = 7

CMD_FLAG_FUA = 1 << 0
CMD_FLAG_NO_HOLE = 1 << 1
CMD_FLAG_DF = 1 << 2
CMD_FLAG_REQ_ONE = 1 << 3
CMD_FLAG_FAST_ZERO = 1 << 4
CMD_FLAG_PAYLOAD_LEN = 1 << 5

REPLY_FLAG_DONE = 1
REPLY_TYPE_OFFSET_DATA = 1
REPLY_TYPE_ERROR_BIT = 1 << 15

EPERM = 1
EINVAL = 22
ENOSPC = 28
ESHUTDOWN = 108

TIMEOUT = 15.0


class Failure(Exception):
    """The server did not react as the spec requires."""


def fail(message):
    raise Failure(message)


def target(argv):
    """(host, port, export, tls_dir) from a URI or from HOST PORT EXPORT, each optionally followed by TLS_DIR."""
    args = list(argv)
    if args and "://" in args[0]:
        u = urlparse(args[0])
        return u.hostname, u.port or 10809, unquote(u.path[1:]), (args[1] if len(args) > 1 and args[1] else None)
    if len(args) < 3:
        sys.exit("usage: %s URI [TLS_DIR] | HOST PORT EXPORT [TLS_DIR]" % sys.argv[0])
    return args[0], int(args[1]), args[2], (args[3] if len(args) > 3 and args[3] else None)


def info_payload(name, infos=()):
    raw = name.encode() if isinstance(name, str) else name
    return struct.pack(">I", len(raw)) + raw + struct.pack(">H", len(infos)) + b"".join(
        struct.pack(">H", i) for i in infos)


def meta_payload(name, queries):
    raw = name.encode()
    out = struct.pack(">I", len(raw)) + raw + struct.pack(">I", len(queries))
    for q in queries:
        out += struct.pack(">I", len(q.encode())) + q.encode()
    return out


class Client:
    """One connection. Raw send helpers never check anything; the higher-level ones check every answer."""

    def __init__(self, argv=None):
        self.host, self.port, self.export, self.tls_dir = target(sys.argv[1:] if argv is None else argv)
        self.sock = socket.create_connection((self.host, self.port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server_flags = None
        self.structured = False
        self.extended = False
        self.size = None
        self.transmission_flags = None
        self.block_size = None
        self.contexts = {}
        self.next_cookie = 1
        self.pending = {}

    # ---- bytes ------------------------------------------------------------------------------------------
    def send(self, data):
        self.sock.sendall(data)

    def recv_exactly(self, n):
        chunks = []
        while n > 0:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                fail("the server closed the connection while %d more bytes were expected" % n)
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def expect_close(self):
        """The server must end the connection now (a hard disconnect); whatever it sends first is ignored."""
        deadline = time.monotonic() + TIMEOUT
        try:
            while time.monotonic() < deadline:
                if not self.sock.recv(65536):
                    return
        except (ConnectionResetError, ssl.SSLError):
            return
        except socket.timeout:
            pass
        fail("the server did not close the connection")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # ---- handshake --------------------------------------------------------------------------------------
    def greeting(self):
        magic, opt, flags = struct.unpack(">QQH", self.recv_exactly(18))
        if magic != NBDMAGIC or opt != IHAVEOPT:
            fail("not a newstyle greeting: %x %x" % (magic, opt))
        self.server_flags = flags
        return flags

    def handshake(self, client_flags=None):
        """Reads the greeting and answers with fixed newstyle (and NO_ZEROES when the server offers it)."""
        flags = self.greeting()
        if client_flags is None:
            client_flags = FLAG_FIXED_NEWSTYLE | (flags & FLAG_NO_ZEROES)
        self.client_flags = client_flags
        self.send(struct.pack(">I", client_flags))

    # ---- options ----------------------------------------------------------------------------------------
    @staticmethod
    def option_bytes(opt, payload=b"", magic=IHAVEOPT, length=None):
        return struct.pack(">QII", magic, opt, len(payload) if length is None else length) + payload

    def send_option(self, opt, payload=b"", magic=IHAVEOPT, length=None):
        self.send(self.option_bytes(opt, payload, magic, length))

    def read_option_reply(self, opt):
        magic, ropt, rtype, length = struct.unpack(">QIII", self.recv_exactly(20))
        if magic != OPTION_REPLY_MAGIC:
            fail("bad option reply magic %x" % magic)
        if ropt != opt:
            fail("option reply for option %d, expected %d" % (ropt, opt))
        return rtype, self.recv_exactly(length)

    def replies(self, opt):
        """All replies to one option, up to its final one (ACK or an error)."""
        out = []
        while True:
            rtype, payload = self.read_option_reply(opt)
            out.append((rtype, payload))
            if rtype == REP_ACK or rtype & REP_ERROR_BIT:
                return out

    def option(self, opt, payload=b"", expect=REP_ACK):
        """Sends an option and checks that its final reply is `expect`; returns every reply."""
        self.send_option(opt, payload)
        out = self.replies(opt)
        if out[-1][0] != expect:
            fail("option %d: final reply 0x%x, expected 0x%x (%r)" % (opt, out[-1][0], expect, out[-1][1][:200]))
        return out

    def structured_reply(self):
        self.option(OPT_STRUCTURED_REPLY)
        self.structured = True

    def extended_headers(self):
        self.option(OPT_EXTENDED_HEADERS)
        self.extended = True
        self.structured = True

    def set_meta_context(self, queries=("base:allocation",)):
        for rtype, payload in self.option(OPT_SET_META_CONTEXT, meta_payload(self.export, list(queries)))[:-1]:
            if rtype == REP_META_CONTEXT:
                self.contexts[payload[4:].decode()] = struct.unpack(">I", payload[:4])[0]
        return self.contexts

    def go(self, infos=()):
        """NBD_OPT_GO for the export; afterwards the connection is in transmission."""
        for rtype, payload in self.option(OPT_GO, info_payload(self.export, infos))[:-1]:
            if rtype == REP_INFO:
                kind = struct.unpack(">H", payload[:2])[0]
                if kind == INFO_EXPORT:
                    self.size, self.transmission_flags = struct.unpack(">QH", payload[2:12])
                elif kind == INFO_BLOCK_SIZE:
                    self.block_size = struct.unpack(">III", payload[2:14])
        if self.size is None:
            fail("GO succeeded without NBD_INFO_EXPORT")

    def abort(self):
        """The polite end of negotiation: ABORT, then wait for the ACK (the server may also just close)."""
        self.send_option(OPT_ABORT)
        try:
            rtype, _ = self.read_option_reply(OPT_ABORT)
            if rtype != REP_ACK:
                fail("ABORT answered 0x%x" % rtype)
        except Failure:
            pass  # the spec lets the server close without the ACK
        self.close()

    def starttls(self):
        """STARTTLS, then the TLS handshake, trusting the CA of the client's TLS directory."""
        self.option(OPT_STARTTLS)
        self.wrap_tls()

    def wrap_tls(self):
        if not self.tls_dir:
            fail("this script needs TLS: run it with --profile tls-required and pass {tls-dir}")
        ctx = ssl.create_default_context(cafile=self.tls_dir + "/ca-cert.pem")
        ctx.load_cert_chain(self.tls_dir + "/client-cert.pem", self.tls_dir + "/client-key.pem")
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")

    # ---- transmission -----------------------------------------------------------------------------------
    def request_bytes(self, cmd, offset=0, length=0, flags=0, cookie=None, magic=None):
        if cookie is None:
            cookie = self.next_cookie
            self.next_cookie += 1
        if self.extended:
            header = struct.pack(">IHHQQQ", EXTENDED_REQUEST_MAGIC if magic is None else magic, flags, cmd, cookie,
                                 offset, length)
        else:
            header = struct.pack(">IHHQQI", REQUEST_MAGIC if magic is None else magic, flags, cmd, cookie, offset,
                                 length)
        self.pending[cookie] = (cmd, length)
        return cookie, header

    def request(self, cmd, offset=0, length=0, flags=0, cookie=None, payload=b""):
        """Sends one request (and its payload); returns its cookie."""
        cookie, header = self.request_bytes(cmd, offset, length, flags, cookie)
        self.send(header + payload)
        return cookie

    def reply(self):
        """Reads one whole reply (all chunks of a structured one); returns (cookie, error, data)."""
        if self.extended:
            return self._chunked_reply(extended=True)
        magic = struct.unpack(">I", self.recv_exactly(4))[0]
        if magic == SIMPLE_REPLY_MAGIC:
            error, cookie = struct.unpack(">IQ", self.recv_exactly(12))
            cmd, length = self.pending.pop(cookie, (None, 0))
            data = self.recv_exactly(length) if cmd == CMD_READ and error == 0 and not self.structured else b""
            return cookie, error, data
        if magic == STRUCTURED_REPLY_MAGIC:
            return self._chunked_reply(extended=False, magic_read=True)
        fail("bad reply magic %x" % magic)

    def _chunked_reply(self, extended, magic_read=False):
        error, data, cookie = 0, b"", None
        while True:
            if extended:
                magic, flags, rtype, cookie, _offset, length = struct.unpack(">IHHQQQ", self.recv_exactly(32))
                if magic != EXTENDED_REPLY_MAGIC:
                    fail("bad extended reply magic %x" % magic)
            else:
                if not magic_read:
                    magic = struct.unpack(">I", self.recv_exactly(4))[0]
                    if magic != STRUCTURED_REPLY_MAGIC:
                        fail("bad structured reply magic %x" % magic)
                magic_read = False
                flags, rtype, cookie, length = struct.unpack(">HHQI", self.recv_exactly(16))
            payload = self.recv_exactly(length)
            if rtype & REPLY_TYPE_ERROR_BIT:
                error = struct.unpack(">I", payload[:4])[0]
            elif rtype == REPLY_TYPE_OFFSET_DATA:
                data += payload[8:]
            if flags & REPLY_FLAG_DONE:
                self.pending.pop(cookie, None)
                return cookie, error, data

    def call(self, cmd, offset=0, length=0, flags=0, payload=b"", expect=0):
        """One request and its reply, which must carry error `expect` (0: success)."""
        cookie = self.request(cmd, offset, length, flags, payload=payload)
        got_cookie, error, data = self.reply()
        if got_cookie != cookie:
            fail("reply for cookie %d, expected %d" % (got_cookie, cookie))
        if error != expect:
            fail("command %d at %d+%d: error %d, expected %d" % (cmd, offset, length, error, expect))
        return data

    def disconnect(self):
        """NBD_CMD_DISC, then close: the soft disconnect every transmission should end with."""
        self.request(CMD_DISC)
        self.close()


def run(body):
    """Runs a script's body with a Client, turning an unexpected server reaction into exit status 1."""
    client = None
    try:
        client = Client()
        body(client)
    except Failure as e:
        print("%s: FAILED: %s" % (sys.argv[0], e), file=sys.stderr)
        sys.exit(1)
    except OSError as e:
        print("%s: FAILED: %s" % (sys.argv[0], e), file=sys.stderr)
        sys.exit(1)
    finally:
        if client is not None:
            client.close()
    print("%s: the server reacted as expected" % sys.argv[0].rsplit("/", 1)[-1])
