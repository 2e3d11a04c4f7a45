package dev.nbdref.server;

import dev.nbdref.block.Patterns;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.wire.Request;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A transmission-phase test client on top of {@link RawClient}: negotiates (simple replies, structured
 * replies, or structured replies plus base:allocation), sends raw requests, and decodes every reply while
 * checking the framing rules the spec puts on the server (S39 cookie echo, S40/S41 reply kind, S42 DONE last,
 * S44 no unknown reply flags, S46 error chunk layout, S48 READ chunk placement, S64/S65 descriptor shape,
 * S86/S87 chunk types and lengths), so each test only asserts what it is about. The checks every chunk shares
 * with {@link ExtendedClient} live in {@link ReplyChecks}.
 */
final class TransmissionClient implements AutoCloseable, TransmissionCalls<TransmissionClient.Reply> {
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

    /** What a test does with a client in transmission. */
    @FunctionalInterface
    interface Steps {
        void run(TransmissionClient c) throws Exception;
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
                Map<String, Integer> ids = raw.setMetaContext(metaExport, MetaContext.BASE_ALLOCATION);
                assertEquals(List.of(MetaContext.BASE_ALLOCATION), List.copyOf(ids.keySet()), "selected contexts");
                contextId = ids.get(MetaContext.BASE_ALLOCATION);
            }
            RawClient.ExportInfo entered = raw.goExport(export, infos);
            return new TransmissionClient(raw, mode.structured(), entered.size(), entered.flags(), contextId);
        } catch (Exception | Error e) {
            raw.close();
            throw e;
        }
    }

    boolean advertised(TransmissionFlag f) { return f.isSetIn(transmissionFlags); }

    @Override
    public long cookie() { return nextCookie++ * 0x1_0000_0001L ^ 0x0123_4567_89AB_CDEFL; }

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
    record Reply(long cookie, int error, byte[] data, List<RawClient.Chunk> chunks, Map<Integer, List<Descriptor>> status)
            implements TransmissionCalls.Result {
        boolean simple() { return chunks == null; }

        List<RawClient.Chunk> contentChunks() {
            return chunks.stream().filter(c -> c.type() == ReplyType.OFFSET_DATA.value
                    || c.type() == ReplyType.OFFSET_HOLE.value).toList();
        }
    }

    void send(Request r) throws IOException { raw.request(r); }

    void send(Request r, byte[] payload) throws IOException { raw.request(r, payload); }

    @Override
    public Reply call(Request r, byte[] payload) throws IOException {
        if (payload == null) raw.request(r);
        else raw.request(r, payload);
        return readReplyTo(r);
    }

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
        Map<Integer, List<Descriptor>> status = new LinkedHashMap<>();
        TreeMap<Long, Long> covered = new TreeMap<>(); // start -> end of content chunks
        byte[] data = r.command() == CommandType.READ ? new byte[(int) r.length()] : null;
        int error = ReplyChecks.checkChunks(r, chunks, c -> "(type " + c.type() + ")", covered,
                (c, span, body) -> {
                    int at = (int) (span.offset() - r.offset());
                    if (c.type() == ReplyType.OFFSET_DATA.value) body.get(data, at, (int) span.length());
                    else Arrays.fill(data, at, at + (int) span.length(), (byte) 0);
                },
                (c, body, len, where) -> decodeStatus(r, c, body, len, where, status));
        if (error != 0) return new Reply(r.cookie(), error, null, chunks, status);
        if (data != null) ReplyChecks.assertReadCovered(r, covered);
        return new Reply(r.cookie(), 0, data, chunks, status);
    }

    /** A BLOCK_STATUS chunk, the only other kind a structured reply may carry: its descriptors go to {@code status}. */
    private static void decodeStatus(Request r, RawClient.Chunk c, ByteBuffer b, int len, String where,
                                     Map<Integer, List<Descriptor>> status) {
        if (c.type() != ReplyType.BLOCK_STATUS.value) fail("S86: unexpected chunk type " + c.type() + ": " + where);
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
    }

    // ---------------------------------------------------------------- conveniences

    void write(long offset, byte[] data) throws IOException {
        Reply rep = call(req(CommandType.WRITE, offset, data.length), data);
        assertEquals(0, rep.error(), "WRITE " + offset + "+" + data.length);
    }

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
        return Patterns.mixed(length, seed);
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
