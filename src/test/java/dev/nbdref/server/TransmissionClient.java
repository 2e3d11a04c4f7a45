package dev.nbdref.server;

import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.InfoType;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.wire.MetaContextRequest;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A transmission-phase test client on top of {@link RawClient}: negotiates (simple replies, structured
 * replies, or structured replies plus base:allocation), sends raw requests, and decodes every reply while
 * checking the framing rules the spec puts on the server (S39 cookie echo, S40/S41 reply kind, S42 DONE last,
 * S44 no unknown reply flags, S46 error chunk layout, S48 READ chunk placement, S64/S65 descriptor shape,
 * S86/S87 chunk types and lengths), so each test only asserts what it is about.
 */
final class TransmissionClient implements AutoCloseable {
    static final int EPERM = 1;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EOVERFLOW = 75;
    static final int ESHUTDOWN = 108;

    /** What is negotiated before GO. */
    enum Mode {
        /** No structured replies: every reply is simple. */
        SIMPLE,
        /** NBD_OPT_STRUCTURED_REPLY only. */
        STRUCTURED,
        /** Structured replies and base:allocation selected for the export entered. */
        BLOCK_STATUS;

        boolean structured() { return this != SIMPLE; }
    }

    final RawClient raw;
    final boolean structured;
    final long size;
    final int transmissionFlags;
    /** The id SET_META_CONTEXT gave base:allocation, or -1 when none was selected. */
    final int contextId;
    /** Cookies with the top bit set and distinct halves, so a server that treats them as numbers shows it. */
    private long nextCookie = 0x8BAD_F00D_0000_0000L;

    private TransmissionClient(RawClient raw, boolean structured, long size, int flags, int contextId) {
        this.raw = raw;
        this.structured = structured;
        this.size = size;
        this.transmissionFlags = flags;
        this.contextId = contextId;
    }

    static TransmissionClient open(TestServer server, String export, Mode mode, Integer... infos) throws Exception {
        return open(server, export, export, mode, infos);
    }

    /**
     * Negotiates and enters {@code export}; with {@link Mode#BLOCK_STATUS}, base:allocation is selected for
     * {@code metaExport} (normally the same export).
     */
    static TransmissionClient open(TestServer server, String metaExport, String export, Mode mode, Integer... infos)
            throws Exception {
        RawClient raw = server.connect();
        try {
            raw.handshake();
            int contextId = -1;
            if (mode.structured()) raw.structuredReplies();
            if (mode == Mode.BLOCK_STATUS) {
                List<OptionReply> r = raw.option(OptionType.SET_META_CONTEXT,
                        new MetaContextRequest(metaExport, List.of(MetaContext.BASE_ALLOCATION)).encode());
                assertEquals(2, r.size(), "SET_META_CONTEXT replies: " + r);
                assertEquals(OptionReplyType.META_CONTEXT, r.get(0).replyType());
                assertEquals(OptionReplyType.ACK, r.get(1).replyType());
                ByteBuffer b = ByteBuffer.wrap(r.get(0).payload());
                contextId = b.getInt();
                byte[] name = new byte[b.remaining()];
                b.get(name);
                assertEquals(MetaContext.BASE_ALLOCATION, new String(name, StandardCharsets.UTF_8));
            }
            long size = -1;
            int flags = -1;
            for (OptionReply r : raw.go(export, infos)) {
                if (r.replyType() != OptionReplyType.INFO) continue;
                ByteBuffer b = ByteBuffer.wrap(r.payload());
                if (Short.toUnsignedInt(b.getShort()) == InfoType.EXPORT.value) {
                    size = b.getLong();
                    flags = Short.toUnsignedInt(b.getShort());
                }
            }
            assertTrue(size >= 0, "GO sent no NBD_INFO_EXPORT");
            return new TransmissionClient(raw, mode.structured(), size, flags, contextId);
        } catch (Exception | Error e) {
            raw.close();
            throw e;
        }
    }

    boolean advertised(TransmissionFlag f) { return f.isSetIn(transmissionFlags); }

    long cookie() { return nextCookie++ * 0x1_0000_0001L ^ 0x0123_4567_89AB_CDEFL; }

    Request req(int flags, CommandType type, long offset, long length) {
        return new Request(flags, type.value, cookie(), offset, length);
    }

    Request req(CommandType type, long offset, long length) { return req(0, type, offset, length); }

    // ---------------------------------------------------------------- replies

    /** One status descriptor of a BLOCK_STATUS chunk. */
    record Descriptor(long length, int flags) {}

    /**
     * A decoded reply.
     *
     * @param error        0 on success, else the error value (of the first error chunk with structured replies)
     * @param data         the data of a successful READ (reassembled from chunks), else null
     * @param chunks       the chunks, in arrival order (null for a simple reply)
     * @param status       BLOCK_STATUS descriptors by context id (empty unless a status chunk came)
     */
    record Reply(long cookie, int error, byte[] data, List<RawClient.Chunk> chunks, Map<Integer, List<Descriptor>> status) {
        boolean simple() { return chunks == null; }

        List<RawClient.Chunk> contentChunks() {
            return chunks.stream().filter(c -> c.type() == ReplyType.OFFSET_DATA.value
                    || c.type() == ReplyType.OFFSET_HOLE.value).toList();
        }
    }

    void send(Request r) throws IOException { raw.request(r); }

    void send(Request r, byte[] payload) throws IOException { raw.request(r, payload); }

    /** Sends {@code r} (with {@code payload} for a WRITE) and reads its reply. */
    Reply call(Request r, byte[] payload) throws IOException {
        if (payload == null) raw.request(r);
        else raw.request(r, payload);
        return readReplyTo(r);
    }

    Reply call(Request r) throws IOException { return call(r, null); }

    /** Reads the reply to {@code r}, which must be the only request in flight. */
    Reply readReplyTo(Request r) throws IOException {
        Map<Long, Reply> all = readReplies(Map.of(r.cookie(), r));
        return all.get(r.cookie());
    }

    /**
     * Reads one complete reply for each outstanding request, in whatever order they come, failing on a
     * cookie that is unknown or answered twice (S39), and on any framing error.
     */
    Map<Long, Reply> readReplies(Map<Long, Request> outstanding) throws IOException {
        Map<Long, Reply> done = new LinkedHashMap<>();
        Map<Long, List<RawClient.Chunk>> partial = new HashMap<>();
        while (done.size() < outstanding.size()) {
            if (!structured) {
                RawClient.SimpleReply s = raw.readSimpleReply();
                Request r = outstanding.get(s.cookie());
                assertNotNull(r, String.format("simple reply with unknown cookie 0x%016x", s.cookie()));
                assertTrue(!done.containsKey(s.cookie()), String.format("cookie 0x%016x answered twice", s.cookie()));
                byte[] data = null;
                if (r.command() == CommandType.READ && s.error() == 0) data = raw.readExactly((int) r.length());
                done.put(s.cookie(), new Reply(s.cookie(), s.error(), data, null, Map.of()));
                continue;
            }
            RawClient.Chunk c = raw.readChunk();
            Request r = outstanding.get(c.cookie());
            assertNotNull(r, String.format("chunk with unknown cookie 0x%016x (type %d)", c.cookie(), c.type()));
            assertTrue(!done.containsKey(c.cookie()),
                    String.format("chunk for cookie 0x%016x after its DONE chunk (S42)", c.cookie()));
            partial.computeIfAbsent(c.cookie(), k -> new ArrayList<>()).add(c);
            if (c.done()) done.put(c.cookie(), decodeStructured(r, partial.remove(c.cookie())));
        }
        return done;
    }

    /** Checks the chunks of one structured reply against the spec and decodes them. */
    static Reply decodeStructured(Request r, List<RawClient.Chunk> chunks) {
        int error = 0;
        Map<Integer, List<Descriptor>> status = new LinkedHashMap<>();
        TreeMap<Long, Long> covered = new TreeMap<>(); // start -> end of content chunks (and error offsets)
        byte[] data = r.command() == CommandType.READ ? new byte[(int) r.length()] : null;
        for (int i = 0; i < chunks.size(); i++) {
            RawClient.Chunk c = chunks.get(i);
            String where = "chunk " + i + " (type " + c.type() + ") of " + r;
            assertEquals(r.cookie(), c.cookie(), "S39: " + where);
            assertEquals(i == chunks.size() - 1, c.done(), "S42: DONE on exactly the last chunk: " + where);
            assertEquals(0, c.flags() & ~ReplyType.FLAG_DONE, "S44: unknown reply flags: " + where);
            ByteBuffer b = c.body();
            int len = c.payload().length;
            if ((c.type() & 0x8000) != 0) {
                assertTrue(c.type() == ReplyType.ERROR.value || c.type() == ReplyType.ERROR_OFFSET.value,
                        "unknown error chunk type: " + where);
                int fixed = c.type() == ReplyType.ERROR.value ? 6 : 14;
                assertTrue(len >= fixed, "S87: error chunk too short: " + where);
                int e = b.getInt();
                int msglen = Short.toUnsignedInt(b.getShort());
                assertNotEquals(0, e, "S46: error chunk with error 0: " + where);
                assertTrue(msglen <= len - fixed && msglen <= 4096, "S46: msglen " + msglen + " in " + where);
                if (c.type() == ReplyType.ERROR_OFFSET.value) {
                    b.position(6 + msglen);
                    long off = b.getLong();
                    assertTrue(Long.compareUnsigned(off, r.offset()) >= 0
                            && Long.compareUnsigned(off - r.offset(), r.length()) < 0, "S46: offset outside: " + where);
                }
                if (error == 0) error = e;
                continue;
            }
            if (c.type() == ReplyType.NONE.value) {
                assertEquals(0, len, "S87: NONE with a payload: " + where);
                assertTrue(c.done(), "NONE without DONE: " + where);
            } else if (c.type() == ReplyType.OFFSET_DATA.value || c.type() == ReplyType.OFFSET_HOLE.value) {
                assertEquals(CommandType.READ, r.command(), "S86: content chunk for a non-READ: " + where);
                long off = b.getLong();
                long n;
                if (c.type() == ReplyType.OFFSET_DATA.value) {
                    assertTrue(len >= 9, "S87: OFFSET_DATA shorter than 9: " + where);
                    n = len - 8;
                } else {
                    assertEquals(12, len, "S87: OFFSET_HOLE length: " + where);
                    n = Integer.toUnsignedLong(b.getInt());
                    assertTrue(n > 0, "S48: empty hole: " + where);
                }
                assertTrue(off >= r.offset() && off + n <= r.offset() + r.length(),
                        "S48: chunk [" + off + "," + (off + n) + ") outside the request: " + where);
                Map.Entry<Long, Long> before = covered.floorEntry(off);
                Map.Entry<Long, Long> after = covered.ceilingEntry(off);
                assertTrue((before == null || before.getValue() <= off) && (after == null || after.getKey() >= off + n),
                        "S48: chunk [" + off + "," + (off + n) + ") overlaps an earlier one: " + where);
                covered.put(off, off + n);
                int at = (int) (off - r.offset());
                if (c.type() == ReplyType.OFFSET_DATA.value) b.get(data, at, (int) n);
                else Arrays.fill(data, at, at + (int) n, (byte) 0);
            } else if (c.type() == ReplyType.BLOCK_STATUS.value) {
                assertEquals(CommandType.BLOCK_STATUS, r.command(), "S86: status chunk for a non-BLOCK_STATUS: " + where);
                assertTrue(len >= 12 && (len - 4) % 8 == 0, "S87/S64: status chunk length " + len + ": " + where);
                int id = b.getInt();
                List<Descriptor> ds = new ArrayList<>();
                while (b.hasRemaining()) {
                    Descriptor d = new Descriptor(Integer.toUnsignedLong(b.getInt()), b.getInt());
                    assertTrue(d.length() > 0, "S64: zero-length descriptor: " + where);
                    ds.add(d);
                }
                assertTrue(status.put(id, ds) == null, "S63: two status chunks for context " + id + ": " + where);
            } else {
                fail("S86: unexpected chunk type " + c.type() + ": " + where);
            }
        }
        if (error != 0) return new Reply(r.cookie(), error, null, chunks, status);
        if (data != null) {
            long pos = r.offset();
            for (Map.Entry<Long, Long> e : covered.entrySet()) {
                assertEquals(pos, (long) e.getKey(), "S48: gap in the READ reply at " + pos + " for " + r);
                pos = e.getValue();
            }
            assertEquals(r.offset() + r.length(), pos, "S48: READ reply does not cover the range: " + r);
        }
        return new Reply(r.cookie(), 0, data, chunks, status);
    }

    // ---------------------------------------------------------------- conveniences

    byte[] read(long offset, int length) throws IOException {
        Reply rep = call(req(CommandType.READ, offset, length));
        assertEquals(0, rep.error(), "READ " + offset + "+" + length);
        return rep.data();
    }

    void write(long offset, byte[] data) throws IOException {
        Reply rep = call(req(CommandType.WRITE, offset, data.length), data);
        assertEquals(0, rep.error(), "WRITE " + offset + "+" + data.length);
    }

    /** Sends {@code r} and returns just the error value of its reply. */
    int errorOf(Request r, byte[] payload) throws IOException { return call(r, payload).error(); }

    int errorOf(Request r) throws IOException { return call(r, null).error(); }

    /** BLOCK_STATUS for the selected base:allocation context: its descriptors (asserting one chunk, S63). */
    List<Descriptor> blockStatus(int flags, long offset, long length) throws IOException {
        Reply rep = call(req(flags, CommandType.BLOCK_STATUS, offset, length));
        assertEquals(0, rep.error(), "BLOCK_STATUS " + offset + "+" + length);
        assertEquals(1, rep.chunks().size(), "S63: one chunk per context: " + rep.chunks());
        assertEquals(List.of(contextId), List.copyOf(rep.status().keySet()), "S63: the negotiated context id");
        return rep.status().get(contextId);
    }

    /** Proves the stream is still in sync and the connection serves: a READ with its exact data, then a FLUSH. */
    void assertUsable() throws IOException {
        int n = (int) Math.min(4096, size);
        Reply rd = call(req(CommandType.READ, 0, n));
        assertEquals(0, rd.error(), "READ after the error");
        assertEquals(n, rd.data().length);
        assertEquals(0, errorOf(req(CommandType.FLUSH, 0, 0)), "FLUSH after the error");
    }

    /** Sends NBD_CMD_DISC and asserts the server closes without sending anything more. */
    void disconnect() throws IOException {
        raw.request(new Request(0, CommandType.DISC.value, cookie(), 0, 0));
        raw.assertClosedByServer();
    }

    @Override
    public void close() throws IOException { raw.close(); }

    // ---------------------------------------------------------------- data

    /** Deterministic, non-zero-heavy bytes that differ per seed and per offset. */
    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        long x = 0x9E3779B97F4A7C15L * (seed + 1);
        for (int i = 0; i < length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) (x | 1);
        }
        return b;
    }

    static void assertZeroes(byte[] b, String what) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] != 0) fail(what + ": byte " + i + " is " + b[i] + ", expected zero");
        }
    }

    static void assertBytes(byte[] expected, byte[] actual, String what) {
        assertArrayEquals(expected, actual, what);
    }
}
